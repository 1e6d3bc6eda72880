"""The figure of a Morris or Sobol sweep, drawn from its sensitivity.csv (:mod:`sim.experiment.sensitivity`).

Morris: mu* with its 95% interval per key (which keys matter), beside mu* against sigma (keys far above the
diagonal act through interactions or non-linearly). Sobol: S1 and ST per key with their 95% intervals (ST well
above S1: the key matters through interactions). Both for the sweep's headline indicator.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display is needed or wanted
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from sim.outputs.figures import GRID_ALPHA, close, save

SENSITIVITY_FIGURE = "sensitivity"
FIGURE_FORMATS = ("png",)


def morris_figure(rows: pd.DataFrame, title: str) -> Figure:
    """Morris measures of one indicator: mu* bars with intervals, and mu* against sigma."""
    rows = rows.sort_values("mu_star")
    fig, (bars, scatter) = plt.subplots(
        1, 2, figsize=(12, 2.5 + 0.45 * max(3, len(rows))), layout="constrained", width_ratios=(1, 1)
    )
    bars.barh(rows["key"], rows["mu_star"], xerr=rows["mu_star_ci95"], color="tab:blue", alpha=0.7, capsize=3)
    bars.set_xlabel("mu*: mean absolute effect over the key's range\n(indicator's units), with 95% interval")
    bars.grid(axis="x", alpha=GRID_ALPHA)
    scatter.scatter(rows["mu_star"], rows["sigma"], color="tab:blue")
    for r in rows.itertuples():
        scatter.annotate(r.key, (r.mu_star, r.sigma), fontsize="small", xytext=(3, 3), textcoords="offset points")
    top = float(max(rows["mu_star"].max(), rows["sigma"].max(), 0)) * 1.1 or 1.0
    scatter.plot([0, top], [0, top], color="grey", linewidth=0.8, linestyle="--", label="sigma = mu*")
    scatter.set_xlim(0, top * 1.4)  # room for the keys' names
    scatter.set_ylim(0, top)
    scatter.set_xlabel("mu*\n")
    scatter.set_ylabel("sigma: spread of the effects\n(interaction, non-linearity)")
    scatter.legend(loc="upper left", fontsize="small")
    scatter.grid(alpha=GRID_ALPHA)
    fig.suptitle(title)
    return fig


def sobol_figure(rows: pd.DataFrame, title: str) -> Figure:
    """Sobol indices of one indicator: first order (S1) and total (ST) per key, with 95% intervals."""
    rows = rows.sort_values("ST").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(9, 2.5 + 0.55 * max(3, len(rows))), layout="constrained")
    height = 0.38
    ax.barh(rows.index - height / 2, rows["S1"], height, xerr=rows["S1_ci95"], label="S1: the key alone", capsize=3)
    ax.barh(rows.index + height / 2, rows["ST"], height, xerr=rows["ST_ci95"], label="ST: with interactions", capsize=3)
    ax.set_yticks(rows.index, rows["key"])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("share of the indicator's variance over the ranges, 95% interval")
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(axis="x", alpha=GRID_ALPHA)
    ax.set_title(title)
    return fig


def write_sensitivity_figure(directory: str | Path) -> list[Path]:
    """Draw ``sensitivity.png`` into a Morris or Sobol sweep's directory from its sensitivity.csv; return its path
    (none when the headline indicator could not be analysed)."""
    from sim.experiment.sweep import TORNADO_INDICATOR

    table = pd.read_csv(Path(directory) / "sensitivity.csv")
    indicator, breakdown, group = TORNADO_INDICATOR
    rows = table[(table.indicator == indicator) & (table.breakdown == breakdown) & (table.group == group)]
    if rows.empty:
        return []
    if "mu_star" in rows:
        fig = morris_figure(rows, f"Morris screening: {indicator} ({group})")
    else:
        fig = sobol_figure(rows, f"Sobol indices: {indicator} ({group})")
    paths = save(fig, directory, SENSITIVITY_FIGURE, formats=FIGURE_FORMATS)
    close(fig)
    return paths
