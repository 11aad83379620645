"""Frozen value types shared by every part of the linter.

Values are NamedTuples (changed field by field with `_replace`), and the one mutable-looking record, LintResult, a
plain class with slots: a NamedTuple class is made in about a tenth of a dataclass's time (whose methods are
generated and exec'd), and the modules of a one-file run import no `dataclasses` (with `inspect`, about 10 ms)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import Any, NamedTuple

from gitops_tools import __version__

JsonPath = tuple[str | int, ...]
LineRanges = tuple[tuple[int, int], ...]  # (first, last) 1-based line ranges
POD_CONTAINERS = ("containers", "initContainers", "ephemeralContainers")  # a pod spec's container lists


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
    """A value a policy's schema uses as a whole node (`{$param: name}`); a config may override `default`."""

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


class ObjectRecord(NamedTuple):
    """One Kubernetes object of a run, as the per-file phase leaves it for the workspace: its identity, labels and
    place (`span` is where its name is written), and its facts. Never the document tree: a run of 10,000 files
    keeps a few hundred bytes per object."""

    id: ObjectId
    labels: tuple[tuple[str, str], ...]
    paths: FilePaths
    document: int
    pointer: str  # where the object sits in its document ("" for the whole document, "/items/3" in a list)
    span: Span
    identity: str  # apiVersion/kind/namespace/name as fingerprints hash it
    facts: tuple[Fact, ...] = ()

    def fact(self, check: str) -> Fact | None:
        return next((fact for fact in self.facts if fact.check == check), None)

    @property
    def location(self) -> Location:
        return Location(self.paths.display, *self.span)


class Finding(NamedTuple):
    policy_id: str
    severity: Severity
    message: str
    location: Location
    fingerprint: str = ""
    file: str = ""  # the path fingerprints hash: from the repository root, whatever the working directory
    # What a fixer needs besides the span: the file from the repository root as CI services match it (None for
    # stdin and files outside the repository), the document's index in its file (None for a file-level problem),
    # the RFC 6901 pointer of the offending value in that document, and the validator's own words.
    repo_path: str | None = None
    document: int | None = None
    pointer: str | None = None
    detail: str = ""
    # The fingerprint under each former id of a renamed policy: baselines written before the rename still match.
    former_fingerprints: tuple[str, ...] = ()

    def sort_key(self) -> tuple[str, int, int, str, str, int, int, str]:
        loc = self.location
        return (loc.path, loc.line, loc.col, self.policy_id, self.message, loc.end_line, loc.end_col, self.fingerprint)


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


class ToolInfo(NamedTuple):
    """The linter as reports name it. `homepage` and `rules` (the rule catalogue, one `## <policy-id>` heading per
    rule) are the installed distribution's `[project.urls]`: read only for a run whose format links to them (reading
    package metadata costs about 16 ms, a tenth of a one-file run), else None."""

    name: str = "gitops-tools"
    version: str = __version__
    homepage: str | None = None
    rules: str | None = None


class LintResult:
    """What a run found, plus what reporters need to describe it (the rules, the repository root, the working
    directory, the tool): reporters read nothing else, never the filesystem, the environment or package metadata.

    Every finding of a run has a fingerprint of its own: the filter chain makes identical findings distinct."""

    __slots__ = ("changed_lines", "charts", "cwd", "documents", "fail_on", "files", "findings", "fixed", "paths",
                 "policies", "root", "rules", "skipped", "tool")

    def __init__(self, *, findings: Sequence[Finding] = (), files: int = 0, documents: int = 0, policies: int = 0,
                 fail_on: Severity = Severity.WARNING, rules: dict[str, Policy] | None = None,
                 root: Path | None = None, cwd: Path | None = None,
                 changed_lines: dict[str, LineRanges] | None = None, fixed: int | None = None,
                 paths: list[str] | None = None, skipped: dict[str, list[str]] | None = None,
                 charts: dict[str, str] | None = None, tool: ToolInfo | None = None) -> None:
        # In order; a large run's are read back from its temporary file as they are iterated (pipeline/spill.py).
        self.findings = findings
        self.files = files
        self.documents = documents
        self.policies = policies  # policies run on documents; file checks (syntax, encoding...) always run besides
        self.fail_on = fail_on
        self.rules = {} if rules is None else rules  # every active policy, by id
        self.root = Path.cwd() if root is None else root  # the repository root CI formats name files from
        self.cwd = Path.cwd() if cwd is None else cwd  # the working directory of the run: display paths start there
        # With --changed-since: for each linted file (by its display path), the (first, last) line ranges added or
        # modified since the base; reporters with caps (github) put findings on those lines first.
        self.changed_lines = changed_lines
        self.fixed = fixed  # with --baseline: baseline findings no longer found
        self.paths = [] if paths is None else paths  # every linted file by its display path (junit lists them all)
        self.skipped = {} if skipped is None else skipped  # why -> display paths of files not linted
        self.charts = {} if charts is None else charts  # skipped Helm template -> its chart folder (display paths)
        self.tool = ToolInfo() if tool is None else tool  # the linter's name, version and links, as reports name it

    def _replace(self, **changes: Any) -> LintResult:
        """A copy with `changes`."""
        return LintResult(**{name: getattr(self, name) for name in self.__slots__} | changes)

    @property
    def failed(self) -> bool:
        return any(finding.severity >= self.fail_on for finding in self.findings)

    def on_changed_line(self, finding: Finding) -> bool:
        return touches(finding, (self.changed_lines or {}).get(finding.location.path, ()))


def touches(finding: Finding, ranges: LineRanges) -> bool:
    """Whether the finding's lines overlap any of the (first, last) ranges.

    A block mapping or list ends where the next token starts: an end column at or left of the start column is only
    indentation, so that last line is not part of the finding."""
    loc = finding.location
    end = loc.end_line - 1 if loc.end_line > loc.line and loc.end_col <= loc.col else max(loc.end_line, loc.line)
    return any(first <= end and loc.line <= last for first, last in ranges)
