"""Figures of a calibration: QQ plots of the candidate duration fits, and fitted against observed monthly counts."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim.scenario.calibration import ArrivalFit, Fit


def qq_plots(fits: list[Fit], values: np.ndarray, directory: Path, stem: str) -> list[Path]:
    """One QQ plot per candidate (sample quantiles against the fitted ones) as PNG files; their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.sort(values[values > 0])
    probs = (np.arange(1, len(x) + 1) - 0.5) / len(x)
    if len(x) > 1000:
        probs = (np.arange(1, 1001) - 0.5) / 1000
        x = np.quantile(x, probs)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in fits:
        if f.ppf is None:  # pragma: no cover
            continue
        theory = f.ppf(probs)
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        ax.plot(theory, x, ".", ms=3)
        top = max(float(np.nanmax(theory)), float(x.max()))
        ax.plot([0, top], [0, top], "-", lw=0.8, color="grey")
        ax.set_xlabel(f"{f.name} quantile")
        ax.set_ylabel("observed quantile")
        aic = "" if not math.isfinite(f.delta_aic) else f", ΔAIC {f.delta_aic:.1f}"
        ax.set_title(f"{stem}: {f.name}\nKS D {f.ks_d:.3f}{aic}", fontsize=9)
        fig.subplots_adjust(left=0.17, bottom=0.12, right=0.96, top=0.88)  # tight_layout costs 0.1 s a plot
        path = directory / f"{stem}-qq-{f.name}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        paths.append(path)
    return paths


def arrivals_plot(fit: ArrivalFit, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(8, 3.5))
    x = pd.PeriodIndex(fit.table.month, freq="M").to_timestamp()
    ax.plot(x, fit.table.observed, "o", ms=3, label="observed")
    ax.plot(x, fit.table.fitted, "-", lw=1, label="fitted")
    ax.set_ylabel("cases per month")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
