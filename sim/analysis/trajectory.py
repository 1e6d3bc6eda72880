"""The model measured the way figures are published, at their own dates: one value per replication and point.

:func:`measure` takes a run's children table (one or many replications), its timeline (or None) and the
published points (:func:`sim.experiment.trajectory.published_trajectory`, or any frame with ``indicator``,
``start`` and ``date``) and returns ``replication, date, indicator, model``, replication by replication and each
in the points' order. Periods are whole days, both ends included; a stock is read at the end of its ``date``.
The validation (:mod:`sim.experiment.validation`), the back-cast and the model calibration all measure here.

* **Outstanding cases** (``*_outstanding_*``): cases issued and not disposed at the end of the date, by case
  type, one per case, counted from the children table: issued on or before the date and not closed by its end.
  This is the model's own count of open cases (the timeline's ``open_cases`` at the next midnight, which a test
  checks), read at the date itself: the timeline's snapshots come every ``monitor_interval_days``, so the last one
  before a date can be up to a week early, and in the Christmas recess, when lists stop and open cases climb, a
  week is hundreds of cases. Warm-up cases and the declared open caseload count: the courts count every open case.
* **Change on the year**: outstanding at the date less outstanding a year (365 days) before.
* **Children waiting over a year** (a stock): of the children in public law cases outstanding at the end of
  the date, the share whose case had then been open longer than a year (:data:`DAYS_PER_YEAR` days).
* **Mean and median weeks to disposal** and **share within 26 weeks**: over cases *disposed in the period*, one
  per case, weeks from issue to disposal (public law: first disposal, which is the model's one disposal of a care
  case; private law, both routes: the final order, case closure), whenever they started. Cases of the declared
  open caseload count with their declared issue dates.
* **Private law mean weeks to first disposal**: over cases whose *first disposal* fell in the period, weeks from
  issue to it: of another application disposed of at the FHDRA
  (``private_law.first_disposal_at_first_hearing_share``), else the final order. Read from
  ``days_to_first_disposal``; a children table without that column reads the disposal.
* **Cafcass involvement in care cases**: weeks from issue to disposal less the weeks spent waiting for Cafcass
  (a guardian holds the case from allocation to the order), over public law cases disposed in the period.
* **Cases started**: cases issued in the period (returns to court included), one per case; **children per
  case**: the mean children of those cases.
* **Hearings per case**: mean hearings of cases disposed in the period.
* **Cafcass caseloads per worker**: as Cafcass publishes its average caseload, for England: at each snapshot the
  work its advisers held (``caseload_per_worker`` times ``workers``) summed over the regions Cafcass serves, over
  their advisers, averaged over the snapshots in the period (needs the timeline); a caseload published for a month
  (``cafcass_long_term_caseload``, a stock) is read at the last snapshot of that month. Until 2026-12-01 it was
  the plain mean over all regions, Wales included, whose short-term teams do little after Pathfinder.
* **Cafcass unallocated** (``cafcass_short_term_unallocated``, ``cafcass_long_term_unallocated``; stocks): work
  waiting for a Cafcass worker at the last snapshot taken by the end of the date, summed over regions (needs the
  timeline). A snapshot is taken at midnight, so one dated the day after is the state at the end of the date.
* **Cafcass open cases and children** (``cafcass_open_cases``, ``cafcass_open_children``; stocks): the work
  Cafcass's short- and long-term teams have received and not given back (allocated or waiting; a piece of work is
  a case), or the children in it, at the last snapshot taken by the end of the date, summed over the regions that
  Cafcass serves (not :data:`sim.vocabulary.CAFCASS_CYMRU_REGIONS`).

:func:`band` puts the mean and a 95% prediction interval across replications on each point.

A point of one region is named as the run's indicators name a group, ``NAME[region=REGION]``
(``public_law_mean_weeks[region=wales]``): the same measure over that region's cases only (and, for a stock, that
region's snapshots), so the published regional spread is read exactly as the national figure is.

An indicator the model does not measure (an input such as days sat, or a figure counted on another basis) has
a missing value, as has a period in which nothing was disposed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from sim.analysis.run_reading import (
    ONE_DAY,
    Reading,
    cases_of,
    disposed_in,
    mean_or_nan,
)
from sim.analysis.statistics import MIN_REPLICATIONS_FOR_INTERVAL, natural_bounds, t_distribution
from sim.vocabulary import (
    CAFCASS_CYMRU_REGIONS,
    DAYS_PER_YEAR,
    TARGET_WEEKS,
    TEAM_AGENCY,
    TEAM_KINDS,
)

MEASURE_COLUMNS = ["replication", "date", "indicator", "model"]
DAYS_IN_A_YEAR_BEFORE = 365
"""'Change on the year' compares the date with the same date a (non-leap) year before."""
REGIONAL_LABEL = re.compile(r"(?P<indicator>[^\[\]]+)\[region=(?P<region>[^\[\]]+)\]")
"""``NAME[region=REGION]``: a point of one region, labelled as :mod:`sim.analysis.indicators` labels a group."""


def split_region(label: str) -> tuple[str, str | None]:
    """(indicator, region) of a point's label; the region is None for a national point."""
    match = REGIONAL_LABEL.fullmatch(label)
    return (match["indicator"], match["region"]) if match else (label, None)


Measure = Callable[[Reading, pd.Timestamp, pd.Timestamp], float]
"""(reading, period start or NaT, date) -> the model's value."""

PUBLIC, PRIVATE, DOMESTIC_ABUSE = ("public_law",), ("private_law",), ("domestic_abuse",)


def _outstanding(case_types: tuple[str, ...]) -> Measure:
    return lambda reading, start, date: reading.outstanding(case_types, date)


def _change_on_year(case_types: tuple[str, ...]) -> Measure:
    def value(reading: Reading, start: pd.Timestamp, date: pd.Timestamp) -> float:
        before = date - pd.Timedelta(days=DAYS_IN_A_YEAR_BEFORE)
        return reading.outstanding(case_types, date) - reading.outstanding(case_types, before)

    return value


def _mean_weeks(case_types: tuple[str, ...]) -> Measure:
    return lambda reading, start, date: mean_or_nan(disposed_in(reading.of(case_types), start, date)["weeks"])


def _mean_weeks_to_first_disposal(case_types: tuple[str, ...]) -> Measure:
    def value(reading: Reading, start: pd.Timestamp, date: pd.Timestamp) -> float:
        cases = reading.of(case_types)
        ordered = (cases["first_disposal"] >= start) & (cases["first_disposal"] <= date)
        return mean_or_nan(cases.loc[ordered, "first_disposal_weeks"])

    return value


def _within_26_weeks(case_types: tuple[str, ...]) -> Measure:
    def value(reading: Reading, start: pd.Timestamp, date: pd.Timestamp) -> float:
        weeks = disposed_in(reading.of(case_types), start, date)["weeks"]
        return mean_or_nan(weeks <= TARGET_WEEKS)

    return value


def _started(case_types: tuple[str, ...]) -> Measure:
    def value(reading: Reading, start: pd.Timestamp, date: pd.Timestamp) -> float:
        cases = reading.of(case_types)
        return float(((cases["start"] >= start) & (cases["start"] <= date)).sum())

    return value


def _hearings(case_types: tuple[str, ...]) -> Measure:
    return lambda reading, start, date: mean_or_nan(disposed_in(reading.of(case_types), start, date)["hearings"])


def _median_weeks(case_types: tuple[str, ...]) -> Measure:
    def value(reading: Reading, start: pd.Timestamp, date: pd.Timestamp) -> float:
        weeks = disposed_in(reading.of(case_types), start, date)["weeks"]
        return float(weeks.median()) if len(weeks) else np.nan

    return value


def _weeks_less_cafcass_wait(case_types: tuple[str, ...]) -> Measure:
    def value(reading: Reading, start: pd.Timestamp, date: pd.Timestamp) -> float:
        cases = disposed_in(reading.of(case_types), start, date)
        return mean_or_nan(cases["weeks"] - cases["cafcass_wait_weeks"])

    return value


def _children_per_case_started(case_types: tuple[str, ...]) -> Measure:
    def value(reading: Reading, start: pd.Timestamp, date: pd.Timestamp) -> float:
        cases = reading.of(case_types)
        return mean_or_nan(cases.loc[(cases["start"] >= start) & (cases["start"] <= date), "children"])

    return value


def _children_open_over_a_year(case_types: tuple[str, ...]) -> Measure:
    def value(reading: Reading, start: pd.Timestamp, date: pd.Timestamp) -> float:
        cases = reading.open_at(case_types, date)
        if not cases["children"].sum():
            return np.nan
        over = (date - cases["start"]) > pd.Timedelta(days=DAYS_PER_YEAR)
        return float(cases.loc[over, "children"].sum() / cases["children"].sum())

    return value


def _timeline_at(measure_name: str) -> Measure:
    return lambda reading, start, date: reading.timeline_at(measure_name, date)


def _cafcass_open(what: str) -> Measure:
    """Cafcass's open ``work`` (cases) or ``children``: received by its teams and not given back, allocated or
    waiting, England only (as Cafcass publishes)."""

    def value(reading: Reading, start: pd.Timestamp, date: pd.Timestamp) -> float:
        return sum(
            reading.timeline_at(f"{what}_open:{kind}", date, excluding=CAFCASS_CYMRU_REGIONS)
            for kind in TEAM_KINDS
            if TEAM_AGENCY[kind] == "cafcass"
        )

    return value


def _cafcass_caseload(kind: str, *, at_date: bool = False) -> Measure:
    """Cases held per Cafcass adviser of a team kind, England only, as Cafcass publishes its average caseload: work
    held over advisers, summed over the regions it serves (not :data:`sim.vocabulary.CAFCASS_CYMRU_REGIONS`)."""
    measure, workers = f"caseload_per_worker:{kind}", f"workers:{kind}"

    def value(reading: Reading, start: pd.Timestamp, date: pd.Timestamp) -> float:
        return reading.per_worker(measure, workers, None if at_date else start, date, CAFCASS_CYMRU_REGIONS)

    return value


MEASURES: dict[str, Measure] = {
    "public_law_outstanding_hmcts": _outstanding(PUBLIC),
    "public_law_outstanding_nao": _outstanding(PUBLIC),
    "private_law_outstanding_hmcts": _outstanding(PRIVATE),
    "private_law_outstanding_nao": _outstanding(PRIVATE),
    "public_and_private_law_outstanding_nao": _outstanding(PUBLIC + PRIVATE),
    "public_law_outstanding_change_on_year": _change_on_year(PUBLIC),
    "public_law_mean_weeks": _mean_weeks(PUBLIC),
    "public_law_within_26_weeks_share": _within_26_weeks(PUBLIC),
    "private_law_mean_weeks": _mean_weeks(PRIVATE),
    "private_law_mean_weeks_to_first_disposal": _mean_weeks_to_first_disposal(PRIVATE),
    "public_law_cases_started": _started(PUBLIC),
    "public_law_cases_started_quarterly": _started(PUBLIC),
    "private_law_cases_started": _started(PRIVATE),
    "private_law_cases_started_quarterly": _started(PRIVATE),
    "domestic_abuse_cases_started": _started(DOMESTIC_ABUSE),
    "public_law_hearings_per_case": _hearings(PUBLIC),
    "public_law_median_weeks": _median_weeks(PUBLIC),
    "public_law_children_waiting_over_a_year_share": _children_open_over_a_year(PUBLIC),
    "cafcass_s31_involvement_weeks": _weeks_less_cafcass_wait(PUBLIC),
    "public_law_children_per_case": _children_per_case_started(PUBLIC),
    "cafcass_long_term_caseload_per_worker": _cafcass_caseload("cafcass_long_term"),
    "cafcass_long_term_caseload": _cafcass_caseload("cafcass_long_term", at_date=True),
    "cafcass_short_term_caseload_per_worker": _cafcass_caseload("cafcass_short_term"),
    "cafcass_short_term_unallocated": _timeline_at("unallocated:cafcass_short_term"),
    "cafcass_long_term_unallocated": _timeline_at("unallocated:cafcass_long_term"),
    "cafcass_open_cases": _cafcass_open("work"),
    "cafcass_open_children": _cafcass_open("children"),
}
"""The indicators the model measures, by the name the published trajectory gives them."""
STOCKS = {name for name in MEASURES if "_outstanding" in name or name.endswith("_unallocated")} | {
    "public_law_children_waiting_over_a_year_share",
    "cafcass_long_term_caseload",
    "cafcass_open_cases",
    "cafcass_open_children",
}
"""Indicators read at a date; the others are flows over a period and need its start."""


def measure(children: pd.DataFrame, timeline: pd.DataFrame | None, points: pd.DataFrame) -> pd.DataFrame:
    """The model's value of each point's indicator at the point's date, per replication (see the module)."""
    cases = cases_of(children)
    replications = sorted(set(children["replication"].unique().tolist()))
    rows: list[tuple[int, pd.Timestamp, str, float]] = []
    for replication in replications:
        own_timeline = None if timeline is None else timeline[timeline["replication"] == replication]
        reading = Reading(cases[cases["replication"] == replication], own_timeline)
        for point in points.itertuples(index=False):
            date = pd.Timestamp(point.date)
            start = pd.Timestamp(point.start) if pd.notna(point.start) else pd.NaT
            indicator, region = split_region(str(point.indicator))
            how = MEASURES.get(indicator)
            if how is None or (pd.isna(start) and indicator not in STOCKS):
                value = np.nan  # not measured, or a flow given without its period
            else:
                # a period's last day counts whole: anything on that day is in it
                own = reading if region is None else reading.region(region)
                value = how(own, start, date + ONE_DAY - pd.Timedelta(microseconds=1))
            rows.append((int(replication), date, str(point.indicator), value))
    return pd.DataFrame(rows, columns=MEASURE_COLUMNS)


# ---------------------------------------------------------------------------------------------- across replications
BAND_COLUMNS = ["date", "indicator", "model", "lower", "upper", "replications"]
BAND_LEVEL = 0.95


def band(measured: pd.DataFrame, level: float = BAND_LEVEL) -> pd.DataFrame:
    """Mean across replications and a Student-t *prediction* interval for one replication, within natural bounds.

    A published figure is one realisation of the real system, so it is compared with where one run of the
    model falls, not with the mean of many: ``mean ± t(n-1) * sd * sqrt(1 + 1/n)``, then clipped to
    :func:`natural_bounds` (the mean is always inside). Fewer than two values give no interval.
    """
    grouped = measured.groupby(["date", "indicator"], sort=True)["model"]
    out = grouped.agg(["mean", "std", "count"]).reset_index()
    n = out["count"].to_numpy(dtype=float)
    mean = out["mean"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        degrees = np.where(n >= MIN_REPLICATIONS_FOR_INTERVAL, n - 1, np.nan)
        spread = out["std"].to_numpy(dtype=float) * np.sqrt(1 + 1 / n)
        lower, upper = t_distribution().interval(level, degrees, loc=mean, scale=np.where(spread > 0, spread, 1.0))
    lower, upper = np.where(spread == 0, mean, lower), np.where(spread == 0, mean, upper)  # no spread, no width
    low = np.array([natural_bounds(i)[0] for i in out["indicator"]])
    high = np.array([natural_bounds(i)[1] for i in out["indicator"]])
    out["lower"] = np.clip(lower, low, high)
    out["upper"] = np.clip(upper, low, high)
    out = out.rename(columns={"mean": "model", "count": "replications"})
    return out[BAND_COLUMNS]
