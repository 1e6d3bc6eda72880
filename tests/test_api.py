"""The notebook API (sim/api.py), and the worked example in docs/analysis.md, whose Python blocks are run here."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from sim import api
from sim.analysis.indicators import INDICATOR_COLUMNS
from sim.analysis.statistics import SUMMARY_COLUMNS
from sim.scenario.loading import LoadedScenario
from sim.scenario.yaml_file import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
ANALYSIS = ROOT / "docs" / "analysis.md"
PYTHON_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


# ---------------------------------------------------------------------------------------------- scenarios
def test_load_and_with_changes_revalidate() -> None:
    base = api.load(SMALL)
    assert isinstance(base, LoadedScenario) and base.scenario.name == "small"
    changed = api.with_changes(
        base,
        {
            "regions.*.cafcass.long_term_advisers": 10,
            "private_law.section7.share": 0.5,
            "regions.north_east.pathfinder_from": "2024-06-01",  # left at its default in the file
        },
    )
    assert changed.scenario.name == "small_changed"
    assert {r.cafcass.long_term_advisers for r in changed.scenario.regions.values()} == {10}
    assert changed.scenario.private_law.section7.share == 0.5
    assert str(changed.scenario.regions["north_east"].pathfinder_from) == "2024-06-01"
    assert base.scenario.private_law.section7.share == 0.6  # the original is untouched
    assert api.with_changes(base, {"seed": 5}, name="other").scenario.name == "other"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"private_law.section7.share": 1.5}, "private_law.section7.share"),
        ({"private_law.no_such_key.share": 1}, "private_law.no_such_key"),
        ({"demand.public_law.region_shares.north_east": 0.9}, "region_shares"),
    ],
)
def test_with_changes_reports_bad_changes_with_their_key(changes: dict, message: str) -> None:
    with pytest.raises(ScenarioError) as error:
        api.with_changes(api.load(SMALL), changes)
    assert message in str(error.value)


def test_with_changes_keeps_policies(small_data, tmp_path: Path) -> None:
    import yaml

    small_data["policies"] = [
        {"name": "recruit", "date": "2024-07-01", "set": {"regions.wales.cafcass.long_term_advisers": 6}}
    ]
    path = tmp_path / "with_policy.yaml"
    path.write_text(yaml.safe_dump(small_data), encoding="utf-8")
    changed = api.with_changes(api.load(path), {"regions.wales.cafcass.long_term_advisers": 5})
    assert [s.regions["wales"].cafcass.long_term_advisers for _, s in changed.periods] == [5, 6]


# ---------------------------------------------------------------------------------------------- runs
@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> api.Results:
    return api.run(SMALL, replications=2, out=tmp_path_factory.mktemp("api") / "run")


def test_run_returns_results_with_tables_summary_and_indicators(results: api.Results) -> None:
    assert set(results.children["replication"]) == {0, 1}
    assert {"requested", "started", "ended", "agency"} <= set(results.stages.columns)
    assert {"date", "measure", "region", "value"} <= set(results.timeline.columns)
    assert list(results.summary.columns) == SUMMARY_COLUMNS
    assert results.manifest["status"] == "complete"
    assert results.period[0] == pd.Timestamp("2024-01-01")
    summary = results.indicators()
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert (summary["replications"] == 2).any()
    per_rep = results.indicators(per_replication=True, by_month=True)
    assert list(per_rep.columns) == INDICATOR_COLUMNS and "month" in set(per_rep["breakdown"])
    table = results.attribution(by="region")
    assert set(table["group"]) == {"north_east", "wales"}
    assert "Child " in results.journey(int(results.children["child_id"].iloc[0]))
    for method in (
        "plot_disposal_ecdf",
        "plot_disposal_violin",
        "plot_open_caseload",
        "plot_cafcass_queue",
        "plot_utilisation",
        "plot_delay_attribution",
        "plot_child_days",
    ):
        assert isinstance(getattr(results, method)(), Figure), method


def test_two_replications_give_no_impossible_interval_and_say_they_are_rough(results: api.Results) -> None:
    """Shares stay in 0-1 and everything but a change stays at or above zero; two replications are rough."""
    from sim.analysis.statistics import natural_bounds

    summary = results.summary.dropna(subset=["ci95_low"])
    bounds = summary["indicator"].map(natural_bounds)
    assert (summary["ci95_low"] >= bounds.str[0]).all() and (summary["ci95_high"] <= bounds.str[1]).all()
    assert summary["rough"].all()
    assert (summary.loc[summary["indicator"].str.endswith("_share"), "interval"] == "logit").all()


def test_the_headline_is_per_case_type_with_each_measure_defined(results: api.Results) -> None:
    headline = results.headline()
    assert set(headline["case_type"]) == {"public_law", "private_law", "domestic_abuse"}  # none pools them
    assert set(headline["indicator"]) == {"time_to_disposal_weeks_mean", "cases_disposed_in_period_weeks_mean"}
    defined = dict(zip(headline["indicator"], headline["definition"], strict=False))
    assert "started in the results period" in defined["time_to_disposal_weeks_mean"]
    assert "as FCSQ counts them" in defined["cases_disposed_in_period_weeks_mean"]


def test_breakdowns_within_case_type(results: api.Results) -> None:
    """Case type x domestic abuse, x region and x age band, as summary.csv holds them."""
    by_abuse = results.within_case_type(by="domestic_abuse")
    assert list(by_abuse.columns[:2]) == ["case_type", "domestic_abuse"]
    assert {("private_law", "true"), ("private_law", "false"), ("domestic_abuse", "true")} <= set(
        zip(by_abuse["case_type"], by_abuse["domestic_abuse"], strict=True)
    )
    assert ("domestic_abuse", "false") not in set(zip(by_abuse["case_type"], by_abuse["domestic_abuse"], strict=True))
    by_region = results.within_case_type("disposed_within_26_weeks_share", by="region")
    assert set(by_region["region"]) == {"north_east", "wales"}
    assert set(results.within_case_type(by="age_band")["case_type"]) == {"public_law", "private_law", "domestic_abuse"}
    assert list(results.drift["indicator"])[:1] == ["public_law_mean_weeks"]


def test_the_same_seed_gives_the_same_results_as_the_command_line(results: api.Results, tmp_path: Path) -> None:
    from sim.cli.main import main

    out = tmp_path / "cli"
    assert main(["run", str(SMALL), "--replications", "2", "--out", str(out), "--workers", "1", "--no-report"]) == 0
    assert not (out / "report.html").exists()
    again = api.open_results(out)
    pd.testing.assert_frame_equal(again.summary, results.summary)


def test_open_results_and_run_refuse_the_wrong_directory(results: api.Results, tmp_path: Path) -> None:
    from sim.experiment.results_folder import RunDirectoryError

    with pytest.raises(api.ResultsDirError, match="not a results directory"):
        api.open_results(tmp_path)
    with pytest.raises(RunDirectoryError, match="not empty"):
        api.run(SMALL, replications=1, out=results.out)


# ---------------------------------------------------------------------------------------------- docs/analysis.md
def test_the_worked_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """Run every Python block of docs/analysis.md in order, in one namespace, from the checkout's root."""
    blocks = PYTHON_BLOCK.findall(ANALYSIS.read_text(encoding="utf-8"))
    assert len(blocks) >= 8
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the example's runs go to temporary directories: keep them here
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    namespace: dict = {"__name__": "analysis"}
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"docs/analysis.md block {i + 1}", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message says which block failed
            raise AssertionError(f"docs/analysis.md block {i + 1} failed: {exc!r}\n{block}") from exc
    out = capsys.readouterr().out
    assert "small -> more_circuit_judges" in out
    assert "report.html" in out and "journey_rep-0000.ocel.json" in out
    assert namespace["results"].out.is_relative_to(tmp_path)
    assert isinstance(namespace["comparison"], api.Comparison)
    table = namespace["table"]
    assert {"difference", "ci95_low", "ci95_high"} <= set(table.columns) and len(table) == 1


def test_the_facade_names_what_it_offers() -> None:
    """``from sim.api import *`` gives a notebook the facade's functions and classes, and nothing private."""
    import inspect

    defined_here = {
        name
        for name, value in vars(api).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and getattr(value, "__module__", "") == api.__name__
    }
    assert defined_here <= set(api.__all__)
    assert all(hasattr(api, name) for name in api.__all__)
    assert not [name for name in api.__all__ if name.startswith("_")]
    assert len(api.__all__) < 30
