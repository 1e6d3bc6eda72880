"""When and where new cases arrive: annual volumes with a yearly trend and monthly seasonality.

Arrivals are a Poisson process whose rate is constant within a calendar month (and, where a policy changes a
case type's demand, within each policy period), so they are drawn a month at a time in one vectorised call: a
count per case type and region, then times within the month. Each case type and month has its own random
stream (:mod:`sim.model.random_streams`), and a month is split only where that case type's demand changes, so
a scenario that changes public law demand, or the courts from a date, sees exactly the same private law
arrivals; each case's own draws are keyed to its serial among its case type's arrivals.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from sim.scenario.schema import Scenario
from sim.vocabulary import CASE_TYPES, DAYS_PER_YEAR


def segment_bounds(sim_start: dt.date, end_day: float, change_days: list[float]) -> list[float]:
    """Days at which the arrival rate may change: each month start and each policy date, up to end_day."""
    bounds = {0.0, float(end_day)}
    month = dt.date(sim_start.year, sim_start.month, 1)
    while True:
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        day = float((month - sim_start).days)
        if day >= end_day:
            break
        bounds.add(day)
    bounds.update(d for d in change_days if 0 < d < end_day)
    return sorted(bounds)


def rate_per_day(scenario: Scenario, case_type: str, day: float) -> np.ndarray:
    """Cases per day in each region (in scenario order) for one case type at simulation day ``day``."""
    demand = scenario.demand.get(case_type)
    if demand is None:
        return np.zeros(len(scenario.regions))
    month = (scenario.sim_start_date + dt.timedelta(days=int(day))).month
    seasonality = demand.monthly_seasonality
    season = seasonality[month - 1] * len(seasonality) / sum(seasonality)
    national = cases_per_year_at(scenario, case_type, day) * season / DAYS_PER_YEAR
    return np.array([national * demand.region_shares.get(region, 0.0) for region in scenario.regions])


def cases_per_year_at(scenario: Scenario, case_type: str, day: float) -> float:
    """National cases a year of one case type at simulation day ``day``, with its yearly trend and without
    seasonality (0 for a case type with no demand)."""
    demand = scenario.demand.get(case_type)
    if demand is None:
        return 0.0
    years_from_start = (day - scenario.results_start_day) / DAYS_PER_YEAR
    return demand.cases_per_year * (1 + demand.trend_per_year) ** years_from_start


def demand_pieces(
    periods: list[tuple[float, Scenario]], case_type: str, start_day: float, end_day: float
) -> list[tuple[float, Scenario]]:
    """The periods of [start_day, end_day) with the scenario in force, cut only where ``case_type``'s demand
    changes: a policy that leaves demand alone does not change how arrivals are drawn."""
    in_force = periods[0][1]
    for day, scenario in periods:
        if day <= start_day:
            in_force = scenario
    pieces = [(start_day, in_force)]
    for day, scenario in periods:
        if start_day < day < end_day and scenario.demand.get(case_type) != pieces[-1][1].demand.get(case_type):
            pieces.append((day, scenario))
    return pieces


def arrivals_between(
    periods: list[tuple[float, Scenario]], start_day: float, end_day: float, rngs: dict[str, np.random.Generator]
) -> tuple[list[float], list[int], list[int]]:
    """Arrival days, case type codes and region codes in [start_day, end_day) (within one month), in time order.

    Per case type and region: a Poisson count with the month's expected number, then each arrival's time by
    inverting the cumulative rate over the month (uniform within a month whose rate does not change)."""
    times: list[np.ndarray] = []
    types: list[np.ndarray] = []
    regions: list[np.ndarray] = []
    length = end_day - start_day
    for code, case_type in enumerate(CASE_TYPES):
        rng = rngs[case_type]
        pieces = demand_pieces(periods, case_type, start_day, end_day)
        bounds = [day for day, _ in pieces] + [end_day]
        expected = np.array(
            [rate_per_day(scenario, case_type, day) * (bounds[i + 1] - day) for i, (day, scenario) in enumerate(pieces)]
        )  # pieces x regions
        counts = rng.poisson(expected.sum(axis=0))
        n = int(counts.sum())
        if n == 0:
            continue
        u = rng.random(n)
        region_of = np.repeat(np.arange(len(counts)), counts)
        if len(pieces) == 1:
            times.append(start_day + u * length)
        else:  # the cumulative rate of each arrival's region, inverted piece by piece
            cumulative = np.vstack([np.zeros(expected.shape[1]), np.cumsum(expected, axis=0)])
            at = np.empty(n)
            for r in np.unique(region_of):
                mine = region_of == r
                at[mine] = np.interp(u[mine] * cumulative[-1, r], cumulative[:, r], bounds)
            times.append(at)
        types.append(np.full(n, code))
        regions.append(region_of)
    if not times:
        return [], [], []
    t = np.concatenate(times)
    order = np.argsort(t, kind="stable")
    return t[order].tolist(), np.concatenate(types)[order].tolist(), np.concatenate(regions)[order].tolist()
