"""The record of an options study (``options.md``): how it was made, the paired differences, the elasticity, and
how to read them.

Written from :func:`sim.experiment.options.run_study`'s tables and the comparison's manifest (commit, scenario
hashes), into the run folder and, when the command is given ``--docs``, to ``docs/options.md``: never typed by
hand, so the published numbers are always the output of a run someone can repeat. It says, in so many words,
that no target was set for any of them.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

from sim.experiment.manifest import read_manifest, sha256_file
from sim.experiment.options import ELASTICITY_INDICATORS, STUDY_INDICATORS, StudyIndicator, StudyResult, by_name
from sim.experiment.owned_files import write_atomically

OPTIONS_MD = "options.md"
MISSING = "–"


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A GitHub-flavoured markdown table, one line a row; a pipe in a cell is escaped so it stays one cell."""

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    return [line(header), "|" + "---|" * len(header), *(line(r) for r in rows)]


# ---------------------------------------------------------------------------------------------- numbers
def _missing(value: float) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def level(value: float, unit: str) -> str:
    """A mean as read: weeks to one decimal, shares as percentages, cases as whole numbers."""
    if _missing(value):
        return MISSING
    if unit == "share":
        return f"{value:.1%}"
    return f"{value:,.0f}" if unit == "cases" else f"{value:.1f}"


def change(value: float, unit: str) -> str:
    """A difference with its sign: weeks to two decimals, shares in percentage points, cases whole."""
    if _missing(value):
        return MISSING
    if unit == "share":
        return f"{value * 100:+.1f} pp"
    return f"{value:+,.0f}" if unit == "cases" else f"{value:+.2f}"


def with_interval(mean: float, low: float, high: float, unit: str) -> str:
    """``-1.20 (-2.00 to -0.40)``; the interval is left out when it is unknown (one replication)."""
    if _missing(low) or _missing(high):
        return change(mean, unit)
    return f"{change(mean, unit)} ({change(low, unit)} to {change(high, unit)})"


def _verdict(low: float, high: float) -> str:
    if _missing(low) or _missing(high):
        return "needs 2+ replications"
    return "no (interval spans 0)" if low <= 0 <= high else "yes"


# ---------------------------------------------------------------------------------------------- sections
def _indicator_section(result: StudyResult, indicator: StudyIndicator) -> list[str]:
    rows = result.table[result.table["indicator"] == indicator.name]
    body = []
    for r in rows.itertuples():
        body.append(
            [
                f"`{r.option}`",
                level(r.base_mean, indicator.unit),
                level(r.option_mean, indicator.unit),
                with_interval(r.difference_mean, r.difference_ci95_low, r.difference_ci95_high, indicator.unit),
                _verdict(r.difference_ci95_low, r.difference_ci95_high),
                str(r.replications),
            ]
        )
    header = [
        "option",
        "base mean",
        "option mean",
        "difference (95% interval)",
        "distinguishable from 0",
        "replications",
    ]
    return [
        f"### {indicator.label}",
        "",
        f"`{indicator.name}`: {indicator.measured_as}.",
        "",
        *markdown_table(header, body),
        "",
    ]


def _elasticity_section(result: StudyResult) -> list[str]:
    pair = result.study.spec.elasticity
    if pair is None or result.elasticity is None:
        return []
    up, down = pair.up, pair.down
    lines = [
        "## Elasticity: weeks per 1% of days sat",
        "",
        f"From `{up.option}` ({up.days_sat_change_percent:+g}% days sat) and `{down.option}` "
        f"({down.days_sat_change_percent:+g}%): in each replication, (`{up.option}` - `{down.option}`) / "
        f"{pair.percent_apart:g}, which is also (its difference from the base - the other's) / {pair.percent_apart:g}; "
        "then the mean and a Student-t 95% interval over the replications. A negative value means each 1% more "
        "days sat shortens the mean time to disposal by that many weeks (and 1% fewer lengthens it). It is "
        "measured between the two ends, so it is linear by construction: it says nothing of bigger changes.",
        "",
    ]
    body = []
    for r in result.elasticity.itertuples():
        indicator = by_name(r.indicator)
        interval = ""
        if not (_missing(r.per_percent_days_sat_ci95_low) or _missing(r.per_percent_days_sat_ci95_high)):
            interval = f" ({r.per_percent_days_sat_ci95_low:+.3f} to {r.per_percent_days_sat_ci95_high:+.3f})"
        value = MISSING if _missing(r.per_percent_days_sat_mean) else f"{r.per_percent_days_sat_mean:+.3f}"
        body.append([indicator.label, f"{value}{interval}", str(r.replications)])
    return [
        *lines,
        *markdown_table(["indicator", "weeks per 1% more days sat (95% interval)", "replications"], body),
        "",
    ]


def reading_guide(about: dict[str, Any], known_limits: list[str]) -> list[str]:
    """How to read the differences, then the study's known limits (its ``known_limits``), if it declares any."""
    limits = ["### Known limits that bear on these options", "", *(f"- {limit}" for limit in known_limits), ""]
    return [
        "## How to read this",
        "",
        "- **No target was set for any number here.** Nothing in the model or in its calibration was tuned to make "
        "an option come out at a chosen value: each option changes only what its scenario file says, and the "
        "effects emerge from the simulated system. They are not forecasts either: they are what the model, with "
        "its assumptions (docs/assumptions.md), says each option does.",
        "- Each difference is option minus base. Every scenario runs replication *k* on the same random numbers "
        "(common random numbers), so the difference is taken replication by replication and then averaged; the "
        "interval is a Student-t 95% interval over those paired differences. An interval that spans zero is an "
        "effect these replications cannot tell from noise, not evidence of no effect: more replications "
        "(`--replications`) narrow it.",
        "- Fewer weeks and fewer outstanding cases are better; a higher share within 26 weeks is better. A share's "
        "difference is in percentage points (pp).",
        "- The times count only cases that began in the results period and finished before the run ended "
        f"({about['period']}). An option that slows cases down can leave more of them unfinished and out of the "
        "mean, so read the times together with the outstanding cases.",
        "- The base is what the model says of the system as it is; where it misses the published figures "
        "(docs/validation.md), the options' effects inherit the miss. Capacity effects in particular depend on how "
        "close to full the base's courts and teams run.",
        "",
        *(limits if known_limits else []),
    ]


def _provenance(result: StudyResult, about: dict[str, Any]) -> list[str]:
    body = []
    for option in about["scenarios"]:
        files = ", ".join(f"`{f['path']}` ({str(f['sha256'])[:12]})" for f in option.get("files", []))
        body.append([f"`{option['name']}`", files, f"`{str(option.get('resolved_sha256'))[:12]}`"])
    return [
        "## How it was made",
        "",
        f"`{about['command']}`",
        "",
        f"Root seed {about['seed']}, {about['replications']} replications of each scenario, {about['period']}. "
        f"Code: commit `{about['commit']}`{about['dirty']}. Study file `{about['study']}` (sha256 "
        f"`{about['study_sha256'][:12]}`). The run folder's `manifest.json` (and each scenario's under "
        "`scenarios/<name>/`) holds the rest: versions, the resolved scenarios, every replication's seed.",
        "",
        *markdown_table(["scenario", "files (sha256, first 12)", "resolved scenario sha256"], body),
        "",
    ]


def options_markdown(result: StudyResult, about: dict[str, Any]) -> str:
    """The whole record as markdown."""
    study = result.study
    lines = [
        f"# {study.spec.title}",
        "",
        f"Generated by `python run_sim.py options` on {about['generated']}; do not edit by hand. To regenerate: "
        f"`{about['command']}`. Every option against the base `{study.base.scenario.name}` "
        f"(`{study.base.path}`), {about['replications']} paired replications each.",
        "",
        "No target was set for these numbers: they emerge from the model (see [How to read this](#how-to-read-this)).",
        "",
        "## The options",
        "",
        *markdown_table(
            ["option", "what it asks"], [[f"`{name}`", question] for name, question in study.questions.items()]
        ),
        "",
        "## Paired differences from the base",
        "",
    ]
    for indicator in STUDY_INDICATORS:
        lines += _indicator_section(result, indicator)
    lines += _elasticity_section(result)
    lines += reading_guide(about, study.spec.known_limits)
    lines += _provenance(result, about)
    lines += [
        "## The files",
        "",
        "`options.csv` holds the rows of these tables (option, indicator, `measured_as`: the indicator, breakdown and "
        "group in each scenario's `summary.csv`, base and option means, the mean paired difference and its 95% "
        f"interval, replications); `elasticity.csv` the elasticity ({', '.join(ELASTICITY_INDICATORS)}); "
        "`compare.csv` the paired differences of every indicator.",
        "",
    ]
    return "\n".join(lines)


def about_run(result: StudyResult, out: Path, command: str) -> dict[str, Any]:
    """What the record says of how it was made: from the comparison's manifest and the study."""
    manifest = read_manifest(Path(out) / "manifest.json")
    base = result.study.base.scenario
    warm = base.starting_state.warm_up_days
    if warm:
        before = f"after {warm:g} days of warm-up"
    else:
        before = "from a declared open caseload" if base.starting_state.open_cases else "starting empty, no warm-up"
    code = manifest.get("code", {})
    dirty = {True: " with uncommitted changes", False: "", None: ""}[code.get("dirty")]
    return {
        "generated": dt.date.today().isoformat(),
        "command": command,
        "seed": result.root_seed,
        "replications": result.replications,
        "period": f"{base.run_years:g} years of results from {base.start_date}, {before}",
        "commit": code.get("commit") or "unknown",
        "dirty": dirty,
        "study": result.study.path,
        "study_sha256": sha256_file(result.study.path) or "unknown",
        "scenarios": manifest.get("options", []),
    }


def write_options_record(result: StudyResult, out: Path, command: str, also: list[Path]) -> list[Path]:
    """``out/options.md`` and each copy in ``also`` (``docs/options.md`` with ``--docs``), each written atomically."""
    text = options_markdown(result, about_run(result, out, command))
    written = []
    for path in [Path(out) / OPTIONS_MD, *also]:
        write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        written.append(path)
    return written


def summary_lines(result: StudyResult) -> list[str]:
    """One line per option and time indicator, and the elasticity, for the terminal."""
    lines = []
    times = result.table[result.table["indicator"].isin(ELASTICITY_INDICATORS)]
    for r in times.itertuples():
        text = with_interval(r.difference_mean, r.difference_ci95_low, r.difference_ci95_high, "weeks")
        lines.append(f"{r.option}: {r.indicator} {text} weeks")
    if result.elasticity is not None:
        for r in result.elasticity.itertuples():
            lines.append(f"elasticity: {r.indicator} {r.per_percent_days_sat_mean:+.3f} weeks per 1% more days sat")
    return lines
