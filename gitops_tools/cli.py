"""Command line: parse arguments, wire the library together, map outcomes to exit codes. No linting logic here."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TextIO

from gitops_tools import __version__, collector
from gitops_tools.errors import EXIT_BROKEN_PIPE, EXIT_INTERNAL, EXIT_USAGE, GitopsToolsError


class Command(Protocol):
    """A subcommand: the `run` of its module in gitops_tools/commands/ (named by the subcommand)."""

    def __call__(self, args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None) -> int: ...


class _UsageError(Exception):
    pass


class _Terminated(BaseException):
    """SIGTERM, raised where the program is so that cleanups run (temporary files, half-made repositories): it is
    a BaseException, like KeyboardInterrupt, so no `except Exception` swallows it."""


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated


class _ParserExitError(Exception):
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

        raise _UsageError(f"{self.prog}: {printable(message)}\nRun `{self.prog} --help` for usage.")

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        if message:
            self.stream.write(message)
        raise _ParserExitError(status)

    def _print_message(self, message: str, file: object = None) -> None:
        if message:
            self.stream.write(message)


SEVERITIES = ["info", "warning", "error"]
MAX_JOBS = 256  # a typo such as --jobs 40000 must not fork the machine to death


def _jobs(text: str) -> int | None:
    """--jobs: a number of processes, or `auto` (None)."""
    if text == "auto":
        return None
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_JOBS:
        raise argparse.ArgumentTypeError(f"needs a number of processes from 1 to {MAX_JOBS}, or 'auto' (it was "
                                         f"given {text!r})")
    return int(text)


def build_parser(stream: TextIO | None = None) -> argparse.ArgumentParser:
    from gitops_tools.reporters import available_formats

    stream = stream or sys.stdout
    parser = _Parser(prog="gitops-tools", description="Golden-path scaffolds and policy linters for GitOps repos.",
                     stream=stream)
    parser.add_argument("--version", action="version", version=f"gitops-tools {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    lint = commands.add_parser("lint", help="check YAML/JSON files against the policies", stream=stream)
    lint.add_argument("paths", nargs="*", default=["."], help="files or folders ('-' reads stdin); default: .")
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

    rules = commands.add_parser("rules", help="list the policies, one per line", stream=stream)
    rules.add_argument("--format", choices=["text", "markdown"], default="text")
    rules.add_argument("--check", action="store_true",
                       help="run every policy's examples (custom ones included); exit 1 if any disagrees")
    rules.add_argument("--config", type=Path, help="config file whose policy_dirs add custom policies")
    _policy_dir_option(rules)

    new = commands.add_parser("new", help="create a repository from a scaffold (lists them without a name)",
                              stream=stream)
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

    exemptions = commands.add_parser("exemptions", help="list every exemption with its reason and expiry (audits)",
                                     stream=stream)
    exemptions.add_argument("paths", nargs="*", default=["."], help="files or folders; default: .")
    exemptions.add_argument("--format", choices=["text", "json"], default="text")
    exemptions.add_argument("--config", type=Path, help="config file (default: nearest .gitops-tools.yaml)")

    explain = commands.add_parser("explain", help="print one policy's documentation", stream=stream)
    explain.add_argument("policy_id")
    explain.add_argument("--config", type=Path, help="config file whose policy_dirs add custom policies")
    _policy_dir_option(explain)
    return parser


def _policy_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy-dir", action="append", default=[], type=Path, metavar="DIR",
                        help="add the custom policies in DIR (repeatable; unlike a config's policy_dirs, it may lie "
                             "outside the repository)")


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None,
         stdin: BinaryIO | None = None) -> int:
    out, err = stdout or _safe_stream(sys.stdout), stderr or _safe_stream(sys.stderr)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        with collector.paused():  # importing the package makes long-lived objects, not garbage: no collection
            args = build_parser(out).parse_args(argv)
            command: Command = importlib.import_module(f"gitops_tools.commands.{args.command}").run
        return command(args, out, err, stdin or sys.stdin.buffer)
    except _ParserExitError as done:
        return done.status
    except _UsageError as error:
        err.write(f"{error}\n")
        return EXIT_USAGE
    except GitopsToolsError as error:
        from gitops_tools.display import printable

        lines = (printable(line) for line in (error.headline(), *error.details))  # a name's newline stays escaped
        err.write("gitops-tools: error: " + "\n  ".join(lines) + "\n")
        return EXIT_USAGE
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        err.write("gitops-tools: interrupted\n")
        return 130
    except _Terminated:
        err.write("gitops-tools: terminated\n")
        return 128 + signal.SIGTERM
    except Exception as error:  # noqa: BLE001 - last-resort boundary: report, never a bare traceback
        return _internal_error(error, err)
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def run() -> int:
    """The console script and `python -m gitops_tools`: main() in a process of its own, which ends with it."""
    code = main()
    collector.leave_to_exit()
    return code


def _safe_stream(stream: TextIO) -> TextIO:
    """The real stdout/stderr, made to escape characters their encoding lacks instead of crashing."""
    if hasattr(stream, "reconfigure"):
        stream.reconfigure(errors="backslashreplace")
    return stream


def _internal_error(error: Exception, err: TextIO) -> int:
    import traceback

    if os.environ.get("GITOPS_TOOLS_DEBUG"):
        traceback.print_exception(error, file=err)
    err.write(f"gitops-tools: internal error: {type(error).__name__}: {error}\n"
              "This is a bug; please report it. Set GITOPS_TOOLS_DEBUG=1 to see the traceback.\n")
    return EXIT_INTERNAL
