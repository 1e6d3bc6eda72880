"""Figures of experiments: paired differences of a comparison (forest, distributions), the sweep's tornado and
the warm-up's Welch plot. Drawn after the experiment has written its tables, by the command or the API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display is needed or wanted
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.analysis.indicators import KEYS
from sim.outputs.figures import (
    GRID_ALPHA,
    Spreads,
    close,
    disposal_ecdf,
    label,
    save,
)
from sim.vocabulary import CASE_TYPES


# ---------------------------------------------------------------------------------------------- comparisons
def _group_words(group: object) -> str:
    """A forest label's group in words: "all" is every child."""
    return "all children" if str(group) == "all" else label(group)


def forest(
    differences: pd.DataFrame,
    title: str = "Difference from the base scenario, with paired 95% confidence intervals",
    xlabel: str = "difference (option minus base), in the indicator's units",
) -> Figure:
    """Forest plot of paired differences: columns ``indicator, difference, ci95_low, ci95_high`` (or compare.csv's
    ``difference_mean, difference_ci95_low, difference_ci95_high``).

    Optional columns ``option`` (one colour per option), ``breakdown`` and ``group`` (added to the labels).
    """
    frame = differences.rename(columns=COMPARE_CSV_NAMES).reset_index(drop=True)
    has_group = "group" in frame.columns and (frame["group"].astype(str) != "all").any()
    frame = frame.assign(
        _label=[
            label(r["indicator"]) + (f" ({_group_words(r['group'])})" if has_group else "") for _, r in frame.iterrows()
        ]
    )
    options: Sequence[Any] = list(dict.fromkeys(frame["option"])) if "option" in frame.columns else [None]
    labels = list(dict.fromkeys(frame["_label"]))
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(labels) * max(1, len(options)) + 1.8))
    step = 0.8 / max(1, len(options))
    for k, option in enumerate(options):
        rows = frame if option is None else frame[frame["option"] == option]
        ys = [labels.index(text) + (k - (len(options) - 1) / 2) * step for text in rows["_label"]]
        x = rows["difference"].to_numpy(dtype=float)
        err = np.nan_to_num(np.vstack([x - rows["ci95_low"].to_numpy(float), rows["ci95_high"].to_numpy(float) - x]))
        ax.errorbar(x, ys, xerr=err, fmt="o", capsize=3, label=None if option is None else str(option))
    ax.axvline(0, color="grey", linewidth=1)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_ylabel("indicator")
    ax.set_title(title)
    if options != [None]:
        ax.legend(fontsize="small")
    ax.grid(axis="x", alpha=GRID_ALPHA)
    fig.tight_layout()
    return fig


COMPARE_CSV_NAMES = {
    "difference_mean": "difference",
    "difference_ci95_low": "ci95_low",
    "difference_ci95_high": "ci95_high",
}
"""compare.csv's column -> the name :func:`forest` reads."""
COMPARISON_FOREST = [
    (indicator, breakdown, group)
    for indicator in ("time_to_disposal_weeks_mean", "time_to_disposal_weeks_median", "time_to_disposal_weeks_p90")
    for breakdown, group in [("all", "all"), *[("case_type", c) for c in CASE_TYPES]]
]
"""The rows of compare.csv in ``differences_forest.png``: time to disposal, overall and by case type."""
COMPARISON_FIGURES = {"distributions": "delay_distributions", "forest": "differences_forest"}
COMPARISON_FORMATS = ("png",)
"""The command-line figures of comparisons, sweeps and warm-ups are PNG only."""


def write_comparison_figures(
    directory: str | Path, table: pd.DataFrame, children: Mapping[str, pd.DataFrame | Spreads]
) -> list[Path]:
    """Draw a comparison's figures into ``directory`` and return their paths.

    ``table`` is compare.csv's table and ``children`` each scenario's distributions of time to disposal by case
    type (name -> spreads, or a children table; base first), as :func:`sim.experiment.compare.compare` and
    :func:`sim.experiment.compare.disposal_spreads` return them. Writes ``delay_distributions.png``
    (:func:`disposal_ecdf` of the scenarios by case type) and ``differences_forest.png`` (:func:`forest` of
    :data:`COMPARISON_FOREST`).
    """
    wanted = table.set_index(KEYS).loc[lambda t: t.index.isin(COMPARISON_FOREST)].reset_index()
    made = {
        COMPARISON_FIGURES["distributions"]: disposal_ecdf(children, by="case_type"),
        COMPARISON_FIGURES["forest"]: forest(
            wanted,
            title="Time to disposal: difference from the base scenario",
            xlabel="difference from base in weeks (option minus base), paired 95% CI",
        ),
    }
    paths = []
    for name, fig in made.items():
        paths += save(fig, directory, name, formats=COMPARISON_FORMATS)
        close(fig)
    return paths


# ---------------------------------------------------------------------------------------------- experiments
WARMUP_FIGURE, SWEEP_FIGURE = "welch", "tornado"
WELCH_SERIES = {
    "open_children_mean": "children in open cases",
    "time_in_system_weeks_mean": "weeks from issue to disposal (by disposal date)",
}
"""warmup.csv's series, by their titles in the Welch plot."""


def welch(table: pd.DataFrame, warm_up_days: float, interval_days: float, window: int) -> Figure:
    """Welch's moving averages of the warm-up series, with the suggested warm-up, to check MSER-5 by eye."""
    from sim.experiment.warmup import welch_moving_average

    fig, axes = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    days = table["period"].to_numpy() * interval_days
    for ax, (column, title) in zip(axes, WELCH_SERIES.items(), strict=True):
        y = table[column].to_numpy(dtype=float)
        ax.plot(days, y, color="lightgrey", linewidth=1, label="mean of replications")
        smooth = welch_moving_average(y, window)
        ax.plot(days[: len(smooth)], smooth, color="tab:blue", label=f"Welch moving average (w={window})")
        ax.axvline(warm_up_days, color="tab:red", linestyle="--", label=f"suggested warm-up {warm_up_days:g} days")
        ax.set_title(title)
        ax.grid(alpha=GRID_ALPHA)
    axes[0].legend(fontsize="small")
    axes[1].set_xlabel("days from an empty system")
    fig.tight_layout()
    return fig


def write_warmup_figure(directory: str | Path, result: Mapping[str, Any]) -> list[Path]:
    """Draw ``welch.png`` into a warm-up directory from its warmup.csv and :func:`sim.experiment.warmup.warmup`'s
    result; return its path."""
    table = pd.read_csv(Path(directory) / "warmup.csv")
    fig = welch(table, result["warm_up_days"], result["monitor_interval_days"], result["welch_window"])
    paths = save(fig, directory, WARMUP_FIGURE, formats=COMPARISON_FORMATS)
    close(fig)
    return paths


TORNADO_COLOURS = {"low": "tab:blue", "high": "tab:orange"}
"""The end of a key's bar at its lowest value and at its highest: the same colours in every tornado."""
WHISKER_OFFSET = 0.22

End = tuple[Any, float, float, float]
"""(the key's value, the indicator's mean there, its 95% interval's low and high end)."""


def tornado_ends(
    summary: pd.DataFrame, factors: Mapping[str, Sequence[Any]], settings: Sequence[Any], one_at_a_time: bool
) -> tuple[End | None, dict[str, dict[str, End]]]:
    """The reference and each key's low and high end, read from sweep_summary.csv's rows of the tornado indicator.

    One at a time: a key's end at its lowest and highest value is that setting's mean with its interval, and the
    reference is the scenario as it is, with its interval. Factorial: an end is the key's main effect at that value
    (the mean over the settings there) and has no interval of its own, so the ends carry NaN for the interval.
    """
    from sim.experiment.sweep import TORNADO_INDICATOR

    indicator, breakdown, group = TORNADO_INDICATOR
    rows = summary[(summary.indicator == indicator) & (summary.breakdown == breakdown) & (summary.group == group)]
    by_setting = rows.set_index("setting")
    nan = float("nan")

    def at(index: int) -> tuple[float, float, float]:
        r = by_setting.loc[index]
        return float(r["mean"]), float(r.get("ci95_low", nan)), float(r.get("ci95_high", nan))

    ends: dict[str, dict[str, End]] = {}
    for key, values in factors.items():
        ordered = sorted(values, key=lambda v: (not isinstance(v, int | float), v if isinstance(v, int | float) else 0))
        chosen = {"low": ordered[0], "high": ordered[-1]}
        ends[key] = {}
        for end, value in chosen.items():
            if one_at_a_time:
                found = [
                    s.index for s in settings if s.values.get(key, object()) == value and s.index in by_setting.index
                ]
                if found:
                    ends[key][end] = (value, *at(found[0]))
            else:
                means = [
                    by_setting.loc[s.index, "mean"]
                    for s in settings
                    if s.values.get(key) == value and s.index in by_setting.index
                ]
                if means:
                    ends[key][end] = (value, float(sum(means) / len(means)), nan, nan)
    reference = None
    if one_at_a_time and 0 in by_setting.index:
        reference = ("as in the scenario", *at(0))
    elif not rows.empty:
        reference = ("mean of all settings", float(rows["mean"].mean()), nan, nan)
    return reference, ends


def tornado(reference: End | None, ends: Mapping[str, Mapping[str, End]]) -> Figure:
    """How far each swept key moves the headline indicator, widest first: a bar from the key's lowest value to its
    highest, each end coloured and labelled (low, high) with its 95% interval where it has one."""
    from sim.experiment.sweep import TORNADO_INDICATOR

    def width(key: str) -> float:
        means = [end[1] for end in ends[key].values()]
        return max(means) - min(means) if means else 0.0

    keys = sorted((k for k in ends if ends[k]), key=width)
    fig, ax = plt.subplots(figsize=(9, 1.6 + 0.6 * max(1, len(keys))))
    if reference is not None:
        ax.axvline(reference[1], color="black", linewidth=1, label=f"{reference[0]} ({reference[1]:.1f})")
        if np.isfinite(reference[2]) and np.isfinite(reference[3]):
            ax.axvspan(reference[2], reference[3], color="grey", alpha=0.15, label="its 95% interval")
    centre = reference[1] if reference is not None else 0.0
    for y, key in enumerate(keys):
        for end, (value, mean, low, high) in ends[key].items():
            ax.barh(y, mean - centre, left=centre, color=TORNADO_COLOURS[end], alpha=0.6, height=0.6)
            if np.isfinite(low) and np.isfinite(high):
                offset = WHISKER_OFFSET if end == "high" else -WHISKER_OFFSET  # the two ends' whiskers apart
                ax.errorbar(
                    mean,
                    y + offset,
                    xerr=[[mean - low], [high - mean]],
                    fmt="none",
                    ecolor=TORNADO_COLOURS[end],
                    capsize=3,
                )
            ax.annotate(
                f"{end}: {value}",
                (mean, y),
                xytext=(4 if mean >= centre else -4, 0),
                textcoords="offset points",
                ha="left" if mean >= centre else "right",
                va="center",
                fontsize="x-small",
            )
    handles, _ = ax.get_legend_handles_labels()
    handles += [Patch(color=c, alpha=0.6, label=f"key at its {end}est value") for end, c in TORNADO_COLOURS.items()]
    ax.set_yticks(range(len(keys)), keys)
    indicator, _, group = TORNADO_INDICATOR
    ax.set_xlabel(f"{label(indicator)} ({_group_words(group)}); whiskers: 95% interval")
    ax.set_title("Sweep: the headline indicator at each key's lowest and highest value")
    ax.legend(handles=handles, fontsize="x-small", loc="lower right")
    ax.grid(axis="x", alpha=GRID_ALPHA)
    fig.tight_layout()
    return fig


def write_sweep_figure(directory: str | Path, factors: dict[str, list[Any]], one_at_a_time: bool) -> list[Path]:
    """Draw ``tornado.png`` into a sweep directory from its sweep_summary.csv; return its path."""
    from sim.experiment.sweep import design

    summary = pd.read_csv(Path(directory) / "sweep_summary.csv")
    fig = tornado(*tornado_ends(summary, factors, design(factors, one_at_a_time), one_at_a_time))
    paths = save(fig, directory, SWEEP_FIGURE, formats=COMPARISON_FORMATS)
    close(fig)
    return paths
