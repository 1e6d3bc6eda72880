"""Replications of one scenario: seeds, executors, durable per-replication results, and the run outputs.

The run directory's layout (``DIR/replications/rep-NNNN/``, ``summary.csv``...) is described and owned by
:mod:`sim.experiment.results_folder`. Every file with a final name is complete (written under ``.NAME.partial``
and renamed). Each table is stored once, in its replication's folder; the run's table is a view over them
(:mod:`sim.experiment.run_tables`), never a copy.

Replication ``r`` always draws the same random numbers: its streams are seeded from (root seed, r) (see
:mod:`sim.model.random_streams`), so results do not depend on the number of workers or the executor, and an
interrupted run can be resumed without redoing finished replications. A replication's indicators are computed
in its worker from its own tables, and the run's from those (``indicators.parquet``), so memory never holds
more than one replication's rows.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.analysis.drift import drift_from_indicators
from sim.analysis.indicators import HEADLINE, INDICATOR_COLUMNS
from sim.analysis.statistics import half_width_share, summarise
from sim.experiment.executors import Executor, LocalExecutor, describe_exception
from sim.experiment.manifest import MANIFEST_NAME, build_manifest, now_iso, write_manifest
from sim.experiment.memory import indicators_allocation, return_freed_memory, simulation_allocation
from sim.experiment.owned_files import claim, partial_of, writes_into
from sim.experiment.progress import QueueDrain, RunProgress, part_reporter
from sim.experiment.replication_indicators import replication_indicators
from sim.experiment.replication_parts import region_order, run_part, simulate_whole, study_model
from sim.experiment.results_folder import (
    DONE_MARKER,
    ERROR_MARKER,
    REPLICATION_FILES,
    REPLICATIONS_DIR,
    RunDirectoryError,
    clear_parts,
    clear_replication,
    read_parquet,
    replication_dir,
    replication_files,
    write_atomically,
)
from sim.experiment.run_tables import check_tables
from sim.scenario.loading import LoadedScenario
from sim.vocabulary import EVENT_MODEL

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
    region: int | None = None
    """The region (code) of a replication's part (:mod:`sim.experiment.replication_parts`); None: all at once."""
    weight: float = 1.0
    """The part's share of the replication's cases, for the progress bar."""
    model: str = EVENT_MODEL
    """How it is simulated (:data:`sim.vocabulary.MODELS`); the agenda runs a replication whole, never in parts."""


@dataclass
class ReplicationResult:
    replication: int
    seed: int
    ok: bool
    stats: dict[str, Any] | None = None
    error: str | None = None
    traceback: str | None = None
    wall_seconds: float = 0.0
    region: int | None = None
    """Set on the result of a part that did not complete its replication (another part joins it)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def run_replication(task: ReplicationTask) -> ReplicationResult:
    """Run one replication, or one part of it, into its folder; a failure is returned (with its traceback), not
    raised. The part that completes its replication returns the replication's result."""
    started = time.perf_counter()
    return_freed_memory()  # a worker on a cluster was not started by the command line
    directory = Path(task.directory)
    if task.region is None:
        clear_replication(directory)  # leftovers of an interrupted attempt (only the files a replication writes)
    directory.mkdir(parents=True, exist_ok=True)
    try:
        with simulation_allocation():
            report = part_reporter(task.progress, task.replication, task.region, task.weight)
            if task.region is None:
                stats = simulate_whole(task.model, task.loaded, task.replication, task.seed, directory, report)
            else:
                joined = run_part(task.loaded, task.replication, task.seed, directory, task.region, report)
                if joined is None:
                    return ReplicationResult(
                        task.replication,
                        task.seed,
                        True,
                        wall_seconds=time.perf_counter() - started,
                        region=task.region,
                    )
                stats, first_started = joined
            gc.collect()  # what the run left in cycles (Environment.discard freed the rest) goes before the tables
        with indicators_allocation():
            indicators = replication_indicators(directory, task.loaded.scenario, task.loaded.periods)
        table = pa.Table.from_pandas(indicators, preserve_index=False)
        write_atomically(directory / "indicators.parquet", lambda tmp: pq.write_table(table, tmp))
        wall = time.perf_counter() - started if task.region is None else time.time() - first_started
        result = ReplicationResult(task.replication, task.seed, True, stats=asdict(stats), wall_seconds=wall)
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
    argv: list[str] | None = None,
    extra_manifest: dict[str, Any] | None = None,
    log: Callable[[str], None] | None = None,
    finished: Callable[[ReplicationResult, int, int], None] | None = None,
    model: str | None = None,
) -> RunResult:
    """Run replications into ``out`` (see :func:`output_folder`); each one's files are claimed before it starts.

    ``finished(result, done, total)`` is called as each replication ends (ok or failed), with how many have ended
    (those a resumed run kept included) and how many the run is for: the command line prints a line for it when
    nobody sees a progress bar. ``model``: how each replication is simulated (:data:`sim.vocabulary.MODELS`); None
    chooses as :func:`~sim.experiment.replication_parts.choose_model` does, and ``log`` says why when it is not the
    agenda.
    """
    out = Path(out)
    say = log or (lambda message: None)
    model = study_model(model, loaded, say)
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
        "model": model,
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
        progress.complete(r)
    drain, reporter = None, None
    if show_progress and getattr(executor, "supports_progress_queue", False):
        if executor.workers > 1:  # worker processes report through a queue
            drain = QueueDrain(progress)
            reporter = drain.queue
        else:
            reporter = progress.update

    target = replications
    needed: int | None = None
    whole = model != EVENT_MODEL or len(loaded.scenario.regions) == 1  # the agenda runs a replication whole
    parts = [(None, 1.0)] if whole else region_order(loaded.scenario)

    def tasks_for(pending: list[int]) -> list[ReplicationTask]:
        """A task per part of each replication, the replications in order (so the first finishes first)."""
        return [
            ReplicationTask(loaded, r, root_seed, str(replication_dir(out, r)), reporter, region, weight, model)
            for r in pending
            for region, weight in parts
        ]

    def ended(result: ReplicationResult) -> None:
        results[result.replication] = result
        progress.complete(result.replication)
        if finished is not None:
            finished(result, len(results), target)
        if not result.ok:
            say(
                f"replication {result.replication} (root seed {result.seed}) failed: {result.error}\n"
                + (result.traceback or "")
            )

    try:
        while True:
            pending = [r for r in range(target) if r not in results]
            claim(replication_files(out, pending, len(parts) if len(parts) > 1 else 0))
            if len(parts) > 1:  # an interrupted attempt's parts and join lock: the last part must find it clear
                for r in pending:
                    clear_replication(replication_dir(out, r))
            for task, result in executor.map_unordered(run_replication, tasks_for(pending)):
                if isinstance(result, BaseException):
                    message, text = describe_exception(result)
                    result = ReplicationResult(task.replication, task.seed, False, error=message, traceback=text)
                if task.replication in results:
                    continue  # a part of a replication that another part's failure has ended
                if result.ok and result.region is not None:
                    progress.update((task.replication, task.region), task.weight)
                    continue  # a part done; the last of its replication's parts joins them
                ended(result)
            for r in pending:
                if r not in results:  # never expected: said, not left out silently
                    ended(ReplicationResult(r, root_seed, False, error="its parts ended but none joined them"))
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
    for failure in failures:  # the parts that ran, for nothing, beside the one that failed
        clear_parts(replication_dir(out, failure.replication))
    check_tables(out, used)  # a table damaged since its replication finished is named now, not by a reader
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
