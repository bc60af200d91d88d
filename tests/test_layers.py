"""The package graph: data flows sources → core → views, and no package imports one above it.

Each top-level module or package of ``stb`` has a layer; an import (at any depth of a module, lazy imports
too, but not those only for type checkers) may go to a lower layer or stay inside its own package. Views of
one layer (the window, the API) never import each other. ``cli.py`` modules are entry points, registered
by name in ``stb.cli``: like ``stb.assembly``, they may build what they run from any layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

STB = Path(__file__).resolve().parent.parent / "stb"

# Lowest first. A name may import names of earlier layers only.
LAYERS: list[set[str]] = [
    {"errors", "__init__"},
    {"reminders"},
    {"config", "children", "images", "netns", "actions", "commands", "cli", "urls"},
    {"parental", "redirects"},
    {"settings"},
    {"lineup", "ts", "assets"},
    {"timeshift"},
    {"streams", "guide", "headend", "player", "relay"},
    {"box", "skin", "lan", "pvr"},
    {"tv"},
    {"web"},
    {"ui", "net"},
    {"companion"},
    {"assembly"},
    {"bench"},
    {"reliability", "__main__"},
]
LAYER = {name: i for i, names in enumerate(LAYERS) for name in names}


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Line numbers of imports under ``if TYPE_CHECKING:`` (types only: no run-time dependency)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING":
            lines |= {inner.lineno for stmt in node.body for inner in ast.walk(stmt) if hasattr(inner, "lineno")}
    return lines


def imports() -> list[tuple[str, str, str]]:
    """(importing module's path, its top-level name, the imported top-level name) for every stb import."""
    found = []
    for path in sorted(STB.rglob("*.py")):
        relative = path.relative_to(STB)
        owner = relative.parts[0].removesuffix(".py")
        tree = ast.parse(path.read_text(), str(path))
        skip = _type_checking_only(tree)
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in skip:
                continue
            modules = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            for module in modules:
                parts = module.split(".")
                if parts[0] == "stb" and len(parts) > 1 and parts[1] != owner:
                    target = parts[1]
                    if (STB / target).is_dir() or (STB / f"{target}.py").is_file():
                        found.append((relative.as_posix(), owner, target))
    return found


def test_every_top_level_name_has_a_layer():
    names = {p.name.removesuffix(".py") for p in STB.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert names - set(LAYER) == set(), "give each new package a layer in tests/test_layers.py"


def test_no_package_imports_upward_or_sideways():
    problems = sorted(
        f"{where}: {owner} (layer {LAYER[owner]}) imports {target} (layer {LAYER[target]})"
        for where, owner, target in set(imports())
        if LAYER[target] >= LAYER[owner] and not where.endswith("cli.py")
    )
    assert not problems, "\n".join(problems)


def test_the_graph_has_no_cycle():
    """A cycle of packages would make the layers a fiction."""
    graph: dict[str, set[str]] = {}
    for where, owner, target in imports():
        if not where.endswith("cli.py"):  # entry points are roots: nothing imports them but `stb.cli`, by name
            graph.setdefault(owner, set()).add(target)

    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                pytest.fail("cycle: " + " → ".join([*trail[trail.index(nxt) :], nxt]))
            if nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])


def test_the_check_sees_a_real_import():
    """The scan must find imports, or every check above would pass on nothing."""
    assert ("ui/app.py", "ui", "tv") in imports()
