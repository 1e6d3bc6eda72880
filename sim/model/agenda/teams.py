"""Caseload teams in the day-by-day agenda: Cafcass, local authorities and experts, one team per kind and region,
each first come first served with slots at the average caseload and, after the allocation delay, stretched.

A team is the present model's ``CaseloadTeam`` (``sim.model.agencies.caseload``) taken a day at a time: within a
day's step it takes its freed slots, its requests and its finished work in time order, so it is the same M/M/c
queue case for case (``tests/test_agenda.py``, on the verification scenarios).
"""

from __future__ import annotations

import heapq
import math
from collections import deque

from sim.model.agencies.caseload import DELAY_TOLERANCE_DAYS, slots_for
from sim.model.agencies.teams import _capacities, _pressure
from sim.scenario.schema import Scenario
from sim.vocabulary import TEAM_KINDS

Ask = tuple[float, int, float, bool]
"""Work asking for a slot: when it asks, its case's row, how many days it takes (infinite for an allocation held
to a later release), and whether it gives its slot back when it finishes."""


class Team:
    """One region's caseload team in continuous time within a day's step: slots freed, work asking, work finished and
    allocation delays ending are taken in time order, as ``CaseloadTeam`` takes them. A slot freed at a time goes to
    the longest-waiting work then, at the average, or stretched if that work has waited the allocation delay; work
    asking when a slot is idle starts when it asks; work whose delay ends when a stretched slot is idle starts then,
    even on a day the team has nothing else to do (:meth:`wake_day`); work that starts and finishes today frees its
    slot when it finishes, before its case moves on. (A team that started its queue at the day's start and freed a
    slot only at the next day's step held each slot up to a day too long when its work takes a day or so: the M/M/c
    verification's mean wait came out 11 times Erlang C's. One that stretched only at the end of a day's step started
    waited work a day late when nothing else happened, and before its slot was freed when something did: the
    back-cast's Section 7 reports waited 0.3 days longer than in the present model.)

    Its slots at the average caseload and stretched, its queue of work asking, (time, row, days, frees its slot)
    first come first served, and when each queued piece of work will have waited the allocation delay."""

    __slots__ = ("workers", "slots", "stretched", "delay", "busy", "queue", "timers", "_idle", "_idle_day")

    def __init__(self, workers: float, limit: float, stretch: float, delay: float) -> None:
        self.set_capacity(workers, limit, stretch, delay)
        self.busy = 0
        self.queue: deque[Ask] = deque()
        self.timers: deque[float] = deque()
        """When queued work will have waited the allocation delay, in time order (``CaseloadTeam``'s timers)."""
        self._idle: list[float] = []
        """When slots freed today were left unused. A later round of the same day (work that started and finished
        today, and what its cases asked for next) frees them again, in time order with its own events, so that work
        asking before a slot was freed waits for it."""
        self._idle_day = -1

    def set_capacity(self, workers: float, limit: float, stretch: float, delay: float) -> None:
        """Workers and caseloads, as ``CaseloadTeam`` counts its slots (``slots_for``): at the average and stretched."""
        self.workers = workers
        self.slots = slots_for(workers, limit)
        self.stretched = max(self.slots, slots_for(workers, limit * stretch))
        self.delay = delay

    def allocate_at(self, freed: list[float], asking: list[Ask], t: int, horizon: float, out: Started) -> None:
        """Slots freed at the times ``freed``, work asking (``asking``: (time, row, days, frees its slot) in ready
        order) and allocation delays ending before ``horizon``, taken in time order. ``horizon``: work finishing
        before it frees its slot today. What starts is appended to ``out``."""
        if self._idle_day != t:
            self._idle.clear()
            self._idle_day = t
        timers = self.timers
        if not self.queue:  # a delay ending with nobody waiting starts nothing
            timers.clear()
        if not self.queue and not timers and self.busy + len(self._idle) + len(asking) <= self.slots:
            self._without_waiting(freed, asking, horizon, out)
            return
        freed += self._idle  # slots left unused earlier today are freed again in time order with what is new
        self.busy += len(self._idle)
        self._idle.clear()
        events: list[tuple] = [(at, FREED, i, None) for i, at in enumerate(freed)]
        events += [(ask[0], ASKS, i, ask) for i, ask in enumerate(asking)]
        order = len(events)
        while timers and timers[0] < horizon:
            events.append((timers.popleft(), WAITED, order, None))
            order += 1
        heapq.heapify(events)
        queue = self.queue
        while events:
            now, kind, _, ask = heapq.heappop(events)
            if kind == FREED:
                self.busy -= 1
                started = len(out.rows)
                order = self._allocate(now, horizon, events, order, out)
                if len(out.rows) == started:
                    self._idle.append(now)
            elif kind == WAITED:
                order = self._allocate(now, horizon, events, order, out)
            elif not queue and self.busy < self.slots:  # a slot is idle now: before today, or freed earlier today
                order = self._start(now, ask, horizon, events, order, out)
            else:
                queue.append(ask)
                if self.stretched > self.slots:
                    waited = now + self.delay
                    if waited < horizon:
                        heapq.heappush(events, (waited, WAITED, order, None))
                        order += 1
                    else:
                        timers.append(waited)

    def _allocate(self, now: float, horizon: float, events: list, order: int, out: Started) -> int:
        """``CaseloadTeam._allocate`` at ``now``: first come first served at the average while slots are free, then
        stretched for work that has waited the allocation delay."""
        queue = self.queue
        while queue and self.busy < self.slots:
            order = self._start(max(now, queue[0][0]), queue.popleft(), horizon, events, order, out)
        if self.stretched > self.slots:
            waited_since = now - self.delay + DELAY_TOLERANCE_DAYS
            while queue and self.busy < self.stretched and queue[0][0] <= waited_since:
                order = self._start(max(now, queue[0][0]), queue.popleft(), horizon, events, order, out)
        return order

    def wake_day(self) -> int | None:
        """The next day on which queued work will have waited the allocation delay, if any: the team must take its
        step that day even if nothing else happens to it."""
        return int(math.floor(self.timers[0])) if self.timers else None

    def follow(self, workers: float, limit: float, stretch: float, delay: float, now: float) -> bool:
        """A policy's workers or caseload limits (``CaseloadTeam.set_capacity``): new slots are used at once, lost
        ones go as work finishes, and queued work gets its timer at the new delay. Whether work waiting may now start
        (the day's allocation must look at this team)."""
        self.set_capacity(workers, limit, stretch, delay)
        if self.stretched > self.slots:
            self.timers = deque(sorted(at + delay for at, *_ in self.queue if at + delay > now))
        else:
            self.timers.clear()
        return bool(self.queue)

    def _without_waiting(self, freed: list[float], asking: list[Ask], horizon: float, out: Started) -> None:
        """Nobody waits when every request would find a slot even if every slot freed today were freed after it:
        each starts when it asks, and every slot freed goes idle. (Most of a day's allocations: taking them in time
        order one by one cost the baseline about 8% more time.)"""
        self.busy += len(asking) - len(freed)
        self._idle += freed
        for at, row, days, frees in asking:
            out.rows.append(row)
            out.at.append(at)
            if frees and at + days < horizon:
                self.busy -= 1
                self._idle.append(at + days)
                out.freed_early.append(row)

    def _start(self, start: float, ask: tuple, horizon: float, events: list, order: int, out: Started) -> int:
        """Work starts at ``start``; if it finishes before ``horizon`` and gives its slot back, the slot is freed
        then."""
        self.busy += 1
        out.rows.append(ask[1])
        out.at.append(start)
        if ask[3] and start + ask[2] < horizon:
            heapq.heappush(events, (start + ask[2], FREED, order, None))
            out.freed_early.append(ask[1])
            return order + 1
        return order


FREED, ASKS, WAITED = 0, 1, 2
"""A team's events within a day, in this order at the same instant: a slot freed, work asking, a delay ending."""


class Started:
    """What a day's allocation started: rows, their start times, and the rows whose slot was freed at once because
    their work finishes today (their ``work_done`` must not free it again)."""

    __slots__ = ("rows", "at", "freed_early")

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.at: list[float] = []
        self.freed_early: list[int] = []


def caseload_teams(scenario: Scenario) -> list[list[Team]]:
    """Each kind's team in each region, [kind][region], from the scenario keys the model's caseload teams read
    (``sim.model.agencies.teams``)."""
    return [[Team(*capacity) for capacity in team_capacities(scenario, kind)] for kind in TEAM_KINDS]


def team_capacities(scenario: Scenario, kind: str) -> list[tuple[float, float, float, float]]:
    """(workers, caseload limit, stretch, allocation delay in days) of a team kind in each region, in region order."""
    pressure = _pressure(scenario, kind)
    return [(*capacity, *pressure) for capacity in _capacities(scenario, kind).values()]
