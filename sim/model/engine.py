"""A lighter SimPy for the hundreds of thousands of cases a national run creates, with SimPy's order of events.

``simpy.Process`` schedules an event to start a generator and another when it ends: two of the four or
five events a typical case needs. A case never waits on another case's process, so neither is needed:
``start`` runs the generator at once up to its first ``yield`` and resumes it from the callbacks of the
events it yields (timeouts and allocations). An exception inside a case propagates out of ``env.run``,
as it would from a SimPy process.

:class:`Environment` is SimPy's environment with its inner loop made cheaper, every event still processed in
the order SimPy would process it (time, then priority, then the order events were scheduled in), so results are
identical. It relies on SimPy's internals (``_queue``, which here holds :class:`~sim.model.journeys.Queued` entries
instead of SimPy's ``(time, priority, id, event)`` tuples; ``_now``; an event's ``callbacks``, ``_ok`` and ``_value``;
SimPy 4.1), and ``tests/test_engine.py`` checks it against SimPy.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from typing import TYPE_CHECKING, Any

import simpy
from simpy.core import BoundClass, EmptySchedule, Infinity, SimTime, StopSimulation
from simpy.events import NORMAL, URGENT, AllOf, AnyOf, Event, EventPriority, Process, ProcessGenerator, Timeout

from sim.model.journeys import Clock, Journey, Queued, Wait, event_of, raise_if_failed, start

__all__ = ["Environment", "Journey", "Wait", "start"]

WAKES_SWEPT_ABOVE = 4096
"""Whole-day wake-ups remembered before the ones already past are dropped (then at twice what is left)."""


class Environment(simpy.Environment):
    """SimPy's environment, cheaper per event, with SimPy's order of events.

    - ``run(until=<a time>)`` pops and processes events in one compiled loop (:meth:`Clock.run_until`) instead of a
      method call per event.
    - ``timeout`` is the clock's: a native :class:`~sim.model.journeys.Wait`, queued without SimPy's ``Timeout``.
    - A timeout due at a whole day (a hearing's day, the monitor's snapshot) shares the event already queued for
      that exact time, if nothing else has been queued for that time since: SimPy would have processed the two
      one after the other anyway, so the shared event's callbacks run in the same order, and the queue holds a
      few hundred days instead of every waiting hearing. Any other event queued for that time ends the sharing.
    """

    # SimPy binds these to the instance for speed only for its own class, not for a subclass.
    if TYPE_CHECKING:  # what the bound classes below are to a type checker: SimPy's own methods

        def process(self, generator: ProcessGenerator) -> Process: ...

        def event(self) -> Event: ...

    else:
        process = BoundClass(Process)
        event = BoundClass(Event)
    all_of = BoundClass(AllOf)
    any_of = BoundClass(AnyOf)

    now: SimTime = 0
    """The current time: a plain attribute, set with SimPy's ``_now``, where SimPy's is a property (a call each time
    it is read, five times an event in the model)."""

    def __init__(self, initial_time: SimTime = 0) -> None:
        super().__init__(initial_time)
        self.now = initial_time
        queue: list[Queued] = []
        self._queue = queue  # type: ignore[assignment]  # Queued entries, not SimPy's tuples
        self.clock = Clock(self, queue, initial_time, WAKES_SWEPT_ABOVE)
        del self._eid  # the clock counts the events queued (``queued``)
        # The clock's own method on the instance: compiled callers reach its C code with no Python frame between.
        self.timeout = self.clock.timeout  # type: ignore[method-assign,assignment]

    @property
    def shared_timeouts(self) -> int:
        """Timeouts that joined an event already queued (SimPy would have queued one event for each)."""
        return self.clock.shared_timeouts

    @property
    def _wakes(self) -> dict[float, Wait]:
        return self.clock.wakes

    @property
    def queued(self) -> int:
        """Events queued so far, as SimPy counts them (its ``_eid``), less the timeouts that shared one."""
        return self.clock.queued

    def schedule(self, event: Event, priority: EventPriority = NORMAL, delay: SimTime = 0) -> None:
        """As SimPy's; an event queued for a time ends the sharing of that time's wake-up."""
        self.clock.schedule(event, priority, self._now + delay)

    def peek(self) -> SimTime:
        """As SimPy's: the time of the next event, or infinity when none is queued."""
        queue = self.clock.queue
        return queue[0].at if queue else Infinity

    def timeout(self, delay: SimTime = 0, value: Any = None) -> Timeout:  # replaced by the clock's in __init__
        """A timeout of ``delay`` (a :class:`~sim.model.journeys.Wait`, which behaves as SimPy's ``Timeout``)."""
        return self.clock.timeout(delay, value)  # type: ignore[return-value]

    def step(self) -> None:
        """As SimPy's ``step``, keeping ``now`` (``run`` without a time to run until steps with it)."""
        if not self._queue:
            raise EmptySchedule
        event = self.clock.pop()  # and the time is the event's
        callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]  # processed, as SimPy marks it
        try:
            for callback in callbacks:
                callback(event)
        except StopSimulation:
            event.callbacks = callbacks[callbacks.index(callback) + 1 :]
            self.schedule(event, EventPriority(-1))
            raise
        raise_if_failed(event)

    def discard(self, waiting: Iterable[Event] = ()) -> None:
        """End the run: drop every pending event, queued or ``waiting`` to be triggered (an allocation a team
        holds), and with them the cases still waiting and their generators.

        A pending SimPy process holds its event, and each wait holds the environment, so without this the whole state
        of the run stayed in memory until the cyclic collector traversed it: 2.7 s after a national replication
        (355,999 objects in cycles). Broken here, reference counting frees the cases as it goes. The environment and
        its clock still hold each other (a few objects, left to the collector), so the environment can still run,
        from an empty queue."""
        for event in chain(map(event_of, self.clock.queue), waiting):
            event.callbacks = None  # type: ignore[assignment]
        self._queue.clear()
        self.clock.wakes.clear()

    def run(self, until: SimTime | Event | None = None) -> Any:
        """As SimPy's ``run``; with a time to run until, one compiled loop pops and processes the events."""
        if until is None or isinstance(until, Event):
            return super().run(until)
        at = until if isinstance(until, int) else float(until)
        if at <= self._now:
            raise ValueError(f"until ({at}) must be greater than the current simulation time")
        stop = Event(self)
        stop._ok = True
        stop._value = None
        self.schedule(stop, URGENT, at - self._now)  # before every other event at that time, as SimPy's
        self.clock.run_until(stop)  # sets ``now`` to the stop event's time, as SimPy's loop does
        # As SimPy's StopSimulation: the stop event stays queued, first, with no callbacks.
        stop.callbacks = []
        self.schedule(stop, EventPriority(-1))
        return None
