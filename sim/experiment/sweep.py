"""Parameter sweeps: run a scenario at several values of one or more keys.

``python run_sim.py sweep SCENARIO --set key.path=v1,v2,v3 [--set other.key=...] [--method METHOD]``

Each ``--set`` names a key of the scenario by its dotted path (as in a policy's ``set``) and the values to try,
separated by commas; each value is read as YAML (``12``, ``0.5``, ``true``, ``2024-06-01``). The methods:

* ``factorial`` (the default) runs every combination;
* ``oat`` (or ``--one-at-a-time``) runs the scenario as it is plus each value of each key with the other keys
  left as they are;
* ``morris`` and ``sobol`` read each key's two values as the low and high ends of a range, and run the settings
  SALib draws in those ranges (:mod:`sim.experiment.sensitivity`): Morris screening or Sobol indices.

Every setting is validated before anything runs, and every setting runs on the same seeds (common random
numbers). Outputs in ``DIR``:

* ``settings/setting-000/`` ...: a run directory per setting (per-replication results, summary, manifest);
* ``sweep.csv``: one row per setting, replication and indicator (tidy), with a column per swept key;
* ``sweep_summary.csv``: one row per setting and indicator with the mean and 95% CI across replications;
* ``tornado.png`` (factorial, oat): how far each key moves the headline indicator over its range of values
  (drawn by :func:`sim.outputs.experiment_figures.write_sweep_figure`, which the command calls after the sweep);
* ``sensitivity.csv`` (morris, sobol): each key's Morris measures or Sobol indices for every child's mean time
  to disposal (the tornado's indicator) and each headline indicator (one per case type), and
  ``sensitivity.png`` (:func:`sim.outputs.sensitivity_figure.write_sensitivity_figure`);
* ``manifest.json``: the base scenario, the keys and values, and the settings.
"""

from __future__ import annotations

import copy
import itertools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.analysis.indicators import ALL, HEADLINE
from sim.analysis.statistics import summarise
from sim.experiment.manifest import build_manifest, now_iso, write_manifest
from sim.experiment.owned_files import writes_into
from sim.experiment.replication_parts import study_model
from sim.experiment.replications import RunResult, run_experiment, write_csv
from sim.experiment.results_folder import prepare_directory
from sim.experiment.sensitivity import DEFAULT_SAMPLES, MORRIS_LEVELS, SAMPLED_METHODS, sample, sensitivity_table
from sim.scenario.loading import LoadedScenario, scenario_from_dict, set_path
from sim.scenario.yaml_file import Problem, ScenarioError

TORNADO_INDICATOR = ("time_to_disposal_weeks_mean", ALL, ALL)
"""Every child's mean time to disposal (HEADLINE is now per case type: issue 12 leaves the tornado's choice to it)."""
METHODS = ("factorial", "oat", *SAMPLED_METHODS)


class SweepError(ValueError):
    """A --set option that cannot be used (bad syntax, a key that does not exist): a user error."""


@dataclass(frozen=True)
class Setting:
    index: int
    values: dict[str, Any]  # key path -> value; keys left at the scenario's value are absent

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.values.items()) or "as in the scenario"


def parse_set(text: str) -> tuple[str, list[Any]]:
    """``"a.b=1,2,3"`` -> ``("a.b", [1, 2, 3])``."""
    key, sep, values = text.partition("=")
    key = key.strip()
    if not sep or not key or not values.strip():
        raise SweepError(
            f"--set {text!r}: expected key.path=value1,value2,... (e.g. cafcass.long_term_caseload_limit=18,20)"
        )
    parsed = []
    for raw in values.split(","):
        try:
            parsed.append(yaml.safe_load(raw.strip()))
        except yaml.YAMLError as exc:
            raise SweepError(f"--set {key}: cannot read the value {raw!r}: {exc}") from None
    if len(set(map(repr, parsed))) != len(parsed):
        raise SweepError(f"--set {key}: a value is repeated")
    return key, parsed


def design(factors: dict[str, list[Any]], one_at_a_time: bool) -> list[Setting]:
    """The settings to run: the full factorial, or the scenario as it is plus one key changed at a time."""
    if one_at_a_time:
        settings = [Setting(0, {})]
        for key, values in factors.items():
            for value in values:
                settings.append(Setting(len(settings), {key: value}))
        return settings
    keys = list(factors)
    return [
        Setting(i, dict(zip(keys, combo, strict=True))) for i, combo in enumerate(itertools.product(*factors.values()))
    ]


def sampled_bounds(factors: dict[str, list[Any]], method: str) -> dict[str, tuple[float, float]]:
    """Each key's (low, high) range for a sampled method: exactly two numbers, low first."""
    bounds = {}
    for key, values in factors.items():
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if len(values) != 2 or len(numbers) != 2 or not numbers[0] < numbers[1]:
            raise SweepError(
                f"--set {key}: --method {method} takes a range, the low and the high value (e.g. {key}=0.4,0.6); "
                f"got {', '.join(map(str, values))}"
            )
        bounds[key] = (float(numbers[0]), float(numbers[1]))
    return bounds


def plan(
    base: LoadedScenario,
    factors: dict[str, list[Any]],
    method: str,
    samples: int | None = None,
    seed: int | None = None,
) -> tuple[list[Setting], dict[str, tuple[float, float]] | None]:
    """The settings of a method, and for a sampled one the ranges and the draws (rows of Setting.values).

    A key whose value in the scenario is a whole number keeps whole numbers (a Morris grid must then have
    distinct levels). The draws are seeded by ``seed`` (default: the scenario's), so a sweep can be repeated.
    """
    if method not in METHODS:
        raise SweepError(f"--method {method}: choose one of {', '.join(METHODS)}")
    if method not in SAMPLED_METHODS:
        return design(factors, method == "oat"), None
    bounds = sampled_bounds(factors, method)
    n = DEFAULT_SAMPLES[method] if samples is None else samples
    if n < 2 or (method == "sobol" and n & (n - 1)):
        what = "a power of 2, at least 2" if method == "sobol" else "at least 2"
        raise SweepError(f"--samples {n}: {method} needs {what}")
    whole = {k for k in factors if _is_whole(_value_at(base, k))}
    for key in whole:
        low, high = bounds[key]
        if method == "morris" and high - low < MORRIS_LEVELS - 1:
            raise SweepError(
                f"--set {key}: a whole-number key needs a range of at least {MORRIS_LEVELS - 1} for the "
                f"{MORRIS_LEVELS} Morris levels to differ"
            )
    draws = sample(method, bounds, n, base.scenario.seed if seed is None else seed)
    settings = [
        Setting(i, {k: round(float(v)) if k in whole else float(v) for k, v in zip(bounds, row, strict=True)})
        for i, row in enumerate(draws)
    ]
    return settings, bounds


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _exists(data: dict, dotted: str) -> bool:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def build_settings(base: LoadedScenario, settings: list[Setting]) -> list[LoadedScenario]:
    """Apply each setting to the scenario's data and validate it; report the problems of every setting at once."""
    resolved = base.scenario.model_dump(mode="json", by_alias=True)
    problems: list[Problem] = []
    loaded: list[LoadedScenario] = []
    for key in {k for s in settings for k in s.values}:
        if not _exists(resolved, key):
            problems.append(Problem("--set", None, key, "is not a key of the scenario"))
    if problems:
        raise ScenarioError(problems)
    for setting in settings:
        data = copy.deepcopy(base.source.data)
        for key, value in setting.values.items():
            if not _exists(data, key):  # a key left at its default in the file: start from the resolved block
                parent = key.rsplit(".", 1)[0] if "." in key else ""
                _fill(data, resolved, parent)
            problem = set_path(data, key, value, scale=False)
            if problem:
                problems.append(Problem("--set", None, key, problem))
        name = f"{base.path} [setting {setting.index}: {setting.label}]"
        try:
            loaded.append(scenario_from_dict(data, name=name))
        except ScenarioError as exc:
            problems += [Problem(name, None, p.key_path, p.message) for p in exc.problems]
    if problems:
        raise ScenarioError(problems)
    return loaded


def _fill(data: dict, resolved: dict, dotted: str) -> None:
    """Copy the resolved values along ``dotted`` into data where the file left them to defaults."""
    node, source = data, resolved
    for part in [p for p in dotted.split(".") if p]:
        if part not in node:
            node[part] = copy.deepcopy(source[part])
        node, source = node[part], source[part]


@writes_into("out")
def sweep(
    base: LoadedScenario,
    factors: dict[str, list[Any]],
    out: Path,
    *,
    method: str = "factorial",
    samples: int | None = None,
    replications: int,
    seed: int | None = None,
    executor: Any = None,
    show_progress: bool = False,
    argv: list[str] | None = None,
    log: Any = None,
    model: str | None = None,
) -> tuple[pd.DataFrame, dict[int, RunResult]]:
    started_iso, started = now_iso(), time.perf_counter()
    root_seed = base.scenario.seed if seed is None else seed
    settings, bounds = plan(base, factors, method, samples, root_seed)
    scenarios = build_settings(base, settings)  # everything validated before anything runs
    model = study_model(model, scenarios, log)  # one model for every setting
    runs: dict[int, RunResult] = {}
    frames = []
    for setting, scenario in zip(settings, scenarios, strict=True):
        sub = out / "settings" / f"setting-{setting.index:03d}"
        prepare_directory(sub, force=False)
        if log:
            log(f"setting {setting.index + 1} of {len(settings)}: {setting.label}")
        run = run_experiment(
            scenario,
            sub,
            replications=replications,
            seed=root_seed,
            executor=executor,
            show_progress=show_progress,
            argv=argv,
            log=log,
            extra_manifest={"sweep": {"directory": str(out), "setting": setting.index, "values": setting.values}},
            model=model,
        )
        runs[setting.index] = run
        frame = run.indicators.copy()
        frame.insert(0, "setting", setting.index)
        for k, key in enumerate(factors):
            frame.insert(1 + k, key, _cell(setting.values.get(key, _value_at(base, key))))
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    write_csv(out / "sweep.csv", table)
    summary = summarise_settings(table, list(factors))
    write_csv(out / "sweep_summary.csv", summary)
    if bounds is not None:
        x = pd.DataFrame([s.values for s in settings])[list(bounds)].to_numpy(dtype=float)
        sensitivity = sensitivity_table(method, bounds, x, table, [TORNADO_INDICATOR, *HEADLINE], root_seed)
        write_csv(out / "sensitivity.csv", sensitivity)
    manifest = build_manifest(
        base,
        root_seed=root_seed,
        replications={s.index: runs[s.index].replications_used for s in settings},
        started=started_iso,
        ended=now_iso(),
        wall_seconds=time.perf_counter() - started,
        status="failed" if any(r.failures for r in runs.values()) else "complete",
        argv=argv,
        extra={
            "kind": "sweep",
            "design": {"factorial": "full_factorial", "oat": "one_at_a_time"}.get(method, method),
            "factors": factors,
            **({"ranges": bounds, "settings_drawn": len(settings)} if bounds else {}),
            "settings": [{"setting": s.index, "values": s.values} for s in settings],
        },
    )
    write_manifest(out / "manifest.json", manifest)
    return table, runs


def _value_at(base: LoadedScenario, dotted: str) -> Any:
    node: Any = base.scenario.model_dump(mode="json", by_alias=True)
    for part in dotted.split("."):
        node = node[part]
    return node


def _cell(value: Any) -> Any:
    return value if isinstance(value, int | float | str | bool) or value is None else str(value)


def summarise_settings(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    parts = []
    for setting, frame in table.groupby("setting", sort=True):
        summary = summarise(frame)
        summary.insert(0, "setting", setting)
        for k, key in enumerate(keys):
            summary.insert(1 + k, key, frame[key].iloc[0])
        parts.append(summary)
    return pd.concat(parts, ignore_index=True)


def tornado_bars(
    summary: pd.DataFrame, factors: dict[str, list[Any]], settings: list[Setting], one_at_a_time: bool
) -> tuple[float, list[tuple[str, float, float]]]:
    """(reference value, [(key, low, high)]) of the tornado indicator, widest range first.

    One at a time: the reference is the scenario as it is and each key's bar spans its settings. Factorial:
    the reference is the mean over all settings and each bar spans the key's main effects (the mean over the
    settings at each of its values).
    """
    indicator, breakdown, group = TORNADO_INDICATOR
    rows = summary[(summary.indicator == indicator) & (summary.breakdown == breakdown) & (summary.group == group)]
    mean_of = dict(zip(rows["setting"], rows["mean"], strict=True))
    bars = []
    if one_at_a_time:
        reference = mean_of.get(0, float("nan"))
        for key in factors:
            values = [mean_of[s.index] for s in settings if key in s.values and s.index in mean_of]
            if values:
                bars.append((key, min(values + [reference]), max(values + [reference])))
    else:
        reference = float(pd.Series(list(mean_of.values())).mean())
        for key, levels in factors.items():
            effects = []
            for level in levels:
                at = [mean_of[s.index] for s in settings if s.values[key] == level and s.index in mean_of]
                if at:
                    effects.append(sum(at) / len(at))
            if effects:
                bars.append((key, min(effects), max(effects)))
    bars.sort(key=lambda bar: bar[2] - bar[1], reverse=True)
    return reference, bars
