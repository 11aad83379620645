"""Kubernetes quantities read exactly (gitops_tools/checks/_quantity.py), and the checks that compare them."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from gitops_tools.checks import hpa_replicas_range, requests_within_limits, volume_mounts_defined
from gitops_tools.checks._quantity import parse_quantity


@pytest.mark.parametrize(("value", "expected"), [
    ("250m", Fraction(1, 4)),
    ("0.25", Fraction(1, 4)),
    (0.25, Fraction(1, 4)),  # YAML float: read by its decimal text, not its binary value
    (0.1, Fraction(1, 10)),
    (2, Fraction(2)),
    ("2", Fraction(2)),
    ("1k", Fraction(1000)),
    ("1M", Fraction(10**6)),
    ("1G", Fraction(10**9)),
    ("1T", Fraction(10**12)),
    ("1P", Fraction(10**15)),
    ("1E", Fraction(10**18)),  # a suffix: exa
    ("1E3", Fraction(1000)),  # an exponent
    ("1e3", Fraction(1000)),
    ("1e-3", Fraction(1, 1000)),
    ("1E+2", Fraction(100)),
    (1e20, Fraction(10**20)),  # YAML float written 1e+20 by repr
    ("1Ki", Fraction(1024)),
    ("1Mi", Fraction(2**20)),
    ("1.5Gi", Fraction(3 * 2**29)),
    ("1Ti", Fraction(2**40)),
    ("1Pi", Fraction(2**50)),
    ("1Ei", Fraction(2**60)),
    (".5Ki", Fraction(512)),
    ("5.", Fraction(5)),
    ("+1k", Fraction(1000)),
    ("-1", Fraction(-1)),
    ("0", Fraction(0)),
])
def test_a_quantity_is_read_exactly(value: Any, expected: Fraction) -> None:
    assert parse_quantity(value) == expected


@pytest.mark.parametrize("value", [
    "", "abc", "1 Gi", "1gi", "1KI", "1.5.", "1m5", "Gi", ".", "1ki", "1e", "1e1.5", "0x10", "1_000", "∞",
    "1e999",  # an exponent beyond the bound: not read (the arithmetic stays small)
    "1" * 65,  # text beyond the bound
    True, None, [], {}, float("inf"), float("nan"),
])
def test_what_is_not_a_quantity_is_none(value: Any) -> None:
    assert parse_quantity(value) is None


@pytest.mark.parametrize(("a", "b"), [("1Gi", 1073741824), ("500m", 0.5), ("1e3", "1k"), ("1000Mi", "1000Mi"),
                                      ("0.001", "1m"), ("1024Ki", "1Mi")])
def test_equal_amounts_in_different_notations_compare_equal(a: Any, b: Any) -> None:
    assert parse_quantity(a) == parse_quantity(b)


def container(requests: dict[str, Any], limits: dict[str, Any] | None = None) -> dict[str, Any]:
    resources: dict[str, Any] = {"requests": requests}
    if limits is not None:
        resources["limits"] = limits
    return {"name": "app", "resources": resources}


@pytest.mark.parametrize(("requests", "limits", "flagged"), [
    ({"cpu": "500m", "memory": "1Gi"}, {"cpu": 0.5, "memory": 1073741824}, []),
    ({"cpu": "501m"}, {"cpu": 0.5}, ["cpu"]),
    ({"memory": "1025Mi"}, {"memory": "1Gi"}, ["memory"]),
    ({"ephemeral-storage": "2G"}, {"ephemeral-storage": "1Gi"}, ["ephemeral-storage"]),
    ({"cpu": "2"}, None, []),  # no limit: another policy's business
    ({"cpu": "lots"}, {"cpu": "1"}, []),  # not a quantity: the structure policies' business
    ({"cpu": "2"}, {"cpu": "n/a"}, []),
    ({"hugepages-2Mi": "1Gi"}, {"hugepages-2Mi": "1Gi"}, []),
    ({"hugepages-2Mi": "512Mi"}, {"hugepages-2Mi": "1Gi"}, ["hugepages-2Mi"]),  # must be equal
    ({"nvidia.com/gpu": 1}, {"nvidia.com/gpu": 2}, ["nvidia.com/gpu"]),
    ({"nvidia.com/gpu": 1}, None, ["nvidia.com/gpu"]),  # needs a limit
    ({"kubernetes.io/something": 1}, None, []),  # a kubernetes.io name is native: overcommittable
])
def test_requests_are_compared_with_limits_as_the_api_server_does(requests: dict[str, Any],
                                                                  limits: dict[str, Any] | None,
                                                                  flagged: list[str]) -> None:
    found = list(requests_within_limits.check(container(requests, limits)))
    assert [path[-1] for path, _ in found] == flagged


@pytest.mark.parametrize(("spec", "expected"), [
    ({"minReplicas": 2, "maxReplicas": 10}, None),
    ({"maxReplicas": 2}, None),
    ({"minReplicas": 5, "maxReplicas": 3}, "maxReplicas 3 is below minReplicas 5: the API server refuses it"),
    ({"minReplicas": 3, "maxReplicas": 3}, "maxReplicas 3 equals minReplicas: the autoscaler can never scale"),
    ({"maxReplicas": 1}, "maxReplicas 1 equals the default minReplicas (1): the autoscaler can never scale"),
    ({"minReplicas": 2}, None),  # no maximum: the structure policy's finding
    ({"minReplicas": "2", "maxReplicas": 1}, None),
    ({"minReplicas": True, "maxReplicas": 1}, None),
])
def test_an_autoscaler_range_must_leave_room_to_scale(spec: dict[str, Any], expected: str | None) -> None:
    found = list(hpa_replicas_range.check({"spec": spec}))
    assert found == ([] if expected is None else [(("spec", "maxReplicas"), expected)])


def test_every_mount_and_device_of_every_container_list_is_checked() -> None:
    pod_spec = {
        "volumes": [{"name": "config", "configMap": {"name": "c"}}, "not a volume"],
        "initContainers": [{"name": "init", "volumeMounts": [{"name": "config"}, {"name": "seed"}]}],
        "containers": [{"name": "app", "volumeMounts": [{"name": "config"}], "volumeDevices": [{"name": "disk"}]}],
        "ephemeralContainers": [{"name": "debug", "volumeMounts": [{"name": "tmp"}, {"mountPath": "/x"}]}],
    }
    assert [path for path, _ in volume_mounts_defined.check(pod_spec)] == [
        ("initContainers", 0, "volumeMounts", 1, "name"),
        ("containers", 0, "volumeDevices", 0, "name"),
        ("ephemeralContainers", 0, "volumeMounts", 0, "name"),
    ]


def test_volumes_that_are_not_a_list_leave_the_mounts_unjudged() -> None:
    pod_spec = {"volumes": {"config": {}}, "containers": [{"name": "app", "volumeMounts": [{"name": "config"}]}]}
    assert list(volume_mounts_defined.check(pod_spec)) == []
