"""Build a plain document's data from its node tree, several times faster than PyYAML's generic constructor.

Most manifests hold only strings, mappings, lists and the scalars YAML resolves implicitly (int, float, bool, null,
timestamp). For those, a direct recursive build gives the same data as `construct_document` without its per-node
bookkeeping (memo of constructed objects, deferred generators for every mapping, merge-key flattening). Anything else
(another tag, a merge key, an unhashable key, a value that does not fit its tag) raises `NotPlainError`, and the caller
builds the document the general way, so results and errors are exactly the constructor's. Aliases never reach here:
a document that may use one is built the general way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import yaml

PREFIX = "tag:yaml.org,2002:"
STR, MAP, SEQ, MERGE = f"{PREFIX}str", f"{PREFIX}map", f"{PREFIX}seq", f"{PREFIX}merge"
# Scalar tags whose constructors read the value: called directly, as `construct_object` would.
SCALARS = frozenset(f"{PREFIX}{name}" for name in ("int", "float", "bool", "null", "timestamp"))

Construct = Callable[[Any, yaml.Node], Any]
Duplicates = list[tuple[yaml.Node, yaml.Node]]


class NotPlainError(Exception):
    """The document needs the general constructor."""


class Built(NamedTuple):
    data: Any
    duplicates: Duplicates  # kept only when the whole document built
    null_members: bool  # whether some mapping member is null (`key:` or `key: ~`): most documents have none


class PlainBuilder:
    """Builds one document at a time for `loader` (a PyYAML safe constructor with our scalar constructors)."""

    def __init__(self, loader: Any, duplicate_keys: Callable[[yaml.Node], Duplicates]) -> None:
        self._loader = loader
        self._scalars: dict[str, Construct] = {tag: loader.yaml_constructors[tag] for tag in SCALARS}
        self._duplicate_keys = duplicate_keys
        self._nulls = False

    def build(self, node: yaml.Node) -> Built:
        """The node's data, or NotPlainError (whatever went wrong: the general constructor says it properly)."""
        duplicates: Duplicates = []
        self._nulls = False
        try:
            return Built(self._value(node, duplicates), duplicates, self._nulls)
        except NotPlainError:
            raise
        except Exception as err:  # a bad value or key: the general constructor reports it at its node
            raise NotPlainError from err

    def _value(self, node: yaml.Node, duplicates: Duplicates) -> Any:
        kind, tag = type(node), node.tag
        if kind is yaml.ScalarNode:
            if tag == STR:
                return node.value
            construct = self._scalars.get(tag)
            if construct is None:
                raise NotPlainError
            return construct(self._loader, node)
        if kind is yaml.MappingNode and tag == MAP:
            mapping = {}
            for key_node, value_node in node.value:
                if type(key_node) is not yaml.ScalarNode or key_node.tag == MERGE:  # complex or `<<` merge keys
                    raise NotPlainError
                mapping[self._value(key_node, duplicates)] = value = self._value(value_node, duplicates)
                if value is None:
                    self._nulls = True
            if len(mapping) < len(node.value):
                duplicates.extend(self._duplicate_keys(node))
            return mapping
        if kind is yaml.SequenceNode and tag == SEQ:
            return [self._value(child, duplicates) for child in node.value]
        raise NotPlainError
