"""A run starts with a past: children come back to court from orders made before it, so returns to court do not
build up through the results of a run with constant inputs (sim/model/starting_state.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.model.starting_state import orders_per_day
from sim.scenario.loading import scenario_from_dict


def _private_law_only(data: dict, years: int, with_past: bool) -> dict:
    """The small scenario with private law demand only (no Pathfinder), ample court and Cafcass time (so cases
    reach their orders), a high return share and long delays."""
    data["run_years"] = years
    data["demand"] = {"private_law": data["demand"]["private_law"]}
    data["demand"]["private_law"]["cases_per_year"] = 600
    data["demand"]["private_law"]["monthly_seasonality"] = [1.0] * 12
    for region in data["regions"].values():
        region.pop("pathfinder_from", None)
        hours = region["court"]["sitting_hours_per_day"]
        region["court"]["sitting_hours_per_day"] = {tier: 4 * h for tier, h in hours.items()}
        region["cafcass"] = {kind: 4 * n for kind, n in region["cafcass"].items()}
    data["recurrence"] = {
        "private_law": {
            "child_arrangements_order": {
                "share": 0.5,
                "case_type": "private_law",
                "delay_days": {"dist": "exponential", "mean": 540},
            }
        }
    }
    data["starting_state"] = {"warm_up_days": 0, "returns_before_start": with_past}
    return data


def _returns_by_year(result) -> pd.Series:
    cases = result.children.drop_duplicates("case_id")
    cases = cases[cases["is_return"]]
    return cases.groupby(pd.to_datetime(cases["arrival_date"]).dt.year).size()


def test_orders_before_the_start_come_from_demand_and_the_outcome_shares(small_data) -> None:
    """New private law cases S a day reach an order, a share q of which return: orders D = S / (1 - q)."""
    data = _private_law_only(small_data, 1, True)
    scenario = scenario_from_dict(data).scenario
    region = next(iter(scenario.regions))
    share = scenario.demand["private_law"].region_shares[region]
    q = scenario.private_law.outcomes["child_arrangements_order"] * 0.5
    expected = 600 / 365.25 * share / (1 - q)
    assert orders_per_day(scenario, region)["private_law"] == pytest.approx(expected)
    assert orders_per_day(scenario, region)["public_law"] == 0


@pytest.mark.slow
def test_returns_to_court_arrive_from_the_first_day_at_a_steady_rate(small_data, run, tmp_path) -> None:
    """Without a past, a run from empty sees few returns in its first year (they build up over the delays);
    with one, the first year has about as many as the third."""
    empty = _returns_by_year(run(_private_law_only(small_data, 3, False), tmp_path / "empty"))
    with_past = _returns_by_year(run(_private_law_only(small_data, 3, True), tmp_path / "past"))
    first, third = with_past.index.min(), with_past.index.max()
    assert empty[first] < 0.6 * empty[third]
    assert with_past[first] == pytest.approx(with_past[third], rel=0.2)
    assert with_past[first] > 1.5 * empty[first]


def test_returns_from_before_the_start_are_counted_children(small_data, run, tmp_path) -> None:
    """Their children are new to the run but on a return's rows; conservation counts them, the stats say so."""
    result = run(_private_law_only(small_data, 1, True), tmp_path / "a")
    stats = result.stats
    assert stats.returns_from_before_start > 0
    children = result.children
    assert children["is_return"].sum() >= stats.children_returning_from_before_start
    assert stats.children_created == len(children[~children["is_return"]]) + stats.children_returning_from_before_start
