"""``calibrate model``: the fit finds parameters it was hidden from, says which parameters the targets cannot
pin, and never fits an out-of-sample target.

"Published" values are the model's own at known parameters, on the same seed as the fit (common random numbers),
so the truth is a point the search can reach exactly. Parameter recovery runs tests/scenarios/small.yaml for a
year with two replications: on half a year with one replication (the first design of this test) the capacity
targets moved less with the sitting hours than with the replication noise, and the search stopped at 1.1 for
a truth of 0.7. The other tests use half a year (tests/calibration/small_short.yaml, about 0.1 s a replication).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli.main import main
from sim.experiment.model_calibration.evaluator import CalibrationModelError, Evaluator, objective_value
from sim.experiment.model_calibration.fit import calibrate_model
from sim.experiment.model_calibration.identifiability import assess
from sim.experiment.model_calibration.measures import (
    MEASURES,
    POINT_COLUMNS,
    indicators_measure,
    run_end_date,
    run_tables,
)
from sim.experiment.model_calibration.parameter_values import scenario_at
from sim.experiment.model_calibration.targets import Targets, TargetsError, load_targets
from sim.experiment.replications import run_experiment
from sim.experiment.trajectory import period_bounds
from sim.scenario.loading import LoadedScenario, load_scenario

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "calibration" / "small_short.yaml"
SMALL = HERE / "scenarios" / "small.yaml"
TARGETS = HERE / "calibration" / "small_targets.yaml"
SEED = 11
ADJOURNMENT = {"name": "adjournment", "key": "courts.adjourn_probability", "lower": 0.0, "upper": 0.4}
SITTING = {
    "name": "sitting_hours",
    "key": "regions.*.court.sitting_hours_per_day.*",
    "change": "scale",
    "lower": 0.5,
    "upper": 1.5,
}


def model_values(loaded, parameters: list[dict], values: tuple[float, ...], tmp: Path, replications: int) -> pd.Series:
    """The model's mean of every indicator at known parameter values, on the test seed."""
    from sim.experiment.model_calibration.targets import FreeParameter

    scenario = scenario_at(loaded, [FreeParameter(**p) for p in parameters], values)
    tmp.mkdir(parents=True)
    run_experiment(scenario, tmp, replications=replications, seed=SEED)
    measured = indicators_measure(tmp, scenario, pd.DataFrame(columns=["indicator", "date"]))
    return measured.groupby("indicator")["model"].mean()


def write_targets(path: Path, parameters: list[dict], targets: list[dict], **extra) -> Path:
    path.write_text(yaml.safe_dump({**extra, "parameters": parameters, "targets": targets}, sort_keys=False))
    return path


def target(indicator: str, published: float, date: str, **extra) -> dict:
    return {"indicator": indicator, "date": date, "published": float(published), "source": "the model", **extra}


# ---------------------------------------------------------------------------------------------- recovery
@pytest.mark.slow
def test_the_fit_recovers_parameters_hidden_from_it(tmp_path: Path) -> None:
    loaded = load_scenario(SMALL)
    end = run_end_date(loaded).isoformat()
    truth = (0.2, 0.7)
    values = model_values(loaded, [ADJOURNMENT, SITTING], truth, tmp_path / "truth", replications=2)
    names = ["adjournments_per_case_mean", "days_to_first_hearing_mean", "open_cases_at_end_count"]
    parameters = [{**ADJOURNMENT, "start": 0.05}, {**SITTING, "start": 1.3}]
    path = write_targets(tmp_path / "t.yaml", parameters, [target(n, values[n], end) for n in names])
    out = tmp_path / "out"
    out.mkdir()
    targets = load_targets(path, loaded)
    result = calibrate_model(loaded, targets, out, replications=2, seed=SEED, max_evaluations=30)
    fitted = result.fit.best.values
    # Tolerances written before the first run: within an eighth of each range of the truth.
    assert abs(fitted[0] - truth[0]) <= 0.05, fitted
    assert abs(fitted[1] - truth[1]) <= 0.125, fitted
    assert result.fit.best.objective <= 0.1 * result.fit.start.objective
    assert all(result.identifiability.identified.values()), result.identifiability.verdicts
    table = pd.read_csv(out / "fit.csv")
    assert (table["relative_error_fit"].abs() <= table["relative_error_start"].abs()).all()


# ---------------------------------------------------------------------------------------------- identifiability
@pytest.mark.slow
def test_a_parameter_no_target_responds_to_is_not_identified(tmp_path: Path) -> None:
    # No domestic-abuse remedy cases arrive, so their return hearing's notice period moves nothing.
    scenario = tmp_path / "no_da.yaml"
    scenario.write_text(f"extends: {SCENARIO}\ndemand:\n  domestic_abuse:\n    cases_per_year: 0\n")
    loaded = load_scenario(scenario)
    end = run_end_date(loaded).isoformat()
    silent = {"name": "return_notice", "key": "domestic_abuse.return_hearing.notice_days.value", "change": "scale"}
    parameters = [ADJOURNMENT, {**silent, "lower": 0.5, "upper": 2.0}]
    path = write_targets(
        tmp_path / "t.yaml",
        parameters,
        [target("adjournments_per_case_mean", 0.3, end), target("days_to_first_hearing_mean", 50, end)],
    )
    out = tmp_path / "out"
    out.mkdir()
    result = calibrate_model(loaded, load_targets(path, loaded), out, replications=1, seed=SEED, max_evaluations=6)
    verdicts = result.identifiability.verdicts
    assert verdicts["return_notice"].startswith("not identified: no fitted target responds"), verdicts
    assert verdicts["adjournment"] == "identified", verdicts
    assert result.identifiability.condition_number == float("inf")
    assert result.identifiability.describe_weakest() == "+1.00 return_notice"
    table = pd.read_csv(out / "identifiability.csv")
    assert (table[table["parameter"] == "return_notice"]["change_per_range"] == 0).all()
    parameters_csv = pd.read_csv(out / "parameters.csv").set_index("parameter")
    assert not parameters_csv.loc["return_notice", "identified"]


def test_collinear_and_silent_columns_are_named() -> None:
    names = ["a", "b", "c"]
    clear = assess(np.array([[1.0, 0.0], [0.0, 1.0]]), np.ones(2), names[:2], min_response=0.05, condition_limit=30)
    assert clear.identified == {"a": True, "b": True} and clear.condition_number == pytest.approx(1.0)
    # b moves the targets exactly as a does, c moves nothing: only a + b is pinned.
    matrix = np.array([[1.0, 2.0, 0.0], [0.5, 1.0, 0.001]])
    found = assess(matrix, np.ones(2), names, min_response=0.05, condition_limit=30)
    assert found.verdicts["c"].startswith("not identified: no fitted target responds")
    assert found.verdicts["a"].startswith("not identified: confounded with b")
    assert found.verdicts["b"].startswith("not identified: confounded with a")
    # a weight of zero hides a target: then one target cannot pin two parameters
    two = assess(
        np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([1.0, 0.0]), names[:2], min_response=0.05, condition_limit=30
    )
    assert two.identified == {"a": True, "b": False}
    # a step that moved the targets by less than their replication noise may have caught a jump, not a slope
    noisy = assess(
        np.array([[1.0, 0.0], [0.0, 1.0]]),
        np.ones(2),
        names[:2],
        min_response=0.05,
        condition_limit=30,
        step_over_noise=np.array([3.0, 0.5]),
    )
    assert noisy.verdicts["a"] == "identified"
    assert noisy.verdicts["b"].startswith("not identified: its step moves no fitted target beyond the replication")
    unknown = assess(
        np.eye(2),
        np.ones(2),
        names[:2],
        min_response=0.05,
        condition_limit=30,
        step_over_noise=np.array([np.nan, np.nan]),
    )
    assert all(unknown.identified.values())


# ---------------------------------------------------------------------------------------------- out of sample
def test_only_fitted_targets_enter_the_objective() -> None:
    means, published = np.array([1.0, 2.0, 3.0]), np.array([1.0, 4.0, 300.0])
    weights, fitted = np.array([1.0, 2.0, 1.0]), np.array([True, True, False])
    assert objective_value(means, published, weights, fitted) == pytest.approx(2.0 * 0.5**2)
    assert objective_value(np.array([1.0, np.nan, 3.0]), published, weights, fitted) == float("inf")
    assert objective_value(np.array([1.0, 2.0, np.nan]), published, weights, fitted) == pytest.approx(0.5)


@pytest.mark.slow
def test_an_unfitted_target_does_not_change_the_fit(tmp_path: Path) -> None:
    loaded = load_scenario(SCENARIO)
    end = run_end_date(loaded).isoformat()
    tables = []
    for held_back in (400.0, 4000.0):
        path = write_targets(
            tmp_path / f"t{held_back:g}.yaml",
            [{**ADJOURNMENT, "start": 0.05}],
            [target("adjournments_per_case_mean", 0.3, end), target("open_cases_at_end_count", held_back, end)],
            fit_until="2024-12-31",
        )
        path.write_text(path.read_text().replace(f"published: {held_back}", f"published: {held_back}\n  fitted: false"))
        targets = load_targets(path, loaded)
        assert targets.fitted == [True, False]
        out = tmp_path / f"out{held_back:g}"
        out.mkdir()
        calibrate_model(loaded, targets, out, replications=1, seed=SEED, max_evaluations=6)
        tables.append(pd.read_csv(out / "evaluations.csv"))
        fit = pd.read_csv(out / "fit.csv")
        assert fit.loc[1, "published"] == held_back and not fit.loc[1, "fitted"]
    pd.testing.assert_frame_equal(tables[0], tables[1])


def test_targets_after_fit_until_are_checks_and_cannot_be_forced_in(tmp_path: Path) -> None:
    loaded = load_scenario(SCENARIO)
    targets = [
        target("adjournments_per_case_mean", 0.3, "2023-12-31"),
        target("open_cases_at_end_count", 9, "2024-07-01"),
    ]
    path = write_targets(tmp_path / "t.yaml", [ADJOURNMENT], targets, fit_until="2023-12-31")
    assert load_targets(path, loaded).fitted == [True, False]
    targets[1]["fitted"] = True
    path = write_targets(tmp_path / "t.yaml", [ADJOURNMENT], targets, fit_until="2023-12-31")
    with pytest.raises(TargetsError, match=r"t\.yaml:\d+: targets\[1\]\.fitted: dated 2024-07-01, after fit_until"):
        load_targets(path, loaded)


# ---------------------------------------------------------------------------------------------- the file
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["parameters"][0].update(lower=0.5), r"parameters\[0\]\.upper: must be above lower"),
        (lambda d: d["parameters"][0].update(upper=1.5), r"adjournment = 1\.5 makes the scenario invalid"),
        (
            lambda d: d["parameters"][0].update(key="courts.adjourn_probabilty"),
            r"parameters\[0\]\.key: 'courts\.adjourn_probabilty' is not a key .*"
            r"did you mean 'courts\.adjourn_probability'",
        ),
        (lambda d: d["parameters"][1].update(colour=1), r"unknown key 'colour'"),
        (lambda d: d.update(measure="indicator"), r"unknown measure 'indicator'; did you mean 'indicators'"),
        (lambda d: d["targets"][0].update(published=0), r"targets\[0\]\.published: must not be zero"),
        (lambda d: d["targets"][0].update(date="2024-02-30"), r"targets\[0\]\.date"),
        (lambda d: [t.update(fitted=False) for t in d["targets"]], r"no target is fitted"),
    ],
)
def test_a_bad_targets_file_is_reported_with_file_and_line(tmp_path: Path, change, message: str) -> None:
    data = yaml.safe_load(TARGETS.read_text())
    change(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(TargetsError, match=rf"bad\.yaml:\d+: .*{message}"):
        load_targets(path, load_scenario(SCENARIO))


def test_a_target_the_measure_does_not_give_is_named_with_its_line(tmp_path: Path) -> None:
    loaded = load_scenario(SCENARIO)
    end = run_end_date(loaded).isoformat()
    path = write_targets(tmp_path / "t.yaml", [ADJOURNMENT], [target("adjournment_per_case_mean", 0.3, end)])
    evaluator = Evaluator(loaded, load_targets(path, loaded), tmp_path / "out", replications=1, seed=SEED)
    with pytest.raises(CalibrationModelError, match=r"t\.yaml:\d+: .*did you mean 'adjournments_per_case_mean'"):
        evaluator((0.1,), "start")
    path = write_targets(tmp_path / "t.yaml", [ADJOURNMENT], [target("adjournments_per_case_mean", 0.3, "2023-01-01")])
    evaluator = Evaluator(loaded, load_targets(path, loaded), tmp_path / "out2", replications=1, seed=SEED)
    with pytest.raises(CalibrationModelError, match=f"reads adjournments_per_case_mean at {end}, not 2023-01-01"):
        evaluator((0.1,), "start")


def test_a_published_figure_under_the_wrong_measure_is_caught_before_any_run(tmp_path: Path) -> None:
    """A figure as published needs ``measure: trajectory``; left at the default it would fail only after the first
    evaluation's run (minutes on the national back-cast), so the file is refused as it is read."""
    loaded = load_scenario(SCENARIO)
    as_published = target("public_law_mean_weeks", 40.0, "2023-06-30")
    path = write_targets(tmp_path / "t.yaml", [ADJOURNMENT], [as_published])
    with pytest.raises(TargetsError, match=r"t\.yaml:\d+: .*give 'measure: trajectory'"):
        load_targets(path, loaded)
    data = yaml.safe_load(path.read_text())
    data["measure"] = "trajectory"
    data["targets"][0]["indicator"] = "public_law_mean_weks"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(TargetsError, match=r"has no 'public_law_mean_weks'; did you mean 'public_law_mean_weeks'"):
        load_targets(path, loaded)


def test_evaluations_share_seeds_and_are_cached(tmp_path: Path) -> None:
    loaded = load_scenario(SCENARIO)
    targets = load_targets(TARGETS, loaded)
    first = Evaluator(loaded, targets, tmp_path / "a", replications=1, seed=SEED)
    again = Evaluator(loaded, targets, tmp_path / "b", replications=1, seed=SEED)
    one = first((0.1, 1.0), "start")
    assert first((0.1, 1.0 + 1e-15), "search") is one and len(first.evaluations) == 1
    np.testing.assert_array_equal(again((0.1, 1.0), "start").means, one.means)
    assert not (tmp_path / "a" / "evaluations" / "eval-0000" / "replications").exists()


# ---------------------------------------------------------------------------------------------- the command
def test_the_command_writes_a_fitted_scenario_that_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    argv = ["calibrate", "model", str(SCENARIO), str(TARGETS), "--out", str(out), "--replications", "1"]
    assert main([*argv, "--max-evaluations", "4", "--workers", "1", "--seed", str(SEED)]) == 0
    printed = capsys.readouterr().out
    assert "identifiability" in printed and "out of sample" in printed
    for name in ("fit.csv", "evaluations.csv", "identifiability.csv", "parameters.csv", "manifest.json"):
        assert (out / name).exists(), name
    evaluations = pd.read_csv(out / "evaluations.csv")
    assert (evaluations["phase"] != "sensitivity").sum() == 4  # --max-evaluations: the start and three more
    assert (evaluations["phase"] == "sensitivity").sum() <= 2  # one per parameter, unless already cached
    best = evaluations[evaluations["phase"] != "sensitivity"].sort_values("objective").iloc[0]
    fitted = load_scenario(out / "fitted.yaml").scenario
    assert fitted.name == "small_short_fitted"
    assert fitted.courts.adjourn_probability == pytest.approx(best["adjournment"])
    hours = load_scenario(SCENARIO).scenario.regions["wales"].court.sitting_hours_per_day["district_judge"]
    assert fitted.regions["wales"].court.sitting_hours_per_day["district_judge"] == pytest.approx(
        hours * best["sitting_hours"]
    )
    by_run = pd.read_csv(out / "evaluation_targets.csv")  # every target, fitted or a check, at every evaluation
    targets = pd.read_csv(out / "fit.csv")
    assert len(by_run) == len(evaluations) * len(targets)
    at_best = by_run[by_run["evaluation"] == best["evaluation"]].reset_index(drop=True)
    assert list(at_best["indicator"]) == list(targets["indicator"])
    np.testing.assert_allclose(at_best["model"], targets["model_fit"])
    assert (at_best["objective"] == best["objective"]).all() and not at_best["fitted"].all()  # checks included
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "calibrate_model" and manifest["status"] == "complete"
    assert set(manifest["identifiability"]["verdicts"]) == {"adjournment", "sitting_hours"}
    plausible = pd.read_csv(out / "plausibility.csv")  # every evaluation, ruled out by the fitted targets or not
    assert sorted(plausible["evaluation"]) == sorted(evaluations["evaluation"])
    ranges = pd.read_csv(out / "check_ranges.csv")  # one row per out-of-sample check
    assert len(ranges) == (~targets["fitted"]).sum()
    kept = int((~plausible["ruled_out"]).sum())
    assert manifest["plausibility"]["runs_not_ruled_out"] == kept
    assert f"runs the fitted targets cannot rule out (plausibility.csv): {kept} of {len(plausible)}" in printed


def test_a_scenario_edited_while_the_fit_ran_stops_the_fitted_scenario_with_a_clear_error(tmp_path: Path) -> None:
    """fitted.yaml extends the input scenario, so an input edited during the fit would make it another scenario:
    it is not written, and the error names the file, where before it blamed a bug."""
    from sim.experiment.model_calibration.fitted_scenario import write_fitted_scenario

    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(f"extends: {SCENARIO}\nname: copy\n", encoding="utf-8")
    loaded = load_scenario(scenario, roots=[SCENARIO.parent.parent])
    targets = load_targets(TARGETS, loaded)
    out = tmp_path / "out"
    out.mkdir()
    assert write_fitted_scenario(loaded, targets, targets.start, out).exists()  # unchanged: written
    (out / "fitted.yaml").unlink()
    scenario.write_text(f"extends: {SCENARIO}\nname: copy\nrun_years: 1\n", encoding="utf-8")
    with pytest.raises(CalibrationModelError, match=r"scenario\.yaml changed while the fit ran"):
        write_fitted_scenario(loaded, targets, targets.start, out)
    assert not (out / "fitted.yaml").exists()


def test_the_command_reports_a_bad_targets_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(TARGETS.read_text().replace("upper: 0.4", "uper: 0.4"))
    assert main(["calibrate", "model", str(SCENARIO), str(bad), "--out", str(tmp_path / "out")]) == 2
    assert "bad.yaml:" in capsys.readouterr().err


def test_a_measure_can_read_every_replication_of_the_run(tmp_path: Path) -> None:
    loaded = load_scenario(SCENARIO)
    run_experiment(loaded, tmp_path, replications=2, seed=SEED)
    children, timeline = run_tables(tmp_path)
    assert sorted(children["replication"].unique()) == [0, 1] and sorted(timeline["replication"].unique()) == [0, 1]
    measured = indicators_measure(tmp_path, loaded, pd.DataFrame(columns=["indicator", "date"]))
    # every child row of this run (no warm-up, no open caseload) is a child case started in the results period
    started = measured[measured["indicator"] == "child_cases_started_count"].set_index("replication")["model"]
    assert list(started) == [float((children["replication"] == r).sum()) for r in (0, 1)]
    assert set(measured["date"]) == {run_end_date(loaded)}


@pytest.mark.slow
def test_the_trajectory_measure_reads_stocks_at_dates_and_flows_over_periods(tmp_path: Path) -> None:
    """``measure: trajectory`` reads a run as figures are published: outstanding cases at a date, and the mean
    public law cases issued in a quarter (the target's ``period``), for every replication."""
    loaded = load_scenario(SCENARIO)
    run_experiment(loaded, tmp_path, replications=2, seed=SEED)
    end = run_end_date(loaded)
    quarter = f"{end.year}Q{(end.month - 1) // 3 + 1}"
    points = pd.DataFrame(
        [("public_law_outstanding_nao", end, None), ("public_law_cases_started", end, quarter)], columns=POINT_COLUMNS
    )
    measured = MEASURES["trajectory"](tmp_path, loaded, points).set_index(["indicator", "replication"])["model"]
    children, _ = run_tables(tmp_path)
    last_day = pd.Timestamp(end) + pd.Timedelta(days=1)
    for replication in (0, 1):
        own = children[(children["replication"] == replication) & (children["case_type"] == "public_law")]
        issued = own["days_in_proceedings"].notna()  # neither diverted nor still in pre-proceedings
        cases = own[issued].drop_duplicates("case_id")
        started = pd.to_datetime(cases["start_date"]) < last_day
        ended = pd.to_datetime(cases["end_date"]) < last_day
        open_at_end = int((started & ~(ended & (cases["status"] == "disposed"))).sum())
        # the timeline's last snapshot is taken at the start of the end day: a case issued that day may be missing
        assert measured[("public_law_outstanding_nao", replication)] == pytest.approx(open_at_end, abs=2)
        first_day = pd.Timestamp(period_bounds(quarter)[0])
        issued_in_quarter = int((pd.to_datetime(cases["start_date"]) >= first_day).sum())
        assert measured[("public_law_cases_started", replication)] == issued_in_quarter
    assert set(MEASURES["trajectory"](tmp_path, loaded, points)["date"]) == {end}


def test_the_backcast_targets_are_the_published_trajectory_and_never_fit_2024() -> None:
    """scenarios/calibration/backcast_targets.yaml loads against the back-cast: each national value is the published
    one and no point after 2023 can enter the objective; the regional spread of 2024 (NAO: Wales 24, London 53
    weeks) is there as a check (the file's header says why it is not fitted this round)."""
    from sim.experiment.trajectory import published_trajectory

    root = HERE.parent
    targets = load_targets(
        root / "scenarios" / "calibration" / "backcast_targets.yaml",
        load_scenario(root / "scenarios" / "backcast.yaml"),
    )
    published = published_trajectory().set_index(["indicator", "date"])["value"]
    spec = targets.spec
    national = [(t, f) for t, f in zip(spec.targets, targets.fitted, strict=True) if "[region=" not in t.indicator]
    regional = [(t, f) for t, f in zip(spec.targets, targets.fitted, strict=True) if "[region=" in t.indicator]
    assert spec.measure == "trajectory" and len(national) >= 40
    for target, fitted in national:
        assert published[(target.indicator, pd.Timestamp(target.date))] == target.published, target
        assert fitted == (target.date.year <= 2023), target
    assert {(t.indicator, t.period, t.published, f) for t, f in regional} == {
        ("public_law_mean_weeks[region=wales]", "2024", 24.0, False),
        ("public_law_mean_weeks[region=london]", "2024", 53.0, False),
    }


def points(targets: Targets) -> dict[tuple[str, dt.date], tuple[float, float, bool]]:
    """Each target of a targets file: (indicator, date) -> (published, weight, fitted)."""
    return {
        (t.indicator, t.date): (t.published, t.weight, f)
        for t, f in zip(targets.spec.targets, targets.fitted, strict=True)
    }


def test_the_regional_stage_fits_wales_against_the_national_targets_unchanged() -> None:
    """scenarios/calibration/regional_targets.yaml repeats the national file's targets (a list cannot be extended
    point by point): each one as the national file has it, fitted as there; only Wales's figure joins the fit,
    London stays a check, and the one free parameter is Wales's capacity per case."""
    root = HERE.parent
    scenario = load_scenario(root / "scenarios" / "backcast.yaml")
    national = load_targets(root / "scenarios" / "calibration" / "backcast_targets.yaml", scenario)
    regional = load_targets(root / "scenarios" / "calibration" / "regional_targets.yaml", scenario)

    wales, london = "public_law_mean_weeks[region=wales]", "public_law_mean_weeks[region=london]"
    here, there = points(regional), points(national)
    assert here.keys() == there.keys()
    changed = {key for key in here if here[key] != there[key]}
    assert changed == {(wales, dt.date(2024, 12, 31))}
    assert here[(wales, dt.date(2024, 12, 31))][2] and not here[(london, dt.date(2024, 12, 31))][2]
    assert [p.key for p in regional.spec.parameters] == [f"{INDEX}.wales"]


# ---------------------------------------------------------------------------------------------- regions
REGIONAL = HERE / "calibration" / "small_regional.yaml"
INDEX = "courts.capacity.capacity_per_case_index"


def test_one_parameter_may_set_several_keys_and_add_regions_to_an_index_left_empty(tmp_path: Path) -> None:
    """small_regional.yaml gives no capacity_per_case_index: the parameter adds the regions it names, all at the
    one value; several keys need a name for the outputs."""
    loaded = load_scenario(REGIONAL)
    both = {"name": "both", "key": [f"{INDEX}.north_east", f"{INDEX}.wales"], "lower": 0.6, "upper": 1.6, "start": 1}
    end = run_end_date(loaded).isoformat()
    path = write_targets(
        tmp_path / "t.yaml", [both], [target("public_law_mean_weeks[region=wales]", 20, end)], measure="trajectory"
    )
    targets = load_targets(path, loaded)
    changed = scenario_at(loaded, targets.spec.parameters, (1.3,)).scenario
    assert changed.courts.capacity.capacity_per_case_index == {"north_east": 1.3, "wales": 1.3}
    nameless = {k: v for k, v in both.items() if k != "name"}
    path = write_targets(
        tmp_path / "t.yaml", [nameless], [target("public_law_mean_weeks[region=wales]", 20, end)], measure="trajectory"
    )
    with pytest.raises(TargetsError, match=r"t\.yaml:\d+: parameters\[0\].*needs a name"):
        load_targets(path, loaded)
    # a key the index may add is still checked: a misspelt region is an unknown region of the scenario
    wrong = {**both, "key": [f"{INDEX}.north_east", f"{INDEX}.walse"]}
    path = write_targets(
        tmp_path / "t.yaml", [wrong], [target("public_law_mean_weeks[region=wales]", 20, end)], measure="trajectory"
    )
    with pytest.raises(TargetsError, match=r"unknown region 'walse'"):
        load_targets(path, loaded)


def test_a_parameter_with_balance_keys_moves_a_share_of_a_fixed_total(tmp_path: Path) -> None:
    """Cafcass's advisers are published as one total, not by team: a factor on the short-term teams takes what they
    gain from the long-term teams, region by region in proportion, so the total stays the scenario's; moving more
    than the balance holds is refused, naming the key."""
    loaded = load_scenario(SCENARIO)
    split = {
        "name": "short_term_share",
        "key": "regions.*.cafcass.short_term_advisers",
        "change": "scale",
        "balance": ["regions.*.cafcass.long_term_advisers"],
        "lower": 0.5,
        "upper": 2.0,
    }
    end = run_end_date(loaded).isoformat()
    path = write_targets(
        tmp_path / "t.yaml", [split], [target("private_law_mean_weeks", 30, end)], measure="trajectory"
    )
    targets = load_targets(path, loaded)

    def advisers(scenario) -> tuple[float, float]:
        regions = scenario.regions.values()
        return sum(r.cafcass.short_term_advisers for r in regions), sum(r.cafcass.long_term_advisers for r in regions)

    short, long = advisers(loaded.scenario)
    moved_short, moved_long = advisers(scenario_at(loaded, targets.spec.parameters, (1.5,)).scenario)
    assert moved_short == pytest.approx(1.5 * short)
    assert moved_short + moved_long == pytest.approx(short + long)
    with pytest.raises(ValueError, match="long_term_advisers: the balance keys hold"):
        scenario_at(loaded, targets.spec.parameters, (1 + (long + 1) / short,))
    path = write_targets(
        tmp_path / "t.yaml",
        [{**split, "change": "set"}],
        [target("private_law_mean_weeks", 30, end)],
        measure="trajectory",
    )
    with pytest.raises(TargetsError, match=r"t\.yaml:\d+: parameters\[0\].*balance keys go with change: scale"):
        load_targets(path, loaded)
    misspelt = {**split, "balance": ["regions.*.cafcass.long_term_adviser"]}
    path = write_targets(
        tmp_path / "t.yaml", [misspelt], [target("private_law_mean_weeks", 30, end)], measure="trajectory"
    )
    with pytest.raises(TargetsError, match=r"parameters\[0\]\.balance\[0\].*did you mean"):
        load_targets(path, loaded)


def test_a_regional_target_must_name_a_region_of_the_scenario(tmp_path: Path) -> None:
    loaded = load_scenario(REGIONAL)
    wales = {"name": "wales", "key": f"{INDEX}.wales", "lower": 0.6, "upper": 1.6}
    path = write_targets(
        tmp_path / "t.yaml", [wales], [target("public_law_mean_weeks[region=walse]", 20, "2024-12-31", period="2024")]
    )
    with pytest.raises(TargetsError, match=r"t\.yaml:\d+: targets\[0\]\.indicator: unknown region 'walse'; did you"):
        load_targets(path, loaded)


def test_the_command_fits_a_regions_capacity_per_case_to_a_regional_duration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A smoke run of the regional fit on small_regional.yaml: public law durations in 2024 by region, read as
    published (measure: trajectory), the Welsh index free; the fitted scenario carries the index."""
    parameters = [{"name": "wales_index", "key": f"{INDEX}.wales", "lower": 0.6, "upper": 1.6, "start": 1.0}]
    regional = [
        target(f"public_law_mean_weeks[region={region}]", weeks, "2024-12-31", period="2024")
        for region, weeks in (("wales", 12.0), ("north_east", 20.0))
    ]
    path = write_targets(tmp_path / "t.yaml", parameters, regional, measure="trajectory", fit_until="2024-12-31")
    out = tmp_path / "out"
    argv = ["calibrate", "model", str(REGIONAL), str(path), "--out", str(out), "--replications", "1"]
    assert main([*argv, "--max-evaluations", "3", "--workers", "1", "--seed", str(SEED)]) == 0
    assert "public_law_mean_weeks[region=wales]" in capsys.readouterr().out
    fit = pd.read_csv(out / "fit.csv").set_index("indicator")
    assert fit["model_fit"].notna().all() and fit["fitted"].all()
    evaluations = pd.read_csv(out / "evaluations.csv")
    best = evaluations[evaluations["phase"] != "sensitivity"].sort_values("objective").iloc[0]
    fitted = load_scenario(out / "fitted.yaml").scenario
    assert fitted.courts.capacity.capacity_per_case_index == {"wales": pytest.approx(best["wales_index"])}


# ---------------------------------------------------------------------------------------------- history rows
def test_a_parameter_may_free_one_row_of_the_history_and_the_fitted_scenario_keeps_the_whole_table(
    tmp_path: Path,
) -> None:
    """``history.rows.0.days_sat`` names the first row's days sat (days sat before 2023 are not published, so the
    back-cast frees them); the fitted scenario writes the history's rows whole, as ``extends`` replaces lists."""
    from sim.experiment.model_calibration.fitted_scenario import fitted_scenario_text

    backcast = HERE.parent / "scenarios" / "backcast.yaml"
    loaded = load_scenario(backcast)
    days = {"name": "days_sat_before_2023", "key": "history.rows.0.days_sat", "lower": 1e5, "upper": 1.6e5}
    path = write_targets(
        tmp_path / "t.yaml", [days], [target("public_law_mean_weeks", 33, "2019-06-30")], measure="trajectory"
    )
    targets = load_targets(path, loaded)
    assert targets.start == (loaded.scenario.history.rows[0].days_sat,)  # the scenario's own value
    changed = scenario_at(loaded, targets.spec.parameters, (115000.0,)).scenario
    assert [row.days_sat for row in changed.history.rows] == [115000.0, None, None, None, 132855.0, 124280.0]
    text = fitted_scenario_text(loaded, targets, (115000.0,), tmp_path)
    rows = yaml.safe_load(text)["history"]["rows"]
    assert isinstance(rows, list) and rows[0]["days_sat"] == 115000.0 and rows[-1]["days_sat"] == 124280.0
    beyond = {**days, "key": "history.rows.9.days_sat"}
    path = write_targets(
        tmp_path / "t.yaml", [beyond], [target("public_law_mean_weeks", 33, "2019-06-30")], measure="trajectory"
    )
    with pytest.raises(TargetsError, match=r"rows\.9"):
        load_targets(path, loaded)


def candidate_search(name: str) -> tuple[LoadedScenario, Targets, Targets]:
    """scenarios/calibration/NAME.yaml loaded, with the national targets and NAME_targets.yaml read against it; the
    search's targets are checked to be the national file's, each as there, plus FCSQ's first disposal (2021
    fitted, 2024 a check)."""
    folder = HERE.parent / "scenarios" / "calibration"
    candidate = load_scenario(folder / f"{name}.yaml")
    national = load_targets(folder / "backcast_targets.yaml", candidate)
    search = load_targets(folder / f"{name}_targets.yaml", candidate)
    here, there = points(search), points(national)
    first = "private_law_mean_weeks_to_first_disposal"
    assert {k: v for k, v in here.items() if k[0] != first} == {k: v for k, v in there.items() if k[0] != first}
    for targets in (here, there):  # the national file has had the first disposal since these searches were adopted
        assert targets[(first, dt.date(2021, 9, 30))] == (26.0, 1.0, True)
        assert targets[(first, dt.date(2024, 9, 30))][2] is False
    return candidate, national, search


def test_the_private_law_candidate_search_has_the_national_targets_and_the_first_disposal() -> None:
    """scenarios/calibration/private_law_candidate*.yaml (docs/calibration.md, "Where private law waits"): the
    national targets plus the first disposal; its five free parameters are private law's and the court's, none of
    public law's."""
    _, _, search = candidate_search("private_law_candidate")
    keys = [p.key if isinstance(p.key, str) else p.key[0] for p in search.spec.parameters]
    assert len(keys) == 5 and not any(k.startswith("public_law.") for k in keys)


def test_the_listing_priority_search_is_the_national_search_plus_the_first_disposal() -> None:
    """scenarios/calibration/listing_priority_candidate*.yaml (docs/calibration.md, "Listing priority"): the
    national targets plus the first disposal, and the national free parameters, with the same bounds, plus the
    share of private law cases first disposed of at the FHDRA. The candidate ranks the FHDRA with public law."""
    candidate, national, search = candidate_search("listing_priority_candidate")
    share = "private_law.first_disposal_at_first_hearing_share"
    bounds = {p.name: (p.key, p.lower, p.upper) for p in search.spec.parameters}
    assert {p.name: (p.key, p.lower, p.upper) for p in national.spec.parameters} == {
        k: v for k, v in bounds.items() if v[0] != share
    }
    assert len(bounds) == len(national.spec.parameters) + 1
    assert candidate.scenario.courts.listing.rank_by_hearing == {"private_law.first_hearing": 1}


def test_the_history_matching_wave_reads_the_national_targets_over_two_parameters() -> None:
    """scenarios/calibration/backcast_wave_targets.yaml (docs/calibration.md, "Which runs the targets cannot rule
    out"): every national target as there, and a space-filling design over private law hearing hours and days sat
    before 2023, inside the national search's bounds, with no budget left for a local search after it."""
    folder = HERE.parent / "scenarios" / "calibration"
    backcast = load_scenario(HERE.parent / "scenarios" / "backcast.yaml")
    national = load_targets(folder / "backcast_targets.yaml", backcast)
    wave = load_targets(folder / "backcast_wave_targets.yaml", backcast)
    assert points(wave) == points(national)
    bounds = {p.name: (p.key, p.lower, p.upper) for p in national.spec.parameters}
    assert [p.name for p in wave.spec.parameters] == ["private_law_hearing_hours", "days_sat_before_2023"]
    for p in wave.spec.parameters:
        key, lower, upper = bounds[p.name]
        assert p.key == key and lower <= p.lower < p.upper <= upper
    assert wave.spec.optimiser.design_points_per_parameter * len(wave.spec.parameters) == 12


def test_the_listing_priority_wave_is_the_committed_wave_on_the_candidate() -> None:
    """scenarios/calibration/listing_priority_wave*.yaml (docs/calibration.md, "A wave on the listing-priority
    candidate"): the same targets, parameters, bounds and design as the committed model's wave, so the two
    structures were read on the same footing."""
    folder = HERE.parent / "scenarios" / "calibration"
    backcast = load_scenario(HERE.parent / "scenarios" / "backcast.yaml")
    wave = load_scenario(folder / "listing_priority_wave.yaml")
    committed = load_targets(folder / "backcast_wave_targets.yaml", backcast)
    candidate = load_targets(folder / "listing_priority_wave_targets.yaml", wave)
    assert points(candidate) == points(committed)
    assert candidate.spec.parameters == committed.spec.parameters
    assert candidate.spec.optimiser == committed.spec.optimiser


# The model the listing-priority wave was run against (commit 886e6bb), from which its factors are measured.
BEFORE_ADOPTION = {
    "private_law.first_hearing.duration_hours.mode": 0.927,
    "private_law.fact_finding.hearing.duration_hours.mean": 4.64,
    "private_law.dispute_resolution_hearing.duration_hours.mode": 1.4,
    "private_law.final_hearing.duration_hours.mean": 3.24,
    "pathfinder.fact_finding.hearing.duration_hours.mean": 4.64,
    "pathfinder.decision_hearing.duration_hours.mean": 2.78,
    "public_law.assessments.duration_days.median": 37.1,
    "public_law.assessments.expert_duration_days.median": 18.6,
}


def test_the_backcast_is_the_listing_priority_wave_at_its_best_run() -> None:
    """The adoption (2026-12-01): the back-cast (and so the baseline) has the candidate's listing rules, the values
    its search fitted (evaluation 13 of listing_priority_candidate_evaluations.csv) and the wave's best run not
    ruled out (run 13 of listing_priority_wave_evaluations.csv), each to the rounding the scenario writes; then
    the Cafcass split fit's factor on private law hearing hours (evaluation 9 of cafcass_split_evaluations.csv,
    adopted later the same day). Private law's booking limit and the days sat before 2023 were fitted again by
    the lay-justices fit (test_the_baseline_has_the_lay_justices_fits_best_point)."""
    docs = HERE.parent / "docs" / "calibration"
    backcast = load_scenario(HERE.parent / "scenarios" / "backcast.yaml").scenario
    # the candidate's file as written: loaded, it extends the back-cast and would match it whatever the back-cast held
    written = yaml.safe_load(
        (HERE.parent / "scenarios" / "calibration" / "listing_priority_candidate.yaml").read_text()
    )
    listing = written["courts"]["listing"]
    listing["booking_limit_share_by_rank"][2] = backcast.courts.listing.booking_limit_share_by_rank[2]  # refitted
    assert backcast.courts.listing.model_dump(include=set(listing)) == listing
    search = pd.read_csv(docs / "listing_priority_candidate_evaluations.csv").iloc[13]
    run = pd.read_csv(docs / "listing_priority_wave_evaluations.csv").iloc[13]
    assert run["evaluation"] == 13 and search["evaluation"] == 13
    split = pd.read_csv(docs / "cafcass_split_evaluations.csv").iloc[CAFCASS_SPLIT_BEST]
    assert backcast.public_law.resolved_at_cmh_share == pytest.approx(search["resolved_at_cmh_share"], abs=1e-4)
    assert backcast.public_law.further_assessment.share == pytest.approx(search["further_assessment_share"], abs=1e-4)
    share = backcast.private_law.first_disposal_at_first_hearing_share
    assert share == pytest.approx(search["first_disposal_at_first_hearing_share"], abs=1e-4)
    data = yaml.safe_load((HERE.parent / "scenarios" / "baseline.yaml").read_text())  # as written
    for key, before in BEFORE_ADOPTION.items():
        value = data
        for part in key.split("."):
            value = value[part]
        factor = (
            run["private_law_hearing_hours"] * split["private_law_hearing_hours"]
            if "hours" in key
            else search["public_law_assessment_days"]
        )
        assert value / before == pytest.approx(factor, rel=1e-3), key


CAFCASS_SPLIT_BEST = 9
"""The Cafcass split fit's best point (docs/calibration.md, "Cafcass's split of advisers")."""
ADVISERS_BEFORE_THE_SPLIT_FIT = (308, 1150)
"""The baseline's short- and long-term advisers, set by hand in the first version, before the split was fitted."""


def test_the_baseline_has_the_cafcass_split_fits_best_point() -> None:
    """The adoption rule in cafcass_split_targets.yaml, written before the fit ran: its best point has the lower
    objective over the fitted targets, so every region's short-term advisers take its factor from the long-term
    teams, the total staying the published one the baseline had, and the point is the fit's best. The two
    lay-justices fits later scaled the short-term advisers again, from that point, with the same balance."""
    docs = HERE.parent / "docs" / "calibration"
    evaluations = pd.read_csv(docs / "cafcass_split_evaluations.csv")
    best = evaluations[evaluations["phase"] != "sensitivity"]["objective"].idxmin()
    assert best == CAFCASS_SPLIT_BEST
    assert evaluations.loc[best, "objective"] < evaluations.loc[0, "objective"]  # the rule: better than the start
    regions = load_scenario(HERE.parent / "scenarios" / "baseline.yaml").scenario.regions.values()
    short = sum(r.cafcass.short_term_advisers for r in regions)
    long = sum(r.cafcass.long_term_advisers for r in regions)
    before_short, before_long = ADVISERS_BEFORE_THE_SPLIT_FIT
    refitted = _lay_justices_closed_advisers() * _lay_justices_best()["short_term_advisers"]  # the lay fits' factors
    assert short / before_short == pytest.approx(evaluations.loc[best, "short_term_advisers"] * refitted, rel=2e-3)
    assert short + long == pytest.approx(before_short + before_long, abs=0.5)


def _lay_justices_closed_advisers() -> float:
    """The closed lay-justices fit's factor on short-term advisers, the point the warmed-up fit started from."""
    parameters = pd.read_csv(HERE.parent / "docs" / "calibration" / "lay_justices_parameters.csv")
    return float(parameters.set_index("parameter").loc["short_term_advisers", "fitted"])


LAY_JUSTICES_BEST_EVALUATION = 9
"""The lay-justices fit warmed up for five years: its best run (docs/calibration.md, "The lay-justices fit, warmed up
for five years"), adopted 2026-12-01."""


def _lay_justices_best() -> pd.Series:
    """That run's row of docs/calibration/lay_justices_warm_evaluations.csv."""
    docs = HERE.parent / "docs" / "calibration"
    return pd.read_csv(docs / "lay_justices_warm_evaluations.csv").iloc[LAY_JUSTICES_BEST_EVALUATION]


COMMITTED_OBJECTIVE, BY_MORE_THAN = 0.899, 0.03
"""The adoption rule's first condition (lay_justices_warm_targets.yaml): the committed model's objective on the same
targets, and the margin the fit had to beat it by."""


def test_the_baseline_has_the_lay_justices_fits_best_point() -> None:
    """The adoption (2026-12-01): the fit's best run beat the model before by the rule's margin, and the baseline,
    the back-cast and from_2024 carry its values (as the fitted scenario writes them), the first two with the
    five-year warm-up the fit ran with."""
    docs = HERE.parent / "docs" / "calibration"
    evaluations = pd.read_csv(docs / "lay_justices_warm_evaluations.csv")
    best = evaluations.iloc[LAY_JUSTICES_BEST_EVALUATION]
    assert evaluations[evaluations["phase"] != "sensitivity"]["objective"].idxmin() == best["evaluation"]
    assert best["objective"] < COMMITTED_OBJECTIVE - BY_MORE_THAN
    scenarios = HERE.parent / "scenarios"
    fitted = load_scenario(scenarios / "calibration" / "lay_justices_warm_fitted.yaml").scenario
    baseline = load_scenario(scenarios / "baseline.yaml").scenario
    backcast = load_scenario(scenarios / "backcast.yaml").scenario
    from_2024 = load_scenario(scenarios / "from_2024.yaml").scenario
    for adopted in (baseline, backcast, from_2024):
        private_law = adopted.private_law
        assert private_law.allocated_to_lay_justices_share == pytest.approx(best["lay_justices_share"])
        assert private_law.withdrawal_per_week_waiting == pytest.approx(best["withdrawal_per_week"])
        booking = adopted.courts.listing.booking_limit_share_by_rank[2]
        assert booking == pytest.approx(best["private_law_booking_limit"])
        assert private_law.section7.writer_stays_to_dra
        for name, region in adopted.regions.items():
            assert region.cafcass.model_dump() == pytest.approx(fitted.regions[name].cafcass.model_dump(), abs=0.005), (
                name
            )
    assert backcast.history.rows[0].days_sat == pytest.approx(best["days_sat_before_2023"], abs=0.1)
    assert baseline.starting_state.warm_up_days == backcast.starting_state.warm_up_days == 1826
    assert fitted.starting_state.warm_up_days == 1826  # the warm-up the fit ran with


DISPLACEMENT_LIMIT_MARGIN = 0.03
"""The displacement-limit fit's adoption rule (displacement_limit_targets.yaml): at most this much above the committed
model's objective, evaluated on the same code, targets, replications and seed."""


def test_the_displacement_limit_fit_missed_its_rule_so_the_baseline_keeps_no_limit() -> None:
    """The fit with a limit of one move a listing (2026-12-02) started from the committed model's values, ended with
    its budget spent more than the rule's margin above the committed model, and so was not adopted: the baseline,
    the back-cast and from_2024 set no limit, and the candidate's only change is the limit."""
    docs = HERE.parent / "docs" / "calibration"
    evaluations = pd.read_csv(docs / "displacement_limit_evaluations.csv")
    committed = pd.read_csv(docs / "displacement_limit_committed_evaluations.csv")
    assert len(committed[committed["phase"] != "sensitivity"]) == 1  # the committed model's one evaluation
    searched = evaluations[evaluations["phase"] != "sensitivity"]
    best, committed_objective = searched["objective"].min(), committed["objective"].iloc[0]
    assert committed_objective < evaluations["objective"].iloc[0]  # the limit alone made the fit worse
    assert best > committed_objective + DISPLACEMENT_LIMIT_MARGIN  # the rule's first condition fails
    start = evaluations.iloc[0].drop(["evaluation", "phase", "objective"])
    assert start.to_dict() == committed.iloc[0].drop(["evaluation", "phase", "objective"]).to_dict()
    scenarios = HERE.parent / "scenarios"
    for name in ("baseline.yaml", "backcast.yaml", "from_2024.yaml"):
        assert load_scenario(scenarios / name).scenario.courts.listing.max_displacements_per_listing is None
    candidate = load_scenario(scenarios / "calibration" / "displacement_limit_candidate.yaml").scenario
    backcast = load_scenario(scenarios / "backcast.yaml").scenario
    assert candidate.courts.listing.max_displacements_per_listing == 1
    assert candidate.model_copy(update={"courts": backcast.courts, "name": backcast.name}) == backcast
