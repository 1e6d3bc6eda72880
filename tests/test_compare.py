"""Comparing options with a base on common random numbers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.cli.main import main
from sim.experiment.compare import COMPARE_COLUMNS, label_comparisons, paired_differences

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
            "--correction",
            "holm",
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
    judged = judged[judged.breakdown.isin(["all", "case_type"])]  # a small crossed group may miss a replication
    assert (judged["replications"] == 3).all()
    assert (judged["difference_ci95_low"] <= judged["difference_mean"]).all()
    printed = capsys.readouterr().out
    assert "more_judges: time_to_disposal_weeks_mean public_law" in printed
    assert "holm-adjusted p" in printed and "rough: fewer than 5 replications" in printed
    assert set(table["family"]) == {"headline", "other"} and set(table["correction"]) == {"holm"}
    headline = table[table["family"] == "headline"]
    assert set(headline["indicator"]) == {"time_to_disposal_weeks_mean"} and len(headline) == 6  # 3 types x 2
    assert (table["p_adjusted"].dropna() >= table.loc[table["p_adjusted"].notna(), "p_value"]).all()


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


def made_up_indicators(values: dict[tuple[str, str, str], list[float]]) -> pd.DataFrame:
    rows = [(r, *key, v) for key, vs in values.items() for r, v in enumerate(vs)]
    return pd.DataFrame(rows, columns=["replication", "indicator", "breakdown", "group", "value"])


def test_multiple_comparisons_are_labelled_and_corrected_within_their_family() -> None:
    """Four differences each 'distinguishable' alone (p about 0.01-0.04); Holm and Bonferroni take some back."""
    headline = ("time_to_disposal_weeks_mean", "case_type", "public_law")
    others = [(f"x{i}_days_mean", "all", "all") for i in range(4)]
    base = made_up_indicators({key: [10.0, 10.0, 10.0] for key in [headline, *others]})
    shifts = [[1.0, 1.5, 2.0], [0.5, 1.0, 2.5], [1.0, 1.1, 1.2], [0.2, 0.9, 1.6]]
    option = made_up_indicators(
        {headline: [12.0, 12.0, 12.5]} | {k: [10 + s for s in shift] for k, shift in zip(others, shifts, strict=True)}
    )
    table = paired_differences(base, option, "option")
    assert list(table.columns) == COMPARE_COLUMNS
    by_key = table.set_index("indicator")
    assert by_key.loc["time_to_disposal_weeks_mean", "family"] == "headline"
    assert (by_key.loc[[k[0] for k in others], "family"] == "other").all()
    assert by_key["comparisons"].to_dict() == {"time_to_disposal_weeks_mean": 1, **{k[0]: 4 for k in others}}
    assert by_key["rough"].all()  # three replications
    plain = by_key["distinguishable"]
    # without a correction, distinguishable is the 95% interval excluding zero
    assert (plain == ((by_key["difference_ci95_low"] > 0) | (by_key["difference_ci95_high"] < 0))).all()
    holm = label_comparisons(table, "holm").set_index("indicator")
    bonferroni = label_comparisons(table, "bonferroni").set_index("indicator")
    p = by_key.loc[[k[0] for k in others], "p_value"].sort_values()
    assert holm.loc[p.index[0], "p_adjusted"] == pytest.approx(4 * p.iloc[0])  # the smallest, times the family
    assert bonferroni.loc[p.index[-1], "p_adjusted"] == pytest.approx(min(1.0, 4 * p.iloc[-1]))
    assert holm["distinguishable"].sum() < plain.sum()  # some are taken back
    assert (holm["p_adjusted"] <= bonferroni["p_adjusted"] + 1e-12).all()  # Holm is never stricter
    assert holm.loc["time_to_disposal_weeks_mean", "p_adjusted"] == by_key.loc["time_to_disposal_weeks_mean", "p_value"]
