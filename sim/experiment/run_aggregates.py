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
import pyarrow.compute as pc

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
SPREAD_BATCH_ROWS = 262_144
"""Rows of the sorted stream of disposed children's times held at once (:func:`disposal_spreads_by`)."""


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
    children (what :func:`sim.outputs.figures.disposal_ecdf` draws), every replication pooled
    (:func:`disposal_spreads_by` for one breakdown)."""
    return disposal_spreads_by(run, [by])[by]


def disposal_spreads_by(run: RunQueries, breakdowns: list[str | None]) -> dict[str | None, dict[str, Spread]]:
    """:func:`disposal_spreads` for several breakdowns, from one sorted pass over the disposed children.

    A group of at most :data:`SPREAD_POINTS` children keeps its values; a larger one its quantiles at
    :func:`sim.analysis.spread.quantile_levels`, interpolated as numpy does between the order statistics on either
    side. DuckDB sorts the children's times once (spilling to disk if it must) and streams them in order; each
    group's order statistics are picked out of the stream as its running count passes them, so memory holds a batch
    and the values picked, whatever the number of children. (A sort per breakdown cost 1.4 s each for the 3.6
    million disposed children of a five-replication national run.)
    """
    groups = [_by(run, by) for by in breakdowns]
    where = f"WHERE {DISPOSED} AND days_to_disposal IS NOT NULL"
    counts = [
        dict(run.frame(f"SELECT {group} AS g, count(*) AS n FROM children {where} GROUP BY g").itertuples(index=False))
        for group in groups
    ]
    positions = [{value: _ranks_at(n) for value, n in c.items()} for c in counts]
    wanted = [
        {value: np.unique(np.concatenate([np.floor(at), np.ceil(at)]).astype(np.int64)) for value, at in p.items()}
        for p in positions
    ]
    found: list[dict[Any, list[np.ndarray]]] = [{value: [] for value in c} for c in counts]
    seen = [dict.fromkeys(c, 0) for c in counts]
    select = ", ".join(f"{group} AS g{i}" for i, group in enumerate(groups))
    ordered = f"SELECT {select}, days_to_disposal / {WEEK_DAYS!r} AS weeks FROM children {where} ORDER BY weeks"
    for batch in run.batches(ordered, SPREAD_BATCH_ROWS):
        weeks = batch.column(len(groups)).to_numpy(zero_copy_only=False)
        for i in range(len(groups)):
            column = batch.column(i)
            for value in counts[i]:
                if _missing(value):
                    mine = column.is_null().to_numpy(zero_copy_only=False)
                else:
                    scalar = value.item() if isinstance(value, np.generic) else value
                    mine = pc.fill_null(pc.equal(column, scalar), False).to_numpy(zero_copy_only=False)
                n = int(mine.sum())
                if not n:
                    continue
                start = seen[i][value]
                ranks = wanted[i][value]
                here = ranks[(ranks >= start) & (ranks < start + n)] - start
                if len(here):
                    found[i][value].append(weeks[mine][here])
                seen[i][value] = start + n
    out: dict[str | None, dict[str, Spread]] = {}
    for i, by in enumerate(breakdowns):
        spreads = {}
        for value in _in_order(run, by, list(counts[i])):
            at = positions[i][value]
            sorted_weeks = dict(zip(wanted[i][value].tolist(), np.concatenate(found[i][value]).tolist(), strict=True))
            low = np.array([sorted_weeks[int(k)] for k in np.floor(at)])
            high = np.array([sorted_weeks[int(k)] for k in np.ceil(at)])
            points = _lerp(low, high, at - np.floor(at))
            spreads[group_label(value)] = Spread(int(counts[i][value]), points, counts[i][value] <= SPREAD_POINTS)
        out[by] = spreads
    return out


def _ranks_at(n: int) -> np.ndarray:
    """Where a group of ``n`` children is read: every value when few, else at the quantile levels."""
    return np.arange(n, dtype=np.float64) if n <= SPREAD_POINTS else quantile_levels() * (n - 1)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _lerp(low: np.ndarray, high: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """Linear interpolation between neighbouring order statistics, written as numpy's quantile writes it."""
    diff = high - low
    return np.where(fraction >= 0.5, high - diff * (1 - fraction), low + diff * fraction)


# ---------------------------------------------------------------------------------------------- attribution
def delay_attribution(run: RunQueries, by: str | None = "case_type", split_court_wait: bool = False) -> pd.DataFrame:
    """:func:`sim.analysis.attribution.delay_attribution` of the disposed results children, every replication
    pooled: one row per group and component (group, agency, kind, children, days_total, days_mean, share)."""
    return delay_attribution_tables(run, by, split_court_wait)[split_court_wait]


def delay_attribution_tables(
    run: RunQueries, by: str | None = "case_type", split_court_wait: bool = True
) -> dict[bool, pd.DataFrame]:
    """:func:`delay_attribution` without the court's wait split (``False``) and, if asked and the table has the
    notice column, with it (``True``), from one query: the split's sums include every unsplit one."""
    group = _by(run, by)
    split = split_court_wait and NOTICE_COLUMN in run.columns("children")
    parts = {column: f'"{column}"' for column in ATTRIBUTION_COLUMNS}
    if split:
        parts[NOTICE_COLUMN] = f'"{NOTICE_COLUMN}"'
        parts[LISTING_COLUMN] = f'("{COURT_WAIT_COLUMN}" - "{NOTICE_COLUMN}")'
    sums = ", ".join(f'sum({sql}) AS "sum {name}", avg({sql}) AS "mean {name}"' for name, sql in parts.items())
    found = run.frame(f"SELECT {group} AS g, count(*) AS n, {sums} FROM children WHERE {DISPOSED} GROUP BY g")
    rows = {row["g"]: row for row in found.to_dict("records")}
    tables: dict[bool, list[tuple]] = {False: [], True: []} if split else {False: []}
    for value in _in_order(run, by, list(rows)):
        row = rows[value]
        total = {name: _number(row[f"sum {name}"], 0.0) for name in parts}
        mean = {name: _number(row[f"mean {name}"], math.nan) for name in parts}
        for kind, out in tables.items():
            out += attribution_table_rows(group_label(value), int(row["n"]), total, mean, kind)
    frames = {kind: pd.DataFrame(out, columns=ATTRIBUTION_TABLE_COLUMNS) for kind, out in tables.items()}
    frames.setdefault(True, frames[False])  # no notice column: the court's wait cannot be split
    return frames


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
