"""Figures that put groups side by side: a forest of every headline indicator (a panel per indicator, since their
units differ) and the backlog over time by region. Drawn from the tables a run or comparison wrote (summary.csv,
compare.csv, the timeline); nothing here estimates anything.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.statistics import is_share
from sim.outputs.figures import GRID_ALPHA, PANEL_HEIGHT_INCHES, PANEL_WIDTH_INCHES, _fan, _series, label

PANELS_PER_ROW = 3
FOREST_ROW_INCHES = 0.35
PERCENT = 100


def _group_words(group: object) -> str:
    return "all children" if str(group) == "all" else label(group)


def _unit(indicator: str) -> str:
    """The axis label of an indicator's panel: its unit, from its name (sim.analysis.indicators)."""
    if is_share(indicator):
        return "percent"
    for part, unit in (("weeks", "weeks"), ("days", "days"), ("_count", "children or cases")):
        if part in indicator:
            return unit
    return "per case" if "per_case" in indicator else "value"


def panel_forest(
    table: pd.DataFrame,
    indicators: Sequence[str],
    title: str,
    estimate: str = "mean",
    low: str = "ci95_low",
    high: str = "ci95_high",
    series: str | None = None,
    zero_line: bool = False,
) -> Figure:
    """A forest plot with a panel per indicator: a row per group, the estimate with its interval.

    ``table`` has columns ``indicator, group`` and the estimate and interval columns named; with ``series`` (an
    ``option`` column, say) each group has a point per series, in one colour each. Shares are drawn in percent.
    ``zero_line`` marks no difference (for paired differences).
    """
    present = [i for i in indicators if (table["indicator"] == i).any()]
    columns = min(PANELS_PER_ROW, max(1, len(present)))
    rows_of_panels = max(1, math.ceil(len(present) / columns))
    groups = max(1, table[table["indicator"].isin(present)].groupby("indicator")["group"].nunique().max() or 1)
    names = list(dict.fromkeys(table[series])) if series else [None]
    height = max(PANEL_HEIGHT_INCHES / 2, FOREST_ROW_INCHES * groups * len(names) + 1.2)
    fig, axes = plt.subplots(
        rows_of_panels, columns, figsize=(PANEL_WIDTH_INCHES * columns, height * rows_of_panels), squeeze=False
    )
    step = 0.8 / len(names)
    for ax, indicator in zip(axes.flat, present, strict=False):
        rows = table[table["indicator"] == indicator]
        labels = list(dict.fromkeys(rows["group"].astype(str)))
        scale = PERCENT if _unit(indicator) == "percent" else 1
        for k, name in enumerate(names):
            part = rows if name is None else rows[rows[series] == name]
            ys = [labels.index(str(g)) + (k - (len(names) - 1) / 2) * step for g in part["group"]]
            x = part[estimate].to_numpy(dtype=float) * scale
            err = np.vstack([x - part[low].to_numpy(float) * scale, part[high].to_numpy(float) * scale - x])
            ax.errorbar(x, ys, xerr=np.nan_to_num(np.abs(err)), fmt="o", capsize=3, label=name)
        if zero_line:
            ax.axvline(0, color="grey", linewidth=1)
        ax.set_yticks(range(len(labels)), [_group_words(g) for g in labels])
        ax.invert_yaxis()
        ax.set_title(label(indicator), fontsize="small")
        ax.set_xlabel(_unit(indicator))
        ax.grid(axis="x", alpha=GRID_ALPHA)
    for ax in list(axes.flat)[len(present) :]:
        ax.set_visible(False)
    if series and len(names) > 1:
        axes.flat[0].legend(fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def backlog_by_region(
    timeline: pd.DataFrame | Mapping[str, pd.DataFrame], results_start: Any = None, title: str = "Open cases by region"
) -> Figure:
    """Open cases (all case types) over time, a panel per region: the median across replications with bands for
    the middle 50% and 90%. Several runs (name -> timeline) are overlaid in each panel, one colour per run."""
    runs = {"": timeline} if isinstance(timeline, pd.DataFrame) else dict(timeline)
    by_run = {}
    for name, frame in runs.items():
        rows = frame[frame["measure"].astype(str).str.startswith("open_cases:")]
        by_run[name] = rows.groupby(["replication", "date", "region"], observed=True)["value"].sum().reset_index()
    regions = list(dict.fromkeys(r for frame in by_run.values() for r in frame["region"].astype(str)))
    columns = min(PANELS_PER_ROW, max(1, len(regions)))
    rows_of_panels = max(1, math.ceil(len(regions) / columns))
    fig, axes = plt.subplots(
        rows_of_panels,
        columns,
        figsize=(PANEL_WIDTH_INCHES * columns, PANEL_HEIGHT_INCHES * 0.8 * rows_of_panels),
        squeeze=False,
        sharex=True,
    )
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, region in zip(axes.flat, regions, strict=False):
        for k, (name, frame) in enumerate(by_run.items()):
            rows = frame[frame["region"].astype(str) == region].assign(measure="open")
            _fan(ax, _series(rows, "open"), name or "open cases", colours[k % len(colours)])
        if results_start is not None:
            ax.axvline(pd.Timestamp(results_start), color="grey", linestyle=":", linewidth=1)
        ax.set_title(label(region))
        ax.set_ylabel("open cases")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=GRID_ALPHA)
        ax.tick_params(axis="x", labelrotation=30)
    for ax in list(axes.flat)[len(regions) :]:
        ax.set_visible(False)
    replications = max((frame["replication"].nunique() for frame in by_run.values()), default=0)
    axes.flat[0].legend(fontsize="x-small", loc="upper left")
    fig.suptitle(f"{title} over time: median of {replications} replications, bands: middle 50% and 90%")
    fig.tight_layout()
    return fig
