"""The results folder: its layout, preparing it for a run, and reading it back.

A run directory looks like this::

    DIR/manifest.json                 how to reproduce the run (written at the start, and again at the end)
    DIR/replications/rep-0000/        one folder per replication, written as it finishes:
        children.parquet stages.parquet timeline.parquet   (each file atomic)
        indicators.parquet                                  (its indicators, from sim.analysis)
        stats.json                                          (written last: the replication is complete)
    DIR/children.parquet, stages.parquet, timeline.parquet  all replications, assembled at the end
    DIR/indicators.csv                one row per replication and indicator
    DIR/summary.csv                   one row per indicator: mean, 95% CI, sd across replications
    DIR/report.html, DIR/journey_rep-0000.ocel.json         the report and journey log (sim.outputs)

Every file with a final name is complete (written under ``.NAME.partial`` and renamed), and the combined
tables appear only once every replication has finished. This module owns the layout: the writers
(:mod:`sim.experiment.replications` and the other experiments), the readers (:mod:`sim.outputs`, the
notebook facade :mod:`sim.api`) and ``--force`` (:func:`remove_outputs`) all take it from here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from sim.experiment.manifest import MANIFEST_NAME

TABLES = ("children", "stages", "timeline")
REPLICATIONS_DIR = "replications"
DONE_MARKER = "stats.json"
"""Written last in a replication's folder: the replication is complete."""


class RunDirectoryError(ValueError):
    """The output directory cannot be used as asked (exists and is not empty, not a run to resume...)."""


class ResultsDirError(ValueError):
    """A directory that is not the output of a run (or lacks what was asked of it): a user error."""


def replication_dir(out: str | Path, replication: int) -> Path:
    """The folder of one replication: ``DIR/replications/rep-NNNN``."""
    return Path(out) / REPLICATIONS_DIR / f"rep-{replication:04d}"


# ---------------------------------------------------------------------------------------------- writing
RUN_OUTPUTS = (
    *[f"{t}.parquet" for t in TABLES],
    "indicators.csv",
    "summary.csv",
    MANIFEST_NAME,
    "report.html",  # sim.outputs.report
    "journey_rep-*.ocel.json",  # sim.outputs.ocel
    "validation.csv",  # sim.experiment.validation
    "validation.md",
    "compare.csv",  # sim.experiment.compare
    "delay_distributions.png",
    "differences_forest.png",
    "sweep.csv",  # sim.experiment.sweep
    "sweep_summary.csv",
    "tornado.png",
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
    ".*.partial",  # a file being written when a run was stopped
)
"""What a run (or compare, sweep, warmup, validation) writes at the top of its output directory (glob patterns)."""
RUN_SUBDIRECTORIES = (REPLICATIONS_DIR, "scenarios", "settings", "evaluations")
"""Folders of sub-runs: replications/rep-NNNN, compare's scenarios/NAME, sweep's settings/setting-NNN,
calibrate model's evaluations/eval-NNNN."""


def prepare_directory(out: str | Path, *, force: bool) -> None:
    """Refuse a non-empty directory unless ``force``; with ``force`` remove what an earlier run wrote there."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise RunDirectoryError(f"{out} exists and is not a directory")
    if out.exists() and any(out.iterdir()):
        if not force:
            raise RunDirectoryError(
                f"the output directory {out} already exists and is not empty; choose another --out, "
                "add --force to replace the results in it, or use --resume to continue a run there"
            )
        remove_outputs(out)
    out.mkdir(parents=True, exist_ok=True)


def remove_outputs(out: str | Path) -> list[Path]:
    """Delete what an earlier run wrote in ``out`` (see RUN_OUTPUTS), leaving anything else; return what went.

    A folder of sub-runs is removed only if it holds nothing but folders, so a user's own ``scenarios/``
    folder of YAML files is never deleted.
    """
    out = Path(out)
    removed: list[Path] = []
    for pattern in RUN_OUTPUTS:
        for path in sorted(out.glob(pattern)):
            if path.is_file() or path.is_symlink():
                path.unlink()
                removed.append(path)
    for name in RUN_SUBDIRECTORIES:
        folder = out / name
        if folder.is_dir() and not folder.is_symlink() and all(p.is_dir() for p in folder.iterdir()):
            shutil.rmtree(folder)
            removed.append(folder)
    return removed


# ---------------------------------------------------------------------------------------------- reading
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


def replications_in(directory: str | Path) -> list[int]:
    """The replications whose tables a results directory holds, in order."""
    directory = Path(directory)
    found = sorted(
        int(p.parent.name.removeprefix("rep-"))
        for p in directory.glob(f"{REPLICATIONS_DIR}/rep-*/{DONE_MARKER}")
        if (p.parent / "children.parquet").exists()
    )
    if found:
        return found
    path = directory / "children.parquet"
    if path.exists():
        reps = pq.read_table(path, columns=["replication"]).column("replication").to_pandas()
        return sorted(int(r) for r in reps.unique())
    raise ResultsDirError(f"{directory} holds no replications")


def read_table(
    directory: str | Path,
    name: str,
    replication: int | None = None,
    columns: list[str] | None = None,
    filters: list[tuple] | None = None,
) -> pd.DataFrame:
    """One table (``children``, ``stages`` or ``timeline``) of a results directory, as a DataFrame.

    With ``replication``, only that replication (read from its own folder when it is there, which is
    faster); ``filters`` are pyarrow filters such as ``[("child_id", "==", 12)]``.
    """
    directory = Path(directory)
    own = replication_dir(directory, replication) / f"{name}.parquet" if replication is not None else None
    if own is not None and own.exists():
        return pq.read_table(own, columns=columns, filters=filters or None).to_pandas()
    path = directory / f"{name}.parquet"
    if not path.exists():
        raise ResultsDirError(f"{directory} has no {name}.parquet")
    if replication is not None:
        filters = [("replication", "==", replication), *(filters or [])]
    return pq.read_table(path, columns=columns, filters=filters or None).to_pandas()


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """The run's manifest.json ({} if there is none)."""
    path = Path(directory) / MANIFEST_NAME
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))
