"""Sweeps: --set parsing, the design, validation before running, and the tidy table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.cli.main import main
from sim.experiment.sweep import Setting, SweepError, design, parse_set, tornado_bars

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"


def test_parse_set_reads_values_as_yaml() -> None:
    assert parse_set("a.b=1, 2.5,true") == ("a.b", [1, 2.5, True])
    for bad in ("a.b", "=1,2", "a.b=", "a.b=1,1"):
        with pytest.raises(SweepError):
            parse_set(bad)


def test_full_factorial_and_one_at_a_time_designs() -> None:
    factors = {"a": [1, 2], "b": ["x", "y", "z"]}
    full = design(factors, one_at_a_time=False)
    assert len(full) == 6 and full[0].values == {"a": 1, "b": "x"} and full[-1].values == {"a": 2, "b": "z"}
    oat = design(factors, one_at_a_time=True)
    assert [s.values for s in oat] == [{}, {"a": 1}, {"a": 2}, {"b": "x"}, {"b": "y"}, {"b": "z"}]
    assert [s.index for s in oat] == list(range(6))


def test_tornado_bars_from_main_effects() -> None:
    settings = design({"a": [1, 2], "b": [1, 2]}, one_at_a_time=False)
    means = [10.0, 12.0, 20.0, 22.0]  # a moves the indicator by 10, b by 2
    summary = pd.DataFrame(
        {
            "setting": range(4),
            "indicator": "time_to_disposal_weeks_mean",
            "breakdown": "all",
            "group": "all",
            "mean": means,
        }
    )
    reference, bars = tornado_bars(summary, {"a": [1, 2], "b": [1, 2]}, settings, one_at_a_time=False)
    assert reference == 16.0
    assert bars == [("a", 11.0, 21.0), ("b", 15.0, 17.0)]
    oat = [Setting(0, {}), Setting(1, {"a": 1}), Setting(2, {"a": 2})]
    summary = summary.iloc[:3].assign(mean=[10.0, 9.0, 13.0])
    assert tornado_bars(summary, {"a": [1, 2]}, oat, one_at_a_time=True) == (10.0, [("a", 9.0, 13.0)])


def test_sweep_writes_a_tidy_table_and_a_tornado(tmp_path) -> None:
    out = tmp_path / "out"
    args = ["sweep", str(SMALL), "--set", "cafcass.long_term_caseload_limit=20,10", "--one-at-a-time"]
    assert (
        main([*args, "--set", "experts.caseload_limit=2", "--replications", "2", "--out", str(out), "--workers", "1"])
        == 0
    )
    for name in ("sweep.csv", "sweep_summary.csv", "tornado.png", "manifest.json"):
        assert (out / name).is_file()
    table = pd.read_csv(out / "sweep.csv")
    assert list(table.columns[:5]) == [
        "setting",
        "cafcass.long_term_caseload_limit",
        "experts.caseload_limit",
        "replication",
        "indicator",
    ]
    assert sorted(table["setting"].unique()) == [0, 1, 2, 3]
    assert sorted(table["replication"].unique()) == [0, 1]
    keys = table.groupby("setting")[["indicator", "breakdown", "group"]].apply(lambda f: set(map(tuple, f.values)))
    assert all(k == keys.iloc[0] for k in keys)  # every setting has the same indicators (some NaN ones left out)
    # setting 1 sets the caseload limit to its value in the scenario (20): same random numbers, same results
    values = table.set_index(["setting", "replication", "indicator", "breakdown", "group"])["value"]
    pd.testing.assert_series_equal(values.loc[0], values.loc[1], check_names=False)
    assert not values.loc[0].equals(values.loc[2])
    assert (table.loc[table.setting == 2, "cafcass.long_term_caseload_limit"] == 10).all()
    assert (table.loc[table.setting == 2, "experts.caseload_limit"] == 4).all()  # left as in the scenario


def test_sweep_with_an_unknown_key_or_invalid_value_writes_nothing(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["sweep", str(SMALL), "--set", "cafcass.long_term_caseload_limt=1,2", "--out", str(out)]) == 2
    assert main(["sweep", str(SMALL), "--set", "public_law.resolved_at_irh_share=0.5,2", "--out", str(out)]) == 2
    assert main(["sweep", str(SMALL), "--set", "nonsense", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "cafcass.long_term_caseload_limt: is not a key" in err
    assert "public_law.resolved_at_irh_share" in err and "Traceback" not in err
    assert not out.exists()
