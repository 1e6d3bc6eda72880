"""The agenda's tables: the present model's children, stages and timeline tables, written from the columns with the
project's own ``Recorder`` columns and Parquet writer (:mod:`sim.model.records`).

A stage row is appended as arrays when a step ends; a case's child rows when it closes in the results period (or is
open at the end); rows of cases that began and ended in the warm-up are counted, not stored, as the present model
counts them, so the run's conservation check (:func:`sim.model.run_stats.check_conservation`) holds here too.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.model.agenda.monitor import AgendaMonitor
from sim.model.agenda.operations import COURT_WORK, PATHFINDER, PATHWAY_OF_TYPE, TEAM_WORK, WORK_DONE
from sim.model.columns import age_to_the_day
from sim.model.monitor import measure_names
from sim.model.random_streams import RETURNED_FROM_BEFORE
from sim.model.records import CASE_FIELDS, Labels, Recorder
from sim.vocabulary import AGENCIES, COURT, DAYS_PER_YEAR, STATUS_DISPOSED, STATUS_OPEN, STATUSES

HELD, DROPPED, WRITTEN = 0, 1, 2
"""What becomes of a case's stage rows: held while it is open, dropped if it closed in the warm-up, else written."""

if TYPE_CHECKING:  # the columns' part of the replication, which imports this module
    from sim.model.agenda.case_rows import CaseRows as AgendaReplication


class AgendaRecords:
    """The tables of one replication, from the columns of ``model``, into ``folder``."""

    STAGE_CHUNK = 200_000

    def __init__(self, model: AgendaReplication, folder: Path) -> None:
        scenario = model.scenario
        self.model = model
        labels = Labels(scenario, model.outcome_names, measure_names(list(scenario.courts.tiers)))
        self.recorder = Recorder(folder, scenario, labels, model.replication, open_case_ids=())
        self.labels = labels
        self.monitor = AgendaMonitor(model, self.recorder, labels.measures)
        self.results_start = scenario.results_start_day
        self.stored_from = scenario.results_start_day if self.recorder.in_warm_up else -math.inf
        """Cases closed before this are counted, not stored: the results start, unless the scenario keeps the
        warm-up's rows (``starting_state.keep_warm_up_rows``), as the event model's recorder does."""
        self._stages: list[np.ndarray] = []
        self._stage_rows = 0
        self._held = np.empty((0, 7))
        self._fate = np.zeros(0, dtype=np.int8)
        """By case number: whether its stage rows are still held (open), dropped (it closed in the warm-up) or
        written (it closed in the results period); stage rows carry the case's number, so rows reused by new cases
        never need the held rows settled."""
        self._stages_out: list[np.ndarray] = []
        self._stages_out_rows = 0
        self._closed: list[tuple[np.ndarray, int, np.ndarray]] = []
        self._closed_children = 0
        self._children_out: list[list[np.ndarray]] = []
        self._children_out_rows = 0

    def settle(self) -> None:
        """Take every closed case's child rows out of the model's columns (written once a chunk is full), so that
        their rows can be reused. (Stage rows carry the case's number, not its row: they wait for a full chunk.)"""
        self._flush_children()

    def stage(self, rows: np.ndarray, op: np.ndarray, requested, started, ended, notice, counted: bool = True) -> None:
        """Stage rows for ``rows`` whose step ``op`` ended; the case's days with each agency added up (unless not
        ``counted``: a review after the order is recorded, not counted)."""
        model, ops = self.model, self.model.ops
        agency = ops.a_agency[op]
        if counted:
            model.agency_wait[rows, agency] += started - requested  # a case ends at most one step at a time
            model.agency_active[rows, agency] += ended - started
            court = agency == COURT
            model.notice_court[rows[court]] += notice[court]
        case = model.seq[rows]
        block = np.column_stack([case, ops.a_stage[op], agency, requested, started, ended, notice]).astype(np.float64)
        self._stages.append(block)
        self._stage_rows += len(block)
        if self._stage_rows >= self.STAGE_CHUNK:
            self._flush_stages()

    def _flush_stages(self, final: bool = False) -> None:
        """Write the rows of cases that closed in the results period (or are open at the end); drop those of cases
        closed in the warm-up; hold the rest, as the present model's recorder does."""
        rows = np.concatenate([self._held, *self._stages]) if self._stages else self._held
        self._stages, self._stage_rows = [], 0
        case = rows[:, 0].astype(np.int64)
        fate = np.zeros(len(rows), dtype=np.int8)
        known = case < len(self._fate)
        fate[known] = self._fate[case[known]]
        if final or self.model.today >= self.stored_from:  # a case open now can no longer close in the warm-up
            write = fate != DROPPED
        else:
            write = fate == WRITTEN
        keep = (fate == HELD) & ~write
        self.recorder.warm_up_stage_rows += int((~write & ~keep).sum())
        if write.any():
            out = rows[write]
            self._stages_out.append(out)
            self._stages_out_rows += len(out)
        self._held = rows[keep]
        if self._stages_out and (final or self._stages_out_rows >= self.STAGE_CHUNK):
            out = np.concatenate(self._stages_out)
            self._stages_out, self._stages_out_rows = [], 0
            self.recorder.stages.write_columns([out[:, i] for i in range(7)])

    def closed(self, rows: np.ndarray, status: str) -> None:
        """Cases that ended now (``status``): child rows if in the results period."""
        model = self.model
        stored = model.end[rows] >= self.stored_from
        self._settle_fate(model.seq[rows], stored)
        if not stored.all():  # closed in the warm-up: counted, not stored
            warm = rows[~stored]
            self._count(self.recorder.warm_up_child_rows, warm, status)
            self.recorder.warm_up_cases += len(warm)
            rows = rows[stored]
        if not len(rows):
            return
        self._count(self.recorder.child_rows, rows, status)
        self._closed.append((rows, STATUSES.index(status), model.end[rows].copy()))
        self._closed_children += int(model.n_children[rows].sum())
        if self._closed_children + self._children_out_rows >= self.recorder.children.chunk_rows:
            self._flush_children()

    def _settle_fate(self, cases: np.ndarray, stored: np.ndarray) -> None:
        """Cases closed now: their stage rows will be written if ``stored`` (closed in the results period), else
        dropped."""
        if len(cases) and cases.max() >= len(self._fate):
            grown = np.zeros(max(2 * len(self._fate), int(cases.max()) + 1, 1024), dtype=np.int8)
            grown[: len(self._fate)] = self._fate
            self._fate = grown
        self._fate[cases] = np.where(stored, WRITTEN, DROPPED)

    def _count(self, counter: Counter[tuple[str, bool]], rows: np.ndarray, status: str) -> None:
        """Child rows of ``rows`` by (status, whether the case is a return), as the present model's recorder counts
        them for the conservation check."""
        model = self.model
        returning = model.is_return[rows] | (model.origin[rows] == RETURNED_FROM_BEFORE)
        children = model.n_children[rows]
        for ret in (False, True):
            n = int(children[returning == ret].sum())
            if n:
                counter[(status, ret)] += n

    def _flush_children(self, final: bool = False) -> None:
        """The child rows of the cases closed since the last call, from the columns; written once a chunk is full."""
        if self._closed:
            columns = self._child_rows()
            self._children_out.append(columns)
            self._children_out_rows += len(columns[0])
        if self._children_out and (final or self._children_out_rows >= self.recorder.children.chunk_rows):
            out = [np.concatenate(c) for c in zip(*self._children_out, strict=True)]
            self._children_out, self._children_out_rows = [], 0
            self.recorder.children.write_columns(out)

    def _child_rows(self) -> list[np.ndarray]:
        model = self.model
        rows = np.concatenate([c[0] for c in self._closed])
        status = np.concatenate([np.full(len(c[0]), c[1]) for c in self._closed]).astype(np.float64)
        now = np.concatenate([c[2] for c in self._closed])
        self._closed, self._closed_children = [], 0
        issued = ~np.isnan(model.issue[rows])
        issue = model.issue[rows]
        open_ = status == STATUSES.index(STATUS_OPEN)
        in_proceedings = now - issue
        disposed = status == STATUSES.index(STATUS_DISPOSED)
        case_type = model.case_type[rows]
        la_offset = np.asarray(self.labels.la_offset)
        fields = {
            "case_id": model.seq[rows].astype(np.float64),
            "case_type": case_type,
            "pathway": np.where(model.pathfinder[rows], PATHFINDER, np.asarray(PATHWAY_OF_TYPE)[case_type]),
            "region": model.region[rows],
            "local_authority": la_offset[model.region[rows]] + model.local_authority[rows],
            "court_centre": model.centre[rows],
            "domestic_abuse": model.da[rows],
            "is_return": model.is_return[rows] | (model.origin[rows] == RETURNED_FROM_BEFORE),
            "warm_up": np.where(model.entry[rows] > 0, 0.0, model.arrival[rows]) < self.results_start,
            "from_open_caseload": model.entry[rows] > 0,
            "status": status,
            "arrival_date": model.arrival[rows],
            "start_date": np.where(issued, issue, model.arrival[rows]),
            "end_date": np.where(open_, np.nan, now),
            "days_to_first_hearing": model.first_hearing[rows] - issue,
            "days_to_first_disposal": model.first_disposal[rows] - issue,  # NaN while none
            "days_to_disposal": np.where(disposed, in_proceedings, np.nan),
            "days_in_proceedings": in_proceedings,
            **{f"wait_{a}_days": model.agency_wait[rows, i] for i, a in enumerate(AGENCIES)},
            **{f"active_{a}_days": model.agency_active[rows, i] for i, a in enumerate(AGENCIES)},
            "notice_court_days": model.notice_court[rows],
            "days_before_run": np.where(model.entry[rows] > 0, -issue, 0.0),
            "pre_proceedings_days": model.pre_proceedings[rows],
            "hearings": model.hearings[rows],
            "adjournments": model.adjournments[rows],
            "vacated": model.vacated[rows],
            "displaced": model.displaced[rows],
            "outcome": np.where(disposed, model.outcome[rows], -1),
        }
        n = model.n_children[rows]
        case_row = np.repeat(np.arange(len(rows)), n)
        k = np.arange(len(case_row)) - np.repeat(np.cumsum(n) - n, n)  # each child's place among its siblings
        kid_rows = rows[case_row]
        column = {name: np.asarray(fields[name], dtype=np.float64)[case_row] for name in CASE_FIELDS}
        age = age_to_the_day((column["start_date"] - model.birth[kid_rows, k]) / DAYS_PER_YEAR)
        bounds = np.asarray(self.labels.age_band_bounds)
        column["age_at_start_years"] = age
        column["age_band"] = np.minimum(np.searchsorted(bounds, age, side="right"), len(bounds) - 1).astype(float)
        column["child_id"] = (model.first_child[kid_rows] + k).astype(np.float64)
        column["case_number"] = (model.returns[kid_rows] + 1).astype(np.float64)
        return [column[name] for name in self.recorder._output]

    def close(self, end_day: float) -> None:
        """The run's end: the last snapshot, open cases' child rows, every stage row still held, the files closed."""
        self.monitor.snapshot(end_day)  # the state at the end, which the interval may not land on
        model = self.model
        n = model.n
        open_rows = np.flatnonzero((model.arrival[:n] < end_day) & np.isnan(model.end[:n]))
        open_rows = open_rows[np.argsort(model.seq[open_rows], kind="stable")]  # in the order the cases came
        issued = open_rows[~np.isnan(model.issue[open_rows])]  # an issued case's stage under way counts so far
        op = model.route[issued, model.pos[issued]]
        agency = model.ops.a_agency[op]
        issued, op, agency = issued[agency >= 0], op[agency >= 0], agency[agency >= 0]
        working = np.isin(model.ops.a_type[op], (TEAM_WORK, COURT_WORK)) & (model.kind[issued] == WORK_DONE)
        requested, started = model.stage_requested[issued], model.stage_started[issued]
        model.agency_wait[issued, agency] += np.where(working, started, end_day) - requested
        model.agency_active[issued, agency] += np.where(working, end_day - started, 0.0)
        begun = model.notice_from[issued]  # its notice so far, the listing under way's too (in_progress_notice_days)
        elapsed = np.minimum(np.maximum(end_day, begun), model.notice_until[issued]) - begun
        model.notice_court[issued] += model.stage_notice[issued] + np.where(np.isnan(begun), 0.0, elapsed)
        if len(open_rows):
            self._count(self.recorder.child_rows, open_rows, STATUS_OPEN)
            self._closed.append((open_rows, STATUSES.index(STATUS_OPEN), np.full(len(open_rows), end_day)))
        self._flush_children(final=True)
        self._flush_stages(final=True)
        self.recorder.children.close()
        self.recorder.stages.close()
        self.recorder.timeline.close()
