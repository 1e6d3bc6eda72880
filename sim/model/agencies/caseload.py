"""Workers with a caseload limit, and the queue of work waiting to be allocated.

Cafcass advisers, local authority social workers and experts all hold a number of cases at once. A team
has ``floor(workers x caseload_limit)`` slots; work that finds no free slot joins the unallocated queue and
is allocated first come, first served as slots free. Allocation when a slot is free is arithmetic: the
caller gets ``None`` and carries on without yielding, so only work that really waits costs an event.
"""

from __future__ import annotations

import math
from collections import deque

import simpy


class CaseloadTeam:
    """One team's slots and unallocated queue."""

    __slots__ = ("env", "name", "slots", "busy", "queue", "busy_area", "queue_area", "_last_change")

    def __init__(self, env: simpy.Environment, name: str, workers: float, caseload_limit: float) -> None:
        self.env = env
        self.name = name
        self.slots = slots_for(workers, caseload_limit)
        self.busy = 0
        self.queue: deque[simpy.Event] = deque()
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

    def request(self) -> simpy.Event | None:
        """Ask for a slot: None if allocated now, else an event that fires on allocation."""
        self.update_areas()
        if self.busy < self.slots and not self.queue:
            self.busy += 1
            return None
        event = self.env.event()
        self.queue.append(event)
        return event

    def release(self) -> None:
        """Free a slot and hand it to the longest-waiting piece of work."""
        self.update_areas()
        self.busy -= 1
        self._allocate()

    def set_capacity(self, workers: float, caseload_limit: float) -> None:
        """Recruitment or attrition: new slots are used at once; lost slots go as work finishes."""
        self.update_areas()
        self.slots = slots_for(workers, caseload_limit)
        self._allocate()

    def _allocate(self) -> None:
        queue = self.queue
        while queue and self.busy < self.slots:
            self.busy += 1
            queue.popleft().succeed()

    @property
    def unallocated(self) -> int:
        return len(self.queue)


def slots_for(workers: float, caseload_limit: float) -> int:
    return int(math.floor(workers * caseload_limit + 1e-9))
