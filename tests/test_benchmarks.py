"""The national benchmark runs and ends with its figures as one line of JSON (issue 14, item 5).

The lead measures on an idle machine with ``python benchmarks/bench_national.py``; a stale import or a changed
last line would only show up then. Here it runs on the small test scenario (about a second) and its last line is
read as a program reading the benchmark would read it.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import ROOT, SMALL
from pydantic import TypeAdapter

from sim.model.inverses import inverse_cdf
from sim.scenario.distributions import Distribution

KEYS = {"cases", "events", "cpu_s", "wall_s", "cases_per_cpu_second", "model_us_per_case", "peak_rss_mb", "model_build"}


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
def test_bench_national_ends_with_its_figures_as_json(tmp_path) -> None:
    lines = benchmark_lines("bench_national", str(SMALL), "--out", str(tmp_path))
    figures = json.loads(lines[-1])
    assert set(figures) == KEYS
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


def batch_prototype(tmp_path, *options: str) -> dict:
    """benchmarks/batch_private_law.py on half a year after half a year of warm-up: its last line, a JSON object."""
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "batch_private_law.py"),
            *options,
            *("--run-years", "0.5", "--warm-up-years", "0.5", "--scenario-dir", str(tmp_path)),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_the_batch_prototype_gives_private_law_the_models_results(tmp_path) -> None:
    """benchmarks/batch_private_law.py (docs/performance.md): the day-by-day batch design, on private law, against
    the present model on the same scenario. Its speed is measured by hand; here its results are held to the
    model's, so a prototype that got faster by dropping work would fail."""
    figures = batch_prototype(tmp_path)
    batch, present = (next(d for d in figures["designs"] if d["design"] == name) for name in ("batch", "present"))
    assert batch["cases"] == pytest.approx(present["cases"], rel=0.02)
    assert batch["mean_weeks_to_final_order"] == pytest.approx(present["mean_weeks_to_final_order"], rel=0.05)
    assert batch["open_at_year_end"][-1] == pytest.approx(present["open_at_year_end"][-1], rel=0.05)
    assert figures["ratio_batch_to_present"] > 0


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


def test_the_route_check_of_the_batch_design_catches_one_ulp(tmp_path) -> None:
    """The batch design's route check (``check_routes``) compares each replayed route with the row built for it to
    the bit: it finds the rows of a short national run identical, and finds every case whose route has a second step
    with a duration once that duration is moved by one unit in the last place."""
    build_was = os.environ.get("FJSIM_PURE_PYTHON")
    spec = importlib.util.spec_from_file_location("batch_model", ROOT / "benchmarks" / "batch_model.py")
    batch = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(batch)
    # importing the prototypes leaves the environment that later processes inherit as it was: a build chosen here
    # would follow this test's worker into every benchmark it runs next
    assert os.environ.get("FJSIM_PURE_PYTHON") == build_was
    loaded = batch.load_scenario(batch.write_scenario(0.1, 0.1, 20240101, tmp_path))
    model = batch.BatchModel(loaded.scenario, 20240101, recycling=False)
    model.run()
    before = batch.check_routes(model, 300)
    assert before["differing"] == {} and before["checked"] >= 300
    second = model.route[: model.n, 1]
    timed = np.isin(model.ops.a_type[np.maximum(second, 0)], [batch.TEAM_WORK, batch.HEARING]) & (second >= 0)
    model.value[: model.n, 1] = np.nextafter(model.value[: model.n, 1], np.inf)
    after = batch.check_routes(model, 300)
    rows = set(np.random.default_rng(7).choice(model.n, size=300, replace=False).tolist())
    assert sum(after["differing"].values()) >= sum(timed[sorted(rows)]) > 100


def test_the_batch_design_reuses_closed_rows_without_changing_a_figure_or_a_record(tmp_path) -> None:
    """A closed case's row is counted into the figures, its records settled, and reused at the next month's start
    (``BatchModel.recycle``): the columns then hold a row per open case, not per case simulated, and the run gives
    the same figures, the same counts and the same rows of all three tables as a run that keeps every row."""
    batch = _batch_model()
    loaded = batch.load_scenario(batch.write_scenario(0.5, 0.5, 20240101, tmp_path))
    runs = {}
    for recycling in (False, True):
        folder = tmp_path / f"recycling_{recycling}"
        model = batch.BatchModel(loaded.scenario, 20240101, folder, recycling=recycling)
        model.run()
        tables = {
            name: pq.read_table(folder / f"{name}.parquet").to_pandas().pipe(lambda t: t.sort_values(list(t.columns)))
            for name in ("children", "stages", "timeline")
        }
        runs[recycling] = (model, tables)
    (kept, kept_tables), (reused, reused_tables) = runs[False], runs[True]
    assert kept.n >= kept.cases  # a row for every case created
    assert reused.n < kept.n / 2  # rows for the open cases and the month ahead, not for every case
    assert reused.headline() == kept.headline() and reused.stats == kept.stats
    assert reused.displaced_found() == kept.displaced_found() > 0 and reused.left_behind() == 0
    for name, table in kept_tables.items():
        assert len(table) > 1_000
        assert table.reset_index(drop=True).equals(reused_tables[name].reset_index(drop=True)), name


@pytest.mark.slow
def test_the_batch_design_follows_dated_policies_as_the_model_does(tmp_path) -> None:
    """``scenarios/capacity_shock.yaml``: a fifth of the court's hours lost for a year, then restored. The batch design
    applies each policy on its day (the court's hours, the teams, what it reads when it happens), so the year's
    backlog is built in it as in the present model, and is not there without the policies."""
    batch = _batch_model()
    shock, plain = (
        batch.load_scenario(batch.write_scenario(1.5, 0.5, 20240101, tmp_path, ROOT / "scenarios" / f"{name}.yaml"))
        for name in ("capacity_shock", "baseline")
    )
    assert [day for day, _ in shock.periods][1:] == [183.0, 549.0]  # 2024-01-01 and 2025-01-01, half a year in
    with_shock, without, present = (
        batch.run_batch(shock, 1)["by_case_type"],
        batch.run_batch(plain, 1)["by_case_type"],
        batch.run_present(shock, 1)["by_case_type"],
    )
    for case_type in ("public_law", "private_law"):
        assert with_shock[case_type]["open_at_end"] > 1.05 * without[case_type]["open_at_end"], case_type
        for figure in ("open_at_end", "mean_weeks", "disposed"):
            assert with_shock[case_type][figure] == pytest.approx(present[case_type][figure], rel=0.04), figure


OPEN_CASELOAD = {
    "public_law": {
        "by_stage": {"case_management_hearing": 200, "issues_resolution_hearing": 200, "final_hearing": 150},
        "age_days": {"dist": "uniform", "low": 10, "high": 400},
        "next_hearing_days": {"dist": "uniform", "low": 1, "high": 60},
        "by_region": {"london": {"assessment": {"count": 150, "age_days": 120}}},
    },
    "private_law": {
        "by_stage": {"safeguarding_checks": 300, "first_hearing": 600, "section7_report": 800},
        "age_days": {"dist": "uniform", "low": 10, "high": 300},
        "by_region": {"wales": {"dispute_resolution_hearing": {"count": 100, "age_days": 200, "next_hearing_days": 9}}},
    },
    "domestic_abuse": {"by_stage": {"return_hearing": 150}, "age_days": 14},
}
"""A declared open caseload at every entry stage of every pathway, by stage and by region, booked or not."""


@pytest.mark.slow
def test_the_batch_design_starts_from_a_declared_open_caseload_on_the_pathways_routes(tmp_path) -> None:
    """The starting state's open cases begin their routes at their stages, as ``sim/model/pathways`` begin them:
    every one replayed with the pathway modules has the route the batch design built (a case declared at its
    section 7 report did not settle at its FHDRA), and a quarter-year from them gives the present model's figures."""
    batch = _batch_model()
    scenario = {
        "extends": str(ROOT / "scenarios" / "baseline.yaml"),
        "name": "open_start",
        "description": "The baseline from a declared open caseload.",
        "run_years": 0.25,
        "starting_state": {"warm_up_days": 0, "open_cases": OPEN_CASELOAD},
    }
    (tmp_path / "open_start.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False))
    loaded = batch.load_scenario(tmp_path / "open_start.yaml")
    routes = batch.run_batch(loaded, 1, check=300)["routes_checked"]
    assert routes["open_at_start"] == 2650 and routes["checked"] > 2650 and routes["differing"] == {}
    mine, theirs = batch.run_batch(loaded, 1, records=True), batch.run_present(loaded, 1)
    assert mine["rows_left_behind"] == 0 and mine["cases"] == pytest.approx(theirs["cases"], rel=0.001)
    for case_type, figures in mine["by_case_type"].items():
        for figure in ("disposed", "open_at_end"):
            assert figures[figure] == pytest.approx(theirs["by_case_type"][case_type][figure], rel=0.03), figure
    assert mine["records"]["children"]["rows"] == pytest.approx(theirs["records"]["children"]["rows"], rel=0.01)


def test_a_policy_the_batch_design_cannot_follow_is_refused_by_its_keys(tmp_path) -> None:
    """A policy that changes what the batch design fixes when a case is created (a share decided along its route)
    would need open cases' routes rebuilt, which is not prototyped: the run stops and names the key, rather than
    applying the policy to new cases only. A capacity policy is followed."""
    batch = _batch_model()
    base = batch.load_scenario(batch.write_scenario(0.1, 0.1, 20240101, tmp_path)).scenario
    fewer_reports = base.private_law.section7.model_copy(update={"share": 0.5})
    section7 = base.model_copy(update={"private_law": base.private_law.model_copy(update={"section7": fewer_reports})})
    fixed, at_creation = batch.policy_changes(base, section7)
    assert fixed == ["private_law.section7.share"] and at_creation == []
    courts = base.courts.model_copy(update={"vacate_probability": 0.5})
    assert batch.policy_changes(base, base.model_copy(update={"courts": courts})) == ([], [])
    model = batch.BatchModel(base, 1, periods=[(0.0, base), (20.0, section7)])
    with pytest.raises(NotImplementedError, match=r"day 20 changes private_law\.section7\.share"):
        model.run()


def _team_stages(design: str, data: dict, seed: int, folder: Path, stages: tuple[str, ...]) -> dict:
    """Each named stage's requested, started and ended times by case, from a run of one design of ``data``."""
    from sim.model.replication import Replication
    from sim.scenario.loading import scenario_from_dict

    loaded = scenario_from_dict(data)
    if design == "batch":
        _batch_model().BatchModel(loaded.scenario, seed, folder).run()
    else:
        Replication(loaded, 0, folder, seed=seed).run()
    table = pq.read_table(folder / "stages.parquet", columns=["case_id", "stage", "requested", "started", "ended"])
    rows = table.to_pandas()
    rows["stage"] = rows["stage"].astype(str)
    return {s: rows[rows["stage"] == s].set_index("case_id").drop(columns="stage").sort_index() for s in stages}


@pytest.mark.parametrize("rho", [0.5, 0.9])
def test_the_batch_designs_caseload_team_is_the_models_m_m_c_queue_case_for_case(rho, tmp_path) -> None:
    """The M/M/c verification scenario (tests/test_verification.py: a Cafcass team writing Child Impact Reports of a
    day on average): the batch design's team, which takes a day's freed slots, requests and finished work in time
    order, starts and finishes every report at the present model's hour, case for case; so the present model's
    check against Erlang C holds for it too. (Its day-granular team held each slot up to a day too long: a mean
    wait 11 times Erlang C's.)"""
    from test_verification import mmc_data

    data = mmc_data(rho, 8, 3)
    batch, present = (
        _team_stages(design, data, 3, tmp_path / design, ("child_impact_report",)) for design in ("batch", "present")
    )
    mine, theirs = batch["child_impact_report"], present["child_impact_report"]
    assert len(mine) == len(theirs) > 1_000 * rho * 3
    waited = (theirs["started"] > theirs["requested"]).mean()
    assert waited > 0.05  # a queue, not idle servers (Erlang C: 6% of reports wait at rho 0.5, 70% at 0.9)
    assert mine.equals(theirs)


def test_the_batch_designs_tandem_queues_are_the_models_up_to_simultaneous_requests(tmp_path) -> None:
    """The tandem verification scenario (a local authority team, a hearing, then experts): the first queue is the
    present model's case for case; after the hearing, cases ask the experts at the same instant (the start of the
    next day), which the two designs take in different orders, so there only the requests are the same and the
    mean wait within a few percent."""
    from test_verification import TANDEM, scenario_dict

    data = scenario_dict(TANDEM)
    data["run_years"] = 3
    stages = ("pre_proceedings", "expert_assessment")
    batch, present = (_team_stages(design, data, 1, tmp_path / design, stages) for design in ("batch", "present"))
    assert batch["pre_proceedings"].equals(present["pre_proceedings"]) and len(batch["pre_proceedings"]) > 500
    mine, theirs = (b["expert_assessment"].dropna() for b in (batch, present))
    shared = mine.index.intersection(theirs.index)
    assert len(shared) > 500 and mine.loc[shared, "requested"].equals(theirs.loc[shared, "requested"])
    waits = [((t["started"] - t["requested"]).dt.total_seconds() / 86_400).mean() for t in (mine, theirs)]
    assert waits[0] == pytest.approx(waits[1], rel=0.05)


@functools.cache
def _benchmark(name: str):
    """``benchmarks/NAME.py`` as a module (the benchmarks folder is not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _batch_model():
    return _benchmark("batch_model")


def _batch_prototype():
    return _benchmark("batch_private_law")


@pytest.mark.parametrize(
    "dist",
    [
        7.5,
        {"dist": "exponential", "mean": 540},
        {"dist": "lognormal", "median": 21, "sigma": 0.3},
        {"dist": "lognormal", "mean": 40, "sd": 90},
        {"dist": "gamma", "mean": 3.6087, "sd": 2.0605},
        {"dist": "gamma", "mean": 1000, "sd": 30000},  # a far tail past the cut at MAX_DRAW
        {"dist": "gamma", "shape": 0.5, "scale": 2},
        {"dist": "weibull", "shape": 1.5, "scale": 30},
        {"dist": "triangular", "low": 0.5168, "mode": 1.0325, "high": 2.0605},
        {"dist": "triangular", "low": 1, "mode": 1, "high": 4},
        {"dist": "triangular", "low": 1, "mode": 4, "high": 4},
        {"dist": "uniform", "low": 90, "high": 1825},
        {"dist": "empirical", "values": [3, 1, 4, 1, 5]},
        {"dist": "empirical", "bin_edges": [0, 1, 5, 10, 16, 18], "weights": [0.05, 0.35, 0, 0.23, 0.02]},
    ],
)
def test_the_batch_prototypes_inverse_distribution_functions_are_the_models_to_the_bit(dist) -> None:
    """The prototype turns a case's uniforms into durations on arrays (``quantiles``); each value must be the one
    the present model's own inverse (``sim.model.inverses``) gives, bit for bit, or a case's durations would differ
    between the designs and between scenarios."""
    dist = TypeAdapter(Distribution).validate_python(dist)
    u = np.concatenate([[0.0, 2.0**-54, 0.5, 1 - 2.0**-53], np.random.default_rng(11).random(5_000)])
    expected = np.array([inverse_cdf(dist).at(x) for x in u.tolist()])
    assert np.array_equal(_batch_prototype().quantiles(dist, u), expected)


@pytest.mark.slow
def test_the_batch_prototype_draws_the_models_routes_and_keeps_common_random_numbers(tmp_path) -> None:
    """The prototype reads every case's decisions and durations from the present model's keyed tapes, so for one
    seed each case (by identity: origin, serial, returns to court) draws exactly the present model's route, and a
    smaller court (hours x0.9) changes timings, never what a case draws (docs/performance.md). A return during the
    run exists only if its parent's order came early enough, which is timing: only those in both runs are held to
    be identical."""
    figures = batch_prototype(tmp_path, "--design", "batch", "--check-routes", "--check-crn", "0.9")
    routes, crn = figures["routes_present_vs_batch"], figures["crn"]["cases"]
    for compared in (routes, crn):
        for group in ("first_applications", "returns_from_before_the_run"):
            c = compared[group]  # the same cases, arriving at the same times, drawing the same routes
            assert c["in_first"] == c["in_second"] == c["in_both"] == c["route_identical"] == c["arrival_identical"]
            assert c["share_identical"] == 1.0 and c["fields_differing"] == {}
        assert compared["first_applications"]["in_both"] > 30_000
        assert compared["returns_from_before_the_run"]["in_both"] > 3_000
        during = compared["returns_during_the_run"]
        assert during["route_identical"] == during["in_both"] > 0.8 * min(during["in_first"], during["in_second"])
    replay = figures["present_run_vs_its_replay"]  # the replay of the present model's routes is what the run drew
    assert replay["cases"] == replay["run_drew_no_more"] == sum(c["in_first"] for c in routes.values())
    assert replay["order_draws_as_replayed"] == replay["reached_an_order"] > 10_000
    first = crn["first_applications"]  # the smaller court did change the timings
    assert first["ended_at_the_same_time"] < 0.5 * first["ended_in_both"]
    weeks = figures["crn"]["mean_weeks_to_final_order"]
    assert weeks[1] > weeks[0]
