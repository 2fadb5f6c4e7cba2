"""The shape a newcomer can find their way in: the service only orchestrates, and no
function is so long that its steps hide. A function may pass the limit only with a comment
on the line above its `def` that starts with "# long:" and says why."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

MAX_FUNCTION_LINES = 60
MAX_SERVICE_LINES = 200
PACKAGES = ("assistant", "api", "evals")


def long_functions(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        excused = first >= 2 and lines[first - 2].strip().startswith("# long:")
        if length > MAX_FUNCTION_LINES and not excused:
            found.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_function_is_longer_than_the_limit() -> None:
    found = [
        f
        for package in PACKAGES
        for p in sorted((REPO / package).rglob("*.py"))
        for f in long_functions(p)
    ]
    assert found == []


def test_the_service_only_orchestrates() -> None:
    tree = ast.parse((REPO / "assistant" / "service.py").read_text(encoding="utf-8"))
    service = next(
        n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "PolicyService"
    )
    assert (service.end_lineno or 0) - service.lineno + 1 < MAX_SERVICE_LINES


def test_the_length_check_sees_a_long_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES + 1))
    planted = REPO / "tests" / "_planted_shape_probe.py"
    try:
        planted.write_text(f"def long():\n{body}\n\n\n# long: a table\ndef allowed():\n{body}\n")
        assert [f.split()[1] for f in long_functions(planted)] == ["long"]
    finally:
        planted.unlink()
