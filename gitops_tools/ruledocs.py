"""Rule documentation rendered from policy files: the one-line list, `explain`, and the markdown catalogue."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gitops_tools.model import Parameter, Policy, Targets
from gitops_tools.resources import data_root

SCOPE_WORDS = {
    "document": "each matching document",
    "pod-template": "the pod of every workload: its metadata and spec",
    "pod-spec": "the pod spec of every workload",
    "container": "each container of every workload",
    "file": "each file",
    "workspace": "every Kubernetes object of the run at once",
    "repository": "the repository as a whole (its file list), once per run that lints its root folder",
}


def display_source(source: str) -> str:
    """Built-in policy files as `schemas/...`, custom ones as given."""
    path = Path(source)
    return path.relative_to(data_root()).as_posix() if path.is_relative_to(data_root()) else source


def rule_line(policy: Policy, pin: str | None = None) -> str:
    """One policy: id, severity, title, whether it is opt-in, the pack it comes from, and whether it is newer than its
    pin (the config's policy set, or a pack's pin for the pack's policies)."""
    from gitops_tools.policyset import beyond_pin

    state = "" if policy.enabled else "  (opt-in)"
    if policy.pack is not None:
        state += f"  (pack {policy.pack})"
    if beyond_pin(policy, pin) and policy.pack is not None:
        state += f"  (new in {policy.pack.name} {policy.since}, after your pin {pin}: not run)"
    elif beyond_pin(policy, pin):
        state += f"  (new in {policy.since}, after your policy_set {pin}: not run)"
    return f"{policy.id:<48} {policy.severity!s:<8} {policy.title}{state}"


def describe_targets(targets: Targets) -> str:
    text = SCOPE_WORDS[targets.scope]
    if targets.scope == "document" and targets.domain is not None:
        text += f" of the {targets.domain} domain"
    if targets.scope == "container" and len(targets.containers) < 3:
        text += f" (only {', '.join(targets.containers)})"
    if targets.kinds:
        text += f"; kinds: {', '.join(sorted(targets.kinds))}"
    if targets.exclude_kinds:
        text += f"; except kinds: {', '.join(sorted(targets.exclude_kinds))}"
    if targets.files:
        text += f"; files: {', '.join(targets.files)}"
    return text


def explain_text(policy: Policy, profiles: tuple[str, ...] = ()) -> str:
    """`explain`'s page of one policy; `profiles`: the profiles that run it (each with the control it implements)."""
    lines = [
        f"{policy.id}: {policy.title}",
        f"severity: {policy.severity}{'' if policy.enabled else ' (opt-in: enable it in .gitops-tools.yaml)'}",
        *([f"category: {policy.category.name} ({policy.category.description})"] if policy.category else []),
        f"applies to: {describe_targets(policy.targets)}",
        f"source: {display_source(policy.source)}",
        *([f"pack: {policy.pack}"] if policy.pack else []),
        *([f"since: {policy.since}" + (f" (of pack {policy.pack.name})" if policy.pack else "")] if policy.since
          else []),
        *([f"formerly: {', '.join(policy.aliases)}"] if policy.aliases else []),
        *([f"profiles: {', '.join(profiles)}"] if profiles else []),
        "",
        policy.docs.rstrip(),
    ]
    if policy.fix:
        lines += ["", f"Fix: {policy.fix}"]
    if policy.parameters:
        lines += ["", f"Parameters (override under policies.{policy.id}.parameters in .gitops-tools.yaml):",
                  *(f"  {line}" for line in parameter_lines(policy.parameters))]
    lines += _example_lines(policy.examples, "Fails", "fail")
    lines += _example_lines(policy.examples, "Passes", "pass")
    if policy.references:
        lines += ["", "References:", *(f"  {ref}" for ref in policy.references)]
    return "\n".join(lines) + "\n"


def parameter_lines(parameters: Iterable[Parameter]) -> list[str]:
    """One line per parameter: name, default (as JSON) and what it means."""
    return [f"`{p.name}` (default `{json.dumps(p.default, ensure_ascii=False)}`): {p.description}" for p in parameters]


def _example_lines(examples: dict[str, list[Any]], title: str, key: str) -> list[str]:
    text = _first_text_example(examples, key)
    return ["", f"{title}:", *("    " + line for line in text.splitlines())] if text else []


def _first_text_example(examples: dict[str, list[Any]], key: str) -> str | None:
    """The first example given as text; an example of several files is shown as one text, each file under a
    `# <path>` comment line."""
    texts = [e if isinstance(e, str) else e.get("text") or _files_text(e.get("files")) for e in examples.get(key, [])]
    return next((text.rstrip() for text in texts if text), None)


def _files_text(files: dict[str, str] | None) -> str | None:
    if not files:
        return None
    return "\n".join(f"# {name}\n{text.rstrip()}" for name, text in files.items())


def markdown_catalogue(policies: Iterable[Policy]) -> str:
    ordered = sorted(policies, key=lambda p: (p.source.rsplit("/", 2)[-2], p.id))
    out = ["# Policy catalogue", "", "Generated by `gitops-tools rules --format markdown` from the policy files; "
           "do not edit by hand.", "", "| id | severity | default | title |", "| --- | --- | --- | --- |"]
    out += [f"| [`{p.id}`](#{p.id}) | {p.severity} | {'on' if p.enabled else 'opt-in'} | {p.title} |"
            for p in ordered]
    for policy in ordered:
        category = f" Category: {policy.category.name}." if policy.category else ""
        category += f" Pack: {policy.pack}." if policy.pack else ""
        out += ["", f"## {policy.id}", "", f"**{policy.title}**. Severity: `{policy.severity}`"
                f"{'' if policy.enabled else ' (opt-in)'}.{category} Applies to {describe_targets(policy.targets)}.",
                "",
                policy.docs.rstrip()]
        if policy.fix:
            out += ["", f"Fix: {policy.fix}"]
        if policy.parameters:
            out += ["", f"Parameters (override them under `policies.{policy.id}.parameters` in `.gitops-tools.yaml`):",
                    "",
                    *(f"- {line}" for line in parameter_lines(policy.parameters))]
        for title, key in (("Failing example", "fail"), ("Passing example", "pass")):
            text = _first_text_example(policy.examples, key)
            if text:
                out += ["", f"{title}:", "", "```yaml", text, "```"]
    return "\n".join(out) + "\n"
