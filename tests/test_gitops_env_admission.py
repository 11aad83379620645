"""The gitops-env scaffold's image verification choice (issue 16, deploy-side verification): the admission policy is
rendered only when chosen, targets exactly the team namespaces, trusts exactly the signer identity the service
scaffold's CI has, is deployed by Argo CD before the services, and the lint validates it against its bundled CRD.

Each choice is rendered once for the module; tests/test_scaffolds.py's matrix lints and builds every combination."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ToolFinder
from conftest import call_cli as run_cli

pytestmark = pytest.mark.slow  # renders the scaffold

ROOT = Path(__file__).resolve().parent.parent
SERVICE_CI = ROOT / "scaffolds" / "service" / "{{cookiecutter.service_name}}" / "_ci"
ENVS = ("dev", "staging", "prod")
# name -> the answers it is rendered with; teams and hosts differ from the defaults so nothing passes by accident.
RENDERS = {
    "none": ["teams=team-a,team-b-c"],
    "kyverno": ["teams=team-a,team-b-c", "git_host=github.com/acme.corp", "image_verification=kyverno"],
    "sigstore": ["teams=team-a,team-b-c", "ci_provider=gitlab", "git_host=gitlab.example.com/platform/apps",
                 "image_verification=sigstore"],
}
ADMISSION_FILES = ("admission", "bootstrap/admission-project.yaml", *(f"environments/{env}/admission.yaml"
                                                                        for env in ENVS))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The repo rendered with RENDERS[name], once per module."""
    made: dict[str, Path] = {}

    def render(name: str) -> Path:
        if name not in made:
            out = tmp_path_factory.mktemp(f"env-{name}")
            sets = [arg for answer in RENDERS[name] for arg in ("--set", answer)]
            code, _, err = run_cli("new", "gitops-env", "--no-input", "--no-git", "-o", str(out), *sets)
            assert code == 0, err
            made[name] = out / "platform-gitops"
        return made[name]

    return render


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def namespace_labels(repo_dir: Path, env: str) -> dict[str, str]:
    appset = load(repo_dir / "environments" / env / "applicationset.yaml")
    labels: dict[str, str] = appset["spec"]["template"]["spec"]["syncPolicy"]["managedNamespaceMetadata"]["labels"]
    return labels


def test_nothing_of_it_is_rendered_when_not_chosen(repo: Callable[[str], Path]) -> None:
    repo_dir = repo("none")
    assert [path for path in ADMISSION_FILES if (repo_dir / path).exists()] == []
    assert load(repo_dir / "environments/dev/kustomization.yaml")["resources"] == ["applicationset.yaml"]
    assert "admission-project.yaml" not in load(repo_dir / "bootstrap/kustomization.yaml")["resources"]
    assert "policy.sigstore.dev/include" not in namespace_labels(repo_dir, "dev")
    assert "Image verification" not in (repo_dir / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "policy", "kind"), [
    ("kyverno", "image-validating-policy.yaml", "policies.kyverno.io/v1 ImageValidatingPolicy"),
    ("sigstore", "cluster-image-policy.yaml", "policy.sigstore.dev/v1beta1 ClusterImagePolicy"),
])
def test_the_chosen_engine_gets_its_one_policy(repo: Callable[[str], Path], name: str, policy: str, kind: str) -> None:
    repo_dir = repo(name)
    assert sorted(path.name for path in (repo_dir / "admission").iterdir()) == sorted(["kustomization.yaml", policy])
    assert load(repo_dir / "admission/kustomization.yaml")["resources"] == [policy]
    document = load(repo_dir / "admission" / policy)
    assert f"{document['apiVersion']} {document['kind']}" == kind
    for env in ENVS:
        assert load(repo_dir / "environments" / env / "kustomization.yaml")["resources"] == [
            "applicationset.yaml", "admission.yaml"]


def test_kyverno_selects_exactly_the_team_namespaces_and_refuses_tags(repo: Callable[[str], Path]) -> None:
    repo_dir = repo("kyverno")
    spec = load(repo_dir / "admission/image-validating-policy.yaml")["spec"]
    assert spec["matchConstraints"]["namespaceSelector"] == {
        "matchExpressions": [{"key": "team", "operator": "In", "values": ["team-a", "team-b-c"]}]}
    # The label it selects by is the one Argo CD puts on each <team>-<env> namespace, named after the team folder.
    assert all(namespace_labels(repo_dir, env)["team"] == "{{ .path.basename }}" for env in ENVS)
    assert spec["validationConfigurations"] == {"required": True, "verifyDigest": True, "mutateDigest": False}
    assert (spec["validationActions"], spec["failurePolicy"]) == (["Deny"], "Fail")
    assert spec["matchImageReferences"] == [{"glob": "*"}]  # every image, not only the organisation's registry
    rules = spec["validations"][0]["expression"]
    assert all(f"images.{field}.all(image, verifyImageSignatures(image, [attestors.ci]) > 0)" in rules
               for field in ("containers", "initContainers", "ephemeralContainers"))


def test_sigstore_opts_in_exactly_the_team_namespaces(repo: Callable[[str], Path]) -> None:
    repo_dir = repo("sigstore")
    assert all(namespace_labels(repo_dir, env)["policy.sigstore.dev/include"] == "true" for env in ENVS)
    spec = load(repo_dir / "admission/cluster-image-policy.yaml")["spec"]
    assert (spec["mode"], spec["images"]) == ("enforce", [{"glob": "**"}])
    # The service scaffold's CI signs with cosign 3 (Sigstore bundles as OCI referrers, no `.sig` tag): the authority
    # must look for bundles, or no signature of its would ever be found.
    assert "cosign-release: v3." in (SERVICE_CI / "github/.github/workflows/ci.yml").read_text(encoding="utf-8")
    assert "projectsigstore/cosign:v3." in (SERVICE_CI / "gitlab/.gitlab-ci.yml").read_text(encoding="utf-8")
    assert [authority["signatureFormat"] for authority in spec["authorities"]] == ["bundle"]
    # The label is the only thing that selects: no namespace but the ApplicationSets' carries it.
    labelled = [path for path in repo_dir.rglob("*.yaml") if any(
        line.strip().startswith("policy.sigstore.dev/include:") for line in path.read_text().splitlines())]
    assert sorted(path.relative_to(repo_dir).as_posix() for path in labelled) == [
        f"environments/{env}/applicationset.yaml" for env in sorted(ENVS)]


def identity(repo_dir: Path) -> tuple[str, str]:
    """The issuer and subject regular expression the rendered policy trusts."""
    document = load(next((repo_dir / "admission").glob("*-policy.yaml")))
    spec = document["spec"]
    keyless = spec["attestors"][0]["cosign"]["keyless"] if "attestors" in spec else spec["authorities"][0]["keyless"]
    (trusted,) = keyless["identities"]
    return trusted["issuer"], trusted["subjectRegExp"]


def job(text: str, name: str, indent: str) -> str:
    """The text of one job of a CI template (a Jinja template, so read as text): from `<indent><name>:` to the next
    key at that indentation."""
    found = re.search(rf"^{indent}{name}:\n(.*?)(?=^{indent}[.a-z-]+:|\Z)", text, re.MULTILINE | re.DOTALL)
    assert found, f"no job {name}"
    return found.group(1)


def signs_as(service_ci: Path, host_and_org: str, repo_name: str) -> str:
    """The certificate subject the service scaffold's CI signs with when its repository is <host_and_org>/<repo>, read
    from the job that signs: GitHub's `push` job of ci.yml (the workflow's identity, on main), GitLab's `push` job (the
    pipeline's ci_config_ref_uri, on the default branch, main)."""
    if service_ci.name == "gitlab":
        pipeline = (service_ci / ".gitlab-ci.yml").read_text(encoding="utf-8")
        push = job(pipeline, "push", "")
        assert 'cosign sign --yes "$IMAGE@$digest"' in push and "aud: sigstore" in push
        assert "extends: [.docker, .default-branch]" in push
        rules = job(pipeline, ".default-branch", "")
        assert "- if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" in rules
        return f"https://{host_and_org}/{repo_name}//.gitlab-ci.yml@refs/heads/main"
    workflow = (service_ci / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    push = job(workflow.split("\njobs:\n", 1)[1], "push", "  ")
    assert 'cosign sign --yes "$IMAGE@$DIGEST"' in push and "id-token: write" in push
    assert "github.ref == 'refs/heads/main'" in push.splitlines()[0]
    return f"https://{host_and_org}/{repo_name}/.github/workflows/ci.yml@refs/heads/main"


@pytest.mark.parametrize(("name", "provider", "host", "org", "issuer"), [
    ("kyverno", "github", "github.com", "acme.corp", "https://token.actions.githubusercontent.com"),
    ("sigstore", "gitlab", "gitlab.example.com", "platform/apps", "https://gitlab.example.com"),
])
def test_the_trusted_signer_is_the_service_ci_of_the_organisation_only(
        repo: Callable[[str], Path], name: str, provider: str, host: str, org: str, issuer: str) -> None:
    trusted_issuer, subject = identity(repo(name))
    assert trusted_issuer == issuer
    # A host the public Fulcio issues no certificates to needs a Sigstore of its own: the repo's README says so.
    readme = (repo(name) / "README.md").read_text(encoding="utf-8")
    assert (f"`{host}` is likely not one of them" in readme) == (host not in ("github.com", "gitlab.com"))

    def trusted(candidate: str) -> bool:  # Go's regexp.MatchString, as Kyverno and policy-controller call it
        return re.search(subject, candidate) is not None

    ci = SERVICE_CI / provider
    for service in ("orders-api", "billing", "a.b_c-d"):
        assert trusted(signs_as(ci, f"{host}/{org}", service)), service
    own = signs_as(ci, f"{host}/{org}", "orders-api")
    refused = [
        own.replace(f"/{org}/", "/other/"),  # another organisation
        own.replace(f"/{org}/", f"/{org}-evil/"),  # an organisation whose name starts with ours
        *([own.replace(f"/{org}/", f"/{org.replace('.', 'x')}/")] if "." in org else []),  # a dot is only a dot
        own.replace(host, f"{host}.evil.example"),  # another host
        own.replace(host, host.replace(".", "-")),
        own.replace("@refs/heads/main", "@refs/heads/feature"),  # a branch
        own.replace("@refs/heads/main", "@refs/heads/main-old"),
        own.replace("/orders-api/", "/orders-api/nested/"),  # not a repository directly under the organisation
        "x" + own,
    ]
    assert [candidate for candidate in refused if trusted(candidate)] == []


def test_argo_cd_deploys_the_policy_to_every_cluster_before_the_services(
        repo: Callable[[str], Path], external_tool: ToolFinder) -> None:
    """From bootstrap/, as `root` applies it: per environment an Application of the admission project in a sync wave
    before the ApplicationSet's; the project may create the one policy kind in the environments' clusters only."""
    kubectl = external_tool("kubectl")
    repo_dir = repo("kyverno")
    built = subprocess.run([kubectl, "kustomize", str(repo_dir / "bootstrap")], capture_output=True, text=True,
                           timeout=120, check=True).stdout
    objects = {(doc["kind"], doc["metadata"]["name"]): doc for doc in yaml.safe_load_all(built)}

    def wave(doc: dict[str, Any]) -> int:
        return int(doc["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave", "0"))

    clusters = [f"https://api.{env}.k8s.example.com" for env in ENVS]
    project = objects["AppProject", "admission"]["spec"]
    assert project["clusterResourceWhitelist"] == [{"group": "policies.kyverno.io", "kind": "ImageValidatingPolicy"}]
    assert project["namespaceResourceBlacklist"] == [{"group": "*", "kind": "*"}]
    assert project["destinations"] == [{"server": cluster, "namespace": "kyverno"} for cluster in clusters]
    assert project["sourceRepos"] == ["https://github.com/acme.corp/platform-gitops.git"]
    for env, cluster in zip(ENVS, clusters, strict=True):
        app = objects["Application", f"admission-{env}"]
        assert app["spec"]["project"] == "admission"
        assert app["spec"]["source"]["path"] == "admission"
        assert app["spec"]["destination"] == {"server": cluster, "namespace": "kyverno"}
        assert app["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}  # production too
        assert wave(app) < wave(objects["ApplicationSet", f"services-{env}"])
    # No team project may create the policy, or any cluster-scoped kind but its Namespace.
    for team in ("team-a", "team-b-c"):
        assert [rule["kind"] for rule in objects["AppProject", team]["spec"]["clusterResourceWhitelist"]] == [
            "Namespace"]


@pytest.mark.parametrize(("name", "policy", "old", "new", "message"), [
    ("kyverno", "image-validating-policy.yaml", "mutateDigest: false", "mutateDigest: no-thanks",
     '"no-thanks" is not of type "boolean"'),
    ("sigstore", "cluster-image-policy.yaml", "  mode: enforce", "  imagez: []",
     "Additional properties are not allowed ('imagez' was unexpected)"),
])
def test_a_broken_policy_is_a_finding_at_its_line_and_column(
        repo: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, policy: str,
        old: str, new: str, message: str) -> None:
    """The lint validates the policy against the CRD bundled for its kind; a field the API server would refuse is a
    finding at that field."""
    repo_dir = tmp_path / "repo"
    shutil.copytree(repo(name), repo_dir)
    path = repo_dir / "admission" / policy
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(index for index, text in enumerate(lines, 1) if new in text)
    column = len(lines[number - 1]) - len(lines[number - 1].lstrip()) + 1  # the field's key
    monkeypatch.chdir(repo_dir)
    code, out, err = run_cli("lint", "--fail-on", "info", "admission")
    assert (code, err) == (1, "")
    assert out.splitlines()[0] == (f"admission/{policy}:{number}:{column}: error [custom-resource-structure-valid] "
                                   f"the API server would refuse this custom resource: {message}")
