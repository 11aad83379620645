"""The `.gitops-tools.yaml` config file: found upward from the working directory, validated by its schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from gitops_tools.errors import ConfigError
from gitops_tools.exemptions import ConfigExemption
from gitops_tools.fileio import real_path
from gitops_tools.gitrepo import repository_root
from gitops_tools.kubeversion import KubernetesVersion
from gitops_tools.loading import Limits, load_user_file
from gitops_tools.loading.document import Span
from gitops_tools.model import JsonPath, Location, Policy, Record, Severity
from gitops_tools.pathmatch import Globs
from gitops_tools.resources import schema_path

if TYPE_CHECKING:
    from gitops_tools.config_exemptions import ExemptionRecorder
    from gitops_tools.packfinder import PackRef

CONFIG_NAMES = (".gitops-tools.yaml", ".gitops-tools.yml")
DEFAULT_RENDER_TIMEOUT = 60.0  # seconds for one entry point's kustomize build


def _nowhere(where: JsonPath) -> Location:
    return Location("")


NO_GLOBS = Globs(())


class CrdPath(NamedTuple):
    """A `crds:` entry: a file or folder of CustomResourceDefinitions inside the repository, and where the config
    names it (a CRD file that cannot be read is a config error there)."""

    path: Path
    location: Location


class PolicySettings(NamedTuple):
    """A policy's `policies.<id>` entry. Read-only, like every config value (the shared defaults are never
    changed)."""

    enabled: bool | None = None
    severity: Severity | None = None
    exclude: Globs = NO_GLOBS
    parameters: dict[str, Any] = {}  # noqa: RUF012  checked against the policy's declared types later
    locate_parameter: Callable[[JsonPath], Location] = _nowhere  # path below `parameters`


class Config(Record):
    """The config as a run uses it; read-only (`_replace` makes a changed copy: a Record, see
    gitops_tools/model.py)."""

    __slots__ = ("crds", "domains", "exclude", "exemptions", "fail_on", "kubernetes_version", "limits", "pack_pins",
                 "packs", "path", "policies", "policy_dirs", "policy_locations", "policy_set", "profile",
                 "profile_location", "render", "render_timeout", "root", "severity_threshold", "strict_references",
                 "today")

    def __init__(self, root: Path, path: Path | None = None, policy_dirs: tuple[Path, ...] = (), *,
                 exclude: Globs = NO_GLOBS, severity_threshold: Severity | None = None,
                 fail_on: Severity | None = None, limits: Limits | None = None,
                 policies: dict[str, PolicySettings] | None = None,
                 policy_locations: dict[str, Location] | None = None, today: date | None = None,
                 exemptions: tuple[ConfigExemption, ...] = (), policy_set: str | None = None,
                 packs: tuple[PackRef, ...] = (), pack_pins: dict[str, str] | None = None,
                 domains: dict[str, Globs] | None = None,
                 kubernetes_version: KubernetesVersion | None = None, render: bool = True,
                 render_timeout: float = DEFAULT_RENDER_TIMEOUT, crds: tuple[CrdPath, ...] = (),
                 strict_references: bool = False, profile: str | None = None,
                 profile_location: Location | None = None) -> None:
        self.root = root
        self.path = path
        self.policy_dirs = policy_dirs
        self.exclude = exclude
        self.severity_threshold = severity_threshold
        self.fail_on = fail_on
        self.limits = Limits() if limits is None else limits
        self.policies = {} if policies is None else policies
        self.policy_locations = {} if policy_locations is None else policy_locations
        self.today = date.today() if today is None else today  # when exemptions expire: one date for the whole run
        self.exemptions = exemptions  # every exempting entry, expired ones included (they do not apply)
        self.policy_set = policy_set  # the pinned policy-set version: newer policies do not run
        self.packs = packs  # the policy packs `extend` names, in order (later ones win)
        self.pack_pins = {} if pack_pins is None else pack_pins  # pack name -> the pin of its policies (`extend`)
        self.domains = {} if domains is None else domains  # domain -> more files of it (the config's globs)
        self.kubernetes_version = kubernetes_version  # `kubernetes_version:` (the run's target: kubeversion.py)
        self.render = render  # `render:` render the kustomize entry points and lint what they render
        self.render_timeout = render_timeout  # `render_timeout:` seconds one entry point's build may take
        self.crds = crds  # `crds:`: CRD files and folders (read by pipeline/definitions.py when a run needs them)
        self.strict_references = strict_references  # `strict_references:` report references out of the run
        self.profile = profile  # `profile:`: a profile's name or a file's path (read by profiles.py when a run lints)
        self.profile_location = profile_location  # where the config names it

    def pin_for(self, policy: Policy) -> str | None:
        """The pin that decides whether `policy` runs: a pack's policy is pinned by its `extend` entry (its `since`
        is a version of the pack), any other by `policy_set`."""
        return self.policy_set if policy.pack is None else self.pack_pins.get(policy.pack.name)

    @property
    def expired(self) -> tuple[ConfigExemption, ...]:
        return tuple(entry for entry in self.exemptions if entry.expired is not None)


def find_config(start: Path) -> Path | None:
    """The nearest config file in `start` or its parents, not looking above the enclosing git repository."""
    for folder in (real_path(start), *real_path(start).parents):
        for name in CONFIG_NAMES:
            if _is_file(folder / name):
                return folder / name
        if (folder / ".git").exists():
            return None
    return None


def _is_file(path: Path) -> bool:
    """Whether a config file is there (anything by that name but a folder: a FIFO or a link to a device is then
    refused when read, not silently ignored); a folder that may not be searched is an error."""
    try:
        return (path.exists() and not path.is_dir()) or path.is_symlink()
    except OSError as err:
        raise ConfigError(f"cannot look for a config file in {path.parent}: {err.strerror or err}") from err


def load_config(path: Path | None, default_root: Path, today: date | None = None) -> Config:
    """The config at `path` (None: the defaults). `today` (default: the real one) decides which exemptions expired."""
    today = today or date.today()
    if path is None:
        return Config(root=real_path(default_root), today=today)
    path = _shown(path)
    documents = load_user_file(path, "config file", empty_ok=True)
    if len(documents) > 1:
        line, col, _, _ = documents[1].locate(())
        raise ConfigError("a config file holds one YAML document", Location(str(path), line, col))
    if not documents or documents[0].data is None:
        return Config(root=real_path(path.parent), path=path, today=today)
    document = documents[0]
    data = document.data
    from gitops_tools.validation import SchemaEvaluator, first_violation

    validator = SchemaEvaluator(json.loads(schema_path("resources", "config.schema.json").read_text("utf-8")))
    error = first_violation(validator, data)
    if error is not None:
        line, col, _, _ = document.locate(error.path)
        where = ".".join(map(str, error.path))
        message = f"{where}: {error.message}" if where else error.message
        raise ConfigError(f"invalid config: {message}", Location(str(path), line, col))
    return _build(data, path, document.locate, today)


def _shown(path: Path) -> Path:
    """The config path as findings show it: relative to the working directory when it is inside it."""
    resolved = real_path(path)
    return resolved.relative_to(Path.cwd()) if resolved.is_relative_to(Path.cwd()) else path


def _build(data: dict[str, Any], path: Path, locate: Callable[[JsonPath], Span], today: date) -> Config:
    root = real_path(path.parent)
    policy_dirs = tuple(root / folder for folder in data.get("policy_dirs", ()))
    boundary = repository_root(root) or root
    for index, folder in enumerate(policy_dirs):
        line, col, _, _ = locate(("policy_dirs", index))
        if not real_path(folder).is_relative_to(boundary):
            raise ConfigError(f"policy directory {folder} is outside the repository {boundary}: a config may only name "
                              "folders inside it (give others with --policy-dir)", Location(str(path), line, col))
        if not folder.is_dir():
            raise ConfigError(f"policy directory not found: {folder}", Location(str(path), line, col))
    policy_set = data.get("policy_set")
    if policy_set is not None:
        _check_pin(policy_set, Location(str(path), *locate(("policy_set",))[:2]))
    packs: tuple[PackRef, ...] = ()
    if data.get("extend"):
        from gitops_tools.packfinder import find_packs

        packs = find_packs(data["extend"], root, boundary, lambda where: Location(str(path), *locate(where)[:2]))
    from gitops_tools.config_exemptions import ExemptionRecorder

    threshold, fail_on = data.get("severity_threshold"), data.get("fail_on")
    exemptions = ExemptionRecorder(path, locate, today)
    settings: dict[str, Any] = {policy_id: value for policy_id, value in data.get("policies", {}).items()
                                if exemptions.entry(policy_id, value)}  # an expired entry no longer applies
    return Config(
        root=root,
        path=path,
        policy_dirs=policy_dirs,
        exclude=exemptions.globs((), data.get("exclude", ()), ("exclude",)),
        severity_threshold=Severity.parse(threshold) if threshold else None,
        fail_on=Severity.parse(fail_on) if fail_on else None,
        limits=Limits(max_file_bytes=data.get("max_file_bytes", Limits().max_file_bytes)),
        policies={policy_id: _settings(policy_id, value, exemptions) for policy_id, value in settings.items()},
        policy_locations={policy_id: Location(str(path), *locate(("policies", policy_id)))
                          for policy_id in data.get("policies", {})},
        today=today,
        exemptions=tuple(exemptions.found),
        policy_set=policy_set,
        packs=packs,
        domains=_domains(data.get("domains", {}), path, locate),
        kubernetes_version=_kubernetes_version(data.get("kubernetes_version"), path, locate),
        render=data.get("render", True),
        render_timeout=float(data.get("render_timeout", DEFAULT_RENDER_TIMEOUT)),
        crds=_crds(data.get("crds", ()), root, boundary, path, locate),
        strict_references=data.get("strict_references", False),
        profile=data.get("profile"),
        profile_location=Location(str(path), *locate(("profile",))[:2]) if "profile" in data else None,
    )


def _crds(entries: list[str], root: Path, boundary: Path, path: Path,
          locate: Callable[[JsonPath], Span]) -> tuple[CrdPath, ...]:
    """`crds:`: files or folders of CustomResourceDefinitions, relative to the config's folder, inside the
    repository (a symbolic link out of it is refused too); they are read when a run checks custom resources."""
    found = []
    for index, entry in enumerate(entries):
        location = Location(str(path), *locate(("crds", index))[:2])
        target = real_path(root / entry)
        if not target.is_relative_to(boundary):
            raise ConfigError(f"invalid config: crds: {entry} is outside the repository {boundary}", location)
        if not target.exists():
            raise ConfigError(f"invalid config: crds: {entry} not found", location)
        found.append(CrdPath(target, location))
    return tuple(found)


def _kubernetes_version(value: Any, path: Path, locate: Callable[[JsonPath], Span]) -> KubernetesVersion | None:
    """`kubernetes_version: "1.N"`; unquoted, YAML reads 1.20 as the number 1.2, so a number is refused with that
    said (the schema lets it through to reach this message)."""
    if value is None:
        return None
    location = Location(str(path), *locate(("kubernetes_version",))[:2])
    if not isinstance(value, str):
        raise ConfigError(f"invalid config: kubernetes_version: quote it ({value!r} is read as a number: YAML reads "
                          "1.20 as 1.2), e.g. kubernetes_version: \"1.30\"", location)
    try:
        return KubernetesVersion.parse(value)
    except ValueError as err:
        raise ConfigError(f"invalid config: kubernetes_version: {err}", location) from err


def _domains(entries: dict[str, Any], path: Path, locate: Callable[[JsonPath], Span]) -> dict[str, Globs]:
    """`domains:`: each must name a domain (a folder of schemas/policies/ with a domain.yaml)."""
    if not entries:
        return {}
    from gitops_tools.domainfiles import domain_files

    known = domain_files()
    for name in entries:
        if name not in known:
            raise ConfigError(f"invalid config: domains: unknown domain {name!r}; domains: {', '.join(known)}",
                              Location(str(path), *locate(("domains", name))[:2]))
    return {name: Globs(entry["paths"]) for name, entry in entries.items()}


def _check_pin(pin: str, location: Location) -> None:
    from gitops_tools import __version__
    from gitops_tools.policyset import pin_problem

    problem = pin_problem(pin, __version__)
    if problem is not None:
        raise ConfigError(f"invalid config: policy_set: {problem}", location)


def _settings(policy_id: str, value: dict[str, Any], exemptions: ExemptionRecorder) -> PolicySettings:
    severity = value.get("severity")
    return PolicySettings(
        enabled=value.get("enabled"),
        severity=Severity.parse(severity) if severity else None,
        exclude=exemptions.globs((policy_id,), value.get("exclude", ()), ("policies", policy_id, "exclude")),
        parameters=value.get("parameters", {}),
        locate_parameter=_parameter_locator(exemptions.path, exemptions.locate, policy_id),
    )


def _parameter_locator(path: Path, locate: Callable[[JsonPath], Span],
                       policy_id: str) -> Callable[[JsonPath], Location]:
    """Where a path below `policies.<id>.parameters` lies in the config file."""
    return lambda where: Location(str(path), *locate(("policies", policy_id, "parameters", *where)))
