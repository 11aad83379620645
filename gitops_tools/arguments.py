"""The command line's grammar: the subcommands and their options, parsed by argparse that never exits the process.

A command line naming a subcommand gets a parser of that subcommand alone: argparse builds a parser, and a formatter
per option, for every subcommand it is given, and a one-file lint (the pre-commit case) should not pay for `new`,
`rules`, `explain` and `exemptions` (half of the 6 ms the whole parser took). Nothing it prints differs: the other
subcommands appear only in the top-level --help, and in the errors of a command line naming none of them, both of
which get the parser of every subcommand.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from gitops_tools import __version__

SEVERITIES = ["info", "warning", "error"]
MAX_JOBS = 256  # a typo such as --jobs 40000 must not fork the machine to death


class UsageError(Exception):
    """A command line argparse rejects; the message says why and how to get help."""


class ParserExit(Exception):  # noqa: N818 - not an error: --help or --version was answered
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse that writes --help/--version to the injected stream and never calls sys.exit."""

    def __init__(self, *args: Any, stream: TextIO, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stream = stream

    def error(self, message: str) -> None:  # type: ignore[override]
        from gitops_tools.display import printable

        raise UsageError(f"{self.prog}: {printable(message)}\nRun `{self.prog} --help` for usage.")

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        if message:
            self.stream.write(message)
        raise ParserExit(status)

    def _print_message(self, message: str, file: object = None) -> None:
        if message:
            self.stream.write(message)


def parse(argv: Sequence[str] | None, stream: TextIO) -> argparse.Namespace:
    """The parsed command line (sys.argv's when `argv` is None); raises UsageError, or ParserExit once --help or
    --version is answered."""
    args = list(sys.argv[1:] if argv is None else argv)
    return build_parser(stream, command=args[0] if args else None).parse_args(args)  # top-level options come first


def build_parser(stream: TextIO | None = None, command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand, or of `command` alone when it names one."""
    stream = stream or sys.stdout
    parser = _Parser(prog="gitops-tools", description="Golden-path scaffolds and policy linters for GitOps repos.",
                     stream=stream)
    parser.add_argument("--version", action="version", version=f"gitops-tools {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (summary, add_options) in COMMANDS.items():
        if command not in COMMANDS or command == name:
            add_options(commands.add_parser(name, help=summary, stream=stream))
    return parser


def _jobs(text: str) -> int | None:
    """--jobs: a number of processes, or `auto` (None)."""
    if text == "auto":
        return None
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_JOBS:
        raise argparse.ArgumentTypeError(f"needs a number of processes from 1 to {MAX_JOBS}, or 'auto' (it was "
                                         f"given {text!r})")
    return int(text)


def _kubernetes_version(text: str) -> Any:
    """--kubernetes-version: a Kubernetes minor release, 1.N."""
    from gitops_tools.kubeversion import KubernetesVersion

    try:
        return KubernetesVersion.parse(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from err


def _lint(lint: argparse.ArgumentParser) -> None:
    from gitops_tools.reporters import available_formats

    lint.add_argument("paths", nargs="*", help="files or folders ('-' reads stdin); default: . (with --repository: "
                                               "none)")
    lint.add_argument("--stdin-filename", metavar="PATH",
                      help="lint '-' (stdin) as the file PATH: reported, fingerprinted and matched by config globs "
                           "under that name")
    lint.add_argument("--format", choices=available_formats(), default="text", help="output format (default: text)")
    lint.add_argument("--config", type=Path, help="config file (default: nearest .gitops-tools.yaml)")
    _policy_dir_option(lint)
    lint.add_argument("--severity-threshold", choices=SEVERITIES,
                      help="report only findings at or above this severity (default: info)")
    lint.add_argument("--fail-on", choices=SEVERITIES,
                      help="exit 1 when a finding at or above this severity is reported (default: warning)")
    lint.add_argument("--kubernetes-version", type=_kubernetes_version, metavar="1.N",
                      help="the Kubernetes version the manifests are applied to (default: the config's "
                           "kubernetes_version, else the newest version gitops-tools knows)")
    lint.add_argument("--render", action=argparse.BooleanOptionalAction, default=None,
                      help="render each kustomize overlay whose build reads a linted file and lint the rendered "
                           "objects (default: the config's render, else on; needs kustomize or kubectl)")
    lint.add_argument("--strict-references", action=argparse.BooleanOptionalAction, default=None,
                      help="report references between objects whose target is not among the objects read (default: "
                           "the config's strict_references, else off: such a target may be deployed from elsewhere)")
    lint.add_argument("--profile", metavar="NAME|PATH",
                      help="run exactly the policies of this profile (e.g. pss-restricted; a path names a profile "
                           "file) at the target Kubernetes version (default: the config's profile, else none); see "
                           "`gitops-tools rules --profiles`")
    lint.add_argument("--select", action="append", default=[], metavar="IDS",
                      help="run only these policies (comma-separated ids or globs, opt-in ones included)")
    lint.add_argument("--ignore", action="append", default=[], metavar="IDS",
                      help="skip these policies (comma-separated ids or globs)")
    lint.add_argument("--domain", action="append", default=[], metavar="NAME",
                      help="run only the policies of this domain (its folder, e.g. kubernetes); repeatable")
    lint.add_argument("--explain-classification", action="store_true",
                      help="print each document's domains and why (the rule that matched) instead of linting; "
                           "--format text or json")
    lint.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    lint.add_argument("--output", type=Path, metavar="FILE",
                      help="write the report to FILE (the summary still goes to the terminal)")
    lint.add_argument("--changed-since", metavar="REF",
                      help="lint only files changed since the merge-base of REF and HEAD (e.g. origin/main)")
    lint.add_argument("--diff-lines", action="store_true",
                      help="with --changed-since: report only findings on added or modified lines")
    lint.add_argument("--baseline", type=Path, metavar="FILE", help="report only findings not in this baseline")
    lint.add_argument("--write-baseline", type=Path, metavar="FILE",
                      help="record the current findings as the baseline in FILE, and exit 0")
    lint.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                      help="processes that load and check files (default: auto, one per core for a large input; "
                           "1: one process); the output is the same whatever N")
    lint.add_argument("--shard", metavar="I/N",
                      help="lint only the I-th of N shards of the files (split by their paths), e.g. for a CI matrix")
    lint.add_argument("--repository", action="store_true",
                      help="check the repository holding the paths (else the working directory) as a whole, even "
                           "when no path is its root folder; without paths, lint no file")


def _rules(rules: argparse.ArgumentParser) -> None:
    rules.add_argument("--format", choices=["text", "markdown"], default="text")
    listing = rules.add_mutually_exclusive_group()
    listing.add_argument("--check", action="store_true",
                         help="run every policy's examples (custom ones included); exit 1 if any disagrees")
    listing.add_argument("--profile", metavar="NAME|PATH",
                         help="list the policies this profile runs at the target Kubernetes version, with the control "
                              "each implements")
    listing.add_argument("--profiles", action="store_true",
                         help="list the profiles --profile can name (built-in, and those of the config's packs)")
    rules.add_argument("--kubernetes-version", type=_kubernetes_version, metavar="1.N",
                       help="with --profile: the target version (default: the config's kubernetes_version, else the "
                            "newest version gitops-tools knows)")
    rules.add_argument("--config", type=Path, help="config file whose policy_dirs add custom policies")
    _policy_dir_option(rules)


def _new(new: argparse.ArgumentParser) -> None:
    new.add_argument("scaffold", nargs="?", help="scaffold name, e.g. service")
    new.add_argument("-o", "--output-dir", type=Path, default=Path(), help="where to create it (default: .)")
    new.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="answers_set",
                     help="answer a question (repeatable)")
    new.add_argument("--answers", type=Path, metavar="FILE",
                     help="YAML/JSON answers: a mapping, or a .scaffold.json state file to re-render from")
    new.add_argument("--no-input", action="store_true", help="do not prompt: defaults for everything not given")
    new.add_argument("--list-questions", action="store_true",
                     help="print the scaffold's questions with their rules and defaults, and exit")
    new.add_argument("--no-git", action="store_true", help="do not initialise a git repository")
    new.add_argument("--force", action="store_true", help="render into an existing non-empty directory")


def _add(add: argparse.ArgumentParser) -> None:
    add.add_argument("component", nargs="?", help="component name, e.g. postgres")
    add.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="answers_set",
                     help="answer one of the component's questions (repeatable)")
    add.add_argument("--no-input", action="store_true", help="do not prompt: defaults for everything not given")
    add.add_argument("--path", type=Path, default=Path(), metavar="REPO",
                     help="the generated repo (default: .), its root, holding .scaffold.json")
    add.add_argument("--no-commit", action="store_true", help="leave the changes in the work tree, uncommitted")


def _link(link: argparse.ArgumentParser) -> None:
    link.add_argument("path", nargs="?", type=Path, default=Path(), help="the repo (default: .)")
    link.add_argument("--scaffold", metavar="NAME",
                      help="the scaffold the repo was made from (default: the one its .scaffold.json names)")
    link.add_argument("--version", metavar="V",
                      help="the scaffold version it was made from (default: the recorded one, else the source's)")
    link.add_argument("--answers", type=Path, metavar="FILE",
                      help="YAML/JSON answers: a mapping, or a .scaffold.json state file")
    link.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="answers_set",
                      help="answer a question (repeatable)")
    link.add_argument("--no-input", action="store_true", help="do not prompt: defaults for everything not given")
    _template_option(link)
    link.add_argument("--no-commit", action="store_true", help="leave the state file and merge base staged")


def _exemptions(exemptions: argparse.ArgumentParser) -> None:
    exemptions.add_argument("paths", nargs="*", default=["."], help="files or folders; default: .")
    exemptions.add_argument("--format", choices=["text", "json"], default="text")
    exemptions.add_argument("--config", type=Path, help="config file (default: nearest .gitops-tools.yaml)")


def _explain(explain: argparse.ArgumentParser) -> None:
    explain.add_argument("policy_id")
    explain.add_argument("--config", type=Path, help="config file whose policy_dirs add custom policies")
    _policy_dir_option(explain)


def _template_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--template", metavar="DIR|GIT_URL[@REF]",
                        help="take the scaffold from this checkout or scaffold folder, or clone this git URL at REF "
                             "(default: the installed package's scaffolds)")
    parser.add_argument("--trust", action="store_true",
                        help="run the hooks and extension of a template source whose copies differ from the "
                             "installed package's")


def _update(update: argparse.ArgumentParser) -> None:
    update.add_argument("path", nargs="?", type=Path, default=Path(), help="the repo (default: .)")
    _template_option(update)
    update.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="answers_set",
                        help="answer or change the answer to a question (repeatable)")
    update.add_argument("--no-input", action="store_true", help="do not prompt: new questions take their defaults")
    update.add_argument("--dry-run", action="store_true", help="print what the update would do and change nothing")
    update.add_argument("--no-commit", action="store_true", help="leave the merged result staged, uncommitted")


def _drift(drift: argparse.ArgumentParser) -> None:
    drift.add_argument("path", nargs="?", type=Path, default=Path(), help="the repo (default: .)")
    _template_option(drift)
    drift.add_argument("--strict", action="store_true",
                       help="exit 1 when files the scaffold rendered were changed or deleted, too")
    drift.add_argument("--diff", action="store_true", help="show each diverged file's diff against the render")
    drift.add_argument("--format", choices=["text", "json", "sarif"], default="text",
                       help="output format (default: text)")


def _scaffold(scaffold: argparse.ArgumentParser) -> None:
    actions = scaffold.add_subparsers(dest="action", required=True)
    stream = scaffold.stream if isinstance(scaffold, _Parser) else sys.stdout
    test = actions.add_parser("test", help="render every variant of a scaffold or component and lint each, then "
                                           "upgrade from its previous release", stream=stream)
    test.add_argument("scaffold", metavar="SCAFFOLD", help="a scaffold (service) or a component (components/postgres)")
    test.add_argument("--template", metavar="SRC", help="test the scaffold of this source: a checkout of gitops-tools, "
                                                        "one scaffold's folder, or GIT_URL[@REF] (default: this "
                                                        "installation's)")
    test.add_argument("--previous", metavar="SRC@REF", help="the release to upgrade from (default: the one before the "
                                                            "current version in the scaffold's or component's "
                                                            "releases.json)")
    test.add_argument("--trust", action="store_true", help="run the hooks of a --template or --previous whose hooks "
                                                           "are not this project's own")


def _policy_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy-dir", action="append", default=[], type=Path, metavar="DIR",
                        help="add the custom policies in DIR (repeatable; unlike a config's policy_dirs, it may lie "
                             "outside the repository)")


# Each subcommand: its one-line help and the function adding its options (in the order `--help` lists them).
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "lint": ("check YAML/JSON files against the policies", _lint),
    "rules": ("list the policies, one per line", _rules),
    "new": ("create a repository from a scaffold (lists them without a name)", _new),
    "add": ("add a component to a generated repository (lists them without a name)", _add),
    "link": ("record the scaffold, version and answers a repository was made from", _link),
    "exemptions": ("list every exemption with its reason and expiry (audits)", _exemptions),
    "explain": ("print one policy's documentation", _explain),
    "scaffold": ("test a scaffold or component: every variant renders and lints clean", _scaffold),
    "update": ("merge the scaffold's new version into a generated repo, keeping local edits", _update),
    "drift": ("is a generated repo behind its scaffold, and where has it diverged from it?", _drift),
}
