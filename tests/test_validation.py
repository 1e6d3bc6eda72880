"""Validation against published figures: each figure is measured at its own date, as it is published, and a
figure dated outside the run is listed as such, not compared."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.analysis.periods import last_day
from sim.analysis.trajectory import MEASURES, STOCKS
from sim.experiment.backcast import backcast
from sim.experiment.model_calibration.measures import MEASURES as CALIBRATION_MEASURES
from sim.experiment.model_calibration.measures import indicators_measure, run_end_date
from sim.experiment.replications import run_experiment
from sim.experiment.run_tables import read_table
from sim.experiment.validation import (
    COMPARED,
    OUTSIDE,
    Figure,
    FiguresError,
    model_values,
    published_figures,
    run_period,
    summary_lines,
    to_markdown,
    validate_run,
    validation_table,
)
from sim.model.replication import Replication
from sim.scenario.loading import scenario_from_dict
from tests.conftest import SMALL, scenario_data

ROOT = Path(__file__).resolve().parents[1]
d = dt.date


def _figure(key: str, indicator: str, start: dt.date | None, date: dt.date, published: float = 100.0) -> Figure:
    return Figure(
        key=key,
        label=key.replace("_", " "),
        indicator=indicator,
        published=published,
        period=f"{start} to {date}" if start else str(date),
        start=start,
        date=date,
        source="made up",
        tolerance=0.10,
        calibrated=False,
        if_missed=f"what would explain {key}",
    )


ABOUT = {
    "generated": "today",
    "scenario": "x.yaml",
    "seed": 1,
    "replications": 3,
    "run_years": 1,
    "start_date": "2024-01-01",
    "last_day": "2024-12-31",
    "warm_up_days": 0,
    "model": "agenda",
    "out": "dir",
}


def test_every_published_figure_has_a_date_a_source_a_tolerance_and_an_explanation() -> None:
    figures = published_figures()
    assert len(figures) >= 10
    for figure in figures:
        assert figure.source and figure.period and figure.if_missed
        assert 0 < figure.tolerance <= 0.25
        assert figure.indicator in MEASURES and isinstance(figure.date, dt.date)
        # a stock is read at its date; a flow has the first day of its period too
        assert (figure.start is None) == (figure.indicator in STOCKS)
        assert figure.start is None or figure.start <= figure.date


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"indicator": "public_law_mean_weeks", "date": d(2023, 12, 31)}, "give its first day as start"),
        ({"indicator": "public_law_outstanding_nao", "start": d(2024, 1, 1), "date": d(2024, 12, 31)}, "give no start"),
        ({"indicator": "public_law_weeks", "date": d(2024, 12, 31)}, "is not one the model measures"),
        ({"indicator": "public_law_outstanding_nao", "date": "December 2024"}, "date must be a day"),
    ],
)
def test_a_figure_without_its_dates_is_refused_with_the_file_and_figure_named(
    tmp_path: Path, entry: dict, message: str
) -> None:
    good = {k: v for k, v in vars(_figure("x", "public_law_outstanding_nao", None, d(2024, 12, 31))).items()}
    del good["key"], good["start"], good["indicator"], good["date"]
    path = tmp_path / "figures.yaml"
    path.write_text(yaml.safe_dump({"a_figure": {**good, **entry}}), encoding="utf-8")
    with pytest.raises(FiguresError, match=f"figures.yaml: a_figure: .*{message}"):
        published_figures(path)


def test_a_miss_is_a_miss_with_its_explanation_and_a_figure_outside_the_run_is_listed_not_compared() -> None:
    figures = [
        _figure("missed", "public_law_mean_weeks", d(2024, 1, 1), d(2024, 3, 31), published=40),
        _figure("met", "public_law_outstanding_nao", None, d(2024, 12, 31), published=1000),
        _figure("before", "public_law_mean_weeks", d(2023, 10, 1), d(2023, 12, 31)),
        _figure("straddles_the_end", "public_law_cases_started", d(2024, 10, 1), d(2025, 3, 31)),
    ]
    values = pd.DataFrame(
        [(r, "missed", 60.0) for r in range(3)]
        + [(r, "met", 1000.0 + 10 * r) for r in range(3)]
        + [(r, "before", 100.0) for r in range(3)],  # a value for a figure outside the run is never used
        columns=["replication", "key", "value"],
    )
    run = (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"))
    table = validation_table(values, run, figures).set_index("key")
    assert table["status"].tolist() == [COMPARED, COMPARED, OUTSIDE, OUTSIDE]
    assert table["within_tolerance"].tolist() == [False, True, False, False]
    assert table.loc["missed", "difference"] == pytest.approx(20)
    assert table.loc["missed", "difference_share"] == pytest.approx(0.5)
    assert table.loc["met", "model_mean"] == pytest.approx(1010)
    assert table.loc["met", "ci95_low"] < 1010 < table.loc["met", "ci95_high"]
    assert table.loc["before", "replications"] == 0 and pd.isna(table.loc["before", "model_mean"])
    assert table.loc["straddles_the_end", "measured_at"] == "2024-10-01 to 2025-03-31"
    text = to_markdown(table.reset_index(), ABOUT)
    assert "**no**" in text and "what would explain missed" in text
    assert "what would explain met" not in text and "what would explain before" not in text
    assert (
        "| before | 100.0 (2023-10-01 to 2023-12-31, made up) | 2023-10-01 to 2023-12-31 | – | – | outside the run"
        in text
    )
    assert "outside the run (results 2024-01-01 to 2024-12-31)" in text
    assert "2 of 4 figures are dated outside" in text
    lines = summary_lines(table.reset_index())
    assert lines[0].startswith("MISS") and lines[1].startswith("ok") and lines[2].startswith("out")


def _demand_triples_in_july(run_years: float = 1) -> dict:
    data = scenario_data(SMALL)
    data["run_years"] = run_years
    data["policies"] = [
        {"name": "public law demand triples", "date": "2024-07-01", "scale": {"demand.public_law.cases_per_year": 3}}
    ]
    return data


def test_a_figure_inside_the_run_is_measured_at_its_own_date_not_over_the_whole_run(tmp_path: Path) -> None:
    """Public law demand triples from July: cases started in the last quarter, and cases outstanding at the end
    of the year, are the model's at those dates, well above what the whole year would give."""
    loaded = scenario_from_dict(_demand_triples_in_july(), "small, demand triples in July")
    run_experiment(loaded, tmp_path, replications=2)
    figures = [
        _figure("started_q1", "public_law_cases_started", d(2024, 1, 1), d(2024, 3, 31)),
        _figure("started_q4", "public_law_cases_started", d(2024, 10, 1), d(2024, 12, 31)),
        _figure("started_in_the_year", "public_law_cases_started", d(2024, 1, 1), d(2024, 12, 31)),
        _figure("open_at_midyear", "public_law_outstanding_nao", None, d(2024, 6, 30)),
        _figure("open_at_the_end", "public_law_outstanding_nao", None, d(2024, 12, 31)),
    ]
    children, timeline = read_table(tmp_path, "children"), read_table(tmp_path, "timeline")
    table = validation_table(model_values(children, timeline, loaded, figures), run_period(loaded), figures)
    mean = table.set_index("key")["model_mean"]
    assert (table["status"] == COMPARED).all() and (table["replications"] == 2).all()
    # counted here from the children table: public law cases issued in the last quarter, one per case
    issued = children[(children["case_type"] == "public_law") & children["days_in_proceedings"].notna()]
    cases = issued.drop_duplicates(["replication", "case_id"])
    in_q4 = pd.to_datetime(cases["start_date"]).between("2024-10-01", "2024-12-31")
    assert mean["started_q4"] == pytest.approx(in_q4.groupby(cases["replication"]).sum().mean())
    # the at-date value, not the average quarter of the year, nor the first quarter
    assert mean["started_q4"] > 1.3 * mean["started_in_the_year"] / 4
    assert mean["started_q4"] > 2 * mean["started_q1"]
    assert mean["open_at_the_end"] > 1.5 * mean["open_at_midyear"]


@pytest.mark.parametrize("start", [d(2023, 1, 1), d(2024, 1, 1)])
def test_a_point_on_the_last_day_of_the_run_is_measured_by_validation_calibration_and_backcast(
    tmp_path: Path, start: dt.date
) -> None:
    """One definition of the last day (start + run_years years - 1 day, sim.analysis.periods.last_day): a point
    dated on it is inside the run for the validation, the model calibration's measures and the back-cast. A
    one-year run from 2023 and one from 2024 (a leap year) both end on 31 December."""
    data = scenario_data(SMALL)
    data["start_date"] = start
    loaded = scenario_from_dict(data, f"small from {start}")
    last = d(start.year, 12, 31)
    assert last_day(start, 1).date() == last == run_end_date(loaded) == run_period(loaded)[1].date()
    points = pd.DataFrame(
        {
            "indicator": ["public_law_outstanding_nao", "public_law_cases_started"],
            "period": [str(last), str(start.year)],
            "start": [pd.NaT, pd.Timestamp(start)],
            "date": [pd.Timestamp(last)] * 2,
            "value": [100.0, 100.0],
            "source": ["made up"] * 2,
            "fitted": [True] * 2,
            "measured": [True] * 2,
        }
    )
    result = backcast(loaded, tmp_path, replications=2, points=points)
    assert result.table["model"].notna().all() and len(result.table) == 2
    # the validation, on the same run
    figures = [
        _figure("open", "public_law_outstanding_nao", None, last),
        _figure("started", "public_law_cases_started", start, last),
    ]
    children, timeline = read_table(tmp_path, "children"), read_table(tmp_path, "timeline")
    table = validation_table(model_values(children, timeline, loaded, figures), run_period(loaded), figures)
    assert (table["status"] == COMPARED).all() and table["model_mean"].notna().all()
    if start.year == 2024:  # the NAO's outstanding cases, published at 31 December 2024
        nao = validate_run(tmp_path, loaded).set_index("key").loc["public_law_outstanding_cases"]
        assert nao["status"] == COMPARED and nao["measured_at"] == "2024-12-31" and nao["replications"] == 2
    # the model calibration's measures: the run's indicators are dated on the last day, and the trajectory
    # measure reads the same points there
    assert set(indicators_measure(tmp_path, loaded, points)["date"]) == {last}
    measured = CALIBRATION_MEASURES["trajectory"](tmp_path, loaded, points[["indicator", "date", "period"]])
    assert set(measured["date"]) == {last} and measured["model"].notna().all()
    assert len(measured) == 4  # two points, two replications


@pytest.mark.slow
def test_the_baseline_inputs_over_2023_and_2024_are_compared_with_every_figure_at_its_date(tmp_path: Path) -> None:
    """One replication of the baseline's inputs with results over 2023 and 2024 (after its warm-up): every figure
    dated inside the run is compared at its date, the Cafcass caseloads of December 2024 to January 2025 are
    listed as outside the run, and the figures that are inputs hold. The 2023 times to disposal are not claimed
    here: the baseline is fitted to the 2018-2023 trajectory through the back-cast, whose own test holds them
    (tests/test_backcast.py); with 2024's inputs from an empty start, 2023 public law comes out near 36 weeks."""
    data = yaml.safe_load((ROOT / "scenarios" / "baseline.yaml").read_text())
    data = copy.deepcopy(data)
    data["start_date"], data["run_years"] = d(2023, 1, 1), 2
    loaded = scenario_from_dict(data, "baseline (2023 and 2024)")
    Replication(loaded, 0, tmp_path).run()
    values = model_values(
        pd.read_parquet(tmp_path / "children.parquet"), pd.read_parquet(tmp_path / "timeline.parquet"), loaded
    )
    table = validation_table(values, run_period(loaded)).set_index("key")
    assert len(table) == len(published_figures())
    outside = ["cafcass_long_term_caseload", "cafcass_short_term_caseload"]
    assert (table.loc[outside, "status"] == OUTSIDE).all()
    assert (table.drop(index=outside)["status"] == COMPARED).all()
    assert table.drop(index=outside)["model_mean"].notna().all()
    for key in ("public_law_issued_per_year", "public_law_children_per_case"):  # inputs, not results
        assert table.loc[key, "within_tolerance"], table.loc[key, ["model_mean", "published"]].to_dict()
    # Private law returns to court (mean 18 months after an order) build up over the warm-up from empty, so new
    # private law cases may be short of the steady state.
    assert table.loc["private_law_issued_per_year", "model_mean"] == pytest.approx(51_473, rel=0.10)


# ------------------------------------------------------------------------------------------ the command
CHEAP = ["--replications", "2", "--workers", "1"]


def test_validation_writes_its_record_into_a_new_results_folder_not_the_docs(tmp_path, monkeypatch, capsys) -> None:
    from sim.cli.main import main

    tracked = (ROOT / "docs" / "validation.md").read_bytes()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "validation.md").write_text("kept\n")
    monkeypatch.chdir(tmp_path)
    assert main(["validation", str(SMALL), *CHEAP]) == 0
    (made,) = (tmp_path / "results").iterdir()
    assert made.name.startswith("validation-small-")
    record = (made / "validation.md").read_text(encoding="utf-8")
    assert record.startswith("# Validation against published figures")
    assert f"validation {SMALL} --replications 2 --model agenda --docs" in record
    assert "With 2 replications (fewer than 5) the intervals are rough" in record
    table = pd.read_csv(made / "validation.csv")
    assert len(table) == len(published_figures())
    assert (table["rough"] == (table["replications"] > 0)).all()  # 2 replications wherever measured
    assert (tmp_path / "docs" / "validation.md").read_text() == "kept\n"
    assert (ROOT / "docs" / "validation.md").read_bytes() == tracked
    out = capsys.readouterr().out
    assert f"wrote {Path('results') / made.name / 'validation.csv'}" in out and "docs" not in out.splitlines()[-1]


def test_validation_writes_docs_only_when_asked(tmp_path, monkeypatch, capsys) -> None:
    from sim.cli.main import main

    monkeypatch.chdir(tmp_path)
    assert main(["validation", str(SMALL), *CHEAP, "--docs", "--out", "run"]) == 2  # no docs/ folder here
    assert "has no docs/ folder" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
    (tmp_path / "docs").mkdir()
    assert main(["validation", str(SMALL), *CHEAP, "--docs", "--out", "run"]) == 0
    written = (tmp_path / "docs" / "validation.md").read_text(encoding="utf-8")
    assert written == (tmp_path / "run" / "validation.md").read_text(encoding="utf-8")
    assert str(Path("docs") / "validation.md") in capsys.readouterr().out
    (tmp_path / "docs" / "validation.md").unlink()
    assert main(["validation", str(SMALL), "--from-run", "run", "--write", "elsewhere.md"]) == 0
    assert (tmp_path / "elsewhere.md").read_text(encoding="utf-8") == written
    assert not (tmp_path / "docs" / "validation.md").exists()
    assert main(["validation", str(SMALL), "--from-run", str(tmp_path / "docs")]) == 2
    assert "has no children.parquet" in capsys.readouterr().err


def test_validation_of_a_finished_run_measures_it_against_its_own_scenario(tmp_path, monkeypatch, capsys) -> None:
    """--from-run with no SCENARIO reads the run's scenario from its manifest (not the baseline, whose dates would
    be the wrong ones), and a SCENARIO that is not the run's own is refused before anything is written."""
    from sim.cli.main import main

    monkeypatch.chdir(tmp_path)
    later = tmp_path / "later.yaml"
    later.write_text(f"extends: {SMALL}\nname: later\nstart_date: 2025-01-01\n", encoding="utf-8")
    assert main(["validation", str(later), *CHEAP, "--out", "run", "--allow-root", str(SMALL.parent)]) == 0
    fresh = (tmp_path / "run" / "validation.csv").read_bytes()
    assert main(["validation", "--from-run", "run"]) == 0
    assert (tmp_path / "run" / "validation.csv").read_bytes() == fresh
    record = (tmp_path / "run" / "validation.md").read_text(encoding="utf-8")
    assert "Scenario `later.yaml`" in record and "from 2025-01-01" in record
    assert main(["validation", str(SMALL), "--from-run", "run"]) == 2
    assert "was not made from" in capsys.readouterr().err
    assert (tmp_path / "run" / "validation.csv").read_bytes() == fresh


def test_validation_exits_1_when_a_replication_failed_after_writing_what_it_could(tmp_path, failing_runs, capsys):
    from sim.cli.main import main

    failing_runs(lambda rep: rep.replication == 1, ZeroDivisionError("boom in replication 1"))
    out = tmp_path / "out"
    assert main(["validation", str(SMALL), "--replications", "3", "--workers", "1", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "boom in replication 1" in err and "1 replication(s) failed (1)" in err
    table = pd.read_csv(out / "validation.csv")
    assert set(table.loc[table["status"] == COMPARED, "replications"]) == {2}
    assert "(2 replications," in (out / "validation.md").read_text(encoding="utf-8")
    assert main(["validation", str(SMALL), "--from-run", str(out)]) == 1  # the run it reads had a failure too

    failing_runs(lambda rep: True, ZeroDivisionError("boom"))
    nothing = tmp_path / "nothing"
    assert main(["validation", str(SMALL), *CHEAP, "--out", str(nothing)]) == 1
    assert "every replication failed" in capsys.readouterr().err
    assert not (nothing / "validation.md").exists() and not (nothing / "validation.csv").exists()


def test_a_malformed_figures_file_is_reported_before_anything_runs(tmp_path, monkeypatch, capsys) -> None:
    import sim.experiment.validation as validation
    from sim.cli.main import main

    broken = tmp_path / "published_figures.yaml"
    broken.write_text("a_figure: {label: x, indicator: public_law_mean_weeks, date: 2023-12-31}\n", encoding="utf-8")
    real = validation.published_figures
    monkeypatch.setattr(validation, "published_figures", lambda: real(broken))
    out = tmp_path / "out"
    assert main(["validation", str(SMALL), *CHEAP, "--out", str(out)]) == 2
    assert "error: published_figures.yaml: a_figure:" in capsys.readouterr().err
    assert not out.exists()


def test_a_run_recorded_before_a_key_was_added_at_an_empty_default_is_still_its_scenarios_run() -> None:
    """A key added to the schema after a run, at a default that changes nothing (a share of 0, no index), does not
    make the run another scenario's; a key at any other value, one the run had that is gone, or a changed value does."""
    import copy

    from sim import api
    from sim.experiment.manifest import resolved_scenario, same_model_input

    loaded = api.with_changes(api.load(SMALL), {"private_law.first_disposal_at_first_hearing_share": 0.0})
    now = resolved_scenario(loaded)
    before = copy.deepcopy(now)
    del before["private_law"]["first_disposal_at_first_hearing_share"]  # recorded before the key existed
    assert same_model_input(loaded, "another hash", before)
    assert not same_model_input(loaded, "another hash", None)  # nothing recorded to compare with
    set_later = api.with_changes(loaded, {"private_law.first_disposal_at_first_hearing_share": 0.4})
    assert not same_model_input(set_later, "another hash", before)
    gone = copy.deepcopy(now)
    gone["private_law"]["a_key_since_removed"] = 1
    assert not same_model_input(loaded, "another hash", gone)
    changed = copy.deepcopy(before)
    changed["private_law"]["resolved_at_dra_share"] = 0.5
    assert not same_model_input(loaded, "another hash", changed)


def test_a_run_written_before_the_first_disposal_column_is_still_validated(tmp_path, monkeypatch) -> None:
    """Runs written before days_to_first_disposal existed have no such column: validation reads what they have
    (private law's first disposal is then its final order) instead of refusing the run."""
    import pyarrow.parquet as pq

    from sim.cli.main import main

    monkeypatch.chdir(tmp_path)
    assert main(["validation", str(SMALL), *CHEAP, "--out", "run"]) == 0
    fresh = pd.read_csv(tmp_path / "run" / "validation.csv")
    for path in (tmp_path / "run").glob("replications/*/children.parquet"):
        table = pq.read_table(path)
        pq.write_table(table.drop_columns(["days_to_first_disposal"]), path)
    assert main(["validation", "--from-run", "run"]) == 0
    older = pd.read_csv(tmp_path / "run" / "validation.csv")
    unchanged = ~older.apply(lambda row: "first_disposal" in " ".join(map(str, row)), axis=1)
    assert (~unchanged).sum() == 1  # the one figure of first disposal: now read as the final order
    pd.testing.assert_frame_equal(older[unchanged], fresh[unchanged])
