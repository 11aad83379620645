"""ingress_tls_hosts: which rule hosts a set of tls entries covers, as a certificate's names do."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_tools.checks.ingress_tls_hosts import check


def ingress(tls: Any, *hosts: Any) -> dict[str, Any]:
    return {"kind": "Ingress", "spec": {"tls": tls, "rules": [{"host": host} for host in hosts]}}


@pytest.mark.parametrize(("tls", "host", "uncovered"), [
    ([{"hosts": ["shop.example.com"]}], "SHOP.example.com", False),  # names compare without case
    ([{"hosts": ["*.example.com"]}], "shop.example.com", False),  # a wildcard covers one label...
    ([{"hosts": ["*.example.com"]}], "eu.shop.example.com", True),  # ...not two
    ([{"hosts": ["*.example.com"]}], "example.com", True),  # nor the bare parent
    ([{"hosts": ["*.example.com"]}], "*.example.com", False),  # a wildcard rule needs the same wildcard
    ([{"hosts": ["*.example.com"]}], "*.shop.example.com", True),
    ([{"hosts": ["a.example.com"]}, {"hosts": ["b.example.com"]}], "b.example.com", False),  # any entry
    ([{"hosts": ["a.example.com"]}, {"secretName": "default"}], "c.example.com", False),  # no hosts: every host
    ([{"hosts": ["a.example.com"]}, {"hosts": []}], "c.example.com", False),
    ([{"hosts": ["a.example.com"]}, "broken"], "c.example.com", False),  # malformed: the structure policies'
])
def test_a_rule_host_is_covered_as_a_certificate_name_is(tls: Any, host: str, uncovered: bool) -> None:
    found = list(check(ingress(tls, host)))
    assert found == ([(("spec", "rules", 0, "host"), f"{host!r} is in no tls entry's hosts")] if uncovered else [])


@pytest.mark.parametrize("resource", [
    ingress([], "shop.example.com"),  # no tls: ingress-tls-set's
    {"kind": "Ingress", "spec": {"rules": [{"host": "shop.example.com"}]}},
    ingress([{"hosts": ["a.example.com"]}], None, 7, ""),  # rules without a (text) host
    {"kind": "Ingress", "spec": {"tls": [{"hosts": ["a.example.com"]}], "rules": "broken"}},
    {"kind": "Ingress", "spec": "broken"},
    "broken",
])
def test_quiet_when_there_is_nothing_to_compare(resource: Any) -> None:
    assert list(check(resource)) == []
