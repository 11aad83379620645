"""`gitops-tools exemptions`: every exemption (config, annotations, inline suppressions) with its reason and expiry."""

from __future__ import annotations

import argparse
from typing import BinaryIO, TextIO

from gitops_tools.commands import config_of, write_listing
from gitops_tools.errors import EXIT_CLEAN


def run(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None) -> int:
    """Every exemption (config, annotations, inline suppressions) with its reason and expiry, for audits."""
    from gitops_tools.exemption_audit import list_exemptions, text_listing

    items = list_exemptions(args.paths, config_of(args))
    write_listing(out, args.format, "exemptions", [item.as_dict() for item in items], text_listing(items))
    return EXIT_CLEAN
