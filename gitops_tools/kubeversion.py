"""The Kubernetes version a run targets: what the API server the manifests are applied to serves.

A run has one target, decided once (`target_version`): `--kubernetes-version`, else the config's
`kubernetes_version`, else `DEFAULT`. Policies whose verdict depends on it (an apiVersion removed in 1.22 is fine on a
1.21 cluster) read it from the engine, so the same file can be clean for one cluster and wrong for another.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_VERSION = re.compile(r"v?1\.(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,3}))?")


class KubernetesVersion(NamedTuple):
    """A Kubernetes minor release, `1.N` (patch releases never add or remove an API)."""

    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    @classmethod
    def parse(cls, text: str) -> KubernetesVersion:
        """`1.N` (also `v1.N`, `1.N.P`: the patch is ignored); raises ValueError saying what is accepted."""
        match = _VERSION.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"{text!r} is not a Kubernetes version: write it 1.N, e.g. {DEFAULT}")
        version = cls(1, int(match.group(1)))
        if version > NEWEST:
            raise ValueError(f"Kubernetes {version} is newer than this gitops-tools knows (its data covers up to "
                             f"{NEWEST}): upgrade gitops-tools, or target {NEWEST}")
        return version


# The newest minor release the bundled data covers (schemas/vendor/pluto-versions.yaml lists removals up to it; a
# test keeps the two in step), and the default target: a recent stable release.
NEWEST = KubernetesVersion(1, 36)
DEFAULT = NEWEST


def target_version(flag: KubernetesVersion | None, configured: KubernetesVersion | None) -> KubernetesVersion:
    """The run's target: the command line's, else the config file's, else the default."""
    return flag or configured or DEFAULT
