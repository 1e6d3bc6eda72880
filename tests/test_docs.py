"""The documentation stays true to the code.

- docs/scenario-reference.md is exactly what ``python -m sim.scenario.reference`` generates now (it cannot drift);
- every schema field has a description, or is on a known list reported to the schema's owner, and the
  generator still documents it;
- every YAML snippet in README.md, scenarios/README.md and docs/*.md validates: a full scenario as it is,
  an ``extends:`` option next to a copy of scenarios/, a fragment (top-level keys of a scenario) merged onto
  the baseline;
- README's quick start is exactly the two commands, and relative links in the docs lead to files;
- the scenarios in scenarios/ validate, are described in scenarios/README.md, and the policy options still
  hold what their comments say they hold (a warning while the baseline is calibrated);
- the assumptions log covers every key of the baseline, and each row's value is the baseline's value
  (a stale value is a warning while the baseline is calibrated: see STRICT_VALUES).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import warnings
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, Field

from sim.experiment.options_study import load_study
from sim.scenario import reference
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))
MARKDOWN = [ROOT / "README.md", ROOT / "scenarios" / "README.md", ROOT / "results" / "README.md", *DOCS]
SNIPPET_FILES = [ROOT / "README.md", ROOT / "scenarios" / "README.md", *DOCS]

STRICT_VALUES = True
"""While the baseline is being calibrated, a baseline value that no longer matches the assumptions log or the
policy options is reported as a warning (``StaleDocs``), not a failure, so calibration is not blocked. Set to
True once the baseline is settled: then a stale value fails the test."""


class StaleDocs(UserWarning):
    """A value in docs/assumptions.md or a policy option no longer follows scenarios/baseline.yaml."""


def report_stale(problems: list[str], what: str) -> None:
    if not problems:
        return
    message = what + ":\n" + "\n".join(problems)
    if STRICT_VALUES:
        pytest.fail(message)
    warnings.warn(message, StaleDocs, stacklevel=2)


# --- the generated reference ---------------------------------------------------------------------------------


def test_committed_reference_equals_a_fresh_generation() -> None:
    committed = (ROOT / "docs" / "scenario-reference.md").read_text(encoding="utf-8")
    assert committed == reference.render(), (
        "docs/scenario-reference.md is out of date with sim/scenario/schema.py or "
        "sim/scenario/distributions.py; regenerate it "
        "with: PYTHONPATH=. python -m sim.scenario.reference > docs/scenario-reference.md"
    )


def test_main_prints_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    reference.main()
    assert capsys.readouterr().out == reference.render()


def test_reference_lists_every_key_and_every_distribution_family() -> None:
    text = reference.render()
    rows = reference.walk(Scenario)
    assert len(rows) > 100
    for row in rows:
        assert f"| `{row.path}` |" in text
    for family in reference.DISTRIBUTION_FAMILIES:
        name = reference._dist_name(family)
        assert f"### `{name}`" in text
        for field_name, field in family.model_fields.items():
            if field_name != "dist":
                assert f"| `{field.alias or field_name}` |" in text


def test_reference_shows_units_defaults_and_ranges() -> None:
    rows = {r.path: r for r in reference.walk(Scenario)}
    assert rows["run_years"].unit == "years" and rows["run_years"].constraints == "> 0, <= 50"
    assert rows["seed"].default == "`1`"
    assert rows["start_date"].default == "required"
    assert rows["regions.<name>.court.sitting_hours_per_day"].unit == "hours per day"
    assert rows["demand.<name>.cases_per_year"].unit == "per year"
    assert rows["courts.vacate_probability"].unit == "share (0 to 1)"
    assert rows["courts.vacate_probability"].constraints == ">= 0, <= 1"
    assert rows["public_law.final_hearing.duration_hours"].unit == "hours"
    assert rows["public_law.final_hearing.duration_hours"].type == "[distribution](#distributions)"
    assert rows["courts.recess[].sitting_share"].unit == "share (0 to 1)"
    assert rows["regions.<name>.pathfinder_from"].default == "`null`"
    assert "`public_law`" in rows["demand"].type


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("warm_up_days", "days"),
        ("duration_hours", "hours"),
        ("age_years", "years"),
        ("trend_per_year", "per year"),
        ("cases_per_year", "per year"),
        ("expert_share", "share (0 to 1)"),
        ("share", "share (0 to 1)"),
        ("share_if_domestic_abuse", "share (0 to 1)"),
        ("booking_limit_share_by_rank", "share (0 to 1)"),
        ("adjourn_probability", "share (0 to 1)"),
        ("caseload_limit", ""),
    ],
)
def test_units_come_from_the_key_name(name: str, unit: str) -> None:
    assert reference.unit_of(name) == unit


# --- descriptions ----------------------------------------------------------------------------------------------


def test_every_schema_field_has_a_description() -> None:
    missing = reference.undescribed_fields()
    assert not missing, (
        f"schema fields without a description (add description=... in sim/scenario/schema.py): {missing}"
    )
    assert reference.NO_DESCRIPTION not in (ROOT / "docs" / "scenario-reference.md").read_text(encoding="utf-8")


def test_every_type_in_the_reference_is_in_words() -> None:
    text = (ROOT / "docs" / "scenario-reference.md").read_text(encoding="utf-8")
    assert "typing." not in text and "FieldInfo" not in text  # no Python reprs of a union
    assert "| integer or mapping of `<name>` (a name) to mapping |" in text  # regions.<name>.court.centres


def test_the_generator_documents_fields_without_a_description() -> None:
    # a block without a description falls back to its class docstring ...
    class Documented(BaseModel):
        """Some settings."""

        y: int = Field(description="Why.")

    # ... and a field with neither is still listed, with the marker
    class Inner(BaseModel):
        x_days: float = Field(description="Some days.")

    class Outer(BaseModel):
        plain: int
        inner: Inner
        documented: Documented

    walked = {r.path: r for r in reference.walk(Outer)}
    assert walked["plain"].description == reference.NO_DESCRIPTION
    assert walked["inner"].description == reference.NO_DESCRIPTION
    assert walked["documented"].description == "Some settings." and not walked["documented"].own_description
    assert walked["inner.x_days"].description == "Some days." and walked["inner.x_days"].unit == "days"


def test_table_cells_stay_on_one_line_and_out_of_html() -> None:
    assert reference._cell("a | b\n c") == "a \\| b c"
    assert reference._cell("regions.<name>.court and `<name>`") == "regions.&lt;name>.court and `<name>`"


# --- YAML snippets in the documentation ----------------------------------------------------------------------

YAML_BLOCK = re.compile(r"^```ya?ml[ \t]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _snippets() -> list[tuple[str, str]]:
    found = []
    for path in SNIPPET_FILES:
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        for match in YAML_BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((f"{path.relative_to(ROOT)}:{line}", match.group(1)))
    return found


SNIPPETS = _snippets()


def test_the_docs_have_yaml_snippets_to_check() -> None:
    assert any(where.startswith("README.md") for where, _ in SNIPPETS)
    assert any("extends:" in text for _, text in SNIPPETS)


@pytest.mark.parametrize(("where", "text"), SNIPPETS, ids=[w for w, _ in SNIPPETS])
def test_yaml_snippet_validates(where: str, text: str, tmp_path: Path) -> None:
    data = yaml.safe_load(text)
    assert isinstance(data, dict), f"{where}: a YAML snippet must be a mapping (fence other text as ```text)"
    scenarios = tmp_path / "scenarios"
    shutil.copytree(ROOT / "scenarios", scenarios)
    snippet = scenarios / "_snippet.yaml"
    required = {f.alias or n for n, f in Scenario.model_fields.items() if f.is_required()}
    if "extends" in data or required <= set(data):
        snippet.write_text(text, encoding="utf-8")  # an option, or a whole scenario
    else:
        fields = {f.alias or n for n, f in Scenario.model_fields.items()}
        unknown = sorted(set(data) - fields)
        assert not unknown, f"{where}: not scenario keys: {unknown} (fence other YAML as ```text)"
        snippet.write_text("extends: baseline.yaml\n" + text, encoding="utf-8")  # a fragment, on the baseline
    loaded = load_scenario(snippet)  # raises ScenarioError with file, line and key if the snippet is wrong
    quoted = ROOT / "scenarios" / f"{data.get('name')}.yaml"
    if "extends" in data and quoted.exists():  # a snippet that quotes a scenario file must quote it exactly
        assert loaded.scenario == load_scenario(quoted).scenario, f"{where} no longer matches {quoted.name}"


# --- README --------------------------------------------------------------------------------------------------


def test_readme_quick_start_is_exactly_two_commands() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    install = [line.strip() for line in lines if re.match(r"^\s*(\$ )?python.*pip install", line)]
    assert install == [
        'python -m pip install -e ".[dev]" && python run_sim.py run scenarios/baseline.yaml',
        'python -m pip install -e ".[dev]" && python -m pytest',
    ]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in ci
    assert 'python -m pip install -e ".[dev]" && python -m pytest' in ci
    assert (ROOT / ".ci" / "run").stat().st_mode & 0o111, ".ci/run must be executable"


LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("path", [p for p in MARKDOWN if p.exists()], ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_lead_to_files(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    broken = [
        target
        for target in LINK.findall(text)
        if "://" not in target and not target.startswith("mailto:") and not (path.parent / target).exists()
    ]
    assert not broken, f"{path.relative_to(ROOT)} links to missing files: {broken}"


# --- scenarios --------------------------------------------------------------------------------------------------

STUDY_FILES = [ROOT / "scenarios" / "options.yaml", ROOT / "scenarios" / "options_from_2024.yaml"]
"""Not scenarios: the options study `run_sim.py options` reads (tests/test_options.py loads it)."""
SCENARIO_FILES = sorted(p for p in (ROOT / "scenarios").glob("*.yaml") if p not in STUDY_FILES)


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_every_scenario_validates_and_is_described(path: Path) -> None:
    loaded = load_scenario(path)
    assert loaded.scenario.description.strip(), f"{path.name} needs a description"
    readme = (ROOT / "scenarios" / "README.md").read_text(encoding="utf-8")
    assert path.name in readme, f"scenarios/README.md should say what {path.name} asks"


@pytest.mark.parametrize("path", STUDY_FILES, ids=lambda p: p.name)
def test_every_study_file_validates_and_is_described(path: Path) -> None:
    load_study(path)
    assert path.name in (ROOT / "scenarios" / "README.md").read_text(encoding="utf-8")


def _from_start_date(path: Path) -> tuple[Scenario, Scenario]:
    """(baseline, the option as it is from its one policy on), checking the policy starts on the start date."""
    base = load_scenario(ROOT / "scenarios" / "baseline.yaml").scenario
    loaded = load_scenario(path)
    assert len(loaded.periods) == 2, "the option is one policy from the start date"
    [policy] = loaded.scenario.policies
    assert policy.date == base.start_date
    assert _differences(base, loaded.scenario) == {"name", "description", "policies"}
    return base, loaded.periods[-1][1]


def test_more_and_fewer_judges_are_baseline_days_sat_plus_and_minus_ten_percent() -> None:
    for name, factor in (("more_judges", 1.1), ("fewer_judges", 0.9)):
        base, option = _from_start_date(ROOT / "scenarios" / f"{name}.yaml")
        days = base.courts.capacity.days_sat_per_year
        assert option.courts.capacity.days_sat_per_year == pytest.approx(days * factor)
        assert _differences(base, option) == {"name", "description", "courts"}


def test_the_capacity_shock_cuts_days_sat_by_a_fifth_through_2024_and_restores_them() -> None:
    base = load_scenario(ROOT / "scenarios" / "baseline.yaml").scenario
    loaded = load_scenario(ROOT / "scenarios" / "capacity_shock.yaml")
    (_, _), (cut_day, cut), (restored_day, restored) = loaded.periods
    assert cut_day == base.day_of(dt.date(2024, 1, 1)) and restored_day == base.day_of(dt.date(2025, 1, 1))
    days = base.courts.capacity.days_sat_per_year
    assert cut.courts.capacity.days_sat_per_year == pytest.approx(days * 0.8)
    assert restored.courts.capacity.days_sat_per_year == pytest.approx(days)
    assert _differences(base, cut) == {"name", "description", "courts"}


def test_more_cafcass_adds_150_advisers_in_proportion() -> None:
    base, option = _from_start_date(ROOT / "scenarios" / "more_cafcass.yaml")
    teams = ("short_term_advisers", "long_term_advisers")
    total = sum(getattr(r.cafcass, team) for r in base.regions.values() for team in teams)
    extra = {
        (name, team): getattr(option.regions[name].cafcass, team) - getattr(region.cafcass, team)
        for name, region in base.regions.items()
        for team in teams
    }
    assert sum(extra.values()) == pytest.approx(150, abs=0.005)
    for (name, team), added in extra.items():
        assert added == pytest.approx(150 * getattr(base.regions[name].cafcass, team) / total, abs=0.01)
    assert _differences(base, option) == {"name", "description", "regions"}


def test_the_baseline_gives_the_published_hearings_per_care_case() -> None:
    """Published: 5.8 hearings per public law case (2019/20), 6.2 (early 2022); the baseline's urgent hearings,
    further case management and further contested hearings bring it there, adjournments counted."""
    from sim.model.agencies.court_capacity import expected_hearings

    base = load_scenario(ROOT / "scenarios" / "baseline.yaml").scenario
    assert 5.8 <= expected_hearings(base) <= 6.2
    without = base.model_copy(
        update={
            "public_law": base.public_law.model_copy(
                update={
                    "urgent_hearing": base.public_law.urgent_hearing.model_copy(update={"share": 0.0}),
                    "further_case_management": base.public_law.further_case_management.model_copy(
                        update={"count_shares": {0: 1.0}}
                    ),
                    "contested_further_hearings": base.public_law.contested_further_hearings.model_copy(
                        update={"count_shares": {0: 1.0}}
                    ),
                }
            )
        }
    )
    assessed = 1 - base.public_law.resolved_at_cmh_share  # not concluded at the CMH: an IRH, a final if contested
    needed = 1 + assessed * (1 + (1 - base.public_law.resolved_at_irh_share))
    assert expected_hearings(without) == pytest.approx(needed / (1 - base.courts.adjourn_probability))


def _differences(a: Scenario, b: Scenario) -> set[str]:
    da, db = a.model_dump(), b.model_dump()
    return {key for key in da if da[key] != db[key]}


# --- the assumptions log ---------------------------------------------------------------------------------------

ASSUMPTIONS = ROOT / "docs" / "assumptions.md"
LOG_HEADERS = (
    "| key | value | why | source | date | sensitivity |",
    "| key | value | figure | source |",
)


def _log_rows() -> list[tuple[str, str, list[str]]]:
    """(key, value, cells) of every row of the two keyed tables of the assumptions log."""
    rows: list[tuple[str, str, list[str]]] = []
    in_table = False
    for line in ASSUMPTIONS.read_text(encoding="utf-8").splitlines():
        if line.strip() in LOG_HEADERS:
            in_table = True
            continue
        if not line.startswith("|"):
            in_table = False
            continue
        if in_table and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows.append((cells[0].strip("`"), cells[1].strip("`"), cells))
    return rows


def _baseline_data() -> dict:
    from sim.scenario.yaml_file import load_tree

    return load_tree(ROOT / "scenarios" / "baseline.yaml").data


def _leaves(value: object, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], object]]:
    if isinstance(value, dict) and value:
        return [leaf for key, child in value.items() for leaf in _leaves(child, path + (str(key),))]
    return [(path, value)]


def _matches(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    return len(pattern) == len(path) and all(p.startswith("<") or p == q for p, q in zip(pattern, path, strict=True))


def _nodes(data: dict, pattern: tuple[str, ...]) -> list[tuple[tuple[str, ...], object]]:
    """Every (path, value) in the data that a key of the log (with <placeholders>) names."""
    found: list[tuple[tuple[str, ...], object]] = [((), data)]
    for part in pattern:
        found = [
            (path + (str(key),), child)
            for path, node in found
            if isinstance(node, dict)
            for key, child in node.items()
            if part.startswith("<") or str(key) == part
        ]
    return found


def test_the_assumptions_log_has_rows_in_both_tables() -> None:
    rows = _log_rows()
    assert len(rows) > 50
    assert {len(cells) for _, _, cells in rows} == {4, 6}
    for _, _, cells in rows:
        assert cells[2], f"{cells[0]}: say why (or what the published figure is)"
        if len(cells) == 6:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", cells[4]), f"{cells[0]}: date as YYYY-MM-DD"
            assert cells[5], f"{cells[0]}: sensitivity must say something, if only that it is to be measured"


def test_the_assumptions_log_covers_every_baseline_key() -> None:
    keys = [tuple(key.split(".")) for key, _, _ in _log_rows()]
    missing = [
        ".".join(path)
        for path, _ in _leaves(_baseline_data())
        if path[0] not in ("name", "description") and not any(_matches(key, path[: len(key)]) for key in keys)
    ]
    assert not missing, f"baseline keys with no row in docs/assumptions.md: {missing}"


def test_the_assumptions_log_values_are_the_baseline_values() -> None:
    data = _baseline_data()
    wrong = []
    for key, value_text, _ in _log_rows():
        pattern = tuple(key.split("."))
        nodes = _nodes(data, pattern)
        assert nodes, f"docs/assumptions.md names {key}, which is not a key of baseline.yaml"
        logged = yaml.safe_load(value_text)
        if len(pattern) > 1 and pattern[:2] == ("regions", "<region>"):
            actual = {path[1]: value for path, value in nodes}
        else:
            values = [value for _, value in nodes]
            actual = values[0] if all(v == values[0] for v in values) else values
        if _normal(logged) != _normal(actual):
            wrong.append(f"{key}: log says {value_text}, baseline.yaml has {actual}")
    report_stale(wrong, "docs/assumptions.md: update these rows (the value, and the reason if it changed)")


def _normal(value: object) -> object:
    """Compare YAML as read by yaml.safe_load (dates, int keys) with the strict loader's plain values."""
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value
