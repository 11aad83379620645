"""What each document is, before any policy runs: the domains it belongs to and why (the rule that matched), each
item of a list document, and the documents embedded in it. The rules are data (schemas/policies/*/domain.yaml,
read by gitops_tools/domainfiles.py, compiled by domains.py); this module only interprets them.

Classification runs for every document of every run, so it is cheap: a file's path rules are matched once per file,
and a document's content rules once per distinct shape (the values of the fields and the presence of the keys the
rules look at), remembered for the run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from gitops_tools.domains import Domain, Embedding, FileParsers, Lists, Rule, with_config_paths
from gitops_tools.fingerprint import document_identity
from gitops_tools.loading.document import Document
from gitops_tools.model import FilePaths, JsonPath, json_pointer
from gitops_tools.pathmatch import Globs
from gitops_tools.targets import ResourceType, resource_type

MEMO_LIMIT = 4096  # distinct document shapes remembered per run (hostile input cannot grow it without bound)
EMBEDDING_DEPTH = 3  # documents inside documents inside documents, at most


class Membership(NamedTuple):
    """A document's place in one domain: the rule (or embedding) that put it there, and its kind there."""

    rule: Rule | Embedding
    rtype: ResourceType

    @property
    def domain(self) -> str:
        return self.rule.domain


class Instance(NamedTuple):
    """One thing policies look at: a document, an item of a list document, or a document embedded in one."""

    document: Document  # where positions come from (an embedded JSON text's maps them into the outer file)
    prefix: JsonPath  # where the instance sits in `document`
    data: Any
    memberships: tuple[Membership, ...]
    identity: str  # what fingerprints hash: apiVersion/kind/namespace/name, else the document's index
    outer: JsonPath = ()  # embedded in a text: that text's path in the outer document (pointers start there)
    host: Instance | None = None  # the instance it is embedded in

    @property
    def rtype(self) -> ResourceType:
        return self.memberships[0].rtype if self.memberships else resource_type(self.data)

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(membership.domain for membership in self.memberships)


class _Plan(NamedTuple):
    """What a document of one shape is: the first matching rule of each domain, and what those domains ask for."""

    rules: tuple[Rule, ...]
    lists: Lists | None
    null_is_absent: bool
    keys_as_written: bool


class Classifier:
    """The run's domains, compiled: which rules a file's path satisfies, and what each document shape is."""

    def __init__(self, domains: Mapping[str, Domain]) -> None:
        self.domains = dict(sorted(domains.items()))
        self.default = next((name for name, domain in self.domains.items() if domain.default), None)
        self._rules = [rule for domain in self.domains.values() for rule in domain.rules]
        # Each rule's parser: a domain that reads files of its own (`files`) classifies only what its parser read,
        # and only it classifies those documents; None for YAML and JSON.
        self._parsers = tuple(self.domains[rule.domain].files for rule in self._rules)
        self.file_parsers = FileParsers(self.domains)
        self._fields = tuple(sorted({name for rule in self._rules if rule.match for name, _ in rule.match.fields}))
        self._keys = frozenset(key for rule in self._rules if rule.match for key in (*rule.match.keys,
                                                                                     *rule.match.absent))
        self._embeddings: dict[str, list[Embedding]] = {}
        for domain in self.domains.values():
            for embedding in domain.embedded:
                self._embeddings.setdefault(embedding.host, []).append(embedding)
        # Per host domain, the kinds (without group) that may hold an embedded document; None: any kind.
        self._host_kinds: dict[str, frozenset[str] | None] = {
            host: None if any(not e.host_kinds for e in found)
            else frozenset(kind.rpartition("/")[2] for e in found for kind in e.host_kinds)
            for host, found in self._embeddings.items()}
        self._memo: dict[tuple[Any, ...], _Plan] = {}
        self._members: dict[tuple[Any, ...], tuple[Membership, ...]] = {}

    @classmethod
    def load(cls, extra_paths: Mapping[str, Globs] | None = None) -> Classifier:
        """The built-in domains, with a config's `domains:` globs."""
        from gitops_tools.domainfiles import load_domains  # a run compiles the cached data (lint.py) instead

        return cls(with_config_paths(load_domains(), extra_paths or {}))

    def file_rules(self, paths: FilePaths, parser: str | None = None) -> tuple[bool, ...]:
        """For each rule, whether the file allows it: its path (True for a rule that does not look at paths; for a
        reference's rule, whether a document of the run names the file), and the parser that read it (`parser`, None
        for YAML and JSON) is its domain's."""
        return tuple((rule.key in paths.referenced if rule.referenced
                      else rule.paths is None or rule.paths.match(paths.relpath if rule.from_config else paths.file))
                     and (files.parser if files else None) == parser
                     for rule, files in zip(self._rules, self._parsers, strict=True))

    def classify(self, document: Document, allowed: tuple[bool, ...], *,
                 unclassified: bool = False) -> list[Instance]:
        """The document's instances, embedded ones after their host; with `unclassified`, a document (or list item)
        of no domain too."""
        plan = self._plan(document.data, allowed)
        data = document.data
        if plan.keys_as_written and isinstance(data, dict) and any(type(key) is bool for key in data):
            data = _keys_as_written(document)
        if plan.null_is_absent and document.null_members:
            data = without_nulls(data)
        found: list[Instance] = []
        lists = plan.lists if plan.lists and plan.lists.kind.match(data.get("kind")) else None
        items = data.get(lists.items) if lists else None
        if lists and isinstance(items, list):
            if (plan.rules or unclassified) and not all(isinstance(listed, dict) for listed in items):
                found.append(self._instance(document, (), data, plan.rules))  # the list: its items are wrong
            for index, listed in enumerate(items):
                item = lists.typed(listed, data)
                item_rules = self._plan(item, allowed).rules
                if item_rules or unclassified:
                    found.append(self._instance(document, ("items", index), item, item_rules))
        elif plan.rules or unclassified:
            found.append(self._instance(document, (), data, plan.rules))
        if not any(self._may_host(instance) for instance in found):
            return found
        return [embedded for instance in found for embedded in self._with_embedded(instance, 0)]

    def _plan(self, data: Any, allowed: tuple[bool, ...]) -> _Plan:
        """The first rule of each domain that matches, and what they ask for, remembered by document shape."""
        if isinstance(data, dict):
            present = data.keys() & self._keys
            if None in data.values():  # a member set to null counts as absent
                present = {key for key in present if data[key] is not None}
            values = [data.get(name) for name in self._fields]
            shape: tuple[Any, ...] = (allowed, frozenset(present),
                                      *[value if type(value) is str else None for value in values])
        else:
            shape = (allowed, type(data).__name__)
        plan = self._memo.get(shape)
        if plan is None:
            plan = self._new_plan(self._first_rules(data, allowed))
            if len(self._memo) < MEMO_LIMIT:
                self._memo[shape] = plan
        return plan

    def _first_rules(self, data: Any, allowed: tuple[bool, ...]) -> tuple[Rule, ...]:
        first: dict[str, Rule] = {}
        for rule, ok in zip(self._rules, allowed, strict=True):
            if ok and rule.domain not in first and (rule.match is None or rule.match.holds(data)):
                first[rule.domain] = rule
        return tuple(first.values())

    def _new_plan(self, rules: tuple[Rule, ...]) -> _Plan:
        domains = [self.domains[rule.domain] for rule in rules]
        return _Plan(rules, next((d.lists for d in domains if d.lists), None), any(d.null_is_absent for d in domains),
                     any(d.keys_as_written for d in domains))

    def _instance(self, document: Document, prefix: JsonPath, data: Any, rules: tuple[Rule, ...]) -> Instance:
        """An instance of `data` (a list's item comes without nulls when its list did: lists are of such domains)."""
        own = resource_type(data)
        key = (rules, own.group, own.kind)
        memberships = self._members.get(key)
        if memberships is None:
            memberships = tuple(Membership(rule, _rtype(own, rule.kind, rule.kinds_only)) for rule in rules)
            if len(self._members) < MEMO_LIMIT:
                self._members[key] = memberships
        return Instance(document, prefix, data, memberships, document_identity(data, document.index))

    def _may_host(self, instance: Instance) -> bool:
        """Whether an embedding may find a document in the instance (most instances: no, at the cost of a lookup)."""
        for membership in instance.memberships:
            if membership.domain in self._host_kinds:
                kinds = self._host_kinds[membership.domain]
                if kinds is None or membership.rtype.kind in kinds:
                    return True
        return False

    def _with_embedded(self, instance: Instance, depth: int) -> Iterator[Instance]:
        yield instance
        if depth >= EMBEDDING_DEPTH:
            return
        for membership in instance.memberships:
            for embedding in self._embeddings.get(membership.domain, ()):
                if not embedding.host_kinds or membership.rtype.matches(embedding.host_kinds):
                    for inner in _extract(instance, embedding):
                        yield from self._with_embedded(inner, depth + 1)


def _rtype(own: ResourceType, kind: str | None, kinds_only: bool) -> ResourceType:
    if kind is not None:
        return ResourceType(None, kind, kinds_only)
    return own._replace(config=True) if kinds_only else own


def _extract(host: Instance, embedding: Embedding) -> Iterator[Instance]:
    """The documents `embedding` finds in `host`, each in its own domain, positioned in the outer file."""
    from gitops_tools.loading.embedded import embedded_json

    for path, value in _values_at(host.data, embedding):
        outer = (*host.outer, *host.prefix, *path) if host.outer else (*host.prefix, *path)
        identity = f"{host.identity}{json_pointer(path)}"
        rtype = ResourceType(None, embedding.kind)
        if embedding.parse == "json":
            inner = embedded_json(host.document, outer, value) if isinstance(value, str) else None
            if inner is not None and (embedding.match is None or embedding.match.holds(inner.data)):
                yield Instance(inner, (), inner.data, (Membership(embedding, rtype),), identity, outer, host)
        elif embedding.match is None or embedding.match.holds(value):
            yield Instance(host.document, (*host.prefix, *path), value, (Membership(embedding, rtype),), identity,
                           host.outer, host)


def _values_at(data: Any, embedding: Embedding) -> Iterator[tuple[JsonPath, Any]]:
    """(path, value) of every value whose keys match the embedding's path, one glob per key."""
    found: list[tuple[JsonPath, Any]] = [((), data)]
    for step in embedding.path:
        found = [((*path, key), child) for path, value in found if isinstance(value, dict)
                 for key, child in value.items() if step.match(key)]
    yield from found


def _keys_as_written(document: Document) -> dict[Any, Any]:
    """The document with its top-level keys that YAML 1.1 read as booleans (`on:`) keyed by the text written."""
    import yaml

    written: dict[Any, str] = {}
    node = document.tree()
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag == "tag:yaml.org,2002:bool":
                written.setdefault(key_node.value.lower() in ("on", "yes", "true", "y"), key_node.value)
    return {written.get(key, key) if type(key) is bool else key: value for key, value in document.data.items()}


def without_nulls(value: Any) -> Any:
    """`value` without mapping members whose value is null: the API server reads `securityContext:` (no value) as no
    securityContext, and so must every policy. The value itself when it has none (the common case); iterative, so
    any depth."""
    if not has_null_member(value):
        return value
    holder: list[Any] = [value]
    stack: list[tuple[Any, Any, Any]] = [(holder, 0, value)]
    while stack:
        parent, slot, item = stack.pop()
        if isinstance(item, dict):
            parent[slot] = mapping = {key: child for key, child in item.items() if child is not None}
            stack.extend((mapping, key, child) for key, child in mapping.items())
        elif isinstance(item, list):
            parent[slot] = items = list(item)
            stack.extend((items, index, child) for index, child in enumerate(items))
    return holder[0]


def has_null_member(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if None in item.values():  # in C, not a generator: loaded values equal None only when they are None
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
