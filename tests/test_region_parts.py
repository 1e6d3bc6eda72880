"""A replication's regions run apart give the rows the whole replication gives.

Regions share no capacity and every draw is keyed to its case, so each region can be simulated on its own, on its
own worker, and the replication's tables are its regions' rows together: same children, same stages, same
timeline, same identifiers. This is what lets a run split a replication into parts (`sim.experiment.replications`).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pytest
from conftest import SMALL, run_replication, scenario_data

from sim.experiment import replication_parts
from sim.experiment.executors import LocalExecutor
from sim.experiment.progress import RunProgress
from sim.experiment.replication_parts import run_part
from sim.experiment.replications import run_experiment
from sim.experiment.results_folder import (
    ERROR_MARKER,
    JOIN_LOCK,
    PART_PREFIX,
    REPLICATION_FILES,
    clear_replication,
    part_dir,
    prepare_directory,
    read_parquet,
    replication_dir,
)
from sim.model.replication import Replication
from sim.model.run_stats import ConservationError, RunStats
from sim.scenario.loading import load_scenario, scenario_from_dict
from sim.vocabulary import EVENT_MODEL


def busy_small(start: str) -> dict:
    """small.yaml with what could tie regions together if anything did: returns from before the run, a policy
    part way through, and a warm-up or open cases drawn to regions and declared by region; or, for "route change",
    court hours split from national days sat by each region's demand, which trends, while Wales begins Pathfinder
    part way through and reviews the hours it holds for its old route's cases every week. (Until 2026-12-02 that
    re-split the other region's hours after the day's hearings and at every review, but only when it was simulated
    with Wales: its rows differed.)"""
    data = scenario_data(SMALL)
    data["starting_state"] = {"returns_before_start": True}
    if start == "route change":
        data["starting_state"]["warm_up_days"] = 120
        for region in data["regions"].values():
            del region["court"]["sitting_hours_per_day"]
        data["courts"]["capacity"] = {
            "days_sat_per_year": 600,  # half small.yaml's hours by hand, so bookings on the day feel the split
            "children_work_share": 0.85,
            "hours_per_sitting_day": 5.0,
            "route_change_review_days": 7,
        }
        data["demand"]["private_law"]["trend_per_year"] = 0.3
        data["demand"]["public_law"]["trend_per_year"] = -0.1
        data["regions"]["wales"]["pathfinder_from"] = "2024-03-01"
    elif start == "warm-up":
        data["starting_state"]["warm_up_days"] = 120
    else:
        data["starting_state"]["open_cases"] = {
            "private_law": {"by_stage": {"first_hearing": 6, "section7_report": 4}, "age_days": 60},
            "public_law": {"by_region": {"wales": {"case_management_hearing": {"count": 3, "age_days": 40}}}},
        }
    data["policies"] = [
        {"name": "fewer hours", "date": "2024-06-01", "scale": {"cafcass.short_term_caseload_limit": 0.8}}
    ]
    return data


def sorted_rows(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def run_parts(data: dict, directory: Path) -> list[tuple[RunStats, dict[str, pd.DataFrame]]]:
    loaded = scenario_from_dict(data)
    parts = []
    for region in range(len(loaded.scenario.regions)):
        folder = directory / f"region-{region}"
        folder.mkdir(parents=True)
        stats = Replication(loaded, 0, folder, regions=[region]).run()
        tables = {t: read_parquet(folder / f"{t}.parquet").to_pandas() for t in ("children", "stages", "timeline")}
        parts.append((stats, tables))
    return parts


@pytest.fixture(scope="module", params=["warm-up", "open cases", "route change"])
def whole_and_parts(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    directory = tmp_path_factory.mktemp("parts")
    data = busy_small(request.param)
    whole = run_replication(data, directory / "whole")
    return whole, run_parts(data, directory)


def test_each_region_run_alone_gives_its_rows_of_the_whole_replication(whole_and_parts) -> None:
    whole, parts = whole_and_parts
    assert whole.children.region.nunique() == 2
    keys = {"children": ["child_id", "case_number"], "stages": ["case_id", "requested", "stage", "started"]}
    for name, key in keys.items():
        together = pd.concat([tables[name] for _, tables in parts], ignore_index=True)
        assert len(together) == len(getattr(whole, name)) > 0
        pd.testing.assert_frame_equal(sorted_rows(together, key), sorted_rows(getattr(whole, name), key))
    timeline = pd.concat([tables["timeline"] for _, tables in parts], ignore_index=True)
    key = ["date", "region", "measure"]
    pd.testing.assert_frame_equal(sorted_rows(timeline, key), sorted_rows(whole.timeline, key))


def test_a_part_holds_only_its_region_and_identifiers_never_clash(whole_and_parts) -> None:
    whole, parts = whole_and_parts
    regions = list(whole.children.region.cat.categories)
    for code, (_, tables) in enumerate(parts):
        assert set(tables["children"].region) == {regions[code]}
        assert set(tables["timeline"].region) == {regions[code]}
        assert (tables["children"].child_id % len(regions) == code).all()
    children = pd.concat([tables["children"] for _, tables in parts])
    assert not children.duplicated(["child_id", "case_number"]).any()
    assert children.is_return.any()


def test_the_parts_counts_add_up_to_the_whole_replications(whole_and_parts) -> None:
    whole, parts = whole_and_parts
    counted = [
        "cases_created",
        "cases_disposed",
        "cases_diverted",
        "cases_open_at_end",
        "children_created",
        "cases_closed_in_warm_up",
        "warm_up_stage_rows",
        "returns_started",
        "returns_from_before_start",
        "children_returning_from_before_start",
        "returns_pending_at_end",
    ]
    totals = {name: sum(asdict(stats)[name] for stats, _ in parts) for name in counted}
    assert totals == {name: asdict(whole.stats)[name] for name in counted}
    assert totals["returns_from_before_start"] > 0


# ---------------------------------------------------------------------------------------------- a run in parts
def run_small(out: Path, replications: int, workers: int = 1, **options):
    prepare_directory(out, force=False)
    executor = LocalExecutor(workers)
    try:
        return run_experiment(
            load_scenario(SMALL), out, replications=replications, executor=executor, model=EVENT_MODEL, **options
        )
    finally:
        executor.close()


def test_a_run_keeps_each_replication_whole_its_parts_joined_and_gone(tmp_path: Path) -> None:
    ended = []
    result = run_small(tmp_path / "run", 2, finished=lambda res, done, total: ended.append((res.region, done)))
    assert ended == [(None, 1), (None, 2)]  # one line a replication, never one a part
    folder = replication_dir(tmp_path / "run", 1)
    assert sorted(p.name for p in folder.iterdir()) == sorted(set(REPLICATION_FILES) - {ERROR_MARKER})
    whole = tmp_path / "whole"
    whole.mkdir()
    Replication(load_scenario(SMALL), 1, whole).run()
    for name, key in {"children": ["child_id", "case_number"], "timeline": ["date", "region", "measure"]}.items():
        joined = read_parquet(folder / f"{name}.parquet").to_pandas()
        alone = read_parquet(whole / f"{name}.parquet").to_pandas()
        pd.testing.assert_frame_equal(sorted_rows(joined, key), sorted_rows(alone, key))
    stats = result.results[1].stats
    assert stats["cases_created"] == int(joined_cases(folder)) and stats["events"] > 0


def joined_cases(folder: Path) -> int:
    return read_parquet(folder / "children.parquet").to_pandas().case_id.nunique()


def test_the_last_part_to_finish_joins_the_replication_and_only_once(tmp_path: Path) -> None:
    loaded = load_scenario(SMALL)
    folder = tmp_path / "rep"
    assert run_part(loaded, 0, 7, folder, 1) is None  # Wales first: north east not done yet
    assert (part_dir(folder, 1) / "children.parquet").exists()
    (folder / JOIN_LOCK).touch()  # as if another worker, finishing at the same moment, had taken the lock
    assert run_part(loaded, 0, 7, folder, 0) is None
    (folder / JOIN_LOCK).unlink()
    joined = run_part(loaded, 0, 7, folder, 0)  # run again: now it finds both parts complete, and joins
    assert joined is not None
    stats, first_started = joined
    assert stats.cases_created == joined_cases(folder) and first_started > 0
    assert not list(folder.glob(f"{PART_PREFIX}*")) and not (folder / JOIN_LOCK).exists()


def test_a_failing_part_fails_its_replication_once(tmp_path: Path, failing_runs) -> None:
    failing_runs(lambda rep: rep.regions == (1,), RuntimeError("a bug in Wales"))
    ended = []
    result = run_small(tmp_path / "run", 2, finished=lambda res, done, total: ended.append((res.ok, done)))
    assert ended == [(False, 1), (False, 2)]
    assert [f.error for f in result.failures] == ["RuntimeError: a bug in Wales"] * 2
    assert (replication_dir(tmp_path / "run", 0) / ERROR_MARKER).exists()


def test_clearing_a_replication_removes_its_parts_and_lock_but_nothing_else(tmp_path: Path) -> None:
    folder = tmp_path / "rep"
    run_part(load_scenario(SMALL), 0, 7, folder, 1)
    (folder / JOIN_LOCK).touch()
    (part_dir(folder, 1) / "notes.txt").write_text("mine", encoding="utf-8")
    clear_replication(folder)
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) == ["region-01", "region-01/notes.txt"]


def test_progress_counts_a_replication_once_whatever_its_parts_reported() -> None:
    progress = RunProgress(2, True, "parts")
    try:
        progress.update((0, 0), 0.6)
        progress.update((0, 1), 0.3)
        assert progress.bar.n == pytest.approx(0.9)
        progress.complete(0)
        progress.update((0, 1), 0.4)  # a part's last report, arriving late
        assert progress.bar.n == pytest.approx(1.0)
    finally:
        progress.close()


def test_a_resumed_run_clears_a_join_cut_short(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def killed(*args: object) -> None:
        raise KeyboardInterrupt  # the run stopped while a part joined, its lock taken: nobody else would join

    monkeypatch.setattr(replication_parts, "join_parts", killed)
    with pytest.raises(KeyboardInterrupt):
        run_small(tmp_path / "run", 1)
    folder = replication_dir(tmp_path / "run", 0)
    assert (folder / JOIN_LOCK).exists() and len(list(folder.glob(f"{PART_PREFIX}*/part.json"))) == 2
    monkeypatch.undo()
    result = run_experiment(load_scenario(SMALL), tmp_path / "run", replications=1, resume=True, model=EVENT_MODEL)
    assert result.results[0].ok and not result.failures
    assert not (folder / JOIN_LOCK).exists() and not list(folder.glob(f"{PART_PREFIX}*"))


def test_a_join_that_loses_a_child_row_says_so(tmp_path: Path) -> None:
    loaded, folder = load_scenario(SMALL), tmp_path / "rep"
    run_part(loaded, 0, 7, folder, 1)
    marker = part_dir(folder, 1) / "part.json"
    record = json.loads(marker.read_text(encoding="utf-8"))
    record["stats"]["child_rows"]["disposed"] += 1  # a row the part counted that its table does not hold
    marker.write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(ConservationError, match="joined table holds"):
        run_part(loaded, 0, 7, folder, 0)
