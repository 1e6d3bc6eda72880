"""The agenda's calls into the court's diaries, one day at a time, compiled with the court by mypyc.

Booking is the agenda's one sequential loop: every hearing asked for today is booked, and every listing taken off
the list today cancelled, in time order, through the present model's own ``ListingDiary``
(``sim.model.agencies.court``), so urgent hearings displace listed ones exactly as there. Each booking's fate is
decided as it is made, as ``StageSteps.hearing`` decides it; a listing taken off before the day ends is cancelled
then, and a vacated one relisted then, within this loop, so that an urgent hearing (relisted at no notice) can be
heard the day it was vacated, as in the present model. Compiled beside the court, each call is a native call; the
loop takes plain lists, as ``numpy.ndarray.tolist`` gives them.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

from sim.model.agencies.court import Listed, ListingDiary
from sim.model.pathways.steps import withdrawal_chance
from sim.vocabulary import WEEK_DAYS

STAYS_LISTED, WITHDRAWS, VACATES = 0, 1, 2
"""A booking's fate: it stays listed (to be heard on its day), the parties withdraw while it waits, or the court
vacates it before its day."""
CANCEL, RELIST = 0, 1
"""What the loop does at a time within the day, in this order at the same instant."""


class Bookings:
    """Today's hearings to book, in booking order: each one's diary, first day, hours, rank, whether urgent, when it
    is booked, its withdrawal hazard per week, its listing's withdraw and vacate draws, and its relist notice; the
    court's chance of vacating a listing; and where the draws of a listing after a relisting today come from."""

    def __init__(
        self,
        diary: list[int],
        first_day: list[int],
        hours: list[float],
        rank: list[int],
        urgent: list[bool],
        at: list[float],
        hazard: list[float],
        u_withdraw: list[float],
        u_vacate: list[float],
        relist_days: list[float],
        vacate: float,
        next_listing: Callable[[int], tuple[float, float]],
    ) -> None:
        self.diary = diary
        self.first_day = first_day
        self.hours = hours
        self.rank = rank
        self.urgent = urgent
        self.at = at
        self.hazard = hazard
        self.u_withdraw = u_withdraw
        self.u_vacate = u_vacate
        self.relist_days = relist_days
        self.vacate = vacate
        self.next_listing = next_listing
        """Called with a booking's index when it is relisted today: its next listing's (withdraw, vacate) draws."""
        n = len(diary)
        self.listed: list[Listed | None] = [None] * n
        """Each booking's last listing today, and what became of it:"""
        self.day = [0] * n
        self.fate = [STAYS_LISTED] * n
        self.off_at = [0.0] * n
        """when it is taken off the list (if it is);"""
        self.listed_at = list(at)
        self.listed_first_day = list(first_day)
        """when it was listed, from which first day;"""
        self.taken_off_today: list[int] = []
        """the bookings whose last listing was taken off today already (withdrawn: the case closes tomorrow's step);"""
        self.relisted = [0] * n
        """and for a booking vacated and relisted today: how often, the notice that passed on the listings taken off,
        and how often the court moved or vacated those listings (for urgent work, or when its hours fell)."""
        self.notice_days = [0.0] * n
        self.displaced = [0] * n
        self.court_vacated = [0] * n
        self.relists = 0
        """Relistings today, all bookings together."""


def book_hearings(
    diaries: list[ListingDiary],
    off_diary: list[int],
    off_listed: list[Listed],
    off_at: list[float],
    b: Bookings,
    today: int,
    tolerance_days: float,
) -> None:
    """Book each hearing of ``b`` in turn in its diary from its first day, and take off the list each listing
    vacated or withdrawn today, all in time order, as the present model books and cancels them as they happen: hours
    freed at noon serve a booking made in the afternoon, not one made in the morning.

    Cancellations come from before today's step (``off_diary``, ``off_listed`` at ``off_at``, sorted; one from
    before today, or at the same instant as a booking, first) and from today's own bookings. A booking's listing
    taken off before the day ends is cancelled then; if the court vacated it, it is relisted then, after its relist
    notice (``tolerance_days``: the ``ListingDiary`` rounding of a first day). What became of each booking is left in
    ``b``."""
    today_off: list[tuple[float, int, int, int, Listed | None]] = []  # a heap: (time, what, order, booking, listing)
    horizon = float(today + 1)
    order = 0
    j = 0
    n_off = len(off_diary)
    i = 0
    n = len(b.diary)
    while i < n or today_off:
        now = b.at[i] if i < n else math.inf
        if j == n_off and not today_off:  # nothing to take off first (most bookings): book it
            order = _book(
                diaries, b, i, now, b.first_day[i], b.u_withdraw[i], b.u_vacate[i], today, horizon, today_off, order
            )
            i += 1
            continue
        due = j < n_off and (off_at[j] <= now or off_at[j] < today)
        if due and (not today_off or off_at[j] <= today_off[0][0]):
            diaries[off_diary[j]].cancel(off_listed[j])
            j += 1
        elif today_off and today_off[0][0] <= now:
            at, what, _, k, x = heapq.heappop(today_off)
            if what == CANCEL and x is not None:
                diaries[b.diary[k]].cancel(x)
                if b.fate[k] == VACATES:  # the listing ends here: the court's moves of it count to its case
                    b.displaced[k] += x.displaced
                    b.court_vacated[k] += x.vacated
            else:
                first = max(math.ceil(at + b.relist_days[k] - tolerance_days), today)
                u_withdraw, u_vacate = b.next_listing(k)
                b.listed_at[k] = at
                b.listed_first_day[k] = first
                order = _book(diaries, b, k, at, first, u_withdraw, u_vacate, today, horizon, today_off, order)
        else:
            u_withdraw, u_vacate = b.u_withdraw[i], b.u_vacate[i]
            order = _book(diaries, b, i, now, b.first_day[i], u_withdraw, u_vacate, today, horizon, today_off, order)
            i += 1
    while j < n_off:
        diaries[off_diary[j]].cancel(off_listed[j])
        j += 1


def _book(
    diaries: list[ListingDiary],
    b: Bookings,
    k: int,
    now: float,
    first: int,
    u_withdraw: float,
    u_vacate: float,
    today: int,
    horizon: float,
    today_off: list[tuple[float, int, int, int, Listed | None]],
    order: int,
) -> int:
    """List booking ``k`` at ``now`` from day ``first`` and decide its fate (``StageSteps.hearing``: withdrawn
    while the list is full, or vacated, at a time drawn between now and its day); one taken off before the day ends
    is put on today's heap, to be cancelled then and, if vacated, relisted. Returns the heap's next order number."""
    got = diaries[b.diary[k]].list_hearing(first, b.hours[k], b.rank[k], today, b.urgent[k])
    day = got.day
    fate = STAYS_LISTED
    when = 0.0
    hazard = b.hazard[k]
    # the chance, 1 - exp(-x) for x = hazard x weeks waited, is below x: a draw above x needs no exp
    if day > first and hazard > 0.0 and u_withdraw < hazard * (day - first) / WEEK_DAYS:
        chance = withdrawal_chance(hazard, day - first)
        if u_withdraw < chance:
            fate = WITHDRAWS
            when = u_withdraw / chance
    if fate == STAYS_LISTED and u_vacate < b.vacate:
        fate = VACATES
        when = u_vacate / b.vacate
    off = now + when * (day - now)
    b.listed[k] = got
    b.day[k] = day
    b.fate[k] = fate
    b.off_at[k] = off
    if fate == STAYS_LISTED or off >= horizon:
        return order
    heapq.heappush(today_off, (off, CANCEL, order, k, got))
    if fate == WITHDRAWS:
        b.taken_off_today.append(k)
        return order + 1
    # vacated today: relisted today, once the listing is off; its notice so far and the court's moves count
    b.relisted[k] += 1
    b.relists += 1
    b.notice_days[k] += min(off, max(now, float(first))) - now
    heapq.heappush(today_off, (off, RELIST, order + 1, k, None))
    return order + 2


def days_of(listed: list[Listed]) -> list[int]:
    """The day each listed hearing is on now (the court may have moved it for urgent work)."""
    return [x.day for x in listed]


def moves_of(listed: list[Listed]) -> tuple[list[int], list[int]]:
    """How often the court moved each listed hearing for urgent work, and vacated it when its hours fell."""
    return [x.displaced for x in listed], [x.vacated for x in listed]


def load_shares(diaries: list[ListingDiary], diary: list[int], days: list[int]) -> list[float]:
    """Each hearing's diary's booked share of its day's hours, on the day it was heard."""
    return [diaries[diary[i]].load_share(days[i]) for i in range(len(diary))]
