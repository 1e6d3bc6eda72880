"""What a replication does, read from the tables it writes (children, stages, timeline).

Most tests start from tests/scenarios/one_region.yaml, where every duration is fixed, capacity is ample,
nothing is vacated or adjourned and every branch has probability 0 or 1, so a case's journey can be worked
out by hand from its own arrival time; each test changes one thing. The others use tests/scenarios/small.yaml,
which has everything switched on (vacated and adjourned hearings, recess, pre-proceedings diversions,
Pathfinder in Wales, returns to court).

Day 0 is Monday 1 January 2024 (the start date; no warm-up unless a test adds one). A hearing listed on day d
occupies that sitting day, and the case moves on at the start of day d + 1.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ONE_REGION, ROOT, SMALL, RunResult, run_replication, scenario_data

from sim.model.agencies.court_capacity import expected_hearings
from sim.model.columns import STORED_DAY_ERROR_DAYS, STORED_TIME_STEP_DAYS
from sim.scenario.loading import scenario_from_dict

START = dt.date(2024, 1, 1)
DAY = pd.Timedelta(days=1)
SECOND = 1 / 86_400
"""Journeys worked out by hand are checked to the second, on tables stored as simulated (``exact=True``: stored,
times are floored to the hour, which would move the ceiling of a request in the first hour of a day a day back)."""


def date_of(day: float) -> dt.date:
    return START + dt.timedelta(days=math.floor(day))


def sitting_day_on_or_after(day: int) -> int:
    """Monday to Friday (one_region.yaml sits on weekdays, with no recess)."""
    while date_of(day).weekday() >= 5:
        day += 1
    return day


def listed(requested: float, notice: float) -> int:
    """The day a hearing is listed with ample capacity: the first sitting day on or after request + notice."""
    return sitting_day_on_or_after(math.ceil(requested + notice))


def stages_of(result: RunResult, case_id: int) -> pd.DataFrame:
    rows = result.stages[result.stages.case_id == case_id].copy()
    for column in ("requested", "started", "ended"):
        rows[column + "_day"] = [result.day(t) for t in rows[column]]
    return rows.sort_values(["requested", "ended"], kind="stable").reset_index(drop=True)


def one_region(**demand: float) -> dict:
    data = scenario_data(ONE_REGION)
    for case_type, cases_per_year in demand.items():
        data["demand"][case_type]["cases_per_year"] = cases_per_year
    return data


def wait_days(stages: pd.DataFrame, stage: str) -> pd.Series:
    rows = stages[stages.stage == stage]
    return (rows.started - rows.requested) / DAY


# --- journeys worked out by hand ----------------------------------------------------------------------------


def test_domestic_abuse_case_journeys_match_a_hand_calculation(tmp_path: Path) -> None:
    """FL401 → without-notice hearing (notice 0: the same or next sitting day) → return hearing 14 days on → order.

    For a case arriving at time a: issued at a; without-notice hearing on d1 = first weekday on or after ceil(a);
    return hearing requested at d1 + 1 and listed on d2 = first weekday on or after d1 + 15; disposed at d2 + 1.
    """
    result = run_replication(one_region(domestic_abuse=60), tmp_path, exact=True)
    children = result.children.set_index("case_id")
    disposed = children[children.status == "disposed"]
    assert len(disposed) > 40
    weekend_arrivals = 0
    for case_id, child in disposed.iterrows():
        stages = stages_of(result, case_id)
        assert list(stages.stage) == ["without_notice_hearing", "return_hearing"]
        a = stages.requested_day[0]
        d1 = listed(a, 0)
        d2 = listed(d1 + 1, 14)
        assert stages.started_day.tolist() == [d1, d2]
        assert stages.ended_day.tolist() == [d1 + 1, d2 + 1]
        assert stages.requested_day[1] == d1 + 1
        assert child.arrival_date == child.start_date == date_of(a)  # issued on arrival
        assert child.end_date == date_of(d2 + 1)
        assert child.days_to_first_hearing == pytest.approx(d1 - a, abs=SECOND)
        assert child.days_to_disposal == pytest.approx(d2 + 1 - a, abs=SECOND)
        assert child.wait_court_days == pytest.approx((d1 - a) + (d2 - d1 - 1), abs=SECOND)
        assert child.active_court_days == 2.0
        assert child.hearings == 2 and child.adjournments == 0 and child.vacated == 0
        assert child.outcome == "non_molestation_order"
        weekend_arrivals += date_of(a).weekday() >= 4  # Friday to Sunday: the next weekday is Monday
    assert weekend_arrivals > 0  # so weekends were really skipped in some of the cases above


def test_a_friday_without_notice_application_is_heard_on_monday(tmp_path: Path) -> None:
    result = run_replication(one_region(domestic_abuse=200), tmp_path)
    without_notice = result.stages[result.stages.stage == "without_notice_hearing"]
    friday = without_notice[[t.weekday() == 4 for t in without_notice.requested]]
    assert len(friday) > 0
    for requested, started in zip(friday.requested, friday.started, strict=True):
        assert started.weekday() == 0 and (started.normalize() - requested.normalize()) == 3 * DAY


def test_a_public_law_case_with_fixed_durations_matches_a_hand_calculation(tmp_path: Path) -> None:
    """Pre-proceedings 30 days → issue → guardian at once → CMH (notice 12) → assessment 56 days → IRH (notice 21)
    → not resolved → final hearing (notice 28) → care order."""
    result = run_replication(one_region(public_law=60), tmp_path, exact=True)
    children = result.children.set_index("case_id")
    disposed = children[children.status == "disposed"]
    assert len(disposed) > 15
    for case_id, child in disposed.iterrows():
        s = stages_of(result, case_id)
        assert list(s.stage) == [
            "pre_proceedings",
            "guardian_allocation",
            "case_management_hearing",
            "assessment",
            "issues_resolution_hearing",
            "final_hearing",
        ]
        assert list(s.agency) == ["local_authority", "cafcass", "court", "local_authority", "court", "court"]
        arrival = s.requested_day[0]
        issue = arrival + 30
        cmh = listed(issue, 12)
        assessed = cmh + 1 + 56
        irh = listed(assessed, 21)
        final = listed(irh + 1, 28)
        assert s.ended_day[0] == pytest.approx(issue, abs=SECOND)
        assert s.requested_day[1] == s.started_day[1] == s.ended_day[1] == s.ended_day[0]  # guardian at once
        assert s.started_day[2:].tolist() == [cmh, cmh + 1, irh, final]
        assert s.ended_day[2:].tolist() == [cmh + 1, assessed, irh + 1, final + 1]
        assert child.arrival_date == date_of(arrival)
        assert child.start_date == date_of(issue)  # proceedings start at issue
        assert child.end_date == date_of(final + 1)
        assert child.pre_proceedings_days == pytest.approx(30)
        assert child.days_to_disposal == pytest.approx(final + 1 - issue, abs=SECOND)
        assert child.days_to_first_hearing == pytest.approx(cmh - issue, abs=SECOND)
        assert child.active_local_authority_days == pytest.approx(56)
        assert child.active_court_days == pytest.approx(3)
        assert child.wait_court_days == pytest.approx((cmh - issue) + (irh - assessed) + (final - irh - 1), abs=SECOND)
        assert child.wait_cafcass_days == child.active_cafcass_days == child.wait_local_authority_days == 0
        assert child.hearings == 3 and child.outcome == "care_order"


def test_an_adjourned_hearing_is_relisted_after_the_relisting_notice(tmp_path: Path) -> None:
    """Return hearings only (no without-notice hearing), half of all hearings adjourned on the day.

    A hearing is first listed on d = first weekday on or after request + 14; each adjournment relists it on the
    first weekday on or after d + 1 + 21 (relist_notice_days); the case ends the day after the hearing that
    goes ahead.
    """
    data = one_region(domestic_abuse=120)
    data["domestic_abuse"]["without_notice_share"] = 0.0
    data["courts"]["adjourn_probability"] = 0.5
    result = run_replication(data, tmp_path, exact=True)
    disposed = result.children[result.children.status == "disposed"].set_index("case_id")
    assert disposed.adjournments.max() >= 2 and (disposed.adjournments == 0).sum() > 10
    for case_id, child in disposed.iterrows():
        [stage] = stages_of(result, case_id).itertuples()
        day = listed(stage.requested_day, 14)
        first = day
        for _ in range(child.adjournments):
            day = listed(day + 1, 21)
        assert stage.started_day == day and stage.ended_day == day + 1
        assert child.hearings == child.adjournments + 1
        assert child.days_to_first_hearing == pytest.approx(first - stage.requested_day, abs=SECOND)
        assert child.days_to_disposal == pytest.approx(day + 1 - stage.requested_day, abs=SECOND)
        assert child.active_court_days == 1.0  # the hearing that went ahead; adjourned days count as waiting


def test_no_hearing_is_listed_in_a_recess_with_no_sitting(tmp_path: Path) -> None:
    data = one_region(domestic_abuse=300)
    data["courts"]["recess"] = [{"name": "closed", "start": "03-01", "end": "03-31", "sitting_share": 0.0}]
    stages = run_replication(data, tmp_path).stages
    heard = stages.started.dt.normalize()
    assert not heard.between(pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-31")).any()
    assert (heard == pd.Timestamp("2024-04-01")).sum() > 10  # a Monday: March's hearings wait for it
    assert (heard.dt.day_of_week < 5).all()


def test_every_hearing_that_goes_ahead_or_is_adjourned_is_counted(small_run: RunResult) -> None:
    """hearings = hearing stages completed + adjournments, for every disposed case (small.yaml adjourns and
    vacates hearings; a vacated hearing never sits, so it is not counted)."""
    hearing_stages = small_run.stages[small_run.stages.stage.astype(str).str.endswith("hearing")]
    completed = hearing_stages.groupby("case_id").size()
    disposed = small_run.children[small_run.children.status == "disposed"].drop_duplicates("case_id")
    disposed = disposed.set_index("case_id")
    assert disposed.adjournments.sum() > 10 and disposed.vacated.sum() > 10
    expected = completed.reindex(disposed.index, fill_value=0) + disposed.adjournments
    assert (disposed.hearings == expected).all()


def test_care_cases_have_the_hearings_per_case_their_parameters_imply(tmp_path: Path) -> None:
    """expected_hearings (the urgent hearing's share, the mean counts of further hearings, the contested share
    and the adjournments) against the hearings counted in a run: new care cases of the first year, all disposed
    within two years with ample capacity, at the baseline's values."""
    data = one_region(public_law=500)
    assert expected_hearings(scenario_from_dict(data).scenario) == 3.0  # CMH, IRH, final hearing: nothing added
    data["run_years"] = 2
    data["courts"]["adjourn_probability"] = 0.1
    published = scenario_data(ROOT / "scenarios" / "baseline.yaml")["public_law"]
    law = data["public_law"]
    law["pre_proceedings"]["share"] = 0.0
    law["resolved_at_irh_share"] = 0.4
    law["urgent_hearing"]["share"] = published["urgent_hearing"]["share"]
    for key in ("further_case_management", "contested_further_hearings"):
        law[key]["count_shares"] = published[key]["count_shares"]
    expected = expected_hearings(scenario_from_dict(data).scenario)
    assert expected == pytest.approx((0.68 + 1 + 2.3 + 1 + 0.6 * (0.7 + 1)) / 0.9)

    result = run_replication(data, tmp_path)
    cases = result.children.drop_duplicates("case_id")
    first_year = cases[pd.to_datetime(cases.arrival_date) < pd.Timestamp("2025-01-01")]
    assert len(first_year) > 400 and (first_year.status == "disposed").all()
    hearings = first_year.hearings.astype(float)
    standard_error = hearings.std() / math.sqrt(len(hearings))
    assert abs(hearings.mean() - expected) < 3 * standard_error
    stages = result.stages[result.stages.case_id.isin(first_year.case_id)].stage.astype(str)
    urgent_share = (stages == "urgent_hearing").sum() / len(first_year)
    assert urgent_share == pytest.approx(0.68, abs=0.07)
    assert (stages == "further_case_management_hearing").sum() / len(first_year) == pytest.approx(2.3, abs=0.15)


def test_pre_proceedings_can_divert_a_case_before_issue(tmp_path: Path) -> None:
    data = one_region(public_law=40)
    data["public_law"]["pre_proceedings"]["diverted_share"] = 1.0
    result = run_replication(data, tmp_path)
    assert (result.children.status.isin(["diverted", "open"])).all()
    diverted = result.children[result.children.status == "diverted"]
    assert len(diverted) > 20 and result.stats.cases_diverted == len(diverted)
    assert diverted.days_in_proceedings.isna().all() and diverted.days_to_disposal.isna().all()
    assert (diverted.start_date == diverted.arrival_date).all()  # never issued: starts when it arrived
    assert ((pd.to_datetime(diverted.end_date) - pd.to_datetime(diverted.arrival_date)) / DAY).between(29, 31).all()
    assert set(result.stages.stage) == {"pre_proceedings"}


# --- accounting ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    return run_replication(scenario_data(SMALL), tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="module")
def small_open_run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """small.yaml started from a declared open caseload rather than empty."""
    data = scenario_data(SMALL)
    data["run_years"] = 0.5
    data["starting_state"] = {
        "warm_up_days": 0,
        "open_cases": {
            "public_law": {
                "by_stage": {
                    "case_management_hearing": 10,
                    "assessment": 30,
                    "issues_resolution_hearing": 15,
                    "final_hearing": 15,
                },
                "age_days": {"dist": "uniform", "low": 10, "high": 300},
            },
            "private_law": {
                "by_stage": {
                    "safeguarding_checks": 10,
                    "first_hearing": 20,
                    "section7_report": 30,
                    "dispute_resolution_hearing": 10,
                    "final_hearing": 20,
                },
                "age_days": {"dist": "uniform", "low": 10, "high": 400},
            },
            "domestic_abuse": {"by_stage": {"return_hearing": 10}, "age_days": 10},
        },
    }
    return run_replication(data, tmp_path_factory.mktemp("small_open"))


@pytest.mark.parametrize("which", ["small_run", "small_open_run"])
def test_stages_after_issue_run_back_to_back(which: str, request: pytest.FixtureRequest) -> None:
    result: RunResult = request.getfixturevalue(which)
    stages = result.stages.sort_values(["case_id", "requested", "ended"], kind="stable")
    stages = stages[stages.stage != "review"]  # Pathfinder's review follows the order, outside proceedings
    same_case = stages.case_id.eq(stages.case_id.shift())
    gaps = (stages.requested - stages.ended.shift())[same_case]
    assert len(gaps) > 500
    assert (gaps == pd.Timedelta(0)).all()  # each stage is requested the moment the previous one ends
    assert (stages.requested <= stages.started).all() and (stages.started <= stages.ended).all()


@pytest.mark.parametrize("which", ["small_run", "small_open_run"])
def test_disposed_cases_end_when_their_last_stage_ends(which: str, request: pytest.FixtureRequest) -> None:
    result: RunResult = request.getfixturevalue(which)
    stages = result.stages[result.stages.stage != "review"]
    last_end = stages.groupby("case_id").ended.max()
    disposed = result.children[result.children.status == "disposed"].drop_duplicates("case_id").set_index("case_id")
    assert len(disposed) > 100
    ends = pd.to_datetime(disposed.end_date)
    assert (last_end.reindex(disposed.index).dt.normalize() == ends).all()
    review = result.stages[result.stages.stage == "review"].set_index("case_id")
    if len(review):  # the review starts at the order
        assert (review.requested.dt.normalize() == pd.to_datetime(disposed.end_date.reindex(review.index))).all()


@pytest.mark.parametrize("which", ["small_run", "small_open_run"])
def test_waiting_and_active_days_add_up_to_days_in_proceedings(which: str, request: pytest.FixtureRequest) -> None:
    result: RunResult = request.getfixturevalue(which)
    children = result.children
    agency_days = children.filter(regex=r"^(wait|active)_.*_days$")
    assert agency_days.shape[1] == 8
    total = agency_days.sum(axis=1)
    issued = children.days_in_proceedings.notna()
    disposed = children.status == "disposed"
    still_open = children.status == "open"
    carried_in = children.from_open_caseload
    assert (disposed & ~carried_in).sum() > 100 and (still_open & issued & ~carried_in).sum() > 50
    # cases that arrived during the run: every day from issue to disposal (or to the end of the run) is
    # spent waiting for or worked on by some agency
    new = issued & ~carried_in
    stored = 9 * STORED_DAY_ERROR_DAYS  # eight parts and the whole, each stored to the hour
    np.testing.assert_allclose(total[new], children.days_in_proceedings[new], atol=stored)
    # cases from the open caseload: the account starts at the start date, after days_before_run in proceedings
    if carried_in.any():
        assert (disposed & carried_in).sum() > 20 and (still_open & carried_in).sum() > 20
        expected = children.days_in_proceedings[carried_in] - children.days_before_run[carried_in]
        np.testing.assert_allclose(total[carried_in], expected, atol=stored + STORED_DAY_ERROR_DAYS)
        assert (children.days_before_run[carried_in] > 0).all()
    assert (children.days_before_run[~carried_in] == 0).all()
    assert (agency_days >= -1e-9).all().all()
    np.testing.assert_allclose(children.days_to_disposal[disposed], children.days_in_proceedings[disposed])
    assert children.days_to_disposal[~disposed].isna().all()


def test_the_stage_table_accounts_for_each_childs_days(small_run: RunResult) -> None:
    """Summing a disposed case's stages after issue gives the same days as the children table: to the storage's
    resolution, as stages run back to back and the floored times of one stage's end and the next's request cancel."""
    stages = small_run.stages[~small_run.stages.stage.isin(["review", "pre_proceedings"])]
    by_case = ((stages.ended - stages.requested) / DAY).groupby(stages.case_id).sum()
    disposed = small_run.children[small_run.children.status == "disposed"].drop_duplicates("case_id")
    np.testing.assert_allclose(
        by_case.reindex(disposed.case_id).to_numpy(),
        disposed.days_in_proceedings.to_numpy(),
        atol=STORED_TIME_STEP_DAYS + STORED_DAY_ERROR_DAYS,
    )


def test_every_child_created_is_in_the_children_table(small_run: RunResult) -> None:
    children, stats = small_run.children, small_run.stats
    assert children.child_id.nunique() == stats.children_created
    assert set(children.status.astype(str)) <= {"disposed", "diverted", "open"}
    assert children.status.notna().all()
    assert len(children) == sum(stats.child_rows.values())
    firsts = children[children.case_number == 1]  # a child's first case here: new, or a return from before the run
    assert len(firsts) == stats.children_created and firsts.child_id.is_unique
    assert (~firsts.is_return).sum() + stats.children_returning_from_before_start == stats.children_created
    cases = children.drop_duplicates("case_id")
    assert len(cases) == stats.cases_created
    assert (cases.status == "disposed").sum() == stats.cases_disposed
    assert (cases.status == "diverted").sum() == stats.cases_diverted
    assert (cases.status == "open").sum() == stats.cases_open_at_end


def test_siblings_share_a_case_and_its_days(small_run: RunResult) -> None:
    per_case = small_run.children.groupby("case_id")
    assert (per_case.size() > 1).any()
    for column in ("status", "start_date", "end_date", "days_in_proceedings", "wait_court_days", "outcome", "region"):
        assert (per_case[column].nunique(dropna=False) == 1).all(), column


# --- listing priority and caseload limits -------------------------------------------------------------------


def congested_court(rank_by_class: dict[str, int]) -> dict:
    """Domestic-abuse return hearings and private law first hearings, 1 hour each with 14 days' notice, share
    3.5 district judge hours a day: about 3.2 hours a day are asked for, so hearings queue."""
    data = one_region(domestic_abuse=400, private_law=400)
    data["domestic_abuse"]["without_notice_share"] = 0.0
    data["private_law"]["first_hearing"].update(tier="district_judge", notice_days=14)
    data["regions"]["only"]["court"]["sitting_hours_per_day"]["district_judge"] = 3.5
    data["courts"]["listing"].update(
        rank_by_class=rank_by_class, booking_limit_share_by_rank=[1.0, 0.9, 0.5], release_days=7
    )
    return data


def listing_delays(result: RunResult) -> dict[str, float]:
    """Mean days from the end of the notice period (14 days) to the hearing, by stage."""
    stages = result.stages[result.stages.stage.isin(["return_hearing", "first_hearing"])]
    delay = (stages.started - stages.requested) / DAY - 14
    return delay.groupby(stages.stage.astype(str)).mean().to_dict()


def test_with_a_congested_court_domestic_abuse_hearings_wait_less_than_private_law(tmp_path: Path) -> None:
    priority = {"domestic_abuse": 0, "public_law": 1, "private_law_with_domestic_abuse": 2, "private_law": 2}
    delays = listing_delays(run_replication(congested_court(priority), tmp_path / "priority"))
    assert delays["return_hearing"] < 3  # about the rounding to a sitting day
    assert delays["first_hearing"] > 20
    # the same court with the ranks the other way round: the order flips, so rank (not the case type) did it
    reverse = {"domestic_abuse": 2, "public_law": 1, "private_law_with_domestic_abuse": 0, "private_law": 0}
    flipped = listing_delays(run_replication(congested_court(reverse), tmp_path / "reverse"))
    assert flipped["first_hearing"] < 3 and flipped["return_hearing"] > 20
    # and with one rank for all, they wait about as long as each other
    same = {"domestic_abuse": 0, "public_law": 0, "private_law_with_domestic_abuse": 0, "private_law": 0}
    level = listing_delays(run_replication(congested_court(same), tmp_path / "same"))
    assert abs(level["first_hearing"] - level["return_hearing"]) < 2


def test_a_hearing_ranked_on_its_own_is_listed_ahead_of_its_case_class(tmp_path: Path) -> None:
    """Domestic abuse and private law share the lowest class rank, but the FHDRA is ranked on its own at the
    top: private law first hearings now go first, and the domestic-abuse return hearings queue."""
    same = {"domestic_abuse": 2, "public_law": 1, "private_law_with_domestic_abuse": 2, "private_law": 2}
    data = congested_court(same)
    data["courts"]["listing"]["rank_by_hearing"] = {"private_law.first_hearing": 0}
    delays = listing_delays(run_replication(data, tmp_path))
    assert delays["first_hearing"] < 3
    assert delays["return_hearing"] > 20


def guardians_scenario(long_term_advisers: float) -> dict:
    data = one_region(public_law=150)
    data["public_law"]["pre_proceedings"]["share"] = 0.0  # straight to issue
    data["regions"]["only"]["cafcass"]["long_term_advisers"] = long_term_advisers
    return data


def unallocated(result: RunResult, kind: str = "cafcass_long_term") -> pd.Series:
    timeline = result.timeline[result.timeline.measure == f"unallocated:{kind}"]
    return timeline.set_index(pd.to_datetime(timeline.date)).value


def test_too_few_guardians_make_an_unallocated_queue_and_public_law_cases_wait(tmp_path: Path) -> None:
    """A guardian is held for the life of a care case (about 4 months here); 150 cases a year need about 50 at
    once. One adviser with a caseload limit of 10 holds 10, so the rest wait unallocated, first come first served."""
    scarce = run_replication(guardians_scenario(1.0), tmp_path / "scarce")
    ample = run_replication(guardians_scenario(100.0), tmp_path / "ample")
    assert (wait_days(ample.stages, "guardian_allocation") == 0).all()
    assert unallocated(ample).max() == 0
    waits = wait_days(scarce.stages, "guardian_allocation")
    assert waits.mean() > 30 and (waits > 0).mean() > 0.5  # all but the first 10 wait
    assert unallocated(scarce).iloc[-1] > 20  # the queue keeps growing
    # a guardian waits on Cafcass, and so the child's days waiting on Cafcass are exactly the allocation waits
    disposed = scarce.children[scarce.children.status == "disposed"].set_index("case_id")
    by_case = waits.groupby(scarce.stages.loc[waits.index, "case_id"]).sum()
    stored = STORED_TIME_STEP_DAYS + STORED_DAY_ERROR_DAYS  # a wait from two floored times; the sum to the hour
    np.testing.assert_allclose(disposed.wait_cafcass_days, by_case.reindex(disposed.index), atol=stored)
    # allocation is first come first served: later issue never means earlier allocation
    allocations = scarce.stages[scarce.stages.stage == "guardian_allocation"].sort_values("requested")
    assert allocations.started.is_monotonic_increasing


def test_utilisation_of_a_full_team_is_one(tmp_path: Path) -> None:
    scarce = run_replication(guardians_scenario(1.0), tmp_path)
    timeline = scarce.timeline[scarce.timeline.measure == "utilisation:cafcass_long_term"]
    later = timeline[pd.to_datetime(timeline.date) > pd.Timestamp("2024-04-01")]
    assert len(later) > 20 and np.allclose(later.value, 1.0)


# --- returns to court ---------------------------------------------------------------------------------------


def test_returning_children_keep_their_identifier(tmp_path: Path) -> None:
    data = one_region(domestic_abuse=60)
    data["recurrence"] = {
        "domestic_abuse": {"non_molestation_order": {"share": 1.0, "case_type": "domestic_abuse", "delay_days": 30}}
    }
    result = run_replication(data, tmp_path)
    children = result.children
    returns = children[children.is_return]
    assert len(returns) > 30 and result.stats.returns_started == returns.case_id.nunique()
    assert (children.is_return == (children.case_number > 1)).all()
    assert children.case_id.is_unique  # one child per case here, and every return is a new case
    for child_id, rows in children.sort_values("case_number").groupby("child_id"):
        assert rows.case_number.tolist() == list(range(1, len(rows) + 1)), child_id
        assert rows.age_at_start_years.is_monotonic_increasing
        ends = pd.to_datetime(rows.end_date).iloc[:-1].to_numpy()
        arrivals = pd.to_datetime(rows.arrival_date).iloc[1:].to_numpy()
        gaps = (arrivals - ends) / np.timedelta64(1, "D")
        assert ((gaps >= 29) & (gaps <= 30)).all(), child_id  # back 30 days after the order (dates are floored)
    assert (children.case_number == 2).sum() > 30
    assert (children[children.case_number == 2].is_return).all()


def test_returning_siblings_return_together_in_one_new_case(small_data: dict, tmp_path: Path) -> None:
    small_data["recurrence"]["private_law"]["child_arrangements_order"].update(share=1.0, delay_days=20)
    small_data["starting_state"]["returns_before_start"] = False  # every return then comes from a case of the run
    result = run_replication(small_data, tmp_path)
    returns = result.children[result.children.is_return]
    assert returns.child_id.nunique() > 50
    first_cases = result.children[~result.children.is_return].set_index("child_id").case_id
    for _, rows in returns.groupby("case_id"):
        assert first_cases.reindex(rows.child_id).nunique() == 1  # all from one earlier case
        assert (rows.case_type == "private_law").all()


# --- policies take effect at their date ---------------------------------------------------------------------

JULY = "2024-07-01"


def policy(**changes: dict) -> dict:
    return {"name": "p", "date": JULY, **changes}


def test_no_arrivals_after_a_policy_sets_demand_to_zero(tmp_path: Path) -> None:
    data = one_region(domestic_abuse=300)
    data["policies"] = [policy(set={"demand.domestic_abuse.cases_per_year": 0})]
    arrivals = pd.to_datetime(run_replication(data, tmp_path).children.arrival_date)
    assert arrivals.max() < pd.Timestamp(JULY)
    assert (arrivals >= pd.Timestamp("2024-06-01")).sum() > 10  # cases kept coming until the date


def test_a_policy_scaling_demand_scales_arrivals_from_its_date(tmp_path: Path) -> None:
    data = one_region(domestic_abuse=400)
    data["policies"] = [policy(scale={"demand.domestic_abuse.cases_per_year": 3})]
    arrivals = pd.to_datetime(run_replication(data, tmp_path).children.arrival_date)
    before = (arrivals < pd.Timestamp(JULY)).sum() / 182
    after = (arrivals >= pd.Timestamp(JULY)).sum() / 184
    assert 2.5 < after / before < 3.5  # Poisson counts of about 200 and 600: sd of the ratio about 0.25


def test_more_cafcass_advisers_from_a_date_clear_the_unallocated_queue(tmp_path: Path) -> None:
    without = run_replication(guardians_scenario(1.0), tmp_path / "without")
    data = guardians_scenario(1.0)
    data["policies"] = [policy(scale={"regions.only.cafcass.long_term_advisers": 20})]
    with_policy = run_replication(data, tmp_path / "with")
    a, b = unallocated(without), unallocated(with_policy)
    before = a.index < pd.Timestamp(JULY)
    pd.testing.assert_series_equal(a[before], b[before])  # common random numbers: identical until the date
    assert a[before].iloc[-1] > 10
    assert (b[~before] == 0).all()  # 200 slots: the waiting cases are allocated at once
    assert (a[~before] > 0).all()
    waits_after = wait_days(with_policy.stages, "guardian_allocation")[
        with_policy.stages.requested >= pd.Timestamp(JULY)
    ]
    assert len(waits_after) > 50 and (waits_after == 0).all()


@pytest.mark.parametrize("how", ["in the base scenario", "by a policy"])
def test_private_law_cases_follow_pathfinder_from_the_date_it_is_switched_on(how: str, tmp_path: Path) -> None:
    data = one_region(private_law=300)
    if how == "in the base scenario":
        data["regions"]["only"]["pathfinder_from"] = JULY
    else:
        data["policies"] = [policy(set={"regions.only.pathfinder_from": JULY})]
    result = run_replication(data, tmp_path)
    children = result.children
    after = pd.to_datetime(children.arrival_date) >= pd.Timestamp(JULY)
    assert after.sum() > 50 and (~after).sum() > 50
    assert (children.pathway[after] == "pathfinder").all()
    assert (children.pathway[~after] == "private_law").all()
    assert (children.case_type == "private_law").all()  # Pathfinder is a route for private law, not a case type
    pathfinder_cases = set(children.case_id[after])
    stages = result.stages
    assert set(stages.stage[stages.case_id.isin(pathfinder_cases)]) <= {
        "gatekeeping",
        "domestic_abuse_referral",
        "child_impact_report",
        "second_gatekeeping",
        "fact_finding_hearing",
        "decision_hearing",
        "review",
    }
    assert "first_hearing" not in set(stages.stage[stages.case_id.isin(pathfinder_cases)])


def test_a_pathfinder_case_matches_a_hand_calculation(tmp_path: Path) -> None:
    """Gatekeeping 5 days → Child Impact Report by Cafcass, 56 days → second gatekeeping, 3 days → resolved on
    the papers → review 90 days."""
    data = one_region(private_law=30)
    data["regions"]["only"]["pathfinder_from"] = "2023-01-01"
    result = run_replication(data, tmp_path)
    disposed = result.children[result.children.status == "disposed"].set_index("case_id")
    assert len(disposed) > 15
    for case_id, child in disposed.iterrows():
        s = stages_of(result, case_id)
        assert list(s.stage) == ["gatekeeping", "child_impact_report", "second_gatekeeping", "review"]
        arrival = s.requested_day[0]
        assert child.days_to_disposal == pytest.approx(5 + 56 + 3, abs=SECOND)
        assert math.isnan(child.days_to_first_hearing) and child.hearings == 0
        assert child.active_court_days == pytest.approx(5 + 3) and child.active_cafcass_days == pytest.approx(56)
        assert s.ended_day[3] == pytest.approx(arrival + 64 + 90, abs=SECOND)


def test_a_pathfinder_case_with_abuse_alleged_matches_a_hand_calculation(tmp_path: Path) -> None:
    """Gatekeeping 5 → referral to domestic-abuse support 2 → report 56 → second gatekeeping 3 → fact-finding
    hearing (notice 42) → decision-making hearing (notice 35) → order; the review is not drawn."""
    data = one_region(private_law=30)
    data["regions"]["only"]["pathfinder_from"] = "2023-01-01"
    data["children"]["domestic_abuse_share"]["private_law"] = 1.0
    data["pathfinder"]["resolved_on_papers_share"] = 0.0
    data["pathfinder"]["review_share"] = 0.0
    result = run_replication(data, tmp_path, exact=True)
    disposed = result.children[result.children.status == "disposed"].set_index("case_id")
    assert len(disposed) > 10
    for case_id, child in disposed.iterrows():
        s = stages_of(result, case_id)
        assert list(s.stage) == [
            "gatekeeping",
            "domestic_abuse_referral",
            "child_impact_report",
            "second_gatekeeping",
            "fact_finding_hearing",
            "decision_hearing",
        ]
        arrival = s.requested_day[0]
        fact_finding = listed(arrival + 5 + 2 + 56 + 3, 42)
        decision = listed(fact_finding + 1, 35)
        assert s.started_day[4] == fact_finding and s.started_day[5] == decision
        assert child.days_to_disposal == pytest.approx(decision + 1 - arrival, abs=SECOND)
        assert child.hearings == 2


def test_a_policy_changing_sitting_weekdays_takes_effect_at_its_date(tmp_path: Path) -> None:
    data = one_region(domestic_abuse=300)
    data["policies"] = [policy(set={"courts.sitting_weekdays": [0, 1, 2, 3, 4, 5, 6]})]
    stages = run_replication(data, tmp_path).stages
    hearing_days = stages.started[stages.started >= pd.Timestamp(JULY)]
    assert (hearing_days.dt.day_of_week >= 5).any()  # weekend sittings after the date


# --- reproducibility ----------------------------------------------------------------------------------------


def test_the_same_seed_gives_identical_tables(small_run: RunResult, tmp_path: Path) -> None:
    again = run_replication(scenario_data(SMALL), tmp_path)
    for table in ("children", "stages", "timeline"):
        pd.testing.assert_frame_equal(getattr(small_run, table), getattr(again, table))
    assert again.stats.children_created == small_run.stats.children_created


def test_a_different_seed_or_replication_gives_different_tables(small_run: RunResult, tmp_path: Path) -> None:
    other_seed = run_replication(scenario_data(SMALL), tmp_path / "seed", seed=12345)
    other_replication = run_replication(scenario_data(SMALL), tmp_path / "rep", replication=1)
    for other in (other_seed, other_replication):
        assert not small_run.children.equals(other.children)
        assert not small_run.stages.equals(other.stages)
        first_arrivals = small_run.children.arrival_date.head(20).tolist()
        assert first_arrivals != other.children.arrival_date.head(20).tolist()
    assert (other_replication.children.replication == 1).all()


def test_a_capacity_change_keeps_the_same_cases_common_random_numbers(tmp_path: Path) -> None:
    base = run_replication(guardians_scenario(1.0), tmp_path / "a")
    more = run_replication(guardians_scenario(3.0), tmp_path / "b")
    columns = ["child_id", "case_id", "arrival_date", "age_at_start_years", "domestic_abuse"]
    pd.testing.assert_frame_equal(
        base.children.sort_values("case_id")[columns].reset_index(drop=True),
        more.children.sort_values("case_id")[columns].reset_index(drop=True),
    )


# --- starting state -----------------------------------------------------------------------------------------


def test_warm_up_rows_are_marked_and_dated_before_the_start(tmp_path: Path) -> None:
    data = scenario_data(SMALL)
    data["run_years"] = 0.5
    data["starting_state"]["warm_up_days"] = 120
    result = run_replication(data, tmp_path)
    children = result.children
    start = pd.Timestamp(data["start_date"])
    arrivals = pd.to_datetime(children.arrival_date)
    warm, results = children.warm_up, ~children.warm_up
    assert warm.sum() > 100 and results.sum() > 100
    assert (arrivals[warm] < start).all() and (arrivals[warm] >= start - 120 * DAY).all()
    assert (arrivals[results] >= start).all()
    ends = pd.to_datetime(children.end_date)
    assert (ends.dropna() < start + 184 * DAY).all()  # half a year after the start date, not after the warm-up
    assert pd.to_datetime(result.timeline.date).min() == start - 120 * DAY


def closed_before(children: pd.DataFrame, start: dt.date) -> pd.Series:
    """Rows of cases that ended before ``start`` (an end time before midnight of the start date)."""
    return (children.status.astype(str) != "open") & (pd.to_datetime(children.end_date) < pd.Timestamp(start))


@pytest.mark.interpreted_model
@pytest.mark.parametrize("chunk_rows", [None, 50])
def test_cases_closed_in_the_warm_up_are_counted_and_everything_else_is_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_rows: int | None
) -> None:
    """Against the same run storing every row: the default stores exactly the rows of cases open at some time in the
    results period, children and stages alike, and counts the rest; with small chunks, stage rows of closed cases
    are dropped as the warm-up goes (held rows are only those of open cases)."""
    data = scenario_data(SMALL)
    data["run_years"] = 0.5
    data["starting_state"]["warm_up_days"] = 120
    data["starting_state"]["keep_warm_up_rows"] = True
    stored = run_replication(data, tmp_path / "stored")
    if chunk_rows is not None:
        from functools import partial

        from sim.model import records

        monkeypatch.setattr(records, "TableSink", partial(records.TableSink, chunk_rows=chunk_rows))
    data["starting_state"]["keep_warm_up_rows"] = False
    counted = run_replication(data, tmp_path / "counted")

    gone = closed_before(stored.children, counted.start_date)
    assert gone.sum() > 100 and stored.children.warm_up.sum() > gone.sum()  # some warm-up cases outlive it
    kept = stored.children[~gone].reset_index(drop=True)
    pd.testing.assert_frame_equal(counted.children, kept)
    assert sum(counted.stats.warm_up_child_rows.values()) == gone.sum()
    assert counted.stats.cases_closed_in_warm_up == stored.children[gone].case_id.nunique()
    assert counted.stats.children_created == stored.stats.children_created
    for status, rows in stored.stats.child_rows.items():
        assert counted.stats.child_rows.get(status, 0) + counted.stats.warm_up_child_rows.get(status, 0) == rows

    stages = stored.stages[stored.stages.case_id.isin(counted.children.case_id)].reset_index(drop=True)
    pd.testing.assert_frame_equal(counted.stages, stages)
    assert counted.stats.warm_up_stage_rows == len(stored.stages) - len(stages) > 0
    assert stored.stats.warm_up_child_rows == {} and stored.stats.warm_up_stage_rows == 0


def test_an_open_caseload_starts_cases_at_their_declared_stages(tmp_path: Path) -> None:
    data = one_region()
    data["starting_state"] = {
        "open_cases": {
            "public_law": {"by_stage": {"case_management_hearing": 2, "final_hearing": 3}, "age_days": 100},
            "private_law": {"by_stage": {"first_hearing": 4, "section7_report": 1}, "age_days": 100},
            "domestic_abuse": {"by_stage": {"return_hearing": 2}, "age_days": 100},
        }
    }
    result = run_replication(data, tmp_path)
    children = result.children.set_index("case_id")
    assert len(children) == 12 and children.from_open_caseload.all() and not children.warm_up.any()
    assert (children.start_date == START - dt.timedelta(days=100)).all()
    assert (children.days_before_run == 100).all()
    assert (children.status == "disposed").all()
    first_stages = {case_id: list(stages_of(result, case_id).stage) for case_id in children.index}
    expected = {
        "public_law": [
            [
                "guardian_allocation",
                "case_management_hearing",
                "assessment",
                "issues_resolution_hearing",
                "final_hearing",
            ]
        ]
        * 2
        + [["guardian_allocation", "final_hearing"]] * 3,
        "private_law": [["first_hearing"]] * 4 + [["dispute_resolution_hearing"]],
        "domestic_abuse": [["return_hearing"]] * 2,
    }
    for case_type, journeys in expected.items():
        found = sorted(first_stages[c] for c in children.index[children.case_type == case_type])
        assert found == sorted(journeys), case_type
    # every journey starts at the start date, and the days already spent count towards time to disposal
    for case_id, child in children.iterrows():
        s = stages_of(result, case_id)
        assert s.requested_day[0] == 0
        assert child.days_to_disposal == pytest.approx(100 + s.ended_day.iloc[-1], abs=SECOND)
    da = children[children.case_type == "domestic_abuse"]
    assert (da.days_to_disposal == 100 + listed(0, 14) + 1).all()  # return hearing on Monday 15 January


def test_open_caseload_counts_show_on_the_timeline_from_the_first_day(small_open_run: RunResult) -> None:
    timeline = small_open_run.timeline
    first_day = timeline[pd.to_datetime(timeline.date) == pd.Timestamp(START)]
    open_public = first_day[first_day.measure == "open_cases:public_law"].value.sum()
    open_private = first_day[first_day.measure == "open_cases:private_law"].value.sum()
    assert open_public == 70 and open_private == 90
