"""CI building blocks: the reusable GitHub workflow and the GitLab template validate, document themselves in the
README (whose snippets validate too), and their shell steps do what they promise when run against real git repos."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import git
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_FILE = ROOT / ".github" / "workflows" / "gitops-tools.yml"
TEMPLATE_FILE = ROOT / "ci" / "gitops-tools.gitlab-ci.yml"
SCAFFOLD_CI = ROOT / "scaffolds" / "service" / "{{cookiecutter.service_name}}" / "_ci" / "github" / ".github" / \
    "workflows" / "ci.yml"
WORKFLOW = yaml.safe_load(WORKFLOW_FILE.read_text(encoding="utf-8"))
TEMPLATE = yaml.safe_load(TEMPLATE_FILE.read_text(encoding="utf-8"))
INPUTS = WORKFLOW[True]["workflow_call"]["inputs"]  # PyYAML reads the key `on` as True (YAML 1.1)
JOB = WORKFLOW["jobs"]["lint"]
STEPS = {step.get("name", step.get("uses")): step for step in JOB["steps"]}
README = (ROOT / "README.md").read_text(encoding="utf-8")
CHECKER = Path(sys.executable).with_name("check-jsonschema")
BIN = Path(sys.executable).parent
PINNED = re.compile(r"uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # (v[0-9.]+)$")
AUTHOR = git.Actor("gitops-tools tests", "tests@example.com")
ReadmeSnippet = Callable[[str, str], str]

LATEST = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: shop
spec:
  containers:
    - name: app
      image: nginx:latest
"""
CLEAN = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata:\n  mode: fast\n"
# old.yaml as a change under review touches it: a new first line, none of its findings' lines.
OLD_TOUCHED = "# Reviewed: the pod is replaced next quarter.\n" + LATEST.format(name="old")


def _latest(path: str, text: str, style: str) -> str:
    """How `style` (github or text) reports the :latest image of `text` at `path`."""
    line = next(number for number, row in enumerate(text.splitlines(), 1) if "image: nginx:latest" in row)
    if style == "github":
        return f"::error file={path},line={line},col=7,"
    return f"{path}:{line}:7: error [container-image-tag-not-latest]"


NEW_GITHUB = _latest("new.yaml", LATEST, "github")
OLD_GITHUB = _latest("old.yaml", OLD_TOUCHED, "github")


def _check(schema: str, files: list[Path]) -> None:
    done = subprocess.run([str(CHECKER), "--builtin-schema", schema, *map(str, files)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _merge(included: Mapping[str, Any], local: Mapping[str, Any]) -> dict[str, Any]:
    """GitLab's include: mappings merge deeply, the including file's keys win."""
    merged = dict(included)
    for key, value in local.items():
        old = merged.get(key)
        merged[key] = _merge(old, value) if isinstance(old, Mapping) and isinstance(value, Mapping) else value
    return merged


def _readme_section(title: str) -> str:
    return README.split(f"\n### {title}\n", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]


def test_workflow_template_and_readme_snippets_validate(tmp_path: Path, readme_snippet: ReadmeSnippet) -> None:
    github = tmp_path / "caller.yml"
    github.write_text(readme_snippet("Use in CI", ".github/workflows/gitops-tools.yml"), encoding="utf-8")
    gitlab = tmp_path / "gitlab-ci.yml"
    gitlab.write_text(readme_snippet("Use in CI", ".gitlab-ci.yml"), encoding="utf-8")
    local = {key: value for key, value in yaml.safe_load(gitlab.read_text(encoding="utf-8")).items()
             if key != "include"}
    merged = tmp_path / "merged-gitlab-ci.yml"
    merged.write_text(yaml.safe_dump(_merge(TEMPLATE, local)), encoding="utf-8")
    _check("vendor.github-workflows", [WORKFLOW_FILE, github])
    _check("vendor.gitlab-ci", [TEMPLATE_FILE, gitlab, merged])


def test_readme_snippets_call_this_repositorys_workflow_and_template(readme_snippet: ReadmeSnippet) -> None:
    caller = yaml.safe_load(readme_snippet("Use in CI", ".github/workflows/gitops-tools.yml"))
    (job,) = caller["jobs"].values()
    path, _, ref = job["uses"].partition("@")
    assert path == f"example/gitops-tools/{WORKFLOW_FILE.relative_to(ROOT).as_posix()}"
    assert ref
    assert set(job["with"]) <= set(INPUTS)
    assert job["permissions"] == JOB["permissions"]  # a called workflow gets no more than its caller grants
    config = yaml.safe_load(readme_snippet("Use in CI", ".gitlab-ci.yml"))
    (include,) = config["include"]
    prefix = "https://raw.githubusercontent.com/example/gitops-tools/"
    assert include["remote"] == f"{prefix}{config['variables']['GITOPS_TOOLS_REF']}/ci/{TEMPLATE_FILE.name}"
    assert set(config) - {"include", "variables"} <= set(TEMPLATE)


def test_readme_documents_every_input_and_variable() -> None:
    github = _readme_section("GitHub Actions: the reusable workflow")
    for name in INPUTS:
        assert f"| `{name}` |" in github, f"README does not document the workflow input {name!r}"
    gitlab = _readme_section("GitLab CI: the template")
    used = set(re.findall(r"\bGITOPS_TOOLS_[A-Z_]+", TEMPLATE_FILE.read_text(encoding="utf-8")))
    assert used
    for name in used:
        assert f"| `{name}` |" in gitlab, f"README does not document the template variable {name!r}"


def test_workflow_pins_actions_as_the_service_scaffold_does() -> None:
    scaffold = {match.group(1): match.groups() for line in SCAFFOLD_CI.read_text(encoding="utf-8").splitlines()
                if (match := PINNED.search(line))}
    uses = [line.strip().removeprefix("- ") for line in WORKFLOW_FILE.read_text(encoding="utf-8").splitlines()
            if line.strip().removeprefix("- ").startswith("uses:")]
    assert len(uses) == len([step for step in JOB["steps"] if "uses" in step]) == 3
    for line in uses:
        match = PINNED.search(line)
        assert match, f"not pinned by commit SHA with its version: {line}"
        assert match.groups() == scaffold[match.group(1)], f"pinned differently from the service scaffold: {line}"


def test_workflow_is_least_privilege_bounded_and_fetches_the_base() -> None:
    assert WORKFLOW["permissions"] == {"contents": "read"}
    assert JOB["permissions"] == {"contents": "read", "security-events": "write", "actions": "read"}
    assert 0 < JOB["timeout-minutes"] <= 15
    assert JOB["concurrency"]["group"].startswith("gitops-tools-")  # never the caller's own group
    checkout = next(step for step in JOB["steps"] if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"] == {"fetch-depth": 0, "persist-credentials": False}
    assert 0 < int(TEMPLATE[".gitops-tools-lint"]["timeout"].split()[0]) <= 15
    assert TEMPLATE[".gitops-tools-lint"]["variables"]["GIT_DEPTH"] == "0"
    assert TEMPLATE[".gitops-tools-lint"]["artifacts"]["reports"] == {"codequality": "gl-code-quality-report.json"}


# The shell steps, run for real: bash, git and the gitops-tools console script of this environment. `python` is a
# stub that records its arguments, so installing gitops-tools is checked without installing anything.


@pytest.fixture
def ci_repo(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """`ci_repo(branch_files)`: a clone whose main (pushed to a bare origin) has old.yaml with a finding, checked
    out on a branch that adds `branch_files`: what CI sees for a pull or merge request."""

    def make(branch_files: dict[str, str]) -> Path:
        git.Repo.init(tmp_path / "origin.git", bare=True, initial_branch="main")
        repo = git.Repo.clone_from(str(tmp_path / "origin.git"), tmp_path / "work")
        work = Path(str(repo.working_tree_dir))
        (work / "old.yaml").write_text(LATEST.format(name="old"), encoding="utf-8")
        repo.index.add(["old.yaml"])
        repo.index.commit("old.yaml: a finding already on main", author=AUTHOR, committer=AUTHOR)
        repo.git.branch("-M", "main")
        repo.git.push("--quiet", "origin", "main")
        repo.git.checkout("-b", "feature")
        for name, text in branch_files.items():
            (work / name).write_text(text, encoding="utf-8")
        repo.index.add(list(branch_files))
        repo.index.commit("The change under review", author=AUTHOR, committer=AUTHOR)
        return work

    return make


@pytest.fixture
def run_script(tmp_path: Path) -> Callable[..., tuple[int, str, list[str]]]:
    """`run_script(script, cwd, **env)` -> (exit code, output, the arguments the stub `python` got)."""
    stub = tmp_path / "stub"
    stub.mkdir()
    (stub / "python").write_text('#!/bin/sh\nprintf \'%s\\n\' "$@" > "$STUB_LOG"\n', encoding="utf-8")
    (stub / "python").chmod(0o755)
    log = tmp_path / "python-args.txt"
    base = {key: value for key, value in os.environ.items()
            if not key.startswith(("CI_", "GITHUB_", "GITOPS_TOOLS", "GIT_"))}
    base |= {"PATH": f"{stub}{os.pathsep}{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "STUB_LOG": str(log)}

    def run(script: str, cwd: Path, **env: str) -> tuple[int, str, list[str]]:
        log.unlink(missing_ok=True)
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd,
                              env=base | env, capture_output=True, text=True, timeout=120, check=False)
        args = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        return done.returncode, done.stdout + done.stderr, args

    return run


def _job_env(**values: str) -> dict[str, str]:
    """The job's env, its expressions replaced by values as GitHub would give them."""
    env = {"PATHS": ".", "FAIL_ON": "", "EXTRA_ARGS": "", "BASE_REF": ""} | values
    assert set(env) == set(JOB["env"])
    return env


def _sarif_paths(report: Path) -> set[str]:
    runs = json.loads(report.read_text(encoding="utf-8"))["runs"]
    return {location["physicalLocation"]["artifactLocation"]["uri"]
            for run in runs for result in run["results"] for location in result["locations"]}


INSTALLS = [
    pytest.param({"PACKAGE": "", "REPOSITORY": "https://github.com/acme/gitops-tools", "REF": "0123abc"},
                 ["-m", "pip", "install", "--disable-pip-version-check",
                  "gitops-tools @ git+https://github.com/acme/gitops-tools@0123abc"], id="called-commit"),
    pytest.param({"PACKAGE": "gitops-tools==0.2.0", "REPOSITORY": "https://github.com/acme/gitops-tools", "REF": ""},
                 ["-m", "pip", "install", "--disable-pip-version-check", "gitops-tools==0.2.0"], id="package"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("env", "pip_args"), INSTALLS)
def test_github_install_step(tmp_path: Path, run_script: Callable[..., tuple[int, str, list[str]]],
                             env: dict[str, str], pip_args: list[str]) -> None:
    step = STEPS["Install gitops-tools"]
    assert set(env) == set(step["env"])
    code, out, args = run_script(step["run"], tmp_path, **env)
    assert (code, args) == (0, pip_args), out
    assert out.startswith("gitops-tools ")  # --version of what was installed
    for missing in ("REPOSITORY", "REF"):  # GitHub without the job.workflow_* contexts, and no package given
        code, out, args = run_script(step["run"], tmp_path, **(env | {"PACKAGE": "", missing: ""}))
        assert (code, args) == (2, []), out
        assert "::error::" in out and "gitops-tools-package" in out


@pytest.mark.slow
def test_github_pull_request_fails_on_changed_lines_and_reports_everything(
        ci_repo: Callable[[dict[str, str]], Path], run_script: Callable[..., tuple[int, str, list[str]]]) -> None:
    work = ci_repo({"new.yaml": LATEST.format(name="new"), "old.yaml": OLD_TOUCHED})
    code, out, _ = run_script(STEPS["Lint everything (SARIF report)"]["run"], work, **_job_env(BASE_REF="main"))
    assert code == 0, out  # findings do not stop the upload
    assert _sarif_paths(work / "gitops-tools.sarif") == {"old.yaml", "new.yaml"}  # never cut down to the diff
    gate = STEPS["Lint (annotations; pull requests only the changed lines)"]["run"]
    code, out, _ = run_script(gate, work, **_job_env(BASE_REF="main"))
    assert code == 1, out
    assert NEW_GITHUB in out and "[container-image-tag-not-latest]" in out
    assert "old.yaml" not in out  # changed, but not on the line of its finding
    code, out, _ = run_script(gate, work, **_job_env())  # a push: every finding counts
    assert code == 1, out
    assert OLD_GITHUB in out


@pytest.mark.slow
def test_github_pull_request_without_new_findings_passes(
        ci_repo: Callable[[dict[str, str]], Path], run_script: Callable[..., tuple[int, str, list[str]]]) -> None:
    work = ci_repo({"old.yaml": OLD_TOUCHED})
    report = STEPS["Lint everything (SARIF report)"]["run"]
    code, out, _ = run_script(report, work, **_job_env(BASE_REF="main", FAIL_ON="info"))
    assert code == 0, out
    gate = STEPS["Lint (annotations; pull requests only the changed lines)"]["run"]
    code, out, _ = run_script(gate, work, **_job_env(BASE_REF="main", FAIL_ON="info"))
    assert code == 0, out
    code, out, _ = run_script(report, work, **_job_env(EXTRA_ARGS="--select no-such-policy"))
    assert code == 2, out  # usage errors do fail the report step


def _gitlab_script() -> str:
    job = TEMPLATE[".gitops-tools-lint"]
    return "\n".join([*job["before_script"], *job["script"]])


@pytest.mark.slow
def test_gitlab_merge_request_fails_on_changed_lines_and_reports_everything(
        ci_repo: Callable[[dict[str, str]], Path], run_script: Callable[..., tuple[int, str, list[str]]]) -> None:
    work = ci_repo({"new.yaml": LATEST.format(name="new"), "old.yaml": OLD_TOUCHED})
    code, out, args = run_script(_gitlab_script(), work, GITOPS_TOOLS_REF="0123abc",
                                 CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main")
    assert code == 1, out
    assert args[-1] == "gitops-tools @ git+https://github.com/example/gitops-tools@0123abc"
    assert _latest("new.yaml", LATEST, "text") in out
    assert "old.yaml:" not in out  # changed, but not on the line of its finding
    report = json.loads((work / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    assert {issue["location"]["path"] for issue in report} == {"old.yaml", "new.yaml"}


@pytest.mark.slow
def test_gitlab_merge_request_without_new_findings_passes_and_default_branch_fails_on_any(
        ci_repo: Callable[[dict[str, str]], Path], run_script: Callable[..., tuple[int, str, list[str]]]) -> None:
    work = ci_repo({"old.yaml": OLD_TOUCHED})
    env = {"GITOPS_TOOLS_PACKAGE": "gitops-tools==0.2.0", "GITOPS_TOOLS_FAIL_ON": "info"}
    code, out, args = run_script(_gitlab_script(), work, CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main", **env)
    assert code == 0, out
    assert args[-1] == "gitops-tools==0.2.0"
    code, out, _ = run_script(_gitlab_script(), work, **env)
    assert code == 1, out
    assert _latest("old.yaml", OLD_TOUCHED, "text") in out
    code, out, args = run_script(_gitlab_script(), work)
    assert (code, args) == (2, []), out
    assert "Set GITOPS_TOOLS_REF" in out
