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
* **Cafcass caseloads per worker**: the timeline's work held per worker (``caseload_per_worker``), averaged
  over the snapshots in the period and the regions (needs the timeline); a caseload published for a month
  (``cafcass_long_term_caseload``, a stock) is read at the last snapshot of that month, averaged over the regions.
* **Cafcass unallocated** (``cafcass_short_term_unallocated``, ``cafcass_long_term_unallocated``; stocks): work
  waiting for a Cafcass worker at the last snapshot taken by the end of the date, summed over regions (needs the
  timeline). A snapshot is taken at midnight, so one dated the day after is the state at the end of the date.

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
from scipy import stats

from sim.analysis.statistics import MIN_REPLICATIONS_FOR_INTERVAL, natural_bounds
from sim.vocabulary import DAYS_PER_YEAR, STATUS_DISPOSED, STATUS_DIVERTED, TARGET_WEEKS, WEEK_DAYS

MEASURE_COLUMNS = ["replication", "date", "indicator", "model"]
CHILD_COLUMNS = [
    "replication",
    "case_id",
    "case_type",
    "region",
    "status",
    "start_date",
    "end_date",
    "days_to_first_disposal",
    "days_to_disposal",
    "days_in_proceedings",
    "hearings",
    "wait_cafcass_days",
]
"""What :func:`measure` reads of the children table (a caller can read only these)."""
DAYS_IN_A_YEAR_BEFORE = 365
"""'Change on the year' compares the date with the same date a (non-leap) year before."""
ONE_DAY = pd.Timedelta(days=1)
REGIONAL_LABEL = re.compile(r"(?P<indicator>[^\[\]]+)\[region=(?P<region>[^\[\]]+)\]")
"""``NAME[region=REGION]``: a point of one region, labelled as :mod:`sim.analysis.indicators` labels a group."""


def split_region(label: str) -> tuple[str, str | None]:
    """(indicator, region) of a point's label; the region is None for a national point."""
    match = REGIONAL_LABEL.fullmatch(label)
    return (match["indicator"], match["region"]) if match else (label, None)


Cases = pd.DataFrame
"""One row per case: replication, case_type, disposed, start and end (timestamps), weeks, hearings, children and
weeks waiting for Cafcass."""


def _cases(children: pd.DataFrame) -> Cases:
    """One row per case that reached court: diverted cases never did, and a case still in pre-proceedings at the
    end of the run has not yet (no days in proceedings), though its start date is filled with its arrival."""
    issued = children["start_date"].notna() & children["days_in_proceedings"].notna()
    used = [c for c in CHILD_COLUMNS if c in children.columns]  # only these are copied: a replication is big
    rows = children[used][(children["status"].astype(str) != STATUS_DIVERTED) & issued]
    siblings = rows.groupby(["replication", "case_id"], sort=False)["case_id"].transform("size")
    first = ~rows.duplicated(["replication", "case_id"])
    rows, siblings = rows[first], siblings[first]
    start = pd.to_datetime(rows["start_date"]).to_numpy(dtype="datetime64[ns]")
    first_disposal = rows["days_to_first_disposal"] if "days_to_first_disposal" in rows else rows["days_to_disposal"]
    first_days = first_disposal.astype(float).to_numpy()
    end = pd.to_datetime(rows["end_date"]).to_numpy(dtype="datetime64[ns]")
    disposal_days = rows["days_to_disposal"].astype(float).to_numpy()
    at_disposal = first_days == disposal_days  # the first disposal is the final one, on its own date
    first_disposal_date = np.where(at_disposal, end, start + pd.to_timedelta(np.floor(first_days), unit="D").to_numpy())
    return pd.DataFrame(
        {
            "replication": rows["replication"].to_numpy(),
            "case_type": rows["case_type"].astype(str).to_numpy(),
            "region": (rows["region"].astype(str) if "region" in rows else pd.Series("", index=rows.index)).to_numpy(),
            "disposed": (rows["status"].astype(str) == STATUS_DISPOSED).to_numpy(),
            "start": start,
            "end": end,
            "weeks": disposal_days / WEEK_DAYS,
            "first_disposal": first_disposal_date,
            "first_disposal_weeks": first_days / WEEK_DAYS,
            "hearings": rows["hearings"].astype(float).to_numpy(),
            "children": siblings.to_numpy(dtype=float),
            "cafcass_wait_weeks": (rows["wait_cafcass_days"].astype(float) / WEEK_DAYS).to_numpy(),
        }
    )


def _snapshot_of_the_end(date: pd.Timestamp) -> pd.Timestamp:
    """The date of the timeline snapshot that shows the state at the end of ``date``: snapshots are taken at
    midnight (:mod:`sim.model.monitor`), so the one dated the next day."""
    return pd.Timestamp(date).normalize() + ONE_DAY


def _disposed_in(cases: Cases, start: pd.Timestamp, date: pd.Timestamp) -> Cases:
    return cases[cases["disposed"] & (cases["end"] >= start) & (cases["end"] <= date)]


def _mean_or_nan(values: pd.Series) -> float:
    return float(values.mean()) if len(values) else np.nan


class _Reading:
    """What one replication offers the measures: its cases by case types and, if given, its open-case series
    (each worked out once, as the calibration measures many points of many runs)."""

    def __init__(self, cases: Cases, timeline: pd.DataFrame | None) -> None:
        self.cases = cases
        self.timeline = timeline if timeline is not None and not timeline.empty else None
        self._cases: dict[tuple[str, ...], Cases] = {}
        self._open: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = {}
        self._regions: dict[str, _Reading] = {}

    def region(self, name: str) -> _Reading:
        """The same reading of one region's cases and snapshots (kept, as many points ask for the same region)."""
        if name not in self._regions:
            timeline = None if self.timeline is None else self.timeline[self.timeline["region"].astype(str) == name]
            self._regions[name] = _Reading(self.cases[self.cases["region"] == name], timeline)
        return self._regions[name]

    def of(self, case_types: tuple[str, ...]) -> Cases:
        if case_types not in self._cases:
            self._cases[case_types] = self.cases[self.cases["case_type"].isin(case_types)]
        return self._cases[case_types]

    def _issues_and_closures(self, case_types: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """(issue dates, closure dates) of these cases, each sorted: open at a date = issued by it - closed by it."""
        if case_types not in self._open:
            chosen = self.of(case_types)
            issued = np.sort(chosen["start"].to_numpy(dtype="datetime64[ns]"))
            closed = np.sort(chosen["end"].dropna().to_numpy(dtype="datetime64[ns]"))
            self._open[case_types] = (issued, closed)
        return self._open[case_types]

    def outstanding(self, case_types: tuple[str, ...], date: pd.Timestamp) -> float:
        """Cases issued by the date and not closed by it (:meth:`open_at`, counted without selecting them): a case
        closes after it is issued, so those closed by the date were all issued by it."""
        issued, closed = self._issues_and_closures(case_types)
        at = np.datetime64(date, "ns")
        return float(np.searchsorted(issued, at, side="right") - np.searchsorted(closed, at, side="right"))

    def open_at(self, case_types: tuple[str, ...], date: pd.Timestamp) -> Cases:
        """The cases issued and not disposed at the date, from the cases."""
        chosen = self.of(case_types)
        still_open = chosen["end"].isna() | (chosen["end"] > date)
        return chosen[(chosen["start"] <= date) & still_open]

    def _last_snapshot(self, measure: str, date: pd.Timestamp) -> pd.Series | None:
        """The timeline's ``measure``, region by region, at its last snapshot on or before the date (None without)."""
        if self.timeline is None:
            return None
        rows = self.timeline[self.timeline["measure"].astype(str) == measure]
        when = pd.to_datetime(rows["date"])
        before = when[when <= _snapshot_of_the_end(date)]
        return rows.loc[when == before.max(), "value"].astype(float) if len(before) else None

    def timeline_at(self, measure: str, date: pd.Timestamp) -> float:
        """The timeline's ``measure`` at its last snapshot on or before the date, summed over regions (NaN without)."""
        values = self._last_snapshot(measure, date)
        return np.nan if values is None else float(values.sum())

    def timeline_mean_at(self, measure: str, date: pd.Timestamp) -> float:
        """The timeline's ``measure`` at its last snapshot on or before the date, averaged over the regions (NaN
        without one): for a ratio such as a caseload per worker, which does not add up across regions."""
        values = self._last_snapshot(measure, date)
        return np.nan if values is None else _mean_or_nan(values.dropna())

    def timeline_mean(self, measure: str, start: pd.Timestamp, date: pd.Timestamp) -> float:
        """The timeline's ``measure`` averaged over its snapshots in the period and the regions (NaN without one)."""
        if self.timeline is None:
            return np.nan
        rows = self.timeline[self.timeline["measure"].astype(str) == measure]
        when = pd.to_datetime(rows["date"])
        taken = (when > _snapshot_of_the_end(start - ONE_DAY)) & (when <= _snapshot_of_the_end(date))
        return _mean_or_nan(rows.loc[taken, "value"].astype(float).dropna())


Measure = Callable[[_Reading, pd.Timestamp, pd.Timestamp], float]
"""(reading, period start or NaT, date) -> the model's value."""

PUBLIC, PRIVATE, DOMESTIC_ABUSE = ("public_law",), ("private_law",), ("domestic_abuse",)


def _outstanding(case_types: tuple[str, ...]) -> Measure:
    return lambda reading, start, date: reading.outstanding(case_types, date)


def _change_on_year(case_types: tuple[str, ...]) -> Measure:
    def value(reading: _Reading, start: pd.Timestamp, date: pd.Timestamp) -> float:
        before = date - pd.Timedelta(days=DAYS_IN_A_YEAR_BEFORE)
        return reading.outstanding(case_types, date) - reading.outstanding(case_types, before)

    return value


def _mean_weeks(case_types: tuple[str, ...]) -> Measure:
    return lambda reading, start, date: _mean_or_nan(_disposed_in(reading.of(case_types), start, date)["weeks"])


def _mean_weeks_to_first_disposal(case_types: tuple[str, ...]) -> Measure:
    def value(reading: _Reading, start: pd.Timestamp, date: pd.Timestamp) -> float:
        cases = reading.of(case_types)
        ordered = (cases["first_disposal"] >= start) & (cases["first_disposal"] <= date)
        return _mean_or_nan(cases.loc[ordered, "first_disposal_weeks"])

    return value


def _within_26_weeks(case_types: tuple[str, ...]) -> Measure:
    def value(reading: _Reading, start: pd.Timestamp, date: pd.Timestamp) -> float:
        weeks = _disposed_in(reading.of(case_types), start, date)["weeks"]
        return _mean_or_nan(weeks <= TARGET_WEEKS)

    return value


def _started(case_types: tuple[str, ...]) -> Measure:
    def value(reading: _Reading, start: pd.Timestamp, date: pd.Timestamp) -> float:
        cases = reading.of(case_types)
        return float(((cases["start"] >= start) & (cases["start"] <= date)).sum())

    return value


def _hearings(case_types: tuple[str, ...]) -> Measure:
    return lambda reading, start, date: _mean_or_nan(_disposed_in(reading.of(case_types), start, date)["hearings"])


def _median_weeks(case_types: tuple[str, ...]) -> Measure:
    def value(reading: _Reading, start: pd.Timestamp, date: pd.Timestamp) -> float:
        weeks = _disposed_in(reading.of(case_types), start, date)["weeks"]
        return float(weeks.median()) if len(weeks) else np.nan

    return value


def _weeks_less_cafcass_wait(case_types: tuple[str, ...]) -> Measure:
    def value(reading: _Reading, start: pd.Timestamp, date: pd.Timestamp) -> float:
        cases = _disposed_in(reading.of(case_types), start, date)
        return _mean_or_nan(cases["weeks"] - cases["cafcass_wait_weeks"])

    return value


def _children_per_case_started(case_types: tuple[str, ...]) -> Measure:
    def value(reading: _Reading, start: pd.Timestamp, date: pd.Timestamp) -> float:
        cases = reading.of(case_types)
        return _mean_or_nan(cases.loc[(cases["start"] >= start) & (cases["start"] <= date), "children"])

    return value


def _children_open_over_a_year(case_types: tuple[str, ...]) -> Measure:
    def value(reading: _Reading, start: pd.Timestamp, date: pd.Timestamp) -> float:
        cases = reading.open_at(case_types, date)
        if not cases["children"].sum():
            return np.nan
        over = (date - cases["start"]) > pd.Timedelta(days=DAYS_PER_YEAR)
        return float(cases.loc[over, "children"].sum() / cases["children"].sum())

    return value


def _timeline_at(measure_name: str) -> Measure:
    return lambda reading, start, date: reading.timeline_at(measure_name, date)


def _timeline_mean_at(measure_name: str) -> Measure:
    return lambda reading, start, date: reading.timeline_mean_at(measure_name, date)


def _timeline_mean(measure_name: str) -> Measure:
    return lambda reading, start, date: reading.timeline_mean(measure_name, start, date)


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
    "cafcass_long_term_caseload_per_worker": _timeline_mean("caseload_per_worker:cafcass_long_term"),
    "cafcass_long_term_caseload": _timeline_mean_at("caseload_per_worker:cafcass_long_term"),
    "cafcass_short_term_caseload_per_worker": _timeline_mean("caseload_per_worker:cafcass_short_term"),
    "cafcass_short_term_unallocated": _timeline_at("unallocated:cafcass_short_term"),
    "cafcass_long_term_unallocated": _timeline_at("unallocated:cafcass_long_term"),
}
"""The indicators the model measures, by the name the published trajectory gives them."""
STOCKS = {name for name in MEASURES if "_outstanding" in name or name.endswith("_unallocated")} | {
    "public_law_children_waiting_over_a_year_share",
    "cafcass_long_term_caseload",
}
"""Indicators read at a date; the others are flows over a period and need its start."""


def measure(children: pd.DataFrame, timeline: pd.DataFrame | None, points: pd.DataFrame) -> pd.DataFrame:
    """The model's value of each point's indicator at the point's date, per replication (see the module)."""
    cases = _cases(children)
    replications = sorted(set(children["replication"].unique().tolist()))
    rows: list[tuple[int, pd.Timestamp, str, float]] = []
    for replication in replications:
        own_timeline = None if timeline is None else timeline[timeline["replication"] == replication]
        reading = _Reading(cases[cases["replication"] == replication], own_timeline)
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
        lower, upper = stats.t.interval(level, degrees, loc=mean, scale=np.where(spread > 0, spread, 1.0))
    lower, upper = np.where(spread == 0, mean, lower), np.where(spread == 0, mean, upper)  # no spread, no width
    low = np.array([natural_bounds(i)[0] for i in out["indicator"]])
    high = np.array([natural_bounds(i)[1] for i in out["indicator"]])
    out["lower"] = np.clip(lower, low, high)
    out["upper"] = np.clip(upper, low, high)
    out = out.rename(columns={"mean": "model", "count": "replications"})
    return out[BAND_COLUMNS]
