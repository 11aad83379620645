"""Phase 3, classify: which documents are Kubernetes objects (a list document is one per item), and what each
one's exemption annotation says. The rules are data (schemas/resources/documents.yaml)."""

from __future__ import annotations

from gitops_tools.engine import Classified, Engine
from gitops_tools.loading import LoadedFile


def classify(loaded: LoadedFile, engine: Engine, *, documents: bool = True) -> list[Classified]:
    """Every resource of the file, in document order; none when `documents` is off (a kustomize patch)."""
    found = []
    for document in loaded.documents if documents else ():
        for prefix, resource, rtype in engine.classifier.resources(document.data):
            exempt, problems = engine.exemptions(resource)
            found.append(Classified(document, prefix, resource, rtype, exempt, problems))
    return found
