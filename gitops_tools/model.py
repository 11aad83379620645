"""Frozen value types shared by every part of the linter.

Values are NamedTuples (changed field by field with `_replace`): a NamedTuple class is made in about a tenth of a
dataclass's time (whose methods are generated and exec'd), and the modules of a one-file run import no `dataclasses`
(with `inspect`, about 10 ms). What a run reports (Finding, LintResult) is in gitops_tools/findings.py."""

from __future__ import annotations

import enum
from pathlib import PurePath
from typing import Any, NamedTuple, Self

JsonPath = tuple[str | int, ...]
LineRanges = tuple[tuple[int, int], ...]  # (first, last) 1-based line ranges
POD_CONTAINERS = ("containers", "initContainers", "ephemeralContainers")  # a pod spec's container lists


class Record:
    """A read-only value with many fields, each a keyword of its class's `__init__` and one of its `__slots__`
    (Config, LintResult): `_replace` makes a changed copy, as a NamedTuple's does. Not a dataclass, for the reason
    above; not a NamedTuple, as `__init__` fills in fresh defaults (an empty dict, today's date, the working
    directory)."""

    __slots__ = ()

    def _replace(self, **changes: Any) -> Self:
        """A copy with `changes`."""
        kind: Any = type(self)  # a subclass's `__init__` takes its slots by keyword
        copy: Self = kind(**{name: getattr(self, name) for name in kind.__slots__} | changes)
        return copy


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]

    def __str__(self) -> str:
        return self.name.lower()


class Location(NamedTuple):
    """A 1-based position in a file; end_* may equal the start when only a point is known."""

    path: str
    line: int = 1
    col: int = 1
    end_line: int = 0
    end_col: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


class Targets(NamedTuple):
    scope: str
    kinds: frozenset[str] = frozenset()
    exclude_kinds: frozenset[str] = frozenset()
    containers: tuple[str, ...] = POD_CONTAINERS
    files: tuple[str, ...] = ()
    domain: str | None = None  # the domain whose documents it looks at (a built-in policy's: its folder's)


class Category(NamedTuple):
    """What kind of standard a policy enforces (schemas/resources/categories.yaml). A security category scores each
    severity from "0.0" to "10.0" (`security_severity`), which GitHub code scanning ranks security alerts by."""

    name: str
    description: str = ""
    security_severity: tuple[tuple[Severity, str], ...] = ()

    def score(self, severity: Severity) -> str | None:
        """The security-severity of a finding at `severity`; None for a category that is not about security."""
        return dict(self.security_severity).get(severity)


class Parameter(NamedTuple):
    """A value a policy's schema uses as a whole node (`{$param: name}`), or its coded check receives; a config may
    override `default`."""

    name: str
    type: dict[str, Any] | bool  # JSON Schema every value must satisfy
    default: Any
    description: str


class AnalyserRule(NamedTuple):
    """The rule of an external analyser (gitops_tools/analysers/<tool>.py) whose results a policy reports."""

    tool: str  # the analyser module's name (zizmor)
    rule: str  # the tool's own name for the rule or audit (template-injection)


class PackInfo(NamedTuple):
    """The policy pack a policy comes from (see gitops_tools/packs.py): its `since` is a version of this pack."""

    name: str
    version: str

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class Policy(NamedTuple):
    """One policy, as its file says (gitops_tools/policies.py reads it). A NamedTuple, not a frozen dataclass: the
    largest class a one-file lint creates (1.8 ms as a dataclass); copies with a change are made by `_replace`. Unlike
    the dataclass it was, it compares `examples` and `template` too: two policies of the same file still compare
    equal, and nothing compares two policies otherwise."""

    id: str
    title: str
    severity: Severity
    message: str
    targets: Targets
    docs: str
    source: str
    enabled: bool = True
    stops_checking: bool = False  # the file could not be checked past this problem: never filtered away
    schema: dict[str, Any] | bool | None = None
    check: str | None = None
    fix: str | None = None
    references: tuple[str, ...] = ()
    category: Category | None = None
    examples: dict[str, list[Any]] = {}  # noqa: RUF012 - a field's default, never changed (nor is any policy)
    parameters: tuple[Parameter, ...] = ()
    template: Any = None  # `schema` before its parameters were put in
    since: str | None = None  # the version whose policy set introduced it (custom policies may leave it out)
    aliases: tuple[str, ...] = ()  # former ids of a renamed policy, still accepted wherever an id is named
    pack: PackInfo | None = None  # the policy pack that ships it (None: built-in, or a policy_dirs folder)
    analyser: AnalyserRule | None = None  # its findings are an external analyser's results for this rule

    @property
    def domain(self) -> str:
        """The domain it targets, else the folder its file lives in (kubernetes, core, ...): what --domain and the
        per-domain hooks select on."""
        return self.targets.domain or PurePath(self.source).parent.name


class Catalogue(NamedTuple):
    """The policies a run may use: `declared` as their files say (their examples hold for these), `profiled` with the
    profiles and parameters of the config's policy packs put in (what lint, rules and explain use), the built-in
    policy-set pin the packs ask for, and the packs themselves in `extend` order."""

    declared: dict[str, Policy]
    profiled: dict[str, Policy]
    policy_set: str | None = None
    packs: tuple[PackInfo, ...] = ()


class FilePaths(NamedTuple):
    """One file's names, computed once where it is found: `display` (how findings name it, from the working
    directory), `relpath` (what config globs match, from the config's folder), `file` (what fingerprints hash, from
    the repository root) and `repo_path` (what CI services match; None for stdin and files outside the repository).
    `referenced`: the reference rules (`domain/name`) of the documents that name the file (a pipeline's local
    includes), found by the discover phase (pipeline/references.py)."""

    display: str
    relpath: str
    file: str
    repo_path: str | None = None
    referenced: tuple[str, ...] = ()


Span = tuple[int, int, int, int]  # 1-based line, col, end line, end col


class ObjectId(NamedTuple):
    """A Kubernetes object's identity as its file writes it: API group ('' for core), kind, namespace (None when
    the file sets none) and name. A deployable unit may change the namespace and name (kustomize)."""

    group: str
    kind: str
    namespace: str | None
    name: str

    def __str__(self) -> str:
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        return f"{kind}/{self.name}" + (f" in namespace {self.namespace}" if self.namespace is not None else "")


class Fact(NamedTuple):
    """What one workspace check's `collect` step kept of an object (small, picklable) and where in the file the
    check's findings on that object point."""

    check: str  # the check module's name
    value: Any
    where: JsonPath  # path in the object (list positions of named items replaced by names: fingerprints hash it)
    pointer: str  # RFC 6901 pointer of that place in the document
    span: Span


# Where a record's facts point, one per place: (where, line, col, end line, end col), and the pointer last when
# where does not spell it (a list position renamed by its item's name). Flat: a tuple less per place.
Place = tuple[Any, ...]


class ObjectRecord(NamedTuple):
    """One Kubernetes object of a run, as the per-file phase leaves it for the workspace: its identity, labels and
    place (`span` is where its name is written), and its facts. Never the document tree: a run of 10,000 files
    keeps a few hundred bytes per object, so every field is as flat as it can be (the span as four numbers, the
    fingerprint identity only when its apiVersion, kind, namespace and name do not spell it).

    `kept` holds the facts: first a layout, each check's slot of its value and place (a dict), then the slots, two
    items each (value, place): a workload of a run with every workspace check on carries a dozen facts, most of
    them equal, and a Fact tuple each would cost about a kilobyte. Layouts repeat (every Deployment has one) and are
    shared. `fact` and `facts` give them back as Facts."""

    id: ObjectId
    label_items: tuple[str, ...]  # key, value, key, value...: flat, a tuple less per label (`labels` pairs them)
    paths: FilePaths
    document: int
    pointer: str  # where the object sits in its document ("" for the whole document, "/items/3" in a list)
    line: int
    col: int
    end_line: int
    end_col: int
    api_version: str
    written_identity: str | None = None  # the identity, when `identity` would not spell it
    kept: tuple[Any, ...] = ()

    @property
    def span(self) -> Span:
        return self.line, self.col, self.end_line, self.end_col

    @property
    def identity(self) -> str:
        """apiVersion/kind/namespace/name as fingerprints hash it."""
        if self.written_identity is not None:
            return self.written_identity
        return f"{self.api_version}/{self.id.kind}/{self.id.namespace or ''}/{self.id.name}"

    def fact(self, check: str) -> Fact | None:
        kept = self.kept
        slot = kept[0].get(check) if kept else None  # every workspace check asks every record
        return None if slot is None else self._fact(check, kept[slot], kept[slot + 1])

    def value(self, check: str, default: Any = None) -> Any:
        """The value of `check`'s fact without its place (`fact` makes that too), else `default`."""
        kept = self.kept
        slot = kept[0].get(check) if kept else None
        return default if slot is None else kept[slot]

    @property
    def labels(self) -> tuple[tuple[str, str], ...]:
        """Its labels as sorted (key, value) pairs."""
        items = self.label_items
        return tuple(zip(items[::2], items[1::2], strict=True))

    @property
    def facts(self) -> tuple[Fact, ...]:
        kept = self.kept
        return tuple(self._fact(name, kept[slot], kept[slot + 1]) for name, slot in kept[0].items()) if kept else ()

    @property
    def location(self) -> Location:
        return Location(self.paths.display, *self.span)

    def at_name(self, check: str, value: Any) -> Fact:
        """A fact of `check` at the object's name: where a fact kept at no place, or a report without a fact,
        points."""
        return Fact(check, value, NAME, f"{self.pointer}/metadata/name", self.span)

    def _fact(self, check: str, value: Any, place: Place | None) -> Fact:
        if place is None:
            return self.at_name(check, value)
        where: JsonPath = place[0]
        return Fact(check, value, where, place[5] if len(place) == 6 else json_pointer(where), place[1:5])


NAME: JsonPath = ("metadata", "name")


class Problem(NamedTuple):
    """Something a loader found before any policy ran (syntax error, duplicate key, ...).

    `snippet` is the offending line's text: it ties the finding's fingerprint to content, not to a line number.
    """

    policy_id: str
    detail: str
    line: int = 1
    col: int = 1
    snippet: str = ""


def json_pointer(path: JsonPath) -> str:
    """RFC 6901: `("spec", "containers", 0, "image")` is `/spec/containers/0/image`; `~` and `/` are escaped. A key
    that is not text is spelled as JSON spells it (`true`, `null`, `1`)."""
    return "".join("/" + _pointer_token(step) for step in path)


def _pointer_token(step: object) -> str:
    if isinstance(step, bool) or step is None:
        text = "true" if step is True else "false" if step is False else "null"
    else:
        text = str(step)
    return text.replace("~", "~0").replace("/", "~1")
