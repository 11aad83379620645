"""Which Kubernetes release deprecated and which removed each built-in apiVersion and kind, and its replacement.

The facts are data (schemas/resources/api-lifecycle.yaml names the vendored source and its corrections); this module
reads them once per process, when the first Kubernetes object is checked against them, and answers for a target
version: the same manifest is fine on a 1.21 cluster and rejected by a 1.22 one.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, NamedTuple

from gitops_tools.kubeversion import KubernetesVersion

_RELEASE = re.compile(r"v?(\d+)\.(\d+)(\.\d+)?")


class Lifecycle(NamedTuple):
    """One apiVersion and kind: the release that deprecated it and the one that stopped serving it (None: not yet,
    or unknown), and the apiVersion to use instead ("" when there is none)."""

    api_version: str
    kind: str
    deprecated_in: KubernetesVersion | None
    removed_in: KubernetesVersion | None
    replacement: str

    def removed(self, target: KubernetesVersion) -> bool:
        return self.removed_in is not None and target >= self.removed_in

    def deprecated(self, target: KubernetesVersion) -> bool:
        """Deprecated as of `target` and still served."""
        return self.deprecated_in is not None and target >= self.deprecated_in and not self.removed(target)

    def instead(self, target: KubernetesVersion) -> str:
        """What to use on `target`: the replacement, or, when that too is gone by then, its own replacement (pluto
        names the next version: flowcontrol v1beta1 -> v1beta3, itself removed in 1.32 -> v1)."""
        replacement, seen = self.replacement, {self.api_version}
        while replacement and replacement not in seen:
            seen.add(replacement)
            after = lifecycles().get((replacement, self.kind))
            if after is None or not after.removed(target) or not after.replacement:
                break
            replacement = after.replacement
        return f"use {replacement}" if replacement else "it has no replacement API"


def release(text: Any) -> KubernetesVersion | None:
    """`v1.22.0`, `1.22` -> 1.22; an empty text (never, or not known) -> None."""
    if text in (None, ""):
        return None
    match = _RELEASE.fullmatch(str(text))
    if match is None:
        raise ValueError(f"{text!r} is not a Kubernetes release")  # the data is ours: a test keeps it readable
    return KubernetesVersion(int(match.group(1)), int(match.group(2)))


DERIVED = "api-lifecycle.json"  # schemas/resources/: what `derive` makes of the data, read by every run that needs it


@cache
def lifecycles() -> dict[tuple[str, str], Lifecycle]:
    """Every known (apiVersion, kind), read once per process from the derived JSON: parsing the vendored YAML took
    10 ms, a JSON load 0.3 ms, in a one-file run with a budget of 150 ms (a test keeps the JSON in step)."""
    import json

    from gitops_tools.resources import schema_path

    rows = json.loads(schema_path("resources", DERIVED).read_text("utf-8"))["apis"]
    return {(api, kind): Lifecycle(api, kind, release(deprecated), release(removed), replacement)
            for api, kind, deprecated, removed, replacement in rows}


def derive() -> dict[str, Any]:
    """The derived data from schemas/resources/api-lifecycle.yaml: the vendored source's entries of its component,
    with its corrections applied, and the source's checksum (`make docs` writes it; see DERIVED)."""
    import yaml

    from gitops_tools.digest import sha256
    from gitops_tools.resources import schema_path

    spec = yaml.safe_load(schema_path("resources", "api-lifecycle.yaml").read_text("utf-8"))
    raw = schema_path(spec["source"]).read_bytes()
    found = {(entry["version"], entry["kind"]): [entry["version"], entry["kind"], _text(entry.get("deprecated-in")),
                                                 _text(entry.get("removed-in")), entry.get("replacement-api") or ""]
             for entry in yaml.safe_load(raw)["deprecated-versions"] if entry.get("component") == spec["component"]}
    for fix in spec.get("corrections", ()):
        key = (fix["apiVersion"], fix["kind"])
        if fix.get("drop"):
            del found[key]
            continue
        row = found[key]
        row[2], row[3] = _text(fix.get("deprecated_in", row[2])), _text(fix.get("removed_in", row[3]))
        row[4] = fix.get("replacement", row[4])
    return {"source": spec["source"], "sha256": sha256(raw).hexdigest(), "apis": sorted(found.values())}


def _text(value: Any) -> str:
    """A release as the derived data writes it, `1.N` ("" for none)."""
    found = release(value)
    return "" if found is None else str(found)


def write_derived() -> None:
    """`make docs`: write the derived data beside the spec."""
    import json

    from gitops_tools.resources import schema_path

    text = json.dumps(derive(), indent=None, separators=(",", ":"))
    schema_path("resources", DERIVED).write_text(text.replace("],[", "],\n[") + "\n", encoding="utf-8")


def lifecycle_of(resource: Any) -> Lifecycle | None:
    """The lifecycle of a manifest's apiVersion and kind, when the data knows them."""
    if not isinstance(resource, dict):
        return None
    api_version, kind = resource.get("apiVersion"), resource.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return None
    return lifecycles().get((api_version.strip(), kind.strip()))
