"""The config's exempting entries, read as the config is built (gitops_tools/config.py): an `exclude:` glob, and a
`policies:` entry that switches a policy off or changes its severity. Each is recorded (what `gitops-tools
exemptions` lists), its `expires` date is checked strictly (a bad one is a config error at its position), and an
expired one no longer applies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from gitops_tools.errors import ConfigError
from gitops_tools.exemptions import ConfigExemption
from gitops_tools.expiry import expiry_problem, parse_date
from gitops_tools.loading.document import Span
from gitops_tools.model import JsonPath, Location
from gitops_tools.pathmatch import Globs


class ExemptionRecorder:
    """Reads the config's exempting entries as they are built: records each (for `gitops-tools exemptions`), checks
    its `expires` date strictly (a bad one is a config error at its position), and says whether it still applies."""

    def __init__(self, path: Path, locate: Callable[[JsonPath], Span], today: date) -> None:
        self.path, self.locate, self.today = path, locate, today
        self.found: list[ConfigExemption] = []

    def entry(self, policy_id: str, value: dict[str, Any]) -> bool:
        """Whether a `policies:` entry still applies; one that only turns a policy on exempts nothing."""
        exempting = value.get("enabled") is False or "severity" in value or "expires" in value
        if not exempting:
            return True
        what = ", ".join(f"{key}: {str(value[key]).lower()}" for key in ("enabled", "severity") if key in value)
        return self._record(("policies", policy_id), (policy_id,), what or "settings", value)

    def globs(self, policy_ids: tuple[str, ...], rules: Any, where: JsonPath) -> Globs:
        """The exclude globs that still apply."""
        return Globs(rule if isinstance(rule, str) else rule["path"] for index, rule in enumerate(rules)
                     if self._record((*where, index), policy_ids, f"exclude {_glob(rule)}",
                                     rule if isinstance(rule, dict) else {}))

    def _record(self, where: JsonPath, policy_ids: tuple[str, ...], what: str, value: dict[str, Any]) -> bool:
        expires = value.get("expires")
        if expires is not None and parse_date(expires) is None:
            line, col, _, _ = self.locate((*where, "expires"))
            raise ConfigError(f"invalid config: expires {expires!r} is not a calendar date (YYYY-MM-DD)",
                              Location(str(self.path), line, col))
        expired = None if expires is None else expiry_problem(expires, self.today)
        line, col, _, _ = self.locate((*where, "expires") if expired else where)
        self.found.append(ConfigExemption(Location(str(self.path), line, col), policy_ids, what,
                                          str(value.get("reason", "")), expires, expired))
        return expired is None


def _glob(rule: Any) -> str:
    return str(rule if isinstance(rule, str) else rule["path"])
