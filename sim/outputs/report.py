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

import base64
import html
import io
import math
import re
import time
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiment.results_folder import check_results_dir, read_manifest, read_table
from sim.model.columns import write_atomically

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

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; margin: 2em auto; max-width: 1100px;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #444; padding-bottom: .2em; }
h2 { border-bottom: 1px solid #bbb; margin-top: 2em; }
table { border-collapse: collapse; margin: .8em 0; font-size: 90%; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 90%; color: #444; }
code { background: #f4f4f4; padding: 0 .2em; }
.note { background: #fff8e0; border-left: 4px solid #e0b000; padding: .5em 1em; }
details { margin: .8em 0; }
summary { cursor: pointer; font-weight: 600; }
"""


# ---------------------------------------------------------------------------------------------- small helpers
def _e(value: Any) -> str:
    """Escape for HTML, and break any URL scheme so the file never refers to a network resource."""
    return html.escape(str(value)).replace("://", ":&#47;&#47;")


def _number(value: Any, digits: int = 1) -> str:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return _e(value)
    if math.isnan(x):
        return "–"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def _format(indicator: str, value: Any) -> str:
    if indicator.endswith("_share") or indicator.startswith("share_"):
        try:
            x = float(value)
        except (TypeError, ValueError):
            return _e(value)
        return "–" if math.isnan(x) else f"{x:.1%}"
    return _number(value, 0 if indicator.endswith("_count") else 1)


def _table(header: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f"<td class='num'>{c}</td>" if i in numeric else f"<td>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _words(name: Any) -> str:
    text = str(name)
    if text in ("true", "True"):
        return "yes"
    if text in ("false", "False"):
        return "no"
    return text.replace("_", " ")


def _summary_rows(summary: pd.DataFrame, indicators: list[str], breakdowns: tuple[str, ...]) -> list[list[str]]:
    rows = []
    for indicator in indicators:
        for _, r in summary[(summary["indicator"] == indicator) & summary["breakdown"].isin(breakdowns)].iterrows():
            who = "all children" if r["breakdown"] == "all" else f"{_words(r['breakdown'])}: {_words(r['group'])}"
            ci = (
                f"{_format(indicator, r['ci95_low'])} to {_format(indicator, r['ci95_high'])}"
                if pd.notna(r["ci95_low"])
                else "– (one replication)"
            )
            n = _number(r["replications"], 0)
            rows.append([_e(_words(indicator)), _e(who), _format(indicator, r["mean"]), ci, n])
    return rows


def figure_html(fig: Any, caption: str) -> str:
    """A matplotlib figure as an embedded base64 PNG with a caption (the figure is closed)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f"<figure><img alt='{_e(caption)}' src='data:image/png;base64,{data}'>"
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


# ---------------------------------------------------------------------------------------------- markdown (quoted docs)
def _inline(text: str) -> str:
    out = _e(text)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", out)  # links become their text
    return out


def markdown_to_html(text: str) -> str:
    """Just enough Markdown for the project's docs: headings, paragraphs, lists, tables, code, bold."""
    lines = text.splitlines()
    out: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    ordered = False
    table: list[list[str]] = []

    def flush() -> None:
        nonlocal paragraph, items, table
        if paragraph:
            out.append(f"<p>{_inline(' '.join(paragraph))}</p>")
            paragraph = []
        if items:
            tag = "ol" if ordered else "ul"
            out.append(f"<{tag}>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + f"</{tag}>")
            items = []
        if table:
            header, *body = table
            body = [r for r in body if not all(re.fullmatch(r":?-{3,}:?", c.strip()) for c in r)]
            out.append(
                "<table><thead><tr>"
                + "".join(f"<th>{_inline(c)}</th>" for c in header)
                + "</tr></thead><tbody>"
                + "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in body)
                + "</tbody></table>"
            )
            table = []

    for line in lines:
        stripped = line.strip()
        heading = re.match(r"^(#{1,4})\s+(.*)", stripped)
        bullet = re.match(r"^(?:[-*]|(\d+)\.)\s+(.*)", stripped)
        if not stripped:
            flush()
        elif heading:
            flush()
            level = min(6, len(heading.group(1)) + 2)
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif stripped.startswith("|"):
            if paragraph or items:
                flush()
            table.append([c.strip() for c in stripped.strip("|").split("|")])
        elif bullet and not line.startswith("    "):
            if paragraph or table:
                flush()
            ordered = bullet.group(1) is not None
            items.append(bullet.group(2))
        elif items and line.startswith(" "):
            items[-1] += " " + stripped
        else:
            if table:
                flush()
            paragraph.append(stripped)
    flush()
    return "\n".join(out)


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
    from sim.scenario.schema import load_scenario

    base = _flatten(resolved_scenario(load_scenario(baseline)))
    mine = _flatten(resolved)
    keys = sorted(set(base) | set(mine))
    return [(k, mine.get(k), base.get(k)) for k in keys if mine.get(k) != base.get(k)]


# ---------------------------------------------------------------------------------------------- sections
def _what_was_run(manifest: dict[str, Any], directory: Path) -> str:
    scenario = manifest.get("scenario", {})
    resolved = scenario.get("resolved", {})
    files = "".join(
        f"<li><code>{_e(f['path'])}</code> (sha256 <code>{_e(f.get('sha256'))}</code>)</li>"
        for f in scenario.get("files", [])
    )
    options = manifest.get("run_options", {})
    rows = [
        ["Scenario", f"<strong>{_e(scenario.get('name', '?'))}</strong>"],
        ["Description", _e(resolved.get("description", ""))],
        ["Scenario file", f"<code>{_e(scenario.get('path', '?'))}</code>"],
        ["Files read", f"<ul>{files}</ul>" if files else "–"],
        ["Resolved scenario sha256", f"<code>{_e(scenario.get('resolved_sha256', '?'))}</code>"],
        ["Results directory", f"<code>{_e(directory)}</code>"],
        ["Replications", _e(len([r for r in manifest.get("replications", {}).values() if r.get("ok")]))],
        ["Root seed", _e(manifest.get("random", {}).get("root_seed", options.get("seed", "?")))],
        ["Status", _e(manifest.get("status", "?"))],
        ["Started / ended", f"{_e(manifest.get('started'))} / {_e(manifest.get('ended'))}"],
        ["Command line", f"<code>{_e(' '.join(manifest.get('command_line', [])))}</code>"],
    ]
    return "<h2>What was run</h2>" + _table(["", ""], rows)


def _starting_state(manifest: dict[str, Any]) -> str:
    start = manifest.get("starting_state", {})
    kind = start.get("starting_state_kind")
    if kind == "warm_up":
        text = (
            f"The model started empty on {start.get('simulation_start_date')} and ran a warm-up of "
            f"{_number(start.get('warm_up_days'), 0)} days before results start on {start.get('results_start_date')}. "
            "Cases that started during the warm-up are flagged <code>warm_up</code> and left out of times and "
            "shares; children still in proceedings from them count in open caseloads and child-days."
        )
    elif kind == "open_caseload":
        counts = {k: v.get("by_stage", v) for k, v in start.get("open_cases", {}).items()}
        text = (
            f"The run started on {start.get('results_start_date')} from a declared open caseload ({_e(counts)}). "
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
        rows = [[_e(p["name"]), _e(p["date"]), _e(p.get("set")), _e(p.get("scale"))] for p in policies]
        parts.append("<h3>Policies</h3>" + _table(["policy", "from", "sets", "scales"], rows))
    else:
        parts.append("<h3>Policies</h3><p>None: the scenario holds for the whole run.</p>")
    resolved = manifest.get("scenario", {}).get("resolved")
    if resolved is not None and BASELINE.exists():
        try:
            diffs = differences_from_baseline(resolved)
        except Exception as exc:  # the baseline may be mid-edit; the report still stands
            parts.append(f"<p>Could not compare with scenarios/baseline.yaml: {_e(exc)}</p>")
        else:
            changed = [d for d in diffs if d[0] not in ("name", "description")]
            if not changed:
                parts.append("<h3>Differences from the baseline</h3><p>None: this run is the baseline scenario.</p>")
            else:
                rows = [[f"<code>{_e(k)}</code>", _e(a), _e(b)] for k, a, b in changed]
                parts.append(
                    f"<h3>Differences from the baseline</h3><p>{len(changed)} scenario keys differ from "
                    "<code>scenarios/baseline.yaml</code> (as that file is now; None: not set on that side).</p>"
                    + _table(["key", "this run", "baseline"], rows)
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


def _stress_des(manifest: dict[str, Any], directory: Path) -> str:
    resolved = manifest.get("scenario", {}).get("resolved", {})
    start = manifest.get("starting_state", {})
    options = manifest.get("run_options", {})
    reps = manifest.get("replications", {})
    ok = [r for r in reps.values() if r.get("ok")]
    packages = manifest.get("packages", {})
    code = manifest.get("code", {})
    machine = manifest.get("machine", {})
    precision = manifest.get("precision")
    estimation = (
        f"{len(ok)} independent replications; each indicator is averaged over replications with a Student-t 95% "
        "confidence interval (summary.csv)."
    )
    if precision:
        estimation += (
            f" Replications were added until the headline indicators' 95% CI half-width was within "
            f"{precision.get('precision_percent')}% of the mean ({precision.get('method')}); precision "
            f"{'reached' if precision.get('precision_met') else 'NOT reached'}."
        )
    kind = start.get("starting_state_kind", "?")
    initial = {
        "warm_up": f"warm-up from empty for {_number(start.get('warm_up_days'), 0)} days",
        "open_caseload": "a declared open caseload at the start date",
        "empty": "empty, no warm-up",
    }.get(kind, kind)
    wall = manifest.get("wall_seconds")
    rows = [
        ["1.2", "Model outputs", "children.parquet (a row per child per case), stages.parquet, timeline.parquet, "
         "indicators.csv, summary.csv, journey log (OCEL 2.0), this report"],
        ["2.3", "Scenario logic", f"{len(manifest.get('policies', []))} policies; differences from the baseline "
         "listed under Assumptions"],
        ["3.3", "Input parameters", f"scenario {_e(manifest.get('scenario', {}).get('path'))}, resolved sha256 "
         f"<code>{_e(manifest.get('scenario', {}).get('resolved_sha256'))}</code>"],
        ["4.1", "Initialisation", _e(initial)],
        ["4.2", "Run length", f"{_e(resolved.get('run_years'))} years of results from "
         f"{_e(start.get('results_start_date'))}; snapshots every {_e(resolved.get('monitor_interval_days'))} days"],
        ["4.3", "Estimation approach", _e(estimation)],
        ["5.1", "Software", _e(", ".join(f"{k} {v}" for k, v in packages.items()))],
        ["5.2", "Random sampling", f"root seed {_e(manifest.get('random', {}).get('root_seed'))}; "
         f"{_e(manifest.get('random', {}).get('stream_scheme'))}; one named stream per source of randomness"],
        ["5.3", "Model execution", f"SimPy process-based discrete-event simulation; executor "
         f"{_e(options.get('executor', '?'))}"],
        ["5.4", "System specification", _e(f"{machine.get('platform')}, {machine.get('cpu_count')} CPUs "
         f"({machine.get('hostname')}); run time {_number(wall, 1)} s")],
        ["6.1", "Code access", _e(f"git commit {code.get('commit')}"
         f"{' with uncommitted changes' if code.get('dirty') else ''}")],
    ]  # fmt: skip
    return (
        "<h2>STRESS-DES items filled in by the tool</h2><p>Items of the STRESS-DES reporting checklist (Monks "
        "et al. 2019) that the tool knows; the others (objectives, logic, data, calibration) are in "
        "<code>docs/model.md</code>.</p>" + _table(["item", "section", "this run"], rows)
    )


def _replications(manifest: dict[str, Any]) -> str:
    rows = []
    for key, r in sorted(manifest.get("replications", {}).items()):
        stats = r.get("run_stats") or {}
        rows.append([
            _e(r.get("replication", key)), _e(r.get("seed")), "yes" if r.get("ok") else f"no: {_e(r.get('error'))}",
            _number(stats.get("cases_created"), 0), _number(stats.get("children_created"), 0),
            _number(stats.get("returns_started"), 0), _number(r.get("wall_seconds"), 2),
        ])  # fmt: skip
    packages = manifest.get("packages", {})
    code = manifest.get("code", {})
    versions = _table(
        ["", ""],
        [[_e(k), _e(v)] for k, v in packages.items()]
        + [["code commit", _e(code.get("commit"))], ["uncommitted changes", _e(code.get("dirty"))]],
    )
    return (
        "<h2>Replications, seeds and versions</h2>"
        + _table(
            ["replication", "root seed", "ok", "cases", "children", "returns to court", "seconds"],
            rows,
            numeric={3, 4, 5, 6},
        )  # fmt: skip
        + "<p>Replication <em>r</em> draws its random numbers from streams seeded by (root seed, <em>r</em>), so "
        "a replication is the same whatever the number of workers.</p>" + versions
    )


def _indicator_sections(directory: Path, manifest: dict[str, Any], children: pd.DataFrame,
                        stages: pd.DataFrame) -> str:  # fmt: skip
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
            + _table(["indicator", "children", "mean", "95% CI", "replications"], rows, numeric={2, 3, 4})
        )
    else:
        parts.append("<p>summary.csv is missing from the results directory.</p>")
    period = run_period(manifest) if manifest else infer_period(children)
    child = summarise(indicators(children, stages, period, by_month=False))
    parts.append(
        "<h2>Children at the centre</h2><p>Indicators about children (sim/analysis/indicators.py): time to "
        "disposal in weeks, shorter times in days, the share of a "
        "child's life spent in proceedings, long waits and hearings. Times and shares count children whose case "
        "started in the results period; counts of children open at the end and child-days count every child in "
        "proceedings at the time (including cases from a warm-up or a declared open caseload).</p>"
        + _table(
            ["indicator", "children", "mean", "95% CI", "replications"],
            _summary_rows(child, CHILD_HEADLINE, ("all",)),
            numeric={2, 3, 4},
        )  # fmt: skip
    )
    for breakdown in breakdowns(children):
        rows = _summary_rows(child, CHILD_HEADLINE, (breakdown,))
        if rows:
            parts.append(
                f"<details><summary>By {_e(_words(breakdown))}</summary>"
                + _table(["indicator", "group", "mean", "95% CI", "replications"], rows, numeric={2, 3, 4})
                + "</details>"
            )
    table = delay_attribution(children, by="case_type")
    rows = [
        [_e(_words(r["group"])), _e(f"{r['kind']} ({_words(r['agency'])})"), _number(r["days_mean"]),
         f"{r['share']:.1%}" if pd.notna(r["share"]) else "–"]
        for _, r in table.iterrows() if r["days_total"] > 0
    ]  # fmt: skip
    parts.append(
        "<h2>Where the time went</h2><p>Each disposed child's days from issue to disposal, split into waiting for "
        "and active work by each agency (all replications pooled; the parts add up to the days in proceedings).</p>"
        + _table(["case type", "component", "mean days per child", "share of the days"], rows, numeric={2, 3})
    )
    return "\n".join(parts)


def _figures(children: pd.DataFrame, timeline: pd.DataFrame, period: tuple[Any, Any]) -> str:
    import sim.outputs.figures as plots

    results_start = period[0]
    made = [
        (plots.disposal_ecdf(children, "case_type"),
         "Time to disposal by case type (dashed: 26 weeks). Each line rises as children's cases are disposed."),
        (plots.disposal_ecdf(children, "domestic_abuse"), "Time to disposal, with and without domestic abuse alleged."),
        (plots.disposal_violin(children, "case_type"), "Spread of time to disposal by case type."),
        (plots.disposal_violin(children, "domestic_abuse"), "Spread of time to disposal by domestic-abuse flag."),
        (plots.open_caseload_fan(timeline, results_start), "Open caseload over time across replications."),
        (plots.child_days_fan(children, period), "Children in proceedings on an average day of each month."),
        (plots.cafcass_queue(timeline, results_start), "Cases waiting for a Cafcass officer to be allocated."),
        (plots.utilisation(timeline, results_start), "Share of each agency's capacity in use."),
        (plots.delay_attribution_bars(children, "case_type"), "Where disposed children's days went, by case type."),
    ]  # fmt: skip
    return "<h2>Figures</h2>" + "\n".join(figure_html(fig, caption) for fig, caption in made)


# ---------------------------------------------------------------------------------------------- the report
def render(directory: str | Path) -> str:
    """The report for a results directory, as an HTML string."""
    from sim.analysis.periods import infer_period, run_period

    started = time.perf_counter()
    directory = check_results_dir(directory)
    manifest = read_manifest(directory)
    children = read_table(directory, "children")
    stages = read_table(directory, "stages")
    timeline = read_table(directory, "timeline")
    period = run_period(manifest) if manifest else infer_period(children)
    name = manifest.get("scenario", {}).get("name", directory.name)
    body = [
        f"<h1>Family justice simulation: {_e(name)}</h1>",
        f"<p class='note'>Simulated results, not forecasts: they follow from the scenario and assumptions below. "
        f"Results period {period[0]:%d %B %Y} to {period[1]:%d %B %Y}.</p>",
        _what_was_run(manifest, directory),
        _indicator_sections(directory, manifest, children, stages),
        _figures(children, timeline, period),
        _assumptions(manifest),
        _replications(manifest),
        _stress_des(manifest, directory),
        f"<p><small>Report written {pd.Timestamp.now():%Y-%m-%d %H:%M} in "
        f"{time.perf_counter() - started:.1f} s by sim/outputs/report.py.</small></p>",
    ]
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_e(name)}: simulation report</title><style>{CSS}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def write_report(directory: str | Path) -> Path:
    """Write DIR/report.html (atomically) and return its path."""
    text = render(directory)
    path = Path(directory) / REPORT_NAME
    write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path
