"""Workers with an average caseload, and the queue of work waiting to be allocated.

Cafcass advisers, local authority social workers and experts all hold a number of cases at once. The published
caseloads (Cafcass short-term teams 32.5, long-term teams about 18) are *averages*, not caps: under pressure a
team takes on more, but not at once. So a team has ``floor(workers x average caseload)`` slots at its average,
and up to ``floor(workers x average x stretch)`` slots when work is waiting. Work that finds no free slot at the
average joins the unallocated queue and is allocated first come, first served as slots free; work that has
waited ``allocation_delay_days`` (the time a manager takes to hand unallocated work to someone already at
their average) may take a stretched slot. With a stretch of 1 there are no stretched slots and no timers: the
average is a hard cap, as before. Allocation when a slot is free is arithmetic: the caller gets ``None`` and
carries on without yielding, so only work that really waits costs an event. The team also counts the work it
has received and not yet given back, allocated or waiting (``work_open``), and the children in it
(``children_open``), which is how Cafcass publishes its open caseload.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Final

import simpy

NO_STRETCH: Final = 1.0
"""A stretch factor that makes the average caseload a hard cap."""


class CaseloadTeam:
    """One team's slots (at its average caseload and stretched), and its unallocated queue."""

    __slots__ = (
        "env",
        "name",
        "workers",
        "slots",
        "stretched_slots",
        "allocation_delay_days",
        "busy",
        "children_open",
        "queue",
        "busy_area",
        "queue_area",
        "_last_change",
    )

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        workers: float,
        caseload_limit: float,
        stretch_max: float = NO_STRETCH,
        allocation_delay_days: float = 0.0,
    ) -> None:
        self.env = env
        self.name = name
        self.workers = workers
        self.slots = slots_for(workers, caseload_limit)
        self.stretched_slots = max(self.slots, slots_for(workers, caseload_limit * stretch_max))
        self.allocation_delay_days = allocation_delay_days
        self.busy = 0
        self.children_open = 0
        self.queue: deque[tuple[float, simpy.Event]] = deque()
        self.busy_area = 0.0
        self.queue_area = 0.0
        self._last_change = 0.0

    def update_areas(self) -> None:
        now = self.env.now
        elapsed = now - self._last_change
        if elapsed:
            self.busy_area += self.busy * elapsed
            self.queue_area += len(self.queue) * elapsed
            self._last_change = now

    def request(self, children: int = 1) -> simpy.Event | None:
        """Ask for a slot for work about ``children`` children: None if allocated now, else an event that fires on
        allocation."""
        self.update_areas()
        self.children_open += children
        if self.busy < self.slots and not self.queue:
            self.busy += 1
            return None
        event = self.env.event()
        now = self.env.now
        self.queue.append((now, event))
        if self.stretched_slots > self.slots:
            if self.allocation_delay_days > 0:
                timer = self.env.timeout(self.allocation_delay_days)
                timer.callbacks.append(self._on_delay)
            else:
                self._allocate()
        return event

    def release(self, children: int = 1) -> None:
        """Free a slot (work about ``children`` children) and hand it to the longest-waiting piece of work."""
        self.update_areas()
        self.busy -= 1
        self.children_open -= children
        self._allocate()

    def set_capacity(
        self,
        workers: float,
        caseload_limit: float,
        stretch_max: float = NO_STRETCH,
        allocation_delay_days: float = 0.0,
    ) -> None:
        """Recruitment or attrition: new slots are used at once; lost slots go as work finishes."""
        self.update_areas()
        self.workers = workers
        self.slots = slots_for(workers, caseload_limit)
        self.stretched_slots = max(self.slots, slots_for(workers, caseload_limit * stretch_max))
        self.allocation_delay_days = allocation_delay_days
        self._allocate()
        if self.stretched_slots > self.slots:  # work queued before a stretch was allowed gets its timer now
            for requested, _ in self.queue:
                remaining_days = requested + allocation_delay_days - self.env.now
                if remaining_days > 0:
                    self.env.timeout(remaining_days).callbacks.append(self._on_delay)

    def _on_delay(self, _event: simpy.Event) -> None:
        self.update_areas()
        self._allocate()

    def _allocate(self) -> None:
        """First come, first served: at the average while slots are free, then stretched for work that has waited."""
        queue = self.queue
        while queue and self.busy < self.slots:
            self.busy += 1
            queue.popleft()[1].succeed()
        if self.stretched_slots > self.slots:
            waited_since = self.env.now - self.allocation_delay_days + DELAY_TOLERANCE_DAYS
            while queue and self.busy < self.stretched_slots and queue[0][0] <= waited_since:
                self.busy += 1
                queue.popleft()[1].succeed()

    @property
    def unallocated(self) -> int:
        return len(self.queue)

    @property
    def work_open(self) -> int:
        """Pieces of work received and not given back, allocated or waiting: for Cafcass, its open cases."""
        return self.busy + len(self.queue)

    @property
    def caseload_per_worker(self) -> float:
        """Pieces of work held per worker now (NaN with no workers); above the average when the team is stretched."""
        return self.busy / self.workers if self.workers else math.nan


DELAY_TOLERANCE_DAYS: Final = 1e-9
"""Work whose allocation delay ends now may be allocated even if floating point puts the end a hair later."""


def slots_for(workers: float, caseload_limit: float) -> int:
    return int(math.floor(workers * caseload_limit + 1e-9))
