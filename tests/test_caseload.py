"""Caseload teams: floor(workers x caseload limit) slots, and an unallocated queue served first come first served;
one team per kind and region, built from the scenario's keys and changed by policies."""

from __future__ import annotations

import simpy
from conftest import SMALL, scenario_data

from sim.model.agencies.caseload import CaseloadTeam, slots_for
from sim.model.agencies.teams import TEAM_SOURCES, Teams
from sim.scenario.loading import scenario_from_dict
from sim.vocabulary import TEAM_KINDS


def test_slots_are_workers_times_caseload_limit_rounded_down() -> None:
    assert slots_for(3, 32.5) == 97  # 97.5 -> 97
    assert slots_for(8, 20) == 160
    assert slots_for(0.57, 100) == 57  # 56.99999999999999 in floating point: 57, not 56
    assert slots_for(0, 20) == 0
    assert CaseloadTeam(simpy.Environment(), "t", 2.5, 3).slots == 7


def test_work_is_allocated_at_once_while_a_slot_is_free() -> None:
    team = CaseloadTeam(simpy.Environment(), "t", 1, 2)
    assert team.request() is None
    assert team.request() is None
    assert team.busy == 2 and team.unallocated == 0


def test_when_full_work_waits_and_is_allocated_first_come_first_served() -> None:
    env = simpy.Environment()
    team = CaseloadTeam(env, "t", 1, 1)
    allocated: list[tuple[str, float]] = []

    def piece_of_work(name: str, arrive: float, work: float):
        yield env.timeout(arrive)
        event = team.request()
        if event is not None:
            yield event
        allocated.append((name, env.now))
        yield env.timeout(work)
        team.release()

    for name, arrive, work in [("a", 0, 10), ("b", 1, 5), ("c", 2, 1), ("d", 3, 1)]:
        env.process(piece_of_work(name, arrive, work))
    env.run(until=2.5)
    assert team.unallocated == 2  # b and c wait behind a
    env.run()
    assert allocated == [("a", 0), ("b", 10), ("c", 15), ("d", 16)]  # in arrival order, not by length of work
    assert team.busy == 0 and team.unallocated == 0


def test_new_work_does_not_jump_the_queue_when_a_slot_frees() -> None:
    env = simpy.Environment()
    team = CaseloadTeam(env, "t", 1, 1)
    assert team.request() is None
    waiting = team.request()
    assert waiting is not None
    team.release()  # the slot goes to the waiting work ...
    assert waiting.triggered
    assert team.request() is not None  # ... so new work queues rather than taking it
    assert team.busy == 1 and team.unallocated == 1


def test_more_capacity_allocates_waiting_work_at_once() -> None:
    env = simpy.Environment()
    team = CaseloadTeam(env, "t", 1, 1)
    team.request()
    events = [team.request() for _ in range(3)]
    team.set_capacity(3, 1)  # two more slots
    assert [e.triggered for e in events] == [True, True, False]
    assert team.busy == 3 and team.unallocated == 1


def test_less_capacity_takes_slots_away_only_as_work_finishes() -> None:
    env = simpy.Environment()
    team = CaseloadTeam(env, "t", 3, 1)
    for _ in range(3):
        team.request()
    team.set_capacity(1, 1)
    assert team.busy == 3  # nobody's work is taken away
    waiting = team.request()
    team.release()
    team.release()
    assert not waiting.triggered  # 1 busy of 1 slot: still full
    team.release()
    assert waiting.triggered and team.busy == 1


def test_busy_and_queue_areas_integrate_over_time() -> None:
    """Two slots; work arrives at days 0, 1, 2 and 3 and holds its slot for 4 days.

    The first two are allocated at once; the other two queue until slots free at days 4 and 5, and finish at
    8 and 9. So busy slots are 1 on [0,1), 2 on [1,8), 1 on [8,9), 0 after; the queue is 1 on [2,3), 2 on
    [3,4), 1 on [4,5). To day 10: busy area 1 + 14 + 1 = 16 slot-days, queue area 1 + 2 + 1 = 4.
    """
    env = simpy.Environment()
    team = CaseloadTeam(env, "t", 1, 2)
    starts: list[float] = []

    def work(arrive: float):
        yield env.timeout(arrive)
        event = team.request()
        if event is not None:
            yield event
        starts.append(env.now)
        yield env.timeout(4)
        team.release()

    for arrive in (0, 1, 2, 3):
        env.process(work(arrive))
    env.run(until=10)
    team.update_areas()  # bring the areas up to now, as the monitor does
    assert starts == [0, 1, 4, 5]
    assert team.busy_area == 16
    assert team.queue_area == 4
    env.run(until=12)
    team.update_areas()
    assert team.busy_area == 16 and team.queue_area == 4  # nothing accrues while the team is idle


def test_mean_busy_slots_match_littles_law_in_a_long_run() -> None:
    """Little's law: mean busy slots = arrival rate x work duration when nothing queues (ample slots)."""
    import numpy as np

    env = simpy.Environment()
    team = CaseloadTeam(env, "t", 100, 1)
    rng = np.random.default_rng(3)
    gaps = rng.exponential(0.5, 20_000)  # 2 a day

    def arrivals():
        for gap in gaps:
            yield env.timeout(gap)
            env.process(work())

    def work():
        assert team.request() is None
        yield env.timeout(3.0)
        team.release()

    env.process(arrivals())
    horizon = float(gaps.sum())
    env.run(until=horizon)
    team.update_areas()
    # 2 a day x 3 days = 6 busy on average. Over about 10,000 days the time average has a standard error of
    # about sqrt(2 x 6 x 3 / 10,000) = 0.06, so 0.3 is five standard errors.
    assert abs(team.busy_area / horizon - 6.0) < 0.3
    assert team.queue_area == 0.0


def test_teams_of_every_kind_come_from_their_scenario_keys_and_follow_policies() -> None:
    data = scenario_data(SMALL)
    data["policies"] = [
        {
            "name": "recruit",
            "date": "2024-07-01",
            "scale": {"regions.*.cafcass.long_term_advisers": 2, "experts.caseload_limit": 0.5},
            "set": {"regions.*.local_authority.social_workers": 0},
        }
    ]
    periods = scenario_from_dict(data).periods
    base, changed = periods[0][1], periods[-1][1]
    teams = Teams(simpy.Environment(), base)
    assert list(teams.by_kind) == list(TEAM_KINDS) == list(TEAM_SOURCES)

    def expected_slots(scenario) -> dict[tuple[str, int], int]:
        return {
            (kind, r): slots_for(scenario.at(f"regions.{name}.{workers}"), scenario.at(limit))
            for kind, (workers, limit) in TEAM_SOURCES.items()
            for r, name in enumerate(scenario.regions)
        }

    def slots() -> dict[tuple[str, int], int]:
        return {(kind, r): teams.team(kind, r).slots for kind in TEAM_KINDS for r in range(len(base.regions))}

    assert slots() == expected_slots(base)
    assert teams.team("cafcass_long_term", 0).name == f"cafcass_long_term:{next(iter(base.regions))}"
    teams.apply(changed)
    after = slots()
    assert after == expected_slots(changed)
    assert all(after["local_authority", r] == 0 for r in range(len(base.regions)))
    assert sum(after[k] for k in after if k[0] == "cafcass_short_term") == sum(
        slots_for(region.cafcass.short_term_advisers, base.cafcass.short_term_caseload_limit)
        for region in base.regions.values()
    )
    assert all(len(teams.by_kind[kind]) == len(base.regions) for kind in TEAM_KINDS)
