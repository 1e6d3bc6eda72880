"""The agenda's cases as rows of preallocated numpy columns: created in batches with their whole route fixed,
due on a day, and reused once closed.

When a batch of cases is created, every decision and duration is read from each case's own tape, at the places the
present model reads, and the case's route fixed as a row of operations (:mod:`sim.model.agenda.route_plans`). A row
is due on one day at a time, kept in a bucket per day. At each month's start the rows of cases closed since the last
are settled (their records taken out) and reused by the month's new cases, so the columns hold the open cases and
the month ahead, not every case simulated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sim.model.agenda.operations import (
    ARRIVE,
    INHERITED,
    PATHFINDER_ROUTE,
    PRIVATE,
    PUBLIC,
    place,
)
from sim.model.agenda.tapes import AGE, LISTING_PLACES, Routes, Tape, quantiles
from sim.model.random_streams import ARRIVED
from sim.vocabulary import AGENCIES, DAYS_PER_YEAR

FIRST_CAPACITY = 1024
"""Rows laid out at first when closed rows are recycled; the columns double when a month's new cases need more."""
ROUTE_COLUMNS = 24
"""Route positions laid out at first; a batch whose longest route needs more widens every route column."""
MAX_CHILDREN = 8
"""Columns kept for each case's children's birth days (the scenario's largest family must fit)."""
SET_BY_CREATE = frozenset(
    ("seq", "stamp", "case_type", "origin", "serial", "returns", "region", "kind", "ready", "due", "da")
    + ("local_authority", "n_children", "centre", "outcome", "recur", "recur_delay", "listing_draws", "pos")
    + ("entry", "booked")
)
"""Columns every new case's row is given in full by ``create``: a recycled row's old values there need no reset. (Its
arrival is reset: a free row must not look like a case open at the end.)"""
WRITTEN_BEFORE_READ = frozenset(
    ("pathfinder", "first_child", "birth", "route", "value", "notice")  # set by create for what a case reads
    + ("earliest", "listed_day", "withdrawing", "adjourn_draw", "stage_requested", "stage_started")  # set at a step
    # back to their fill before a case closes (its listing ended or taken off, slots freed)
    + ("listed", "held", "freed_early", "off_listed")
)
"""Columns a case writes before it reads them, or leaves at their fill when it closes: with :data:`SET_BY_CREATE`,
what a freed row keeps (its route beyond a new case's own end is never read). The rest are reset, the counts and
accounts that add up along a case's journey above all; ``tests/test_agenda.py`` holds a run that reuses rows to
the same tables as one that does not."""


class CaseRows:
    """The columns of :class:`sim.model.agenda.replication.AgendaReplication` and the rows' life: created, due,
    taken, closed and reused (a part of that class)."""

    count_closed: Callable[[Any, np.ndarray], None] | None = None
    """Called with the replication and the rows of cases closed since the last month's start, before the rows are
    reused (the benchmark's figures are counted so)."""

    COLUMNS = {
        "seq": (np.int64, -1),
        "stamp": (np.int64, -1),  # when the row's present wait was scheduled, in order: SimPy's order for a tie
        "listed": (object, None),  # the diary's own record of the hearing a row waits for
        "case_type": (np.int64, 0),
        "origin": (np.int64, ARRIVED),
        "serial": (np.int64, 0),
        "returns": (np.int64, 0),
        "arrival": (np.float64, np.nan),
        "issue": (np.float64, np.nan),
        "region": (np.int64, 0),
        "centre": (np.int64, 0),
        "local_authority": (np.int64, 0),
        "da": (np.int64, 0),
        "pathfinder": (np.bool_, False),
        "n_children": (np.int64, 0),
        "is_return": (np.bool_, False),
        "outcome": (np.int64, 0),
        "recur": (np.bool_, False),
        "recur_delay": (np.float64, 0.0),
        "pos": (np.int64, 0),
        "kind": (np.int64, ARRIVE),
        "due": (np.int64, -1),
        "ready": (np.float64, 0.0),
        "earliest": (np.float64, 0.0),
        "listed_day": (np.int64, 0),
        "withdrawing": (np.bool_, False),
        "off_listed": (np.bool_, False),  # taken off the list already, in the booking loop of the day it was booked
        "listings": (np.int64, 0),
        "adjourn_draw": (np.float64, 1.0),
        "held": (np.int64, 0),
        "end": (np.float64, np.nan),
        "diverted": (np.bool_, False),
        "first_hearing": (np.float64, np.nan),
        "first_disposal": (np.float64, np.nan),
        "hearings": (np.int64, 0),
        "adjournments": (np.int64, 0),
        "vacated": (np.int64, 0),
        "displaced": (np.int64, 0),
        "first_child": (np.int64, 0),
        "stage_requested": (np.float64, np.nan),
        "stage_started": (np.float64, np.nan),
        "stage_notice": (np.float64, 0.0),
        "notice_from": (np.float64, np.nan),  # the listing under way: listed then, no hearing before notice_until
        "notice_until": (np.float64, np.nan),
        "notice_court": (np.float64, 0.0),
        "pre_proceedings": (np.float64, 0.0),
        "freed_early": (np.bool_, False),  # team work finishing the day it started: its team freed the slot then
        "entry": (np.int64, 0),  # the stage an open case of the starting state began at (0: a new case)
        "booked": (np.float64, np.nan),  # the day an open case's next hearing was booked for before the run
    }

    BLOCKS = {
        "route": (None, np.int64, -1),  # None: as wide as the longest route
        "value": (None, np.float64, 0.0),
        "notice": (None, np.float64, 0.0),
        "listing_draws": (len(LISTING_PLACES), np.float64, 0.0),
        "agency_wait": (len(AGENCIES), np.float64, 0.0),
        "agency_active": (len(AGENCIES), np.float64, 0.0),
        "birth": (MAX_CHILDREN, np.float64, np.nan),
    }

    def _allocate_columns(self, capacity: int, width: int = 1) -> None:
        old = self.capacity
        for name, (dtype, fill) in self.COLUMNS.items():
            column = np.full(capacity, fill, dtype=dtype)
            if old:
                column[:old] = getattr(self, name)
            setattr(self, name, column)
        width = max(width, getattr(self, "width", 1))
        for name, (cols, dtype, fill) in self.BLOCKS.items():
            block = np.full((capacity, width if cols is None else cols), fill, dtype=dtype)
            if old:
                was = getattr(self, name)
                block[:old, : was.shape[1]] = was
            setattr(self, name, block)
        self.width = width
        self.capacity = capacity

    def create(
        self,
        case_type: int,
        arrival: np.ndarray,
        region: np.ndarray,
        origin: np.ndarray,
        serial: np.ndarray,
        returns: np.ndarray,
        inherited: dict[str, np.ndarray] | None = None,
        seq: np.ndarray | None = None,
        entry: np.ndarray | None = None,
        booked: np.ndarray | None = None,
    ) -> None:
        """New rows for cases of one type, each known as the present model knows it (origin, serial, returns). A
        return takes what it ``inherited`` from the case it returns from (:data:`INHERITED`: centre, local authority,
        flag and children) and the number in creation order (``seq``) it was given when that case closed. Every
        decision and duration is read from the case's tape here, and the route fixed."""
        m = len(arrival)
        if m == 0:
            return
        entry = np.zeros(m, dtype=np.int64) if entry is None else entry
        raw = self.tapes[case_type].rows(origin, serial, returns)
        ids = np.stack([origin, np.full(m, case_type), serial, returns], axis=1)
        tape = Tape(raw, (self.seed, self.replication, case_type), ids)
        every = np.arange(m)
        width = self.width
        routes = Routes(m, max(width, ROUTE_COLUMNS), tape, self.dists)
        if inherited is None:
            da = raw[:, place("domestic_abuse")] < self.da_share[case_type]
        else:  # a return keeps its parent's flag
            da = inherited["da"].astype(bool)
        pathfinder = np.zeros(m, dtype=bool)
        if case_type == PRIVATE:  # Replication.pathway: the route in force in the region when a new case arrives
            pathfinder = (arrival >= self.pathfinder_from_day[region]) & (entry == 0)
            self._private_law(routes, every[~pathfinder], da, entry)
            if pathfinder.any():
                self._pathfinder(routes, every[pathfinder], da)
        elif case_type == PUBLIC:
            self._public_law(routes, every, entry)
        else:
            self._domestic_abuse(routes, every, tape, entry)
        used = int(routes.cursor.max())
        rows = self._take_rows(m, used)
        if seq is None:
            seq = self._next_seq + every
            self._next_seq += m
        self.seq[rows] = seq
        self.case_type[rows] = case_type
        self.origin[rows], self.serial[rows], self.returns[rows] = origin, serial, returns
        self.arrival[rows] = arrival
        self.region[rows] = region
        # due on its arrival's day; a return that comes back at once is taken tomorrow; an open case starts now
        starts = np.where(entry > 0, 0.0, arrival)
        self.schedule(rows, np.maximum(np.floor(starts), self.min_due))
        self.kind[rows] = ARRIVE
        self.ready[rows] = starts
        self.entry[rows] = entry
        self.booked[rows] = np.nan if booked is None else booked
        self.issue[rows[entry > 0]] = arrival[entry > 0]  # issued before the run, when it "arrived"
        if inherited is None:  # Replication.new_case: the flag, local authority, children, then the centre
            self.da[rows] = da
            self.local_authority[rows] = (
                raw[:, place("local_authority")] * self.local_authority_counts[region]
            ).astype(np.int64)
            sizes, cumulative = self.children_sizes[case_type], self.children_cumulative[case_type]
            pick = np.searchsorted(cumulative, raw[:, place("children")], side="right")
            self.n_children[rows] = sizes[np.minimum(pick, len(sizes) - 1)]
            centre = np.zeros(m, dtype=np.int64)
            u = raw[:, place("court_centre")]
            for r in np.unique(region).tolist():
                cum = self.centre_cumulative[r]
                if cum is not None:
                    mine = region == r
                    centre[mine] = np.minimum(np.searchsorted(cum, u[mine], side="right"), len(cum) - 1)
            self.centre[rows] = self.centre_offset[region] + centre
            if self.rec is not None:  # the children's ages, from their own places (Replication._new_children)
                n_kids = self.n_children[rows]
                self.first_child[rows] = self._next_child + np.cumsum(n_kids) - n_kids
                self._next_child += int(n_kids.sum())
                for k in range(int(n_kids.max())):
                    mine = np.flatnonzero(n_kids > k)
                    age = quantiles(self.age_dists[case_type], tape.next(AGE, mine))
                    self.birth[rows[mine], k] = starts[mine] - age * DAYS_PER_YEAR  # an open case's: at the start
        else:
            for name in INHERITED:
                getattr(self, name)[rows] = inherited[name]
            self.is_return[rows] = True
        # the order and whether the children come back (drawn at the order; the places are the case's own)
        self.pathfinder[rows] = pathfinder
        route = np.where(pathfinder, PATHFINDER_ROUTE, case_type)
        outcome = np.zeros(m, dtype=np.int64)
        for c in np.unique(route).tolist():
            mine = route == c
            cumulative = self.outcome_cumulative[c]
            at = np.searchsorted(cumulative, raw[mine, place("outcome")], side="right")
            outcome[mine] = np.minimum(at, len(cumulative) - 1)
        self.outcome[rows] = outcome
        recur = raw[:, place("recurrence")] < self.recurrence_share[route, outcome]
        self.recur[rows] = recur
        delays = np.zeros(m)
        for (c, code), dist in self.recurrence_delay.items():
            mine = recur & (outcome == code) & (route == c)
            if mine.any():
                delays[mine] = quantiles(dist, raw[mine, place("recurrence.delay_days")])
        self.recur_delay[rows] = delays
        self.route[rows, :used] = routes.op[:, :used]
        self.value[rows, :used] = routes.value[:, :used]
        self.notice[rows, :used] = routes.notice[:, :used]
        self.listing_draws[rows] = raw[:, LISTING_PLACES]
        self.pos[rows] = 0

    def _take_rows(self, m: int, used: int) -> np.ndarray:
        """Rows for ``m`` new cases whose longest route is ``used`` wide: recycled rows first, then new ones."""
        taken, self._free = self._free[:m], self._free[m:]
        extra = m - len(taken)
        if self.n + extra > self.capacity:
            self._allocate_columns(max(2 * self.capacity, self.n + extra), used)
        elif used > self.width:
            self._allocate_columns(self.capacity, used)
        new = np.arange(self.n, self.n + extra)
        self.n += extra
        return np.concatenate([taken, new]) if len(taken) else new

    def _closed(self, rows: np.ndarray) -> None:
        """Rows whose case closed today: reused after the records and figures have taken them (``recycle``)."""
        if self.recycling:
            self._closing.append(rows)

    def recycle(self) -> None:
        """Count the rows closed since the last call into the figures, settle their records, and free them: every
        column a new case reads before writing back to its fill, so it finds its row as a fresh one."""
        if not self._closing:
            return
        rows = np.concatenate(self._closing)
        self._closing = []
        if self.rec is not None:
            self.rec.settle()
        if self.count_closed is not None:
            self.count_closed(self, rows)
        if self._listing_beyond:
            for row in rows.tolist():
                self._listing_beyond.pop(row, None)
        for name, (_, fill) in self.COLUMNS.items():
            if name not in SET_BY_CREATE and name not in WRITTEN_BEFORE_READ:
                getattr(self, name)[rows] = fill
        for name, (_, _, fill) in self.BLOCKS.items():
            if name not in SET_BY_CREATE and name not in WRITTEN_BEFORE_READ:
                getattr(self, name)[rows] = fill
        self._free = np.concatenate([self._free, rows])

    def _op(self, rows: np.ndarray) -> np.ndarray:
        return self.route[rows, self.pos[rows]]

    def schedule(self, rows: np.ndarray, days: np.ndarray) -> None:
        """Rows due on ``days`` (the day's step finds them by their ``due`` column), stamped in the order given."""
        self.due[rows] = days
        self.stamp_waits(rows)

    def stamp_waits(self, rows: np.ndarray) -> None:
        """Rows that begin a wait now, in the order given: rows ready at the same instant move on in this order,
        as SimPy takes events at the same time in the order they were scheduled (the present model's order)."""
        n = len(rows)
        self.stamp[rows] = np.arange(self._next_stamp, self._next_stamp + n)
        self._next_stamp += n

    def due_on(self, t: int) -> np.ndarray:
        """Rows due on day ``t``, in row order. A scan of the rows held (the open cases and the month ahead, about
        64,000 in the national baseline) is cheaper than keeping a list of rows per day: that cost the baseline
        1.5 s of sorting and merging, the scan 0.2 s."""
        return np.flatnonzero(self.due[: self.n] == t)

    def due_today(self, t: int) -> np.ndarray:
        """Rows due today, in the order they became ready."""
        idx = self.due_on(t)
        if t + 1 > self.end_day:
            idx = idx[self.ready[idx] < self.end_day]
        return self._taken(idx)

    def _taken(self, rows: np.ndarray) -> np.ndarray:
        """Rows taken to be moved on, in the order they became ready (ties in the order their waits were scheduled,
        :meth:`stamp_waits`); due on no day from now, so a row that then waits in a team's queue is not a row left
        behind."""
        self.due[rows] = -1
        return self.in_ready_order(rows)

    def in_ready_order(self, rows: np.ndarray) -> np.ndarray:
        """``rows`` in the order they became ready, ties in the order their waits were scheduled."""
        return rows[np.lexsort((self.stamp[rows], self.ready[rows]))]
