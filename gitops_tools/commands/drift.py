"""`gitops-tools drift`: is a generated repo behind its scaffold, and where has it diverged (lifecycle/drift.py)."""

from __future__ import annotations

import argparse
from typing import BinaryIO, TextIO

from gitops_tools.errors import EXIT_CLEAN, EXIT_FINDINGS


def run(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None) -> int:
    from gitops_tools.lifecycle import worktree
    from gitops_tools.lifecycle.drift import measure
    from gitops_tools.lifecycle.driftformats import FORMATS
    from gitops_tools.lifecycle.source import open_source
    from gitops_tools.lifecycle.upstream import available_layers, read_repo, upstream

    repo = worktree.work_tree(args.path)
    current = read_repo(repo)
    with open_source(args.template) as source:
        layers = available_layers(current.state, source)
        theirs = None
        if any(layer.behind for layer in layers):
            theirs = upstream(current, source, {}, None, trust=args.trust).theirs
    drift = measure(layers, current.base, current.ours, theirs, diff=args.diff)
    FORMATS[args.format](drift, out, args.strict)
    return EXIT_FINDINGS if drift.failed(args.strict) else EXIT_CLEAN
