"""Duration distributions from data: maximum-likelihood fits of four families plus the empirical one, ranked by AIC.

``fit_durations`` returns every candidate, best first; ``best_yaml`` prints one as the block a scenario takes,
validated with the scenario schema before it is shown.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.scenario.calibration.data import (
    EMPIRICAL_VALUES_MAX,
    CalibrationError,
    Locate,
    by_position,
    numeric_column,
    round_sig,
    warn,
    yaml_number,
)


@dataclass
class Fit:
    """One candidate distribution fitted to durations.

    ``params`` are in the scenario's parameterisation (lognormal median/sigma, gamma and Weibull
    shape/scale, exponential mean, empirical values or bin_edges/weights), unrounded; ``se`` their
    asymptotic standard errors (inverse Fisher information). The parametric families are fitted to the
    positive values (``n``); ``n_zeros`` zeros were set aside. ``loglik``, ``aic`` and ``delta_aic`` are
    NaN for an empirical distribution given as its values, which has no density to compare.
    """

    name: str
    params: dict[str, Any]
    se: dict[str, float]
    k: int
    loglik: float
    aic: float
    ks_d: float
    ks_p: float
    n: int
    n_zeros: int
    delta_aic: float = math.nan
    ppf: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)

    def spec(self) -> dict[str, Any]:
        """The scenario mapping, rounded for printing: ``{'dist': 'lognormal', 'median': 83.21, ...}``."""
        if self.name != "empirical":
            return {"dist": self.name, **{k: round_sig(v) for k, v in self.params.items()}}
        if "values" in self.params:
            return {"dist": "empirical", "values": [round_sig(v, 6) for v in self.params["values"]]}
        edges = self.params["bin_edges"]
        for sig in range(4, 16):
            rounded = [round_sig(e, sig) for e in edges]
            if all(b > a for a, b in zip(rounded, rounded[1:], strict=False)):
                break
        return {"dist": "empirical", "bin_edges": rounded, "weights": [int(w) for w in self.params["weights"]]}

    def describe(self) -> str:
        """Parameters with standard errors, for the table."""
        if self.name == "empirical":
            if "values" in self.params:
                return f"the {len(self.params['values'])} values"
            return f"histogram, {len(self.params['weights'])} bins"
        return ", ".join(
            f"{k}={yaml_number(round_sig(v))}" + (f"±{yaml_number(round_sig(self.se[k], 2))}" if k in self.se else "")
            for k, v in self.params.items()
        )


def _ks(x: np.ndarray, cdf: Callable[[np.ndarray], np.ndarray]) -> tuple[float, float]:
    from scipy import stats

    result = stats.kstest(x, cdf)
    return float(result.statistic), float(result.pvalue)


def _fit_exponential(x: np.ndarray) -> Fit:
    from scipy import stats

    n, mean = len(x), float(x.mean())
    frozen = stats.expon(scale=mean)
    d, p = _ks(x, frozen.cdf)
    ll = float(frozen.logpdf(x).sum())
    return Fit(
        "exponential", {"mean": mean}, {"mean": mean / math.sqrt(n)}, 1, ll, 2 - 2 * ll, d, p, n, 0, ppf=frozen.ppf
    )


def _fit_lognormal(x: np.ndarray) -> Fit:
    from scipy import stats

    n, logs = len(x), np.log(x)
    mu, sigma = float(logs.mean()), float(logs.std())
    median = math.exp(mu)
    frozen = stats.lognorm(s=sigma, scale=median)
    d, p = _ks(x, frozen.cdf)
    ll = float(frozen.logpdf(x).sum())
    se = {"median": median * sigma / math.sqrt(n), "sigma": sigma / math.sqrt(2 * n)}
    return Fit("lognormal", {"median": median, "sigma": sigma}, se, 2, ll, 4 - 2 * ll, d, p, n, 0, ppf=frozen.ppf)


def _fit_gamma(x: np.ndarray) -> Fit:
    """Maximum likelihood: log k - digamma(k) = log(mean x) - mean(log x), then scale = mean / k."""
    from scipy import optimize, special, stats

    n, mean = len(x), float(x.mean())
    s = math.log(mean) - float(np.log(x).mean())
    shape = math.exp(optimize.brentq(lambda lk: lk - special.digamma(math.exp(lk)) - s, -20, 25))
    scale = mean / shape
    frozen = stats.gamma(shape, scale=scale)
    d, p = _ks(x, frozen.cdf)
    ll = float(frozen.logpdf(x).sum())
    # inverse Fisher information: per value [[trigamma(k), 1/theta], [1/theta, k/theta^2]]
    det = (shape * special.polygamma(1, shape) - 1) / scale**2
    se = {
        "shape": math.sqrt(shape / scale**2 / det / n),
        "scale": math.sqrt(special.polygamma(1, shape) / det / n),
    }
    return Fit("gamma", {"shape": shape, "scale": scale}, se, 2, ll, 4 - 2 * ll, d, p, n, 0, ppf=frozen.ppf)


def _fit_weibull(x: np.ndarray) -> Fit:
    """Maximum likelihood: sum(x^k log x)/sum(x^k) - 1/k = mean(log x), then scale = mean(x^k)^(1/k)."""
    from scipy import optimize, stats

    n = len(x)
    logs = np.log(x / np.median(x))  # scaled for numerical range; the shape does not depend on the scale

    def score(log_k: float) -> float:
        k = math.exp(log_k)
        w = np.exp(k * logs - (k * logs).max())
        return float((w * logs).sum() / w.sum()) - 1 / k - float(logs.mean())

    shape = math.exp(optimize.brentq(score, -10, 10))
    scale = float(np.median(x)) * float(np.mean(np.exp(shape * logs))) ** (1 / shape)
    frozen = stats.weibull_min(shape, scale=scale)
    d, p = _ks(x, frozen.cdf)
    ll = float(frozen.logpdf(x).sum())
    # inverse Fisher information; per value I_kk = ((1-g)^2 + pi^2/6)/k^2, I_kl = -(1-g)/l, I_ll = k^2/l^2
    g = 1 - np.euler_gamma
    info = np.array([[(g**2 + math.pi**2 / 6) / shape**2, -g / scale], [-g / scale, shape**2 / scale**2]]) * n
    cov = np.linalg.inv(info)
    se = {"shape": math.sqrt(cov[0, 0]), "scale": math.sqrt(cov[1, 1])}
    return Fit("weibull", {"shape": shape, "scale": scale}, se, 2, ll, 4 - 2 * ll, d, p, n, 0, ppf=frozen.ppf)


def _histogram(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bins of about equal counts, none empty; the top bin is split in halves down to about 5 values.

    Values are drawn uniformly within a bin, so one wide top bin (from the 96th percentile to the maximum,
    say) would push the mean up by several per cent; the halving keeps the mean within about 1%.
    """
    n = len(x)
    bins = int(min(50, max(10, round(2 * n ** (1 / 3)))))
    probs = list(np.linspace(0, 1, bins + 1))
    tail = 1 / bins
    while n * tail / 2 >= 5:
        tail /= 2
        probs.append(1 - tail)
    edges = np.unique(np.quantile(x, sorted(probs)))
    counts, _ = np.histogram(x, edges)
    keep_edges, keep_counts = [edges[0]], []
    for j, c in enumerate(counts):
        if c > 0 or not keep_counts:
            keep_edges.append(edges[j + 1])
            keep_counts.append(int(c))
        else:  # an empty bin joins the one before
            keep_edges[-1] = edges[j + 1]
    return np.asarray(keep_edges), np.asarray(keep_counts)


def _fit_empirical(x: np.ndarray, all_values: np.ndarray) -> Fit:
    n = len(x)
    if len(all_values) <= EMPIRICAL_VALUES_MAX:
        return Fit(
            "empirical",
            {"values": sorted(all_values.tolist())},
            {},
            n,
            math.nan,
            math.nan,
            0.0,
            1.0,
            n,
            0,
            ppf=lambda q: np.quantile(x, q),
        )
    edges, counts = _histogram(x)
    cum = np.concatenate([[0.0], np.cumsum(counts) / n])
    widths = np.diff(edges)
    bin_of = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(counts) - 1)
    ll = float(np.log(counts[bin_of] / (n * widths[bin_of])).sum())
    k = len(counts) - 1
    d, p = _ks(x, lambda v: np.interp(v, edges, cum))
    if len(all_values) != n:  # the printed histogram keeps the zeros
        edges_all, counts_all = _histogram(all_values)
    else:
        edges_all, counts_all = edges, counts
    params = {"bin_edges": edges_all.tolist(), "weights": counts_all.tolist()}
    return Fit("empirical", params, {}, k, ll, 2 * k - 2 * ll, d, p, n, 0, ppf=lambda q: np.interp(q, cum, edges))


def fit_durations(values: Sequence[float] | np.ndarray | pd.Series, *, locate: Locate | None = None) -> list[Fit]:
    """Fit every candidate to non-negative durations; best (lowest AIC) first.

    Location is fixed at 0 (durations start at 0). Zeros have no density under these families, so the
    parametric fits use the positive values and a CalibrationWarning reports the share of zeros; the
    empirical distribution keeps them. Raises CalibrationError for bad values or too little spread.
    """
    raw = pd.Series(values)
    if locate is None:
        locate = by_position(raw.index if isinstance(values, pd.Series) else None)
    x_all = numeric_column(raw, str(raw.name) if raw.name is not None else "values", locate, blanks="drop")
    x = x_all[x_all > 0]
    zeros = len(x_all) - len(x)
    if len(np.unique(x)) < 2:
        if len(np.unique(x_all)) == 1:
            v = yaml_number(x_all[0])
            raise CalibrationError(
                f"all {len(x_all)} values equal {v}; a fitted distribution needs spread "
                f"(for a constant duration write {{dist: fixed, value: {v}}})"
            )
        raise CalibrationError(
            f"fewer than 2 different positive values among {len(x_all)}; a fitted distribution needs spread"
        )
    if zeros:
        warn(
            f"{zeros} of {len(x_all)} values ({zeros / len(x_all):.1%}) are zero: the exponential, gamma, lognormal"
            f" and Weibull fits use the {len(x)} positive values and never draw 0; the empirical one keeps the zeros"
        )
    if len(x) < 30:
        warn(f"only {len(x)} positive values: the ranking and the parameters are uncertain")
    fits: list[Fit] = []
    with np.errstate(all="ignore"):
        for fitter in (_fit_exponential, _fit_gamma, _fit_lognormal, _fit_weibull):
            try:
                fits.append(fitter(x))
            except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:  # pragma: no cover - rare
                warn(f"{fitter.__name__[5:]} could not be fitted: {exc}")
        fits.append(_fit_empirical(x, x_all))
    for f in fits:
        f.n_zeros = zeros
    finite = [f.aic for f in fits if math.isfinite(f.aic)]
    best_aic = min(finite)
    for f in fits:
        f.delta_aic = f.aic - best_aic
    return sorted(fits, key=lambda f: (not math.isfinite(f.aic), f.aic))


def best_yaml(fit: Fit, key: str = "duration_days") -> str:
    """The fit as the one-line YAML a scenario takes, checked against the scenario's distribution schema."""
    spec = fit.spec()
    items = ", ".join(
        f"{k}: [{', '.join(yaml_number(x) for x in v)}]"
        if isinstance(v, list)
        else f"{k}: {v if k == 'dist' else yaml_number(v)}"
        for k, v in spec.items()
    )
    text = f"{key}: {{{items}}}"
    _check_distribution(yaml.safe_load(text)[key], text)
    return text


def _check_distribution(value: Any, text: str) -> None:
    from pydantic import TypeAdapter, ValidationError

    from sim.scenario.distributions import Distribution

    try:
        TypeAdapter(Distribution).validate_python(value)
    except ValidationError as exc:  # a bug here, not a user error
        raise RuntimeError(f"calibrate printed a block the scenario would reject: {text}\n{exc}") from exc


def format_table(fits: list[Fit]) -> str:
    rows = [("distribution", "parameters (± standard error)", "log-lik", "AIC", "ΔAIC", "KS D", "KS p")]
    for f in fits:
        ranked = math.isfinite(f.aic)
        rows.append(
            (
                f.name,
                f.describe(),
                f"{f.loglik:.1f}" if ranked else "—",
                f"{f.aic:.1f}" if ranked else "—",
                f"{f.delta_aic:.1f}" if ranked else "—",
                f"{f.ks_d:.4f}" if ranked else "0",
                f"{f.ks_p:.3g}" if ranked else "—",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        left = [r[0].ljust(widths[0]), r[1].ljust(widths[1])]
        lines.append("  " + "  ".join(left + [c.rjust(w) for c, w in zip(r[2:], widths[2:], strict=True)]))
    return "\n".join(lines)
