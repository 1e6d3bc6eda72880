"""The ``plan`` command's run: search (:mod:`sim.experiment.plan_search`), confirm the chosen mix, write the record.

Outputs in the folder: ``evaluations/eval-NNNN/`` (each candidate's run), ``confirm/`` (the chosen mix against the
base, a ``compare`` folder), ``plan.csv`` (one row per evaluation: the levers, the capacity it adds a year, each
target's mean and 95% interval and whether it is met, the delay cost a year, which one was chosen), ``plan.yaml`` (the
chosen mix as an option that ``extends`` the base, to run or compare again) and ``manifest.json`` (kind ``plan``:
levers, targets, settings, the chosen mix and the confirmation). The report is :mod:`sim.outputs.plan_report`'s.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.analysis.costs import CAPACITY_PER_YEAR, PER_YEAR, TOTAL_PER_YEAR
from sim.experiment.compare import compare
from sim.experiment.manifest import study_manifest, write_manifest
from sim.experiment.model_calibration.parameter_values import concrete_keys, resolved_data
from sim.experiment.owned_files import MANIFEST_NAME, claim, write_atomically, writes_into
from sim.experiment.plan_search import (
    CONFIRM_DIR,
    CONFIRM_SEED_OFFSET,
    PLAN_CSV,
    PLAN_YAML,
    Evaluation,
    Plan,
    Planner,
    search,
)
from sim.experiment.plan_spec import Lever, Target
from sim.experiment.replication_parts import study_model
from sim.experiment.replications import collect_indicators, write_csv
from sim.scenario.loading import LoadedScenario

PLAN_SUFFIX = "_plan"
"""The chosen mix's scenario is the base's name with this added (its folder in ``confirm/scenarios/``)."""
CONFIRM_COLUMNS = [
    "target",
    "bound",
    "mean",
    "ci95_low",
    "ci95_high",
    "replications",
    "replications_meeting_share",
    "verdict",
]


# ---------------------------------------------------------------------------------------------- the confirmation
def verdict(target: Target, low: float, high: float) -> str:
    """Whether the 95% interval lies on the target's side of its threshold, straddles it, or misses it."""
    if math.isnan(low) or math.isnan(high):
        return "no interval (one replication)"
    inside = (low >= target.threshold) if target.at_least else (high <= target.threshold)
    outside = (high < target.threshold) if target.at_least else (low > target.threshold)
    if inside:
        return "met: the 95% interval is on the target's side of the threshold"
    if outside:
        return "missed: the 95% interval is on the wrong side of the threshold"
    return "uncertain: the 95% interval contains the threshold"


def confirm_targets(targets: list[Target], summary: pd.DataFrame, per_replication: pd.DataFrame) -> pd.DataFrame:
    """Each target in the confirmation: its mean, 95% interval, the share of replications meeting it, a verdict."""
    rows = []
    for target in targets:
        values = per_replication[
            (per_replication["indicator"] == target.indicator)
            & (per_replication["breakdown"].astype(str) == target.breakdown)
            & (per_replication["group"].astype(str) == target.group)
        ]["value"].dropna()
        found = summary[
            (summary["indicator"] == target.indicator)
            & (summary["breakdown"].astype(str) == target.breakdown)
            & (summary["group"].astype(str) == target.group)
        ]
        mean, low, high = (
            (math.nan,) * 3
            if found.empty
            else tuple(float(found.iloc[0][c]) for c in ("mean", "ci95_low", "ci95_high"))
        )
        rows.append(
            {
                "target": target.name,
                "bound": f"{'>=' if target.at_least else '<='} {target.threshold:g}",
                "mean": mean,
                "ci95_low": low,
                "ci95_high": high,
                "replications": len(values),
                "replications_meeting_share": float(np.mean([target.met(v) for v in values]))
                if len(values)
                else math.nan,
                "verdict": verdict(target, low, high),
            }
        )
    return pd.DataFrame(rows, columns=CONFIRM_COLUMNS)


def _confirm(planner: Planner, result: Plan, replications: int, seed: int, log: Any, argv: Any) -> None:
    """Run the chosen mix against the base in ``confirm/`` and read the targets and costs from it."""
    assert result.chosen is not None and result.chosen.values is not None
    name = f"{planner.loaded.scenario.name}{PLAN_SUFFIX}"
    mix = planner.scenario(result.chosen.values, name=name)
    claim([result.out / CONFIRM_DIR / MANIFEST_NAME])  # the comparison's own manifest, listed in the plan's too
    table, runs = compare(
        [planner.loaded, mix],
        result.out / CONFIRM_DIR,
        replications=replications,
        seed=seed,
        executor=planner.executor,
        log=log,
        argv=argv,
        model=planner.model,
    )
    run = runs[name]
    result.confirm = confirm_targets(planner.targets, run.summary, collect_indicators(run.out, run.replications_used))
    costs = table[
        (table["breakdown"] == "all") & table["indicator"].isin([PER_YEAR, CAPACITY_PER_YEAR, TOTAL_PER_YEAR])
    ]
    result.confirm_costs = costs.reset_index(drop=True)
    result.confirm_replications = len(run.replications_used)


# ---------------------------------------------------------------------------------------------- the record
def plan_table(result: Plan) -> pd.DataFrame:
    """plan.csv: one row per evaluation, the base first."""
    rows = []
    for e in result.evaluations:
        row: dict[str, Any] = {"evaluation": e.index, "phase": e.phase}
        for i, lever in enumerate(result.levers):
            row[lever.label] = math.nan if e.values is None else e.values[i]
        row["capacity_added_gbp_per_year"] = e.cost_gbp_per_year
        for target in result.targets:
            row[target.name] = e.means[target.name]
            row[f"{target.name} ci95_low"] = e.lows[target.name]
            row[f"{target.name} ci95_high"] = e.highs[target.name]
            row[f"{target.name} met"] = target.met(e.means[target.name])
        row["delay_cost_gbp_per_year"] = e.delay_cost_gbp_per_year
        row["meets_targets"] = e.feasible
        row["chosen"] = result.chosen is not None and e.index == result.chosen.index
        row["folder"] = e.folder.name
        rows.append(row)
    return pd.DataFrame(rows)


def option_text(planner: Planner, chosen: Evaluation, out: Path) -> str:
    """plan.yaml: the chosen mix as an option that extends the base, each key the levers moved at its value."""
    assert chosen.values is not None
    applied = resolved_data(planner.scenario(chosen.values))
    changes: dict[str, Any] = {}
    for lever in planner.levers:
        for path in concrete_keys(applied, lever.key):
            cut = next((i for i, part in enumerate(path) if isinstance(part, int)), len(path))  # a list is replaced
            node, value = changes, applied
            for part in path[:cut]:
                value = value[part]
            for part in path[: cut - 1]:
                node = node.setdefault(part, {})
            node[path[cut - 1]] = value
    base = os.path.relpath(os.path.abspath(planner.loaded.path), os.path.abspath(out))
    mix = ", ".join(f"{lever.label} {v:g}" for lever, v in zip(planner.levers, chosen.values, strict=True))
    header = (
        f"# The capacity planner's chosen mix ({mix}): it adds £{chosen.cost_gbp_per_year:,.0f} a year of capacity\n"
        "# and met every target in the search. Compare it with the base, or extend it.\n"
    )
    body = {"extends": base, "name": f"{planner.loaded.scenario.name}{PLAN_SUFFIX}", **changes}
    return header + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)


@writes_into("out")
def plan(
    loaded: LoadedScenario,
    levers: list[Lever],
    targets: list[Target],
    out: Path,
    *,
    replications: int,
    confirm_replications: int,
    max_evaluations: int,
    seed: int | None = None,
    confirm_seed: int | None = None,
    executor: Any = None,
    keep_runs: bool = False,
    argv: list[str] | None = None,
    log: Callable[[str], None] | None = None,
    model: str | None = None,
) -> Plan:
    """Search for the cheapest mix meeting the targets, confirm it and write the record into ``out`` (see the module
    docstring); ``out`` must exist and be empty. Every run is on one ``model`` (chosen for the base if None)."""
    out = Path(out)
    model = study_model(model, loaded, log)
    root_seed = loaded.scenario.seed if seed is None else int(seed)
    check_seed = root_seed + CONFIRM_SEED_OFFSET if confirm_seed is None else int(confirm_seed)
    about = {
        "kind": "plan",
        "levers": [
            {"key": lv.key, "change": "scale" if lv.scale else "set", "low": lv.low, "high": lv.high, "step": lv.step}
            for lv in levers
        ],
        "targets": [
            {"name": t.name, "at_least": t.at_least, "threshold": t.threshold, "text": t.text} for t in targets
        ],
        "options": {
            "replications": replications,
            "confirm_replications": confirm_replications,
            "max_evaluations": max_evaluations,
            "seed": root_seed,
            "confirm_seed": check_seed,
            "model": model,
        },
    }

    manifest = study_manifest(
        loaded,
        root_seed=root_seed,
        replications={"per_evaluation": replications, "confirm": confirm_replications},
        about=about,
        argv=argv,
    )

    write_manifest(out / "manifest.json", manifest("running", {}))
    planner = Planner(
        loaded,
        levers,
        targets,
        out,
        replications=replications,
        seed=root_seed,
        executor=executor,
        log=log,
        keep_runs=keep_runs,
        model=model,
    )
    planner.evaluate(None, "base")
    method = search(planner, max_evaluations, root_seed)
    result = Plan(levers, targets, planner.evaluations, planner.best(), method, out=out)
    if result.chosen is not None:
        _confirm(planner, result, confirm_replications, check_seed, log, argv)
        text = option_text(planner, result.chosen, out)
        write_atomically(out / PLAN_YAML, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    write_csv(out / PLAN_CSV, plan_table(result))
    chosen = result.chosen
    summary = {
        "method": method,
        "evaluations": len(planner.evaluations),
        "chosen": None
        if chosen is None
        else {
            "evaluation": chosen.index,
            "levers": [
                {"key": lv.key, "change": "scale" if lv.scale else "set", "value": v}
                for lv, v in zip(levers, chosen.values or (), strict=True)
            ],
            "capacity_added_gbp_per_year": chosen.cost_gbp_per_year,
            "confirm": None if result.confirm is None else result.confirm.to_dict(orient="records"),
            "confirm_directory": str(out / CONFIRM_DIR),
        },
    }
    write_manifest(out / "manifest.json", manifest("complete", summary))
    return result
