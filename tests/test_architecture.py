"""The house rules of the package, checked on the source: data flows one way, no import cycles, small modules.

The layers, in the order data flows (design.md): the shared vocabulary, then scenario → model → analysis →
experiment → outputs → workbench (the scenario page) → cli, with the notebook facade ``sim.api`` on top. A module
may import from its own package and from the packages before it, never from one after it; and no chain of imports
may come back to where it started, even through a function-level import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sim"
LAYERS = ("vocabulary", "scenario", "model", "analysis", "experiment", "outputs", "workbench", "cli", "api")
"""``sim.<first part>`` of every module, in the order data flows; a module imports only from its layer or before."""
MAX_MODULE_LINES = 400
LONG_MODULE_REASON = "Why this module is long:"
"""A module over MAX_MODULE_LINES says why at its top, in its docstring, after these words."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> Iterator[tuple[str, int]]:
    """Every ``sim`` module that ``path`` imports (at the top, inside functions, or for type checking)."""
    own = module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # a relative import: up node.level - 1 packages from this one
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:  # sim.x.y.function -> sim.x.y
                name = name.rpartition(".")[0]
            if name and name != own and name.startswith("sim."):
                yield name, node.lineno


def layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: {target for target, _ in imports_of(path, known)} for name, path in found.items()}


def test_every_module_belongs_to_a_layer() -> None:
    strays = [name for name in modules() if name != "sim" and layer(name) is None]
    assert not strays, f"modules outside the layers {LAYERS}: {strays}"


def test_no_module_imports_from_a_later_layer() -> None:
    found = modules()
    known = set(found)
    upward = sorted(
        {
            f"{found[name].relative_to(ROOT)}:{line} imports {target} ({LAYERS[layer(target)]} comes after "
            f"{LAYERS[layer(name)]})"
            for name in found
            if layer(name) is not None
            for target, line in imports_of(found[name], known)
            if layer(target) is not None and layer(target) > layer(name)
        }
    )
    assert not upward, "imports that go against the flow:\n" + "\n".join(upward)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    graph = import_graph()
    # A package's __init__ that only holds a docstring imports nothing; importing a submodule runs it, which is
    # no cycle of ours.
    found = cycles(graph)
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


@pytest.mark.parametrize("name", sorted(modules()))
def test_a_long_module_says_why_at_its_top(name: str) -> None:
    path = modules()[name]
    lines = path.read_text(encoding="utf-8").count("\n")
    if lines <= MAX_MODULE_LINES:
        return
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    assert LONG_MODULE_REASON in doc, (
        f"{path.relative_to(ROOT)} has {lines} lines (over {MAX_MODULE_LINES}): split it, or say why it is long in "
        f"its docstring after '{LONG_MODULE_REASON}'"
    )


# ---------------------------------------------------------------------------------------------- finer rules
def imports_in(package: str) -> list[tuple[str, set[str]]]:
    """(module, the sim modules and the outside packages it imports) for every module of ``sim.<package>``."""
    found = modules()
    known = set(found)
    rows = []
    for name, path in found.items():
        if name == f"sim.{package}" or name.startswith(f"sim.{package}."):
            outside = {
                alias.name.split(".")[0]
                for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                if isinstance(node, ast.Import)
                for alias in node.names
            }
            rows.append((name, {target for target, _ in imports_of(path, known)} | outside))
    return rows


def test_the_vocabulary_imports_nothing_of_the_project() -> None:
    assert import_graph()["sim.vocabulary"] == set()


def test_only_the_command_line_parses_arguments() -> None:
    users = [
        name
        for package in ("scenario", "model", "analysis", "experiment", "outputs", "workbench")
        for name, imported in imports_in(package)
        if "argparse" in imported
    ]
    assert not users, f"command-line options belong in sim/cli: {users}"


def test_agencies_know_nothing_of_pathways_or_the_replication() -> None:
    for name, imported in imports_in("model.agencies"):
        assert not {m for m in imported if m.startswith(("sim.model.pathways", "sim.model.replication"))}, name


def test_a_pathway_sees_only_its_context_the_entities_and_the_words() -> None:
    allowed = {"sim.model.entities", "sim.model.pathways.context", "sim.scenario.schema", "sim.vocabulary"}
    for name, imported in imports_in("model.pathways"):
        if name.rpartition(".")[2] in ("pathways", "steps", "context"):
            continue
        assert {m for m in imported if m.startswith("sim")} <= allowed, name


# ---------------------------------------------------------------------------------------------- the README
def readme_modules() -> set[str]:
    """The modules and packages the README's layout lists, as paths (indentation gives the folder)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Repository layout", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    listed: set[str] = set()
    folders: list[tuple[int, str]] = []
    for line in block.splitlines():
        entry = line.split()[0] if line.strip() else ""
        indent = len(line) - len(line.lstrip())
        if not (entry.endswith("/") or entry.endswith(".py")) or indent > 40:
            continue
        folders = [(i, f) for i, f in folders if i < indent]
        path = "".join(f for _, f in folders) + entry
        if entry.endswith("/"):
            folders.append((indent, entry))
        if path.startswith("sim/") and path != "sim/":
            listed.add(path.rstrip("/"))
    return listed


def test_the_readme_lists_every_module_and_nothing_else() -> None:
    tree = {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"}
    tree |= {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*") if p.is_dir() and p.name != "__pycache__"}
    listed = readme_modules()
    assert not tree - listed, f"in the tree, not in the README's layout: {sorted(tree - listed)}"
    assert not listed - tree, f"in the README's layout, not in the tree: {sorted(listed - tree)}"
