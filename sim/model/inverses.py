"""How the model turns a case's keyed uniform draw into a value: each distribution's inverse distribution function.

The scenario names every duration as a distribution (:mod:`sim.scenario.distributions`); the model draws from it by
inverting its distribution function at a uniform keyed to the case and purpose (:mod:`sim.model.random_streams`),
so the value has the family's exact law, depends on no other draw, and moves with the distribution when a policy
changes it (common random numbers). Each family's inverse is a class here, not a closure beside the family, because
the model draws one for nearly every stage of every case: compiled with the model, a draw is one native call with
the uniform unboxed, where a closure ran the interpreter for each draw (docs/performance.md). Every value is cut at
``MAX_DRAW``: a stage that long outlasts any run, so only a far-tail draw that would overflow the calendar changes.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate
from typing import Final

# SciPy's Cython entry point to the gamma quantile: the same C function as the ufunc ``scipy.special.gammaincinv``, bit
# for bit (tests/test_distributions.py), called on two floats without the ufunc's set-up, a third of its time.
from scipy.special.cython_special import gammaincinv

from sim.scenario.distributions import (
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Triangular,
    Uniform,
    Weibull,
)
from sim.scenario.limits import MAX_DRAW

_MOST: Final[float] = MAX_DRAW
SMALLEST_UNIFORM: Final = 2.0**-54
"""A uniform draw of exactly 0 (one in 2**53) is read as this, where a distribution's quantile at 0 is infinite."""

NormalInverse = Callable[[float, float, float], float]


def _python_normal_inverse(p: float, mu: float, sigma: float) -> float:
    return statistics.NormalDist(mu, sigma).inv_cdf(p)


_NORMAL_INVERSE: Final[NormalInverse] = getattr(statistics, "_normal_dist_inv_cdf", None) or _python_normal_inverse
"""The normal quantile (p, mu, sigma): CPython's C function behind ``NormalDist.inv_cdf``, without its checks."""


def _cut(v: float) -> float:
    """A value cut at ``MAX_DRAW``."""
    return v if v < _MOST else _MOST


class Inverse:
    """A distribution's inverse distribution function F^-1(u) at a U[0, 1) draw, cut at ``MAX_DRAW``."""

    def at(self, u: float) -> float:
        raise NotImplementedError

    def __call__(self, u: float) -> float:
        return self.at(u)

    def at_each(self, draws: list[float]) -> list[float]:
        """:meth:`at` of each draw in one call: a batch of cases' durations (``sim.model.agenda.tapes``), each the
        value one call gives, without a call from Python per value."""
        return [self.at(u) for u in draws]


class FixedInverse(Inverse):
    def __init__(self, value: float) -> None:
        self.value = _cut(value)

    def at(self, u: float) -> float:
        return self.value


class ExponentialInverse(Inverse):
    def __init__(self, mean: float) -> None:
        self.mean = mean

    def at(self, u: float) -> float:
        v = -self.mean * math.log1p(-u)
        return _cut(v)


class LognormalInverse(Inverse):
    def __init__(self, mu: float, sigma: float) -> None:
        self.mu = mu
        self.sigma = sigma
        self.normal = _NORMAL_INVERSE

    def at(self, u: float) -> float:
        v = math.exp(self.normal(u if u else SMALLEST_UNIFORM, self.mu, self.sigma))
        return _cut(v)


class GammaInverse(Inverse):
    def __init__(self, shape: float, scale: float) -> None:
        self.shape = shape
        self.scale = scale

    def at(self, u: float) -> float:
        v = float(gammaincinv(self.shape, u)) * self.scale
        return _cut(v)


class WeibullInverse(Inverse):
    def __init__(self, shape: float, scale: float) -> None:
        self.scale = scale
        self.power = 1 / shape

    def at(self, u: float) -> float:
        v = self.scale * (-math.log1p(-u)) ** self.power
        return _cut(v)


class TriangularInverse(Inverse):
    def __init__(self, low: float, mode: float, high: float) -> None:
        self.low = low
        self.top = high
        self.most = min(high, MAX_DRAW)  # no draw is above ``high``, so only a cut below it can bind
        width = high - low
        self.split = (mode - low) / width
        self.rising = width * (mode - low)
        self.falling = width * (high - mode)

    def at(self, u: float) -> float:
        if u < self.split:
            v = self.low + math.sqrt(u * self.rising)
        else:
            v = self.top - math.sqrt((1 - u) * self.falling)
        return v if v < self.most else self.most


class UniformInverse(Inverse):
    def __init__(self, low: float, high: float) -> None:
        self.low = low
        self.width = high - low

    def at(self, u: float) -> float:
        v = self.low + u * self.width
        return _cut(v)


class ValuesInverse(Inverse):
    """Observed values, each equally likely."""

    def __init__(self, values: list[float]) -> None:
        self.values = [_cut(v) for v in values]
        self.n = len(values)

    def at(self, u: float) -> float:
        return self.values[min(int(u * self.n), self.n - 1)]


class HistogramInverse(Inverse):
    """A histogram's distribution function is piecewise linear: in bin b, F^-1(u) = start[b] + u * slope[b]."""

    def __init__(self, edges: list[float], weights: list[float]) -> None:
        total = float(sum(weights))
        cumulative = [c / total for c in accumulate(weights)]
        cumulative[-1] = 1.0
        below = [0.0, *cumulative[:-1]]
        self.slope = [
            (edges[b + 1] - edges[b]) / (cumulative[b] - below[b]) if weights[b] else 0.0 for b in range(len(weights))
        ]
        self.start = [edges[b] - below[b] * self.slope[b] for b in range(len(weights))]
        self.cumulative = cumulative
        self.last = len(cumulative) - 1

    def at(self, u: float) -> float:
        """A bin by its weight (a zero-weight bin is never chosen), a place within it uniformly."""
        b = bisect_right(self.cumulative, u)
        if b > self.last:
            b = self.last
        v = self.start[b] + u * self.slope[b]
        return _cut(v)


def inverse_cdf(dist: object) -> Inverse:
    """The inverse distribution function of a scenario distribution (any family of ``Distribution``)."""
    if isinstance(dist, Fixed):
        return FixedInverse(float(dist.value))
    if isinstance(dist, Exponential):
        return ExponentialInverse(float(dist.mean_value))
    if isinstance(dist, Lognormal):
        mu, sigma = dist.mu_sigma()
        return LognormalInverse(mu, sigma)
    if isinstance(dist, Gamma):
        shape, scale = dist.shape_scale()
        return GammaInverse(shape, scale)
    if isinstance(dist, Weibull):
        return WeibullInverse(float(dist.shape), float(dist.scale))
    if isinstance(dist, Triangular):
        return TriangularInverse(float(dist.low), float(dist.mode), float(dist.high))
    if isinstance(dist, Uniform):
        return UniformInverse(float(dist.low), float(dist.high))
    if isinstance(dist, Empirical):
        if dist.values is not None:
            return ValuesInverse([float(v) for v in dist.values])
        return HistogramInverse([float(e) for e in dist.bin_edges or []], [float(w) for w in dist.weights or []])
    raise TypeError(f"no inverse distribution function for {type(dist).__name__}")
