"""Resuming a run: what its manifest says about how it was started, and that its scenario is still the same.

``run --resume DIR`` reads ``DIR/manifest.json`` (:func:`resume_options`); a manifest that is not JSON, lacks a
key or holds a value of the wrong kind (edited by hand) is a RunDirectoryError naming it. The scenario is found by
the absolute path the manifest keeps, so a run resumes from any working directory; if that file has gone, or it
(or a file it extends) now resolves to a different scenario, the run cannot reuse its finished replications and
the error says which.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from sim.experiment.manifest import MANIFEST_NAME, read_manifest, scenario_hash
from sim.experiment.results_folder import RunDirectoryError
from sim.scenario.loading import LoadedScenario
from sim.vocabulary import EVENT_MODEL, MODELS


def resume_options(out: Path) -> dict[str, Any]:
    """What a run directory's manifest says about how the run was started (for ``run --resume``).

    The scenario is found by the absolute path the manifest keeps (so a run resumes from any working
    directory); a manifest that is not JSON, lacks a key or holds a value of the wrong kind is a
    RunDirectoryError naming it.
    """
    path = Path(out) / MANIFEST_NAME
    if not Path(out).is_dir():
        raise RunDirectoryError(f"{out} is not a directory, so it is not a run that can be resumed")
    if not path.exists():
        raise RunDirectoryError(f"{out} has no {MANIFEST_NAME}, so it is not a run that can be resumed")
    try:
        data = read_manifest(path)
        if not isinstance(data, dict):
            raise ValueError(f"it holds a JSON {type(data).__name__}, not an object")
        scenario, run = data["scenario"], data["run_options"]
        found = {
            "scenario_path": scenario.get("absolute_path", scenario["path"]),
            "scenario_sha256": scenario["resolved_sha256"],
            "scenario_roots": scenario.get("roots", []),
            "scenario_resolved": scenario.get("resolved"),
            **run,
        }
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        what = f"it has no {exc}" if isinstance(exc, KeyError) else str(exc)
        raise RunDirectoryError(f"{path} cannot be read as a run manifest ({what}); it cannot be resumed") from None
    checks = {
        "scenario.path": isinstance(found["scenario_path"], str) and found["scenario_path"] != "",
        "scenario.resolved_sha256": isinstance(found["scenario_sha256"], str),
        "scenario.roots": isinstance(found["scenario_roots"], list)
        and all(isinstance(root, str) for root in found["scenario_roots"]),
        "run_options.replications": _whole(found.get("replications"), 1),
        "run_options.seed": _whole(found.get("seed"), 0) and found["seed"] < 2**63,
        "run_options.precision_percent": found.get("precision_percent") is None
        or (_number(found["precision_percent"]) and 0 < found["precision_percent"] < 100),
        "run_options.max_replications": found.get("max_replications") is None or _whole(found["max_replications"], 1),
        "run_options.model": found.get("model", EVENT_MODEL) in MODELS,  # runs before the agenda: event by event
    }
    wrong = [key for key, ok in checks.items() if not ok]
    if wrong:
        raise RunDirectoryError(
            f"{path} cannot be read as a run manifest: {', '.join(wrong)} "
            f"{'is' if len(wrong) == 1 else 'are'} missing or not valid (was it edited by hand?); it cannot be resumed"
        )
    found.setdefault("model", EVENT_MODEL)
    return found


def _whole(value: Any, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_scenario_file(path: str, out: Path) -> None:
    """The scenario a run is resumed from is still where the manifest says."""
    if not Path(path).is_file():
        raise RunDirectoryError(
            f"the run in {out} was started from the scenario {path}, which is no longer there (moved or deleted); "
            "put it back to resume the run, or start a new run"
        )


def check_same_scenario(loaded: LoadedScenario, expected_sha256: str) -> None:
    if scenario_hash(loaded) != expected_sha256:
        raise RunDirectoryError(
            f"the scenario {loaded.path} (or a file it extends) has changed since the run started (its resolved "
            "sha256 differs from the manifest's), so the finished replications cannot be reused; put it back as it "
            "was, or start a new run"
        )
