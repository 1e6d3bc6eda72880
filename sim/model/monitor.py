"""The timeline: open cases, unallocated queues and utilisation, snapshot by region at a fixed interval.

Open cases are issued and not yet disposed (the published 'outstanding cases'); cases in pre-proceedings are
counted apart. Utilisation is the share of a team's slots at its average caseload, or of a court's sitting
hours, used since the last snapshot: a team stretched above its average caseload is above 1. The caseload per
worker is the mean work held per full-time-equivalent worker since the last snapshot, to set against the
published average caseload.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
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


def monitor(
    env: simpy.Environment,
    interval_days: float,
    counts: OpenCounts,
    teams: Teams,
    court: Court,
    recorder: Recorder,
    progress: Callable[[float], None] | None,
    end_day: float,
) -> Generator[Any, Any, None]:
    """Snapshot open cases, queues and utilisation every ``interval_days``, by region."""
    code = {name: i for i, name in enumerate(recorder.labels.measures)}
    team_rows = [
        (
            code[f"unallocated:{kind}"],
            code[f"utilisation:{kind}"],
            code[f"caseload_per_worker:{kind}"],
            teams.by_kind[kind],
        )
        for kind in TEAM_KINDS
    ]
    open_codes = [code[f"open_cases:{c}"] for c in CASE_TYPES]
    tier_codes = [code[f"utilisation:court:{t}"] for t in court.tiers]
    regions = range(len(counts.children))
    last_busy = {(k, r): 0.0 for k in range(len(team_rows)) for r in regions}
    last_day = 0.0
    record = recorder.snapshot
    while True:
        now = env.now
        for r in regions:
            for c, measure in enumerate(open_codes):
                record(now, measure, r, counts.by_case_type[c][r])
            record(now, code["open_children"], r, counts.children[r])
            record(now, code["pre_proceedings_cases"], r, counts.pre_proceedings[r])
            for k, (unallocated, utilisation, caseload, members) in enumerate(team_rows):
                team = members[r]
                team.update_areas()
                record(now, unallocated, r, team.unallocated)
                if now > last_day:
                    busy = (team.busy_area - last_busy[k, r]) / (now - last_day)
                    record(now, utilisation, r, busy / team.slots if team.slots else math.nan)
                    record(now, caseload, r, busy / team.workers if team.workers else math.nan)
                last_busy[k, r] = team.busy_area
            if now > last_day:
                used_all = available_all = 0.0
                for t, measure in enumerate(tier_codes):
                    used, available = court.used_and_available_hours(r, t, int(last_day), int(now))
                    used_all += used
                    available_all += available
                    record(now, measure, r, used / available if available else math.nan)
                record(now, code["utilisation:court"], r, used_all / available_all if available_all else math.nan)
        recorder.timeline.maybe_flush()
        if progress is not None:
            progress(min(1.0, now / end_day))
        last_day = now
        yield env.timeout(interval_days)
