"""Validate a scaffold's answers before anything is rendered. Standard library only (plain cookiecutter runs it).

The rules are data, in the scaffold's cookiecutter.json: `_rules` maps an answer to a rule name (with an optional
`:max-length`), `_distinct` lists answers that must differ. This file is identical in every scaffold (a test keeps
the copies in step) and `gitops-tools new` imports it to validate answers before calling cookiecutter.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
RULES: dict[str, tuple[str, str]] = {
    "dns-label": (rf"^{LABEL}$", "a DNS-1123 label: lowercase letters, digits and '-', starting and ending with an"
                                 " alphanumeric"),
    "dns-label-list": (rf"^{LABEL}(,{LABEL})*$", "a comma-separated list of DNS-1123 labels"),
    "hostname": (rf"^{LABEL}(\.{LABEL})+$", "a DNS name such as orders.example.com"),
    "slug": (r"^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$", "lowercase letters, digits, '-', '_' and '.'"),
    "image-repository": (rf"^{LABEL}(\.{LABEL})*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)+$",
                         "a registry and repository path such as ghcr.io/example"),
    "git-host": (rf"^{LABEL}(\.{LABEL})+(/[A-Za-z0-9_.-]+)+$", "a git host and organisation such as github.com/acme"),
    "git-url": (r"^(https://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9_.~-]+)+|git@[A-Za-z0-9.-]+:[A-Za-z0-9_./~-]+)$",
                "an https:// or git@ URL of a git repository"),
    "git-rev": (r"^[A-Za-z0-9][A-Za-z0-9._/-]*$", "a tag, branch or commit"),
    "port": (r"^[0-9]{4,5}$", "an unprivileged port number, 1024-65535"),
    "text": (r"^[^\x00-\x1f\x7f]*$", "one line of text"),
}
TEMPLATE_SYNTAX = re.compile(r"[{][{]|[{][%]|[{][#]|[%][}]|[}][}]")  # spelled so Jinja sees no tags here


def problems(answers: dict[str, Any]) -> list[str]:
    """Every reason the answers cannot be rendered, one message per answer."""
    found = []
    for key, value in answers.items():
        if key.startswith("_") or not isinstance(value, str):
            continue
        if TEMPLATE_SYNTAX.search(value):
            found.append(f"{key}: {value!r} contains template syntax; answers are plain values")
        elif ".." in value.split("/") or value.startswith("/") or "\\" in value:
            found.append(f"{key}: {value!r} looks like a path; answers may not point outside the repo")
    for key, spec in answers.get("_rules", {}).items():
        found.extend(_check(key, answers.get(key), spec))
    for group in answers.get("_distinct", []):
        values = [answers.get(key) for key in group]
        if len(set(values)) < len(values):
            found.append(f"{', '.join(group)} must all differ (got {', '.join(map(str, values))})")
    return found


def _check(key: str, value: Any, spec: str) -> list[str]:
    rule, _, limit = spec.partition(":")
    pattern, meaning = RULES[rule]
    text = str(value) if value is not None else ""
    if not text:
        return [f"{key}: an answer is required ({meaning})"]
    if not re.match(pattern, text):
        return [f"{key}: {text!r} is not {meaning}"]
    if rule == "port" and not 1024 <= int(text) <= 65535:
        return [f"{key}: {text} is not {meaning}"]
    parts = text.split(",") if rule.endswith("-list") else [text]
    if rule.endswith("-list") and len(set(parts)) < len(parts):
        return [f"{key}: {text!r} repeats an entry"]
    too_long = [part for part in parts if limit and len(part) > int(limit)]
    return [f"{key}: {part!r} is longer than {limit} characters" for part in too_long]


if __name__ == "__main__":
    found = problems(json.loads({{ cookiecutter | jsonify | tojson }}))
    for message in found:
        print(f"error: {message}", file=sys.stderr)
    sys.exit(1 if found else 0)
