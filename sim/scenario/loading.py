"""Loading a scenario: the strict YAML tree validated by the schema, the cross-references between its blocks,
and its dated policies, each period validated again so a policy's mistake is reported at its own line.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError

from sim.scenario.annotations import fields_by_key, is_model, members
from sim.scenario.files import scenario_roots
from sim.scenario.history import history_policies, history_problems
from sim.scenario.policy_paths import run_level_problem, schema_path_problem, set_path
from sim.scenario.resources import memory_problems
from sim.scenario.schema import Policy, Scenario
from sim.scenario.yaml_file import (
    KeyPath,
    Problem,
    ScenarioError,
    SourceTree,
    format_key_path,
    load_tree,
    problems_from_validation_error,
    suggest,
    withhold_values,
)
from sim.vocabulary import (
    ENTRY_STAGES,
    HEARING,
    HEARINGS_BY_CASE_TYPE,
    PATHWAY_TABLES,
)


def cross_reference_problems(scenario: Scenario) -> list[tuple[KeyPath, str]]:
    """Mistakes between blocks (a region or tier that does not exist), each with the key path to blame."""
    problems: list[tuple[KeyPath, str]] = []
    regions = set(scenario.regions)
    tiers = scenario.courts.tiers
    for case_type, demand in scenario.demand.items():
        for region in demand.region_shares:
            if region not in regions:
                hint = f"; did you mean '{suggest(region, regions)}'?" if suggest(region, regions) else ""
                problems.append((("demand", case_type, "region_shares", region), f"unknown region '{region}'{hint}"))
    problems += _capacity_problems(scenario)
    hearings = scenario.hearings()
    for path, hearing in hearings.items():
        if hearing.tier not in tiers:
            problems.append(
                ((*path.split("."), "tier"), f"'{hearing.tier}' is not one of courts.tiers ({', '.join(tiers)})")
            )
    for case_type, demand in scenario.demand.items():
        if demand.cases_per_year <= 0:
            continue
        needed = {hearings[h].tier for h in HEARINGS_BY_CASE_TYPE[case_type]}
        for region, share in demand.region_shares.items():
            if share <= 0 or region not in regions:
                continue
            hours = _sitting_hours_or_shares(scenario, region)
            if hours is None:  # reported above: no hours given either way
                continue
            for tier in sorted(needed & set(tiers)):
                if hours.get(tier, 0) <= 0:
                    problems.append(
                        (
                            ("regions", region, "court", "sitting_hours_per_day"),
                            f"no sitting hours for '{tier}', which hears {case_type} cases that arrive in {region}",
                        )
                    )
    for pathway, by_outcome in scenario.recurrence.items():
        outcomes = getattr(scenario, pathway).outcomes
        for outcome in by_outcome:
            if outcome not in outcomes:
                problems.append((("recurrence", pathway, outcome), f"'{outcome}' is not an outcome of {pathway}"))
    for case_type, open_cases in scenario.starting_state.open_cases.items():
        for stage in open_cases.by_stage:
            if stage not in ENTRY_STAGES[case_type]:
                problems.append(
                    (
                        ("starting_state", "open_cases", case_type, "by_stage", stage),
                        f"unknown stage '{stage}'; {case_type} cases can start in {', '.join(ENTRY_STAGES[case_type])}",
                    )
                )
        problems += _open_case_problems(scenario, case_type)
    return problems + _cost_problems(scenario) + history_problems(scenario) + memory_problems(scenario)


def _cost_problems(scenario: Scenario) -> list[tuple[KeyPath, str]]:
    """A price per day sat needs days sat: courts.capacity's, or hand-set hours over the hours in a day sat."""
    prices = scenario.costs.capacity
    if prices.gbp_per_sitting_day is None or scenario.courts.capacity is not None or prices.sitting_hours_per_day:
        return []
    return [
        (
            ("costs", "capacity", "gbp_per_sitting_day"),
            "the regions' sitting hours are set by hand, so days sat are counted from them: give "
            "costs.capacity.sitting_hours_per_day (the hours of hearings in a day sat)",
        )
    ]


def _open_case_problems(scenario: Scenario, case_type: str) -> list[tuple[KeyPath, str]]:
    """Regions and stages of the open caseload declared by region, and hearings booked only at hearing stages."""
    open_cases = scenario.starting_state.open_cases[case_type]
    at = ("starting_state", "open_cases", case_type)
    hearings = {s.name for s in PATHWAY_TABLES[case_type].stages if s.kind == HEARING}
    problems: list[tuple[KeyPath, str]] = []
    if open_cases.next_hearing_days is not None and not set(open_cases.by_stage) <= hearings:
        others = sorted(set(open_cases.by_stage) - hearings)
        problems.append(((*at, "next_hearing_days"), f"by_stage has stages that are not hearings: {', '.join(others)}"))
    for region, stages in open_cases.by_region.items():
        if region not in scenario.regions:
            hint = f"; did you mean '{suggest(region, scenario.regions)}'?" if suggest(region, scenario.regions) else ""
            problems.append(((*at, "by_region", region), f"unknown region '{region}'{hint}"))
        for stage, declared in stages.items():
            if stage not in ENTRY_STAGES[case_type]:
                problems.append(
                    (
                        (*at, "by_region", region, stage),
                        f"unknown stage '{stage}'; {case_type} cases can start in {', '.join(ENTRY_STAGES[case_type])}",
                    )
                )
            elif declared.next_hearing_days is not None and stage not in hearings:
                problems.append(((*at, "by_region", region, stage, "next_hearing_days"), f"'{stage}' is not a hearing"))
    return problems


def _capacity_problems(scenario: Scenario) -> list[tuple[KeyPath, str]]:
    """Sitting hours are given one way only: by hand per region, or derived from courts.capacity."""
    problems: list[tuple[KeyPath, str]] = []
    tiers = scenario.courts.tiers
    capacity = scenario.courts.capacity
    for name, region in scenario.regions.items():
        hours = region.court.sitting_hours_per_day
        if capacity is not None and hours is not None:
            problems.append(
                (
                    ("regions", name, "court", "sitting_hours_per_day"),
                    "courts.capacity derives sitting hours from days sat: give hours one way only (remove this key, "
                    "or courts.capacity)",
                )
            )
        elif capacity is None and hours is None:
            problems.append(
                (("regions", name, "court"), "no sitting_hours_per_day: give them here, or give courts.capacity")
            )
        for tier in hours or {}:
            if tier not in tiers:
                problems.append(
                    (("regions", name, "court", "sitting_hours_per_day", tier), f"'{tier}' is not one of courts.tiers")
                )
    if capacity is not None:
        for key in ("tier_shares", "tier_capacity_index"):
            for tier in getattr(capacity, key) or {}:
                if tier not in tiers:
                    problems.append((("courts", "capacity", key, tier), f"'{tier}' is not one of courts.tiers"))
        for key in ("region_shares", "capacity_per_case_index"):
            for region in getattr(capacity, key) or {}:
                if region not in scenario.regions:
                    hint = (
                        f"; did you mean '{suggest(region, scenario.regions)}'?"
                        if suggest(region, scenario.regions)
                        else ""
                    )
                    problems.append((("courts", "capacity", key, region), f"unknown region '{region}'{hint}"))
        if capacity.region_shares is not None and capacity.capacity_per_case_index:
            problems.append(
                (
                    ("courts", "capacity", "capacity_per_case_index"),
                    "region_shares fixes each region's hours outright, so there are no demand-based shares to index: "
                    "give one or the other",
                )
            )
    return problems


def _sitting_hours_or_shares(scenario: Scenario, region: str) -> dict[str, float] | None:
    """A region's hours by tier, or with courts.capacity a number that is positive when the tier has hours."""
    capacity = scenario.courts.capacity
    if capacity is None:
        return scenario.regions[region].court.sitting_hours_per_day
    region_share = 1.0 if capacity.region_shares is None else capacity.region_shares.get(region, 0.0)
    national = capacity.days_sat_per_year * capacity.children_work_share * region_share
    if capacity.tier_shares is None:  # shares follow demand: every tier a region's cases need gets hours
        return {tier: national for tier in scenario.courts.tiers}
    return {tier: national * share for tier, share in capacity.tier_shares.items()}


FIXED_BY_THE_BASE = (
    ("regions", lambda s: list(s.regions)),
    ("courts.tiers", lambda s: list(s.courts.tiers)),
    ("regions", lambda s: [f"{r}.court.centres.{c}" for r, g in s.regions.items() for c in g.court.centre_names()]),
    ("children.age_bands", lambda s: [b.name for b in s.children.age_bands]),
    ("children.attributes", lambda s: {k: list(v) for k, v in s.children.attributes.items()}),
)
"""Names that label results; a policy may change values but not add or remove these."""


def _checked(tree: SourceTree) -> tuple[Scenario, list[tuple[float, Scenario]]]:
    """The scenario and its periods, or one ScenarioError with every problem found in one pass.

    A scenario the schema refuses cannot be cross-checked or have its policies applied, but its policies' key
    paths are still checked against the schema, so a misspelt path is not left for a second round. A valid one
    has its cross-references and every policy checked together.
    """
    try:
        scenario = Scenario.model_validate(tree.data)
    except ValidationError as err:
        error = problems_from_validation_error(err, tree, Scenario)
        raise ScenarioError(_in_line_order([*error.problems, *_policy_path_problems(tree)], tree.files)) from None
    found = cross_reference_problems(scenario)
    problems = [Problem(*tree.locate(path), format_key_path(path), message) for path, message in found]
    try:
        periods = _policy_periods(tree, scenario, known=found)
    except ScenarioError as error:
        problems += error.problems
    if problems:
        raise ScenarioError(problems)
    return scenario, periods


def _policy_path_problems(tree: SourceTree) -> list[Problem]:
    """The key paths of the file's policies checked against the schema alone (for a scenario it refuses)."""
    policies = tree.data.get("policies") if isinstance(tree.data, dict) else None
    problems: list[Problem] = []
    for i, policy in enumerate(policies if isinstance(policies, list) else []):
        for kind in ("set", "scale"):
            changes = policy.get(kind) if isinstance(policy, dict) else None
            for dotted in changes if isinstance(changes, dict) else []:
                if not isinstance(dotted, str):
                    continue
                problem = run_level_problem(dotted) or schema_path_problem(Scenario, dotted)
                if problem:
                    at = ("policies", i, kind, dotted)
                    problems.append(Problem(*tree.locate(at), format_key_path(at), problem))
    return problems


def _in_line_order(problems: list[Problem], files: list[str]) -> list[Problem]:
    """Problems by file (in the order the files were read), then line; each key once."""
    order = {f: i for i, f in enumerate(files)}
    unique = {(p.file, p.key_path, p.message): p for p in problems}
    return sorted(unique.values(), key=lambda p: (order.get(p.file, len(files)), p.file, p.line or 0))


class LoadedScenario(BaseModel):
    """A validated scenario with where it came from and the scenarios its policies make, by date."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    scenario: Scenario
    source: SourceTree
    path: str
    periods: list[tuple[float, Scenario]]  # (simulation day, scenario in force from then), first at day 0
    roots: tuple[str, ...] = ()
    """The folders ``extends`` could read when the file was loaded (sim.scenario.files): the manifest keeps them, so
    ``run --resume`` reads the scenario as the run did from any working directory."""


def _policy_periods(
    tree: SourceTree, base: Scenario, known: Collection[tuple[KeyPath, str]] = ()
) -> list[tuple[float, Scenario]]:
    """The scenario in force from each policy date, each validated so a bad policy is caught at load time.

    ``known`` are the base's own cross-reference problems, reported once at their own lines, not again for each
    policy that leaves them as they were."""
    periods: list[tuple[float, Scenario]] = [(0.0, base)]
    # Every default filled in, so a policy can reach into a key the file leaves out (such as one region of
    # courts.capacity.capacity_per_case_index), as the calibration's free parameters do.
    data = base.model_dump(mode="json", by_alias=True, exclude={"policies"})
    # History rows come first on a shared date, so a policy of that date applies on top of them.
    dated: list[tuple[KeyPath, Policy]] = [*history_policies(base)]
    dated += [(("policies", i), policy) for i, policy in enumerate(base.policies)]
    dated.sort(key=lambda entry: entry[1].date)
    problems: list[Problem] = []
    for at, policy in dated:
        file, line = tree.locate(at)
        where = f"{format_key_path(at)} ({policy.name})"
        for kind, changes in (("set", policy.set), ("scale", policy.scale)):
            for dotted, value in changes.items():
                problem = run_level_problem(dotted) or set_path(data, dotted, value, scale=kind == "scale")
                if problem:
                    key_file, key_line = tree.locate((*at, kind, dotted))
                    problems.append(Problem(key_file, key_line, f"{format_key_path(at)}.{kind}.{dotted}", problem))
        # Errors are found in the data as the policy leaves it, but belong to the policy's line.
        changed = SourceTree(data=data, files=tree.files, locations={})
        try:
            scenario = Scenario.model_validate(data)
        except ValidationError as err:
            for p in problems_from_validation_error(err, changed, Scenario).problems:
                problems.append(Problem(file, line, where, f"makes {p.key_path} invalid: {p.message}"))
            data = copy.deepcopy(periods[-1][1].model_dump(mode="json", by_alias=True, exclude={"policies"}))
            continue
        for path, message in cross_reference_problems(scenario):
            if (path, message) in known:
                continue
            problems.append(Problem(file, line, where, f"makes {format_key_path(path)} invalid: {message}"))
        changed_names: set[str] = set()
        for name, names_of in FIXED_BY_THE_BASE:
            before, after = names_of(base), names_of(scenario)
            if after != before and name not in changed_names:  # a new region is not also a new court centre
                changed_names.add(name)
                added = [f"{name}.{x}" for x in after if x not in before]
                removed = [f"{name}.{x}" for x in before if x not in after]
                change = (
                    "; ".join(
                        [f"adds {', '.join(added)}"] * bool(added) + [f"removes {', '.join(removed)}"] * bool(removed)
                    )
                    or f"changes {name}"
                )
                problems.append(
                    Problem(
                        file,
                        line,
                        where,
                        f"{change}: names that label the results must stay as in the base scenario",
                    )
                )
        periods.append((max(0.0, base.day_of(policy.date)), scenario))
    if problems:
        raise ScenarioError(problems)
    return periods


def load_scenario(path: str | Path, roots: Iterable[str | Path] = ()) -> LoadedScenario:
    """Load and validate a scenario file; raise ScenarioError naming file, line and key for every problem.

    ``extends`` may read inside the file's scenario roots (:mod:`sim.scenario.files`) and ``roots``; a problem in
    a file it reaches is reported without that file's values.
    """
    try:
        tree = load_tree(path, roots=roots)
        scenario, periods = _checked(tree)
    except ScenarioError as error:
        raise withhold_values(error, str(path), schema_words()) from None
    allowed = tuple(scenario_roots(path, roots))
    return LoadedScenario(scenario=scenario, source=tree, path=str(path), periods=periods, roots=allowed)


@functools.cache
def schema_words() -> frozenset[str]:
    """Every key and every fixed choice of the schema: words a message may quote from any file."""
    words: set[str] = set()
    seen: set[Any] = set()

    def patterns(metadata: list[Any]) -> None:  # a pattern such as a name's is the schema's, not a value
        for meta in metadata:
            for inner in [meta, *getattr(meta, "metadata", [])]:
                if isinstance(getattr(inner, "pattern", None), str):
                    words.add(inner.pattern)

    def visit(annotation: Any) -> None:
        if get_origin(annotation) is Annotated:
            patterns(list(get_args(annotation)[1:]))
        for member in members(annotation, None):
            if is_model(member):
                if member not in seen:
                    seen.add(member)
                    for field in member.model_fields.values():
                        patterns(field.metadata)
                    for key, inner in fields_by_key(member).items():
                        words.add(key)
                        visit(inner)
            elif get_origin(member) is Literal:
                words.update(str(choice) for choice in get_args(member))
            else:
                for inner in get_args(member):
                    visit(inner)

    visit(Scenario)
    return frozenset(words)


def scenario_from_dict(data: dict, name: str = "<dict>") -> LoadedScenario:
    """Validate a scenario given as a Python dict (for notebooks and tests)."""
    tree = SourceTree(data=data, files=[name])
    scenario, periods = _checked(tree)
    return LoadedScenario(scenario=scenario, source=tree, path=name, periods=periods)
