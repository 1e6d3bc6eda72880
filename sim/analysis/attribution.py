"""Where each child's days in proceedings went: waiting for, or worked on by, each agency (delay attribution),
and when the key events of a case happened (issue, first safeguarding step, fact-finding hearing).

The records split each child's days from issue into four waits and four active times, one per agency; they
add up to the days in proceedings (less any days before the run began): :func:`check_attribution` finds the
rows where they do not. The wait for the court is itself two things that call for different remedies: the
procedural notice the rules or directions set (``notice_court_days``: from a hearing's request to the earliest
day it may be listed) and the wait for a listing because the lists are full (``listing_court_days``, the rest).
A team's wait is its unallocated queue (waiting for allocation). :func:`component_days` is the one computation
of the mean days and the share of each component, used both by the indicators (per group, per replication) and
by :func:`delay_attribution` (a table pooled over replications, for the report and the figures).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from sim.analysis.rows import groups, in_proceedings, is_label, results_rows
from sim.model.columns import STORED_DAY_ERROR_DAYS
from sim.vocabulary import AGENCIES

KINDS = {"wait": "waiting", "active": "active"}
"""Record column prefix -> the word tables use."""
ATTRIBUTION_COLUMNS = [f"{kind}_{agency}_days" for kind in KINDS for agency in AGENCIES]
"""The eight columns of children.parquet that split a child's days in proceedings (four waits, four actives)."""
NOTICE_COLUMN = "notice_court_days"
"""The part of ``wait_court_days`` that was procedural notice (children.parquet)."""
LISTING_COLUMN = "listing_court_days"
"""The rest of ``wait_court_days``: waiting for a listing (derived, not stored)."""
COURT_WAIT_COLUMN = "wait_court_days"
SPLIT_KINDS = {"notice": "notice", "listing": "waiting for a listing"}
"""Kinds of the court's wait when it is split: column prefix -> the word tables use."""
TEAM_WAIT_WORD = "waiting for allocation"
"""What a caseload team's wait is, in a split table: its unallocated queue."""
ATTRIBUTION_TABLE_COLUMNS = ["group", "agency", "kind", "children", "days_total", "days_mean", "share"]
STATUS_ALL = "all"
"""``status`` of :func:`delay_attribution` that takes disposed and open children alike."""
DEFAULT_TOLERANCE_DAYS = (len(ATTRIBUTION_COLUMNS) + 2) * STORED_DAY_ERROR_DAYS
"""Rounding allowed between the parts and the whole: each of the eight parts, the days in proceedings and the days
before the run is stored to the hour (:data:`sim.model.columns.STORED_DAY_ERROR_DAYS` each)."""

SAFEGUARDING_STAGES = ("safeguarding_checks", "gatekeeping", "without_notice_hearing")
"""The first step that looks at a child's safety: Cafcass checks, Pathfinder gatekeeping, a without-notice hearing."""
FACT_FINDING_STAGE = "fact_finding_hearing"
PRE_ISSUE_STAGE = "pre_proceedings"


def component_days(days: Mapping[str, np.ndarray]) -> dict[str, tuple[float, float, float]]:
    """Per attribution column: (days summed, mean days per child row, share of all attributed days).

    ``days`` maps each of :data:`ATTRIBUTION_COLUMNS` to the values of the same child rows. The mean is NaN
    with no rows, the share NaN when nothing is attributed.
    """
    total_days = float(sum(float(np.sum(days[column])) for column in ATTRIBUTION_COLUMNS))
    out = {}
    for column in ATTRIBUTION_COLUMNS:
        values = np.asarray(days[column], dtype=float)
        summed = float(values.sum())
        mean = float(values.mean()) if len(values) else math.nan
        out[column] = (summed, mean, summed / total_days if total_days > 0 else math.nan)
    return out


def court_wait_split(days: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``notice_court_days`` and ``listing_court_days`` of the same rows: the court's wait, notice and the rest."""
    notice = np.asarray(days[NOTICE_COLUMN], dtype=float)
    return {NOTICE_COLUMN: notice, LISTING_COLUMN: np.asarray(days[COURT_WAIT_COLUMN], dtype=float) - notice}


def attribution_indicators(days: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Indicators of :func:`component_days`: ``wait_court_days_mean``, ``wait_court_share``, ... for these rows.

    With ``notice_court_days`` among ``days``, also ``notice_court_days_mean`` / ``_share`` and
    ``listing_court_days_mean`` / ``_share``: the two parts of the court's wait (they add up to it).
    """
    out: dict[str, float] = {}
    parts = component_days(days)
    for column, (_, mean, share) in parts.items():
        name = column.removesuffix("_days")
        out[f"{name}_days_mean"] = mean
        out[f"{name}_share"] = share
    if NOTICE_COLUMN in days:
        total_days = sum(summed for summed, _, _ in parts.values())
        for column, values in court_wait_split(days).items():
            name = column.removesuffix("_days")
            out[f"{name}_days_mean"] = float(values.mean()) if len(values) else math.nan
            out[f"{name}_share"] = float(values.sum()) / total_days if total_days > 0 else math.nan
    return out


def check_attribution(children: pd.DataFrame, tolerance_days: float = DEFAULT_TOLERANCE_DAYS) -> pd.DataFrame:
    """Rows whose four waits and four active times do not add up to days_in_proceedings - days_before_run,
    or whose notice for hearings is not a part (0 to the whole) of their wait for the court.

    Empty when the account is exact (it should always be: stages after issue run back to back).
    """
    rows = in_proceedings(children)
    parts = rows[ATTRIBUTION_COLUMNS].to_numpy(dtype=float).sum(axis=1)
    expected = rows["days_in_proceedings"].to_numpy(dtype=float) - rows["days_before_run"].to_numpy(dtype=float)
    bad = ~(np.abs(parts - expected) <= tolerance_days)
    if NOTICE_COLUMN in rows.columns:
        split = court_wait_split(
            {column: rows[column].to_numpy(dtype=float) for column in (NOTICE_COLUMN, COURT_WAIT_COLUMN)}
        )
        bad |= ~((split[NOTICE_COLUMN] >= -tolerance_days) & (split[LISTING_COLUMN] >= -tolerance_days))
    out = rows[bad].copy()
    out["attributed_days"] = parts[bad]
    out["expected_days"] = expected[bad]
    return out


def attribution_table_rows(
    group: str, children: int, sums: Mapping[str, float], means: Mapping[str, float], split: bool
) -> list[tuple]:
    """The rows of :func:`delay_attribution` for one group, from each component's days summed and mean per child
    (the eight :data:`ATTRIBUTION_COLUMNS`, and with ``split`` the court's notice and listing waits): whether the
    sums come from arrays or from a query over a run's tables (:mod:`sim.experiment.run_aggregates`)."""
    total_days = float(sum(sums[column] for column in ATTRIBUTION_COLUMNS))
    parts = {
        column: (summed, means[column], summed / total_days if total_days > 0 else math.nan)
        for column, summed in sums.items()
    }
    out = []
    for kind, word in KINDS.items():
        for agency in AGENCIES:
            column = f"{kind}_{agency}_days"
            if not split or kind != "wait":
                out.append((group, agency, word, children, *parts[column]))
            elif column != COURT_WAIT_COLUMN:
                out.append((group, agency, TEAM_WAIT_WORD, children, *parts[column]))
            else:
                out.append((group, agency, SPLIT_KINDS["notice"], children, *parts[NOTICE_COLUMN]))
                out.append((group, agency, SPLIT_KINDS["listing"], children, *parts[LISTING_COLUMN]))
    return out


def delay_attribution(
    children: pd.DataFrame, by: str | None = "case_type", status: str = "disposed", split_court_wait: bool = False
) -> pd.DataFrame:
    """Where children's days in proceedings went: by agency, waiting or active, summed and averaged by group.

    Rows are results rows of children whose case was ``status`` ("disposed", the default: complete journeys;
    "open": so far; "all": both). Returns one row per group and component::

        group, agency, kind, children, days_total, days_mean, share

    where ``days_total`` is summed over every child row (over all replications in the table),
    ``days_mean`` is per child, and ``share`` is the component's share of the group's attributed days.
    Kinds are "waiting" and "active"; with ``split_court_wait`` (and a table with ``notice_court_days``) the
    court's waiting row becomes two, "notice" and "waiting for a listing", and the teams' waiting is called
    "waiting for allocation". The shares still add up to one.
    """
    rows = results_rows(children)
    if status == STATUS_ALL:
        rows = in_proceedings(rows)
    else:
        rows = rows[is_label(rows["status"], status)]
    selected = [("all", rows)] if by is None else list(groups(rows, by))
    out = []
    split = split_court_wait and NOTICE_COLUMN in rows.columns
    for group, frame in selected:
        days = {column: frame[column].to_numpy(dtype=float) for column in ATTRIBUTION_COLUMNS}
        if split:
            days[NOTICE_COLUMN] = frame[NOTICE_COLUMN].to_numpy(dtype=float)
            days.update(court_wait_split(days))
        sums = {column: float(values.sum()) for column, values in days.items()}
        means = {column: float(values.mean()) if len(values) else math.nan for column, values in days.items()}
        out += attribution_table_rows(group, len(frame), sums, means, split)
    return pd.DataFrame(out, columns=ATTRIBUTION_TABLE_COLUMNS)


def _stage_times(stages: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per case (``keys``): the first request after issue, and the first start of a safeguarding step and of a
    fact-finding hearing (NaT without one), in one pass over the stage rows (a national replication has millions)."""
    stage = stages["stage"]
    times = pd.DataFrame(
        {
            "first_requested": stages["requested"].where((stage != PRE_ISSUE_STAGE).to_numpy()),
            "safeguarding": stages["started"].where(stage.isin(SAFEGUARDING_STAGES).to_numpy()),
            "fact_finding": stages["started"].where((stage == FACT_FINDING_STAGE).to_numpy()),
        },
        copy=False,
    )
    replications = stages["replication"].unique() if "replication" in stages.columns else [0]
    if len(keys) == 2 and len(replications) <= 1:  # one replication (as the run reads them): group by case alone
        first = times.groupby(stages["case_id"].to_numpy(), sort=False).min()
        replication = replications[0] if len(replications) else 0
        first.index = pd.MultiIndex.from_arrays([np.full(len(first), replication), first.index], names=keys)
        return first
    by = [stages[k] if k in stages.columns else pd.Series(0, index=stages.index, name=k) for k in keys]
    return times.groupby(by, sort=False).min()


def case_events(children: pd.DataFrame, stages: pd.DataFrame) -> pd.DataFrame:
    """Per (replication, case_id): when the case was issued, its first safeguarding step and fact-finding hearing.

    The issue time is the moment the first stage after issue was requested (stages run back to back from
    issue); for a case from the declared open caseload, whose early stages were never simulated, and for a
    case without stages, it is the midnight of its start date. Times are timestamps; the day counts
    ``days_to_first_safeguarding_step`` and ``days_to_fact_finding`` are from issue to the *start* of the stage.
    """
    keys = ["replication", "case_id"] if "replication" in children.columns else ["case_id"]
    cases = children[[*keys, "start_date", "from_open_caseload"]].drop_duplicates(keys).copy()
    cases["start_midnight"] = pd.to_datetime(cases["start_date"]).astype("datetime64[ns]")  # as dates read as objects
    cases = cases.join(_stage_times(stages, keys), on=keys)
    use_first = (
        cases["first_requested"].notna()
        & ~cases["from_open_caseload"].astype(bool)
        & (cases["first_requested"].dt.normalize() == cases["start_midnight"])
    )
    cases["issued"] = cases["first_requested"].where(use_first, cases["start_midnight"])
    day = pd.Timedelta(days=1)
    cases["days_to_first_safeguarding_step"] = (cases["safeguarding"] - cases["issued"]) / day
    cases["days_to_fact_finding"] = (cases["fact_finding"] - cases["issued"]) / day
    columns = ["issued", "safeguarding", "fact_finding", "days_to_first_safeguarding_step", "days_to_fact_finding"]
    return cases[[*keys, *columns]].reset_index(drop=True)
