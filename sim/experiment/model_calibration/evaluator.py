"""One evaluation of a calibration: the scenario run at a parameter vector on common random numbers, measured
at the targets' dates, and scored; cached by parameter vector.

Every evaluation runs the same root seed and replications (common random numbers), so two evaluations differ only
because the parameters differ. The objective is the weighted sum of squared relative errors over the fitted
targets, ``sum w_i ((model_i - published_i) / published_i)^2``, ``model_i`` the mean over replications; it is
infinite when the model gives no value for a fitted target. Each evaluation's run folder keeps its manifest, its
indicators and the measured values (``measured.csv``); the per-replication tables are removed once measured,
unless ``keep_runs``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment.model_calibration.measures import MEASURES, POINT_COLUMNS
from sim.experiment.model_calibration.parameter_values import scenario_at
from sim.experiment.model_calibration.targets import Targets
from sim.experiment.replication_parts import study_model
from sim.experiment.replications import run_experiment, write_csv
from sim.experiment.results_folder import REPLICATIONS_DIR, clear_replication, replication_dir
from sim.scenario.loading import LoadedScenario
from sim.scenario.yaml_file import suggest

EVALUATIONS_DIR = "evaluations"
VALUE_DIGITS = 12
"""Parameter vectors equal to this many significant digits are the same evaluation (the cache key)."""


class CalibrationModelError(ValueError):
    """The calibration cannot go on as asked (a target the measure does not give, a failed replication)."""


@dataclass(frozen=True)
class Evaluation:
    index: int
    phase: str  # start, search, sensitivity
    values: tuple[float, ...]
    objective: float
    means: np.ndarray  # per target, in the file's order: mean over replications
    sds: np.ndarray  # per target: standard deviation over replications
    replications: int
    wall_seconds: float


def objective_value(means: np.ndarray, published: np.ndarray, weights: np.ndarray, fitted: np.ndarray) -> float:
    """Weighted sum of squared relative errors over the fitted targets; infinite if one has no model value."""
    use = fitted & (weights > 0)
    relative = (means[use] - published[use]) / np.abs(published[use])
    if np.isnan(relative).any():
        return math.inf
    return float(np.sum(weights[use] * relative**2))


class Evaluator:
    """Runs the scenario at parameter vectors on common random numbers, measures it, caches the result."""

    def __init__(
        self,
        loaded: LoadedScenario,
        targets: Targets,
        out: Path,
        *,
        replications: int,
        seed: int,
        executor: Any = None,
        log: Callable[[str], None] | None = None,
        keep_runs: bool = False,
        model: str | None = None,
    ) -> None:
        self.loaded, self.targets, self.out = loaded, targets, Path(out)
        self.replications, self.seed, self.executor, self.keep_runs = replications, seed, executor, keep_runs
        self.say = log or (lambda message: None)
        self.model = study_model(model, loaded, log)
        """Every run's model, chosen once for the base (the variants change values, not dated policies)."""
        spec = targets.spec
        self.measure = MEASURES[spec.measure]
        self.points = pd.DataFrame([(t.indicator, t.date, t.period) for t in spec.targets], columns=POINT_COLUMNS)
        self.published = np.array([t.published for t in spec.targets])
        self.weights = np.array([t.weight for t in spec.targets])
        self.fitted = np.array(targets.fitted)
        self.cache: dict[tuple[float, ...], Evaluation] = {}
        self.evaluations: list[Evaluation] = []

    @staticmethod
    def key(values: tuple[float, ...]) -> tuple[float, ...]:
        return tuple(float(f"{v:.{VALUE_DIGITS}g}") for v in values)

    def __call__(self, values: tuple[float, ...], phase: str) -> Evaluation:
        key = self.key(values)
        if key in self.cache:
            return self.cache[key]
        started = time.perf_counter()
        index = len(self.evaluations)
        parameters = self.targets.spec.parameters
        scenario = scenario_at(self.loaded, parameters, key)
        run_dir = self.out / EVALUATIONS_DIR / f"eval-{index:04d}"
        run_dir.mkdir(parents=True, exist_ok=False)
        run = run_experiment(
            scenario,
            run_dir,
            replications=self.replications,
            seed=self.seed,
            executor=self.executor,
            extra_manifest={
                "calibration": {
                    "evaluation": index,
                    "phase": phase,
                    "values": dict(zip([p.label for p in parameters], key, strict=True)),
                }
            },
            model=self.model,
        )
        if run.failures:
            first = run.failures[0]
            raise CalibrationModelError(
                f"evaluation {index} ({scenario.path}): replication {first.replication} failed: {first.error}"
            )
        measured = self.measure(run_dir, scenario, self.points)
        write_csv(run_dir / "measured.csv", measured)
        means, sds = self._match(measured, strict=not self.evaluations)
        if not self.keep_runs:
            for r in run.results:  # only the files the replications wrote
                clear_replication(replication_dir(run_dir, r))
            with suppress(OSError):
                (run_dir / REPLICATIONS_DIR).rmdir()
        evaluation = Evaluation(
            index=index,
            phase=phase,
            values=key,
            objective=objective_value(means, self.published, self.weights, self.fitted),
            means=means,
            sds=sds,
            replications=self.replications,
            wall_seconds=time.perf_counter() - started,
        )
        self.cache[key] = evaluation
        self.evaluations.append(evaluation)
        label = ", ".join(f"{p.label}={v:.4g}" for p, v in zip(parameters, key, strict=True))
        self.say(f"evaluation {index} ({phase}): {label}: objective {evaluation.objective:.4g}")
        return evaluation

    def _match(self, measured: pd.DataFrame, strict: bool) -> tuple[np.ndarray, np.ndarray]:
        """Mean and sd over replications of each target's (indicator, date); the first evaluation must have all."""
        frame = measured.assign(date=pd.to_datetime(measured["date"]).dt.date)
        stats = frame.groupby(["indicator", "date"])["model"].agg(["mean", "std"])
        means, sds = [], []
        for i, t in enumerate(self.targets.spec.targets):
            if (t.indicator, t.date) in stats.index:
                row = stats.loc[(t.indicator, t.date)]
                means.append(float(row["mean"]))
                sds.append(float(row["std"]))
                continue
            if strict:
                raise CalibrationModelError(self._missing(i, frame))
            means.append(math.nan)
            sds.append(math.nan)
        return np.array(means), np.array(sds)

    def _missing(self, i: int, frame: pd.DataFrame) -> str:
        t = self.targets.spec.targets[i]
        file, line = self.targets.source.locate(("targets", i, "indicator"))
        where = f"{file}:{line}: targets[{i}]"
        same = frame[frame["indicator"] == t.indicator]
        if len(same):
            dates = ", ".join(sorted({str(d) for d in same["date"]}))
            return f"{where}: the measure '{self.targets.spec.measure}' reads {t.indicator} at {dates}, not {t.date}"
        close = suggest(t.indicator, set(frame["indicator"]))
        hint = f"; did you mean '{close}'?" if close else ""
        return f"{where}: the measure '{self.targets.spec.measure}' gives no indicator '{t.indicator}'{hint}"
