"""The day-by-day batch design (issue 14) on every pathway, measured against the present model on the national mix.

One file, past the 400 lines a module should keep to, so that the prototype reads and runs alone. It carries
``benchmarks/batch_private_law.py`` (private law only) to public law and domestic abuse, because the goal is set on
the national mix: private law is 46% of new cases but a third of the present model's time, and care cases, with about
six hearings each, are where the diary loop may become the floor.

    python benchmarks/batch_model.py [--run-years 1] [--warm-up-years 2] [--seed N] [--rounds R] [--seeds N]
        [--design both|batch|present] [--records] [--check-routes N] [--profile]

**The design.** SimPy keeps the clock with one event per simulated day. Cases are rows of preallocated numpy
columns. When a batch of cases is created, every decision and duration is read from each case's own keyed tape
(``sim/model/random_streams.py``, at the places the present model reads) and the case's whole route is fixed as a
row of *operations*: issue, team work (kept or not), an allocation kept to a later release, a release, a hearing
(its list's tier, rank, urgency, notice and the parties' withdrawal hazard), a first disposal, diversion before
issue, the order. The route rows are built with numpy from the same decisions, in the same order, as
``sim/model/pathways/{private_law,public_law,domestic_abuse}.py`` take them, including drawn counts of hearings.
Each day takes the rows due that day and moves them on in batches: hearings taken off the list (vacated, or the
parties withdrew while waiting), hearings heard (adjourned or not; moved later by an urgent hearing), work
finished, arrivals; instant operations run at once. Two things stay sequential, in the order cases became ready:
caseload-slot allocation (first come, first served per team and region, stretched slots after the allocation delay)
and diary booking, through the present model's own ``ListingDiary.list_hearing`` and ``cancel``, so urgent hearings
displace listed ones exactly as in the present model (the displaced case finds its new day on the old one).

**Rows recycled.** At each month's start the rows of cases closed since the last are counted into the headline sums,
their child and stage rows taken out for the tables, and reused by the month's new cases, so the columns hold the
open cases and the month ahead (about 64,000 rows for five years after five, against 994,000 cases), not every case
simulated. Ties in readiness are broken by the order cases were created, not by row, so a run gives the same figures
and records either way (``recycling=False`` keeps every row, which the route check needs).

**Pathfinder.** A private law case that arrives in a region on or after its Pathfinder date takes that route
(``pathways/pathfinder.py``): the court's own work (gatekeeping, a referral where abuse is alleged) as timed steps
that need no capacity, a Child Impact Report by a team, a fact-finding or decision hearing for some, a review recorded
after the order. On the day a region begins it, the court's hours are re-split by the product's own
``sim.model.route_changes.follow_routes``, holding the old route's split while this model's count of open
standard-route cases lasts. The scenario is the baseline itself, with the years asked for, or any other
(``--scenario``).

**Teams in continuous time.** A day's step takes each team's freed slots, requests and finished work in time
order (``Team.allocate_at``), and work that starts and finishes the same day is taken again that day, so a team is
the present model's M/M/c queue case for case (``tests/test_benchmarks.py``, on the verification scenarios).

**Dated policies and history rows** of capacity, demand and listing rules apply on their day (``_apply_policies``);
one that changes what a route fixes when its case is created is refused by its keys (``policy_changes``).

**A declared open caseload** (``starting_state.open_cases``) starts each case's route at its stage, as the pathway
modules start it (``open_caseload``), its next hearing listed from the day booked for it.

**What it simplifies**: whole-day steps with a fixed order within a day; no policy that changes a route's decisions
or durations (no scenario the project ships has one). A hearing or
decision asked past its tape's places is drawn from the case's own generator as in the present model. Records are
written only with ``--records``: the child and stage tables, through the present model's own ``Recorder`` columns
and Parquet writer (``BatchRecords``), with the present model's row counts and column means (notice counted as the
present model counts it), and the weekly timeline counted from the columns and teams (``BatchMonitor``). Without it
the present model's time includes writing its tables and the prototype's does not.

**Measured** in ``docs/performance.md`` ("The day-by-day batch design on every pathway"). The last line printed is
one JSON object: ``{"designs": [{design, cases, cpu_s, cases_per_cpu_second, by_case_type}, ...],
"ratio_batch_to_present": ...}``.

The present model runs as installed (compiled by mypyc where it was built), and the prototype reaches the present
model's diaries through the same build, so the ratio compares the designs as a user would run them.
"""

from __future__ import annotations

import argparse
import cProfile
import fnmatch
import gc
import heapq
import io
import json
import math
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from array import array
from operator import attrgetter
from pathlib import Path

import numpy as np
import simpy
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from batch_private_law import Tapes, caseload_teams, quantiles, team_capacities  # noqa: E402
from batch_private_law import Team as DayTeam  # noqa: E402

from sim.experiment.run_record import flatten  # noqa: E402
from sim.model.agencies.court import Court  # noqa: E402
from sim.model.arrivals import arrivals_between, cases_per_year_at, segment_bounds  # noqa: E402
from sim.model.columns import age_to_the_day  # noqa: E402
from sim.model.entities import Case  # noqa: E402
from sim.model.parameters import Parameters  # noqa: E402
from sim.model.random_streams import (  # noqa: E402
    ARRIVED,
    BASES,
    CAPS,
    COUNT_PLACES,
    OPEN_CASELOAD,
    PURPOSE,
    RETURNED_FROM_BEFORE,
    Draws,
    RandomStreams,
)
from sim.model.records import CASE_FIELDS  # noqa: E402
from sim.model.route_changes import follow_routes  # noqa: E402
from sim.model.starting_state import past_returns, rules  # noqa: E402
from sim.scenario.loading import LoadedScenario, load_scenario  # noqa: E402
from sim.scenario.schema import Scenario  # noqa: E402
from sim.vocabulary import (  # noqa: E402
    AGENCIES,
    CASE_TYPES,
    COURT,
    DAYS_PER_YEAR,
    LAY_JUSTICES_LIST,
    LISTING_CLASSES,
    PATHWAY_TABLES,
    PATHWAYS,
    STAGE,
    STAGES,
    STATUS_DISPOSED,
    STATUS_DIVERTED,
    STATUS_OPEN,
    STATUSES,
    TEAM_AGENCY,
    TEAM_KINDS,
    WEEK_DAYS,
    listing_class,
)
from sim.vocabulary import HEARING as HEARING_KIND  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.yaml"
ENTRY = {
    (name, stage): PATHWAY_TABLES[name].entry_code(stage)
    for name in CASE_TYPES
    for stage in PATHWAY_TABLES[name].entry_stages
}
"""A pathway's entry stages by code (``Pathway.entry_code``): where an open case of the starting state begins its
route (0: a new case, from the start)."""
TARGET_CASES_PER_CPU_SECOND = 33_000
PUBLIC, PRIVATE, DOMESTIC = (CASE_TYPES.index(c) for c in ("public_law", "private_law", "domestic_abuse"))
REPLICATION = 0
LISTING_TOLERANCE_DAYS = 1e-9
RETURNS_ALLOWANCE = 1.25
"""Rows laid out at the start when rows are not recycled: this times the cases expected (returns during the run come
on top of first cases)."""
DAY_OF, DISPLACED, VACATED = attrgetter("day"), attrgetter("displaced"), attrgetter("vacated")
"""From a diary's record of a hearing: the day it is on now (the court may have moved it), and how often the court
moved it for urgent work and vacated it when hours fell."""
SET_BY_CREATE = frozenset(
    ("seq", "stamp", "case_type", "origin", "serial", "returns", "region", "kind", "ready", "due", "da")
    + ("local_authority", "n_children", "centre", "outcome", "recur", "recur_delay", "listing_draws", "pos")
    + ("entry", "booked")
)
"""Columns every new case's row is given in full by ``create``: a recycled row's old values there need no reset. (Its
arrival is reset: a free row must not look like a case open at the end.)"""
INHERITED = ("da", "first_child", "birth", "centre", "local_authority", "n_children")
"""What a return to court takes from the case it returns from."""
FIRST_CAPACITY = 1024
"""Rows laid out at first when closed rows are recycled; the columns double when a month's new cases need more."""

# Operations of a route. Each route position holds an operation id; OPS describes the ids.
ISSUE, TEAM_WORK, ALLOCATION, RELEASE, HEARING, FIRST_DISPOSAL, DIVERT, DISPOSE, COURT_WORK, REVIEW = range(10)
"""COURT_WORK: work that needs no scarce capacity, only its duration (Pathfinder's gatekeeping); REVIEW: a stage
recorded after the order that the case does not wait for (Pathfinder's review)."""
INSTANT = (ISSUE, RELEASE, FIRST_DISPOSAL, REVIEW)
"""Operations that take no time: a row runs them and goes on to its next operation the same moment."""
IS_INSTANT = np.isin(np.arange(REVIEW + 1), INSTANT)
"""Whether each operation type is instant, as a table to index (``np.isin`` costs about 40 us a call)."""
ROUTE_COLUMNS = 24
"""Route positions laid out at first; a batch whose longest route needs more widens every route column."""
# What a row is waiting for on its due day.
ARRIVE, WORK_DONE, HEARD, OFF_LIST, CLOSED = range(5)
KIND = {kind: i for i, kind in enumerate(TEAM_KINDS)}
LISTING_PURPOSES = [PURPOSE[f"listing.{p}"] for p in ("withdrawal", "vacate", "adjourn")]
LISTINGS_ON_TAPE = CAPS[LISTING_PURPOSES[0]]
LISTING_PLACES = np.concatenate([BASES[p] + np.arange(CAPS[p]) for p in LISTING_PURPOSES])
HOURS, NOTICE = PURPOSE["hearing.duration_hours"], PURPOSE["hearing.notice_days"]
AGE = PURPOSE["child.age_years"]
MAX_CHILDREN = 8
"""Columns kept for each case's children's birth days (the scenario's largest family must fit)."""
PATHWAY_OF_TYPE = [PATHWAYS.index(c) for c in CASE_TYPES]
PATHFINDER = PATHWAYS.index("pathfinder")
ROUTES = (*CASE_TYPES, "pathfinder")
"""What a case's order is drawn by: its case type, or Pathfinder for a private law case on that route."""
ROUTE_CASE_TYPE = (*CASE_TYPES, "private_law")
"""The case type of each of :data:`ROUTES` (a return keeps it)."""
PATHFINDER_ROUTE = ROUTES.index("pathfinder")
TEAM_AGENCY_CODE = {kind: AGENCIES.index(agency) for kind, agency in TEAM_AGENCY.items()}
HEARING_STAGE = {s.key: s.name for p in PATHWAY_TABLES.values() for s in p.stages if s.kind == HEARING_KIND}
"""The stage each hearing is recorded as, from the pathway tables of ``sim.vocabulary``."""
FACT_FINDING_SHARE = "private_law.fact_finding.share_if_domestic_abuse"
BY_LOCAL_AUTHORITY = "private_law.section7.by_local_authority_share"


def place(name: str) -> int:
    return BASES[PURPOSE[name]]


READ_WHEN_IT_HAPPENS = (
    "courts.capacity.*", "courts.listing.*", "courts.recess", "courts.sitting_weekdays", "courts.relist_notice_days",
    "courts.urgent_relist_notice_days", "courts.vacate_probability", "courts.adjourn_probability*", "demand.*",
    "cafcass.*", "local_authorities.*", "experts.*", "regions.*.cafcass.*", "regions.*.local_authority.social_workers",
    "regions.*.experts.assessors", "regions.*.court.sitting_hours_per_day",
)  # fmt: skip
"""Scenario keys a policy may change in the batch design: the court's hours and listing rules, demand, the teams'
workers and caseloads, and the court's chances of vacating and adjourning, all read when they are used."""
READ_AT_CREATION = ("regions.*.pathfinder_from",)
"""Keys a case takes when it is created (at its month's start): a policy may change them on a month's first day."""


def policy_changes(before: Scenario, after: Scenario) -> tuple[list[str], list[str]]:
    """The keys a policy changes that the batch design fixes when a case is created (it cannot follow them yet),
    and those a case takes when it is created (see :data:`READ_AT_CREATION`)."""
    old, new = (flatten(s.model_dump(mode="json", exclude={"policies", "history"})) for s in (before, after))
    changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    at_creation = [k for k in changed if any(fnmatch.fnmatch(k, p) for p in READ_AT_CREATION)]
    read_later = [k for k in changed if any(fnmatch.fnmatch(k, p) for p in READ_WHEN_IT_HAPPENS)]
    fixed = [k for k in changed if k not in at_creation and k not in read_later]
    return fixed, at_creation


class Ops:
    """The operations routes are made of, each an id with its type, team, hearing key, list and rank."""

    def __init__(self, params: Parameters) -> None:
        self.params = params
        self.ids: dict[tuple, int] = {}
        self.keys: list[tuple] = []
        """What each id was declared with, (type, team, keep, hearing, stage), by id."""
        self.type: list[int] = []
        self.team: list[int] = []
        self.keep: list[bool] = []
        self.tier: list[int] = []
        self.rank: list[tuple[int, int]] = []
        self.urgent: list[bool] = []
        self.withdrawal: list[float] = []
        self.from_issue: list[bool] = []
        self.stage: list[int] = []
        """The stage (``sim.vocabulary.STAGE``) a hearing, a piece of work or an allocation is recorded as."""
        self.agency: list[int] = []

    def op(
        self,
        kind: int,
        team: str | None = None,
        keep: bool = False,
        hearing: tuple | None = None,
        stage: str = "",
        agency: int | None = None,
    ) -> int:
        key = (kind, team, keep, hearing, stage)
        got = self.ids.get(key)
        if got is not None:
            return got
        tier, rank, urgent, withdrawal, from_issue = -1, (0, 0), False, 0.0, False
        if hearing is not None:
            withdrawal = hearing[3]
            tier, rank, urgent, from_issue = self._listing(hearing)
        self.ids[key] = len(self.type)
        self.keys.append(key)
        self.type.append(kind)
        self.team.append(-1 if team is None else KIND[team])
        self.keep.append(keep)
        self.tier.append(tier)
        self.rank.append(rank)
        self.urgent.append(urgent)
        self.withdrawal.append(withdrawal)
        self.from_issue.append(from_issue)
        self.stage.append(STAGE.get(stage, -1))
        if agency is None:
            agency = COURT if hearing is not None else TEAM_AGENCY_CODE.get(team or "", -1)
        self.agency.append(agency)
        return self.ids[key]

    def follow(self, params: Parameters) -> None:
        """A policy's listing rules: each hearing's rank and urgency as the present model reads them when it books."""
        self.params = params
        for i, (_, _, _, hearing, _) in enumerate(self.keys):
            if hearing is not None:
                self.tier[i], self.rank[i], self.urgent[i] = self._listing(hearing)[:3]
        self.arrays()

    def _listing(self, hearing: tuple) -> tuple[int, tuple[int, int], bool, bool]:
        """A hearing's list (tier), rank (without and with domestic abuse), urgency and whether its notice runs from
        issue."""
        params = self.params
        pathway, hearing_key, tier_of, _ = hearing
        plan = params.hearings[hearing_key]
        tier = plan.tier if tier_of is None else params.hearings[tier_of].tier
        by_hearing = params.rank_by_hearing.get(hearing_key)
        rank = tuple(
            by_hearing
            if by_hearing is not None
            else params.listing_rank[LISTING_CLASSES.index(listing_class(pathway, bool(da)))]
            for da in (0, 1)
        )
        return tier, rank, plan.urgent, plan.notice_from_issue

    def arrays(self) -> None:
        """The descriptions as numpy arrays, for batches (called once every operation is known)."""
        self.a_type = np.array(self.type, dtype=np.int64)
        self.a_team = np.array(self.team, dtype=np.int64)
        self.a_keep = np.array(self.keep, dtype=bool)
        self.a_tier = np.array(self.tier, dtype=np.int64)
        self.a_rank = np.array(self.rank, dtype=np.int64).reshape(-1, 2)
        self.a_urgent = np.array(self.urgent, dtype=bool)
        self.a_withdrawal = np.array(self.withdrawal, dtype=np.float64)
        self.a_from_issue = np.array(self.from_issue, dtype=bool)
        self.a_stage = np.array(self.stage, dtype=np.int64)
        self.a_agency = np.array(self.agency, dtype=np.int64)


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
        if asked is None:
            asked = self.asked[purpose] = np.zeros(len(self.tape), dtype=np.int64)
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

    def __init__(self, m: int, width: int, tape: Tape, dists: dict[str, object]) -> None:
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


class Team(DayTeam):
    """One region's caseload team in continuous time within a day's step: slots freed, work asking and work finished
    are taken in time order, first come first served, as ``CaseloadTeam`` takes them. A slot freed at a time goes to
    the longest-waiting work then; work asking when a slot is idle starts when it asks; work that starts and finishes
    today frees its slot when it finishes, before its case moves on. (The day-granular team,
    ``batch_private_law.Team``, started the queue at the day's start and freed a slot only at the next day's step: a
    team whose work takes a day or so held each slot up to a day too long, and the M/M/c verification's mean wait
    came out 11 times Erlang C's.)"""

    __slots__ = ("_idle", "_idle_day")

    def __init__(self, workers: float, limit: float, stretch: float, delay: float) -> None:
        super().__init__(workers, limit, stretch, delay)
        self._idle: list[float] = []
        """When slots freed today went idle. A later round of the same day (work that started and finished today,
        and what its cases asked for next) frees them again, in time order with its own events, so that work asking
        before a slot was freed waits for it."""
        self._idle_day = -1

    def allocate_at(self, freed: list[float], asking: list[tuple], t: int, horizon: float, out: Started) -> None:
        """Slots freed at the times ``freed`` and work asking (``asking``: (time, row, days, frees its slot) in
        ready order), taken in time order; then work that has waited the allocation delay takes a stretched slot.
        ``horizon``: work finishing before it frees its slot today. What starts is appended to ``out``."""
        if self._idle_day != t:
            self._idle.clear()
            self._idle_day = t
        if not self.queue and self.busy + len(self._idle) + len(asking) <= self.slots:
            self._without_waiting(freed, asking, horizon, out)
            return
        freed += self._idle  # slots freed earlier today are freed again in time order with what is new
        self.busy += len(self._idle)
        self._idle.clear()
        events: list[tuple] = [(at, 0, i, None) for i, at in enumerate(freed)]
        events += [(ask[0], 1, i, ask) for i, ask in enumerate(asking)]
        heapq.heapify(events)
        order = len(events)
        while events:
            while events:
                now, kind, _, ask = heapq.heappop(events)
                if kind == 0:  # a slot freed
                    self.busy -= 1
                    if self.busy >= self.slots:
                        continue
                    if self.queue:
                        ask = self.queue.popleft()
                        order = self._start(max(now, ask[0]), ask, horizon, events, order, out)
                    else:
                        self._idle.append(now)
                elif self.queue or self.busy >= self.slots:
                    self.queue.append(ask)
                else:  # a slot is idle now: before today, or freed earlier today
                    order = self._start(now, ask, horizon, events, order, out)
            if self.stretched > self.slots:
                waited = t + 1 - self.delay
                while self.queue and self.busy < self.stretched and self.queue[0][0] < waited:
                    ask = self.queue.popleft()
                    order = self._start(max(float(t), ask[0] + self.delay), ask, horizon, events, order, out)

    def follow(self, workers: float, limit: float, stretch: float, delay: float) -> bool:
        """A policy's workers or caseload limits (``CaseloadTeam.set_capacity``): new slots are used at once, lost
        ones go as work finishes. Whether work waiting may now start (the day's allocation must look at this team)."""
        self.set_capacity(workers, limit, stretch, delay)
        return bool(self.queue)

    def _without_waiting(self, freed: list[float], asking: list[tuple], horizon: float, out: Started) -> None:
        """Nobody waits when every request would find a slot even if every slot freed today were freed after it:
        each starts when it asks, and every slot freed goes idle. (Most of a day's allocations: taking them in time
        order one by one cost the baseline about 8% more time.)"""
        self.busy += len(asking) - len(freed)
        self._idle += freed
        for at, row, days, frees in asking:
            out.rows.append(row)
            out.at.append(at)
            if frees and at + days < horizon:
                self.busy -= 1
                self._idle.append(at + days)
                out.freed_early.append(row)

    def _start(self, start: float, ask: tuple, horizon: float, events: list, order: int, out: Started) -> int:
        """Work starts at ``start``; if it finishes before ``horizon`` and gives its slot back, the slot is freed
        then."""
        self.busy += 1
        out.rows.append(ask[1])
        out.at.append(start)
        if ask[3] and start + ask[2] < horizon:
            heapq.heappush(events, (start + ask[2], 0, order, None))
            out.freed_early.append(ask[1])
            return order + 1
        return order


class Started:
    """What a day's allocation started: rows, their start times, and the rows whose slot was freed at once because
    their work finishes today (their ``work_done`` must not free it again)."""

    __slots__ = ("rows", "at", "freed_early")

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.at: list[float] = []
        self.freed_early: list[int] = []


class BatchModel:
    """Every case type as rows of numpy columns, moved on a day at a time (see the module docstring)."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        records: Path | None = None,
        recycling: bool = True,
        periods: list[tuple[float, Scenario]] | None = None,
    ) -> None:
        self.scenario = scenario
        """The scenario in force now: ``periods`` (the loader's, policies and history rows) changes it at their days."""
        self._policy_periods = periods or [(0.0, scenario)]
        self._next_period = 1
        self._poked: set[tuple[int, int]] = set()
        """Teams given slots by a policy while work waited: today's allocation looks at them."""
        self.recycling = recycling
        """A closed case's row is counted into the figures, its records settled, and reused at the next month's
        start, so the columns grow with open cases, not with every case simulated (``recycle``)."""
        self._free = np.empty(0, dtype=np.int64)
        self._closing: list[np.ndarray] = []
        self._next_seq = 0
        self._sums = np.zeros((len(CASE_TYPES), len(HEADLINE_SUMS)))
        self._displaced = 0
        self.params = params = Parameters(scenario.outcome_names(), scenario)
        self.end_day = scenario.end_day
        self.streams = RandomStreams(seed, REPLICATION)
        self.tapes = [Tapes(self.streams, c) for c in range(len(CASE_TYPES))]
        self.seed = seed
        self.n_regions = len(scenario.regions)
        self.court = Court(scenario, int(self.end_day) + 400)
        self.n_tiers = len(scenario.courts.tiers)
        self.centre_offset = np.cumsum([0] + [len(c) for c in self.court.diaries])[:-1]
        self.centre_cumulative = [None if c is None else np.array(c) for c in params.centre_cumulative]
        self.local_authority_counts = np.array(params.local_authority_counts, dtype=np.int64)
        diaries = [diary for centres in self.court.diaries for tiers in centres for diary in tiers]
        self.list_hearing = [d.list_hearing for d in diaries]
        self.cancel = [d.cancel for d in diaries]
        self.load_share = [d.load_share for d in diaries]
        self._read_when_it_happens(scenario)
        self.teams = caseload_teams(scenario, TEAM_KINDS, Team)  # [kind][region]
        self.dists = {key: scenario.at(key) for key in params.durations if not key.startswith("recurrence.")}
        self.dists.update(scenario.hearings())
        self.ops = Ops(params)
        self._declare_ops()
        self.outcome_names = params.outcome_names
        names = self.outcome_names  # a scenario without withdrawals (the verification scenarios) has no such outcome
        self.withdrawn_outcome = names.index("withdrawn") if "withdrawn" in names else -1
        self.outcome_cumulative = [np.array(params.outcome_cumulative[p]) for p in ROUTES]
        self.recurrence_share = np.zeros((len(ROUTES), len(self.outcome_names)))
        self.recurrence_delay: dict[tuple[int, int], object] = {}
        for c, route in enumerate(ROUTES):
            for outcome, rule in scenario.recurrence.get(route, {}).items():
                assert rule.case_type == ROUTE_CASE_TYPE[c], "a return to another case type is not prototyped"
                self.recurrence_share[c, self.outcome_names.index(outcome)] = rule.share
                self.recurrence_delay[(c, self.outcome_names.index(outcome))] = rule.delay_days
        self.open_cases = np.zeros((len(CASE_TYPES), self.n_regions))
        self.open_children = np.zeros(self.n_regions)
        self.pre_proceedings_cases = np.zeros(self.n_regions)
        self.team_children = np.zeros((len(TEAM_KINDS), self.n_regions))
        """Cases issued and not closed by case type and region, their children, cases arrived and not yet issued or
        diverted (``sim.model.monitor.OpenCounts``), and the children in work each team holds (under way, or a slot
        a case keeps): kept as cases move when the timeline is written (with records), read at every snapshot."""
        self._old_route_open = np.zeros(self.n_regions, dtype=np.int64)
        """Open private law cases on the standard route, by region (``Replication.old_route_open``): a region that
        begins Pathfinder keeps their court hours while they last (``sim.model.route_changes``)."""
        self.children_sizes = [np.array(params.children_sizes[c], dtype=np.int64) for c in range(len(CASE_TYPES))]
        self.children_cumulative = [np.array(params.children_cumulative[c]) for c in range(len(CASE_TYPES))]
        self.da_share = np.array(params.domestic_abuse_share)
        self.n = 0
        self.min_due = 0
        self.today = 0
        self._again: list[np.ndarray] = []
        self._freed: dict[tuple[int, int], list[float]] = {}
        self._to_team: list[np.ndarray] = []
        self.buckets: dict[int, list[np.ndarray]] = {}
        self.capacity = 0
        self._allocate_columns(FIRST_CAPACITY)
        self.cases = 0
        self.children = 0
        self._listing_beyond: dict[int, Draws] = {}
        """Cases past their tape's listings, each with its own listings generator (``Draws._listing_beyond``)."""
        self.rec = None if records is None else BatchRecords(self, records)
        self._next_child = 0
        self.age_dists = [scenario.children.age_years[c] for c in CASE_TYPES]
        self.stats = {"listings": 0, "vacated": 0, "adjourned": 0, "withdrawn": 0}

    def _declare_ops(self) -> None:
        op = self.ops.op
        pl = self.scenario.private_law
        w = pl.withdrawal_per_week_waiting
        self.op_issue, self.op_first_disposal = op(ISSUE), op(FIRST_DISPOSAL)
        self.op_divert, self.op_dispose = op(DIVERT), op(DISPOSE)
        self.op_release = {kind: op(RELEASE, kind) for kind in TEAM_KINDS}
        stays = pl.section7.writer_stays_to_dra
        self.op_work = {
            (stage, kind): op(TEAM_WORK, kind, keep, stage=stage)
            for stage, kind, keep in (
                ("safeguarding_checks", "cafcass_short_term", True),
                ("section7_report", "local_authority", stays),
                ("section7_report", "cafcass_long_term", stays),
                ("pre_proceedings", "local_authority", False),
                ("assessment", "local_authority", False),
                ("expert_assessment", "experts", False),
                ("further_assessment", "local_authority", False),
                ("child_impact_report", "local_authority", False),
                ("child_impact_report", "cafcass_long_term", False),
            )
        }
        self.op_court = {
            stage: op(COURT_WORK, stage=stage, agency=COURT)
            for stage in ("gatekeeping", "domestic_abuse_referral", "second_gatekeeping")
        }
        self.op_review = op(REVIEW, stage="review", agency=COURT)
        self.op_alloc = op(ALLOCATION, "cafcass_long_term", True, stage="guardian_allocation")

        def hearing(pathway: str, key: str, withdrawal: float = 0.0, tier_of: str | None = None) -> int:
            return op(HEARING, hearing=(pathway, key, tier_of, withdrawal), stage=HEARING_STAGE[key])

        self.h = {
            key: hearing("private_law", key, w)
            for key in (
                "private_law.first_hearing",
                "private_law.fact_finding.hearing",
                "private_law.dispute_resolution_hearing",
                "private_law.final_hearing",
            )
        }
        for key in ("private_law.dispute_resolution_hearing", "private_law.final_hearing"):
            self.h[("lay", key)] = hearing("private_law", key, w, LAY_JUSTICES_LIST)
        for key in (
            "public_law.urgent_hearing.hearing",
            "public_law.case_management_hearing",
            "public_law.further_case_management.hearing",
            "public_law.issues_resolution_hearing",
            "public_law.contested_further_hearings.hearing",
            "public_law.final_hearing",
        ):
            self.h[key] = hearing("public_law", key)
        for key in ("domestic_abuse.without_notice_hearing", "domestic_abuse.return_hearing"):
            self.h[key] = hearing("domestic_abuse", key)
        for key in ("pathfinder.fact_finding.hearing", "pathfinder.decision_hearing"):
            self.h[key] = hearing("private_law", key)  # a private law case's listing class
        self.ops.arrays()

    # ------------------------------------------------------------------ columns
    COLUMNS = {
        "seq": (np.int64, -1),
        "listed": (object, None),  # the diary's own record of the hearing a row waits for
        "stamp": (np.int64, 0),  # scratch: a row's place in today's due list
        "case_type": (np.int64, 0),
        "origin": (np.int64, ARRIVED),
        "serial": (np.int64, 0),
        "returns": (np.int64, 0),
        "arrival": (np.float64, np.nan),
        "issue": (np.float64, np.nan),
        "region": (np.int64, 0),
        "centre": (np.int64, 0),
        "local_authority": (np.int64, 0),
        "da": (np.int64, 0),
        "pathfinder": (np.bool_, False),
        "n_children": (np.int64, 0),
        "is_return": (np.bool_, False),
        "outcome": (np.int64, 0),
        "recur": (np.bool_, False),
        "recur_delay": (np.float64, 0.0),
        "pos": (np.int64, 0),
        "kind": (np.int64, ARRIVE),
        "due": (np.int64, -1),
        "ready": (np.float64, 0.0),
        "earliest": (np.float64, 0.0),
        "listed_day": (np.int64, 0),
        "withdrawing": (np.bool_, False),
        "listings": (np.int64, 0),
        "adjourn_draw": (np.float64, 1.0),
        "held": (np.int64, 0),
        "end": (np.float64, np.nan),
        "diverted": (np.bool_, False),
        "first_hearing": (np.float64, np.nan),
        "first_disposal": (np.float64, np.nan),
        "hearings": (np.int64, 0),
        "adjournments": (np.int64, 0),
        "vacated": (np.int64, 0),
        "displaced": (np.int64, 0),
        "first_child": (np.int64, 0),
        "stage_requested": (np.float64, np.nan),
        "stage_started": (np.float64, np.nan),
        "stage_notice": (np.float64, 0.0),
        "notice_from": (np.float64, np.nan),  # the listing under way: listed then, no hearing before notice_until
        "notice_until": (np.float64, np.nan),
        "notice_court": (np.float64, 0.0),
        "pre_proceedings": (np.float64, 0.0),
        "freed_early": (np.bool_, False),  # team work finishing the day it started: its team freed the slot then
        "entry": (np.int64, 0),  # the stage an open case of the starting state began at (0: a new case)
        "booked": (np.float64, np.nan),  # the day an open case's next hearing was booked for before the run
    }

    BLOCKS = {
        "route": (None, np.int64, -1),  # None: as wide as the longest route
        "value": (None, np.float64, 0.0),
        "notice": (None, np.float64, 0.0),
        "listing_draws": (len(LISTING_PLACES), np.float64, 0.0),
        "agency_wait": (len(AGENCIES), np.float64, 0.0),
        "agency_active": (len(AGENCIES), np.float64, 0.0),
        "birth": (MAX_CHILDREN, np.float64, np.nan),
    }

    def _allocate_columns(self, capacity: int, width: int = 1) -> None:
        old = self.capacity
        for name, (dtype, fill) in self.COLUMNS.items():
            column = np.full(capacity, fill, dtype=dtype)
            if old:
                column[:old] = getattr(self, name)
            setattr(self, name, column)
        width = max(width, getattr(self, "width", 1))
        for name, (cols, dtype, fill) in self.BLOCKS.items():
            block = np.full((capacity, width if cols is None else cols), fill, dtype=dtype)
            if old:
                was = getattr(self, name)
                block[:old, : was.shape[1]] = was
            setattr(self, name, block)
        self.width = width
        self.capacity = capacity

    # ------------------------------------------------------------------ creating cases
    def create(
        self,
        case_type: int,
        arrival: np.ndarray,
        region: np.ndarray,
        origin: np.ndarray,
        serial: np.ndarray,
        returns: np.ndarray,
        inherited: dict[str, np.ndarray] | None = None,
        seq: np.ndarray | None = None,
        entry: np.ndarray | None = None,
        booked: np.ndarray | None = None,
    ) -> None:
        """New rows for cases of one type, each known as the present model knows it (origin, serial, returns). A
        return takes what it ``inherited`` from the case it returns from (:data:`INHERITED`: centre, local authority,
        flag and children) and the number in creation order (``seq``) it was given when that case closed. Every
        decision and duration is read from the case's tape here, and the route fixed."""
        m = len(arrival)
        if m == 0:
            return
        entry = np.zeros(m, dtype=np.int64) if entry is None else entry
        raw = self.tapes[case_type].rows(origin, serial, returns)
        ids = np.stack([origin, np.full(m, case_type), serial, returns], axis=1)
        tape = Tape(raw, (self.seed, REPLICATION, case_type), ids)
        every = np.arange(m)
        width = self.width
        routes = Routes(m, max(width, ROUTE_COLUMNS), tape, self.dists)
        if inherited is None:
            da = raw[:, place("domestic_abuse")] < self.da_share[case_type]
        else:  # a return keeps its parent's flag
            da = inherited["da"].astype(bool)
        pathfinder = np.zeros(m, dtype=bool)
        if case_type == PRIVATE:  # Replication.pathway: the route in force in the region when a new case arrives
            pathfinder = (arrival >= self.pathfinder_from_day[region]) & (entry == 0)
            self._private_law(routes, every[~pathfinder], da, entry)
            if pathfinder.any():
                self._pathfinder(routes, every[pathfinder], da)
        elif case_type == PUBLIC:
            self._public_law(routes, every, entry)
        else:
            self._domestic_abuse(routes, every, tape, entry)
        used = int(routes.cursor.max())
        rows = self._take_rows(m, used)
        if seq is None:
            seq = self._next_seq + every
            self._next_seq += m
        self.seq[rows] = seq
        self.case_type[rows] = case_type
        self.origin[rows], self.serial[rows], self.returns[rows] = origin, serial, returns
        self.arrival[rows] = arrival
        self.region[rows] = region
        # due on its arrival's day; a return that comes back at once is taken tomorrow; an open case starts now
        starts = np.where(entry > 0, 0.0, arrival)
        self.schedule(rows, np.maximum(np.floor(starts), self.min_due))
        self.kind[rows] = ARRIVE
        self.ready[rows] = starts
        self.entry[rows] = entry
        self.booked[rows] = np.nan if booked is None else booked
        self.issue[rows[entry > 0]] = arrival[entry > 0]  # issued before the run, when it "arrived"
        if inherited is None:  # Replication.new_case: the flag, local authority, children, then the centre
            self.da[rows] = da
            self.local_authority[rows] = (
                raw[:, place("local_authority")] * self.local_authority_counts[region]
            ).astype(np.int64)
            sizes, cumulative = self.children_sizes[case_type], self.children_cumulative[case_type]
            pick = np.searchsorted(cumulative, raw[:, place("children")], side="right")
            self.n_children[rows] = sizes[np.minimum(pick, len(sizes) - 1)]
            centre = np.zeros(m, dtype=np.int64)
            u = raw[:, place("court_centre")]
            for r in np.unique(region).tolist():
                cum = self.centre_cumulative[r]
                if cum is not None:
                    mine = region == r
                    centre[mine] = np.minimum(np.searchsorted(cum, u[mine], side="right"), len(cum) - 1)
            self.centre[rows] = self.centre_offset[region] + centre
            if self.rec is not None:  # the children's ages, from their own places (Replication._new_children)
                n_kids = self.n_children[rows]
                self.first_child[rows] = self._next_child + np.cumsum(n_kids) - n_kids
                self._next_child += int(n_kids.sum())
                for k in range(int(n_kids.max())):
                    mine = np.flatnonzero(n_kids > k)
                    age = quantiles(self.age_dists[case_type], tape.next(AGE, mine))
                    self.birth[rows[mine], k] = starts[mine] - age * DAYS_PER_YEAR  # an open case's: at the start
        else:
            for name in INHERITED:
                getattr(self, name)[rows] = inherited[name]
            self.is_return[rows] = True
        # the order and whether the children come back (drawn at the order; the places are the case's own)
        self.pathfinder[rows] = pathfinder
        route = np.where(pathfinder, PATHFINDER_ROUTE, case_type)
        outcome = np.zeros(m, dtype=np.int64)
        for c in np.unique(route).tolist():
            mine = route == c
            cumulative = self.outcome_cumulative[c]
            at = np.searchsorted(cumulative, raw[mine, place("outcome")], side="right")
            outcome[mine] = np.minimum(at, len(cumulative) - 1)
        self.outcome[rows] = outcome
        recur = raw[:, place("recurrence")] < self.recurrence_share[route, outcome]
        self.recur[rows] = recur
        delays = np.zeros(m)
        for (c, code), dist in self.recurrence_delay.items():
            mine = recur & (outcome == code) & (route == c)
            if mine.any():
                delays[mine] = quantiles(dist, raw[mine, place("recurrence.delay_days")])
        self.recur_delay[rows] = delays
        self.route[rows, :used] = routes.op[:, :used]
        self.value[rows, :used] = routes.value[:, :used]
        self.notice[rows, :used] = routes.notice[:, :used]
        self.listing_draws[rows] = raw[:, LISTING_PLACES]
        self.pos[rows] = 0

    def _take_rows(self, m: int, used: int) -> np.ndarray:
        """Rows for ``m`` new cases whose longest route is ``used`` wide: recycled rows first, then new ones."""
        taken, self._free = self._free[:m], self._free[m:]
        extra = m - len(taken)
        if self.n + extra > self.capacity:
            self._allocate_columns(max(2 * self.capacity, self.n + extra), used)
        elif used > self.width:
            self._allocate_columns(self.capacity, used)
        new = np.arange(self.n, self.n + extra)
        self.n += extra
        return np.concatenate([taken, new]) if len(taken) else new

    def _closed(self, rows: np.ndarray) -> None:
        """Rows whose case closed today: reused after the records and figures have taken them (``recycle``)."""
        if self.recycling:
            self._closing.append(rows)

    def recycle(self) -> None:
        """Count the rows closed since the last call into the figures, settle their records, and free them: every
        column back to its fill, so a new case finds its row as a fresh one."""
        if not self._closing:
            return
        rows = np.concatenate(self._closing)
        self._closing = []
        if self.rec is not None:
            self.rec.settle()
        self._sums += headline_sums(**self._headline_columns(rows), **self._period)
        self._displaced += int(self.displaced[rows].sum())
        if self._listing_beyond:
            for row in rows.tolist():
                self._listing_beyond.pop(row, None)
        for name, (_, fill) in self.COLUMNS.items():
            if name not in SET_BY_CREATE:
                getattr(self, name)[rows] = fill
        for name, (_, _, fill) in self.BLOCKS.items():
            if name not in SET_BY_CREATE:
                getattr(self, name)[rows] = fill
        self._free = np.concatenate([self._free, rows])

    def _private_law(self, routes: Routes, rows: np.ndarray, da: np.ndarray, entry: np.ndarray) -> None:
        """``pathways/private_law.py`` on the standard route, from each case's entry stage (``entry``, by route
        row: 0 for a new case, else the stage an open case of the starting state is at)."""
        pl, tape, h, add = self.scenario.private_law, routes.tape, self.h, routes.add
        add(rows[entry[rows] == 0], self.op_issue)
        first = rows[entry[rows] <= ENTRY["private_law", "first_hearing"]]
        checked = first[entry[first] <= ENTRY["private_law", "safeguarding_checks"]]
        routes.work(
            checked, self.op_work[("safeguarding_checks", "cafcass_short_term")], "private_law.safeguarding_days"
        )
        routes.hearing(first, h["private_law.first_hearing"], "private_law.first_hearing")
        add(checked, self.op_release["cafcass_short_term"])
        resolved = tape.chance("private_law.resolved_at_first_hearing_share", pl.resolved_at_first_hearing_share, first)
        fhdra_on = first[~resolved]
        fd = tape.chance(
            "private_law.first_disposal_at_first_hearing_share", pl.first_disposal_at_first_hearing_share, fhdra_on
        )
        add(fhdra_on[fd], self.op_first_disposal)
        on = np.sort(np.concatenate([fhdra_on, rows[entry[rows] > ENTRY["private_law", "first_hearing"]]]))
        lay = tape.chance("private_law.allocated_to_lay_justices_share", pl.allocated_to_lay_justices_share, on)
        directed = on[entry[on] <= ENTRY["private_law", "section7_report"]]
        ff = directed[da[directed]]
        ff = ff[
            tape.chance("private_law.fact_finding.share_if_domestic_abuse", pl.fact_finding.share_if_domestic_abuse, ff)
        ]
        routes.hearing(ff, h["private_law.fact_finding.hearing"], "private_law.fact_finding.hearing")
        report = directed[tape.chance("private_law.section7.share", pl.section7.share, directed)]
        by_la = tape.chance(
            "private_law.section7.by_local_authority_share", pl.section7.by_local_authority_share, report
        )
        stays = pl.section7.writer_stays_to_dra
        for team, mine in (("local_authority", report[by_la]), ("cafcass_long_term", report[~by_la])):
            routes.work(mine, self.op_work[("section7_report", team)], "private_law.section7.duration_days")
        lay_rows, judge_rows = on[lay], on[~lay]
        dra = np.zeros(routes.op.shape[0], dtype=bool)
        dra[on[entry[on] <= ENTRY["private_law", "dispute_resolution_hearing"]]] = True
        key = "private_law.dispute_resolution_hearing"
        routes.hearing(lay_rows[dra[lay_rows]], h[("lay", key)], key)
        routes.hearing(judge_rows[dra[judge_rows]], h[key], key)
        if stays:
            for team, mine in (("local_authority", report[by_la]), ("cafcass_long_term", report[~by_la])):
                add(mine, self.op_release[team])
        at_dra = on[dra[on]]
        resolved_dra = tape.chance("private_law.resolved_at_dra_share", pl.resolved_at_dra_share, at_dra)
        final = np.zeros(routes.op.shape[0], dtype=bool)
        final[on] = True
        final[at_dra[resolved_dra]] = False
        key = "private_law.final_hearing"
        routes.hearing(lay_rows[final[lay_rows]], h[("lay", key)], key)
        routes.hearing(judge_rows[final[judge_rows]], h[key], key)
        add(rows, self.op_dispose)

    def _public_law(self, routes: Routes, rows: np.ndarray, entry: np.ndarray) -> None:
        """``pathways/public_law.py`` from each case's entry stage (see :meth:`_private_law`)."""
        p, tape, h, add = self.scenario.public_law, routes.tape, self.h, routes.add
        new_cases = rows[entry[rows] == 0]
        pre = new_cases[tape.chance("public_law.pre_proceedings.share", p.pre_proceedings.share, new_cases)]
        key = "public_law.pre_proceedings.duration_days"
        routes.work(pre, self.op_work[("pre_proceedings", "local_authority")], key)
        diverted = pre[tape.chance("public_law.pre_proceedings.diverted_share", p.pre_proceedings.diverted_share, pre)]
        add(diverted, self.op_divert)
        go = np.ones(routes.op.shape[0], dtype=bool)
        go[diverted] = False
        rows = rows[go[rows]]
        new_cases = rows[entry[rows] == 0]
        add(new_cases, self.op_issue)
        urgent = new_cases[tape.chance("public_law.urgent_hearing.share", p.urgent_hearing.share, new_cases)]
        routes.hearing(urgent, h["public_law.urgent_hearing.hearing"], "public_law.urgent_hearing.hearing")
        add(rows, self.op_alloc)
        cmh = rows[entry[rows] <= ENTRY["public_law", "case_management_hearing"]]
        routes.hearing(cmh, h["public_law.case_management_hearing"], "public_law.case_management_hearing")
        at_cmh = cmh[tape.chance("public_law.resolved_at_cmh_share", p.resolved_at_cmh_share, cmh)]
        add(at_cmh, self.op_release["cafcass_long_term"])
        add(at_cmh, self.op_dispose)
        go[at_cmh] = False
        rows = rows[go[rows]]
        assessed = rows[entry[rows] <= ENTRY["public_law", "assessment"]]
        expert = tape.chance("public_law.assessments.expert_share", p.assessments.expert_share, assessed)
        key = "public_law.assessments.expert_duration_days"
        routes.work(assessed[expert], self.op_work[("expert_assessment", "experts")], key)
        key = "public_law.assessments.duration_days"
        routes.work(assessed[~expert], self.op_work[("assessment", "local_authority")], key)
        if p.further_assessment is not None:
            share = p.further_assessment.share
            further = assessed[tape.chance("public_law.further_assessment.share", share, assessed)]
            key = "public_law.further_assessment.duration_days"
            routes.work(further, self.op_work[("further_assessment", "local_authority")], key)
        key = "public_law.further_case_management"
        n = tape.count(f"{key}.count_shares", p.further_case_management.count_shares, assessed)
        for k in range(1, int(n.max(initial=0)) + 1):
            routes.hearing(assessed[n >= k], h[f"{key}.hearing"], f"{key}.hearing")
        irh = rows[entry[rows] <= ENTRY["public_law", "issues_resolution_hearing"]]
        routes.hearing(irh, h["public_law.issues_resolution_hearing"], "public_law.issues_resolution_hearing")
        resolved = tape.chance("public_law.resolved_at_irh_share", p.resolved_at_irh_share, irh)
        contested = irh[~resolved]
        key = "public_law.contested_further_hearings"
        n = tape.count(f"{key}.count_shares", p.contested_further_hearings.count_shares, contested)
        for k in range(1, int(n.max(initial=0)) + 1):
            routes.hearing(contested[n >= k], h[f"{key}.hearing"], f"{key}.hearing")
        final = np.zeros(routes.op.shape[0], dtype=bool)
        final[rows] = True
        final[irh[resolved]] = False
        routes.hearing(rows[final[rows]], h["public_law.final_hearing"], "public_law.final_hearing")
        add(rows, self.op_release["cafcass_long_term"])
        add(rows, self.op_dispose)

    def _pathfinder(self, routes: Routes, rows: np.ndarray, da: np.ndarray) -> None:
        """``pathways/pathfinder.py``: gatekeeping, a referral where abuse is alleged, a Child Impact Report, a
        second gatekeeping, fact-finding for some, a decision hearing unless resolved on the papers, a review after
        the order for some."""
        f, tape, h, add, work = self.scenario.pathfinder, routes.tape, self.h, routes.add, routes.work
        add(rows, self.op_issue)
        work(rows, self.op_court["gatekeeping"], "pathfinder.gatekeeping_days")
        abuse = rows[da[rows]]
        work(abuse, self.op_court["domestic_abuse_referral"], "pathfinder.domestic_abuse_referral_days")
        by_la = tape.chance(
            "pathfinder.child_impact_report.by_local_authority_share",
            f.child_impact_report.by_local_authority_share,
            rows,
        )
        key = "pathfinder.child_impact_report.duration_days"
        for team, mine in (("local_authority", rows[by_la]), ("cafcass_long_term", rows[~by_la])):
            work(mine, self.op_work[("child_impact_report", team)], key)
        work(rows, self.op_court["second_gatekeeping"], "pathfinder.second_gatekeeping_days")
        ff = abuse[
            tape.chance(
                "pathfinder.fact_finding.share_if_domestic_abuse", f.fact_finding.share_if_domestic_abuse, abuse
            )
        ]
        routes.hearing(ff, h["pathfinder.fact_finding.hearing"], "pathfinder.fact_finding.hearing")
        heard = rows[~tape.chance("pathfinder.resolved_on_papers_share", f.resolved_on_papers_share, rows)]
        routes.hearing(heard, h["pathfinder.decision_hearing"], "pathfinder.decision_hearing")
        review = rows[tape.chance("pathfinder.review_share", f.review_share, rows)]
        work(review, self.op_review, "pathfinder.review_days")
        add(rows, self.op_dispose)

    def _domestic_abuse(self, routes: Routes, rows: np.ndarray, tape: Tape, entry: np.ndarray) -> None:
        """``pathways/domestic_abuse.py`` from each case's entry stage (see :meth:`_private_law`)."""
        share = self.scenario.domestic_abuse.without_notice_share
        new_cases = rows[entry[rows] == 0]
        routes.add(new_cases, self.op_issue)
        without = new_cases[tape.chance("domestic_abuse.without_notice_share", share, new_cases)]
        key = "domestic_abuse.without_notice_hearing"
        routes.hearing(without, self.h[key], key)
        key = "domestic_abuse.return_hearing"
        routes.hearing(rows, self.h[key], key)
        routes.add(rows, self.op_dispose)

    # ------------------------------------------------------------------ a day
    def _op(self, rows: np.ndarray) -> np.ndarray:
        return self.route[rows, self.pos[rows]]

    def schedule(self, rows: np.ndarray, days: np.ndarray) -> None:
        """Rows due on ``days``: kept in a bucket per day, so a day finds its rows without scanning every row."""
        days = days.astype(np.int64)
        self.due[rows] = days
        if len(rows) == 1:
            self.buckets.setdefault(int(days[0]), []).append(rows)
            return
        order = np.argsort(days, kind="stable")
        days, rows = days[order], rows[order]
        starts = np.flatnonzero(np.concatenate([[True], days[1:] != days[:-1]]))
        bounds = starts.tolist() + [len(rows)]
        buckets = self.buckets
        for i, day in enumerate(days[starts].tolist()):
            group = rows[bounds[i] : bounds[i + 1]]
            held = buckets.get(day)
            if held is None:
                buckets[day] = [group]
            else:
                held.append(group)

    def due_today(self, t: int) -> np.ndarray:
        """Rows due today, in the order they became ready (a row moved to another day since is left out)."""
        held = self.buckets.pop(t, None)
        if held is None:
            return np.empty(0, dtype=np.int64)
        idx = np.concatenate(held)
        idx = idx[self.due[idx] == t]
        if len(held) > 1:  # a row scheduled twice for today is taken once (its last entry; the order is set below)
            at = np.arange(len(idx))
            self.stamp[idx] = at
            idx = idx[self.stamp[idx] == at]
        if t + 1 > self.end_day:
            idx = idx[self.ready[idx] < self.end_day]
        return self._taken(idx)

    def _taken(self, rows: np.ndarray) -> np.ndarray:
        """Rows taken to be moved on, in the order they became ready (ties in the order the cases were created); due
        on no day from now, so a row that then waits in a team's queue is not a row left behind."""
        self.due[rows] = -1
        return rows[np.lexsort((self.seq[rows], self.ready[rows]))]

    def day(self, t: int) -> None:
        idx = self.due_today(t)
        self.min_due = t + 1  # rows due from now on are taken tomorrow at the soonest
        self._to_book: list[np.ndarray] = []
        self._to_team: list[np.ndarray] = []
        self._freed: dict[tuple[int, int], list[float]] = {}
        self._again: list[np.ndarray] = []
        self.today = t
        if len(idx):
            kind = self.kind[idx]
            off = idx[kind == OFF_LIST]
            if len(off):
                self.taken_off(off)
            heard = idx[kind == HEARD]
            if len(heard):
                self.heard(heard, t)
            done = idx[kind == WORK_DONE]
            if len(done):
                self.work_done(done)
            new = idx[kind == ARRIVE]
            if len(new):
                if self.rec is not None:  # a new case is in pre-proceedings until issued; an open one at court
                    fresh = new[self.entry[new] == 0]
                    self.pre_proceedings_cases += np.bincount(self.region[fresh], minlength=self.n_regions)
                    if len(fresh) < len(new):
                        self._count_open(new[self.entry[new] > 0], 1)
                old_route = new[(self.case_type[new] == PRIVATE) & ~self.pathfinder[new]]
                self._old_route_open += np.bincount(self.region[old_route], minlength=self.n_regions)
                self.cases += len(new)
                self.children += int(self.n_children[new][~self.is_return[new]].sum())
                self.advance(new)
        self.allocate(t)
        while self._again:  # work that started and finished today
            again = self._taken(np.concatenate(self._again))
            self._again = []
            self.work_done(again)
            self.allocate(t)
        if self._to_book:
            self.list_hearings(np.concatenate(self._to_book), t)

    def _free_held(self, rows: np.ndarray) -> None:
        """Give back every slot a case keeps (it was withdrawn, or its order made)."""
        held = self.held[rows]
        for k in range(len(TEAM_KINDS)):
            mine = rows[(held >> k) & 1 == 1]
            if len(mine):
                self._slots_freed(np.full(len(mine), k), mine)
                self._team_children(np.full(len(mine), k), mine, -1)
        self.held[rows] = 0

    def _count_open(self, rows: np.ndarray, sign: int) -> None:
        """Cases that came to court (``sign`` 1) or closed there (-1), with their children."""
        region = self.region[rows]
        np.add.at(self.open_cases, (self.case_type[rows], region), sign)
        self.open_children += sign * np.bincount(region, weights=self.n_children[rows], minlength=self.n_regions)

    def _team_children(self, team: np.ndarray, rows: np.ndarray, sign: int) -> None:
        """Children in work a team took on (``sign`` 1) or gave back (-1)."""
        if self.rec is not None and len(rows):
            np.add.at(self.team_children, (team, self.region[rows]), sign * self.n_children[rows])

    def taken_off(self, rows: np.ndarray) -> None:
        """Hearings vacated, or withdrawn while waiting: the listing is cancelled; relist or dispose."""
        cancel = self.cancel
        records = self.listed[rows].tolist()
        for d, listed in zip(self._diary(rows).tolist(), records, strict=True):
            cancel[d](listed)
        self._listing_ends(rows, records)
        if self.rec is not None:  # the notice that had passed when the listing was taken off
            self._notice_ends(rows, np.minimum(self.ready[rows], self.notice_until[rows]))
        withdrawing = self.withdrawing[rows]
        gone = rows[withdrawing]
        if len(gone):
            self.stats["withdrawn"] += len(gone)
            if self.rec is not None:  # the stage closes when the parties withdraw
                now = self.ready[gone]
                self.rec.stage(gone, self._op(gone), self.stage_requested[gone], now, now, self.stage_notice[gone])
            self._free_held(gone)
            self.dispose(gone, withdrawn=True)
        again = rows[~withdrawing]
        if len(again):
            self.vacated[again] += 1
            self.earliest[again] = self.ready[again] + self.relist[self.ops.a_urgent[self._op(again)].astype(int)]
            self._to_book.append(again)

    def _diary(self, rows: np.ndarray) -> np.ndarray:
        return self.centre[rows] * self.n_tiers + self.ops.a_tier[self._op(rows)]

    def _listing_ends(self, rows: np.ndarray, records: list) -> None:
        """Listings ending (heard, or taken off): the times the court moved each (for urgent work, or vacated it when
        its hours fell) count to its case, as ``PathwaySteps._listing_ends`` counts them (a move found while the
        listing is under way counts at its end)."""
        self.displaced[rows] += np.fromiter(map(DISPLACED, records), dtype=np.int64, count=len(rows))
        self.vacated[rows] += np.fromiter(map(VACATED, records), dtype=np.int64, count=len(rows))
        self.listed[rows] = None

    def _notice_ends(self, rows: np.ndarray, until: np.ndarray) -> None:
        """Listings ending: the notice elapsed (from their listing to ``until``) joins their stage's
        (``Case.end_notice``)."""
        self.stage_notice[rows] += until - self.notice_from[rows]
        self.notice_from[rows] = np.nan

    def heard(self, rows: np.ndarray, t: int) -> None:
        """Hearings whose day was yesterday: one moved later by urgent work waits on; an adjourned one is relisted;
        the rest move on."""
        now_day = np.fromiter(map(DAY_OF, self.listed[rows].tolist()), dtype=np.int64, count=len(rows))
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
            load = self.load_share
            diary, days = self._diary(rows).tolist(), self.listed_day[rows].tolist()
            p += self.adjourn_at_full * np.minimum(1.0, [load[diary[i]](days[i]) for i in range(len(days))])
            p = np.minimum(1.0, p)
        adjourned = self.adjourn_draw[rows] < p
        again = rows[adjourned]
        if len(again):
            self.stats["adjourned"] += len(again)
            self.adjournments[again] += 1
            self.earliest[again] = self.ready[again] + self.relist[self.ops.a_urgent[self._op(again)].astype(int)]
            self._to_book.append(again)
        on = rows[~adjourned]
        if len(on):
            if self.rec is not None:
                day = self.listed_day[on].astype(np.float64)
                self.rec.stage(on, self._op(on), self.stage_requested[on], day, day + 1.0, self.stage_notice[on])
            self.pos[on] += 1
            self.advance(on)

    def work_done(self, rows: np.ndarray) -> None:
        """Team work finished: its slot is freed, or kept to a later release (or the court's own work finished)."""
        op = self._op(rows)
        if self.rec is not None:
            self.rec.stage(
                rows, op, self.stage_requested[rows], self.stage_started[rows], self.ready[rows], np.zeros(len(rows))
            )
        keep = self.ops.a_keep[op]
        team = self.ops.a_team[op]
        back = ~keep & (team >= 0)  # the court's own work holds no team's slot
        freed = rows[back]
        if len(freed):
            self._team_children(team[back], freed, -1)
            free = back & ~self.freed_early[rows]  # work that finished the day it started was freed then
            if free.any():
                self._slots_freed(team[free], rows[free])
            self.freed_early[freed] = False
        kept = rows[keep]
        if len(kept):
            self.held[kept] |= 1 << team[keep]
        self.pos[rows] += 1
        self.advance(rows)

    def advance(self, rows: np.ndarray) -> None:
        """Rows at their route's next operation: instant ones run at once, then a hearing is asked for, a team
        asked, or the case ends."""
        ops = self.ops
        while len(rows):
            op = self._op(rows)
            kind = ops.a_type[op]
            instant = IS_INSTANT[kind]
            if instant.any():
                now = rows[instant]
                k = kind[instant]
                issue = now[k == ISSUE]
                self.issue[issue] = self.ready[issue]
                if self.rec is not None and len(issue):  # Replication.count_open
                    self._count_open(issue, 1)
                    self.pre_proceedings_cases -= np.bincount(self.region[issue], minlength=self.n_regions)
                if self.rec is not None:  # proceedings start: the account of agency days starts again
                    self.pre_proceedings[issue] = self.ready[issue] - self.arrival[issue]
                    self.agency_wait[issue] = self.agency_active[issue] = 0.0
                    self.notice_court[issue] = 0.0
                fd = now[k == FIRST_DISPOSAL]
                self.first_disposal[fd] = self.ready[fd]
                rel = now[k == RELEASE]
                if len(rel):
                    team = ops.a_team[op[instant][k == RELEASE]]
                    self._slots_freed(team, rel)
                    self._team_children(team, rel, -1)
                    self.held[rel] &= ~(1 << team)
                review = now[k == REVIEW]
                if len(review) and self.rec is not None:  # recorded with its duration; nobody waits for it
                    at = self.ready[review]
                    days = self.value[review, self.pos[review]]
                    self.rec.stage(review, op[instant][k == REVIEW], at, at, at + days, np.zeros(len(review)), False)
                self.pos[now] += 1
            waiting = rows[~instant]
            kind = kind[~instant]
            op = op[~instant]
            if self.rec is not None:
                asks = waiting[(kind == HEARING) | (kind == TEAM_WORK) | (kind == ALLOCATION) | (kind == COURT_WORK)]
                self.stage_requested[asks] = self.ready[asks]
                self.stage_notice[asks] = 0.0
            hearing = waiting[kind == HEARING]
            if len(hearing):
                h_op = op[kind == HEARING]
                col = self.pos[hearing]
                earliest = self.ready[hearing] + self.notice[hearing, col]
                fi = ops.a_from_issue[h_op]  # its notice runs from issue, never before now
                if fi.any():
                    r = hearing[fi]
                    earliest[fi] = np.maximum(self.ready[r], self.issue[r] + self.notice[r, col[fi]])
                booked = self.booked[hearing]
                before_run = ~np.isnan(booked)
                if before_run.any():  # an open case's hearing booked before the run: listed from that day
                    earliest[before_run] = booked[before_run]
                    self.booked[hearing[before_run]] = np.nan
                self.earliest[hearing] = earliest
                self._to_book.append(hearing)
            team = waiting[(kind == TEAM_WORK) | (kind == ALLOCATION)]
            if len(team):
                self._to_team.append(team)
            court = waiting[kind == COURT_WORK]
            self._start_work(court, self.ready[court])  # needs no capacity: it starts now
            ended = waiting[kind == DISPOSE]
            if len(ended):
                self._free_held(ended)
                self.dispose(ended, withdrawn=False)
            gone = waiting[kind == DIVERT]
            if len(gone):
                if self.rec is not None:
                    self.pre_proceedings_cases -= np.bincount(self.region[gone], minlength=self.n_regions)
                self.end[gone] = self.ready[gone]
                self.diverted[gone] = True
                self.kind[gone] = CLOSED
                self.due[gone] = -1
                if self.rec is not None:
                    self.rec.closed(gone, STATUS_DIVERTED)
                self._closed(gone)
            rows = rows[instant]

    def dispose(self, rows: np.ndarray, withdrawn: bool) -> None:
        """The order is made (or the case withdrawn): the row closes; some children return later as a new case."""
        if self.rec is not None:  # every case disposed was issued
            self._count_open(rows, -1)
        old_route = rows[(self.case_type[rows] == PRIVATE) & ~self.pathfinder[rows]]
        if len(old_route):
            self._old_route_open -= np.bincount(self.region[old_route], minlength=self.n_regions)
        self.end[rows] = self.ready[rows]
        self.kind[rows] = CLOSED
        self.due[rows] = -1
        fd = rows[np.isnan(self.first_disposal[rows])]
        self.first_disposal[fd] = self.ready[fd]
        if withdrawn:
            self.outcome[rows] = self.withdrawn_outcome
        if self.rec is not None:
            self.rec.closed(rows, STATUS_DISPOSED)
        self._closed(rows)
        if withdrawn:
            return
        back = rows[self.recur[rows]]
        if len(back):
            arrival = self.end[back] + self.recur_delay[back]
            keep = arrival < self.end_day
            back, arrival = back[keep], arrival[keep]
            for c in np.unique(self.case_type[back]).tolist():
                mine = self.case_type[back] == c
                self._return(c, arrival[mine], back[mine])

    def _return(self, case_type: int, arrival: np.ndarray, parent: np.ndarray) -> None:
        """Children who will come back to court as a new case of ``case_type``. It is numbered now, in the order
        cases close, and takes now what it inherits from the case it returns from (whose row may be reused before
        it arrives); its row is created now if it arrives this month, else at the start of its month with the
        month's other returns, in one batch."""
        seq = self._next_seq + np.arange(len(parent))
        self._next_seq += len(parent)
        batch = {
            "arrival": arrival,
            "region": self.region[parent],
            "origin": self.origin[parent],
            "serial": self.serial[parent],
            "returns": self.returns[parent] + 1,
            "seq": seq,
            **{name: getattr(self, name)[parent] for name in INHERITED},
        }
        month = np.searchsorted(self._month_start_days, np.floor(arrival), side="right") - 1
        now = month <= self._month
        if now.all():
            self._create_returns(case_type, batch)
            return
        if now.any():
            self._create_returns(case_type, {k: v[now] for k, v in batch.items()})
            batch = {k: v[~now] for k, v in batch.items()}
        self._unsorted[case_type].append((month[~now], batch))

    def _sort_returns(self) -> None:
        """The returns numbered since the last month's start, sorted by the month they arrive in, so that each
        month's share is a slice of one batch a month (not of one batch per closing)."""
        pending = self._pending
        for case_type, held in enumerate(self._unsorted):
            if not held:
                continue
            month = np.concatenate([h[0] for h in held])
            order = np.argsort(month, kind="stable")
            months = month[order]
            batch = {name: np.concatenate([h[1][name] for h in held])[order] for name in held[0][1]}
            starts = np.flatnonzero(np.concatenate([[True], months[1:] != months[:-1]]))
            bounds = starts.tolist() + [len(order)]
            for i, k in enumerate(months[starts].tolist()):
                pending.setdefault((k, case_type), []).append((batch, bounds[i], bounds[i + 1]))
            held.clear()

    def _create_returns(self, case_type: int, batch: dict[str, np.ndarray]) -> None:
        inherited = {name: batch[name] for name in INHERITED}
        self.create(
            case_type,
            batch["arrival"],
            batch["region"],
            batch["origin"],
            batch["serial"],
            batch["returns"],
            inherited,
            batch["seq"],
        )

    def allocate(self, t: int) -> None:
        """Slots freed today go to the queue first come first served; then today's requests, in ready order; then
        work that has waited the allocation delay takes a stretched slot. Sequential per team. An allocation that
        starts a case on its next step may ask again or free a slot, so this repeats until nothing is left."""
        while self._to_team or self._freed or self._poked:
            requests = np.concatenate(self._to_team) if self._to_team else np.empty(0, dtype=np.int64)
            freed = self._freed
            for key in self._poked:
                freed.setdefault(key, [])
            self._to_team, self._freed, self._poked = [], {}, set()
            started_rows, started_at = self._allocate_once(t, requests, freed)
            if not started_rows:
                continue
            rows = np.array(started_rows, dtype=np.int64)
            start = np.array(started_at)
            op = self._op(rows)
            self._team_children(self.ops.a_team[op], rows, 1)
            alloc = self.ops.a_type[op] == ALLOCATION
            self._start_work(rows[~alloc], start[~alloc])
            held = rows[alloc]
            if self.rec is not None and len(held):
                self.rec.stage(
                    held, op[alloc], self.stage_requested[held], start[alloc], start[alloc], np.zeros(len(held))
                )
            if len(held):  # a guardian allocated stays with the case: the next step starts now
                self.held[held] |= 1 << self.ops.a_team[op[alloc]]
                self.ready[held] = start[alloc]
                self.pos[held] += 1
                self.advance(held)

    def _start_work(self, rows: np.ndarray, start: np.ndarray) -> None:
        """Work (a team's, or the court's own) that starts at ``start`` and takes its drawn duration: due back on the
        day it finishes. Work that finishes today (before the run's end) is taken again today, after the rows of
        today's step (``day``), so a slot it holds is freed today and a step that takes no time takes none."""
        if not len(rows):
            return
        finish = start + self.value[rows, self.pos[rows]]
        if self.rec is not None:
            self.stage_started[rows] = start
        self.ready[rows] = finish
        self.kind[rows] = WORK_DONE
        today = finish < min(self.today + 1, self.end_day)
        if today.any():
            again = rows[today]
            self.due[again] = self.today
            self._again.append(again)
            rows, finish = rows[~today], finish[~today]
        if len(rows):
            self.schedule(rows, np.maximum(np.floor(finish), self.min_due))

    def _slots_freed(self, team: np.ndarray, rows: np.ndarray) -> None:
        """Slots of ``team`` freed by ``rows`` at their ready times, for today's allocation."""
        freed = self._freed
        for k, r, at in zip(team.tolist(), self.region[rows].tolist(), self.ready[rows].tolist(), strict=True):
            held = freed.get((k, r))
            if held is None:
                freed[(k, r)] = [at]
            else:
                held.append(at)

    def _allocate_once(
        self, t: int, requests: np.ndarray, freed: dict[tuple[int, int], list[float]]
    ) -> tuple[list[int], list[float]]:
        out = Started()
        horizon = min(t + 1, self.end_day)
        by_team: dict[int, list[tuple]] = {k * self.n_regions + r: [] for k, r in freed}
        if len(requests):
            requests = requests[np.argsort(self.ready[requests], kind="stable")]
            op = self._op(requests)
            work = self.ops.a_type[op] == TEAM_WORK  # an allocation (a guardian) holds its slot until released
            days = np.where(work, self.value[requests, self.pos[requests]], np.inf)
            frees = work & ~self.ops.a_keep[op]
            team_of = self.ops.a_team[op] * self.n_regions + self.region[requests]
            asks = zip(self.ready[requests].tolist(), requests.tolist(), days.tolist(), frees.tolist(), strict=True)
            for key, ask in zip(team_of.tolist(), asks, strict=True):
                by_team.setdefault(key, []).append(ask)
        for key in sorted(by_team):
            kind, r = divmod(key, self.n_regions)
            self.teams[kind][r].allocate_at(freed.get((kind, r), []), by_team[key], t, horizon, out)
        if out.freed_early:
            self.freed_early[out.freed_early] = True
        return out.rows, out.at

    def list_hearings(self, rows: np.ndarray, t: int) -> None:
        """Book every hearing asked for today, in booking order (the one sequential loop), then decide in a batch
        which will be withdrawn or vacated before their day and which will be heard."""
        rows = rows[np.argsort(self.ready[rows], kind="stable")]
        m = len(rows)
        self.stats["listings"] += m
        ops = self.ops
        op = self._op(rows)
        earliest_day = np.ceil(self.earliest[rows] - LISTING_TOLERANCE_DAYS).astype(np.int64)
        earliest_day = np.maximum(earliest_day, t)  # a row moved on a day late lists from today at the soonest
        rank = ops.a_rank[op, self.da[rows]].tolist()
        diary = (self.centre[rows] * self.n_tiers + ops.a_tier[op]).tolist()
        hours = self.value[rows, self.pos[rows]].tolist()
        urgent = ops.a_urgent[op].tolist()
        first = earliest_day.tolist()
        if self.rec is not None:  # notice runs from now to the earliest day (``Case.give_notice``)
            self.notice_from[rows] = self.ready[rows]
            self.notice_until[rows] = np.maximum(self.ready[rows], earliest_day)
        list_hearing = self.list_hearing
        listed = np.empty(m, dtype=object)
        days = []
        for i, (d, f, h, r, u) in enumerate(zip(diary, first, hours, rank, urgent, strict=True)):
            listed[i] = got = list_hearing[d](f, h, r, t, u)
            days.append(got.day)  # its day when booked: a later booking today may move it (``heard`` sees that)
        self.listed[rows] = listed
        day = np.array(days, dtype=np.int64)
        self.listed_day[rows] = day
        wait = (day - earliest_day).astype(np.float64)
        u_w, u_v = self.listing(rows)
        hazard = ops.a_withdrawal[op]
        chance = -np.expm1(-hazard * wait / WEEK_DAYS)
        withdraws = (wait > 0) & (hazard > 0) & (u_w < chance)
        vacates = ~withdraws & (u_v < self.vacate)
        off = withdraws | vacates
        self.stats["vacated"] += int(vacates.sum())
        when = np.where(withdraws, u_w / np.where(chance > 0, chance, 1.0), u_v / self.vacate if self.vacate else 0.0)
        off_time = self.ready[rows] + when * (day - self.ready[rows])
        self.ready[rows] = np.where(off, off_time, day + 1.0)
        self.schedule(rows, np.where(off, np.maximum(t + 1, np.floor(off_time)), day + 1))
        self.kind[rows] = np.where(off, OFF_LIST, HEARD)
        self.withdrawing[rows] = withdraws

    def listing(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The draws of each row's next listing (``Draws.listing``), as (withdraw, vacate); the adjournment's draw
        is kept for the day it is heard."""
        n = self.listings[rows]
        self.listings[rows] = n + 1
        on_tape = n < LISTINGS_ON_TAPE
        draws = self.listing_draws
        u = [np.empty(len(rows)) for _ in range(3)]
        i = np.flatnonzero(on_tape)
        for j in range(3):
            u[j][i] = draws[rows[i], n[i] + LISTINGS_ON_TAPE * j]
        for i in np.flatnonzero(~on_tape).tolist():  # past the tape's listings: the case's own generator
            row = int(rows[i])
            d = self._listing_beyond.get(row)
            if d is None:
                key = (self.origin[row], self.case_type[row], self.serial[row], self.returns[row])
                d = self._listing_beyond[row] = Draws(array("d"), (self.seed, REPLICATION, *map(int, key)))
            d.counts[LISTING_PURPOSES[1]] = int(n[i])
            u[0][i], u[1][i], u[2][i] = d.listing()
        self.adjourn_draw[rows] = u[2]
        return u[0], u[1]

    # ------------------------------------------------------------------ running
    def arrivals(self) -> None:
        """First applications month by month and returns from before the run, drawn as the present model draws them,
        created as rows ahead of their day (one batch per case type and month)."""
        scenario, streams = self.scenario, self.streams
        self._periods = self._policy_periods
        bounds = segment_bounds(scenario.sim_start_date, self.end_day, [])
        self._months = list(zip(bounds[:-1], bounds[1:], strict=True))
        self._month_start_days = np.floor([start for start, _ in self._months])
        self._month = -1
        self._pending: dict[tuple[int, int], list[tuple[dict[str, np.ndarray], int, int]]] = {}
        """Returns numbered when their case closed, waiting for the start of the month they arrive in."""
        self._unsorted: list[list[tuple[np.ndarray, dict[str, np.ndarray]]]] = [[] for _ in CASE_TYPES]
        self._serials = [0] * len(CASE_TYPES)
        self._past: list[list[tuple[float, int, int]]] = [[] for _ in CASE_TYPES]
        if scenario.starting_state.returns_before_start:
            regions = list(scenario.regions)
            rng_for = {
                key: streams.generator("returns_before_start:" + ":".join(key[1:]), regions.index(key[0]))
                for key in rules(scenario)
            }
            for p in past_returns(scenario, rng_for):
                self._past[p.case_type].append((p.day, p.region, len(self._past[p.case_type])))
        expected = sum(cases_per_year_at(scenario, c, 0.0) for c in CASE_TYPES) * self.end_day / DAYS_PER_YEAR
        expected += sum(map(len, self._past))
        if not self.recycling:
            self._allocate_columns(max(self.capacity, int(RETURNS_ALLOWANCE * expected)), ROUTE_COLUMNS)

    def create_month(self, month: int) -> None:
        start, end = self._months[month]
        rngs = {c: self.streams.generator(f"arrivals:{c}", month) for c in CASE_TYPES}
        times, types, regions = arrivals_between(self._periods, start, end, rngs)
        types_a = np.array(types, dtype=np.int64)
        times_a = np.array(times, dtype=np.float64)
        regions_a = np.array(regions, dtype=np.int64)
        for c in range(len(CASE_TYPES)):
            keep = types_a == c
            first = times_a[keep]
            serial = self._serials[c] + np.arange(len(first))
            self._serials[c] += len(first)
            past = [p for p in self._past[c] if start <= p[0] < end]
            day = np.concatenate([first, [p[0] for p in past]])
            region = np.concatenate([regions_a[keep], [p[1] for p in past]]).astype(np.int64)
            origin = np.repeat([ARRIVED, RETURNED_FROM_BEFORE], [len(first), len(past)])
            serial = np.concatenate([serial, [p[2] for p in past]]).astype(np.int64)
            order = np.argsort(day, kind="stable")
            self.create(c, day[order], region[order], origin[order], serial[order], np.zeros(len(day), np.int64))
        self._month = month
        self._sort_returns()
        for c in range(len(CASE_TYPES)):  # returns due this month, in the order they were numbered
            held = self._pending.pop((month, c), None)
            if held:
                names = held[0][0].keys()
                self._create_returns(c, {name: np.concatenate([b[name][i:j] for b, i, j in held]) for name in names})

    @property
    def periods(self) -> list[tuple[float, Scenario]]:
        return self._periods

    @property
    def old_route_open(self) -> list[int]:
        """Open private law cases on the standard route, by region, as ``sim.model.route_changes`` reads them."""
        return self._old_route_open.tolist()

    def open_caseload(self) -> None:
        """The starting state's declared open cases (``starting_state.start_open_caseload``), created before the
        run's first step in the present model's order: by stage with regions drawn by demand shares, then by region
        and stage; each issued its drawn age before the start, beginning its route at its stage, its next hearing
        listed from the day booked for it, if one was."""
        scenario = self.scenario
        for case_type, declared in scenario.starting_state.open_cases.items():
            code = CASE_TYPES.index(case_type)
            groups = [
                (None, stage, count, declared.age_days, declared.next_hearing_days)
                for stage, count in declared.by_stage.items()
            ]
            for name, stages in declared.by_region.items():
                region = list(scenario.regions).index(name)
                groups += [
                    (region, stage, spec.count, spec.age_days, spec.next_hearing_days) for stage, spec in stages.items()
                ]
            serial = 0
            for region, stage, count, age_dist, booked_dist in groups:
                m = int(round(count))
                serials = np.arange(serial, serial + m, dtype=np.int64)
                serial += m
                if m:
                    self._open_cases(code, stage, serials, region, age_dist, booked_dist)

    def _open_cases(
        self, code: int, stage: str, serials: np.ndarray, region: int | None, age_dist, booked_dist
    ) -> None:
        """Open cases of one case type and stage, with their serials (``Draws`` of the open caseload's origin)."""
        m, case_type = len(serials), CASE_TYPES[code]
        origin, first = np.full(m, OPEN_CASELOAD, dtype=np.int64), np.zeros(m, dtype=np.int64)
        raw = self.tapes[code].rows(origin, serials, first)
        if region is None:  # drawn by demand shares
            cumulative = np.asarray(self.params.region_cumulative[case_type])
            at = np.searchsorted(cumulative, raw[:, place("open_case.region")], side="right")
            regions = np.minimum(at, len(cumulative) - 1)
        else:
            regions = np.full(m, region, dtype=np.int64)
        age = quantiles(age_dist, raw[:, place("open_case.age_days")])
        booked = None
        if booked_dist is not None:
            days = quantiles(booked_dist, raw[:, place("open_case.next_hearing_days")])
            booked = self.scenario.results_start_day + days
        entry = np.full(m, PATHWAY_TABLES[case_type].entry_code(stage), dtype=np.int64)
        self.create(code, -age, regions, origin, serials, first, entry=entry, booked=booked)

    def run(self) -> None:
        env = simpy.Environment()
        self.env = env
        self.arrivals()
        self.open_caseload()
        month_starts = [int(math.floor(start)) for start, _ in self._months]

        monitor = None if self.rec is None else self.rec.monitor
        interval = self.scenario.monitor_interval_days

        def clock():
            month = 0
            for t in range(int(math.ceil(self.end_day))):
                self.min_due = t
                if monitor is not None and t % interval == 0:  # the state at the end of the day before
                    monitor.snapshot(float(t))
                self._apply_policies(t)
                while month < len(month_starts) and month_starts[month] <= t:
                    self.recycle()
                    self.create_month(month)
                    month += 1
                self.day(t)
                if monitor is not None:
                    monitor.day_ended()
                yield env.timeout(1)

        env.process(clock())
        env.process(follow_routes(self))  # Pathfinder's start in a region re-splits the court's hours
        env.run(until=math.ceil(self.end_day))  # a region still holding its old route's hours reviews them for ever
        if self.rec is not None:
            self.rec.close(self.end_day)

    def _apply_policies(self, t: int) -> None:
        """Each period (a policy, a history row) whose day has come, before the day's step and the month's new cases
        (``Replication._apply_policies``): the court, the teams and what the batch reads when it happens follow it."""
        periods = self._policy_periods
        while self._next_period < len(periods) and periods[self._next_period][0] <= t:
            day, scenario = periods[self._next_period]
            self._next_period += 1
            fixed, at_creation = policy_changes(self.scenario, scenario)
            if fixed:
                raise NotImplementedError(
                    f"a policy of day {day:g} changes {', '.join(fixed)}: the batch design fixes these when a case is "
                    "created, and rebuilding open cases' routes at a policy's date is not prototyped"
                )
            if at_creation and day not in self._month_start_days:
                raise NotImplementedError(
                    f"a policy of day {day:g} changes {', '.join(at_creation)}, which a case takes when it is created: "
                    "the batch design creates a month's cases at its start, so such a policy must begin a month"
                )
            self.scenario = scenario
            params = self.params
            params.configure(scenario)
            self.court.apply(scenario, int(math.ceil(day)))
            for k, (kind, teams) in enumerate(zip(TEAM_KINDS, self.teams, strict=True)):
                for r, (team, capacity) in enumerate(zip(teams, team_capacities(scenario, kind), strict=True)):
                    if team.follow(*capacity):
                        self._poked.add((k, r))
            self._read_when_it_happens(scenario)
            self.ops.follow(params)

    def _read_when_it_happens(self, scenario: Scenario) -> None:
        """What the batch reads of the scenario in force when a step happens: the court's chances of vacating and
        adjourning, its relist notice, and the days regions begin Pathfinder (at the start and at each policy)."""
        courts = scenario.courts
        self.vacate, self.adjourn = courts.vacate_probability, courts.adjourn_probability
        self.adjourn_at_full = courts.adjourn_probability_added_at_full_list
        self.relist = np.array([courts.relist_notice_days, courts.urgent_relist_notice_days])
        self.pathfinder_from_day = np.array(self.params.pathfinder_from_day)

    def left_behind(self) -> int:
        """Rows due before the last day that were never taken: each would be a case lost (there must be none)."""
        n, last = self.n, int(math.ceil(self.end_day)) - 1
        return int(((self.due[:n] >= 0) & (self.due[:n] < last)).sum())

    @property
    def _period(self) -> dict:
        return {"results_start": self.scenario.results_start_day, "end_day": self.end_day}

    def _headline_columns(self, rows: np.ndarray | slice) -> dict:
        return {
            "case_type": self.case_type[rows],
            "issue": self.issue[rows],
            "end": self.end[rows],
            "first_disposal": self.first_disposal[rows],
            "diverted": self.diverted[rows],
            "withdrawn": self.outcome[rows] == self.withdrawn_outcome,
            "hearings": self.hearings[rows],
            "adjournments": self.adjournments[rows],
            "vacated": self.vacated[rows],
        }

    def headline(self) -> dict:
        """The figures of every case: those recycled (counted when they were) and the rows still held (a recycled
        row's fill counts in none of them)."""
        held = headline_sums(**self._headline_columns(slice(0, self.n)), **self._period)
        return headline_from_sums(self._sums + held)

    def displaced_found(self) -> int:
        return self._displaced + int(self.displaced[: self.n].sum())


HEADLINE_SUMS = (
    "disposed",
    "weeks",
    "weeks_to_first_disposal",
    "within_26_weeks",
    "hearings",
    "adjournments",
    "vacated",
    "withdrawn",
    "open_at_end",
)
"""What the headline figures add up, by case type, so that cases can be counted in as their rows are recycled."""


def headline_sums(
    case_type, issue, end, first_disposal, diverted, withdrawn, hearings, adjournments, vacated, results_start, end_day
) -> np.ndarray:
    """The sums of :data:`HEADLINE_SUMS` by case type (a row each) over the cases given."""
    out = np.zeros((len(CASE_TYPES), len(HEADLINE_SUMS)))
    for c in range(len(CASE_TYPES)):
        mine = case_type == c
        disposed = mine & ~diverted & ~np.isnan(end) & (end >= results_start) & (end < end_day) & ~np.isnan(issue)
        weeks = (end[disposed] - issue[disposed]) / WEEK_DAYS
        first = (first_disposal[disposed] - issue[disposed]) / WEEK_DAYS
        open_at_end = mine & ~np.isnan(issue) & (issue < end_day) & ~(end < end_day)
        out[c] = (
            disposed.sum(),
            weeks.sum(),
            first.sum(),
            (first <= 26).sum(),
            hearings[disposed].sum(),
            adjournments[disposed].sum(),
            vacated[disposed].sum(),
            withdrawn[disposed].sum(),
            open_at_end.sum(),
        )
    return out


def headline_from_sums(sums: np.ndarray) -> dict:
    """What both designs are compared on, by case type: of the cases disposed in the results period (issued, not
    diverted), the mean weeks from issue to the order and to the first disposal, the share within 26 weeks, hearings,
    adjournments and vacated hearings per case, the share withdrawn; and the cases open at court at the end."""
    out = {}
    for c, name in enumerate(CASE_TYPES):
        s = dict(zip(HEADLINE_SUMS, sums[c].tolist(), strict=True))
        n = s["disposed"] or math.nan
        out[name] = {
            "disposed": int(s["disposed"]),
            "mean_weeks": round(s["weeks"] / n, 2),
            "mean_weeks_to_first_disposal": round(s["weeks_to_first_disposal"] / n, 2),
            "within_26_weeks": round(s["within_26_weeks"] / n, 4),
            "hearings_per_case": round(s["hearings"] / n, 3),
            "adjournments_per_case": round(s["adjournments"] / n, 3),
            "vacated_per_case": round(s["vacated"] / n, 3),
            "withdrawn_share": round(s["withdrawn"] / n, 4),
            "open_at_end": int(s["open_at_end"]),
        }
    return out


# ---------------------------------------------------------------------------------------------- records
class BatchRecords:
    """The present model's three tables' two large ones, children and stages, written from the columns with the
    project's own ``Recorder`` columns and writer (``sim/model/records.py``): so their cost is the cost a port would
    pay. A stage row is appended as arrays when a step ends; a case's child rows when it closes in the results period
    (or is open at the end). The values are the prototype's: the accounting of notice and of a withdrawn hearing's
    stage follows the present model's rules, unchecked row by row. The weekly timeline is not written."""

    STAGE_CHUNK = 200_000

    def __init__(self, model: BatchModel, folder: Path) -> None:
        from sim.model.monitor import measure_names
        from sim.model.records import Labels, Recorder

        scenario = model.scenario
        self.model = model
        labels = Labels(scenario, model.outcome_names, measure_names(list(scenario.courts.tiers)))
        self.recorder = Recorder(folder, scenario, labels, REPLICATION, open_case_ids=())
        self.labels = labels
        self.monitor = BatchMonitor(model, self.recorder, labels.measures)
        self.results_start = scenario.results_start_day
        self._stages: list[np.ndarray] = []
        self._stage_rows = 0
        self._held = np.empty((0, 7))
        self._stages_out: list[np.ndarray] = []
        self._stages_out_rows = 0
        self._closed: list[tuple[np.ndarray, int, np.ndarray]] = []
        self._closed_children = 0
        self._children_out: list[list[np.ndarray]] = []
        self._children_out_rows = 0

    def settle(self) -> None:
        """Take every closed case's child rows and stage rows out of the model's columns (written once a chunk is
        full), so that their rows can be reused."""
        self._flush_children()
        self._flush_stages()

    def stage(self, rows: np.ndarray, op: np.ndarray, requested, started, ended, notice, counted: bool = True) -> None:
        """Stage rows for ``rows`` whose step ``op`` ended; the case's days with each agency added up (unless not
        ``counted``: a review after the order is recorded, not counted)."""
        model, ops = self.model, self.model.ops
        agency = ops.a_agency[op]
        if counted:
            model.agency_wait[rows, agency] += started - requested  # a case ends at most one step at a time
            model.agency_active[rows, agency] += ended - started
            court = agency == COURT
            model.notice_court[rows[court]] += notice[court]
        block = np.column_stack([rows, ops.a_stage[op], agency, requested, started, ended, notice]).astype(np.float64)
        self._stages.append(block)
        self._stage_rows += len(block)
        if self._stage_rows >= self.STAGE_CHUNK:
            self._flush_stages()

    def _flush_stages(self, final: bool = False) -> None:
        """Write the rows of cases that closed in the results period (or are open at the end); drop those of cases
        closed in the warm-up; hold the rest, as the present model's recorder does."""
        rows = np.concatenate([self._held, *self._stages]) if self._stages else self._held
        self._stages, self._stage_rows = [], 0
        end = self.model.end[rows[:, 0].astype(np.int64)]
        write = (end >= self.results_start) | (final & np.isnan(end))
        keep = np.isnan(end) & ~write
        if write.any():
            out = rows[write]
            out[:, 0] = self.model.seq[out[:, 0].astype(np.int64)]  # the case's number, not its row
            self._stages_out.append(out)
            self._stages_out_rows += len(out)
        self._held = rows[keep]
        if self._stages_out and (final or self._stages_out_rows >= self.STAGE_CHUNK):
            out = np.concatenate(self._stages_out)
            self._stages_out, self._stages_out_rows = [], 0
            self.recorder.stages.write_columns([out[:, i] for i in range(7)])

    def closed(self, rows: np.ndarray, status: str) -> None:
        """Cases that ended now (``status``): child rows if in the results period."""
        model = self.model
        rows = rows[model.end[rows] >= self.results_start]
        if not len(rows):
            return
        self._closed.append((rows, STATUSES.index(status), model.end[rows].copy()))
        self._closed_children += int(model.n_children[rows].sum())
        if self._closed_children + self._children_out_rows >= self.recorder.children.chunk_rows:
            self._flush_children()

    def _flush_children(self, final: bool = False) -> None:
        """The child rows of the cases closed since the last call, from the columns; written once a chunk is full."""
        if self._closed:
            columns = self._child_rows()
            self._children_out.append(columns)
            self._children_out_rows += len(columns[0])
        if self._children_out and (final or self._children_out_rows >= self.recorder.children.chunk_rows):
            out = [np.concatenate(c) for c in zip(*self._children_out, strict=True)]
            self._children_out, self._children_out_rows = [], 0
            self.recorder.children.write_columns(out)

    def _child_rows(self) -> list[np.ndarray]:
        model = self.model
        rows = np.concatenate([c[0] for c in self._closed])
        status = np.concatenate([np.full(len(c[0]), c[1]) for c in self._closed]).astype(np.float64)
        now = np.concatenate([c[2] for c in self._closed])
        self._closed, self._closed_children = [], 0
        issued = ~np.isnan(model.issue[rows])
        issue = model.issue[rows]
        open_ = status == STATUSES.index(STATUS_OPEN)
        in_proceedings = now - issue
        disposed = status == STATUSES.index(STATUS_DISPOSED)
        case_type = model.case_type[rows]
        la_offset = np.asarray(self.labels.la_offset)
        fields = {
            "case_id": model.seq[rows].astype(np.float64),
            "case_type": case_type,
            "pathway": np.where(model.pathfinder[rows], PATHFINDER, np.asarray(PATHWAY_OF_TYPE)[case_type]),
            "region": model.region[rows],
            "local_authority": la_offset[model.region[rows]] + model.local_authority[rows],
            "court_centre": model.centre[rows],
            "domestic_abuse": model.da[rows],
            "is_return": model.is_return[rows] | (model.origin[rows] == RETURNED_FROM_BEFORE),
            "warm_up": np.where(model.entry[rows] > 0, 0.0, model.arrival[rows]) < self.results_start,
            "from_open_caseload": model.entry[rows] > 0,
            "status": status,
            "arrival_date": model.arrival[rows],
            "start_date": np.where(issued, issue, model.arrival[rows]),
            "end_date": np.where(open_, np.nan, now),
            "days_to_first_hearing": model.first_hearing[rows] - issue,
            "days_to_first_disposal": model.first_disposal[rows] - issue,  # NaN while none
            "days_to_disposal": np.where(disposed, in_proceedings, np.nan),
            "days_in_proceedings": in_proceedings,
            **{f"wait_{a}_days": model.agency_wait[rows, i] for i, a in enumerate(AGENCIES)},
            **{f"active_{a}_days": model.agency_active[rows, i] for i, a in enumerate(AGENCIES)},
            "notice_court_days": model.notice_court[rows],
            "days_before_run": np.where(model.entry[rows] > 0, -issue, 0.0),
            "pre_proceedings_days": model.pre_proceedings[rows],
            "hearings": model.hearings[rows],
            "adjournments": model.adjournments[rows],
            "vacated": model.vacated[rows],
            "displaced": model.displaced[rows],
            "outcome": np.where(disposed, model.outcome[rows], -1),
        }
        n = model.n_children[rows]
        case_row = np.repeat(np.arange(len(rows)), n)
        k = np.arange(len(case_row)) - np.repeat(np.cumsum(n) - n, n)  # each child's place among its siblings
        kid_rows = rows[case_row]
        column = {name: np.asarray(fields[name], dtype=np.float64)[case_row] for name in CASE_FIELDS}
        age = age_to_the_day((column["start_date"] - model.birth[kid_rows, k]) / DAYS_PER_YEAR)
        bounds = np.asarray(self.labels.age_band_bounds)
        column["age_at_start_years"] = age
        column["age_band"] = np.minimum(np.searchsorted(bounds, age, side="right"), len(bounds) - 1).astype(float)
        column["child_id"] = (model.first_child[kid_rows] + k).astype(np.float64)
        column["case_number"] = (model.returns[kid_rows] + 1).astype(np.float64)
        return [column[name] for name in self.recorder._output]

    def close(self, end_day: float) -> None:
        """The run's end: the last snapshot, open cases' child rows, every stage row still held, the files closed."""
        self.monitor.snapshot(end_day)  # the state at the end, which the interval may not land on
        model = self.model
        n = model.n
        open_rows = np.flatnonzero((model.arrival[:n] < end_day) & np.isnan(model.end[:n]))
        open_rows = open_rows[np.argsort(model.seq[open_rows], kind="stable")]  # in the order the cases came
        issued = open_rows[~np.isnan(model.issue[open_rows])]  # an issued case's stage under way counts so far
        op = model.route[issued, model.pos[issued]]
        agency = model.ops.a_agency[op]
        issued, op, agency = issued[agency >= 0], op[agency >= 0], agency[agency >= 0]
        working = np.isin(model.ops.a_type[op], (TEAM_WORK, COURT_WORK)) & (model.kind[issued] == WORK_DONE)
        requested, started = model.stage_requested[issued], model.stage_started[issued]
        model.agency_wait[issued, agency] += np.where(working, started, end_day) - requested
        model.agency_active[issued, agency] += np.where(working, end_day - started, 0.0)
        begun = model.notice_from[issued]  # its notice so far, the listing under way's too (in_progress_notice_days)
        elapsed = np.minimum(np.maximum(end_day, begun), model.notice_until[issued]) - begun
        model.notice_court[issued] += model.stage_notice[issued] + np.where(np.isnan(begun), 0.0, elapsed)
        if len(open_rows):
            self._closed.append((open_rows, STATUSES.index(STATUS_OPEN), np.full(len(open_rows), end_day)))
        self._flush_children(final=True)
        self._flush_stages(final=True)
        self.recorder.children.close()
        self.recorder.stages.close()
        self.recorder.timeline.close()


class BatchMonitor:
    """The timeline as ``sim.model.monitor.Monitor`` takes it (every ``monitor_interval_days`` and at the end, the
    state at the end of the day before), counted from the columns and the teams: cases open at court (issued, not
    closed) by case type, their children, cases in pre-proceedings; each team's unallocated work, open work and
    its children, workers, utilisation and caseload per worker since the last snapshot; the court's utilisation
    by tier. A team's busy slots are added up once a day, after its allocation (the present model adds them up at
    every change)."""

    def __init__(self, model: BatchModel, recorder: object, measures: list[str]) -> None:
        code = {name: i for i, name in enumerate(measures)}
        self.model, self.record = model, recorder.snapshot
        self.flush = recorder.timeline.maybe_flush
        self.open_codes = [code[f"open_cases:{c}"] for c in CASE_TYPES]
        self.children_code, self.pre_code = code["open_children"], code["pre_proceedings_cases"]
        self.team_codes = [
            [code[f"{m}:{k}"] for m in ("unallocated", "work_open", "children_open", "workers")] for k in TEAM_KINDS
        ]
        self.rate_codes = [(code[f"utilisation:{k}"], code[f"caseload_per_worker:{k}"]) for k in TEAM_KINDS]
        self.tier_codes = [code[f"utilisation:court:{t}"] for t in model.scenario.courts.tiers]
        self.court_code = code["utilisation:court"]
        self.busy_area = np.zeros((len(TEAM_KINDS), model.n_regions))
        self.last_area = self.busy_area.copy()
        self.last_day = 0.0

    def day_ended(self) -> None:
        """A day's busy slots, as they stand after its allocation."""
        self.busy_area += [[team.busy for team in teams] for teams in self.model.teams]

    def snapshot(self, now: float) -> None:
        m, record = self.model, self.record
        regions = m.n_regions
        open_cases, open_children, holders = m.open_cases, m.open_children, m.team_children
        pre = m.pre_proceedings_cases.copy()
        due = m.buckets.get(int(now))
        if due:  # arrived before now but taken today (a return that came back at once): in pre-proceedings already
            rows = np.concatenate(due)
            late = rows[(m.kind[rows] == ARRIVE) & (m.due[rows] == int(now)) & (m.arrival[rows] < now)]
            pre += np.bincount(m.region[np.unique(late)], minlength=regions)
        elapsed = now - self.last_day
        for r in range(regions):
            for c, measure in enumerate(self.open_codes):
                record(now, measure, r, float(open_cases[c, r]))
            record(now, self.children_code, r, float(open_children[r]))
            record(now, self.pre_code, r, float(pre[r]))
            for k, teams in enumerate(m.teams):
                team = teams[r]
                queued = [ask[1] for ask in team.queue]
                children = float(holders[k, r] + m.n_children[queued].sum())
                unallocated, work_open, children_open, workers = self.team_codes[k]
                record(now, unallocated, r, float(len(queued)))
                record(now, work_open, r, float(team.busy + len(queued)))
                record(now, children_open, r, children)
                record(now, workers, r, team.workers)
                if elapsed > 0:
                    busy = (self.busy_area[k, r] - self.last_area[k, r]) / elapsed
                    utilisation, caseload = self.rate_codes[k]
                    record(now, utilisation, r, busy / team.slots if team.slots else math.nan)
                    record(now, caseload, r, busy / team.workers if team.workers else math.nan)
            if elapsed > 0:
                used_all = available_all = 0.0
                for t, measure in enumerate(self.tier_codes):
                    used, available = m.court.used_and_available_hours(r, t, int(self.last_day), int(now))
                    used_all += used
                    available_all += available
                    record(now, measure, r, used / available if available else math.nan)
                record(now, self.court_code, r, used_all / available_all if available_all else math.nan)
        self.last_area = self.busy_area.copy()
        self.last_day = now
        self.flush()


# ---------------------------------------------------------------------------------------------- routes checked
class RouteReplay:
    """A pathway context that runs ``sim/model/pathways`` on one case without time passing, and writes down each
    step it asks for with the durations it draws: the route the present model would walk, from the case's own
    draws. Hearings are never withdrawn here (that is timing, decided in the day loop)."""

    def __init__(self, scenario: Scenario, params: Parameters) -> None:
        self.scenario = scenario
        self.params = params
        self.steps: list[tuple] = []

    def decisions(self, case: Case) -> Draws:
        return case.draws

    def team(self, kind: str, region: int) -> RouteReplay:
        self._kind = kind
        return self

    def release(self, children: int = 1) -> None:
        self.steps.append(("release", self._kind))

    def hearing(self, case: Case, stage: int, key: str, withdrawal_per_week: float = 0.0, tier_of: str | None = None):
        plan = self.params.hearings[key]
        hours = case.draws.sample(HOURS, plan.duration_hours)
        notice = case.draws.sample(NOTICE, plan.notice_days)
        self.steps.append(("hearing", STAGES[stage], key, tier_of, withdrawal_per_week, hours, notice))
        return False
        yield  # a generator, as the model's step is

    def team_work(self, case: Case, stage: int, kind: str, duration_key: str, keep_slot: bool = False):
        days = case.draws.sample(PURPOSE[duration_key], self.params.durations[duration_key])
        self.steps.append(("work", STAGES[stage], kind, keep_slot, days))
        return
        yield

    def allocation(self, case: Case, stage: int, kind: str):
        self.steps.append(("allocation", STAGES[stage], kind))
        return
        yield

    def active_work(self, case: Case, stage: int, agency: int, duration_key: str):
        days = case.draws.sample(PURPOSE[duration_key], self.params.durations[duration_key])
        self.steps.append(("court_work", STAGES[stage], days))
        return
        yield

    def follow_up(self, case: Case, stage: int, agency: int, duration_key: str) -> None:
        days = case.draws.sample(PURPOSE[duration_key], self.params.durations[duration_key])
        self.steps.append(("review", STAGES[stage], days))

    def issue(self, case: Case) -> None:
        self.steps.append(("issue",))

    def first_disposal(self, case: Case) -> None:
        self.steps.append(("first_disposal",))

    def divert(self, case: Case) -> None:
        self.steps.append(("divert",))

    def dispose(self, case: Case, pathway_name: str, outcome: str | None = None):
        self.steps.append(("dispose",))
        return
        yield


def replayed_route(model: BatchModel, row: int) -> list[tuple]:
    """The route ``sim/model/pathways`` gives the case of ``row``, from its own keyed draws."""
    from sim.model.entities import Case, Child
    from sim.model.pathways.domestic_abuse import domestic_abuse
    from sim.model.pathways.pathfinder import pathfinder
    from sim.model.pathways.private_law import private_law
    from sim.model.pathways.public_law import public_law

    row = int(row)
    c, origin, serial, returns = (
        int(x) for x in (model.case_type[row], model.origin[row], model.serial[row], model.returns[row])
    )
    if returns == 0:
        draws = model.streams.draws(origin, c, serial)
    else:
        draws = Draws(array("d"), (model.seed, REPLICATION, origin, c, serial, returns - 1)).returned()
    children = [Child(0, 0.0, ()) for _ in range(int(model.n_children[row]))]
    case = Case(row, c, int(model.region[row]), 0, bool(model.da[row]), children, 0.0, 0, draws)
    case.entry_stage = int(model.entry[row])
    context = RouteReplay(model.scenario, model.params)
    pathway = {PUBLIC: public_law, PRIVATE: private_law, DOMESTIC: domestic_abuse}[c]
    new_case = case.entry_stage == 0
    if c == PRIVATE and new_case and model.arrival[row] >= model.params.pathfinder_from_day[case.region]:
        pathway = pathfinder
    for _ in pathway(context, case):
        raise AssertionError("the replay never waits")
    return context.steps


def batch_route(model: BatchModel, row: int) -> list[tuple]:
    """The route the batch design fixed for ``row`` at its creation, written as :class:`RouteReplay` writes one."""
    names = {ISSUE: "issue", FIRST_DISPOSAL: "first_disposal", DIVERT: "divert", DISPOSE: "dispose"}
    steps: list[tuple] = []
    for pos, op in enumerate(model.route[row].tolist()):
        if op < 0:
            break
        kind, team, keep, hearing, stage = model.ops.keys[op]
        if kind == HEARING:
            _, key, tier_of, withdrawal = hearing
            steps.append(("hearing", stage, key, tier_of, withdrawal, model.value[row, pos], model.notice[row, pos]))
        elif kind == TEAM_WORK:
            steps.append(("work", stage, team, keep, model.value[row, pos]))
        elif kind == ALLOCATION:
            steps.append(("allocation", stage, team))
        elif kind == RELEASE:
            steps.append(("release", team))
        elif kind in (COURT_WORK, REVIEW):
            steps.append(("court_work" if kind == COURT_WORK else "review", stage, model.value[row, pos]))
        else:
            steps.append((names[kind],))
    return steps


def check_routes(model: BatchModel, cases: int, seed: int = 7) -> dict:
    """Replay ``cases`` rows drawn at random (and every row past its tape's places for a decision or a hearing, and
    every open case of the starting state) with
    the pathway modules, and compare each with the route the batch design built: the same steps, lists, hazards and
    durations to the bit."""
    assert not model.recycling, "routes are checked on a run that keeps every row (recycling=False)"
    rng = np.random.default_rng(seed)
    n = model.n
    rows = set(rng.choice(n, size=min(cases, n), replace=False).tolist())
    route = model.route[:n]
    is_hearing = (model.ops.a_type[np.maximum(route, 0)] == HEARING) & (route >= 0)
    further = (route == model.h["public_law.further_case_management.hearing"]).sum(axis=1)
    past = is_hearing.sum(axis=1) > CAPS[HOURS]  # the ninth hearing's length is past the tape's places
    past |= further >= COUNT_PLACES  # so is the further case management count's fourth chance
    rows |= set(np.flatnonzero(past)[:cases].tolist())
    rows |= set(np.flatnonzero(model.entry[:n] > 0).tolist())  # every open case of the starting state
    differing: dict[str, int] = {}
    for row in sorted(rows):
        if replayed_route(model, row) != batch_route(model, row):
            name = CASE_TYPES[int(model.case_type[row])]
            differing[name] = differing.get(name, 0) + 1
    kinds = np.bincount(model.case_type[sorted(rows)], minlength=len(CASE_TYPES))
    return {
        "checked": len(rows),
        "past_places": int(min(cases, past.sum())),
        "by_case_type": dict(zip(CASE_TYPES, kinds.tolist(), strict=True)),
        "pathfinder": int(model.pathfinder[sorted(rows)].sum()),
        "open_at_start": int((model.entry[:n] > 0).sum()),
        "differing": differing,
    }


# ---------------------------------------------------------------------------------------------- the two designs
def write_scenario(
    run_years: float | None, warm_up_years: float | None, seed: int, folder: Path, base: Path = BASELINE
) -> Path:
    """The baseline (or ``base``), the years asked for (its own where None; Wales begins Pathfinder on its date, in
    the warm-up of the baseline's own years)."""
    overrides: dict = {
        "extends": str(Path(base).resolve()),
        "name": f"{Path(base).stem}_years",
        "description": "A scenario with the years asked for (benchmarks/batch_model.py).",
        "seed": seed,
    }
    if run_years is not None:
        overrides["run_years"] = run_years
    if warm_up_years is not None:
        overrides["starting_state"] = {"warm_up_days": int(round(warm_up_years * DAYS_PER_YEAR))}
    path = folder / f"{Path(base).stem}_{run_years}y_{warm_up_years}w.yaml"
    path.write_text(yaml.safe_dump(overrides, sort_keys=False))
    return path


def run_batch(loaded: LoadedScenario, seed: int, profile: bool = False, check: int = 0, records: bool = False) -> dict:
    scenario = loaded.scenario
    folder = Path(tempfile.mkdtemp(prefix="batch-model-records-")) if records else None
    gc_was = gc.isenabled()
    gc.disable()
    profiler = cProfile.Profile() if profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    model = BatchModel(scenario, seed, folder, recycling=not check, periods=loaded.periods)
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
        "rows_held": model.n,
        "by_case_type": model.headline(),
        "rows_left_behind": model.left_behind(),
        "stats": {**model.stats, "displaced_found": model.displaced_found()},
    }
    if folder is not None:
        result["records"] = table_sizes(folder)
        shutil.rmtree(folder, ignore_errors=True)
    if check:
        result["routes_checked"] = check_routes(model, check)
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        result["profile"] = out.getvalue()
    return result


MEANS_COMPARED = {
    "children": ("days_in_proceedings", "wait_court_days", "active_cafcass_days", "notice_court_days", "displaced"),
    "stages": ("notice_days",),
}
"""Columns whose means both designs report with their tables: the account of days, notice and the court's moves."""
TIMELINE_MEANS = ("open_cases:public_law", "open_cases:private_law", "open_children", "utilisation:court")
TIMELINE_MEANS += ("work_open:cafcass_long_term", "utilisation:local_authority")
"""Measures of the timeline whose means (over snapshots and regions) both designs report."""


def table_sizes(folder: Path) -> dict:
    """Rows and bytes of the child and stage tables in ``folder`` with the means of :data:`MEANS_COMPARED`, and the
    timeline's rows with the means of :data:`TIMELINE_MEANS`."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out = {}
    for name, columns in MEANS_COMPARED.items():
        path = folder / f"{name}.parquet"
        table = pq.read_table(path, columns=list(columns))
        out[name] = {
            "rows": table.num_rows,
            "bytes": path.stat().st_size,
            "means": {c: pc.mean(table.column(c).cast("float64")).as_py() for c in columns},
        }
    timeline = pq.read_table(folder / "timeline.parquet", columns=["measure", "value"]).to_pandas()
    by_measure = timeline.groupby(timeline["measure"].astype(str))["value"].mean()
    out["timeline"] = {"rows": len(timeline), "means": {m: float(by_measure[m]) for m in TIMELINE_MEANS}}
    return out


def run_present(loaded: LoadedScenario, seed: int) -> dict:
    """The present model on the same scenario, timed as bench_national.py times it (``Replication.run``), its
    tables written; the figures read back from its child table, a row per case."""
    import pyarrow.parquet as pq

    from sim.model.build import model_build
    from sim.model.replication import Replication

    scenario = loaded.scenario
    out = Path(tempfile.mkdtemp(prefix="batch-model-present-"))
    replication = Replication(loaded, 0, out, seed=seed)
    cpu, wall = time.process_time(), time.perf_counter()
    stats = replication.run()
    cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - wall
    columns = ["case_id", "case_type", "status", "arrival_date", "start_date", "end_date", "days_to_first_disposal"]
    columns += ["days_to_disposal", "hearings", "adjournments", "vacated", "outcome", "days_in_proceedings"]
    sizes = table_sizes(out)
    children = pq.read_table(out / "children.parquet", columns=columns).to_pandas()
    table = children.drop_duplicates("case_id")  # a row per child: the case's fields repeat
    shutil.rmtree(out, ignore_errors=True)
    first_day = np.datetime64(scenario.sim_start_date.isoformat())

    def days(column: str) -> np.ndarray:
        return (table[column].to_numpy(dtype="datetime64[s]") - first_day) / np.timedelta64(1, "D")

    status = table["status"].astype(str).to_numpy()
    issued = ~np.isnan(table["days_in_proceedings"].to_numpy(dtype=float))
    issue = np.where(issued, days("start_date"), np.nan)
    codes = {name: i for i, name in enumerate(CASE_TYPES)}
    sums = headline_sums(
        case_type=np.array([codes[c] for c in table["case_type"].astype(str)], dtype=np.int64),
        issue=issue,
        end=np.where(  # the model's own days to disposal: dates are stored to the hour
            status == "disposed",
            issue + table["days_to_disposal"].to_numpy(dtype=float),
            np.where(status == "diverted", days("end_date"), np.nan),
        ),
        first_disposal=issue + table["days_to_first_disposal"].to_numpy(dtype=float),
        diverted=status == "diverted",
        withdrawn=table["outcome"].astype(str).to_numpy() == "withdrawn",
        hearings=table["hearings"].to_numpy(),
        adjournments=table["adjournments"].to_numpy(),
        vacated=table["vacated"].to_numpy(),
        results_start=scenario.results_start_day,
        end_day=scenario.end_day,
    )
    return {
        "design": "present",
        "model_build": model_build(),
        "cases": stats.cases_created,
        "children": stats.children_created,
        "cpu_s": round(cpu_s, 3),
        "wall_s": round(wall_s, 3),
        "cases_per_cpu_second": round(stats.cases_created / cpu_s, 1),
        "by_case_type": headline_from_sums(sums),
        "events": stats.events,
        "records": sizes,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario",
        type=Path,
        help="a scenario to run instead of the baseline, with its policies and history (its own years unless "
        "--run-years and --warm-up-years are given)",
    )
    parser.add_argument("--run-years", type=float, help="years of results (default 1 for the baseline)")
    parser.add_argument("--warm-up-years", type=float, help="years of warm-up (default 2 for the baseline)")
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--seeds",
        type=int,
        default=1,
        metavar="N",
        help="run both designs with seeds SEED..SEED+N-1 (as replications) and hold the batch design's mean of each "
        "figure to the present model's 95%% interval",
    )
    parser.add_argument("--design", choices=("both", "batch", "present"), default="both")
    parser.add_argument("--profile", action="store_true", help="cProfile the batch design (its figures then slow)")
    parser.add_argument(
        "--records",
        action="store_true",
        help="the batch design writes the child and stage tables as the present model does (timed with the run)",
    )
    parser.add_argument(
        "--check-routes",
        type=int,
        default=0,
        metavar="N",
        help="replay N cases of the batch run with sim/model/pathways and compare their routes (untimed)",
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="batch-model-"))
    try:
        years = (args.run_years, args.warm_up_years)
        if args.scenario is None:  # the baseline: one year after two of warm-up unless asked otherwise
            years = (1.0 if years[0] is None else years[0], 2.0 if years[1] is None else years[1])
        loaded = load_scenario(write_scenario(*years, args.seed, folder, args.scenario or BASELINE))
        results = []
        for seed in range(args.seed, args.seed + args.seeds):
            for _ in range(args.rounds):
                if args.design in ("both", "batch"):
                    results.append(
                        {"seed": seed, **run_batch(loaded, seed, args.profile, args.check_routes, args.records)}
                    )
                if args.design in ("both", "present"):
                    results.append({"seed": seed, **run_present(loaded, seed)})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for r in results:
        if "profile" in r:
            print(r.pop("profile"))
        print(
            f"{r['design']}: {r['cases']:,} cases in {r['cpu_s']} CPU-s = {r['cases_per_cpu_second']:,.0f} cases "
            f"per CPU-second (goal {TARGET_CASES_PER_CPU_SECOND:,})"
        )
        for name, figures in r["by_case_type"].items():
            print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    summary: dict = {"designs": results}
    batch = [r["cpu_s"] / r["cases"] for r in results if r["design"] == "batch"]
    present = [r["cpu_s"] / r["cases"] for r in results if r["design"] == "present"]
    if batch and present:
        summary["ratio_batch_to_present"] = round(statistics.median(present) / statistics.median(batch), 2)
    if args.seeds > 1 and args.design == "both":
        summary["agreement"] = agreement(results)
        for row in summary["agreement"]:
            print(
                f"{row['case_type']:>15} {row['figure']:<29} present {row['present']:>9.4g} "
                f"({row['low']:.4g} to {row['high']:.4g})  batch {row['batch']:>9.4g}  "
                f"{'within' if row['within'] else 'OUTSIDE'}"
            )
    print(json.dumps(summary))
    return 0


def agreement(results: list[dict]) -> list[dict]:
    """For each case type and figure: the present model's mean over the seeds with its 95% interval (logit for a
    share, kept above zero otherwise: ``sim.analysis.statistics.interval``), the batch design's mean over the same
    seeds, and whether it lies within that interval."""
    from sim.analysis.statistics import LOGIT, TRUNCATED, interval

    first = next(r for r in results if r["design"] == "present")
    rows = []
    for case_type, figures in first["by_case_type"].items():
        for figure in figures:
            values = {
                design: np.array([r["by_case_type"][case_type][figure] for r in results if r["design"] == design])
                for design in ("present", "batch")
            }
            share = figure.endswith("share") or figure == "within_26_weeks"
            mean, low, high, _, n = interval(values["present"], LOGIT if share else TRUNCATED)
            batch = float(values["batch"].mean())
            rows.append(
                {
                    "case_type": case_type,
                    "figure": figure,
                    "present": mean,
                    "low": low,
                    "high": high,
                    "batch": batch,
                    "within": bool(low <= batch <= high) or (low == high == batch),
                    "replications": n,
                }
            )
    return rows


if __name__ == "__main__":
    sys.exit(main())
