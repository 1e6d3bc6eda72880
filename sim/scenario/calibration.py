"""Calibrate scenario inputs from data: duration distributions and demand (volume, trend, seasonality).

``python run_sim.py calibrate durations FILE.csv --column days`` fits exponential, gamma, lognormal and
Weibull distributions by maximum likelihood (location fixed at 0), adds the empirical distribution, ranks
them by AIC, reports Kolmogorov-Smirnov distances, draws QQ plots and prints the winner as the YAML block
a scenario takes. ``python run_sim.py calibrate arrivals FILE.csv`` fits a Poisson log-linear model to
monthly counts and prints a ``demand.<case_type>`` block. Both validate what they print with the scenario
schema. The same fits are available to notebooks: :func:`fit_durations`, :func:`best_yaml`,
:func:`fit_arrivals`. See docs/calibration.md.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import math
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.vocabulary import DAYS_PER_YEAR

FAMILIES = ("exponential", "gamma", "lognormal", "weibull")
EMPIRICAL_VALUES_MAX = 200
"""Up to this many values the empirical distribution is printed as the values; above, as a histogram."""
MIN_MONTHS_FOR_TREND = 24
"""With fewer months a yearly trend cannot be told apart from seasonality, so it is fixed at 0."""
Z95 = 1.959963984540054
MONTHS = [calendar.month_abbr[m] for m in range(1, 13)]
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class CalibrationError(ValueError):
    """The data cannot be used as given; the message names the file (or row), the column and what to fix."""


class CalibrationWarning(UserWarning):
    """Something about the data the analyst should know; the fit goes ahead."""


Locate = Callable[[int], str]
"""Describes the i-th row (by position) of the data: 'durations.csv, line 7' or 'row 6'."""


def _by_position(index: pd.Index | None = None) -> Locate:
    if index is None:
        return lambda i: f"value {i}"
    return lambda i: f"row {index[i]}"


def _warn(message: str) -> None:
    warnings.warn(message, CalibrationWarning, stacklevel=3)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _round_sig(x: float, sig: int = 4) -> float:
    """x to ``sig`` significant figures, but never fewer than the whole-number digits."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    digits = sig - int(math.floor(math.log10(abs(x)))) - 1
    return float(round(x, max(digits, 0)))


def _num(x: float) -> str:
    """A number as YAML reads it back as a number: positional, no exponent, no trailing zeros."""
    return np.format_float_positional(float(x), trim="-")


# ---------------------------------------------------------------------------------------------- reading data
def read_csv(path: str | Path) -> tuple[pd.DataFrame, Locate]:
    """A CSV file as text cells, with a function naming a row's file and line (blank lines kept as blank rows)."""
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, skip_blank_lines=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise CalibrationError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise CalibrationError(f"{path}: is a directory, not a CSV file") from None
    except pd.errors.EmptyDataError:
        raise CalibrationError(f"{path}: the file is empty (expected a header line and rows of data)") from None
    except UnicodeDecodeError:
        raise CalibrationError(f"{path}: not UTF-8 text; save it as 'CSV UTF-8' and try again") from None
    except (pd.errors.ParserError, OSError) as exc:
        raise CalibrationError(f"{path}: cannot be read as CSV: {str(exc).strip()}") from None
    # a blank line is a row of blanks (in a one-column file, a blank cell); the index counts every line
    df.columns = [str(c).strip() for c in df.columns]
    return df, lambda i: f"{path}, line {df.index[i] + 2}"


def require_column(df: pd.DataFrame, column: str, source: str) -> None:
    """Raise a CalibrationError naming the source and suggesting the nearest column name."""
    if column in df.columns:
        return
    columns = [str(c) for c in df.columns]
    by_case = {c.lower(): c for c in columns}
    near = [by_case[column.lower()]] if column.lower() in by_case else difflib.get_close_matches(column, columns, 1)
    hint = f"; did you mean '{near[0]}'?" if near else ""
    raise CalibrationError(f"{source}: no column '{column}'{hint} (columns: {', '.join(columns) or 'none'})")


def blank_cells(raw: pd.Series) -> np.ndarray:
    if not (raw.dtype == object or pd.api.types.is_string_dtype(raw)):
        return raw.isna().to_numpy(dtype=bool)
    text = raw.astype("string").str.strip()
    return (raw.isna() | (text == "")).to_numpy(dtype=bool)


def first_index(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _more(mask: np.ndarray, what: str) -> str:
    n = int(mask.sum())
    return "" if n == 1 else f" ({n} {what}; the first is shown)"


def numeric_column(raw: pd.Series, column: str, locate: Locate, *, blanks: str, source: str = "the data") -> np.ndarray:
    """Numbers of one column, checked: not text, finite, not negative.

    ``blanks`` says what a blank cell is: "drop" (warn how many and drop them; an error if none remain),
    or "error".
    """
    if len(raw) == 0:
        raise CalibrationError(f"{source}, column '{column}': no rows of data")
    blank = blank_cells(raw)
    if blank.any() and blanks == "error":
        i = first_index(blank)
        raise CalibrationError(
            f"{locate(i)}, column '{column}': blank cell (write 0 for none){_more(blank, 'blank cells')}"
        )
    values = pd.to_numeric(raw.where(~blank), errors="coerce").to_numpy(dtype=float)
    bad = ~blank & ~np.isfinite(values)
    if bad.any():
        i = first_index(bad)
        cell = str(raw.iloc[i]).strip()
        hint = " (remove thousands separators)" if re.fullmatch(r"[\d,]+(\.\d*)?", cell) else ""
        raise CalibrationError(
            f"{locate(i)}, column '{column}': '{cell}' is not a finite number{hint}{_more(bad, 'such cells')}"
        )
    negative = ~blank & (values < 0)
    if negative.any():
        i = first_index(negative)
        raise CalibrationError(
            f"{locate(i)}, column '{column}': {_num(values[i])} is negative (a duration or count cannot be)"
            f"{_more(negative, 'negative values')}"
        )
    if blank.any():
        if blank.all():
            raise CalibrationError(f"{source}, column '{column}': all {len(raw)} cells are blank; nothing to fit")
        i = first_index(blank)
        _warn(
            f"{locate(i)}, column '{column}': {plural(int(blank.sum()), 'blank cell')} "
            f"(the first here) ignored; {int((~blank).sum())} values remain"
        )
    return values[~blank]


# ---------------------------------------------------------------------------------------------- durations
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
            return {"dist": self.name, **{k: _round_sig(v) for k, v in self.params.items()}}
        if "values" in self.params:
            return {"dist": "empirical", "values": [_round_sig(v, 6) for v in self.params["values"]]}
        edges = self.params["bin_edges"]
        for sig in range(4, 16):
            rounded = [_round_sig(e, sig) for e in edges]
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
            f"{k}={_num(_round_sig(v))}" + (f"±{_num(_round_sig(self.se[k], 2))}" if k in self.se else "")
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
    return Fit("exponential", {"mean": mean}, {"mean": mean / math.sqrt(n)}, 1, ll, 2 - 2 * ll, d, p, n, 0,
               ppf=frozen.ppf)  # fmt: skip


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
        return Fit("empirical", {"values": sorted(all_values.tolist())}, {}, n, math.nan, math.nan, 0.0, 1.0, n, 0,
                   ppf=lambda q: np.quantile(x, q))  # fmt: skip
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
        locate = _by_position(raw.index if isinstance(values, pd.Series) else None)
    x_all = numeric_column(raw, str(raw.name) if raw.name is not None else "values", locate, blanks="drop")
    x = x_all[x_all > 0]
    zeros = len(x_all) - len(x)
    if len(np.unique(x)) < 2:
        if len(np.unique(x_all)) == 1:
            v = _num(x_all[0])
            raise CalibrationError(
                f"all {len(x_all)} values equal {v}; a fitted distribution needs spread "
                f"(for a constant duration write {{dist: fixed, value: {v}}})"
            )
        raise CalibrationError(
            f"fewer than 2 different positive values among {len(x_all)}; a fitted distribution needs spread"
        )
    if zeros:
        _warn(
            f"{zeros} of {len(x_all)} values ({zeros / len(x_all):.1%}) are zero: the exponential, gamma, lognormal"
            f" and Weibull fits use the {len(x)} positive values and never draw 0; the empirical one keeps the zeros"
        )
    if len(x) < 30:
        _warn(f"only {len(x)} positive values: the ranking and the parameters are uncertain")
    fits: list[Fit] = []
    with np.errstate(all="ignore"):
        for fitter in (_fit_exponential, _fit_gamma, _fit_lognormal, _fit_weibull):
            try:
                fits.append(fitter(x))
            except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:  # pragma: no cover - rare
                _warn(f"{fitter.__name__[5:]} could not be fitted: {exc}")
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
        f"{k}: [{', '.join(_num(x) for x in v)}]" if isinstance(v, list) else f"{k}: {v if k == 'dist' else _num(v)}"
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


def safe_stem(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "values"


# ---------------------------------------------------------------------------------------------- arrivals
@dataclass
class ArrivalFit:
    """Demand fitted to monthly counts, in the scenario's terms (see sim.model.arrivals).

    The model is the simulator's own: the expected count in a month is
    cases_per_year × (1 + trend_per_year)^(years from start_date to the month's start) × seasonality[month]
    × days in month / 365.25. Intervals are 95%, from the Poisson likelihood, widened by the square root of
    the overdispersion when it exceeds 1 (quasi-Poisson).
    """

    start_date: dt.date
    first_month: str
    last_month: str
    n_months: int
    total: int
    cases_per_year: float
    cases_per_year_se: float
    cases_per_year_ci: tuple[float, float]
    trend_fitted: bool
    trend_per_year: float
    trend_se: float
    trend_ci: tuple[float, float]
    seasonality: np.ndarray
    seasonality_se: np.ndarray
    seasonality_ci: np.ndarray
    dispersion: float
    gaps: list[str]
    table: pd.DataFrame
    region_shares: dict[str, float] | None = None
    region_shares_se: dict[str, float] | None = None

    def demand(self) -> dict[str, Any]:
        """The demand block, rounded for a scenario (seasonality to 4 figures, shares summing to 1)."""
        block: dict[str, Any] = {
            "cases_per_year": _round_sig(self.cases_per_year),
            "trend_per_year": round(self.trend_per_year, 4),
            "monthly_seasonality": [_round_sig(v) for v in self.seasonality],
        }
        if self.region_shares:
            shares = {k: round(v, 4) for k, v in self.region_shares.items()}
            largest = max(shares, key=shares.__getitem__)
            shares[largest] = round(1 - sum(v for k, v in shares.items() if k != largest), 4)
            block["region_shares"] = shares
        return block

    def yaml(self, case_type: str | None = None) -> str:
        """The ``demand.<case_type>`` block as YAML, checked with sim.scenario.schema.Demand."""
        block = self.demand()
        key = case_type or "CASE_TYPE"
        lines = ["demand:"]
        if case_type is None:
            lines.append("  # replace CASE_TYPE with public_law, private_law or domestic_abuse")
        lines += [
            f"  {key}:",
            f"    cases_per_year: {_num(block['cases_per_year'])}",
            f"    trend_per_year: {_num(block['trend_per_year'])}",
            f"    monthly_seasonality: [{', '.join(_num(v) for v in block['monthly_seasonality'])}]",
        ]
        if "region_shares" in block:
            shares = ", ".join(f"{k}: {_num(v)}" for k, v in block["region_shares"].items())
            lines.append(f"    region_shares: {{{shares}}}")
        else:
            lines.append("    # region_shares: keep the scenario's (fit with --by REGION_COLUMN to estimate them)")
        text = "\n".join(lines)
        _check_demand(yaml.safe_load(text)["demand"][key], text)
        return text


def _check_demand(value: dict[str, Any], text: str) -> None:
    from pydantic import ValidationError

    from sim.scenario.schema import Demand

    value = {"region_shares": {"placeholder": 1.0}, **value}  # the scenario's own shares stand in when not fitted
    try:
        Demand.model_validate(value)
    except ValidationError as exc:  # a bug here, not a user error
        raise RuntimeError(f"calibrate printed a demand block the scenario would reject:\n{text}\n{exc}") from exc


def _months(raw: pd.Series, column: str, locate: Locate) -> pd.PeriodIndex:
    blank = blank_cells(raw)
    if blank.any():
        i = first_index(blank)
        raise CalibrationError(f"{locate(i)}, column '{column}': blank month{_more(blank, 'blank months')}")
    if pd.api.types.is_datetime64_any_dtype(raw):
        dates = pd.to_datetime(raw)
    else:
        text = raw.astype(str).str.strip()
        dates = pd.to_datetime(text, format="ISO8601", errors="coerce")
        bad = dates.isna().to_numpy()
        if bad.any():
            i = first_index(bad)
            raise CalibrationError(
                f"{locate(i)}, column '{column}': '{text.iloc[i]}' is not a month; write it as 2023-01 or "
                f"2023-01-01{_more(bad, 'such cells')}"
            )
    return pd.PeriodIndex(dates, freq="M")


def _counts(raw: pd.Series, column: str, locate: Locate) -> np.ndarray:
    counts = numeric_column(raw, column, locate, blanks="error")
    fraction = counts != np.round(counts)
    if fraction.any():
        i = first_index(fraction)
        raise CalibrationError(
            f"{locate(i)}, column '{column}': {_num(counts[i])} is not a whole number of cases"
            f"{_more(fraction, 'such counts')}"
        )
    return counts


def _poisson_fit(y: np.ndarray, X: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximum likelihood Poisson regression by Newton-Raphson (IRLS); coefficients, covariance, fitted means."""
    beta = np.zeros(X.shape[1])
    beta[0] = math.log(y.sum() / np.exp(offset).sum())
    for _ in range(100):
        mu = np.exp(X @ beta + offset)
        info = X.T @ (X * mu[:, None])
        step = np.linalg.solve(info, X.T @ (y - mu))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    else:  # pragma: no cover - the Poisson likelihood is concave; this needs pathological data
        raise CalibrationError("the Poisson fit did not converge; check the counts for extreme values")
    mu = np.exp(X @ beta + offset)
    return beta, np.linalg.inv(X.T @ (X * mu[:, None])), mu


def fit_arrivals(
    df: pd.DataFrame,
    date_column: str = "month",
    count_column: str = "count",
    by: str | None = None,
    start_date: dt.date | str | None = None,
    *,
    locate: Locate | None = None,
    source: str = "the data",
) -> ArrivalFit:
    """Fit cases_per_year, trend_per_year and monthly_seasonality (and region_shares with ``by``) to counts.

    ``df`` has one row per month (per region with ``by``): a month (2023-01 or 2023-01-01) and a count.
    ``start_date`` is when cases_per_year applies (default: the first month of data). Raises
    CalibrationError for fewer than 12 months, blank, negative or fractional counts, duplicate months, or a
    calendar month with no data or no cases; gaps between months give a CalibrationWarning.
    """
    locate = locate or _by_position(df.index)
    for column in (date_column, count_column, *([by] if by else [])):
        require_column(df, column, source)
    if df.empty:
        raise CalibrationError(f"{source}: no rows of data")
    months = _months(df[date_column], date_column, locate)
    counts = _counts(df[count_column], count_column, locate)
    regions = None
    if by:
        raw = df[by]
        blank = blank_cells(raw)
        if blank.any():
            i = first_index(blank)
            raise CalibrationError(f"{locate(i)}, column '{by}': blank region{_more(blank, 'blank cells')}")
        regions = raw.astype(str).str.strip().to_numpy()
        bad = np.array([not NAME.match(r) for r in regions])
        if bad.any():
            i = first_index(bad)
            suggestion = re.sub(r"[^A-Za-z0-9_]+", "_", regions[i]).strip("_").lower()
            raise CalibrationError(
                f"{locate(i)}, column '{by}': '{regions[i]}' is not a scenario name (a letter, then letters, digits"
                f" or _), e.g. '{suggestion}'; rename it in the data to the scenario's region name"
            )
    keys = pd.DataFrame({"month": months.astype(str), "group": regions if regions is not None else ""})
    dup = keys.duplicated(keep=False).to_numpy()
    if dup.any():
        rows = np.flatnonzero(dup)
        first = rows[0]
        same = [r for r in rows if (keys.iloc[r] == keys.iloc[first]).all()]
        what = f"month {keys.month.iloc[first]}" + (f" in region {regions[first]}" if by else "")
        raise CalibrationError(
            f"{locate(same[1])}, column '{date_column}': {what} appears again (first at {locate(same[0])}); "
            f"give one count per month{' and region' if by else ''} ({int(dup.sum())} duplicated rows)"
        )
    data = pd.DataFrame({"month": months, "count": counts, "group": keys.group.to_numpy()})
    region_shares = region_se = None
    if by:
        wide = data.pivot(index="month", columns="group", values="count")
        incomplete = wide.isna().any(axis=1)
        if incomplete.any():
            lacking = [f"{m} ({', '.join(wide.columns[wide.loc[m].isna()])})" for m in wide.index[incomplete][:3]]
            _warn(
                f"{plural(int(incomplete.sum()), 'month')} without a count for every region left out of the fit: "
                + "; ".join(lacking)
                + (" ..." if incomplete.sum() > 3 else "")
            )
        wide = wide[~incomplete]
        totals = wide.sum(axis=0)
        if totals.sum() <= 0:
            raise CalibrationError(f"{source}: every count is zero; there is nothing to fit")
        p = (totals / totals.sum()).to_dict()
        region_shares = {str(k): float(v) for k, v in p.items()}
        region_se = {k: math.sqrt(v * (1 - v) / totals.sum()) for k, v in region_shares.items()}
        series = wide.sum(axis=1)
    else:
        series = data.set_index("month")["count"]
    series = series.sort_index()
    if len(series) < 12:
        raise CalibrationError(
            f"{source}: {plural(len(series), 'month')} of counts"
            f"{' with every region' if by else ''}; at least 12 are needed to estimate seasonality"
        )
    full = pd.period_range(series.index[0], series.index[-1], freq="M")
    gaps = [str(m) for m in full.difference(series.index)]
    if gaps:
        _warn(
            f"{plural(len(gaps), 'month')} missing between {series.index[0]} and {series.index[-1]} "
            f"({', '.join(gaps[:6])}{' ...' if len(gaps) > 6 else ''}); fitted without them, not as zeros"
        )
    cal = series.index.month.to_numpy()
    y = series.to_numpy(dtype=float)
    for m in range(1, 13):
        if not (cal == m).any():
            raise CalibrationError(f"{source}: no count for any {calendar.month_name[m]}; seasonality needs each month")
        if y[cal == m].sum() == 0:
            raise CalibrationError(
                f"{source}: no cases in any {calendar.month_name[m]}; a seasonality factor of 0 is not allowed"
            )
    start = dt.date.fromisoformat(str(start_date)) if start_date else series.index[0].start_time.date()
    month_start = np.array([(p.start_time.date() - start).days for p in series.index], dtype=float)
    t = month_start / DAYS_PER_YEAR
    offset = np.log(series.index.days_in_month.to_numpy(dtype=float) / DAYS_PER_YEAR)
    contrasts = np.zeros((12, 11))  # sum-to-zero month effects: December is minus the sum of the others
    contrasts[:11] = np.eye(11)
    contrasts[11] = -1
    trend_fitted = len(series) >= MIN_MONTHS_FOR_TREND
    if not trend_fitted:
        _warn(
            f"only {len(series)} months: at least {MIN_MONTHS_FOR_TREND} are needed to tell a yearly trend from "
            "seasonality, so trend_per_year is fixed at 0"
        )
    columns = [np.ones_like(t), *([t] if trend_fitted else [])]
    X = np.column_stack([*columns, contrasts[cal - 1]])
    beta, cov, mu = _poisson_fit(y, X, offset)
    dof = len(y) - X.shape[1]
    dispersion = float(((y - mu) ** 2 / mu).sum() / dof) if dof > 0 else math.nan
    if dispersion > 1:
        cov = cov * dispersion
    j = len(columns)  # first month coefficient
    gamma = contrasts @ beta[j:]
    e = np.exp(gamma)
    mean_e = float(e.mean())
    # cases_per_year = exp(a) * mean(exp(gamma)); seasonality = exp(gamma) / mean(exp(gamma)) (mean 1, as the
    # simulator rescales); gradients of their logs with respect to the coefficients, for the delta method
    d_log_mean = (e / (12 * mean_e)) @ contrasts
    grad_cpy = np.zeros(len(beta))
    grad_cpy[0] = 1
    grad_cpy[j:] = d_log_mean
    log_cpy = float(beta[0]) + math.log(mean_e)
    se_log_cpy = math.sqrt(float(grad_cpy @ cov @ grad_cpy))
    grad_season = np.zeros((12, len(beta)))
    grad_season[:, j:] = contrasts - d_log_mean
    se_log_season = np.sqrt(np.einsum("ij,jk,ik->i", grad_season, cov, grad_season))
    season = e / mean_e
    cpy = math.exp(log_cpy)
    if trend_fitted:
        b, se_b = float(beta[1]), math.sqrt(float(cov[1, 1]))
        trend, trend_se = math.expm1(b), math.exp(b) * se_b
        trend_ci = (math.expm1(b - Z95 * se_b), math.expm1(b + Z95 * se_b))
    else:
        trend, trend_se, trend_ci = 0.0, math.nan, (math.nan, math.nan)
    table = pd.DataFrame({"month": series.index.astype(str), "observed": y.astype(int), "fitted": mu})
    return ArrivalFit(
        start_date=start,
        first_month=str(series.index[0]),
        last_month=str(series.index[-1]),
        n_months=len(series),
        total=int(y.sum()),
        cases_per_year=cpy,
        cases_per_year_se=cpy * se_log_cpy,
        cases_per_year_ci=(math.exp(log_cpy - Z95 * se_log_cpy), math.exp(log_cpy + Z95 * se_log_cpy)),
        trend_fitted=trend_fitted,
        trend_per_year=trend,
        trend_se=trend_se,
        trend_ci=trend_ci,
        seasonality=season,
        seasonality_se=season * se_log_season,
        seasonality_ci=np.column_stack([season * np.exp(-Z95 * se_log_season), season * np.exp(Z95 * se_log_season)]),
        dispersion=dispersion,
        gaps=gaps,
        table=table,
        region_shares=region_shares,
        region_shares_se=region_se,
    )


def format_arrivals(fit: ArrivalFit) -> str:
    gaps = f"{plural(len(fit.gaps), 'month')} missing" if fit.gaps else "no gaps"
    lines = [
        f"{fit.n_months} months, {fit.first_month} to {fit.last_month} ({gaps}), {fit.total:,} cases",
        f"cases_per_year is the deseasonalised yearly rate at the start date {fit.start_date}",
        f"  {'':22}{'estimate':>10}{'std err':>10}   95% interval",
    ]

    def row(label: str, est: float, se: float, ci: tuple[float, float], fmt: str) -> str:
        se_text = "—" if math.isnan(se) else format(se, fmt)
        ci_text = "—" if math.isnan(ci[0]) else f"{ci[0]:{fmt}} to {ci[1]:{fmt}}"
        return f"  {label:22}{est:>10{fmt}}{se_text:>10}   {ci_text}"

    lines.append(row("cases_per_year", fit.cases_per_year, fit.cases_per_year_se, fit.cases_per_year_ci, ",.0f"))
    trend_label = "trend_per_year" if fit.trend_fitted else "trend_per_year (fixed)"
    lines.append(row(trend_label, fit.trend_per_year, fit.trend_se, fit.trend_ci, ".4f"))
    for m in range(12):
        ci = (float(fit.seasonality_ci[m, 0]), float(fit.seasonality_ci[m, 1]))
        lines.append(row(f"seasonality {MONTHS[m]}", fit.seasonality[m], fit.seasonality_se[m], ci, ".3f"))
    if fit.region_shares:
        for name, share in fit.region_shares.items():
            se = fit.region_shares_se[name] if fit.region_shares_se else math.nan
            lines.append(row(f"share {name}", share, se, (share - Z95 * se, share + Z95 * se), ".4f"))
    if math.isnan(fit.dispersion):
        lines.append("overdispersion: not estimable (as many parameters as months); intervals assume Poisson counts")
    elif fit.dispersion > 1:
        lines.append(
            f"overdispersion (Pearson chi-square / df) {fit.dispersion:.2f}: the counts vary more than Poisson; "
            "standard errors widened by its square root"
        )
    else:
        lines.append(f"overdispersion (Pearson chi-square / df) {fit.dispersion:.2f}: consistent with Poisson counts")
    return "\n".join(lines)


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
