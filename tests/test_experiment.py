"""Replications, executors, the summary, the manifest and resuming an interrupted run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.analysis.indicators import indicators
from sim.analysis.periods import run_period
from sim.analysis.statistics import SUMMARY_COLUMNS
from sim.experiment.executors import LocalExecutor
from sim.experiment.manifest import scenario_hash
from sim.experiment.replications import finished_replications, run_experiment
from sim.experiment.results_folder import prepare_directory, replication_dir
from sim.experiment.run_tables import connect, read_table, replication_frames, replications_in
from sim.model.random_streams import STREAM_SCHEME
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
TABLES = ("children", "stages", "timeline")


@pytest.fixture(scope="module")
def small():
    return load_scenario(SMALL)


def run(loaded, out: Path, replications: int = 3, workers: int = 1, **kwargs):
    prepare_directory(out, force=False)
    executor = LocalExecutor(workers)
    try:
        return run_experiment(loaded, out, replications=replications, executor=executor, **kwargs)
    finally:
        executor.close()


def assert_same_tables(a: Path, b: Path) -> None:
    for name in TABLES:
        left, right = read_table(a, name), read_table(b, name)
        pd.testing.assert_frame_equal(left, right, check_exact=True, obj=name)
    assert (a / "summary.csv").read_bytes() == (b / "summary.csv").read_bytes()


@pytest.fixture(scope="module")
def serial_run(small, tmp_path_factory):
    return run(small, tmp_path_factory.mktemp("serial") / "out")


def test_one_and_two_workers_give_identical_results(small, serial_run, tmp_path) -> None:
    parallel = run(small, tmp_path / "out", workers=2)
    assert parallel.manifest["run_options"]["executor"] == "processes(2)"
    assert_same_tables(serial_run.out, parallel.out)


def test_summary_has_a_confidence_interval_from_three_replications(serial_run) -> None:
    summary = pd.read_csv(serial_run.out / "summary.csv")
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert not summary.duplicated(["indicator", "breakdown", "group"]).any()
    head = summary[(summary.indicator == "time_to_disposal_weeks_mean") & (summary.breakdown == "all")].iloc[0]
    assert head["replications"] == 3
    assert head["ci95_low"] < head["mean"] < head["ci95_high"]
    per_rep = pd.read_csv(serial_run.out / "indicators.csv")
    values = per_rep[(per_rep.indicator == "time_to_disposal_weeks_mean") & (per_rep.breakdown == "all")]["value"]
    assert head["mean"] == pytest.approx(values.mean())
    assert head["sd"] == pytest.approx(values.std(ddof=1))


def test_summary_has_the_child_centred_indicators_with_confidence_intervals(serial_run) -> None:
    summary = pd.read_csv(serial_run.out / "summary.csv").set_index(["indicator", "breakdown", "group"])
    for key in [
        ("time_to_disposal_weeks_mean", "age_band", "under_1"),
        ("days_to_first_hearing_median", "case_type", "private_law"),
        ("public_law_cases_within_26_weeks_share", "all", "all"),
        ("wait_court_share", "all", "all"),
        ("share_of_life_in_proceedings_mean", "age_band", "under_1"),
        ("open_children_daily_mean", "region", "wales"),
    ]:
        row = summary.loc[key]
        assert row["replications"] == 3, key
        assert row["ci95_low"] <= row["mean"] <= row["ci95_high"], key
    # each quantity once: time to disposal in weeks only, the attribution by agency in days only
    indicators_in_summary = set(summary.index.get_level_values("indicator"))
    assert not {"days_to_disposal_mean", "waiting_weeks_mean", "active_weeks_mean"} & indicators_in_summary
    # the mean of the per-replication means, by hand from the run's children table
    children = read_table(serial_run.out, "children")
    disposed = children[
        ~children["warm_up"] & ~children["from_open_caseload"] & (children["status"].astype(str) == "disposed")
    ]
    by_hand = (disposed.groupby("replication")["days_to_disposal"].mean() / 7).mean()
    assert summary.loc[("time_to_disposal_weeks_mean", "all", "all"), "mean"] == pytest.approx(by_hand)


def test_summary_numbers_are_those_worked_out_by_hand_from_the_rows(serial_run) -> None:
    """Each replication's indicators, read replication by replication with only some columns, are exactly what
    the same arithmetic on that replication's rows gives; summary.csv's mean is their mean."""
    out = serial_run.out
    per_rep = pd.read_csv(out / "indicators.csv", keep_default_na=False, na_values=[""])
    per_rep = per_rep.set_index(["replication", "indicator", "breakdown", "group"])["value"]
    summary = pd.read_csv(out / "summary.csv").set_index(["indicator", "breakdown", "group"])
    for r, children in replication_frames(out, "children"):
        disposed = children[
            ~children["warm_up"] & ~children["from_open_caseload"] & (children["status"].astype(str) == "disposed")
        ]
        for case_type, rows in disposed.groupby(disposed["case_type"].astype(str)):
            weeks = rows["days_to_disposal"].to_numpy(dtype=float) / 7.0
            key = (r, "time_to_disposal_weeks_mean", "case_type", case_type)
            assert per_rep[key] == float(np.mean(weeks)), key  # bit for bit, not approximately
            assert per_rep[(r, "disposed_within_26_weeks_share", "case_type", case_type)] == float(np.mean(weeks <= 26))
            assert per_rep[(r, "children_disposed_count", "case_type", case_type)] == len(rows)
    for case_type in ("public_law", "private_law", "domestic_abuse"):
        means = [per_rep[(r, "time_to_disposal_weeks_mean", "case_type", case_type)] for r in range(3)]
        mean = summary.loc[("time_to_disposal_weeks_mean", "case_type", case_type), "mean"]
        assert mean == pytest.approx(float(np.mean(means)), rel=1e-14)


def test_per_replication_child_indicators_match_those_of_the_whole_run(serial_run) -> None:
    """Computed replication by replication in the workers, they equal sim.analysis.indicators on the whole run
    (as the API does)."""
    out = serial_run.out
    children, stages = read_table(out, "children"), read_table(out, "stages")
    manifest = json.loads((out / "manifest.json").read_text())
    timeline = read_table(out, "timeline")
    whole = indicators(children, stages, run_period(manifest), timeline=timeline, by_month=False)
    per_rep = pd.read_csv(out / "indicators.csv", keep_default_na=False, na_values=[""])
    keys = ["replication", "indicator", "breakdown", "group"]
    whole["group"] = whole["group"].astype(str)
    joined = whole.merge(per_rep, on=keys, how="left", suffixes=("_whole", "_rep"), validate="one_to_one")
    assert len(joined) == len(whole)
    both = joined.dropna(subset=["value_whole"])
    assert both["value_rep"].to_numpy() == pytest.approx(both["value_whole"].to_numpy(), rel=1e-12)


def test_each_table_is_stored_once_and_the_runs_table_is_the_replications_in_order(serial_run) -> None:
    out = serial_run.out
    assert not [p.name for p in out.glob("*.parquet")]  # no combined copy at the top of the folder
    for name in TABLES:
        parts = [pq.read_table(replication_dir(out, r) / f"{name}.parquet") for r in range(3)]
        whole = read_table(out, name)
        assert len(whole) == sum(p.num_rows for p in parts)
        assert whole["replication"].tolist() == [r for r, p in enumerate(parts) for _ in range(p.num_rows)]
        with connect(out) as tables:  # the same rows, counted by DuckDB over the replications' files
            counted = tables.frame(f"SELECT replication, count(*) AS n FROM {name} GROUP BY 1 ORDER BY 1")
        assert counted["n"].tolist() == [p.num_rows for p in parts]


def test_a_folder_of_an_older_version_is_read_from_its_combined_tables(serial_run, tmp_path) -> None:
    """Before tables were stored once, a run also wrote DIR/children.parquet and the others: with its replications'
    folders gone, those are read."""
    old = tmp_path / "old"
    old.mkdir()
    for name in TABLES:
        pq.write_table(pq.read_table(replication_dir(serial_run.out, 0) / f"{name}.parquet"), old / f"{name}.parquet")
    assert replications_in(old) == [0]
    pd.testing.assert_frame_equal(read_table(old, "children"), read_table(serial_run.out, "children", 0))
    assert len(read_table(old, "stages", 0)) == len(read_table(serial_run.out, "stages", 0))


def test_manifest_records_what_is_needed_to_reproduce_the_run(small, serial_run) -> None:
    manifest = json.loads((serial_run.out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["scenario"]["name"] == "small"
    assert manifest["scenario"]["path"] == str(SMALL)
    (file,) = manifest["scenario"]["files"]
    assert file["path"] == str(SMALL) and len(file["sha256"]) == 64
    assert manifest["scenario"]["resolved"] == small.scenario.model_dump(mode="json", by_alias=True)
    assert manifest["scenario"]["resolved_sha256"] == scenario_hash(small)
    assert manifest["starting_state"]["starting_state_kind"] == "empty"
    assert manifest["random"] == {"root_seed": 20240101, "stream_scheme": STREAM_SCHEME}
    assert sorted(manifest["replications"]) == ["0000", "0001", "0002"]
    stats = manifest["replications"]["0001"]["run_stats"]
    assert stats["cases_created"] > 0 and "child_rows" in stats
    for package in ("python", "simpy", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "pyyaml"):
        assert manifest["packages"][package]
    assert set(manifest["code"]) == {"commit", "dirty", "model_build"}
    assert manifest["code"]["model_build"].startswith(("compiled (mypyc)", "interpreted"))
    assert {"hostname", "platform", "cpu_count"} <= set(manifest["machine"])
    assert manifest["started"] <= manifest["ended"] and manifest["wall_seconds"] > 0
    assert manifest["command_line"]
    assert manifest["policies"] == []


def test_the_manifest_records_the_commit_a_process_started_with_not_one_made_while_it_ran(tmp_path) -> None:
    """A commit made during an hour-long plan is not the code the plan ran: the state is read once per process."""
    import subprocess

    from sim.experiment.manifest import git_state

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True)

    git("init", "-q")
    (tmp_path / "model.py").write_text("speed = 1\n", encoding="utf-8")
    git("add", "model.py")
    git("commit", "-q", "-m", "the code the run started with")
    started = git_state(tmp_path)
    assert started["commit"] and started["dirty"] is False
    (tmp_path / "model.py").write_text("speed = 2\n", encoding="utf-8")
    git("commit", "-q", "-am", "a change made while it ran")
    assert git_state(tmp_path) == started
    assert git_state(tmp_path / "elsewhere") == {"commit": None, "dirty": None}


def test_manifest_lists_extends_chain_policies_and_warm_up(tmp_path) -> None:
    option = tmp_path / "option.yaml"
    option.write_text(
        f"extends: {SMALL}\nname: option\nstarting_state: {{warm_up_days: 30}}\n"
        "policies:\n  - {name: more_advisers, date: 2024-03-01, set: {regions.wales.cafcass.long_term_advisers: 9}}\n"
    )
    loaded = load_scenario(option)
    assert scenario_hash(loaded) != scenario_hash(load_scenario(SMALL))
    result = run(loaded, tmp_path / "out", replications=1)
    manifest = result.manifest
    assert [f["path"] for f in manifest["scenario"]["files"]] == [str(option), str(SMALL)]
    assert manifest["starting_state"]["starting_state_kind"] == "warm_up"
    assert manifest["starting_state"]["warm_up_days"] == 30
    assert manifest["starting_state"]["keep_warm_up_rows"] is False  # its finished cases counted, not stored
    (policy,) = manifest["policies"]
    assert policy["name"] == "more_advisers" and policy["simulation_day"] == 30 + 60
    assert pd.read_csv(tmp_path / "out" / "summary.csv")["ci95_low"].isna().all()


def test_no_indicator_reads_the_rows_of_cases_closed_in_the_warm_up(tmp_path) -> None:
    """The rows a warm-up run counts instead of storing change no indicator: every value of indicators.csv and
    summary.csv is the same as when they are stored."""
    values = {}
    for keep in (False, True):
        option = tmp_path / f"keep_{keep}.yaml"
        option.write_text(
            f"extends: {SMALL}\nname: option\nrun_years: 0.5\n"
            f"starting_state: {{warm_up_days: 120, keep_warm_up_rows: {str(keep).lower()}}}\n"
        )
        out = tmp_path / f"out_{keep}"
        run(load_scenario(option), out, replications=2)
        values[keep] = (pd.read_csv(out / "indicators.csv"), pd.read_csv(out / "summary.csv"))
    counted, stored = values[False], values[True]
    assert len(counted[0]) > 100
    pd.testing.assert_frame_equal(counted[0], stored[0])
    pd.testing.assert_frame_equal(counted[1], stored[1])


def test_resume_redoes_only_unfinished_replications(small, serial_run, tmp_path) -> None:
    out = tmp_path / "out"
    shutil.copytree(serial_run.out, out)
    (out / "summary.csv").unlink()  # as if interrupted before the end
    shutil.rmtree(replication_dir(out, 2))
    (replication_dir(out, 1) / "stats.json").unlink()  # replication 1 was half-way
    assert sorted(finished_replications(out)) == [0]
    before = (replication_dir(out, 0) / "children.parquet").stat().st_mtime_ns
    result = run_experiment(small, out, replications=3, resume=True)
    assert (replication_dir(out, 0) / "children.parquet").stat().st_mtime_ns == before
    assert sorted(result.replications_used) == [0, 1, 2]
    assert_same_tables(serial_run.out, out)


def test_precision_adds_replications_until_the_half_width_is_small(small, tmp_path) -> None:
    result = run(small, tmp_path / "out", replications=2, precision=20.0, max_replications=8, confirm=1)
    info = result.manifest["precision"]
    assert info["precision_met"] and info["replications_needed"] >= 2
    assert info["replications_used"] == info["replications_needed"] + 1 == len(result.replications_used)
    assert sorted(result.replications_used) == list(range(info["replications_used"]))


@pytest.mark.slow
def test_a_dask_cluster_gives_the_same_results(small, serial_run, tmp_path) -> None:
    distributed = pytest.importorskip("distributed")
    from sim.experiment.executors import DaskExecutor

    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        executor = DaskExecutor(client)
        assert executor.workers == 2
        out = tmp_path / "out"
        prepare_directory(out, force=False)
        result = run_experiment(small, out, replications=3, executor=executor)
    assert result.manifest["run_options"]["executor"].startswith("dask(")
    assert_same_tables(serial_run.out, out)
