"""JUnit XML, for CI test-report views (GitLab `artifacts:reports:junit`, Jenkins, Azure Pipelines, ...).

One `<testsuite name="gitops-tools">` with one `<testcase classname="gitops-tools" name="<file>">` per linted file,
in path order. A file with findings fails, with one `<failure>` per finding: message `[policy-id] message`, type
the severity, text the `path:line:col: severity [policy-id] message` line. A finding outside the linted files (a
config file entry) gets a testcase of its own. `failures` counts failing testcases, so it never exceeds `tests`.
A result that does not list its files (built by hand) reports the files with findings plus one passing testcase
for the rest: `all other files (N)`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TextIO

from gitops_tools.findings import Finding, LintResult, described
from gitops_tools.reporters import Style
from gitops_tools.reporters.text import format_finding

SUITE = "gitops-tools"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")  # chars XML 1.0 cannot hold


def report(result: LintResult, stream: TextIO, style: Style) -> None:
    by_path: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_path.setdefault(finding.location.path, []).append(finding)
    cases = [testcase(path, by_path.get(path, [])) for path in sorted(set(result.paths) | set(by_path))]
    others = result.files - len(by_path)
    if not result.paths and others > 0:
        cases.append(testcase(f"all other files ({others})", []))
    failing = sum(1 for case in cases if case.find("failure") is not None)
    suite = ET.Element("testsuite", name=SUITE, tests=str(len(cases)), failures=str(failing), errors="0",
                       skipped="0")
    suite.extend(cases)
    ET.indent(suite)
    # Character references for anything outside ASCII: the report stays valid whatever the stream's encoding.
    text = ET.tostring(suite, encoding="unicode").encode("ascii", "xmlcharrefreplace").decode("ascii")
    stream.write(f'<?xml version="1.0" encoding="UTF-8"?>\n{text}\n')


def testcase(name: str, findings: list[Finding]) -> ET.Element:
    case = ET.Element("testcase", classname=SUITE, name=xml_safe(name))
    for finding in findings:
        failure = ET.SubElement(case, "failure", message=xml_safe(f"[{finding.policy_id}] {described(finding)}"),
                                type=str(finding.severity))
        failure.text = xml_safe(format_finding(finding))
    return case


def xml_safe(text: str) -> str:
    """Control characters (from file content) as visible escapes: XML 1.0 cannot hold them even escaped."""
    return _NOT_XML.sub(lambda match: f"\\x{ord(match.group()):02x}" if ord(match.group()) < 0x100
                        else f"\\u{ord(match.group()):04x}", text)
