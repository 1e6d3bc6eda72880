"""Per-operation benchmarks of the model's inner loop (issue 14, item 5): each operation repeated, medians reported.

    pip install -e ".[dev]"       # pytest-benchmark
    python -m pytest -n0 benchmarks/ --benchmark-only --benchmark-disable-gc --benchmark-columns=median,iqr,rounds

Kept out of the default test run (``testpaths = ["tests"]``). The garbage collector is off during a model run, so it
is off here too (``--benchmark-disable-gc``); otherwise a collection lands in some rounds. Each benchmark times a
batch of one operation on a state like a national run's, from the code the model runs:

- diary booking: 200 hearings booked on a crowded listing diary (weeks of full days past the notice), then
  vacated, so the diary is as crowded for the next round;
- caseload allocation: 1,000 pieces of work asking a team of 100 slots, then released (900 wait and are
  allocated first come, first served), with and without a stretched caseload's timers;
- record writing: 1,000 closed cases (1.5 children and 3.3 stages each) appended to the records, and a chunk of
  10,000 cases written to Parquet;
- whole-day wake-ups: 10,000 hearings waking on 250 sitting days, on SimPy's environment and on the model's.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from pathlib import Path

import pytest
import simpy

from sim.model import engine
from sim.model.agencies.caseload import CaseloadTeam
from sim.model.agencies.court import Calendar, ListingDiary
from sim.model.entities import Case, Child
from sim.model.monitor import measure_names
from sim.model.random_streams import ARRIVED, RandomStreams
from sim.model.records import Labels, Recorder
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Courts
from sim.vocabulary import AGENCIES, STAGES, STATUS_DISPOSED

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
MONDAY = dt.date(2024, 1, 1)


# --- diary booking --------------------------------------------------------------------------------------------


def crowded_diary() -> tuple[ListingDiary, list[tuple[int, float, int]]]:
    """A district judge's diary of 7.4 hours a day, booked ahead for about three months, and 200 requests with
    notice ending within its first two months: hearing lengths and ranks as the baseline's."""
    courts = Courts.model_validate(
        {
            "tiers": ["district_judge"],
            "sitting_weekdays": [0, 1, 2, 3, 4],
            "recess": [{"name": "summer", "start": "08-01", "end": "08-31", "sitting_share": 0.7}],
            "listing": {
                "rank_by_class": {
                    "domestic_abuse": 0,
                    "public_law": 1,
                    "private_law_with_domestic_abuse": 2,
                    "private_law": 2,
                },
                "booking_limit_share_by_rank": [1.0, 0.95, 0.9],
                "release_days": 14,
            },
            "vacate_probability": 0.08,
            "adjourn_probability": 0.1,
            "relist_notice_days": 21,
        }
    )
    diary = ListingDiary(Calendar(courts, MONDAY, 800), 7.4, [1.0, 0.95, 0.9], 14)
    rng = random.Random(14)
    for _ in range(1_100):  # about 90 days of 7.4 hours, booked from the first weeks
        diary.book(rng.randint(0, 60), rng.triangular(0.5, 4, 1.5), rng.choice([0, 1, 2, 2]), 0)
    requests = [(rng.randint(0, 60), rng.triangular(0.5, 4, 1.5), rng.choice([0, 1, 2, 2])) for _ in range(200)]
    return diary, requests


def test_diary_booking(benchmark) -> None:
    diary, requests = crowded_diary()

    def book_then_vacate() -> list[int]:
        days = [diary.book(earliest, hours, rank, 0) for earliest, hours, rank in requests]
        for day, (_, hours, _) in zip(days, requests, strict=True):
            diary.release(day, hours)
        return days

    days = benchmark(book_then_vacate)
    assert min(d - e for d, (e, _, _) in zip(days, requests, strict=True)) >= 0


# --- caseload allocation --------------------------------------------------------------------------------------


def allocate_and_release(stretch_max: float, delay_days: float) -> Callable[[], int]:
    def run() -> int:
        env = engine.Environment()
        team = CaseloadTeam(env, "team", 5, 20, stretch_max, delay_days)  # 100 slots
        waiting = [team.request() for _ in range(1_000)]
        for _ in range(1_000):
            team.release() if team.busy else None
        return sum(1 for event in waiting if event is not None)

    return run


@pytest.mark.parametrize(("stretch_max", "delay_days"), [(1.0, 0.0), (1.3, 14.0)], ids=["average", "stretched"])
def test_caseload_allocation(benchmark, stretch_max: float, delay_days: float) -> None:
    assert benchmark(allocate_and_release(stretch_max, delay_days)) == 900


# --- record writing -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Recorder, list[Case]]:
    scenario = load_scenario(SMALL).scenario
    outcomes = scenario.outcome_names()
    labels = Labels(scenario, outcomes, measure_names(list(scenario.courts.tiers)))
    recorder = Recorder(tmp_path_factory.mktemp("records"), scenario, labels, 0, open_case_ids=())  # no warm-up
    rng = random.Random(14)
    streams = RandomStreams(14, 0)
    cases = []
    for i in range(1_000):
        children = [Child(2 * i + j, -rng.uniform(0, 6000), ()) for j in range(1 + (i % 2))]
        draws = streams.draws(ARRIVED, i % 3, i)
        case = Case(i, i % 3, i % 2, rng.randrange(20), bool(i % 2), children, rng.uniform(0, 900), i % 4, draws)
        case.issue_day = case.arrival_day + rng.uniform(0, 90)
        case.first_hearing_day = case.issue_day + rng.uniform(5, 60)
        for agency in range(len(AGENCIES)):
            case.add_agency_days(agency, rng.uniform(0, 100), rng.uniform(0, 100))
        case.hearings, case.outcome = 4, i % len(outcomes)
        cases.append(case)
    return recorder, cases


def test_record_writing_rows(benchmark, recording: tuple[Recorder, list[Case]]) -> None:
    recorder, cases = recording

    def close_cases() -> None:
        for case in cases:
            for stage in range(3):
                recorder.stage(case.case_id, stage % len(STAGES), 0, 10.0, 12.5, 40.25, 1.0)
            recorder.case_closed(case, STATUS_DISPOSED, case.issue_day + 200.0)
        recorder._cases = type(recorder._cases)("d")  # forget them: each round appends to empty buffers
        recorder._kids = type(recorder._kids)("d")
        recorder.stages.rows = recorder._stage_rows = type(recorder._cases)("d")

    benchmark(close_cases)


def test_record_writing_a_chunk_to_parquet(benchmark, recording: tuple[Recorder, list[Case]]) -> None:
    recorder, cases = recording

    fills = []

    def fill() -> tuple[tuple, dict]:
        fills.append(None)
        for _ in range(10):
            for case in cases:
                recorder.case_closed(case, STATUS_DISPOSED, case.issue_day + 200.0)
        return (), {}

    benchmark.pedantic(recorder._flush_children, setup=fill, rounds=10)  # one round under --benchmark-disable
    assert recorder.children.rows_written >= len(fills) * 10 * sum(len(case.children) for case in cases)


# --- whole-day wake-ups ---------------------------------------------------------------------------------------


def hearing_wake_ups(make_env: Callable[[], simpy.Environment]) -> Callable[[], float]:
    rng = random.Random(14)
    requested = sorted(rng.uniform(0, 300) for _ in range(10_000))
    heard = [math.ceil(t) + rng.randint(7, 120) for t in requested]

    def run() -> float:
        env = make_env()
        woken = []

        def ask(event: simpy.Event, day: int) -> None:
            env.timeout(day + 1 - env.now).callbacks.append(woken.append)

        for t, day in zip(requested, heard, strict=True):
            env.timeout(t).callbacks.append(lambda event, day=day: ask(event, day))
        env.run(until=500)
        return env.now

    return run


@pytest.mark.parametrize("make_env", [simpy.Environment, engine.Environment], ids=["simpy", "model"])
def test_whole_day_wake_ups(benchmark, make_env: Callable[[], simpy.Environment]) -> None:
    assert benchmark(hearing_wake_ups(make_env)) == 500
