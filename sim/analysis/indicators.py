"""Indicators centred on children, and where each child's days in proceedings went (delay attribution).

Pure pandas on the tables a run writes (``children.parquet``, ``stages.parquet``; one or many replications).
Indicators come back per replication in the tidy long format of :mod:`sim.analysis.indicators`::

    replication, indicator, breakdown, group, value

so :func:`sim.analysis.indicators.summarise` puts a mean and a Student-t 95% CI on each. Units are in the names
(``_days``, ``_share``, ``_count``). ``breakdown == "all"`` is every child; the other breakdowns are the
case type, the pathway (``pathfinder`` or not), the domestic-abuse flag, the age band, the region, and every
extra group attribute the scenario declares (the columns between ``age_band`` and ``is_return``).

Which rows count
----------------

* **Flows** (times to first hearing and to disposal, the 26-week share, the share of life, hearings per case,
  domestic-abuse safeguarding times, delay attribution) are measured on children whose case started in the
  results period: rows flagged ``warm_up`` (started during the warm-up) and ``from_open_caseload`` (the
  declared starting caseload, whose earlier history is made up) are left out, exactly as in
  :mod:`sim.analysis.indicators`. Times to disposal use disposed cases only; the 26-week share is therefore the share
  of *disposed* cases (a case still open after 26 weeks does not lower it: see the open-over-a-year counts).
* **Stocks** (children open at a date, child-days in proceedings by month, children still open after a year
  or 100 weeks at the end of the run) count every child in proceedings at the time, whenever the case
  started -- including warm-up and open-caseload cases -- but only days inside the results period. This is
  what the timeline's ``open_children`` measure counts; leaving those children out would show an empty
  system at the start of the results period.
* Diverted cases (pre-proceedings that never reached court) have no days in proceedings and are left out.
* A child counts once per case: a case with three siblings counts three times, a child who returns to court
  counts once in each case. Per-case indicators (the 26-week share, hearings per case, fact-finding needed)
  count each case once within each group.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.statistics import INDICATOR_COLUMNS, group_label, groups, results_rows
from sim.vocabulary import AGENCIES, DAYS_PER_YEAR, WEEK_DAYS

KINDS = ("wait", "active")
ATTRIBUTION_COLUMNS = [f"{kind}_{agency}_days" for kind in KINDS for agency in AGENCIES]
"""The eight columns of children.parquet that split a child's days in proceedings (four waits, four actives)."""

FIXED_BREAKDOWNS = ("case_type", "pathway", "domestic_abuse", "age_band", "region")
TARGET_DAYS = 26 * WEEK_DAYS
LONG_WAITS = {"1_year": DAYS_PER_YEAR, "100_weeks": 100 * WEEK_DAYS}
"""Thresholds for long waits, by the label used in indicator names."""
SAFEGUARDING_STAGES = ("safeguarding_checks", "gatekeeping", "without_notice_hearing")
"""The first step that looks at a child's safety: Cafcass checks, Pathfinder gatekeeping, a without-notice hearing."""
FACT_FINDING_STAGE = "fact_finding_hearing"


# ---------------------------------------------------------------------------------------------- helpers
def breakdowns(children: pd.DataFrame) -> list[str]:
    """The group columns of a children table: the fixed ones and the scenario's extra attributes.

    Extra attributes are the columns between ``age_band`` and ``is_return`` (see :class:`sim.model.records.Recorder`).
    """
    columns = list(children.columns)
    extra: list[str] = []
    if "age_band" in columns and "is_return" in columns:
        extra = columns[columns.index("age_band") + 1 : columns.index("is_return")]
    return [c for c in FIXED_BREAKDOWNS if c in columns] + extra


def _stats(prefix: str, values: np.ndarray) -> dict[str, float]:
    """mean, median and p90 (linear interpolation, numpy's default) of the non-missing values."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return {f"{prefix}_mean": math.nan, f"{prefix}_median": math.nan, f"{prefix}_p90": math.nan}
    return {
        f"{prefix}_mean": float(np.mean(values)),
        f"{prefix}_median": float(np.quantile(values, 0.5)),
        f"{prefix}_p90": float(np.quantile(values, 0.9)),
    }


def _share(flags: np.ndarray) -> float:
    return float(np.mean(flags)) if len(flags) else math.nan


def _frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=INDICATOR_COLUMNS)
    frame["replication"] = frame["replication"].astype("int64")
    frame["value"] = frame["value"].astype(float)
    return frame


def _replications(children: pd.DataFrame) -> list[int]:
    if "replication" not in children.columns:
        return [0]
    return sorted(int(r) for r in children["replication"].unique())


def _one(frame: pd.DataFrame, replication: int) -> pd.DataFrame:
    if "replication" not in frame.columns:
        return frame
    return frame[frame["replication"] == replication]


def in_proceedings(children: pd.DataFrame) -> pd.DataFrame:
    """Rows of children whose case reached court (issued): not diverted, not still in pre-proceedings at the end."""
    return children[children["days_in_proceedings"].notna()]


# ---------------------------------------------------------------------------------------------- the run period
def run_period(manifest: dict[str, Any]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(results start, run end) of a run, from its manifest: the start date and start + run_years x 365.25 days."""
    start = pd.Timestamp(manifest["starting_state"]["results_start_date"])
    years = float(manifest["scenario"]["resolved"]["run_years"])
    return start, start + pd.Timedelta(days=years * DAYS_PER_YEAR)


def infer_period(children: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(results start, run end) estimated from a children table when the manifest is not at hand.

    The start is the earliest start date of a case that started in the results period; the end is the latest
    of the end dates and of (start + days in proceedings) of cases open at the end. Both are to the day.
    """
    rows = results_rows(children)
    starts = pd.to_datetime(rows["start_date"] if len(rows) else children["start_date"])
    start = starts.min()
    ends = pd.to_datetime(children["end_date"]).dropna()
    open_rows = children[children["status"].astype(str) == "open"]
    open_ends = pd.to_datetime(open_rows["start_date"]) + pd.to_timedelta(open_rows["days_in_proceedings"], unit="D")
    end = max([e for e in (ends.max(), open_ends.max()) if pd.notna(e)], default=start)
    return pd.Timestamp(start), pd.Timestamp(end).ceil("D")


def _intervals(children: pd.DataFrame, run_end: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (datetime64[D]) of each row's time in proceedings; an open case ends at the run end."""
    if "_start" in children.columns:
        return children["_start"].to_numpy(dtype="datetime64[D]"), children["_end"].to_numpy(dtype="datetime64[D]")
    start = pd.to_datetime(children["start_date"]).to_numpy(dtype="datetime64[D]")
    end = pd.to_datetime(children["end_date"]).to_numpy(dtype="datetime64[D]")
    end = np.where(np.isnat(end), np.datetime64(run_end.date(), "D"), end)
    return start, end


def months(period: tuple[pd.Timestamp, pd.Timestamp]) -> list[tuple[str, np.datetime64, np.datetime64]]:
    """(label YYYY-MM, first day, day after the last) of each calendar month of the period, clipped to it."""
    start, end = (np.datetime64(pd.Timestamp(t).date(), "D") for t in period)
    out = []
    month = start.astype("datetime64[M]")
    while month.astype("datetime64[D]") < end:
        lo = max(month.astype("datetime64[D]"), start)
        hi = min((month + 1).astype("datetime64[D]"), end)
        out.append((str(month), lo, hi))
        month = month + 1
    return out


def child_days_by_month(
    children: pd.DataFrame, period: tuple[pd.Timestamp, pd.Timestamp] | None = None, by: str | None = None
) -> pd.DataFrame:
    """Child-days in proceedings in each month of the results period (open children x days), per replication.

    Every child in proceedings counts (a stock: see the module docstring), only for days inside ``period``
    (default: :func:`infer_period`). Returns columns ``replication, month, [by,] child_days, days,
    open_children_mean`` where ``open_children_mean`` is child-days / days in the month.
    """
    period = period or infer_period(children)
    rows = in_proceedings(children)
    start, end = _intervals(rows, pd.Timestamp(period[1]))
    reps = rows["replication"].to_numpy() if "replication" in rows.columns else np.zeros(len(rows), dtype=int)
    keys = rows[by].astype(str).to_numpy() if by else np.full(len(rows), "all")
    out = []
    for label, lo, hi in months(period):
        overlap = (np.minimum(end, hi) - np.maximum(start, lo)).astype("timedelta64[D]").astype(float)
        overlap = np.clip(overlap, 0, None)
        frame = pd.DataFrame({"replication": reps, "key": keys, "child_days": overlap})
        days = float((hi - lo).astype(int))
        summed = frame.groupby(["replication", "key"], sort=True)["child_days"].sum().reset_index()
        summed["month"] = label
        summed["days"] = days
        out.append(summed)
    if not out:
        return pd.DataFrame(columns=["replication", "month", *([by] if by else []), "child_days", "days"])
    result = pd.concat(out, ignore_index=True)
    result["open_children_mean"] = result["child_days"] / result["days"]
    result = result.rename(columns={"key": by} if by else {}).drop(columns=[] if by else ["key"])
    columns = ["replication", "month", *([by] if by else []), "child_days", "days", "open_children_mean"]
    return result[columns]


def open_over(children: pd.DataFrame, threshold_days: float, dates: Sequence[Any]) -> pd.DataFrame:
    """Children in proceedings at each date who had by then been in proceedings longer than ``threshold_days``.

    Counted per replication from start and end dates (a stock: every child open at the date counts). Returns
    ``replication, date, children``.
    """
    rows = in_proceedings(children)
    run_end = pd.Timestamp(max(pd.Timestamp(d) for d in dates)) + pd.Timedelta(days=1)
    start, end = _intervals(rows, run_end)
    open_rows = (rows["status"].astype(str) == "open").to_numpy()
    end = np.where(open_rows, np.datetime64("NaT"), end)
    reps = rows["replication"].to_numpy() if "replication" in rows.columns else np.zeros(len(rows), dtype=int)
    out = []
    for date in dates:
        day = np.datetime64(pd.Timestamp(date).date(), "D")
        still_open = np.isnat(end) | (end > day)
        waited = (day - start).astype("timedelta64[D]").astype(float)
        hit = (start <= day) & still_open & (waited > threshold_days)
        counts = pd.Series(hit).groupby(reps).sum()
        for rep, n in counts.items():
            out.append((int(rep), pd.Timestamp(date), int(n)))
    return pd.DataFrame(out, columns=["replication", "date", "children"])


# ---------------------------------------------------------------------------------------------- stage times
def case_events(children: pd.DataFrame, stages: pd.DataFrame) -> pd.DataFrame:
    """Per (replication, case_id): when the case was issued, its first safeguarding step and fact-finding hearing.

    The issue time is the moment the first stage after issue was requested (stages run back to back from
    issue); for a case from the declared open caseload, whose early stages were never simulated, and for a
    case without stages, it is the midnight of its start date. Times are timestamps; the day counts
    ``days_to_first_safeguarding_step`` and ``days_to_fact_finding`` are from issue to the *start* of the stage.
    """
    keys = ["replication", "case_id"] if "replication" in children.columns else ["case_id"]
    cases = children.drop_duplicates(keys)[[*keys, "start_date", "from_open_caseload"]].copy()
    cases["start_midnight"] = pd.to_datetime(cases["start_date"])
    if "replication" not in stages.columns and "replication" in keys:
        stages = stages.assign(replication=0)
    stage = stages["stage"].astype(str)
    after_issue = stages[stage != "pre_proceedings"]
    first = after_issue.groupby(keys, sort=False)["requested"].min().rename("first_requested")
    safeguarding = (
        stages[stage.isin(SAFEGUARDING_STAGES)].groupby(keys, sort=False)["started"].min().rename("safeguarding")
    )
    fact_finding = stages[stage == FACT_FINDING_STAGE].groupby(keys, sort=False)["started"].min().rename("fact_finding")
    cases = cases.join(first, on=keys).join(safeguarding, on=keys).join(fact_finding, on=keys)
    use_first = (
        cases["first_requested"].notna()
        & ~cases["from_open_caseload"].astype(bool)
        & (cases["first_requested"].dt.normalize() == cases["start_midnight"])
    )
    cases["issued"] = cases["first_requested"].where(use_first, cases["start_midnight"])
    day = pd.Timedelta(days=1)
    cases["days_to_first_safeguarding_step"] = (cases["safeguarding"] - cases["issued"]) / day
    cases["days_to_fact_finding"] = (cases["fact_finding"] - cases["issued"]) / day
    return cases[[*keys, "issued", "safeguarding", "fact_finding", "days_to_first_safeguarding_step",
                  "days_to_fact_finding"]].reset_index(drop=True)  # fmt: skip


# ---------------------------------------------------------------------------------------------- indicators
Arrays = dict[str, np.ndarray]
"""Columns of a set of child rows as numpy arrays: selecting a group is one fancy index per column."""


def _arrays(children: pd.DataFrame, run_end: pd.Timestamp) -> Arrays:
    """The columns the indicators read, as arrays, with the status and type tests done once."""
    status = children["status"].astype(str).to_numpy()
    start, end = _intervals(children, run_end)
    out: Arrays = {
        "case_id": children["case_id"].to_numpy(),
        "results": ~(children["warm_up"].to_numpy(dtype=bool) | children["from_open_caseload"].to_numpy(dtype=bool)),
        "disposed": status == "disposed",
        "open": status == "open",
        "public_law": children["case_type"].astype(str).to_numpy() == "public_law",
        "private_law_pathway": children["pathway"].astype(str).to_numpy() == "private_law",
        "domestic_abuse": children["domestic_abuse"].to_numpy(dtype=bool),
        "start": start,
        "end": end,
    }
    for column in ("age_at_start_years", "days_to_first_hearing", "days_to_disposal", "days_in_proceedings",
                   "hearings", "adjournments", "vacated", *ATTRIBUTION_COLUMNS):  # fmt: skip
        out[column] = children[column].to_numpy(dtype=float)
    for column in ("days_to_first_safeguarding_step", "days_to_fact_finding"):
        if column in children.columns:
            out[column] = children[column].to_numpy(dtype=float)
    return out


def _take(rows: Arrays, index: np.ndarray) -> Arrays:
    return {k: v[index] for k, v in rows.items()}


def _per_case(rows: Arrays) -> Arrays:
    """One row per case (the first child row of each)."""
    _, first = np.unique(rows["case_id"], return_index=True)
    return _take(rows, np.sort(first))


def _flow_indicators(rows: Arrays) -> dict[str, float]:
    """Times, shares and per-case counts of results rows (see the module docstring)."""
    out: dict[str, float] = {}
    out.update(_stats("days_to_first_hearing", rows["days_to_first_hearing"]))
    disposed = _take(rows, rows["disposed"])
    days = disposed["days_to_disposal"]
    out.update(_stats("days_to_disposal", days))
    public = _per_case(_take(disposed, disposed["public_law"]))
    if len(public["case_id"]):
        out["public_law_cases_within_26_weeks_share"] = _share(public["days_to_disposal"] <= TARGET_DAYS)
    for label, threshold in LONG_WAITS.items():
        over = days > threshold
        out[f"children_disposed_after_over_{label}_count"] = float(over.sum())
        out[f"children_disposed_after_over_{label}_share"] = _share(over)
    spent = rows["days_in_proceedings"]
    issued = ~np.isnan(spent)
    spent = spent[issued]
    age_days = rows["age_at_start_years"][issued] * DAYS_PER_YEAR + spent
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(age_days > 0, spent / age_days, np.nan)
    out.update(_stats("share_of_life_in_proceedings", np.minimum(share, 1.0)))
    cases = _per_case(disposed)
    for column in ("hearings", "adjournments", "vacated"):
        per_case = cases[column]
        out[f"{column}_per_case_mean"] = float(per_case.mean()) if len(per_case) else math.nan
    return out


def _domestic_abuse_indicators(rows: Arrays) -> dict[str, float]:
    """For children with domestic abuse in the family: days to the first safeguarding step and to fact-finding."""
    if "days_to_fact_finding" not in rows:
        return {}
    flagged = _take(rows, rows["domestic_abuse"])
    if not len(flagged["case_id"]):
        return {}
    out: dict[str, float] = {}
    out.update(_stats("domestic_abuse_days_to_first_safeguarding_step", flagged["days_to_first_safeguarding_step"]))
    out.update(_stats("domestic_abuse_days_to_fact_finding", flagged["days_to_fact_finding"]))
    private = _per_case(_take(flagged, flagged["disposed"] & flagged["private_law_pathway"]))
    if len(private["case_id"]):
        out["domestic_abuse_fact_finding_needed_share"] = _share(~np.isnan(private["days_to_fact_finding"]))
    return out


def _stock_indicators(rows: Arrays, period: tuple[pd.Timestamp, pd.Timestamp]) -> dict[str, float]:
    lo, hi = (np.datetime64(pd.Timestamp(t).date(), "D") for t in period)
    overlap = (np.minimum(rows["end"], hi) - np.maximum(rows["start"], lo)).astype("timedelta64[D]").astype(float)
    overlap = np.clip(overlap, 0, None)
    days = float((hi - lo).astype(int))
    out = {
        "child_days_in_proceedings_count": float(overlap.sum()),
        "open_children_daily_mean": float(overlap.sum() / days) if days > 0 else math.nan,
    }
    waited = rows["days_in_proceedings"][rows["open"]]
    for label, threshold in LONG_WAITS.items():
        out[f"children_open_over_{label}_at_end_count"] = float((waited > threshold).sum())
    return out


def _attribution_indicators(rows: Arrays) -> dict[str, float]:
    """Mean days each disposed child spent waiting on, and being worked on by, each agency, and their shares."""
    disposed = rows["disposed"]
    parts = {column: rows[column][disposed] for column in ATTRIBUTION_COLUMNS}
    total = float(sum(v.sum() for v in parts.values()))
    out: dict[str, float] = {}
    for column, values in parts.items():
        name = column.removesuffix("_days")
        out[f"{name}_days_mean"] = float(values.mean()) if len(values) else math.nan
        out[f"{name}_share"] = float(values.sum() / total) if total > 0 else math.nan
    return out


def _group_index(children: pd.DataFrame, column: str) -> list[tuple[str, np.ndarray]]:
    """(group label, row positions) of each group of a breakdown column, in a stable order."""
    series = children[column]
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        return [
            (group_label(value), np.flatnonzero(codes == code))
            for code, value in enumerate(series.cat.categories)
            if (codes == code).any()
        ]
    values = series.to_numpy()
    return [(group_label(v), np.flatnonzero(values == v)) for v in sorted(pd.unique(series.dropna()).tolist())]


def indicators(
    children: pd.DataFrame,
    stages: pd.DataFrame | None = None,
    period: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    by_month: bool = True,
) -> pd.DataFrame:
    """Every child-centred indicator, per replication, as tidy long rows (see the module docstring).

    ``stages`` adds the domestic-abuse safeguarding and fact-finding indicators; ``period`` (results start,
    run end; :func:`run_period` reads it from a manifest) places the stock measures, and is inferred from the
    children table when not given. ``by_month`` adds child-days in proceedings per calendar month (breakdown
    ``month``, group ``YYYY-MM``).
    """
    period = period or infer_period(children)
    run_end = pd.Timestamp(period[1])
    groups = breakdowns(children)
    rows: list[tuple] = []
    for rep in _replications(children):
        kids = _one(children, rep).reset_index(drop=True)
        if stages is not None:
            times = case_events(kids, _one(stages, rep)).drop(columns=["replication"], errors="ignore")
            kids = kids.merge(times[["case_id", "days_to_first_safeguarding_step", "days_to_fact_finding"]],
                              on="case_id", how="left")  # fmt: skip
        arrays = _arrays(kids, run_end)
        split = [("all", "all", np.arange(len(kids)))]
        split += [(column, group, index) for column in groups for group, index in _group_index(kids, column)]
        for breakdown, group, index in split:
            subset = _take(arrays, index)
            flows = _take(subset, subset["results"])
            proceeding = _take(subset, ~np.isnan(subset["days_in_proceedings"]))
            values = {
                **_flow_indicators(flows),
                **_attribution_indicators(flows),
                **_domestic_abuse_indicators(flows),
                **_stock_indicators(proceeding, period),
            }
            rows += [(rep, name, breakdown, group, value) for name, value in values.items()]
        if by_month:
            monthly = child_days_by_month(kids, period)
            rows += [
                (rep, "child_days_in_proceedings_count", "month", r.month, float(r.child_days))
                for r in monthly.itertuples()
            ]
    frame = _frame(rows)
    # an indicator that does not apply to a group (no public law cases in it, say) is NaN in every replication
    known = frame.groupby(["indicator", "breakdown", "group"], sort=False)["value"].transform("count") > 0
    frame = frame[known]
    order = {name: i for i, name in enumerate(dict.fromkeys(frame["indicator"]))}
    frame = frame.sort_values(["replication", "indicator"], key=lambda c: c.map(order) if c.name == "indicator" else c,
                              kind="stable")  # fmt: skip
    return frame.reset_index(drop=True)


def attribution_indicators(children: pd.DataFrame) -> dict[str, float]:
    """Mean days each disposed child (of these rows) spent waiting on, and worked on by, each agency, and shares."""
    return _attribution_indicators(_arrays(children, pd.Timestamp.max.normalize()))


# ---------------------------------------------------------------------------------------------- attribution
def check_attribution(children: pd.DataFrame, tolerance_days: float = 1e-6) -> pd.DataFrame:
    """Rows whose four waits and four active times do not add up to days_in_proceedings - days_before_run.

    Empty when the account is exact (it should always be: stages after issue run back to back).
    """
    rows = in_proceedings(children)
    parts = rows[ATTRIBUTION_COLUMNS].to_numpy(dtype=float).sum(axis=1)
    expected = rows["days_in_proceedings"].to_numpy(dtype=float) - rows["days_before_run"].to_numpy(dtype=float)
    bad = ~(np.abs(parts - expected) <= tolerance_days)
    out = rows[bad].copy()
    out["attributed_days"] = parts[bad]
    out["expected_days"] = expected[bad]
    return out


def delay_attribution(children: pd.DataFrame, by: str | None = "case_type", status: str = "disposed") -> pd.DataFrame:
    """Where children's days in proceedings went: by agency, waiting or active, summed and averaged by group.

    Rows are results rows (see the module docstring) of children whose case was ``status`` ("disposed", the
    default: complete journeys; "open": so far; "all": both). Returns one row per group and component::

        group, agency, kind, children, days_total, days_mean, share

    where ``days_total`` is summed over every child row (over all replications in the table),
    ``days_mean`` is per child, and ``share`` is the component's share of the group's attributed days.
    """
    rows = results_rows(children)
    if status == "all":
        rows = in_proceedings(rows)
    else:
        rows = rows[rows["status"].astype(str) == status]
    selected = [("all", rows)] if by is None else list(groups(rows, by))
    out = []
    for group, frame in selected:
        total = float(frame[ATTRIBUTION_COLUMNS].to_numpy(dtype=float).sum())
        for kind in KINDS:
            for agency in AGENCIES:
                values = frame[f"{kind}_{agency}_days"].to_numpy(dtype=float)
                out.append(
                    (
                        group,
                        agency,
                        "waiting" if kind == "wait" else "active",
                        len(frame),
                        float(values.sum()),
                        float(values.mean()) if len(values) else math.nan,
                        float(values.sum() / total) if total > 0 else math.nan,
                    )
                )
    return pd.DataFrame(out, columns=["group", "agency", "kind", "children", "days_total", "days_mean", "share"])


def time_in_proceedings(children: pd.DataFrame) -> pd.DataFrame:
    """One row per child row with its days in proceedings and the share of its life spent in them so far."""
    rows = in_proceedings(children).copy()
    spent = rows["days_in_proceedings"].to_numpy(dtype=float)
    age_days = rows["age_at_start_years"].to_numpy(dtype=float) * DAYS_PER_YEAR + spent
    with np.errstate(divide="ignore", invalid="ignore"):
        rows["share_of_life_in_proceedings"] = np.minimum(np.where(age_days > 0, spent / age_days, np.nan), 1.0)
    rows["age_at_end_years"] = age_days / DAYS_PER_YEAR
    return rows
