"""Named probability distributions for durations and counts.

A scenario names every duration as a distribution (``{dist: lognormal, median: 84, sigma: 0.5}``, or a bare
number for a fixed value). Each model validates its own parameters, so a bad gamma shape is reported at
its line. The model draws a value by inverting the distribution function at a uniform keyed to the case and
purpose (each family's inverse is in :mod:`sim.model.inverses`, compiled with the model): the value then has the
family's exact law, depends on no other draw, and moves with the distribution when a policy changes it (common
random numbers). ``sample`` draws a batch with numpy's own sampler, for tests and calibration to check the inverses
against.
"""

from __future__ import annotations

import math
import warnings
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from sim.scenario.limits import MAX_MEAN

PositiveFinite = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegativeFinite = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        raise NotImplementedError

    def mean(self) -> float:
        raise NotImplementedError

    @model_validator(mode="after")
    def _mean_fits_a_run(self) -> _Dist:
        """A mean beyond the longest run (a lognormal's with a huge median or sigma, say) cannot be simulated."""
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # an empty list's mean: its own check reports it
                mean = self.mean()
        except OverflowError:
            mean = math.inf
        except (TypeError, ValueError, ArithmeticError, IndexError):  # bad parameters: their own check reports them
            return self
        if not mean <= MAX_MEAN:
            raise ValueError(
                f"its mean is {mean:.4g}, above {MAX_MEAN:,.0f} (100 years in days, the longest run): a duration, "
                "notice period or age must fit within a run"
            )
        return self


class Fixed(_Dist):
    """Always the same value."""

    dist: Literal["fixed"] = "fixed"
    value: NonNegativeFinite = Field(description="The value every draw takes.")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value)

    def mean(self) -> float:
        return self.value


class Exponential(_Dist):
    """Memoryless durations: the verification scenarios (M/M/c) need it."""

    dist: Literal["exponential"]
    mean_value: PositiveFinite = Field(alias="mean", description="Mean of the distribution.")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean_value, n)

    def mean(self) -> float:
        return self.mean_value


def _one_pair_of(dist: _Dist, pair: tuple[str, str]) -> Any:
    """A family with two parameterisations takes exactly one: its own pair, or mean and sd."""
    given = {k for k in (*pair, "mean_value", "sd") if getattr(dist, k) is not None}
    if given not in ({*pair}, {"mean_value", "sd"}):
        raise ValueError(f"give either '{pair[0]}' and '{pair[1]}', or 'mean' and 'sd'")
    return dist


class Lognormal(_Dist):
    """Right-skewed durations; give either median and sigma, or mean and sd."""

    dist: Literal["lognormal"]
    median: PositiveFinite | None = Field(None, description="Median (exp of mu); use with sigma.")
    sigma: PositiveFinite | None = Field(None, description="Standard deviation of log values; use with median.")
    mean_value: PositiveFinite | None = Field(None, alias="mean", description="Mean; use with sd.")
    sd: PositiveFinite | None = Field(None, description="Standard deviation; use with mean.")

    @model_validator(mode="after")
    def _one_parameterisation(self) -> Lognormal:
        return _one_pair_of(self, ("median", "sigma"))

    def mu_sigma(self) -> tuple[float, float]:
        if self.median is not None and self.sigma is not None:
            return math.log(self.median), self.sigma
        m, s = float(self.mean_value), float(self.sd)  # type: ignore[arg-type]
        sigma2 = math.log1p((s / m) ** 2)
        return math.log(m) - sigma2 / 2, math.sqrt(sigma2)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        mu, sigma = self.mu_sigma()
        return rng.lognormal(mu, sigma, n)

    def mean(self) -> float:
        mu, sigma = self.mu_sigma()
        return math.exp(mu + sigma**2 / 2)


class Gamma(_Dist):
    """Durations with a tunable shape; give shape and scale, or mean and sd."""

    dist: Literal["gamma"]
    shape: PositiveFinite | None = Field(None, description="Shape k; use with scale.")
    scale: PositiveFinite | None = Field(None, description="Scale theta; use with shape.")
    mean_value: PositiveFinite | None = Field(None, alias="mean", description="Mean; use with sd.")
    sd: PositiveFinite | None = Field(None, description="Standard deviation; use with mean.")

    @model_validator(mode="after")
    def _one_parameterisation(self) -> Gamma:
        return _one_pair_of(self, ("shape", "scale"))

    def shape_scale(self) -> tuple[float, float]:
        if self.shape is not None and self.scale is not None:
            return self.shape, self.scale
        m, s = float(self.mean_value), float(self.sd)  # type: ignore[arg-type]
        return (m / s) ** 2, s * s / m

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        k, theta = self.shape_scale()
        return rng.gamma(k, theta, n)

    def mean(self) -> float:
        k, theta = self.shape_scale()
        return k * theta


class Weibull(_Dist):
    """Durations whose hazard rises or falls with time (calibration candidate)."""

    dist: Literal["weibull"]
    shape: PositiveFinite = Field(description="Shape k.")
    scale: PositiveFinite = Field(description="Scale lambda.")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.scale * rng.weibull(self.shape, n)

    def mean(self) -> float:
        return self.scale * math.gamma(1 + 1 / self.shape)


class Triangular(_Dist):
    """Expert judgement: least, most likely and greatest value."""

    dist: Literal["triangular"]
    low: NonNegativeFinite = Field(description="Least value.")
    mode: NonNegativeFinite = Field(description="Most likely value.")
    high: NonNegativeFinite = Field(description="Greatest value.")

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high) or self.low == self.high:
            raise ValueError("need low <= mode <= high and low < high")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, n)

    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3


class Uniform(_Dist):
    """Every value between low and high equally likely."""

    dist: Literal["uniform"]
    low: NonNegativeFinite = Field(description="Least value.")
    high: NonNegativeFinite = Field(description="Greatest value.")

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low >= self.high:
            raise ValueError("need low < high")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)

    def mean(self) -> float:
        return (self.low + self.high) / 2


class Empirical(_Dist):
    """Observed data: a list of values drawn with equal weight, or a histogram drawn uniformly within bins."""

    dist: Literal["empirical"]
    values: list[NonNegativeFinite] | None = Field(None, description="Observed values, each equally likely.")
    bin_edges: list[NonNegativeFinite] | None = Field(
        None, description="Histogram bin edges, increasing; one more than weights."
    )
    weights: list[NonNegativeFinite] | None = Field(None, description="Histogram weights per bin (any scale).")

    @model_validator(mode="after")
    def _one_form(self) -> Empirical:
        if self.values is not None:
            if self.bin_edges is not None or self.weights is not None:
                raise ValueError("give either 'values', or 'bin_edges' and 'weights', not both")
            if not self.values:
                raise ValueError("'values' must not be empty")
            return self
        if self.bin_edges is None or self.weights is None:
            raise ValueError("give either 'values', or 'bin_edges' and 'weights'")
        if len(self.bin_edges) != len(self.weights) + 1 or not self.weights:
            raise ValueError("'bin_edges' must have exactly one more entry than 'weights'")
        if any(b >= a for a, b in zip(self.bin_edges[1:], self.bin_edges[:-1], strict=True)):
            raise ValueError("'bin_edges' must increase")
        if sum(self.weights) <= 0:
            raise ValueError("'weights' must not all be zero")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.values is not None:
            return rng.choice(np.asarray(self.values, dtype=float), n)
        edges = np.asarray(self.bin_edges, dtype=float)
        w = np.asarray(self.weights, dtype=float)
        bins = rng.choice(len(w), n, p=w / w.sum())
        return edges[bins] + rng.random(n) * (edges[bins + 1] - edges[bins])

    def mean(self) -> float:
        if self.values is not None:
            return float(np.mean(self.values))
        edges = np.asarray(self.bin_edges, dtype=float)
        w = np.asarray(self.weights, dtype=float)
        return float(np.sum(w * (edges[:-1] + edges[1:]) / 2) / w.sum())


def _bare_number_is_fixed(value: Any) -> Any:
    """Let a scenario write ``duration_days: 14`` for a fixed duration."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    return value


Distribution = Annotated[
    Fixed | Exponential | Lognormal | Gamma | Weibull | Triangular | Uniform | Empirical,
    Field(discriminator="dist"),
    BeforeValidator(_bare_number_is_fixed),
]
"""A duration or quantity: a bare number (fixed), or a mapping with ``dist`` naming the family."""
