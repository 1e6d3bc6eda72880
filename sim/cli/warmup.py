"""``warmup SCENARIO``: suggest a warm-up period from runs of the scenario from empty (:mod:`sim.experiment.warmup`)."""

from __future__ import annotations

import argparse

from sim.cli.common import (
    EXIT_FAILED_REPLICATIONS,
    EXIT_OK,
    UserError,
    add_experiment_options,
    experiment_folder,
    out_dir,
    positive_int,
    run_settings,
)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "warmup",
        help="suggest a warm-up period from runs of the scenario from empty (MSER-5)",
        description="Run the scenario from an empty system, find where its open cases and queues settle by MSER-5, "
        "check that no headline series drifts after it (adding whole years until none does), and print the warm-up "
        "period to set in the scenario; writes the series and a Welch plot (welch.png) into the output folder.",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="the scenario YAML file (its starting state is ignored)")
    p.add_argument(
        "--years", type=float, default=None, metavar="Y", help="years to run from empty (default: warm-up + run)"
    )
    p.add_argument("--window", type=positive_int, default=None, metavar="W", help="Welch moving-average half-window")
    add_experiment_options(p, out="results/warmup-...", registered=False)  # a look at runs from empty
    p.set_defaults(func=cmd_warmup)


def cmd_warmup(args: argparse.Namespace) -> int:
    from sim.experiment.warmup import warmup
    from sim.outputs.experiment_figures import write_warmup_figure
    from sim.scenario.loading import load_scenario

    loaded = load_scenario(args.scenario)
    if args.years is not None and not (0 < args.years <= 50):
        raise UserError(f"--years must be above 0 and at most 50, got {args.years}")
    out = out_dir(args, f"warmup-{loaded.scenario.name}")
    with experiment_folder(args, out) as executor:
        result = warmup(
            loaded,
            out,
            years=args.years,
            executor=executor,
            window=args.window,
            **run_settings(args),
        )
        write_warmup_figure(out, result)
    parts = ", ".join(f"{k.removesuffix('_mean')}: {v['days']:g} days" for k, v in result["series"].items())
    print(f"MSER-5: {result['mser_warm_up_days']} days ({parts})")
    for line in settled_lines(result["settled"]):
        print(f"  {line}")
    print(f"suggested warm-up: {result['warm_up_days']} days")
    if result["may_not_settle"]:
        print("  warning: a series may not have settled within the run; try a longer run with --years")
    print("set it in the scenario (and remove any starting_state.open_cases):")
    print(f"  starting_state:\n    warm_up_days: {result['warm_up_days']}")
    print(f"Welch plot: {out / 'welch.png'}")
    return EXIT_FAILED_REPLICATIONS if result["failed_replications"] else EXIT_OK


def settled_lines(settled: dict | None) -> list[str]:
    """What the drift check after MSER-5's warm-up found, one line per whole-year warm-up tried."""
    if not settled or not settled["checked"]:
        return ["the run from empty is too short to test for drift after the warm-up: try a longer run with --years"]
    lines = []
    for tried in settled["checked"]:
        verdict = "drifts: " + ", ".join(tried["drifting"]) if tried["drifting"] else "no headline series drifts"
        lines.append(f"after {tried['years']} years of warm-up ({tried['years_tested']} years tested): {verdict}")
    if settled["warm_up_days"] is None:
        lines.append("no whole-year warm-up within the run settles every headline series")
    return lines
