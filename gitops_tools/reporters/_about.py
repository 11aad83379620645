"""What the installed distribution says about itself: its version and the URLs of pyproject's `[project.urls]`.

Reports that name the tool (SARIF's `tool.driver`) take them from the package metadata, so a fork or a release under
another address needs no code change. Run from a checkout that was never installed, there is no metadata: the
version comes from the package and the URLs are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata

from gitops_tools import __version__

DISTRIBUTION = "gitops-tools"


@dataclass(frozen=True)
class About:
    version: str
    homepage: str | None = None  # [project.urls] Homepage
    rules: str | None = None  # [project.urls] Rules: the generated catalogue, one `## <policy-id>` heading per rule


def about() -> About:
    try:
        meta = metadata.metadata(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return About(__version__)
    urls = dict(_label_and_url(entry) for entry in meta.get_all("Project-URL") or [])
    return About(meta["Version"] or __version__, urls.get("homepage"), urls.get("rules"))


def _label_and_url(entry: str) -> tuple[str, str]:
    """`Homepage, https://...` as ("homepage", "https://..."): labels are matched without case."""
    label, _, url = entry.partition(",")
    return label.strip().lower(), url.strip()
