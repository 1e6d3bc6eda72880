"""The command line is a layer of its own: argparse, exit codes and the CLI's helpers stay in sim/cli, and the
library below it imports neither the CLI nor the notebook facade (imports flow one way)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from sim.cli.main import build_parser, main

SIM = Path(__file__).resolve().parents[1] / "sim"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return found


def library_files(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (SIM / package).rglob("*.py"))


@pytest.mark.parametrize("path", library_files("scenario", "model", "analysis", "experiment", "outputs"), ids=str)
def test_the_library_imports_neither_the_cli_nor_argparse(path: Path) -> None:
    imports = imported_modules(path)
    assert not {m for m in imports if m == "sim.cli" or m.startswith("sim.cli.")}, path
    assert "argparse" not in imports, f"{path}: command-line options belong in sim/cli"


@pytest.mark.parametrize("path", library_files("experiment", "outputs"), ids=str)
def test_experiments_and_outputs_do_not_import_upwards(path: Path) -> None:
    imports = imported_modules(path)
    assert not {m for m in imports if m == "sim.api" or m.startswith("sim.api.")}, path
    if path.parent.name == "experiment":
        assert not {m for m in imports if m.startswith("sim.outputs")}, path


def test_usage_names_the_program_as_it_was_run(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "argv", ["/usr/local/bin/fjsim"])
    assert build_parser().prog == "fjsim"
    assert main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: fjsim ")
    monkeypatch.setattr(sys, "argv", ["run_sim.py"])
    assert main(["run", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: run_sim.py run ")


def test_every_command_is_listed_once() -> None:
    parser = build_parser("run_sim.py")
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    assert list(sub.choices) == [
        "validate", "run", "compare", "sweep", "warmup", "calibrate", "validation", "journey", "report", "ocel",
    ]  # fmt: skip
