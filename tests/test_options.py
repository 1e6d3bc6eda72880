"""The options study: a declared study file run against its base on common random numbers, the paired differences
and the elasticity it publishes, and a bad study file refused before anything runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli.main import main
from sim.experiment.options import ELASTICITY_COLUMNS, OPTIONS_COLUMNS, STUDY_INDICATORS
from sim.experiment.options_study import StudyError, load_study
from sim.outputs.options_record import reading_guide
from tests.conftest import SCENARIOS, SMALL

STUDY = SCENARIOS / "options" / "study.yaml"
INDICATOR_NAMES = [i.name for i in STUDY_INDICATORS]


def run_options(*args: str) -> int:
    return main(["options", *args, "--workers", "1"])


def per_replication(out: Path, scenario: str, indicator: str, group: str) -> pd.Series:
    table = pd.read_csv(out / "scenarios" / scenario / "indicators.csv")
    rows = table[(table.indicator == indicator) & (table.breakdown == "case_type") & (table.group == group)]
    return rows.set_index("replication")["value"]


def test_the_command_writes_the_declared_tables_and_a_record_that_says_how_it_was_made(
    tmp_path, monkeypatch, capsys
) -> None:
    (tmp_path / "docs").mkdir()
    monkeypatch.chdir(tmp_path)  # --docs writes docs/options.md where the command runs: here, not the repository
    out = tmp_path / "out"
    assert run_options(str(STUDY), "--replications", "2", "--seed", "7", "--out", str(out), "--docs") == 0
    table = pd.read_csv(out / "options.csv")
    assert list(table.columns) == OPTIONS_COLUMNS
    assert list(table["option"]) == ["more_hours"] * 5 + ["fewer_hours"] * 5  # options in the study's order
    assert list(table["indicator"]) == INDICATOR_NAMES * 2
    assert (table["replications"] == 2).all()
    assert table["measured_as"].iloc[0] == "time_to_disposal_weeks_mean [case_type=public_law]"
    elasticity = pd.read_csv(out / "elasticity.csv")
    assert list(elasticity.columns) == ELASTICITY_COLUMNS
    assert list(elasticity["indicator"]) == ["public_law_mean_weeks", "private_law_mean_weeks"]
    assert not (out / "scenarios" / "small" / "report.html").exists()  # no per-scenario reports

    record = (out / "options.md").read_text(encoding="utf-8")
    assert (tmp_path / "docs" / "options.md").read_text(encoding="utf-8") == record
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "No target was set" in record and "## How to read this" in record
    assert f"python run_sim.py options {STUDY} --replications 2 --seed 7 --docs" in record
    assert manifest["code"]["commit"][:12] in record
    for scenario in manifest["options"]:  # base and options, each with its resolved hash
        assert f"`{scenario['name']}`" in record and scenario["resolved_sha256"][:12] in record
    assert "What do 10% more sitting hours buy in the small system?" in record
    limits = record.split("### Known limits that bear on these options\n\n", 1)[1]  # the study's, under the guide
    assert limits.startswith("- The small system's private law answers sitting hours more strongly")
    assert record.index("## How to read this") < record.index("### Known limits") < record.index("## How it was made")
    printed = capsys.readouterr().out
    assert "more_hours: public_law_mean_weeks" in printed and "elasticity: public_law_mean_weeks" in printed
    assert not list(out.rglob(".*.partial"))


def test_a_study_without_known_limits_has_no_such_section() -> None:
    about = {"period": "2024-01-01 to 2024-12-31"}
    assert not any("Known limits" in line for line in reading_guide(about, []))
    assert "- a limit" in reading_guide(about, ["a limit"])


def test_each_difference_is_the_mean_of_the_replications_paired_differences(tmp_path) -> None:
    out = tmp_path / "out"
    assert run_options(str(STUDY), "--replications", "3", "--out", str(out)) == 0
    table = pd.read_csv(out / "options.csv").set_index(["option", "indicator"])
    for indicator in STUDY_INDICATORS:
        base = per_replication(out, "small", indicator.indicator, indicator.group)
        option = per_replication(out, "fewer_hours", indicator.indicator, indicator.group)
        differences = (option - base).dropna()
        row = table.loc[("fewer_hours", indicator.name)]
        assert row["replications"] == len(differences) == 3
        assert row["difference_mean"] == pytest.approx(differences.mean())
        assert row["base_mean"] == pytest.approx(base.mean()) and row["option_mean"] == pytest.approx(option.mean())
        half = row["difference_ci95_high"] - row["difference_mean"]  # Student-t, 2 degrees of freedom
        assert half == pytest.approx(4.302653 * differences.std(ddof=1) / np.sqrt(3), rel=1e-5)


def congested_study(tmp_path: Path, percent: int) -> Path:
    """The small system with 60% of its sitting hours for two years, and options with `percent` more and fewer."""
    hours = {"north_east": (1.56, 4.44, 2.52), "wales": (0.78, 2.22, 1.26)}  # 60% of small.yaml's
    regions = "".join(
        f"  {region}:\n    court:\n      sitting_hours_per_day: {{magistrates: {m}, district_judge: {d}, "
        f"circuit_judge: {c}}}\n"
        for region, (m, d, c) in hours.items()
    )
    (tmp_path / "base.yaml").write_text(
        f"extends: {SMALL}\nname: congested\nrun_years: 2\nregions:\n{regions}", encoding="utf-8"
    )
    for name, factor in (("more_court", 1 + percent / 100), ("less_court", 1 - percent / 100)):
        (tmp_path / f"{name}.yaml").write_text(
            f"extends: base.yaml\nname: {name}\npolicies:\n  - name: {name}\n    date: 2024-01-01\n"
            f'    scale: {{"regions.*.court.sitting_hours_per_day.*": {factor}}}\n',
            encoding="utf-8",
        )
    study = tmp_path / "study.yaml"
    study.write_text(
        "base: base.yaml\noptions:\n"
        "  - {scenario: more_court.yaml, question: 'More court time?'}\n"
        "  - {scenario: less_court.yaml, question: 'Less court time?'}\n"
        f"elasticity:\n  up: {{option: more_court, days_sat_change_percent: {percent}}}\n"
        f"  down: {{option: less_court, days_sat_change_percent: -{percent}}}\n",
        encoding="utf-8",
    )
    return study


def test_more_court_time_shortens_public_law_and_the_elasticity_is_the_pairs_difference_per_point(tmp_path) -> None:
    out = tmp_path / "out"
    assert run_options(str(congested_study(tmp_path, 30)), "--replications", "3", "--out", str(out)) == 0
    table = pd.read_csv(out / "options.csv").set_index(["option", "indicator"])["difference_mean"]
    elasticity = pd.read_csv(out / "elasticity.csv").set_index("indicator")
    for name in ("public_law_mean_weeks", "private_law_mean_weeks"):
        by_hand = (table[("more_court", name)] - table[("less_court", name)]) / 60
        assert elasticity.loc[name, "per_percent_days_sat_mean"] == pytest.approx(by_hand)
        assert elasticity.loc[name, "replications"] == 3
    public = elasticity.loc["public_law_mean_weeks"]
    assert public["per_percent_days_sat_mean"] < 0  # in a congested court, more sitting time means shorter cases
    assert public["per_percent_days_sat_ci95_low"] < public["per_percent_days_sat_mean"]
    up = per_replication(out, "more_court", "time_to_disposal_weeks_mean", "public_law")
    down = per_replication(out, "less_court", "time_to_disposal_weeks_mean", "public_law")
    assert public["per_percent_days_sat_ci95_high"] - public["per_percent_days_sat_mean"] == pytest.approx(
        4.302653 * ((up - down) / 60).std(ddof=1) / np.sqrt(3), rel=1e-5
    )


# ---------------------------------------------------------------------------------------------- bad study files
def write_study(tmp_path: Path, body: str) -> Path:
    for name in ("more_hours", "fewer_hours"):
        (tmp_path / f"{name}.yaml").write_text(
            (SCENARIOS / "options" / f"{name}.yaml").read_text(encoding="utf-8").replace("../small.yaml", str(SMALL)),
            encoding="utf-8",
        )
    path = tmp_path / "study.yaml"
    path.write_text(f"base: {SMALL}\n{body}", encoding="utf-8")
    return path


OPTIONS = (
    "options:\n  - {scenario: more_hours.yaml, question: 'More?'}\n"
    "  - {scenario: fewer_hours.yaml, question: 'Fewer?'}\n"
)
PAIR = "elasticity:\n  up: {option: more_hours, days_sat_change_percent: 10}\n"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (OPTIONS + "titel: x\n", "study.yaml:5: titel: unknown key 'titel'; did you mean 'title'?"),
        ("options:\n  - {scenario: more_hours.yaml}\n", "study.yaml:3: options[0]: missing required key 'question'"),
        ("options:\n  - {scenario: nowhere.yaml, question: 'Q?'}\n", "study.yaml:3: options[0].scenario: "),
        ("options: []\n", "study.yaml:2: options: List should have at least 1 item"),
        (OPTIONS + PAIR + "  down: {option: more_hour, days_sat_change_percent: -10}\n", "'more_hour' is not one"),
        (OPTIONS + PAIR + "  down: {option: fewer_hours, days_sat_change_percent: 20}\n", "must be above"),
        (OPTIONS + PAIR, "study.yaml:5: elasticity: missing required key 'down'"),
        (OPTIONS + "docs_record: ../README.md\n", "study.yaml:5: docs_record: "),
        (
            "options:\n  - {scenario: more_hours.yaml, question: 'A?'}\n"
            "  - {scenario: more_hours.yaml, question: 'B?'}\n",
            "study.yaml:4: options[1].scenario: the scenario is named 'more_hours', as options[0]'s is",
        ),
    ],
)
def test_a_bad_study_file_names_file_line_and_key(tmp_path, body: str, expected: str) -> None:
    with pytest.raises(StudyError) as caught:
        load_study(write_study(tmp_path, body))
    assert expected in str(caught.value)


def test_a_problem_in_an_option_scenario_names_the_scenarios_own_line(tmp_path) -> None:
    study = write_study(tmp_path, OPTIONS)
    fewer = tmp_path / "fewer_hours.yaml"
    fewer.write_text(fewer.read_text(encoding="utf-8") + "run_years: 0\n", encoding="utf-8")
    with pytest.raises(StudyError) as caught:
        load_study(study)
    assert f"{fewer}:9: run_years" in str(caught.value)


def test_the_command_refuses_a_bad_study_file_and_writes_nothing(tmp_path, capsys) -> None:
    study = write_study(tmp_path, OPTIONS + "elasticity: {up: {option: more_hours}}\n")
    out = tmp_path / "out"
    assert run_options(str(study), "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert "error: the options study has problems" in err
    assert f"{study}:5: elasticity.up: missing required key 'days_sat_change_percent'" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_docs_outside_the_repository_root_is_refused_before_anything_runs(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_options(str(STUDY), "--out", str(tmp_path / "out"), "--docs") == 2
    assert "has no docs/ folder" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_repositorys_study_names_every_capacity_option_and_the_days_sat_pair() -> None:
    study = load_study(Path(__file__).resolve().parents[1] / "scenarios" / "options.yaml")
    assert study.base.scenario.name == "baseline"
    assert set(study.names) == {
        "more_judges",
        "fewer_judges",
        "more_cafcass",
        "pathfinder_everywhere",
        "da_listed_first",
        "care_demand_up",
        "capacity_shock",
        "listing_protocol",
    }
    assert all(question.strip() for question in study.questions.values())
    pair = study.spec.elasticity
    assert pair is not None and pair.percent_apart == 20
    for end in (pair.up, pair.down):  # the declared change is what the option does to days sat
        option = study.options[study.names.index(end.option)]
        [policy] = option.scenario.policies
        assert policy.scale == {
            "courts.capacity.days_sat_per_year": pytest.approx(1 + end.days_sat_change_percent / 100)
        }


def test_the_study_from_2024_asks_the_long_run_questions_from_the_2024_backlog() -> None:
    """Each option of options_from_2024.yaml makes the same change on the same date as the long-run option of its
    name, on the base that starts inside the 2024 backlog, and its record has a file of its own."""
    scenarios = Path(__file__).resolve().parents[1] / "scenarios"
    long_run = load_study(scenarios / "options.yaml")
    from_2024 = load_study(scenarios / "options_from_2024.yaml")
    assert from_2024.base.scenario.name == "from_2024"
    assert from_2024.spec.docs_record != long_run.spec.docs_record
    assert from_2024.spec.elasticity == long_run.spec.elasticity
    for option in from_2024.options:
        twin = long_run.options[long_run.names.index(option.scenario.name)]
        assert option.scenario.policies == twin.scenario.policies
        assert option.scenario.start_date == twin.scenario.start_date
