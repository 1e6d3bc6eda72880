"""Typed columns streamed to Parquet: the storage under the records, with atomic writes.

Rows are appended to typed arrays (8 bytes a number, not a Python object) and streamed to Parquet in
chunks, so memory holds what is open, not everything ever simulated. Files are written under a temporary
name and renamed when complete, so a file with the final name is always whole. Records know nothing of
SimPy: they take plain numbers.
"""

from __future__ import annotations

import datetime as dt
import os
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CHUNK_ROWS = 100_000
"""Rows buffered before a chunk is written. Writing a chunk copies it a few times (columns, Arrow arrays,
compression), so the peak it adds is a few times CHUNK_ROWS x columns x 8 bytes: about 100 MiB for the
child table at this size."""

Converter = Callable[[np.ndarray], pa.Array]


@dataclass(frozen=True)
class Column:
    """A named column and how its float64 values become an Arrow array."""

    name: str
    to_arrow: Converter


def as_int(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype(np.int64), type=pa.int64())


def as_small_int(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype(np.int32), type=pa.int32())


def as_float(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.float64(), from_pandas=True)  # NaN becomes null


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
    """Simulation days to calendar timestamps to the second (NaN becomes null)."""
    base = np.datetime64(origin, "s")

    def convert(values: np.ndarray) -> pa.Array:
        mask = np.isnan(values)
        seconds = np.round(np.where(mask, 0.0, values) * 86_400).astype("timedelta64[s]")
        return pa.array(base + seconds, type=pa.timestamp("s"), mask=mask)

    return convert


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
        self._dictionary_columns = [f.name for f in fields if pa.types.is_dictionary(f.type)]
        """Columns Parquet dictionary-encodes: the labels. Trying it on every column (Parquet's default) spends time
        on numbers with thousands of values and, compressed, gives larger files (benchmarks/medium.yaml: 37%
        less time writing the child table, 23% smaller)."""

    def maybe_flush(self) -> None:
        if len(self.rows) >= self.chunk_rows * self.width:
            self.flush()

    def flush(self) -> None:
        table = np.frombuffer(self.rows, dtype=np.float64).reshape(-1, self.width)
        self.write_columns([table[:, i] for i in range(self.width)])
        self.rows = array("d")

    def write_columns(self, values: Sequence[np.ndarray]) -> None:
        """Write one chunk given as a float64 array per column (in ``columns`` order)."""
        n = len(values[0]) if len(values) else 0
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(
                self._tmp, self.schema, compression="zstd", use_dictionary=self._dictionary_columns
            )
        if n:
            arrays = [pa.array(np.full(n, v, dtype=np.int32)) for v in self.constants.values()]
            arrays += [c.to_arrow(np.ascontiguousarray(v)) for c, v in zip(self.columns, values, strict=True)]
            self._writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self.rows_written += n

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
