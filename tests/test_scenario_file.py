"""How a scenario file is read: every mistake comes back as "file:line: key: message", never a traceback."""

from __future__ import annotations

import os
import textwrap
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.scenario.files import ROOTS_VARIABLE, allowing_roots
from sim.scenario.yaml_file import (
    Problem,
    ScenarioError,
    SourceTree,
    format_key_path,
    load_tree,
    problems_from_validation_error,
    suggest,
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    """Write a scenario file; the text is dedented so line numbers in tests match what is shown."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems_in(path: Path, **kwargs: int) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_tree(path, **kwargs)
    return info.value.problems


# --- the basics of a problem report ------------------------------------------------------------------------


def test_a_problem_reads_as_file_line_key_message() -> None:
    assert str(Problem("a.yaml", 3, "regions.london", "bad")) == "a.yaml:3: regions.london: bad"
    assert str(Problem("a.yaml", None, "", "file not found")) == "a.yaml: file not found"
    error = ScenarioError([Problem("a.yaml", 1, "x", "one"), Problem("a.yaml", 2, "y", "two")])
    assert str(error) == "a.yaml:1: x: one\na.yaml:2: y: two"


def test_key_paths_are_dotted_with_list_indices_in_brackets() -> None:
    assert format_key_path(("pathways", "care", "stages", 2, "name")) == "pathways.care.stages[2].name"
    assert format_key_path(()) == ""


def test_suggest_finds_the_closest_name_or_nothing() -> None:
    assert suggest("advisors", ["advisers", "judges"]) == "advisers"
    assert suggest("zzz", ["advisers", "judges"]) is None


# --- YAML that PyYAML would silently misread ----------------------------------------------------------------


def test_a_duplicate_key_is_reported_with_both_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "dup.yaml",
        """
        regions:
          london:
            advisers: 10
            advisers: 12
        """,
    )
    [problem] = problems_in(path)
    assert str(problem) == f"{path}:4: regions.london.advisers: duplicate key 'advisers' (first on line 3)"


def test_yes_no_on_off_stay_strings_so_a_region_called_no_is_kept(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "words.yaml",
        """
        answers: [yes, no, on, off, y, n, Yes, NO]
        regions:
          no: {advisers: 3}
        """,
    )
    data = load_tree(path).data
    assert data["answers"] == ["yes", "no", "on", "off", "y", "n", "Yes", "NO"]
    assert data["regions"] == {"no": {"advisers": 3}}


def test_true_and_false_in_any_case_are_booleans(tmp_path: Path) -> None:
    path = write(tmp_path, "bools.yaml", "flags: [true, false, True, FALSE, tRuE]\n")
    assert load_tree(path).data["flags"] == [True, False, True, False, True]


def test_numbers_are_read_as_yaml_1_2_so_a_time_is_not_a_base_60_number(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "numbers.yaml",
        """
        time: 21:00
        time_and_seconds: 1:30.5
        leading_zero: 012
        octal: 0o12
        hexadecimal: 0x1F
        underscores: 1_000
        binary: 0b101
        exponent: 1e9
        exponent_with_point: 2.5E-3
        infinity: -.inf
        """,
    )
    data = load_tree(path).data
    assert data["time"] == "21:00" and data["time_and_seconds"] == "1:30.5"  # YAML 1.1 read 1260 and 5430.5
    assert data["leading_zero"] == 12  # YAML 1.1 read 10 (octal)
    assert (data["octal"], data["hexadecimal"]) == (10, 31)
    assert (data["underscores"], data["binary"]) == ("1_000", "0b101")  # words, so a number key reports them
    assert data["exponent"] == 1e9 and isinstance(data["exponent"], float)  # YAML 1.1 wanted 1.0e+9
    assert data["exponent_with_point"] == 0.0025
    assert data["infinity"] == float("-inf")


def test_an_explicit_number_tag_holds_to_yaml_1_2_too(tmp_path: Path) -> None:
    path = write(tmp_path, "tagged.yaml", "seconds: !!int 1:00\nok: !!float 7\n")
    [problem] = problems_in(path)
    assert (problem.line, problem.key_path) == (1, "seconds")
    assert problem.message.startswith("cannot read '1:00' as !!int: not a YAML 1.2 integer")


def test_dates_stay_strings_even_impossible_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "dates.yaml", "start: 2023-02-30\nend: 2024-01-31\n")
    assert load_tree(path).data == {"start": "2023-02-30", "end": "2024-01-31"}


def test_integer_keys_are_allowed_for_probability_tables(tmp_path: Path) -> None:
    path = write(tmp_path, "pmf.yaml", "children_per_case: {1: 0.5, 2: 0.3, 3: 0.2}\n")
    assert load_tree(path).data["children_per_case"] == {1: 0.5, 2: 0.3, 3: 0.2}


def test_null_float_and_boolean_keys_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "keys.yaml",
        """
        pmf:
          1.5: 0.2
          ~: 0.3
          true: 0.5
        """,
    )
    assert [(p.line, p.key_path, p.message) for p in problems_in(path)] == [
        (2, "pmf", "keys must be words, found 1.5"),
        (3, "pmf", "keys must be words, found ~"),
        (4, "pmf", "keys must be words, found true"),
    ]


# --- syntax errors and files that are not scenarios ---------------------------------------------------------


def test_tab_indentation_is_a_syntax_error_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "tabs.yaml"
    path.write_text("regions:\n\tlondon: 1\n")
    [problem] = problems_in(path)
    assert (problem.file, problem.line) == (str(path), 2)
    assert problem.message == "YAML syntax error: found character '\\t' that cannot start any token"


def test_an_unclosed_bracket_is_a_syntax_error(tmp_path: Path) -> None:
    path = write(tmp_path, "bracket.yaml", "stages: [a, b\nregions: {}\n")
    [problem] = problems_in(path)
    assert problem.line == 2
    assert problem.message.startswith("YAML syntax error: expected ',' or ']'")


def test_python_tags_are_refused_and_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    evil = f'name: x\nhook: !!python/object/apply:os.system ["touch {marker}"]\n'
    path = write(tmp_path, "evil.yaml", evil)
    [problem] = problems_in(path)
    assert (problem.line, problem.key_path) == (2, "hook")
    assert "'!!python/object/apply:os.system' is not allowed" in problem.message
    assert not marker.exists()


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing here yet\n   # still nothing\n"])
def test_an_empty_or_comment_only_file_is_reported(tmp_path: Path, text: str) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text(text)
    assert [p.message for p in problems_in(path)] == ["the file is empty"]


def test_the_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "list.yaml", "- london\n- leeds\n")
    [problem] = problems_in(path)
    assert (problem.line, problem.message) == (1, "the top level must be a mapping of keys to values")


def test_binary_garbage_is_not_a_text_file(tmp_path: Path) -> None:
    path = tmp_path / "picture.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xd8\xff\xe0")
    assert [p.message for p in problems_in(path)] == ["not a text file (not valid UTF-8)"]


def test_a_nul_byte_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "nul.yaml"
    path.write_bytes(b"name: x\nregions: \x00\n")
    [problem] = problems_in(path)
    assert problem.line == 2 and "NUL" in problem.message


def test_an_oversized_file_is_refused_without_parsing_it(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("[" * 200)  # would be a syntax error if it were parsed
    [problem] = problems_in(path, max_bytes=100)
    assert problem.message == "the file is 200 bytes; scenario files are limited to 100 bytes"


def test_a_missing_file_or_a_directory_is_reported(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert [str(p) for p in problems_in(missing)] == [f"{missing}: file not found"]
    [problem] = problems_in(tmp_path)
    assert "directory" in problem.message


def test_a_file_that_grows_past_the_limit_is_read_no_further_than_the_limit(tmp_path: Path) -> None:
    """/proc files report a size of 0 whatever they hold: the read itself is bounded, not only the stat."""
    path = Path("/proc/self/status")
    if not path.is_file():
        pytest.skip("needs /proc")
    [problem] = problems_in(path, max_bytes=10)
    assert problem.message == "the file is more than 10 bytes; scenario files are limited to 10 bytes"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_a_device_and_a_loop_of_links_are_refused_without_waiting(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)  # opened for reading, a pipe with no writer would wait for ever
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    cases = {
        pipe: "this is a named pipe, not a regular file: a scenario is a file",
        Path(os.devnull): "this is a device, not a regular file: a scenario is a file",
        tmp_path / "a.yaml": "a loop of symbolic links, not a scenario file",
    }
    for path, message in cases.items():
        assert [(p.file, p.line, p.message) for p in problems_in(path)] == [(str(path), None, message)]
    child = write(tmp_path, "child.yaml", "name: x\nextends: pipe.yaml\n")
    [problem] = problems_in(child)
    assert (problem.file, problem.line, problem.key_path) == (str(child), 2, "extends")
    assert problem.message == f"{pipe}: this is a named pipe, not a regular file: a scenario is a file"
    looping = write(tmp_path, "looping.yaml", "extends: a.yaml\n")
    [problem] = problems_in(looping)
    assert problem.message == f"{tmp_path / 'a.yaml'}: a loop of symbolic links, not a scenario file"


def test_a_document_that_explodes_through_aliases_is_refused(tmp_path: Path) -> None:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    path = write(tmp_path, "laughs.yaml", "\n".join(lines) + "\n")
    [problem] = problems_in(path)
    assert "more than 200000 values through aliases" in problem.message


def test_anchors_and_merge_keys_still_work(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "anchors.yaml",
        """
        defaults: &defaults {advisers: 10, judges: 4}
        regions:
          london:
            <<: *defaults
            judges: 6
        """,
    )
    tree = load_tree(path)
    assert tree.data["regions"]["london"] == {"advisers": 10, "judges": 6}
    assert tree.locate(("regions", "london", "judges")) == (str(path), 5)


def test_every_problem_in_a_file_is_reported_in_line_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "many.yaml",
        """
        name: x
        name: y
        regions:
          london: !!python/name:os.system
          1.5: nothing
        stages:
          - name: a
            name: b
        """,
    )
    assert [(p.line, p.key_path) for p in problems_in(path)] == [
        (2, "name"),
        (4, "regions.london"),
        (5, "regions"),
        (8, "stages[0].name"),
    ]


# --- extends ------------------------------------------------------------------------------------------------


def test_extends_deep_merges_mappings_and_replaces_lists_and_nulls(tmp_path: Path) -> None:
    base = write(
        tmp_path,
        "base.yaml",
        """
        name: base
        regions:
          london:
            advisers: 10
            judges: 4
          leeds: {advisers: 5}
        stages: [issue, hearing, final]
        """,
    )
    child = write(
        tmp_path,
        "child.yaml",
        """
        extends: base.yaml
        name: child
        regions:
          london:
            advisers: 12
          leeds: null
        stages: [issue]
        """,
    )
    tree = load_tree(child)
    assert tree.data == {
        "name": "child",
        "regions": {"london": {"advisers": 12, "judges": 4}, "leeds": None},
        "stages": ["issue"],
    }
    assert tree.files == [str(child), str(base)]
    assert tree.locate(("regions", "london", "advisers")) == (str(child), 5)  # set last by the child
    assert tree.locate(("regions", "london", "judges")) == (str(base), 5)  # inherited from the base
    assert tree.locate(("stages", 0)) == (str(child), 7)
    assert tree.locate(("stages", 2)) == (str(child), 7)  # the base's third stage is gone: its parent list
    assert tree.locate(("no_such_key",)) == (str(child), 1)


def test_extends_follows_a_chain_relative_to_each_file(tmp_path: Path) -> None:
    write(tmp_path, "shared/c.yaml", "a: from c\nb: from c\nc: from c\n")
    write(tmp_path, "shared/b.yaml", "extends: c.yaml\nb: from b\nc: from b\n")
    top = write(tmp_path, "a.yaml", "extends: shared/b.yaml\nc: from a\n")
    tree = load_tree(top)
    assert tree.data == {"a": "from c", "b": "from b", "c": "from a"}
    assert tree.files == [str(top), str(tmp_path / "shared/b.yaml"), str(tmp_path / "shared/c.yaml")]


def test_an_extends_loop_is_reported_with_the_chain(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "extends: b.yaml\n")
    b = write(tmp_path, "b.yaml", "name: b\nextends: a.yaml\n")
    [problem] = problems_in(a)
    assert (problem.file, problem.line, problem.key_path) == (str(b), 2, "extends")
    assert problem.message == f"loop: {a} -> {b} -> {a}"


def test_a_file_extending_itself_is_a_loop(tmp_path: Path) -> None:
    path = write(tmp_path, "self.yaml", "name: x\nextends: self.yaml\n")
    [problem] = problems_in(path)
    assert (problem.line, problem.message) == (2, f"loop: {path} -> {path}")


def test_extending_a_missing_file_points_at_the_extends_line(tmp_path: Path) -> None:
    path = write(tmp_path, "child.yaml", "name: x\nextends: elsewhere/base.yaml\n")
    [problem] = problems_in(path)
    assert (problem.file, problem.line, problem.key_path) == (str(path), 2, "extends")
    assert problem.message == f"file not found: {tmp_path / 'elsewhere' / 'base.yaml'}"


# --- extends stays inside the scenario's folders -------------------------------------------------------------


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory that holds none of the files, and no roots named in the environment."""
    monkeypatch.delenv(ROOTS_VARIABLE, raising=False)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


def test_extends_outside_the_scenarios_folders_is_refused_without_reading_it(tmp_path: Path, elsewhere: Path) -> None:
    write(tmp_path, "secret/creds.yaml", "name: hunter2-SECRET-TOKEN\n")
    evil = write(tmp_path, "project/options/evil.yaml", "extends: ../../secret/creds.yaml\nname: x\n")
    [problem] = problems_in(evil)
    assert (problem.file, problem.line, problem.key_path) == (str(evil), 1, "extends")
    assert problem.message.startswith(f"{tmp_path / 'secret' / 'creds.yaml'} is outside the folders a scenario may")
    assert f"({tmp_path / 'project' / 'options'}, {elsewhere})" in problem.message and "--allow-root" in problem.message
    # Not even looked at: a named pipe there would hang a reader, and a missing file gets the same answer.
    os.mkfifo(tmp_path / "secret" / "pipe.yaml")
    for target in ("/etc/passwd", "../../secret/pipe.yaml", "../../secret/missing.yaml", "/dev/zero"):
        evil.write_text(f"extends: {target}\n", encoding="utf-8")
        [problem] = problems_in(evil)
        assert "is outside the folders a scenario may read" in problem.message, target


def test_a_link_inside_the_folder_that_points_outside_is_outside(tmp_path: Path, elsewhere: Path) -> None:
    write(tmp_path, "secret/creds.yaml", "name: x\n")
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "base.yaml").symlink_to(tmp_path / "secret" / "creds.yaml")
    child = write(tmp_path, "project/child.yaml", "extends: base.yaml\n")
    [problem] = problems_in(child)
    assert "is outside the folders a scenario may read" in problem.message


def test_extends_reaches_the_nearest_scenarios_folder_the_working_directory_and_named_roots(
    tmp_path: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "repo/scenarios/baseline.yaml", "a: 1\n")
    calibration = write(tmp_path, "repo/scenarios/calibration/fitted.yaml", "extends: ../baseline.yaml\nb: 2\n")
    assert load_tree(calibration).data == {"a": 1, "b": 2}  # from any working directory, as the repository's is
    write(tmp_path, "shared/base.yaml", "a: 1\n")
    option = write(tmp_path, "repo/options/option.yaml", "extends: ../../shared/base.yaml\nb: 2\n")
    assert "is outside" in problems_in(option)[0].message
    assert load_tree(option, roots=[tmp_path / "shared"]).data == {"a": 1, "b": 2}
    with allowing_roots([tmp_path / "shared"]):  # what --allow-root DIR does
        assert load_tree(option).data == {"a": 1, "b": 2}
    assert "is outside" in problems_in(option)[0].message  # only within the block
    monkeypatch.setenv(ROOTS_VARIABLE, os.pathsep.join([str(tmp_path / "nothing"), str(tmp_path / "shared")]))
    assert load_tree(option).data == {"a": 1, "b": 2}
    monkeypatch.delenv(ROOTS_VARIABLE)
    monkeypatch.chdir(tmp_path)  # the working directory's tree holds both files
    assert load_tree(option).data == {"a": 1, "b": 2}


def test_a_problem_in_a_file_the_user_did_not_name_shows_none_of_its_values(tmp_path: Path) -> None:
    """The file may be anything the scenario's folders hold: its keys and lines are shown, its values are not."""
    write(tmp_path, "creds.yaml", "user: 'admin'\ntoken: !!binary aHVudGVyMg==\nport: 1:00\nport: 2\n")
    option = write(tmp_path, "option.yaml", "extends: creds.yaml\nname: !!str 'hunter3'\nmine: !!python/name:x y\n")
    problems = problems_in(option)
    assert [(p.file, p.line, p.key_path) for p in problems] == [
        (str(option), 3, "mine"),
        (str(tmp_path / "creds.yaml"), 2, "token"),
        (str(tmp_path / "creds.yaml"), 4, "port"),
    ]
    assert "'!!python/name:x' is not allowed" in problems[0].message  # the named file's own value is shown
    assert problems[1].message.startswith("the tag '…' is not allowed") and "binary" not in problems[1].message
    assert problems[1].message.endswith(
        "(values from a file reached through extends are not shown: validate it by name to see them)"
    )
    assert problems[2].message.startswith("duplicate key 'port'")  # a key of its path is shown
    assert "hunter" not in str(problems)


def test_extends_must_be_a_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, "child.yaml", "extends: [a.yaml, b.yaml]\n")
    [problem] = problems_in(path)
    assert (problem.line, problem.key_path) == (1, "extends")


def test_problems_in_an_extended_file_carry_its_name(tmp_path: Path) -> None:
    base = write(tmp_path, "base.yaml", "name: a\nregions: {}\nregions: {}\n")
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nname: b\nname: c\n")
    assert [(p.file, p.line) for p in problems_in(child)] == [(str(child), 3), (str(base), 3)]


# --- pydantic errors mapped back to lines ------------------------------------------------------------------


class Fixed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dist: Literal["fixed"]
    days: float = Field(gt=0)


class Lognormal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dist: Literal["lognormal"]
    median: float = Field(gt=0)
    sigma: float = Field(gt=0)


class Stage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    duration_days: Annotated[Fixed | Lognormal, Field(discriminator="dist")]


class Cafcass(BaseModel):
    model_config = ConfigDict(extra="forbid")
    advisers: int = Field(ge=0)
    teams: int = 1


class Region(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cafcass: Cafcass


class Pathway(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stages: list[Stage]


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    start_date: date | None = None
    regions: dict[str, Region] = {}
    pathways: dict[str, Pathway] = {}


def validation_problems(tree: SourceTree) -> list[Problem]:
    with pytest.raises(ValidationError) as info:
        Scenario.model_validate(tree.data)
    error = problems_from_validation_error(info.value, tree, Scenario)
    assert isinstance(error, ScenarioError)
    return error.problems


def test_an_unknown_key_is_located_and_gets_a_did_you_mean(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "typo.yaml",
        """
        name: x
        regions:
          london:
            cafcass:
              advisers: 10
              temas: 2
        pathways:
          public_law:
            stages:
              - name: issue
                duration_days: {dist: lognormal, median: 30, sigma: 0.5, sigmma: 1}
        """,
    )
    assert [str(p) for p in validation_problems(load_tree(path))] == [
        f"{path}:6: regions.london.cafcass.temas: unknown key 'temas'; did you mean 'teams'?",
        f"{path}:11: pathways.public_law.stages[0].duration_days.sigmma: unknown key 'sigmma'",
    ]  # 'sigma' is already given, so it is not offered for 'sigmma'


def test_a_suggestion_inside_a_discriminated_union_uses_the_chosen_member(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "union.yaml",
        """
        name: x
        pathways:
          public_law:
            stages:
              - name: issue
                duration_days:
                  dist: lognormal
                  sigma: 0.5
                  medain: 30
        """,
    )
    messages = {p.message: (p.line, p.key_path) for p in validation_problems(load_tree(path))}
    assert messages["unknown key 'medain'; did you mean 'median'?"] == (
        9,
        "pathways.public_law.stages[0].duration_days.medain",
    )
    assert messages["missing required key 'median'"] == (6, "pathways.public_law.stages[0].duration_days")


def test_a_missing_key_is_reported_at_its_parent_mapping(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "missing.yaml",
        """
        name: x
        regions:
          london:
            cafcass:
              teams: 2
        """,
    )
    [problem] = validation_problems(load_tree(path))
    assert str(problem) == f"{path}:4: regions.london.cafcass: missing required key 'advisers'"


def test_an_out_of_range_value_through_a_discriminated_union_has_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "range.yaml",
        """
        name: x
        pathways:
          public_law:
            stages:
              - name: issue
                duration_days: {dist: fixed, days: 1}
              - name: hearing
                duration_days:
                  dist: lognormal
                  median: -3
                  sigma: 0.5
        """,
    )
    [problem] = validation_problems(load_tree(path))
    assert str(problem) == (
        f"{path}:10: pathways.public_law.stages[1].duration_days.median: Input should be greater than 0 (got -3)"
    )


def test_a_wrong_type_in_a_list_item_points_at_the_item(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "item.yaml",
        """
        name: x
        pathways:
          public_law:
            stages:
              - name: issue
                duration_days: {dist: fixed, days: 1}
              - just a string
        """,
    )
    [problem] = validation_problems(load_tree(path))
    assert (problem.line, problem.key_path) == (7, "pathways.public_law.stages[1]")
    assert problem.message.endswith("(got 'just a string')")


def test_an_impossible_date_reaches_pydantic_and_is_reported_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "date.yaml", "name: x\nstart_date: 2023-02-30\n")
    [problem] = validation_problems(load_tree(path))
    assert (problem.line, problem.key_path) == (2, "start_date")
    assert problem.message.endswith("(got '2023-02-30')")


def test_a_bad_inherited_value_is_reported_in_the_file_that_set_it(tmp_path: Path) -> None:
    base = write(tmp_path, "base.yaml", "name: base\nregions:\n  london:\n    cafcass: {advisers: -1}\n")
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nname: child\n")
    [problem] = validation_problems(load_tree(child))
    assert (problem.file, problem.line, problem.key_path) == (str(base), 4, "regions.london.cafcass.advisers")


def test_extends_replaces_a_distribution_of_another_family_whole(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("stage:\n  duration_days: {dist: lognormal, median: 84, sigma: 0.5}\n")
    (tmp_path / "option.yaml").write_text(
        "extends: base.yaml\nstage:\n  duration_days: {dist: gamma, shape: 2, scale: 40}\n"
    )
    assert load_tree(tmp_path / "option.yaml").data["stage"]["duration_days"] == {
        "dist": "gamma",
        "shape": 2,
        "scale": 40,
    }
    (tmp_path / "same.yaml").write_text("extends: base.yaml\nstage:\n  duration_days: {dist: lognormal, median: 60}\n")
    assert load_tree(tmp_path / "same.yaml").data["stage"]["duration_days"] == {
        "dist": "lognormal",
        "median": 60,
        "sigma": 0.5,
    }


def test_a_typo_of_a_key_the_extended_file_sets_still_gets_a_suggestion(tmp_path: Path) -> None:
    class Courts(BaseModel):
        model_config = ConfigDict(extra="forbid")
        adjourn_probability: float

    class Root(BaseModel):
        model_config = ConfigDict(extra="forbid")
        courts: Courts

    (tmp_path / "base.yaml").write_text("courts:\n  adjourn_probability: 0.1\n")
    (tmp_path / "option.yaml").write_text("extends: base.yaml\ncourts:\n  adjourn_probablity: 0.2\n")
    tree = load_tree(tmp_path / "option.yaml")
    with pytest.raises(ValidationError) as caught:
        Root.model_validate(tree.data)
    [problem] = problems_from_validation_error(caught.value, tree, Root).problems
    assert problem.line == 3
    assert "did you mean 'adjourn_probability'?" in problem.message
