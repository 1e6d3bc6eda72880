"""The court's listing diary: judicial sitting hours by day, booked by hearings in priority order.

A hearing is listed on the first sitting day, on or after its notice period, with room left for it. Room
depends on rank: a hearing of rank r may fill a day only up to ``booking_limit_share_by_rank[r]`` of its
hours when booked more than ``release_days`` ahead, so the rest stays free for more urgent work; inside the
release window any hearing may take what is left. Booking is arithmetic on arrays, not a SimPy resource:
a case waits for its hearing with a single timeout.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from sim.scenario.schema import Courts, Scenario

HOURS_BUCKET = 0.25
"""Hearing lengths are grouped in quarter hours to remember, per length, the days known to be full."""

DIARY_EXTENSION_DAYS = 365
"""When a booking runs past the diary's end, the diary grows by a year at a time."""

MAX_LISTING_SEARCH_DAYS = 20 * 365
"""A hearing that finds no room in twenty years means a diary without sitting hours: fail, don't loop."""


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

    __slots__ = ("calendar", "hours_per_day", "capacity", "booked", "limit_share", "release_days", "_full")

    def __init__(self, calendar: Calendar, hours_per_day: float, limit_share: list[float], release_days: float) -> None:
        self.calendar = calendar
        self.hours_per_day = hours_per_day
        self.capacity: list[float] = [hours_per_day * s for s in calendar.shares]
        self.booked: list[float] = [0.0] * len(self.capacity)
        self.limit_share = list(limit_share)
        self.release_days = release_days
        self._full: dict[tuple[int, int], tuple[int, int, float]] = {}

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

    def book(self, earliest_day: int, hours: float, rank: int, today: int) -> int:
        """Book ``hours`` on the first day >= earliest_day with room for this rank; return the day.

        Each (rank, length) remembers a run of days ``[a, b)`` found too full for hearings of ``h`` hours, so the
        next booking of that kind and at least that long starts at ``b`` instead of rescanning weeks of full days.
        Only hours freed inside the run (a vacated hearing, more sitting hours) shorten it.
        """
        capacity, booked = self.capacity, self.booked
        limit = self.limit_share[rank]
        release_end = today + self.release_days
        bucket = (rank, math.ceil(hours / HOURS_BUCKET))
        full = self._full.get(bucket)
        d = earliest_day
        if full is not None and d > release_end and full[0] <= d < full[1] and hours >= full[2]:
            d = full[1]
        while True:
            while d >= len(capacity):
                self._grow(earliest_day)
            c = capacity[d]
            if c > 0.0:
                b = booked[d]
                room = (c if d <= release_end else c * limit) - b
                if hours <= room + 1e-9 or b == 0.0:
                    booked[d] = b + hours
                    if full is not None and full[0] <= earliest_day <= full[1]:
                        self._full[bucket] = (full[0], d, max(full[2], hours))
                    else:
                        self._full[bucket] = (earliest_day, d, hours)
                    return d
            d += 1

    def release(self, day: int, hours: float) -> None:
        """Give back a vacated hearing's hours; earlier days may have room again."""
        self.booked[day] = max(0.0, self.booked[day] - hours)
        self._reopen(day)

    def relay(self, from_day: int) -> None:
        """The calendar changed from ``from_day``: recompute capacity from it."""
        shares = self.calendar.shares
        for d in range(max(0, from_day), len(self.capacity)):
            self.capacity[d] = self.hours_per_day * shares[d]
        self._reopen(from_day)

    def set_hours_per_day(self, hours_per_day: float, from_day: int) -> None:
        """A policy changes sitting hours from a date; hearings already booked stay where they are."""
        self.hours_per_day = hours_per_day
        shares = self.calendar.shares
        for d in range(max(0, from_day), len(self.capacity)):
            self.capacity[d] = hours_per_day * shares[d]
        self._reopen(from_day)

    def set_listing(self, limit_share: list[float], release_days: float, from_day: int) -> None:
        self.limit_share = list(limit_share)
        self.release_days = release_days
        self._reopen(from_day)

    def _reopen(self, day: int) -> None:
        for key, (first, past, hours) in list(self._full.items()):
            if day < past:
                self._full[key] = (first, max(first, day), hours)

    def used_and_available_hours(self, first_day: int, last_day: int) -> tuple[float, float]:
        """Hours booked and hours available on days first_day..last_day-1 (for utilisation)."""
        last_day = min(last_day, len(self.capacity))
        return sum(self.booked[first_day:last_day]), sum(self.capacity[first_day:last_day])


class Court:
    """All listing diaries: one per region and judge tier."""

    def __init__(self, scenario: Scenario, horizon_days: int) -> None:
        self.tiers = list(scenario.courts.tiers)
        self.regions = list(scenario.regions)
        self.calendar = Calendar(scenario.courts, scenario.sim_start_date, horizon_days)
        listing = scenario.courts.listing
        self.diaries: list[list[ListingDiary]] = [
            [
                ListingDiary(
                    self.calendar,
                    region.court.sitting_hours_per_day.get(tier, 0.0),
                    listing.booking_limit_share_by_rank,
                    listing.release_days,
                )
                for tier in self.tiers
            ]
            for region in scenario.regions.values()
        ]

    def apply(self, scenario: Scenario, from_day: int) -> None:
        """Bring sitting hours and listing rules in line with a new period's scenario."""
        listing = scenario.courts.listing
        calendar_changed = self.calendar.change(scenario.courts, from_day)
        for r, region in enumerate(scenario.regions.values()):
            for t, tier in enumerate(self.tiers):
                diary = self.diaries[r][t]
                if calendar_changed:
                    diary.relay(from_day)
                hours = region.court.sitting_hours_per_day.get(tier, 0.0)
                if hours != diary.hours_per_day:
                    diary.set_hours_per_day(hours, from_day)
                diary.set_listing(listing.booking_limit_share_by_rank, listing.release_days, from_day)
