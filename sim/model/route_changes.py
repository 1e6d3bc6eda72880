"""Pathfinder's roll-out: the days regions change route, and the court hours that follow their cases' routes.

Court hours are split by the hearings the routes in force need (:mod:`sim.model.agencies.court_capacity`). A
region that begins Pathfinder needs no FHDRA from its magistrates for its new cases, but the private law cases
already on the old route still need theirs, and their later hearings. So the region holds its old route's split
for them and lets it go as they close (docs/model.md, court capacity). A region's weight is its own cases' share,
so regions stay independent (docs/model.md 5.5).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator, Sequence
from typing import Any, Protocol

import simpy

from sim.model.agencies.court import Court
from sim.scenario.schema import Scenario


class Run(Protocol):
    """What the route changes need of a replication: its clock, court, periods and open old-route cases."""

    @property
    def env(self) -> simpy.Environment: ...

    court: Court

    @property
    def periods(self) -> Sequence[tuple[float, Scenario]]: ...

    end_day: float
    old_route_open: list[int]
    """Open private law cases on the standard route, by region."""

    @property
    def scenario(self) -> Scenario: ...


def route_changes(periods: Sequence[tuple[float, Scenario]], end_day: float) -> dict[float, dict[int, dt.date]]:
    """The regions that begin Pathfinder, with the date they begin it, by the day of the run they begin it on (a
    region that began before the run: day 0), in any period's scenario."""
    changes: dict[float, dict[int, dt.date]] = {}
    for _, scenario in periods:
        for r, region in enumerate(scenario.regions.values()):
            began = region.pathfinder_from
            if began is not None and scenario.day_of(began) < end_day:
                changes.setdefault(max(0.0, scenario.day_of(began)), {})[r] = began
    return dict(sorted(changes.items()))


def follow_routes(run: Run) -> Generator[Any, Any, None]:
    """On the day a region begins Pathfinder its court hours follow the new route's needs, as they do at a policy's
    date; without this the split of the run's first day would hold to its end. The cases already on the old route
    keep that route's hours while they last (:func:`hold_old_routes`)."""
    env = run.env
    for day, began in route_changes(run.periods, run.end_day).items():
        if day > env.now:
            yield env.timeout(day - env.now)
        held = {r: date for r, date in sorted(began.items()) if run.old_route_open[r] > 0}
        if held and run.scenario.courts.capacity is not None:
            if day > 0:  # the other regions follow the new split now, as each does when it is simulated alone
                others = [r for r in range(len(run.old_route_open)) if r not in held]
                run.court.follow_routes(run.scenario, int(day), others)
            env.process(hold_old_routes(run, held))
        elif day > 0:
            run.court.follow_routes(run.scenario, int(day))


def hold_old_routes(run: Run, began: dict[int, dt.date]) -> Generator[Any, Any, None]:
    """Regions that begin Pathfinder now keep their old route's split of court hours for the cases still on it,
    moving to the new route's split as those cases close (reviewed every ``courts.capacity.route_change_review_days``).
    Without this the old route's hearings lost their hours on the day, and its last cases waited years for them."""
    env, court = run.env, run.court
    at_change = {r: run.old_route_open[r] for r in began}
    weights = dict.fromkeys(began, 1.0)
    while True:
        for r, weight in weights.items():
            court.hold_old_route(r, began[r], weight)
        # Only the regions holding their old route: the others were re-split on the day (:func:`follow_routes`).
        # Re-splitting them here, after the day's other events and again at each review (with demand's trend),
        # gave a region's cases hours that depended on which other regions were simulated with it.
        court.follow_routes(run.scenario, int(env.now), began)
        weights = {r: weight for r, weight in weights.items() if weight > 0.0}
        capacity = run.scenario.courts.capacity
        if not weights or capacity is None:
            return
        yield env.timeout(capacity.route_change_review_days)
        weights = {r: run.old_route_open[r] / at_change[r] for r in weights}
