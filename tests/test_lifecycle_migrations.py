"""Migrations as data (gitops_tools/lifecycle/migrations.py): each step type on the base and the repo's tree, each
idempotent; the plan between two versions; bad migration files are exit-2 errors at their position; the schema and
the step modules agree; a migration makes the 3-way merge of a real render see a moved file as unchanged."""

from __future__ import annotations

import json
import pkgutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle import migrations, steps
from gitops_tools.lifecycle.merge import merge
from gitops_tools.lifecycle.migrations import (
    Migrated,
    Migration,
    changes,
    plan,
    read_migration,
    run,
    work_tree_changes,
)
from gitops_tools.lifecycle.releases import current_version, read_releases, units
from gitops_tools.lifecycle.tree import Entry, Tree
from gitops_tools.lifecycle.versions import parse_version
from gitops_tools.resources import data_root, schema_path
from gitops_tools.schemacheck import check_schema

DEPLOYMENT = b"""\
# The app's Deployment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app  # keep this name
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: app
          image: "ghcr.io/example/app:1"
---
apiVersion: 'autoscaling/v2beta2'   # soon removed
kind: HorizontalPodAutoscaler
metadata:
  name: app
"""


def problems(result: Migrated) -> tuple[str, ...]:
    """The notes of what a step left undone (`<version> <step>: why`), not those of a step that changed something."""
    return tuple(note for note in result.notes if ": " in note)


def migration_of(tmp_path: Path, text: str, version: str = "1.1.0") -> Migration:
    folder = tmp_path / "scaffold" / "migrations"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{version}.yaml").write_text(text, encoding="utf-8")
    return read_migration(folder / f"{version}.yaml")


def migrate(tmp_path: Path, text: str, answers: dict[str, Any], base: Tree, ours: Tree) -> Migrated:
    """Run the migration, and run it again on its own result: a step is idempotent, so nothing may change."""
    migration = migration_of(tmp_path, text)
    once = run([migration], answers, base, ours)
    twice = run([migration], once.answers, once.base, once.ours)
    assert (twice.answers, twice.base, twice.ours) == (once.answers, once.base, once.ours)
    return once


@pytest.mark.parametrize(("values", "answers", "expected", "noted"), [
    ("", {"ci": "github", "name": "x"}, {"ci_provider": "github", "name": "x"}, False),
    ("values: {gh: github, gl: gitlab}", {"ci": "gl"}, {"ci_provider": "gitlab"}, False),
    ("values: {gh: github}", {"ci": "other"}, {"ci_provider": "other"}, False),
    ("", {"name": "x"}, {"name": "x"}, False),  # nothing to rename
    ("", {"ci": "gitlab", "ci_provider": "github"}, {"ci_provider": "github"}, True),  # both: the new one stays
])
def test_rename_answer(tmp_path: Path, values: str, answers: dict[str, Any], expected: dict[str, Any],
                       noted: bool) -> None:
    text = f"steps:\n  - step: rename-answer\n    from: ci\n    to: ci_provider\n    {values}\n"
    result = migrate(tmp_path, text, answers, {}, {})
    assert result.answers == expected
    assert bool(problems(result)) == noted


def test_rename_answer_renames_values_of_one_answer(tmp_path: Path) -> None:
    text = "steps:\n  - step: rename-answer\n    from: expose\n    to: expose\n    values: {'yes': ingress}\n"
    assert migrate(tmp_path, text, {"expose": "yes"}, {}, {}).answers == {"expose": "ingress"}


MOVE = "steps:\n  - step: move-file\n    from: {0}\n    to: {1}\n"


def test_move_file_moves_the_users_edits_along(tmp_path: Path) -> None:
    base = {"k8s/app.yaml": Entry(b"a\n"), "run.sh": Entry(b"#!/bin/sh\n", executable=True)}
    ours = {"k8s/app.yaml": Entry(b"a\nmine\n"), "run.sh": Entry(b"#!/bin/sh\n", executable=True)}
    result = migrate(tmp_path, MOVE.format("k8s/app.yaml", "k8s/base/app.yaml") + MOVE.format("run.sh", "bin/run.sh")
                     .removeprefix("steps:\n"), {}, base, ours)
    assert result.base == {"k8s/base/app.yaml": Entry(b"a\n"), "bin/run.sh": Entry(b"#!/bin/sh\n", executable=True)}
    assert result.ours == {"k8s/base/app.yaml": Entry(b"a\nmine\n"),
                           "bin/run.sh": Entry(b"#!/bin/sh\n", executable=True)}
    assert changes(ours, result.ours) == ({"k8s/base/app.yaml": Entry(b"a\nmine\n"),
                                           "bin/run.sh": Entry(b"#!/bin/sh\n", executable=True)},
                                          {"k8s/app.yaml", "run.sh"})


def test_move_file_moves_a_folder(tmp_path: Path) -> None:
    tree = {"deploy/a.yaml": Entry(b"a"), "deploy/sub/b.yaml": Entry(b"b"), "deployment.md": Entry(b"c")}
    result = migrate(tmp_path, MOVE.format("deploy", "k8s/base"), {}, tree, tree)
    assert result.ours == {"k8s/base/a.yaml": Entry(b"a"), "k8s/base/sub/b.yaml": Entry(b"b"),
                           "deployment.md": Entry(b"c")}


def test_move_file_leaves_a_tree_whose_target_is_taken(tmp_path: Path) -> None:
    base = {"a.txt": Entry(b"a")}
    ours = {"a.txt": Entry(b"a"), "b.txt": Entry(b"the user's own b")}
    result = migrate(tmp_path, MOVE.format("a.txt", "b.txt"), {}, base, ours)
    assert result.base == {"b.txt": Entry(b"a")}
    assert result.ours == ours
    assert result.notes == ("1.1.0 move-file a.txt -> b.txt",  # it moved in the base
                            "1.1.0 move-file a.txt -> b.txt: repo: b.txt exists already; a.txt is left where it is")


@pytest.mark.parametrize(("ours", "kept"), [
    ({"old.yaml": Entry(b"x\n"), "other": Entry(b"o")}, False),
    ({"old.yaml": Entry(b"x\nmine\n"), "other": Entry(b"o")}, True),
    ({"old.yaml": Entry(b"x\n", executable=True), "other": Entry(b"o")}, True),
    ({"other": Entry(b"o")}, False),  # the user deleted it already
])
def test_delete_file_only_when_unchanged(tmp_path: Path, ours: Tree, kept: bool) -> None:
    base = {"old.yaml": Entry(b"x\n"), "other": Entry(b"o")}
    result = migrate(tmp_path, "steps:\n  - step: delete-file\n    path: old.yaml\n", {}, base, ours)
    assert result.base == {"other": Entry(b"o")}
    assert ("old.yaml" in result.ours) == kept
    assert problems(result) == (("1.1.0 delete-file old.yaml: old.yaml differs from what the scaffold rendered; kept",)
                            if kept else ())


SET = """\
steps:
  - step: yaml-set
    file: k8s/app.yaml
    document: {kind: Deployment}
    path: [spec, template, spec, securityContext, runAsNonRoot]
    value: true
  - step: yaml-set
    file: k8s/app.yaml
    document: {kind: Deployment, name: app}
    path: [spec, template, spec, containers, 0, image]
    value: ghcr.io/example/app:2
"""


def test_yaml_set_keeps_comments_quoting_and_other_documents(tmp_path: Path) -> None:
    tree = {"k8s/app.yaml": Entry(DEPLOYMENT)}
    result = migrate(tmp_path, SET, {}, tree, tree)
    expected = DEPLOYMENT.replace(b'"ghcr.io/example/app:1"', b'"ghcr.io/example/app:2"').replace(
        b"          image: \"ghcr.io/example/app:2\"\n",
        b"          image: \"ghcr.io/example/app:2\"\n      securityContext:\n        runAsNonRoot: true\n")
    assert result.ours["k8s/app.yaml"].data.decode() == expected.decode()
    assert result.base == result.ours
    assert result.notes == ("1.1.0 yaml-set k8s/app.yaml spec/template/spec/securityContext/runAsNonRoot",
                            "1.1.0 yaml-set k8s/app.yaml spec/template/spec/containers/0/image")


def test_yaml_set_notes_a_file_it_cannot_edit_and_skips_a_missing_one(tmp_path: Path) -> None:
    base = {"k8s/app.yaml": Entry(DEPLOYMENT)}
    ours = {"k8s/app.yaml": Entry(DEPLOYMENT.replace(b"  template:\n", b"  template: []\n  x:\n"))}
    result = migrate(tmp_path, SET, {}, base, ours)
    assert result.ours == ours
    assert problems(result)[0] == ("1.1.0 yaml-set k8s/app.yaml spec/template/spec/securityContext/runAsNonRoot: repo: "
                               "k8s/app.yaml: spec/template is not a mapping; not changed")
    unreadable = {"k8s/app.yaml": Entry(b"a: [\n")}
    assert migrate(tmp_path, SET, {}, unreadable, unreadable).ours == unreadable
    assert migrate(tmp_path, SET, {}, {}, {}).ours == {}


def test_yaml_steps_leave_an_oversized_file_alone(tmp_path: Path) -> None:
    big = {"k8s/app.yaml": Entry(DEPLOYMENT + b"# " + b"x" * (1 << 20) + b"\n")}
    result = migrate(tmp_path, SET, {}, big, big)
    assert result.ours == big
    assert result.notes[-1].endswith("repo: k8s/app.yaml: over 1048576 bytes; not changed")
    assert migrate(tmp_path, API, {}, big, big).ours == big


def test_yaml_set_of_a_value_already_set_keeps_the_bytes(tmp_path: Path) -> None:
    text = b"a:\n    b:   1    # odd layout no dumper reproduces\n"
    step = "steps:\n  - step: yaml-set\n    file: f.yaml\n    path: [a, b]\n    value: 1\n"
    assert migrate(tmp_path, step, {}, {"f.yaml": Entry(text)}, {"f.yaml": Entry(text)}).ours["f.yaml"].data == text


def test_yaml_set_says_when_it_had_to_reformat(tmp_path: Path) -> None:
    text = b"a:\n   b: 1\n"
    step = "steps:\n  - step: yaml-set\n    file: f.yaml\n    path: [a, c]\n    value: x\n"
    result = migrate(tmp_path, step, {}, {}, {"f.yaml": Entry(text)})
    assert result.ours["f.yaml"].data == b"a:\n  b: 1\n  c: x\n"
    assert problems(result) == ("1.1.0 yaml-set f.yaml a/c: repo: f.yaml was re-indented by the edit (no common layout "
                            "reproduced it)",)


def test_yaml_delete(tmp_path: Path) -> None:
    step = ("steps:\n  - step: yaml-delete\n    file: k8s/app.yaml\n    document: {kind: Deployment}\n"
            "    path: [spec, replicas]\n")
    tree = {"k8s/app.yaml": Entry(DEPLOYMENT, executable=True)}
    result = migrate(tmp_path, step, {}, tree, tree)
    assert result.ours == {"k8s/app.yaml": Entry(DEPLOYMENT.replace(b"  replicas: 2\n", b""), executable=True)}
    absent = {"k8s/app.yaml": Entry(b"spec: {}\n")}
    assert migrate(tmp_path, step, {}, absent, absent).ours == absent


API = "steps:\n  - step: api-version\n    kind: HorizontalPodAutoscaler\n    from: autoscaling/v2beta2\n" \
      "    to: autoscaling/v2\n"


def test_api_version_changes_only_the_value(tmp_path: Path) -> None:
    other = b"apiVersion: autoscaling/v2beta2\nkind: Other\n"
    helm = b"apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\n{{- if .Values.x }}\n"
    tree = {"k8s/app.yaml": Entry(DEPLOYMENT), "other.yml": Entry(other), "chart/templates/hpa.yaml": Entry(helm),
            "notes.txt": Entry(b"apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\n")}
    result = migrate(tmp_path, API, {}, tree, tree)
    changed = DEPLOYMENT.replace(b"'autoscaling/v2beta2'", b"'autoscaling/v2'")
    assert result.ours == {**tree, "k8s/app.yaml": Entry(changed)}
    assert result.base == result.ours


def test_api_version_in_the_given_files_only(tmp_path: Path) -> None:
    hpa = Entry(b"apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\n")
    tree = {"k8s/base/hpa.yaml": hpa, "legacy/hpa.yaml": hpa}
    result = migrate(tmp_path, API + "    files: ['k8s/**/*.yaml']\n", {}, tree, tree)
    assert result.ours == {"k8s/base/hpa.yaml": Entry(b"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"),
                           "legacy/hpa.yaml": hpa}


def test_plan_crosses_the_versions_between_oldest_first(tmp_path: Path) -> None:
    for version in ("1.1.0", "1.9.0", "1.10.0", "2.0.0"):
        migration_of(tmp_path, f"description: to {version}\nsteps:\n  - step: delete-file\n    path: x\n", version)
    scaffold = tmp_path / "scaffold"
    assert [m.version for m in plan(scaffold, "1.0.0", "2.0.0")] == ["1.1.0", "1.9.0", "1.10.0", "2.0.0"]
    assert [m.version for m in plan(scaffold, "1.1.0", "1.10.0")] == ["1.9.0", "1.10.0"]
    assert [m.description for m in plan(scaffold, "1.9.0", "1.10.0")] == ["to 1.10.0"]
    assert plan(scaffold, "2.0.0", "2.0.0") == []
    assert plan(scaffold, "2.0.0", "1.0.0") == []
    assert plan(tmp_path / "no-migrations", "1.0.0", "2.0.0") == []


def test_run_notes_name_version_and_step(tmp_path: Path) -> None:
    migration = migration_of(tmp_path, "steps:\n  - step: delete-file\n    path: a\n")
    result = run([migration], {}, {"a": Entry(b"1")}, {"a": Entry(b"2")})
    assert result.notes == ("1.1.0 delete-file a",  # gone from the base
                            "1.1.0 delete-file a: a differs from what the scaffold rendered; kept")
    assert run([migration], {}, {}, {"b": Entry(b"")}).notes == ()  # nothing to do: nothing said


@pytest.mark.parametrize(("text", "where", "message"), [
    ("steps: [\n", "2:1", "did not find expected node content"),
    ("- step: move-file\n", "1:1", "invalid migration file: it holds one YAML mapping"),
    ("steps: []\n", "1:1", "steps: [] has less than 1 item"),
    ("steps:\n  - step: rename-answer\n    from: a\n    to: a\n    values: {yes: ingress}\n", "5:14",
     "values: True is not a string; quote it"),
    ("steps:\n  - step: rename\n", "2:5", 'invalid migration file: steps/0/step: "rename" is not one of'),
    ("steps:\n  - step: move-file\n    from: a\n", "2:5", 'invalid migration file: steps/0: "to" is a required'),
    ("steps:\n  - step: delete-file\n    path: a\n    pth: b\n", "4:5",
     "invalid migration file: steps/0/pth: Additional properties are not allowed"),
    ("steps:\n  - step: delete-file\n    path: /etc/passwd\n", "3:5", "invalid migration file: steps/0/path: "),
    ("steps:\n  - step: move-file\n    from: a\n    to: ../../b\n", "4:5",
     "invalid migration file: to: '../../b' must be a path inside the repo"),
    ("steps:\n  - step: delete-file\n    path: .scaffold.json\n", "3:5", "not .git/ nor a state file"),
    ("steps:\n  - step: move-file\n    from: .git\n    to: git\n", "3:5", "not .git/ nor a state file"),
    ("steps:\n  - step: move-file\n    from: a\n    to: a/b\n", "4:5", "cannot move to itself or into itself"),
    ("steps:\n  - step: rename-answer\n    from: a\n    to: b\n    values: {x: y, y: z}\n", "5:14",
     "'x' maps to a value that is renamed again"),
    ("steps:\n  - step: yaml-delete\n    file: a.yaml\n    path: [items, 0]\n", "4:19",
     "deleting a list item by position is not idempotent"),
    ("steps:\n  - step: yaml-set\n    file: a.yaml\n    path: [a]\n", "2:5", '"value" is a required property'),
    ("steps:\n  - step: api-version\n    kind: Ingress\n    from: networking/v1\n    to: networking/v1\n", "5:5",
     "from and to are the same apiVersion"),
    ("steps:\n  - step: api-version\n    kind: Ingress\n    from: extensions/v1beta1\n    to: latest\n", "5:5",
     "steps/0/to: "),
])
def test_a_bad_migration_file_is_a_usage_error_at_its_position(tmp_path: Path, text: str, where: str,
                                                                message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        migration_of(tmp_path, text)
    path = tmp_path / "scaffold" / "migrations" / "1.1.0.yaml"
    assert str(raised.value).startswith(f"{path}:{where}: invalid migration file: ")
    assert message in str(raised.value)


@pytest.mark.parametrize(("name", "message"), [
    ("v1.1.yaml", "invalid migration file name: 'v1.1' is not a version"),
    ("1.1.0.yml", "a migration is a file named <version>.yaml"),
    ("01.1.0.yaml", "invalid migration file name: '01.1.0' is not a version"),
])
def test_a_badly_named_migration_file_is_refused(tmp_path: Path, name: str, message: str) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / name).write_text("steps: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="^" + str(folder / name).replace(".", r"\.") + ":1:1: " + message):
        plan(tmp_path, "1.0.0", "2.0.0")


def test_a_bad_recorded_version_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="the repo's version: 'main' is not a version"):
        plan(tmp_path, "main", "1.0.0")


def test_the_schema_lists_exactly_the_step_modules() -> None:
    schema = json.loads(schema_path("migration.schema.json").read_text(encoding="utf-8"))
    names = set(schema["$defs"]["step"]["properties"]["step"]["enum"])
    modules = {info.name.replace("_", "-") for info in pkgutil.iter_modules(steps.__path__)
               if not info.name.startswith("_")}
    assert names == modules
    check_schema(schema)  # sound: local references only, patterns the linear-time engine runs
    for name in names:
        assert name in schema["$defs"], f"the schema has no $defs/{name} for the step's fields"
        assert callable(migrations.step_module(name).parse)


def test_the_shipped_migration_files_are_valid_and_name_released_versions() -> None:
    """Every migrations/<version>.yaml of a scaffold or component reads, and its version is one the unit has
    recorded (or its current one): a migration to a version no repo can reach would never run."""
    for unit in units(data_root()):
        known = {release.version for release in read_releases(unit)} | {current_version(unit)}
        for version, path in migrations.migration_files(unit):
            assert read_migration(path).steps
            assert version <= parse_version(current_version(unit)), path
            assert path.stem in known, path


def _rendered(tmp_path: Path) -> Tree:
    from gitops_tools.scaffold import available_scaffolds, render

    folder, _ = render(available_scaffolds()["service"], {"expose": "none"}, tmp_path / "out", git=False)
    return {path.relative_to(folder).as_posix(): Entry(path.read_bytes(), bool(path.stat().st_mode & stat.S_IXUSR))
            for path in sorted(folder.rglob("*")) if path.is_file() and path.name != ".scaffold.json"}


def test_a_migration_lets_the_merge_see_a_moved_and_edited_file_as_the_users_edit(tmp_path: Path) -> None:
    """A real render of the service scaffold as the base; the user edited its Service; the next version moves the
    file and sets a field in it. Without the migration the merge keeps the old file and adds the new one beside it
    (the Service twice); with it, the edit and the new field land in the file at its new place and nothing else
    changes."""
    base = _rendered(tmp_path)
    old, new = "k8s/base/service.yaml", "k8s/base/network/service.yaml"
    edited = base[old].data.replace(b"spec:\n", b"spec:\n  sessionAffinity: ClientIP\n", 1)
    ours = {**base, old: Entry(edited)}
    step = (f"steps:\n  - step: move-file\n    from: {old}\n    to: {new}\n"
            f"  - step: yaml-set\n    file: {new}\n    path: [spec, internalTrafficPolicy]\n    value: Cluster\n")
    migration = migration_of(tmp_path, step)
    theirs = run([migration], {}, base, base).base  # the next version renders the moved file with the new field

    unmigrated = merge(base, ours, theirs)
    assert old not in unmigrated.deletes and new in unmigrated.writes  # the Service would be there twice

    migrated = run([migration], {}, base, ours)
    result = merge(migrated.base, migrated.ours, theirs)
    assert (result.writes, result.deletes, result.conflicts) == ({}, set(), [])
    writes, deletes = work_tree_changes(ours, migrated.ours, result.writes, result.deletes)
    assert deletes == {old} and set(writes) == {new}
    assert b"sessionAffinity: ClientIP" in writes[new].data and b"internalTrafficPolicy: Cluster" in writes[new].data


def test_work_tree_changes_are_the_migrations_then_the_merges() -> None:
    ours = {"a": Entry(b"a"), "b": Entry(b"b"), "c": Entry(b"c")}
    migrated = {"moved/a": Entry(b"a"), "b": Entry(b"b"), "c": Entry(b"c")}  # a moved
    writes, deletes = work_tree_changes(ours, migrated, {"b": Entry(b"b2"), "new": Entry(b"n")}, {"c", "moved/a"})
    assert writes == {"b": Entry(b"b2"), "new": Entry(b"n")}
    assert deletes == {"a", "c"}


def test_readme_migration_example_is_valid_and_does_what_it_says(tmp_path: Path,
                                                                 readme_snippet: Callable[[str, str], str]) -> None:
    text = readme_snippet("Scaffolds", "scaffolds/service/migrations/1.2.0.yaml")
    migration = migration_of(tmp_path, text, "1.2.0")
    assert len(migration.steps) == 6
    base = {"k8s/base/service.yaml": Entry(b"kind: Service\n"), "docs/old-guide.md": Entry(b"old\n"),
            "k8s/base/deployment.yaml": Entry(DEPLOYMENT)}
    result = run([migration], {"ci": "gh"}, base, base)
    assert result.answers == {"ci_provider": "github"}
    assert sorted(result.ours) == ["k8s/base/deployment.yaml", "k8s/base/network/service.yaml"]
    deployment = result.ours["k8s/base/deployment.yaml"].data.decode()
    assert "seccompProfile:\n          type: RuntimeDefault\n" in deployment
    assert "replicas" not in deployment and "'autoscaling/v2'   # soon removed" in deployment
    assert problems(result) == ()
    assert len(result.notes) == 6  # each step changed something
