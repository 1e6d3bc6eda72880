"""The run report's figures (:mod:`sim.outputs.report`), each drawn from what DuckDB aggregated of the run's tables.

A national run has millions of child rows; none of them is read into memory here. The distributions of time to
disposal come as spreads (:func:`sim.experiment.run_aggregates.disposal_spreads`), where the days went as sums by
group, child-days in proceedings by month and replication; the timeline (weekly snapshots by region) is small
and read whole.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sim.experiment.run_tables import RunQueries, read_table
from sim.outputs.html import Embedded, embed, words

ATTRIBUTION_BY = ("case_type", "domestic_abuse", "age_band", "region")
"""The groups of the tables and bars of where the time went."""
SPREAD_BY = ("case_type", "domestic_abuse", "region", "age_band")
"""The groups whose distributions of time to disposal the figures draw."""


def figure_groups(
    run: RunQueries,
    period: tuple[Any, Any],
    summary: pd.DataFrame | None,
    forest_indicators: list[str],
    attribution: dict[str, pd.DataFrame] | None = None,
) -> list[tuple[str, list[Embedded]]]:
    """The report's figures, each drawn from what DuckDB aggregated of the run's tables (not from its rows);
    ``attribution``: where the days went by each of :data:`ATTRIBUTION_BY`, if the report has it already."""
    import sim.outputs.breakdown_figures as groups
    import sim.outputs.figures as plots
    from sim.experiment import run_aggregates as aggregate

    start = period[0]
    columns = run.columns("children")
    timeline = read_table(run.directory, "timeline")  # snapshots by region and week: small beside the children
    spreads = aggregate.disposal_spreads_by(run, [b for b in SPREAD_BY if b in columns])  # one sorted pass
    by = [b for b in ("region", "age_band") if b in columns]
    made: list[tuple[str, list[Embedded]]] = [
        (
            "Time to disposal",
            [
                embed(
                    plots.disposal_ecdf(spreads["case_type"], "case_type"),
                    "Time to disposal by case type (dashed: 26 weeks). Each line rises as children's cases are "
                    "disposed; the axis ends at the 99th percentile.",
                ),
                embed(
                    plots.disposal_ecdf(spreads["domestic_abuse"], "domestic_abuse"),
                    "Time to disposal, with and without abuse alleged.",
                ),
                embed(
                    plots.disposal_violin(spreads["case_type"], "case_type"), "Spread of time to disposal by case type."
                ),
                embed(
                    plots.disposal_violin(spreads["domestic_abuse"], "domestic_abuse"),
                    "Spread of time to disposal by abuse flag.",
                ),
            ],
        ),
        (
            "By region and age band",
            [embed(plots.disposal_ecdf(spreads[b], b), f"Time to disposal by {words(b)}.") for b in by]
            + [embed(plots.disposal_violin(spreads[b], b), f"Spread of time to disposal by {words(b)}.") for b in by],
        ),
        (
            "Over time",
            [
                embed(plots.open_caseload_fan(timeline, start), "Open caseload over time across replications."),
                embed(groups.backlog_by_region(timeline, start), "Open cases (the backlog) over time, by region."),
                embed(
                    plots.child_days_fan(monthly=aggregate.child_days_by_month(run, period)),
                    "Children in proceedings on an average day of each month.",
                ),
                embed(plots.cafcass_queue(timeline, start), "Cases waiting for a Cafcass officer to be allocated."),
                embed(plots.utilisation(timeline, start), "Share of each agency's capacity in use."),
            ],
        ),
        (
            "Where the time went",
            [
                embed(
                    plots.delay_attribution_bars(
                        by=b, table=attribution[b] if attribution else aggregate.delay_attribution(run, b)
                    ),
                    f"Where disposed children's days went, by {words(b)}.",
                )
                for b in ATTRIBUTION_BY
                if b in columns
            ],
        ),
    ]
    if summary is not None:
        table = summary[summary["breakdown"].astype(str).isin(("all", "case_type"))]
        forest = groups.panel_forest(
            table, forest_indicators, "Headline indicators: mean and 95% interval, by case type"
        )
        made.append(("Every headline indicator", [embed(forest, "Every headline indicator with its 95% interval.")]))
    return made
