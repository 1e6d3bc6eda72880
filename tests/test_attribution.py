"""Where children's days went (sim/analysis/attribution.py): by hand on made-up rows, and on real runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis import attribution


def test_attribution_by_hand(hand: pd.DataFrame) -> None:
    assert attribution.check_attribution(hand).empty
    broken = hand.copy()
    broken.loc[0, "active_cafcass_days"] = 5.0
    assert attribution.check_attribution(broken)["child_id"].tolist() == [0]
    table = attribution.delay_attribution(hand, by="case_type")
    court = table[(table["group"] == "public_law") & (table["agency"] == "court") & (table["kind"] == "waiting")]
    assert court["days_total"].item() == 400 and court["days_mean"].item() == pytest.approx(400 / 3)
    assert court["share"].item() == 1.0 and court["children"].item() == 3


def test_component_days_by_hand() -> None:
    days = {column: np.zeros(2) for column in attribution.ATTRIBUTION_COLUMNS}
    days["wait_court_days"] = np.array([10.0, 20.0])
    days["active_experts_days"] = np.array([0.0, 10.0])
    parts = attribution.component_days(days)
    assert parts["wait_court_days"] == (30.0, 15.0, 0.75)
    assert parts["active_experts_days"] == (10.0, 5.0, 0.25)
    values = attribution.attribution_indicators(days)
    assert values["wait_court_days_mean"] == 15.0 and values["active_experts_share"] == 0.25
    empty = attribution.component_days({column: np.zeros(0) for column in attribution.ATTRIBUTION_COLUMNS})
    assert all(np.isnan(mean) and np.isnan(share) for _, mean, share in empty.values())


# ---------------------------------------------------------------------------------------------- real runs
@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory):
    from sim import api

    return api.run("tests/scenarios/small.yaml", replications=2, out=tmp_path_factory.mktemp("small") / "run")


def test_waits_and_active_times_add_up_to_days_in_proceedings_in_a_real_run(small_run) -> None:
    children = small_run.children
    rows = children[children["days_in_proceedings"].notna()]
    parts = rows[attribution.ATTRIBUTION_COLUMNS].sum(axis=1).to_numpy()
    expected = (rows["days_in_proceedings"] - rows["days_before_run"]).to_numpy()
    assert len(rows) > 1000 and set(rows["status"].astype(str)) == {"disposed", "open"}
    np.testing.assert_allclose(parts, expected, atol=1e-6)
    assert attribution.check_attribution(children).empty


def test_safeguarding_and_fact_finding_times_are_stage_starts_after_issue(small_run) -> None:
    children = small_run.children[small_run.children["replication"] == 0]
    stages = small_run.stages[small_run.stages["replication"] == 0]
    events = attribution.case_events(children, stages).set_index("case_id")
    fact = stages[stages["stage"].astype(str) == "fact_finding_hearing"].iloc[0]
    case_stages = stages[stages["case_id"] == fact["case_id"]]
    issued = case_stages["requested"].min()  # private law: issue, then safeguarding checks at once
    assert events.at[fact["case_id"], "days_to_fact_finding"] == pytest.approx(
        (fact["started"] - issued) / pd.Timedelta(days=1)
    )
    checks = case_stages[case_stages["stage"].astype(str) == "safeguarding_checks"]["started"].min()
    assert events.at[fact["case_id"], "days_to_first_safeguarding_step"] == pytest.approx(
        (checks - issued) / pd.Timedelta(days=1)
    )
