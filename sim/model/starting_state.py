"""The state a run starts from: the declared open caseload, and children returning from orders made before it.

**Open cases.** A scenario may declare the cases open at the start date, by stage (regions drawn by demand
shares) or by region and stage, with their ages and the hearings already booked.

**Returns from before the run.** The real system has been making orders for decades, and some of those children
come back to court years later (``recurrence``: up to five years after a supervision order). A run that starts
empty has no such past: its returns build up over the longest return delay, so a two-year warm-up leaves them
still rising through the results (private law returns +44% over 2024-28 in the baseline), which is drift, not
policy. So a run starts with the returns of an imagined past in which the system ran for ever at the inputs in
force on day 0: orders with outcome ``o`` of case type ``c`` in a region were made at a constant rate ``λ``, and
each returns with the recurrence share after its drawn delay. Returns from that past arrive at rate
``λ × share × P(delay > t)`` on day ``t``, drawn exactly by thinning: a Poisson number of past orders spread
evenly over a horizon long enough for all but a millionth of delays (``HORIZON_QUANTILE``), each kept when its
delay outlasts its age on day 0.

A run from empty makes few orders in its first months: its own cases are still open. The orders the past's open
cases would have made then are missing, and their returns with them (7% of private law returns in 2024 in the
baseline, fading over the return delays). So the past's orders may go on into the run until
``starting_state.past_orders_until_days`` (the mean days from a case's start to its order early in the run):
in total as many orders as the run is short of, each a little early or late, which the return delays (months to
years) blur.

The past rate of orders is what the scenario implies: new cases (at day 0's demand, without seasonality), less
the public law cases diverted in pre-proceedings, plus the returns themselves, which are orders that may return
again (a small linear system over case types). Private law withdrawals while waiting are left out (they depend
on queues an empty start does not have; an assumption in docs/assumptions.md that the warm-up absorbs).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Final, Protocol

import numpy as np
import simpy

from sim.model.arrivals import cases_per_year_at
from sim.model.entities import Case
from sim.model.inverses import Inverse, inverse_cdf
from sim.model.journeys import start
from sim.model.parameters import Parameters
from sim.model.pathways.context import Steps
from sim.model.random_streams import OPEN_CASELOAD, PURPOSE, RETURNED_FROM_BEFORE, Draws, RandomStreams
from sim.scenario.schema import Scenario
from sim.vocabulary import CASE_TYPES, DAYS_PER_YEAR, PATHWAY_TABLES

OPEN_REGION: Final = PURPOSE["open_case.region"]
OPEN_AGE: Final = PURPOSE["open_case.age_days"]
OPEN_BOOKED: Final = PURPOSE["open_case.next_hearing_days"]

HORIZON_QUANTILE: Final = 1.0 - 1e-6
"""Past orders are spread over the delay's quantile at this level: returns of older orders are negligible."""


class Run(Protocol):
    """What the starting state needs of a replication: its clock, draws and parameters, and its cases."""

    @property
    def env(self) -> simpy.Environment: ...

    streams: RandomStreams
    params: Parameters
    stats: Any
    simulates: list[bool]
    """By region code: whether this run simulates the region's cases (every case is numbered, so that a region's
    cases draw the same numbers whichever regions run with it)."""

    @property
    def scenario(self) -> Scenario: ...

    def new_case(self, case_type: int, region: int, day: float, draws: Draws) -> Case: ...

    def pathway(self, case: Case) -> Steps: ...

    def count_open(self, case: Case) -> None: ...


@dataclass(frozen=True)
class PastReturn:
    """A return to court from an order made before day 0: when it arrives and what it is."""

    day: float
    case_type: int
    region: int
    pathway: str
    outcome: str


def pathway_at_start(scenario: Scenario, case_type: str, region: str) -> str:
    """The pathway a case of this type follows in this region on day 0 (Pathfinder where it already runs)."""
    if case_type == "private_law":
        pathfinder_from = scenario.regions[region].pathfinder_from
        if pathfinder_from is not None and scenario.day_of(pathfinder_from) <= 0:
            return "pathfinder"
    return case_type


def _new_cases_per_day(scenario: Scenario, case_type: str, region: str) -> float:
    """New cases a day in a region on day 0, over a whole year (no seasonality)."""
    demand = scenario.demand.get(case_type)
    if demand is None:
        return 0.0
    return cases_per_year_at(scenario, case_type, 0.0) / DAYS_PER_YEAR * demand.region_shares.get(region, 0.0)


def _reaching_order_share(scenario: Scenario, case_type: str) -> float:
    """Share of a case type's starts that reach an order (public law: those not diverted in pre-proceedings)."""
    if case_type != "public_law":
        return 1.0
    pre = scenario.public_law.pre_proceedings
    return 1.0 - pre.share * pre.diverted_share


def orders_per_day(scenario: Scenario, region: str) -> dict[str, float]:
    """Orders a day by case type in a region, in a steady past at day 0's inputs, returns included.

    Orders ``D = d ∘ (S + R)`` and returns ``R = D M``, where ``S`` is new cases a day, ``d`` the share reaching an
    order and ``M[c, c']`` the share of type ``c``'s orders whose children come back as type ``c'``."""
    n = len(CASE_TYPES)
    starts = np.array([_new_cases_per_day(scenario, c, region) for c in CASE_TYPES])
    reaching = np.array([_reaching_order_share(scenario, c) for c in CASE_TYPES])
    back = np.zeros((n, n))
    for i, case_type in enumerate(CASE_TYPES):
        pathway = pathway_at_start(scenario, case_type, region)
        outcomes = getattr(scenario, pathway).outcomes
        for outcome, rule in scenario.recurrence.get(pathway, {}).items():
            back[i, CASE_TYPES.index(rule.case_type)] += outcomes.get(outcome, 0.0) * rule.share
    again = np.diag(reaching) @ back
    if max(abs(np.linalg.eigvals(again)), default=0.0) >= 1.0:
        return dict.fromkeys(CASE_TYPES, 0.0)  # every order returns: no steady past exists, so none is assumed
    returns = (reaching * starts) @ back @ np.linalg.inv(np.eye(n) - again)
    orders = reaching * (starts + returns)
    return {c: float(orders[i]) for i, c in enumerate(CASE_TYPES)}


def past_returns(scenario: Scenario, rng_for: dict[tuple[str, str, str], np.random.Generator]) -> list[PastReturn]:
    """Every return from before day 0, in arrival order. ``rng_for`` gives a generator per (region, pathway,
    outcome) that :func:`rules` names, so a change to one rule moves only its own returns."""
    found: list[PastReturn] = []
    regions = list(scenario.regions)
    orders = {region: orders_per_day(scenario, region) for region in regions}
    for (region, pathway, outcome), rng in rng_for.items():
        case_type = PATHWAY_TABLES[pathway].case_type
        rule = scenario.recurrence[pathway][outcome]
        per_day = orders[region][case_type] * getattr(scenario, pathway).outcomes.get(outcome, 0.0)
        quantile = inverse_cdf(rule.delay_days)
        horizon_days = quantile.at(HORIZON_QUANTILE)
        until_days = scenario.starting_state.past_orders_until_days.get(case_type, 0.0)
        expected = per_day * rule.share * (horizon_days + until_days)
        if not (expected > 0 and math.isfinite(expected)):
            continue
        count = int(rng.poisson(expected))
        order_day = rng.random(count) * (horizon_days + until_days) - horizon_days
        arrival_day = order_day + np.array([quantile.at(u) for u in rng.random(count)])
        target = CASE_TYPES.index(rule.case_type)
        r = regions.index(region)
        found += [PastReturn(float(t), target, r, pathway, outcome) for t in arrival_day[arrival_day > 0]]
    found.sort(key=lambda p: p.day)
    return found


def rules(scenario: Scenario) -> list[tuple[str, str, str]]:
    """(region, pathway, outcome) of every recurrence rule that applies on day 0 in some region."""
    return [
        (region, pathway, outcome)
        for region in scenario.regions
        for case_type in CASE_TYPES
        for pathway in [pathway_at_start(scenario, case_type, region)]
        for outcome in scenario.recurrence.get(pathway, {})
    ]


def returns_from_before_start(rep: Run) -> Generator[Any, Any, None]:
    """Children coming back to court from orders made before the run: returns with children new to the run."""
    base = rep.scenario
    if not base.starting_state.returns_before_start:
        return
    regions = list(base.regions)
    rng_for = {
        key: rep.streams.generator("returns_before_start:" + ":".join(key[1:]), regions.index(key[0]))
        for key in rules(base)
    }
    env = rep.env
    serials = [0] * len(CASE_TYPES)
    for past in past_returns(base, rng_for):
        serial = serials[past.case_type]
        serials[past.case_type] = serial + 1
        if not rep.simulates[past.region]:
            continue
        yield env.timeout(past.day - env.now)
        draws = rep.streams.draws(RETURNED_FROM_BEFORE, past.case_type, serial)
        case = rep.new_case(past.case_type, past.region, past.day, draws)
        case.is_return = True
        rep.stats.returns_from_before_start += 1
        rep.stats.children_returning_from_before_start += len(case.children)
        start(rep.pathway(case))


def start_open_caseload(rep: Run) -> None:
    """Start the declared open cases at their stages, issued some days before the start date: by stage with
    regions drawn by demand shares, then by region and stage, each with its ages and hearings booked ahead."""
    base = rep.scenario
    regions = list(base.regions)
    for case_type, open_cases in base.starting_state.open_cases.items():
        key = f"starting_state.open_cases.{case_type}"
        code = CASE_TYPES.index(case_type)
        serial = 0
        if open_cases.by_stage:
            age = rep.params.sampler(f"{key}.age_days", open_cases.age_days)
            booked = _booked_sampler(rep, f"{key}.next_hearing_days", open_cases.next_hearing_days)
            for stage, count in open_cases.by_stage.items():
                for _ in range(int(round(count))):
                    draws = rep.streams.draws(OPEN_CASELOAD, code, serial)
                    serial += 1
                    region = draws.choose(OPEN_REGION, rep.params.region_cumulative[case_type])
                    if rep.simulates[region]:
                        _start_open_case(rep, case_type, region, stage, age, booked, draws)
        for region_name, stages in open_cases.by_region.items():
            for stage, declared in stages.items():
                where = f"{key}.by_region.{region_name}.{stage}"
                age = rep.params.sampler(f"{where}.age_days", declared.age_days)
                booked = _booked_sampler(rep, f"{where}.next_hearing_days", declared.next_hearing_days)
                region = regions.index(region_name)
                for _ in range(int(round(declared.count))):
                    draws = rep.streams.draws(OPEN_CASELOAD, code, serial)
                    serial += 1
                    if rep.simulates[region]:
                        _start_open_case(rep, case_type, region, stage, age, booked, draws)


def _booked_sampler(rep: Run, key: str, dist: Any) -> Inverse | None:
    return None if dist is None else rep.params.sampler(key, dist)


def _start_open_case(
    rep: Run, case_type: str, region: int, stage: str, age: Inverse, booked: Inverse | None, draws: Draws
) -> None:
    case = rep.new_case(CASE_TYPES.index(case_type), region, 0.0, draws)
    case.from_open_caseload = True
    case.entry_stage = PATHWAY_TABLES[case_type].entry_code(stage)
    case.issue_day = case.arrival_day = -draws.sample(OPEN_AGE, age)
    if booked is not None:
        case.booked_day = rep.scenario.results_start_day + draws.sample(OPEN_BOOKED, booked)
    rep.count_open(case)
    case.days_before_run = -case.issue_day
    start(rep.pathway(case))
