"""Demand from monthly counts: a Poisson log-linear model of volume, yearly trend, seasonality and region shares.

``fit_arrivals`` returns an :class:`ArrivalFit` whose ``yaml(case_type)`` is the ``demand.<case_type>`` block a
scenario takes, validated with the scenario schema.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.scenario.calibration.data import (
    MIN_MONTHS_FOR_TREND,
    MONTHS,
    NAME,
    Z95,
    CalibrationError,
    Locate,
    blank_cells,
    by_position,
    first_index,
    more_rows,
    numeric_column,
    plural,
    require_column,
    round_sig,
    warn,
    yaml_number,
)
from sim.vocabulary import DAYS_PER_YEAR


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
            "cases_per_year": round_sig(self.cases_per_year),
            "trend_per_year": round(self.trend_per_year, 4),
            "monthly_seasonality": [round_sig(v) for v in self.seasonality],
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
            f"    cases_per_year: {yaml_number(block['cases_per_year'])}",
            f"    trend_per_year: {yaml_number(block['trend_per_year'])}",
            f"    monthly_seasonality: [{', '.join(yaml_number(v) for v in block['monthly_seasonality'])}]",
        ]
        if "region_shares" in block:
            shares = ", ".join(f"{k}: {yaml_number(v)}" for k, v in block["region_shares"].items())
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
        raise CalibrationError(f"{locate(i)}, column '{column}': blank month{more_rows(blank, 'blank months')}")
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
                f"2023-01-01{more_rows(bad, 'such cells')}"
            )
    return pd.PeriodIndex(dates, freq="M")


def _counts(raw: pd.Series, column: str, locate: Locate) -> np.ndarray:
    counts = numeric_column(raw, column, locate, blanks="error")
    fraction = counts != np.round(counts)
    if fraction.any():
        i = first_index(fraction)
        raise CalibrationError(
            f"{locate(i)}, column '{column}': {yaml_number(counts[i])} is not a whole number of cases"
            f"{more_rows(fraction, 'such counts')}"
        )
    return counts


def _poisson_fit(y: np.ndarray, X: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Poisson regression by maximum likelihood (statsmodels GLM); coefficients, covariance, fitted means and
    the overdispersion (Pearson chi-square / residual df; NaN with no residual df).

    The covariance is widened by the overdispersion when it exceeds 1 (quasi-Poisson), never narrowed.
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        try:
            result = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit()
        except (PerfectSeparationWarning, np.linalg.LinAlgError) as exc:  # pragma: no cover - pathological data
            raise CalibrationError(f"the Poisson fit failed ({exc}); check the counts for extreme values") from None
    dispersion = float(result.pearson_chi2 / result.df_resid) if result.df_resid > 0 else math.nan
    cov = np.asarray(result.cov_params(scale=max(dispersion, 1.0) if math.isfinite(dispersion) else 1.0))
    return np.asarray(result.params), cov, np.asarray(result.fittedvalues), dispersion


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
    locate = locate or by_position(df.index)
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
            raise CalibrationError(f"{locate(i)}, column '{by}': blank region{more_rows(blank, 'blank cells')}")
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
            warn(
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
        warn(
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
        warn(
            f"only {len(series)} months: at least {MIN_MONTHS_FOR_TREND} are needed to tell a yearly trend from "
            "seasonality, so trend_per_year is fixed at 0"
        )
    columns = [np.ones_like(t), *([t] if trend_fitted else [])]
    X = np.column_stack([*columns, contrasts[cal - 1]])
    beta, cov, mu, dispersion = _poisson_fit(y, X, offset)
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
