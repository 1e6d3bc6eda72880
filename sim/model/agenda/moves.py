"""A day in the agenda: the rows due today moved on in batches, hearings taken off the list, hearings heard, work
finished and arrivals, then each team's allocation, in the order cases became ready.

A row runs its instant operations (issue, a release, a first disposal, a review) at once and stops at the next one
that takes time: a hearing to list, work for a team, the court's own work, or the order.
"""

from __future__ import annotations

import numpy as np

from sim.model.agenda.operations import (
    ALLOCATION,
    ARRIVE,
    CLOSED,
    COURT_WORK,
    DISPOSE,
    DIVERT,
    FIRST_DISPOSAL,
    HEARD,
    HEARING,
    IS_INSTANT,
    ISSUE,
    OFF_LIST,
    PRIVATE,
    QUEUED,
    RELEASE,
    REVIEW,
    TEAM_WORK,
    WORK_DONE,
)
from sim.model.agenda.teams import Started
from sim.model.random_streams import RETURNED_FROM_BEFORE
from sim.vocabulary import STATUS_DISPOSED, STATUS_DIVERTED, TEAM_KINDS


class Moves:
    """A day's step, team work and the order (a part of :class:`sim.model.agenda.replication.AgendaReplication`)."""

    def day(self, t: int) -> None:
        idx = self.due_today(t)
        self.min_due = t + 1  # rows due from now on are taken tomorrow at the soonest
        self._to_book: list[np.ndarray] = []
        self._to_team: list[np.ndarray] = []
        self._freed: dict[tuple[int, int], list[float]] = {}
        self._again: list[np.ndarray] = []
        self.today = t
        waking = self._wakes.pop(t, None)
        if waking:  # queued work whose allocation delay ends today
            self._poked |= waking
        if len(idx):
            kind = self.kind[idx]
            off = idx[kind == OFF_LIST]
            if len(off):
                self.taken_off(off)
            heard = idx[kind == HEARD]
            if len(heard):
                self.heard(heard, t)
            done = idx[kind == WORK_DONE]
            if len(done):
                self.work_done(done)
            new = idx[kind == ARRIVE]
            if len(new):
                if self.rec is not None:  # a new case is in pre-proceedings until issued; an open one at court
                    fresh = new[self.entry[new] == 0]
                    self.pre_proceedings_cases += np.bincount(self.region[fresh], minlength=self.n_regions)
                    if len(fresh) < len(new):
                        self._count_open(new[self.entry[new] > 0], 1)
                old_route = new[(self.case_type[new] == PRIVATE) & ~self.pathfinder[new]]
                self._old_route_open += np.bincount(self.region[old_route], minlength=self.n_regions)
                self._count_new(new)
                self.advance(new)
        self.allocate(t)
        while self._again:  # work that started and finished today
            again = self._taken(np.concatenate(self._again))
            self._again = []
            self.work_done(again)
            self.allocate(t)
        if self._to_book or self._to_cancel[0]:
            rows = np.concatenate(self._to_book) if self._to_book else np.empty(0, dtype=np.int64)
            self.list_hearings(rows, t)

    def _count_new(self, rows: np.ndarray) -> None:
        """Cases taken on their first day: new, returning to court, from before the run, or open at its start."""
        stats = self.run_stats
        children = self.n_children[rows]
        returning = self.is_return[rows]
        from_before = (self.origin[rows] == RETURNED_FROM_BEFORE) & ~returning  # its own returns are returns
        stats.cases_created += len(rows)
        stats.children_created += int(children[~returning].sum())  # a return's children were created with its case
        stats.returns_started += int(returning.sum())
        stats.returns_from_before_start += int(from_before.sum())
        stats.children_returning_from_before_start += int(children[from_before].sum())

    def _free_held(self, rows: np.ndarray) -> None:
        """Give back every slot a case keeps (it was withdrawn, or its order made)."""
        held = self.held[rows]
        for k in range(len(TEAM_KINDS)):
            mine = rows[(held >> k) & 1 == 1]
            if len(mine):
                self._slots_freed(np.full(len(mine), k), mine)
                self._team_children(np.full(len(mine), k), mine, -1)
        self.held[rows] = 0

    def _count_open(self, rows: np.ndarray, sign: int) -> None:
        """Cases that came to court (``sign`` 1) or closed there (-1), with their children."""
        region = self.region[rows]
        np.add.at(self.open_cases, (self.case_type[rows], region), sign)
        self.open_children += sign * np.bincount(region, weights=self.n_children[rows], minlength=self.n_regions)

    def _team_children(self, team: np.ndarray, rows: np.ndarray, sign: int) -> None:
        """Children in work a team took on (``sign`` 1) or gave back (-1)."""
        if self.rec is not None and len(rows):
            np.add.at(self.team_children, (team, self.region[rows]), sign * self.n_children[rows])

    def work_done(self, rows: np.ndarray) -> None:
        """Team work finished: its slot is freed, or kept to a later release (or the court's own work finished)."""
        op = self._op(rows)
        if self.rec is not None:
            self.rec.stage(
                rows, op, self.stage_requested[rows], self.stage_started[rows], self.ready[rows], np.zeros(len(rows))
            )
        keep = self.ops.a_keep[op]
        team = self.ops.a_team[op]
        back = ~keep & (team >= 0)  # the court's own work holds no team's slot
        freed = rows[back]
        if len(freed):
            self._team_children(team[back], freed, -1)
            free = back & ~self.freed_early[rows]  # work that finished the day it started was freed then
            if free.any():
                self._slots_freed(team[free], rows[free])
            self.freed_early[freed] = False
        kept = rows[keep]
        if len(kept):
            self.held[kept] |= 1 << team[keep]
        self.pos[rows] += 1
        self.advance(rows)

    def advance(self, rows: np.ndarray) -> None:
        """Rows at their route's next operation: instant ones run at once, then a hearing is asked for, a team
        asked, or the case ends."""
        ops = self.ops
        while len(rows):
            op = self._op(rows)
            kind = ops.a_type[op]
            instant = IS_INSTANT[kind]
            if instant.any():
                now = rows[instant]
                k = kind[instant]
                issue = now[k == ISSUE]
                self.issue[issue] = self.ready[issue]
                if self.rec is not None and len(issue):  # Replication.count_open
                    self._count_open(issue, 1)
                    self.pre_proceedings_cases -= np.bincount(self.region[issue], minlength=self.n_regions)
                if self.rec is not None:  # proceedings start: the account of agency days starts again
                    self.pre_proceedings[issue] = self.ready[issue] - self.arrival[issue]
                    self.agency_wait[issue] = self.agency_active[issue] = 0.0
                    self.notice_court[issue] = 0.0
                fd = now[k == FIRST_DISPOSAL]
                self.first_disposal[fd] = self.ready[fd]
                rel = now[k == RELEASE]
                if len(rel):
                    team = ops.a_team[op[instant][k == RELEASE]]
                    self._slots_freed(team, rel)
                    self._team_children(team, rel, -1)
                    self.held[rel] &= ~(1 << team)
                review = now[k == REVIEW]
                if len(review) and self.rec is not None:  # recorded with its duration; nobody waits for it
                    at = self.ready[review]
                    days = self.value[review, self.pos[review]]
                    self.rec.stage(review, op[instant][k == REVIEW], at, at, at + days, np.zeros(len(review)), False)
                self.pos[now] += 1
            waiting = rows[~instant]
            kind = kind[~instant]
            op = op[~instant]
            if self.rec is not None:
                asks = waiting[(kind == HEARING) | (kind == TEAM_WORK) | (kind == ALLOCATION) | (kind == COURT_WORK)]
                self.stage_requested[asks] = self.ready[asks]
                self.stage_notice[asks] = 0.0
            hearing = waiting[kind == HEARING]
            if len(hearing):
                h_op = op[kind == HEARING]
                col = self.pos[hearing]
                earliest = self.ready[hearing] + self.notice[hearing, col]
                fi = ops.a_from_issue[h_op]  # its notice runs from issue, never before now
                if fi.any():
                    r = hearing[fi]
                    earliest[fi] = np.maximum(self.ready[r], self.issue[r] + self.notice[r, col[fi]])
                booked = self.booked[hearing]
                before_run = ~np.isnan(booked)
                if before_run.any():  # an open case's hearing booked before the run: listed from that day
                    earliest[before_run] = booked[before_run]
                    self.booked[hearing[before_run]] = np.nan
                self.earliest[hearing] = earliest
                self._to_book.append(hearing)
            team = waiting[(kind == TEAM_WORK) | (kind == ALLOCATION)]
            if len(team):
                self.kind[team] = QUEUED  # not at work yet: at the run's end, waiting since it asked
                self._to_team.append(team)
            court = waiting[kind == COURT_WORK]
            self._start_work(court, self.ready[court])  # needs no capacity: it starts now
            ended = waiting[kind == DISPOSE]
            if len(ended):
                self._free_held(ended)
                self.dispose(ended, withdrawn=False)
            gone = waiting[kind == DIVERT]
            if len(gone):
                if self.rec is not None:
                    self.pre_proceedings_cases -= np.bincount(self.region[gone], minlength=self.n_regions)
                self.end[gone] = self.ready[gone]
                self.diverted[gone] = True
                self.run_stats.cases_diverted += len(gone)
                self.kind[gone] = CLOSED
                self.due[gone] = -1
                if self.rec is not None:
                    self.rec.closed(gone, STATUS_DIVERTED)
                self._closed(gone)
            rows = rows[instant]

    def dispose(self, rows: np.ndarray, withdrawn: bool) -> None:
        """The order is made (or the case withdrawn): the row closes; some children return later as a new case."""
        if self.rec is not None:  # every case disposed was issued
            self._count_open(rows, -1)
        old_route = rows[(self.case_type[rows] == PRIVATE) & ~self.pathfinder[rows]]
        if len(old_route):
            self._old_route_open -= np.bincount(self.region[old_route], minlength=self.n_regions)
        self.end[rows] = self.ready[rows]
        self.run_stats.cases_disposed += len(rows)
        self.kind[rows] = CLOSED
        self.due[rows] = -1
        fd = rows[np.isnan(self.first_disposal[rows])]
        self.first_disposal[fd] = self.ready[fd]
        if withdrawn:
            self.outcome[rows] = self.withdrawn_outcome
        if self.rec is not None:
            self.rec.closed(rows, STATUS_DISPOSED)
        self._closed(rows)
        if withdrawn:
            return
        back = rows[self.recur[rows]]
        if len(back):
            arrival = self.end[back] + self.recur_delay[back]
            keep = arrival < self.end_day
            self.run_stats.returns_pending_at_end += int((~keep).sum())
            back, arrival = back[keep], arrival[keep]
            for c in np.unique(self.case_type[back]).tolist():
                mine = self.case_type[back] == c
                self._return(c, arrival[mine], back[mine])

    def allocate(self, t: int) -> None:
        """Slots freed today go to the queue first come first served; then today's requests, in ready order; then
        work that has waited the allocation delay takes a stretched slot. Sequential per team. An allocation that
        starts a case on its next step may ask again or free a slot, so this repeats until nothing is left."""
        while self._to_team or self._freed or self._poked:
            requests = np.concatenate(self._to_team) if self._to_team else np.empty(0, dtype=np.int64)
            freed = self._freed
            for key in self._poked:
                freed.setdefault(key, [])
            self._to_team, self._freed, self._poked = [], {}, set()
            started_rows, started_at = self._allocate_once(t, requests, freed)
            if not started_rows:
                continue
            rows = np.array(started_rows, dtype=np.int64)
            start = np.array(started_at)
            op = self._op(rows)
            self._team_children(self.ops.a_team[op], rows, 1)
            alloc = self.ops.a_type[op] == ALLOCATION
            self._start_work(rows[~alloc], start[~alloc])
            held = rows[alloc]
            if self.rec is not None and len(held):
                self.rec.stage(
                    held, op[alloc], self.stage_requested[held], start[alloc], start[alloc], np.zeros(len(held))
                )
            if len(held):  # a guardian allocated stays with the case: the next step starts now
                self.held[held] |= 1 << self.ops.a_team[op[alloc]]
                self.ready[held] = start[alloc]
                self.pos[held] += 1
                self.advance(held)

    def _start_work(self, rows: np.ndarray, start: np.ndarray) -> None:
        """Work (a team's, or the court's own) that starts at ``start`` and takes its drawn duration: due back on the
        day it finishes. Work that finishes today (before the run's end) is taken again today, after the rows of
        today's step (``day``), so a slot it holds is freed today and a step that takes no time takes none."""
        if not len(rows):
            return
        finish = start + self.value[rows, self.pos[rows]]
        if self.rec is not None:
            self.stage_started[rows] = start
        self.ready[rows] = finish
        self.kind[rows] = WORK_DONE
        today = finish < min(self.today + 1, self.end_day)
        if today.any():
            again = rows[today]
            self.due[again] = self.today
            self.stamp_waits(again)
            self._again.append(again)
            rows, finish = rows[~today], finish[~today]
        if len(rows):
            self.schedule(rows, np.maximum(np.floor(finish), self.min_due))

    def _slots_freed(self, team: np.ndarray, rows: np.ndarray) -> None:
        """Slots of ``team`` freed by ``rows`` at their ready times, for today's allocation."""
        freed = self._freed
        for k, r, at in zip(team.tolist(), self.region[rows].tolist(), self.ready[rows].tolist(), strict=True):
            held = freed.get((k, r))
            if held is None:
                freed[(k, r)] = [at]
            else:
                held.append(at)

    def _allocate_once(
        self, t: int, requests: np.ndarray, freed: dict[tuple[int, int], list[float]]
    ) -> tuple[list[int], list[float]]:
        out = Started()
        horizon = min(t + 1, self.end_day)
        by_team: dict[int, list[tuple]] = {k * self.n_regions + r: [] for k, r in freed}
        if len(requests):
            requests = self.in_ready_order(requests)
            op = self._op(requests)
            work = self.ops.a_type[op] == TEAM_WORK  # an allocation (a guardian) holds its slot until released
            days = np.where(work, self.value[requests, self.pos[requests]], np.inf)
            frees = work & ~self.ops.a_keep[op]
            team_of = self.ops.a_team[op] * self.n_regions + self.region[requests]
            asks = zip(self.ready[requests].tolist(), requests.tolist(), days.tolist(), frees.tolist(), strict=True)
            for key, ask in zip(team_of.tolist(), asks, strict=True):
                by_team.setdefault(key, []).append(ask)
        for key in sorted(by_team):
            kind, r = divmod(key, self.n_regions)
            team = self.teams[kind][r]
            team.allocate_at(freed.get((kind, r), []), by_team[key], t, horizon, out)
            wake = team.wake_day()
            if wake is not None:
                self._wakes.setdefault(wake, set()).add((kind, r))
        if out.freed_early:
            self.freed_early[out.freed_early] = True
        return out.rows, out.at
