"""Warm-up suggestion: MSER-5 and Welch's moving average, and the warmup command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.cli.main import main
from sim.experiment.warmup import from_empty, mser, settled_warm_up, suggest, welch_moving_average, whole_years_days
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"


def test_mser_cuts_a_transient_and_keeps_a_steady_series() -> None:
    rng = np.random.default_rng(1)
    transient = np.concatenate([np.linspace(0, 100, 40), 100 + rng.normal(0, 2, 160)])
    cut = mser(transient)
    assert 35 <= cut <= 60 and cut % 5 == 0
    steady = 100 + rng.normal(0, 2, 200)
    assert mser(steady) <= 100  # never more than half the series (on pure noise the cut is arbitrary)
    assert mser(np.array([np.nan, np.nan, *steady])) >= 2  # leading gaps are part of the warm-up


def _yearly_rows(values_by_indicator: dict[str, np.ndarray]) -> pd.DataFrame:
    """Indicator rows of a run from empty: each series year by year (columns) in each replication (rows)."""
    rows = [
        {"replication": r, "indicator": name, "breakdown": "year", "group": str(year + 1), "value": value}
        for name, values in values_by_indicator.items()
        for r, by_year in enumerate(values)
        for year, value in enumerate(by_year)
    ]
    return pd.DataFrame(rows)


def test_a_transient_slower_than_mser_can_see_is_waited_out_year_by_year() -> None:
    """A list held in check only by withdrawals settles with a time constant of 1.6 years (calibration.md): MSER-5's
    one year is not enough, and the check waits whole years until no series drifts in what is left."""
    rng = np.random.default_rng(7)
    years = np.arange(1, 11)
    slow = 30 - 3 * np.exp(-years / 1.6) + rng.normal(0, 0.1, (3, 10))
    flat = 8000 + rng.normal(0, 50, (3, 10))
    settled = settled_warm_up(_yearly_rows({"private_law_mean_weeks": slow, "public_law_outstanding_nao": flat}), 300)
    first = settled["checked"][0]
    assert first["years"] == 1 and first["drifting"] == ["private_law_mean_weeks"]
    assert 2 <= settled["years"] <= 5 and settled["warm_up_days"] == whole_years_days(settled["years"])
    assert settled["checked"][-1]["drifting"] == [] and all(c["drifting"] for c in settled["checked"][:-1])
    assert whole_years_days(3) == 1096 and whole_years_days(5) == 1826  # leap days counted


def test_a_series_that_keeps_growing_never_settles() -> None:
    rng = np.random.default_rng(8)
    growing = 20 + 0.5 * np.arange(8) + rng.normal(0, 0.1, (3, 8))
    rows = _yearly_rows({"private_law_mean_weeks": growing})
    settled = settled_warm_up(rows, 0)
    assert settled["warm_up_days"] is None
    assert [c["years"] for c in settled["checked"]] == [0, 1, 2, 3, 4, 5]  # each leaves at least 3 years to test
    table = pd.DataFrame({"period": range(40), "open_children_mean": 1.0, "time_in_system_weeks_mean": 1.0})
    suggestion = suggest(table, 7, rows)
    assert suggestion["may_not_settle"] and suggestion["warm_up_days"] == suggestion["mser_warm_up_days"]


def test_welch_moving_average_by_hand() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    # i = 0: y0; i = 1: mean(y0..y2); then centred windows of 2w + 1 = 5
    np.testing.assert_allclose(welch_moving_average(y, 2), [1.0, 2.0, 3.0, 4.0])


def test_from_empty_drops_warm_up_and_policies() -> None:
    loaded = load_scenario(SMALL)
    empty = from_empty(loaded, years=2)
    assert empty.scenario.starting_state.warm_up_days == 0 and not empty.scenario.starting_state.open_cases
    assert empty.scenario.run_years == 2 and empty.scenario.policies == []
    assert empty.scenario.start_date == loaded.scenario.sim_start_date


def test_warmup_command_suggests_and_plots(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["warmup", str(SMALL), "--replications", "2", "--years", "1", "--out", str(out), "--workers", "1"]) == 0
    for name in ("welch.png", "warmup.csv", "warmup.json"):
        assert (out / name).is_file()
    result = json.loads((out / "warmup.json").read_text())
    assert result["warm_up_days"] % 7 == 0
    assert result["warm_up_days"] >= max(s["days"] for s in result["series"].values())
    printed = capsys.readouterr().out
    assert f"warm_up_days: {result['warm_up_days']}" in printed and "starting_state:" in printed
    assert result["settled"]["checked"] == [] and "too short to test for drift" in printed  # one year has no trend
    assert result["warm_up_days"] == result["mser_warm_up_days"]


def test_warmup_command_says_when_no_warm_up_settles(tmp_path, capsys) -> None:
    """The small test scenario's Cafcass teams cannot keep up, so its queues grow whatever the warm-up: MSER-5
    still picks a point, and the drift check says that no whole-year warm-up within the run settles."""
    out = tmp_path / "out"
    argv = ["warmup", str(SMALL), "--replications", "3", "--years", "6", "--out", str(out), "--workers", "1"]
    assert main(argv) == 0
    result = json.loads((out / "warmup.json").read_text())
    checked = result["settled"]["checked"]
    assert checked and all("cafcass_short_term_unallocated" in c["drifting"] for c in checked)
    assert result["settled"]["warm_up_days"] is None and result["may_not_settle"]
    printed = capsys.readouterr().out
    assert "no whole-year warm-up within the run settles" in printed and "try a longer run" in printed
