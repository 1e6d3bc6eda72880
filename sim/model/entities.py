"""Children and cases: what moves through the system, and what each case accumulates on its way.

A child keeps one identifier for life: it is carried into every case the child is in, including a return
to court years later. A case holds its children (siblings), its place (region, local authority), and a
running account of days spent waiting for, and being worked on by, each agency. Stages after issue run
back to back, so the account adds up exactly to the days in proceedings. Of the days waiting for the court,
the account keeps apart the procedural notice (from a hearing's request to the earliest day it may be
listed); the rest of that wait is for a listing, because the lists are full.
"""

from __future__ import annotations

import math

from sim.model.random_streams import Draws
from sim.vocabulary import CAFCASS, COURT, EXPERTS, LOCAL_AUTHORITY


class Child:
    """A child: one identifier across every agency and every return to court."""

    __slots__ = ("child_id", "birth_day", "attributes", "cases")

    def __init__(self, child_id: int, birth_day: float, attributes: tuple[int, ...]) -> None:
        self.child_id = child_id
        self.birth_day = birth_day
        self.attributes = attributes
        self.cases = 0


class Case:
    """One set of proceedings about one or more siblings."""

    __slots__ = (
        "case_id",
        "case_type",
        "region",
        "local_authority",
        "court_centre",
        "domestic_abuse",
        "pathfinder",
        "children",
        "is_return",
        "warm_up",
        "from_open_caseload",
        "arrival_day",
        "issue_day",
        "first_hearing_day",
        "first_disposal_day",
        "end_day",
        "outcome",
        "hearings",
        "adjournments",
        "vacated",
        "displaced",
        "court_wait_days",
        "cafcass_wait_days",
        "local_authority_wait_days",
        "experts_wait_days",
        "court_active_days",
        "cafcass_active_days",
        "local_authority_active_days",
        "experts_active_days",
        "notice_court_days",
        "pre_proceedings_days",
        "days_before_run",
        "entry_stage",
        "booked_day",
        "listing_class",
        "stage",
        "stage_agency",
        "stage_requested",
        "stage_started",
        "stage_notice_days",
        "stage_notice_from",
        "stage_notice_until",
        "diverted",
        "draws",
    )

    def __init__(
        self,
        case_id: int,
        case_type: int,
        region: int,
        local_authority: int,
        domestic_abuse: bool,
        children: list[Child],
        arrival_day: float,
        listing_class: int,
        draws: Draws,
    ) -> None:
        self.case_id = case_id
        self.case_type = case_type
        self.region = region
        self.local_authority = local_authority
        self.court_centre = 0
        """The court centre (of its region) where all the case's hearings are listed."""
        self.domestic_abuse = domestic_abuse
        self.pathfinder = False
        self.children = children
        self.is_return = False
        self.warm_up = False
        self.from_open_caseload = False
        self.arrival_day = arrival_day
        self.issue_day = math.nan
        self.first_hearing_day = math.nan
        self.first_disposal_day = math.nan
        """Day another application in the case was disposed of before the final order (FCSQ's first disposal);
        NaN if none: the disposal is then the first."""
        self.end_day = math.nan
        self.outcome = -1
        self.hearings = 0
        self.adjournments = 0
        self.vacated = 0
        self.displaced = 0
        """Listed hearings moved to a later day to make room for urgent work."""
        self.court_wait_days = 0.0
        self.cafcass_wait_days = 0.0
        self.local_authority_wait_days = 0.0
        self.experts_wait_days = 0.0
        """Days waiting for each agency since issue (the account of days; a field each, not a list, so compiled
        code adds to a number in place rather than making a new one in a list at every stage)."""
        self.court_active_days = 0.0
        self.cafcass_active_days = 0.0
        self.local_authority_active_days = 0.0
        self.experts_active_days = 0.0
        """Days each agency worked on the case since issue."""
        self.notice_court_days = 0.0
        self.pre_proceedings_days = 0.0
        self.days_before_run = 0.0
        self.entry_stage = 0
        self.booked_day = math.nan
        """Day of a hearing already booked before the run (an open case of the starting state); NaN for none."""
        self.listing_class = listing_class
        self.stage = -1
        self.stage_agency = -1
        self.stage_requested = math.nan
        self.stage_started = math.nan
        self.stage_notice_days = 0.0
        self.stage_notice_from = math.nan
        self.stage_notice_until = math.nan
        self.diverted = False
        self.draws = draws
        """The case's own random draws (:class:`sim.model.random_streams.Draws`), keyed to the case."""

    def add_agency_days(self, agency: int, wait_days: float, active_days: float) -> None:
        """Add a stage's days to the account of its agency (a code of :data:`sim.vocabulary.AGENCIES`)."""
        if agency == COURT:
            self.court_wait_days += wait_days
            self.court_active_days += active_days
        elif agency == CAFCASS:
            self.cafcass_wait_days += wait_days
            self.cafcass_active_days += active_days
        elif agency == LOCAL_AUTHORITY:
            self.local_authority_wait_days += wait_days
            self.local_authority_active_days += active_days
        elif agency == EXPERTS:
            self.experts_wait_days += wait_days
            self.experts_active_days += active_days
        else:
            raise ValueError(f"no agency has the code {agency}")

    def reset_agency_days(self) -> None:
        """Start the account of days again (at issue: the account covers the proceedings)."""
        self.court_wait_days = self.cafcass_wait_days = self.local_authority_wait_days = self.experts_wait_days = 0.0
        self.court_active_days = self.cafcass_active_days = 0.0
        self.local_authority_active_days = self.experts_active_days = 0.0

    def agency_days(self) -> list[float]:
        """The account: days waiting for each agency in the order of :data:`sim.vocabulary.AGENCIES`, then days
        each worked on the case."""
        return [
            self.court_wait_days,
            self.cafcass_wait_days,
            self.local_authority_wait_days,
            self.experts_wait_days,
            self.court_active_days,
            self.cafcass_active_days,
            self.local_authority_active_days,
            self.experts_active_days,
        ]

    def begin(self, stage: int, agency: int, now: float) -> None:
        """A stage is requested: from now the case waits on ``agency``."""
        self.stage = stage
        self.stage_agency = agency
        self.stage_requested = now
        self.stage_started = math.nan
        self.stage_notice_days = 0.0
        self.stage_notice_from = math.nan
        self.stage_notice_until = math.nan

    def give_notice(self, now: float, earliest_day: float) -> None:
        """A hearing is (re)listed at ``now`` and may not be heard before ``earliest_day``: that is notice."""
        start = self.stage_notice_from
        if start == start:  # a listing under way: :meth:`end_notice`, inlined (this runs at every listing)
            self.stage_notice_days += min(max(now, start), self.stage_notice_until) - start
        self.stage_notice_from = now
        self.stage_notice_until = max(now, earliest_day)

    def end_notice(self, now: float) -> None:
        """The listing ends (heard, or vacated early): count the notice elapsed by ``now`` and stop counting."""
        start = self.stage_notice_from
        if start == start:  # :meth:`notice_elapsed`, inlined; with no listing under way there is nothing to count
            self.stage_notice_days += min(max(now, start), self.stage_notice_until) - start
            self.stage_notice_from = math.nan
            self.stage_notice_until = math.nan

    def notice_elapsed(self, now: float) -> float:
        """Days of the current listing's notice period that have passed by ``now`` (0 with no listing)."""
        start = self.stage_notice_from
        if start != start:  # NaN: no listing under way
            return 0.0
        return min(max(now, start), self.stage_notice_until) - start

    def in_progress_notice_days(self, now: float) -> float:
        """Days of the stage under way that were procedural notice for a hearing, as of ``now``."""
        if self.stage < 0:
            return 0.0
        return self.stage_notice_days + self.notice_elapsed(now)

    def in_progress_days(self, now: float) -> tuple[float, float]:
        """(waiting, active) days of the stage under way, as of ``now``."""
        if self.stage < 0:
            return 0.0, 0.0
        started = self.stage_started
        if math.isnan(started):
            return now - self.stage_requested, 0.0
        return started - self.stage_requested, now - started
