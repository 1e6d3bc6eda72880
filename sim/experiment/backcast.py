"""The back-cast: run a history scenario and set the model, measured as published, beside the published points.

``python run_sim.py backcast [SCENARIO]`` runs replications of a scenario whose ``history:`` gives demand and
capacity over 2018-2024 (``scenarios/backcast.yaml``), measures each published point of the trajectory
(:mod:`sim.experiment.trajectory`) in every replication at its own date (:func:`sim.analysis.trajectory.measure`)
and writes ``backcast.csv`` (:data:`BACKCAST_COLUMNS`: the mean across replications and a 95% prediction
interval for one replication, the published value, its source and whether the calibration may fit it),
``backcast.png`` (drawn by :mod:`sim.outputs.backcast_figure`) and ``backcast.md``.

A point outside the results period (before the start date, or after its last day, :func:`sim.analysis.periods.last_day`:
a point dated on the last day is inside) has no model value.
``until`` runs on past the scenario's end with its inputs held at their last values (the last history row
stays in force); the model's values at each quarter (or year) end past the scenario's own end and after an
indicator's last published point are then added as rows with no published value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.periods import inside, last_day
from sim.analysis.run_reading import CHILD_COLUMNS
from sim.analysis.statistics import as_published
from sim.analysis.trajectory import STOCKS, band, measure
from sim.experiment.manifest import run_model
from sim.experiment.owned_files import write_atomically, writes_into
from sim.experiment.replications import run_experiment, write_csv
from sim.experiment.run_tables import read_table
from sim.experiment.trajectory import FIT_UNTIL, published_trajectory
from sim.scenario.calibration.data import plural
from sim.scenario.loading import LoadedScenario, scenario_from_dict
from sim.vocabulary import DAYS_PER_YEAR, model_words

BACKCAST_CSV, BACKCAST_MD, BACKCAST_FIGURE = "backcast.csv", "backcast.md", "backcast"
BACKCAST_COLUMNS = ["date", "indicator", "model", "lower", "upper", "published", "source", "fitted"]
YEARLY_PERIOD_DAYS = 100
"""An indicator whose published periods are longer than this is yearly; shorter ones are read by quarter."""
QUARTER_MONTHS = 3


class BackcastError(ValueError):
    """The back-cast was asked for something it cannot do (a run that ends before it starts)."""


@dataclass
class BackcastResult:
    table: pd.DataFrame
    """One row per published point (and per projected point with ``until``), columns :data:`BACKCAST_COLUMNS`."""
    trajectory: pd.DataFrame
    """The model's band at every quarter (or year) end of the results period, for the figure."""
    replications_used: list[int]
    root_seed: int
    failed_replications: list[int] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    targets: Path | None = None
    """The calibration targets file whose fitted points set ``fitted``; None: every point up to FIT_UNTIL."""


def run_until(loaded: LoadedScenario, until: dt.date) -> LoadedScenario:
    """The scenario run to ``until`` (inclusive), its inputs held at their last values past its own end."""
    start = loaded.scenario.start_date
    if until <= start:
        raise BackcastError(f"--until {until} is not after the scenario's start date {start}")
    data = dict(loaded.source.data)
    data["run_years"] = ((until - start).days + 1) / DAYS_PER_YEAR
    return scenario_from_dict(data, name=f"{loaded.path} [until {until}]")


def _period_ends(first: pd.Timestamp, last: pd.Timestamp, yearly: bool) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """(start, end) of each quarter (or year) that ends within [first, last]."""
    step = 12 if yearly else QUARTER_MONTHS
    start = pd.Timestamp(first.year, 1, 1) if yearly else pd.Timestamp(first.year, (first.month - 1) // 3 * 3 + 1, 1)
    out = []
    while True:
        end = start + pd.DateOffset(months=step) - pd.Timedelta(days=1)
        if end > last:
            return out
        if end >= first:
            out.append((start, end))
        start = start + pd.DateOffset(months=step)


def grid(points: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """Every quarter (or year) wholly in [first, last] for each measured indicator: a stock is read at its end,
    a flow over it."""
    rows = []
    for indicator, own in points[points["measured"]].groupby("indicator", sort=True):
        spans = (own["date"] - own["start"]).dt.days
        yearly = bool((spans > YEARLY_PERIOD_DAYS).any())
        for start, end in _period_ends(first, last, yearly):
            rows.append({"indicator": indicator, "start": pd.NaT if indicator in STOCKS else start, "date": end})
    frame = pd.DataFrame(rows, columns=["indicator", "start", "date"])
    return frame[inside(frame, first, last)].reset_index(drop=True)


def fitted_points(targets: Path, loaded: LoadedScenario) -> set[tuple[str, pd.Timestamp]]:
    """(indicator, date) of every target the calibration fitted (its weight above zero, on or before its
    ``fit_until``): the points a back-cast marks ``fitted``, where the others are checks."""
    from sim.experiment.model_calibration.targets import load_targets

    spec = load_targets(targets, loaded)
    return {
        (t.indicator, pd.Timestamp(t.date))
        for t, fitted in zip(spec.spec.targets, spec.fitted, strict=True)
        if fitted and t.weight > 0
    }


def mark_fitted(points: pd.DataFrame, fitted: set[tuple[str, pd.Timestamp]]) -> pd.DataFrame:
    """The points with ``fitted`` true exactly where the calibration used them."""
    used = [(i, pd.Timestamp(d)) in fitted for i, d in zip(points["indicator"], points["date"], strict=True)]
    return points.assign(fitted=used)


def backcast_table(measured: pd.DataFrame, points: pd.DataFrame, projected: pd.DataFrame | None = None) -> pd.DataFrame:
    """The published points with the model's band beside them, and projected rows with no published value
    (never fitted)."""
    bands = band(measured) if len(measured) else pd.DataFrame(columns=["date", "indicator", "model", "lower", "upper"])
    published = points[["date", "indicator", "value", "source", "fitted"]].rename(columns={"value": "published"})
    table = published.merge(bands, on=["date", "indicator"], how="left")
    if projected is not None and len(projected):
        extra = projected.merge(bands, on=["date", "indicator"], how="left")
        extra = extra.assign(published=np.nan, source="", fitted=False)
        table = pd.concat([table, extra], ignore_index=True)
    table["date"] = pd.to_datetime(table["date"]).dt.date
    table["fitted"] = table["fitted"].astype(bool)
    return table.sort_values(["indicator", "date"], kind="stable")[BACKCAST_COLUMNS].reset_index(drop=True)


def _last_day(loaded: LoadedScenario) -> pd.Timestamp:
    """The last day of a scenario's results period (:func:`sim.analysis.periods.last_day`)."""
    return last_day(loaded.scenario.start_date, loaded.scenario.run_years)


def _measure_run(
    out: Path, replications: list[int], points: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The published points and the grid measured one replication at a time (a national run is large)."""
    asked, dense_points = points[inside(points, first, last)], grid(points, first, last)
    measured, dense = [], []
    for replication in replications:
        children = read_table(out, "children", replication, columns=CHILD_COLUMNS)
        timeline = read_table(out, "timeline", replication)
        measured.append(measure(children, timeline, asked))
        dense.append(measure(children, timeline, dense_points))
    return pd.concat(measured, ignore_index=True), pd.concat(dense, ignore_index=True)


@writes_into("out")
def backcast(
    loaded: LoadedScenario,
    out: Path,
    *,
    replications: int,
    seed: int | None = None,
    until: dt.date | None = None,
    executor: Any = None,
    show_progress: bool = False,
    argv: list[str] | None = None,
    log: Callable[[str], None] | None = None,
    points: pd.DataFrame | None = None,
    targets: Path | None = None,
    fitted: set[tuple[str, pd.Timestamp]] | None = None,
    model: str | None = None,
) -> BackcastResult:
    """Run the back-cast into ``out`` (prepared by the caller) and write its table, record and figure there.
    With ``fitted`` (the :func:`fitted_points` of the calibration targets file ``targets``, which the record names)
    a point is ``fitted`` when that file fitted it; without, when its period ends by FIT_UNTIL. ``model``: as for
    :func:`~sim.experiment.replications.run_experiment`."""
    own_last = _last_day(loaded)
    if until is not None:
        loaded = run_until(loaded, until)
    run = run_experiment(
        loaded,
        out,
        replications=replications,
        seed=seed,
        executor=executor,
        show_progress=show_progress,
        argv=argv,
        log=log,
        extra_manifest={"backcast": {"until": None if until is None else until.isoformat()}},
        model=model,
    )
    points = published_trajectory() if points is None else points
    if fitted is not None:
        points = mark_fitted(points, fitted)
    scenario = loaded.scenario
    first = pd.Timestamp(scenario.start_date)
    last = _last_day(loaded)
    if run.replications_used:
        measured, dense = _measure_run(out, run.replications_used, points, first, last)
    else:
        measured = dense = pd.DataFrame(columns=["replication", "date", "indicator", "model"])
    projected = None
    if until is not None:
        last_published = points.groupby("indicator")["date"].max()
        after = grid(points, first, last)
        beyond = (after["date"] > after["indicator"].map(last_published)) & (after["date"] > own_last)
        projected = after[beyond]
    table = backcast_table(measured, points, projected)
    trajectory = band(dense) if len(dense) else pd.DataFrame(columns=["date", "indicator", "model", "lower", "upper"])
    result = BackcastResult(
        table=table,
        trajectory=trajectory,
        replications_used=list(run.replications_used),
        root_seed=run.root_seed,
        failed_replications=[f.replication for f in run.failures],
        targets=targets,
    )
    write_csv(out / BACKCAST_CSV, table)
    write_csv(out / "backcast_trajectory.csv", trajectory)
    result.written += [out / BACKCAST_CSV, out / "backcast_trajectory.csv"]
    return result


# ---------------------------------------------------------------------------------------------- the record
def fit_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per indicator and fitted/held out: points compared, share inside the band (NaN where no point has a band, as
    after one replication), mean absolute relative error."""
    rows = table[table["published"].notna() & table["model"].notna()].copy()
    inside = (rows["published"] >= rows["lower"]) & (rows["published"] <= rows["upper"])
    rows["inside"] = inside.where(rows["lower"].notna() & rows["upper"].notna()).astype(float)
    rows["relative_error"] = (rows["model"] - rows["published"]).abs() / rows["published"].abs()
    grouped = rows.groupby(["indicator", "fitted"], sort=True)
    return grouped.agg(
        points=("published", "size"),
        inside_band_share=("inside", "mean"),
        mean_relative_error=("relative_error", "mean"),
    ).reset_index()


def to_markdown(result: BackcastResult, about: dict[str, Any]) -> str:
    """The back-cast record: how it was run, the fit by indicator (fitted and held out), and every point."""
    table = result.table
    lines = [
        "# Back-cast against the published trajectory 2018-2024",
        "",
        f"Generated by `python run_sim.py backcast` on {about['generated']}; do not edit by hand. Scenario "
        f"`{about['scenario']}`, {plural(len(result.replications_used), 'replication')}, root seed {about['seed']}, "
        f"results from {about['start_date']} to {about['end_date']} after {about['warm_up_days']:g} warm-up days, "
        f"{model_words(about['model'])}.",
        "",
        "Each published point is measured in the model at its own date and as it is published "
        "(sim/analysis/trajectory.py): durations over cases disposed in the quarter, outstanding cases at the "
        "date, cases started in the period. The model column is the mean across replications; lower and upper "
        "bound a Student-t 95% prediction interval for one replication, within the indicator's natural bounds. "
        + about["fitted"],
        "",
        "## Fit by indicator",
        "",
        "| indicator | points | fitted | published inside the band | mean absolute relative error |",
        "|---|---|---|---|---|",
    ]
    for r in fit_summary(table).itertuples():
        lines.append(
            f"| {r.indicator} | {r.points} | {'yes' if r.fitted else 'no (held out)'} | "
            f"{'–' if pd.isna(r.inside_band_share) else f'{r.inside_band_share:.0%}'} | {r.mean_relative_error:.0%} |"
        )
    lines += [
        "",
        "## Every point",
        "",
        "| indicator | date | published | model (95% band) | fitted | source |",
        "|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        interval = (
            f" ({as_published(r.lower, r.indicator)} to {as_published(r.upper, r.indicator)})"
            if r.lower == r.lower
            else ""
        )
        lines.append(
            f"| {r.indicator} | {r.date} | {as_published(r.published, r.indicator)} | "
            f"{as_published(r.model, r.indicator)}{interval} | "
            f"{'yes' if r.fitted else 'no'} | {r.source} |"
        )
    if result.failed_replications:
        lines += ["", f"Failed replications (left out): {', '.join(map(str, result.failed_replications))}."]
    return "\n".join(lines) + "\n"


def write_record(out: Path, result: BackcastResult, loaded: LoadedScenario, scenario: str, also: list[Path]) -> None:
    """``out/backcast.md`` and each copy in ``also`` (``docs/backcast.md`` when asked)."""
    s = loaded.scenario
    about = {
        "generated": dt.date.today().isoformat(),
        "scenario": scenario,
        "seed": result.root_seed,
        "start_date": s.start_date,
        "end_date": _last_day(loaded).date(),
        "warm_up_days": s.starting_state.warm_up_days,
        "model": run_model(out),
        "fitted": (
            f"A point is fitted when the calibration's targets file `{result.targets.as_posix()}` fitted it; the "
            "others, 2024's among them, are checks."
            if result.targets is not None
            else f"Points up to {FIT_UNTIL} may be fitted by the calibration; later points are an out-of-sample check."
        ),
    }
    text = to_markdown(result, about)
    for path in [out / BACKCAST_MD, *also]:
        write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        result.written.append(path)
