"""The peer coverage table: every Polaris, kube-linter and kube-score check with our policy or why none covers it.

    python docs/coverage.py            # write docs/coverage.md and README's `coverage` block (make docs runs it)
    python docs/coverage.py --check    # exit 1 if either is stale or the data is inconsistent; write nothing

The data is schemas/resources/coverage/<peer>.yaml, one file per peer, found by listing the folder (format:
schemas/coverage.schema.json). Each file records the peer's version, the commit it was read at, how its check ids were
listed (`extraction`) and the ids themselves (`ids`); `checks` holds each id exactly once with the policies that cover
it (`policy`), or a reason starting "because" why none does on purpose (`not_applicable`) or yet (`not_covered`), and
an optional `note` saying where ours differs.
tests/test_coverage.py checks the data against the format, the ids and the built-in policy catalogue, and that the
page and the README block are what this script renders.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "schemas" / "resources" / "coverage"
SCHEMA = ROOT / "schemas" / "coverage.schema.json"
PAGE = ROOT / "docs" / "coverage.md"
README = ROOT / "README.md"
BLOCK_NAME = "coverage"


@dataclass(frozen=True)
class Check:
    """One check of a peer and what covers it."""

    id: str
    what: str
    policies: tuple[str, ...] = ()
    not_applicable: str = ""
    not_covered: str = ""
    note: str = ""


@dataclass(frozen=True)
class Peer:
    """One version of a peer linter: where its check list came from, and each check."""

    name: str
    version: str
    commit: str
    source: str
    check_url: str
    extraction: str
    ids: tuple[str, ...]
    checks: tuple[Check, ...]
    path: Path

    def count(self, kind: str) -> int:
        """How many checks are `covered` (a policy of ours), `not_applicable` or `not_covered`."""
        return sum(1 for check in self.checks if kind_of(check) == kind)


def kind_of(check: Check) -> str:
    if check.policies:
        return "covered"
    return "not_applicable" if check.not_applicable else "not_covered"


def _names(value: Any) -> tuple[str, ...]:
    """A `policy` value: one id or a list of them (absent: none)."""
    return (value,) if isinstance(value, str) else tuple(str(item) for item in value or ())


def load_peer(path: Path) -> Peer:
    """One peer file, valid against schemas/coverage.schema.json; a problem raises SystemExit with its position."""
    sys.path.insert(0, str(ROOT))
    from gitops_tools.errors import GitopsToolsError
    from gitops_tools.loading import load_user_file
    from gitops_tools.validation import SchemaEvaluator, first_violation

    try:
        documents = load_user_file(path, "coverage file")
    except GitopsToolsError as err:
        raise SystemExit(str(err)) from err
    document = documents[0]
    violation = first_violation(SchemaEvaluator(json.loads(SCHEMA.read_text(encoding="utf-8"))), document.data)
    if len(documents) != 1 or violation is not None:
        line, col = document.locate(violation.path)[:2] if violation else (1, 1)
        raise SystemExit(f"{path}:{line}:{col}: not a coverage file (schemas/coverage.schema.json): "
                         f"{violation.message if violation else 'more than one document'}")
    data = document.data
    checks = tuple(Check(id=entry["id"], what=entry["what"], policies=_names(entry.get("policy")),
                         not_applicable=entry.get("not_applicable", ""), not_covered=entry.get("not_covered", ""),
                         note=entry.get("note", ""))
                   for entry in data["checks"])
    return Peer(data["peer"], data["version"], data["commit"], data["source"], data["check_url"], data["extraction"],
                tuple(data["ids"]), checks, path)


def load_peers(folder: Path = DATA) -> list[Peer]:
    """Every peer file of `folder`, in the order of their names."""
    return [load_peer(path) for path in sorted(folder.glob("*.yaml"))]


def problems(peer: Peer, policies: set[str]) -> list[str]:
    """What is inconsistent in `peer`'s data: an id of `ids` without exactly one entry, an entry for no id of `ids`,
    a `policy` that is no built-in policy."""
    found: list[str] = []
    entries = [check.id for check in peer.checks]
    for check_id in peer.ids:
        if entries.count(check_id) != 1:
            found.append(f"{peer.path.name}: {check_id} has {entries.count(check_id)} entries, not 1")
    found += [f"{peer.path.name}: {check_id} is not in its ids" for check_id in sorted(set(entries) - set(peer.ids))]
    for check in peer.checks:
        found += [f"{peer.path.name}: {check.id} names {name}, which is no built-in policy"
                  for name in check.policies if name not in policies]
    return found


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _policy_links(names: tuple[str, ...]) -> str:
    return ", ".join(f"[`{name}`](rules.md#{name})" for name in names)


def ours(check: Check) -> str:
    """The table's last column: our policies (with the note) or why none."""
    if check.not_applicable:
        return _cell(f"not applicable, {check.not_applicable}")
    if check.not_covered:
        return _cell(f"not covered yet, {check.not_covered}")
    text = _policy_links(check.policies)
    return _cell(f"{text}. {check.note}" if check.note else text)


def counts_table(peers: list[Peer]) -> list[str]:
    rows = ["| peer | version | checks | covered | not applicable | not covered |",
            "| --- | --- | --- | --- | --- | --- |"]
    for peer in peers:
        rows.append(f"| {peer.name} | [{peer.version}]({peer.source}) | {len(peer.checks)} | {peer.count('covered')} | "
                    f"{peer.count('not_applicable')} | {peer.count('not_covered')} |")
    return rows


def render_page(peers: list[Peer]) -> str:
    """docs/coverage.md."""
    out = ["# Coverage of the peers' checks", "",
           "Generated by `docs/coverage.py` (`make docs`) from `schemas/resources/coverage/`; do not edit by hand.", "",
           "Every check of Polaris, kube-linter and kube-score, at the version named, with the policy of ours that "
           "covers it (a note says where ours differs), or why none does: not applicable, because we decided so for "
           "the reason given, or not covered yet. A policy id links to its entry in the [catalogue](rules.md).", "",
           *counts_table(peers), ""]
    for peer in peers:
        out.append(f"- {peer.name} {peer.version} (commit `{peer.commit[:12]}`): {_cell(peer.extraction)}")
    out += ["", "| peer | check | what it checks | ours |", "| --- | --- | --- | --- |"]
    for peer in peers:
        for check in sorted(peer.checks, key=lambda c: c.id.lower()):
            url = peer.check_url.replace("{id}", check.id)
            out.append(f"| {peer.name} | [`{check.id}`]({url}) | {_cell(check.what)} | {ours(check)} |")
    return "\n".join(out) + "\n"


def readme_block(peers: list[Peer]) -> str:
    """README's `coverage` block: the counts per peer."""
    return "\n".join(counts_table(peers)) + "\n"


def _catalogue() -> set[str]:
    sys.path.insert(0, str(ROOT))
    from gitops_tools.policies import load_policies

    return set(load_policies())


def _readme_with(block: str) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from readme import replace_block

    return replace_block(README.read_text(encoding="utf-8"), BLOCK_NAME, block)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if the page or README is stale; write nothing")
    args = parser.parse_args()
    peers = load_peers()
    found = [problem for peer in peers for problem in problems(peer, _catalogue())]
    if found:
        print("\n".join(found), file=sys.stderr)
        return 1
    page, readme = render_page(peers), _readme_with(readme_block(peers))
    if args.check:
        stale = [name for name, path, text in (("docs/coverage.md", PAGE, page), ("README.md", README, readme))
                 if not path.is_file() or path.read_text(encoding="utf-8") != text]
        print(f"stale: {', '.join(stale)} (run `make docs`)" if stale else "coverage docs are fresh")
        return 1 if stale else 0
    PAGE.write_text(page, encoding="utf-8")
    README.write_text(readme, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
