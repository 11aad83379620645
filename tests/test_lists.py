"""Typed lists, `kind: List` and kustomize patches in realistic repositories: a good one that lints clean (an API
server's ConfigMapList dump with bare items, a kubectl List, overlays sharing a patch through a Component) and a bad
one with each finding at its place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import sorted_spots

from gitops_tools.lint import LintResult

FIXTURES = Path(__file__).parent / "fixtures" / "lists"


def test_the_good_repository_lints_clean(lint_fixture: Callable[[str], LintResult]) -> None:
    result = lint_fixture("good")
    assert result.findings == []
    assert (result.files, result.documents) == (8, 8)


def test_the_bad_repository_has_each_finding_at_its_place(lint_fixture: Callable[[str], LintResult]) -> None:
    assert sorted_spots(lint_fixture("bad")) == [
        ("app/kustomization.yaml", 1, 1, "kustomization-renders"),  # kustomize refuses a plain string under patches
        ("app/settings-patch.yaml", 5, 20, "yaml-duplicate-key"),  # a patch named by a plain string: syntax only
        ("dumps/empty.yaml", 2, 1, "list-items-are-objects"),  # no items
        ("dumps/settings.yaml", 10, 5, "manifest-identity-complete"),  # a bare item, a ConfigMap without a name
        ("dumps/settings.yaml", 13, 5, "list-items-are-objects"),  # an item that is a text
    ]
