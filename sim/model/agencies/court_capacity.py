"""Court capacity derived from published days sat: the arithmetic from days a year to hours a sitting day.

An analyst who asks what more judge time buys thinks in days sat (124,280 in 2024), not in hours per region and
tier. With ``courts.capacity`` the model derives each region's and tier's sitting hours per day from days sat,
the share of them that is children's work, the hours in a sitting day and the shares by tier and region, so a
policy can scale days sat from a date and the diaries follow. By default each tier's hours are shared among the
regions as their demand for it, so capacity per case is equal everywhere; ``capacity_per_case_index`` tilts that
split, region by region, keeping each tier's total; ``tier_capacity_index`` adds hours to a tier (the magistrates,
whose sittings are not in the published judicial days sat) without taking them from the others.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from sim.scenario.schema import Hearing, Scenario
from sim.vocabulary import DAYS_PER_YEAR, LAY_JUSTICES_HEARINGS, LAY_JUSTICES_LIST

CALENDAR_YEARS_AVERAGED: Final = 4
"""Sitting days a year are averaged over four years from the start, so a leap year counts its share."""
CALENDAR_DAYS_COUNTED: Final = round(CALENDAR_YEARS_AVERAGED * DAYS_PER_YEAR)


def hours_per_sitting_day(
    days_sat_per_year: float,
    children_work_share: float,
    hours_per_day_sat: float,
    tier_share: float,
    region_share: float,
    full_sitting_days_per_year: float,
) -> float:
    """Hours a diary holds on a normal sitting day, so a year of the calendar holds the days sat it is given.

    The hours a region's tier sits in a year are days sat x children's share x hours per day sat x the tier's
    share x the region's share; the diary spreads them over the year's full sitting days (weekdays, with a
    recess day counting its sitting share).
    """
    if full_sitting_days_per_year <= 0:
        raise ValueError("the court calendar has no sitting days in a year")
    hours_per_year = days_sat_per_year * children_work_share * hours_per_day_sat * tier_share * region_share
    return hours_per_year / full_sitting_days_per_year


def full_sitting_days_per_year(shares: list[float]) -> float:
    """Sum of the calendar's sitting shares over whole years, per year (``shares`` from the start date)."""
    days = CALENDAR_DAYS_COUNTED
    if len(shares) < days:
        raise ValueError(f"the calendar needs {days} days laid out to count sitting days a year")
    return sum(shares[:days]) / CALENDAR_YEARS_AVERAGED


def expected_sittings(scenario: Scenario, case_type: str, pathfinder: bool = False) -> dict[str, float]:
    """Sittings of each hearing a new case of ``case_type`` has on average, from the pathways' branch shares.

    It mirrors the routes in :mod:`sim.model.pathways` (tests/test_court_capacity.py holds it to a run): each
    hearing's chance of being needed, times 1 / (1 - adjourn_probability) as an adjourned hearing sits and is
    relisted (a vacated one sits later, once). Private law cases in a Pathfinder region take its route. Withdrawal
    while waiting is left out: it is a result of full lists, not a need for hearings.
    """
    sits = 1.0 / (1.0 - scenario.courts.adjourn_probability) if scenario.courts.adjourn_probability < 1 else 0.0
    abuse = scenario.children.domestic_abuse_share.get(case_type, 0.0)
    if case_type == "public_law":
        p = scenario.public_law
        issued = 1.0 - p.pre_proceedings.share * p.pre_proceedings.diverted_share
        assessed = 1.0 - p.resolved_at_cmh_share
        contested = assessed * (1.0 - p.resolved_at_irh_share)
        need = {
            "public_law.urgent_hearing.hearing": p.urgent_hearing.share,
            "public_law.case_management_hearing": 1.0,
            "public_law.further_case_management.hearing": assessed * p.further_case_management.mean_count,
            "public_law.issues_resolution_hearing": assessed,
            "public_law.contested_further_hearings.hearing": contested * p.contested_further_hearings.mean_count,
            "public_law.final_hearing": contested,
        }
        need = {k: issued * v for k, v in need.items()}
    elif case_type == "private_law" and pathfinder:
        f = scenario.pathfinder
        need = {
            "pathfinder.fact_finding.hearing": abuse * f.fact_finding.share_if_domestic_abuse,
            "pathfinder.decision_hearing": 1.0 - f.resolved_on_papers_share,
        }
    elif case_type == "private_law":
        q = scenario.private_law
        directed = 1.0 - q.resolved_at_first_hearing_share
        need = {
            "private_law.first_hearing": 1.0,
            "private_law.fact_finding.hearing": directed * abuse * q.fact_finding.share_if_domestic_abuse,
            "private_law.dispute_resolution_hearing": directed,
            "private_law.final_hearing": directed * (1.0 - q.resolved_at_dra_share),
        }
    else:
        need = {
            "domestic_abuse.without_notice_hearing": scenario.domestic_abuse.without_notice_share,
            "domestic_abuse.return_hearing": 1.0,
        }
    return {k: v * sits for k, v in need.items()}


def expected_hearings(scenario: Scenario) -> float:
    """Hearings a newly issued care case has on average, counting a hearing each time it sits: the sum of
    :func:`expected_sittings` per issued case. It is the figure to set against the published hearings per public
    law case (5.8 in 2019/20, 6.2 early in 2022)."""
    pre = scenario.public_law.pre_proceedings
    issued = 1.0 - pre.share * pre.diverted_share
    sittings = sum(expected_sittings(scenario, "public_law").values())
    return sittings / issued if issued > 0 else 0.0


def demand_hours(scenario: Scenario, as_of: dt.date | None = None) -> dict[str, list[float]]:
    """Hearing hours a year each region needs from each tier: cases a year x region share x the expected sittings
    of each hearing x its mean hours. A region counts as Pathfinder when it runs it on ``as_of`` (default: the
    start of results)."""
    as_of = scenario.start_date if as_of is None else as_of
    hearings = scenario.hearings()
    regions = list(scenario.regions.items())
    out = {tier: [0.0] * len(regions) for tier in scenario.courts.tiers}
    for case_type, demand in scenario.demand.items():
        for r, (name, region) in enumerate(regions):
            pathfinder = region.pathfinder_from is not None and region.pathfinder_from <= as_of
            cases = demand.cases_per_year * demand.region_shares.get(name, 0.0)
            for key, sittings in expected_sittings(scenario, case_type, pathfinder).items():
                hours = cases * sittings * hearings[key].duration_hours.mean()
                for tier, share in tier_split(scenario, hearings, key).items():
                    if tier in out:
                        out[tier][r] += hours * share
    return out


def tier_split(scenario: Scenario, hearings: dict[str, Hearing], key: str) -> dict[str, float]:
    """The tiers a hearing is listed in, with the share of its sittings in each: its own tier, except the later
    hearings of private law cases kept by lay justices, which sit in the FHDRA's tier."""
    own = hearings[key].tier
    lay = scenario.private_law.allocated_to_lay_justices_share
    if key not in LAY_JUSTICES_HEARINGS or lay == 0:
        return {own: 1.0}
    lay_tier = hearings[LAY_JUSTICES_LIST].tier
    if lay_tier == own:
        return {own: 1.0}
    return {own: 1.0 - lay, lay_tier: lay}


def demand_tier_shares(scenario: Scenario, as_of: dt.date | None = None) -> dict[str, float]:
    """Each tier's share of the hearing hours demand needs: ``courts.capacity.tier_shares`` left out (null)."""
    hours = {tier: sum(by_region) for tier, by_region in demand_hours(scenario, as_of).items()}
    total = sum(hours.values())
    return {tier: h / total if total > 0 else 1.0 / len(hours) for tier, h in hours.items()}


def demand_region_shares(scenario: Scenario, as_of: dt.date | None = None) -> dict[str, list[float]]:
    """Each tier's share of work by region, from :func:`demand_hours`, so a region's share of a tier follows its
    mix of case types and routes (a Pathfinder region needs no FHDRA from magistrates)."""
    shares: dict[str, list[float]] = {}
    for tier, weight in demand_hours(scenario, as_of).items():
        total = sum(weight)
        shares[tier] = [w / total if total > 0 else 1.0 / len(weight) for w in weight]
    return shares


def indexed_region_shares(by_tier: dict[str, list[float]], index: list[float]) -> dict[str, list[float]]:
    """Each tier's demand-based shares times each region's capacity-per-case index, renormalised within the tier.

    A region with index 1.2 gets 20% more hours per case than one with index 1, and the tier's hours in total
    stay the days sat give: the index moves hours between regions, it does not add any.
    """
    out: dict[str, list[float]] = {}
    for tier, shares in by_tier.items():
        weighted = [share * factor for share, factor in zip(shares, index, strict=True)]
        total = sum(weighted)
        out[tier] = [w / total for w in weighted] if total > 0 else list(shares)
    return out


def region_tier_hours(
    scenario: Scenario, sitting_shares: list[float], as_of: dt.date | None = None
) -> list[list[float]]:
    """Sitting hours per normal sitting day, [region][tier]: as set by hand, or derived from courts.capacity (the
    tiers' and regions' shares of demand as of ``as_of``, unless the scenario fixes them)."""
    tiers = scenario.courts.tiers
    capacity = scenario.courts.capacity
    if capacity is None:
        return [[(r.court.sitting_hours_per_day or {}).get(t, 0.0) for t in tiers] for r in scenario.regions.values()]
    full_days = full_sitting_days_per_year(sitting_shares)
    tier_shares = capacity.tier_shares if capacity.tier_shares is not None else demand_tier_shares(scenario, as_of)
    if capacity.region_shares is None:
        index = [capacity.capacity_per_case_index.get(name, 1.0) for name in scenario.regions]
        by_tier = indexed_region_shares(demand_region_shares(scenario, as_of), index)
        region_share = [[by_tier[t][r] for t in tiers] for r in range(len(scenario.regions))]
    else:
        region_share = [[capacity.region_shares.get(name, 0.0)] * len(tiers) for name in scenario.regions]
    return [
        [
            hours_per_sitting_day(
                capacity.days_sat_per_year,
                capacity.children_work_share,
                capacity.hours_per_sitting_day,
                tier_shares.get(tier, 0.0) * capacity.tier_capacity_index.get(tier, 1.0),
                region_share[r][t],
                full_days,
            )
            for t, tier in enumerate(tiers)
        ]
        for r in range(len(scenario.regions))
    ]
