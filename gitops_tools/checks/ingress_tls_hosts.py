"""Every host an Ingress's rules serve must be listed by one of its `tls` entries once it has any: a host left out
is served with the controller's default certificate (a browser error) or over plain HTTP. Comparing the rules' hosts
with the tls entries' hosts relates two lists of one object, which JSON Schema cannot, hence code. An Ingress
without `tls` is ingress-tls-set's (which a platform tunes for hosts meant to stay plain HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.model import JsonPath


def check(ingress: Any) -> Iterator[tuple[JsonPath, str]]:
    spec = ingress.get("spec") if isinstance(ingress, dict) else None
    tls, rules = (spec.get("tls"), spec.get("rules")) if isinstance(spec, dict) else (None, None)
    if not isinstance(tls, list) or not tls or not isinstance(rules, list):
        return
    covered = _tls_hosts(tls)
    if covered is None:
        return
    for index, rule in enumerate(rules):
        host = rule.get("host") if isinstance(rule, dict) else None
        if isinstance(host, str) and host and not _covers(covered, host.lower()):
            yield ("spec", "rules", index, "host"), f"{host!r} is in no tls entry's hosts"


def _tls_hosts(tls: list[Any]) -> frozenset[str] | None:
    """The hosts the tls entries list, in lower case; None when one entry covers every host (it lists none: the
    controller's wildcard, as the API says) or is malformed (left to the structure policies)."""
    hosts: set[str] = set()
    for entry in tls:
        listed = entry.get("hosts") if isinstance(entry, dict) else None
        if not isinstance(listed, list) or not listed:
            return None
        hosts.update(host.lower() for host in listed if isinstance(host, str))
    return frozenset(hosts)


def _covers(covered: frozenset[str], host: str) -> bool:
    """An exact name, or a wildcard `*.example.com` for one label of it (as a certificate's name matches)."""
    if host in covered:
        return True
    _, dot, parent = host.partition(".")
    return bool(dot) and not host.startswith("*.") and f"*.{parent}" in covered
