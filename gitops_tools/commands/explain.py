"""`gitops-tools explain ID`: one policy's documentation."""

from __future__ import annotations

import argparse
from typing import BinaryIO, TextIO

from gitops_tools.commands import config_of, open_cache, policies_of
from gitops_tools.errors import EXIT_CLEAN, ConfigError


def run(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None) -> int:
    from gitops_tools.ruledocs import explain_text

    config = config_of(args)
    policies = policies_of(config, args, open_cache(config))[1].profiled
    policy = policies.get(args.policy_id)
    if policy is None:
        import difflib

        close = difflib.get_close_matches(args.policy_id, policies, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `gitops-tools rules`"
        raise ConfigError(f"unknown policy {args.policy_id!r}{hint}")
    out.write(explain_text(policy))
    return EXIT_CLEAN
