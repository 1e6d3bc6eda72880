"""Child-centred indicators and delay attribution (sim/analysis/delay.py): by hand on made-up rows, and on real runs."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from sim.analysis import indicators as delay
from sim.analysis import statistics as metrics

START = dt.date(2024, 1, 1)
END = pd.Timestamp("2025-01-01")
PERIOD = (pd.Timestamp(START), END)


def child_rows(rows: list[dict]) -> pd.DataFrame:
    """A children table with the columns of children.parquet, from a few hand-written rows."""
    defaults = {
        "replication": 0, "case_type": "private_law", "pathway": "private_law", "region": "north",
        "local_authority": "north_la01", "domestic_abuse": False, "age_at_start_years": 5.0, "age_band": "older",
        "is_return": False, "case_number": 1, "warm_up": False, "from_open_caseload": False, "status": "disposed",
        "days_to_first_hearing": 10.0, "days_before_run": 0.0, "pre_proceedings_days": 0.0, "hearings": 2,
        "adjournments": 0, "vacated": 0, "outcome": "no_order",
        **{c: 0.0 for c in delay.ATTRIBUTION_COLUMNS},
    }  # fmt: skip
    out = []
    for i, row in enumerate(rows):
        full = {"child_id": i, "case_id": i, **defaults, **row}
        start = full["start_date"]
        full.setdefault("arrival_date", start)
        if full["status"] == "open":
            full.setdefault("end_date", None)
            full.setdefault("days_in_proceedings", (END.date() - start).days)
            full.setdefault("days_to_disposal", math.nan)
        else:
            full.setdefault("days_in_proceedings", (full["end_date"] - start).days)
            full.setdefault("days_to_disposal", full["days_in_proceedings"])
        full["wait_court_days"] = full["days_in_proceedings"] - full["days_before_run"]
        out.append(full)
    frame = pd.DataFrame(out)
    order = [
        "child_id",
        "case_id",
        "case_type",
        "pathway",
        "region",
        "local_authority",
        "domestic_abuse",
        "age_at_start_years",
        "age_band",
        *[c for c in frame.columns if c.startswith("extra_")],
        "is_return",
    ]
    return frame[order + [c for c in frame.columns if c not in order]]  # fmt: skip


def value(frame: pd.DataFrame, indicator: str, breakdown: str = "all", group: str = "all") -> float:
    rows = frame[(frame["indicator"] == indicator) & (frame["breakdown"] == breakdown) & (frame["group"] == group)]
    assert len(rows) == 1, f"{indicator} {breakdown} {group}: {len(rows)} rows"
    return float(rows["value"].iloc[0])


# ---------------------------------------------------------------------------------------------- by hand
@pytest.fixture
def hand() -> pd.DataFrame:
    d = dt.date
    return child_rows(
        [
            # a baby in care proceedings, disposed after 200 days (over 26 weeks)
            {"case_type": "public_law", "pathway": "public_law", "age_at_start_years": 0.0, "age_band": "baby",
             "start_date": d(2024, 1, 1), "end_date": d(2024, 7, 19), "hearings": 3, "adjournments": 1},
            # public law, 100 days, two siblings in one case (case 1)
            {"case_id": 1, "case_type": "public_law", "pathway": "public_law", "start_date": d(2024, 2, 1),
             "end_date": d(2024, 5, 11), "hearings": 2},
            {"case_id": 1, "case_type": "public_law", "pathway": "public_law", "start_date": d(2024, 2, 1),
             "end_date": d(2024, 5, 11), "hearings": 2},
            # private law still open at the end, started 400 days before the end in the warm-up
            {"warm_up": True, "status": "open", "start_date": d(2023, 11, 28), "domestic_abuse": True},
            # private law open at the end after 30 days
            {"status": "open", "start_date": d(2024, 12, 2), "extra_need": "high"},
            # diverted: never in proceedings
            {"status": "diverted", "start_date": d(2024, 3, 1), "end_date": d(2024, 3, 20),
             "days_in_proceedings": math.nan, "days_to_first_hearing": math.nan, "days_to_disposal": math.nan},
        ]
    ).assign(extra_need=lambda f: f["extra_need"].fillna("low"))  # fmt: skip


def test_breakdowns_include_the_scenarios_extra_attributes(hand: pd.DataFrame) -> None:
    assert delay.breakdowns(hand) == ["case_type", "pathway", "domestic_abuse", "age_band", "region", "extra_need"]


def test_flow_indicators_by_hand(hand: pd.DataFrame) -> None:
    out = delay.indicators(hand, period=PERIOD, by_month=False)
    assert list(out.columns) == metrics.INDICATOR_COLUMNS
    # disposed results rows: 200, 100, 100 days
    assert value(out, "days_to_disposal_mean") == pytest.approx(400 / 3)
    assert value(out, "days_to_disposal_median") == 100
    assert value(out, "days_to_disposal_p90") == pytest.approx(100 + 0.8 * 100)  # linear interpolation
    # per case: case 0 took 200 days (> 182), case 1 took 100: one of two within 26 weeks
    assert value(out, "public_law_cases_within_26_weeks_share") == 0.5
    assert value(out, "hearings_per_case_mean") == 2.5
    assert value(out, "adjournments_per_case_mean") == 0.5
    # a baby aged 0 at the start spends all of its life in proceedings; the 5-year-olds 100 / (5 x 365.25 + 100);
    # the open results child (30 days, aged 5) counts so far; the warm-up and diverted rows do not count
    shares = [1.0, 100 / (5 * 365.25 + 100), 100 / (5 * 365.25 + 100), 30 / (5 * 365.25 + 30)]
    assert value(out, "share_of_life_in_proceedings_mean") == pytest.approx(np.mean(shares))
    assert value(out, "share_of_life_in_proceedings_mean", "age_band", "baby") == 1.0
    assert value(out, "children_disposed_after_over_1_year_count") == 0
    assert value(out, "days_to_disposal_mean", "case_type", "public_law") == pytest.approx(400 / 3)
    assert value(out, "days_to_first_hearing_mean", "extra_need", "high") == 10


def test_stock_indicators_count_every_child_in_proceedings_inside_the_period(hand: pd.DataFrame) -> None:
    out = delay.indicators(hand, period=PERIOD, by_month=True)
    # the warm-up child is open for the whole of 2024 (366 days) and over a year at the end; the other open
    # child 30 days; the disposed ones 200 + 100 + 100; the diverted child none
    assert value(out, "child_days_in_proceedings_count") == 366 + 30 + 200 + 100 + 100
    assert value(out, "open_children_daily_mean") == pytest.approx(796 / 366)
    assert value(out, "children_open_over_1_year_at_end_count") == 1
    assert value(out, "children_open_over_100_weeks_at_end_count") == 0
    assert value(out, "child_days_in_proceedings_count", "month", "2024-01") == 31 + 31  # warm-up child + baby
    assert value(out, "child_days_in_proceedings_count", "month", "2024-12") == 31 + 30
    monthly = out[out["breakdown"] == "month"]
    assert monthly["value"].sum() == value(out, "child_days_in_proceedings_count")
    # the warm-up child is left out of every flow
    assert not ((out["breakdown"] == "domestic_abuse") & (out["group"] == "true")
                & (out["indicator"] == "days_to_first_hearing_mean")).any()  # fmt: skip


def test_open_over_a_threshold_at_dates(hand: pd.DataFrame) -> None:
    counts = delay.open_over(hand, 365.25, [dt.date(2024, 6, 30), dt.date(2024, 12, 31)])
    assert counts["children"].tolist() == [0, 1]


def test_attribution_by_hand(hand: pd.DataFrame) -> None:
    assert delay.check_attribution(hand).empty
    broken = hand.copy()
    broken.loc[0, "active_cafcass_days"] = 5.0
    assert delay.check_attribution(broken)["child_id"].tolist() == [0]
    table = delay.delay_attribution(hand, by="case_type")
    court = table[(table["group"] == "public_law") & (table["agency"] == "court") & (table["kind"] == "waiting")]
    assert court["days_total"].item() == 400 and court["days_mean"].item() == pytest.approx(400 / 3)
    assert court["share"].item() == 1.0 and court["children"].item() == 3


# ---------------------------------------------------------------------------------------------- real runs
@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    from sim import api

    return api.run("tests/scenarios/small.yaml", replications=2, out=tmp_path_factory.mktemp("small") / "run")


def test_waits_and_active_times_add_up_to_days_in_proceedings_in_a_real_run(small_run) -> None:  # noqa: ANN001
    children = small_run.children
    rows = children[children["days_in_proceedings"].notna()]
    parts = rows[delay.ATTRIBUTION_COLUMNS].sum(axis=1).to_numpy()
    expected = (rows["days_in_proceedings"] - rows["days_before_run"]).to_numpy()
    assert len(rows) > 1000 and set(rows["status"].astype(str)) == {"disposed", "open"}
    np.testing.assert_allclose(parts, expected, atol=1e-6)
    assert delay.check_attribution(children).empty


def test_indicators_of_a_real_run_summarise_with_intervals(small_run) -> None:  # noqa: ANN001
    per_rep = delay.indicators(small_run.children, small_run.stages, small_run.period)
    assert sorted(per_rep["replication"].unique()) == [0, 1]
    assert set(per_rep["breakdown"]) >= {"all", "case_type", "pathway", "domestic_abuse", "age_band", "region",
                                         "month"}  # fmt: skip
    summary = metrics.summarise(per_rep)
    row = summary[(summary["indicator"] == "days_to_disposal_mean") & (summary["breakdown"] == "all")].iloc[0]
    assert row["replications"] == 2 and row["ci95_low"] < row["mean"] < row["ci95_high"]
    # the same children, the same answer as sim.analysis.indicators (in weeks there, days here)
    weeks = metrics.indicators(small_run.children)
    for rep in (0, 1):
        here = value(per_rep[per_rep["replication"] == rep], "days_to_disposal_median", "case_type", "private_law")
        there = value(weeks[weeks["replication"] == rep], "time_to_disposal_weeks_median", "case_type", "private_law")
        assert here / 7 == pytest.approx(there)
    da = per_rep[per_rep["indicator"].str.startswith("domestic_abuse_")]
    assert {"domestic_abuse_days_to_first_safeguarding_step_median", "domestic_abuse_fact_finding_needed_share"} <= set(
        da["indicator"]
    )
    share = value(per_rep[per_rep["replication"] == 0], "domestic_abuse_fact_finding_needed_share")
    assert 0 < share < 1


def test_safeguarding_and_fact_finding_times_are_stage_starts_after_issue(small_run) -> None:  # noqa: ANN001
    children = small_run.children[small_run.children["replication"] == 0]
    stages = small_run.stages[small_run.stages["replication"] == 0]
    events = delay.case_events(children, stages).set_index("case_id")
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


def test_warm_up_rows_are_left_out_of_flows_but_counted_in_stocks(small_data, run, tmp_path) -> None:  # noqa: ANN001
    small_data["starting_state"]["warm_up_days"] = 120
    small_data["run_years"] = 0.5
    small_data["children"]["attributes"] = {"care_experienced_parent": {"yes": 0.3, "no": 0.7}}
    result = run(small_data, tmp_path / "warm")
    children = result.children
    assert children["warm_up"].any()
    assert "care_experienced_parent" in delay.breakdowns(children)
    start = pd.Timestamp(result.start_date)
    period = (start, start + pd.Timedelta(days=0.5 * 365.25))
    out = delay.indicators(children, result.stages, period)
    results = children[~children["warm_up"] & (children["status"].astype(str) == "disposed")]
    assert value(out, "days_to_disposal_mean") == pytest.approx(results["days_to_disposal"].mean())
    assert ("care_experienced_parent", "yes") in set(zip(out["breakdown"], out["group"], strict=True))
    # child-days in the first month include the children whose cases began in the warm-up
    first = value(out, "child_days_in_proceedings_count", "month", f"{start:%Y-%m}")
    without = delay.child_days_by_month(children[~children["warm_up"]], period)
    assert first > without[without["month"] == f"{start:%Y-%m}"]["child_days"].sum()
