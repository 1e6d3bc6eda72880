"""The model's imports flow one way: vocabulary -> scenario -> model, and inside the model pathways stay apart.

Every import is read from the source (``ast``), lazy imports inside functions included, so a shortcut taken
in a function body is caught as surely as one at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parent.parent / "sim"

KNOWN_SCENARIO_TO_CLI = {"sim/scenario/calibration.py": {"sim.cli.main"}}
"""calibration.py takes UserError and _err from the CLI (found 2026-11-29 while splitting the packages, and
reported to whoever splits calibration's command from its fitting). Remove the entry when it no longer does;
never add one."""


def sim_imports(path: Path) -> set[str]:
    """Modules of the ``sim`` package that a file imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(n for n in names if n == "sim" or n.startswith("sim."))
    return found


def files(package: str) -> list[Path]:
    return sorted((SIM / package).rglob("*.py"))


def relative(path: Path) -> str:
    return path.relative_to(SIM.parent).as_posix()


def test_the_vocabulary_imports_nothing_of_the_project() -> None:
    assert sim_imports(SIM / "vocabulary.py") == set()


@pytest.mark.parametrize("path", files("scenario"), ids=relative)
def test_the_scenario_imports_only_the_vocabulary(path: Path) -> None:
    allowed = ("sim.scenario", "sim.vocabulary")
    outside = {m for m in sim_imports(path) if not m.startswith(allowed)}
    assert outside <= KNOWN_SCENARIO_TO_CLI.get(relative(path), set())
    assert not any(m.startswith("sim.model") for m in sim_imports(path))


@pytest.mark.parametrize("path", files("model"), ids=relative)
def test_the_model_imports_only_the_scenario_and_the_vocabulary(path: Path) -> None:
    allowed = ("sim.model", "sim.scenario", "sim.vocabulary")
    assert {m for m in sim_imports(path) if not m.startswith(allowed)} == set()


@pytest.mark.parametrize("path", files("model/agencies"), ids=relative)
def test_agencies_know_nothing_of_pathways_or_the_replication(path: Path) -> None:
    imports = sim_imports(path)
    assert not {m for m in imports if m.startswith(("sim.model.pathways", "sim.model.replication"))}


@pytest.mark.parametrize(
    "path", [p for p in files("model/pathways") if p.name not in ("steps.py", "__init__.py")], ids=relative
)
def test_a_pathway_sees_only_its_context_the_entities_and_the_words(path: Path) -> None:
    allowed = {"sim.model.entities", "sim.model.pathways.context", "sim.scenario.schema", "sim.vocabulary"}
    assert sim_imports(path) <= allowed
