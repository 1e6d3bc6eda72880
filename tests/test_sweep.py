"""Sweeps: --set parsing, the design, validation before running, and the tidy table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.cli.main import main
from sim.experiment.sensitivity import sample, sensitivity_table
from sim.experiment.sweep import Setting, SweepError, design, parse_set, plan, tornado_bars
from sim.scenario.loading import load_scenario

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


# ---------------------------------------------------------------------------------------------- Morris and Sobol
def test_morris_and_sobol_draw_settings_inside_the_ranges_and_keep_whole_numbers_whole() -> None:
    base = load_scenario(SMALL)
    factors = {
        "regions.north_east.local_authorities": [20, 30],  # a whole number in the scenario
        "cafcass.long_term_caseload_limit": [10, 20],  # a number that may have a fraction, even with whole bounds
        "public_law.resolved_at_irh_share": [0.4, 0.6],
    }
    morris, bounds = plan(base, factors, "morris", samples=3)
    assert len(morris) == 3 * (3 + 1) and bounds == {k: (float(v[0]), float(v[1])) for k, v in factors.items()}
    sobol, _ = plan(base, factors, "sobol", samples=4)
    assert len(sobol) == 4 * (3 + 2)
    for setting in morris + sobol:
        authorities, limit, share = setting.values.values()
        assert isinstance(authorities, int) and 20 <= authorities <= 30
        assert 10 <= limit <= 20 and 0.4 <= share <= 0.6
    assert any(s.values["cafcass.long_term_caseload_limit"] % 1 for s in sobol)
    # the Morris grid has 4 levels: each key takes at most 4 values
    assert len({s.values["public_law.resolved_at_irh_share"] for s in morris}) <= 4
    assert plan(base, factors, "morris", samples=3) == (morris, bounds)  # seeded by the scenario's seed
    assert plan(base, factors, "morris", samples=3, seed=7)[0] != morris


@pytest.mark.parametrize(
    ("factors", "method", "samples", "words"),
    [
        ({"a.b": [1, 2, 3]}, "morris", None, "takes a range"),
        ({"a.b": ["x", "y"]}, "sobol", None, "takes a range"),
        ({"a.b": [0.6, 0.4]}, "morris", None, "takes a range"),
        ({"public_law.resolved_at_irh_share": [0.4, 0.6]}, "sobol", 6, "a power of 2"),
        ({"regions.north_east.local_authorities": [26, 27]}, "morris", 2, "levels to differ"),
        ({"a.b": [1, 2]}, "latin", None, "choose one of"),
    ],
)
def test_a_sampled_method_refuses_what_is_not_a_range(factors, method, samples, words) -> None:
    with pytest.raises(SweepError, match=words):
        plan(load_scenario(SMALL), factors, method, samples)


def test_morris_and_sobol_find_the_key_that_moves_the_indicator() -> None:
    """A made-up response: 10 x a, plus a x b / 10 for a little interaction; c does nothing."""
    bounds = {"a": (0.0, 1.0), "b": (0.0, 5.0), "c": (10.0, 20.0)}
    for method, n in (("morris", 20), ("sobol", 256)):
        x = sample(method, bounds, n, seed=3)
        y = 10 * x[:, 0] + x[:, 0] * x[:, 1] / 10
        table = pd.DataFrame(
            {
                "setting": range(len(x)),
                "replication": 0,
                "indicator": "t",
                "breakdown": "all",
                "group": "all",
                "value": y,
            }
        )
        result = sensitivity_table(method, bounds, x, table, [("t", "all", "all"), ("missing", "all", "all")], seed=3)
        assert list(result["indicator"].unique()) == ["t"]  # an indicator the sweep lacks is left out
        by_key = result.set_index("key")
        if method == "morris":  # mu* is the effect over the key's whole range: about 10 for a, 0 for c
            assert by_key.loc["a", "mu_star"] == pytest.approx(10.25, abs=0.3)
            assert by_key.loc["c", "mu_star"] == 0 and by_key.loc["c", "sigma"] == 0
            assert by_key.loc["b", "sigma"] > 0 or by_key.loc["b", "mu_star"] > 0
        else:  # a explains nearly all the variance; c none
            assert by_key.loc["a", "S1"] > 0.9 and by_key.loc["a", "ST"] > 0.9
            assert abs(by_key.loc["c", "ST"]) < 0.01 and by_key.loc["b", "ST"] < 0.1


@pytest.mark.parametrize(("method", "columns"), [("morris", "mu_star"), ("sobol", "ST")])
def test_a_morris_or_sobol_sweep_writes_its_table_figure_and_ranking(tmp_path, capsys, method, columns) -> None:
    out = tmp_path / "out"
    args = ["sweep", str(SMALL), "--method", method, "--samples", "2", "--replications", "1", "--workers", "1"]
    sets = ["--set", "cafcass.long_term_caseload_limit=6,20", "--set", "public_law.resolved_at_irh_share=0.3,0.7"]
    assert main([*args, *sets, "--out", str(out)]) == 0
    for name in ("sweep.csv", "sweep_summary.csv", "sensitivity.csv", "sensitivity.png", "manifest.json"):
        assert (out / name).is_file(), name
    assert not (out / "tornado.png").exists()
    table = pd.read_csv(out / "sensitivity.csv")
    assert set(table["key"]) == {"cafcass.long_term_caseload_limit", "public_law.resolved_at_irh_share"}
    assert table[columns].notna().all()
    printed = capsys.readouterr().out
    assert f"{method} for time_to_disposal_weeks_mean" in printed and "cafcass.long_term_caseload_limit:" in printed
    settings = pd.read_csv(out / "sweep.csv")["setting"].nunique()
    assert settings == (2 * 3 if method == "morris" else 2 * 4)


def test_samples_without_a_sampled_method_is_refused(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["sweep", str(SMALL), "--set", "experts.caseload_limit=2,3", "--samples", "4", "--out", str(out)]) == 2
    args = ["sweep", str(SMALL), "--set", "experts.caseload_limit=2,3", "--one-at-a-time", "--method", "sobol"]
    assert main([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--samples is for --method morris or sobol" in err and "disagree" in err
    assert not out.exists()
