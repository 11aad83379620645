"""`gitops-tools add`: components applied to real generated git repos, recorded in the state file, committed;
refusals leave the repo untouched."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import call_cli as run_cli
from conftest import git

from gitops_tools.lifecycle.base import read_base
from gitops_tools.lifecycle.components import available_components
from gitops_tools.lifecycle.tree import read_tree
from gitops_tools.scaffold import STATE_FILE

ROOT = Path(__file__).resolve().parent.parent
COMPONENTS = available_components(ROOT)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    code, _, err = run_cli("new", "service", "--no-input", "-o", str(out))
    assert code == 0, err
    return out / "orders-api"


@pytest.fixture
def repo(generated: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "orders-api"
    shutil.copytree(generated, copy, symlinks=True)
    git(copy, "config", "user.name", "Test")
    git(copy, "config", "user.email", "test@example.com")
    return copy


def _snapshot(repo: Path) -> dict[str, bytes]:
    return {str(p.relative_to(repo)): p.read_bytes() for p in sorted(repo.rglob("*"))
            if p.is_file() and not p.is_symlink() and ".git" not in p.relative_to(repo).parts}


def _state(repo: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((repo / STATE_FILE).read_text(encoding="utf-8"))
    return data


def test_without_a_name_it_lists_the_components() -> None:
    code, out, err = run_cli("add")
    assert (code, err) == (0, "")
    assert [line.split()[:2] for line in out.splitlines()] == [[name, c.version] for name, c in COMPONENTS.items()]


@pytest.mark.slow
def test_a_component_is_applied_recorded_and_committed(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    code, out, err = run_cli("add", "kafka-topic", "--no-input", "--set", "kafka_namespace=streaming",
                             "--path", str(repo))
    assert (code, err) == (0, ""), out
    version = COMPONENTS["kafka-topic"].version
    assert out.splitlines()[0] == f"Added component kafka-topic {version} to {repo} and committed it:"
    assert "  k8s/base/kafka.yaml" in out.splitlines()
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "log", "--format=%s", f"{head}..HEAD").splitlines() == [f"Add component kafka-topic {version}"]
    # the merge base is what the scaffold and the component render: a repo without local edits is exactly that
    assert read_base(repo) == read_tree(repo)
    assert "k8s/base/kafka.yaml" in read_base(repo)
    assert _state(repo)["components"] == [{"name": "kafka-topic", "version": version, "answers": {
        "topic": "orders-api-events", "kafka_cluster": "events", "kafka_namespace": "streaming"}}]
    resources = yaml.safe_load((repo / "k8s/base/kustomization.yaml").read_text(encoding="utf-8"))["resources"]
    assert resources[-1] == "kafka.yaml"
    policy = (repo / "k8s/base/networkpolicy.yaml").read_text(encoding="utf-8")
    assert "kubernetes.io/metadata.name: streaming" in policy


@pytest.mark.slow
def test_components_compose_in_the_order_added_and_keep_local_edits(repo: Path) -> None:
    kustomization = repo / "k8s/base/kustomization.yaml"
    kustomization.write_text(kustomization.read_text(encoding="utf-8") + "  - extra.yaml  # ours\n", "utf-8")
    (repo / "k8s/base/extra.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n", "utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a local resource")
    for name in ("redis", "postgres", "cronjob"):
        code, out, err = run_cli("add", name, "--no-input", "--path", str(repo))
        assert (code, err) == (0, ""), out
    text = kustomization.read_text(encoding="utf-8")
    assert text.endswith("  - extra.yaml  # ours\n  - redis.yaml\n  - postgres.yaml\n  - cronjob.yaml\n")
    assert [entry["name"] for entry in _state(repo)["components"]] == ["redis", "postgres", "cronjob"]  # type: ignore
    base = read_base(repo)  # the base has the components, not the local edit
    assert base["k8s/base/kustomization.yaml"].data.decode().endswith(
        "  - redis.yaml\n  - postgres.yaml\n  - cronjob.yaml\n")
    assert "k8s/base/extra.yaml" not in base
    env = yaml.safe_load((repo / "k8s/base/deployment.yaml").read_text(encoding="utf-8"))[
        "spec"]["template"]["spec"]["containers"][0]["env"]
    assert [item["name"] for item in env][-2:] == ["REDIS_URL", "DATABASE_URL"]
    groups = yaml.safe_load((repo / "monitoring/prometheusrule.yaml").read_text(encoding="utf-8"))["spec"]["groups"]
    assert [group["name"] for group in groups][-3:] == ["orders-api-redis", "orders-api-postgres",
                                                        "orders-api-nightly"]


@pytest.mark.slow
def test_no_commit_leaves_the_change_and_the_record_in_the_work_tree(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    code, out, err = run_cli("add", "dashboard", "--no-input", "--no-commit", "--path", str(repo))
    assert (code, err) == (0, ""), out
    assert git(repo, "rev-parse", "HEAD") == head
    assert sorted(git(repo, "status", "--porcelain", "--untracked-files=all").splitlines()) == [
        " M .scaffold-base.tar.gz", " M .scaffold.json", " M monitoring/kustomization.yaml",
        "?? monitoring/grafana-dashboard-resources.json"]
    assert _state(repo)["components"] == [{"name": "dashboard", "version": "1.0.0", "answers": {}}]


@pytest.mark.parametrize(("argv", "message"), [
    (["nosuch"], "unknown component 'nosuch'; available: cronjob, dashboard, kafka-topic, postgres, redis"),
    (["postgres", "--set", "service_name=other"], "service_name: the repo's scaffold answers this"),
    (["kafka-topic", "--set", "topic=Bad_Topic"], "topic: 'Bad_Topic' is not a DNS-1123 label"),
    (["kafka-topic", "--set", "nope=1"], "kafka-topic has no question 'nope'"),
    (["cronjob", "--set", "schedule={{ 7*7 }}"], "contains template syntax; answers are plain values"),
])
@pytest.mark.slow
def test_bad_requests_are_usage_errors_and_touch_nothing(repo: Path, argv: list[str], message: str) -> None:
    before = _snapshot(repo)
    code, _, err = run_cli("add", *argv, "--no-input", "--path", str(repo))
    assert code == 2
    assert message in err, err
    assert _snapshot(repo) == before
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.slow
def test_a_dirty_work_tree_is_refused_untouched(repo: Path) -> None:
    (repo / "notes.txt").write_text("wip\n", encoding="utf-8")
    before = _snapshot(repo)
    code, _, err = run_cli("add", "postgres", "--no-input", "--path", str(repo))
    assert code == 2
    assert "has uncommitted changes; commit or stash them first (nothing was changed)" in err
    assert _snapshot(repo) == before


@pytest.mark.slow
def test_a_component_added_twice_is_refused(repo: Path) -> None:
    assert run_cli("add", "redis", "--no-input", "--path", str(repo))[0] == 0
    code, _, err = run_cli("add", "redis", "--no-input", "--path", str(repo))
    assert code == 2
    assert "has component redis already; `gitops-tools update` updates it" in err


@pytest.mark.slow
def test_a_symbolic_link_in_the_repo_is_refused_and_nothing_is_written(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("outside\n", encoding="utf-8")
    (repo / "k8s/base/postgres.yaml").symlink_to(outside)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a link out of the repo")
    before = _snapshot(repo)
    code, _, err = run_cli("add", "postgres", "--no-input", "--path", str(repo))
    assert code == 2
    assert "is a symbolic link" in err
    assert _snapshot(repo) == before
    assert outside.read_text(encoding="utf-8") == "outside\n"


def test_a_repo_without_a_state_file_or_of_another_scaffold_is_refused(tmp_path: Path) -> None:
    code, _, err = run_cli("add", "postgres", "--no-input", "--path", str(tmp_path))
    assert code == 2
    assert f"{tmp_path.resolve() / STATE_FILE} not found: this repo records no scaffold" in err
    other = {"scaffold": "gitops-env", "version": "1.0.0", "answers": {}}
    (tmp_path / STATE_FILE).write_text(json.dumps(other), encoding="utf-8")
    code, _, err = run_cli("add", "postgres", "--no-input", "--path", str(tmp_path))
    assert code == 2
    assert "component postgres is for repos made by the service scaffold" in err
    (tmp_path / STATE_FILE).write_text("{not json", encoding="utf-8")
    code, _, err = run_cli("add", "postgres", "--no-input", "--path", str(tmp_path))
    assert code == 2
    assert f"{tmp_path.resolve() / STATE_FILE}:1:2: not valid JSON" in err


@pytest.mark.slow
def test_a_repo_recording_no_merge_base_gets_the_component_and_still_none(repo: Path) -> None:
    """A state file written before the merge base existed: the component is added and recorded; no base is made up
    (`gitops-tools link` records one)."""
    state = _state(repo)
    state.pop("base")
    (repo / STATE_FILE).write_text(json.dumps(state), encoding="utf-8")
    git(repo, "rm", "-q", ".scaffold-base.tar.gz")
    git(repo, "commit", "-qam", "an old repo")
    code, out, err = run_cli("add", "dashboard", "--no-input", "--path", str(repo))
    assert (code, err) == (0, ""), out
    assert not (repo / ".scaffold-base.tar.gz").exists()
    assert _state(repo)["components"] == [{"name": "dashboard", "version": "1.0.0", "answers": {}}]
    assert _state(repo)["base"] is None
