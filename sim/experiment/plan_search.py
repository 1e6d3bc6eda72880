"""The capacity planner's search: the cheapest mix of levers whose run meets every target.

``python run_sim.py plan SCENARIO --target T [--target ...] --lever L [--lever ...]`` (:mod:`sim.experiment.plan_spec`
reads them). Each candidate mix is the scenario with its levers applied, run on **common random numbers**: the same
root seed and replication numbers for every candidate, so two candidates differ only by their levers, and the search
compares them without the noise of different draws. A mix's cost is what its capacity adds a year against the
scenario as given (``capacity_cost_gbp_per_year``, :mod:`sim.analysis.costs`): known without a run, so only whether
it meets the targets is simulated.

The search, within ``max_evaluations`` runs:

1. the scenario as given (the base), whose summary.csv the targets' names are checked against;
2. when the levers' grid has no more points than the runs allowed, **every point** (exact: the cheapest point that
   meets the targets is the answer on the grid); otherwise the top of every lever first (if even that misses a
   target, no mix in the ranges meets it and the search stops), then optuna's **TPE sampler with constraints**
   (cost the objective, each target's shortfall a constraint), then a **descent** from the cheapest mix found
   that meets the targets: one lever a step down, or one down and another up, while a cheaper neighbour meets them.
   TPE is a well-kept optimiser for noisy, expensive objectives over a grid, needs no gradient and takes
   constraints; the descent makes the answer a local optimum of the grid, which TPE alone does not promise;
3. the chosen mix **confirmed** against the base by ``compare`` with ``confirm_replications`` replications on
   another root seed (``confirm_seed``, default the search's plus one), so the check does not reuse the numbers the
   mix was chosen on: each target's mean with its 95% interval, the share of replications meeting it, and the
   paired differences in the cost of delay, of capacity and the net cost.

Each candidate's run is kept in ``evaluations/eval-NNNN/`` (manifest, summary.csv, indicators.csv; its
per-replication tables removed once read unless ``keep_runs``). The confirmation and the record are
:mod:`sim.experiment.plan`'s, the report (``plan.html``, the frontier figure) :mod:`sim.outputs.plan_report`'s.
"""

from __future__ import annotations

import itertools
import math
import time
import warnings
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.costs import CAPACITY_PER_YEAR, PER_YEAR, capacity_cost_rows
from sim.experiment.model_calibration.parameter_values import apply_values, resolved_data
from sim.experiment.plan_spec import Lever, PlanSpecError, Target, check_target_names, grid_size
from sim.experiment.replication_parts import study_model
from sim.experiment.replications import run_experiment
from sim.experiment.results_folder import REPLICATIONS_DIR, clear_replication, replication_dir
from sim.scenario.loading import LoadedScenario, scenario_from_dict

EVALUATIONS_DIR, CONFIRM_DIR = "evaluations", "confirm"
PLAN_CSV, PLAN_YAML = "plan.csv", "plan.yaml"
TRIALS_PER_RUN = 20
"""TPE may propose a point already run (it costs nothing: the result is cached); it stops after this many proposals
per run allowed, so a grid it has exhausted ends the search."""
UNMEASURED_SHORTFALL = 1e9
"""A target a run gave no value for (no case to measure) counts as missed by far."""
CONFIRM_SEED_OFFSET = 1
"""The confirmation's root seed is the search's plus this: fresh random numbers, the same for base and mix."""


@dataclass(frozen=True)
class Evaluation:
    """One run of a candidate mix (``values`` None for the base) and what it gave for each target."""

    index: int
    phase: str  # base, grid, search, descent
    values: tuple[float, ...] | None
    cost_gbp_per_year: float  # capacity added a year against the base
    means: dict[str, float]
    lows: dict[str, float]
    highs: dict[str, float]
    delay_cost_gbp_per_year: float
    feasible: bool
    folder: Path
    wall_seconds: float


@dataclass
class Plan:
    """The planner's result: every evaluation, the chosen one (None when no mix meets the targets), the check."""

    levers: list[Lever]
    targets: list[Target]
    evaluations: list[Evaluation]
    chosen: Evaluation | None
    method: str
    confirm: pd.DataFrame | None = None  # per target: mean, interval, share of replications meeting it
    confirm_costs: pd.DataFrame | None = None  # compare.csv's cost rows
    confirm_replications: int = 0
    out: Path = field(default_factory=Path)


def _row(summary: pd.DataFrame, indicator: str, breakdown: str = "all", group: str = "all") -> pd.Series | None:
    found = summary[
        (summary["indicator"] == indicator)
        & (summary["breakdown"].astype(str) == breakdown)
        & (summary["group"].astype(str) == group)
    ]
    return None if found.empty else found.iloc[0]


def capacity_cost(loaded: LoadedScenario) -> float:
    """What the scenario's capacity costs a year (:func:`sim.analysis.costs.capacity_cost_rows`)."""
    rows = {name: value for _, name, _, _, value in capacity_cost_rows(loaded.periods, 0)}
    if CAPACITY_PER_YEAR not in rows:
        raise PlanSpecError(
            "the scenario prices no capacity, so no mix is cheaper than another: give costs.capacity (a day sat, "
            "a Cafcass adviser, a social worker; see docs/scenario-reference.md)"
        )
    return rows[CAPACITY_PER_YEAR]


class Planner:
    """Runs mixes of levers on common random numbers, caches them by grid point, and knows what each costs."""

    def __init__(
        self,
        loaded: LoadedScenario,
        levers: list[Lever],
        targets: list[Target],
        out: Path,
        *,
        replications: int,
        seed: int,
        executor: Any = None,
        log: Callable[[str], None] | None = None,
        keep_runs: bool = False,
        model: str | None = None,
    ) -> None:
        self.loaded, self.levers, self.targets, self.out = loaded, levers, targets, Path(out)
        self.replications, self.seed, self.executor, self.keep_runs = replications, seed, executor, keep_runs
        self.say = log or (lambda message: None)
        self.model = study_model(model, loaded, log)
        """Every run's model, chosen once for the base (the variants change values, not dated policies)."""
        self.base_cost = capacity_cost(loaded)
        self.parameters = [lever.as_parameter() for lever in levers]
        self.cache: dict[tuple[float, ...] | None, Evaluation] = {}
        self.evaluations: list[Evaluation] = []
        self._costs: dict[tuple[float, ...], float] = {}

    # ------------------------------------------------------------------------------------------ candidates
    def scenario(self, values: tuple[float, ...], name: str | None = None) -> LoadedScenario:
        """The scenario with the levers at ``values``, validated; a lever's problem names the lever."""
        try:
            data = apply_values(resolved_data(self.loaded), self.parameters, values)
        except ValueError as exc:
            raise PlanSpecError(f"a lever cannot be applied: {exc}") from None
        if name is not None:
            data["name"] = name
        label = ", ".join(f"{lever.label}={v:g}" for lever, v in zip(self.levers, values, strict=True))
        return scenario_from_dict(data, name=f"{self.loaded.path} [{label}]")

    def cost(self, values: tuple[float, ...]) -> float:
        """Capacity the mix adds a year against the base, in pounds (negative when it takes capacity away)."""
        if values not in self._costs:
            self._costs[values] = capacity_cost(self.scenario(values)) - self.base_cost
        return self._costs[values]

    def feasible(self, means: dict[str, float]) -> bool:
        return all(target.met(means.get(target.name, math.nan)) for target in self.targets)

    # ------------------------------------------------------------------------------------------ runs
    def evaluate(self, values: tuple[float, ...] | None, phase: str) -> Evaluation:
        """Run the mix at ``values`` (None: the base as given), or return its cached run."""
        if values in self.cache:
            return self.cache[values]
        started, index = time.perf_counter(), len(self.evaluations)
        scenario = self.loaded if values is None else self.scenario(values)
        folder = self.out / EVALUATIONS_DIR / f"eval-{index:04d}"
        folder.mkdir(parents=True, exist_ok=False)
        lever_values = (
            None if values is None else {lever.label: v for lever, v in zip(self.levers, values, strict=True)}
        )
        run = run_experiment(
            scenario,
            folder,
            replications=self.replications,
            seed=self.seed,
            executor=self.executor,
            extra_manifest={"plan": {"evaluation": index, "phase": phase, "levers": lever_values}},
            model=self.model,
        )
        if run.failures:
            first = run.failures[0]
            raise PlanSpecError(
                f"evaluation {index} ({scenario.path}): replication {first.replication} failed: {first.error}"
            )
        if values is None:
            check_target_names(self.targets, run.summary)
        means, lows, highs = {}, {}, {}
        for target in self.targets:
            r = _row(run.summary, target.indicator, target.breakdown, target.group)
            means[target.name], lows[target.name], highs[target.name] = (
                (math.nan,) * 3 if r is None else (float(r["mean"]), float(r["ci95_low"]), float(r["ci95_high"]))
            )
        delay = _row(run.summary, PER_YEAR)
        if not self.keep_runs:
            for r in run.results:
                clear_replication(replication_dir(folder, r))
            with suppress(OSError):
                (folder / REPLICATIONS_DIR).rmdir()
        evaluation = Evaluation(
            index=index,
            phase=phase,
            values=values,
            cost_gbp_per_year=0.0 if values is None else self.cost(values),
            means=means,
            lows=lows,
            highs=highs,
            delay_cost_gbp_per_year=math.nan if delay is None else float(delay["mean"]),
            feasible=self.feasible(means),
            folder=folder,
            wall_seconds=time.perf_counter() - started,
        )
        self.cache[values] = evaluation
        self.evaluations.append(evaluation)
        shown = "base" if values is None else ", ".join(f"{v:g}" for v in values)
        met = "meets" if evaluation.feasible else "misses"
        added = f"£{evaluation.cost_gbp_per_year:,.0f}"
        self.say(f"evaluation {index} ({phase}): {shown}: adds {added} a year, {met} the targets")
        return evaluation

    @property
    def runs(self) -> int:
        """Runs made for candidate mixes (the base not counted)."""
        return sum(1 for e in self.evaluations if e.values is not None)

    def best(self) -> Evaluation | None:
        """The cheapest mix that met every target (the first run of equal costs)."""
        found = [e for e in self.evaluations if e.values is not None and e.feasible]
        return min(found, key=lambda e: (e.cost_gbp_per_year, e.index)) if found else None


# ---------------------------------------------------------------------------------------------- the search
def _grid(planner: Planner) -> list[tuple[float, ...]]:
    return [tuple(point) for point in itertools.product(*(lever.grid for lever in planner.levers))]


def _tpe(planner: Planner, runs: int, seed: int) -> None:
    """Optuna's TPE sampler, cost the objective and each target's shortfall a constraint, for ``runs`` new runs."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    grids = [lever.grid for lever in planner.levers]

    with warnings.catch_warnings():  # multivariate TPE (the levers' joint effect) is marked experimental
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=max(2, runs // 3), multivariate=True)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    distributions = {f"lever_{i}": optuna.distributions.IntDistribution(0, len(g) - 1) for i, g in enumerate(grids)}
    for i, evaluation in enumerate(planner.evaluations):  # what is known already (the top of every lever) seeds it
        if evaluation.values is None:
            continue
        params = {f"lever_{j}": grids[j].index(v) for j, v in enumerate(evaluation.values)}
        study.add_trial(
            optuna.trial.create_trial(
                params=params,
                distributions=distributions,
                value=evaluation.cost_gbp_per_year,
                constraints=_shortfalls(planner, evaluation),
                user_attrs={"evaluation": i},
            )
        )
    target_runs, proposals = planner.runs + runs, 0
    while planner.runs < target_runs and proposals < TRIALS_PER_RUN * runs:
        proposals += 1
        trial = study.ask(distributions)
        values = tuple(grids[j][trial.params[f"lever_{j}"]] for j in range(len(grids)))
        evaluation = planner.evaluate(values, "search")
        for key, shortfall in _shortfalls(planner, evaluation).items():
            trial.set_constraint(key, shortfall)
        study.tell(trial, evaluation.cost_gbp_per_year)


def _shortfalls(planner: Planner, evaluation: Evaluation) -> dict[str, float]:
    """Each target's shortfall relative to its threshold (0 or less when met): TPE's constraints, by target."""
    out = {}
    for target in planner.targets:
        gap = target.shortfall(evaluation.means.get(target.name, math.nan))
        scale = abs(target.threshold) or 1.0
        out[target.name] = gap / scale if math.isfinite(gap) else UNMEASURED_SHORTFALL
    return out


def _neighbours(planner: Planner, values: tuple[float, ...]) -> list[tuple[float, ...]]:
    """Grid points one lever a step down, or one down and another a step up, cheaper than ``values``."""
    grids = [lever.grid for lever in planner.levers]
    at = [grids[i].index(v) for i, v in enumerate(values)]
    points = []
    for down in range(len(grids)):
        if at[down] == 0:
            continue
        moved = list(at)
        moved[down] -= 1
        points.append(tuple(moved))
        for up in range(len(grids)):
            if up != down and at[up] < len(grids[up]) - 1:
                swapped = list(moved)
                swapped[up] += 1
                points.append(tuple(swapped))
    candidates = [tuple(grids[i][j] for i, j in enumerate(p)) for p in points]
    here = planner.cost(values)
    cheaper = [c for c in candidates if planner.cost(c) < here]
    return sorted(cheaper, key=planner.cost)


def _descent(planner: Planner, limit: int) -> None:
    """From the cheapest mix meeting the targets, move to a cheaper neighbour that meets them, while runs remain."""
    best = planner.best()
    while best is not None and planner.runs < limit:
        for values in _neighbours(planner, best.values or ()):
            if values not in planner.cache and planner.runs >= limit:
                return
            if planner.evaluate(values, "descent").feasible:
                best = planner.best()
                break
        else:
            return


def search(planner: Planner, max_evaluations: int, seed: int) -> str:
    """Run the search (module docstring) and say which method found the answer."""
    points = _grid(planner)
    if len(points) <= max_evaluations:
        for values in sorted(points, key=lambda v: (planner.cost(v), v)):
            planner.evaluate(values, "grid")
        return f"every point of the levers' grid ({len(points)}), on common random numbers"
    top = tuple(lever.grid[-1] for lever in planner.levers)
    if not planner.evaluate(top, "search").feasible:
        return "the top of every lever misses a target, so no mix in the ranges meets them"
    descent_runs = min(max_evaluations // 3, 2 * len(planner.levers))
    _tpe(planner, max(1, max_evaluations - descent_runs - planner.runs), seed)
    _descent(planner, max_evaluations)
    return (
        f"optuna's TPE sampler with the targets as constraints over a grid of {grid_size(planner.levers):,} points, "
        f"then a descent to a cheaper neighbour while one meets the targets ({planner.runs} runs on common random "
        "numbers)"
    )


def check_plan(loaded: LoadedScenario, levers: list[Lever]) -> list[str]:
    """Before any run: the scenario prices capacity and validates with every lever at its low and high end. Returns
    a warning for each lever that changes no priced capacity (the search takes it as free)."""
    from sim.scenario.yaml_file import ScenarioError

    capacity_cost(loaded)  # raises when nothing is priced
    parameters = [lever.as_parameter() for lever in levers]
    ends = {"low": tuple(lv.grid[0] for lv in levers), "high": tuple(lv.grid[-1] for lv in levers)}
    costs = {}
    for which, values in ends.items():
        try:
            costs[which] = capacity_cost(scenario_from_dict(apply_values(resolved_data(loaded), parameters, values)))
        except (ScenarioError, ValueError) as exc:
            raise PlanSpecError(f"with every lever at its {which} end the scenario is not valid:\n{exc}") from None
    warnings_found = []
    for i, lever in enumerate(levers):
        values = tuple(lv.grid[-1] if j == i else lv.grid[0] for j, lv in enumerate(levers))
        cost = capacity_cost(scenario_from_dict(apply_values(resolved_data(loaded), parameters, values)))
        if math.isclose(cost, costs["low"]):
            warnings_found.append(
                f"--lever '{lever.text}' changes no capacity the scenario prices (costs.capacity): the planner takes "
                "it as free"
            )
    return warnings_found
