"""How `gitops-tools drift` writes its result: text for people, JSON for scripts, SARIF 2.1.0 for PR checks (code
scanning shows the results on the files). Pure functions of the Drift; FORMATS is what --format offers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TextIO

from gitops_tools.lifecycle.drift import Drift

STATE_FILE = ".scaffold.json"
RULES = {
    "scaffold-behind": ("error", "The repo is behind the scaffold version available: run `gitops-tools update`."),
    "scaffold-conflict": ("error", "A file still holds the conflict markers of an update: resolve them."),
    "scaffold-divergence": ("note", "The repo changed a file the scaffold rendered (customised repos are normal)."),
}


def text(drift: Drift, stream: TextIO, strict: bool) -> None:
    for layer in drift.layers:
        if layer.available is None:
            stream.write(f"{layer.name} {layer.recorded}: not in the template source\n")
        else:
            verdict = "behind, run `gitops-tools update`" if layer.behind else "current"
            stream.write(f"{layer.name} {layer.recorded} (available {layer.available}): {verdict}\n")
    sections = [
        ("Changes an update brings:", [f"{c.change:<8} {c.path}" for c in drift.template_changes]),
        ("Unresolved conflicts:", [f"{path}:{line}" for path, line in drift.conflicts]),
        (f"Diverged from the scaffold's render{'' if strict else ' (fails only with --strict)'}:",
         [f"{c.change:<8} {c.path}" for c in drift.divergence]),
    ]
    for heading, lines in sections:
        if lines:
            stream.write(heading + "\n" + "".join(f"  {line}\n" for line in lines))
    for diff in drift.diffs.values():
        stream.write(diff)


def as_json(drift: Drift, stream: TextIO, strict: bool) -> None:
    document = {
        "behind": drift.behind, "failed": drift.failed(strict),
        "layers": [{"name": layer.name, "recorded": layer.recorded, "available": layer.available,
                    "behind": layer.behind} for layer in drift.layers],
        "template_changes": [{"path": c.path, "change": c.change} for c in drift.template_changes],
        "divergence": [{"path": c.path, "change": c.change, **({"diff": drift.diffs[c.path]}
                                                               if c.path in drift.diffs else {})}
                       for c in drift.divergence],
        "conflicts": [{"path": path, "line": line} for path, line in drift.conflicts],
    }
    stream.write(json.dumps(document, indent=2) + "\n")


def sarif(drift: Drift, stream: TextIO, strict: bool) -> None:
    from gitops_tools import __version__

    rules = sorted(RULES)
    results = [_result(rules, "scaffold-behind", STATE_FILE, 1,
                       f"{layer.name} {layer.recorded} is behind {layer.available}") for layer in drift.layers
               if layer.behind]
    results += [_result(rules, "scaffold-conflict", path, line, f"{path} holds unresolved conflict markers")
                for path, line in drift.conflicts]
    results += [_result(rules, "scaffold-divergence", c.path, None, f"{c.path} {c.change} since the scaffold "
                        "rendered it", "warning" if strict else None) for c in drift.divergence]
    driver = {"name": "gitops-tools", "version": __version__, "semanticVersion": __version__,
              "rules": [{"id": rule, "shortDescription": {"text": RULES[rule][1]},
                         "defaultConfiguration": {"level": RULES[rule][0]}} for rule in rules]}
    log = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
           "runs": [{"tool": {"driver": driver}, "results": results}]}
    stream.write(json.dumps(log, indent=2) + "\n")


def _result(rules: list[str], rule: str, path: str, line: int | None, message: str,
            level: str | None = None) -> dict[str, Any]:
    from urllib.parse import quote

    location: dict[str, Any] = {"artifactLocation": {"uri": quote(path), "uriBaseId": "%SRCROOT%"}}
    if line:
        location["region"] = {"startLine": line}
    return {"ruleId": rule, "ruleIndex": rules.index(rule), "level": level or RULES[rule][0],
            "message": {"text": message}, "locations": [{"physicalLocation": location}]}


FORMATS: dict[str, Callable[[Drift, TextIO, bool], None]] = {"text": text, "json": as_json, "sarif": sarif}
