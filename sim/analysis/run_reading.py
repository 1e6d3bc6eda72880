"""A run's cases and timeline read at dates: what the published measures (:mod:`sim.analysis.trajectory`) are
computed from.

The children table becomes one row per case that reached court (:func:`cases_of`), and a :class:`Reading` offers
one replication's cases and timeline at a date: open cases, the last snapshot by the end of a date, the mean of the
snapshots in a period. Kept apart from the measures so that each module stays about one concept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.rows import is_label
from sim.vocabulary import STATUS_DISPOSED, STATUS_DIVERTED, WEEK_DAYS

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
"""What :func:`sim.analysis.trajectory.measure` reads of the children table (a caller can read only these)."""
ONE_DAY = pd.Timedelta(days=1)


Cases = pd.DataFrame
"""One row per case: replication, case_type, disposed, start and end (timestamps), weeks, hearings, children and
weeks waiting for Cafcass."""


def cases_of(children: pd.DataFrame) -> Cases:
    """One row per case that reached court: diverted cases never did, and a case still in pre-proceedings at the
    end of the run has not yet (no days in proceedings), though its start date is filled with its arrival."""
    issued = children["start_date"].notna() & children["days_in_proceedings"].notna()
    used = [c for c in CHILD_COLUMNS if c in children.columns]  # only these are copied: a replication is big
    rows = children[used][~is_label(children["status"], STATUS_DIVERTED) & issued.to_numpy()]
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
            "case_type": labels(rows["case_type"]),
            "region": labels(rows["region"]) if "region" in rows else np.full(len(rows), "", dtype=object),
            "disposed": is_label(rows["status"], STATUS_DISPOSED),
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


def labels(column: pd.Series) -> np.ndarray:
    """A label column's values as strings, one per row, as ``astype(str)`` makes them; a categorical column's are
    taken from its categories (``astype(str)`` made a string per row first: 0.26 s for a national replication's
    cases, twice, in every replication's indicators)."""
    if isinstance(column.dtype, pd.CategoricalDtype) and not column.isna().any():
        return column.to_numpy(dtype=object)
    return column.astype(str).to_numpy()


def snapshot_of_the_end(date: pd.Timestamp) -> pd.Timestamp:
    """The date of the timeline snapshot that shows the state at the end of ``date``: snapshots are taken at
    midnight (:mod:`sim.model.monitor`), so the one dated the next day."""
    return pd.Timestamp(date).normalize() + ONE_DAY


def disposed_in(cases: Cases, start: pd.Timestamp, date: pd.Timestamp) -> Cases:
    return cases[cases["disposed"] & (cases["end"] >= start) & (cases["end"] <= date)]


def mean_or_nan(values: pd.Series) -> float:
    return float(values.mean()) if len(values) else np.nan


class Reading:
    """What one replication offers the measures: its cases by case types and, if given, its open-case series
    (each worked out once, as the calibration measures many points of many runs)."""

    def __init__(self, cases: Cases, timeline: pd.DataFrame | None) -> None:
        self.cases = cases
        self.timeline = timeline if timeline is not None and not timeline.empty else None
        self._cases: dict[tuple[str, ...], Cases] = {}
        self._open: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = {}
        self._regions: dict[str, Reading] = {}

    def region(self, name: str) -> Reading:
        """The same reading of one region's cases and snapshots (kept, as many points ask for the same region)."""
        if name not in self._regions:
            timeline = None if self.timeline is None else self.timeline[is_label(self.timeline["region"], name)]
            self._regions[name] = Reading(self.cases[self.cases["region"] == name], timeline)
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
        rows = self.timeline[is_label(self.timeline["measure"], measure)]
        when = pd.to_datetime(rows["date"])
        at = _last_snapshot_date(when, date)
        return None if at is None else rows.loc[when == at, "value"].astype(float)

    def timeline_at(self, measure: str, date: pd.Timestamp, excluding: tuple[str, ...] = ()) -> float:
        """The timeline's ``measure`` at its last snapshot on or before the date, summed over the regions not named in
        ``excluding`` (NaN without a snapshot)."""
        values = self._last_snapshot(measure, date)
        if values is None:
            return np.nan
        if excluding:
            values = values[~self.timeline.loc[values.index, "region"].isin(excluding).to_numpy()]
        return float(values.sum())

    def per_worker(
        self, measure: str, workers: str, start: pd.Timestamp | None, date: pd.Timestamp, excluding: tuple[str, ...]
    ) -> float:
        """A per-worker ``measure`` of the whole of the regions not in ``excluding``, as a team publishes it: at each
        snapshot, the work held summed over those regions over their ``workers`` summed, then averaged over the
        snapshots in the period (``start`` None: the last snapshot on or before the date). NaN without one.

        A run written before the timeline recorded workers has each snapshot's plain mean over the regions instead.
        """
        if self.timeline is None:
            return np.nan
        chosen = self.timeline[~self.timeline["region"].isin(excluding).to_numpy()]
        names = chosen["measure"]
        when = pd.to_datetime(chosen["date"])
        if start is None:
            at = _last_snapshot_date(when[names == measure], date)
            if at is None:
                return np.nan
            taken = when == at
        else:
            taken = (when > snapshot_of_the_end(start - ONE_DAY)) & (when <= snapshot_of_the_end(date))
        keys = ["date", "region"]
        values = chosen.loc[taken & (names == measure), [*keys, "value"]]
        weights = chosen.loc[taken & (names == workers), [*keys, "value"]]
        if weights.empty:  # an older run: no workers in its timeline
            return mean_or_nan(values.groupby("date", observed=True)["value"].mean().dropna())
        both = values.merge(weights, on=keys, suffixes=("", "_workers")).dropna()
        both = both[both["value_workers"] > 0]
        both["held"] = both["value"] * both["value_workers"]
        per_snapshot = both.groupby("date", observed=True)[["held", "value_workers"]].sum()
        return mean_or_nan(per_snapshot["held"] / per_snapshot["value_workers"])


def _last_snapshot_date(when: pd.Series, date: pd.Timestamp) -> pd.Timestamp | None:
    """The last of a measure's snapshot dates ``when`` on or before the date (None without)."""
    before = when[when <= snapshot_of_the_end(date)]
    return before.max() if len(before) else None
