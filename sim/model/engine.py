"""A lighter SimPy process for the hundreds of thousands of cases a national run creates.

``simpy.Process`` schedules an event to start a generator and another when it ends: two of the four or
five events a typical case needs. A case never waits on another case's process, so neither is needed:
``start`` runs the generator at once up to its first ``yield`` and resumes it from the callbacks of the
events it yields (timeouts and allocations). An exception inside a case propagates out of ``env.run``,
as it would from a SimPy process.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy


class _Journey:
    __slots__ = ("_send", "_throw")

    def __init__(self, generator: Generator[simpy.Event, Any, None]) -> None:
        self._send = generator.send
        self._throw = generator.throw

    def resume(self, event: simpy.Event) -> None:
        try:
            if event._ok:
                target = self._send(event._value)
            else:
                event._defused = True  # handled here: the case raises it
                target = self._throw(event._value)
        except StopIteration:
            return
        target.callbacks.append(self.resume)


def start(generator: Generator[simpy.Event, Any, None]) -> None:
    """Run a case's generator now, without start or end events."""
    journey = _Journey(generator)
    try:
        target = generator.send(None)
    except StopIteration:
        return
    target.callbacks.append(journey.resume)
