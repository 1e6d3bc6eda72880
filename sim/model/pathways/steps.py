"""The steps every pathway is built from: a hearing, a piece of work by a team, an allocation, court work.

Each step is a generator used with ``yield from``. It marks the stage as requested, waits (for a listing or
a free slot), works, and records the stage with its agency, so the case's account of waiting and active
days stays exact. A hearing also counts its procedural notice: from each (re)listing request to the earliest
day the hearing may be listed; the rest of its wait is for a listing (full lists, vacated or adjourned
hearings). A step yields only when time must pass: a free slot is taken without an event.
"""

from __future__ import annotations

import math
from typing import Final

from sim.model.agencies.court import Court, Listed, ListingDiary
from sim.model.agencies.teams import Teams
from sim.model.entities import Case
from sim.model.journeys import Clock
from sim.model.parameters import Parameters
from sim.model.pathways.context import HearingSteps, Steps
from sim.model.random_streams import PURPOSE
from sim.model.records import Recorder
from sim.vocabulary import AGENCIES, COURT, TEAM_AGENCY, WEEK_DAYS

HEARING_DAYS: Final = 1.0
"""A hearing occupies its sitting day; the case moves on the next day."""
LISTING_TOLERANCE_DAYS: Final = 1e-9
"""A hearing may be listed on the day its notice ends even if floating point puts the end a hair past midnight."""
TEAM_AGENCY_CODE: Final = {kind: AGENCIES.index(agency) for kind, agency in TEAM_AGENCY.items()}
HOURS: Final = PURPOSE["hearing.duration_hours"]
NOTICE: Final = PURPOSE["hearing.notice_days"]


def withdrawal_chance(per_week: float, listing_wait_days: float) -> float:
    """Chance the parties withdraw during a listing wait, at a constant hazard ``per_week``."""
    return -math.expm1(-per_week * listing_wait_days / WEEK_DAYS)


class StageSteps:
    """The steps of :class:`~sim.model.pathways.context.PathwayContext` on the model's court, teams and records."""

    def __init__(
        self,
        clock: Clock,
        court: Court,
        teams: Teams,
        recorder: Recorder,
        params: Parameters,
    ) -> None:
        self.clock = clock  # the environment's time and timeouts, reached directly as compiled code can
        self.court = court
        self.teams = teams
        self.recorder = recorder
        self.params = params

    def _close_stage(self, case: Case, started: float) -> None:
        now = self.clock.now
        agency = case.stage_agency
        requested = case.stage_requested
        case.add_agency_days(agency, started - requested, now - started)
        notice_days = case.stage_notice_days
        case.notice_court_days += notice_days
        self.recorder.stage(case.case_id, case.stage, agency, requested, started, now, notice_days)
        case.stage = -1

    def hearing(
        self, case: Case, stage: int, hearing_key: str, withdrawal_per_week: float = 0.0, tier_of: str | None = None
    ) -> HearingSteps:
        """List a hearing, wait for its day, and relist it if it is vacated beforehand or adjourned on the day.
        It is listed in its own tier, or in the tier of the hearing ``tier_of`` (a case kept by lay justices).

        The court may move a listed hearing later (displaced by urgent work, or vacated by a cut in sitting
        hours): the case wakes on the old day, finds the new one and waits on. Urgent hearings are relisted
        as urgent, after their own relist notice.
        """
        clock = self.clock
        params = self.params
        plan = params.hearings[hearing_key]
        case.begin(stage, COURT, clock.now)
        tier = plan.tier if tier_of is None else params.hearings[tier_of].tier
        diary = self.court.diaries[case.region][case.court_centre][tier]
        draws = case.draws
        hours = draws.sample(HOURS, plan.duration_hours)
        earliest = clock.now + draws.sample(NOTICE, plan.notice_days)
        if plan.notice_from_issue and case.issue_day == case.issue_day:  # counted from issue, never before now
            earliest = max(clock.now, earliest - (clock.now - case.issue_day))
        urgent = plan.urgent
        if case.booked_day == case.booked_day:  # booked before the run started: listed from that day
            earliest, case.booked_day = case.booked_day, math.nan
        while True:
            withdraws, vacates, adjourns = draws.listing()  # keyed by the listing's number
            now = clock.now
            earliest_day = math.ceil(earliest - LISTING_TOLERANCE_DAYS)
            case.give_notice(now, earliest_day)
            rank = params.rank_by_hearing.get(hearing_key)  # a policy may change ranks between relistings
            if rank is None:
                rank = params.listing_rank[case.listing_class]
            listed = diary.list_hearing(earliest_day, hours, rank, int(now), urgent)
            day = listed.day
            if (
                withdrawal_per_week
                and day > earliest_day
                and withdraws < (chance := withdrawal_chance(withdrawal_per_week, day - earliest_day))
            ):  # the parties settle or give up while the list is full
                yield from self._taken_off_the_list(diary, case, listed, now, withdraws / chance)
                self._close_stage(case, clock.now)
                return True
            if vacates < params.vacate_probability:
                yield from self._taken_off_the_list(diary, case, listed, now, vacates / params.vacate_probability)
                case.vacated += 1
                earliest = clock.now + (params.urgent_relist_notice_days if urgent else params.relist_notice_days)
                continue
            yield clock.timeout(day + HEARING_DAYS - now)
            while listed.day != day:  # moved later by the court while the case waited: waiting for a listing
                day = listed.day
                yield clock.timeout(day + HEARING_DAYS - clock.now)
            self._listing_ends(case, listed)  # heard on ``day``, on or after the earliest day: the whole notice counts
            case.hearings += 1
            if case.first_hearing_day != case.first_hearing_day:  # NaN: this is the first
                case.first_hearing_day = float(day)
            adjourn = params.adjourn_probability
            if params.adjourn_added_at_full_list:
                adjourn = min(1.0, adjourn + params.adjourn_added_at_full_list * min(1.0, diary.load_share(day)))
            if adjourns < adjourn:
                case.adjournments += 1
                earliest = clock.now + (params.urgent_relist_notice_days if urgent else params.relist_notice_days)
                continue
            break
        self._close_stage(case, float(day))
        return False

    def _listing_ends(self, case: Case, listed: Listed) -> None:
        """The case's listing ends (heard, vacated or withdrawn): its notice stops, the court's moves are counted."""
        case.end_notice(self.clock.now)
        case.vacated += listed.vacated
        case.displaced += listed.displaced

    def _taken_off_the_list(self, diary: ListingDiary, case: Case, listed: Listed, now: float, when: float) -> Steps:
        """The listing is cancelled at a uniform time before its day (vacated, or the parties withdraw): ``when`` is
        the draw that decided it over its probability, a U[0, 1) draw of its own given that it fell below."""
        yield self.clock.timeout(when * (listed.day - now))
        diary.cancel(listed)
        self._listing_ends(case, listed)

    def team_work(self, case: Case, stage: int, team_kind: str, duration_key: str, keep_slot: bool = False) -> Steps:
        """Wait to be allocated a worker, then work for a drawn duration; free the slot unless kept."""
        clock = self.clock
        team = self.teams.by_kind[team_kind][case.region]
        case.begin(stage, TEAM_AGENCY_CODE[team_kind], clock.now)
        allocation = team.request(len(case.children))
        if allocation is not None:
            yield allocation
        started = clock.now
        case.stage_started = started
        yield clock.timeout(case.draws.sample(PURPOSE[duration_key], self.params.durations[duration_key]))
        if not keep_slot:
            team.release(len(case.children))
        self._close_stage(case, started)

    def allocation(self, case: Case, stage: int, team_kind: str) -> Steps:
        """Wait for a worker who then stays with the case (a children's guardian); the stage ends on allocation."""
        clock = self.clock
        case.begin(stage, TEAM_AGENCY_CODE[team_kind], clock.now)
        event = self.teams.by_kind[team_kind][case.region].request(len(case.children))
        if event is not None:
            yield event
        self._close_stage(case, clock.now)

    def active_work(self, case: Case, stage: int, agency: int, duration_key: str) -> Steps:
        """Work that needs no scarce capacity in the model (gatekeeping): only its duration."""
        clock = self.clock
        case.begin(stage, agency, clock.now)
        case.stage_started = clock.now
        yield clock.timeout(case.draws.sample(PURPOSE[duration_key], self.params.durations[duration_key]))
        self._close_stage(case, case.stage_started)

    def follow_up(self, case: Case, stage: int, agency: int, duration_key: str) -> None:
        """A stage after the order (Pathfinder's review): recorded with its drawn duration; the case does not wait."""
        now = self.clock.now
        days = case.draws.sample(PURPOSE[duration_key], self.params.durations[duration_key])
        self.recorder.stage(case.case_id, stage, agency, now, now, now + days, 0.0)
