"""CRD validation rules (x-kubernetes-validations) evaluated on custom resources: gitops_tools/checks/_cel_rules.py,
_cel_values.py and _cel.py, on schema dicts (the bundled CRDs' own rules are in tests/test_custom_resource_rules.py).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from gitops_tools.checks import _cel, _cel_rules, _cel_values


def _schema(rules: list[dict[str, Any]], **node: Any) -> dict[str, Any]:
    """An object schema whose `spec` node carries `rules` and `node`'s keys."""
    return {"type": "object", "properties": {"spec": {"x-kubernetes-validations": rules, **node}}}


def _outcomes(schema: dict[str, Any], spec: Any) -> list[tuple[Any, bool, str]]:
    return [(o.path, o.failed, o.detail) for o in _cel_rules.outcomes(schema, {"spec": spec})]


PORTS = {"type": "object", "properties": {"port": {"type": "integer"}, "ratio": {"type": "number"},
                                            "size": {"x-kubernetes-int-or-string": True}}}

HOLDING = [
    ("self.port > 0 && type(self.port) == int", {"port": 80}),
    ("type(self.ratio) == double && self.ratio == 1.0", {"port": 1, "ratio": 1}),  # a number written `1`
    ("type(self.size) == string ? self.size.endsWith('%') : self.size <= 100", {"size": "50%"}),
    ("type(self.size) == string ? self.size.endsWith('%') : self.size <= 100", {"size": 42}),
    ("!has(self.ratio) || self.ratio < 2.0", {"port": 1}),
    ("self.?ratio.orValue(0.5) == 0.5", {"port": 1}),
    ("'port' in self && size(self) == 1", {"port": 1}),
]


@pytest.mark.parametrize(("rule", "spec"), HOLDING)
def test_a_holding_rule_gives_nothing(rule: str, spec: dict[str, Any]) -> None:
    assert _outcomes(_schema([{"rule": rule}], **PORTS), spec) == []


@pytest.mark.parametrize(("rule", "spec"), [
    ("self.port > 1024", {"port": 80}),
    ("has(self.ratio)", {"port": 1}),
    ("self.all(k, k.lowerAscii() == k)", {"Port": 1}),
    ("self.port.exists(p, p > 1)", {"port": [0, 1]}),
])
def test_a_broken_rule_is_a_finding_at_its_node(rule: str, spec: Any) -> None:
    assert _outcomes(_schema([{"rule": rule}]), spec) == [(("spec",), True, f"failed rule: `{rule}`")]


def test_rules_under_items_additional_properties_and_the_root_point_at_their_node() -> None:
    named = {"type": "object", "x-kubernetes-validations": [{"rule": "self.name.size() <= 3", "message": "short"}]}
    schema = {
        "type": "object",
        "x-kubernetes-validations": [{"rule": "has(self.spec)", "message": "spec required"}],
        "properties": {"spec": {"type": "object", "properties": {
            "list": {"type": "array", "items": named},
            "map": {"type": "object", "additionalProperties": named}}}},
    }
    document = {"spec": {"list": [{"name": "ok"}, {"name": "toolong"}], "map": {"a": {"name": "abcd"}}}}
    found = [(o.path, o.detail) for o in _cel_rules.outcomes(schema, document)]
    assert found == [(("spec", "list", 1), "short"), (("spec", "map", "a"), "short")]
    assert [o.detail for o in _cel_rules.outcomes(schema, {"metadata": {}})] == ["spec required"]


def test_message_expression_reason_and_field_path() -> None:
    rule = {"rule": "self.replicas <= self.max", "messageExpression": "'replicas ' + string(self.replicas) + ' > max'",
            "reason": "FieldValueForbidden", "fieldPath": ".replicas"}
    assert _outcomes(_schema([rule]), {"replicas": 5, "max": 3}) == [
        (("spec", "replicas"), True, "replicas 5 > max (FieldValueForbidden)")]
    # a messageExpression that fails falls back to the message; a fieldPath the object lacks to the node
    rule = {"rule": "self.a == 1", "messageExpression": "self.missing", "message": "a must be 1",
            "fieldPath": ".labels['app.kubernetes.io/name']"}
    assert _outcomes(_schema([rule]), {"a": 2}) == [(("spec",), True, "a must be 1")]
    rule["fieldPath"] = ".labels['app.kubernetes.io/name']"
    assert _outcomes(_schema([rule]), {"a": 2, "labels": {"app.kubernetes.io/name": "x"}}) == [
        (("spec", "labels", "app.kubernetes.io/name"), True, "a must be 1")]


def test_defaults_are_applied_before_rules_and_point_at_the_nearest_written_node() -> None:
    schema = {"type": "object", "properties": {"spec": {"type": "object", "properties": {"ref": {
        "type": "object", "properties": {"kind": {"type": "string", "default": "Service"}, "port": {"type": "integer"}},
        "x-kubernetes-validations": [{"rule": "self.kind == 'Service' ? has(self.port) : true", "message": "port"}]}}}}}
    assert _outcomes(schema, {"ref": {}}) == [(("spec", "ref"), True, "port")]
    assert _outcomes(schema, {"ref": {"kind": "Other"}}) == []
    defaulted = {"type": "object", "properties": {"spec": {"type": "object", "properties": {"ref": {
        "type": "object", "default": {}, "properties": {"port": {"type": "integer"}},
        "x-kubernetes-validations": [{"rule": "has(self.port)", "message": "port"}]}}}}}
    assert _outcomes(defaulted, {}) == [(("spec",), True, "port")]


def test_null_and_absent_nodes_have_no_rules_evaluated() -> None:
    schema = _schema([{"rule": "false"}], nullable=True)
    assert _outcomes(schema, None) == []
    assert list(_cel_rules.outcomes(schema, {"metadata": {}})) == []


def test_formats_bytes_typed_timestamps_and_durations_not_evaluated_when_they_break_a_rule() -> None:
    """The runtime takes no timestamp or duration inside `self`: such fields stay text, and a rule that then fails
    to evaluate is reported as not evaluated, never as broken or passed."""
    schema = {"type": "object", "properties": {
        "at": {"type": "string", "format": "date-time"}, "every": {"type": "string", "format": "duration"},
        "data": {"type": "string", "format": "byte"}},
        "x-kubernetes-validations": [{"rule": "self.at > timestamp('2024-01-01T00:00:00Z')"},
                                     {"rule": "self.every >= duration('90s')"},
                                     {"rule": "self.data == b'hi'"}, {"rule": "self.data.size() == 3"}]}
    found = [(o.rule, o.failed, o.detail) for o in _cel_rules.outcomes(
        schema, {"at": "2025-06-01T10:00:00Z", "every": "1h30m", "data": "aGk="})]
    cannot = ("it reads a date, date-time or duration field, which the CEL runtime cannot hand it as a timestamp or "
              "duration")
    assert found == [("self.at > timestamp('2024-01-01T00:00:00Z')", False, cannot),
                     ("self.every >= duration('90s')", False, cannot),
                     ("self.data.size() == 3", True, "failed rule: `self.data.size() == 3`")]


@pytest.mark.parametrize(("entry", "reason"), [
    ({"rule": "self == oldSelf", "message": "immutable"}, "a transition rule"),
    ({"rule": "self.a == 1", "optionalOldSelf": True}, "a transition rule"),
    ({"rule": "isIP(self.a)"}, "it calls isIP() of the Kubernetes CEL IP address library"),
    ({"rule": "quantity(self.a).isGreaterThan(quantity('1'))"}, "of the Kubernetes CEL quantity library"),
    ({"rule": "self.items.isSorted()"}, "it calls isSorted() of the Kubernetes CEL list library"),
    ({"rule": "self.a =="}, "it does not compile: 1:10: Syntax error"),
    ({"rule": "self.a + 1"}, "it gives int, not a boolean"),
    ({"rule": "x" * (_cel.MAX_RULE_LENGTH + 1)}, "longer than 4096 characters"),
])
def test_what_cannot_be_evaluated_is_reported_never_passed(entry: dict[str, Any], reason: str) -> None:
    found = _outcomes(_schema([entry]), {"a": 1, "items": [2, 1]})
    assert len(found) == 1 and found[0][:2] == (("spec",), False) and reason in found[0][2], found


def test_an_evaluation_error_is_a_failure_as_the_api_server_refuses_it() -> None:
    assert _outcomes(_schema([{"rule": "self.missing == 1"}]), {"a": 1}) == [
        (("spec",), True, 'rule `self.missing == 1` fails to evaluate: NOT_FOUND: Key not found in map : "missing"')]
    found = _outcomes(_schema([{"rule": "self.a == 1"}]), {"a": 2**70})
    assert len(found) == 1 and found[0][1] and "out of range" in found[0][2]


def test_a_hostile_rule_stops_at_the_iteration_budget() -> None:
    rule = "self.all(a, self.all(b, self.all(c, a + b + c >= 0)))"
    started = time.perf_counter()
    found = _outcomes(_schema([{"rule": rule}], type="array", items={"type": "integer"}), list(range(2000)))
    assert time.perf_counter() - started < 10  # unbounded: hours
    assert found == [(("spec",), False, "it exceeds the evaluation budget (10,000 iteration steps)")]


def test_a_hostile_object_is_bounded() -> None:
    items = {"type": "object", "x-kubernetes-validations": [{"rule": "self.n >= 0", "message": "n"}]}
    schema = _schema([{"rule": "size(self) > 0"}], type="array", items=items)
    many = [{"n": -1}] * (_cel_rules.MAX_EVALUATIONS + 500)
    started = time.perf_counter()
    found = _outcomes(schema, many)
    assert time.perf_counter() - started < 10
    failed = [f for f in found if f[1]]
    skipped = [f for f in found if not f[1]]
    assert len(failed) == _cel_rules.MAX_EVALUATIONS - 1  # the list's own rule took one evaluation
    assert len(skipped) == 501 and "evaluation budget is spent" in skipped[0][2]
    huge = [0] * (_cel_values.MAX_VALUES + 1)
    started = time.perf_counter()
    assert _outcomes(_schema([{"rule": "true"}]), huge) == [((), False, f"the object is more than "
                                                                      f"{_cel_values.MAX_VALUES} values")]
    assert time.perf_counter() - started < 10
    deep: Any = 0
    for _ in range(_cel_values.MAX_DEPTH + 5):
        deep = {"a": deep}
    assert _outcomes(_schema([{"rule": "true"}]), deep) == [
        ((), False, f"the object is nested deeper than {_cel_values.MAX_DEPTH} levels")]


def test_the_conversion_budget_counts_each_evaluated_subtree() -> None:
    """A rule on every item of a list nested in a list with a rule each: the values handed to CEL are summed."""
    inner = {"type": "array", "items": {"type": "integer"}, "x-kubernetes-validations": [{"rule": "size(self) > 0"}]}
    schema = _schema([{"rule": "size(self) > 0"}], type="array", items=inner)
    wide = [[1] * 1000 for _ in range(190)]  # 190,191 values for the outer rule, then 1,001 for each inner one
    found = _outcomes(schema, wide)
    assert found and all(not failed and "budget is spent" in detail for _, failed, detail in found)
    evaluated = (_cel_rules.MAX_CONVERTED - 190_191) // 1001
    assert [path for path, _, _ in found] == [("spec", index) for index in range(evaluated, 190)]


@pytest.mark.parametrize(("spec", "error"), [
    ({"replicas": "3"}, "a str where integer belongs"),
    ({"replicas": True}, "a bool where integer belongs"),
    ({"name": "x" * 9, "replicas": 1}, "more than maxLength 8"),
    ({"name": "web"}, "required field replicas missing"),
    ({"replicas": 1, "tags": {"a": None}}, "a null where string belongs"),
])
def test_schema_errors_skip_every_rule_as_the_api_server_does(spec: dict[str, Any], error: str) -> None:
    """kubernetes/kubernetes#108859: a wrong type, a missing required field or a length over its maximum makes the
    API server skip the rules (they are written for valid objects): the object is refused already, and
    custom-resource-structure-valid reports why."""
    schema = _schema([{"rule": "self.replicas > 5"}], type="object", required=["replicas"], properties={
        "replicas": {"type": "integer"}, "name": {"type": "string", "maxLength": 8},
        "tags": {"type": "object", "additionalProperties": {"type": "string"}}})
    assert _cel_values.typed(schema, {"spec": spec}).blocking == error
    assert _outcomes(schema, spec) == []
    assert _outcomes(schema, {"replicas": 1, "name": "web", "tags": {"a": "b"}}) == [
        (("spec",), True, "failed rule: `self.replicas > 5`")]


def test_a_hostile_crd_with_thousands_of_rules_is_bounded() -> None:
    rules = [{"rule": f"self.a != {index}"} for index in range(_cel.MAX_SCHEMA_RULES + 1000)]
    started = time.perf_counter()
    found = _outcomes(_schema(rules), {"a": -1})
    assert time.perf_counter() - started < 10
    assert len(found) == 1000 and all(not failed and "more than 500 distinct rules" in detail
                                      for _, failed, detail in found)


def test_compiled_rules_are_read_back_from_the_cache_folder(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second process reads a schema's compiled rules instead of compiling them (the lru caches stand in for it)."""
    monkeypatch.setenv("GITOPS_TOOLS_CACHE_DIR", str(tmp_path))
    rules = ("self.a > 1", "self == oldSelf", "isIP(self.b)")
    _cel.programs.cache_clear()
    first = _cel.programs(rules)
    assert len(list(tmp_path.glob("cel-rules-*.pickle"))) == 1
    _cel.programs.cache_clear()
    _cel.compiled.cache_clear()
    again = _cel.programs(rules)
    assert _cel.compiled.cache_info().misses == 0  # nothing compiled: all read back
    assert again["self == oldSelf"] == first["self == oldSelf"] and isinstance(again["isIP(self.b)"], _cel.Unevaluable)
    activation = _cel.activation({"a": 2})
    assert _cel.evaluate(again["self.a > 1"], activation) is True
