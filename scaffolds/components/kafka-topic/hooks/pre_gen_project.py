"""Validate a scaffold's answers before anything is rendered. Standard library only (plain cookiecutter runs it).

The rules are data, in the scaffold's cookiecutter.json: `_rules` maps an answer to a rule name (with an optional
`:max-length`; a rule ending in `-list` is a comma-separated list of that rule's items), `_distinct` lists answers
that must differ (compared as values: ports as numbers). Every rule matches the whole answer. This file is identical
in every scaffold (a test keeps the copies in step) and `gitops-tools new` imports it: `problems` checks a whole set
of answers, `answer_problems` one answer given those before it (as each question is asked), `describe` words a rule.
Run by cookiecutter, it also refuses answers that replace the scaffold's own `_` settings.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
RULES: dict[str, tuple[str, str]] = {
    "dns-label": (LABEL, "a DNS-1123 label: lowercase letters, digits and '-', starting and ending with an"
                         " alphanumeric"),
    "hostname": (rf"{LABEL}(\.{LABEL})*\.[a-z]([-a-z0-9]*[a-z0-9])?", "a DNS name such as orders.example.com"),
    "slug": (r"[a-z0-9]([-a-z0-9_.]*[a-z0-9])?", "lowercase letters, digits, '-', '_' and '.'"),
    "image-repository": (rf"{LABEL}(\.{LABEL})*(:[1-9][0-9]*)?(/[a-z0-9]+([._-][a-z0-9]+)*)+",
                         "a registry and repository path such as ghcr.io/example"),
    "git-host": (rf"{LABEL}(\.{LABEL})+(/[A-Za-z0-9_-]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?)+",
                 "a git host and organisation such as github.com/acme"),
    "git-url": (r"https://[A-Za-z0-9.-]+(:[1-9][0-9]*)?(/[A-Za-z0-9_~-][A-Za-z0-9_.~-]*)+"
                r"|git@[A-Za-z0-9.-]+:[A-Za-z0-9_~-][A-Za-z0-9_./~-]*", "an https:// or git@ URL of a git repository"),
    "git-rev": (r"v?[0-9]+(\.[0-9]+)+([-+][0-9A-Za-z.+-]+)?|[0-9a-f]{40}",
                "a version tag such as v1.4.0 or a full commit SHA (a branch is no pin)"),
    "port": (r"[1-9][0-9]{3,4}", "an unprivileged port number, 1024-65535, without leading zeros"),
    "text": ("[^\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]+",
             "one line of text (no line breaks or control characters)"),
}
TEMPLATE_SYNTAX = re.compile(r"[{][{]|[{][%]|[{][#]|[%][}]|[}][}]|[#][}]")  # spelled so Jinja sees no tags here
# What YAML 1.1 or 1.2 reads as a boolean, null, number or date when unquoted: a name must stay a string.
YAML_NOT_TEXT = re.compile(
    r"y|n|yes|no|on|off|true|false|null|[-+]?[0-9][0-9_]*([.:][0-9_]*)*([e][-+]?[0-9]+)?"
    r"|0x[0-9a-f_]+|0o[0-7_]+|0b[01_]+|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([-t:.0-9]*)?", re.IGNORECASE)


def problems(answers: dict[str, Any]) -> list[str]:
    """Every reason the answers cannot be rendered, one message per answer."""
    keys = [key for key in answers if not key.startswith("_")]
    keys += [key for key in answers.get("_rules", {}) if key not in answers]
    return [message for key in keys for message in answer_problems(key, answers)]


def answer_problems(key: str, answers: dict[str, Any]) -> list[str]:
    """Why the answer to `key` cannot be used, given the answers before it in `answers` (and its `_rules`)."""
    value, spec = answers.get(key), answers.get("_rules", {}).get(key)
    if isinstance(value, str) and TEMPLATE_SYNTAX.search(value):
        return [f"{key}: {value!r} contains template syntax; answers are plain values"]
    if isinstance(value, str) and not str(spec).startswith("text") and (
            ".." in value.split("/") or value.startswith("/") or "\\" in value):
        return [f"{key}: {value!r} looks like a path; answers may not point outside the repo"]
    found = _check(key, value, spec) if spec else []
    return found or _collisions(key, answers)


def describe(spec: str) -> str:
    """A rule in words, e.g. 'a comma-separated list of: a DNS-1123 label ... (each at most 20 characters)'."""
    rule, _, limit = spec.partition(":")
    listed = rule.endswith("-list")
    meaning = RULES[rule.removesuffix("-list")][1]
    if listed:
        meaning = f"a comma-separated list, no item empty or repeated, each {meaning}"
    if limit:
        meaning += f" ({'each ' if listed else ''}at most {limit} characters)"
    return meaning


def _check(key: str, value: Any, spec: str) -> list[str]:
    rule, _, limit = spec.partition(":")
    text = str(value) if value is not None else ""
    if not text:
        return [f"{key}: an answer is required ({describe(spec)})"]
    if not rule.endswith("-list"):
        return _check_item(key, text, rule.removesuffix("-list"), limit, spec)
    items = text.split(",")
    if "" in items:
        return [f"{key}: {text!r} has an empty item ({describe(spec)})"]
    repeated = sorted({item for item in items if items.count(item) > 1})
    if repeated:
        return [f"{key}: {text!r} repeats {', '.join(map(repr, repeated))}"]
    return [message for item in items for message in _check_item(key, item, rule.removesuffix("-list"), limit, spec)]


def _check_item(key: str, text: str, rule: str, limit: str, spec: str) -> list[str]:
    pattern, _ = RULES[rule]
    if not re.fullmatch(pattern, text):
        return [f"{key}: {text!r} is not {describe(spec)}"]
    if rule == "port" and not 1024 <= int(text) <= 65535:
        return [f"{key}: {text} is not {describe(spec)}"]
    if rule not in ("text", "port") and YAML_NOT_TEXT.fullmatch(text):
        return [f"{key}: {text!r} reads as a boolean, number, date or null in YAML; choose a name with letters"]
    if limit and len(text) > int(limit):
        return [f"{key}: {text!r} is longer than {limit} characters"]
    return []


def _collisions(key: str, answers: dict[str, Any]) -> list[str]:
    """`key` against the answers before it that must differ from it, compared as values (ports as numbers)."""
    earlier = list(answers)[: list(answers).index(key)] if key in answers else []
    found = []
    for group in answers.get("_distinct", []):
        same = [other for other in group if other in earlier and key in group
                and _value(other, answers) == _value(key, answers)]
        found.extend(f"{key}: {answers.get(key)} is also the answer to {other}; {', '.join(group)} must all differ"
                     for other in same)
    return found


def _value(key: str, answers: dict[str, Any]) -> object:
    text = str(answers.get(key, ""))
    rule = str(answers.get("_rules", {}).get(key, "")).partition(":")[0]
    return int(text) if rule == "port" and text.isascii() and text.isdigit() else text


def overridden(answers: dict[str, Any], own: dict[str, Any]) -> list[str]:
    """The scaffold's own `_` settings (rules, expansions...) that an answer replaced: cookiecutter lets extra
    context overwrite them, which would turn validation off or send files elsewhere."""
    return [f"{key} is a setting of the scaffold, not a question; it cannot be answered"
            for key, value in own.items() if answers.get(key) != value]


if __name__ == "__main__":
    ANSWERS = json.loads({{ cookiecutter | jsonify | tojson }})
    found = overridden(ANSWERS, json.loads({{ scaffold_own_settings | jsonify | tojson }})) or problems(ANSWERS)
    for message in found:
        print(f"error: {message}", file=sys.stderr)
    sys.exit(1 if found else 0)
