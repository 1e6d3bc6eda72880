"""Does a run drift? The headline series year by year of the results period, tested for a trend.

A baseline whose inputs are constant should be stationary: if its delays, open caseloads or Cafcass queues keep
growing, a comparison of options depends on how long the run is, and a published figure of one date cannot be
matched by the average of several years. Each series is measured the way it is published
(:mod:`sim.analysis.trajectory`: durations over cases disposed in the year, outstanding cases and unallocated
work at the year's end), once per replication, for each whole year of the results period. Every replication
writes these as indicator rows (breakdown ``year``, group ``1``, ``2``...: :func:`yearly_rows`), so
``summary.csv`` holds each year's mean and interval and :func:`drift_from_indicators` needs no table but the
indicators.

The test (a simple regression, written before any run was looked at): in each replication, the least-squares
slope of the series on the year (``scipy.stats.linregress``'s); the replications are independent, so their slopes
get a Student-t 95% interval. A series **drifts** when that interval excludes zero (a trend the replications
can tell from noise) *and* the change from the first year to the last is larger than the larger side of either
year's 95% interval (a change big enough to matter next to the noise of one year). A run of one year, or of one
replication, cannot be tested (``drifts`` is false, ``testable`` false).

What to do about a series that drifts is in :data:`ADVICE`; ``run`` prints it and writes ``drift.csv``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.analysis import trajectory
from sim.analysis.indicators import INDICATOR_COLUMNS
from sim.analysis.periods import last_day
from sim.analysis.statistics import ROUGH_BELOW_REPLICATIONS, T, interval, interval_method

DRIFT_INDICATORS = (
    "public_law_mean_weeks",
    "public_law_within_26_weeks_share",
    "private_law_mean_weeks",
    "public_law_outstanding_nao",
    "private_law_outstanding_nao",
    "cafcass_short_term_unallocated",
    "cafcass_long_term_unallocated",
)
"""The headline series checked for drift: durations as FCSQ publishes them, the open caseload, Cafcass queues."""
YEAR = "year"
"""The breakdown of the yearly rows among a replication's indicators."""

DRIFT_COLUMNS = [
    "indicator",
    "first_year",
    "last_year",
    "first_mean",
    "first_half_width",
    "last_mean",
    "last_half_width",
    "change",
    "slope_per_year",
    "slope_ci95_low",
    "slope_ci95_high",
    "replications",
    "rough",
    "testable",
    "drifts",
]
ADVICE = (
    "results depend on how long the run is: give the run a longer warm-up (python run_sim.py warmup SCENARIO "
    "suggests one) or a starting state (starting_state.open_caseload), and if the series keeps growing whatever "
    "the warm-up, demand exceeds capacity and no run length is steady"
)
"""What to do about a series that drifts."""


def yearly_points(start_date: object, run_years: int, indicators: tuple[str, ...] = DRIFT_INDICATORS) -> pd.DataFrame:
    """One point per indicator and whole year of the results period: flows over the year, stocks at its end."""
    start = pd.Timestamp(start_date)
    rows = []
    for year in range(int(run_years)):
        first = start + pd.DateOffset(years=year)
        last = last_day(start, year + 1)  # the last day of a run of year + 1 years (sim.analysis.periods)
        for indicator in indicators:
            stock = indicator in trajectory.STOCKS
            rows.append({"indicator": indicator, "date": last, "start": pd.NaT if stock else first, "year": year + 1})
    return pd.DataFrame(rows)


def yearly_values(
    children: pd.DataFrame, timeline: pd.DataFrame | None, start_date: object, run_years: int
) -> pd.DataFrame:
    """``replication, year, indicator, model``: each headline series in each year of each replication."""
    points = yearly_points(start_date, run_years)
    if points.empty:  # a run shorter than a year has no whole year to measure
        return pd.DataFrame(columns=["replication", "year", "indicator", "model"])
    if "replication" not in children.columns:
        children = children.assign(replication=0)
    measured = trajectory.measure(children, timeline, points)
    year_of = {pd.Timestamp(d): y for d, y in zip(points["date"], points["year"], strict=True)}
    measured["year"] = measured["date"].map(lambda d: year_of[pd.Timestamp(d)])
    return measured[["replication", "year", "indicator", "model"]]


def yearly_rows(
    children: pd.DataFrame, timeline: pd.DataFrame | None, start_date: object, run_years: int
) -> pd.DataFrame:
    """The yearly values as indicator rows (:data:`sim.analysis.indicators.INDICATOR_COLUMNS`), breakdown ``year``."""
    values = yearly_values(children, timeline, start_date, run_years)
    return pd.DataFrame(
        {
            "replication": values["replication"].astype("int64"),
            "indicator": values["indicator"].astype(str),
            "breakdown": YEAR,
            "group": values["year"].astype(int).astype(str),
            "value": values["model"].astype(float),
        },
        columns=INDICATOR_COLUMNS,
    )


def drift_from_indicators(per_replication: pd.DataFrame) -> pd.DataFrame:
    """:func:`drift_table` of the yearly rows among a run's indicators (empty when the run has none)."""
    rows = per_replication[per_replication["breakdown"] == YEAR]
    yearly = pd.DataFrame(
        {
            "replication": rows["replication"].to_numpy(),
            "year": rows["group"].astype(int).to_numpy(),
            "indicator": rows["indicator"].to_numpy(),
            "model": rows["value"].to_numpy(dtype=float),
        }
    )
    return drift_table(yearly)


def _slope(years: np.ndarray, values: np.ndarray) -> float:
    """Least-squares slope of the known values on the year (NaN with fewer than two years)."""
    known = ~np.isnan(values)
    if known.sum() < 2:
        return math.nan
    # scipy.stats.linregress's own slope, computed as it computes it (the same bits), without importing
    # scipy.stats (0.4 s), which a one-replication run otherwise never needs
    ssxm, ssxym, _, _ = np.cov(years[known], values[known], bias=True).flat
    return float(ssxym / ssxm)


def _side(low: float, mean: float, high: float) -> float:
    """The larger side of an interval around its mean."""
    return max(high - mean, mean - low)


def drift_table(yearly: pd.DataFrame) -> pd.DataFrame:
    """Per series: the first and last years' means, the trend across replications, and the module's verdict."""
    if yearly.empty:
        return pd.DataFrame(columns=DRIFT_COLUMNS)
    first_year, last_year = int(yearly["year"].min()), int(yearly["year"].max())
    rows = []
    for indicator, values in yearly.groupby("indicator", sort=False):
        method = interval_method(str(indicator))
        first = interval(values.loc[values["year"] == first_year, "model"].to_numpy(), method)
        last = interval(values.loc[values["year"] == last_year, "model"].to_numpy(), method)
        by_replication = values.pivot(index="replication", columns="year", values="model")
        years = by_replication.columns.to_numpy(dtype=float)
        slopes = np.array([_slope(years, row) for row in by_replication.to_numpy(dtype=float)])
        slope, slope_low, slope_high, _, n = interval(slopes, T)
        replications = int(by_replication.notna().any(axis=1).sum())
        first_side = _side(first[1], first[0], first[2])
        last_side = _side(last[1], last[0], last[2])
        change = last[0] - first[0]
        testable = bool(n >= 2 and last_year > first_year and np.isfinite(slope_low))
        trend = testable and (slope_low > 0 or slope_high < 0)
        material = abs(change) > max(first_side, last_side)
        rows.append(
            (indicator, first_year, last_year, first[0], first_side, last[0], last_side, change, slope)
            + (slope_low, slope_high, replications, replications < ROUGH_BELOW_REPLICATIONS, testable)
            + (bool(trend and material),)
        )
    return pd.DataFrame(rows, columns=DRIFT_COLUMNS)
