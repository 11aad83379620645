"""Scaffolds end to end: every variant renders, lints clean, builds, validates, and its own tests pass."""

from __future__ import annotations

import filecmp
import hashlib
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import git
import pytest
import yaml
from conftest import VENV_BIN, Render, ToolFinder, lints_clean, tool_path
from conftest import call_cli as run_cli

from gitops_tools.lifecycle.base import BASE_FILE
from gitops_tools.scaffold import STATE_FILE, available_scaffolds

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SCAFFOLDS = available_scaffolds(ROOT)


def _matrix(scaffold: str, extras: dict[str, list[str]]) -> dict[str, list[str]]:
    """Every combination of the scaffold's choices, each rendered once, with three environments or with one: the
    answers that differ from the defaults (the all-defaults combination sets nothing), plus `extras` for some
    combinations (each must name one).

    The environment count is no choice but it changes what every choice renders (promotion, one overlay or three),
    so each value of each choice meets both counts: the count alternates with the parity of the combination's choice
    indexes (change one choice's value and the count flips), and a value that would still meet only one count (a
    scaffold with a single choice) gets its first combination again with the other. Every combination of the real
    choices stays; rendering each with both counts too would double the matrix for no new pairing."""
    questions = SCAFFOLDS[scaffold].context()
    choices = {key: value for key, value in questions.items() if isinstance(value, list) and not key.startswith("_")}
    counts = [questions["environments"], questions["environments"].split(",")[-1]]
    combinations = []
    for values in itertools.product(*choices.values()):
        picked = dict(zip(choices, values, strict=True))
        combinations.append((picked, counts[sum(choices[key].index(value) for key, value in picked.items()) % 2]))
    for key, values in choices.items():
        for value in values:
            met = {environments for picked, environments in combinations if picked[key] == value}
            first = next(picked for picked, _ in combinations if picked[key] == value)
            combinations += [(first, environments) for environments in counts if environments not in met]
    variants = {}
    for picked, environments in combinations:
        name = "-".join([*picked.values(), f"{len(environments.split(','))}env"])
        variants[name] = [f"{key}={value}" for key, value in picked.items() if value != choices[key][0]]
        variants[name] += [] if environments == counts[0] else [f"environments={environments}"]
    assert set(extras) <= set(variants), f"extras for combinations the matrix lacks: {set(extras) - set(variants)}"
    return {name: answers + extras.get(name, []) for name, answers in variants.items()}


SERVICE_VARIANTS = _matrix("service", {
    "go-github-none-1env": ["gitops_tools_repo=git@github.com:acme/gitops-tools.git",
                           "gitops_tools_rev=0123456789abcdef0123456789abcdef01234567"],
})
SERVICE_VARIANTS["go-gitlab-four-envs"] = ["language=go", "ci_provider=gitlab", "environments=dev,qa,staging,prod",
                                           "image_registry=registry.example.com:5000/team", "service_name=billing",
                                           "gitops_tools_repo=https://gitlab.example.com/platform/gitops-tools"]
# The combination `gitops-tools new service --no-input` makes: no answer set.
(DEFAULT_SERVICE,) = [name for name, answers in SERVICE_VARIANTS.items() if not answers]
ENV_VARIANTS = _matrix("gitops-env", {"github-kyverno-1env": ["teams=team-a", "cluster_domain=clusters.acme.io"]})


def _choices(scaffold: str) -> dict[str, list[str]]:
    questions = SCAFFOLDS[scaffold].context()
    return {key: value for key, value in questions.items() if isinstance(value, list) and not key.startswith("_")}


@pytest.mark.parametrize(("scaffold", "variants"), [("service", SERVICE_VARIANTS), ("gitops-env", ENV_VARIANTS)])
def test_the_matrix_has_every_combination_and_each_value_with_one_and_with_several_environments(
        scaffold: str, variants: dict[str, list[str]]) -> None:
    choices = _choices(scaffold)
    default = SCAFFOLDS[scaffold].context()["environments"]
    seen = set()
    for answers in variants.values():
        picked = {key: values[0] for key, values in choices.items()} | dict(a.split("=", 1) for a in answers)
        seen.add((tuple(picked[key] for key in choices), len(picked.get("environments", default).split(",")) > 1))
    assert {combination for combination, _ in seen} == set(itertools.product(*choices.values()))
    for index, (key, values) in enumerate(choices.items()):
        for value in values:
            assert {several for combination, several in seen if combination[index] == value} == {True, False}, (
                f"{key}={value} does not meet both one environment and several")


def test_readme_states_the_matrix_the_suite_renders() -> None:
    """README's 'Checked by external validators' says which choices are combined and how many repos that makes."""
    parts = []
    for scaffold, variants in (("service", SERVICE_VARIANTS), ("gitops-env", ENV_VARIANTS)):
        choices = _choices(scaffold)
        combinations = len(list(itertools.product(*choices.values())))
        parts.append(f"`{scaffold}`: {' x '.join(f'`{key}`' for key in choices)}, {combinations} combinations, "
                     f"{len(variants)} repos")
    text = README.read_text(encoding="utf-8").split("<!-- checked: the matrix by tests/test_scaffolds.py -->\n", 1)[1]
    stated = " ".join(text.split("\n<!-- end: the matrix -->")[0].split())
    assert stated == "; ".join(parts) + f"; {len(VARIANTS)} repos in all.", "README's matrix sentence is stale"


LEFTOVER = re.compile(r"cookiecutter|\{%|%\}|\{#|__[A-Z][A-Z_]*__")
# The golden-path lock names gitops-tools' dependency cookiecutter (its pin and the `via` comments): data, not syntax.
LOCKED_COOKIECUTTER = re.compile(r"(?m)^(cookiecutter[=>]=[0-9.]+( \\)?|    # via cookiecutter|    #   cookiecutter)$")


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
@pytest.mark.parametrize(("scaffold", "removed", "requirement"), [
    ("service", "catalog-info.yaml", "Backstage catalog entry (catalog-info.yaml)"),
    ("gitops-env", ".github/workflows/lint.yml", "CI workflow (.github/workflows/lint.yml)"),
])
def test_a_required_file_deleted_from_a_rendered_repo_is_its_one_finding(tmp_path: Path, scaffold: str, removed: str,
                                                                         requirement: str,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The layout the scaffold's .gitops-tools.yaml requires is what it generates: take one file away (from the
    working tree of the new repository, its deletion unstaged) and that is the one finding."""
    code, _, err = run_cli("new", scaffold, "--no-input", "-o", str(tmp_path))
    assert code == 0, err
    (repo_dir,) = [path for path in tmp_path.iterdir() if path.is_dir()]
    (repo_dir / removed).unlink()
    monkeypatch.chdir(repo_dir)
    code, out, err = run_cli("lint", "--fail-on", "info", ".")
    assert (code, err) == (1, "")
    assert out.splitlines()[:-1] == [
        f".:1:1: error [repository-required-files-present] the repository has no required file: {requirement}"], out


@pytest.mark.slow
@pytest.mark.parametrize(("scaffold", "variant", "answers"), VARIANTS)
def test_no_template_syntax_survives_and_other_tools_templates_do(rendered: Render, scaffold: str, variant: str,
                                                                 answers: list[str]) -> None:
    repo_dir = rendered(scaffold, variant, answers)
    for path in _files(repo_dir):
        if path.name in (STATE_FILE, BASE_FILE):  # data, not templates; the base archive holds the files checked here
            continue
        text = path.read_text(encoding="utf-8")
        if path.parent == repo_dir / "ci" / "golden-path":
            text = LOCKED_COOKIECUTTER.sub("", text)
        assert not LEFTOVER.search(text), f"{path}: {LEFTOVER.search(text)}"
    for workflow in (repo_dir / ".github" / "workflows").glob("*.yml"):  # Jinja's raw blocks keep GitHub's syntax
        (template,) = [path for path in (ROOT / "scaffolds" / scaffold).rglob(workflow.name)
                       if path.parent.name == "workflows"]
        if "{% raw %}${{ " in template.read_text(encoding="utf-8"):
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
        assert jobs["lint"]["env"]["SKIP"] == "gitops-tools-lint,gitops-tools-repository,gitops-tools-drift"
    else:
        config = yaml.safe_load((repo_dir / ".gitlab-ci.yml").read_text(encoding="utf-8"))
        include, *others = config["include"]
        assert others == [{"template": "Jobs/SAST.gitlab-ci.yml"}]  # GitLab's SAST, pinned by the instance
        assert include["remote"].endswith(f"/{rev}/ci/gitops-tools.gitlab-ci.yml")
        assert slug in include["remote"]
        assert config["variables"]["GITOPS_TOOLS_REF"] == rev
        assert config["variables"]["GITOPS_TOOLS_REPO"].startswith("https://")
        template = yaml.safe_load((ROOT / "ci/gitops-tools.gitlab-ci.yml").read_text(encoding="utf-8"))
        assert "gitops-tools-lint" in template
        assert config["gitops-tools-lint"]["stage"] in config["stages"]
        assert {"job": "gitops-tools-lint", "artifacts": False} in config["push"]["needs"]
        assert config["lint"]["variables"]["SKIP"] == "gitops-tools-lint,gitops-tools-repository,gitops-tools-drift"



def _https(url: str) -> str:
    """The https URL pip installs gitops-tools from, for the gitops_tools_repo answer (an SSH URL or https)."""
    url = url.removesuffix(".git")
    return "https://" + url[4:].replace(":", "/", 1) if url.startswith("git@") else url


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(SERVICE_VARIANTS))
def test_service_ci_checks_drift_and_a_schedule_opens_the_golden_path_update(rendered: Render, variant: str) -> None:
    """Every pipeline checks the repository against its golden path (gitops-tools at GOLDEN_PATH_REF, the same in
    the check and the update), deploys never wait for that check, and a scheduled run updates on a branch of its own
    and opens a pull or merge request with a token that lets CI run on it. The pre-commit hook is the manifest's."""
    repo_dir = rendered("service", variant, SERVICE_VARIANTS[variant])
    answers = json.loads((repo_dir / STATE_FILE).read_text(encoding="utf-8"))["answers"]
    install = f"gitops-tools @ git+{_https(answers['gitops_tools_repo'])}@"
    hooks = yaml.safe_load((repo_dir / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"][-1]["hooks"]
    assert {"id": "gitops-tools-drift"} in hooks
    manifest = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert "gitops-tools-drift" in {hook["id"] for hook in manifest}
    if answers["ci_provider"] == "github":
        jobs = yaml.safe_load((repo_dir / ".github/workflows/ci.yml").read_text(encoding="utf-8"))["jobs"]
        drift = jobs["drift"]
        assert drift["env"]["GITOPS_TOOLS_PACKAGE"] == install + "${{ vars.GOLDEN_PATH_REF || 'main' }}"
        assert [step["run"] for step in drift["steps"] if "run" in step][-1] == "gitops-tools drift --diff"
        assert "drift" not in jobs["push"]["needs"]
        text = (repo_dir / ".github/workflows/golden-path.yml").read_text(encoding="utf-8")
        workflow = yaml.safe_load(text)
        assert set(workflow[True]) == {"schedule", "workflow_dispatch"}
        assert re.fullmatch(r"\d+ \d+ \* \* [0-6]", workflow[True]["schedule"][0]["cron"])  # weekly
        assert workflow["permissions"] == {"contents": "read"}
        (update,) = workflow["jobs"].values()
        assert update["env"]["GITOPS_TOOLS_PACKAGE"] == drift["env"]["GITOPS_TOOLS_PACKAGE"]
        assert "secrets" not in json.dumps(update["env"])  # the token reaches the steps that need it, no other
        script = "\n".join(step.get("run", "") for step in update["steps"])
        assert "gitops-tools update --no-input" in script and "gh pr create" in script
        assert [step["env"]["GH_TOKEN"] for step in update["steps"] if "GH_TOKEN" in step.get("env", {})] == [
            "${{ secrets.GOLDEN_PATH_TOKEN }}"]
        assert "GOLDEN_PATH_TOKEN, a repository secret" in text and "Not GITHUB_TOKEN" in text
    else:
        text = (repo_dir / ".gitlab-ci.yml").read_text(encoding="utf-8")
        config = yaml.safe_load(text)
        assert config["variables"]["GOLDEN_PATH_REF"] == "main"
        drift, update = config["golden-path-drift"], config["golden-path-update"]
        assert config["variables"]["GITOPS_TOOLS_REPO"] == _https(answers["gitops_tools_repo"])
        for job in (drift, update):
            assert '"gitops-tools @ git+${GITOPS_TOOLS_REPO}@${GOLDEN_PATH_REF}"' in " ".join(job["script"])
        assert drift["script"][-1] == "gitops-tools drift --diff"
        assert drift["rules"][0] == {"if": '$CI_PIPELINE_SOURCE == "schedule"', "when": "never"}
        (rule,) = update["rules"]
        assert rule == {"if": '$CI_PIPELINE_SOURCE == "schedule" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH'}
        assert "golden-path-drift" not in json.dumps(config["push"]["needs"])
        script = "\n".join(update["script"])
        assert "gitops-tools update --no-input" in script and "-o merge_request.create" in script
        assert "${GOLDEN_PATH_TOKEN}@" in script
        assert "GOLDEN_PATH_TOKEN, a project access token" in text and "CI_JOB_TOKEN cannot push" in text


def kustomize_build(kubectl: str, folder: Path) -> str:
    """`kubectl kustomize folder`'s output; a failing build fails the test."""
    built = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, f"{folder}: {built.stderr}"
    return built.stdout


def _images(stream: str) -> list[str]:
    """Every container image in a kustomize build's output."""
    found = []
    for document in yaml.safe_load_all(stream):
        pod = (document or {}).get("spec", {}).get("template", {}).get("spec", {})
        found += [c["image"] for key in ("initContainers", "containers") for c in pod.get(key, [])]
    return found


@pytest.mark.slow
@pytest.mark.parametrize(("scaffold", "variant", "answers"), VARIANTS)
def test_every_kustomization_builds_and_its_output_lints_clean(rendered: Render, scaffold: str, variant: str,
                                                               answers: list[str], external_tool: ToolFinder) -> None:
    kubectl = external_tool("kubectl")
    repo_dir = rendered(scaffold, variant, answers)
    folders = sorted({p.parent for p in repo_dir.rglob("kustomization.yaml")  # a Component builds in its overlay
                      if yaml.safe_load(p.read_text(encoding="utf-8")).get("kind") != "Component"})
    assert folders
    for folder in folders:
        lints_clean(repo_dir, stream=kustomize_build(kubectl, folder))


@pytest.mark.slow
@pytest.mark.parametrize(("scaffold", "variant", "answers"), VARIANTS)
def test_meets_the_restricted_pod_security_standard(rendered: Render, scaffold: str, variant: str, answers: list[str],
                                                    external_tool: ToolFinder, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    """The golden path's pods are admitted by a namespace enforcing the restricted Pod Security Standard, at the oldest
    and newest versions a run targets: its sources, and every kustomization as kustomize builds it, each environment
    released (before its first release an overlay has no pod to judge)."""
    kubectl = external_tool("kubectl")
    repo_dir = rendered(scaffold, variant, answers)
    monkeypatch.chdir(repo_dir)
    source = released(repo_dir, tmp_path) if scaffold == "service" else repo_dir
    streams = {p.parent.relative_to(source): kustomize_build(kubectl, p.parent)
               for p in sorted(source.rglob("kustomization.yaml"))
               if yaml.safe_load(p.read_text(encoding="utf-8")).get("kind") != "Component"}
    overlays = [stream for folder, stream in streams.items() if folder.parts[:2] == ("k8s", "overlays")]
    assert scaffold != "service" or (overlays and all(map(_images, overlays)))  # there are pods to judge
    for version in ("1.25", "1.36"):
        profile = ("--profile", "pss-restricted", "--kubernetes-version", version)
        code, out, err = run_cli("lint", "--fail-on", "info", *profile, ".")
        assert (code, err) == (0, ""), out
        for stream in streams.values():
            lints_clean(repo_dir, *profile, stream=stream)


SERVICE_PARAMS = [pytest.param(name, id=name) for name in sorted(SERVICE_VARIANTS)]
PUSHED_TAG, PUSHED_DIGEST = "sha-0123e567", "sha256:" + "0123456789abcdef" * 4


def _release(repo_dir: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "scripts/release.sh", *argv], cwd=repo_dir, capture_output=True, text=True,
                          timeout=60)


def released(repo_dir: Path, tmp_path: Path) -> Path:
    """A copy of a rendered service repo in which every environment runs the image CI pushed, written by the release
    script as CI writes it."""
    copy = tmp_path / "released" / repo_dir.name
    shutil.copytree(repo_dir, copy, symlinks=True)
    answers = json.loads((copy / STATE_FILE).read_text(encoding="utf-8"))["answers"]
    pushed = f"{answers['image_registry']}/{answers['service_name']}:{PUSHED_TAG}@{PUSHED_DIGEST}"
    for env in answers["environments"].split(","):
        done = _release(copy, "set", env, pushed)
        assert done.returncode == 0, done.stderr
    return copy


@pytest.mark.slow
@pytest.mark.parametrize("variant", SERVICE_PARAMS)
def test_environments_run_only_the_exact_image_the_pipeline_pushed(rendered: Render, variant: str, tmp_path: Path,
                                                                   external_tool: ToolFinder) -> None:
    """Day 0: nothing is pushed yet, so no environment runs an image (nor its alerts). Then the pipeline's own
    release script writes the reference CI pushed, tag and digest, into the first environment, and promotion copies
    it unchanged, one environment after the other: each overlay runs exactly that image, pinned by its digest."""
    kubectl = external_tool("kubectl")
    repo_dir = tmp_path / "repo"
    shutil.copytree(rendered("service", variant, SERVICE_VARIANTS[variant]), repo_dir, symlinks=True)
    answers = json.loads((repo_dir / STATE_FILE).read_text(encoding="utf-8"))["answers"]
    envs, image = answers["environments"].split(","), f"{answers['image_registry']}/{answers['service_name']}"
    for env in envs:
        day0 = kustomize_build(kubectl, repo_dir / "k8s" / "overlays" / env)
        assert _images(day0) == [], env
        assert "kind: PrometheusRule" not in day0  # no alerts about a service that is not there
        assert _release(repo_dir, "show", env).returncode == 1
    pushed = f"{image}:{PUSHED_TAG}@{PUSHED_DIGEST}"
    done = _release(repo_dir, "set", envs[0], pushed)
    assert done.returncode == 0, done.stderr
    for source, target in itertools.pairwise(envs):
        done = _release(repo_dir, "copy", source, target)
        assert done.returncode == 0, done.stderr
    for env in envs:
        built = kustomize_build(kubectl, repo_dir / "k8s" / "overlays" / env)
        assert _images(built) == [pushed], env
        _assert_alerts_of_the_environment(built, f"{answers['owner']}-{env}", production=env == envs[-1])
        lints_clean(repo_dir, stream=built)
        assert _release(repo_dir, "show", env).stdout == pushed + "\n"


def _rules(stream: str) -> list[dict[str, Any]]:
    """The rules of the (one) PrometheusRule in a kustomize build's output."""
    (rule,) = [doc for doc in yaml.safe_load_all(stream) if doc and doc["kind"] == "PrometheusRule"]
    return [item for group in rule["spec"]["groups"] for item in group["rules"]]


def _assert_alerts_of_the_environment(stream: str, namespace: str, *, production: bool) -> None:
    """Production pages (and opens tickets); every other environment only warns. Each expression matches the
    environment's own namespace exactly once, and nothing of the overlay's machinery ships."""
    rules = _rules(stream)
    severities = {rule["labels"]["severity"] for rule in rules if "alert" in rule}
    assert severities == ({"page", "ticket"} if production else {"warning"}), namespace
    for rule in rules:
        assert rule["expr"].count(f"namespace=`{namespace}`") == 1, rule
        assert rule["expr"].count("`") == 2, rule
        assert rule.get("labels", {}).get("namespace", namespace) == namespace, rule
    assert "OVERLAY_NAMESPACE" not in stream and "alert-severity" not in stream


def _environment_rules(repo_dir: Path, kubectl: str, tmp_path: Path) -> dict[str, Path]:
    """Each environment's rules as its overlay builds them after a release, as a rule file promtool reads, without
    the annotations (the monitoring policies check their templates; promtool's unit tests would compare them)."""
    repo = tmp_path / "repo"
    shutil.copytree(repo_dir, repo, symlinks=True)
    envs = json.loads((repo / STATE_FILE).read_text(encoding="utf-8"))["answers"]["environments"].split(",")
    assert _release(repo, "set", envs[0], f"ghcr.io/example/orders-api:{PUSHED_TAG}@{PUSHED_DIGEST}").returncode == 0
    for source, target in itertools.pairwise(envs):
        assert _release(repo, "copy", source, target).returncode == 0
    files = {}
    for env in envs:
        (rule,) = [doc for doc in yaml.safe_load_all(kustomize_build(kubectl, repo / "k8s" / "overlays" / env))
                   if doc and doc["kind"] == "PrometheusRule"]
        for group in rule["spec"]["groups"]:
            for item in group["rules"]:
                item.pop("annotations", None)
        files[env] = tmp_path / f"rules-{env}.yaml"
        files[env].write_text(yaml.safe_dump(rule["spec"], sort_keys=False), encoding="utf-8")
    return files


@pytest.mark.slow
def test_alerts_fire_and_stay_quiet_as_promtool_unit_tests_say(rendered: Render, tmp_path: Path,
                                                               external_tool: ToolFinder) -> None:
    """promtool's unit tests (tests/fixtures/service-alerts/) on the default service's rules as prod and dev build
    them: burn-rate alerts need both windows, the traffic floor silences them at low traffic, the autoscaler at its
    maximum, throttling, memory and restarts of the service's own container, no instance up; production pages where
    dev warns, and each environment's rules ignore the other's series."""
    promtool, kubectl = external_tool("promtool"), external_tool("kubectl")
    files = _environment_rules(rendered("service", "python-github-ingress-3env", []), kubectl, tmp_path)
    assert sorted(files) == ["dev", "prod", "staging"]
    tests = sorted((ROOT / "tests" / "fixtures" / "service-alerts").glob("*.yaml"))
    for test in tests:
        shutil.copy(test, tmp_path / test.name)
    done = subprocess.run([promtool, "test", "rules", *(test.name for test in tests)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("SUCCESS") == len(tests) == 2


def _recorded_names(text: str) -> set[str]:
    return set(re.findall(r"\b[a-z_]+:[a-z_]+:[a-z0-9_]+\b", text))


@pytest.mark.parametrize("variant", SERVICE_PARAMS)
def test_the_dashboard_reads_the_slo_from_recording_rules_the_rules_record(rendered: Render, variant: str) -> None:
    """The SLO stats and burn rates come from recorded series that exist (a rename in one file and not the other
    would leave an empty panel), and no panel queries raw counters over 30 days; deploys are annotated."""
    repo_dir = rendered("service", variant, SERVICE_VARIANTS[variant])
    rule = yaml.safe_load((repo_dir / "monitoring" / "prometheusrule.yaml").read_text(encoding="utf-8"))
    recorded = {item["record"] for group in rule["spec"]["groups"] for item in group["rules"] if "record" in item}
    dashboard = json.loads((repo_dir / "monitoring" / "grafana-dashboard.json").read_text(encoding="utf-8"))
    panels = [panel for panel in dashboard["panels"] if panel["type"] != "row"]
    exprs = [target["expr"] for panel in panels for target in panel.get("targets", [])]
    used = set().union(*map(_recorded_names, exprs))
    assert {"namespace_job:http_request_error_ratio:rate30d", "namespace_job:http_request_slow_ratio:rate30d",
            "namespace_job:http_request_slow_ratio:rate1h"} <= used <= recorded
    assert not [expr for expr in exprs if re.search(r"\[(30d|[0-9]+w)\]", expr)]
    stats = [panel for panel in panels if panel["type"] == "stat"]
    assert len(stats) == 4 and all(_recorded_names(panel["targets"][0]["expr"]) for panel in stats)
    (deploys,) = [item for item in dashboard["annotations"]["list"] if item["name"] == "Deploys"]
    assert "app_info" in deploys["expr"] and deploys["enable"]


@pytest.mark.parametrize("variant", SERVICE_PARAMS)
def test_the_runbook_has_a_section_per_alert_queries_per_namespace_and_text_for_its_exposure(
        rendered: Render, variant: str) -> None:
    repo_dir = rendered("service", variant, SERVICE_VARIANTS[variant])
    answers = json.loads((repo_dir / STATE_FILE).read_text(encoding="utf-8"))["answers"]
    rule = yaml.safe_load((repo_dir / "monitoring" / "prometheusrule.yaml").read_text(encoding="utf-8"))
    alerts = {item["alert"] for group in rule["spec"]["groups"] for item in group["rules"] if "alert" in item}
    runbook = (repo_dir / "docs" / "runbook.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^## (\S+)$", runbook, flags=re.MULTILINE))
    assert alerts <= headings and {"Escalation", "Dependencies"} <= headings
    assert answers["owner"] in runbook.split("## Escalation")[1].split("\n## ")[0]
    for block in re.findall(r"```promql\n(.*?)```", runbook, flags=re.DOTALL):
        for query in re.split(r"\n(?! )", block.strip()):
            assert 'namespace="$NS"' in query, query
    exposure = {"ingress": r"(?i)\bingress\b", "gateway": r"(?i)gateway|httproute"}
    for expose, words in exposure.items():
        assert bool(re.search(words, runbook)) == (answers["expose"] == expose), (expose, variant)


@pytest.mark.slow
@pytest.mark.parametrize("variant", SERVICE_PARAMS)
def test_the_pipeline_releases_what_it_pushed_through_the_release_script(rendered: Render, variant: str) -> None:
    """CI writes the first environment's release from the reference its push reported, and every later
    environment's promotion copies the one before it, through scripts/release.sh (which accepts nothing else)."""
    repo_dir = rendered("service", variant, SERVICE_VARIANTS[variant])
    answers = json.loads((repo_dir / STATE_FILE).read_text(encoding="utf-8"))["answers"]
    envs = answers["environments"].split(",")
    if answers["ci_provider"] == "github":
        ci = (repo_dir / ".github/workflows/ci.yml").read_text(encoding="utf-8")
        jobs = yaml.safe_load(ci)["jobs"]
        (push,) = [step for step in jobs["push"]["steps"] if step.get("id") == "push"]
        assert 'docker push "$IMAGE:$TAG"' in push["run"]
        assert jobs["push"]["outputs"]["reference"] == "${{ steps.push.outputs.reference }}"
        assert jobs["promote"]["env"]["REFERENCE"] == "${{ needs.push.outputs.reference }}"
        assert f'bash scripts/release.sh set {envs[0]} "$REFERENCE"' in ci
        promote = repo_dir / ".github/workflows/promote.yml"
        assert promote.exists() == (len(envs) > 1)  # one environment: nothing to promote, no workflow
        if len(envs) > 1:
            text = promote.read_text(encoding="utf-8")
            assert 'bash scripts/release.sh copy "$SOURCE" "$TARGET"' in text
            for source, target in itertools.pairwise(envs):
                assert f"{target}) echo SOURCE={source} ;;" in text
    else:
        config = yaml.safe_load((repo_dir / ".gitlab-ci.yml").read_text(encoding="utf-8"))
        assert 'docker push "$IMAGE:$IMAGE_TAG" > push.log' in config["push"]["script"]
        assert config["push"]["artifacts"]["reports"]["dotenv"] == "release.env"
        assert f'bash scripts/release.sh set {envs[0]} "$RELEASE"' in config["promote"]["script"]
        promotions = [job for job in config if job.startswith("promote:")]
        assert promotions == [f"promote:{env}" for env in envs[1:]]
        for source, target in itertools.pairwise(envs):
            assert f"bash scripts/release.sh copy {source} {target}" in config[f"promote:{target}"]["script"]


PUSHED = "${{ steps.push.outputs.digest }}"  # the push step's output: the digest the registry reported
PINNED_IMAGE = re.compile(r"^[a-z0-9.-]+(/[a-z0-9._-]+)+:v[0-9.]+@sha256:[0-9a-f]{64}$")


def _github_signing(jobs: dict[str, Any]) -> None:
    """The push job pushes, and every later step names the image by the digest its push step output."""
    steps = jobs["push"]["steps"]
    (at,) = [index for index, step in enumerate(steps) if step.get("id") == "push"]
    push, after = steps[at]["run"], steps[at + 1:]
    assert 'echo "digest=$digest" >> "$GITHUB_OUTPUT"' in push
    assert 'echo "reference=$IMAGE:$TAG@$digest" >> "$GITHUB_OUTPUT"' in push
    uses = {step["uses"].split("@")[0]: step.get("with", {}) for step in after if "uses" in step}
    sbom = uses["anchore/sbom-action"]
    assert sbom["image"] == "${{ env.IMAGE }}@" + PUSHED
    for action in ("actions/attest-build-provenance", "actions/attest-sbom"):
        assert uses[action]["subject-name"] == "${{ env.IMAGE }}", action
        assert uses[action]["subject-digest"] == PUSHED, action
        assert uses[action]["push-to-registry"] is True, action
    assert uses["actions/attest-sbom"]["sbom-path"] == sbom["output-file"]
    (sign,) = [step for step in after if "cosign" in step.get("run", "")]
    assert sign["run"] == 'cosign sign --yes "$IMAGE@$DIGEST"'
    assert sign["env"] == {"DIGEST": PUSHED}
    assert after.index(sign) > [*uses].index("sigstore/cosign-installer")
    assert jobs["push"]["outputs"] == {"digest": PUSHED, "reference": "${{ steps.push.outputs.reference }}"}
    assert jobs["promote"]["needs"] == ["push"]
    assert jobs["promote"]["env"]["REFERENCE"] == "${{ needs.push.outputs.reference }}"


def _gitlab_signing(repo_dir: Path) -> None:
    """The push job computes the digest once; the SBOM, the attestations, the signature and the release use it."""
    config = yaml.safe_load((repo_dir / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    job = config["push"]
    script = job["script"]
    (at,) = [index for index, line in enumerate(script) if line.startswith("digest=$(")]
    assert script[at + 1].startswith('test -n "$digest" ||')
    after = script[at + 2:]
    by_digest = '"$IMAGE@$digest"'
    assert 'syft scan "registry:$IMAGE@$digest" --output "spdx-json=sbom.spdx.json"' in after
    assert f"cosign attest --yes --type slsaprovenance1 --predicate provenance.json {by_digest}" in after
    assert f"cosign attest --yes --type spdxjson --predicate sbom.spdx.json {by_digest}" in after
    assert f"cosign sign --yes {by_digest}" in after
    release = 'echo "RELEASE=$IMAGE:$IMAGE_TAG@$digest" > release.env'
    assert after[-1] == release  # written once everything else succeeded
    assert [line for line in after if "$IMAGE" in line and "$IMAGE@$digest" not in line] == [release]  # never by tag
    assert job["artifacts"]["reports"]["dotenv"] == "release.env"
    assert job["id_tokens"] == {"SIGSTORE_ID_TOKEN": {"aud": "sigstore"}}
    (manager,) = json.loads((repo_dir / "renovate.json").read_text(encoding="utf-8"))["customManagers"]
    (updates,) = [re.compile(pattern.replace("(?<", "(?P<")) for pattern in manager["matchStrings"]]
    for tool in ("COSIGN_IMAGE", "SYFT_IMAGE"):
        assert PINNED_IMAGE.match(job["variables"][tool]), tool
        assert updates.fullmatch(f"{tool}: {job['variables'][tool]}"), tool  # Renovate keeps the pin current
    assert config["promote"]["needs"] == ["push"]
    assert any('"$RELEASE"' in line for line in config["promote"]["script"])


@pytest.mark.slow
@pytest.mark.parametrize("variant", SERVICE_PARAMS)
def test_the_pushed_digest_is_what_ci_describes_attests_signs_and_releases(rendered: Render, variant: str) -> None:
    """The build step's image is pushed once; the digest the registry reports is the one value the SBOM, the
    provenance and SBOM attestations, the keyless signature and the release (promotion's input) all name."""
    repo_dir = rendered("service", variant, SERVICE_VARIANTS[variant])
    if (repo_dir / ".github").exists():
        _github_signing(yaml.safe_load((repo_dir / ".github/workflows/ci.yml").read_text(encoding="utf-8"))["jobs"])
    else:
        _gitlab_signing(repo_dir)


SIGNING_PERMISSIONS = ("id-token", "attestations")


def _grants(permissions: object, scope: str) -> bool:
    return permissions == "write-all" or (isinstance(permissions, dict) and permissions.get(scope) == "write")


@pytest.mark.slow
@pytest.mark.parametrize("variant", SERVICE_PARAMS)
def test_only_the_job_that_knows_the_digest_may_sign(rendered: Render, variant: str) -> None:
    """An OIDC token (GitHub `id-token: write`, GitLab `id_tokens`) and `attestations: write` are granted to the
    push job and to no other job or workflow of the repository."""
    repo_dir = rendered("service", variant, SERVICE_VARIANTS[variant])
    if (repo_dir / ".gitlab-ci.yml").exists():
        config = yaml.safe_load((repo_dir / ".gitlab-ci.yml").read_text(encoding="utf-8"))
        assert [name for name, job in config.items() if isinstance(job, dict) and "id_tokens" in job] == ["push"]
        return
    for scope in SIGNING_PERMISSIONS:
        granted = []
        for path in sorted((repo_dir / ".github/workflows").glob("*.yml")):
            workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
            assert not _grants(workflow.get("permissions"), scope), (path.name, scope)
            granted += [(path.name, name) for name, job in workflow["jobs"].items()
                        if _grants(job.get("permissions"), scope)]
        assert granted == [("ci.yml", "push")], scope


def _docker_build(argv: list[str]) -> dict[str, object]:
    """What a `docker build` command line builds: platform, pull, label names, build args, tag's tag, context."""
    assert argv[:2] == ["docker", "build"], argv
    flags: dict[str, list[str]] = {}
    words, context = iter(argv[2:]), []
    for word in words:
        if word == "--pull":
            flags[word] = []
        elif word.startswith("--"):
            flags.setdefault(word, []).append(next(words))
        else:
            context.append(word)
    (tag,) = flags["--tag"]
    return {"platform": flags["--platform"], "pull": "--pull" in flags, "context": context,
            "labels": sorted(label.split("=")[0] for label in flags["--label"]),
            "build_args": {arg.split("=")[0]: arg.split("=", 1)[1] == tag.rsplit(":", 1)[1]
                           for arg in flags["--build-arg"]}}


def _github_build(jobs: dict[str, Any]) -> list[str]:
    """The build job's docker/build-push-action step, written as the `docker build` it runs."""
    (build,) = [step["with"] for step in jobs["build"]["steps"]
                if step.get("uses", "").startswith("docker/build-push-action@")]
    argv = ["docker", "build", "--platform", build["platforms"], "--tag", build["tags"]]
    argv += ["--pull"] if build["pull"] is True else []
    argv += [arg for label in build["labels"].splitlines() for arg in ("--label", label)]
    argv += [arg for value in build["build-args"].splitlines() for arg in ("--build-arg", value)]
    return [*argv, build["context"]]


@pytest.mark.slow
@pytest.mark.parametrize("variant", SERVICE_PARAMS)
def test_make_image_builds_the_image_as_ci_does(rendered: Render, variant: str) -> None:
    """`make image` and CI's build agree: platform, --pull, the same labels, the same build args (the version is the
    tag in both), the same context. Parsed from the workflow or pipeline and from `make -n image`."""
    repo_dir = rendered("service", variant, SERVICE_VARIANTS[variant])
    make = subprocess.run(["make", "--no-print-directory", "-n", "image"], cwd=repo_dir, capture_output=True,
                          text=True, timeout=60, check=True)
    local = _docker_build(shlex.split(make.stdout.replace("\\\n", " ")))
    if (repo_dir / ".github").exists():
        ci = _github_build(yaml.safe_load((repo_dir / ".github/workflows/ci.yml").read_text(encoding="utf-8"))["jobs"])
    else:
        config = yaml.safe_load((repo_dir / ".gitlab-ci.yml").read_text(encoding="utf-8"))
        (command,) = [line for line in config["build"]["script"] if line.startswith("docker build ")]
        ci = shlex.split(command)
    assert _docker_build(ci) == local
    assert local == {"platform": ["linux/amd64"], "pull": True, "context": ["."],
                     "labels": ["org.opencontainers.image.revision", "org.opencontainers.image.source"],
                     "build_args": {"SERVICE_VERSION": True}}


@pytest.mark.slow
def test_an_overlay_that_names_a_tag_without_a_digest_is_a_finding(rendered: Render, tmp_path: Path) -> None:
    """The scaffold's config turns kustomization-images-pinned-by-digest on: a release written by the script lints
    clean, an `images:` entry edited by hand to a tag alone is an error at its line and column."""
    repo_dir = tmp_path / "repo"
    shutil.copytree(rendered("service", "python-github-ingress-3env", []), repo_dir, symlinks=True)
    assert _release(repo_dir, "set", "dev", f"ghcr.io/example/orders-api:{PUSHED_TAG}@{PUSHED_DIGEST}").returncode == 0
    prod = repo_dir / "k8s/overlays/prod/kustomization.yaml"
    lines = prod.read_text(encoding="utf-8").splitlines()
    prod.write_text("\n".join([*lines, "images:", "  - name: ghcr.io/example/orders-api", '    newTag: "1.4.2"', ""]),
                    encoding="utf-8")
    lint = subprocess.run([sys.executable, "-m", "gitops_tools", "lint", "."], cwd=repo_dir, capture_output=True,
                          text=True, timeout=120)
    assert lint.returncode == 1, lint.stdout + lint.stderr
    finding = (f"k8s/overlays/prod/kustomization.yaml:{len(lines) + 2}:5: error [kustomization-images-pinned-by-digest]"
               " the `images:` entry does not pin its image by digest (missing or invalid: digest)")
    assert lint.stdout.splitlines()[:-1] == [finding]


@pytest.mark.slow
def test_the_release_script_refuses_anything_but_a_pushed_reference(rendered: Render, tmp_path: Path) -> None:
    repo_dir = tmp_path / "repo"
    shutil.copytree(rendered("service", "python-github-gateway-3env", []), repo_dir, symlinks=True)
    before = {p: p.read_bytes() for p in (repo_dir / "k8s").rglob("*") if p.is_file()}
    image = "ghcr.io/example/orders-api"
    for argv, message in [
        (["set", "dev", f"{image}:{PUSHED_TAG}"], "not a pushed image reference"),
        (["set", "dev", f"{image}@{PUSHED_DIGEST}"], "not a pushed image reference"),
        (["set", "dev", f"ghcr.io/example/other:{PUSHED_TAG}@{PUSHED_DIGEST}"], "not a pushed image reference"),
        (["set", "dev", f"{image}:{PUSHED_TAG}@sha256:0123"], "not a pushed image reference"),
        (["set", "qa", f"{image}:{PUSHED_TAG}@{PUSHED_DIGEST}"], "unknown environment 'qa'"),
        (["copy", "dev", "staging"], "dev has no release to copy"),
        (["copy", "staging", "dev"], "staging has no release to copy"),
        (["copy", "dev", "../../etc"], "unknown environment"),
        (["publish"], "usage:"),
    ]:
        done = _release(repo_dir, *argv)
        assert done.returncode != 0, argv
        assert message in done.stderr, (argv, done.stderr)
    assert {p: p.read_bytes() for p in (repo_dir / "k8s").rglob("*") if p.is_file()} == before


GITHUB_VARIANTS = [param for param in VARIANTS if "ci_provider=gitlab" not in param.values[2]]


@pytest.mark.slow
@pytest.mark.parametrize(("scaffold", "variant", "answers"), GITHUB_VARIANTS)
def test_github_workflows_pass_actionlint_and_shellcheck(rendered: Render, scaffold: str, variant: str,
                                                         answers: list[str], external_tool: ToolFinder) -> None:
    actionlint, shellcheck = external_tool("actionlint"), external_tool("shellcheck")
    repo_dir = rendered(scaffold, variant, answers)
    workflows = sorted((repo_dir / ".github" / "workflows").glob("*.yml"))
    assert workflows
    done = subprocess.run([actionlint, "-no-color", "-shellcheck", shellcheck, *map(str, workflows)], cwd=repo_dir,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PATH": tool_path()})
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_actionlint_runs_shellcheck_on_run_steps(tmp_path: Path, external_tool: ToolFinder) -> None:
    """The check above means something only if actionlint really runs shellcheck: it skips it silently otherwise."""
    actionlint, shellcheck = external_tool("actionlint"), external_tool("shellcheck")
    git.Repo.init(tmp_path)
    workflow = tmp_path / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("name: ci\non: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n"
                        "    steps:\n      - run: echo $FOO\n", encoding="utf-8")
    done = subprocess.run([actionlint, "-no-color", "-shellcheck", shellcheck, str(workflow)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PATH": tool_path()})
    assert done.returncode == 1
    assert "SC2086" in done.stdout


@pytest.mark.parametrize("tool", ["kubectl", "go", "actionlint", "shellcheck"])
def test_external_tools_come_from_the_venv_first(external_tool: ToolFinder, tool: str) -> None:
    """The test extra's binaries win over whatever the machine has on its PATH (an older kubectl, a distro Go)."""
    assert external_tool(tool) == str(VENV_BIN / tool)


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_a_missing_tool_fails_under_ci_and_skips_elsewhere(external_tool: ToolFinder, monkeypatch: pytest.MonkeyPatch,
                                                           ci: str, outcome: type[BaseException]) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="no-such-tool is neither in"):
        external_tool("no-such-tool")


def _gitlab_job_scripts(config: dict[str, Any]) -> dict[str, str]:
    """Each GitLab job's shell, as the runner joins it: before_script (its own or from `extends`), then script."""
    def before(job: dict[str, Any]) -> list[str]:
        if "before_script" in job:
            return list(job["before_script"])
        parents = job.get("extends", [])
        for parent in [parents] if isinstance(parents, str) else parents:
            if lines := before(config[parent]):
                return lines
        return []

    return {name: "\n".join([*before(job), *job.get("script", []), *job.get("after_script", [])]) + "\n"
            for name, job in config.items() if isinstance(job, dict) and ("script" in job or "before_script" in job)}


@pytest.mark.slow
@pytest.mark.parametrize(("scaffold", "variant", "answers"), VARIANTS)
def test_shell_scripts_and_ci_job_scripts_pass_shellcheck(rendered: Render, scaffold: str, variant: str,
                                                          answers: list[str], external_tool: ToolFinder,
                                                          tmp_path: Path) -> None:
    shellcheck = external_tool("shellcheck")
    repo_dir = rendered(scaffold, variant, answers)
    scripts = [p for p in _files(repo_dir) if p.suffix == ".sh" or p.read_bytes().startswith(b"#!")]
    assert scripts
    if (repo_dir / ".gitlab-ci.yml").exists():
        config = yaml.safe_load((repo_dir / ".gitlab-ci.yml").read_text(encoding="utf-8"))
        for name, script in _gitlab_job_scripts(config).items():
            path = tmp_path / f"gitlab-{name.replace(':', '-').lstrip('.')}.sh"
            path.write_text("#!/bin/sh\n" + script, encoding="utf-8")  # sh: the docker and trivy images have no bash
            scripts.append(path)
    done = subprocess.run([shellcheck, "--norc", *map(str, scripts)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


GO_PARAMS = [pytest.param(name, id=name) for name in sorted(SERVICE_VARIANTS) if "language=go" in
             SERVICE_VARIANTS[name]]
PYTHON_PARAMS = [pytest.param(name, id=name) for name in sorted(SERVICE_VARIANTS) if "language=go" not in
                 SERVICE_VARIANTS[name]]


@pytest.mark.slow
@pytest.mark.parametrize("variant", GO_PARAMS)
def test_the_go_apps_own_tests_pass_offline_with_the_wheels_go(rendered: Render, variant: str,
                                                               external_tool: ToolFinder,
                                                               tmp_path_factory: pytest.TempPathFactory) -> None:
    go = external_tool("go")
    repo_dir = rendered("service", variant, SERVICE_VARIANTS[variant])
    shared = tmp_path_factory.getbasetemp()  # one build cache for every variant, and every xdist worker, of a run
    shared = shared.parent if os.environ.get("PYTEST_XDIST_WORKER") else shared
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOSUMDB": "off",
           "GOCACHE": str(shared / "gocache"), "GOPATH": str(shared / "gopath"), "PATH": tool_path()}
    for command in (["vet", "./..."], ["test", "./..."]):
        done = subprocess.run([go, *command], cwd=repo_dir, capture_output=True, text=True, timeout=600, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout
    assert done.stdout.startswith("ok ")


@pytest.mark.slow
@pytest.mark.parametrize("variant", GO_PARAMS)
def test_go_mod_declares_the_go_the_image_builds_with(rendered: Render, variant: str) -> None:
    """Go applies container-aware GOMAXPROCS (1.25+) only to modules that declare a go version that new."""
    repo_dir = rendered("service", variant, SERVICE_VARIANTS[variant])
    declared = re.search(r"^go (\S+)$", (repo_dir / "go.mod").read_text(encoding="utf-8"), re.MULTILINE)
    builder = re.search(r"^FROM golang:(\S+?)-\S+ AS builder$", (repo_dir / "Dockerfile").read_text(encoding="utf-8"),
                        re.MULTILINE)
    assert declared and builder
    assert declared[1] == builder[1]
    assert tuple(map(int, declared[1].split("."))) >= (1, 25)
    ci = repo_dir / ".github/workflows/ci.yml"
    if ci.exists():
        assert f'go-version: "{declared[1]}"' in ci.read_text(encoding="utf-8")
    else:
        config = yaml.safe_load((repo_dir / ".gitlab-ci.yml").read_text(encoding="utf-8"))
        assert config["test"]["image"] == f"golang:{declared[1]}-bookworm"


@pytest.fixture(scope="session")
def python_app_runs() -> dict[str, subprocess.CompletedProcess[str]]:
    """The Python app's test run per distinct app (its files' digest): most combinations render the same app."""
    return {}


@pytest.mark.slow
@pytest.mark.parametrize("variant", PYTHON_PARAMS)
def test_the_python_apps_own_tests_pass(rendered: Render, variant: str,
                                        python_app_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    repo_dir = rendered("service", variant, SERVICE_VARIANTS[variant])
    app = sorted(p for p in [*_files(repo_dir / "src"), *_files(repo_dir / "tests"), repo_dir / "pyproject.toml"])
    assert len(app) > 5
    digest = hashlib.sha256(b"".join(p.relative_to(repo_dir).as_posix().encode() + b"\0" + p.read_bytes()
                                     for p in app)).hexdigest()
    if digest not in python_app_runs:
        env = {**os.environ, "PYTHONPATH": str(repo_dir / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
        python_app_runs[digest] = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                                  "tests"], cwd=repo_dir, capture_output=True, text=True,
                                                 timeout=600, env=env)
    done = python_app_runs[digest]
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout


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
    pytest.param("host=localhost", "host: 'localhost' is not a DNS name", id="bare-host"),
    pytest.param("gateway_namespace=Bad_NS", "gateway_namespace: 'Bad_NS' is not a DNS-1123 label",
                 id="gateway-namespace-not-a-label"),
    pytest.param("ingress_class=nginx.", "ingress_class: 'nginx.' is not a DNS-1123 label",
                 id="ingress-class-not-a-label"),
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
    version = SCAFFOLDS["service"].version
    assert [c.message.splitlines()[0] for c in repo.iter_commits()] == [f"Apply scaffold: service {version}",
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


def _default_sigint() -> None:
    """A shell running the suite in the background starts it with SIGINT ignored, and children inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.2], ids=["starting", "rendering"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_an_interrupted_new_leaves_no_work_folder(tmp_path: Path, signum: int, delay: float) -> None:
    """Interrupted while cookiecutter or its hooks run: they are stopped before the work folder is removed, so
    nothing can recreate it afterwards."""
    output = tmp_path / "out"
    output.mkdir()
    process = subprocess.Popen([str(Path(sys.executable).with_name("gitops-tools")), "new", "service", "--no-input",
                                "-o", str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               preexec_fn=_default_sigint)
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


# Repository security (OpenSSF Scorecard): README's table maps each Scorecard check to the policies that enforce it.
SCORECARD_TABLE = re.compile(r"<!-- scorecard-policies -->\n(.*?)<!-- end: scorecard-policies -->", re.S)
def _service_variant(language: str, provider: str) -> tuple[str, list[str]]:
    """The first combination of the matrix with this language and CI provider: its name and answers."""
    name = next(name for name in SERVICE_VARIANTS if name.startswith(f"{language}-{provider}-"))
    return name, SERVICE_VARIANTS[name]


DEFAULTS = next((name, answers) for name, answers in SERVICE_VARIANTS.items() if answers == [])
GO_GITHUB = _service_variant("go", "github")
GITLAB = ("go-gitlab-four-envs", SERVICE_VARIANTS["go-gitlab-four-envs"])
SCORECARD_FILES = {
    "github": ["SECURITY.md", ".github/workflows/codeql.yml", ".github/workflows/scorecard.yml",
               ".github/pull_request_template.md", ".github/rulesets/main.json", ".github/dependabot.yml",
               "ci/lint/requirements.txt", "ci/golden-path/requirements.txt"],
    "gitlab": ["SECURITY.md", ".gitlab/merge_request_templates/Default.md", "renovate.json",
               "ci/lint/requirements.txt", "ci/golden-path/requirements.txt"],
}
GITHUB_ONLY_CHECKS = {"Token-Permissions", "Dangerous-Workflow"}  # about workflows; Scorecard reads no GitLab CI
SCORECARD_VARIANTS = [pytest.param(*DEFAULTS, id="python-github"),
                      pytest.param(*GO_GITHUB,
                                   id="go-github"),
                      pytest.param(*GITLAB, id="go-gitlab")]


def _scorecard_policies() -> dict[str, list[str]]:
    match = SCORECARD_TABLE.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert match is not None
    rows = [line.split(" | ") for line in match.group(1).splitlines()[2:]]
    return {row[0].strip("| "): re.findall(r"`([a-z0-9-]+)`", row[2]) for row in rows}


def _policy_file(policy_id: str) -> dict[str, Any]:
    (path,) = (ROOT / "schemas" / "policies").glob(f"*/{policy_id}.yaml")
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data | {"domain": path.parent.name}


@pytest.mark.slow
@pytest.mark.parametrize(("variant", "answers"), SCORECARD_VARIANTS)
def test_service_has_every_scorecard_file_and_each_mapped_policy_is_on(rendered: Render, variant: str,
                                                                       answers: list[str]) -> None:
    """The six Scorecard checks a repository's files decide each map to policies (README's table); each policy of
    the repo's CI provider is on in the generated .gitops-tools.yaml (or by default) and the repo holds the files
    they ask for. That the repo lints clean with them is test_lints_clean_with_our_own_policies."""
    repo_dir = rendered("service", variant, answers)
    provider = "gitlab" if "ci_provider=gitlab" in answers else "github"
    assert all((repo_dir / path).is_file() for path in SCORECARD_FILES[provider]), SCORECARD_FILES[provider]
    mapping = _scorecard_policies()
    assert set(mapping) == {"Token-Permissions", "Pinned-Dependencies", "SAST", "Security-Policy",
                            "Dangerous-Workflow", "Dependency-Update-Tool"}
    config = yaml.safe_load((repo_dir / ".gitops-tools.yaml").read_text(encoding="utf-8"))["policies"]
    other = "gitlab-ci" if provider == "github" else "github-actions"
    for check, policies in mapping.items():
        mine = [policy for policy in policies if _policy_file(policy)["domain"] != other]
        assert mine or (provider == "gitlab" and check in GITHUB_ONLY_CHECKS), check
        for policy in mine:
            assert _policy_file(policy).get("enabled", True) or config.get(policy, {}).get("enabled"), policy
    security = (repo_dir / "SECURITY.md").read_text(encoding="utf-8")
    assert "team-orders" in security and "## Reporting a vulnerability" in security and "Response times" in security


@pytest.mark.slow
@pytest.mark.parametrize(("variant", "answers", "remove", "policy"), [
    pytest.param(*DEFAULTS, ["SECURITY.md"], "repository-security-policy-present",
                 id="github-security-policy"),
    pytest.param(*DEFAULTS, [".github/workflows/codeql.yml"], "repository-sast-configured",
                 id="github-sast"),
    pytest.param(*DEFAULTS, [".github/dependabot.yml"],
                 "repository-dependency-update-tool-configured", id="github-dependency-update-tool"),
    pytest.param(*GITLAB,
                 ["  - template: Jobs/SAST.gitlab-ci.yml\n"], "repository-sast-configured", id="gitlab-sast"),
])
def test_removing_a_scorecard_file_is_exactly_its_policys_finding(rendered: Render, tmp_path: Path, variant: str,
                                                                  answers: list[str], remove: list[str], policy: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    repo_dir = tmp_path / "repo"
    shutil.copytree(rendered("service", variant, answers), repo_dir, symlinks=True)
    (what,) = remove
    if what.endswith("\n"):  # a line of .gitlab-ci.yml
        pipeline = repo_dir / ".gitlab-ci.yml"
        text = pipeline.read_text(encoding="utf-8")
        assert what in text
        pipeline.write_text(text.replace(what, ""), encoding="utf-8")
    else:
        (repo_dir / what).unlink()
    monkeypatch.chdir(repo_dir)
    code, out, err = run_cli("lint", "--fail-on", "info", ".")
    assert (code, err) == (1, "")
    findings = out.splitlines()[:-1]
    assert [line.split(" [", 1)[1].split("]", 1)[0] for line in findings] == [policy], out


@pytest.mark.slow
@pytest.mark.parametrize(("variant", "answers"), SCORECARD_VARIANTS)
def test_ci_installs_python_tools_by_hash_and_an_unpinned_install_is_found(rendered: Render, tmp_path: Path,
                                                                           variant: str, answers: list[str],
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    repo_dir = tmp_path / "repo"
    shutil.copytree(rendered("service", variant, answers), repo_dir, symlinks=True)
    provider = "gitlab" if "ci_provider=gitlab" in answers else "github"
    ci = repo_dir / (".gitlab-ci.yml" if provider == "gitlab" else ".github/workflows/ci.yml")
    text = ci.read_text(encoding="utf-8")
    assert text.count("--require-hashes -r ci/lint/requirements.txt") == 1
    assert text.count("--require-hashes -r ci/golden-path/requirements.txt") == (2 if provider == "gitlab" else 1)
    ci.write_text(text.replace("--require-hashes -r ci/lint/requirements.txt", "pre-commit==4.7.0"), encoding="utf-8")
    monkeypatch.chdir(repo_dir)
    code, out, _ = run_cli("lint", "--fail-on", "info", ci.relative_to(repo_dir).as_posix())
    expected = "gitlab-ci-pip-install-pinned-by-hash" if provider == "gitlab" else "run-pip-install-pinned-by-hash"
    assert code == 1 and [f"[{expected}]" in line for line in out.splitlines()[:-1]] == [True], out


@pytest.mark.parametrize("folder", ["lint", "golden-path"])
def test_ci_lock_files_pin_every_package_by_hash_and_cover_gitops_tools_dependencies(folder: str) -> None:
    """The locks are real: every requirement `name==version` with at least one sha256, and the golden-path lock holds
    every dependency gitops-tools declares (pyproject.toml) at a version its specifier allows, so `pip check` in CI
    holds for this gitops-tools."""
    from packaging.requirements import Requirement

    tree = ROOT / "scaffolds" / "service" / "{{cookiecutter.service_name}}" / "ci" / folder
    entries = re.findall(r"^([A-Za-z0-9._-]+)==(\S+) \\\n((?:    --hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)",
                         (tree / "requirements.txt").read_text(encoding="utf-8"), re.M)
    locked = {re.sub(r"[-_.]+", "-", name).lower(): version for name, version, _ in entries}
    requirements = [line for line in (tree / "requirements.txt").read_text(encoding="utf-8").splitlines()
                    if line and not line.startswith((" ", "#"))]
    assert len(requirements) == len(entries) > 0  # no requirement without its hashes
    sources = [Requirement(line) for line in (tree / "requirements.in").read_text(encoding="utf-8").splitlines()
               if line and not line.startswith("#")]
    if folder == "golden-path":
        import tomllib
        declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
        sources += [Requirement(line) for line in declared]
    for requirement in sources:
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        assert name in locked and requirement.specifier.contains(locked[name]), (requirement, locked.get(name))


@pytest.mark.slow
@pytest.mark.parametrize(("variant", "answers", "expected"), [
    pytest.param(*DEFAULTS, ["* @example/team-orders", "/.github/ @example/team-platform",
                 "/ci/ @example/team-platform", "/k8s/overlays/prod/ @example/team-sre",
                 "/CODEOWNERS @example/team-security"], id="github"),
    pytest.param(*GITLAB,
                 ["* @example/team-orders", "/.gitlab-ci.yml @example/team-platform",
                  "/.gitlab/ @example/team-platform", "/ci/ @example/team-platform",
                  "/k8s/overlays/prod/ @example/team-sre", "/CODEOWNERS @example/team-security"], id="gitlab"),
])
def test_codeowners_give_ci_production_and_codeowners_their_own_owners(rendered: Render, variant: str,
                                                                       answers: list[str],
                                                                       expected: list[str]) -> None:
    text = (rendered("service", variant, answers) / "CODEOWNERS").read_text(encoding="utf-8")
    assert [line for line in text.splitlines() if line and not line.startswith("#")] == expected


def test_codeowners_answers_are_checked_and_used(tmp_path: Path) -> None:
    code, _, err = run_cli("new", "service", "--no-input", "-o", str(tmp_path), "--set", "ci_owner=Platform Team")
    assert code == 2 and "ci_owner" in err
    code, _, err = run_cli("new", "service", "--no-input", "-o", str(tmp_path / "ok"), "--set", "ci_owner=team-ci",
                           "--set", "production_owner=team-prod", "--set", "codeowners_owner=team-root",
                           "--set", "environments=dev,live")
    assert code == 0, err
    text = (tmp_path / "ok" / "orders-api" / "CODEOWNERS").read_text(encoding="utf-8")
    assert {"/.github/ @example/team-ci", "/k8s/overlays/live/ @example/team-prod",
            "/CODEOWNERS @example/team-root"} <= set(text.splitlines())


@pytest.mark.slow
@pytest.mark.parametrize(("variant", "answers", "language"), [
    pytest.param(*DEFAULTS, "python", id="python"),
    pytest.param(*GO_GITHUB, "go", id="go"),
])
def test_codeql_and_scorecard_workflows_are_least_privilege_and_cover_the_language(rendered: Render, variant: str,
                                                                                 answers: list[str],
                                                                                 language: str) -> None:
    workflows = rendered("service", variant, answers) / ".github" / "workflows"
    codeql = yaml.safe_load((workflows / "codeql.yml").read_text(encoding="utf-8"))
    scorecard = yaml.safe_load((workflows / "scorecard.yml").read_text(encoding="utf-8"))
    for workflow in (codeql, scorecard):
        assert workflow["permissions"] == {}
        (job,) = workflow["jobs"].values()
        assert job["permissions"]["contents"] == "read" and job["permissions"]["security-events"] == "write"
    assert [entry["language"] for entry in codeql["jobs"]["analyze"]["strategy"]["matrix"]["include"]] == [
        language, "actions"]
    (job,) = scorecard["jobs"].values()
    # Publishing the score needs an OIDC token, which only the ci workflow's push job may ask for.
    assert "id-token" not in job["permissions"]
    (action,) = [step["with"] for step in job["steps"] if step["uses"].startswith("ossf/scorecard-action@")]
    assert action["publish_results"] is False


@pytest.mark.slow
def test_the_ruleset_requires_code_owners_and_checks_ci_has(rendered: Render) -> None:
    repo_dir = rendered("service", *DEFAULTS)
    ruleset = json.loads((repo_dir / ".github" / "rulesets" / "main.json").read_text(encoding="utf-8"))
    rules = {rule["type"]: rule.get("parameters", {}) for rule in ruleset["rules"]}
    assert rules["pull_request"]["require_code_owner_review"] is True
    assert {"deletion", "non_fast_forward"} <= set(rules)
    ci = yaml.safe_load((repo_dir / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    reusable = yaml.safe_load((ROOT / ".github" / "workflows" / "gitops-tools.yml").read_text(encoding="utf-8"))
    names = set(ci["jobs"]) | {f"gitops-tools / {job.get('name', key)}" for key, job in reusable["jobs"].items()}
    contexts = [check["context"] for check in rules["required_status_checks"]["required_status_checks"]]
    assert contexts and set(contexts) <= names, contexts
