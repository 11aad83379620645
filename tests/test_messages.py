"""Finding messages name what is missing: `{missing}` in a policy's message becomes the keys the object lacks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_tools.config import Config
from gitops_tools.lint import LintOptions, LintResult, lint
from gitops_tools.policies import load_policies

LintText = Callable[..., LintResult]
LABELS = "recommended-labels-set"
SERVICE = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"


@pytest.mark.parametrize(
    ("metadata", "position", "message"),
    [
        pytest.param("  labels: {app.kubernetes.io/name: web}\n", (5, 3),
                     "recommended labels missing: app.kubernetes.io/instance", id="instance"),
        pytest.param("  labels: {app.kubernetes.io/instance: web-prod}\n", (5, 3),
                     "recommended labels missing: app.kubernetes.io/name", id="name"),
        pytest.param("  labels: {app: web}\n", (5, 3),
                     "recommended labels missing: app.kubernetes.io/name, app.kubernetes.io/instance", id="both"),
        pytest.param("", (3, 1),
                     "recommended labels missing: app.kubernetes.io/name, app.kubernetes.io/instance", id="no-labels"),
        pytest.param("  labels: {app.kubernetes.io/name: '', app.kubernetes.io/instance: web-prod}\n", (5, 12),
                     "recommended labels missing: app.kubernetes.io/name", id="empty-value"),
    ],
)
def test_recommended_labels_set_names_the_missing_labels(lint_text: LintText, metadata: str,
                                                         position: tuple[int, int], message: str) -> None:
    result = lint_text(SERVICE + metadata, select=(LABELS,))
    assert [(f.location.line, f.location.col, f.message) for f in result.findings] == [(*position, message)]


def test_one_finding_per_object_whatever_number_of_labels_it_lacks(lint_text: LintText) -> None:
    both = lint_text(SERVICE + "  labels: {app: web}\n", select=(LABELS,)).findings
    one = lint_text(SERVICE + "  labels: {app.kubernetes.io/name: web}\n", select=(LABELS,)).findings
    assert len(both) == len(one) == 1
    assert both[0].fingerprint == one[0].fingerprint, "the fingerprint is the object's, not the keys it lacks"


CUSTOM = """\
id: team-owner-set
title: ConfigMaps name their owning team
severity: warning
message: "{message}"
targets:
  scope: document
  kinds: [ConfigMap]
schema:
  required: [metadata]
  properties:
    metadata:
      required: [annotations, labels]
      properties:
        annotations: {{$ref: "#/$defs/owned"}}
        labels:
          required: [team, tier]
  $defs:
    owned: {{required: [owner]}}
docs: |
  Every ConfigMap names the team that owns it, so the team can be found from the object alone.
examples:
  pass:
    - |
      kind: ConfigMap
      metadata: {{annotations: {{owner: a}}, labels: {{team: a, tier: b}}}}
  fail:
    - "kind: ConfigMap"
"""


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param("ownership missing: {missing}", "ownership missing: annotations, team, tier", id="named"),
        pytest.param("configmap has no owner", "configmap has no owner", id="unchanged-without-the-placeholder"),
    ],
)
def test_a_custom_policy_names_missing_keys_through_its_message(tmp_path: Path, message: str, expected: str) -> None:
    """Keys a missing key's own schema requires are named in its place; one behind a $ref is named as itself."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "team-owner-set.yaml").write_text(CUSTOM.format(message=message), encoding="utf-8")
    (tmp_path / "cm.yaml").write_text("kind: ConfigMap\nmetadata: {name: web}\n", encoding="utf-8")
    policies = load_policies([tmp_path / "policies"])
    result = lint([str(tmp_path / "cm.yaml")], Config(root=tmp_path), policies, LintOptions(select=("team-owner-set",)))
    assert [(f.location.line, f.message) for f in result.findings] == [(2, expected)]
