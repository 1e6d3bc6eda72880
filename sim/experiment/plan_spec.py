"""What the capacity planner is asked: its levers (``--lever``) and targets (``--target``), read and checked.

A **lever** is a dotted scenario key, with ``*`` for every key of a mapping as in policies, and the range the
planner may move it over, on a grid:

* ``KEY=LOW:HIGH`` sets every key it names to a value from LOW to HIGH (``regions.*.cafcass.long_term_advisers=
  100:200`` gives every region that many advisers);
* ``KEY=xLOW:xHIGH`` scales every key it names by a factor from LOW to HIGH, the scenario's own values times it
  (``courts.capacity.days_sat_per_year=x1:x1.3``);
* a third part ``:STEP`` sets the grid's step (default: :data:`DEFAULT_STEPS` steps from LOW to HIGH).

A lever changes the scenario from the first day of the run, warm-up included (as a calibration's free parameters
do, :func:`sim.experiment.model_calibration.targets.scenario_at`), not as a policy from a date.

A **target** is an indicator of ``summary.csv`` with a bound: ``NAME>=VALUE`` or ``NAME<=VALUE``, where NAME is the
indicator over every child (breakdown ``all``), or ``NAME[BREAKDOWN=GROUP]`` one group's row, e.g.
``public_law_cases_within_26_weeks_share>=0.5`` or ``time_to_disposal_weeks_mean[case_type=public_law]<=40``. A
target is met when the mean over the replications meets its bound. Names are checked against the base run's
``summary.csv`` (:func:`check_target_names`), with a did-you-mean.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.statistics import is_share
from sim.experiment.model_calibration.parameter_values import concrete_keys, resolved_data
from sim.experiment.model_calibration.targets import FreeParameter
from sim.scenario.loading import LoadedScenario
from sim.scenario.policy_paths import run_level_problem, schema_path_problem, set_path
from sim.scenario.schema import Scenario
from sim.scenario.yaml_file import suggest

DEFAULT_STEPS = 10
"""A lever without a step is tried at LOW, HIGH and the nine values evenly between them."""
MAX_GRID_POINTS_PER_LEVER = 1000
"""A finer grid than this is refused: the planner's runs would never tell neighbours apart."""
GRID_DIGITS = 10
"""Lever values are rounded to this many decimal places, so a grid point is one value (the evaluations' cache key)."""
SCALE_MARK = "x"
LEVER = re.compile(r"^(?P<key>[^=\s]+)=(?P<low>[^:]+):(?P<high>[^:]+)(?::(?P<step>[^:]+))?$")
TARGET = re.compile(
    r"^(?P<name>[a-z][a-z0-9_]*)(?:\[(?P<breakdown>[^=\]]+)=(?P<group>[^\]]+)\])?\s*(?P<op>>=|<=)\s*(?P<value>\S+)$"
)


class PlanSpecError(ValueError):
    """A lever or target the planner cannot use; the message names the argument as it was given."""


@dataclass(frozen=True)
class Lever:
    """One dotted key (or family of keys, with ``*``) the planner may move over a grid."""

    key: str
    low: float
    high: float
    step: float
    scale: bool
    text: str  # as given on the command line

    @property
    def grid(self) -> list[float]:
        """Every value the lever may take, LOW first."""
        count = int(math.floor((self.high - self.low) / self.step + 1e-9))
        values = [round(self.low + i * self.step, GRID_DIGITS) for i in range(count + 1)]
        return values if values[-1] >= self.high - 1e-12 else [*values, round(self.high, GRID_DIGITS)]

    @property
    def label(self) -> str:
        return f"{self.key} (x)" if self.scale else self.key

    def as_parameter(self) -> FreeParameter:
        """The calibration's free parameter that applies this lever (``set`` or ``scale``)."""
        return FreeParameter(
            name=None, key=self.key, change="scale" if self.scale else "set", lower=self.low, upper=self.high
        )


@dataclass(frozen=True)
class Target:
    """A bound on one row of summary.csv."""

    indicator: str
    breakdown: str
    group: str
    at_least: bool  # >= when true, <= when false
    threshold: float
    text: str

    @property
    def name(self) -> str:
        return self.indicator if self.breakdown == "all" else f"{self.indicator}[{self.breakdown}={self.group}]"

    def met(self, value: float) -> bool:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        return value >= self.threshold if self.at_least else value <= self.threshold

    def shortfall(self, value: float) -> float:
        """How far ``value`` is from meeting the bound (0 or less when met), in the indicator's unit."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return math.inf
        return self.threshold - value if self.at_least else value - self.threshold


def _number(text: str, what: str, argument: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise PlanSpecError(f"{argument}: {what} '{text}' is not a number") from None
    if not math.isfinite(value):
        raise PlanSpecError(f"{argument}: {what} must be a finite number, got '{text}'")
    return value


def parse_lever(text: str) -> Lever:
    """A ``--lever`` argument (module docstring); PlanSpecError names it when it cannot be read."""
    argument = f"--lever '{text}'"
    match = LEVER.match(text.strip())
    if not match:
        raise PlanSpecError(
            f"{argument}: write KEY=LOW:HIGH (set the keys) or KEY=xLOW:xHIGH (scale them), with an optional :STEP, "
            "e.g. courts.capacity.days_sat_per_year=x1:x1.3:0.05"
        )
    key, low, high, step = match["key"], match["low"].strip(), match["high"].strip(), match["step"]
    scale = low.startswith(SCALE_MARK)
    if scale != high.startswith(SCALE_MARK):
        raise PlanSpecError(f"{argument}: write both ends as factors (x1:x1.3) or both as values (100:200)")
    low_value = _number(low.removeprefix(SCALE_MARK), "LOW", argument)
    high_value = _number(high.removeprefix(SCALE_MARK), "HIGH", argument)
    if high_value <= low_value:
        raise PlanSpecError(f"{argument}: HIGH ({high_value:g}) must be above LOW ({low_value:g})")
    if scale and low_value <= 0:
        raise PlanSpecError(f"{argument}: a factor must be above 0, got x{low_value:g}")
    span = high_value - low_value
    step_value = span / DEFAULT_STEPS if step is None else _number(step, "STEP", argument)
    if step_value <= 0 or span / step_value > MAX_GRID_POINTS_PER_LEVER:
        raise PlanSpecError(
            f"{argument}: STEP must be above 0 and give at most {MAX_GRID_POINTS_PER_LEVER} values from LOW to HIGH"
        )
    problem = run_level_problem(key) or schema_path_problem(Scenario, key)
    if problem:
        raise PlanSpecError(f"{argument}: {problem}")
    return Lever(key=key, low=low_value, high=high_value, step=step_value, scale=scale, text=text)


def check_levers(levers: list[Lever], loaded: LoadedScenario) -> None:
    """Each lever names keys the scenario has, each a number, and no two levers name the same key."""
    data = resolved_data(loaded)
    seen: dict[tuple, str] = {}
    for lever in levers:
        argument = f"--lever '{lever.text}'"
        problem = set_path(data, lever.key, 1.0, scale=True)  # a trial scale of a copy: every key must be a number
        if problem:
            raise PlanSpecError(f"{argument}: {problem}")
        for path in concrete_keys(data, lever.key):
            if path in seen:
                raise PlanSpecError(f"{argument}: {'.'.join(map(str, path))} is also moved by --lever '{seen[path]}'")
            seen[path] = lever.text
        data = resolved_data(loaded)


def parse_target(text: str) -> Target:
    """A ``--target`` argument (module docstring); PlanSpecError names it when it cannot be read."""
    argument = f"--target '{text}'"
    match = TARGET.match(text.strip())
    if not match:
        raise PlanSpecError(
            f"{argument}: write NAME>=VALUE or NAME<=VALUE, NAME an indicator of summary.csv (for one group: "
            "NAME[BREAKDOWN=GROUP]), e.g. public_law_cases_within_26_weeks_share>=0.5"
        )
    threshold = _number(match["value"], "VALUE", argument)
    if is_share(match["name"]) and not 0 <= threshold <= 1:
        raise PlanSpecError(f"{argument}: {match['name']} is a share, from 0 to 1; got {threshold:g}")
    return Target(
        indicator=match["name"],
        breakdown=match["breakdown"] or "all",
        group=match["group"] or "all",
        at_least=match["op"] == ">=",
        threshold=threshold,
        text=text,
    )


def check_target_names(targets: list[Target], summary: pd.DataFrame) -> None:
    """Every target names a row of ``summary`` (the base run's summary.csv); else the closest name that does."""
    rows = summary[["indicator", "breakdown", "group"]].astype(str)
    names = {
        ind if (b, g) == ("all", "all") else f"{ind}[{b}={g}]" for ind, b, g in rows.itertuples(index=False, name=None)
    }
    for target in targets:
        if target.name in names:
            continue
        close = suggest(target.name, names) or suggest(target.indicator, {n.split("[")[0] for n in names})
        hint = f"; did you mean '{close}'?" if close else ""
        raise PlanSpecError(
            f"--target '{target.text}': summary.csv has no indicator '{target.name}' (NAME for every child, "
            f"NAME[BREAKDOWN=GROUP] for one group){hint}"
        )


def grid_size(levers: list[Lever]) -> int:
    """Points of the levers' grid (the product of each lever's values)."""
    return int(np.prod([len(lever.grid) for lever in levers]))
