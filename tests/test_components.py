"""Add-on components: the catalogue, keyed edits of shared files, and every component on the service scaffold
linting clean (every domain, the restricted Pod Security profile) and building with kustomize."""

from __future__ import annotations

import difflib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Components, Render, ToolFinder, add_components, lints_clean, write_tree
from conftest import call_cli as run_cli
from test_scaffolds import DEFAULT_SERVICE, SERVICE_VARIANTS, kustomize_build, released

from gitops_tools.errors import ConfigError, GitopsToolsError
from gitops_tools.lifecycle.components import (
    ComponentError,
    answers_for,
    apply,
    available_components,
    read_component,
)
from gitops_tools.lifecycle.edits import Edit, EditError, apply_edits, parse_edits
from gitops_tools.lifecycle.tree import Entry, Tree, read_folder
from gitops_tools.scaffold import STATE_FILE, available_scaffolds

ROOT = Path(__file__).resolve().parent.parent
COMPONENTS = available_components(ROOT)
SERVICE = available_scaffolds(ROOT)["service"]


def _tree(files: dict[str, str]) -> Tree:
    return {path: Entry(text.encode()) for path, text in files.items()}


def _text(tree: Tree, path: str) -> str:
    return tree[path].data.decode()


# --- the catalogue ---------------------------------------------------------------------------------------------------

def test_the_catalogue_ships_the_components_the_golden_path_promises() -> None:
    assert set(COMPONENTS) == {"cronjob", "dashboard", "kafka-topic", "postgres", "redis"}


@pytest.mark.parametrize("name", sorted(COMPONENTS))
def test_a_component_is_for_the_service_scaffold_and_reads_only_its_answers(name: str) -> None:
    component = COMPONENTS[name]
    assert component.scaffolds == ("service",)
    assert component.version and component.description
    questions = SERVICE.context()
    assert set(component.requires) <= set(questions), "a required answer the service scaffold does not ask"
    for key in component.requires:
        assert component.context()[key] == questions[key], f"{key}: the default differs from the service's"
    assert not set(component.questions()) & set(component.requires)


@pytest.mark.parametrize("name", sorted(COMPONENTS))
def test_a_component_keeps_the_scaffolds_guard_and_hook(name: str) -> None:
    path = COMPONENTS[name].path
    assert (path / "local_extensions.py").read_bytes() == (SERVICE.path / "local_extensions.py").read_bytes()
    assert (path / "hooks/pre_gen_project.py").read_bytes() == (SERVICE.path / "hooks/pre_gen_project.py").read_bytes()
    assert not (path / "hooks/post_gen_project.py").exists()  # a component writes no state file of its own
    assert "local_extensions.AnswerGuard" in COMPONENTS[name].context()["_extensions"]


# --- edits -----------------------------------------------------------------------------------------------------------

KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
# resources of the base
resources:
  - deployment.yaml  # the app
  - service.yaml
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: web:1
          env:
            - name: PORT
              value: "8080"
        - name: sidecar
          image: proxy:1
"""


def _edit(op: str, file: str, **fields: Any) -> Edit:
    (edit,) = parse_edits([{"op": op, "file": file, "fragment": "f", **fields}], "c.json")
    return edit


def test_list_items_are_appended_in_order_once_and_keep_the_files_comments() -> None:
    tree = _tree({"k/kustomization.yaml": KUSTOMIZATION})
    edit = _edit("list-items", "k/kustomization.yaml", path=["resources"])
    once = apply_edits(tree, [edit], {"f": b"- postgres.yaml\n"}, {}, "postgres")
    twice = apply_edits(once, [edit], {"f": b"- postgres.yaml\n"}, {}, "postgres")
    both = apply_edits(twice, [edit], {"f": b"- redis.yaml\n- postgres.yaml\n"}, {}, "redis")
    assert _text(once, "k/kustomization.yaml") == KUSTOMIZATION + "  - postgres.yaml\n"
    assert twice == once
    assert _text(both, "k/kustomization.yaml") == KUSTOMIZATION + "  - postgres.yaml\n  - redis.yaml\n"


def test_keyed_list_items_replace_their_own_item_in_place_and_match_items_by_answers() -> None:
    tree = _tree({"deployment.yaml": DEPLOYMENT})
    edit = _edit("list-items", "deployment.yaml", key="name",
                 path=["spec", "template", "spec", "containers", {"name": "{service_name}"}, "env"])
    first = apply_edits(tree, [edit], {"f": b"- name: DB\n  value: a\n"}, {"service_name": "web"}, "db")
    second = apply_edits(first, [edit], {"f": b"- name: DB\n  value: b\n- name: PORT\n  value: '9090'\n"},
                         {"service_name": "web"}, "db")
    env = yaml.safe_load(_text(second, "deployment.yaml"))["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [{"name": "PORT", "value": "9090"}, {"name": "DB", "value": "b"}]
    assert "image: proxy:1" in _text(second, "deployment.yaml")


def test_a_missing_list_is_created_but_a_missing_parent_is_an_error() -> None:
    tree = _tree({"deployment.yaml": DEPLOYMENT})
    made = apply_edits(tree, [_edit("list-items", "deployment.yaml", path=["spec", "extra"])], {"f": b"- a\n"}, {}, "c")
    assert yaml.safe_load(_text(made, "deployment.yaml"))["spec"]["extra"] == ["a"]
    with pytest.raises(EditError, match=r"component c cannot edit deployment.yaml: no 'nope' at spec"):
        apply_edits(tree, [_edit("list-items", "deployment.yaml", path=["spec", "nope", "x"])], {"f": b"- a\n"}, {},
                    "c")
    with pytest.raises(EditError, match=r"component c edits gone\.yaml, which the repo does not have"):
        apply_edits(tree, [_edit("list-items", "gone.yaml", path=["x"])], {"f": b"- a\n"}, {}, "c")


def test_an_edit_that_may_not_create_its_list_leaves_a_file_without_it_alone() -> None:
    tree = _tree({"k/kustomization.yaml": KUSTOMIZATION})
    edit = _edit("list-items", "k/*.yaml", path=["patches"], create=False)
    assert apply_edits(tree, [edit], {"f": b"- patch: x\n"}, {}, "c") == tree
    with_list = _tree({"k/kustomization.yaml": KUSTOMIZATION + "patches: []\n"})
    assert _text(apply_edits(with_list, [edit], {"f": b"- patch: x\n"}, {}, "c"), "k/kustomization.yaml").endswith(
        "patches:\n  - patch: x\n")


@pytest.mark.parametrize(("text", "op"), [
    ("resources: [a\n", "list-items"),
    ("resources:\n  - a\nresources:\n  - b\n", "list-items"),
    ("a: b: c\n", "documents"),
    ("\udcff", "list-items"),
])
def test_a_file_that_is_not_yaml_is_an_edit_error_naming_it(text: str, op: str) -> None:
    tree = {"k/kustomization.yaml": Entry(text.encode("utf-8", errors="surrogateescape"))}
    edit = _edit(op, "k/kustomization.yaml", **({"path": ["resources"]} if op == "list-items" else {}))
    fragment = b"- b.yaml\n" if op == "list-items" else b"kind: A\nmetadata:\n  name: a\n"
    with pytest.raises(EditError, match=r"^component c cannot edit k/kustomization\.yaml: "):
        apply_edits(tree, [edit], {"f": fragment}, {}, "c")


NETWORK_POLICIES = """\
# deny by default
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-deny
---
# dns
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-dns
"""


def test_documents_are_appended_once_or_replace_the_document_of_their_kind_and_name() -> None:
    tree = _tree({"np.yaml": NETWORK_POLICIES})
    edit = _edit("documents", "np.yaml")
    new = "# to the db\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web-db\n"
    once = apply_edits(tree, [edit], {"f": new.encode()}, {}, "db")
    assert _text(once, "np.yaml") == NETWORK_POLICIES + "---\n" + new
    assert apply_edits(once, [edit], {"f": new.encode()}, {}, "db") == once
    changed = new.replace("# to the db", "# to the database")
    assert _text(apply_edits(once, [edit], {"f": changed.encode()}, {}, "db"), "np.yaml") == (
        NETWORK_POLICIES + "---\n" + changed)


RUNBOOK = """\
# web runbook

Intro.

## HighErrorRatio

```sh
# not a heading: a shell comment
kubectl get pods
```

Mitigation.
"""


def test_markdown_sections_are_appended_once_or_replace_their_section() -> None:
    tree = _tree({"runbook.md": RUNBOOK})
    edit = _edit("markdown-sections", "runbook.md")
    section = "## DatabaseDown\n\nThe database is down.\n"
    once = apply_edits(tree, [edit], {"f": section.encode()}, {}, "db")
    assert _text(once, "runbook.md") == RUNBOOK + "\n" + section
    assert apply_edits(once, [edit], {"f": section.encode()}, {}, "db") == once
    changed = apply_edits(once, [edit], {"f": b"## HighErrorRatio\n\nNew text.\n"}, {}, "other")
    assert _text(changed, "runbook.md") == "# web runbook\n\nIntro.\n\n## HighErrorRatio\n\nNew text.\n\n" + section


@pytest.mark.parametrize(("raw", "message"), [
    ({"op": "rewrite", "file": "a", "fragment": "f"}, "op is one of documents, list-items, markdown-sections"),
    ({"op": "documents", "file": "../out", "fragment": "f"}, "file must be a relative path inside the repo"),
    ({"op": "documents", "file": "a", "fragment": "/etc/passwd"}, "fragment must be a relative path"),
    ({"op": "list-items", "file": "a", "fragment": "f"}, "a list-items edit needs a path"),
    ({"op": "documents", "file": "a", "fragment": "f", "shell": "rm -rf /"}, "unknown field"),
])
def test_bad_edits_are_configuration_errors_naming_the_edit(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_edits([raw], "components/x/cookiecutter.json")
    assert str(caught.value).startswith("components/x/cookiecutter.json: _edits[0]")


def test_a_component_may_not_overwrite_a_file_of_the_repo(tmp_path: Path) -> None:
    component = COMPONENTS["postgres"]
    answers = answers_for(component, _service_answers(), {})
    clash = _tree({"k8s/base/postgres.yaml": "mine\n"})
    with pytest.raises(ComponentError, match=r"component postgres would overwrite k8s/base/postgres\.yaml"):
        apply(clash, component.path, answers, trust=True)


def test_a_component_needs_the_answers_it_requires() -> None:
    with pytest.raises(ComponentError, match=r"needs the scaffold's answer\(s\) owner"):
        answers_for(COMPONENTS["postgres"], {"service_name": "a", "git_host": "x/y", "ci_provider": "github"}, {})


VALID = {"_component_version": "1.0.0", "_description": "x", "_scaffolds": ["service"],
         "_extensions": ["local_extensions.AnswerGuard"]}


def test_a_component_without_defaults_for_what_it_requires_is_refused(tmp_path: Path) -> None:
    (tmp_path / "cookiecutter.json").write_text(json.dumps({**VALID, "_requires": ["service_name"]}), "utf-8")
    with pytest.raises(ComponentError, match="required answers service_name need a default"):
        read_component(tmp_path)


@pytest.mark.parametrize(("settings", "message"), [
    ({"_edits": [{"op": "rewrite", "file": "a", "fragment": "f"}]}, "at _edits/0/op: 'rewrite' is not one of"),
    ({"_edits": [{"op": "documents", "file": "../a", "fragment": "f"}]}, "at _edits/0/file: '../a' does not match"),
    ({"_edits": [{"op": "documents", "file": "a", "fragment": "f", "key": "name"}]}, "at _edits/0: "),
    ({"_edits": [{"op": "list-items", "file": "a", "fragment": "f"}]}, "at _edits/0: 'path' is a required property"),
    ({"_component_version": "one"}, "at _component_version: 'one' does not match"),
    ({"_extensions": []}, "at _extensions: "),
])
def test_component_settings_are_checked_against_their_schema(tmp_path: Path, settings: dict[str, Any],
                                                             message: str) -> None:
    (tmp_path / "cookiecutter.json").write_text(json.dumps({**VALID, **settings}), "utf-8")
    with pytest.raises(ComponentError, match=re.escape(message)) as caught:
        read_component(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path / 'cookiecutter.json'}: not a component: ")


def test_the_component_schema_is_a_sound_schema() -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(json.loads((ROOT / "schemas/component.schema.json").read_text("utf-8")))


def _service_answers() -> dict[str, Any]:
    questions = SERVICE.context()
    return {key: value[0] if isinstance(value, list) else value for key, value in questions.items()
            if not key.startswith("_")}


# --- every component on the service scaffold -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def service_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Tree, dict[str, Any]]:
    out = tmp_path_factory.mktemp("service")
    code, _, err = run_cli("new", "service", "--no-input", "--no-git", "-o", str(out))
    assert code == 0, err
    (repo,) = [path for path in out.iterdir() if path.is_dir()]
    return read_folder(repo), json.loads((repo / STATE_FILE).read_text(encoding="utf-8"))["answers"]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(COMPONENTS))
def test_applying_a_component_twice_is_applying_it_once_and_only_adds_lines(
        service_tree: tuple[Tree, dict[str, Any]], name: str) -> None:
    tree, scaffold_answers = service_tree
    once = add_components(tree, scaffold_answers, [name])
    assert add_components(once, scaffold_answers, [name]) == once
    assert set(once) > set(tree)
    assert not any(path.startswith("_fragments") for path in once)
    for path in set(tree) & set(once):
        before, after = _text(tree, path).splitlines(), _text(once, path).splitlines()
        if before != after:  # a shared file: the component's edits only add lines, the others stay as they were
            opcodes = difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes()
            assert {opcode[0] for opcode in opcodes} == {"equal", "insert"}, path


def _builds(kubectl: str, repo: Path) -> list[str]:
    streams = []
    for kustomization in sorted(repo.rglob("kustomization.yaml")):
        if yaml.safe_load(kustomization.read_text(encoding="utf-8")).get("kind") == "Component":
            continue
        built = subprocess.run([kubectl, "kustomize", str(kustomization.parent)], capture_output=True, text=True,
                               timeout=120)
        assert built.returncode == 0, f"{kustomization}: {built.stderr}"
        streams.append(built.stdout)
    return streams


@pytest.mark.slow
@pytest.mark.parametrize("names", [pytest.param([name], id=name) for name in sorted(COMPONENTS)]
                         + [pytest.param(sorted(COMPONENTS), id="all")])
def test_the_service_with_components_lints_clean_and_builds(service_tree: tuple[Tree, dict[str, Any]],
                                                            names: list[str], tmp_path: Path,
                                                            external_tool: ToolFinder) -> None:
    kubectl = external_tool("kubectl")
    tree, scaffold_answers = service_tree
    repo = write_tree(add_components(tree, scaffold_answers, names), tmp_path)
    lints_clean(repo)
    for version in ("1.25", "1.36"):
        lints_clean(repo, "--profile", "pss-restricted", "--kubernetes-version", version)
    for stream in _builds(kubectl, repo):
        lints_clean(repo, stream=stream)
        lints_clean(repo, "--profile", "pss-restricted", stream=stream)


@pytest.mark.slow
def test_an_untrusted_component_renders_without_its_own_hooks_or_extension(
        service_tree: tuple[Tree, dict[str, Any]], tmp_path: Path) -> None:
    """A component from a source the user did not trust runs no code of its own: its hooks are left out and the
    installed package's answer guard renders it."""
    copy = tmp_path / "postgres"
    shutil.copytree(COMPONENTS["postgres"].path, copy)
    (copy / "hooks" / "pre_gen_project.py").write_text("import sys\nsys.exit('hook ran')\n", encoding="utf-8")
    (copy / "local_extensions.py").write_text("raise SystemExit('extension ran')\n", encoding="utf-8")
    answers = answers_for(COMPONENTS["postgres"], service_tree[1], {})
    tree = apply(service_tree[0], copy, answers, trust=False)
    assert tree == apply(service_tree[0], COMPONENTS["postgres"].path, answers, trust=True)
    with pytest.raises(GitopsToolsError, match="extension ran"):
        apply(service_tree[0], copy, answers, trust=True)


PUSHED = "ghcr.io/example/orders-api:sha-0123e567@sha256:" + "0123456789abcdef" * 4


@pytest.mark.slow
def test_workloads_of_components_wait_for_the_first_release_and_then_run_what_ci_pushed(
        service_tree: tuple[Tree, dict[str, Any]], tmp_path: Path, external_tool: ToolFinder) -> None:
    """Before an environment's first release nothing runs there (a lone cache or job would also make every selector
    of the service's a finding); the release script's rewrite of the release file brings them in, and the job runs
    the exact image CI pushed, as the Deployment does."""
    kubectl = external_tool("kubectl")
    tree, scaffold_answers = service_tree
    repo = write_tree(add_components(tree, scaffold_answers, ["cronjob", "redis", "postgres", "kafka-topic"]), tmp_path)
    day0 = subprocess.run([kubectl, "kustomize", str(repo / "k8s/overlays/dev")], capture_output=True, text=True,
                          timeout=120, check=True).stdout
    kinds = {(doc["kind"], doc["metadata"]["name"]) for doc in yaml.safe_load_all(day0)}
    assert not kinds & {("CronJob", "orders-api-nightly"), ("Deployment", "orders-api-redis")}
    assert ("Service", "orders-api-redis") in kinds
    done = subprocess.run(["bash", "scripts/release.sh", "set", "dev", PUSHED], cwd=repo, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    released = subprocess.run([kubectl, "kustomize", str(repo / "k8s/overlays/dev")], capture_output=True, text=True,
                              timeout=120, check=True).stdout
    documents = {(doc["kind"], doc["metadata"]["name"]): doc for doc in yaml.safe_load_all(released)}
    job = documents["CronJob", "orders-api-nightly"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert [container["image"] for container in job["containers"]] == [PUSHED]
    assert ("Deployment", "orders-api-redis") in documents
    # the components' alerts join the service's, and dev's rules match dev's namespace
    rules = [rule for group in documents["PrometheusRule", "orders-api"]["spec"]["groups"] for rule in group["rules"]]
    alerts = {rule["alert"]: rule for rule in rules if "alert" in rule}
    assert {"CronJobFailed", "RedisUnavailable", "PostgresInstanceDown", "KafkaConsumerLagging"} <= set(alerts)
    assert all(rule["expr"].count("`team-orders-dev`") == 1 == rule["expr"].count("`") // 2 for rule in rules)
    lints_clean(repo, stream=released)
    # the release file the script rewrote has no list of patches: applying the components again leaves it alone
    again = add_components(read_folder(repo), scaffold_answers, ["cronjob", "redis"])
    assert again["k8s/overlays/dev/release/kustomization.yaml"] == read_folder(repo)[
        "k8s/overlays/dev/release/kustomization.yaml"]


def _alerts(stream: str) -> dict[str, str]:
    """Alert name -> severity of the one PrometheusRule in a YAML stream (a kustomize build, a rule file)."""
    (rule,) = [doc for doc in yaml.safe_load_all(stream) if doc and doc["kind"] == "PrometheusRule"]
    return {item["alert"]: item["labels"]["severity"] for group in rule["spec"]["groups"] for item in group["rules"]
            if "alert" in item}


@pytest.mark.slow
def test_components_alerts_page_only_in_production_as_their_runbook_sections_say(
        rendered: Render, with_every_component: Components, tmp_path: Path, external_tool: ToolFinder) -> None:
    """The components' alerts join the service's PrometheusRule, so monitoring/non-production turns every one of them
    into a warning below production, as it does the service's own; production keeps each alert's severity, the one
    its runbook section gives for production (on the default service's render with every component, shared)."""
    kubectl = external_tool("kubectl")
    repo = released(with_every_component(DEFAULT_SERVICE, []), tmp_path)
    envs = json.loads((repo / STATE_FILE).read_text(encoding="utf-8"))["answers"]["environments"].split(",")
    assert len(envs) > 1
    own = _alerts((rendered("service", DEFAULT_SERVICE, []) / "monitoring/prometheusrule.yaml").read_text("utf-8"))
    production = _alerts(kustomize_build(kubectl, repo / "k8s/overlays" / envs[-1]))
    added = {alert: severity for alert, severity in production.items() if alert not in own}
    assert len(added) >= len(COMPONENTS) - 1  # every component but the dashboard adds alerts
    assert set(production.values()) == {"page", "ticket"}
    runbook = " ".join((repo / "docs/runbook.md").read_text(encoding="utf-8").split())
    for alert, severity in added.items():
        section = runbook.split(f"## {alert} ", 1)[1].split(" ## ", 1)[0]
        assert f"Severity: {severity} in production, `warning` in the other environments." in section, alert
    for env in envs[:-1]:
        below = _alerts(kustomize_build(kubectl, repo / "k8s/overlays" / env))
        assert set(below) == set(production) and set(below.values()) == {"warning"}, env


@pytest.mark.slow
def test_a_component_takes_the_scaffolds_whole_answers_and_needs_those_it_requires(
        service_tree: tuple[Tree, dict[str, Any]]) -> None:
    """compose() may pass the scaffold's answers merged with the component's own: the others are ignored; a missing
    required answer is an error, never the component's default (another service's name)."""
    tree, scaffold_answers = service_tree
    component = COMPONENTS["kafka-topic"]
    merged = {**scaffold_answers, "topic": "payments", "kafka_namespace": "streaming"}
    assert apply(tree, component.path, merged, trust=True) == apply(
        tree, component.path, answers_for(component, scaffold_answers, {"topic": "payments",
                                                                         "kafka_namespace": "streaming"}), trust=True)
    without = {key: value for key, value in merged.items() if key != "service_name"}
    with pytest.raises(ComponentError, match=r"component kafka-topic needs the scaffold's answer\(s\) service_name"):
        apply(tree, component.path, without, trust=True)



def _variants() -> list[Any]:
    return [pytest.param(name, answers, id=name) for name, answers in sorted(SERVICE_VARIANTS.items())]


@pytest.mark.slow
@pytest.mark.parametrize(("variant", "answers"), _variants())
def test_every_service_variant_with_every_component_lints_clean_and_builds(
        variant: str, answers: list[str], with_every_component: Components, external_tool: ToolFinder) -> None:
    """On the session's render of each variant (test_scaffolds renders the same ones) with every component added
    (test_scaffold_deployed's checkov run judges one of these too)."""
    kubectl = external_tool("kubectl")
    repo = with_every_component(variant, answers)
    lints_clean(repo)
    lints_clean(repo, "--profile", "pss-restricted")
    for stream in _builds(kubectl, repo):
        lints_clean(repo, stream=stream)
