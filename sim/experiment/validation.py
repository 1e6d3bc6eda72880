"""Validation against published figures: the model's values, with 95% intervals, beside what was published.

Each indicator here is measured the way the published figure is: time to disposal over *cases disposed in
the period* (as Family Court Statistics Quarterly counts them, one per case, whatever year they began), the
open caseload at court, Cafcass caseloads per adviser. The published values, sources, tolerances and what
would explain a miss are data (``sim/data/published_figures.yaml``), not code. ``python run_sim.py validation``
writes the record (``validation.md``) and the table (``validation.csv``) into its output folder; the copy
kept with the documentation, ``docs/validation.md``, is written only when asked (``--docs``), never typed by
hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.analysis.statistics import t_interval
from sim.experiment.results_folder import read_table
from sim.model.columns import write_atomically
from sim.scenario.loading import LoadedScenario
from sim.vocabulary import DAYS_PER_YEAR, TARGET_WEEKS, WEEK_DAYS

VALIDATION_CSV, VALIDATION_MD = "validation.csv", "validation.md"
PUBLISHED_FIGURES = Path(__file__).resolve().parents[1] / "data" / "published_figures.yaml"

SNAPSHOT_MONTH_DAY = (12, 31)
"""Outstanding cases and long waits are published at the end of December: read the model at each 31 December."""


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    published: float
    period: str
    source: str
    tolerance: float
    calibrated: bool
    if_missed: str


def published_figures(path: Path = PUBLISHED_FIGURES) -> list[Figure]:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return [Figure(key=key, **entry) for key, entry in data.items()]


# ------------------------------------------------------------------------------------------ model indicators
def _cases_disposed_in_period(children: pd.DataFrame, start: pd.Timestamp) -> pd.DataFrame:
    """One row per case disposed on or after the start date (warm-up starts included, as FCSQ counts them)."""
    done = children[
        (children["status"].astype(str) == "disposed")
        & ~children["from_open_caseload"].astype(bool)
        & (pd.to_datetime(children["end_date"]) >= start)
    ]
    return done.drop_duplicates(["replication", "case_id"])


def _issued_in_period(children: pd.DataFrame, case_type: str, start: pd.Timestamp) -> pd.DataFrame:
    """Child rows of cases of one type issued at court on or after the start date (returns to court included)."""
    return children[
        (children["case_type"].astype(str) == case_type)
        & children["days_in_proceedings"].notna()
        & (pd.to_datetime(children["start_date"]) >= start)
        & ~children["from_open_caseload"].astype(bool)
    ]


def _snapshots(start: pd.Timestamp, end: pd.Timestamp) -> list[pd.Timestamp]:
    years = range(start.year, end.year + 1)
    dates = [pd.Timestamp(dt.date(y, *SNAPSHOT_MONTH_DAY)) for y in years]
    return [d for d in dates if start <= d < end] or [end - pd.Timedelta(days=1)]


def _open_at(children: pd.DataFrame, date: pd.Timestamp) -> pd.DataFrame:
    started = pd.to_datetime(children["start_date"])
    ended = pd.to_datetime(children["end_date"])
    issued = children["days_to_first_hearing"].notna() | children["days_in_proceedings"].notna()
    return children[issued & (started <= date) & (ended.isna() | (ended > date))]


def model_values(children: pd.DataFrame, timeline: pd.DataFrame, loaded: LoadedScenario) -> pd.DataFrame:
    """Per replication, the value of every validation indicator (columns: replication, key, value)."""
    scenario = loaded.scenario
    start = pd.Timestamp(scenario.start_date)
    end = start + pd.Timedelta(days=scenario.run_days)
    limits = {
        "long_term": scenario.cafcass.long_term_caseload_limit,
        "short_term": scenario.cafcass.short_term_caseload_limit,
    }
    rows: list[tuple[int, str, float]] = []
    for replication, kids in children.groupby("replication", sort=True):
        cases = _cases_disposed_in_period(kids, start)
        public = cases[cases["case_type"].astype(str) == "public_law"]
        private = cases[cases["case_type"].astype(str) == "private_law"]
        weeks = public["days_to_disposal"].to_numpy() / WEEK_DAYS
        guardian_weeks = (public["days_to_disposal"] - public["wait_cafcass_days"]).to_numpy() / WEEK_DAYS
        values: dict[str, float] = {
            "public_law_mean_weeks": float(np.mean(weeks)) if len(weeks) else np.nan,
            "public_law_median_weeks": float(np.median(weeks)) if len(weeks) else np.nan,
            "public_law_within_26_weeks_share": float(np.mean(weeks <= TARGET_WEEKS)) if len(weeks) else np.nan,
            "private_law_mean_weeks": float(private["days_to_disposal"].mean() / WEEK_DAYS),
            "cafcass_s31_involvement_weeks": float(np.mean(guardian_weeks)) if len(weeks) else np.nan,
        }
        years = scenario.run_days / DAYS_PER_YEAR
        for case_type in ("public_law", "private_law"):
            issued = _issued_in_period(kids, case_type, start)
            values[f"{case_type}_issued_per_year"] = issued["case_id"].nunique() / years
            if case_type == "public_law":
                values["public_law_children_per_case"] = float(issued.groupby("case_id").size().mean())
        waits = []
        for date in _snapshots(start, end):
            open_public = _open_at(kids[kids["case_type"].astype(str) == "public_law"], date)
            if len(open_public):
                days_open = (date - pd.to_datetime(open_public["start_date"])).dt.days
                waits.append(float(np.mean(days_open > DAYS_PER_YEAR)))
        values["public_law_children_waiting_over_a_year_share"] = float(np.mean(waits)) if waits else np.nan
        values.update(_timeline_values(timeline[timeline["replication"] == replication], start, end, limits))
        rows += [(int(replication), key, value) for key, value in values.items()]
    return pd.DataFrame(rows, columns=["replication", "key", "value"])


def _timeline_values(
    timeline: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, limits: dict[str, float]
) -> dict[str, float]:
    """Outstanding cases at each 31 December; Cafcass caseloads averaged over the results period."""
    dates = pd.to_datetime(timeline["date"])
    in_period = timeline[(dates >= start) & (dates < end)]
    by_date = in_period.groupby(["measure", "date"], observed=True)["value"]
    totals = by_date.sum().reset_index()
    snapshot_dates = _snapshots(start, end)
    values: dict[str, float] = {}
    for case_type in ("public_law", "private_law"):
        series = totals[totals["measure"].astype(str) == f"open_cases:{case_type}"].set_index("date")["value"]
        series.index = pd.to_datetime(series.index)
        at = [series[series.index <= d].iloc[-1] for d in snapshot_dates if (series.index <= d).any()]
        values[f"{case_type}_outstanding_cases"] = float(np.mean(at)) if at else np.nan
    for team, limit in limits.items():
        utilisation = in_period[in_period["measure"].astype(str) == f"utilisation:cafcass_{team}"]["value"]
        values[f"cafcass_{team}_caseload"] = float(utilisation.mean() * limit)
    return values


# ------------------------------------------------------------------------------------------ the table
def validation_table(values: pd.DataFrame, figures: list[Figure] | None = None) -> pd.DataFrame:
    """One row per published figure: the model's mean and 95% interval, and whether it is within tolerance."""
    rows = []
    for figure in figures or published_figures():
        series = values.loc[values["key"] == figure.key, "value"].to_numpy()
        mean, low, high, _, n = t_interval(series)
        gap = (mean - figure.published) / figure.published if figure.published else np.nan
        rows.append(
            {
                "key": figure.key,
                "indicator": figure.label,
                "published": figure.published,
                "period": figure.period,
                "source": figure.source,
                "model_mean": mean,
                "ci95_low": low,
                "ci95_high": high,
                "replications": n,
                "difference_share": gap,
                "tolerance": figure.tolerance,
                "within_tolerance": bool(abs(gap) <= figure.tolerance) if n else False,
                "calibrated_to_it": figure.calibrated,
                "if_missed": figure.if_missed,
            }
        )
    return pd.DataFrame(rows)


def _number(value: float, like: float) -> str:
    if value != value:  # NaN
        return "–"
    if like < 1:
        return f"{value:.0%}" if abs(value) >= 0.01 else f"{value:.1%}"
    return f"{value:,.0f}" if like >= 1000 else f"{value:,.1f}"


def to_markdown(table: pd.DataFrame, about: dict[str, Any]) -> str:
    """The validation record: a table, then what explains each miss."""
    lines = [
        "# Validation against published figures",
        "",
        "Generated by `python run_sim.py validation` on "
        f"{about['generated']}; do not edit by hand. Scenario `{about['scenario']}` ({about['replications']} "
        f"replications, root seed {about['seed']}, {about['run_years']:g} years of results from "
        f"{about['start_date']} after {about['warm_up_days']:g} warm-up days). To regenerate: "
        f"`python run_sim.py validation {about['scenario']} --replications {about['replications']} --docs`.",
        "",
        "Time to disposal is measured over cases disposed in the results period, one per case, as FCSQ counts "
        "them; outstanding cases and long waits at each 31 December in the results period. The interval is a "
        "Student-t 95% confidence interval across replications.",
        "",
        "| indicator | published (period, source) | model (95% interval) | difference | within tolerance |",
        "|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        interval = (
            f" ({_number(r.ci95_low, r.published)} to {_number(r.ci95_high, r.published)})"
            if r.ci95_low == r.ci95_low
            else ""
        )
        verdict = "yes" if r.within_tolerance else "**no**"
        tag = " (calibrated to it)" if r.calibrated_to_it else ""
        lines.append(
            f"| {r.indicator} | {_number(r.published, r.published)} ({r.period}, {r.source}) | "
            f"{_number(r.model_mean, r.published)}{interval} | {r.difference_share:+.0%} | "
            f"{verdict} (±{r.tolerance:.0%}){tag} |"
        )
    misses = table[~table["within_tolerance"]]
    lines += ["", "## Misses and what would explain them", ""]
    if misses.empty:
        lines.append("None: every indicator is within its tolerance.")
    for r in misses.itertuples():
        lines.append(
            f"- **{r.indicator}**: model {_number(r.model_mean, r.published)} against "
            f"{_number(r.published, r.published)} published. {r.if_missed}"
        )
    calibrated = table[table["calibrated_to_it"]]["indicator"].tolist()
    lines += [
        "",
        "## What a match means",
        "",
        "The baseline was calibrated by hand to " + "; ".join(calibrated).lower() + " (see docs/assumptions.md), "
        "so matching them shows the calibration holds in this run, not that the model is right. The other rows "
        "were not tuned and are the independent checks.",
        "",
    ]
    return "\n".join(lines)


def validate_run(out: Path, loaded: LoadedScenario) -> pd.DataFrame:
    """The validation table for a finished run directory (:class:`ResultsDirError` if it has no combined tables)."""
    children = read_table(out, "children")
    timeline = read_table(out, "timeline")
    return validation_table(model_values(children, timeline, loaded))


# ------------------------------------------------------------------------------------------ the record
@dataclass
class ValidationRecord:
    """What :func:`write_validation` wrote: the table and the files."""

    table: pd.DataFrame
    written: list[Path]


def write_validation(
    out: Path, loaded: LoadedScenario, scenario: str, also: list[Path] | tuple[Path, ...] = ()
) -> ValidationRecord:
    """Validate the finished run in ``out``: write ``out/validation.csv`` and ``out/validation.md``, and the same
    record to each path of ``also`` (``docs/validation.md`` when the command is asked for it).

    ``scenario`` is the scenario as the command was given it, quoted in the record's "to regenerate" line.
    """
    out = Path(out)
    table = validate_run(out, loaded)
    s = loaded.scenario
    about = {
        "generated": dt.date.today().isoformat(),
        "scenario": scenario,
        "seed": s.seed,
        "replications": int(table["replications"].max()),
        "run_years": s.run_years,
        "start_date": s.start_date,
        "warm_up_days": s.starting_state.warm_up_days,
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
    """One line per figure: ok or MISS, the model's value and the published one."""
    return [
        f"{'ok  ' if r.within_tolerance else 'MISS'} {r.indicator}: model {_number(r.model_mean, r.published)}, "
        f"published {_number(r.published, r.published)}"
        for r in table.itertuples()
    ]
