"""Coded checks: the escape hatch for rules JSON Schema cannot express. Metadata stays in the policy file.

A check is one module in this folder, found by listing it (no registry to edit): a module defining `check` is a
document check, named by its module, that a policy names with `check: <module name>`; it receives each target
instance (chosen by the policy's `targets`) and yields the paths, relative to that instance, of every violation, each
with an optional detail appended to the policy's message, and optionally the offset of the character of the text
value at that path the violation is about (a PromQL expression's parse error): the finding points there.
A document check whose verdict depends on the Kubernetes version the run targets (an apiVersion removed in 1.22)
defines `versioned_check(instance, version)` instead, and receives the run's target (gitops_tools/kubeversion.py).
A document check about custom resources defines `custom_resource_check(instance, definitions)`, and receives the
CustomResourceDefinitions the run knows (gitops_tools/customresources.py: the run's own CRDs, then the bundled ones).
A document check whose policy declares `parameters` also receives their values, by keyword (`parameters`: the
config's, else the defaults), as workspace and repository checks do.
A module defining `workspace_check` is a workspace check
(policies name it the same way, with `targets: {scope: workspace}`): it sees every Kubernetes object of the run at
once, as compact records, and may define `collect`, run on each object in its file's process, to keep the few facts
it needs (gitops_tools/pipeline/workspace.py has both Protocols). A module defining `repository_check` is a
repository check (`targets: {scope: repository}`): it sees the repository as a whole, its file list, once per run
that lints the repository's root folder, and receives its policy's parameter values (gitops_tools/pipeline/
repository.py has its Protocol).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import cache, partial
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from gitops_tools.model import JsonPath

if TYPE_CHECKING:
    from gitops_tools.customresources import Definitions
    from gitops_tools.kubeversion import KubernetesVersion

Violation = tuple[JsonPath, str] | tuple[JsonPath, str, int | None]
Check = Callable[[Any], Iterator[Violation]]

# Policies whose findings come from the loader, the config, the render phase (pipeline/render.py) or the discover
# phase's references (an include naming no file: gitops_tools/pipeline/references.py) rather than from evaluating
# documents.
REFERENCES = "references"
RENDER = "render"  # the render phase (pipeline/render.py): an entry point that did not build, or was not built
BUILTIN_SOURCES = frozenset({"loader", "exemptions", "suppressions", REFERENCES, RENDER})


@cache
def names() -> tuple[str, ...]:
    """The check modules in this folder, by name (modules starting with `_` are helpers), without importing them."""
    return tuple(path.stem for path in sorted(Path(__file__).parent.glob("*.py")) if not path.name.startswith("_"))


@cache
def modules() -> tuple[ModuleType, ...]:
    """Every check module, imported: for checking policy files, which may name any of them."""
    return tuple(import_module(f"{__name__}.{name}") for name in names())


@cache
def module(name: str) -> ModuleType:
    """The one check module a policy names: a run imports only the checks of the policies that apply to what it
    lints (a Kubernetes run never imports the PromQL and template checks)."""
    if name not in names():
        raise LookupError(f"no check module {name!r}")  # policies are checked when loaded: a bug, not user error
    return import_module(f"{__name__}.{name}")


@cache
def document_checks() -> dict[str, ModuleType]:
    """The document check modules, by the name policies use: their module's."""
    return {module.__name__.rpartition(".")[2]: module for module in modules()
            if any(callable(getattr(module, name, None)) for name in DOCUMENT_CHECKS)}


DOCUMENT_CHECKS = ("check", "versioned_check", "custom_resource_check")  # what a document check module may define


def document_check(found: ModuleType, version: KubernetesVersion, definitions: Definitions | None = None,
                   parameters: Mapping[str, Any] | None = None) -> Check:
    """A document check module's check: its `check`, its `versioned_check` judging for `version`, or its
    `custom_resource_check` knowing the run's CRDs (`definitions`; the bundled ones alone when None); given the
    policy's `parameters` values when it declares some."""
    check: Callable[..., Iterator[Violation]] = _document_check(found, version, definitions)
    return check if parameters is None else partial(check, parameters=parameters)


def _document_check(found: ModuleType, version: KubernetesVersion, definitions: Definitions | None) -> Check:
    versioned = getattr(found, "versioned_check", None)
    if callable(versioned):
        return partial(versioned, version=version)
    defined = getattr(found, "custom_resource_check", None)
    if callable(defined):
        from gitops_tools.customresources import Definitions

        return partial(defined, definitions=definitions if definitions is not None else Definitions())
    return cast(Check, found.check)


@cache
def workspace_modules() -> dict[str, ModuleType]:
    """The workspace checks, by the name policies use: their module's."""
    return {module.__name__.rpartition(".")[2]: module for module in modules()
            if callable(getattr(module, "workspace_check", None))}


@cache
def repository_modules() -> dict[str, ModuleType]:
    """The repository checks, by the name policies use: their module's."""
    return {module.__name__.rpartition(".")[2]: module for module in modules()
            if callable(getattr(module, "repository_check", None))}


def vendored_schema_check(schema_file: str) -> Check:
    """A document check against the public schema schemas/vendor/<schema_file> (a workflow, an action, a GitLab CI
    file): the schema is read and compiled on the first document it sees, so a run without one never pays for it."""

    @cache
    def validator() -> Any:
        from gitops_tools.checks import _vendored_schema

        return _vendored_schema.evaluator(schema_file)

    def check(document: Any) -> Iterator[Violation]:
        from gitops_tools.checks import _vendored_schema

        yield from _vendored_schema.violations(validator(), document)

    return check
