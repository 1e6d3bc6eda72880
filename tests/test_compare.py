"""Comparing options with a base on common random numbers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.cli.main import main
from sim.experiment.compare import COMPARE_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"


def option(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"extends: {SMALL}\nname: {name}\n{body}", encoding="utf-8")
    return path


def test_compare_writes_paired_differences_and_plots(tmp_path, capsys) -> None:
    same = option(tmp_path, "same_again", "seed: 99\n")  # a different declared seed: the base's seed is used
    judges = option(
        tmp_path,
        "more_judges",
        "regions:\n  north_east:\n    court: {sitting_hours_per_day: {magistrates: 4, district_judge: 12, "
        "circuit_judge: 7}}\n",
    )
    out = tmp_path / "out"
    code = main(
        [
            "compare",
            str(SMALL),
            str(same),
            str(judges),
            "--replications",
            "3",
            "--out",
            str(out),
            "--workers",
            "1",
            "--no-report",
        ]
    )
    assert code == 0
    for name in (
        "compare.csv",
        "comparison.html",
        "delay_distributions.png",
        "differences_forest.png",
        "manifest.json",
    ):
        assert (out / name).is_file(), name
    for name in ("small", "same_again", "more_judges"):
        assert (out / "scenarios" / name / "summary.csv").is_file()
        assert not (out / "scenarios" / name / "report.html").exists()  # --no-report
    table = pd.read_csv(out / "compare.csv")
    assert list(table.columns) == COMPARE_COLUMNS
    assert set(table["option"]) == {"same_again", "more_judges"}
    same_rows = table[table.option == "same_again"].dropna(subset=["difference_mean"])
    assert (same_rows["difference_mean"] == 0).all()  # same scenario, same random numbers: no difference at all
    assert not same_rows["distinguishable"].any()
    judged = table[(table.option == "more_judges") & (table.indicator == "time_to_disposal_weeks_mean")]
    assert (judged["replications"] == 3).all()
    assert (judged["difference_ci95_low"] <= judged["difference_mean"]).all()
    assert "more_judges: time_to_disposal_weeks_mean" in capsys.readouterr().out


def test_compare_reports_problems_in_every_scenario_and_writes_nothing(tmp_path, capsys) -> None:
    bad = option(tmp_path, "bad", "run_years: 0\n")
    worse = option(tmp_path, "worse", "seed: -3\n")
    out = tmp_path / "out"
    assert main(["compare", str(SMALL), str(bad), str(worse), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:3: run_years" in err and "worse.yaml:3: seed" in err and "Traceback" not in err
    assert not out.exists()


def test_compare_writes_each_scenario_report(tmp_path, capsys) -> None:
    fewer = option(tmp_path, "fewer_adjournments", "courts: {adjourn_probability: 0.05}\n")
    out = tmp_path / "out"
    assert main(["compare", str(SMALL), str(fewer), "--replications", "2", "--out", str(out), "--workers", "1"]) == 0
    for name in ("small", "fewer_adjournments"):
        run = out / "scenarios" / name
        assert name in (run / "report.html").read_text(encoding="utf-8")
        assert (run / "journey_rep-0000.ocel.json").is_file()
    printed = capsys.readouterr().out
    assert printed.count("report: ") == 2
    table = pd.read_csv(out / "compare.csv")  # the child-centred indicators are compared too
    assert {"days_to_first_hearing_mean", "wait_court_share"} <= set(table["indicator"])
