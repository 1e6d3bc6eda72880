"""The back-cast figure: one panel per indicator, the model's band over time against the published points.

The band is the model's mean and 95% prediction interval for one replication at every quarter (or year) end
(``BackcastResult.trajectory``); published points are dots, filled where the calibration may fit them and
hollow where they are held out (2024 onward).
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from sim.outputs.figures import GRID_ALPHA, INNER_ALPHA, PANEL_HEIGHT_INCHES, PANEL_WIDTH_INCHES, close, label, save

PANEL_COLUMNS = 3
MARKER_SIZE = 5
PANEL_HEIGHT_SHARE = 0.7
"""Back-cast panels are wider than tall: a time axis over seven years."""


def backcast_figure(table: pd.DataFrame, trajectory: pd.DataFrame) -> Figure:
    """A panel per indicator the model measures: its band (from ``trajectory``) and the published points."""
    measured = sorted(set(trajectory["indicator"]) | set(table.loc[table["model"].notna(), "indicator"]))
    columns = min(PANEL_COLUMNS, max(1, len(measured)))
    rows = max(1, math.ceil(len(measured) / columns))
    fig, axes = plt.subplots(
        rows,
        columns,
        figsize=(PANEL_WIDTH_INCHES * columns, PANEL_HEIGHT_INCHES * rows * PANEL_HEIGHT_SHARE),
        squeeze=False,
    )
    for ax, indicator in zip(axes.flat, measured, strict=False):
        own = trajectory[trajectory["indicator"] == indicator].sort_values("date")
        dates = pd.to_datetime(own["date"])
        ax.fill_between(dates, own["lower"], own["upper"], alpha=INNER_ALPHA, label="model, 95% band")
        ax.plot(dates, own["model"], label="model, mean")
        points = table[(table["indicator"] == indicator) & table["published"].notna()]
        fitted, held = points[points["fitted"]], points[~points["fitted"]]
        ax.plot(
            pd.to_datetime(fitted["date"]),
            fitted["published"],
            "o",
            color="black",
            ms=MARKER_SIZE,
            label="published (fitted)",
        )
        ax.plot(
            pd.to_datetime(held["date"]),
            held["published"],
            "o",
            mfc="none",
            color="black",
            ms=MARKER_SIZE,
            label="published (held out)",
        )
        ax.set_title(label(indicator), fontsize="medium")
        ax.grid(alpha=GRID_ALPHA)
        ax.tick_params(axis="x", labelrotation=30)
    for ax in list(axes.flat)[len(measured) :]:
        ax.set_visible(False)
    if measured:
        axes.flat[0].legend(fontsize="small")
    fig.suptitle("Back-cast: the model against the published trajectory")
    fig.tight_layout()
    return fig


def write_backcast_figure(directory: str | Path, table: pd.DataFrame, trajectory: pd.DataFrame) -> list[Path]:
    """``backcast.png`` (and ``.svg``) in ``directory``."""
    fig = backcast_figure(table, trajectory)
    try:
        return save(fig, directory, "backcast")
    finally:
        close(fig)
