"""One replication: builds the agencies from a scenario, runs arrivals, pathways and policies, and records.

Simulation time is in days; day 0 is the start of any warm-up, and the scenario's start date is
``scenario.results_start_day``. Everything random comes from named streams (:mod:`sim.model.random_streams`).
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import simpy

from sim.model import engine
from sim.model.agencies.caseload import CaseloadTeam
from sim.model.agencies.court import Court
from sim.model.agencies.teams import Teams
from sim.model.arrivals import arrivals_between, segment_bounds
from sim.model.entities import Case, Child
from sim.model.pathways.domestic_abuse import domestic_abuse
from sim.model.pathways.pathfinder import pathfinder
from sim.model.pathways.private_law import private_law
from sim.model.pathways.public_law import public_law
from sim.model.random_streams import RandomStreams
from sim.model.records import Labels, Recorder
from sim.scenario.distributions import Sampler, Uniforms
from sim.scenario.schema import LoadedScenario, Scenario
from sim.vocabulary import (
    CASE_TYPES,
    DAYS_PER_YEAR,
    DURATION_KEYS,
    ENTRY_STAGES,
    LISTING_CLASSES,
    PATHWAYS,
    STATUS_DISPOSED,
    STATUS_DIVERTED,
    STATUS_OPEN,
    TEAM_KINDS,
    listing_class,
)

MODEL_DECISIONS = ("listing", "outcome", "recurrence", "case_attributes", "child_attributes", "open_caseload")
"""Decision streams besides each pathway's own (its branches): listing, outcomes, returns, attributes."""
DECISION_STREAMS = PATHWAYS + MODEL_DECISIONS
PUBLIC_LAW, PRIVATE_LAW, DOMESTIC_ABUSE = (CASE_TYPES.index(c) for c in ("public_law", "private_law", "domestic_abuse"))
LISTING_CODES = [[LISTING_CLASSES.index(listing_class(c, da)) for da in (False, True)] for c in CASE_TYPES]
"""A case's listing class code, by case type code and domestic-abuse flag."""
DIARY_MARGIN_DAYS = 400
"""Diaries are laid out this far past the end of the run so late bookings rarely need to grow them."""


def measure_names(tiers: list[str]) -> list[str]:
    """What the timeline records: open cases are issued and not yet disposed (pre-proceedings apart)."""
    return (
        [f"open_cases:{c}" for c in CASE_TYPES]
        + ["open_children", "pre_proceedings_cases"]
        + [f"unallocated:{k}" for k in TEAM_KINDS]
        + [f"utilisation:{k}" for k in TEAM_KINDS]
        + ["utilisation:court"]
        + [f"utilisation:court:{t}" for t in tiers]
    )


@dataclass
class HearingPlan:
    tier: int
    duration_hours: Sampler
    notice_days: Sampler


@dataclass
class RunStats:
    """What a replication did, for the manifest and the conservation check."""

    cases_created: int = 0
    cases_disposed: int = 0
    cases_diverted: int = 0
    cases_open_at_end: int = 0
    children_created: int = 0
    child_rows: dict[str, int] = field(default_factory=dict)
    returns_started: int = 0
    returns_pending_at_end: int = 0
    events: int = 0
    wall_seconds: float = 0.0


class ConservationError(RuntimeError):
    """Children or cases were lost: a bug in the model, never a user error."""


class Replication:
    """Build once, ``run()`` once."""

    def __init__(
        self,
        loaded: LoadedScenario,
        replication: int,
        directory: Path,
        seed: int | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        self.periods = loaded.periods
        self.scenario: Scenario = self.periods[0][1]
        base = self.scenario
        self.replication = replication
        self.seed = base.seed if seed is None else seed
        self.progress = progress
        self.env = simpy.Environment()
        self.streams = RandomStreams(self.seed, replication)
        self.end_day = base.end_day
        self.court = Court(base, int(self.end_day) + DIARY_MARGIN_DAYS)
        self.teams = Teams(self.env, base)
        outcomes: list[str] = []
        for _, scenario in self.periods:
            outcomes += [o for o in scenario.outcome_names() if o not in outcomes]
        self.outcome_names = outcomes
        self.labels = Labels(base, outcomes, measure_names(list(base.courts.tiers)))
        self.recorder = Recorder(directory, base, self.labels, replication)
        self._rngs: dict[str, Any] = {}
        self._samplers: dict[str, tuple[Any, Sampler]] = {}
        self.durations: dict[str, Sampler] = {}
        self.hearings: dict[str, HearingPlan] = {}
        self.uniforms = {name: Uniforms(self.streams.generator(f"decision:{name}")) for name in DECISION_STREAMS}
        self.listing_draws = self.uniforms["listing"]
        self.open_cases: dict[int, Case] = {}
        self.open_count = [[0] * len(base.regions) for _ in CASE_TYPES]
        self.open_children = [0] * len(base.regions)
        self.pre_proceedings_count = [0] * len(base.regions)
        self.stats = RunStats()
        self._next_case_id = 0
        self._next_child_id = 0
        self._configure(base)

    # ------------------------------------------------------------------ parameters in force
    def _sampler(self, key: str, dist: Any) -> Sampler:
        """Reuse a stage's sampler while its distribution is unchanged, so policies keep common random numbers."""
        held = self._samplers.get(key)
        if held is not None and held[0] == dist:
            return held[1]
        rng = self._rngs.get(key)
        if rng is None:
            rng = self._rngs[key] = self.streams.generator(f"duration:{key}")
        sampler = Sampler(dist, rng)
        self._samplers[key] = (dist, sampler)
        return sampler

    def _configure(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.durations = {key: self._sampler(key, scenario.at(key)) for key in DURATION_KEYS}
        self.age_samplers = [
            self._sampler(f"children.age_years.{c}", scenario.children.age_years[c]) for c in CASE_TYPES
        ]
        self.local_authority_counts = [r.local_authorities for r in scenario.regions.values()]
        for pathway_name, by_outcome in scenario.recurrence.items():
            for outcome, spec in by_outcome.items():
                key = f"recurrence.{pathway_name}.{outcome}.delay_days"
                self.durations[key] = self._sampler(key, spec.delay_days)
        tiers = scenario.courts.tiers
        self.hearings = {
            key: HearingPlan(
                tiers.index(h.tier),
                self._sampler(f"{key}.duration_hours", h.duration_hours),
                self._sampler(f"{key}.notice_days", h.notice_days),
            )
            for key, h in scenario.hearings().items()
        }
        self.listing_rank = [scenario.courts.listing.rank_by_class[c] for c in LISTING_CLASSES]
        self.vacate_probability = scenario.courts.vacate_probability
        self.adjourn_probability = scenario.courts.adjourn_probability
        self.relist_notice_days = scenario.courts.relist_notice_days
        self.outcome_cumulative = {
            name: _cumulative(getattr(scenario, name).outcomes, self.outcome_names) for name in PATHWAYS
        }
        children = scenario.children
        self.children_cumulative = {
            CASE_TYPES.index(c): _cumulative(
                {str(k): v for k, v in children.per_case[c].items()}, [str(k) for k in children.per_case[c]]
            )
            for c in CASE_TYPES
        }
        self.children_sizes = {CASE_TYPES.index(c): list(children.per_case[c]) for c in CASE_TYPES}
        self.attribute_cumulative = [list(_running(shares.values())) for shares in children.attributes.values()]
        self.pathfinder_from_day = [
            math.inf if r.pathfinder_from is None else scenario.day_of(r.pathfinder_from)
            for r in scenario.regions.values()
        ]
        self.region_cumulative = {
            c: list(_running(scenario.demand[c].region_shares.get(r, 0.0) for r in scenario.regions))
            for c in scenario.demand
        }

    def _apply_policies(self) -> Generator[Any, Any, None]:
        for day, scenario in self.periods[1:]:
            if day > self.env.now:
                yield self.env.timeout(day - self.env.now)
            self._configure(scenario)
            self.court.apply(scenario, int(math.ceil(day)))
            self.teams.apply(scenario)

    # ------------------------------------------------------------------ cases and children
    def _new_children(self, case_type: int, day: float) -> list[Child]:
        draw = self.uniforms["case_attributes"]
        n = self.children_sizes[case_type][draw.choose(self.children_cumulative[case_type])]
        age = self.age_samplers[case_type]
        pick = self.uniforms["child_attributes"]
        children = []
        next_id = self._next_child_id
        for _ in range(n):
            attributes = tuple(pick.choose(cum) for cum in self.attribute_cumulative)
            children.append(Child(next_id, day - age() * DAYS_PER_YEAR, attributes))
            next_id += 1
        self._next_child_id = next_id
        self.stats.children_created += n
        return children

    def new_case(
        self,
        case_type: int,
        region: int,
        day: float,
        children: list[Child] | None = None,
        domestic_abuse: bool | None = None,
        local_authority: int | None = None,
    ) -> Case:
        draw = self.uniforms["case_attributes"]
        if domestic_abuse is None:
            domestic_abuse = draw() < self.scenario.children.domestic_abuse_share[CASE_TYPES[case_type]]
        if local_authority is None:
            local_authority = int(draw() * self.local_authority_counts[region])
        if children is None:
            children = self._new_children(case_type, day)
        case = Case(
            self._next_case_id,
            case_type,
            region,
            local_authority,
            domestic_abuse,
            children,
            day,
            LISTING_CODES[case_type][domestic_abuse],
        )
        self._next_case_id += 1
        for child in children:
            child.cases += 1
        case.warm_up = day < self.scenario.results_start_day
        self.open_cases[case.case_id] = case
        self.pre_proceedings_count[region] += 1
        self.stats.cases_created += 1
        return case

    def pathway(self, case: Case) -> Generator[Any, Any, None]:
        if case.case_type == PUBLIC_LAW:
            return public_law(self, case)
        if case.case_type == DOMESTIC_ABUSE:
            return domestic_abuse(self, case)
        if case.entry_stage == 0 and self.env.now >= self.pathfinder_from_day[case.region]:
            case.pathfinder = True
            return pathfinder(self, case)
        return private_law(self, case)

    def _count_open(self, case: Case) -> None:
        """From issue a case is open at court (the caseload the published 'outstanding cases' count)."""
        self.pre_proceedings_count[case.region] -= 1
        self.open_count[case.case_type][case.region] += 1
        self.open_children[case.region] += len(case.children)

    def issue(self, case: Case) -> None:
        """The application is issued: proceedings (and the account of agency days) start now."""
        now = self.env.now
        self._count_open(case)
        case.issue_day = now
        case.pre_proceedings_days = now - case.arrival_day
        case.wait_days = [0.0, 0.0, 0.0, 0.0]
        case.active_days = [0.0, 0.0, 0.0, 0.0]

    def _close(self, case: Case, status: str) -> None:
        self.recorder.case_closed(case, status, self.env.now)
        del self.open_cases[case.case_id]
        if case.issue_day == case.issue_day:  # issued (not NaN)
            self.open_count[case.case_type][case.region] -= 1
            self.open_children[case.region] -= len(case.children)
        else:
            self.pre_proceedings_count[case.region] -= 1

    def divert(self, case: Case) -> None:
        """Pre-proceedings ended without an application: the children leave without a court case."""
        case.end_day = self.env.now
        self.stats.cases_diverted += 1
        self._close(case, STATUS_DIVERTED)

    def dispose(self, case: Case, pathway_name: str) -> Generator[Any, Any, None]:
        """Make the order; some children come back to court later as the same children."""
        case.outcome = self.uniforms["outcome"].choose(self.outcome_cumulative[pathway_name])
        case.end_day = self.env.now
        self.stats.cases_disposed += 1
        self._close(case, STATUS_DISPOSED)
        outcome = self.outcome_names[case.outcome]
        recurrence = self.scenario.recurrence.get(pathway_name, {}).get(outcome)
        if recurrence is None or self.uniforms["recurrence"]() >= recurrence.share:
            return
        self.stats.returns_pending_at_end += 1
        yield self.env.timeout(self.durations[f"recurrence.{pathway_name}.{outcome}.delay_days"]())
        self.stats.returns_pending_at_end -= 1
        self.stats.returns_started += 1
        new = self.new_case(
            CASE_TYPES.index(recurrence.case_type),
            case.region,
            self.env.now,
            case.children,
            case.domestic_abuse,
            case.local_authority,
        )
        new.is_return = True
        yield from self.pathway(new)

    # ------------------------------------------------------------------ processes
    def _arrivals(self) -> Generator[Any, Any, None]:
        env = self.env
        rngs = {c: self.streams.generator(f"arrivals:{c}") for c in CASE_TYPES}
        bounds = segment_bounds(self.scenario.sim_start_date, self.end_day, [d for d, _ in self.periods[1:]])
        for start, end in zip(bounds[:-1], bounds[1:], strict=True):
            scenario = _in_force(self.periods, start)
            times, types, regions = arrivals_between(scenario, start, end, rngs)
            for day, case_type, region in zip(times, types, regions, strict=True):
                yield env.timeout(day - env.now)
                engine.start(self.pathway(self.new_case(case_type, region, day)))

    def _open_caseload(self) -> None:
        """Start the declared open cases at their stages, issued some days before the start date."""
        base = self.scenario
        draw = self.uniforms["open_caseload"]
        for case_type, open_cases in base.starting_state.open_cases.items():
            code = CASE_TYPES.index(case_type)
            age = self._sampler(f"starting_state.open_cases.{case_type}.age_days", open_cases.age_days)
            stages = ENTRY_STAGES[case_type]
            for stage, count in open_cases.by_stage.items():
                for _ in range(int(round(count))):
                    region = draw.choose(self.region_cumulative[case_type])
                    case = self.new_case(code, region, 0.0)
                    case.from_open_caseload = True
                    case.entry_stage = stages.index(stage) + 1
                    case.issue_day = case.arrival_day = -age()
                    self._count_open(case)
                    case.days_before_run = -case.issue_day
                    engine.start(self.pathway(case))

    def _monitor(self) -> Generator[Any, Any, None]:
        """Snapshot open cases, queues and utilisation every ``monitor_interval_days``, by region."""
        env = self.env
        interval = self.scenario.monitor_interval_days
        code = {name: i for i, name in enumerate(self.labels.measures)}
        teams: list[tuple[int, int, list[CaseloadTeam]]] = [
            (code[f"unallocated:{kind}"], code[f"utilisation:{kind}"], self.teams.by_kind[kind]) for kind in TEAM_KINDS
        ]
        open_codes = [code[f"open_cases:{c}"] for c in CASE_TYPES]
        tier_codes = [code[f"utilisation:court:{t}"] for t in self.court.tiers]
        last_busy = {(k, r): 0.0 for k in range(len(teams)) for r in range(len(self.open_children))}
        last_day = 0.0
        record = self.recorder.snapshot
        while True:
            now = env.now
            for r in range(len(self.open_children)):
                for c, measure in enumerate(open_codes):
                    record(now, measure, r, self.open_count[c][r])
                record(now, code["open_children"], r, self.open_children[r])
                record(now, code["pre_proceedings_cases"], r, self.pre_proceedings_count[r])
                for k, (unallocated, utilisation, members) in enumerate(teams):
                    team = members[r]
                    team.update_areas()
                    record(now, unallocated, r, team.unallocated)
                    if now > last_day:
                        busy = (team.busy_area - last_busy[k, r]) / (now - last_day)
                        record(now, utilisation, r, busy / team.slots if team.slots else math.nan)
                    last_busy[k, r] = team.busy_area
                if now > last_day:
                    used_all = available_all = 0.0
                    for measure, diary in zip(tier_codes, self.court.diaries[r], strict=True):
                        used, available = diary.used_and_available_hours(int(last_day), int(now))
                        used_all += used
                        available_all += available
                        record(now, measure, r, used / available if available else math.nan)
                    record(now, code["utilisation:court"], r, used_all / available_all if available_all else math.nan)
            self.recorder.timeline.maybe_flush()
            if self.progress is not None:
                self.progress(min(1.0, now / self.end_day))
            last_day = now
            yield env.timeout(interval)

    def run(self) -> RunStats:
        started = time.perf_counter()
        env = self.env
        # Cases, children and their generators hold no reference cycles, so the cyclic garbage collector only
        # rescans the ever-growing set of live objects: it cost half the run time at national scale.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._open_caseload()
            env.process(self._arrivals())
            env.process(self._apply_policies())
            env.process(self._monitor())
            env.run(until=self.end_day)
            for case in list(self.open_cases.values()):
                self.stats.cases_open_at_end += 1
                self.recorder.case_closed(case, STATUS_OPEN, self.end_day)
            self._check_conservation()
            self.recorder.close()
        except BaseException:
            self.recorder.abandon()
            raise
        finally:
            if gc_was_enabled:
                gc.enable()
        self.stats.events = next(env._eid)  # events scheduled over the run, for the benchmark
        self.stats.wall_seconds = time.perf_counter() - started
        return self.stats

    def _check_conservation(self) -> None:
        s = self.stats
        rows = self.recorder.child_rows
        s.child_rows = {f"{status}{':return' if ret else ''}": n for (status, ret), n in sorted(rows.items())}
        first_rows = sum(n for (_, ret), n in rows.items() if not ret)
        problems = []
        if s.cases_created != s.cases_disposed + s.cases_diverted + s.cases_open_at_end:
            problems.append(
                f"cases created {s.cases_created} != disposed {s.cases_disposed} + diverted "
                f"{s.cases_diverted} + open {s.cases_open_at_end}"
            )
        if first_rows != s.children_created:
            problems.append(f"children created {s.children_created} != first-case child rows {first_rows}")
        if problems:
            raise ConservationError("children or cases were lost: " + "; ".join(problems))


def _running(values: Any) -> Generator[float, None, None]:
    total = 0.0
    for v in values:
        total += v
        yield total


def _cumulative(shares: dict[str, float], names: list[str]) -> list[float]:
    """Cumulative probabilities over ``names`` (names without a share get zero)."""
    cumulative = list(_running(shares.get(n, 0.0) for n in names))
    if cumulative:
        cumulative[-1] = max(cumulative[-1], 1.0)
    return cumulative


def _in_force(periods: list[tuple[float, Scenario]], day: float) -> Scenario:
    current = periods[0][1]
    for start, scenario in periods:
        if start <= day:
            current = scenario
    return current
