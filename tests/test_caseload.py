"""Caseload teams: floor(workers x caseload limit) slots, and an unallocated queue served first come first served;
one team per kind and region, built from the scenario's keys and changed by policies."""

from __future__ import annotations

import pytest
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


def test_a_team_counts_the_children_in_the_work_it_holds_or_has_waiting() -> None:
    """Cafcass publishes open children, not pieces of work: a team counts the children of work from its arrival,
    allocated or waiting, until it is given back."""
    team = CaseloadTeam(simpy.Environment(), "t", 1, 1)
    assert team.request(children=3) is None
    assert team.request(children=2) is not None  # waits for a slot, but Cafcass holds the case already
    assert (team.busy, team.unallocated, team.children_open) == (1, 1, 5)
    team.release(children=3)
    assert (team.busy, team.unallocated, team.children_open) == (1, 0, 2)
    team.release(children=2)
    assert team.children_open == 0


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


# ---------------------------------------------------------------------------------- averages, not caps
def _constant_demand(
    stretch_max: float, arrivals_per_day: float, horizon_days: float, delay_days: float = 5.0, seed: int = 11
) -> tuple[CaseloadTeam, list[tuple[float, int]], list[float]]:
    """10 workers at an average of 3 pieces of work each (30 slots), work held 10 days, Poisson arrivals.

    Returns the team, the queue length sampled every 10 days, and each piece's wait for allocation.
    """
    import numpy as np

    env = simpy.Environment()
    team = CaseloadTeam(env, "t", 10, 3, stretch_max=stretch_max, allocation_delay_days=delay_days)
    rng = np.random.default_rng(seed)
    samples: list[tuple[float, int]] = []
    waits: list[float] = []

    def arrivals():
        while True:
            yield env.timeout(rng.exponential(1 / arrivals_per_day))
            env.process(work())

    def work():
        asked = env.now
        event = team.request()
        if event is not None:
            yield event
        waits.append(env.now - asked)
        yield env.timeout(10.0)
        team.release()

    def sample():
        while True:
            samples.append((env.now, team.unallocated))
            yield env.timeout(10.0)

    env.process(arrivals())
    env.process(sample())
    env.run(until=horizon_days)
    team.update_areas()
    return team, samples, waits


def _thirds(samples: list[tuple[float, int]]) -> tuple[float, float]:
    queue = [q for _, q in samples]
    third = len(queue) // 3
    return sum(queue[:third]) / third, sum(queue[-third:]) / third


def test_with_a_stretch_demand_above_the_average_capacity_leaves_a_bounded_queue() -> None:
    """3.3 a day x 10 days = 33 pieces held: above the 30 slots at the average, below the 39 stretched (x1.3).

    With a hard cap (stretch 1) the queue grows by about 0.3 a day without limit; with the stretch it settles
    at the work that has waited less than the allocation delay (about 3.3 x 5 = 16) and has no trend.
    """
    horizon = 6000.0
    capped, capped_samples, _ = _constant_demand(1.0, 3.3, horizon)
    first, last = _thirds(capped_samples)
    assert last > first + 300  # grows: about 0.3 a day x 4000 days between the middles of the thirds
    assert capped.busy <= capped.slots == 30

    stretched, samples, waits = _constant_demand(1.3, 3.3, horizon)
    first, last = _thirds(samples)
    assert stretched.slots == 30 and stretched.stretched_slots == 39
    assert abs(last - first) < 5  # no trend
    assert max(q for _, q in samples) < 60
    assert sum(waits) / len(waits) < 5  # work waits the allocation delay at most, unless the stretch is full too
    mean_held = stretched.busy_area / horizon
    assert 31 < mean_held < 35  # Little's law: 33 held, above the average of 30 ...
    assert mean_held / 10 > 3  # ... so the mean caseload per worker is above the published average of 3


def test_when_demand_matches_capacity_the_mean_caseload_stays_near_the_average() -> None:
    """2.7 a day x 10 days = 27 held on average, under the 30 slots: a stretch is rarely used."""
    horizon = 6000.0
    team, samples, _ = _constant_demand(1.5, 2.7, horizon)
    caseload_per_worker = team.busy_area / horizon / team.workers
    assert abs(caseload_per_worker - 2.7) < 0.15
    assert caseload_per_worker < 3.0


def test_work_is_allocated_above_the_average_only_after_the_allocation_delay() -> None:
    env = simpy.Environment()
    team = CaseloadTeam(env, "t", 1, 2, stretch_max=1.5, allocation_delay_days=4)
    assert team.stretched_slots == 3
    assert team.request() is None and team.request() is None  # the average: 2
    waiting = team.request()
    late = team.request()
    assert waiting is not None and late is not None
    env.run(until=3.9)
    assert not waiting.triggered
    env.run(until=4.1)
    assert waiting.triggered and team.busy == 3  # stretched to 3 once it had waited 4 days
    assert not late.triggered  # 3 is the most one worker holds
    team.release()
    assert late.triggered and team.busy == 3  # a stretched slot goes to work that has waited long enough
    team.release()
    team.release()
    assert team.busy == 1 and team.caseload_per_worker == 1


def test_a_stretch_of_one_is_the_hard_cap_of_before() -> None:
    """Stretch 1 never allocates above the average: the delay does not matter and the queue is as without it."""
    team, samples_a, waits_a = _constant_demand(1.0, 3.3, 2000.0, delay_days=0.0)
    _, samples_b, waits_b = _constant_demand(1.0, 3.3, 2000.0, delay_days=30.0)
    assert team.stretched_slots == team.slots == 30
    assert samples_a == samples_b and waits_a == waits_b
    _, samples_c, _ = _constant_demand(1.1, 3.3, 2000.0, delay_days=30.0)
    assert samples_c != samples_a  # the comparison can fail: any stretch changes the queue


def test_teams_take_their_stretch_and_delay_from_the_scenario() -> None:
    from sim.model.agencies.teams import TEAM_PRESSURE_SOURCES

    data = scenario_data(SMALL)
    data["cafcass"]["short_term_caseload_stretch_max"] = 1.2
    data["cafcass"]["short_term_allocation_delay_days"] = 7
    data["policies"] = [{"name": "pressure", "date": "2024-07-01", "set": {"experts.caseload_stretch_max": 2}}]
    periods = scenario_from_dict(data).periods
    base, changed = periods[0][1], periods[-1][1]
    teams = Teams(simpy.Environment(), base)
    assert list(TEAM_PRESSURE_SOURCES) == list(TEAM_KINDS)
    short = teams.team("cafcass_short_term", 0)
    assert short.stretched_slots == slots_for(short.workers, base.cafcass.short_term_caseload_limit * 1.2)
    assert short.stretched_slots > short.slots and short.allocation_delay_days == 7
    expert = teams.team("experts", 0)
    assert expert.stretched_slots == expert.slots
    teams.apply(changed)
    assert expert.stretched_slots == slots_for(expert.workers, changed.experts.caseload_limit * 2)


def test_in_a_replication_the_timeline_shows_a_stretched_team_above_its_average(tmp_path) -> None:
    """One region, 1,000 private law cases a year, 12 short-term advisers at an average of 10: each case holds
    an adviser about 50 days (checks, then to the FHDRA), so about 137 are needed against 120 at the average
    and 156 stretched (x1.3). Over three years the queue grows with a hard cap and settles with the stretch,
    and the timeline reports the stretched team above 100% of its average, with more than 10 cases per adviser.
    """
    from conftest import ONE_REGION, run_replication

    def run(stretch: float, name: str) -> dict[str, list[float]]:
        data = scenario_data(ONE_REGION)
        data["run_years"] = 3
        data["demand"]["private_law"]["cases_per_year"] = 1000
        data["regions"]["only"]["cafcass"]["short_term_advisers"] = 12
        data["cafcass"]["short_term_caseload_stretch_max"] = stretch
        data["cafcass"]["short_term_allocation_delay_days"] = 7
        timeline = run_replication(data, tmp_path / name).timeline
        measure = timeline["measure"].astype(str)
        return {
            key: timeline.loc[measure == f"{key}:cafcass_short_term", "value"].tolist()
            for key in ("unallocated", "utilisation", "caseload_per_worker")
        }

    def thirds(values: list[float]) -> tuple[float, float]:
        third = len(values) // 3
        return sum(values[:third]) / third, sum(values[-third:]) / third

    capped, stretched = run(1.0, "capped"), run(1.3, "stretched")
    first, last = thirds(capped["unallocated"])
    assert last > 2 * first + 50  # a hard cap: the queue grows
    assert max(capped["caseload_per_worker"]) <= 10 + 1e-6 and max(capped["utilisation"]) <= 1 + 1e-6
    first, last = thirds(stretched["unallocated"])
    assert abs(last - first) < 0.25 * first + 5  # stretched: no trend
    assert max(stretched["utilisation"]) > 1.2  # above 100% of the average ...
    assert max(stretched["utilisation"]) <= 1.3 + 1e-6  # ... never above the stretch
    per_worker = stretched["caseload_per_worker"][1:]
    assert 10.5 < sum(per_worker) / len(per_worker) < 13  # mean cases per adviser: above the average of 10
    utilisation = stretched["utilisation"][1:]
    assert per_worker == pytest.approx([u * 10 for u in utilisation])  # 120 slots / 12 advisers = 10 per adviser
