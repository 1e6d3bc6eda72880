"""The capacity planner (plan): levers and targets read and checked, and a search that finds the brute-force answer."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.cli.main import main
from sim.experiment.plan_spec import PlanSpecError, check_target_names, parse_lever, parse_target
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SMALL_COSTS = ROOT / "tests" / "scenarios" / "small_costs.yaml"
HOURS = "regions.*.court.sitting_hours_per_day.*"
"""Court time is the lever: in the small system fewer sitting hours leave more cases open at the end."""
TARGET = "open_cases_at_end_count<=480"


# ---------------------------------------------------------------------------------------------- levers and targets
def test_a_lever_sets_or_scales_over_a_grid() -> None:
    value = parse_lever("regions.*.cafcass.long_term_advisers=100:200:25")
    assert (value.scale, value.grid) == (False, [100, 125, 150, 175, 200])
    factor = parse_lever(f"{HOURS}=x0.9:x1.1")
    assert factor.scale and factor.grid[0] == 0.9 and factor.grid[-1] == 1.1 and len(factor.grid) == 11
    assert parse_lever("courts.capacity.days_sat_per_year=x1:x1.25:0.1").grid == [1, 1.1, 1.2, 1.25]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("regions.*.cafcass.long_term_advisers", "KEY=LOW:HIGH"),
        ("regions.*.cafcass.long_term_advisers=200:100", "must be above LOW"),
        ("regions.*.cafcass.long_term_advisers=x1:200", "both ends as factors"),
        ("regions.*.cafcass.long_term_advisors=100:200", "did you mean 'regions.*.cafcass.long_term_advisers'"),
        ("seed=1:2", "holds for the whole run"),
        ("regions.*.cafcass.long_term_advisers=1:2:0", "STEP must be above 0"),
    ],
)
def test_a_bad_lever_is_named_with_what_to_write(text: str, says: str) -> None:
    with pytest.raises(PlanSpecError) as caught:
        parse_lever(text)
    assert f"--lever '{text}'" in str(caught.value) and says in str(caught.value)


def test_a_target_names_an_indicator_and_a_group() -> None:
    target = parse_target("time_to_disposal_weeks_mean[case_type=public_law]<=40")
    assert (target.indicator, target.breakdown, target.group, target.at_least) == (
        "time_to_disposal_weeks_mean",
        "case_type",
        "public_law",
        False,
    )
    assert target.met(39.5) and not target.met(40.5) and not target.met(float("nan"))
    assert parse_target("public_law_cases_within_26_weeks_share >= 0.5").at_least
    with pytest.raises(PlanSpecError, match="is a share, from 0 to 1"):
        parse_target("public_law_cases_within_26_weeks_share>=50")
    with pytest.raises(PlanSpecError, match="NAME>=VALUE"):
        parse_target("public_law_cases_within_26_weeks_share=0.5")


def test_a_target_the_summary_does_not_have_gets_the_closest_name() -> None:
    summary = pd.DataFrame(
        {
            "indicator": ["public_law_cases_within_26_weeks_share", "time_to_disposal_weeks_mean"],
            "breakdown": ["all", "case_type"],
            "group": ["all", "public_law"],
        }
    )
    check_target_names([parse_target("time_to_disposal_weeks_mean[case_type=public_law]<=40")], summary)
    with pytest.raises(PlanSpecError, match="did you mean 'public_law_cases_within_26_weeks_share'"):
        check_target_names([parse_target("public_law_within_26_weeks_share>=0.5")], summary)


def test_the_command_line_names_a_bad_argument_before_making_a_folder(tmp_path: Path, capsys) -> None:
    out = tmp_path / "plan"
    code = main(
        ["plan", str(SMALL_COSTS), "--lever", "regions.*.cafcass.advisers=1:2", "--target", TARGET, "--out", str(out)]
    )
    assert code == 2 and not out.exists()
    assert "--lever 'regions.*.cafcass.advisers=1:2'" in capsys.readouterr().err
    code = main(["plan", str(SMALL_COSTS), "--lever", f"{HOURS}=x-1:x2", "--target", TARGET, "--out", str(out)])
    assert code == 2 and not out.exists()
    code = main(["plan", str(SMALL_COSTS), "--lever", f"{HOURS}=-5:5", "--target", TARGET, "--out", str(out)])
    assert code == 2 and not out.exists()
    assert "with every lever at its low end the scenario is not valid" in capsys.readouterr().err


def test_a_scenario_that_prices_no_capacity_cannot_be_planned(tmp_path: Path, capsys) -> None:
    small = ROOT / "tests" / "scenarios" / "small.yaml"
    code = main(["plan", str(small), "--lever", f"{HOURS}=x1:x2", "--target", TARGET, "--out", str(tmp_path / "p")])
    assert code == 2 and "prices no capacity" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------- the search
def _plan(out: Path, max_evaluations: int, target: str = TARGET):
    from sim.experiment.plan import plan

    return plan(
        load_scenario(SMALL_COSTS),
        [parse_lever(f"{HOURS}=x0.6:x1.2:0.05")],
        [parse_target(target)],
        out,
        replications=2,
        confirm_replications=2,
        max_evaluations=max_evaluations,
    )


@pytest.mark.slow
def test_the_planner_finds_the_brute_force_answer(tmp_path: Path) -> None:
    """Every point of a 13-point grid (brute force) against a search allowed 8 runs (TPE, then the descent): on common
    random numbers a point gives the same value in both, and both choose the cheapest point that meets the target."""
    (tmp_path / "grid").mkdir()
    (tmp_path / "search").mkdir()
    grid = _plan(tmp_path / "grid", max_evaluations=13)
    runs = pd.read_csv(tmp_path / "grid" / "plan.csv")
    points = runs[runs.phase == "grid"]
    assert len(points) == 13
    feasible = points[points[TARGET.split("<=")[0]] <= 480]
    assert 0 < len(feasible) < len(points)  # the target binds inside the grid: the test can fail
    cheapest = feasible.sort_values("capacity_added_gbp_per_year").iloc[0]
    assert grid.chosen is not None and grid.chosen.values == (cheapest[f"{HOURS} (x)"],)

    search = _plan(tmp_path / "search", max_evaluations=8)
    assert search.chosen is not None and search.chosen.values == grid.chosen.values
    assert sum(e.values is not None for e in search.evaluations) <= 8
    by_point = {e.values: e.means for e in grid.evaluations}
    for evaluation in search.evaluations:  # common random numbers: the same point, the same result
        assert evaluation.means == by_point[evaluation.values]

    # the record: plan.csv marks the choice, plan.yaml is the mix as an option, the confirmation has the costs
    assert search.confirm is not None and search.confirm.loc[0, "replications"] == 2
    assert set(search.confirm_costs["indicator"]) >= {"capacity_cost_gbp_per_year", "total_cost_gbp_per_year"}
    option = load_scenario(tmp_path / "search" / "plan.yaml", roots=[SMALL_COSTS.parent])
    base = load_scenario(SMALL_COSTS).scenario
    hours = option.scenario.regions["wales"].court.sitting_hours_per_day["district_judge"]
    assert hours == pytest.approx(
        base.regions["wales"].court.sitting_hours_per_day["district_judge"] * cheapest[f"{HOURS} (x)"]
    )


@pytest.mark.slow
def test_no_mix_in_the_ranges_meets_an_impossible_target(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    result = _plan(tmp_path / "p", max_evaluations=5, target="open_cases_at_end_count<=1")
    assert result.chosen is None and "no mix in the ranges" in result.method
    assert len(result.evaluations) == 2  # the base and the top of the lever
    assert not (tmp_path / "p" / "plan.yaml").exists()


@pytest.mark.slow
def test_plan_writes_its_report_and_registers_in_the_store(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("FJSIM_RUNS_DB", str(tmp_path / "runs.duckdb"))
    out = tmp_path / "plan"
    argv = ["plan", str(SMALL_COSTS), "--lever", f"{HOURS}=x0.8:x1.2:0.1", "--target", TARGET, "--out", str(out)]
    assert main([*argv, "--replications", "2", "--confirm-replications", "2", "--workers", "1"]) == 0
    printed = capsys.readouterr()
    assert "The cheapest mix found that meets every target" in printed.out and "Net cost a year" in printed.out
    page = (out / "plan.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and "http" not in page.replace("http-equiv", "")
    assert (out / "frontier.png").exists()
    assert main(["runs", "query", "SELECT kind, count(*) AS n FROM runs GROUP BY kind"]) == 0
    assert "plan" in capsys.readouterr().out


@pytest.mark.slow
def test_plan_runs_on_a_dask_cluster_with_the_same_answer(tmp_path: Path, monkeypatch) -> None:
    """--scheduler sends every evaluation's and the confirmation's replications to Dask: the same plan as in-process."""
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv("FJSIM_RUNS_DB", str(tmp_path / "runs.duckdb"))
    argv = ["plan", str(SMALL_COSTS), "--lever", f"{HOURS}=x0.8:x1.2:0.2", "--target", TARGET]
    argv += ["--replications", "2", "--confirm-replications", "2"]
    assert main([*argv, "--workers", "1", "--out", str(tmp_path / "serial")]) == 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert main([*argv, "--scheduler", cluster.scheduler_address, "--out", str(tmp_path / "dask")]) == 0
    serial, dask = (pd.read_csv(tmp_path / name / "plan.csv").drop(columns="folder") for name in ("serial", "dask"))
    pd.testing.assert_frame_equal(serial, dask)
    manifest = (tmp_path / "dask" / "evaluations" / "eval-0001" / "manifest.json").read_text(encoding="utf-8")
    assert '"executor": "dask(' in manifest
