"""What a case's route is made of in the day-by-day agenda: operations, each an id with its type, team, hearing,
list and rank, and what a row waits for on its due day.

A case's whole route is fixed when it is created, as a row of operation ids (:mod:`sim.model.agenda.route_plans`);
:class:`Ops` describes the ids, as arrays a day's batch indexes. A policy may change only what the agenda reads
when a step happens (:data:`READ_WHEN_IT_HAPPENS`): :func:`policy_changes` names any other key it changes.
"""

from __future__ import annotations

import fnmatch

import numpy as np

from sim.model.parameters import Parameters
from sim.model.random_streams import BASES, PURPOSE
from sim.scenario.policy_paths import flatten
from sim.scenario.schema import Scenario
from sim.vocabulary import (
    AGENCIES,
    CASE_TYPES,
    COURT,
    LISTING_CLASSES,
    PATHWAY_TABLES,
    PATHWAYS,
    STAGE,
    TEAM_AGENCY,
    TEAM_KINDS,
    listing_class,
)
from sim.vocabulary import HEARING as HEARING_KIND

ENTRY = {
    (name, stage): PATHWAY_TABLES[name].entry_code(stage)
    for name in CASE_TYPES
    for stage in PATHWAY_TABLES[name].entry_stages
}
"""A pathway's entry stages by code (``Pathway.entry_code``): where an open case of the starting state begins its
route (0: a new case, from the start)."""
# Operations of a route. Each route position holds an operation id; :class:`Ops` describes the ids.
ISSUE, TEAM_WORK, ALLOCATION, RELEASE, HEARING, FIRST_DISPOSAL, DIVERT, DISPOSE, COURT_WORK, REVIEW = range(10)
"""COURT_WORK: work that needs no scarce capacity, only its duration (Pathfinder's gatekeeping); REVIEW: a stage
recorded after the order that the case does not wait for (Pathfinder's review)."""
INSTANT = (ISSUE, RELEASE, FIRST_DISPOSAL, REVIEW)
"""Operations that take no time: a row runs them and goes on to its next operation the same moment."""
IS_INSTANT = np.isin(np.arange(REVIEW + 1), INSTANT)
"""Whether each operation type is instant, as a table to index (``np.isin`` costs about 40 us a call)."""
# What a row is waiting for on its due day (QUEUED: in a team's queue, due on no day).
ARRIVE, WORK_DONE, HEARD, OFF_LIST, CLOSED, QUEUED = range(6)
KIND = {kind: i for i, kind in enumerate(TEAM_KINDS)}
PUBLIC, PRIVATE, DOMESTIC = (CASE_TYPES.index(c) for c in ("public_law", "private_law", "domestic_abuse"))
ROUTES = (*CASE_TYPES, "pathfinder")
"""What a case's order is drawn by: its case type, or Pathfinder for a private law case on that route."""
ROUTE_CASE_TYPE = (*CASE_TYPES, "private_law")
"""The case type of each of :data:`ROUTES` (a return keeps it)."""
PATHFINDER_ROUTE = ROUTES.index("pathfinder")
PATHWAY_OF_TYPE = [PATHWAYS.index(c) for c in CASE_TYPES]
PATHFINDER = PATHWAYS.index("pathfinder")
INHERITED = ("da", "first_child", "birth", "centre", "local_authority", "n_children")
"""What a return to court takes from the case it returns from."""
TEAM_AGENCY_CODE = {kind: AGENCIES.index(agency) for kind, agency in TEAM_AGENCY.items()}
HEARING_STAGE = {s.key: s.name for p in PATHWAY_TABLES.values() for s in p.stages if s.kind == HEARING_KIND}
"""The stage each hearing is recorded as, from the pathway tables of ``sim.vocabulary``."""


def place(name: str) -> int:
    """A purpose's first place on a case's tape (``sim.model.random_streams``)."""
    return BASES[PURPOSE[name]]


READ_WHEN_IT_HAPPENS = (
    "courts.capacity.*", "courts.listing.*", "courts.recess", "courts.sitting_weekdays", "courts.relist_notice_days",
    "courts.urgent_relist_notice_days", "courts.vacate_probability", "courts.adjourn_probability*", "demand.*",
    "cafcass.*", "local_authorities.*", "experts.*", "regions.*.cafcass.*", "regions.*.local_authority.social_workers",
    "regions.*.experts.assessors", "regions.*.court.sitting_hours_per_day*",
)  # fmt: skip
"""Scenario keys a policy may change in the agenda: the court's hours (a region's may be one number or one per tier)
and listing rules, demand, the teams' workers and caseloads, and the court's chances of vacating and adjourning, all
read when they are used."""
READ_AT_CREATION = ("regions.*.pathfinder_from",)
"""Keys a case takes when it is created (at its month's start): a policy may change them on a month's first day."""


def policy_changes(before: Scenario, after: Scenario) -> tuple[list[str], list[str]]:
    """The keys a policy changes that the batch design fixes when a case is created (it cannot follow them yet),
    and those a case takes when it is created (see :data:`READ_AT_CREATION`)."""
    old, new = (flatten(s.model_dump(mode="json", exclude={"policies", "history"})) for s in (before, after))
    changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    at_creation = [k for k in changed if any(fnmatch.fnmatch(k, p) for p in READ_AT_CREATION)]
    read_later = [k for k in changed if any(fnmatch.fnmatch(k, p) for p in READ_WHEN_IT_HAPPENS)]
    fixed = [k for k in changed if k not in at_creation and k not in read_later]
    return fixed, at_creation


class Ops:
    """The operations routes are made of, each an id with its type, team, hearing key, list and rank."""

    def __init__(self, params: Parameters) -> None:
        self.params = params
        self.ids: dict[tuple, int] = {}
        self.keys: list[tuple] = []
        """What each id was declared with, (type, team, keep, hearing, stage), by id."""
        self.type: list[int] = []
        self.team: list[int] = []
        self.keep: list[bool] = []
        self.tier: list[int] = []
        self.rank: list[tuple[int, int]] = []
        self.urgent: list[bool] = []
        self.withdrawal: list[float] = []
        self.from_issue: list[bool] = []
        self.stage: list[int] = []
        """The stage (``sim.vocabulary.STAGE``) a hearing, a piece of work or an allocation is recorded as."""
        self.agency: list[int] = []

    def op(
        self,
        kind: int,
        team: str | None = None,
        keep: bool = False,
        hearing: tuple | None = None,
        stage: str = "",
        agency: int | None = None,
    ) -> int:
        key = (kind, team, keep, hearing, stage)
        got = self.ids.get(key)
        if got is not None:
            return got
        tier, rank, urgent, withdrawal, from_issue = -1, (0, 0), False, 0.0, False
        if hearing is not None:
            withdrawal = hearing[3]
            tier, rank, urgent, from_issue = self._listing(hearing)
        self.ids[key] = len(self.type)
        self.keys.append(key)
        self.type.append(kind)
        self.team.append(-1 if team is None else KIND[team])
        self.keep.append(keep)
        self.tier.append(tier)
        self.rank.append(rank)
        self.urgent.append(urgent)
        self.withdrawal.append(withdrawal)
        self.from_issue.append(from_issue)
        self.stage.append(STAGE.get(stage, -1))
        if agency is None:
            agency = COURT if hearing is not None else TEAM_AGENCY_CODE.get(team or "", -1)
        self.agency.append(agency)
        return self.ids[key]

    def follow(self, params: Parameters) -> None:
        """A policy's listing rules: each hearing's rank and urgency as the present model reads them when it books."""
        self.params = params
        for i, (_, _, _, hearing, _) in enumerate(self.keys):
            if hearing is not None:
                self.tier[i], self.rank[i], self.urgent[i] = self._listing(hearing)[:3]
        self.arrays()

    def _listing(self, hearing: tuple) -> tuple[int, tuple[int, int], bool, bool]:
        """A hearing's list (tier), rank (without and with domestic abuse), urgency and whether its notice runs from
        issue."""
        params = self.params
        pathway, hearing_key, tier_of, _ = hearing
        plan = params.hearings[hearing_key]
        tier = plan.tier if tier_of is None else params.hearings[tier_of].tier
        by_hearing = params.rank_by_hearing.get(hearing_key)
        rank = tuple(
            by_hearing
            if by_hearing is not None
            else params.listing_rank[LISTING_CLASSES.index(listing_class(pathway, bool(da)))]
            for da in (0, 1)
        )
        return tier, rank, plan.urgent, plan.notice_from_issue

    def arrays(self) -> None:
        """The descriptions as numpy arrays, for batches (called once every operation is known)."""
        self.a_type = np.array(self.type, dtype=np.int64)
        self.a_team = np.array(self.team, dtype=np.int64)
        self.a_keep = np.array(self.keep, dtype=bool)
        self.a_tier = np.array(self.tier, dtype=np.int64)
        self.a_rank = np.array(self.rank, dtype=np.int64).reshape(-1, 2)
        self.a_urgent = np.array(self.urgent, dtype=bool)
        self.a_withdrawal = np.array(self.withdrawal, dtype=np.float64)
        self.a_from_issue = np.array(self.from_issue, dtype=bool)
        self.a_stage = np.array(self.stage, dtype=np.int64)
        self.a_agency = np.array(self.agency, dtype=np.int64)
