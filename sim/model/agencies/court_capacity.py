"""Court capacity derived from published days sat: the arithmetic from days a year to hours a sitting day.

An analyst who asks what more judge time buys thinks in days sat (124,280 in 2024), not in hours per region and
tier. With ``courts.capacity`` the model derives each region's and tier's sitting hours per day from days sat,
the share of them that is children's work, the hours in a sitting day and the shares by tier and region, so a
policy can scale days sat from a date and the diaries follow. By default each tier's hours are shared among the
regions as their demand for it, so capacity per case is equal everywhere; ``capacity_per_case_index`` tilts that
split, region by region, keeping each tier's total.
"""

from __future__ import annotations

from sim.scenario.schema import Scenario
from sim.vocabulary import DAYS_PER_YEAR, HEARINGS_BY_CASE_TYPE

CALENDAR_YEARS_AVERAGED = 4
"""Sitting days a year are averaged over four years from the start, so a leap year counts its share."""
CALENDAR_DAYS_COUNTED = round(CALENDAR_YEARS_AVERAGED * DAYS_PER_YEAR)


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


def demand_region_shares(scenario: Scenario) -> dict[str, list[float]]:
    """Each tier's share of work by region: cases a year x region share x mean hours of the tier's hearings.

    A rough weight of the court hours each region needs from each tier: every hearing of a case type counts
    once (branch shares are left out), so a region's share of a tier follows its mix of case types.
    """
    hearings = scenario.hearings()
    regions = list(scenario.regions)
    shares: dict[str, list[float]] = {}
    for tier in scenario.courts.tiers:
        weight = [0.0] * len(regions)
        for case_type, demand in scenario.demand.items():
            keys = [k for k in HEARINGS_BY_CASE_TYPE[case_type] if hearings[k].tier == tier]
            hours = sum(hearings[k].duration_hours.mean() for k in keys)
            for r, region in enumerate(regions):
                weight[r] += demand.cases_per_year * demand.region_shares.get(region, 0.0) * hours
        total = sum(weight)
        shares[tier] = [w / total if total > 0 else 1.0 / len(regions) for w in weight]
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


def region_tier_hours(scenario: Scenario, sitting_shares: list[float]) -> list[list[float]]:
    """Sitting hours per normal sitting day, [region][tier]: as set by hand, or derived from courts.capacity."""
    tiers = scenario.courts.tiers
    capacity = scenario.courts.capacity
    if capacity is None:
        return [[(r.court.sitting_hours_per_day or {}).get(t, 0.0) for t in tiers] for r in scenario.regions.values()]
    full_days = full_sitting_days_per_year(sitting_shares)
    if capacity.region_shares is None:
        index = [capacity.capacity_per_case_index.get(name, 1.0) for name in scenario.regions]
        by_tier = indexed_region_shares(demand_region_shares(scenario), index)
        region_share = [[by_tier[t][r] for t in tiers] for r in range(len(scenario.regions))]
    else:
        region_share = [[capacity.region_shares.get(name, 0.0)] * len(tiers) for name in scenario.regions]
    return [
        [
            hours_per_sitting_day(
                capacity.days_sat_per_year,
                capacity.children_work_share,
                capacity.hours_per_sitting_day,
                capacity.tier_shares.get(tier, 0.0),
                region_share[r][t],
                full_days,
            )
            for t, tier in enumerate(tiers)
        ]
        for r in range(len(scenario.regions))
    ]
