"""Suggest a warm-up period: ``python run_sim.py warmup SCENARIO [--replications N] [--years Y]``.

The scenario is run from empty (no warm-up, no declared open caseload, no policies) for ``--years`` (default:
its warm-up plus its run), and two output series are averaged across replications, one value per monitoring
interval:

* the open caseload (children in open cases, all regions), from the timeline;
* time in system: the mean weeks from issue to disposal of children whose case was disposed in the interval.

For each series the MSER-5 rule (White 1997; White, Cobb and Spratt 2000) picks the truncation point: the
series is cut into batches of five observations and the number of batches d dropped from the start is the
one (in the first half of the series) that minimises the squared standard error of the mean of the rest,
``sum((Y_i - mean)^2) / (n - d)^2``. The suggestion is the larger of the two, rounded up to whole weeks.
Welch's moving averages of both series are plotted (``welch.png``, by
:func:`sim.outputs.experiment_figures.write_warmup_figure`) so the suggestion can be checked by eye.

MSER-5 cannot see a transient slower than one year's noise: a list held in check only by withdrawals settles with a
time constant of one over the withdrawal rate (1.6 years at 1.2% a week; docs/calibration.md, "The lay-justices fit
under a warm-up rule"), and a baseline given MSER-5's warm-up then failed the stationarity test. So the suggestion
is checked the way a run checks itself (:mod:`sim.analysis.drift`): the run from empty's headline series, year by
year in each replication, are tested for drift after each whole-year warm-up from MSER-5's (rounded up) on, and the
first after which no series drifts is the one to set (:func:`settled_warm_up`).
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.drift import YEAR, drift_from_indicators
from sim.analysis.rows import DISPOSAL_COLUMNS, disposed_rows
from sim.experiment.owned_files import write_atomically, writes_into
from sim.experiment.replications import run_experiment, write_csv
from sim.experiment.results_folder import prepare_directory, read_parquet, replication_dir
from sim.scenario.loading import LoadedScenario, scenario_from_dict
from sim.vocabulary import DAYS_PER_YEAR, WEEK_DAYS

BATCH = 5
MIN_YEARS_TESTED = 3
"""Whole years a warm-up must leave in the run from empty for its drift test: a slope over two points has no spread."""


def mser(series: np.ndarray, batch: int = BATCH) -> int:
    """MSER-``batch`` truncation point, in observations of ``series`` (leading missing values are dropped too)."""
    y = np.asarray(series, dtype=float)
    finite = np.flatnonzero(np.isfinite(y))
    if len(finite) == 0:
        return 0
    lead = int(finite[0])
    y = pd.Series(y[lead:]).interpolate(limit_direction="both").to_numpy()
    n = len(y) // batch
    if n < 2:
        return lead
    means = y[: n * batch].reshape(n, batch).mean(axis=1)
    statistic = [float(np.sum((means[d:] - means[d:].mean()) ** 2)) / (n - d) ** 2 for d in range(n // 2 + 1)]
    best_d = int(np.argmin(statistic))  # the first of equal minima
    return lead + best_d * batch


def welch_moving_average(series: np.ndarray, window: int) -> np.ndarray:
    """Welch's moving average: a centred mean over 2w+1 values, shorter (2i+1) near the start."""
    y = np.asarray(series, dtype=float)
    out = np.full(len(y) - window, np.nan) if len(y) > window else np.full(0, np.nan)
    for i in range(len(out)):
        half = min(i, window)
        window_values = y[i - half : i + half + 1]
        window_values = window_values[np.isfinite(window_values)]
        out[i] = window_values.mean() if len(window_values) else np.nan
    return out


def from_empty(loaded: LoadedScenario, years: float | None) -> LoadedScenario:
    """The scenario with no warm-up, no open caseload and no policies, run from its simulation start."""
    scenario = loaded.scenario
    data = copy.deepcopy(loaded.source.data)
    data["starting_state"] = {"warm_up_days": 0}
    data["policies"] = []
    data["start_date"] = scenario.sim_start_date.isoformat()
    data["run_years"] = years if years else scenario.run_years + scenario.starting_state.warm_up_days / DAYS_PER_YEAR
    return scenario_from_dict(data, name=f"{loaded.path} [from empty]")


def series(out: Path, replications: list[int], interval: float) -> pd.DataFrame:
    """Open children and time in system per monitoring interval, averaged across replications."""
    per_rep = []
    for r in replications:
        directory = replication_dir(out, r)
        timeline = read_parquet(directory / "timeline.parquet").to_pandas()
        open_children = timeline[timeline["measure"].astype(str) == "open_children"].groupby("date")["value"].sum()
        dates = pd.to_datetime(open_children.index)
        start = dates.min()
        period = ((dates - start).days / interval).round().astype(int)
        frame = pd.DataFrame({"period": period, "open_children": open_children.to_numpy(), "date": dates})
        frame = frame.drop_duplicates("period")  # the run's end snapshot, when it falls in the last interval's period
        columns = [*DISPOSAL_COLUMNS, "end_date"]
        children = disposed_rows(read_parquet(directory / "children.parquet", columns=columns).to_pandas())
        ended = ((pd.to_datetime(children["end_date"]) - start).dt.days // interval).astype(int)
        weeks = (children["days_to_disposal"] / WEEK_DAYS).groupby(ended.to_numpy()).mean()
        frame["time_in_system_weeks"] = frame["period"].map(weeks)
        frame["replication"] = r
        per_rep.append(frame)
    both = pd.concat(per_rep, ignore_index=True)
    return (
        both.groupby("period", sort=True)
        .agg(
            date=("date", "first"),
            open_children_mean=("open_children", "mean"),
            time_in_system_weeks_mean=("time_in_system_weeks", "mean"),
        )
        .reset_index()
    )


def suggest(table: pd.DataFrame, interval: float, per_replication: pd.DataFrame | None = None) -> dict[str, Any]:
    """MSER-5's warm-up, checked for drift after it (``per_replication``: the run's indicator rows) when given.

    ``warm_up_days`` is the one to set: the settled whole-year warm-up when one is found, MSER-5's otherwise.
    """
    found: dict[str, Any] = {}
    for column in ("open_children_mean", "time_in_system_weeks_mean"):
        cut = mser(table[column].to_numpy())
        found[column] = {"observations": cut, "days": cut * interval, "of_observations": len(table)}
    days = max(v["days"] for v in found.values())
    mser_days = math.ceil(days / 7) * 7
    near_half = any(v["observations"] >= 0.45 * v["of_observations"] for v in found.values())
    settled = settled_warm_up(per_replication, mser_days) if per_replication is not None else None
    chosen = settled["warm_up_days"] if settled and settled["warm_up_days"] is not None else mser_days
    unsettled = settled is not None and settled["warm_up_days"] is None and bool(settled["checked"])
    return {
        "warm_up_days": chosen,
        "mser_warm_up_days": mser_days,
        "series": found,
        "settled": settled,
        "may_not_settle": near_half or unsettled,
    }


def whole_years_days(years: int) -> int:
    """Days in a warm-up of whole years (three years: 1,096; five: 1,826, as in the baseline)."""
    return round(years * DAYS_PER_YEAR)


def settled_warm_up(per_replication: pd.DataFrame, from_days: float) -> dict[str, Any]:
    """The first whole-year warm-up, from ``from_days`` rounded up, after which no headline series drifts.

    ``per_replication`` holds a run from empty's indicator rows, with the headline series year by year
    (:func:`sim.analysis.drift.yearly_rows`). Each candidate leaves at least :data:`MIN_YEARS_TESTED` years to test
    (:func:`sim.analysis.drift.drift_from_indicators`); ``warm_up_days`` is None when none within the run settles,
    and ``checked`` lists what drifted after each candidate.
    """
    rows = per_replication[per_replication["breakdown"] == YEAR]
    years = rows["group"].astype(int)
    last_year = int(years.max()) if len(rows) else 0
    first = max(0, math.ceil(from_days / DAYS_PER_YEAR - 1e-9))
    checked = []
    for warm_years in range(first, last_year - MIN_YEARS_TESTED + 1):
        table = drift_from_indicators(rows[years > warm_years])
        drifting = table.loc[table["drifts"], "indicator"].astype(str).tolist()
        checked.append({"years": warm_years, "years_tested": last_year - warm_years, "drifting": drifting})
        if not drifting:
            return {"warm_up_days": whole_years_days(warm_years), "years": warm_years, "checked": checked}
    return {"warm_up_days": None, "years": None, "checked": checked}


@writes_into("out")
def warmup(
    loaded: LoadedScenario,
    out: Path,
    *,
    replications: int,
    years: float | None = None,
    seed: int | None = None,
    executor: Any = None,
    show_progress: bool = False,
    argv: list[str] | None = None,
    log: Any = None,
    window: int | None = None,
    model: str | None = None,
) -> dict[str, Any]:
    """Run ``loaded`` from empty into ``out/runs`` and suggest a warm-up from its series (``model``: as for
    :func:`~sim.experiment.replications.run_experiment`)."""
    empty = from_empty(loaded, years)
    runs = out / "runs"
    prepare_directory(runs, force=False)  # with --force, the caller has removed an earlier run's files here
    run = run_experiment(
        empty,
        runs,
        replications=replications,
        seed=seed,
        executor=executor,
        show_progress=show_progress,
        argv=argv,
        log=log,
        extra_manifest={"warmup_analysis": {"scenario": loaded.path}},
        model=model,
    )
    interval = empty.scenario.monitor_interval_days
    table = series(runs, run.replications_used, interval)
    result = suggest(table, interval, run.indicators)
    window = window or max(1, len(table) // 20)
    write_csv(out / "warmup.csv", table)
    result.update(
        {
            "scenario": loaded.path,
            "replications": run.replications_used,
            "run_years_from_empty": empty.scenario.run_years,
            "monitor_interval_days": interval,
            "method": f"MSER-{BATCH} on the across-replication mean of each series, then the first whole-year "
            f"warm-up after which no headline series drifts (at least {MIN_YEARS_TESTED} years tested); Welch "
            f"window {window}",
            "welch_window": window,
            "failed_replications": [f.replication for f in run.failures],
        }
    )
    text = json.dumps(result, indent=2, default=str) + "\n"
    write_atomically(out / "warmup.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return result
