"""``compare BASE OPTION...``: a base scenario and options on common random numbers (:mod:`sim.experiment.compare`)."""

from __future__ import annotations

import argparse

from sim.cli.common import (
    EXIT_FAILED_REPLICATIONS,
    EXIT_OK,
    add_experiment_options,
    err,
    experiment_folder,
    out_dir,
    run_settings,
)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare",
        help="run a base scenario and options on the same random numbers and estimate paired differences",
        description="Run the base scenario and each option with the same root seed, so replication r of every "
        "scenario draws the same random numbers (common random numbers), and estimate each option's difference "
        "from the base, paired by replication, with a 95% interval. Writes compare.csv, comparison.html (the base "
        "and options side by side), figures and one run "
        "folder per scenario into the output folder.",
    )
    p.add_argument("base", metavar="BASE", help="the base scenario")
    p.add_argument("options", nargs="+", metavar="OPTION", help="scenarios to compare with the base")
    add_experiment_options(p, out="results/compare-...", whose_seed="the base's")
    p.add_argument(
        "--no-report",
        action="store_true",
        help="do not write each scenario's report.html and journey log (the report and ocel commands write them later)",
    )
    p.set_defaults(func=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.analysis.indicators import HEADLINE
    from sim.cli.results import after_run
    from sim.experiment.compare import KEYS, compare, disposal_children, load_all
    from sim.outputs.comparison_report import write_comparison_report
    from sim.outputs.experiment_figures import write_comparison_figures

    loaded = load_all([args.base, *args.options])
    out = out_dir(args, f"compare-{loaded[0].scenario.name}")
    seeds = {s.scenario.seed for s in loaded}
    if args.seed is None and len(seeds) > 1:
        err(f"note: the scenarios declare different seeds; all run with the base's seed {loaded[0].scenario.seed}")
    with experiment_folder(args, out) as executor:
        table, runs = compare(
            loaded,
            out,
            executor=executor,
            after_each_run=None if args.no_report else after_run,
            **run_settings(args),
        )
        write_comparison_figures(out, table, disposal_children(runs))
        write_comparison_report(out)
    headline = table.set_index(KEYS).loc[lambda t: t.index.isin(HEADLINE)].reset_index()
    for _, row in headline.iterrows():
        verdict = "distinguishable from zero" if row["distinguishable"] else "not distinguishable from zero"
        print(
            f"{row['option']}: {row['indicator']} {row['group']}: {row['difference_mean']:+.2f} "
            f"(95% CI {row['difference_ci95_low']:+.2f} to {row['difference_ci95_high']:+.2f}), {verdict}"
        )
    print(f"comparison in {out / 'compare.csv'}")
    print(f"comparison report in {out / 'comparison.html'}")
    failed = [f"{name}: {len(run.failures)}" for name, run in runs.items() if run.failures]
    if failed:
        err("failed replications (see each scenario's manifest.json): " + ", ".join(failed))
        return EXIT_FAILED_REPLICATIONS
    return EXIT_OK
