"""Indicators from the records of a run, each computed once, by one function, from the children table.

Pure pandas and numpy on the tables a replication writes (``children.parquet``, ``stages.parquet`` and
``timeline.parquet`` read as DataFrames; one or many replications). :func:`indicators` returns *tidy long*
rows, per replication::

    replication, indicator, breakdown, group, value

e.g. ``0, time_to_disposal_weeks_mean, case_type, public_law, 41.3``; :func:`sim.analysis.statistics.summarise`
puts a mean and a Student-t 95% CI on each. Units are in the names (``_weeks``, ``_days``, ``_share``,
``_count``): time to disposal is in weeks, as the published figures are; the shorter times (to a first
hearing, to a safeguarding step, to fact-finding) and the attribution of days to agencies are in days. The
court's wait (``wait_court_days_mean``) is also split into procedural notice (``notice_court_days_mean``) and
waiting for a listing (``listing_court_days_mean``), with their ``_share`` of attributed days.
With a scenario's ``costs:``, the cost of delay per child, per case and a year (:mod:`sim.analysis.costs`).
``breakdown == "all"`` (with ``group == "all"``) is every child; the other breakdowns are the case type, the
pathway, the domestic-abuse flag, the age band, the region and every extra group attribute the scenario
declares (:func:`sim.analysis.rows.breakdowns`), and the case type crossed with the domestic-abuse flag, the
region and the age band (:data:`CROSSED_BREAKDOWNS`: breakdown ``case_type/domestic_abuse``, group
``private_law/true``), so that a question about one case type is never answered from a pool of case types
(every Family Law Act remedy is flagged for domestic abuse, so "domestic abuse" alone mostly measures them).

Two measures of time to disposal, two definitions
-------------------------------------------------

* ``time_to_disposal_weeks_*``: children whose case **started in the results period** and was disposed by its
  end, one per child; cases still open at the end are left out, so a long run lengthens it.
* ``cases_disposed_in_period_weeks_mean`` and ``cases_disposed_in_period_within_26_weeks_share``: cases
  **disposed in the results period**, whenever they started (warm-up and declared open cases too), one per
  case: the way FCSQ counts them, and the way validation measures them (:mod:`sim.analysis.trajectory`).

:data:`HEADLINE_DEFINITIONS` names each in words, and the headline (:data:`HEADLINE`) is per case type: no
headline pools public law, private law and domestic-abuse remedies.

Which rows count
----------------

* **Flows** (times to first hearing and to disposal, the 26-week shares, the share of life, hearings per case,
  domestic-abuse safeguarding times, delay attribution, children and cases started) are measured on results
  rows (:func:`sim.analysis.rows.results_rows`: not started during the warm-up, not from the declared open
  caseload, whose times would be truncated or made up). Times to disposal use disposed cases only; the
  26-week shares are therefore shares of *disposed* cases (see the open-over-a-year counts for the others).
* **Stocks** (child-days in proceedings, children open over a year or 100 weeks at the end) count every child
  in proceedings at the time, whenever the case started, but only days inside the results period
  (:mod:`sim.analysis.periods`). Open caseload and the Cafcass unallocated queue at the end are read from the
  last snapshot in the timeline, summed over regions.
* Diverted cases (pre-proceedings that never reached court) have no days in proceedings and are left out.
* A child counts once per case: a case with three siblings counts three times. Per-case indicators
  (``public_law_cases_within_26_weeks_share``, hearings per case, fact-finding needed) count each case once.
* Percentiles use linear interpolation between order statistics (numpy's default), so they can be checked by
  hand. An indicator that does not apply to a group (no public law case in it, say) is left out for that
  group; on ``breakdown == "all"`` it is kept, as a missing value.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from sim.analysis.attribution import ATTRIBUTION_COLUMNS, NOTICE_COLUMN, attribution_indicators, case_events
from sim.analysis.costs import cost_arrays, costed_agencies, delay_indicators
from sim.analysis.periods import Period, child_days_by_month, day, infer_period, intervals, overlap_days
from sim.analysis.rows import Rows, breakdowns, group_index, is_label
from sim.scenario.schema import Costs
from sim.vocabulary import CASE_TYPES, DAYS_PER_YEAR, STATUS_DISPOSED, STATUS_OPEN, TARGET_WEEKS, WEEK_DAYS

KEYS = ["indicator", "breakdown", "group"]
INDICATOR_COLUMNS = ["replication", *KEYS, "value"]
ALL = "all"
"""The breakdown (and group) of every child."""
MEDIAN, P90 = 0.5, 0.9
LONG_WAITS_DAYS = {"1_year": DAYS_PER_YEAR, "100_weeks": 100 * WEEK_DAYS}
"""Thresholds for long waits, by the label used in indicator names."""
VOLUME_BREAKDOWNS = (ALL, "case_type")
"""Children and cases started are counted overall and by case type."""
CAFCASS_TEAMS = {"short_term": "unallocated:cafcass_short_term", "long_term": "unallocated:cafcass_long_term"}
EVENT_DAYS = ("days_to_first_safeguarding_step", "days_to_fact_finding")
"""Per-case times from :func:`sim.analysis.attribution.case_events`, when the stages table is given."""

HEADLINE = [("time_to_disposal_weeks_mean", "case_type", case_type) for case_type in CASE_TYPES]
"""The indicators a run is judged by first, one per case type (no headline pools them): the sequential precision
rule, the comparison's headline family and the plots use them."""
DISPOSED_IN_PERIOD = "cases_disposed_in_period_weeks_mean"
HEADLINE_DEFINITIONS = {
    "time_to_disposal_weeks_mean": "children whose case started in the results period and was disposed by its end, "
    "one per child (cases still open at the end are left out)",
    DISPOSED_IN_PERIOD: "cases disposed in the results period, whenever they started, one per case, as FCSQ counts "
    "them",
}
"""Which cases each measure of time to disposal counts, in words to print beside its figure."""
CROSSED_BREAKDOWNS = (("case_type", "domestic_abuse"), ("case_type", "region"), ("case_type", "age_band"))
"""Breakdowns within each case type: named ``case_type/COLUMN``, their groups ``CASE_TYPE/GROUP``."""
CROSS = "/"

Arrays = Mapping[str, np.ndarray]
"""Columns of a set of child rows as numpy arrays: selecting a group is one fancy index per column."""


# ---------------------------------------------------------------------------------------------- helpers
def _stats(prefix: str, values: np.ndarray) -> dict[str, float]:
    """mean, median and p90 (linear interpolation, numpy's default) of the non-missing values."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return {f"{prefix}_mean": math.nan, f"{prefix}_median": math.nan, f"{prefix}_p90": math.nan}
    median, p90 = np.quantile(values, [MEDIAN, P90])  # one partial sort for both, not one each
    return {f"{prefix}_mean": float(np.mean(values)), f"{prefix}_median": float(median), f"{prefix}_p90": float(p90)}


def _share(flags: np.ndarray) -> float:
    """The share of true flags; NaN with none (a share of nobody is unknown, not zero)."""
    return float(np.mean(flags)) if len(flags) else math.nan


def _arrays(children: pd.DataFrame, run_end: pd.Timestamp, events: Arrays | None = None) -> Arrays:
    """The columns the indicators read, as arrays, with the status and type tests done once (``events``: the
    per-row :data:`EVENT_DAYS`, when the stages table was given)."""
    status = children["status"]
    start, end = intervals(children, run_end)
    out: dict[str, np.ndarray] = {
        "case_id": children["case_id"].to_numpy(),
        "child_id": children["child_id"].to_numpy(),
        "results": ~(children["warm_up"].to_numpy(dtype=bool) | children["from_open_caseload"].to_numpy(dtype=bool)),
        "disposed": is_label(status, STATUS_DISPOSED),
        "open": is_label(status, STATUS_OPEN),
        "public_law": is_label(children["case_type"], "public_law"),
        "private_law_pathway": is_label(children["pathway"], "private_law"),
        "domestic_abuse": children["domestic_abuse"].to_numpy(dtype=bool),
        "start": start,
        "end": end,
    }
    for column in (
        "age_at_start_years",
        "days_to_first_hearing",
        "days_to_disposal",
        "days_in_proceedings",
        "hearings",
        "adjournments",
        "vacated",
        *ATTRIBUTION_COLUMNS,
    ):
        out[column] = children[column].to_numpy(dtype=float)
    out["weeks_to_disposal"] = out["days_to_disposal"] / WEEK_DAYS
    if NOTICE_COLUMN in children.columns:  # results written before the court's wait was split lack it
        out[NOTICE_COLUMN] = children[NOTICE_COLUMN].to_numpy(dtype=float)
    for column in EVENT_DAYS:
        if events is not None and column in events:
            out[column] = events[column]
        elif column in children.columns:
            out[column] = children[column].to_numpy(dtype=float)
    return out


def _take(rows: Arrays, index: np.ndarray) -> Rows:
    """The rows at ``index`` (positions or a mask) of every column, each taken when first read."""
    return Rows(rows, index)


def _per_case(rows: Arrays) -> Arrays:
    """One row per case (the first child row of each, in row order). Found by hashing, not sorting: three times as
    fast as ``np.unique(..., return_index=True)`` on a national replication's rows, with the same positions."""
    return _take(rows, np.flatnonzero(~pd.Series(rows["case_id"]).duplicated().to_numpy()))


# ---------------------------------------------------------------------------------------------- flows
def _disposal_indicators(disposed: Arrays, cases: Arrays) -> dict[str, float]:
    """Time to disposal in weeks, the 26-week shares and the long waits of disposed children (``cases``: the first
    of their rows of each case)."""
    weeks = disposed["weeks_to_disposal"]
    out = _stats("time_to_disposal_weeks", weeks)
    out["disposed_within_26_weeks_share"] = _share(weeks <= TARGET_WEEKS)
    out["children_disposed_count"] = float(len(weeks))
    public = _take(cases, cases["public_law"])  # a case type is its case's: the first row of each public law case
    if len(public["case_id"]):
        out["public_law_cases_within_26_weeks_share"] = _share(public["weeks_to_disposal"] <= TARGET_WEEKS)
    for label, threshold_days in LONG_WAITS_DAYS.items():
        over = disposed["days_to_disposal"] > threshold_days
        out[f"children_disposed_after_over_{label}_count"] = float(over.sum())
        out[f"children_disposed_after_over_{label}_share"] = _share(over)
    return out


def _flow_indicators(rows: Arrays, disposed: Arrays) -> dict[str, float]:
    """Times, shares and per-case counts of results rows (see the module docstring); ``disposed``: those of them
    whose case was disposed."""
    out = _stats("days_to_first_hearing", rows["days_to_first_hearing"])
    cases = _per_case(disposed)
    out.update(_disposal_indicators(disposed, cases))
    spent_days = rows["days_in_proceedings"]
    issued = ~np.isnan(spent_days)
    spent_days = spent_days[issued]
    age_days = rows["age_at_start_years"][issued] * DAYS_PER_YEAR + spent_days
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(age_days > 0, spent_days / age_days, np.nan)
    out.update(_stats("share_of_life_in_proceedings", np.minimum(share, 1.0)))
    for column in ("hearings", "adjournments", "vacated"):
        per_case = cases[column]
        out[f"{column}_per_case_mean"] = float(per_case.mean()) if len(per_case) else math.nan
    return out


def _volume_indicators(rows: Arrays) -> dict[str, float]:
    """How many cases, children and child-cases (a child in each of its cases) started in the results period."""
    return {
        "cases_started_count": float(pd.Series(rows["case_id"]).nunique()),
        "children_started_count": float(pd.Series(rows["child_id"]).nunique()),
        "child_cases_started_count": float(len(rows["case_id"])),
    }


def _domestic_abuse_indicators(rows: Arrays) -> dict[str, float]:
    """For children with domestic abuse in the family: days to the first safeguarding step and to fact-finding."""
    if not all(column in rows for column in EVENT_DAYS):
        return {}
    flagged = _take(rows, rows["domestic_abuse"])
    if not len(flagged["case_id"]):
        return {}
    out = _stats("domestic_abuse_days_to_first_safeguarding_step", flagged["days_to_first_safeguarding_step"])
    out.update(_stats("domestic_abuse_days_to_fact_finding", flagged["days_to_fact_finding"]))
    private = _per_case(_take(flagged, flagged["disposed"] & flagged["private_law_pathway"]))
    if len(private["case_id"]):
        out["domestic_abuse_fact_finding_needed_share"] = _share(~np.isnan(private["days_to_fact_finding"]))
    return out


def _disposed_in_period_indicators(rows: Arrays, period: Period) -> dict[str, float]:
    """Cases disposed in the period, whenever they started, one per case: FCSQ's measure (module docstring)."""
    lo, hi = day(period[0]), day(period[1])
    cases = _per_case(_take(rows, rows["disposed"] & (rows["end"] >= lo) & (rows["end"] < hi)))
    if not len(cases["case_id"]):
        return {}
    weeks = cases["weeks_to_disposal"]
    return {
        DISPOSED_IN_PERIOD: float(np.mean(weeks)),
        "cases_disposed_in_period_within_26_weeks_share": _share(weeks <= TARGET_WEEKS),
    }


# ---------------------------------------------------------------------------------------------- stocks
def _stock_indicators(rows: Arrays, period: Period) -> dict[str, float]:
    """Child-days in proceedings inside the period, their daily mean, and children open over long waits at the end."""
    lo, hi = day(period[0]), day(period[1])
    child_days = float(overlap_days(rows["start"], rows["end"], lo, hi).sum())
    days = float((hi - lo).astype(int))
    out = {
        "child_days_in_proceedings_count": child_days,
        "open_children_daily_mean": child_days / days if days > 0 else math.nan,
    }
    waited_days = rows["days_in_proceedings"][rows["open"]]
    for label, threshold_days in LONG_WAITS_DAYS.items():
        out[f"children_open_over_{label}_at_end_count"] = float((waited_days > threshold_days).sum())
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
        out.append((replication, "open_cases_at_end_count", ALL, ALL, float(sum(open_cases.values()))))
        for case_type, value in open_cases.items():
            out.append((replication, "open_cases_at_end_count", "case_type", case_type, float(value)))
    if "open_children" in by_measure:
        out.append((replication, "open_children_at_end_count", ALL, ALL, float(by_measure["open_children"])))
    for team, measure in CAFCASS_TEAMS.items():
        if measure in by_measure:
            out.append((replication, "cafcass_unallocated_at_end_count", "team", team, float(by_measure[measure])))
    return out


# ---------------------------------------------------------------------------------------------- all of them
def _group_indicators(subset: Arrays, breakdown: str, period: Period, agencies: list[str]) -> dict[str, float]:
    """Every child-centred indicator of one group of child rows (``agencies``: those with a delay cost)."""
    flows = _take(subset, subset["results"])
    disposed = _take(flows, flows["disposed"])
    proceeding = _take(subset, ~np.isnan(subset["days_in_proceedings"]))
    disposed_days = {column: disposed[column] for column in (*ATTRIBUTION_COLUMNS, NOTICE_COLUMN) if column in flows}
    return {
        **_flow_indicators(flows, disposed),
        **(_volume_indicators(flows) if breakdown in VOLUME_BREAKDOWNS else {}),
        **attribution_indicators(disposed_days),
        **_domestic_abuse_indicators(flows),
        **_stock_indicators(proceeding, period),
        **_disposed_in_period_indicators(subset, period),
        **delay_indicators(subset, flows, period, agencies),
    }


def _crossed_groups(kids: pd.DataFrame) -> Iterator[tuple[str, str, np.ndarray]]:
    """(breakdown, group, row positions) of every group of :data:`CROSSED_BREAKDOWNS` that occurs."""
    for outer, inner in CROSSED_BREAKDOWNS:
        if outer not in kids.columns or inner not in kids.columns:
            continue
        for outer_group, outer_index in group_index(kids, outer):
            for inner_group, inner_index in group_index(kids[[inner]].iloc[outer_index], inner):
                yield outer + CROSS + inner, outer_group + CROSS + inner_group, outer_index[inner_index]


def _replications(children: pd.DataFrame, timeline: pd.DataFrame | None) -> list[int]:
    """Replication numbers in either table (a table without the column is replication 0)."""
    reps = set(children["replication"].unique().tolist()) if "replication" in children.columns else {0}
    if timeline is not None:
        reps |= set(timeline["replication"].unique().tolist())
    return sorted(int(r) for r in reps)


def _one(frame: pd.DataFrame, replication: int) -> pd.DataFrame:
    """The rows of one replication (all rows of a table without a replication column, or of one replication only:
    then the frame itself, not a copy, as a replication's tables are read one at a time to bound memory)."""
    if "replication" not in frame.columns:
        return frame
    mine = (frame["replication"] == replication).to_numpy()
    return frame if mine.all() else frame[mine]


def _event_days(kids: pd.DataFrame, times: pd.DataFrame) -> Arrays:
    """:data:`EVENT_DAYS` of each child row, from the per-case times of
    :func:`sim.analysis.attribution.case_events` (NaN for a case without them): what a left merge on ``case_id``
    gives, without copying the children table."""
    position = pd.Index(times["case_id"]).get_indexer(kids["case_id"])
    missing = position < 0
    out = {}
    for column in EVENT_DAYS:
        values = times[column].to_numpy(dtype=float)[np.where(missing, 0, position)] if len(times) else None
        out[column] = np.full(len(kids), np.nan) if values is None else np.where(missing, np.nan, values)
    return out


def indicators(
    children: pd.DataFrame,
    stages: pd.DataFrame | None = None,
    period: Period | None = None,
    timeline: pd.DataFrame | None = None,
    by_month: bool = True,
    case_times: pd.DataFrame | None = None,
    costs: Costs | None = None,
) -> pd.DataFrame:
    """Every indicator, per replication, as tidy long rows (see the module docstring).

    ``stages`` adds the domestic-abuse safeguarding and fact-finding indicators (or ``case_times``, what
    :func:`sim.analysis.attribution.case_events` made of them, so a caller need not hold the stage table and the
    children's columns at once); ``period`` (results start,
    run end; :func:`sim.analysis.periods.run_period` reads it from a manifest) places the stock measures, and
    is inferred from the children table when not given; ``timeline`` adds the open caseload and Cafcass queue
    at the end. ``by_month`` adds child-days in proceedings per calendar month (breakdown ``month``, group
    ``YYYY-MM``). ``costs`` (a scenario's) adds the cost of delay (:mod:`sim.analysis.costs`).
    """
    period = period or infer_period(children)
    run_end = pd.Timestamp(period[1])
    group_columns, agencies = breakdowns(children), costed_agencies(costs)
    rows: list[tuple] = []
    for rep in _replications(children, timeline):
        kids = _one(children, rep)
        if not isinstance(kids.index, pd.RangeIndex) or kids.index.start != 0 or kids.index.step != 1:
            kids = kids.reset_index(drop=True)
        times = case_times if case_times is not None or stages is None else case_events(kids, _one(stages, rep))
        events = _event_days(kids, _one(times, rep)) if times is not None else None
        del times
        arrays = {**_arrays(kids, run_end, events), **(cost_arrays(kids, costs, period, run_end) if agencies else {})}
        del events
        split = itertools.chain(  # one group's positions at a time: a million rows' worth each
            [(ALL, ALL, None)],
            ((column, group, index) for column in group_columns for group, index in group_index(kids, column)),
            _crossed_groups(kids),
        )
        for breakdown, group, index in split:
            values = _group_indicators(arrays if index is None else _take(arrays, index), breakdown, period, agencies)
            rows += [(rep, name, breakdown, group, value) for name, value in values.items()]
        if by_month:
            monthly = child_days_by_month(kids, period)
            rows += [
                (rep, "child_days_in_proceedings_count", "month", r.month, float(r.child_days))
                for r in monthly.itertuples()
            ]
        if timeline is not None:
            rows += end_state_indicators(_one(timeline, rep), rep)
    frame = pd.DataFrame(rows, columns=INDICATOR_COLUMNS)
    frame["replication"] = frame["replication"].astype("int64")
    frame["value"] = frame["value"].astype(float)
    # an indicator that does not apply to a group is NaN in every replication: leave it out, except for everyone
    known = frame.groupby(KEYS, sort=False)["value"].transform("count") > 0
    frame = frame[known | (frame["breakdown"] == ALL)]
    order = {name: i for i, name in enumerate(dict.fromkeys(frame["indicator"]))}
    frame = frame.sort_values(
        ["replication", "indicator"], key=lambda c: c.map(order) if c.name == "indicator" else c, kind="stable"
    )
    return frame.reset_index(drop=True)
