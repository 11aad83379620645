"""The 3-way merge of update and add: each rule of gitops_tools/lifecycle/merge.py on real `git merge-file`, and the
structural YAML merge where a line merge conflicts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_tools.lifecycle.merge import Conflict, Labels, Merged, line_merge, merge
from gitops_tools.lifecycle.tree import Entry, Tree
from gitops_tools.lifecycle.yamlmerge import merge_yaml

LABELS = Labels(ours="ours (repo)", base="base (service 1.0.0)", theirs="theirs (service 1.1.0)")
TEXT = b"one\ntwo\nthree\nfour\nfive\n"


def tree(**files: bytes | Entry) -> Tree:
    return {path.replace("__", "/").replace("_", "."): e if isinstance(e, Entry) else Entry(e)
            for path, e in files.items()}


@pytest.mark.parametrize(("base", "ours", "theirs", "writes", "deletes"), [
    # unchanged everywhere, or only ours changed: nothing to do
    (TEXT, TEXT, TEXT, {}, set()),
    (TEXT, b"mine\n", TEXT, {}, set()),
    # only the template changed: theirs is taken
    (TEXT, TEXT, b"new\n", {"f.txt": Entry(b"new\n")}, set()),
    # both made the same change
    (TEXT, b"same\n", b"same\n", {}, set()),
    # the template added a file; the template removed an unchanged file
    (None, None, b"new\n", {"f.txt": Entry(b"new\n")}, set()),
    (TEXT, TEXT, None, {}, {"f.txt"}),
    # the user added a file the template never had; the user deleted an unchanged file
    (None, b"mine\n", None, {}, set()),
    (TEXT, None, TEXT, {}, set()),
])
def test_one_sided_changes(base: bytes | None, ours: bytes | None, theirs: bytes | None, writes: Tree,
                           deletes: set[str]) -> None:
    def one(data: bytes | None) -> Tree:
        return {} if data is None else {"f.txt": Entry(data)}

    merged = merge(one(base), one(ours), one(theirs), LABELS)
    assert (merged.writes, merged.deletes, merged.conflicts) == (writes, deletes, [])


def test_disjoint_line_changes_merge_cleanly() -> None:
    ours = TEXT.replace(b"one", b"ONE")
    theirs = TEXT.replace(b"five", b"FIVE")
    merged = merge(tree(f_txt=TEXT), tree(f_txt=ours), tree(f_txt=theirs), LABELS)
    assert merged.writes == {"f.txt": Entry(b"ONE\ntwo\nthree\nfour\nFIVE\n")}
    assert merged.conflicts == []


def test_a_true_conflict_is_written_with_labelled_diff3_markers() -> None:
    merged = merge(tree(f_txt=TEXT), tree(f_txt=TEXT.replace(b"three", b"mine")),
                   tree(f_txt=TEXT.replace(b"three", b"theirs")), LABELS)
    assert merged.conflicts == [Conflict("f.txt", "content")]
    assert merged.writes["f.txt"].data == (
        b"one\ntwo\n<<<<<<< ours (repo)\nmine\n||||||| base (service 1.0.0)\nthree\n=======\ntheirs\n"
        b">>>>>>> theirs (service 1.1.0)\nfour\nfive\n")


def test_user_deleted_file_stays_deleted_and_edited_removed_file_is_kept() -> None:
    base = tree(gone_txt=TEXT, kept_txt=TEXT)
    ours = tree(kept_txt=b"edited\n")
    theirs = tree(gone_txt=b"changed by the template\n")
    merged = merge(base, ours, theirs, LABELS)
    assert (merged.writes, merged.deletes, merged.conflicts) == ({}, set(), [])
    assert merged.notes == ["gone.txt: you deleted it and the template changed it; it stays deleted",
                            "kept.txt: the template removed it and you changed it; it is kept"]


def test_add_add_with_different_content_is_a_conflict() -> None:
    merged = merge({}, tree(new_txt=b"mine\n"), tree(new_txt=b"theirs\n"), LABELS)
    assert merged.conflicts == [Conflict("new.txt", "add/add")]
    assert b"<<<<<<< ours (repo)\nmine\n" in merged.writes["new.txt"].data


def test_binary_files_are_never_merged_and_ours_is_kept() -> None:
    merged = merge(tree(logo_png=b"\x89PNG\0base"), tree(logo_png=b"\x89PNG\0ours"),
                   tree(logo_png=b"\x89PNG\0theirs"), LABELS)
    assert merged.conflicts == [Conflict("logo.png", "binary")]
    assert merged.writes == {}
    # one-sided binary changes still flow
    assert merge(tree(logo_png=b"\0a"), tree(logo_png=b"\0a"), tree(logo_png=b"\0b"), LABELS).writes == \
        tree(logo_png=b"\0b")


def test_the_executable_bit_merges_apart_from_the_content() -> None:
    base, ours = tree(run_sh=Entry(TEXT)), tree(run_sh=Entry(TEXT.replace(b"one", b"ONE")))
    theirs = tree(run_sh=Entry(TEXT.replace(b"five", b"FIVE"), executable=True))
    assert merge(base, ours, theirs, LABELS).writes == \
        tree(run_sh=Entry(b"ONE\ntwo\nthree\nfour\nFIVE\n", executable=True))
    # the user made it executable, the template changed its text: both kept
    merged = merge(base, tree(run_sh=Entry(TEXT, True)), tree(run_sh=Entry(b"new\n")), LABELS)
    assert merged.writes == tree(run_sh=Entry(b"new\n", executable=True))


def test_line_merge_reports_clean_and_conflicted() -> None:
    assert line_merge(b"a\n", b"a\n", b"b\n", LABELS) == (b"b\n", True)
    assert line_merge(b"a\n", b"c\n", b"b\n", LABELS)[1] is False


KUSTOMIZATION = b"""\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
# the service's own objects
resources:
  - deployment.yaml
  - service.yaml
labels:
  - pairs:
      app: web
"""


def test_yaml_two_items_appended_to_one_list_merge_structurally() -> None:
    ours = KUSTOMIZATION.replace(b"  - service.yaml\n", b"  - service.yaml\n  - mine.yaml  # my own\n")
    theirs = KUSTOMIZATION.replace(b"  - service.yaml\n", b"  - service.yaml\n  - postgres.yaml\n")
    assert line_merge(KUSTOMIZATION, ours, theirs, LABELS)[1] is False
    merged = merge(tree(k_yaml=KUSTOMIZATION), tree(k_yaml=ours), tree(k_yaml=theirs), LABELS)
    assert merged.conflicts == []
    assert merged.writes["k.yaml"].data == KUSTOMIZATION.replace(
        b"  - service.yaml\n", b"  - service.yaml\n  - mine.yaml  # my own\n  - postgres.yaml\n")
    assert merged.notes == ["k.yaml: merged key by key as YAML (a line merge conflicted)"]


DEPLOYMENT = b"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: app
        image: registry.example.com/web:1.0.0
        env:
        - name: LOG_LEVEL
          value: info
"""


def test_yaml_two_keys_added_to_one_mapping_and_named_items_merge() -> None:
    ours = DEPLOYMENT.replace(b"  replicas: 2\n", b"  replicas: 2\n  revisionHistoryLimit: 3\n") \
        .replace(b"value: info", b"value: debug")
    theirs = DEPLOYMENT.replace(b"  replicas: 2\n", b"  replicas: 2\n  minReadySeconds: 10\n") \
        .replace(b"          value: info\n", b"          value: info\n        - name: OTEL\n          value: 'on'\n")
    merged = merge_yaml(DEPLOYMENT, ours, theirs)
    assert merged == DEPLOYMENT.replace(
        b"  replicas: 2\n", b"  replicas: 2\n  minReadySeconds: 10\n  revisionHistoryLimit: 3\n").replace(
        b"          value: info\n", b"          value: debug\n        - name: OTEL\n          value: 'on'\n")


@pytest.mark.parametrize(("ours", "theirs"), [
    # one scalar changed both ways: a true conflict
    (DEPLOYMENT.replace(b"replicas: 2", b"replicas: 3"), DEPLOYMENT.replace(b"replicas: 2", b"replicas: 4")),
    # the user deleted a key the template changed
    (DEPLOYMENT.replace(b"  replicas: 2\n", b""), DEPLOYMENT.replace(b"replicas: 2", b"replicas: 4")),
    # a different number of documents
    (DEPLOYMENT + b"---\nkind: A\n", DEPLOYMENT.replace(b"replicas: 2", b"replicas: 4") + b"---\nkind: B\n"),
    # ours does not round-trip in a layout the merge knows (3-space indent): its formatting could not be kept
    (DEPLOYMENT.replace(b"  replicas: 2\n", b"  replicas: 3\n").replace(b"\n  ", b"\n   "),
     DEPLOYMENT.replace(b"  name: web\n", b"  name: web\n  labels: {a: b}\n")),
    # not YAML at all
    (b"key: [unclosed\n", b"key: other\n"),
])
def test_yaml_merge_declines_what_it_cannot_decide(ours: bytes, theirs: bytes) -> None:
    assert merge_yaml(DEPLOYMENT, ours, theirs) is None


def test_a_declined_yaml_merge_keeps_the_line_conflict() -> None:
    ours = DEPLOYMENT.replace(b"replicas: 2", b"replicas: 3")
    theirs = DEPLOYMENT.replace(b"replicas: 2", b"replicas: 4")
    merged = merge(tree(d_yaml=DEPLOYMENT), tree(d_yaml=ours), tree(d_yaml=theirs), LABELS)
    assert merged.conflicts == [Conflict("d.yaml", "content")]
    assert b"<<<<<<< ours (repo)\n  replicas: 3\n" in merged.writes["d.yaml"].data


def test_yaml_add_add_of_disjoint_keys_merges() -> None:
    ours, theirs = b"a: 1\nb: 2\n", b"a: 1\nc: 3\n"
    assert merge_yaml(b"", ours, theirs) == b"a: 1\nc: 3\nb: 2\n"  # c follows a in theirs
    assert merge_yaml(b"", b"a: 1\n", b"a: 2\n") is None


def test_yaml_booleans_are_not_numbers() -> None:
    assert merge_yaml(b"x: 1\ny: a\n", b"x: true\ny: a\n", b"x: 1\ny: b\n") == b"x: true\ny: b\n"
    # theirs removed 1 from the list: ours' true is another item and stays
    assert merge_yaml(b"x: [1, 2]\n", b"x: [true, 2]\n", b"x: [2]\n") == b"x: [true, 2]\n"


def result_of(ours: Tree, merged: Merged) -> Tree:
    return {path: entry for path, entry in {**ours, **merged.writes}.items() if path not in merged.deletes}


files = st.dictionaries(st.sampled_from(["a.txt", "b.yaml", "c/d.txt"]),
                        st.builds(Entry, st.sampled_from([b"x\n", b"y\n", b"x\ny\n", b"\0bin"]), st.booleans()),
                        max_size=3)


@settings(deadline=None)
@given(base=files, changed=files)
def test_a_one_sided_change_is_taken_whole(base: Tree, changed: Tree) -> None:
    """Whatever the trees: only the template changed -> the result is the template's; only the repo changed ->
    the repo stays as it is; both the same -> nothing to do. Never a conflict in these cases."""
    updated = merge(base, base, changed, LABELS)
    assert result_of(base, updated) == changed and updated.conflicts == []
    kept = merge(base, changed, base, LABELS)
    assert (kept.writes, kept.deletes, kept.conflicts) == ({}, set(), [])
    same = merge(base, changed, changed, LABELS)
    assert (same.writes, same.deletes, same.conflicts) == ({}, set(), [])
