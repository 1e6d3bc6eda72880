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
    FAMILIES,
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
    asymptotic standard errors (inverse observed information). The parametric families are fitted to the
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


SCIPY_FAMILIES: dict[str, tuple[str, dict[str, int]]] = {
    "exponential": ("expon", {"mean": 0}),
    "gamma": ("gamma", {"shape": 0, "scale": 1}),
    "lognormal": ("lognorm", {"median": 1, "sigma": 0}),
    "weibull": ("weibull_min", {"shape": 0, "scale": 1}),
}
"""Each family's scipy.stats distribution, and where each scenario parameter sits in scipy's (shapes..., scale)."""


def _fit_family(name: str, x: np.ndarray) -> Fit:
    """Maximum likelihood by scipy.stats (location fixed at 0); standard errors from the observed information,
    the inverse of statsmodels' numerical Hessian of the same log-likelihood at the estimate."""
    from scipy import stats
    from statsmodels.tools.numdiff import approx_hess

    scipy_name, position = SCIPY_FAMILIES[name]
    dist = getattr(stats, scipy_name)
    *shapes, _, scale = dist.fit(x, floc=0)
    theta = np.array([*shapes, scale], dtype=float)

    def loglik(t: np.ndarray) -> float:
        return float(dist.logpdf(x, *t[:-1], loc=0, scale=t[-1]).sum())

    cov = np.linalg.inv(-approx_hess(theta, loglik))
    se = np.sqrt(np.diag(cov))  # NaN where the likelihood is not curved downwards there
    frozen = dist(*shapes, loc=0, scale=scale)
    d, p = _ks(x, frozen.cdf)
    ll, k = loglik(theta), len(theta)
    params = {key: float(theta[i]) for key, i in position.items()}
    errors = {key: float(se[i]) for key, i in position.items()}
    return Fit(name, params, errors, k, ll, 2 * k - 2 * ll, d, p, len(x), 0, ppf=frozen.ppf)


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
        for name in FAMILIES:
            try:
                fits.append(_fit_family(name, x))
            except (ValueError, ArithmeticError, RuntimeError, np.linalg.LinAlgError) as exc:  # pragma: no cover
                warn(f"{name} could not be fitted: {exc}")
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
