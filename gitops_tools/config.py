"""The `.gitops-tools.yaml` config file: found upward from the working directory, validated by its schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops_tools.errors import ConfigError
from gitops_tools.loading import Limits, load_bytes
from gitops_tools.loading.document import Span
from gitops_tools.model import JsonPath, Location, Severity
from gitops_tools.pathmatch import Globs
from gitops_tools.resources import schema_path

CONFIG_NAMES = (".gitops-tools.yaml", ".gitops-tools.yml")


@dataclass(frozen=True)
class PolicySettings:
    enabled: bool | None = None
    severity: Severity | None = None
    exclude: Globs = field(default_factory=lambda: Globs(()))


@dataclass(frozen=True)
class Config:
    root: Path
    path: Path | None = None
    policy_dirs: tuple[Path, ...] = ()
    exclude: Globs = field(default_factory=lambda: Globs(()))
    severity_threshold: Severity | None = None
    fail_on: Severity | None = None
    limits: Limits = field(default_factory=Limits)
    policies: dict[str, PolicySettings] = field(default_factory=dict)
    policy_locations: dict[str, Location] = field(default_factory=dict)


def find_config(start: Path) -> Path | None:
    """The nearest config file in `start` or its parents, not looking above the enclosing git repository."""
    for folder in (start.resolve(), *start.resolve().parents):
        for name in CONFIG_NAMES:
            if (folder / name).is_file():
                return folder / name
        if (folder / ".git").exists():
            return None
    return None


def load_config(path: Path | None, default_root: Path) -> Config:
    if path is None:
        return Config(root=default_root.resolve())
    path = _shown(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"cannot read config file {path}: {err.strerror}") from err
    loaded = load_bytes(raw, str(path), Limits())
    if [problem.policy_id for problem in loaded.problems] == ["file-empty"]:
        return Config(root=path.parent.resolve(), path=path)
    if loaded.problems:
        problem = loaded.problems[0]
        raise ConfigError(f"invalid config file: {problem.detail}", Location(str(path), problem.line, problem.col))
    if len(loaded.documents) > 1:
        line, col, _, _ = loaded.documents[1].locate(())
        raise ConfigError("a config file holds one YAML document", Location(str(path), line, col))
    if not loaded.documents or loaded.documents[0].data is None:
        return Config(root=path.parent.resolve(), path=path)
    document = loaded.documents[0]
    data = document.data
    from gitops_tools.validation import SchemaEvaluator, first_violation

    validator = SchemaEvaluator(json.loads(schema_path("resources", "config.schema.json").read_text("utf-8")))
    error = first_violation(validator, data)
    if error is not None:
        line, col, _, _ = document.locate(error.path)
        where = ".".join(map(str, error.path))
        message = f"{where}: {error.message}" if where else error.message
        raise ConfigError(f"invalid config: {message}", Location(str(path), line, col))
    return _build(data, path, document.locate)


def _shown(path: Path) -> Path:
    """The config path as findings show it: relative to the working directory when it is inside it."""
    resolved = path.resolve()
    return resolved.relative_to(Path.cwd()) if resolved.is_relative_to(Path.cwd()) else path


def _build(data: dict[str, Any], path: Path, locate: Callable[[JsonPath], Span]) -> Config:
    root = path.parent.resolve()
    policy_dirs = tuple(root / folder for folder in data.get("policy_dirs", ()))
    for index, folder in enumerate(policy_dirs):
        if not folder.is_dir():
            line, col, _, _ = locate(("policy_dirs", index))
            raise ConfigError(f"policy directory not found: {folder}", Location(str(path), line, col))
    threshold, fail_on = data.get("severity_threshold"), data.get("fail_on")
    settings: dict[str, Any] = data.get("policies", {})
    return Config(
        root=root,
        path=path,
        policy_dirs=policy_dirs,
        exclude=_globs(data.get("exclude", ())),
        severity_threshold=Severity.parse(threshold) if threshold else None,
        fail_on=Severity.parse(fail_on) if fail_on else None,
        limits=Limits(max_file_bytes=data.get("max_file_bytes", Limits.max_file_bytes)),
        policies={policy_id: _settings(value) for policy_id, value in settings.items()},
        policy_locations={policy_id: Location(str(path), *locate(("policies", policy_id))) for policy_id in settings},
    )


def _settings(value: dict[str, Any]) -> PolicySettings:
    severity = value.get("severity")
    return PolicySettings(
        enabled=value.get("enabled"),
        severity=Severity.parse(severity) if severity else None,
        exclude=_globs(value.get("exclude", ())),
    )


def _globs(rules: Any) -> Globs:
    return Globs(rule if isinstance(rule, str) else rule["path"] for rule in rules)
