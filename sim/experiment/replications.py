"""Replications of one scenario: seeds, executors, durable per-replication results, and the run outputs.

The run directory's layout (``DIR/replications/rep-NNNN/``, the combined tables, ``summary.csv``...) is
described and owned by :mod:`sim.experiment.results_folder`. Every file with a final name is complete
(written under ``.NAME.partial`` and renamed), and the combined tables appear only once every replication
has finished.

Replication ``r`` always draws the same random numbers: its streams are seeded from (root seed, r) (see
:mod:`sim.model.random_streams`), so results do not depend on the number of workers or the executor, and an
interrupted run can be resumed without redoing finished replications. The combined files are written by
streaming row groups from the per-replication files in replication order, so memory never holds every
replication at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.analysis.attribution import case_events
from sim.analysis.drift import drift_from_indicators, yearly_rows
from sim.analysis.indicators import HEADLINE, INDICATOR_COLUMNS
from sim.analysis.indicators import indicators as indicator_rows
from sim.analysis.periods import results_period as period_of
from sim.analysis.statistics import half_width_share, summarise
from sim.experiment.executors import Executor, LocalExecutor, describe_exception
from sim.experiment.manifest import MANIFEST_NAME, build_manifest, now_iso, write_manifest
from sim.experiment.memory import return_freed_memory
from sim.experiment.owned_files import claim, partial_of, writes_into
from sim.experiment.progress import QueueDrain, RunProgress
from sim.experiment.results_folder import (
    DONE_MARKER,
    ERROR_MARKER,
    REPLICATION_FILES,
    REPLICATIONS_DIR,
    TABLES,
    ResultsDirError,
    RunDirectoryError,
    clear_replication,
    parquet_file,
    read_parquet,
    replication_dir,
    replication_files,
    write_atomically,
)
from sim.model.replication import Replication
from sim.scenario.loading import LoadedScenario
from sim.scenario.schema import Scenario

STAGE_COLUMNS = ["replication", "case_id", "stage", "requested", "started"]
"""The columns of stages.parquet the child-centred indicators need (:func:`sim.analysis.attribution.case_events`)."""
UNUSED_CHILD_COLUMNS = frozenset(
    (
        "local_authority",
        "court_centre",
        "case_number",
        "arrival_date",
        "days_before_run",
        "pre_proceedings_days",
        "displaced",
        "outcome",
    )
)
"""Columns of children.parquet no indicator reads: left on disk when a replication's indicators are computed."""
CONFIRM_REPLICATIONS = 5
"""Hoad, Robinson and Davies (2010): the precision must hold for this many more replications before stopping."""


# ---------------------------------------------------------------------------------------------- one replication
@dataclass(frozen=True)
class ReplicationTask:
    """Everything a worker needs: picklable, so it runs the same in a thread, a process or on a cluster."""

    loaded: LoadedScenario
    replication: int
    seed: int
    directory: str
    progress: Any = None  # a callable (in-process), a queue (local processes) or None


@dataclass
class ReplicationResult:
    replication: int
    seed: int
    ok: bool
    stats: dict[str, Any] | None = None
    error: str | None = None
    traceback: str | None = None
    wall_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _progress_callback(task: ReplicationTask) -> Callable[[float], None] | None:
    target = task.progress
    if target is None:
        return None
    last = [-1.0]

    def report(fraction: float) -> None:
        if fraction - last[0] < 0.01 and fraction < 1.0:
            return
        last[0] = fraction
        if callable(target):
            target(task.replication, fraction)
        else:
            target.put((task.replication, fraction))

    return report


def results_period(scenario: Scenario) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(results start, run end) of a scenario, as :func:`sim.analysis.periods.run_period` reads them from a manifest."""
    return period_of(scenario.start_date, scenario.run_years)


def _read_lean(path: Path, columns: list[str] | None = None, exclude: frozenset[str] = frozenset()) -> pd.DataFrame:
    """A table of one replication as a DataFrame, read a column at a time so that memory holds the DataFrame and one
    column of Arrow, not a whole Arrow table beside it; dates as numpy dates rather than Python objects."""
    parquet = parquet_file(path)
    names = [n for n in (columns or parquet.schema_arrow.names) if n not in exclude]
    try:
        data = {n: parquet.read(columns=[n]).column(0).to_pandas(date_as_object=False) for n in names}
    except (pa.ArrowException, ValueError) as exc:
        raise ResultsDirError(f"{path} cannot be read as a Parquet table: {exc}") from None
    return pd.DataFrame(data, copy=False)


def replication_indicators(directory: Path, scenario: Scenario | None = None) -> pd.DataFrame:
    """The indicators of the replication whose tables are in ``directory``, from :mod:`sim.analysis`.

    Only this replication's tables are read, so memory holds one replication's rows, never the whole run's.
    ``scenario`` places the results period of the child-centred stock indicators (inferred from the children
    table without it) and adds the headline series year by year (:func:`sim.analysis.drift.yearly_rows`).
    """
    directory = Path(directory)
    children = _read_lean(directory / "children.parquet", exclude=UNUSED_CHILD_COLUMNS)
    timeline = _read_lean(directory / "timeline.parquet")
    times = case_events(children, _read_lean(directory / "stages.parquet", columns=STAGE_COLUMNS))  # stages freed
    period = results_period(scenario) if scenario is not None else None
    rows = indicator_rows(children, None, period, timeline=timeline, by_month=False, case_times=times)
    if scenario is not None:
        rows = pd.concat([rows, yearly_rows(children, timeline, scenario.start_date, scenario.run_years)])
    return rows.reset_index(drop=True)


def run_replication(task: ReplicationTask) -> ReplicationResult:
    """Run one replication into its folder; a failure is returned (with its traceback), not raised."""
    started = time.perf_counter()
    return_freed_memory()  # a worker on a cluster was not started by the command line
    directory = Path(task.directory)
    clear_replication(directory)  # leftovers of an interrupted attempt (only the files a replication writes)
    directory.mkdir(parents=True, exist_ok=True)
    try:
        stats = Replication(
            task.loaded, task.replication, directory, seed=task.seed, progress=_progress_callback(task)
        ).run()
        indicators = replication_indicators(directory, task.loaded.scenario)
        table = pa.Table.from_pandas(indicators, preserve_index=False)
        write_atomically(directory / "indicators.parquet", lambda tmp: pq.write_table(table, tmp))
        result = ReplicationResult(
            task.replication, task.seed, True, stats=asdict(stats), wall_seconds=time.perf_counter() - started
        )
        _write_json(directory / DONE_MARKER, result.to_json())
    except Exception as exc:
        for name in REPLICATION_FILES:  # a write cut short (a full disk) leaves no temporary file behind
            partial_of(directory / name).unlink(missing_ok=True)
        message, text = describe_exception(exc)
        result = ReplicationResult(
            task.replication,
            task.seed,
            False,
            error=message,
            traceback=text,
            wall_seconds=time.perf_counter() - started,
        )
        _write_json(directory / ERROR_MARKER, result.to_json())
    return result


def _write_json(path: Path, data: Any) -> None:
    text = json.dumps(data, indent=2, default=str) + "\n"
    write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def finished_replications(out: Path) -> dict[int, ReplicationResult]:
    """Replications of a run directory that completed (their stats.json exists)."""
    found: dict[int, ReplicationResult] = {}
    root = Path(out) / REPLICATIONS_DIR
    if not root.is_dir():
        return found
    for marker in sorted(root.glob(f"rep-[0-9][0-9][0-9][0-9]/{DONE_MARKER}")):
        try:
            data = json.loads(marker.read_text(encoding="utf-8"))
            result = ReplicationResult(**data)
            if not isinstance(result.replication, int) or f"rep-{result.replication:04d}" != marker.parent.name:
                raise ValueError(f"it is for replication {result.replication!r}")
        except (ValueError, TypeError) as exc:
            raise RunDirectoryError(
                f"{marker} cannot be read ({exc}), so that replication cannot be reused: delete its folder "
                f"{marker.parent} to run it again"
            ) from None
        found[result.replication] = result
    return found


# ---------------------------------------------------------------------------------------------- assembling outputs
def combine_tables(out: Path, replications: list[int], tables: tuple[str, ...] = TABLES) -> None:
    """Concatenate each table of the given replications, in order, streaming one row group at a time."""
    for name in tables:
        sources = [replication_dir(out, r) / f"{name}.parquet" for r in replications]
        if not sources:
            continue

        def write(tmp: Path, sources: list[Path] = sources) -> None:
            schema = parquet_file(sources[0]).schema_arrow
            with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
                for source in sources:
                    parquet = parquet_file(source)
                    for i in range(parquet.num_row_groups):
                        writer.write_table(parquet.read_row_group(i).cast(schema))

        write_atomically(Path(out) / f"{name}.parquet", write)


def collect_indicators(out: Path, replications: list[int]) -> pd.DataFrame:
    frames = [read_parquet(replication_dir(out, r) / "indicators.parquet").to_pandas() for r in replications]
    if not frames:
        return pd.DataFrame(columns=INDICATOR_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    write_atomically(path, lambda tmp: frame.to_csv(tmp, index=False, lineterminator="\n"))


# ---------------------------------------------------------------------------------------------- a run
@dataclass
class RunResult:
    out: Path
    root_seed: int
    indicators: pd.DataFrame
    summary: pd.DataFrame
    results: dict[int, ReplicationResult]
    failures: list[ReplicationResult]
    manifest: dict[str, Any]
    replications_used: list[int] = field(default_factory=list)
    drift: pd.DataFrame | None = None


def sequential_stop(
    per_replication: pd.DataFrame,
    precision_percent: float,
    minimum: int,
    confirm: int = CONFIRM_REPLICATIONS,
    targets: Any = HEADLINE,
) -> int | None:
    """The replications needed (Hoad, Robinson and Davies 2010), or None if not yet established.

    With replications taken in order 0, 1, 2, ..., the answer is the smallest n >= ``minimum`` at which the
    largest half-width of the headline indicators is within ``precision_percent`` of their mean, and stays
    within it for each of the next ``confirm`` replications. It depends only on replication order, never on
    how many ran at once.
    """
    available = sorted(per_replication["replication"].unique().tolist())
    contiguous = 0
    while contiguous < len(available) and available[contiguous] == contiguous:
        contiguous += 1
    met = {}
    for n in range(max(2, minimum), contiguous + 1):
        frame = per_replication[per_replication["replication"] < n]
        met[n] = half_width_share(frame, targets) * 100 <= precision_percent
    for n in sorted(met):
        if met[n] and all(met.get(n + k, False) for k in range(1, confirm + 1)):
            return n
    return None


@writes_into("out")
def run_experiment(
    loaded: LoadedScenario,
    out: Path,
    *,
    replications: int,
    seed: int | None = None,
    executor: Executor | None = None,
    show_progress: bool = False,
    precision: float | None = None,
    max_replications: int | None = None,
    confirm: int = CONFIRM_REPLICATIONS,
    resume: bool = False,
    combine: bool = True,
    argv: list[str] | None = None,
    extra_manifest: dict[str, Any] | None = None,
    log: Callable[[str], None] | None = None,
) -> RunResult:
    """Run replications into ``out`` (see :func:`output_folder`); each one's files are claimed before it starts."""
    out = Path(out)
    say = log or (lambda message: None)
    root_seed = loaded.scenario.seed if seed is None else int(seed)
    executor = executor or LocalExecutor(1)
    started_iso, started = now_iso(), time.perf_counter()
    limit = max(replications, max_replications or replications) if precision else replications
    options = {
        "replications": replications,
        "seed": root_seed,
        "precision_percent": precision,
        "max_replications": limit if precision else None,
        "confirm_replications": confirm if precision else None,
        "executor": executor.name,
    }

    def manifest(status: str, results: dict[int, ReplicationResult], extra: dict[str, Any]) -> dict[str, Any]:
        done = time.perf_counter() - started
        reps = {
            f"{r:04d}": {
                "replication": r,
                "seed": res.seed,
                "ok": res.ok,
                "run_stats": res.stats,
                "error": res.error,
                "wall_seconds": res.wall_seconds,
            }
            for r, res in sorted(results.items())
        }
        return build_manifest(
            loaded,
            root_seed=root_seed,
            replications=reps,
            started=started_iso,
            ended=None if status == "running" else now_iso(),
            wall_seconds=None if status == "running" else done,
            status=status,
            argv=argv,
            extra={"run_options": options, **(extra_manifest or {}), **extra},
        )

    results: dict[int, ReplicationResult] = finished_replications(out) if resume else {}
    if resume and results:
        say(f"resuming: {len(results)} finished replications kept ({', '.join(map(str, sorted(results)))})")
    write_manifest(out / MANIFEST_NAME, manifest("running", results, {}))

    progress = RunProgress(replications, show_progress, loaded.scenario.name)
    for r in results:
        progress.update(r, 1.0)
    drain, reporter = None, None
    if show_progress and getattr(executor, "supports_progress_queue", False):
        if executor.workers > 1:  # worker processes report through a queue
            drain = QueueDrain(progress)
            reporter = drain.queue
        else:
            reporter = progress.update

    target = replications
    needed: int | None = None
    try:
        while True:
            pending = [r for r in range(target) if r not in results]
            claim(replication_files(out, pending))
            tasks = [ReplicationTask(loaded, r, root_seed, str(replication_dir(out, r)), reporter) for r in pending]
            for task, result in executor.map_unordered(run_replication, tasks):
                if isinstance(result, BaseException):
                    message, text = describe_exception(result)
                    result = ReplicationResult(task.replication, task.seed, False, error=message, traceback=text)
                results[task.replication] = result
                progress.update(task.replication, 1.0)
                if not result.ok:
                    say(
                        f"replication {result.replication} (root seed {result.seed}) failed: {result.error}\n"
                        + (result.traceback or "")
                    )
            if not precision:
                break
            ok = [r for r, res in sorted(results.items()) if res.ok]
            if len(ok) < len(results):
                say("a replication failed, so no more are added for --precision")
                break
            needed = sequential_stop(collect_indicators(out, ok), precision, replications, confirm)
            if needed is not None or target >= limit:
                break
            target = min(limit, target + max(1, executor.workers))
            progress.set_total(target)
    finally:
        if drain is not None:
            drain.close()
        progress.close()

    extra: dict[str, Any] = {}
    keep_upto = target
    if precision:
        keep_upto = min(target, needed + confirm) if needed is not None else target
        extra["precision"] = {
            "precision_percent": precision,
            "headline_indicators": [list(t) for t in HEADLINE],
            "replications_needed": needed,
            "precision_met": needed is not None,
            "replications_used": keep_upto,
            "method": "sequential: Hoad, Robinson and Davies (2010), the larger side of the 95% CI / mean, "
            f"confirmed over {confirm} further replications",
        }
        for r in [r for r in results if r >= keep_upto]:  # extra replications from running in batches
            clear_replication(replication_dir(out, r))
            del results[r]
    used = sorted(r for r, res in results.items() if res.ok)
    failures = [res for _, res in sorted(results.items()) if not res.ok]
    if combine and used:
        combine_tables(out, used)
    per_replication = collect_indicators(out, used)
    summary = summarise(per_replication)
    write_csv(out / "indicators.csv", per_replication)
    write_csv(out / "summary.csv", summary)
    drift = drift_from_indicators(per_replication)
    write_csv(out / "drift.csv", drift)
    extra["failed_replications"] = [
        {"replication": f.replication, "seed": f.seed, "error": f.error, "traceback": f.traceback} for f in failures
    ]
    final = manifest("failed" if failures else "complete", results, extra)
    write_manifest(out / MANIFEST_NAME, final)
    return RunResult(out, root_seed, per_replication, summary, results, failures, final, used, drift)
