"""A lighter SimPy for the hundreds of thousands of cases a national run creates, with SimPy's order of events.

``simpy.Process`` schedules an event to start a generator and another when it ends: two of the four or
five events a typical case needs. A case never waits on another case's process, so neither is needed:
``start`` runs the generator at once up to its first ``yield`` and resumes it from the callbacks of the
events it yields (timeouts and allocations). An exception inside a case propagates out of ``env.run``,
as it would from a SimPy process.

:class:`Environment` is SimPy's environment with its inner loop made cheaper, every event still processed in
the order SimPy would process it (time, then priority, then the order events were scheduled in), so results are
identical. It relies on SimPy's internals (``_queue`` of ``(time, priority, id, event)``, ``_eid``, ``_now``, an
event's ``callbacks``, ``_ok`` and ``_value``; SimPy 4.1), and ``tests/test_engine.py`` checks it against SimPy.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from heapq import heappop, heappush
from itertools import chain
from typing import TYPE_CHECKING, Any

import simpy
from simpy.core import BoundClass, EmptySchedule, SimTime, StopSimulation
from simpy.events import NORMAL, URGENT, AllOf, AnyOf, Event, EventPriority, Process, ProcessGenerator, Timeout

WAKES_SWEPT_ABOVE = 4096
"""Whole-day wake-ups remembered before the ones already past are dropped (then at twice what is left)."""


class _Journey:
    """A case's generator, resumed by the events it waits for.

    ``resume`` is bound once, not once per event, which makes a reference cycle (the journey holds its own bound
    method). A replication runs with the cyclic garbage collector off (:meth:`Replication.run`), so the cycle is
    broken when the journey ends: otherwise every finished case, with its generator's frame, its children and its
    random numbers, stayed in memory to the end of the run, and memory grew with the cases ever simulated."""

    __slots__ = ("_send", "_throw", "_resume")

    def __init__(self, generator: Generator[simpy.Event, Any, None]) -> None:
        self._send = generator.send
        self._throw = generator.throw
        self._resume: Callable[[simpy.Event], None] | None = self.resume  # bound once, not once per event

    def resume(self, event: simpy.Event) -> None:
        try:
            if event._ok:
                target = self._send(event._value)
            else:
                event._defused = True  # handled here: the case raises it
                target = self._throw(event._value)
        except StopIteration:
            self._resume = None  # the cycle through the bound method, broken: the journey can be freed
            return
        target.callbacks.append(self._resume)  # type: ignore[arg-type]  # None only once the journey ended


def start(generator: Generator[simpy.Event, Any, None]) -> None:
    """Run a case's generator now, without start or end events."""
    try:
        target = generator.send(None)
    except StopIteration:
        return
    target.callbacks.append(_Journey(generator)._resume)  # type: ignore[arg-type]


class Environment(simpy.Environment):
    """SimPy's environment, cheaper per event, with SimPy's order of events.

    - ``run(until=<a time>)`` pops and processes events in one loop instead of a method call per event.
    - ``timeout`` builds and queues its event without going through ``Timeout.__init__`` and ``schedule``.
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
        self._wakes: dict[SimTime, Timeout] = {}
        """The last event queued for each whole-day time, while no other event has been queued for that time."""
        self._sweep_at = WAKES_SWEPT_ABOVE
        self.shared_timeouts = 0
        """Timeouts that joined an event already queued (SimPy would have queued one event for each)."""

    def schedule(self, event: Event, priority: EventPriority = NORMAL, delay: SimTime = 0) -> None:
        """As SimPy's; an event queued for a time ends the sharing of that time's wake-up."""
        at = self._now + delay
        if at in self._wakes:
            del self._wakes[at]
        heappush(self._queue, (at, priority, next(self._eid), event))

    def timeout(self, delay: SimTime = 0, value: Any = None) -> Timeout:
        """A :class:`simpy.Timeout`, or the event already queued for the same whole-day time (see the class)."""
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        at = self._now + delay
        wakes = self._wakes
        whole_day = at % 1.0 == 0.0
        if whole_day:
            if value is None:
                shared = wakes.get(at)
                if shared is not None and shared.callbacks is not None:
                    self.shared_timeouts += 1
                    return shared
            elif at in wakes:
                del wakes[at]
        event = Timeout.__new__(Timeout)  # Timeout.__init__ inlined, as SimPy inlines Event.__init__ there
        event.env = self
        event.callbacks = []
        event._value = value
        event._delay = delay
        event._ok = True
        heappush(self._queue, (at, NORMAL, next(self._eid), event))
        if whole_day and value is None:
            wakes[at] = event
            if len(wakes) >= self._sweep_at:
                self._sweep()
        return event

    def _sweep(self) -> None:
        """Drop wake-ups already processed; sweep again when twice as many are held."""
        self._wakes = {at: e for at, e in self._wakes.items() if e.callbacks is not None}
        self._sweep_at = max(WAKES_SWEPT_ABOVE, 2 * len(self._wakes))

    def step(self) -> None:
        """As SimPy's ``step``, keeping ``now`` (``run`` without a time to run until steps with it)."""
        try:
            self._now, _, _, event = heappop(self._queue)
        except IndexError:
            raise EmptySchedule from None
        self.now = self._now
        callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]  # processed, as SimPy marks it
        try:
            for callback in callbacks:
                callback(event)
        except StopSimulation:
            event.callbacks = callbacks[callbacks.index(callback) + 1 :]
            self.schedule(event, EventPriority(-1))
            raise
        if not event._ok and not hasattr(event, "_defused"):
            failure = type(event._value)(*event._value.args)
            failure.__cause__ = event._value
            raise failure

    def discard(self, waiting: Iterable[Event] = ()) -> None:
        """End the run: drop every pending event, queued or ``waiting`` to be triggered (an allocation a team
        holds), and with them the cases still waiting and their generators.

        A waiting journey holds itself (its bound ``resume``) and a pending SimPy process its event, so without this
        the whole state of the run stayed in memory until the cyclic collector traversed it: 2.7 s after a national
        replication (355,999 objects in cycles). Broken here, reference counting frees it as it goes."""
        for event in chain((queued for *_, queued in self._queue), waiting):
            for callback in event.callbacks or ():
                owner = getattr(callback, "__self__", None)
                if isinstance(owner, _Journey):
                    owner._resume = None
            event.callbacks = None  # type: ignore[assignment]
        self._queue.clear()
        self._wakes.clear()

    def run(self, until: SimTime | Event | None = None) -> Any:
        """As SimPy's ``run``; with a time to run until, one loop pops and processes the events."""
        if until is None or isinstance(until, Event):
            return super().run(until)
        at = until if isinstance(until, int) else float(until)
        if at <= self._now:
            raise ValueError(f"until ({at}) must be greater than the current simulation time")
        stop = Event(self)
        stop._ok = True
        stop._value = None
        self.schedule(stop, URGENT, at - self._now)  # before every other event at that time, as SimPy's
        queue = self._queue
        while True:
            try:
                now, _, _, event = heappop(queue)
            except IndexError:
                raise RuntimeError(f'No scheduled events left but "until" event was not triggered: {stop}') from None
            self._now = self.now = now
            if event is stop:  # as SimPy's StopSimulation: the stop event stays queued, first, with no callbacks
                stop.callbacks = []
                self.schedule(stop, EventPriority(-1))
                return None
            callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]  # processed, as SimPy marks it
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                failure = type(event._value)(*event._value.args)  # as SimPy: a copy with a new traceback
                failure.__cause__ = event._value
                raise failure
