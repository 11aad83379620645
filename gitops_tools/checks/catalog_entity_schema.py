"""A Backstage catalog entity against the catalog model's own schemas (schemas/vendor/backstage-catalog/): first the
envelope (apiVersion, kind, metadata.name), as the catalog does; with a valid envelope, the schema of its kind (which
includes the Entity and metadata schemas). An apiVersion outside the model's groups (backstage.io,
scaffolder.backstage.io), a platform's own kind, is checked against the Entity schema alone.

Backstage substitutes placeholders (`definition: {$text: ./openapi.yaml}`, `$json`, `$yaml`) before it validates,
with the content of the file they name, which a lint does not read: a placeholder reads as text here."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from gitops_tools.checks import Violation


@cache
def _model() -> Any:
    from gitops_tools.checks import _catalog_model

    return _catalog_model.load()


def check(entity: Any) -> Iterator[Violation]:
    """An empty document (`---` twice in a row) is no entity, and Backstage skips it too."""
    from gitops_tools.checks import _catalog_model, _vendored_schema

    if entity is None:
        return

    model = _model()
    entity = _placeholders_as_text(entity)
    envelope = list(_vendored_schema.violations(model.validator("EntityEnvelope"), entity))
    if envelope or not isinstance(entity, dict):
        yield from envelope
        return
    validator, unknown = _catalog_model.validator_for(model, entity)
    if unknown is not None:
        yield unknown
    yield from _vendored_schema.violations(validator, entity)


PLACEHOLDERS = frozenset({"$text", "$json", "$yaml"})


def _placeholders_as_text(value: Any) -> Any:
    """The value with each `{$text: ref}` (and $json, $yaml) replaced by its reference, a string."""
    if isinstance(value, dict):
        if len(value) == 1:
            key, ref = next(iter(value.items()))
            if key in PLACEHOLDERS and isinstance(ref, str):
                return ref
        return {key: _placeholders_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_placeholders_as_text(item) for item in value]
    return value
