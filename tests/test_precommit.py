"""pre-commit: the hooks file matches the policy domains, and every hook really runs under pre-commit."""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import git
import pytest
import yaml

from gitops_tools.domainfiles import DOMAIN_FILE
from gitops_tools.model import Policy

ROOT = Path(__file__).resolve().parents[1]
HOOKS_FILE = ROOT / ".pre-commit-hooks.yaml"
HOOKS = yaml.safe_load(HOOKS_FILE.read_text(encoding="utf-8"))
HOOK_IDS = [hook["id"] for hook in HOOKS]
# The hooks that run another command than lint (the golden path's drift): no domain's, given no file.
LIFECYCLE_HOOKS = [hook for hook in HOOKS if not str(hook["entry"]).startswith("gitops-tools lint ")]
LINT_HOOKS = [hook for hook in HOOKS if hook not in LIFECYCLE_HOOKS]
# The hooks of domains with repository-scope policies check the repository as a whole, once per commit; the others
# are given the staged YAML and JSON files.
REPOSITORY_HOOKS = [hook for hook in LINT_HOOKS if str(hook["entry"]).endswith(" --repository")]
FILE_HOOKS = [hook for hook in LINT_HOOKS if hook not in REPOSITORY_HOOKS]
README_REPO = "https://github.com/example/gitops-tools"
AUTHOR = git.Actor("gitops-tools tests", "tests@example.com")
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]
ReadmeSnippet = Callable[[str, str], str]

GOOD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app.kubernetes.io/name: web
    app.kubernetes.io/instance: web
    app.kubernetes.io/version: "1.4.2"
    app.kubernetes.io/component: server
    app.kubernetes.io/part-of: shop
    app.kubernetes.io/managed-by: kustomize
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: web
  template:
    metadata:
      labels:
        app.kubernetes.io/name: web
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              app.kubernetes.io/name: web
      containers:
        - name: web
          image: ghcr.io/example/web:1.4.2
          imagePullPolicy: Always
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: 500m, memory: 256Mi}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          startupProbe:
            httpGet: {path: /healthz, port: 8080}
          livenessProbe:
            httpGet: {path: /healthz, port: 8080}
          readinessProbe:
            httpGet: {path: /readyz, port: 8080}
"""
# The same Deployment, privileged and on :latest, under another name (one folder holds both: the same identity twice
# would be manifest-identity-unique-in-unit).
BAD = GOOD.replace("  name: web\n", "  name: web-debug\n", 1).replace("web:1.4.2", "web:latest").replace(
    "            allowPrivilegeEscalation: false",
    "            privileged: true\n            allowPrivilegeEscalation: false")
BROKEN = "kind: ConfigMap\ndata: {a: [1, 2}\n"  # a file check (yaml-syntax): every hook reports it
NOTES = "# Notes\n\nkey: [not yaml, and not a YAML file either\n"  # types_or keeps it from the hooks
# Dockerfiles go to the hooks that take pre-commit's `dockerfile` type (the dockerfile hook and the hook of every
# domain): one on a tag, one pinned by digest.
BAD_DOCKERFILE = "FROM python:3.12-slim\nUSER 10001\n"
GOOD_DOCKERFILE = ("FROM python:3.12.12-slim-bookworm"
                   "@sha256:593bd06efe90efa80dc4eee3948be7c0fde4134606dd40d8dd8dbcade98e669c\nUSER 10001\n")
FILES = {"good.yaml": GOOD, "bad.yaml": BAD, "broken.yaml": BROKEN, "notes.md": NOTES, "Dockerfile": BAD_DOCKERFILE,
         "good.Dockerfile": GOOD_DOCKERFILE}


def _spot(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of `needle`: where a finding about that key is reported."""
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(needle)


def _expected(hook_id: str) -> tuple[list[str], list[str]]:
    """(lines the bad run must print, policy ids it must not): the Kubernetes ones only where that domain runs."""
    privileged, latest, syntax = _spot(BAD, "privileged: true"), _spot(BAD, "image: "), _spot(BROKEN, "}")
    kubernetes = [f"bad.yaml:{privileged[0]}:{privileged[1]}: error [container-not-privileged]",
                  f"bad.yaml:{latest[0]}:{latest[1]}: error [container-image-tag-not-latest]"]
    files = [f"broken.yaml:{syntax[0]}:{syntax[1]}: error [yaml-syntax]"]
    dockerfile = ["Dockerfile:1:6: error [dockerfile-base-image-pinned-by-digest]"]
    if hook_id == "gitops-tools-lint":
        return kubernetes + files + dockerfile, []
    if hook_id == "gitops-tools-dockerfile":  # given the Dockerfile alone
        return dockerfile, ["[container-not-privileged]", "[yaml-syntax]"]
    if hook_id == "gitops-tools-kubernetes":
        return kubernetes + files, ["[dockerfile-base-image-pinned-by-digest]"]
    return files, ["[container-not-privileged]", "[container-image-tag-not-latest]",
                   "[dockerfile-base-image-pinned-by-digest]"]


def test_there_is_one_hook_per_policy_domain(policies: dict[str, Policy]) -> None:
    """A domain without policies yet (its domain.yaml alone) has no hook: it would only run the file checks, which
    every hook runs. Its hook comes with its first policy."""
    files = (ROOT / "schemas" / "policies").glob("*/*.yaml")
    folders = {path.parent.name for path in files if path.name != DOMAIN_FILE}
    assert folders == {policy.domain for policy in policies.values()}
    expected = {"gitops-tools-lint": "gitops-tools lint --jobs 1"}  # pre-commit runs one process per core itself
    expected |= {f"gitops-tools-{domain}": f"gitops-tools lint --jobs 1 --domain {domain}"
                 for domain in folders - {"core"}}
    whole = {policy.domain for policy in policies.values() if policy.targets.scope == "repository"}
    expected |= {f"gitops-tools-{domain}": f"gitops-tools lint --jobs 1 --domain {domain} --repository"
                 for domain in whole}
    assert {hook["id"]: hook["entry"] for hook in LINT_HOOKS} == expected, (
        ".pre-commit-hooks.yaml and the folders of schemas/policies/ disagree: one hook per domain but core")
    assert {hook["id"]: hook["entry"] for hook in LIFECYCLE_HOOKS} == {"gitops-tools-drift": "gitops-tools drift"}


def test_the_drift_hook_runs_once_when_the_state_or_the_hooks_rev_is_staged() -> None:
    """Drift answers for the repository, not for files: it is given none, runs in one process, and only when the
    commit stages one of the two files that change its answer (the recorded scaffold, the rev the hook runs at)."""
    (hook,) = LIFECYCLE_HOOKS
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False and hook["require_serial"] is True
    assert "always_run" not in hook
    for staged in (".scaffold.json", ".pre-commit-config.yaml"):
        assert re.search(str(hook["files"]), staged), staged
    for other in ("k8s/.scaffold.json", ".scaffold.json.orig", "deploy/.pre-commit-config.yaml", "README.md"):
        assert not re.search(str(hook["files"]), other), other
    assert hook["minimum_pre_commit_version"] == "2.9.0"
    assert set(hook) == {"id", "name", "description", "entry", "language", "files", "pass_filenames",
                         "require_serial", "minimum_pre_commit_version"}


def _file_types() -> dict[str, list[str]]:
    """Each hook's pre-commit file types: YAML and JSON, or, for a domain that reads other files by name with a
    parser of its own (domain.yaml `files`), that parser's (pre-commit's tag and our parser share the name);
    the hook of every domain takes them all."""
    parsers = {}
    for path in sorted((ROOT / "schemas" / "policies").glob(f"*/{DOMAIN_FILE}")):
        files = yaml.safe_load(path.read_text(encoding="utf-8")).get("files")
        if files:
            parsers[f"gitops-tools-{path.parent.name}"] = files["parser"]
    return {hook_id: [parsers[hook_id]] if hook_id in parsers else
            ["yaml", "json", *parsers.values()] if hook_id == "gitops-tools-lint" else ["yaml", "json"]
            for hook_id in HOOK_IDS}


@pytest.mark.parametrize("hook", FILE_HOOKS, ids=[str(hook["id"]) for hook in FILE_HOOKS])
def test_every_hook_takes_its_domains_files_in_parallel(hook: dict[str, object]) -> None:
    assert hook["language"] == "python"
    assert hook["types_or"] == _file_types()[str(hook["id"])]
    assert hook["require_serial"] is False
    assert hook["minimum_pre_commit_version"] == "2.9.0"  # types_or; nothing else used needs more
    assert set(hook) == {"id", "name", "description", "entry", "language", "types_or", "require_serial",
                         "minimum_pre_commit_version"}, "a new field may need a newer minimum_pre_commit_version"
    assert len({str(other["name"]) for other in HOOKS}) == len(HOOKS)


@pytest.mark.parametrize("hook", REPOSITORY_HOOKS, ids=[str(hook["id"]) for hook in REPOSITORY_HOOKS])
def test_a_repository_hook_runs_once_per_commit_on_the_repository_wide_files(hook: dict[str, object]) -> None:
    """Every commit (always_run), in one process (require_serial: the repository is checked once), given only the
    pre-commit config when it is staged (files): the rest of the repository is its file list, not files to lint."""
    assert hook["language"] == "python"
    assert hook["types_or"] == ["yaml", "json"]
    assert hook["always_run"] is True and hook["require_serial"] is True
    assert re.fullmatch(str(hook["files"]), ".pre-commit-config.yaml")
    assert not re.search(str(hook["files"]), "deploy/.pre-commit-config.yaml.bak")
    assert hook["minimum_pre_commit_version"] == "2.9.0"
    assert set(hook) == {"id", "name", "description", "entry", "language", "types_or", "files", "always_run",
                         "require_serial", "minimum_pre_commit_version"}


def test_the_hooks_file_is_valid_for_pre_commit() -> None:
    done = subprocess.run([*PRE_COMMIT, "validate-manifest", str(HOOKS_FILE)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_readme_lists_every_hook(readme_snippet: ReadmeSnippet) -> None:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## Use in pre-commit\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    for hook in HOOKS:
        assert f"| `{hook['id']}` |" in section and f"`{hook['entry']}`" in section, hook["id"]
    config = yaml.safe_load(readme_snippet("Use in pre-commit", ".pre-commit-config.yaml"))
    assert [repo["repo"] for repo in config["repos"]] == [README_REPO]
    assert {hook["id"] for hook in config["repos"][0]["hooks"]} <= set(HOOK_IDS)


def _shared_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder every xdist worker of this run shares (this session's own without xdist), so what is built in it
    (the hook repo's snapshot, pre-commit's store with the hook's virtualenv) is built once per run."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / name
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def hook_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for pre-commit and git: one PRE_COMMIT_HOME for the run, no user or system git config.

    pre-commit keys its store by repo and rev and locks it while it installs, so every test (and every xdist
    worker) shares one hook virtualenv: installing gitops-tools into it is what a pre-commit test costs."""
    home = _shared_folder(tmp_path_factory, "pre-commit")
    gitconfig = home / "gitconfig"
    gitconfig.write_text(f"[user]\n\tname = {AUTHOR.name}\n\temail = {AUTHOR.email}\n[init]\n\tdefaultBranch = main\n",
                         encoding="utf-8")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("GIT_", "PRE_COMMIT")) and key not in {"SKIP", "GITOPS_TOOLS_DEBUG"}}
    return env | {"PRE_COMMIT_HOME": str(home / "home"), "PRE_COMMIT_COLOR": "never",
                  "GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1"}


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This checkout's working tree (tracked and untracked, less what git ignores), committed as a repo of its own.

    pre-commit installs hooks from a commit. `try-repo` on a checkout with changes commits tracked files only
    (`git add -u`), so a new, untracked module would be missing from the hook's install: a snapshot has it. The
    first worker makes it, under a lock; the others use it (the same repo and rev: the same hook virtualenv).
    """
    try:
        checkout = git.Repo(ROOT)
    except git.InvalidGitRepositoryError as err:
        raise AssertionError(f"{ROOT} is not a git checkout: the hooks are installed from a commit") from err
    shared = _shared_folder(tmp_path_factory, "hook-repo")
    target, done = shared / "repo", shared / "commit"
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            _snapshot(checkout, target)
            repo = git.Repo.init(target)
            repo.git.add("--all")
            sha = repo.index.commit("working tree of the checkout", author=AUTHOR, committer=AUTHOR).hexsha
            done.write_text(sha, encoding="utf-8")
    return target, done.read_text(encoding="utf-8")


def _snapshot(checkout: git.Repo, target: Path) -> None:
    for name in checkout.git.ls_files("-z", "--cached", "--others", "--exclude-standard").split("\0"):
        if name and (ROOT / name).is_file():  # a file deleted but still in the index is skipped
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)


@pytest.fixture
def project(tmp_path: Path, hook_repo: tuple[Path, str], readme_snippet: ReadmeSnippet) -> Path:
    """A git repo holding README's .pre-commit-config.yaml (pointed at the snapshot, every hook listed) and
    uncommitted manifests."""
    root = tmp_path / "project"
    repo = git.Repo.init(root)
    for name, text in FILES.items():
        (root / name).write_text(text, encoding="utf-8")
    config = yaml.safe_load(readme_snippet("Use in pre-commit", ".pre-commit-config.yaml"))
    (entry,) = [repo_entry for repo_entry in config["repos"] if repo_entry["repo"] == README_REPO]
    entry["repo"], entry["rev"] = str(hook_repo[0]), hook_repo[1]
    listed = {hook["id"] for hook in entry["hooks"]}
    entry["hooks"] += [{"id": hook["id"]} for hook in LINT_HOOKS if hook["id"] not in listed]  # not a generated repo
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    repo.index.add([".pre-commit-config.yaml"])
    repo.index.commit("Add the pre-commit config", author=AUTHOR, committer=AUTHOR)
    return root


def _run(env: dict[str, str], cwd: Path, *argv: str) -> tuple[int, str]:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    return done.returncode, done.stdout + done.stderr


def _assert_findings(out: str, hook_id: str) -> None:
    required, absent = _expected(hook_id)
    for text in required:
        assert text in out, f"{hook_id}: {text!r} missing from\n{out}"
    for text in absent:
        assert text not in out, f"{hook_id}: {text!r} in\n{out}"


@pytest.mark.slow
@pytest.mark.parametrize("hook_id", [str(hook["id"]) for hook in FILE_HOOKS])
def test_every_hook_fails_bad_files_at_their_findings_and_passes_the_good_one(
        project: Path, hook_env: dict[str, str], hook_id: str) -> None:
    run = [*PRE_COMMIT, "run", hook_id, "--files"]
    code, out = _run(hook_env, project, *run, "bad.yaml", "broken.yaml", "Dockerfile")
    assert code == 1, out
    assert f"- hook id: {hook_id}\n- exit code: 1" in out  # the hook's own code: findings (2: usage, 3: a crash)
    _assert_findings(out, hook_id)
    code, out = _run(hook_env, project, *run, "good.yaml", "notes.md", "good.Dockerfile")
    assert code == 0, out
    assert "Passed" in out


@pytest.mark.slow
def test_readme_try_repo_command_reports_the_findings(project: Path, hook_repo: tuple[Path, str],
                                                      hook_env: dict[str, str]) -> None:
    """README's `pre-commit try-repo` line, run as written but for the repo (try-repo builds a store of its own)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (command,) = re.findall(r"`(pre-commit try-repo [^`]+)`", readme)
    argv = [str(hook_repo[0]) if word == README_REPO else word for word in command.split()[1:]]
    assert argv[:2] == ["try-repo", str(hook_repo[0])], command
    _run(hook_env, project, "git", "add", "--all")  # --all-files: what git tracks, the index included
    code, out = _run(hook_env, project, *PRE_COMMIT, *argv)
    assert code == 1, out
    (hook_id,) = re.findall(r"^- hook id: (\S+)$", out, flags=re.MULTILINE)
    assert hook_id in HOOK_IDS
    _assert_findings(out, hook_id)
    assert "good.yaml:" not in out and "notes.md" not in out


@pytest.mark.slow
def test_installed_hook_refuses_a_bad_commit_and_accepts_a_good_one(project: Path, hook_env: dict[str, str]) -> None:
    code, out = _run(hook_env, project, *PRE_COMMIT, "install")
    assert code == 0, out
    repo = git.Repo(project)
    _run(hook_env, project, "git", "add", "bad.yaml")
    code, out = _run(hook_env, project, "git", "commit", "--quiet", "--message", "Add a privileged pod")
    assert code == 1, out
    for text in _expected("gitops-tools-lint")[0][:2]:
        assert text in out
    assert repo.head.commit.message == "Add the pre-commit config"
    _run(hook_env, project, "git", "reset", "--quiet", "bad.yaml")
    _run(hook_env, project, "git", "add", "good.yaml", "notes.md")
    code, out = _run(hook_env, project, "git", "commit", "--quiet", "--message", "Add the web deployment")
    assert code == 0, out
    assert repo.head.commit.message.strip() == "Add the web deployment"
    assert {item.path for item in repo.head.commit.tree.traverse()} >= {"good.yaml", "notes.md"}  # type: ignore[union-attr]


WEB_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  labels: {app.kubernetes.io/name: web, app.kubernetes.io/instance: web}
spec:
  selector: {app.kubernetes.io/name: web}
  ports: [{port: 80, targetPort: 8080}]
"""


@pytest.mark.slow
def test_a_workspace_check_sees_the_unstaged_neighbours_of_a_staged_file(project: Path,
                                                                         hook_env: dict[str, str]) -> None:
    """pre-commit passes only staged files (split across processes when there are many): each run loads the rest of
    its files' deployable units from the repository, and reports only on the files it was given."""
    (project / "deploy").mkdir()
    (project / "deploy" / "web.yaml").write_text(GOOD, encoding="utf-8")  # the Deployment: committed, unchanged
    (project / "deploy" / "service.yaml").write_text(WEB_SERVICE, encoding="utf-8")
    repo = git.Repo(project)
    repo.index.add(["deploy/web.yaml", "deploy/service.yaml"])
    repo.index.commit("The web app", author=AUTHOR, committer=AUTHOR)
    assert _run(hook_env, project, *PRE_COMMIT, "install")[0] == 0
    selector = _spot(WEB_SERVICE, "selector:")
    # 1. only the Service changes, so that it no longer matches the unstaged Deployment: reported
    (project / "deploy" / "service.yaml").write_text(WEB_SERVICE.replace("name: web}", "name: web-v2}"), "utf-8")
    _run(hook_env, project, "git", "add", "deploy/service.yaml")
    code, out = _run(hook_env, project, "git", "commit", "--quiet", "--message", "Rename the selector")
    assert code == 1, out
    assert f"deploy/service.yaml:{selector[0]}:{selector[1]}: warning [service-selector-matches-pods]" in out
    assert "web-v2 matches none of the pod templates in namespace shop (Deployment/web)" in out
    # 2. the reverse: the Deployment's labels follow in the same commit: both staged, both match, the commit passes
    (project / "deploy" / "web.yaml").write_text(GOOD.replace("name: web\n", "name: web-v2\n"), encoding="utf-8")
    _run(hook_env, project, "git", "add", "deploy/web.yaml")
    code, out = _run(hook_env, project, "git", "commit", "--quiet", "--message", "Rename the app label")
    assert code == 0, out
    # 3. only the Deployment changes and orphans the unstaged Service: the finding is the Service's, a file this
    # commit does not touch, so pre-commit does not report it (a full run does)
    (project / "deploy" / "web.yaml").write_text(GOOD.replace("name: web\n", "name: api\n"), encoding="utf-8")
    _run(hook_env, project, "git", "add", "deploy/web.yaml")
    code, out = _run(hook_env, project, *PRE_COMMIT, "run", "gitops-tools-lint")
    assert code == 0 and "service-selector-matches-pods" not in out, out
    code, out = _run(hook_env, project, *PRE_COMMIT, "run", "gitops-tools-lint", "--files", "deploy/service.yaml")
    assert code == 1 and "deploy/service.yaml" in out and "service-selector-matches-pods" in out, out


@pytest.mark.slow
def test_the_gitlab_ci_hook_lints_a_staged_file_the_pipeline_includes(project: Path, hook_env: dict[str, str]) -> None:
    """pre-commit passes the one staged file; the hook reads the repository's .gitlab-ci.yml (committed, not given)
    to know the file is a pipeline file, and reports only on the staged file."""
    (project / "ci").mkdir()
    (project / ".gitlab-ci.yml").write_text("include:\n  - local: ci/deploy.yml\n  - local: ci/missing.yml\n",
                                            encoding="utf-8")
    repo = git.Repo(project)
    repo.index.add([".gitlab-ci.yml"])
    repo.index.commit("The pipeline", author=AUTHOR, committer=AUTHOR)
    (project / "ci" / "deploy.yml").write_text("deploy:\n  image: python:latest\n  script: [make deploy]\n",
                                               encoding="utf-8")
    _run(hook_env, project, "git", "add", "ci/deploy.yml")
    code, out = _run(hook_env, project, *PRE_COMMIT, "run", "gitops-tools-gitlab-ci")
    assert code == 1, out
    assert "ci/deploy.yml:2:3: error [gitlab-ci-image-pinned]" in out
    assert ".gitlab-ci.yml:" not in out  # its missing include is the pipeline file's finding, and it is not staged


def _repository_config(repos: list[str]) -> str:
    """A .gitops-tools.yaml turning the repository policies on: a README and CODEOWNERS required, the pre-commit
    config's entry of this project fetched from one of `repos`."""
    return yaml.safe_dump({"policies": {
        "repository-required-files-present": {"enabled": True, "parameters": {"required": [
            {"name": "README", "paths": ["README.md"]},
            {"name": "CODEOWNERS", "paths": ["CODEOWNERS", ".github/CODEOWNERS"]}]}},
        "pre-commit-gitops-tools-hooks-pinned": {"enabled": True, "parameters": {"repos": repos}}}})


@pytest.mark.slow
def test_the_repository_hook_checks_the_repository_once_whatever_is_staged(project: Path, hook_repo: tuple[Path, str],
                                                                           hook_env: dict[str, str]) -> None:
    """The hook reports a missing required file once, at the root, whichever files are staged (bad ones, none), and
    lints no other file (broken.yaml is the lint hooks' to report); it lints the pre-commit config when it is
    given."""
    run = [*PRE_COMMIT, "run", "gitops-tools-repository"]
    (project / ".gitops-tools.yaml").write_text(_repository_config([str(hook_repo[0])]), encoding="utf-8")
    (project / "README.md").write_text("# project\n", encoding="utf-8")
    for files in (["--files", "bad.yaml", "broken.yaml"], []):
        code, out = _run(hook_env, project, *run, *files)
        assert code == 1, out
        assert "- hook id: gitops-tools-repository\n- exit code: 1" in out
        lines = [line for line in out.splitlines() if "[repository-required-files-present]" in line]
        assert lines == [".:1:1: error [repository-required-files-present] the repository has no required file: "
                         "CODEOWNERS (one of CODEOWNERS, .github/CODEOWNERS)"], out
        assert "broken.yaml" not in out and "bad.yaml" not in out
    (project / ".github").mkdir()
    (project / ".github" / "CODEOWNERS").write_text("* @acme/web\n", encoding="utf-8")
    code, out = _run(hook_env, project, *run, "--files", ".pre-commit-config.yaml", "broken.yaml")
    assert code == 0, out
    # the pre-commit config names the hooks' repository by a URL the platform does not accept: reported in it
    (project / ".gitops-tools.yaml").write_text(_repository_config([README_REPO]), encoding="utf-8")
    code, out = _run(hook_env, project, *run, "--files", ".pre-commit-config.yaml")
    assert code == 1, out
    assert ".pre-commit-config.yaml:1:1: error [pre-commit-gitops-tools-hooks-pinned]" in out
    assert "[repository-required-files-present]" not in out


@pytest.mark.slow
def test_the_drift_hook_fails_a_commit_of_a_repo_behind_its_scaffold(tmp_path: Path, hook_repo: tuple[Path, str],
                                                                      hook_env: dict[str, str]) -> None:
    """A repo generated by the service scaffold, its pre-commit config pointed at this checkout: the hook passes
    while the repo records the scaffold version the hook's gitops-tools ships, is skipped when the commit stages
    neither of its files, and fails (saying what to do) once the repo records an older version."""
    from gitops_tools.cli import main

    code = main(["new", "service", "--no-input", "-o", str(tmp_path)], io.StringIO(), io.StringIO())
    assert code == 0
    repo_dir = tmp_path / "orders-api"
    config = {"repos": [{"repo": str(hook_repo[0]), "rev": hook_repo[1], "hooks": [{"id": "gitops-tools-drift"}]}]}
    (repo_dir / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    _run(hook_env, repo_dir, "git", "add", ".pre-commit-config.yaml")
    run = [*PRE_COMMIT, "run", "gitops-tools-drift", "--files"]
    code, out = _run(hook_env, repo_dir, *run, ".pre-commit-config.yaml")
    assert code == 0 and "gitops-tools drift (is the repository behind its scaffold?)" in out and "Passed" in out, out
    code, out = _run(hook_env, repo_dir, *run, "README.md")
    assert code == 0 and "(no files to check)Skipped" in out, out
    state = json.loads((repo_dir / ".scaffold.json").read_text(encoding="utf-8"))
    current, state["version"] = state["version"], "1.0.0"
    (repo_dir / ".scaffold.json").write_text(json.dumps(state), encoding="utf-8")
    _run(hook_env, repo_dir, "git", "add", ".scaffold.json")
    code, out = _run(hook_env, repo_dir, *run, ".scaffold.json")
    assert code == 1, out
    assert "- hook id: gitops-tools-drift\n- exit code: 1" in out
    assert "1.0.0" in out and current in out
