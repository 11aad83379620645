"""The ConfigMaps and Secrets a pod spec names and needs: env `valueFrom`, `envFrom`, volumes (`configMap`,
`secret`, projected sources) and, for Secrets, `imagePullSecrets`. A reference marked `optional: true` is left out:
the pod starts without the object."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
# per kind: the key of an env var's valueFrom, of an envFrom entry, of a volume and of a projected source, and the
# field naming the object in a volume
KEYS = {"ConfigMap": ("configMapKeyRef", "configMapRef", "configMap", "name"),
        "Secret": ("secretKeyRef", "secretRef", "secret", "secretName")}
Reference = tuple[str, str]  # the name, where the pod spec gives it


def references(spec: Any, kind: str) -> Iterator[Reference]:
    """Each required reference of the pod spec to a `kind` object (ConfigMap or Secret), in the order written."""
    if not isinstance(spec, dict):
        return
    key_ref, env_from, volume_key, volume_name = KEYS[kind]
    for list_name in CONTAINER_LISTS:
        for container in _items(spec.get(list_name)):
            label = f"{list_name}[{container.get('name')}]"
            for var in _items(container.get("env")):
                yield from _named(_get(var.get("valueFrom"), key_ref), "name", f"{label}.env[{var.get('name')}]")
            for at, source in enumerate(_items(container.get("envFrom"))):
                yield from _named(source.get(env_from), "name", f"{label}.envFrom[{at}]")
    for volume in _items(spec.get("volumes")):
        label = f"volumes[{volume.get('name')}]"
        yield from _named(volume.get(volume_key), volume_name, label)
        for source in _items(_get(volume.get("projected"), "sources")):
            yield from _named(source.get(volume_key), "name", f"{label}.projected")
    if kind == "Secret":
        for at, secret in enumerate(_items(spec.get("imagePullSecrets"))):
            yield from _named(secret, "name", f"imagePullSecrets[{at}]")


def _named(ref: Any, field: str, where: str) -> Iterator[Reference]:
    if isinstance(ref, Mapping) and ref.get("optional") is not True:
        name = ref.get(field)
        if isinstance(name, str) and name:
            yield name, where


def _items(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None
