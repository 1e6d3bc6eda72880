"""What happened: a row per child per case, a row per stage, and snapshots of queues over time.

The child table is the joined-up view the real system lacks: one child identifier, every case the child is
in (a return to court is a new row with the same identifier), the days spent waiting for and worked on by
each agency (with the days of the court wait that were procedural notice, ``notice_court_days``; a stage
row's ``notice_days`` likewise). Rows are written when a case closes, and for open cases at the end of the run.

A case that begins and ends during the warm-up is counted, not stored (unless the scenario's
``starting_state.keep_warm_up_rows``): no indicator reads its rows, and they were 45% of a national replication's
child rows and most of its run folder's bytes (docs/performance.md). Its children's rows are counted by status in
the run's stats, and its stage rows are dropped when the warm-up ends, so that both tables hold exactly the cases
open at some time in the results period.
"""

from __future__ import annotations

import math
import struct
from array import array
from collections import Counter
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Final

import numpy as np

from sim.model.columns import (
    Column,
    TableSink,
    age_to_the_day,
    as_bool,
    as_date,
    as_days,
    as_float,
    as_float32,
    as_hour,
    as_int,
    as_labels,
    as_small_int,
    as_timestamp,
)
from sim.model.entities import Case
from sim.scenario.schema import Scenario
from sim.vocabulary import (
    AGENCIES,
    CASE_TYPES,
    DAYS_PER_YEAR,
    PATHWAYS,
    STAGES,
    STATUS_DISPOSED,
    STATUS_DIVERTED,
    STATUS_OPEN,
)

STATUSES: Final = (STATUS_DISPOSED, STATUS_DIVERTED, STATUS_OPEN)
STAGE_WIDTH: Final = 7
"""Values in a stage row: case, stage, agency, requested, started, ended, notice days."""
STAGE_CASE_ID_ENCODING: Final = "DELTA_BINARY_PACKED"
"""Stage rows are written as stages end, so a chunk's case ids mostly rise with small steps back: stored as differences
they take 7% fewer bytes (a national replication's stage table, zstd either way); the child table's ids do not gain."""


class Labels:
    """The category names every table shares, fixed for a run so codes mean the same in every file."""

    def __init__(self, scenario: Scenario, outcomes: list[str], measures: list[str]) -> None:
        self.regions = list(scenario.regions)
        self.local_authorities: list[str] = []
        self.la_offset: list[int] = []
        for name, region in scenario.regions.items():
            self.la_offset.append(len(self.local_authorities))
            self.local_authorities += [f"{name}_la{i + 1:02d}" for i in range(region.local_authorities)]
        self.court_centres: list[str] = []
        self.centre_offset: list[int] = []
        for name, region in scenario.regions.items():
            self.centre_offset.append(len(self.court_centres))
            self.court_centres += [f"{name}_{centre}" for centre in region.court.centre_names()]
        self.age_bands = [band.name for band in scenario.children.age_bands]
        self.age_band_bounds = [band.below_years for band in scenario.children.age_bands]
        self.attributes = {name: list(shares) for name, shares in scenario.children.attributes.items()}
        self.outcomes = outcomes
        self.measures = measures


CASE_FIELDS: Final = (
    "case_id",
    "case_type",
    "pathway",
    "region",
    "local_authority",
    "court_centre",
    "domestic_abuse",
    "is_return",
    "warm_up",
    "from_open_caseload",
    "status",
    "arrival_date",
    "start_date",
    "end_date",
    "days_to_first_hearing",
    "days_to_first_disposal",
    "days_to_disposal",
    "days_in_proceedings",
    *(f"wait_{agency}_days" for agency in AGENCIES),
    *(f"active_{agency}_days" for agency in AGENCIES),
    "notice_court_days",
    "days_before_run",
    "pre_proceedings_days",
    "hearings",
    "adjournments",
    "vacated",
    "displaced",
    "outcome",
)
"""What a case contributes to each of its children's rows, in the order ``case_closed`` appends them."""

CHILD_LEADING_CASE_FIELDS: Final = frozenset(
    ("case_id", "case_type", "pathway", "region", "local_authority", "court_centre", "domestic_abuse", "is_return")
)
"""Case fields that come before the child's own columns in the child table; the rest follow them."""

CHILD_FIELDS: Final = ("child_id", "case_row", "birth_day", "case_number")
"""What a child contributes, followed by its extra attribute codes."""


def _first_disposal_day(case: Case, status: str, now: float) -> float:
    """FCSQ's first disposal: of another application before the final order, else the disposal; NaN while none."""
    if case.first_disposal_day == case.first_disposal_day:
        return case.first_disposal_day
    return now if status == STATUS_DISPOSED else math.nan


_AGENCY_COUNT: Final = len(AGENCIES)
"""The account of days (:meth:`sim.model.entities.Case.agency_days`): this many waits, then as many active days."""
_PACK_STAGE: Final = struct.Struct(f"{STAGE_WIDTH}d").pack
_PACK_CASE: Final = struct.Struct(f"{len(CASE_FIELDS)}d").pack
_PACK_SNAPSHOT: Final = struct.Struct("4d").pack
"""Rows are packed as float64 bytes and appended with ``array.frombytes``: ``array.extend`` converts each number
through the generic argument parser, about twice the cost (sim.model.columns)."""


class Recorder:
    """Writes the three tables of one replication into ``directory``.

    Days, ages and stage times are stored on the grids of :mod:`sim.model.columns` (to the hour, to the day of age);
    with ``exact`` they are stored as simulated (64-bit days and ages, times to the second), to measure what the
    grids change.
    """

    def __init__(
        self,
        directory: Path,
        scenario: Scenario,
        labels: Labels,
        replication: int,
        *,
        open_case_ids: Collection[int],
        exact: bool = False,
    ) -> None:
        self.labels = labels
        self.open_case_ids = open_case_ids
        """The ids of the cases open now (a live view of the replication's): their held stage rows are kept."""
        self.exact = exact
        self.in_warm_up = scenario.results_start_day > 0 and not scenario.starting_state.keep_warm_up_rows
        """While true, closed cases are counted rather than stored, and stage rows wait to learn whether their case
        outlives the warm-up (:meth:`warm_up_ended`)."""
        self.warm_up_child_rows: Counter[tuple[str, bool]] = Counter()
        self.warm_up_cases = 0
        self.warm_up_stage_rows = 0
        origin = scenario.sim_start_date
        constants = {"replication": replication}
        date = as_date(origin)
        days = as_float if exact else as_days
        time = as_timestamp(origin) if exact else as_hour(origin)
        case_converters = {
            "case_id": as_int,
            "case_type": as_labels(CASE_TYPES),
            "pathway": as_labels(PATHWAYS),
            "region": as_labels(labels.regions),
            "local_authority": as_labels(labels.local_authorities),
            "domestic_abuse": as_bool,
            "is_return": as_bool,
            "warm_up": as_bool,
            "from_open_caseload": as_bool,
            "status": as_labels(STATUSES),
            "arrival_date": date,
            "start_date": date,
            "end_date": date,
            "hearings": as_small_int,
            "adjournments": as_small_int,
            "vacated": as_small_int,
            "displaced": as_small_int,
            "court_centre": as_labels(labels.court_centres),
            "outcome": as_labels(labels.outcomes),
        }
        self._case_index = {name: i for i, name in enumerate(CASE_FIELDS)}
        self._output = [
            "child_id",
            "case_id",
            "case_type",
            "pathway",
            "region",
            "local_authority",
            "court_centre",
            "domestic_abuse",
            "age_at_start_years",
            "age_band",
            *labels.attributes,
            "is_return",
            "case_number",
        ] + [f for f in CASE_FIELDS if f not in CHILD_LEADING_CASE_FIELDS]
        converters = {
            **case_converters,
            "child_id": as_int,
            "age_at_start_years": as_float if exact else as_float32,
            "age_band": as_labels(labels.age_bands),
            "case_number": as_small_int,
            **{name: as_labels(values) for name, values in labels.attributes.items()},
        }
        self.children = TableSink(
            directory / "children.parquet",
            [Column(name, converters.get(name, days)) for name in self._output],
            constants,
        )
        self._cases = array("d")
        self._kids = array("d")
        self._child_width = len(CHILD_FIELDS) + len(labels.attributes)
        self._pack_child = struct.Struct(f"{self._child_width}d").pack
        self.stages = TableSink(
            directory / "stages.parquet",
            [
                Column("case_id", as_int, STAGE_CASE_ID_ENCODING),
                Column("stage", as_labels(STAGES)),
                Column("agency", as_labels(AGENCIES)),
                Column("requested", time),
                Column("started", time),
                Column("ended", time),
                Column("notice_days", days),
            ],
            constants,
        )
        self.timeline = TableSink(
            directory / "timeline.parquet",
            [
                Column("date", date),
                Column("measure", as_labels(labels.measures)),
                Column("region", as_labels(labels.regions)),
                Column("value", as_float),
            ],
            constants,
        )
        self.child_rows: Counter[tuple[str, bool]] = Counter()
        self._stage_rows = self.stages.rows
        self._stage_limit = self.stages.chunk_rows * STAGE_WIDTH
        self._la_offset = labels.la_offset
        self._centre_offset = labels.centre_offset
        self._pathfinder = PATHWAYS.index("pathfinder")
        self._pathway_of_type = [PATHWAYS.index(c) for c in CASE_TYPES]
        self._status_code = {s: i for i, s in enumerate(STATUSES)}

    def stage(
        self, case_id: int, stage: int, agency: int, requested: float, started: float, ended: float, notice_days: float
    ) -> None:
        """A stage row; ``notice_days`` is the part of its wait (requested to started) that was procedural notice."""
        self._stage_rows.frombytes(_PACK_STAGE(case_id, stage, agency, requested, started, ended, notice_days))
        if len(self._stage_rows) >= self._stage_limit:
            if self.in_warm_up:
                self._drop_warm_up_stages()
            else:
                self._flush_stages()

    def _flush_stages(self) -> None:
        self.stages.flush()
        self._stage_rows = self.stages.rows

    def _drop_warm_up_stages(self) -> None:
        """Drop the held stage rows of cases already closed (so counted, not stored); hold the rest."""
        rows = np.frombuffer(self._stage_rows, dtype=np.float64).reshape(-1, STAGE_WIDTH)
        open_ids = np.fromiter(self.open_case_ids, dtype=np.float64, count=len(self.open_case_ids))
        keep = rows[np.isin(rows[:, 0], open_ids)]
        self.warm_up_stage_rows += len(rows) - len(keep)
        self._stage_rows = self.stages.rows = array("d", keep.tobytes())
        # Held rows belong to open cases: look again when as many more have come, not at every new row.
        self._stage_limit = max(self.stages.chunk_rows, 2 * len(keep)) * STAGE_WIDTH

    def warm_up_ended(self) -> None:
        """The results period begins: cases open now are stored when they close, with the stage rows held for them."""
        if not self.in_warm_up:
            return
        self._drop_warm_up_stages()
        self.in_warm_up = False
        self._stage_limit = self.stages.chunk_rows * STAGE_WIDTH
        if len(self._stage_rows) >= self._stage_limit:
            self._flush_stages()

    def case_closed(self, case: Case, status: str, now: float) -> None:
        """Write a row for each child of a case that has ended, or is still open at ``now`` (end of run); count
        them instead for a case that ended during the warm-up."""
        if self.in_warm_up and status != STATUS_OPEN:
            self.warm_up_child_rows[(status, case.is_return)] += len(case.children)
            self.warm_up_cases += 1
            return
        issued = case.issue_day == case.issue_day  # not NaN
        days = case.agency_days()  # waiting for each agency, then worked on by each
        notice = case.notice_court_days
        if status == STATUS_OPEN:
            end = math.nan
            if issued and case.stage_agency >= 0:
                waiting, working = case.in_progress_days(now)
                days[case.stage_agency] += waiting
                days[_AGENCY_COUNT + case.stage_agency] += working
                notice += case.in_progress_notice_days(now)
        else:
            end = now
        in_proceedings = now - case.issue_day if issued else math.nan
        start = case.issue_day if issued else case.arrival_day
        row = len(self._cases) // len(CASE_FIELDS)
        self._cases.frombytes(
            _PACK_CASE(
                case.case_id,
                case.case_type,
                self._pathfinder if case.pathfinder else self._pathway_of_type[case.case_type],
                case.region,
                self._la_offset[case.region] + case.local_authority,
                self._centre_offset[case.region] + case.court_centre,
                case.domestic_abuse,
                case.is_return,
                case.warm_up,
                case.from_open_caseload,
                self._status_code[status],
                case.arrival_day,
                start,
                end,
                case.first_hearing_day - case.issue_day,
                _first_disposal_day(case, status, now) - case.issue_day,
                in_proceedings if status == STATUS_DISPOSED else math.nan,
                in_proceedings,
                *days,
                notice,
                case.days_before_run,
                case.pre_proceedings_days,
                case.hearings,
                case.adjournments,
                case.vacated,
                case.displaced,
                case.outcome,
            )
        )
        kids = self._kids
        pack_child = self._pack_child
        for child in case.children:
            kids.frombytes(pack_child(child.child_id, row, child.birth_day, child.cases, *child.attributes))
        self.child_rows[(status, case.is_return)] += len(case.children)
        if row + 1 >= self.children.chunk_rows:
            self._flush_children()

    def _flush_children(self) -> None:
        cases = np.frombuffer(self._cases, dtype=np.float64).reshape(-1, len(CASE_FIELDS))
        kids = np.frombuffer(self._kids, dtype=np.float64).reshape(-1, self._child_width)
        per_child = cases[kids[:, 1].astype(np.int64)]
        column = {name: per_child[:, i] for i, name in enumerate(CASE_FIELDS)}
        age = (column["start_date"] - kids[:, 2]) / DAYS_PER_YEAR
        if not self.exact:  # the band of the age stored, so that the two agree
            age = age_to_the_day(age)
        bounds = np.asarray(self.labels.age_band_bounds)
        column["age_at_start_years"] = age
        column["age_band"] = np.minimum(np.searchsorted(bounds, age, side="right"), len(bounds) - 1).astype(float)
        column["child_id"] = kids[:, 0]
        column["case_number"] = kids[:, 3]
        for i, name in enumerate(self.labels.attributes):
            column[name] = kids[:, len(CHILD_FIELDS) + i]
        self.children.write_columns([column[name] for name in self._output])
        self._cases = array("d")
        self._kids = array("d")

    def snapshot(self, day: float, measure: int, region: int, value: float) -> None:
        self.timeline.rows.frombytes(_PACK_SNAPSHOT(day, measure, region, value))

    def close(self) -> None:
        self._flush_children()
        for sink in (self.children, self.stages, self.timeline):
            sink.close()

    def abandon(self) -> None:
        for sink in (self.children, self.stages, self.timeline):
            sink.abandon()

    def join(self, parts: Sequence[Path]) -> None:
        """Write the three tables from the tables of ``parts`` (folders this recorder's columns were written to, by
        replications of some regions each), their rows interleaved by when they were written: a case's end, a
        stage's end, a snapshot's date."""
        try:
            for sink, key in ((self.children, "end_date"), (self.stages, "ended"), (self.timeline, "date")):
                sink.merge_files([part / sink.path.name for part in parts], key)
                sink.close()
        except BaseException:
            self.abandon()
            raise
