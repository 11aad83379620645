"""The sample repo behind `make demo` shows exactly its deliberate mistakes, at the right positions."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

EXPECTED = [
    "examples/shop/base/deployment.yaml:36:11: error [container-image-tag-not-latest]",
    "examples/shop/base/deployment.yaml:42:15: error [container-env-secret-not-literal]",
    "examples/shop/base/deployment.yaml:49:13: error [container-memory-limit-set]",
    "examples/shop/base/rbac.yaml:11:13: error [rbac-rules-no-wildcards]",
    "examples/shop/base/rbac.yaml:17:1: warning [rbac-binding-role-not-dangerous]",
    "examples/shop/base/service.yaml:9:3: warning [service-type-not-node-port]",
]


@pytest.mark.slow
def test_demo_prints_the_sample_findings_and_succeeds(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples" / "shop", tmp_path / "examples" / "shop")  # the demo never writes in the checkout
    done = subprocess.run([sys.executable, "examples/demo.py", "--root", str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    finding_lines = [line for line in done.stdout.splitlines() if line.startswith("examples/shop/")]
    assert [line.split("] ", 1)[0] + "]" for line in finding_lines] == EXPECTED
    # the sample's overlay is rendered too: its findings are the files' own, so none is added
    summary = re.search(r"^Found 6 findings: 4 errors, 2 warnings \(6 files, 8 documents, (\d+) policies, "
                        r"1 kustomization rendered\)\.$", done.stdout, re.M)
    assert summary is not None, done.stdout
    # as many policies as README's demo block shows (make docs writes it): a new domain's policies run on its files too
    assert summary.group(0) in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "container-env-secret-not-literal: Secret-looking" in done.stdout
    assert "Created .demo/demo-api from scaffold service" in done.stdout
    assert "$ gitops-tools lint .demo/demo-api\nNo findings (" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_sample_lines_hold_what_the_findings_name() -> None:
    deployment = (ROOT / "examples/shop/base/deployment.yaml").read_text(encoding="utf-8").splitlines()
    assert deployment[35][10:].startswith("image: registry.example.com/shop/checkout:latest")
    assert deployment[41][14:].startswith("value: sk_live_do_not_commit")
    assert deployment[48][12:].startswith("limits:")
