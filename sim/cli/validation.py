"""``validation [SCENARIO]``: run the baseline and compare it with published figures, each at its own date.

The comparison itself is :mod:`sim.experiment.validation`; it prints one line per figure (ok, MISS, or out of
the run).

The record (``validation.md``) and the table (``validation.csv``) go into the output folder (``--out DIR``,
``--from-run DIR``, or a fresh ``results/validation-NAME-TIME/``); the tracked ``docs/validation.md`` is
written only with ``--docs``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.common import (
    EXIT_FAILED_REPLICATIONS,
    EXIT_OK,
    UserError,
    add_experiment_options,
    command_line,
    err,
    experiment_folder,
    out_dir,
    run_settings,
)
from sim.outputs.paths import shown_path

if TYPE_CHECKING:
    from sim.scenario.loading import LoadedScenario

DOCS_RECORD = Path("docs") / "validation.md"
DEFAULT_SCENARIO = "scenarios/from_2024.yaml"
"""The system as it stood on 1 January 2024: the published figures are 2024's, and the long-run baseline is not
2024 itself (docs/model.md, "Two baselines")."""


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validation",
        help="run 2024 as it stood and compare it with published figures",
        description="Run a scenario (default the system as it stood on 1 January 2024) and compare it with "
        "published figures, each measured at its own date (a figure dated outside the run's results period is "
        "listed as outside the run, not compared). The record (validation.md) and the table (validation.csv) are "
        "written into the output folder; the copy kept with the documentation, docs/validation.md, only with "
        "--docs.",
    )
    p.add_argument(
        "scenario",
        nargs="?",
        default=None,
        metavar="SCENARIO",
        help=f"the scenario to run (default {DEFAULT_SCENARIO}; with --from-run, the run's own scenario)",
    )
    add_experiment_options(p, out="results/validation-NAME-TIME/", whose_seed=None)
    p.add_argument(
        "--from-run",
        default=None,
        metavar="DIR",
        help="use a finished run instead (the record goes there); its scenario is read from its manifest",
    )
    p.add_argument(
        "--docs",
        action="store_true",
        help=f"also write the record to {DOCS_RECORD.as_posix()} (run from the repository's root) to update the "
        "documentation",
    )
    p.add_argument("--write", default=None, metavar="FILE", help="also write the record to FILE")
    p.set_defaults(func=cmd_validation)


def _extra_records(args: argparse.Namespace) -> list[Path]:
    """The copies of the record asked for, checked before anything runs."""
    paths = []
    if args.docs:
        if not DOCS_RECORD.parent.is_dir():
            raise UserError(
                f"--docs writes {DOCS_RECORD.as_posix()} of the repository, but {Path.cwd()} has no docs/ folder: "
                "run the command from the repository's root (or give --write FILE)"
            )
        paths.append(DOCS_RECORD)
    if args.write:
        path = Path(args.write)
        if not path.parent.is_dir():
            raise UserError(f"--write {args.write}: the folder {path.parent} does not exist")
        if path not in paths:
            paths.append(path)
    return paths


def cmd_validation(args: argparse.Namespace) -> int:
    from sim.experiment.replications import run_experiment
    from sim.experiment.results_folder import output_folder, read_manifest
    from sim.experiment.validation import published_figures, summary_lines, write_validation
    from sim.scenario.loading import load_scenario

    published_figures()  # a malformed figures file is reported before anything runs
    also = _extra_records(args)
    if args.from_run:
        if args.out or args.force:
            raise UserError("--from-run DIR reads a finished run and writes the record there: give no --out or --force")
        out = Path(args.from_run)
        loaded, scenario, seed = run_scenario(out, args.scenario)
        failed = [f["replication"] for f in read_manifest(out).get("failed_replications", [])]
        with output_folder(out, existing=True, command=command_line(args)):
            record = write_validation(out, loaded, scenario, also, seed=seed)
    else:
        args.scenario = args.scenario or DEFAULT_SCENARIO
        loaded = load_scenario(args.scenario)
        out = out_dir(args, f"validation-{loaded.scenario.name}")
        with experiment_folder(args, out) as executor:
            result = run_experiment(loaded, out, executor=executor, **run_settings(args))
            failed = [f.replication for f in result.failures]
            if not result.replications_used:
                err(f"every replication failed, so there is nothing to validate; details in {out / 'manifest.json'}")
                return EXIT_FAILED_REPLICATIONS
            record = write_validation(out, loaded, args.scenario, also)
    for line in summary_lines(record.table):
        print(line)
    print("wrote " + ", ".join(str(p) for p in record.written))
    if failed:
        err(
            f"{len(failed)} replication(s) failed ({', '.join(map(str, failed))}): the validation uses the others; "
            f"details in {out / 'manifest.json'}"
        )
        return EXIT_FAILED_REPLICATIONS
    return EXIT_OK


def run_scenario(out: Path, given: str | None) -> tuple[LoadedScenario, str, int]:
    """The scenario a finished run was made from, as its manifest records it, how to name it in the record, and
    the run's root seed.

    Measuring a run against another scenario would read its dates wrongly (results period, warm-up), so a
    SCENARIO given with --from-run must resolve to the run's own (keys added to the schema since, at an empty
    default, aside); left out, the manifest's path is used."""
    from sim.experiment.manifest import same_model_input
    from sim.experiment.resume import resume_options
    from sim.experiment.run_tables import check_results_dir
    from sim.scenario.loading import load_scenario

    check_results_dir(out)  # a folder with no tables says so before its manifest is looked for
    recorded = resume_options(out)
    path = given or recorded["scenario_path"]
    loaded = load_scenario(path, roots=() if given else recorded["scenario_roots"])
    if not same_model_input(loaded, recorded["scenario_sha256"], recorded["scenario_resolved"]):
        raise UserError(
            f"the run in {out} was not made from {path} as it reads now (its resolved scenario differs from the one "
            f"in {out / 'manifest.json'}): give the run's own scenario, or leave SCENARIO out to use it"
        )
    return loaded, given or shown_path(path), recorded["seed"]
