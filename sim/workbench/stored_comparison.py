"""An option compared with a stored run, through the compare machinery: the same paired differences, compare.csv,
figures and comparison report as ``compare``, with the base read from its folder instead of run again.

Why the option runs with the stored run's root seed and replication numbers: replication r of each then draws the
same random numbers (common random numbers, :mod:`sim.model.random_streams`), so the pairs are as close as
``compare``'s. It also runs on the stored run's model (``run_options.model``: the agenda or the event model), so the
differences are the option's, not the models'. An option already run on that seed, those replications and that
model (the page's own run) is used as it is.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiment.compare import disposal_spreads, label_comparisons, paired_differences
from sim.experiment.executors import ExecutorError, make_executor
from sim.experiment.manifest import MANIFEST_NAME, build_manifest, now_iso, run_model, scenario_section
from sim.experiment.manifest import write_manifest as write_manifest_file
from sim.experiment.owned_files import RunDirectoryError, describe_failure
from sim.experiment.replications import RunResult, collect_indicators, run_experiment, write_csv
from sim.experiment.results_folder import ResultsDirError, output_folder, prepare_directory, read_manifest
from sim.model.agenda.replication import PolicyNotFollowed
from sim.model.random_streams import STREAM_SCHEME
from sim.outputs.comparison_report import write_comparison_report
from sim.outputs.experiment_figures import write_comparison_figures
from sim.scenario.loading import LoadedScenario, load_scenario
from sim.scenario.yaml_file import ScenarioError
from sim.workbench.jobs import EXIT_FAILED_REPLICATIONS, EXIT_INTERRUPTED, EXIT_OK
from sim.workbench.stored_runs import StoredRun, stored_run

EXIT_USER_ERROR = 2
MODULE = "sim.workbench.stored_comparison"
"""This module's name, as ``python -m`` runs it (``__name__`` is ``__main__`` then)."""


def _scheme(folder: Path) -> str | None:
    return read_manifest(folder).get("random", {}).get("stream_scheme")


def reusable(option_run: Path | None, stored: StoredRun) -> list[int] | None:
    """The option run's replications to pair with ``stored``, if it can be used as it is: the same root seed, stream
    scheme and model, and every replication the stored run has; else None (the option must run again)."""
    if option_run is None:
        return None
    found = stored_run(option_run)
    if found is None or found.root_seed != stored.root_seed or _scheme(option_run) != _scheme(stored.folder):
        return None
    if run_model(option_run) != run_model(stored.folder):
        return None
    return list(stored.replications) if set(stored.replications) <= set(found.replications) else None


def _as_run(folder: Path, seed: int, replications: list[int]) -> RunResult:
    """A finished run as :func:`sim.experiment.compare.disposal_spreads` reads it: its folder and replications."""
    empty = pd.DataFrame()
    return RunResult(folder, seed, empty, empty, {}, [], {}, replications)


def _entry(name: str, folder: Path) -> dict[str, Any]:
    """A scenario of the comparison's manifest, where it lies: the report reads it from ``directory``."""
    scenario = read_manifest(folder).get("scenario", {})
    return {
        "name": name,
        "directory": str(folder.resolve()),
        "path": scenario.get("path", "?"),
        "resolved_sha256": scenario.get("resolved_sha256", "?"),
    }


def compare_with_stored(
    option: LoadedScenario,
    stored: StoredRun,
    out: Path,
    *,
    option_run: Path | None = None,
    executor: Any = None,
    argv: list[str] | None = None,
) -> tuple[pd.DataFrame, int]:
    """Write ``out``'s comparison of ``option`` (option) with ``stored`` (base); returns compare.csv's table and the
    number of the option's replications that failed."""
    started_iso, started = now_iso(), time.perf_counter()
    name = option.scenario.name
    base_name = stored.scenario if stored.scenario != name else f"{stored.scenario}_stored"
    paired = reusable(option_run, stored)
    failed = 0
    if paired is not None and option_run is not None:
        folder = option_run
    else:
        folder = out / "scenarios" / name
        prepare_directory(folder, force=False)
        run = run_experiment(
            option,
            folder,
            replications=max(stored.replications) + 1,
            seed=stored.root_seed,
            executor=executor,
            argv=argv,
            log=lambda message: print(message, file=sys.stderr, flush=True),
            extra_manifest={"comparison": {"directory": str(out), "role": "option"}},
            model=run_model(stored.folder),
        )
        paired, failed = run.replications_used, len(run.failures)
    base = collect_indicators(stored.folder, list(stored.replications))
    table = label_comparisons(paired_differences(base, collect_indicators(folder, paired), name))
    write_csv(out / "compare.csv", table)
    same_draws = _scheme(folder) == _scheme(stored.folder) == STREAM_SCHEME
    manifest = build_manifest(
        option,
        root_seed=stored.root_seed,
        replications={base_name: list(stored.replications), name: paired},
        started=started_iso,
        ended=now_iso(),
        wall_seconds=time.perf_counter() - started,
        status="failed" if failed else "complete",
        argv=argv,
        extra={
            "kind": "comparison",
            "base": base_name,
            "stored_run": str(stored.folder.resolve()),
            "options": [
                _entry(base_name, stored.folder),
                {**_entry(name, folder), **scenario_section(option)["scenario"], "directory": str(folder.resolve())},
            ],
            "common_random_numbers": "the option ran with the stored run's root seed and replication numbers"
            if same_draws
            else "the stored run drew its random numbers by another scheme: pairs share a replication number only",
        },
    )
    for entry in manifest["options"]:
        entry.pop("resolved", None)
    write_manifest_file(out / MANIFEST_NAME, manifest)
    runs = {base_name: _as_run(stored.folder, stored.root_seed, list(stored.replications))}
    runs[name] = _as_run(folder, stored.root_seed, paired)
    write_comparison_figures(out, table, disposal_spreads(runs))
    write_comparison_report(out)
    return table, failed


def compare_option_with_stored_run(
    option_path: str,
    stored_folder: str,
    out: str,
    *,
    option_run: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    roots: tuple[str, ...] = (),
    argv: list[str] | None = None,
) -> int:
    """The page's job: the comparison into ``out`` (already made, empty), its problems as the command line words
    them, and the command line's exit code (0; 1 some of the option's replications failed; 2 a user error)."""
    try:
        stored = stored_run(Path(stored_folder))
        if stored is None:
            raise ResultsDirError(f"{stored_folder} is not a finished run (no complete manifest.json and summary.csv)")
        option = load_scenario(option_path, roots=roots)
        executor = make_executor(workers, scheduler)
        try:
            with output_folder(Path(out), command=argv):
                _, failed = compare_with_stored(
                    option,
                    stored,
                    Path(out),
                    option_run=Path(option_run) if option_run else None,
                    executor=executor,
                    argv=argv,
                )
        finally:
            executor.close()
    except ScenarioError as exc:
        print(f"error: the scenario has problems (file:line: key: message):\n{exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except (ResultsDirError, RunDirectoryError, ExecutorError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except PolicyNotFollowed as exc:
        print(
            f"error: the stored run was simulated day by day (the agenda), which cannot follow this option: {exc}, "
            "and run the base again the same way to compare them",
            file=sys.stderr,
        )
        return EXIT_USER_ERROR
    except OSError as exc:
        print(f"error: {describe_failure(exc)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(f"interrupted: partial results are in {out}", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"comparison report in {Path(out) / 'comparison.html'}")
    return EXIT_FAILED_REPLICATIONS if failed else EXIT_OK


def command(option_path: Path, stored_folder: Path, out: Path, **options: Any) -> list[str]:
    """The program the page runs for a comparison with a stored run: this module, with its settings as JSON."""
    settings = {"option_path": str(option_path), "stored_folder": str(stored_folder), "out": str(out), **options}
    return [sys.executable, "-m", MODULE, json.dumps(settings)]


if __name__ == "__main__":  # the page's job (command): one JSON object of compare_option_with_stored_run's arguments
    given = json.loads(sys.argv[1])
    given["roots"] = tuple(given.get("roots", ()))
    raise SystemExit(compare_option_with_stored_run(**given, argv=[sys.executable, "-m", MODULE, *sys.argv[1:]]))
