"""Local authority children's services: social workers for pre-proceedings, assessments and reports."""

from __future__ import annotations

import simpy

from sim.model.agencies.caseload import CaseloadTeam
from sim.scenario.schema import Scenario


class LocalAuthorities:
    """One pooled social work team per region (the region's authorities share capacity)."""

    def __init__(self, env: simpy.Environment, scenario: Scenario) -> None:
        limit = scenario.local_authorities.caseload_limit
        self.social_workers = [
            CaseloadTeam(env, f"local_authority:{name}", r.local_authority.social_workers, limit)
            for name, r in scenario.regions.items()
        ]

    def apply(self, scenario: Scenario) -> None:
        limit = scenario.local_authorities.caseload_limit
        for team, region in zip(self.social_workers, scenario.regions.values(), strict=True):
            team.set_capacity(region.local_authority.social_workers, limit)

    def teams(self) -> list[CaseloadTeam]:
        return list(self.social_workers)
