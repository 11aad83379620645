"""Phase 3, classify: the instances policies look at (each document, each item of a list document, each document
embedded in one), the domains each belongs to, and what each one's exemption annotation says. The rules are data
(schemas/policies/*/domain.yaml)."""

from __future__ import annotations

from gitops_tools.engine import Classified, Engine
from gitops_tools.loading import LoadedFile
from gitops_tools.model import FilePaths


def classify(loaded: LoadedFile, engine: Engine, paths: FilePaths, *, documents: bool = True) -> list[Classified]:
    """Every instance of the file, in document order; none when `documents` is off (a kustomize patch). A document
    of no domain is one only when a policy looks at every document of this file."""
    if not documents or not loaded.documents:
        return []
    classifier = engine.classifier
    allowed = classifier.file_rules(paths, loaded.parser)
    unclassified = engine.sees_unclassified(paths.relpath)
    found = []
    for document in loaded.documents:
        for instance in classifier.classify(document, allowed, unclassified=unclassified):
            exempt, problems = engine.exemptions(instance.data)
            found.append(Classified(instance, exempt, problems))
    return found
