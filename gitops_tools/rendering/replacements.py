"""Values a kustomization's `replacements:` wrote (kustomize applies them after every other built-in transformer):
each is placed at the target's field path that names it, in the kustomization or in the replacement file an entry's
`path:` names.

The value itself comes from another object's field (the replacement's `source`); a trace of one object cannot see
that object, so the field path that copied it is the place shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from gitops_tools.fingerprint import value_at
from gitops_tools.kustomize import Kustomizations
from gitops_tools.loading.document import Document
from gitops_tools.model import JsonPath
from gitops_tools.rendering.subject import Candidate, Subject, selects

SEGMENT = re.compile(r"\[[^\]]*\]|[^.\[]+")  # `containers.[name=web].image`: keys, and bracketed selectors or keys


def written(document: Document, folder: Path, kustomizations: Kustomizations, subject: Subject) -> Iterator[Candidate]:
    """The field paths of the kustomization's replacements that wrote the value, the last applied first."""
    data = document.data if isinstance(document.data, dict) else {}
    entries = data.get("replacements")
    for index, entry in reversed(list(enumerate(entries if isinstance(entries, list) else ()))):
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("path"), str):
            yield from _from_file(folder, entry["path"], kustomizations, subject)
        else:
            yield from _targets(document, ("replacements", index), entry, subject)


def _from_file(folder: Path, entry: str, kustomizations: Kustomizations, subject: Subject) -> Iterator[Candidate]:
    """A replacement file: one replacement, or a list of them, per document."""
    path = kustomizations.resolve(folder, entry)
    loaded = kustomizations.source(path) if path is not None and path.is_file() else None
    for document in reversed(loaded.documents if loaded is not None else []):
        if isinstance(document.data, dict):
            yield from _targets(document, (), document.data, subject)
        elif isinstance(document.data, list):
            for index, replacement in reversed(list(enumerate(document.data))):
                if isinstance(replacement, dict):
                    yield from _targets(document, (index,), replacement, subject)


def _targets(document: Document, at: JsonPath, replacement: Mapping[str, Any],
             subject: Subject) -> Iterator[Candidate]:
    targets = replacement.get("targets")
    for index, target in reversed(list(enumerate(targets if isinstance(targets, list) else ()))):
        if not isinstance(target, dict) or not _selected(target, subject):
            continue
        paths = target.get("fieldPaths")
        for position, field_path in reversed(list(enumerate(paths if isinstance(paths, list) else ()))):
            if isinstance(field_path, str) and names(field_path, subject.rendered, subject.where):
                path = (*at, "targets", index, "fieldPaths", position)
                yield Candidate(document, path, len(subject.where), True)
                return


def _selected(target: Mapping[str, Any], subject: Subject) -> bool:
    select, reject = target.get("select"), target.get("reject")
    if not isinstance(select, dict) or not selects(select, subject):
        return False
    rejects = reject if isinstance(reject, list) else []
    return not any(isinstance(selector, dict) and selector and selects(selector, subject) for selector in rejects)


def names(field_path: str, rendered: Mapping[str, Any], where: JsonPath) -> bool:
    """Whether a replacement's field path (`spec.template.spec.containers.[name=web].image`, `*` for any item)
    names the rendered path `where`."""
    segments = SEGMENT.findall(field_path)
    if len(segments) != len(where):
        return False
    for position, (segment, step) in enumerate(zip(segments, where, strict=True)):
        if segment.startswith("[") and "=" in segment:
            key, _, wanted = segment[1:-1].partition("=")
            item = value_at(rendered, where[:position + 1])
            if not isinstance(step, int) or not isinstance(item, dict) or str(item.get(key)) != wanted:
                return False
        elif segment != "*" and segment.strip("[]") != str(step):
            return False
    return True
