"""The day-by-day agenda: a replication whose cases are rows of numpy columns, moved on a day at a time.

SimPy keeps the clock with one event per simulated day. When a month's cases are created, every decision and
duration is read from each case's own keyed tape at the places the present model (:mod:`sim.model.replication`)
reads them, and each case's whole route is fixed (:mod:`sim.model.agenda.route_plans`). Each day takes the rows due
and moves them on in batches (:mod:`sim.model.agenda.moves`); two things stay sequential, in the order cases became
ready: caseload-slot allocation (:mod:`sim.model.agenda.teams`) and diary booking, through the present model's own
court (:mod:`sim.model.agenda.listing`). The tables are the present model's, written from the columns
(:mod:`sim.model.agenda.records`).

Dated policies and history rows of capacity, demand and listing rules apply on their day; one that changes what a
route fixes when its case is created is refused by its keys (:func:`sim.model.agenda.operations.policy_changes`).
Each case draws what it would draw in the present model, so the two designs agree on every headline figure within
its interval and a team is the same M/M/c queue case for case (``tests/test_agenda.py``); what differs is the order
of what happens on the same day, and whole days where the present model keeps hours.

The class is made of parts, one module each: :class:`~sim.model.agenda.case_rows.CaseRows` (the columns),
:class:`~sim.model.agenda.route_plans.RoutePlans`, :class:`~sim.model.agenda.intake.Intake`,
:class:`~sim.model.agenda.moves.Moves` and :class:`~sim.model.agenda.listing.Listing`.
"""

from __future__ import annotations

import gc
import itertools
import math
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import numpy as np
import simpy

from sim.model.agencies.court import Court
from sim.model.agenda.case_rows import FIRST_CAPACITY, CaseRows
from sim.model.agenda.intake import RETURNS_BATCH_DAYS, Intake
from sim.model.agenda.listing import NOTHING_TO_CANCEL, Listing
from sim.model.agenda.moves import Moves
from sim.model.agenda.operations import ROUTE_CASE_TYPE, ROUTES, Ops, policy_changes
from sim.model.agenda.records import AgendaRecords
from sim.model.agenda.route_plans import RoutePlans
from sim.model.agenda.tapes import Tapes
from sim.model.agenda.teams import caseload_teams, team_capacities
from sim.model.arrivals import segment_bounds
from sim.model.parameters import Parameters
from sim.model.random_streams import Draws, RandomStreams
from sim.model.replication import DIARY_MARGIN_DAYS
from sim.model.route_changes import follow_routes
from sim.model.run_stats import RunStats, check_conservation
from sim.scenario.schema import Scenario
from sim.vocabulary import CASE_TYPES, TEAM_KINDS


class PolicyNotFollowed(ValueError):
    """A policy changes what the agenda fixes when a case is created: a user's choice of scenario, not a bug."""


def unfollowed_policies(periods: list[tuple[float, Scenario]]) -> list[str]:
    """Why the agenda cannot run with these periods (the loader's: policies and history rows, by day), one line
    per policy it cannot follow; none when it can. Checked before anything is simulated."""
    problems = []
    base = periods[0][1]
    month_starts = set(segment_bounds(base.sim_start_date, base.end_day, []))
    for (_, before), (day, after) in itertools.pairwise(periods):
        fixed, at_creation = policy_changes(before, after)
        if fixed:
            problems.append(
                f"the policy of day {day:g} changes {', '.join(fixed)}, which the day-by-day agenda fixes when a "
                "case is created; it cannot yet rebuild open cases' routes at a policy's date"
            )
        if at_creation and day not in month_starts:
            problems.append(
                f"the policy of day {day:g} changes {', '.join(at_creation)}, which a case takes when it is created: "
                "the day-by-day agenda creates a month's cases at its start, so such a policy must begin a month"
            )
    return problems


class AgendaReplication(CaseRows, RoutePlans, Intake, Moves, Listing):
    """Build once, ``run()`` once: one replication of ``scenario`` (with the loader's ``periods``: policies and
    history rows), its tables written into ``records`` when given. Without ``recycling`` every case keeps its row
    (the route check reads them)."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        records: Path | None = None,
        recycling: bool = True,
        periods: list[tuple[float, Scenario]] | None = None,
        replication: int = 0,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        problems = unfollowed_policies(periods or [(0.0, scenario)])
        if problems:
            raise PolicyNotFollowed("; ".join(problems))
        self.scenario = scenario
        """The scenario in force now: ``periods`` (the loader's, policies and history rows) changes it at their days."""
        self._policy_periods = periods or [(0.0, scenario)]
        self._next_period = 1
        self._poked: set[tuple[int, int]] = set()
        """Teams given slots by a policy while work waited, or whose queued work's allocation delay ends today:
        today's allocation looks at them."""
        self._to_cancel = NOTHING_TO_CANCEL
        """Listings taken off the list today, for the booking loop to cancel in time order."""
        self._wakes: dict[int, set[tuple[int, int]]] = {}
        """Teams whose queued work's allocation delay ends on a day, by day."""
        self.recycling = recycling
        """A closed case's row is counted into the figures, its records settled, and reused at the next month's
        start, so the columns grow with open cases, not with every case simulated (``recycle``)."""
        self._free = np.empty(0, dtype=np.int64)
        self._closing: list[np.ndarray] = []
        self._next_seq = 0
        self._next_stamp = 0
        self.params = params = Parameters(scenario.outcome_names(), scenario)
        self.end_day = scenario.end_day
        self.replication = replication
        self.progress = progress
        self.run_stats = RunStats()
        self.streams = RandomStreams(seed, replication)
        self.tapes = [Tapes(self.streams, c) for c in range(len(CASE_TYPES))]
        self.seed = seed
        self.n_regions = len(scenario.regions)
        self.court = Court(scenario, int(self.end_day) + DIARY_MARGIN_DAYS)
        self.n_tiers = len(scenario.courts.tiers)
        self.centre_offset = np.cumsum([0] + [len(c) for c in self.court.diaries])[:-1]
        self.centre_cumulative = [None if c is None else np.array(c) for c in params.centre_cumulative]
        self.local_authority_counts = np.array(params.local_authority_counts, dtype=np.int64)
        self.diaries = [diary for centres in self.court.diaries for tiers in centres for diary in tiers]
        """Every diary, by centre and tier (a row's diary is ``centre x tiers + tier``)."""
        self._read_when_it_happens(scenario)
        self.teams = caseload_teams(scenario)  # [kind][region]
        self.dists = {key: scenario.at(key) for key in params.durations if not key.startswith("recurrence.")}
        self.dists.update(scenario.hearings())
        self.ops = Ops(params)
        self._declare_ops()
        self.outcome_names = params.outcome_names
        names = self.outcome_names  # a scenario without withdrawals (the verification scenarios) has no such outcome
        self.withdrawn_outcome = names.index("withdrawn") if "withdrawn" in names else -1
        self.outcome_cumulative = [np.array(params.outcome_cumulative[p]) for p in ROUTES]
        self.recurrence_share = np.zeros((len(ROUTES), len(self.outcome_names)))
        self.recurrence_delay: dict[tuple[int, int], Any] = {}
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
        self.capacity = 0
        self._allocate_columns(FIRST_CAPACITY)
        self._listing_beyond: dict[int, Draws] = {}
        """Cases past their tape's listings, each with its own listings generator (``Draws._listing_beyond``)."""
        self.rec = None if records is None else AgendaRecords(self, records)
        self._next_child = 0
        self.age_dists = [scenario.children.age_years[c] for c in CASE_TYPES]
        self.tallies = {"listings": 0, "vacated": 0, "adjourned": 0, "withdrawn": 0}

    @property
    def periods(self) -> list[tuple[float, Scenario]]:
        return self._periods

    @property
    def old_route_open(self) -> list[int]:
        """Open private law cases on the standard route, by region, as ``sim.model.route_changes`` reads them."""
        return self._old_route_open.tolist()

    def run(self) -> RunStats:
        """Simulate to the end, write the tables, and check that every case and child is accounted for."""
        started = time.perf_counter()
        gc_was_enabled = gc.isenabled()
        gc.disable()  # rows hold no reference cycles; the collector would only rescan the diaries' records
        try:
            env = simpy.Environment()
            self.env = env
            self.arrivals()
            self.open_caseload()
            env.process(self._clock(env))
            env.process(follow_routes(self))  # Pathfinder's start in a region re-splits the court's hours
            env.run(until=math.ceil(self.end_day))  # a region holding its old route's hours reviews them for ever
            n = self.n
            self.run_stats.cases_open_at_end = int(((self.arrival[:n] < self.end_day) & np.isnan(self.end[:n])).sum())
            if self.rec is not None:
                self.rec.close(self.end_day)
                check_conservation(self.run_stats, self.rec.recorder)
        except BaseException:
            if self.rec is not None:
                self.rec.recorder.abandon()
            raise
        finally:
            if gc_was_enabled:
                gc.enable()
        self.run_stats.wall_seconds = time.perf_counter() - started
        return self.run_stats

    def _clock(self, env: simpy.Environment) -> Generator[Any, Any, None]:
        """The day's steps: a snapshot of the day before, the policies of the day, the month's new cases at its
        start, then the day's step."""
        month_starts = [int(math.floor(start)) for start, _ in self._months]
        monitor = None if self.rec is None else self.rec.monitor
        interval = self.scenario.monitor_interval_days
        month = 0
        days = int(math.ceil(self.end_day))
        for t in range(days):
            self.min_due = t
            if t % interval == 0:
                if monitor is not None:  # the state at the end of the day before
                    monitor.snapshot(float(t))
                if self.progress is not None:
                    self.progress(t / self.end_day)
            self._apply_policies(t)
            while month < len(month_starts) and month_starts[month] <= t:
                self.recycle()
                self.create_month(month)
                month += 1
            if t % RETURNS_BATCH_DAYS == 0:
                self.create_weeks_returns()
            self.day(t)
            if monitor is not None:
                monitor.day_ended()
            self.run_stats.events += 1
            yield env.timeout(1)

    @property
    def cases(self) -> int:
        """Cases taken so far: new, returns, returns from before the run and the open caseload."""
        return self.run_stats.cases_created

    def _apply_policies(self, t: int) -> None:
        """Each period (a policy, a history row) whose day has come, before the day's step and the month's new cases
        (``Replication._apply_policies``): the court, the teams and what the agenda reads when it happens follow it."""
        periods = self._policy_periods
        while self._next_period < len(periods) and periods[self._next_period][0] <= t:
            day, scenario = periods[self._next_period]
            self._next_period += 1
            self.scenario = scenario
            params = self.params
            params.configure(scenario)
            self.court.apply(scenario, int(math.ceil(day)))
            for k, (kind, teams) in enumerate(zip(TEAM_KINDS, self.teams, strict=True)):
                for r, (team, capacity) in enumerate(zip(teams, team_capacities(scenario, kind), strict=True)):
                    if team.follow(*capacity, now=float(t)):
                        self._poked.add((k, r))
            self._read_when_it_happens(scenario)
            self.ops.follow(params)

    def _read_when_it_happens(self, scenario: Scenario) -> None:
        """What the agenda reads of the scenario in force when a step happens: the court's chances of vacating and
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
