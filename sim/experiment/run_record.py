"""A results folder read as rows for the run store: the run, its scenarios, what each changed, figures, tables.

:func:`read_record` reads what a command left in its folder (``manifest.json``, each scenario's own manifest and
``summary.csv``, ``compare.csv``, the Parquet files) into the rows :mod:`sim.experiment.run_store` keeps. It reads
files only, so an old folder can be registered as well as a new one (``runs add DIR``). The folder's layout is the
command's: a run, back-cast, validation or calibration is one scenario in the folder itself; a comparison or an
options study has one per scenario under ``scenarios/<name>/``; a sweep one per setting under
``settings/setting-NNN/``; a plan the base and the chosen mix of its confirmation, ``confirm/scenarios/<name>/`` (its
search's candidates stay in plan.csv).

What an option changed is worked out from the manifests, which keep every scenario fully resolved: each key
(dotted, as in a policy) whose value differs from the base's (``how = 'value'``), and each dated policy the base
does not have (``'set'`` or ``'scale'``, with the policy's name and date; a base policy the option drops is
``'policy_removed'``). A scenario run on its own has no base: its changes are its dated policies.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.indicators import HEADLINE
from sim.experiment.manifest import sha256_file
from sim.experiment.owned_files import MANIFEST_NAME, absolute, read_json_object
from sim.scenario.policy_paths import flatten

KINDS = ("run", "compare", "options", "sweep", "backcast", "validation", "calibrate", "plan")
"""The kinds of record: the command that made the folder."""
NOT_CHANGES = frozenset({"name", "description", "seed", "policies"})
"""Top-level keys that are not a change an option makes: its label, and the seed (a comparison uses the base's)."""
SUMMARY_CSV, COMPARE_CSV, OPTIONS_CSV = "summary.csv", "compare.csv", "options.csv"
PLAN_CONFIRM = "confirm"
"""A plan's confirmation: the base and the chosen mix compared (sim.experiment.plan), recorded as its scenarios."""
REPLICATION_PART = re.compile(r"^rep-(\d+)$")

SCENARIO_COLUMNS = [
    "scenario",
    "role",
    "name",
    "folder",
    "scenario_path",
    "scenario_sha256",
    "scenario_files",
    "resolved",
    "root_seed",
    "replications_used",
    "status",
]
CHANGE_COLUMNS = ["scenario", "key", "how", "base_value", "value", "policy", "policy_date"]
INDICATOR_COLUMNS = [
    "scenario",
    "indicator",
    "breakdown",
    "group_name",
    "mean",
    "ci95_low",
    "ci95_high",
    "sd",
    "replications",
    "rough",
    "headline",
]
DIFFERENCE_COLUMNS = [
    "scenario",
    "indicator",
    "breakdown",
    "group_name",
    "base_mean",
    "option_mean",
    "difference_mean",
    "difference_ci95_low",
    "difference_ci95_high",
    "difference_sd",
    "replications",
    "rough",
    "p_value",
    "p_adjusted",
    "distinguishable",
    "family",
]
TABLE_COLUMNS = ["scenario", "table_name", "replication", "path"]


class RecordError(ValueError):
    """A folder that cannot be registered (no manifest of this tool): a user error."""


@dataclass
class RunRecord:
    """One results folder as rows: ``run`` (one row) and a frame per table of the store."""

    run: dict[str, Any]
    scenarios: pd.DataFrame
    changes: pd.DataFrame
    indicators: pd.DataFrame
    differences: pd.DataFrame
    tables: pd.DataFrame
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ScenarioFolder:
    """One scenario a command ran: its key in the record, its role and its folder."""

    key: str
    role: str  # run, base, option or setting
    folder: Path


def infer_kind(folder: Path, manifest: dict[str, Any]) -> str:
    """The command that made ``folder``, from what its manifest and files say."""
    from sim.experiment.validation import VALIDATION_CSV  # here: the module imports scipy, which listing needs not

    kind = manifest.get("kind")
    if kind == "comparison":
        return "options" if (folder / OPTIONS_CSV).exists() else "compare"
    if kind == "sweep":
        return "sweep"
    if kind == "calibrate_model":
        return "calibrate"
    if kind == "plan":
        return "plan"
    if "backcast" in manifest:
        return "backcast"
    if (folder / VALIDATION_CSV).exists():
        return "validation"
    return "run"


def scenario_folders(folder: Path, manifest: dict[str, Any]) -> list[ScenarioFolder]:
    """Where each scenario of the command ran (the layout is the command's; see the module docstring)."""
    if manifest.get("kind") == "comparison" and isinstance(manifest.get("options"), list):
        base = manifest.get("base")
        names = [str(o.get("name")) for o in manifest["options"] if isinstance(o, dict)]
        return [ScenarioFolder(n, "base" if n == base else "option", folder / "scenarios" / n) for n in names]
    if manifest.get("kind") == "sweep" and isinstance(manifest.get("settings"), list):
        keys = [f"setting-{int(s['setting']):03d}" for s in manifest["settings"] if isinstance(s, dict)]
        return [ScenarioFolder(k, "setting", folder / "settings" / k) for k in keys]
    if manifest.get("kind") == "plan":  # the base and the chosen mix as confirmed, else the base as searched
        confirm = read_json_object(folder / PLAN_CONFIRM / MANIFEST_NAME) or {}
        if isinstance(confirm.get("options"), list):
            return scenario_folders(folder / PLAN_CONFIRM, confirm)
        return [ScenarioFolder(str(manifest["scenario"].get("name")), "base", folder / "evaluations" / "eval-0000")]
    name = str(manifest.get("scenario", {}).get("name", folder.name))
    return [ScenarioFolder(name, "run", folder)]


def utc(stamp: Any) -> dt.datetime | None:
    """An ISO time from a manifest as a naive UTC datetime (the store's times are all UTC)."""
    try:
        moment = dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def as_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def policy_rows(policies: list[dict[str, Any]], how_removed: bool = False) -> list[dict[str, Any]]:
    """One row per key of each policy: its ``set`` value or ``scale`` factor (or that the option drops it)."""
    rows = []
    for policy in policies:
        for how in ("set", "scale"):
            for key, value in (policy.get(how) or {}).items():
                rows.append(
                    {
                        "key": key,
                        "how": "policy_removed" if how_removed else how,
                        "base_value": as_json(value) if how_removed else None,
                        "value": None if how_removed else as_json(value),
                        "policy": policy.get("name"),
                        "policy_date": policy.get("date"),
                    }
                )
    return rows


def changes_between(base: dict[str, Any] | None, option: dict[str, Any]) -> list[dict[str, Any]]:
    """What ``option`` (a resolved scenario) changes: against ``base``, or its own policies when there is none."""
    policies = list(option.get("policies") or [])
    if base is None:
        return policy_rows(policies)
    old = {k: v for k, v in flatten(base).items() if k.split(".")[0] not in NOT_CHANGES}
    new = {k: v for k, v in flatten(option).items() if k.split(".")[0] not in NOT_CHANGES}
    rows = [
        {"key": key, "how": "value", "base_value": as_json(old.get(key)), "value": as_json(new.get(key))}
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    ]
    base_policies = list(base.get("policies") or [])
    rows += policy_rows([p for p in policies if p not in base_policies])
    rows += policy_rows([p for p in base_policies if p not in policies], how_removed=True)
    return rows


def replications_used(manifest: dict[str, Any]) -> list[int]:
    """The replications that finished, from a run's manifest (``replications``: one entry each)."""
    entries = manifest.get("replications")
    if not isinstance(entries, dict):
        return []
    used = []
    for entry in entries.values():
        if isinstance(entry, dict) and entry.get("ok") and isinstance(entry.get("replication"), int):
            used.append(entry["replication"])
    return sorted(used)


def run_directory(section: dict[str, Any]) -> Path | None:
    """The folder the command ran from, which relative paths in the manifest are relative to."""
    path, full = section.get("path"), section.get("absolute_path")
    if not path or not full:
        return None
    relative = os.path.normpath(str(path))
    if os.path.isabs(relative):
        return None
    full = os.path.normpath(str(full))
    return Path(full[: -len(relative)]) if full.endswith(os.sep + relative) else None


def scenario_files(section: dict[str, Any]) -> str:
    """The scenario's files with their hashes and, while a file still has the hash it had, its text."""
    files, ran_from = [], run_directory(section)
    for item in section.get("files") or []:
        path, sha = Path(str(item.get("path"))), item.get("sha256")
        where = path if path.is_absolute() else (ran_from / path if ran_from else None)
        text = None
        if where is not None and sha is not None and sha256_file(where) == sha:
            text = where.read_text(encoding="utf-8", errors="replace")
        files.append({"path": str(where or path), "sha256": sha, "text": text})
    return as_json(files)


def read_csv(path: Path) -> pd.DataFrame | None:
    """A CSV of the tool's, groups kept as text ('NA' is a group, not a missing value); None if it is not there."""
    if not path.is_file():
        return None
    return pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"group": str, "breakdown": str})


def indicator_rows(key: str, summary: pd.DataFrame) -> pd.DataFrame:
    frame = summary.rename(columns={"group": "group_name"}).assign(scenario=key)
    for column in INDICATOR_COLUMNS:
        if column not in frame:
            frame[column] = pd.NA
    index = pd.MultiIndex.from_frame(frame[["indicator", "breakdown", "group_name"]].astype(str))
    frame["headline"] = index.isin(HEADLINE)
    return frame[INDICATOR_COLUMNS]


def difference_rows(compared: pd.DataFrame) -> pd.DataFrame:
    frame = compared.rename(columns={"option": "scenario", "group": "group_name"})
    for column in DIFFERENCE_COLUMNS:
        if column not in frame:
            frame[column] = pd.NA
    return frame[DIFFERENCE_COLUMNS]


def table_rows(key: str, folder: Path) -> list[dict[str, Any]]:
    """Every Parquet file under a scenario's folder, with the replication it belongs to (none for a combined one)."""
    rows = []
    for path in sorted(folder.rglob("*.parquet")):
        numbers = [int(m.group(1)) for part in path.parts if (m := REPLICATION_PART.match(part))]
        rows.append(
            {
                "scenario": key,
                "table_name": path.stem,
                "replication": numbers[-1] if numbers else None,
                "path": str(path),
            }
        )
    return rows


def frame(rows: list[dict[str, Any]] | pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    data = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    for column in columns:
        if column not in data:
            data[column] = None
    return data[columns].reset_index(drop=True)


def read_record(folder: str | Path, kind: str | None = None) -> RunRecord:
    """Read ``folder`` (a results folder of this tool) as rows for the store; ``kind`` is inferred if not given."""
    folder = absolute(folder)
    manifest = read_json_object(folder / MANIFEST_NAME)
    if manifest is None or not isinstance(manifest.get("scenario"), dict):
        raise RecordError(f"{folder} is not a results folder of this tool: it has no readable {MANIFEST_NAME}")
    kind = kind or infer_kind(folder, manifest)
    notes: list[str] = []
    members = scenario_folders(folder, manifest)
    base_resolved = manifest["scenario"].get("resolved")  # a sweep's base; a comparison's base is its first member
    scenarios, changes, indicators, tables = [], [], [], []
    for member in members:
        own = manifest if member.folder == folder else read_json_object(member.folder / MANIFEST_NAME)
        if own is None:
            notes.append(f"{member.folder} has no readable {MANIFEST_NAME}: its scenario is recorded without it")
            own = {}
        section = own.get("scenario") if isinstance(own.get("scenario"), dict) else {}
        resolved = section.get("resolved")
        if member.role == "base":
            base_resolved = resolved
        scenarios.append(
            {
                "scenario": member.key,
                "role": member.role,
                "name": section.get("name", member.key),
                "folder": str(member.folder),
                "scenario_path": section.get("absolute_path"),
                "scenario_sha256": section.get("resolved_sha256"),
                "scenario_files": scenario_files(section),
                "resolved": None if resolved is None else as_json(resolved),
                "root_seed": own.get("random", {}).get("root_seed"),
                "replications_used": replications_used(own),
                "status": own.get("status"),
            }
        )
        if isinstance(resolved, dict) and member.role != "base":
            against = None if member.role == "run" else base_resolved
            changes += [{"scenario": member.key, **row} for row in changes_between(against, resolved)]
        summary = read_csv(member.folder / SUMMARY_CSV)
        if summary is not None:
            indicators.append(indicator_rows(member.key, summary))
        tables += table_rows(member.key, member.folder)
    compared = read_csv(folder / COMPARE_CSV)
    if compared is None and kind == "plan":
        compared = read_csv(folder / PLAN_CONFIRM / COMPARE_CSV)
    code = manifest.get("code") if isinstance(manifest.get("code"), dict) else {}
    command = manifest.get("command_line")
    run = {
        "kind": kind,
        "status": manifest.get("status"),
        "started_utc": utc(manifest.get("started")),
        "ended_utc": utc(manifest.get("ended")),
        "wall_seconds": manifest.get("wall_seconds"),
        "folder": str(folder),
        "scenario_name": manifest["scenario"].get("name"),
        "scenario_sha256": manifest["scenario"].get("resolved_sha256"),
        "root_seed": manifest.get("random", {}).get("root_seed"),
        "replications": max((len(s["replications_used"]) for s in scenarios), default=0),
        "code_commit": code.get("commit"),
        "code_dirty": code.get("dirty"),
        "command_line": shlex.join(map(str, command)) if isinstance(command, list) else None,
        "manifest": as_json(manifest),
    }
    return RunRecord(
        run=run,
        scenarios=frame(scenarios, SCENARIO_COLUMNS),
        changes=frame(changes, CHANGE_COLUMNS),
        indicators=frame(pd.concat(indicators, ignore_index=True) if indicators else [], INDICATOR_COLUMNS),
        differences=frame([] if compared is None else difference_rows(compared), DIFFERENCE_COLUMNS),
        tables=frame(tables, TABLE_COLUMNS),
        notes=notes,
    )
