"""One replication: builds the agencies from a scenario, runs arrivals, pathways and policies, and records.

Simulation time is in days; day 0 is the start of any warm-up, and the scenario's start date is
``scenario.results_start_day``. Arrivals come from a stream per case type and month; every other draw from
the case's own tape, keyed to the case (:mod:`sim.model.random_streams`). A replication is the
:class:`~sim.model.pathways.context.PathwayContext` its pathways run in: it offers them the steps (on its
court, teams and records), the scenario in force, the case's decisions and their teams.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any, Final

from sim.model import engine
from sim.model.agencies.caseload import CaseloadTeam
from sim.model.agencies.court import Court
from sim.model.agencies.teams import Teams
from sim.model.arrivals import arrivals_between, segment_bounds
from sim.model.entities import Case, Child
from sim.model.journeys import Clock, start
from sim.model.monitor import Monitor, OpenCounts, measure_names
from sim.model.parameters import Parameters
from sim.model.pathways.context import Chance, HearingSteps, Steps
from sim.model.pathways.domestic_abuse import domestic_abuse
from sim.model.pathways.pathfinder import pathfinder
from sim.model.pathways.private_law import private_law
from sim.model.pathways.public_law import public_law
from sim.model.pathways.steps import StageSteps
from sim.model.random_streams import ARRIVED, PURPOSE, Draws, RandomStreams
from sim.model.records import Labels, Recorder
from sim.model.route_changes import follow_routes
from sim.model.run_stats import RunStats, check_conservation
from sim.model.starting_state import returns_from_before_start, start_open_caseload
from sim.scenario.loading import LoadedScenario
from sim.scenario.schema import Scenario
from sim.vocabulary import (
    CASE_TYPES,
    DAYS_PER_YEAR,
    LISTING_CLASSES,
    STATUS_DISPOSED,
    STATUS_DIVERTED,
    STATUS_OPEN,
    listing_class,
)

# The purposes a case draws for as it is created, and the case types' codes.
DOMESTIC_ABUSE: Final = PURPOSE["domestic_abuse"]
LOCAL_AUTHORITY: Final = PURPOSE["local_authority"]
CHILDREN: Final = PURPOSE["children"]
COURT_CENTRE: Final = PURPOSE["court_centre"]
OUTCOME: Final = PURPOSE["outcome"]
RECURRENCE: Final = PURPOSE["recurrence"]
RECURRENCE_DELAY: Final = PURPOSE["recurrence.delay_days"]
CHILD_AGE: Final = PURPOSE["child.age_years"]
CHILD_ATTRIBUTES: Final = PURPOSE["child.attributes"]
PUBLIC_LAW_CODE: Final = CASE_TYPES.index("public_law")
PRIVATE_LAW_CODE: Final = CASE_TYPES.index("private_law")
DOMESTIC_ABUSE_CODE: Final = CASE_TYPES.index("domestic_abuse")
LISTING_CODES: Final = [[LISTING_CLASSES.index(listing_class(c, da)) for da in (False, True)] for c in CASE_TYPES]
"""A case's listing class code, by case type code and domestic-abuse flag."""
DIARY_MARGIN_DAYS: Final = 400
"""Diaries are laid out this far past the end of the run so late bookings rarely need to grow them."""


class Replication:
    """Build once, ``run()`` once. With ``exact_records``, the tables hold the simulated days and times unrounded
    (:class:`sim.model.records.Recorder`), to measure what storing them to the hour changes.

    With ``regions`` (codes in scenario order) only those regions' cases are simulated. Regions share no capacity,
    and every draw is keyed to its case, so a region's rows are the same whether it runs alone or with the rest:
    a replication can run as one part per region, on as many workers, and its tables are the parts' rows together
    (``tests/test_region_parts.py``). Identifiers are numbered per region (``n x regions + region``) for that.
    """

    def __init__(
        self,
        loaded: LoadedScenario,
        replication: int,
        directory: Path,
        seed: int | None = None,
        progress: Callable[[float], None] | None = None,
        exact_records: bool = False,
        regions: Sequence[int] | None = None,
    ) -> None:
        self.periods = loaded.periods
        base = self.periods[0][1]
        self.replication = replication
        self.seed = base.seed if seed is None else seed
        self.progress = progress
        self.env = engine.Environment()
        self.clock: Clock = self.env.clock  # its time and timeouts reached directly, as compiled code can
        self.streams = RandomStreams(self.seed, replication)
        self.end_day = base.end_day
        self.court = Court(base, int(self.end_day) + DIARY_MARGIN_DAYS)
        self.teams = Teams(self.env, base)
        outcomes: list[str] = []
        for _, scenario in self.periods:
            outcomes += [o for o in scenario.outcome_names() if o not in outcomes]
        self.outcome_names = outcomes
        self.labels = Labels(base, outcomes, measure_names(list(base.courts.tiers)))
        self.open_cases: dict[int, Case] = {}
        self.recorder = Recorder(
            directory, base, self.labels, replication, exact=exact_records, open_case_ids=self.open_cases.keys()
        )
        self.params = Parameters(outcomes, base)
        self.steps = StageSteps(self.clock, self.court, self.teams, self.recorder, self.params)
        self.counts = OpenCounts.empty(len(base.regions))
        self.regions = tuple(range(len(base.regions))) if regions is None else tuple(sorted(set(regions)))
        """The regions simulated here (all by default)."""
        self.simulates = [r in self.regions for r in range(len(base.regions))]
        """By region code: whether its cases are simulated here."""
        self.stats = RunStats()
        self.old_route_open = [0] * len(base.regions)
        """Open private law cases on the standard route, by region: what a region that begins Pathfinder still
        hears on its old route (:func:`sim.model.route_changes.hold_old_routes`)."""
        self._next_case_id = list(range(len(base.regions)))
        self._next_child_id = list(range(len(base.regions)))

    def _apply_policies(self) -> Generator[Any, Any, None]:
        for day, scenario in self.periods[1:]:
            if day > self.clock.now:
                yield self.clock.timeout(day - self.clock.now)
            self.params.configure(scenario)
            self.court.apply(scenario, int(math.ceil(day)))
            self.teams.apply(scenario)

    # ------------------------------------------------------------------ the pathways' context (PathwayContext)
    @property
    def scenario(self) -> Scenario:
        """The scenario in force now."""
        return self.params.scenario

    def decisions(self, case: Case) -> Chance:
        return case.draws

    def team(self, kind: str, region: int) -> CaseloadTeam:
        return self.teams.team(kind, region)

    def hearing(
        self, case: Case, stage: int, hearing_key: str, withdrawal_per_week: float = 0.0, tier_of: str | None = None
    ) -> HearingSteps:
        return self.steps.hearing(case, stage, hearing_key, withdrawal_per_week, tier_of)

    def team_work(self, case: Case, stage: int, team_kind: str, duration_key: str, keep_slot: bool = False) -> Steps:
        return self.steps.team_work(case, stage, team_kind, duration_key, keep_slot)

    def allocation(self, case: Case, stage: int, team_kind: str) -> Steps:
        return self.steps.allocation(case, stage, team_kind)

    def active_work(self, case: Case, stage: int, agency: int, duration_key: str) -> Steps:
        return self.steps.active_work(case, stage, agency, duration_key)

    def follow_up(self, case: Case, stage: int, agency: int, duration_key: str) -> None:
        self.steps.follow_up(case, stage, agency, duration_key)

    # ------------------------------------------------------------------ cases and children
    def _new_children(self, case_type: int, region: int, day: float, draws: Draws) -> list[Child]:
        """The case's children: how many, and each one's attributes and age, from the case's draws (the j-th
        child's draws are the j-th of their purposes, so a child keeps them whatever other cases do)."""
        params = self.params
        n = params.children_sizes[case_type][draws.choose(CHILDREN, params.children_cumulative[case_type])]
        age = params.age_samplers[case_type]
        attribute_cumulative = params.attribute_cumulative
        children = []
        next_id, step = self._next_child_id[region], len(self.simulates)
        for _ in range(n):
            attributes = (
                tuple(draws.choose(CHILD_ATTRIBUTES, cum) for cum in attribute_cumulative)
                if attribute_cumulative
                else ()
            )
            children.append(Child(next_id, day - draws.sample(CHILD_AGE, age) * DAYS_PER_YEAR, attributes))
            next_id += step
        self._next_child_id[region] = next_id
        self.stats.children_created += n
        return children

    def new_case(
        self,
        case_type: int,
        region: int,
        day: float,
        draws: Draws,
        children: list[Child] | None = None,
        domestic_abuse: bool | None = None,
        local_authority: int | None = None,
        court_centre: int | None = None,
    ) -> Case:
        """A case with its draws; a return to court brings its children, flag, local authority and centre."""
        params = self.params
        if domestic_abuse is None:
            domestic_abuse = draws.uniform(DOMESTIC_ABUSE) < params.domestic_abuse_share[case_type]
        if local_authority is None:
            local_authority = int(draws.uniform(LOCAL_AUTHORITY) * params.local_authority_counts[region])
        if children is None:
            children = self._new_children(case_type, region, day, draws)
        case_id = self._next_case_id[region]
        self._next_case_id[region] = case_id + len(self.simulates)
        case = Case(
            case_id,
            case_type,
            region,
            local_authority,
            domestic_abuse,
            children,
            day,
            LISTING_CODES[case_type][domestic_abuse],
            draws,
        )
        centres = params.centre_cumulative[region]
        if court_centre is not None:
            case.court_centre = court_centre
        elif centres is not None:  # one centre: nothing drawn, so no other draw moves
            case.court_centre = draws.choose(COURT_CENTRE, centres)
        for child in children:
            child.cases += 1
        case.warm_up = day < params.results_start_day
        self.open_cases[case_id] = case
        self.counts.pre_proceedings[region] += 1
        self.stats.cases_created += 1
        return case

    def pathway(self, case: Case) -> Steps:
        """The case's pathway, run with this replication as its context."""
        if case.case_type == PUBLIC_LAW_CODE:
            return public_law(self, case)
        if case.case_type == DOMESTIC_ABUSE_CODE:
            return domestic_abuse(self, case)
        if case.entry_stage == 0 and self.clock.now >= self.params.pathfinder_from_day[case.region]:
            case.pathfinder = True
            return pathfinder(self, case)
        self.old_route_open[case.region] += 1
        return private_law(self, case)

    def count_open(self, case: Case) -> None:
        """From issue a case is open at court (the caseload the published 'outstanding cases' count)."""
        self.counts.pre_proceedings[case.region] -= 1
        self.counts.by_case_type[case.case_type][case.region] += 1
        self.counts.children[case.region] += len(case.children)

    def issue(self, case: Case) -> None:
        """The application is issued: proceedings (and the account of agency days) start now."""
        now = self.clock.now
        self.count_open(case)
        case.issue_day = now
        case.pre_proceedings_days = now - case.arrival_day
        case.reset_agency_days()
        case.notice_court_days = 0.0

    def _close(self, case: Case, status: str) -> None:
        self.recorder.case_closed(case, status, self.clock.now)
        del self.open_cases[case.case_id]
        if case.case_type == PRIVATE_LAW_CODE and not case.pathfinder:
            self.old_route_open[case.region] -= 1
        if case.issue_day == case.issue_day:  # issued (not NaN)
            self.counts.by_case_type[case.case_type][case.region] -= 1
            self.counts.children[case.region] -= len(case.children)
        else:
            self.counts.pre_proceedings[case.region] -= 1

    def first_disposal(self, case: Case) -> None:
        """Another application in the case is disposed of: its first disposal is now; it stays open to the final
        order."""
        case.first_disposal_day = self.clock.now

    def divert(self, case: Case) -> None:
        """Pre-proceedings ended without an application: the children leave without a court case."""
        case.end_day = self.clock.now
        self.stats.cases_diverted += 1
        self._close(case, STATUS_DIVERTED)

    def dispose(self, case: Case, pathway_name: str, outcome: str | None = None) -> Steps:
        """Make the order (drawn, or ``outcome`` when the case ended otherwise, e.g. withdrawn while waiting);
        some children come back to court later as the same children."""
        draws = case.draws
        if outcome is None:
            case.outcome = draws.choose(OUTCOME, self.params.outcome_cumulative[pathway_name])
        else:
            case.outcome = self.outcome_names.index(outcome)
        case.end_day = self.clock.now
        self.stats.cases_disposed += 1
        self._close(case, STATUS_DISPOSED)
        outcome = self.outcome_names[case.outcome]
        recurrence = self.scenario.recurrence.get(pathway_name, {}).get(outcome)
        if recurrence is None or draws.uniform(RECURRENCE) >= recurrence.share:
            return
        self.stats.returns_pending_at_end += 1
        yield self.clock.timeout(
            draws.sample(RECURRENCE_DELAY, self.params.durations[f"recurrence.{pathway_name}.{outcome}.delay_days"])
        )
        self.stats.returns_pending_at_end -= 1
        self.stats.returns_started += 1
        new = self.new_case(
            CASE_TYPES.index(recurrence.case_type),
            case.region,
            self.clock.now,
            draws.returned(),
            case.children,
            case.domestic_abuse,
            case.local_authority,
            case.court_centre,
        )
        new.is_return = True
        yield from self.pathway(new)

    # ------------------------------------------------------------------ processes
    def _arrivals(self) -> Generator[Any, Any, None]:
        clock = self.clock
        serials = [0] * len(CASE_TYPES)
        draws = self.streams.draws
        simulates = self.simulates
        bounds = segment_bounds(self.scenario.sim_start_date, self.end_day, [])
        for month, (month_start, month_end) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            rngs = {c: self.streams.generator(f"arrivals:{c}", month) for c in CASE_TYPES}
            times, types, regions = arrivals_between(self.periods, month_start, month_end, rngs)
            for day, case_type, region in zip(times, types, regions, strict=True):
                serial = serials[case_type]
                serials[case_type] = serial + 1
                if not simulates[region]:
                    continue
                yield clock.timeout(day - clock.now)
                case = self.new_case(case_type, region, day, draws(ARRIVED, case_type, serial))
                start(self.pathway(case))

    def _end_warm_up(self) -> Generator[Any, Any, None]:
        """From the results start, closed cases are stored (the recorder counts those closed before it)."""
        yield self.clock.timeout(self.params.results_start_day)
        self.recorder.warm_up_ended()

    def join(self, parts: Sequence[Path]) -> None:
        """Write this replication's tables from its parts' folders, each run with ``regions`` (in their order)."""
        self.recorder.join(parts)

    def run(self) -> RunStats:
        started = time.perf_counter()
        env = self.env
        # Cases, children and their generators hold no reference cycles, so the cyclic garbage collector only
        # rescans the ever-growing set of live objects: it cost half the run time at national scale.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            start_open_caseload(self)
            env.process(self._arrivals())
            env.process(returns_from_before_start(self))
            env.process(self._apply_policies())
            env.process(follow_routes(self))
            if self.recorder.in_warm_up:
                env.process(self._end_warm_up())
            watcher = Monitor(self.counts, self.teams, self.court, self.recorder, self.regions)
            env.process(watcher.watch(env, self.scenario.monitor_interval_days, self.progress, self.end_day))
            env.run(until=self.end_day)
            watcher.snapshot(self.end_day)  # the state at the end, which the interval may not land on
            for case in list(self.open_cases.values()):
                self.stats.cases_open_at_end += 1
                self.recorder.case_closed(case, STATUS_OPEN, self.end_day)
            check_conservation(self.stats, self.recorder)
            self.recorder.close()
        except BaseException:
            self.recorder.abandon()
            raise
        finally:
            env.discard(self.teams.waiting())  # cases still waiting freed now, not by the cyclic collector
            if gc_was_enabled:
                gc.enable()
        # Events scheduled over the run, for the benchmark: as SimPy would count them, one per timeout.
        self.stats.events = env.queued + env.shared_timeouts
        self.stats.wall_seconds = time.perf_counter() - started
        return self.stats
