"""The CEL runtime CRD validation rules are evaluated with: cel-expr-python (Google's cel-cpp), imported on the first
rule a run meets, one environment per process, each rule compiled once per process.

The environment is the one Kubernetes gives `x-kubernetes-validations` rules as far as the library has it: `self`
(dynamic), the strings and optional extensions. A rule the runtime cannot compile is not evaluated, never passed:
it calls a function of a Kubernetes CEL library the runtime lacks (schemas/resources/kubernetes_cel_libraries.yaml
names them, by library), or it does not compile at all (the compiler's message). Evaluation is bounded by the
library's iteration budget (10,000 comprehension steps per evaluation, fixed by the binding: a rule nesting macros
over a large list stops with "Iteration budget exceeded").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any, NamedTuple

import yaml

from gitops_tools.resources import schema_path

MAX_RULE_LENGTH = 8192  # characters; the longest rule of the bundled CRDs (Gateway API's) has 1,270
COMPILED_RULES = 4096  # rules kept compiled per process
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
