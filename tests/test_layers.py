"""Dependencies run one way: every import in the source, module-level or inside a function,
goes to the same layer or one below it, so there is no cycle between ingest, search and
answer, and the core never imports its faces or the evaluation."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

# Lowest first. A module's layer is that of the longest prefix listed here.
LAYERS: list[tuple[str, ...]] = [
    ("assistant.types", "assistant.errors", "assistant.config", "assistant.text"),
    ("assistant.vocabulary",),
    ("assistant.search",),
    ("assistant.ingest",),
    ("assistant.answer",),
    ("assistant.service",),
    ("assistant.cli", "assistant.langchain_retriever", "api"),
    ("evals",),
]
PACKAGES = ("assistant", "api", "evals")
# The core package's own __init__ holds only its docstring and version.
ROOT_LAYERS = {"assistant": 0}


def layer_of(module: str) -> int | None:
    if module in ROOT_LAYERS:
        return ROOT_LAYERS[module]
    best: tuple[int, int] | None = None
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and (best is None or len(prefix) > best[1]):
                best = (rank, len(prefix))
    return None if best is None else best[0]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return [(line, name) for line, name in found if name.split(".")[0] in PACKAGES]


def back_edges() -> list[str]:
    edges = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            source = module_name(path)
            source_layer = layer_of(source)
            assert source_layer is not None, f"{source} has no layer: add it to LAYERS"
            for line, target in imports_of(path):
                target_layer = layer_of(target)
                assert target_layer is not None, f"{target} has no layer: add it to LAYERS"
                if target_layer > source_layer:
                    edges.append(f"{source}:{line} imports {target}, a layer above it")
    return edges


def test_no_module_imports_a_layer_above_it() -> None:
    assert back_edges() == []


def test_the_walk_sees_a_back_edge(tmp_path: Path) -> None:
    """The check can fail: a search module that imports ingestion is caught."""
    path = REPO / "assistant" / "search" / "store.py"
    tree_imports = imports_of(path)
    assert all(layer_of(name) is not None for _, name in tree_imports)
    assert layer_of("assistant.ingest.conditions") > layer_of("assistant.search.store")  # type: ignore[operator]
    planted = tmp_path / "planted.py"
    planted.write_text("def f():\n    from assistant.ingest.conditions import measure_of\n")
    assert imports_of(planted) == [(2, "assistant.ingest.conditions")]
