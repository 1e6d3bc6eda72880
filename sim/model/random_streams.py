"""Random numbers keyed to what they belong to, so an option changes only the draws it touches.

Common random numbers are exact by entity and decision. Two kinds of draw:

* **Arrivals**: for each case type and calendar month, a generator seeded from (root seed, replication,
  ``arrivals:<case type>``, month) draws that month's counts and times (:mod:`sim.model.arrivals`). A case's
  *serial* is its place among the arrivals of its case type, so it stays the same when another case type's
  demand changes.
* **Everything a case draws** (its domestic-abuse flag, local authority, court centre, children and their ages,
  branch decisions, durations, listing outcomes, order and return) comes from the case's own *tape*: a row
  of uniforms fixed by (root seed, replication, origin, case type, serial). Each purpose has its own places on
  the tape (:data:`PURPOSES`), and a purpose drawn again by the same case (the n-th hearing, the n-th child)
  takes the next place. A draw therefore depends only on the case, the purpose and how many times the case
  drew it before, never on the order of events: a court policy, or other cases, cannot move it.

Tapes are drawn 128 cases at a time (one PCG64 generator per block of serials, seeded from a
``SeedSequence``), which costs well under a microsecond a case; a purpose drawn more often than its places
continues on a generator of its own for that case and purpose. Open cases of the starting state have their
own serials; a return to court takes its tape from the case it returns from (its origin and serial, one more
return). Nothing depends on which worker runs a replication. Durations are drawn by inverting their
distribution function at the uniform (:mod:`sim.model.inverses`).
"""

from __future__ import annotations

import zlib
from array import array
from bisect import bisect_right
from typing import Final

import numpy as np

from sim.model.inverses import Inverse
from sim.model.seeding import Seeder
from sim.vocabulary import PATHWAY_TABLES

STREAM_SCHEME: Final = (
    "numpy SeedSequence(entropy=root_seed, spawn_key=(replication, crc32(name), ...)) -> PCG64: arrivals by "
    "(case type, month); every other draw from the case's tape, keyed by (origin, case type, serial[, return]) "
    "and a place per (purpose, n-th draw) (sim.model.random_streams.PURPOSES, tape v1)"
)

BLOCK_CASES: Final = 128
"""Tapes drawn at once, for consecutive serials: one generator per block amortises its set-up (about 9 us), and
a block (100 kB) stays in the processor's cache while its cases arrive."""
COUNT_PLACES: Final = 3
"""Places on the tape for a drawn count's chances (``draw_count`` asks one chance per number tried)."""

ARRIVED: Final = 0
OPEN_CASELOAD: Final = 1
RETURNED_FROM_BEFORE: Final = 2
"""A case's origin: a new arrival, an open case of the starting state, or a return to court from an order made
before the run (:mod:`sim.model.returns_before_start`); each has its own serials."""

_SHARED: Final = (
    ("domestic_abuse", 1),
    ("local_authority", 1),
    ("children", 1),
    ("court_centre", 1),
    ("outcome", 1),
    ("recurrence", 1),
    ("recurrence.delay_days", 1),
    ("open_case.region", 1),
    ("open_case.age_days", 1),
    ("open_case.next_hearing_days", 1),
    ("child.age_years", 4),
    ("child.attributes", 4),
    ("hearing.duration_hours", 8),
    ("hearing.notice_days", 8),
    ("listing.withdrawal", 8),
    ("listing.vacate", 8),
    ("listing.adjourn", 8),
)
"""Purposes every case may draw, with their places on the tape: the n-th child, hearing or listing takes the
n-th place (beyond them, the purpose's own generator). A listing's draws are keyed by the listing's number."""


DECISIONS_ADDED_LATER: Final = (
    "private_law.first_disposal_at_first_hearing_share",
    "private_law.allocated_to_lay_justices_share",
)
"""Branch shares added after the tape's layout was fixed: placed after their pathway's other places, in this order,
so that adding one moves no other draw (a decision that changes no journey then changes no result)."""


def _layout() -> tuple[tuple[str, ...], list[int], list[int], int]:
    names: list[str] = []
    bases: list[int] = []
    caps: list[int] = []
    place = 0
    for name, cap in _SHARED:
        names.append(name)
        bases.append(place)
        caps.append(cap)
        place += cap
    # A case follows one pathway, so each pathway's decisions and work durations share one stretch of the tape.
    # Decisions added after the tape's first layout go after the stretch, so every other draw keeps its place.
    width = 0
    for table in PATHWAY_TABLES.values():
        decisions = [key for key in table.decisions if key not in DECISIONS_ADDED_LATER]
        own = [(key, 1) for key in decisions] + [(key, COUNT_PLACES) for key in table.counts]
        own += [(key, 1) for key in table.duration_keys]
        own += [(key, 1) for key in table.decisions if key in DECISIONS_ADDED_LATER]
        offset = 0
        for key, cap in own:
            if key not in names:
                names.append(key)
                bases.append(place + offset)
                caps.append(cap)
            offset += cap
        width = max(width, offset)
    return tuple(names), bases, caps, place + width


_LAYOUT: Final = _layout()
PURPOSES: Final = _LAYOUT[0]
BASES: Final = _LAYOUT[1]
CAPS: Final = _LAYOUT[2]
TAPE_WIDTH: Final = _LAYOUT[3]
"""Every purpose a case draws for, its first place on the tape and how many places it has; the tape's width."""
PURPOSE: Final = {name: code for code, name in enumerate(PURPOSES)}
_TAPE_BYTES: Final = 8 * TAPE_WIDTH
_NO_DRAWS: Final = [0] * len(PURPOSES)
_LISTING_PURPOSES: Final = tuple(PURPOSE[f"listing.{p}"] for p in ("withdrawal", "vacate", "adjourn"))
_LISTING: Final = _LISTING_PURPOSES[1]
"""A case's listings are counted on the vacate purpose (every listing can be vacated)."""
_LISTING_CAP: Final = CAPS[_LISTING]
_WITHDRAWAL: Final = BASES[_LISTING_PURPOSES[0]]
_VACATE: Final = BASES[_LISTING_PURPOSES[1]]
_ADJOURN: Final = BASES[_LISTING_PURPOSES[2]]


def stream_key(name: str) -> int:
    """A stable number for a name (crc32 is the same on every machine and Python version)."""
    return zlib.crc32(name.encode("utf-8"))


_TAPE: Final = stream_key("tape")
_RETURN: Final = stream_key("tape:return")
_OVERFLOW: Final = stream_key("tape:overflow")


_SEEDER: Final = Seeder()


def _generator(root_seed: int, replication: int, kind: int, *key: int, varying: int = 1) -> np.random.Generator:
    """``PCG64(SeedSequence(root_seed, spawn_key=(replication, kind, *key)))``; the last ``varying`` words of the
    key change from one generator to the next (the rest are mixed once: :mod:`sim.model.seeding`)."""
    spawn_key = (replication, kind, *key)
    split = len(spawn_key) - varying
    return _SEEDER.generator(root_seed, spawn_key[:split], spawn_key[split:])


class Draws:
    """One case's draws: uniforms from its tape, each keyed by purpose and by how often the case drew it."""

    __slots__ = ("tape", "counts", "key", "_more")

    def __init__(self, tape: array, key: tuple[int, int, int, int, int, int]) -> None:
        self.tape = tape
        self.counts = _NO_DRAWS[:]
        self.key = key
        """(root seed, replication, origin, case type, serial, returns to court): what the tape is keyed by."""
        self._more: dict[int, list[float]] | None = None

    def uniform(self, purpose: int) -> float:
        """The next U[0, 1) draw for ``purpose`` (a code of :data:`PURPOSES`)."""
        counts = self.counts
        n = counts[purpose]
        counts[purpose] = n + 1
        if n < CAPS[purpose]:
            return self.tape[BASES[purpose] + n]
        return self._beyond(purpose, n)

    def _beyond(self, purpose: int, n: int) -> float:
        """Draws past a purpose's places: the case's own generator for that purpose, keyed like the tape."""
        more = self._more
        if more is None:
            more = self._more = {}
        drawn = more.get(purpose)
        index = n - CAPS[purpose]
        if drawn is None or index >= len(drawn):
            size = max(16, 2 * (index + 1))  # a fresh generator's first draws do not depend on how many are asked
            rng = self._generator(_OVERFLOW, stream_key(PURPOSES[purpose]))
            drawn = more[purpose] = rng.random(size).tolist()
        return drawn[index]

    def _generator(self, kind: int, *more: int) -> np.random.Generator:
        root_seed, replication, *key = self.key
        return _generator(root_seed, replication, kind, *key, *more, varying=2 + len(more))

    def chance(self, decision: str, probability: float) -> bool:
        """True with ``probability``; ``decision`` is the dotted scenario key of the share (a purpose's name)."""
        purpose = PURPOSE[decision]
        counts = self.counts
        n = counts[purpose]
        counts[purpose] = n + 1
        if n < CAPS[purpose]:
            return self.tape[BASES[purpose] + n] < probability
        return self._beyond(purpose, n) < probability

    def choose(self, purpose: int, cumulative: list[float]) -> int:
        """Index of the category a draw falls in, given cumulative probabilities ending at 1 (a draw above a total
        that rounding left just under 1 falls in the last)."""
        i = bisect_right(cumulative, self.uniform(purpose))
        return i if i < len(cumulative) else len(cumulative) - 1

    def sample(self, purpose: int, inverse: Inverse) -> float:
        """A value of a distribution (its inverse distribution function) at the next draw."""
        counts = self.counts
        n = counts[purpose]
        counts[purpose] = n + 1
        if n < CAPS[purpose]:
            return inverse.at(self.tape[BASES[purpose] + n])
        return inverse.at(self._beyond(purpose, n))

    def listing(self) -> tuple[float, float, float]:
        """The draws of the case's next listing: (the parties withdraw, vacated, adjourned), keyed by the listing's
        number, whichever of them the listing uses."""
        n = self.counts[_LISTING]
        self.counts[_LISTING] = n + 1
        if n < _LISTING_CAP:
            tape = self.tape
            return tape[_WITHDRAWAL + n], tape[_VACATE + n], tape[_ADJOURN + n]
        return self._listing_beyond(n)

    def _listing_beyond(self, n: int) -> tuple[float, float, float]:
        """Listings past the tape's places: three draws a listing from the case's own listings generator."""
        more = self._more
        if more is None:
            more = self._more = {}
        drawn = more.get(_LISTING)
        index = 3 * (n - _LISTING_CAP)
        if drawn is None or index >= len(drawn):
            rng = self._generator(_OVERFLOW, stream_key("listing"))
            drawn = more[_LISTING] = rng.random(max(48, 2 * (index + 3))).tolist()
        return drawn[index], drawn[index + 1], drawn[index + 2]

    def returned(self) -> Draws:
        """The draws of the case these children return to court in: keyed by this case and one more return."""
        root_seed, replication, origin, case_type, serial, returns = self.key
        key = (root_seed, replication, origin, case_type, serial, returns + 1)
        tape = array("d", _generator(root_seed, replication, _RETURN, *key[2:], varying=2).random(TAPE_WIDTH).tobytes())
        return Draws(tape, key)


class RandomStreams:
    """Hands out one replication's arrival generators and its cases' tapes."""

    def __init__(self, root_seed: int, replication: int) -> None:
        self.root_seed = root_seed
        self.replication = replication
        self._blocks: dict[tuple[int, int], tuple[int, memoryview]] = {}

    def generator(self, name: str, *key: int) -> np.random.Generator:
        """An independent generator for a named stream (and, optionally, a part of it such as a month)."""
        return _generator(self.root_seed, self.replication, stream_key(name), *key)

    def draws(self, origin: int, case_type: int, serial: int) -> Draws:
        """The draws of the ``serial``-th case of ``case_type`` from ``origin`` (:data:`ARRIVED`,
        :data:`OPEN_CASELOAD` or :data:`RETURNED_FROM_BEFORE`). Serials come in order, so only the current block
        of tapes is kept. A case's tape is cut from its block only when the case is asked for: a replication run
        in parts, one per region, asks for about one case in eight of every block."""
        block, row = divmod(serial, BLOCK_CASES)
        held = self._blocks.get((origin, case_type))
        if held is None or held[0] != block:
            held = (block, self._block(origin, case_type, block))
            self._blocks[(origin, case_type)] = held
        tape = array("d")
        tape.frombytes(held[1][row * _TAPE_BYTES : (row + 1) * _TAPE_BYTES])
        return Draws(tape, (self.root_seed, self.replication, origin, case_type, serial, 0))

    def _block(self, origin: int, case_type: int, block: int) -> memoryview:
        """The tapes of a block of serials, row by row, as bytes."""
        rng = _generator(self.root_seed, self.replication, _TAPE, origin, case_type, block)
        return memoryview(rng.random(BLOCK_CASES * TAPE_WIDTH).data).cast("B")
