"""Pathways driven on their own: a tiny fake PathwayContext and a bare simpy.Environment, no Replication.

The fake answers every decision from a script, takes one day per step and writes down what the pathway asked
for. That shows a journey branch by branch, and holds each pathway to its table in sim/vocabulary.py: it
records only the table's stages, with the table's hearing and duration keys and teams, reads only the
table's branch shares (and all of them), and gives back every caseload slot it kept.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import simpy
from conftest import SMALL, scenario_data
from pydantic import BaseModel

from sim.model.entities import Case
from sim.model.pathways.context import HearingSteps, PathwayContext, Steps, draw_count
from sim.model.pathways.domestic_abuse import domestic_abuse
from sim.model.pathways.pathfinder import pathfinder
from sim.model.pathways.private_law import private_law
from sim.model.pathways.public_law import public_law
from sim.model.random_streams import ARRIVED, RandomStreams
from sim.scenario.loading import scenario_from_dict
from sim.scenario.schema import Scenario
from sim.vocabulary import AGENCIES, CASE_TYPES, PATHWAY_TABLES, STAGES, TEAM_AGENCY

STEP_DAYS = 1.0
MOST_DECISIONS = 10
"""As many as any pathway takes in one journey (public law: four shares, the urgent hearing, up to three draws
for the further case management hearings and two for the further hearings of a contested case), so the
scripts cover every combination of answers."""
PATHWAY_FUNCTIONS: dict[str, Callable[[PathwayContext, Case], Steps]] = {
    "public_law": public_law,
    "private_law": private_law,
    "pathfinder": pathfinder,
    "domestic_abuse": domestic_abuse,
}


class Reading:
    """A scenario block that writes down the dotted key of every number a pathway reads from it."""

    def __init__(self, node: BaseModel, path: str, read: list[str]) -> None:
        self._node, self._path, self._read = node, path, read

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._node, name)
        path = f"{self._path}.{name}" if self._path else name
        if isinstance(value, BaseModel):
            return Reading(value, path, self._read)
        self._read.append(path)
        return value


@dataclass
class Script:
    """Answers decisions in turn (then False), writing down each decision's key and probability."""

    answers: list[bool]
    asked: list[tuple[str, float]] = field(default_factory=list)

    def chance(self, decision: str, probability: float) -> bool:
        self.asked.append((decision, probability))
        return self.answers.pop(0) if self.answers else False


class FakeTeam:
    def __init__(self, log: list[tuple], kind: str, region: int) -> None:
        self.log, self.kind, self.region = log, kind, region

    def release(self, children: int = 1) -> None:
        self.log.append(("release", self.kind, self.region))


class FakeContext:
    """Every step takes one day; ``log`` is what the pathway did, in order."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, answers: list[bool]) -> None:
        self.env = env
        self.read: list[str] = []
        self._scenario = Reading(scenario, "", self.read)
        self.script = Script(list(answers))
        self.log: list[tuple] = []
        self.tiers_of: list[tuple[str, str | None]] = []  # each hearing, and the hearing whose tier it is listed in

    @property
    def scenario(self) -> Any:
        return self._scenario

    def decisions(self, case: Case) -> Any:
        return self.script

    def team(self, kind: str, region: int) -> FakeTeam:
        return FakeTeam(self.log, kind, region)

    def _step(self, *entry: Any) -> Steps:
        self.log.append(entry)
        yield self.env.timeout(STEP_DAYS)

    def hearing(
        self, case: Case, stage: int, hearing_key: str, withdrawal_per_week: float = 0.0, tier_of: str | None = None
    ) -> HearingSteps:
        self.tiers_of.append((STAGES[stage], tier_of))
        yield from self._step("hearing", STAGES[stage], hearing_key)
        return False  # the parties never withdraw here

    def team_work(self, case: Case, stage: int, team_kind: str, duration_key: str, keep_slot: bool = False) -> Steps:
        return self._step("team_work", STAGES[stage], duration_key, team_kind, case.region, keep_slot)

    def allocation(self, case: Case, stage: int, team_kind: str) -> Steps:
        return self._step("allocation", STAGES[stage], "", team_kind, case.region)

    def active_work(self, case: Case, stage: int, agency: int, duration_key: str) -> Steps:
        return self._step("active_work", STAGES[stage], duration_key, AGENCIES[agency])

    def follow_up(self, case: Case, stage: int, agency: int, duration_key: str) -> None:
        self.log.append(("follow_up", STAGES[stage], duration_key, AGENCIES[agency]))

    def issue(self, case: Case) -> None:
        self.log.append(("issue", self.env.now))

    def first_disposal(self, case: Case) -> None:
        self.log.append(("first_disposal", self.env.now))

    def divert(self, case: Case) -> None:
        self.log.append(("divert", self.env.now))

    def dispose(self, case: Case, pathway_name: str, outcome: str | None = None) -> Steps:
        self.log.append(("dispose", pathway_name, self.env.now))
        yield from ()


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    """small.yaml: every share strictly between 0 and 1 and counts of more than one number, so a script can
    take every branch."""
    return scenario_from_dict(scenario_data(SMALL)).scenario


def new_case(pathway: str, domestic_abuse: bool = False, entry_stage: int = 0, region: int = 0) -> Case:
    case_type = PATHWAY_TABLES[pathway].case_type
    draws = RandomStreams(1, 0).draws(ARRIVED, CASE_TYPES.index(case_type), 0)  # unread: the fake decides
    case = Case(0, CASE_TYPES.index(case_type), region, 0, domestic_abuse, [], 0.0, 0, draws)
    case.entry_stage = entry_stage
    return case


def drive(scenario: Scenario, pathway: str, case: Case, answers: list[bool]) -> FakeContext:
    """Run one case's pathway to its end on a bare environment."""
    env = simpy.Environment()
    context = FakeContext(env, scenario, answers)
    env.process(PATHWAY_FUNCTIONS[pathway](context, case))
    env.run()
    return context


def steps_of(context: FakeContext) -> list[tuple]:
    ends = ("issue", "first_disposal", "divert", "dispose")
    return [entry[:2] if entry[0] not in ends else entry for entry in context.log]


# --- journeys, branch by branch ------------------------------------------------------------------------------


def test_a_domestic_abuse_application_heard_without_notice_then_on_notice(scenario: Scenario) -> None:
    context = drive(scenario, "domestic_abuse", new_case("domestic_abuse"), [True])
    assert steps_of(context) == [
        ("issue", 0.0),
        ("hearing", "without_notice_hearing"),
        ("hearing", "return_hearing"),
        ("dispose", "domestic_abuse", 2 * STEP_DAYS),
    ]
    assert context.script.asked == [
        ("domestic_abuse.without_notice_share", scenario.domestic_abuse.without_notice_share)
    ]
    assert context.read == ["domestic_abuse.without_notice_share"]


def test_a_domestic_abuse_application_on_notice_and_an_open_case_at_its_return_hearing(scenario: Scenario) -> None:
    on_notice = drive(scenario, "domestic_abuse", new_case("domestic_abuse"), [False])
    assert steps_of(on_notice) == [("issue", 0.0), ("hearing", "return_hearing"), ("dispose", "domestic_abuse", 1.0)]
    entry = PATHWAY_TABLES["domestic_abuse"].entry_code("return_hearing")
    open_case = drive(scenario, "domestic_abuse", new_case("domestic_abuse", entry_stage=entry), [True])
    assert steps_of(open_case) == [("hearing", "return_hearing"), ("dispose", "domestic_abuse", 1.0)]
    assert open_case.script.asked == []  # already issued: no decision to make


def test_a_care_case_diverted_in_pre_proceedings_never_reaches_court(scenario: Scenario) -> None:
    context = drive(scenario, "public_law", new_case("public_law"), [True, True])
    assert steps_of(context) == [("team_work", "pre_proceedings"), ("divert", STEP_DAYS)]
    assert context.read == ["public_law.pre_proceedings.share", "public_law.pre_proceedings.diverted_share"]


def test_an_urgent_care_case_keeps_its_guardian_to_the_final_hearing(scenario: Scenario) -> None:
    """No pre-proceedings, an urgent hearing at issue, not concluded at the CMH, no expert, no further assessment,
    the first count (none) of further CMHs, not resolved at the IRH, then two further hearings (the largest count,
    taken without a draw)."""
    answers = [False, True, False, False, False, True, False, False]
    context = drive(scenario, "public_law", new_case("public_law", region=0), answers)
    assert steps_of(context) == [
        ("issue", 0.0),
        ("hearing", "urgent_hearing"),
        ("allocation", "guardian_allocation"),
        ("hearing", "case_management_hearing"),
        ("team_work", "assessment"),
        ("hearing", "issues_resolution_hearing"),
        ("hearing", "contested_further_hearing"),
        ("hearing", "contested_further_hearing"),
        ("hearing", "final_hearing"),
        ("release", "cafcass_long_term"),
        ("dispose", "public_law", 8 * STEP_DAYS),
    ]
    params = scenario.public_law
    assert context.script.asked == [
        ("public_law.pre_proceedings.share", params.pre_proceedings.share),
        ("public_law.urgent_hearing.share", params.urgent_hearing.share),
        ("public_law.resolved_at_cmh_share", params.resolved_at_cmh_share),
        ("public_law.assessments.expert_share", params.assessments.expert_share),
        ("public_law.further_assessment.share", params.further_assessment.share),
        ("public_law.further_case_management.count_shares", params.further_case_management.count_shares[0]),
        ("public_law.resolved_at_irh_share", params.resolved_at_irh_share),
        ("public_law.contested_further_hearings.count_shares", params.contested_further_hearings.count_shares[0]),
        (
            "public_law.contested_further_hearings.count_shares",
            params.contested_further_hearings.count_shares[1] / (1 - params.contested_further_hearings.count_shares[0]),
        ),
    ]


def test_a_care_case_concluded_at_the_cmh_gives_its_guardian_back_and_has_no_assessment(scenario: Scenario) -> None:
    """The short care cases: no pre-proceedings, no urgent hearing, concluded at the CMH."""
    context = drive(scenario, "public_law", new_case("public_law", region=0), [False, False, True])
    assert steps_of(context) == [
        ("issue", 0.0),
        ("allocation", "guardian_allocation"),
        ("hearing", "case_management_hearing"),
        ("release", "cafcass_long_term"),
        ("dispose", "public_law", 2 * STEP_DAYS),
    ]


def test_a_further_assessment_follows_the_first_by_the_local_authority(scenario: Scenario) -> None:
    """The long care cases: after an expert's assessment, a further one (a family member found late) by the local
    authority, then the further CMHs as usual."""
    answers = [False, False, False, True, True, True, True]
    context = drive(scenario, "public_law", new_case("public_law", region=0), answers)
    work = [step for step in steps_of(context) if step[0] == "team_work"]
    assert work == [("team_work", "expert_assessment"), ("team_work", "further_assessment")]
    assert ("public_law.further_assessment.share", scenario.public_law.further_assessment.share) in (
        context.script.asked
    )


def test_a_care_case_resolved_at_the_irh_after_three_further_case_management_hearings(scenario: Scenario) -> None:
    """Not concluded at the CMH, no further assessment, every count draw answered no: the largest count of further
    CMHs; resolved at the IRH, so no further hearings and no final hearing."""
    answers = [True, False, False, False, False, False, False, False, False, True]
    context = drive(scenario, "public_law", new_case("public_law"), answers)
    hearings = [name for kind, name, *_ in context.log if kind == "hearing"]
    assert hearings == [
        "case_management_hearing",
        *["further_case_management_hearing"] * 3,
        "issues_resolution_hearing",
    ]
    assert steps_of(context)[0] == ("team_work", "pre_proceedings")  # then issued: no urgent hearing


def test_a_count_is_drawn_one_number_at_a_time_under_its_own_key() -> None:
    """Scripted: the first yes gives its number; with no yes the largest number is taken without a draw; every
    chance is asked under the count's key. Random draws: each number comes up in its share of cases."""
    shares = {0: 0.1, 1: 0.25, 2: 0.33, 3: 0.32}
    for answers, expected in (([True], 0), ([False, True], 1), ([False, False, True], 2), ([False] * 3, 3)):
        script = Script(list(answers))
        assert draw_count(script, "a.count_shares", shares) == expected
        assert len(script.asked) == min(expected + 1, 3)
        assert {key for key, _ in script.asked} == {"a.count_shares"}
    assert draw_count(Script([]), "x", {2: 1.0}) == 2  # one number: no draw at all

    class Uniform:
        def __init__(self) -> None:
            self.rng = np.random.default_rng(1)

        def chance(self, decision: str, probability: float) -> bool:
            return bool(self.rng.random() < probability)

    stream, draws = Uniform(), 40_000
    counts = np.bincount([draw_count(stream, "x", shares) for _ in range(draws)], minlength=4) / draws
    assert counts == pytest.approx(list(shares.values()), abs=0.01)


def test_another_application_disposed_of_at_the_fhdra_is_the_first_disposal_and_the_case_goes_on(
    scenario: Scenario,
) -> None:
    """Not resolved at the FHDRA, but another application (a prohibited steps order, say) is disposed of there:
    the case's first disposal (as FCSQ times it) is the day after the FHDRA, and the case goes on to its final
    order. A case resolved at the FHDRA is not asked: its one order is both."""
    answers = [False, True, False, False, True]  # not resolved; first disposal; not lay; no section 7; resolved
    context = drive(scenario, "private_law", new_case("private_law"), answers)
    assert steps_of(context) == [
        ("issue", 0.0),
        ("team_work", "safeguarding_checks"),
        ("hearing", "first_hearing"),
        ("release", "cafcass_short_term"),
        ("first_disposal", 2 * STEP_DAYS),
        ("hearing", "dispute_resolution_hearing"),
        ("dispose", "private_law", 3 * STEP_DAYS),
    ]
    assert context.script.asked[1] == (
        "private_law.first_disposal_at_first_hearing_share",
        scenario.private_law.first_disposal_at_first_hearing_share,
    )
    resolved = drive(scenario, "private_law", new_case("private_law"), [True])
    assert [key for key, _ in resolved.script.asked] == ["private_law.resolved_at_first_hearing_share"]
    assert "first_disposal" not in [entry[0] for entry in resolved.log]


@pytest.mark.parametrize("lay", [False, True])
def test_a_case_kept_by_lay_justices_has_its_dra_and_final_hearing_in_the_fhdras_tier(
    scenario: Scenario, lay: bool
) -> None:
    """A case going on past the FHDRA is either kept by lay justices, whose list heard its FHDRA, or allocated to
    the tiers its later hearings name. The fact-finding hearing stays with a judge either way."""
    # not resolved; no first disposal; lay justices or not; a fact-finding; no report; not resolved at the DRA
    answers = [False, False, lay, True, False, False]
    context = drive(scenario, "private_law", new_case("private_law", domestic_abuse=True), answers)
    assert context.script.asked[2] == (
        "private_law.allocated_to_lay_justices_share",
        scenario.private_law.allocated_to_lay_justices_share,
    )
    kept = "private_law.first_hearing" if lay else None
    assert context.tiers_of == [
        ("first_hearing", None),
        ("fact_finding_hearing", None),
        ("dispute_resolution_hearing", kept),
        ("final_hearing", kept),
    ]


@pytest.mark.parametrize("stays", [False, True])
def test_a_section_7_writer_closes_the_case_on_filing_or_keeps_it_until_the_dra(stays: bool) -> None:
    """With ``writer_stays_to_dra`` the Cafcass adviser who wrote the report keeps the case (a slot of their
    caseload) while it waits for the DRA that considers the report, and gives it back once the DRA is heard."""
    data = scenario_data(SMALL)
    data["private_law"]["section7"]["writer_stays_to_dra"] = stays
    chosen = scenario_from_dict(data).scenario
    answers = [False, False, False, True, False, True]  # not resolved or first disposal, not lay; a report by Cafcass
    context = drive(chosen, "private_law", new_case("private_law"), answers)
    after_fhdra = steps_of(context)[4:]
    if stays:
        assert after_fhdra == [
            ("team_work", "section7_report"),
            ("hearing", "dispute_resolution_hearing"),
            ("release", "cafcass_long_term"),
            ("dispose", "private_law", 4 * STEP_DAYS),
        ]
    else:
        assert after_fhdra == [
            ("team_work", "section7_report"),
            ("hearing", "dispute_resolution_hearing"),
            ("dispose", "private_law", 4 * STEP_DAYS),
        ]
    report = next(entry for entry in context.log if entry[:2] == ("team_work", "section7_report"))
    assert report[-1] is stays  # the slot is kept past the report only when the writer stays


def test_a_pathfinder_case_with_abuse_alleged_is_referred_for_support_and_may_need_a_fact_finding(
    scenario: Scenario,
) -> None:
    """Cafcass writes the report; fact-finding needed; not resolved on the papers; the order is reviewed."""
    context = drive(scenario, "pathfinder", new_case("pathfinder", domestic_abuse=True), [False, True, False, True])
    assert steps_of(context) == [
        ("issue", 0.0),
        ("active_work", "gatekeeping"),
        ("active_work", "domestic_abuse_referral"),
        ("team_work", "child_impact_report"),
        ("active_work", "second_gatekeeping"),
        ("hearing", "fact_finding_hearing"),
        ("hearing", "decision_hearing"),
        ("follow_up", "review"),
        ("dispose", "pathfinder", 6 * STEP_DAYS),
    ]
    assert [entry[2] for entry in context.log if entry[0] == "hearing"] == [
        "pathfinder.fact_finding.hearing",
        "pathfinder.decision_hearing",
    ]


def test_a_pathfinder_case_without_abuse_alleged_skips_the_referral_and_the_fact_finding(scenario: Scenario) -> None:
    context = drive(scenario, "pathfinder", new_case("pathfinder", domestic_abuse=False), [True, True, False])
    assert steps_of(context) == [
        ("issue", 0.0),
        ("active_work", "gatekeeping"),
        ("team_work", "child_impact_report"),
        ("active_work", "second_gatekeeping"),
        ("dispose", "pathfinder", 3 * STEP_DAYS),
    ]
    assert [p for _, p in context.script.asked] == [
        scenario.pathfinder.child_impact_report.by_local_authority_share,
        scenario.pathfinder.resolved_on_papers_share,
        scenario.pathfinder.review_share,
    ]


# --- every pathway against its table --------------------------------------------------------------------------


def journeys(pathway: str) -> Iterator[tuple[Case, list[bool]]]:
    """Every script of decisions, for new cases with and without domestic abuse and for each entry stage."""
    entries = range(len(PATHWAY_TABLES[pathway].entry_stages) + 1)
    for entry, abuse_alleged in itertools.product(entries, (False, True)):
        for answers in itertools.product((False, True), repeat=MOST_DECISIONS):
            yield new_case(pathway, abuse_alleged, entry), list(answers)


@pytest.mark.parametrize("pathway", list(PATHWAY_FUNCTIONS))
def test_a_pathway_does_only_what_its_table_says(scenario: Scenario, pathway: str) -> None:
    table = PATHWAY_TABLES[pathway]
    stages = {s.name: s for s in table.stages}
    seen_stages: set[str] = set()
    read: set[str] = set()
    for case, answers in journeys(pathway):
        context = drive(scenario, pathway, case, answers)
        asked = {key for key, _ in context.script.asked}
        assert asked <= set(table.decisions) | set(table.counts), "a decision is named by a share its table lists"
        read.update(context.read)
        kept: list[tuple[str, int]] = []
        for kind, *detail in context.log:
            if kind in ("issue", "first_disposal", "divert", "dispose"):
                continue
            if kind == "release":
                kept.remove(tuple(detail))  # only a slot the case holds is given back
                continue
            name, key, *who = detail
            assert name in stages, f"{pathway} records '{name}', which is not in its table"
            stage = stages[name]
            seen_stages.add(name)
            assert (kind, key) == (stage.kind, stage.key), name
            if kind in ("team_work", "allocation"):
                team_kind, region = who[0], who[1]
                assert team_kind in stage.by, f"{name} done by {team_kind}, not one of {stage.by}"
                assert TEAM_AGENCY[team_kind] in stage.agencies
                if kind == "allocation" or who[2]:  # the worker stays with the case
                    kept.append((team_kind, region))
            else:
                assert who == [] or who[0] in stage.agencies, name
        assert kept == [], f"{pathway} kept slots it never released: {kept}"
        ends = [entry[0] for entry in context.log if entry[0] in ("divert", "dispose")]
        assert len(ends) == 1, "every journey ends once, diverted or disposed"
    assert seen_stages == set(stages), f"stages of the table never recorded: {set(stages) - seen_stages}"
    listed = set(table.decisions) | set(table.counts) | set(table.rates) | set(table.rules)
    assert read == listed, "the pathway reads exactly the shares, rates and rules its table lists"


def test_the_replication_and_the_fake_offer_every_member_of_the_context() -> None:
    from sim.model.replication import Replication

    members = {name for name in vars(PathwayContext) if not name.startswith("_")}
    assert members == {
        "scenario",
        "decisions",
        "team",
        "hearing",
        "team_work",
        "allocation",
        "active_work",
        "follow_up",
        "issue",
        "first_disposal",
        "divert",
        "dispose",
    }
    for implementation in (Replication, FakeContext):
        assert all(hasattr(implementation, name) for name in members), implementation.__name__
