"""Which files a lint run reads: Helm templates, git-ignored files, special files, the same file named twice."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import git
import pytest
from conftest import CONSOLE_SCRIPT, CliRun, FileWriter

from gitops_tools.config import Config
from gitops_tools.lint import LintOptions, LintResult, lint
from gitops_tools.model import Policy

TreeLint = Callable[..., LintResult]
Spots = Callable[[LintResult], list[tuple[str, int, int, str]]]
ProcessRun = Callable[..., subprocess.CompletedProcess[str]]

BROKEN = "broken: [\n"  # a yaml-syntax finding at 2:1 wherever it is linted
SYNTAX = "yaml-syntax"
AUTHOR = git.Actor("Test Author", "author@example.com")

CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    "chart/templates/deploy.yaml": "{{- if .Values.enabled }}\nkind: Deployment\n" + BROKEN + "{{- end }}\n",
    "chart/templates/tests/hook.yaml": BROKEN,
    "chart/values.yaml": BROKEN,
}


def _paths(result: LintResult) -> list[str]:
    return sorted({finding.location.path for finding in result.findings})


# --- Helm chart templates --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paths", "files", "expected"),
    [
        pytest.param(["."], 2, ["chart/values.yaml"], id="walk-the-root"),
        pytest.param(["chart"], 2, ["chart/values.yaml"], id="walk-the-chart"),
        pytest.param(["chart/templates"], 0, [], id="walk-the-templates-folder"),
        pytest.param(["chart/templates/deploy.yaml"], 0, [], id="named-template"),
        pytest.param(["chart/templates/tests/hook.yaml"], 0, [], id="named-template-in-a-subfolder"),
        pytest.param(["chart/templates/deploy.yaml", "chart/values.yaml"], 1, ["chart/values.yaml"],
                     id="named-template-and-values"),
    ],
)
def test_helm_templates_are_skipped_whether_walked_or_named(lint_tree: TreeLint, spots: Spots, paths: list[str],
                                                            files: int, expected: list[str]) -> None:
    result = lint_tree(CHART, *paths)
    assert result.files == files
    assert spots(result) == [(path, 2, 1, SYNTAX) for path in expected]


def test_a_named_template_is_skipped_from_inside_the_chart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           write_files: FileWriter,
                                                           policies: dict[str, Policy]) -> None:
    """`in_helm_templates` must look at absolute parents: `deploy.yaml` alone has no `templates` parent."""
    write_files(CHART)
    monkeypatch.chdir(tmp_path / "chart" / "templates")
    result = lint(["deploy.yaml", "."], Config(root=tmp_path), policies, LintOptions())
    assert (result.files, result.findings) == (0, [])


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"chart/templates/deploy.yaml": BROKEN}, id="no-chart-yaml"),
        pytest.param({"Chart.yaml": "name: x\n", "chart/templates/deploy.yaml": BROKEN}, id="chart-yaml-two-up"),
        pytest.param({"chart/Chart.yaml": "name: x\n", "chart/sub/templates/deploy.yaml": BROKEN},
                     id="templates-not-beside-chart-yaml"),
    ],
)
def test_a_templates_folder_without_a_chart_beside_it_is_linted(lint_tree: TreeLint, spots: Spots,
                                                                files: dict[str, str]) -> None:
    template = next(name for name in files if name.endswith("deploy.yaml"))
    assert spots(lint_tree(files, template)) == [(template, 2, 1, SYNTAX)]
    assert spots(lint_tree(files, ".")) == [(template, 2, 1, SYNTAX)]


# --- git work trees --------------------------------------------------------------------------------------------------

GIT_TREE = {
    ".gitignore": "build/\n*.generated.yaml\n",
    "apps/tracked.yaml": BROKEN,
    "apps/untracked.yaml": BROKEN,
    "apps/out.generated.yaml": BROKEN,  # ignored by pattern
    "apps/kept.generated.yaml": BROKEN,  # matches the pattern but is tracked: git does not ignore tracked files
    "build/out.yaml": BROKEN,  # in an ignored folder
}
TRACKED = [".gitignore", "apps/tracked.yaml", "apps/kept.generated.yaml"]


@pytest.fixture
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """git sees no user or system config, and no repository above tmp_path (outside git means outside)."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))


def _commit(root: Path, paths: list[str]) -> git.Repo:
    repo = git.Repo.init(root)
    repo.index.add(paths)  # adds even paths .gitignore matches, as `git add -f` does
    repo.index.commit("initial", author=AUTHOR, committer=AUTHOR)
    return repo


@pytest.mark.parametrize(
    ("in_git", "paths", "expected"),
    [
        pytest.param(True, ["."], ["apps/kept.generated.yaml", "apps/tracked.yaml", "apps/untracked.yaml"],
                     id="git-root-walk-skips-ignored"),
        pytest.param(True, ["apps"], ["apps/kept.generated.yaml", "apps/tracked.yaml", "apps/untracked.yaml"],
                     id="git-subfolder-walk-skips-ignored"),
        pytest.param(True, ["build"], ["build/out.yaml"], id="git-ignored-folder-named"),
        pytest.param(True, ["apps/out.generated.yaml"], ["apps/out.generated.yaml"], id="git-ignored-file-named"),
        pytest.param(False, ["."], ["apps/kept.generated.yaml", "apps/out.generated.yaml", "apps/tracked.yaml",
                                    "apps/untracked.yaml", "build/out.yaml"], id="outside-git-walks-everything"),
    ],
)
@pytest.mark.usefixtures("git_env")
def test_a_walk_inside_git_skips_what_git_ignores(tmp_path: Path, lint_tree: TreeLint, write_files: FileWriter,
                                                  spots: Spots, in_git: bool, paths: list[str],
                                                  expected: list[str]) -> None:
    write_files(GIT_TREE)
    if in_git:
        _commit(tmp_path, TRACKED)
    result = lint_tree({}, *paths)
    assert spots(result) == [(path, 2, 1, SYNTAX) for path in expected]
    assert result.files == len(expected)


@pytest.mark.usefixtures("git_env")
def test_a_walk_from_inside_a_subfolder_of_the_work_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         write_files: FileWriter, policies: dict[str, Policy]) -> None:
    write_files(GIT_TREE)
    _commit(tmp_path, TRACKED)
    monkeypatch.chdir(tmp_path / "apps")
    result = lint(["."], Config(root=tmp_path), policies, LintOptions(select=(SYNTAX,)))
    assert _paths(result) == ["kept.generated.yaml", "tracked.yaml", "untracked.yaml"]  # named as given: from apps/


@pytest.mark.usefixtures("git_env")
def test_files_of_a_nested_repository_are_not_dropped(tmp_path: Path, lint_tree: TreeLint, write_files: FileWriter,
                                                      spots: Spots) -> None:
    """A nested repository (a submodule, a checked-out tool repo) is not ignored: git just does not list its files.

    `git ls-files --others` names it as `nested/`, so a filter built from that listing drops every file inside.
    """
    write_files({"apps/a.yaml": BROKEN, "nested/n.yaml": BROKEN})
    _commit(tmp_path / "nested", ["n.yaml"])
    git.Repo.init(tmp_path)
    assert spots(lint_tree({}, ".")) == [("apps/a.yaml", 2, 1, SYNTAX), ("nested/n.yaml", 2, 1, SYNTAX)]


# --- special files ---------------------------------------------------------------------------------------------------


def test_a_fifo_in_a_walked_folder_is_reported_without_blocking(tmp_path: Path, run_process: ProcessRun,
                                                                write_files: FileWriter,
                                                                policies: dict[str, Policy]) -> None:
    """Opening a FIFO with no writer blocks forever: a real process with a timeout proves the walk never opens it,
    and the FIFO is a finding, not skipped in silence."""
    write_files({"apps/broken.yaml": BROKEN})
    os.mkfifo(tmp_path / "apps" / "pipe.yaml")
    try:
        done = run_process("lint", ".", timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("linting a folder holding a FIFO did not finish within 30 s")
    assert (done.returncode, done.stderr) == (1, "")
    enabled = sum(p.enabled and p.targets.scope != "file" for p in policies.values())
    first, second, summary = done.stdout.splitlines()
    assert first.startswith("apps/broken.yaml:2:1: error [yaml-syntax] ")
    assert second == ("apps/pipe.yaml:1:1: error [file-not-regular] not a regular file: it is a FIFO (named pipe); "
                      "only regular files are read")
    assert summary == f"Found 2 findings: 2 errors (2 files, 0 documents, {enabled} policies)."


@pytest.mark.parametrize("paths", [["."], ["link.yaml"]], ids=["walked", "named"])
def test_a_dangling_symlink_is_file_unreadable(tmp_path: Path, lint_tree: TreeLint, spots: Spots,
                                               paths: list[str]) -> None:
    (tmp_path / "link.yaml").symlink_to(tmp_path / "missing" / "target.yaml")
    result = lint_tree({}, *paths)
    assert spots(result) == [("link.yaml", 1, 1, "file-unreadable")]
    assert result.findings[0].message == "file cannot be read: No such file or directory"


@pytest.mark.parametrize("paths", [["x.yaml", "./x.yaml"], ["x.yaml", "x.yaml"], ["x.yaml", "."],
                                   ["x.yaml", "sub/../x.yaml"]],
                         ids=["dot-slash", "repeated", "file-and-its-folder", "dot-dot"])
def test_the_same_file_given_twice_is_linted_once(lint_tree: TreeLint, spots: Spots, paths: list[str]) -> None:
    result = lint_tree({"x.yaml": BROKEN, "sub/keep.txt": "not linted\n"}, *paths)
    assert result.files == 1
    assert spots(result) == [("x.yaml", 2, 1, SYNTAX)]


def test_the_same_file_given_relative_and_absolute_is_linted_once(tmp_path: Path, lint_tree: TreeLint,
                                                                  spots: Spots) -> None:
    result = lint_tree({"x.yaml": BROKEN}, "x.yaml", str(tmp_path / "x.yaml"))
    assert result.files == 1
    assert spots(result) == [("x.yaml", 2, 1, SYNTAX)]


# --- links, loops, unreadable folders, submodules -------------------------------------------------------------------


@pytest.mark.parametrize("paths", [["loop.yaml"], ["."]], ids=["named", "walked"])
def test_a_symlink_loop_is_file_unreadable_not_exit_3(tmp_path: Path, run_cli: Callable[..., tuple[int, str, str]],
                                                      paths: list[str]) -> None:
    (tmp_path / "loop.yaml").symlink_to("loop.yaml")
    (tmp_path / "a.yaml").symlink_to("b.yaml")
    (tmp_path / "b.yaml").symlink_to("a.yaml")
    code, out, err = run_cli("lint", *paths)
    assert (code, err) == (1, "")
    lines = out.splitlines()
    expected = {"loop.yaml"} if paths == ["loop.yaml"] else {"a.yaml", "b.yaml", "loop.yaml"}
    assert {line.split(":", 1)[0] for line in lines[:-1]} == expected
    assert all("[file-unreadable] file cannot be read: Too many levels of symbolic links" in line
               for line in lines[:-1])


def test_an_unreadable_folder_is_a_finding(tmp_path: Path, without_file_permissions: list[str],
                                           write_files: FileWriter) -> None:
    write_files({"apps/ok.yaml": BROKEN, "apps/locked/secret.yaml": BROKEN})
    (tmp_path / "apps" / "locked").chmod(0)
    try:
        done = subprocess.run([*without_file_permissions, str(CONSOLE_SCRIPT), "lint", "apps"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60, check=False)
    finally:
        (tmp_path / "apps" / "locked").chmod(0o755)
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout.splitlines()[:2] == [
        "apps/locked:1:1: error [file-unreadable] file cannot be read: it is a folder that cannot be listed, so "
        "nothing in it was linted: Permission denied",
        "apps/ok.yaml:2:1: error [yaml-syntax] YAML syntax error: did not find expected node content (while parsing "
        "a flow node)",
    ]


@pytest.mark.parametrize("named", [["locked"], ["locked/pod.yaml"]], ids=["folder", "file-inside"])
def test_a_config_inside_an_unreadable_folder_is_exit_2_not_3(tmp_path: Path, without_file_permissions: list[str],
                                                              write_files: FileWriter, named: list[str]) -> None:
    write_files({"locked/.gitops-tools.yaml": "fail_on: error\n", "locked/pod.yaml": BROKEN})
    (tmp_path / "locked").chmod(0o311 if named == ["locked/pod.yaml"] else 0)  # no listing; search only, or nothing
    try:
        done = subprocess.run([*without_file_permissions, str(CONSOLE_SCRIPT), "lint", *named], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60, check=False)
    finally:
        (tmp_path / "locked").chmod(0o755)
    if named == ["locked"]:
        assert (done.returncode, done.stdout) == (2, "")
        assert done.stderr == (f"gitops-tools: error: cannot look for a config file in {tmp_path / 'locked'}: "
                               "Permission denied\n")
    else:  # the folder can be searched, not listed: the config is found and read, the named file linted
        assert (done.returncode, done.stderr) == (1, "")
        assert done.stdout.startswith("locked/pod.yaml:2:1: error [yaml-syntax] ")


@pytest.mark.usefixtures("git_env")
def test_the_files_of_a_submodule_are_linted(tmp_path: Path, lint_tree: TreeLint, write_files: FileWriter,
                                             spots: Spots) -> None:
    """git lists a submodule as one entry (`libs/shared`, mode 160000) and none of its files."""
    upstream = tmp_path.parent / f"{tmp_path.name}-upstream"
    upstream.mkdir()
    (upstream / "base.yaml").write_text(BROKEN, encoding="utf-8")
    _commit(upstream, ["base.yaml"])
    write_files({"apps/a.yaml": BROKEN})
    repo = _commit(tmp_path, ["apps/a.yaml"])
    repo.git.execute(["git", "-c", "protocol.file.allow=always", "submodule", "add", str(upstream), "libs/shared"])
    assert "160000" in repo.git.ls_files("--stage", "libs/shared")
    assert spots(lint_tree({}, ".")) == [("apps/a.yaml", 2, 1, SYNTAX), ("libs/shared/base.yaml", 2, 1, SYNTAX)]


@pytest.mark.parametrize("in_git", [True, False], ids=["git-work-tree", "plain-folder"])
@pytest.mark.usefixtures("git_env")
def test_a_walked_symlink_out_of_the_repository_is_not_read(tmp_path: Path, write_files: FileWriter,
                                                            spots: Spots, lint_tree: TreeLint, in_git: bool) -> None:
    secret = tmp_path.parent / f"{tmp_path.name}-secret.yaml"
    secret.write_text("token: hunter2\n" + BROKEN, encoding="utf-8")
    write_files({"repo/apps/inside.yaml": BROKEN})
    (tmp_path / "repo" / "apps" / "leak.yaml").symlink_to(secret)
    (tmp_path / "repo" / "apps" / "shared.yaml").symlink_to(tmp_path / "repo" / "apps" / "inside.yaml")
    if in_git:
        git.Repo.init(tmp_path / "repo")
    result = lint_tree({}, "repo/apps")
    assert spots(result) == [
        ("repo/apps/inside.yaml", 2, 1, SYNTAX),
        ("repo/apps/leak.yaml", 1, 1, "file-symlink-inside-repository"),
    ]
    assert "hunter2" not in result.findings[1].message
    named = lint_tree({}, "repo/apps/leak.yaml")  # named explicitly: the user's choice, read
    assert spots(named) == [("repo/apps/leak.yaml", 3, 1, SYNTAX)]


def test_a_named_helm_template_is_reported_as_skipped(run_cli: Callable[..., tuple[int, str, str]],
                                                      write_files: FileWriter, policies: dict[str, Policy]) -> None:
    write_files(CHART)
    enabled = sum(p.enabled and p.targets.scope != "file" for p in policies.values())
    assert run_cli("lint", "chart/templates/deploy.yaml") == (0, (
        f"No findings (0 files, 0 documents, {enabled} policies).\n"
        "Skipped 1 Helm chart template in chart/: not YAML until rendered; lint the rendered chart: "
        "`helm template chart | gitops-tools lint -`.\n"), "")


@pytest.mark.slow
@pytest.mark.parametrize(("cwd", "paths", "skipped", "charts"), [
    pytest.param(".", ["chart"], "2 Helm chart templates", ["chart"], id="the-chart-folder"),
    pytest.param("chart", [], "2 Helm chart templates", ["."], id="inside-the-chart"),
    pytest.param("chart/templates", ["deploy.yaml"], "1 Helm chart template", [".."], id="a-template-from-its-folder"),
    pytest.param(".", ["."], "3 Helm chart templates", ["chart", "charts/api"], id="two-charts"),
])
def test_linting_a_helm_chart_names_the_skipped_templates_and_how_to_lint_them_rendered(
        tmp_path: Path, write_files: FileWriter, cwd: str, paths: list[str], skipped: str, charts: list[str]) -> None:
    """The console script on chart folders on disk: the text summary names the charts and the commands, and each
    skipped template's JSON record carries its chart and that command."""
    write_files(CHART | {"charts/api/Chart.yaml": "apiVersion: v2\nname: api\nversion: 1.0.0\n",
                         "charts/api/templates/svc.yaml": "{{ include \"svc\" . }}\n"})
    commands = [f"helm template {chart} | gitops-tools lint -" for chart in charts]
    text, as_json = (subprocess.run([str(CONSOLE_SCRIPT), "lint", *options, *paths], cwd=tmp_path / cwd,
                                    capture_output=True, text=True, timeout=60, check=False).stdout
                     for options in ([], ["--format", "json"]))
    each = "the rendered chart" if len(charts) == 1 else "each rendered chart"
    assert text.splitlines()[-1] == (
        f"Skipped {skipped} in {', '.join(chart + '/' for chart in charts)}: not YAML until rendered; lint {each}: "
        + ", ".join(f"`{command}`" for command in commands) + "."), text
    records = json.loads(as_json)["skipped"]
    assert len(records) == int(skipped.split()[0])
    assert {(record["reason"], record["chart"], record["hint"]) for record in records} == {
        ("Helm chart template", chart, command) for chart, command in zip(charts, commands, strict=True)}


@pytest.mark.usefixtures("git_env")
def test_a_kustomization_outside_the_repository_does_not_turn_files_into_patches(
        tmp_path: Path, lint_tree: TreeLint, spots: Spots, write_files: FileWriter) -> None:
    """Only kustomizations inside the repository mark patches (whose documents are only syntax-checked)."""
    write_files({"kustomization.yaml": "patches: [{path: repo/app/pod.yaml}]\n",
                 "repo/app/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
                                      "    - {name: app, image: 'nginx:latest'}\n"})
    git.Repo.init(tmp_path / "repo")
    result = lint_tree({}, "repo", select=("container-image-tag-not-latest",))
    assert spots(result) == [("repo/app/pod.yaml", 6, 19, "container-image-tag-not-latest")]


def test_a_symlinked_folder_is_not_followed_and_the_summary_says_so(tmp_path: Path, write_files: FileWriter,
                                                                    run_cli: Callable[..., tuple[int, str, str]],
                                                                    policies: dict[str, Policy]) -> None:
    write_files({"outside/x.yaml": BROKEN, "repo/a.yaml": "kind: Namespace\napiVersion: v1\nmetadata: {name: a}\n"})
    (tmp_path / "repo" / "shared").symlink_to(tmp_path / "outside")
    enabled = sum(p.enabled and p.targets.scope != "file" for p in policies.values())
    assert run_cli("lint", "repo") == (0, (
        f"No findings (1 file, 1 document, {enabled} policies).\n"
        "Skipped 1 symbolic link to a folder: not followed; name the folder it points to to lint it.\n"), "")


@pytest.mark.usefixtures("git_env")
def test_a_fifo_in_a_git_work_tree_is_reported(tmp_path: Path, lint_tree: TreeLint, spots: Spots) -> None:
    """git never lists a FIFO (it cannot track one), so the git filter would drop it in silence."""
    git.Repo.init(tmp_path)
    os.mkfifo(tmp_path / "pipe.yaml")
    assert spots(lint_tree({}, ".")) == [("pipe.yaml", 1, 1, "file-not-regular")]


@pytest.mark.parametrize("kind", ["fifo", "link-to-a-device"])
def test_a_config_that_is_not_a_regular_file_is_refused_not_ignored(tmp_path: Path, kind: str, run_cli: CliRun) -> None:
    config = tmp_path / ".gitops-tools.yaml"
    if kind == "fifo":
        os.mkfifo(config)
    else:
        config.symlink_to("/dev/zero")
    (tmp_path / "a.yaml").write_text("a: 1\n", encoding="utf-8")
    code, out, err = run_cli("lint", "a.yaml")
    assert (code, out) == (2, "")
    assert "is a " in err and "not a regular file; not read" in err


def test_real_paths_by_folder_agree_with_realpath(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Discovery resolves a folder once and a file in it by one lstat; every shape of link gives what a full
    resolution gives: a linked file, a file in a linked folder, `..` after a link, a dangling link, a loop."""
    from gitops_tools.discovery import RealPaths
    from gitops_tools.fileio import real_path

    (tmp_path / "real" / "deep").mkdir(parents=True)
    (tmp_path / "real" / "deep" / "a.yaml").write_text("a: 1\n")
    (tmp_path / "linked").symlink_to(tmp_path / "real" / "deep")
    (tmp_path / "real" / "file-link.yaml").symlink_to(tmp_path / "real" / "deep" / "a.yaml")
    (tmp_path / "real" / "dangling.yaml").symlink_to(tmp_path / "nowhere.yaml")
    (tmp_path / "real" / "loop.yaml").symlink_to(tmp_path / "real" / "loop.yaml")
    monkeypatch.chdir(tmp_path)
    names = ["linked/a.yaml", "real/file-link.yaml", "linked/../deep/a.yaml", "real/dangling.yaml",
             "real/loop.yaml", "real/deep/a.yaml", "real/./deep/a.yaml", "real/missing.yaml", "a.yaml"]
    resolve = RealPaths()
    for name in [*names, *[str(tmp_path / name) for name in names]]:
        assert resolve(Path(name)) == real_path(Path(name)), name
    assert resolve(Path("linked/a.yaml")) == tmp_path.resolve() / "real" / "deep" / "a.yaml"


@pytest.mark.parametrize(("resolved", "root", "expected"), [
    ("/repo/apps/a.yaml", "/repo", "apps/a.yaml"), ("/repo", "/repo", "."), ("/repository/a.yaml", "/repo", "-"),
    ("/a.yaml", "/", "a.yaml"), ("/repo/./a.yaml", "/repo", "a.yaml"), ("//repo/a.yaml", "//repo", "a.yaml"),
    ("apps/a.yaml", "apps", "a.yaml"), ("/repo/a.yaml", "/repo/", "a.yaml"), ("/repo/../a.yaml", "/repo", "../a.yaml")])
def test_relative_posix_by_text_agrees_with_pathlib(resolved: str, root: str, expected: str) -> None:
    from gitops_tools.paths import relative_posix

    by_pathlib = Path(resolved).relative_to(root).as_posix() if Path(resolved).is_relative_to(root) else "-"
    assert relative_posix(resolved, root, "-") == by_pathlib == expected
