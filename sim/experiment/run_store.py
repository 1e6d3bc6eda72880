"""The run store: every run, comparison, sweep and back-cast in one embedded DuckDB database, to query across studies.

By default the store is ``results/runs.duckdb`` under the working directory; the environment variable
``FJSIM_RUNS_DB`` or the option ``--runs-db PATH`` names another (:func:`store_path`). The commands that write
results register their folder when they finish (``runs add DIR`` registers one by hand; :mod:`sim.cli.runs`).
A record holds what the folder held when it was registered, so the figures survive the folder; re-registering a
folder replaces its record and keeps its id; ``runs forget ID`` drops a record and never touches the files.

The tables (one record is one ``run_id``; ``scenario`` is the scenario's key within it: its name in a comparison
or options study, ``setting-NNN`` in a sweep, the scenario's name otherwise):

* ``runs``: one row per registered folder: ``run_id``, ``kind`` (run, compare, options, sweep, plan, backcast,
  validation, calibrate), ``status`` (the manifest's: complete, failed...), ``started_utc``, ``ended_utc``,
  ``wall_seconds``, ``registered_utc``, ``folder`` (absolute), ``scenario_name`` (the base's) and
  ``scenario_sha256`` (its resolved hash), ``root_seed``, ``replications`` (per scenario), ``code_commit``,
  ``code_dirty``, ``command_line`` and the whole ``manifest`` (JSON);
* ``scenarios``: one row per scenario run: ``role`` (run, base, option, setting), ``name``, ``folder``,
  ``scenario_path``, ``scenario_sha256``, ``scenario_files`` (JSON: each file's path, hash and text while the file
  still has that hash), ``resolved`` (JSON: the scenario as the model ran it), ``root_seed``,
  ``replications_used`` (a list) and ``status``;
* ``changes``: what each option or sweep setting changed against its base, one row per key: ``key`` (dotted, as in
  a policy), ``how`` (``value``: the key's value differs from the base's; ``set`` or ``scale``: a dated policy the
  base does not have, with ``policy`` and ``policy_date``; ``policy_removed``), ``base_value`` and ``value``
  (JSON). A scenario run on its own has its dated policies here;
* ``indicators``: each scenario's ``summary.csv``: ``indicator``, ``breakdown``, ``group_name``, ``mean``,
  ``ci95_low``, ``ci95_high``, ``sd``, ``replications``, ``rough`` and ``headline`` (one of the headline indicators);
* ``differences``: a comparison's ``compare.csv``, per option (``scenario``): ``base_mean``, ``option_mean``,
  ``difference_mean`` with ``difference_ci95_low`` and ``difference_ci95_high``, ``difference_sd``, ``p_value``,
  ``p_adjusted``, ``distinguishable``, ``family``;
* ``parquet_files``: every Parquet table of each scenario: ``table_name`` (children, stages, timeline...),
  ``replication`` (none for a combined table) and its absolute ``path``, which dangles once the folder is deleted.

Every option that changed Cafcass advisers, with its public law share within 26 weeks::

    SELECT r.run_id, r.kind, c.scenario, count(DISTINCT c.key) AS keys_changed, i.mean, i.ci95_low, i.ci95_high
    FROM changes c JOIN runs r USING (run_id) JOIN indicators i USING (run_id, scenario)
    WHERE c.key LIKE '%cafcass%advisers%' AND i.indicator = 'disposed_within_26_weeks_share'
      AND i.breakdown = 'case_type' AND i.group_name = 'public_law'
    GROUP BY ALL ORDER BY r.run_id, c.scenario

DuckDB lets one process write a database file at a time (and none read while one writes), so every operation
opens a short-lived connection and, while another process holds the file, waits and tries again with growing
pauses for up to :data:`LOCK_WAIT_SECONDS`; each registration is one transaction, so a record is whole or absent.
Queries run on a read-only connection, and only a single ``SELECT`` (or ``EXPLAIN``) is accepted, because a
read-only DuckDB connection can still write files (``COPY ... TO``) or attach other databases.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from sim.experiment.owned_files import absolute
from sim.experiment.run_record import RecordError, RunRecord, read_record

ENVIRONMENT_VARIABLE = "FJSIM_RUNS_DB"
DEFAULT_STORE = Path("results") / "runs.duckdb"
SCHEMA_VERSION = "1"
LOCK_WAIT_SECONDS = 60.0
"""How long an operation waits for another process to release the database: longer than any registration takes."""
FIRST_PAUSE_SECONDS, LONGEST_PAUSE_SECONDS = 0.02, 0.5
"""The pauses between tries on a locked database: doubling from the first, never past the longest, each jittered."""
MESSAGE_CHARACTERS = 300
"""DuckDB's message is shortened to its first line, and to this many characters."""
QUERY_STATEMENTS = ("SELECT", "EXPLAIN")
TABLES = ("runs", "scenarios", "changes", "indicators", "differences", "parquet_files")
CHILD_TABLES = TABLES[1:]
LIST_FIGURES = (
    ("public law weeks", "time_to_disposal_weeks_mean", "case_type", "public_law"),
    ("public law within 26 weeks", "disposed_within_26_weeks_share", "case_type", "public_law"),
)
"""The figures ``runs list`` shows for each record (its base's, or its only scenario's): (label, indicator row)."""

SCHEMA = f"""
CREATE SEQUENCE IF NOT EXISTS run_ids START 1;
CREATE TABLE IF NOT EXISTS store_info (key VARCHAR PRIMARY KEY, value VARCHAR);
INSERT INTO store_info VALUES ('schema_version', '{SCHEMA_VERSION}') ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY, kind VARCHAR NOT NULL, status VARCHAR, started_utc TIMESTAMP, ended_utc TIMESTAMP,
    wall_seconds DOUBLE, registered_utc TIMESTAMP NOT NULL, folder VARCHAR NOT NULL UNIQUE, scenario_name VARCHAR,
    scenario_sha256 VARCHAR, root_seed UBIGINT, replications INTEGER, code_commit VARCHAR, code_dirty BOOLEAN,
    command_line VARCHAR, manifest JSON);
CREATE TABLE IF NOT EXISTS scenarios (
    run_id INTEGER NOT NULL, scenario VARCHAR NOT NULL, role VARCHAR, name VARCHAR, folder VARCHAR,
    scenario_path VARCHAR, scenario_sha256 VARCHAR, scenario_files JSON, resolved JSON, root_seed UBIGINT,
    replications_used INTEGER[], status VARCHAR);
CREATE TABLE IF NOT EXISTS changes (
    run_id INTEGER NOT NULL, scenario VARCHAR NOT NULL, key VARCHAR NOT NULL, how VARCHAR NOT NULL, base_value JSON,
    value JSON, policy VARCHAR, policy_date DATE);
CREATE TABLE IF NOT EXISTS indicators (
    run_id INTEGER NOT NULL, scenario VARCHAR NOT NULL, indicator VARCHAR NOT NULL, breakdown VARCHAR,
    group_name VARCHAR, mean DOUBLE, ci95_low DOUBLE, ci95_high DOUBLE, sd DOUBLE, replications INTEGER,
    rough BOOLEAN, headline BOOLEAN);
CREATE TABLE IF NOT EXISTS differences (
    run_id INTEGER NOT NULL, scenario VARCHAR NOT NULL, indicator VARCHAR NOT NULL, breakdown VARCHAR,
    group_name VARCHAR, base_mean DOUBLE, option_mean DOUBLE, difference_mean DOUBLE, difference_ci95_low DOUBLE,
    difference_ci95_high DOUBLE, difference_sd DOUBLE, replications INTEGER, rough BOOLEAN, p_value DOUBLE,
    p_adjusted DOUBLE, distinguishable BOOLEAN, family VARCHAR);
CREATE TABLE IF NOT EXISTS parquet_files (
    run_id INTEGER NOT NULL, scenario VARCHAR NOT NULL, table_name VARCHAR NOT NULL, replication INTEGER,
    path VARCHAR NOT NULL);
"""


class RunStoreError(ValueError):
    """The store cannot do what was asked (an unknown id, bad SQL, a file that is not a run store): a user error."""


def store_path(given: str | Path | None = None) -> Path:
    """The store to use: ``given`` (``--runs-db``), else ``$FJSIM_RUNS_DB``, else ``results/runs.duckdb`` here."""
    chosen = given or os.environ.get(ENVIRONMENT_VARIABLE) or DEFAULT_STORE
    return absolute(Path(chosen).expanduser())


def shorten(exc: BaseException) -> str:
    """DuckDB's message, first line only (and a 'Did you mean' hint if it gives one), not too long."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    kept = lines[:1] + [line for line in lines[1:] if line.startswith("Did you mean")][:1]
    text = " ".join(kept) or type(exc).__name__
    return text if len(text) <= MESSAGE_CHARACTERS else text[: MESSAGE_CHARACTERS - 3] + "..."


def first(con: Any, sql: str, parameters: list[Any] | None = None) -> tuple[Any, ...] | None:
    """The first row of a query, or None; the result is read to its end, which DuckDB needs before the next one."""
    rows = con.execute(sql, parameters or []).fetchall()
    return rows[0] if rows else None


def path_exists(path: str | None) -> bool:
    """Whether a stored path is still there (a SQL function in ``runs query``: ``path_exists(folder)``)."""
    return bool(path) and os.path.exists(path)


class RunStore:
    """The run store at ``path``: each method opens a short-lived connection, so processes can share the file."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = store_path(path)

    # ------------------------------------------------------------------------------------------ connections
    def _connect(self, read_only: bool) -> Any:
        import duckdb

        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        pause = FIRST_PAUSE_SECONDS
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.Error as exc:
                locked = "lock" in str(exc).lower()
                if locked and time.monotonic() < deadline:
                    time.sleep(pause * (0.5 + random.random()))  # jittered, so two waiting processes do not collide
                    pause = min(2 * pause, LONGEST_PAUSE_SECONDS)
                    continue
                if locked:
                    raise RunStoreError(
                        f"the run store {self.path} is held by another process for over {LOCK_WAIT_SECONDS:.0f} s "
                        f"({shorten(exc)}); try again when it has finished"
                    ) from None
                raise RunStoreError(
                    f"{self.path} cannot be opened as a run store: {shorten(exc)} (name another with --runs-db PATH "
                    f"or {ENVIRONMENT_VARIABLE})"
                ) from None

    def _check_schema(self, con: Any, create: bool) -> None:
        """A store made by this tool (creating it in a new, empty database), or a clear error."""
        existing = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if "store_info" not in existing:
            if existing or not create:
                raise RunStoreError(
                    f"{self.path} is a DuckDB database but not a run store (it has no store_info table); name "
                    f"another with --runs-db PATH or {ENVIRONMENT_VARIABLE}"
                )
            con.execute(SCHEMA)
            return
        version = first(con, "SELECT value FROM store_info WHERE key = 'schema_version'")
        if version is None or version[0] != SCHEMA_VERSION:
            raise RunStoreError(
                f"{self.path} is a run store of schema version {version[0] if version else 'unknown'}; this version "
                f"of the tool reads version {SCHEMA_VERSION}"
            )

    @contextmanager
    def _writing(self) -> Iterator[Any]:
        """A connection in one transaction: committed if the block ends normally, rolled back otherwise."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = self._connect(read_only=False)
        try:
            self._check_schema(con, create=True)
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    @contextmanager
    def _reading(self) -> Iterator[Any]:
        if not self.path.exists():
            raise RunStoreError(f"no runs are registered yet: {self.path} does not exist")
        con = self._connect(read_only=True)
        try:
            self._check_schema(con, create=False)
            yield con
        finally:
            con.close()

    def exists(self) -> bool:
        return self.path.exists()

    # ------------------------------------------------------------------------------------------ writing
    def register(self, folder: str | Path, kind: str | None = None) -> tuple[int, bool, RunRecord]:
        """Record ``folder`` (its kind inferred unless given); returns the id, whether it replaced a record, and it.

        The files are read before the database is opened, so the lock is held only while the rows are written.
        """
        try:
            record = read_record(folder, kind)
        except RecordError as exc:
            raise RunStoreError(str(exc)) from None
        run = {**record.run, "registered_utc": dt.datetime.now(dt.UTC).replace(tzinfo=None)}
        with self._writing() as con:
            found = first(con, "SELECT run_id FROM runs WHERE folder = ?", [run["folder"]])
            if found is None:
                run_id = int(first(con, "SELECT nextval('run_ids')")[0])
                columns = ["run_id", *run]
                marks = ", ".join("?" for _ in columns)
                con.execute(f"INSERT INTO runs ({', '.join(columns)}) VALUES ({marks})", [run_id, *run.values()])
            else:
                run_id = int(found[0])
                updated = {k: v for k, v in run.items() if k != "folder"}
                assignments = ", ".join(f"{k} = ?" for k in updated)
                con.execute(f"UPDATE runs SET {assignments} WHERE run_id = ?", [*updated.values(), run_id])
                for table in CHILD_TABLES:
                    con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
            for table, rows in (
                ("scenarios", record.scenarios),
                ("changes", record.changes),
                ("indicators", record.indicators),
                ("differences", record.differences),
                ("parquet_files", record.tables),
            ):
                if len(rows):  # as Arrow, which every DuckDB reads, whatever dtypes this pandas gives text
                    con.register("incoming", pa.Table.from_pandas(rows, preserve_index=False))
                    con.execute(f"INSERT INTO {table} BY NAME SELECT {run_id} AS run_id, * FROM incoming")
                    con.unregister("incoming")
        return run_id, found is not None, record

    def forget(self, run_id: int) -> str:
        """Drop a record (never its files); returns its folder."""
        with self._writing() as con:
            found = first(con, "SELECT folder FROM runs WHERE run_id = ?", [run_id])
            if found is None:
                raise RunStoreError(self._unknown(con, run_id))
            for table in (*CHILD_TABLES, "runs"):
                con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
        return str(found[0])

    def _unknown(self, con: Any, run_id: int) -> str:
        ids = [row[0] for row in con.execute("SELECT run_id FROM runs ORDER BY run_id").fetchall()]
        known = f"ids {ids[0]} to {ids[-1]}" if ids else "no runs"
        return f"no run {run_id} in {self.path} (it holds {known}; runs list shows them)"

    # ------------------------------------------------------------------------------------------ reading
    def list_runs(self) -> pd.DataFrame:
        """One row per record, newest first: its fields, its scenarios in words, LIST_FIGURES, and ``missing``."""
        with self._reading() as con:
            runs = con.execute(
                "SELECT run_id, kind, status, started_utc, scenario_name, folder, replications FROM runs "
                "ORDER BY started_utc DESC NULLS LAST, run_id DESC"
            ).df()
            members = con.execute("SELECT run_id, scenario, role FROM scenarios").df()
            figures = con.execute(
                "SELECT i.run_id, i.indicator, i.breakdown, i.group_name, i.mean, i.ci95_low, i.ci95_high "
                "FROM indicators i JOIN scenarios s USING (run_id, scenario) WHERE s.role IN ('run', 'base')"
            ).df()
        runs["scenarios"] = [
            describe_members(members[members.run_id == run_id], name)
            for run_id, name in zip(runs.run_id, runs.scenario_name, strict=True)
        ]
        for label, indicator, breakdown, group in LIST_FIGURES:
            chosen = (figures.indicator == indicator) & (figures.breakdown == breakdown) & (figures.group_name == group)
            rows = figures[chosen].set_index("run_id")
            for column, suffix in (("mean", ""), ("ci95_low", " ci95_low"), ("ci95_high", " ci95_high")):
                runs[label + suffix] = runs["run_id"].map(rows[column]).astype(float)
        runs["missing"] = ~runs["folder"].map(path_exists)
        return runs

    def show(self, run_id: int) -> dict[str, pd.DataFrame]:
        """Everything stored about one record, each table's rows for it (``runs`` as one row)."""
        with self._reading() as con:
            if first(con, "SELECT 1 FROM runs WHERE run_id = ?", [run_id]) is None:
                raise RunStoreError(self._unknown(con, run_id))
            shown = {t: con.execute(f"SELECT * FROM {t} WHERE run_id = ?", [run_id]).df() for t in TABLES}
        shown["runs"]["missing"] = ~shown["runs"]["folder"].map(path_exists)
        shown["scenarios"]["missing"] = ~shown["scenarios"]["folder"].map(path_exists)
        shown["parquet_files"]["missing"] = ~shown["parquet_files"]["path"].map(path_exists)
        return shown

    def query(self, sql: str) -> tuple[pd.DataFrame, list[str]]:
        """The result of one read-only ``SELECT``, and notes on paths in it whose folders are gone."""
        with self._reading() as con:
            try:
                statements = con.extract_statements(sql)
            except Exception as exc:  # duckdb's parser error, whichever of its classes
                raise RunStoreError(f"the query is not valid SQL: {shorten(exc)}") from None
            if len(statements) != 1:
                raise RunStoreError(f"runs query takes one SELECT statement, got {len(statements)}")
            kind = statements[0].type.name
            if kind not in QUERY_STATEMENTS:
                raise RunStoreError(
                    f"runs query only reads: a {kind} statement is refused (use runs forget ID to drop a record)"
                )
            con.create_function("path_exists", path_exists, ["VARCHAR"], "BOOLEAN", null_handling="special")
            try:
                result = con.execute(sql).df()
            except Exception as exc:
                raise RunStoreError(f"the query failed: {shorten(exc)} (the tables: {', '.join(TABLES)})") from None
            folders = [row[0] for row in con.execute("SELECT folder FROM runs").fetchall()]
        return result, dangling_notes(result, [f for f in folders if not path_exists(f)])


def describe_members(members: pd.DataFrame, base: str | None) -> str:
    """A record's scenarios in a few words: the scenario, 'BASE vs OPTION, ...', or 'BASE, N settings'."""
    options = list(members.loc[members.role == "option", "scenario"])
    settings = int((members.role == "setting").sum())
    if options:
        return f"{base} vs {', '.join(options)}"
    if settings:
        return f"{base}, {settings} setting{'s' if settings != 1 else ''}"
    return str(base)


def dangling_notes(result: pd.DataFrame, missing_folders: list[str]) -> list[str]:
    """A note for each gone folder that paths in the result lie in: the figures stand, the files do not."""
    if not missing_folders or result.empty:
        return []
    notes = []
    texts = [v for column in result.columns for v in result[column].dropna() if isinstance(v, str)]
    for folder in missing_folders:
        hits = sum(1 for text in texts if text == folder or text.startswith(folder + os.sep))
        if hits:
            notes.append(
                f"note: {hits} path{'s' if hits != 1 else ''} in the result lie in {folder}, which no longer exists: "
                "the figures stored for it stand, its files (Parquet tables, reports) are gone"
            )
    return notes
