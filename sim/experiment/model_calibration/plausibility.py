"""Which evaluations of a fit the fitted targets cannot rule out, and how far apart those runs put the checks.

The fit returns one best run, but several runs can fit the targets about as well and still disagree on the
out-of-sample checks (the back-cast's 2024 level is such a case: docs/calibration.md). History matching asks the
question the other way round: which runs can the data *rule out*? (Craig, Goldstein, Seheult and Smith 1997;
Vernon, Goldstein and Bower 2010.) No emulator here: the runs are the evaluations the search made.

For each fitted target *i* and evaluation, the implausibility is::

    I_i = |model_i - published_i| / sqrt(sd_i^2 / R + (discrepancy_share x published_i)^2)

``sd_i^2 / R`` is the variance of the model's mean over its ``R`` replications; ``discrepancy_share`` stands for
the published figure's error and the model's structural discrepancy together (a declared assumption, 10% by
default: docs/assumptions.md). A run is ruled out when the *second* largest of its implausibilities exceeds
``cutoff`` (3 by default: Pukelsheim's three-sigma rule, as Vernon et al. use it), so one stray figure alone does
not rule out a run. The checks' range over the runs not ruled out is what the fitted figures leave open.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PLAUSIBILITY_COLUMNS = [
    "evaluation",
    "phase",
    "objective",
    "largest_implausibility",
    "second_implausibility",
    "worst_target",
    "ruled_out",
]
CHECK_RANGE_COLUMNS = [
    "indicator",
    "date",
    "published",
    "model_best",
    "model_low",
    "model_high",
    "runs_not_ruled_out",
    "published_inside",
]


def implausibility(table: pd.DataFrame, replications: int, discrepancy_share: float) -> pd.Series:
    """Each row's implausibility (rows of ``evaluation_targets.csv``: model mean, its sd over replications)."""
    spread = table["model_sd"].fillna(0.0).to_numpy(dtype=float) ** 2 / max(replications, 1)
    tolerance = (discrepancy_share * table["published"].abs().to_numpy(dtype=float)) ** 2
    gap = (table["model"] - table["published"]).abs().to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(np.isnan(gap), np.inf, gap / np.sqrt(spread + tolerance))
    return pd.Series(value, index=table.index, name="implausibility")


def plausibility_table(table: pd.DataFrame, replications: int, discrepancy_share: float, cutoff: float) -> pd.DataFrame:
    """One row per evaluation: its two largest implausibilities over the fitted targets and whether it is ruled
    out (the second largest above ``cutoff``)."""
    fitted = table[table["fitted"].astype(bool)].copy()
    fitted["implausibility"] = implausibility(fitted, replications, discrepancy_share)
    fitted["target"] = fitted["indicator"].astype(str) + " " + fitted["date"].astype(str)
    rows = []
    for evaluation, runs in fitted.groupby("evaluation", sort=True):
        ranked = runs.sort_values("implausibility", ascending=False, kind="stable")
        values = ranked["implausibility"].to_numpy()
        second = float(values[1]) if len(values) > 1 else 0.0
        rows.append(
            {
                "evaluation": int(evaluation),
                "phase": ranked["phase"].iloc[0],
                "objective": float(ranked["objective"].iloc[0]),
                "largest_implausibility": float(values[0]),
                "second_implausibility": second,
                "worst_target": ranked["target"].iloc[0],
                "ruled_out": bool(second > cutoff),
            }
        )
    return pd.DataFrame(rows, columns=PLAUSIBILITY_COLUMNS)


def check_ranges(table: pd.DataFrame, plausibility: pd.DataFrame, best_evaluation: int) -> pd.DataFrame:
    """For each out-of-sample check: the best run's value and the range over the runs not ruled out (empty
    ranges, NaN, when every run is ruled out)."""
    kept = set(plausibility.loc[~plausibility["ruled_out"], "evaluation"])
    checks = table[~table["fitted"].astype(bool)]
    rows = []
    for (indicator, date), runs in checks.groupby(["indicator", "date"], sort=False):
        best = runs.loc[runs["evaluation"] == best_evaluation, "model"]
        values = runs.loc[runs["evaluation"].isin(kept), "model"].dropna()
        published = float(runs["published"].iloc[0])
        low, high = (float(values.min()), float(values.max())) if len(values) else (np.nan, np.nan)
        rows.append(
            {
                "indicator": indicator,
                "date": date,
                "published": published,
                "model_best": float(best.iloc[0]) if len(best) else np.nan,
                "model_low": low,
                "model_high": high,
                "runs_not_ruled_out": int(len(values)),
                "published_inside": bool(len(values) and low <= published <= high),
            }
        )
    return pd.DataFrame(rows, columns=CHECK_RANGE_COLUMNS)
