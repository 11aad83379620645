"""The library entry point: lint paths with a config and options, return the findings (never prints)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import BinaryIO

from gitops_tools import baseline, collector, suppressions
from gitops_tools.classification import Classifier
from gitops_tools.config import Config
from gitops_tools.discovery import STDIN, SourceFile, common_folder, discover, relative_posix, search_paths
from gitops_tools.engine import Engine
from gitops_tools.errors import ConfigError
from gitops_tools.fileio import FileTooLargeError, NotRegularFileError, read_regular, real_path
from gitops_tools.fingerprint import repeat_fingerprint
from gitops_tools.gitrepo import Changes, LineRanges, changes_since, repository_root
from gitops_tools.loading import LoadedFile, load_bytes, too_large
from gitops_tools.model import Finding, Policy, Problem, Severity
from gitops_tools.targets import Workloads

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class LintOptions:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity_threshold: Severity | None = None
    fail_on: Severity | None = None
    domains: tuple[str, ...] = ()
    changed_since: str | None = None  # lint only files changed since the merge-base with this ref
    diff_lines: bool = False  # ... and keep only findings on added or modified lines
    baseline: Path | None = None  # report only findings not in this baseline
    stdin_filename: str | None = None  # the file '-' (stdin) stands for: linted and reported as that file


@dataclass
class LintResult:
    """What a run found, plus what reporters need to describe it (the rules, the repository root)."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    documents: int = 0
    policies: int = 0  # policies run on documents; file checks (syntax, encoding...) always run besides
    fail_on: Severity = Severity.WARNING
    rules: dict[str, Policy] = field(default_factory=dict)  # every active policy, by id
    root: Path = field(default_factory=Path.cwd)  # findings' paths are shown relative to the working directory
    # With --changed-since: for each linted file (by its display path), the (first, last) line ranges added or
    # modified since the base; reporters with caps (github) put findings on those lines first.
    changed_lines: dict[str, tuple[tuple[int, int], ...]] | None = None
    fixed: int | None = None  # with --baseline: baseline findings no longer found
    paths: list[str] = field(default_factory=list)  # every linted file by its display path (junit lists them all)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # why -> display paths of files not linted
    charts: dict[str, str] = field(default_factory=dict)  # skipped Helm template -> its chart folder (display paths)

    @property
    def failed(self) -> bool:
        return any(finding.severity >= self.fail_on for finding in self.findings)

    def on_changed_line(self, finding: Finding) -> bool:
        return touches(finding, (self.changed_lines or {}).get(finding.location.path, ()))


def touches(finding: Finding, ranges: LineRanges) -> bool:
    """Whether the finding's lines overlap any of the (first, last) ranges.

    A block mapping or list ends where the next token starts: an end column at or left of the start column is only
    indentation, so that last line is not part of the finding."""
    loc = finding.location
    end = loc.end_line - 1 if loc.end_line > loc.line and loc.end_col <= loc.col else max(loc.end_line, loc.line)
    return any(first <= end and loc.line <= last for first, last in ranges)


def active_policies(policies: Mapping[str, Policy], config: Config, options: LintOptions) -> list[Policy]:
    """Policies this run evaluates, with config severity overrides applied.

    `--select` and `--domain` narrow the document policies only: file checks (syntax, encoding, size, duplicate keys,
    stale suppressions...) stay on unless disabled or ignored by name.
    """
    active = []
    for policy in policies.values():
        settings = config.policies.get(policy.id)
        enabled = settings.enabled if settings and settings.enabled is not None else policy.enabled
        if options.select and policy.targets.scope != "file":
            enabled = _matches(policy.id, options.select)
        if options.domains and policy.targets.scope != "file" and policy.domain not in options.domains:
            enabled = False
        if not enabled or _matches(policy.id, options.ignore):
            continue
        severity = settings.severity if settings and settings.severity else policy.severity
        active.append(replace(policy, severity=severity))
    if not active or (options.select and not any(_matches(policy.id, options.select) for policy in active)):
        raise ConfigError("no selected policy is left to run: check --select, --ignore and the config's settings")
    return active


def _matches(policy_id: str, patterns: Iterable[str]) -> bool:
    return any(fnmatchcase(policy_id, pattern) for pattern in patterns)


def lint(paths: Sequence[str], config: Config, policies: Mapping[str, Policy], options: LintOptions,
         progress: Progress | None = None, stdin: BinaryIO | None = None) -> LintResult:
    engine = Engine(active_policies(policies, config, options), policies.keys(), Workloads.load(), Classifier.load(),
                    config.today)
    _check_stdin_filename(paths, options.stdin_filename)
    root = repository_root(common_folder(search_paths(paths, options.stdin_filename))) or config.root
    discovered = discover(paths, config.root, config.exclude, root, options.stdin_filename)
    sources = discovered.files
    changes = _changes(paths, sources, options)
    if changes is not None:
        sources = [source for source in sources if source.path and changes.lines(source.path) is not None]
    result = LintResult(
        files=len(sources), policies=sum(1 for p in engine.policies.values() if p.targets.scope != "file"),
        fail_on=options.fail_on or config.fail_on or Severity.WARNING, rules=dict(engine.policies), root=root,
        paths=[source.display for source in sources], changed_lines=None if changes is None else {},
        skipped=discovered.skipped, charts=discovered.charts,
    )
    findings = list(_config_findings(engine, config, policies, root))
    for done, source in enumerate(sources, 1):
        with collector.paused():  # the file's trees are freed inside the pause: the collector never walks them
            documents, found = _lint_file(engine, source, config, root, stdin)
        result.documents += documents
        kept = [f for f in found if not _excluded(config, f, source.relpath)]
        if changes is not None and source.path is not None and result.changed_lines is not None:
            ranges = result.changed_lines[source.display] = changes.lines(source.path) or ()
            if options.diff_lines:  # a file that cannot be checked at all is reported wherever the problem is
                kept = [f for f in kept if touches(f, ranges) or result.rules[f.policy_id].stops_checking]
        findings.extend(kept)
        if progress is not None:
            progress(done, len(sources))
    threshold = options.severity_threshold or config.severity_threshold or Severity.INFO
    result.findings = sorted({f for f in findings if f.severity >= threshold}, key=Finding.sort_key)
    if options.baseline is not None:
        linted = {_relative(source, root) for source in sources}
        result.findings, result.fixed = baseline.subtract(result.findings, baseline.read(options.baseline), linted)
    return result


def _lint_file(engine: Engine, source: SourceFile, config: Config, root: Path,
               stdin: BinaryIO | None) -> tuple[int, list[Finding]]:
    """One file's document count and findings (its documents go when this returns)."""
    loaded = read_source(source, config, stdin)
    return len(loaded.documents), check_file(engine, loaded, source.relpath, _relative(source, root),
                                             documents=not source.patch)


def _excluded(config: Config, finding: Finding, relpath: str) -> bool:
    """Whether the config excludes this file from this finding's policy."""
    settings = config.policies.get(finding.policy_id)
    return settings is not None and settings.exclude.match(relpath)


def _check_stdin_filename(paths: Sequence[str], name: str | None) -> None:
    if name is None:
        return
    if STDIN not in paths:
        raise ConfigError("--stdin-filename names what '-' (stdin) holds: give '-' too, e.g. "
                          "`kustomize build apps | gitops-tools lint --stdin-filename apps/rendered.yaml -`")
    if not name.strip() or name.endswith(("/", os.sep)) or name == STDIN or _is_folder(Path(name)):
        raise ConfigError(f"--stdin-filename needs a file name, e.g. apps/web.yaml (it was given {name!r})")


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name too long to look up is no folder: the file name is only a name
        return False


def _changes(paths: Sequence[str], sources: list[SourceFile], options: LintOptions) -> Changes | None:
    if options.diff_lines and options.changed_since is None:
        raise ConfigError("--diff-lines needs --changed-since REF")
    if options.changed_since is None:
        return None
    if not options.changed_since.strip():
        raise ConfigError("--changed-since needs a ref, e.g. --changed-since origin/main (it was given empty)")
    if STDIN in paths:
        raise ConfigError("--changed-since cannot lint '-' (stdin): there is no file to compare")
    changes = changes_since(Path(paths[0]) if paths else Path.cwd(), options.changed_since)
    for source in sources:
        if source.path is not None and not real_path(source.path).is_relative_to(changes.root):
            raise ConfigError(f"{source.display} is outside the git repository at {changes.root}")
    return changes


def _relative(source: SourceFile, root: Path) -> str:
    """The file's path from the repository root: what fingerprints hash, whatever the working directory."""
    path = source.path or source.named
    if path is None:
        return source.display
    return relative_posix(real_path(path), root, source.relpath)


def check_file(engine: Engine, loaded: LoadedFile, relpath: str, key: str | None = None, *,
               documents: bool = True) -> list[Finding]:
    """One file's findings, after its inline suppressions (which are reported when stale or unknown).

    `relpath` is what config globs match; `key` (default: relpath) is the path fingerprints hash."""
    key = key or relpath
    findings = list(engine.evaluate(loaded, relpath, key, documents=documents))
    yaml_text = loaded.text if not loaded.path.endswith(".json") else ""  # JSON has no comments
    marks = suppressions.parse(yaml_text, loaded.lines, loaded.document_lines, engine.today) if yaml_text else []
    if marks:
        findings = suppressions.apply(findings, marks)  # marks which suppressions were used...
        stale = suppressions.problems(marks, engine.known_ids, engine.policies)  # ...so the rest are stale
        findings += list(engine.problem_findings(loaded.path, stale, key))
    return _unique_fingerprints(findings)


def _unique_fingerprints(findings: list[Finding]) -> list[Finding]:
    """Identical findings (the same unnamed resource twice in a file) get distinct fingerprints by their order:
    code scanning and Code Quality merge findings that share one, and a baseline still counts them one by one."""
    seen: Counter[str] = Counter()
    unique = []
    for finding in sorted(findings, key=Finding.sort_key):
        seen[finding.fingerprint] += 1
        if seen[finding.fingerprint] > 1:
            finding = replace(finding, fingerprint=repeat_fingerprint(finding.fingerprint, seen[finding.fingerprint]))
        unique.append(finding)
    return unique


def read_source(source: SourceFile, config: Config, stdin: BinaryIO | None = None) -> LoadedFile:
    """The file's documents and problems; bytes are read only from a regular file, and never past the size limit."""
    limit = config.limits.max_file_bytes
    if source.problem is not None:
        return LoadedFile(source.display, problems=[source.problem])
    if source.path is None:
        if stdin is None:
            raise ConfigError("'-' (stdin) was given but no input stream is available")
        is_json = source.display.endswith(".json")  # named by --stdin-filename, stdin is read as that file would be
        return load_bytes(stdin.read(limit + 1), source.display, config.limits, is_json=is_json)
    try:
        raw = read_regular(source.path, limit)
    except FileTooLargeError as err:
        return LoadedFile(source.display, problems=[too_large(err.size, limit)])
    except NotRegularFileError as err:
        detail = f"it is a {err.kind}; only regular files are read"
        return LoadedFile(source.display, problems=[Problem("file-not-regular", detail)])
    except OSError as err:
        return LoadedFile(source.display, problems=[Problem("file-unreadable", err.strerror or str(err))])
    return load_bytes(raw, source.display, config.limits, is_json=source.display.endswith(".json"))


def _config_findings(engine: Engine, config: Config, policies: Mapping[str, Policy],
                     root: Path) -> Iterable[Finding]:
    """A config entry naming a policy that does not exist, or an expired one, is a finding, never silently ignored."""
    found = [(location, Problem("exemption-unknown-policy", f"{policy_id!r} is not a policy id", location.line,
                                location.col)) for policy_id, location in config.policy_locations.items()
             if policy_id not in policies]
    found += [(entry.location, Problem("exemption-expired", f"{entry.what}: {entry.expired}", entry.location.line,
                                       entry.location.col)) for entry in config.expired]
    for location, problem in found:
        key = relative_posix(real_path(Path(location.path)), root, location.path)
        yield from engine.evaluate(LoadedFile(location.path, problems=[problem]), location.path, key)
