"""The fitted scenario a calibration writes: ``fitted.yaml``, which extends the input scenario and sets every key the
fitted parameters change, checked to load to the very scenario the fit ran."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from sim.experiment.manifest import scenario_hash
from sim.experiment.model_calibration.evaluator import CalibrationModelError
from sim.experiment.model_calibration.parameter_values import apply_values, concrete_keys, resolved_data, scenario_at
from sim.experiment.model_calibration.targets import Targets
from sim.experiment.owned_files import write_atomically
from sim.scenario.loading import LoadedScenario, load_scenario
from sim.scenario.schema import Name
from sim.scenario.yaml_file import ScenarioError

FITTED_SCENARIO = "fitted.yaml"
FITTED_SUFFIX = "_fitted"


def fitted_name(loaded: LoadedScenario) -> str:
    """``NAME_fitted``, so the fitted scenario's results are told apart from the input's (the input's name when
    that would be too long for a name)."""
    try:
        return TypeAdapter(Name).validate_python(f"{loaded.scenario.name}{FITTED_SUFFIX}")
    except ValidationError:
        return loaded.scenario.name


def fitted_scenario_text(loaded: LoadedScenario, targets: Targets, values: tuple[float, ...], out: Path) -> str:
    """YAML that extends the input scenario and sets every key the fitted parameters change."""
    parameters = targets.spec.parameters
    data = apply_values(resolved_data(loaded), parameters, values)
    changes: dict[str, Any] = {}
    for p in parameters:
        for path in (path for key in p.changed_keys for path in concrete_keys(data, key)):
            parent: Any = data
            for key in path[:-1]:
                parent = parent[key]
            if isinstance(parent, dict) and "dist" in parent:  # a distribution is written whole, with its family
                path = path[:-1]
            lists = [i for i, key in enumerate(path) if isinstance(key, int)]
            if lists:  # an item of a list (history.rows.0.days_sat): extends replaces lists, so write it whole
                path = path[: lists[0]]
            node, value = changes, data
            for key in path[:-1]:
                node = node.setdefault(key, {})
                value = value[key]
            node[path[-1]] = value[path[-1]]
    try:
        base = os.path.relpath(Path(loaded.path).resolve(), Path(out).resolve())
    except ValueError:  # another drive (Windows)
        base = str(Path(loaded.path).resolve())
    fitted = ", ".join(f"{p.label} = {v:.6g}" for p, v in zip(parameters, values, strict=True))
    header = (
        f"# Fitted by calibrate model to {targets.path} on {dt.date.today()}: {fitted}.\n"
        "# See fit.csv and identifiability.csv next to this file before using it.\n"
    )
    name = fitted_name(loaded)
    body = yaml.safe_dump({"extends": base, "name": name, **changes}, sort_keys=False, default_flow_style=False)
    return header + body


def write_fitted_scenario(loaded: LoadedScenario, targets: Targets, values: tuple[float, ...], out: Path) -> Path:
    """Write ``fitted.yaml`` and check it loads to the very scenario the fit ran.

    It extends the input scenario, so an input edited while the fit ran makes it another scenario: then it is
    removed and the error names the input (whose resolved sha256 no longer matches, as ``run --resume`` checks);
    any other difference is a bug.
    """
    path = Path(out) / FITTED_SCENARIO
    text = fitted_scenario_text(loaded, targets, values, out)
    write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    written = load_scenario(path, roots=[Path(loaded.path).resolve().parent]).scenario  # it extends the input
    expected = scenario_at(loaded, targets.spec.parameters, values).scenario.model_copy(
        update={"name": fitted_name(loaded)}
    )
    if written != expected:
        if _changed_since_loaded(loaded):
            path.unlink()
            raise CalibrationModelError(
                f"{loaded.path} changed while the fit ran (it, or a file it extends), so {path}, which would extend "
                "it, was not kept. The tables (fit.csv, parameters.csv, identifiability.csv) are written; restore "
                "the file and run calibrate model again"
            )
        raise RuntimeError(f"{path} does not reproduce the fitted scenario (a bug: please report it)")
    return path


def _changed_since_loaded(loaded: LoadedScenario) -> bool:
    """Whether the scenario's files now give another scenario (or none) than the one loaded."""
    try:
        again = load_scenario(loaded.path, roots=loaded.roots)
    except ScenarioError:
        return True
    return scenario_hash(again) != scenario_hash(loaded)
