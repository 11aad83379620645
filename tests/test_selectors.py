"""Label selectors as Kubernetes evaluates them (gitops_tools/checks/_selectors.py): a table of selectors and label
sets, with the verdict the API's labels.Selector gives."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from gitops_tools.checks._selectors import INVALID, Selector, label_pairs, label_selector, map_selector

WEB = {"app": "web", "tier": "frontend"}
LEGACY = {"app": "web", "tier": "frontend", "legacy": "true"}
BARE: dict[str, str] = {}

# (LabelSelector, labels, selected)
LABEL_SELECTORS: list[tuple[Any, dict[str, str], bool]] = [
    ({}, WEB, True),  # an empty selector selects everything
    ({}, BARE, True),
    ({"matchLabels": {}, "matchExpressions": []}, WEB, True),
    ({"matchLabels": None}, WEB, True),
    ({"matchLabels": {"app": "web"}}, WEB, True),
    ({"matchLabels": {"app": "web"}}, BARE, False),
    ({"matchLabels": {"app": "web", "tier": "backend"}}, WEB, False),  # every pair
    ({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "legacy", "operator": "DoesNotExist"}]}, WEB,
     True),
    ({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "legacy", "operator": "DoesNotExist"}]}, LEGACY,
     False),  # matchLabels AND matchExpressions
    ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["frontend", "edge"]}]}, WEB, True),
    ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["backend"]}]}, WEB, False),
    ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["frontend"]}]}, BARE, False),
    ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["backend"]}]}, WEB, True),
    ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["frontend"]}]}, WEB, False),
    ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["frontend"]}]}, BARE, True),  # absent key
    ({"matchExpressions": [{"key": "legacy", "operator": "Exists"}]}, LEGACY, True),
    ({"matchExpressions": [{"key": "legacy", "operator": "Exists"}]}, WEB, False),
    ({"matchExpressions": [{"key": "legacy", "operator": "Exists", "values": []}]}, LEGACY, True),
    ({"matchExpressions": [{"key": "legacy", "operator": "DoesNotExist"}]}, BARE, True),
    ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["frontend"]},
                           {"key": "app", "operator": "In", "values": ["api"]}]}, WEB, False),  # every expression
    ({"matchLabels": {"replicas": 3}}, {"replicas": "3"}, True),  # values compared as text
]

# LabelSelectors the API server refuses: they select nothing, and compiling them never raises.
INVALID_SELECTORS: list[Any] = [
    {"matchExpressions": [{"key": "tier", "operator": "Matches", "values": ["frontend"]}]},  # unknown operator
    {"matchExpressions": [{"key": "tier", "operator": "in", "values": ["frontend"]}]},  # operators are exact
    {"matchExpressions": [{"key": "legacy", "operator": "Exists", "values": ["true"]}]},  # values with Exists
    {"matchExpressions": [{"key": "legacy", "operator": "DoesNotExist", "values": ["x"]}]},
    {"matchExpressions": [{"key": "tier", "operator": "In"}]},  # In without values
    {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": []}]},
    {"matchExpressions": [{"operator": "Exists"}]},  # no key
    {"matchExpressions": [{"key": "", "operator": "Exists"}]},
    {"matchExpressions": [{"key": "tier", "operator": "In", "values": [["frontend"]]}]},  # a value that is a list
    {"matchExpressions": ["tier in (frontend)"]},
    {"matchExpressions": {"key": "tier", "operator": "Exists"}},  # a mapping where a list belongs
    {"matchLabels": ["app=web"]},
    {"matchLabels": {"app": {"name": "web"}}},
    {"matchLabels": {1: "web"}},
    "app=web",
    ["app", "web"],
]


@pytest.mark.parametrize(("raw", "labels", "expected"), LABEL_SELECTORS)
def test_a_label_selector_selects_as_the_api_does(raw: Any, labels: dict[str, str], expected: bool) -> None:
    selector = label_selector(raw)
    assert selector is not None and selector.valid
    assert selector.matches(labels) is expected
    assert selector.selects(label_pairs(labels)) is expected  # the same verdict on a label set kept as pairs


@pytest.mark.parametrize("raw", INVALID_SELECTORS)
def test_an_invalid_label_selector_selects_nothing(raw: Any) -> None:
    selector = label_selector(raw)
    assert selector == INVALID
    assert not selector.matches(WEB) and not selector.matches(BARE) and not selector.everything
    assert str(selector) == "an invalid selector"


def test_a_null_or_absent_selector_is_left_to_the_caller() -> None:
    assert label_selector(None) is None and map_selector(None) is None


@pytest.mark.parametrize(("raw", "labels", "expected"), [
    ({"app": "web"}, WEB, True),
    ({"app": "web", "tier": "frontend"}, WEB, True),
    ({"app": "web", "tier": "backend"}, WEB, False),
    ({"app": "web"}, BARE, False),
    ({}, WEB, True),  # the Service check treats {} as no selector itself
    ({"port": 8080}, {"port": "8080"}, True),
])
def test_a_map_selector_needs_every_pair(raw: dict[str, Any], labels: dict[str, str], expected: bool) -> None:
    selector = map_selector(raw)
    assert selector is not None and selector.matches(labels) is expected


@pytest.mark.parametrize("raw", [{"app": ["web"]}, {"app": None}, "app=web", {None: "web"}])
def test_an_invalid_map_selector_selects_nothing(raw: Any) -> None:
    assert map_selector(raw) == INVALID


def test_required_pairs_are_what_an_index_of_label_sets_is_asked_for() -> None:
    selector = label_selector({"matchLabels": {"app": "web"}, "matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["frontend", "edge"]},
        {"key": "zone", "operator": "In", "values": ["a"]},
        {"key": "legacy", "operator": "DoesNotExist"}]})
    assert selector is not None
    assert selector.pairs == (("app", "web"), ("zone", "a"))
    assert str(selector) == "app=web,!legacy,tier in (edge,frontend),zone=a"  # by key, as kubectl


def test_a_selector_is_small_and_picklable_and_its_strings_are_interned() -> None:
    first = label_selector({"matchLabels": {"app.kubernetes.io/name": "".join(["w", "eb"])}})
    second = map_selector({"app.kubernetes.io/name": "".join(["we", "b"])})
    assert first == second and isinstance(first, Selector) and second is not None
    assert first.requirements[0][2][0] is second.requirements[0][2][0]  # one copy of a value for the whole run
    assert pickle.loads(pickle.dumps(first)) == first and len(pickle.dumps(first)) < 200


def test_label_pairs_are_sorted_text() -> None:
    assert label_pairs({"tier": "frontend", "app": "web", "version": 2}) == (
        ("app", "web"), ("tier", "frontend"), ("version", "2"))
    assert label_pairs(None) == () and label_pairs(["app"]) == ()
