"""Policy parameters: typed values a policy's schema uses as whole nodes, overridable per policy from the config.

A policy declares `parameters: {name: {type, default, description}}`; anywhere in its `schema`, a node that is
exactly `{$param: name}` is replaced by the parameter's value (`minimum: {$param: min_replicas}`,
`required: {$param: labels}`). The whole node is replaced, never a piece of a string, so a schema stays plain JSON
Schema. Substitution happens once per run, when policies are loaded (defaults) and configured (overrides), before
any schema is compiled. A policy with a coded check (`check:`) has no schema: the check receives the values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from gitops_tools.errors import ConfigError, PolicyError
from gitops_tools.model import JsonPath, Location, Parameter, Policy
from gitops_tools.validation import SchemaEvaluator, first_violation, json_shaped

if TYPE_CHECKING:
    from gitops_tools.config import PolicySettings

PARAM = "$param"
Locate = Callable[[JsonPath], Location]


def param_nodes(schema: Any) -> Iterator[tuple[JsonPath, Any]]:
    """(path, name) of every `{$param: name}` node in `schema`, in document order (iteratively: no recursion)."""
    stack: list[tuple[JsonPath, Any]] = [((), schema)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            if PARAM in node:
                yield path, node[PARAM]
                continue
            stack.extend(reversed([((*path, key), value) for key, value in node.items()]))
        elif isinstance(node, list):
            stack.extend(reversed([((*path, index), value) for index, value in enumerate(node)]))


def substitute(template: Any, values: Mapping[str, Any]) -> Any:
    """A copy of `template` with every `{$param: name}` node replaced by (a JSON-shaped copy of) `values[name]`."""
    holder: list[Any] = [template]
    stack: list[tuple[Any, Any, Any]] = [(holder, 0, template)]
    while stack:
        parent, slot, node = stack.pop()
        if isinstance(node, dict) and PARAM in node:
            parent[slot] = json_shaped(values[node[PARAM]])
        elif isinstance(node, dict):
            parent[slot] = copy = dict(node)
            stack.extend((copy, key, value) for key, value in copy.items())
        elif isinstance(node, list):
            parent[slot] = items = list(node)
            stack.extend((items, index, value) for index, value in enumerate(items))
    return holder[0]


def declared_parameters(data: Mapping[str, Any], locate: Locate, builtin: bool) -> tuple[Parameter, ...]:
    """The parameters a policy file declares, checked: each type is sound (custom policies; the test suite checks
    built-in ones), each default satisfies its type, each `$param` names one of them and each is used (by the schema;
    a coded check, which has none, receives the values)."""
    from gitops_tools.schemacheck import check_schema

    parameters = tuple(Parameter(name, spec["type"], spec["default"], spec["description"])
                       for name, spec in data.get("parameters", {}).items())
    for parameter in parameters:
        if not builtin:
            try:
                check_schema(parameter.type)
            except PolicyError as err:
                raise PolicyError(f"parameter {parameter.name!r}: type: {err.message}",
                                  locate(("parameters", parameter.name, "type"))) from err
        violation = first_violation(SchemaEvaluator(parameter.type), parameter.default)
        if violation is not None:
            where = ("parameters", parameter.name, "default", *violation.path)
            raise PolicyError(f"parameter {parameter.name!r}: the default does not satisfy its type: "
                              f"{violation.message}", locate(where))
    if "check" in data:  # a coded check receives the parameters' values whole
        return parameters
    names = {parameter.name for parameter in parameters}
    used: set[str] = set()
    for path, name in param_nodes(data.get("schema")):
        if name not in names:
            declared = ", ".join(sorted(names)) or "none"
            raise PolicyError(f"{{$param: {name}}} names no declared parameter (declared: {declared})",
                              locate(("schema", *path)))
        used.add(name)
    for parameter in parameters:
        if parameter.name not in used:
            raise PolicyError(f"parameter {parameter.name!r} is declared but no `{{$param: {parameter.name}}}` in the "
                              "schema uses it", locate(("parameters", parameter.name)))
    return parameters


def defaults(parameters: tuple[Parameter, ...]) -> dict[str, Any]:
    return {parameter.name: parameter.default for parameter in parameters}


def configure(policies: Mapping[str, Policy], settings: Mapping[str, PolicySettings]) -> dict[str, Policy]:
    """`policies` with the config's parameter values put in (`settings` are the config's per-policy entries). An entry
    naming no policy is left alone: the linter reports it as exemption-unknown-policy."""
    configured = dict(policies)
    for policy_id, entry in settings.items():
        if entry.parameters and policy_id in policies:
            configured[policy_id] = with_values(policies[policy_id], entry.parameters, entry.locate_parameter)
    return configured


def with_values(policy: Policy, values: Mapping[str, Any], locate: Locate) -> Policy:
    """`policy` with its schema rebuilt from `values` (the rest keep their defaults); every problem is a ConfigError
    at the value's position in the config. A coded check's policy has no schema: its parameters' values become
    the ones it runs with (as a pack's do)."""
    from gitops_tools.schemacheck import check_schema

    declared = {parameter.name: parameter for parameter in policy.parameters}
    for name, value in values.items():
        parameter = declared.get(name)
        if parameter is None:
            known = ", ".join(declared) or "none"
            raise ConfigError(f"policy {policy.id!r} has no parameter {name!r} (its parameters: {known})",
                              locate((name,)))
        violation = first_violation(SchemaEvaluator(parameter.type), value)
        if violation is not None:
            where = "".join(f"[{step!r}]" for step in violation.path)
            raise ConfigError(f"parameter {name!r} of {policy.id!r}{where}: {violation.message}",
                              locate((name, *violation.path)))
    if policy.check is not None:  # no schema: the check reads the values (defaults)
        return policy._replace(parameters=tuple(parameter._replace(default=values.get(parameter.name,
                                                                                      parameter.default))
                                                for parameter in policy.parameters))
    schema = substitute(policy.template, {**defaults(policy.parameters), **values})
    try:
        check_schema(schema)
    except PolicyError as err:
        raise ConfigError(f"these parameters make the schema of {policy.id!r} unusable: {err.message}",
                          locate((next(iter(values)),))) from err
    return policy._replace(schema=schema)


def with_defaults(policy: Policy, values: Mapping[str, Any], locate: Locate) -> Policy:
    """`policy` whose parameters default to `values` (checked as a config's are): a pack's or a profile's values,
    so a config that sets some of them keeps the pack's or profile's values for the others."""
    configured = with_values(policy, values, locate)
    parameters = tuple(parameter._replace(default=values.get(parameter.name, parameter.default))
                       for parameter in policy.parameters)
    return configured._replace(parameters=parameters)
