"""Typed columns streamed to Parquet: the storage under the records, with atomic writes.

Rows are appended to typed arrays (8 bytes a number, not a Python object) and streamed to Parquet in
chunks, so memory holds what is open, not everything ever simulated. Files are written under a temporary
name and renamed when complete, so a file with the final name is always whole. Records know nothing of
SimPy: they take plain numbers.

Simulated times are fractions of a day that do not compress, so what is stored is rounded to a grid
(:data:`STORED_DAY_RESOLUTION_HOURS`, :data:`STORED_AGE_RESOLUTION_DAYS`, :data:`STORED_TIME_RESOLUTION_HOURS`):
durations in days to the hour as 32-bit floats, ages in years to the day of age, stage times to the hour. No
published measure is finer than a day, and a national replication's files are half the size (docs/performance.md).
Readers get 64-bit floats back (:mod:`sim.experiment.results_folder`), so sums and means are taken in double
precision.
"""

from __future__ import annotations

import datetime as dt
import heapq
import os
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.scenario.limits import LONGEST_RUN_DAYS
from sim.vocabulary import DAYS_PER_YEAR, HOURS_PER_DAY

STORED_DAY_RESOLUTION_HOURS: Final = 1
"""Durations in days (waits, work, notice, days to a first hearing and to disposal) are stored to the nearest hour,
as 32-bit floats. No published measure is finer than a day; on this grid Parquet dictionary-encodes the values,
and a national replication's child table is half the size of its 64-bit simulated values (docs/performance.md)."""
STORED_DAY_STEP_DAYS: Final = STORED_DAY_RESOLUTION_HOURS / HOURS_PER_DAY
FLOAT32_RELATIVE_ERROR: Final = 2.0**-24
"""A 32-bit float holds a number to within this share of it (24 bits of mantissa, rounded to nearest)."""
STORED_DAY_ERROR_DAYS: Final = STORED_DAY_STEP_DAYS / 2 + LONGEST_RUN_DAYS * FLOAT32_RELATIVE_ERROR
"""The most a stored duration differs from the simulated one: half a step of the grid, and a 32-bit float's
rounding of a duration as long as the longest run (0.002 days). A sum of n stored durations is within
n x this of the same sum of simulated ones: tests and :func:`sim.analysis.attribution.check_attribution` allow it."""
STORED_AGE_RESOLUTION_DAYS: Final = 1
"""Ages in years are stored to the nearest whole day of age, as 32-bit floats (about a tenth of the bytes of the
simulated ages, which are fractions of a day); the age band is that of the stored age, so the two always agree."""
STORED_TIME_RESOLUTION_HOURS: Final = 1
"""Stage times (requested, started, ended) are stored to the hour, floored rather than rounded so that a time keeps
its calendar day (as dates are floored): a stage's times are within an hour of the simulated ones."""
STORED_TIME_STEP_DAYS: Final = STORED_TIME_RESOLUTION_HOURS / HOURS_PER_DAY
SECONDS_PER_DAY: Final = HOURS_PER_DAY * 60 * 60

MERGE_BATCH_ROWS: Final = 8_192
"""Rows taken from one part at a time when parts are joined (:meth:`TableSink.merge_files`)."""
CHUNK_ROWS: Final = 100_000
"""Rows buffered before a chunk is written. Writing a chunk copies it a few times (columns, Arrow arrays,
compression), so the peak it adds is a few times CHUNK_ROWS x columns x 8 bytes: about 100 MiB for the
child table at this size."""

Converter = Callable[[np.ndarray], pa.Array]


@dataclass(frozen=True)
class Column:
    """A named column, how its float64 values become an Arrow array, and its Parquet encoding if not the default
    (``DELTA_BINARY_PACKED`` for identifiers that mostly rise; the default is :func:`dictionary_encoded`'s rule)."""

    name: str
    to_arrow: Converter
    encoding: str | None = None


def as_int(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype(np.int64), type=pa.int64())


def as_small_int(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype(np.int32), type=pa.int32())


def as_float(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.float64(), from_pandas=True)  # NaN becomes null


def to_the_hour(days: np.ndarray) -> np.ndarray:
    """Days rounded to the nearest :data:`STORED_DAY_RESOLUTION_HOURS` (NaN stays NaN)."""
    return np.round(days / STORED_DAY_STEP_DAYS) * STORED_DAY_STEP_DAYS


def as_days(values: np.ndarray) -> pa.Array:
    """Durations in days, to the hour, as 32-bit floats (NaN becomes null)."""
    return pa.array(to_the_hour(values).astype(np.float32), type=pa.float32(), from_pandas=True)


def age_to_the_day(years: np.ndarray) -> np.ndarray:
    """Ages in years rounded to the nearest :data:`STORED_AGE_RESOLUTION_DAYS` of age."""
    step_years = STORED_AGE_RESOLUTION_DAYS / DAYS_PER_YEAR
    return np.round(years / step_years) * step_years


def as_float32(values: np.ndarray) -> pa.Array:
    """Values already on a grid (ages to the day) as 32-bit floats (NaN becomes null)."""
    return pa.array(values.astype(np.float32), type=pa.float32(), from_pandas=True)


def as_bool(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype(bool), type=pa.bool_())


def as_labels(labels: Sequence[str]) -> Converter:
    """Small integer codes to a dictionary-encoded string column (-1 is null)."""
    dictionary = pa.array(list(labels), type=pa.string())

    def convert(values: np.ndarray) -> pa.Array:
        codes = values.astype(np.int32)
        mask = codes < 0
        indices = pa.array(np.where(mask, 0, codes), type=pa.int32(), mask=mask)
        return pa.DictionaryArray.from_arrays(indices, dictionary)

    return convert


def as_date(origin: dt.date) -> Converter:
    """Simulation days to calendar dates (NaN, an open end, becomes null)."""
    base = np.datetime64(origin, "D")

    def convert(values: np.ndarray) -> pa.Array:
        mask = np.isnan(values)
        days = np.floor(np.where(mask, 0.0, values)).astype("timedelta64[D]")
        return pa.array(base + days, type=pa.date32(), mask=mask)

    return convert


def as_timestamp(origin: dt.date) -> Converter:
    """Simulation days to calendar timestamps to the second (NaN becomes null): the simulated times, unrounded."""
    base = np.datetime64(origin, "s")

    def convert(values: np.ndarray) -> pa.Array:
        mask = np.isnan(values)
        seconds = np.round(np.where(mask, 0.0, values) * SECONDS_PER_DAY).astype("timedelta64[s]")
        return pa.array(base + seconds, type=pa.timestamp("s"), mask=mask)

    return convert


def as_hour(origin: dt.date) -> Converter:
    """Simulation days to calendar timestamps floored to :data:`STORED_TIME_RESOLUTION_HOURS` (NaN becomes null)."""
    base = np.datetime64(origin, "s")

    def convert(values: np.ndarray) -> pa.Array:
        mask = np.isnan(values)
        steps = np.floor(np.where(mask, 0.0, values) / STORED_TIME_STEP_DAYS)
        hours = (steps * STORED_TIME_RESOLUTION_HOURS).astype("timedelta64[h]")
        return pa.array(base + hours, type=pa.timestamp("s"), mask=mask)

    return convert


def dictionary_encoded(field: pa.Field) -> bool:
    """Whether Parquet dictionary-encodes a column of this type: labels, and the types whose values are few or on a
    grid (32-bit counts, 32-bit days and ages, timestamps to the hour). Trying it on every column (Parquet's default)
    spends time on 64-bit numbers with thousands of values and, compressed, gives larger files (benchmarks/medium.yaml:
    37% less time writing the child table, 23% smaller); on these it makes the columns a third smaller or better."""
    kind = field.type
    return pa.types.is_dictionary(kind) or kind in (pa.int32(), pa.float32()) or pa.types.is_timestamp(kind)


class TableSink:
    """Rows of numbers streamed to one Parquet file in chunks; the file appears only after ``close``.

    The hot path appends a whole row with one call, ``sink.rows.frombytes(row.pack(*values))`` with a
    ``struct.Struct`` of the row's float64s, into a flat float64 array (``rows.extend(values)`` would pass each number
    through the generic argument parser: about twice the cost, 7% of a run's instructions);
    ``flush`` reshapes it into columns and converts each (codes to labels, days to dates) in one go.
    """

    def __init__(
        self,
        path: Path,
        columns: Sequence[Column],
        constants: dict[str, int] | None = None,
        chunk_rows: int = CHUNK_ROWS,
    ) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        self.width = len(self.columns)
        self.rows = array("d")
        self.constants = constants or {}
        self.chunk_rows = chunk_rows
        self.rows_written = 0
        self._writer: pq.ParquetWriter | None = None
        self._tmp = self.path.with_name(f".{self.path.name}.partial")
        fields = [pa.field(k, pa.int32()) for k in self.constants]
        fields += [pa.field(c.name, c.to_arrow(np.zeros(0)).type) for c in self.columns]
        self.schema = pa.schema(fields)
        self._encodings = {c.name: c.encoding for c in self.columns if c.encoding}
        self._dictionary_columns = [f.name for f in fields if dictionary_encoded(f) and f.name not in self._encodings]

    def maybe_flush(self) -> None:
        if len(self.rows) >= self.chunk_rows * self.width:
            self.flush()

    def flush(self) -> None:
        table = np.frombuffer(self.rows, dtype=np.float64).reshape(-1, self.width)
        self.write_columns([table[:, i] for i in range(self.width)])
        self.rows = array("d")

    def _open(self) -> pq.ParquetWriter:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(
                self._tmp,
                self.schema,
                compression="zstd",
                use_dictionary=self._dictionary_columns,
                column_encoding=self._encodings or None,
            )
        return self._writer

    def write_columns(self, values: Sequence[np.ndarray]) -> None:
        """Write one chunk given as a float64 array per column (in ``columns`` order)."""
        n = len(values[0]) if len(values) else 0
        writer = self._open()
        if n:
            arrays = [pa.array(np.full(n, v, dtype=np.int32)) for v in self.constants.values()]
            arrays += [c.to_arrow(np.ascontiguousarray(v)) for c, v in zip(self.columns, values, strict=True)]
            writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self.rows_written += n

    def merge_files(self, paths: Sequence[Path], key: str) -> None:
        """Copy the rows of files other sinks of the same columns wrote (the parts of a replication, joined into its
        table), interleaved by ``key`` a batch at a time: each file's rows are in about ``key`` order (written as
        they happen), so the joined rows are too, and a chunk holds every part's rows of a stretch of time, whose
        times repeat and compress as tightly as a whole run's. Memory holds a batch of each file and one chunk."""
        writer = self._open()
        batches = [pq.ParquetFile(path).iter_batches(batch_size=MERGE_BATCH_ROWS) for path in paths]
        queue: list[tuple[bool, Any, int, pa.RecordBatch]] = []

        def take_next(i: int) -> None:
            batch = next(batches[i], None)
            if batch is not None and batch.num_rows:
                first = batch.column(key)[0].as_py()
                heapq.heappush(queue, (first is None, first, i, batch))
            elif batch is not None:
                take_next(i)

        for i in range(len(batches)):
            take_next(i)
        chunk: list[pa.RecordBatch] = []
        rows = 0
        while queue:
            *_, i, batch = heapq.heappop(queue)
            chunk.append(batch)
            rows += batch.num_rows
            take_next(i)
            if rows >= self.chunk_rows or not queue:
                writer.write_table(pa.Table.from_batches(chunk).cast(self.schema))
                self.rows_written += rows
                chunk, rows = [], 0

    def close(self) -> None:
        self.flush()
        assert self._writer is not None
        self._writer.close()
        with open(self._tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(self._tmp, self.path)

    def abandon(self) -> None:
        """Drop a half-written file (a failed replication leaves nothing that looks complete)."""
        if self._writer is not None:
            self._writer.close()
        self._tmp.unlink(missing_ok=True)
