"""The peer coverage data (schemas/resources/coverage/) is complete and true; docs/coverage.md is rendered from it."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from gitops_tools.model import Policy

ROOT = Path(__file__).resolve().parent.parent


def _script(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(path.stem, module)
    spec.loader.exec_module(module)
    return module


COVERAGE = _script(ROOT / "docs" / "coverage.py")
PEER_FILES = sorted(COVERAGE.DATA.glob("*.yaml"))  # loaded by the tests, so a broken file fails them, not collection


@pytest.fixture(scope="module")
def peers() -> list[Any]:
    return list(COVERAGE.load_peers())


def test_the_three_peers_have_their_file(peers: list[Any]) -> None:
    assert [path.name for path in PEER_FILES] == ["kube-linter.yaml", "kube-score.yaml", "polaris.yaml"]
    assert sorted(peer.name for peer in peers) == ["Polaris", "kube-linter", "kube-score"]


@pytest.mark.parametrize("path", PEER_FILES, ids=lambda path: path.stem)
def test_every_check_of_the_peer_has_one_entry_naming_existing_policies(path: Path,
                                                                         policies: dict[str, Policy]) -> None:
    assert COVERAGE.problems(COVERAGE.load_peer(path), set(policies)) == []


@pytest.mark.parametrize("path", PEER_FILES, ids=lambda path: path.stem)
def test_the_recorded_check_count_is_the_peer_s(path: Path) -> None:
    """The extractions listed 44 Polaris checks (v10.2.2), 63 kube-linter checks (v0.8.3), 39 kube-score checks
    (v1.20.0): an edit that drops an id from `ids` (and its entry with it) fails here."""
    expected = {"Polaris": ("v10.2.2", 44), "kube-linter": ("v0.8.3", 63), "kube-score": ("v1.20.0", 39)}
    peer = COVERAGE.load_peer(path)
    assert (peer.version, len(peer.ids)) == expected[peer.name]


def test_the_page_is_rendered_from_the_data(peers: list[Any]) -> None:
    committed = (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8")
    assert committed == COVERAGE.render_page(peers), "docs/coverage.md is stale: run `make docs`"


def test_readme_counts_are_the_data_s(peers: list[Any]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == COVERAGE._readme_with(COVERAGE.readme_block(peers)), (
        "README's coverage counts are stale: run `make docs`")


def test_the_page_links_every_policy_to_the_catalogue(peers: list[Any]) -> None:
    page = (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8")
    rules = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    named = {name for peer in peers for check in peer.checks for name in check.policies}
    assert named
    for name in named:
        assert f"[`{name}`](rules.md#{name})" in page
        assert f"\n## {name}\n" in rules


def test_problems_name_a_missing_a_doubled_an_extra_and_an_unknown_entry(peers: list[Any]) -> None:
    peer = next(p for p in peers if p.name == "Polaris")
    check = COVERAGE.Check(id="hostIPCSet", what="x", policies=("pod-host-ipc-unset",))
    broken = replace(peer, ids=("hostIPCSet", "hostPIDSet"), checks=(
        check, check, replace(check, id="notAPolarisCheck", policies=("no-such-policy",))))
    assert COVERAGE.problems(broken, {"pod-host-ipc-unset"}) == [
        "polaris.yaml: hostIPCSet has 2 entries, not 1",
        "polaris.yaml: hostPIDSet has 0 entries, not 1",
        "polaris.yaml: notAPolarisCheck is not in its ids",
        "polaris.yaml: notAPolarisCheck names no-such-policy, which is no built-in policy",
    ]


ONE_OF = "is not valid under any of the schemas listed in the 'oneOf' keyword"


@pytest.mark.parametrize(("entry", "col", "message"), [
    ("{id: a, what: b, policy: pod-host-ipc-unset, not_applicable: because it is not wanted here at all}", 5,
     ONE_OF),  # covered and not applicable at once
    ("{id: a, what: b, not_applicable: 'it is not wanted here, whatever the peer says'}", 22,
     "does not match \"^because \""),
    ("{id: a, what: b}", 5, ONE_OF),  # neither a policy nor a reason
    ("{id: a, what: b, policy: Pod_Host}", 22, "\"Pod_Host\" " + ONE_OF),  # no policy id
    ("{id: a, what: b, policy: pod-host-ipc-unset, owner: me}", 50, "Additional properties are not allowed"),
    # `planned` named a policy being written while issue 14 was open: every entry is final now.
    ("{id: a, what: b, policy: pod-host-ipc-unset, planned: pod-host-pid-unset}", 50,
     "Additional properties are not allowed ('planned' was unexpected)"),
])
def test_a_malformed_entry_is_refused_at_its_position(tmp_path: Path, entry: str, col: int, message: str) -> None:
    path = tmp_path / "peer.yaml"
    path.write_text("peer: P\nversion: v1\ncommit: " + "a" * 40 + "\nsource: https://x\ncheck_url: https://x/{id}\n"
                    f"extraction: by hand\nids: [a]\nchecks:\n  - {entry}\n", encoding="utf-8")
    with pytest.raises(SystemExit) as caught:
        COVERAGE.load_peer(path)
    assert str(caught.value).startswith(f"{path}:9:{col}: not a coverage file (schemas/coverage.schema.json): ")
    assert message in str(caught.value)


def test_a_duplicated_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "peer.yaml"
    path.write_text("peer: P\npeer: Q\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"peer\.yaml:2:1: invalid coverage file: 'peer' appears again"):
        COVERAGE.load_peer(path)
