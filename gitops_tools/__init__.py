"""gitops-tools: golden-path scaffolds and policy linters for GitOps repositories."""

from __future__ import annotations

__version__ = "0.6.0"
