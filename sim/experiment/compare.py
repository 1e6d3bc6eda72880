"""Compare policy options with a base scenario on common random numbers.

``python run_sim.py compare BASE.yaml OPTION.yaml [OPTION2.yaml ...]`` runs every scenario with the same root
seed and replication numbers, so replication r of every scenario sees the same cases, children and draws for
the same decisions (see :mod:`sim.model.random_streams`). The difference an option makes is then estimated from the
paired differences, replication by replication, which is far more precise than comparing two independent
means. Outputs in ``DIR``:

* ``scenarios/<name>/``: a full run directory for each scenario (``run``'s outputs, manifest, report.html and
  journey log; ``--no-report`` leaves out the last two);
* ``compare.csv``: for every indicator and option, the base and option means and the mean paired difference
  (option minus base) with a Student-t 95% CI (``rough`` with fewer than five replications), its p-value, and
  whether it is distinguishable from zero. Every row is one of many comparisons: the rows are labelled with
  their ``family`` (``headline``: the headline indicators of every option, the comparisons a reader is shown
  first; ``other``: the rest), the family's size (``comparisons``) and the ``correction`` applied within it
  (``--correction holm|bonferroni``; default ``none``: ``p_adjusted`` is then the p-value, and
  ``distinguishable`` is the interval excluding zero);
* ``delay_distributions.png``: time to disposal of every disposed child, by case type, scenarios overlaid;
* ``differences_forest.png``: the differences in the main time-to-disposal indicators with their CIs
  (both drawn by :func:`sim.outputs.experiment_figures.write_comparison_figures` from :func:`compare`'s table and
  :func:`disposal_spreads`: the command calls it after the comparison);
* ``comparison.html``: the base and every option side by side in one self-contained file (written by
  :func:`sim.outputs.comparison_report.write_comparison_report`, which the command calls last);
* ``manifest.json``: the scenarios (with their hashes), the root seed and replications.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.indicators import HEADLINE, KEYS
from sim.analysis.spread import Spread
from sim.analysis.statistics import SIGNIFICANCE, T, adjust_p_values, intervals, p_values
from sim.experiment.manifest import build_manifest, now_iso, scenario_section, write_manifest
from sim.experiment.owned_files import writes_into
from sim.experiment.replication_parts import study_model
from sim.experiment.replications import RunResult, collect_indicators, run_experiment, write_csv
from sim.experiment.results_folder import prepare_directory
from sim.experiment.run_aggregates import disposal_spreads as aggregate_spreads
from sim.experiment.run_tables import connect
from sim.scenario.loading import LoadedScenario, load_scenario
from sim.scenario.yaml_file import ScenarioError

PAIRED_COLUMNS = [
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
]
"""compare.csv's paired difference of each indicator (option minus base) and its interval."""
TEST_COLUMNS = ["rough", "p_value", "family", "comparisons", "correction", "p_adjusted"]
"""compare.csv's test of each difference: its p-value, family of comparisons and the correction within it."""
COMPARE_COLUMNS = [*PAIRED_COLUMNS, *TEST_COLUMNS, "distinguishable"]
HEADLINE_FAMILY, OTHER_FAMILY = "headline", "other"
"""Families of comparisons a correction is applied within: the headline indicators, and everything else."""


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
    table = intervals(joined, KEYS, "difference", method=T)  # a difference may take either sign
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
            "rough": table["rough"],
            "p_value": p_values(table["mean"], table["sd"], n),
        },
        columns=COMPARE_COLUMNS,
    ).pipe(label_comparisons)


def label_comparisons(table: pd.DataFrame, correction: str = "none") -> pd.DataFrame:
    """Each row's family of comparisons, its size, and p-values adjusted within it by ``correction``.

    ``distinguishable`` is an adjusted p-value below 5%; with no correction that is the 95% interval excluding
    zero. The intervals themselves are per comparison, whatever the correction.
    """
    table = table.copy()
    headline = pd.MultiIndex.from_frame(table[KEYS].astype(str)).isin(HEADLINE)
    table["family"] = np.where(headline, HEADLINE_FAMILY, OTHER_FAMILY)
    table["correction"] = correction
    table["comparisons"] = 0
    p = table["p_value"].to_numpy(dtype=float)
    adjusted = np.full(len(table), np.nan)
    for family in (HEADLINE_FAMILY, OTHER_FAMILY):
        rows = (table["family"] == family).to_numpy()
        adjusted[rows] = adjust_p_values(p[rows], correction)
        table.loc[rows, "comparisons"] = int((rows & ~np.isnan(p)).sum())
    table["comparisons"] = table["comparisons"].astype("int64")
    table["p_adjusted"] = adjusted
    table["distinguishable"] = adjusted < SIGNIFICANCE
    return table[COMPARE_COLUMNS]


def disposal_spreads(runs: Mapping[str, RunResult], by: str = "case_type") -> dict[str, dict[str, Spread]]:
    """Per scenario, its distributions of time to disposal by group of ``by`` (group -> spread), all replications
    pooled: what the comparison figures draw (:func:`sim.outputs.experiment_figures.write_comparison_figures`),
    aggregated by DuckDB over each run's Parquet files, so memory holds the spreads, not the children."""
    out = {}
    for name, run in runs.items():
        with connect(run.out) as tables:
            out[name] = aggregate_spreads(tables, by)
    return out


def unique_names(loaded: list[LoadedScenario]) -> list[str]:
    """Scenario names as folder names: a repeated name gets its position appended."""
    names: list[str] = []
    for i, scenario in enumerate(loaded):
        name = scenario.scenario.name
        names.append(name if name not in names else f"{name}_{i}")
    return names


@writes_into("out")
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
    correction: str = "none",
    model: str | None = None,
) -> tuple[pd.DataFrame, dict[str, RunResult]]:
    """Run every scenario on the same seeds into ``out/scenarios/<name>`` and write the comparison.

    ``after_each_run`` is called with each scenario's directory as soon as its run ends (the command passes
    :func:`sim.outputs.report.after_run`, which writes its report.html and journey log, as ``run`` does).
    ``correction`` adjusts the p-values for multiple comparisons within each family (:func:`label_comparisons`).
    ``model``: every scenario runs on one model (:func:`sim.experiment.replication_parts.choose_model`).
    Returns compare.csv's table and the runs; figures are drawn by the caller (the outputs layer).
    """
    model = study_model(model, loaded, log)
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
            model=model,
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
    table = label_comparisons(table, correction)  # the families span every option
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
            "multiple_comparisons": {"correction": correction, "families": [HEADLINE_FAMILY, OTHER_FAMILY]},
        },
    )
    for option in manifest["options"]:
        option.pop("resolved", None)  # each scenario's own manifest holds it
    write_manifest(out / "manifest.json", manifest)
    return table, runs
