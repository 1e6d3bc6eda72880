"""Cafcass: short-term teams (private law to the first hearing) and long-term teams (guardians, reports)."""

from __future__ import annotations

import simpy

from sim.model.agencies.caseload import CaseloadTeam
from sim.scenario.schema import Scenario


class Cafcass:
    """Per-region Cafcass teams, each with its caseload limit and unallocated queue."""

    def __init__(self, env: simpy.Environment, scenario: Scenario) -> None:
        limits = scenario.cafcass
        self.short_term = [
            CaseloadTeam(
                env, f"cafcass_short_term:{name}", r.cafcass.short_term_advisers, limits.short_term_caseload_limit
            )
            for name, r in scenario.regions.items()
        ]
        self.long_term = [
            CaseloadTeam(
                env, f"cafcass_long_term:{name}", r.cafcass.long_term_advisers, limits.long_term_caseload_limit
            )
            for name, r in scenario.regions.items()
        ]

    def apply(self, scenario: Scenario) -> None:
        limits = scenario.cafcass
        for team, region in zip(self.short_term, scenario.regions.values(), strict=True):
            team.set_capacity(region.cafcass.short_term_advisers, limits.short_term_caseload_limit)
        for team, region in zip(self.long_term, scenario.regions.values(), strict=True):
            team.set_capacity(region.cafcass.long_term_advisers, limits.long_term_caseload_limit)

    def teams(self) -> list[CaseloadTeam]:
        return self.short_term + self.long_term
