"""The results folder: its layout, preparing it for a run (locked, --force), and reading it back.

A run directory looks like this::

    DIR/manifest.json                 how to reproduce the run (written at the start, and again at the end), and
                                      under "outputs" every file the tool wrote in DIR
    DIR/.fjsim.lock                   while a command writes into DIR: its pid and host (sim.experiment.folder_lock)
    DIR/replications/rep-0000/        one folder per replication, written as it finishes:
        children.parquet stages.parquet timeline.parquet   (each file atomic)
        indicators.parquet                                  (its indicators, from sim.analysis)
        stats.json                                          (written last: the replication is complete)
        region-00/ ...                while it runs: each region's tables, simulated apart and joined into the
                                      replication's when all are done (sim.experiment.replication_parts);
        .joining                      while the last part joins them
    DIR/indicators.csv                one row per replication and indicator
    DIR/summary.csv                   one row per indicator: mean, 95% CI, sd across replications, rough or not
    DIR/drift.csv                     the headline series tested for a trend over the results period
    DIR/report.html, DIR/journey_rep-0000.ocel.json         the report and journey log (sim.outputs)

Every file with a final name is complete (written under ``.NAME.partial`` and renamed). Each table is stored
once, in the replications' folders: the run's table, every replication in order, is a view over them
(:mod:`sim.experiment.run_tables`, which reads them back; a folder written by an older version also holds
combined copies at its top, still read when its replications' folders are gone). This module owns the layout:
the writers (:mod:`sim.experiment.replications` and the other experiments), the readers
(:mod:`sim.experiment.run_tables`, :mod:`sim.outputs`, the notebook facade :mod:`sim.api`) and ``--force`` all
take it from here. :func:`output_folder` is how a command
holds its folder: made if missing (and removed again if the command fails before writing anything), locked,
emptied of the previous run's files by ``--force`` (only those the manifest lists:
:mod:`sim.experiment.owned_files`), and marked failed in the manifest if the command fails. The readers turn a
damaged or hand-edited folder (a manifest that is not JSON or lacks a key, a table that is not Parquet) into a
:class:`ResultsDirError` naming the file.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.experiment.folder_lock import LOCK_FILES, FolderLock
from sim.experiment.owned_files import (
    MANIFEST_NAME,
    OUTPUTS_KEY,
    RunDirectoryError,
    ledger,
    listed_in,
    partial_of,
    read_json_object,
    remove_listed,
    write_atomically,
)

__all__ = ["RunDirectoryError", "ResultsDirError", "write_atomically"]

TABLES = ("children", "stages", "timeline")
REPLICATIONS_DIR = "replications"
DONE_MARKER = "stats.json"
"""Written last in a replication's folder: the replication is complete."""
ERROR_MARKER = "error.json"
"""Written instead of DONE_MARKER by a replication that failed."""
REPLICATION_FILES = (*[f"{t}.parquet" for t in TABLES], "indicators.parquet", DONE_MARKER, ERROR_MARKER)
"""Everything a replication writes in its folder (claimed by the run before the replication is sent out)."""
PART_PREFIX = "region-"
"""A replication's part for one region is simulated into ``region-NN`` (its code) in the replication's folder."""
PART_MARKER = "part.json"
"""Written last in a part's folder: its counts, and when it started and ended (seconds since the epoch)."""
PART_FILES = (*[f"{t}.parquet" for t in TABLES], PART_MARKER)
"""Everything a part writes in its folder (:mod:`sim.experiment.replication_parts`)."""
JOIN_LOCK = ".joining"
"""Created in the replication's folder by the one part that joins the parts into the replication's tables."""


class ResultsDirError(ValueError):
    """A directory that is not the output of a run (or lacks what was asked of it, or is damaged): a user error."""


def replication_dir(out: str | Path, replication: int) -> Path:
    """The folder of one replication: ``DIR/replications/rep-NNNN``."""
    return Path(out) / REPLICATIONS_DIR / f"rep-{replication:04d}"


def part_dir(folder: Path, region: int) -> Path:
    """The folder a replication's part for one region (its code) is simulated into, inside the replication's."""
    return folder / f"{PART_PREFIX}{region:02d}"


def replication_files(out: str | Path, replications: list[int], regions: int = 0) -> list[Path]:
    """The files the given replications write, with their parts' for ``regions`` regions, for
    :func:`sim.experiment.owned_files.claim`."""
    files = []
    for r in replications:
        folder = replication_dir(out, r)
        files += [folder / name for name in REPLICATION_FILES]
        files += [part_dir(folder, g) / name for g in range(regions) for name in PART_FILES]
        files += [folder / JOIN_LOCK] if regions else []
    return files


def _remove(folder: Path, names: tuple[str, ...]) -> None:
    """Remove the files ``names`` in ``folder`` and their temporary files, then the folder if that leaves it empty."""
    for name in names:
        for path in (folder / name, partial_of(folder / name)):
            path.unlink(missing_ok=True)
    with suppress(OSError):
        folder.rmdir()


def clear_part(folder: Path) -> None:
    """Remove the tables a part wrote in its ``folder`` (and the folder, if that leaves it empty); nothing else."""
    _remove(folder, PART_FILES)


def clear_parts(folder: Path) -> None:
    """Remove what the parts of the replication in ``folder`` wrote (a failed or interrupted replication's)."""
    for part in sorted(folder.glob(f"{PART_PREFIX}[0-9][0-9]")):
        clear_part(part)


def clear_replication(folder: Path) -> None:
    """Remove what a replication wrote in ``folder``, its parts' tables included (and the folder, if that leaves
    it empty); nothing else."""
    clear_parts(folder)
    _remove(folder, (*REPLICATION_FILES, JOIN_LOCK))


# ---------------------------------------------------------------------------------------------- writing
RUN_OUTPUTS = (
    "indicators.csv",
    "summary.csv",
    "drift.csv",
    MANIFEST_NAME,
    "report.html",  # sim.outputs.report
    "journey_rep-*.ocel.json",  # sim.outputs.ocel
    "validation.csv",  # sim.experiment.validation
    "validation.md",
    "compare.csv",  # sim.experiment.compare
    "delay_distributions.png",
    "differences_forest.png",
    "comparison.html",  # sim.outputs.comparison_report
    "sweep.csv",  # sim.experiment.sweep
    "sweep_summary.csv",
    "tornado.png",
    "sensitivity.csv",  # sim.experiment.sensitivity
    "sensitivity.png",  # sim.outputs.sensitivity_figure
    "warmup.csv",  # sim.experiment.warmup
    "warmup.json",
    "welch.png",
    "fit.csv",  # sim.experiment.model_calibration.fit
    "evaluations.csv",
    "identifiability.csv",
    "parameters.csv",
    "fitted.yaml",
    "options.csv",  # sim.experiment.options
    "elasticity.csv",
    "options.md",  # sim.outputs.options_record
    "backcast.csv",  # sim.experiment.backcast
    "backcast_trajectory.csv",
    "backcast.md",
    "backcast.png",  # sim.outputs.backcast_figure
)
"""File names a command writes at the top of its output directory (glob patterns). Which files a run wrote is in
its manifest; these names are for refusing, before a run starts, a file of the user's that it would overwrite."""
KEPT_SHOWN = 10
"""At most this many of the files --force kept are named in its note."""


def prepare_directory(out: str | Path, *, force: bool) -> list[Path]:
    """Refuse a non-empty directory unless ``force``; with ``force`` remove what an earlier run wrote there.

    Returns what ``force`` kept (not the tool's). Only the files the previous manifest lists go
    (:func:`sim.experiment.owned_files.remove_listed`); with no manifest of this tool, nothing goes. A file the
    manifest does not list but named like one of this tool's outputs is refused before anything is deleted,
    rather than found in the way at the end of the run.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise RunDirectoryError(f"{out} exists and is not a directory")
    present = [p for p in out.iterdir() if p.name not in LOCK_FILES] if out.is_dir() else []
    kept: list[Path] = []
    if present:
        if not force:
            raise RunDirectoryError(
                f"the output directory {out} already exists and is not empty; choose another --out, "
                "add --force to replace the results in it, or use --resume to continue a run there"
            )
        listed = listed_in(out)
        ours = set(listed or [])
        in_the_way = sorted(
            p.name for p in present if p.name not in ours and any(fnmatch(p.name, pattern) for pattern in RUN_OUTPUTS)
        )
        if in_the_way:
            whose = (
                "has no manifest.json of this tool listing the files it wrote (none, one from an older version, or "
                "a damaged one), and it holds"
                if listed is None
                else "holds"
            )
            raise RunDirectoryError(
                f"--force deletes only files this tool wrote, as the folder's manifest.json lists them. {out} {whose} "
                f"{', '.join(in_the_way)}, which this tool would write but did not (as far as it can tell). Nothing "
                "was deleted: move them elsewhere, or choose another --out"
            )
        kept = remove_listed(out, listed or [], ignore=LOCK_FILES).kept
    out.mkdir(parents=True, exist_ok=True)
    return kept


def _make_folders(out: Path) -> list[Path]:
    """Make ``out`` and any missing parents; return those made, deepest first (to remove if left empty)."""
    missing = []
    folder = out
    while not folder.exists() and not folder.is_symlink() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    made: list[Path] = []
    try:
        for folder in reversed(missing):
            folder.mkdir()
            made.insert(0, folder)
    except BaseException:
        _remove_if_empty(made)
        raise
    return made


def _remove_if_empty(folders: list[Path]) -> None:
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


@contextmanager
def output_folder(
    out: str | Path,
    *,
    force: bool = False,
    resume: bool = False,
    existing: bool = False,
    command: list[str] | None = None,
    log: Callable[[str], None] | None = None,
) -> Iterator[Path]:
    """Hold ``out`` for one command: made, locked, prepared, its manifest kept, and released whatever happens.

    A new run (the default) makes the folder (and missing parents) and refuses one that is not empty unless
    ``force``, which removes the files the previous run's manifest lists. ``resume`` continues the run already
    there; ``existing`` adds a file to a finished results folder (a report, a journey log, a validation record).
    If the command fails, the manifest says so; folders made here and left empty are removed again.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise RunDirectoryError(f"{out} exists and is not a directory")
    if (resume or existing) and not out.is_dir():
        raise ResultsDirError(f"{out} is not a directory (give the --out directory of a run)")
    made = [] if (resume or existing) else _make_folders(out)
    try:
        with FolderLock(out, command):
            strict = not existing
            if resume:
                manifest = read_json_object(out / MANIFEST_NAME)
                strict = manifest is not None and OUTPUTS_KEY in manifest  # written before the list was kept
            elif not existing:
                kept = prepare_directory(out, force=force)
                if kept and log:
                    names = ", ".join(p.relative_to(out).as_posix() for p in kept[:KEPT_SHOWN])
                    more = f" and {len(kept) - KEPT_SHOWN} more" if len(kept) > KEPT_SHOWN else ""
                    log(f"note: --force kept what this tool did not write in {out}: {names}{more}")
            with ledger(out, strict=strict, owner=not existing):
                yield out
    finally:
        _remove_if_empty(made)


# ---------------------------------------------------------------------------------------------- reading
DAMAGED = "(was it edited by hand, or cut short?)"


def _not_parquet(path: Path, exc: Exception) -> ResultsDirError:
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return ResultsDirError(f"{path} cannot be read as a Parquet table: {first} {DAMAGED}")


def read_parquet(path: Path, **options: Any) -> pa.Table:
    """A Parquet file of a results folder, its 32-bit floats as 64-bit (:func:`doubles`); one that is not Parquet
    (or not readable as such) is a ResultsDirError."""
    try:
        return doubles(pq.read_table(path, **options))
    except (pa.ArrowException, ValueError) as exc:
        raise _not_parquet(path, exc) from None


def doubles(table: pa.Table) -> pa.Table:
    """``table`` with its 32-bit float columns as 64-bit floats. Days and ages are stored as 32-bit floats on a grid
    (:mod:`sim.model.columns`); read back as 64-bit, a sum or mean over a million rows is taken in double precision
    (pandas and numpy keep a float32 column's sums in float32)."""
    for i, field in enumerate(table.schema):
        if field.type == pa.float32():
            table = table.set_column(i, field.with_type(pa.float64()), table.column(i).cast(pa.float64()))
    return table


def double_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """One column as :func:`doubles` reads it: a 32-bit float column as 64-bit floats, any other as it is."""
    return column.cast(pa.float64()) if column.type == pa.float32() else column


def parquet_file(path: Path) -> pq.ParquetFile:
    """A Parquet file opened to read row group by row group (a ResultsDirError if it is not one)."""
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, ValueError) as exc:
        raise _not_parquet(path, exc) from None


MANIFEST_SECTIONS: dict[str, type | tuple[type, ...]] = {
    "scenario": dict,
    "starting_state": dict,
    "run_options": dict,
    "random": dict,
    "packages": dict,
    "code": dict,
    "machine": dict,
    "replications": dict,
    "policies": list,
    "command_line": list,
    "failed_replications": list,
    "precision": (dict, type(None)),
    OUTPUTS_KEY: list,
}
"""The manifest's sections the readers use, with the type each must have when it is there."""


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text"}.get(type(value), type(value).__name__)


def check_run_manifest(data: Any, path: Path) -> dict[str, Any]:
    """``data`` if it is a run manifest the readers can use, else a ResultsDirError naming the key that is wrong.

    Sections may be missing (a run from an older version), but not of the wrong type; a manifest with a
    ``scenario`` must also say the results period (``scenario.resolved.run_years`` and
    ``starting_state.results_start_date``), which the report and the journey read.
    """
    if not isinstance(data, dict):
        raise ResultsDirError(f"{path} is not a run manifest: it holds {_kind(data)}, not a JSON object {DAMAGED}")

    def wrong(key: str, should: str) -> ResultsDirError:
        return ResultsDirError(f"{path}: {key} {should} {DAMAGED}")

    for key, kind in MANIFEST_SECTIONS.items():
        if key in data and not isinstance(data[key], kind):
            expected = kind if isinstance(kind, type) else kind[0]
            raise wrong(key, f"must be {_kind(expected())}, not {_kind(data[key])}")
    for key, item in data.get("replications", {}).items():
        if not isinstance(item, dict):
            raise wrong(f"replications.{key}", f"must be a mapping, not {_kind(item)}")
    for i, item in enumerate(data.get("policies", [])):
        if not isinstance(item, dict) or not all(k in item for k in ("name", "date")):
            raise wrong(f"policies[{i}]", "must be a mapping with a name and a date")
    if not all(isinstance(part, str) for part in data.get("command_line", [])):
        raise wrong("command_line", "must be a list of words")
    if "scenario" not in data:
        return data
    scenario = data["scenario"]
    for key in ("resolved", "files"):
        if key in scenario and not isinstance(scenario[key], dict if key == "resolved" else list):
            raise wrong(f"scenario.{key}", f"must be {'a mapping' if key == 'resolved' else 'a list'}")
    if not all(isinstance(f, dict) and "path" in f for f in scenario.get("files", [])):
        raise wrong("scenario.files", "must list each file as a mapping with its path")
    years = scenario.get("resolved", {}).get("run_years")
    if isinstance(years, bool) or not isinstance(years, int | float) or not math.isfinite(years) or years <= 0:
        raise wrong("scenario.resolved.run_years", f"must be a number of years above 0 (got {years!r})")
    start = data.get("starting_state", {}).get("results_start_date")
    try:
        dt.date.fromisoformat(start)
    except (TypeError, ValueError):
        raise wrong("starting_state.results_start_date", f"must be a date YYYY-MM-DD (got {start!r})") from None
    return data


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """The run's manifest.json, checked (:func:`check_run_manifest`); {} if there is none."""
    path = Path(directory) / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ResultsDirError(f"{path} is not valid JSON ({exc}) {DAMAGED}") from None
    return check_run_manifest(data, path)
