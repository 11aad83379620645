"""A pod template's `serviceAccountName` names a ServiceAccount of its namespace. Judged only in a namespace where the
linted set defines ServiceAccounts (unless `--strict-references`): accounts are often made by another repository, a
Helm chart or a namespace provisioner. `default` exists in every namespace."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._podtemplates import scope_text
from gitops_tools.checks._references import Scope, report, spellings
from gitops_tools.model import JsonPath
from gitops_tools.pipeline.workspace import Collected, Report, Workspace
from gitops_tools.targets import dig

COLLECTED_DOMAINS = ("kubernetes",)
NAME = __name__.rpartition(".")[2]
IMPLICIT = "default"  # the account every namespace has


def collect(resource: Any, pod_spec: JsonPath | None) -> Collected | None:
    """A ServiceAccount, or the account a pod template names."""
    if resource.get("kind") == "ServiceAccount" and resource.get("apiVersion") == "v1":
        return ("metadata", "name"), ("account", None)
    if pod_spec is None:
        return None
    for field in ("serviceAccountName", "serviceAccount"):  # the second is the deprecated spelling
        account = dig(resource, (*pod_spec, field))
        if isinstance(account, str) and account and account != IMPLICIT:
            return (*pod_spec, field), ("pod", account)
    return None


def workspace_check(workspace: Workspace) -> Iterator[Report]:
    accounts: dict[Scope, set[str]] = {}
    for placement, (role, _) in workspace.values(NAME):
        if role == "account":
            accounts.setdefault(placement.scope, set()).add(placement.id.name)
    for placement, (role, account) in workspace.values(NAME):
        defined = accounts.get(placement.scope)
        if role != "pod" or (defined is None and not workspace.strict_references) or placement.scope[0] == "cluster":
            continue
        if not any(name in (defined or ()) for name in spellings(placement, account)):
            yield report(placement.record, NAME,
                         f"ServiceAccount {account} is not defined in {scope_text(placement.scope)}", account)
