"""Structured edits of shared files, as data: how a component adds itself to files the scaffold (or another
component) owns, without clobbering anyone.

A component's cookiecutter.json lists its `_edits`; each names a file of the repo (a path, or a glob such as
`k8s/overlays/*/release/kustomization.yaml`), an operation, and a fragment: a file the component rendered under
`_fragments/` holding what to add. Every operation is keyed, so applying an edit twice is applying it once, and two
components editing one file each add their own items, in the order the components are applied:

- `list-items`: YAML items into the list at `path` of one document (`document` picks it in a stream by field
  values); an item whose `key` field equals a present item's replaces it in place, other items are appended; items
  without a `key` are added when not present. A missing list is created, unless `create` is false: then a file
  without the list is left as it is (an environment's release file once scripts/release.sh has rewritten it). The
  document is edited with ruamel's round trip (comments, quoting and block scalars kept; comments inside the
  fragment's items are not carried over); the other documents of the file are not touched.
- `documents`: YAML documents into a stream; one with the kind and metadata.name of a present document replaces it
  (as text), others are appended after a `---`.
- `markdown-sections`: `## ` sections into a Markdown file; a section whose heading line is present replaces that
  section (up to the next `#` or `##` heading outside code fences), others are appended.
"""

from __future__ import annotations

import fnmatch
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.tree import Entry, Tree

FRAGMENTS = "_fragments/"
SEPARATOR = "---"
Step = str | int | tuple[tuple[str, str], ...]  # a mapping key, a list index, or the field values of a list item


class EditError(ConfigError):
    """An edit that cannot be made: its file or path is missing, or its fragment is not what the operation needs."""


@dataclass(frozen=True)
class Edit:
    op: str
    file: str
    fragment: str
    path: tuple[Step, ...] = ()
    document: tuple[tuple[str, str], ...] = ()
    key: str | None = None
    create: bool = True


class _NoListError(ValueError):
    """The list an edit with `create: false` would add to is not there."""


def parse_edits(raw: Any, where: str) -> list[Edit]:
    """The `_edits` of a component's cookiecutter.json (`where` names it in errors)."""
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: _edits must be a list of edits")
    return [_parse_edit(item, f"{where}: _edits[{index}]") for index, item in enumerate(raw)]


def _parse_edit(item: Any, where: str) -> Edit:
    if not isinstance(item, dict) or item.get("op") not in OPERATIONS:
        raise ConfigError(f"{where}: an edit is a mapping whose op is one of {', '.join(sorted(OPERATIONS))}")
    unknown = set(item) - {"op", "file", "fragment", "path", "document", "key", "create"}
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    for field in ("file", "fragment"):
        if not isinstance(item.get(field), str) or not item[field] or item[field].startswith("/") \
                or ".." in item[field].split("/"):
            raise ConfigError(f"{where}: {field} must be a relative path inside the repo")
    path = item.get("path", [])
    if item["op"] == "list-items" and (not isinstance(path, list) or not path
                                       or not all(isinstance(step, str | int | dict) for step in path)):
        raise ConfigError(f"{where}: a list-items edit needs a path: keys, indexes or {{field: value}} item matches")
    if not isinstance(item.get("key", ""), str) or not isinstance(item.get("create", True), bool):
        raise ConfigError(f"{where}: key is a field name and create true or false")
    return Edit(item["op"], item["file"], item["fragment"],
                tuple(_pairs(step, where) if isinstance(step, dict) else step for step in path),
                _pairs(item.get("document", {}), where), item.get("key"), item.get("create", True))


def _pairs(raw: Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise ConfigError(f"{where}: a match is a mapping of field to string value")
    return tuple(sorted(raw.items()))


def apply_edits(tree: Tree, edits: list[Edit], fragments: Mapping[str, bytes], answers: Mapping[str, Any],
                owner: str) -> Tree:
    """`tree` with every edit made, in order; `owner` (the component) names the edit in errors. Values of path and
    document matches are formatted with the answers (`{service_name}`)."""
    result = dict(tree)
    failures: tuple[type[Exception], ...] = (ValueError, KeyError, TypeError, *_yaml_errors())
    for edit in edits:
        fragment = fragments.get(edit.fragment)
        if fragment is None:
            raise EditError(f"component {owner}: its edit of {edit.file} names fragment {edit.fragment}, "
                            "which it does not render")
        matches = sorted(path for path in result if fnmatch.fnmatchcase(path, edit.file)) \
            if any(c in edit.file for c in "*?[") else [edit.file] if edit.file in result else []
        if not matches and not any(c in edit.file for c in "*?["):
            raise EditError(f"component {owner} edits {edit.file}, which the repo does not have")
        for path in matches:
            try:
                text = result[path].data.decode("utf-8")
                edited = OPERATIONS[edit.op](text, fragment.decode("utf-8"), edit, dict(answers))
            except failures as err:
                reason = str(err).strip().replace("\n", " ")
                raise EditError(f"component {owner} cannot edit {path}: {reason}") from err
            if edited != text:
                result[path] = Entry(edited.encode("utf-8"), result[path].executable)
    return result


def _yaml_errors() -> tuple[type[Exception], ...]:
    """What either YAML library raises on text that is not YAML (a user's broken file): an EditError, not a crash."""
    import yaml
    from ruamel.yaml.error import YAMLError

    return yaml.YAMLError, YAMLError


# --- list-items ------------------------------------------------------------------------------------------------------

def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line the file's author wrote on one
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def list_items(text: str, fragment: str, edit: Edit, answers: dict[str, Any]) -> str:
    chunks = split_documents(text)
    wanted = tuple((field, value.format_map(answers)) for field, value in edit.document)
    picked = [i for i, chunk in enumerate(chunks) if _safe(chunk) is not None and _matches(_safe(chunk), wanted)]
    if len(picked) != 1:
        raise ValueError(f"{len(picked)} documents match {dict(wanted) or 'any'}; the edit needs exactly one")
    yaml = _yaml()
    document = yaml.load(chunks[picked[0]])
    items = yaml.load(fragment)
    if not isinstance(items, list):
        raise ValueError("the fragment of a list-items edit must be a YAML list")
    try:
        target = _walk(document, edit.path, answers, create=edit.create)
    except _NoListError:
        return text
    for item in items:
        _put(target, item, edit.key)
    stream = io.StringIO()
    yaml.dump(document, stream)
    chunks[picked[0]] = stream.getvalue()
    return join_documents(chunks)


def _walk(node: Any, path: tuple[Step, ...], answers: dict[str, Any], *, create: bool) -> Any:
    from ruamel.yaml.comments import CommentedSeq

    for index, step in enumerate(path):
        last = index == len(path) - 1
        if isinstance(step, tuple):
            wanted = tuple((field, value.format_map(answers)) for field, value in step)
            found = [item for item in node if isinstance(item, dict) and _matches(item, wanted)] \
                if isinstance(node, list) else []
            if len(found) != 1:
                raise ValueError(f"no single list item has {dict(wanted)}")
            node = found[0]
        elif isinstance(step, int):
            if not isinstance(node, list) or not -len(node) <= step < len(node):
                raise ValueError(f"no item {step} at {_shown(path[:index])}")
            node = node[step]
        elif isinstance(node, dict):
            if step not in node and last and not create:
                raise _NoListError(step)
            if step not in node and last:
                node[step] = CommentedSeq()
            if step not in node:
                raise ValueError(f"no {step!r} at {_shown(path[:index])}")
            node = node[step]
        else:
            raise ValueError(f"{_shown(path[:index])} is not a mapping")
    if not isinstance(node, list):
        raise ValueError(f"{_shown(path)} is not a list")
    return node


def _put(target: list[Any], item: Any, key: str | None) -> None:
    if key is not None:
        if not isinstance(item, dict) or key not in item:
            raise ValueError(f"an item of the fragment has no {key!r}")
        for index, present in enumerate(target):
            if isinstance(present, dict) and present.get(key) == item[key]:
                target[index] = item
                return
        target.append(item)
    elif item not in target:
        target.append(item)


def _matches(data: Any, wanted: tuple[tuple[str, str], ...]) -> bool:
    return isinstance(data, dict) and all(_field(data, field) == value for field, value in wanted)


def _field(data: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        data = data.get(part) if isinstance(data, dict) else None  # type: ignore[assignment]
    return data


def _shown(path: tuple[Step, ...]) -> str:
    return "/".join(str(dict(step)) if isinstance(step, tuple) else str(step) for step in path) or "the top"


# --- documents -------------------------------------------------------------------------------------------------------

def split_documents(text: str) -> list[str]:
    """A YAML stream's documents as text (comments before a document belong to it), split at `---` lines."""
    chunks: list[str] = []
    current: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.rstrip() == SEPARATOR:
            chunks.append("".join(current))
            current = []
        else:
            current.append(line)
    chunks.append("".join(current))
    return chunks


def join_documents(chunks: list[str]) -> str:
    return f"{SEPARATOR}\n".join(chunk if chunk.endswith("\n") or not chunk else chunk + "\n" for chunk in chunks)


def _safe(chunk: str) -> Any:
    import yaml

    return yaml.safe_load(chunk)


def _identity(data: Any) -> tuple[Any, Any] | None:
    if not isinstance(data, dict) or not isinstance(data.get("metadata"), dict):
        return None
    return data.get("kind"), data["metadata"].get("name")


def documents(text: str, fragment: str, edit: Edit, answers: dict[str, Any]) -> str:
    chunks = split_documents(text)
    for new in (chunk for chunk in split_documents(fragment) if _identity(_safe(chunk)) is not None):
        identity = _identity(_safe(new))
        same = [i for i, chunk in enumerate(chunks) if _identity(_safe(chunk)) == identity]
        if same:
            chunks[same[0]] = new
        else:
            chunks.append(new)
    return join_documents(chunks)


# --- markdown-sections -----------------------------------------------------------------------------------------------

def _sections(lines: list[str]) -> list[tuple[int, int]]:
    """(start, end) line ranges of each `#`/`##` heading's section, code fences skipped."""
    starts, fenced = [], False
    for index, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (line.startswith("# ") or line.startswith("## ")):
            starts.append(index)
    return list(zip(starts, [*starts[1:], len(lines)], strict=True))


def markdown_sections(text: str, fragment: str, edit: Edit, answers: dict[str, Any]) -> str:
    new_lines = fragment.splitlines(keepends=True)
    for start, end in _sections(new_lines):
        section = "".join(new_lines[start:end]).rstrip("\n") + "\n"
        lines = text.splitlines(keepends=True)
        present = [(s, e) for s, e in _sections(lines) if lines[s].rstrip() == new_lines[start].rstrip()]
        if present:
            s, e = present[0]
            after = "".join(lines[e:])
            text = "".join(lines[:s]) + section + ("\n" + after if after else "")
        else:
            text = (text if text.endswith("\n") or not text else text + "\n")
            text += ("\n" if text and not text.endswith("\n\n") else "") + section
    return text


OPERATIONS: dict[str, Callable[[str, str, Edit, dict[str, Any]], str]] = {
    "list-items": list_items,
    "documents": documents,
    "markdown-sections": markdown_sections,
}
