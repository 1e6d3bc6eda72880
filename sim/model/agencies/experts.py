"""Experts: psychological, psychiatric and independent social work assessments, with their own capacity."""

from __future__ import annotations

import simpy

from sim.model.agencies.caseload import CaseloadTeam
from sim.scenario.schema import Scenario


class Experts:
    """One pool of expert assessors per region."""

    def __init__(self, env: simpy.Environment, scenario: Scenario) -> None:
        limit = scenario.experts.caseload_limit
        self.assessors = [
            CaseloadTeam(env, f"experts:{name}", r.experts.assessors, limit) for name, r in scenario.regions.items()
        ]

    def apply(self, scenario: Scenario) -> None:
        limit = scenario.experts.caseload_limit
        for team, region in zip(self.assessors, scenario.regions.values(), strict=True):
            team.set_capacity(region.experts.assessors, limit)

    def teams(self) -> list[CaseloadTeam]:
        return list(self.assessors)
