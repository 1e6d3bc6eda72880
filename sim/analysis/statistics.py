"""Statistics across replications: intervals that respect their quantity, the summary, the precision rule.

Each replication is one independent observation of an indicator, so the mean across replications gets a 95%
confidence interval from its standard error ``sd / sqrt(n)`` and Student's t with n - 1 degrees of freedom
(``scipy.stats.t.interval``). A plain ``mean ± t × se`` can leave the values the quantity can take: with two
replications, a share of 89.7% got "74.1% to 105.3%" and a count of 71 "-94 to 236". So each indicator gets the
interval that suits what it can take (:func:`interval_method`):

* a **share** (``*_share``, in 0-1): on the logit scale, ``logit(mean) ± t × se / (mean (1 - mean))`` (the delta
  method), then back through the logistic function, as survey software does for proportions (R's
  ``survey::svyciprop(method = "logit")``): always inside 0-1, and narrower on the side of the nearer bound, as
  the spread of a share near 0 or 1 is;
* any other indicator of a **non-negative quantity** (times, counts, means of counts): the Student-t interval
  with its lower end truncated at zero (``t_truncated``). Truncation removes only values the mean cannot take,
  so the interval covers the true mean exactly as often as the t interval does. (A log-scale interval was tried
  and refused: for a count such as 0 and 9 in two replications its upper end was 1.5 million);
* a **difference** or a **change** (paired differences between options, ``*_change*``), which may take either
  sign: the Student-t interval as it is (``t``).

When the spread is small next to the bounds, the three are the same interval. A mean of 0 or 1 (a share) with
every replication equal has a zero-width interval. Missing values (an indicator that could not
be measured in a replication) are left out and ``replications`` counts the values used.

With fewer than :data:`ROUGH_BELOW_REPLICATIONS` replications an interval rests on an estimate of the spread
from a handful of values: every table marks such rows ``rough`` (``docs/assumptions.md``), and the command line
and the report say so. Paired differences of :mod:`sim.experiment.compare` use the same intervals, with
:func:`adjust_p_values` for the multiple comparisons an option table makes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import special

from sim.analysis.indicators import CROSS, HEADLINE, HEADLINE_DEFINITIONS, KEYS

if TYPE_CHECKING:
    from scipy.stats import rv_continuous

CONFIDENCE_LEVEL = 0.95
SIGNIFICANCE = 1 - CONFIDENCE_LEVEL
"""A difference whose p-value is below this is distinguishable from zero (its 95% interval excludes zero)."""
SUMMARY_COLUMNS = [*KEYS, "mean", "ci95_low", "ci95_high", "sd", "replications", "interval", "rough"]
MIN_REPLICATIONS_FOR_INTERVAL = 2
"""An interval needs a standard deviation, so at least two values."""
ROUGH_BELOW_REPLICATIONS = 5
"""Intervals from fewer replications than this are marked rough (docs/assumptions.md, "Estimation")."""

T, TRUNCATED, LOGIT = "t", "t_truncated", "logit"
"""Interval methods: Student-t, Student-t truncated at zero, Student-t on the logit scale."""
INTERVAL_METHODS = (T, TRUNCATED, LOGIT)
CORRECTIONS = ("none", "holm", "bonferroni")
"""Corrections for multiple comparisons offered by ``compare --correction`` (statsmodels' multipletests)."""


def t_distribution() -> rv_continuous:
    """Student's t distribution (scipy's), imported when first needed: ``scipy.stats`` takes about a second to
    import, which every ``run`` and each worker process would pay before its first replication."""
    from scipy import stats

    return stats.t


def is_share(indicator: str) -> bool:
    """Whether an indicator is a share, from 0 to 1: named ``*_share`` or ``share_*`` (``share_of_life_in_proceedings_
    mean`` and its percentiles), as :mod:`sim.analysis.indicators` names them. The one test every table, interval and
    figure uses, so a share is never shown as weeks or given an interval past 100%. A regional label
    (``NAME[region=REGION]``) is read by its name."""
    name = indicator.split("[", 1)[0]
    return name.endswith("_share") or name.startswith("share_")


def natural_bounds(indicator: str) -> tuple[float, float]:
    """The values an indicator can take: a share in 0-1, a change of either sign, anything else not negative.

    A regional label (``NAME[region=REGION]``, :mod:`sim.analysis.trajectory`) is read by its name.
    """
    name = indicator.split("[", 1)[0]
    if is_share(name):
        return 0.0, 1.0
    if "_change" in name:
        return -math.inf, math.inf
    return 0.0, math.inf


def as_published(value: float, indicator: str) -> str:
    """A figure as it is published: a share as per cent, a count whole, weeks and the like to one decimal.

    The form follows the indicator's name (:func:`natural_bounds`), never the value's size: a band of weeks that
    reaches 0 reads 0.0, not 0%.
    """
    if value != value:  # NaN
        return "–"
    if natural_bounds(indicator)[1] == 1.0:
        return f"{value:.0%}" if abs(value) >= 0.01 or value == 0 else f"{value:.1%}"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.1f}"


def interval_method(indicator: str) -> str:
    """The interval that respects an indicator's bounds: logit for a share, truncated t if not negative, else t."""
    low, high = natural_bounds(indicator)
    if high == 1.0:
        return LOGIT
    return TRUNCATED if low == 0.0 else T


def _bounded_interval(
    mean: np.ndarray, se: np.ndarray, n: np.ndarray, method: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of each mean by its method (see the module docstring); NaN with fewer than two values."""
    mean, se, n = (np.asarray(a, dtype=float) for a in (mean, se, n))
    method = np.broadcast_to(np.asarray(method, dtype=object), mean.shape)
    low, high = np.full(mean.shape, np.nan), np.full(mean.shape, np.nan)
    enough = n >= MIN_REPLICATIONS_FOR_INTERVAL
    flat = enough & (se == 0)  # every value equal: nothing to spread
    low[flat], high[flat] = mean[flat], mean[flat]
    spread = enough & (se > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        for name, forward, backward, slope in (
            (T, lambda m: m, lambda x: x, lambda m: np.ones_like(m)),
            (TRUNCATED, lambda m: m, lambda x: np.maximum(x, 0.0), lambda m: np.ones_like(m)),
            (LOGIT, special.logit, special.expit, lambda m: m * (1 - m)),
        ):
            rows = spread & (method == name)
            if not rows.any():
                continue
            m = mean[rows]
            lo, hi = t_distribution().interval(level, n[rows] - 1, loc=forward(m), scale=se[rows] / slope(m))
            low[rows], high[rows] = backward(lo), backward(hi)
    return low, high


def interval(
    values: np.ndarray, method: str = T, level: float = CONFIDENCE_LEVEL
) -> tuple[float, float, float, float, int]:
    """(mean, low, high, sd, n) of the non-missing values, the interval by ``method`` (NaN with fewer than two)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan, math.nan, 0
    mean = float(np.mean(values))
    if n < MIN_REPLICATIONS_FOR_INTERVAL:
        return mean, math.nan, math.nan, math.nan, n
    sd = float(np.std(values, ddof=1))
    low, high = _bounded_interval(np.array([mean]), np.array([sd / math.sqrt(n)]), np.array([n]), method, level)
    return mean, float(low[0]), float(high[0]), sd, n


def intervals(
    frame: pd.DataFrame,
    keys: list[str],
    column: str = "value",
    method: str | None = None,
    level: float = CONFIDENCE_LEVEL,
) -> pd.DataFrame:
    """:func:`interval` of ``column`` within each group of ``keys``, for every group at once.

    ``method`` is one of :data:`INTERVAL_METHODS` for every group, or None to choose it by the ``indicator`` key
    (:func:`interval_method`). Returns the keys and ``mean, ci95_low, ci95_high, sd, replications`` (the count
    of non-missing values), ``interval`` (the method) and ``rough``, one row per group in the order groups
    first appear.
    """
    grouped = frame.groupby(keys, sort=False, dropna=False)[column]
    out = grouped.agg(["mean", "std", "count"]).reset_index()
    n = out["count"].to_numpy(dtype=float)
    if method is None:
        out["interval"] = out["indicator"].astype(str).map(interval_method)
    else:
        out["interval"] = method
    with np.errstate(invalid="ignore", divide="ignore"):
        se = out["std"].to_numpy(dtype=float) / np.sqrt(n)
    out["ci95_low"], out["ci95_high"] = _bounded_interval(
        out["mean"].to_numpy(dtype=float), se, n, out["interval"].to_numpy(dtype=object), level
    )
    out = out.rename(columns={"std": "sd", "count": "replications"})
    out["replications"] = out["replications"].astype("int64")
    out["rough"] = out["replications"] < ROUGH_BELOW_REPLICATIONS
    return out[[*keys, "mean", "ci95_low", "ci95_high", "sd", "replications", "interval", "rough"]]


def p_values(mean: np.ndarray, sd: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Two-sided one-sample t-test p-values of mean = 0 (paired differences), NaN with fewer than two values.

    From the summary statistics (``scipy.stats.ttest_1samp`` would need the values again); a mean with no
    spread is 0 (certain) unless the mean is itself 0 (1).
    """
    mean, sd, n = (np.asarray(a, dtype=float) for a in (mean, sd, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.abs(mean) / (sd / np.sqrt(n))
        p = 2 * t_distribution().sf(t, n - 1)
    p = np.where(sd == 0, np.where(mean == 0, 1.0, 0.0), p)
    return np.where(n >= MIN_REPLICATIONS_FOR_INTERVAL, p, np.nan)


def adjust_p_values(p: np.ndarray, correction: str) -> np.ndarray:
    """p-values adjusted for multiple comparisons (Holm or Bonferroni, statsmodels), missing ones left out.

    ``none`` returns them as they are. Holm controls the chance of any false "distinguishable" among the family
    as Bonferroni does, and rejects at least as often.
    """
    if correction not in CORRECTIONS:
        raise ValueError(f"unknown correction {correction!r}: one of {', '.join(CORRECTIONS)}")
    p = np.asarray(p, dtype=float)
    known = ~np.isnan(p)
    if correction == "none" or not known.any():
        return p.copy()
    from statsmodels.stats.multitest import multipletests  # only compare needs it

    out = np.full(p.shape, np.nan)
    out[known] = multipletests(p[known], alpha=SIGNIFICANCE, method=correction)[1]
    return out


def summarise(per_replication: pd.DataFrame) -> pd.DataFrame:
    """One row per (indicator, breakdown, group): mean across replications, 95% CI within bounds, sd, count, rough.

    Rows keep the order in which indicators first appear, so the file reads the same every time.
    """
    if per_replication.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    return intervals(per_replication, KEYS)[SUMMARY_COLUMNS]


def half_width_share(per_replication: pd.DataFrame, targets: Iterable[tuple[str, str, str]] = HEADLINE) -> float:
    """The largest CI half-width as a share of its mean among ``targets`` (inf when not yet estimable).

    The half-width of an interval is the larger of its two sides (a truncated or logit interval is not symmetric).
    The sequential precision rule (:func:`sim.experiment.replications.sequential_stop`) adds replications until
    this is small enough.
    """
    worst = 0.0
    targets = list(targets)
    keys = pd.MultiIndex.from_frame(per_replication[KEYS])
    summary = summarise(per_replication[keys.isin(targets)]).set_index(KEYS)
    for target in targets:
        if target not in summary.index:
            continue
        row = summary.loc[target]
        if row["replications"] < MIN_REPLICATIONS_FOR_INTERVAL or not np.isfinite(row["ci95_high"]) or row["mean"] == 0:
            return math.inf
        half = max(row["ci95_high"] - row["mean"], row["mean"] - row["ci95_low"])
        worst = max(worst, half / abs(row["mean"]))
    return worst


# ---------------------------------------------------------------------------------------------- tables of a summary
INTERVAL_COLUMNS = ["mean", "ci95_low", "ci95_high", "replications", "rough"]
HEADLINE_COLUMNS = ["case_type", "indicator", *INTERVAL_COLUMNS, "definition"]


def headline_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Mean weeks to disposal per case type, by both measures, each with the definition of what it counts.

    What a reader sees first: no row pools case types, and every figure names its cases
    (:data:`sim.analysis.indicators.HEADLINE_DEFINITIONS`).
    """
    index = summary.set_index(KEYS)
    rows = []
    for _, breakdown, case_type in HEADLINE:
        for name, definition in HEADLINE_DEFINITIONS.items():
            if (name, breakdown, case_type) in index.index:
                row = index.loc[(name, breakdown, case_type)]
                rows.append([case_type, name, *row[INTERVAL_COLUMNS].tolist(), definition])
    return pd.DataFrame(rows, columns=HEADLINE_COLUMNS)


def within_case_type(summary: pd.DataFrame, indicator: str, by: str) -> pd.DataFrame:
    """One indicator by case type and ``by`` (``domestic_abuse``, ``region`` or ``age_band``), from a summary.

    Columns ``case_type``, ``by``, then the mean, interval, replications and rough: the crossed breakdowns of
    :data:`sim.analysis.indicators.CROSSED_BREAKDOWNS`, split back into their two parts.
    """
    rows = summary[(summary["indicator"] == indicator) & (summary["breakdown"] == f"case_type{CROSS}{by}")]
    parts = rows["group"].astype(str).str.split(CROSS, n=1, expand=True)
    if rows.empty:
        return pd.DataFrame(columns=["case_type", by, *INTERVAL_COLUMNS])
    out = rows[INTERVAL_COLUMNS].copy()
    out.insert(0, by, parts[1])
    out.insert(0, "case_type", parts[0])
    return out.reset_index(drop=True)
