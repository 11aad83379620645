"""The test suite keeps its own rules: under CI=true a test that cannot run fails, it never skips."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
# Skips that no code path can turn into a failure under CI=true.
UNCONDITIONAL = {"pytest.mark.skip", "pytest.mark.skipif", "pytest.importorskip", "unittest.skip",
                 "unittest.skipIf", "unittest.skipUnless"}


def _name(node: ast.AST) -> str:
    """`pytest.mark.skipif` for the expression `pytest.mark.skipif` (and for a call of it), else ''."""
    if isinstance(node, ast.Call):
        return _name(node.func)
    if isinstance(node, ast.Attribute):
        prefix = _name(node.value)
        return f"{prefix}.{node.attr}" if prefix else ""
    return node.id if isinstance(node, ast.Name) else ""


def _fails_under_ci(branch: ast.If) -> bool:
    """`if os.environ.get("CI") == "true": pytest.fail(...)`, or any `if` on the CI variable that calls pytest.fail."""
    tests_ci = any(isinstance(node, ast.Constant) and node.value == "CI" for node in ast.walk(branch.test))
    fails = any(_name(node) == "pytest.fail" for statement in branch.body for node in ast.walk(statement))
    return tests_ci and fails


def _unguarded_skips(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, what) of each skip that would not fail under CI=true.

    A `pytest.skip(...)` call is guarded when the function that holds it first checks CI and fails: directly, or in
    a shared helper (such as conftest's) that does so, which its callers then use instead of `pytest.skip`."""
    found = [(node.lineno, _name(node)) for node in ast.walk(tree)
             if isinstance(node, ast.Attribute | ast.Call) and _name(node) in UNCONDITIONAL]
    functions = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    for call in (node for node in ast.walk(tree) if isinstance(node, ast.Call) and _name(node) == "pytest.skip"):
        holders = [f for f in functions if f.lineno <= call.lineno <= (f.end_lineno or f.lineno)]
        holder = max(holders, key=lambda f: f.lineno, default=None)  # the innermost function
        guards = [node for node in ast.walk(holder) if isinstance(node, ast.If) and node.lineno < call.lineno] \
            if holder else []
        if not any(_fails_under_ci(guard) for guard in guards):
            found.append((call.lineno, "pytest.skip"))
    return sorted(set(found))


@pytest.mark.parametrize("path", sorted(TESTS.glob("*.py")), ids=lambda path: path.name)
def test_no_test_skips_under_ci(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    assert _unguarded_skips(tree) == [], (
        f"{path.name}: a skip that CI=true cannot turn into a failure; call conftest's helper, or check "
        "`os.environ.get('CI') == 'true'` and `pytest.fail` before `pytest.skip`")


@pytest.mark.parametrize(("source", "expected"), [
    pytest.param("import pytest\ndef test():\n    pytest.skip('no go')\n", [(3, "pytest.skip")], id="bare-skip"),
    pytest.param("import pytest\n@pytest.mark.skipif(True, reason='x')\ndef test():\n    pass\n",
                 [(2, "pytest.mark.skipif")], id="skipif"),
    pytest.param("import pytest\npytestmark = pytest.mark.skip\n", [(2, "pytest.mark.skip")], id="module-mark"),
    pytest.param("import pytest\nyaml = pytest.importorskip('yaml')\n", [(2, "pytest.importorskip")],
                 id="importorskip"),
    pytest.param("import os, pytest\ndef test():\n    if os.environ.get('HOME'):\n        pytest.fail('x')\n"
                 "    pytest.skip('x')\n", [(5, "pytest.skip")], id="guard-not-on-ci"),
    pytest.param("import os, pytest\ndef test():\n    if os.environ.get('CI') == 'true':\n        pytest.fail('x')\n"
                 "    pytest.skip('x')\n", [], id="guarded"),
    pytest.param("import os, pytest\ndef unavailable(message):\n    if os.environ.get('CI') == 'true':\n"
                 "        pytest.fail(message)\n    pytest.skip(message)\ndef test():\n    unavailable('no go')\n",
                 [], id="shared-helper"),
])
def test_the_skip_scan_tells_guarded_from_unguarded(source: str, expected: list[tuple[int, str]]) -> None:
    assert _unguarded_skips(ast.parse(source)) == expected
