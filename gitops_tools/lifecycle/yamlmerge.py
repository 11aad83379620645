"""A structural 3-way merge of YAML files, tried only where a line merge conflicts: two different keys added to one
mapping, an item added to a list while another changed next to it, are no conflict for the data they describe.

What it does, exactly (the README says the same):
- It runs only when ours round-trips byte for byte through ruamel.yaml with one of a few common layouts (indent 2,
  sequences flush or indented, with or without a leading `---`); otherwise the line conflict stands. The result is
  ours, edited in place, so ours' comments, quoting, key order and layout are kept.
- Each file must hold as many documents in base, ours and theirs (an empty base: a file both sides added).
- Per node: if ours and theirs agree, or theirs kept the base's value, ours stays; if ours kept the base's value,
  theirs' is taken; mappings merge key by key (a key theirs added is placed after the key it follows in theirs);
  lists of unique scalars merge as sets (theirs' removals and additions applied to ours, additions at the end);
  lists of mappings that all have a unique `name` (containers, env, ports) merge item by item by name.
- Anything else both sides changed (a scalar, a list of another shape, a key one side deleted and the other changed)
  is a conflict: the whole file falls back to the line merge's markers. It never guesses.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

MAX_BYTES = 1 << 20  # larger files keep the line merge's verdict: a structural merge is for hand-sized files
LAYOUTS = [(2, 2, 0), (2, 4, 2), (4, 4, 2)]  # (mapping, sequence, offset) indents ruamel tries for ours' layout
_MISSING = object()  # a key or list item absent on one side (None is YAML's null)
_SCALARS = (str, int, float, bool, type(None))


class _ClashError(Exception):
    """Both sides changed one node in ways the structural merge does not decide."""


def merge_yaml(base: bytes, ours: bytes, theirs: bytes) -> bytes | None:
    """The merged file, in ours' layout, or None when the structural merge does not apply or would conflict."""
    if max(len(base), len(ours), len(theirs)) > MAX_BYTES:
        return None
    try:
        texts = [data.decode("utf-8") for data in (base, ours, theirs)]
    except UnicodeDecodeError:
        return None
    from ruamel.yaml.error import YAMLError

    try:
        yaml, ours_docs, exact = round_trip(texts[1])
        if not exact:
            return None
        base_docs, theirs_docs = list(yaml.load_all(texts[0])), list(yaml.load_all(texts[2]))
        if not base_docs and not texts[0].strip():
            base_docs = [_MISSING] * len(ours_docs)
        if not len(base_docs) == len(ours_docs) == len(theirs_docs):
            return None
        docs = [_node(b, o, t) for b, o, t in zip(base_docs, ours_docs, theirs_docs, strict=True)]
        result = dump(yaml, docs)
        list(yaml.load_all(result))  # what it wrote reads back
    except (_ClashError, YAMLError, RecursionError):
        return None
    return result.encode("utf-8")


def _layouts() -> Iterator[Any]:
    from ruamel.yaml import YAML

    for mapping, sequence, offset in LAYOUTS:
        for start in (False, True):
            yaml = YAML(typ="rt")  # round trip: builds only plain mappings, lists and scalars, never objects
            yaml.preserve_quotes = True
            yaml.width = 4096  # never re-wrap a long line
            yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
            yaml.explicit_start = start
            yield yaml


def round_trip(text: str) -> tuple[Any, list[Any], bool]:
    """A ruamel round-trip YAML in the first layout that reproduces `text` byte for byte, the documents it read, and
    True; or the first layout, its documents and False when none does. Raises ruamel's YAMLError on bad YAML.
    (yamledit.py edits files through it too.)"""
    first: tuple[Any, list[Any]] | None = None
    for yaml in _layouts():
        docs = list(yaml.load_all(text))
        if dump(yaml, docs) == text:
            return yaml, docs, True
        first = first or (yaml, docs)
    assert first is not None  # LAYOUTS is not empty
    return first[0], first[1], False


def dump(yaml: Any, docs: list[Any]) -> str:
    stream = io.StringIO()
    yaml.dump_all(docs, stream)
    return stream.getvalue()


def _node(b: Any, o: Any, t: Any) -> Any:
    """The merged value of one node (ours' object, edited in place, where it is kept)."""
    if _same(o, t) or _same(t, b):
        return o
    if _same(o, b):
        return t
    if isinstance(o, dict) and isinstance(t, dict) and (b is _MISSING or isinstance(b, dict)):
        return _mapping(b if isinstance(b, dict) else {}, o, t)
    if isinstance(o, list) and isinstance(t, list) and (b is _MISSING or isinstance(b, list)):
        base = b if isinstance(b, list) else []
        if all(_unique_scalars(items) for items in (base, o, t)):
            return _scalar_list(base, o, t)
        if all(_names(items) is not None for items in (base, o, t)):
            return _named_list(base, o, t)
    raise _ClashError


def _same(a: Any, b: Any) -> bool:
    """Equal as data, with YAML's booleans apart from its numbers (True == 1 in Python), at any depth."""
    if a is _MISSING or b is _MISSING:
        return a is b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict | list) or isinstance(b, dict | list):
        return False
    return isinstance(a, bool) == isinstance(b, bool) and bool(a == b)


def _mapping(b: dict[Any, Any], o: Any, t: dict[Any, Any]) -> Any:
    for key in [*o, *(key for key in t if key not in o)]:
        value = _node(b.get(key, _MISSING), o.get(key, _MISSING), t.get(key, _MISSING))
        if value is _MISSING:
            if key in o:
                del o[key]
        elif key in o:
            if value is not o[key]:
                o[key] = value
        else:
            o.insert(_position(list(o), list(t), key), key, value)
    return o


def _position(ours_keys: list[Any], theirs_keys: list[Any], key: Any) -> int:
    """Where a key theirs added goes in ours: after the nearest key before it in theirs that ours has, else first."""
    for before in reversed(theirs_keys[:theirs_keys.index(key)]):
        if before in ours_keys:
            return ours_keys.index(before) + 1
    return 0


def _unique_scalars(items: list[Any]) -> bool:
    return all(isinstance(item, _SCALARS) for item in items) and len({(type(i), i) for i in items}) == len(items)


def _scalar_list(b: list[Any], o: Any, t: list[Any]) -> Any:
    removed = [item for item in b if not _among(item, t)]
    for index in reversed(range(len(o))):
        if _among(o[index], removed):
            del o[index]
    o.extend(item for item in t if not _among(item, b) and not _among(item, o))
    return o


def _among(item: Any, items: list[Any]) -> bool:
    return any(_same(item, other) for other in items)


def _names(items: list[Any]) -> list[Any] | None:
    """The `name` of each item when every item is a mapping with a unique scalar name, else None."""
    names = [item.get("name", _MISSING) if isinstance(item, dict) else _MISSING for item in items]
    if any(name is _MISSING or not isinstance(name, str) for name in names) or len(set(names)) != len(names):
        return None
    return names


def _named_list(b: list[Any], o: Any, t: list[Any]) -> Any:
    base, theirs = dict(zip(_names(b) or [], b, strict=True)), dict(zip(_names(t) or [], t, strict=True))
    ours_names = _names(o) or []
    for name in [*ours_names, *(name for name in theirs if name not in ours_names)]:
        names = _names(o) or []
        index = names.index(name) if name in names else None
        value = _node(base.get(name, _MISSING), o[index] if index is not None else _MISSING, theirs.get(name, _MISSING))
        if value is _MISSING:
            if index is not None:
                del o[index]
        elif index is not None:
            if value is not o[index]:
                o[index] = value
        else:
            o.insert(_position(names, list(theirs), name), value)
    return o
