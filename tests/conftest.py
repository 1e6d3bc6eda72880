"""Shared helpers: scenarios as plain dicts to change one key at a time, and a replication run into tables."""

from __future__ import annotations

import copy
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python -m pytest` from the checkout works without installing the package
    sys.path.insert(0, str(ROOT))

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
SMALL = SCENARIOS / "small.yaml"
ONE_REGION = SCENARIOS / "one_region.yaml"
BROWSERS = ("chromium", "chromium-browser", "chromium-headless-shell", "google-chrome")
"""Headless Chromium under the names Debian and others install it (.ci/run installs chromium-headless-shell)."""


def chromium() -> str | None:
    """The path of a headless Chromium on PATH, or None (the browser tests then skip, saying so)."""
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def scenario_data(path: Path) -> dict[str, Any]:
    """A scenario file as a plain dict (yaml.safe_load), fresh for every call so tests can change it."""
    with open(path, encoding="utf-8") as handle:
        return copy.deepcopy(yaml.safe_load(handle))


def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """A test marked ``interpreted_model`` patches the model's classes or constants, which compiled modules do not see
    (they reach each other directly): where the model runs compiled, the test runs in a child pytest with the model
    imported from its sources (``FJSIM_PURE_PYTHON``), and passes only if it passes there."""
    from sim.model.build import PURE_PYTHON_VARIABLE, is_compiled

    if pyfuncitem.get_closest_marker("interpreted_model") is None or not is_compiled():
        return None
    env = {**os.environ, PURE_PYTHON_VARIABLE: "1"}
    command = [sys.executable, "-m", "pytest", pyfuncitem.nodeid, "-n0", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"failed with the model interpreted:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}", pytrace=False)
    return True


SESSION_RUN_STORE = Path(tempfile.mkdtemp(prefix="fjsim-test-run-store-")) / "runs.duckdb"
os.environ["FJSIM_RUNS_DB"] = str(SESSION_RUN_STORE)
"""Set on import, before any test module copies os.environ for its subprocesses: no test, in this process or in one
it starts, registers a run in the checkout's results/runs.duckdb."""


@pytest.fixture(scope="session", autouse=True)
def session_run_store() -> Iterator[Path]:
    """The session's run store (FJSIM_RUNS_DB), removed at the end."""
    yield SESSION_RUN_STORE
    shutil.rmtree(SESSION_RUN_STORE.parent, ignore_errors=True)


@pytest.fixture(autouse=True)
def run_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A run store of the test's own (FJSIM_RUNS_DB): commands register their folders there, never in results/."""
    path = tmp_path_factory.mktemp("run-store") / "runs.duckdb"
    monkeypatch.setenv("FJSIM_RUNS_DB", str(path))
    return path


@pytest.fixture
def small_data() -> dict[str, Any]:
    return scenario_data(SMALL)


@pytest.fixture
def one_region_data() -> dict[str, Any]:
    return scenario_data(ONE_REGION)


@dataclass
class RunResult:
    """What a replication wrote, read back with pandas."""

    stats: Any
    children: pd.DataFrame
    stages: pd.DataFrame
    timeline: pd.DataFrame
    start_date: dt.date

    def day(self, value: Any) -> float:
        """Days since the start date (the simulation clock of a run without warm-up) of a date or timestamp."""
        stamp = pd.Timestamp(value)
        return (stamp - pd.Timestamp(self.start_date)) / pd.Timedelta(days=1)


def run_replication(
    data: dict[str, Any], directory: Path, seed: int | None = None, replication: int = 0, exact: bool = False
) -> RunResult:
    """Validate a scenario dict, run one replication into ``directory`` and read its three tables as the results'
    readers do (days as 64-bit floats).

    The tables store days to the hour and stage times floored to the hour (sim.model.columns). ``exact`` stores
    them as simulated instead: for a journey worked out by hand to the second from its stored arrival time, where a
    time floored to the hour would move a ceiling to the day before (a request at 00:20 is stored at midnight).
    """
    from sim.experiment.results_folder import read_parquet
    from sim.model.replication import Replication
    from sim.scenario.loading import scenario_from_dict

    loaded = scenario_from_dict(copy.deepcopy(data))
    directory.mkdir(parents=True, exist_ok=True)
    stats = Replication(loaded, replication, directory, seed=seed, exact_records=exact).run()
    return RunResult(
        stats=stats,
        children=read_parquet(directory / "children.parquet").to_pandas(),
        stages=read_parquet(directory / "stages.parquet").to_pandas(),
        timeline=read_parquet(directory / "timeline.parquet").to_pandas(),
        start_date=loaded.scenario.start_date,
    )


@pytest.fixture
def failing_runs(monkeypatch: pytest.MonkeyPatch):
    """``failing_runs(when, error)``: every replication's ``run`` for which ``when(replication)`` holds raises
    ``error``, with either model, whether the replication runs whole or in parts; the others run as usual."""
    from sim.model.agenda.replication import AgendaReplication
    from sim.model.replication import Replication

    def patch(when, error: BaseException) -> None:
        for model in (Replication, AgendaReplication):

            def run(self, real_run=model.run):
                if when(self):
                    raise error
                return real_run(self)

            monkeypatch.setattr(model, "run", run)

    return patch


@pytest.fixture
def run():
    """``run(data, tmp_path / "a")``: one replication of a scenario dict, as tables."""
    return run_replication


@pytest.fixture
def hand() -> pd.DataFrame:
    """Six made-up children whose indicators can be worked out by hand (tests/made_up.py)."""
    from made_up import hand_rows

    return hand_rows()
