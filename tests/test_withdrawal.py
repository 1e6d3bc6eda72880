"""Private law parties may withdraw while a hearing waits for a listing: long lists make some applications fall
away, so a private law backlog cannot grow without limit while capacity is short (a fitted hazard)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import api
from sim.model.pathways.steps import withdrawal_chance
from sim.scenario.yaml_file import ScenarioError

SMALL = Path(__file__).resolve().parent / "scenarios" / "small.yaml"
SHORT_OF_COURT = {"run_years": 2, "regions.*.court.sitting_hours_per_day.*": 0.45}


def _private_cases(withdrawal_per_week: float):
    base = api.load(SMALL)
    scenario = api.with_changes(
        base, {**SHORT_OF_COURT, "private_law.withdrawal_per_week_waiting": withdrawal_per_week}
    )
    children = api.run(scenario, replications=1).children
    return children[children["case_type"].astype(str) == "private_law"].drop_duplicates("case_id")


def test_the_chance_grows_with_the_wait_at_a_constant_hazard() -> None:
    assert withdrawal_chance(0.1, 0) == 0
    assert withdrawal_chance(0.1, 7) == pytest.approx(1 - 2.718281828**-0.1)
    assert withdrawal_chance(0.1, 70) > withdrawal_chance(0.1, 7)


def test_on_full_lists_some_parties_withdraw_and_fewer_cases_stay_open() -> None:
    waiting = _private_cases(0.0)
    withdrawing = _private_cases(0.05)
    assert (waiting["outcome"].astype(str) == "withdrawn").sum() < (
        withdrawing["outcome"].astype(str) == "withdrawn"
    ).sum()
    assert (withdrawing["status"] == "open").sum() < (waiting["status"] == "open").sum()
    # a withdrawn case ends while it waits: it is disposed, and it waited for the court beyond its notice
    gone = withdrawing[(withdrawing["outcome"].astype(str) == "withdrawn") & (withdrawing["status"] == "disposed")]
    assert len(gone) > 0 and (gone["wait_court_days"] > gone["notice_court_days"]).any()


def test_withdrawal_needs_a_withdrawn_outcome(tmp_path: Path) -> None:
    base = api.load(SMALL)
    outcomes = {k: v for k, v in base.scenario.private_law.outcomes.items() if k != "withdrawn"}
    total = sum(outcomes.values())
    outcomes = {k: v / total for k, v in outcomes.items()}
    with pytest.raises(ScenarioError, match="withdrawn"):
        api.with_changes(base, {"private_law.outcomes": outcomes, "private_law.withdrawal_per_week_waiting": 0.1})
