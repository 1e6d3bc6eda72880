"""Statistics across replications (sim/analysis/statistics.py): intervals and the precision rule, by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.analysis import statistics
from sim.analysis.indicators import INDICATOR_COLUMNS
from sim.experiment.replications import sequential_stop

T_975_2 = 4.302652729911275
"""Student-t 97.5% quantile with two degrees of freedom (from tables)."""


def test_summary_mean_t_interval_and_sd() -> None:
    per_rep = pd.DataFrame(
        {
            "replication": [0, 1, 2, 0],
            "indicator": ["x_weeks", "x_weeks", "x_weeks", "y_count"],
            "breakdown": ["all"] * 4,
            "group": ["all"] * 4,
            "value": [1.0, 2.0, 3.0, 7.0],
        }
    )
    assert list(per_rep.columns) == INDICATOR_COLUMNS
    summary = statistics.summarise(per_rep)
    assert list(summary.columns) == statistics.SUMMARY_COLUMNS
    x = summary.iloc[0]
    half = T_975_2 / math.sqrt(3)  # t(0.975, 2) * sd / sqrt(n), sd = 1
    assert (x["mean"], x["sd"], x["replications"]) == (2.0, 1.0, 3)
    assert x["ci95_low"] == pytest.approx(2 - half) and x["ci95_high"] == pytest.approx(2 + half)
    y = summary.iloc[1]
    assert y["mean"] == 7.0 and y["replications"] == 1
    assert math.isnan(y["ci95_low"]) and math.isnan(y["ci95_high"]) and math.isnan(y["sd"])


def test_summary_skips_missing_values() -> None:
    mean, low, high, sd, n = statistics.t_interval(np.array([4.0, math.nan, 6.0]))
    assert (mean, n) == (5.0, 2)
    assert sd == pytest.approx(math.sqrt(2))


def test_t_interval_and_t_intervals_agree_by_hand() -> None:
    mean, low, high, sd, n = statistics.t_interval(np.array([1.0, 2.0, 3.0]))
    assert (mean, sd, n) == (2.0, 1.0, 3)
    assert high - mean == pytest.approx(T_975_2 / math.sqrt(3))
    frame = pd.DataFrame({"key": ["a", "a", "a"], "value": [1.0, 2.0, 3.0]})
    row = statistics.t_intervals(frame, ["key"]).iloc[0]
    assert (row["ci95_low"], row["ci95_high"]) == (pytest.approx(low), pytest.approx(high))


def headline_frame(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "replication": range(len(values)),
            "indicator": "time_to_disposal_weeks_mean",
            "breakdown": "all",
            "group": "all",
            "value": values,
        }
    )


def test_half_width_share_of_headline_indicators() -> None:
    frame = headline_frame([9.0, 10.0, 11.0])
    assert statistics.half_width_share(frame, [("time_to_disposal_weeks_mean", "all", "all")]) == pytest.approx(
        T_975_2 / math.sqrt(3) / 10
    )
    assert statistics.half_width_share(frame.iloc[:1]) == math.inf


def test_sequential_stop_needs_confirmation() -> None:
    steady = headline_frame([10.0, 10.1, 9.9, 10.0, 10.05, 9.95, 10.0, 10.0])
    assert sequential_stop(steady, 5.0, minimum=3, confirm=2) == 3
    assert sequential_stop(steady.iloc[:4], 5.0, minimum=3, confirm=2) is None  # not yet confirmed
    noisy = headline_frame([1.0, 30.0, 5.0, 20.0])
    assert sequential_stop(noisy, 5.0, minimum=3, confirm=1) is None
