"""The library entry point: lint paths with a config and options, return the findings (never prints)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase

from gitops_tools.config import Config
from gitops_tools.discovery import SourceFile, discover
from gitops_tools.engine import Engine
from gitops_tools.loading import LoadedFile, load_bytes
from gitops_tools.model import Finding, Policy, Problem, Severity

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class LintOptions:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity_threshold: Severity | None = None


@dataclass
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    documents: int = 0
    policies: int = 0


def active_policies(policies: Mapping[str, Policy], config: Config, options: LintOptions) -> list[Policy]:
    """Policies this run evaluates, with config severity overrides applied."""
    active = []
    for policy in policies.values():
        settings = config.policies.get(policy.id)
        if options.select:
            enabled = _selected(policy.id, options.select)
        else:
            enabled = settings.enabled if settings and settings.enabled is not None else policy.enabled
        if not enabled or _selected(policy.id, options.ignore):
            continue
        severity = settings.severity if settings and settings.severity else policy.severity
        active.append(replace(policy, severity=severity))
    return active


def _selected(policy_id: str, patterns: Iterable[str]) -> bool:
    return any(fnmatchcase(policy_id, pattern) for pattern in patterns)


def lint(paths: Sequence[str], config: Config, policies: Mapping[str, Policy], options: LintOptions,
         progress: Progress | None = None) -> LintResult:
    engine = Engine(active_policies(policies, config, options), policies.keys())
    sources = discover(paths, config.root, config.exclude)
    result = LintResult(files=len(sources), policies=len(engine.policies))
    findings = list(_config_findings(engine, config, policies))
    for done, source in enumerate(sources, 1):
        loaded = _read(source, config)
        result.documents += len(loaded.documents)
        for finding in engine.evaluate(loaded, source.relpath):
            settings = config.policies.get(finding.policy_id)
            if settings is None or not settings.exclude.match(source.relpath):
                findings.append(finding)
        if progress is not None:
            progress(done, len(sources))
    threshold = options.severity_threshold or config.severity_threshold or Severity.INFO
    result.findings = sorted({f for f in findings if f.severity >= threshold}, key=Finding.sort_key)
    return result


def _read(source: SourceFile, config: Config) -> LoadedFile:
    is_json = source.display.endswith(".json")
    if source.path is None:
        return load_bytes(sys.stdin.buffer.read(), source.display, config.limits)
    limit = config.limits.max_file_bytes
    try:
        with source.path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                detail = f"{size} bytes is over the {limit}-byte limit; not parsed"
                return LoadedFile(source.display, problems=[Problem("file-too-large", detail)])
            raw = handle.read()
    except OSError as err:
        return LoadedFile(source.display, problems=[Problem("file-unreadable", err.strerror or str(err))])
    return load_bytes(raw, source.display, config.limits, is_json=is_json)


def _config_findings(engine: Engine, config: Config, policies: Mapping[str, Policy]) -> Iterable[Finding]:
    """A config entry naming a policy that does not exist is a finding, never silently ignored."""
    for policy_id, location in config.policy_locations.items():
        if policy_id not in policies:
            problem = Problem("exemption-unknown-policy", f"{policy_id!r} is not a policy id", location.line,
                              location.col)
            yield from engine.evaluate(LoadedFile(location.path, problems=[problem]), "")
