"""The runs an option can be compared with: every finished run folder under the results folder.

One small function, :func:`stored_runs`, answers "which runs are there?", so the store of every run (a database
of runs, issue 13) can replace it without the page changing: until then the folders themselves are read, a run's
own (``results/NAME-TIME/``) and each scenario's run inside a comparison (``results/compare-.../scenarios/NAME/``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.experiment.manifest import MANIFEST_NAME

MOST_SHOWN = 200
"""At most this many runs are listed, newest first: a results folder kept for years holds thousands."""


@dataclass(frozen=True)
class StoredRun:
    """A finished run: where it is, what it ran, and the seed and replications an option must share to pair with it."""

    folder: Path
    scenario: str
    root_seed: int
    replications: tuple[int, ...]
    started: str
    within: str | None = None
    """The comparison folder the run belongs to, if any."""

    @property
    def label(self) -> str:
        where = f" in {self.within}" if self.within else ""
        count = len(self.replications)
        return f"{self.scenario}{where}: {count} replication{'s' * (count != 1)}, seed {self.root_seed}, {self.started}"


def _read(manifest: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def stored_run(folder: Path, within: str | None = None) -> StoredRun | None:
    """The run in ``folder`` if it finished with at least one replication and its summary, else None."""
    data = _read(folder / MANIFEST_NAME)
    if data is None or data.get("status") != "complete" or not (folder / "summary.csv").is_file():
        return None
    seed = (data.get("random") or {}).get("root_seed")
    reps = data.get("replications")
    if not isinstance(seed, int) or not isinstance(reps, dict):
        return None
    done = tuple(sorted(r["replication"] for r in reps.values() if isinstance(r, dict) and r.get("ok")))
    name = (data.get("scenario") or {}).get("name")
    if not done or not isinstance(name, str):
        return None
    return StoredRun(folder, name, seed, done, str(data.get("started", ""))[:16].replace("T", " "), within)


def stored_runs(results: Path) -> list[StoredRun]:
    """Every finished run under ``results``, newest first (at most :data:`MOST_SHOWN`)."""
    found: list[StoredRun] = []
    if not results.is_dir():
        return found
    for folder in results.iterdir():
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        run = stored_run(folder)
        if run is not None:
            found.append(run)
        elif (folder / "scenarios").is_dir() and (_read(folder / MANIFEST_NAME) or {}).get("status") == "complete":
            found += [r for sub in (folder / "scenarios").iterdir() if (r := stored_run(sub, folder.name)) is not None]
    found.sort(key=lambda r: (r.started, str(r.folder)), reverse=True)
    return found[:MOST_SHOWN]
