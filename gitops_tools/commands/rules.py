"""`gitops-tools rules`: the policies, one per line (or the markdown catalogue), a check of their examples, the
profiles, or the policies of one profile."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, BinaryIO, TextIO

from gitops_tools.commands import config_of, open_cache, policies_of
from gitops_tools.errors import EXIT_CLEAN, EXIT_FINDINGS, ConfigError

if TYPE_CHECKING:
    from gitops_tools.config import Config
    from gitops_tools.model import Catalogue


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
    if args.profiles or args.profile is not None:
        if args.format != "text":
            raise ConfigError(f"--profile and --profiles print text, not {args.format!r}")
        out.write(_profiles(config, catalogue) if args.profiles else _profile(args, config, catalogue))
    elif args.format == "markdown":
        out.write(markdown_catalogue(policies.values()))
    else:
        for policy in sorted(policies.values(), key=lambda p: p.id):
            out.write(rule_line(policy, config.pin_for(policy)) + "\n")
    return EXIT_CLEAN


def _profiles(config: Config, catalogue: Catalogue) -> str:
    """Every profile --profile can name: name, title, who ships it, and how many entries it has (extends
    included)."""
    from gitops_tools.profiles import profile_reader

    reader = profile_reader(config, catalogue)
    lines = []
    for name, known in sorted(reader.known.items()):
        profile = reader.profile(name, config.root, None)
        source = "built-in" if known.pack is None else f"pack {known.pack}"
        lines.append(f"{name:<32} {profile.title}  ({source}, {len(profile.entries)} entries)\n")
    return "".join(lines)


def _profile(args: argparse.Namespace, config: Config, catalogue: Catalogue) -> str:
    """The policies the profile runs at the target version (as `lint --profile` would), each with the control it
    implements and the versions its entry applies to."""
    from pathlib import Path

    from gitops_tools.kubeversion import target_version
    from gitops_tools.profiles import Versions, profile_reader, select
    from gitops_tools.ruledocs import rule_line

    version = target_version(args.kubernetes_version, config.kubernetes_version)
    profile = profile_reader(config, catalogue).profile(args.profile, Path.cwd(), None)
    selection = select(profile, catalogue.profiled, version)
    lines = []
    for entry in sorted(profile.at(version), key=lambda entry: entry.policy):
        policy = selection.policies[entry.policy]
        notes = [f"control: {entry.control}"] if entry.control else []
        notes += [f"kubernetes {entry.versions}"] if entry.versions != Versions() else []
        line = rule_line(policy, config.pin_for(policy))
        lines.append(f"{line}  ({'; '.join(notes)})\n" if notes else f"{line}\n")
    return "".join(lines)
