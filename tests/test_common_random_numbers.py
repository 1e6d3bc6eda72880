"""Common random numbers by entity and decision: an option changes only the draws it touches.

Every draw a case makes is keyed to the case (its serial among its case type's arrivals, or among the open
cases of the starting state) and to the decision, so two runs of tests/scenarios/small.yaml that differ in
one option can be compared case by case. Cases are matched by (case type, origin, serial): the serial is the
case's place in arrival order among the cases of its type and origin, which the tables give.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import SMALL, RunResult, run_replication, scenario_data

SECOND = pd.Timedelta(seconds=1)
CASE_COLUMNS = ["region", "local_authority", "court_centre", "domestic_abuse", "pathway", "arrival_date"]
WORK_STAGES = {"safeguarding_checks", "section7_report", "child_impact_report", "gatekeeping", "second_gatekeeping"}
"""Private law stages whose length is a drawn duration (the time from the worker's start to the end)."""


def with_open_cases(data: dict) -> dict:
    """small.yaml with a few open cases of each type at the start, so their keys are checked too."""
    data["starting_state"]["open_cases"] = {
        "private_law": {"by_stage": {"first_hearing": 6, "section7_report": 4}, "age_days": 60},
        "public_law": {"by_stage": {"case_management_hearing": 5}, "age_days": 40},
    }
    return data


def cases(run: RunResult) -> pd.DataFrame:
    """One row per first-time case (returns to court left out), indexed by (case type, open caseload, serial),
    with its children's count and ages in child order."""
    children = run.children[~run.children.is_return].sort_values(["case_id", "child_id"])
    grouped = children.groupby("case_id", sort=False)
    table = grouped.first()
    table["children"] = grouped.size()
    table["ages"] = grouped.age_at_start_years.agg(tuple)
    table = table.reset_index().sort_values(["case_type", "from_open_caseload", "arrival_date", "case_id"])
    table["serial"] = table.groupby(["case_type", "from_open_caseload"]).cumcount()
    return table.set_index(["case_type", "from_open_caseload", "serial"])


def work_durations(run: RunResult, table: pd.DataFrame) -> pd.Series:
    """Drawn durations of private law work stages, by (origin, serial, stage) of the case (``table``: ``cases``)."""
    key = {case_id: (origin, serial) for (_, origin, serial), case_id in table.case_id.items()}
    stages = run.stages[run.stages.stage.isin(WORK_STAGES) & run.stages.case_id.isin(key)]
    index = [(*key[case_id], stage) for case_id, stage in zip(stages.case_id, stages.stage, strict=True)]
    return pd.Series((stages.ended - stages.started).to_numpy(), index=pd.MultiIndex.from_tuples(index))


@pytest.fixture(scope="module")
def demand_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, RunResult]:
    base = with_open_cases(scenario_data(SMALL))
    more_care = with_open_cases(scenario_data(SMALL))
    more_care["demand"]["public_law"]["cases_per_year"] *= 1.5
    root = tmp_path_factory.mktemp("demand")
    # stored as simulated, so the drawn durations compare to the second (stored times are floored to the hour)
    return run_replication(base, root / "base", exact=True), run_replication(more_care, root / "more_care", exact=True)


def test_more_public_law_demand_leaves_every_private_law_case_as_it_was(
    demand_pair: tuple[RunResult, RunResult],
) -> None:
    base, more_care = demand_pair
    a, b = cases(base), cases(more_care)
    assert len(b.loc["public_law"]) > 1.3 * len(a.loc["public_law"])  # the option did change public law
    for case_type in ("private_law", "domestic_abuse"):
        mine_a, mine_b = a.loc[case_type], b.loc[case_type]
        assert len(mine_a) > 100 and mine_a.index.equals(mine_b.index), case_type
        assert mine_a.index.get_level_values("from_open_caseload").any() or case_type == "domestic_abuse"
        columns = [*CASE_COLUMNS, "children", "ages"]
        pd.testing.assert_frame_equal(mine_a[columns], mine_b[columns], obj=case_type)
    # the same private law cases draw the same durations for the work both runs did
    work_a = work_durations(base, a.loc[["private_law"]])
    work_b = work_durations(more_care, b.loc[["private_law"]])
    both = work_a.index.intersection(work_b.index)
    assert len(both) > 200
    assert ((work_a[both] - work_b[both]).abs() <= SECOND).all()
    # and the same outcome where neither run's parties withdrew while waiting for a listing
    outcomes = pd.DataFrame({"a": a.loc["private_law"].outcome, "b": b.loc["private_law"].outcome}).dropna()
    drawn = outcomes[(outcomes.a != "withdrawn") & (outcomes.b != "withdrawn")]
    assert len(drawn) > 200 and (drawn.a == drawn.b).all()


@pytest.fixture(scope="module")
def court_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, RunResult, pd.Timestamp]:
    base = scenario_data(SMALL)
    fewer_hours = scenario_data(SMALL)
    date = "2024-06-17"  # mid-month, mid-run
    fewer_hours["policies"] = [
        {"name": "fewer sitting hours", "date": date, "scale": {"regions.*.court.sitting_hours_per_day.*": 0.7}}
    ]
    root = tmp_path_factory.mktemp("court")
    return run_replication(base, root / "base"), run_replication(fewer_hours, root / "fewer"), pd.Timestamp(date)


def test_a_court_policy_from_a_date_leaves_every_journey_before_it_as_it_was(
    court_pair: tuple[RunResult, RunResult, pd.Timestamp],
) -> None:
    base, fewer, date = court_pair
    ended_before = [run.children[pd.to_datetime(run.children.end_date) < date] for run in (base, fewer)]
    assert len(ended_before[0]) > 100
    pd.testing.assert_frame_equal(*(t.reset_index(drop=True) for t in ended_before))
    stages_before = [run.stages[run.stages.ended < date].sort_values(["case_id", "requested"]) for run in (base, fewer)]
    assert len(stages_before[0]) > 500
    pd.testing.assert_frame_equal(*(t.reset_index(drop=True) for t in stages_before))
    # after the date the journeys part, but a case disposed on the same day in both runs has the same order
    a, b = cases(base), cases(fewer)
    both = a.merge(b, left_index=True, right_index=True, suffixes=("", "_b"))
    same_day = both[(both.status == "disposed") & (both.status_b == "disposed") & (both.end_date == both.end_date_b)]
    after = same_day[pd.to_datetime(same_day.end_date) >= date]
    assert len(after) > 30
    assert (same_day.outcome == same_day.outcome_b).all()
    assert (both.local_authority == both.local_authority_b).all() and (both.children == both.children_b).all()


# --- the keyed draws themselves -------------------------------------------------------------------------------


def test_a_cases_draws_depend_only_on_its_key_and_purpose_not_on_what_was_drawn_before() -> None:
    from sim.model.random_streams import ARRIVED, OPEN_CASELOAD, PURPOSE, RandomStreams

    hours = PURPOSE["hearing.duration_hours"]
    alone = RandomStreams(7, 0).draws(ARRIVED, 1, 300)
    crowded = RandomStreams(7, 0)
    for serial in range(300):  # other cases, of this type and others, drawn first and drawn from
        crowded.draws(ARRIVED, 0, serial).uniform(hours)
        crowded.draws(ARRIVED, 1, serial).chance("private_law.section7.share", 0.5)
    busy = crowded.draws(ARRIVED, 1, 300)
    busy.chance("private_law.resolved_at_dra_share", 0.5)  # another purpose of the same case first
    first = [alone.uniform(hours) for _ in range(20)]  # past its 8 places on the tape, then its own generator
    assert [busy.uniform(hours) for _ in range(20)] == first
    assert len(set(first)) == 20
    again = RandomStreams(7, 0).draws(ARRIVED, 1, 300)
    assert [again.listing() for _ in range(12)] == [alone.listing() for _ in range(12)]
    others = [RandomStreams(7, 0).draws(*key).uniform(hours) for key in ((ARRIVED, 1, 301), (OPEN_CASELOAD, 1, 300))]
    assert first[0] not in others and RandomStreams(7, 1).draws(ARRIVED, 1, 300).uniform(hours) != first[0]
    returned = RandomStreams(7, 0).draws(ARRIVED, 1, 300).returned()
    assert returned.key[-1] == 1 and returned.uniform(hours) == RandomStreams(7, 0).draws(
        ARRIVED, 1, 300
    ).returned().uniform(hours)
    assert returned.tape != alone.tape


def test_a_decision_that_changes_no_journey_changes_no_result(tmp_path) -> None:
    """The first-disposal share only marks when another application in a private law case was disposed of: its
    draw sits after every other place on the case's tape (random_streams.DECISIONS_ADDED_LATER), so with no share
    and with a large one every stage and every child's row is the same, bar the first disposal itself."""
    none, most = scenario_data(SMALL), scenario_data(SMALL)
    none["private_law"]["first_disposal_at_first_hearing_share"] = 0.0
    most["private_law"]["first_disposal_at_first_hearing_share"] = 0.9
    a, b = run_replication(none, tmp_path / "none"), run_replication(most, tmp_path / "most")
    pd.testing.assert_frame_equal(a.stages, b.stages)
    rest = [c for c in a.children.columns if c != "days_to_first_disposal"]
    pd.testing.assert_frame_equal(a.children[rest], b.children[rest])
    first = b.children.drop_duplicates("case_id")
    private = first[(first.case_type.astype(str) == "private_law") & (first.status.astype(str) == "disposed")]
    earlier = private.days_to_first_disposal < private.days_to_disposal
    assert earlier.sum() > 30 and set(private[earlier].pathway.astype(str)) == {"private_law"}  # not Pathfinder's
    assert (a.children.days_to_first_disposal.fillna(-1) == a.children.days_to_disposal.fillna(-1)).all()
