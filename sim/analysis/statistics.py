"""Indicators from the records of a run: pure pandas, no SimPy.

Every function takes the tables a replication writes (``children.parquet`` and ``timeline.parquet`` read as
DataFrames, one or many replications) and returns *tidy long* rows::

    replication, indicator, breakdown, group, value

e.g. ``0, time_to_disposal_weeks_mean, case_type, public_law, 41.3``. Units are in the indicator names
(``_weeks``, ``_share``, ``_count``). ``breakdown == "all"`` (with ``group == "all"``) is the whole system.

What counts:

* Time to disposal is measured on children whose case was **disposed** during the results period, and who
  neither started during warm-up (``warm_up``) nor were part of the declared open caseload
  (``from_open_caseload``): their times would be truncated or made up. Each child counts once per case (a
  case with three siblings counts three times): the indicators are about children, not cases.
* Percentiles use linear interpolation between order statistics (numpy's default), so they can be
  checked by hand.
* Open caseload and the Cafcass unallocated queue are read from the last snapshot in the timeline, summed
  over regions.

:func:`summarise` turns per-replication rows into the across-replication summary (mean, Student-t 95%
interval, standard deviation).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from sim.vocabulary import AGENCIES, TARGET_WEEKS, WEEK_DAYS

INDICATOR_COLUMNS = ["replication", "indicator", "breakdown", "group", "value"]
SUMMARY_COLUMNS = ["indicator", "breakdown", "group", "mean", "ci95_low", "ci95_high", "sd", "replications"]

DISPOSAL_BREAKDOWNS = ("case_type", "pathway", "domestic_abuse")
CHILD_COLUMNS = [
    "replication",
    "child_id",
    "case_id",
    *DISPOSAL_BREAKDOWNS,
    "warm_up",
    "from_open_caseload",
    "status",
    "days_to_disposal",
    *[f"{kind}_{agency}_days" for agency in AGENCIES for kind in ("wait", "active")],
]
"""The columns of children.parquet the indicators need (read only these to keep memory down)."""
CAFCASS_TEAMS = {"short_term": "unallocated:cafcass_short_term", "long_term": "unallocated:cafcass_long_term"}

HEADLINE = [
    ("time_to_disposal_weeks_mean", "all", "all"),
    ("time_to_disposal_weeks_mean", "case_type", "public_law"),
    ("time_to_disposal_weeks_mean", "case_type", "private_law"),
]
"""The indicators a run is judged by first: the sequential precision rule and the comparison plots use them."""


def group_label(value: object) -> str:
    """A group's name as results show it (booleans as 'true'/'false')."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)


def results_rows(children: pd.DataFrame) -> pd.DataFrame:
    """Child rows that count for results: not started in warm-up, not from the declared open caseload."""
    keep = ~children["warm_up"].astype(bool) & ~children["from_open_caseload"].astype(bool)
    return children[keep]


def disposed_rows(children: pd.DataFrame) -> pd.DataFrame:
    """Results rows of children whose case was disposed (the ones time to disposal is measured on)."""
    rows = results_rows(children)
    return rows[rows["status"].astype(str) == "disposed"]


def _disposal_stats(weeks: np.ndarray) -> dict[str, float]:
    n = len(weeks)
    if n == 0:
        nan = math.nan
        return {
            "time_to_disposal_weeks_mean": nan,
            "time_to_disposal_weeks_median": nan,
            "time_to_disposal_weeks_p90": nan,
            "disposed_within_26_weeks_share": nan,
            "children_disposed_count": 0.0,
        }
    return {
        "time_to_disposal_weeks_mean": float(np.mean(weeks)),
        "time_to_disposal_weeks_median": float(np.quantile(weeks, 0.5)),
        "time_to_disposal_weeks_p90": float(np.quantile(weeks, 0.9)),
        "disposed_within_26_weeks_share": float(np.mean(weeks <= TARGET_WEEKS)),
        "children_disposed_count": float(n),
    }


def _rows(replication: int, breakdown: str, group: str, values: dict[str, float]) -> Iterable[tuple]:
    for indicator, value in values.items():
        yield (replication, indicator, breakdown, group, value)


def groups(frame: pd.DataFrame, column: str) -> Iterable[tuple[str, pd.DataFrame]]:
    """Groups of a column in a stable order: category order when categorical, else sorted values."""
    series = frame[column]
    if isinstance(series.dtype, pd.CategoricalDtype):
        values = [v for v in series.cat.categories if (series == v).any()]
    else:
        values = sorted(series.dropna().unique().tolist())
    for value in values:
        yield group_label(value), frame[series == value]


def disposal_indicators(children: pd.DataFrame, replication: int) -> list[tuple]:
    """Time to disposal (mean, median, p90, share within 26 weeks) overall and by each breakdown."""
    disposed = disposed_rows(children)
    weeks = disposed["days_to_disposal"].to_numpy(dtype=float) / WEEK_DAYS
    out = list(_rows(replication, "all", "all", _disposal_stats(weeks)))
    for breakdown in DISPOSAL_BREAKDOWNS:
        for group, rows in groups(disposed, breakdown):
            values = _disposal_stats(rows["days_to_disposal"].to_numpy(dtype=float) / WEEK_DAYS)
            out.extend(_rows(replication, breakdown, group, values))
    return out


def volume_indicators(children: pd.DataFrame, replication: int) -> list[tuple]:
    """How many children and cases started in the results period, overall and by case type."""
    rows = results_rows(children)
    out: list[tuple] = []

    def counts(frame: pd.DataFrame) -> dict[str, float]:
        return {
            "cases_started_count": float(frame["case_id"].nunique()),
            "children_started_count": float(frame["child_id"].nunique()),
            "child_cases_started_count": float(len(frame)),
        }

    out.extend(_rows(replication, "all", "all", counts(rows)))
    for group, frame in groups(rows, "case_type"):
        out.extend(_rows(replication, "case_type", group, counts(frame)))
    return out


def delay_attribution(children: pd.DataFrame, replication: int) -> list[tuple]:
    """Mean weeks a disposed child spent waiting on, and being worked on by, each agency."""
    disposed = disposed_rows(children)
    out: list[tuple] = []
    for agency in AGENCIES:
        for kind in ("wait", "active"):
            column = f"{kind}_{agency}_days"
            values = disposed[column].to_numpy(dtype=float) / WEEK_DAYS
            mean = float(np.nanmean(values)) if len(values) and not np.isnan(values).all() else math.nan
            out.append((replication, f"{'waiting' if kind == 'wait' else 'active'}_weeks_mean", "agency", agency, mean))
    return out


def end_state_indicators(timeline: pd.DataFrame, replication: int) -> list[tuple]:
    """Open caseload and Cafcass unallocated queue at the last snapshot, summed over regions."""
    if timeline.empty:
        return []
    last = timeline[timeline["date"] == timeline["date"].max()]
    by_measure = last.groupby(last["measure"].astype(str), observed=True)["value"].sum()
    out: list[tuple] = []
    open_cases = {m.split(":", 1)[1]: v for m, v in by_measure.items() if m.startswith("open_cases:")}
    if open_cases:
        out.append((replication, "open_cases_at_end_count", "all", "all", float(sum(open_cases.values()))))
        for case_type, value in open_cases.items():
            out.append((replication, "open_cases_at_end_count", "case_type", case_type, float(value)))
    if "open_children" in by_measure:
        out.append((replication, "open_children_at_end_count", "all", "all", float(by_measure["open_children"])))
    for team, measure in CAFCASS_TEAMS.items():
        if measure in by_measure:
            out.append((replication, "cafcass_unallocated_at_end_count", "team", team, float(by_measure[measure])))
    return out


def indicators(children: pd.DataFrame, timeline: pd.DataFrame | None = None) -> pd.DataFrame:
    """All indicators, per replication, as tidy long rows (see the module docstring)."""
    reps = set(children["replication"].unique().tolist())
    if timeline is not None:
        reps |= set(timeline["replication"].unique().tolist())
    rows: list[tuple] = []
    for rep in sorted(int(r) for r in reps):
        kids = children[children["replication"] == rep]
        rows += disposal_indicators(kids, rep)
        rows += volume_indicators(kids, rep)
        rows += delay_attribution(kids, rep)
        if timeline is not None:
            rows += end_state_indicators(timeline[timeline["replication"] == rep], rep)
    frame = pd.DataFrame(rows, columns=INDICATOR_COLUMNS)
    frame["replication"] = frame["replication"].astype("int64")
    frame["value"] = frame["value"].astype(float)
    return frame


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float, float, int]:
    """(mean, low, high, sd, n) of the non-missing values; the interval is NaN with fewer than two values."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan, math.nan, 0
    mean = float(np.mean(values))
    if n == 1:
        return mean, math.nan, math.nan, math.nan, 1
    sd = float(np.std(values, ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return mean, mean - half, mean + half, sd, n


def t_intervals(frame: pd.DataFrame, keys: list[str], column: str = "value", level: float = 0.95) -> pd.DataFrame:
    """:func:`t_interval` of ``column`` within each group of ``keys``, for every group at once.

    Returns the keys and ``mean, ci95_low, ci95_high, sd, replications`` (the count of non-missing values),
    one row per group in the order groups first appear.
    """
    grouped = frame.groupby(keys, sort=False, dropna=False)[column]
    out = grouped.agg(["mean", "std", "count"]).reset_index()
    n = out["count"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        quantile = stats.t.ppf(0.5 + level / 2, np.where(n > 1, n - 1, np.nan))
        half = quantile * out["std"].to_numpy(dtype=float) / np.sqrt(n)
    mean = out["mean"].to_numpy(dtype=float)
    out["ci95_low"] = mean - half
    out["ci95_high"] = mean + half
    out = out.rename(columns={"std": "sd", "count": "replications"})
    out["replications"] = out["replications"].astype("int64")
    return out[[*keys, "mean", "ci95_low", "ci95_high", "sd", "replications"]]


def summarise(per_replication: pd.DataFrame) -> pd.DataFrame:
    """One row per (indicator, breakdown, group): mean across replications, Student-t 95% CI, sd, count.

    Rows keep the order in which indicators first appear, so the file reads the same every time.
    """
    if per_replication.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    return t_intervals(per_replication, ["indicator", "breakdown", "group"])[SUMMARY_COLUMNS]


def half_width_share(per_replication: pd.DataFrame, targets: Iterable[tuple[str, str, str]] = HEADLINE) -> float:
    """The largest CI half-width as a share of its mean among ``targets`` (inf when not yet estimable)."""
    worst = 0.0
    targets = list(targets)
    keys = pd.MultiIndex.from_frame(per_replication[["indicator", "breakdown", "group"]])
    summary = summarise(per_replication[keys.isin(targets)]).set_index(["indicator", "breakdown", "group"])
    for target in targets:
        if target not in summary.index:
            continue
        row = summary.loc[target]
        if row["replications"] < 2 or not np.isfinite(row["ci95_high"]) or row["mean"] == 0:
            return math.inf
        worst = max(worst, (row["ci95_high"] - row["mean"]) / abs(row["mean"]))
    return worst
