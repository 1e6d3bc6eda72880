"""The engine's compiled core: a case's waits as native events, its journey, and the loop that processes events.

Why it is separate from :mod:`sim.model.engine`: the environment subclasses SimPy's, so it cannot be a native class,
and SimPy's events are ordinary Python objects, each with a dictionary, which compiled code reaches no faster than
the interpreter does. A case's timeouts and its journey are the model's own objects, so here they are native
classes: creating a wait, appending its callback and processing it are C, and the loop below reaches their fields
directly. Everything else (allocations, SimPy processes, the stop event) is handled as SimPy would.

A :class:`Wait` behaves as SimPy's ``Timeout`` for everything that waits on it (a process, a condition, a journey),
and the order of events is SimPy's: time, then priority, then the order events were queued in (:class:`Queued`;
``tests/test_engine.py`` checks it against SimPy).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from heapq import heappop, heappush
from typing import Any, Final, cast

NORMAL: Final = 1
"""SimPy's priority of an ordinary event (``simpy.events.NORMAL``)."""


class Queued:
    """What the queue orders an event by: SimPy's order, time, then priority, then the order events were queued in.

    The queue holds these, not SimPy's ``(time, priority, id, event)`` tuples: a native comparison instead of two
    comparisons of boxed numbers a tuple, and no tuple, float and int to make and free for every event."""

    def __init__(self, at: float, priority: int, eid: int) -> None:
        self.at = at
        self.priority = priority
        self.eid = eid

    def __lt__(self, other: Queued) -> bool:
        if self.at != other.at:
            return self.at < other.at
        if self.priority != other.priority:
            return self.priority < other.priority
        return self.eid < other.eid


class Entry(Queued):
    """Any other event in the queue (a team's allocation, a SimPy process's, the end of a run)."""

    def __init__(self, at: float, priority: int, eid: int, event: Any) -> None:
        super().__init__(at, priority, eid)
        self.event = event


class Wait(Queued):
    """A timeout: SimPy's ``Timeout`` as a native object, with the fields SimPy's processes and conditions read;
    queued as itself. It joins a condition as any event does (``env.any_of([wait, other])``, ``other | wait``), but
    cannot begin one with ``|`` or ``&``: the model never does, and it keeps the class free of SimPy's."""

    def __init__(self, env: Any, at: float, eid: int, delay: float, value: object) -> None:
        super().__init__(at, NORMAL, eid)
        self.env = env
        self.callbacks: list[Any] | None = []
        self._value: object = value
        self._delay = delay
        self._ok = True

    @property
    def triggered(self) -> bool:
        return True  # a timeout is triggered when it is made, as SimPy's

    @property
    def processed(self) -> bool:
        return self.callbacks is None

    @property
    def ok(self) -> bool:
        return self._ok

    @property
    def value(self) -> object:
        return self._value

    def __repr__(self) -> str:
        return f"<Wait({self._delay}) object at {id(self):#x}>"


class Journey:
    """A case's generator, resumed by the events it waits for; an event's callback is the journey itself.

    A journey holds no reference to itself, so a finished one is freed by reference counting, with its generator's
    frame, its children and its random numbers (a replication runs with the cyclic collector off)."""

    def __init__(self, generator: Generator[Any, Any, None]) -> None:
        self._send: Callable[[object], Any] = generator.send
        self._throw: Callable[[BaseException], Any] = generator.throw

    def __call__(self, event: Any) -> None:
        """As a SimPy callback (SimPy's own ``step`` calls it)."""
        self.resume(event)

    def resume(self, event: Any) -> None:
        try:
            if isinstance(event, Wait):  # noqa: SIM114  # a branch of its own: compiled, it reads the field directly
                target = self._send(event._value)
            elif event._ok:
                target = self._send(event._value)
            else:
                event._defused = True  # handled here: the case raises it
                target = self._throw(event._value)
        except StopIteration:
            return
        _wait_on(target, self)


def _wait_on(target: Any, journey: Journey) -> None:
    if isinstance(target, Wait):
        callbacks = target.callbacks
        assert callbacks is not None, "a journey waits on a timeout already processed"
        callbacks.append(journey)
    else:
        target.callbacks.append(journey)


def start(generator: Generator[Any, Any, None]) -> None:
    """Run a case's generator now, up to the first event it waits for, without SimPy's start and end events."""
    try:
        target = generator.send(None)
    except StopIteration:
        return
    _wait_on(target, Journey(generator))


def event_of(queued: Queued) -> Any:
    """The event a queue entry stands for: a wait is its own entry; any other event is wrapped in an :class:`Entry`."""
    if isinstance(queued, Wait):
        return queued
    return cast(Entry, queued).event


def raise_if_failed(event: Any) -> None:
    """As SimPy: a failed event that nothing handled stops the run, with a copy of its exception (a new traceback)."""
    if not event._ok and not hasattr(event, "_defused"):
        failure = type(event._value)(*event._value.args)
        failure.__cause__ = event._value
        raise failure


def _process(event: Any, callbacks: list[Any]) -> None:
    """Run an event's callbacks in the order they were added; journeys directly, anything else by calling it."""
    for callback in callbacks:
        if isinstance(callback, Journey):
            callback.resume(event)
        else:
            callback(event)


class Clock:
    """The environment's time and its queue of events, with the cases' timeouts; SimPy's own scheduling goes through
    :meth:`schedule`.

    ``queue`` is the environment's ``_queue``, a heap of :class:`Queued`; ``now`` is the time of the event processed
    last, mirrored into the environment's ``now`` and ``_now`` by :meth:`pop`."""

    def __init__(self, env: Any, queue: list[Queued], now: float, sweep_above: int) -> None:
        self.env = env
        self.queue = queue
        self.queued = 0
        """Events queued so far (SimPy's ``_eid``)."""
        self.now = now
        self.wakes: dict[float, Wait] = {}
        """The last wait queued for each whole-day time, while no other event has been queued for that time."""
        self.sweep_above = sweep_above
        self.sweep_at = sweep_above
        self.shared_timeouts = 0
        """Timeouts that joined a wait already queued (SimPy would have queued one event for each)."""

    def schedule(self, event: Any, priority: int, at: float) -> None:
        """Queue a SimPy event for ``at``; another event queued for that time ends the sharing of its wake-up."""
        if at in self.wakes:
            del self.wakes[at]
        eid = self.queued
        self.queued = eid + 1
        heappush(self.queue, Entry(at, priority, eid, event))

    def timeout(self, delay: float = 0.0, value: object = None) -> Wait:
        """A wait of ``delay`` days, or the wait already queued for the same whole-day time (see the engine)."""
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        at = self.now + delay
        wakes = self.wakes
        whole_day = at % 1.0 == 0.0
        if whole_day:
            if value is None:
                shared = wakes.get(at)
                if shared is not None and shared.callbacks is not None:
                    self.shared_timeouts += 1
                    return shared
            elif at in wakes:
                del wakes[at]
        eid = self.queued
        self.queued = eid + 1
        event = Wait(self.env, at, eid, delay, value)
        heappush(self.queue, event)
        if whole_day and value is None:
            wakes[at] = event
            if len(wakes) >= self.sweep_at:
                self.sweep()
        return event

    def sweep(self) -> None:
        """Drop wake-ups already processed; sweep again when twice as many are held."""
        self.wakes = {at: e for at, e in self.wakes.items() if e.callbacks is not None}
        self.sweep_at = max(self.sweep_above, 2 * len(self.wakes))

    def pop(self) -> Any:
        """The next event, taken off the queue, its time now the clock's (and the environment's)."""
        queued = heappop(self.queue)
        at = queued.at
        if at != self.now:
            self.now = at
            env = self.env
            env._now = at
            env.now = at
        return event_of(queued)

    def run_until(self, stop: object) -> None:
        """Pop and process events until ``stop`` is popped (it is queued before every other event at its time)."""
        queue = self.queue
        while True:
            if not queue:
                raise RuntimeError(f'No scheduled events left but "until" event was not triggered: {stop}')
            event = self.pop()
            if event is stop:
                return
            if isinstance(event, Wait):
                callbacks = event.callbacks
                event.callbacks = None  # processed, as SimPy marks it
                assert callbacks is not None
                _process(event, callbacks)
                continue
            callbacks = event.callbacks
            event.callbacks = None
            _process(event, callbacks)
            raise_if_failed(event)
