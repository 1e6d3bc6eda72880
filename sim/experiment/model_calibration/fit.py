"""``calibrate model``: fit a scenario's free parameters to declared published targets, and say which of them
the targets cannot pin.

Each evaluation runs the scenario with the parameters applied (:func:`sim.experiment.replications.run_experiment`)
on the *same* root seed and replications every time: common random numbers, so two evaluations differ only
because the parameters differ, and the objective is a deterministic function of them. The objective is the
weighted sum of squared relative errors over the fitted targets, ``sum w_i ((model_i - published_i) /
published_i)^2``, ``model_i`` the mean over replications (infinite when the model gives no value). The search
is a small Latin hypercube over the bounds (so a start on a plateau, where capacity never binds, is left),
then Nelder-Mead in the unit cube of the bounds from the best point seen: no gradients (the objective is a
step function of the parameters at a fine scale, even on common random numbers), few parameters, and a first
simplex a quarter of each range wide, so it steps over the fine steps instead of being trapped by them.
Evaluations are cached by parameter vector; ``max_evaluations`` bounds the runs the search may make. Then a
finite-difference sensitivity matrix at the fit (same seeds; :mod:`.identifiability`) says which
parameters the targets pin. See docs/calibration.md.

Outputs in the output folder: ``evaluations/eval-NNNN/`` (each evaluation's manifest, indicators and measured
values; per-replication tables are removed once measured unless ``keep_runs``), ``evaluations.csv``,
``evaluation_targets.csv`` (every target's model value at every evaluation), ``fit.csv``, ``identifiability.csv``,
``parameters.csv``, ``plausibility.csv`` and ``check_ranges.csv`` (which runs the fitted targets cannot rule out,
and the out-of-sample checks' range over them: :mod:`.plausibility`), ``fitted.yaml`` (extends the input scenario
and sets the fitted values) and ``manifest.json``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import qmc

from sim.experiment.manifest import sha256_file, study_manifest, write_manifest
from sim.experiment.model_calibration.evaluator import EVALUATIONS_DIR, CalibrationModelError, Evaluation, Evaluator
from sim.experiment.model_calibration.fitted_scenario import FITTED_SCENARIO, write_fitted_scenario
from sim.experiment.model_calibration.identifiability import Identifiability, assess
from sim.experiment.model_calibration.plausibility import check_ranges, plausibility_table
from sim.experiment.model_calibration.targets import Targets
from sim.experiment.owned_files import writes_into
from sim.experiment.replication_parts import study_model
from sim.experiment.replications import write_csv
from sim.scenario.loading import LoadedScenario

__all__ = ["EVALUATIONS_DIR", "FITTED_SCENARIO", "CalibrationModelError", "CalibrationResult", "calibrate_model"]


# ---------------------------------------------------------------------------------------------- the search
class _BudgetSpent(Exception):
    """The search asked for a new run after ``max_evaluations``."""


@dataclass
class Fit:
    start: Evaluation
    best: Evaluation
    stop_reason: str
    search_evaluations: int


def design_points(parameters: int, per_parameter: int, seed: int) -> np.ndarray:
    """A Latin hypercube in the unit cube (``per_parameter`` points per parameter), the same for the same seed."""
    count = parameters * per_parameter
    if count == 0:
        return np.empty((0, parameters))
    return qmc.LatinHypercube(d=parameters, seed=np.random.default_rng(seed)).random(count)


def search(evaluator: Evaluator, max_evaluations: int) -> Fit:
    """A Latin hypercube over the bounds, then Nelder-Mead in their unit cube from the best point seen so far,
    within ``max_evaluations`` runs (the start included)."""
    spec = evaluator.targets.spec
    lower = np.array([p.lower for p in spec.parameters])
    width = np.array([p.upper for p in spec.parameters]) - lower
    settings = spec.optimiser

    def values(u: np.ndarray) -> tuple[float, ...]:
        return tuple(float(v) for v in lower + np.clip(u, 0, 1) * width)

    start = evaluator(tuple(evaluator.targets.start), "start")
    done: list[Evaluation] = [start]

    def f(u: np.ndarray, phase: str = "search") -> float:
        key = evaluator.key(values(u))
        if key not in evaluator.cache and len(done) >= max_evaluations:
            raise _BudgetSpent
        evaluation = evaluator(key, phase)
        if evaluation not in done:
            done.append(evaluation)
        return evaluation.objective

    reason = "budget: --max-evaluations reached"
    try:
        for u in design_points(len(lower), settings.design_points_per_parameter, evaluator.seed):
            f(u, "design")
        best = min(done, key=lambda e: (e.objective, e.index))
        u0 = (np.array(best.values) - lower) / width
        simplex = [u0]
        for j in range(len(u0)):
            step = settings.initial_step_share
            simplex.append(u0 + (step if u0[j] + step <= 1 else -step) * np.eye(len(u0))[j])
        result = minimize(
            f,
            u0,
            method="Nelder-Mead",
            bounds=[(0.0, 1.0)] * len(u0),
            options={
                "initial_simplex": np.array(simplex),
                "xatol": settings.tolerance_share,
                "fatol": settings.objective_tolerance,
                "maxfev": 100 * max_evaluations,  # repeat visits are cached; the budget counts runs
            },
        )
        reason = f"converged: {result.message}" if result.success else f"stopped: {result.message}"
    except _BudgetSpent:
        pass
    best = min(done, key=lambda e: (e.objective, e.index))
    return Fit(start=start, best=best, stop_reason=reason, search_evaluations=len(done))


# ---------------------------------------------------------------------------------------------- sensitivity
def sensitivity(evaluator: Evaluator, best: Evaluation) -> tuple[pd.DataFrame, Identifiability]:
    """Finite differences at the fit, one parameter at a time, on the same seeds; the verdicts."""
    spec = evaluator.targets.spec
    share = spec.identifiability.step_share
    rows, columns, over_noise = [], [], []
    use = evaluator.fitted & (evaluator.weights > 0)
    standard_error = best.sds / math.sqrt(best.replications)
    for j, p in enumerate(spec.parameters):
        width = p.upper - p.lower
        step = share * width if best.values[j] + share * width <= p.upper else -share * width
        moved = tuple(v + step if k == j else v for k, v in enumerate(best.values))
        other = evaluator(moved, "sensitivity")
        per_range = (other.means - best.means) / np.abs(evaluator.published) / (step / width)
        relative_x = step / best.values[j] if best.values[j] != 0 else math.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            elasticity = ((other.means - best.means) / best.means) / relative_x
        columns.append(per_range)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = np.abs(other.means - best.means)[use] / standard_error[use]
        ratios = ratios[~np.isnan(ratios)]  # one replication: no noise estimate
        over_noise.append(float(ratios.max()) if len(ratios) else math.nan)
        for i, t in enumerate(spec.targets):
            rows.append(
                {
                    "indicator": t.indicator,
                    "date": t.date.isoformat(),
                    "fitted": bool(evaluator.fitted[i]),
                    "weight": t.weight,
                    "parameter": p.label,
                    "parameter_at_fit": best.values[j],
                    "parameter_stepped": moved[j],
                    "model_at_fit": best.means[i],
                    "model_stepped": other.means[i],
                    "change_per_range": per_range[i],
                    "elasticity": elasticity[i],
                    "noise_share": standard_error[i] / abs(t.published),
                }
            )
    matrix = np.column_stack(columns)
    verdict = assess(
        matrix[use],
        evaluator.weights[use],
        [p.label for p in spec.parameters],
        min_response=spec.identifiability.min_response,
        condition_limit=spec.identifiability.condition_limit,
        step_over_noise=np.array(over_noise),
        noise_multiple=spec.identifiability.noise_multiple,
    )
    return pd.DataFrame(rows), verdict


# ---------------------------------------------------------------------------------------------- outputs
def fit_table(evaluator: Evaluator, fit: Fit) -> pd.DataFrame:
    rows = []
    for i, t in enumerate(evaluator.targets.spec.targets):
        start, best = fit.start.means[i], fit.best.means[i]
        rows.append(
            {
                "indicator": t.indicator,
                "date": t.date.isoformat(),
                "period": t.period or "",
                "published": t.published,
                "model_start": start,
                "model_fit": best,
                "model_fit_sd": fit.best.sds[i],
                "relative_error_start": (start - t.published) / abs(t.published),
                "relative_error_fit": (best - t.published) / abs(t.published),
                "weight": t.weight,
                "fitted": bool(evaluator.fitted[i]),
                "source": t.source,
            }
        )
    return pd.DataFrame(rows)


def evaluations_table(evaluator: Evaluator) -> pd.DataFrame:
    labels = [p.label for p in evaluator.targets.spec.parameters]
    rows = [
        {"evaluation": e.index, "phase": e.phase, **dict(zip(labels, e.values, strict=True)), "objective": e.objective}
        for e in evaluator.evaluations
    ]
    return pd.DataFrame(rows, columns=["evaluation", "phase", *labels, "objective"])


def evaluation_targets_table(evaluator: Evaluator) -> pd.DataFrame:
    """Every target's model value at every evaluation, the out-of-sample checks included: how far the checks move
    between runs that fit the fitted targets almost as well as the best, which the fit alone cannot tell apart."""
    targets = evaluator.targets.spec.targets
    rows = [
        {
            "evaluation": e.index,
            "phase": e.phase,
            "objective": e.objective,
            "indicator": t.indicator,
            "date": t.date.isoformat(),
            "published": t.published,
            "model": e.means[i],
            "model_sd": e.sds[i],
            "fitted": bool(evaluator.fitted[i]),
        }
        for e in evaluator.evaluations
        for i, t in enumerate(targets)
    ]
    columns = ["evaluation", "phase", "objective", "indicator", "date", "published", "model", "model_sd", "fitted"]
    return pd.DataFrame(rows, columns=columns)


def parameters_table(targets: Targets, fit: Fit, verdict: Identifiability) -> pd.DataFrame:
    rows = []
    for j, p in enumerate(targets.spec.parameters):
        rows.append(
            {
                "parameter": p.label,
                "key": ", ".join(p.keys) + (f" (balance: {', '.join(p.balance)})" if p.balance else ""),
                "change": p.change,
                "lower": p.lower,
                "upper": p.upper,
                "start": fit.start.values[j],
                "fitted": fit.best.values[j],
                "response": verdict.response[j],
                "step_over_noise": verdict.step_over_noise[j],
                "identified": verdict.identified[p.label],
                "verdict": verdict.verdicts[p.label],
            }
        )
    return pd.DataFrame(rows)


@dataclass
class CalibrationResult:
    out: Path
    fit: Fit
    identifiability: Identifiability
    fitted_scenario: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


@writes_into("out")
def calibrate_model(
    loaded: LoadedScenario,
    targets: Targets,
    out: Path,
    *,
    replications: int,
    seed: int | None = None,
    executor: Any = None,
    max_evaluations: int,
    keep_runs: bool = False,
    argv: list[str] | None = None,
    log: Callable[[str], None] | None = None,
    model: str | None = None,
) -> CalibrationResult:
    """Fit, assess identifiability and write the outputs into ``out`` (which must exist and be empty); every run
    on one ``model`` (chosen for the scenario if None)."""
    out = Path(out)
    model = study_model(model, loaded, log)
    root_seed = loaded.scenario.seed if seed is None else int(seed)
    about = {
        "kind": "calibrate_model",
        "targets": {
            "path": targets.path,
            "files": [{"path": f, "sha256": sha256_file(f)} for f in targets.source.files],
            "resolved": targets.spec.model_dump(mode="json"),
        },
        "options": {
            "replications": replications,
            "max_evaluations": max_evaluations,
            "seed": root_seed,
            "model": model,
        },
        "method": "Nelder-Mead (scipy.optimize.minimize) on the unit cube of the bounds; common random numbers; "
        "objective: weighted sum of squared relative errors over the fitted targets",
    }

    manifest = study_manifest(
        loaded, root_seed=root_seed, replications={"per_evaluation": replications}, about=about, argv=argv
    )

    write_manifest(out / "manifest.json", manifest("running", {}))
    evaluator = Evaluator(
        loaded,
        targets,
        out,
        replications=replications,
        seed=root_seed,
        executor=executor,
        log=log,
        keep_runs=keep_runs,
        model=model,
    )
    fit = search(evaluator, max_evaluations)
    table, verdict = sensitivity(evaluator, fit.best)
    tables = {
        "fit.csv": fit_table(evaluator, fit),
        "evaluations.csv": evaluations_table(evaluator),
        "evaluation_targets.csv": evaluation_targets_table(evaluator),
        "identifiability.csv": table,
        "parameters.csv": parameters_table(targets, fit, verdict),
    }
    settings = targets.spec.plausibility
    plausible = plausibility_table(
        tables["evaluation_targets.csv"], replications, settings.discrepancy_share, settings.cutoff
    )
    tables["plausibility.csv"] = plausible
    tables["check_ranges.csv"] = check_ranges(tables["evaluation_targets.csv"], plausible, fit.best.index)
    for name, frame in tables.items():
        write_csv(out / name, frame)
    fitted = write_fitted_scenario(loaded, targets, fit.best.values, out)
    summary = {
        "fit": {
            "stop_reason": fit.stop_reason,
            "search_evaluations": fit.search_evaluations,
            "objective_start": fit.start.objective,
            "objective_fit": fit.best.objective,
            "values": {p.label: v for p, v in zip(targets.spec.parameters, fit.best.values, strict=True)},
            "fitted_scenario": str(fitted),
        },
        "identifiability": {
            "singular_values": verdict.singular_values.tolist(),
            "condition_number": verdict.condition_number,
            "weakest_direction": verdict.weakest_direction,
            "verdicts": verdict.verdicts,
        },
        "plausibility": {
            **settings.model_dump(),
            "runs": len(plausible),
            "runs_not_ruled_out": int((~plausible["ruled_out"]).sum()),
        },
    }
    write_manifest(out / "manifest.json", manifest("complete", summary))
    return CalibrationResult(out=out, fit=fit, identifiability=verdict, fitted_scenario=fitted, tables=tables)
