"""The package graph of ``src/momentos``: no cycle between top-level packages, every package placed in the layers
contract that ``make lint`` checks (import-linter), and ingestion knowing none of the domains that react to it."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import grimp
import pytest

import momentos

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("momentos", cache_dir=None)


def _top_level() -> set[str]:
    return {f"momentos.{m.name}" for m in pkgutil.iter_modules(momentos.__path__)}


def _layered() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["id"] == "layers")["layers"]
    return {name.strip() for layer in layers for name in layer.replace(":", "|").split("|")}


def _package_edges(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    tops = _top_level()
    edges: dict[str, set[str]] = {t: set() for t in tops}
    for importer in graph.modules:
        source = ".".join(importer.split(".")[:2])
        for imported in graph.find_modules_directly_imported_by(importer):
            target = ".".join(imported.split(".")[:2])
            if source in tops and target in tops and source != target:
                edges[source].add(target)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_between_top_level_packages(graph: grimp.ImportGraph) -> None:
    assert _cycles(_package_edges(graph)) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_top_level_package_has_a_layer() -> None:
    assert _top_level() - {"momentos.__main__"} <= _layered()


@pytest.mark.parametrize("reacting", ["notify", "listening", "promises", "analytics"])
def test_ingestion_imports_none_of_the_domains_that_react_to_it(graph: grimp.ImportGraph, reacting: str) -> None:
    assert not graph.direct_import_exists(importer="momentos.events", imported=f"momentos.{reacting}",
                                          as_packages=True)
