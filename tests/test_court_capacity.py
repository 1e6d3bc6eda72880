"""Court capacity from published days sat, and court centres with lists of their own.

Sitting hours can be set by hand per region and tier (``regions.<r>.court.sitting_hours_per_day``) or derived
from days sat (``courts.capacity``), one way only. A region may have several court centres, each with its own
diary per tier; a case is listed at one centre for life. Day 0 is Monday 1 January 2024.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, SMALL, run_replication, scenario_data

from sim.model.agencies.court import Court, sitting_shares
from sim.model.agencies.court_capacity import (
    CALENDAR_DAYS_COUNTED,
    full_sitting_days_per_year,
    hours_per_sitting_day,
)
from sim.scenario.loading import load_scenario, scenario_from_dict
from sim.scenario.yaml_file import ScenarioError

CAPACITY = {
    "days_sat_per_year": 124_280,
    "children_work_share": 0.5,
    "hours_per_sitting_day": 5,
    "tier_shares": {"magistrates": 0.2, "district_judge": 0.5, "circuit_judge": 0.3},
}


def from_days_sat(data: dict, **capacity: object) -> dict:
    """The scenario with its hand-set hours replaced by hours derived from days sat."""
    for region in data["regions"].values():
        region["court"].pop("sitting_hours_per_day", None)
    data["courts"]["capacity"] = {**CAPACITY, **capacity}
    return data


def weekday_hours(court: Court, region: int, tier: int, centre: int = 0) -> float:
    """Sitting hours of a normal weekday (Tuesday 9 January 2024: no recess)."""
    return court.diaries[region][centre][tier].capacity[8]


# --- the arithmetic ----------------------------------------------------------------------------------------


def test_hours_per_sitting_day_is_the_hand_computation() -> None:
    # 124,280 days x 0.5 children's work x 5 hours x 0.6 of them this tier x 0.2 in this region = 37,284 hours
    # a year, spread over 250 full sitting days: 149.136 hours a sitting day.
    assert hours_per_sitting_day(124_280, 0.5, 5, 0.6, 0.2, 250) == pytest.approx(149.136)
    assert hours_per_sitting_day(124_280 * 0.8, 0.5, 5, 0.6, 0.2, 250) == pytest.approx(149.136 * 0.8)
    with pytest.raises(ValueError):
        hours_per_sitting_day(124_280, 0.5, 5, 0.6, 0.2, 0)


def test_a_year_of_weekdays_without_recess_has_261_and_a_quarter_full_sitting_days(small_data: dict) -> None:
    courts = scenario_from_dict(small_data).scenario.courts.model_copy(update={"recess": []})
    shares = sitting_shares(courts, dt.date(2024, 1, 1), CALENDAR_DAYS_COUNTED).tolist()
    # 1,461 days from a Monday: 208 weeks and Monday to Friday again, so 1,045 weekdays in four years.
    assert full_sitting_days_per_year(shares) == pytest.approx(1045 / 4)


def test_the_diaries_of_a_year_hold_the_days_sat_they_are_given(small_data: dict) -> None:
    """Summed over regions and tiers, four years of diary hold 4 x days sat x children's share x hours a day."""
    data = from_days_sat(small_data, region_shares={"north_east": 0.7, "wales": 0.3})
    court = Court(scenario_from_dict(data).scenario, CALENDAR_DAYS_COUNTED)
    total = sum(sum(d.capacity[:CALENDAR_DAYS_COUNTED]) for region in court.diaries for d in region[0])
    assert total == pytest.approx(4 * 124_280 * 0.5 * 5)
    district = court.tiers.index("district_judge")
    assert weekday_hours(court, 0, district) / weekday_hours(court, 1, district) == pytest.approx(0.7 / 0.3)


def test_a_tier_capacity_index_adds_hours_to_that_tier_and_takes_none_from_the_others(small_data: dict) -> None:
    """Magistrates' sittings are not in the published judicial days sat: an index of 1.5 gives the magistrates half
    as many hours again in every region, and the judges keep exactly what the days sat give them."""
    data = from_days_sat(small_data)
    before = Court(scenario_from_dict(data).scenario, CALENDAR_DAYS_COUNTED)
    data["courts"]["capacity"]["tier_capacity_index"] = {"magistrates": 1.5}
    after = Court(scenario_from_dict(data).scenario, CALENDAR_DAYS_COUNTED)
    for t, tier in enumerate(before.tiers):
        for region in range(2):
            factor = 1.5 if tier == "magistrates" else 1.0
            assert weekday_hours(after, region, t) == pytest.approx(factor * weekday_hours(before, region, t))
    data["courts"]["capacity"]["tier_capacity_index"] = {"magistrate": 1.5}
    with pytest.raises(ScenarioError, match="tier_capacity_index.*not one of courts.tiers"):
        scenario_from_dict(data)


def test_by_default_each_region_gets_hours_in_proportion_to_its_demand(small_data: dict) -> None:
    """small.yaml puts 65% of every case type in the north east, so, with Wales on the same routes (no Pathfinder),
    it gets 65% of every tier's hours."""
    court = Court(scenario_from_dict(from_days_sat(same_routes(small_data))).scenario, CALENDAR_DAYS_COUNTED)
    for t in range(len(court.tiers)):
        assert weekday_hours(court, 0, t) / weekday_hours(court, 1, t) == pytest.approx(0.65 / 0.35)
    small_data["demand"]["public_law"]["region_shares"] = {"north_east": 0.9, "wales": 0.1}
    court = Court(scenario_from_dict(small_data).scenario, CALENDAR_DAYS_COUNTED)
    circuit, magistrates = court.tiers.index("circuit_judge"), court.tiers.index("magistrates")
    assert weekday_hours(court, 0, circuit) / weekday_hours(court, 1, circuit) == pytest.approx(0.9 / 0.1)
    # magistrates hear no public law here, so their split still follows the other case types
    assert weekday_hours(court, 0, magistrates) / weekday_hours(court, 1, magistrates) == pytest.approx(0.65 / 0.35)


def test_a_pathfinder_region_needs_no_magistrates_for_first_hearings(small_data: dict) -> None:
    """Wales runs Pathfinder in small.yaml (from Feb 2022): its private law cases have no FHDRA, so its magistrates'
    share is only the domestic-abuse without-notice hearings, and its district judges take the decision hearings."""
    scenario = scenario_from_dict(from_days_sat(small_data)).scenario
    court = Court(scenario, CALENDAR_DAYS_COUNTED)
    magistrates = court.tiers.index("magistrates")
    with_pathfinder = weekday_hours(court, 1, magistrates) / weekday_hours(court, 0, magistrates)
    small_data["regions"]["wales"]["pathfinder_from"] = None
    court = Court(scenario_from_dict(small_data).scenario, CALENDAR_DAYS_COUNTED)
    without = weekday_hours(court, 1, magistrates) / weekday_hours(court, 0, magistrates)
    assert with_pathfinder < 0.5 * without


def test_left_out_tier_shares_are_each_tiers_share_of_the_hours_demand_needs(small_data: dict) -> None:
    """With tier_shares null each tier's share of days sat is its share of the hearing hours demand needs: more care
    cases mean more circuit judge time."""
    from sim.model.agencies.court_capacity import demand_tier_shares

    data = from_days_sat(small_data, tier_shares=None)
    shares = demand_tier_shares(scenario_from_dict(data).scenario)
    assert sum(shares.values()) == pytest.approx(1.0) and set(shares) == {
        "magistrates",
        "district_judge",
        "circuit_judge",
    }
    data["demand"]["public_law"]["cases_per_year"] *= 2
    assert demand_tier_shares(scenario_from_dict(data).scenario)["circuit_judge"] > shares["circuit_judge"]


def test_private_law_cases_kept_by_lay_justices_take_their_later_hearings_hours_to_the_magistrates(
    small_data: dict,
) -> None:
    """The DRA and final hearing of a case kept by lay justices sit in the FHDRA's tier (the magistrates), so tier
    shares that follow demand move exactly those hours from the district judges to the magistrates."""
    from sim.model.agencies.court_capacity import demand_hours

    def hours(share: float) -> dict[str, float]:
        small_data["private_law"]["allocated_to_lay_justices_share"] = share
        by_region = demand_hours(scenario_from_dict(from_days_sat(small_data, tier_shares=None)).scenario)
        return {tier: sum(h) for tier, h in by_region.items()}

    none, half, every = hours(0.0), hours(0.5), hours(1.0)
    moved = half["magistrates"] - none["magistrates"]
    assert moved > 0 and none["district_judge"] - half["district_judge"] == pytest.approx(moved)
    assert every["magistrates"] - none["magistrates"] == pytest.approx(2 * moved)
    assert half["circuit_judge"] == pytest.approx(none["circuit_judge"])
    assert sum(half.values()) == pytest.approx(sum(none.values()))


def test_a_run_with_private_law_kept_by_lay_justices_fills_the_magistrates_list_and_frees_the_district_judges(
    small_data: dict, tmp_path: Path
) -> None:
    """With each tier's hours fixed, keeping every private law case with lay justices moves its DRA and final
    hearing onto the magistrates' list: the magistrates sit fuller and the district judges emptier."""

    for region in small_data["regions"].values():  # room on the magistrates' list for a final hearing's day
        region["court"]["sitting_hours_per_day"]["magistrates"] = 8.0

    def utilisation(share: float) -> pd.Series:
        small_data["private_law"]["allocated_to_lay_justices_share"] = share
        timeline = run_replication(small_data, tmp_path / str(share)).timeline
        court = timeline[timeline.measure.astype(str).str.startswith("utilisation:court:")]
        return court.groupby(court.measure.astype(str)).value.mean()

    judges, lay = utilisation(0.0), utilisation(1.0)
    assert lay["utilisation:court:magistrates"] > judges["utilisation:court:magistrates"] + 0.05
    assert lay["utilisation:court:district_judge"] < judges["utilisation:court:district_judge"] - 0.05


@pytest.mark.parametrize("pathway", ["public_law", "private_law", "pathfinder", "domestic_abuse"])
def test_the_expected_hearings_mirror_the_pathways(small_data: dict, pathway: str) -> None:
    """expected_sittings (which splits days sat among tiers) restates each pathway's branch shares: a run with
    ample court time hears, per case begun in its first year, the hearings it expects (stage rows count a hearing
    once, however often it is adjourned, so the expectation is taken before adjournment)."""
    from sim import api
    from sim.model.agencies.court_capacity import expected_sittings

    small_data["run_years"] = 3
    for region in small_data["regions"].values():
        hours = region["court"]["sitting_hours_per_day"]
        region["court"]["sitting_hours_per_day"] = {tier: 5 * h for tier, h in hours.items()}
    loaded = scenario_from_dict(small_data)
    scenario = loaded.scenario
    results = api.run(loaded, replications=1, workers=1)
    cases = results.children.drop_duplicates("case_id")
    begun = cases[(cases["pathway"] == pathway) & (pd.to_datetime(cases["start_date"]) < pd.Timestamp("2025-01-01"))]
    assert (begun["status"] == "open").mean() < 0.01  # nearly all finished, so hardly a hearing is missing
    stages = results.stages[results.stages["case_id"].isin(begun["case_id"])]
    heard = stages.groupby("stage", observed=True).size() / len(begun)
    case_type = "private_law" if pathway == "pathfinder" else pathway
    going_ahead = 1 - scenario.courts.adjourn_probability
    for key, sittings in expected_sittings(scenario, case_type, pathfinder=pathway == "pathfinder").items():
        stage = STAGE_OF_HEARING[key]
        expected = sittings * going_ahead
        # three standard errors of a mean count (Poisson-like) over the cases begun; a private law final hearing is
        # also lost to withdrawal while waiting, which the expectation leaves out
        tolerance = 3 * (expected / len(begun)) ** 0.5 + (0.1 if key == "private_law.final_hearing" else 0.0)
        assert heard.get(stage, 0.0) == pytest.approx(expected, abs=tolerance), (key, heard.to_dict())


STAGE_OF_HEARING = {
    "public_law.urgent_hearing.hearing": "urgent_hearing",
    "public_law.case_management_hearing": "case_management_hearing",
    "public_law.further_case_management.hearing": "further_case_management_hearing",
    "public_law.issues_resolution_hearing": "issues_resolution_hearing",
    "public_law.contested_further_hearings.hearing": "contested_further_hearing",
    "public_law.final_hearing": "final_hearing",
    "private_law.first_hearing": "first_hearing",
    "private_law.fact_finding.hearing": "fact_finding_hearing",
    "private_law.dispute_resolution_hearing": "dispute_resolution_hearing",
    "private_law.final_hearing": "final_hearing",
    "pathfinder.fact_finding.hearing": "fact_finding_hearing",
    "pathfinder.decision_hearing": "decision_hearing",
    "domestic_abuse.without_notice_hearing": "without_notice_hearing",
    "domestic_abuse.return_hearing": "return_hearing",
}


def test_a_policy_that_scales_days_sat_reaches_the_diaries_from_its_date(small_data: dict) -> None:
    data = from_days_sat(small_data)
    data["policies"] = [
        {"name": "fewer days sat", "date": "2024-03-01", "scale": {"courts.capacity.days_sat_per_year": 0.8}}
    ]
    loaded = scenario_from_dict(data)
    court = Court(loaded.scenario, 400)
    before = [weekday_hours(court, r, t) for r in range(2) for t in range(3)]
    day = int(loaded.periods[1][0])  # Friday 1 March 2024
    court.apply(loaded.periods[1][1], day)
    for r in range(2):
        for t in range(3):
            diary = court.diaries[r][0][t]
            assert diary.capacity[day - 1] == pytest.approx(before[3 * r + t])
            assert diary.capacity[day] == pytest.approx(0.8 * before[3 * r + t])


# --- capacity per case by region ---------------------------------------------------------------------------


def tier_totals(court: Court) -> list[float]:
    """A normal weekday's hours of each tier, summed over regions."""
    return [sum(weekday_hours(court, r, t) for r in range(len(court.diaries))) for t in range(len(court.tiers))]


def same_routes(data: dict) -> dict:
    """small.yaml with Wales off Pathfinder, so both regions need every tier in proportion to their cases."""
    data["regions"]["wales"]["pathfinder_from"] = None
    return data


def test_the_capacity_per_case_index_moves_hours_between_regions_and_keeps_each_tiers_total(small_data: dict) -> None:
    """Demand puts 65% of every tier in the north east; Wales at twice the hours per case gets 0.35 x 2 of 1.35."""
    even = Court(scenario_from_dict(from_days_sat(same_routes(scenario_data(SMALL)))).scenario, CALENDAR_DAYS_COUNTED)
    tilted = Court(
        scenario_from_dict(from_days_sat(same_routes(small_data), capacity_per_case_index={"wales": 2.0})).scenario,
        CALENDAR_DAYS_COUNTED,
    )
    assert tier_totals(tilted) == pytest.approx(tier_totals(even))
    for t in range(len(tilted.tiers)):
        assert weekday_hours(tilted, 1, t) / tier_totals(tilted)[t] == pytest.approx(0.7 / 1.35)
        assert weekday_hours(tilted, 0, t) / weekday_hours(tilted, 1, t) == pytest.approx(0.65 / 0.7)
    # the index is relative: the same index everywhere is no index at all
    both = from_days_sat(same_routes(scenario_data(SMALL)), capacity_per_case_index={"north_east": 1.5, "wales": 1.5})
    assert Court(scenario_from_dict(both).scenario, CALENDAR_DAYS_COUNTED).diaries[1][0][0].capacity[8] == (
        pytest.approx(weekday_hours(even, 1, 0))
    )


def test_a_policy_sets_one_regions_index_from_its_date_by_its_dotted_key(small_data: dict) -> None:
    """The file gives no index; a policy reaches into the empty mapping for Wales alone."""
    data = from_days_sat(same_routes(small_data))
    data["policies"] = [
        {"name": "Wales gets more", "date": "2024-03-01", "set": {"courts.capacity.capacity_per_case_index.wales": 2}}
    ]
    loaded = scenario_from_dict(data)
    assert loaded.periods[1][1].courts.capacity.capacity_per_case_index == {"wales": 2.0}
    court = Court(loaded.scenario, 400)
    district = court.tiers.index("district_judge")
    before = [weekday_hours(court, r, district) for r in range(2)]
    day = int(loaded.periods[1][0])
    court.apply(loaded.periods[1][1], day)
    wales = court.diaries[1][0][district]
    assert wales.capacity[day - 1] == pytest.approx(before[1])
    assert wales.capacity[day] == pytest.approx(sum(before) * 0.7 / 1.35)


def test_a_region_with_more_capacity_per_case_waits_less_for_the_court(small_data: dict, tmp_path: Path) -> None:
    """On a congested court (days sat cut to about half what small.yaml's hand-set hours give), each region's
    hearings wait less beyond their notice when it has half as much again capacity per case as the other region
    than when the other has. (The regions' waits differ anyway: Wales hears private law by the Pathfinder route.)"""
    data = from_days_sat(
        small_data,
        children_work_share=0.005,
        tier_shares={"magistrates": 0.18, "district_judge": 0.52, "circuit_judge": 0.30},
    )
    waits = {}
    for favoured in ("north_east", "wales"):
        data["courts"]["capacity"]["capacity_per_case_index"] = {favoured: 1.5}
        run = run_replication(data, tmp_path / favoured)
        hearings = run.stages[run.stages.agency.astype(str) == "court"]
        region = run.children.drop_duplicates("case_id").set_index("case_id").region.astype(str)
        beyond_notice_days = (hearings.started - hearings.requested) / pd.Timedelta(days=1) - hearings.notice_days
        waits[favoured] = beyond_notice_days.groupby(hearings.case_id.map(region)).mean()
    for region in ("north_east", "wales"):
        other = "wales" if region == "north_east" else "north_east"
        assert waits[region][region] < 0.85 * waits[other][region], waits


def test_an_index_for_an_unknown_region_or_with_region_shares_is_an_error_at_its_line(
    tmp_path: Path, small_data: dict
) -> None:
    data = from_days_sat(small_data, capacity_per_case_index={"walse": 1.2})
    path = tmp_path / "unknown.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (problem,) = info.value.problems
    assert problem.key_path == "courts.capacity.capacity_per_case_index.walse"
    assert "unknown region 'walse'; did you mean 'wales'?" in problem.message
    assert "walse" in path.read_text(encoding="utf-8").splitlines()[problem.line - 1]
    data = from_days_sat(
        scenario_data(SMALL),
        region_shares={"north_east": 0.6, "wales": 0.4},
        capacity_per_case_index={"wales": 1.2},
    )
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert [p.key_path for p in info.value.problems] == ["courts.capacity.capacity_per_case_index"]
    assert "give one or the other" in str(info.value)


# --- one way only, with a clear located error --------------------------------------------------------------


def test_hours_given_both_ways_are_an_error_at_the_regions_key(small_data: dict) -> None:
    small_data["courts"]["capacity"] = CAPACITY
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(small_data)
    keys = [p.key_path for p in info.value.problems]
    assert keys == ["regions.north_east.court.sitting_hours_per_day", "regions.wales.court.sitting_hours_per_day"]
    assert "one way only" in str(info.value)


def test_hours_given_neither_way_are_an_error(small_data: dict) -> None:
    del small_data["regions"]["wales"]["court"]["sitting_hours_per_day"]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(small_data)
    assert [p.key_path for p in info.value.problems] == ["regions.wales.court"]
    assert "courts.capacity" in str(info.value)


def test_the_error_names_the_file_and_line(tmp_path: Path, small_data: dict) -> None:
    small_data["courts"]["capacity"] = CAPACITY
    path = tmp_path / "both.yaml"
    path.write_text(yaml.safe_dump(small_data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    first = info.value.problems[0]
    assert first.file == str(path) and first.line is not None
    assert "sitting_hours_per_day" in lines[first.line - 1]


def test_capacity_shares_must_name_real_tiers_and_regions_and_sum_to_one(small_data: dict) -> None:
    data = from_days_sat(small_data, tier_shares={"magistrates": 0.5, "high_court": 0.5})
    with pytest.raises(ScenarioError, match="courts.capacity.tier_shares.high_court"):
        scenario_from_dict(data)
    data = from_days_sat(scenario_data(SMALL), region_shares={"north_east": 0.5, "wales": 0.4})
    with pytest.raises(ScenarioError, match="sum to 1"):
        scenario_from_dict(data)


# --- court centres -----------------------------------------------------------------------------------------


def test_centres_split_a_regions_hours_and_each_has_its_own_diaries(small_data: dict) -> None:
    small_data["regions"]["north_east"]["court"]["centres"] = {
        "newcastle": {"hours_share": 0.75, "cases_share": 0.6},
        "durham": {"hours_share": 0.25, "cases_share": 0.4},
    }
    small_data["regions"]["wales"]["court"]["centres"] = 2
    court = Court(scenario_from_dict(small_data).scenario, 100)
    assert [len(region) for region in court.diaries] == [2, 2]
    district = court.tiers.index("district_judge")
    assert weekday_hours(court, 0, district, 0) == pytest.approx(0.75 * 7.4)
    assert weekday_hours(court, 0, district, 1) == pytest.approx(0.25 * 7.4)
    assert weekday_hours(court, 1, district, 1) == pytest.approx(0.5 * 3.7)
    assert court.used_and_available_hours(0, district, 8, 9) == (0.0, pytest.approx(7.4))


def test_centre_shares_must_sum_to_one(small_data: dict) -> None:
    small_data["regions"]["wales"]["court"]["centres"] = {
        "cardiff": {"hours_share": 0.5, "cases_share": 0.5},
        "wrexham": {"hours_share": 0.4, "cases_share": 0.5},
    }
    with pytest.raises(ScenarioError, match="regions.wales.court.centres"):
        scenario_from_dict(small_data)


def test_cases_keep_one_centre_are_listed_there_and_draw_it_from_a_stream_of_their_own(
    small_data: dict, tmp_path: Path
) -> None:
    """Half the cases at a centre with a tenth of the hours wait longer for the court; nothing else moves."""
    one = run_replication(small_data, tmp_path / "one")
    small_data["regions"]["north_east"]["court"]["centres"] = {
        "big": {"hours_share": 0.9, "cases_share": 0.5},
        "small": {"hours_share": 0.1, "cases_share": 0.5},
    }
    two = run_replication(small_data, tmp_path / "two")
    children = two.children
    assert set(one.children.court_centre.astype(str)) == {"north_east_centre_1", "wales_centre_1"}
    north_east = children[children.region.astype(str) == "north_east"]
    shares = north_east.drop_duplicates("case_id").court_centre.astype(str).value_counts(normalize=True)
    assert shares["north_east_big"] == pytest.approx(0.5, abs=0.06)
    assert set(children[children.region.astype(str) == "wales"].court_centre.astype(str)) == {"wales_centre_1"}
    # The same cases and children arrive: the centre draw comes from its own stream.
    first = ["child_id", "case_type", "region", "local_authority", "arrival_date", "domestic_abuse"]
    a = one.children[one.children.case_number == 1][first].sort_values("child_id").reset_index(drop=True)
    b = two.children[two.children.case_number == 1][first].sort_values("child_id").reset_index(drop=True)
    assert len(a) > 500 and a.equals(b)
    # A child who returns to court comes back to the same centre.
    by_child = children.groupby("child_id").court_centre.nunique()
    assert (by_child == 1).all()
    # Hearings are listed at the case's centre: the small centre's cases wait longer for the court (in one year,
    # from empty, much of a court wait is notice, which is the same at both centres).
    wait = north_east.groupby(north_east.court_centre.astype(str)).wait_court_days.mean()
    assert np.isfinite(wait).all()
    assert wait["north_east_small"] > 1.25 * wait["north_east_big"]


def test_a_policy_can_move_hours_between_centres_from_its_date(small_data: dict) -> None:
    small_data["regions"]["wales"]["court"]["centres"] = 2
    small_data["policies"] = [
        {
            "name": "Cardiff gets more",
            "date": "2024-03-01",
            "set": {
                "regions.wales.court.centres": {
                    "centre_1": {"hours_share": 0.8, "cases_share": 0.5},
                    "centre_2": {"hours_share": 0.2, "cases_share": 0.5},
                }
            },
        }
    ]
    loaded = scenario_from_dict(small_data)
    court = Court(loaded.scenario, 400)
    day = int(loaded.periods[1][0])
    court.apply(loaded.periods[1][1], day)
    district = court.tiers.index("district_judge")
    first, second = court.diaries[1][0][district], court.diaries[1][1][district]
    assert first.capacity[day - 1] == second.capacity[day - 1] == pytest.approx(0.5 * 3.7)
    assert (first.capacity[day], second.capacity[day]) == (pytest.approx(0.8 * 3.7), pytest.approx(0.2 * 3.7))


def test_a_policy_may_not_rename_centres(small_data: dict) -> None:
    small_data["regions"]["wales"]["court"]["centres"] = 2
    small_data["policies"] = [
        {"name": "a third centre", "date": "2024-03-01", "set": {"regions.wales.court.centres": 3}}
    ]
    with pytest.raises(ScenarioError, match="adds regions.wales.court.centres.centre_3"):
        scenario_from_dict(small_data)


def test_a_run_on_capacity_from_days_sat_and_a_cut_in_days_sat_from_a_date(small_data: dict, tmp_path: Path) -> None:
    """small.yaml at 1/25 scale sits about 5,560 hours a year: 124,280 days x 0.009 x 5 hours is about that."""
    data = from_days_sat(
        small_data,
        children_work_share=0.009,
        tier_shares={"magistrates": 0.18, "district_judge": 0.52, "circuit_judge": 0.30},
    )
    data["courts"]["vacate_probability"] = 0
    steady = run_replication(data, tmp_path / "steady")
    data["policies"] = [
        {"name": "a fifth fewer days sat", "date": "2024-06-03", "scale": {"courts.capacity.days_sat_per_year": 0.8}}
    ]
    cut = run_replication(data, tmp_path / "cut")
    utilisation = steady.timeline[steady.timeline.measure.astype(str) == "utilisation:court"].value
    assert utilisation.notna().all() and 0.3 < utilisation.iloc[10:].mean() < 1.0
    assert steady.children.drop_duplicates("case_id").vacated.sum() == 0
    assert cut.children.drop_duplicates("case_id").vacated.sum() >= 5  # listed work moved by the cut (none without)
    assert cut.children.wait_court_days.mean() > steady.children.wait_court_days.mean()


# --- a region that begins Pathfinder -----------------------------------------------------------------------


def test_a_region_that_begins_pathfinder_moves_its_hours_from_the_magistrates_on_that_day(small_data: dict) -> None:
    """Before its Pathfinder date Wales's private law cases need FHDRAs from its magistrates, after it they do not:
    the split follows the route in force, from the day it changes (the run calls ``follow_routes`` then). The days
    sat are the same, so the hours in all diaries together are too."""
    data = from_days_sat(small_data)
    data["regions"]["wales"]["pathfinder_from"] = "2024-03-01"
    scenario = scenario_from_dict(data).scenario
    court = Court(scenario, 400)
    magistrates = court.tiers.index("magistrates")
    diary = court.diaries[1][0][magistrates]
    before = weekday_hours(court, 1, magistrates)
    day = int(scenario.day_of(dt.date(2024, 3, 1)))
    court.follow_routes(scenario, day)
    assert diary.capacity[day - 1] == pytest.approx(before)  # hours already laid out before the date stay
    assert diary.capacity[day + 4] < 0.5 * before  # Wednesday 6 March
    every = [d for centres in court.diaries for tiers in centres for d in tiers]
    assert sum(d.capacity[day + 4] for d in every) == pytest.approx(sum(d.capacity[day + 4 - 7] for d in every))


def test_a_run_splits_hours_by_the_routes_in_force_through_its_warm_up(small_data: dict, tmp_path: Path) -> None:
    """Wales begins Pathfinder in April of a year-long warm-up. Until then its diaries hold the old route's split
    (FHDRAs before magistrates), not the split of the results' start, when only Pathfinder is in force there: a
    warm-up split for Pathfinder strands the old route's cases for want of magistrates' hours."""
    from sim.model.replication import Replication

    data = from_days_sat(small_data)
    data["courts"]["capacity"].pop("tier_shares")  # each tier's share of the hours demand needs
    data["regions"]["wales"]["pathfinder_from"] = "2023-04-01"
    data["starting_state"] = {"warm_up_days": 365}
    loaded = scenario_from_dict(data)
    scenario = loaded.scenario
    replication = Replication(loaded, 0, tmp_path)
    replication.run()
    magistrates = replication.court.tiers.index("magistrates")
    diary = replication.court.diaries[1][0][magistrates]
    switch = int(scenario.day_of(dt.date(2023, 4, 1)))
    old_route = Court._hours(scenario, scenario.sim_start_date)[1][magistrates]
    pathfinder = Court._hours(scenario, scenario.start_date)[1][magistrates]
    assert pathfinder < 0.5 * old_route
    tuesday = switch - 5  # Tuesday 28 March 2023, no recess
    assert diary.capacity[tuesday] == pytest.approx(old_route)
    # From the switch the region holds the old route's split for the cases still on it, reviewed every four weeks
    # (test_cases_on_the_old_route_keep_its_hours...); by then the new route's split has the rest of the hours.
    assert diary.capacity[tuesday + 14] == pytest.approx(old_route)
    assert pathfinder < diary.hours_per_day < old_route


def test_a_region_holding_part_of_its_old_route_gets_that_weight_of_the_difference(small_data: dict) -> None:
    """``hold_old_route`` keeps a weight of the old route's split in one region: 1 is the old split, 0 the new one,
    a half lies half way; the other region's hours follow the routes in force and do not depend on the weight."""
    data = from_days_sat(small_data)
    data["regions"]["wales"]["pathfinder_from"] = "2024-03-01"
    scenario = scenario_from_dict(data).scenario
    began = dt.date(2024, 3, 1)
    day = int(scenario.day_of(began))
    old = Court._hours(scenario, began - dt.timedelta(days=1))
    new = Court._hours(scenario, began)
    for weight in (1.0, 0.5, 0.0):
        court = Court(scenario, 400)
        court.hold_old_route(1, began, weight)
        court.follow_routes(scenario, day)
        for tier in range(len(court.tiers)):
            held = court.diaries[1][0][tier].hours_per_day
            assert held == pytest.approx(new[1][tier] + weight * (old[1][tier] - new[1][tier]))
            assert court.diaries[0][0][tier].hours_per_day == pytest.approx(new[0][tier])
    magistrates = court.tiers.index("magistrates")
    assert new[1][magistrates] < 0.5 * old[1][magistrates]  # the weight matters: Pathfinder needs no FHDRAs
    assert court.old_route_held == {}  # a weight of 0 lets the region go


@pytest.mark.slow
def test_cases_on_the_old_route_keep_its_hours_until_they_have_closed(tmp_path: Path) -> None:
    """The baseline's Wales, alone (regions are independent), begins Pathfinder in February 2022, in the warm-up.
    Its magistrates' hours fall to a sixth on the new route, which needs no FHDRA; the private law cases already on
    the old route still need theirs, and their later hearings if lay justices keep them. When the hours moved on
    the day, those cases waited years for them: 325 were still open at the end of 2024, begun 162 weeks before on
    average, and 24 at the end of 2028. Held for them and released as they close, the last has closed by the
    results' start, and Wales's diaries are then on the new route's split."""
    from sim.model.replication import Replication

    data = scenario_data(ROOT / "scenarios" / "baseline.yaml")
    data["run_years"] = 1
    loaded = scenario_from_dict(data)
    scenario = loaded.scenario
    wales = list(scenario.regions).index("wales")
    replication = Replication(loaded, 0, tmp_path, regions=[wales])
    replication.run()
    assert replication.old_route_open[wales] == 0
    assert replication.court.old_route_held == {}
    children = pd.read_parquet(tmp_path / "children.parquet")
    old_route = children[(children["case_type"] == "private_law") & (children["pathway"] == "private_law")]
    assert old_route.empty  # none of them lasted into the results period
    new = Court._hours(scenario, scenario.start_date)[wales]
    for tier, diary in enumerate(replication.court.diaries[wales][0]):
        assert diary.hours_per_day == pytest.approx(new[tier] * replication.court.centre_hours_shares[wales][0])


def test_a_region_on_pathfinder_before_the_run_holds_its_old_route_for_open_cases_declared_on_it(
    small_data: dict, tmp_path: Path
) -> None:
    """Wales has run Pathfinder since 2022, before the run; the open caseload declares private law cases there still
    waiting for their FHDRAs, on the old route. From the first day Wales holds the old route's split for them."""
    from sim.model.replication import Replication

    data = from_days_sat(small_data)
    data["courts"]["capacity"].pop("tier_shares")
    data["run_years"] = 0.25
    data["starting_state"] = {
        "open_cases": {
            "private_law": {
                "by_region": {"wales": {"first_hearing": {"count": 40, "age_days": {"dist": "fixed", "value": 60}}}}
            }
        }
    }
    loaded = scenario_from_dict(data)
    scenario = loaded.scenario
    replication = Replication(loaded, 0, tmp_path)
    replication.run()
    magistrates = replication.court.tiers.index("magistrates")
    began = scenario.regions["wales"].pathfinder_from
    old_route = Court._hours(scenario, began - dt.timedelta(days=1))[1][magistrates]
    pathfinder = Court._hours(scenario, scenario.start_date)[1][magistrates]
    assert pathfinder < 0.5 * old_route
    assert weekday_hours(replication.court, 1, magistrates) == pytest.approx(old_route)  # Tuesday 9 January
