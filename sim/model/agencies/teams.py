"""The caseload teams of Cafcass, local authorities and experts, one per kind and region.

Cafcass short-term advisers (private law to the first hearing), Cafcass long-term advisers (children's
guardians, section 7 reports, Child Impact Reports), local authority social workers (pre-proceedings,
assessments, reports) and expert assessors differ only in where the scenario keeps their workers and their
average caseload and its stretch under pressure, so one class builds them all from :data:`TEAM_SOURCES` and
:data:`TEAM_PRESSURE_SOURCES`. A region's local authorities share one pooled team (the authority count only
labels cases).
"""

from __future__ import annotations

from typing import Final

import simpy

from sim.model.agencies.caseload import CaseloadTeam
from sim.scenario.schema import Scenario
from sim.vocabulary import TEAM_KINDS

TEAM_SOURCES: Final[dict[str, tuple[str, str]]] = {
    "cafcass_short_term": ("cafcass.short_term_advisers", "cafcass.short_term_caseload_limit"),
    "cafcass_long_term": ("cafcass.long_term_advisers", "cafcass.long_term_caseload_limit"),
    "local_authority": ("local_authority.social_workers", "local_authorities.caseload_limit"),
    "experts": ("experts.assessors", "experts.caseload_limit"),
}
"""For each team kind: its full-time-equivalent workers (a key under ``regions.<name>``) and its national
average caseload (a key of the scenario)."""

TEAM_PRESSURE_SOURCES: Final[dict[str, tuple[str, str]]] = {
    "cafcass_short_term": ("cafcass.short_term_caseload_stretch_max", "cafcass.short_term_allocation_delay_days"),
    "cafcass_long_term": ("cafcass.long_term_caseload_stretch_max", "cafcass.long_term_allocation_delay_days"),
    "local_authority": ("local_authorities.caseload_stretch_max", "local_authorities.allocation_delay_days"),
    "experts": ("experts.caseload_stretch_max", "experts.allocation_delay_days"),
}
"""For each team kind: how far above its average caseload a worker may go when work is waiting, and how long
work waits before it is allocated above the average (national keys of the scenario)."""


class Teams:
    """Every caseload team, by kind (in :data:`sim.vocabulary.TEAM_KINDS` order) and region code."""

    def __init__(self, env: simpy.Environment, scenario: Scenario) -> None:
        self.by_kind: dict[str, list[CaseloadTeam]] = {
            kind: [
                CaseloadTeam(env, f"{kind}:{name}", workers, limit, *_pressure(scenario, kind))
                for name, (workers, limit) in _capacities(scenario, kind).items()
            ]
            for kind in TEAM_KINDS
        }

    def team(self, kind: str, region: int) -> CaseloadTeam:
        return self.by_kind[kind][region]

    def waiting(self) -> list[simpy.Event]:
        """The allocations still awaited, every team's: pending events that are not in the event queue."""
        return [event for teams in self.by_kind.values() for team in teams for _, event in team.queue]

    def apply(self, scenario: Scenario) -> None:
        """A policy's new workers or caseload limits, kind by kind in a fixed order (allocations follow it)."""
        for kind, teams in self.by_kind.items():
            pressure = _pressure(scenario, kind)
            for team, (workers, limit) in zip(teams, _capacities(scenario, kind).values(), strict=True):
                team.set_capacity(workers, limit, *pressure)


def _capacities(scenario: Scenario, kind: str) -> dict[str, tuple[float, float]]:
    """(workers, caseload limit) of a team kind in each region, by region name."""
    workers_key, limit_key = TEAM_SOURCES[kind]
    limit = scenario.at(limit_key)
    return {name: (scenario.at(f"regions.{name}.{workers_key}"), limit) for name in scenario.regions}


def _pressure(scenario: Scenario, kind: str) -> tuple[float, float]:
    """(caseload stretch, allocation delay in days) of a team kind, the same in every region."""
    stretch_key, delay_key = TEAM_PRESSURE_SOURCES[kind]
    return scenario.at(stretch_key), scenario.at(delay_key)
