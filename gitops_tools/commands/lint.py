"""`gitops-tools lint`: the policies and the config, the options, the run, the report."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

from gitops_tools.commands import config_of, open_cache, policies_of, write_listing
from gitops_tools.config import Config
from gitops_tools.display import printable
from gitops_tools.errors import EXIT_CLEAN, EXIT_FINDINGS, ConfigError
from gitops_tools.findings import LintResult
from gitops_tools.lint import LintOptions, Progress
from gitops_tools.model import Catalogue, Policy, Severity

if TYPE_CHECKING:
    from gitops_tools.pipeline.shard import Shard
    from gitops_tools.profiles import Selection
    from gitops_tools.reporters import Format, Style

PROGRESS_MIN_FILES = 200


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


def run(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None) -> int:
    from gitops_tools.aliases import alias_map, current_config, current_patterns
    from gitops_tools.lint import lint
    from gitops_tools.parameters import configure
    from gitops_tools.reporters import Style, get_format

    args.paths = args.paths or ([] if args.repository else ["."])  # --repository alone lints no file
    output = get_format(args.format)  # imported now: its declarations shape the run (tool_links)
    config = config_of(args)
    cache = open_cache(config)  # its key is computed once: the policies and the record cache both use it
    config, catalogue = policies_of(config, args, cache)
    loaded = catalogue.profiled
    config = current_config(config, loaded)  # entries under a renamed policy's former id apply to it
    profile = _profile(args, config, catalogue)
    if profile is not None:
        loaded = profile.policies  # the profile's parameters and severities put in
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
        repository=args.repository,
        cache=cache,
        kubernetes_version=args.kubernetes_version,
        render=args.render,
        strict_references=args.strict_references,
        profile=profile.ids if profile is not None else None,
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


def _profile(args: argparse.Namespace, config: Config, catalogue: Catalogue) -> Selection | None:
    """--profile, else the config's `profile:`, at the run's target version; gitops_tools/profiles.py is imported
    only by a run that names one."""
    if args.profile is None and config.profile is None:
        return None
    from gitops_tools.kubeversion import target_version
    from gitops_tools.profiles import run_profile

    return run_profile(args.profile, config, catalogue,
                       target_version(args.kubernetes_version, config.kubernetes_version))


def _explain_classification(args: argparse.Namespace, config: Config, options: LintOptions, out: TextIO,
                            stdin: BinaryIO | None) -> int:
    from gitops_tools.explain_classification import explain, text_listing

    if args.format not in ("text", "json"):
        raise ConfigError(f"--explain-classification prints text or json, not {args.format!r}")
    items = explain(args.paths, config, options, stdin)
    write_listing(out, args.format, "documents", [item.as_dict() for item in items], text_listing(items))
    return EXIT_CLEAN


def _check_domains(names: tuple[str, ...], policies: dict[str, Policy]) -> None:
    """--domain names a domain (a folder of schemas/policies/ with a domain.yaml, policies or not) or the domain of
    a custom policy."""
    if not names:
        return
    from gitops_tools.domainfiles import domain_files

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
