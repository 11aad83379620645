"""The subcommands behind the CLI: each takes parsed arguments and streams, returns an exit code."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from gitops_tools.config import Config, find_config, load_config
from gitops_tools.display import printable
from gitops_tools.errors import EXIT_CLEAN, EXIT_FINDINGS, ConfigError
from gitops_tools.lint import LintOptions, Progress
from gitops_tools.model import Catalogue, LintResult, Policy, Severity

if TYPE_CHECKING:
    from gitops_tools.pipeline.shard import Shard
    from gitops_tools.reporters import Format, Style

PROGRESS_MIN_FILES = 200


def _config(args: argparse.Namespace) -> Config:
    """--config, else the nearest config above the folder holding every linted path (or the working directory)."""
    from gitops_tools.discovery import common_folder, search_paths

    path: Path | None = args.config
    if path is not None and not os.path.lexists(path):
        raise ConfigError(f"config file not found: {path}")
    paths = search_paths(getattr(args, "paths", []), getattr(args, "stdin_filename", None))
    return load_config(path or find_config(common_folder(paths)), Path.cwd())


def _policies(config: Config, args: argparse.Namespace) -> tuple[Config, Catalogue]:
    """Built-in policies, those of the config's packs and policy_dirs, and those of --policy-dir (which may be
    anywhere: the user named them; a config, which may come from a pull request, is kept inside its repository), with
    the config completed by the pins its packs need."""
    extra = (*config.policy_dirs, *args.policy_dir)
    if config.packs:
        return _with_packs(config, extra)
    from gitops_tools.policycache import builtin_policies, cache_dir

    policies = _load_policies(extra) if extra else builtin_policies(_load_policies, cache_dir(os.environ))
    return config, Catalogue(policies, policies)


def _with_packs(config: Config, extra: tuple[Path, ...]) -> tuple[Config, Catalogue]:
    """The catalogue of a config that extends policy packs: cached with the packs' files in its key, unless custom
    policy folders join in."""
    from gitops_tools.packs import load_catalogue, with_packs
    from gitops_tools.policycache import cache_dir, pack_catalogue

    refs = config.packs

    def load() -> Catalogue:
        return load_catalogue(refs, extra)

    catalogue = load() if extra else pack_catalogue(load, cache_dir(os.environ), tuple(ref.folder for ref in refs))
    return with_packs(config, catalogue), catalogue


def _load_policies(extra_dirs: tuple[Path, ...] = ()) -> dict[str, Policy]:
    """The policies read from their files (imported only when needed: the built-in ones usually come cached)."""
    from gitops_tools.policies import load_policies

    return load_policies(extra_dirs)


def _ids(values: list[str], flag: str) -> tuple[str, ...]:
    ids = tuple(part.strip() for value in values for part in value.split(",") if part.strip())
    if len(values) > len(ids):
        raise ConfigError(f"{flag} needs policy ids or globs, e.g. {flag} 'container-*'")
    return ids


def _severity(text: str | None) -> Severity | None:
    return Severity.parse(text) if text else None


def _shard(text: str | None) -> Shard | None:
    if text is None:
        return None
    from gitops_tools.pipeline.shard import Shard  # here: only a sharded run needs it

    return Shard.parse(text)


def run_lint(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None) -> int:
    from gitops_tools.aliases import alias_map, current_config, current_patterns
    from gitops_tools.lint import lint
    from gitops_tools.parameters import configure
    from gitops_tools.policycache import cache_dir
    from gitops_tools.reporters import Style, get_format

    output = get_format(args.format)  # imported now: its declarations shape the run (tool_links)
    config, catalogue = _policies(_config(args), args)
    loaded = catalogue.profiled
    config = current_config(config, loaded)  # entries under a renamed policy's former id apply to it
    policies = configure(loaded, config.policies)  # examples (rules --check) keep the defaults
    aliases = alias_map(policies.values())
    options = LintOptions(
        select=current_patterns(_ids(args.select, "--select"), aliases),
        ignore=current_patterns(_ids(args.ignore, "--ignore"), aliases),
        severity_threshold=_severity(args.severity_threshold),
        fail_on=_severity(args.fail_on),
        domains=tuple(args.domain),
        changed_since=args.changed_since,
        diff_lines=args.diff_lines,
        baseline=args.baseline,
        stdin_filename=args.stdin_filename,
        tool_links=output.tool_links,
        jobs=args.jobs,
        shard=_shard(args.shard),
        cache=cache_dir(os.environ),
    )
    _check_patterns(options.select + options.ignore, policies)
    if args.write_baseline is not None and (args.baseline or args.changed_since):
        raise ConfigError("--write-baseline records every finding: do not combine it with --baseline or "
                          "--changed-since")
    if args.write_baseline is not None and options.shard is not None:
        raise ConfigError(f"--write-baseline records every finding: do not combine it with --shard {options.shard} "
                          "(one shard's baseline would hold a part of them)")
    _check_domains(options.domains, policies)
    if args.explain_classification:
        return _explain_classification(args, config, options, out, stdin)
    progress = _progress(err) if err.isatty() else None
    result = lint(args.paths, config, policies, options, progress, stdin)
    if args.write_baseline is not None:
        from gitops_tools import baseline
        from gitops_tools.fileio import write_atomically

        write_atomically(args.write_baseline, lambda stream: baseline.write(result.findings, stream))
        out.write(f"Baseline of {len(result.findings)} finding(s) written to {printable(str(args.write_baseline))}.\n")
        return EXIT_CLEAN
    color = args.color == "always" or (args.color == "auto" and out.isatty())
    if args.output is None:
        write_report(output, result, out, Style(color=color), os.environ)
    else:
        from gitops_tools.fileio import write_atomically
        from gitops_tools.reporters.text import summary

        write_atomically(args.output, lambda stream: write_report(output, result, stream, Style(), os.environ))
        out.write(f"{summary(result)}\nReport ({args.format}) written to {printable(str(args.output))}.\n")
    return EXIT_FINDINGS if result.failed else EXIT_CLEAN


def write_report(output: Format, result: LintResult, stream: TextIO, style: Style,
                 environment: Mapping[str, str]) -> None:
    """The format's report to `stream`, then each of its attachments appended to the file its environment variable
    names (GitHub's job summary): the reporter only computes text, where it goes is decided here. A file that cannot
    be appended to is a line in the report, in the format's words, never a failed run."""
    output.report(result, stream, style)
    for attachment in output.attachments:
        path = environment.get(attachment.variable)
        if not path:
            continue
        try:
            with Path(path).open("a", encoding="utf-8") as handle:
                handle.write(attachment.render(result))
        except OSError as err:
            stream.write(attachment.unwritable(path, str(err.strerror or err)) + "\n")


def _explain_classification(args: argparse.Namespace, config: Config, options: LintOptions, out: TextIO,
                            stdin: BinaryIO | None) -> int:
    from gitops_tools.explain_classification import explain, text_listing

    if args.format not in ("text", "json"):
        raise ConfigError(f"--explain-classification prints text or json, not {args.format!r}")
    items = explain(args.paths, config, options, stdin)
    _write_listing(out, args.format, "documents", [item.as_dict() for item in items], text_listing(items))
    return EXIT_CLEAN


def _write_listing(out: TextIO, fmt: str, key: str, records: list[dict[str, Any]], text: str) -> None:
    """A listing command's output: `{key: records}` as JSON, else its text."""
    if fmt == "json":
        import json

        json.dump({key: records}, out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        out.write(text)


def _check_domains(names: tuple[str, ...], policies: dict[str, Policy]) -> None:
    """--domain names a domain (a folder of schemas/policies/ with a domain.yaml, policies or not) or the domain of
    a custom policy."""
    from gitops_tools.domains import domain_files

    known = set(domain_files()) | {policy.domain for policy in policies.values()}
    unknown = sorted(set(names) - known)
    if unknown:
        raise ConfigError(f"--domain {unknown[0]!r} is no domain; domains: {', '.join(sorted(known))}")


def _check_patterns(patterns: tuple[str, ...], policies: dict[str, Policy]) -> None:
    from fnmatch import fnmatchcase

    for pattern in patterns:
        if not any(fnmatchcase(policy_id, pattern) for policy_id in policies):
            raise ConfigError(f"--select/--ignore: {pattern!r} matches no policy (see `gitops-tools rules`)")


def _progress(err: TextIO) -> Progress:
    def show(done: int, total: int) -> None:
        if total < PROGRESS_MIN_FILES:
            return
        if done == total or done % 50 == 0:
            end = "\n" if done == total else ""
            err.write(f"\rlinting: {done}/{total} files{end}")
            err.flush()

    return show


def run_rules(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None) -> int:
    from gitops_tools.ruledocs import markdown_catalogue, rule_line

    config, catalogue = _policies(_config(args), args)
    policies = catalogue.profiled
    if args.check:
        from gitops_tools.examples import check_examples

        failures = [str(failure) for failure in check_examples(catalogue.declared)]
        out.writelines(f"{failure}\n" for failure in failures)
        out.write(f"{len(policies)} policies checked, {len(failures)} example(s) disagree.\n")
        return EXIT_FINDINGS if failures else EXIT_CLEAN
    if args.format == "markdown":
        out.write(markdown_catalogue(policies.values()))
    else:
        for policy in sorted(policies.values(), key=lambda p: p.id):
            out.write(rule_line(policy, config.pin_for(policy)) + "\n")
    return EXIT_CLEAN


def run_explain(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None) -> int:
    from gitops_tools.ruledocs import explain_text

    policies = _policies(_config(args), args)[1].profiled
    policy = policies.get(args.policy_id)
    if policy is None:
        import difflib

        close = difflib.get_close_matches(args.policy_id, policies, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `gitops-tools rules`"
        raise ConfigError(f"unknown policy {args.policy_id!r}{hint}")
    out.write(explain_text(policy))
    return EXIT_CLEAN


def run_exemptions(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None) -> int:
    """Every exemption (config, annotations, inline suppressions) with its reason and expiry, for audits."""
    from gitops_tools.exemption_audit import list_exemptions, text_listing

    items = list_exemptions(args.paths, _config(args))
    _write_listing(out, args.format, "exemptions", [item.as_dict() for item in items], text_listing(items))
    return EXIT_CLEAN


def run_new(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None) -> int:
    from gitops_tools.questionnaire import StreamPrompt, listing, resolve_answers
    from gitops_tools.scaffold import available_scaffolds, render

    scaffolds = available_scaffolds()
    if args.scaffold is None:
        if args.list_questions:
            raise ConfigError("--list-questions needs a scaffold name, e.g. gitops-tools new service --list-questions")
        for name, listed in scaffolds.items():
            out.write(f"{name:<16} {listed.version:<8} {listed.description}\n")
        return EXIT_CLEAN
    scaffold = scaffolds.get(args.scaffold)
    if scaffold is None:
        raise ConfigError(f"unknown scaffold {args.scaffold!r}; available: {', '.join(scaffolds)}")
    if args.list_questions:
        out.write(listing(scaffold))
        return EXIT_CLEAN
    given = {**_answers_file(args.answers), **_set_answers(args.answers_set)}
    interactive = not args.no_input and stdin is not None and stdin.isatty() and out.isatty()
    answers = resolve_answers(scaffold, given, StreamPrompt(stdin, out) if interactive and stdin else None)
    target, commit = render(scaffold, answers, args.output_dir, force=args.force, git=not args.no_git)
    out.write(f"Created {target} from scaffold {scaffold.name} {scaffold.version}.\n")
    if commit is not None:
        out.write(f"Initialised a git repository with commit {commit[:12]}.\n")
    return EXIT_CLEAN


def _set_answers(pairs: list[str]) -> dict[str, str]:
    answers = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {pair!r}: expected KEY=VALUE")
        answers[key.strip()] = value
    return answers


def _answers_file(path: Path | None) -> dict[str, str]:
    """Answers from a YAML/JSON mapping, or from the `answers` of a .scaffold.json state file."""
    if path is None:
        return {}
    from gitops_tools.loading import load_user_file

    documents = load_user_file(path, "answers file")
    data = documents[0].data if len(documents) == 1 else None
    if isinstance(data, dict) and isinstance(data.get("answers"), dict) and "scaffold" in data:
        data = data["answers"]
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise ConfigError(f"answers file {path} must hold one mapping of question to answer")
    return {key: str(value) for key, value in data.items()}
