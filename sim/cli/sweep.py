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
    p.add_argument("--one-at-a-time", action="store_true", help="vary one key at a time instead of every combination")
    add_experiment_options(p, out="results/sweep-...")
    p.set_defaults(func=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.experiment.sweep import build_settings, design, parse_set, sweep
    from sim.outputs.experiment_figures import write_sweep_figure
    from sim.scenario.loading import load_scenario

    base = load_scenario(args.scenario)
    factors: dict[str, list[Any]] = {}
    for text in args.sets:
        key, values = parse_set(text)  # a SweepError is a user error
        if key in factors:
            raise UserError(f"--set {key} is given twice")
        factors[key] = values
    build_settings(base, design(factors, args.one_at_a_time))  # validate before the directory is made
    out = out_dir(args, f"sweep-{base.scenario.name}")
    with experiment_folder(args, out) as executor:
        table, runs = sweep(
            base,
            factors,
            out,
            one_at_a_time=args.one_at_a_time,
            executor=executor,
            **run_settings(args),
        )
        write_sweep_figure(out, factors, args.one_at_a_time)
    print(f"{len(runs)} settings x {args.replications} replications; results in {out / 'sweep.csv'}")
    if any(run.failures for run in runs.values()):
        err("some replications failed; see each setting's manifest.json")
        return EXIT_FAILED_REPLICATIONS
    return EXIT_OK
