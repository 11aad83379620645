"""`gitops-tools new`: a repository from a scaffold, or the list of scaffolds, or one scaffold's questions."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import BinaryIO, TextIO

from gitops_tools.errors import EXIT_CLEAN, ConfigError


def run(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None) -> int:
    from gitops_tools.questionnaire import listing, resolve_answers, terminal_prompt
    from gitops_tools.scaffold import available_scaffolds, render

    scaffolds = available_scaffolds()
    if args.scaffold is None:
        if args.list_questions:
            raise ConfigError("--list-questions needs a scaffold name, e.g. gitops-tools new service --list-questions")
        for name, listed in scaffolds.items():
            out.write(f"{name:<16} {listed.version:<8} {listed.description}\n")
        return EXIT_CLEAN
    scaffold = scaffolds.get(args.scaffold)
    if scaffold is None:
        raise ConfigError(f"unknown scaffold {args.scaffold!r}; available: {', '.join(scaffolds)}")
    if args.list_questions:
        out.write(listing(scaffold))
        return EXIT_CLEAN
    given = {**_answers_file(args.answers), **_set_answers(args.answers_set)}
    answers = resolve_answers(scaffold, given, terminal_prompt(stdin, out, no_input=args.no_input))
    from gitops_tools import __version__

    target, commit = render(scaffold, answers, args.output_dir, force=args.force, git=not args.no_git,
                            source={"kind": "package", "location": "gitops-tools", "ref": __version__, "commit": None})
    out.write(f"Created {target} from scaffold {scaffold.name} {scaffold.version}.\n")
    if commit is not None:
        out.write(f"Initialised a git repository with commit {commit[:12]}.\n")
    return EXIT_CLEAN


def _set_answers(pairs: list[str]) -> dict[str, str]:
    answers = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {pair!r}: expected KEY=VALUE")
        answers[key.strip()] = value
    return answers


def _answers_file(path: Path | None) -> dict[str, str]:
    """Answers from a YAML/JSON mapping, or from the `answers` of a .scaffold.json state file."""
    if path is None:
        return {}
    from gitops_tools.loading import load_user_file

    documents = load_user_file(path, "answers file")
    data = documents[0].data if len(documents) == 1 else None
    if isinstance(data, dict) and isinstance(data.get("answers"), dict) and "scaffold" in data:
        data = data["answers"]
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise ConfigError(f"answers file {path} must hold one mapping of question to answer")
    return {key: str(value) for key, value in data.items()}
