from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn

import pytest
from hypothesis import settings

from gitops_tools.cli import main
from gitops_tools.config import Config
from gitops_tools.findings import Finding
from gitops_tools.lifecycle.components import answers_for, apply, available_components, own_answers
from gitops_tools.lifecycle.tree import Tree, read_folder
from gitops_tools.lint import LintOptions, LintResult, lint
from gitops_tools.model import Policy
from gitops_tools.policies import load_policies
from gitops_tools.scaffold import STATE_FILE

# Property-based tests: a bounded run in `make test`, a short one in `make check` (the inner loop), tens of thousands
# of examples in `make fuzz`.
settings.register_profile("default", max_examples=150, deadline=None)
settings.register_profile("check", max_examples=20, deadline=None)
settings.register_profile("fuzz", max_examples=20_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session", autouse=True)
def _policy_cache_in_a_scratch_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The built-in policy cache of every run the tests make (in-process and child processes) goes to a folder of the
    session's own, never the user's ~/.cache."""
    os.environ["GITOPS_TOOLS_CACHE_DIR"] = str(tmp_path_factory.mktemp("policy-cache"))


def configmap_labels_policy(policy_id: str, extra: str = "") -> str:
    """A custom policy file failing every ConfigMap without labels; `extra` holds more top-level lines (`since:`...)."""
    return f"""\
id: {policy_id}
title: ConfigMaps carry labels
severity: warning
{extra}message: configmap has no labels
targets:
  scope: document
  kinds: [ConfigMap]
schema:
  required: [metadata]
  properties:
    metadata:
      required: [labels]
docs: |
  Labels say which team owns a ConfigMap; without them nobody answers for it.
examples:
  pass: ["apiVersion: v1\\nkind: ConfigMap\\nmetadata: {{name: a, labels: {{team: x}}}}\\n"]
  fail: ["apiVersion: v1\\nkind: ConfigMap\\nmetadata: {{name: a}}\\n"]
"""


CliRun = Callable[..., tuple[int, str, str]]
Files = Mapping[str, str | bytes]
FileWriter = Callable[[Files], list[Path]]
TreeLint = Callable[..., LintResult]
ProcessRun = Callable[..., subprocess.CompletedProcess[str]]
Spot = tuple[str, int, int, str]

def git(repo: Path, *args: str) -> str:
    """A git command run in `repo` with a test identity (commits need one), bounded; its output without the final
    line break. A failing command fails the test (CalledProcessError)."""
    done = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo,
                          check=True, capture_output=True, text=True, timeout=60)
    return done.stdout.removesuffix("\n")


def repo_files(root: Path) -> dict[str, bytes]:
    """Every file under `root` but git's own, by path: what a test compares to show a command touched nothing."""
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*"))
            if path.is_file() and ".git" not in path.relative_to(root).parts}


CONSOLE_SCRIPT = Path(sys.executable).with_name("gitops-tools")
VENV_BIN = Path(sys.executable).parent  # the test extra's binaries (kubectl, go, actionlint, shellcheck) land here
# checkov's own virtualenv inside ours (the Makefile makes it: its pinned dependencies clash with ours)
CHECKOV_BIN = VENV_BIN.parent / "checkov" / "bin"
ToolFinder = Callable[[str], str]
ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
ReadmeSnippet = Callable[[str, str], str]


Render = Callable[[str, str, list[str]], Path]


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Render:
    """`rendered(scaffold, variant, answers)`: the repository `gitops-tools new` makes (in-process) from `answers`,
    rendered once per session (per xdist worker) for every module that asks for it: treat it as read-only (copy it
    to change it)."""
    cache: dict[tuple[str, str], Path] = {}

    def render(scaffold: str, variant: str, answers: list[str]) -> Path:
        if (scaffold, variant) not in cache:
            out = tmp_path_factory.mktemp(f"{scaffold}-{variant}")
            sets = [arg for answer in answers for arg in ("--set", answer)]
            stdout, stderr = io.StringIO(), io.StringIO()
            code = main(["new", scaffold, "--no-input", "-o", str(out), *sets], stdout, stderr)
            assert code == 0, stderr.getvalue()
            (target,) = [path for path in out.iterdir() if path.is_dir()]
            assert f"Created {target}" in stdout.getvalue()
            cache[scaffold, variant] = target
        return cache[scaffold, variant]

    return render


Components = Callable[[str, list[str]], Path]


def add_components(tree: Tree, scaffold_answers: dict[str, Any], names: Iterable[str]) -> Tree:
    """`tree` (a service repo's files) with each named add-on component applied as `gitops-tools add --no-input`
    applies it: the scaffold's answers it requires, its own questions' defaults."""
    components = available_components(ROOT)
    for name in names:
        component = components[name]
        own = own_answers(component, scaffold_answers, {}, None)  # `add`'s own: no prompt, so the defaults
        tree = apply(tree, component.path, answers_for(component, scaffold_answers, own), trust=True)
    return tree


def write_tree(tree: Tree, root: Path) -> Path:
    """The files of `tree` written under `root`."""
    for path, entry in tree.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(entry.data)
    return root


@pytest.fixture(scope="session")
def with_every_component(rendered: Render, tmp_path_factory: pytest.TempPathFactory) -> Components:
    """`with_every_component(variant, answers)`: a copy of the session's render of that service variant with every
    add-on component (scaffolds/components/) added as `gitops-tools add --no-input` adds it, made once per session
    (per xdist worker) for every test that asks for it: read-only, like `rendered`."""
    cache: dict[str, Path] = {}

    def add(variant: str, answers: list[str]) -> Path:
        if variant not in cache:
            source = rendered("service", variant, answers)
            repo = tmp_path_factory.mktemp(f"components-{variant}") / source.name
            shutil.copytree(source, repo, symlinks=True)
            scaffold_answers = json.loads((repo / STATE_FILE).read_text(encoding="utf-8"))["answers"]
            cache[variant] = write_tree(add_components(read_folder(repo), scaffold_answers,
                                                       sorted(available_components(ROOT))), repo)
        return cache[variant]

    return add


def lints_clean(cwd: Path, *options: str, stream: str | None = None) -> None:
    """`gitops-tools lint --fail-on info` run in-process from `cwd` (its config applies) on `.`, or on `stream` given
    as standard input (`-`): no finding, else the test fails with the report. In-process: a child interpreter per
    lint cost the scaffold tests about 0.5 s each, hundreds of times."""
    out, err = io.StringIO(), io.StringIO()
    source = io.BytesIO(stream.encode("utf-8")) if stream is not None else None
    with contextlib.chdir(cwd):
        code = main(["lint", "--fail-on", "info", *options, "-" if stream is not None else "."], out, err, source)
    assert code == 0, out.getvalue() + err.getvalue()


@pytest.fixture(scope="session")
def policies() -> dict[str, Policy]:
    return load_policies()


def call_cli(*argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process from the current folder: exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRun:
    """Run the CLI in-process from `tmp_path` and capture exit code, stdout and stderr."""
    monkeypatch.chdir(tmp_path)
    return call_cli


@pytest.fixture
def lint_text(tmp_path: Path, policies: dict[str, Policy]) -> Callable[..., LintResult]:
    """Write `text` to a file under tmp_path and lint it with the built-in policies."""

    def run(text: str, name: str = "manifest.yaml", **options: Any) -> LintResult:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return lint([str(path)], Config(root=tmp_path), policies, LintOptions(**options))

    return run


@pytest.fixture
def write_files(tmp_path: Path) -> FileWriter:
    """Write `{relative path: text or bytes}` under tmp_path (text as UTF-8, newlines untouched)."""

    def write(files: Files) -> list[Path]:
        written = []
        for name, content in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
            written.append(path)
        return written

    return write


@pytest.fixture
def lint_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policies: dict[str, Policy],
              write_files: FileWriter) -> TreeLint:
    """Write files under tmp_path, then lint them from tmp_path, so findings carry relative paths.

    `lint_tree(files, *paths, config=None, **options)`: `paths` default to every written file; `options` are
    LintOptions fields (select, ignore, severity_threshold).
    """
    monkeypatch.chdir(tmp_path)

    def run(files: Files, *paths: str, config: Config | None = None, **options: Any) -> LintResult:
        write_files(files)
        targets = list(paths) if paths else list(files)
        return lint(targets, config or Config(root=tmp_path), policies, LintOptions(**options))

    return run


@pytest.fixture
def spots() -> Callable[[LintResult], list[Spot]]:
    """(path, line, col, policy id) of every finding, in reported order: the shape most assertions compare."""

    def summarise(result: LintResult) -> list[Spot]:
        return [_spot(finding) for finding in result.findings]

    return summarise


def _spot(finding: Finding) -> Spot:
    loc = finding.location
    return (loc.path, loc.line, loc.col, finding.policy_id)


@pytest.fixture
def without_file_permissions(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A command prefix under which file modes bind: as root, the capabilities that bypass them are dropped from
    the bounding set (setpriv), so `chmod 000` means no access, as for any other user. Empty when not root."""
    if os.geteuid() != 0:
        return []
    prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    locked = tmp_path_factory.mktemp("locked") / "locked.txt"
    locked.write_text("secret\n", encoding="utf-8")
    locked.chmod(0)
    try:
        works = subprocess.run([*prefix, "test", "-r", str(locked)], check=False, timeout=30).returncode == 1
    except OSError:
        works = False
    if not works:
        unavailable("cannot drop root's file-permission bypass with setpriv here")
    return prefix


def unavailable(message: str) -> NoReturn:
    """A test cannot run here: under CI=true that is a failure (CI installs everything), elsewhere a skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def tool_path() -> str:
    """PATH with the venv's bin folder first, then checkov's, for external tools and the tools they run (actionlint:
    shellcheck)."""
    return os.pathsep.join([str(VENV_BIN), str(CHECKOV_BIN), os.environ.get("PATH", os.defpath)])


@pytest.fixture(scope="session")
def external_tool() -> ToolFinder:
    """`external_tool(name)`: the path of an external program a test runs, from the venv's bin folder (the test
    extra installs kubectl, go, actionlint and shellcheck there from wheels) or checkov's virtualenv in it (`make
    install` makes it), else the PATH. Missing: the test fails under CI=true and is skipped elsewhere."""

    def find(name: str) -> str:
        found = shutil.which(name, path=tool_path())
        if found is None:
            unavailable(f"{name} is neither in {VENV_BIN} nor {CHECKOV_BIN} nor on the PATH (pip install -e '.[test]' "
                        "installs it; make install, checkov)")
        return found

    return find


@pytest.fixture(params=["console-script", "module"])
def cli_command(request: pytest.FixtureRequest) -> list[str]:
    """The installed `gitops-tools` script, and `python -m gitops_tools`: both must behave the same."""
    if request.param == "console-script":
        return [str(CONSOLE_SCRIPT)]
    return [sys.executable, "-m", "gitops_tools"]


@pytest.fixture
def run_process(tmp_path: Path, cli_command: list[str]) -> ProcessRun:
    """Run the CLI as a real subprocess in tmp_path; `stdin` is sent as the process's standard input."""
    env = {key: value for key, value in os.environ.items() if key != "GITOPS_TOOLS_DEBUG"}

    def run(*argv: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cli_command, *argv], cwd=tmp_path, input=stdin, capture_output=True, text=True,
                              timeout=timeout, env=env, check=False)

    return run


@pytest.fixture(scope="session")
def readme_snippet() -> ReadmeSnippet:
    """`readme_snippet(section, name)`: the fenced block under README's `## <section>` that starts with `# <name>`.

    Copy-paste snippets name the file they belong in on their first line; tests run or validate them as written.
    """
    text = README.read_text(encoding="utf-8")

    def find(section: str, name: str) -> str:
        _, found, rest = text.partition(f"\n## {section}\n")
        assert found, f"README.md has no section {section!r}"
        body = rest.split("\n## ", 1)[0]
        for block in re.findall(r"^```[a-z]*\n(.*?)^```$", body, flags=re.MULTILINE | re.DOTALL):
            if block.split("\n", 1)[0].split()[:2] == ["#", name]:
                return str(block)
        raise AssertionError(f"README.md section {section!r} has no snippet starting with '# {name}'")

    return find


FixtureLint = Callable[..., LintResult]


@pytest.fixture
def lint_fixture(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 policies: dict[str, Policy]) -> FixtureLint:
    """`lint_fixture(name, **options)` lints a copy of the fixture repository `<the test module's FIXTURES>/<name>`
    from inside it (so findings name files as the repository does, and local includes resolve from its root);
    `options` are LintOptions fields."""
    fixtures: Path = request.module.FIXTURES

    def run(name: str, **options: Any) -> LintResult:
        shutil.copytree(fixtures / name, tmp_path / name)
        monkeypatch.chdir(tmp_path / name)
        return lint(["."], Config(root=tmp_path / name), policies, LintOptions(**options))

    return run


def sorted_spots(result: LintResult) -> list[Spot]:
    """Each finding as (path, line, column, policy id), sorted."""
    return sorted((f.location.path, f.location.line, f.location.col, f.policy_id) for f in result.findings)


def folder_spots(folder: Path, policies: dict[str, Policy]) -> list[Spot]:
    """Each finding of linting `folder` in place, as (path from the folder, line, column, policy id), as reported."""
    result = lint([str(folder)], Config(root=folder), policies, LintOptions())
    return [(Path(f.location.path).relative_to(folder).as_posix(), f.location.line, f.location.col, f.policy_id)
            for f in result.findings]
