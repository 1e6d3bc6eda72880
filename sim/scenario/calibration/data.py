"""Reading an analyst's data for calibration: CSV files, numeric columns, and errors that name the row.

Shared by :mod:`.durations` and :mod:`.arrivals`; the constants here are the rules both fits follow.
"""

from __future__ import annotations

import calendar
import difflib
import math
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

FAMILIES = ("exponential", "gamma", "lognormal", "weibull")
EMPIRICAL_VALUES_MAX = 200
"""Up to this many values the empirical distribution is printed as the values; above, as a histogram."""
MIN_MONTHS_FOR_TREND = 24
"""With fewer months a yearly trend cannot be told apart from seasonality, so it is fixed at 0."""
Z95 = 1.959963984540054
MONTHS = [calendar.month_abbr[m] for m in range(1, 13)]
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class CalibrationError(ValueError):
    """The data cannot be used as given; the message names the file (or row), the column and what to fix."""


class CalibrationWarning(UserWarning):
    """Something about the data the analyst should know; the fit goes ahead."""


Locate = Callable[[int], str]
"""Describes the i-th row (by position) of the data: 'durations.csv, line 7' or 'row 6'."""


def by_position(index: pd.Index | None = None) -> Locate:
    if index is None:
        return lambda i: f"value {i}"
    return lambda i: f"row {index[i]}"


def warn(message: str) -> None:
    warnings.warn(message, CalibrationWarning, stacklevel=3)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def round_sig(x: float, sig: int = 4) -> float:
    """x to ``sig`` significant figures, but never fewer than the whole-number digits."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    digits = sig - int(math.floor(math.log10(abs(x)))) - 1
    return float(round(x, max(digits, 0)))


def yaml_number(x: float) -> str:
    """A number as YAML reads it back as a number: positional, no exponent, no trailing zeros."""
    return np.format_float_positional(float(x), trim="-")


# ---------------------------------------------------------------------------------------------- reading data
def read_csv(path: str | Path) -> tuple[pd.DataFrame, Locate]:
    """A CSV file as text cells, with a function naming a row's file and line (blank lines kept as blank rows)."""
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, skip_blank_lines=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise CalibrationError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise CalibrationError(f"{path}: is a directory, not a CSV file") from None
    except pd.errors.EmptyDataError:
        raise CalibrationError(f"{path}: the file is empty (expected a header line and rows of data)") from None
    except UnicodeDecodeError:
        raise CalibrationError(f"{path}: not UTF-8 text; save it as 'CSV UTF-8' and try again") from None
    except (pd.errors.ParserError, OSError) as exc:
        raise CalibrationError(f"{path}: cannot be read as CSV: {str(exc).strip()}") from None
    # a blank line is a row of blanks (in a one-column file, a blank cell); the index counts every line
    df.columns = [str(c).strip() for c in df.columns]
    return df, lambda i: f"{path}, line {df.index[i] + 2}"


def require_column(df: pd.DataFrame, column: str, source: str) -> None:
    """Raise a CalibrationError naming the source and suggesting the nearest column name."""
    if column in df.columns:
        return
    columns = [str(c) for c in df.columns]
    by_case = {c.lower(): c for c in columns}
    near = [by_case[column.lower()]] if column.lower() in by_case else difflib.get_close_matches(column, columns, 1)
    hint = f"; did you mean '{near[0]}'?" if near else ""
    raise CalibrationError(f"{source}: no column '{column}'{hint} (columns: {', '.join(columns) or 'none'})")


def blank_cells(raw: pd.Series) -> np.ndarray:
    if not (raw.dtype == object or pd.api.types.is_string_dtype(raw)):
        return raw.isna().to_numpy(dtype=bool)
    text = raw.astype("string").str.strip()
    return (raw.isna() | (text == "")).to_numpy(dtype=bool)


def first_index(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def more_rows(mask: np.ndarray, what: str) -> str:
    n = int(mask.sum())
    return "" if n == 1 else f" ({n} {what}; the first is shown)"


def numeric_column(raw: pd.Series, column: str, locate: Locate, *, blanks: str, source: str = "the data") -> np.ndarray:
    """Numbers of one column, checked: not text, finite, not negative.

    ``blanks`` says what a blank cell is: "drop" (warn how many and drop them; an error if none remain),
    or "error".
    """
    if len(raw) == 0:
        raise CalibrationError(f"{source}, column '{column}': no rows of data")
    blank = blank_cells(raw)
    if blank.any() and blanks == "error":
        i = first_index(blank)
        raise CalibrationError(
            f"{locate(i)}, column '{column}': blank cell (write 0 for none){more_rows(blank, 'blank cells')}"
        )
    values = pd.to_numeric(raw.where(~blank), errors="coerce").to_numpy(dtype=float)
    bad = ~blank & ~np.isfinite(values)
    if bad.any():
        i = first_index(bad)
        cell = str(raw.iloc[i]).strip()
        hint = " (remove thousands separators)" if re.fullmatch(r"[\d,]+(\.\d*)?", cell) else ""
        raise CalibrationError(
            f"{locate(i)}, column '{column}': '{cell}' is not a finite number{hint}{more_rows(bad, 'such cells')}"
        )
    negative = ~blank & (values < 0)
    if negative.any():
        i = first_index(negative)
        raise CalibrationError(
            f"{locate(i)}, column '{column}': {yaml_number(values[i])} is negative (a duration or count cannot be)"
            f"{more_rows(negative, 'negative values')}"
        )
    if blank.any():
        if blank.all():
            raise CalibrationError(f"{source}, column '{column}': all {len(raw)} cells are blank; nothing to fit")
        i = first_index(blank)
        warn(
            f"{locate(i)}, column '{column}': {plural(int(blank.sum()), 'blank cell')} "
            f"(the first here) ignored; {int((~blank).sum())} values remain"
        )
    return values[~blank]


def safe_stem(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "values"
