"""`gitops-tools link`: record the scaffold and answers of a repo without a usable state file (see lifecycle/link.py),
then commit the state file and the merge base."""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import BinaryIO, TextIO

from gitops_tools.errors import EXIT_CLEAN

SHOWN = 20  # differing or missing files listed by name; more are counted


def run(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None) -> int:
    from gitops_tools.commands.new import _answers_file, _set_answers
    from gitops_tools.lifecycle import worktree
    from gitops_tools.lifecycle.apply import apply
    from gitops_tools.lifecycle.base import BASE_FILE, archive
    from gitops_tools.lifecycle.link import describe, link
    from gitops_tools.lifecycle.source import open_source
    from gitops_tools.lifecycle.state import STATE_FILE, dumps, read_state
    from gitops_tools.lifecycle.tree import Entry, read_tree
    from gitops_tools.questionnaire import terminal_prompt

    repo = worktree.work_tree(args.path)
    worktree.refuse_dirty(repo, "link")
    state_path = repo / STATE_FILE
    existing = read_state(repo) if state_path.exists() or state_path.is_symlink() else None
    given = {**_answers_file(args.answers), **_set_answers(args.answers_set)}
    prompt = terminal_prompt(stdin, out, no_input=args.no_input)
    with open_source(args.template) as found:
        if args.trust:
            found = replace(found, trusted=True)
        linked = link(read_tree(repo), existing, args.scaffold, args.version, given, found, prompt)
        where = describe(found)
    apply(repo, {STATE_FILE: Entry(dumps(linked.state).encode("utf-8")), BASE_FILE: Entry(archive(linked.base))})
    worktree.stage(repo, [STATE_FILE, BASE_FILE])
    out.write(f"Linked {repo} to scaffold {linked.state.scaffold} {linked.state.version} from {where}.\n")
    out.write(f"The render matches the repo in {len(linked.same)} of {len(linked.base)} files")
    changed = [("differs", path) for path in linked.differ] + [("missing", path) for path in linked.missing]
    if changed:
        out.write(f"; {len(linked.differ)} differ, {len(linked.missing)} missing (local edits, or answers other than "
                  "the ones the repo was made with):\n")
        out.writelines(f"  {kind:<8} {path}\n" for kind, path in changed[:SHOWN])
        if len(changed) > SHOWN:
            out.write(f"  ... and {len(changed) - SHOWN} more\n")
    else:
        out.write(".\n")
    if args.no_commit:
        out.write(f"Staged {STATE_FILE} and {BASE_FILE}; not committed (--no-commit).\n")
        return EXIT_CLEAN
    commit = worktree.commit(repo, f"Link scaffold {linked.state.scaffold} {linked.state.version}\n\n"
                                   f"Recorded by gitops-tools link from {where}: answers in {STATE_FILE}, what "
                                   f"that version renders in {BASE_FILE} (the merge base of later updates).")
    out.write(f"Recorded in commit {commit[:12]}.\n")
    return EXIT_CLEAN
