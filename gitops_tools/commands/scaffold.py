"""`gitops-tools scaffold test SCAFFOLD`: every variant of a scaffold (or component) renders and lints clean, and an
upgrade from its previous release keeps local edits without a conflict (lifecycle/scaffoldtest.py decides what is
run). Here: the template source, the commands it runs in-process (lint, add, update, drift), the report."""

from __future__ import annotations

import argparse
import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

from gitops_tools.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, ConfigError, GitopsToolsError


def run(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None) -> int:
    from gitops_tools.lifecycle.scaffoldtest import Plan, run_plan

    if args.template is not None and Plan(Path(), args.scaffold).component:
        raise ConfigError("--template: a component is tested as `gitops-tools add` applies it, from this "
                          "installation's components; test it without --template")
    with _template_root(args.template, args.trust) as root, tempfile.TemporaryDirectory(
            prefix="gitops-tools-scaffold-test-") as work:
        outcomes = []
        plan = Plan(root, args.scaffold, args.template, args.previous, args.trust)
        for outcome in run_plan(plan, Path(work), command):
            outcomes.append(outcome)
            out.write(f"{'FAILED' if outcome.failed else 'skipped' if outcome.skipped else 'ok':<7} {outcome.name}\n")
            if outcome.failed:
                out.writelines(f"    {line}\n" for line in outcome.report.splitlines())
    failed = sum(outcome.failed for outcome in outcomes)
    skipped = sum(outcome.skipped for outcome in outcomes)
    out.write(f"{len(outcomes) - failed - skipped} passed, {failed} failed, {skipped} skipped.\n")
    return EXIT_FINDINGS if failed else EXIT_CLEAN


def command(argv: list[str]) -> tuple[int, str]:
    """Run one gitops-tools command line in-process: its exit code, and what it wrote (output, then errors)."""
    import importlib

    from gitops_tools.arguments import ParserExit, UsageError, parse

    out, err = io.StringIO(), io.StringIO()
    try:
        args = parse(argv, out)
        code = int(importlib.import_module(f"gitops_tools.commands.{args.command}").run(args, out, err, None))
    except (UsageError, ParserExit) as error:
        code = EXIT_USAGE
        err.write(f"{error}\n")
    except GitopsToolsError as error:
        code = EXIT_USAGE
        err.write("gitops-tools: error: " + "\n  ".join([error.headline(), *error.details]) + "\n")
    return code, out.getvalue() + err.getvalue()



@contextmanager
def _template_root(spec: str | None, trust: bool) -> Iterator[Path]:
    """The folder holding scaffolds/ of the source under test (lifecycle/source.py). Its variants are rendered as
    `new` renders them, hooks included: a source whose hooks are not this project's own needs --trust."""
    from gitops_tools.lifecycle.source import open_source

    with open_source(spec) as source:
        if not (source.trusted or trust):
            raise ConfigError(f"--template {spec}: its hooks or extensions are not this project's own, and testing "
                              "it runs them; pass --trust if you trust it")
        yield source.scaffolds.parent
