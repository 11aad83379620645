"""Rendered overlays end to end, with the real kustomize (kubectl from the test extra), real files and git repos.

tests/fixtures/rendering/shop is a service's environment repository: a base (Deployment, Service, autoscaler,
disruption budget, network policy) and overlays dev, staging and prod. Its files lint clean one by one; rendered, the
base's `images:` gives every overlay the `latest` tag (one finding listing the three) and prod's strategic-merge
patch makes the container privileged. tests/fixtures/rendering/broken has an overlay whose patch names no object, one
building on a remote base, and one whose generator makes a ConfigMap in the default namespace.
"""

from __future__ import annotations

import http.server
import json
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import git
import pytest
from conftest import CONSOLE_SCRIPT, CliRun, ToolFinder

from gitops_tools.config import Config
from gitops_tools.lint import LintOptions, LintResult, lint
from gitops_tools.model import Policy
from gitops_tools.rendering import build

FIXTURES = Path(__file__).parent / "fixtures" / "rendering"
TAG, PRIVILEGED = "container-image-tag-not-latest", "container-not-privileged"
RENDERS, OFFLINE = "kustomization-renders", "kustomization-builds-offline"
ALL_THREE = ("overlays/dev", "overlays/prod", "overlays/staging")
SHOP_RENDERED = [
    ("base/kustomization.yaml", 24, 5, TAG, ALL_THREE),  # images: newTag: latest, inherited by every overlay
    ("overlays/prod/patch-deployment.yaml", 20, 13, PRIVILEGED, ("overlays/prod",)),  # the patch's privileged: true
]
Lint = Callable[..., LintResult]
Spots = list[tuple[str, int, int, str, tuple[str, ...]]]


@pytest.fixture(autouse=True)
def _kubectl(external_tool: ToolFinder) -> None:
    """Every test here renders with the real kubectl: missing, the test fails under CI=true (skips elsewhere)."""
    external_tool("kubectl")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """`repo(name)`: a git repository (one commit) holding a copy of the fixture, the working directory."""

    def make(name: str) -> Path:
        root = tmp_path / name
        shutil.copytree(FIXTURES / name, root)
        repository = git.Repo.init(root, initial_branch="main")
        repository.git.add("-A")
        repository.git.commit("-m", "fixture", env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                                                    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})
        monkeypatch.chdir(root)
        return root

    return make


@pytest.fixture
def run(policies: dict[str, Policy]) -> Lint:
    def lint_paths(*paths: str, **options: object) -> LintResult:
        return lint(list(paths) or ["."], Config(root=Path.cwd()), policies, LintOptions(**options))  # type: ignore[arg-type]

    return lint_paths


def spots(result: LintResult) -> Spots:
    return [(f.location.path, f.location.line, f.location.col, f.policy_id, f.overlays) for f in result.findings]


# --- the defects only rendering shows --------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_sources_lint_clean_one_by_one(repo: Callable[[str], Path], run: Lint) -> None:
    repo("shop")
    result = run(render=False)
    assert (result.findings, result.rendered, result.files) == ([], 0, 13)


def test_rendering_finds_each_defect_at_its_source_line_once_listing_its_overlays(repo: Callable[[str], Path],
                                                                                 run: Lint) -> None:
    repo("shop")
    result = run()
    assert spots(result) == SHOP_RENDERED
    assert result.rendered == 3
    assert [f.message for f in result.findings] == ["container image uses the latest tag", "container runs privileged"]
    assert all(f.document is None and f.pointer is None for f in result.findings)  # no place in the file as written


@pytest.mark.slow
def test_a_one_file_run_renders_only_the_overlays_whose_build_reads_it(repo: Callable[[str], Path], run: Lint) -> None:
    repo("shop")
    on_base = run("base/kustomization.yaml")
    assert (spots(on_base), on_base.rendered) == (SHOP_RENDERED[:1], 3)
    on_prod_patch = run("overlays/prod/patch-deployment.yaml")
    assert (spots(on_prod_patch), on_prod_patch.rendered) == (SHOP_RENDERED[1:], 1)
    # A base file whose values are clean: its overlays render, and their findings in files not linted stay unreported
    # (as the workspace's in context files).
    on_service = run("base/service.yaml")
    assert (spots(on_service), on_service.rendered) == ([], 3)


@pytest.mark.slow
@pytest.mark.parametrize(("domain", "rendered"), [("dockerfile", 0), ("github-actions", 0), ("kubernetes", 3),
                                                  ("kustomize", 3), ("monitoring", 3)])
def test_a_domain_hook_renders_only_when_its_policies_could_see_a_build(repo: Callable[[str], Path], run: Lint,
                                                                        domain: str, rendered: int) -> None:
    """A domain whose documents are known by their path alone (a Dockerfile, a workflow) sees no built object: its
    hook builds nothing. Kubernetes objects, PrometheusRules (known by their content) and the render policies do."""
    repo("shop")
    assert run("base/service.yaml", domains=(domain,)).rendered == rendered


@pytest.mark.slow
def test_a_finding_the_file_already_has_is_not_reported_again(repo: Callable[[str], Path], run: Lint) -> None:
    root = repo("shop")
    deployment = root / "base" / "deployment.yaml"
    deployment.write_text(deployment.read_text(encoding="utf-8").replace("              memory: 256Mi\n", ""),
                          encoding="utf-8")
    result = run("base/deployment.yaml", select=("container-memory-limit-set",))
    assert [(f.location.path, f.policy_id, f.overlays) for f in result.findings] == [
        ("base/deployment.yaml", "container-memory-limit-set", ())]


@pytest.mark.slow
def test_the_output_is_the_same_whatever_the_jobs(repo: Callable[[str], Path], run: Lint) -> None:
    repo("shop")
    assert spots(run(jobs=1)) == spots(run(jobs=2)) == SHOP_RENDERED


@pytest.mark.slow
def test_fingerprints_do_not_depend_on_which_overlays_were_rendered(repo: Callable[[str], Path], run: Lint) -> None:
    repo("shop")
    whole = {f.policy_id: f.fingerprint for f in run().findings}
    assert {f.policy_id: f.fingerprint for f in run("base/kustomization.yaml").findings} == {TAG: whole[TAG]}


@pytest.mark.slow
def test_a_baseline_of_rendered_findings_holds(repo: Callable[[str], Path], run_cli: CliRun) -> None:
    root = repo("shop")
    assert run_cli("lint", "--write-baseline", str(root / "baseline.json"), str(root))[0] == 0
    code, out, _ = run_cli("lint", "--baseline", str(root / "baseline.json"), str(root))
    assert (code, out.startswith("No findings (")) == (0, True)


@pytest.mark.slow
def test_workspace_checks_see_each_overlay_as_rendered(repo: Callable[[str], Path], run: Lint) -> None:
    """prod's JSON 6902 patch relabels the pod template: in prod alone the base's Service selects no pod."""
    root = repo("shop")
    kustomization = root / "overlays" / "prod" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text(encoding="utf-8") + (
        "  - target: {kind: Deployment, name: shop-web}\n"
        "    patch: |-\n"
        "      - op: replace\n"
        "        path: /spec/template/metadata/labels/app.kubernetes.io~1instance\n"
        "        value: shop-web-canary\n"), encoding="utf-8")
    result = run(select=("service-selector-matches-pods",))
    assert spots(result) == [("base/service.yaml", 10, 3, "service-selector-matches-pods", ("overlays/prod",))]
    assert "in namespace shop-prod (Deployment/shop-web)" in result.findings[0].message


@pytest.mark.slow
def test_shards_together_report_what_one_run_does(repo: Callable[[str], Path], run_cli: CliRun) -> None:
    root = repo("shop")
    whole = run_cli("lint", "--format", "json", str(root))[1]
    parts = [run_cli("lint", "--format", "json", "--shard", f"{index}/2", str(root))[1] for index in (1, 2)]
    found = [(f["path"], f["line"], f["policy_id"], f["overlays"]) for part in parts
             for f in json.loads(part)["findings"]]
    assert sorted(found) == [(f["path"], f["line"], f["policy_id"], f["overlays"])
                             for f in json.loads(whole)["findings"]]


# --- filters: suppressions and exemptions at the source --------------------------------------------------------------

@pytest.mark.slow
def test_an_inline_suppression_at_the_source_line_applies(repo: Callable[[str], Path], run: Lint) -> None:
    root = repo("shop")
    patch = root / "overlays" / "prod" / "patch-deployment.yaml"
    patch.write_text(patch.read_text(encoding="utf-8").replace(
        "            privileged: true\n",
        "            # gitops-tools: disable-next-line container-not-privileged -- the profiler needs the kernel\n"
        "            privileged: true\n"), encoding="utf-8")
    assert spots(run()) == SHOP_RENDERED[:1]  # and no suppression-unused: the rendered finding used it


@pytest.mark.slow
def test_a_suppression_only_rendering_uses_is_not_called_unused_when_nothing_rendered(
        repo: Callable[[str], Path], run: Lint, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a binary, with rendering off, or when its overlay fails to build, the suppression is not judged: a
    run that renders needs it. A stale suppression in a file no kustomization builds is still reported."""
    root = repo("shop")
    patch = root / "overlays" / "prod" / "patch-deployment.yaml"
    patch.write_text(patch.read_text(encoding="utf-8").replace(
        "            privileged: true\n",
        "            # gitops-tools: disable-next-line container-not-privileged -- the profiler needs the kernel\n"
        "            privileged: true\n"), encoding="utf-8")
    (root / "loose.yaml").write_text("# gitops-tools: disable-next-line container-not-privileged -- stale\n"
                                     "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n", encoding="utf-8")
    stale = [("loose.yaml", 1, 1, "suppression-unused", ())]
    assert [s for s in spots(run(render=False)) if s[3] == "suppression-unused"] == stale
    monkeypatch.setenv(build.BINARY_VARIABLE, str(root / "no-such-kustomize"))
    skipped = run()
    assert ([s for s in spots(skipped) if s[3] == "suppression-unused"], skipped.rendered) == (stale, 0)
    monkeypatch.delenv(build.BINARY_VARIABLE)
    kustomization = root / "overlays" / "prod" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text(encoding="utf-8") + "  - path: missing.yaml\n",
                             encoding="utf-8")
    failed = run()
    assert [s for s in spots(failed) if s[3] in ("suppression-unused", RENDERS)] == [
        ("loose.yaml", 1, 1, "suppression-unused", ()), ("overlays/prod/kustomization.yaml", 1, 1, RENDERS, ())]


@pytest.mark.slow
def test_an_exemption_annotation_on_the_rendered_object_applies(repo: Callable[[str], Path], run: Lint) -> None:
    root = repo("shop")
    patch = root / "overlays" / "prod" / "patch-deployment.yaml"
    patch.write_text(patch.read_text(encoding="utf-8").replace(
        "  name: shop-web\n",
        "  name: shop-web\n  annotations:\n"
        "    gitops-tools.io/exempt: \"container-not-privileged: the eBPF profiler needs the host kernel\"\n"),
        encoding="utf-8")
    assert spots(run()) == SHOP_RENDERED[:1]


# --- builds that fail, remote bases, generated objects ---------------------------------------------------------------

def test_a_failing_build_and_a_remote_base_are_findings_at_their_kustomizations(repo: Callable[[str], Path],
                                                                               run: Lint) -> None:
    repo("broken")
    result = run()
    assert spots(result) == [
        ("overlays/generated/kustomization.yaml", 1, 1, "kustomization-overlay-namespace-set", ()),
        ("overlays/generated/kustomization.yaml", 6, 5, "namespace-not-default", ("overlays/generated",)),
        ("overlays/remote/kustomization.yaml", 6, 5, OFFLINE, ("overlays/remote",)),
        ("overlays/typo/kustomization.yaml", 1, 1, RENDERS, ()),
    ]
    generated, remote, failed = result.findings[1:]
    assert generated.message == ("resource is placed in the default namespace (ConfigMap/shop-flags-4mg4kfm44c as "
                                 "overlays/generated renders it)")
    assert "'https://github.com/example/platform-base//monitoring?ref=v1.4.0' is remote" in remote.message
    assert failed.message == (
        'kustomize cannot build this entry point: no resource matches strategic merge patch '
        '"ConfigMap.v1.[noGrp]/shop-setings.[noNs]": no matches for Id ConfigMap.v1.[noGrp]/shop-setings.[noNs]; '
        'failed to find unique target for patch ConfigMap.v1.[noGrp]/shop-setings.[noNs]')
    assert result.rendered == 1  # generated; typo fails, remote is never built


@pytest.mark.slow
def test_an_entry_leading_out_of_the_repository_is_never_built(repo: Callable[[str], Path], run: Lint,
                                                               tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "kustomization.yaml").write_text("resources: [secret.yaml]\n", encoding="utf-8")
    (outside / "secret.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: ci-token}\n"
                                         "stringData: {token: hunter2}\n", encoding="utf-8")
    root = repo("shop")
    (root / "overlays" / "staging" / "linked.yaml").symlink_to(outside / "secret.yaml")
    for env, entry in (("dev", "../../../outside"), ("staging", "linked.yaml")):
        kustomization = root / "overlays" / env / "kustomization.yaml"
        kustomization.write_text(kustomization.read_text(encoding="utf-8").replace(
            "  - ../../base\n", f"  - ../../base\n  - {entry}\n"), encoding="utf-8")
    result = run("overlays")
    assert [(f.location.path, f.location.line, f.policy_id, f.overlays) for f in result.findings
            if f.policy_id == RENDERS] == [
        ("overlays/dev/kustomization.yaml", 7, RENDERS, ("overlays/dev",)),
        ("overlays/staging/kustomization.yaml", 7, RENDERS, ("overlays/staging",))]
    assert "'../../../outside' leads out of the repository" in result.findings[0].message
    assert result.rendered == 1  # prod alone
    assert not any("hunter2" in f.message or "ci-token" in f.message for f in result.findings)


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []  # noqa: RUF012 - one test's server

    def do_GET(self) -> None:
        self.requests.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fetched}\n")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    """A local HTTP server that records every request: the URL a remote base names."""
    _Recorder.requests = []
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/base.yaml"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.slow
def test_a_remote_resource_is_never_fetched(repo: Callable[[str], Path], run: Lint, server: str) -> None:
    root = repo("shop")
    kustomization = root / "overlays" / "dev" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text(encoding="utf-8").replace(
        "  - ../../base\n", f"  - ../../base\n  - {server}\n"), encoding="utf-8")
    result = run()
    assert [(f.location.path, f.location.line, f.policy_id, f.overlays) for f in result.findings
            if f.policy_id == OFFLINE] == [("overlays/dev/kustomization.yaml", 7, OFFLINE, ("overlays/dev",))]
    assert _Recorder.requests == []
    assert result.rendered == 2


@pytest.mark.slow
def test_a_build_past_its_time_limit_is_stopped_and_reported(repo: Callable[[str], Path], run_cli: CliRun) -> None:
    root = repo("shop")
    (root / ".gitops-tools.yaml").write_text("render_timeout: 0.001\n", encoding="utf-8")
    code, out, _ = run_cli("lint", "--select", RENDERS, str(root))
    assert code == 1
    assert out.count("kustomize did not finish within 0.001 s (render_timeout)") == 3


# --- without a binary, stdin, switching it off -----------------------------------------------------------------------

def test_without_a_binary_one_summary_line_says_rendering_was_skipped(repo: Callable[[str], Path], run_cli: CliRun,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = repo("shop")
    monkeypatch.setenv(build.BINARY_VARIABLE, str(root / "no-such-kustomize"))
    code, out, err = run_cli("lint", str(root))
    assert (code, err) == (0, "")
    assert out.splitlines()[1:] == [
        f"Rendered checks skipped: {build.BINARY_VARIABLE} names no executable file "
        f"({str(root / 'no-such-kustomize')!r})."]


def test_the_binary_is_found_in_the_scripts_folder_first_then_on_the_path(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(build.BINARY_VARIABLE, raising=False)
    scripts, elsewhere, empty = tmp_path / "scripts", tmp_path / "bin", tmp_path / "empty"
    for folder, name in ((scripts, "kubectl"), (elsewhere, "kustomize"), (elsewhere, "kubectl")):
        folder.mkdir(exist_ok=True)
        (folder / name).write_text("#!/bin/sh\n", encoding="utf-8")
        (folder / name).chmod(0o755)
    empty.mkdir()
    found = build.find_binary(str(scripts), str(elsewhere))
    assert found is not None and (found.path, found.arguments[0]) == (str(scripts / "kubectl"), "kustomize")
    found = build.find_binary(str(empty), str(elsewhere))
    assert found is not None and (found.path, found.arguments[0]) == (str(elsewhere / "kustomize"), "build")
    assert "--enable-exec=false" in found.arguments and "--enable-helm=false" in found.arguments
    assert build.find_binary(str(empty), str(empty)) is None
    assert build.missing_binary_note() == ("Rendered checks skipped: no kustomize or kubectl found; install it with "
                                           "`pip install 'gitops-tools[kustomize]'`.")


@pytest.mark.slow
def test_a_kustomize_build_piped_to_stdin_is_linted_as_before(repo: Callable[[str], Path],
                                                              external_tool: ToolFinder) -> None:
    root = repo("shop")
    built = subprocess.run([external_tool("kubectl"), "kustomize", "overlays/prod"], cwd=root, capture_output=True,
                           text=True, timeout=120, check=True).stdout
    done = subprocess.run([str(CONSOLE_SCRIPT), "lint", "--format", "json", "-"], cwd=root, input=built,
                          capture_output=True, text=True, timeout=120, check=False)
    report = json.loads(done.stdout)
    assert {(f["path"], f["policy_id"]) for f in report["findings"]} == {("<stdin>", TAG), ("<stdin>", PRIVILEGED)}
    assert (report["summary"]["rendered"], report["notes"]) == (0, [])


@pytest.mark.slow
def test_no_render_and_the_config_switch_it_off(repo: Callable[[str], Path], run_cli: CliRun) -> None:
    root = repo("shop")
    code, out, _ = run_cli("lint", "--no-render", str(root))
    assert code == 0 and re.fullmatch(r"No findings \(13 files, 17 documents, \d+ policies\)\.\n", out)
    (root / ".gitops-tools.yaml").write_text("render: false\n", encoding="utf-8")
    assert run_cli("lint", str(root))[0] == 0
    assert run_cli("lint", "--render", str(root))[0] == 1


@pytest.mark.parametrize(("text", "message"), [
    ("render: yes please\n", 'render: "yes please" is not of type "boolean"'),
    ("render_timeout: 0\n", "render_timeout: 0 is less than or equal to the minimum of 0"),
])
def test_a_bad_render_setting_is_a_config_error(repo: Callable[[str], Path], run_cli: CliRun, text: str,
                                                message: str) -> None:
    root = repo("shop")
    (root / ".gitops-tools.yaml").write_text(text, encoding="utf-8")
    code, _, err = run_cli("lint", str(root))
    assert code == 2
    assert ".gitops-tools.yaml:1:" in err and message in err


# --- reports -----------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_every_report_names_the_overlays(repo: Callable[[str], Path], run_cli: CliRun) -> None:
    root = repo("shop")
    text = run_cli("lint", str(root))[1]
    assert "container image uses the latest tag [overlays: overlays/dev, overlays/prod, overlays/staging]" in text
    assert re.search(r"\(13 files, 17 documents, \d+ policies, 3 kustomizations rendered\)\.\n\Z", text)
    report = json.loads(run_cli("lint", "--format", "json", str(root))[1])
    assert [f["overlays"] for f in report["findings"]] == [list(ALL_THREE), ["overlays/prod"]]
    assert report["summary"]["rendered"] == 3
    sarif = json.loads(run_cli("lint", "--format", "sarif", str(root))[1])
    first = sarif["runs"][0]["results"][0]
    assert first["properties"]["overlays"] == list(ALL_THREE)
    assert first["message"]["text"].endswith("[overlays: overlays/dev, overlays/prod, overlays/staging]")
    for name in ("github", "gitlab", "junit"):
        assert "overlays/staging]" in run_cli("lint", "--format", name, str(root))[1]


def test_a_run_with_no_kustomization_around_its_files_imports_nothing_of_rendering(tmp_path: Path) -> None:
    """The one-file pre-commit run on a file no kustomization can build stays as fast as before; one in a
    kustomization's folder renders."""
    (tmp_path / "alone").mkdir()
    (tmp_path / "alone" / "a.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n",
                                               encoding="utf-8")
    shutil.copytree(FIXTURES / "shop", tmp_path / "shop")
    imported = {}
    for name, path in (("alone", "alone/a.yaml"), ("shop", "shop/base/service.yaml")):
        done = subprocess.run([sys.executable, "-X", "importtime", "-m", "gitops_tools", "lint", path], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120, check=False)
        imported[name] = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
                          if line.startswith("import time:")}
    assert not any(module.startswith(("gitops_tools.rendering", "gitops_tools.pipeline.render"))
                   for module in imported["alone"])
    assert {"gitops_tools.pipeline.render", "gitops_tools.rendering.build"} <= imported["shop"]
