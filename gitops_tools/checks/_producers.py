"""Which objects make a ConfigMap or a Secret, and of which names: the table in schemas/resources/producers.yaml
(data, so an operator is taught by adding a line), read once per process when a reference check first collects."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from gitops_tools.model import JsonPath

EVERY = "*"  # a path step: each item of a list


@cache
def producers(kind: str) -> Mapping[str, JsonPath | None]:
    """`group/Kind` (or `Kind` for the core group) -> the path of the name it makes (None: its own name), for the
    makers of `kind` (ConfigMap or Secret)."""
    import yaml

    from gitops_tools.resources import schema_path

    raw = yaml.load(schema_path("resources", "producers.yaml").read_text("utf-8"), Loader=yaml.CSafeLoader)
    return {key: tuple(entry["name"]) if entry.get("name") else None for key, entry in raw[kind].items()}


def made(resource: Mapping[str, Any], kind: str) -> tuple[str, ...] | None:
    """The names of the `kind` objects the resource makes, or None when it makes none."""
    api, own = resource.get("apiVersion"), resource.get("metadata")
    group = api.rpartition("/")[0] if isinstance(api, str) and "/" in api else ""
    key = f"{group}/{resource.get('kind')}" if group else str(resource.get("kind"))
    table = producers(kind)
    if key not in table:
        return None
    own_name = own.get("name") if isinstance(own, dict) else None
    path = table[key]
    names = tuple(name for name in _values(resource, path) if isinstance(name, str) and name) if path else ()
    if not names and (path is None or EVERY not in path) and isinstance(own_name, str) and own_name:
        names = (own_name,)
    return names


def _values(data: Any, path: JsonPath) -> Iterator[Any]:
    """The values at `path`, each list item where a step is EVERY."""
    if not path:
        yield data
        return
    step, rest = path[0], path[1:]
    if step == EVERY:
        for item in data if isinstance(data, list) else []:
            yield from _values(item, rest)
    elif isinstance(data, dict) and step in data:
        yield from _values(data[step], rest)
