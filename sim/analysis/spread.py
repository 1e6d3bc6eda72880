"""A distribution held small: how many values, and either the values or evenly spaced quantiles of them.

The figures of time to disposal (cumulative distributions, violins) need the shape of millions of children's
times, not the times: a :class:`Spread` is the count and :data:`SPREAD_POINTS` + 1 quantiles (linear
interpolation, numpy's default and DuckDB's ``quantile_cont``), or the sorted values themselves when there are
no more than that. It is made here from an array, or by a query over a run's Parquet tables
(:mod:`sim.experiment.run_aggregates`) without the values ever being in memory together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPREAD_POINTS = 2000
"""Above this many values a distribution is kept as this many + 1 evenly spaced quantiles (a picture drawn through
them is the same; the numbers behind it small)."""


def quantile_levels(points: int = SPREAD_POINTS) -> np.ndarray:
    """The levels 0, 1/points, ..., 1 at which a large distribution is kept."""
    return np.linspace(0, 1, points + 1)


@dataclass(frozen=True)
class Spread:
    """``count`` values, kept as ``points``: the sorted values themselves (``exact``) or quantiles at
    :func:`quantile_levels`."""

    count: int
    points: np.ndarray
    exact: bool

    @classmethod
    def of(cls, values: np.ndarray, points: int = SPREAD_POINTS) -> Spread:
        """The spread of the values that are not missing."""
        values = np.asarray(values, dtype=float)
        values = np.sort(values[~np.isnan(values)])
        if len(values) <= points:
            return cls(len(values), values, True)
        return cls(len(values), np.quantile(values, quantile_levels(points)), False)

    def quantile(self, level: float) -> float:
        """The quantile at ``level``: from the values, or from the kept quantiles (exact at their levels)."""
        if self.exact:
            return float(np.quantile(self.points, level))
        return float(np.interp(level, quantile_levels(len(self.points) - 1), self.points))

    def above(self, threshold: float) -> int:
        """How many values exceed ``threshold``: counted from the values, or estimated from the quantiles (to within
        one step of them, count / points)."""
        if self.exact:
            return int((self.points > threshold).sum())
        levels = quantile_levels(len(self.points) - 1)
        below = float(np.interp(threshold, self.points, levels)) if threshold < self.points[-1] else 1.0
        return round(self.count * (1.0 - below))
