"""Which child rows count for an indicator, and how they are split into groups.

Every indicator, attribution table and figure selects and groups children through these functions, so that
"a child who counts" and "the order of the groups" mean the same thing everywhere.

* A **results row** is a child's case that started in the results period: not during the warm-up
  (``warm_up``) and not part of the declared open caseload (``from_open_caseload``), whose earlier history
  is made up.
* A **disposed row** is a results row whose case was disposed: time to disposal is measured on these.
* A row **in proceedings** is a case that reached court (issued): not diverted, not still in pre-proceedings.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from sim.vocabulary import STATUS_DISPOSED

FIXED_BREAKDOWNS = ("case_type", "pathway", "domestic_abuse", "age_band", "region")
"""Group columns every children table has; a scenario's extra attributes are added after them."""
FIRST_EXTRA_AFTER, EXTRAS_END_BEFORE = "age_band", "is_return"
"""A scenario's extra group attributes are the children columns between these two (see sim.model.records)."""
DISPOSAL_COLUMNS = ["status", "warm_up", "from_open_caseload", "days_to_disposal"]
"""The children columns :func:`disposed_rows` and a time to disposal need (read only these to save memory)."""


def is_label(column: pd.Series, label: str) -> np.ndarray:
    """Which rows of a label column (case type, status, ...) hold ``label``, as booleans. A categorical column is
    compared on its codes: ``astype(str)`` first made a string of each of a national replication's million rows,
    about a tenth of its indicators' time. Missing values hold no label."""
    return (column == label).to_numpy(dtype=bool, na_value=False)


def results_rows(children: pd.DataFrame) -> pd.DataFrame:
    """Child rows that count for results: not started in warm-up, not from the declared open caseload."""
    keep = ~children["warm_up"].astype(bool) & ~children["from_open_caseload"].astype(bool)
    return children[keep]


def disposed_rows(children: pd.DataFrame) -> pd.DataFrame:
    """Results rows of children whose case was disposed (the ones time to disposal is measured on)."""
    rows = results_rows(children)
    return rows[is_label(rows["status"], STATUS_DISPOSED)]


def in_proceedings(children: pd.DataFrame) -> pd.DataFrame:
    """Rows of children whose case reached court (issued): not diverted, not still in pre-proceedings at the end."""
    return children[children["days_in_proceedings"].notna()]


def breakdowns(children: pd.DataFrame) -> list[str]:
    """The group columns of a children table: the fixed ones and the scenario's extra attributes."""
    columns = list(children.columns)
    extra: list[str] = []
    if FIRST_EXTRA_AFTER in columns and EXTRAS_END_BEFORE in columns:
        extra = columns[columns.index(FIRST_EXTRA_AFTER) + 1 : columns.index(EXTRAS_END_BEFORE)]
    return [c for c in FIXED_BREAKDOWNS if c in columns] + extra


def group_label(value: object) -> str:
    """A group's name as results show it (booleans as 'true'/'false')."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)


def group_index(frame: pd.DataFrame, column: str) -> list[tuple[str, np.ndarray]]:
    """(group label, row positions) of each group of a column, in a stable order.

    Category order when the column is categorical (only categories that occur), else the sorted values; so
    results read the same in every run.
    """
    series = frame[column]
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        return [
            (group_label(value), np.flatnonzero(codes == code))
            for code, value in enumerate(series.cat.categories)
            if (codes == code).any()
        ]
    values = series.to_numpy()
    return [(group_label(v), np.flatnonzero(values == v)) for v in sorted(pd.unique(series.dropna()).tolist())]


def groups(frame: pd.DataFrame, column: str) -> Iterator[tuple[str, pd.DataFrame]]:
    """(group label, rows) of each group of a column, in the order of :func:`group_index`."""
    for label, index in group_index(frame, column):
        yield label, frame.iloc[index]


class Rows(Mapping[str, np.ndarray]):
    """Some rows of a set of columns, each column taken when first read (and kept): a group's indicators read a
    few of its columns, and a copy of every column of a national replication's million child rows would not fit.

    Rows of rows are taken from the first columns at once, through one index made of both selections: a column
    read only by the inner rows is then taken once, not copied for the outer rows first (on a national
    replication's indicators, half of the time spent taking rows)."""

    def __init__(self, source: Mapping[str, np.ndarray], index: np.ndarray) -> None:
        if isinstance(source, Rows):
            source, index = source.source, source.positions()[index]
        self.source, self.index = source, index
        self.taken: dict[str, np.ndarray] = {}
        self._positions: np.ndarray | None = None

    def positions(self) -> np.ndarray:
        """The row positions in :attr:`source`: the index, or the positions of a mask (found once, when rows of
        these rows are taken; the mask itself still takes these rows' own columns, which is quicker)."""
        if self._positions is None:
            self._positions = np.flatnonzero(self.index) if self.index.dtype == bool else self.index
        return self._positions

    def __getitem__(self, column: str) -> np.ndarray:
        if column not in self.taken:
            self.taken[column] = self.source[column][self.index]
        return self.taken[column]

    def __contains__(self, column: object) -> bool:
        """Whether the rows have the column, without taking it (``Mapping``'s own test reads the column)."""
        return column in self.source

    def __iter__(self) -> Iterator[str]:
        return iter(self.source)

    def __len__(self) -> int:
        return len(self.source)
