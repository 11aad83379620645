"""Discover policy files by listing directories, validate them against the meta-schema, build Policy objects."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from gitops_tools.checks import BUILTIN_SOURCES, document_checks, repository_modules, workspace_modules
from gitops_tools.domainfiles import DOMAIN_FILE, domain_files
from gitops_tools.errors import PolicyError
from gitops_tools.fileio import real_path
from gitops_tools.loading.document import Span
from gitops_tools.model import (
    POD_CONTAINERS,
    AnalyserRule,
    Category,
    JsonPath,
    Location,
    PackInfo,
    Parameter,
    Policy,
    Severity,
    Targets,
)
from gitops_tools.parameters import declared_parameters, defaults, substitute
from gitops_tools.resources import schema_path
from gitops_tools.schemacheck import check_schema
from gitops_tools.validation import SchemaEvaluator, first_violation

BUILTIN_POLICY_DIR = schema_path("policies")
POLICY_SUFFIXES = (".yaml", ".yml")


def policy_files(directory: Path) -> list[Path]:
    """Every policy file under `directory`, in a stable order. Links to folders are not followed, and a policy file
    may not be a link out of its folder (a config may only name policy folders inside its repository). In the
    built-in folder, a domain's data file (domain.yaml) is no policy."""
    if not directory.is_dir():
        raise PolicyError(f"policy directory not found: {directory}")
    top, found = real_path(directory), []
    for folder, _, names in os.walk(directory):
        data_files = {DOMAIN_FILE} if directory == BUILTIN_POLICY_DIR else set()
        for path in (Path(folder, name) for name in names
                     if Path(name).suffix in POLICY_SUFFIXES and name not in data_files):
            if not real_path(path).is_relative_to(top):
                raise PolicyError(f"{path} links outside its policy directory {directory}; not read",
                                  Location(str(path)))
            found.append(path)
    return sorted(found)


def load_policies(extra_dirs: Iterable[Path] = (), packs: Iterable[tuple[PackInfo, Path]] = ()) -> dict[str, Policy]:
    """Built-in policies, those of the `packs` (each its info and policies folder) and those in `extra_dirs`; ids
    must be unique across all of them."""
    meta = SchemaEvaluator(json.loads(schema_path("policy.schema.json").read_text(encoding="utf-8")))
    categories = load_categories()
    policies: dict[str, Policy] = {}
    sources = [(BUILTIN_POLICY_DIR, None), *((folder, pack) for pack, folder in packs),
               *((folder, None) for folder in extra_dirs)]
    for directory, pack in sources:
        for path in policy_files(directory):
            policy = read_policy(path, meta, builtin=directory == BUILTIN_POLICY_DIR, categories=categories,
                                 pack=pack)
            if policy.id in policies:
                raise PolicyError(f"policy id {policy.id!r} is defined twice (also in {policies[policy.id].source})",
                                  Location(str(path)))
            policies[policy.id] = policy
    _check_aliases(policies)
    return policies


def _check_aliases(policies: dict[str, Policy]) -> None:
    """A former id may not be a policy's id or another policy's former id: it must name one policy only."""
    owners: dict[str, str] = {}
    for policy in policies.values():
        for index, alias in enumerate(policy.aliases):
            other = alias if alias in policies else owners.get(alias)
            if other is not None:
                what = "is a policy id" if alias in policies else f"is already an alias of {other!r}"
                raise PolicyError(f"alias {alias!r} of {policy.id!r} {what}: an alias must name one policy only",
                                  _locate(Path(policy.source), ("aliases", index)))
            owners[alias] = policy.id


def _locate(path: Path, where: tuple[str | int, ...]) -> Location:
    """Where `where` is in a policy file (read again: only an error needs it)."""
    from gitops_tools.loading import load_user_file

    line, col, _, _ = load_user_file(path, "policy file", error=PolicyError)[0].locate(where)
    return Location(str(path), line, col)


def load_categories() -> dict[str, Category]:
    """The categories a policy may name (schemas/resources/categories.yaml), by name."""
    import yaml

    raw = yaml.load(schema_path("resources", "categories.yaml").read_text("utf-8"), Loader=yaml.CSafeLoader)
    return {name: Category(name, entry["description"], tuple(
        (Severity.parse(severity), score) for severity, score in entry.get("security_severity", {}).items()))
        for name, entry in raw.items()}


def read_policy(path: Path, meta: SchemaEvaluator, builtin: bool = False,
                categories: dict[str, Category] | None = None, pack: PackInfo | None = None) -> Policy:
    """Parse and validate one policy file; every problem is a PolicyError with a position.

    Custom policies also get their JSON Schema checked here (built-in ones are checked by the test suite, not on
    every run) and may not use the loader's own checks. A policy of a `pack` records the pack version that introduced
    it (`since`), which the pack's version has reached.
    """
    from gitops_tools.loading import load_user_file

    documents = load_user_file(path, "policy file", error=PolicyError)
    if len(documents) != 1:
        raise PolicyError("invalid policy file: a policy file holds exactly one YAML document", _location(path, 1))
    document = documents[0]
    error = first_violation(meta, document.data)
    if error is not None:
        line, col, _, _ = document.locate(error.path)
        raise PolicyError(f"invalid policy: {error.message}", Location(str(path), line, col))
    data: dict[str, Any] = document.data
    if data["id"] != path.stem:
        raise PolicyError(f"policy id {data['id']!r} must equal the file name {path.stem!r}", _location(path, 1))
    if pack is not None:
        _check_since(data, pack, lambda where: Location(str(path), *document.locate(where)[:2]))
    _check_text_keys(data.get("schema"), path, document.locate)
    parameters = declared_parameters(data, lambda where: Location(str(path), *document.locate(where)), builtin)
    schema = substitute(data["schema"], defaults(parameters)) if parameters and "schema" in data else data.get("schema")
    try:
        _check_evaluation(data, schema, builtin)
    except PolicyError as err:
        line, col, _, _ = document.locate(next((key,) for key in ("check", "analyser", "schema") if key in data))
        raise PolicyError(err.message, Location(str(path), line, col)) from err
    _check_domain(data, path, document.locate)
    categories = load_categories() if categories is None else categories
    if "category" in data and data["category"] not in categories:
        line, col, _, _ = document.locate(("category",))
        raise PolicyError(f"unknown category {data['category']!r}; categories: {', '.join(categories)}",
                          Location(str(path), line, col))
    domain = data["targets"].get("domain") or (path.parent.name if builtin else None)
    return _build(data, str(path), categories.get(data.get("category", "")), schema, parameters, pack, domain)


def _check_since(data: dict[str, Any], pack: PackInfo, locate: Callable[[tuple[str, ...]], Location]) -> None:
    from gitops_tools.policyset import parse_version

    since = data.get("since")
    if since is None:
        raise PolicyError(f"a policy of pack {pack.name!r} records the pack version that introduced it: add "
                          f"`since: \"{pack.version}\"` (or older)", locate(()))
    if parse_version(since) > parse_version(pack.version):
        raise PolicyError(f"since {since} is newer than the version of its pack, {pack}", locate(("since",)))


def _check_text_keys(schema: Any, path: Path, locate: Callable[[JsonPath], Span]) -> None:
    """Every key in a schema is text. YAML 1.1 reads `on:` (a GitHub workflow's trigger key) as the boolean true,
    and `properties: {on: ...}` would silently describe a key named "true"."""
    stack: list[tuple[JsonPath, Any]] = [(("schema",), schema)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str):
                    raise PolicyError(f"schema key {key!r} is not text: YAML 1.1 reads on/off/yes/no and numbers "
                                      "as such; quote the key (e.g. 'on':)",
                                      Location(str(path), *locate((*where, key))[:2]))
                stack.append(((*where, key), value))
        elif isinstance(node, list):
            stack.extend(((*where, index), value) for index, value in enumerate(node))


def _check_domain(data: dict[str, Any], path: Path, locate: Callable[[JsonPath], Span]) -> None:
    """`targets.domain` names a domain: a folder of schemas/policies/ with a domain.yaml."""
    domain = data["targets"].get("domain")
    if domain is None:
        return
    known = domain_files()
    if domain not in known:
        raise PolicyError(f"unknown domain {domain!r}; domains: {', '.join(known)}",
                          Location(str(path), *locate(("targets", "domain"))[:2]))


def _check_evaluation(data: dict[str, Any], schema: Any, builtin: bool) -> None:
    """The policy's `check` names a coded check (file-scope sources are built-in only); its schema is sound."""
    check, scope = data.get("check"), data["targets"]["scope"]
    coded, across, whole = document_checks(), workspace_modules(), repository_modules()
    allowed = set(coded) | set(across) | set(whole) | (BUILTIN_SOURCES if builtin else set())
    if check is not None and check not in allowed:
        raise PolicyError(f"unknown check {check!r}; coded checks are: {', '.join(sorted({*coded, *across, *whole}))}")
    if (scope == "file") != (check in BUILTIN_SOURCES):
        raise PolicyError("scope 'file' is only for the built-in loader and exemption checks")
    if (scope == "workspace") != (check in across):
        raise PolicyError(f"scope 'workspace' is for the workspace checks ({', '.join(sorted(across))}), and they "
                          "need it")
    if (scope == "repository") != (check in whole):
        raise PolicyError(f"scope 'repository' is for the repository checks ({', '.join(sorted(whole))}), and they "
                          "need it")
    if "analyser" in data:
        _check_analyser(data["analyser"]["tool"], scope)
    if not builtin and "schema" in data:
        check_schema(schema)


def _check_analyser(tool: str, scope: str) -> None:
    """An analyser policy names an analyser (a module of gitops_tools/analysers/) and looks at documents: the tool
    runs over the files holding them."""
    from gitops_tools.analysers import analyser_names

    if tool not in analyser_names():
        raise PolicyError(f"unknown analyser {tool!r}; analysers are: {', '.join(analyser_names())}")
    if scope != "document":
        raise PolicyError("an analyser's policy has scope 'document': the tool runs over the files of its documents")


def _location(path: Path, line: int) -> Location:
    return Location(str(path), line, 1)


def _build(data: dict[str, Any], source: str, category: Category | None, schema: Any,
           parameters: tuple[Parameter, ...], pack: PackInfo | None, domain: str | None) -> Policy:
    targets: dict[str, Any] = data["targets"]
    return Policy(
        id=data["id"],
        title=data["title"],
        severity=Severity.parse(data["severity"]),
        message=data["message"],
        targets=Targets(
            scope=targets["scope"],
            kinds=frozenset(targets.get("kinds", ())),
            exclude_kinds=frozenset(targets.get("exclude_kinds", ())),
            containers=tuple(targets.get("containers", POD_CONTAINERS)),
            files=tuple(targets.get("files", ())),
            domain=domain,
        ),
        docs=data["docs"],
        source=source,
        enabled=data.get("enabled", True),
        stops_checking=data.get("stops_checking", False),
        schema=schema,
        check=data.get("check"),
        fix=data.get("fix"),
        references=tuple(data.get("references", ())),
        category=category,
        examples=data["examples"],
        parameters=parameters,
        template=data.get("schema"),
        since=data.get("since"),
        aliases=tuple(data.get("aliases", ())),
        pack=pack,
        analyser=AnalyserRule(data["analyser"]["tool"], data["analyser"]["rule"]) if "analyser" in data else None,
    )
