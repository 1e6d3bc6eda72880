"""Hostile input by class (issue 11): inputs that validated but could not run, files that are not files, policies
that change what holds for the whole run, YAML 1.1 leftovers, and ``extends`` outside the scenario's folders.

``tests/bad_scenarios/<class>/`` holds one file per mistake, each listed in ``HOSTILE`` with where its problem
must be reported; ``validate`` must exit 2 naming the file, line and key, and ``run`` must exit 2 and write
nothing. Files that cannot be committed (a named pipe, a loop of links, a device, a file too big) are made by
the tests. Two property-based tests (Hypothesis) mutate tests/scenarios/small.yaml with hostile values, keys,
policies, raw YAML 1.1 numbers and ``extends`` targets, and the command line with hostile options: loading
gives a valid scenario or a ScenarioError whose every problem has its file and line, never another exception;
the command exits 0 or 2 without a traceback, and on refusal writes nothing.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sim.cli.main import build_parser, main
from sim.scenario.limits import LONGEST_RUN_DAYS, MAX_CASES
from sim.scenario.loading import load_scenario
from sim.scenario.resources import cases_simulated
from sim.scenario.yaml_file import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
HOSTILE_DIR = ROOT / "tests" / "bad_scenarios"
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
TESTS_ROOT = ["--allow-root", str(ROOT / "tests")]
"""The corpus extends tests/scenarios/small.yaml, outside its own folder: named so any working directory will do."""

NO_TRACEBACK = re.compile(r"Traceback|^\s+File \"", re.M)
OUTSIDE = "is outside the folders a scenario may read"
RUN_LEVEL = "holds for the whole run and cannot change part-way through it"
MEAN_TOO_LONG = "above 36,525 (100 years in days, the longest run)"
MEMORY = "one replication would simulate about"


@dataclass(frozen=True)
class Bad:
    """Where the mistake in a corpus file is reported: its line, the key path it names, and words of the message."""

    line: int
    key: str
    words: str


HOSTILE: dict[str, Bad] = {
    # Dates and periods the calendar cannot hold: pandas timestamps span 1677-2262, a run is at most a century.
    "calendar/start_date_1600.yaml": Bad(3, "start_date", "greater than or equal to 1900-01-01"),
    "calendar/start_date_2300.yaml": Bad(3, "start_date", "less than or equal to 2200-12-31"),
    "calendar/warm_up_1e7_days.yaml": Bad(4, "starting_state.warm_up_days", "less than or equal to 18262.5"),
    "calendar/warm_up_51_years.yaml": Bad(4, "starting_state.warm_up_days", "less than or equal to 18262.5"),
    "calendar/run_years_51.yaml": Bad(3, "run_years", "less than or equal to 50"),
    "calendar/policy_dated_9999.yaml": Bad(4, "policies[0].date", "less than or equal to 2200-12-31"),
    "calendar/history_row_1600.yaml": Bad(4, "history.rows[0].date", "greater than or equal to 1900-01-01"),
    "calendar/pathfinder_from_2500.yaml": Bad(4, "regions.wales.pathfinder_from", "less than or equal to 2200-12-31"),
    "calendar/capacity_dip_in_1700.yaml": Bad(4, "history.capacity_dip.start", "greater than or equal to 1900-01-01"),
    "calendar/capacity_dip_a_billion_days_long.yaml": Bad(
        5, "history.capacity_dip.length_days", "less than or equal to 36525"
    ),
    # Demand that memory could not hold, estimated before the run (16 GiB at 2 KiB a case).
    "demand/a_trillion_cases_a_year.yaml": Bad(5, "demand.public_law.cases_per_year", f"{MEMORY} 1e+12 cases"),
    "demand/trend_elevenfold_for_50_years.yaml": Bad(6, "demand.private_law.trend_per_year", "2.42e+54 cases"),
    "demand/falling_trend_over_a_long_warm_up.yaml": Bad(6, "demand.domestic_abuse.trend_per_year", MEMORY),
    "demand/a_trillion_open_cases.yaml": Bad(4, "starting_state.open_cases.public_law", f"{MEMORY} 1e+12 cases"),
    "demand/ten_billion_open_cases_in_wales.yaml": Bad(4, "starting_state.open_cases.private_law", "1e+10 cases"),
    "demand/policy_multiplies_demand_a_billionfold.yaml": Bad(
        3, "policies[0] (demand explodes)", f"makes demand.private_law.cases_per_year invalid: {MEMORY}"
    ),
    "demand/history_row_of_half_a_trillion.yaml": Bad(
        4, "history.rows[0] (history 2024-01-01)", f"makes demand.domestic_abuse.cases_per_year invalid: {MEMORY}"
    ),
    "demand/seasonality_1e308.yaml": Bad(
        5, "demand.public_law.monthly_seasonality[0]", "less than or equal to 1000000"
    ),
    "demand/seasonality_infinite.yaml": Bad(4, "demand.private_law.monthly_seasonality[11]", "finite number"),
    "demand/caseload_of_1e200.yaml": Bad(4, "local_authorities.caseload_limit", "less than or equal to 10000"),
    "demand/advisers_1e200.yaml": Bad(4, "regions.wales.cafcass.short_term_advisers", "less than or equal to 1000000"),
    # Durations and notice periods longer than any run.
    "durations/notice_a_billion_days.yaml": Bad(4, "public_law.final_hearing.notice_days", MEAN_TOO_LONG),
    "durations/notice_lognormal_huge_median.yaml": Bad(4, "private_law.first_hearing.notice_days", MEAN_TOO_LONG),
    "durations/lognormal_huge_sigma.yaml": Bad(4, "private_law.safeguarding_days", MEAN_TOO_LONG),
    "durations/gamma_mean_27000_years.yaml": Bad(4, "public_law.assessments.duration_days", MEAN_TOO_LONG),
    "durations/weibull_tiny_shape.yaml": Bad(4, "pathfinder.gatekeeping_days", "its mean is inf"),
    "durations/recurrence_delay_exponential_1e8.yaml": Bad(
        7, "recurrence.public_law.care_order.delay_days", MEAN_TOO_LONG
    ),
    "durations/uniform_to_a_trillion.yaml": Bad(3, "pathfinder.review_days", MEAN_TOO_LONG),
    "durations/empirical_value_1e15.yaml": Bad(4, "children.age_years.private_law", MEAN_TOO_LONG),
    "durations/hearing_a_billion_hours_long.yaml": Bad(4, "domestic_abuse.return_hearing.duration_hours", "1e+09"),
    "durations/relisting_a_billion_days_ahead.yaml": Bad(3, "courts.relist_notice_days", "less than or equal to 36525"),
    "durations/allocation_delay_1e12_days.yaml": Bad(
        3, "cafcass.long_term_allocation_delay_days", "less than or equal to 36525"
    ),
    # Policies that set what holds for the whole run.
    "policies/sets_run_years.yaml": Bad(5, "policies[0].set.run_years", f"'run_years' {RUN_LEVEL}"),
    "policies/sets_start_date.yaml": Bad(5, "policies[0].set.start_date", f"'start_date' {RUN_LEVEL}"),
    "policies/sets_warm_up_days.yaml": Bad(
        5, "policies[0].set.starting_state.warm_up_days", f"'starting_state' {RUN_LEVEL}"
    ),
    "policies/scales_warm_up_days.yaml": Bad(
        5, "policies[0].scale.starting_state.warm_up_days", f"'starting_state' {RUN_LEVEL}"
    ),
    "policies/sets_seed.yaml": Bad(5, "policies[0].set.seed", f"'seed' {RUN_LEVEL}"),
    "policies/sets_monitor_interval.yaml": Bad(
        5, "policies[0].set.monitor_interval_days", f"'monitor_interval_days' {RUN_LEVEL}"
    ),
    "policies/sets_open_cases.yaml": Bad(
        5, "policies[0].set.starting_state.open_cases", f"'starting_state' {RUN_LEVEL}"
    ),
    "policies/sets_history.yaml": Bad(5, "policies[0].set.history.rows", f"'history' {RUN_LEVEL}"),
    "policies/sets_name.yaml": Bad(5, "policies[0].set.name", f"'name' {RUN_LEVEL}"),
    "policies/scales_everything_at_the_top.yaml": Bad(5, "policies[0].scale.*", "'*' at the top level names name"),
    # YAML 1.1 leftovers: base 60, binary, a bad octal; now words a number key refuses.
    "yaml12/run_years_base_60.yaml": Bad(3, "run_years", "(got '1:00')"),
    "yaml12/notice_days_base_60.yaml": Bad(5, "public_law.final_hearing.notice_days", "(got '21:00')"),
    "yaml12/relist_notice_base_60_float.yaml": Bad(3, "courts.relist_notice_days", "(got '1:30.5')"),
    "yaml12/seed_base_60.yaml": Bad(3, "seed", "(got '1:00:00')"),
    "yaml12/binary_number.yaml": Bad(4, "regions.wales.local_authorities", "(got '0b10110')"),
    "yaml12/octal_with_a_nine.yaml": Bad(5, "regions.north_east.local_authorities", "(got '0o9')"),
    "yaml12/tagged_float_base_60.yaml": Bad(3, "run_years", "cannot read '1:00' as !!float: not a YAML 1.2 number"),
    # extends outside the scenario's folders: refused before anything there is read (or found to exist).
    "extends/extends_etc_passwd.yaml": Bad(1, "extends", f"/etc/passwd {OUTSIDE}"),
    "extends/extends_dev_zero.yaml": Bad(1, "extends", f"/dev/zero {OUTSIDE}"),
    "extends/extends_proc_environ.yaml": Bad(1, "extends", f"/proc/self/environ {OUTSIDE}"),
    "extends/extends_out_of_the_tree.yaml": Bad(2, "extends", f"secret{os.sep}creds.yaml {OUTSIDE}"),
    "extends/extends_absolute_elsewhere.yaml": Bad(1, "extends", f"/tmp/creds.yaml {OUTSIDE}"),
}
"""Each corpus file (relative to tests/bad_scenarios) -> where its mistake must be reported."""

CLASSES = ("calendar", "demand", "durations", "policies", "yaml12", "extends")


def files_under(root: Path) -> dict[str, int]:
    """Every file under root (relative path -> size), to see what a command wrote."""
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


# ---------------------------------------------------------------------------------------------- the corpus
def test_the_corpus_lists_every_file_by_class() -> None:
    on_disk = {p.relative_to(HOSTILE_DIR).as_posix() for c in CLASSES for p in (HOSTILE_DIR / c).glob("*.yaml")}
    assert on_disk == set(HOSTILE), "list every file of tests/bad_scenarios/<class>/ in HOSTILE (and only those)"
    assert len(HOSTILE) >= 40
    assert {name.split("/")[0] for name in HOSTILE} == set(CLASSES)
    assert load_scenario(SMALL)  # the corpus extends it: were it invalid, the messages would be about it


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_validate_names_the_file_line_and_key(name: str) -> None:
    code, out, err = run_cli("validate", str(HOSTILE_DIR / name), *TESTS_ROOT)
    bad = HOSTILE[name]
    assert code == 2, out + err
    assert not NO_TRACEBACK.search(out + err)
    assert f"{HOSTILE_DIR / name}:{bad.line}: {bad.key}: " in err, err
    assert bad.words in err, err


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_run_refuses_before_writing_anything(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a run that fell back to the default results/ folder would write here
    code, out, err = run_cli("run", str(HOSTILE_DIR / name), "--out", "x", "--workers", "1", *TESTS_ROOT)
    assert code == 2, out + err
    assert not NO_TRACEBACK.search(out + err)
    assert f"{HOSTILE_DIR / name}:{HOSTILE[name].line}: {HOSTILE[name].key}: " in err
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------- not files
def not_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """Paths that are not scenario files (made here: git cannot hold them), with the words of their refusal."""
    (folder / "a.yaml").symlink_to(folder / "b.yaml")
    (folder / "b.yaml").symlink_to(folder / "a.yaml")
    (folder / "folder.yaml").mkdir()
    with open(folder / "huge.yaml", "wb") as handle:  # 11 MB that take no disk: refused by its size, unread
        handle.truncate(11 * 2**20)
    (folder / "extends_loop.yaml").write_text("extends: a.yaml\nname: x\n", encoding="utf-8")
    made = {
        "a device": (Path(os.devnull), "this is a device, not a regular file"),
        "a loop of symbolic links": (folder / "a.yaml", "a loop of symbolic links, not a scenario file"),
        "a loop of links through extends": (folder / "extends_loop.yaml", "a loop of symbolic links"),
        "a directory": (folder / "folder.yaml", "this is a directory, not a scenario file"),
        "a file of 11 MB": (folder / "huge.yaml", f"the file is {11 * 2**20} bytes; scenario files are limited to"),
    }
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "pipe.yaml")  # a reader would wait for a writer for ever
        (folder / "extends_pipe.yaml").write_text("extends: pipe.yaml\nname: x\n", encoding="utf-8")
        made["a named pipe"] = (folder / "pipe.yaml", "this is a named pipe, not a regular file")
        made["a named pipe through extends"] = (folder / "extends_pipe.yaml", "this is a named pipe")
    if Path("/dev/zero").exists():
        made["/dev/zero"] = (Path("/dev/zero"), "this is a device, not a regular file")
    return made


def test_files_that_are_not_files_are_refused_by_validate_and_run_without_waiting(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    for what, (path, words) in not_files(inputs).items():
        for command in (["validate", str(path)], ["run", str(path), "--out", "x", "--workers", "1"]):
            # A process of its own, with a timeout: a reader stuck on a pipe or device must fail, not hang the tests.
            done = subprocess.run(
                [sys.executable, str(ROOT / "run_sim.py"), *command],
                cwd=cwd,
                env={**os.environ, "PYTHONPATH": str(ROOT), "CI": "1"},
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 2, (what, done.stderr)
            assert words in done.stderr, (what, done.stderr)
            assert not NO_TRACEBACK.search(done.stdout + done.stderr), what
            assert list(cwd.iterdir()) == [], what


# ---------------------------------------------------------------------------------------------- other files
def test_a_file_reached_through_extends_never_has_its_values_printed(tmp_path: Path, monkeypatch) -> None:
    """The issue's case: an option that extends ../secret/creds.yaml printed "(got 'hunter2-SECRET-TOKEN')"."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret").mkdir()
    (tmp_path / "scenarios").mkdir()
    creds = tmp_path / "secret" / "creds.yaml"
    creds.write_text(f"extends: {SMALL}\nname: hunter2-SECRET-TOKEN\n", encoding="utf-8")
    option = tmp_path / "scenarios" / "option.yaml"
    option.write_text("extends: ../secret/creds.yaml\n", encoding="utf-8")
    code, out, err = run_cli("validate", str(option), *TESTS_ROOT)  # the working directory holds secret/
    assert code == 2
    assert f"{creds}:2: name: String should match pattern '^[A-Za-z][A-Za-z0-9_]*$' (values from a file" in err
    assert "hunter2" not in out + err and "SECRET" not in out + err
    creds.write_text("token: !!binary aHVudGVyMg==\n", encoding="utf-8")
    code, out, err = run_cli("validate", str(option), *TESTS_ROOT)
    assert f"{creds}:1: token: the tag '…' is not allowed" in err and "binary" not in err
    creds.write_text(f"extends: {SMALL}\nname: hunter2-SECRET-TOKEN\n", encoding="utf-8")
    code, _, err = run_cli("validate", str(creds), *TESTS_ROOT)  # named, the file's own values are shown
    assert "(got 'hunter2-SECRET-TOKEN')" in err
    monkeypatch.chdir(tmp_path / "scenarios")  # from elsewhere, secret/ is outside: not read at all
    code, _, err = run_cli("validate", str(option), *TESTS_ROOT)
    assert f"{option}:1: extends: {creds} {OUTSIDE}" in err and "hunter2" not in err
    code, _, err = run_cli("validate", str(option), *TESTS_ROOT, "--allow-root", str(tmp_path / "secret"))
    assert code == 2 and f"{creds}:2: name:" in err and "hunter2" not in err


def test_allow_root_must_name_a_folder(tmp_path: Path) -> None:
    code, _, err = run_cli("validate", str(SMALL), "--allow-root", str(tmp_path / "nowhere"))
    assert code == 2 and "--allow-root: not a folder" in err


# ---------------------------------------------------------------------------------------------- replications
@pytest.mark.parametrize(
    "options",
    [
        ["--replications", "1000000000"],
        ["--replications", "10001"],
        ["--precision", "5", "--max-replications", "20000"],
    ],
)
def test_more_replications_than_a_run_can_hold_are_refused_before_anything_is_written(
    options: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("run", str(SMALL), "--out", "x", "--workers", "1", *options)
    assert code == 2
    assert "at most 10,000 replications (a run keeps a record and a task for each)" in err
    assert not NO_TRACEBACK.search(out + err)
    assert list(tmp_path.iterdir()) == []


def test_ten_thousand_replications_are_allowed() -> None:
    args = build_parser().parse_args(["run", str(SMALL), "--replications", "10000", "--max-replications", "10000"])
    assert (args.replications, args.max_replications) == (10_000, 10_000)


# ---------------------------------------------------------------------------------------------- property-based
with open(SMALL, encoding="utf-8") as _handle:
    SMALL_DATA: dict[str, Any] = yaml.safe_load(_handle)

TINY: dict[str, Any] = {**copy.deepcopy(SMALL_DATA), "run_years": 0.05}
"""small.yaml over 18 days: a run of it takes a fraction of a second."""


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    found = []
    for key, child in items:
        found.append((*prefix, key))
        found += _paths(child, (*prefix, key))
    return found


_hostile_numbers = st.sampled_from(
    [1e7, 1e9, 1e12, 1e308, 10**30, -1, 0, 1e-300, 36_525, 36_526, 18_262.5, 50, 51, float("inf"), float("nan")]
)
_hostile_dates = st.sampled_from(["1600-01-01", "1677-09-21", "1899-12-31", "1900-01-01", "2200-12-31", "2262-04-12"])
_hostile_distributions = st.sampled_from(
    [
        {"dist": "lognormal", "median": 30, "sigma": 30},
        {"dist": "lognormal", "median": 1e9, "sigma": 0.5},
        {"dist": "lognormal", "median": 30, "sigma": 3.5},  # allowed: its far tail is cut
        {"dist": "weibull", "shape": 0.001, "scale": 10},
        {"dist": "gamma", "shape": 1e-9, "scale": 1e12},
        {"dist": "exponential", "mean": 36_525},
        {"dist": "empirical", "values": [1, 1e15]},
        {"dist": "uniform", "low": 0, "high": 73_000},
    ]
)
_edges = st.sampled_from(
    [
        lambda d: d.update(start_date="1900-01-01"),
        lambda d: d.update(start_date="2200-12-31"),
        lambda d: d["demand"]["public_law"].update(monthly_seasonality=[1e6] + [1e-300] * 11),
        lambda d: d["private_law"].update(safeguarding_days={"dist": "lognormal", "median": 30, "sigma": 3.5}),
        lambda d: d["public_law"]["urgent_hearing"]["hearing"].update(notice_days=36_525),
        lambda d: d["courts"].update(relist_notice_days=36_525),
        lambda d: d["regions"]["wales"]["court"].update(
            sitting_hours_per_day={"magistrates": 1e-9, "district_judge": 1e-9, "circuit_judge": 1e-9}
        ),
        lambda d: d["domestic_abuse"]["without_notice_hearing"].update(duration_hours=36_525),
        lambda d: d["demand"]["private_law"].update(trend_per_year=10),
    ]
)
"""Changes at the edge of what a scenario may give: all valid, so the scenario must run."""
_policy_keys = st.sampled_from(
    [
        "run_years",
        "start_date",
        "seed",
        "starting_state.warm_up_days",
        "monitor_interval_days",
        "history",
        "*",
        "demand.public_law.cases_per_year",
        "demand.*.cases_per_year",
        "courts.relist_notice_days",
        "public_law.final_hearing.notice_days",
        "regions.*.cafcass.long_term_advisers",
    ]
)
_extends = st.sampled_from(
    ["/dev/zero", "/etc/passwd", "../../../outside.yaml", "mutated.yaml", str(SMALL), ".", "/proc/self/environ"]
)
RAW_NUMBERS = ["21:00", "1:30.5", "1_000", "0o17", "0x1F", "012", "1e9", ".inf", "-.inf", ".nan", "0b101", "1e400"]
"""Numbers as YAML 1.1 and YAML 1.2 read them differently, written into the text unquoted."""


@st.composite
def hostile_scenario_text(draw: st.DrawFn, base: dict[str, Any] = TINY) -> str:
    """A scenario with up to three hostile changes to its data, then maybe a raw YAML 1.1 number in its text."""
    data = copy.deepcopy(base)
    for _ in range(draw(st.sampled_from([0, 1, 1, 2, 3]))):  # none at times: the options, or a run, are tested
        kind = draw(st.sampled_from(["number", "date", "distribution", "policy", "period", "extends", "edge"]))
        if kind == "edge":
            draw(_edges)(data)
        elif kind == "policy":
            change = {draw(_policy_keys): copy.deepcopy(draw(st.one_of(_hostile_numbers, _hostile_dates, st.just({}))))}
            scale = draw(st.booleans())
            data.setdefault("policies", []).append(
                {"name": "hostile", "date": draw(_hostile_dates), "scale" if scale else "set": change}
            )
        elif kind == "period":
            data["run_years"] = draw(st.sampled_from([0.001, 0.05, 50, 51, 1e9]))
            data["starting_state"] = {"warm_up_days": draw(st.sampled_from([0, 10, 18_262.5, 18_263, 1e7]))}
        elif kind == "extends":
            data["extends"] = draw(_extends)
        else:
            leaves = [p for p in _paths(data) if not isinstance(_at(data, p), dict | list)]
            path = draw(st.sampled_from(leaves))
            parent = _at(data, path[:-1])
            values = {"number": _hostile_numbers, "date": _hostile_dates, "distribution": _hostile_distributions}
            parent[path[-1]] = copy.deepcopy(draw(values[kind]))  # a copy: later changes must not alter the strategy
    text = yaml.safe_dump(data, sort_keys=False, width=100)
    numbers = [m for m in re.finditer(r"(?m)^(\s*[A-Za-z_]\w*: )(-?[0-9.]+)$", text)]
    if numbers and draw(st.booleans()):
        match = draw(st.sampled_from(numbers))
        text = text[: match.start(2)] + draw(st.sampled_from(RAW_NUMBERS)) + text[match.end(2) :]
    return text


def _at(data: Any, path: tuple) -> Any:
    for key in path:
        data = data[key]
    return data


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_scenario_text())
def test_a_hostile_scenario_loads_or_fails_with_located_problems(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutated.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            loaded = load_scenario(path, roots=[ROOT / "tests"])
        except ScenarioError as exc:
            assert exc.problems and str(exc)
            for problem in exc.problems:
                assert problem.message
                assert problem.file == str(path) or problem.file == str(SMALL), problem
                assert problem.line is None or problem.line >= 1, problem
            return
        # Valid: then it fits what a run can hold.
        scenario = loaded.scenario
        assert scenario.end_day <= LONGEST_RUN_DAYS
        assert sum(cases_simulated(scenario).values()) <= MAX_CASES


BAD_OPTIONS = [
    ["--replications", "0"],
    ["--replications", "-1"],
    ["--replications", "x"],
    ["--replications", "1000000000"],
    ["--seed", "-1"],
    ["--seed", str(2**63)],
    ["--seed", "abc"],
    ["--workers", "0"],
    ["--precision", "0"],
    ["--precision", "nan"],
    ["--max-replications", "20000"],
    ["--allow-root", "/no/such/folder"],
]
"""Options the command line refuses, each with exit 2 before anything is written."""
_bad_options = st.sampled_from(BAD_OPTIONS)
_good_options = st.sampled_from([[], ["--seed", "7"], ["--precision", "50", "--max-replications", "2"]])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_scenario_text(), options=st.one_of(_bad_options, _good_options))
def test_the_command_line_never_shows_a_traceback_and_writes_nothing_on_refusal(text: str, options: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        Path("in").mkdir()
        path = Path("in") / "mutated.yaml"
        path.write_text(text, encoding="utf-8")
        before = files_under(Path(folder))
        code, out, err = run_cli("validate", str(path), *TESTS_ROOT)
        assert code in (0, 2) and not NO_TRACEBACK.search(out + err), out + err
        valid = code == 0
        event("valid" if valid else "refused by validate")
        assert files_under(Path(folder)) == before  # validate writes nothing
        if valid:  # a run of a valid scenario only when it is tiny, so the test stays fast
            scenario = load_scenario(path, roots=[ROOT / "tests"]).scenario
            if scenario.end_day > 60 or sum(cases_simulated(scenario).values()) > 5_000:
                return
        command = ["run", str(path), "--out", "out", "--workers", "1", "--replications", "1", "--no-report"]
        code, out, err = run_cli(*command, *TESTS_ROOT, *options)
        assert not NO_TRACEBACK.search(out + err), out + err
        refused = not valid or options in BAD_OPTIONS
        assert code == (2 if refused else 0), (options, out + err)
        written = set(files_under(Path(folder))) - set(before)
        event("exit 2" if refused else "ran")
        if refused:
            assert written == set(), written
        else:
            assert written and all(name.startswith("out" + os.sep) for name in written), written
