"""Scaffolds end to end: every variant renders, lints clean, builds, validates, and its own tests pass."""

from __future__ import annotations

import filecmp
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import git
import pytest
import yaml

from gitops_tools.cli import main
from gitops_tools.scaffold import STATE_FILE, available_scaffolds

ROOT = Path(__file__).resolve().parent.parent
SCAFFOLDS = available_scaffolds(ROOT)
KUSTOMIZE = shutil.which("kustomize") or shutil.which("kubectl")
GO = shutil.which("go")

SERVICE_VARIANTS = {
    "defaults": [],
    "go": ["language=go"],
    "gitlab": ["ci_provider=gitlab"],
    "no-ingress-one-env": ["expose=none", "environments=prod", "gitops_tools_repo=git@github.com:acme/gitops-tools.git",
                           "gitops_tools_rev=0123456789abcdef0123456789abcdef01234567"],
    "go-gitlab-four-envs": ["language=go", "ci_provider=gitlab", "environments=dev,qa,staging,prod",
                            "image_registry=registry.example.com:5000/team", "service_name=billing",
                            "gitops_tools_repo=https://gitlab.example.com/platform/gitops-tools"],
}
ENV_VARIANTS = {
    "defaults": [],
    "gitlab": ["ci_provider=gitlab"],
    "one-env-one-team": ["environments=prod", "teams=team-a", "cluster_domain=clusters.acme.io"],
}
LEFTOVER = re.compile(r"cookiecutter|\{%|%\}|\{#|__[A-Z][A-Z_]*__")
Render = Callable[..., Path]


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str, list[str]], Path]:
    """Render each (scaffold, variant) once per module with `gitops-tools new`, in-process."""
    cache: dict[tuple[str, str], Path] = {}

    def render(scaffold: str, variant: str, answers: list[str]) -> Path:
        if (scaffold, variant) not in cache:
            out = tmp_path_factory.mktemp(f"{scaffold}-{variant}")
            sets = [arg for answer in answers for arg in ("--set", answer)]
            code, stdout, stderr = run_cli("new", scaffold, "--no-input", "-o", str(out), *sets)
            assert code == 0, stderr
            (target,) = [path for path in out.iterdir() if path.is_dir()]
            assert f"Created {target}" in stdout
            cache[scaffold, variant] = target
        return cache[scaffold, variant]

    return render


VARIANTS = [pytest.param("service", name, answers, id=f"service-{name}") for name, answers in SERVICE_VARIANTS.items()]
VARIANTS += [pytest.param("gitops-env", name, answers, id=f"env-{name}") for name, answers in ENV_VARIANTS.items()]


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts)


@pytest.mark.slow
@pytest.mark.parametrize(("scaffold", "variant", "answers"), VARIANTS)
def test_renders_a_git_repo_with_one_commit_and_a_state_file(rendered: Render, scaffold: str, variant: str,
                                                             answers: list[str]) -> None:
    repo_dir = rendered(scaffold, variant, answers)
    repo = git.Repo(repo_dir)
    assert [c.message.splitlines()[0] for c in repo.iter_commits()] == [
        f"Initial commit: {scaffold} {SCAFFOLDS[scaffold].version}"]
    assert not repo.is_dirty(untracked_files=True)
    assert STATE_FILE in {item.path for item in repo.head.commit.tree.traverse()}  # type: ignore[union-attr]
    state = json.loads((repo_dir / STATE_FILE).read_text(encoding="utf-8"))
    assert state["scaffold"] == scaffold
    assert state["version"] == SCAFFOLDS[scaffold].version
    for answer in answers:
        key, _, value = answer.partition("=")
        assert state["answers"][key] == value
    assert not any(key.startswith("_") for key in state["answers"])


@pytest.mark.slow
@pytest.mark.parametrize(("scaffold", "variant", "answers"), VARIANTS)
def test_lints_clean_with_our_own_policies(rendered: Render, scaffold: str, variant: str, answers: list[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    repo_dir = rendered(scaffold, variant, answers)
    monkeypatch.chdir(repo_dir)
    code, out, err = run_cli("lint", "--fail-on", "info", ".")
    assert (code, err) == (0, ""), out
    assert out.startswith("No findings (")


@pytest.mark.slow
@pytest.mark.parametrize(("scaffold", "variant", "answers"), VARIANTS)
def test_no_template_syntax_survives_and_other_tools_templates_do(rendered: Render, scaffold: str, variant: str,
                                                                 answers: list[str]) -> None:
    repo_dir = rendered(scaffold, variant, answers)
    for path in _files(repo_dir):
        if path.name == STATE_FILE:
            continue
        text = path.read_text(encoding="utf-8")
        assert not LEFTOVER.search(text), f"{path}: {LEFTOVER.search(text)}"
    for workflow in (repo_dir / ".github" / "workflows").glob("*.yml"):
        assert "${{ " in workflow.read_text(encoding="utf-8")
    rules = repo_dir / "monitoring" / "prometheusrule.yaml"
    if rules.exists():
        assert "{{ $labels." in rules.read_text(encoding="utf-8") or "{{$labels." in rules.read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize(("scaffold", "variant", "answers"), VARIANTS)
def test_ci_files_validate_against_the_public_schemas(rendered: Render, scaffold: str, variant: str,
                                                      answers: list[str]) -> None:
    repo_dir = rendered(scaffold, variant, answers)
    checks = {
        "vendor.github-workflows": sorted((repo_dir / ".github" / "workflows").glob("*.yml")),
        "vendor.dependabot": [p for p in [repo_dir / ".github" / "dependabot.yml"] if p.exists()],
        "vendor.gitlab-ci": [p for p in [repo_dir / ".gitlab-ci.yml"] if p.exists()],
        "vendor.renovate": [p for p in [repo_dir / "renovate.json"] if p.exists()],
    }
    assert any(checks.values())
    checker = Path(sys.executable).with_name("check-jsonschema")
    for schema, files in checks.items():
        if files:
            done = subprocess.run([str(checker), "--builtin-schema", schema, *map(str, files)],
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(SERVICE_VARIANTS))
def test_service_ci_runs_our_workflow_or_template_at_the_pinned_rev(rendered: Render, variant: str) -> None:
    repo_dir = rendered("service", variant, SERVICE_VARIANTS[variant])
    state = json.loads((repo_dir / STATE_FILE).read_text(encoding="utf-8"))["answers"]
    rev, url = state["gitops_tools_rev"], state["gitops_tools_repo"]
    slug = re.sub(r"^(https://[^/]+/|git@[^:]+:)", "", url).removesuffix(".git")
    if state["ci_provider"] == "github":
        jobs = yaml.safe_load((repo_dir / ".github/workflows/ci.yml").read_text(encoding="utf-8"))["jobs"]
        job = jobs["gitops-tools"]
        workflow, _, ref = job["uses"].partition("@")
        assert (workflow, ref) == (f"{slug}/.github/workflows/gitops-tools.yml", rev)
        inputs = yaml.safe_load((ROOT / ".github/workflows/gitops-tools.yml").read_text(encoding="utf-8"))[True]
        assert set(job.get("with", {})) <= set(inputs["workflow_call"]["inputs"])
        assert job["permissions"]["security-events"] == "write"
        assert "gitops-tools" in jobs["push"]["needs"]
        assert jobs["lint"]["env"]["SKIP"] == "gitops-tools-lint"
    else:
        config = yaml.safe_load((repo_dir / ".gitlab-ci.yml").read_text(encoding="utf-8"))
        (include,) = config["include"]
        assert include["remote"].endswith(f"/{rev}/ci/gitops-tools.gitlab-ci.yml")
        assert slug in include["remote"]
        assert config["variables"]["GITOPS_TOOLS_REF"] == rev
        assert config["variables"]["GITOPS_TOOLS_REPO"].startswith("https://")
        template = yaml.safe_load((ROOT / "ci/gitops-tools.gitlab-ci.yml").read_text(encoding="utf-8"))
        assert "gitops-tools-lint" in template
        assert config["gitops-tools-lint"]["stage"] in config["stages"]
        assert {"job": "gitops-tools-lint", "artifacts": False} in config["push"]["needs"]
        assert config["lint"]["variables"]["SKIP"] == "gitops-tools-lint"


@pytest.mark.slow
@pytest.mark.parametrize(("scaffold", "variant", "answers"), VARIANTS)
def test_every_kustomization_builds_and_its_output_lints_clean(rendered: Render, scaffold: str, variant: str,
                                                               answers: list[str]) -> None:
    if KUSTOMIZE is None:
        pytest.skip("neither kustomize nor kubectl is on the PATH: cannot build the overlays")
    repo_dir = rendered(scaffold, variant, answers)
    folders = sorted({p.parent for p in repo_dir.rglob("kustomization.yaml")})
    assert folders
    build = [KUSTOMIZE, "build"] if Path(KUSTOMIZE).name == "kustomize" else [KUSTOMIZE, "kustomize"]
    for folder in folders:
        built = subprocess.run([*build, str(folder)], capture_output=True, text=True, timeout=120)
        assert built.returncode == 0, f"{folder}: {built.stderr}"
        lint = subprocess.run([sys.executable, "-m", "gitops_tools", "lint", "-"], input=built.stdout,
                              capture_output=True, text=True, timeout=120, cwd=repo_dir)
        assert lint.returncode == 0, f"{folder}: {lint.stdout}"


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["defaults", "go"])
def test_the_generated_apps_own_tests_pass(rendered: Render, variant: str) -> None:
    repo_dir = rendered("service", variant, SERVICE_VARIANTS[variant])
    if variant == "go":
        if GO is None:
            pytest.skip("go is not on the PATH (CI installs it): cannot run the Go app's tests")
        env = {**os.environ, "GOFLAGS": "-mod=mod", "GOCACHE": str(repo_dir.parent / "gocache"),
               "GOPATH": str(repo_dir.parent / "gopath")}
        done = subprocess.run([GO, "test", "./..."], cwd=repo_dir, capture_output=True, text=True, timeout=600,
                              env=env)
    else:
        env = {**os.environ, "PYTHONPATH": str(repo_dir / "src")}
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                              cwd=repo_dir, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("scaffold", sorted(SCAFFOLDS))
def test_rendering_is_deterministic_and_plain_cookiecutter_matches(tmp_path: Path, scaffold: str) -> None:
    outputs = []
    for run in ("first", "second"):
        out = tmp_path / run
        code, _, err = run_cli("new", scaffold, "--no-input", "--no-git", "-o", str(out))
        assert code == 0, err
        outputs.append(next(out.iterdir()))
    plain = tmp_path / "plain"
    done = subprocess.run([str(Path(sys.executable).with_name("cookiecutter")), str(ROOT), "--directory",
                           f"scaffolds/{scaffold}", "--no-input", "-o", str(plain)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    outputs.append(next(plain.iterdir()))
    names = [[p.relative_to(root) for p in _files(root)] for root in outputs]
    assert names[0] == names[1] == names[2]
    for relative in names[0]:
        assert filecmp.cmp(outputs[0] / relative, outputs[1] / relative, shallow=False), relative
        if relative.name != STATE_FILE:  # the state file records where the template came from
            assert filecmp.cmp(outputs[0] / relative, outputs[2] / relative, shallow=False), relative


BAD_ANSWERS = [
    pytest.param("service_name=Orders_API", "service_name", id="not-a-dns-label"),
    pytest.param("port=80", "port", id="privileged-port"),
    pytest.param("metrics_port=8080", "must all differ", id="same-ports"),
    pytest.param("environments=dev,dev", "repeats", id="repeated-environment"),
    pytest.param("image_registry=https://ghcr.io/x", "image_registry", id="registry-url"),
    pytest.param("description={{ 7 * 7 }}", "template syntax", id="template-syntax"),
    pytest.param("owner=../../etc", "path", id="path-traversal"),
    pytest.param("ingress_host=localhost", "ingress_host", id="bare-host"),
    pytest.param("nope=1", "no question", id="unknown-question"),
]


@pytest.mark.parametrize(("answer", "message"), BAD_ANSWERS)
def test_bad_answers_stop_before_anything_is_written(tmp_path: Path, answer: str, message: str) -> None:
    code, _, err = run_cli("new", "service", "--no-input", "-o", str(tmp_path / "out"), "--set", answer)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.slow
def test_plain_cookiecutter_rejects_a_bad_answer_and_leaves_nothing(tmp_path: Path) -> None:
    done = subprocess.run([str(Path(sys.executable).with_name("cookiecutter")), str(ROOT), "--directory",
                           "scaffolds/service", "--no-input", "-o", str(tmp_path), "service_name=Bad_Name"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "service_name: 'Bad_Name' is not a DNS-1123 label" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_new_lists_the_scaffolds() -> None:
    code, out, _ = run_cli("new")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == sorted(SCAFFOLDS)


def test_new_refuses_an_existing_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "orders-api").mkdir()
    (tmp_path / "orders-api" / "notes.txt").write_text("mine\n", encoding="utf-8")
    code, _, err = run_cli("new", "service", "--no-input", "-o", str(tmp_path))
    assert code == 2
    assert "exists and is not empty" in err
    assert [p.name for p in (tmp_path / "orders-api").iterdir()] == ["notes.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["orders-api"]  # the temporary render is gone too


def test_new_refuses_a_dirty_repository_even_with_force(tmp_path: Path) -> None:
    target = tmp_path / "orders-api"
    repo = git.Repo.init(target)
    (target / "work.txt").write_text("uncommitted\n", encoding="utf-8")
    code, _, err = run_cli("new", "service", "--no-input", "--force", "-o", str(tmp_path))
    assert code == 2
    assert "uncommitted changes" in err
    assert repo.untracked_files == ["work.txt"]


@pytest.mark.slow
def test_force_renders_into_a_clean_repository_as_a_new_commit(tmp_path: Path) -> None:
    target = tmp_path / "orders-api"
    repo = git.Repo.init(target)
    (target / "LICENSE").write_text("MIT\n", encoding="utf-8")
    repo.index.add(["LICENSE"])
    author = git.Actor("Test", "test@example.com")
    repo.index.commit("Add licence", author=author, committer=author)
    code, _, err = run_cli("new", "service", "--no-input", "--force", "-o", str(tmp_path))
    assert code == 0, err
    assert [c.message.splitlines()[0] for c in repo.iter_commits()] == ["Apply scaffold: service 1.0.0",
                                                                       "Add licence"]
    assert (target / "LICENSE").read_text(encoding="utf-8") == "MIT\n"


@pytest.mark.slow
def test_answers_file_and_state_file_re_render_the_same_repo(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("service_name: billing\nlanguage: go\nenvironments: dev,prod\n", encoding="utf-8")
    code, _, err = run_cli("new", "service", "--no-input", "--no-git", "--answers", str(answers),
                           "-o", str(tmp_path / "a"))
    assert code == 0, err
    first = tmp_path / "a" / "billing"
    assert (first / "go.mod").exists()
    assert sorted(p.name for p in (first / "k8s" / "overlays").iterdir()) == ["dev", "prod"]
    code, _, err = run_cli("new", "service", "--no-input", "--no-git", "--answers", str(first / STATE_FILE),
                           "-o", str(tmp_path / "b"))
    assert code == 0, err
    second = tmp_path / "b" / "billing"
    assert [p.relative_to(first) for p in _files(first)] == [p.relative_to(second) for p in _files(second)]
    assert all(filecmp.cmp(p, second / p.relative_to(first), shallow=False) for p in _files(first))


@pytest.mark.parametrize("hook", ["pre_gen_project.py", "post_gen_project.py"])
def test_scaffold_hooks_are_one_implementation(hook: str) -> None:
    copies = {name: (scaffold.path / "hooks" / hook).read_bytes() for name, scaffold in SCAFFOLDS.items()}
    assert len(set(copies.values())) == 1, f"hooks/{hook} differs between scaffolds: keep the copies identical"


# --- failures, interrupts and usage errors leave nothing behind -------------------------------------------------------


def _nothing_left(output: Path) -> None:
    assert not output.exists() or list(output.iterdir()) == [], sorted(p.name for p in output.iterdir())


@pytest.mark.parametrize(
    ("make", "argv", "message"),
    [
        pytest.param(lambda tmp: None, ["--set", "language=cobol"],
                     "language: 'cobol' is not one of the choices python, go", id="answer-outside-the-choices"),
        pytest.param(lambda tmp: (tmp / "out").write_text("a file\n", encoding="utf-8"), [],
                     "out exists and is not a folder", id="output-is-a-file"),
    ],
)
def test_usage_errors_of_new_are_exit_2(tmp_path: Path, make: Callable[[Path], object], argv: list[str],
                                        message: str) -> None:
    make(tmp_path)
    code, out, err = run_cli("new", "service", "--no-input", "-o", str(tmp_path / "out"), *argv)
    assert (code, out) == (2, "")
    assert err == f"gitops-tools: error: {message}\n".replace("out exists", f"{tmp_path / 'out'} exists")


def test_an_unwritable_output_folder_is_exit_2(tmp_path: Path, without_file_permissions: list[str]) -> None:
    (tmp_path / "out").mkdir(mode=0o555)
    done = subprocess.run([*without_file_permissions, str(Path(sys.executable).with_name("gitops-tools")), "new",
                           "service", "--no-input", "-o", str(tmp_path / "out")], capture_output=True, text=True,
                          timeout=120, check=False)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"gitops-tools: error: cannot create a repository in {tmp_path / 'out'}: Permission denied\n"
    _nothing_left(tmp_path / "out")


@pytest.mark.slow
def test_a_failing_git_leaves_no_work_folder_and_no_half_made_repository(tmp_path: Path) -> None:
    """Real git, with `add` made to fail (as a full disk or a broken hook would): nothing reaches the output."""
    fake = tmp_path / "bin" / "git"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nif [ "$1" = add ]; then echo "fatal: simulated failure" >&2; exit 128; fi\n'
                    f'exec {shutil.which("git")} "$@"\n', encoding="utf-8")
    fake.chmod(0o755)
    env = {**os.environ, "GIT_PYTHON_GIT_EXECUTABLE": str(fake)}
    done = subprocess.run([str(Path(sys.executable).with_name("gitops-tools")), "new", "service", "--no-input", "-o",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=300, env=env, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("gitops-tools: error: git failed in ")
    assert "simulated failure" in done.stderr
    _nothing_left(tmp_path / "out")


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.2], ids=["starting", "rendering"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_an_interrupted_new_leaves_no_work_folder(tmp_path: Path, signum: int, delay: float) -> None:
    """Interrupted while cookiecutter or its hooks run: they are stopped before the work folder is removed, so
    nothing can recreate it afterwards."""
    output = tmp_path / "out"
    output.mkdir()
    process = subprocess.Popen([str(Path(sys.executable).with_name("gitops-tools")), "new", "service", "--no-input",
                                "-o", str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if any(path.name.startswith(".gitops-tools-new-") for path in output.iterdir()):
            time.sleep(delay)
            process.send_signal(signum)
            break
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signum, stderr
    assert stderr in ("gitops-tools: terminated\n", "gitops-tools: interrupted\n")
    time.sleep(1)  # a hook left running could recreate the folder now
    _nothing_left(output)


@pytest.mark.slow
@pytest.mark.parametrize("link", ["README.md", "k8s"], ids=["file-link", "folder-link"])
def test_force_never_writes_through_a_symbolic_link_in_the_target(tmp_path: Path, link: str) -> None:
    """`--force` copies into an existing folder: a link there (a file or folder elsewhere) is refused, untouched."""
    victim = tmp_path / "elsewhere"
    victim.mkdir()
    (victim / "notes.txt").write_text("precious\n", encoding="utf-8")
    target = tmp_path / "out" / "orders-api"
    target.mkdir(parents=True)
    (target / link).symlink_to(victim / "notes.txt" if link == "README.md" else victim)
    code, out, err = run_cli("new", "service", "--no-input", "--force", "--no-git", "-o", str(tmp_path / "out"))
    assert (code, out) == (2, "")
    assert err == (f"gitops-tools: error: {target / link} is a symbolic link; refusing to write the scaffold "
                   "through it\n")
    assert sorted(p.name for p in victim.iterdir()) == ["notes.txt"]
    assert (victim / "notes.txt").read_text(encoding="utf-8") == "precious\n"
    assert sorted(p.name for p in target.iterdir()) == [link]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["orders-api"]
