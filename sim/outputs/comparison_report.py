"""The comparison report: one self-contained HTML file (``DIR/comparison.html``) that puts a base scenario and every
option side by side, written by ``compare`` from its results folder.

Read from the folder, through the Jinja2 template ``templates/comparison.html.j2``: compare.csv (paired differences,
option minus base, with their intervals), the comparison's manifest.json (which scenario is the base), and each
scenario's own folder under ``scenarios/`` (its summary.csv, manifest, children and timeline), or the folder the
manifest's ``directory`` names for a stored run compared where it lies (the scenario page, sim.workbench). It shows
an executive summary in sentences, the scenarios, the headline indicators side by side, a forest of the paired
differences of every headline indicator, time to disposal overlaid, and the backlog's bands over time. Nothing is
estimated here; like the run report, it refers to nothing outside itself.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.statistics import is_share
from sim.experiment.compare import PAIRED_COLUMNS
from sim.experiment.run_aggregates import disposal_spreads
from sim.experiment.run_tables import connect, read_table
from sim.outputs import summary_text
from sim.outputs.cost_tables import net_costs
from sim.outputs.html import Embedded, embed, format_value, number, render, words, write_page
from sim.outputs.report import CHILD_HEADLINE, HEADLINE_INDICATORS

COMPARISON_REPORT_NAME = "comparison.html"
SECTIONS = {
    "summary": "Executive summary",
    "scenarios": "The scenarios",
    "side-by-side": "Headline indicators side by side",
    "differences": "Paired differences",
    "costs": "Options by net cost",
    "distributions": "Time to disposal, overlaid",
    "backlog": "The backlog over time",
    "all-differences": "Every difference",
}
"""The comparison report's sections, in order: the table of contents and the headings."""
SUMMARY_INDICATORS = [
    ("time_to_disposal_weeks_mean", "case_type", "public_law"),
    ("time_to_disposal_weeks_mean", "case_type", "private_law"),
    ("disposed_within_26_weeks_share", "case_type", "public_law"),
    ("open_cases_at_end_count", "all", "all"),
]
"""The differences the executive summary puts into words: per case type, never pooled over case types."""
SIDE_BY_SIDE_BREAKDOWNS = ("all", "case_type")
COMPARE_KNOWN = (*PAIRED_COLUMNS, "distinguishable")
"""compare.csv's columns the table of every difference shows in its own cells (or leaves out); any other (the
test's, :data:`sim.experiment.compare.TEST_COLUMNS`, say) is shown as it is."""


def _scenarios(directory: Path) -> tuple[str, dict[str, Path], list[list[Any]]]:
    """(base name, name -> scenario folder, rows of the scenarios table) from the comparison's manifest."""
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    folders, rows = {}, []
    for option in manifest.get("options", []):
        folder = directory / "scenarios" / option["name"]
        if not folder.is_dir() and option.get("directory"):  # a stored run, compared where it lies (serve)
            folder = Path(option["directory"])
        folders[option["name"]] = folder
        own = folder / "manifest.json"
        resolved = json.loads(own.read_text(encoding="utf-8")).get("scenario", {}) if own.exists() else {}
        description = resolved.get("resolved", {}).get("description", "")
        role = "base" if option["name"] == manifest.get("base") else "option"
        rows.append([option["name"], role, description, option.get("path", "?"), option.get("resolved_sha256", "?")])
    return str(manifest.get("base")), folders, rows


def _side_by_side(folders: dict[str, Path], table: pd.DataFrame, base: str) -> dict[str, Any]:
    """Each scenario's mean of the headline indicators (from its summary.csv), with each option's paired difference."""
    summaries = {name: pd.read_csv(f / "summary.csv") for name, f in folders.items() if (f / "summary.csv").exists()}
    options = [n for n in folders if n != base]
    header = ["indicator", "children", *[f"{n} (base)" if n == base else n for n in folders]]
    header += [f"{n} minus base (95% interval)" for n in options]
    rows = []
    for indicator in HEADLINE_INDICATORS:
        keys = summaries.get(base, pd.DataFrame(columns=["indicator", "breakdown", "group"]))
        keys = keys[(keys["indicator"] == indicator) & keys["breakdown"].astype(str).isin(SIDE_BY_SIDE_BREAKDOWNS)]
        for _, key in keys.iterrows():
            cells = [words(indicator), "all children" if key["group"] == "all" else words(key["group"])]
            for name in folders:
                found = summaries.get(name)
                r = None if found is None else summary_text.row(found, indicator, key["breakdown"], key["group"])
                cells.append("–" if r is None else format_value(indicator, r["mean"]))
            for name in options:
                d = table[
                    (table["option"] == name)
                    & (table["indicator"] == indicator)
                    & (table["breakdown"].astype(str) == str(key["breakdown"]))
                    & (table["group"].astype(str) == str(key["group"]))
                ]
                cells.append("–" if d.empty else _difference(indicator, d.iloc[0]))
            rows.append(cells)
    return {"header": header, "rows": rows, "numeric": tuple(range(2, len(header)))}


def _difference(indicator: str, r: pd.Series) -> str:
    value = r["difference_mean"]
    if pd.isna(value):
        return "–"
    shown = f"{value:+.1%}" if is_share(indicator) else f"{value:+,.1f}"
    return f"{shown} ({summary_text.interval(indicator, r, 'difference_ci95_low', 'difference_ci95_high')})"


def _every_difference(table: pd.DataFrame) -> dict[str, Any]:
    extras = summary_text.extra_columns(table, COMPARE_KNOWN)
    rows = [
        [
            r["option"],
            words(r["indicator"]),
            "all children" if r["breakdown"] == "all" else f"{words(r['breakdown'])}: {words(r['group'])}",
            format_value(r["indicator"], r["base_mean"]),
            format_value(r["indicator"], r["option_mean"]),
            _difference(r["indicator"], r),
            "yes" if summary_text.truthy(r["distinguishable"]) else "no",
            number(r["replications"], 0),
            *["" if pd.isna(r[c]) else words(r[c]) for c in extras],
        ]
        for _, r in table.iterrows()
        if str(r["breakdown"]) in SIDE_BY_SIDE_BREAKDOWNS
    ]
    header = ["option", "indicator", "children", "base", "option", "difference (95% interval)", "interval excludes 0"]
    return {"header": [*header, "replications", *[words(c) for c in extras]], "rows": rows, "numeric": (3, 4, 5, 7)}


def _figures(directory: Path, table: pd.DataFrame, folders: dict[str, Path]) -> dict[str, list[Embedded]]:
    import sim.outputs.breakdown_figures as groups
    import sim.outputs.figures as plots

    children = {}  # each scenario's distributions by case type, aggregated over its Parquet files
    for name, folder in folders.items():
        with connect(folder) as run:
            children[name] = disposal_spreads(run, "case_type")
    timelines = {name: read_table(f, "timeline") for name, f in folders.items()}
    forest_rows = table[table["breakdown"].astype(str).isin(SIDE_BY_SIDE_BREAKDOWNS)]
    forest = groups.panel_forest(
        forest_rows,
        HEADLINE_INDICATORS + CHILD_HEADLINE,
        "Difference from the base (option minus base), with paired 95% intervals",
        estimate="difference_mean",
        low="difference_ci95_low",
        high="difference_ci95_high",
        series="option",
        zero_line=True,
    )
    national = {name: t.assign(region="all regions") for name, t in timelines.items()}
    return {
        "differences": [embed(forest, "Paired differences of every headline indicator, overall and by case type.")],
        "distributions": [
            embed(plots.disposal_ecdf(children, "case_type"), "Time to disposal by case type, scenarios overlaid."),
        ],
        "backlog": [
            embed(
                groups.backlog_by_region(national, title="Open cases, all regions"),
                "Open cases over time, all regions: each scenario's bands.",
            ),
            embed(groups.backlog_by_region(timelines), "Open cases over time by region: each scenario's bands."),
        ],
    }


def render_comparison(directory: str | Path) -> str:
    """The comparison report for a compare folder, as an HTML string."""
    started = time.perf_counter()
    directory = Path(directory)
    table = pd.read_csv(directory / "compare.csv")
    base, folders, scenarios = _scenarios(directory)
    context = {
        "title": f"Comparison: {', '.join(folders)}",
        "base": base,
        "options": [n for n in folders if n != base],
        "sections": SECTIONS,
        "summary_sentences": summary_text.comparison_summary(table, base, SUMMARY_INDICATORS),
        "scenarios": scenarios,
        "side_by_side": _side_by_side(folders, table, base),
        "net_costs": net_costs(table),
        "figures": _figures(directory, table, folders),
        "every_difference": _every_difference(table),
        "directory": str(directory),
        "written": f"{pd.Timestamp.now():%Y-%m-%d %H:%M}",
    }
    context["seconds"] = time.perf_counter() - started
    return render("comparison.html.j2", **context)


def write_comparison_report(directory: str | Path) -> Path:
    """Write DIR/comparison.html (atomically) from a compare folder and return its path."""
    return write_page(directory, COMPARISON_REPORT_NAME, render_comparison(directory))
