"""The parameters in force: what the scenario of the current period gives the model, ready to draw from.

A replication configures this once per period (the base scenario, then each policy's). Durations, hearing
lengths and notice periods become inverse distribution functions (quantiles), which turn a case's keyed
uniform draw into a value (:mod:`sim.model.random_streams`): a policy that changes one distribution moves
only the values drawn from it. Shares become cumulative lists for quick category draws.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from typing import Any

from sim.model.inverses import Inverse, inverse_cdf
from sim.scenario.schema import Scenario
from sim.vocabulary import CASE_TYPES, DURATION_KEYS, LISTING_CLASSES, PATHWAYS


@dataclass
class HearingPlan:
    """A hearing as the listing step needs it: the judge tier's code and quantiles of its hours and notice."""

    tier: int
    duration_hours: Inverse
    notice_days: Inverse
    urgent: bool = False
    """Listed as urgent work (``courts.listing.urgent_hearings``): it may displace lower-ranked hearings."""
    notice_from_issue: bool = False
    """The notice runs from the application's issue, not from the request (the FHDRA's 4 weeks)."""


class Parameters:
    """The scenario in force and the quantiles and cumulative shares drawn from it."""

    def __init__(self, outcome_names: list[str], scenario: Scenario) -> None:
        self.outcome_names = outcome_names
        self._samplers: dict[str, tuple[Any, Inverse]] = {}
        self.configure(scenario)

    def sampler(self, key: str, dist: Any) -> Inverse:
        """The quantile of the distribution at ``key``, reused while the distribution is unchanged."""
        held = self._samplers.get(key)
        if held is not None and held[0] == dist:
            return held[1]
        quantile = inverse_cdf(dist)
        self._samplers[key] = (dist, quantile)
        return quantile

    def configure(self, scenario: Scenario) -> None:
        """Take the values of a period's scenario (called at the start and at each policy's date)."""
        self.scenario = scenario
        self.durations = {
            key: self.sampler(key, dist) for key in DURATION_KEYS if (dist := scenario.at(key)) is not None
        }
        self.age_samplers = [
            self.sampler(f"children.age_years.{c}", scenario.children.age_years[c]) for c in CASE_TYPES
        ]
        self.local_authority_counts = [r.local_authorities for r in scenario.regions.values()]
        self.domestic_abuse_share = [scenario.children.domestic_abuse_share[c] for c in CASE_TYPES]
        """Share of new cases with domestic abuse, by case type code."""
        self.results_start_day = scenario.results_start_day
        for pathway_name, by_outcome in scenario.recurrence.items():
            for outcome, spec in by_outcome.items():
                key = f"recurrence.{pathway_name}.{outcome}.delay_days"
                self.durations[key] = self.sampler(key, spec.delay_days)
        tiers = scenario.courts.tiers
        self.hearings = {
            key: HearingPlan(
                tiers.index(h.tier),
                self.sampler(f"{key}.duration_hours", h.duration_hours),
                self.sampler(f"{key}.notice_days", h.notice_days),
                key in scenario.courts.listing.urgent_hearings,
                h.notice_from_issue,
            )
            for key, h in scenario.hearings().items()
        }
        self.listing_rank = [scenario.courts.listing.rank_by_class[c] for c in LISTING_CLASSES]
        self.rank_by_hearing = dict(scenario.courts.listing.rank_by_hearing)
        """Hearings ranked on their own, not by their case's class (``courts.listing.rank_by_hearing``)."""
        self.vacate_probability = scenario.courts.vacate_probability
        self.adjourn_probability = scenario.courts.adjourn_probability
        self.relist_notice_days = scenario.courts.relist_notice_days
        self.urgent_relist_notice_days = scenario.courts.urgent_relist_notice_days
        self.adjourn_added_at_full_list = scenario.courts.adjourn_probability_added_at_full_list
        self.centre_cumulative = [
            list(running(region.court.centre_shares()[1])) if region.court.centre_names()[1:] else None
            for region in scenario.regions.values()
        ]
        """Cumulative shares of cases by court centre in each region; None where a region has one centre."""
        self.outcome_cumulative = {
            name: cumulative(getattr(scenario, name).outcomes, self.outcome_names) for name in PATHWAYS
        }
        children = scenario.children
        self.children_cumulative = {
            CASE_TYPES.index(c): cumulative(
                {str(k): v for k, v in children.per_case[c].items()}, [str(k) for k in children.per_case[c]]
            )
            for c in CASE_TYPES
        }
        self.children_sizes = {CASE_TYPES.index(c): list(children.per_case[c]) for c in CASE_TYPES}
        self.attribute_cumulative = [list(running(shares.values())) for shares in children.attributes.values()]
        self.pathfinder_from_day = [
            math.inf if r.pathfinder_from is None else scenario.day_of(r.pathfinder_from)
            for r in scenario.regions.values()
        ]
        self.region_cumulative = {
            c: list(running(scenario.demand[c].region_shares.get(r, 0.0) for r in scenario.regions))
            for c in scenario.demand
        }


def running(values: Iterable[float]) -> Generator[float, None, None]:
    """Running totals."""
    total = 0.0
    for v in values:
        total += v
        yield total


def cumulative(shares: dict[str, float], names: list[str]) -> list[float]:
    """Cumulative probabilities over ``names`` (names without a share get zero)."""
    result = list(running(shares.get(n, 0.0) for n in names))
    if result:
        result[-1] = max(result[-1], 1.0)
    return result
