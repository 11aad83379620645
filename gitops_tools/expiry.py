"""Expiry dates of exemptions and suppressions: `YYYY-MM-DD`, read strictly; an expired one no longer exempts."""

from __future__ import annotations

import re
from datetime import date

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(text: str) -> date | None:
    """The date `text` names, or None unless it is exactly a real calendar date `YYYY-MM-DD`."""
    if not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:  # 2026-02-30, 2026-13-01
        return None


def expiry_problem(text: str, today: date) -> str | None:
    """Why an exemption with this `expires` value no longer exempts (expired, or no readable date), or None."""
    expires = parse_date(text)
    if expires is None:
        return f"expires {text!r} is not a date (YYYY-MM-DD); the exemption no longer applies"
    if expires < today:
        return f"expired on {expires.isoformat()}; renew it with a new date or fix the finding"
    return None
