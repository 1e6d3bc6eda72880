"""Statistics across replications: Student-t intervals, the summary of every indicator, and the precision rule.

Each replication is one independent observation of an indicator, so the mean across replications gets a
Student-t confidence interval (n - 1 degrees of freedom). Missing values (an indicator that could not be
measured in a replication) are left out and the count of replications says how many were used. Paired
differences between scenarios on common random numbers use the same intervals
(:func:`sim.experiment.compare.paired_differences`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.indicators import HEADLINE, KEYS

CONFIDENCE_LEVEL = 0.95
SUMMARY_COLUMNS = [*KEYS, "mean", "ci95_low", "ci95_high", "sd", "replications"]
MIN_REPLICATIONS_FOR_INTERVAL = 2
"""An interval needs a standard deviation, so at least two values."""


def _t_quantile(level: float, degrees_of_freedom: float | np.ndarray) -> float | np.ndarray:
    """The two-sided Student-t quantile for a ``level`` interval."""
    return stats.t.ppf(0.5 + level / 2, degrees_of_freedom)


def t_interval(values: np.ndarray, level: float = CONFIDENCE_LEVEL) -> tuple[float, float, float, float, int]:
    """(mean, low, high, sd, n) of the non-missing values; the interval is NaN with fewer than two values."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan, math.nan, 0
    mean = float(np.mean(values))
    if n < MIN_REPLICATIONS_FOR_INTERVAL:
        return mean, math.nan, math.nan, math.nan, n
    sd = float(np.std(values, ddof=1))
    half = float(_t_quantile(level, n - 1)) * sd / math.sqrt(n)
    return mean, mean - half, mean + half, sd, n


def t_intervals(
    frame: pd.DataFrame, keys: list[str], column: str = "value", level: float = CONFIDENCE_LEVEL
) -> pd.DataFrame:
    """:func:`t_interval` of ``column`` within each group of ``keys``, for every group at once.

    Returns the keys and ``mean, ci95_low, ci95_high, sd, replications`` (the count of non-missing values),
    one row per group in the order groups first appear.
    """
    grouped = frame.groupby(keys, sort=False, dropna=False)[column]
    out = grouped.agg(["mean", "std", "count"]).reset_index()
    n = out["count"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        quantile = _t_quantile(level, np.where(n >= MIN_REPLICATIONS_FOR_INTERVAL, n - 1, np.nan))
        half = quantile * out["std"].to_numpy(dtype=float) / np.sqrt(n)
    mean = out["mean"].to_numpy(dtype=float)
    out["ci95_low"] = mean - half
    out["ci95_high"] = mean + half
    out = out.rename(columns={"std": "sd", "count": "replications"})
    out["replications"] = out["replications"].astype("int64")
    return out[[*keys, "mean", "ci95_low", "ci95_high", "sd", "replications"]]


def summarise(per_replication: pd.DataFrame) -> pd.DataFrame:
    """One row per (indicator, breakdown, group): mean across replications, Student-t 95% CI, sd, count.

    Rows keep the order in which indicators first appear, so the file reads the same every time.
    """
    if per_replication.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    return t_intervals(per_replication, KEYS)[SUMMARY_COLUMNS]


def half_width_share(per_replication: pd.DataFrame, targets: Iterable[tuple[str, str, str]] = HEADLINE) -> float:
    """The largest CI half-width as a share of its mean among ``targets`` (inf when not yet estimable).

    The sequential precision rule (:func:`sim.experiment.replications.sequential_stop`) adds replications
    until this is small enough.
    """
    worst = 0.0
    targets = list(targets)
    keys = pd.MultiIndex.from_frame(per_replication[KEYS])
    summary = summarise(per_replication[keys.isin(targets)]).set_index(KEYS)
    for target in targets:
        if target not in summary.index:
            continue
        row = summary.loc[target]
        if row["replications"] < MIN_REPLICATIONS_FOR_INTERVAL or not np.isfinite(row["ci95_high"]) or row["mean"] == 0:
            return math.inf
        worst = max(worst, (row["ci95_high"] - row["mean"]) / abs(row["mean"]))
    return worst
