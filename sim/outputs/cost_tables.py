"""The reports' tables of costs: a run's cost of delay and of capacity, and options ranked by net cost.

Read from ``summary.csv`` and ``compare.csv`` as :mod:`sim.analysis.costs` named the indicators; nothing is estimated
here. A run or comparison whose scenario has no ``costs:`` block has no cost rows, and the tables say so.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sim.analysis.costs import CAPACITY_PER_YEAR, COST_INDICATORS, PER_YEAR, TOTAL_PER_YEAR
from sim.outputs import summary_text
from sim.outputs.html import format_value, number, words

COST_BREAKDOWNS = ("all", "case_type")
NET_COST_ROWS = (
    (PER_YEAR, "delay cost a year"),
    (CAPACITY_PER_YEAR, "capacity cost a year"),
    (TOTAL_PER_YEAR, "net cost a year (capacity added less delay saved)"),
)
"""The differences an option's cost is read from, in the order the comparison report shows them."""


def cost_indicators(names: pd.Series) -> list[str]:
    """The cost indicators present, the headline ones first, then each agency's and kind of capacity's."""
    present = [str(n) for n in dict.fromkeys(names) if "_gbp" in str(n)]
    return [n for n in COST_INDICATORS if n in present] + [n for n in present if n not in COST_INDICATORS]


def run_costs(summary: pd.DataFrame | None) -> dict[str, Any] | None:
    """A run's cost indicators overall and by case type, with their 95% intervals; None without costs."""
    if summary is None:
        return None
    names = cost_indicators(summary["indicator"])
    if not names:
        return None
    rows = []
    for indicator in names:
        chosen = summary[(summary["indicator"] == indicator) & summary["breakdown"].astype(str).isin(COST_BREAKDOWNS)]
        for _, r in chosen.iterrows():
            who = "all children" if r["breakdown"] == "all" else words(r["group"])
            interval = summary_text.interval(indicator, r)
            rows.append([words(indicator), who, format_value(indicator, r["mean"]), interval])
    return {"header": ["indicator", "children", "mean", "95% interval"], "rows": rows, "numeric": (2, 3)}


def difference_text(indicator: str, r: pd.Series) -> str:
    """A paired difference in its unit with its 95% interval."""
    if pd.isna(r["difference_mean"]):
        return "–"
    low, high = r["difference_ci95_low"], r["difference_ci95_high"]
    shown = format_value(indicator, r["difference_mean"])
    sign = "+" if r["difference_mean"] > 0 else ""
    if pd.isna(low) or pd.isna(high):
        return f"{sign}{shown}"
    return f"{sign}{shown} ({format_value(indicator, low)} to {format_value(indicator, high)})"


def net_costs(table: pd.DataFrame) -> dict[str, Any] | None:
    """Each option's paired differences in delay cost, capacity cost and net cost a year, options ranked by net cost
    (the cheapest first); None when the comparison has no costs."""
    overall = table[(table["breakdown"].astype(str) == "all") & table["indicator"].isin([i for i, _ in NET_COST_ROWS])]
    if overall.empty:
        return None
    net = overall[overall["indicator"] == TOTAL_PER_YEAR].set_index("option")["difference_mean"]
    options = sorted(dict.fromkeys(overall["option"]), key=lambda o: (pd.isna(net.get(o)), net.get(o, 0)))
    rows = []
    for rank, option in enumerate(options, start=1):
        mine = overall[overall["option"] == option].set_index("indicator")
        cells = [number(rank, 0), option]
        for indicator, _ in NET_COST_ROWS:
            cells.append(difference_text(indicator, mine.loc[indicator]) if indicator in mine.index else "–")
        rows.append(cells)
    header = ["rank", "option", *[f"{label}, option minus base (95% interval)" for _, label in NET_COST_ROWS]]
    return {"header": header, "rows": rows, "numeric": (0, 2, 3, 4)}
