"""Policy-set versions: each policy records the version that introduced it (`since`), and a config may pin the set
(`policy_set`) so that upgrading gitops-tools never adds policies to a fleet's run before the pin is raised."""

from __future__ import annotations

import re
from collections.abc import Iterable

from gitops_tools.model import Policy

VERSION = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
FIRST = "0.1.0"  # the first policy set: no pin may be older


def parse_version(text: str) -> tuple[int, ...]:
    """`"0.10.0"` as `(0, 10, 0)`: compared as numbers, so 0.10.0 is newer than 0.9.0. A ValueError if malformed."""
    if VERSION.fullmatch(text) is None:
        raise ValueError(f"{text!r} is not a version (MAJOR.MINOR.PATCH, e.g. 0.1.0)")
    return tuple(int(part) for part in text.split("."))


def beyond_pin(policy: Policy, pin: str | None) -> bool:
    """Whether the policy is newer than the pinned set, and so does not run (a policy without `since`, or a run
    without a pin, always runs)."""
    return pin is not None and policy.since is not None and parse_version(policy.since) > parse_version(pin)


def newer_than(policies: Iterable[Policy], pin: str | None) -> list[Policy]:
    """The policies a pin leaves out, by id."""
    return sorted((policy for policy in policies if beyond_pin(policy, pin)), key=lambda policy: policy.id)


def pin_problem(pin: str, installed: str) -> str | None:
    """Why `pin` cannot be used with the installed version, else None."""
    try:
        wanted = parse_version(pin)
    except ValueError as err:
        return str(err)
    if wanted > parse_version(installed):
        return f"{pin} is newer than the installed gitops-tools {installed}: upgrade gitops-tools first"
    if wanted < parse_version(FIRST):
        return f"{pin} is older than the first policy set, {FIRST}"
    return None
