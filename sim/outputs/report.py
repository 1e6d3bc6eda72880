"""The run report: one self-contained HTML file a reader can open anywhere and send on.

``python run_sim.py report DIR`` (and the end of ``run``) writes ``DIR/report.html`` from the results
directory, through the Jinja2 template ``templates/report.html.j2``: an executive summary in sentences
(:mod:`sim.outputs.summary_text`), a table of contents, what was run, the headline indicators per case type with
their 95% intervals and every breakdown ``summary.csv`` holds, the drift checks (``drift.csv``, when the run wrote
one), the child-centred indicators, where the time went by case type, domestic abuse, age band and region, the
figures (embedded as base64 PNG), the assumptions in force (the starting state, policies, every scenario key that
differs from ``scenarios/baseline.yaml``, and ``docs/assumptions.md`` quoted), replications, seeds and versions
(``manifest.json``), and the STRESS-DES reporting items the tool can fill in itself.

The report reads what the analysis wrote and puts it into words and pictures: it estimates nothing itself, so a new
column or breakdown in summary.csv shows up here as it is. Nothing is fetched from a network: no external CSS,
scripts, fonts or images, and no links out.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiment.results_folder import read_manifest
from sim.experiment.run_tables import check_results_dir, connect, read_table, replication_frames
from sim.outputs import report_figures, summary_text
from sim.outputs.cost_tables import run_costs
from sim.outputs.html import format_value, markdown_to_html, number, render, words, write_page
from sim.outputs.stress_des import stress_des_rows

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
ASSUMPTIONS = ROOT / "docs" / "assumptions.md"
REPORT_NAME = "report.html"

HEADLINE_INDICATORS = [
    "time_to_disposal_weeks_mean",
    "time_to_disposal_weeks_median",
    "time_to_disposal_weeks_p90",
    "disposed_within_26_weeks_share",
    "children_disposed_count",
    "open_cases_at_end_count",
    "cafcass_unallocated_at_end_count",
]
CHILD_HEADLINE = [
    "days_to_first_hearing_median",
    "time_to_disposal_weeks_mean",
    "time_to_disposal_weeks_median",
    "time_to_disposal_weeks_p90",
    "public_law_cases_within_26_weeks_share",
    "children_disposed_after_over_1_year_count",
    "children_open_over_1_year_at_end_count",
    "children_open_over_100_weeks_at_end_count",
    "open_children_daily_mean",
    "share_of_life_in_proceedings_mean",
    "hearings_per_case_mean",
    "adjournments_per_case_mean",
    "domestic_abuse_days_to_first_safeguarding_step_median",
    "domestic_abuse_days_to_fact_finding_median",
    "domestic_abuse_fact_finding_needed_share",
]


BREAKDOWN_INDICATORS = HEADLINE_INDICATORS[:4]
"""The indicators each breakdown's table shows."""
PERIOD_COLUMNS = ["start_date", "end_date", "status", "days_in_proceedings", "warm_up", "from_open_caseload"]
"""The children columns :func:`sim.analysis.periods.infer_period` reads (a folder without a manifest)."""
SECTIONS = {
    "summary": "Executive summary",
    "what-was-run": "What was run",
    "headline": "Headline indicators by case type",
    "drift": "Steady state: do the results drift?",
    "breakdowns": "Breakdowns",
    "children": "Children at the centre",
    "costs": "What delay and capacity cost",
    "attribution": "Where the time went",
    "figures": "Figures",
    "assumptions": "Assumptions in force",
    "replications": "Replications, seeds and versions",
    "stress-des": "STRESS-DES items filled in by the tool",
}
"""The report's sections, in order: the table of contents and the headings."""


def _table(summary: pd.DataFrame, indicators: list[str], breakdowns: tuple[str, ...], first: str) -> dict[str, Any]:
    """A table of the summary's rows of these indicators and breakdowns, with any extra column it has."""
    extras = summary_text.extra_columns(summary)
    rows = []
    for indicator in indicators:
        chosen = summary[(summary["indicator"] == indicator) & summary["breakdown"].astype(str).isin(breakdowns)]
        for _, r in chosen.iterrows():
            who = "all children" if r["breakdown"] == "all" else words(r["group"])
            rows.append(
                [
                    words(indicator),
                    who,
                    format_value(indicator, r["mean"]),
                    summary_text.interval(indicator, r),
                    number(r["replications"], 0),
                    *["" if pd.isna(r[c]) else words(r[c]) for c in extras],
                ]
            )
    header = ["indicator", first, "mean", "95% interval", "replications", *[words(c) for c in extras]]
    return {"header": header, "rows": rows, "numeric": (2, 3, 4)}


# ---------------------------------------------------------------------------------------------- scenario differences
def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, child in value.items():
            out.update(_flatten(child, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def differences_from_baseline(resolved: dict[str, Any], baseline: Path = BASELINE) -> list[tuple[str, Any, Any]]:
    """(key, this run's value, baseline value) of every resolved scenario key that differs from the baseline.

    Compared with the baseline file as it is now (the manifest holds the run's own scenario in full). A key
    only one side has shows ``None`` on the other side.
    """
    from sim.experiment.manifest import resolved_scenario
    from sim.scenario.loading import load_scenario

    base = _flatten(resolved_scenario(load_scenario(baseline)))
    mine = _flatten(resolved)
    keys = sorted(set(base) | set(mine))
    return [(k, mine.get(k), base.get(k)) for k in keys if mine.get(k) != base.get(k)]


# ---------------------------------------------------------------------------------------------- sections
def _what_was_run(manifest: dict[str, Any], directory: Path) -> dict[str, Any]:
    scenario = manifest.get("scenario", {})
    resolved = scenario.get("resolved", {})
    options = manifest.get("run_options", {})
    run_rows = [
        ("Scenario", scenario.get("name", "?"), False),
        ("Description", resolved.get("description", ""), False),
        ("Scenario file", scenario.get("path", "?"), True),
        ("Resolved scenario sha256", scenario.get("resolved_sha256", "?"), True),
        ("Results directory", str(directory), True),
        ("Replications", len([r for r in manifest.get("replications", {}).values() if r.get("ok")]), False),
        ("Root seed", manifest.get("random", {}).get("root_seed", options.get("seed", "?")), False),
        ("Status", manifest.get("status", "?"), False),
        ("Started / ended", f"{manifest.get('started')} / {manifest.get('ended')}", False),
        ("Command line", " ".join(manifest.get("command_line", [])), True),
    ]
    files = [(f["path"], f.get("sha256")) for f in scenario.get("files", [])]
    return {"run_rows": run_rows, "files": files}


def _starting_state(manifest: dict[str, Any]) -> dict[str, Any]:
    start = manifest.get("starting_state", {})
    counts = {
        k: {
            **v.get("by_stage", {}),
            **{f"{r}: {s}": d["count"] for r, stages in v.get("by_region", {}).items() for s, d in stages.items()},
        }
        for k, v in start.get("open_cases", {}).items()
    }
    return {
        "kind": start.get("starting_state_kind"),
        "simulation_start_date": start.get("simulation_start_date"),
        "results_start_date": start.get("results_start_date"),
        "warm_up_days": start.get("warm_up_days"),
        "open_cases": counts,
    }


def _assumptions(manifest: dict[str, Any]) -> dict[str, Any]:
    policies = [[p["name"], p["date"], p.get("set"), p.get("scale")] for p in manifest.get("policies", [])]
    resolved = manifest.get("scenario", {}).get("resolved")
    differences: list[list[Any]] | str | None = None
    if resolved is not None and BASELINE.exists():
        try:
            diffs = differences_from_baseline(resolved)
        except Exception as exc:  # the baseline may be mid-edit; the report still stands
            differences = str(exc)
        else:
            differences = [[k, a, b] for k, a, b in diffs if k not in ("name", "description")]
    log = markdown_to_html(ASSUMPTIONS.read_text(encoding="utf-8")) if ASSUMPTIONS.exists() else None
    return {
        "starting_state": _starting_state(manifest),
        "policies": policies,
        "differences": differences,
        "assumptions_log": log,
    }


def _replications(manifest: dict[str, Any]) -> dict[str, Any]:
    rows = []
    for key, r in sorted(manifest.get("replications", {}).items()):
        stats = r.get("run_stats") or {}
        rows.append(
            [
                r.get("replication", key),
                r.get("seed"),
                "yes" if r.get("ok") else f"no: {r.get('error')}",
                number(stats.get("cases_created"), 0),
                number(stats.get("children_created"), 0),
                number(stats.get("returns_started"), 0),
                number(r.get("wall_seconds"), 2),
            ]
        )
    code = manifest.get("code", {})
    versions = [[k, v] for k, v in manifest.get("packages", {}).items()]
    versions += [["code commit", code.get("commit")], ["uncommitted changes", code.get("dirty")]]
    return {"replications": rows, "versions": versions}


def _read_csv(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.exists() else None


def _drift(directory: Path, summary: pd.DataFrame | None) -> tuple[pd.DataFrame | None, dict[str, Any] | None]:
    """The drift table the run wrote (drift.csv, or drift columns in summary.csv), shown as it is."""
    drift = _read_csv(directory / "drift.csv")
    source = "drift.csv"
    if drift is None and summary is not None and summary_text.drift_flag_column(summary):
        drift, source = summary[summary["breakdown"] == "all"], "summary.csv"
    if drift is None:
        return None, None
    rows = [[words(v) if isinstance(v, str | bool) else number(v, 2) for v in r] for r in drift.itertuples(index=False)]
    numeric = tuple(i for i, c in enumerate(drift.columns) if pd.api.types.is_float_dtype(drift[c]))
    table = {"header": [words(c) for c in drift.columns], "rows": rows, "numeric": numeric, "source": source}
    return drift, {**table, "flagged": bool(summary_text.drifting(drift))}


def _breakdown_tables(summary: pd.DataFrame | None) -> list[dict[str, Any]]:
    if summary is None:
        return []
    tables = []
    for breakdown in dict.fromkeys(summary["breakdown"].astype(str)):
        if breakdown in ("all", "month"):
            continue
        table = _table(summary, BREAKDOWN_INDICATORS + CHILD_HEADLINE[:1], (breakdown,), "group")
        if table["rows"]:
            tables.append({"title": f"By {words(breakdown)}", "note": None, **table})
    return tables


def _headline(summary: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    if summary is None:
        return None
    blocks = [
        {"title": "Case types side by side", **_table(summary, HEADLINE_INDICATORS, ("case_type", "team"), "group")}
    ]
    blocks.append(
        {
            "title": "All children (pooled over case types: not a published figure)",
            **_table(summary, HEADLINE_INDICATORS, ("all",), "children"),
        }
    )
    return blocks


def _attribution(tables: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """A table per breakdown of where disposed children's days went (``tables``: by -> its attribution table)."""
    blocks = []
    for by, table in tables.items():
        rows = [
            [
                words(r["group"]),
                f"{r['kind']} ({words(r['agency'])})",
                number(r["days_mean"]),
                f"{r['share']:.1%}" if pd.notna(r["share"]) else "–",
            ]
            for _, r in table.iterrows()
            if r["days_total"] > 0
        ]
        header = [words(by), "component", "mean days per child", "share of the days"]
        blocks.append({"title": f"By {words(by)}", "header": header, "rows": rows, "numeric": (2, 3)})
    return blocks


def _child_indicators(directory: Path, period: tuple[Any, Any]) -> pd.DataFrame:
    """The child-centred indicators of a run whose summary.csv lacks them (an older run), from its tables, one
    replication at a time."""
    from sim.analysis.indicators import indicators
    from sim.analysis.statistics import summarise

    rows = [
        indicators(children, read_table(directory, "stages", r), period, by_month=False)
        for r, children in replication_frames(directory, "children")
    ]
    return summarise(pd.concat(rows, ignore_index=True))


def _period(directory: Path, manifest: dict[str, Any]) -> tuple[Any, Any]:
    """The results period: from the manifest, or inferred from the children table of a folder without one."""
    from sim.analysis.periods import infer_period, run_period

    if "scenario" in manifest:
        return run_period(manifest)
    return infer_period(read_table(directory, "children", columns=PERIOD_COLUMNS))


# ---------------------------------------------------------------------------------------------- the report
def render_report(directory: str | Path) -> str:
    """The report for a results directory, as an HTML string: its numbers from summary.csv and the manifest, its
    tables and figures from DuckDB queries over the replications' Parquet files (memory holds their answers)."""
    from sim.analysis.periods import ONE_DAY
    from sim.experiment.run_aggregates import delay_attribution_tables as attribution_tables

    started = time.perf_counter()
    directory = check_results_dir(directory)
    manifest = read_manifest(directory)
    period = _period(directory, manifest)
    period_text = f"{period[0]:%d %B %Y} to {period[1] - ONE_DAY:%d %B %Y}"
    name = manifest.get("scenario", {}).get("name", directory.name)
    summary = _read_csv(directory / "summary.csv")
    drift, drift_table = _drift(directory, summary)
    replications = len([r for r in manifest.get("replications", {}).values() if r.get("ok")])
    child = summary  # the child-centred indicators: from summary.csv, or from the tables when it lacks them
    if summary is None or not summary["indicator"].isin(CHILD_HEADLINE).any():
        child = _child_indicators(directory, period)
    sentences = summary_text.run_summary(summary, drift, period_text, replications)
    warnings = []
    if summary is not None and summary_text.rough(summary):
        warnings.append(
            f"Fewer than {summary_text.ROUGH_BELOW_REPLICATIONS} replications: every interval in this report is rough."
        )
    warnings += [f"{words(s)} drifts over the run: see Steady state." for s in summary_text.drifting(drift)]
    with connect(directory) as run:
        columns = run.columns("children")
        tables = {by: attribution_tables(run, by) for by in report_figures.ATTRIBUTION_BY if by in columns}
        attribution = {by: both[True] for by, both in tables.items()}  # the court's wait split, for the tables
        unsplit = {by: both[False] for by, both in tables.items()}  # for the figures
        headline = HEADLINE_INDICATORS + CHILD_HEADLINE
        figure_groups = report_figures.figure_groups(run, period, summary, headline, unsplit)
    context = {
        "title": f"{name}: simulation report",
        "name": name,
        "period_text": period_text,
        "sections": SECTIONS,
        "summary_sentences": sentences,
        "warnings": warnings,
        **_what_was_run(manifest, directory),
        "headline": _headline(summary),
        "interval_note": None,
        "drift": drift_table,
        "breakdown_tables": _breakdown_tables(summary),
        "children": _table(child, CHILD_HEADLINE, ("all",), "children"),
        "costs": run_costs(summary),
        "attribution": _attribution(attribution),
        "figure_groups": figure_groups,
        **_assumptions(manifest),
        **_replications(manifest),
        "stress_des": stress_des_rows(manifest, directory),
        "written": f"{pd.Timestamp.now():%Y-%m-%d %H:%M}",
    }
    context["seconds"] = time.perf_counter() - started
    return render("report.html.j2", **context)


def write_report(directory: str | Path) -> Path:
    """Write DIR/report.html (atomically) and return its path."""
    return write_page(directory, REPORT_NAME, render_report(directory))
