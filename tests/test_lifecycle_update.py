"""`gitops-tools drift` and `update` end to end, on real git repos and real cookiecutter renders.

The template source is a local git repository holding a copy of the project's scaffolds: tag v1 is the installed
package's content (what `gitops-tools new` renders), tag v2 changes it as a platform team would: the CI workflow,
a manifest the user also edits, a list both sides append to, a new question, a removed file.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import git, repo_files

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.merge import Labels, Merged
from gitops_tools.lifecycle.state import Layer, State
from gitops_tools.lifecycle.update import Outcome, labels, new_answers, plan_lines
from gitops_tools.resources import data_root
from gitops_tools.scaffold import Scaffold, available_scaffolds
from tests.conftest import CliRun

SERVICE = "scaffolds/service"
SCAFFOLD_VERSION = available_scaffolds()["service"].version
TEMPLATE = SERVICE + "/{{cookiecutter.service_name}}"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path} no longer holds {old!r}: update the test's edit"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.com")


@pytest.fixture
def templates(tmp_path: Path) -> tuple[str, str]:
    """A git repo of the project's scaffolds: tag v1 as installed, tag v2 changed. Returns (URL@v1, URL@v2)."""
    root = tmp_path / "templates"
    shutil.copytree(data_root() / "scaffolds", root / "scaffolds",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "v1")
    git(root, "tag", "v1")
    manifest = root / SERVICE / "cookiecutter.json"
    context: dict[str, Any] = json.loads(manifest.read_text(encoding="utf-8"))
    major = int(str(context["_scaffold_version"]).split(".")[0])
    questions = {key: value for key, value in context.items() if not key.startswith("_")}
    settings = {key: value for key, value in context.items() if key.startswith("_")}
    settings["_scaffold_version"] = f"{major + 1}.0.0"
    manifest.write_text(json.dumps({**questions, "chat_channel": "#{{ cookiecutter.owner }}", **settings}, indent=2)
                        + "\n", encoding="utf-8")
    template = root / TEMPLATE
    with (template / "_ci/github/.github/workflows/ci.yml").open("a", encoding="utf-8") as ci:
        ci.write("# golden path v2: CI changed by the platform team\n")
    edit(template / "k8s/base/deployment.yaml", "revisionHistoryLimit: 5", "revisionHistoryLimit: 10")
    edit(template / "k8s/base/kustomization.yaml", "{%- endif %}\n", "{%- endif %}\n  - configmap.yaml\n")
    (template / "k8s/base/configmap.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ cookiecutter.service_name }}-settings\n"
        "data:\n  CHAT: \"{{ cookiecutter.chat_channel }}\"\n", encoding="utf-8")
    with (template / "docs/runbook.md").open("a", encoding="utf-8") as runbook:
        runbook.write("\nPage the team in {{ cookiecutter.chat_channel }}.\n")
    (template / ".editorconfig").unlink()
    redis = root / "scaffolds/components/redis"
    edit(redis / "cookiecutter.json", '"_component_version": "1.1.0"', '"_component_version": "1.2.0"')
    with (redis / "{{cookiecutter.service_name}}/k8s/base/redis.yaml").open("a", encoding="utf-8") as manifest:
        manifest.write("# redis v1.2.0\n")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "v2")
    git(root, "tag", "v2")
    url = root.as_uri()
    return f"{url}@v1", f"{url}@v2"


@pytest.fixture
def generated(tmp_path: Path, run_cli: CliRun) -> Path:
    """A service repo made by `gitops-tools new`, with local edits committed."""
    code, _, err = run_cli("new", "service", "--no-input", "-o", str(tmp_path / "repos"))
    assert code == 0, err
    repo = tmp_path / "repos" / "orders-api"
    edit(repo / "k8s/base/deployment.yaml", "revisionHistoryLimit: 5", "revisionHistoryLimit: 3")
    edit(repo / "README.md", "\n", "\nOur own words about orders-api.\n")
    with (repo / "k8s/base/kustomization.yaml").open("a", encoding="utf-8") as kustomization:
        kustomization.write("  - extra.yaml\n")
    (repo / "k8s/base/extra.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n",
                                              encoding="utf-8")
    (repo / "CODEOWNERS").unlink()
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "local edits")
    return repo


@pytest.mark.slow
def test_drift_update_resolve_drift(generated: Path, templates: tuple[str, str], run_cli: CliRun) -> None:
    """The issue's "Done means": behind -> update keeps the edits, applies the changes, marks the one true
    conflict -> resolved -> current."""
    repo, (_, v2) = generated, templates
    version = json.loads((repo / ".scaffold.json").read_text(encoding="utf-8"))["version"]
    new_version = f"{int(version.split('.')[0]) + 1}.0.0"

    code, out, err = run_cli("drift", str(repo), "--template", v2)
    assert (code, err) == (1, "")
    assert f"service {version} (available {new_version}): behind" in out
    for line in ["changed  .github/workflows/ci.yml", "deleted  .editorconfig", "added    k8s/base/configmap.yaml",
                 "changed  k8s/base/deployment.yaml", "deleted  CODEOWNERS", "changed  README.md"]:
        assert f"  {line}\n" in out

    (repo / "stray.txt").write_text("uncommitted\n", encoding="utf-8")
    before = repo_files(repo)
    code, out, err = run_cli("update", str(repo), "--template", v2)
    assert code == 2
    assert "1 uncommitted change; commit or stash them before `gitops-tools update` (nothing was changed)" in err
    assert repo_files(repo) == before
    (repo / "stray.txt").unlink()
    before = repo_files(repo)

    head = git(repo, "rev-parse", "HEAD")
    code, out, err = run_cli("update", str(repo), "--template", v2, "--dry-run")
    assert code == 1
    assert "  conflict  k8s/base/deployment.yaml\n" in out
    assert out.endswith("Dry run: nothing was changed; the update would conflict.\n")
    assert repo_files(repo) == before

    code, out, err = run_cli("update", str(repo), "--template", v2)
    assert (code, err) == (1, ""), out
    assert "1 conflict left in the work tree" in out
    assert out.rstrip().endswith("  k8s/base/deployment.yaml")
    assert git(repo, "rev-parse", "HEAD") == head  # not committed with a conflict
    deployment = (repo / "k8s/base/deployment.yaml").read_text(encoding="utf-8")
    assert (f"<<<<<<< ours (repo)\n  revisionHistoryLimit: 3\n||||||| base (service {version})\n"
            f"  revisionHistoryLimit: 5\n=======\n  revisionHistoryLimit: 10\n>>>>>>> theirs (service "
            f"{new_version})\n") in deployment
    # template changes applied, local edits kept, deletions on each side respected
    assert (repo / ".github/workflows/ci.yml").read_text(encoding="utf-8").endswith("# golden path v2: CI changed "
                                                                                   "by the platform team\n")
    assert "Our own words about orders-api." in (repo / "README.md").read_text(encoding="utf-8")
    assert not (repo / ".editorconfig").exists()
    assert not (repo / "CODEOWNERS").exists()
    assert (repo / "docs/runbook.md").read_text(encoding="utf-8").endswith("Page the team in #team-orders.\n")
    assert (repo / "k8s/base/kustomization.yaml").read_text(encoding="utf-8").endswith(
        "  - httproute.yaml\n  - extra.yaml\n  - configmap.yaml\n")  # both appended: merged as YAML
    state = json.loads((repo / ".scaffold.json").read_text(encoding="utf-8"))
    assert (state["version"], state["answers"]["chat_channel"]) == (new_version, "#team-orders")
    staged = git(repo, "diff", "--cached", "--name-only").split()
    assert ".github/workflows/ci.yml" in staged and ".scaffold.json" in staged
    assert "k8s/base/deployment.yaml" not in staged

    code, out, _ = run_cli("drift", str(repo), "--template", v2)
    assert code == 1  # current, but a conflict is not resolved yet
    assert "Unresolved conflicts:\n  k8s/base/deployment.yaml:" in out

    resolved = deployment.split("<<<<<<< ")[0] + "  revisionHistoryLimit: 3\n" + deployment.split(">>>>>>> ")[1] \
        .split("\n", 1)[1]
    (repo / "k8s/base/deployment.yaml").write_text(resolved, encoding="utf-8")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "resolve the update")
    code, out, err = run_cli("drift", str(repo), "--template", v2)
    assert (code, err) == (0, ""), out
    assert f"service {new_version} (available {new_version}): current" in out
    assert "changed  k8s/base/deployment.yaml" in out  # still customised: reported, not failed
    code, out, _ = run_cli("drift", str(repo), "--template", v2, "--strict")
    assert code == 1

    code, out, _ = run_cli("update", str(repo), "--template", v2)
    assert (code, out) == (0, f"service {new_version} is up to date; nothing to do.\n")


@pytest.mark.slow
def test_update_without_conflicts_commits_or_stages(generated: Path, templates: tuple[str, str],
                                                   run_cli: CliRun) -> None:
    repo, (_, v2) = generated, templates
    edit(repo / "k8s/base/deployment.yaml", "revisionHistoryLimit: 3", "revisionHistoryLimit: 5")
    git(repo, "commit", "--quiet", "--all", "-m", "no conflicting edit")
    before, head = repo_files(repo), git(repo, "rev-parse", "HEAD")

    code, out, _ = run_cli("update", str(repo), "--template", v2, "--dry-run")
    assert code == 0
    assert "  write     .github/workflows/ci.yml\n" in out and "  delete    .editorconfig\n" in out
    assert "  new answer  chat_channel = #team-orders\n" in out
    assert out.endswith("Dry run: nothing was changed.\n")
    assert repo_files(repo) == before and git(repo, "rev-parse", "HEAD") == head

    (repo / "k8s/base/link.yaml").symlink_to("/etc/hostname")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "a symlink")
    code, _, err = run_cli("update", str(repo), "--template", v2)
    assert code == 2 and "link.yaml is a symbolic link" in err
    assert repo_files(repo) == {**before, "k8s/base/link.yaml": (repo / "k8s/base/link.yaml").read_bytes()}
    git(repo, "rm", "--quiet", "k8s/base/link.yaml")
    git(repo, "commit", "--quiet", "-m", "no symlink")
    head = git(repo, "rev-parse", "HEAD")

    code, out, _ = run_cli("update", str(repo), "--template", v2, "--no-commit")
    assert code == 0
    assert out.endswith("Staged; not committed (--no-commit).\n")
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "status", "--porcelain", "--untracked-files=all").strip() and \
        not git(repo, "diff", "--name-only").strip()  # everything staged, nothing left unstaged
    git(repo, "reset", "--quiet", "--hard", "HEAD")
    git(repo, "clean", "--quiet", "-fd")

    code, out, _ = run_cli("update", str(repo), "--template", v2)
    assert code == 0
    assert "Committed " in out
    assert not git(repo, "status", "--porcelain").strip()
    assert "revisionHistoryLimit: 10" in (repo / "k8s/base/deployment.yaml").read_text(encoding="utf-8")
    assert git(repo, "log", "-1", "--format=%s").startswith("Update scaffold service ")


@pytest.mark.slow
def test_drift_json_and_sarif(generated: Path, templates: tuple[str, str], run_cli: CliRun) -> None:
    repo, (v1, v2) = generated, templates
    code, out, _ = run_cli("drift", str(repo), "--template", v2, "--format", "json", "--diff")
    assert code == 1
    report = json.loads(out)
    assert report["behind"] is True and report["failed"] is True
    assert {"path": "k8s/base/configmap.yaml", "change": "added"} in report["template_changes"]
    diverged = {item["path"]: item for item in report["divergence"]}
    assert "-  revisionHistoryLimit: 5\n+  revisionHistoryLimit: 3\n" in diverged["k8s/base/deployment.yaml"]["diff"]

    code, out, _ = run_cli("drift", str(repo), "--template", v1, "--format", "sarif")
    assert code == 0  # v1 is what the repo records: current; divergence is a note
    log = json.loads(out)
    from jsonschema.validators import validator_for

    schema = json.loads((Path(__file__).parent.parent / "schemas/vendor/sarif-schema-2.1.0.json").read_text())
    validator_for(schema)(schema).validate(log)
    results = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["level"])
               for r in log["runs"][0]["results"]}
    assert ("scaffold-divergence", "k8s/base/deployment.yaml", "note") in results
    assert all(rule != "scaffold-behind" for rule, _, _ in results)


@pytest.mark.slow
def test_a_component_added_is_updated_too(generated: Path, templates: tuple[str, str], run_cli: CliRun) -> None:
    repo, (_, v2) = generated, templates
    edit(repo / "k8s/base/deployment.yaml", "revisionHistoryLimit: 3", "revisionHistoryLimit: 5")
    git(repo, "commit", "--quiet", "--all", "-m", "no conflicting edit")
    code, out, err = run_cli("add", "redis", "--no-input", "--path", str(repo))
    assert code == 0, err
    assert not git(repo, "status", "--porcelain").strip()

    code, out, _ = run_cli("drift", str(repo), "--template", v2)
    assert code == 1
    assert "redis (component) 1.1.0 (available 1.2.0): behind" in out
    assert "  changed  k8s/base/redis.yaml\n" in out.split("Diverged")[0]  # among the changes an update brings

    code, out, _ = run_cli("update", str(repo), "--template", v2)
    assert code == 0, out
    assert out.startswith(f"Update scaffold service {SCAFFOLD_VERSION} -> ")
    assert "\n  component  redis 1.1.0 -> 1.2.0\n" in out
    assert (repo / "k8s/base/redis.yaml").read_text(encoding="utf-8").endswith("# redis v1.2.0\n")
    assert "REDIS_URL" in (repo / "k8s/base/deployment.yaml").read_text(encoding="utf-8")  # its edits kept
    state = json.loads((repo / ".scaffold.json").read_text(encoding="utf-8"))
    assert [(c["name"], c["version"]) for c in state["components"]] == [("redis", "1.2.0")]
    code, out, _ = run_cli("drift", str(repo), "--template", v2)
    assert code == 0, out


@pytest.mark.slow
def test_a_component_version_that_renders_the_same_files_is_recorded(generated: Path, tmp_path: Path,
                                                                      run_cli: CliRun) -> None:
    """A component's new version may change nothing it renders (here: a new question no file uses yet): the update
    still records it, with the new question's default, or drift would call the repo behind for ever while update
    found nothing to do."""
    code, _, err = run_cli("add", "redis", "--no-input", "--path", str(generated))
    assert code == 0, err
    source = tmp_path / "source"
    shutil.copytree(data_root() / "scaffolds", source / "scaffolds", ignore=shutil.ignore_patterns("__pycache__"))
    edit(source / "scaffolds/components/redis/cookiecutter.json", '"_component_version": "1.1.0"',
         '"maxmemory": "256mb",\n  "_component_version": "1.1.1"')
    code, out, _ = run_cli("update", str(generated), "--template", str(source))
    assert code == 0, out
    assert out.splitlines()[:2] == ["Update component redis 1.1.0 -> 1.1.1", "  new answer  redis.maxmemory = 256mb"]
    assert git(generated, "log", "-1", "--format=%s").strip() == "Update component redis 1.1.0 -> 1.1.1"
    assert git(generated, "show", "--name-only", "--format=", "HEAD").split() == [".scaffold.json"]
    state = json.loads((generated / ".scaffold.json").read_text(encoding="utf-8"))
    assert [(c["name"], c["version"], c["answers"]) for c in state["components"]] == [
        ("redis", "1.1.1", {"maxmemory": "256mb"})]
    code, out, _ = run_cli("drift", str(generated), "--template", str(source))
    assert code == 0, out


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted", "untrusted"])
def test_a_component_s_answers_are_settled_as_the_scaffold_s_on_update(tmp_path: Path, trusted: bool) -> None:
    """cronjob's next version asks `history_limit` and no longer asks `schedule`: the recorded `job_name` is kept,
    `schedule` dropped, `history_limit` takes its default; the answers it requires are the scaffold's, not its own."""
    folder = tmp_path / "cronjob"
    shutil.copytree(data_root() / "scaffolds/components/cronjob", folder, ignore=shutil.ignore_patterns("__pycache__"))
    settings = json.loads((folder / "cookiecutter.json").read_text(encoding="utf-8"))
    del settings["schedule"], settings["_rules"]["schedule"]
    (folder / "cookiecutter.json").write_text(json.dumps({"history_limit": "3", **settings}), encoding="utf-8")
    from gitops_tools.lifecycle.components import layer_answers, read_component
    from gitops_tools.questionnaire import resolve_answers

    scaffold_answers = resolve_answers(available_scaffolds()["service"], {}, None)
    own = layer_answers(read_component(folder), scaffold_answers, {"job_name": "backup", "schedule": "0 1 * * *"},
                        None, trusted=trusted)
    assert own == {"job_name": "backup", "history_limit": "3"}


def layers(*versions: tuple[str, str]) -> tuple[Layer, ...]:
    return tuple(Layer(name, version) for name, version in versions)


def test_an_update_of_components_names_their_versions() -> None:
    """The headline (the commit's subject), the plan's lines and the conflict markers' labels say which components
    move; a scaffold's own update is named as before."""
    merged = Merged()
    old = State("service", "2.0.0", {}, components=layers(("redis", "1.0.0"), ("cronjob", "1.1.0"),
                                                          ("postgres", "1.0.0")))
    new = replace(old, components=layers(("redis", "1.1.0"), ("cronjob", "1.1.0"), ("postgres", "1.1.0")))
    outcome = Outcome("service", "2.0.0", "2.0.0", merged, {}, set(), {}, {}, (), old.components, new.components)
    assert outcome.changed
    assert plan_lines(outcome) == ["Update components redis 1.0.0 -> 1.1.0, postgres 1.0.0 -> 1.1.0"]
    assert labels(old, new) == Labels("ours (repo)", "base (service 2.0.0, redis 1.0.0, postgres 1.0.0)",
                                      "theirs (service 2.0.0, redis 1.1.0, postgres 1.1.0)")
    both = replace(outcome, new_version="3.0.0")
    assert plan_lines(both) == ["Update scaffold service 2.0.0 -> 3.0.0", "  component  redis 1.0.0 -> 1.1.0",
                                "  component  postgres 1.0.0 -> 1.1.0"]
    same = replace(outcome, new_components=old.components)
    assert not same.changed
    assert labels(old, old) == Labels("ours (repo)", "base (service 2.0.0)", "theirs (service 2.0.0)")


def test_a_repo_without_state_or_outside_git_is_a_usage_error(tmp_path: Path, run_cli: CliRun) -> None:
    code, _, err = run_cli("drift", str(tmp_path))
    assert code == 2 and "is not in a git work tree" in err
    git(tmp_path, "init", "--quiet")
    code, _, err = run_cli("update", str(tmp_path))
    assert code == 2 and ".scaffold.json" in err


def scaffold_with_new_questions(tmp_path: Path) -> Scaffold:
    """The installed service scaffold with two new questions: one with a plain default, one with a template."""
    folder = tmp_path / "service"
    shutil.copytree(data_root() / SERVICE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    context = json.loads((folder / "cookiecutter.json").read_text(encoding="utf-8"))
    questions = {key: value for key, value in context.items() if not key.startswith("_")}
    settings = {key: value for key, value in context.items() if key.startswith("_")}
    del questions["system"], settings["_rules"]["system"]
    added = {"tier": ["gold", "silver"], "chat_channel": "#{{ cookiecutter.owner }}"}
    (folder / "cookiecutter.json").write_text(json.dumps({**questions, **added, **settings}), encoding="utf-8")
    return Scaffold("service", folder, "9.0.0", "")


def test_new_answers_keep_recorded_drop_removed_and_default_new(tmp_path: Path) -> None:
    scaffold = scaffold_with_new_questions(tmp_path)
    from gitops_tools.questionnaire import resolve_answers

    recorded = resolve_answers(available_scaffolds()["service"], {"service_name": "billing", "owner": "team-pay"},
                               None)
    answers = new_answers(scaffold, recorded, {"tier": "silver"}, None, trusted=True)
    assert (answers["service_name"], answers["owner"], answers["tier"], answers["chat_channel"]) == \
        ("billing", "team-pay", "silver", "#team-pay")
    assert "system" not in answers
    # untrusted: nothing of the source is imported; a plain default is taken, a template default needs --set
    with pytest.raises(ConfigError, match="new question 'chat_channel' whose default is a template; give it with "
                                          "--set chat_channel=VALUE"):
        new_answers(scaffold, recorded, {}, None, trusted=False)
    answers = new_answers(scaffold, recorded, {"chat_channel": "#pay"}, None, trusted=False)
    assert (answers["tier"], answers["chat_channel"], answers["service_name"]) == ("gold", "#pay", "billing")


def test_new_answers_refuse_an_unknown_set(tmp_path: Path) -> None:
    scaffold = available_scaffolds()["service"]
    with pytest.raises(ConfigError, match="has no question 'nope'"):
        new_answers(scaffold, {}, {"nope": "x"}, None, trusted=True)
