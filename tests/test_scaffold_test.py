"""`gitops-tools scaffold test`: the variants come from a scaffold's own data, every scaffold and component of this
project passes it, and a scaffold that does not pass fails it (a finding in a variant, a conflict in the upgrade)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import Render
from conftest import call_cli as run_cli

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.matrix import variants
from gitops_tools.scaffold import available_scaffolds

ROOT = Path(__file__).resolve().parent.parent
SCAFFOLDS = available_scaffolds(ROOT)


def test_the_service_variants_are_every_choice_then_its_test_answers() -> None:
    context = SCAFFOLDS["service"].context()
    found = variants(context, "cookiecutter.json")
    choices = [key for key, value in context.items() if isinstance(value, list) and not key.startswith("_")]
    assert choices == ["language", "ci_provider", "expose"]
    assert [variant.name for variant in found] == [
        f"{language}-{ci}-{expose}" for language in ("python", "go") for ci in ("github", "gitlab")
        for expose in ("gateway", "ingress", "none")] + [f"_test_answers[{index}]" for index in range(4)]
    assert found[0].answers == {}  # the defaults: nothing differs
    assert found[11].answers == {"language": "go", "ci_provider": "gitlab", "expose": "none"}
    assert [variant.answers for variant in found[12:]] == context["_test_answers"]


@pytest.mark.parametrize(("test_answers", "message"), [
    pytest.param({"environments": "prod"}, "_test_answers must be a list of mappings of question to answer",
                 id="not-a-list"),
    pytest.param([{}], "_test_answers[0] must be a non-empty mapping of question to answer", id="empty"),
    pytest.param([{"port": "8080"}, "prod"], "_test_answers[1] must be a non-empty mapping of question to answer",
                 id="not-a-mapping"),
    pytest.param([{"nope": "1", "colour": "red"}], "_test_answers[0] answers 'colour', 'nope', which the scaffold "
                                                   "does not ask", id="unknown-question"),
    pytest.param([{"port": 8080}], "_test_answers[0] must give every answer as a string", id="not-a-string"),
])
def test_bad_test_answers_are_a_config_error_naming_the_file(test_answers: Any, message: str) -> None:
    context = {"name": "x", "port": "8080", "_test_answers": test_answers}
    with pytest.raises(ConfigError) as raised:
        variants(context, "scaffolds/x/cookiecutter.json")
    assert str(raised.value) == f"scaffolds/x/cookiecutter.json: {message}"


def test_a_scaffold_without_choices_or_test_answers_is_tested_with_its_defaults() -> None:
    found = variants({"name": "x", "_private": ["a", "b"]}, "cookiecutter.json")
    assert [(variant.name, variant.answers) for variant in found] == [("defaults", {})]


@pytest.mark.parametrize(("argv", "message"), [
    pytest.param(["scaffold", "test", "nope"], "gitops-tools: error: unknown scaffold 'nope'; available: gitops-env, "
                                               "service, or components/<name> for a component\n", id="unknown"),
    pytest.param(["scaffold", "test", "components/nope"], "gitops-tools: error: unknown component 'nope'",
                 id="unknown-component"),
])
def test_an_unknown_scaffold_is_exit_2_before_anything_is_rendered(argv: list[str], message: str) -> None:
    code, out, err = run_cli(*argv)
    assert (code, out) == (2, "")
    assert err.startswith(message)


def test_scaffold_needs_an_action() -> None:
    code, _, err = run_cli("scaffold")
    assert code == 2
    assert "the following arguments are required: action" in err


def test_the_service_records_a_previous_release_to_upgrade_from() -> None:
    """The upgrade is only as good as the release it starts from: the service has one, at a commit of main."""
    releases = json.loads((ROOT / "scaffolds/service/releases.json").read_text(encoding="utf-8"))["releases"]
    assert len(releases) >= 2
    assert all(release["commit"] for release in releases[:-1])


UNITS = [*sorted(SCAFFOLDS), *(f"components/{path.name}" for path in sorted((ROOT / "scaffolds/components").iterdir())
                               if (path / "cookiecutter.json").is_file())]


@pytest.mark.slow
@pytest.mark.parametrize("unit", UNITS)
def test_every_scaffold_and_component_of_this_project_passes_its_own_test(unit: str) -> None:
    """What a platform team runs before a release, on every unit this project ships: every variant lints clean, and
    a scaffold or component with an earlier release upgrades from it keeping local edits, without a conflict."""
    code, out, err = run_cli("scaffold", "test", unit)
    assert (code, err) == (0, ""), out
    *checks, summary = out.splitlines()
    skipped = [line for line in checks if line.startswith("skipped ")]
    assert summary == f"{len(checks) - len(skipped)} passed, 0 failed, {len(skipped)} skipped.", out
    assert all(line.startswith("ok      ") for line in checks if line not in skipped), out
    releases = _releases(unit)
    if len(releases) == 1:
        assert skipped == [f"skipped upgrade to {unit} {releases[0]['version']}: no earlier release recorded"], out
    else:
        assert skipped == [], out
    if unit.startswith("components/") and len(releases) > 1:
        # the previous release added to a repo of the current service, edited, then `update`d to this one
        previous, current = releases[-2], releases[-1]
        assert checks[-1] == (f"ok      upgrade from {unit} {previous['version']} (commit {previous['commit'][:12]}) "
                              f"to {current['version']} on service {SCAFFOLDS['service'].version}, with local edits")
    if unit == "service":
        # every combination of the choices (test_the_service_variants_are_every_choice_then_its_test_answers),
        # every _test_answers entry, the upgrade
        assert len(checks) == len(variants(SCAFFOLDS[unit].context(), "cookiecutter.json")) + 1
        previous = _releases(unit)[-2]
        assert checks[-1] == (f"ok      upgrade from service {previous['version']} (commit {previous['commit'][:12]}) "
                              f"to {SCAFFOLDS[unit].version}, with local edits")


def _releases(unit: str) -> list[dict[str, str]]:
    releases: list[dict[str, str]] = json.loads((ROOT / "scaffolds" / unit / "releases.json").read_text(
        encoding="utf-8"))["releases"]
    return releases


def _checkout(tmp_path: Path) -> Path:
    """A copy of this project's scaffolds, in a folder laid out as a checkout (what --template names)."""
    shutil.copytree(ROOT / "scaffolds", tmp_path / "checkout" / "scaffolds",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path / "checkout"


@pytest.mark.slow
def test_a_variant_with_a_finding_fails_and_shows_it(tmp_path: Path) -> None:
    """A copy of gitops-env whose GitLab variant runs an image on :latest: that variant fails with the finding, the
    other passes, and the command exits 1. The copy holds no history, so its upgrade fails saying what to give."""
    checkout = _checkout(tmp_path)
    gitlab = checkout / "scaffolds/gitops-env/{{cookiecutter.repo_name}}/_ci/gitlab/.gitlab-ci.yml"
    gitlab.write_text(gitlab.read_text(encoding="utf-8") + "\nextra:\n  image: python:latest\n  script: [make]\n",
                      encoding="utf-8")
    code, out, err = run_cli("scaffold", "test", "gitops-env", "--template", str(checkout))
    assert (code, err) == (1, ""), out
    version = SCAFFOLDS["gitops-env"].version
    lines = out.splitlines()
    assert lines[:3] == [f"ok      gitops-env {version} github-none (defaults)",
                         f"ok      gitops-env {version} github-kyverno (image_verification=kyverno)",
                         f"ok      gitops-env {version} github-sigstore (image_verification=sigstore)"]
    assert lines[3] == f"FAILED  gitops-env {version} gitlab-none (ci_provider=gitlab)"
    assert "/.gitlab-ci.yml:" in lines[4] and "error [gitlab-ci-image-pinned]" in lines[4]
    assert lines[5].startswith("    Found 1 finding: 1 error (")
    # the copy is no git checkout: the previous release's commit cannot be read from it, and the check says how
    assert lines[-3] == f"FAILED  upgrade to gitops-env {version}"
    assert lines[-2].startswith("    the previous release is scaffolds/gitops-env at commit ")
    assert lines[-2].endswith("; give it with --previous GIT_URL@COMMIT")
    assert lines[-1] == "3 passed, 5 failed, 0 skipped."  # every GitLab variant, and the upgrade


def test_a_template_whose_hooks_are_not_ours_needs_trust(tmp_path: Path) -> None:
    """Testing renders the scaffold with its hooks: a source whose hooks differ from this project's is refused
    before anything runs, unless the user trusts it."""
    checkout = _checkout(tmp_path)
    hook = checkout / "scaffolds/gitops-env/hooks/post_gen_project.py"
    hook.write_text(hook.read_text(encoding="utf-8") + "\nprint('not ours')\n", encoding="utf-8")
    code, out, err = run_cli("scaffold", "test", "gitops-env", "--template", str(checkout))
    assert (code, out) == (2, "")
    assert err == (f"gitops-tools: error: --template {checkout}: its hooks or extensions are not this project's own, "
                   "and testing it runs them; pass --trust if you trust it\n")


@pytest.mark.slow
def test_a_component_upgrade_that_conflicts_with_the_local_edits_fails(tmp_path: Path, rendered: Render) -> None:
    """The component's previous release given with --previous (a git repository's tag v1): redis 1.0.9, whose
    redis.yaml ends in a ConfigMap this release no longer has. The local edit appends a comment to that file, right
    after the document the update removes: a conflict (the files hold different numbers of documents, so no
    structural merge decides it), which fails the check with update's own report; the markers name the versions."""
    from gitops_tools.lifecycle.components import available_components
    from gitops_tools.lifecycle.componentupgrade import YAML_EDIT, component_upgrade
    from gitops_tools.lifecycle.scaffoldtest import Plan

    checkout = _checkout(tmp_path)
    redis = checkout / "scaffolds/components/redis"
    with (redis / "{{cookiecutter.service_name}}/k8s/base/redis.yaml").open("a", encoding="utf-8") as stream:
        stream.write("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ cookiecutter.service_name }}-v1\n"
                     "data: {}\n")
    settings = json.loads((redis / "cookiecutter.json").read_text(encoding="utf-8"))
    (redis / "cookiecutter.json").write_text(json.dumps({**settings, "_component_version": "1.0.9"}), encoding="utf-8")
    _git(checkout, "init", "--quiet", "--initial-branch=main")
    _git(checkout, "add", "--all")
    _git(checkout, "commit", "--quiet", "--message", "v1")
    _git(checkout, "tag", "v1")
    component, service = available_components(ROOT)["redis"], SCAFFOLDS["service"].version

    def command(argv: list[str]) -> tuple[int, str]:
        code, out, err = run_cli(*argv)
        return code, out + err

    base = rendered("service", "python-github-gateway-3env", [])  # the defaults, as `scaffold test` renders them
    outcome = component_upgrade(Plan(ROOT, "components/redis", previous=f"{checkout}@v1"), component, base,
                                tmp_path / "work", command)
    assert outcome.failed
    assert outcome.name == (f"upgrade from components/redis {checkout}@v1 to {component.version} on service "
                            f"{service}, with local edits")
    report = outcome.report.splitlines()
    assert report[:2] == ["gitops-tools update: conflicts (none expected)",
                          f"Update component redis 1.0.9 -> {component.version}"]
    assert "  conflict  k8s/base/redis.yaml" in report
    text = (tmp_path / "work/repo" / base.name / "k8s/base/redis.yaml").read_text(encoding="utf-8")
    assert f"||||||| base (service {service}, redis 1.0.9)\n" in text
    assert f">>>>>>> theirs (service {service}, redis {component.version})\n" in text
    assert YAML_EDIT in text


def test_a_component_is_tested_from_this_installation_only() -> None:
    code, out, err = run_cli("scaffold", "test", "components/redis", "--template", str(ROOT))
    assert (code, out) == (2, "")
    assert err.startswith("gitops-tools: error: --template: a component is tested as `gitops-tools add` applies it")


def _git(repo: Path, *argv: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=tests", "-c", "user.email=tests@example.com", *argv], cwd=repo,
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


ENV_FILES = "{{cookiecutter.repo_name}}"


@pytest.mark.slow
@pytest.mark.parametrize("conflicting", [False, True], ids=["template-changes-elsewhere", "template-changes-readme"])
def test_the_upgrade_fails_on_a_conflict_with_the_local_edits_only(tmp_path: Path, conflicting: bool) -> None:
    """gitops-env v2 (a git repository's next commit) changes .editorconfig: the upgrade from v1 (--previous) keeps
    the local edits and passes. When v2 also appends to README.md, where the local edit appends, the update's
    conflict fails the check, with update's own report of it."""
    checkout = _checkout(tmp_path)
    _git(checkout, "init", "--quiet", "--initial-branch=main")
    _git(checkout, "add", "--all")
    _git(checkout, "commit", "--quiet", "--message", "v1")
    _git(checkout, "tag", "v1")
    scaffold = checkout / "scaffolds" / "gitops-env"
    data = json.loads((scaffold / "cookiecutter.json").read_text(encoding="utf-8"))
    previous, data["_scaffold_version"] = data["_scaffold_version"], "9.0.0"
    (scaffold / "cookiecutter.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    with (scaffold / ENV_FILES / ".editorconfig").open("a", encoding="utf-8") as stream:
        stream.write("\n[*.sh]\nindent_size = 4\n")
    if conflicting:
        with (scaffold / ENV_FILES / "README.md").open("a", encoding="utf-8") as stream:
            stream.write("\nA paragraph the template adds.\n")
    _git(checkout, "commit", "--quiet", "--all", "--message", "v2")
    code, out, err = run_cli("scaffold", "test", "gitops-env", "--template", str(checkout), "--previous",
                             f"{checkout}@v1")
    assert err == ""
    name = f"upgrade from gitops-env {checkout}@v1 to 9.0.0, with local edits"
    assert previous != "9.0.0"
    renders = len(variants(data, "cookiecutter.json"))  # every variant passes; only the upgrade may fail
    if conflicting:
        assert code == 1, out
        assert f"FAILED  {name}\n    gitops-tools update: conflicts (none expected)\n" in out
        assert "README.md" in out.split(name, 1)[1]
        assert out.endswith(f"{renders} passed, 1 failed, 0 skipped.\n")
    else:
        assert code == 0, out
        assert out.endswith(f"ok      {name}\n{renders + 1} passed, 0 failed, 0 skipped.\n")


@pytest.mark.slow
def test_a_1x_service_repo_updated_to_2_gets_codeowners_with_the_new_answers_defaults(tmp_path: Path) -> None:
    """The CODEOWNERS answers are new in 2.0: the upgrade `scaffold test` runs (the previous release, with local
    edits, updated with --no-input) gives them their defaults, and the updated CODEOWNERS names those teams."""
    from gitops_tools.lifecycle.scaffoldtest import Plan
    from gitops_tools.lifecycle.upgradetest import upgrade

    def command(argv: list[str]) -> tuple[int, str]:
        code, out, err = run_cli(*argv)
        return code, out + err

    outcome = upgrade(Plan(ROOT, "service"), SCAFFOLDS["service"], tmp_path / "work", command)
    assert not outcome.failed and not outcome.skipped, outcome.report
    (state,) = [path for path in (tmp_path / "work").rglob(".scaffold.json") if "previous" not in path.parts]
    repo = state.parent
    answers = json.loads((repo / ".scaffold.json").read_text(encoding="utf-8"))["answers"]
    defaults = SCAFFOLDS["service"].context()
    assert {key: answers[key] for key in ("ci_owner", "production_owner", "codeowners_owner")} == {
        key: defaults[key] for key in ("ci_owner", "production_owner", "codeowners_owner")}
    lines = [line for line in (repo / "CODEOWNERS").read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    assert lines == ["* @example/team-orders", "/.github/ @example/team-platform", "/ci/ @example/team-platform",
                     "/k8s/overlays/prod/ @example/team-sre", "/CODEOWNERS @example/team-security"]
