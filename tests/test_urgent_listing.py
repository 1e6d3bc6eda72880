"""Urgent work that behaves as urgent, and cuts in sitting hours that move listed work.

A without-notice domestic-abuse application is heard on the first sitting day on or after its notice, even
when the list is full: lower-ranked hearings make room and move to a later day. When a policy cuts sitting
hours, hearings already listed on days that no longer hold them are vacated, lowest rank first, and
relisted. Every diary here starts on Monday 1 January 2024 (day 0); days 5 and 6 are a weekend.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from conftest import ONE_REGION, run_replication, scenario_data

from sim.model.agencies.court import Calendar, Court, Listed, ListingDiary
from sim.scenario.loading import scenario_from_dict
from sim.scenario.schema import Courts, Scenario

MONDAY = dt.date(2024, 1, 1)
URGENT_RANK, PUBLIC_RANK, PRIVATE_RANK = 0, 1, 2


def diary(
    hours: float = 10.0, relist_notice_days: float = 21, n_days: int = 200, max_displacements: int | None = None
) -> ListingDiary:
    courts = Courts.model_validate(
        {
            "tiers": ["magistrates"],
            "listing": {
                "rank_by_class": {
                    "domestic_abuse": 0,
                    "public_law": 1,
                    "private_law_with_domestic_abuse": 2,
                    "private_law": 2,
                },
                "booking_limit_share_by_rank": [1.0, 1.0, 1.0],
                "release_days": 7,
            },
            "vacate_probability": 0,
            "adjourn_probability": 0,
            "relist_notice_days": relist_notice_days,
        }
    )
    calendar = Calendar(courts, MONDAY, n_days)
    return ListingDiary(calendar, hours, [1.0, 1.0, 1.0], 7, relist_notice_days, 0, max_displacements)


def listed_hours(d: ListingDiary, hearings: list[Listed]) -> dict[int, float]:
    by_day: dict[int, float] = {}
    for h in hearings:
        by_day[h.day] = by_day.get(h.day, 0.0) + h.hours
    return by_day


def assert_diary_matches_its_hearings(d: ListingDiary, hearings: list[Listed]) -> None:
    """Hours are conserved: every day's booked hours are exactly the hours of the hearings listed on it."""
    by_day = listed_hours(d, hearings)
    for day in range(len(d.booked)):
        assert d.booked[day] == pytest.approx(by_day.get(day, 0.0)), day


# --- urgent work in the diary ------------------------------------------------------------------------------


def test_an_urgent_hearing_is_heard_on_a_full_day_and_the_lowest_ranked_latest_listed_hearing_moves() -> None:
    d = diary()
    public = d.list_hearing(2, 4.0, PUBLIC_RANK, 0)
    private_first = d.list_hearing(2, 3.0, PRIVATE_RANK, 0)
    private_last = d.list_hearing(2, 3.0, PRIVATE_RANK, 0)  # Wednesday is now full
    assert d.list_hearing(2, 1.0, PRIVATE_RANK, 0).day == 3  # ordinary work goes to Thursday
    urgent = d.list_hearing(2, 2.0, URGENT_RANK, 1, urgent=True)
    assert urgent.day == 2  # heard on the full Wednesday
    assert private_last.day > 2 and private_last.displaced == 1  # moved on: the lowest rank, listed last
    assert public.day == private_first.day == 2 and public.displaced == private_first.displaced == 0
    assert d.booked[2] == pytest.approx(9.0)  # 4 + 3 + 2: one hearing made room, and no more
    assert d.booked[2] <= d.capacity[2]
    assert private_last.day == 3  # Thursday still had room for it
    assert_diary_matches_its_hearings(d, [public, private_first, private_last, urgent, *d.listed[3][:1]])


def test_urgent_work_displaces_only_lower_ranks_and_never_other_urgent_work() -> None:
    d = diary()
    same_rank = d.list_hearing(2, 5.0, URGENT_RANK, 0)  # a return hearing on notice: same rank, not urgent
    other_urgent = d.list_hearing(2, 5.0, URGENT_RANK, 0, urgent=True)
    urgent = d.list_hearing(2, 1.0, URGENT_RANK, 1, urgent=True)
    assert urgent.day == 3  # nothing on Wednesday may move: the next sitting day
    assert (same_rank.day, other_urgent.day) == (2, 2)


def test_urgent_work_on_a_friday_is_heard_on_monday_not_at_the_weekend() -> None:
    d = diary()
    for _ in range(2):
        d.list_hearing(7, 5.0, PRIVATE_RANK, 0)  # Monday full
    urgent = d.list_hearing(5, 1.0, URGENT_RANK, 4, urgent=True)  # applied for on Friday evening
    assert urgent.day == 7


def test_hours_are_conserved_and_no_day_is_overbooked_when_urgent_work_keeps_arriving() -> None:
    d = diary()
    hearings = [d.list_hearing(2 + i % 10, 1.5 + (i % 3), PUBLIC_RANK + i % 2, 0) for i in range(60)]
    for i in range(40):
        hearings.append(d.list_hearing(2 + i % 5, 0.5 + 0.25 * (i % 3), URGENT_RANK, i % 2, urgent=True))
    urgent = hearings[60:]
    assert all(h.day <= 2 + i % 5 + 3 for i, h in enumerate(urgent))  # the day asked for, or the next sitting day
    assert sum(h.displaced for h in hearings) > 0
    assert_diary_matches_its_hearings(d, hearings)
    for day, on_day in d.listed.items():
        assert d.booked[day] <= d.capacity[day] + 1e-9 or len(on_day) == 1


def full_list(d: ListingDiary) -> list[Listed]:
    """Private law hearings of 5 hours, two a day (a full day), Wednesday 3 to Tuesday 9 January, then one each on
    Wednesday 10 and Thursday 11 January (half full)."""
    full = [d.list_hearing(2, 5.0, PRIVATE_RANK, 0) for _ in range(10)]  # days 2, 3, 4, 7, 8 (5, 6: weekend)
    return full + [d.list_hearing(day, 5.0, PRIVATE_RANK, 0) for day in (9, 10)]


def urgent_on(d: ListingDiary, days: tuple[int, ...]) -> list[Listed]:
    """A 5-hour without-notice hearing on each of ``days``, applied for on Tuesday 2 January."""
    return [d.list_hearing(day, 5.0, URGENT_RANK, 1, urgent=True) for day in days]


def test_without_a_limit_the_same_hearing_is_displaced_again_and_again() -> None:
    d = diary()
    hearings = full_list(d)
    bumped = hearings[1]  # listed last on Wednesday 3: the first to go
    urgent = urgent_on(d, (2, 9, 10))  # it lands last on each of these days in turn
    assert [x.day for x in urgent] == [2, 9, 10]
    assert bumped.displaced == 3 and bumped.day == 11
    assert sum(h.displaced for h in hearings) == 3


def test_a_hearing_displaced_once_keeps_its_new_day_and_urgent_work_moves_another() -> None:
    d = diary(max_displacements=1)
    hearings = full_list(d)
    urgent = urgent_on(d, (2, 9, 10))
    assert [x.day for x in urgent] == [2, 9, 10]
    assert hearings[1].displaced == 1 and hearings[1].day == 9  # moved once, then kept its day
    assert max(h.displaced for h in hearings) == 1 and sum(h.displaced for h in hearings) == 3
    assert_diary_matches_its_hearings(d, hearings + urgent)


def test_urgent_work_goes_to_the_next_day_when_every_hearing_on_its_day_has_been_moved_already() -> None:
    d = diary(max_displacements=1)
    wednesday = [d.list_hearing(2, 5.0, PRIVATE_RANK, 0) for _ in range(2)]
    for x in wednesday:
        x.displaced = 1  # as if both had been moved here for urgent work before
    urgent = d.list_hearing(2, 5.0, URGENT_RANK, 1, urgent=True)
    assert urgent.day == 3 and [x.day for x in wednesday] == [2, 2]


def test_a_limit_of_zero_means_urgent_work_never_moves_listed_hearings() -> None:
    d = diary(max_displacements=0)
    hearings = full_list(d)
    urgent = d.list_hearing(2, 5.0, URGENT_RANK, 1, urgent=True)
    assert urgent.day == 9 and all(h.displaced == 0 for h in hearings)  # the first sitting day with room


# --- cuts in sitting hours -----------------------------------------------------------------------------------


def test_a_cut_vacates_what_no_longer_fits_lowest_rank_first_and_relists_it_later() -> None:
    d = diary(relist_notice_days=21)
    hearings = [d.list_hearing(14 + i % 10, 2.0, PUBLIC_RANK if i // 10 % 2 else PRIVATE_RANK, 0) for i in range(50)]
    full_days = [day for day in range(14, 30) if d.booked[day] >= 10.0]
    assert len(full_days) >= 8
    before = {id(h): h.day for h in hearings}
    lowest_rank_on = {day: max(h.rank for h in d.listed[day]) for day in full_days}
    d.set_hours_per_day(8.0, from_day=10)  # a 20% cut from day 10
    vacated = [h for h in hearings if h.vacated]
    assert len(vacated) == len(full_days)  # one 2-hour hearing from each full day
    assert all(before[id(h)] in full_days for h in vacated)
    assert all(h.rank == lowest_rank_on[before[id(h)]] for h in vacated)  # the lowest rank on its day goes first
    assert sum(h.rank == PRIVATE_RANK for h in vacated) == len(vacated) - 1  # (one day held only public law)
    assert all(h.day >= max(before[id(h)] + 1, 10 + 21) for h in vacated)  # relisted after the notice
    for day in range(10, len(d.booked)):
        assert d.booked[day] <= d.capacity[day] + 1e-9
    assert_diary_matches_its_hearings(d, hearings)


def test_a_cut_keeps_hearings_before_its_date_and_a_lone_long_hearing() -> None:
    d = diary()
    early = [d.list_hearing(7, 5.0, PRIVATE_RANK, 0) for _ in range(2)]  # Monday 8 January, before the cut
    lone = d.list_hearing(15, 12.0, PRIVATE_RANK, 0)  # longer than a day: alone on Tuesday 16 January
    d.set_hours_per_day(4.0, from_day=10)
    assert [h.day for h in early] == [7, 7] and lone.day == 15 and lone.vacated == 0


# --- in the model ------------------------------------------------------------------------------------------


def busy_magistrates(**courts: object) -> dict:
    """One region where private law first hearings fill the magistrates' list, with domestic-abuse work too."""
    data = scenario_data(ONE_REGION)
    data["demand"]["private_law"]["cases_per_year"] = 3000
    data["demand"]["domestic_abuse"]["cases_per_year"] = 400
    data["regions"]["only"]["court"]["sitting_hours_per_day"]["magistrates"] = 10
    data["private_law"]["first_hearing"]["duration_hours"] = 1
    data["courts"]["listing"]["urgent_hearings"] = ["domestic_abuse.without_notice_hearing"]
    data["courts"].update(courts)
    return data


def stage_waits(stages: pd.DataFrame, stage: str) -> pd.Series:
    rows = stages[stages.stage.astype(str) == stage]
    return (rows.started - rows.requested) / pd.Timedelta(days=1)


def test_without_notice_applications_are_heard_within_a_sitting_day_however_full_the_list(tmp_path: Path) -> None:
    urgent = run_replication(busy_magistrates(), tmp_path / "urgent")
    ordinary = run_replication(
        busy_magistrates(listing={**busy_magistrates()["courts"]["listing"], "urgent_hearings": []}),
        tmp_path / "ordinary",
    )
    first_hearing = stage_waits(ordinary.stages, "first_hearing")
    assert first_hearing.median() > 60  # the list is full for weeks ahead
    waits = stage_waits(urgent.stages, "without_notice_hearing")
    assert len(waits) > 200 and waits.max() < 4  # the next sitting day at most (Friday evening to Monday)
    assert stage_waits(ordinary.stages, "without_notice_hearing").median() > 30  # listed as ordinary work
    displaced = urgent.children.drop_duplicates("case_id")
    assert displaced.displaced.sum() > 50
    assert displaced[displaced.case_type.astype(str) == "domestic_abuse"].displaced.sum() == 0
    assert stage_waits(urgent.stages, "first_hearing").mean() > first_hearing.mean()  # the displaced wait longer


def test_adjourned_urgent_hearings_are_relisted_urgently(tmp_path: Path) -> None:
    data = busy_magistrates(adjourn_probability=0.3)
    quick = run_replication(data, tmp_path / "quick")
    data["courts"]["urgent_relist_notice_days"] = 21
    slow = run_replication(data, tmp_path / "slow")
    for result, low, high in ((quick, 0, 10), (slow, 21, 1000)):
        cases = result.children.drop_duplicates("case_id")
        adjourned = set(cases[(cases.case_type.astype(str) == "domestic_abuse") & (cases.adjournments > 0)].case_id)
        rows = result.stages[result.stages.stage.astype(str) == "without_notice_hearing"]
        waits = stage_waits(rows[rows.case_id.isin(adjourned)], "without_notice_hearing")
        assert len(waits) > 10 and low <= waits.median() < high


def test_hearing_counts_stay_consistent_when_hearings_move(tmp_path: Path) -> None:
    """A disposed case's hearings are its hearing stages plus its adjournments; vacated and displaced are extra."""
    result = run_replication(busy_magistrates(adjourn_probability=0.1, vacate_probability=0.1), tmp_path)
    cases = result.children.drop_duplicates("case_id").set_index("case_id")
    disposed = cases[cases.status.astype(str) == "disposed"]
    court_stages = result.stages[result.stages.agency.astype(str) == "court"]
    hearing_stages = court_stages[court_stages.stage.astype(str).str.contains("hearing")].groupby("case_id").size()
    assert (disposed.hearings == hearing_stages.reindex(disposed.index) + disposed.adjournments).all()
    assert disposed.displaced.sum() > 0 and disposed.vacated.sum() > 0


@pytest.mark.interpreted_model
def test_a_cut_in_sitting_hours_vacates_listed_hearings_and_raises_later_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = busy_magistrates()
    data["courts"]["listing"]["urgent_hearings"] = []
    before = run_replication(data, tmp_path / "before")
    data["policies"] = [
        {"name": "a fifth fewer hours", "date": "2024-07-01", "scale": {"regions.*.court.sitting_hours_per_day.*": 0.8}}
    ]
    overbooked: list[int] = []
    listed_days: list[int] = []
    apply = Court.apply

    def apply_and_check(court: Court, scenario: Scenario, from_day: int) -> None:
        """Right after the cut, no day from its date holds more than its hours (bar a lone long hearing)."""
        apply(court, scenario, from_day)
        magistrates = court.diaries[0][0][court.tiers.index("magistrates")]
        for day, on_day in magistrates.listed.items():
            if day >= from_day and on_day:
                listed_days.append(day)
                if magistrates.booked[day] > magistrates.capacity[day] + 1e-9 and len(on_day) > 1:
                    overbooked.append(day)

    monkeypatch.setattr(Court, "apply", apply_and_check)
    after = run_replication(data, tmp_path / "after")
    assert len(listed_days) > 50 and not overbooked
    assert after.children.drop_duplicates("case_id").vacated.sum() > 20  # nothing is vacated at random here
    assert before.children.drop_duplicates("case_id").vacated.sum() == 0
    cut = pd.Timestamp("2024-07-01")
    for result in (before, after):
        rows = result.stages[result.stages.stage.astype(str) == "first_hearing"]
        result.later_wait = stage_waits(rows[rows.requested >= cut], "first_hearing").mean()  # type: ignore[attr-defined]
    assert after.later_wait > before.later_wait + 10  # type: ignore[attr-defined]


def test_adjournment_can_rise_with_the_load_of_the_days_list(tmp_path: Path) -> None:
    """With no fixed chance, hearings on full days are adjourned about as often as the parameter says."""
    busy = run_replication(busy_magistrates(adjourn_probability_added_at_full_list=0.3), tmp_path / "busy")
    quiet_data = busy_magistrates(adjourn_probability_added_at_full_list=0.3)
    quiet_data["regions"]["only"]["court"]["sitting_hours_per_day"]["magistrates"] = 1000
    quiet = run_replication(quiet_data, tmp_path / "quiet")
    for result, low, high in ((busy, 0.2, 0.35), (quiet, 0.0, 0.02)):
        cases = result.children.drop_duplicates("case_id")
        private = cases[cases.case_type.astype(str) == "private_law"]
        share = private.adjournments.sum() / private.hearings.sum()
        assert low <= share <= high


def test_in_the_model_a_limit_spreads_displacement_instead_of_pushing_the_same_cases_back_again(tmp_path: Path) -> None:
    """The same urgent work moves about as many hearings either way; with a limit of one move a listing no case is
    moved again and again, so the longest waits for a first hearing shorten."""
    results = {}
    for limit in (None, 1):
        data = busy_magistrates()
        data["courts"]["listing"]["max_displacements_per_listing"] = limit
        results[limit] = run_replication(data, tmp_path / str(limit))
    cases = {k: r.children.drop_duplicates("case_id") for k, r in results.items()}
    private = {k: c[c.case_type.astype(str) == "private_law"] for k, c in cases.items()}
    assert private[None].displaced.max() >= 3  # the treadmill: one case moved three times
    assert private[1].displaced.max() == 1  # each of these cases has one listing to move here
    assert abs(private[1].displaced.sum() - private[None].displaced.sum()) < 0.2 * private[None].displaced.sum()
    longest = {k: stage_waits(r.stages, "first_hearing").max() for k, r in results.items()}
    assert longest[1] < longest[None]


def test_a_policy_can_set_the_limit_from_its_date() -> None:
    """A listing protocol brought in by a policy: every diary keeps no limit until the date, then one move a listing."""
    before = scenario_from_dict(busy_magistrates()).scenario
    data = busy_magistrates()
    data["courts"]["listing"]["max_displacements_per_listing"] = 1
    after = scenario_from_dict(data).scenario
    court = Court(before, horizon_days=400)
    diaries = court._every_diary()
    assert all(d.max_displaced == float("inf") for d in diaries)
    court.apply(after, from_day=100)
    assert all(d.max_displaced == 1 for d in diaries)
