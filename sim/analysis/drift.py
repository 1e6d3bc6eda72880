"""Does a run drift? The headline indicators year by year of the results period, the first year against the last.

A baseline whose inputs are constant should be stationary: if its delays or open caseloads keep growing, a
comparison of options depends on how long the run is, and a published figure of one date cannot be matched by
the average of several years. Each indicator is measured the way it is published (:mod:`sim.analysis.trajectory`:
durations over cases disposed in the year, outstanding cases at the year's end), once per replication, for each
whole year of the results period.

The rule (written before any run was looked at): an indicator **drifts** when its change from the first year to
the last is larger than the half-width of the 95% confidence interval of either year's mean (the larger of the
two), so a change the replications cannot tell from noise is not called drift.
"""

from __future__ import annotations

import pandas as pd

from sim.analysis import trajectory
from sim.analysis.periods import last_day
from sim.analysis.statistics import interval as t_interval

DRIFT_INDICATORS = (
    "public_law_mean_weeks",
    "public_law_within_26_weeks_share",
    "private_law_mean_weeks",
    "public_law_outstanding_nao",
    "private_law_outstanding_nao",
)
"""The headline indicators checked for drift: durations as FCSQ publishes them and the open caseload."""

DRIFT_COLUMNS = [
    "indicator",
    "first_year",
    "last_year",
    "first_mean",
    "first_half_width",
    "last_mean",
    "last_half_width",
    "change",
    "drifts",
]


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
    """``replication, year, indicator, model``: each headline indicator in each year of each replication."""
    points = yearly_points(start_date, run_years)
    measured = trajectory.measure(children, timeline, points)
    year_of = {pd.Timestamp(d): y for d, y in zip(points["date"], points["year"], strict=True)}
    measured["year"] = measured["date"].map(lambda d: year_of[pd.Timestamp(d)])
    return measured[["replication", "year", "indicator", "model"]]


def drift_table(yearly: pd.DataFrame) -> pd.DataFrame:
    """The first year against the last, per indicator, with the verdict of the module's rule."""
    first_year, last_year = int(yearly["year"].min()), int(yearly["year"].max())
    rows = []
    for indicator, values in yearly.groupby("indicator", sort=False):
        first = t_interval(values.loc[values["year"] == first_year, "model"].to_numpy())
        last = t_interval(values.loc[values["year"] == last_year, "model"].to_numpy())
        first_half, last_half = (first[2] - first[1]) / 2, (last[2] - last[1]) / 2
        change = last[0] - first[0]
        rows.append(
            (indicator, first_year, last_year, first[0], first_half, last[0], last_half, change)
            + (bool(abs(change) > max(first_half, last_half)),)
        )
    return pd.DataFrame(rows, columns=DRIFT_COLUMNS)
