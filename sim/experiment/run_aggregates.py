"""What the report and the figures draw from a run's children, aggregated by DuckDB over the Parquet files.

A national run of five replications has five million child rows; the report needs a few numbers per group: how
many children were disposed and the shape of their times (a :class:`sim.analysis.spread.Spread`), the days each
agency took (sums and means, :func:`sim.analysis.attribution.attribution_table_rows`), and child-days in
proceedings per month and replication. Each is one query over the files (:mod:`sim.experiment.run_tables`), so
memory holds the answers and DuckDB's working set, not the rows. Rows and groups are chosen as
:mod:`sim.analysis.rows` chooses them (results rows: not warm-up, not the declared open caseload), groups in the
same order (a category's declared order, else sorted), and the answers are those of the pandas functions they
stand for up to the order of floating-point sums (tests/test_run_aggregates.py checks them against each other).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.attribution import (
    ATTRIBUTION_COLUMNS,
    ATTRIBUTION_TABLE_COLUMNS,
    COURT_WAIT_COLUMN,
    LISTING_COLUMN,
    NOTICE_COLUMN,
    attribution_table_rows,
)
from sim.analysis.periods import Period, day, months
from sim.analysis.rows import group_label
from sim.analysis.spread import SPREAD_POINTS, Spread, quantile_levels
from sim.experiment.results_folder import ResultsDirError, parquet_file
from sim.experiment.run_tables import RunQueries
from sim.vocabulary import STATUS_DISPOSED, WEEK_DAYS

RESULTS = "NOT warm_up AND NOT from_open_caseload"
"""SQL for a results row (:func:`sim.analysis.rows.results_rows`)."""
DISPOSED = f"{RESULTS} AND CAST(status AS VARCHAR) = '{STATUS_DISPOSED}'"
"""SQL for a disposed results row (:func:`sim.analysis.rows.disposed_rows`)."""
ALL = "all"


def _column(run: RunQueries, column: str) -> str:
    """``column`` quoted for SQL, once it is known to be a column of the children table (never text to run)."""
    if column not in run.columns("children"):
        raise ResultsDirError(f"{run.directory}: the children table has no column {column!r}")
    return '"' + column + '"'


def category_order(run: RunQueries, column: str) -> list[Any] | None:
    """The declared order of a category column's values (as pandas shows a dictionary-encoded column), or None for
    a column of plain values (then groups are sorted, as :func:`sim.analysis.rows.group_index` sorts them)."""
    path = run.files["children"][0]
    parquet = parquet_file(path)
    if not parquet.metadata.num_row_groups:
        return None
    chunk = parquet.read_row_group(0, columns=[column]).column(0)
    if chunk.num_chunks and hasattr(chunk.chunk(0), "dictionary"):
        return chunk.chunk(0).dictionary.to_pylist()
    return None


def _in_order(run: RunQueries, by: str | None, values: list[Any]) -> list[Any]:
    """``values`` of column ``by`` in the order :func:`sim.analysis.rows.group_index` gives its groups."""
    if by is None:
        return values
    order = category_order(run, by)
    if order is None:
        return sorted(values)
    rank = {value: i for i, value in enumerate(order)}
    return sorted(values, key=lambda value: rank.get(value, len(rank)))


def _by(run: RunQueries, by: str | None) -> str:
    return _column(run, by) if by is not None else f"'{ALL}'"


# ---------------------------------------------------------------------------------------------- time to disposal
def disposal_spreads(run: RunQueries, by: str | None = "case_type") -> dict[str, Spread]:
    """Per group of ``by`` (label as results show it -> spread): weeks from issue to disposal of the disposed results
    children (what :func:`sim.outputs.figures.disposal_ecdf` draws), every replication pooled.

    A group of at most :data:`SPREAD_POINTS` children keeps its values; a larger one its quantiles at
    :func:`sim.analysis.spread.quantile_levels`, interpolated as numpy does between the order statistics on either
    side, which one sorted pass (DuckDB's, spilling to disk if it must) picks out of the rows.
    """
    group = _by(run, by)
    values = (
        f"SELECT {group} AS g, days_to_disposal / {WEEK_DAYS!r} AS weeks FROM children "
        f"WHERE {DISPOSED} AND days_to_disposal IS NOT NULL"
    )
    counts = dict(run.frame(f"SELECT g, count(*) AS n FROM ({values}) GROUP BY g").itertuples(index=False))
    wanted, position = [], {}
    for value, n in counts.items():
        at = np.arange(n) if n <= SPREAD_POINTS else quantile_levels() * (n - 1)
        position[value] = at
        for rank in np.unique(np.concatenate([np.floor(at), np.ceil(at)]).astype(np.int64)):
            wanted.append((value, int(rank)))
    ranks = pd.DataFrame(wanted, columns=["g", "rank"]) if wanted else pd.DataFrame({"g": [], "rank": []})
    run.con.register("fjsim_ranks", ranks)
    try:
        found = run.frame(
            f"SELECT v.g, v.rank, v.weeks FROM (SELECT g, weeks, row_number() OVER (PARTITION BY g ORDER BY weeks) - 1 "
            f"AS rank FROM ({values})) AS v JOIN fjsim_ranks AS w ON v.g = w.g AND v.rank = w.rank ORDER BY v.g, v.rank"
        )
    finally:
        run.con.unregister("fjsim_ranks")
    out = {}
    for value in _in_order(run, by, list(counts)):
        rows = found[found["g"] == value]
        sorted_weeks = dict(zip(rows["rank"].to_numpy(), rows["weeks"].to_numpy(dtype=float), strict=True))
        at = position[value]
        low = np.array([sorted_weeks[int(i)] for i in np.floor(at)])
        high = np.array([sorted_weeks[int(i)] for i in np.ceil(at)])
        points = _lerp(low, high, at - np.floor(at))
        out[group_label(value)] = Spread(int(counts[value]), points, counts[value] <= SPREAD_POINTS)
    return out


def _lerp(low: np.ndarray, high: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """Linear interpolation between neighbouring order statistics, written as numpy's quantile writes it."""
    diff = high - low
    return np.where(fraction >= 0.5, high - diff * (1 - fraction), low + diff * fraction)


# ---------------------------------------------------------------------------------------------- attribution
def delay_attribution(run: RunQueries, by: str | None = "case_type", split_court_wait: bool = False) -> pd.DataFrame:
    """:func:`sim.analysis.attribution.delay_attribution` of the disposed results children, every replication
    pooled: one row per group and component (group, agency, kind, children, days_total, days_mean, share)."""
    group = _by(run, by)
    split = split_court_wait and NOTICE_COLUMN in run.columns("children")
    parts = {column: f'"{column}"' for column in ATTRIBUTION_COLUMNS}
    if split:
        parts[NOTICE_COLUMN] = f'"{NOTICE_COLUMN}"'
        parts[LISTING_COLUMN] = f'("{COURT_WAIT_COLUMN}" - "{NOTICE_COLUMN}")'
    sums = ", ".join(f'sum({sql}) AS "sum {name}", avg({sql}) AS "mean {name}"' for name, sql in parts.items())
    found = run.frame(f"SELECT {group} AS g, count(*) AS n, {sums} FROM children WHERE {DISPOSED} GROUP BY g")
    rows = {row["g"]: row for row in found.to_dict("records")}
    out: list[tuple] = []
    for value in _in_order(run, by, list(rows)):
        row = rows[value]
        total = {name: _number(row[f"sum {name}"], 0.0) for name in parts}
        mean = {name: _number(row[f"mean {name}"], math.nan) for name in parts}
        out += attribution_table_rows(group_label(value), int(row["n"]), total, mean, split)
    return pd.DataFrame(out, columns=ATTRIBUTION_TABLE_COLUMNS)


def _number(value: Any, missing: float) -> float:
    return missing if value is None or pd.isna(value) else float(value)


# ---------------------------------------------------------------------------------------------- child-days
def child_days_by_month(run: RunQueries, period: Period) -> pd.DataFrame:
    """:func:`sim.analysis.periods.child_days_by_month` of every replication: child-days in proceedings in each month
    of the period (every child in proceedings, warm-up and open caseload included; an open case runs to the end).

    Columns ``replication, month, child_days, days, open_children_mean``; a month with no child in proceedings is
    there with 0, as in the pandas function.
    """
    calendar = months(period)
    columns = ["replication", "month", "child_days", "days", "open_children_mean"]
    if not calendar:
        return pd.DataFrame(columns=columns)
    spans = ", ".join(f"('{label}', DATE '{lo}', DATE '{hi}')" for label, lo, hi in calendar)  # dates, not input
    found = run.frame(
        f"WITH months(month, lo, hi) AS (VALUES {spans}), "
        "rows AS (SELECT replication, start_date AS s, coalesce(end_date, CAST(? AS DATE)) AS e "
        "FROM children WHERE days_in_proceedings IS NOT NULL), "
        "reps AS (SELECT DISTINCT replication FROM rows) "
        "SELECT reps.replication, m.month, date_diff('day', m.lo, m.hi) AS days, "
        "coalesce(sum(greatest(0, date_diff('day', greatest(r.s, m.lo), least(r.e, m.hi)))), 0) AS child_days "
        "FROM reps CROSS JOIN months AS m "
        "LEFT JOIN rows AS r ON r.replication = reps.replication AND r.s < m.hi AND r.e > m.lo "
        "GROUP BY reps.replication, m.month, m.lo, m.hi ORDER BY m.lo, reps.replication",
        [str(day(period[1]))],
    )
    found["child_days"] = found["child_days"].astype(float)
    found["days"] = found["days"].astype(float)
    found["open_children_mean"] = found["child_days"] / found["days"]
    return found[columns].reset_index(drop=True)
