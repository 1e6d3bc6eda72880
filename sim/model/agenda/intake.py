"""Cases coming in to the agenda: first applications month by month, returns to court, returns from before the run
and the starting state's open caseload, each drawn as the present model draws it and created as rows ahead of its
day, one batch per case type and month.
"""

from __future__ import annotations

import numpy as np

from sim.model.agenda.case_rows import ROUTE_COLUMNS
from sim.model.agenda.operations import INHERITED, place
from sim.model.agenda.tapes import quantiles
from sim.model.arrivals import arrivals_between, cases_per_year_at, segment_bounds
from sim.model.random_streams import ARRIVED, OPEN_CASELOAD, RETURNED_FROM_BEFORE
from sim.model.starting_state import past_returns, rules
from sim.vocabulary import CASE_TYPES, DAYS_PER_YEAR, PATHWAY_TABLES

RETURNS_BATCH_DAYS = 7
"""Returns arriving in the month their case closes are created in a batch every this many days (those due sooner,
at once): a batch's creation costs about a millisecond however few cases it holds, and a case is created the same
whenever it is created before its day, so this changes the run's cost, never its results."""
RETURNS_ALLOWANCE = 1.25
"""Rows laid out at the start when rows are not recycled: this times the cases expected (returns during the run come
on top of first cases)."""


class Intake:
    """New cases, returns and the open caseload (a part of
    :class:`sim.model.agenda.replication.AgendaReplication`)."""

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
        if now.any():  # this month: now if due before the week's batch, else with it
            due = np.maximum(np.floor(arrival), self.min_due)
            later = now & (due >= (self.min_due // RETURNS_BATCH_DAYS + 1) * RETURNS_BATCH_DAYS)
            if later.any():
                self._this_week[case_type].append({k: v[later] for k, v in batch.items()})
            if (now & ~later).any():
                self._create_returns(case_type, {k: v[now & ~later] for k, v in batch.items()})
        if not now.all():
            self._unsorted[case_type].append((month[~now], {k: v[~now] for k, v in batch.items()}))

    def create_weeks_returns(self) -> None:
        """The returns arriving this month that waited for this day's batch (:data:`RETURNS_BATCH_DAYS`), in the
        order they were numbered; each is due today at the soonest, as it would have been created at once."""
        for case_type, held in enumerate(self._this_week):
            if held:
                names = held[0].keys()
                self._create_returns(case_type, {name: np.concatenate([b[name] for b in held]) for name in names})
                held.clear()

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
        self._this_week: list[list[dict[str, np.ndarray]]] = [[] for _ in CASE_TYPES]
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
