"""A baseline with constant inputs is stationary: no headline indicator drifts over five years by more than its
confidence interval (issue 10, "a baseline that is honest about time"). The rule is in sim/analysis/drift.py and
was written down before the baseline was run against it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import api
from sim.analysis.drift import DRIFT_INDICATORS, drift_table, yearly_values

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"


def _drift(scenario: api.LoadedScenario, replications: int, workers: int = 1):
    results = api.run(scenario, replications=replications, workers=workers)
    s = scenario.scenario
    return drift_table(yearly_values(results.children, results.timeline, s.start_date, s.run_years))


def test_a_system_whose_demand_keeps_growing_is_called_drifting() -> None:
    """The check can fail: private law demand growing 60% a year on fixed capacity fills the lists."""
    base = api.load(SMALL)
    growing = api.with_changes(
        base, {"run_years": 3, "demand.private_law.trend_per_year": 0.6, "demand.public_law.trend_per_year": 0.6}
    )
    table = _drift(growing, replications=2).set_index("indicator")
    assert list(table.index) == list(DRIFT_INDICATORS)
    assert (table["first_year"] == 1).all() and (table["last_year"] == 3).all()
    assert table.loc["private_law_outstanding_nao", "drifts"]
    assert table.loc["private_law_outstanding_nao", "change"] > 0


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="a known miss (2026-11-29): the baseline fitted to 2018-2023 cannot hear 2024's demand with 2024's "
    "124,280 days sat (6.5% fewer than 2023), so its backlog grows: in the options study's base run (3 "
    "replications) private law outstanding rises 29,950 -> 53,971 and public law mean weeks 35.6 -> 42.5 over "
    "2024-2028, where the published 2024 backlog fell. Strict: when the model is fixed this test fails until the "
    "mark is removed.",
)
def test_the_baseline_is_stationary_over_five_years() -> None:
    """Three replications of the national baseline, five years after its warm-up, inputs constant."""
    table = _drift(api.load(ROOT / "scenarios" / "baseline.yaml"), replications=3, workers=2)
    drifting = table[table["drifts"]]
    assert drifting.empty, f"the baseline drifts:\n{table.to_string()}"
