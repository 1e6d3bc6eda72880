"""What the tables store (sim/model/columns.py): days to the hour, ages to the day, stage times floored to the hour,
read back as 64-bit floats; and what the grids change: the headline indicators, next to nothing; the files, a third.

One replication of tests/scenarios/small.yaml is written twice, as stored and as simulated (``exact_records``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import SMALL

from sim.experiment.replication_indicators import replication_indicators
from sim.experiment.results_folder import read_parquet
from sim.model.columns import (
    STORED_AGE_RESOLUTION_DAYS,
    STORED_DAY_ERROR_DAYS,
    STORED_DAY_STEP_DAYS,
    STORED_TIME_RESOLUTION_HOURS,
)
from sim.scenario.loading import load_scenario
from sim.vocabulary import DAYS_PER_YEAR, WEEK_DAYS

WEEKS_AGREE = 0.01
"""How close a stored run's indicators in weeks come to the simulated values' (days: 0.07)."""
SHARES_AGREE = 0.001
"""How close a stored run's shares come to the simulated values'."""
DAY_COLUMNS = ["days_to_first_hearing", "days_to_disposal", "days_in_proceedings", "wait_court_days"]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same replication of small.yaml as stored and as simulated: ``{"stored": DIR, "exact": DIR}``."""
    from sim.model.replication import Replication

    loaded = load_scenario(SMALL)
    out = {}
    for name, exact in (("stored", False), ("exact", True)):
        out[name] = tmp_path_factory.mktemp(name)
        Replication(loaded, 0, out[name], exact_records=exact).run()
    return out


def test_days_are_stored_to_the_hour_ages_to_the_day_and_times_floored_to_the_hour(written) -> None:
    stored = pq.read_table(written["stored"] / "children.parquet")
    exact = read_parquet(written["exact"] / "children.parquet").to_pandas()
    assert stored.schema.field("days_to_disposal").type == pa.float32()
    children = read_parquet(written["stored"] / "children.parquet").to_pandas()
    for column in DAY_COLUMNS:
        days = children[column].dropna().to_numpy()
        hours = days / STORED_DAY_STEP_DAYS
        np.testing.assert_allclose(hours, hours.round(), atol=1e-3)  # on the grid, as a 32-bit float holds it
        simulated = exact[column].dropna().to_numpy()
        assert np.abs(days - simulated).max() <= STORED_DAY_ERROR_DAYS
        assert (np.abs(days - simulated) > 1e-3).mean() > 0.5  # the simulated values were not on the grid
    age = children["age_at_start_years"].to_numpy()
    age_days = age * DAYS_PER_YEAR / STORED_AGE_RESOLUTION_DAYS
    np.testing.assert_allclose(age_days, age_days.round(), atol=1e-3)
    bands = load_scenario(SMALL).scenario.children.age_bands  # each child is in the band of the age stored
    band = np.minimum(np.searchsorted([b.below_years for b in bands], age, side="right"), len(bands) - 1)
    assert (children["age_band"].astype(str).to_numpy() == np.array([b.name for b in bands])[band]).all()
    stages = read_parquet(written["stored"] / "stages.parquet").to_pandas()
    simulated = read_parquet(written["exact"] / "stages.parquet").to_pandas()
    for column in ("requested", "started", "ended"):
        assert (stages[column].dt.minute == 0).all() and (stages[column].dt.second == 0).all()
        early = simulated[column] - stages[column]  # the same rows in the same order: floored, never later
        assert (early >= pd.Timedelta(0)).all() and (early <= pd.Timedelta(hours=STORED_TIME_RESOLUTION_HOURS)).all()
        assert (early > pd.Timedelta(minutes=1)).mean() > 0.2  # the simulated times were not on the hour


def test_readers_get_64_bit_floats_so_sums_are_taken_in_double_precision(written) -> None:
    from sim.experiment.replication_indicators import _read_lean

    children = read_parquet(written["stored"] / "children.parquet").to_pandas()
    lean = _read_lean(written["stored"] / "children.parquet", columns=DAY_COLUMNS)
    for frame in (children, lean):
        assert all(frame[column].dtype == np.float64 for column in DAY_COLUMNS)
    assert children["age_at_start_years"].dtype == np.float64


def test_headline_indicators_from_the_stored_tables_agree_with_the_simulated_values(written) -> None:
    """Every indicator overall and by case type: weeks within 0.01, days within 0.07, shares within 0.001; counts
    and ratios of whole numbers identical."""
    scenario = load_scenario(SMALL).scenario
    rows = {name: replication_indicators(folder, scenario) for name, folder in written.items()}
    keys = ["replication", "indicator", "breakdown", "group"]
    both = rows["stored"].merge(rows["exact"], on=keys, suffixes=("_stored", "_exact"), validate="one_to_one")
    assert len(both) == len(rows["exact"]) == len(rows["stored"])
    both = both[both["breakdown"].isin(["all", "case_type"])]
    difference = (both["value_stored"] - both["value_exact"]).abs()
    name = both["indicator"]
    weeks, days = name.str.contains("_weeks"), name.str.contains("days") & ~name.str.contains("_weeks")
    shares = name.str.endswith("_share") | name.str.startswith("share_")
    whole = ~(weeks | days | shares)
    assert weeks.sum() > 20 and days.sum() > 20 and shares.sum() > 20
    assert (difference[weeks & ~shares] <= WEEKS_AGREE).all(), both[weeks & (difference > WEEKS_AGREE)]
    assert (difference[days] <= WEEKS_AGREE * WEEK_DAYS).all(), both[days & (difference > WEEKS_AGREE * WEEK_DAYS)]
    assert (difference[shares] <= SHARES_AGREE).all(), both[shares & (difference > SHARES_AGREE)]
    assert (difference[whole] == 0).all(), both[whole & (difference > 0)]
    assert (difference[weeks | days] > 0).any()  # the grids did change something: the test compares two things


def test_the_stored_tables_are_smaller_than_the_simulated_values(written) -> None:
    for table in ("children", "stages"):
        stored, exact = ((written[name] / f"{table}.parquet").stat().st_size for name in ("stored", "exact"))
        assert stored < 0.85 * exact, table
