"""The agenda's timeline, as :class:`sim.model.monitor.Monitor` takes it, counted from the columns and the teams."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.agenda.operations import ARRIVE
from sim.vocabulary import CASE_TYPES, TEAM_KINDS

if TYPE_CHECKING:  # the columns' part of the replication, which imports this module
    from sim.model.agenda.case_rows import CaseRows as AgendaReplication


class AgendaMonitor:
    """The timeline as ``sim.model.monitor.Monitor`` takes it (every ``monitor_interval_days`` and at the end, the
    state at the end of the day before), counted from the columns and the teams: cases open at court (issued, not
    closed) by case type, their children, cases in pre-proceedings; each team's unallocated work, open work and
    its children, workers, utilisation and caseload per worker since the last snapshot; the court's utilisation
    by tier. A team's busy slots are added up once a day, after its allocation (the present model adds them up at
    every change)."""

    def __init__(self, model: AgendaReplication, recorder: Any, measures: list[str]) -> None:
        code = {name: i for i, name in enumerate(measures)}
        self.model, self.record = model, recorder.snapshot
        self.flush = recorder.timeline.maybe_flush
        self.open_codes = [code[f"open_cases:{c}"] for c in CASE_TYPES]
        self.children_code, self.pre_code = code["open_children"], code["pre_proceedings_cases"]
        self.team_codes = [
            [code[f"{m}:{k}"] for m in ("unallocated", "work_open", "children_open", "workers")] for k in TEAM_KINDS
        ]
        self.rate_codes = [(code[f"utilisation:{k}"], code[f"caseload_per_worker:{k}"]) for k in TEAM_KINDS]
        self.tier_codes = [code[f"utilisation:court:{t}"] for t in model.scenario.courts.tiers]
        self.court_code = code["utilisation:court"]
        self.busy_area = np.zeros((len(TEAM_KINDS), model.n_regions))
        self.last_area = self.busy_area.copy()
        self.last_day = 0.0

    def day_ended(self) -> None:
        """A day's busy slots, as they stand after its allocation."""
        self.busy_area += [[team.busy for team in teams] for teams in self.model.teams]

    def snapshot(self, now: float) -> None:
        m, record = self.model, self.record
        regions = m.n_regions
        open_cases, open_children, holders = m.open_cases, m.open_children, m.team_children
        pre = m.pre_proceedings_cases.copy()
        rows = m.due_on(int(now))  # arrived before now but taken today (a return that came back at once)
        late = rows[(m.kind[rows] == ARRIVE) & (m.arrival[rows] < now)]  # is in pre-proceedings already
        if len(late):
            pre += np.bincount(m.region[late], minlength=regions)
        elapsed = now - self.last_day
        for r in range(regions):
            for c, measure in enumerate(self.open_codes):
                record(now, measure, r, float(open_cases[c, r]))
            record(now, self.children_code, r, float(open_children[r]))
            record(now, self.pre_code, r, float(pre[r]))
            for k, teams in enumerate(m.teams):
                team = teams[r]
                queued = [ask[1] for ask in team.queue]
                children = float(holders[k, r] + m.n_children[queued].sum())
                unallocated, work_open, children_open, workers = self.team_codes[k]
                record(now, unallocated, r, float(len(queued)))
                record(now, work_open, r, float(team.busy + len(queued)))
                record(now, children_open, r, children)
                record(now, workers, r, team.workers)
                if elapsed > 0:
                    busy = (self.busy_area[k, r] - self.last_area[k, r]) / elapsed
                    utilisation, caseload = self.rate_codes[k]
                    record(now, utilisation, r, busy / team.slots if team.slots else math.nan)
                    record(now, caseload, r, busy / team.workers if team.workers else math.nan)
            if elapsed > 0:
                used_all = available_all = 0.0
                for t, measure in enumerate(self.tier_codes):
                    used, available = m.court.used_and_available_hours(r, t, int(self.last_day), int(now))
                    used_all += used
                    available_all += available
                    record(now, measure, r, used / available if available else math.nan)
                record(now, self.court_code, r, used_all / available_all if available_all else math.nan)
        self.last_area = self.busy_area.copy()
        self.last_day = now
        self.flush()
