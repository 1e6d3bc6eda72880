"""Statistics across replications (sim/analysis/statistics.py): intervals and the precision rule, by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis import statistics
from sim.experiment.replications import sequential_stop

T_975_2 = 4.302652729911275
"""Student-t 97.5% quantile with two degrees of freedom (from tables)."""
T_975_1 = 12.706204736174698
"""... and with one degree of freedom."""


def per_rep_frame(indicator: str, values: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"replication": range(len(values)), "indicator": indicator, "breakdown": "all", "group": "all", "value": values}
    )


def test_a_difference_gets_a_student_t_interval() -> None:
    """On its own scale: mean +- t(0.975, n - 1) * sd / sqrt(n), the value from tables."""
    summary = statistics.summarise(per_rep_frame("x_days_change", [1.0, 2.0, 3.0]))
    assert list(summary.columns) == statistics.SUMMARY_COLUMNS
    x = summary.iloc[0]
    half = T_975_2 / math.sqrt(3)  # sd = 1
    assert (x["mean"], x["sd"], x["replications"], x["interval"]) == (2.0, 1.0, 3, "t")
    assert x["ci95_low"] == pytest.approx(2 - half) and x["ci95_high"] == pytest.approx(2 + half)


def test_a_non_negative_quantity_gets_a_t_interval_truncated_at_zero() -> None:
    """Two replications of a count, 10 and 132: the t interval (71 +- 775) would go far below zero."""
    values = [10.0, 132.0]
    mean, low, high, sd, n = statistics.interval(np.array(values), statistics.TRUNCATED)
    half = T_975_1 * sd / math.sqrt(2)
    assert mean - half < 0  # what the Student-t interval would have said
    assert (low, high) == (0.0, pytest.approx(mean + half))
    row = statistics.summarise(per_rep_frame("children_disposed_count", values)).iloc[0]
    assert row["interval"] == "t_truncated" and row["ci95_low"] == 0.0
    away = statistics.interval(np.array([100.0, 102.0, 104.0]), statistics.TRUNCATED)
    assert away[1:3] == statistics.interval(np.array([100.0, 102.0, 104.0]), statistics.T)[1:3]


def test_a_share_gets_a_logit_scale_interval_inside_zero_to_one() -> None:
    """89.7% from two replications printed "74.1% to 105.3%" as a t interval; on the logit scale it stays below 1."""
    values = [0.84, 0.954]
    row = statistics.summarise(per_rep_frame("disposed_within_26_weeks_share", values)).iloc[0]
    se = np.std(values, ddof=1) / math.sqrt(2)
    assert row["mean"] + T_975_1 * se > 1  # the t interval would pass 100%
    p = row["mean"]
    logit_half = T_975_1 * se / (p * (1 - p))
    logit = math.log(p / (1 - p))
    assert row["interval"] == "logit"
    assert row["ci95_low"] == pytest.approx(1 / (1 + math.exp(-(logit - logit_half))))
    assert row["ci95_high"] == pytest.approx(1 / (1 + math.exp(-(logit + logit_half))))
    assert 0 < row["ci95_low"] < p < row["ci95_high"] < 1


@pytest.mark.parametrize(
    "indicator",
    [
        "share_of_life_in_proceedings_mean",
        "share_of_life_in_proceedings_p90",
        "public_law_within_26_weeks_share[region=wales]",
    ],
)
def test_a_share_is_known_by_either_form_of_its_name(indicator: str) -> None:
    """``share_*`` names a share as ``*_share`` does: the share of a child's life spent in proceedings got a t
    interval truncated at zero, which could pass 100%, and was printed as a number of weeks."""
    assert statistics.is_share(indicator)
    assert statistics.natural_bounds(indicator) == (0.0, 1.0)
    assert statistics.interval_method(indicator) == "logit"
    assert statistics.as_published(0.42, indicator) == "42%"
    row = statistics.summarise(per_rep_frame(indicator, [0.9, 0.99])).iloc[0]
    assert 0 < row["ci95_low"] < row["mean"] < row["ci95_high"] < 1
    assert not statistics.is_share("days_to_final_order_mean") and not statistics.is_share("shares_of_time_days")


def test_small_spreads_give_nearly_the_t_interval_and_no_spread_gives_no_width() -> None:
    """Logit and t agree when the spread is small next to the bounds; equal values give a zero-width interval."""
    values = np.array([0.40, 0.41, 0.39, 0.405, 0.395])
    _, t_low, t_high, _, _ = statistics.interval(values, statistics.T)
    _, logit_low, logit_high, _, _ = statistics.interval(values, statistics.LOGIT)
    assert logit_low == pytest.approx(t_low, rel=1e-3) and logit_high == pytest.approx(t_high, rel=1e-3)
    for method, value in (("logit", 0.0), ("logit", 1.0), ("t_truncated", 0.0), ("t", 3.0)):
        assert statistics.interval(np.array([value] * 3), method)[1:3] == (value, value)


def test_every_interval_of_a_summary_respects_its_bounds() -> None:
    """Skewed values near the bounds, few replications: no summary row leaves what its indicator can take."""
    rng = np.random.default_rng(3)
    frames = []
    for indicator in ("a_share", "b_count", "c_weeks_mean", "d_days_p90"):
        for n in (2, 3, 4):
            values = rng.exponential(0.05, n) if indicator.endswith("_share") else rng.exponential(3.0, n)
            frame = per_rep_frame(indicator, list(np.minimum(values, 1.0)))
            frames.append(frame.assign(group=str(n)))
    summary = statistics.summarise(pd.concat(frames, ignore_index=True))
    for row in summary.itertuples():
        low, high = statistics.natural_bounds(row.indicator)
        assert low <= row.ci95_low <= row.mean <= row.ci95_high <= high, row


def test_fewer_than_five_replications_are_rough() -> None:
    frame = per_rep_frame("x_weeks_mean", [1.0, 2.0, 3.0, 4.0, 5.0])
    assert statistics.summarise(frame.iloc[:4])["rough"].all()
    assert not statistics.summarise(frame)["rough"].any()


def test_one_value_has_no_interval_and_missing_values_are_left_out() -> None:
    y = statistics.summarise(per_rep_frame("y_count", [7.0])).iloc[0]
    assert y["mean"] == 7.0 and y["replications"] == 1
    assert math.isnan(y["ci95_low"]) and math.isnan(y["ci95_high"]) and math.isnan(y["sd"])
    mean, low, high, sd, n = statistics.interval(np.array([4.0, math.nan, 6.0]))
    assert (mean, n) == (5.0, 2)
    assert sd == pytest.approx(math.sqrt(2))


def test_interval_and_intervals_agree() -> None:
    mean, low, high, sd, n = statistics.interval(np.array([0.1, 0.2, 0.3]), statistics.LOGIT)
    frame = pd.DataFrame({"key": ["a", "a", "a"], "value": [0.1, 0.2, 0.3]})
    row = statistics.intervals(frame, ["key"], method=statistics.LOGIT).iloc[0]
    assert (row["ci95_low"], row["ci95_high"]) == (pytest.approx(low), pytest.approx(high))


def test_p_values_and_their_corrections_for_multiple_comparisons() -> None:
    """A paired t-test from the summary statistics (as scipy's on the values), then Holm and Bonferroni."""
    values = np.array([0.5, 1.5, 1.0, 2.0])
    expected = stats.ttest_1samp(values, 0.0).pvalue
    assert statistics.p_values(values.mean(), values.std(ddof=1), 4) == pytest.approx(expected)
    p = np.array([0.01, 0.04, 0.03, math.nan])
    assert np.allclose(statistics.adjust_p_values(p, "bonferroni")[:3], [0.03, 0.12, 0.09])
    assert np.allclose(statistics.adjust_p_values(p, "holm")[:3], [0.03, 0.06, 0.06])  # 3 x 0.01; 2 x 0.03; max
    assert math.isnan(statistics.adjust_p_values(p, "holm")[3])
    assert np.array_equal(statistics.adjust_p_values(p, "none")[:3], p[:3])
    with pytest.raises(ValueError, match="holm"):
        statistics.adjust_p_values(p, "sidak")


def headline_frame(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "replication": range(len(values)),
            "indicator": "time_to_disposal_weeks_mean",
            "breakdown": "case_type",
            "group": "public_law",
            "value": values,
        }
    )


def test_half_width_share_of_headline_indicators() -> None:
    frame = headline_frame([9.0, 10.0, 11.0])
    assert statistics.half_width_share(
        frame, [("time_to_disposal_weeks_mean", "case_type", "public_law")]
    ) == pytest.approx(T_975_2 / math.sqrt(3) / 10)
    assert statistics.half_width_share(frame.iloc[:1]) == math.inf


def test_sequential_stop_needs_confirmation() -> None:
    steady = headline_frame([10.0, 10.1, 9.9, 10.0, 10.05, 9.95, 10.0, 10.0])
    assert sequential_stop(steady, 5.0, minimum=3, confirm=2) == 3
    assert sequential_stop(steady.iloc[:4], 5.0, minimum=3, confirm=2) is None  # not yet confirmed
    noisy = headline_frame([1.0, 30.0, 5.0, 20.0])
    assert sequential_stop(noisy, 5.0, minimum=3, confirm=1) is None


def test_figures_print_as_they_are_published_by_the_indicators_name_not_the_values_size() -> None:
    """The back-cast and validation records share one formatter: a share reads as per cent, a count whole, weeks to
    one decimal, and a weeks band that reaches 0 reads 0.0, never 0%."""
    assert statistics.as_published(0.34, "public_law_within_26_weeks_share") == "34%"
    assert statistics.as_published(0.004, "public_law_within_26_weeks_share[region=wales]") == "0.4%"
    assert statistics.as_published(0.0, "public_law_mean_weeks") == "0.0"
    assert statistics.as_published(0.62, "public_law_mean_weeks") == "0.6"
    assert statistics.as_published(37541.2, "private_law_outstanding") == "37,541"
    assert statistics.as_published(-1366.0, "public_law_outstanding_change_on_year") == "-1,366"
    assert statistics.as_published(float("nan"), "private_law_outstanding") == "–"
