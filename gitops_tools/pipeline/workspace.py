"""Phase 5, evaluate across the workspace: checks that need every Kubernetes object of the run at once (relations
between resources).

The workspace is an index of compact records (gitops_tools.model.ObjectRecord), never of document trees: by
identity (group, kind, namespace, name), by kind and by label, each record with its file, document, pointer and
position. A workspace check is one module in gitops_tools/checks/ defining `workspace_check` (the Check Protocol),
and optionally `collect` (the Collector Protocol), which the per-file phase runs on every object to keep the few
facts the check needs. Checks are found by listing that folder; a policy names one (`check: <module>`,
`targets: {scope: workspace}`) and gives it its severity, message and docs; a check module's `COLLECTED_DOMAINS`
limits its `collect` to the objects of those domains. The workspace also knows the deployable
units (gitops_tools/pipeline/units.py) and places each object in them as the unit deploys it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from itertools import chain
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, cast

from gitops_tools import checks
from gitops_tools.engine import Content, Engine, Place
from gitops_tools.findings import Finding
from gitops_tools.model import Fact, JsonPath, Location, ObjectId, ObjectRecord
from gitops_tools.parameters import defaults
from gitops_tools.pipeline.units import Member, Unit

if TYPE_CHECKING:
    from gitops_tools.classification import Membership
    from gitops_tools.pipeline.spill import Spill

# Where in the object the check's findings point, and the fact (small, picklable). No place (None) for a fact that
# only what other objects are judged against (a workload's pod labels for a Service's selector): kept without a
# position, and a report on it points at the object's name.
Collected = tuple[JsonPath | None, Any]


class Collector(Protocol):
    """`collect(resource, pod_spec)`: run on each object in its file's process; `pod_spec` is the path of its pod
    spec for a workload (schemas/resources/workloads.yaml), else None. None: nothing to keep of this object."""

    def __call__(self, resource: Any, pod_spec: JsonPath | None) -> Collected | None: ...


class Report(NamedTuple):
    """A violation a workspace check found: on `record`, at its fact's place (else where its name is written)."""

    record: ObjectRecord
    detail: str
    fact: Fact | None = None


class Check(Protocol):
    def __call__(self, workspace: Workspace) -> Iterator[Report]: ...


class ParameterisedCheck(Protocol):
    """The workspace check of a policy with `parameters`: it receives the policy's values (the config's, else the
    defaults), and runs once per such policy."""

    def __call__(self, workspace: Workspace, parameters: Mapping[str, Any]) -> Iterator[Report]: ...


class Placement(NamedTuple):
    """An object as a unit deploys it: namespace and name after the unit's kustomizations, and its scope, the
    namespace it lives in; an object in no namespace is alone with its own unit's (`default` is never invented)."""

    record: ObjectRecord
    unit: Unit
    id: ObjectId
    scope: tuple[str, str]  # ("namespace", name) or ("unit", unit name); ("cluster", "") for cluster-scoped kinds


CLUSTER = ("cluster", "")
_ABSENT = object()  # no fact of the check (a fact's value may be None)


class RecordKey(NamedTuple):
    """Where an object's record is: what a check keeps of each object of a large unit instead of its record (a few
    dozen bytes, not a kilobyte), reading the record again (Workspace.record) for the few it reports on."""

    file: str
    display: str
    document: int
    pointer: str

    @classmethod
    def of(cls, record: ObjectRecord) -> RecordKey:
        return cls(record.paths.file, record.paths.display, record.document, record.pointer)


class Records:
    """The run's object records, file by file in the order files were read: what the workspace indexes. A file's
    records are one entry of a list, or of a Spill in a large run (pickled into its temporary file), read when a unit
    or an index asks for them: a large run's workspace phase holds about one file's records at a time.

    Context files (read only for the workspace, never reported) come after the linted files; files another shard
    lints are context that is reported as any linted file is (`context=False`)."""

    def __init__(self, entries: list[tuple[ObjectRecord, ...]] | Spill[tuple[ObjectRecord, ...]]) -> None:
        self._entries = entries  # each file's records: a list, or a Spill in a large run
        self._files: list[str] = []  # each entry's file (FilePaths.file)
        self._first: dict[str, int] = {}  # file -> its entry
        self._more: dict[str, list[int]] = {}  # file -> its other entries (none unless two sources name one file)
        self.context: set[str] = set()  # the files read only for the workspace

    def add(self, file: str, records: tuple[ObjectRecord, ...], *, context: bool = False) -> None:
        """One file's records, by its FilePaths.file (the run's string for it: one copy kept per file)."""
        if not records:
            return
        self._entries.append(records)
        entry = len(self._entries) - 1
        self._files.append(file)
        if self._first.setdefault(file, entry) != entry:
            self._more.setdefault(file, []).append(entry)
        if context:
            self.context.add(file)

    def files(self) -> list[str]:
        """Every file with records, linted and other shards' files first, then context, each in the order read."""
        files = list(self._first)
        return [file for file in files if file not in self.context] + [file for file in files if file in self.context]

    def of(self, file: str) -> tuple[ObjectRecord, ...]:
        first = self._first.get(file)
        if first is None:
            return ()
        if file not in self._more:
            return self._entries[first]
        return tuple(record for entry in (first, *self._more[file]) for record in self._entries[entry])

    def __iter__(self) -> Iterator[ObjectRecord]:
        """Every record, in the order read, those of context files last."""
        for last in (False, True):
            for index, file in enumerate(self._files):
                if (file in self.context) == last:
                    yield from self._entries[index]


class Workspace:
    """Every object of a run, indexed; the units that deploy them."""

    def __init__(self, records: Records, units: Sequence[Unit], cluster_scoped: frozenset[str],
                 defined: frozenset[tuple[str, str]] = frozenset(), *, strict_references: bool = False) -> None:
        self.objects = records
        self.units = tuple(units)
        self.defined = defined  # the groups and kinds the run's own CRDs define (pipeline/definitions.py)
        # A check whose referenced object is not among the run's objects (it may be deployed from elsewhere) stays
        # quiet, unless the run is strict (--strict-references, the config's `strict_references`): then it reports.
        self.strict_references = strict_references
        self._cluster_scoped = cluster_scoped
        self._scopes: dict[tuple[str, str], tuple[str, str]] = {}

    # The indexes are built when a check first asks for one: a run of 10,000 files holds 50,000 objects, and an
    # index no active check reads would cost several MiB for nothing (the built-in checks read `placements`).
    @cached_property
    def by_id(self) -> dict[ObjectId, list[ObjectRecord]]:
        index: dict[ObjectId, list[ObjectRecord]] = {}
        for record in self.objects:
            index.setdefault(record.id, []).append(record)
        return index

    @cached_property
    def by_kind(self) -> dict[str, list[ObjectRecord]]:
        index: dict[str, list[ObjectRecord]] = {}
        for record in self.objects:
            index.setdefault(record.id.kind, []).append(record)
        return index

    @cached_property
    def by_label(self) -> dict[tuple[str, str], list[ObjectRecord]]:
        index: dict[tuple[str, str], list[ObjectRecord]] = {}
        for record in self.objects:
            for label in record.labels:
                index.setdefault(label, []).append(record)
        return index

    def reported(self, record: ObjectRecord) -> bool:
        """Whether findings on the record are reported: it is in a linted file, not in one read only as context."""
        return record.paths.file not in self.objects.context

    def cluster_scoped(self, object_id: ObjectId) -> bool:
        key = f"{object_id.group}/{object_id.kind}" if object_id.group else object_id.kind
        return key in self._cluster_scoped

    @property
    def placements(self) -> Iterator[tuple[Unit, Iterator[Placement]]]:
        """Each unit with its objects in the order it applies them (file order, then document order), read as they
        are iterated: a check that keeps no placement holds one file's records at a time (each check that asks reads
        them again). An object of a file no unit holds (standard input without a name) is a unit of its own file."""
        for unit in self._units():
            yield unit, (self._place(record, unit, member) for member in unit.members
                         for record in self.objects.of(member.file))

    def values(self, check: str) -> Iterator[tuple[Placement, Any]]:
        """Each placed object whose record holds a fact of `check` (a module name), with the fact's value, in the
        order of `placements`: what most checks iterate, placing only the objects they kept a fact of. The fact's place
        is made only for a reported object (ObjectRecord.fact), not for each of the hundreds a check reads."""
        for unit in self._units():
            for member in unit.members:
                for record in self.objects.of(member.file):
                    value = record.value(check, _ABSENT)
                    if value is not _ABSENT:
                        yield self._place(record, unit, member), value

    def _units(self) -> Iterator[Unit]:
        held = {member.file for unit in self.units for member in unit.members}
        alone = (Unit(file, False, (Member(file),)) for file in self.objects.files() if file not in held)
        return chain(self.units, alone)

    def record(self, key: RecordKey) -> ObjectRecord:
        """The record a key names, read again."""
        return next(record for record in self.objects.of(key.file) if record.document == key.document
                    and record.pointer == key.pointer and RecordKey.of(record) == key)

    def _place(self, record: ObjectRecord, unit: Unit, member: Member) -> Placement:
        written = record.id
        name = member.prefix + written.name + member.suffix
        if self.cluster_scoped(written):
            namespace, scope = None, CLUSTER
        else:
            namespace = member.namespace or written.namespace
            scope = ("namespace", namespace) if namespace is not None else ("unit", unit.name)
        placed = written if (namespace, name) == (written.namespace, written.name) else ObjectId(
            written.group, written.kind, namespace, name)
        return Placement(record, unit, placed, self._scopes.setdefault(scope, scope))  # one tuple per scope


class Collecting(NamedTuple):
    """A workspace check's `collect` step, and the domains whose objects it sees (None: every object's)."""

    collect: Collector
    domains: frozenset[str] | None


def collectors(engine: Engine) -> dict[str, Collecting]:
    """The `collect` steps of the workspace checks the run's active policies name. A check module's
    `COLLECTED_DOMAINS` names the domains whose objects it wants (custom resources are Kubernetes objects; a
    Backstage entity, which the kubernetes domain knows only as a tool's configuration file, is not)."""
    found = {}
    for name in engine.workspace_checks:
        module = checks.module(name)
        if callable(getattr(module, "collect", None)):
            wanted = getattr(module, "COLLECTED_DOMAINS", None)
            found[name] = Collecting(cast(Collector, module.collect), None if wanted is None else frozenset(wanted))
    return found


def object_domains(memberships: Sequence[Membership]) -> frozenset[str]:
    """The domains that know an object as an object (not as a tool's configuration file)."""
    return frozenset(membership.domain for membership in memberships if not membership.rtype.config)


def evaluate(engine: Engine, workspace: Workspace) -> dict[str, list[Finding]]:
    """The findings of the active workspace checks, by the display path of the file each is in: each joins its
    file's filter chain."""
    found: dict[str, list[Finding]] = {}
    for name in engine.workspace_checks:
        policies = [policy for policy in engine.policies.values() if policy.check == name]
        plain = [policy for policy in policies if not policy.parameters]
        for report in cast(Check, checks.module(name).workspace_check)(workspace) if plain else ():
            for policy in plain:
                found.setdefault(report.record.paths.display, []).extend(_findings(engine, policy.id, report))
        for policy in policies:
            if policy.parameters:
                check = cast(ParameterisedCheck, checks.module(name).workspace_check)
                for report in check(workspace, defaults(policy.parameters)):
                    found.setdefault(report.record.paths.display, []).extend(_findings(engine, policy.id, report))
    return found


def _findings(engine: Engine, policy_id: str, report: Report) -> Iterator[Finding]:
    record, detail = report.record, report.detail
    fact = report.fact or record.at_name(policy_id, str(record.id))  # no fact: at its name, by its identity
    content = Content(record.paths.file, record.identity, fact.where, fact.value)
    place = Place(record.paths, record.document, fact.pointer)
    yield from engine.finding(policy_id, detail, Location(record.paths.display, *fact.span), content, place, detail)


def load_cluster_scoped() -> frozenset[str]:
    """The cluster-scoped kinds (schemas/resources/cluster_scoped.yaml), as `group/Kind` or `Kind` for core."""
    import yaml

    from gitops_tools.resources import schema_path

    raw = yaml.load(schema_path("resources", "cluster_scoped.yaml").read_text("utf-8"), Loader=yaml.CSafeLoader)
    return frozenset(str(entry) for entry in raw)
