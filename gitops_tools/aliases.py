"""Renamed policies: a policy's `aliases` are its former ids, and wherever a user names a policy (an inline
suppression, an exemption annotation, a config `policies:` entry, --select/--ignore) a former id means the policy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gitops_tools.config import Config
from gitops_tools.errors import ConfigError
from gitops_tools.model import Policy


def alias_map(policies: Iterable[Policy]) -> dict[str, str]:
    """Former id -> current id."""
    return {alias: policy.id for policy in policies for alias in policy.aliases}


def current_ids(ids: Iterable[str], aliases: Mapping[str, str]) -> frozenset[str]:
    """`ids` with every former id replaced by the current one."""
    return frozenset(aliases.get(policy_id, policy_id) for policy_id in ids)


def known_ids(policies: Mapping[str, Policy]) -> list[str]:
    """Every id a user may name: the policies' ids and their former ids."""
    return [*policies, *alias_map(policies.values())]


def current_patterns(patterns: tuple[str, ...], aliases: Mapping[str, str]) -> tuple[str, ...]:
    """--select/--ignore patterns with a former id replaced by the current one (globs match current ids)."""
    return tuple(aliases.get(pattern, pattern) for pattern in patterns)


def current_config(config: Config, policies: Mapping[str, Policy]) -> Config:
    """`config` with its `policies:` entries keyed by current ids; an entry under a former id and one under the
    current id of the same policy are a config error at the former one."""
    aliases = alias_map(policies.values())
    if not any(policy_id in aliases for policy_id in config.policies):
        return config
    settings = {}
    for policy_id, entry in config.policies.items():
        current = aliases.get(policy_id, policy_id)
        if current in settings or (current != policy_id and current in config.policies):
            raise ConfigError(f"invalid config: policies: {policy_id!r} is the former id of {current!r}, which is "
                              "configured too: keep one entry, under the current id",
                              config.policy_locations.get(policy_id))
        settings[current] = entry
    return config._replace(policies=settings)
