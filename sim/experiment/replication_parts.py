"""A replication whole, or in parts, one per region, so that its regions run on as many workers at once.

Whole, it runs with either model (:data:`sim.vocabulary.MODELS`, :func:`simulate_whole`); in parts, with the event
model only: the agenda numbers cases across regions, so it runs whole.

Regions share no capacity and every draw is keyed to its case, so a region simulated alone gives exactly its rows
of the whole replication (:class:`sim.model.replication.Replication`, ``tests/test_region_parts.py``). A run sends
each replication out as one task per region, largest first; each part writes its tables into ``region-NN/`` in
the replication's folder and then ``part.json`` (its counts and times: the part is complete). The part that finds
every part complete takes the replication's join lock (created once, ``O_EXCL``, so two parts ending together
cannot both join), writes the replication's tables from its parts' rows, interleaved by time
(:meth:`sim.model.columns.TableSink.merge_files`), and removes the parts.
Nothing is coordinated by the parent, so the same holds on a Dask cluster whose workers share the results folder.

What it buys: the first replication of a run on two workers is done in about half the time one worker takes, and a
single replication uses both cores. It costs the join: the tables read back and written once more.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, fields
from pathlib import Path

from sim.experiment.results_folder import JOIN_LOCK, PART_MARKER, clear_part, part_dir, write_atomically
from sim.model.agenda.replication import AgendaReplication, PolicyNotFollowed, unfollowed_policies
from sim.model.replication import Replication
from sim.model.run_stats import ConservationError, RunStats
from sim.scenario.loading import LoadedScenario
from sim.scenario.schema import Scenario
from sim.vocabulary import AGENDA_MODEL, EVENT_MODEL, MODELS


def choose_model(asked: str | None, loaded: LoadedScenario | list[LoadedScenario]) -> tuple[str, str | None]:
    """The model a run or a study uses, and a note when it is not the one a user would expect: the one asked for,
    else the agenda where it can follow every policy of every scenario, else the event model (one model for a whole
    study, so that an option's differences are its own, not the models'). The agenda asked for a scenario it cannot
    follow is :class:`~sim.model.agenda.replication.PolicyNotFollowed`."""
    if asked == EVENT_MODEL:
        return asked, None
    scenarios = loaded if isinstance(loaded, list) else [loaded]
    problems = [
        f"{s.scenario.name}: {problem}" if len(scenarios) > 1 else problem
        for s in scenarios
        for problem in unfollowed_policies(s.periods)
    ]
    if problems and asked == AGENDA_MODEL:
        raise PolicyNotFollowed("; ".join(problems) + "; run it with --model events")
    if problems:
        return EVENT_MODEL, f"simulating event by event (--model events), since {problems[0]}"
    return AGENDA_MODEL, None


def study_model(
    asked: str | None, loaded: LoadedScenario | list[LoadedScenario], log: Callable[[str], None] | None
) -> str:
    """The one model of a run or a study (every scenario of a comparison, every variant of a plan or a calibration),
    chosen once by :func:`choose_model` and its note said once through ``log``. An unknown model, or the agenda asked
    for a scenario it cannot follow (:class:`~sim.model.agenda.replication.PolicyNotFollowed`), is refused before
    anything is written."""
    if asked is not None and asked not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, not {asked!r}")
    model, note = choose_model(asked, loaded)
    if note and log is not None:
        log(f"note: {note}")
    return model


def simulate_whole(
    model: str,
    loaded: LoadedScenario,
    replication: int,
    seed: int,
    folder: Path,
    progress: Callable[[float], None] | None = None,
) -> RunStats:
    """Simulate a whole replication into ``folder`` with ``model``."""
    if model == AGENDA_MODEL:
        agenda = AgendaReplication(
            loaded.scenario, seed, folder, periods=loaded.periods, replication=replication, progress=progress
        )
        return agenda.run()
    return Replication(loaded, replication, folder, seed=seed, progress=progress).run()


def region_order(scenario: Scenario) -> list[tuple[int, float]]:
    """(region code, share of new cases) for every region, largest share first: the order parts are sent out in,
    so that the last part to start is a small one."""
    totals = Counter[str]()
    for demand in scenario.demand.values():
        for region, share in demand.region_shares.items():
            totals[region] += demand.cases_per_year * share
    whole = sum(totals.values()) or 1.0
    shares = [(code, totals[name] / whole) for code, name in enumerate(scenario.regions)]
    return sorted(shares, key=lambda pair: -pair[1])


def run_part(
    loaded: LoadedScenario,
    replication: int,
    seed: int,
    folder: Path,
    region: int,
    progress: Callable[[float], None] | None = None,
) -> tuple[RunStats, float] | None:
    """Simulate one region of a replication into its part folder; if that leaves every part complete and this
    part takes the join lock, join them into the replication's tables and return the replication's counts and
    when its first part started (seconds since the epoch)."""
    started = time.time()
    part = part_dir(folder, region)
    clear_part(part)  # leftovers of an interrupted attempt
    part.mkdir(parents=True, exist_ok=True)
    stats = Replication(loaded, replication, part, seed=seed, progress=progress, regions=[region]).run()
    record = {"stats": asdict(stats), "started": started, "ended": time.time()}
    text = json.dumps(record, indent=2) + "\n"
    write_atomically(part / PART_MARKER, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    regions = range(len(loaded.scenario.regions))
    if not all((part_dir(folder, r) / PART_MARKER).exists() for r in regions) or not _take_join_lock(folder):
        return None
    return join_parts(loaded, replication, seed, folder)


def _take_join_lock(folder: Path) -> bool:
    try:
        os.close(os.open(folder / JOIN_LOCK, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def join_parts(loaded: LoadedScenario, replication: int, seed: int, folder: Path) -> tuple[RunStats, float]:
    """Write the replication's tables from its complete parts, remove the parts, and return the replication's
    counts (the parts' summed) and when its first part started (seconds since the epoch). Raises
    :class:`ConservationError` if the joined children table lacks a row the parts counted."""
    parts = [part_dir(folder, r) for r in range(len(loaded.scenario.regions))]
    records = [json.loads((p / PART_MARKER).read_text(encoding="utf-8")) for p in parts]
    stats = summed([RunStats(**r["stats"]) for r in records])
    joined = Replication(loaded, replication, folder, seed=seed)
    joined.join(parts)
    stored, counted = joined.recorder.children.rows_written, sum(stats.child_rows.values())
    if stored != counted:
        raise ConservationError(f"the parts counted {counted} child rows; their joined table holds {stored}")
    for part in parts:
        clear_part(part)
    (folder / JOIN_LOCK).unlink(missing_ok=True)
    return stats, min(r["started"] for r in records)


def summed(parts: list[RunStats]) -> RunStats:
    """The counts of a replication from its parts': numbers added, counts by status added key by key."""
    total = RunStats()
    for f in fields(RunStats):
        values = [getattr(p, f.name) for p in parts]
        if isinstance(values[0], dict):
            merged: Counter[str] = Counter()
            for value in values:
                merged.update(value)
            setattr(total, f.name, dict(sorted(merged.items())))
        else:
            setattr(total, f.name, sum(values))
    return total
