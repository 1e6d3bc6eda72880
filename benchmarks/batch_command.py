"""What the whole `run` command would cost with the day-by-day batch design (issue 14), measured rather than added up.

The goal is counted on the whole command a user runs (`run scenarios/baseline.yaml --replications 1 --workers 1
--no-report` under `/usr/bin/time`: user + system seconds, imports included). This does what that command does for
one replication, with the day-by-day agenda (`sim/model/agenda`) in place of the present model: load the
scenario, simulate, write the child, stage and timeline tables into a replication folder through the project's own
`Recorder`, compute the replication's indicators from them with the project's own `replication_indicators`, and
write them. It leaves out what the command does around a replication that does not depend on the design (the
manifest, the run store, summary.csv): under a second.

    python benchmarks/batch_command.py [SCENARIO] [--seed S] [--out DIR]

Prints the CPU seconds of each part and, as its last line, one JSON object with ``cases``, ``cpu_s`` (user + system
of the whole process, imports included), ``cases_per_cpu_second``, ``us_per_case``, ``parts`` and ``peak_rss_mb``.
Run it under `/usr/bin/time -v` to compare with the command's own figure. This prints figures; it is not a timed
test.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

TARGET_CASES_PER_CPU_SECOND = 33_000


def process_cpu_s() -> float:
    """User + system seconds of this process so far, as `/usr/bin/time` counts them."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", nargs="?", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--seed", type=int, help="root seed (default: the scenario's)")
    parser.add_argument("--out", type=Path, help="replication folder to keep (default: a temporary one, removed)")
    args = parser.parse_args()
    parts: dict[str, float] = {}
    mark = process_cpu_s()

    def lap(name: str) -> None:
        nonlocal mark
        now = process_cpu_s()
        parts[name] = round(now - mark, 3)
        mark = now

    import pyarrow as pa
    import pyarrow.parquet as pq

    from sim.experiment.memory import indicators_allocation, return_freed_memory, simulation_allocation
    from sim.experiment.replication_indicators import replication_indicators
    from sim.experiment.replication_parts import simulate_whole
    from sim.scenario.loading import load_scenario
    from sim.vocabulary import AGENDA_MODEL

    lap("imports")
    loaded = load_scenario(args.scenario)
    scenario = loaded.scenario
    lap("scenario")
    folder = args.out or Path(tempfile.mkdtemp(prefix="batch-command-"))
    folder.mkdir(parents=True, exist_ok=True)
    wall = time.perf_counter()
    try:
        return_freed_memory()  # as run_replication (sim/experiment/replications.py) runs a replication
        with simulation_allocation():
            seed = scenario.seed if args.seed is None else args.seed
            cases = simulate_whole(AGENDA_MODEL, loaded, 0, seed, folder).cases_created  # as run_replication
            gc.collect()
        lap("model and tables")
        with indicators_allocation():
            rows = replication_indicators(folder, scenario, loaded.periods)
        pq.write_table(pa.Table.from_pandas(rows, preserve_index=False), folder / "indicators.parquet")
        lap("indicators")
    finally:
        if args.out is None:
            shutil.rmtree(folder, ignore_errors=True)
    cpu_s = process_cpu_s()
    for name, seconds in parts.items():
        print(f"{name}: {seconds:.2f} CPU-s")
    print(
        f"{cases:,} cases in {cpu_s:.1f} CPU-s (wall {time.perf_counter() - wall:.1f} s after imports): "
        f"{cases / cpu_s:,.0f} cases per CPU-second (goal {TARGET_CASES_PER_CPU_SECOND:,})"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "cases": cases,
        "cpu_s": round(cpu_s, 3),
        "cases_per_cpu_second": round(cases / cpu_s, 1),
        "us_per_case": round(cpu_s / cases * 1e6, 2),
        "parts": parts,
        "indicator_rows": len(rows),
        "peak_rss_mb": round(peak, 1),
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
