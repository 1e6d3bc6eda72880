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
    np.testing.assert_allclose(parts, expected, atol=attribution.DEFAULT_TOLERANCE_DAYS)  # each stored to the hour
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


# ---------------------------------------------------------------------------------------------- notice and listing
NOTICE = {"case_management_hearing": 12, "issues_resolution_hearing": 21, "final_hearing": 28}
"""Fixed notice periods of the public law hearings in tests/scenarios/one_region.yaml."""


def _hearings(stages: pd.DataFrame) -> pd.DataFrame:
    rows = stages[stages["stage"].astype(str).isin(list(NOTICE))].copy()
    day = pd.Timedelta(days=1)
    rows["waited_days"] = (rows["started"] - rows["requested"]) / day
    rows["listing_days"] = rows["waited_days"] - rows["notice_days"]
    rows["earliest"] = [
        (r.requested + pd.Timedelta(days=NOTICE[str(r.stage)])).ceil("D") for r in rows.itertuples()
    ]  # the first midnight on or after the end of the notice
    return rows


def test_a_hearing_listed_on_a_day_with_room_waits_only_its_notice(tmp_path) -> None:
    """Ample sitting hours: a hearing whose notice ends on a sitting day is heard that day; its whole wait is
    notice (the N days of the rules, to the midnight they end on) and none of it is waiting for a listing."""
    from conftest import ONE_REGION, run_replication, scenario_data

    data = scenario_data(ONE_REGION)
    data["demand"]["public_law"]["cases_per_year"] = 40
    result = run_replication(data, tmp_path, exact=True)  # to the second: stored times are floored to the hour
    hearings = _hearings(result.stages)
    on_a_weekday = hearings[[e.weekday() < 5 for e in hearings["earliest"]]]
    assert len(on_a_weekday) > 30
    second = 1 / 86_400
    day = pd.Timedelta(days=1)
    expected_notice = (on_a_weekday["earliest"] - on_a_weekday["requested"]) / day
    np.testing.assert_allclose(on_a_weekday["notice_days"], expected_notice, atol=second)
    np.testing.assert_allclose(on_a_weekday["listing_days"], 0.0, atol=second)
    notice_rule = on_a_weekday["stage"].astype(str).map(NOTICE).to_numpy(dtype=float)
    assert (on_a_weekday["notice_days"].to_numpy() >= notice_rule - second).all()
    assert (on_a_weekday["notice_days"].to_numpy() < notice_rule + 1).all()
    # a notice that ends on a Saturday waits two days for Monday's list: that is not notice
    at_weekends = hearings[[e.weekday() == 5 for e in hearings["earliest"]]]
    np.testing.assert_allclose(at_weekends["listing_days"], 2.0, atol=second)
    children = result.children[result.children["status"].astype(str) == "disposed"]
    by_case = hearings.groupby("case_id")["notice_days"].sum()
    np.testing.assert_allclose(
        children["notice_court_days"], by_case.reindex(children["case_id"]).to_numpy(), atol=1e-5
    )


def test_a_hearing_on_a_full_list_waits_for_a_listing_after_its_notice(tmp_path) -> None:
    """Sitting hours cut to two a day for the circuit judges: the final hearings (two hours each) queue for days
    with room, so the wait beyond the notice grows, while the notice stays what the rules set."""
    from conftest import ONE_REGION, run_replication, scenario_data

    data = scenario_data(ONE_REGION)
    data["demand"]["public_law"]["cases_per_year"] = 400
    data["regions"][next(iter(data["regions"]))]["court"]["sitting_hours_per_day"]["circuit_judge"] = 2
    result = run_replication(data, tmp_path, exact=True)  # to the second: stored times are floored to the hour
    hearings = _hearings(result.stages)
    finals = hearings[hearings["stage"].astype(str) == "final_hearing"]
    assert len(finals) > 30
    assert (finals["listing_days"] > 7).mean() > 0.5  # most wait more than a week for a list with room
    day = pd.Timedelta(days=1)
    np.testing.assert_allclose(finals["notice_days"], (finals["earliest"] - finals["requested"]) / day, atol=1e-5)
    assert attribution.check_attribution(result.children).empty


def test_notice_and_listing_add_up_to_the_wait_for_the_court_in_a_real_run(small_run) -> None:
    """Every child of the small run (vacated and adjourned hearings, recess, returns): notice is a part of the
    court's wait, listing is the rest, and the attribution still adds up to the days in proceedings."""
    children = small_run.children
    rows = children[children["days_in_proceedings"].notna()]
    notice = rows["notice_court_days"].to_numpy()
    wait = rows["wait_court_days"].to_numpy()
    assert (notice >= -1e-6).all() and (notice <= wait + 1e-6).all()
    assert (notice > 0).mean() > 0.5 and (wait - notice > 1).mean() > 0.1  # both parts are there
    stages = small_run.stages
    day = pd.Timedelta(days=1)
    waited = (stages["started"] - stages["requested"]) / day
    assert (stages["notice_days"] >= 0).all() and (stages["notice_days"] <= waited + 1e-5).all()
    assert (stages.loc[stages["agency"].astype(str) != "court", "notice_days"] == 0).all()
    values = attribution.attribution_indicators(
        {c: rows[c].to_numpy(dtype=float) for c in [*attribution.ATTRIBUTION_COLUMNS, "notice_court_days"]}
    )
    assert values["notice_court_days_mean"] + values["listing_court_days_mean"] == pytest.approx(
        values["wait_court_days_mean"]
    )
    assert values["notice_court_share"] + values["listing_court_share"] == pytest.approx(values["wait_court_share"])
    table = attribution.delay_attribution(children, by=None, status="all", split_court_wait=True)
    assert set(table.loc[table["agency"] == "court", "kind"]) == {"notice", "waiting for a listing", "active"}
    assert table["share"].sum() == pytest.approx(1.0)
    assert attribution.check_attribution(children).empty


def test_check_attribution_finds_notice_longer_than_the_wait(hand: pd.DataFrame) -> None:
    rows = hand.assign(notice_court_days=0.0)
    assert attribution.check_attribution(rows).empty
    rows.loc[0, "notice_court_days"] = rows.loc[0, "wait_court_days"] + 1
    assert attribution.check_attribution(rows)["child_id"].tolist() == [rows.loc[0, "child_id"]]


def test_the_journey_says_how_much_of_each_hearing_wait_was_notice_and_how_much_listing(small_run) -> None:
    from sim.outputs.journey import _days as in_words

    children = small_run.children[small_run.children["replication"] == 0]
    waiting = children[(children["status"].astype(str) == "disposed") & (children["case_number"] == 1)]
    child = waiting.loc[(waiting["wait_court_days"] - waiting["notice_court_days"]).idxmax()]
    text = small_run.journey(int(child["child_id"]))
    stages = small_run.stages
    stages = stages[(stages["replication"] == 0) & (stages["case_id"] == child["case_id"])]
    hearings = stages[stages["stage"].astype(str).str.endswith("hearing")]
    lines = [line for line in text.splitlines() if "of notice, then" in line]
    assert len(lines) == len(hearings) > 0
    day = pd.Timedelta(days=1)
    for row, line in zip(hearings.sort_values(["requested", "started"]).itertuples(), lines, strict=True):
        listing = (row.started - row.requested) / day - row.notice_days
        assert f"{in_words(row.notice_days)} of notice, then {in_words(listing)} for a listing" in line
    notice, wait = child["notice_court_days"], child["wait_court_days"]
    split = f"({round(notice)} notice, {round(wait - notice)} for a listing)"
    assert f"the court {round(wait)} waiting {split}" in text
    assert wait - notice > 1  # the child chosen did wait for a listing
