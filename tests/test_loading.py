"""Reading files: documents, positions of findings, and every way a file can be unusable (a finding, never a crash)."""

from __future__ import annotations

import codecs
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import CliRun, FileWriter

from gitops_tools.config import Config
from gitops_tools.lint import LintOptions, LintResult, lint
from gitops_tools.loading import Limits, load_bytes
from gitops_tools.policies import load_policies

TreeLint = Callable[..., LintResult]
Spots = Callable[[LintResult], list[tuple[str, int, int, str]]]
Problem = tuple[str, int, int]

BOM = b"\xef\xbb\xbf"
TAG = "container-image-tag-not-latest"
MEMORY = "container-memory-limit-set"

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - name: app
      image: registry.example.com/app:latest
      resources:
        requests: {memory: 64Mi}
    - name: sidecar
      image: registry.example.com/proxy:1.0.0
"""

BILLION_LAUGHS = """\
a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def load(raw: bytes, *, is_json: bool = False, limits: Limits | None = None) -> tuple[list[Any], list[Problem]]:
    """(document data, (problem id, line, col)) of `raw` read through the loader."""
    loaded = load_bytes(raw, "file", limits or Limits(), is_json=is_json)
    return [d.data for d in loaded.documents], [(p.policy_id, p.line, p.col) for p in loaded.problems]


# --- multi-document YAML ---------------------------------------------------------------------------------------------


def test_every_document_of_a_multi_document_stream_is_loaded_in_order() -> None:
    data, problems = load(b"---\na: 1\n---\n---\nb: 2\n...\n---\nc: 3\n")
    assert data == [{"a": 1}, None, {"b": 2}, {"c": 3}]
    assert problems == []


def test_findings_in_a_later_document_carry_that_documents_lines(lint_tree: TreeLint, spots: Spots) -> None:
    config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n"
    result = lint_tree({"all.yaml": f"{config_map}---\n{POD}---\n{config_map}"}, select=(TAG,))
    assert spots(result) == [("all.yaml", 4 + 7, 7, TAG)]
    assert result.documents == 3


# --- positions of findings ------------------------------------------------------------------------------------------

FLOW_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - {name: app, image: "app:latest", resources: {limits: {cpu: 1}}}
"""

FLOW_SEQUENCE_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers: [{name: app, image: "app:latest", resources: {limits: {memory: 1Gi}}}]
"""

ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: web}
rules:
  - apiGroups: [""]
    resources: [pods]
    verbs: [get, list]
  - apiGroups: [apps]
    resources: [deployments]
    verbs: [get, "*"]
  - apiGroups: [apps]
    resources: [replicasets]
    verbs:
      - get
      - "*"
"""


@pytest.mark.parametrize(
    ("text", "policy_id", "expected"),
    [
        pytest.param(POD, TAG, [(7, 7)], id="bad-value-at-its-key"),
        pytest.param(POD, MEMORY, [(8, 7), (10, 7)], id="missing-key-at-parent-key-or-list-item"),
        pytest.param(FLOW_POD, TAG, [(6, 19)], id="flow-mapping-value"),
        pytest.param(FLOW_POD, MEMORY, [(6, 52)], id="flow-mapping-missing-key"),
        pytest.param(FLOW_SEQUENCE_POD, TAG, [(5, 28)], id="flow-sequence-item"),
        pytest.param(ROLE, "rbac-rules-no-wildcards", [(10, 18), (15, 9)], id="scalar-list-items"),
    ],
)
def test_finding_position(lint_tree: TreeLint, spots: Spots, text: str, policy_id: str,
                          expected: list[tuple[int, int]]) -> None:
    result = lint_tree({"manifest.yaml": text}, select=(policy_id,))
    assert spots(result) == [("manifest.yaml", line, col, policy_id) for line, col in expected]


@pytest.mark.parametrize(
    ("name", "text", "line", "col"),
    [
        pytest.param("pod.yaml", POD, 7, 7, id="yaml"),
        pytest.param("pod.json", '{"kind": "Pod",\n "spec": {"containers": [\n  {"image": "a:latest"}]}}', 3, 4,
                     id="json"),
    ],
)
def test_crlf_line_endings_give_the_same_positions(lint_tree: TreeLint, spots: Spots, name: str, text: str,
                                                   line: int, col: int) -> None:
    result = lint_tree({name: text.replace("\n", "\r\n")}, select=(TAG, "yaml-syntax", "json-syntax"))
    assert spots(result) == [(name, line, col, TAG)]


def test_a_finding_spans_from_its_key_to_the_end_of_its_value(lint_tree: TreeLint) -> None:
    [finding] = lint_tree({"pod.yaml": POD}, select=(TAG,)).findings
    line = POD.splitlines()[6]
    assert (finding.location.line, finding.location.col) == (7, line.index("image") + 1)
    assert (finding.location.end_line, finding.location.end_col) == (7, len(line) + 1)


# --- YAML syntax errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        pytest.param("a: 1\n---\ngreeting: hello: world\n", 3, 16, id="colon-in-plain-value"),
        pytest.param("a:\n\tb: 1\n", 2, 1, id="tab-indentation"),
        pytest.param("- a\nb: c\n", 2, 1, id="mapping-after-sequence"),
    ],
)
def test_yaml_syntax_error_is_a_finding_at_its_mark(lint_tree: TreeLint, spots: Spots, text: str, line: int,
                                                    col: int) -> None:
    assert spots(lint_tree({"broken.yaml": text})) == [("broken.yaml", line, col, "yaml-syntax")]


def test_documents_before_a_syntax_error_are_still_linted(lint_tree: TreeLint, spots: Spots) -> None:
    broken = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata:\n  greeting: hello: world\n"
    text = f"{FLOW_POD}---\n{broken}"
    result = lint_tree({"mixed.yaml": text}, select=(TAG, "yaml-syntax"))
    assert spots(result) == [("mixed.yaml", 6, 19, TAG), ("mixed.yaml", 12, 18, "yaml-syntax")]


@pytest.mark.parametrize(
    "tagged",
    [
        pytest.param("script: [!reference [.setup, script]]", id="gitlab-reference"),
        pytest.param("bucket: !Ref Bucket", id="cloudformation-ref"),
        pytest.param("secrets: !include secrets.yaml", id="include"),
        pytest.param("!custom {a: 1}", id="tagged-root"),
    ],
)
def test_valid_yaml_with_application_tags_is_not_a_syntax_error(lint_tree: TreeLint, spots: Spots,
                                                                tagged: str) -> None:
    """Custom tags are valid YAML (GitLab CI, CloudFormation, ...): no syntax error, and later documents are linted."""
    result = lint_tree({"tagged.yaml": f"{tagged}\n---\n{FLOW_POD}"})
    assert [spot for spot in spots(result) if spot[3] in {TAG, "yaml-syntax"}] == [("tagged.yaml", 2 + 6, 19, TAG)]
    assert result.documents == 2


# --- duplicate keys --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        pytest.param("cm.yaml", "kind: ConfigMap\ndata:\n  mode: fast\n  mode: safe\n", [(4, 3)], id="yaml-block"),
        pytest.param("cm.yaml", "data: {a: 1, b: 2, a: 3}\n", [(1, 20)], id="yaml-flow"),
        pytest.param("cm.yaml", "a: 1\na: 2\na: 3\n", [(2, 1), (3, 1)], id="yaml-each-repeat"),
        pytest.param("cm.yaml", "a: 1\n'a': 2\n", [(2, 1)], id="yaml-quoted-repeat"),
        pytest.param("values.json", '{"replicas": 2, "replicas": 3}', [(1, 17)], id="json-one-line"),
        pytest.param("values.json", '{\n  "a": 1,\n  "b": {"c": 1, "c": 2}\n}\n', [(3, 17)], id="json-nested"),
        pytest.param("values.json", '{"<<": 1, "<<": 2}', [(1, 11)], id="json-merge-key-is-plain-text"),
    ],
)
def test_duplicate_key_is_reported_at_the_repeated_key(lint_tree: TreeLint, spots: Spots, name: str, text: str,
                                                       expected: list[tuple[int, int]]) -> None:
    result = lint_tree({name: text}, select=("yaml-duplicate-key", "json-syntax", "yaml-syntax"))
    assert spots(result) == [(name, line, col, "yaml-duplicate-key") for line, col in expected]


def test_a_file_with_a_duplicate_key_is_still_linted_with_the_last_value(lint_tree: TreeLint, spots: Spots) -> None:
    text = FLOW_POD.replace('image: "app:latest"', 'image: "app:1.0", image: "app:latest"')
    result = lint_tree({"pod.yaml": text}, select=(TAG, "yaml-duplicate-key"))
    assert spots(result) == [("pod.yaml", 6, 19 + len('image: "app:1.0", '), TAG),
                             ("pod.yaml", 6, 19 + len('image: "app:1.0", '), "yaml-duplicate-key")]


@pytest.mark.parametrize(
    ("text", "merged"),
    [
        pytest.param("base: &base {cpu: 100m, memory: 1Gi}\nweb:\n  <<: *base\n  cpu: 200m\n",
                     {"cpu": "200m", "memory": "1Gi"}, id="alias-then-override"),
        pytest.param("base: &base {cpu: 100m}\nweb: {<<: *base, cpu: 200m}\n", {"cpu": "200m"}, id="flow-override"),
        pytest.param("a: &a {x: 1, y: 1}\nb: &b {x: 2, z: 2}\nweb:\n  <<: [*a, *b]\n  y: 3\n",
                     {"x": 1, "y": 3, "z": 2}, id="merge-list-overlapping"),
        pytest.param("web:\n  <<: {cpu: 100m}\n  cpu: 200m\n", {"cpu": "200m"}, id="inline-merge-mapping"),
        pytest.param("web:\n  <<: &defaults {cpu: 100m}\n  cpu: 200m\nworker: *defaults\n", {"cpu": "200m"},
                     id="anchored-inline-merge-mapping"),
    ],
)
def test_keys_overridden_after_a_merge_are_not_duplicates(text: str, merged: dict[str, object]) -> None:
    data, problems = load(text.encode())
    assert problems == []
    assert isinstance(data[0], dict)
    assert data[0]["web"] == merged


def test_a_real_duplicate_next_to_a_merge_is_still_reported() -> None:
    _, problems = load(b"base: &b {x: 1}\nweb:\n  <<: *b\n  x: 2\n  x: 3\n")
    assert problems == [("yaml-duplicate-key", 5, 3)]


# --- unusable files --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"", b"\n", b"   \n\t\n", b"\r\n\r\n", BOM], ids=repr)
def test_empty_or_whitespace_only_file(lint_tree: TreeLint, spots: Spots, raw: bytes) -> None:
    result = lint_tree({"empty.yaml": raw})
    assert spots(result) == [("empty.yaml", 1, 1, "file-empty")]
    assert result.documents == 0


def test_a_file_of_comments_only_is_not_empty(lint_tree: TreeLint) -> None:
    assert lint_tree({"placeholder.yaml": "# resources are added per environment\n"}).findings == []


@pytest.mark.parametrize(
    ("raw", "line", "col", "byte"),
    [
        pytest.param(b"greeting: gr\xfc\xdf dich\n", 1, 13, 0xFC, id="latin-1"),
        pytest.param(b"a: 1\nb: \xff\n", 2, 4, 0xFF, id="second-line"),
        # columns count characters, as YAML and JSON positions do: "name: café " is 11 characters (12 bytes)
        pytest.param("name: café ".encode() + b"\xff\n", 1, 12, 0xFF, id="after-multibyte-character"),
        pytest.param(BOM + b"a: 1\nb: \xff\n", 2, 4, 0xFF, id="after-a-bom"),
    ],
)
def test_invalid_utf8_is_reported_at_the_bad_byte(lint_tree: TreeLint, spots: Spots, raw: bytes, line: int,
                                                  col: int, byte: int) -> None:
    result = lint_tree({"latin.yaml": raw})
    assert spots(result) == [("latin.yaml", line, col, "file-encoding")]
    assert f"byte 0x{byte:02x}" in result.findings[0].message


@pytest.mark.parametrize(
    ("name", "text", "line", "col"),
    [
        pytest.param("pod.yaml", FLOW_POD, 6, 19, id="yaml"),
        pytest.param("pod.json", '{"kind": "Pod", "spec": {"containers": [\n{"image": "a:latest"}]}}', 2, 2, id="json"),
    ],
)
def test_a_utf8_bom_is_accepted_and_does_not_shift_columns(lint_tree: TreeLint, spots: Spots, name: str, text: str,
                                                           line: int, col: int) -> None:
    result = lint_tree({name: BOM + text.encode()}, select=(TAG, "file-encoding", "yaml-syntax", "json-syntax"))
    assert spots(result) == [(name, line, col, TAG)]


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"\x00\x01\x02\x03kind: Pod\n", id="nul-bytes"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", id="png"),
        pytest.param("kind: Pod\n".encode("utf-16-be"), id="utf-16-be-without-bom"),
    ],
)
def test_binary_files_are_reported_not_parsed(lint_tree: TreeLint, spots: Spots, raw: bytes) -> None:
    result = lint_tree({"blob.yaml": raw})
    assert spots(result) == [("blob.yaml", 1, 1, "file-binary")]
    assert result.documents == 0


@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        ("utf-16", "UTF-16 (little-endian)"),
        ("utf-16-be", "UTF-16 (big-endian)"),
        ("utf-32", "UTF-32 (little-endian)"),
        ("utf-32-be", "UTF-32 (big-endian)"),
    ],
)
def test_utf16_and_utf32_with_a_bom_are_named_not_called_binary(lint_tree: TreeLint, spots: Spots, encoding: str,
                                                                name: str) -> None:
    bom = {"utf-16-be": codecs.BOM_UTF16_BE, "utf-32-be": codecs.BOM_UTF32_BE}.get(encoding, b"")
    result = lint_tree({"wide.yaml": bom + "kind: Pod\n".encode(encoding)})
    assert spots(result) == [("wide.yaml", 1, 1, "file-encoding")]
    assert f"the file is {name}" in result.findings[0].message
    assert result.documents == 0


@pytest.mark.parametrize(("size", "too_large"), [(1024, False), (1025, True)])
def test_size_limit_boundary(tmp_path: Path, lint_tree: TreeLint, size: int, too_large: bool) -> None:
    text = "# padding\n" + "#" * (size - len("# padding\n") - 1) + "\n"
    config = Config(root=tmp_path, limits=Limits(max_file_bytes=1024))
    result = lint_tree({"padded.yaml": text}, config=config)
    assert [f.policy_id for f in result.findings] == (["file-too-large"] if too_large else [])


def test_a_huge_file_is_reported_without_being_read(tmp_path: Path, lint_tree: TreeLint, spots: Spots) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(1 << 40)  # a sparse terabyte: reading it would exhaust memory or take minutes
    started = time.monotonic()
    result = lint_tree({}, "huge.yaml")
    assert time.monotonic() - started < 5
    assert spots(result) == [("huge.yaml", 1, 1, "file-too-large")]
    assert str(1 << 40) in result.findings[0].message


def test_bytes_over_the_limit_are_reported_without_parsing() -> None:
    assert load(b"a: 1\n" * 100, limits=Limits(max_file_bytes=64)) == ([], [("file-too-large", 1, 1)])


# --- hostile nesting and aliases ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        pytest.param("deep.yaml", b"[" * 2000, id="yaml-flow-unclosed"),
        pytest.param("deep.yaml", b"[" * 2000 + b"]" * 2000, id="yaml-flow-closed"),
        pytest.param("deep.yaml", "".join("  " * i + "a:\n" for i in range(2000)).encode(), id="yaml-block"),
        pytest.param("deep.json", b"[" * 2000 + b"]" * 2000, id="json-array"),
        pytest.param("deep.json", b'{"a": ' * 5000 + b"1" + b"}" * 5000, id="json-object"),
    ],
)
def test_absurd_nesting_is_document_too_deep(lint_tree: TreeLint, name: str, raw: bytes) -> None:
    result = lint_tree({name: raw})
    assert [f.policy_id for f in result.findings] == ["document-too-deep"]
    assert result.documents == 0


def test_documents_before_a_too_deep_one_are_still_linted(lint_tree: TreeLint, spots: Spots) -> None:
    result = lint_tree({"deep.yaml": FLOW_POD + "---\n" + "[" * 2000}, select=(TAG, "document-too-deep"))
    first, second = spots(result)
    assert first == ("deep.yaml", 6, 19, TAG)
    assert (second[1], second[3]) == (8, "document-too-deep")


@pytest.mark.parametrize("depth", [900, 990])
def test_a_deep_kubernetes_document_under_the_parser_limit_is_linted_without_crashing(
    lint_tree: TreeLint, depth: int
) -> None:
    # manifest-identity-complete fires at the document root, so its finding fingerprints the whole deep document
    text = "kind: ConfigMap\ndata:\n  x: " + "[" * depth + "]" * depth + "\n"
    result = lint_tree({"deep.yaml": text})
    assert result.findings
    assert {f.policy_id for f in result.findings} <= {"manifest-identity-complete", "document-too-deep"}


def test_billion_laughs_is_refused_quickly(lint_tree: TreeLint, spots: Spots) -> None:
    started = time.monotonic()
    result = lint_tree({"lol.yaml": FLOW_POD + "---\n" + BILLION_LAUGHS}, select=(TAG, "yaml-alias-limit"))
    assert time.monotonic() - started < 5
    assert spots(result) == [("lol.yaml", 6, 19, TAG), ("lol.yaml", 8, 1, "yaml-alias-limit")]


def test_aliases_under_the_limit_load_normally() -> None:
    data, problems = load(b"d: &d {cpu: 1}\nweb: {<<: *d, cpu: 2}\nworker: *d\nmore: [*d, *d]\n")
    assert problems == []
    assert data == [{"d": {"cpu": 1}, "web": {"cpu": 2}, "worker": {"cpu": 1}, "more": [{"cpu": 1}, {"cpu": 1}]}]


def _limit_memory() -> None:
    one_gib = 1 << 30
    resource.setrlimit(resource.RLIMIT_AS, (one_gib, one_gib))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a: &a [*a]\n", id="sequence-contains-itself"),
        pytest.param("kind: ConfigMap\ndata: &a {x: *a}\n", id="mapping-contains-itself"),
    ],
)
def test_a_self_referencing_alias_finishes_with_a_finding(tmp_path: Path, text: str) -> None:
    """Run in a child with a memory cap and a timeout, so a loader that loops forever fails this test, not the run."""
    (tmp_path / "loop.yaml").write_text(text, encoding="utf-8")
    try:
        done = subprocess.run([sys.executable, "-m", "gitops_tools", "lint", "loop.yaml"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=10, preexec_fn=_limit_memory,
                              env={**os.environ, "GITOPS_TOOLS_DEBUG": ""}, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("linting a self-referencing alias did not finish within 10 s")
    assert done.returncode == 1, done.stderr
    assert "[yaml-alias-limit]" in done.stdout


# --- scalars ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stamp", ["2024-01-01", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5"])
def test_timestamps_load_as_the_strings_kubernetes_sees(stamp: str) -> None:
    data, problems = load(f"created: {stamp}\nlist: [{stamp}]\n".encode())
    assert problems == []
    assert data == [{"created": stamp, "list": [stamp]}]


# --- JSON ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        pytest.param('{"a": ]}', 1, 7, id="missing-value"),
        pytest.param('{"a" 1}', 1, 6, id="missing-colon"),
        pytest.param('{\n  "a": 1,\n  "b": tru\n}\n', 3, 8, id="bad-literal-later-line"),
        pytest.param('\n\n  {"a": 1}}', 3, 11, id="extra-data"),
    ],
)
def test_json_syntax_error_position(lint_tree: TreeLint, spots: Spots, text: str, line: int, col: int) -> None:
    assert spots(lint_tree({"values.json": text})) == [("values.json", line, col, "json-syntax")]


def test_a_json_file_with_a_duplicate_key_keeps_json_values() -> None:
    """Reporting the duplicate must not change how the rest of the file reads: 1e3 is a JSON number, not text."""
    data, problems = load(b'{"limit": 1e3, "ratio": 2.5E-1, "a": 1, "a": 2}', is_json=True)
    assert problems == [("yaml-duplicate-key", 1, 41)]
    assert data == [{"limit": 1000.0, "ratio": 0.25, "a": 2}]


JSON_POD = """\
{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {"name": "web"},
  "spec": {
    "containers": [
      {"name": "app", "image": "app:latest"}
    ]
  }
}
"""
JSON_POD_MINIFIED = (
    '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"containers":[{"name":"app","image":"app:latest"}]}}'
)


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        pytest.param(JSON_POD, 7, 23, id="indented"),
        pytest.param(JSON_POD.replace("  ", "\t"), 7, 20, id="tab-indented"),
        pytest.param(JSON_POD_MINIFIED, 1, JSON_POD_MINIFIED.index('"image"') + 1, id="minified"),
    ],
)
def test_finding_position_inside_a_json_manifest(lint_tree: TreeLint, spots: Spots, text: str, line: int,
                                                 col: int) -> None:
    assert spots(lint_tree({"pod.json": text}, select=(TAG,))) == [("pod.json", line, col, TAG)]


# --- values that do not fit their tag --------------------------------------------------------------------------------

MISFITS = [
    pytest.param('!!int "abc"', id="int-text"),
    pytest.param("!!bool maybe", id="bool-maybe"),
    pytest.param('!!float "x"', id="float-text"),
    pytest.param('!!int ""', id="int-empty"),
]


def _tagged_config_map(value: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings}}\ndata:\n  x: {value}\n"


@pytest.mark.parametrize("value", MISFITS)
@pytest.mark.parametrize(
    ("before", "expected"),
    [
        pytest.param("", [(5, 6, "yaml-syntax"), (12, 19, TAG)], id="first-document"),
        pytest.param(FLOW_POD + "---\n", [(6, 19, TAG), (12, 6, "yaml-syntax"), (19, 19, TAG)], id="middle-document"),
    ],
)
def test_a_value_that_does_not_fit_its_tag_is_a_syntax_error_at_the_value(
    lint_tree: TreeLint, spots: Spots, value: str, before: str, expected: list[tuple[int, int, str]]
) -> None:
    result = lint_tree({"tagged.yaml": before + _tagged_config_map(value) + "---\n" + FLOW_POD},
                       select=(TAG, "yaml-syntax"))
    assert spots(result) == [("tagged.yaml", line, col, policy_id) for line, col, policy_id in expected]
    assert result.documents == len(expected) - 1  # the misfit's document is not linted, the others are
    [syntax] = [f for f in result.findings if f.policy_id == "yaml-syntax"]
    assert "a value does not fit its tag" in syntax.message


@pytest.mark.parametrize("value", MISFITS)
def test_a_value_that_does_not_fit_its_tag_exits_1_not_3(run_cli: Callable[..., tuple[int, str, str]],
                                                          write_files: Callable[..., list[Path]], value: str) -> None:
    write_files({"tagged.yaml": _tagged_config_map(value)})
    code, out, err = run_cli("lint", "tagged.yaml")
    assert (code, err) == (1, "")
    assert out.startswith("tagged.yaml:5:6: error [yaml-syntax] YAML syntax error: a value does not fit its tag (")


# --- JSON escapes ----------------------------------------------------------------------------------------------------

EMOJI = r"\ud83d\ude00"


def _json_pod(note: str, minified: bool = False) -> str:
    newline = "" if minified else "\n "
    return (f'{{"apiVersion": "v1", "kind": "Pod",{newline}"metadata": {{"name": "web", "annotations": '
            f'{{"note": "{note}"}}}},{newline}"spec": {{"containers": [{{"name": "app", "image": "app:latest"}}]}}}}\n')


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param(_json_pod(EMOJI), 3, id="pair-on-an-earlier-line"),
        pytest.param(_json_pod(EMOJI, minified=True), 1, id="pair-on-the-same-line"),
        pytest.param(_json_pod(EMOJI * 20, minified=True), 1, id="many-pairs-on-the-same-line"),
        pytest.param(_json_pod(r"\uD83D\uDE00", minified=True), 1, id="upper-case-hex"),
        pytest.param(_json_pod(r"\ud800 lone"), 3, id="lone-surrogate"),
        pytest.param(_json_pod(r"\\ud83d is not an escape"), 3, id="escaped-backslash"),
    ],
)
def test_escaped_surrogates_in_json_keep_positions(lint_tree: TreeLint, spots: Spots, text: str, line: int) -> None:
    col = text.splitlines()[line - 1].index('"image"') + 1
    assert spots(lint_tree({"pod.json": text}, select=(TAG,))) == [("pod.json", line, col, TAG)]


def test_a_duplicate_key_after_a_surrogate_pair_keeps_its_column() -> None:
    text = f'{{"note": "{EMOJI}{EMOJI}", "a": 1, "a": 2}}'
    data, problems = load(text.encode(), is_json=True)
    assert problems == [("yaml-duplicate-key", 1, text.rindex('"a"') + 1)]
    assert data == [{"note": "\U0001f600\U0001f600", "a": 2}]


# --- positions through anchors, aliases and merge keys ---------------------------------------------------------------

MERGED_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - &c
      name: app
      image: app:latest
      securityContext: {privileged: true}
    - <<: *c
      name: sidecar
"""

MERGED_FROM_ELSEWHERE = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  initContainers:
    - &c {name: init, image: "app:latest", securityContext: {privileged: true}}
  containers:
    - name: app
      <<: *c
    - {<<: *c, name: sidecar}
"""


@pytest.mark.parametrize(
    ("text", "policy_id", "expected"),
    [
        pytest.param(MERGED_POD, TAG, [(8, 7), (10, 7)], id="merge-in-the-same-list-tag"),
        pytest.param(MERGED_POD, "container-not-privileged", [(9, 25), (10, 7)], id="merge-privileged"),
        pytest.param(MERGED_POD, MEMORY, [(6, 7), (10, 7)], id="merge-missing-key"),
        pytest.param(MERGED_FROM_ELSEWHERE, TAG, [(6, 23), (8, 7), (10, 7)], id="merge-from-another-list"),
    ],
)
def test_findings_through_a_merge_key_land_on_the_reusing_container(lint_tree: TreeLint, spots: Spots, text: str,
                                                                    policy_id: str,
                                                                    expected: list[tuple[int, int]]) -> None:
    result = lint_tree({"pod.yaml": text}, select=(policy_id,))
    assert spots(result) == [("pod.yaml", line, col, policy_id) for line, col in expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("    - &c\n      name: app\n      image: app:latest\n    - *c\n", [(8, 7), (9, 7)],
                     id="alias-in-the-same-list"),
        pytest.param("    - &c\n      name: app\n      image: app:latest\n  initContainers:\n    - *c\n",
                     [(8, 7), (10, 7)], id="alias-in-another-list"),
    ],
)
def test_findings_through_an_alias_land_on_the_alias(lint_tree: TreeLint, spots: Spots, text: str,
                                                     expected: list[tuple[int, int]]) -> None:
    """A whole container reused by `*c` is reported where `*c` stands, not twice at the anchor."""
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n" + text
    result = lint_tree({"pod.yaml": pod}, select=(TAG,))
    assert spots(result) == [("pod.yaml", line, col, TAG) for line, col in expected]


@pytest.mark.parametrize("separator", ["---\n", "...\n%YAML 1.1\n---\n", "--- # the pod\n"])
def test_findings_through_an_alias_land_on_the_alias_in_any_document_of_a_stream(lint_tree: TreeLint, spots: Spots,
                                                                                  separator: str) -> None:
    """A document's alias tree is composed from its own stretch of the stream: the findings of the second and third
    documents land on their aliases, whatever comes between the documents."""
    config = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n"
    pod = ("apiVersion: v1\nkind: Pod\nmetadata: {name: NAME}\nspec:\n  containers:\n"
           "    - &c\n      name: app\n      image: app:latest\n    - *c\n")
    text = config + separator + pod.replace("NAME", "web") + separator + pod.replace("NAME", "api")
    result = lint_tree({"pods.yaml": text}, select=(TAG,))
    first = 4 + separator.count("\n")  # lines before the first pod
    second = first + 9 + separator.count("\n")
    assert spots(result) == [("pods.yaml", line, 7, TAG) for line in (first + 8, first + 9, second + 8, second + 9)]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(MERGED_POD, id="merge-key"),
        pytest.param(MERGED_FROM_ELSEWHERE, id="merge-from-another-list"),
        pytest.param(POD.replace("registry.example.com/app:latest", "&img registry.example.com/app:latest")
                     + "    - name: third\n      image: *img\n", id="scalar-alias"),
        pytest.param("x-image: &img app:latest\n" + FLOW_POD.replace('"app:latest"', "*img"), id="alias-above"),
    ],
)
def test_every_finding_span_ends_after_it_starts(lint_tree: TreeLint, text: str) -> None:
    """SARIF and editors take (line, col)..(end_line, end_col) as a region: it must not run backwards."""
    result = lint_tree({"pod.yaml": text})
    assert result.findings
    backwards = [(f.policy_id, f.location) for f in result.findings
                 if (f.location.end_line, f.location.end_col) < (f.location.line, f.location.col)]
    assert backwards == []


@pytest.mark.parametrize("character", ["\x1b", "\x7f", "\x07", "\ufffe"])
def test_a_control_character_is_a_syntax_finding_not_a_crash(write_files: FileWriter, run_cli: CliRun,
                                                             character: str) -> None:
    write_files({"ok.yaml": "a: 1\n", "bad.yaml": f"# pasted {character}[0m\na: 1\n"})
    code, out, err = run_cli("lint", ".")
    assert (code, err) == (1, "")
    assert out.splitlines()[0].startswith("bad.yaml:1:10: error [yaml-syntax] YAML syntax error: character")


# --- positions count lines by \n, \r\n and \r only ------------------------------------------------------------------

LINE_ENDINGS_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
    note: "a{sep}b{sep}c"
    note: again
spec:
  containers:
    - name: app  # gitops-tools: disable-line container-image-tag-not-latest
      image: nginx:latest
"""


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085", " "], ids=["ls", "ps", "nel", "space"])
def test_every_finding_kind_keeps_its_line_whatever_the_line_breaks(lint_tree: TreeLint, spots: Spots, newline: str,
                                                                     separator: str) -> None:
    """libyaml breaks lines at U+2028, U+2029 and U+0085 too (YAML 1.1); editors and git do not, and neither do we.
    CR-only files count one line per CR."""
    pod = LINE_ENDINGS_POD.format(sep=separator).replace("\n", newline)
    broken = "a: 1\nb: [\n".replace("\n", newline)
    json_text = '{\n  "a": 1,\n  "b": ,\n}\n'.replace("\n", newline)
    result = lint_tree({"pod.yaml": pod, "broken.yaml": broken, "broken.json": json_text},
                       select=(TAG, "container-memory-limit-set"))
    assert spots(result) == [
        ("broken.json", 3, 8, "json-syntax"),
        ("broken.yaml", 3, 1, "yaml-syntax"),
        ("pod.yaml", 7, 5, "yaml-duplicate-key"),
        ("pod.yaml", 10, 7, "container-memory-limit-set"),
        ("pod.yaml", 10, 18, "suppression-unused"),
        ("pod.yaml", 11, 7, TAG),
    ]


@pytest.mark.parametrize("newline", ["\n", "\r"], ids=["lf", "cr"])
def test_an_undecodable_byte_is_found_on_its_line_in_a_cr_only_file(lint_tree: TreeLint, spots: Spots,
                                                                    newline: str) -> None:
    raw = "a: 1\nb: 2\nc: ".replace("\n", newline).encode() + b"\xff\n"
    assert spots(lint_tree({"latin.yaml": raw})) == [("latin.yaml", 3, 4, "file-encoding")]


# --- keys that load as true, null or the same number -----------------------------------------------------------------

KEY_POLICY = """\
id: workflow-keys-are-mappings
title: true and null keys hold mappings
severity: warning
message: the value is not a mapping
targets:
  scope: document
schema:
  properties:
    "true": {type: object}
    "null": {type: object}
    "1": {type: object}
docs: A custom policy over keys YAML 1.1 loads as true, null and 1, to check where its findings land.
examples:
  pass: ["kind: Workflow\\non: {push: {}}\\n"]
  fail: ["kind: Workflow\\non: push\\n"]
"""


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param("kind: Workflow\nname: ci\non: push\n", 3, id="on-loads-as-true"),
        pytest.param("kind: Workflow\nname: ci\nyes: push\n", 3, id="yes-loads-as-true"),
        pytest.param("kind: Workflow\nname: ci\n~: x\n", 3, id="tilde-loads-as-null"),
        pytest.param("kind: Workflow\nname: ci\n0x1: x\n", 3, id="hex-loads-as-one"),
    ],
)
def test_a_finding_under_a_key_that_loads_as_true_null_or_a_number_lands_on_that_key(
        tmp_path: Path, policies: dict[str, Any], spots: Spots, text: str, line: int) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "workflow-keys-are-mappings.yaml").write_text(KEY_POLICY, encoding="utf-8")
    (tmp_path / "ci.yaml").write_text(text, encoding="utf-8")
    everything = {**policies, **load_policies([folder])}
    result = lint([str(tmp_path / "ci.yaml")], Config(root=tmp_path, policy_dirs=(folder,)), everything,
                  LintOptions(select=("workflow-keys-are-mappings",)))
    assert spots(result) == [(str(tmp_path / "ci.yaml"), line, 1, "workflow-keys-are-mappings")]


@pytest.mark.parametrize(
    ("mapping", "second", "message"),
    [
        pytest.param("true: 1\non: 2\n", (2, 1), "'on' loads as the same key as 'true' (line 1)", id="true-on"),
        pytest.param("yes: 1\nTrue: 2\n", (2, 1), "'True' loads as the same key as 'yes' (line 1)", id="yes-true"),
        pytest.param("~: 1\nnull: 2\n", (2, 1), "'null' loads as the same key as '~' (line 1)", id="tilde-null"),
        pytest.param("1: a\n0x1: b\n", (2, 1), "'0x1' loads as the same key as '1' (line 1)", id="one-hex"),
        pytest.param("1: a\n01: b\n", (2, 1), "'01' loads as the same key as '1' (line 1)", id="one-octal"),
        pytest.param("1: a\n1.0: b\n", (2, 1), "'1.0' loads as the same key as '1' (line 1)", id="one-float"),
        pytest.param("a: 1\nb: 2\na: 3\n", (3, 1), "'a' appears again", id="same-text"),
        pytest.param("1: a\ntrue: b\n", (2, 1), "'true' loads as the same key as '1' (line 1)",
                     id="python-true-equals-1"),
    ],
)
def test_yaml_1_1_keys_that_collapse_into_one_are_duplicates_at_the_second(lint_tree: TreeLint, spots: Spots,
                                                                           mapping: str, second: tuple[int, int],
                                                                           message: str) -> None:
    result = lint_tree({"keys.yaml": mapping})
    assert spots(result) == [("keys.yaml", *second, "yaml-duplicate-key")]
    assert message in result.findings[0].message


def test_distinct_keys_that_only_look_alike_are_not_duplicates(lint_tree: TreeLint) -> None:
    """Quoted keys are text: '1', 'true', 'on' and '~' differ from 1, true and null."""
    assert lint_tree({"keys.yaml": "'1': a\n1: b\n'true': c\n'on': d\nnull: e\n'~': f\n"}).findings == []


# --- tags that run code elsewhere ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["!!python/object/apply:os.system [id]", "!!python/name:os.system", "!ruby/object:Gem::Installer {i: x}",
     "!!js/function 'function(){}'", "!!javax.script.ScriptEngineManager [x]", "!php/object 'O:8:x'"],
)
def test_code_running_tags_are_findings_and_read_as_data(lint_tree: TreeLint, spots: Spots, value: str) -> None:
    result = lint_tree({"cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\ndata:\n  a: {value}\n"})
    # read as data: a tagged list or mapping is no text, which ConfigMap.data holds (the API server refuses it)
    structural = [("cm.yaml", 5, 3, "kubernetes-structure-valid")] if value.endswith(("]", "}")) else []
    assert spots(result) == [*structural, ("cm.yaml", 5, 6, "yaml-tag-safe")]
    assert result.documents == 1


# --- integers over Python's digit limit -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "line", "col", "policy_id"),
    [
        pytest.param("big.json", '{\n  "replicas": ' + "1" * 5000 + "\n}\n", 2, 15, "json-syntax", id="json"),
        pytest.param("big.yaml", "a: 1\nreplicas: " + "1" * 5000 + "\n", 2, 11, "yaml-syntax", id="yaml"),
    ],
)
def test_an_integer_over_the_digit_limit_is_a_finding_at_its_position(lint_tree: TreeLint, spots: Spots, name: str,
                                                                      text: str, line: int, col: int,
                                                                      policy_id: str) -> None:
    """Python refuses to turn more than 4300 digits into an int (ValueError): before, exit 3 for JSON."""
    result = lint_tree({name: text})
    assert spots(result) == [(name, line, col, policy_id)]
    assert "4300" in result.findings[0].message


def test_a_lone_surrogate_in_json_reads_as_the_replacement_character(lint_tree: TreeLint, spots: Spots) -> None:
    """As Go's encoding/json (so Kubernetes) reads it; a lone surrogate cannot be encoded (before: exit 3)."""
    text = '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "\\ud800", "\\udc00": 1}, "data": {}}\n'
    result = lint_tree({"cm.json": text})
    assert spots(result) == [("cm.json", 1, 43, "kubernetes-structure-valid"),  # metadata has no field U+FFFD
                             ("cm.json", 1, 56, "manifest-identity-complete")]  # U+FFFD is no valid object name
    assert result.documents == 1


def test_a_long_base_60_integer_is_refused_at_its_position(lint_tree: TreeLint, spots: Spots) -> None:
    """PyYAML builds `1:1:...` with big-integer arithmetic, quadratic in its length (1.6 MB took 34 s)."""
    result = lint_tree({"sexa.yaml": "a: 1\nb: " + ":".join(["1"] * 1000) + "\nc: 1:30\n"})
    assert spots(result) == [("sexa.yaml", 2, 4, "yaml-syntax")]
    assert "a base-60 integer of 1999 characters is longer than 100" in result.findings[0].message


def test_locate_near_finds_a_name_in_a_document_with_aliases_without_composing_its_alias_tree() -> None:
    """Workspace records place every object's name: in a document that uses aliases that must not compose the
    file's alias trees (1.6 s for a 5.7 MB stream), and where no alias is on the path it is exactly `locate`."""
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: &l {app: web}\n  name: web\n  annotations: *l\n"
    (document,) = load_bytes(text.encode(), "a.yaml", Limits()).documents
    assert document.node is None and document.plain is not None  # its alias tree is composed on first `locate`
    near = document.locate_near(("metadata", "name"))
    assert document.node is None  # still not composed
    assert near == document.locate(("metadata", "name")) == (5, 3, 5, 12)
