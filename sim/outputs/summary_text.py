"""The executive summaries of the reports, in sentences generated from the figures a run or comparison wrote
(summary.csv, drift.csv, compare.csv): nothing is estimated here, only read and put into words.

The columns read are the ones every summary has (``indicator, breakdown, group, mean, ci95_low, ci95_high,
replications``); any other column (a published definition, a rough-interval flag, a corrected p-value) is read
when it is there and shown as it is, so the report follows what the analysis writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from sim.outputs.html import format_value, words

SUMMARY_COLUMNS = ("indicator", "breakdown", "group", "mean", "ci95_low", "ci95_high", "sd", "replications")
"""Columns every summary.csv has; any other is an extra the report shows as it is."""
ROUGH_BELOW_REPLICATIONS = 5
"""Issue 12: with fewer replications than this, intervals are rough (used only when summary.csv has no ``rough``
column of its own)."""
DEFINITION_COLUMNS = ("definition", "published_definition")
"""Where summary.csv names the published definition of an indicator, when it does."""
DRIFT_FLAG_COLUMNS = ("drifts", "drift", "drifting")
"""The column of drift.csv (or summary.csv) that says a series drifts."""
TIME, WITHIN_26, OPEN_AT_END = (
    "time_to_disposal_weeks_mean",
    "disposed_within_26_weeks_share",
    "open_cases_at_end_count",
)
ATTRIBUTION_PREFIXES = ("wait_", "active_", "notice_", "listing_")
COMPARED_BREAKDOWNS = ("region", "age_band")
"""Breakdowns whose groups the summary says whether the run can tell apart. Not the domestic-abuse flag on its own:
every Family Law Act remedy is flagged, so pooled over case types it compares remedies with care cases."""


def row(summary: pd.DataFrame, indicator: str, breakdown: str = "all", group: str = "all") -> pd.Series | None:
    """The summary's row of one indicator and group, or None when it has none."""
    rows = summary[
        (summary["indicator"] == indicator)
        & (summary["breakdown"].astype(str) == breakdown)
        & (summary["group"].astype(str) == group)
    ]
    return None if rows.empty else rows.iloc[0]


def interval(indicator: str, r: pd.Series, low: str = "ci95_low", high: str = "ci95_high") -> str:
    """ "a to b" in the indicator's unit, or a dash when there is no interval (one replication)."""
    if pd.isna(r.get(low)) or pd.isna(r.get(high)):
        return "– (one replication)"
    return f"{format_value(indicator, r[low])} to {format_value(indicator, r[high])}"


def extra_columns(frame: pd.DataFrame, known: Sequence[str] = SUMMARY_COLUMNS) -> list[str]:
    """Columns beyond the known ones: shown as they are."""
    return [c for c in frame.columns if c not in known]


def definition(r: pd.Series) -> str | None:
    """The published definition the summary names beside a figure, if it names one."""
    for column in DEFINITION_COLUMNS:
        if column in r and isinstance(r[column], str) and r[column]:
            return r[column]
    return None


def truthy(value: Any) -> bool:
    """A flag read from a CSV: True, "true", "yes" or 1."""
    return str(value).strip().lower() in ("true", "yes", "1", "1.0")


def rough(summary: pd.DataFrame) -> bool:
    """Are the intervals rough? The summary's own ``rough`` column when it has one, else fewer than five
    replications."""
    if "rough" in summary.columns:
        return bool(summary["rough"].map(truthy).any())
    return bool((summary["replications"].dropna() < ROUGH_BELOW_REPLICATIONS).any())


def drift_flag_column(frame: pd.DataFrame) -> str | None:
    return next((c for c in DRIFT_FLAG_COLUMNS if c in frame.columns), None)


def drifting(drift: pd.DataFrame | None) -> list[str]:
    """The series a drift table flags."""
    column = None if drift is None else drift_flag_column(drift)
    if column is None or drift is None:
        return []
    return [str(i) for i in drift.loc[drift[column].map(truthy), "indicator"]]


def _case_type_sentence(summary: pd.DataFrame, case_type: str) -> str | None:
    time = row(summary, TIME, "case_type", case_type)
    if time is None or pd.isna(time["mean"]):
        return None
    text = (
        f"{words(case_type).capitalize()} cases took {format_value(TIME, time['mean'])} weeks on average from issue to "
        f"disposal (95% interval {interval(TIME, time)})"
    )
    share = row(summary, WITHIN_26, "case_type", case_type)
    if share is not None and pd.notna(share["mean"]):
        text += f", and {format_value(WITHIN_26, share['mean'])} were disposed within 26 weeks"
    named = definition(time)
    return text + (f" ({named})." if named else ".")


def _groups_sentence(summary: pd.DataFrame, breakdown: str) -> str | None:
    """Whether the run tells a breakdown's groups apart in mean time to disposal, read from their intervals."""
    rows = summary[(summary["indicator"] == TIME) & (summary["breakdown"].astype(str) == breakdown)]
    rows = rows.dropna(subset=["mean"])
    if len(rows) < 2:
        return None
    if rows[["ci95_low", "ci95_high"]].isna().any().any():
        return None
    lowest, highest = rows.loc[rows["mean"].idxmin()], rows.loc[rows["mean"].idxmax()]
    if highest["ci95_low"] <= lowest["ci95_high"]:
        return (
            f"By {words(breakdown)}, mean time to disposal ranges from {format_value(TIME, lowest['mean'])} weeks "
            f"({words(lowest['group'])}) to {format_value(TIME, highest['mean'])} ({words(highest['group'])}), but the "
            "intervals overlap: this run cannot tell these groups apart."
        )
    return (
        f"By {words(breakdown)}, {words(highest['group'])} waits longest ({format_value(TIME, highest['mean'])} weeks, "
        f"{interval(TIME, highest)}) and {words(lowest['group'])} least ({format_value(TIME, lowest['mean'])}, "
        f"{interval(TIME, lowest)}); these two intervals do not overlap."
    )


def _attribution_sentence(summary: pd.DataFrame) -> str | None:
    rows = summary[
        (summary["breakdown"].astype(str) == "all")
        & summary["indicator"].str.endswith("_share")
        & summary["indicator"].str.startswith(ATTRIBUTION_PREFIXES)
    ].dropna(subset=["mean"])
    if (rows["indicator"] == "notice_court_share").any():
        rows = rows[rows["indicator"] != "wait_court_share"]  # split into notice and waiting for a listing
    if rows.empty:
        return None
    top = rows.loc[rows["mean"].idxmax()]
    part = words(str(top["indicator"]).removesuffix("_share"))
    return (
        f"The largest part of a disposed child's time in proceedings was {part} "
        f"({format_value('x_share', top['mean'])} of the days)."
    )


def run_summary(
    summary: pd.DataFrame | None, drift: pd.DataFrame | None, period_text: str, replications: int
) -> list[str]:
    """The run report's executive summary, a sentence per finding, from summary.csv and drift.csv."""
    sentences = [f"{replications} replications of the results period {period_text}."]
    if summary is None:
        return [*sentences, "The results folder has no summary.csv, so there are no figures to summarise."]
    case_types = [str(g) for g in dict.fromkeys(summary.loc[summary["breakdown"] == "case_type", "group"])]
    sentences += [s for s in (_case_type_sentence(summary, c) for c in case_types) if s]
    end = row(summary, OPEN_AT_END)
    if end is not None and pd.notna(end["mean"]):
        sentences.append(
            f"At the end of the run {format_value(OPEN_AT_END, end['mean'])} cases were open "
            f"(95% interval {interval(OPEN_AT_END, end)})."
        )
    sentences += [s for s in [_attribution_sentence(summary)] if s]
    sentences += [s for s in (_groups_sentence(summary, b) for b in COMPARED_BREAKDOWNS) if s]
    crossed = [b for b in dict.fromkeys(summary["breakdown"].astype(str)) if "case_type" in b and "domestic" in b]
    sentences.append(
        "Domestic abuse is read within a case type"
        + (f" (the {words(crossed[0])} breakdown below)" if crossed else "")
        + ": pooled over case types it sets Family Law Act remedies, all flagged, against care and private law cases."
    )
    flagged = drifting(drift)
    if flagged:
        sentences.append(
            f"{len(flagged)} headline series drift over the run ({', '.join(words(f) for f in flagged)}): their means "
            "depend on the run's length (see Steady state)."
        )
    elif drift is not None:
        sentences.append("No headline series drifts over the run.")
    if rough(summary):
        sentences.append(
            f"With fewer than {ROUGH_BELOW_REPLICATIONS} replications the intervals are rough: run more before "
            "quoting them."
        )
    return sentences


def comparison_summary(table: pd.DataFrame, base: str, indicators: Sequence[tuple[str, str, str]]) -> list[str]:
    """The comparison report's executive summary: each option's difference from the base in the headline
    indicators, with its paired interval, from compare.csv."""
    sentences = []
    replications = table["replications"].dropna()
    if not replications.empty:
        sentences.append(
            f"Each option is compared with {base} on the same random numbers over {int(replications.max())} "
            "replications; a difference is the option minus the base, replication by replication."
        )
    for option, rows in table.groupby("option", sort=False):
        parts = []
        for indicator, breakdown, group in indicators:
            found = rows[
                (rows["indicator"] == indicator)
                & (rows["breakdown"].astype(str) == breakdown)
                & (rows["group"].astype(str) == group)
            ]
            if found.empty or pd.isna(found.iloc[0]["difference_mean"]):
                continue
            r = found.iloc[0]
            who = "all children" if group == "all" else words(group)
            verdict = "distinguishable from no change" if truthy(r["distinguishable"]) else "not distinguishable"
            parts.append(
                f"{words(indicator)} for {who} changes by {float(r['difference_mean']):+.1f} "
                f"({interval(indicator, r, 'difference_ci95_low', 'difference_ci95_high')}; {verdict})"
            )
        if parts:
            sentences.append(f"{words(option).capitalize()}: " + "; ".join(parts) + ".")
    if not replications.empty and replications.min() < ROUGH_BELOW_REPLICATIONS:
        sentences.append(
            f"With fewer than {ROUGH_BELOW_REPLICATIONS} replications the intervals are rough: run more before "
            "quoting them."
        )
    sentences.append(
        "Many differences are shown at once: by chance alone about one in twenty intervals of an option that "
        "changes nothing would exclude zero."
    )
    return sentences
