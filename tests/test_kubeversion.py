"""The Kubernetes version a run targets: `--kubernetes-version`, else the config's `kubernetes_version`, else the
default; a value that is no Kubernetes version is a usage or config error (exit 2) at its position."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import CliRun

from gitops_tools.config import load_config
from gitops_tools.errors import ConfigError
from gitops_tools.kubeversion import DEFAULT, NEWEST, KubernetesVersion, target_version

CONFIG = ".gitops-tools.yaml"
CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\ndata: {a: b}\n"


@pytest.mark.parametrize(("text", "expected"), [
    ("1.22", (1, 22)), ("v1.22", (1, 22)), ("1.22.3", (1, 22)), (" 1.9 ", (1, 9)), ("1.0", (1, 0)),
])
def test_a_version_reads_as_its_minor_release(text: str, expected: tuple[int, int]) -> None:
    version = KubernetesVersion.parse(text)
    assert version == expected
    assert str(version) == f"{expected[0]}.{expected[1]}"


@pytest.mark.parametrize("text", ["1", "1.", "2.0", "1.022", "1.2x", "one.two", "", "1.22-rc.1", "v 1.2"])
def test_a_text_that_is_no_version_is_refused_saying_how_to_write_it(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape("write it 1.N")):
        KubernetesVersion.parse(text)


def test_a_version_newer_than_the_data_is_refused() -> None:
    newer = f"{NEWEST.major}.{NEWEST.minor + 1}"
    with pytest.raises(ValueError, match=re.escape(f"covers up to {NEWEST}")):
        KubernetesVersion.parse(newer)
    assert KubernetesVersion.parse(str(NEWEST)) == NEWEST


def test_versions_compare_as_numbers() -> None:
    assert KubernetesVersion.parse("1.9") < KubernetesVersion.parse("1.10") < KubernetesVersion.parse("1.22")


def test_the_flag_wins_over_the_config_which_wins_over_the_default() -> None:
    flag, configured = KubernetesVersion(1, 19), KubernetesVersion(1, 25)
    assert target_version(flag, configured) == flag
    assert target_version(None, configured) == configured
    assert target_version(None, None) == DEFAULT


def test_the_config_key_is_read(tmp_path: Path) -> None:
    (tmp_path / CONFIG).write_text('kubernetes_version: "1.25"\n', encoding="utf-8")
    assert load_config(tmp_path / CONFIG, tmp_path).kubernetes_version == (1, 25)
    (tmp_path / CONFIG).write_text("exclude: []\n", encoding="utf-8")
    assert load_config(tmp_path / CONFIG, tmp_path).kubernetes_version is None


@pytest.mark.parametrize(("value", "words"), [
    ("1.20", "quote it (1.2 is read as a number"),
    ('"1.x"', "is not a Kubernetes version"),
    ('"1.99"', "newer than this gitops-tools knows"),
])
def test_a_bad_config_value_is_a_config_error_at_its_position(tmp_path: Path, value: str, words: str) -> None:
    (tmp_path / CONFIG).write_text(f"exclude: []\nkubernetes_version:   {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / CONFIG, tmp_path)
    assert caught.value.location is not None
    assert (caught.value.location.line, caught.value.location.col) == (2, 1)  # the key, as for policy_set
    assert words in caught.value.message


@pytest.mark.parametrize("value", ["1.20", '"1.x"', "[1, 22]"])
def test_a_bad_config_value_is_exit_2_with_its_position_through_the_cli(tmp_path: Path, run_cli: CliRun,
                                                                         value: str) -> None:
    (tmp_path / CONFIG).write_text(f"exclude: []\nkubernetes_version: {value}\n", encoding="utf-8")
    (tmp_path / "cm.yaml").write_text(CONFIG_MAP, encoding="utf-8")
    code, _, err = run_cli("lint", "cm.yaml")
    assert code == 2
    assert f"{CONFIG}:2:1:" in err and "kubernetes_version" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("value", ["1.x", "1.99", "latest"])
def test_a_bad_flag_is_exit_2(tmp_path: Path, run_cli: CliRun, value: str) -> None:
    (tmp_path / "cm.yaml").write_text(CONFIG_MAP, encoding="utf-8")
    code, _, err = run_cli("lint", "--kubernetes-version", value, "cm.yaml")
    assert code == 2
    assert "--kubernetes-version" in err and "Traceback" not in err


def test_a_good_flag_runs(tmp_path: Path, run_cli: CliRun) -> None:
    (tmp_path / "cm.yaml").write_text(CONFIG_MAP, encoding="utf-8")
    code, out, err = run_cli("lint", "--kubernetes-version", "1.25", "cm.yaml")
    assert (code, err) == (0, ""), out
