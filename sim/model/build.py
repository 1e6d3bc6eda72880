"""Which build of the model runs: compiled to C by mypyc when it was installed with a C compiler, else plain Python.

The model's modules are typed Python; ``setup.py`` compiles those in :data:`COMPILED_MODULES` with mypyc when the
package is installed (``pip install -e .``), which makes a national replication a sixth to a third cheaper, with the
same results to the last digit (``tests/test_model_build.py``). Without a compiler the install falls back to plain
Python and runs the same code more slowly.

An editable install leaves the compiled modules (``.so`` files) beside their sources, and Python imports a compiled
module before its source. A source edited after the build would then be ignored in silence, so the model runs
compiled only while every compiled module is newer than its source; otherwise, or when ``FJSIM_PURE_PYTHON`` is
set, every model module is imported from its source (never a mix: compiled modules reach each other's classes
directly) and :func:`model_build` says why. This module imports nothing of the project: ``setup.py`` reads it alone.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType

PURE_PYTHON_VARIABLE = "FJSIM_PURE_PYTHON"
"""Set (to anything but empty or 0) to run the model as plain Python although it was compiled."""

COMPILED_MODULES = (
    "sim/model/agencies/caseload.py",
    "sim/model/agencies/court.py",
    "sim/model/agencies/court_capacity.py",
    "sim/model/agencies/teams.py",
    "sim/model/agenda/booking.py",
    "sim/model/arrivals.py",
    "sim/model/columns.py",
    "sim/model/entities.py",
    "sim/model/inverses.py",
    "sim/model/journeys.py",
    "sim/model/monitor.py",
    "sim/model/parameters.py",
    "sim/model/pathways/context.py",
    "sim/model/pathways/domestic_abuse.py",
    "sim/model/pathways/pathfinder.py",
    "sim/model/pathways/private_law.py",
    "sim/model/pathways/public_law.py",
    "sim/model/pathways/steps.py",
    "sim/model/random_streams.py",
    "sim/model/records.py",
    "sim/model/replication.py",
    "sim/model/route_changes.py",
    "sim/model/seeding.py",
    "sim/model/starting_state.py",
)
"""The modules setup.py compiles, as paths from the project's root. Left out: the engine (its environment subclasses
SimPy's, so it could only be an ordinary class, and compiled so a one-year run took 1.3 times the CPU: SimPy's events
are Python objects, which compiled code reaches no faster; the cases' own events and the loop are native, in
``journeys.py``), the run's counts (an exception class) and this module."""

_ROOT = Path(__file__).resolve().parents[2]
_PACKAGE = "sim.model"


def _module_name(source: str) -> str:
    return source.removesuffix(".py").replace("/", ".")


def _compiled_file(source: Path) -> Path | None:
    """The compiled module beside ``source``, if there is one."""
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = source.with_name(source.stem + suffix)
        if candidate.exists():
            return candidate
    return None


def _compiled_files(root: Path) -> dict[str, tuple[Path, Path | None]]:
    """Each compiled module's name: its source under ``root`` and its compiled file, if any."""
    return {_module_name(m): (root / m, _compiled_file(root / m)) for m in COMPILED_MODULES}


def stale_modules(root: Path = _ROOT) -> list[str]:
    """Compiled modules (under ``root``) whose source changed after they were compiled (it is newer than the compiled
    file), or whose compiled file is missing while others are present; none when nothing was compiled."""
    return _stale(_compiled_files(root))


def _nothing_compiled(found: dict[str, tuple[Path, Path | None]]) -> bool:
    return not any(compiled for _, compiled in found.values())


def _stale(found: dict[str, tuple[Path, Path | None]]) -> list[str]:
    if _nothing_compiled(found):
        return []
    return [
        name
        for name, (source, compiled) in found.items()
        if compiled is None or source.stat().st_mtime > compiled.stat().st_mtime
    ]


def pure_python_asked(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether ``FJSIM_PURE_PYTHON`` asks for the model as plain Python (set to anything but empty or 0)."""
    return environ.get(PURE_PYTHON_VARIABLE, "") not in ("", "0")


class _SourcesFirst:
    """A finder that imports the model's modules from their sources, ahead of the compiled ones."""

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not name.startswith(_PACKAGE + ".") or path is None:
            return None
        last = name.rpartition(".")[2]
        for entry in path:
            package = Path(entry) / last / "__init__.py"
            if package.exists():
                return importlib.util.spec_from_file_location(
                    name, package, submodule_search_locations=[str(package.parent)]
                )
            module = Path(entry) / (last + ".py")
            if module.exists():
                return importlib.util.spec_from_file_location(name, module)
        return None


_REASON: list[str] = []


def build_reason(root: Path = _ROOT, environ: Mapping[str, str] = os.environ) -> str:
    """How the model's modules under ``root`` would run: ``compiled (mypyc)``, or ``interpreted (...)`` and why."""
    return _build(root, environ)[0]


def _build(root: Path, environ: Mapping[str, str]) -> tuple[str, list[str]]:
    """The build's reason, and the compiled modules older than their sources that made it (empty unless they did)."""
    if pure_python_asked(environ):
        return f"interpreted ({PURE_PYTHON_VARIABLE} is set)", []
    found = _compiled_files(root)
    stale = _stale(found)
    if stale:
        more = ", ..." if len(stale) > 3 else ""
        return (
            f"interpreted: {len(stale)} compiled module(s) older than their source ({', '.join(stale[:3])}{more}); "
            "run `python -m pip install -e .` again to compile them"
        ), stale
    if _nothing_compiled(found):
        return "interpreted (installed without compiling: no C compiler, or mypyc unavailable)", []
    return "compiled (mypyc)", []


def choose_build() -> None:
    """Called once, when :mod:`sim.model` is imported, before any of its modules: import them from their sources
    when asked to or when a compiled one is out of date (saying so: the run is slower), and remember why."""
    if _REASON:
        return
    reason, stale = _build(_ROOT, os.environ)
    _REASON.append(reason)
    if stale:
        warnings.warn(f"the model runs more slowly, {reason}", RuntimeWarning, stacklevel=3)
    if not reason.startswith("compiled") and not any(isinstance(f, _SourcesFirst) for f in sys.meta_path):
        sys.meta_path.insert(0, _SourcesFirst())


def model_build() -> str:
    """How the model runs in this process: ``compiled (mypyc)`` or ``interpreted (...)`` with the reason."""
    choose_build()
    return _REASON[0]


def is_compiled() -> bool:
    """True when the model's modules run compiled in this process."""
    return model_build().startswith("compiled")
