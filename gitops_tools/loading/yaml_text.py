"""YAML text -> documents, using libyaml (CSafeLoader) to parse and compose, PyYAML's safe constructor to build.

The composed node tree is kept with each document so positions cost nothing until a finding asks for one.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import Any

import yaml

from gitops_tools.loading.alias_trees import AliasTrees
from gitops_tools.loading.document import Document
from gitops_tools.loading.lines import LineIndex
from gitops_tools.loading.plain_data import NotPlainError, PlainBuilder
from gitops_tools.model import Problem

LIBYAML_DEPTH_MESSAGE = "exceeded maximum nesting depth"
SEXAGESIMAL_CHARS = 100
STANDARD_TAG_PREFIX = "tag:yaml.org,2002:"
# Tags that make unsafe loaders of other languages build objects or run code: Python (PyYAML's `!!python/...`),
# Ruby (Psych), Perl, PHP (Symfony), JavaScript (js-yaml's `!!js/function`) and Java (SnakeYAML's `!!javax...`).
# The safe constructor handles every standard tag, so a `tag:yaml.org,2002:` tag that reaches the fallback is one.
CODE_TAG_PREFIXES = ("!ruby/", "!perl/", "!php/", "!python/")

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml: slower, same results
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _Constructor(_SafeLoader):
    """Safe loader that records duplicate keys and code tags, keeps timestamps as strings and reads application
    tags as data."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.duplicates: list[tuple[yaml.Node, yaml.Node]] = []  # (repeated key, the key it repeats)
        self.code_tags: list[yaml.Node] = []

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        """The resolver's answer, without trying its patterns where it can be known: a quoted scalar, a plain one
        with a first character that starts no implicit type, or a short one resolved before (`name`, `true`)."""
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call, no-any-return]
        if not implicit[0]:
            return STR_TAG
        tag = _RESOLVED.get(value)
        if tag is not None:
            return tag
        if value and value[0] not in _IMPLICIT_STARTS:
            return STR_TAG
        tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        if len(value) <= RESOLVED_LENGTH and len(_RESOLVED) < RESOLVED_ENTRIES:
            _RESOLVED[value] = tag
        return tag  # type: ignore[no-any-return]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        own_pairs = node.value  # flatten_mapping deletes merge keys from this list, then prepends merged pairs
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if len(mapping) < len(node.value):  # cheap test; only then look for the culprits
            self.duplicates.extend(duplicate_keys(own_pairs, self._key))
        return mapping

    def _key(self, node: yaml.Node) -> Hashable:
        """The key as loaded: YAML 1.1 reads `on`, `yes` and `true` as one key, `~` and `null` as another (and in
        Python, True and 1 are one dict key)."""
        value = self.construct_object(node)
        return value if isinstance(value, Hashable) else id(node)


# First characters of the implicit types' patterns (bool, int, float, null, timestamp, merge...): with no path
# resolvers and no wildcard pattern (the safe loader has neither), a scalar starting otherwise is a string.
_IMPLICIT_STARTS = frozenset(first for first in _Constructor.yaml_implicit_resolvers if first)
STR_TAG = f"{STANDARD_TAG_PREFIX}str"
# What short plain scalars resolve to (a plain scalar's tag depends on its text alone): bounded in size and count.
_RESOLVED: dict[str, str] = {}
RESOLVED_LENGTH, RESOLVED_ENTRIES = 24, 4096


def duplicate_keys(pairs: list[tuple[yaml.Node, yaml.Node]],
                   key: Callable[[yaml.Node], Hashable]) -> Iterator[tuple[yaml.Node, yaml.Node]]:
    """(key node, the earlier key node it repeats) for each key of a mapping that repeats an earlier one."""
    seen: dict[Hashable, yaml.Node] = {}
    for key_node, _ in pairs:
        if isinstance(key_node, yaml.ScalarNode):
            value = key(key_node)
            if value in seen:
                yield key_node, seen[value]
            seen[value] = key_node


def duplicate_problem(repeated: tuple[yaml.Node, yaml.Node], lines: LineIndex) -> Problem:
    key_node, first = repeated
    line, col = lines.position(key_node.start_mark.index)
    if key_node.value == first.value:
        detail = f"{key_node.value!r} appears again; only the last value is kept"
    else:
        first_line, _ = lines.position(first.start_mark.index)
        detail = (f"{key_node.value!r} loads as the same key as {first.value!r} (line {first_line}); only the last "
                  "value is kept")
    return Problem("yaml-duplicate-key", detail, line, col, lines.text(line))


def _timestamp_as_text(loader: _Constructor, node: yaml.Node) -> str:
    """Kubernetes reads `2024-01-01` as a string (JSON has no dates); so do we."""
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


def _application_tag(loader: _Constructor, node: yaml.Node) -> Any:
    """`!reference`, `!Ref`, `!include`...: tags other tools give meaning to; linting sees the plain value.

    Tags that would run code in another language's loader are recorded (and reported); their value is plain data."""
    if node.tag.startswith(STANDARD_TAG_PREFIX) or node.tag.startswith(CODE_TAG_PREFIXES):
        loader.code_tags.append(node)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


def _bounded_int(loader: _Constructor, node: yaml.Node) -> int:
    """YAML 1.1 integers, refusing long base-60 ones (`1:2:...`): PyYAML builds them with big-integer arithmetic,
    quadratic in their length (a 1.6 MB value took 34 s). Decimal ones are capped by Python's 4300-digit limit."""
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    if ":" in text and len(text) > SEXAGESIMAL_CHARS:
        raise ValueError(f"a base-60 integer of {len(text)} characters is longer than {SEXAGESIMAL_CHARS}")
    value: int = loader.construct_yaml_int(node)  # type: ignore[arg-type]
    return value


Construct = Callable[[_Constructor, yaml.Node], Any]
# Constructors that only hand on the node's own value or children: no value can fail to fit their tag.
_CANNOT_FAIL = {f"{STANDARD_TAG_PREFIX}{name}" for name in ("str", "seq", "map", "null", "timestamp")}


def _at_its_node(construct: Construct) -> Construct:
    """`construct`, where a value that does not fit its tag (`!!int abc`, `!!binary` that is not base64) fails at
    its own node. Wrapping the constructors that read a value, rather than every construct_object call, keeps the
    wrapper off the strings, mappings and lists that are most of a document."""

    def constructor(loader: _Constructor, node: yaml.Node) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, KeyError, IndexError, OverflowError) as err:
            detail = f"a value does not fit its tag ({type(err).__name__}: {err})"
            raise yaml.constructor.ConstructorError(None, None, detail, node.start_mark) from err

    return constructor


_Constructor.add_constructor("tag:yaml.org,2002:int", _bounded_int)
_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
_Constructor.add_constructor(None, _application_tag)
for _tag, _construct in list(_Constructor.yaml_constructors.items()):
    if _tag not in _CANNOT_FAIL:
        _Constructor.add_constructor(_tag, _at_its_node(_construct))


def load_yaml(text: str, lines: LineIndex, path: str, alias_limit: int) -> tuple[list[Document], list[Problem]]:
    """Every document that loads, plus the problems found on the way (parsing stops at a syntax error)."""
    documents: list[Document] = []
    problems: list[Problem] = []
    loader = _Constructor(text)
    builder = PlainBuilder(loader, lambda mapping: list(duplicate_keys(mapping.value, loader._key)))
    with_aliases: dict[int, tuple[int, int]] = {}  # each document using an alias: where its text starts and ends
    alias_trees = AliasTrees(text, with_aliases)
    previous_end = 0
    try:
        for index, node in enumerate(_nodes(loader)):
            # Aliases refer to anchors of their own document: only a document whose text holds both can use one.
            end, start, previous_end = node.end_mark.index, previous_end, node.end_mark.index
            may_alias = text.find("&", start, end) >= 0 and text.find("*", start, end) >= 0
            size, shared = _expanded_size(node, alias_limit) if may_alias else (0, False)
            if not 0 <= size <= alias_limit:
                problems.append(_alias_problem(node, size, alias_limit, lines))
                continue
            try:
                data, nulls = (loader.construct_document(node), True) if may_alias else _plain(builder, loader, node)
            except yaml.constructor.ConstructorError as err:  # bad data in one document: the next may be fine
                problems.append(_marked_problem(err, lines))
                _reset(loader)
                continue
            if shared:  # positions must come from where an alias is used, not from its anchor
                # From the start of its root's line: the `---` before it, and its indentation, as written.
                with_aliases[index] = (text.rfind("\n", 0, node.start_mark.index) + 1, end)
                documents.append(Document(path, index, data, lines, compose=_tree_of(alias_trees, index), plain=node))
            else:
                documents.append(Document(path, index, data, lines, node, null_members=nulls))
    except yaml.MarkedYAMLError as err:
        problems.append(_marked_problem(err, lines))
    except yaml.reader.ReaderError as err:  # a control character: YAML forbids them anywhere, comments included
        line, col = lines.position(err.position)
        detail = f"character {err.character!r} is not allowed in YAML (control characters must be escaped)"
        problems.append(Problem("yaml-syntax", detail, line, col, lines.text(line)))
    except RecursionError:
        problems.append(Problem("document-too-deep", "nesting is too deep to process"))
    finally:
        loader.dispose()
    problems.extend(duplicate_problem(pair, lines) for pair in loader.duplicates)
    problems.extend(_code_tag_problem(node, lines) for node in loader.code_tags)
    return documents, problems


def _plain(builder: PlainBuilder, loader: _Constructor, node: yaml.Node) -> tuple[Any, bool]:
    """The document's data the fast way when it is plain, else the general way; and whether a mapping member in it
    may be null."""
    try:
        built = builder.build(node)
    except NotPlainError:
        _reset(loader)
        return loader.construct_document(node), True
    if built.duplicates:  # finding them built their keys through the loader, which remembers what it built
        loader.duplicates.extend(built.duplicates)
        _reset(loader)
    return built.data, built.null_members


def _reset(loader: _Constructor) -> None:
    """Forget a document whose construction failed half-way, as a completed construction would."""
    loader.constructed_objects, loader.recursive_objects, loader.state_generators = {}, {}, []
    loader.deep_construct = False


def _tree_of(trees: AliasTrees, index: int) -> Callable[[], yaml.Node | None]:
    return lambda: trees.tree(index)


def _nodes(loader: _Constructor) -> Iterator[yaml.Node]:
    while loader.check_node():
        node = loader.get_node()
        if node is not None:
            yield node


def _marked_problem(err: yaml.MarkedYAMLError, lines: LineIndex) -> Problem:
    mark = err.problem_mark or err.context_mark
    line, col = lines.position(mark.index) if mark else (1, 1)
    problem = err.problem or "invalid YAML"
    if LIBYAML_DEPTH_MESSAGE in problem:
        return Problem("document-too-deep", f"nesting is deeper than libyaml's limit ({problem})", line, col)
    detail = f"{problem} ({err.context})" if err.context else problem
    return Problem("yaml-syntax", detail, line, col, lines.text(line))


def _code_tag_problem(node: yaml.Node, lines: LineIndex) -> Problem:
    line, col = lines.position(node.start_mark.index)
    detail = f"tag {node.tag} builds objects or runs code in unsafe loaders; here it was read as plain data"
    return Problem("yaml-tag-safe", detail, line, col, lines.text(line))


def _alias_problem(root: yaml.Node, size: int, limit: int, lines: LineIndex) -> Problem:
    line, col = lines.position(root.start_mark.index)
    detail = "an alias refers to itself" if size == RECURSIVE else f"aliases expand it beyond {limit} nodes"
    return Problem("yaml-alias-limit", detail, line, col)


RECURSIVE = -1


def _expanded_size(root: yaml.Node, limit: int) -> tuple[int, bool]:
    """Nodes in the document once every alias is expanded (capped past `limit`; RECURSIVE for a cycle), and whether
    any node is used more than once (the document uses an alias)."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    shared = False
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            on_path.discard(id(node))
            sizes[id(node)] = min(limit + 1, 1 + sum(sizes[id(child)] for child in _children(node)))
            continue
        if id(node) in on_path:
            return RECURSIVE, True
        if id(node) in sizes:
            shared = True
            continue
        on_path.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    return sizes[id(root)], shared


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
