"""One replication of the national baseline against a bare SimPy loop with the same number of events.

Prints cases per CPU-second, events per second, their ratio to the bare loop's, and peak memory; its last line is
one JSON object with ``cases``, ``events``, ``cpu_s`` and ``wall_s`` (of ``Replication.run``: the model, its records
written, not loading or post-processing), ``cases_per_cpu_second``, ``model_us_per_case`` (CPU microseconds per
case), ``peak_rss_mb`` (peak resident memory of the process in MiB when the model has run, before the bare loop) and
``model_build`` (compiled by mypyc, or interpreted and why: ``sim/model/build.py``). The bare loop keeps as many
processes alive at once as the model has open cases on average, because SimPy's cost per event grows with the size
of its event queue; a loop with a tiny queue would flatter SimPy.

    python benchmarks/bench_national.py [SCENARIO] [--years N] [--out DIR] [--no-bare-loop] [--model agenda|events]

``--model`` is the model measured, as ``run --model`` (default: the agenda, as ``run`` uses). The agenda keeps the
clock with one SimPy event a day, so its own events say nothing of its speed: with it, ``events`` is the number the
event model schedules for the same replication (run once more, untimed, to count them), and the ratio to the bare
loop is that number over the agenda's wall time.

The default scenario is scenarios/baseline.yaml (5 years after its five years of warm-up: two to three minutes
on an idle core); ``--years`` shortens the results period for a quick look. This prints figures; it is not a timed test
(tests/test_benchmarks.py only checks that it runs and prints its last line).
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import simpy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.model.agenda.replication import AgendaReplication  # noqa: E402
from sim.model.build import model_build  # noqa: E402
from sim.model.replication import Replication  # noqa: E402
from sim.scenario.loading import LoadedScenario, load_scenario, scenario_from_dict  # noqa: E402
from sim.vocabulary import AGENDA_MODEL, EVENT_MODEL, MODELS  # noqa: E402

TARGET_CASES_PER_CPU_SECOND = 33_000
TARGET_RATIO = 0.70
TARGET_PEAK_MIB = 1024


def peak_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def load(path: Path, years: float | None) -> LoadedScenario:
    """The scenario, with its results period set to ``years`` when given."""
    loaded = load_scenario(path)
    if years is None:
        return loaded
    data = copy.deepcopy(loaded.scenario.model_dump(mode="json", by_alias=True))
    data["run_years"] = years
    return scenario_from_dict(data, f"{loaded.scenario.name} ({years:g} years)")


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
    parser.add_argument("scenario", nargs="?", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--years", type=float, default=None, help="years of results (default: the scenario's)")
    parser.add_argument("--out", type=Path, default=None, help="keep the results here (default: a temp dir)")
    parser.add_argument("--no-bare-loop", action="store_true", help="skip the bare SimPy loop")
    parser.add_argument("--model", choices=MODELS, default=AGENDA_MODEL, help="the model measured (default agenda)")
    args = parser.parse_args()

    loaded = load(args.scenario, args.years)
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-national-"))
    if args.model == AGENDA_MODEL:
        replication = AgendaReplication(loaded.scenario, loaded.scenario.seed, out, periods=loaded.periods)
    else:
        replication = Replication(loaded, 0, out)
    cpu, wall = time.process_time(), time.perf_counter()
    stats = replication.run()
    cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - wall
    model_peak = peak_mib()
    if args.model == AGENDA_MODEL and not args.no_bare_loop:  # the event model's events for the same replication
        with tempfile.TemporaryDirectory(prefix="bench-national-events-") as counted:
            stats.events = Replication(loaded, 0, Path(counted)).run().events

    scenario = loaded.scenario
    cases = stats.cases_created
    print(
        f"scenario                 {args.scenario} ({scenario.run_years:g} years after "
        f"{scenario.starting_state.warm_up_days:g} warm-up days)"
    )
    print(f"cases simulated          {cases:,} ({stats.children_created:,} children)")
    print(f"model                    {args.model}")
    print(f"events                   {stats.events:,}" + (" (the event model's)" if args.model != EVENT_MODEL else ""))
    print(f"model CPU time           {cpu_s:.1f} s (wall {wall_s:.1f} s)")
    print(
        f"cases per CPU-second     {cases / cpu_s:,.0f} (target >= {TARGET_CASES_PER_CPU_SECOND:,} for the whole "
        f"run command); {1e6 * cpu_s / cases:.1f} us per case"
    )
    print(f"model events per second  {stats.events / wall_s:,.0f}")
    if not args.no_bare_loop:
        timeline = pd.read_parquet(out / "timeline.parquet", columns=["date", "measure", "value"])
        open_cases = timeline[timeline["measure"].astype(str).str.startswith("open_cases:")]
        mean_open = int(open_cases.groupby("date")["value"].sum().mean())
        bare_rate = stats.events / bare_loop(stats.events, mean_open, scenario.end_day)
        print(f"bare SimPy loop          {bare_rate:,.0f} events per second with {mean_open:,} processes alive")
        print(f"ratio model / bare       {stats.events / wall_s / bare_rate:.2f} (target >= {TARGET_RATIO})")
    print(f"peak memory (model run)  {model_peak:,.0f} MiB (target < {TARGET_PEAK_MIB} MiB)")
    print(f"model build              {model_build()}")
    if args.out is None:
        shutil.rmtree(out, ignore_errors=True)
    figures = {
        "cases": cases,
        "events": stats.events,
        "cpu_s": round(cpu_s, 3),
        "wall_s": round(wall_s, 3),
        "cases_per_cpu_second": round(cases / cpu_s, 1),
        "model_us_per_case": round(1e6 * cpu_s / cases, 2),
        "peak_rss_mb": round(model_peak, 1),
        "model_build": model_build(),
        "model": args.model,
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
