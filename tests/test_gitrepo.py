"""`lint --changed-since REF [--diff-lines]`: which files and lines count as changed, in real git repositories.

Every repository here is built with gitpython in tmp_path, with a fixed author and fixed commit dates; the CLI runs
in-process (`run_cli`, from tmp_path) except in the one test that runs it as real processes.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import git
import pytest
from conftest import CliRun

ProcessRun = Callable[..., subprocess.CompletedProcess[str]]
Spot = tuple[str, int, int, str]

AUTHOR = git.Actor("Test Author", "author@example.com")
EPOCH = 1_700_000_000  # commit n is dated EPOCH + n minutes, so every run builds the same hashes
BROKEN = "broken: [\n"  # a yaml-syntax finding at 2:1 wherever it is linted
SYNTAX = "yaml-syntax"
MEMORY, TAG, PRIVILEGED = "container-memory-limit-set", "container-image-tag-not-latest", "container-not-privileged"
SELECT = f"{MEMORY},{TAG},{PRIVILEGED}"

# Container `app` (lines 7-10) has no memory limit and runs privileged; `side` (lines 11-15) is fine.
POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: nginx:1.27
      securityContext:
        privileged: true
    - name: side
      image: busybox:1.36
      resources:
        limits:
          memory: 64Mi
"""
POD_LATEST = POD.replace("nginx:1.27", "nginx:latest")  # edits line 8 only
BASE_FINDINGS = [(7, 7, MEMORY), (10, 9, PRIVILEGED)]  # POD's findings: 7:7 spans the whole container, 7-10
LATEST_FINDINGS = [(7, 7, MEMORY), (8, 7, TAG), (10, 9, PRIVILEGED)]


class History:
    """A repository in tmp_path whose commits all have the same author and a predictable date."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.repo = git.Repo.init(root, initial_branch="main")
        self.count = 0

    def write(self, files: Mapping[str, str]) -> None:
        for name, text in files.items():
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    def commit(self, files: Mapping[str, str] | None = None, message: str = "change") -> git.Commit:
        self.write(files or {})
        self.repo.git.add("--all")
        self.count += 1
        date = f"{EPOCH + 60 * self.count} +0000"
        return self.repo.index.commit(message, author=AUTHOR, committer=AUTHOR, author_date=date, commit_date=date)

    def branch(self, name: str, start: git.Commit) -> None:
        self.repo.create_head(name, start).checkout()


@pytest.fixture
def history(tmp_path: Path) -> History:
    return History(tmp_path)


def _report(out: str) -> tuple[int, list[Spot]]:
    """Files linted and (path, line, col, id) of each finding, from a `--format json` report."""
    report = json.loads(out)
    spots = [(f["path"], f["line"], f["column"], f["policy_id"]) for f in report["findings"]]
    return report["summary"]["files"], spots


def _at(path: str, findings: list[tuple[int, int, str]]) -> list[Spot]:
    return [(path, line, col, policy_id) for line, col, policy_id in findings]


def _pod_on_a_branch(history: History, name: str = "pod.yaml") -> None:
    """`name` holds POD on main; the `feature` branch starts there. The working tree is left to the test."""
    history.branch("feature", history.commit({name: POD}, "add the pod"))


# --- which files count ---------------------------------------------------------------------------------------------


def test_only_files_changed_since_the_merge_base_count(history: History, run_cli: CliRun) -> None:
    """Committed, staged, unstaged and untracked files count; main's later commits, deletions and ignored files don't.

    `old.yaml` is broken at the branch point and fixed on main afterwards: diffing against main itself would list it
    (and lint it, broken), the merge-base does not.
    """
    start = history.commit({".gitignore": "ignored.yaml\n", "old.yaml": BROKEN, "committed.yaml": "a: 1\n",
                            "staged.yaml": "a: 1\n", "unstaged.yaml": "a: 1\n", "gone.yaml": "gone: 1\n"}, "start")
    history.commit({"old.yaml": "fixed: true\n", "main-only.yaml": BROKEN}, "later work on main")
    history.branch("feature", start)
    history.commit({"committed.yaml": BROKEN}, "branch work")
    history.write({"staged.yaml": BROKEN, "added.yaml": BROKEN})
    history.repo.git.add("staged.yaml", "added.yaml")
    history.write({"unstaged.yaml": BROKEN, "untracked.yaml": BROKEN, "ignored.yaml": BROKEN})
    history.repo.git.rm("gone.yaml")

    code, out, err = run_cli("lint", "--format", "json", "--changed-since", "main", ".")

    changed = ["added.yaml", "committed.yaml", "staged.yaml", "unstaged.yaml", "untracked.yaml"]
    assert (code, err) == (1, "")
    assert _report(out) == (5, [(name, 2, 1, SYNTAX) for name in changed])


def test_a_clean_branch_lints_nothing(history: History, run_cli: CliRun) -> None:
    _pod_on_a_branch(history)
    code, out, err = run_cli("lint", "--select", SELECT, "--changed-since", "main")
    assert (code, out, err) == (0, "No findings (0 files, 0 documents, 3 policies).\n", "")


def test_diff_lines_keeps_findings_whose_range_touches_a_changed_line(history: History, run_cli: CliRun) -> None:
    """Line 8 changes: its own finding stays, so does the container's (7-10), the privileged one (10) goes."""
    _pod_on_a_branch(history)
    history.write({"pod.yaml": POD_LATEST})

    whole = run_cli("lint", "--format", "json", "--select", SELECT, "--changed-since", "main")
    lines = run_cli("lint", "--format", "json", "--select", SELECT, "--changed-since", "main", "--diff-lines")

    assert (whole[0], _report(whole[1]), whole[2]) == (1, (1, _at("pod.yaml", LATEST_FINDINGS)), "")
    assert (lines[0], _report(lines[1]), lines[2]) == (1, (1, _at("pod.yaml", [(7, 7, MEMORY), (8, 7, TAG)])), "")


def test_diff_lines_does_not_extend_a_finding_to_the_next_items_line(history: History, run_cli: CliRun) -> None:
    """Renaming `side` (line 11) must not keep `app`'s missing-limit finding, whose container ends on line 10.

    PyYAML ends a block mapping where the next token starts (11:5, the `- name: side` dash), and that end position is
    exclusive: line 11 holds only indentation of `app`, nothing of it.
    """
    _pod_on_a_branch(history)
    history.write({"pod.yaml": POD.replace("name: side", "name: sidecar")})

    code, out, err = run_cli("lint", "--select", SELECT, "--changed-since", "main", "--diff-lines")

    assert (code, out, err) == (0, "No findings (1 file, 1 document, 3 policies).\n", "")


def test_a_renamed_and_edited_file_counts_under_its_new_name_with_only_its_edited_lines(history: History,
                                                                                         run_cli: CliRun) -> None:
    _pod_on_a_branch(history)
    (history.root / "apps").mkdir()
    history.repo.git.mv("pod.yaml", "apps/web.yaml")
    history.commit({"apps/web.yaml": POD_LATEST}, "move and edit")
    assert "R089\tpod.yaml\tapps/web.yaml" in history.repo.git.diff("main", "--name-status", "-M")

    whole = run_cli("lint", "--format", "json", "--select", SELECT, "--changed-since", "main")
    lines = run_cli("lint", "--format", "json", "--select", SELECT, "--changed-since", "main", "--diff-lines")

    assert (whole[0], _report(whole[1]), whole[2]) == (1, (1, _at("apps/web.yaml", LATEST_FINDINGS)), "")
    assert (lines[0], _report(lines[1]), lines[2]) == (1, (1, _at("apps/web.yaml", [(7, 7, MEMORY), (8, 7, TAG)])), "")


@pytest.mark.parametrize(
    ("edit", "expected", "on_changed_lines"),
    [
        pytest.param(lambda root: (root / "pod.yaml").rename(root / "moved.yaml"),
                     _at("moved.yaml", BASE_FINDINGS), [], id="pure-rename"),
        pytest.param(lambda root: (root / "pod.yaml").write_text("".join(POD.splitlines(True)[:12])),
                     _at("pod.yaml", [*BASE_FINDINGS, (11, 7, MEMORY)]), _at("pod.yaml", [(11, 7, MEMORY)]),
                     id="lines-deleted-only"),
    ],
)
def test_a_file_changed_without_adding_lines_is_still_linted(history: History, run_cli: CliRun,
                                                             edit: Callable[[Path], object], expected: list[Spot],
                                                             on_changed_lines: list[Spot]) -> None:
    """The file changed since the base, so `--changed-since` lints it; deleting `side`'s limits is a new finding.

    With --diff-lines a pure rename keeps nothing (no line changed), while lines deleted touch the lines around
    them: the container that lost its limits is reported, the untouched `app` container's findings are not.
    """
    _pod_on_a_branch(history)
    edit(history.root)
    history.commit(message="edit without adding lines")

    whole = run_cli("lint", "--format", "json", "--select", SELECT, "--changed-since", "main")
    lines = run_cli("lint", "--format", "json", "--select", SELECT, "--changed-since", "main", "--diff-lines")

    assert (whole[0], _report(whole[1]), whole[2]) == (1, (1, expected), "")
    assert (lines[0], _report(lines[1]), lines[2]) == (int(bool(on_changed_lines)), (1, on_changed_lines), "")


@pytest.mark.parametrize("name", ["my pod.yaml", "café.yaml", "dir with space/ü pod.yaml", "日本/pod.yaml"])
@pytest.mark.parametrize("tracked", [True, False], ids=["tracked-and-edited", "untracked"])
def test_unusual_file_names(history: History, run_cli: CliRun, name: str, tracked: bool) -> None:
    """git quotes non-ASCII names ("caf\\303\\251.yaml"); `+++ b/my pod.yaml` ends with a tab if there is a space."""
    if tracked:
        _pod_on_a_branch(history, name)
    else:
        history.branch("feature", history.commit({"README.md": "x\n"}, "start"))
    history.write({name: POD_LATEST})

    code, out, err = run_cli("lint", "--format", "json", "--select", SELECT, "--changed-since", "main", "--diff-lines")

    expected = [(7, 7, MEMORY), (8, 7, TAG)] if tracked else LATEST_FINDINGS
    assert (code, _report(out), err) == (1, (1, _at(name, expected)), "")


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({"diff.noprefix": "true"}, id="diff.noprefix"),
        pytest.param({"diff.mnemonicPrefix": "true"}, id="diff.mnemonicPrefix"),
        pytest.param({"color.ui": "always", "color.diff": "always"}, id="color-always"),
        pytest.param({"diff.external": "echo"}, id="diff.external"),
        pytest.param({"diff.renames": "false"}, id="diff.renames-off"),
        pytest.param({"core.quotePath": "false"}, id="core.quotePath-off"),
        pytest.param({"diff.relative": "true"}, id="diff.relative"),
    ],
)
@pytest.mark.parametrize("where", ["repo-config", "git-c"])
def test_git_configuration_does_not_change_what_counts(history: History, run_cli: CliRun,
                                                       monkeypatch: pytest.MonkeyPatch, settings: dict[str, str],
                                                       where: str) -> None:
    """User or CI git config must not leak into the parsed diff: in the repo's config, or as `git -c` would pass it."""
    _pod_on_a_branch(history, "apps/café.yaml")
    history.repo.git.mv("apps", "deploy")
    history.write({"deploy/café.yaml": POD_LATEST})
    if where == "repo-config":
        with history.repo.config_writer() as config:
            for key, value in settings.items():
                section, option = key.rsplit(".", 1)
                config.set_value(section, option, value)
    else:  # what `git -c key=value` exports to child processes (git >= 2.31)
        monkeypatch.setenv("GIT_CONFIG_COUNT", str(len(settings)))
        for number, (key, value) in enumerate(settings.items()):
            monkeypatch.setenv(f"GIT_CONFIG_KEY_{number}", key)
            monkeypatch.setenv(f"GIT_CONFIG_VALUE_{number}", value)
    monkeypatch.chdir(history.root / "deploy")

    code, out, err = run_cli("lint", "--format", "json", "--select", SELECT, "--changed-since", "main", "--diff-lines",
                             ".")

    assert (code, _report(out), err) == (1, (1, _at("café.yaml", [(7, 7, MEMORY), (8, 7, TAG)])), "")


# --- errors ----------------------------------------------------------------------------------------------------------


def _repository(root: Path) -> None:
    History(root).commit({"pod.yaml": POD}, "start")


@pytest.mark.parametrize(
    ("setup", "argv", "message"),
    [
        pytest.param(_repository, ["--changed-since", "nope", "."],
                     "unknown ref 'nope'. Check the name, or fetch it: "
                     "`git fetch --no-tags origin +refs/heads/nope:refs/remotes/origin/nope`.", id="unknown-ref"),
        pytest.param(_repository, ["--changed-since", "main~5", "."], "unknown ref 'main~5'.", id="ref-beyond-history"),
        pytest.param(_repository, ["--diff-lines", "."], "--diff-lines needs --changed-since REF",
                     id="diff-lines-alone"),
        pytest.param(_repository, ["--changed-since", "main", "-"],
                     "--changed-since cannot lint '-' (stdin): there is no file to compare", id="stdin"),
        pytest.param(lambda root: None, ["--changed-since", "main", "."],
                     "--changed-since needs a git repository, and . is not in one", id="not-a-repository"),
    ],
)
def test_errors_exit_2_with_a_clear_message(tmp_path: Path, run_cli: CliRun, setup: Callable[[Path], object],
                                            argv: list[str], message: str) -> None:
    setup(tmp_path)
    code, out, err = run_cli("lint", *argv)
    assert (code, out) == (2, "")
    assert err.startswith(f"gitops-tools: error: {message}")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_a_path_outside_the_repository_names_the_repository(tmp_path: Path, run_cli: CliRun) -> None:
    _repository(tmp_path / "repo")
    (tmp_path / "outside.yaml").write_text(POD)
    code, out, err = run_cli("lint", "--changed-since", "main", "repo", "outside.yaml")
    assert (code, out) == (2, "")
    assert err == f"gitops-tools: error: outside.yaml is outside the git repository at {tmp_path / 'repo'}\n"


@pytest.fixture
def shallow_clone(tmp_path: Path) -> Path:
    """`clone` is `git clone --depth 1` of `origin`, whose main and `other` branch apart three commits back."""
    origin = History(tmp_path / "origin")
    start = origin.commit({"pod.yaml": POD}, "start")
    for number in range(3):
        origin.commit({f"main-{number}.yaml": "a: 1\n"}, f"main {number}")
    origin.branch("other", start)
    origin.commit({"other.yaml": "b: 1\n"}, "other work")
    origin.repo.heads.main.checkout()
    clone = git.Repo.clone_from(f"file://{origin.root}", tmp_path / "clone", depth=1)
    assert clone.git.rev_parse("--is-shallow-repository") == "true"
    assert "origin/other" not in [ref.name for ref in clone.remote().refs]
    return tmp_path / "clone"


def test_a_shallow_clone_without_the_base_says_to_fetch_it(shallow_clone: Path, run_cli: CliRun) -> None:
    code, out, err = run_cli("lint", "--changed-since", "origin/other", "clone")
    assert (code, out) == (2, "")
    assert err == ("gitops-tools: error: unknown ref 'origin/other'. This is a shallow clone: fetch the base first, "
                   "e.g. `git fetch --no-tags origin +refs/heads/other:refs/remotes/origin/other`\n")


def test_a_shallow_clone_without_the_merge_base_says_to_unshallow(shallow_clone: Path, run_cli: CliRun) -> None:
    clone = git.Repo(shallow_clone)
    clone.git.fetch("--no-tags", "--depth", "1", "origin", "other:refs/remotes/origin/other")

    code, out, err = run_cli("lint", "--changed-since", "origin/other", "clone")

    assert (code, out) == (2, "")
    assert err == ("gitops-tools: error: 'origin/other' and HEAD have no common ancestor. This is a shallow clone: "
                   "fetch more history, e.g. `git fetch --unshallow` (or actions/checkout with fetch-depth: 0).\n")

    clone.git.fetch("--no-tags", "--unshallow", "origin", "other:refs/remotes/origin/other")
    assert run_cli("lint", "--select", SELECT, "--changed-since", "origin/other", "clone") == (
        0, "No findings (3 files, 3 documents, 3 policies).\n", "")


# --- as a real process -----------------------------------------------------------------------------------------------


def test_process_lints_changed_lines(history: History, run_process: ProcessRun) -> None:
    _pod_on_a_branch(history)
    history.commit({"pod.yaml": POD_LATEST, "new.yaml": POD.replace("name: web", "name: new")}, "branch work")

    done = run_process("lint", "--select", SELECT, "--changed-since", "main", "--diff-lines")

    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout.splitlines() == [
        "new.yaml:7:7: error [container-memory-limit-set] container has no memory limit",
        "new.yaml:10:9: error [container-not-privileged] container runs privileged",
        "pod.yaml:7:7: error [container-memory-limit-set] container has no memory limit",
        "pod.yaml:8:7: error [container-image-tag-not-latest] container image uses the latest tag",
        "Found 4 findings: 4 errors (2 files, 2 documents, 3 policies).",
    ]


@pytest.mark.parametrize("committed", [True, False], ids=["committed", "untracked"])
def test_diff_lines_keeps_a_syntax_error_at_the_end_of_a_new_file(history: History, run_cli: CliRun,
                                                                  committed: bool) -> None:
    """An unclosed `[` is reported at 2:1, just past the file's one line: the whole file is new, so it stays."""
    history.branch("feature", history.commit({"README.md": "x\n"}, "start"))
    history.write({"new.yaml": BROKEN})
    if committed:
        history.commit(message="add a broken file")

    code, out, err = run_cli("lint", "--format", "json", "--changed-since", "main", "--diff-lines")

    assert (code, _report(out), err) == (1, (1, [("new.yaml", 2, 1, SYNTAX)]), "")


def test_process_reports_an_unknown_ref(history: History, run_process: ProcessRun) -> None:
    history.commit({"pod.yaml": POD}, "start")
    done = run_process("lint", "--changed-since", "origin/main")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("gitops-tools: error: unknown ref 'origin/main'. Check the name, or fetch it: "
                           "`git fetch --no-tags origin +refs/heads/main:refs/remotes/origin/main`.\n")


def test_diff_lines_does_not_keep_content_problems_on_untouched_lines(history: History, run_cli: CliRun) -> None:
    """Only problems that stop a file being checked bypass the line filter; a duplicate key elsewhere does not."""
    history.commit({"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  k: 1\n  k: 2\n"
                               "  other: x\n"}, "base")
    history.repo.git.checkout("-b", "pr")
    history.write({"cm.yaml": (history.root / "cm.yaml").read_text(encoding="utf-8").replace("other: x", "other: y")})
    code, out, err = run_cli("lint", "--changed-since", "main", "--diff-lines", "--select", "yaml-duplicate-key")
    assert (code, err) == (0, "")
    assert out.startswith("No findings (1 file")
    history.write({"cm.yaml": "broken: [\n"})
    code, out, _ = run_cli("lint", "--changed-since", "main", "--diff-lines", "--select", "yaml-duplicate-key")
    assert code == 1
    assert "cm.yaml:2:1: error [yaml-syntax]" in out


# --- git errors in words ---------------------------------------------------------------------------------------------


def test_changed_since_in_a_repository_without_commits_says_so(tmp_path: Path, run_cli: CliRun) -> None:
    git.Repo.init(tmp_path, initial_branch="main")
    (tmp_path / "pod.yaml").write_text(BROKEN, encoding="utf-8")
    assert run_cli("lint", "--changed-since", "main", ".") == (
        2, "", f"gitops-tools: error: {tmp_path} has no commits yet: --changed-since compares with a commit; "
               "commit first, or lint without it\n")


@pytest.mark.parametrize("ref", ["", " "])
def test_an_empty_changed_since_is_an_error_not_a_full_run(history: History, run_cli: CliRun, ref: str) -> None:
    history.commit({"pod.yaml": BROKEN})
    assert run_cli("lint", "--changed-since", ref, ".") == (
        2, "", "gitops-tools: error: --changed-since needs a ref, e.g. --changed-since origin/main (it was given "
               "empty)\n")
