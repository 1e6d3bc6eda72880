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
    p.add_argument(
        "--correction",
        choices=("none", "holm", "bonferroni"),
        default="none",
        help="adjust p-values for multiple comparisons within each family of compare.csv's rows (the headline "
        "indicators; the rest): Holm or Bonferroni (default none)",
    )
    p.set_defaults(func=cmd_compare)


def print_comparisons(table) -> None:
    """The headline differences, each labelled as one of a family of comparisons, and whether they are rough."""
    from sim.analysis.statistics import ROUGH_BELOW_REPLICATIONS
    from sim.experiment.compare import HEADLINE_FAMILY

    headline = table[table["family"] == HEADLINE_FAMILY]
    for _, row in headline.iterrows():
        verdict = "distinguishable from zero" if row["distinguishable"] else "not distinguishable from zero"
        adjusted = "" if row["correction"] == "none" else f", {row['correction']}-adjusted p {row['p_adjusted']:.3f}"
        print(
            f"{row['option']}: {row['indicator']} {row['group']}: {row['difference_mean']:+.2f} "
            f"(95% CI {row['difference_ci95_low']:+.2f} to {row['difference_ci95_high']:+.2f}{adjusted}), {verdict}"
        )
    if headline.empty:
        return
    size, correction = int(headline["comparisons"].iloc[0]), str(headline["correction"].iloc[0])
    if correction == "none":
        print(
            f"  these are {size} comparisons, not corrected for multiple comparisons: by chance alone about 1 in 20 "
            "differences with no real effect looks distinguishable (--correction holm adjusts for that)"
        )
    else:
        print(f"  {size} headline comparisons, p-values adjusted by {correction}; compare.csv corrects its other rows")
    if headline["rough"].any():
        print(
            f"  rough: fewer than {ROUGH_BELOW_REPLICATIONS} replications, so the intervals rest on a rough estimate "
            "of the spread"
        )


def print_net_costs(table) -> None:
    """Each option's net cost a year (capacity added less delay saved), when the scenarios price them."""
    from sim.analysis.costs import TOTAL_PER_YEAR
    from sim.outputs.cost_tables import difference_text

    rows = table[(table["indicator"] == TOTAL_PER_YEAR) & (table["breakdown"] == "all")]
    for _, row in rows.sort_values("difference_mean").iterrows():
        net = difference_text(TOTAL_PER_YEAR, row)
        print(f"{row['option']}: net cost a year (capacity added less delay saved): {net}")


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.cli.results import after_run
    from sim.experiment.compare import compare, disposal_spreads, load_all
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
            correction=args.correction,
            **run_settings(args),
        )
        write_comparison_figures(out, table, disposal_spreads(runs))
        write_comparison_report(out)
    print_comparisons(table)
    print_net_costs(table)
    print(f"comparison in {out / 'compare.csv'}")
    print(f"comparison report in {out / 'comparison.html'}")
    failed = [f"{name}: {len(run.failures)}" for name, run in runs.items() if run.failures]
    if failed:
        err("failed replications (see each scenario's manifest.json): " + ", ".join(failed))
        return EXIT_FAILED_REPLICATIONS
    return EXIT_OK
