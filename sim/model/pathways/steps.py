"""The steps every pathway is built from: a hearing, a piece of work by a team, an allocation.

Each step is a generator used with ``yield from``. It marks the stage as requested, waits (for a listing or
a free slot), works, and records the stage with its agency, so the case's account of waiting and active
days stays exact. A step yields only when time must pass: a free slot is taken without an event.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from sim.model.agencies.caseload import CaseloadTeam
from sim.model.entities import Case
from sim.vocabulary import COURT

if TYPE_CHECKING:
    from sim.model.replication import Replication

Steps = Generator[Any, Any, None]

HEARING_DAYS = 1.0
"""A hearing occupies its sitting day; the case moves on the next day."""


def _close_stage(rep: Replication, case: Case, started: float) -> None:
    now = rep.env.now
    agency = case.stage_agency
    requested = case.stage_requested
    case.wait_days[agency] += started - requested
    case.active_days[agency] += now - started
    rep.recorder.stage(case.case_id, case.stage, agency, requested, started, now)
    case.stage = -1


def hearing(rep: Replication, case: Case, stage: int, plan_key: str) -> Steps:
    """List a hearing, wait for its day, and relist it if it is vacated beforehand or adjourned on the day."""
    env = rep.env
    plan = rep.hearings[plan_key]
    case.begin(stage, COURT, env.now)
    diary = rep.court.diaries[case.region][plan.tier]
    hours = plan.duration_hours()
    earliest = env.now + plan.notice_days()
    chance = rep.listing_draws
    while True:
        now = env.now
        day = diary.book(math.ceil(earliest - 1e-9), hours, rep.listing_rank[case.listing_class], int(now))
        if chance() < rep.vacate_probability:
            yield env.timeout(chance() * (day - now))
            diary.release(day, hours)
            case.vacated += 1
            earliest = env.now + rep.relist_notice_days
            continue
        yield env.timeout(day + HEARING_DAYS - now)
        case.hearings += 1
        if case.first_hearing_day != case.first_hearing_day:  # NaN: this is the first
            case.first_hearing_day = float(day)
        if chance() < rep.adjourn_probability:
            case.adjournments += 1
            earliest = env.now + rep.relist_notice_days
            continue
        break
    _close_stage(rep, case, float(day))


def team_work(
    rep: Replication,
    case: Case,
    stage: int,
    agency: int,
    team: CaseloadTeam,
    duration_key: str,
    keep_slot: bool = False,
) -> Steps:
    """Wait to be allocated a worker, then work for a drawn duration; free the slot unless kept."""
    env = rep.env
    case.begin(stage, agency, env.now)
    allocation = team.request()
    if allocation is not None:
        yield allocation
    started = env.now
    case.stage_started = started
    yield env.timeout(rep.durations[duration_key]())
    if not keep_slot:
        team.release()
    _close_stage(rep, case, started)


def allocation(rep: Replication, case: Case, stage: int, agency: int, team: CaseloadTeam) -> Steps:
    """Wait for a worker who then stays with the case (a children's guardian); the stage ends on allocation."""
    env = rep.env
    case.begin(stage, agency, env.now)
    event = team.request()
    if event is not None:
        yield event
    _close_stage(rep, case, env.now)


def active_work(rep: Replication, case: Case, stage: int, agency: int, duration_key: str) -> Steps:
    """Work that needs no scarce capacity in the model (gatekeeping): only its duration."""
    env = rep.env
    case.begin(stage, agency, env.now)
    case.stage_started = env.now
    yield env.timeout(rep.durations[duration_key]())
    _close_stage(rep, case, case.stage_started)
