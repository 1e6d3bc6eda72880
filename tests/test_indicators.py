"""Indicators (sim/analysis/indicators.py, with rows.py and periods.py): by hand on made-up rows, and on real runs."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from made_up import PERIOD, START, child_rows

from sim.analysis import rows as selection
from sim.analysis.attribution import ATTRIBUTION_COLUMNS
from sim.analysis.indicators import INDICATOR_COLUMNS, indicators
from sim.analysis.periods import child_days_by_month, open_over
from sim.analysis.statistics import summarise
from sim.vocabulary import AGENCIES, DAYS_PER_YEAR, WEEK_DAYS


def value(frame: pd.DataFrame, indicator: str, breakdown: str = "all", group: str = "all") -> float:
    rows = frame[(frame["indicator"] == indicator) & (frame["breakdown"] == breakdown) & (frame["group"] == group)]
    assert len(rows) == 1, f"{indicator} {breakdown} {group}: {len(rows)} rows"
    return float(rows["value"].iloc[0])


# ---------------------------------------------------------------------------------------------- by hand
def test_breakdowns_include_the_scenarios_extra_attributes(hand: pd.DataFrame) -> None:
    assert selection.breakdowns(hand) == ["case_type", "pathway", "domestic_abuse", "age_band", "region", "extra_need"]


def test_flow_indicators_by_hand(hand: pd.DataFrame) -> None:
    out = indicators(hand, period=PERIOD, by_month=False)
    assert list(out.columns) == INDICATOR_COLUMNS
    # disposed results rows: 200, 100, 100 days
    assert value(out, "time_to_disposal_weeks_mean") == pytest.approx(400 / 3 / 7)
    assert value(out, "time_to_disposal_weeks_median") == pytest.approx(100 / 7)
    assert value(out, "time_to_disposal_weeks_p90") == pytest.approx((100 + 0.8 * 100) / 7)  # linear interpolation
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
    assert value(out, "time_to_disposal_weeks_mean", "case_type", "public_law") == pytest.approx(400 / 3 / 7)
    assert value(out, "time_to_disposal_weeks_mean", "age_band", "baby") == pytest.approx(200 / 7)
    assert value(out, "days_to_first_hearing_mean", "extra_need", "high") == 10


def test_a_case_whose_children_fall_in_two_age_bands_counts_once_in_each() -> None:
    """Per-case indicators take the first row of each case in the group: a case split between age bands (a baby and
    an older sibling) counts once in each band and once overall, though its first row is in only one of them."""
    d = dt.date
    siblings = {"case_id": 7, "start_date": d(2024, 2, 1), "end_date": d(2024, 5, 11), "hearings": 3}
    out = indicators(
        child_rows(
            [
                {**siblings, "age_at_start_years": 0.0, "age_band": "baby"},
                {**siblings},  # older, the case's second row
                {"case_id": 8, "start_date": d(2024, 3, 1), "end_date": d(2024, 4, 10), "hearings": 1},
            ]
        ),
        period=PERIOD,
        by_month=False,
    )
    assert value(out, "hearings_per_case_mean") == 2  # cases 7 and 8
    assert value(out, "hearings_per_case_mean", "age_band", "baby") == 3
    assert value(out, "hearings_per_case_mean", "age_band", "older") == 2  # case 7 counts here too
    assert value(out, "hearings_per_case_mean", "case_type/age_band", "private_law/older") == 2
    assert value(out, "hearings_per_case_mean", "case_type", "private_law") == 2
    assert value(out, "cases_disposed_in_period_weeks_mean", "age_band", "older") == pytest.approx((100 + 40) / 2 / 7)


def test_rows_of_rows_are_the_rows_of_both_selections_taken_from_the_whole_columns() -> None:
    """A group's disposed results rows are a selection of a selection: they hold the same values as selecting twice,
    but each column is taken once from the whole columns, not copied for the outer rows first."""
    columns = {"days": np.arange(10.0), "disposed": np.arange(10) % 3 == 0}
    group = selection.Rows(columns, np.array([9, 6, 3, 2, 0]))  # a group's positions, in any order
    disposed = selection.Rows(group, group["disposed"])  # a mask over the group: rows 9, 6, 3, 0
    assert disposed["days"].tolist() == [9.0, 6.0, 3.0, 0.0]
    assert disposed.source is columns and "days" not in group.taken
    first_two = selection.Rows(selection.Rows(columns, columns["disposed"]), np.array([1, 0]))  # positions of a mask
    assert first_two["days"].tolist() == [3.0, 0.0]


def test_stock_indicators_count_every_child_in_proceedings_inside_the_period(hand: pd.DataFrame) -> None:
    out = indicators(hand, period=PERIOD, by_month=True)
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
    assert not (
        (out["breakdown"] == "domestic_abuse")
        & (out["group"] == "true")
        & (out["indicator"] == "days_to_first_hearing_mean")
    ).any()


def test_open_over_a_threshold_at_dates(hand: pd.DataFrame) -> None:
    counts = open_over(hand, DAYS_PER_YEAR, [dt.date(2024, 6, 30), dt.date(2024, 12, 31)])
    assert counts["children"].tolist() == [0, 1]


# ---------------------------------------------------------------------------------------------- real runs
@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory):
    from sim import api

    return api.run("tests/scenarios/small.yaml", replications=2, out=tmp_path_factory.mktemp("small") / "run")


def test_indicators_of_a_real_run_summarise_with_intervals(small_run) -> None:
    per_rep = indicators(small_run.children, small_run.stages, small_run.period)
    assert sorted(per_rep["replication"].unique()) == [0, 1]
    assert set(per_rep["breakdown"]) >= {"all", "case_type", "pathway", "domestic_abuse", "age_band", "region", "month"}
    summary = summarise(per_rep)
    row = summary[(summary["indicator"] == "time_to_disposal_weeks_mean") & (summary["breakdown"] == "all")].iloc[0]
    assert row["replications"] == 2 and row["ci95_low"] < row["mean"] < row["ci95_high"]
    # the median by hand: disposed private law children whose case started in the results period
    children = small_run.children
    for rep in (0, 1):
        kids = children[(children["replication"] == rep) & ~children["warm_up"] & ~children["from_open_caseload"]]
        days = kids[(kids["status"].astype(str) == "disposed") & (kids["case_type"].astype(str) == "private_law")]
        rep_rows = per_rep[per_rep["replication"] == rep]
        here = value(rep_rows, "time_to_disposal_weeks_median", "case_type", "private_law")
        assert here == pytest.approx(float(np.median(days["days_to_disposal"].to_numpy())) / 7)
    da = per_rep[per_rep["indicator"].str.startswith("domestic_abuse_")]
    assert {"domestic_abuse_days_to_first_safeguarding_step_median", "domestic_abuse_fact_finding_needed_share"} <= set(
        da["indicator"]
    )
    share = value(per_rep[per_rep["replication"] == 0], "domestic_abuse_fact_finding_needed_share")
    assert 0 < share < 1


def test_warm_up_rows_are_left_out_of_flows_but_counted_in_stocks(small_data, run, tmp_path) -> None:
    small_data["starting_state"]["warm_up_days"] = 120
    small_data["run_years"] = 0.5
    small_data["children"]["attributes"] = {"care_experienced_parent": {"yes": 0.3, "no": 0.7}}
    result = run(small_data, tmp_path / "warm")
    children = result.children
    assert children["warm_up"].any()
    assert "care_experienced_parent" in selection.breakdowns(children)
    start = pd.Timestamp(result.start_date)
    period = (start, start + pd.Timedelta(days=0.5 * 365.25))
    out = indicators(children, result.stages, period)
    results = children[~children["warm_up"] & (children["status"].astype(str) == "disposed")]
    assert value(out, "time_to_disposal_weeks_mean") == pytest.approx(results["days_to_disposal"].mean() / 7)
    assert ("care_experienced_parent", "yes") in set(zip(out["breakdown"], out["group"], strict=True))
    # child-days in the first month include the children whose cases began in the warm-up
    first = value(out, "child_days_in_proceedings_count", "month", f"{start:%Y-%m}")
    without = child_days_by_month(children[~children["warm_up"]], period)
    assert first > without[without["month"] == f"{start:%Y-%m}"]["child_days"].sum()


# ---------------------------------------------------------------------------------- disposals, volumes, end state
def child(child_id, case_id, case_type, status, days, *, pathway=None, da=False, warm_up=False, open_caseload=False):
    """A row for :func:`child_rows`: disposed after ``days``, open at the end, or diverted."""
    row = {
        "child_id": child_id,
        "case_id": case_id,
        "case_type": case_type,
        "pathway": pathway or case_type,
        "domestic_abuse": da,
        "warm_up": warm_up,
        "from_open_caseload": open_caseload,
        "status": status,
        "start_date": START,
    }
    if status == "disposed":
        row["end_date"] = START + dt.timedelta(days=days)
    elif status == "diverted":
        row.update(
            end_date=START + dt.timedelta(days=19),
            days_in_proceedings=math.nan,
            days_to_disposal=math.nan,
            days_to_first_hearing=math.nan,
        )
    return row


@pytest.fixture
def children() -> pd.DataFrame:
    frame = child_rows(
        [
            child(1, 1, "public_law", "disposed", 70, da=True),  # 10 weeks, two siblings
            child(2, 1, "public_law", "disposed", 70, da=True),
            child(3, 2, "public_law", "disposed", 210),  # 30 weeks
            child(4, 3, "private_law", "disposed", 140, pathway="pathfinder"),  # 20 weeks
            child(5, 4, "private_law", "open", math.nan, da=True),
            child(6, 5, "public_law", "disposed", 7, warm_up=True),  # excluded: started in warm-up
            child(7, 6, "public_law", "disposed", 14, open_caseload=True),  # excluded: declared open case
            child(8, 7, "public_law", "diverted", math.nan),
        ]
    )
    frame[ATTRIBUTION_COLUMNS] = 0.0
    frame.loc[0, "wait_court_days"] = 14.0  # two weeks waiting for the court, for one child of four
    frame.loc[0, "active_cafcass_days"] = 28.0
    for column in ("case_type", "pathway", "status"):
        frame[column] = frame[column].astype("category")
    return frame


@pytest.fixture
def timeline() -> pd.DataFrame:
    rows = []
    for date, scale in (("2024-01-01", 1), ("2024-01-08", 2)):
        for region, base in (("north", 1.0), ("south", 2.0)):
            rows += [
                (0, pd.Timestamp(date), "open_cases:public_law", region, base * scale),
                (0, pd.Timestamp(date), "open_cases:private_law", region, 10 * base * scale),
                (0, pd.Timestamp(date), "open_children", region, 5 * base * scale),
                (0, pd.Timestamp(date), "unallocated:cafcass_short_term", region, base * scale + 1),
                (0, pd.Timestamp(date), "unallocated:cafcass_long_term", region, 0.0),
            ]
    return pd.DataFrame(rows, columns=["replication", "date", "measure", "region", "value"])


def test_indicators_are_tidy_long_rows(children, timeline) -> None:
    result = indicators(children, period=PERIOD, timeline=timeline)
    assert list(result.columns) == ["replication", "indicator", "breakdown", "group", "value"]
    assert set(result["replication"]) == {0}
    assert not result.duplicated(["replication", "indicator", "breakdown", "group"]).any()


def test_time_to_disposal_counts_each_disposed_results_child(children, timeline) -> None:
    result = indicators(children, period=PERIOD, timeline=timeline)
    # disposed results children: 10, 10, 30 (public law) and 20 (private law, Pathfinder) weeks
    assert value(result, "time_to_disposal_weeks_mean") == pytest.approx(17.5)
    assert value(result, "time_to_disposal_weeks_median") == pytest.approx(15.0)
    assert value(result, "time_to_disposal_weeks_p90") == pytest.approx(27.0)  # 20 + 0.7 * (30 - 20)
    assert value(result, "disposed_within_26_weeks_share") == pytest.approx(0.75)
    assert value(result, "children_disposed_count") == 4
    assert value(result, "time_to_disposal_weeks_mean", "case_type", "public_law") == pytest.approx(50 / 3)
    assert value(result, "time_to_disposal_weeks_p90", "case_type", "public_law") == pytest.approx(26.0)
    assert value(result, "disposed_within_26_weeks_share", "case_type", "public_law") == pytest.approx(2 / 3)
    assert value(result, "time_to_disposal_weeks_mean", "case_type", "private_law") == pytest.approx(20.0)
    assert value(result, "time_to_disposal_weeks_mean", "pathway", "pathfinder") == pytest.approx(20.0)
    assert value(result, "time_to_disposal_weeks_mean", "domestic_abuse", "true") == pytest.approx(10.0)
    assert value(result, "time_to_disposal_weeks_mean", "domestic_abuse", "false") == pytest.approx(25.0)
    # nobody on the standard private law pathway was disposed: no times, a count of none
    private = result[(result.breakdown == "pathway") & (result.group == "private_law")]
    assert not private["indicator"].str.startswith("time_to_disposal").any()
    assert value(result, "children_disposed_count", "pathway", "private_law") == 0
    # per case, not per child: public law cases 1 (10 weeks) and 2 (30 weeks), one of two within 26 weeks
    assert value(result, "public_law_cases_within_26_weeks_share") == pytest.approx(0.5)


def test_volumes_exclude_warm_up_and_open_caseload(children, timeline) -> None:
    result = indicators(children, period=PERIOD, timeline=timeline)
    assert value(result, "cases_started_count") == 5
    assert value(result, "children_started_count") == 6
    assert value(result, "child_cases_started_count") == 6
    assert value(result, "cases_started_count", "case_type", "public_law") == 3


def test_delay_attribution_is_mean_days_per_disposed_child(children, timeline) -> None:
    result = indicators(children, period=PERIOD, timeline=timeline)
    assert value(result, "wait_court_days_mean") == pytest.approx(14 / 4)  # two weeks / 4 children
    assert value(result, "active_cafcass_days_mean") == pytest.approx(28 / 4)
    assert value(result, "wait_experts_days_mean") == 0
    assert value(result, "wait_court_share") == pytest.approx(14 / 42)
    assert {f"wait_{agency}_days_mean" for agency in AGENCIES} <= set(result["indicator"])


def test_end_state_from_last_snapshot_summed_over_regions(children, timeline) -> None:
    result = indicators(children, period=PERIOD, timeline=timeline)
    assert value(result, "open_cases_at_end_count", "case_type", "public_law") == 6  # 2 + 4
    assert value(result, "open_cases_at_end_count", "case_type", "private_law") == 60
    assert value(result, "open_cases_at_end_count") == 66
    assert value(result, "open_children_at_end_count") == 30
    assert value(result, "cafcass_unallocated_at_end_count", "team", "short_term") == 8  # (2 + 1) + (4 + 1)
    assert value(result, "cafcass_unallocated_at_end_count", "team", "long_term") == 0


def test_indicators_are_computed_per_replication(children) -> None:
    second = children.copy()
    second["replication"] = 1
    second["days_to_disposal"] = second["days_to_disposal"] * 2
    result = indicators(pd.concat([children, second], ignore_index=True), period=PERIOD)
    assert value(result[result.replication == 0], "time_to_disposal_weeks_mean") == pytest.approx(17.5)
    assert value(result[result.replication == 1], "time_to_disposal_weeks_mean") == pytest.approx(35.0)


def test_no_disposals_gives_missing_times_and_zero_count(children) -> None:
    none = children[children.status != "disposed"]
    result = indicators(none, period=PERIOD)
    assert math.isnan(value(result, "time_to_disposal_weeks_mean"))
    assert value(result, "children_disposed_count") == 0


def test_time_to_disposal_weeks_is_days_over_a_week(children) -> None:
    """Time to disposal is reported once, in weeks: no day-based twin."""
    result = indicators(children, period=PERIOD)
    assert not result["indicator"].str.startswith("days_to_disposal").any()
    assert not result["indicator"].isin(["waiting_weeks_mean", "active_weeks_mean"]).any()
    weeks = np.array([70, 70, 210, 140]) / WEEK_DAYS
    assert value(result, "time_to_disposal_weeks_mean") == pytest.approx(weeks.mean())


# ---------------------------------------------------------------------------------------------- within case types
def test_a_breakdown_by_domestic_abuse_within_case_type_is_not_confounded_by_case_type() -> None:
    """Every Family Law Act remedy is flagged for domestic abuse and quick: pooled, abuse looks to shorten waits,
    though within private law the children with abuse alleged wait twice as long."""
    d, days = dt.date(2024, 2, 1), dt.timedelta
    kids = child_rows(
        [
            {"domestic_abuse": True, "start_date": d, "end_date": d + days(140)},
            {"domestic_abuse": False, "start_date": d, "end_date": d + days(70)},
            {"case_type": "domestic_abuse", "pathway": "domestic_abuse", "domestic_abuse": True}
            | {"start_date": d, "end_date": d + days(7)},
            {"case_type": "domestic_abuse", "pathway": "domestic_abuse", "domestic_abuse": True}
            | {"start_date": d, "end_date": d + days(21)},
        ]
    )
    out = indicators(kids, period=PERIOD, by_month=False)
    weeks = "time_to_disposal_weeks_mean"
    assert value(out, weeks, "domestic_abuse", "true") == pytest.approx((140 + 7 + 21) / 3 / 7)  # pooled: 8 weeks
    assert value(out, weeks, "domestic_abuse", "false") == pytest.approx(10)  # ... against 10
    assert value(out, weeks, "case_type/domestic_abuse", "private_law/true") == pytest.approx(20)
    assert value(out, weeks, "case_type/domestic_abuse", "private_law/false") == pytest.approx(10)
    assert value(out, weeks, "case_type/domestic_abuse", "domestic_abuse/true") == pytest.approx(2)
    groups = set(out.loc[out["breakdown"] == "case_type/domestic_abuse", "group"])
    assert groups == {"private_law/true", "private_law/false", "domestic_abuse/true"}  # no empty group
    assert value(out, weeks, "case_type/region", "private_law/north") == pytest.approx(15)
    assert value(out, weeks, "case_type/age_band", "domestic_abuse/older") == pytest.approx(2)


def test_cases_disposed_in_the_period_count_as_fcsq_counts_them() -> None:
    """A case that started in the warm-up and was disposed in the period counts, one per case; an open one does not.
    Time to disposal of children who started in the period leaves out both."""
    d, days = dt.date(2024, 2, 1), dt.timedelta
    kids = child_rows(
        [
            {"case_id": 0, "start_date": d, "end_date": d + days(70)},
            {"case_id": 0, "start_date": d, "end_date": d + days(70)},  # a sibling: the case counts once
            {"case_id": 1, "start_date": d, "end_date": d + days(210)},
            {"case_id": 2, "warm_up": True, "start_date": dt.date(2023, 10, 1), "end_date": dt.date(2024, 3, 1)},
            {"case_id": 3, "status": "open", "start_date": d},
        ]
    )
    out = indicators(kids, period=PERIOD, by_month=False)
    warm_up_days = (dt.date(2024, 3, 1) - dt.date(2023, 10, 1)).days
    by_case = "cases_disposed_in_period_weeks_mean"
    assert value(out, by_case, "case_type", "private_law") == pytest.approx((70 + 210 + warm_up_days) / 3 / 7)
    assert value(out, "cases_disposed_in_period_within_26_weeks_share", "case_type", "private_law") == pytest.approx(
        2 / 3
    )
    assert value(out, "time_to_disposal_weeks_mean", "case_type", "private_law") == pytest.approx((70 + 70 + 210) / 21)
