"""The court's listing diary: judicial sitting hours by day, booked by hearings in priority order.

A hearing is listed on the first sitting day, on or after its notice period, with room left for it. Room
depends on rank: a hearing of rank r may fill a day only up to ``booking_limit_share_by_rank[r]`` of its
hours when booked more than ``release_days`` ahead, so the rest stays free for more urgent work; inside the
release window any hearing may take what is left. Booking is arithmetic on arrays, not a SimPy resource:
a case waits for its hearing with a single timeout.

Each hearing listed by the model is a :class:`Listed` held on its day, so the diary can move it: an urgent hearing
(a without-notice application) displaces lower-ranked work from a full day, and a cut in sitting hours vacates
what no longer fits. A moved hearing only ever goes later; the case, waking on its old day, sees the new one and
waits on, so the common path (a hearing never moved) stays one timeout.

Why this module is long: the diary's booking, its bookkeeping of who holds which hours and the two ways listed
work is moved (displacement, a cut in hours) share the same arrays and the same bounds on the room left in each
block of days; split, each would reach into the others' state.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Final

import numpy as np

from sim.model.agencies.court_capacity import CALENDAR_DAYS_COUNTED, region_tier_hours
from sim.scenario.schema import Courts, Scenario

BLOCK_DAYS: Final = 16
"""Days are grouped in blocks of this many, each with a bound on the room a hearing of each rank could find in it,
so a booking passes over weeks of full days a block at a time (:meth:`ListingDiary.book`)."""

DIARY_EXTENSION_DAYS: Final = 365
"""When a booking runs past the diary's end, the diary grows by a year at a time."""

MAX_LISTING_SEARCH_DAYS: Final = 20 * 365
"""A hearing that finds no room in twenty years means a diary without sitting hours: fail, don't loop."""

HOURS_TOLERANCE: Final = 1e-9
"""Booked hours are sums of floats: a day within this of its capacity is full, not overbooked."""


class Listed:
    """A hearing in a diary: its day, hours and rank, and how often the court moved it (the case reads these)."""

    __slots__ = ("day", "hours", "rank", "urgent", "displaced", "vacated")

    def __init__(self, day: int, hours: float, rank: int, urgent: bool) -> None:
        self.day = day
        self.hours = hours
        self.rank = rank
        self.urgent = urgent
        self.displaced = 0
        """Times moved off a full day to make room for an urgent hearing."""
        self.vacated = 0
        """Times vacated because sitting hours were cut below what was booked on its day."""


def _displacement_limit(max_displacements_per_listing: int | None) -> int | float:
    """The displacement limit as a number to compare with (no limit: infinity)."""
    return math.inf if max_displacements_per_listing is None else max_displacements_per_listing


def _day_of_year_key(date: dt.date) -> tuple[int, int]:
    return date.month, date.day


def sitting_shares(courts: Courts, first_date: dt.date, n_days: int) -> np.ndarray:
    """Share of normal sitting hours available on each day: 0 on non-sitting weekdays, less in recess."""
    dates = [first_date + dt.timedelta(days=d) for d in range(n_days)]
    shares = np.array([1.0 if d.weekday() in courts.sitting_weekdays else 0.0 for d in dates])
    for recess in courts.recess:
        start = tuple(int(x) for x in recess.start.split("-"))
        end = tuple(int(x) for x in recess.end.split("-"))
        for i, date in enumerate(dates):
            key = _day_of_year_key(date)
            inside = start <= key <= end if start <= end else (key >= start or key <= end)
            if inside:
                shares[i] = min(shares[i], recess.sitting_share)
    return shares


class Calendar:
    """Sitting shares by simulation day, grown on demand so a diary never runs off its end."""

    def __init__(self, courts: Courts, sim_start_date: dt.date, n_days: int) -> None:
        self._courts = courts
        self._start = sim_start_date
        self.shares: list[float] = sitting_shares(courts, sim_start_date, n_days).tolist()

    def extend_to(self, n_days: int) -> None:
        have = len(self.shares)
        if n_days > have:
            more = sitting_shares(self._courts, self._start + dt.timedelta(days=have), n_days - have)
            self.shares.extend(more.tolist())

    def change(self, courts: Courts, from_day: int) -> bool:
        """A policy changes sitting weekdays or recess: re-lay the calendar from ``from_day``; True if changed."""
        if (courts.sitting_weekdays, courts.recess) == (self._courts.sitting_weekdays, self._courts.recess):
            return False
        self._courts = courts
        from_day = max(0, from_day)
        n = len(self.shares) - from_day
        if n > 0:
            self.shares[from_day:] = sitting_shares(courts, self._start + dt.timedelta(days=from_day), n).tolist()
        return True


class ListingDiary:
    """One region's diary for one judge tier."""

    __slots__ = (
        "calendar",
        "hours_per_day",
        "capacity",
        "booked",
        "limit_share",
        "release_days",
        "relist_notice_days",
        "urgent_relist_notice_days",
        "max_displaced",
        "listed",
        "_kept_from",
        "_room_bounds",
    )

    def __init__(
        self,
        calendar: Calendar,
        hours_per_day: float,
        limit_share: list[float],
        release_days: float,
        relist_notice_days: float = 0.0,
        urgent_relist_notice_days: float = 0.0,
        max_displacements_per_listing: int | None = None,
    ) -> None:
        self.calendar = calendar
        self.hours_per_day = hours_per_day
        self.capacity: list[float] = [hours_per_day * s for s in calendar.shares]
        self.booked: list[float] = [0.0] * len(self.capacity)
        self.limit_share = list(limit_share)
        self.release_days = release_days
        self.relist_notice_days = relist_notice_days
        self.urgent_relist_notice_days = urgent_relist_notice_days
        self.max_displaced = _displacement_limit(max_displacements_per_listing)
        """A listing moved this often for urgent work keeps its day (``max_displacements_per_listing``)."""
        self.listed: dict[int, list[Listed]] = {}
        """Hearings listed through :meth:`list_hearing`, by day, in the order they were listed; past days dropped."""
        self._kept_from = 0
        blocks = -(-len(self.capacity) // BLOCK_DAYS)
        self._room_bounds: list[list[float]] = [[math.inf] * blocks for _ in self.limit_share]
        """For each rank and block of days, at least the most room a day of the block leaves a hearing of that rank
        booked past the release window (``capacity x limit - booked``; infinite for an empty sitting day, which
        takes any hearing): a block whose bound is below a hearing's hours holds no day for it. Bookings only lower
        the room, so a bound stays a bound; freed hours raise it (:meth:`_raise_bounds`); a block searched in vain
        gets its exact bound (:meth:`book`)."""

    def _grow(self, searching_from: int) -> None:
        n = len(self.capacity) + DIARY_EXTENSION_DAYS
        if n - searching_from > MAX_LISTING_SEARCH_DAYS:
            raise RuntimeError(
                f"no sitting day with room within {MAX_LISTING_SEARCH_DAYS} days of day {searching_from}: "
                f"this diary has {self.hours_per_day:g} sitting hours a day"
            )
        self.calendar.extend_to(n)
        start = len(self.capacity)
        self.capacity.extend(self.hours_per_day * s for s in self.calendar.shares[start:n])
        self.booked.extend([0.0] * (n - start))
        self._unbound_from(start)

    def _unbound_from(self, day: int) -> None:
        """Capacity changed (or days were added) from ``day``: no bound on its block and the later ones."""
        blocks = -(-len(self.capacity) // BLOCK_DAYS)
        first = max(0, day) // BLOCK_DAYS
        for bounds in self._room_bounds:
            del bounds[first:]
            bounds.extend([math.inf] * (blocks - first))

    def _raise_bounds(self, day: int) -> None:
        """``day`` has more room than before (hours freed): its block's bounds take it in."""
        c, b = self.capacity[day], self.booked[day]
        if c <= 0.0:
            return
        k = day // BLOCK_DAYS
        for bounds, limit in zip(self._room_bounds, self.limit_share, strict=True):
            room = math.inf if b == 0.0 else c * limit - b
            if room > bounds[k]:
                bounds[k] = room

    def _exact_bound(self, block: int, limit: float) -> float:
        """The most room a day of ``block`` leaves past the release window at this limit (-inf with no sitting)."""
        capacity, booked = self.capacity, self.booked
        most = -math.inf
        for d in range(block * BLOCK_DAYS, (block + 1) * BLOCK_DAYS):
            c = capacity[d]
            if c > 0.0:
                b = booked[d]
                if b == 0.0:
                    return math.inf
                room = c * limit - b
                if room > most:
                    most = room
        return most

    def book(self, earliest_day: int, hours: float, rank: int, today: int) -> int:
        """Book ``hours`` on the first day >= earliest_day with room for this rank; return the day.

        Inside the release window the days are tried one by one. Past it, a block of days whose bound on the room
        (:attr:`_room_bounds`) is below the hours is passed over whole, and a block tried day by day in vain
        gets its exact bound, so the next booking passes over it too: the day found is the one a search of every
        day would find, since a day is taken on the same test, ``hours <= room + 1e-9``, and that test fails for
        every day of a block when it fails for the block's bound.
        """
        capacity, booked = self.capacity, self.booked
        release_end = today + self.release_days
        d = earliest_day
        n = len(capacity)
        while d <= release_end:
            if d >= n:
                self._grow(earliest_day)
                n = len(capacity)
                continue
            c = capacity[d]
            if c > 0.0:
                b = booked[d]
                if hours <= (c - b) + 1e-9 or b == 0.0:
                    booked[d] = b + hours
                    return d
            d += 1
        limit = self.limit_share[rank]
        bounds = self._room_bounds[rank]
        while True:
            if d >= n:
                self._grow(earliest_day)
                n = len(capacity)
                continue
            block = d // BLOCK_DAYS
            if hours <= bounds[block] + 1e-9:
                end = min(n, (block + 1) * BLOCK_DAYS)
                while d < end:
                    c = capacity[d]
                    if c > 0.0:
                        b = booked[d]
                        if hours <= (c * limit - b) + 1e-9 or b == 0.0:
                            booked[d] = b + hours
                            return d
                    d += 1
                if end - block * BLOCK_DAYS == BLOCK_DAYS:
                    bounds[block] = self._exact_bound(block, limit)
            else:
                d = (block + 1) * BLOCK_DAYS

    def list_hearing(self, earliest_day: int, hours: float, rank: int, today: int, urgent: bool = False) -> Listed:
        """Book a hearing (as urgent work if ``urgent``) and hold it on its day so the court can move it later."""
        if today > self._kept_from:
            for day in range(self._kept_from, today):
                self.listed.pop(day, None)
            self._kept_from = today
        book = self.book_urgent if urgent else self.book
        day = book(earliest_day, hours, rank, today)
        listed = Listed(day, hours, rank, urgent)
        on_day = self.listed.get(day)  # :meth:`_hold`, inlined: this runs at every listing
        if on_day is None:
            self.listed[day] = [listed]
        else:
            on_day.append(listed)
        return listed

    def _hold(self, listed: Listed) -> None:
        on_day = self.listed.get(listed.day)
        if on_day is None:
            self.listed[listed.day] = [listed]
        else:
            on_day.append(listed)

    def cancel(self, listed: Listed) -> None:
        """A listed hearing is vacated before its day: it leaves the list and its hours are freed."""
        self.listed[listed.day].remove(listed)
        self.release(listed.day, listed.hours)

    def book_urgent(self, earliest_day: int, hours: float, rank: int, today: int) -> int:
        """Book urgent work on the first sitting day on or after ``earliest_day``, making room if the day is full.

        Urgent work may use all of a day's hours. On a full day, listed hearings of lower rank (a higher rank
        number) that are not urgent themselves are displaced, lowest rank and latest listed first, until the
        urgent hearing fits; each displaced hearing moves to the first day with room after this one. A hearing
        already moved :attr:`max_displaced` times keeps its day. A day where even that would not make room is
        passed over.
        """
        limit = self.max_displaced
        capacity, booked = self.capacity, self.booked
        d = earliest_day
        while True:
            while d >= len(capacity):
                self._grow(earliest_day)
            c = capacity[d]
            if c > 0.0:
                b = booked[d]
                if hours <= c - b + HOURS_TOLERANCE or b == 0.0:
                    booked[d] = b + hours
                    return d
                on_day = reversed(self.listed.get(d, ()))
                movable = [x for x in on_day if x.rank > rank and not x.urgent and x.displaced < limit]
                left = b - sum(x.hours for x in movable)
                if movable and (hours <= c - left + HOURS_TOLERANCE or left <= HOURS_TOLERANCE):
                    movable.sort(key=lambda x: x.rank, reverse=True)  # stable: latest listed first within a rank
                    moved = []
                    for x in movable:
                        if hours <= c - b + HOURS_TOLERANCE or b <= HOURS_TOLERANCE:
                            break
                        self.listed[d].remove(x)
                        b -= x.hours
                        moved.append(x)
                    booked[d] = (0.0 if b <= HOURS_TOLERANCE else b) + hours
                    self._raise_bounds(d)
                    for x in moved:
                        x.day = self.book(d + 1, x.hours, x.rank, today)
                        x.displaced += 1
                        self._hold(x)
                    return d
            d += 1

    def _vacate_excess(self, from_day: int) -> None:
        """Sitting hours fell from ``from_day``: vacate what no longer fits, lowest rank first, and relist it.

        A day keeps a lone hearing longer than its hours (as booking allows one on an empty day). A vacated
        hearing is relisted no sooner than its relist notice from ``from_day`` and never before its old day.
        """
        capacity, booked = self.capacity, self.booked
        vacated: list[Listed] = []
        for d in sorted(day for day in self.listed if day >= from_day):
            c, b = capacity[d], booked[d]
            if b <= c + HOURS_TOLERANCE:
                continue
            on_day = self.listed[d]
            for x in sorted(reversed(on_day), key=lambda x: x.rank, reverse=True):
                if b <= c + HOURS_TOLERANCE or (c > 0.0 and len(on_day) == 1):
                    break
                on_day.remove(x)
                b -= x.hours
                vacated.append(x)
            booked[d] = 0.0 if b <= HOURS_TOLERANCE else b
            self._raise_bounds(d)
        if not vacated:
            return
        for x in sorted(vacated, key=lambda x: (x.rank, x.day)):
            notice = self.urgent_relist_notice_days if x.urgent else self.relist_notice_days
            earliest = max(x.day + 1, math.ceil(from_day + notice))
            book = self.book_urgent if x.urgent else self.book
            x.day = book(earliest, x.hours, x.rank, from_day)
            x.vacated += 1
            self._hold(x)

    def load_share(self, day: int) -> float:
        """Share of a day's sitting hours booked (1 or more on a full day)."""
        c = self.capacity[day]
        return self.booked[day] / c if c > 0.0 else 1.0

    def release(self, day: int, hours: float) -> None:
        """Give back a vacated hearing's hours; earlier days may have room again."""
        self.booked[day] = max(0.0, self.booked[day] - hours)
        self._raise_bounds(day)

    def relay(self, from_day: int) -> None:
        """The calendar changed from ``from_day``: recompute capacity from it."""
        shares = self.calendar.shares
        for d in range(max(0, from_day), len(self.capacity)):
            self.capacity[d] = self.hours_per_day * shares[d]
        self._unbound_from(from_day)
        self._vacate_excess(from_day)

    def set_hours_per_day(self, hours_per_day: float, from_day: int) -> None:
        """A policy changes sitting hours from a date; listed hearings that no longer fit are vacated and relisted."""
        self.hours_per_day = hours_per_day
        shares = self.calendar.shares
        for d in range(max(0, from_day), len(self.capacity)):
            self.capacity[d] = hours_per_day * shares[d]
        self._unbound_from(from_day)
        self._vacate_excess(from_day)

    def set_listing(
        self, limit_share: list[float], release_days: float, from_day: int, max_displacements: int | None
    ) -> None:
        """New booking limits, release window or displacement limit; bounds computed at the old limits go (every
        day's, as simply)."""
        self.max_displaced = _displacement_limit(max_displacements)
        if list(limit_share) != self.limit_share:
            self.limit_share = list(limit_share)
            self._room_bounds = [[] for _ in self.limit_share]
            self._unbound_from(0)
        self.release_days = release_days

    def used_and_available_hours(self, first_day: int, last_day: int) -> tuple[float, float]:
        """Hours booked and hours available on days first_day..last_day-1 (for utilisation)."""
        last_day = min(last_day, len(self.capacity))
        return sum(self.booked[first_day:last_day]), sum(self.capacity[first_day:last_day])


class Court:
    """All listing diaries: one per region, court centre and judge tier (``diaries[region][centre][tier]``)."""

    def __init__(self, scenario: Scenario, horizon_days: int) -> None:
        self.tiers = list(scenario.courts.tiers)
        self.regions = list(scenario.regions)
        self.calendar = Calendar(scenario.courts, scenario.sim_start_date, horizon_days)
        self.centre_hours_shares = [region.court.centre_shares()[0] for region in scenario.regions.values()]
        courts = scenario.courts
        listing = courts.listing
        hours = self._hours(scenario, scenario.sim_start_date)  # the routes in force when the run starts
        self.old_route_held: dict[int, tuple[dt.date, float]] = {}
        """Regions that began Pathfinder while cases on the old route were open: the date they began it and the
        weight of the old route's split of hours still held for those cases (:meth:`hold_old_route`)."""
        self.diaries: list[list[list[ListingDiary]]] = [
            [
                [
                    ListingDiary(
                        self.calendar,
                        hours[r][t] * centre_share,
                        listing.booking_limit_share_by_rank,
                        listing.release_days,
                        courts.relist_notice_days,
                        courts.urgent_relist_notice_days,
                        listing.max_displacements_per_listing,
                    )
                    for t in range(len(self.tiers))
                ]
                for centre_share in self.centre_hours_shares[r]
            ]
            for r in range(len(self.regions))
        ]

    @staticmethod
    def _hours(scenario: Scenario, as_of: dt.date) -> list[list[float]]:
        """Hours per normal sitting day by [region][tier], by hand or derived from days sat (courts.capacity), with
        the demand-based shares as of ``as_of`` (a region that has begun Pathfinder needs no FHDRA)."""
        shares: list[float] = []
        if scenario.courts.capacity is not None:
            shares = sitting_shares(scenario.courts, scenario.sim_start_date, CALENDAR_DAYS_COUNTED).tolist()
        return region_tier_hours(scenario, shares, as_of)

    def apply(self, scenario: Scenario, from_day: int) -> None:
        """Bring sitting hours and listing rules in line with a new period's scenario."""
        courts = scenario.courts
        listing = courts.listing
        calendar_changed = self.calendar.change(courts, from_day)
        self.centre_hours_shares = [region.court.centre_shares()[0] for region in scenario.regions.values()]
        for diary in self._every_diary():
            diary.relist_notice_days = courts.relist_notice_days
            diary.urgent_relist_notice_days = courts.urgent_relist_notice_days
            if calendar_changed:
                diary.relay(from_day)
        self.follow_routes(scenario, from_day)
        for diary in self._every_diary():
            diary.set_listing(
                listing.booking_limit_share_by_rank,
                listing.release_days,
                from_day,
                listing.max_displacements_per_listing,
            )

    def _every_diary(self) -> list[ListingDiary]:
        """Every diary of every region, centre and tier."""
        return [diary for centres in self.diaries for tiers in centres for diary in tiers]

    def hold_old_route(self, region: int, began: dt.date, weight: float) -> None:
        """A region that began Pathfinder on ``began`` keeps ``weight`` of its old route's split of hours (1 on the
        day, falling to 0 as its old-route cases close), so the cases still on that route are heard; the next
        :meth:`follow_routes` applies it."""
        if weight > 0.0:
            self.old_route_held[region] = (began, min(1.0, weight))
        else:
            self.old_route_held.pop(region, None)

    def follow_routes(self, scenario: Scenario, from_day: int, regions: Iterable[int] | None = None) -> None:
        """Split the sitting hours by the routes in force from ``from_day``: a region that begins Pathfinder needs
        no FHDRA from its magistrates, so its hours follow its cases' new needs (docs/model.md, court capacity). A
        region holding part of its old route's split (:meth:`hold_old_route`) gets that weight of the difference.
        Only the region's own state sets its weight, so regions stay independent (docs/model.md 5.5). With
        ``regions``, only those regions' diaries are re-split (a review of the regions holding their old route)."""
        hours = self._hours(scenario, scenario.sim_start_date + dt.timedelta(days=from_day))
        old_splits: dict[dt.date, list[list[float]]] = {}  # regions that began on the same day share one
        for r, (began, weight) in self.old_route_held.items():
            if began not in old_splits:
                old_splits[began] = self._hours(scenario, began - dt.timedelta(days=1))
            before = old_splits[began][r]
            hours[r] = [new + weight * (old - new) for new, old in zip(hours[r], before, strict=True)]
        for r in range(len(self.regions)) if regions is None else sorted(regions):
            for centre, centre_share in enumerate(self.centre_hours_shares[r]):
                for t in range(len(self.tiers)):
                    diary = self.diaries[r][centre][t]
                    if hours[r][t] * centre_share != diary.hours_per_day:
                        diary.set_hours_per_day(hours[r][t] * centre_share, from_day)

    def used_and_available_hours(self, region: int, tier: int, first_day: int, last_day: int) -> tuple[float, float]:
        """Hours booked and available in a region's tier, all centres together, on days first_day..last_day-1."""
        used = available = 0.0
        for centre in self.diaries[region]:
            u, a = centre[tier].used_and_available_hours(first_day, last_day)
            used += u
            available += a
        return used, available
