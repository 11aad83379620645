"""Follow a path of a rendered object into a source of it (a base document, a strategic-merge patch, a JSON patch's
value), list items matched as kustomize merges them.

kustomize merges a list of named items by its strategic-merge key (containers by `name`, volume mounts by
`mountPath`, container ports by `containerPort`) and puts a patch's items first: the rendered item at position 2 may
be the source's item 0. A list without a merge key (args, tolerations) is replaced whole by a patch, so its positions
are the source's own.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from gitops_tools.model import JsonPath

# The strategic-merge keys of Kubernetes' built-in lists (x-kubernetes-patch-merge-key), by the list's field name;
# `ports` is keyed by `containerPort` in a container and by `port` in a Service, whichever the items carry.
MERGE_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",), "initContainers": ("name",), "ephemeralContainers": ("name",), "env": ("name",),
    "volumes": ("name",), "imagePullSecrets": ("name",), "resourceClaims": ("name",), "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",), "ports": ("containerPort", "port"), "hostAliases": ("ip",),
    "topologySpreadConstraints": ("topologyKey",), "conditions": ("type",),
}


DEFAULT_PROTOCOL = "TCP"  # a port's, when it names none


class Walk(NamedTuple):
    """How far a rendered path leads in a source: the source's own path, the number of rendered steps it covers,
    and the value there (when it covers them all)."""

    path: JsonPath
    depth: int
    value: Any = None

    def full(self, where: JsonPath) -> bool:
        return self.depth == len(where)


def identifying(where: JsonPath) -> bool:
    """Whether `where` is the merge key of a list item (a container's `name`): a patch writes it to say which item
    it changes, not to set it."""
    if len(where) < 3 or not isinstance(where[-2], int) or not isinstance(where[-3], str):
        return False
    return where[-1] in MERGE_KEYS.get(where[-3], ("name",))


def follow(source: Any, rendered: Any, where: JsonPath) -> Walk:
    """The deepest part of `where` (a path in `rendered`) that `source` holds, as a path in `source`."""
    path: list[str | int] = []
    parent_key: str | int | None = None
    for step in where:
        if isinstance(step, int):
            index = _item(source, rendered, step, parent_key)
            if index is None:
                break
            source, rendered = source[index], rendered[step]
            path.append(index)
        else:
            if not isinstance(source, dict) or step not in source:
                break
            source, rendered = source[step], rendered.get(step) if isinstance(rendered, dict) else None
            path.append(step)
        parent_key = step
    return Walk(tuple(path), len(path), source)


def _item(source: Any, rendered: Any, position: int, parent_key: str | int | None) -> int | None:
    """The source's item that the rendered list's item at `position` comes from, or None."""
    if not isinstance(source, list) or not isinstance(rendered, list) or not 0 <= position < len(rendered):
        return None
    item = rendered[position]
    if isinstance(item, dict):
        for key in MERGE_KEYS.get(parent_key, ()) if isinstance(parent_key, str) else ():
            if key in item:
                return _keyed(source, item, key, position)
        if isinstance(item.get("name"), str) and any(isinstance(c, dict) and "name" in c for c in source):
            return _keyed(source, item, "name", position)  # a custom resource's named items: by name
    return position if position < len(source) else None


def _keyed(source: list[Any], item: dict[str, Any], key: str, position: int) -> int | None:
    """The source item with the rendered item's `key` (and protocol: port 53 is there for UDP and TCP); of several
    alike, the one at the same position, else the first."""
    same = [index for index, candidate in enumerate(source)
            if isinstance(candidate, dict) and key in candidate and candidate[key] == item[key]]
    if len(same) > 1:
        protocol = item.get("protocol", DEFAULT_PROTOCOL)
        same = [index for index in same if source[index].get("protocol", DEFAULT_PROTOCOL) == protocol] or same
    return position if position in same else next(iter(same), None)
