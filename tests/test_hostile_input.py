"""Hostile and mistaken input: every bad scenario is refused with its file, line and key, never a traceback.

``tests/bad_scenarios/`` holds a corpus of scenario files with one mistake each (most extend the baseline);
``CORPUS`` below says, for each, where the mistake must be reported. ``validate`` must exit 2 naming the file,
the line and the key path, and ``run`` must exit 2 and write nothing. A property-based test mutates the small
scenario at random and checks that loading either succeeds or raises ScenarioError with located problems.
Safety: scenario files cannot run code, ``extends`` resolves relative to the scenario file, a run writes only
under its output directory and does not overwrite results without ``--force``.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli.main import main
from sim.scenario.loading import load_scenario
from sim.scenario.yaml_file import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "bad_scenarios"
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
BASELINE = ROOT / "scenarios" / "baseline.yaml"


@dataclass(frozen=True)
class Bad:
    """Where the mistake in a corpus file must be reported."""

    line: int | None  # None: a problem with the whole file (empty, too big), where no line applies
    key: str | None  # the key path the message must name (its start), None when no key applies
    words: str  # words the message must contain
    reported_in: str | None = None  # the corpus file the problem is in, when not the file validated


CORPUS: dict[str, Bad] = {
    "syntax_error.yaml": Bad(5, None, "YAML syntax error"),
    "tab_indentation.yaml": Bad(4, None, "YAML syntax error: found character '\\t'"),
    "duplicate_key.yaml": Bad(4, "run_years", "duplicate key 'run_years' (first on line 2)"),
    "unknown_key_typo.yaml": Bad(2, "run_yaers", "unknown key 'run_yaers'"),
    "unknown_nested_key.yaml": Bad(3, "cafcass.long_term_caseload_limt", "unknown key"),
    "wrong_type_string_for_number.yaml": Bad(2, "run_years", "valid number"),
    "region_named_no.yaml": Bad(5, "demand.domestic_abuse.region_shares.no", "unknown region 'no'"),
    "pathfinder_from_yes.yaml": Bad(5, "regions.wales.pathfinder_from", "(got 'yes')"),
    "negative_capacity.yaml": Bad(4, "regions.london.cafcass.long_term_advisers", "greater than or equal to 0"),
    "zero_caseload_limit.yaml": Bad(3, "cafcass.long_term_caseload_limit", "greater than 0"),
    "probability_above_one.yaml": Bad(3, "courts.adjourn_probability", "less than or equal to 1"),
    "shares_not_summing_to_one.yaml": Bad(3, "public_law.outcomes", "must sum to 1"),
    "impossible_date.yaml": Bad(2, "start_date", "'2023-02-30'"),
    "not_a_date.yaml": Bad(2, "start_date", "'next tuesday'"),
    "extends_missing_file.yaml": Bad(1, "extends", "file not found"),
    "extends_loop_a.yaml": Bad(1, "extends", "loop", reported_in="extends_loop_b.yaml"),
    "extends_loop_b.yaml": Bad(1, "extends", "loop", reported_in="extends_loop_a.yaml"),
    "extends_itself.yaml": Bad(1, "extends", "loop"),
    "extends_a_directory.yaml": Bad(1, "extends", "directory"),
    "extends_a_bad_base.yaml": Bad(2, "run_years", "greater than 0", reported_in="negative_run_years.yaml"),
    "empty.yaml": Bad(None, None, "the file is empty"),
    "comments_only.yaml": Bad(None, None, "the file is empty"),
    "top_level_list.yaml": Bad(1, None, "the top level must be a mapping"),
    "binary_garbage.yaml": Bad(3, None, "not a text file"),
    "enormous_number.yaml": Bad(4, "cafcass.long_term_caseload_limit", "finite number (got inf)"),
    "huge_integer.yaml": Bad(2, "seed", "less than 9223372036854775808"),
    "python_tag.yaml": Bad(3, "description", "'!!python/object/apply:os.system' is not allowed"),
    "alias_bomb.yaml": Bad(None, None, "values through aliases"),
    "policy_unknown_key.yaml": Bad(3, "policies[0]", "unknown key 'long_term_advisors'"),
    "policy_invalid_probability.yaml": Bad(3, "policies[0]", "makes courts.adjourn_probability invalid"),
    "hearing_unknown_tier.yaml": Bad(4, "public_law.final_hearing.tier", "'high_court' is not one of courts.tiers"),
    "distribution_wrong_parameters.yaml": Bad(4, "pathfinder.review_days", "unknown key 'rate'"),
    "lognormal_median_and_mean.yaml": Bad(5, "public_law.assessments.duration_days", "give either 'median'"),
    "empirical_mismatched_lengths.yaml": Bad(4, "children.age_years.public_law", "one more entry"),
    "unknown_distribution.yaml": Bad(3, "pathfinder.gatekeeping_days", "'normal'"),
    "negative_run_years.yaml": Bad(2, "run_years", "greater than 0"),
    "region_share_unknown_region.yaml": Bad(4, "demand.public_law.region_shares.atlantis", "unknown region"),
    "unknown_case_type.yaml": Bad(3, "demand.care", "'care'"),
    "list_for_mapping.yaml": Bad(2, "regions", "valid dictionary"),
    "null_for_a_section.yaml": Bad(2, "courts", "valid dictionary"),
    "weekday_out_of_range.yaml": Bad(3, "courts.sitting_weekdays[5]", "less than or equal to 6"),
    "recess_impossible_day.yaml": Bad(4, "courts.recess[0].start", "not a day of the year"),
    "warm_up_and_open_cases.yaml": Bad(2, "starting_state", "not both"),
    "name_with_a_path.yaml": Bad(3, "name", "(got '../../outside')"),
    "deeply_nested.yaml": Bad(None, None, "the file is nested too deeply"),
    "utf16_text.yaml": Bad(1, None, "not a text file"),
    "policy_bad_key_paths.yaml": Bad(
        3, "policies[0].set.courts.relist_notice_days.*", "'courts.relist_notice_days' is not a mapping of keys"
    ),
}
"""Each corpus file -> where its mistake must be reported. Every file in tests/bad_scenarios is listed."""

KNOWN_BUGS: dict[str, str] = {}
"""Corpus files whose message is wrong today (the exit code and writing nothing are still checked)."""

WHOLE_FILE_MESSAGES = ("the file is empty", "the file is ", "the file expands to more than")
"""Problems with a file as a whole, reported as 'file: message' because no line applies."""

SUBPROCESS_SAMPLE = ["syntax_error.yaml", "python_tag.yaml", "binary_garbage.yaml", "extends_loop_a.yaml"]

NO_TRACEBACK = re.compile(r"Traceback|^\s+File \"", re.M)


def where(name: str) -> str:
    """The 'file:line: key' (or 'file: words') prefix the message for a corpus file must contain."""
    bad = CORPUS[name]
    file = BAD / (bad.reported_in or name)
    if bad.line is None:
        return f"{file}: "
    return f"{file}:{bad.line}: {bad.key}" if bad.key else f"{file}:{bad.line}: "


def corpus_params() -> list[Any]:
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name]))
        if name in KNOWN_BUGS
        else name
        for name in sorted(CORPUS)
    ]


def files_under(root: Path) -> dict[str, str]:
    """Every file under root (relative path -> sha256), to see what a command wrote."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


# ---------------------------------------------------------------------------------------------- the corpus
def test_the_corpus_is_complete_and_the_baseline_it_extends_is_valid(capsys) -> None:
    on_disk = {p.name for p in BAD.iterdir() if p.is_file()}
    assert on_disk == set(CORPUS), "list every file of tests/bad_scenarios in CORPUS (and only those)"
    assert len(CORPUS) >= 30
    # Most corpus files extend the baseline: if it were invalid, their messages would be about it instead.
    assert main(["validate", str(BASELINE)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("name", corpus_params())
def test_validate_names_the_file_line_and_key(name: str, capsys) -> None:
    path = BAD / name
    code = main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert code == 2
    assert not NO_TRACEBACK.search(out + err)
    assert "ok:" not in out
    assert where(name) in err, err
    assert CORPUS[name].words in err, err
    assert "1 of 1 scenario file invalid" in err


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_run_refuses_and_writes_nothing(name: str, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # a run that fell back to the default results/ folder would write here
    before = files_under(tmp_path)
    # The corpus extends the repository's baseline, outside this working directory: --allow-root names it.
    code = main(["run", str(BAD / name), "--out", str(tmp_path / "x"), "--workers", "1", "--allow-root", str(ROOT)])
    out, err = capsys.readouterr()
    assert code == 2
    assert not NO_TRACEBACK.search(out + err)
    assert "error: the scenario has problems" in err
    assert where(name) in err and CORPUS[name].words in err
    assert not (tmp_path / "x").exists()
    assert files_under(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_validate_reports_every_bad_file_given_at_once(capsys) -> None:
    names = sorted(set(CORPUS) - set(KNOWN_BUGS))
    assert main(["validate", str(SMALL), *(str(BAD / n) for n in names)]) == 2
    out, err = capsys.readouterr()
    assert f"ok: {SMALL}" in out
    assert f"{len(names)} of {len(names) + 1} scenario files invalid" in err
    for name in names:
        assert where(name) in err, name


@pytest.mark.parametrize("name", SUBPROCESS_SAMPLE)
def test_validate_in_a_subprocess(name: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CI": "1"}
    done = subprocess.run(
        [sys.executable, "run_sim.py", "validate", str(BAD / name)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert where(name) in done.stderr
    assert not NO_TRACEBACK.search(done.stdout + done.stderr)


def test_run_in_a_subprocess_writes_nothing(tmp_path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CI": "1"}
    out = tmp_path / "x"
    done = subprocess.run(
        [sys.executable, str(ROOT / "run_sim.py"), "run", str(BAD / "duplicate_key.yaml"), "--out", str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert where("duplicate_key.yaml") in done.stderr
    assert not NO_TRACEBACK.search(done.stdout + done.stderr)
    assert list(tmp_path.iterdir()) == []


def test_a_10_megabyte_file_is_refused_without_reading_it_as_yaml(tmp_path, capsys) -> None:
    path = tmp_path / "huge.yaml"
    line = "# " + "x" * 98 + "\n"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f"extends: {BASELINE}\n")
        for _ in range(10 * 1024 * 1024 // len(line)):
            handle.write(line)
    assert path.stat().st_size > 10_000_000
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert f"{path}: the file is {path.stat().st_size} bytes" in err
    assert not NO_TRACEBACK.search(out + err)
    assert main(["run", str(path), "--out", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------------------------------------- safety
def test_a_python_tag_runs_nothing(tmp_path, capsys) -> None:
    pwned = Path("/tmp/pwned")
    existed = pwned.exists()  # the corpus file's own command; only a fresh file would prove it ran
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.yaml"
    evil.write_text(
        (BAD / "python_tag.yaml")
        .read_text(encoding="utf-8")
        .replace("../../scenarios/baseline.yaml", str(BASELINE))
        .replace("/tmp/pwned", str(marker)),
        encoding="utf-8",
    )
    for path in (BAD / "python_tag.yaml", evil):
        assert main(["validate", str(path)]) == 2
        assert main(["run", str(path), "--out", str(tmp_path / "x")]) == 2
        with pytest.raises(ScenarioError):
            load_scenario(path)
    err = capsys.readouterr().err
    assert "is not allowed; scenario files hold plain values only" in err
    assert not marker.exists()
    assert pwned.exists() == existed


def test_other_tags_are_refused_too(tmp_path) -> None:
    for tag in ("!!python/name:os.system", "!!binary aGVsbG8=", "!custom 3", "!!set {a, b}", "!!timestamp 2024-01-01"):
        path = tmp_path / "tagged.yaml"
        path.write_text(f"extends: {SMALL}\ndescription: {tag}\n", encoding="utf-8")
        with pytest.raises(ScenarioError) as caught:
            load_scenario(path)
        [problem] = caught.value.problems
        assert (problem.file, problem.line, problem.key_path) == (str(path), 2, "description")
        assert "is not allowed" in problem.message


def test_extends_resolves_relative_to_the_scenario_file_not_the_working_directory(tmp_path, monkeypatch) -> None:
    tmp_path = tmp_path / "scenarios"  # ../x.yaml is inside the nearest 'scenarios' folder, as in the repository
    (tmp_path / "sub").mkdir(parents=True)
    shutil.copy(SMALL, tmp_path / "x.yaml")
    option = tmp_path / "sub" / "option.yaml"
    option.write_text("extends: ../x.yaml\nname: option\nrun_years: 2\n", encoding="utf-8")
    # A decoy: ../x.yaml from the working directory is a different, invalid file.
    cwd = tmp_path / "elsewhere" / "inner"
    cwd.mkdir(parents=True)
    (tmp_path / "elsewhere" / "x.yaml").write_text("run_years: -1\n", encoding="utf-8")
    monkeypatch.chdir(cwd)
    for name in (str(option), os.path.relpath(option, cwd)):
        loaded = load_scenario(name)
        assert loaded.scenario.name == "option" and loaded.scenario.run_years == 2
        assert loaded.scenario.seed == 20240101  # from x.yaml next to the scenario, not the decoy
        assert main(["validate", name]) == 0


def short_scenario(folder: Path) -> Path:
    """small.yaml cut to a quarter of a year, for runs whose results do not matter."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "short.yaml"
    path.write_text(f"extends: {SMALL}\nname: short\nrun_years: 0.25\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_a_run_writes_only_under_its_output_directory(tmp_path, monkeypatch, capsys) -> None:
    (tmp_path / "in").mkdir()
    shutil.copy(SMALL, tmp_path / "in" / "small.yaml")
    scenario = tmp_path / "in" / "short.yaml"
    scenario.write_text("extends: small.yaml\nname: short\nrun_years: 0.25\n", encoding="utf-8")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    before = files_under(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--replications", "1", "--workers", "1", "--out", str(out)]) == 0
    after = files_under(tmp_path)
    changed = {name for name in set(before) | set(after) if before.get(name) != after.get(name)}
    assert changed and all(name.startswith("out" + os.sep) for name in changed), sorted(changed)
    assert list(cwd.iterdir()) == []
    capsys.readouterr()


@pytest.mark.slow
def test_a_run_does_not_overwrite_results_without_force(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    command = ["run", str(short_scenario(tmp_path / "in")), "--replications", "1", "--workers", "1", "--out", str(out)]
    assert main(command) == 0
    first = files_under(out)
    assert main([*command, "--seed", "99"]) == 2
    assert "already exists and is not empty" in capsys.readouterr().err
    assert files_under(out) == first
    (out / "my_notes.txt").write_text("an analyst's own file", encoding="utf-8")
    assert main([*command, "--seed", "99", "--force"]) == 0
    assert (out / "my_notes.txt").read_text(encoding="utf-8") == "an analyst's own file"
    assert files_under(out)["summary.csv"] != first["summary.csv"]  # replaced by the new seed's results


def test_a_run_refuses_an_output_path_that_is_a_file(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    out.write_text("not a directory", encoding="utf-8")
    assert main(["run", str(SMALL), "--replications", "1", "--workers", "1", "--out", str(out)]) == 2
    _, err = capsys.readouterr()
    assert "not a directory" in err and not NO_TRACEBACK.search(err)
    assert out.read_text(encoding="utf-8") == "not a directory"


def test_an_extending_file_can_change_a_distributions_family(tmp_path) -> None:
    """A distribution of another family replaces the base's whole, rather than merging with its parameters."""
    option = tmp_path / "gamma.yaml"
    option.write_text(
        f"extends: {BASELINE}\nprivate_law:\n  safeguarding_days: {{dist: gamma, mean: 21, sd: 5}}\n", encoding="utf-8"
    )
    loaded = load_scenario(option)
    assert loaded.scenario.private_law.safeguarding_days.mean() == pytest.approx(21)


# ---------------------------------------------------------------------------------------------- property-based
with open(SMALL, encoding="utf-8") as _handle:
    SMALL_DATA: dict[str, Any] = yaml.safe_load(_handle)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    found = []
    for key, child in items:
        found.append((*prefix, key))
        found += _paths(child, (*prefix, key))
    return found


PATHS = _paths(SMALL_DATA)

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.just(10**400),
    st.just(-(10**30)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([-1, 0, -0.5, 1.5, "no", "yes", "2023-02-30", "", "~", "null", "1e400", "NaN"]),
    _text,
)
_values = st.one_of(
    _scalars,
    st.lists(_scalars, max_size=4),
    st.dictionaries(st.one_of(_text, st.integers(-3, 30)), _scalars, max_size=4),
)


def _parent(data: Any, path: tuple) -> Any:
    node = data
    for key in path[:-1]:
        node = node[key]
    return node


@st.composite
def mutated_scenario_text(draw: st.DrawFn) -> str:
    """The small scenario with one to three random changes to its data, then maybe to its text."""
    data = copy.deepcopy(SMALL_DATA)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _parent(data, path), path[-1]
        kind = draw(st.sampled_from(["delete", "replace", "rename"]))
        if kind == "delete":
            del parent[key]
        elif kind == "replace":
            parent[key] = draw(_values)
        elif isinstance(parent, dict):
            parent[draw(st.one_of(_text, st.sampled_from(["run_yaers", "extends", "policies", "no", "1"])))] = (
                parent.pop(key)
            )
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    lines = text.splitlines(keepends=True)
    keyed = [i for i, line in enumerate(lines) if re.match(r"^\s*[A-Za-z_]\w*:", line)]
    if keyed and draw(st.booleans()):  # write one key twice
        i = draw(st.sampled_from(keyed))
        lines.insert(i + 1, lines[i])
    text = "".join(lines)
    if draw(st.booleans()):  # insert random characters anywhere
        at = draw(st.integers(0, len(text)))
        noise = draw(
            st.one_of(
                st.sampled_from(
                    ["\t", ":", "- ", "{", "]", "&a ", "*a ", "'", '"', "\x00", "\x07", "#", "!!python/name:os.system "]
                ),
                st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=6),
            )
        )
        text = text[:at] + noise + text[at:]
    return text


def _located(problem: Any, path: Path) -> bool:
    whole_file = problem.line is None and problem.message.startswith(WHOLE_FILE_MESSAGES)
    return problem.file == str(path) and (whole_file or (isinstance(problem.line, int) and problem.line >= 1))


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=mutated_scenario_text())
def test_a_mutated_scenario_loads_or_fails_with_located_problems(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutated.yaml"
        path.write_bytes(text.encode("utf-8"))
        try:
            load_scenario(path)
        except ScenarioError as exc:
            assert exc.problems
            assert str(exc)
            for problem in exc.problems:
                assert problem.message
                assert _located(problem, path), f"problem without its file and line: {problem!r}"
