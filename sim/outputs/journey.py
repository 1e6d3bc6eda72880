"""One child's journey through the family justice system, in plain words.

``python run_sim.py journey DIR CHILD_ID [--replication R]`` prints every case the child was in (a return
to court is a later case with the same child), each stage with its dates, the agency, how long the child
waited for it (for a hearing: how much was the notice the rules set and how much waiting for a listing) and
how long the work took, the order made, and where the days went. Read from
``children.parquet`` and ``stages.parquet`` of a results directory (the first replication unless told).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from sim.analysis.periods import ONE_DAY, run_period
from sim.experiment.manifest import warm_up_rows_counted
from sim.experiment.results_folder import ResultsDirError, read_manifest
from sim.experiment.run_tables import check_results_dir, read_table, replications_in
from sim.vocabulary import AGENCIES, DAYS_PER_YEAR

AGENCY_NAMES = {
    "court": "the court",
    "cafcass": "Cafcass",
    "local_authority": "the local authority",
    "experts": "experts",
}
WAITING_FOR = {
    "court": "a court listing",
    "cafcass": "Cafcass",
    "local_authority": "the local authority",
    "experts": "an expert",
}


class UnknownChild(ResultsDirError):
    """No child with that identifier in the replication."""


def _words(name: str) -> str:
    return name.replace("_", " ").replace("section7", "section 7")


def _date(value: object) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _days(value: float) -> str:
    if value < 1:
        return "under a day" if value > 0 else "no time"
    n = round(value)
    return f"{n} day{'s' if n != 1 else ''}"


def _stage_line(row: pd.Series) -> str:
    stage, agency = str(row["stage"]), str(row["agency"])
    waited = (row["started"] - row["requested"]) / pd.Timedelta(days=1)
    worked = (row["ended"] - row["started"]) / pd.Timedelta(days=1)
    span = f"{_date(row['requested'])} → {_date(row['ended'])}"
    name = _words(stage)
    notice = row.get("notice_days", math.nan)
    if stage.endswith("hearing") and pd.notna(notice):
        text = (
            f"{name}: waited {_days(waited)}: {_days(notice)} of notice, then {_days(waited - notice)} for a "
            f"listing; heard on {_date(row['started'])}"
        )
    elif stage.endswith("hearing"):  # results written before notice was recorded
        text = f"{name}: waited {_days(waited)} for a court listing; heard on {_date(row['started'])}"
    elif stage == "guardian_allocation":
        text = f"children's guardian allocated by Cafcass after {_days(waited)}"
    elif stage == "review":
        text = f"review by the court after the order ({_days(worked)})"
    elif waited < 0.5:
        text = f"{name} by {AGENCY_NAMES[agency]}: {_days(worked)} of work, started at once"
    else:
        who = AGENCY_NAMES[agency]
        text = f"{name} by {who}: waited {_days(waited)} for {WAITING_FOR[agency]}, then {_days(worked)} of work"
    return f"{span}  {text}"


def describe(directory: str | Path, child_id: int, replication: int | None = None) -> str:
    """The child's journey as text; raises ResultsDirError (UnknownChild) for a directory or child not found."""
    directory = check_results_dir(directory)
    held = replications_in(directory)
    if replication is None:
        replication = held[0]
    elif replication not in held:
        raise ResultsDirError(
            f"{directory} has no replication {replication} (it holds {', '.join(map(str, held[:20]))}"
            f"{' and more' if len(held) > 20 else ''})"
        )
    rows = read_table(directory, "children", replication, filters=[("child_id", "==", int(child_id))])
    manifest = read_manifest(directory)
    counted = warm_up_rows_counted(manifest)
    if rows.empty:
        raise UnknownChild(
            f"there is no child {child_id} in replication {replication} of {directory}"
            + (f" ({WARM_UP_COUNTED})" if counted else "")
        )
    rows = rows.sort_values("case_number")
    stages = read_table(directory, "stages", replication, filters=[("case_id", "in", rows["case_id"].tolist())])
    stages = stages.sort_values(["requested", "started", "ended"], kind="stable")
    run_end = run_period(manifest)[1] if "scenario" in manifest else None

    first = rows.iloc[0]
    lines = [
        f"Child {child_id} (replication {replication}): aged {first['age_at_start_years']:.1f} at the start of "
        f"the first case, {len(rows)} case{'s' if len(rows) > 1 else ''}; "
        f"domestic abuse in the family: {'yes' if first['domestic_abuse'] else 'no'}"
    ]
    earlier = int(first["case_number"]) - 1
    if counted and earlier > 0:
        lines.append(
            f"(the child's first {earlier} case{'s' if earlier > 1 else ''} began and ended in the warm-up, which "
            "the run counted and did not store: set starting_state.keep_warm_up_rows: true to follow them)"
        )
    for case in rows.itertuples():
        lines.append("")
        lines += _case_lines(case, stages[stages["case_id"] == case.case_id], child_id, directory, replication, run_end)
    total = float(rows["days_in_proceedings"].fillna(0).sum())
    last = rows.iloc[-1]
    age_end = last["age_at_start_years"] + (
        0 if math.isnan(last["days_in_proceedings"]) else last["days_in_proceedings"] / DAYS_PER_YEAR
    )
    lines.append("")
    lines.append(
        f"In all: {_days(total)} in proceedings over {len(rows)} case{'s' if len(rows) > 1 else ''}"
        + (
            f", {total / (age_end * DAYS_PER_YEAR):.0%} of the child's life by the end of the last one"
            if age_end > 0 and total > 0
            else ""
        )
    )
    return "\n".join(lines)


WARM_UP_COUNTED = (
    "cases that began and ended in the warm-up are counted, not stored; "
    "set starting_state.keep_warm_up_rows: true to follow them"
)


def _siblings(directory: Path, replication: int, case_id: int, child_id: int) -> list[int]:
    kids = read_table(
        directory, "children", replication, columns=["child_id", "case_id"], filters=[("case_id", "==", int(case_id))]
    )
    return sorted(int(k) for k in kids["child_id"] if int(k) != int(child_id))


def _case_lines(
    case: object,
    stages: pd.DataFrame,
    child_id: int,
    directory: Path,
    replication: int,
    run_end: pd.Timestamp | None,
) -> list[str]:
    c = case  # a row of the children table
    kind = _words(str(c.pathway)) if str(c.pathway) == "pathfinder" else _words(str(c.case_type))
    if str(c.pathway) == "pathfinder":
        kind = "private law, Pathfinder"
    siblings = _siblings(directory, replication, c.case_id, child_id)
    with_whom = ""
    if siblings:
        shown = ", ".join(str(s) for s in siblings)
        with_whom = f", with {len(siblings)} sibling{'s' if len(siblings) > 1 else ''} (child {shown})"
    prefix = "Case"
    if c.is_return:  # a child's first case here that is a return came back from an order made before the run
        prefix = (
            "Returned to court: case"
            if int(c.case_number) > 1
            else "Returned to court (after an order before the run): case"
        )
    lines = []
    pre = stages[stages["stage"].astype(str) == "pre_proceedings"]
    for row in pre.to_dict("records"):
        lines.append(_stage_line(pd.Series(row)) + " (before the application)")
    if str(c.status) == "diverted":
        lines.append(
            f"{_date(c.end_date)}  {prefix} {c.case_id} ({kind}) in {c.region}: diverted before reaching "
            f"court (pre-proceedings with {c.local_authority})"
        )
        return lines
    if pd.isna(c.days_in_proceedings):
        lines.append(f"{prefix} {c.case_id} ({kind}) in {c.region}: still in pre-proceedings at the end of the run")
        return lines
    flags = []
    if c.domestic_abuse:
        flags.append("domestic abuse alleged")
    if c.from_open_caseload:
        flags.append(f"already open {_days(c.days_before_run)} when the run started")
    if c.warm_up:
        flags.append("started during the warm-up")
    note = f" [{'; '.join(flags)}]" if flags else ""
    lines.append(
        f"{_date(c.start_date)}  {prefix} {c.case_id} ({kind}) issued in {c.region}, local authority "
        f"{c.local_authority}{with_whom}; child aged {c.age_at_start_years:.1f} ({_words(str(c.age_band))}){note}"
    )
    names = stages["stage"].astype(str)
    for row in stages[(names != "pre_proceedings") & (names != "review")].to_dict("records"):
        lines.append(_stage_line(pd.Series(row)))
    hearings = f"{c.hearings} hearing{'s' if c.hearings != 1 else ''}"
    if c.adjournments:
        hearings += f", {c.adjournments} adjourned"
    if c.vacated:
        hearings += f", {c.vacated} vacated before the day"
    if getattr(c, "displaced", 0):  # results written before urgent listing have no such column
        hearings += f", {c.displaced} moved to a later day for urgent work"
    if str(c.status) == "disposed":
        weeks = c.days_to_disposal / 7
        lines.append(
            f"{_date(c.end_date)}  Order made: {_words(str(c.outcome))}, {_days(c.days_to_disposal)} "
            f"({weeks:.1f} weeks) after issue{' -- over the 26-week limit' if weeks > 26 else ''}; {hearings}"
        )
    else:
        when = _date(run_end - ONE_DAY) if run_end is not None else "the end of the run"  # its last day
        lines.append(f"{when}  Still open at the end of the run after {_days(c.days_in_proceedings)}; {hearings}")
    for row in stages[names == "review"].to_dict("records"):
        lines.append(_stage_line(pd.Series(row)))
    parts = []
    for agency in AGENCIES:
        wait, active = getattr(c, f"wait_{agency}_days"), getattr(c, f"active_{agency}_days")
        if wait >= 0.5 or active >= 0.5:
            notice = getattr(c, "notice_court_days", math.nan) if agency == "court" else math.nan
            split = f" ({round(notice)} notice, {round(wait - notice)} for a listing)" if pd.notna(notice) else ""
            parts.append(f"{AGENCY_NAMES[agency]} {round(wait)} waiting{split} + {round(active)} active")
    if parts:
        lines.append("            Where the days went: " + "; ".join(parts))
    return lines
