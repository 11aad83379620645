"""The CEL runtime CRD validation rules are evaluated with: cel-expr-python (Google's cel-cpp), imported on the first
rule a run meets, one environment per process, each rule compiled once per process. A CRD schema's rules, compiled,
are kept in the user's cache folder (the policy cache's) as the runtime serializes them: reading them back costs
~0.04 ms a rule against ~0.6 ms to compile, most of a one-file run's CEL time.

The environment is the one Kubernetes gives `x-kubernetes-validations` rules as far as the library has it: `self`
(dynamic), the strings and optional extensions. A rule the runtime cannot compile is not evaluated, never passed:
it calls a function of a Kubernetes CEL library the runtime lacks (schemas/resources/kubernetes_cel_libraries.yaml
names them, by library), or it does not compile at all (the compiler's message). Evaluation is bounded by the
library's iteration budget (10,000 comprehension steps per evaluation, fixed by the binding: a rule nesting macros
over a large list stops with "Iteration budget exceeded").
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from gitops_tools.resources import schema_path

MAX_RULE_LENGTH = 4096  # characters; the longest rule of the bundled CRDs (Gateway API's) has 1,270
MAX_SCHEMA_RULES = 500  # distinct rules compiled per CRD schema; the bundled ones have at most ~50
COMPILED_RULES = 4096  # rules kept compiled per process
RULE_SETS = 256  # CRD schemas' rule sets kept per process
TRANSITION = re.compile(r"(?<![\w.])oldSelf\b")
REFERENCE = re.compile(r"(?:undeclared reference to|found no matching overload for) '([^']+)'")
ERROR_PREFIX = re.compile(r"^(?:[A-Z_]+: )?(?:ERROR: )?<input>:")
BUDGET = "Iteration budget exceeded"


class Unevaluable(NamedTuple):
    """Why a rule, or one evaluation of it, was not evaluated."""

    reason: str


class Failed(NamedTuple):
    """An evaluation that ended in an error (the API server refuses the object with it)."""

    error: str


@cache
def _libraries() -> Mapping[str, str]:
    """Function name -> the Kubernetes CEL library it belongs to."""
    with schema_path("resources", "kubernetes_cel_libraries.yaml").open(encoding="utf-8") as stream:
        data = yaml.safe_load(stream)
    return {function: library for library, functions in data["libraries"].items() for function in functions}


@cache
def _environment() -> Any:
    from cel_expr_python import cel
    from cel_expr_python.ext.ext_optional import ExtOptional
    from cel_expr_python.ext.ext_strings import ExtStrings

    return cel.NewEnv(variables={"self": cel.Type.DYN}, extensions=[ExtStrings(), ExtOptional()])


@lru_cache(maxsize=COMPILED_RULES)
def compiled(rule: str, *, optional_old_self: bool = False) -> Any:
    """The rule's compiled program, or Unevaluable with the reason a linter cannot evaluate it."""
    if TRANSITION.search(rule) or optional_old_self:
        return Unevaluable("a transition rule (it compares with oldSelf, the object before an update)")
    if len(rule) > MAX_RULE_LENGTH:
        return Unevaluable(f"longer than {MAX_RULE_LENGTH} characters")
    try:
        return _environment().compile(rule)
    except RuntimeError as err:
        return Unevaluable(_compile_reason(str(err)))


@lru_cache(maxsize=RULE_SETS)
def programs(rules: tuple[str, ...]) -> Mapping[str, Any]:
    """Each of a CRD schema's rules, compiled or Unevaluable: from the cache folder when stored there (keyed by the
    rules and the runtime's build), else compiled and stored. Transition rules are Unevaluable whatever is stored."""
    from gitops_tools import digest, policycache

    folder = policycache.cache_dir(os.environ)
    key = "\0".join((_runtime_build(), *rules))
    path = folder / f"cel-rules-{digest.sha256(key.encode()).hexdigest()[:24]}.pickle" if folder else None
    stored = policycache.read(path, key) if path else None
    if isinstance(stored, dict):
        environment = _environment()
        return {rule: Unevaluable(blob) if isinstance(blob, str) else environment.deserialize(blob)
                for rule, blob in stored.items()}
    made = {rule: compiled(rule) if index < MAX_SCHEMA_RULES else
            Unevaluable(f"its CRD has more than {MAX_SCHEMA_RULES} distinct rules") for index, rule in enumerate(rules)}
    if path:
        policycache.write(path, key, {rule: program.reason if isinstance(program, Unevaluable) else
                                      program.serialize() for rule, program in made.items()})
    return made


def _runtime_build() -> str:
    """The installed runtime, by its extension module's size and modification time."""
    from cel_expr_python import cel

    stat = Path(cel.__file__).stat()
    return f"{cel.__file__}:{stat.st_size}:{stat.st_mtime_ns}"


def _compile_reason(message: str) -> str:
    libraries = _libraries()
    for name in REFERENCE.findall(message):
        library = libraries.get(name) or libraries.get(name.rpartition(".")[2])
        if library is not None:
            return f"it calls {name}() of the Kubernetes CEL {library} library, which the CEL runtime lacks"
    first = ERROR_PREFIX.sub("", message.splitlines()[0]).strip()
    return f"it does not compile: {first}"


def evaluate(program: Any, activation: Any) -> Any:
    """The rule's value (a Python value), Failed with the runtime's error, or Unevaluable past the budget."""
    try:
        result = program.eval(activation)
    except RuntimeError as err:
        return _error(str(err))
    from cel_expr_python import cel

    if result.type() == cel.Type.ERROR:
        return _error(str(result.value()))
    return result.value()


def activation(value: Any) -> Any:
    """`self` bound to a node's (typed) value, converted once for every rule on that node; Failed if the value has
    none in CEL (an integer beyond 64 bits)."""
    try:
        return _environment().Activation({"self": value})
    except (RuntimeError, TypeError, ValueError) as err:
        return Failed(str(err))


def _error(message: str) -> Unevaluable | Failed:
    if BUDGET in message:
        return Unevaluable("it exceeds the evaluation budget (10,000 iteration steps)")
    return Failed(ERROR_PREFIX.sub("", message.removesuffix(" [INTERNAL]")).strip())
