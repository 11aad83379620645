"""Custom resources in whole runs: a repository with its own CRD (good and bad fixtures at exact lines), the config's
`crds:` key, CRDs found in other files of the run (in a worker pool too), unknown kinds reported once per run and
silenced per kind, and what never counts as a custom resource."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import CliRun, FileWriter, FixtureLint, ProcessRun, TreeLint, sorted_spots

from gitops_tools.config import Config, load_config
from gitops_tools.errors import ConfigError
from gitops_tools.lint import LintOptions, lint
from gitops_tools.model import Policy, Severity

FIXTURES = Path(__file__).parent / "fixtures" / "custom-resources"
STRUCTURE, KNOWN = "custom-resource-structure-valid", "custom-resource-schema-known"
BACKUPS, MONITORING, DELIVERY = "apps/web/backups.yaml", "apps/web/monitoring.yaml", "platform/delivery.yaml"
BAD = [
    (BACKUPS, 6, 3, STRUCTURE),  # metadata.labelz: ObjectMeta has no such field
    (BACKUPS, 8, 3, STRUCTURE),  # schedule shorter than minLength
    (BACKUPS, 9, 15, STRUCTURE),  # retention.days: "14"
    (BACKUPS, 10, 3, STRUCTURE),  # storage: azure, not in the enum
    (BACKUPS, 11, 3, STRUCTURE),  # port: 80.5, neither integer nor text
    (BACKUPS, 13, 3, STRUCTURE),  # embedded target without apiVersion and kind
    (BACKUPS, 15, 3, STRUCTURE),  # colour: not in the CRD's schema
    (BACKUPS, 17, 1, STRUCTURE),  # v1alpha1: the CRD does not serve it
    (MONITORING, 11, 7, STRUCTURE),  # ServiceMonitor endpoint `intervall`
    (MONITORING, 18, 1, STRUCTURE),  # Certificate without secretName
    (MONITORING, 22, 1, KNOWN),  # the first VirtualService only: once per apiVersion and kind
    (DELIVERY, 14, 17, STRUCTURE),  # Application syncPolicy.automated.prune: "yes"
    (DELIVERY, 16, 1, STRUCTURE),  # Flux Kustomization v1beta1: no longer served
]
WIDGET_CRD = (FIXTURES / "good" / "crds" / "backup-schedule.yaml").read_text(encoding="utf-8")
BAD_BACKUP = "apiVersion: backups.example.com/v1\nkind: BackupSchedule\nmetadata: {name: b}\nspec: {colour: 1}\n"


def test_the_good_repository_lints_clean_with_every_policy(lint_fixture: FixtureLint) -> None:
    assert sorted_spots(lint_fixture("good")) == []


def test_the_bad_repository_has_each_finding_at_its_line(lint_fixture: FixtureLint) -> None:
    found = [spot for spot in sorted_spots(lint_fixture("bad")) if spot[3] in (STRUCTURE, KNOWN)]
    assert found == BAD


def test_unknown_kind_is_info_and_says_not_validated(lint_fixture: FixtureLint) -> None:
    [finding] = [f for f in lint_fixture("bad").findings if f.policy_id == KNOWN]
    assert finding.severity == Severity.INFO
    assert finding.message == ("this custom resource was not validated: networking.istio.io/v1 VirtualService: no "
                               "CRD in the bundle, the config's `crds:` or the linted files defines it")


def test_a_crd_in_another_file_of_the_run_validates(lint_tree: TreeLint) -> None:
    result = lint_tree({"crds/backup.yaml": WIDGET_CRD, "apps/backup.yaml": BAD_BACKUP}, select=(STRUCTURE, KNOWN))
    assert [(f.location.path, f.location.line, f.policy_id) for f in result.findings] == [
        ("apps/backup.yaml", 4, STRUCTURE), ("apps/backup.yaml", 4, STRUCTURE)]  # spec: lacks keys; colour unknown


def test_crds_reach_the_worker_processes(tmp_path: Path, write_files: FileWriter,
                                         policies: dict[str, Policy]) -> None:
    """With a pool of workers each file is evaluated in another process: the run's CRDs go with the engine."""
    files = {"crds/backup.yaml": WIDGET_CRD, **{f"apps/b{i}.yaml": BAD_BACKUP for i in range(12)}}
    write_files(files)
    result = lint([str(tmp_path)], Config(root=tmp_path), policies, LintOptions(select=(STRUCTURE,), jobs=2))
    assert len({f.location.path for f in result.findings}) == 12


def test_a_partial_run_uses_the_configs_crds(tmp_path: Path, run_cli: CliRun, write_files: FileWriter) -> None:
    write_files({"crds/backup.yaml": WIDGET_CRD, "apps/backup.yaml": BAD_BACKUP})
    code, out, _ = run_cli("lint", "--select", f"{STRUCTURE},{KNOWN}", "apps/backup.yaml")
    assert code == 0 and f"[{KNOWN}]" in out and "BackupSchedule" in out  # not validated, and said so
    write_files({".gitops-tools.yaml": "crds: [crds]\n"})
    code, out, _ = run_cli("lint", "--select", f"{STRUCTURE},{KNOWN}", "apps/backup.yaml")
    assert code == 1 and "('colour' was unexpected)" in out and KNOWN not in out


def test_the_configs_crd_wins_over_the_bundled_one(lint_tree: TreeLint, tmp_path: Path) -> None:
    own = WIDGET_CRD.replace("backups.example.com", "monitoring.coreos.com").replace("BackupSchedule",
                                                                                    "ServiceMonitor")
    monitor = "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: m}\n" \
              "spec: {schedule: '0 3 * * *', retention: {days: 3}}\n"
    (tmp_path / ".gitops-tools.yaml").write_text("crds: [vendor/monitor-crd.yaml]\n")
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "monitor-crd.yaml").write_text(own)
    result = lint_tree({"monitor.yaml": monitor}, "monitor.yaml",
                       config=load_config(tmp_path / ".gitops-tools.yaml", tmp_path), select=(STRUCTURE,))
    assert result.findings == []  # valid for the repository's CRD, though the bundled ServiceMonitor has no schedule


@pytest.mark.parametrize(("entry", "message"), [
    ("[missing]", "crds: missing not found"),
    ("[../outside]", "is outside the repository"),
    ("[1]", "crds.0: 1 is not of type \"string\""),
])
def test_a_bad_crds_entry_is_a_config_error(tmp_path: Path, entry: str, message: str) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitops-tools.yaml").write_text(f"exclude: []\ncrds: {entry}\n")
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / ".gitops-tools.yaml", tmp_path)
    assert message in str(raised.value) and raised.value.location is not None
    assert (raised.value.location.line, raised.value.location.col) == (2, 8)


def test_a_crd_file_that_does_not_parse_is_a_config_error_at_its_line(tmp_path: Path,
                                                                      run_process: ProcessRun) -> None:
    (tmp_path / "crds").mkdir()
    (tmp_path / "crds" / "a.yaml").write_text(WIDGET_CRD)
    (tmp_path / "crds" / "b.yaml").write_text("apiVersion: v1\nkind: [\n")
    (tmp_path / ".gitops-tools.yaml").write_text("crds: [crds]\n")
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    done = run_process("lint", "cm.yaml")
    assert done.returncode == 2
    assert "crds/b.yaml:3:1: crds:" in done.stderr and "Traceback" not in done.stderr


def test_unknown_kinds_are_reported_once_per_run_and_silenced_per_kind(write_files: FileWriter,
                                                                       run_cli: CliRun) -> None:
    gadget = "apiVersion: gadgets.example.com/v1\nkind: Gadget\nmetadata: {name: g%d}\n"
    files = {f"apps/g{i}.yaml": gadget % i for i in range(3)}
    files["apps/other.yaml"] = "apiVersion: gadgets.example.com/v2\nkind: Gadget\nmetadata: {name: new}\n"
    write_files(files)
    code, out, _ = run_cli("lint", "--select", KNOWN, "--fail-on", "info", "apps")
    assert code == 1
    assert [line.split(": ")[0] for line in out.splitlines()[:-1]] == ["apps/g0.yaml:1:1", "apps/other.yaml:1:1"]
    for ignored in ("gadgets.example.com/Gadget", "Gadget"):
        write_files({".gitops-tools.yaml": f"policies:\n  {KNOWN}:\n    parameters: {{ignored_kinds: [{ignored}]}}\n"})
        code, out, _ = run_cli("lint", "--select", KNOWN, "--fail-on", "info", "apps")
        assert (code, out.splitlines()[0]) == (0, "No findings (4 files, 4 documents, 1 policy).")


def test_documents_of_other_domains_are_no_custom_resources(lint_tree: TreeLint) -> None:
    result = lint_tree({
        "app/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                                  "resources: [cm.yaml]\n",
        "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
        "catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: web}\n"
                             "spec: {type: service, lifecycle: production, owner: team-a}\n",
        "skaffold.yaml": "apiVersion: skaffold/v4beta6\nkind: Config\nmetadata: {name: s}\n",
        "deploy/ingress.yaml": "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: old}\n",
    }, select=(STRUCTURE, KNOWN))
    assert result.findings == []


def test_a_piped_stream_reports_its_unknown_kinds(run_process: ProcessRun) -> None:
    stream = "apiVersion: gadgets.example.com/v1\nkind: Gadget\nmetadata: {name: g}\n---\n" \
             "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c}\nspec: {dnsNames: [a]}\n"
    done = run_process("lint", "--fail-on", "info", "-", stdin=stream)
    assert done.returncode == 1
    assert f"<stdin>:1:1: info [{KNOWN}]" in done.stdout
    assert f"[{STRUCTURE}]" in done.stdout and '"issuerRef" is a required property' in done.stdout
