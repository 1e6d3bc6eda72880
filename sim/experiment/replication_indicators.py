"""A replication's indicators, computed in its worker from its own tables, in memory that one replication's needs.

One national replication has a million child rows and three million stage rows. Read as whole tables and handed
to :func:`sim.analysis.indicators.indicators`, they took 1.7 GB; read a column at a time (only the columns the
indicators use), with the stage table reduced to one row per case before the children's columns are turned into
arrays, they take under 800 MB, with the same values bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.analysis.attribution import case_events
from sim.analysis.costs import CAPACITY_PER_YEAR, PER_YEAR, TOTAL_PER_YEAR, capacity_cost_rows
from sim.analysis.drift import yearly_rows
from sim.analysis.indicators import indicators as indicator_rows
from sim.analysis.periods import results_period as period_of
from sim.experiment.results_folder import ResultsDirError, double_column, parquet_file
from sim.scenario.schema import Scenario

STAGE_COLUMNS = ["replication", "case_id", "stage", "requested", "started"]
"""The columns of stages.parquet the child-centred indicators need (:func:`sim.analysis.attribution.case_events`)."""
UNUSED_CHILD_COLUMNS = frozenset(
    (
        "local_authority",
        "court_centre",
        "case_number",
        "arrival_date",
        "days_to_first_disposal",
        "days_before_run",
        "pre_proceedings_days",
        "displaced",
        "outcome",
    )
)
"""Columns of children.parquet no indicator reads: left on disk when a replication's indicators are computed."""


def results_period(scenario: Scenario) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(results start, run end) of a scenario, as :func:`sim.analysis.periods.run_period` reads them from a manifest."""
    return period_of(scenario.start_date, scenario.run_years)


def _read_lean(
    path: Path,
    columns: list[str] | None = None,
    exclude: frozenset[str] = frozenset(),
    keep: pa.ChunkedArray | None = None,
    parquet: pq.ParquetFile | None = None,
) -> pd.DataFrame:
    """A table of one replication as a DataFrame, read a column at a time so that memory holds the DataFrame and one
    column of Arrow, not a whole Arrow table beside it; only the rows ``keep`` marks, when given; dates as numpy
    dates rather than Python objects, and days stored as 32-bit floats as 64-bit
    (:func:`sim.experiment.results_folder.doubles`). ``parquet`` is the file already opened, if it is."""
    parquet = parquet if parquet is not None else parquet_file(path)
    names = [n for n in (columns or parquet.schema_arrow.names) if n not in exclude]
    try:
        data = {}
        for n in names:
            column = parquet.read(columns=[n]).column(0)
            column = column if keep is None else column.filter(keep)
            data[n] = double_column(column).to_pandas(date_as_object=False)
    except (pa.ArrowException, ValueError) as exc:
        raise ResultsDirError(f"{path} cannot be read as a Parquet table: {exc}") from None
    return pd.DataFrame(data, copy=False)


def _open_at(parquet: pq.ParquetFile, start: pd.Timestamp) -> pa.ChunkedArray:
    """Which children can count in a results period from ``start``: those whose case was still open on that day
    (no end date, or one on or after it). A child whose case closed during the warm-up adds to no flow (it did not
    start in the period) and no stock (it has no day in it), so its rows need not be read: a nine-year warm-up
    (scenarios/from_2024.yaml) is then not held in memory."""
    end = parquet.read(columns=["end_date"]).column(0)
    return pc.fill_null(pc.greater_equal(end, pa.scalar(start.date(), pa.date32())), True)


def _of_cases(parquet: pq.ParquetFile, case_ids: pd.Series) -> pa.ChunkedArray:
    """Which stage rows belong to these cases."""
    ids = parquet.read(columns=["case_id"]).column(0)
    return pc.is_in(ids, value_set=pa.array(case_ids.unique()))


def replication_indicators(
    directory: Path, scenario: Scenario | None = None, periods: list[tuple[float, Scenario]] | None = None
) -> pd.DataFrame:
    """The indicators of the replication whose tables are in ``directory``, from :mod:`sim.analysis`.

    Only this replication's tables are read, so memory holds one replication's rows, never the whole run's; with
    ``scenario``, only the children whose case was open at some time in the results period, and their stages.
    ``scenario`` places the results period of the child-centred stock indicators (inferred from the children
    table without it), adds the headline series year by year (:func:`sim.analysis.drift.yearly_rows`) and the cost
    of delay at its ``costs:``; ``periods`` (the scenario in force from each simulation day, the loader's) adds what
    capacity costs and the total (:mod:`sim.analysis.costs`).
    """
    directory = Path(directory)
    period = results_period(scenario) if scenario is not None else None
    child_path, stage_path = directory / "children.parquet", directory / "stages.parquet"
    child_file, stage_file = parquet_file(child_path), parquet_file(stage_path)  # each footer read once
    keep = _open_at(child_file, period[0]) if period is not None else None
    children = _read_lean(child_path, exclude=UNUSED_CHILD_COLUMNS, keep=keep, parquet=child_file)
    timeline = _read_lean(directory / "timeline.parquet")
    stage_rows = _of_cases(stage_file, children["case_id"]) if period is not None else None
    stages = _read_lean(stage_path, columns=STAGE_COLUMNS, keep=stage_rows, parquet=stage_file)
    times = case_events(children, stages)
    del stages  # the stage rows are not held while the indicators are computed
    costs = scenario.costs if scenario is not None else None
    rows = indicator_rows(children, None, period, timeline=timeline, by_month=False, case_times=times, costs=costs)
    if scenario is not None:
        rows = pd.concat([rows, yearly_rows(children, timeline, scenario.start_date, scenario.run_years)])
    if periods:
        rows = pd.concat([rows, cost_rows(rows, periods)])
    return rows.reset_index(drop=True)


def cost_rows(rows: pd.DataFrame, periods: list[tuple[float, Scenario]]) -> pd.DataFrame:
    """What capacity costs a year in the run, and the total with the cost of delay a year (when either is priced)."""
    replication = int(rows["replication"].iloc[0]) if len(rows) else 0
    capacity = pd.DataFrame(capacity_cost_rows(periods, replication), columns=rows.columns)
    every = pd.concat([rows, capacity])
    parts = every[(every["breakdown"] == "all") & every["indicator"].isin([PER_YEAR, CAPACITY_PER_YEAR])]
    if parts.empty:
        return capacity
    total = (replication, TOTAL_PER_YEAR, "all", "all", float(parts["value"].sum()))
    return pd.concat([capacity, pd.DataFrame([total], columns=rows.columns)])
