"""The STRESS-DES reporting items (Monks et al. 2019) that a run can fill in about itself, from its manifest.

The report shows them as a table so a reader can check the simulation study against the checklist without
asking for the code; the items a person must write (objectives, logic, data sources) are in docs/model.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.experiment.manifest import warm_up_rows_counted
from sim.outputs.html import number

WARM_UP_ROWS_COUNTED = (
    "; cases that began and ended in it are counted in each replication's stats.json (warm_up_child_rows), "
    "not stored in the tables (starting_state.keep_warm_up_rows stores them)"
)


def stress_des_rows(manifest: dict[str, Any], directory: Path) -> list[list[str]]:
    """(item, section, this run) of every item the tool fills in; the report's template shows them."""
    resolved = manifest.get("scenario", {}).get("resolved", {})
    start = manifest.get("starting_state", {})
    options = manifest.get("run_options", {})
    reps = manifest.get("replications", {})
    ok = [r for r in reps.values() if r.get("ok")]
    packages = manifest.get("packages", {})
    code = manifest.get("code", {})
    machine = manifest.get("machine", {})
    precision = manifest.get("precision")
    estimation = (
        f"{len(ok)} independent replications; each indicator is averaged over replications with a 95% "
        "confidence interval (summary.csv)."
    )
    if precision:
        estimation += (
            f" Replications were added until the headline indicators' 95% CI half-width was within "
            f"{precision.get('precision_percent')}% of the mean ({precision.get('method')}); precision "
            f"{'reached' if precision.get('precision_met') else 'NOT reached'}."
        )
    kind = start.get("starting_state_kind", "?")
    initial = {
        "warm_up": f"warm-up from empty for {number(start.get('warm_up_days'), 0)} days"
        + (WARM_UP_ROWS_COUNTED if warm_up_rows_counted(manifest) else ""),
        "open_caseload": "a declared open caseload at the start date",
        "empty": "empty, no warm-up",
    }.get(kind, kind)
    wall = manifest.get("wall_seconds")
    return [
        [
            "1.2",
            "Model outputs",
            "children.parquet (a row per child per case), stages.parquet, timeline.parquet, "
            "indicators.csv, summary.csv, journey log (OCEL 2.0), this report",
        ],
        [
            "2.3",
            "Scenario logic",
            f"{len(manifest.get('policies', []))} policies; differences from the baseline listed under Assumptions",
        ],
        [
            "3.3",
            "Input parameters",
            f"scenario {manifest.get('scenario', {}).get('path')}, resolved sha256 "
            f"{manifest.get('scenario', {}).get('resolved_sha256')}",
        ],
        ["4.1", "Initialisation", initial],
        [
            "4.2",
            "Run length",
            f"{resolved.get('run_years')} years of results from "
            f"{start.get('results_start_date')}; snapshots every "
            f"{resolved.get('monitor_interval_days')} days",
        ],
        ["4.3", "Estimation approach", estimation],
        ["5.1", "Software", ", ".join(f"{k} {v}" for k, v in packages.items())],
        [
            "5.2",
            "Random sampling",
            f"root seed {manifest.get('random', {}).get('root_seed')}; "
            f"{manifest.get('random', {}).get('stream_scheme')}; one named stream per source of randomness",
        ],
        [
            "5.3",
            "Model execution",
            f"SimPy process-based discrete-event simulation; executor {options.get('executor', '?')}",
        ],
        [
            "5.4",
            "System specification",
            f"{machine.get('platform')}, {machine.get('cpu_count')} CPUs "
            f"({machine.get('hostname')}); run time {number(wall, 1)} s",
        ],
        [
            "6.1",
            "Code access",
            f"git commit {code.get('commit')}{' with uncommitted changes' if code.get('dirty') else ''}",
        ],
    ]
