"""Compare policy options with a base scenario on common random numbers.

``python run_sim.py compare BASE.yaml OPTION.yaml [OPTION2.yaml ...]`` runs every scenario with the same root
seed and replication numbers, so replication r of every scenario sees the same cases, children and draws for
the same decisions (see :mod:`sim.model.random_streams`). The difference an option makes is then estimated from the
paired differences, replication by replication, which is far more precise than comparing two independent
means. Outputs in ``DIR``:

* ``scenarios/<name>/``: a full run directory for each scenario (``run``'s outputs, manifest, report.html and
  journey log; ``--no-report`` leaves out the last two);
* ``compare.csv``: for every indicator and option, the base and option means and the mean paired difference
  (option minus base) with a Student-t 95% CI, and whether the interval excludes zero (``distinguishable``);
* ``delay_distributions.png``: time to disposal of every disposed child, by case type, scenarios overlaid;
* ``differences_forest.png``: the differences in the main time-to-disposal indicators with their CIs
  (both drawn by :func:`sim.outputs.figures.write_comparison_figures` from :func:`compare`'s table and
  :func:`disposal_children`: the command calls it after the comparison);
* ``manifest.json``: the scenarios (with their hashes), the root seed and replications.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from sim.analysis.indicators import HEADLINE, KEYS
from sim.analysis.rows import DISPOSAL_COLUMNS
from sim.analysis.statistics import t_intervals
from sim.experiment.manifest import build_manifest, now_iso, scenario_section, write_manifest
from sim.experiment.replications import (
    RunResult,
    collect_indicators,
    prepare_directory,
    replication_dir,
    run_experiment,
    write_csv,
)
from sim.scenario.schema import LoadedScenario, load_scenario
from sim.scenario.yaml_file import ScenarioError

COMPARE_COLUMNS = [
    "option",
    "indicator",
    "breakdown",
    "group",
    "base_mean",
    "option_mean",
    "difference_mean",
    "difference_ci95_low",
    "difference_ci95_high",
    "difference_sd",
    "difference_percent",
    "replications",
    "distinguishable",
]


def load_all(paths: list[str]) -> list[LoadedScenario]:
    """Load every scenario, reporting the problems of all of them at once."""
    loaded, problems = [], []
    for path in paths:
        try:
            loaded.append(load_scenario(path))
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    return loaded


def paired_differences(base: pd.DataFrame, option: pd.DataFrame, option_name: str) -> pd.DataFrame:
    """Per-indicator paired differences (option - base) over the replications both have."""
    joined = base.merge(option, on=["replication", *KEYS], suffixes=("_base", "_option"), sort=False)
    if joined.empty:
        return pd.DataFrame(columns=COMPARE_COLUMNS)
    both = joined["value_base"].notna() & joined["value_option"].notna()  # replications where both are known
    joined["difference"] = (joined["value_option"] - joined["value_base"]).where(both)
    joined["base"] = joined["value_base"].where(both)
    joined["option"] = joined["value_option"].where(both)
    table = t_intervals(joined, KEYS, "difference")
    means = joined.groupby(KEYS, sort=False, dropna=False)[["base", "option"]].mean().reset_index()
    table = table.merge(means, on=KEYS, how="left", sort=False)
    n = table["replications"]
    base_mean = table["base"].where(n > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        percent = (table["mean"] / base_mean * 100).where((n > 0) & (base_mean != 0))
    return pd.DataFrame(
        {
            "option": option_name,
            "indicator": table["indicator"],
            "breakdown": table["breakdown"],
            "group": table["group"],
            "base_mean": base_mean,
            "option_mean": table["option"].where(n > 0),
            "difference_mean": table["mean"],
            "difference_ci95_low": table["ci95_low"],
            "difference_ci95_high": table["ci95_high"],
            "difference_sd": table["sd"],
            "difference_percent": percent,
            "replications": n,
            "distinguishable": (n > 1) & ((table["ci95_low"] > 0) | (table["ci95_high"] < 0)),
        },
        columns=COMPARE_COLUMNS,
    )


def disposal_children(runs: Mapping[str, RunResult]) -> dict[str, pd.DataFrame]:
    """Per scenario, the children columns a time to disposal needs, read replication by replication.

    What the comparison figures draw (:func:`sim.outputs.figures.write_comparison_figures`); only these
    columns are read, so memory holds a few columns of every child, not whole tables.
    """
    columns = ["case_type", *DISPOSAL_COLUMNS]
    out = {}
    for name, run in runs.items():
        frames = [
            pq.read_table(replication_dir(run.out, r) / "children.parquet", columns=columns).to_pandas()
            for r in run.replications_used
        ]
        out[name] = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    return out


def unique_names(loaded: list[LoadedScenario]) -> list[str]:
    """Scenario names as folder names: a repeated name gets its position appended."""
    names: list[str] = []
    for i, scenario in enumerate(loaded):
        name = scenario.scenario.name
        names.append(name if name not in names else f"{name}_{i}")
    return names


def compare(
    loaded: list[LoadedScenario],
    out: Path,
    *,
    replications: int,
    seed: int | None = None,
    executor: Any = None,
    show_progress: bool = False,
    argv: list[str] | None = None,
    log: Any = None,
    after_each_run: Callable[[Path], object] | None = None,
) -> tuple[pd.DataFrame, dict[str, RunResult]]:
    """Run every scenario on the same seeds into ``out/scenarios/<name>`` and write the comparison.

    ``after_each_run`` is called with each scenario's directory as soon as its run ends (the command passes
    :func:`sim.outputs.report.after_run`, which writes its report.html and journey log, as ``run`` does).
    Returns compare.csv's table and the runs; figures are drawn by the caller (the outputs layer).
    """
    started_iso, started = now_iso(), time.perf_counter()
    root_seed = loaded[0].scenario.seed if seed is None else seed
    names = unique_names(loaded)
    runs: dict[str, RunResult] = {}
    for name, scenario in zip(names, loaded, strict=True):
        sub = out / "scenarios" / name
        prepare_directory(sub, force=False)
        runs[name] = run_experiment(
            scenario,
            sub,
            replications=replications,
            seed=root_seed,
            executor=executor,
            show_progress=show_progress,
            argv=argv,
            log=log,
            extra_manifest={"comparison": {"directory": str(out), "role": "base" if not runs else "option"}},
        )
        if after_each_run is not None and runs[name].replications_used:
            after_each_run(sub)
    base_name = names[0]
    base = collect_indicators(runs[base_name].out, runs[base_name].replications_used)
    tables = [
        paired_differences(base, collect_indicators(run.out, run.replications_used), name)
        for name, run in list(runs.items())[1:]
    ]
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=COMPARE_COLUMNS)
    write_csv(out / "compare.csv", table)
    manifest = build_manifest(
        loaded[0],
        root_seed=root_seed,
        replications={name: run.replications_used for name, run in runs.items()},
        started=started_iso,
        ended=now_iso(),
        wall_seconds=time.perf_counter() - started,
        status="failed" if any(run.failures for run in runs.values()) else "complete",
        argv=argv,
        extra={
            "kind": "comparison",
            "base": base_name,
            "options": [
                {"name": name, "directory": str(run.out), **scenario_section(scenario)["scenario"]}
                for (name, run), scenario in zip(runs.items(), loaded, strict=True)
            ],
            "common_random_numbers": "every scenario runs with the same root seed and replication numbers",
        },
    )
    for option in manifest["options"]:
        option.pop("resolved", None)  # each scenario's own manifest holds it
    write_manifest(out / "manifest.json", manifest)
    return table, runs


# ---------------------------------------------------------------------------------------------- command line
def add_parser(sub: argparse._SubParsersAction, add_execution: Any) -> None:
    from sim.cli.main import _positive_int, _seed

    p = sub.add_parser(
        "compare",
        help="run a base scenario and options on the same random numbers and estimate paired differences",
    )
    p.add_argument("base", metavar="BASE", help="the base scenario")
    p.add_argument("options", nargs="+", metavar="OPTION", help="scenarios to compare with the base")
    p.add_argument("--replications", type=_positive_int, default=5, metavar="N", help="replications (default 5)")
    p.add_argument("--seed", type=_seed, default=None, metavar="S", help="root seed (default: the base's seed)")
    p.add_argument("--out", default=None, metavar="DIR", help="output directory (default results/compare-...)")
    p.add_argument("--force", action="store_true", help="replace results in an existing, non-empty --out DIR")
    p.add_argument(
        "--no-report",
        action="store_true",
        help="do not write each scenario's report.html and journey log (python run_sim.py report DIR writes it)",
    )
    add_execution(p)
    p.set_defaults(func=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.cli.main import EXIT_FAILED_REPLICATIONS, _err, default_out, executor_for, progress_enabled
    from sim.outputs.figures import write_comparison_figures  # outputs draw; this command moves to sim.cli
    from sim.outputs.report import after_run

    loaded = load_all([args.base, *args.options])
    out = Path(args.out) if args.out else default_out(f"compare-{loaded[0].scenario.name}")
    prepare_directory(out, force=args.force)
    seeds = {s.scenario.seed for s in loaded}
    if args.seed is None and len(seeds) > 1:
        _err(f"note: the scenarios declare different seeds; all run with the base's seed {loaded[0].scenario.seed}")
    with executor_for(args, out) as executor:
        table, runs = compare(
            loaded,
            out,
            replications=args.replications,
            seed=args.seed,
            executor=executor,
            show_progress=progress_enabled(),
            argv=args.argv or [sys.executable, *sys.argv],
            log=_err,
            after_each_run=None if args.no_report else lambda directory: after_run(directory, log=_err),
        )
    write_comparison_figures(out, table, disposal_children(runs))
    headline = table.set_index(KEYS).loc[lambda t: t.index.isin(HEADLINE)].reset_index()
    for _, row in headline.iterrows():
        verdict = "distinguishable from zero" if row["distinguishable"] else "not distinguishable from zero"
        print(
            f"{row['option']}: {row['indicator']} {row['group']}: {row['difference_mean']:+.2f} "
            f"(95% CI {row['difference_ci95_low']:+.2f} to {row['difference_ci95_high']:+.2f}), {verdict}"
        )
    print(f"comparison in {out / 'compare.csv'}")
    failed = [f"{name}: {len(run.failures)}" for name, run in runs.items() if run.failures]
    if failed:
        _err("failed replications (see each scenario's manifest.json): " + ", ".join(failed))
        return EXIT_FAILED_REPLICATIONS
    return 0
