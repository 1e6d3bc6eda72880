"""Global sensitivity of a sweep by SALib: Morris screening and Sobol indices over ranges of the swept keys.

One at a time (or a factorial grid) moves keys among a few listed values. Morris's elementary effects screen
many keys in (keys + 1) x trajectories settings: ``mu_star`` ranks the keys by how much they move an indicator
over their whole range, and ``sigma`` says whether that effect depends on the other keys (interaction or
non-linearity). Sobol indices split the variance of an indicator over the ranges into each key's share alone
(``S1``) and with its interactions (``ST``), at base samples x (keys + 2) settings. The response of a setting
is the mean of the indicator over its replications, which run on the same seeds in every setting (common
random numbers). SALib draws the settings (seeded by the sweep's root seed) and computes the measures with
bootstrap intervals; this module only turns settings and results into its inputs and its answers into a table.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

SAMPLED_METHODS = ("morris", "sobol")
MORRIS_LEVELS = 4
"""Levels of the Morris grid: 4 is the usual choice (Saltelli et al. 2008, Global Sensitivity Analysis: The Primer,
ch. 3) and SALib's default."""
DEFAULT_SAMPLES = {"morris": 10, "sobol": 16}
"""Trajectories for Morris (10, the low end of the 10-20 Campolongo, Cariboni and Saltelli 2007 found enough to
rank factors) and base samples for Sobol (a power of 2, as Sobol' sequences need; at 16 the intervals are wide,
so raise --samples for more than a first look)."""
CONFIDENCE = 0.95
MEASURES = {"morris": ("mu", "mu_star", "mu_star_ci95", "sigma"), "sobol": ("S1", "S1_ci95", "ST", "ST_ci95")}
"""The columns of sensitivity.csv per method; ``*_ci95`` is the half-width of SALib's bootstrap 95% interval."""


def problem(bounds: dict[str, tuple[float, float]]) -> dict[str, Any]:
    """SALib's problem: the keys and their (low, high) ranges."""
    return {"num_vars": len(bounds), "names": list(bounds), "bounds": [list(b) for b in bounds.values()]}


def sample(method: str, bounds: dict[str, tuple[float, float]], samples: int, seed: int) -> np.ndarray:
    """The settings to run, one row per setting and one column per key (in the order of ``bounds``)."""
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(problem(bounds), samples, num_levels=MORRIS_LEVELS, seed=seed)
    from SALib.sample import sobol

    return sobol.sample(problem(bounds), samples, calc_second_order=False, seed=seed)


def analyse(
    method: str, bounds: dict[str, tuple[float, float]], x: np.ndarray, y: np.ndarray, seed: int
) -> pd.DataFrame:
    """One row per key with the method's MEASURES, from the settings ``x`` and their responses ``y``."""
    if method == "morris":
        from SALib.analyze import morris

        result = morris.analyze(problem(bounds), x, y, conf_level=CONFIDENCE, num_levels=MORRIS_LEVELS, seed=seed)
        columns = {
            "mu": result["mu"],
            "mu_star": result["mu_star"],
            "mu_star_ci95": result["mu_star_conf"],
            "sigma": result["sigma"],
        }
    else:
        from SALib.analyze import sobol

        result = sobol.analyze(problem(bounds), y, calc_second_order=False, conf_level=CONFIDENCE, seed=seed)
        columns = {"S1": result["S1"], "S1_ci95": result["S1_conf"], "ST": result["ST"], "ST_ci95": result["ST_conf"]}
    frame = pd.DataFrame(
        {"key": list(bounds), **{k: np.ma.filled(np.asarray(v, dtype=float), math.nan) for k, v in columns.items()}}
    )
    return frame


def sensitivity_table(
    method: str,
    bounds: dict[str, tuple[float, float]],
    x: np.ndarray,
    table: pd.DataFrame,
    indicators: list[tuple[str, str, str]],
    seed: int,
) -> pd.DataFrame:
    """sensitivity.csv: for each indicator (as sweep.csv names it) and key, the method's measures.

    ``table`` is sweep.csv (one row per setting, replication and indicator) and ``x`` the settings in order.
    An indicator missing from a setting, or NaN in every replication there, cannot be analysed and is left out.
    """
    means = table.groupby(["indicator", "breakdown", "group", "setting"])["value"].mean()
    parts = []
    for indicator, breakdown, group in indicators:
        try:
            y = means.loc[(indicator, breakdown, group)].reindex(range(len(x))).to_numpy(dtype=float)
        except KeyError:
            continue
        if not np.isfinite(y).all():
            continue
        frame = analyse(method, bounds, x, y, seed)
        frame.insert(0, "indicator", indicator)
        frame.insert(1, "breakdown", breakdown)
        frame.insert(2, "group", group)
        parts.append(frame)
    if not parts:
        return pd.DataFrame(columns=["indicator", "breakdown", "group", "key", *MEASURES[method]])
    return pd.concat(parts, ignore_index=True)


def describe(frame: pd.DataFrame) -> list[str]:
    """The keys of one indicator's rows, most influential first, as lines for the command's output."""
    if "mu_star" in frame:
        ranked = frame.sort_values("mu_star", ascending=False)
        return [
            f"  {r.key}: mu* {r.mu_star:.3g} (±{r.mu_star_ci95:.2g}), mu {r.mu:+.3g}, sigma {r.sigma:.3g}"
            for r in ranked.itertuples()
        ]
    ranked = frame.sort_values("ST", ascending=False)
    return [
        f"  {r.key}: S1 {r.S1:.2f} (±{r.S1_ci95:.2f}), ST {r.ST:.2f} (±{r.ST_ci95:.2f})" for r in ranked.itertuples()
    ]
