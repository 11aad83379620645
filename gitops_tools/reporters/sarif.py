"""SARIF 2.1.0, the static-analysis log GitHub code scanning and other SARIF viewers read.

One run. `tool.driver` names the tool by the installed package's metadata (version, `[project.urls]` Homepage, and
Rules for each rule's help link), which the result carries (`result.tool`) because this format sets TOOL_LINKS.
`tool.driver.rules` describes every active policy (title, docs, fix, default level), so a viewer can explain a rule
that found nothing this time; each result points at its rule by id and index.
A rule's `properties.tags` are its category and domain (e.g. `security`, `kubernetes`); a rule whose category is
about security also gets the `security-severity` score its category gives its severity, by which GitHub code
scanning ranks security alerts (critical, high, medium, low). A policy pack's rule names its pack
(`properties.pack`: name and version) and has no `helpUri` (the catalogue holds the built-in rules only). File paths
are relative to the repository root under the `%SRCROOT%` base id, which `originalUriBaseIds` declares, so code
scanning attaches alerts to the right files whatever folder the linter ran from. Each result carries the finding's
content fingerprint as `partialFingerprints["gitopsTools/v1"]`: an alert follows its finding when lines shift. What
a fixer needs besides the region is in the result's `properties`: `document` (0-based index in the file), `pointer`
(RFC 6901, in that document), `detail` (the validator's own words) and `overlays` (the kustomize entry points whose
rendering has the finding, also named in the message), each when the finding has it.
Regions are 1-based; `endColumn` is the column after the last character, as SARIF counts it; columns count Unicode
code points. The output is deterministic: rules by id, results in finding order, no timestamps.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TextIO
from urllib.parse import quote

from gitops_tools.findings import Finding, LintResult, ToolInfo, described
from gitops_tools.model import Location, Policy, Severity
from gitops_tools.reporters import Style, _jsonstream
from gitops_tools.reporters._repopath import STDIN, absolute, finding_repo_path

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT = "gitopsTools/v1"
SRCROOT = "%SRCROOT%"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
TOOL_LINKS = True  # the result carries the installed package's [project.urls]: informationUri and rules' helpUri


def report(result: LintResult, stream: TextIO, style: Style) -> None:
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [sarif_run(result)]}
    _jsonstream.dump(log, sarif_results(result), stream)


def rule_ids(result: LintResult) -> list[str]:
    """The rules the log describes, in order: a finding's policy is normally among the active rules; one that is
    not still gets a descriptor."""
    return sorted(set(result.rules) | {finding.policy_id for finding in result.findings})


def sarif_run(result: LintResult) -> dict[str, Any]:
    """The run, its results marked by _jsonstream.ITEMS (sarif_results writes them one at a time)."""
    package = result.tool
    driver: dict[str, Any] = {"name": package.name, "version": package.version, "semanticVersion": package.version}
    if package.homepage:
        driver["informationUri"] = package.homepage
    driver["rules"] = [rule_descriptor(rule_id, result.rules.get(rule_id), package) for rule_id in rule_ids(result)]
    root = absolute(result, str(result.root)).as_uri()
    return {
        "tool": {"driver": driver},
        "originalUriBaseIds": {SRCROOT: {"uri": root if root.endswith("/") else root + "/",
                                         "description": {"text": "The repository root."}}},
        "columnKind": "unicodeCodePoints",
        "results": _jsonstream.ITEMS,
    }


def sarif_results(result: LintResult) -> Iterator[dict[str, Any]]:
    index = {rule_id: position for position, rule_id in enumerate(rule_ids(result))}
    return (sarif_result(finding, index[finding.policy_id], result) for finding in result.findings)


def rule_descriptor(rule_id: str, policy: Policy | None, package: ToolInfo) -> dict[str, Any]:
    name = "".join(word.capitalize() for word in rule_id.split("-"))  # SARIF wants an identifier-like name
    # The catalogue documents the built-in policies; a pack's policy is explained by `gitops-tools explain`.
    help_uri = f"{package.rules}#{rule_id}" if package.rules and (policy is None or policy.pack is None) else None
    if policy is None:
        see = f"See {help_uri}" if help_uri else f"See `gitops-tools explain {rule_id}`"
        return {"id": rule_id, "name": name, "shortDescription": {"text": rule_id},
                "fullDescription": {"text": rule_id}, "help": {"text": see, "markdown": see},
                **({"helpUri": help_uri} if help_uri else {})}
    return {
        "id": rule_id,
        "name": name,
        "shortDescription": {"text": policy.title},
        "fullDescription": {"text": _first_paragraph(policy.docs) or policy.title},
        "help": {"text": _help(policy, markdown=False), "markdown": _help(policy, markdown=True)},
        **({"helpUri": help_uri} if help_uri else {}),
        "defaultConfiguration": {"level": LEVELS[policy.severity]},
        "properties": rule_properties(policy),
    }


def rule_properties(policy: Policy) -> dict[str, Any]:
    """Tags from the policy's category and domain; a security-severity when its category scores its severity."""
    tags = [tag for tag in (policy.category.name if policy.category else "", policy.domain) if tag]
    properties: dict[str, Any] = {"tags": list(dict.fromkeys(tags))}
    if policy.pack is not None:
        properties["pack"] = {"name": policy.pack.name, "version": policy.pack.version}
    score = policy.category.score(policy.severity) if policy.category else None
    if score is not None:
        properties["security-severity"] = score
    return properties


def _first_paragraph(docs: str) -> str:
    return " ".join(docs.strip().split("\n\n", 1)[0].split())


def _help(policy: Policy, markdown: bool) -> str:
    parts = [policy.docs.strip()]
    if policy.fix:
        parts.append(f"**Fix:** {policy.fix}" if markdown else f"Fix: {policy.fix}")
    if policy.references:
        bullet = "- " if markdown else "  "
        parts.append("\n".join(["**References:**" if markdown else "References:",
                                *(f"{bullet}{reference}" for reference in policy.references)]))
    return "\n\n".join(part for part in parts if part)


def sarif_result(finding: Finding, rule_index: int, result: LintResult) -> dict[str, Any]:
    location = {"artifactLocation": artifact_location(finding, result),
                "region": region(finding.location)}
    record: dict[str, Any] = {
        "ruleId": finding.policy_id,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": described(finding)},
        "locations": [{"physicalLocation": location}],
    }
    if finding.fingerprint:
        record["partialFingerprints"] = {FINGERPRINT: finding.fingerprint}
    fixer = {"document": finding.document, "pointer": finding.pointer, "detail": finding.detail or None,
             "overlays": list(finding.overlays) or None}
    if any(value is not None for value in fixer.values()):
        record["properties"] = {name: value for name, value in fixer.items() if value is not None}
    return record


def artifact_location(finding: Finding, result: LintResult) -> dict[str, Any]:
    """Repository files relative to %SRCROOT%; stdin as `<stdin>` (percent-encoded, no base); others absolute."""
    display = finding.location.path
    relative = finding_repo_path(result, finding)
    if relative is not None:
        return {"uri": quote(relative), "uriBaseId": SRCROOT}
    if display == STDIN:
        return {"uri": quote(display, safe=""), "description": {"text": "standard input"}}
    return {"uri": absolute(result, display).as_uri()}


def region(location: Location) -> dict[str, int]:
    start = (max(location.line, 1), max(location.col, 1))
    end = max(start, (location.end_line or start[0], location.end_col or start[1]))  # never before the start
    return {"startLine": start[0], "startColumn": start[1], "endLine": end[0], "endColumn": end[1]}
