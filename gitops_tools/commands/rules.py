"""`gitops-tools rules`: the policies, one per line (or the markdown catalogue), or a check of their examples."""

from __future__ import annotations

import argparse
from typing import BinaryIO, TextIO

from gitops_tools.commands import config_of, open_cache, policies_of
from gitops_tools.errors import EXIT_CLEAN, EXIT_FINDINGS


def run(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None) -> int:
    from gitops_tools.ruledocs import markdown_catalogue, rule_line

    config = config_of(args)
    config, catalogue = policies_of(config, args, open_cache(config))
    policies = catalogue.profiled
    if args.check:
        from gitops_tools.examples import check_examples

        failures = [str(failure) for failure in check_examples(catalogue.declared)]
        out.writelines(f"{failure}\n" for failure in failures)
        out.write(f"{len(policies)} policies checked, {len(failures)} example(s) disagree.\n")
        return EXIT_FINDINGS if failures else EXIT_CLEAN
    if args.format == "markdown":
        out.write(markdown_catalogue(policies.values()))
    else:
        for policy in sorted(policies.values(), key=lambda p: p.id):
            out.write(rule_line(policy, config.pin_for(policy)) + "\n")
    return EXIT_CLEAN
