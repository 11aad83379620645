"""Is a custom policy's JSON Schema sound? Checked once, when the policy is loaded, with the policy file named.

Sound means: valid Draft 2020-12; every `$ref` local and resolvable (nothing is ever fetched, and a nested `$id`,
which would change what `#...` means below it, is refused); every `pattern` accepted by the linear-time regex
engine; and bounded work. Custom policies arrive in pull requests, so a schema must not be able to make the run
slow or exhaust memory, whatever the evaluator does:

- no reference loop that evaluates the same value again and again without descending into it;
- at most IN_PLACE_LIMIT subschemas applied to one value at once (a chain of `anyOf: [{$ref: next}, {$ref: next}]`
  doubles at each link: 2**N);
- a recursive schema applies at most one of its recursive subschemas to each child, so its work grows with the size
  of the value, not exponentially with its depth.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from gitops_tools.errors import PolicyError
from gitops_tools.schemagraph import ANY, Label, SchemaGraph, build, subschemas
from gitops_tools.validation import Schema, compile_schema

IN_PLACE_LIMIT = 1000


def check_schema(schema: Schema) -> None:
    """Raise PolicyError unless `schema` is sound (see the module's docstring)."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        raise PolicyError(f"invalid JSON Schema at {'/'.join(map(str, err.path)) or '(root)'}: {err.message}") from err
    for ref in remote_refs(schema):
        raise PolicyError(f"$ref {ref!r} is not local; policies may only use '#...' references (no fetching)")
    for pointer, node in subschemas(schema):
        if "$id" in node and pointer != "#":
            raise PolicyError(f"$id at {pointer}: a nested $id changes what '#...' references mean below it; "
                              "use $defs and '#/$defs/...' instead")
    graph = build(schema)
    loop = reference_loop(graph.in_place)
    if loop:
        raise PolicyError(f"$ref loop: {' -> '.join(loop)} evaluates the same value forever; a reference must "
                          "descend into a property or item before it comes back")
    problem = work_problem(graph)
    if problem:
        raise PolicyError(problem)
    try:
        compile_schema(schema)
    except ValueError as err:
        raise PolicyError(f"the schema cannot be compiled: {err} (patterns run on a linear-time engine: no look-around "
                          "or backreferences, ECMA-262 syntax)") from err


def remote_refs(schema: Any) -> Iterator[str]:
    """Every $ref / $dynamicRef in `schema` that points outside the schema itself."""
    for _, node in subschemas(schema):
        for key in ("$ref", "$dynamicRef"):
            ref = node.get(key)
            if isinstance(ref, str) and not ref.startswith("#"):
                yield ref


def reference_loop(edges: Mapping[str, list[str]]) -> list[str]:
    """The pointers of a cycle of in-place applicators and references, or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in edges:
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(edges[start]))] if start not in state else []
        path = [start] if stack else []
        state.update(dict.fromkeys(path, 1))
        while stack:
            pointer, targets = stack[-1]
            target = next(targets, None)
            if target is None:
                state[pointer] = 2
                stack.pop()
                path.pop()
            elif state.get(target) == 1:
                return [*path[path.index(target):], target]
            elif target not in state and target in edges:
                state[target] = 1
                stack.append((target, iter(edges[target])))
                path.append(target)
    return []


def work_problem(graph: SchemaGraph) -> str | None:
    """Why evaluating the schema could take exponential work, or None (the graph has no in-place loop)."""
    component = _components({p: [*graph.in_place[p], *(t for _, t in graph.children[p])] for p in graph.in_place})
    recursive = {c for c, size in Counter(component.values()).items() if size > 1}
    for pointer in graph.in_place:
        applied = _paths_in_place(pointer, graph.in_place)
        if sum(applied.values()) > IN_PLACE_LIMIT:
            return (f"{pointer} applies more than {IN_PLACE_LIMIT} subschemas to one value (nested allOf/anyOf/oneOf "
                    "and $ref multiply); simplify the schema")
        if component[pointer] in recursive:
            label = _repeated_child(pointer, graph, applied, component)
            if label is not None:
                return (f"{pointer} applies its recursion twice to one child ({label[0]} {label[1]}): the work doubles "
                        "at every level of the value; let one subschema recurse per child")
    return None


def _paths_in_place(start: str, edges: Mapping[str, list[str]]) -> Counter[str]:
    """How many in-place paths lead from `start` to each subschema (capped past IN_PLACE_LIMIT)."""
    order, seen, stack = [], {start}, [(start, iter(edges.get(start, ())))]
    while stack:  # post-order, iteratively
        pointer, targets = stack[-1]
        target = next(targets, None)
        if target is None:
            order.append(stack.pop()[0])
        elif target not in seen:
            seen.add(target)
            stack.append((target, iter(edges.get(target, ()))))
    paths: Counter[str] = Counter({start: 1})
    for pointer in reversed(order):  # topological: every path into a node is counted before it passes them on
        for target in edges.get(pointer, ()):
            paths[target] = min(IN_PLACE_LIMIT + 1, paths[target] + paths[pointer])
    return paths


def _repeated_child(pointer: str, graph: SchemaGraph, applied: Counter[str], component: dict[str, int]) -> Label | None:
    """A child that two recursive subschemas (or one reached twice) are applied to, if any."""
    recursing: Counter[Label] = Counter()
    for node, times in applied.items():
        for label, target in graph.children.get(node, ()):
            if component.get(target) == component[pointer]:
                recursing[label] += times
    for kind in ("key", "item"):
        named = [(n, label) for label, n in recursing.items() if label[0] == kind and label[1] != ANY]
        most, label = max(named, default=(0, (kind, ANY)))
        if recursing[(kind, ANY)] + most >= 2:  # a property or item that two recursions (or one twice) reach
            return label
    return None


def _components(edges: Mapping[str, list[str]]) -> dict[str, int]:
    """Strongly connected components (Kosaraju, iteratively): pointer -> component number."""
    order: list[str] = []
    seen: set[str] = set()
    for start in edges:
        if start in seen:
            continue
        seen.add(start)
        stack = [(start, iter(edges[start]))]
        while stack:
            pointer, targets = stack[-1]
            target = next(targets, None)
            if target is None:
                order.append(stack.pop()[0])
            elif target in edges and target not in seen:
                seen.add(target)
                stack.append((target, iter(edges[target])))
    reverse: dict[str, list[str]] = {pointer: [] for pointer in edges}
    for pointer, following in edges.items():
        for target in following:
            if target in reverse:
                reverse[target].append(pointer)
    component: dict[str, int] = {}
    for number, start in enumerate(reversed(order)):
        if start in component:
            continue
        component[start], pending = number, [start]
        while pending:
            for source in reverse[pending.pop()]:
                if source not in component:
                    component[source] = number
                    pending.append(source)
    return component
