"""The options study file: a base scenario, the options to run against it, and the pair that gives an elasticity.

``python run_sim.py options [STUDY.yaml]`` (default ``scenarios/options.yaml``) runs what this file declares, so
the set of options published in ``docs/options.md`` is data under version control, not a command line someone
typed. The file is read as strictly as a scenario (:func:`sim.scenario.yaml_file.load_validated`): an unknown key, a
missing question, a scenario file that does not exist, two options with the same name, or an elasticity pair
that names no option all come back as ``file:line: key: message``, together with every problem of the
scenarios it names, before anything runs::

    title: What capacity buys
    base: baseline.yaml                          # paths are relative to this file, as `extends:` is
    options:
      - scenario: more_judges.yaml
        question: What do 10% more days sat buy?
      - scenario: fewer_judges.yaml
        question: What do 10% fewer days sat cost?
    elasticity:                                  # optional: weeks of delay per 1% of days sat
      up: {option: more_judges, days_sat_change_percent: 10}
      down: {option: fewer_judges, days_sat_change_percent: -10}
    known_limits:                                # optional: what the model is known to get wrong here
      - Private law answers court capacity more strongly than the published trajectory did (docs/calibration.md).
    docs_record: docs/options.md                 # optional: where --docs writes the record (one per study)

An option is named by its scenario's ``name``. The percentages of the elasticity pair are declared, not read
from the scenarios: they must say what the two option files do to days sat (``tests/test_docs.py`` checks
``more_judges.yaml`` and ``fewer_judges.yaml``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.scenario.files import inside, not_a_file, scenario_roots
from sim.scenario.loading import LoadedScenario, load_scenario
from sim.scenario.schema import Name
from sim.scenario.yaml_file import (
    Problem,
    ScenarioError,
    SourceTree,
    format_key_path,
    load_validated,
    suggest,
)

Percent = Annotated[float, Field(gt=-100, allow_inf_nan=False)]


class StudyError(ScenarioError):
    """Problems in an options study file (each with file, line and key), or in the scenarios it names."""


def _one_line(text: str) -> str:
    """A question folded over several YAML lines reads as one line in the tables."""
    line = " ".join(text.split())
    if not line:
        raise ValueError("must say what the option asks, in one line")
    return line


class StudyOption(BaseModel):
    """One option: its scenario file and the question it answers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str = Field(min_length=1, description="The option's scenario file, relative to the study file.")
    question: str = Field(description="What the option asks, in one line (shown beside its results).")

    _question = field_validator("question")(_one_line)


class ElasticityEnd(BaseModel):
    """One end of the elasticity pair: an option and the change in days sat it makes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    option: Name = Field(description="The option, by its scenario's name.")
    days_sat_change_percent: Percent = Field(description="What the option does to days sat, in % (10 for +10%).")


class ElasticityPair(BaseModel):
    """Two options that differ from the base only in days sat: weeks per 1% of days sat is their difference over
    the difference in their percentages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    up: ElasticityEnd = Field(description="The option with more days sat.")
    down: ElasticityEnd = Field(description="The option with fewer days sat.")

    @model_validator(mode="after")
    def _apart(self) -> ElasticityPair:
        if self.up.option == self.down.option:
            raise ValueError(f"up and down are both '{self.up.option}': the pair needs two options")
        if self.up.days_sat_change_percent <= self.down.days_sat_change_percent:
            raise ValueError(
                f"up.days_sat_change_percent ({self.up.days_sat_change_percent:g}) must be above "
                f"down.days_sat_change_percent ({self.down.days_sat_change_percent:g})"
            )
        return self

    @property
    def percent_apart(self) -> float:
        """Percentage points of days sat between the two ends (20 for +10% and -10%)."""
        return self.up.days_sat_change_percent - self.down.days_sat_change_percent


class StudyFile(BaseModel):
    """The whole study file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field("Policy options against the base", description="Heading of the record (options.md).")
    base: str = Field(min_length=1, description="The base scenario file, relative to the study file.")
    options: list[StudyOption] = Field(min_length=1, description="The options, each run against the base.")
    elasticity: ElasticityPair | None = Field(
        None, description="The pair of options that gives weeks per 1% of days sat."
    )
    known_limits: list[str] = Field(
        default_factory=list,
        description="What the study's author knows the model gets wrong in a way that bears on these options "
        "(each a paragraph, with where the evidence is); the record prints them where its reader is told how to "
        "read the differences.",
    )
    docs_record: str = Field(
        "docs/options.md",
        pattern=r"^docs/[A-Za-z0-9_.-]+\.md$",
        description="Where `options --docs` writes the record, from the repository's root: one file per study.",
    )

    _title = field_validator("title")(_one_line)


@dataclass(frozen=True)
class Study:
    """A validated study: the file, its scenarios loaded, and each option's name (its scenario's)."""

    spec: StudyFile
    source: SourceTree
    path: str
    base: LoadedScenario
    options: list[LoadedScenario]

    @property
    def names(self) -> list[str]:
        return [o.scenario.name for o in self.options]

    @property
    def questions(self) -> dict[str, str]:
        return {o.scenario.name: spec.question for o, spec in zip(self.options, self.spec.options, strict=True)}


def _scenario_path(study: str, relative: str) -> str:
    """A path in the study file, read as ``extends:`` reads one: from the study file's folder."""
    return os.path.normpath(os.path.join(os.path.dirname(study), relative))


def _load(
    study: str, tree: SourceTree, where: tuple[str | int, ...], relative: str, problems: list[Problem]
) -> LoadedScenario | None:
    """Load one scenario the study names; a missing file is a problem of the study, a bad one of the scenario."""
    path = _scenario_path(study, relative)
    roots = scenario_roots(study)
    what = "is outside the folders a study may read" if not inside(path, roots) else not_a_file(path)
    if what:
        problems.append(Problem(*tree.locate(where), format_key_path(where), f"{path}: {what}"))
        return None
    try:
        return load_scenario(path, roots=roots)  # an option may extend what the study may name
    except ScenarioError as exc:
        problems.extend(exc.problems)
        return None


def _name_checks(
    spec: StudyFile, tree: SourceTree, base: LoadedScenario, options: list[LoadedScenario]
) -> list[Problem]:
    """Each option has its own name, not the base's, and the elasticity pair names two of them."""
    problems: list[Problem] = []

    def add(where: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(*tree.locate(where), format_key_path(where), message))

    seen: dict[str, int] = {}
    for i, option in enumerate(options):
        name = option.scenario.name
        if name == base.scenario.name:
            add(
                ("options", i, "scenario"),
                f"the scenario is named '{name}', as the base is: give the option its own name",
            )
        elif name in seen:
            add(
                ("options", i, "scenario"),
                f"the scenario is named '{name}', as options[{seen[name]}]'s is: give each option its own name",
            )
        seen.setdefault(name, i)
    if spec.elasticity is not None:
        for end in ("up", "down"):
            name = getattr(spec.elasticity, end).option
            if name not in seen:
                close = suggest(name, seen)
                hint = f"; did you mean '{close}'?" if close else f" (the options: {', '.join(seen)})"
                add(("elasticity", end, "option"), f"'{name}' is not one of the options{hint}")
    return problems


def load_study(path: str | Path) -> Study:
    """Read and validate a study file and load every scenario it names; raise StudyError listing every problem."""
    path = str(path)
    try:
        tree, spec = load_validated(path, StudyFile)
    except ScenarioError as exc:
        raise StudyError(exc.problems) from None
    problems: list[Problem] = []
    base = _load(path, tree, ("base",), spec.base, problems)
    options = [_load(path, tree, ("options", i, "scenario"), o.scenario, problems) for i, o in enumerate(spec.options)]
    if problems or base is None:
        raise StudyError(problems)
    loaded = [o for o in options if o is not None]
    problems = _name_checks(spec, tree, base, loaded)
    if problems:
        raise StudyError(problems)
    return Study(spec=spec, source=tree, path=path, base=base, options=loaded)
