"""Policy packs: the policies, parameters and profile a fleet shares, named by a config's `extend:`.

A pack is data, never code: a `pack.yaml` (checked by schemas/pack.schema.json) and an optional `policies/` folder of
policy files in the usual format, checked as custom policies are. Precedence, lowest first: the policy files' own
defaults, then each pack's `profile` and `parameters` in `extend` order (a later pack wins), then the config's own
`policies:` settings (applied later, by the run). A pack's policies record the pack version that introduced them
(`since`); an `extend` entry may pin them (`{pack: NAME, policy_set: X.Y.Z}`), while the config's `policy_set` (or,
without one, the last pack's) pins the built-in policies. Packs do not extend other packs: one flat, ordered list.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_tools.config import Config
from gitops_tools.errors import ConfigError
from gitops_tools.model import Catalogue, JsonPath, Location, PackInfo, Policy, Severity
from gitops_tools.packfinder import PACK_FILE, PackRef
from gitops_tools.resources import schema_path

POLICY_FOLDER = "policies"
Locate = Callable[[JsonPath], Location]


@dataclass(frozen=True)
class Pack:
    """One pack.yaml, read and checked; `locate` finds a path of it in the file (errors only)."""

    info: PackInfo
    folder: Path
    data: dict[str, Any]
    locate: Locate

    @property
    def policy_set(self) -> str | None:
        value = self.data.get("policy_set")
        return str(value) if value is not None else None


def read_pack(ref: PackRef) -> Pack:
    """The pack.yaml of `ref`, valid against its schema; every problem is a ConfigError at its line and column."""
    from gitops_tools.loading import load_user_file
    from gitops_tools.validation import SchemaEvaluator, first_violation

    path = _shown(ref.folder / PACK_FILE)
    documents = load_user_file(path, "pack file")
    if len(documents) != 1 or not isinstance(documents[0].data, dict):
        raise ConfigError("invalid pack file: a pack file holds one YAML mapping", Location(str(path)))
    document = documents[0]
    violation = first_violation(SchemaEvaluator(json.loads(schema_path("pack.schema.json").read_text("utf-8"))),
                                document.data)
    if violation is not None:
        where = ".".join(map(str, violation.path))
        raise ConfigError(f"invalid pack file: {where + ': ' if where else ''}{violation.message}",
                          Location(str(path), *document.locate(violation.path)[:2]))
    data: dict[str, Any] = document.data
    pack = Pack(PackInfo(data["name"], data["version"]), ref.folder, data,
                lambda where: Location(str(path), *document.locate(where)[:2]))
    if pack.policy_set is not None:
        from gitops_tools import __version__
        from gitops_tools.policyset import pin_problem

        problem = pin_problem(pack.policy_set, __version__)
        if problem is not None:
            raise ConfigError(f"invalid pack file: policy_set: {problem}", pack.locate(("policy_set",)))
    return pack


def _shown(path: Path) -> Path:
    """A pack file as errors and findings show it: relative to the working directory when it is inside it."""
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path


def load_catalogue(refs: Iterable[PackRef], extra_dirs: tuple[Path, ...] = ()) -> Catalogue:
    """Built-in policies, the packs' and those of `extra_dirs`, with the packs' profiles and parameters applied."""
    from gitops_tools.policies import load_policies

    packs: list[Pack] = []
    for ref in refs:
        pack = read_pack(ref)
        twin = next((other for other in packs if other.info.name == pack.info.name), None)
        if twin is not None:
            raise ConfigError(f"two packs are named {pack.info.name!r}: {twin.folder} and {pack.folder}", ref.location)
        packs.append(pack)
    folders = [(pack.info, pack.folder / POLICY_FOLDER) for pack in packs if (pack.folder / POLICY_FOLDER).is_dir()]
    declared = load_policies(extra_dirs, folders)
    profiled = declared
    for pack in packs:
        profiled = apply_pack(profiled, pack)
    policy_set = next((pack.policy_set for pack in reversed(packs) if pack.policy_set is not None), None)
    return Catalogue(declared, profiled, policy_set, tuple(pack.info for pack in packs))


def apply_pack(policies: Mapping[str, Policy], pack: Pack) -> dict[str, Policy]:
    """`policies` with `pack`'s profile (enabled, disabled, severity) and parameter values put in."""
    from gitops_tools.aliases import alias_map
    from gitops_tools.parameters import with_defaults

    aliases = alias_map(policies.values())
    result = dict(policies)

    def target(policy_id: str, where: JsonPath) -> str:
        current = aliases.get(policy_id, policy_id)
        if current not in result:
            raise ConfigError(f"invalid pack file: {policy_id!r} is not a policy id (built-in, or of a pack "
                              f"extended so far)", pack.locate(where))
        return current

    profile: dict[str, Any] = pack.data.get("profile", {})
    for state in ("enabled", "disabled"):
        for index, policy_id in enumerate(profile.get(state, ())):
            if policy_id in profile.get("disabled" if state == "enabled" else "enabled", ()):
                raise ConfigError(f"invalid pack file: {policy_id!r} is both enabled and disabled",
                                  pack.locate(("profile", state, index)))
            current = target(policy_id, ("profile", state, index))
            result[current] = result[current]._replace(enabled=state == "enabled")
    for policy_id, severity in profile.get("severity", {}).items():
        current = target(policy_id, ("profile", "severity", policy_id))
        result[current] = result[current]._replace(severity=Severity.parse(severity))
    for policy_id, values in pack.data.get("parameters", {}).items():
        current = target(policy_id, ("parameters", policy_id))
        result[current] = with_defaults(result[current], values, _below(pack.locate, ("parameters", policy_id)))
    return result


def _below(locate: Locate, prefix: JsonPath) -> Locate:
    return lambda where: locate((*prefix, *where))


def with_packs(config: Config, catalogue: Catalogue) -> Config:
    """`config` with the pins its packs need: each `extend` entry's pin of its pack's policies (checked against the
    pack's version), and the last pack's `policy_set` when the config sets none."""
    from gitops_tools.policyset import parse_version

    pins: dict[str, str] = {}
    for ref, info in zip(config.packs, catalogue.packs, strict=True):
        if ref.pin is None:
            continue
        try:
            newer = parse_version(ref.pin) > parse_version(info.version)
        except ValueError as err:
            raise ConfigError(f"invalid config: extend: policy_set: {err}", ref.pin_location) from err
        if newer:
            raise ConfigError(f"invalid config: extend: policy_set {ref.pin} is newer than the pack, {info}",
                              ref.pin_location)
        pins[info.name] = ref.pin
    return config._replace(policy_set=config.policy_set or catalogue.policy_set, pack_pins=pins)
