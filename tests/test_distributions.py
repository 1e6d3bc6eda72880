"""Distributions: each family checks its own parameters, samples have the stated mean, and the inverse
distribution functions the model draws with have exactly the law of numpy's samplers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError
from scipy import stats
from scipy.special import gammaincinv

from sim.model.inverses import inverse_cdf
from sim.scenario.distributions import Distribution, Fixed, Gamma, Lognormal
from sim.scenario.limits import MAX_DRAW

DIST = TypeAdapter(Distribution)


def parse(value: Any) -> Any:
    return DIST.validate_python(value)


# --- parameters ---------------------------------------------------------------------------------------------


def test_a_bare_number_is_a_fixed_distribution() -> None:
    assert parse(14) == Fixed(value=14)
    assert parse(2.5) == Fixed(value=2.5)
    assert parse(0) == Fixed(value=0)
    assert parse({"dist": "fixed", "value": 3}).mean() == 3


@pytest.mark.parametrize("value", [-1, -0.5, math.inf, math.nan, True, "14"])
def test_a_bare_value_that_is_not_a_non_negative_finite_number_is_refused(value: Any) -> None:
    with pytest.raises(ValidationError):
        parse(value)


VALID = [
    {"dist": "exponential", "mean": 5},
    {"dist": "lognormal", "median": 84, "sigma": 0.5},
    {"dist": "lognormal", "mean": 84, "sd": 30},
    {"dist": "gamma", "shape": 2, "scale": 3},
    {"dist": "gamma", "mean": 9, "sd": 5},
    {"dist": "weibull", "shape": 1.5, "scale": 10},
    {"dist": "triangular", "low": 1, "mode": 2, "high": 4},
    {"dist": "triangular", "low": 1, "mode": 1, "high": 4},  # mode at an end is allowed
    {"dist": "uniform", "low": 1, "high": 10},
    {"dist": "empirical", "values": [1, 2, 2, 9]},
    {"dist": "empirical", "bin_edges": [0, 1, 5], "weights": [1, 3]},
]


@pytest.mark.parametrize("spec", VALID, ids=lambda s: "-".join(str(k) for k in s if k != "dist") + f"-{s['dist']}")
def test_each_family_accepts_its_documented_parameters(spec: dict) -> None:
    dist = parse(spec)
    assert dist.dist == spec["dist"]
    assert math.isfinite(dist.mean()) and dist.mean() >= 0


INVALID = {
    "unknown family": {"dist": "poisson", "mean": 3},
    "no family": {"mean": 3},
    "fixed negative": {"dist": "fixed", "value": -2},
    "exponential zero mean": {"dist": "exponential", "mean": 0},
    "exponential negative mean": {"dist": "exponential", "mean": -1},
    "exponential unknown key": {"dist": "exponential", "mean": 1, "rate": 1},
    "lognormal median without sigma": {"dist": "lognormal", "median": 84},
    "lognormal sigma without median": {"dist": "lognormal", "sigma": 0.5},
    "lognormal mean without sd": {"dist": "lognormal", "mean": 84},
    "lognormal median with sd": {"dist": "lognormal", "median": 84, "sd": 3},
    "lognormal both ways": {"dist": "lognormal", "median": 84, "sigma": 0.5, "mean": 90},
    "lognormal negative sigma": {"dist": "lognormal", "median": 84, "sigma": -0.5},
    "lognormal zero median": {"dist": "lognormal", "median": 0, "sigma": 0.5},
    "gamma shape without scale": {"dist": "gamma", "shape": 2},
    "gamma shape with sd": {"dist": "gamma", "shape": 2, "sd": 1},
    "gamma negative sd": {"dist": "gamma", "mean": 9, "sd": -5},
    "weibull zero shape": {"dist": "weibull", "shape": 0, "scale": 10},
    "weibull no scale": {"dist": "weibull", "shape": 1},
    "triangular mode above high": {"dist": "triangular", "low": 1, "mode": 5, "high": 4},
    "triangular mode below low": {"dist": "triangular", "low": 2, "mode": 1, "high": 4},
    "triangular high below low": {"dist": "triangular", "low": 4, "mode": 4, "high": 1},
    "triangular all equal": {"dist": "triangular", "low": 3, "mode": 3, "high": 3},
    "triangular negative low": {"dist": "triangular", "low": -1, "mode": 2, "high": 4},
    "uniform low equals high": {"dist": "uniform", "low": 3, "high": 3},
    "uniform high below low": {"dist": "uniform", "low": 5, "high": 3},
    "empirical nothing": {"dist": "empirical"},
    "empirical empty values": {"dist": "empirical", "values": []},
    "empirical negative value": {"dist": "empirical", "values": [1, -2]},
    "empirical values and histogram": {"dist": "empirical", "values": [1], "bin_edges": [0, 1], "weights": [1]},
    "empirical edges without weights": {"dist": "empirical", "bin_edges": [0, 1, 2]},
    "empirical one edge too few": {"dist": "empirical", "bin_edges": [0, 1], "weights": [1, 2]},
    "empirical one edge too many": {"dist": "empirical", "bin_edges": [0, 1, 2, 3], "weights": [1, 2]},
    "empirical edges not increasing": {"dist": "empirical", "bin_edges": [0, 2, 2], "weights": [1, 2]},
    "empirical edges decreasing": {"dist": "empirical", "bin_edges": [0, 5, 3], "weights": [1, 2]},
    "empirical zero weights": {"dist": "empirical", "bin_edges": [0, 1, 2], "weights": [0, 0]},
    "empirical negative weight": {"dist": "empirical", "bin_edges": [0, 1, 2], "weights": [2, -1]},
}


@pytest.mark.parametrize("spec", list(INVALID.values()), ids=list(INVALID))
def test_each_family_refuses_bad_parameters_with_a_validation_error(spec: dict) -> None:
    with pytest.raises(ValidationError):
        parse(spec)


BEYOND_A_RUN = {
    "a fixed billion days": 1e9,
    "fixed, as a mapping": {"dist": "fixed", "value": 40_000},
    "exponential": {"dist": "exponential", "mean": 1e8},
    "lognormal with a huge median": {"dist": "lognormal", "median": 1e9, "sigma": 0.5},
    "lognormal with a huge sigma": {"dist": "lognormal", "median": 30, "sigma": 40},  # exp(800) overflows
    "lognormal by mean and sd": {"dist": "lognormal", "mean": 1e6, "sd": 10},
    "gamma": {"dist": "gamma", "mean": 1e7, "sd": 1},
    "gamma by shape and scale": {"dist": "gamma", "shape": 2, "scale": 1e300},
    "weibull with a tiny shape": {"dist": "weibull", "shape": 0.001, "scale": 10},  # gamma(1001) overflows
    "triangular": {"dist": "triangular", "low": 0, "mode": 1, "high": 1e12},
    "uniform": {"dist": "uniform", "low": 0, "high": 1e12},
    "empirical values": {"dist": "empirical", "values": [1, 1e15]},
    "empirical histogram": {"dist": "empirical", "bin_edges": [0, 1, 1e9], "weights": [1, 1]},
}


@pytest.mark.parametrize("spec", list(BEYOND_A_RUN.values()), ids=list(BEYOND_A_RUN))
def test_a_mean_beyond_the_longest_run_is_refused(spec: Any) -> None:
    with pytest.raises(ValidationError) as info:
        parse(spec)
    assert "above 36,525 (100 years in days, the longest run)" in str(info.value)


def test_a_mean_up_to_the_longest_run_is_allowed() -> None:
    assert parse(36_525).mean() == 36_525
    assert parse({"dist": "lognormal", "median": 30, "sigma": 3.5}).mean() < 36_525  # its far tail is cut instead


def test_a_draw_from_the_far_tail_is_cut_at_the_longest_run_and_nothing_else_changes() -> None:
    wide = parse({"dist": "lognormal", "median": 30, "sigma": 3.5})
    u = np.random.default_rng(1).random(20_000)
    drawn = np.array([inverse_cdf(wide)(x) for x in u])
    raw = np.exp(stats.norm.ppf(u, math.log(30), 3.5))
    assert raw.max() > 36_525  # a draw of more than a century: about 1 in 50 at this sigma
    assert drawn.max() == 36_525
    np.testing.assert_allclose(drawn[raw <= 36_525], raw[raw <= 36_525], rtol=1e-12)  # the same draws


def test_the_error_for_a_half_given_lognormal_says_what_to_give() -> None:
    with pytest.raises(ValidationError) as info:
        parse({"dist": "lognormal", "median": 84})
    assert "give either 'median' and 'sigma', or 'mean' and 'sd'" in str(info.value)


def test_distributions_are_immutable_values() -> None:
    dist = parse({"dist": "uniform", "low": 1, "high": 2})
    with pytest.raises(ValidationError):
        dist.low = 5


# --- means --------------------------------------------------------------------------------------------------

MEAN_CASES = {
    "fixed": (Fixed(value=7), 7.0),
    "exponential": (parse({"dist": "exponential", "mean": 5}), 5.0),
    "lognormal by median": (parse({"dist": "lognormal", "median": 84, "sigma": 0.5}), 84 * math.exp(0.125)),
    "lognormal by mean": (parse({"dist": "lognormal", "mean": 84, "sd": 30}), 84.0),
    "gamma by shape": (parse({"dist": "gamma", "shape": 2, "scale": 3}), 6.0),
    "gamma by mean": (parse({"dist": "gamma", "mean": 9, "sd": 5}), 9.0),
    "weibull": (parse({"dist": "weibull", "shape": 2, "scale": 10}), 10 * math.sqrt(math.pi) / 2),
    "triangular": (parse({"dist": "triangular", "low": 1, "mode": 2, "high": 6}), 3.0),
    "uniform": (parse({"dist": "uniform", "low": 1, "high": 10}), 5.5),
    "empirical values": (parse({"dist": "empirical", "values": [1, 2, 2, 9]}), 3.5),
    "empirical histogram": (parse({"dist": "empirical", "bin_edges": [0, 1, 5], "weights": [1, 3]}), 2.375),
}


@pytest.mark.parametrize("dist, expected", list(MEAN_CASES.values()), ids=list(MEAN_CASES))
def test_mean_is_the_closed_form_mean_of_the_family(dist: Any, expected: float) -> None:
    assert dist.mean() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("dist, expected", list(MEAN_CASES.values()), ids=list(MEAN_CASES))
def test_sample_mean_converges_to_mean(dist: Any, expected: float) -> None:
    """With n = 400,000 draws the sample mean is within 5 standard errors (sd / sqrt(n)) of mean().

    Five standard errors would be exceeded by chance about once in 1.7 million; the seed is fixed anyway, so
    a failure means the sampler and mean() disagree, not bad luck.
    """
    n = 400_000
    draws = dist.sample(np.random.default_rng(12345), n)
    assert draws.shape == (n,)
    assert (draws >= 0).all()
    standard_error = draws.std() / math.sqrt(n)
    assert abs(draws.mean() - dist.mean()) <= 5 * standard_error + 1e-12


def test_empirical_values_are_drawn_with_equal_weight_and_histograms_within_their_bins() -> None:
    values = parse({"dist": "empirical", "values": [1, 2, 2, 9]}).sample(np.random.default_rng(1), 100_000)
    assert set(np.unique(values)) == {1.0, 2.0, 9.0}
    assert np.mean(values == 2.0) == pytest.approx(0.5, abs=5 * math.sqrt(0.25 / 100_000))
    histogram = parse({"dist": "empirical", "bin_edges": [0, 1, 5], "weights": [1, 3]})
    hist = histogram.sample(np.random.default_rng(1), 100_000)
    assert hist.min() >= 0 and hist.max() <= 5
    assert np.mean(hist < 1) == pytest.approx(0.25, abs=5 * math.sqrt(0.25 * 0.75 / 100_000))


def test_lognormal_by_median_and_sigma_agrees_with_lognormal_by_mean_and_sd() -> None:
    median, sigma = 84.0, 0.5
    mean = median * math.exp(sigma**2 / 2)
    sd = mean * math.sqrt(math.exp(sigma**2) - 1)
    by_median = Lognormal(dist="lognormal", median=median, sigma=sigma)
    by_mean = parse({"dist": "lognormal", "mean": mean, "sd": sd})
    assert by_mean.mu_sigma() == pytest.approx(by_median.mu_sigma(), rel=1e-12)
    assert by_mean.mean() == pytest.approx(by_median.mean(), rel=1e-12)
    a = by_median.sample(np.random.default_rng(5), 1000)
    b = by_mean.sample(np.random.default_rng(5), 1000)
    np.testing.assert_allclose(a, b, rtol=1e-9)
    assert np.median(by_median.sample(np.random.default_rng(6), 200_001)) == pytest.approx(median, rel=0.01)


def test_gamma_by_shape_and_scale_agrees_with_gamma_by_mean_and_sd() -> None:
    by_mean = Gamma.model_validate({"dist": "gamma", "mean": 9, "sd": 5})
    shape, scale = by_mean.shape_scale()
    assert shape * scale == pytest.approx(9) and math.sqrt(shape) * scale == pytest.approx(5)
    by_shape = Gamma(dist="gamma", shape=shape, scale=scale)
    np.testing.assert_allclose(
        by_mean.sample(np.random.default_rng(2), 100), by_shape.sample(np.random.default_rng(2), 100), rtol=1e-12
    )


# --- inverse distribution functions: what the model draws with ------------------------------------------------

LAWS = {
    "exponential": (parse({"dist": "exponential", "mean": 3}), stats.expon(scale=3)),
    "lognormal": (parse({"dist": "lognormal", "median": 42, "sigma": 0.6}), stats.lognorm(0.6, scale=42)),
    "gamma": (parse({"dist": "gamma", "mean": 9, "sd": 5}), stats.gamma((9 / 5) ** 2, scale=25 / 9)),
    "gamma, shape below 1": (parse({"dist": "gamma", "shape": 0.5, "scale": 2}), stats.gamma(0.5, scale=2)),
    "weibull": (parse({"dist": "weibull", "shape": 1.5, "scale": 2}), stats.weibull_min(1.5, scale=2)),
    "triangular": (parse({"dist": "triangular", "low": 0, "mode": 1, "high": 3}), stats.triang(1 / 3, 0, 3)),
    "triangular, mode at low": (parse({"dist": "triangular", "low": 1, "mode": 1, "high": 4}), stats.triang(0, 1, 3)),
    "uniform": (parse({"dist": "uniform", "low": 2, "high": 4}), stats.uniform(2, 2)),
}


@pytest.mark.parametrize("dist, law", list(LAWS.values()), ids=list(LAWS))
def test_the_inverse_distribution_function_is_the_familys_quantile(dist: Any, law: Any) -> None:
    u = np.linspace(0.001, 0.999, 999)
    np.testing.assert_allclose([inverse_cdf(dist)(x) for x in u], law.ppf(u), rtol=1e-9)


@pytest.mark.parametrize("spec", VALID, ids=lambda s: "-".join(str(k) for k in s if k != "dist") + f"-{s['dist']}")
def test_draws_by_the_inverse_have_the_law_of_numpys_sampler(spec: dict) -> None:
    """Two-sample Kolmogorov-Smirnov, 20,000 draws each, seeds fixed: the draws the model makes from keyed
    uniforms and numpy's own sampler's draws are the same distribution (p > 0.001; a wrong inverse, e.g. a
    lognormal's sigma used as a variance, gives p < 1e-10)."""
    dist = parse(spec)
    ours = [inverse_cdf(dist)(u) for u in np.random.default_rng(7).random(20_000)]
    theirs = dist.sample(np.random.default_rng(8), 20_000)
    assert stats.ks_2samp(ours, theirs).pvalue > 0.001


@pytest.mark.parametrize("dist, expected", list(MEAN_CASES.values()), ids=list(MEAN_CASES))
def test_the_mean_of_draws_by_the_inverse_converges_to_mean(dist: Any, expected: float) -> None:
    n = 200_000
    draws = np.array([inverse_cdf(dist)(u) for u in np.random.default_rng(12345).random(n)])
    assert (draws >= 0).all()
    assert abs(draws.mean() - dist.mean()) <= 5 * draws.std() / math.sqrt(n) + 1e-12


def test_a_histogram_is_drawn_within_its_bins_by_weight_and_never_in_an_empty_bin() -> None:
    histogram = inverse_cdf(parse({"dist": "empirical", "bin_edges": [0, 1, 2, 5], "weights": [1, 0, 3]}))
    drawn = np.array([histogram(u) for u in np.random.default_rng(3).random(100_000)])
    assert drawn.min() >= 0 and drawn.max() <= 5
    assert not ((drawn > 1) & (drawn < 2)).any()
    assert np.mean(drawn < 1) == pytest.approx(0.25, abs=5 * math.sqrt(0.25 * 0.75 / 100_000))
    assert histogram(0.0) == 0 and histogram(0.25) == 2.0  # the inverse is continuous across the empty bin


def test_a_larger_mean_gives_a_larger_draw_at_the_same_uniform() -> None:
    """What common random numbers rely on when a policy changes a duration: the same draw, a matching value."""
    for spec in ({"dist": "lognormal", "median": 30, "sigma": 0.5}, {"dist": "gamma", "shape": 2, "scale": 3}):
        longer = {**spec, **{k: 1.1 * v for k, v in spec.items() if k in ("median", "scale")}}
        u = np.random.default_rng(2).random(1000)
        assert all(inverse_cdf(parse(longer))(x) > inverse_cdf(parse(spec))(x) for x in u)


@pytest.mark.parametrize("shape", [0.0011, 0.5, 1.0, 3.24, 7.7, 1000.0])
def test_the_gamma_inverse_is_scipys_ufunc_to_the_bit(shape: float) -> None:
    """The model calls SciPy's Cython entry point to the gamma quantile, a third of the ufunc's time on one value; it
    must give the ufunc's value exactly, or a case's hearing lengths would depend on which entry was called."""
    u = np.concatenate([[0.0, 2.0**-54, 0.5, 1 - 2.0**-53], np.random.default_rng(5).random(20_000)])
    inverse = inverse_cdf(parse({"dist": "gamma", "shape": shape, "scale": 2.5}))
    ours = np.array([inverse.at(x) for x in u.tolist()])
    ufunc = gammaincinv(shape, u) * 2.5
    ufunc = np.where(ufunc < MAX_DRAW, ufunc, MAX_DRAW)
    assert np.array_equal(ours.view(np.int64), ufunc.view(np.int64))
