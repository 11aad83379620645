"""Edits of YAML files that keep everything else about them: what the `yaml-set`, `yaml-delete` and `api-version`
migration steps do to a file of the base or of the repo.

- `set_value` / `delete_value`: ruamel.yaml's round trip, in the layout (indents, leading `---`) under which the
  file reads back byte for byte (yamlmerge.round_trip), so comments, quoting, key order and layout are kept; a file
  no known layout reproduces is still edited, in the first layout, and the result says it was reformatted.
- `replace_api_version`: only the characters of each matching `apiVersion` value change (the position comes from
  PyYAML's composer), whatever the file's layout.
An edit that changes nothing returns the text unchanged, so running a step twice is running it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MAX_BYTES = 1 << 20  # a migration edits hand-sized files; a larger one is left alone (noted)


class EditError(Exception):
    """Why a file could not be edited: unreadable YAML, or a path through a value that is not a mapping or list."""


@dataclass(frozen=True)
class Selector:
    """Which documents of a stream an edit applies to: those with this kind and metadata.name (None: any)."""

    kind: str | None = None
    name: str | None = None

    def selects(self, document: Any) -> bool:
        if not isinstance(document, dict):
            return self.kind is None and self.name is None and document is not None
        metadata = document.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        return (self.kind is None or document.get("kind") == self.kind) and (self.name is None or name == self.name)


@dataclass(frozen=True)
class Edited:
    text: str
    reformatted: bool = False  # no layout reproduced the file: its indentation may have changed beyond the edit


def set_value(text: str, selector: Selector, path: Sequence[str | int], value: Any) -> Edited:
    """`text` with `value` at `path` in every selected document; mappings missing on the way are made."""
    return _edit(text, selector, lambda document: _set(document, path, value))


def delete_value(text: str, selector: Selector, path: Sequence[str | int]) -> Edited:
    """`text` without the key or list item at `path` in every selected document (absent: nothing to do)."""
    return _edit(text, selector, lambda document: _delete(document, path))


def _edit(text: str, selector: Selector, change: Any) -> Edited:
    from ruamel.yaml.error import YAMLError

    from gitops_tools.lifecycle.yamlmerge import dump, round_trip

    if len(text) > MAX_BYTES:
        raise EditError(f"over {MAX_BYTES} bytes")
    try:
        yaml, documents, exact = round_trip(text)
        changed = [change(document) for document in documents if selector.selects(document)]
        if not any(changed):
            return Edited(text)
        return Edited(dump(yaml, documents), reformatted=not exact)
    except (YAMLError, RecursionError) as err:
        raise EditError(f"not readable as YAML: {str(err).splitlines()[0] if str(err) else type(err).__name__}") \
            from err


def _parent(document: Any, path: Sequence[str | int], *, make: bool) -> Any:
    """The mapping or list holding the last step of `path`, or None when it is absent (and not `make`)."""
    node = document
    for index, step in enumerate(path[:-1]):
        if isinstance(node, dict) and isinstance(step, str):
            if step not in node or (make and node[step] is None):
                if not make:
                    return None
                from ruamel.yaml.comments import CommentedMap

                node[step] = CommentedMap()
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int):
            if step >= len(node):
                return None
            node = node[step]
        else:
            where = "/".join(map(str, path[:index])) or "the document"
            raise EditError(f"{where} is not a {'mapping' if isinstance(step, str) else 'list'}")
    return node


def _set(document: Any, path: Sequence[str | int], value: Any) -> bool:
    parent, last = _parent(document, path, make=True), path[-1]
    if isinstance(parent, dict) and isinstance(last, str):
        if last in parent and _same(parent[last], value):
            return False
        parent[last] = value
        return True
    if isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        if _same(parent[last], value):
            return False
        parent[last] = value
        return True
    where = "/".join(map(str, path[:-1])) or "the document"
    raise EditError(f"{where} has no {'key' if isinstance(last, str) else 'item'} {last!r} to set")


def _delete(document: Any, path: Sequence[str | int]) -> bool:
    parent, last = _parent(document, path, make=False), path[-1]
    if isinstance(parent, dict) and isinstance(last, str) and last in parent:
        del parent[last]
        return True
    if isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        del parent[last]
        return True
    return False


def _same(old: Any, new: Any) -> bool:
    """Equal as data (a ruamel mapping equals the plain dict it holds; true is not 1)."""
    return isinstance(old, bool) == isinstance(new, bool) and bool(old == new)


def replace_api_version(text: str, kind: str, old: str, new: str) -> str:
    """`text` with the `apiVersion` of every top-level document of `kind` at `old` set to `new`, in the value's own
    quoting; nothing else changes. Raises EditError when the text is not YAML."""
    import yaml

    if len(text) > MAX_BYTES:
        raise EditError(f"over {MAX_BYTES} bytes")
    spans: list[tuple[int, int, str]] = []
    try:
        for root in yaml.compose_all(text, Loader=yaml.SafeLoader):
            if isinstance(root, yaml.MappingNode):
                spans.extend(_api_version_span(root, kind, old))
    except (yaml.YAMLError, RecursionError) as err:
        raise EditError(f"not readable as YAML: {str(err).splitlines()[0] if str(err) else type(err).__name__}") \
            from err
    for start, end, quote in sorted(spans, reverse=True):
        text = f"{text[:start]}{quote}{new}{quote}{text[end:]}"
    return text


def _api_version_span(root: Any, kind: str, old: str) -> list[tuple[int, int, str]]:
    """Where the document's apiVersion value is written (start, end, its quote character), if it is to change."""
    import yaml

    scalars = {key.value: value for key, value in root.value
               if isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.ScalarNode)}
    version, found_kind = scalars.get("apiVersion"), scalars.get("kind")
    if version is None or found_kind is None or found_kind.value != kind or version.value != old \
            or version.style in ("|", ">"):
        return []
    quote = version.style if version.style in ("'", '"') else ""
    return [(version.start_mark.index, version.end_mark.index, quote)]
