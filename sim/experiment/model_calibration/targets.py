"""The targets file of ``calibrate model``: the free parameters, with bounds, and the published figures to fit
or only to check.

A calibration is only as honest as its declared targets, so they live in a file that is validated as strictly
as a scenario (unknown keys, bad dates, bounds the wrong way round and keys the scenario does not have all come
back as ``file:line: key: message``) and recorded in the manifest. A target enters the objective only when it
is *fitted*: ``fitted`` is not false and its date is on or before ``fit_until``. Everything else is reported as
an out-of-sample check, so a figure held back (2024, for the back-cast) can never be fitted by accident; a
target marked ``fitted: true`` after ``fit_until`` is an error, not a silent exception.

Free parameters are changed as policies change a scenario (:func:`sim.scenario.loading.set_path`): a dotted
key, ``*`` for every key of a mapping, or a list of keys that move together (London and the South East, which
the PAC names as one), and ``set`` (every matched key takes the value) or ``scale`` (every matched key is
multiplied by it). They are applied to the resolved base scenario, before its policies, so a policy that scales
a capacity later scales the fitted value. A key may name an entry an open mapping does not have yet (one region
of ``courts.capacity.capacity_per_case_index``, which the baseline leaves empty): setting it adds the entry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.analysis.trajectory import MEASURES as PUBLISHED_MEASURES
from sim.analysis.trajectory import split_region
from sim.experiment.model_calibration.measures import MEASURES
from sim.experiment.model_calibration.parameter_values import (
    concrete_keys,
    resolved_data,
    scenario_at,
    unknown_key,
    values_at,
)
from sim.scenario.loading import LoadedScenario
from sim.scenario.schema import Name
from sim.scenario.yaml_file import (
    Problem,
    ScenarioError,
    SourceTree,
    load_validated,
    suggest,
)

Finite = Annotated[float, Field(allow_inf_nan=False)]


class TargetsError(ScenarioError):
    """Problems in a targets file (each with file, line and key), or in the scenario it would make."""


class FreeParameter(BaseModel):
    """One scenario key (or family of keys) the optimiser may move, within bounds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name | None = Field(
        None, description="Short label for the outputs (default: the key; needed when there are several keys)."
    )
    key: (
        Annotated[str, Field(min_length=1)] | Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    ) = Field(
        description="Dotted scenario key ('*' stands for every key of a mapping), or a list of keys that all take "
        "the one value."
    )
    change: Literal["set", "scale"] = Field(
        "set", description="'set': every matched key takes the value; 'scale': every matched key is multiplied by it."
    )
    lower: Finite = Field(description="Lowest value the optimiser may try (in the key's unit, or a factor).")
    upper: Finite = Field(description="Highest value the optimiser may try.")
    start: Finite | None = Field(
        None, description="Where the search starts (default: the scenario's value for 'set', 1 for 'scale')."
    )
    balance: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)] | None = Field(
        None,
        description="With change: scale, keys that give up what the scaled keys gain (or take what they lose), all "
        "by one factor, so that the sum over key and balance stays the scenario's: a fixed, published total split "
        "between two kinds of staff (Cafcass's short- and long-term advisers, say).",
    )

    @model_validator(mode="after")
    def _named_if_several(self) -> FreeParameter:
        if isinstance(self.key, list) and len(self.key) > 1 and self.name is None:
            raise ValueError("a parameter with several keys needs a name for the outputs")
        if self.balance is not None:
            if self.change != "scale":
                raise ValueError("balance keys go with change: scale (the factor moves a share of a fixed total)")
            if set(self.balance) & set(self.keys):
                raise ValueError("a key cannot be both scaled and the balance")
        return self

    @property
    def keys(self) -> tuple[str, ...]:
        """The dotted keys the parameter sets, one or more."""
        return (self.key,) if isinstance(self.key, str) else tuple(self.key)

    @property
    def changed_keys(self) -> tuple[str, ...]:
        """Every dotted key the parameter changes: its own and the balance."""
        return self.keys + tuple(self.balance or ())

    @property
    def label(self) -> str:
        return self.name or ", ".join(self.keys)


class Target(BaseModel):
    """One published figure, the date the model is read at, and whether it may be fitted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    indicator: str = Field(
        min_length=1,
        description="Indicator as the measure names it; NAME[region=REGION] for one region's figure.",
    )
    date: dt.date = Field(description="Date the figure describes (the measure reads the model at this date).")
    period: str | None = Field(None, description="What the figure covers, e.g. 'Q3 2023' (shown in fit.csv).")
    published: Finite = Field(description="The published value (not zero: errors are relative to it).")
    weight: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(
        1.0, description="Weight of the squared relative error in the objective."
    )
    source: str = Field(min_length=1, description="Where the figure was published.")
    fitted: bool | None = Field(
        None, description="false: an out-of-sample check only; default: fitted if dated on or before fit_until."
    )


class IdentifiabilitySettings(BaseModel):
    """How the sensitivity matrix at the fit is made and read (docs/calibration.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    step_share: Annotated[float, Field(gt=0, le=0.5)] = Field(
        0.1, description="Finite-difference step as a share of each parameter's range (large: the model is noisy)."
    )
    min_response: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(
        0.05,
        description="A parameter is not identified when moving it over its whole range moves the weighted fitted "
        "targets by less than this (a share of their published values).",
    )
    noise_multiple: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(
        1.0,
        description="A parameter is not identified when its step moves no fitted target by more than this many "
        "standard errors of the target's mean across replications (with two replications or more).",
    )
    condition_limit: Annotated[float, Field(gt=1, allow_inf_nan=False)] = Field(
        30.0, description="A direction whose singular value is below the largest / this is too weak to pin."
    )


class PlausibilitySettings(BaseModel):
    """Which evaluations the fitted targets rule out, as history matching does (:mod:`.plausibility`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    discrepancy_share: Annotated[float, Field(gt=0, le=1)] = Field(
        0.1,
        description="The published figures' error and the model's structural discrepancy together, as a share of "
        "each figure: the implausibility's tolerance (an assumption, docs/assumptions.md).",
    )
    cutoff: Annotated[float, Field(gt=0, allow_inf_nan=False)] = Field(
        3.0, description="A run whose second-largest implausibility over the fitted targets exceeds this is ruled out."
    )


class OptimiserSettings(BaseModel):
    """A Latin hypercube, then Nelder-Mead in the unit cube of the bounds (docs/calibration.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    design_points_per_parameter: Annotated[int, Field(ge=0, le=50)] = Field(
        2,
        description="Points of a Latin hypercube over the bounds, per parameter, run before the local search; it "
        "starts from the best point seen (a start in a flat region, where capacity never binds, is left at once).",
    )
    initial_step_share: Annotated[float, Field(gt=0, le=1)] = Field(
        0.25, description="Size of the first simplex, as a share of each parameter's range."
    )
    tolerance_share: Annotated[float, Field(gt=0, lt=1)] = Field(
        0.01, description="Stop when the simplex is this small (a share of each range) and the objective is flat."
    )
    objective_tolerance: Annotated[float, Field(gt=0, allow_inf_nan=False)] = Field(
        1e-6, description="Flat: the objective differs by less than this across the simplex."
    )


class TargetsFile(BaseModel):
    """The whole targets file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    measure: str = Field("indicators", description="How the model is read at the targets' dates (a registered name).")
    fit_until: dt.date | None = Field(None, description="Targets dated after this are never fitted.")
    parameters: list[FreeParameter] = Field(min_length=1, description="The free parameters.")
    targets: list[Target] = Field(min_length=1, description="Published figures, fitted or checked.")
    identifiability: IdentifiabilitySettings = Field(default_factory=IdentifiabilitySettings)
    optimiser: OptimiserSettings = Field(default_factory=OptimiserSettings)
    plausibility: PlausibilitySettings = Field(default_factory=PlausibilitySettings)

    def is_fitted(self, target: Target) -> bool:
        """Fitted unless marked false or dated after ``fit_until``."""
        return target.fitted is not False and (self.fit_until is None or target.date <= self.fit_until)


@dataclass(frozen=True)
class Targets:
    """A validated targets file, where it came from, and the start value of each parameter."""

    spec: TargetsFile
    source: SourceTree
    path: str
    start: tuple[float, ...]

    @property
    def fitted(self) -> list[bool]:
        return [self.spec.is_fitted(t) for t in self.spec.targets]


def _default_start(parameter: FreeParameter, data: dict) -> float:
    """The scenario's own value ('set', when every matched key has the same number) or 1 ('scale'), if in
    bounds; else the middle of the bounds."""
    middle = (parameter.lower + parameter.upper) / 2
    if parameter.change == "scale":
        value = 1.0
    else:
        values = set(values_at(data, parameter.keys))  # None (an entry not there yet) gives the middle of the bounds
        value = values.pop() if len(values) == 1 else middle
        if isinstance(value, bool) or not isinstance(value, int | float):
            value = middle
    return float(value) if parameter.lower <= value <= parameter.upper else middle


# ---------------------------------------------------------------------------------------------- loading
def _checks(spec: TargetsFile, tree: SourceTree, loaded: LoadedScenario) -> tuple[list[Problem], tuple[float, ...]]:
    """Problems between the blocks of the file, and with the scenario; the start values."""
    problems: list[Problem] = []

    def add(path: tuple[str | int, ...], key: str, message: str) -> None:
        problems.append(Problem(*tree.locate(path), key, message))

    if spec.measure not in MEASURES:
        close = suggest(spec.measure, MEASURES)
        hint = f"; did you mean '{close}'?" if close else f" (known: {', '.join(sorted(MEASURES))})"
        add(("measure",), "measure", f"unknown measure '{spec.measure}'{hint}")
    seen: dict[str, int] = {}
    for i, p in enumerate(spec.parameters):
        where = f"parameters[{i}]"
        if p.label in seen:
            add(("parameters", i), where, f"'{p.label}' is also parameters[{seen[p.label]}]; give each a name")
        seen.setdefault(p.label, i)
        if p.lower >= p.upper:
            add(("parameters", i, "upper"), f"{where}.upper", f"must be above lower ({p.lower:g}), got {p.upper:g}")
        elif p.start is not None and not p.lower <= p.start <= p.upper:
            add(("parameters", i, "start"), f"{where}.start", f"must be within [{p.lower:g}, {p.upper:g}]")
    points: dict[tuple[str, dt.date], int] = {}
    for i, t in enumerate(spec.targets):
        where = f"targets[{i}]"
        if (t.indicator, t.date) in points:
            add(("targets", i), where, f"{t.indicator} at {t.date} is also targets[{points[(t.indicator, t.date)]}]")
        points.setdefault((t.indicator, t.date), i)
        if t.published == 0:
            add(("targets", i, "published"), f"{where}.published", "must not be zero: errors are relative to it")
        name, region = split_region(t.indicator)
        if spec.measure == "trajectory" and name not in PUBLISHED_MEASURES:
            close = suggest(name, PUBLISHED_MEASURES)
            hint = f"; did you mean '{close}'?" if close else ""
            add(("targets", i, "indicator"), f"{where}.indicator", f"the trajectory measure has no '{name}'{hint}")
        elif spec.measure == "indicators" and name in PUBLISHED_MEASURES:  # caught now, not after the first run
            add(
                ("targets", i, "indicator"),
                f"{where}.indicator",
                f"'{name}' is a figure as published, which the 'trajectory' measure reads; give 'measure: trajectory'",
            )
        if region is not None and region not in loaded.scenario.regions:
            close = suggest(region, loaded.scenario.regions)
            hint = f"; did you mean '{close}'?" if close else f" (regions: {', '.join(loaded.scenario.regions)})"
            add(("targets", i, "indicator"), f"{where}.indicator", f"unknown region '{region}'{hint}")
        if t.fitted is True and spec.fit_until is not None and t.date > spec.fit_until:
            add(
                ("targets", i, "fitted"),
                f"{where}.fitted",
                f"dated {t.date}, after fit_until ({spec.fit_until}): it can only be an out-of-sample check",
            )
    if not any(spec.is_fitted(t) and t.weight > 0 for t in spec.targets):
        add(("targets",), "targets", "no target is fitted with a weight above zero: there is nothing to fit")
    if problems:
        return problems, ()
    data = resolved_data(loaded)
    for i, p in enumerate(spec.parameters):
        for j, key in enumerate(p.keys):
            if not concrete_keys(data, key):
                at: tuple[str | int, ...] = ("parameters", i, "key") + ((j,) if isinstance(p.key, list) else ())
                add(at, f"parameters[{i}].key" + (f"[{j}]" if isinstance(p.key, list) else ""), unknown_key(data, key))
        for j, key in enumerate(p.balance or ()):
            if not concrete_keys(data, key):
                add(("parameters", i, "balance", j), f"parameters[{i}].balance[{j}]", unknown_key(data, key))
    if problems:
        return problems, ()
    start = tuple(p.start if p.start is not None else _default_start(p, data) for p in spec.parameters)
    for i, p in enumerate(spec.parameters):
        for what, value in (("lower", p.lower), ("upper", p.upper), ("start", start[i])):
            try:
                scenario_at(loaded, [p], (value,))
            except ValueError as exc:  # set_path: a scale of something that is not a number
                add(("parameters", i, "key"), f"parameters[{i}].key", str(exc).split(": ", 1)[-1])
                break
            except ScenarioError as exc:
                first = exc.problems[0]
                add(
                    ("parameters", i, what),
                    f"parameters[{i}].{what}",
                    f"{p.label} = {value:g} makes the scenario invalid: {first.key_path}: {first.message}",
                )
    return problems, start


def load_targets(path: str | Path, loaded: LoadedScenario) -> Targets:
    """Read and validate a targets file against the scenario; raise TargetsError listing every problem."""
    try:
        tree, spec = load_validated(path, TargetsFile)
    except ScenarioError as exc:
        raise TargetsError(exc.problems) from None
    problems, start = _checks(spec, tree, loaded)
    if problems:
        raise TargetsError(problems)
    return Targets(spec=spec, source=tree, path=str(path), start=start)
