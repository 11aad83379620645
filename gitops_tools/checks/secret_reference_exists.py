"""A pod template's required Secret references name Secrets its namespace defines (gitops_tools/checks/
_named_references.py does the job for ConfigMaps and Secrets)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks import _named_references
from gitops_tools.model import JsonPath
from gitops_tools.pipeline.workspace import Collected, Report, Workspace

COLLECTED_DOMAINS = ("kubernetes",)
NAME = __name__.rpartition(".")[2]
KIND = "Secret"


def collect(resource: Any, pod_spec: JsonPath | None) -> Collected | None:
    return _named_references.collect(resource, pod_spec, KIND)


def workspace_check(workspace: Workspace) -> Iterator[Report]:
    return _named_references.workspace_check(workspace, NAME, KIND)
