"""The model's environment processes every event in the order SimPy does, while sharing whole-day wake-ups.

``sim.model.engine.Environment`` pops events in its own loop, builds timeouts itself and lets timeouts due at
the same whole-day time share one queued event. Results stay identical only if every callback still runs in
SimPy's order (time, priority, the order events were queued in): these tests drive the same processes on
``simpy.Environment`` and on the engine's and compare what happened, step by step.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import engine
from sim.model.agencies.caseload import CaseloadTeam

DELAYS = [0, 0.25, 0.5, 1, 1.5, 2, 2.75, 3, 7, 10, 40]
"""Whole and part days, so that part-day times add up to whole days and timeouts meet at the same time."""

BOTH = [simpy.Environment, engine.Environment]

step = st.tuples(
    st.sampled_from(["wait", "wait", "wait_with_value", "team", "signal", "listen"]), st.sampled_from(DELAYS)
)
programs = st.lists(st.tuples(st.sampled_from(DELAYS), st.lists(step, max_size=8)), min_size=1, max_size=12)


def simulate(
    make_env: Callable[[], simpy.Environment], program: list[tuple[float, list[tuple[str, float]]]], journeys: bool
) -> tuple[list[tuple[Any, ...]], int, float]:
    """Run the processes; return what each did when (in order), the events SimPy would have queued, and the time."""
    env = make_env()
    team = CaseloadTeam(env, "team", 1, 2, stretch_max=1.5, allocation_delay_days=1.0)
    signals: list[simpy.Event] = [env.event()]
    log: list[tuple[Any, ...]] = []

    def process(number: int, start: float, steps: list[tuple[str, float]]) -> Generator[simpy.Event, Any, None]:
        yield env.timeout(start)
        for i, (kind, delay) in enumerate(steps):
            if kind == "wait":
                got = yield env.timeout(delay)
            elif kind == "wait_with_value":
                got = yield env.timeout(delay, value=(number, i))
            elif kind == "team":
                allocation = team.request()
                if allocation is not None:
                    yield allocation
                got = yield env.timeout(delay)
                team.release()
            elif kind == "signal":  # wakes every process listening, at this moment (an event queued now)
                signals[-1].succeed(number)
                signals.append(env.event())
                got = yield env.timeout(delay)
            else:  # listen: wait for the next signal, or for the delay if nobody signals
                got = yield signals[-1] | env.timeout(delay + 0.125)
                got = sorted(value for value in got.values() if value is not None)
            log.append((env.now, number, i, kind, got))

    for number, (start, steps) in enumerate(program):
        if journeys and number % 2:
            engine.start(process(number, start, steps))
        else:
            env.process(process(number, start, steps))
    env.run(until=12)
    log.append(("stopped", env.now, team.busy, team.unallocated))
    env.run(until=30)
    env.run()  # to the end of the queue, a step at a time
    scheduled = env.queued + env.shared_timeouts if isinstance(env, engine.Environment) else next(env._eid)
    return log, scheduled, env.now


@settings(max_examples=300, deadline=None)
@given(programs, st.booleans())
def test_every_process_sees_the_same_events_at_the_same_times_in_the_same_order(program, journeys: bool) -> None:
    expected = simulate(simpy.Environment, program, journeys)
    assert simulate(engine.Environment, program, journeys) == expected


def test_timeouts_due_on_the_same_whole_day_share_one_event_and_run_in_the_order_asked() -> None:
    env = engine.Environment()
    woken: list[str] = []
    first = env.timeout(3)
    second = env.timeout(3)
    third = env.timeout(3, value="mine")  # a value of its own: a separate event, which ends the sharing
    fourth = env.timeout(3)
    assert second is first and third is not first and fourth is not first
    for name, event in [("first", first), ("second", second), ("third", third), ("fourth", fourth)]:
        event.callbacks.append(lambda e, name=name: woken.append(name))
    env.run(until=4)
    assert woken == ["first", "second", "third", "fourth"]
    assert env.shared_timeouts == 1


@pytest.mark.parametrize("make_env", BOTH)
def test_an_event_queued_for_that_time_in_between_keeps_its_place(make_env: type[simpy.Environment]) -> None:
    """SimPy processes events at the same time in the order they were queued; a timeout asked for after another
    event was queued for that time must run after it, so it gets an event of its own."""
    env = make_env()
    order: list[str] = []
    env.timeout(2).callbacks.append(lambda e: order.append("wake 1"))
    other = env.event()
    other._ok, other._value = True, None
    other.callbacks.append(lambda e: order.append("other"))
    env.schedule(other, delay=2)
    env.timeout(2).callbacks.append(lambda e: order.append("wake 2"))
    env.run(until=3)
    assert order == ["wake 1", "other", "wake 2"]


@pytest.mark.parametrize("make_env", BOTH)
def test_an_event_succeeded_on_a_whole_day_runs_before_a_timeout_asked_for_after_it(
    make_env: type[simpy.Environment],
) -> None:
    """An allocation (an event succeeded now) is queued behind what is already queued for now; a timeout of no
    delay asked for after it must come after it, not join a wake-up queued earlier for the same time."""
    env = make_env()
    order: list[str] = []
    signal = env.event()
    signal.callbacks.append(lambda e: order.append("signal"))

    def first_at_two(event: simpy.Event) -> None:
        signal.succeed()
        env.timeout(0).callbacks.append(lambda e: order.append("no delay"))

    env.timeout(2, value="first").callbacks.append(first_at_two)
    env.timeout(2).callbacks.append(lambda e: order.append("wake"))
    env.run(until=3)
    assert order == ["wake", "signal", "no delay"]


@pytest.mark.parametrize("make_env", BOTH)
def test_run_stops_before_the_events_at_its_end_and_carries_on_from_there(make_env: type[simpy.Environment]) -> None:
    env = make_env()
    seen: list[float] = []
    for day in (1, 2, 2, 3):
        env.timeout(day).callbacks.append(lambda e: seen.append(env.now))
    env.run(until=2)
    assert (seen, env.now) == ([1], 2)
    env.run(until=5)
    assert seen == [1, 2, 2, 3]


@pytest.mark.parametrize("make_env", BOTH)
def test_a_failure_in_an_event_stops_the_run_as_in_simpy(make_env: type[simpy.Environment]) -> None:
    env = make_env()
    env.event().fail(ValueError("broken"))
    with pytest.raises(ValueError, match="broken"):
        env.run(until=1)


def test_a_negative_delay_is_refused() -> None:
    with pytest.raises(ValueError, match="Negative delay"):
        engine.Environment().timeout(-1)


def test_processed_wake_ups_are_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "WAKES_SWEPT_ABOVE", 8)
    env = engine.Environment()

    def daily() -> Generator[simpy.Event, Any, None]:
        while True:
            yield env.timeout(1)

    env.process(daily())
    env.run(until=100)
    assert len(env._wakes) < 16


def journeys_alive() -> int:
    """Case journeys in memory (the cyclic collector tracks them, so it can count them)."""
    return sum(isinstance(o, engine.Journey) for o in gc.get_objects())


@contextmanager
def collector_off() -> Iterator[int]:
    """The cyclic collector off, as while a replication runs: what is freed is freed by reference counting alone.
    Yields the journeys alive before."""
    gc.collect()
    before = journeys_alive()
    gc.disable()
    try:
        yield before
    finally:
        gc.enable()


def test_a_finished_journey_is_freed_with_the_cyclic_collector_off() -> None:
    """A replication runs with the cyclic garbage collector off, so a finished case's journey must leave nothing
    behind by reference counting alone: before, every journey ever started stayed in memory to the end of the run
    (memory grew with the cases simulated: 1.3 GB for a run with a nine-year warm-up)."""
    env = engine.Environment()

    def journey(days: int) -> Generator[simpy.Event, Any, None]:
        yield env.timeout(days)
        yield env.timeout(1)

    with collector_off() as before:
        for days in range(100):
            engine.start(journey(days))
        env.run(until=50.5)
        assert journeys_alive() - before == 50  # the cases still waiting
        env.run(until=200)
        assert journeys_alive() == before


def test_discarding_a_finished_run_frees_the_journeys_still_waiting_without_the_cyclic_collector() -> None:
    """At the end of a replication its open cases still wait on events: ``discard`` frees them by reference
    counting, so nothing is left for a slow traversal of the cyclic collector (2.7 s after a national run)."""
    env = engine.Environment()

    def journey(days: int) -> Generator[simpy.Event, Any, None]:
        yield env.timeout(days)

    def waiting() -> Generator[simpy.Event, Any, None]:  # a SimPy process, as the arrivals are
        yield env.timeout(1_000)

    with collector_off() as before:
        for days in range(100):
            engine.start(journey(days))
        env.process(waiting())
        env.run(until=50.5)
        assert journeys_alive() - before == 49  # the cases due after day 50.5
        env.discard()
        assert journeys_alive() == before
        assert gc.collect() == 0  # nothing was left in cycles


def test_a_replication_leaves_no_cycles_behind(tmp_path) -> None:
    """The whole of a finished replication goes by reference counting once it is dropped, the cases still open at
    its end and those waiting for a team's allocation included."""
    from conftest import SMALL

    from sim.model.replication import Replication
    from sim.scenario.loading import load_scenario

    replication = Replication(load_scenario(SMALL), 0, tmp_path)
    with collector_off():
        replication.run()
        assert replication.open_cases  # cases were still open at the end of the run
        del replication
        assert journeys_alive() == 0


@pytest.mark.parametrize("make_env", BOTH)
def test_a_timeout_joins_simpys_conditions_and_processes(make_env: type[simpy.Environment]) -> None:
    """The engine's timeouts are native objects, not SimPy's, yet a SimPy process, ``any_of``/``all_of`` and ``|``
    after a SimPy event wait on them as on SimPy's own, with their values."""
    env = make_env()
    seen: list[Any] = []

    def process() -> Generator[simpy.Event, Any, None]:
        first = env.timeout(1, value="one")
        got = yield env.any_of([first, env.timeout(2)])
        seen.append((env.now, list(got.values())))
        got = yield env.all_of([env.timeout(1, value="a"), env.timeout(2, value="b")])
        seen.append((env.now, sorted(got.values())))
        signal = env.event()
        got = yield signal | env.timeout(0.5, value="late")
        seen.append((env.now, list(got.values())))
        value = yield env.timeout(1, value="plain")
        seen.append((env.now, value))

    env.process(process())
    env.run(until=10)
    assert seen == [(1, ["one"]), (3, ["a", "b"]), (3.5, ["late"]), (4.5, "plain")]
    assert env.timeout(1).triggered and not env.timeout(1).processed
