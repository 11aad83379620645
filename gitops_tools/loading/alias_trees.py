"""Node trees in which each alias is a leaf at its own position: where findings in a document with aliases point.

The node tree libyaml composes shares the anchored node wherever an alias uses it, so its positions are the
anchor's. For the documents of a file that use aliases, a second tree is composed from libyaml's events with every
alias kept as a leaf. All of them are composed in one pass over the file, on first use: linear in the file's size,
whatever the number of documents (composing each document from the start of the file was quadratic).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent, DocumentEndEvent, StreamEndEvent
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
    """The alias-marked trees of the documents (by index) of one file that use aliases."""

    def __init__(self, text: str, wanted: Collection[int]) -> None:
        self._text = text
        self._wanted = wanted
        self._trees: dict[int, yaml.Node] | None = None

    def tree(self, index: int) -> yaml.Node | None:
        if self._trees is None:
            self._trees = self._compose()
        return self._trees.get(index)

    def _compose(self) -> dict[int, yaml.Node]:
        trees: dict[int, yaml.Node] = {}
        composer = _AliasLeafComposer(self._text)
        try:
            composer.get_event()  # the stream start
            index = 0
            while not composer.check_event(StreamEndEvent):
                if index not in self._wanted:
                    _skip_document(composer)
                elif (tree := composer.compose_document()) is not None:
                    trees[index] = tree
                index += 1
        except yaml.YAMLError:
            pass  # past a syntax error there are no documents to locate in
        finally:
            composer.dispose()
        return trees


def _skip_document(composer: _AliasLeafComposer) -> None:
    while not isinstance(composer.get_event(), DocumentEndEvent | StreamEndEvent):
        pass
