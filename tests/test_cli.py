"""The command line: exit codes, messages without tracebacks, and what `run` writes (or refuses to write)."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from sim.cli.main import build_parser, main
from sim.experiment.results_folder import prepare_directory
from sim.experiment.run_tables import read_table

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
OUTPUTS = ["summary.csv", "indicators.csv", "manifest.json"]
TABLE_FILES = ("children.parquet", "stages.parquet", "timeline.parquet", "stats.json")
"""What each replication's folder holds: every table is stored there, once."""


def bad_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            extends: {SMALL}
            name: bad
            run_years: -1
            cafcass:
              short_term_caseload_limt: 30
            """
        ),
        encoding="utf-8",
    )
    return path


def test_validate_ok(capsys) -> None:
    assert main(["validate", str(SMALL)]) == 0
    assert f"ok: {SMALL}" in capsys.readouterr().out


def test_validate_reports_every_problem_with_file_and_line(tmp_path, capsys) -> None:
    bad = bad_scenario(tmp_path)
    assert main(["validate", str(SMALL), str(bad)]) == 2
    captured = capsys.readouterr()
    assert f"ok: {SMALL}" in captured.out
    assert f"{bad}:3: run_years:" in captured.err
    assert f"{bad}:5: cafcass.short_term_caseload_limt: unknown key" in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_validate_missing_file(tmp_path, capsys) -> None:
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert "nope.yaml: file not found" in err and "Traceback" not in err


def test_bad_options_are_user_errors(capsys) -> None:
    assert main(["run", str(SMALL), "--replications", "0"]) == 2
    assert main(["run", str(SMALL), "--workers", "two"]) == 2
    assert main([]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_run_writes_every_output(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["run", str(SMALL), "--replications", "2", "--out", str(out), "--workers", "1"]) == 0
    for name in OUTPUTS:
        assert (out / name).is_file(), name
    for r in (0, 1):
        rep = out / "replications" / f"rep-{r:04d}"
        for name in TABLE_FILES:
            assert (rep / name).is_file()
    assert not list(out.glob("*.parquet"))  # no copy of the tables at the top
    children = read_table(out, "children", columns=["replication"])
    assert sorted(children["replication"].unique()) == [0, 1]
    rows = sum(pq.read_metadata(out / "replications" / f"rep-{r:04d}" / "children.parquet").num_rows for r in (0, 1))
    assert len(children) == rows
    assert not list(out.rglob(".*.partial"))
    printed = capsys.readouterr().out
    assert f"results in {out}" in printed
    assert printed.splitlines()[-1].startswith(f"open next: {out / 'report.html'} (the report), then {out}")
    assert (out / "report.html").is_file()
    assert json.loads((out / "journey_rep-0000.ocel.json").read_text())["objects"]
    prepare_directory(out, force=True)  # --force removes everything the run wrote
    assert list(out.iterdir()) == []


def test_force_removes_the_old_report_even_if_the_new_run_fails(tmp_path, failing_runs, capsys) -> None:

    out = tmp_path / "out"
    assert main(["run", str(SMALL), "--replications", "1", "--out", str(out), "--workers", "1"]) == 0
    assert (out / "report.html").is_file() and (out / "journey_rep-0000.ocel.json").is_file()
    (out / "notes.txt").write_text("mine")
    (out / "scenarios").mkdir()
    (out / "scenarios" / "mine.yaml").write_text("name: mine\n")  # a folder of the user's files is left alone

    failing_runs(lambda rep: True, ZeroDivisionError("boom"))
    assert main(["run", str(SMALL), "--replications", "1", "--out", str(out), "--force", "--workers", "1"]) == 1
    left = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and "replications" not in p.parts)
    assert left == ["drift.csv", "indicators.csv", "manifest.json", "notes.txt", "scenarios/mine.yaml", "summary.csv"]
    assert sorted(p.name for p in (out / "replications" / "rep-0000").iterdir()) == ["error.json"]
    err = capsys.readouterr().err
    assert "boom" in err and "--force kept what this tool did not write" in err and "scenarios/mine.yaml" in err


def test_run_from_an_invalid_scenario_writes_nothing(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["run", str(bad_scenario(tmp_path)), "--out", str(out)]) == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert "bad.yaml:3: run_years" in err and "Traceback" not in err


def test_run_refuses_an_invalid_scenario_before_loading_the_simulation(tmp_path) -> None:
    """A bad scenario is refused in the time it takes to read it (about half a second here, against 1.6 s when
    the run's machinery was imported first): the simulation, the executors and the resume checks load only for a
    scenario that is valid."""
    probe = (
        "import sys\n"
        "from sim.cli.main import main\n"
        f"code = main(['run', {str(bad_scenario(tmp_path))!r}, '--out', {str(tmp_path / 'out')!r}])\n"
        "loaded = [m for m in ('sim.experiment.replications', 'sim.experiment.resume', 'sim.model.replication')\n"
        "          if m in sys.modules]\n"
        "print(code, loaded)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "2 []", done.stdout + done.stderr
    assert "bad.yaml:3: run_years" in done.stderr
    assert not (tmp_path / "out").exists()


def test_run_default_directory_is_named_after_the_scenario(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(SMALL), "--replications", "1", "--workers", "1", "--no-report"]) == 0
    (made,) = (tmp_path / "results").iterdir()
    assert made.name.startswith("small-") and len(made.name) == len("small-20240101-120000")
    assert (made / "summary.csv").is_file()


def test_run_refuses_a_non_empty_directory_without_force(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["run", str(SMALL), "--replications", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "already exists and is not empty" in err and "--force" in err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    again = ["run", str(SMALL), "--replications", "1", "--out", str(out), "--force", "--workers", "1", "--no-report"]
    assert main(again) == 0
    assert (out / "summary.csv").is_file() and (out / "notes.txt").is_file()


def test_same_seed_same_results_and_seed_option_changes_them(tmp_path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    common = ["--replications", "2", "--workers", "1", "--no-report"]
    assert main(["run", str(SMALL), "--out", str(a), "--seed", "7", *common]) == 0
    assert main(["run", str(SMALL), "--out", str(b), "--seed", "7", *common]) == 0
    assert main(["run", str(SMALL), "--out", str(c), "--seed", "8", *common]) == 0
    for name in ("children", "stages", "timeline"):
        pd.testing.assert_frame_equal(read_table(a, name), read_table(b, name), check_exact=True)
    assert (a / "summary.csv").read_bytes() == (b / "summary.csv").read_bytes()
    assert (a / "summary.csv").read_bytes() != (c / "summary.csv").read_bytes()
    assert json.loads((a / "manifest.json").read_text())["random"]["root_seed"] == 7


def test_failed_replication_is_reported_and_the_others_kept(tmp_path, failing_runs, capsys) -> None:
    failing_runs(lambda rep: rep.replication == 1, ZeroDivisionError("boom in replication 1"))
    out = tmp_path / "out"
    assert main(["run", str(SMALL), "--replications", "3", "--out", str(out), "--workers", "1", "--no-report"]) == 1
    err = capsys.readouterr().err
    assert "replication 1 (root seed 20240101) failed: ZeroDivisionError: boom in replication 1" in err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    (failed,) = manifest["failed_replications"]
    assert failed["replication"] == 1 and failed["seed"] == 20240101 and "ZeroDivisionError" in failed["traceback"]
    kept = read_table(out, "children", columns=["replication"])
    assert sorted(kept["replication"].unique()) == [0, 2]
    import pandas as pd

    assert set(pd.read_csv(out / "summary.csv")["replications"]) <= {1, 2}


def test_without_a_terminal_each_replication_prints_a_line_and_the_end_says_what_to_open(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["run", str(SMALL), "--replications", "3", "--out", str(out), "--workers", "2", "--no-report"]) == 0
    printed = capsys.readouterr().out.splitlines()
    done = [line for line in printed if line.startswith("replication ")]
    pattern = r"replication ([123]) of 3 done in \d+(\.\d)? s \(replications/rep-000([012])\)"
    matches = [re.fullmatch(pattern, line) for line in done]
    assert all(matches), done
    assert [int(m[1]) for m in matches] == [1, 2, 3]  # counted as they end, whichever ends first
    assert sorted(int(m[3]) for m in matches) == [0, 1, 2]
    assert printed.index(done[-1]) < printed.index(f"results in {out}")  # before the headline, not after it
    assert printed[-1] == (
        f"open next: {out / 'summary.csv'} (every indicator, with its 95% interval); write the report with: "
        f"python run_sim.py report {out}"
    )


def test_at_a_terminal_a_progress_bar_shows_instead_of_lines(tmp_path, capsys, monkeypatch) -> None:
    import sim.cli.run

    monkeypatch.setattr(sim.cli.run, "progress_enabled", lambda: True)
    out = tmp_path / "out"
    assert main(["run", str(SMALL), "--replications", "2", "--out", str(out), "--workers", "1", "--no-report"]) == 0
    captured = capsys.readouterr()
    assert not [line for line in captured.out.splitlines() if line.startswith("replication ")]
    assert "2.0/2 replications" in captured.err  # tqdm's bar, on stderr


def test_run_sim_py_in_a_subprocess(tmp_path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CI": "1"}
    command = [sys.executable, "run_sim.py", "run", str(SMALL), "--replications", "2", "--workers", "2", "--no-report"]
    done = subprocess.run([*command, "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for name in OUTPUTS:
        assert (out / name).is_file()
    again = subprocess.run([*command, "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert again.returncode == 2 and "Traceback" not in again.stderr
    bad = subprocess.run(
        [sys.executable, "run_sim.py", "validate", str(bad_scenario(tmp_path))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "bad.yaml:3" in bad.stderr and "Traceback" not in bad.stderr


def test_resume_continues_an_interrupted_run(tmp_path, capsys) -> None:
    import shutil

    full, cut = tmp_path / "full", tmp_path / "cut"
    common = ["--replications", "3", "--workers", "1", "--seed", "11", "--no-report"]
    assert main(["run", str(SMALL), "--out", str(full), *common]) == 0
    shutil.copytree(full, cut)
    shutil.rmtree(cut / "replications" / "rep-0001")
    (cut / "summary.csv").unlink()
    assert main(["run", "--resume", str(cut), "--workers", "2", "--no-report"]) == 0
    assert "resuming: 2 finished replications kept (0, 2)" in capsys.readouterr().err
    for name in ("children", "stages", "timeline"):
        pd.testing.assert_frame_equal(read_table(full, name), read_table(cut, name), check_exact=True)
    assert (full / "summary.csv").read_bytes() == (cut / "summary.csv").read_bytes()
    assert main(["run", "--resume", str(tmp_path)]) == 2  # not a run directory
    assert main(["run", str(SMALL), "--resume", str(cut)]) == 2  # a scenario with --resume
    assert "Traceback" not in capsys.readouterr().err


def test_resume_refuses_a_changed_scenario(tmp_path, capsys) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"extends: {SMALL}\n")
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--replications", "1", "--workers", "1", "--no-report"]) == 0
    scenario.write_text(f"extends: {SMALL}\nrun_years: 2\n")
    assert main(["run", "--resume", str(out)]) == 2
    assert "has changed since the run started" in capsys.readouterr().err


def test_precision_option_reports_the_replications_needed(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    args = ["run", str(SMALL), "--out", str(out), "--replications", "3", "--precision", "10", "--no-report"]
    args += ["--workers", "1"]
    assert main([*args, "--max-replications", "12"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    info = manifest["precision"]
    assert info["precision_percent"] == 10
    printed = capsys.readouterr().out
    if info["precision_met"]:
        assert f"reached with {info['replications_needed']} replications" in printed
    assert len(manifest["replications"]) == info["replications_used"] <= 12
    assert main(["run", str(SMALL), "--precision", "0"]) == 2


# ---------------------------------------------------------------------------------------------- usage
def test_usage_names_the_program_as_it_was_run(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "argv", ["/usr/local/bin/fjsim"])
    assert build_parser().prog == "fjsim"
    assert main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: fjsim ")
    monkeypatch.setattr(sys, "argv", ["run_sim.py"])
    assert main(["run", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: run_sim.py run ")


def test_every_command_is_listed_once() -> None:
    parser = build_parser("run_sim.py")
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    assert list(sub.choices) == [
        "validate",
        "run",
        "compare",
        "sweep",
        "warmup",
        "calibrate",
        "validation",
        "backcast",
        "options",
        "plan",
        "journey",
        "report",
        "ocel",
        "runs",
        "serve",
    ]


HEAVY = ("pandas", "scipy", "matplotlib", "simpy", "numpy", "pyarrow", "pydantic", "flask")
"""What ``--help`` must not wait for: each takes from a tenth of a second to seconds to import."""


def fresh_imports(code: str) -> tuple[float, set[str]]:
    """Seconds ``code`` takes in a fresh interpreter, and every module loaded by then: nothing another test imported
    counts, so start-up is measured as a person would meet it."""
    clock = "import sys, time; t = time.perf_counter()"
    probe = f"{clock}; {code}; print(time.perf_counter() - t); print(' '.join(sys.modules))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    seconds, loaded = done.stdout.splitlines()
    return float(seconds), set(loaded.split())


def test_building_the_parser_imports_no_numerical_library() -> None:
    seconds, modules = fresh_imports("from sim.cli.main import build_parser; build_parser('fjsim')")
    loaded = {m.split(".")[0] for m in modules}
    assert not set(HEAVY) & loaded, f"building the parser imports {set(HEAVY) & loaded}"
    assert seconds < 0.5  # about 0.05 s; pandas alone takes longer than this bound


def test_a_run_waits_for_scipy_stats_only_when_it_computes_an_interval() -> None:
    # scipy.stats takes about a second to import, and each worker process would pay it before its first replication
    _, modules = fresh_imports("import sim.cli.run, sim.experiment.replications, sim.model.replication")
    assert "scipy.stats" not in modules
    _, modules = fresh_imports("from sim.analysis.statistics import p_values; p_values([1.0], [1.0], [3])")
    assert "scipy.stats" in modules  # the probe sees the import when it happens


def undescribed(parser: argparse.ArgumentParser, path: str) -> list[str]:
    """Every command without a description and every argument without help, nested commands included."""
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, command in action.choices.items():
                if not command.description:
                    missing.append(f"{path} {name}: no description")
                missing += undescribed(command, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction) and not action.help:
            missing.append(f"{path} {action.dest}: no help")
    return missing


def test_every_command_and_argument_says_what_it_is_for() -> None:
    assert undescribed(build_parser("fjsim"), "fjsim") == []
    # the walk finds what is missing, however deep
    bare = argparse.ArgumentParser(prog="y")
    bare.add_subparsers().add_parser("group", description="d").add_subparsers().add_parser("kind").add_argument("f")
    assert undescribed(bare, "y") == ["y group kind: no description", "y group kind f: no help"]


def test_the_readme_quotes_the_help_fjsim_prints(monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")  # argparse wraps to the terminal's width
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    marker = "<!-- fjsim --help"
    assert marker in readme, "README.md names the console script fjsim and quotes its --help"
    quoted = readme.split(marker, 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    assert quoted == build_parser("fjsim").format_help().rstrip("\n") + "\n"
    assert quoted.startswith("usage: fjsim ")


def test_hints_name_the_command_as_it_was_run(monkeypatch) -> None:
    from sim.cli.common import invocation

    monkeypatch.setattr(sys, "argv", ["/home/me/.venv/bin/fjsim", "run"])
    assert invocation() == "fjsim"
    monkeypatch.setattr(sys, "argv", ["run_sim.py", "run"])
    assert invocation() == "python run_sim.py"


def test_the_readme_calibrate_arrivals_example_works_on_the_shipped_file(monkeypatch, capsys) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (line,) = [x for x in readme.splitlines() if x.startswith("python run_sim.py calibrate arrivals ")]
    monkeypatch.chdir(ROOT)  # the example's path is the repository's
    assert main(line.split()[2:]) == 0
    assert "region_shares: {" in capsys.readouterr().out


def test_calibrate_arrivals_suggests_by_when_a_month_has_several_rows(tmp_path, capsys) -> None:
    shipped = ROOT / "tests" / "data" / "monthly_applications.csv"  # one row per month and region
    assert main(["calibrate", "arrivals", str(shipped)]) == 2
    error = capsys.readouterr().err
    assert "month 2020-01 appears again" in error and "told apart by column 'region': give --by region" in error
    # with no column to tell a month's rows apart, --by would not help: one count per month it is
    (tmp_path / "twice.csv").write_text("month,count\n" + "".join(f"2022-{m:02d},5\n" for m in [*range(1, 13), 3]))
    assert main(["calibrate", "arrivals", str(tmp_path / "twice.csv")]) == 2
    error = capsys.readouterr().err
    assert "give one count per month" in error and "--by" not in error


def test_the_agenda_runs_a_study_the_same_whatever_the_executor(tmp_path, capsys) -> None:
    """``run --model agenda`` simulates day by day: the same tables, summary and manifest as any run, the model
    recorded in the manifest (so ``--resume`` goes on with it), and, as with the event model, the same results on
    one worker or two."""
    one, two = tmp_path / "one", tmp_path / "two"
    common = ["--replications", "2", "--seed", "5", "--no-report", "--model", "agenda"]
    assert main(["run", str(SMALL), "--out", str(one), "--workers", "1", *common]) == 0
    assert main(["run", str(SMALL), "--out", str(two), "--workers", "2", *common]) == 0
    for name in ("children", "stages", "timeline"):
        table = read_table(one, name)
        assert len(table) > 100 and set(table["replication"]) == {0, 1}
        pd.testing.assert_frame_equal(table, read_table(two, name), check_exact=True)
    assert (one / "summary.csv").read_bytes() == (two / "summary.csv").read_bytes()
    manifest = json.loads((one / "manifest.json").read_text())
    assert manifest["run_options"]["model"] == "agenda"
    stats = manifest["replications"]["0000"]["run_stats"]
    assert stats["cases_created"] == stats["cases_disposed"] + stats["cases_diverted"] + stats["cases_open_at_end"]
    cut = tmp_path / "cut"  # an interrupted agenda run resumes with the agenda
    shutil.copytree(one, cut)
    shutil.rmtree(cut / "replications" / "rep-0001")
    (cut / "summary.csv").unlink()
    assert main(["run", "--resume", str(cut), "--workers", "1", "--no-report"]) == 0
    assert (cut / "summary.csv").read_bytes() == (one / "summary.csv").read_bytes()


def test_the_agenda_refuses_a_policy_it_cannot_follow_before_writing_anything(tmp_path, capsys) -> None:
    """A policy that changes a share decided along a route would need open cases' routes rebuilt, which the
    agenda cannot do: the run is refused with the policy's day and key, and the folder is never made."""
    scenario = tmp_path / "fewer_reports.yaml"
    scenario.write_text(
        textwrap.dedent(
            f"""\
            extends: {SMALL}
            name: fewer_reports
            policies:
              - name: fewer section 7 reports
                date: 2024-07-01
                set:
                  private_law.section7.share: 0.2
            """
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--model", "agenda", "--replications", "1"]) == 2
    message = capsys.readouterr().err
    assert "--model agenda cannot run" in message and "private_law.section7.share" in message
    assert "--model events" in message and "Traceback" not in message
    assert not out.exists()


def test_a_comparison_runs_every_scenario_on_one_model(tmp_path, capsys) -> None:
    """``compare`` runs the base and its options on one model: the agenda when it can follow every scenario's
    policies; else every scenario event by event, with a note, so that an option's differences are its own."""
    court = tmp_path / "fewer_hours.yaml"
    court.write_text(
        f"extends: {SMALL}\nname: fewer_hours\npolicies:\n  - name: fewer hours\n    date: 2024-01-01\n"
        "    set: {regions.north_east.court.sitting_hours_per_day.district_judge: 5.5}\n",
        encoding="utf-8",
    )
    reports = tmp_path / "fewer_reports.yaml"
    reports.write_text(
        f"extends: {SMALL}\nname: fewer_reports\npolicies:\n  - name: fewer reports\n    date: 2024-07-01\n"
        "    set: {private_law.section7.share: 0.2}\n",
        encoding="utf-8",
    )
    common = ["--replications", "1", "--workers", "1", "--no-report"]
    for options, model in (([court], "agenda"), ([court, reports], "events")):
        out = tmp_path / f"compare-{model}"
        assert main(["compare", str(SMALL), *map(str, options), "--out", str(out), *common]) == 0
        runs = sorted((out / "scenarios").iterdir())
        assert len(runs) == 1 + len(options)
        assert {json.loads((run / "manifest.json").read_text())["run_options"]["model"] for run in runs} == {model}
    assert "note: simulating event by event" in capsys.readouterr().err
    refused = tmp_path / "refused"
    assert main(["compare", str(SMALL), str(reports), "--model", "agenda", "--out", str(refused), *common]) == 2
    assert "private_law.section7.share" in capsys.readouterr().err and not refused.exists()


def test_every_command_that_simulates_takes_model_and_the_studies_choose_one(tmp_path, capsys) -> None:
    """Every command that runs replications takes ``--model`` (validation, backcast, warm-up, plan and calibration
    as run and compare do), defaulting to the agenda where it follows the scenario; a plan or a calibration chooses
    once for all its runs, and says why when it is the event model."""
    from sim.experiment.model_calibration.evaluator import Evaluator
    from sim.experiment.model_calibration.targets import load_targets
    from sim.experiment.plan_search import Planner
    from sim.experiment.plan_spec import parse_lever, parse_target
    from sim.scenario.loading import load_scenario

    parser = build_parser("run_sim.py")
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    simulating = ("run", "compare", "sweep", "warmup", "validation", "backcast", "options", "plan")
    for command in simulating:
        assert "--model" in sub.choices[command].format_help(), command
    (calibrate,) = [a for a in sub.choices["calibrate"]._actions if a.dest == "kind"]
    assert "--model" in calibrate.choices["model"].format_help()

    for asked, model in ((None, "agenda"), ("events", "events")):
        out = tmp_path / f"warmup-{model}"
        argv = ["warmup", str(SMALL), "--replications", "1", "--years", "1", "--out", str(out), "--workers", "1"]
        assert main(argv + ([] if asked is None else ["--model", asked])) == 0
        assert json.loads((out / "runs" / "manifest.json").read_text())["run_options"]["model"] == model

    priced = ROOT / "scenarios" / "baseline.yaml"  # a plan needs capacity's prices
    reports = tmp_path / "fewer_reports.yaml"
    reports.write_text(
        f"extends: {priced}\nname: fewer_reports\npolicies:\n  - name: fewer reports\n    date: 2025-07-01\n"
        "    set: {private_law.section7.share: 0.2}\n",
        encoding="utf-8",
    )
    said: list[str] = []
    levers, targets = (
        [parse_lever("cafcass.long_term_caseload_limit=18:22:2")],
        [parse_target("time_to_disposal_weeks_mean<=100")],
    )
    for path, model in ((priced, "agenda"), (reports, "events")):
        loaded = load_scenario(path)
        planner = Planner(loaded, levers, targets, tmp_path / "plan", replications=1, seed=1, log=said.append)
        assert planner.model == model
    assert len(said) == 1 and "private_law.section7.share" in said[0]
    loaded = load_scenario(ROOT / "tests" / "calibration" / "small_short.yaml")
    targets_file = ROOT / "tests" / "calibration" / "small_targets.yaml"
    evaluator = Evaluator(loaded, load_targets(targets_file, loaded), tmp_path / "c", replications=1, seed=1)
    assert evaluator.model == "agenda"
