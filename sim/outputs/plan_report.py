"""The capacity planner's report: ``plan.html`` (one self-contained file) and ``frontier.png``, from a plan folder.

Read from what :mod:`sim.experiment.plan` wrote: ``manifest.json`` (levers, targets, the method, the chosen mix and
its confirmation), ``plan.csv`` (every evaluation) and ``confirm/compare.csv`` (the chosen mix against the base). It
says which mix was chosen and what it adds a year, each target in the search and in the confirmation with its 95%
interval, the share of confirmation replications that met it and a verdict on the interval against the threshold,
the paired differences in the cost of delay, of capacity and the net cost, and draws the cost-target frontier: each
evaluation's capacity cost against each target, the threshold, the cheapest value reached so far, the chosen mix.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.costs import CAPACITY_PER_YEAR, PER_YEAR, TOTAL_PER_YEAR
from sim.outputs.cost_tables import difference_text
from sim.outputs.html import embed, number, pounds, render, words, write_page

PLAN_REPORT_NAME, FRONTIER_NAME = "plan.html", "frontier"
SECTIONS = {
    "summary": "The answer",
    "mix": "The chosen mix",
    "targets": "The targets, and how sure the answer is",
    "costs": "What the mix costs and saves",
    "frontier": "Cost against the targets",
    "evaluations": "Every evaluation",
    "method": "How it was searched",
}
COST_LABELS = {
    PER_YEAR: "cost of delay a year",
    CAPACITY_PER_YEAR: "capacity cost a year",
    TOTAL_PER_YEAR: "net cost a year (capacity added less delay saved)",
}


def read_plan(directory: str | Path) -> dict[str, Any]:
    """The plan folder's manifest, evaluations and confirmation costs."""
    directory = Path(directory)
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    table = pd.read_csv(directory / "plan.csv")
    compared = directory / "confirm" / "compare.csv"
    costs = pd.read_csv(compared) if compared.exists() else None
    if costs is not None:
        costs = costs[(costs["breakdown"] == "all") & costs["indicator"].isin(list(COST_LABELS))]
    return {"directory": directory, "manifest": manifest, "table": table, "costs": costs}


def _targets(manifest: dict[str, Any]) -> list[str]:
    return [r["target"] for r in (manifest.get("chosen") or {}).get("confirm") or []]


def lever_text(lever: dict[str, Any]) -> str:
    """A lever at its value: ``KEY x1.1`` (a scale) or ``KEY = 120`` (a value)."""
    return (
        f"{lever['key']} x{lever['value']:g}" if lever["change"] == "scale" else f"{lever['key']} = {lever['value']:g}"
    )


def plan_sentences(plan: dict[str, Any]) -> list[str]:
    """The answer in sentences: the mix and its cost, each target in the confirmation, the net cost."""
    manifest, costs = plan["manifest"], plan["costs"]
    chosen = manifest.get("chosen")
    if chosen is None:
        return [f"No mix within the levers' ranges met every target ({manifest.get('method', '')})."]
    mix = ", ".join(lever_text(lever) for lever in chosen["levers"])
    out = [
        f"The cheapest mix found that meets every target: {mix}. It adds "
        f"{pounds(chosen['capacity_added_gbp_per_year'])} of capacity a year."
    ]
    for r in chosen.get("confirm") or []:
        share = r["replications_meeting_share"]
        met = "–" if share is None or (isinstance(share, float) and math.isnan(share)) else f"{share:.0%}"
        out.append(
            f"{r['target']} {r['bound']}: {number(r['mean'], 3)} (95% interval {number(r['ci95_low'], 3)} to "
            f"{number(r['ci95_high'], 3)}) in {r['replications']} confirmation replications, {met} of which met it; "
            f"{r['verdict']}."
        )
    if costs is not None and not costs.empty:
        for _, r in costs.iterrows():
            out.append(
                f"{COST_LABELS[r['indicator']].capitalize()}, mix minus base: {difference_text(r['indicator'], r)}."
            )
    return out


def _frontier(table: pd.DataFrame, manifest: dict[str, Any], names: list[str]) -> Any:
    """Each evaluation's capacity cost against each target (a panel each), the threshold, the best reached."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    targets = {t["name"]: t for t in manifest["targets"]}
    names = names or list(targets)
    fig, axes = plt.subplots(1, len(names), figsize=(6 * len(names), 4.2), squeeze=False)
    chosen = table[table["chosen"].astype(bool)]
    for ax, name in zip(axes[0], names, strict=True):
        at_least, threshold = bool(targets[name]["at_least"]), float(targets[name]["threshold"])
        rows = table.sort_values("capacity_added_gbp_per_year")
        x = rows["capacity_added_gbp_per_year"] / 1e6
        low, high = rows[f"{name} ci95_low"], rows[f"{name} ci95_high"]
        met = rows["meets_targets"].astype(bool)
        ax.errorbar(x, rows[name], yerr=[rows[name] - low, high - rows[name]], fmt="none", ecolor="0.7", lw=1)
        ax.scatter(x[met], rows[name][met], color="tab:green", label="meets every target", zorder=3)
        ax.scatter(x[~met], rows[name][~met], color="tab:red", marker="x", label="misses a target", zorder=3)
        best = rows[name].cummax() if at_least else rows[name].cummin()
        ax.step(x, best, where="post", color="tab:blue", lw=1, label="best reached at this cost or less")
        ax.axhline(threshold, color="k", ls="--", lw=1, label=f"target {'>=' if at_least else '<='} {threshold:g}")
        if not chosen.empty:
            ax.scatter(
                chosen["capacity_added_gbp_per_year"] / 1e6,
                chosen[name],
                s=180,
                marker="*",
                color="gold",
                edgecolor="k",
                zorder=4,
                label="chosen",
            )
        ax.set_xlabel("capacity added, £ million a year (against the base)")
        ax.set_ylabel(words(name))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Cost against the targets: every evaluation, on common random numbers (95% intervals)")
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


def _cell(column: str, value: Any) -> str:
    """A cell of plan.csv for a reader: pounds as pounds, numbers to four significant figures."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return "" if math.isnan(value) else pounds(value) if "gbp" in column else f"{value:.4g}"
    return str(value)


def _evaluations(table: pd.DataFrame) -> dict[str, Any]:
    header = [words(c) for c in table.columns]
    rows = [[_cell(c, v) for c, v in r.items()] for _, r in table.iterrows()]
    return {"header": header, "rows": rows}


def render_plan(directory: str | Path) -> str:
    """plan.html for a plan folder, as an HTML string (frontier.png is written beside it)."""
    from sim.outputs.figures import save

    started = time.perf_counter()
    plan = read_plan(directory)
    manifest, table = plan["manifest"], plan["table"]
    names = [c for c in table.columns if f"{c} met" in table.columns]
    fig = _frontier(table, manifest, names)
    save(fig, plan["directory"], FRONTIER_NAME, formats=("png",))
    chosen = manifest.get("chosen")
    levers = [
        [
            lv["key"],
            lv["change"],
            f"{lv['low']:g} to {lv['high']:g} by {lv['step']:g}",
            "–" if chosen is None else f"{chosen['levers'][i]['value']:g}",
        ]
        for i, lv in enumerate(manifest["levers"])
    ]
    costs = plan["costs"]
    context = {
        "title": f"Capacity plan: {manifest['scenario']['name']}",
        "sections": SECTIONS,
        "name": manifest["scenario"]["name"],
        "sentences": plan_sentences(plan),
        "levers": levers,
        "chosen": chosen,
        "confirm": [
            [
                r["target"],
                r["bound"],
                number(r["mean"], 3),
                number(r["ci95_low"], 3),
                number(r["ci95_high"], 3),
                number(r["replications"], 0),
                "–" if r["replications_meeting_share"] is None else f"{r['replications_meeting_share']:.0%}",
                r["verdict"],
            ]
            for r in (chosen or {}).get("confirm") or []
        ],
        "costs": []
        if costs is None
        else [[COST_LABELS[r["indicator"]], difference_text(r["indicator"], r)] for _, r in costs.iterrows()],
        "frontier": embed(fig, "Each evaluation's capacity cost against each target, with its 95% interval."),
        "evaluations": _evaluations(table),
        "manifest": manifest,
        "written": f"{pd.Timestamp.now():%Y-%m-%d %H:%M}",
    }
    context["seconds"] = time.perf_counter() - started
    return render("plan.html.j2", **context)


def write_plan_report(directory: str | Path) -> Path:
    """Write DIR/plan.html (atomically) and DIR/frontier.png from a plan folder; return the page's path."""
    return write_page(directory, PLAN_REPORT_NAME, render_plan(directory))
