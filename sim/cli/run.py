"""``validate FILE...`` and ``run SCENARIO``: check scenario files; run replications of a scenario."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from sim.cli.common import (
    EXIT_FAILED_REPLICATIONS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USER_ERROR,
    UserError,
    add_allow_root,
    add_experiment_options,
    command_line,
    default_out,
    describe_failure,
    err,
    experiment_folder,
    invocation,
    percent,
    progress_enabled,
    replication_count,
)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="check scenario files and report every problem with its file and line",
        description="Check scenario files without running them: the YAML, every key against the schema, the "
        "references between blocks and each dated policy. Every problem found is listed with its file, line and "
        "key, in one pass; exit 0 when every file is valid, 2 when any is not. Nothing is written.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files to check")
    add_allow_root(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "run",
        help="run replications of a scenario and write results, a summary and a manifest",
        description="Run replications of a scenario and write, into the output folder, the child, stage and "
        "timeline tables (Parquet), summary.csv (every indicator with its interval), manifest.json (what the run "
        "needs to be reproduced), report.html and a journey log. The headline indicators are printed at the end.",
    )
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help="scenario YAML file (not with --resume)")
    add_experiment_options(p, out="results/NAME-TIME/")
    p.add_argument("--resume", default=None, metavar="DIR", help="continue an interrupted run in DIR")
    p.add_argument(
        "--precision",
        type=percent,
        default=None,
        metavar="P",
        help="add replications until the headline indicators' 95%% CI half-width is within P%% of their mean",
    )
    p.add_argument(
        "--max-replications",
        type=replication_count,
        default=50,
        metavar="N",
        help="most replications --precision may run (default 50)",
    )
    p.add_argument(
        "--no-report",
        action="store_true",
        help="do not write report.html and the journey log at the end (the report and ocel commands write them later)",
    )
    p.set_defaults(func=cmd_run)


# ---------------------------------------------------------------------------------------------- validate
def cmd_validate(args: argparse.Namespace) -> int:
    from sim.scenario.loading import load_scenario
    from sim.scenario.yaml_file import ScenarioError

    bad = 0
    for file in args.files:
        try:
            load_scenario(file)
        except ScenarioError as exc:
            bad += 1
            err(str(exc))
        else:
            print(f"ok: {file}")
    if bad:
        err(f"{bad} of {len(args.files)} scenario file{'s' if len(args.files) > 1 else ''} invalid")
        return EXIT_USER_ERROR
    return EXIT_OK


# ---------------------------------------------------------------------------------------------- run
def print_headline(summary, out: Path, drift=None) -> None:
    """Time to disposal per case type, both measures with their definitions; whether rough; what drifts."""
    from sim.analysis.indicators import HEADLINE, HEADLINE_DEFINITIONS
    from sim.analysis.statistics import ROUGH_BELOW_REPLICATIONS

    index = summary.set_index(["indicator", "breakdown", "group"])
    for _, breakdown, case_type in HEADLINE:
        shown = [(name, (name, breakdown, case_type)) for name in HEADLINE_DEFINITIONS]
        shown = [(name, index.loc[key]) for name, key in shown if key in index.index]
        if not shown:
            continue
        print(f"  {case_type.replace('_', ' ')}, mean weeks to disposal:")
        for name, row in shown:
            ci = "" if math.isnan(row["ci95_low"]) else f" (95% CI {row['ci95_low']:.1f} to {row['ci95_high']:.1f})"
            print(f"    {row['mean']:.1f}{ci}: {HEADLINE_DEFINITIONS[name]}")
    replications = int(summary["replications"].max()) if len(summary) else 0
    if 0 < replications < ROUGH_BELOW_REPLICATIONS:
        print(
            f"  rough: {replications} replication{'s' if replications > 1 else ''} (fewer than "
            f"{ROUGH_BELOW_REPLICATIONS}), so every interval rests on a rough estimate of the spread"
        )
    print_drift(drift)
    print(f"results in {out}")


def print_drift(drift) -> None:
    """The headline series that drift over the results period (drift.csv), with what to do."""
    from sim.analysis.drift import ADVICE

    if drift is None or drift.empty:
        return
    if not drift["testable"].any():
        print("  drift: not tested (a trend needs at least two years and two replications)")
        return
    drifting = drift[drift["drifts"]]
    if drifting.empty:
        print(f"  drift: none of {len(drift)} headline series trends over the results period (drift.csv)")
        return
    for row in drifting.itertuples():
        print(
            f"  DRIFT: {row.indicator} goes from {row.first_mean:,.4g} in year {row.first_year} to "
            f"{row.last_mean:,.4g} in year {row.last_year} ({row.slope_per_year:+,.4g} a year, 95% CI "
            f"{row.slope_ci95_low:+,.4g} to {row.slope_ci95_high:+,.4g})"
        )
    print(f"  {ADVICE} (drift.csv)")


SHOW_TENTHS_BELOW_SECONDS = 10
"""A replication's time is printed to a tenth of a second below this, in whole seconds from it."""


def seconds(value: float) -> str:
    """A duration in words: whole seconds, or tenths below :data:`SHOW_TENTHS_BELOW_SECONDS`."""
    return f"{value:.0f} s" if value >= SHOW_TENTHS_BELOW_SECONDS else f"{value:.1f} s"


def print_finished(result, done: int, total: int) -> None:
    """One line as each replication ends, for a log file or a pipe (a terminal shows a progress bar instead)."""
    outcome = "done" if result.ok else "failed"
    folder = f"replications/rep-{result.replication:04d}"
    print(f"replication {done} of {total} {outcome} in {seconds(result.wall_seconds)} ({folder})", flush=True)


def print_next(out: Path, report: Path | None) -> None:
    """What to open next, once the run is over."""
    summary = f"{out / 'summary.csv'} (every indicator, with its 95% interval)"
    if report is not None:
        print(f"open next: {report} (the report), then {summary}")
    else:
        print(f"open next: {summary}; write the report with: {invocation()} report {out}")


def cmd_run(args: argparse.Namespace) -> int:
    from sim.scenario.loading import load_scenario

    argv = command_line(args)
    if args.resume:
        from sim.experiment.resume import check_same_scenario, check_scenario_file, resume_options

        if args.scenario or args.force or args.out:
            raise UserError("--resume DIR continues the run in DIR: give no scenario, --out or --force with it")
        out = Path(args.resume)
        options = resume_options(out)
        check_scenario_file(options["scenario_path"], out)
        loaded = load_scenario(options["scenario_path"], roots=options["scenario_roots"])  # as the run read it
        check_same_scenario(loaded, options["scenario_sha256"])
        replications = options["replications"]
        seed = options["seed"]
        model = options["model"]
        precision = options.get("precision_percent")
        max_replications = options.get("max_replications")
    else:
        if not args.scenario:
            raise UserError("run needs a scenario file (or --resume DIR to continue an interrupted run)")
        loaded = load_scenario(args.scenario)  # validate before anything is written
        out = Path(args.out) if args.out else default_out(loaded.scenario.name)
        replications, seed, model = args.replications, args.seed, args.model
        precision, max_replications = args.precision, args.max_replications
        if precision and max_replications < replications:
            raise UserError(f"--max-replications ({max_replications}) must be at least --replications ({replications})")
    from sim.experiment.replication_parts import study_model
    from sim.experiment.replications import run_experiment  # after the scenario is valid: a refusal comes fast
    from sim.model.agenda.replication import PolicyNotFollowed

    try:
        model = study_model(model, loaded, err)
    except PolicyNotFollowed as exc:
        raise UserError(f"--model agenda cannot run {loaded.path}: {exc}") from None

    try:
        with experiment_folder(args, out, resume=bool(args.resume), say_interrupted=False) as executor:
            try:
                result = run_experiment(
                    loaded,
                    out,
                    replications=replications,
                    seed=seed,
                    executor=executor,
                    show_progress=progress_enabled(),
                    precision=precision,
                    max_replications=max_replications,
                    resume=bool(args.resume),
                    argv=argv,
                    log=err,
                    finished=None if progress_enabled() else print_finished,
                    model=model,
                )
            except OSError as exc:  # a full disk, a folder made read-only: the finished replications are kept
                raise UserError(
                    f"{describe_failure(exc)}; once that is fixed, continue with: {invocation()} run --resume {out}"
                ) from None
            return _finish_run(args, loaded, out, result, max_replications)
    except KeyboardInterrupt:  # during the replications, or while the outputs or the report are written
        err(
            f"interrupted: finished replications are kept in {out / 'replications'}; "
            f"continue with: {invocation()} run --resume {out}"
        )
        return EXIT_INTERRUPTED


def _finish_run(args: argparse.Namespace, loaded, out: Path, result, max_replications: int | None) -> int:
    from sim.cli.results import after_run

    print(f"{loaded.scenario.name}: {len(result.replications_used)} replications, root seed {result.root_seed}")
    precision_info = result.manifest.get("precision")
    if precision_info:
        if precision_info["precision_met"]:
            print(
                f"  precision {precision_info['precision_percent']}% reached with "
                f"{precision_info['replications_needed']} replications"
            )
        else:
            print(f"  precision {precision_info['precision_percent']}% NOT reached within {max_replications}")
    print_headline(result.summary, out, result.drift)
    written = after_run(out) if not args.no_report and result.replications_used else []  # report, journey log
    if result.replications_used:
        print_next(out, next((p for p in written if p.suffix == ".html"), None))
    if result.failures:
        err(
            f"{len(result.failures)} replication(s) failed: "
            + ", ".join(f"{f.replication} (root seed {f.seed}): {f.error}" for f in result.failures)
            + f"; details in {out / 'manifest.json'}"
        )
        return EXIT_FAILED_REPLICATIONS
    return EXIT_OK
