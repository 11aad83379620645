"""The lint pipeline's phases: names carried from discovery, the one filter chain, pure reporters, fixer fields."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitops_tools import digest
from gitops_tools.checks import document_checks, workspace_modules
from gitops_tools.config import Config
from gitops_tools.findings import LintResult
from gitops_tools.lint import LintOptions, lint
from gitops_tools.model import json_pointer
from gitops_tools.pipeline import filters
from gitops_tools.policies import load_policies
from gitops_tools.reporters import Style, available_formats, get_reporter

POLICIES = load_policies()
LATEST = """apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: nginx:latest
"""


def run(tmp_path: Path, *paths: str) -> LintResult:
    return lint(list(paths) or [str(tmp_path)], Config(root=tmp_path), POLICIES, LintOptions())


@pytest.mark.parametrize(("path", "pointer"), [
    ((), ""), (("spec", "containers", 0, "image"), "/spec/containers/0/image"),
    (("metadata", "annotations", "a/b~c"), "/metadata/annotations/a~1b~0c"), ((True, None, 1), "/true/null/1"),
])
def test_json_pointer_follows_rfc_6901(path: tuple[str | int, ...], pointer: str) -> None:
    assert json_pointer(path) == pointer


def test_findings_carry_what_a_fixer_needs(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "pod.yaml").write_text("---\nkind: ConfigMap\n---\n" + LATEST)
    result = run(tmp_path)
    (finding,) = [f for f in result.findings if f.policy_id == "container-image-tag-not-latest"]
    assert (finding.repo_path, finding.document, finding.pointer) == ("deploy/pod.yaml", 1, "/spec/containers/0/image")
    assert "nginx:latest" in finding.detail  # the validator's own words, kept
    stream = io.StringIO()
    get_reporter("json")(result, stream, Style())
    (record,) = [r for r in json.loads(stream.getvalue())["findings"] if r["policy_id"] == finding.policy_id]
    assert record["pointer"] == "/spec/containers/0/image" and record["document"] == 1
    assert record["repo_path"] == "deploy/pod.yaml" and record["detail"] == finding.detail


def test_a_file_problem_has_no_document_or_pointer(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("a: [\n")
    (finding,) = run(tmp_path).findings
    assert (finding.policy_id, finding.document, finding.pointer, finding.repo_path) == ("yaml-syntax", None, None,
                                                                                         "bad.yaml")


def test_the_filter_chain_is_one_ordered_list() -> None:
    assert [step.__name__ for step in filters.PER_FILE] == ["exempted", "suppressed", "excluded", "off_diff"]


def test_an_annotation_exemption_filters_only_its_own_resource(tmp_path: Path) -> None:
    items = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, **extra},
              "spec": {"containers": [{"name": "c", "image": "nginx:latest"}]}}
             for name, extra in (("a", {"annotations": {"gitops-tools.io/exempt":
                                                         "container-image-tag-not-latest: test"}}), ("b", {}))]
    (tmp_path / "list.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    found = [f.pointer for f in run(tmp_path).findings if f.policy_id == "container-image-tag-not-latest"]
    assert found == ["/items/1/spec/containers/0/image"]


def test_workspace_findings_go_through_the_same_filter_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A workspace finding joins its file's chain: a.yaml's disable-file suppression covers it, b.yaml's does not."""
    settings = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n"
    (tmp_path / "a.yaml").write_text(settings)
    (tmp_path / "b.yaml").write_text(settings)
    (tmp_path / "c.yaml").write_text("# gitops-tools: disable-file manifest-identity-unique-in-unit -- generated\n"
                                     + settings)
    monkeypatch.chdir(tmp_path)
    result = lint(["."], Config(root=tmp_path), POLICIES, LintOptions(select=("manifest-identity-unique-in-unit",)))
    assert [(f.location.path, f.location.line, f.document, f.pointer) for f in result.findings] == [
        ("b.yaml", 3, 0, "/metadata/name")]
    assert "ConfigMap/settings is also defined at a.yaml:3:" in result.findings[0].message


def test_workspace_checks_are_found_by_listing_their_folder() -> None:
    assert set(workspace_modules()) == {
        "identity_unique_in_unit", "service_selector_matches", "image_user_matches", "custom_resource_kinds",
        "service_target_port", "hpa_target_exists", "pdb_selector_matches", "pdb_allows_evictions", "workload_has_pdb",
        "configmap_reference_exists", "secret_reference_exists", "service_account_exists",
        "service_account_token_automount", "ingress_backend_service_exists", "route_backend_service_exists",
        "monitor_selects_port", "network_policy_selects_pods", "network_policy_peers_select_pods",
        "rbac_binding_role_dangerous",
        "replicas_unset_with_hpa", "statefulset_service_exists"}
    assert not set(workspace_modules()) & set(document_checks())


# Runs in a fresh interpreter inside a real git repository: lints it into a rich result (a changed file, a syntax
# error, a skipped Helm template, an expired config entry, the tool's links; its findings read back from a temporary
# file as a large run's are; then standard input, a file outside the repository and a baseline count added, in such a
# file too), imports every format found by listing, then arms a guard and runs each reporter, and each attachment of
# its format, on that result. The guard is an audit hook (open, listdir, scandir, every os.* and shutil.* event,
# subprocesses) plus wrappers of what has no audit event (os.stat, os.lstat, os.getcwd, os.access, os.readlink and the
# environment, which pathlib and os.path go through too); it records every access.
PURITY_PROBE = r"""
import io, json, os, sys
from collections.abc import MutableMapping
from pathlib import Path

from gitops_tools.config import find_config, load_config
from gitops_tools.lint import LintOptions, lint
from gitops_tools.model import Location, Severity
from gitops_tools.findings import Finding
from gitops_tools.pipeline.spill import Spill, SpilledFindings, SpillFile
from gitops_tools.policies import load_policies
from gitops_tools.reporters import Style, available_formats, get_format

config = load_config(find_config(Path.cwd()), Path.cwd())
options = LintOptions(changed_since="HEAD", tool_links=True, spill_above=0)  # findings read back from a file
result = lint(["."], config, load_policies(), options)
assert isinstance(result.findings, SpilledFindings)
extra = (Finding("yaml-syntax", Severity.ERROR, "piped", Location("<stdin>", 2, 3), "f" * 32),
         Finding("yaml-syntax", Severity.WARNING, "outside", Location("../elsewhere.yaml", 1, 1), "e" * 32))
blocks = Spill(SpillFile())
blocks.append(tuple(result.findings))
blocks.append(extra)
result = result._replace(findings=SpilledFindings(blocks, [0, 1], [len(result.findings), len(extra)]), fixed=3)
formats = [get_format(name) for name in available_formats()]

armed, touched = False, []

def note(what):
    if armed:
        touched.append(what)
        raise RuntimeError(f"a reporter touched the outside world: {what}")

def hook(event, args):
    if event == "open" or event.startswith(("os.", "shutil.", "subprocess.", "glob.", "pathlib.", "socket.")):
        note(f"{event} {args[0] if args else ''}")

def guarded(name, real):
    def call(*args, **kwargs):
        note(f"os.{name} {args[0] if args else ''}")
        return real(*args, **kwargs)
    return call

class Environ(MutableMapping):
    def __init__(self, real): self.real = real
    def __getitem__(self, key): note(f"os.environ[{key!r}]"); return self.real[key]
    def __setitem__(self, key, value): note(f"os.environ[{key!r}] ="); self.real[key] = value
    def __delitem__(self, key): note(f"del os.environ[{key!r}]"); del self.real[key]
    def __iter__(self): note("iter(os.environ)"); return iter(self.real)
    def __len__(self): note("len(os.environ)"); return len(self.real)

for name in ("stat", "lstat", "getcwd", "getcwdb", "access", "readlink"):
    setattr(os, name, guarded(name, getattr(os, name)))
os.environ = Environ(os.environ)
sys.addaudithook(hook)

def attempt(action):
    try:
        action()
    except RuntimeError:
        pass

armed = True
for probe in (lambda: Path("pod.yaml").exists(), lambda: open("pod.yaml").close(), lambda: os.environ.get("HOME"),
              Path.cwd, lambda: Path("x").resolve(), lambda: os.listdir(".")):
    attempt(probe)
probed, touched = touched, []
reports = {}
for output in formats:
    stream = io.StringIO()
    attempt(lambda: output.report(result, stream, Style(color=True)))
    texts = [stream.getvalue()]
    for attachment in output.attachments:
        texts += [attachment.render(result), attachment.unwritable("summary.md", "Permission denied")]
    reports[output.name] = {"touched": touched, "texts": texts}
    touched = []
armed = False
print(json.dumps({"probed": probed, "reports": reports, "findings": len(result.findings),
                  "changed": sorted(result.changed_lines or {}), "skipped": sorted(result.skipped)}))
"""
CHART_TEMPLATE = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"


def test_every_reporter_is_a_pure_function_of_the_result(tmp_path: Path) -> None:
    """No mock of a reporter: each one, found by listing, runs for real under a guard that records any file, folder,
    working-directory or environment access (the guard is checked to catch each kind first)."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com", "GITHUB_STEP_SUMMARY": "sum.md"}
    committed = {"deploy/pod.yaml": LATEST,
                 ".gitops-tools.yaml": "exclude:\n  - {path: 'old/*', expires: 2001-01-01}\n"}
    added = {"deploy/pod.yaml": LATEST.replace("name: web\n", "name: web\n  labels: {a: b}\n"), "bad.yaml": "a: [\n",
             "chart/Chart.yaml": "name: c\nversion: 1.0.0\n", "chart/templates/cm.yaml": CHART_TEMPLATE}
    for files in (committed, added):
        for name, text in files.items():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(text, encoding="utf-8")
        for argv in (["init", "-q"], ["add", "--all"], ["commit", "-q", "-m", "base"]) if files is committed else ():
            subprocess.run(["git", *argv], cwd=tmp_path, env=env, check=True)
    done = subprocess.run([sys.executable, "-c", PURITY_PROBE], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    assert len(run["probed"]) == 6, run["probed"]  # the guard catches each kind of access it watches
    assert run["findings"] >= 5 and {"bad.yaml", "deploy/pod.yaml"} <= set(run["changed"]) and run["skipped"], run
    assert sorted(run["reports"]) == available_formats()
    for name, report in run["reports"].items():
        assert report["touched"] == [], f"the {name} reporter is not pure"
        text = "".join(report["texts"])
        assert "deploy/pod.yaml" in text and "bad.yaml" in text, name
    assert len(run["reports"]["github"]["texts"]) == 3  # the report, the job summary, the line when it is unwritable


# --- start-up: the pre-commit case imports only what it uses -------------------------------------------------------

# Modules of features a one-file text run in a git repository does not use, each with a run that uses it: they are
# imported where they are needed, so the single-file run (interpreter start included) stays within its budget.
LAZY = {
    "subprocess": ["lint", "alone/pod.yaml", "crowd/pod.yaml"],  # an unlinted neighbour: git says if it is ignored
    "gitops_tools.baseline": ["lint", "--baseline", "baseline.json", "alone/pod.yaml"],
    "gitops_tools.loading.json_text": ["lint", "json/pod.json"],
    "gitops_tools.pipeline.shard": ["lint", "--shard", "1/2", "alone/pod.yaml"],
    "gitops_tools.loading.parsers": ["lint", "docker/Dockerfile"],  # a domain's own parser: only for its files
    "gitops_tools.loading.parsers.dockerfile": ["lint", "docker/Dockerfile"],
    "gitops_tools.analysers.hadolint": ["lint", "docker/Dockerfile"],
    "gitops_tools.checks._cel_rules": ["lint", "route/route.yaml"],  # a custom resource whose CRD has CEL rules
}
ROUTE = Path(__file__).parent / "fixtures" / "cel-rules" / "good" / "apps" / "web" / "route.yaml"  # an HTTPRoute
IMPORT_PROBE = ("import io, json, sys; from gitops_tools.cli import main; "
                "main(json.loads(sys.argv[1]), io.StringIO()); "
                "print(json.dumps(sorted(m for m in json.loads(sys.argv[2]) if m in sys.modules)))")


def _imported(repo: Path, argv: list[str]) -> list[str]:
    done = subprocess.run([sys.executable, "-c", IMPORT_PROBE, json.dumps(argv), json.dumps(sorted(LAZY))], cwd=repo,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    imported: list[str] = json.loads(done.stdout)
    return imported


@pytest.fixture(scope="module")
def startup_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository with a file alone in its folder and one beside a committed neighbour."""
    repo = tmp_path_factory.mktemp("startup")
    files = {"alone/pod.yaml": LATEST, "json/pod.json": json.dumps({"kind": "ConfigMap", "apiVersion": "v1"}),
             "crowd/pod.yaml": LATEST, "crowd/other.yaml": LATEST.replace("name: web", "name: other"),
             "baseline.json": '{"version": 1, "findings": []}\n', "docker/Dockerfile": "FROM scratch\nUSER 1\n",
             "route/route.yaml": ROUTE.read_text(encoding="utf-8")}
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    env = {**os.environ, "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com"}
    for argv in (["init", "-q"], ["add", "--all"], ["commit", "-q", "-m", "base"]):
        subprocess.run(["git", *argv], cwd=repo, env=env, check=True)
    return repo


def test_a_one_file_text_run_imports_no_module_of_a_feature_it_does_not_use(startup_repo: Path) -> None:
    assert _imported(startup_repo, ["lint", "alone/pod.yaml"]) == []


@pytest.mark.parametrize(("module", "argv"), LAZY.items(), ids=list(LAZY))
def test_a_run_that_uses_a_feature_imports_its_module(startup_repo: Path, module: str, argv: list[str]) -> None:
    """The other side of the test above: each module is imported when its feature runs (so the test above could
    fail)."""
    assert module in _imported(startup_repo, argv)


def test_a_one_file_run_hashes_without_loading_openssl(startup_repo: Path) -> None:
    """gitops_tools/digest.py takes SHA-256 from CPython's own module: hashlib would load OpenSSL (~3 ms)."""
    done = subprocess.run([sys.executable, "-c", IMPORT_PROBE, json.dumps(["lint", "crowd/pod.yaml"]),
                           json.dumps(["_hashlib", "hashlib"])], cwd=startup_repo, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


@pytest.mark.parametrize("data", [b"", b"abc", "\u00e9\udc80".encode("utf-8", "surrogatepass"), bytes(range(256)) * 9])
def test_digest_is_hashlib_s_sha256(data: bytes) -> None:
    assert digest.sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
