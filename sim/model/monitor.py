"""The timeline: open cases, unallocated queues and utilisation, snapshot by region at a fixed interval and at
the end of the run.

Open cases are issued and not yet disposed (the published 'outstanding cases'); cases in pre-proceedings are
counted apart. Utilisation is the share of a team's slots at its average caseload, or of a court's sitting
hours, used since the last snapshot: a team stretched above its average caseload is above 1. The caseload per
worker is the mean work held per full-time-equivalent worker since the last snapshot, to set against the
published average caseload. The work open with a team is the work it has received and not given back, allocated or
waiting, and the children open with it are the children in that work (Cafcass publishes its open caseload so).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

import simpy

from sim.model.agencies.court import Court
from sim.model.agencies.teams import Teams
from sim.model.records import Recorder
from sim.vocabulary import CASE_TYPES, TEAM_KINDS


def measure_names(tiers: list[str]) -> list[str]:
    """What the timeline records: open cases are issued and not yet disposed (pre-proceedings apart)."""
    return (
        [f"open_cases:{c}" for c in CASE_TYPES]
        + ["open_children", "pre_proceedings_cases"]
        + [f"unallocated:{k}" for k in TEAM_KINDS]
        + [f"utilisation:{k}" for k in TEAM_KINDS]
        + [f"caseload_per_worker:{k}" for k in TEAM_KINDS]
        + [f"work_open:{k}" for k in TEAM_KINDS]
        + [f"children_open:{k}" for k in TEAM_KINDS]
        + [f"workers:{k}" for k in TEAM_KINDS]
        + ["utilisation:court"]
        + [f"utilisation:court:{t}" for t in tiers]
    )


@dataclass
class OpenCounts:
    """Counts the replication keeps as cases open and close, by region."""

    by_case_type: list[list[int]]
    """Cases issued and not yet closed, [case type code][region]."""
    children: list[int]
    """Children in those cases."""
    pre_proceedings: list[int]
    """Cases arrived and not yet issued or diverted."""

    @classmethod
    def empty(cls, regions: int) -> OpenCounts:
        return cls([[0] * regions for _ in CASE_TYPES], [0] * regions, [0] * regions)


class Monitor:
    """Takes the timeline's snapshots: every ``interval_days`` while the run goes (:meth:`watch`), and once more at
    its end (:meth:`snapshot` at the end day), so the state 'at the end' is the end's and not up to an interval
    before it. A snapshot taken at a midnight is the state at the end of the day before."""

    def __init__(
        self, counts: OpenCounts, teams: Teams, court: Court, recorder: Recorder, regions: Sequence[int]
    ) -> None:
        code = {name: i for i, name in enumerate(recorder.labels.measures)}
        self._code = code
        self._team_rows = [
            (
                code[f"unallocated:{kind}"],
                code[f"utilisation:{kind}"],
                code[f"caseload_per_worker:{kind}"],
                code[f"work_open:{kind}"],
                code[f"children_open:{kind}"],
                code[f"workers:{kind}"],
                teams.by_kind[kind],
            )
            for kind in TEAM_KINDS
        ]
        self._open_codes = [code[f"open_cases:{c}"] for c in CASE_TYPES]
        self._tier_codes = [code[f"utilisation:court:{t}"] for t in court.tiers]
        self._regions = regions
        self._last_busy = {(k, r): 0.0 for k in range(len(self._team_rows)) for r in self._regions}
        self._last_day = 0.0
        self._counts, self._court, self._recorder = counts, court, recorder

    def snapshot(self, now: float) -> None:
        """Record every measure by region at ``now``; rates are over the time since the last snapshot."""
        code, counts, court, record = self._code, self._counts, self._court, self._recorder.snapshot
        last_day, last_busy = self._last_day, self._last_busy
        for r in self._regions:
            for c, measure in enumerate(self._open_codes):
                record(now, measure, r, counts.by_case_type[c][r])
            record(now, code["open_children"], r, counts.children[r])
            record(now, code["pre_proceedings_cases"], r, counts.pre_proceedings[r])
            for k, (unallocated, utilisation, caseload, work, children, workers, members) in enumerate(self._team_rows):
                team = members[r]
                team.update_areas()
                record(now, unallocated, r, team.unallocated)
                record(now, work, r, team.work_open)
                record(now, children, r, team.children_open)
                record(now, workers, r, team.workers)
                if now > last_day:
                    busy = (team.busy_area - last_busy[k, r]) / (now - last_day)
                    record(now, utilisation, r, busy / team.slots if team.slots else math.nan)
                    record(now, caseload, r, busy / team.workers if team.workers else math.nan)
                last_busy[k, r] = team.busy_area
            if now > last_day:
                used_all = available_all = 0.0
                for t, measure in enumerate(self._tier_codes):
                    used, available = court.used_and_available_hours(r, t, int(last_day), int(now))
                    used_all += used
                    available_all += available
                    record(now, measure, r, used / available if available else math.nan)
                record(now, code["utilisation:court"], r, used_all / available_all if available_all else math.nan)
        self._recorder.timeline.maybe_flush()
        self._last_day = now

    def watch(
        self,
        env: simpy.Environment,
        interval_days: float,
        progress: Callable[[float], None] | None,
        end_day: float,
    ) -> Generator[Any, Any, None]:
        """A snapshot every ``interval_days`` from the start (the run stops before the one due at its end)."""
        while True:
            self.snapshot(env.now)
            if progress is not None:
                progress(min(1.0, env.now / end_day))
            yield env.timeout(interval_days)
