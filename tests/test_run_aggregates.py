"""What the report draws, aggregated by DuckDB over a run's Parquet files, is what the pandas functions give from the
rows (sim.experiment.run_aggregates against sim.analysis and sim.outputs.figures)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.attribution import delay_attribution
from sim.analysis.periods import child_days_by_month, run_period
from sim.analysis.rows import disposed_rows, group_index, group_label
from sim.analysis.spread import SPREAD_POINTS, Spread
from sim.experiment import run_aggregates
from sim.experiment.results_folder import ResultsDirError, read_manifest
from sim.experiment.run_tables import connect, read_table
from sim.outputs.figures import _weeks_by_group

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
BREAKDOWNS = ("case_type", "domestic_abuse", "region", "age_band")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sim import api

    folder = tmp_path_factory.mktemp("aggregates")
    scenario = folder / "two_years.yaml"  # enough disposed children that all of them pooled are kept as quantiles
    scenario.write_text(f"extends: {SMALL}\nname: two_years\nrun_years: 2\n", encoding="utf-8")
    return api.run(scenario, replications=2, out=folder / "run").out


@pytest.fixture(scope="module")
def children(run_dir: Path) -> pd.DataFrame:
    return read_table(run_dir, "children")


@pytest.mark.parametrize("by", BREAKDOWNS)
def test_the_distributions_are_those_of_the_rows_group_by_group_in_the_same_order(run_dir, children, by) -> None:
    with connect(run_dir) as run:
        spreads = run_aggregates.disposal_spreads(run, by)
    expected = _weeks_by_group(children, by)  # (group in words, spread) from the pandas rows
    order = [group_label(value) for value, _ in group_index(disposed_rows(children), by)]
    assert list(spreads) == order and len(expected) == len(order)
    for (_, want), got in zip(expected, spreads.values(), strict=True):
        assert got.count == want.count and got.exact == want.exact
        np.testing.assert_array_equal(got.points, want.points)


def test_every_breakdown_from_one_sorted_pass_streamed_in_small_batches(run_dir, monkeypatch) -> None:
    """The report takes its spreads for every breakdown from one sorted stream of the disposed children's times;
    streamed a few hundred rows at a time, so that each group's order statistics fall across batches, it gives
    each breakdown's spreads exactly as a query of its own does (``test_the_distributions_are_those_...``)."""
    with connect(run_dir) as run:
        alone = {by: run_aggregates.disposal_spreads(run, by) for by in BREAKDOWNS}
        monkeypatch.setattr(run_aggregates, "SPREAD_BATCH_ROWS", 313)
        together = run_aggregates.disposal_spreads_by(run, list(BREAKDOWNS))
    for by in BREAKDOWNS:
        assert list(together[by]) == list(alone[by])
        for got, want in zip(together[by].values(), alone[by].values(), strict=True):
            assert got.count == want.count and got.exact == want.exact
            np.testing.assert_array_equal(got.points, want.points)


def test_where_the_days_went_with_and_without_the_split_come_from_one_query(run_dir, children) -> None:
    """The report's tables split the court's wait into notice and listing; its figures do not. One query gives both,
    each the attribution of the rows."""
    with connect(run_dir) as run:
        both = run_aggregates.delay_attribution_tables(run, "case_type")
    for split in (False, True):
        want = delay_attribution(children, by="case_type", split_court_wait=split)
        got = both[split]
        pd.testing.assert_frame_equal(got[["group", "agency", "kind"]], want[["group", "agency", "kind"]])
        for column in ("days_total", "days_mean", "share"):
            np.testing.assert_allclose(got[column], want[column], rtol=1e-12, atol=1e-9)
    assert len(both[True]) > len(both[False])  # the court's wait in two parts


def test_a_large_group_is_kept_as_quantiles_equal_to_numpys(run_dir, children) -> None:
    disposed = children[
        ~children["warm_up"] & ~children["from_open_caseload"] & (children["status"].astype(str) == "disposed")
    ]
    weeks = disposed["days_to_disposal"].to_numpy(dtype=float) / 7
    assert len(weeks) > SPREAD_POINTS  # every child pooled: more than the points kept
    with connect(run_dir) as run:
        (spread,) = run_aggregates.disposal_spreads(run, None).values()
    assert spread.count == len(weeks) and not spread.exact
    np.testing.assert_array_equal(spread.points, Spread.of(weeks).points)
    assert spread.quantile(0.99) == pytest.approx(float(np.quantile(weeks, 0.99)), rel=1e-12)
    threshold = float(np.quantile(weeks, 0.9))
    assert abs(spread.above(threshold) - int((weeks > threshold).sum())) <= len(weeks) / SPREAD_POINTS + 1


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("by", ["case_type", "domestic_abuse", "age_band"])
def test_where_the_days_went_is_the_attribution_of_the_rows(run_dir, children, by, split) -> None:
    with connect(run_dir) as run:
        got = run_aggregates.delay_attribution(run, by, split_court_wait=split)
    want = delay_attribution(children, by=by, split_court_wait=split)
    pd.testing.assert_frame_equal(got[["group", "agency", "kind"]], want[["group", "agency", "kind"]])
    assert got["children"].tolist() == want["children"].tolist()
    for column in ("days_total", "days_mean", "share"):  # sums in another order: equal to rounding
        np.testing.assert_allclose(got[column], want[column], rtol=1e-12, atol=1e-9)


def test_child_days_by_month_are_those_of_the_rows_exactly(run_dir, children) -> None:
    period = run_period(read_manifest(run_dir))
    with connect(run_dir) as run:
        got = run_aggregates.child_days_by_month(run, period)
    want = child_days_by_month(children, period)
    assert len(got) == len(want) > 12
    for column in ("replication", "month", "child_days", "days", "open_children_mean"):
        assert got[column].tolist() == want[column].tolist(), column


def test_a_column_that_is_not_there_is_refused_not_run_as_sql(run_dir) -> None:
    with connect(run_dir) as run, pytest.raises(ResultsDirError, match="no column"):
        run_aggregates.disposal_spreads(run, "case_type; DROP TABLE children")
