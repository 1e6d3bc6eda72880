"""The cost of delay and of capacity (sim.analysis.costs): worked by hand on made-up children, and through compare."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from made_up import PERIOD, hand_rows

from sim.analysis.costs import capacity_cost_rows, capacity_costs, days_sat_per_year
from sim.analysis.indicators import indicators
from sim.scenario.loading import load_scenario, scenario_from_dict
from sim.scenario.schema import Costs
from sim.scenario.yaml_file import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
SMALL_COSTS = ROOT / "tests" / "scenarios" / "small_costs.yaml"
YEARS = 366 / 365.25  # 2024 is a leap year: the made-up period is 366 days


def _value(table: pd.DataFrame, indicator: str, breakdown: str = "all", group: str = "all") -> float:
    row = table[(table.indicator == indicator) & (table.breakdown == breakdown) & (table.group == group)]
    assert len(row) == 1, f"{indicator} {breakdown}={group}: {len(row)} rows"
    return float(row["value"].iloc[0])


def test_delay_costs_worked_by_hand() -> None:
    """hand_rows(): a one-child care case of 200 days, and a case of two siblings of 100 days (the private law rows
    are not costed). The local authority pays 700 a case-week for every week; Cafcass 70 a child-week beyond 26."""
    costs = Costs.model_validate(
        {
            "delay": {
                "public_law": {
                    "local_authority": {"gbp_per_case_week": 700},
                    "cafcass": {"gbp_per_child_week": 70, "beyond_weeks": 26},
                }
            }
        }
    )
    table = indicators(hand_rows(), period=PERIOD, by_month=False, costs=costs)
    # local authority: 200 days = 20,000 for the one child; 100 days = 10,000 for the case, 5,000 for each sibling.
    # Cafcass: 200 - 182 = 18 days beyond 26 weeks = 180 for the first child; the siblings are within 26 weeks.
    assert _value(table, "delay_cost_per_child_gbp_mean") == pytest.approx((20_180 + 5_000 + 5_000) / 3)
    assert _value(table, "delay_cost_per_case_gbp_mean") == pytest.approx((20_180 + 10_000) / 2)
    assert _value(table, "delay_cost_per_case_gbp_mean", "case_type", "public_law") == pytest.approx(15_090)
    # every costed day falls in the period (2024, 366 days): a year of it costs the total over 366/365.25 years
    assert _value(table, "delay_cost_local_authority_gbp_per_year") == pytest.approx(30_000 / YEARS)
    assert _value(table, "delay_cost_cafcass_gbp_per_year") == pytest.approx(180 / YEARS)
    assert _value(table, "delay_cost_gbp_per_year") == pytest.approx(30_180 / YEARS)
    assert _value(table, "delay_cost_gbp_per_year", "case_type", "private_law") == 0
    # the baby's group holds the first child only
    assert _value(table, "delay_cost_per_child_gbp_mean", "age_band", "baby") == pytest.approx(20_180)


def test_no_costs_no_cost_indicators() -> None:
    table = indicators(hand_rows(), period=PERIOD, by_month=False)
    assert not table.indicator.str.contains("cost").any()


def test_a_cost_is_per_case_or_per_child_not_both() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Costs.model_validate({"delay": {"public_law": {"court": {"gbp_per_case_week": 1, "gbp_per_child_week": 1}}}})


def test_capacity_costs_count_days_sat_advisers_and_social_workers() -> None:
    scenario = load_scenario(SMALL_COSTS).scenario
    costs = capacity_costs(scenario)
    assert costs["cafcass"] == pytest.approx((3 + 8 + 2 + 4) * 65_000)
    assert costs["local_authority"] == pytest.approx((14.4 + 6.8) * 60_000)
    # twice the sitting hours by hand are twice the days sat
    data = scenario.model_dump(mode="json", by_alias=True)
    for region in data["regions"].values():
        hours = region["court"]["sitting_hours_per_day"]
        region["court"]["sitting_hours_per_day"] = {tier: 2 * value for tier, value in hours.items()}
    doubled = scenario_from_dict(data).scenario
    assert days_sat_per_year(doubled) == pytest.approx(2 * days_sat_per_year(scenario))


def test_capacity_added_by_a_policy_counts_from_its_date() -> None:
    """Advisers doubled half way through a one-year run cost half a year more."""
    loaded = load_scenario(SMALL_COSTS)
    data = loaded.scenario.model_dump(mode="json", by_alias=True)
    half_way = loaded.scenario.start_date + pd.Timedelta(days=round(loaded.scenario.run_days / 2))
    data["policies"] = [{"name": "twice the advisers", "date": str(half_way), "scale": {"regions.*.cafcass.*": 2.0}}]
    with_policy = scenario_from_dict(data)
    base = {r[1]: r[4] for r in capacity_cost_rows(loaded.periods, 0)}
    more = {r[1]: r[4] for r in capacity_cost_rows(with_policy.periods, 0)}
    added = more["capacity_cost_cafcass_gbp_per_year"] - base["capacity_cost_cafcass_gbp_per_year"]
    assert added == pytest.approx(17 * 65_000 / 2, rel=0.01)
    assert more["capacity_cost_court_gbp_per_year"] == pytest.approx(base["capacity_cost_court_gbp_per_year"])


def test_hand_set_hours_need_hours_a_day_to_be_priced_in_days(tmp_path: Path) -> None:
    data = load_scenario(SMALL_COSTS).scenario.model_dump(mode="json", by_alias=True)
    data["costs"]["capacity"]["sitting_hours_per_day"] = None
    with pytest.raises(ScenarioError, match="sitting_hours_per_day"):
        scenario_from_dict(data)


def test_costs_cannot_change_part_way_through_a_run() -> None:
    data = load_scenario(SMALL_COSTS).scenario.model_dump(mode="json", by_alias=True)
    data["policies"] = [{"name": "dearer", "date": "2024-06-01", "set": {"costs.capacity.gbp_per_sitting_day": 1}}]
    with pytest.raises(ScenarioError, match="whole run"):
        scenario_from_dict(data)


@pytest.mark.slow
def test_an_option_that_shortens_cases_saves_delay_cost(tmp_path: Path) -> None:
    """Quicker assessments with half as many social workers again: the delay cost a year falls (its paired interval
    is below zero), capacity costs the added social workers exactly, and the net cost is the two together. (The cost
    per disposed case may not fall in a one-year run: quicker cases let longer ones finish inside it.)"""
    from sim.experiment.compare import compare

    option = tmp_path / "quicker.yaml"
    option.write_text(
        f"extends: {SMALL_COSTS}\nname: quicker\npolicies:\n  - name: quicker assessments, more social workers\n"
        "    date: 2024-01-01\n"
        "    set: {public_law.assessments.duration_days: {dist: lognormal, median: 28, sigma: 0.6}}\n"
        "    scale: {regions.*.local_authority.social_workers: 1.5}\n",
        encoding="utf-8",
    )
    loaded = [load_scenario(SMALL_COSTS), load_scenario(option, roots=[SMALL_COSTS.parent])]
    table, _ = compare(loaded, tmp_path / "out", replications=3)
    rows = table[(table.breakdown == "all")].set_index("indicator")
    delay = rows.loc["delay_cost_gbp_per_year"]
    assert delay.difference_mean < 0 and delay.difference_ci95_high < 0, delay
    capacity = rows.loc["capacity_cost_gbp_per_year"]
    assert capacity.difference_mean == pytest.approx(0.5 * (14.4 + 6.8) * 60_000)
    assert capacity.difference_ci95_low == pytest.approx(capacity.difference_ci95_high)
    net = rows.loc["total_cost_gbp_per_year"]
    assert net.difference_mean == pytest.approx(capacity.difference_mean + delay.difference_mean)
    assert net.difference_sd == pytest.approx(delay.difference_sd)
    # the comparison report ranks the option by its net cost, with the intervals
    from sim.outputs.comparison_report import write_comparison_report
    from sim.outputs.html import pounds

    page = write_comparison_report(tmp_path / "out").read_text(encoding="utf-8")
    section = page[page.index("id='costs'") : page.index("id='distributions'")]
    assert "quicker" in section and pounds(capacity.difference_mean) in section
    assert pounds(delay.difference_ci95_high) in section
