"""Profiles: named, exact lists of policies, each with optional parameters, severity and range of target Kubernetes
versions (schemas/profile.schema.json). A run with a profile evaluates exactly the entries that apply at its target
version (file checks aside: a file that cannot be read is always reported), so a standard such as the Pod Security
Standards is data, and a team writes its own the same way.

A profile's `extends` come first, in order; an entry of the extending profile for a policy replaces every entry the
extended ones have for it. Every entry is checked when the profile is read, whatever version it is for: its policy
exists, its parameters fit their types, and no two entries of a policy overlap in versions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from gitops_tools.errors import ConfigError
from gitops_tools.kubeversion import KubernetesVersion
from gitops_tools.model import JsonPath, Location, Policy, Severity
from gitops_tools.profilefinder import Known, find_profile
from gitops_tools.resources import schema_path

if TYPE_CHECKING:
    from gitops_tools.config import Config
    from gitops_tools.model import Catalogue

Locate = Callable[[JsonPath], Location]
MAX_DEPTH = 16  # profiles extending profiles: deeper is refused (a config may come from a pull request)


class Versions(NamedTuple):
    """The target versions an entry applies to, both ends included (None: unbounded)."""

    low: KubernetesVersion | None = None
    high: KubernetesVersion | None = None

    def covers(self, version: KubernetesVersion) -> bool:
        return (self.low is None or self.low <= version) and (self.high is None or version <= self.high)

    def overlaps(self, other: Versions) -> bool:
        return ((self.low is None or other.high is None or self.low <= other.high)
                and (other.low is None or self.high is None or other.low <= self.high))

    def __str__(self) -> str:
        if self.low is None and self.high is None:
            return "every version"
        if self.high is None:
            return f"{self.low} and newer"
        return f"up to {self.high}" if self.low is None else f"{self.low} to {self.high}"


class Entry(NamedTuple):
    """One entry of a profile's `policies:` list; `policy` is the current id (a former one is mapped on reading)."""

    policy: str
    parameters: dict[str, Any]
    severity: Severity | None
    versions: Versions
    control: str | None
    profile: str  # the name of the profile it is written in
    locate: Locate  # a path below the entry, in its file


class Profile(NamedTuple):
    """A profile file, read and checked, with its extends flattened into `entries`."""

    name: str
    title: str
    description: str
    path: Path
    entries: tuple[Entry, ...]

    def at(self, version: KubernetesVersion) -> tuple[Entry, ...]:
        """The entries that apply at `version`: at most one per policy."""
        return tuple(entry for entry in self.entries if entry.versions.covers(version))


class Reader:
    """Reads profiles for one command: names resolve through `known`, paths relative to the naming file (inside
    `boundary` when given), every file read once, extends followed with cycles refused."""

    def __init__(self, known: dict[str, Known], policies: Mapping[str, Policy], boundary: Path | None) -> None:
        from gitops_tools.aliases import alias_map
        from gitops_tools.validation import SchemaEvaluator

        self.known, self.policies, self.boundary = known, policies, boundary
        self.aliases = alias_map(policies.values())
        self.meta = SchemaEvaluator(json.loads(schema_path("profile.schema.json").read_text("utf-8")))
        self._read: dict[Path, Profile] = {}

    def profile(self, spec: str, base: Path, location: Location | None) -> Profile:
        """The profile `spec` names (from a file in `base`, or the command line's working directory)."""
        return self._profile(find_profile(spec, self.known, base, self.boundary, location), ())

    def _profile(self, path: Path, chain: tuple[tuple[Path, str], ...]) -> Profile:
        key = path.resolve()
        if key not in self._read:
            self._read[key] = self._flattened(path, chain)
        return self._read[key]

    def _flattened(self, path: Path, chain: tuple[tuple[Path, str], ...]) -> Profile:
        data, locate = _document(path, self.meta)
        by_policy: dict[str, list[Entry]] = {}
        for index, spec in enumerate(data.get("extends", ())):
            where = locate(("extends", index))
            target = find_profile(spec, self.known, path.parent, self.boundary, where)
            names = [name for _, name in chain] + [data["name"]]
            if target.resolve() in {step.resolve() for step, _ in chain} | {path.resolve()}:
                raise ConfigError(f"invalid profile: extends {spec!r} makes a cycle: {' -> '.join(names)} -> "
                                  f"{target.stem}", where)
            if len(names) >= MAX_DEPTH:
                raise ConfigError(f"invalid profile: extends {spec!r} makes a chain of more than {MAX_DEPTH} profiles "
                                  f"({' -> '.join(names[:3])} -> ...)", where)
            _replace(by_policy, self._profile(target, (*chain, (path, data["name"]))).entries)
        _replace(by_policy, tuple(self._entries(data, locate)))
        entries = tuple(entry for group in by_policy.values() for entry in group)
        return Profile(data["name"], data["title"], data["description"], path, entries)

    def _entries(self, data: dict[str, Any], locate: Locate) -> Iterator[Entry]:
        """The file's own entries, each checked: its policy exists, its parameters fit, its range is sound and
        overlaps no other entry of the same policy."""
        from gitops_tools.parameters import with_values

        seen: dict[str, list[Entry]] = {}
        for index, raw in enumerate(data["policies"]):
            below = _below(locate, ("policies", index))
            policy_id = self.aliases.get(raw["policy"], raw["policy"])
            policy = self.policies.get(policy_id)
            if policy is None:
                raise ConfigError(f"invalid profile: {raw['policy']!r} is not a policy id (built-in, of a pack the "
                                  "config extends, or of its policy_dirs)", below(("policy",)))
            if "parameters" in raw:
                with_values(policy, raw["parameters"], _below(below, ("parameters",)))
            entry = Entry(policy_id, raw.get("parameters", {}), Severity.parse(raw["severity"]) if "severity" in raw
                          else None, _versions(raw.get("kubernetes", {}), below), raw.get("control"), data["name"],
                          below)
            for other in seen.get(policy_id, ()):
                if entry.versions.overlaps(other.versions):
                    raise ConfigError(f"invalid profile: a second entry of {policy_id!r} for {entry.versions} overlaps "
                                      f"the one at {other.locate(())} ({other.versions}): at most one entry of a "
                                      "policy may apply at a version", below(()))
            seen.setdefault(policy_id, []).append(entry)
            yield entry


def _below(locate: Locate, prefix: JsonPath) -> Locate:
    return lambda where: locate((*prefix, *where))


def _replace(by_policy: dict[str, list[Entry]], entries: tuple[Entry, ...]) -> None:
    """`entries`, grouped by policy, replace what `by_policy` holds for their policies (and move them last)."""
    grouped: dict[str, list[Entry]] = {}
    for entry in entries:
        grouped.setdefault(entry.policy, []).append(entry)
    for policy_id, group in grouped.items():
        by_policy.pop(policy_id, None)
        by_policy[policy_id] = group


def _versions(raw: dict[str, str], below: Locate) -> Versions:
    """An entry's `kubernetes:` range; its ends are `1.N` (the schema says so), and may be newer than the versions
    this gitops-tools knows: a profile may already say what a coming release changes."""
    versions = Versions(*(KubernetesVersion(1, int(raw[end].split(".")[1])) if end in raw else None
                          for end in ("min", "max")))
    if versions.low is not None and versions.high is not None and versions.low > versions.high:
        raise ConfigError(f"invalid profile: kubernetes: min {versions.low} is newer than max {versions.high}",
                          below(("kubernetes", "min")))
    return versions


def _document(path: Path, meta: Any) -> tuple[dict[str, Any], Locate]:
    """The profile file at `path`, valid against its schema, with its name equal to the file's."""
    from gitops_tools.loading import load_user_file
    from gitops_tools.validation import first_violation

    documents = load_user_file(path, "profile file")
    if len(documents) != 1 or not isinstance(documents[0].data, dict):
        raise ConfigError("invalid profile: a profile file holds one YAML mapping", Location(str(path)))
    document = documents[0]

    def locate(where: JsonPath) -> Location:
        return Location(str(path), *document.locate(where)[:2])

    violation = first_violation(meta, document.data)
    if violation is not None:
        where = ".".join(map(str, violation.path))
        quote = " (quote a version: YAML reads 1.20 as the number 1.2)" if violation.path[-1:] in (
            ("min",), ("max",)) and not isinstance(_at(document.data, violation.path), str) else ""
        raise ConfigError(f"invalid profile: {where + ': ' if where else ''}{violation.message}{quote}",
                          locate(violation.path))
    data: dict[str, Any] = document.data
    if data["name"] != path.stem:
        raise ConfigError(f"invalid profile: name {data['name']!r} must equal the file name {path.stem!r}",
                          locate(("name",)))
    return data, locate


def _at(data: Any, path: JsonPath) -> Any:
    for step in path:
        data = data[step]
    return data


class Selection(NamedTuple):
    """What a run's profile decides: the policies with its parameters and severities put in, and the ids of the
    policies it runs at the run's target version."""

    profile: Profile
    policies: dict[str, Policy]
    ids: frozenset[str]


def select(profile: Profile, policies: Mapping[str, Policy], version: KubernetesVersion) -> Selection:
    """`policies` with the entries of `profile` that apply at `version` put in: their parameters become the policy's
    defaults (a config's `policies.<id>.parameters` still override them one by one), their severity its severity."""
    from gitops_tools.parameters import with_defaults

    result = dict(policies)
    applying = profile.at(version)
    for entry in applying:
        policy = result[entry.policy]
        if entry.parameters:
            policy = with_defaults(policy, entry.parameters, _below(entry.locate, ("parameters",)))
        if entry.severity is not None:
            policy = policy._replace(severity=entry.severity)
        result[entry.policy] = policy._replace(enabled=True)
    return Selection(profile, result, frozenset(entry.policy for entry in applying))


def run_profile(flag: str | None, config: Config, catalogue: Catalogue,
                version: KubernetesVersion) -> Selection | None:
    """The profile a run uses: `flag` (--profile: a name, or a path from the working directory, anywhere), else the
    config's `profile:` (a name, or a path from the config's folder, inside its repository); None without either."""
    if flag is None and config.profile is None:
        return None
    reader = profile_reader(config, catalogue, from_config=flag is None)
    profile = reader.profile(flag, Path.cwd(), None) if flag is not None else reader.profile(
        str(config.profile), config.root, config.profile_location)
    return select(profile, catalogue.profiled, version)


def profile_reader(config: Config, catalogue: Catalogue, *, from_config: bool = False) -> Reader:
    """A reader of the profiles the run's config can name: built-in, its packs', and files (inside its repository
    when the config names them)."""
    from gitops_tools.gitrepo import repository_root
    from gitops_tools.profilefinder import known_profiles

    packs = ((info.name, ref.folder) for info, ref in zip(catalogue.packs, config.packs, strict=True))
    boundary = (repository_root(config.root) or config.root) if from_config else None
    return Reader(known_profiles(packs), catalogue.profiled, boundary)
