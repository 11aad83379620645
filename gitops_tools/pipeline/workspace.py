"""Phase 5, evaluate across the workspace: coded checks that need every document at once (relations between
resources). A module in gitops_tools/checks/ that defines `workspace_check` is one; it is found by listing that
folder and checked against the WorkspaceCheck Protocol. With none found, documents are not kept past their file."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple, Protocol

from gitops_tools import checks
from gitops_tools.loading.document import Document
from gitops_tools.model import FilePaths, Finding


class WorkspaceDocument(NamedTuple):
    paths: FilePaths  # the file it is in
    document: Document


class WorkspaceCheck(Protocol):
    def __call__(self, documents: Sequence[WorkspaceDocument]) -> Iterator[Finding]: ...


def workspace_checks() -> list[WorkspaceCheck]:
    """Every `workspace_check` in gitops_tools/checks/, by module name."""
    return [module.workspace_check for module in checks.modules() if callable(getattr(module, "workspace_check", None))]


def evaluate_workspace(found: Sequence[WorkspaceCheck], documents: Sequence[WorkspaceDocument]) -> list[Finding]:
    """The findings of every workspace check; each names its file, so it joins that file's filter chain."""
    return [finding for check in found for finding in check(documents)]
