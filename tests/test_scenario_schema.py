"""The scenario schema: every mistake an analyst can make comes back as a ScenarioError naming the key (and line).

Scenarios here are tests/scenarios/small.yaml with one thing changed: as a dict (yaml.safe_load, then
``scenario_from_dict``) to check the key path, or as text with one line replaced (then ``load_scenario``) to
check the line as well.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SMALL, scenario_data

from sim.scenario.limits import MAX_CASES
from sim.scenario.loading import load_scenario, scenario_from_dict
from sim.scenario.resources import cases_simulated
from sim.scenario.yaml_file import ScenarioError

Change = Callable[[dict], object]


def problems_of(data: dict) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    return [str(p) for p in info.value.problems]


def error_of(data: dict) -> str:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    return str(info.value)


def policy(name: str = "p", date: str = "2024-06-01", **changes: dict) -> dict:
    return {"name": name, "date": date, **changes}


# --- the files we ship are valid ----------------------------------------------------------------------------


def test_the_small_and_one_region_test_scenarios_and_the_baseline_load() -> None:
    root = Path(__file__).resolve().parents[1]
    for path in (SMALL, root / "tests/scenarios/one_region.yaml", root / "scenarios/baseline.yaml"):
        loaded = load_scenario(path)
        assert loaded.periods[0] == (0.0, loaded.scenario)


def test_a_dict_and_the_file_it_came_from_give_the_same_scenario() -> None:
    assert scenario_from_dict(scenario_data(SMALL)).scenario == load_scenario(SMALL).scenario


# --- each mistake, with the key path it is reported at ------------------------------------------------------

MISTAKES: dict[str, tuple[Change, str, str]] = {
    # name: (change to small.yaml, key path the error names, words the message must contain)
    "region shares not summing to 1": (
        lambda d: d["demand"]["public_law"]["region_shares"].update(north_east=0.6),
        "demand.public_law.region_shares",
        "must sum to 1 (they sum to 0.95)",
    ),
    "outcome shares not summing to 1": (
        lambda d: d["public_law"]["outcomes"].update(care_order=0.5),
        "public_law.outcomes",
        "must sum to 1",
    ),
    "children per case not summing to 1": (
        lambda d: d["children"]["per_case"]["public_law"].update({1: 0.7}),
        "children.per_case",
        "per_case.public_law must sum to 1",
    ),
    "attribute shares not summing to 1": (
        lambda d: d["children"].update(attributes={"ethnicity": {"a": 0.5, "b": 0.4}}),
        "children.attributes",
        "attributes.ethnicity must sum to 1",
    ),
    "a probability above 1": (
        lambda d: d["courts"].update(vacate_probability=1.2),
        "courts.vacate_probability",
        "less than or equal to 1",
    ),
    "a branch share above 1": (
        lambda d: d["public_law"].update(resolved_at_irh_share=1.5),
        "public_law.resolved_at_irh_share",
        "less than or equal to 1",
    ),
    "a recess sitting share above 1": (
        lambda d: d["courts"]["recess"][0].update(sitting_share=2),
        "courts.recess[0].sitting_share",
        "less than or equal to 1",
    ),
    "negative advisers": (
        lambda d: d["regions"]["wales"]["cafcass"].update(long_term_advisers=-1),
        "regions.wales.cafcass.long_term_advisers",
        "greater than or equal to 0",
    ),
    "negative sitting hours": (
        lambda d: d["regions"]["wales"]["court"]["sitting_hours_per_day"].update(magistrates=-3),
        "regions.wales.court.sitting_hours_per_day.magistrates",
        "greater than or equal to 0",
    ),
    "negative social workers": (
        lambda d: d["regions"]["north_east"]["local_authority"].update(social_workers=-14.4),
        "regions.north_east.local_authority.social_workers",
        "greater than or equal to 0",
    ),
    "a zero caseload limit": (
        lambda d: d["cafcass"].update(long_term_caseload_limit=0),
        "cafcass.long_term_caseload_limit",
        "greater than 0",
    ),
    "a negative duration": (
        lambda d: d["public_law"]["case_management_hearing"].update(notice_days=-12),
        "public_law.case_management_hearing.notice_days",
        "greater than or equal to 0",
    ),
    "a bad distribution": (
        lambda d: d["private_law"].update(safeguarding_days={"dist": "lognormal", "median": 21}),
        "private_law.safeguarding_days",
        "give either 'median' and 'sigma'",
    ),
    "an unknown region in region_shares": (
        lambda d: d["demand"]["private_law"]["region_shares"].update(north_east=0.3, london=0.35),
        "demand.private_law.region_shares.london",
        "unknown region 'london'",
    ),
    "an unknown tier in a hearing": (
        lambda d: d["public_law"]["final_hearing"].update(tier="high_court"),
        "public_law.final_hearing.tier",
        "'high_court' is not one of courts.tiers",
    ),
    "sitting hours for an unknown tier": (
        lambda d: d["regions"]["wales"]["court"]["sitting_hours_per_day"].update(high_court=3),
        "regions.wales.court.sitting_hours_per_day.high_court",
        "'high_court' is not one of courts.tiers",
    ),
    "rank_by_class missing a class": (
        lambda d: d["courts"]["listing"]["rank_by_class"].pop("private_law"),
        "courts.listing",
        "rank_by_class needs every listing class; missing: private_law",
    ),
    "a rank with no booking limit": (
        lambda d: d["courts"]["listing"].update(booking_limit_share_by_rank=[1.0, 0.9]),
        "courts.listing",
        "ranks [2] have no entry in booking_limit_share_by_rank",
    ),
    "a hearing ranked with no booking limit": (
        lambda d: d["courts"]["listing"].update(rank_by_hearing={"private_law.first_hearing": 5}),
        "courts.listing",
        "ranks [5] have no entry in booking_limit_share_by_rank",
    ),
    "a rank for a hearing that does not exist": (
        lambda d: d["courts"]["listing"].update(rank_by_hearing={"private_law.first_hearings": 1}),
        "courts.listing.rank_by_hearing.private_law.first_hearings",
        "got 'private_law.first_hearings'",
    ),
    "both warm_up_days and open_cases": (
        lambda d: d["starting_state"].update(
            warm_up_days=30, open_cases={"domestic_abuse": {"by_stage": {"return_hearing": 3}, "age_days": 5}}
        ),
        "starting_state",
        "give warm_up_days or open_cases, not both",
    ),
    "an open case at a stage a case cannot start in": (
        lambda d: d["starting_state"].update(
            open_cases={"public_law": {"by_stage": {"pre_proceedings": 3}, "age_days": 5}}
        ),
        "starting_state.open_cases.public_law.by_stage.pre_proceedings",
        "unknown stage 'pre_proceedings'",
    ),
    "an impossible start date": (
        lambda d: d.update(start_date="2024-02-30"),
        "start_date",
        "day value is outside expected range",
    ),
    "an impossible month": (
        lambda d: d["regions"]["wales"].update(pathfinder_from="2023-13-01"),
        "regions.wales.pathfinder_from",
        "month value is outside expected range",
    ),
    "an impossible recess day": (
        lambda d: d["courts"]["recess"][0].update(start="02-30"),
        "courts.recess[0].start",
        "'02-30' is not a day of the year",
    ),
    "a recurrence for an outcome the pathway does not have": (
        lambda d: d["recurrence"]["public_law"].update(
            adoption_order={"share": 0.1, "case_type": "public_law", "delay_days": 10}
        ),
        "recurrence.public_law.adoption_order",
        "'adoption_order' is not an outcome of public_law",
    ),
    "a missing key": (
        lambda d: d["courts"].pop("relist_notice_days"),
        "courts",
        "missing required key 'relist_notice_days'",
    ),
    "a policy with an impossible date": (
        lambda d: d.update(policies=[policy(date="2024-02-30", set={"cafcass.long_term_caseload_limit": 10})]),
        "policies[0].date",
        "day value is outside expected range",
    ),
    "a policy setting a key that does not exist": (
        lambda d: d.update(policies=[policy(set={"regionz.north_east.cafcass.long_term_advisers": 10})]),
        "policies[0].set.regionz.north_east.cafcass.long_term_advisers",
        "'regionz' is not a key of the scenario",
    ),
    "a policy setting a region that does not exist": (
        lambda d: d.update(policies=[policy(set={"regions.scotland.cafcass.long_term_advisers": 10})]),
        "policies[0].set.regions.scotland.cafcass.long_term_advisers",
        "'regions.scotland' is not a key of the scenario",
    ),
    "a policy scaling something that is not a number": (
        lambda d: d.update(policies=[policy(scale={"courts.tiers": 2})]),
        "policies[0].scale.courts.tiers",
        "is not a number, so it cannot be scaled",
    ),
    "a policy scaling by a negative factor": (
        lambda d: d.update(policies=[policy(scale={"cafcass.long_term_caseload_limit": -2})]),
        "policies[0].scale.cafcass.long_term_caseload_limit",
        "greater than 0",
    ),
    "a policy making region shares not sum to 1": (
        lambda d: d.update(policies=[policy(name="grow", set={"demand.public_law.region_shares.north_east": 0.9})]),
        "policies[0] (grow)",
        "makes demand.public_law.region_shares invalid: region_shares must sum to 1 (they sum to 1.25)",
    ),
    "a policy making advisers negative": (
        lambda d: d.update(policies=[policy(name="cut", set={"regions.wales.cafcass.long_term_advisers": -4})]),
        "policies[0] (cut)",
        "makes regions.wales.cafcass.long_term_advisers invalid: Input should be greater than or equal to 0",
    ),
    "a policy naming a tier that does not exist": (
        lambda d: d.update(policies=[policy(name="hc", set={"private_law.final_hearing.tier": "high_court"})]),
        "policies[0] (hc)",
        "makes private_law.final_hearing.tier invalid: 'high_court' is not one of courts.tiers",
    ),
}


@pytest.mark.parametrize("change, key_path, words", list(MISTAKES.values()), ids=list(MISTAKES))
def test_each_mistake_is_a_scenario_error_naming_its_key(change: Change, key_path: str, words: str) -> None:
    data = scenario_data(SMALL)
    change(data)
    [problem] = problems_of(data)
    assert words in problem
    assert problem.startswith(f"<dict>:1: {key_path}: ")


# --- inputs that validated but could not run (issue 11): each refused at its key, with the reason ---------------

BEYOND_WHAT_A_RUN_HOLDS: dict[str, tuple[Change, str, str]] = {
    "a start date of 1600 (pandas timestamps start in 1677)": (
        lambda d: d.update(start_date="1600-01-01"),
        "start_date",
        "greater than or equal to 1900-01-01",
    ),
    "a start date of 2300 (they end in 2262)": (
        lambda d: d.update(start_date="2300-01-01"),
        "start_date",
        "less than or equal to 2200-12-31",
    ),
    "a policy dated 9999": (
        lambda d: d.update(policies=[policy(date="9999-12-31", set={"courts.adjourn_probability": 0.2})]),
        "policies[0].date",
        "less than or equal to 2200-12-31",
    ),
    "Pathfinder from 1066": (
        lambda d: d["regions"]["wales"].update(pathfinder_from="1066-10-14"),
        "regions.wales.pathfinder_from",
        "greater than or equal to 1900-01-01",
    ),
    "a warm-up of 1e7 days": (
        lambda d: d["starting_state"].update(warm_up_days=1e7),
        "starting_state.warm_up_days",
        "less than or equal to 18262.5",
    ),
    "a run of 51 years": (lambda d: d.update(run_years=51), "run_years", "less than or equal to 50"),
    "a notice period of a billion days": (
        lambda d: d["public_law"]["final_hearing"].update(notice_days=1e9),
        "public_law.final_hearing.notice_days",
        "its mean is 1e+09, above 36,525",
    ),
    "a lognormal duration with a huge median": (
        lambda d: d["private_law"].update(safeguarding_days={"dist": "lognormal", "median": 1e9, "sigma": 1}),
        "private_law.safeguarding_days",
        "above 36,525",
    ),
    "relisting a billion days ahead": (
        lambda d: d["courts"].update(relist_notice_days=1e9),
        "courts.relist_notice_days",
        "less than or equal to 36525",
    ),
    "seasonality of 1e308 (x 12 overflows)": (
        lambda d: d["demand"]["public_law"].update(monthly_seasonality=[1e308] + [1.0] * 11),
        "demand.public_law.monthly_seasonality[0]",
        "less than or equal to 1000000",
    ),
    "1e200 social workers with 1e200 cases each (the places overflowed)": (
        lambda d: d["regions"]["wales"]["local_authority"].update(social_workers=1e200),
        "regions.wales.local_authority.social_workers",
        "less than or equal to 1000000",
    ),
    "an average caseload of 1e200": (
        lambda d: d["experts"].update(caseload_limit=1e200),
        "experts.caseload_limit",
        "less than or equal to 10000",
    ),
    "demand of 1e12 cases a year": (
        lambda d: d["demand"]["public_law"].update(cases_per_year=1e12),
        "demand.public_law.cases_per_year",
        "one replication would simulate about 1e+12 cases",
    ),
    "a trend that multiplies demand 11-fold a year for 50 years": (
        lambda d: d.update(run_years=50) or d["demand"]["private_law"].update(trend_per_year=10),
        "demand.private_law.trend_per_year",
        "the limit is 16 GiB (about 8.4 million cases)",
    ),
    "a falling trend run backwards over a 50-year warm-up": (
        lambda d: (
            d["starting_state"].update(warm_up_days=18_000) or d["demand"]["private_law"].update(trend_per_year=-0.9)
        ),
        "demand.private_law.trend_per_year",
        "one replication would simulate about",
    ),
    "a policy that multiplies demand a millionfold": (
        lambda d: d.update(policies=[policy(name="boom", scale={"demand.public_law.cases_per_year": 1e6})]),
        "policies[0] (boom)",
        "makes demand.public_law.cases_per_year invalid: one replication would simulate about 1.75e+08 cases",
    ),
}


@pytest.mark.parametrize(
    "change, key_path, words", list(BEYOND_WHAT_A_RUN_HOLDS.values()), ids=list(BEYOND_WHAT_A_RUN_HOLDS)
)
def test_what_a_run_cannot_hold_is_refused_at_its_key(change: Change, key_path: str, words: str) -> None:
    data = scenario_data(SMALL)
    change(data)
    [problem] = problems_of(data)
    assert words in problem
    assert problem.startswith(f"<dict>:1: {key_path}: ")


def test_the_estimate_of_cases_simulated_counts_warm_up_trend_and_open_cases() -> None:
    data = scenario_data(SMALL)
    data["starting_state"]["warm_up_days"] = 365.25
    data["demand"]["private_law"]["trend_per_year"] = 1.0  # doubling: 494 a year at the start date
    estimate = cases_simulated(scenario_from_dict(data).scenario)
    assert estimate[("demand", "public_law")] == pytest.approx(175 * 2)  # a year each side
    assert estimate[("demand", "private_law")] == pytest.approx(494 * (2 - 0.5) / math.log(2))
    data["starting_state"] = {"open_cases": {"public_law": {"by_stage": {"assessment": 1e10}, "age_days": 30}}}
    [problem] = problems_of(data)
    assert problem.startswith("<dict>:1: starting_state.open_cases.public_law: one replication would simulate")


def test_the_shipped_scenarios_are_far_inside_the_limits() -> None:
    root = Path(__file__).resolve().parents[1]
    for name in ("baseline.yaml", "backcast.yaml"):
        total = sum(cases_simulated(load_scenario(root / "scenarios" / name).scenario).values())
        assert total < MAX_CASES / 6, name  # the back-cast: 12 years from empty, about 1.1 million cases


def test_a_misspelt_key_is_reported_as_unknown_with_a_suggestion_and_the_real_key_as_missing() -> None:
    data = scenario_data(SMALL)
    cafcass = data["regions"]["wales"]["cafcass"]
    cafcass["long_term_advisors"] = cafcass.pop("long_term_advisers")
    assert sorted(problems_of(data)) == [
        "<dict>:1: regions.wales.cafcass.long_term_advisors: unknown key 'long_term_advisors'; "
        "did you mean 'long_term_advisers'?",
        "<dict>:1: regions.wales.cafcass: missing required key 'long_term_advisers'",
    ]


def test_every_problem_is_reported_at_once_one_per_line() -> None:
    data = scenario_data(SMALL)
    data["regions"]["wales"]["cafcass"]["long_term_advisers"] = -1
    data["courts"]["vacate_probability"] = 3
    data["public_law"]["outcomes"]["care_order"] = 0.5
    lines = error_of(data).splitlines()
    assert len(lines) == 3
    assert {line.split(": ")[1] for line in lines} == {
        "regions.wales.cafcass.long_term_advisers",
        "courts.vacate_probability",
        "public_law.outcomes",
    }


def test_every_bad_policy_is_reported_not_just_the_first() -> None:
    data = scenario_data(SMALL)
    data["policies"] = [
        policy(name="a", set={"nonsense.key": 1}),
        policy(name="b", date="2024-09-01", set={"courts.adjourn_probability": 4}),
    ]
    problems = problems_of(data)
    assert len(problems) == 2
    assert "policies[0].set.nonsense.key" in problems[0]
    assert "policies[1] (b): makes courts.adjourn_probability invalid" in problems[1]


def test_schema_mistakes_and_misspelt_policy_paths_come_in_one_pass() -> None:
    # The schema refuses the scenario, so no policy can be applied; the policies' paths are still checked against
    # the schema, so fixing the first mistake does not reveal the next.
    data = scenario_data(SMALL)
    data["courts"]["vacate_probability"] = 3
    data["policies"] = [
        policy(set={"regions.wales.cafcass.long_term_advisors": 10}),
        policy(name="q", scale={"demand.public_lw.cases_per_year": 1.1, "courts.relist_notice_days.x": 2}),
        policy(name="fine", scale={"regions.*.court.sitting_hours_per_day.*": 1.1, "seed": 2}),
    ]
    problems = problems_of(data)
    assert [p.split(": ", 2)[1] for p in problems] == [
        "courts.vacate_probability",
        "policies[0].set.regions.wales.cafcass.long_term_advisors",
        "policies[1].scale.demand.public_lw.cases_per_year",
        "policies[1].scale.courts.relist_notice_days.x",
        "policies[2].scale.seed",
    ]
    assert problems[1].endswith("did you mean 'regions.wales.cafcass.long_term_advisers'?")
    assert problems[2].endswith("did you mean 'demand.public_law'?")
    assert "'courts.relist_notice_days' is a value, not a mapping of keys" in problems[3]
    assert "holds for the whole run" in problems[4]


def test_cross_references_and_bad_policies_come_in_one_pass() -> None:
    data = scenario_data(SMALL)
    data["demand"]["private_law"]["region_shares"] = {"north_east": 0.65, "walse": 0.35}
    data["policies"] = [
        policy(name="a", set={"courts.adjourn_probability": 4}),
        policy(name="b", set={"regions.north_east.cafcass.long_term_advisors": 10}),
        policy(name="c", date="2024-09-01", scale={"cafcass.long_term_caseload_limit": 2}),
    ]
    problems = problems_of(data)
    assert len(problems) == 3, problems  # the region's typo once, not again for every policy that keeps it
    assert "demand.private_law.region_shares.walse: unknown region 'walse'; did you mean 'wales'?" in problems[0]
    assert "policies[0] (a): makes courts.adjourn_probability invalid" in problems[1]
    assert "policies[1] (b)" in problems[2] and problems[2].endswith("did you mean 'long_term_advisers'?")


def test_the_schema_knows_which_policy_paths_can_exist() -> None:
    from sim.scenario.policy_paths import schema_path_problem
    from sim.scenario.schema import Scenario

    for fine in (
        "regions.anywhere.court.sitting_hours_per_day.any_tier",  # names are the scenario's own
        "regions.*.cafcass.short_term_advisers",
        "demand.*.cases_per_year",
        "public_law.outcomes.care_order",
        "public_law.final_hearing.duration_hours.mean",  # a field of one distribution family
        "history.rows.0.days_sat",
    ):
        assert schema_path_problem(Scenario, fine) is None, fine
    assert schema_path_problem(Scenario, "demand.care.cases_per_year") == ("'demand.care' is not a key of the scenario")
    assert schema_path_problem(Scenario, "courts.capacty.days_sat_per_year") == (
        "'courts.capacty' is not a key of the scenario; did you mean 'courts.capacity'?"
    )
    assert schema_path_problem(Scenario, "seed.x") == "'seed' is a value, not a mapping of keys"


def test_a_scenario_is_not_changed_by_validating_it() -> None:
    data = scenario_data(SMALL)
    data["policies"] = [policy(scale={"cafcass.long_term_caseload_limit": 2})]
    before = copy.deepcopy(data)
    scenario_from_dict(data)
    assert data == before


# --- policies make one validated scenario per period --------------------------------------------------------


def test_policies_apply_in_date_order_each_on_top_of_the_last() -> None:
    data = scenario_data(SMALL)
    data["policies"] = [
        policy(name="double", date="2024-09-01", scale={"cafcass.long_term_caseload_limit": 2}),
        policy(name="set", date="2024-03-01", set={"cafcass.long_term_caseload_limit": 10}),
    ]
    loaded = scenario_from_dict(data)
    days = [day for day, _ in loaded.periods]
    limits = [s.cafcass.long_term_caseload_limit for _, s in loaded.periods]
    assert days == [0.0, 60.0, 244.0]  # 1 March and 1 September 2024, a leap year
    assert limits == [20, 10, 20]  # 10 from March, then doubled from September


def test_a_policy_before_the_start_applies_from_day_0() -> None:
    data = scenario_data(SMALL)
    data["policies"] = [policy(date="2023-06-01", set={"courts.adjourn_probability": 0.2})]
    loaded = scenario_from_dict(data)
    assert loaded.periods[1][0] == 0.0 and loaded.periods[1][1].courts.adjourn_probability == 0.2


def test_policy_days_count_from_the_start_of_warm_up() -> None:
    data = scenario_data(SMALL)
    data["starting_state"]["warm_up_days"] = 100
    data["policies"] = [policy(date="2024-01-11", set={"courts.adjourn_probability": 0.2})]
    loaded = scenario_from_dict(data)
    assert loaded.scenario.sim_start_date == dt.date(2024, 1, 1) - dt.timedelta(days=100)
    assert loaded.periods[1][0] == 110.0


@pytest.mark.parametrize(
    ("kind", "dotted", "value"),
    [
        ("set", "run_years", 3),  # was accepted and ignored
        ("set", "start_date", "2025-01-01"),  # shifted that period's calendar
        ("set", "starting_state.warm_up_days", 30),  # so did this
        ("set", "starting_state", {"warm_up_days": 30}),
        ("set", "seed", 7),
        ("set", "monitor_interval_days", 14),
        ("set", "history.rows", []),
        ("set", "name", "renamed"),
        ("scale", "run_years", 2),
        ("scale", "starting_state.warm_up_days", 2),
    ],
)
def test_a_policy_cannot_change_what_holds_for_the_whole_run(kind: str, dotted: str, value: object) -> None:
    data = scenario_data(SMALL)
    data["policies"] = [policy(**{kind: {dotted: value}})]
    [problem] = problems_of(data)
    first = dotted.split(".")[0]
    assert f"policies[0].{kind}.{dotted}: '{first}' holds for the whole run and cannot change part-way" in problem
    assert "set it at the top level of the scenario, not in a policy" in problem


def test_a_policy_cannot_reach_the_run_level_keys_through_a_star() -> None:
    data = scenario_data(SMALL)
    data["policies"] = [policy(scale={"*": 2})]
    [problem] = problems_of(data)
    assert "policies[0].scale.*: '*' at the top level names name, description, start_date, run_years" in problem


def test_a_policy_in_a_file_is_refused_at_its_key_line(tmp_path: Path) -> None:
    path = tmp_path / "option.yaml"
    path.write_text(
        f"extends: {SMALL}\npolicies:\n  - name: longer\n    date: 2024-06-01\n    set:\n      run_years: 3\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    [problem] = info.value.problems
    assert (problem.file, problem.line, problem.key_path) == (str(path), 6, "policies[0].set.run_years")


# --- mistakes that once slipped through (found by these tests, fixed in f266104) -----------------------------


def test_a_policy_setting_a_misspelt_key_names_that_key() -> None:
    data = scenario_data(SMALL)
    data["policies"] = [policy(set={"regions.north_east.cafcass.long_term_advisors": 10})]
    [problem] = problems_of(data)
    assert "long_term_advisors" in problem
    assert "unknown key 'cafcass'" not in problem


def test_a_policy_that_adds_a_region_is_refused_at_load_time() -> None:
    data = scenario_data(SMALL)
    data["policies"] = [policy(set={"regions.scotland": copy.deepcopy(data["regions"]["wales"])})]
    [problem] = problems_of(data)
    assert "regions.scotland" in problem


def test_a_region_with_demand_but_no_hours_for_a_tier_its_hearings_need_is_refused() -> None:
    data = scenario_data(SMALL)
    del data["regions"]["wales"]["court"]["sitting_hours_per_day"]["circuit_judge"]
    [problem] = problems_of(data)
    assert "regions.wales" in problem and "circuit_judge" in problem


# --- from a file: the line as well -------------------------------------------------------------------------


def variant(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """small.yaml with its one occurrence of ``old`` replaced; returns the file and the line ``new`` starts on."""
    text = SMALL.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "variant.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path, text[: text.index(old)].count("\n") + 1


def file_error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


FILE_MISTAKES = {
    # name: (text in small.yaml, replacement, key path, words)
    "a probability above 1": (
        "vacate_probability: 0.08",
        "vacate_probability: 1.08",
        "courts.vacate_probability",
        "less than or equal to 1 (got 1.08)",
    ),
    "an impossible date": ("start_date: 2024-01-01", "start_date: 2024-02-30", "start_date", "outside expected range"),
    "negative advisers": (
        "cafcass: {short_term_advisers: 2, long_term_advisers: 4}",
        "cafcass: {short_term_advisers: 2, long_term_advisers: -4}",
        "regions.wales.cafcass.long_term_advisers",
        "greater than or equal to 0",
    ),
    "shares not summing to 1": (
        "  domestic_abuse:\n    cases_per_year: 303\n    trend_per_year: 0.0\n"
        "    region_shares: {north_east: 0.65, wales: 0.35}",
        "  domestic_abuse:\n    cases_per_year: 303\n    trend_per_year: 0.0\n"
        "    region_shares: {north_east: 0.65, wales: 0.45}",
        "demand.domestic_abuse.region_shares",
        "must sum to 1 (they sum to 1.1)",
    ),
    "a bad distribution": (
        "safeguarding_days: {dist: lognormal, median: 21, sigma: 0.3}",
        "safeguarding_days: {dist: lognormal, median: 21}",
        "private_law.safeguarding_days",
        "give either 'median' and 'sigma'",
    ),
}


@pytest.mark.parametrize("old, new, key_path, words", list(FILE_MISTAKES.values()), ids=list(FILE_MISTAKES))
def test_a_mistake_in_a_file_is_reported_at_its_line(tmp_path: Path, old: str, new: str, key_path: str, words: str):
    path, line = variant(tmp_path, old, new)
    line += new.count("\n")  # the changed value is on the last line of the replacement
    [problem] = file_error(path).problems
    assert str(problem).startswith(f"{path}:{line}: {key_path}: ")
    assert words in str(problem)


def test_a_bad_policy_in_a_file_is_reported_at_the_policys_line(tmp_path: Path) -> None:
    new = "policies:\n  - name: cut\n    date: 2024-06-01\n    set:\n      courts.adjourn_probability: 4\nrecurrence:\n"
    path, line = variant(tmp_path, "recurrence:\n", new)
    [problem] = file_error(path).problems
    assert str(problem).startswith(f"{path}:{line + 1}: policies[0] (cut): makes courts.adjourn_probability invalid")


def test_a_policy_setting_a_missing_key_in_a_file_is_reported_at_that_keys_line(tmp_path: Path) -> None:
    new = "policies:\n  - name: cut\n    date: 2024-06-01\n    set:\n      regionz.wales: 4\nrecurrence:\n"
    path, line = variant(tmp_path, "recurrence:\n", new)
    [problem] = file_error(path).problems
    assert str(problem) == (
        f"{path}:{line + 4}: policies[0].set.regionz.wales: 'regionz' is not a key of the scenario; "
        "did you mean 'regions'?"
    )


CROSS_REFERENCES = {
    "an unknown region in region_shares": (
        "  domestic_abuse:\n    cases_per_year: 303\n    trend_per_year: 0.0\n"
        "    region_shares: {north_east: 0.65, wales: 0.35}",
        "  domestic_abuse:\n    cases_per_year: 303\n    trend_per_year: 0.0\n"
        "    region_shares: {north_east: 0.65, london: 0.35}",
        "demand.domestic_abuse.region_shares",
    ),
    "an unknown tier in a hearing": (
        "  return_hearing:\n    tier: district_judge",
        "  return_hearing:\n    tier: high_court",
        "domestic_abuse.return_hearing.tier",
    ),
}


@pytest.mark.parametrize("old, new, key_path", list(CROSS_REFERENCES.values()), ids=list(CROSS_REFERENCES))
def test_a_cross_reference_mistake_in_a_file_names_the_key(tmp_path: Path, old: str, new: str, key_path: str):
    path, _ = variant(tmp_path, old, new)
    assert key_path in str(file_error(path))


@pytest.mark.parametrize("old, new, key_path", list(CROSS_REFERENCES.values()), ids=list(CROSS_REFERENCES))
def test_a_cross_reference_mistake_in_a_file_is_reported_at_its_line(tmp_path: Path, old: str, new: str, key_path: str):
    path, line = variant(tmp_path, old, new)
    line += new.count("\n")
    [problem] = file_error(path).problems
    assert problem.line == line
    assert problem.key_path.startswith(key_path)
