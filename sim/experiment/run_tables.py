"""A run's tables, stored once: a Parquet file per replication, and the run's table a view over them, never a copy.

Each replication writes ``replications/rep-NNNN/{children,stages,timeline}.parquet`` as it finishes
(:mod:`sim.experiment.results_folder` owns the layout). The table of the whole run, every replication in order,
is read from those files: :func:`read_table` into pandas (for notebooks and small runs: it holds every row asked
for), :func:`replication_frames` one replication at a time, and :func:`connect` as DuckDB views named
``children``, ``stages`` and ``timeline`` for queries that aggregate out of core (the report, the comparison's
figures), so memory holds what a query keeps, not the rows it reads.

A replication counts once it is complete (its ``stats.json`` is written); a failed one, or one cut short, is
not read. Folders written before tables were stored once also hold ``DIR/children.parquet`` and the others,
copies of the same rows: the per-replication files are read when they are there, the combined file when they are
not (a folder whose ``replications/`` was deleted). A file that is not Parquet, or is cut short, is a
:class:`ResultsDirError` naming it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.experiment.results_folder import (
    DONE_MARKER,
    REPLICATIONS_DIR,
    TABLES,
    ResultsDirError,
    parquet_file,
    read_parquet,
    replication_dir,
)

if TYPE_CHECKING:
    import duckdb

DUCKDB_MEMORY_LIMIT = "512MB"
"""DuckDB's own memory for a query (it spills sorts and joins to a temporary folder beyond it): half the 1 GiB
a whole study's process may take (docs/performance.md), leaving the rest to Python, pandas and matplotlib."""
DUCKDB_THREADS = 1
"""Threads a query may use: a report runs beside replications on a small machine, and scans of a few hundred MB
are quick on one."""


def check_results_dir(directory: str | Path) -> Path:
    """Raise :class:`ResultsDirError` unless ``directory`` holds a run's children and stages tables."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ResultsDirError(f"{directory} is not a directory (give the --out directory of a run)")
    combined = all((directory / f"{t}.parquet").exists() for t in ("children", "stages"))
    per_replication = any(directory.glob(f"{REPLICATIONS_DIR}/rep-*/children.parquet"))
    if not (combined or per_replication):
        raise ResultsDirError(
            f"{directory} is not a results directory: it has no children.parquet and stages.parquet "
            "(give the --out directory of a finished run)"
        )
    return directory


def _complete(directory: Path) -> list[int]:
    """Replications whose folder is complete (stats.json written) and holds a children table, in order."""
    return sorted(
        int(p.parent.name.removeprefix("rep-"))
        for p in directory.glob(f"{REPLICATIONS_DIR}/rep-[0-9][0-9][0-9][0-9]/{DONE_MARKER}")
        if (p.parent / "children.parquet").exists()
    )


def replications_in(directory: str | Path) -> list[int]:
    """The replications whose tables a results directory holds, in order."""
    directory = Path(directory)
    found = _complete(directory)
    if found:
        return found
    path = directory / "children.parquet"
    if path.exists():  # a folder of an older version, its replications' folders gone
        reps = read_parquet(path, columns=["replication"]).column("replication").to_pandas()
        return sorted(int(r) for r in reps.dropna().unique())
    raise ResultsDirError(f"{directory} holds no replications")


def table_files(directory: str | Path, name: str) -> list[Path]:
    """The files holding table ``name`` of every replication, in replication order: one per complete replication,
    or the combined file of a folder written before tables were stored once (and whose replications are gone)."""
    directory = Path(directory)
    if name not in TABLES:
        raise ValueError(f"no table {name!r}: the tables are {', '.join(TABLES)}")
    files = [replication_dir(directory, r) / f"{name}.parquet" for r in _complete(directory)]
    if files:
        missing = [f for f in files if not f.exists()]
        if missing:
            raise ResultsDirError(f"{missing[0]} is missing (was it deleted?); {DELETE_TO_REDO}")
        return files
    combined = directory / f"{name}.parquet"
    if combined.exists():
        return [combined]
    raise ResultsDirError(f"{directory} has no {name}.parquet")


DELETE_TO_REDO = "delete that replication's folder and continue with run --resume to run it again"


def check_tables(directory: str | Path, replications: list[int]) -> None:
    """Each table of these replications opens as Parquet (its footer is read, not its rows): a damaged file is
    found when a run ends or resumes, not by the first reader."""
    for r in replications:
        for name in TABLES:
            path = replication_dir(directory, r) / f"{name}.parquet"
            if not path.exists():
                raise ResultsDirError(f"{path} is missing (was it deleted?); {DELETE_TO_REDO}")
            parquet_file(path)


def columns_in(directory: str | Path, name: str) -> list[str]:
    """The columns of a run's table ``name``, from its first file's footer: what a reader may ask of a run
    written by an earlier version, which may lack a column added since."""
    return list(parquet_file(table_files(directory, name)[0]).schema_arrow.names)


def _filter(filters: list[tuple] | None) -> Any:
    return pq.filters_to_expression(filters) if filters else None


def _read(path: Path, columns: list[str] | None, filters: list[tuple] | None) -> pa.Table:
    return read_parquet(path, columns=columns, filters=filters or None)


def read_table(
    directory: str | Path,
    name: str,
    replication: int | None = None,
    columns: list[str] | None = None,
    filters: list[tuple] | None = None,
) -> pd.DataFrame:
    """One table (``children``, ``stages`` or ``timeline``) of a results directory, as a DataFrame.

    Every replication in order, or with ``replication`` only that one (from its own file); ``filters`` are pyarrow
    filters such as ``[("child_id", "==", 12)]``. Every row asked for is held in memory at once: for a national run
    ask for a replication, a few columns or a filter, or aggregate with :func:`connect`.
    """
    directory = Path(directory)
    if replication is not None:
        own = replication_dir(directory, replication) / f"{name}.parquet"
        if own.exists():
            return _read(own, columns, filters).to_pandas()
        filters = [("replication", "==", replication), *(filters or [])]
    tables = [_read(path, columns, filters) for path in table_files(directory, name)]
    return pa.concat_tables(tables).to_pandas() if len(tables) > 1 else tables[0].to_pandas()


def replication_frames(
    directory: str | Path, name: str, columns: list[str] | None = None, filters: list[tuple] | None = None
) -> Iterator[tuple[int, pd.DataFrame]]:
    """(replication, its rows of table ``name``) for each replication in order: memory holds one at a time."""
    for r in replications_in(directory):
        yield r, read_table(directory, name, r, columns=columns, filters=filters)


# ---------------------------------------------------------------------------------------------- DuckDB
class RunQueries:
    """A DuckDB connection whose views ``children``, ``stages`` and ``timeline`` are a run's tables (every complete
    replication, in order), with a memory limit and its own temporary folder; use as a context manager."""

    def __init__(self, directory: str | Path) -> None:
        import duckdb

        self.directory = check_results_dir(directory)
        self._spill = tempfile.TemporaryDirectory(prefix="fjsim-duckdb-")
        self.con: duckdb.DuckDBPyConnection = duckdb.connect(
            config={
                "threads": DUCKDB_THREADS,
                "memory_limit": DUCKDB_MEMORY_LIMIT,
                "temp_directory": self._spill.name,
            }
        )
        self.files = {name: table_files(self.directory, name) for name in TABLES}
        try:
            for name, files in self.files.items():
                double_view(self.con.read_parquet([str(f) for f in files])).create_view(name)
        except duckdb.Error as exc:
            self.close()
            self._damaged(exc)

    def frame(self, sql: str, parameters: list[Any] | None = None) -> pd.DataFrame:
        """The result of a query as a DataFrame; a damaged table is a ResultsDirError naming its file."""
        import duckdb

        try:
            return self.con.execute(sql, parameters or []).df()
        except duckdb.Error as exc:
            self._damaged(exc)

    def batches(self, sql: str, rows: int) -> Iterator[pa.RecordBatch]:
        """The result of a query in Arrow batches of about ``rows`` rows, streamed (DuckDB spills what it must), so a
        pass over millions of ordered rows holds one batch at a time."""
        import duckdb

        try:
            with self.con.sql(sql).to_arrow_reader(batch_size=rows) as reader:  # a relation's reader streams
                yield from reader
        except duckdb.Error as exc:
            self._damaged(exc)

    def _damaged(self, exc: Exception) -> NoReturn:
        """Raise a ResultsDirError for a failed query: naming the file that is not Parquet, if one is not."""
        for files in self.files.values():
            for path in files:
                parquet_file(path)
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ResultsDirError(f"{self.directory}: a query of its tables failed: {first}") from None

    def columns(self, name: str) -> list[str]:
        """The columns of table ``name``."""
        return parquet_file(self.files[name][0]).schema_arrow.names

    def close(self) -> None:
        self.con.close()
        self._spill.cleanup()

    def __enter__(self) -> RunQueries:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def double_view(relation: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """``relation`` with its 32-bit float columns (days and ages, stored on a grid) cast to DOUBLE, as
    :func:`sim.experiment.results_folder.doubles` reads them: DuckDB averages and sums a FLOAT in double precision
    already, but keeps a FLOAT's quantiles and quotients (``days / 7.0``) in single precision."""
    floats = [name for name, kind in zip(relation.columns, relation.types, strict=True) if str(kind) == "FLOAT"]
    if not floats:
        return relation
    return relation.project("* REPLACE (" + ", ".join(f'CAST("{n}" AS DOUBLE) AS "{n}"' for n in floats) + ")")


def connect(directory: str | Path) -> RunQueries:
    """Open a run's tables for DuckDB queries (``with connect(DIR) as run: run.frame("SELECT ...")``)."""
    return RunQueries(directory)
