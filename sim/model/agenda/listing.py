"""Hearings in the agenda: booked in the court's diaries in booking order (the one sequential loop), then decided in
a batch: withdrawn while waiting, vacated before the day, heard (adjourned or not), or moved later by urgent work.

Booking goes through the present model's own ``ListingDiary.list_hearing`` and ``cancel``
(``sim.model.agencies.court``), so urgent hearings displace listed ones exactly as there; a displaced case finds its
new day when its old one comes.
"""

from __future__ import annotations

from array import array

import numpy as np

from sim.model.agenda.booking import (
    STAYS_LISTED,
    VACATES,
    WITHDRAWS,
    Bookings,
    book_hearings,
    days_of,
    load_shares,
    moves_of,
)
from sim.model.agenda.operations import HEARD, OFF_LIST
from sim.model.agenda.tapes import LISTING_PURPOSES, LISTINGS_ON_TAPE
from sim.model.random_streams import Draws

LISTING_OFFSETS = np.array([0, LISTINGS_ON_TAPE, 2 * LISTINGS_ON_TAPE])
"""Where a listing's three draws (withdraw, vacate, adjourn) lie among a row's listing draws, from its number."""
NOTHING_TO_CANCEL: tuple[list[int], list, list[float]] = ([], [], [])
"""No listing taken off the list today: (diaries, listings, times), as ``taken_off`` leaves them for the booking
loop."""
LISTING_TOLERANCE_DAYS = 1e-9
"""A hearing's earliest day is the day its notice ends, less this, so a notice ending on a day's stroke lists that
day (as ``ListingDiary`` rounds)."""


class Listing:
    """Hearings booked, taken off the list and heard (a part of
    :class:`sim.model.agenda.replication.AgendaReplication`)."""

    def taken_off(self, rows: np.ndarray) -> None:
        """Hearings vacated, or withdrawn while waiting: the listing is cancelled (at its time, in today's booking
        loop); relist or dispose."""
        records = self.listed[rows].tolist()
        pending = np.flatnonzero(~self.off_listed[rows])  # not taken off already, the day it was booked
        self.off_listed[rows] = False
        order = pending[np.argsort(self.ready[rows[pending]], kind="stable")]  # when each is taken off
        self._to_cancel = (
            self._diary(rows[order]).tolist(),
            [records[i] for i in order.tolist()],
            self.ready[rows[order]].tolist(),
        )
        self._listing_ends(rows, records)
        if self.rec is not None:  # the notice that had passed when the listing was taken off
            self._notice_ends(rows, np.minimum(self.ready[rows], self.notice_until[rows]))
        withdrawing = self.withdrawing[rows]
        gone = rows[withdrawing]
        if len(gone):
            self.tallies["withdrawn"] += len(gone)
            if self.rec is not None:  # the stage closes when the parties withdraw
                now = self.ready[gone]
                self.rec.stage(gone, self._op(gone), self.stage_requested[gone], now, now, self.stage_notice[gone])
            self._free_held(gone)
            self.dispose(gone, withdrawn=True)
        again = rows[~withdrawing]
        if len(again):
            self.vacated[again] += 1
            self._relist(again)

    def _relist(self, rows: np.ndarray) -> None:
        """Hearings vacated or adjourned: listed again today, from the relist notice (the urgent one for urgent
        work) after the day they came off."""
        self.earliest[rows] = self.ready[rows] + self.relist[self.ops.a_urgent[self._op(rows)].astype(int)]
        self._to_book.append(rows)

    def _diary(self, rows: np.ndarray) -> np.ndarray:
        return self.centre[rows] * self.n_tiers + self.ops.a_tier[self._op(rows)]

    def _listing_ends(self, rows: np.ndarray, records: list) -> None:
        """Listings ending (heard, or taken off): the times the court moved each (for urgent work, or vacated it when
        its hours fell) count to its case, as ``PathwaySteps._listing_ends`` counts them (a move found while the
        listing is under way counts at its end)."""
        displaced, vacated = moves_of(records)
        self.displaced[rows] += displaced
        self.vacated[rows] += vacated
        self.listed[rows] = None

    def _notice_ends(self, rows: np.ndarray, until: np.ndarray) -> None:
        """Listings ending: the notice elapsed (from their listing to ``until``) joins their stage's
        (``Case.end_notice``)."""
        self.stage_notice[rows] += until - self.notice_from[rows]
        self.notice_from[rows] = np.nan

    def heard(self, rows: np.ndarray, t: int) -> None:
        """Hearings whose day was yesterday: one moved later by urgent work waits on; an adjourned one is relisted;
        the rest move on."""
        now_day = np.array(days_of(self.listed[rows].tolist()), dtype=np.int64)
        moved = now_day != self.listed_day[rows]
        if moved.any():
            later = rows[moved]
            self.listed_day[later] = now_day[moved]
            self.ready[later] = now_day[moved] + 1.0
            self.schedule(later, now_day[moved] + 1)
            rows = rows[~moved]
            if not len(rows):
                return
        self._listing_ends(rows, self.listed[rows].tolist())
        if self.rec is not None:  # heard on or after its earliest day: the whole notice counts
            self._notice_ends(rows, self.notice_until[rows])
        self.hearings[rows] += 1
        first = rows[np.isnan(self.first_hearing[rows])]
        self.first_hearing[first] = self.listed_day[first]
        p = np.full(len(rows), self.adjourn)
        if self.adjourn_at_full:
            load = load_shares(self.diaries, self._diary(rows).tolist(), self.listed_day[rows].tolist())
            p += self.adjourn_at_full * np.minimum(1.0, load)
            p = np.minimum(1.0, p)
        adjourned = self.adjourn_draw[rows] < p
        again = rows[adjourned]
        if len(again):
            self.tallies["adjourned"] += len(again)
            self.adjournments[again] += 1
            self._relist(again)
        on = rows[~adjourned]
        if len(on):
            if self.rec is not None:
                day = self.listed_day[on].astype(np.float64)
                self.rec.stage(on, self._op(on), self.stage_requested[on], day, day + 1.0, self.stage_notice[on])
            self.pos[on] += 1
            self.advance(on)

    def list_hearings(self, rows: np.ndarray, t: int) -> None:
        """Book every hearing asked for today, in booking order, and cancel those taken off the list today, in
        time order (the one sequential loop); then decide in a batch which bookings will be withdrawn or vacated
        before their day and which will be heard."""
        off, self._to_cancel = self._to_cancel, NOTHING_TO_CANCEL
        rows = self.in_ready_order(rows)
        m = len(rows)
        self.tallies["listings"] += m
        ops = self.ops
        op = self._op(rows)
        earliest_day = np.ceil(self.earliest[rows] - LISTING_TOLERANCE_DAYS).astype(np.int64)
        earliest_day = np.maximum(earliest_day, t)  # a row moved on a day late lists from today at the soonest
        u_w, u_v = self.listing(rows)
        urgent = ops.a_urgent[op]
        b = Bookings(
            (self.centre[rows] * self.n_tiers + ops.a_tier[op]).tolist(),
            earliest_day.tolist(),
            self.value[rows, self.pos[rows]].tolist(),
            ops.a_rank[op, self.da[rows]].tolist(),
            urgent.tolist(),
            self.ready[rows].tolist(),
            ops.a_withdrawal[op].tolist(),
            u_w.tolist(),
            u_v.tolist(),
            self.relist[urgent.astype(int)].tolist(),
            float(self.vacate),
            lambda k: self._next_listing(int(rows[k])),
        )
        book_hearings(self.diaries, *off, b, t, LISTING_TOLERANCE_DAYS)
        if not m:
            return
        listed = np.empty(m, dtype=object)
        listed[:] = b.listed
        self.listed[rows] = listed
        day = np.array(b.day, dtype=np.int64)
        self.listed_day[rows] = day
        fate = np.array(b.fate, dtype=np.int64)
        withdraws = fate == WITHDRAWS
        off = fate != STAYS_LISTED
        self.tallies["vacated"] += int((fate == VACATES).sum())
        if self.rec is not None:  # notice runs from the listing to its earliest day (``Case.give_notice``)
            listed_at, first_day = self.ready[rows], earliest_day  # as asked, unless relisted in the loop
            if b.relists:
                listed_at, first_day = np.array(b.listed_at), np.array(b.listed_first_day)
            self.notice_from[rows] = listed_at
            self.notice_until[rows] = np.maximum(listed_at, first_day)
        if b.relists:
            self._relisted_today(rows, np.array(b.relisted), b)
        off_time = np.array(b.off_at)
        self.off_listed[rows[b.taken_off_today]] = True
        self.ready[rows] = np.where(off, off_time, day + 1.0)
        self.schedule(rows, np.where(off, np.maximum(t + 1, np.floor(off_time)), day + 1))
        self.kind[rows] = np.where(off, OFF_LIST, HEARD)
        self.withdrawing[rows] = withdraws

    def _relisted_today(self, rows: np.ndarray, relisted: np.ndarray, b: Bookings) -> None:
        """Bookings vacated and relisted within today's loop: each vacate counts, with the court's moves of the
        listings taken off and the notice that passed on them."""
        again = np.flatnonzero(relisted)
        r = rows[again]
        n = relisted[again]
        self.tallies["vacated"] += int(n.sum())
        self.tallies["listings"] += int(n.sum())
        which = again.tolist()
        self.vacated[r] += n + np.array([b.court_vacated[k] for k in which])
        self.displaced[r] += np.array([b.displaced[k] for k in which])
        if self.rec is not None:
            self.stage_notice[r] += np.array([b.notice_days[k] for k in which])

    def _next_listing(self, row: int) -> tuple[float, float]:
        """A row relisted within today's booking loop: its next listing's draws (withdraw, vacate), as
        :meth:`listing` reads them, one row at a time (a numpy call per relisting cost more than the rest of it)."""
        n = int(self.listings[row])
        self.listings[row] = n + 1
        if n < LISTINGS_ON_TAPE:
            draws = self.listing_draws[row]
            withdraw, vacate, adjourn = (float(draws[n + k]) for k in LISTING_OFFSETS.tolist())
        else:
            withdraw, vacate, adjourn = self._listing_beyond_tape(row, n)
        self.adjourn_draw[row] = adjourn
        return withdraw, vacate

    def listing(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The draws of each row's next listing (``Draws.listing``), as (withdraw, vacate); the adjournment's draw
        is kept for the day it is heard."""
        n = self.listings[rows]
        self.listings[rows] = n + 1
        on_tape = n < LISTINGS_ON_TAPE
        if on_tape.all():
            u = self.listing_draws[rows[:, None], n[:, None] + LISTING_OFFSETS]
        else:
            u = np.empty((len(rows), 3))
            i = np.flatnonzero(on_tape)
            u[i] = self.listing_draws[rows[i, None], n[i, None] + LISTING_OFFSETS]
            beyond = np.flatnonzero(~on_tape)
            asked = zip(rows[beyond].tolist(), n[beyond].tolist(), strict=True)
            u[beyond] = [self._listing_beyond_tape(row, k) for row, k in asked]
        self.adjourn_draw[rows] = u[:, 2]
        return u[:, 0], u[:, 1]

    def _listing_beyond_tape(self, row: int, n: int) -> tuple[float, float, float]:
        """A listing past the tape's: from the case's own listings generator (``Draws._listing_beyond``)."""
        d = self._listing_beyond.get(row)
        if d is None:
            key = (self.origin[row], self.case_type[row], self.serial[row], self.returns[row])
            d = self._listing_beyond[row] = Draws(array("d"), (self.seed, self.replication, *map(int, key)))
        d.counts[LISTING_PURPOSES[1]] = n
        return d.listing()
