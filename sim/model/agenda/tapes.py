"""Cases' random numbers as numpy rows: each case's keyed tape (``sim.model.random_streams``), read for a batch of
cases at the places the present model's ``Draws`` reads for one, and the routes built from them.

A first case's tape is its row of its block of serials; past a purpose's places on the tape, a case asks its own
generator, as ``Draws`` does. So a case draws the same numbers whichever design runs it and whatever else happens
in the run: the common random numbers that make two options' differences their own.
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np
from scipy.special import gammaincinv

from sim.model.inverses import Inverse, inverse_cdf
from sim.model.random_streams import BASES, BLOCK_CASES, CAPS, PURPOSE, TAPE_WIDTH, Draws, RandomStreams
from sim.scenario.distributions import Fixed, Gamma, Triangular, Uniform
from sim.scenario.limits import MAX_DRAW

HOURS, NOTICE = PURPOSE["hearing.duration_hours"], PURPOSE["hearing.notice_days"]
AGE = PURPOSE["child.age_years"]
LISTING_PURPOSES = [PURPOSE[f"listing.{p}"] for p in ("withdrawal", "vacate", "adjourn")]
"""A listing's three draws: whether the parties withdraw while waiting, whether it is vacated, and whether it is
adjourned on the day."""
LISTINGS_ON_TAPE = CAPS[LISTING_PURPOSES[0]]
LISTING_PLACES = np.concatenate([BASES[p] + np.arange(CAPS[p]) for p in LISTING_PURPOSES])
"""The tape's places of a case's listings, kept with its row (the rest of the tape is read when it is created)."""


_INVERSES: dict[int, tuple[Any, Inverse]] = {}
"""Each distribution's inverse, made once (the distribution is kept with it, so its id is not reused)."""


def quantiles(dist: Any, u: np.ndarray) -> np.ndarray:
    """The value of ``dist`` at each uniform of ``u``, exactly as the model's inverse gives them one at a time
    (``sim.model.inverses``). Families whose inverse is basic arithmetic, a square root or a SciPy ufunc are
    computed on the array (the same operations, so the same bits); the others (lognormal, exponential, Weibull,
    empirical) call the project's own function once per value, since numpy's log and exp may round differently."""
    if isinstance(dist, Fixed):
        return np.full(len(u), min(float(dist.value), MAX_DRAW))
    if isinstance(dist, Gamma):
        k, theta = dist.shape_scale()
        v = gammaincinv(k, u) * theta
    elif isinstance(dist, Triangular):
        low, mode, top = dist.low, dist.mode, dist.high
        width = top - low
        split = (mode - low) / width
        rising, falling = width * (mode - low), width * (top - mode)
        with np.errstate(invalid="ignore"):  # the branch not taken may be the root of a negative number
            v = np.where(u < split, low + np.sqrt(u * rising), top - np.sqrt((1 - u) * falling))
        most = min(top, MAX_DRAW)
        return np.where(v < most, v, most)
    elif isinstance(dist, Uniform):
        v = dist.low + u * (dist.high - dist.low)
    else:
        held = _INVERSES.get(id(dist))
        if held is None or held[0] is not dist:
            held = _INVERSES[id(dist)] = (dist, inverse_cdf(dist))
        return np.array(held[1].at_each(u.tolist()), dtype=np.float64)
    return np.where(v < MAX_DRAW, v, MAX_DRAW)


class Tapes:
    """Cases' tapes as numpy rows, keyed as ``RandomStreams.draws`` and ``Draws.returned`` key them: a first case's
    tape is its row of its block of 128 serials (one generator per origin, case type and block), a return's tape
    comes from a generator of its own keyed by the case it returns from and its number of returns."""

    def __init__(self, streams: RandomStreams, case_type: int) -> None:
        self.streams = streams
        self.case_type = case_type
        self._held: dict[int, tuple[int, np.ndarray]] = {}

    def block(self, origin: int, block: int) -> np.ndarray:
        held = self._held.get(origin)
        if held is None or held[0] != block:
            rng = self.streams.generator("tape", origin, self.case_type, block)
            held = (block, rng.random(BLOCK_CASES * TAPE_WIDTH).reshape(BLOCK_CASES, TAPE_WIDTH))
            self._held[origin] = held
        return held[1]

    def rows(self, origin: np.ndarray, serial: np.ndarray, returns: np.ndarray) -> np.ndarray:
        """The tapes of cases (origin, serial, returns), one row each."""
        tape = np.empty((len(origin), TAPE_WIDTH))
        first = returns == 0
        for o in np.unique(origin[first]).tolist():
            mine = np.flatnonzero(first & (origin == o))
            blocks = serial[mine] // BLOCK_CASES
            for b in np.unique(blocks).tolist():
                rows = mine[blocks == b]
                tape[rows] = self.block(o, b)[serial[rows] % BLOCK_CASES]
        generator = self.streams.generator
        for i in np.flatnonzero(~first).tolist():
            key = (int(origin[i]), self.case_type, int(serial[i]), int(returns[i]))
            tape[i] = generator("tape:return", *key).random(TAPE_WIDTH)
        return tape


# ---------------------------------------------------------------------------------------------- the scenario
class Tape:
    """A batch of cases' tapes with a count per purpose, as ``Draws`` reads one case's: the n-th ask of a purpose
    takes its n-th place, or past its places the case's own generator (the present model's ``Draws._beyond``)."""

    def __init__(self, tape: np.ndarray, key: tuple[int, int, int], ids: np.ndarray) -> None:
        self.tape = tape
        self.key = key
        """(root seed, replication, case type); a case's own key adds its (origin, serial, returns), row of ``ids``."""
        self.ids = ids
        self.asked: dict[int, np.ndarray] = {}
        self._beyond: dict[int, Draws] = {}

    def next(self, purpose: int, rows: np.ndarray) -> np.ndarray:
        """The next draw of ``purpose`` for each of ``rows`` (indices into the batch)."""
        asked = self.asked.get(purpose)
        if asked is None:  # the purpose's first ask in this batch: every row takes its first place
            asked = self.asked[purpose] = np.zeros(len(self.tape), dtype=np.int64)
            asked[rows] = 1
            return self.tape[rows, BASES[purpose]]
        n = asked[rows]
        asked[rows] = n + 1
        cap = CAPS[purpose]
        if n.max(initial=0) < cap:
            return self.tape[rows, BASES[purpose] + n]
        on = n < cap
        u = np.empty(len(rows))
        u[on] = self.tape[rows[on], BASES[purpose] + n[on]]
        for i in np.flatnonzero(~on).tolist():  # the case's own generator, one per case and purpose, as Draws keeps
            row = int(rows[i])
            draws = self._beyond.get(row)
            if draws is None:
                draws = self._beyond[row] = Draws(array("d"), (*self.key[:2], *self.ids[row].tolist()))
            draws.counts[purpose] = int(n[i])
            u[i] = draws.uniform(purpose)
        return u

    def chance(self, decision: str, probability: float, rows: np.ndarray) -> np.ndarray:
        return self.next(PURPOSE[decision], rows) < probability

    def count(self, key: str, count_shares: dict[int, float], rows: np.ndarray) -> np.ndarray:
        """``draw_count`` on a batch: one chance per number tried, smallest first."""
        counts = sorted(count_shares)
        out = np.full(len(rows), counts[-1], dtype=np.int64)
        undecided = np.ones(len(rows), dtype=bool)
        left = 1.0
        for count in counts[:-1]:
            share = count_shares[count]
            if left <= share:
                out[undecided] = count
                return out
            asking = np.flatnonzero(undecided)
            yes = self.chance(key, share / left, rows[asking])
            out[asking[yes]] = count
            undecided[asking[yes]] = False
            left -= share
        return out


class Routes:
    """A batch's routes as rows of operation ids, with each position's value (a work's duration or a hearing's hours)
    and notice, built step by step as the pathway modules take their decisions."""

    def __init__(self, m: int, width: int, tape: Tape, dists: dict[str, Any]) -> None:
        self.op = np.full((m, width), -1, dtype=np.int64)
        self.value = np.zeros((m, width))
        self.notice = np.zeros((m, width))
        self.cursor = np.zeros(m, dtype=np.int64)
        self.tape = tape
        self.dists = dists

    def add(self, rows: np.ndarray, op: int) -> None:
        self.op[rows, self.cursor[rows]] = op
        self.cursor[rows] += 1

    def work(self, rows: np.ndarray, op: int, duration_key: str) -> None:
        if len(rows):
            self.value[rows, self.cursor[rows]] = quantiles(
                self.dists[duration_key], self.tape.next(PURPOSE[duration_key], rows)
            )
            self.add(rows, op)

    def hearing(self, rows: np.ndarray, op: int, hearing_key: str) -> None:
        """The k-th hearing a case lists takes the k-th length and notice on its tape."""
        if len(rows):
            hearing = self.dists[hearing_key]
            at = self.cursor[rows]
            self.value[rows, at] = quantiles(hearing.duration_hours, self.tape.next(HOURS, rows))
            self.notice[rows, at] = quantiles(hearing.notice_days, self.tape.next(NOTICE, rows))
            self.add(rows, op)
