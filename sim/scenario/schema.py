"""The scenario schema: every key an analyst can set, its unit, range and meaning.

A scenario is read by :mod:`sim.scenario.yaml_file` (strict YAML with line numbers, ``extends``), then validated
here. Field descriptions are the reference documentation (``docs/scenario-reference.md`` is generated from
them). Cross-field rules (shares that sum to one, regions that exist, listing classes that are ranked) live
in validators so that every mistake is reported with its key path.

Why this module is long: the schema is one tree of blocks, read top to bottom as the reference documentation
is; split, a block's meaning would sit in another file from the blocks it refers to. Loading a file, its
cross-references and its policies are in :mod:`sim.scenario.loading`. The names the schema shares with the
model (case types, pathways, hearing keys, entry stages) come from :mod:`sim.vocabulary`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.scenario.distributions import Distribution
from sim.scenario.limits import (
    FIRST_DATE,
    LAST_DATE,
    LONGEST_RUN_DAYS,
    MAX_CASELOAD,
    MAX_SEASONALITY,
    MAX_STAFF,
    MAX_WARM_UP_DAYS,
    MAX_YEARS,
)
from sim.vocabulary import (
    AGENCIES,
    CASE_TYPES,
    DAYS_PER_YEAR,
    HEARING_KEYS,
    LISTING_CLASSES,
    PATHWAYS,
    WEEK_DAYS,
)

SHARE_TOLERANCE = 1e-6

Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Stretch = Annotated[float, Field(ge=1, le=5, allow_inf_nan=False)]
"""How far above its average caseload a worker may go: 1 (a hard cap) to 5 times."""
Name = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]
MonthDay = Annotated[str, Field(pattern=r"^\d{2}-\d{2}$", description="A day of the year as MM-DD.")]
CalendarDate = Annotated[dt.date, Field(ge=FIRST_DATE, le=LAST_DATE)]
"""A date inside the calendar a run can stamp (pandas timestamps span 1677-2262; see sim.scenario.limits)."""
Staff = Annotated[float, Field(ge=0, le=MAX_STAFF, allow_inf_nan=False)]
"""Full-time equivalents of one kind in a region; bounded so staff x caseload stays finite (sim.scenario.limits)."""
Caseload = Annotated[float, Field(gt=0, le=MAX_CASELOAD, allow_inf_nan=False)]
"""An average caseload of one worker, bounded for the same reason."""
Days = Annotated[float, Field(ge=0, le=LONGEST_RUN_DAYS, allow_inf_nan=False)]
"""A number of days at most the longest run (a century): a wait or notice longer than that never ends in a run."""


class Strict(BaseModel):
    """Every scenario block forbids unknown keys, so a typo is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _check_shares(shares: dict[Any, float], what: str) -> dict[Any, float]:
    total = sum(shares.values())
    if not shares:
        raise ValueError(f"{what} must not be empty")
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ValueError(f"{what} must sum to 1 (they sum to {total:.6g})")
    return shares


# ---------------------------------------------------------------------------------------------- calendar
class Recess(Strict):
    """A yearly period when courts sit less (summer, Christmas); repeats every year of the run."""

    name: str = Field(description="Label for the recess, e.g. 'summer'.")
    start: MonthDay = Field(description="First day of the recess each year, MM-DD.")
    end: MonthDay = Field(
        description="Last day of the recess each year, MM-DD (may be before start: wraps the new year)."
    )
    sitting_share: Probability = Field(description="Share of normal sitting hours available during the recess.")

    @field_validator("start", "end")
    @classmethod
    def _real_day(cls, value: str) -> str:
        month, day = (int(x) for x in value.split("-"))
        try:
            dt.date(2024, month, day)  # a leap year, so 02-29 is allowed
        except ValueError as exc:
            raise ValueError(f"'{value}' is not a day of the year") from exc
        return value


# ---------------------------------------------------------------------------------------------- agencies
class Listing(Strict):
    """How a court's listing diary ranks hearings and holds room for urgent work."""

    rank_by_class: dict[Literal[LISTING_CLASSES], Annotated[int, Field(ge=0)]] = Field(  # type: ignore[valid-type]
        description="Priority rank of each listing class (0 is listed first). Classes: "
        + ", ".join(LISTING_CLASSES)
        + "."
    )
    booking_limit_share_by_rank: list[Probability] = Field(
        description="For each rank, the share of a day's sitting hours that hearings of that rank may fill when "
        "booked more than release_days ahead; the rest is held for higher ranks."
    )
    release_days: Days = Field(
        description="Within this many days of a sitting day, any hearing may use all of its remaining hours."
    )
    rank_by_hearing: dict[Literal[HEARING_KEYS], Annotated[int, Field(ge=0)]] = Field(  # type: ignore[valid-type]
        default_factory=dict,
        description="Ranks for particular hearings that override their case's class rank (for example the "
        "FHDRA listed with public law, as gatekeeping lists it within the Child Arrangements Programme's "
        "timetable, while the later private law hearings keep private law's rank); {} ranks every hearing by "
        "its case's class.",
    )
    urgent_hearings: list[Literal[HEARING_KEYS]] = Field(  # type: ignore[valid-type]
        default=["domestic_abuse.without_notice_hearing"],
        description="Hearings heard as urgent: on the first sitting day on or after their notice, displacing "
        "hearings of lower rank (a higher rank number) when the day is full; [] lists every hearing alike.",
    )
    max_displacements_per_listing: Annotated[int, Field(ge=0)] | None = Field(
        default=None,
        description="How often one listing of a hearing may be moved to a later day to make room for urgent work; "
        "once it has been moved that often it keeps its day, and urgent work displaces other hearings or goes to "
        "the next sitting day. Null (the fitted model's rule): no limit, so the same hearing may be moved again "
        "and again; 0: urgent work never displaces listed hearings.",
    )

    @model_validator(mode="after")
    def _ranks_cover_classes(self) -> Listing:
        missing = [c for c in LISTING_CLASSES if c not in self.rank_by_class]
        if missing:
            raise ValueError(f"rank_by_class needs every listing class; missing: {', '.join(missing)}")
        ranks = {**self.rank_by_class, **self.rank_by_hearing}
        too_high = {c: r for c, r in ranks.items() if r >= len(self.booking_limit_share_by_rank)}
        if too_high:
            raise ValueError(
                f"ranks {sorted(set(too_high.values()))} have no entry in booking_limit_share_by_rank "
                f"(it has {len(self.booking_limit_share_by_rank)})"
            )
        return self


class CourtCapacity(Strict):
    """Sitting hours derived from published days sat, instead of hours set by hand for each region.

    Each region's hours per sitting day for a tier are days_sat_per_year x children_work_share x
    hours_per_sitting_day x the tier's share x the region's share, spread over the sitting days of a year. The
    region's share follows its demand for the tier, tilted by capacity_per_case_index, unless region_shares fixes it.
    """

    days_sat_per_year: NonNegative = Field(
        description="Family Court days sat in a year, all family work including divorce (published: 132,855 in "
        "2023, 124,280 in 2024)."
    )
    children_work_share: Probability = Field(
        description="Share of those days that is children's public and private law and domestic-abuse work (the "
        "rest is divorce, financial remedies, adoption and other family work)."
    )
    hours_per_sitting_day: Positive = Field(description="Hours of hearings a judge hears on a day sat.")
    tier_shares: dict[Name, Probability] | None = Field(
        default=None,
        description="Share of those days sat by each judge tier (of courts.tiers); must sum to 1. Null: each "
        "tier's share of the hearing hours demand needs (cases a year x each hearing's expected sittings from "
        "the pathways' branch shares x its mean hours), so the judiciary's time follows the work.",
    )
    region_shares: dict[Name, Probability] | None = Field(
        default=None,
        description="Share of the hours in each region; must sum to 1. Null: each tier's hours follow the "
        "regions' demand for that tier (cases a year x mean hours of the tier's hearings), so capacity per "
        "case is the same everywhere.",
    )
    capacity_per_case_index: dict[Name, Positive] = Field(
        default={},
        description="Court hours per case in a region relative to the national level (1; a region not named is "
        "1), applied on top of the demand-based shares and renormalised within each tier so the total hours are "
        "unchanged: regions then differ because their capacity per case differs, and the published regional spread "
        "of durations can come from capacity and demand. Not published; the baseline holds every region at 1 "
        "(docs/calibration.md says why). Only with region_shares null, which fixes the hours outright.",
    )

    tier_capacity_index: dict[Name, Positive] = Field(
        default={},
        description="A tier's hours relative to its share of the days sat (1; a tier not named is 1), added on top "
        "and not taken from the other tiers: lay magistrates' sittings are not counted in the published judicial "
        "days sat (an assumption), so their hours need not follow them. Not published; the back-cast's fit sets "
        "the magistrates' (docs/calibration.md).",
    )

    route_change_review_days: Positive = Field(
        default=28,
        description="Days between reviews of the hours a region that has begun Pathfinder holds for the cases still "
        "on its old route: on the day it begins, its hours keep the old route's split; at each review they move "
        "towards the new route's split by the share of those cases closed since, and reach it when the last has "
        "closed. An assumption (docs/assumptions.md).",
    )

    @field_validator("tier_shares")
    @classmethod
    def _tiers_sum_to_one(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        return None if value is None else _check_shares(value, "tier_shares")

    @field_validator("region_shares")
    @classmethod
    def _regions_sum_to_one(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        return None if value is None else _check_shares(value, "region_shares")


class Courts(Strict):
    """National court settings; sitting hours per region are under regions.<name>.court, or derived from
    courts.capacity."""

    tiers: list[Name] = Field(min_length=1, description="Judge tiers, e.g. district_judge, circuit_judge, magistrates.")
    sitting_weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default=[0, 1, 2, 3, 4], min_length=1, description="Weekdays courts sit (0 Monday ... 6 Sunday)."
    )
    recess: list[Recess] = Field(default=[], description="Yearly periods of reduced sitting.")
    listing: Listing = Field(description="Listing priority rules.")
    vacate_probability: Probability = Field(
        description="Chance a listed hearing is vacated (cancelled) before its day and relisted."
    )
    adjourn_probability: Probability = Field(
        description="Chance a hearing that goes ahead is adjourned on the day and must be relisted."
    )
    relist_notice_days: Days = Field(
        description="Earliest a vacated or adjourned hearing can be relisted, in days after the decision."
    )
    urgent_relist_notice_days: Days = Field(
        default=0,
        description="Earliest a vacated or adjourned urgent hearing (listing.urgent_hearings) can be relisted, in "
        "days after the decision; it is then listed as urgent again.",
    )
    adjourn_probability_added_at_full_list: Probability = Field(
        default=0,
        description="Extra chance of adjournment on a day whose list is full, in proportion to the share of the "
        "day's hours booked (0: adjournment does not depend on list load).",
    )
    capacity: CourtCapacity | None = Field(
        default=None,
        description="Derive every region's sitting hours from days sat; then no region may give "
        "sitting_hours_per_day. Null: hours are set by hand per region.",
    )


class Hearing(Strict):
    """A hearing a pathway needs: which judges hear it, how long it takes, and the notice needed."""

    tier: Name = Field(description="Judge tier that hears it (one of courts.tiers).")
    duration_hours: Distribution = Field(description="Sitting hours the hearing takes.")
    notice_days: Distribution = Field(
        description="Earliest listing, in days after the hearing is requested: the notice and preparation the "
        "court's directions allow (a bare number for a fixed notice period)."
    )
    notice_from_issue: bool = Field(
        default=False,
        description="Count the notice from the day the application was issued, not from the hearing's request: "
        "the Child Arrangements Programme lists the FHDRA no sooner than about 4 weeks after issue, with the "
        "safeguarding checks running in that time.",
    )


class Cafcass(Strict):
    """National Cafcass settings; advisers per region are under regions.<name>.cafcass."""

    short_term_caseload_limit: Caseload = Field(
        description="Private law cases one short-term (to first hearing) adviser holds on average (the published "
        "average caseload); the most held is this times short_term_caseload_stretch_max."
    )
    long_term_caseload_limit: Caseload = Field(
        description="Cases (guardianships, section 7 reports, child impact reports) a long-term adviser holds on "
        "average; the most held is this times long_term_caseload_stretch_max."
    )
    short_term_caseload_stretch_max: Stretch = Field(
        default=1.0,
        description="Most a short-term adviser holds when work is waiting, as a multiple of the average caseload "
        "(1 makes the average a hard cap).",
    )
    long_term_caseload_stretch_max: Stretch = Field(
        default=1.0,
        description="Most a long-term adviser holds when work is waiting, as a multiple of the average caseload "
        "(1 makes the average a hard cap).",
    )
    short_term_allocation_delay_days: Days = Field(
        default=0.0,
        description="Days unallocated short-term work waits before it is allocated to an adviser above the average "
        "caseload (unused when the stretch is 1).",
    )
    long_term_allocation_delay_days: Days = Field(
        default=0.0,
        description="Days unallocated long-term work waits before it is allocated to an adviser above the average "
        "caseload (unused when the stretch is 1).",
    )


class LocalAuthorities(Strict):
    """National local authority settings; social workers per region are under regions.<name>.local_authority."""

    caseload_limit: Caseload = Field(
        description="Court-related pieces of work (pre-proceedings, assessments, reports) a social worker holds on "
        "average; the most held is this times caseload_stretch_max."
    )
    caseload_stretch_max: Stretch = Field(
        default=1.0,
        description="Most a social worker holds when work is waiting, as a multiple of the average caseload "
        "(1 makes the average a hard cap).",
    )
    allocation_delay_days: Days = Field(
        default=0.0,
        description="Days unallocated work waits before it is allocated to a social worker above the average "
        "caseload (unused when the stretch is 1).",
    )


class Experts(Strict):
    """National settings for expert assessors (psychologists, psychiatrists, independent social workers)."""

    caseload_limit: Caseload = Field(
        description="Assessments one expert carries at once on average; the most is this times caseload_stretch_max."
    )
    caseload_stretch_max: Stretch = Field(
        default=1.0,
        description="Most assessments an expert carries when work is waiting, as a multiple of the average "
        "(1 makes the average a hard cap).",
    )
    allocation_delay_days: Days = Field(
        default=0.0,
        description="Days waiting assessments wait before an expert takes one above the average (unused when the "
        "stretch is 1).",
    )


class CourtCentre(Strict):
    """A named court centre: its own listing diaries with a share of the region's hours and cases."""

    hours_share: Probability = Field(description="Share of the region's sitting hours (each tier) at this centre.")
    cases_share: Probability = Field(description="Share of the region's cases listed at this centre.")


MAX_COURT_CENTRES = 100


class RegionCourt(Strict):
    sitting_hours_per_day: dict[Name, NonNegative] | None = Field(
        default=None,
        description="Judicial sitting hours available on a normal sitting day, by judge tier (leave out when "
        "courts.capacity derives them).",
    )
    centres: Annotated[int, Field(ge=1, le=MAX_COURT_CENTRES)] | dict[Name, CourtCentre] = Field(
        default=1,
        description="Court centres, each with its own listing diary per tier: a count (equal shares of hours and "
        "cases) or named centres with their shares. A case is listed at one centre for life.",
    )

    @field_validator("centres")
    @classmethod
    def _centre_shares(cls, value: int | dict[str, CourtCentre]) -> int | dict[str, CourtCentre]:
        if isinstance(value, dict):
            _check_shares({k: c.hours_share for k, c in value.items()}, "centres' hours_share")
            _check_shares({k: c.cases_share for k, c in value.items()}, "centres' cases_share")
        return value

    def centre_names(self) -> list[str]:
        """The centres' names: as given, or centre_1 ... centre_n for a count."""
        if isinstance(self.centres, dict):
            return list(self.centres)
        return [f"centre_{i + 1}" for i in range(self.centres)]

    def centre_shares(self) -> tuple[list[float], list[float]]:
        """(hours shares, cases shares) of the centres, in the order of centre_names."""
        if isinstance(self.centres, dict):
            return [c.hours_share for c in self.centres.values()], [c.cases_share for c in self.centres.values()]
        return [1.0 / self.centres] * self.centres, [1.0 / self.centres] * self.centres


class RegionCafcass(Strict):
    short_term_advisers: Staff = Field(
        description="Full-time-equivalent advisers in short-term private law teams (each holds the average caseload "
        "cafcass.short_term_caseload_limit, more when stretched)."
    )
    long_term_advisers: Staff = Field(
        description="Full-time-equivalent advisers in long-term teams (guardians, reports), each holding "
        "cafcass.long_term_caseload_limit on average."
    )


class RegionLocalAuthority(Strict):
    social_workers: Staff = Field(
        description="FTE social workers available for court-related work, all authorities in the region."
    )


class RegionExperts(Strict):
    assessors: Staff = Field(description="FTE expert assessors available to cases in the region.")


class Region(Strict):
    """One area: its courts, Cafcass teams, local authorities and experts."""

    local_authorities: Annotated[int, Field(ge=1, le=1000)] = Field(
        description="Number of local authorities; each case is assigned one at random (capacity is pooled across them)."
    )
    court: RegionCourt = Field(
        description="The region's family court: its sitting hours by judge tier (or those courts.capacity derives) "
        "and its court centres."
    )
    cafcass: RegionCafcass = Field(description="The region's Cafcass advisers, in short-term and long-term teams.")
    local_authority: RegionLocalAuthority = Field(
        description="The region's local authority social workers for court-related work."
    )
    experts: RegionExperts = Field(description="The region's expert assessors.")
    pathfinder_from: CalendarDate | None = Field(
        default=None,
        description="Date from which private law cases issued here follow the Pathfinder pathway; null for never.",
    )


# ---------------------------------------------------------------------------------------------- demand and children
class Demand(Strict):
    """How many cases of one type arrive, where and when."""

    cases_per_year: NonNegative = Field(
        description="Cases arriving nationally per year at the start date. A scenario whose replication would "
        "simulate more cases than memory could hold (see Limits below) is refused, with the estimate."
    )
    trend_per_year: Annotated[float, Field(gt=-1, le=10, allow_inf_nan=False)] = Field(
        default=0.0, description="Compound yearly change in volume (0.05 is 5% more each year)."
    )
    monthly_seasonality: list[Annotated[float, Field(gt=0, le=MAX_SEASONALITY, allow_inf_nan=False)]] = Field(
        default=[1.0] * 12,
        min_length=12,
        max_length=12,
        description="Relative volume in each calendar month, January first; rescaled to average 1 (value x 12 / "
        "sum), so no month is more than 12 times the average. Each at most a million, so the rescale cannot "
        "overflow.",
    )
    region_shares: dict[Name, Probability] = Field(description="Share of cases in each region; must sum to 1.")

    @field_validator("region_shares")
    @classmethod
    def _sums_to_one(cls, value: dict[str, float]) -> dict[str, float]:
        return _check_shares(value, "region_shares")


class AgeBand(Strict):
    name: Name = Field(description="Label of the band, e.g. under_1.")
    below_years: Positive = Field(description="Upper bound of the band in years (exclusive).")


class Children(Strict):
    """Who the children are: siblings per case, ages, and group attributes."""

    per_case: dict[Literal[CASE_TYPES], dict[Annotated[int, Field(ge=1, le=20)], Probability]] = Field(  # type: ignore[valid-type]
        description="Probability of each number of children in a case, by case type; each must sum to 1."
    )
    age_years: dict[Literal[CASE_TYPES], Distribution] = Field(  # type: ignore[valid-type]
        description="Age of a child at the start of a case, in years, by case type."
    )
    age_bands: list[AgeBand] = Field(min_length=1, description="Age bands for reporting, youngest first.")
    domestic_abuse_share: dict[Literal[CASE_TYPES], Probability] = Field(  # type: ignore[valid-type]
        description="Share of cases with domestic abuse alleged or evidenced in the family, by case type."
    )
    attributes: dict[Name, dict[Name, Probability]] = Field(
        default={}, description="Extra group attributes of a child with the share of each value; each must sum to 1."
    )

    @field_validator("per_case")
    @classmethod
    def _pmfs(cls, value: dict[str, dict[int, float]]) -> dict[str, dict[int, float]]:
        for case_type, pmf in value.items():
            _check_shares(pmf, f"per_case.{case_type}")
        return value

    @field_validator("attributes")
    @classmethod
    def _attribute_shares(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for name, shares in value.items():
            _check_shares(shares, f"attributes.{name}")
        return value

    @field_validator("age_bands")
    @classmethod
    def _increasing(cls, value: list[AgeBand]) -> list[AgeBand]:
        bounds = [b.below_years for b in value]
        if bounds != sorted(set(bounds)):
            raise ValueError("age_bands must be in increasing order of below_years")
        return value

    @model_validator(mode="after")
    def _every_case_type(self) -> Children:
        for key in ("per_case", "age_years", "domestic_abuse_share"):
            missing = [c for c in CASE_TYPES if c not in getattr(self, key)]
            if missing:
                raise ValueError(f"{key} needs every case type; missing: {', '.join(missing)}")
        return self


# ---------------------------------------------------------------------------------------------- pathways
class WithOutcomes(Strict):
    """A pathway that ends each case with an outcome drawn from shares."""

    outcomes: dict[Name, Probability] = Field(
        description="Share of each outcome (order type, or withdrawn); must sum to 1."
    )

    @field_validator("outcomes")
    @classmethod
    def _sums_to_one(cls, value: dict[str, float]) -> dict[str, float]:
        return _check_shares(value, "outcomes")


class PreProceedings(Strict):
    share: Probability = Field(
        description="Share of care cases that go through pre-proceedings (the rest apply urgently)."
    )
    diverted_share: Probability = Field(description="Share of pre-proceedings cases diverted from court.")
    duration_days: Distribution = Field(
        description="Local authority pre-proceedings work, in days, once a social worker is allocated."
    )


class Assessments(Strict):
    duration_days: Distribution = Field(description="Local authority assessments within proceedings, in days.")
    expert_share: Probability = Field(description="Share of cases needing an expert assessment instead.")
    expert_duration_days: Distribution = Field(description="Expert assessment, in days, once an expert is allocated.")


class FurtherAssessment(Strict):
    """A further assessment after the first, for a share of care cases: the main reason a case runs past its
    timetable (a family member identified late needs a connected-person or special guardianship assessment; PD12A
    allows extensions of up to 8 weeks at a time)."""

    share: Probability = Field(description="Share of care cases, once assessed, that need a further assessment.")
    duration_days: Distribution = Field(description="The further assessment by the local authority, in days.")


class UrgentHearing(Strict):
    share: Probability = Field(
        description="Share of issued care applications heard at an urgent or interim hearing soon after issue "
        "(an interim order sought on short notice), before the guardian is allocated."
    )
    hearing: Hearing = Field(description="The urgent or interim hearing at issue.")


class FurtherHearings(Strict):
    count_shares: dict[Annotated[int, Field(ge=0, le=20)], Probability] = Field(
        description="Share of cases with each number of further hearings (0, 1, 2, ...); must sum to 1."
    )
    hearing: Hearing = Field(description="Each further hearing.")

    @field_validator("count_shares")
    @classmethod
    def _sums_to_one(cls, value: dict[int, float]) -> dict[int, float]:
        return _check_shares(value, "count_shares")

    @property
    def mean_count(self) -> float:
        """The expected number of further hearings per case."""
        return sum(count * share for count, share in self.count_shares.items())


class PublicLaw(WithOutcomes):
    """Care and supervision proceedings under the Public Law Outline (PD12A)."""

    pre_proceedings: PreProceedings = Field(
        description="Pre-proceedings under the PLO: the local authority's work before it applies to court, which "
        "diverts a share of cases from court."
    )
    urgent_hearing: UrgentHearing = Field(
        description="An urgent or interim hearing soon after issue, for a share of care applications."
    )
    case_management_hearing: Hearing = Field(
        description="The Case Management Hearing, which sets the case's timetable and directions."
    )
    resolved_at_cmh_share: Probability = Field(
        default=0.0,
        description="Share of care cases concluded at the Case Management Hearing (an order agreed, or the "
        "application withdrawn) without assessments in proceedings.",
    )
    assessments: Assessments = Field(
        description="Assessments within proceedings: by the local authority, or by an expert for a share of cases."
    )
    further_assessment: FurtherAssessment | None = Field(
        default=None, description="A further assessment after the first, for a share of cases; null for none."
    )
    further_case_management: FurtherHearings = Field(
        description="Further case management hearings after the assessments, before the Issues Resolution Hearing."
    )
    issues_resolution_hearing: Hearing = Field(
        description="The Issues Resolution Hearing (IRH), at which a share of cases is resolved."
    )
    resolved_at_irh_share: Probability = Field(description="Share of cases resolved at the Issues Resolution Hearing.")
    contested_further_hearings: FurtherHearings = Field(
        description="Further hearings (a further IRH, directions) before the final hearing of a case not resolved "
        "at the IRH."
    )
    final_hearing: Hearing = Field(description="The final hearing of a case not resolved at the IRH.")


class Section7(Strict):
    share: Probability = Field(
        description="Share of cases not resolved at the FHDRA for which a section 7 report is ordered."
    )
    by_local_authority_share: Probability = Field(
        description="Share of section 7 reports written by the local authority (the rest by Cafcass)."
    )
    duration_days: Distribution = Field(description="Writing a section 7 report, in days, once allocated.")
    writer_stays_to_dra: bool = Field(
        default=False,
        description="Whether the report's writer keeps the case, one piece of their caseload, after filing the "
        "report until the Dispute Resolution Appointment that considers it (where the court may direct them to "
        "attend, PD16A), rather than closing it on filing. A long wait for the DRA then holds the writer's slot.",
    )


class FactFinding(Strict):
    share_if_domestic_abuse: Probability = Field(
        description="Share of unresolved domestic-abuse cases needing a fact-finding hearing (PD12J)."
    )
    hearing: Hearing = Field(description="The fact-finding hearing (PD12J).")


class PrivateLaw(WithOutcomes):
    """Child arrangements proceedings under the Child Arrangements Programme (PD12B)."""

    safeguarding_days: Distribution = Field(
        description="Cafcass safeguarding checks, in days, once an adviser is allocated."
    )
    first_hearing: Hearing = Field(description="The First Hearing Dispute Resolution Appointment (FHDRA).")
    resolved_at_first_hearing_share: Probability = Field(description="Share of cases ending by consent at the FHDRA.")
    first_disposal_at_first_hearing_share: Probability = Field(
        default=0.0,
        description="Share of the cases going on past the FHDRA that have another application (a prohibited steps "
        "or specific issue order, say) disposed of there: the case's first disposal, as FCSQ times it, is then the "
        "FHDRA, while the child arrangements application goes on to the final order (case closure).",
    )
    allocated_to_lay_justices_share: Probability = Field(
        default=0.0,
        description="Share of the cases going on past the FHDRA that stay allocated to lay justices (magistrates or "
        "a legal adviser): their DRA and final hearing are listed in the FHDRA's tier instead of the tiers those "
        "hearings name. Child arrangements cases go to lay justices unless they are complex (the Family Court "
        "(Composition and Distribution of Business) Rules 2014); tier shares that follow demand move the hours too.",
    )
    section7: Section7 = Field(
        description="Section 7 welfare reports (Children Act 1989), ordered for a share of cases not resolved at the "
        "FHDRA."
    )
    fact_finding: FactFinding = Field(description="Fact-finding hearings where domestic abuse is alleged (PD12J).")
    dispute_resolution_hearing: Hearing = Field(description="The Dispute Resolution Appointment (DRA).")
    resolved_at_dra_share: Probability = Field(description="Share of cases reaching the DRA that end there.")
    final_hearing: Hearing = Field(description="The final hearing of a case not resolved at the DRA.")
    withdrawal_per_week_waiting: NonNegative = Field(
        default=0,
        description="Hazard, per week a hearing waits for a listing beyond its notice, that the parties settle "
        "or withdraw before it is heard (the case ends 'withdrawn' while it waits): long lists make some "
        "applications fall away. Not published; 0 turns it off.",
    )

    @model_validator(mode="after")
    def _withdrawal_has_its_outcome(self) -> PrivateLaw:
        if self.withdrawal_per_week_waiting > 0 and "withdrawn" not in self.outcomes:
            raise ValueError("withdrawal_per_week_waiting above 0 needs a 'withdrawn' outcome in outcomes")
        return self


class ChildImpactReport(Strict):
    by_local_authority_share: Probability = Field(
        description="Share written by the local authority (the rest by Cafcass)."
    )
    duration_days: Distribution = Field(description="Writing the Child Impact Report, in days, once allocated.")


class PathfinderFactFinding(Strict):
    share_if_domestic_abuse: Probability = Field(
        description="Share of Pathfinder cases with domestic abuse alleged that need a fact-finding hearing after "
        "the second gatekeeping."
    )
    hearing: Hearing = Field(description="The fact-finding hearing (PD12J).")


class Pathfinder(WithOutcomes):
    """The Pathfinder private law model: investigation up front, less court time."""

    gatekeeping_days: Distribution = Field(description="Day-1 checks and gatekeeping by a legal adviser, in days.")
    domestic_abuse_referral_days: Distribution = Field(
        description="Referral to domestic-abuse support where abuse is alleged, in days from gatekeeping to the "
        "start of the Child Impact Report."
    )
    child_impact_report: ChildImpactReport = Field(
        description="The Child Impact Report: the child's circumstances and any risk assessed up front, by Cafcass or "
        "the local authority."
    )
    second_gatekeeping_days: Distribution = Field(
        description="Second gatekeeping: the court reads the Child Impact Report and decides the route, in days."
    )
    fact_finding: PathfinderFactFinding = Field(
        description="A fact-finding hearing where domestic abuse is alleged, before any decision-making hearing."
    )
    resolved_on_papers_share: Probability = Field(
        description="Share ending with an order on the papers or by consent after the report."
    )
    decision_hearing: Hearing = Field(description="The decision-making hearing, for a case not resolved on the papers.")
    review_share: Probability = Field(description="Share of cases whose order is reviewed afterwards.")
    review_days: Distribution = Field(
        description="Review after the order, in days (recorded, not counted in proceedings)."
    )


class DomesticAbuse(WithOutcomes):
    """Family Law Act 1996 Part IV remedies (non-molestation and occupation orders)."""

    without_notice_share: Probability = Field(description="Share of applications heard without notice first.")
    without_notice_hearing: Hearing = Field(
        description="The hearing without notice to the respondent, for an urgent order before the hearing on notice."
    )
    return_hearing: Hearing = Field(
        description="The hearing on notice (the return hearing after a without-notice order)."
    )


class Recurrence(Strict):
    """Children who come back to court after an outcome, as the same children."""

    share: Probability = Field(description="Share of cases with this outcome whose children return in new proceedings.")
    case_type: Literal[CASE_TYPES] = Field(description="Type of the new case.")  # type: ignore[valid-type]
    delay_days: Distribution = Field(description="Days from the order to the new case.")


# ---------------------------------------------------------------------------------------------- run set-up
class OpenStage(Strict):
    """Open cases of one type in one region and stage at the start, with their ages and next hearings."""

    count: NonNegative = Field(description="Open cases in this region and stage at the start date.")
    age_days: Distribution = Field(description="Days since issue of these cases at the start date.")
    next_hearing_days: Distribution | None = Field(
        default=None,
        description="For a hearing stage: days from the start date to the hearing already booked (lists full "
        "ahead); null to list it as a new request would be.",
    )


class OpenCases(Strict):
    by_stage: dict[Name, NonNegative] = Field(
        default={}, description="Open cases at the start, by the stage they are in; regions drawn by demand shares."
    )
    age_days: Distribution | None = Field(
        default=None, description="Days since issue of an open case of by_stage at the start (needed with by_stage)."
    )
    next_hearing_days: Distribution | None = Field(
        default=None,
        description="For cases of by_stage in a hearing stage: days from the start date to the hearing already "
        "booked; null to list it as a new request would be.",
    )
    by_region: dict[Name, dict[Name, OpenStage]] = Field(
        default={},
        description="Open cases at the start by region and stage, each with its own ages and booked hearings "
        "(in addition to by_stage).",
    )

    @model_validator(mode="after")
    def _ages_given(self) -> OpenCases:
        if self.by_stage and self.age_days is None:
            raise ValueError("by_stage needs age_days (the days since issue of those cases)")
        return self


class StartingState(Strict):
    """The real system is never empty: warm up from empty, or start from a declared open caseload."""

    warm_up_days: Annotated[float, Field(ge=0, le=MAX_WARM_UP_DAYS, allow_inf_nan=False)] = Field(
        default=0,
        description="Days simulated before the start date from empty; excluded from results. At most 50 years: with "
        "the results period, a run is at most a century.",
    )
    open_cases: dict[Literal[CASE_TYPES], OpenCases] = Field(  # type: ignore[valid-type]
        default={}, description="Open caseload at the start date, by case type and stage."
    )
    keep_warm_up_rows: bool = Field(
        default=False,
        description="Store the children and stage rows of cases that began and ended during the warm-up. By default "
        "they are counted in the run's stats (warm_up_child_rows) and not stored: no indicator reads them, and in the "
        "baseline they are nearly half the rows.",
    )
    returns_before_start: bool = Field(
        default=True,
        description="Children come back to court from orders made before the run (a steady past at the first "
        "day's inputs), so returns to court do not build up through the results; false starts with no past.",
    )
    past_orders_until_days: dict[Literal[CASE_TYPES], NonNegative] = Field(  # type: ignore[valid-type]
        default={},
        description="With returns_before_start: the past's orders go on into the run until this day, by case type, "
        "standing in for the orders its open cases would have made while the run's own first cases are still "
        "open; set it to the mean days from a case's start to its order early in the run (0 when left out).",
    )

    @model_validator(mode="after")
    def _one_way(self) -> StartingState:
        if self.warm_up_days > 0 and self.open_cases:
            raise ValueError("give warm_up_days or open_cases, not both")
        return self


class HistoryRow(Strict):
    """Demand and capacity from a date until the next row, as the published series give them."""

    date: CalendarDate = Field(description="First day of the period (a year or a quarter) this row describes.")
    cases_per_year: dict[Literal[CASE_TYPES], Positive] = Field(  # type: ignore[valid-type]
        default={},
        description="Cases arriving nationally per year in this period, by case type (a quarter's count times 4); "
        "the yearly trend is set to 0 from here; case types left out keep their volume.",
    )
    sitting_hours_scale: Positive | None = Field(
        default=None,
        description="Court sitting hours in every region and tier as a multiple of the scenario's own; null keeps "
        "the previous row's capacity.",
    )
    days_sat: Positive | None = Field(
        default=None,
        description="Family Court days sat a year in this period; the sitting-hour scale is days_sat over "
        "history.days_sat_reference. Give this or sitting_hours_scale, not both.",
    )
    cafcass_advisers_scale: Positive | None = Field(
        default=None,
        description="Cafcass advisers (short- and long-term, every region) as a multiple of the scenario's own; null "
        "keeps the previous row's.",
    )
    tier_capacity_index: dict[Name, Positive] | None = Field(
        default=None,
        description="From this row's date, the named judge tiers' courts.capacity.tier_capacity_index (their hours "
        "relative to their share of the days sat; tiers not named keep theirs); null keeps the previous row's. For "
        "court time moved to one kind of work, such as care cases at the circuit judges.",
    )
    source: str = Field(default="", description="Where the figures of this row come from.")

    @model_validator(mode="after")
    def _one_capacity(self) -> HistoryRow:
        if self.sitting_hours_scale is not None and self.days_sat is not None:
            raise ValueError("give sitting_hours_scale or days_sat, not both")
        return self


class CapacityDip(Strict):
    """A fall in court capacity for a while (the 2020-21 pandemic), on top of the history rows; an assumption."""

    start: CalendarDate = Field(description="First day of the fall.")
    length_days: Days = Field(description="Days the fall lasts; capacity returns to the rows' value after.")
    depth_share: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = Field(
        description="Share of sitting hours lost during the fall (0.2 is a fifth fewer)."
    )


class History(Strict):
    """A back-cast's inputs: demand and capacity over time, compiled into dated changes (see docs/model.md)."""

    days_sat_reference: Positive | None = Field(
        default=None,
        description="Family Court days sat a year that the regions' sitting hours stand for; needed by rows "
        "that give days_sat unless courts.capacity gives days sat (then it defaults to those).",
    )
    capacity_dip: CapacityDip | None = Field(
        default=None, description="A temporary fall in court sitting hours; null for none."
    )
    rows: list[HistoryRow] = Field(default=[], description="Periods of the history, in date order.")

    @field_validator("rows")
    @classmethod
    def _rows_in_order(cls, value: list[HistoryRow]) -> list[HistoryRow]:
        dates = [row.date for row in value]
        for i, (before, after) in enumerate(zip(dates, dates[1:], strict=False)):
            if after <= before:
                raise ValueError(f"rows must be in date order: rows[{i + 1}] ({after}) is not after {before}")
        return value


# ---------------------------------------------------------------------------------------------- costs
class DelayCost(Strict):
    """What a week of a case in proceedings costs one agency: per case, or per child in it (give one)."""

    gbp_per_case_week: NonNegative | None = Field(
        default=None,
        description="Pounds a case costs the agency for each costed week in proceedings, however many children it has.",
    )
    gbp_per_child_week: NonNegative | None = Field(
        default=None, description="Pounds each child in a case costs the agency for each costed week in proceedings."
    )
    beyond_weeks: Annotated[float, Field(ge=0, le=LONGEST_RUN_DAYS / WEEK_DAYS, allow_inf_nan=False)] = Field(
        default=0,
        description="Weeks from issue that are not costed: 0 costs every week a case is in proceedings (the NAO's "
        "saving per week shorter is per week of a case's duration); 26 costs only the weeks beyond the statutory "
        "limit.",
    )
    source: str = Field(default="", description="Where the figure comes from (a publication), or 'assumption'.")

    @model_validator(mode="after")
    def _one_unit(self) -> DelayCost:
        if (self.gbp_per_case_week is None) == (self.gbp_per_child_week is None):
            raise ValueError("give gbp_per_case_week or gbp_per_child_week (exactly one)")
        return self


class CapacityCosts(Strict):
    """What capacity costs a year, so an option's added capacity can be set against the delay it saves."""

    gbp_per_sitting_day: NonNegative | None = Field(
        default=None,
        description="Pounds a Family Court day sat costs (judge, staff, building); null leaves court time uncosted.",
    )
    gbp_per_cafcass_adviser_year: NonNegative | None = Field(
        default=None,
        description="Pounds a full-time Cafcass adviser costs a year (short- or long-term team); null leaves them "
        "uncosted.",
    )
    gbp_per_social_worker_year: NonNegative | None = Field(
        default=None,
        description="Pounds a full-time local authority social worker costs a year; null leaves them uncosted.",
    )
    sitting_hours_per_day: Positive | None = Field(
        default=None,
        description="Hours of hearings in a day sat, to count the days sat of sitting hours set by hand by region "
        "(courts.capacity.hours_per_sitting_day when courts.capacity is given, which counts days sat itself).",
    )


class Costs(Strict):
    """Unit costs: of a case's weeks in proceedings by case type and agency, and of capacity (see docs/model.md)."""

    price_year: Annotated[int, Field(ge=1900, le=2200)] | None = Field(
        default=None, description="The year whose prices the figures are in (for the reader; nothing is inflated)."
    )
    delay: dict[Literal[CASE_TYPES], dict[Literal[AGENCIES], DelayCost]] = Field(  # type: ignore[valid-type]
        default={},
        description="Cost of a week in proceedings, by case type and the agency that bears it; case types and "
        "agencies left out are not costed.",
    )
    capacity: CapacityCosts = Field(
        default_factory=CapacityCosts, description="Cost a year of court days sat, Cafcass advisers and social workers."
    )


class Policy(Strict):
    """A change to the scenario from a date: any key, by its dotted path, but those that hold for the whole run
    (its name, calendar, seed, starting state, history, policies and costs)."""

    name: str = Field(description="Short label, shown in results.")
    date: CalendarDate = Field(description="Date the change takes effect.")
    set: dict[str, Any] = Field(
        default={}, description="Dotted key path -> new value, e.g. regions.wales.cafcass.long_term_advisers: 120."
    )
    scale: dict[str, Positive] = Field(
        default={},
        description="Dotted key path -> multiplier for a number, e.g. demand.public_law.cases_per_year: 1.1.",
    )


class Scenario(Strict):
    """A complete description of the system to simulate."""

    name: Name = Field(description="Short name, used for the results folder.")
    description: str = Field(default="", description="What this scenario asks, in a sentence or two.")
    start_date: CalendarDate = Field(
        description="Calendar date at which results start. Results are stamped with pandas timestamps, which span "
        "1677-2262: with the longest warm-up before it and the longest run after it, a start date in this range "
        "keeps every day of the run inside them."
    )
    run_years: Annotated[float, Field(gt=0, le=MAX_YEARS, allow_inf_nan=False)] = Field(
        description="Years simulated after the start date; with the warm-up, a run is at most a century."
    )
    seed: Annotated[int, Field(ge=0, lt=2**63)] = Field(default=1, description="Root random seed.")
    monitor_interval_days: Annotated[float, Field(ge=1, le=365)] = Field(
        default=7, description="Days between snapshots of open cases and queues (and one more at the end of the run)."
    )
    starting_state: StartingState = Field(
        default_factory=StartingState,
        description="How the run starts: a warm-up from empty, or a declared open caseload (the real system is never "
        "empty).",
    )
    regions: dict[Name, Region] = Field(
        min_length=1,
        description="The areas of the system by name (london, wales...), each with its courts, Cafcass teams, local "
        "authorities and experts; demand.<type>.region_shares splits cases among them.",
    )
    demand: dict[Literal[CASE_TYPES], Demand] = Field(  # type: ignore[valid-type]
        description="Cases arriving by case type: how many a year, their trend and seasonality, and their split "
        "across regions."
    )
    children: Children = Field(
        description="Who the children are, by case type: siblings per case, ages, domestic abuse alleged and other "
        "attributes."
    )
    courts: Courts = Field(
        description="National court settings: judge tiers, sitting days, listing rules, vacated and adjourned "
        "hearings, and sitting hours derived from days sat (courts.capacity); hours by region are under "
        "regions.<name>.court."
    )
    cafcass: Cafcass = Field(
        description="National Cafcass settings: caseload limits and allocation; advisers per region are under "
        "regions.<name>.cafcass."
    )
    local_authorities: LocalAuthorities = Field(
        description="National local authority settings; social workers per region are under "
        "regions.<name>.local_authority."
    )
    experts: Experts = Field(
        description="National settings for expert assessors (psychologists, psychiatrists, independent social "
        "workers); assessors per region are under regions.<name>.experts."
    )
    public_law: PublicLaw = Field(
        description="Care and supervision proceedings under the Public Law Outline (PD12A): their stages, hearings "
        "and branch shares."
    )
    private_law: PrivateLaw = Field(
        description="Child arrangements proceedings under the Child Arrangements Programme (PD12B), in a region "
        "before its pathfinder_from date."
    )
    pathfinder: Pathfinder = Field(
        description="The Pathfinder private law model, in a region from its pathfinder_from date: investigation up "
        "front (the Child Impact Report), less court time."
    )
    domestic_abuse: DomesticAbuse = Field(
        description="Family Law Act 1996 Part IV remedies (non-molestation and occupation orders): a hearing without "
        "notice for some, then a hearing on notice."
    )
    recurrence: dict[Literal[PATHWAYS], dict[Name, Recurrence]] = Field(  # type: ignore[valid-type]
        default={}, description="Return to court, by pathway and outcome name."
    )
    policies: list[Policy] = Field(default=[], description="Changes at dates, applied in date order.")
    history: History = Field(
        default_factory=History,
        description="Demand and capacity by period for a back-cast; each row becomes a dated change.",
    )
    costs: Costs = Field(
        default_factory=Costs,
        description="Unit costs of delay (per case-week or child-week in proceedings, by case type and agency) and of "
        "capacity: the cost indicators of summary.csv and compare, and the planner's cost of a mix.",
    )

    def at(self, dotted: str) -> Any:
        """The value at a dotted key path such as ``public_law.final_hearing`` (the tables' keys name values so);
        None under an optional section the scenario leaves out."""
        node: Any = self
        for part in dotted.split("."):
            if node is None:
                return None
            node = node[part] if isinstance(node, dict) else getattr(node, part)
        return node

    def hearings(self) -> dict[str, Hearing]:
        """Every hearing a pathway lists, by its dotted key (from the pathway tables of :mod:`sim.vocabulary`)."""
        return {key: self.at(key) for key in HEARING_KEYS}

    def outcome_names(self) -> list[str]:
        names: list[str] = []
        for pathway in PATHWAYS:
            names.extend(o for o in getattr(self, pathway).outcomes if o not in names)
        return names

    @property
    def results_start_day(self) -> float:
        """Simulation day of the start date (simulation day 0 is the start of any warm-up)."""
        return self.starting_state.warm_up_days

    @property
    def run_days(self) -> float:
        return self.run_years * DAYS_PER_YEAR

    @property
    def end_day(self) -> float:
        return self.results_start_day + self.run_days

    @property
    def sim_start_date(self) -> dt.date:
        return self.start_date - dt.timedelta(days=self.starting_state.warm_up_days)

    def day_of(self, date: dt.date) -> float:
        return float((date - self.sim_start_date).days)
