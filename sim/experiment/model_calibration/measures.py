"""How ``calibrate model`` reads a finished run at the targets' dates: measures, registered by name.

A measure maps a finished run folder to a table ``[replication, date, indicator, model]``: one value per
replication for each (indicator, date) it can read. It is given the scenario that ran and the points the
targets ask for (a table ``[indicator, date]``), so a measure that can read the model at any date (the
published trajectory, quarter by quarter) reads only those. A targets file names its measure
(``measure: indicators``); :data:`MEASURES` resolves the name, so a new measure is one function and one entry.

Built in:

* ``indicators``: the run's own indicators (``indicators.csv``, :mod:`sim.analysis.indicators`) over the
  results period, dated at the run's end. An indicator of every child is named as it is
  (``time_to_disposal_weeks_mean``); one of a group is ``NAME[BREAKDOWN=GROUP]``
  (``open_cases_at_end_count[case_type=public_law]``).

* ``trajectory``: the model measured as each figure is published (:mod:`sim.analysis.trajectory`, the back-cast's
  measure): a stock at the target's date, a flow over the target's ``period`` (``2023Q2``, ``2023``) ending at
  its date, so a targets file can take its points from ``sim/data/published_trajectory.yaml``. A figure of one
  region is ``NAME[region=REGION]`` (``public_law_mean_weeks[region=wales]``), labelled as the ``indicators``
  measure labels a group: the same measure over that region's cases.

A measure that reads the records (children, timeline) gets them with :func:`run_tables`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sim.analysis.indicators import ALL
from sim.analysis.periods import last_day
from sim.experiment.run_tables import read_table, replications_in
from sim.scenario.loading import LoadedScenario

MEASURE_COLUMNS = ["replication", "date", "indicator", "model"]
POINT_COLUMNS = ["indicator", "date", "period"]

Measure = Callable[[Path, LoadedScenario, pd.DataFrame], pd.DataFrame]
"""(run folder, the scenario that ran, points [indicator, date]) -> [replication, date, indicator, model]."""


def indicator_label(indicator: str, breakdown: str, group: str) -> str:
    """``NAME`` for every child, ``NAME[BREAKDOWN=GROUP]`` for a group."""
    return indicator if breakdown == ALL and group == ALL else f"{indicator}[{breakdown}={group}]"


def run_end_date(loaded: LoadedScenario) -> dt.date:
    """The last day of the results period (:func:`sim.analysis.periods.last_day`: a one-year run from 2023-01-01
    ends on 2023-12-31)."""
    return last_day(loaded.scenario.start_date, loaded.scenario.run_years).date()


def indicators_measure(run: Path, loaded: LoadedScenario, points: pd.DataFrame) -> pd.DataFrame:
    """Every indicator of the run's ``indicators.csv``, dated at the run's end (``points`` are not needed)."""
    table = pd.read_csv(Path(run) / "indicators.csv")
    labels = [indicator_label(*row) for row in table[["indicator", "breakdown", "group"]].astype(str).itertuples(False)]
    return pd.DataFrame(
        {
            "replication": table["replication"].astype(int),
            "date": run_end_date(loaded),
            "indicator": labels,
            "model": table["value"].astype(float),
        },
        columns=MEASURE_COLUMNS,
    )


def run_tables(
    run: Path, names: tuple[str, ...] = ("children", "timeline"), columns: dict[str, list[str]] | None = None
) -> list[pd.DataFrame]:
    """The named tables of every replication of a run, in replication order (for a measure that reads records,
    such as the trajectory), with only the ``columns`` given for a table. Read while the per-replication folders
    exist, which is when a measure is called."""
    replications = replications_in(run)
    wanted = columns or {}
    return [
        pd.concat(
            [read_table(run, name, replication=r, columns=wanted.get(name)) for r in replications], ignore_index=True
        )
        for name in names
    ]


def trajectory_measure(run: Path, loaded: LoadedScenario, points: pd.DataFrame) -> pd.DataFrame:
    """Each point's indicator as published (:func:`sim.analysis.trajectory.measure`): a flow over its period."""
    from sim.analysis.run_reading import CHILD_COLUMNS
    from sim.analysis.trajectory import measure
    from sim.experiment.trajectory import period_bounds

    def start_of(period: object) -> pd.Timestamp:
        first = period_bounds(str(period))[0] if isinstance(period, str) and period.strip() else None
        return pd.Timestamp(first) if first is not None else pd.NaT

    asked = pd.DataFrame(
        {
            "indicator": points["indicator"].astype(str),
            "start": [start_of(p) for p in points["period"]],
            "date": pd.to_datetime(points["date"]),
        }
    )
    measured = measure(*run_tables(run, columns={"children": CHILD_COLUMNS}), asked)
    return measured.assign(date=pd.to_datetime(measured["date"]).dt.date)[MEASURE_COLUMNS]


MEASURES: dict[str, Measure] = {"indicators": indicators_measure, "trajectory": trajectory_measure}
"""Measures by the name a targets file gives in ``measure:``."""
