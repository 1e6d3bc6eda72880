"""A scenario's history (demand and capacity by period) and a starting state declared by region and stage."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sim.scenario.loading import load_scenario, scenario_from_dict
from sim.scenario.yaml_file import ScenarioError
from tests.conftest import SMALL


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


def _problems(tmp_path: Path, history: str) -> list[tuple[int | None, str, str]]:
    path = tmp_path / "history.yaml"
    path.write_text(f"extends: {SMALL}\n" + textwrap.dedent(history), encoding="utf-8")
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
    assert key == "history"
    assert "days_sat_reference" in message
