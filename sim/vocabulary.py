"""The words of the model, defined once: case types, pathways, agencies, teams, stages, listing classes, case
statuses and units of time. Every other module imports them from here, so a name cannot drift between the
schema, the model, the records and the indicators.

Each pathway is one declarative table (:class:`Pathway`): its stages in order, who does each, the scenario key
of each hearing and duration, its branch decisions and the stages an open case may start at. The schema's
hearing lists, the entry stages, the model's duration keys and the stage record codes are all derived from
these tables, so adding a stage is one line here.

This module comes before every package in the one-way flow and imports nothing of the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# ---------------------------------------------------------------------------------------------- time
# Words that are single numbers or strings are Final: the compiled model (sim/model/build.py) then builds them in as
# constants, where any other imported name is looked up in a dictionary at every use.
DAYS_PER_YEAR: Final = 365.25
"""Simulation time is in days; a year is a Julian year, so that four years are 1,461 days."""
WEEK_DAYS: Final = 7.0
HOURS_PER_DAY: Final = 24
TARGET_WEEKS: Final = 26.0
"""The statutory limit for care proceedings (s32 Children Act 1989, as amended in 2014), shown for every case type."""

# ---------------------------------------------------------------------------------------------- cases
CASE_TYPES = ("public_law", "private_law", "domestic_abuse")
"""Case types with arrivals of their own; Pathfinder is a routing of private law, not a case type."""

LISTING_CLASSES = ("domestic_abuse", "public_law", "private_law_with_domestic_abuse", "private_law")
"""What the listing diary ranks hearings by."""

STATUS_OPEN: Final = "open"
STATUS_DISPOSED: Final = "disposed"
STATUS_DIVERTED: Final = "diverted"
STATUSES = (STATUS_DISPOSED, STATUS_DIVERTED, STATUS_OPEN)


def listing_class(case_type: str, domestic_abuse: bool) -> str:
    """The listing class of a case: its case type, with private law split by whether domestic abuse is alleged."""
    if case_type == "private_law":
        return "private_law_with_domestic_abuse" if domestic_abuse else "private_law"
    return case_type


# ---------------------------------------------------------------------------------------------- agencies
AGENCIES = ("court", "cafcass", "local_authority", "experts")
"""The agencies a child's days are attributed to, in the order of the records' agency codes."""
COURT: Final = 0
CAFCASS: Final = 1
LOCAL_AUTHORITY: Final = 2
EXPERTS: Final = 3
"""The agencies' codes: their places in :data:`AGENCIES`, written as numbers so that the compiled model builds them
in (tests/test_vocabulary.py holds them to their places)."""

TEAM_AGENCY = {
    "cafcass_short_term": "cafcass",
    "cafcass_long_term": "cafcass",
    "local_authority": "local_authority",
    "experts": "experts",
}
"""Caseload teams (workers with a caseload limit and an unallocated queue) and the agency each belongs to."""
TEAM_KINDS = tuple(TEAM_AGENCY)
CAFCASS_CYMRU_REGIONS = ("wales",)
"""Regions whose Cafcass teams are Cafcass Cymru, a separate body: Cafcass's own published figures (England only)
are measured over the other regions."""

EVENT_MODEL, AGENDA_MODEL = "events", "agenda"
MODELS = (EVENT_MODEL, AGENDA_MODEL)
"""How a replication is simulated: event by event (``sim.model.replication``: each case a SimPy process, time kept to
the hour), or day by day (``sim.model.agenda``: cases as rows of numpy columns moved in batches, about 1.6 times
cheaper). Both draw each case's decisions and durations from the same keyed tape, so they agree on every headline
figure within its interval (``tests/test_agenda.py``)."""


def model_words(model: str) -> str:
    """How a record names the model its figures came from."""
    way = "day by day (the agenda" if model == AGENDA_MODEL else "event by event (the event model"
    return f"simulated {way}, `--model {model}`)"


# ---------------------------------------------------------------------------------------------- pathway tables
HEARING, TEAM_WORK, ALLOCATION, ACTIVE_WORK, FOLLOW_UP = (
    "hearing",
    "team_work",
    "allocation",
    "active_work",
    "follow_up",
)
STAGE_KINDS = (HEARING, TEAM_WORK, ALLOCATION, ACTIVE_WORK, FOLLOW_UP)
"""A hearing is listed in a court diary; team work and an allocation wait for a slot in a caseload team (an
allocated worker stays with the case); active work only takes time; a follow-up is recorded after the order,
outside proceedings."""


@dataclass(frozen=True)
class Stage:
    """One stage of a pathway, as the records name it."""

    name: str
    kind: str
    by: tuple[str, ...]
    """"court" for hearings and court work, else the caseload teams (:data:`TEAM_KINDS`) that may do the work."""
    key: str = ""
    """Dotted scenario key: the stage's ``Hearing`` for a hearing, its duration in days for work."""
    entry: bool = False
    """An open case of the starting caseload may be in this stage at the start of a run."""
    since: int = 1
    """The round of the stage list that added the stage. Record codes are given round by round (every table's
    stages of round 1 in table order, then round 2, ...), so a stage added to the middle of a journey later
    takes a code after every older one and old results keep their meaning."""

    @property
    def agencies(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(TEAM_AGENCY.get(b, b) for b in self.by))


@dataclass(frozen=True)
class Pathway:
    """A pathway's stages in the order a case meets them (alternatives side by side) and its branch decisions."""

    name: str
    case_type: str
    stages: tuple[Stage, ...]
    decisions: tuple[str, ...]
    """Dotted scenario keys of the shares the pathway branches on; all are drawn from the pathway's own stream."""
    counts: tuple[str, ...] = ()
    """Dotted scenario keys of counts the pathway draws from the same stream (the share of cases with each
    number, e.g. of further hearings)."""
    rates: tuple[str, ...] = ()
    """Dotted scenario keys of hazards the pathway hands to its steps, which draw on them from their own stream
    (e.g. withdrawal while a hearing waits for a listing)."""
    rules: tuple[str, ...] = ()
    """Dotted scenario keys of switches that change how the pathway runs without a draw (e.g. whether a report's
    writer keeps the case until the hearing that considers it)."""

    @property
    def hearing_keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.stages if s.kind == HEARING)

    @property
    def duration_keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.stages if s.kind != HEARING and s.key)

    @property
    def entry_stages(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.stages if s.entry)

    def entry_code(self, stage: str) -> int:
        """A case's ``entry_stage``: 0 for a new case, else 1 + the stage's place among the entry stages."""
        return self.entry_stages.index(stage) + 1


_COURT = ("court",)

PUBLIC_LAW = Pathway(
    name="public_law",
    case_type="public_law",
    stages=(
        Stage("pre_proceedings", TEAM_WORK, ("local_authority",), "public_law.pre_proceedings.duration_days"),
        Stage("urgent_hearing", HEARING, _COURT, "public_law.urgent_hearing.hearing", since=2),
        Stage("guardian_allocation", ALLOCATION, ("cafcass_long_term",)),
        Stage("case_management_hearing", HEARING, _COURT, "public_law.case_management_hearing", entry=True),
        Stage("assessment", TEAM_WORK, ("local_authority",), "public_law.assessments.duration_days", entry=True),
        Stage("expert_assessment", TEAM_WORK, ("experts",), "public_law.assessments.expert_duration_days"),
        Stage(
            "further_assessment",
            TEAM_WORK,
            ("local_authority",),
            "public_law.further_assessment.duration_days",
            since=3,
        ),
        Stage(
            "further_case_management_hearing",
            HEARING,
            _COURT,
            "public_law.further_case_management.hearing",
            since=2,
        ),
        Stage("issues_resolution_hearing", HEARING, _COURT, "public_law.issues_resolution_hearing", entry=True),
        Stage("contested_further_hearing", HEARING, _COURT, "public_law.contested_further_hearings.hearing", since=2),
        Stage("final_hearing", HEARING, _COURT, "public_law.final_hearing", entry=True),
    ),
    decisions=(
        "public_law.pre_proceedings.share",
        "public_law.pre_proceedings.diverted_share",
        "public_law.urgent_hearing.share",
        "public_law.resolved_at_cmh_share",
        "public_law.assessments.expert_share",
        "public_law.further_assessment.share",
        "public_law.resolved_at_irh_share",
    ),
    counts=(
        "public_law.further_case_management.count_shares",
        "public_law.contested_further_hearings.count_shares",
    ),
)

PRIVATE_LAW = Pathway(
    name="private_law",
    case_type="private_law",
    stages=(
        Stage("safeguarding_checks", TEAM_WORK, ("cafcass_short_term",), "private_law.safeguarding_days", entry=True),
        Stage("first_hearing", HEARING, _COURT, "private_law.first_hearing", entry=True),
        Stage("fact_finding_hearing", HEARING, _COURT, "private_law.fact_finding.hearing"),
        Stage(
            "section7_report",
            TEAM_WORK,
            ("local_authority", "cafcass_long_term"),
            "private_law.section7.duration_days",
            entry=True,
        ),
        Stage("dispute_resolution_hearing", HEARING, _COURT, "private_law.dispute_resolution_hearing", entry=True),
        Stage("final_hearing", HEARING, _COURT, "private_law.final_hearing", entry=True),
    ),
    decisions=(
        "private_law.resolved_at_first_hearing_share",
        "private_law.fact_finding.share_if_domestic_abuse",
        "private_law.section7.share",
        "private_law.section7.by_local_authority_share",
        "private_law.resolved_at_dra_share",
        "private_law.first_disposal_at_first_hearing_share",
        "private_law.allocated_to_lay_justices_share",
    ),
    rates=("private_law.withdrawal_per_week_waiting",),
    rules=("private_law.section7.writer_stays_to_dra",),
)
LAY_JUSTICES_LIST: Final = "private_law.first_hearing"
"""The hearing whose tier hears the later hearings of a private law case kept by lay justices: the FHDRA's."""
LAY_JUSTICES_HEARINGS = ("private_law.dispute_resolution_hearing", "private_law.final_hearing")
"""The hearings a private law case kept by lay justices has on :data:`LAY_JUSTICES_LIST`'s tier (the pathway lists
them there; the court's split of hours by demand counts them there)."""

PATHFINDER = Pathway(
    name="pathfinder",
    case_type="private_law",
    stages=(
        Stage("gatekeeping", ACTIVE_WORK, _COURT, "pathfinder.gatekeeping_days"),
        Stage("domestic_abuse_referral", ACTIVE_WORK, _COURT, "pathfinder.domestic_abuse_referral_days", since=2),
        Stage(
            "child_impact_report",
            TEAM_WORK,
            ("local_authority", "cafcass_long_term"),
            "pathfinder.child_impact_report.duration_days",
        ),
        Stage("second_gatekeeping", ACTIVE_WORK, _COURT, "pathfinder.second_gatekeeping_days", since=2),
        Stage("fact_finding_hearing", HEARING, _COURT, "pathfinder.fact_finding.hearing", since=2),
        Stage("decision_hearing", HEARING, _COURT, "pathfinder.decision_hearing"),
        Stage("review", FOLLOW_UP, _COURT, "pathfinder.review_days"),
    ),
    decisions=(
        "pathfinder.child_impact_report.by_local_authority_share",
        "pathfinder.fact_finding.share_if_domestic_abuse",
        "pathfinder.resolved_on_papers_share",
        "pathfinder.review_share",
    ),
)

DOMESTIC_ABUSE = Pathway(
    name="domestic_abuse",
    case_type="domestic_abuse",
    stages=(
        Stage("without_notice_hearing", HEARING, _COURT, "domestic_abuse.without_notice_hearing"),
        Stage("return_hearing", HEARING, _COURT, "domestic_abuse.return_hearing", entry=True),
    ),
    decisions=("domestic_abuse.without_notice_share",),
)

PATHWAY_TABLES = {p.name: p for p in (PUBLIC_LAW, PRIVATE_LAW, PATHFINDER, DOMESTIC_ABUSE)}
"""Every pathway's table, by name. Pathfinder is a routing of private law cases, not a case type of its own."""

# ---------------------------------------------------------------------------------------------- derived words
PATHWAYS = tuple(PATHWAY_TABLES)
"""Pathways: the case types, with private law split into the standard and the Pathfinder routes."""

STAGES = tuple(
    dict.fromkeys(s.name for s in sorted((s for p in PATHWAY_TABLES.values() for s in p.stages), key=lambda s: s.since))
)
"""Stage names are shared across pathways (a final hearing is a final hearing); a record's stage code is the
index in this tuple. Codes are given round by round (:attr:`Stage.since`, a stable sort keeps table order within
a round), so a new stage takes the next round's number wherever it sits in its journey."""
STAGE = {name: code for code, name in enumerate(STAGES)}

ENTRY_STAGES: dict[str, tuple[str, ...]] = {p.name: p.entry_stages for p in PATHWAY_TABLES.values() if p.entry_stages}
"""Stages an open case can be in at the start of a run, in pathway order, by case type."""

HEARING_KEYS = tuple(k for p in PATHWAY_TABLES.values() for k in p.hearing_keys)
"""Dotted scenario keys of every hearing a pathway lists."""

HEARINGS_BY_CASE_TYPE = {
    c: tuple(k for p in PATHWAY_TABLES.values() if p.case_type == c for k in p.hearing_keys) for c in CASE_TYPES
}
"""The hearings each case type may need, so a region with demand must have sitting hours for their tiers."""

DURATION_KEYS = tuple(k for p in PATHWAY_TABLES.values() for k in p.duration_keys)
"""Dotted scenario keys of every duration a pathway draws (each has its own places on a case's tape of draws)."""

DECISION_KEYS = tuple(k for p in PATHWAY_TABLES.values() for k in p.decisions)
"""Dotted scenario keys of every branch share."""

COUNT_KEYS = tuple(k for p in PATHWAY_TABLES.values() for k in p.counts)
"""Dotted scenario keys of every count a pathway draws (the share of cases with each number)."""
