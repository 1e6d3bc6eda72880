"""The published trajectory 2018-2024 as data: ``sim/data/published_trajectory.yaml`` read into a DataFrame.

One row per published point, with the period it covers (``start`` to ``date``, both inclusive; a stock has
``start`` missing and is read at ``date``), its value, source, definition and basis, whether it is implied
("(impl.)" in the sources) and whether it is *fitted*: only points whose period ends on or before
:data:`FIT_UNTIL` are fitted, so 2024 stays an out-of-sample check the optimiser never sees.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import yaml

PUBLISHED_TRAJECTORY = Path(__file__).resolve().parents[1] / "data" / "published_trajectory.yaml"
FIT_UNTIL = dt.date(2023, 12, 31)
"""The last day a fitted point's period may end on: the calibration sees up to 2023, 2024 is held out."""
FIRST_MONTH_OF_FINANCIAL_YEAR = 4
"""A financial year such as 2019/20 runs from 1 April to 31 March."""
MONTHS_PER_QUARTER = 3
TRAJECTORY_COLUMNS = [
    "indicator",
    "period",
    "start",
    "date",
    "value",
    "implied",
    "fitted",
    "measured",
    "basis",
    "source",
    "definition",
    "note",
]


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def period_bounds(period: str) -> tuple[dt.date | None, dt.date]:
    """(first day or None for a point in time, last day) of a period: 2019Q1, 2022, 2019/20, 2019-09, 2018-11-30."""
    text = str(period).strip()
    if match := re.fullmatch(r"(\d{4})Q([1-4])", text):
        year, quarter = int(match[1]), int(match[2])
        first_month = (quarter - 1) * MONTHS_PER_QUARTER + 1
        return dt.date(year, first_month, 1), _month_end(year, first_month + MONTHS_PER_QUARTER - 1)
    if match := re.fullmatch(r"(\d{4})", text):
        year = int(match[1])
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if match := re.fullmatch(r"(\d{4})/(\d{2})", text):
        year = int(match[1])
        if (year + 1) % 100 != int(match[2]):
            raise ValueError(f"financial year '{text}' should be followed by the next year, e.g. 2019/20")
        first = dt.date(year, FIRST_MONTH_OF_FINANCIAL_YEAR, 1)
        return first, _month_end(year + 1, FIRST_MONTH_OF_FINANCIAL_YEAR - 1)
    if match := re.fullmatch(r"(\d{4})-(\d{2})", text):
        return None, _month_end(int(match[1]), int(match[2]))
    try:
        return None, dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a period (2019Q1, 2022, 2019/20, 2019-09 or 2018-11-30)") from None


def published_trajectory(path: Path = PUBLISHED_TRAJECTORY) -> pd.DataFrame:
    """Every published point, in indicator then date order (columns :data:`TRAJECTORY_COLUMNS`)."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    rows = []
    for indicator, entry in data.items():
        for point in entry["points"]:
            start, end = period_bounds(point["period"])
            rows.append(
                {
                    "indicator": indicator,
                    "period": str(point["period"]),
                    "start": pd.Timestamp(start) if start else pd.NaT,
                    "date": pd.Timestamp(end),
                    "value": float(point["value"]),
                    "implied": bool(point.get("implied", False)),
                    "fitted": end <= FIT_UNTIL,
                    "measured": bool(entry.get("measured", True)),
                    "basis": entry.get("basis", ""),
                    "source": entry["source"],
                    "definition": entry["definition"],
                    "note": point.get("note", ""),
                }
            )
    frame = pd.DataFrame(rows, columns=TRAJECTORY_COLUMNS)
    return frame.sort_values(["indicator", "date"], kind="stable").reset_index(drop=True)
