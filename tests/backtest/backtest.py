"""The back-test: run ``scenario.yaml`` with its fixed seed and compare with the results committed in ``expected/``.

In the spirit of the STARS reference models' back-tests: any change to the model's behaviour, however small,
shows up as a difference in some child's or stage's row. Regenerate the expected results only on purpose,
with the reason in the commit message::

    python tests/backtest/backtest.py --regenerate
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCENARIO = HERE / "scenario.yaml"
EXPECTED = HERE / "expected"
TABLES = ("children", "stages", "indicators")
SORT_KEYS = {
    "children": ["child_id", "case_id"],
    "stages": ["case_id", "requested", "started", "ended", "stage"],
    "indicators": ["indicator", "breakdown", "group"],
}


def _as_csv_frame(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """The table as it reads back from CSV: one canonical row order, every value as CSV spells it."""
    ordered = frame.sort_values(SORT_KEYS[table], kind="mergesort").reset_index(drop=True)
    return pd.read_csv(io.StringIO(ordered.to_csv(index=False)), keep_default_na=False)


def simulate(directory: Path) -> dict[str, pd.DataFrame]:
    """Run the back-test scenario once into ``directory``; return its per-child, per-stage and indicator tables."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from sim.experiment.replications import replication_indicators
    from sim.experiment.results_folder import read_parquet
    from sim.model.replication import Replication
    from sim.scenario.loading import load_scenario

    loaded = load_scenario(SCENARIO)
    directory.mkdir(parents=True, exist_ok=True)
    Replication(loaded, 0, directory).run()
    return {
        "children": _as_csv_frame(read_parquet(directory / "children.parquet").to_pandas(), "children"),
        "stages": _as_csv_frame(read_parquet(directory / "stages.parquet").to_pandas(), "stages"),
        "indicators": _as_csv_frame(replication_indicators(directory, loaded.scenario), "indicators"),
    }


def expected() -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(EXPECTED / f"{name}.csv", keep_default_na=False) for name in TABLES}


def regenerate() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tables = simulate(Path(tmp))
    EXPECTED.mkdir(exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(EXPECTED / f"{name}.csv", index=False)
        print(f"wrote {EXPECTED / f'{name}.csv'}: {len(frame)} rows")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regenerate", action="store_true", help="rewrite expected/ from the current model")
    if parser.parse_args().regenerate:
        regenerate()
    else:
        parser.print_help()
