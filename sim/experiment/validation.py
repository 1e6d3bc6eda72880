"""Validation against published figures: the model's values at each figure's own date, beside what was published.

Each figure has a date, and a flow (a duration, cases started, a caseload averaged over months) the first day
of its period too (``sim/data/published_figures.yaml``). It is measured in the model the way it is published,
at that date, by the back-cast's measure (:func:`sim.analysis.trajectory.measure`): time to disposal over *cases
disposed in the period* (as Family Court Statistics Quarterly counts them, one per case, whatever year they
began), outstanding cases at the end of the date, Cafcass caseloads per worker over the period. A figure
whose date or period is not wholly inside the run's results period (its start date to
:func:`sim.analysis.periods.last_day`) is listed as outside the run, not compared. The published values,
dates, sources, tolerances and what would explain a miss are data, not code.

``python run_sim.py validation`` writes the record (``validation.md``) and the table (``validation.csv``) into
its output folder; the copy kept with the documentation, ``docs/validation.md``, is written only when asked
(``--docs``), never typed by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.analysis.periods import inside, last_day
from sim.analysis.run_reading import CHILD_COLUMNS
from sim.analysis.statistics import ROUGH_BELOW_REPLICATIONS, as_published, interval, interval_method
from sim.analysis.trajectory import MEASURES, STOCKS, measure
from sim.experiment.manifest import run_model
from sim.experiment.owned_files import write_atomically
from sim.experiment.run_tables import check_results_dir, columns_in, read_table, replication_frames
from sim.scenario.loading import LoadedScenario
from sim.vocabulary import model_words

VALIDATION_CSV, VALIDATION_MD = "validation.csv", "validation.md"
PUBLISHED_FIGURES = Path(__file__).resolve().parents[1] / "data" / "published_figures.yaml"
COMPARED, OUTSIDE, NO_VALUE = "compared", "outside the run", "no model value"
"""A figure's status: measured at its date and compared, dated outside the results period, or inside it but with
nothing to measure (no case disposed in its period, say)."""

RunPeriod = tuple[pd.Timestamp, pd.Timestamp]
"""(first day, last day) of a run's results period, both included."""


class FiguresError(ValueError):
    """The published figures file is malformed (the message names the file and the figure)."""


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    indicator: str
    """How the model measures it: a name in :data:`sim.analysis.trajectory.MEASURES`."""
    published: float
    period: str
    """The period as published, for the reader."""
    start: dt.date | None
    """The first day of a flow's period (None for a stock)."""
    date: dt.date
    """The day a stock is read at the end of, or the last day of a flow's period."""
    source: str
    tolerance: float
    calibrated: bool
    if_missed: str


def _figure(key: str, entry: dict[str, Any], path: Path) -> Figure:
    """One figure, checked: a known indicator, a date, and a period start exactly when it is a flow."""
    where = f"{path.name}: {key}"
    try:
        figure = Figure(key=key, **{"start": None, **entry})
    except TypeError as err:
        raise FiguresError(f"{where}: {err}") from None
    if figure.indicator not in MEASURES:
        raise FiguresError(
            f"{where}: indicator '{figure.indicator}' is not one the model measures ({', '.join(MEASURES)})"
        )
    if not isinstance(figure.date, dt.date):
        raise FiguresError(f"{where}: date must be a day such as 2024-12-31, not {figure.date!r}")
    if figure.indicator in STOCKS and figure.start is not None:
        raise FiguresError(f"{where}: {figure.indicator} is read at a date: give no start")
    if figure.indicator not in STOCKS and not isinstance(figure.start, dt.date):
        raise FiguresError(f"{where}: {figure.indicator} is a flow over a period: give its first day as start")
    if figure.start is not None and figure.start > figure.date:
        raise FiguresError(f"{where}: start {figure.start} is after date {figure.date}")
    return figure


def published_figures(path: Path = PUBLISHED_FIGURES) -> list[Figure]:
    """Every figure of the file, in its order (:class:`FiguresError` naming the figure if one is malformed)."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return [_figure(key, entry, Path(path)) for key, entry in data.items()]


def run_period(loaded: LoadedScenario) -> RunPeriod:
    """The first and last day of the scenario's results period (:func:`sim.analysis.periods.last_day`)."""
    scenario = loaded.scenario
    return pd.Timestamp(scenario.start_date), last_day(scenario.start_date, scenario.run_years)


def figure_points(figures: list[Figure]) -> pd.DataFrame:
    """The figures as points to measure: ``key, indicator, start, date``."""
    return pd.DataFrame(
        {
            "key": [f.key for f in figures],
            "indicator": [f.indicator for f in figures],
            "start": pd.to_datetime([f.start for f in figures]),
            "date": pd.to_datetime([f.date for f in figures]),
        }
    )


def inside_run(figures: list[Figure], run: RunPeriod) -> list[bool]:
    """Whether each figure's date, and a flow's whole period, lies in the results period."""
    return inside(figure_points(figures), *run).tolist() if figures else []


# ------------------------------------------------------------------------------------------ model values
def model_values(
    children: pd.DataFrame, timeline: pd.DataFrame | None, loaded: LoadedScenario, figures: list[Figure] | None = None
) -> pd.DataFrame:
    """Per replication, the value of every figure inside the run at its own date (columns: replication, key,
    value), measured as the trajectory is (:func:`sim.analysis.trajectory.measure`)."""
    figures = published_figures() if figures is None else figures
    chosen = [f for f, within in zip(figures, inside_run(figures, run_period(loaded)), strict=True) if within]
    if not chosen or children.empty:
        return pd.DataFrame(columns=["replication", "key", "value"])
    points = figure_points(chosen)
    measured = measure(children, timeline, points)  # replication by replication, each in the points' order
    replications = len(measured) // len(points)
    return pd.DataFrame(
        {
            "replication": measured["replication"].to_numpy(),
            "key": np.tile(points["key"].to_numpy(), replications),
            "value": measured["model"].to_numpy(dtype=float),
        }
    )


# ------------------------------------------------------------------------------------------ the table
def _when(figure: Figure) -> str:
    return f"{figure.start} to {figure.date}" if figure.start is not None else str(figure.date)


def validation_table(values: pd.DataFrame, run: RunPeriod, figures: list[Figure] | None = None) -> pd.DataFrame:
    """One row per published figure, in the file's order: where it was measured, the model's mean and 95% interval,
    the difference and whether it is within tolerance; a figure outside ``run`` is listed, not compared."""
    figures = published_figures() if figures is None else figures
    rows = []
    for figure, within in zip(figures, inside_run(figures, run), strict=True):
        series = values.loc[values["key"] == figure.key, "value"].to_numpy(dtype=float) if within else np.array([])
        mean, low, high, _, n = interval(series, interval_method(figure.indicator))
        status = OUTSIDE if not within else COMPARED if n else NO_VALUE
        difference = mean - figure.published
        rows.append(
            {
                "key": figure.key,
                "indicator": figure.label,
                "measure": figure.indicator,
                "published": figure.published,
                "period": figure.period,
                "measured_at": _when(figure),
                "source": figure.source,
                "status": status,
                "model_mean": mean,
                "ci95_low": low,
                "ci95_high": high,
                "replications": n,
                "rough": 0 < n < ROUGH_BELOW_REPLICATIONS,
                "difference": difference,
                "difference_share": difference / figure.published if figure.published else np.nan,
                "tolerance": figure.tolerance,
                "within_tolerance": bool(n and abs(difference) <= figure.tolerance * abs(figure.published)),
                "calibrated_to_it": figure.calibrated,
                "if_missed": figure.if_missed,
            }
        )
    return pd.DataFrame(rows)


def _verdict(r: Any, run_text: str) -> str:
    if r.status == OUTSIDE:
        return f"outside the run ({run_text}): not compared"
    if r.status == NO_VALUE:
        return "no model value: not compared"
    tag = " (calibrated to it)" if r.calibrated_to_it else ""
    return f"{'yes' if r.within_tolerance else '**no**'} (±{r.tolerance:.0%}){tag}"


def to_markdown(table: pd.DataFrame, about: dict[str, Any]) -> str:
    """The validation record: how figures are compared, a table, then what explains each miss."""
    run_text = f"results {about['start_date']} to {about['last_day']}"
    lines = [
        "# Validation against published figures",
        "",
        "Generated by `python run_sim.py validation` on "
        f"{about['generated']}; do not edit by hand. Scenario `{about['scenario']}` ({about['replications']} "
        f"replications, root seed {about['seed']}, {about['run_years']:g} years of results from "
        f"{about['start_date']} to {about['last_day']} after {about['warm_up_days']:g} warm-up days, "
        f"{model_words(about['model'])}). To regenerate: `python run_sim.py validation {about['scenario']} "
        f"--replications {about['replications']} --model {about['model']} --docs`.",
        "",
        "Each published figure is measured in the model at its own date, the way it is published (the back-cast's "
        "measure, sim/analysis/trajectory.py): a stock (outstanding cases, long waits) at the end of its date, a "
        "flow over its period (time to disposal over cases disposed in the period, one per case, as FCSQ counts "
        "them; cases started; Cafcass caseloads averaged over the period). The model column is the mean across "
        "replications with a 95% confidence interval of that mean that stays within the values the figure can "
        "take (a share in 0-1, a count or a time not below zero: sim/analysis/statistics.py). A figure is within "
        "tolerance when the model's mean differs from the published value by no more than the tolerance, a share "
        "of the published value. A figure whose date or period is not wholly inside the results period "
        f"({about['start_date']} to {about['last_day']}, both days included) is listed as outside the run and "
        "not compared: no value of another date stands in for it."
        + (
            f" With {about['replications']} replications (fewer than {ROUGH_BELOW_REPLICATIONS}) the intervals are "
            "rough: they rest on a rough estimate of the spread."
            if int(about["replications"]) < ROUGH_BELOW_REPLICATIONS
            else ""
        ),
        "",
        "| indicator | published (period, source) | measured at | model (95% interval) | difference | "
        "within tolerance |",
        "|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        interval = (
            f" ({as_published(r.ci95_low, r.measure)} to {as_published(r.ci95_high, r.measure)})"
            if r.ci95_low == r.ci95_low
            else ""
        )
        difference = f"{r.difference_share:+.0%}" if r.difference_share == r.difference_share else "–"
        lines.append(
            f"| {r.indicator} | {as_published(r.published, r.measure)} ({r.period}, {r.source}) | {r.measured_at} | "
            f"{as_published(r.model_mean, r.measure)}{interval} | {difference} | {_verdict(r, run_text)} |"
        )
    compared = table[table["status"] == COMPARED]
    misses = compared[~compared["within_tolerance"]]
    lines += ["", "## Misses and what would explain them", ""]
    if misses.empty:
        lines.append("None: every figure compared is within its tolerance.")
    for r in misses.itertuples():
        lines.append(
            f"- **{r.indicator}**: model {as_published(r.model_mean, r.measure)} against "
            f"{as_published(r.published, r.measure)} published. {r.if_missed}"
        )
    outside = table[table["status"] == OUTSIDE]
    if not outside.empty:
        lines += [
            "",
            "## Outside the run",
            "",
            f"{len(outside)} of {len(table)} figures are dated outside this run's results period ({run_text}): "
            + "; ".join(f"{r.indicator} ({r.measured_at})" for r in outside.itertuples())
            + ". A scenario whose results period covers their dates compares them.",
        ]
    calibrated = table[table["calibrated_to_it"]]["indicator"].tolist()
    lines += [
        "",
        "## What a match means",
        "",
        "The model's free parameters were fitted by an optimiser to the published trajectory up to the end of 2023 "
        "(`calibrate model`, scenarios/calibration/backcast_targets.yaml, docs/calibration.md), whose points "
        "include or overlap "
        + ("; ".join(calibrated).lower() or "none of these figures")
        + ", so matching them shows the fit holds in this run, not that the model is right. The other rows "
        "were not fitted and are the independent checks.",
        "",
    ]
    return "\n".join(lines)


def validate_run(out: Path, loaded: LoadedScenario) -> pd.DataFrame:
    """The validation table for a finished run directory (:class:`ResultsDirError` if it has no tables), measured
    one replication at a time: each replication's values depend on its own rows only."""
    check_results_dir(out)
    present = set(columns_in(out, "children"))  # a run written before a column was added reads without it
    columns = [c for c in CHILD_COLUMNS if c in present]
    values = [
        model_values(children, read_table(out, "timeline", r), loaded)
        for r, children in replication_frames(out, "children", columns=columns)
    ]
    values = [v for v in values if not v.empty]
    measured = pd.concat(values, ignore_index=True) if values else model_values(pd.DataFrame(), None, loaded)
    return validation_table(measured, run_period(loaded))


# ------------------------------------------------------------------------------------------ the record
@dataclass
class ValidationRecord:
    """What :func:`write_validation` wrote: the table and the files."""

    table: pd.DataFrame
    written: list[Path]


def write_validation(
    out: Path,
    loaded: LoadedScenario,
    scenario: str,
    also: list[Path] | tuple[Path, ...] = (),
    seed: int | None = None,
) -> ValidationRecord:
    """Validate the finished run in ``out``: write ``out/validation.csv`` and ``out/validation.md``, and the same
    record to each path of ``also`` (``docs/validation.md`` when the command is asked for it).

    ``scenario`` is the scenario as the command was given it, quoted in the record's "to regenerate" line;
    ``seed`` the run's root seed when it was not the scenario's.
    """
    out = Path(out)
    table = validate_run(out, loaded)
    s = loaded.scenario
    about = {
        "generated": dt.date.today().isoformat(),
        "scenario": scenario,
        "seed": s.seed if seed is None else seed,
        "replications": int(table["replications"].max()),
        "run_years": s.run_years,
        "start_date": s.start_date,
        "last_day": run_period(loaded)[1].date(),
        "warm_up_days": s.starting_state.warm_up_days,
        "model": run_model(out),
        "out": out,
    }
    text = to_markdown(table, about)
    csv = out / VALIDATION_CSV
    write_atomically(csv, lambda tmp: table.to_csv(tmp, index=False))
    written = [csv]
    for path in [out / VALIDATION_MD, *map(Path, also)]:
        write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        written.append(path)
    return ValidationRecord(table, written)


def summary_lines(table: pd.DataFrame) -> list[str]:
    """One line per figure: ok, MISS, out (of the run) or none (no model value); the model's value, the published."""
    lines = []
    for r in table.itertuples():
        published = as_published(r.published, r.measure)
        if r.status == COMPARED:
            verdict = "ok  " if r.within_tolerance else "MISS"
            model = f"model {as_published(r.model_mean, r.measure)}"
        else:
            verdict, model = ("out " if r.status == OUTSIDE else "none"), r.status
        lines.append(f"{verdict} {r.indicator} ({r.measured_at}): {model}, published {published}")
    return lines
