"""The model measured as figures are published (sim.analysis.trajectory), on made-up children worked out by hand,
and the published trajectory read as data (sim.experiment.trajectory)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd
import pytest

from sim import api
from sim.analysis.drift import DRIFT_INDICATORS
from sim.analysis.run_reading import labels
from sim.analysis.statistics import natural_bounds
from sim.analysis.trajectory import MEASURES, measure
from sim.experiment.trajectory import FIT_UNTIL, period_bounds, published_trajectory
from sim.experiment.validation import published_figures
from tests.made_up import child_rows

d = dt.date
SMALL = Path(__file__).parent / "scenarios" / "small.yaml"


def _children() -> pd.DataFrame:
    public = {"case_type": "public_law", "pathway": "public_law"}
    return child_rows(
        [
            # case 0: public law, 120 days (17.1 weeks), disposed in Q2 2023, 3 hearings
            {"case_id": 0, **public, "start_date": d(2023, 1, 10), "end_date": d(2023, 5, 10), "hearings": 3},
            # case 1: public law, two siblings, 272 days (38.9 weeks), disposed on the last day of Q2 2023
            {"case_id": 1, **public, "start_date": d(2022, 10, 1), "end_date": d(2023, 6, 30), "hearings": 5},
            {"case_id": 1, **public, "start_date": d(2022, 10, 1), "end_date": d(2023, 6, 30), "hearings": 5},
            # case 2: public law still open
            {"case_id": 2, **public, "status": "open", "start_date": d(2023, 2, 1)},
            # case 3: private law, 106 days, closed in Q2 2023
            {"case_id": 3, "start_date": d(2023, 3, 1), "end_date": d(2023, 6, 15)},
            # case 4: private law by the Pathfinder route, 122 days, closed in Q2 2023
            {"case_id": 4, "pathway": "pathfinder", "start_date": d(2022, 12, 1), "end_date": d(2023, 4, 2)},
            # case 5: public law diverted before court: never counted
            {
                "case_id": 5,
                **public,
                "status": "diverted",
                "start_date": d(2023, 3, 1),
                "end_date": d(2023, 3, 20),
                "days_in_proceedings": math.nan,
                "days_to_disposal": math.nan,
            },
            # case 6: public law issued on 31 March, disposed the day after Q2 2023 ends
            {"case_id": 6, **public, "start_date": d(2023, 3, 31), "end_date": d(2023, 7, 1), "hearings": 4},
        ]
    )


def _points(*rows: tuple[str, str]) -> pd.DataFrame:
    out = []
    for indicator, period in rows:
        start, end = period_bounds(period)
        out.append(
            {"indicator": indicator, "start": pd.Timestamp(start) if start else pd.NaT, "date": pd.Timestamp(end)}
        )
    return pd.DataFrame(out)


def _values(frame: pd.DataFrame) -> dict[tuple[str, str], float]:
    return {(r.indicator, r.date.date().isoformat()): r.model for r in frame.itertuples()}


def test_durations_are_over_cases_disposed_in_the_quarter_one_per_case() -> None:
    points = _points(
        ("public_law_mean_weeks", "2023Q2"),
        ("public_law_within_26_weeks_share", "2023Q2"),
        ("private_law_mean_weeks", "2023Q2"),
        ("public_law_hearings_per_case", "2023Q2"),
        ("public_law_mean_weeks", "2023Q1"),
    )
    values = _values(measure(_children(), None, points))
    # cases 0 and 1 (not 6, disposed on 1 July; case 1 once although it has two children)
    assert values["public_law_mean_weeks", "2023-06-30"] == pytest.approx((120 + 272) / 2 / 7)
    assert values["public_law_within_26_weeks_share", "2023-06-30"] == 0.5
    assert values["public_law_hearings_per_case", "2023-06-30"] == 4.0
    # both routes of private law: cases 3 and 4
    assert values["private_law_mean_weeks", "2023-06-30"] == pytest.approx((106 + 122) / 2 / 7)
    # nothing was disposed in Q1 2023
    assert math.isnan(values["public_law_mean_weeks", "2023-03-31"])


def test_private_law_first_disposal_is_the_reviewed_order_else_the_final_one() -> None:
    """FCSQ times private law twice: to the first disposal and to the final order. A case whose order at the DRA
    was reviewed counts for the first in the quarter of its first order, for the second in that of its closure."""
    children = child_rows(
        [
            # reviewed: first order after 100 days (10 April 2023, Q2), closed after 300 days (27 October, Q4)
            {"case_id": 0, "start_date": d(2023, 1, 1), "end_date": d(2023, 10, 28), "days_to_first_disposal": 100.0},
            # not reviewed: its one order, after 50 days in Q2, is both
            {"case_id": 1, "start_date": d(2023, 5, 1), "end_date": d(2023, 6, 20)},
            # reviewed and still open: its first order (60 days, Q2) counts; it has no final order yet
            {"case_id": 2, "status": "open", "start_date": d(2023, 4, 1), "days_to_first_disposal": 60.0},
        ]
    )
    points = _points(
        ("private_law_mean_weeks_to_first_disposal", "2023Q2"),
        ("private_law_mean_weeks", "2023Q2"),
        ("private_law_mean_weeks_to_first_disposal", "2023Q4"),
        ("private_law_mean_weeks", "2023Q4"),
    )
    values = _values(measure(children, None, points))
    assert values["private_law_mean_weeks_to_first_disposal", "2023-06-30"] == pytest.approx((100 + 50 + 60) / 3 / 7)
    assert values["private_law_mean_weeks", "2023-06-30"] == pytest.approx(50 / 7)
    assert math.isnan(values["private_law_mean_weeks_to_first_disposal", "2023-12-31"])
    assert values["private_law_mean_weeks", "2023-12-31"] == pytest.approx(300 / 7)


def test_outstanding_cases_are_issued_and_not_disposed_at_the_end_of_the_date() -> None:
    points = _points(
        ("public_law_outstanding_nao", "2023-03-31"),
        ("public_law_outstanding_hmcts", "2023-06-30"),
        ("public_and_private_law_outstanding_nao", "2023-03-31"),
        ("public_law_outstanding_change_on_year", "2023-06-30"),
        ("public_law_cases_started", "2023"),
        ("family_court_days_sat", "2023"),
    )
    values = _values(measure(_children(), None, points))
    # cases 0, 1, 2 and 6 (issued that day); the diverted case 5 never
    assert values["public_law_outstanding_nao", "2023-03-31"] == 4
    # case 1 was disposed on 30 June, so only 2 and 6 are open at its end
    assert values["public_law_outstanding_hmcts", "2023-06-30"] == 2
    # and the private law cases 3 and 4
    assert values["public_and_private_law_outstanding_nao", "2023-03-31"] == 6
    assert values["public_law_outstanding_change_on_year", "2023-06-30"] == 2 - 0
    assert values["public_law_cases_started", "2023-12-31"] == 3  # cases 0, 2 and 6
    assert math.isnan(values["family_court_days_sat", "2023-12-31"])  # an input: not measured


def test_outstanding_cases_are_counted_at_the_date_itself_and_queues_at_the_snapshot_of_its_end() -> None:
    """Open cases are counted from the cases at the end of the date, whatever the snapshots say: a weekly snapshot
    can be six days early, and in the Christmas recess a week adds hundreds of open cases. A Cafcass queue, which
    only the timeline knows, is read at the snapshot taken at the next midnight (the state at the date's end)."""
    children = pd.concat([_children(), _children().assign(replication=1)], ignore_index=True)
    timeline = pd.DataFrame(
        [
            (replication, snapshot, measure_name, region, value * (1 + replication))
            for replication in (0, 1)
            for measure_name in ("open_cases:public_law", "unallocated:cafcass_short_term")
            for snapshot, values in ((d(2023, 3, 26), (3, 4)), (d(2023, 4, 1), (10, 10)), (d(2023, 4, 2), (50, 50)))
            for region, value in zip(("north", "wales"), values, strict=True)
        ],
        columns=["replication", "date", "measure", "region", "value"],
    )
    points = _points(("public_law_outstanding_nao", "2023-03-31"))
    frame = measure(children, timeline, points)
    assert list(frame.columns) == ["replication", "date", "indicator", "model"]
    # cases 0, 1, 2 and 6 (issued that day), in both replications: not the snapshots' 7, 20 or 100
    assert frame.set_index("replication")["model"].to_dict() == {0: 4, 1: 4}
    frame = measure(children, timeline, _points(("cafcass_short_term_unallocated", "2023-03-31")))
    # the snapshot dated 1 April, taken at the midnight that ends 31 March, summed over regions
    assert frame.set_index("replication")["model"].to_dict() == {0: 20, 1: 40}
    early = measure(children, timeline, _points(("cafcass_short_term_unallocated", "2023-03-01")))
    assert early["model"].isna().all()  # no snapshot yet


def test_the_count_of_open_cases_is_the_models_own_count_at_the_end_of_each_day() -> None:
    """Every case is in the children table: counted from it at the end of each day, open cases are the model's
    running count at the next midnight, but for the cases closed at that midnight (a hearing day's orders, recorded
    on the day after), which may be counted either way."""
    small = api.with_changes(api.load(SMALL), {"monitor_interval_days": 1})
    run = api.run(small, replications=1, workers=1)
    days = pd.date_range(small.scenario.start_date, periods=364)
    for case_type in ("public_law", "private_law"):
        points = pd.DataFrame({"indicator": f"{case_type}_outstanding_nao", "start": pd.NaT, "date": days})
        counted = measure(run.children, run.timeline, points)["model"].to_numpy()
        snapshots = run.timeline[run.timeline["measure"].astype(str) == f"open_cases:{case_type}"]
        running = snapshots.groupby(pd.to_datetime(snapshots["date"]))["value"].sum()
        at_next_midnight = running.reindex(days + pd.Timedelta(days=1)).to_numpy()
        cases = run.children[run.children["case_type"] == case_type].drop_duplicates("case_id")
        ends = pd.to_datetime(cases.loc[cases["status"] == "disposed", "end_date"]).value_counts()
        closed_at_midnight = ends.reindex(days + pd.Timedelta(days=1), fill_value=0).to_numpy()
        assert counted.max() > 10, case_type
        assert (counted >= at_next_midnight).all(), case_type
        assert (counted <= at_next_midnight + closed_at_midnight).all(), case_type


def test_a_point_of_one_region_counts_only_that_regions_cases_and_snapshots() -> None:
    """``NAME[region=REGION]`` reads the same measure over one region: the published regional spread (Wales 24
    weeks, London 53) is read as the national figure is."""
    public = {"case_type": "public_law", "pathway": "public_law"}
    wales = child_rows(
        [
            # case 10: public law in Wales, 70 days (10 weeks), disposed in Q2 2023
            {"case_id": 10, **public, "region": "wales", "start_date": d(2023, 3, 1), "end_date": d(2023, 5, 10)},
            # case 11: public law in Wales, still open
            {"case_id": 11, **public, "region": "wales", "status": "open", "start_date": d(2023, 2, 1)},
        ]
    )
    children = pd.concat([_children(), wales], ignore_index=True)
    points = _points(
        ("public_law_mean_weeks[region=wales]", "2023Q2"),
        ("public_law_mean_weeks[region=north]", "2023Q2"),
        ("public_law_mean_weeks", "2023Q2"),
        ("public_law_outstanding_nao[region=wales]", "2023-03-31"),
        ("public_law_within_26_weeks_share[region=north]", "2023Q2"),
        ("public_law_mean_weeks[region=scotland]", "2023Q2"),
    )
    values = _values(measure(children, None, points))
    assert values["public_law_mean_weeks[region=wales]", "2023-06-30"] == pytest.approx(10)
    # the north's cases 0 and 1, as in the national test above; nationally, Wales's case 10 as well
    assert values["public_law_mean_weeks[region=north]", "2023-06-30"] == pytest.approx((120 + 272) / 2 / 7)
    assert values["public_law_mean_weeks", "2023-06-30"] == pytest.approx((120 + 272 + 70) / 3 / 7)
    assert values["public_law_outstanding_nao[region=wales]", "2023-03-31"] == 2  # cases 10 and 11
    assert values["public_law_within_26_weeks_share[region=north]", "2023-06-30"] == 0.5
    assert math.isnan(values["public_law_mean_weeks[region=scotland]", "2023-06-30"])  # no such cases
    # a stock only the timeline knows comes from that region's snapshots
    timeline = pd.DataFrame(
        [
            (0, d(2023, 3, 26), "unallocated:cafcass_short_term", "north", 3),
            (0, d(2023, 3, 26), "unallocated:cafcass_short_term", "wales", 4),
        ],
        columns=["replication", "date", "measure", "region", "value"],
    )
    stock = measure(children, timeline, _points(("cafcass_short_term_unallocated[region=wales]", "2023-03-31")))
    assert stock["model"].tolist() == [4]
    assert natural_bounds("public_law_within_26_weeks_share[region=wales]") == (0.0, 1.0)


def test_every_published_point_has_a_period_and_only_points_up_to_2023_are_fitted() -> None:
    points = published_trajectory()
    assert set(points["fitted"]) == {True, False}
    assert (points["fitted"] == (points["date"] <= pd.Timestamp(FIT_UNTIL))).all()
    assert ((points["start"].isna()) | (points["start"] <= points["date"])).all()
    # the NAO and HMCTS bases are separate indicators, never one series
    bases = points[points["indicator"].str.contains("outstanding")].groupby("indicator")["basis"].unique()
    assert all(len(b) == 1 for b in bases)
    measured = set(points.loc[points["measured"], "indicator"])
    # every measure serves the trajectory, the validation's published figures or the drift test
    assert measured | {figure.indicator for figure in published_figures()} | set(DRIFT_INDICATORS) == set(MEASURES)
    q = period_bounds("2019/20")
    assert q == (d(2019, 4, 1), d(2020, 3, 31))


def test_the_validations_measures_median_siblings_long_waits_cafcass_time_and_caseloads() -> None:
    """The measures the validation's published figures need, worked out by hand on made-up cases."""
    public = {"case_type": "public_law", "pathway": "public_law"}
    children = child_rows(
        [
            # case 0: two siblings, open since 1 January 2022 (over a year by March 2023)
            {"case_id": 0, **public, "status": "open", "start_date": d(2022, 1, 1)},
            {"case_id": 0, **public, "status": "open", "start_date": d(2022, 1, 1)},
            # case 1: two siblings, open from 1 June 2023
            {"case_id": 1, **public, "status": "open", "start_date": d(2023, 6, 1)},
            {"case_id": 1, **public, "status": "open", "start_date": d(2023, 6, 1)},
            # cases 2-4: disposed in 2023 after 70, 140 and 350 days, 14 of them waiting for a guardian
            {"case_id": 2, **public, "start_date": d(2023, 1, 1), "end_date": d(2023, 3, 12), "wait_cafcass_days": 14},
            {"case_id": 3, **public, "start_date": d(2023, 1, 1), "end_date": d(2023, 5, 21), "wait_cafcass_days": 14},
            {"case_id": 4, **public, "start_date": d(2023, 1, 1), "end_date": d(2023, 12, 17), "wait_cafcass_days": 14},
        ]
    )
    points = _points(
        ("public_law_median_weeks", "2023"),
        ("cafcass_s31_involvement_weeks", "2023"),
        ("public_law_children_per_case", "2022"),
        ("public_law_children_per_case", "2023"),
        ("public_law_children_waiting_over_a_year_share", "2023-03-31"),
        ("public_law_children_waiting_over_a_year_share", "2023-12-31"),
    )
    values = _values(measure(children, None, points))
    assert values["public_law_median_weeks", "2023-12-31"] == 20  # 140 days of 70, 140 and 350
    assert values["cafcass_s31_involvement_weeks", "2023-12-31"] == pytest.approx((70 + 140 + 350) / 3 / 7 - 2)
    assert values["public_law_children_per_case", "2022-12-31"] == 2  # case 0 only
    assert values["public_law_children_per_case", "2023-12-31"] == pytest.approx(
        5 / 4
    )  # cases 1 (2 children), 2, 3 and 4
    # 31 March 2023: cases 0 (2 children, over a year), 3 and 4 open (2 was disposed) -> 2 of 4 children
    assert values["public_law_children_waiting_over_a_year_share", "2023-03-31"] == pytest.approx(2 / 4)
    # 31 December 2023: cases 0 and 1 open -> 2 of 4 children
    assert values["public_law_children_waiting_over_a_year_share", "2023-12-31"] == pytest.approx(2 / 4)
    # Cafcass publishes its average caseload for England: the work its advisers hold over their number, so the
    # regions count by their advisers and Wales (Cafcass Cymru) not at all.
    per_worker, workers = "caseload_per_worker:cafcass_long_term", "workers:cafcass_long_term"
    rows = [
        (d(2023, 11, 26), "north", 30.0, 10),
        (d(2023, 12, 3), "north", 16.0, 10),
        (d(2023, 12, 3), "south", 10.0, 30),
        (d(2023, 12, 3), "wales", 20.0, 5),
        (d(2024, 1, 7), "north", 24.0, 10),
        (d(2024, 1, 7), "south", 12.0, 30),
    ]
    timeline = pd.DataFrame(
        [(0, day, per_worker, region, held) for day, region, held, _ in rows]
        + [(0, day, workers, region, float(n)) for day, region, _, n in rows],
        columns=["replication", "date", "measure", "region", "value"],
    )
    caseload = pd.DataFrame(
        {
            "indicator": ["cafcass_long_term_caseload_per_worker"],
            "start": [pd.Timestamp("2023-12-01")],
            "date": [pd.Timestamp("2024-01-31")],
        }
    )
    # the snapshots from December to January (not November's): (160 + 300) / 40 and (240 + 360) / 40
    assert measure(children, timeline, caseload)["model"].tolist() == [pytest.approx((11.5 + 15) / 2)]
    assert math.isnan(measure(children, None, caseload)["model"].iloc[0])  # needs the timeline
    # a caseload published for a month (Cafcass: 21.7 in spring 2022) is a stock: the month's last snapshot
    month = _points(("cafcass_long_term_caseload", "2023-12"))
    assert measure(children, timeline, month)["model"].tolist() == [pytest.approx(11.5)]
    # a run written before the timeline recorded workers: each snapshot's plain mean over England's regions
    older = timeline[timeline["measure"] == per_worker]
    assert measure(children, older, caseload)["model"].tolist() == [pytest.approx((13 + 18) / 2)]
    assert measure(children, older, month)["model"].tolist() == [pytest.approx(13)]


def test_cafcass_open_cases_and_children_are_its_teams_work_outside_wales_at_the_snapshot_ending_the_date() -> None:
    """Cafcass publishes its open cases (and the children in them) for England only; in Wales Cafcass Cymru serves.
    Both of Cafcass's teams count, the local authorities' do not, and the state at the end of 31 March is the
    snapshot dated 1 April."""
    timeline = pd.DataFrame(
        [
            (0, day, f"{what}_open:{kind}", region, value * (2 if what == "children" else 1))
            for what in ("work", "children")
            for day, kind, region, value in (
                (d(2024, 3, 25), "cafcass_short_term", "north", 50),
                (d(2024, 4, 1), "cafcass_short_term", "north", 100),
                (d(2024, 4, 1), "cafcass_long_term", "north", 300),
                (d(2024, 4, 1), "cafcass_short_term", "wales", 40),
                (d(2024, 4, 1), "cafcass_long_term", "wales", 70),
                (d(2024, 4, 1), "local_authority", "north", 900),
                (d(2024, 4, 8), "cafcass_long_term", "north", 5000),
            )
        ],
        columns=["replication", "date", "measure", "region", "value"],
    )
    points = _points(("cafcass_open_cases", "2024-03"), ("cafcass_open_children", "2024-03"))
    assert measure(_children(), timeline, points)["model"].tolist() == [400.0, 800.0]
    assert measure(_children(), None, points)["model"].isna().all()  # needs the timeline


def test_a_runs_cafcass_open_cases_are_its_guardians_and_advisers_work() -> None:
    """On a real run: at the end, Cafcass's open cases outside Wales are the work its teams hold or have waiting,
    counted as work arrives and is given back, and the children in them are at least as many."""
    run = api.run(api.load(SMALL), replications=1, workers=1)
    end = pd.to_datetime(run.timeline["date"]).max() - pd.Timedelta(days=1)
    day = end.date().isoformat()
    values = measure(run.children, run.timeline, _points(("cafcass_open_cases", day), ("cafcass_open_children", day)))
    cases, children = values["model"].tolist()
    at_end = run.timeline[pd.to_datetime(run.timeline["date"]) == end + pd.Timedelta(days=1)]
    at_end = at_end[at_end["region"].astype(str) != "wales"]
    held = at_end[at_end["measure"].astype(str).isin(["work_open:cafcass_short_term", "work_open:cafcass_long_term"])]
    assert 0 < cases == held["value"].sum() <= children
    unallocated = at_end[at_end["measure"].astype(str).str.startswith("unallocated:cafcass")]["value"].sum()
    assert cases >= unallocated  # waiting work is open with Cafcass too
    # the timeline records each team's advisers, which weight the regions in Cafcass's average caseload
    advisers = at_end[at_end["measure"].astype(str) == "workers:cafcass_long_term"]
    expected = {
        name: r.cafcass.long_term_advisers for name, r in api.load(SMALL).scenario.regions.items() if name != "wales"
    }
    assert dict(zip(advisers["region"].astype(str), advisers["value"], strict=True)) == expected


def test_the_timeline_ends_with_a_snapshot_of_the_runs_end() -> None:
    """The last snapshot is taken at the midnight that ends the run, whatever the interval: 'open at the end' is
    the end's count (every case the run leaves open), not a week before it."""
    small = api.with_changes(api.load(SMALL), {"monitor_interval_days": 10})  # 365 days is no multiple of 10
    run = api.run(small, replications=1, workers=1)
    dates = pd.to_datetime(run.timeline["date"])
    assert dates.max() == pd.Timestamp(small.scenario.start_date) + pd.Timedelta(days=365)
    last = run.timeline[dates == dates.max()]
    cases = run.children.drop_duplicates("case_id")
    left_open = cases[(cases["status"] == "open") & cases["days_in_proceedings"].notna()]
    for case_type in ("public_law", "private_law", "domestic_abuse"):
        counted = last.loc[last["measure"].astype(str) == f"open_cases:{case_type}", "value"].sum()
        assert counted == (left_open["case_type"] == case_type).sum() > 0, case_type


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(["public_law", "private_law", "public_law"], dtype="category"),
        pd.Series(["wales", None, "london"], dtype="category"),  # a missing label reads as astype(str) reads it
        pd.Series(["wales", "london", "wales"]),
    ],
)
def test_a_label_column_reads_as_strings_whatever_its_type(column: pd.Series) -> None:
    """The per-case frame's case types and regions (``labels``) are the strings ``astype(str)`` gives, but a
    categorical column's are taken from its categories rather than made one per row."""
    assert labels(column).tolist() == column.astype(str).tolist()
