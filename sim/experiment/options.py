"""An options study run: the base and every option on common random numbers, read at a few indicators.

:func:`run_study` runs what a study file declares (:mod:`sim.experiment.options_study`) through
:func:`sim.experiment.compare.compare` (so ``DIR/scenarios/<name>/``, ``compare.csv`` and ``manifest.json`` are
compare's), then keeps the indicators a reader of the study needs (:data:`STUDY_INDICATORS`) and writes:

* ``options.csv``: one row per option and indicator (:data:`OPTIONS_COLUMNS`): the base and option means, the
  mean paired difference (option minus base, replication by replication) and its Student-t 95% interval;
* ``elasticity.csv``: per indicator of :data:`ELASTICITY_INDICATORS`, weeks per 1% of days sat from the study's
  elasticity pair: in each replication (up option - down option) / (the percentage points between them), then
  its mean and 95% interval over the replications (:data:`ELASTICITY_COLUMNS`).

Nothing here, or in the model, is tuned to make an option come out at some value: the numbers emerge from the
scenarios. The record (``options.md``) is written by :mod:`sim.outputs.options_record`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.indicators import KEYS
from sim.analysis.statistics import interval
from sim.experiment.compare import compare
from sim.experiment.options_study import ElasticityPair, Study
from sim.experiment.owned_files import writes_into
from sim.experiment.replications import RunResult, collect_indicators, write_csv

OPTIONS_CSV, ELASTICITY_CSV = "options.csv", "elasticity.csv"


@dataclass(frozen=True)
class StudyIndicator:
    """One indicator of the study: its name in options.csv, what it is in words, and its row in summary.csv."""

    name: str
    label: str
    unit: str
    indicator: str
    breakdown: str
    group: str
    measured_as: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.indicator, self.breakdown, self.group)


DISPOSED_IN_RUN = (
    "children whose case began in the results period (not in the warm-up, not in the declared open caseload) and was "
    "disposed by the end of the run, one row per child per case"
)
STUDY_INDICATORS = (
    StudyIndicator(
        "public_law_mean_weeks",
        "Public law: mean weeks to disposal",
        "weeks",
        "time_to_disposal_weeks_mean",
        "case_type",
        "public_law",
        f"mean weeks from issue to final order of {DISPOSED_IN_RUN}",
    ),
    StudyIndicator(
        "private_law_mean_weeks",
        "Private law: mean weeks to disposal",
        "weeks",
        "time_to_disposal_weeks_mean",
        "case_type",
        "private_law",
        f"mean weeks from issue to final order (standard and Pathfinder pathways) of {DISPOSED_IN_RUN}",
    ),
    StudyIndicator(
        "public_law_within_26_weeks_share",
        "Public law: share of cases disposed within 26 weeks",
        "share",
        "public_law_cases_within_26_weeks_share",
        "case_type",
        "public_law",
        "share of public law cases (each case once, however many children) that began in the results period and "
        "were disposed by the end of the run, whose time from issue to final order was 26 weeks or less; cases "
        "still open at the end are not in it",
    ),
    StudyIndicator(
        "public_law_outstanding_cases",
        "Public law: outstanding cases at the end",
        "cases",
        "open_cases_at_end_count",
        "case_type",
        "public_law",
        "public law cases issued and not yet disposed (pre-proceedings apart), whenever they began, at the last "
        "timeline snapshot of the run, all regions",
    ),
    StudyIndicator(
        "private_law_outstanding_cases",
        "Private law: outstanding cases at the end",
        "cases",
        "open_cases_at_end_count",
        "case_type",
        "private_law",
        "private law cases issued and not yet disposed, whenever they began, at the last timeline snapshot of the "
        "run, all regions",
    ),
)
"""What options.csv reports for each option, in this order."""
ELASTICITY_INDICATORS = ("public_law_mean_weeks", "private_law_mean_weeks")
"""Indicators whose change per 1% of days sat the elasticity pair gives."""

OPTIONS_COLUMNS = [
    "option",
    "indicator",
    "measured_as",
    "base_mean",
    "option_mean",
    "difference_mean",
    "difference_ci95_low",
    "difference_ci95_high",
    "replications",
]
ELASTICITY_COLUMNS = [
    "indicator",
    "up_option",
    "up_days_sat_change_percent",
    "down_option",
    "down_days_sat_change_percent",
    "per_percent_days_sat_mean",
    "per_percent_days_sat_ci95_low",
    "per_percent_days_sat_ci95_high",
    "replications",
]


def by_name(name: str) -> StudyIndicator:
    return next(i for i in STUDY_INDICATORS if i.name == name)


def measured_as(indicator: StudyIndicator) -> str:
    """Where the indicator is in summary.csv: ``indicator [breakdown=group]``."""
    return f"{indicator.indicator} [{indicator.breakdown}={indicator.group}]"


# ---------------------------------------------------------------------------------------------- tables
def options_table(compared: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """One row per option and study indicator, taken from compare's table (an indicator an option lacks, say with
    no public law case disposed, is a row of missing values with 0 replications)."""
    indexed = compared.set_index(["option", *KEYS]) if len(compared) else None
    rows = []
    for name in names:
        for indicator in STUDY_INDICATORS:
            found = indexed is not None and (name, *indicator.key) in indexed.index
            row: Mapping[str, Any] = indexed.loc[(name, *indicator.key)] if found else {}
            rows.append(
                {
                    "option": name,
                    "indicator": indicator.name,
                    "measured_as": measured_as(indicator),
                    **{c: row.get(c, np.nan) for c in OPTIONS_COLUMNS[3:-1]},
                    "replications": int(row.get("replications", 0)) if found else 0,
                }
            )
    return pd.DataFrame(rows, columns=OPTIONS_COLUMNS)


def per_replication(indicators: pd.DataFrame, indicator: StudyIndicator) -> pd.Series:
    """One indicator's value in each replication (indexed by replication)."""
    rows = indicators[
        (indicators["indicator"] == indicator.indicator)
        & (indicators["breakdown"] == indicator.breakdown)
        & (indicators["group"] == indicator.group)
    ]
    return rows.set_index("replication")["value"].astype(float)


def elasticity_table(pair: ElasticityPair, up: pd.DataFrame, down: pd.DataFrame) -> pd.DataFrame:
    """Per indicator, (up - down) / percentage points apart in each replication both have, with a 95% interval.

    The base cancels, so this is also (difference of up - difference of down) / points apart, replication by
    replication: a paired estimate, as each option's difference is.
    """
    rows = []
    for name in ELASTICITY_INDICATORS:
        indicator = by_name(name)
        per_rep = (per_replication(up, indicator) - per_replication(down, indicator)) / pair.percent_apart
        mean, low, high, _, n = interval(per_rep.to_numpy())  # a replication only one side has is NaN: left out
        rows.append(
            {
                "indicator": name,
                "up_option": pair.up.option,
                "up_days_sat_change_percent": pair.up.days_sat_change_percent,
                "down_option": pair.down.option,
                "down_days_sat_change_percent": pair.down.days_sat_change_percent,
                "per_percent_days_sat_mean": mean,
                "per_percent_days_sat_ci95_low": low,
                "per_percent_days_sat_ci95_high": high,
                "replications": n,
            }
        )
    return pd.DataFrame(rows, columns=ELASTICITY_COLUMNS)


# ---------------------------------------------------------------------------------------------- the run
@dataclass
class StudyResult:
    """What :func:`run_study` made: the tables, each scenario's run and the root seed."""

    study: Study
    table: pd.DataFrame
    elasticity: pd.DataFrame | None
    runs: dict[str, RunResult]
    root_seed: int
    replications: int
    written: list[Path]

    @property
    def failures(self) -> dict[str, int]:
        return {name: len(run.failures) for name, run in self.runs.items() if run.failures}


@writes_into("out")
def run_study(
    study: Study,
    out: Path,
    *,
    replications: int,
    seed: int | None = None,
    executor: Any = None,
    show_progress: bool = False,
    argv: list[str] | None = None,
    log: Any = None,
    model: str | None = None,
) -> StudyResult:
    """Run the base and every option on the same seeds into ``out`` (no per-scenario report) and write
    ``options.csv`` (and ``elasticity.csv`` if the study declares a pair)."""
    out = Path(out)
    compared, runs = compare(
        [study.base, *study.options],
        out,
        replications=replications,
        seed=seed,
        executor=executor,
        show_progress=show_progress,
        argv=argv,
        log=log,
        model=model,
    )
    table = options_table(compared, study.names)
    write_csv(out / OPTIONS_CSV, table)
    written = [out / OPTIONS_CSV]
    elasticity = None
    pair = study.spec.elasticity
    if pair is not None:
        up, down = (runs[getattr(pair, end).option] for end in ("up", "down"))
        elasticity = elasticity_table(
            pair,
            collect_indicators(up.out, up.replications_used),
            collect_indicators(down.out, down.replications_used),
        )
        write_csv(out / ELASTICITY_CSV, elasticity)
        written.append(out / ELASTICITY_CSV)
    root_seed = study.base.scenario.seed if seed is None else seed
    return StudyResult(study, table, elasticity, runs, root_seed, replications, written)
