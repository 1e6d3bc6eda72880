"""The national benchmark runs and ends with its figures as one line of JSON (issue 14, item 5).

The lead measures on an idle machine with ``python benchmarks/bench_national.py``; a stale import or a changed
last line would only show up then. Here it runs on the small test scenario (about a second) and its last line is
read as a program reading the benchmark would read it.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from conftest import ROOT, SMALL

KEYS = {"cases", "events", "cpu_s", "wall_s", "cases_per_cpu_second", "model_us_per_case", "peak_rss_mb", "model_build"}
KEYS |= {"model"}


def test_the_per_operation_benchmarks_run(tmp_path) -> None:
    """The per-operation benchmarks (diary booking, caseload allocation, record writing) are kept out of the test
    run, so a change to the model could break them unseen: here each runs once, untimed."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(ROOT / "benchmarks" / "test_operations.py"),
            "-q",
            "-n0",
            "-p",
            "no:cacheprovider",
            "--benchmark-disable",
            "--basetemp",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and "error" not in done.stdout.splitlines()[-1]


def benchmark_lines(name: str, *args: str) -> list[str]:
    """The lines ``benchmarks/NAME.py ARGS`` prints, run as a user runs it (it must succeed)."""
    command = [sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()


@pytest.mark.slow
@pytest.mark.parametrize("model", ["agenda", "events"])
def test_bench_national_ends_with_its_figures_as_json(model, tmp_path) -> None:
    """With either model, the same figures; the agenda's events are the event model's for the same replication."""
    lines = benchmark_lines("bench_national", str(SMALL), "--out", str(tmp_path), "--model", model)
    figures = json.loads(lines[-1])
    assert set(figures) == KEYS and figures["model"] == model
    assert figures["cases"] > 500 and figures["events"] > 4 * figures["cases"]
    assert min(figures["cpu_s"], figures["wall_s"], figures["peak_rss_mb"]) > 0
    assert figures["model_build"].startswith(("compiled (mypyc)", "interpreted"))
    assert figures["cases_per_cpu_second"] == pytest.approx(figures["cases"] / figures["cpu_s"], rel=0.05)
    assert figures["model_us_per_case"] == pytest.approx(1e6 / figures["cases_per_cpu_second"], abs=0.05)
    assert any(line.startswith("ratio model / bare") for line in lines[:-1])  # the readable figures stay
    assert (tmp_path / "children.parquet").exists()  # --out keeps the replication's tables


def test_the_batch_command_runs_a_replication_through_the_projects_indicators(tmp_path) -> None:
    """benchmarks/batch_command.py does what `run` does for one replication with the batch design in place of the
    present model: its tables are the project's, read by the project's own indicators, which give every case type's
    headline; its last line is one JSON object whose parts add up to no more than the process's CPU time."""
    figures = json.loads(benchmark_lines("batch_command", str(SMALL), "--out", str(tmp_path))[-1])
    assert figures["cases"] > 500 and figures["indicator_rows"] > 100
    assert set(figures["parts"]) == {"imports", "scenario", "model and tables", "indicators"}
    assert sum(figures["parts"].values()) <= figures["cpu_s"] + 0.01
    assert figures["us_per_case"] == pytest.approx(1e6 * figures["cpu_s"] / figures["cases"], rel=0.01)
    rows = pq.read_table(tmp_path / "indicators.parquet").to_pandas()
    headline = rows[(rows["indicator"] == "time_to_disposal_weeks_mean") & (rows["breakdown"] == "case_type")]
    assert set(headline["group"]) == {"public_law", "private_law", "domestic_abuse"}
    assert headline["value"].between(0.1, 200).all()
    from sim.outputs.ocel import build, sample_children  # the journey log is built from the same two tables

    children = pq.read_table(tmp_path / "children.parquet").to_pandas()
    log = build(sample_children(children, 60), pq.read_table(tmp_path / "stages.parquet").to_pandas())
    followed = {o["id"] for o in log["objects"] if o["id"].startswith("child-")}
    cases = {o["id"] for o in log["objects"] if o["id"].startswith("case-")}
    assert len(followed) >= 60 and len(log["events"]) > 5 * len(cases)  # a case's issue, stages and order


FURTHER_CMH = "public_law.further_case_management.count_shares"


def tape_overflow(path: Path) -> dict:
    """benchmarks/tape_overflow.py on a scenario file: its last line, a JSON object."""
    script = ROOT / "benchmarks" / "tape_overflow.py"
    done = subprocess.run([sys.executable, str(script), str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_tape_overflow_counts_a_count_drawn_past_its_places(tmp_path, small_data) -> None:
    """A drawn count asks one chance per number tried but its last; the tape holds three. The small scenario's further
    case management count has four numbers, so it fits; the baseline's has five, and a case that reaches its fourth
    chance draws it past the places, from a generator seeded for it (one per case: it asks that chance once)."""
    past_data = copy.deepcopy(small_data)
    past_data["public_law"]["further_case_management"]["count_shares"] = {0: 0.05, 1: 0.2, 2: 0.3, 3: 0.3, 4: 0.15}
    fits, past = tmp_path / "fits.yaml", tmp_path / "past.yaml"
    fits.write_text(yaml.safe_dump(small_data), encoding="utf-8")
    past.write_text(yaml.safe_dump(past_data), encoding="utf-8")
    fitting, overflowing = tape_overflow(fits), tape_overflow(past)
    assert FURTHER_CMH not in fitting["past_places"]
    assert overflowing["past_places"][FURTHER_CMH] > 0
    assert overflowing["generators"][FURTHER_CMH] == overflowing["past_places"][FURTHER_CMH]
    assert set(fitting["past_places"]) >= set(fitting["generators"])  # a generator is seeded only for draws past


@pytest.mark.slow
def test_the_batch_design_on_every_pathway_walks_the_pathways_routes_and_gives_the_models_results() -> None:
    """benchmarks/batch_model.py (docs/performance.md): the day-by-day batch design on the national mix. Every case
    it replays with ``sim/model/pathways`` (a random sample, and every case drawing past its tape's places) has the
    route the batch built, step for step and duration for duration; no row is left behind; the child and stage
    tables it writes from its columns have the present model's rows; and each case type's headline figures are the
    present model's on the same scenario and seed, so a prototype that got faster by dropping work would fail."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "batch_model.py"), "--run-years", "0.5", "--warm-up-years", "0.5"]
        + ["--check-routes", "1500", "--records"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    batch, present = (next(d for d in figures["designs"] if d["design"] == name) for name in ("batch", "present"))
    routes = batch["routes_checked"]
    assert routes["differing"] == {} and routes["checked"] > 2_000 and routes["past_places"] > 100
    assert min(routes["by_case_type"].values()) > 100 and routes["pathfinder"] > 20  # Wales on Pathfinder too
    assert batch["rows_left_behind"] == 0
    for table in ("children", "stages", "timeline"):  # the tables written from the columns: the present model's rows
        mine, theirs = batch["records"][table], present["records"][table]
        assert mine["rows"] == pytest.approx(theirs["rows"], rel=0.01), table
        for column, mean in theirs["means"].items():  # the account of days, notice and the court's moves
            assert mine["means"][column] == pytest.approx(mean, rel=0.1 if column == "displaced" else 0.03), column
    assert batch["cases"] == pytest.approx(present["cases"], rel=0.005)
    for case_type, mine in batch["by_case_type"].items():
        theirs = present["by_case_type"][case_type]
        assert mine["disposed"] == pytest.approx(theirs["disposed"], rel=0.03), case_type
        assert mine["open_at_end"] == pytest.approx(theirs["open_at_end"], rel=0.05), case_type
        for figure in ("mean_weeks", "mean_weeks_to_first_disposal", "hearings_per_case"):
            assert mine[figure] == pytest.approx(theirs[figure], rel=0.04), (case_type, figure)
        assert mine["withdrawn_share"] == pytest.approx(theirs["withdrawn_share"], abs=0.01), case_type
    assert figures["ratio_batch_to_present"] > 0
