"""What delay and capacity cost, in pounds, from a scenario's ``costs:`` unit costs (docs/model.md, "Costs").

**What is costed as delay.** A case's *costed weeks* are its weeks in proceedings (from issue to disposal, as time
to disposal counts them) beyond ``beyond_weeks``: 0 costs every week, as the NAO's figure (a care case one week
shorter saves its local authority £697) prices a week of a case's duration, whatever its length; 26 would cost only
the weeks past the statutory limit. Each ``costs.delay.<case type>.<agency>`` entry prices a costed week per case
(shared equally among the case's children when counted per child) or per child (times the children when counted per
case). From these, per replication and group:

* ``delay_cost_per_child_gbp_mean`` and ``delay_cost_per_case_gbp_mean``: the cost of a disposed results row (a
  case that started in the results period and was disposed by its end, as time to disposal counts them) over its
  whole time in proceedings, among the case types that have a delay cost;
* ``delay_cost_gbp_per_year`` (and ``delay_cost_<agency>_gbp_per_year``): what the costed weeks that fall inside
  the results period cost, per year of it, for every case in proceedings then (a stock, whenever it started, as
  child-days in proceedings count).

**What capacity costs.** ``capacity_cost_gbp_per_year`` is the court days sat, Cafcass advisers and social workers
in force, each at its unit cost, averaged over the results period (a dated policy that adds capacity counts from its
date). Days sat are ``courts.capacity.days_sat_per_year`` (every family day sat, as published); with sitting hours set
by hand by region, the hours a year the calendar gives them over ``costs.capacity.sitting_hours_per_day``.
``total_cost_gbp_per_year`` adds the delay cost a year: the paired difference of two options in it is the net cost
of the second (capacity added less delay saved; :mod:`sim.experiment.compare`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sim.analysis.periods import Period, day, overlap_days
from sim.analysis.rows import is_label
from sim.model.agencies.court import sitting_shares
from sim.model.agencies.court_capacity import CALENDAR_DAYS_COUNTED, full_sitting_days_per_year
from sim.scenario.schema import Costs, Scenario
from sim.vocabulary import DAYS_PER_YEAR, WEEK_DAYS

PER_CHILD, PER_CASE = "delay_cost_per_child_gbp_mean", "delay_cost_per_case_gbp_mean"
PER_YEAR = "delay_cost_gbp_per_year"
CAPACITY_PER_YEAR, TOTAL_PER_YEAR = "capacity_cost_gbp_per_year", "total_cost_gbp_per_year"
CAPACITY_KINDS = ("court", "cafcass", "local_authority")
"""The capacity a scenario's costs price: court days sat, Cafcass advisers, local authority social workers."""
COST_INDICATORS = (PER_CHILD, PER_CASE, PER_YEAR, CAPACITY_PER_YEAR, TOTAL_PER_YEAR)
"""The cost indicators a reader meets first (the reports' cost tables list them in this order)."""

_CHILD, _CASE = "delay_cost_child_gbp", "delay_cost_case_gbp"
"""Columns of the row arrays: a disposed row's cost over its whole time in proceedings (NaN if not costed)."""


def agency_per_year(agency: str) -> str:
    """The indicator of one agency's delay cost a year."""
    return f"delay_cost_{agency}_gbp_per_year"


def capacity_per_year(kind: str) -> str:
    """The indicator of one kind of capacity's cost a year."""
    return f"capacity_cost_{kind}_gbp_per_year"


def _in_period(agency: str) -> str:
    return f"delay_cost_{agency}_gbp_in_period"


# ---------------------------------------------------------------------------------------------- delay
def cost_arrays(children: pd.DataFrame, costs: Costs, period: Period, run_end: pd.Timestamp) -> dict[str, np.ndarray]:
    """Per child row of one replication: the cost of its whole time in proceedings as a disposed child and as its
    case (NaN where its case type has no delay cost or it was not disposed), and per agency the cost of its costed
    days inside ``period`` (0 outside proceedings)."""
    n_rows = len(children)
    case_type = children["case_type"]
    case_id = children["case_id"].to_numpy()
    _, inverse, counts = np.unique(case_id, return_inverse=True, return_counts=True)
    in_case = counts[inverse].astype(float)  # children of the row's case (a case's children share its rows' id)
    weeks = children["days_to_disposal"].to_numpy(dtype=float) / WEEK_DAYS
    start = pd.to_datetime(children["start_date"]).to_numpy(dtype="datetime64[D]")
    end = pd.to_datetime(children["end_date"]).to_numpy(dtype="datetime64[D]")
    end = np.where(np.isnat(end), np.datetime64(run_end.date(), "D"), end)
    issued = ~np.isnan(children["days_in_proceedings"].to_numpy(dtype=float))
    lo, hi = day(period[0]), day(period[1])
    child_cost, case_cost = np.full(n_rows, np.nan), np.full(n_rows, np.nan)
    out: dict[str, np.ndarray] = {}
    for kind, by_agency in costs.delay.items():
        mine = is_label(case_type, kind)
        if not mine.any():
            continue
        child_cost[mine] = np.nan_to_num(child_cost[mine])
        case_cost[mine] = np.nan_to_num(case_cost[mine])
        for agency, unit in by_agency.items():
            per_case, per_child = unit.gbp_per_case_week or 0.0, unit.gbp_per_child_week or 0.0
            child_rate = per_case / in_case[mine] + per_child  # pounds a costed week, this child's share
            costed = np.clip(weeks[mine] - unit.beyond_weeks, 0.0, None)
            child_cost[mine] += costed * child_rate
            case_cost[mine] += costed * (per_case + per_child * in_case[mine])
            from_day = start[mine] + np.timedelta64(round(unit.beyond_weeks * WEEK_DAYS), "D")
            days = np.where(issued[mine], overlap_days(from_day, end[mine], lo, hi), 0.0)
            out.setdefault(_in_period(agency), np.zeros(n_rows))[mine] += days / WEEK_DAYS * child_rate
    out[_CHILD], out[_CASE] = child_cost, case_cost
    return out


def delay_indicators(
    rows: Mapping[str, np.ndarray], flows: Mapping[str, np.ndarray], period: Period, agencies: Sequence[str]
) -> dict[str, float]:
    """The delay cost indicators of one group (see the module docstring): ``rows`` every row of the group, ``flows``
    its results rows; both carry :func:`cost_arrays`' columns and ``disposed`` and ``case_id``."""
    if not agencies:
        return {}
    disposed = flows["disposed"] & ~np.isnan(flows[_CHILD])
    child = flows[_CHILD][disposed]
    _, first = np.unique(flows["case_id"][disposed], return_index=True)
    case = flows[_CASE][disposed][first]
    years = float((day(period[1]) - day(period[0])).astype(int)) / DAYS_PER_YEAR
    out = {
        PER_CHILD: float(child.mean()) if len(child) else math.nan,
        PER_CASE: float(case.mean()) if len(case) else math.nan,
    }
    by_agency = {agency: float(rows[_in_period(agency)].sum()) / years for agency in agencies}
    out[PER_YEAR] = sum(by_agency.values())
    out.update({agency_per_year(agency): value for agency, value in by_agency.items()})
    return out


def costed_agencies(costs: Costs | None) -> list[str]:
    """The agencies with a delay cost for some case type, in a stable order."""
    if costs is None:
        return []
    return sorted({agency for by_agency in costs.delay.values() for agency in by_agency})


# ---------------------------------------------------------------------------------------------- capacity
def days_sat_per_year(scenario: Scenario, sitting_hours_per_day: float | None = None) -> float | None:
    """Family Court days sat a year in ``scenario``: ``courts.capacity``'s, or the regions' hand-set sitting hours
    over a year of the calendar, divided by the hours in a day sat (None when no such hours are known)."""
    capacity = scenario.courts.capacity
    if capacity is not None:
        return capacity.days_sat_per_year
    hours_per_day = sitting_hours_per_day or scenario.costs.capacity.sitting_hours_per_day
    if hours_per_day is None:
        return None
    shares = sitting_shares(scenario.courts, scenario.start_date, CALENDAR_DAYS_COUNTED).tolist()
    hours = sum(sum((r.court.sitting_hours_per_day or {}).values()) for r in scenario.regions.values())
    return hours * full_sitting_days_per_year(shares) / hours_per_day


def capacity_quantities(scenario: Scenario) -> dict[str, float | None]:
    """Days sat a year, Cafcass advisers and social workers (full-time equivalents) in ``scenario``."""
    regions = scenario.regions.values()
    return {
        "court": days_sat_per_year(scenario),
        "cafcass": sum(r.cafcass.short_term_advisers + r.cafcass.long_term_advisers for r in regions),
        "local_authority": sum(r.local_authority.social_workers for r in regions),
    }


def unit_costs(costs: Costs) -> dict[str, float | None]:
    """Pounds a year for one unit of each kind of capacity (a day sat a year costs its price once a year)."""
    return {
        "court": costs.capacity.gbp_per_sitting_day,
        "cafcass": costs.capacity.gbp_per_cafcass_adviser_year,
        "local_authority": costs.capacity.gbp_per_social_worker_year,
    }


def capacity_costs(scenario: Scenario) -> dict[str, float]:
    """Pounds a year of each kind of capacity the scenario prices (kinds without a unit cost left out)."""
    units, quantities = unit_costs(scenario.costs), capacity_quantities(scenario)
    out = {}
    for kind in CAPACITY_KINDS:
        if units[kind] is None:
            continue
        if quantities[kind] is None:
            raise ValueError(
                "costs.capacity.gbp_per_sitting_day prices days sat, but the courts' sitting hours are set by hand "
                "and costs.capacity.sitting_hours_per_day is not given to count them in days"
            )
        out[kind] = float(quantities[kind]) * float(units[kind])
    return out


def capacity_cost_rows(periods: Sequence[tuple[float, Scenario]], replication: int) -> list[tuple]:
    """Tidy indicator rows of what capacity costs a year, averaged over the results period: each period's scenario
    (the capacity in force from its simulation day) weighted by its days inside the period."""
    first = periods[0][1]
    lo, hi = first.results_start_day, first.end_day
    weighted: dict[str, float] = {}
    for i, (from_day, scenario) in enumerate(periods):
        until = periods[i + 1][0] if i + 1 < len(periods) else math.inf
        days = max(0.0, min(until, hi) - max(from_day, lo))
        if days <= 0:
            continue
        for kind, gbp in capacity_costs(scenario).items():
            weighted[kind] = weighted.get(kind, 0.0) + gbp * days / (hi - lo)
    if not weighted:
        return []
    rows = [(replication, CAPACITY_PER_YEAR, "all", "all", sum(weighted.values()))]
    rows += [(replication, capacity_per_year(kind), "all", "all", value) for kind, value in weighted.items()]
    return rows
