"""What tracing one value needs to know of its object, and what a place that may have written it looks like."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from gitops_tools.loading.document import Document
from gitops_tools.model import JsonPath

ABSENT = object()  # the value at a path the rendered object does not hold (a finding about a missing key)
QUANTIFIED_GROUP = re.compile(r"\)[*+?{]")
MAX_REPETITIONS = 2
MAX_NAME = 253  # a Kubernetes object name's limit


class Subject(NamedTuple):
    """One rendered object and the value traced in it."""

    rendered: Mapping[str, Any]
    where: JsonPath
    value: Any  # at `where`, or ABSENT
    names: frozenset[str]  # its name as read, as each kustomization renamed it, as rendered: a patch names any
    namespaces: frozenset[str]
    labels: tuple[Mapping[str, Any], ...]  # as read and as rendered: a selector may mean either
    annotations: tuple[Mapping[str, Any], ...]

    @property
    def kind(self) -> str:
        kind = self.rendered.get("kind")
        return kind if isinstance(kind, str) else ""

    @property
    def group_version(self) -> tuple[str, str]:
        api_version = self.rendered.get("apiVersion")
        group, _, version = api_version.rpartition("/") if isinstance(api_version, str) else ("", "", "")
        return group, version


class Candidate(NamedTuple):
    """A place that wrote (part of) the value: its document and path there, how many steps of `where` it covers,
    and whether it wrote the value as rendered."""

    document: Document
    path: JsonPath
    depth: int
    exact: bool


def same(written: Any, rendered: Any) -> bool:
    """Whether a written scalar is the rendered one (True is not 1)."""
    return isinstance(written, bool) == isinstance(rendered, bool) and written == rendered


def same_text(written: Any, rendered: Any) -> bool:
    """For labels and annotations, which kustomize writes as text (`version: 2` is the label "2")."""
    if isinstance(written, bool):
        written = "true" if written else "false"
    return isinstance(written, str | int | float) and isinstance(rendered, str) and str(written) == rendered


def scalar(value: Any) -> bool:
    return value is not ABSENT and not isinstance(value, dict | list)


def selects(target: Mapping[str, Any], subject: Subject) -> bool:
    """Whether a patch's `target:` selector picks the object (kind and name are regular expressions, as in
    kustomize; a selector the linter cannot read picks nothing)."""
    group, version = subject.group_version
    fields = (("group", (group,)), ("version", (version,)), ("kind", (subject.kind,)), ("name", subject.names),
              ("namespace", subject.namespaces))
    for key, values in fields:
        wanted = target.get(key)
        if wanted in (None, ""):
            continue
        if not isinstance(wanted, str) or not any(_matches(wanted, value) for value in values):
            return False
    for key, maps in (("labelSelector", subject.labels), ("annotationSelector", subject.annotations)):
        wanted = target.get(key)
        if wanted not in (None, "") and not (isinstance(wanted, str) and any(_selected(wanted, m) for m in maps)):
            return False
    return True


def _matches(pattern: str, value: str) -> bool:
    """kustomize's regular expression match (Go's, linear in time). Python's backtracks: a pattern that could take
    it long on a name (a quantified group, `(a+)+`; more than two repetitions, `.*.*.*x`) or a name longer than
    Kubernetes allows matches only itself, as one that does not compile does."""
    if pattern == value:
        return True
    if QUANTIFIED_GROUP.search(pattern) or sum(map(pattern.count, "*+{")) > MAX_REPETITIONS \
            or len(value) > MAX_NAME:
        return False
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return False


def _selected(selector: str, labels: Mapping[str, Any]) -> bool:
    """An equality-based label selector (`app=web,tier!=db,canary,!legacy`); set-based ones select nothing."""
    for requirement in (part.strip() for part in selector.split(",")):
        if "(" in requirement or " in " in requirement or " notin " in requirement:
            return False
        key, operator, value = re.split(r"(!=|==|=)", requirement, maxsplit=1) if "=" in requirement else \
            (requirement, "", "")
        key, value = key.strip(), value.strip()
        if operator == "!=":
            ok = str(labels.get(key)) != value if key in labels else True
        elif operator:
            ok = key in labels and str(labels[key]) == value
        else:
            ok = (key[1:].strip() not in labels) if key.startswith("!") else key in labels
        if not ok:
            return False
    return True
