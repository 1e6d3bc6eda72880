"""Indicators on small hand-made tables whose values can be worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.analysis import statistics as metrics
from sim.experiment.replications import sequential_stop


def child(child_id, case_id, case_type, status, days, *, pathway=None, da=False, warm_up=False, open_caseload=False):
    return {
        "replication": 0,
        "child_id": child_id,
        "case_id": case_id,
        "case_type": case_type,
        "pathway": pathway or case_type,
        "domestic_abuse": da,
        "warm_up": warm_up,
        "from_open_caseload": open_caseload,
        "status": status,
        "days_to_disposal": days,
        **{f"{kind}_{agency}_days": 0.0 for agency in metrics.AGENCIES for kind in ("wait", "active")},
    }


@pytest.fixture
def children() -> pd.DataFrame:
    rows = [
        child(1, 1, "public_law", "disposed", 70.0, da=True),  # 10 weeks, two siblings
        child(2, 1, "public_law", "disposed", 70.0, da=True),
        child(3, 2, "public_law", "disposed", 210.0),  # 30 weeks
        child(4, 3, "private_law", "disposed", 140.0, pathway="pathfinder"),  # 20 weeks
        child(5, 4, "private_law", "open", math.nan, da=True),
        child(6, 5, "public_law", "disposed", 7.0, warm_up=True),  # excluded: started in warm-up
        child(7, 6, "public_law", "disposed", 14.0, open_caseload=True),  # excluded: declared open case
        child(8, 7, "public_law", "diverted", math.nan),
    ]
    frame = pd.DataFrame(rows)
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


def value(frame: pd.DataFrame, indicator: str, breakdown: str = "all", group: str = "all") -> float:
    hit = frame[(frame.indicator == indicator) & (frame.breakdown == breakdown) & (frame.group == group)]
    assert len(hit) == 1, (indicator, breakdown, group, hit)
    return float(hit["value"].iloc[0])


def test_indicators_are_tidy_long_rows(children, timeline) -> None:
    result = metrics.indicators(children, timeline)
    assert list(result.columns) == ["replication", "indicator", "breakdown", "group", "value"]
    assert set(result["replication"]) == {0}
    assert not result.duplicated(["replication", "indicator", "breakdown", "group"]).any()


def test_time_to_disposal_counts_each_disposed_results_child(children, timeline) -> None:
    result = metrics.indicators(children, timeline)
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
    assert not ((result.breakdown == "pathway") & (result.group == "private_law")).any()  # nobody disposed


def test_volumes_exclude_warm_up_and_open_caseload(children, timeline) -> None:
    result = metrics.indicators(children, timeline)
    assert value(result, "cases_started_count") == 5
    assert value(result, "children_started_count") == 6
    assert value(result, "child_cases_started_count") == 6
    assert value(result, "cases_started_count", "case_type", "public_law") == 3


def test_delay_attribution_is_mean_weeks_per_disposed_child(children, timeline) -> None:
    result = metrics.indicators(children, timeline)
    assert value(result, "waiting_weeks_mean", "agency", "court") == pytest.approx(0.5)  # 2 weeks / 4 children
    assert value(result, "active_weeks_mean", "agency", "cafcass") == pytest.approx(1.0)
    assert value(result, "waiting_weeks_mean", "agency", "experts") == 0


def test_end_state_from_last_snapshot_summed_over_regions(children, timeline) -> None:
    result = metrics.indicators(children, timeline)
    assert value(result, "open_cases_at_end_count", "case_type", "public_law") == 6  # 2 + 4
    assert value(result, "open_cases_at_end_count", "case_type", "private_law") == 60
    assert value(result, "open_cases_at_end_count") == 66
    assert value(result, "open_children_at_end_count") == 30
    assert value(result, "cafcass_unallocated_at_end_count", "team", "short_term") == 8  # (2 + 1) + (4 + 1)
    assert value(result, "cafcass_unallocated_at_end_count", "team", "long_term") == 0


def test_indicators_are_computed_per_replication(children, timeline) -> None:
    second = children.copy()
    second["replication"] = 1
    second["days_to_disposal"] = second["days_to_disposal"] * 2
    result = metrics.indicators(pd.concat([children, second], ignore_index=True))
    assert value(result[result.replication == 0], "time_to_disposal_weeks_mean") == pytest.approx(17.5)
    assert value(result[result.replication == 1], "time_to_disposal_weeks_mean") == pytest.approx(35.0)


def test_no_disposals_gives_missing_times_and_zero_count(children) -> None:
    none = children[children.status != "disposed"]
    result = metrics.indicators(none)
    assert math.isnan(value(result, "time_to_disposal_weeks_mean"))
    assert value(result, "children_disposed_count") == 0


def test_summary_mean_t_interval_and_sd() -> None:
    per_rep = pd.DataFrame(
        {
            "replication": [0, 1, 2, 0],
            "indicator": ["x_weeks", "x_weeks", "x_weeks", "y_count"],
            "breakdown": ["all"] * 4,
            "group": ["all"] * 4,
            "value": [1.0, 2.0, 3.0, 7.0],
        }
    )
    summary = metrics.summarise(per_rep)
    assert list(summary.columns) == metrics.SUMMARY_COLUMNS
    x = summary.iloc[0]
    half = 4.302652729911275 / math.sqrt(3)  # t(0.975, 2) * sd / sqrt(n), sd = 1
    assert (x["mean"], x["sd"], x["replications"]) == (2.0, 1.0, 3)
    assert x["ci95_low"] == pytest.approx(2 - half) and x["ci95_high"] == pytest.approx(2 + half)
    y = summary.iloc[1]
    assert y["mean"] == 7.0 and y["replications"] == 1
    assert math.isnan(y["ci95_low"]) and math.isnan(y["ci95_high"]) and math.isnan(y["sd"])


def test_summary_skips_missing_values() -> None:
    mean, low, high, sd, n = metrics.t_interval(np.array([4.0, math.nan, 6.0]))
    assert (mean, n) == (5.0, 2)
    assert sd == pytest.approx(math.sqrt(2))


def headline_frame(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "replication": range(len(values)),
            "indicator": "time_to_disposal_weeks_mean",
            "breakdown": "all",
            "group": "all",
            "value": values,
        }
    )


def test_half_width_share_of_headline_indicators() -> None:
    frame = headline_frame([9.0, 10.0, 11.0])
    assert metrics.half_width_share(frame, [("time_to_disposal_weeks_mean", "all", "all")]) == pytest.approx(
        4.302652729911275 / math.sqrt(3) / 10
    )
    assert metrics.half_width_share(frame.iloc[:1]) == math.inf


def test_sequential_stop_needs_confirmation() -> None:
    steady = headline_frame([10.0, 10.1, 9.9, 10.0, 10.05, 9.95, 10.0, 10.0])
    assert sequential_stop(steady, 5.0, minimum=3, confirm=2) == 3
    assert sequential_stop(steady.iloc[:4], 5.0, minimum=3, confirm=2) is None  # not yet confirmed
    noisy = headline_frame([1.0, 30.0, 5.0, 20.0])
    assert sequential_stop(noisy, 5.0, minimum=3, confirm=1) is None
