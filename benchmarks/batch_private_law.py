"""Prototype of the day-by-day batch design (issue 14) on private law, measured against the present model.

One file, past the 400 lines a module should keep to, so that the prototype reads and runs alone; if the design
is adopted it becomes modules of ``sim/model`` (a case table, a day's batches, the diary loop, the team loop).

The present model drives one generator per case with SimPy events (``sim/model/``). This prototype keeps the clock
in SimPy with one event per simulated day and holds cases as rows of preallocated numpy columns; each day it takes
the rows due that day and moves them on in batches: hearings heard (adjourned or not), hearings taken off the list
(vacated, or the parties withdrew while waiting), team work finished, cases arriving. Every branch decision and
duration is read as an array when a batch of cases is created, from each case's own tape of uniforms keyed as the
present model keys it (3, below); a case's whole route (safeguarding, FHDRA, fact-finding, section 7 report, DRA,
final hearing) is fixed then as a row of step codes. Only two things stay sequential, in booking order (the time
each case became ready): diary booking and caseload-slot allocation (first come, first served per region and team).

    python benchmarks/batch_private_law.py [--run-years 5] [--warm-up-years 2] [--seed N] [--rounds R]
        [--design both|batch|present] [--profile] [--check-routes] [--check-crn FACTOR]

**Scenario.** Both designs run one scenario: ``scenarios/baseline.yaml`` extended (a file written to /tmp and read
by the project's loader, ``sim.scenario.loading.load_scenario``) with public law and domestic abuse demand 0, Wales
on the standard route (``pathfinder_from: null``: the prototype has no Pathfinder route, so the present model must
not use it either), no private law cases kept by lay justices and no section 7 writer staying to the DRA
(``NOT_PROTOTYPED``: rules added to the model after the prototype), the warm-up and results years asked for, and
court capacity cut to what the baseline leaves private law. **Court hours**: the baseline's diaries (days sat x
children's share x hours a day, split by tier and region in proportion to the hearing hours each needs,
``court_capacity.py``) shared between case types in proportion to the hearing hours each case type needs in that
region and tier, i.e. private law keeps its own demand's share of every diary, as if all case types were served
alike (private law ranks last for listing in the baseline, so in a full-model run it may get somewhat less). In the
scenario this is ``children_work_share`` x (private law's demand hours / all demand hours) = 0.85 x 0.550; the
script checks that the diaries this gives equal the baseline's hours x private law's share, diary by diary (they
agree to within 1e-7: the rounding of the share). Cafcass and local authority teams keep all their workers (public
law is absent from both designs alike).

**What the prototype reproduces** (``sim/model/pathways/private_law.py``, ``steps.py``): arrivals by month and
region with the baseline's seasonality (the project's ``arrivals_between``) and the returns from before the run
(``past_returns``); each case's court centre, domestic abuse flag and children; safeguarding checks by the Cafcass
short-term team, whose slot is kept until the FHDRA is heard or the case withdrawn; the FHDRA no sooner than its
notice from issue; resolved at the FHDRA; another application disposed of there (first disposal); fact-finding
for a share of cases with domestic abuse; the section 7 report by Cafcass long-term or the local authority (the
slot freed when the report is done); DRA, resolved there or a final hearing; each hearing listed on its region's
centre's diary of its tier (the project's ``ListingDiary.book``: ranks, booking limit shares, release window,
blocks of days), vacated before its day (hours freed at a uniform time before it, relisted after the relist
notice) or adjourned on the day (relisted), and withdrawn while it waits past its notice at the scenario's
weekly hazard; the outcome; children returning to court after a child arrangements order at the recurrence
share and delay. Caseload teams have slots at the average caseload and stretched slots for work that has waited
the allocation delay.

**What it simplifies.** (1) Time moves in whole days: a case's ready time stays a float (so notice periods,
durations and days to disposal are as in the present model), but it acts on the day the time falls in, after
everything else of that day's kind, and work allocated from a queue starts at the start of the day a slot freed. (2)
Within a day, steps run in a fixed order (hours freed, hearings heard, work finished, arrivals, slot allocation,
then all bookings in order of ready time), not interleaved by time of day. (3) Random numbers are the present
model's (``sim/model/random_streams.py``), read as arrays. Arrivals and the returns from before the run come from
the same keyed generators, so every case has the same identity (origin, serial among its origin's private law cases,
returns to court), region and arrival time in both designs. Everything a case draws comes from its own tape (a row
of a block of 128 serials, or, for a return to court, a generator keyed by the case it returns from), at the places
the present model reads, through the same inverse distribution functions (``quantiles``: on the array where the
arithmetic is the same, the project's own function value by value where numpy's log and exp could round
differently); the k-th hearing's length and notice and the n-th listing's three draws are the tape's k-th and n-th.
So for one seed a case draws the present model's route exactly, and common random numbers hold between scenarios: a
capacity changes timing, not what any case draws. Timing still decides whether and when a case returns to court
during the run (its order must be made, not withdrawn, early enough), which listing a hearing is, and what a
listing's draws decide (the withdrawal hazard grows with the wait). Children's ages and attributes are not drawn
(see 4); their places on the tape are their own, so nothing else moves. (4) Records are only columns in memory (no
stage rows, no child rows, no Parquet files, no weekly monitor), whereas the present model's figures include writing
its tables; the number of children is drawn but children are not individual records. (5) No policies, no urgent
hearings (none in private law), no open caseload at the start, no displacement;
``adjourn_probability_added_at_full_list`` is followed if set. (6) Pathfinder is left out (Wales runs the standard
route in both designs).

**Checks** (``tests/test_benchmarks.py`` asserts them). ``--check-routes`` runs the present model once more,
untimed, keeps every case it creates and replays its route from its own draws (``replay_route``: a fresh count
on its tape, asked what ``pathways/private_law.py`` and ``Replication.dispose`` ask, in their order), then compares
case by case, by identity, with the prototype's rows (``compare_routes``): region, centre, local authority, flag
and children as the run drew them, the route, the work's durations and the report's team, each hearing's length
and notice, first disposal at the FHDRA, the drawn order, the return and its delay, the 8 listings' draws on the
tape; and the arrival apart. It also holds the replay to what the run itself drew: per purpose no more than the
replay, and exactly as much, with the same order, where the case reached its drawn order. ``--check-crn 0.9``
runs the prototype again with private law's court hours x0.9 and compares every case's route with the first run's.

**Measured** (2 cores shared with another job, load average 3-4; seed 20240101). Routes, 1 year after 2 of
warm-up: all 126,712 first applications and 14,170 returns from before the run identical between the designs,
arrival included; 7,994 returns during the run are in both and all identical (the present model's other 355 and
the prototype's other 407 came from orders made at other times); the present run drew, for all its 149,231 cases,
nothing the replay does not, and for the 86,760 that reached a drawn order exactly the replay's draws. Court hours
x0.9: every case in both runs draws the same route (126,712 + 14,170 + 7,350); mean weeks to final order 29.48
against 31.38. Speed, 1 year after 2 of warm-up, 3 interleaved rounds in one process: batch 1.97-2.13 CPU s for
149,256 cases (70-76k cases per CPU-second), present 11.1-11.7 s for 149,231 (12.7-13.5k), ratio 5.2-5.7 (median
5.6); the prototype as it was with a stream per decision (f0992c3) 1.47-1.49 s for 149,791 (101-102k): keyed draws
keep 0.72 of its speed (0.69-0.74), about 4 us more a case. Mean weeks to final order 29.48 against 29.66; open at
the end 28,946 against 29,006. Default 5 years (one round): 5.49 s against 29.1 s (62k against 11.8k cases per
CPU-second, ratio 5.3), 30.60 against 30.76 weeks. The diary's ``book`` is about half of the prototype's time
(cProfile, ``--profile``).

Both designs run as Python: the script sets ``FJSIM_PURE_PYTHON`` (unless given) so that the present model is not
the compiled build (``sim/model/build.py``), whose replication cannot be subclassed by the route check, and so that
the ratio compares designs, not compilers; the compiled build makes the present model about 1.15-1.6 times faster.

The last line printed is one JSON object: ``{"designs": [{design, cases, cpu_s, cases_per_cpu_second,
mean_weeks_to_final_order, open_at_year_end}, ...], "ratio_batch_to_present": ...}``, with
``routes_present_vs_batch``, ``present_run_vs_its_replay`` and ``crn`` when the checks are asked for.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import datetime as dt
import gc
import io
import json
import math
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from array import array
from collections import deque
from pathlib import Path

import numpy as np
import simpy
import yaml
from scipy.special import gammaincinv

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if __name__ == "__main__":  # as a script only: imported (by a test, or batch_model.py) it leaves the build alone
    os.environ.setdefault("FJSIM_PURE_PYTHON", "1")
"""The present model as Python, whatever the install compiled (sim/model/build.py): its route check subclasses the
replication, which a compiled class refuses, and the designs are compared as the same interpreter runs them. Set
before the model is imported, and only when run as a script, so that importing this file changes no environment
that later processes inherit."""

from sim.model.agencies.caseload import slots_for  # noqa: E402
from sim.model.agencies.court import Court  # noqa: E402
from sim.model.agencies.court_capacity import demand_hours  # noqa: E402
from sim.model.agencies.teams import _capacities, _pressure  # noqa: E402
from sim.model.arrivals import arrivals_between, cases_per_year_at, segment_bounds  # noqa: E402
from sim.model.inverses import inverse_cdf  # noqa: E402
from sim.model.parameters import Parameters  # noqa: E402
from sim.model.random_streams import (  # noqa: E402
    ARRIVED,
    BASES,
    BLOCK_CASES,
    CAPS,
    PURPOSE,
    RETURNED_FROM_BEFORE,
    TAPE_WIDTH,
    Draws,
    RandomStreams,
)
from sim.model.starting_state import past_returns, rules  # noqa: E402
from sim.scenario.distributions import Fixed, Gamma, Triangular, Uniform  # noqa: E402
from sim.scenario.limits import MAX_DRAW  # noqa: E402
from sim.scenario.loading import LoadedScenario, load_scenario, scenario_from_dict  # noqa: E402
from sim.scenario.schema import Scenario  # noqa: E402
from sim.vocabulary import CASE_TYPES, DAYS_PER_YEAR, LISTING_CLASSES, WEEK_DAYS, listing_class  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.yaml"
PRIVATE_LAW = CASE_TYPES.index("private_law")
TARGET_CASES_PER_CPU_SECOND = 33_000

# Steps of a route. A case's route is a row of these, fixed at creation from its decisions.
SAFEGUARDING, FHDRA, FACT_FINDING, SECTION7, DRA, FINAL, END = range(7)
HEARING_KEYS = {
    FHDRA: "private_law.first_hearing",
    FACT_FINDING: "private_law.fact_finding.hearing",
    DRA: "private_law.dispute_resolution_hearing",
    FINAL: "private_law.final_hearing",
}
HEARING_COLUMN = {FHDRA: 0, FACT_FINDING: 1, DRA: 2, FINAL: 3}
"""Column of each hearing in the per-case hours and notice arrays."""
ROUTE_WIDTH = 7

# What a row is waiting for on its due day.
ARRIVE, WORK_DONE, HEARD, OFF_LIST, CLOSED = range(5)
SHORT_TERM, LONG_TERM, LOCAL_AUTHORITY = range(3)
REPLICATION = 0
"""The replication both designs run (``run_present`` runs the present model's replication 0)."""
PLACE = {
    name: BASES[PURPOSE[name]]
    for name in (
        "domestic_abuse",
        "local_authority",
        "children",
        "court_centre",
        "outcome",
        "recurrence",
        "recurrence.delay_days",
        "private_law.resolved_at_first_hearing_share",
        "private_law.first_disposal_at_first_hearing_share",
        "private_law.fact_finding.share_if_domestic_abuse",
        "private_law.section7.share",
        "private_law.section7.by_local_authority_share",
        "private_law.resolved_at_dra_share",
        "private_law.safeguarding_days",
        "private_law.section7.duration_days",
    )
}
"""A case's draw for each decision or duration: its place on the case's tape (``sim.model.random_streams``)."""
HOURS_PLACE, NOTICE_PLACE = BASES[PURPOSE["hearing.duration_hours"]], BASES[PURPOSE["hearing.notice_days"]]
"""The k-th hearing's length and notice are at these places + k."""
LISTING_PURPOSES = [PURPOSE[f"listing.{p}"] for p in ("withdrawal", "vacate", "adjourn")]
LISTINGS_ON_TAPE = CAPS[LISTING_PURPOSES[0]]
LISTING_PLACES = np.concatenate([BASES[p] + np.arange(CAPS[p]) for p in LISTING_PURPOSES])
"""The n-th listing's draws (the parties withdraw, vacated, adjourned) are at these places n, 8 + n and 16 + n."""
LISTING_COUNTER = PURPOSE["listing.vacate"]
"""``Draws.listing`` counts a case's listings on the vacate purpose."""
LISTING_TOLERANCE_DAYS = 1e-9
RETURNS_ALLOWANCE = 1.3
"""Rows laid out at the start: this times the first applications expected and the returns from before the run."""


# ---------------------------------------------------------------------------------------------- keyed draws
def quantiles(dist, u: np.ndarray) -> np.ndarray:
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
        quantile = inverse_cdf(dist)
        return np.fromiter(map(quantile.at, u.tolist()), dtype=np.float64, count=len(u))
    return np.where(v < MAX_DRAW, v, MAX_DRAW)


def listing_beyond_tape(streams: RandomStreams, key: tuple[int, int, int, int], n: int) -> tuple[float, float, float]:
    """The draws of a case's n-th listing past its tape's places (n >= 8): the project's ``Draws.listing``, keyed by
    (origin, case type, serial, returns) and the listing's number."""
    draws = Draws(array("d"), (streams.root_seed, streams.replication, *key))
    draws.counts[LISTING_COUNTER] = n
    return draws.listing()


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
NOT_PROTOTYPED = {"allocated_to_lay_justices_share": 0.0, "section7": {"writer_stays_to_dra": False}}
"""Private law rules the prototype does not have, switched off in both designs' scenario: every DRA and final hearing
on its own tier's list, and a section 7 writer who closes the case on filing."""


def as_prototyped(data: dict) -> dict:
    """A scenario dict with what the prototype lacks switched off: Pathfinder in Wales and :data:`NOT_PROTOTYPED`."""
    data["regions"]["wales"]["pathfinder_from"] = None
    private = data["private_law"]
    private["allocated_to_lay_justices_share"] = NOT_PROTOTYPED["allocated_to_lay_justices_share"]
    private["section7"].update(NOT_PROTOTYPED["section7"])
    return data


def private_law_share_of_hours(scenario: Scenario) -> float:
    """Private law's share of the hearing hours all case types need (Wales on the standard route)."""
    everyone = demand_hours(scenario)
    data = scenario.model_dump(mode="json", by_alias=True)
    for case_type in ("public_law", "domestic_abuse"):
        data["demand"][case_type]["cases_per_year"] = 0
    private = demand_hours(scenario_from_dict(data, "private law only").scenario)
    return sum(map(sum, private.values())) / sum(map(sum, everyone.values()))


def write_private_law_scenario(
    run_years: float, warm_up_years: float, seed: int, folder: Path, court_hours: float = 1.0
) -> Path:
    """The baseline with private law only, as a YAML file that ``extends`` it (see the module docstring); with
    ``court_hours`` times private law's court hours (``--check-crn``)."""
    base = load_scenario(BASELINE).scenario
    data = as_prototyped(base.model_dump(mode="json", by_alias=True))
    standard_route = scenario_from_dict(data, "baseline, Wales on the standard route").scenario
    share = private_law_share_of_hours(standard_route)
    capacity = base.courts.capacity
    overrides = {
        "extends": str(BASELINE),
        "name": "private_law_only",
        "description": "The baseline with public law and domestic abuse demand 0, Wales on the standard route, and "
        "the court hours private law's demand would have in the baseline (benchmarks/batch_private_law.py).",
        "run_years": run_years,
        "seed": seed,
        "starting_state": {"warm_up_days": int(round(warm_up_years * DAYS_PER_YEAR))},
        "regions": {"wales": {"pathfinder_from": None}},
        "private_law": NOT_PROTOTYPED,
        "demand": {"public_law": {"cases_per_year": 0}, "domestic_abuse": {"cases_per_year": 0}},
        "courts": {"capacity": {"children_work_share": round(capacity.children_work_share * share * court_hours, 6)}},
    }
    hours = "" if court_hours == 1.0 else f"_{court_hours:g}h"
    path = folder / f"private_law_only_{run_years:g}y_{warm_up_years:g}w{hours}.yaml"
    path.write_text(yaml.safe_dump(overrides, sort_keys=False))
    return path


def check_court_hours(private: Scenario) -> float:
    """Largest relative difference, over every diary, between the private-law-only scenario's hours and the
    baseline's (Wales on the standard route) times private law's share of that region's and tier's demand."""
    base = load_scenario(BASELINE).scenario
    data = as_prototyped(base.model_dump(mode="json", by_alias=True))
    data["starting_state"]["warm_up_days"] = private.starting_state.warm_up_days
    base = scenario_from_dict(data, "baseline, Wales standard").scenario
    everyone, mine = demand_hours(base), demand_hours(private)
    horizon = int(base.end_day) + 400
    base_court, private_court = Court(base, horizon), Court(private, horizon)
    worst = 0.0
    for t, tier in enumerate(base.courts.tiers):
        for r in range(len(base.regions)):
            need = everyone[tier][r]
            left = base_court.diaries[r][0][t].hours_per_day * (mine[tier][r] / need if need else 0.0)
            have = private_court.diaries[r][0][t].hours_per_day
            if left or have:
                worst = max(worst, abs(have - left) / max(left, have))
    return worst


# ---------------------------------------------------------------------------------------------- the batch model
class Team:
    """One region's caseload team: slots at the average and stretched, and the queue (rows, first come first)."""

    __slots__ = ("workers", "slots", "stretched", "delay", "busy", "queue")

    def __init__(self, workers: float, limit: float, stretch: float, delay: float) -> None:
        self.set_capacity(workers, limit, stretch, delay)
        self.busy = 0
        self.queue: deque[tuple[float, int]] = deque()

    def set_capacity(self, workers: float, limit: float, stretch: float, delay: float) -> None:
        """Workers and caseloads, as ``CaseloadTeam`` counts its slots (``slots_for``): at the average and stretched."""
        self.workers = workers
        self.slots = slots_for(workers, limit)
        self.stretched = max(self.slots, slots_for(workers, limit * stretch))
        self.delay = delay

    def allocate(
        self, freed: int, asking: np.ndarray, ready: np.ndarray, t: int, started: list[int], at: list[float]
    ) -> None:
        """A day's allocation: ``freed`` slots back; the queue first come first served at the average caseload
        (starting today); then today's requests ``asking`` (rows in ready order, starting when they asked) while
        slots are free and nobody queues; then work that has waited the allocation delay takes a stretched slot.
        Rows that start are appended to ``started``, with their start time to ``at``."""
        self.busy -= freed
        queue = self.queue
        while queue and self.busy < self.slots:
            self.busy += 1
            started.append(queue.popleft()[1])
            at.append(float(t))
        if len(asking):
            if not queue:
                take = max(0, min(len(asking), self.slots - self.busy))
                if take:
                    self.busy += take
                    started.extend(asking[:take].tolist())
                    at.extend(ready[asking[:take]].tolist())
                asking = asking[take:]
            queue.extend(zip(ready[asking].tolist(), asking.tolist(), strict=True))
        if self.stretched > self.slots:
            waited = t + 1 - self.delay
            while queue and self.busy < self.stretched and queue[0][0] < waited:
                self.busy += 1
                requested, row = queue.popleft()
                started.append(row)
                at.append(max(float(t), requested + self.delay))


def caseload_teams(scenario: Scenario, kinds: tuple[str, ...], team: type[Team] = Team) -> list[list[Team]]:
    """Each kind's team in each region, [kind][region], from the scenario keys the model's caseload teams read
    (``sim.model.agencies.teams``); ``team`` the class (``batch_model.Team`` keeps time within a day)."""
    return [[team(*capacity) for capacity in team_capacities(scenario, kind)] for kind in kinds]


def team_capacities(scenario: Scenario, kind: str) -> list[tuple[float, float, float, float]]:
    """(workers, caseload limit, stretch, allocation delay in days) of a team kind in each region, in region order."""
    pressure = _pressure(scenario, kind)
    return [(*capacity, *pressure) for capacity in _capacities(scenario, kind).values()]


class BatchPrivateLaw:
    """Private law cases as rows of numpy columns, moved on a day at a time (see the module docstring)."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.params = Parameters(scenario.outcome_names(), scenario)
        self.end_day = scenario.end_day
        self.streams = RandomStreams(seed, REPLICATION)
        self.tapes = Tapes(self.streams, PRIVATE_LAW)
        self.seed = seed
        pl = scenario.private_law
        self.pl = pl
        self.n_regions = len(scenario.regions)
        # court centres: a flat index over regions, and a diary per centre and tier
        self.court = Court(scenario, int(self.end_day) + 400)
        self.centre_offset = np.cumsum([0] + [len(c) for c in self.court.diaries])[:-1]
        self.centre_cumulative = [None if c is None else np.array(c) for c in self.params.centre_cumulative]
        self.local_authority_counts = np.array(self.params.local_authority_counts, dtype=np.int64)
        diaries = [tiers for centres in self.court.diaries for tiers in centres]
        self.n_tiers = len(scenario.courts.tiers)
        self.book = [diary.book for tiers in diaries for diary in tiers]
        self.release = [diary.release for tiers in diaries for diary in tiers]
        self.load_share = [diary.load_share for tiers in diaries for diary in tiers]
        hearings = scenario.hearings()
        self.hearing_dists = {step: hearings[key] for step, key in HEARING_KEYS.items()}
        self.tier_of = np.zeros(ROUTE_WIDTH, dtype=np.int64)
        self.rank_of = np.zeros((ROUTE_WIDTH, 2), dtype=np.int64)  # by step and domestic abuse flag
        for step, key in HEARING_KEYS.items():
            self.tier_of[step] = self.params.hearings[key].tier
            for da in (0, 1):
                rank = self.params.rank_by_hearing.get(key)
                if rank is None:
                    rank = self.params.listing_rank[LISTING_CLASSES.index(listing_class("private_law", bool(da)))]
                self.rank_of[step, da] = rank
        courts = scenario.courts
        self.vacate, self.adjourn = courts.vacate_probability, courts.adjourn_probability
        self.adjourn_at_full = courts.adjourn_probability_added_at_full_list
        self.relist_notice = courts.relist_notice_days
        self.withdrawal = pl.withdrawal_per_week_waiting
        # teams [kind][region]
        self.teams = caseload_teams(scenario, ("cafcass_short_term", "cafcass_long_term", "local_authority"))
        outcomes = self.params.outcome_names  # every pathway's, as the present model codes them
        self.outcome_names = outcomes
        self.outcome_cumulative = np.array(self.params.outcome_cumulative["private_law"])
        self.withdrawn_outcome = outcomes.index("withdrawn")
        self.recurrence_share = np.zeros(len(outcomes))
        self.recurrence_delay = {}
        for outcome, rule in scenario.recurrence.get("private_law", {}).items():
            if rule.case_type == "private_law" and outcome in outcomes:
                self.recurrence_share[outcomes.index(outcome)] = rule.share
                self.recurrence_delay[outcomes.index(outcome)] = rule.delay_days
        self.children_sizes = np.array(self.params.children_sizes[PRIVATE_LAW], dtype=np.int64)
        self.children_cumulative = np.array(self.params.children_cumulative[PRIVATE_LAW])
        self.da_share = scenario.children.domestic_abuse_share["private_law"]
        self.n = 0
        self._allocate_columns(1024)
        self.cases = 0
        self.children = 0
        self.lo = 0
        self.stats = {"listings": 0, "vacated": 0, "adjourned": 0, "withdrawn": 0, "days": 0}

    # ------------------------------------------------------------------ columns
    COLUMNS = {
        "origin": (np.int64, ARRIVED),
        "serial": (np.int64, 0),
        "returns": (np.int64, 0),
        "arrival": (np.float64, np.nan),
        "region": (np.int64, 0),
        "centre": (np.int64, 0),
        "local_authority": (np.int64, 0),
        "da": (np.int64, 0),
        "n_children": (np.int64, 0),
        "is_return": (np.bool_, False),
        "drawn_outcome": (np.int64, 0),
        "outcome": (np.int64, 0),
        "recur": (np.bool_, False),
        "recur_delay": (np.float64, 0.0),
        "first_disposal_at_fh": (np.bool_, False),
        "safeguarding_days": (np.float64, 0.0),
        "section7_days": (np.float64, 0.0),
        "section7_team": (np.int64, LONG_TERM),
        "pos": (np.int64, 0),
        "kind": (np.int64, ARRIVE),
        "due": (np.int64, -1),
        "ready": (np.float64, 0.0),
        "earliest": (np.float64, 0.0),
        "listed_day": (np.int64, 0),
        "withdrawing": (np.bool_, False),
        "listings": (np.int64, 0),
        "adjourn_draw": (np.float64, 1.0),
        "end": (np.float64, np.nan),
        "first_hearing": (np.float64, np.nan),
        "first_disposal": (np.float64, np.nan),
        "hearings": (np.int64, 0),
        "adjournments": (np.int64, 0),
        "vacated": (np.int64, 0),
    }

    def _allocate_columns(self, capacity: int) -> None:
        old = getattr(self, "capacity", 0)
        for name, (dtype, fill) in self.COLUMNS.items():
            column = np.full(capacity, fill, dtype=dtype)
            if old:
                column[:old] = getattr(self, name)
            setattr(self, name, column)
        for name, width, dtype, fill in (
            ("route", ROUTE_WIDTH, np.int64, END),
            ("hours", 4, np.float64, 0.0),
            ("listing_draws", len(LISTING_PLACES), np.float64, None),  # written whole when a row is created
        ):
            block = (
                np.empty((capacity, width), dtype=dtype) if fill is None else np.full((capacity, width), fill, dtype)
            )
            if old:
                block[:old] = getattr(self, name)
            setattr(self, name, block)
        notice = np.zeros((capacity, 4))
        if old:
            notice[:old] = self.notice
        self.notice = notice
        self.capacity = capacity

    def create(
        self,
        arrival: np.ndarray,
        region: np.ndarray,
        origin: np.ndarray,
        serial: np.ndarray,
        returns: np.ndarray,
        parent: np.ndarray | None = None,
    ) -> None:
        """New rows for cases arriving at ``arrival`` (days) in ``region``, each known as the present model knows it:
        (origin, serial among its origin's private law cases, returns to court). A return copies its ``parent``'s
        centre, local authority, domestic abuse flag and children. Every decision and duration of the case is read
        from its tape here, at the places the present model reads them (``sim.model.random_streams.PURPOSES``)."""
        m = len(arrival)
        if m == 0:
            return
        if self.n + m > self.capacity:
            self._allocate_columns(max(2 * self.capacity, self.n + m))
        rows = slice(self.n, self.n + m)
        self.n += m
        pl = self.pl
        tape = self.tapes.rows(origin, serial, returns)
        place = PLACE
        self.origin[rows], self.serial[rows], self.returns[rows] = origin, serial, returns
        self.arrival[rows] = arrival
        self.region[rows] = region
        self.due[rows] = np.floor(arrival).astype(np.int64)
        self.kind[rows] = ARRIVE
        self.ready[rows] = arrival
        if parent is None:  # Replication.new_case: the flag, local authority, children, then the centre
            self.da[rows] = tape[:, place["domestic_abuse"]] < self.da_share
            self.local_authority[rows] = (
                tape[:, place["local_authority"]] * self.local_authority_counts[region]
            ).astype(np.int64)
            pick = np.searchsorted(self.children_cumulative, tape[:, place["children"]], side="right")
            self.n_children[rows] = self.children_sizes[np.minimum(pick, len(self.children_sizes) - 1)]
            centre = np.zeros(m, dtype=np.int64)  # a region with one centre draws none
            u = tape[:, place["court_centre"]]
            for r in np.unique(region).tolist():
                cumulative = self.centre_cumulative[r]
                if cumulative is not None:
                    mine = region == r
                    centre[mine] = np.minimum(np.searchsorted(cumulative, u[mine], side="right"), len(cumulative) - 1)
            self.centre[rows] = self.centre_offset[region] + centre
        else:
            self.centre[rows] = self.centre[parent]
            self.local_authority[rows] = self.local_authority[parent]
            self.da[rows] = self.da[parent]
            self.n_children[rows] = self.n_children[parent]
            self.is_return[rows] = True
        da = self.da[rows] == 1
        resolved_fh = tape[:, place["private_law.resolved_at_first_hearing_share"]] < pl.resolved_at_first_hearing_share
        self.first_disposal_at_fh[rows] = (
            tape[:, place["private_law.first_disposal_at_first_hearing_share"]]
            < pl.first_disposal_at_first_hearing_share
        ) & ~resolved_fh
        fact_finding = (
            tape[:, place["private_law.fact_finding.share_if_domestic_abuse"]] < pl.fact_finding.share_if_domestic_abuse
        ) & da
        section7 = tape[:, place["private_law.section7.share"]] < pl.section7.share
        by_la = tape[:, place["private_law.section7.by_local_authority_share"]] < pl.section7.by_local_authority_share
        self.section7_team[rows] = np.where(by_la, LOCAL_AUTHORITY, LONG_TERM)
        resolved_dra = tape[:, place["private_law.resolved_at_dra_share"]] < pl.resolved_at_dra_share
        outcome = np.minimum(
            np.searchsorted(self.outcome_cumulative, tape[:, place["outcome"]], side="right"),
            len(self.outcome_cumulative) - 1,
        )
        self.drawn_outcome[rows] = outcome
        self.outcome[rows] = outcome
        recur = tape[:, place["recurrence"]] < self.recurrence_share[outcome]
        self.recur[rows] = recur
        delays = np.zeros(m)  # drawn, as in the present model, only for a case that returns
        for code, dist in self.recurrence_delay.items():
            mine = recur & (outcome == code)
            if mine.any():
                delays[mine] = quantiles(dist, tape[mine, place["recurrence.delay_days"]])
        self.recur_delay[rows] = delays
        self.safeguarding_days[rows] = quantiles(pl.safeguarding_days, tape[:, place["private_law.safeguarding_days"]])
        directed = ~resolved_fh
        report = directed & section7
        days = np.zeros(m)  # a report's duration only where there is a report
        days[report] = quantiles(pl.section7.duration_days, tape[report, place["private_law.section7.duration_days"]])
        self.section7_days[rows] = days
        # the k-th hearing the case lists takes the k-th length and notice: FHDRA, fact-finding, DRA, final hearing
        fact_finding &= directed
        every = np.arange(m)
        final = directed & ~resolved_dra
        k = 1 + fact_finding
        for step, listed, kth in (
            (FHDRA, every, 0),
            (FACT_FINDING, np.flatnonzero(fact_finding), 1),
            (DRA, np.flatnonzero(directed), k[directed]),
            (FINAL, np.flatnonzero(final), k[final] + 1),
        ):  # only the hearings on the route: a gamma's inverse costs about 2 us
            hearing, column = self.hearing_dists[step], HEARING_COLUMN[step]
            at = self.n - m + listed
            self.hours[at, column] = quantiles(hearing.duration_hours, tape[listed, HOURS_PLACE + kth])
            self.notice[at, column] = quantiles(hearing.notice_days, tape[listed, NOTICE_PLACE + kth])
        self.listing_draws[rows] = tape[:, LISTING_PLACES]
        # the route: safeguarding, FHDRA, then what the decisions call for
        route = np.full((m, ROUTE_WIDTH), END, dtype=np.int64)
        route[:, 0], route[:, 1] = SAFEGUARDING, FHDRA
        cursor = np.full(m, 2)
        for mask, step in (
            (fact_finding, FACT_FINDING),
            (report, SECTION7),
            (directed, DRA),
            (final, FINAL),
        ):
            route[every[mask], cursor[mask]] = step
            cursor[mask] += 1
        self.route[rows] = route
        self.pos[rows] = 0

    # ------------------------------------------------------------------ a day
    def due_today(self, t: int) -> np.ndarray:
        """Rows due today, in the order they became ready (booking order)."""
        due = self.due
        while self.lo < self.n and due[self.lo] < 0:
            self.lo += 1
        idx = np.flatnonzero(due[self.lo : self.n] == t)
        if not len(idx):
            return idx
        idx += self.lo
        if t + 1 > self.end_day:
            idx = idx[self.ready[idx] < self.end_day]
        return idx[np.argsort(self.ready[idx], kind="stable")]

    def day(self, t: int) -> None:
        idx = self.due_today(t)
        self.stats["days"] += 1
        self._to_book: list[np.ndarray] = []
        self._to_team: list[np.ndarray] = []
        self._freed = [np.zeros(self.n_regions, dtype=np.int64) for _ in range(3)]
        if len(idx):
            kind = self.kind[idx]
            off = idx[kind == OFF_LIST]
            if len(off):
                self.taken_off(off, t)
            heard = idx[kind == HEARD]
            if len(heard):
                self.heard(heard, t)
            done = idx[kind == WORK_DONE]
            if len(done):
                self.work_done(done)
            new = idx[kind == ARRIVE]
            if len(new):
                self.cases += len(new)
                self.children += int(self.n_children[new][~self.is_return[new]].sum())  # a return brings its own
                self.advance(new)
        self.allocate(t)
        if self._to_book:
            self.list_hearings(np.concatenate(self._to_book), t)

    def taken_off(self, rows: np.ndarray, t: int) -> None:
        """Hearings vacated, or withdrawn while waiting: their hours are freed; relist or dispose."""
        release = self.release
        diary = self.diary_of(rows).tolist()
        days = self.listed_day[rows].tolist()
        hours = self.current_hours(rows).tolist()
        for i in range(len(days)):  # sequential: each frees hours on its own diary and day
            release[diary[i]](days[i], hours[i])
        withdrawing = self.withdrawing[rows]
        gone = rows[withdrawing]
        if len(gone):
            self.stats["withdrawn"] += len(gone)
            self._free_short_term(gone)
            self.dispose(gone, withdrawn=True)
        again = rows[~withdrawing]
        if len(again):
            self.vacated[again] += 1
            self.earliest[again] = self.ready[again] + self.relist_notice
            self._to_book.append(again)

    def _step(self, rows: np.ndarray) -> np.ndarray:
        return self.route[rows, self.pos[rows]]

    def _free_short_term(self, rows: np.ndarray) -> None:
        """The FHDRA is over (heard or withdrawn): the short-term adviser's slot is free."""
        at_fh = rows[self._step(rows) == FHDRA]
        if len(at_fh):
            self._freed[SHORT_TERM] += np.bincount(self.region[at_fh], minlength=self.n_regions)

    def heard(self, rows: np.ndarray, t: int) -> None:
        """Hearings heard yesterday: adjourned ones are relisted, the rest move on (the FHDRA frees its slot)."""
        self.hearings[rows] += 1
        first = rows[np.isnan(self.first_hearing[rows])]
        self.first_hearing[first] = self.listed_day[first]
        p = np.full(len(rows), self.adjourn)
        if self.adjourn_at_full:
            load = self.load_share
            diary, days = self.diary_of(rows).tolist(), self.listed_day[rows].tolist()
            p += self.adjourn_at_full * np.minimum(1.0, [load[diary[i]](days[i]) for i in range(len(days))])
            p = np.minimum(1.0, p)
        adjourned = self.adjourn_draw[rows] < p  # the draw of the listing that was heard
        again = rows[adjourned]
        if len(again):
            self.stats["adjourned"] += len(again)
            self.adjournments[again] += 1
            self.earliest[again] = self.ready[again] + self.relist_notice
            self._to_book.append(again)
        on = rows[~adjourned]
        if len(on):
            self._free_short_term(on)
            fh = on[(self._step(on) == FHDRA) & self.first_disposal_at_fh[on]]
            self.first_disposal[fh] = self.ready[fh]
            self.pos[on] += 1
            self.advance(on)

    def work_done(self, rows: np.ndarray) -> None:
        """Safeguarding checks (the slot is kept to the FHDRA) or a section 7 report (its slot is freed) done."""
        s7 = rows[self._step(rows) == SECTION7]
        if len(s7):
            team = self.section7_team[s7]
            for kind in (LONG_TERM, LOCAL_AUTHORITY):
                mine = s7[team == kind]
                if len(mine):
                    self._freed[kind] += np.bincount(self.region[mine], minlength=self.n_regions)
        self.pos[rows] += 1
        self.advance(rows)

    def advance(self, rows: np.ndarray) -> None:
        """Rows at the start of their route's next step (``pos``): list a hearing, ask a team, or dispose."""
        step = self._step(rows)
        hearing = rows[(step >= FHDRA) & (step != SECTION7) & (step != END)]
        if len(hearing):
            h_step = self._step(hearing)
            column = np.array([0, 0, 1, 0, 2, 3, 0])[h_step]
            earliest = self.ready[hearing] + self.notice[hearing, column]
            fh = h_step == FHDRA  # its notice runs from issue, never before now
            earliest[fh] = np.maximum(self.ready[hearing[fh]], self.arrival[hearing[fh]] + self.notice[hearing[fh], 0])
            self.earliest[hearing] = earliest
            self._to_book.append(hearing)
        team = rows[(step == SAFEGUARDING) | (step == SECTION7)]
        if len(team):
            self._to_team.append(team)
        ended = rows[step == END]
        if len(ended):
            self.dispose(ended, withdrawn=False)

    def dispose(self, rows: np.ndarray, withdrawn: bool) -> None:
        """The order is made (or the case withdrawn): the row closes; some children return later as a new case."""
        self.end[rows] = self.ready[rows]
        self.kind[rows] = CLOSED
        self.due[rows] = -1
        fd = rows[np.isnan(self.first_disposal[rows])]
        self.first_disposal[fd] = self.ready[fd]
        if withdrawn:
            self.outcome[rows] = self.withdrawn_outcome
            return
        back = rows[self.recur[rows]]
        if len(back):
            arrival = self.end[back] + self.recur_delay[back]
            keep = arrival < self.end_day
            back = back[keep]
            self.create(
                arrival[keep], self.region[back], self.origin[back], self.serial[back], self.returns[back] + 1, back
            )

    def allocate(self, t: int) -> None:
        """Slots freed today go to the queue first come first served; then today's requests, in ready order; then
        work that has waited the allocation delay takes a stretched slot. Sequential per team."""
        requests = np.concatenate(self._to_team) if self._to_team else np.empty(0, dtype=np.int64)
        if len(requests):
            requests = requests[np.argsort(self.ready[requests], kind="stable")]
            step = self._step(requests)
            kind_of = np.where(step == SAFEGUARDING, SHORT_TERM, self.section7_team[requests])
        started_rows: list[int] = []
        started_at: list[float] = []
        for kind in (SHORT_TERM, LONG_TERM, LOCAL_AUTHORITY):
            freed = self._freed[kind]
            mine = requests[kind_of == kind] if len(requests) else requests
            regions = self.region[mine] if len(mine) else mine
            for r, team in enumerate(self.teams[kind]):
                asking = mine[regions == r] if len(mine) else mine
                team.allocate(int(freed[r]), asking, self.ready, t, started_rows, started_at)
        if started_rows:
            rows = np.array(started_rows, dtype=np.int64)
            start = np.array(started_at)
            duration = np.where(
                self._step(rows) == SAFEGUARDING, self.safeguarding_days[rows], self.section7_days[rows]
            )
            finish = start + duration
            self.ready[rows] = finish
            self.due[rows] = np.floor(finish).astype(np.int64)
            self.kind[rows] = WORK_DONE

    def diary_of(self, rows: np.ndarray) -> np.ndarray:
        return self.centre[rows] * self.n_tiers + self.tier_of[self._step(rows)]

    def current_hours(self, rows: np.ndarray) -> np.ndarray:
        column = np.array([0, 0, 1, 0, 2, 3, 0])[self._step(rows)]
        return self.hours[rows, column]

    def list_hearings(self, rows: np.ndarray, t: int) -> None:
        """Book every hearing asked for today, in booking order (the one sequential loop), then decide in a batch
        which will be withdrawn or vacated before their day and which will be heard."""
        rows = rows[np.argsort(self.ready[rows], kind="stable")]
        m = len(rows)
        self.stats["listings"] += m
        earliest_day = np.ceil(self.earliest[rows] - LISTING_TOLERANCE_DAYS).astype(np.int64)
        step = self._step(rows)
        rank = self.rank_of[step, self.da[rows]].tolist()
        diary = (self.centre[rows] * self.n_tiers + self.tier_of[step]).tolist()
        hours = self.current_hours(rows).tolist()
        first = earliest_day.tolist()
        book = self.book
        days = [book[diary[i]](first[i], hours[i], rank[i], t) for i in range(m)]
        day = np.array(days, dtype=np.int64)
        self.listed_day[rows] = day
        wait = (day - earliest_day).astype(np.float64)
        u_w, u_v = self.listing(rows)
        chance = -np.expm1(-self.withdrawal * wait / WEEK_DAYS)
        withdraws = (wait > 0) & (u_w < chance)
        vacates = ~withdraws & (u_v < self.vacate)
        off = withdraws | vacates
        self.stats["vacated"] += int(vacates.sum())
        when = np.where(withdraws, u_w / np.where(chance > 0, chance, 1.0), u_v / self.vacate if self.vacate else 0.0)
        off_time = t + when * (day - t)
        ready = np.where(off, off_time, day + 1.0)
        self.ready[rows] = ready
        self.due[rows] = np.where(off, np.maximum(t + 1, np.floor(off_time)), day + 1).astype(np.int64)
        self.kind[rows] = np.where(off, OFF_LIST, HEARD)
        self.withdrawing[rows] = withdraws

    def listing(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The draws of each row's next listing (``Draws.listing``: keyed by the listing's number), as (the parties
        withdraw, vacated); the adjournment's draw is kept for the day it is heard."""
        n = self.listings[rows]
        self.listings[rows] = n + 1
        on_tape = n < LISTINGS_ON_TAPE
        draws = self.listing_draws
        if on_tape.all():
            u_w = draws[rows, n]
            u_v = draws[rows, LISTINGS_ON_TAPE + n]
            self.adjourn_draw[rows] = draws[rows, 2 * LISTINGS_ON_TAPE + n]
            return u_w, u_v
        u_w, u_v, u_a = np.empty(len(rows)), np.empty(len(rows)), np.empty(len(rows))
        i = np.flatnonzero(on_tape)
        u_w[i], u_v[i], u_a[i] = (draws[rows[i], n[i] + LISTINGS_ON_TAPE * j] for j in range(3))
        for i in np.flatnonzero(~on_tape).tolist():  # past the tape's 8 listings: the case's own generator
            row = rows[i]
            key = (int(self.origin[row]), PRIVATE_LAW, int(self.serial[row]), int(self.returns[row]))
            u_w[i], u_v[i], u_a[i] = listing_beyond_tape(self.streams, key, int(n[i]))
        self.adjourn_draw[rows] = u_a
        return u_w, u_v

    # ------------------------------------------------------------------ running
    def arrivals(self) -> None:
        """First applications month by month and returns from before the run, drawn as the present model draws them
        (the project's ``arrivals_between`` and ``past_returns`` on the same keyed generators), as rows created
        ahead of their day (their draws made then, in one batch per month). A case's serial is its place among
        its origin's private law cases in time order, as ``Replication._arrivals`` and
        ``returns_from_before_start`` number them."""
        scenario, streams = self.scenario, self.streams
        periods = [(0.0, scenario)]
        bounds = segment_bounds(scenario.sim_start_date, self.end_day, [])
        self._months = list(zip(bounds[:-1], bounds[1:], strict=True))
        self._periods = periods
        self._serials = 0
        self._past: list[tuple[float, int, int]] = []
        if scenario.starting_state.returns_before_start:
            regions = list(scenario.regions)
            rng_for = {
                key: streams.generator("returns_before_start:" + ":".join(key[1:]), regions.index(key[0]))
                for key in rules(scenario)
            }
            mine = [p for p in past_returns(scenario, rng_for) if p.case_type == PRIVATE_LAW]
            self._past = [(p.day, p.region, serial) for serial, p in enumerate(mine)]
        # rows for the cases expected, returns during the run included, so that columns are rarely copied to grow
        expected = cases_per_year_at(scenario, "private_law", 0.0) * self.end_day / DAYS_PER_YEAR + len(self._past)
        self._allocate_columns(max(self.capacity, int(RETURNS_ALLOWANCE * expected)))

    def create_month(self, month: int) -> None:
        start, end = self._months[month]
        rngs = {c: self.streams.generator(f"arrivals:{c}", month) for c in CASE_TYPES}
        times, types, regions = arrivals_between(self._periods, start, end, rngs)
        keep = np.array(types, dtype=np.int64) == PRIVATE_LAW
        first = np.array(times, dtype=np.float64)[keep]
        serial = self._serials + np.arange(len(first))
        self._serials += len(first)
        past = [p for p in self._past if start <= p[0] < end]
        day = np.concatenate([first, [p[0] for p in past]])
        region = np.concatenate([np.array(regions, dtype=np.int64)[keep], [p[1] for p in past]]).astype(np.int64)
        origin = np.repeat([ARRIVED, RETURNED_FROM_BEFORE], [len(first), len(past)])
        serial = np.concatenate([serial, [p[2] for p in past]]).astype(np.int64)
        order = np.argsort(day, kind="stable")
        self.create(day[order], region[order], origin[order], serial[order], np.zeros(len(day), dtype=np.int64))

    def run(self) -> None:
        env = simpy.Environment()
        self.arrivals()
        month_starts = [int(math.floor(start)) for start, _ in self._months]

        def clock():
            month = 0
            for t in range(int(math.ceil(self.end_day))):
                while month < len(month_starts) and month_starts[month] <= t:
                    self.create_month(month)
                    month += 1
                self.day(t)
                yield env.timeout(1)

        env.process(clock())
        env.run()

    def drawn_routes(self) -> dict[str, np.ndarray]:
        """Every case's identity and what was drawn for it at creation, as :func:`present_routes` gives the present
        model's cases: fields its route does not use are blank (NaN or -1); hearings' lengths and notice in the order
        the case lists them."""
        n = self.n
        route = self.route[:n]
        is_hearing = np.isin(route, list(HEARING_COLUMN))
        k = np.cumsum(is_hearing, axis=1) - 1
        row, at = np.nonzero(is_hearing)
        column = np.array([HEARING_COLUMN.get(step, 0) for step in range(ROUTE_WIDTH)])[route[row, at]]
        hours, notice = np.full((n, 4), np.nan), np.full((n, 4), np.nan)
        hours[row, k[row, at]] = self.hours[row, column]
        notice[row, k[row, at]] = self.notice[row, column]
        section7 = (route == SECTION7).any(axis=1)
        recur = self.recur[:n]
        region = self.region[:n]
        return {
            "origin": self.origin[:n].copy(),
            "serial": self.serial[:n].copy(),
            "returns": self.returns[:n].copy(),
            "arrival": self.arrival[:n].copy(),
            "end": self.end[:n].copy(),
            "region": region.copy(),
            "court_centre": self.centre[:n] - self.centre_offset[region],
            "local_authority": self.local_authority[:n].copy(),
            "domestic_abuse": self.da[:n].astype(bool),
            "children": self.n_children[:n].copy(),
            "route": route.copy(),
            "safeguarding_days": self.safeguarding_days[:n].copy(),
            "section7_days": np.where(section7, self.section7_days[:n], np.nan),
            "section7_team": np.where(section7, self.section7_team[:n], -1),
            "hearing_hours": hours,
            "notice_days": notice,
            "first_disposal_at_first_hearing": self.first_disposal_at_fh[:n].copy(),
            "outcome": self.drawn_outcome[:n].copy(),
            "returns_to_court": recur.copy(),
            "return_delay_days": np.where(recur, self.recur_delay[:n], np.nan),
            "listing_draws": self.listing_draws[:n].copy(),
        }

    def headline(self, results_start: float, year_ends: list[float]) -> dict:
        n = self.n
        arrival, end = self.arrival[:n], self.end[:n]
        arrived = arrival < self.end_day
        disposed = ~np.isnan(end) & (end >= results_start) & (end < self.end_day)
        weeks = (end[disposed] - arrival[disposed]) / WEEK_DAYS
        open_at = [int((arrived & (arrival < y) & ~(end < y)).sum()) for y in year_ends]
        return {
            "mean_weeks_to_final_order": round(float(weeks.mean()), 3),
            "disposed_in_results": int(disposed.sum()),
            "open_at_year_end": open_at,
            "checks": {
                "weeks_to_first_hearing": round(
                    float(np.nanmean(self.first_hearing[:n][disposed] - arrival[disposed])) / WEEK_DAYS, 3
                ),
                "hearings_per_case": round(float(self.hearings[:n][disposed].mean()), 3),
                "adjournments_per_case": round(float(self.adjournments[:n][disposed].mean()), 3),
                "vacated_per_case": round(float(self.vacated[:n][disposed].mean()), 3),
                "withdrawn_share": round(float((self.outcome[:n][disposed] == self.withdrawn_outcome).mean()), 4),
            },
        }


# ---------------------------------------------------------------------------------------------- the two designs
def year_ends(scenario: Scenario) -> list[float]:
    """Days of each 1 January after the start date within the run, and the run's end."""
    out = []
    start = scenario.start_date
    for k in range(1, int(math.ceil(scenario.run_years - 1e-9)) + 1):
        out.append(min(scenario.day_of(dt.date(start.year + k, start.month, start.day)), scenario.end_day))
    return out


def run_batch(loaded: LoadedScenario, seed: int, profile: bool = False) -> tuple[dict, BatchPrivateLaw]:
    scenario = loaded.scenario
    model = BatchPrivateLaw(scenario, seed)
    gc_was = gc.isenabled()
    gc.disable()
    profiler = cProfile.Profile() if profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    model.run()
    if profiler:
        profiler.disable()
    cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - wall
    if gc_was:
        gc.enable()
    result = {
        "design": "batch",
        "cases": model.cases,
        "children": model.children,
        "cpu_s": round(cpu_s, 3),
        "wall_s": round(wall_s, 3),
        "cases_per_cpu_second": round(model.cases / cpu_s, 1),
        **model.headline(scenario.results_start_day, year_ends(scenario)),
        "listings": model.stats["listings"],
    }
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        result["profile"] = out.getvalue()
    return result, model


def run_present(loaded: LoadedScenario, seed: int) -> dict:
    """The present model on the same scenario, timed as bench_national.py times it (``Replication.run``)."""
    import pyarrow.parquet as pq

    from sim.model.replication import Replication

    scenario = loaded.scenario
    out = Path(tempfile.mkdtemp(prefix="batch-pl-present-"))
    replication = Replication(loaded, 0, out, seed=seed)
    cpu, wall = time.process_time(), time.perf_counter()
    stats = replication.run()
    cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - wall
    columns = ["case_id", "case_type", "status", "start_date", "end_date", "days_to_disposal", "days_to_first_hearing"]
    columns += ["hearings", "adjournments", "vacated", "outcome"]
    table = pq.read_table(out / "children.parquet", columns=columns).to_pandas()
    shutil.rmtree(out, ignore_errors=True)
    cases = table.drop_duplicates("case_id")
    first = np.datetime64(scenario.sim_start_date.isoformat())
    start = (cases["start_date"].to_numpy(dtype="datetime64[s]") - first) / np.timedelta64(1, "D")
    end = (cases["end_date"].to_numpy(dtype="datetime64[s]") - first) / np.timedelta64(1, "D")
    disposed = (cases["status"].astype(str) == "disposed").to_numpy()
    in_results = disposed & (end >= scenario.results_start_day) & (end < scenario.end_day)
    weeks = cases["days_to_disposal"].to_numpy(dtype=float)[in_results] / WEEK_DAYS
    private = (cases["case_type"].astype(str) == "private_law").to_numpy()
    open_at = [int((private & (start < y) & ~(end < y)).sum()) for y in year_ends(scenario)]
    return {
        "design": "present",
        "cases": stats.cases_created,
        "children": stats.children_created,
        "cpu_s": round(cpu_s, 3),
        "wall_s": round(wall_s, 3),
        "cases_per_cpu_second": round(stats.cases_created / cpu_s, 1),
        "mean_weeks_to_final_order": round(float(weeks.mean()), 3),
        "disposed_in_results": int(in_results.sum()),
        "open_at_year_end": open_at,
        "checks": {
            "weeks_to_first_hearing": round(
                float(np.nanmean(cases["days_to_first_hearing"].to_numpy(dtype=float)[in_results])) / WEEK_DAYS, 3
            ),
            **{
                f"{c}_per_case": round(float(cases[c].to_numpy(dtype=float)[in_results].mean()), 3)
                for c in ("hearings", "adjournments", "vacated")
            },
            "withdrawn_share": round(
                float((cases["outcome"].astype(str).to_numpy()[in_results] == "withdrawn").mean()), 4
            ),
        },
        "events": stats.events,
    }


# ---------------------------------------------------------------------------------------------- routes compared
ROUTE_FIELDS = (
    "region",
    "court_centre",
    "local_authority",
    "domestic_abuse",
    "children",
    "route",
    "safeguarding_days",
    "section7_days",
    "section7_team",
    "hearing_hours",
    "notice_days",
    "first_disposal_at_first_hearing",
    "outcome",
    "returns_to_court",
    "return_delay_days",
    "listing_draws",
)
"""What a case draws at creation (or, in the present model, when it gets there), compared field by field. The
arrival is compared apart: a return during the run arrives when its parent's order was made, which is timing."""
ROUTE_CHECKED_PURPOSES = [
    PURPOSE[p] for p in PLACE if p not in ("domestic_abuse", "local_authority", "children", "court_centre")
] + [PURPOSE["hearing.duration_hours"], PURPOSE["hearing.notice_days"]]
"""Purposes the replay of a present-model case's route asks for (the case's own flag, local authority, children and
centre are the run's values)."""


def present_routes(loaded: LoadedScenario, seed: int) -> tuple[dict[str, np.ndarray], dict]:
    """Run the present model (untimed) and give every case it created as :meth:`BatchPrivateLaw.drawn_routes` gives
    the prototype's: its identity (the key of its tape), region, arrival, centre, local authority, flag and children
    as the run drew them, and the route its own draws give (``Draws`` with a fresh count on the case's own tape,
    asked what ``pathways/private_law.py`` asks, in its order, with the model's quantiles). Also how the replay
    agrees with what the run itself drew: per purpose, the run drew no more than the replay (fewer where the case
    was withdrawn or still open), and as many, with the same order, where the case reached its drawn order."""
    from sim.model.replication import OUTCOME, Replication

    created = []

    class Recording(Replication):
        def new_case(self, *args, **kwargs):
            case = super().new_case(*args, **kwargs)
            created.append(case)
            return case

    out = Path(tempfile.mkdtemp(prefix="batch-pl-routes-"))
    try:
        replication = Recording(loaded, REPLICATION, out, seed=seed)
        replication.run()
    finally:
        shutil.rmtree(out, ignore_errors=True)
    params = replication.params
    rows: dict[str, list] = {name: [] for name in ("origin", "serial", "returns", "arrival", "end", *ROUTE_FIELDS)}
    agree = {"cases": 0, "run_drew_no_more": 0, "reached_an_order": 0, "order_draws_as_replayed": 0}
    for case in created:
        if case.case_type != PRIVATE_LAW:
            continue
        values, draw = replay_route(case, params)
        for key, value in values.items():
            rows[key].append(value)
        ran, replayed = case.draws.counts, draw.counts  # what the run drew against what the replay drew
        agree["cases"] += 1
        agree["run_drew_no_more"] += all(ran[p] <= replayed[p] for p in ROUTE_CHECKED_PURPOSES)
        if ran[OUTCOME]:  # the order was drawn: the case went the whole way
            agree["reached_an_order"] += 1
            agree["order_draws_as_replayed"] += case.outcome == values["outcome"] and all(
                ran[p] == replayed[p] for p in ROUTE_CHECKED_PURPOSES
            )
    routes = {key: np.array(value) for key, value in rows.items()}
    return routes, agree


def replay_route(case, params: Parameters) -> tuple[dict, Draws]:
    """A present-model case's route from its own draws: ``Draws`` with nothing drawn yet on the case's tape, asked
    what ``sim/model/pathways/private_law.py`` and ``Replication.dispose`` ask, in their order, as if no hearing
    were withdrawn; with the model's own quantiles and cumulative shares."""
    from sim.model.replication import OUTCOME, RECURRENCE, RECURRENCE_DELAY

    scenario = params.scenario
    pl = scenario.private_law
    _, _, origin, _, serial, returns = case.draws.key
    draw = Draws(case.draws.tape, case.draws.key)
    route, hours, notice = [SAFEGUARDING, FHDRA], [], []
    hours_purpose, notice_purpose = PURPOSE["hearing.duration_hours"], PURPOSE["hearing.notice_days"]

    def listed(step: int) -> None:
        plan = params.hearings[HEARING_KEYS[step]]
        hours.append(draw.sample(hours_purpose, plan.duration_hours))
        notice.append(draw.sample(notice_purpose, plan.notice_days))

    safeguarding = draw.sample(
        PURPOSE["private_law.safeguarding_days"], params.durations["private_law.safeguarding_days"]
    )
    listed(FHDRA)
    resolved = draw.chance("private_law.resolved_at_first_hearing_share", pl.resolved_at_first_hearing_share)
    first_disposal = not resolved and draw.chance(
        "private_law.first_disposal_at_first_hearing_share", pl.first_disposal_at_first_hearing_share
    )
    report_days, team = math.nan, -1
    if not resolved:
        if case.domestic_abuse and draw.chance(
            "private_law.fact_finding.share_if_domestic_abuse", pl.fact_finding.share_if_domestic_abuse
        ):
            route.append(FACT_FINDING)
            listed(FACT_FINDING)
        if draw.chance("private_law.section7.share", pl.section7.share):
            by_la = draw.chance("private_law.section7.by_local_authority_share", pl.section7.by_local_authority_share)
            team = LOCAL_AUTHORITY if by_la else LONG_TERM
            key = "private_law.section7.duration_days"
            report_days = draw.sample(PURPOSE[key], params.durations[key])
            route.append(SECTION7)
        route.append(DRA)
        listed(DRA)
        if not draw.chance("private_law.resolved_at_dra_share", pl.resolved_at_dra_share):
            route.append(FINAL)
            listed(FINAL)
    outcome = draw.choose(OUTCOME, params.outcome_cumulative["private_law"])
    name = params.outcome_names[outcome]
    rule = scenario.recurrence.get("private_law", {}).get(name)
    recur = rule is not None and draw.uniform(RECURRENCE) < rule.share
    delay = math.nan
    if recur:
        delay = draw.sample(RECURRENCE_DELAY, params.durations[f"recurrence.private_law.{name}.delay_days"])
    tape = case.draws.tape
    values = {
        "origin": origin,
        "serial": serial,
        "returns": returns,
        "arrival": case.arrival_day,
        "end": case.end_day,
        "region": case.region,
        "court_centre": case.court_centre,
        "local_authority": case.local_authority,
        "domestic_abuse": case.domestic_abuse,
        "children": len(case.children),
        "route": route + [END] * (ROUTE_WIDTH - len(route)),
        "safeguarding_days": safeguarding,
        "section7_days": report_days,
        "section7_team": team,
        "hearing_hours": hours + [math.nan] * (4 - len(hours)),
        "notice_days": notice + [math.nan] * (4 - len(notice)),
        "first_disposal_at_first_hearing": first_disposal,
        "outcome": outcome,
        "returns_to_court": recur,
        "return_delay_days": delay,
        "listing_draws": [tape[i] for i in LISTING_PLACES.tolist()],
    }
    return values, draw


GROUPS = {
    "first_applications": "origin ARRIVED, serial among private law arrivals",
    "returns_from_before_the_run": "origin RETURNED_FROM_BEFORE",
    "returns_during_the_run": "a case's return to court, keyed by it",
}


def case_codes(routes: dict[str, np.ndarray]) -> np.ndarray:
    """One number per case identity (origin, serial, returns to court): the key of its tape."""
    return (routes["origin"] * 1024 + routes["returns"]) * 2**40 + routes["serial"]


def group_of(routes: dict[str, np.ndarray]) -> np.ndarray:
    first = routes["returns"] == 0
    return np.where(first, np.where(routes["origin"] == ARRIVED, 0, 1), 2)


def same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row by row: every value equal (NaN equal to NaN: a blank field)."""
    equal = a == b
    if a.dtype.kind == "f":
        equal |= np.isnan(a) & np.isnan(b)
    return equal.reshape(len(equal), -1).all(axis=1)


def compare_routes(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict:
    """Case by case, by identity: how many of each group are in each run and in both, and of those in both how many
    drew the identical route (every field of ``ROUTE_FIELDS``), arrived at the same time, ended (order made or
    withdrawn) in both runs and ended at the same time; for routes that differ, how many differ in each field."""
    codes_a, codes_b = case_codes(a), case_codes(b)
    assert len(np.unique(codes_a)) == len(codes_a) and len(np.unique(codes_b)) == len(codes_b), "an identity twice"
    _, ia, ib = np.intersect1d(codes_a, codes_b, assume_unique=True, return_indices=True)
    fields = {name: same(a[name][ia], b[name][ib]) for name in ROUTE_FIELDS}
    identical = np.logical_and.reduce(list(fields.values()))
    arrival = same(a["arrival"][ia], b["arrival"][ib])
    end_a, end_b = a["end"][ia], b["end"][ib]
    ended = ~np.isnan(end_a) & ~np.isnan(end_b)
    same_end = ended & (end_a == end_b)
    group_a, group_b, group = group_of(a), group_of(b), group_of(a)[ia]
    out = {}
    for g, name in enumerate(GROUPS):
        mine = group == g
        in_both = int(mine.sum())
        out[name] = {
            "in_first": int((group_a == g).sum()),
            "in_second": int((group_b == g).sum()),
            "in_both": in_both,
            "route_identical": int(identical[mine].sum()),
            "share_identical": round(float(identical[mine].sum()) / max(1, (group_a == g).sum()), 6),
            "arrival_identical": int(arrival[mine].sum()),
            "ended_in_both": int(ended[mine].sum()),
            "ended_at_the_same_time": int(same_end[mine].sum()),
            "fields_differing": {f: int((~ok[mine]).sum()) for f, ok in fields.items() if (~ok[mine]).any()},
        }
    return out


def describe(comparison: dict, first: str, second: str) -> str:
    lines = []
    for name, c in comparison.items():
        lines.append(
            f"  {name.replace('_', ' '):28s} {first} {c['in_first']:,}, {second} {c['in_second']:,}, in both "
            f"{c['in_both']:,}: route identical {c['route_identical']:,} ({100 * c['share_identical']:.3f}% of "
            f"{first}'s), arrival identical {c['arrival_identical']:,}; ended in both {c['ended_in_both']:,}, "
            f"at the same time {c['ended_at_the_same_time']:,}"
            + (f"; fields differing {c['fields_differing']}" if c["fields_differing"] else "")
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-years", type=float, default=5.0)
    parser.add_argument("--warm-up-years", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--rounds", type=int, default=1, help="alternate the designs this many times each")
    parser.add_argument("--design", choices=("both", "batch", "present"), default="both")
    parser.add_argument("--profile", action="store_true", help="cProfile the batch design (one extra run)")
    parser.add_argument("--scenario-dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument(
        "--check-routes",
        action="store_true",
        help="run the present model once more, untimed, and compare every case's drawn route with the prototype's",
    )
    parser.add_argument(
        "--check-crn",
        type=float,
        metavar="FACTOR",
        help="run the prototype again with private law's court hours times FACTOR and compare every case's route",
    )
    args = parser.parse_args()

    path = write_private_law_scenario(args.run_years, args.warm_up_years, args.seed, args.scenario_dir)
    loaded = load_scenario(path, roots=[ROOT / "scenarios"])
    scenario = loaded.scenario
    print(f"scenario          {path} ({scenario.run_years:g} years after {scenario.results_start_day:g} warm-up days)")
    print(
        f"court hours       children_work_share {scenario.courts.capacity.children_work_share:.4f}; largest "
        f"difference from the baseline's hours x private law's demand share: {check_court_hours(scenario):.1e}"
    )
    designs = ["batch", "present"] if args.design == "both" else [args.design]
    runs: dict[str, list[dict]] = {d: [] for d in designs}
    first_routes = first_result = None
    for round_ in range(args.rounds):
        order = designs if round_ % 2 == 0 else designs[::-1]
        for design in order:
            if design == "batch":
                result, model = run_batch(loaded, args.seed)
                if first_routes is None and (args.check_routes or args.check_crn):
                    first_routes, first_result = model.drawn_routes(), result
                del model
            else:
                result = run_present(loaded, args.seed)
            runs[design].append(result)
            print(
                f"round {round_ + 1} {design:8s} {result['cases']:,} cases in {result['cpu_s']:.2f} CPU s "
                f"({result['cases_per_cpu_second']:,.0f}/s); mean weeks to final order "
                f"{result['mean_weeks_to_final_order']:.2f} ({result['disposed_in_results']:,} disposed); "
                f"open at year ends {result['open_at_year_end']}; {result['checks']}",
                flush=True,
            )
    if args.profile:
        profiled, _ = run_batch(loaded, args.seed, profile=True)
        print(profiled.pop("profile"))
    checks: dict = {}
    if (args.check_routes or args.check_crn) and first_routes is None:
        first_result, model = run_batch(loaded, args.seed)
        first_routes = model.drawn_routes()
        del model
    if args.check_routes:
        present, agree = present_routes(loaded, args.seed)
        checks["routes_present_vs_batch"] = compare_routes(present, first_routes)
        checks["present_run_vs_its_replay"] = agree
        print(f"routes            every case by identity, present model against the prototype (seed {args.seed}):")
        print(describe(checks["routes_present_vs_batch"], "present", "batch"))
        print(
            f"  the present run's own draws: {agree['run_drew_no_more']:,} of {agree['cases']:,} cases drew no more "
            f"than the replay asks; {agree['order_draws_as_replayed']:,} of the {agree['reached_an_order']:,} that "
            "reached a drawn order drew exactly the replay's draws and order"
        )
    if args.check_crn:
        path = write_private_law_scenario(
            args.run_years, args.warm_up_years, args.seed, args.scenario_dir, court_hours=args.check_crn
        )
        fewer = load_scenario(path, roots=[ROOT / "scenarios"])
        second_result, model = run_batch(fewer, args.seed)
        second_routes = model.drawn_routes()
        del model
        crn = compare_routes(first_routes, second_routes)
        checks["crn"] = {
            "court_hours": args.check_crn,
            "cases": crn,
            "mean_weeks_to_final_order": [
                first_result["mean_weeks_to_final_order"],
                second_result["mean_weeks_to_final_order"],
            ],
        }
        print(f"common random numbers: the prototype with court hours x{args.check_crn:g}, same seed:")
        print(describe(crn, "x1", f"x{args.check_crn:g}"))
        print(
            f"  mean weeks to final order {first_result['mean_weeks_to_final_order']:.2f} against "
            f"{second_result['mean_weeks_to_final_order']:.2f}"
        )
    summary = []
    for results in runs.values():
        best = copy.deepcopy(results[-1])
        best["cpu_s"] = round(statistics.median(r["cpu_s"] for r in results), 3)
        best["cases_per_cpu_second"] = round(best["cases"] / best["cpu_s"], 1)
        best["cpu_s_each_round"] = [r["cpu_s"] for r in results]
        summary.append(best)
    out: dict = {"designs": summary, **checks}
    if len(runs) == 2:
        ratios = [
            (b["cases"] / b["cpu_s"]) / (p["cases"] / p["cpu_s"])
            for b, p in zip(runs["batch"], runs["present"], strict=True)
        ]
        out["ratio_batch_to_present_each_round"] = [round(r, 2) for r in ratios]
        out["ratio_batch_to_present"] = round(statistics.median(ratios), 2)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
