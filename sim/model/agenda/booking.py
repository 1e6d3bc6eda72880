"""The agenda's calls into the court's diaries, one batch at a time, compiled with the court by mypyc.

Booking is the agenda's one sequential loop: every hearing asked for today is booked in the order its case became
ready, through the present model's own ``ListingDiary`` (``sim.model.agencies.court``), so urgent hearings
displace listed ones exactly as there. Compiled beside the court, each call is a native call rather than a call
from Python into compiled code; the loops here take plain lists, as ``numpy.ndarray.tolist`` gives them.
"""

from __future__ import annotations

from sim.model.agencies.court import Listed, ListingDiary


def book_hearings(
    diaries: list[ListingDiary],
    diary: list[int],
    first_day: list[int],
    hours: list[float],
    rank: list[int],
    urgent: list[bool],
    today: int,
) -> tuple[list[Listed], list[int]]:
    """Book each hearing in turn in its diary from its first day: the diaries' records of them, and the day each
    was booked for (a later booking today may move it; the day it is heard reads its record again)."""
    listed: list[Listed] = []
    days: list[int] = []
    for i in range(len(diary)):
        got = diaries[diary[i]].list_hearing(first_day[i], hours[i], rank[i], today, urgent[i])
        listed.append(got)
        days.append(got.day)
    return listed, days


def cancel_listings(diaries: list[ListingDiary], diary: list[int], listed: list[Listed]) -> None:
    """Take each hearing off its diary's list (vacated, or the parties withdrew): its hours are freed."""
    for i in range(len(diary)):
        diaries[diary[i]].cancel(listed[i])


def days_of(listed: list[Listed]) -> list[int]:
    """The day each listed hearing is on now (the court may have moved it for urgent work)."""
    return [x.day for x in listed]


def moves_of(listed: list[Listed]) -> tuple[list[int], list[int]]:
    """How often the court moved each listed hearing for urgent work, and vacated it when its hours fell."""
    return [x.displaced for x in listed], [x.vacated for x in listed]


def load_shares(diaries: list[ListingDiary], diary: list[int], days: list[int]) -> list[float]:
    """Each hearing's diary's booked share of its day's hours, on the day it was heard."""
    return [diaries[diary[i]].load_share(days[i]) for i in range(len(diary))]
