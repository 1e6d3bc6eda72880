"""The run store (issue 13): commands register their folders, and ``runs`` lists, shows, queries, adds and forgets.

A small study is made once (a run, a comparison of two options and a sweep of the small scenario, one or two
replications each) into a store of its own, named by ``--runs-db``; tests that change a store copy a folder or
use the store the test has from ``FJSIM_RUNS_DB`` (tests/conftest.py), never ``results/runs.duckdb``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from sim.cli.main import main
from sim.experiment.run_store import RunStore

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
TRACEBACK = "Traceback (most recent call last)"
STORE_AT_IMPORT = os.environ.get("FJSIM_RUNS_DB")
"""What a test module that copies os.environ for its subprocesses at import (test_interruptions.py) passes on."""
CAFCASS_QUERY = """
    SELECT r.run_id, r.kind, c.scenario, count(DISTINCT c.key) AS keys_changed, i.mean, i.ci95_low, i.ci95_high
    FROM changes c JOIN runs r USING (run_id) JOIN indicators i USING (run_id, scenario)
    WHERE c.key LIKE '%cafcass%advisers%' AND i.indicator = 'disposed_within_26_weeks_share'
      AND i.breakdown = 'case_type' AND i.group_name = 'public_law'
    GROUP BY ALL ORDER BY r.run_id, c.scenario
"""
"""The issue's example: every run of any option that changed Cafcass advisers, with its 26-week share."""

MORE_CAFCASS = """\
extends: small.yaml
name: more_cafcass
description: Half as many again long-term Cafcass advisers in every region, from the start.
policies:
  - name: more guardians
    date: 2024-01-01
    scale: {regions.*.cafcass.long_term_advisers: 1.5}
"""
MORE_JUDGES = """\
extends: small.yaml
name: more_judges
description: More circuit judge hours in Wales (nothing about Cafcass).
regions:
  wales:
    court: {sitting_hours_per_day: {circuit_judge: 3.0}}
"""


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert TRACEBACK not in out + err
    return code, out, err


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A run, a comparison (more Cafcass advisers, more judges) and a sweep of Welsh advisers, each registered."""
    root = tmp_path_factory.mktemp("study")
    scenarios = root / "scenarios"
    scenarios.mkdir()
    shutil.copy(SMALL, scenarios / "small.yaml")
    (scenarios / "more_cafcass.yaml").write_text(MORE_CAFCASS, encoding="utf-8")
    (scenarios / "more_judges.yaml").write_text(MORE_JUDGES, encoding="utf-8")
    store = root / "store.duckdb"
    quick = ["--workers", "1", "--runs-db", str(store)]
    folders = {"run": root / "run", "compare": root / "compare", "sweep": root / "sweep"}
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("FJSIM_RUNS_DB", raising=False)
        assert main(["run", str(scenarios / "small.yaml"), "--replications", "1", "--no-report"] + quick
                     + ["--out", str(folders["run"])]) == 0  # fmt: skip
        compared = [str(scenarios / n) for n in ("small.yaml", "more_cafcass.yaml", "more_judges.yaml")]
        assert main(["compare", *compared, "--replications", "2", "--no-report", "--out", str(folders["compare"])]
                    + quick) == 0  # fmt: skip
        assert main(["sweep", str(scenarios / "small.yaml"), "--set", "regions.wales.cafcass.long_term_advisers=4,6"]
                    + ["--replications", "1", "--out", str(folders["sweep"])] + quick) == 0  # fmt: skip
    return {"root": root, "store": store, **folders}


def figure(folder: Path, indicator: str, breakdown: str, group: str) -> pd.Series:
    summary = pd.read_csv(folder / "summary.csv", keep_default_na=False, na_values=[""])
    row = summary[(summary.indicator == indicator) & (summary.breakdown == breakdown) & (summary.group == group)]
    return row.iloc[0]


# ---------------------------------------------------------------------------------------------- registration
def test_run_compare_and_sweep_register_themselves_when_they_finish(study, capsys) -> None:
    runs = RunStore(study["store"]).list_runs().set_index("kind")
    assert sorted(runs.index) == ["compare", "run", "sweep"]
    assert {Path(f) for f in runs["folder"]} == {study["run"], study["compare"], study["sweep"]}
    assert not runs["missing"].any()
    assert runs.loc["compare", "scenarios"] == "small vs more_cafcass, more_judges"
    # the figures list shows are the base's summary.csv, interval and all
    base = figure(study["compare"] / "scenarios" / "small", "time_to_disposal_weeks_mean", "case_type", "public_law")
    assert runs.loc["compare", "public law weeks"] == pytest.approx(base["mean"])
    assert runs.loc["compare", "public law weeks ci95_low"] == pytest.approx(base["ci95_low"])
    code, out, _ = cli(capsys, "runs", "list", "--runs-db", study["store"])
    assert code == 0 and "small vs more_cafcass, more_judges" in out and "3 runs in" in out


def test_a_record_holds_the_manifest_scenarios_seeds_and_tables(study) -> None:
    store = RunStore(study["store"])
    run_id = int(store.query("SELECT run_id FROM runs WHERE kind = 'compare'")[0].iloc[0, 0])
    shown = store.show(run_id)
    manifest = pd.read_json(study["compare"] / "scenarios" / "more_cafcass" / "manifest.json", typ="series")
    scenarios = shown["scenarios"].set_index("scenario")
    assert list(scenarios["role"]) == ["base", "option", "option"]
    assert scenarios.loc["more_cafcass", "scenario_sha256"] == manifest["scenario"]["resolved_sha256"]
    assert list(scenarios.loc["more_cafcass", "replications_used"]) == [0, 1]
    assert int(scenarios.loc["more_cafcass", "root_seed"]) == manifest["random"]["root_seed"]
    assert '"kind": "comparison"' in shown["runs"].loc[0, "manifest"]
    assert "more guardians" in scenarios.loc["more_cafcass", "scenario_files"]  # the file's text, still unchanged
    files = shown["parquet_files"]
    assert set(files["scenario"]) == {"small", "more_cafcass", "more_judges"}
    assert {"children", "stages", "timeline"} <= set(files["table_name"])
    assert all(Path(p).is_file() for p in files["path"])
    summary_rows = len(pd.read_csv(study["compare"] / "scenarios" / "small" / "summary.csv"))
    assert (shown["indicators"]["scenario"] == "small").sum() == summary_rows
    compare_rows = len(pd.read_csv(study["compare"] / "compare.csv"))
    assert len(shown["differences"]) == compare_rows


def test_each_option_records_the_keys_it_changed_against_its_base(study) -> None:
    store = RunStore(study["store"])
    changes, _ = store.query("SELECT r.kind, c.* FROM changes c JOIN runs r USING (run_id) ORDER BY r.kind, scenario")
    compared = changes[changes.kind == "compare"].set_index("scenario")
    assert compared.loc["more_cafcass", "key"] == "regions.*.cafcass.long_term_advisers"
    assert (compared.loc["more_cafcass", "how"], compared.loc["more_cafcass", "value"]) == ("scale", "1.5")
    assert compared.loc["more_cafcass", "policy"] == "more guardians"
    assert compared.loc["more_judges", "key"] == "regions.wales.court.sitting_hours_per_day.circuit_judge"
    assert compared.loc["more_judges", "how"] == "value"
    assert "small" not in compared.index  # the base changes nothing against itself
    swept = changes[changes.kind == "sweep"]
    assert list(swept["scenario"]) == ["setting-001"]  # setting-000 holds the base's value, 4
    assert list(swept["key"]) == ["regions.wales.cafcass.long_term_advisers"]
    assert float(swept["value"].iloc[0]) == 6


def test_the_cafcass_query_finds_every_option_that_changed_advisers_with_its_26_week_share(study, capsys) -> None:
    rows, notes = RunStore(study["store"]).query(CAFCASS_QUERY)
    assert list(zip(rows.kind, rows.scenario, strict=True)) == [("compare", "more_cafcass"), ("sweep", "setting-001")]
    assert list(rows.keys_changed) == [1, 1]
    assert notes == []
    for folder, row in zip(
        [study["compare"] / "scenarios" / "more_cafcass", study["sweep"] / "settings" / "setting-001"],
        rows.itertuples(),
        strict=True,
    ):
        expected = figure(folder, "disposed_within_26_weeks_share", "case_type", "public_law")
        assert row.mean == pytest.approx(expected["mean"])
        assert row.ci95_low == pytest.approx(expected["ci95_low"], nan_ok=True)
    code, out, _ = cli(capsys, "runs", "query", CAFCASS_QUERY, "--runs-db", study["store"])
    assert code == 0 and "more_cafcass" in out and "setting-001" in out and "more_judges" not in out


def test_query_writes_csv(study, tmp_path, capsys) -> None:
    target = tmp_path / "cafcass.csv"
    code, out, _ = cli(capsys, "runs", "query", CAFCASS_QUERY, "--csv", target, "--runs-db", study["store"])
    assert code == 0 and "2 rows written" in out
    assert list(pd.read_csv(target)["scenario"]) == ["more_cafcass", "setting-001"]


# ---------------------------------------------------------------------------------------------- a deleted folder
def test_a_deleted_folder_is_marked_missing_and_its_figures_stay_queryable(study, tmp_path, capsys) -> None:
    store = tmp_path / "runs.duckdb"
    copy = tmp_path / "copied-run"
    shutil.copytree(study["run"], copy)
    assert cli(capsys, "runs", "add", copy, "--runs-db", store)[0] == 0
    shutil.rmtree(copy)
    code, out, _ = cli(capsys, "runs", "list", "--runs-db", store)
    assert code == 0 and "MISSING" in out and "deleted since registered" in out
    code, out, _ = cli(capsys, "runs", "show", "1", "--runs-db", store)
    assert code == 0 and "MISSING" in out and "Parquet paths dangle" in out
    sql = "SELECT i.mean, p.path, path_exists(p.path) AS present FROM indicators i JOIN parquet_files p USING (run_id)"
    code, out, err = cli(capsys, "runs", "query", sql + " LIMIT 3", "--runs-db", store)
    assert code == 0 and ".parquet" in out and f"lie in {copy}, which no longer exists" in err
    result, notes = RunStore(store).query(sql)
    assert result["mean"].notna().any() and not result["present"].any() and notes


# ---------------------------------------------------------------------------------------------- bad input
def test_query_is_read_only(study, capsys) -> None:
    for sql in ("DELETE FROM runs", "COPY runs TO 'out.csv'", "DROP TABLE runs", "ATTACH 'other.duckdb'"):
        code, _, err = cli(capsys, "runs", "query", sql, "--runs-db", study["store"])
        assert code == 2 and "refused" in err, sql
    assert len(RunStore(study["store"]).list_runs()) == 3
    assert not Path("out.csv").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["runs", "show", "99"], "no run 99"),
        (["runs", "forget", "99"], "no run 99"),
        (["runs", "query", "SELEC 1"], "not valid SQL: Parser Error"),
        (["runs", "query", "SELECT * FROM nowhere"], "Table with name nowhere does not exist"),
        (["runs", "query", "SELECT 1; SELECT 2"], "one SELECT statement, got 2"),
        (["runs", "show", "one"], "expected a whole number, got 'one'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(study, capsys, argv: list[str], message: str) -> None:
    code, _, err = cli(capsys, *argv, "--runs-db", study["store"])
    assert code == 2 and message in err


def test_a_file_that_is_not_a_run_store_is_named_and_a_run_still_succeeds(tmp_path, capsys) -> None:
    text = tmp_path / "notes.duckdb"
    text.write_text("not a database\n" * 50, encoding="utf-8")
    code, _, err = cli(capsys, "runs", "list", "--runs-db", text)
    assert code == 2 and "not a valid DuckDB database file" in err and str(text) in err
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE cases (n INTEGER)")
    code, _, err = cli(capsys, "runs", "list", "--runs-db", other)
    assert code == 2 and "not a run store" in err
    out = tmp_path / "run"
    code, _, err = cli(capsys, "run", SMALL, "--replications", "1", "--workers", "1", "--no-report", "--out", out,
                       "--runs-db", text)  # fmt: skip
    assert code == 0 and (out / "summary.csv").is_file()  # the run is not lost over its record
    assert "were not registered" in err and f"runs add {out}" in err


def test_forget_drops_the_record_and_keeps_the_files(study, tmp_path, capsys) -> None:
    store = tmp_path / "runs.duckdb"
    assert cli(capsys, "runs", "add", study["run"], "--runs-db", store)[0] == 0
    code, out, _ = cli(capsys, "runs", "forget", "1", "--runs-db", store)
    assert code == 0 and "left as it was" in out
    assert RunStore(store).list_runs().empty and (study["run"] / "summary.csv").is_file()
    for table in ("scenarios", "indicators", "parquet_files"):
        assert RunStore(store).query(f"SELECT count(*) AS n FROM {table}")[0]["n"].iloc[0] == 0


def test_a_folder_without_figures_or_tables_is_shown_too(study, tmp_path, capsys) -> None:
    copy = tmp_path / "bare"  # as calibrate model leaves its folder: a manifest, no summary.csv, no Parquet
    copy.mkdir()
    shutil.copy(study["run"] / "manifest.json", copy / "manifest.json")
    store = tmp_path / "runs.duckdb"
    assert cli(capsys, "runs", "add", copy, "--runs-db", store)[0] == 0
    code, out, _ = cli(capsys, "runs", "show", "1", "--runs-db", store)
    assert code == 0 and "headline indicators (0 stored in all)" in out and "0 files (none)" in out


def test_adding_a_folder_again_replaces_its_record_under_the_same_id(study, tmp_path, capsys) -> None:
    store = tmp_path / "runs.duckdb"
    assert cli(capsys, "runs", "add", study["compare"], "--runs-db", store)[0] == 0
    rows = RunStore(store).query("SELECT count(*) AS n FROM indicators")[0]["n"].iloc[0]
    code, out, _ = cli(capsys, "runs", "add", study["compare"], "--runs-db", store)
    assert code == 0 and "updated run 1" in out
    assert RunStore(store).query("SELECT count(*) AS n FROM indicators")[0]["n"].iloc[0] == rows
    assert list(RunStore(store).list_runs()["kind"]) == ["compare"]


# ---------------------------------------------------------------------------------------------- which store
def test_fjsim_runs_db_names_the_store_and_runs_db_overrides_it(study, run_store, tmp_path, capsys) -> None:
    assert cli(capsys, "runs", "add", study["run"])[0] == 0  # FJSIM_RUNS_DB, set for every test by conftest.py
    assert len(RunStore(run_store).list_runs()) == 1
    given = tmp_path / "given.duckdb"
    assert cli(capsys, "runs", "add", study["sweep"], "--runs-db", given)[0] == 0
    assert list(RunStore(given).list_runs()["kind"]) == ["sweep"] and len(RunStore(run_store).list_runs()) == 1


def test_no_test_registers_in_the_checkouts_results_folder() -> None:
    assert STORE_AT_IMPORT is not None and not Path(STORE_AT_IMPORT).is_relative_to(ROOT)


def test_without_either_the_store_is_results_runs_duckdb_here(study, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("FJSIM_RUNS_DB")
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "runs", "add", study["run"])[0] == 0
    assert len(RunStore(tmp_path / "results" / "runs.duckdb").list_runs()) == 1


# ---------------------------------------------------------------------------------------------- two processes
REGISTER = textwrap.dedent(
    """
    import sys
    from sim.experiment.run_store import RunStore
    store = RunStore(sys.argv[1])
    for _ in range(3):
        for folder in sys.argv[2:]:
            store.register(folder)
    """
)


def test_two_processes_registering_at_once_leave_every_record_whole(study, tmp_path) -> None:
    store = tmp_path / "runs.duckdb"
    copies = []
    for i in range(6):
        copies.append(tmp_path / f"run-{i}")
        shutil.copytree(study["run"], copies[-1])
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    workers = [
        subprocess.Popen([sys.executable, "-c", REGISTER, str(store), *map(str, part)], env=env, stderr=subprocess.PIPE)
        for part in (copies[:3], copies[3:])
    ]
    for worker in workers:
        assert worker.wait(timeout=120) == 0, worker.stderr.read().decode()
    runs = RunStore(store).list_runs()
    assert sorted(runs["folder"]) == sorted(map(str, copies)) and runs["run_id"].is_unique
    per_run, _ = RunStore(store).query("SELECT run_id, count(*) AS n FROM indicators GROUP BY run_id")
    assert len(per_run) == 6 and per_run["n"].nunique() == 1  # re-registering replaced rows, never doubled them


def test_a_registration_waits_while_another_process_holds_the_store(study, tmp_path) -> None:
    store = tmp_path / "runs.duckdb"
    RunStore(store).register(study["run"])
    holder = duckdb.connect(str(store))  # this process holds the file: DuckDB lets no other process open it
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    worker = subprocess.Popen([sys.executable, "-c", REGISTER, str(store), str(study["sweep"])], env=env)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            worker.wait(timeout=3)  # still waiting for the lock
    finally:
        holder.close()
    assert worker.wait(timeout=60) == 0
    assert sorted(RunStore(store).list_runs()["kind"]) == ["run", "sweep"]
