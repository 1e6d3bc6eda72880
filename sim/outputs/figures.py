"""Figures of a run: matplotlib with the Agg backend, plain-English titles, units on the axes.

Every function takes DataFrames (the tables of a run, as :mod:`sim.api` reads them) and returns a
matplotlib Figure; :func:`save` writes a figure as PNG and SVG. Distributions use disposed children whose
case started in the results period (as :mod:`sim.analysis.indicators`); series over time show the median across
replications with bands holding the middle 50% and 90% of replications (with few replications the bands
are rough: five replications cannot pin down a 90% band). Figures of experiments (compare, sweep,
warm-up) are in :mod:`sim.outputs.experiment_figures`, drawn with the helpers here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.attribution import delay_attribution
from sim.analysis.periods import child_days_by_month
from sim.analysis.rows import disposed_rows, group_index
from sim.analysis.spread import Spread
from sim.experiment.owned_files import write_atomically
from sim.vocabulary import TARGET_WEEKS, WEEK_DAYS

FORMATS = ("png", "svg")
DPI = 120
ONE_PANEL_INCHES = (8, 5)
OVER_TIME_INCHES = (9, 5)
PANEL_WIDTH_INCHES, PANEL_HEIGHT_INCHES = 5, 4.5
"""Inches of one panel of a figure with a panel per group."""
MEDIAN, INNER_BAND, OUTER_BAND = 0.5, (0.25, 0.75), (0.05, 0.95)
"""Fans over time: the median across replications, and bands holding the middle 50% and 90% of them."""
INNER_ALPHA, OUTER_ALPHA, GRID_ALPHA = 0.3, 0.12, 0.3
SHARE_AXIS_TOP = 1.02
"""A share axis ends just above 1, so a line at 100% shows."""
PERCENT = 100
UTILISATION_TOP_PERCENT = 105.0
AGENCY_LABELS = {
    "court": "court",
    "cafcass": "Cafcass",
    "local_authority": "local authority",
    "experts": "experts",
}
TEAM_LABELS = {
    "cafcass_short_term": "Cafcass short-term (to first hearing)",
    "cafcass_long_term": "Cafcass long-term (guardians, reports)",
    "local_authority": "local authority social workers",
    "experts": "experts",
    "court": "court sitting hours",
}


def save(fig: Figure, directory: str | Path, name: str, dpi: int = DPI, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write ``fig`` as DIRECTORY/NAME.png and NAME.svg (each atomically); return the paths."""
    paths = []
    for fmt in formats:
        path = Path(directory) / f"{name}.{fmt}"
        write_atomically(path, lambda tmp, fmt=fmt: fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight"))
        paths.append(path)
    return paths


def close(fig: Figure) -> None:
    """Free a figure's memory (pyplot keeps every open figure)."""
    plt.close(fig)


def label(value: object, by: str | None = None) -> str:
    """A group value in words (``private_law`` -> ``private law``; the domestic-abuse flag as a phrase)."""
    text = str(value)
    if by == "domestic_abuse" or text in ("True", "False", "true", "false"):
        yes = text.lower() == "true"
        if by == "domestic_abuse":
            return "domestic abuse alleged" if yes else "no domestic abuse alleged"
        return "yes" if yes else "no"
    return text.replace("_", " ")


Spreads = Mapping[str, Spread]
"""One run's distributions of weeks to disposal by group (group as results name it -> spread), as
:func:`sim.experiment.run_aggregates.disposal_spreads` makes them from the Parquet files."""
Disposals = pd.DataFrame | Spreads
"""What a distribution figure draws from: a children table (one run's or a sample of it), or its spreads."""


def _weeks_by_group(children: Disposals, by: str) -> list[tuple[str, Spread]]:
    """(group in words, spread of weeks to disposal) of the disposed results children of each group, as the
    indicators select and order them; from the children table, or spreads made already."""
    if not isinstance(children, pd.DataFrame):
        return [(label(group, by), spread) for group, spread in children.items()]
    disposed = disposed_rows(children)
    weeks = disposed["days_to_disposal"].to_numpy(dtype=float) / WEEK_DAYS
    return [(label(group, by), Spread.of(weeks[index])) for group, index in group_index(disposed, by)]


AXIS_QUANTILE = 0.99
"""A distribution's axis ends at the largest group's 99th percentile (and the count beyond it is printed): the longest
1% of waits would otherwise squash the rest of the picture into the bottom of the axis."""
HEADROOM = 1.05


def _ecdf(ax: Any, weeks: Spread, **style: Any) -> None:
    """One empirical cumulative distribution line (matplotlib's ``Axes.ecdf``), drawn through the spread's points: the
    values, or :data:`sim.analysis.spread.SPREAD_POINTS` quantiles of many (the picture is the same, the file small)."""
    if weeks.count:
        ax.ecdf(weeks.points, **style)


def axis_top(groups: Sequence[Spread]) -> float:
    """Where a distribution's axis ends: above every group's 99th percentile and the 26-week line."""
    tops = [spread.quantile(AXIS_QUANTILE) for spread in groups if spread.count]
    return max([TARGET_WEEKS, *tops]) * HEADROOM


def _one_run(children: Disposals | Mapping[str, Disposals]) -> bool:
    """Whether ``children`` is one run (a table, or its spreads) rather than runs to compare (name -> either)."""
    if isinstance(children, pd.DataFrame):
        return True
    first = next(iter(children.values()), None)
    return first is None or isinstance(first, Spread)


def _target_line(ax: Any, vertical: bool = True) -> None:
    """The statutory 26-week limit, against which every time to disposal is read."""
    draw = ax.axvline if vertical else ax.axhline
    draw(TARGET_WEEKS, color="black", linestyle="--", linewidth=1, label="26 weeks")


def disposal_ecdf(children: Disposals | Mapping[str, Disposals], by: str = "case_type") -> Figure:
    """Cumulative distribution of weeks from issue to disposal, with the 26-week line.

    One run (a children table, or its spreads by group of ``by``): one panel, a line per group. Runs to compare
    (scenario name -> a children table or spreads): a panel per group, a line per run, all replications pooled.
    """
    if _one_run(children):
        weeks_by_group = _weeks_by_group(children, by)  # type: ignore[arg-type]
        lines = [(f"{name} ({weeks.count:,} children)", weeks) for name, weeks in weeks_by_group]
        panels = {f"Time to disposal by {label(by)}: share of children disposed within each number of weeks": lines}
        title = None
    else:
        by_run = {name: dict(_weeks_by_group(frame, by)) for name, frame in children.items()}
        names = list(dict.fromkeys(group for weeks in by_run.values() for group in weeks))
        panels = {g: [(run, weeks[g]) for run, weeks in by_run.items() if g in weeks] for g in names}
        title = f"Time to disposal by {label(by)}: scenarios compared (all replications pooled)"
    single = title is None
    width, height = ONE_PANEL_INCHES if single else (PANEL_WIDTH_INCHES * max(1, len(panels)), PANEL_HEIGHT_INCHES)
    fig, axes = plt.subplots(1, max(1, len(panels)), figsize=(width, height), squeeze=False)
    for ax, (heading, lines) in zip(axes[0], panels.items(), strict=False):
        for name, weeks in lines:
            _ecdf(ax, weeks, label=name)
        _target_line(ax)
        ax.set_title(heading)
        ax.set_xlabel("weeks from issue to disposal")
        ax.set_ylabel("share of children disposed within that time" if single else "share of children disposed within")
        ax.set_ylim(0, SHARE_AXIS_TOP)
        ax.set_xlim(0, axis_top([weeks for _, weeks in lines]))
        ax.grid(alpha=GRID_ALPHA)
    axes[0][0].legend(fontsize="small", loc="lower right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def disposal_violin(children: Disposals, by: str = "case_type") -> Figure:
    """Violins of weeks from issue to disposal by group, with medians and the 26-week line, on an axis that ends at
    the 99th percentile (:data:`AXIS_QUANTILE`); how many children lie beyond it is printed at the top.

    Each violin is drawn from its group's spread (the values, or evenly spaced quantiles of many: the same shape).
    """
    groups = [(name, weeks) for name, weeks in _weeks_by_group(children, by) if weeks.count > 1]
    fig, ax = plt.subplots(figsize=(max(6, 1.8 * len(groups) + 2), 5))
    top = axis_top([w for _, w in groups])
    if groups:
        ax.violinplot([w.points for _, w in groups], showmedians=True, showextrema=False)
        ax.set_xticks(range(1, len(groups) + 1), [f"{n}\n({w.count:,})" for n, w in groups])
        for x, (_, weeks) in enumerate(groups, start=1):
            beyond = weeks.above(top)
            if beyond:
                text = f"{beyond:,} above" if weeks.exact else f"about {beyond:,} above"
                ax.annotate(text, (x, top), ha="center", va="top", fontsize="x-small")
    _target_line(ax, vertical=False)
    ax.set_ylabel("weeks from issue to disposal")
    ax.set_xlabel(f"{label(by)} (children disposed)")
    ax.set_ylim(0, top)
    ax.set_title(f"Time to disposal by {label(by)} (line in each violin: median)")
    ax.grid(axis="y", alpha=GRID_ALPHA)
    ax.legend(fontsize="small", loc="upper right")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------- over time
def _series(timeline: pd.DataFrame, measure: str, how: str = "sum") -> pd.DataFrame:
    """Per (replication, date): the measure summed (or averaged) over regions."""
    rows = timeline[timeline["measure"].astype(str) == measure]
    frame = rows.groupby(["replication", "date"], observed=True)["value"].agg(how).reset_index()
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def _fan(ax: Any, frame: pd.DataFrame, name: str, color: Any = None) -> None:
    """Median across replications, with bands for the middle 50% and 90%."""
    if frame.empty:
        return
    wide = frame.pivot_table(index="date", columns="replication", values="value")
    q = wide.quantile([*OUTER_BAND, *INNER_BAND, MEDIAN], axis=1).T
    (line,) = ax.plot(q.index, q[MEDIAN], color=color, label=f"{name} (median)")
    ax.fill_between(q.index, *(q[b] for b in INNER_BAND), color=line.get_color(), alpha=INNER_ALPHA, linewidth=0)
    ax.fill_between(q.index, *(q[b] for b in OUTER_BAND), color=line.get_color(), alpha=OUTER_ALPHA, linewidth=0)


def _over_time(
    series: Sequence[tuple[pd.DataFrame, str, Any]], title: str, ylabel: str, replications: int, results_start: Any
) -> tuple[Figure, Any]:
    """A figure of fans over time, one per (frame, name, colour), with the results start marked."""
    fig, ax = plt.subplots(figsize=OVER_TIME_INCHES)
    for frame, name, color in series:
        _fan(ax, frame, name, color)
    if results_start is not None:
        ax.axvline(pd.Timestamp(results_start), color="grey", linestyle=":", linewidth=1, label="results start")
    ax.set_title(title)
    ax.set_xlabel("date")
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=GRID_ALPHA)
    ax.legend(
        fontsize="small",
        loc="upper left",
        title=f"{replications} replications; bands: middle 50% and 90%",
        title_fontsize="x-small",
    )
    fig.autofmt_xdate()
    return fig, ax


def open_caseload_fan(timeline: pd.DataFrame, results_start: Any = None, by_case_type: bool = True) -> Figure:
    """Open cases over time (all regions): median across replications with 50% and 90% bands."""
    measures = sorted({m for m in timeline["measure"].astype(str).unique() if m.startswith("open_cases:")})
    series = [(_series(timeline, m), label(m.split(":", 1)[1]), None) for m in measures] if by_case_type else []
    series.append((_series(timeline, "open_children"), "children in open cases", "black"))
    fig, _ = _over_time(
        series,
        "Open caseload over time, all regions",
        "open cases (children: black)",
        timeline["replication"].nunique(),
        results_start,
    )
    fig.tight_layout()
    return fig


def cafcass_queue(timeline: pd.DataFrame, results_start: Any = None) -> Figure:
    """Cases waiting for a Cafcass officer to be allocated (the unallocated queue), all regions."""
    teams = ("cafcass_short_term", "cafcass_long_term")
    series = [(_series(timeline, f"unallocated:{team}"), TEAM_LABELS[team], None) for team in teams]
    fig, _ = _over_time(
        series,
        "Cafcass unallocated queue over time, all regions",
        "cases waiting for allocation",
        timeline["replication"].nunique(),
        results_start,
    )
    fig.tight_layout()
    return fig


def utilisation(timeline: pd.DataFrame, results_start: Any = None) -> Figure:
    """Share of each agency's capacity in use between snapshots (mean over regions), over time, in percent."""
    series = []
    for team, name in TEAM_LABELS.items():
        frame = _series(timeline, f"utilisation:{team}", how="mean")
        frame["value"] *= PERCENT
        series.append((frame, name, None))
    fig, ax = _over_time(
        series,
        "Utilisation by agency (mean over regions)",
        "capacity in use (%)",
        timeline["replication"].nunique(),
        results_start,
    )
    highs = [np.nanmax(np.asarray(line.get_ydata(), dtype=float)) for line in ax.get_lines() if len(line.get_ydata())]
    top = max([UTILISATION_TOP_PERCENT, *[h * HEADROOM for h in highs if np.isfinite(h)]])  # a day can be overbooked
    ax.set_ylim(0, top)
    fig.tight_layout()
    return fig


def child_days_fan(
    children: pd.DataFrame | None = None, period: tuple[Any, Any] | None = None, monthly: pd.DataFrame | None = None
) -> Figure:
    """Children in proceedings on an average day of each month (child-days / days), all regions: from the children
    table, or from ``monthly`` child-days already counted (:func:`sim.analysis.periods.child_days_by_month`)."""
    if monthly is None:
        if children is None:
            raise ValueError("child_days_fan needs the children table or the monthly child-days")
        monthly = child_days_by_month(children, period)
    monthly = monthly.assign(date=pd.to_datetime(monthly["month"]), value=monthly["open_children_mean"])
    fig, _ = _over_time(
        [(monthly, "children in proceedings", "black")],
        "Child-days in proceedings: children in proceedings on an average day of each month",
        "children (child-days / days in the month)",
        monthly["replication"].nunique(),
        None,
    )
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------- attribution
def delay_attribution_bars(
    children: pd.DataFrame | None = None, by: str = "case_type", table: pd.DataFrame | None = None
) -> Figure:
    """Stacked bars: mean days per disposed child waiting on, and worked on by, each agency, by group; from the
    children table, or from its attribution ``table`` (:func:`sim.analysis.attribution.delay_attribution`)."""
    if table is None:
        if children is None:
            raise ValueError("delay_attribution_bars needs the children table or its attribution table")
        table = delay_attribution(children, by=by)
    groups = list(dict.fromkeys(table["group"]))
    fig, ax = plt.subplots(figsize=(9, 0.8 * max(1, len(groups)) + 2))
    left = np.zeros(len(groups))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for kind in ("waiting", "active"):
        for i, agency in enumerate(AGENCY_LABELS):
            rows = table[(table["agency"] == agency) & (table["kind"] == kind)].set_index("group")
            values = rows.reindex(groups)["days_mean"].fillna(0).to_numpy()
            ax.barh(
                range(len(groups)),
                values,
                left=left,
                color=colours[i % len(colours)],
                alpha=1.0 if kind == "waiting" else 0.45,
                hatch="" if kind == "waiting" else "//",
                edgecolor="white",
                label=f"{'waiting for' if kind == 'waiting' else 'active work by'} {AGENCY_LABELS[agency]}",
            )
            left += values
    counts = table.drop_duplicates("group").set_index("group")["children"].reindex(groups)
    ax.set_yticks(range(len(groups)), [f"{label(g, by)}\n({int(n):,} children)" for g, n in counts.items()])
    ax.invert_yaxis()
    ax.set_xlabel("mean days per child, from issue to disposal")
    ax.set_ylabel(label(by))
    ax.set_title(f"Where children's time in proceedings went, by {label(by)}")
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.grid(axis="x", alpha=GRID_ALPHA)
    fig.tight_layout()
    return fig
