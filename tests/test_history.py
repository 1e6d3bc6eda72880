"""A scenario's history (demand and capacity by period) and a starting state declared by region and stage."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sim.scenario.loading import load_scenario, scenario_from_dict
from sim.scenario.yaml_file import ScenarioError
from tests.conftest import SMALL, scenario_data


def _public_law_issued(children: pd.DataFrame) -> pd.Series:
    """Public law cases that reached court (pre-proceedings diversions left out), one per case, by issue date."""
    cases = children[(children["case_type"] == "public_law") & children["start_date"].notna()]
    return pd.to_datetime(cases.drop_duplicates("case_id")["start_date"])


def test_a_history_row_changes_arrivals_from_its_date(small_data: dict[str, Any], run, tmp_path: Path) -> None:
    small_data["public_law"]["pre_proceedings"]["share"] = 0.0  # issued on arrival, so issue dates are arrival dates
    small_data["history"] = {"rows": [{"date": "2024-07-01", "cases_per_year": {"public_law": 175 * 4}}]}
    result = run(small_data, tmp_path / "run")
    issued = _public_law_issued(result.children)
    change = pd.Timestamp("2024-07-01")
    before, after = (issued < change).sum(), (issued >= change).sum()
    # 175 a year for 182 days (about 87) and then 700 a year for 184 days (about 353): Poisson counts.
    assert 60 < before < 115
    assert 300 < after < 410
    assert after > 3 * before


def test_history_rows_become_periods_with_capacity_worked_out_from_the_base(small_data: dict[str, Any]) -> None:
    small_data["history"] = {
        "days_sat_reference": 100.0,
        "capacity_dip": {"start": "2024-03-01", "length_days": 61, "depth_share": 0.25},
        "rows": [
            {"date": "2024-07-01", "days_sat": 120.0, "cafcass_advisers_scale": 0.5},
            {"date": "2024-10-01", "cases_per_year": {"private_law": 600}},
        ],
    }
    loaded = scenario_from_dict(small_data)
    base_hours = small_data["regions"]["wales"]["court"]["sitting_hours_per_day"]["district_judge"]
    hours = [(day, s.regions["wales"].court.sitting_hours_per_day["district_judge"]) for day, s in loaded.periods]
    # the dip from 1 March (day 60) to 1 May (day 121), then 120/100 of the base from 1 July (day 182)
    assert [day for day, _ in hours] == [0, 60, 121, 182, 274]
    assert [h / base_hours for _, h in hours] == pytest.approx([1, 0.75, 1, 1.2, 1.2])
    last = loaded.periods[-1][1]
    assert last.demand["private_law"].cases_per_year == 600
    assert last.demand["public_law"].cases_per_year == small_data["demand"]["public_law"]["cases_per_year"]
    assert (
        last.regions["wales"].cafcass.long_term_advisers
        == 0.5 * small_data["regions"]["wales"]["cafcass"]["long_term_advisers"]
    )


def _problems(tmp_path: Path, history: str, base: Path = SMALL) -> list[tuple[int | None, str, str]]:
    path = tmp_path / "history.yaml"
    path.write_text(f"extends: {base}\n" + textwrap.dedent(history), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [(p.line, p.key_path, p.message) for p in info.value.problems]


def test_rows_out_of_order_are_reported_at_the_history(tmp_path: Path) -> None:
    [(line, key, message)] = _problems(
        tmp_path,
        """
        history:
          rows:
            - {date: 2024-07-01, sitting_hours_scale: 1.1}
            - {date: 2024-01-01, sitting_hours_scale: 0.9}
        """,
    )
    assert (line, key) == (4, "history.rows")
    assert "rows[1] (2024-01-01) is not after 2024-07-01" in message


def test_an_unknown_case_type_and_a_negative_value_are_reported_at_their_keys(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        """
        history:
          rows:
            - date: 2024-07-01
              cases_per_year: {care: 100}
              sitting_hours_scale: -1
        """,
    )
    keys = {key: line for line, key, _ in problems}
    assert keys == {"history.rows[0].cases_per_year.care": 6, "history.rows[0].sitting_hours_scale": 7}


def test_days_sat_needs_a_reference(tmp_path: Path) -> None:
    [(_, key, message)] = _problems(tmp_path, "history:\n  rows: [{date: 2024-07-01, days_sat: 120000}]\n")
    assert key == "history.rows[0].days_sat"
    assert "days_sat_reference" in message and "courts.capacity" in message


# ---------------------------------------------------------------------------------------------- starting state
def _open_caseload(data: dict[str, Any], booked: bool = True) -> dict[str, Any]:
    data["starting_state"] = {
        "warm_up_days": 0,
        "open_cases": {
            "public_law": {
                "by_region": {
                    "north_east": {
                        "final_hearing": {
                            "count": 10,
                            "age_days": 200,
                            **({"next_hearing_days": {"dist": "uniform", "low": 20, "high": 40}} if booked else {}),
                        },
                        "assessment": {"count": 8, "age_days": {"dist": "uniform", "low": 30, "high": 90}},
                    },
                    "wales": {"case_management_hearing": {"count": 5, "age_days": 10}},
                }
            },
            "private_law": {
                "by_region": {
                    "wales": {
                        "first_hearing": {"count": 6, "age_days": 40, **({"next_hearing_days": 21} if booked else {})}
                    }
                }
            },
        },
    }
    return data


def _first_stage_after_allocation(stages: pd.DataFrame, case_ids: pd.Series) -> pd.Series:
    own = stages[stages["case_id"].isin(case_ids) & (stages["stage"] != "guardian_allocation")]
    return own.sort_values(["case_id", "requested"]).groupby("case_id")["stage"].first()


def test_a_run_starts_inside_the_declared_backlog_by_region_and_stage(
    small_data: dict[str, Any], run, tmp_path: Path
) -> None:
    result = run(_open_caseload(small_data), tmp_path / "run")
    timeline = result.timeline[pd.to_datetime(result.timeline["date"]) == pd.Timestamp(result.start_date)]
    at_start = timeline.set_index(["measure", "region"])["value"]
    assert at_start["open_cases:public_law", "north_east"] == 18
    assert at_start["open_cases:public_law", "wales"] == 5
    assert at_start["open_cases:private_law", "wales"] == 6
    assert at_start["open_cases:private_law", "north_east"] == 0
    cases = result.children[result.children["from_open_caseload"]].drop_duplicates("case_id").set_index("case_id")
    # a case in assessment at the start may be with an expert (the pathway's branch)
    first = _first_stage_after_allocation(result.stages, cases.index.to_series()).replace(
        {"expert_assessment": "assessment"}
    )
    declared = pd.concat([cases[["case_type", "region"]], first.rename("stage")], axis=1)
    counts = declared.groupby(["case_type", "region", "stage"], observed=True).size().to_dict()
    assert counts == {
        ("public_law", "north_east", "final_hearing"): 10,
        ("public_law", "north_east", "assessment"): 8,
        ("public_law", "wales", "case_management_hearing"): 5,
        ("private_law", "wales", "first_hearing"): 6,
    }
    ages = cases.groupby(["region", declared["stage"]], observed=True)["days_before_run"]
    assert ages.min()["north_east", "final_hearing"] == ages.max()["north_east", "final_hearing"] == 200
    assert 30 <= ages.min()["north_east", "assessment"] <= ages.max()["north_east", "assessment"] <= 90
    assert ages.max()["wales", "case_management_hearing"] == 10


def test_hearings_booked_ahead_are_heard_on_their_days_not_after_a_new_notice_period(
    small_data: dict[str, Any], run, tmp_path: Path
) -> None:
    def first_hearing_days(booked: bool) -> pd.Series:
        result = run(_open_caseload(scenario_data(SMALL), booked), tmp_path / f"booked_{booked}")
        cases = result.children[result.children["from_open_caseload"]].drop_duplicates("case_id")
        # days from the start date to the first hearing
        cases = cases.assign(day=cases["days_to_first_hearing"] - cases["days_before_run"])
        return cases.set_index(["case_type", "region", "days_before_run"])["day"]

    booked, fresh = first_hearing_days(True), first_hearing_days(False)
    finals = booked["public_law", "north_east", 200]  # the final hearings (the assessments are younger)
    # ten final hearings booked between day 20 and day 40, heard on those days or soon after (a full day moves one)
    assert len(finals) == 10
    assert finals.min() >= 20 and finals.median() <= 45
    # a private law first hearing booked for day 21 is heard then (vacated or full lists can push it back)
    first_hearings = booked["private_law", "wales", 40]
    assert (first_hearings >= 21).all() and first_hearings.median() <= 28
    # without the booking the final hearing waits for its notice period (median 105 days)
    assert fresh["public_law", "north_east", 200].median() > 60


def test_a_row_moves_court_time_to_one_tier_from_its_date_and_later_rows_keep_it() -> None:
    """Care cases at the circuit judges given more of the court's time from a date: the tier's capacity index
    changes there, and a later row that names no index keeps it while its days sat still change every tier."""
    data = scenario_data(Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml")
    data["history"] = {
        "rows": [
            {"date": "2024-04-01", "tier_capacity_index": {"circuit_judge": 1.2}},
            {"date": "2024-07-01", "days_sat": 100000},
        ]
    }
    loaded = scenario_from_dict(data)
    days = [day for day, _ in loaded.periods]
    assert [later - days[1] for later in days[1:]] == [0, 91]  # 1 April and 1 July, after the warm-up
    indices = [dict(s.courts.capacity.tier_capacity_index) for _, s in loaded.periods]
    assert indices == [{}, {"circuit_judge": 1.2}, {"circuit_judge": 1.2}]
    assert loaded.periods[-1][1].courts.capacity.days_sat_per_year == pytest.approx(100000)


def test_a_tier_index_needs_derived_capacity_and_a_known_tier(tmp_path: Path) -> None:
    [(_, key, message)] = _problems(
        tmp_path, "history:\n  rows: [{date: 2024-07-01, tier_capacity_index: {circuit_judge: 1.2}}]\n"
    )
    assert key == "history.rows[0].tier_capacity_index.circuit_judge"
    assert "courts.capacity" in message
    baseline = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
    history = "history:\n  rows: [{date: 2024-07-01, tier_capacity_index: {high_court: 1.2}}]\n"
    problems = {key: message for _, key, message in _problems(tmp_path, history, baseline)}
    assert "'high_court' is not one of courts.tiers" in problems["history.rows[0].tier_capacity_index.high_court"]
