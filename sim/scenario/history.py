"""A scenario's ``history:`` compiled into dated changes, so a back-cast needs no code path of its own.

Each history row (and each end of the capacity dip) becomes a :class:`~sim.scenario.schema.Policy` that *sets*
absolute values: demand per case type as given (trend 0 from there), and every region's sitting hours (or
``courts.capacity.days_sat_per_year``) and Cafcass advisers as the base scenario's values times the scale in
force (a row's scale, or its days sat over the reference, times one minus the dip's depth while the dip lasts), and
each judge tier's capacity index as the last row that named it gave it.
Values are always worked out from the base scenario, so rows do not compound; a policy dated after a row applies on
top of it until the next row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sim.scenario.schema import History, Policy, Scenario
from sim.scenario.yaml_file import KeyPath

ADVISER_KEYS = ("short_term_advisers", "long_term_advisers")


def history_problems(scenario: Scenario) -> list[tuple[KeyPath, str]]:
    """Rows that name a case type the scenario has no demand block for, a tier it does not have, or days sat or a
    tier's index without the capacity they change."""
    problems: list[tuple[KeyPath, str]] = []
    for i, row in enumerate(scenario.history.rows):
        for case_type in row.cases_per_year:
            if case_type not in scenario.demand:
                problems.append(
                    (
                        ("history", "rows", i, "cases_per_year", case_type),
                        f"the scenario has no demand.{case_type} block to change",
                    )
                )
        for tier in row.tier_capacity_index or {}:
            where = ("history", "rows", i, "tier_capacity_index", tier)
            if scenario.courts.capacity is None:
                problems.append((where, "a tier's capacity index needs courts.capacity (hours derived from days sat)"))
            elif tier not in scenario.courts.tiers:
                problems.append((where, f"'{tier}' is not one of courts.tiers"))
        if row.days_sat is not None and _days_sat_reference(scenario) is None:
            problems.append(
                (
                    ("history", "rows", i, "days_sat"),
                    "days_sat needs history.days_sat_reference (the days sat the sitting hours stand for) "
                    "or courts.capacity",
                )
            )
    return problems


def _sitting_scale(history: History, row_scale: float, day: dt.date) -> float:
    dip = history.capacity_dip
    if dip is not None and dip.start <= day < dip.start + dt.timedelta(days=dip.length_days):
        return row_scale * (1 - dip.depth_share)
    return row_scale


def _changes(base: Scenario, state: dict[str, Any], sitting: float) -> dict[str, Any]:
    """Absolute values for every key the history drives, at the scales in ``state``."""
    out: dict[str, Any] = {}
    for case_type, cases in state["cases_per_year"].items():
        out[f"demand.{case_type}.cases_per_year"] = cases
        out[f"demand.{case_type}.trend_per_year"] = 0.0
    capacity = base.courts.capacity
    if capacity is not None:
        out["courts.capacity.days_sat_per_year"] = capacity.days_sat_per_year * sitting
        if state["tier_index"]:
            out["courts.capacity.tier_capacity_index"] = {**capacity.tier_capacity_index, **state["tier_index"]}
    for name, region in base.regions.items():
        for tier, hours in (region.court.sitting_hours_per_day or {}).items():
            out[f"regions.{name}.court.sitting_hours_per_day.{tier}"] = hours * sitting
        for key in ADVISER_KEYS:
            out[f"regions.{name}.cafcass.{key}"] = getattr(region.cafcass, key) * state["advisers"]
    return out


def _days_sat_reference(base: Scenario) -> float | None:
    """The days sat the base's capacity stands for: the history's reference, else courts.capacity's days sat."""
    if base.history.days_sat_reference is not None:
        return base.history.days_sat_reference
    return None if base.courts.capacity is None else base.courts.capacity.days_sat_per_year


def history_policies(base: Scenario) -> list[tuple[KeyPath, Policy]]:
    """The dated changes the history makes, each with the key path of the row (or dip) to blame, in date order."""
    history = base.history
    if not history.rows and history.capacity_dip is None:
        return []
    breakpoints: list[tuple[dt.date, KeyPath, int | None]] = [
        (row.date, ("history", "rows", i), i) for i, row in enumerate(history.rows)
    ]
    dip = history.capacity_dip
    if dip is not None:
        breakpoints.append((dip.start, ("history", "capacity_dip", "start"), None))
        end = dip.start + dt.timedelta(days=dip.length_days)
        breakpoints.append((end, ("history", "capacity_dip", "length_days"), None))
    breakpoints.sort(key=lambda b: (b[0], b[2] is None))
    state: dict[str, Any] = {"cases_per_year": {}, "sitting": 1.0, "advisers": 1.0, "tier_index": {}}
    out: list[tuple[KeyPath, Policy]] = []
    for date, path, index in breakpoints:
        if index is not None:
            row = history.rows[index]
            state["cases_per_year"] = {**state["cases_per_year"], **row.cases_per_year}
            if row.sitting_hours_scale is not None:
                state["sitting"] = row.sitting_hours_scale
            reference = _days_sat_reference(base)
            if row.days_sat is not None and reference is not None:
                state["sitting"] = row.days_sat / reference
            if row.cafcass_advisers_scale is not None:
                state["advisers"] = row.cafcass_advisers_scale
            if row.tier_capacity_index is not None:
                state["tier_index"] = {**state["tier_index"], **row.tier_capacity_index}
        sitting = _sitting_scale(history, state["sitting"], date)
        name = f"history {date.isoformat()}" if index is not None else f"history capacity dip {path[-1]}"
        # Built, not validated: the end of a dip may fall after the last date a scenario may give, and after its run.
        out.append((path, Policy.model_construct(name=name, date=date, set=_changes(base, state, sitting))))
    return out
