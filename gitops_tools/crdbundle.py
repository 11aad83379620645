"""Derive the bundled custom resource schemas (schemas/resources/crds/) from the vendored upstream CRD files
(schemas/vendor/crds/, listed with their release, commit, sums and licence in sources.yaml).

A run reads one small JSON file per group and kind it meets (gitops_tools/customresources.py), never the 12 MB of
upstream YAML: each file holds the kind's scope and, per version, whether it is served and its openAPIV3Schema with
every `x-kubernetes-*` key (the CEL rules of `x-kubernetes-validations` included) and without the prose of
`description`s. Two more files are derived: the ObjectMeta schema every custom resource's `metadata` is validated
against (from the newest Kubernetes schemas of kubernetes-validate), and the built-in API groups (a custom resource
is an object of any other group). Run by `make crds`; a version bump is copying the new upstream files and running
it again (tests/test_custom_resources.py fails while the derived files are stale).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from gitops_tools.resources import schema_path

VENDOR = ("vendor", "crds")
DERIVED = ("resources", "crds")
OBJECT_META = "_objectmeta.json"
BUILTIN_GROUPS = "_builtin_groups.json"
META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def sources() -> dict[str, Any]:
    """sources.yaml: each vendored project's release, commit, licence and files with their sha256."""
    import yaml

    data: dict[str, Any] = yaml.load(schema_path(*VENDOR, "sources.yaml").read_text(encoding="utf-8"),
                                     yaml.CSafeLoader)
    return data


def mismatched_sums() -> list[str]:
    """The vendored files whose content differs from the sum sources.yaml records (empty when all match)."""
    wrong = []
    for project, entry in sources()["projects"].items():
        for name, digest in entry["files"].items():
            data = schema_path(*VENDOR, project, name).read_bytes()
            if hashlib.sha256(data).hexdigest() != digest:
                wrong.append(f"{project}/{name}")
    return wrong


def derive() -> dict[str, str]:
    """Every derived file, by its path under schemas/resources/crds/, with its text."""
    files = {f"{group}/{kind}.json": _text(entry) for (group, kind), entry in sorted(_definitions().items())}
    files[OBJECT_META] = _text(_object_meta())
    files[BUILTIN_GROUPS] = _text(sorted(_builtin_groups()))
    return files


def write_derived() -> None:
    """Write the derived files, removing any the vendored files no longer give."""
    folder = schema_path(*DERIVED)
    files = derive()
    for old in folder.rglob("*.json") if folder.is_dir() else ():
        if old.relative_to(folder).as_posix() not in files:
            old.unlink()
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def _text(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n"


def _definitions() -> dict[tuple[str, str], dict[str, Any]]:
    from gitops_tools.customresources import definitions_in

    found: dict[tuple[str, str], dict[str, Any]] = {}
    for project, entry in sources()["projects"].items():
        source = f"{entry['name']} {entry['tag']}"
        for document in _documents(project, entry["files"]):
            for definition in definitions_in(document, source):
                found[(definition.group, definition.kind)] = definition.as_data()
    return found


def _documents(project: str, files: dict[str, str]) -> Iterator[Any]:
    """The documents of a project's CRD files, read as a lint reads them (an enum value `=`, YAML 1.1's `value` tag
    to PyYAML, is the text `=`, which a lint notes as a tag read as plain data: not an error here)."""
    from gitops_tools.loading import Limits, load_bytes

    for name in files:
        if name.endswith(".yaml"):
            path = schema_path(*VENDOR, project, name)
            loaded = load_bytes(path.read_bytes(), str(path), Limits(max_file_bytes=64 * 1024 * 1024))
            if not loaded.documents:
                raise ValueError(f"{path}: {loaded.problems[0].detail}")
            yield from (document.data for document in loaded.documents)


def _object_meta() -> dict[str, Any]:
    """ObjectMeta and the definitions it reaches, at the newest Kubernetes version kubernetes-validate has."""
    from gitops_tools.checks import _kubernetes_schemas

    newest = _kubernetes_schemas.versions()[-1]
    definitions = _kubernetes_schemas.definitions(newest)["$defs"]
    reached: dict[str, Any] = _kubernetes_schemas.with_definitions({"$ref": f"#/$defs/{META}"}, definitions)
    return reached


def _builtin_groups() -> set[str]:
    """The API groups of every built-in kind of every Kubernetes version with schemas, and of the removed APIs
    (schemas/resources/api-lifecycle.json): `extensions` is no custom resource's group either."""
    from gitops_tools.checks import _kubernetes_schemas

    groups: set[str] = set()
    for version in _kubernetes_schemas.versions():
        for definition in _kubernetes_schemas.definitions(version)["$defs"].values():
            for identity in definition.get("x-kubernetes-group-version-kind", ()):
                groups.add(identity["group"])
    lifecycle = json.loads(schema_path("resources", "api-lifecycle.json").read_text(encoding="utf-8"))
    groups.update(api_version.rpartition("/")[0] for api_version, *_ in lifecycle["apis"])
    groups.discard("")
    return groups
