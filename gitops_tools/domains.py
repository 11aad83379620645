"""The domains, compiled from their data: a folder of schemas/policies/ holding a `domain.yaml` is a domain, named by
the folder, whose file says which documents belong to it (by path, by content, or embedded in another document) and
how one is named (schemas/domain.schema.json). The files are found, read and checked by gitops_tools/domainfiles.py;
nothing here names a domain.

Everything a run matches with is compiled once, here: path globs, and the globs on field values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from fnmatch import translate
from typing import Any

from gitops_tools.pathmatch import Globs

CONFIG_RULE = "config-paths"  # the rule a config's `domains:` globs make


class Pattern:
    """Globs on a text value (`*` any run of characters, `?` one character), compiled once: exact names and
    `prefix*` globs (nearly all of them) without regular expressions, the rest in one."""

    def __init__(self, globs: Iterable[str]) -> None:
        self.globs = tuple(globs)
        self._exact = frozenset(g for g in self.globs if not _wild(g))
        self._prefixes = tuple(g[:-1] for g in self.globs if g.endswith("*") and not _wild(g[:-1]))
        rest = [g for g in self.globs if _wild(g) and not (g.endswith("*") and not _wild(g[:-1]))]
        self._regex = re.compile("|".join(f"(?:{translate(g)})" for g in rest)) if rest else None

    def match(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        return (value in self._exact or value.startswith(self._prefixes)
                or (self._regex is not None and self._regex.match(value) is not None))

    def which(self, value: object) -> str:
        """The first glob matching `value` (for explanations; '' when none does)."""
        return next((glob for glob in self.globs if Pattern((glob,)).match(value)), "")


def _wild(glob: str) -> bool:
    return any(char in glob for char in "*?[")


# Compiled data is made of plain classes with slots, filled once and never changed: they compare and hash by
# identity (each is one object for the run, and classification keys its memo on them, which must cost no more than a
# pointer), and a one-file lint, which creates every class it imports, pays ~0.03 ms for one instead of the ~0.7 ms of
# a frozen dataclass.
class Match:
    """Conditions on a document's content; a member set to null counts as absent."""

    __slots__ = ("absent", "fields", "keys")

    def __init__(self, fields: tuple[tuple[str, Pattern], ...] = (), keys: tuple[str, ...] = (),
                 absent: tuple[str, ...] = ()) -> None:
        self.fields, self.keys, self.absent = fields, keys, absent

    def holds(self, data: Any) -> bool:
        if not isinstance(data, dict):
            return False
        return (all(data.get(key) is not None for key in self.keys)
                and all(data.get(key) is None for key in self.absent)
                and all(pattern.match(data.get(name)) for name, pattern in self.fields))

    def explain(self, data: Any) -> str:
        parts = [f"{name} {data.get(name)} matches {pattern.which(data.get(name))}" for name, pattern in self.fields]
        parts += [f"has {', '.join(self.keys)}"] if self.keys else []
        parts += [f"has no {', '.join(self.absent)}"] if self.absent else []
        return "; ".join(parts)


class Rule:
    """One way a document belongs to a domain: by its path, its content, or both. `paths` match the path from the
    repository root (a config's globs: from the config's folder, `from_config`); `kind` is the kind a matching
    document has here (default: its own); `identity` None means the domain's."""

    __slots__ = ("domain", "from_config", "identity", "kind", "kinds_only", "match", "name", "paths", "referenced",
                 "why")

    def __init__(self, domain: str, name: str, why: str, paths: Globs | None = None, match: Match | None = None,
                 kind: str | None = None, kinds_only: bool = False, identity: tuple[str, ...] | None = None, *,
                 from_config: bool = False, referenced: bool = False) -> None:
        self.domain, self.name, self.why, self.paths, self.match = domain, name, why, paths, match
        self.kind, self.kinds_only, self.identity, self.from_config = kind, kinds_only, identity, from_config
        self.referenced = referenced  # a reference's rule: it holds for the files the run's documents refer to

    @property
    def key(self) -> str:
        """How FilePaths.referenced names the rule: `domain/name`."""
        return f"{self.domain}/{self.name}"


class Reference:
    """Files a document of `domain` names (a pipeline's local includes): the texts at `at` (one glob per key), less
    those matching `skip`, are paths from the repository root; `roots` are read even when not linted; `policy`
    reports a reference naming no file of the repository. Its `rule` classifies the files found."""

    __slots__ = ("at", "policy", "roots", "rule", "skip")

    def __init__(self, rule: Rule, at: tuple[tuple[Pattern, ...], ...], skip: Pattern, roots: tuple[str, ...],
                 policy: str) -> None:
        self.rule, self.at, self.skip, self.roots, self.policy = rule, at, skip, roots, policy


class Embedding:
    """Documents of `domain` inside documents of `host`: at `path` (one glob per key), the value itself or the
    JSON text it holds."""

    __slots__ = ("domain", "host", "host_kinds", "identity", "kind", "match", "name", "parse", "path", "why")

    def __init__(self, domain: str, name: str, why: str, host: str, host_kinds: frozenset[str],
                 path: tuple[Pattern, ...], kind: str, parse: str | None = None, match: Match | None = None,
                 identity: tuple[str, ...] | None = None) -> None:
        self.domain, self.name, self.why, self.host, self.host_kinds = domain, name, why, host, host_kinds
        self.path, self.kind, self.parse, self.match, self.identity = path, kind, parse, match, identity


class Lists:
    """A list kind (`kind` matches its `kind`) whose items, under `items`, are documents of their own; an item with
    no `apiVersion` and no `kind` takes the list's, less `item_kind_suffix` (a typed list: `PodList` holds Pods)."""

    __slots__ = ("item_kind_suffix", "items", "kind")

    def __init__(self, kind: Pattern, items: str, item_kind_suffix: str | None = None) -> None:
        self.kind, self.items, self.item_kind_suffix = kind, items, item_kind_suffix

    def typed(self, item: Any, listed: dict[str, Any]) -> Any:
        """The item as the API machinery reads it from the list `listed`: with the list's apiVersion and item kind
        when it has neither (the API server leaves them out of a typed list's items); else the item itself."""
        suffix, kind = self.item_kind_suffix, listed.get("kind")
        if (not suffix or not isinstance(item, dict) or "apiVersion" in item or "kind" in item
                or not isinstance(kind, str) or not kind.endswith(suffix) or kind == suffix):
            return item
        return {"apiVersion": listed.get("apiVersion"), "kind": kind[:-len(suffix)], **item}


class Files:
    """Files no YAML or JSON that a domain reads: those whose name matches `names`, read by the parser module
    `parser` of gitops_tools/loading/parsers/."""

    __slots__ = ("names", "parser")

    def __init__(self, names: Pattern, parser: str) -> None:
        self.names, self.parser = names, parser


class Domain:
    """A domain (a folder of schemas/policies/ with a domain.yaml): which documents are its own (`rules`, documents
    `embedded` in others', the items of `lists`, and the documents its parser reads of the `files` it names) and how
    one is named (`identity`)."""

    __slots__ = ("default", "description", "embedded", "files", "identity", "keys_as_written", "lists", "name",
                 "null_is_absent", "references", "rules")

    def __init__(self, name: str, description: str, *, default: bool = False, null_is_absent: bool = False,
                 keys_as_written: bool = False, identity: tuple[str, ...] = (), lists: Lists | None = None,
                 rules: tuple[Rule, ...] = (), embedded: tuple[Embedding, ...] = (),
                 files: Files | None = None, references: tuple[Reference, ...] = ()) -> None:
        self.name, self.description, self.default, self.null_is_absent = name, description, default, null_is_absent
        self.keys_as_written, self.identity, self.lists = keys_as_written, identity, lists
        self.rules, self.embedded, self.files, self.references = rules, embedded, files, references


class FileParsers:
    """Which parser reads a file by its name, from every domain's `files` (the first domain, by name, that names
    it): what discovery asks of each file that is no YAML or JSON. Empty when no domain reads such files."""

    __slots__ = ("_files",)

    def __init__(self, domains: Mapping[str, Domain] | None = None) -> None:
        self._files = tuple(domain.files for _, domain in sorted((domains or {}).items()) if domain.files)

    def parser(self, name: str) -> str | None:
        """The parser of a file named `name` (its last path component), or None when it is none of these files."""
        return next((files.parser for files in self._files if files.names.match(name)), None)

    def __bool__(self) -> bool:
        return bool(self._files)


def parse_domains(raw: Mapping[str, Any]) -> dict[str, Domain]:
    """The domains of their parsed data files (`read_domain_files`)."""
    return {name: _domain(name, data) for name, data in raw.items()}


def with_config_paths(domains: Mapping[str, Domain], extra: Mapping[str, Globs]) -> dict[str, Domain]:
    """The domains with a config's globs as each named domain's first rule: a matching file's documents belong to
    it, with the kind of the domain's first path rule (the one the globs extend), else their own."""
    result = dict(domains)
    for name, globs in extra.items():
        domain = domains[name]
        first = next((rule for rule in domain.rules if rule.paths is not None), None)
        rule = Rule(name, CONFIG_RULE, "mapped to the domain by the config's `domains:` globs", globs, None,
                    first.kind if first else None, first.kinds_only if first else False,
                    first.identity if first else None, from_config=True)
        result[name] = Domain(domain.name, domain.description, default=domain.default,
                              null_is_absent=domain.null_is_absent, keys_as_written=domain.keys_as_written,
                              identity=domain.identity, lists=domain.lists, rules=(rule, *domain.rules),
                              embedded=domain.embedded, files=domain.files, references=domain.references)
    return result


def _domain(name: str, raw: dict[str, Any]) -> Domain:
    lists = raw.get("lists")
    identity = tuple(raw.get("identity", ()))
    references = tuple(_reference(name, entry) for entry in raw.get("references", ()))
    return Domain(
        name=name,
        description=raw["description"],
        default=raw.get("default", False),
        null_is_absent=raw.get("null_is_absent", False),
        keys_as_written=raw.get("keys_as_written", False),
        identity=identity,
        lists=Lists(Pattern(_globs(lists["kind"])), lists["items"], lists.get("item_kind_suffix")) if lists else None,
        rules=(*(_rule(name, entry) for entry in raw.get("documents", ())), *(ref.rule for ref in references)),
        embedded=tuple(_embedding(name, entry) for entry in raw.get("embedded", ())),
        files=Files(Pattern(raw["files"]["names"]), raw["files"]["parser"]) if "files" in raw else None,
        references=references,
    )


def _rule(domain: str, raw: dict[str, Any]) -> Rule:
    paths = raw.get("paths")
    return Rule(domain, raw["name"], raw["why"], Globs(paths) if paths else None, _match(raw.get("match")),
                raw.get("kind"), raw.get("kinds_only", False), _identity(raw))


def _reference(domain: str, raw: dict[str, Any]) -> Reference:
    rule = Rule(domain, raw["name"], raw["why"], kind=raw.get("kind"), referenced=True)
    at = tuple(tuple(Pattern((step,)) for step in path) for path in raw["at"])
    return Reference(rule, at, Pattern(_globs(raw.get("except", []))), tuple(raw.get("roots", ())), raw["policy"])


def _embedding(domain: str, raw: dict[str, Any]) -> Embedding:
    host = raw["in"]
    return Embedding(domain, raw["name"], raw["why"], host["domain"], frozenset(host.get("kinds", ())),
                     tuple(Pattern((step,)) for step in raw["path"]), raw["kind"], raw.get("parse"),
                     _match(raw.get("match")), _identity(raw))


def _identity(raw: dict[str, Any]) -> tuple[str, ...] | None:
    return tuple(raw["identity"]) if "identity" in raw else None


def _match(raw: dict[str, Any] | None) -> Match | None:
    if raw is None:
        return None
    fields = tuple((name, Pattern(_globs(globs))) for name, globs in raw.get("fields", {}).items())
    return Match(fields, tuple(raw.get("keys", ())), tuple(raw.get("absent", ())))


def _globs(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
