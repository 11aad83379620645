"""Node trees in which each alias is a leaf at its own position: where findings in a document with aliases point.

The node tree libyaml composes shares the anchored node wherever an alias uses it, so its positions are the
anchor's. For the documents of a file that use aliases, a second tree is composed from libyaml's events with every
alias kept as a leaf, on first use, from that document's own stretch of the text: linear in the document's size,
whatever the file's (composing each document from the start of the file was quadratic; one pass over the whole file
cost a 5.7 MB stream with one alias 0.7 s).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.error import Mark
from yaml.events import AliasEvent, StreamEndEvent
from yaml.resolver import Resolver

ALIAS_TAG = "tag:gitops-tools,2024:alias"

try:
    from yaml._yaml import CParser

    class _Events(Composer, Resolver, CParser):  # libyaml's events, PyYAML's composer on top
        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            Composer.__init__(self)
            Resolver.__init__(self)

except ImportError:  # PyYAML built without libyaml: slower, same trees

    class _Events(yaml.SafeLoader):  # type: ignore[no-redef]
        pass


class _AliasLeafComposer(_Events):
    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(AliasEvent):
            event: Any = self.get_event()
            return yaml.ScalarNode(ALIAS_TAG, f"*{event.anchor}", event.start_mark, event.end_mark)
        node: yaml.Node | None = super().compose_node(parent, index)
        return node


class AliasTrees:
    """The alias-marked trees of the documents (by index) of one file that use aliases, each composed on first use
    from its own stretch of the text (`wanted`: index -> where its text starts and ends): a multi-megabyte stream
    with one alias composes that document alone, not the whole stream again (0.7 s of a 5.7 MB one)."""

    def __init__(self, text: str, wanted: Mapping[int, tuple[int, int]]) -> None:
        self._text = text
        self._wanted = wanted
        self._trees: dict[int, yaml.Node | None] = {}

    def tree(self, index: int) -> yaml.Node | None:
        if index not in self._trees:
            self._trees[index] = self._compose(index)
        return self._trees[index]

    def _compose(self, index: int) -> yaml.Node | None:
        """The document's tree, its marks at their places in the whole text (anchors belong to their own document,
        so its stretch composes alone as it does in the stream)."""
        span = self._wanted.get(index)
        if span is None:
            return None
        start, end = span
        composer = _AliasLeafComposer(self._text[start:end])
        try:
            composer.get_event()  # the stream start
            tree = composer.compose_document() if not composer.check_event(StreamEndEvent) else None
        except yaml.YAMLError:
            return None  # the stretch does not stand alone (it cannot, for a document the stream parsed): no tree
        finally:
            composer.dispose()
        if tree is not None and start:
            _shift(tree, start)
        return tree


def _shift(tree: yaml.Node, offset: int) -> None:
    """Every node's marks moved `offset` characters on (positions are read from a mark's index alone)."""
    pending = [tree]
    while pending:
        node = pending.pop()
        node.start_mark = _moved(node.start_mark, offset)
        node.end_mark = _moved(node.end_mark, offset)
        if isinstance(node, yaml.MappingNode):
            pending.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)


def _moved(mark: Any, offset: int) -> Any:
    return Mark(mark.name, mark.index + offset, mark.line, mark.column, None, 0)
