"""The results period of a run, and children in proceedings over it (stocks by month and at given dates).

:func:`last_day` is the one definition of where a results period ends: the run's indicators, the model
calibration, the back-cast and the validation all take it from here, so a published point dated on the last
day is inside the run for each of them.

Stocks count every child in proceedings at the time, whenever the case started (warm-up and declared open
caseload included), but only days inside the results period: that is what the timeline's ``open_children``
measure counts. Dates are whole days (numpy ``datetime64[D]``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.rows import in_proceedings, is_label, results_rows
from sim.vocabulary import DAYS_PER_YEAR, STATUS_OPEN

Period = tuple[pd.Timestamp, pd.Timestamp]
"""(results start, run end) of a run: the first day, and the midnight that ends the last day."""
ONE_DAY = pd.Timedelta(days=1)


def last_day(start_date: Any, run_years: float) -> pd.Timestamp:
    """The last day of the results period, counted whole: a point dated on it is inside the run.

    A whole number of years is calendar years, whatever the leap days: start + run_years years - 1 day (a
    five-year run from 2020-01-01 ends on 2024-12-31, a one-year run from 2023-01-01 on 2023-12-31). A fraction
    of a year is run_years x DAYS_PER_YEAR days to the nearest day (the back-cast's ``--until`` runs a whole
    number of days, so it ends on the day asked for). The simulation runs run_years x DAYS_PER_YEAR days, so
    its end can fall up to three quarters of a day either side of the end of this day.
    """
    start = pd.Timestamp(start_date).normalize()
    years = float(run_years)
    if years.is_integer():
        return start + pd.DateOffset(years=int(years)) - ONE_DAY
    return start + pd.Timedelta(days=round(years * DAYS_PER_YEAR)) - ONE_DAY


def results_period(start_date: Any, run_years: float) -> Period:
    """(results start, run end): the start date, and the midnight that ends :func:`last_day`."""
    return pd.Timestamp(start_date), last_day(start_date, run_years) + ONE_DAY


def inside(points: pd.DataFrame, first: Any, last: Any) -> pd.Series:
    """Which points (columns ``start``, ``date``) lie wholly in the days ``first`` to ``last``, both included: a
    flow's whole period, a stock (no ``start``) at its date."""
    begins = pd.to_datetime(points["start"]).fillna(pd.to_datetime(points["date"]))
    return (begins >= pd.Timestamp(first)) & (pd.to_datetime(points["date"]) <= pd.Timestamp(last))


def run_period(manifest: dict[str, Any]) -> Period:
    """(results start, run end) of a run, from its manifest."""
    years = float(manifest["scenario"]["resolved"]["run_years"])
    return results_period(manifest["starting_state"]["results_start_date"], years)


def infer_period(children: pd.DataFrame) -> Period:
    """(results start, run end) estimated from a children table when the manifest is not at hand.

    The start is the earliest start date of a case that started in the results period; the end is the latest
    of the end dates and of (start + days in proceedings) of cases open at the end. Both are to the day.
    """
    rows = results_rows(children[["start_date", "warm_up", "from_open_caseload"]])  # copy only what is read
    starts = pd.to_datetime(rows["start_date"] if len(rows) else children["start_date"])
    start = starts.min()
    ends = pd.to_datetime(children["end_date"]).dropna()
    open_rows = children[["start_date", "days_in_proceedings"]][is_label(children["status"], STATUS_OPEN)]
    open_ends = pd.to_datetime(open_rows["start_date"]) + pd.to_timedelta(open_rows["days_in_proceedings"], unit="D")
    end = max([e for e in (ends.max(), open_ends.max()) if pd.notna(e)], default=start)
    return pd.Timestamp(start), pd.Timestamp(end).ceil("D")


def intervals(children: pd.DataFrame, run_end: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (datetime64[D]) of each row's time in proceedings; an open case ends at the run end."""
    start = pd.to_datetime(children["start_date"]).to_numpy(dtype="datetime64[D]")
    end = pd.to_datetime(children["end_date"]).to_numpy(dtype="datetime64[D]")
    end = np.where(np.isnat(end), np.datetime64(run_end.date(), "D"), end)
    return start, end


def day(timestamp: Any) -> np.datetime64:
    """The calendar day of a timestamp, as numpy ``datetime64[D]`` (stocks are counted in whole days)."""
    return np.datetime64(pd.Timestamp(timestamp).date(), "D")


def overlap_days(start: np.ndarray, end: np.ndarray, lo: np.datetime64, hi: np.datetime64) -> np.ndarray:
    """Days of each [start, end) interval that fall inside [lo, hi) (zero when they do not meet)."""
    overlap = (np.minimum(end, hi) - np.maximum(start, lo)).astype("timedelta64[D]").astype(float)
    return np.clip(overlap, 0, None)


def months(period: Period) -> list[tuple[str, np.datetime64, np.datetime64]]:
    """(label YYYY-MM, first day, day after the last) of each calendar month of the period, clipped to it."""
    start, end = day(period[0]), day(period[1])
    out = []
    month = start.astype("datetime64[M]")
    while month.astype("datetime64[D]") < end:
        lo = max(month.astype("datetime64[D]"), start)
        hi = min((month + 1).astype("datetime64[D]"), end)
        out.append((str(month), lo, hi))
        month = month + 1
    return out


def _replication_numbers(rows: pd.DataFrame) -> np.ndarray:
    """Each row's replication (0 for a table of one replication without the column)."""
    return rows["replication"].to_numpy() if "replication" in rows.columns else np.zeros(len(rows), dtype=int)


def child_days_by_month(children: pd.DataFrame, period: Period | None = None, by: str | None = None) -> pd.DataFrame:
    """Child-days in proceedings in each month of the results period (open children x days), per replication.

    Every child in proceedings counts (a stock), only for days inside ``period`` (default:
    :func:`infer_period`). Returns columns ``replication, month, [by,] child_days, days, open_children_mean``
    where ``open_children_mean`` is child-days / days in the month.
    """
    period = period or infer_period(children)
    rows = in_proceedings(children)
    start, end = intervals(rows, pd.Timestamp(period[1]))
    reps = _replication_numbers(rows)
    keys = rows[by].astype(str).to_numpy() if by else np.full(len(rows), "all")
    columns = ["replication", "month", *([by] if by else []), "child_days", "days", "open_children_mean"]
    out = []
    for label, lo, hi in months(period):
        frame = pd.DataFrame({"replication": reps, "key": keys, "child_days": overlap_days(start, end, lo, hi)})
        summed = frame.groupby(["replication", "key"], sort=True)["child_days"].sum().reset_index()
        summed["month"] = label
        summed["days"] = float((hi - lo).astype(int))
        out.append(summed)
    if not out:
        return pd.DataFrame(columns=columns)
    result = pd.concat(out, ignore_index=True)
    result["open_children_mean"] = result["child_days"] / result["days"]
    result = result.rename(columns={"key": by} if by else {}).drop(columns=[] if by else ["key"])
    return result[columns]


def open_over(children: pd.DataFrame, threshold_days: float, dates: Sequence[Any]) -> pd.DataFrame:
    """Children in proceedings at each date who had by then been in proceedings longer than ``threshold_days``.

    Counted per replication from start and end dates (a stock: every child open at the date counts). Returns
    ``replication, date, children``.
    """
    rows = in_proceedings(children)
    run_end = pd.Timestamp(max(pd.Timestamp(d) for d in dates)) + pd.Timedelta(days=1)
    start, end = intervals(rows, run_end)
    still_open_at_end = is_label(rows["status"], STATUS_OPEN)
    end = np.where(still_open_at_end, np.datetime64("NaT"), end)
    reps = _replication_numbers(rows)
    out = []
    for date in dates:
        on = day(date)
        open_then = np.isnat(end) | (end > on)
        waited_days = (on - start).astype("timedelta64[D]").astype(float)
        hit = (start <= on) & open_then & (waited_days > threshold_days)
        for rep, n in pd.Series(hit).groupby(reps).sum().items():
            out.append((int(rep), pd.Timestamp(date), int(n)))
    return pd.DataFrame(out, columns=["replication", "date", "children"])
