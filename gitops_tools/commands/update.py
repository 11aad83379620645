"""`gitops-tools update`: merge the scaffold's version available now into a generated repo (see lifecycle/update.py)."""

from __future__ import annotations

import argparse
from typing import BinaryIO, TextIO

from gitops_tools.errors import EXIT_CLEAN, EXIT_FINDINGS


def run(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None) -> int:
    from gitops_tools.commands.new import _set_answers
    from gitops_tools.lifecycle import worktree
    from gitops_tools.lifecycle.apply import apply
    from gitops_tools.lifecycle.merge import merge
    from gitops_tools.lifecycle.migrations import work_tree_changes
    from gitops_tools.lifecycle.source import open_source
    from gitops_tools.lifecycle.update import Outcome, labels, plan_lines
    from gitops_tools.lifecycle.upstream import read_repo, state_files, upstream
    from gitops_tools.questionnaire import terminal_prompt

    repo = worktree.work_tree(args.path)
    worktree.refuse_dirty(repo, "update")
    current = read_repo(repo)
    prompt = terminal_prompt(stdin, out, no_input=args.no_input)
    with open_source(args.template) as source:
        new = upstream(current, source, _set_answers(args.answers_set), prompt, trust=args.trust)
    old = current.state
    merged = merge(new.base, new.ours, new.theirs, labels(old, new.state))
    writes, deletes = work_tree_changes(current.ours, new.ours, merged.writes, merged.deletes)
    outcome = Outcome(old.scaffold, old.version, new.state.version, merged, writes, deletes, dict(old.answers),
                      dict(new.state.answers), new.steps, old.components, new.state.components)
    if not outcome.changed:
        out.write(f"{old.scaffold} {old.version} is up to date; nothing to do.\n")
        return EXIT_CLEAN
    out.write("".join(line + "\n" for line in plan_lines(outcome)))
    conflicted = [conflict.path for conflict in merged.conflicts]
    if args.dry_run:
        out.write(f"Dry run: nothing was changed{'; the update would conflict' if conflicted else ''}.\n")
        return EXIT_FINDINGS if conflicted else EXIT_CLEAN
    files = state_files(new.state, new.theirs)
    apply(repo, {**writes, **files}, deletes)
    worktree.stage(repo, sorted({*writes, *files, *deletes} - set(conflicted)))
    if conflicted:
        out.write(f"{len(conflicted)} conflict{'s' if len(conflicted) != 1 else ''} left in the work tree, marked "
                  "<<<<<<< ours (repo) / ||||||| base / >>>>>>> theirs; resolve, then commit:\n")
        out.write("".join(f"  {path}\n" for path in conflicted))
        return EXIT_FINDINGS
    if args.no_commit:
        out.write("Staged; not committed (--no-commit).\n")
        return EXIT_CLEAN
    commit = worktree.commit(repo, f"{outcome.headline()}\n\nMerged by gitops-tools update; merge base in "
                                   ".scaffold-base.tar.gz.")
    out.write(f"Committed the update as commit {commit[:12]}.\n")
    return EXIT_CLEAN
