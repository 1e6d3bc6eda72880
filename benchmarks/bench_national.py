"""One replication of the national baseline against a bare SimPy loop with the same number of events.

Prints cases per second, events per second, their ratio to the bare loop's, and peak memory. The bare
loop keeps as many processes alive at once as the model has open cases on average, because SimPy's cost
per event grows with the size of its event queue; a loop with a tiny queue would flatter SimPy.

    python benchmarks/bench_national.py [SCENARIO] [--out DIR]

This prints figures; it is not a timed test.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import simpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.model.replication import Replication
from sim.scenario.schema import load_scenario

TARGET_SECONDS = 15.0
TARGET_RATIO = 0.70
TARGET_PEAK_MIB = 1024


def peak_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare_loop(n_events: int, concurrent: int, horizon_days: float) -> float:
    """Seconds for SimPy to process n_events timeouts spread over `concurrent` processes."""
    env = simpy.Environment()
    per_process = max(1, n_events // max(1, concurrent))
    mean_step = horizon_days / per_process
    # Random step lengths, drawn beforehand so the loop times SimPy, not the random number generator: with
    # equal steps every process would move in lockstep and the event queue would stay nearly sorted.
    steps = np.random.default_rng(0).exponential(mean_step, 100_003).tolist()

    def process(env: simpy.Environment, first: int):
        i = first
        for _ in range(per_process):
            yield env.timeout(steps[i % len(steps)])
            i += 7

    for i in range(concurrent):
        env.process(process(env, i))
    started = time.perf_counter()
    env.run()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="scenarios/baseline.yaml")
    parser.add_argument("--out", type=Path, default=None, help="keep the results here (default: a temp dir)")
    args = parser.parse_args()

    loaded = load_scenario(args.scenario)
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-"))
    started = time.perf_counter()
    stats = Replication(loaded, 0, out).run()
    model_seconds = time.perf_counter() - started
    model_peak = peak_mib()

    timeline = pd.read_parquet(out / "timeline.parquet", columns=["date", "measure", "value"])
    open_cases = timeline[timeline["measure"].astype(str).str.startswith("open_cases:")]
    mean_open = int(open_cases.groupby("date")["value"].sum().mean())
    bare_seconds = bare_loop(stats.events, mean_open, loaded.scenario.end_day)

    model_rate = stats.events / model_seconds
    bare_rate = stats.events / bare_seconds
    scenario = loaded.scenario
    print(
        f"scenario                 {args.scenario} ({scenario.run_years:g} years after "
        f"{scenario.starting_state.warm_up_days:g} warm-up days)"
    )
    print(f"cases simulated          {stats.cases_created:,} ({stats.children_created:,} children)")
    print(f"events                   {stats.events:,}")
    print(f"model wall time          {model_seconds:.1f} s (target <= {TARGET_SECONDS:g} s)")
    print(f"cases per second         {stats.cases_created / model_seconds:,.0f}")
    print(f"model events per second  {model_rate:,.0f}")
    print(f"bare SimPy loop          {bare_rate:,.0f} events per second with {mean_open:,} processes alive")
    print(f"ratio model / bare       {model_rate / bare_rate:.2f} (target >= {TARGET_RATIO})")
    print(f"peak memory (model run)  {model_peak:,.0f} MiB (target < {TARGET_PEAK_MIB} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
