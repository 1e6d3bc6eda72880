"""The listing diary: hearings go on the first sitting day with room on or after their notice period.

Every diary here starts on Monday 1 January 2024, so day 0 is a Monday, days 5 and 6 are the first weekend,
and day 7 is the next Monday. Hours per day are 10 unless said otherwise.
"""

from __future__ import annotations

import datetime as dt
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.agencies import court as court_module
from sim.model.agencies.court import Calendar, Court, ListingDiary
from sim.scenario.loading import scenario_from_dict
from sim.scenario.schema import Courts

MONDAY = dt.date(2024, 1, 1)
WEEKDAYS = [0, 1, 2, 3, 4]


def courts(recess: list[dict] | None = None, sitting_weekdays: list[int] | None = None) -> Courts:
    return Courts.model_validate(
        {
            "tiers": ["district_judge"],
            "sitting_weekdays": WEEKDAYS if sitting_weekdays is None else sitting_weekdays,
            "recess": recess or [],
            "listing": {
                "rank_by_class": {
                    "domestic_abuse": 0,
                    "public_law": 0,
                    "private_law_with_domestic_abuse": 1,
                    "private_law": 1,
                },
                "booking_limit_share_by_rank": [1.0, 0.5],
                "release_days": 7,
            },
            "vacate_probability": 0,
            "adjourn_probability": 0,
            "relist_notice_days": 21,
        }
    )


def diary(
    hours: float = 10.0,
    limit: list[float] | None = None,
    release_days: float = 7,
    n_days: int = 120,
    recess: list[dict] | None = None,
) -> ListingDiary:
    calendar = Calendar(courts(recess), MONDAY, n_days)
    return ListingDiary(calendar, hours, [1.0, 0.5] if limit is None else limit, release_days)


def available(d: ListingDiary, day: int) -> float:
    return d.used_and_available_hours(day, day + 1)[1]


def used(d: ListingDiary, day: int) -> float:
    return d.used_and_available_hours(day, day + 1)[0]


# --- the calendar -------------------------------------------------------------------------------------------


def test_weekends_have_no_sitting_hours_and_weekdays_have_all_of_them() -> None:
    d = diary()
    assert [available(d, day) for day in range(14)] == [10, 10, 10, 10, 10, 0, 0] * 2


def test_a_recess_reduces_hours_on_its_days_only_and_repeats_each_year() -> None:
    d = diary(recess=[{"name": "summer", "start": "08-01", "end": "08-31", "sitting_share": 0.7}], n_days=800)
    aug1, sep2 = (dt.date(2024, 8, 1) - MONDAY).days, (dt.date(2024, 9, 2) - MONDAY).days  # Thursday, Monday
    assert available(d, aug1 - 1) == 10  # Wednesday 31 July
    assert available(d, aug1) == pytest.approx(7.0)
    assert available(d, sep2) == 10
    aug1_2025 = (dt.date(2025, 8, 1) - MONDAY).days  # a Friday, a year later
    assert available(d, aug1_2025) == pytest.approx(7.0)


def test_a_recess_over_the_new_year_wraps_round() -> None:
    d = diary(recess=[{"name": "christmas", "start": "12-24", "end": "01-01", "sitting_share": 0.2}], n_days=400)
    assert available(d, 0) == pytest.approx(2.0)  # Monday 1 January 2024 is inside
    assert available(d, 1) == 10
    dec27 = (dt.date(2024, 12, 27) - MONDAY).days  # a Friday
    assert available(d, dec27) == pytest.approx(2.0)
    assert available(d, dec27 - 4) == 10  # Monday 23 December is not


# --- booking ------------------------------------------------------------------------------------------------


def test_a_hearing_goes_on_the_first_sitting_day_on_or_after_its_notice_period() -> None:
    d = diary()
    assert d.book(2, 1.0, 0, 0) == 2  # Wednesday, with room: that very day
    assert d.book(3, 1.0, 0, 0) == 3
    assert used(d, 2) == 1.0 and used(d, 3) == 1.0


def test_weekends_are_skipped() -> None:
    d = diary()
    assert d.book(5, 1.0, 0, 0) == 7  # Saturday -> Monday
    assert d.book(6, 1.0, 0, 0) == 7  # Sunday -> Monday
    assert used(d, 5) == used(d, 6) == 0


def test_when_a_day_is_full_the_next_sitting_day_is_used() -> None:
    d = diary()
    assert d.book(4, 6.0, 0, 0) == 4  # Friday
    assert d.book(4, 4.0, 0, 0) == 4  # exactly fills Friday
    assert d.book(4, 0.5, 0, 0) == 7  # Friday full, weekend skipped, Monday
    assert used(d, 4) == 10.0


def test_a_recess_day_holds_fewer_hours_so_its_overflow_moves_on() -> None:
    recess = [{"name": "short", "start": "01-08", "end": "01-09", "sitting_share": 0.3}]  # Mon 8 and Tue 9 Jan
    d = diary(recess=recess)
    assert d.book(7, 2.0, 0, 0) == 7  # 3 hours on the recess Monday
    assert d.book(7, 2.0, 0, 0) == 8  # only 1 hour left on Monday; Tuesday is a recess day with 3
    assert d.book(7, 2.0, 0, 0) == 9  # Wednesday, a normal day


def test_a_lower_rank_booked_ahead_cannot_fill_a_day_beyond_its_share() -> None:
    d = diary(limit=[1.0, 0.5], release_days=7)  # rank 1 may fill half a day when booked ahead
    far = 14  # Monday, more than 7 days ahead of today (0)
    assert d.book(far, 4.0, 1, 0) == far
    assert d.book(far, 2.0, 1, 0) == far + 1  # 4 + 2 > 5 (half of 10): the next day
    assert used(d, far) == 4.0


def test_a_higher_rank_can_use_the_hours_held_back() -> None:
    d = diary(limit=[1.0, 0.5], release_days=7)
    far = 14
    d.book(far, 4.0, 1, 0)
    assert d.book(far, 6.0, 0, 0) == far  # rank 0 may fill the whole day
    assert used(d, far) == 10.0


def test_inside_the_release_window_anyone_can_use_what_is_left() -> None:
    d = diary(limit=[1.0, 0.5], release_days=7)
    far = 14
    d.book(far, 4.0, 1, 0)
    assert d.book(far, 5.0, 1, 0) == far + 1  # booked 14 days ahead: held back
    assert d.book(far, 5.0, 1, 7) == far  # booked 7 days ahead: inside the window, 6 hours free
    assert used(d, far) == 9.0


def test_the_release_window_includes_its_last_day() -> None:
    d = diary(limit=[1.0, 0.5], release_days=7)
    d.book(7, 5.0, 1, 0)  # Monday, day 7 = today + release_days: inside
    d.book(8, 5.0, 1, 0)  # Tuesday, day 8: outside, a half day for rank 1
    assert d.book(7, 4.0, 1, 0) == 7
    assert d.book(8, 4.0, 1, 0) == 9


def test_a_hearing_too_long_for_its_share_of_any_day_takes_the_first_empty_day_rather_than_never() -> None:
    d = diary(limit=[1.0, 0.5], release_days=7)
    d.book(14, 1.0, 0, 0)
    assert d.book(14, 6.0, 1, 0) == 15  # 6 hours never fit in half a day; day 14 is not empty, day 15 is
    assert d.book(14, 12.0, 0, 0) == 16  # longer than a whole day: the next empty day


def test_a_vacated_hearing_frees_its_hours_for_a_later_booking() -> None:
    d = diary()
    assert d.book(2, 10.0, 0, 0) == 2
    assert d.book(2, 3.0, 0, 0) == 3  # Wednesday full
    d.release(2, 10.0)
    assert used(d, 2) == 0.0
    assert d.book(2, 3.0, 0, 1) == 2  # room again on Wednesday


def test_a_vacated_hearing_frees_room_even_after_later_days_filled_up() -> None:
    d = diary()
    for _ in range(10):
        d.book(2, 5.0, 0, 0)  # fills Wednesday to the following Tuesday
    assert used(d, 8) == 10.0
    d.release(3, 5.0)  # a Thursday hearing is vacated
    assert d.book(2, 5.0, 0, 0) == 3


def test_changing_hours_per_day_changes_capacity_from_that_day_only() -> None:
    d = diary()
    d.book(10, 4.0, 0, 0)  # already booked on Thursday 11 January
    d.set_hours_per_day(4.0, from_day=9)
    assert [available(d, day) for day in (7, 8, 9, 10, 11)] == [10, 10, 4, 4, 4]
    assert used(d, 10) == 4.0  # hearings already booked stay where they are
    assert d.book(8, 5.0, 0, 0) == 8
    assert d.book(8, 5.0, 0, 0) == 8  # Tuesday still has the old 10 hours
    assert d.book(9, 3.0, 0, 0) == 9
    assert d.book(9, 3.0, 0, 0) == 11  # Wednesday has 1 hour left, Thursday's 4 are taken


def test_more_hours_from_a_day_let_a_booking_use_them() -> None:
    d = diary(hours=2.0)
    assert d.book(7, 2.0, 0, 0) == 7
    assert d.book(7, 2.0, 0, 0) == 8
    d.set_hours_per_day(6.0, from_day=7)
    assert d.book(7, 2.0, 0, 0) == 7


def test_the_diary_grows_past_its_end_with_the_same_calendar() -> None:
    recess = [{"name": "summer", "start": "08-01", "end": "08-31", "sitting_share": 0.5}]
    d = diary(n_days=10, recess=recess)
    assert d.book(12, 1.0, 0, 0) == 14  # Saturday 13 January -> Monday 15
    aug1 = (dt.date(2024, 8, 1) - MONDAY).days
    assert d.book(aug1, 1.0, 0, 0) == aug1
    assert available(d, aug1) == 5.0  # the recess, in days laid out by growing
    sat = (dt.date(2025, 3, 1) - MONDAY).days
    assert d.book(sat, 1.0, 0, 0) == sat + 2  # a year on, weekends are still skipped
    assert used(d, sat + 2) == 1.0


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def fail(*_: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_booking_in_a_diary_with_no_sitting_hours_fails_at_once_with_a_clear_error() -> None:
    d = diary(hours=0.0)
    with time_limit(1), pytest.raises((ValueError, RuntimeError)):
        d.book(0, 1.0, 0, 0)
    assert len(d.booked) < 100_000  # it gave up without laying out thousands of years


# --- against the rule written out plainly -------------------------------------------------------------------


def reference_day(
    capacity: list[float], booked: list[float], earliest: int, hours: float, limit: float, today: int, release: float
) -> int:
    """The listing rule: the first sitting day on or after ``earliest`` with room for this rank (or empty)."""
    d = earliest
    while True:
        c, b = capacity[d], booked[d]
        if c > 0:
            room = (c if d <= today + release else c * limit) - b
            if hours <= room + 1e-9 or b == 0.0:
                return d
        d += 1


operations = st.lists(
    st.tuples(
        st.sampled_from(["book", "book", "book", "release", "wait"]),
        st.integers(0, 40),  # notice in days
        st.sampled_from([0.5, 1.0, 1.5, 2.5, 4.0, 7.0]),  # hours
        st.integers(0, 2),  # rank
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(operations)
def test_bookings_follow_the_listing_rule_whatever_came_before(ops: list[tuple[str, int, float, int]]) -> None:
    """Any sequence of bookings, vacated hearings and passing days lands each hearing where the rule says."""
    follow_the_rule(ops)


crowded = st.lists(
    st.tuples(
        st.sampled_from(["book", "book", "book", "book", "release", "release", "wait"]),
        st.integers(11, 20),  # notice past the release window, where the diary remembers full days
        st.sampled_from([1.0, 1.5, 2.0, 3.0]),  # hours, on 4-hour days: lists fill within a few bookings
        st.integers(0, 2),  # rank
    ),
    min_size=20,
    max_size=200,
)


@pytest.mark.interpreted_model
@settings(max_examples=150, deadline=None)
@given(crowded, st.sampled_from([1, 2, 3, 7, 16]))
def test_on_crowded_lists_every_booking_lands_where_the_rule_says_whatever_the_blocks(
    ops: list[tuple[str, int, float, int]], block_days: int
) -> None:
    """A diary passes over blocks of days whose bound on the room left is below a hearing's hours, and raises the
    bounds when hearings are vacated: on lists full enough for whole blocks to be full, with blocks of 1 to 16
    days, every booking still lands where the rule says, so no freed hour is passed over."""
    with mock.patch.object(court_module, "BLOCK_DAYS", block_days):
        follow_the_rule(ops, hours_per_day=4.0)


def follow_the_rule(ops: list[tuple[str, int, float, int]], hours_per_day: float = 8.0) -> None:
    """Run the operations on a diary and on the rule written out plainly; every booking must agree."""
    limits = [1.0, 0.7, 0.4]
    d = diary(hours=hours_per_day, limit=limits, release_days=10, n_days=30)
    capacity = [hours_per_day if (MONDAY + dt.timedelta(days=day)).weekday() < 5 else 0.0 for day in range(2000)]
    booked = [0.0] * 2000
    listed: list[tuple[int, float]] = []
    today = 0
    for kind, notice, hours, rank in ops:
        if kind == "wait":
            today += notice // 4
        elif kind == "release" and listed:
            day, h = listed.pop(notice % len(listed))
            d.release(day, h)
            booked[day] -= h
        elif kind == "book":
            expected = reference_day(capacity, booked, today + notice, hours, limits[rank], today, 10)
            assert d.book(today + notice, hours, rank, today) == expected
            booked[expected] += hours
            listed.append((expected, hours))
    for day in range(700):
        assert used(d, day) == pytest.approx(booked[day])


# --- the court: a diary per region and tier -----------------------------------------------------------------


def test_the_court_has_a_diary_per_region_and_tier_with_that_regions_hours(small_data: dict) -> None:
    scenario = scenario_from_dict(small_data).scenario
    court = Court(scenario, 100)
    assert court.regions == ["north_east", "wales"]
    assert court.tiers == ["magistrates", "district_judge", "circuit_judge"]
    for r, region in enumerate(scenario.regions.values()):
        for t, tier in enumerate(court.tiers):
            assert available(court.diaries[r][0][t], 1) == pytest.approx(region.court.sitting_hours_per_day[tier])
    assert available(court.diaries[0][0][0], 0) == pytest.approx(2.6 * 0.2)  # 1 January is in the Christmas recess


def test_a_new_period_changes_only_the_hours_that_changed_from_its_day(small_data: dict) -> None:
    court = Court(scenario_from_dict(small_data).scenario, 100)
    small_data["regions"]["wales"]["court"]["sitting_hours_per_day"]["circuit_judge"] = 10.0
    court.apply(scenario_from_dict(small_data).scenario, from_day=30)
    wales_circuit = court.diaries[1][0][2]
    assert available(wales_circuit, 29) == pytest.approx(2.1)  # Tuesday 30 January
    assert available(wales_circuit, 30) == pytest.approx(10.0)
    assert available(court.diaries[0][0][2], 30) == pytest.approx(4.2)  # north east unchanged
