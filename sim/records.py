"""What happened: a row per child per case, a row per stage, and snapshots of queues over time.

The child table is the joined-up view the real system lacks: one child identifier, every case the child is
in (a return to court is a new row with the same identifier), the days spent waiting for and worked on by
each agency. Rows are written when a case closes, and for open cases at the end of the run.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

from sim.columns import (
    Column,
    TableSink,
    as_bool,
    as_date,
    as_float,
    as_int,
    as_labels,
    as_small_int,
    as_timestamp,
)
from sim.entities import AGENCIES, STATUS_DISPOSED, STATUS_DIVERTED, STATUS_OPEN, Case
from sim.pathways import PATHWAYS, STAGES
from sim.scenario import CASE_TYPES, Scenario

STATUSES = (STATUS_DISPOSED, STATUS_DIVERTED, STATUS_OPEN)
DAYS_PER_YEAR = 365.25


class Labels:
    """The category names every table shares, fixed for a run so codes mean the same in every file."""

    def __init__(self, scenario: Scenario, outcomes: list[str], measures: list[str]) -> None:
        self.regions = list(scenario.regions)
        self.local_authorities: list[str] = []
        self.la_offset: list[int] = []
        for name, region in scenario.regions.items():
            self.la_offset.append(len(self.local_authorities))
            self.local_authorities += [f"{name}_la{i + 1:02d}" for i in range(region.local_authorities)]
        self.age_bands = [band.name for band in scenario.children.age_bands]
        self.age_band_bounds = [band.below_years for band in scenario.children.age_bands]
        self.attributes = {name: list(shares) for name, shares in scenario.children.attributes.items()}
        self.outcomes = outcomes
        self.measures = measures


class Recorder:
    """Writes the three tables of one replication into ``directory``."""

    def __init__(self, directory: Path, scenario: Scenario, labels: Labels, replication: int) -> None:
        self.labels = labels
        origin = scenario.sim_start_date
        self.results_start_day = scenario.results_start_day
        constants = {"replication": replication}
        child_columns = [
            Column("child_id", "q", as_int),
            Column("case_id", "q", as_int),
            Column("case_type", "b", as_labels(CASE_TYPES)),
            Column("pathway", "b", as_labels(PATHWAYS)),
            Column("region", "i", as_labels(labels.regions)),
            Column("local_authority", "i", as_labels(labels.local_authorities)),
            Column("domestic_abuse", "b", as_bool),
            Column("age_at_start_years", "d", as_float),
            Column("age_band", "b", as_labels(labels.age_bands)),
            *[Column(name, "b", as_labels(values)) for name, values in labels.attributes.items()],
            Column("is_return", "b", as_bool),
            Column("case_number", "i", as_small_int),
            Column("warm_up", "b", as_bool),
            Column("from_open_caseload", "b", as_bool),
            Column("status", "b", as_labels(STATUSES)),
            Column("arrival_date", "d", as_date(origin)),
            Column("start_date", "d", as_date(origin)),
            Column("end_date", "d", as_date(origin)),
            Column("days_to_first_hearing", "d", as_float),
            Column("days_to_disposal", "d", as_float),
            Column("days_in_proceedings", "d", as_float),
            *[Column(f"wait_{agency}_days", "d", as_float) for agency in AGENCIES],
            *[Column(f"active_{agency}_days", "d", as_float) for agency in AGENCIES],
            Column("days_before_run", "d", as_float),
            Column("pre_proceedings_days", "d", as_float),
            Column("hearings", "i", as_small_int),
            Column("adjournments", "i", as_small_int),
            Column("vacated", "i", as_small_int),
            Column("outcome", "i", as_labels(labels.outcomes)),
        ]
        self.children = TableSink(directory / "children.parquet", child_columns, constants)
        self.stages = TableSink(
            directory / "stages.parquet",
            [
                Column("case_id", "q", as_int),
                Column("stage", "b", as_labels(STAGES)),
                Column("agency", "b", as_labels(AGENCIES)),
                Column("requested", "d", as_timestamp(origin)),
                Column("started", "d", as_timestamp(origin)),
                Column("ended", "d", as_timestamp(origin)),
            ],
            constants,
        )
        self.timeline = TableSink(
            directory / "timeline.parquet",
            [
                Column("date", "d", as_date(origin)),
                Column("measure", "i", as_labels(labels.measures)),
                Column("region", "i", as_labels(labels.regions)),
                Column("value", "d", as_float),
            ],
            constants,
        )
        self.child_rows = Counter()  # (status, is_return) -> rows
        self._stage_cols = self.stages.data

    def stage(self, case_id: int, stage: int, agency: int, requested: float, started: float, ended: float) -> None:
        c = self._stage_cols
        c[0].append(case_id)
        c[1].append(stage)
        c[2].append(agency)
        c[3].append(requested)
        c[4].append(started)
        c[5].append(ended)
        if len(c[0]) >= self.stages.chunk_rows:
            self.stages.flush()
            self._stage_cols = self.stages.data

    def case_closed(self, case: Case, status: str, now: float) -> None:
        """Write a row for each child of a case that has ended, or is still open at ``now`` (end of run)."""
        wait = list(case.wait_days)
        active = list(case.active_days)
        if status == STATUS_OPEN:
            waiting, working = case.in_progress_days(now)
            if case.stage_agency >= 0 and not math.isnan(case.issue_day):
                wait[case.stage_agency] += waiting
                active[case.stage_agency] += working
            end = math.nan
        else:
            end = now
        issued = not math.isnan(case.issue_day)
        in_proceedings = (now - case.issue_day) if issued else math.nan
        to_disposal = in_proceedings if status == STATUS_DISPOSED else math.nan
        first_hearing = case.first_hearing_day - case.issue_day if issued else math.nan
        pathway = PATHWAYS.index("pathfinder") if case.pathfinder else PATHWAYS.index(CASE_TYPES[case.case_type])
        la_code = self.labels.la_offset[case.region] + case.local_authority
        bounds = self.labels.age_band_bounds
        start = case.issue_day if issued else case.arrival_day
        shared = (
            case.case_id,
            case.case_type,
            pathway,
            case.region,
            la_code,
            case.domestic_abuse,
        )
        tail = (
            case.warm_up,
            case.from_open_caseload,
            STATUSES.index(status),
            case.arrival_day,
            start,
            end,
            first_hearing,
            to_disposal,
            in_proceedings,
            *wait,
            *active,
            case.days_before_run,
            case.pre_proceedings_days,
            case.hearings,
            case.adjournments,
            case.vacated,
            case.outcome,
        )
        cols = self.children.data
        n_attr = len(self.labels.attributes)
        for child in case.children:
            age = (start - child.birth_day) / DAYS_PER_YEAR
            band = next((i for i, b in enumerate(bounds) if age < b), len(bounds) - 1)
            row = (child.child_id, *shared, age, band, *child.attributes[:n_attr], case.is_return, child.cases, *tail)
            for col, value in zip(cols, row, strict=True):
                col.append(value)
        self.child_rows[(status, case.is_return)] += len(case.children)
        self.children.maybe_flush()

    def snapshot(self, day: float, measure: int, region: int, value: float) -> None:
        c = self.timeline.data
        c[0].append(day)
        c[1].append(measure)
        c[2].append(region)
        c[3].append(value)

    def close(self) -> None:
        for sink in (self.children, self.stages, self.timeline):
            sink.close()

    def abandon(self) -> None:
        for sink in (self.children, self.stages, self.timeline):
            sink.abandon()
