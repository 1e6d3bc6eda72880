"""Warm-up suggestion: MSER-5 and Welch's moving average, and the warmup command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sim.cli.main import main
from sim.experiment.warmup import from_empty, mser, welch_moving_average
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
