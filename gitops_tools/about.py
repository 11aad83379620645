"""What the installed distribution says about itself: its version and the URLs of pyproject's `[project.urls]`.

Reports that link to the tool (SARIF's `tool.driver`) take them from the package metadata, so a fork or a release
under another address needs no code change. The result phase reads them, once, for a format that asks
(`TOOL_LINKS = True`); reporters only read the result. Run from a checkout that was never installed, there is no
metadata: the version comes from the package and the URLs are left out.
"""

from __future__ import annotations

from gitops_tools import __version__
from gitops_tools.findings import ToolInfo

DISTRIBUTION = "gitops-tools"


def installed_tool() -> ToolInfo:
    """The tool as its installed metadata describes it (importlib.metadata is imported here: it is slow to import)."""
    from importlib import metadata

    try:
        meta = metadata.metadata(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return ToolInfo(DISTRIBUTION, __version__)
    urls = dict(_label_and_url(entry) for entry in meta.get_all("Project-URL") or [])
    return ToolInfo(DISTRIBUTION, meta["Version"] or __version__, urls.get("homepage"), urls.get("rules"))


def _label_and_url(entry: str) -> tuple[str, str]:
    """`Homepage, https://...` as ("homepage", "https://..."): labels are matched without case."""
    label, _, url = entry.partition(",")
    return label.strip().lower(), url.strip()
