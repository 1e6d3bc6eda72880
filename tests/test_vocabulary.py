"""The pathway tables of sim/vocabulary.py agree with the schema and keep the records' codes.

The tables are the one place a stage, a hearing key, a duration key or a branch share is named; the schema's
hearing lists, the entry stages, the model's duration keys and the stage codes are derived from them. These
tests hold the tables to the schema (every key names a value of the right kind, on the baseline too) and to
the records (stage codes never move). That the pathways record only the stages of their table, and use only
its keys, is tested with a fake context in tests/test_pathway_context.py.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

import annotated_types
import pytest
from pydantic import BaseModel

from sim.scenario.loading import load_scenario
from sim.scenario.schema import Hearing, Scenario
from sim.vocabulary import (
    CASE_TYPES,
    COUNT_KEYS,
    DECISION_KEYS,
    DURATION_KEYS,
    ENTRY_STAGES,
    HEARING,
    HEARING_KEYS,
    HEARINGS_BY_CASE_TYPE,
    LISTING_CLASSES,
    PATHWAY_TABLES,
    PATHWAYS,
    STAGE,
    STAGE_KINDS,
    STAGES,
    TEAM_KINDS,
    Pathway,
    Stage,
    listing_class,
)

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"

STAGE_CODES = (
    "pre_proceedings",
    "guardian_allocation",
    "case_management_hearing",
    "assessment",
    "expert_assessment",
    "issues_resolution_hearing",
    "final_hearing",
    "safeguarding_checks",
    "first_hearing",
    "fact_finding_hearing",
    "section7_report",
    "dispute_resolution_hearing",
    "gatekeeping",
    "child_impact_report",
    "decision_hearing",
    "review",
    "without_notice_hearing",
    "return_hearing",
    # round 2: public law hearings to the published count, and the complete Pathfinder route
    "urgent_hearing",
    "further_case_management_hearing",
    "contested_further_hearing",
    "domestic_abuse_referral",
    "second_gatekeeping",
    # round 3: a further assessment in care cases (the spread of care case durations)
    "further_assessment",
)
"""The records store a stage's index: written out here so that a reordered table fails, not old results."""


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return load_scenario(BASELINE).scenario


def schema_field(dotted: str) -> Any:
    """The pydantic field a dotted key names in the Scenario model (its annotation and constraints)."""
    model: type[BaseModel] = Scenario
    field = None
    for part in dotted.split("."):
        assert isinstance(model, type) and issubclass(model, BaseModel), f"{dotted}: '{part}' is inside a non-block"
        assert part in model.model_fields, f"{dotted}: '{part}' is not a key of {model.__name__}"
        field = model.model_fields[part]
        model = field.annotation
        if typing.get_origin(model) in (typing.Union, types.UnionType):  # an optional block: X | None
            model = next(a for a in typing.get_args(model) if a is not type(None))
    return field


def schema_hearings(model: type[BaseModel] = Scenario, prefix: str = "") -> list[str]:
    """Every key of the schema whose value is a Hearing."""
    found = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if annotation is Hearing:
            found.append(prefix + name)
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found += schema_hearings(annotation, f"{prefix}{name}.")
    return found


def test_stage_codes_are_those_the_records_were_written_with() -> None:
    assert STAGES == STAGE_CODES
    assert all(STAGE[name] == code for code, name in enumerate(STAGE_CODES))


def test_a_stage_added_in_a_later_round_takes_a_code_after_every_older_stage() -> None:
    """Public law's urgent hearing comes second in its journey but was added in round 2: its code comes after
    every stage of round 1, so results written before it existed keep their meaning."""
    assert PATHWAY_TABLES["public_law"].stages[1].name == "urgent_hearing"
    first_round = {
        name: min(s.since for p in PATHWAY_TABLES.values() for s in p.stages if s.name == name) for name in STAGES
    }
    assert list(first_round.values()) == sorted(first_round.values())  # codes never go back to an earlier round
    assert STAGE["urgent_hearing"] > STAGE["return_hearing"]
    # Pathfinder's fact-finding, added in round 2, reuses the stage name (and code) private law gave it in round 1
    assert first_round["fact_finding_hearing"] == 1
    assert "pathfinder.fact_finding.hearing" in PATHWAY_TABLES["pathfinder"].hearing_keys


def test_the_tables_cover_the_pathways_and_case_types() -> None:
    assert PATHWAYS == ("public_law", "private_law", "pathfinder", "domestic_abuse")
    assert {p.case_type for p in PATHWAY_TABLES.values()} == set(CASE_TYPES)
    assert all(c in PATHWAY_TABLES for c in CASE_TYPES)  # each case type has a pathway of its own name


@pytest.mark.parametrize("pathway", PATHWAYS)
def test_each_stage_is_well_formed(pathway: str) -> None:
    table = PATHWAY_TABLES[pathway]
    names = [s.name for s in table.stages]
    assert len(names) == len(set(names)), "a stage appears twice in its pathway"
    for stage in table.stages:
        assert stage.kind in STAGE_KINDS
        assert stage.by and all(b == "court" or b in TEAM_KINDS for b in stage.by)
        if stage.kind == HEARING:
            assert stage.by == ("court",) and stage.key.startswith(f"{pathway}.")
        elif stage.kind in ("team_work", "allocation"):
            assert all(b in TEAM_KINDS for b in stage.by), f"{stage.name} needs a caseload team"
        else:
            assert stage.by == ("court",)
        assert bool(stage.key) == (stage.kind != "allocation"), f"{stage.name}: only an allocation has no key"


def test_every_hearing_key_is_a_hearing_of_the_schema_and_every_hearing_has_a_key(baseline: Scenario) -> None:
    for key in HEARING_KEYS:
        assert schema_field(key).annotation is Hearing, key
        assert isinstance(baseline.at(key), Hearing), key
    assert sorted(HEARING_KEYS) == sorted(schema_hearings())
    assert list(baseline.hearings()) == list(HEARING_KEYS)


def test_hearings_by_case_type_include_pathfinder_with_private_law() -> None:
    assert "pathfinder.decision_hearing" in HEARINGS_BY_CASE_TYPE["private_law"]
    assert "pathfinder.fact_finding.hearing" in HEARINGS_BY_CASE_TYPE["private_law"]
    assert {
        "public_law.urgent_hearing.hearing",
        "public_law.further_case_management.hearing",
        "public_law.contested_further_hearings.hearing",
    } <= set(HEARINGS_BY_CASE_TYPE["public_law"])
    assert sorted(k for keys in HEARINGS_BY_CASE_TYPE.values() for k in keys) == sorted(HEARING_KEYS)


def test_every_duration_key_resolves_to_a_distribution_on_the_baseline(baseline: Scenario) -> None:
    assert len(DURATION_KEYS) == len(set(DURATION_KEYS))
    for key in DURATION_KEYS:
        assert schema_field(key).annotation is not Hearing, key
        assert baseline.at(key).mean() >= 0, key  # a distribution of days


def test_every_decision_is_a_probability_of_the_schema(baseline: Scenario) -> None:
    assert len(DECISION_KEYS) == len(set(DECISION_KEYS))
    for pathway, table in PATHWAY_TABLES.items():
        for key in table.decisions:
            assert key.startswith(f"{pathway}."), key
            constraints = schema_field(key).metadata
            assert annotated_types.Ge(0) in constraints and annotated_types.Le(1) in constraints, key
            assert 0 <= baseline.at(key) <= 1, key


def test_every_count_is_a_share_per_number_of_the_schema(baseline: Scenario) -> None:
    assert COUNT_KEYS == (
        "public_law.further_case_management.count_shares",
        "public_law.contested_further_hearings.count_shares",
    )
    for key in COUNT_KEYS:
        assert key.startswith("public_law.")
        shares = baseline.at(key)
        assert all(isinstance(n, int) and n >= 0 for n in shares), key
        assert sum(shares.values()) == pytest.approx(1.0), key
    assert not set(COUNT_KEYS) & set(DECISION_KEYS)


def test_a_table_lists_a_new_hearing_once_and_the_schema_follows() -> None:
    """A made-up table: its hearing and duration keys are read off its stages, the count keys are its own."""
    table = Pathway(
        "made_up",
        "public_law",
        (
            Stage("a_hearing", HEARING, ("court",), "made_up.a_hearing"),
            Stage("work", "active_work", ("court",), "made_up.work_days", since=2),
        ),
        decisions=("made_up.share",),
        counts=("made_up.count_shares",),
    )
    assert table.hearing_keys == ("made_up.a_hearing",) and table.duration_keys == ("made_up.work_days",)
    assert table.counts == ("made_up.count_shares",) and table.entry_stages == ()


def test_entry_stages_come_from_the_tables_in_pathway_order() -> None:
    assert ENTRY_STAGES == {
        "public_law": ("case_management_hearing", "assessment", "issues_resolution_hearing", "final_hearing"),
        "private_law": (
            "safeguarding_checks",
            "first_hearing",
            "section7_report",
            "dispute_resolution_hearing",
            "final_hearing",
        ),
        "domestic_abuse": ("return_hearing",),
    }
    assert PATHWAY_TABLES["public_law"].entry_code("assessment") == 2


def test_listing_classes_by_case_type_and_domestic_abuse() -> None:
    classes = {(c, da): listing_class(c, da) for c in CASE_TYPES for da in (False, True)}
    assert classes == {
        ("public_law", False): "public_law",
        ("public_law", True): "public_law",
        ("private_law", False): "private_law",
        ("private_law", True): "private_law_with_domestic_abuse",
        ("domestic_abuse", False): "domestic_abuse",
        ("domestic_abuse", True): "domestic_abuse",
    }
    assert set(classes.values()) == set(LISTING_CLASSES)


def test_the_agency_codes_are_the_agencies_places() -> None:
    """The codes are written as numbers (so that the compiled model builds them in): each must be its name's place."""
    from sim import vocabulary

    assert [vocabulary.AGENCIES.index(name) for name in ("court", "cafcass", "local_authority", "experts")] == [
        vocabulary.COURT,
        vocabulary.CAFCASS,
        vocabulary.LOCAL_AUTHORITY,
        vocabulary.EXPERTS,
    ]
