"""The fast build of plain documents gives exactly what PyYAML's general constructor gives, problems included."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from gitops_tools.loading import Limits, load_bytes
from gitops_tools.loading.plain_data import NotPlainError, PlainBuilder
from gitops_tools.loading.yaml_text import _Constructor, duplicate_keys

# Every implicit scalar type, quoting style, explicit standard tags, and the shapes that need the general way.
CASES = {
    "manifest": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {a: b}}\nspec:\n  replicas: 3\n",
    "scalars": "i: 12\nh: 0x1f\no: 0o17\ns60: 1:20\nf: 1.5\ninf: .inf\nnan: .nan\nb: [yes, No, on, OFF, true]\n"
               "n: [~, null, '']\nt: 2024-01-01\nts: 2001-12-14t21:59:43.10-05:00\nq: '12'\ndq: \"yes\"\n",
    "keys": "1: one\ntrue: t\n~: null key\n1.5: float\n2024-01-01: date\n",
    "duplicates": "a: 1\na: 2\nnested: {b: 1, b: 2}\non: 1\ntrue: 2\n",
    "explicit standard tags": "a: !!str 12\nb: !!int '7'\nc: !!float '1'\nd: !!map {x: 1}\ne: !!seq [1]\n",
    "merge key": "base: &b {x: 1}\nuse:\n  <<: *b\n  y: 2\n",
    "merge key without alias": "use:\n  <<: {x: 1}\n  y: 2\n",
    "application tag": "script: !reference [.setup, script]\nref: !Ref Bucket\n",
    "code tag": "x: !!python/name:os.system\n",
    "complex key": "? [a, b]\n: value\n",
    "set and omap": "s: !!set {a, b}\no: !!omap [{a: 1}, {b: 2}]\n",
    "bad int": "a: !!int abc\nb: 1\n",
    "binary": "a: !!binary aGVsbG8=\n",
    "empty values": "a:\nb: []\nc: {}\n",
    "top-level list": "- 1\n- two\n- {three: 3}\n",
    "top-level scalar": "just text\n",
    "several documents": "a: 1\n---\nb: [1, 2]\n---\n~\n",
}


def general(text: str) -> tuple[list[Any], list[str]]:
    """Every document's data built by the general constructor, and the repeated keys it found."""
    loader = _Constructor(text)
    documents = []
    try:
        while loader.check_node():
            documents.append(loader.construct_document(loader.get_node()))
    finally:
        loader.dispose()
    return documents, sorted(key.value for key, _ in loader.duplicates)


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_fast_build_equals_the_general_constructor(text: str) -> None:
    try:
        expected, repeated = general(text)
    except yaml.YAMLError:  # a value that fits no tag: the load reports it as a problem, checked below
        expected, repeated = None, []
    loaded = load_bytes(text.encode(), "f.yaml", Limits())
    if expected is None:
        assert loaded.problems and loaded.problems[0].policy_id == "yaml-syntax"
        return
    assert [document.data for document in loaded.documents] == expected
    assert [repr(document.data) for document in loaded.documents] == [repr(data) for data in expected]  # 1 vs True
    duplicates = [problem for problem in loaded.problems if problem.policy_id == "yaml-duplicate-key"]
    assert len(duplicates) == len(repeated)


def build(text: str) -> Any:
    loader = _Constructor(text)
    try:
        builder = PlainBuilder(loader, lambda node: list(duplicate_keys(node.value, loader._key)))
        return builder.build(loader.get_single_node())[0]
    finally:
        loader.dispose()


def test_plain_documents_take_the_fast_way() -> None:
    assert build(CASES["manifest"])["spec"] == {"replicas": 3}
    assert build(CASES["scalars"])["b"] == [True, False, True, False, True]


@pytest.mark.parametrize("case", ["merge key without alias", "application tag", "code tag", "complex key",
                                  "set and omap", "bad int", "binary"])
def test_anything_else_takes_the_general_way(case: str) -> None:
    with pytest.raises(NotPlainError):
        build(CASES[case])


@pytest.mark.parametrize(("text", "nulls"), [
    (CASES["manifest"], False), ("a:\n", True), ("a: {b: [{c: ~}]}\n", True), ("- ~\n- [null]\n", False),
    (CASES["merge key"], True)])  # aliases: built the general way, which does not say: assumed
def test_loaded_documents_say_whether_a_member_is_null(text: str, nulls: bool) -> None:
    """Classification drops null members (`securityContext:` means absent) only from documents that have some."""
    assert [document.null_members for document in load_bytes(text.encode(), "f.yaml", Limits()).documents] == [nulls]
