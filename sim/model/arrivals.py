"""When and where new cases arrive: annual volumes with a yearly trend and monthly seasonality.

Arrivals are a Poisson process whose rate is constant within a calendar month (and within a policy
period), so they are drawn a month at a time in one vectorised call: a count per case type and region,
then uniform times within the month. Each case type has its own random stream, so a scenario that only
changes public law demand sees exactly the same private law cases.
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
    years_from_start = (day - scenario.results_start_day) / DAYS_PER_YEAR
    month = (scenario.sim_start_date + dt.timedelta(days=int(day))).month
    seasonality = demand.monthly_seasonality
    season = seasonality[month - 1] * len(seasonality) / sum(seasonality)
    national = demand.cases_per_year * (1 + demand.trend_per_year) ** years_from_start * season / DAYS_PER_YEAR
    return np.array([national * demand.region_shares.get(region, 0.0) for region in scenario.regions])


def arrivals_between(
    scenario: Scenario, start_day: float, end_day: float, rngs: dict[str, np.random.Generator]
) -> tuple[list[float], list[int], list[int]]:
    """Arrival days, case type codes and region codes in [start_day, end_day), in time order."""
    times: list[np.ndarray] = []
    types: list[np.ndarray] = []
    regions: list[np.ndarray] = []
    length = end_day - start_day
    for code, case_type in enumerate(CASE_TYPES):
        rng = rngs[case_type]
        counts = rng.poisson(rate_per_day(scenario, case_type, start_day) * length)
        n = int(counts.sum())
        if n == 0:
            continue
        times.append(start_day + rng.random(n) * length)
        types.append(np.full(n, code))
        regions.append(np.repeat(np.arange(len(counts)), counts))
    if not times:
        return [], [], []
    t = np.concatenate(times)
    order = np.argsort(t, kind="stable")
    return t[order].tolist(), np.concatenate(types)[order].tolist(), np.concatenate(regions)[order].tolist()
