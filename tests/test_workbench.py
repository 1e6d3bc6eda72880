"""The scenario page's parts without a browser (sim.workbench): the levers a base offers, the option it writes and
how the loader checks it, saving without overwriting, the stored runs, a comparison with a stored run through the
compare machinery, runs that fail or are stopped, and a page that answers only its own forms."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, SMALL
from flask.testing import FlaskClient

from sim.cli.main import main
from sim.scenario.loading import load_scenario
from sim.scenario.yaml_file import ScenarioError
from sim.workbench import levers
from sim.workbench.app import Settings, create_app
from sim.workbench.jobs import JobRunner, reserve_folder
from sim.workbench.stored_comparison import compare_with_stored
from sim.workbench.stored_runs import stored_run, stored_runs

BASELINE = ROOT / "scenarios" / "baseline.yaml"
MORE_JUDGES = ROOT / "scenarios" / "more_judges.yaml"
WAIT_SECONDS = 60


def base_form(found: list[levers.Lever]) -> dict[str, str]:
    return {lever.field: lever.shown for lever in found}


# ---------------------------------------------------------------------------------------------- levers and options
def test_the_levers_follow_how_the_base_sets_court_time() -> None:
    baseline = load_scenario(BASELINE).scenario
    national = {lever.key: lever.base for lever in levers.levers(load_scenario(BASELINE))}
    # derived from days sat: the national days and each region's court hours per case (1 where the file is silent)
    assert national["courts.capacity.days_sat_per_year"] == baseline.courts.capacity.days_sat_per_year
    index = baseline.courts.capacity.capacity_per_case_index
    assert national["courts.capacity.capacity_per_case_index.wales"] == index.get("wales", 1.0)
    assert national["courts.capacity.capacity_per_case_index.london"] == index.get("london", 1.0)
    assert (
        national["regions.london.cafcass.long_term_advisers"] == baseline.regions["london"].cafcass.long_term_advisers
    )
    assert national["demand.private_law.cases_per_year"] == baseline.demand["private_law"].cases_per_year
    assert national["regions.wales.pathfinder_from"] == baseline.regions["wales"].pathfinder_from
    da_rank = national["courts.listing.rank_by_class.private_law_with_domestic_abuse"]
    assert da_rank == baseline.courts.listing.rank_by_class["private_law_with_domestic_abuse"]
    assert {lever.group for lever in levers.levers(load_scenario(BASELINE))} == set(levers.GROUPS)
    small = {lever.key for lever in levers.levers(load_scenario(SMALL))}  # hours set by hand, region by region
    assert "regions.north_east.court.sitting_hours_per_day.district_judge" in small
    assert not any(key.startswith("courts.capacity") for key in small)


def test_a_lever_shows_the_value_in_force_on_the_date_not_before_the_bases_own_policy() -> None:
    days = load_scenario(BASELINE).scenario.courts.capacity.days_sat_per_year
    shown = {lever.key: lever.base for lever in levers.levers(load_scenario(MORE_JUDGES))}
    assert shown["courts.capacity.days_sat_per_year"] == pytest.approx(days * 1.1)


def test_only_the_fields_that_differ_from_the_base_are_changes() -> None:
    found = levers.levers(load_scenario(SMALL))
    form = base_form(found)
    assert levers.changes(found, form) == {}
    form["set:regions.wales.cafcass.long_term_advisers"] = "4.0"  # the same number
    form["set:regions.north_east.pathfinder_from"] = "NEVER"  # as in the base
    form["set:demand.public_law.cases_per_year"] = ""  # left empty: as in the base
    assert levers.changes(found, form) == {}
    form["set:regions.north_east.pathfinder_from"] = "2025-04-01"
    form["set:regions.wales.pathfinder_from"] = "never"
    form["set:regions.north_east.cafcass.short_term_advisers"] = "lots"  # left for the loader to word
    assert levers.changes(found, form) == {
        "regions.north_east.cafcass.short_term_advisers": "lots",
        "regions.north_east.pathfinder_from": dt.date(2025, 4, 1),
        "regions.wales.pathfinder_from": None,
    }


def test_an_option_keeps_its_bases_policies_and_adds_its_changes_from_the_start_date(tmp_path: Path) -> None:
    base = load_scenario(MORE_JUDGES)
    changed = {"regions.wales.cafcass.long_term_advisers": 120}
    text = levers.option_text(base, str(MORE_JUDGES), "judges_and_advisers", "", "", changed)
    option = levers.check_option(text, tmp_path / "judges_and_advisers.yaml")
    assert [p.name for p in option.scenario.policies] == ["10% more days sat", levers.POLICY_NAME]
    from_start, before = option.periods[-1][1], option.scenario
    assert from_start.courts.capacity.days_sat_per_year == pytest.approx(before.courts.capacity.days_sat_per_year * 1.1)
    assert from_start.regions["wales"].cafcass.long_term_advisers == 120
    assert before.regions["wales"].cafcass.long_term_advisers != 120  # the warm-up runs on the base
    saved = levers.option_text(base, "more_judges.yaml", "judges_and_advisers", "", "", changed)
    assert saved.count("\n") == text.count("\n") and "extends: more_judges.yaml" in saved


def test_a_bad_value_gets_the_message_validate_gives_for_the_saved_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(SMALL, tmp_path)
    base = load_scenario(tmp_path / "small.yaml")
    changed = {"regions.wales.cafcass.long_term_advisers": -3, "courts.listing.rank_by_class.domestic_abuse": 7}
    target = tmp_path / "bad.yaml"
    draft = levers.option_text(base, str(tmp_path / "small.yaml"), "bad", "", "", changed)
    with pytest.raises(ScenarioError) as raised:
        levers.check_option(draft, target)
    assert not target.exists()  # checking writes nothing beside the base
    target.write_text(levers.option_text(base, "small.yaml", "bad", "", "", changed), encoding="utf-8")
    assert main(["validate", str(target)]) == 2
    printed = [line for line in capsys.readouterr().err.splitlines() if line.startswith(str(target))]
    assert str(raised.value).splitlines() == printed and len(printed) == 2


def test_saving_never_replaces_a_file_unless_asked(tmp_path: Path) -> None:
    target = tmp_path / "option.yaml"
    assert levers.save_option("first\n", target) == target
    with pytest.raises(levers.OptionExists, match="already exists"):
        levers.save_option("second\n", target)
    assert target.read_text() == "first\n"
    levers.save_option("third\n", target, replace=True)
    assert target.read_text() == "third\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["option.yaml"]  # no temporary file left


# ---------------------------------------------------------------------------------------------- stored runs
@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """results/ holding a comparison, through the command line, of the small scenario and fewer court hours."""
    folder = tmp_path_factory.mktemp("stored")
    option = folder / "fewer_hours.yaml"
    option.write_text(
        f"extends: {SMALL}\nname: fewer_hours\npolicies:\n  - name: fewer hours\n    date: 2024-01-01\n"
        "    set: {regions.north_east.court.sitting_hours_per_day.district_judge: 5.5}\n",
        encoding="utf-8",
    )
    out = folder / "results" / "compare-small"
    argv = ["compare", str(SMALL), str(option), "--replications", "2", "--workers", "1", "--no-report"]
    assert main([*argv, "--out", str(out)]) == 0
    return out


def test_the_stored_runs_are_the_finished_runs_under_results(compared: Path, tmp_path: Path) -> None:
    results = compared.parent
    found = stored_runs(results)
    assert {(r.scenario, r.within, r.replications) for r in found} == {
        ("small", "compare-small", (0, 1)),
        ("fewer_hours", "compare-small", (0, 1)),
    }
    assert {r.root_seed for r in found} == {load_scenario(SMALL).scenario.seed}
    unfinished = tmp_path / "unfinished"
    shutil.copytree(compared / "scenarios" / "small", unfinished)
    manifest = json.loads((unfinished / "manifest.json").read_text())
    (unfinished / "manifest.json").write_text(json.dumps({**manifest, "status": "running"}))
    assert stored_run(unfinished) is None and stored_run(tmp_path) is None


def test_a_comparison_with_a_stored_run_gives_compares_differences(compared: Path, tmp_path: Path) -> None:
    option = load_scenario(compared.parent.parent / "fewer_hours.yaml")
    stored = stored_run(compared / "scenarios" / "small")
    assert stored is not None
    expected = pd.read_csv(compared / "compare.csv")
    # the option as it ran in the comparison, and the option run again on the stored run's seed and replications
    for option_run, out in ((compared / "scenarios" / "fewer_hours", tmp_path / "reused"), (None, tmp_path / "again")):
        table, failed = compare_with_stored(option, stored, out, option_run=option_run)
        assert failed == 0
        written = pd.read_csv(out / "compare.csv")
        pd.testing.assert_frame_equal(written, expected)
        assert (out / "scenarios").exists() == (option_run is None)
        report = (out / "comparison.html").read_text(encoding="utf-8")
        assert "<th>small (base)</th>" in report and "<th>fewer_hours</th>" in report


def test_an_option_compared_with_a_stored_run_runs_on_the_stored_runs_model(tmp_path: Path, capsys) -> None:
    """A run from ``run`` was simulated day by day (the agenda): the option runs day by day too, so the differences
    are the option's, not the models'. An option the agenda cannot follow is refused, with what to do."""
    from sim.workbench.stored_comparison import compare_option_with_stored_run

    base = tmp_path / "results" / "small"
    assert main(["run", str(SMALL), "--replications", "2", "--workers", "1", "--no-report", "--out", str(base)]) == 0
    stored = stored_run(base)
    assert stored is not None and json.loads((base / "manifest.json").read_text())["run_options"]["model"] == "agenda"
    option = tmp_path / "fewer_hours.yaml"
    option.write_text(
        f"extends: {SMALL}\nname: fewer_hours\npolicies:\n  - name: fewer hours\n    date: 2024-01-01\n"
        "    set: {regions.north_east.court.sitting_hours_per_day.district_judge: 5.5}\n",
        encoding="utf-8",
    )
    out = tmp_path / "compared"
    _, failed = compare_with_stored(load_scenario(option), stored, out)
    ran = json.loads((out / "scenarios" / "fewer_hours" / "manifest.json").read_text())
    assert failed == 0 and ran["run_options"]["model"] == "agenda"
    reports = tmp_path / "reports.yaml"
    reports.write_text(
        f"extends: {SMALL}\nname: fewer_reports\npolicies:\n  - name: fewer reports\n    date: 2024-07-01\n"
        "    set: {private_law.section7.share: 0.2}\n",
        encoding="utf-8",
    )
    (tmp_path / "refused").mkdir()
    assert compare_option_with_stored_run(str(reports), str(base), str(tmp_path / "refused")) == 2
    message = capsys.readouterr().err
    assert "private_law.section7.share" in message and "--model events" in message


# ---------------------------------------------------------------------------------------------- runs in the background
def wait_for(job) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while job.exit_code is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job.exit_code is not None, "the run did not end"


def test_a_failed_run_shows_the_commands_error_and_leaves_no_empty_folder(tmp_path: Path) -> None:
    runner = JobRunner(tmp_path / "logs")
    folder = reserve_folder(tmp_path / "results", "broken")
    assert reserve_folder(tmp_path / "results", "broken") != folder  # the same second: another folder
    say = "import sys; print('loading'); print('error: the scenario has problems', file=sys.stderr); sys.exit(2)"
    job = runner.start("broken", folder, 2, [sys.executable, "-c", say])
    wait_for(job)
    status = job.status()
    assert status["state"] == "failed" and not status["running"]
    assert status["error"] == "error: the scenario has problems"
    assert not folder.exists()


def test_a_stopped_run_is_interrupted_as_ctrl_c_interrupts_a_command(tmp_path: Path) -> None:
    runner = JobRunner(tmp_path / "logs")
    folder = reserve_folder(tmp_path / "results", "long")
    wait = (
        "import time\ntry:\n    print('ready', flush=True)\n    time.sleep(60)\n"
        "except KeyboardInterrupt:\n    raise SystemExit('interrupted')"
    )
    job = runner.start("long", folder, 4, [sys.executable, "-c", wait])
    deadline = time.monotonic() + 30
    while "ready" not in job.log_text() and time.monotonic() < deadline:  # started and inside its try, however slow
        time.sleep(0.1)
    assert job.status()["message"] == "0 of 4 replications finished"
    runner.stop(job, wait_seconds=WAIT_SECONDS)
    wait_for(job)
    assert job.state == "stopped" and "interrupted" in job.log_text()


# ---------------------------------------------------------------------------------------------- the page
@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[FlaskClient, str]]:
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    shutil.copy(SMALL, scenarios)
    shutil.copy(ROOT / "scenarios" / "options.yaml", scenarios)  # a study file, not a scenario
    app = create_app(Settings(scenarios, tmp_path / "results", workers=1))
    yield app.test_client(), app.config["TOKEN"]
    app.extensions["workbench_jobs"].close()


def test_the_page_offers_the_scenarios_and_says_which_files_are_not(client: tuple[FlaskClient, str]) -> None:
    test_client, _ = client
    page = test_client.get("/").get_data(as_text=True)
    assert '<option value="small.yaml" selected>' in page
    assert "Not offered (not scenarios): options.yaml (options.yaml:1: missing required key" in page


def test_the_page_answers_only_its_own_forms_and_files(client: tuple[FlaskClient, str]) -> None:
    test_client, token = client
    form = {"base": "small.yaml", "name": "x", "action": "save"}
    assert test_client.post("/option", data=form).status_code == 403  # no token: a form from another site
    assert test_client.post("/option", data={**form, "token": "guess"}).status_code == 403
    assert test_client.get("/", headers={"Host": "evil.example"}).status_code == 400  # DNS rebinding
    assert test_client.post("/option", data={**form, "token": token}).status_code == 200
    assert test_client.get("/jobs/nothing").status_code == 404
    run = {"token": token, "base": "small.yaml", "option": "../../etc/passwd", "replications": "1"}
    assert test_client.post("/run", data=run).status_code == 400


def test_serve_says_when_its_port_is_taken(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port), "--no-browser", "--scenarios", str(SMALL.parent)]) == 2
    assert f"error: port {port} on 127.0.0.1 is in use: choose another --port" in capsys.readouterr().err


def test_a_bad_number_of_replications_gets_the_command_lines_message(client: tuple[FlaskClient, str]) -> None:
    test_client, token = client
    run = {"token": token, "base": "small.yaml", "option": "small.yaml", "replications": "abc"}  # any saved file
    answer = test_client.post("/run", data=run)
    assert answer.status_code == 302
    job = test_client.application.extensions["workbench_jobs"].get(answer.headers["Location"].rsplit("/", 1)[1])
    wait_for(job)
    status = test_client.get(f"/jobs/{job.id}/status").get_json()
    assert status["state"] == "failed"
    assert status["error"].startswith("run_sim.py compare: error: argument --replications: expected a whole number")
    page = test_client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "expected a whole number, got &#39;abc&#39;" in page and "No comparison was written" in page
