"""JSON text -> one document, parsed by the C json module; positions come from libyaml only when asked for."""

from __future__ import annotations

import json
from typing import Any

import yaml

from gitops_tools.loading.document import Document
from gitops_tools.model import Problem


class _DuplicateKeyError(Exception):
    pass


def _strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKeyError
    return result


def load_json(text: str, path: str) -> tuple[list[Document], list[Problem]] | None:
    """The document, or a syntax problem; None when the file needs the YAML path (duplicate keys)."""
    try:
        data = json.loads(text, object_pairs_hook=_strict_object)
    except _DuplicateKeyError:
        return None  # the YAML loader reports duplicates with their positions
    except json.JSONDecodeError as err:
        return [], [Problem("json-syntax", err.msg, err.lineno, err.colno)]
    except RecursionError:
        return [], [Problem("document-too-deep", "nesting is too deep to process")]

    def compose() -> yaml.Node | None:
        try:
            return yaml.compose(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            return None  # valid JSON that YAML 1.1 rejects: findings fall back to 1:1

    return [Document(path, 0, data, compose=compose)], []
