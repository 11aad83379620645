"""`gitops-tools explain ID`: one policy's documentation."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, BinaryIO, TextIO

from gitops_tools.commands import config_of, open_cache, policies_of
from gitops_tools.errors import EXIT_CLEAN, ConfigError

if TYPE_CHECKING:
    from gitops_tools.config import Config
    from gitops_tools.model import Catalogue


def run(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None) -> int:
    from gitops_tools.ruledocs import explain_text

    config = config_of(args)
    config, catalogue = policies_of(config, args, open_cache(config))
    policies = catalogue.profiled
    policy = policies.get(args.policy_id)
    if policy is None:
        import difflib

        close = difflib.get_close_matches(args.policy_id, policies, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `gitops-tools rules`"
        raise ConfigError(f"unknown policy {args.policy_id!r}{hint}")
    out.write(explain_text(policy, _profiles(policy.id, config, catalogue)))
    return EXIT_CLEAN


def _profiles(policy_id: str, config: Config, catalogue: Catalogue) -> tuple[str, ...]:
    """The profiles (built-in, and those of the config's packs) with an entry for the policy, at any version, each
    with the controls it implements there."""
    from gitops_tools.profiles import profile_reader

    reader = profile_reader(config, catalogue)
    found = []
    for name in sorted(reader.known):
        entries = [entry for entry in reader.profile(name, config.root, None).entries if entry.policy == policy_id]
        controls = sorted({entry.control for entry in entries if entry.control})
        if entries:
            found.append(f"{name} ({', '.join(controls)})" if controls else name)
    return tuple(found)
