"""Validation against published figures: the table is computed as the published figures are measured."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.experiment.validation import model_values, published_figures, to_markdown, validation_table
from sim.model.replication import Replication
from sim.scenario.loading import scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]


def test_every_published_figure_has_a_source_a_tolerance_and_an_explanation() -> None:
    figures = published_figures()
    assert len(figures) >= 10
    for figure in figures:
        assert figure.source and figure.period and figure.if_missed
        assert 0 < figure.tolerance <= 0.25


def test_a_miss_is_shown_as_a_miss_with_its_explanation() -> None:
    figures = published_figures()[:2]
    values = pd.DataFrame(
        [(r, figures[0].key, figures[0].published * 1.5) for r in range(3)]
        + [(r, figures[1].key, figures[1].published * (1 + 0.01 * r)) for r in range(3)],
        columns=["replication", "key", "value"],
    )
    table = validation_table(values, figures)
    assert table["within_tolerance"].tolist() == [False, True]
    assert table.loc[0, "difference_share"] == pytest.approx(0.5)
    text = to_markdown(
        table,
        {
            "generated": "today",
            "scenario": "x.yaml",
            "seed": 1,
            "replications": 3,
            "run_years": 1,
            "start_date": "2024-01-01",
            "warm_up_days": 0,
            "out": "dir",
        },
    )
    assert "**no**" in text and figures[0].if_missed in text
    assert figures[1].if_missed not in text


@pytest.mark.slow
def test_the_baseline_reproduces_the_figures_it_was_calibrated_to(tmp_path: Path) -> None:
    """One replication, one year of results after the baseline's warm-up: the calibrated figures hold."""
    data = yaml.safe_load((ROOT / "scenarios" / "baseline.yaml").read_text())
    data = copy.deepcopy(data)
    data["run_years"] = 1
    loaded = scenario_from_dict(data, "baseline (one year)")
    Replication(loaded, 0, tmp_path).run()
    values = model_values(
        pd.read_parquet(tmp_path / "children.parquet"), pd.read_parquet(tmp_path / "timeline.parquet"), loaded
    )
    table = validation_table(values).set_index("key")
    assert len(table) == len(published_figures())
    assert table["model_mean"].notna().all()
    calibrated_or_inputs = (
        "public_law_mean_weeks",
        "public_law_median_weeks",
        "private_law_mean_weeks",
        "public_law_issued_per_year",
        "public_law_children_per_case",
    )
    for key in calibrated_or_inputs:
        assert table.loc[key, "within_tolerance"], table.loc[key, ["model_mean", "published"]].to_dict()
    # Private law returns to court (mean 18 months after an order) are still building up one year after a
    # two-year warm-up, so new private law cases are a few percent short of the steady state here.
    assert table.loc["private_law_issued_per_year", "model_mean"] == pytest.approx(51_473, rel=0.10)
    # The share within 26 weeks is calibrated too, but one year of one replication is noisy: a wider check.
    assert table.loc["public_law_within_26_weeks_share", "model_mean"] == pytest.approx(0.29, abs=0.06)


# ------------------------------------------------------------------------------------------ the command
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
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
    assert f"validation {SMALL} --replications 2 --docs" in record
    assert len(pd.read_csv(made / "validation.csv")) == len(published_figures())
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


def test_validation_exits_1_when_a_replication_failed_after_writing_what_it_could(tmp_path, monkeypatch, capsys):
    import sim.experiment.replications
    from sim.cli.main import main

    real = sim.experiment.replications.Replication

    class Flaky(real):
        def run(self):
            if self.replication == 1:
                raise ZeroDivisionError("boom in replication 1")
            return super().run()

    monkeypatch.setattr(sim.experiment.replications, "Replication", Flaky)
    out = tmp_path / "out"
    assert main(["validation", str(SMALL), "--replications", "3", "--workers", "1", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "boom in replication 1" in err and "1 replication(s) failed (1)" in err
    table = pd.read_csv(out / "validation.csv")
    assert set(table["replications"]) <= {2}
    assert "(2 replications," in (out / "validation.md").read_text(encoding="utf-8")
    assert main(["validation", str(SMALL), "--from-run", str(out)]) == 1  # the run it reads had a failure too

    class Broken(real):
        def run(self):
            raise ZeroDivisionError("boom")

    monkeypatch.setattr(sim.experiment.replications, "Replication", Broken)
    nothing = tmp_path / "nothing"
    assert main(["validation", str(SMALL), *CHEAP, "--out", str(nothing)]) == 1
    assert "every replication failed" in capsys.readouterr().err
    assert not (nothing / "validation.md").exists() and not (nothing / "validation.csv").exists()
