"""What a scenario asks of memory: the cases one replication simulates, estimated from the scenario, and the
check that refuses a scenario whose estimate is beyond :data:`sim.scenario.limits.MAX_MEMORY_GIB`.

The estimate is made before anything runs, from the inputs alone: open cases at the start, and each case type's
arrivals over the warm-up and the results period with its trend. The loader checks every period of the policies
and history the same way, so a policy that multiplies demand a millionfold is refused at its line.
"""

from __future__ import annotations

import math

from sim.scenario.limits import BYTES_PER_CASE, MAX_CASES, MAX_MEMORY_GIB
from sim.scenario.schema import Scenario
from sim.scenario.yaml_file import KeyPath
from sim.vocabulary import DAYS_PER_YEAR

TREND_NEGLIGIBLE = 1e-12
"""A yearly trend this close to 0 is none, for the estimate of cases simulated (the integral's limit)."""


def _power(base: float, exponent: float) -> float:
    try:
        return base**exponent
    except OverflowError:
        return math.inf


def cases_simulated(scenario: Scenario) -> dict[KeyPath, float]:
    """Cases one replication simulates, estimated from the scenario, by the block that brings them.

    Open cases at the start, and each case type's arrivals over the warm-up and the results period: its yearly
    volume at the start date grown (or shrunk) by its trend, integrated from the start of the warm-up to the end.
    """
    before, after = scenario.starting_state.warm_up_days / DAYS_PER_YEAR, scenario.run_years
    found: dict[KeyPath, float] = {}
    for case_type, demand in scenario.demand.items():
        years = _years_of_demand(demand.trend_per_year, before, after)
        found[("demand", case_type)] = demand.cases_per_year * years if demand.cases_per_year else 0.0  # not 0 x inf
    for case_type, open_cases in scenario.starting_state.open_cases.items():
        declared = sum(open_cases.by_stage.values())
        declared += sum(stage.count for stages in open_cases.by_region.values() for stage in stages.values())
        found[("starting_state", "open_cases", case_type)] = declared
    return found


def _years_of_demand(trend: float, before: float, after: float) -> float:
    """Years of start-date volume that arrive from ``before`` years before the start date to ``after`` after it."""
    if abs(trend) < TREND_NEGLIGIBLE:
        return before + after
    return (_power(1 + trend, after) - _power(1 + trend, -before)) / math.log(1 + trend)


def memory_problems(scenario: Scenario) -> list[tuple[KeyPath, str]]:
    """Demand that memory could not hold, blamed on the key that brings the most cases: a case type's
    trend_per_year when the volume alone would fit, else its cases_per_year (sim.scenario.limits)."""
    by_block = cases_simulated(scenario)
    total = sum(by_block.values())
    if total <= MAX_CASES:
        return []
    biggest = max(by_block, key=lambda block: by_block[block])
    key = biggest
    if biggest[0] == "demand":
        demand = scenario.demand[str(biggest[1])]
        before, after = scenario.starting_state.warm_up_days / DAYS_PER_YEAR, scenario.run_years
        flat = demand.cases_per_year * (before + after)
        key = (*biggest, "trend_per_year" if flat <= MAX_CASES else "cases_per_year")
    gib = total * BYTES_PER_CASE / 2**30
    return [
        (
            key,
            f"one replication would simulate about {total:.3g} cases ({by_block[biggest]:.3g} of them from "
            f"{'.'.join(map(str, biggest))}), about {gib:.3g} GiB at {BYTES_PER_CASE / 1024:g} KiB a case; the "
            f"limit is {MAX_MEMORY_GIB} GiB (about {MAX_CASES / 1e6:.1f} million cases)",
        )
    ]
