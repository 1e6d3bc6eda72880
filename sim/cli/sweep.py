"""``sweep SCENARIO --set KEY=V1,V2,...``: a scenario at several values of its keys (:mod:`sim.experiment.sweep`)."""

from __future__ import annotations

import argparse
from typing import Any

from sim.cli.common import (
    EXIT_FAILED_REPLICATIONS,
    EXIT_OK,
    UserError,
    add_experiment_options,
    err,
    experiment_folder,
    out_dir,
    run_settings,
)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        help="run a scenario at several values of one or more keys",
        description="Run a scenario at several values of one or more of its keys (every combination, or one key "
        "at a time) on common random numbers, and write sweep.csv and a figure of the headline indicators against "
        "each key into the output folder.",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="the scenario YAML file to vary")
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        required=True,
        metavar="KEY=V1,V2,...",
        help="a dotted key path of the scenario and the values to try (repeat for more keys)",
    )
    p.add_argument("--one-at-a-time", action="store_true", help="vary one key at a time (the same as --method oat)")
    p.add_argument(
        "--method",
        choices=("factorial", "oat", "morris", "sobol"),
        default=None,
        help="factorial: every combination (default); oat: one key at a time; morris: Morris screening, sobol: Sobol"
        " indices (SALib), each --set then giving a key's low and high value",
    )
    p.add_argument(
        "--samples",
        type=int,
        metavar="N",
        help="morris: trajectories, (keys + 1) x N settings (default 10); sobol: base samples, a power of 2,"
        " (keys + 2) x N settings (default 16)",
    )
    add_experiment_options(p, out="results/sweep-...")
    p.set_defaults(func=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.experiment.sensitivity import SAMPLED_METHODS, describe
    from sim.experiment.sweep import TORNADO_INDICATOR, build_settings, parse_set, plan, sweep
    from sim.outputs.experiment_figures import write_sweep_figure
    from sim.outputs.sensitivity_figure import write_sensitivity_figure
    from sim.scenario.loading import load_scenario

    base = load_scenario(args.scenario)
    factors: dict[str, list[Any]] = {}
    for text in args.sets:
        key, values = parse_set(text)  # a SweepError is a user error
        if key in factors:
            raise UserError(f"--set {key} is given twice")
        factors[key] = values
    if args.one_at_a_time and args.method not in (None, "oat"):
        raise UserError(f"--one-at-a-time and --method {args.method} disagree; give one of them")
    method = "oat" if args.one_at_a_time else args.method or "factorial"
    if args.samples is not None and method not in SAMPLED_METHODS:
        raise UserError(f"--samples is for --method morris or sobol, not {method}")
    settings, _ = plan(base, factors, method, args.samples, args.seed)  # a SweepError is a user error
    build_settings(base, settings)  # validate before the directory is made
    out = out_dir(args, f"sweep-{base.scenario.name}")
    with experiment_folder(args, out) as executor:
        table, runs = sweep(
            base,
            factors,
            out,
            method=method,
            samples=args.samples,
            executor=executor,
            **run_settings(args),
        )
        if method in SAMPLED_METHODS:
            write_sensitivity_figure(out)
        else:
            write_sweep_figure(out, factors, method == "oat")
    print(f"{len(runs)} settings x {args.replications} replications; results in {out / 'sweep.csv'}")
    if method in SAMPLED_METHODS:
        import pandas as pd

        indicator, breakdown, group = TORNADO_INDICATOR
        table = pd.read_csv(out / "sensitivity.csv")
        rows = table[(table.indicator == indicator) & (table.breakdown == breakdown) & (table.group == group)]
        print(f"{method} for {indicator} ({group}), every headline indicator in {out / 'sensitivity.csv'}:")
        print("\n".join(describe(rows)) if len(rows) else "  not computed: the indicator is missing in a setting")
    if any(run.failures for run in runs.values()):
        err("some replications failed; see each setting's manifest.json")
        return EXIT_FAILED_REPLICATIONS
    return EXIT_OK
