"""The run manifest: everything needed to reproduce a run, and to check that a result came from it.

``manifest.json`` records the scenario (its files with their sha256, the fully resolved scenario and its
hash), policies with their simulation days, the starting state, the root seed and the random stream scheme,
replications with what each did, package versions, the code version (git commit and whether the working
tree had uncommitted changes), the machine, timing and the command line, and (``outputs``) every file the tool
wrote in the folder, which is what ``--force`` deletes (:mod:`sim.experiment.owned_files`). It is written
atomically, first when a run starts (``status: running``) and again when it ends (``complete``; ``failed``, with
the ``error``, when the command stops on an error), so ``run --resume`` can read it, from any working directory:
the scenario's absolute path is kept with its hash.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from sim.experiment import results_folder
from sim.experiment.owned_files import MANIFEST_NAME, claim, now_iso, outputs_for_manifest, write_json_atomically
from sim.model.build import model_build
from sim.model.random_streams import STREAM_SCHEME
from sim.scenario.loading import LoadedScenario
from sim.vocabulary import EVENT_MODEL

__all__ = ["MANIFEST_NAME", "now_iso"]
PACKAGES = {
    "simpy": "simpy",
    "numpy": "numpy",
    "scipy": "scipy",
    "pandas": "pandas",
    "pyarrow": "pyarrow",
    "pydantic": "pydantic",
    "pyyaml": "PyYAML",
}


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str | None:
    try:
        return sha256_bytes(Path(path).read_bytes())
    except OSError:
        return None


def resolved_scenario(loaded: LoadedScenario) -> dict[str, Any]:
    """The scenario as validated, every default filled in (what the model actually ran)."""
    return loaded.scenario.model_dump(mode="json", by_alias=True)


def scenario_hash(loaded: LoadedScenario) -> str:
    """sha256 of the resolved scenario in canonical JSON: equal hashes mean the same model input."""
    text = json.dumps(resolved_scenario(loaded), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return sha256_bytes(text.encode("utf-8"))


EMPTY_DEFAULTS = (None, 0, 0.0, False, {}, [])
"""The values a key added to the schema takes by default when its default changes nothing (a share of 0, no index)."""


def same_model_input(loaded: LoadedScenario, recorded_hash: str, recorded: dict[str, Any] | None) -> bool:
    """Whether the scenario resolves to the one a run recorded: the same hash, or the same values with only keys
    added to the schema since the run, each at an empty default (:data:`EMPTY_DEFAULTS`), which by design
    changes nothing. A key the run had and the scenario lacks, or any other difference, is a different input."""
    if scenario_hash(loaded) == recorded_hash:
        return True
    return recorded is not None and _only_empty_additions(resolved_scenario(loaded), recorded)


def _only_empty_additions(now: Any, then: Any) -> bool:
    if isinstance(now, dict) and isinstance(then, dict):
        if set(then) - set(now):
            return False
        return all(_only_empty_additions(v, then[k]) if k in then else v in EMPTY_DEFAULTS for k, v in now.items())
    if isinstance(now, list) and isinstance(then, list):
        return len(now) == len(then) and all(_only_empty_additions(a, b) for a, b in zip(now, then, strict=True))
    return now == then


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for key, dist in PACKAGES.items():
        try:
            versions[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[key] = None
    return versions


def git_state(directory: Path | None = None) -> dict[str, Any]:
    """The commit of the code and whether the tree has uncommitted changes; nulls outside a git checkout.

    Read once per process and folder: a process runs the code it imported when it started, so a commit made while
    a long study runs (a plan takes an hour) is not the study's, and its final manifest must not record it."""
    return dict(_git_state_at(directory or Path(__file__).resolve().parents[2]))


@functools.cache
def _git_state_at(where: Path) -> tuple[tuple[str, Any], ...]:
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=where, capture_output=True, text=True, timeout=10, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return (("commit", None), ("dirty", None))
    status = git("status", "--porcelain", "--untracked-files=no")
    return (("commit", commit), ("dirty", None if status is None else bool(status)))


def machine() -> dict[str, Any]:
    return {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }


def scenario_section(loaded: LoadedScenario) -> dict[str, Any]:
    scenario = loaded.scenario
    start = scenario.starting_state
    if start.open_cases:
        kind = "open_caseload"
    elif start.warm_up_days > 0:
        kind = "warm_up"
    else:
        kind = "empty"
    policies = []
    for policy in sorted(scenario.policies, key=lambda p: p.date):
        policies.append(
            {
                "name": policy.name,
                "date": policy.date.isoformat(),
                "simulation_day": max(0.0, scenario.day_of(policy.date)),
                "set": policy.set,
                "scale": policy.scale,
            }
        )
    return {
        "scenario": {
            "name": scenario.name,
            "path": loaded.path,
            "absolute_path": os.path.abspath(loaded.path),
            "roots": list(loaded.roots),  # the folders extends could read, for --resume from anywhere
            "files": [{"path": f, "sha256": sha256_file(f)} for f in loaded.source.files],
            "resolved_sha256": scenario_hash(loaded),
            "resolved": resolved_scenario(loaded),
        },
        "policies": policies,
        "starting_state": {
            "starting_state_kind": kind,
            "warm_up_days": start.warm_up_days,
            "keep_warm_up_rows": start.keep_warm_up_rows,
            "open_cases": {k: v.model_dump(mode="json") for k, v in start.open_cases.items()},
            "results_start_date": scenario.start_date.isoformat(),
            "simulation_start_date": scenario.sim_start_date.isoformat(),
        },
    }


def warm_up_rows_counted(manifest: dict[str, Any]) -> bool:
    """Whether the run counted, rather than stored, the cases that began and ended in its warm-up (folders written
    before ``keep_warm_up_rows`` existed stored them)."""
    start = manifest.get("starting_state", {})
    return start.get("starting_state_kind") == "warm_up" and start.get("keep_warm_up_rows") is False


def as_plain(value: Any) -> Any:
    """Dataclasses (RunStats) to dicts, recursively, for JSON."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, dict):
        return {k: as_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_plain(v) for v in value]
    return value


def build_manifest(
    loaded: LoadedScenario,
    *,
    root_seed: int,
    replications: dict[str, Any],
    started: str,
    ended: str | None,
    wall_seconds: float | None,
    status: str,
    extra: dict[str, Any] | None = None,
    argv: list[str] | None = None,
) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "manifest_version": 1,
        "status": status,
        **scenario_section(loaded),
        "random": {"root_seed": root_seed, "stream_scheme": STREAM_SCHEME},
        "replications": as_plain(replications),
        "packages": package_versions(),
        "code": {**git_state(), "model_build": model_build()},
        "machine": machine(),
        "started": started,
        "ended": ended,
        "wall_seconds": wall_seconds,
        "command_line": list(sys.argv if argv is None else argv),
    }
    if extra:
        manifest.update(as_plain(extra))
    return manifest


def study_manifest(
    loaded: LoadedScenario,
    *,
    root_seed: int,
    replications: dict[str, Any],
    about: dict[str, Any],
    argv: list[str] | None = None,
) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """The manifest of a study that runs the model many times (a fit, a plan), as ``manifest(status, extra)``:
    started now, ended and timed when the status is no longer ``running``."""
    started_iso, started = now_iso(), time.perf_counter()

    def manifest(status: str, extra: dict[str, Any]) -> dict[str, Any]:
        running = status == "running"
        return build_manifest(
            loaded,
            root_seed=root_seed,
            replications=replications,
            started=started_iso,
            ended=None if running else now_iso(),
            wall_seconds=None if running else time.perf_counter() - started,
            status=status,
            argv=argv,
            extra={**about, **extra},
        )

    return manifest


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest atomically, with the list of files the tool wrote in its folder (``outputs``)."""
    claim([path], save_into=path)
    outputs = outputs_for_manifest(path)
    write_json_atomically(Path(path), manifest if outputs is None else {**manifest, "outputs": outputs})


def read_manifest(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def run_model(directory: str | Path) -> str:
    """The model a run simulated with, from its checked manifest (a run from before the agenda: the event model)."""
    return results_folder.read_manifest(directory).get("run_options", {}).get("model", EVENT_MODEL)
