"""Replications in parallel (issue 3.8): 8 replications of the baseline serially and on 2 worker processes.

Each mode runs in a fresh Python process (``run_experiment`` with ``LocalExecutor(1)``, then ``LocalExecutor(2)``),
so each process's peak memory is its own: the parent's peak shows it never holds the replications' results (the
workers write them to disk and the parent streams them into the combined tables). The two runs' combined
Parquet tables and summary.csv must be identical: results never depend on the number of workers.

    python benchmarks/bench_parallel.py [--replications 8] [--workers 2] [--run-years Y] [--scenario FILE]

Prints the wall times, the speed-up (target >= 1.7 on 2 cores) and peak memory. Not a timed test.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TABLES = ("children", "stages", "timeline")
TARGET_SPEEDUP = 1.7


def mib(rusage_who: int) -> float:
    """Peak resident memory in MiB. (Not used for RUSAGE_CHILDREN: a forked child counts its parent's pages.)"""
    peak = resource.getrusage(rusage_who).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # macOS reports bytes, Linux KiB


def load(path: Path, run_years: float | None):
    from sim.scenario.loading import load_scenario, scenario_from_dict

    loaded = load_scenario(path)
    if run_years is None:
        return loaded
    data = copy.deepcopy(loaded.scenario.model_dump(mode="json", by_alias=True))
    data["run_years"] = run_years
    return scenario_from_dict(data, f"{loaded.scenario.name} ({run_years:g} years)")


def child(args: argparse.Namespace) -> int:
    """One run of all the replications with ``--workers`` processes into ``--out``; prints a JSON line."""
    from sim.experiment.executors import LocalExecutor
    from sim.experiment.replications import run_experiment
    from sim.experiment.results_folder import prepare_directory

    loaded = load(args.scenario, args.run_years)
    out = Path(args.out)
    prepare_directory(out, force=False)
    executor = LocalExecutor(args.workers)
    started = time.perf_counter()
    try:
        result = run_experiment(loaded, out, replications=args.replications, executor=executor)
    finally:
        executor.close()
    seconds = time.perf_counter() - started
    replication_seconds = [r.wall_seconds for r in result.results.values()]
    print(
        json.dumps(
            {
                "workers": args.workers,
                "wall_seconds": seconds,
                "replications": len(result.replications_used),
                "failures": len(result.failures),
                "replication_seconds_sum": sum(replication_seconds),
                "parent_peak_rss_mib": mib(resource.RUSAGE_SELF),
                "cases": sum(r.stats["cases_created"] for r in result.results.values() if r.ok),
            }
        )
    )
    return 0


def run_mode(args: argparse.Namespace, workers: int, out: Path) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        "--workers",
        str(workers),
        "--out",
        str(out),
        "--replications",
        str(args.replications),
        "--scenario",
        str(args.scenario),
    ]
    if args.run_years is not None:
        command += ["--run-years", str(args.run_years)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the run with {workers} worker(s) failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="workers of the parallel run (default 2)")
    parser.add_argument("--run-years", type=float, default=None, help="years of results (default: the scenario's)")
    parser.add_argument("--out", type=Path, default=None, help="keep both runs here (default: a temporary folder)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    import pyarrow.parquet as pq

    root = args.out or Path(tempfile.mkdtemp(prefix="bench-parallel-"))
    loaded = load(args.scenario, args.run_years)
    s = loaded.scenario
    print(
        f"{args.scenario.name}: {args.replications} replications of {s.run_years:g} years after "
        f"{s.starting_state.warm_up_days:g} warm-up days; {os.cpu_count()} cores; "
        f"load average before {os.getloadavg()[0]:.2f}"
    )
    serial = run_mode(args, 1, root / "serial")
    parallel = run_mode(args, args.workers, root / f"workers-{args.workers}")
    for r in (serial, parallel):
        print(
            f"workers {r['workers']}: wall {r['wall_seconds']:6.1f} s ({r['replications']} replications, "
            f"{r['cases']:,} cases, replications' own time {r['replication_seconds_sum']:.1f} s); "
            f"parent peak RSS {r['parent_peak_rss_mib']:,.0f} MiB"
        )
    speedup = serial["wall_seconds"] / parallel["wall_seconds"]
    verdict = "met" if speedup >= TARGET_SPEEDUP else "NOT met"
    print(
        f"speed-up {speedup:.2f} on {args.workers} workers (target >= {TARGET_SPEEDUP}: {verdict}); "
        f"load average after {os.getloadavg()[0]:.2f}"
    )
    serial_dir, parallel_dir = root / "serial", root / f"workers-{args.workers}"
    same = all(
        pq.read_table(serial_dir / f"{t}.parquet").equals(pq.read_table(parallel_dir / f"{t}.parquet")) for t in TABLES
    )
    same_summary = (serial_dir / "summary.csv").read_bytes() == (parallel_dir / "summary.csv").read_bytes()
    print(f"combined tables identical: {same}; summary.csv identical: {same_summary} (runs in {root})")
    return 0 if same and same_summary else 1


if __name__ == "__main__":
    raise SystemExit(main())
