"""The back-test: run ``scenario.yaml`` with its fixed seed and compare with the results committed in ``expected/``.

In the spirit of the STARS reference models' back-tests: any change to the model's behaviour, however small,
shows up as a difference in some child's or stage's row. Each model has its own expected results: the event
model's in ``expected/``, the day-by-day agenda's in ``expected_agenda/``. Regenerate them only on purpose, with
the reason in the commit message::

    python tests/backtest/backtest.py --regenerate [--model events|agenda]
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
EXPECTED_BY_MODEL = {"events": EXPECTED, "agenda": HERE / "expected_agenda"}
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


def simulate(directory: Path, model: str = "events") -> dict[str, pd.DataFrame]:
    """Run the back-test scenario once into ``directory`` with ``model``; return its per-child, per-stage and
    indicator tables."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from sim.experiment.replication_parts import simulate_whole
    from sim.experiment.replications import replication_indicators
    from sim.experiment.results_folder import read_parquet
    from sim.scenario.loading import load_scenario

    loaded = load_scenario(SCENARIO)
    directory.mkdir(parents=True, exist_ok=True)
    simulate_whole(model, loaded, 0, loaded.scenario.seed, directory)
    return {
        "children": _as_csv_frame(read_parquet(directory / "children.parquet").to_pandas(), "children"),
        "stages": _as_csv_frame(read_parquet(directory / "stages.parquet").to_pandas(), "stages"),
        "indicators": _as_csv_frame(replication_indicators(directory, loaded.scenario), "indicators"),
    }


def expected(model: str = "events") -> dict[str, pd.DataFrame]:
    folder = EXPECTED_BY_MODEL[model]
    return {name: pd.read_csv(folder / f"{name}.csv", keep_default_na=False) for name in TABLES}


def regenerate(model: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tables = simulate(Path(tmp), model)
    folder = EXPECTED_BY_MODEL[model]
    folder.mkdir(exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
        print(f"wrote {folder / f'{name}.csv'}: {len(frame)} rows")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regenerate", action="store_true", help="rewrite the model's expected results")
    parser.add_argument("--model", choices=sorted(EXPECTED_BY_MODEL), default="events", help="the model (events)")
    args = parser.parse_args()
    if args.regenerate:
        regenerate(args.model)
    else:
        parser.print_help()
