"""``plan``: the capacity planner, the cheapest mix of levers that meets the targets (sim.experiment.plan)."""

from __future__ import annotations

import argparse

from sim.cli.common import (
    EXIT_OK,
    UserError,
    add_experiment_options,
    add_replications,
    command_line,
    err,
    experiment_folder,
    out_dir,
    positive_int,
    replication_count,
    seed,
)

LEVER_HELP = (
    "a key the planner may move: KEY=LOW:HIGH sets every key it names (with * for every key of a mapping, as in "
    "policies) to a value from LOW to HIGH; KEY=xLOW:xHIGH scales them by a factor; an optional :STEP sets the grid "
    "(default ten steps). Repeat for more levers"
)
TARGET_HELP = (
    "a bound the mix must meet: NAME>=VALUE or NAME<=VALUE, NAME an indicator of summary.csv over every child, or "
    "NAME[BREAKDOWN=GROUP] for one group's row, e.g. public_law_cases_within_26_weeks_share>=0.5. Repeat for more"
)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plan",
        help="search for the cheapest mix of capacity levers that meets targets, and confirm it",
        description="Search for the cheapest mix of levers (capacity keys of the scenario, each over a grid) whose run "
        "meets every target, on common random numbers: every point of a small grid, else optuna's TPE sampler with "
        "the targets as constraints and a descent to a cheaper neighbour. A mix's cost is the capacity it adds a year "
        "at the scenario's costs.capacity prices. The chosen mix is confirmed against the base with more "
        "replications on fresh random numbers. Writes plan.csv, plan.html (the mix, its cost, the targets with "
        "intervals, the cost-target frontier), plan.yaml (the mix as an option) and the runs. See docs/workbench.md.",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="the base scenario (with a costs: block that prices capacity)")
    p.add_argument("--lever", action="append", required=True, metavar="KEY=LOW:HIGH[:STEP]", help=LEVER_HELP)
    p.add_argument("--target", action="append", required=True, metavar="NAME>=VALUE", help=TARGET_HELP)
    p.add_argument(
        "--max-evaluations",
        type=positive_int,
        default=20,
        metavar="N",
        help="runs of candidate mixes the search may make (default 20); a grid with no more points is run whole",
    )
    p.add_argument(
        "--confirm-replications",
        type=replication_count,
        default=10,
        metavar="N",
        help="replications of the chosen mix and the base in the confirmation (default 10)",
    )
    p.add_argument(
        "--confirm-seed",
        type=seed,
        default=None,
        metavar="S",
        help="root seed of the confirmation (default: the search's plus one, so it reuses none of its numbers)",
    )
    p.add_argument("--keep-runs", action="store_true", help="keep every evaluation's per-replication tables (large)")
    add_replications(p, default=3)
    add_experiment_options(p, out="results/plan-SCENARIO-...", replications=False)
    p.set_defaults(func=cmd_plan)


def cmd_plan(args: argparse.Namespace) -> int:
    from sim.experiment.plan import plan
    from sim.experiment.plan_search import check_plan
    from sim.experiment.plan_spec import PlanSpecError, check_levers, grid_size, parse_lever, parse_target
    from sim.outputs.plan_report import plan_sentences, read_plan, write_plan_report
    from sim.scenario.loading import load_scenario

    try:
        levers = [parse_lever(text) for text in args.lever]
        targets = [parse_target(text) for text in args.target]
    except PlanSpecError as exc:
        raise UserError(str(exc)) from None
    loaded = load_scenario(args.scenario)
    try:
        check_levers(levers, loaded)
        for warning in check_plan(loaded, levers):
            err(f"warning: {warning}")
    except PlanSpecError as exc:
        raise UserError(str(exc)) from None
    out = out_dir(args, f"plan-{loaded.scenario.name}")
    err(
        f"planning {len(levers)} levers ({grid_size(levers):,} grid points) against {len(targets)} targets: at most "
        f"{args.max_evaluations} runs of {args.replications} replications after the base, then the chosen mix and "
        f"the base with {args.confirm_replications}"
    )
    with experiment_folder(args, out) as executor:
        plan(
            loaded,
            levers,
            targets,
            out,
            replications=args.replications,
            confirm_replications=args.confirm_replications,
            max_evaluations=args.max_evaluations,
            seed=args.seed,
            confirm_seed=args.confirm_seed,
            executor=executor,
            keep_runs=args.keep_runs,
            model=args.model,
            argv=command_line(args),
            log=err,
        )
        write_plan_report(out)
    print("\n".join(plan_sentences(read_plan(out))))
    print(f"plan in {out / 'plan.csv'}; report in {out / 'plan.html'}")
    return EXIT_OK
