"""The model compiled by mypyc runs the same model as its Python sources, and a stale compiled module is never used.

``setup.py`` compiles the modules of :data:`sim.model.build.COMPILED_MODULES` when the package is installed with a C
compiler. These tests show that the compiled build gives the same tables, to the last digit, as the same code
interpreted; that a compiled module older than its source is not imported (nor are the others: never a mix); that
``FJSIM_PURE_PYTHON`` asks for the sources; that the compiled modules type-check, which compiling needs; and that the
manifest says which build ran.
"""

from __future__ import annotations

import ast
import importlib.machinery
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.model.build import COMPILED_MODULES, PURE_PYTHON_VARIABLE, build_reason, is_compiled, stale_modules

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]
"""How this interpreter names a compiled module (``.cpython-311-x86_64-linux-gnu.so`` here)."""
needs_compiled = pytest.mark.skipif(not is_compiled(), reason="the model was installed without compiling")


def run_small(out: Path, *, pure: bool, model: str = "events") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, PURE_PYTHON_VARIABLE: "1" if pure else "0", "CI": "1"}
    command = [sys.executable, "run_sim.py", "run", str(SMALL), "--replications", "2", "--workers", "1"]
    command += ["--model", model]
    return subprocess.run(
        [*command, "--no-report", "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


@needs_compiled
@pytest.mark.parametrize("model", ["events", "agenda"])
def test_the_compiled_model_gives_the_interpreted_models_tables_to_the_last_digit(model: str, tmp_path: Path) -> None:
    compiled = run_small(tmp_path / "compiled", pure=False, model=model)
    interpreted = run_small(tmp_path / "interpreted", pure=True, model=model)
    assert compiled.returncode == 0 and interpreted.returncode == 0, compiled.stderr + interpreted.stderr
    for name in ("summary.csv", "indicators.csv"):
        assert (tmp_path / "compiled" / name).read_bytes() == (tmp_path / "interpreted" / name).read_bytes(), name
    for table in ("children", "stages"):
        for rep in ("rep-0000", "rep-0001"):
            path = Path("replications") / rep / f"{table}.parquet"
            ours, theirs = (
                pd.read_parquet(tmp_path / "compiled" / path),
                pd.read_parquet(tmp_path / "interpreted" / path),
            )
            assert len(ours) > 100
            pd.testing.assert_frame_equal(ours, theirs)
    builds = [
        json.loads((tmp_path / d / "manifest.json").read_text())["code"]["model_build"]
        for d in ("compiled", "interpreted")
    ]
    assert builds == ["compiled (mypyc)", f"interpreted ({PURE_PYTHON_VARIABLE} is set)"]


def test_the_manifest_says_how_the_model_ran(tmp_path: Path) -> None:
    done = run_small(tmp_path / "run", pure=True)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["code"]["model_build"] == f"interpreted ({PURE_PYTHON_VARIABLE} is set)"


def where_modules_load(*, pure: bool) -> dict[str, str]:
    """Where each model module was imported from, in a fresh interpreter, with the model's build as it says."""
    code = (
        "import importlib, json, sys; from sim.model.build import COMPILED_MODULES, model_build\n"
        "names = [m.removesuffix('.py').replace('/', '.') for m in COMPILED_MODULES]\n"
        "print(json.dumps({**{n: importlib.import_module(n).__file__ for n in names}, 'build': model_build()}))"
    )
    env = {**os.environ, PURE_PYTHON_VARIABLE: "1" if pure else "0"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_asked_for_python_every_model_module_loads_from_its_source() -> None:
    files = where_modules_load(pure=True)
    assert files.pop("build") == f"interpreted ({PURE_PYTHON_VARIABLE} is set)"
    assert len(files) == len(COMPILED_MODULES) and all(f.endswith(".py") for f in files.values())


@needs_compiled
def test_installed_compiled_every_model_module_loads_compiled() -> None:
    files = where_modules_load(pure=False)
    assert files.pop("build") == "compiled (mypyc)"
    assert all(f.endswith(".so") for f in files.values())


def fake_tree(root: Path, compiled: list[str]) -> None:
    """The model's sources under ``root``, and a compiled file beside those in ``compiled``, one second newer."""
    for module in COMPILED_MODULES:
        source = root / module
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text("")
        os.utime(source, (1_000_000, 1_000_000))
        if module in compiled:
            built = source.with_name(source.stem + SUFFIX)
            built.write_bytes(b"")
            os.utime(built, (1_000_001, 1_000_001))


def test_a_source_edited_after_compiling_makes_its_module_stale(tmp_path: Path) -> None:
    fake_tree(tmp_path, [])
    assert stale_modules(tmp_path) == []  # nothing compiled: plain Python, nothing stale
    fake_tree(tmp_path, list(COMPILED_MODULES))
    assert stale_modules(tmp_path) == []
    edited = tmp_path / "sim/model/agencies/court.py"
    os.utime(edited, (1_000_002, 1_000_002))  # saved after the build
    assert stale_modules(tmp_path) == ["sim.model.agencies.court"]
    (tmp_path / "sim/model/seeding.py").with_name("seeding" + SUFFIX).unlink()  # a module left uncompiled
    assert stale_modules(tmp_path) == ["sim.model.agencies.court", "sim.model.seeding"]


def test_the_reason_a_model_runs_interpreted_is_stated(tmp_path: Path) -> None:
    fake_tree(tmp_path, [])
    assert (
        build_reason(tmp_path, {}) == "interpreted (installed without compiling: no C compiler, or mypyc unavailable)"
    )
    fake_tree(tmp_path, list(COMPILED_MODULES))
    assert build_reason(tmp_path, {}) == "compiled (mypyc)"
    assert build_reason(tmp_path, {PURE_PYTHON_VARIABLE: "0"}) == "compiled (mypyc)"
    assert build_reason(tmp_path, {PURE_PYTHON_VARIABLE: "1"}) == f"interpreted ({PURE_PYTHON_VARIABLE} is set)"
    os.utime(tmp_path / "sim/model/records.py", (1_000_002, 1_000_002))
    reason = build_reason(tmp_path, {})
    assert reason.startswith("interpreted: 1 compiled module(s) older than their source (sim.model.records)")
    assert "pip install -e ." in reason


WARNS_WHEN = """
import json, sys, warnings
from pathlib import Path
import sim.model.build as build
build._REASON.clear()
build._ROOT = Path(sys.argv[1])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    build.choose_build()
sources_first = any(isinstance(f, build._SourcesFirst) for f in sys.meta_path)
print(json.dumps({"warnings": [str(w.message) for w in caught], "sources_first": sources_first}))
"""


@pytest.mark.parametrize("case", ["stale", "not compiled", "asked for Python", "compiled"])
def test_only_a_stale_build_warns_and_every_interpreted_build_imports_the_sources(case: str, tmp_path: Path) -> None:
    """A stale build is a mistake worth a warning (the run is slower than the user thinks); a machine without a
    compiler, or FJSIM_PURE_PYTHON, is a choice the manifest records without one."""
    fake_tree(tmp_path, [] if case == "not compiled" else list(COMPILED_MODULES))
    if case == "stale":
        os.utime(tmp_path / "sim/model/records.py", (1_000_002, 1_000_002))
    env = {**os.environ, PURE_PYTHON_VARIABLE: "1" if case == "asked for Python" else "0"}
    done = subprocess.run(
        [sys.executable, "-c", WARNS_WHEN, str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    seen = json.loads(done.stdout)
    if case == "stale":
        assert len(seen["warnings"]) == 1
        assert seen["warnings"][0].startswith("the model runs more slowly, interpreted: 1 compiled module(s) older")
    else:
        assert seen["warnings"] == []
    assert seen["sources_first"] == (case != "compiled")


@pytest.mark.slow
@pytest.mark.parametrize("where", ["with the installed packages", "as the install's build sees them"])
def test_the_compiled_modules_type_check(where: str) -> None:
    """mypyc compiles only code that type-checks: a type error would make the install fall back to Python. The
    install checks them in pip's isolated build environment, which holds setuptools and mypy but not numpy, SimPy or
    pydantic (``--no-site-packages`` sees what it sees), so they must type-check there too."""
    isolated = ["--no-site-packages"] if where.startswith("as the install") else []
    done = subprocess.run(
        [sys.executable, "-m", "mypy", *isolated, *COMPILED_MODULES], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-4000:]


def test_where_ci_can_compile_the_model_runs_compiled() -> None:
    """.ci/run sets FJSIM_EXPECT_COMPILED where the machine has a C compiler and Python's headers: a build that then
    fell back to Python, or went stale, fails here rather than making every run slower in silence."""
    if os.environ.get("FJSIM_EXPECT_COMPILED") != "1":
        pytest.skip("FJSIM_EXPECT_COMPILED is not set (only .ci/run sets it)")
    assert is_compiled()


def test_no_compiled_class_inherits_from_a_class_outside_the_compiled_modules() -> None:
    """The install compiles without numpy, SimPy or pydantic in sight: a compiled class inheriting from one of their
    classes is built against a base it cannot see, and crashed (a seed sequence subclassing numpy's, on a fresh
    machine). Compiled classes inherit only from each other, or are protocols; others register as virtual subclasses."""
    classes = {
        module: [node for node in ast.walk(ast.parse((ROOT / module).read_text())) if isinstance(node, ast.ClassDef)]
        for module in COMPILED_MODULES
    }
    own = {node.name for nodes in classes.values() for node in nodes}
    outside = [
        f"{module}: {node.name}({ast.unparse(base)})"
        for module, nodes in classes.items()
        for node in nodes
        for base in node.bases
        if ast.unparse(base) not in own | {"Protocol", "object"}
    ]
    assert not outside, outside


INTERRUPTED_ANYWHERE = """
import json, random, signal, sys, tempfile
from pathlib import Path
from sim import api
from sim.model.replication import Replication
from sim.model.seeding import Seeder

class Interrupted(Exception):
    pass

inside = False

def interrupt(signum, frame):
    if inside:
        raise Interrupted

# six years: a replication takes 0.18 s on the fastest machine seen (three took 0.09 s there, under the 0.1 s of the
# latest moments, so an attempt could end before its signal), at least three times the latest moment below
loaded = api.with_changes(api.load(Path(sys.argv[1])), {"run_years": 6})
signal.signal(signal.SIGALRM, interrupt)
moments, caught, seeder = random.Random(5), {"seeder": 0, "replication": 0}, Seeder()
with tempfile.TemporaryDirectory() as tmp:
    for attempt in range(int(sys.argv[2])):
        where = "seeder" if attempt % 2 else "replication"
        moment = moments.uniform(0.0, 0.002 if where == "seeder" else 0.05)
        try:
            inside = True  # before the timer is armed: a process paused between the two would miss its signal
            signal.setitimer(signal.ITIMER_REAL, moment)
            if where == "seeder":
                for key in range(100_000):
                    seeder.state(2**40 + attempt, (attempt, 3), (key, 2**33 + key))
            else:
                Replication(loaded, attempt, Path(tmp) / str(attempt)).run()
            inside = False
        except Interrupted:
            inside = False
            caught[where] += 1
        signal.setitimer(signal.ITIMER_REAL, 0)
print(json.dumps(caught))
"""


@needs_compiled
def test_an_interrupt_inside_the_compiled_model_is_an_exception_not_a_crash() -> None:
    """Ctrl-C raises KeyboardInterrupt wherever the model is. Compiled, a product of integers past 2**30 goes through
    Python's long multiply, which checks for signals; mypyc took that failure for "out of memory" and aborted the
    process (CI: a Ctrl-C test exited -6). The seeder's 32-bit hash products now stay small. Here a signal whose
    handler raises arrives at random moments inside the seeder and inside whole replications, and each time the
    exception reaches the caller."""
    attempts = 60
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_ANYWHERE, str(SMALL), str(attempts)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout) == {"seeder": attempts // 2, "replication": attempts // 2}  # each one interrupted
