"""Which runs of a fit the fitted targets cannot rule out (history matching's implausibility), worked by hand on
made-up evaluations (sim.experiment.model_calibration.plausibility)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.experiment.model_calibration.plausibility import check_ranges, implausibility, plausibility_table


def _runs() -> pd.DataFrame:
    """Three evaluations of two fitted figures (published 40 and 100) and one check (published 43)."""
    rows = []
    for evaluation, (a, b, check) in enumerate([(41.0, 102.0, 30.0), (44.0, 95.0, 38.0), (52.0, 130.0, 45.0)]):
        for indicator, published, model, fitted in (
            ("public_law_mean_weeks", 40.0, a, True),
            ("public_law_outstanding_nao", 100.0, b, True),
            ("private_law_mean_weeks", 43.0, check, False),
        ):
            rows.append(
                {
                    "evaluation": evaluation,
                    "phase": "search",
                    "objective": float(evaluation),
                    "indicator": indicator,
                    "date": "2023-12-31" if fitted else "2024-06-30",
                    "published": published,
                    "model": model,
                    "model_sd": 2.0,
                    "fitted": fitted,
                }
            )
    return pd.DataFrame(rows)


def test_implausibility_is_the_gap_over_the_model_noise_and_the_declared_discrepancy() -> None:
    runs = _runs()
    values = implausibility(runs, replications=4, discrepancy_share=0.1)
    # evaluation 2, public law: |52 - 40| / sqrt(2^2 / 4 + (0.1 x 40)^2) = 12 / sqrt(17)
    assert values.iloc[6] == pytest.approx(12 / math.sqrt(17))
    no_value = runs.iloc[[0]].assign(model=math.nan)
    assert implausibility(no_value, 4, 0.1).iloc[0] == math.inf  # a target the run gives no value for


def test_a_run_is_ruled_out_by_its_second_largest_implausibility() -> None:
    table = plausibility_table(_runs(), replications=4, discrepancy_share=0.1, cutoff=3.0).set_index("evaluation")
    # evaluation 0: 1/sqrt(17) and 2/sqrt(101); evaluation 1: 4/sqrt(17) and 5/sqrt(101): neither ruled out
    assert not table.loc[0, "ruled_out"] and not table.loc[1, "ruled_out"]
    # evaluation 2: 12/sqrt(17) = 2.91 and 30/sqrt(101) = 2.99, both under 3: one far figure alone rules nothing out
    assert table.loc[2, "largest_implausibility"] == pytest.approx(30 / math.sqrt(101))
    assert table.loc[2, "worst_target"] == "public_law_outstanding_nao 2023-12-31"
    assert not table.loc[2, "ruled_out"]
    # with half the discrepancy, evaluation 2's figures are 12/sqrt(5) = 5.4 and 30/sqrt(26) = 5.9 from the data
    stricter = plausibility_table(_runs(), replications=4, discrepancy_share=0.05, cutoff=3.0)
    assert stricter.set_index("evaluation")["ruled_out"].tolist() == [False, False, True]


def test_the_checks_range_runs_over_the_runs_not_ruled_out_only() -> None:
    runs = _runs()
    plausible = plausibility_table(runs, replications=4, discrepancy_share=0.05, cutoff=3.0)
    ranges = check_ranges(runs, plausible, best_evaluation=0).iloc[0]
    assert ranges["indicator"] == "private_law_mean_weeks" and ranges["published"] == 43
    assert (ranges["model_best"], ranges["model_low"], ranges["model_high"]) == (30, 30, 38)  # evaluations 0 and 1
    assert ranges["runs_not_ruled_out"] == 2 and not ranges["published_inside"]
    wide = check_ranges(runs, plausibility_table(runs, 4, 0.1, 3.0), best_evaluation=0).iloc[0]
    assert (wide["model_low"], wide["model_high"], wide["published_inside"]) == (30, 45, True)
    none_left = plausible.assign(ruled_out=True)
    empty = check_ranges(runs, none_left, best_evaluation=0).iloc[0]
    assert empty["runs_not_ruled_out"] == 0 and math.isnan(empty["model_low"]) and not empty["published_inside"]
