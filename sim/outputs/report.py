"""The run report: one self-contained HTML file a reader can open anywhere and send on.

``python run_sim.py report DIR`` (and the end of ``run``) writes ``DIR/report.html`` from the results
directory: what was run, the headline indicators with 95% confidence intervals (``summary.csv``), the
child-centred indicators (:mod:`sim.analysis.indicators`), the figures (:mod:`sim.outputs.figures`, embedded
as base64 PNG), the
assumptions in force (the starting state, policies, every scenario key that differs from
``scenarios/baseline.yaml``, and the assumptions log ``docs/assumptions.md`` quoted), replications, seeds
and versions (``manifest.json``), and the STRESS-DES reporting items the tool can fill in itself.

Nothing is fetched from a network: no external CSS, scripts, fonts or images, and no links out.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiment.owned_files import ledger, write_atomically
from sim.experiment.results_folder import check_results_dir, read_manifest, read_table
from sim.outputs.html import CSS, escape, figure_html, format_value, html_table, markdown_to_html, number, words
from sim.outputs.stress_des import stress_des_section

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


def _summary_rows(summary: pd.DataFrame, indicators: list[str], breakdowns: tuple[str, ...]) -> list[list[str]]:
    rows = []
    for indicator in indicators:
        for _, r in summary[(summary["indicator"] == indicator) & summary["breakdown"].isin(breakdowns)].iterrows():
            who = "all children" if r["breakdown"] == "all" else f"{words(r['breakdown'])}: {words(r['group'])}"
            ci = (
                f"{format_value(indicator, r['ci95_low'])} to {format_value(indicator, r['ci95_high'])}"
                if pd.notna(r["ci95_low"])
                else "– (one replication)"
            )
            n = number(r["replications"], 0)
            rows.append([escape(words(indicator)), escape(who), format_value(indicator, r["mean"]), ci, n])
    return rows


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
def _what_was_run(manifest: dict[str, Any], directory: Path) -> str:
    scenario = manifest.get("scenario", {})
    resolved = scenario.get("resolved", {})
    files = "".join(
        f"<li><code>{escape(f['path'])}</code> (sha256 <code>{escape(f.get('sha256'))}</code>)</li>"
        for f in scenario.get("files", [])
    )
    options = manifest.get("run_options", {})
    rows = [
        ["Scenario", f"<strong>{escape(scenario.get('name', '?'))}</strong>"],
        ["Description", escape(resolved.get("description", ""))],
        ["Scenario file", f"<code>{escape(scenario.get('path', '?'))}</code>"],
        ["Files read", f"<ul>{files}</ul>" if files else "–"],
        ["Resolved scenario sha256", f"<code>{escape(scenario.get('resolved_sha256', '?'))}</code>"],
        ["Results directory", f"<code>{escape(directory)}</code>"],
        ["Replications", escape(len([r for r in manifest.get("replications", {}).values() if r.get("ok")]))],
        ["Root seed", escape(manifest.get("random", {}).get("root_seed", options.get("seed", "?")))],
        ["Status", escape(manifest.get("status", "?"))],
        ["Started / ended", f"{escape(manifest.get('started'))} / {escape(manifest.get('ended'))}"],
        ["Command line", f"<code>{escape(' '.join(manifest.get('command_line', [])))}</code>"],
    ]
    return "<h2>What was run</h2>" + html_table(["", ""], rows)


def _starting_state(manifest: dict[str, Any]) -> str:
    start = manifest.get("starting_state", {})
    kind = start.get("starting_state_kind")
    if kind == "warm_up":
        text = (
            f"The model started empty on {start.get('simulation_start_date')} and ran a warm-up of "
            f"{number(start.get('warm_up_days'), 0)} days before results start on {start.get('results_start_date')}. "
            "Cases that started during the warm-up are flagged <code>warm_up</code> and left out of times and "
            "shares; children still in proceedings from them count in open caseloads and child-days."
        )
    elif kind == "open_caseload":
        counts = {
            k: {
                **v.get("by_stage", {}),
                **{f"{r}: {s}": d["count"] for r, stages in v.get("by_region", {}).items() for s, d in stages.items()},
            }
            for k, v in start.get("open_cases", {}).items()
        }
        text = (
            f"The run started on {start.get('results_start_date')} from a declared open caseload ({escape(counts)}). "
            "Those cases are flagged <code>from_open_caseload</code>: their earlier history was not simulated, so "
            "they are left out of times and shares; they count in open caseloads and child-days."
        )
    else:
        text = (
            f"The run started empty on {start.get('results_start_date')}, with no warm-up: the system fills up "
            "during the run, so early results understate queues and delay."
        )
    return f"<h3>Starting state</h3><p>{text}</p>"


def _assumptions(manifest: dict[str, Any]) -> str:
    parts = ["<h2>Assumptions in force</h2>", _starting_state(manifest)]
    policies = manifest.get("policies", [])
    if policies:
        rows = [[escape(p["name"]), escape(p["date"]), escape(p.get("set")), escape(p.get("scale"))] for p in policies]
        parts.append("<h3>Policies</h3>" + html_table(["policy", "from", "sets", "scales"], rows))
    else:
        parts.append("<h3>Policies</h3><p>None: the scenario holds for the whole run.</p>")
    resolved = manifest.get("scenario", {}).get("resolved")
    if resolved is not None and BASELINE.exists():
        try:
            diffs = differences_from_baseline(resolved)
        except Exception as exc:  # the baseline may be mid-edit; the report still stands
            parts.append(f"<p>Could not compare with scenarios/baseline.yaml: {escape(exc)}</p>")
        else:
            changed = [d for d in diffs if d[0] not in ("name", "description")]
            if not changed:
                parts.append("<h3>Differences from the baseline</h3><p>None: this run is the baseline scenario.</p>")
            else:
                rows = [[f"<code>{escape(k)}</code>", escape(a), escape(b)] for k, a, b in changed]
                parts.append(
                    f"<h3>Differences from the baseline</h3><p>{len(changed)} scenario keys differ from "
                    "<code>scenarios/baseline.yaml</code> (as that file is now; None: not set on that side).</p>"
                    + html_table(["key", "this run", "baseline"], rows)
                )
    if ASSUMPTIONS.exists():
        parts.append(
            "<h3>Assumptions log</h3><p>Quoted from <code>docs/assumptions.md</code> in the code version of this "
            "report. Its parameter rows describe the baseline; where this run differs (above), this run's value "
            "holds. The structural assumptions hold for every run.</p>"
            "<details><summary>The assumptions log</summary>"
            + markdown_to_html(ASSUMPTIONS.read_text(encoding="utf-8"))
            + "</details>"
        )
    return "\n".join(parts)


def _replications(manifest: dict[str, Any]) -> str:
    rows = []
    for key, r in sorted(manifest.get("replications", {}).items()):
        stats = r.get("run_stats") or {}
        rows.append(
            [
                escape(r.get("replication", key)),
                escape(r.get("seed")),
                "yes" if r.get("ok") else f"no: {escape(r.get('error'))}",
                number(stats.get("cases_created"), 0),
                number(stats.get("children_created"), 0),
                number(stats.get("returns_started"), 0),
                number(r.get("wall_seconds"), 2),
            ]
        )
    packages = manifest.get("packages", {})
    code = manifest.get("code", {})
    versions = html_table(
        ["", ""],
        [[escape(k), escape(v)] for k, v in packages.items()]
        + [["code commit", escape(code.get("commit"))], ["uncommitted changes", escape(code.get("dirty"))]],
    )
    return (
        "<h2>Replications, seeds and versions</h2>"
        + html_table(
            ["replication", "root seed", "ok", "cases", "children", "returns to court", "seconds"],
            rows,
            numeric={3, 4, 5, 6},
        )
        + "<p>Replication <em>r</em> draws its random numbers from streams seeded by (root seed, <em>r</em>), so "
        "a replication is the same whatever the number of workers.</p>" + versions
    )


def _indicator_sections(directory: Path, manifest: dict[str, Any], children: pd.DataFrame, stages: pd.DataFrame) -> str:
    from sim.analysis.attribution import delay_attribution
    from sim.analysis.indicators import indicators
    from sim.analysis.periods import infer_period, run_period
    from sim.analysis.rows import breakdowns
    from sim.analysis.statistics import summarise

    parts = ["<h2>Headline indicators</h2>"]
    summary_path = directory / "summary.csv"
    if summary_path.exists():
        summary = pd.read_csv(summary_path)
        rows = _summary_rows(summary, HEADLINE_INDICATORS, ("all", "case_type", "team"))
        parts.append(
            "<p>Mean across replications with a Student-t 95% confidence interval (from <code>summary.csv</code>). "
            "Times are measured on children whose case was disposed and started in the results period.</p>"
            + html_table(["indicator", "children", "mean", "95% CI", "replications"], rows, numeric={2, 3, 4})
        )
    else:
        parts.append("<p>summary.csv is missing from the results directory.</p>")
    period = run_period(manifest) if "scenario" in manifest else infer_period(children)
    child = summarise(indicators(children, stages, period, by_month=False))
    parts.append(
        "<h2>Children at the centre</h2><p>Indicators about children (sim/analysis/indicators.py): time to "
        "disposal in weeks, shorter times in days, the share of a "
        "child's life spent in proceedings, long waits and hearings. Times and shares count children whose case "
        "started in the results period; counts of children open at the end and child-days count every child in "
        "proceedings at the time (including cases from a warm-up or a declared open caseload).</p>"
        + html_table(
            ["indicator", "children", "mean", "95% CI", "replications"],
            _summary_rows(child, CHILD_HEADLINE, ("all",)),
            numeric={2, 3, 4},
        )
    )
    for breakdown in breakdowns(children):
        rows = _summary_rows(child, CHILD_HEADLINE, (breakdown,))
        if rows:
            parts.append(
                f"<details><summary>By {escape(words(breakdown))}</summary>"
                + html_table(["indicator", "group", "mean", "95% CI", "replications"], rows, numeric={2, 3, 4})
                + "</details>"
            )
    table = delay_attribution(children, by="case_type", split_court_wait=True)
    rows = [
        [
            escape(words(r["group"])),
            escape(f"{r['kind']} ({words(r['agency'])})"),
            number(r["days_mean"]),
            f"{r['share']:.1%}" if pd.notna(r["share"]) else "–",
        ]
        for _, r in table.iterrows()
        if r["days_total"] > 0
    ]
    parts.append(
        "<h2>Where the time went</h2><p>Each disposed child's days from issue to disposal, split into waiting for "
        "and active work by each agency (all replications pooled; the parts add up to the days in proceedings). "
        "The wait for the court is split into the procedural notice the rules or directions set (from a hearing's "
        "request to the earliest day it may be listed) and waiting for a listing because the lists are full; a "
        "team's wait is waiting for allocation (its unallocated queue).</p>"
        + html_table(["case type", "component", "mean days per child", "share of the days"], rows, numeric={2, 3})
    )
    return "\n".join(parts)


def _figures(children: pd.DataFrame, timeline: pd.DataFrame, period: tuple[Any, Any]) -> str:
    import sim.outputs.figures as plots

    results_start = period[0]
    made = [
        (
            plots.disposal_ecdf(children, "case_type"),
            "Time to disposal by case type (dashed: 26 weeks). Each line rises as children's cases are disposed.",
        ),
        (plots.disposal_ecdf(children, "domestic_abuse"), "Time to disposal, with and without domestic abuse alleged."),
        (plots.disposal_violin(children, "case_type"), "Spread of time to disposal by case type."),
        (plots.disposal_violin(children, "domestic_abuse"), "Spread of time to disposal by domestic-abuse flag."),
        (plots.open_caseload_fan(timeline, results_start), "Open caseload over time across replications."),
        (plots.child_days_fan(children, period), "Children in proceedings on an average day of each month."),
        (plots.cafcass_queue(timeline, results_start), "Cases waiting for a Cafcass officer to be allocated."),
        (plots.utilisation(timeline, results_start), "Share of each agency's capacity in use."),
        (plots.delay_attribution_bars(children, "case_type"), "Where disposed children's days went, by case type."),
    ]
    return "<h2>Figures</h2>" + "\n".join(figure_html(fig, caption) for fig, caption in made)


# ---------------------------------------------------------------------------------------------- the report
def render(directory: str | Path) -> str:
    """The report for a results directory, as an HTML string."""
    from sim.analysis.periods import ONE_DAY, infer_period, run_period

    started = time.perf_counter()
    directory = check_results_dir(directory)
    manifest = read_manifest(directory)
    children = read_table(directory, "children")
    stages = read_table(directory, "stages")
    timeline = read_table(directory, "timeline")
    period = run_period(manifest) if "scenario" in manifest else infer_period(children)
    name = manifest.get("scenario", {}).get("name", directory.name)
    body = [
        f"<h1>Family justice simulation: {escape(name)}</h1>",
        f"<p class='note'>Simulated results, not forecasts: they follow from the scenario and assumptions below. "
        f"Results period {period[0]:%d %B %Y} to {period[1] - ONE_DAY:%d %B %Y}.</p>",
        _what_was_run(manifest, directory),
        _indicator_sections(directory, manifest, children, stages),
        _figures(children, timeline, period),
        _assumptions(manifest),
        _replications(manifest),
        stress_des_section(manifest, directory),
        f"<p><small>Report written {pd.Timestamp.now():%Y-%m-%d %H:%M} in "
        f"{time.perf_counter() - started:.1f} s by sim/outputs/report.py.</small></p>",
    ]
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(name)}: simulation report</title><style>{CSS}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def write_report(directory: str | Path) -> Path:
    """Write DIR/report.html (atomically) and return its path."""
    text = render(directory)
    path = Path(directory) / REPORT_NAME
    with ledger(directory, strict=False, owner=False):  # listed in the run's manifest, so --force removes it
        write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path
