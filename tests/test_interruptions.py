"""Interrupted runs (issue 6.4): killed at a random moment, a run leaves only whole files, and resumes to the results
an uninterrupted run gives; Ctrl-C exits 130 saying how to resume; worker processes do not outlive a killed parent.

Each run is a real ``python run_sim.py run`` in its own process group (``start_new_session``), so signals reach it
as they would from a terminal, and its worker processes can be found by their process group.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.experiment.run_tables import read_table

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
TABLES = ("children", "stages", "timeline")
REPLICATIONS = 6
KILL_TIMES = random.Random(64)  # seeded: the same "random" moments on every run of the suite
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "CI": "1"}


def _default_sigint() -> None:
    """A process started in the background by a non-interactive shell inherits SIGINT ignored; restore Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "run_sim.py", *args],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_default_sigint,
    )


def wait_until(condition, process: subprocess.Popen, timeout: float = 60.0) -> bool:
    """Poll ``condition()`` until it holds (True) or the process has ended (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if process.poll() is not None:
            return condition()
        time.sleep(0.02)
    raise AssertionError("timed out waiting for the run")


def group_members(group: int) -> list[int]:
    """Pids of the live (not zombie) processes in a process group, read from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (name) "
        state, pgrp = fields[0], int(fields[2])
        if pgrp == group and state != "Z":
            found.append(int(entry))
    return found


def kill_group(group: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


def finished(out: Path) -> list[int]:
    return sorted(int(p.parent.name.split("-")[1]) for p in (out / "replications").glob("rep-*/stats.json"))


def assert_final_files_are_whole(out: Path) -> None:
    """Every file with a final name (not .NAME.partial) opens and parses."""
    for path in sorted(out.rglob("*")):
        if not path.is_file() or path.name.startswith(".") or path.name.endswith(".partial"):
            continue
        if path.suffix == ".parquet":
            pq.read_table(path)
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".csv":
            pd.read_csv(path)


def assert_same_results(reference: Path, out: Path) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(read_table(out, name), read_table(reference, name), check_exact=True, obj=name)
    assert (out / "summary.csv").read_bytes() == (reference / "summary.csv").read_bytes()
    assert (out / "indicators.csv").read_bytes() == (reference / "indicators.csv").read_bytes()


@pytest.fixture(scope="module")
def longer(tmp_path_factory) -> Path:
    """The small scenario over three years, so a run lasts a few seconds."""
    path = tmp_path_factory.mktemp("scenario") / "small_three_years.yaml"
    path.write_text(f"extends: {SMALL}\nname: small_three_years\nrun_years: 3\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(longer, tmp_path_factory) -> tuple[Path, float]:
    """An uninterrupted run, and how long its replications took."""
    out = tmp_path_factory.mktemp("reference") / "out"
    done = subprocess.run(
        [
            sys.executable,
            "run_sim.py",
            "run",
            str(longer),
            "--replications",
            str(REPLICATIONS),
            "--workers",
            "1",
            "--out",
            str(out),
            "--no-report",
        ],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return out, json.loads((out / "manifest.json").read_text())["wall_seconds"]


def resume(out: Path, workers: int = 1) -> None:
    done = subprocess.run(
        [sys.executable, "run_sim.py", "run", "--resume", str(out), "--workers", str(workers), "--no-report"],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(3))
def test_a_killed_run_leaves_whole_files_and_resumes_to_the_same_results(attempt, longer, reference, tmp_path) -> None:
    reference_out, run_seconds = reference
    out = tmp_path / "out"
    delay = KILL_TIMES.uniform(0.05, 0.9) * run_seconds
    process = start(
        "run", str(longer), "--replications", str(REPLICATIONS), "--workers", "1", "--out", str(out), "--no-report"
    )
    try:
        assert wait_until(lambda: (out / "manifest.json").exists(), process), process.communicate()[1]
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    finally:
        kill_group(process.pid)
    assert_final_files_are_whole(out)
    assert not list(out.glob("*.parquet"))  # tables are stored in the replications' folders only
    # A replication without stats.json may hold some of its finished tables (a kill between two atomic writes, e.g.
    # during stats.json's fsync); --resume clears and redoes it whole, which the equality below shows.
    resume(out)
    assert_same_results(reference_out, out)
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


@pytest.mark.slow
def test_workers_exit_when_the_parent_is_killed(longer, reference, tmp_path) -> None:
    if not Path("/proc/self/stat").exists():
        pytest.skip("reads the process table from /proc")
    out = tmp_path / "out"
    process = start(
        "run", str(longer), "--replications", str(REPLICATIONS), "--workers", "2", "--out", str(out), "--no-report"
    )
    try:
        started = wait_until(lambda: len(list((out / "replications").glob("rep-*"))) >= 2, process)
        assert started, process.communicate()[1]
        assert len(group_members(process.pid)) >= 3  # the parent and its two workers (and a resource tracker)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        deadline = time.monotonic() + 15
        while group_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert group_members(process.pid) == [], "worker processes outlived their parent"
    finally:
        kill_group(process.pid)
    assert_final_files_are_whole(out)
    resume(out, workers=2)
    assert_same_results(reference[0], out)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_exits_130_and_says_how_to_resume(workers, longer, tmp_path) -> None:
    if not Path("/proc/self/stat").exists():
        pytest.skip("reads the process table from /proc")
    out = tmp_path / "out"
    process = start(
        "run", str(longer), "--replications", "12", "--workers", str(workers), "--out", str(out), "--no-report"
    )
    try:
        started = wait_until(lambda: len(list((out / "replications").glob("rep-*"))) >= workers, process)
        assert started, process.communicate()[1]
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C at a terminal signals the whole foreground group
        _, err = process.communicate(timeout=60)
        assert process.returncode == 130, err
        assert f"continue with: python run_sim.py run --resume {out}" in err
        assert "Traceback" not in err
        deadline = time.monotonic() + 15
        while group_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert group_members(process.pid) == []
    finally:
        kill_group(process.pid)
    assert not (out / "summary.csv").exists()  # the run's outputs come only once every replication is done
    assert_final_files_are_whole(out)
    assert len(finished(out)) < 12
