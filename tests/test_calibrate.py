"""Calibration from data: duration fits recover known distributions, demand fits recover the simulator's own
arrival rate, every printed block validates, and bad data is a clear error (exit 2, file, column and line).

Tolerances. A maximum likelihood estimate is approximately normal with the standard error from the inverse
Fisher information, so a parameter within 3 standard errors of the truth fails by chance with probability
0.3% (samples are drawn with fixed seeds, so a test cannot flake; the tolerance says how surprising a failure
would be). The standard errors themselves are checked against a numerical Hessian and, for demand, by the
coverage of the 95% intervals over repeated simulations.
"""

from __future__ import annotations

import math
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import TypeAdapter
from scipy import special, stats

from sim.cli.main import main
from sim.scenario.calibration import (
    CalibrationError,
    CalibrationWarning,
    best_yaml,
    fit_arrivals,
    fit_durations,
    format_arrivals,
)
from sim.scenario.distributions import Distribution
from sim.scenario.schema import Demand

DATA = Path(__file__).resolve().parent / "data"
DURATIONS = DATA / "durations.csv"
MONTHLY = DATA / "monthly_applications.csv"
N = 2000


def fits_by_name(values: np.ndarray) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)  # clean data gives no warnings
        fits = fit_durations(values)
    return {f.name: f for f in fits}, fits[0].name


def within(fit, truth: dict[str, float], z: float = 3.0) -> None:
    for key, value in truth.items():
        assert abs(fit.params[key] - value) < z * fit.se[key], (key, fit.params[key], value, fit.se[key])


# ---------------------------------------------------------------------------------------------- durations
def test_lognormal_wins_and_median_sigma_are_recovered() -> None:
    x = np.random.default_rng(11).lognormal(math.log(83.2), 0.51, N)
    fits, best = fits_by_name(x)
    assert best == "lognormal"
    fit = fits["lognormal"]
    # textbook standard errors: sigma/sqrt(n) for log(median), sigma/sqrt(2n) for sigma (at the estimate the
    # observed information equals the expected one; the numerical Hessian is good to about 1e-6)
    assert fit.se["median"] == pytest.approx(fit.params["median"] * fit.params["sigma"] / math.sqrt(N), rel=1e-4)
    assert fit.se["sigma"] == pytest.approx(fit.params["sigma"] / math.sqrt(2 * N), rel=1e-4)
    within(fit, {"median": 83.2, "sigma": 0.51})
    assert fits["gamma"].delta_aic > 10 and fits["weibull"].delta_aic > 10


def test_gamma_wins_and_shape_scale_are_recovered() -> None:
    x = np.random.default_rng(12).gamma(2.5, 30.0, N)
    fits, best = fits_by_name(x)
    assert best == "gamma"
    fit = fits["gamma"]
    k = fit.params["shape"]  # Fisher information per value [[trigamma(k), 1/theta], [1/theta, k/theta^2]]
    assert fit.se["shape"] == pytest.approx(math.sqrt(k / (N * (k * special.polygamma(1, k) - 1))), rel=1e-4)
    within(fit, {"shape": 2.5, "scale": 30.0})


def test_weibull_wins_and_shape_scale_are_recovered() -> None:
    x = stats.weibull_min(1.7, scale=60.0).rvs(N, random_state=np.random.default_rng(13))
    fits, best = fits_by_name(x)
    assert best == "weibull"
    within(fits["weibull"], {"shape": 1.7, "scale": 60.0})
    # the estimate solves the Weibull likelihood equations (not just whatever scipy's optimiser stopped at):
    # sum(x^k log x) / sum(x^k) - 1/k = mean(log x), and scale = mean(x^k)^(1/k)
    k, scale = fits["weibull"].params["shape"], fits["weibull"].params["scale"]
    logs = np.log(x)
    assert (x**k * logs).sum() / (x**k).sum() - 1 / k == pytest.approx(logs.mean(), rel=1e-5)
    assert scale == pytest.approx(np.mean(x**k) ** (1 / k), rel=1e-5)


def test_exponential_wins_or_is_indistinguishable_and_mean_is_recovered() -> None:
    x = np.random.default_rng(14).exponential(40.0, N)
    fits, best = fits_by_name(x)
    fit = fits["exponential"]
    within(fit, {"mean": 40.0})
    assert fit.se["mean"] == pytest.approx(fit.params["mean"] / math.sqrt(N), rel=1e-4)
    # gamma and Weibull contain the exponential (shape 1), so with one parameter more they beat it by AIC
    # whenever the likelihood-ratio statistic exceeds 2: about one sample in six. Then their shape must be 1.
    assert best in ("exponential", "gamma", "weibull")
    if best != "exponential":
        assert abs(fits[best].params["shape"] - 1) < 3 * fits[best].se["shape"]
        assert fit.delta_aic < 4


@pytest.mark.parametrize("name", ["exponential", "gamma", "lognormal", "weibull"])
def test_standard_errors_are_the_inverse_hessian_of_the_likelihood(name: str) -> None:
    x = np.random.default_rng(15).gamma(2.0, 20.0, 500)
    fit = {f.name: f for f in fit_durations(x)}[name]
    keys = list(fit.params)
    p0 = np.array([fit.params[k] for k in keys])
    frozen = {
        "exponential": lambda p: stats.expon(scale=p[0]),
        "gamma": lambda p: stats.gamma(p[0], scale=p[1]),
        "lognormal": lambda p: stats.lognorm(p[1], scale=p[0]),
        "weibull": lambda p: stats.weibull_min(p[0], scale=p[1]),
    }[name]

    def nll(p: np.ndarray) -> float:
        return -float(frozen(p).logpdf(x).sum())

    k, h = len(p0), 1e-4 * p0
    hessian = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * h[i], np.eye(k)[j] * h[j]
            hessian[i, j] = (nll(p0 + ei + ej) - nll(p0 + ei - ej) - nll(p0 - ei + ej) + nll(p0 - ei - ej)) / (
                4 * h[i] * h[j]
            )
    numeric = np.sqrt(np.diag(np.linalg.inv(hessian)))
    assert [fit.se[key] for key in keys] == pytest.approx(numeric, rel=0.02)
    assert fit.loglik == pytest.approx(-nll(p0))
    assert fit.aic == pytest.approx(2 * fit.k - 2 * fit.loglik)


def test_every_candidate_prints_a_block_the_scenario_accepts() -> None:
    x = np.random.default_rng(16).lognormal(4.0, 0.6, 600)
    adapter = TypeAdapter(Distribution)
    fits = fit_durations(x)
    assert [f.name for f in fits if math.isfinite(f.aic)] == [f.name for f in fits]  # n > 200: a histogram
    for fit in fits:
        text = best_yaml(fit, "duration_days")
        assert text.startswith("duration_days: {dist: ") and "\n" not in text
        dist = adapter.validate_python(yaml.safe_load(text)["duration_days"])
        assert dist.dist == fit.name
        assert dist.mean() == pytest.approx(x.mean(), rel=0.05), fit.name  # each is close in the mean
    median, sigma = (float(f"{fits[0].params[k]:.4g}") for k in ("median", "sigma"))
    assert best_yaml(fits[0]) == f"duration_days: {{dist: lognormal, median: {median}, sigma: {sigma}}}"
    small = fit_durations(x[:50])
    empirical = next(f for f in small if f.name == "empirical")
    assert not math.isfinite(empirical.aic) and small[-1] is empirical  # the values: no density, not ranked
    dist = adapter.validate_python(yaml.safe_load(best_yaml(empirical))["duration_days"])
    assert dist.values == pytest.approx(sorted(x[:50]), rel=1e-5)


def test_zeros_are_set_aside_for_the_parametric_fits_and_kept_by_the_empirical() -> None:
    x = np.concatenate([np.random.default_rng(17).lognormal(3.0, 0.5, 400), np.zeros(100)])
    with pytest.warns(CalibrationWarning, match=r"100 of 500 values \(20\.0%\) are zero"):
        fits = {f.name: f for f in fit_durations(x)}
    assert fits["lognormal"].n == 400 and fits["lognormal"].n_zeros == 100
    histogram = fits["empirical"].params
    assert histogram["bin_edges"][0] == 0 and sum(histogram["weights"]) == 500


def test_nan_values_are_dropped_with_a_warning_and_bad_values_are_errors() -> None:
    x = np.random.default_rng(18).gamma(2.0, 10.0, 100)
    x[[3, 7]] = np.nan
    with pytest.warns(CalibrationWarning, match="2 blank cells"):
        fits = fit_durations(x)
    assert fits[0].n == 98
    with pytest.raises(CalibrationError, match="value 4.*-1 is negative"):
        fit_durations([1.0, 2.0, 3.0, 4.0, -1.0])
    with pytest.raises(CalibrationError, match=r"all 3 values equal 7.*\{dist: fixed, value: 7\}"):
        fit_durations([7, 7, 7])


# ---------------------------------------------------------------------------------------------- durations CLI
def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main([*args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out, captured.err


def yaml_lines(out: str, key: str = "duration_days") -> list[dict]:
    return [yaml.safe_load(line)[key] for line in out.splitlines() if line.startswith(f"{key}:")]


def test_durations_command_prints_table_and_block_and_writes_qq_plots(tmp_path, capsys) -> None:
    csv = tmp_path / "section7.csv"
    pd.DataFrame({"days": np.random.default_rng(19).lognormal(math.log(83.2), 0.51, 500)}).to_csv(csv, index=False)
    code, out, err = run_cli(
        capsys, "calibrate", "durations", str(csv), "--column", "days", "--plot", str(tmp_path / "qq")
    )
    assert code == 0, err
    for header in ("distribution", "parameters", "log-lik", "AIC", "ΔAIC", "KS D"):
        assert header in out
    assert "best by AIC: lognormal" in out
    (block,) = yaml_lines(out)
    assert TypeAdapter(Distribution).validate_python(block).dist == "lognormal"
    assert abs(block["median"] - 83.2) < 3 * 83.2 * 0.51 / math.sqrt(500)
    plots = sorted(p.name for p in (tmp_path / "qq").glob("*.png"))
    assert plots == [f"days-qq-{n}.png" for n in ("empirical", "exponential", "gamma", "lognormal", "weibull")]
    assert all((tmp_path / "qq" / p).stat().st_size > 1000 for p in plots)
    assert f"written as asked: {tmp_path / 'qq'}" in out
    assert "optimistic" in out  # KS p-values with fitted parameters


def test_default_plot_directory_is_a_new_results_folder_never_next_to_the_csv(tmp_path, monkeypatch, capsys) -> None:
    data = tmp_path / "data"
    data.mkdir()
    csv = data / "durations.csv"
    shutil.copy(DURATIONS, csv)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, "calibrate", "durations", str(csv), "--column", "days_to_final_order")
    assert code == 0
    (made,) = (tmp_path / "results").iterdir()
    assert made.name.startswith("calibration-durations-")
    assert len(made.name) == len("calibration-durations-20240101-120000")
    assert f"in a new results folder: {Path('results') / made.name}" in out
    assert len(list(made.glob("*.png"))) == 5
    assert [p.name for p in data.iterdir()] == ["durations.csv"]  # the source tree is left alone


def test_by_fits_each_group_and_prints_one_block_each(tmp_path, capsys) -> None:
    code, out, err = run_cli(
        capsys,
        "calibrate",
        "durations",
        str(DURATIONS),
        "--column",
        "days_to_final_order",
        "--by",
        "local_authority",
        "--no-plot",
    )
    assert code == 0, err
    assert "# local_authority = kent (n = 149)" in out and "# local_authority = leeds (n = 149)" in out
    blocks = yaml_lines(out)
    assert len(blocks) == 2
    for block in blocks:
        TypeAdapter(Distribution).validate_python(block)
    assert out.index("kent") < out.index("leeds")
    assert "2 blank cells" in err and "line 27" in err  # the fixture's blanks: reported once, then dropped
    assert "1 of 149 values (0.7%) are zero" in err


def test_dist_prints_the_chosen_candidate(capsys) -> None:
    code, out, _ = run_cli(
        capsys,
        "calibrate",
        "durations",
        str(DURATIONS),
        "--column",
        "days_to_final_order",
        "--no-plot",
        "--dist",
        "empirical",
        "--key",
        "age_days",
    )
    assert code == 0
    (block,) = yaml_lines(out, "age_days")
    assert block["dist"] == "empirical" and len(block["bin_edges"]) == len(block["weights"]) + 1
    assert sum(block["weights"]) == 298  # 300 rows less the 2 blanks, zeros kept


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


DURATION_ERRORS = [
    # (file contents, extra arguments, parts the message must contain)
    (None, [], ["nope.csv: file not found"]),
    ("days\n5\n6\n", ["--column", "dayz"], ["no column 'dayz'; did you mean 'days'?"]),
    ("Days\n5\n6\n", ["--column", "days"], ["no column 'days'; did you mean 'Days'?"]),
    ("", [], ["the file is empty"]),
    ("days\n", [], ["column 'days' has no values"]),
    (
        "id,days\n1,10\n2,12\n3,about 20\n4,x\n",
        [],
        ["line 4, column 'days': 'about 20' is not a finite number", "(2 such"],
    ),
    ("id,days\n1,10\n2,-3\n3,12\n", [], ["line 3, column 'days': -3 is negative"]),
    ("id,days\n1,10\n2,inf\n", [], ["line 3, column 'days': 'inf' is not a finite number"]),
    ("days\n5\n5\n5\n", [], ["column 'days': all 3 values equal 5", "{dist: fixed, value: 5}"]),
    ("id,days\n1,\n2,\n", [], ["column 'days': all 2 cells are blank"]),
    ("days\n0\n0\n4\n", [], ["fewer than 2 different positive values"]),
]


@pytest.mark.parametrize(("text", "extra", "parts"), DURATION_ERRORS)
def test_duration_errors_exit_2_naming_file_column_and_line(tmp_path, capsys, text, extra, parts) -> None:
    csv = tmp_path / "nope.csv" if text is None else write(tmp_path, "durations.csv", text)
    code, out, err = run_cli(capsys, "calibrate", "durations", str(csv), *(extra or ["--column", "days"]), "--no-plot")
    assert code == 2
    assert err.startswith(f"error: {csv}")
    for part in parts:
        assert part in err
    assert "duration_days" not in out


def test_blank_cells_are_counted_and_dropped(tmp_path, capsys) -> None:
    rows = "\n".join(str(v) for v in np.round(np.random.default_rng(20).gamma(3, 10, 60), 1))
    csv = write(tmp_path, "d.csv", f"days\n{rows}\n\nNA\n")
    code, out, err = run_cli(capsys, "calibrate", "durations", str(csv), "--column", "days", "--no-plot")
    assert code == 0
    assert f"warning: {csv}, line 62, column 'days': 2 blank cells (the first here) ignored; 60 values remain" in err
    assert ": 60 values" in out


def test_a_group_that_cannot_be_fitted_is_skipped_with_a_warning(tmp_path, capsys) -> None:
    rows = [f"a,{v}" for v in np.round(np.random.default_rng(21).gamma(3, 10, 40), 1)] + ["b,4", "b,4"]
    csv = write(tmp_path, "d.csv", "la,days\n" + "\n".join(rows) + "\n")
    code, out, err = run_cli(capsys, "calibrate", "durations", str(csv), "--column", "days", "--by", "la", "--no-plot")
    assert code == 0
    assert len(yaml_lines(out)) == 1
    assert "warning: skipped la = b: all 2 values equal 4" in err


# ---------------------------------------------------------------------------------------------- arrivals
SEASONALITY = np.array([1.1, 1.0, 1.0, 0.95, 1.0, 0.95, 1.0, 0.9, 1.0, 1.05, 1.05, 1.0])


def expected_counts(small_data: dict, cases: float = 1200.0, months: int = 48) -> pd.DataFrame:
    """Expected private law cases per month and region under the simulator's own rate (sim.model.arrivals)."""
    from sim.model.arrivals import rate_per_day
    from sim.scenario.loading import scenario_from_dict

    small_data["demand"]["private_law"].update(
        cases_per_year=cases, trend_per_year=0.05, monthly_seasonality=SEASONALITY.tolist()
    )
    small_data["start_date"] = "2020-01-01"
    scenario = scenario_from_dict(small_data).scenario
    rows = []
    for month in pd.period_range("2020-01", periods=months, freq="M"):
        day = scenario.day_of(month.start_time.date())
        mean = rate_per_day(scenario, "private_law", day) * month.days_in_month  # constant within a month
        rows += [{"month": str(month), "region": r, "mean": m} for r, m in zip(scenario.regions, mean, strict=True)]
    return pd.DataFrame(rows)


def simulate_counts(expected: pd.DataFrame, seed: int) -> pd.DataFrame:
    counts = np.random.default_rng(seed).poisson(expected["mean"].to_numpy())
    return expected.drop(columns="mean").assign(count=counts)


def test_arrivals_recover_volume_trend_seasonality_and_shares(small_data) -> None:
    fit = fit_arrivals(simulate_counts(expected_counts(small_data), seed=31), by="region")
    truth_season = SEASONALITY / SEASONALITY.mean()
    assert abs(fit.cases_per_year - 1200) < 2.5 * fit.cases_per_year_se
    assert abs(fit.trend_per_year - 0.05) < 2.5 * fit.trend_se
    assert fit.cases_per_year_ci[0] < 1200 < fit.cases_per_year_ci[1]
    assert fit.trend_ci[0] < 0.05 < fit.trend_ci[1]
    # 12 factors at once: 3 standard errors keeps the chance of any one failing near 3%
    assert np.all(np.abs(fit.seasonality - truth_season) < 3 * fit.seasonality_se)
    assert fit.seasonality.mean() == pytest.approx(1.0)
    for region, share in {"north_east": 0.65, "wales": 0.35}.items():
        assert abs(fit.region_shares[region] - share) < 2.5 * fit.region_shares_se[region]
    assert fit.n_months == 48 and not fit.gaps


def test_arrival_intervals_cover_the_truth_about_95_percent_of_the_time(small_data) -> None:
    hits = np.zeros(3)
    runs = 100
    expected = expected_counts(small_data, cases=600)
    for seed in range(runs):
        fit = fit_arrivals(simulate_counts(expected, seed=1000 + seed), by="region")
        hits += [
            fit.cases_per_year_ci[0] < 600 < fit.cases_per_year_ci[1],
            fit.trend_ci[0] < 0.05 < fit.trend_ci[1],
            fit.seasonality_ci[7, 0] < 0.9 / SEASONALITY.mean() < fit.seasonality_ci[7, 1],
        ]
    coverage = hits / runs
    assert np.all(coverage > 0.88) and np.all(coverage < 0.995), coverage  # binomial sd at 0.95 is 0.022


def test_overdispersed_counts_widen_the_intervals_and_poisson_counts_do_not(small_data) -> None:
    expected = expected_counts(small_data)
    poisson = simulate_counts(expected, seed=41)
    lumpy = expected.drop(columns="mean").assign(  # negative binomial with variance = 4 x mean
        count=np.random.default_rng(41).negative_binomial(expected["mean"] / 3, 0.25)
    )
    plain, wide = fit_arrivals(poisson, by="region"), fit_arrivals(lumpy, by="region")
    assert 0.5 < plain.dispersion < 1.5 and 2.5 < wide.dispersion < 6
    # the same model on the same number of months: the standard error grows with the root of the dispersion
    ratio = (wide.trend_se / (1 + wide.trend_per_year)) / (plain.trend_se / (1 + plain.trend_per_year))
    assert ratio == pytest.approx(math.sqrt(wide.dispersion / max(plain.dispersion, 1.0)), rel=0.1)
    assert "standard errors widened" in format_arrivals(wide) and "consistent with Poisson" in format_arrivals(plain)


def test_start_date_moves_cases_per_year_along_the_trend() -> None:
    df = pd.read_csv(MONTHLY)
    base = fit_arrivals(df, by="region")
    later = fit_arrivals(df, by="region", start_date="2025-01-01")
    years = (pd.Timestamp("2025-01-01") - pd.Timestamp("2020-01-01")).days / 365.25
    assert later.cases_per_year == pytest.approx(base.cases_per_year * (1 + base.trend_per_year) ** years)
    assert later.trend_per_year == pytest.approx(base.trend_per_year)


def test_arrivals_command_prints_a_demand_block_the_scenario_accepts(capsys, small_data, tmp_path) -> None:
    code, out, err = run_cli(
        capsys,
        "calibrate",
        "arrivals",
        str(MONTHLY),
        "--by",
        "region",
        "--case-type",
        "private_law",
        "--plot",
        str(tmp_path),
    )
    assert code == 0, err
    for label in ("cases_per_year", "trend_per_year", "seasonality Jan", "share wales", "95% interval"):
        assert label in out
    block = yaml.safe_load(out[out.index("demand:") : out.index("\n\n", out.index("demand:"))])
    demand = block["demand"]["private_law"]
    Demand.model_validate(demand)
    assert sum(demand["region_shares"].values()) == pytest.approx(1, abs=1e-9)
    assert abs(demand["cases_per_year"] - 6000) < 300 and abs(demand["trend_per_year"] + 0.03) < 0.02
    from sim.scenario.loading import scenario_from_dict

    small_data["demand"]["private_law"] = demand  # pasted into a scenario, it loads
    scenario_from_dict(small_data)
    assert (tmp_path / "monthly_applications-arrivals.png").stat().st_size > 1000


def test_arrivals_without_regions_leaves_region_shares_to_the_scenario(tmp_path, capsys) -> None:
    national = pd.read_csv(MONTHLY).groupby("month", as_index=False)["count"].sum()
    national = national.rename(columns={"month": "period", "count": "applications"})
    national["period"] = national["period"] + "-01"  # 2020-01-01 style dates
    csv = tmp_path / "national.csv"
    national.to_csv(csv, index=False)
    args = ["calibrate", "arrivals", str(csv), "--date-column", "period", "--count-column", "applications"]
    code, out, _ = run_cli(capsys, *args)
    assert code == 0
    assert "CASE_TYPE:" in out and "# region_shares: keep the scenario's" in out
    assert "region_shares: {" not in out


def test_fewer_than_24_months_fix_the_trend_at_zero() -> None:
    df = pd.read_csv(MONTHLY)
    df = df[df.month < "2021-07"]
    with pytest.warns(CalibrationWarning, match="only 18 months.*fixed at 0"):
        fit = fit_arrivals(df, by="region")
    assert fit.trend_per_year == 0 and not fit.trend_fitted
    Demand.model_validate(yaml.safe_load(fit.yaml("public_law"))["demand"]["public_law"])


def monthly_text(counts: list, months: list[str] | None = None) -> str:
    months = months or [str(m) for m in pd.period_range("2022-01", periods=len(counts), freq="M")]
    return "month,count\n" + "\n".join(f"{m},{c}" for m, c in zip(months, counts, strict=True)) + "\n"


GOOD = [100 + i for i in range(24)]
ARRIVAL_ERRORS = [
    (monthly_text(GOOD[:11]), [], ["11 months of counts; at least 12"]),
    (monthly_text(GOOD[:5] + [-1] + GOOD[6:]), [], ["line 7, column 'count': -1 is negative"]),
    (monthly_text(GOOD[:5] + [10.5] + GOOD[6:]), [], ["line 7, column 'count': 10.5 is not a whole number"]),
    (monthly_text(GOOD[:5] + [""] + GOOD[6:]), [], ["line 7, column 'count': blank cell (write 0 for none)"]),
    (monthly_text(GOOD[:5] + ["many"] + GOOD[6:]), [], ["line 7, column 'count': 'many' is not a finite number"]),
    (
        monthly_text(GOOD[:3], ["2022-01", "March 2022", "2022-02"]),
        [],
        ["line 3, column 'month': 'March 2022' is not a month; write it as 2023-01"],
    ),
    (
        monthly_text(GOOD[:14], [*(str(m) for m in pd.period_range("2022-01", periods=13, freq="M")), "2022-04"]),
        [],
        ["line 15, column 'month': month 2022-04 appears again (first at", "line 5)"],
    ),
    (monthly_text(GOOD), ["--count-column", "counts"], ["no column 'counts'; did you mean 'count'?"]),
    (monthly_text(GOOD), ["--by", "region"], ["no column 'region'"]),
    (monthly_text([0] + GOOD[1:12] + [0] + GOOD[13:]), [], ["no cases in any January"]),
    ("month,count\n", [], ["no rows of data"]),
    (
        "month,region,count\n" + "\n".join(f"2022-{m:02d},North East,5" for m in range(1, 13)) + "\n",
        ["--by", "region"],
        ["line 2, column 'region': 'North East' is not a scenario name", "'north_east'"],
    ),
]


@pytest.mark.parametrize(("text", "extra", "parts"), ARRIVAL_ERRORS)
def test_arrival_errors_exit_2_naming_file_column_and_line(tmp_path, capsys, text, extra, parts) -> None:
    csv = write(tmp_path, "monthly.csv", text)
    code, out, err = run_cli(capsys, "calibrate", "arrivals", str(csv), *extra)
    assert code == 2, out
    assert err.startswith(f"error: {csv}")
    for part in parts:
        assert part in err
    assert "demand:" not in out


def test_gaps_are_a_warning_and_fitted_without_the_missing_months(tmp_path, capsys) -> None:
    df = pd.read_csv(MONTHLY)
    df = df[~df.month.isin(["2021-03", "2021-04"])]
    csv = tmp_path / "gappy.csv"
    df.to_csv(csv, index=False)
    code, out, err = run_cli(capsys, "calibrate", "arrivals", str(csv), "--by", "region")
    assert code == 0
    assert "2 months missing between 2020-01 and 2023-12 (2021-03, 2021-04)" in err
    assert "46 months" in out


def test_a_region_missing_a_month_leaves_that_month_out_with_a_warning() -> None:
    df = pd.read_csv(MONTHLY)
    df = df[~((df.month == "2022-06") & (df.region == "wales"))]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CalibrationWarning)
        fit = fit_arrivals(df, by="region")
    messages = [str(w.message) for w in caught]
    assert messages[0] == "1 month without a count for every region left out of the fit: 2022-06 (wales)"
    assert messages[1].startswith("1 month missing between 2020-01 and 2023-12 (2022-06)")
    assert fit.n_months == 47 and fit.gaps == ["2022-06"]
