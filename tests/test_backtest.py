"""The back-test: the model, run on a fixed scenario and seed, reproduces its committed results row for row.

A refactor must leave every child's journey and every stage exactly as it was. A deliberate change of the
model regenerates ``tests/backtest/expected/`` (``python tests/backtest/backtest.py --regenerate``) with the
reason in the commit message.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "backtest"))
import backtest


@pytest.fixture(scope="module", params=sorted(backtest.EXPECTED_BY_MODEL))
def model(request: pytest.FixtureRequest) -> str:
    """Each model has its own committed results: the event model's and the day-by-day agenda's."""
    return request.param


@pytest.fixture(scope="module")
def tables(model: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    return backtest.simulate(tmp_path_factory.mktemp("backtest"), model)


@pytest.fixture(scope="module")
def expected(model: str) -> dict[str, pd.DataFrame]:
    return backtest.expected(model)


@pytest.mark.parametrize("table", backtest.TABLES)
def test_the_model_reproduces_its_committed_results(
    table: str, tables: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]
) -> None:
    got, want = tables[table], expected[table]
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want), f"{table}: {len(got)} rows, expected {len(want)}"
    # Exact for identifiers, labels, dates and counts; floats to 1e-9 relative (summation order may change).
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9, atol=1e-12)


def test_the_back_test_covers_every_pathway_and_status(expected: dict[str, pd.DataFrame]) -> None:
    children = expected["children"]
    assert set(children["pathway"]) == {"public_law", "private_law", "pathfinder", "domestic_abuse"}
    assert {"disposed", "open", "diverted"} <= set(children["status"])
    assert children["is_return"].any() and children["warm_up"].any()
