"""Replications in parallel (issues 3.8 and 14.5): serially, on local worker processes and on a Dask LocalCluster.

Each mode runs in a fresh Python process (``run_experiment`` with ``LocalExecutor(1)``, ``LocalExecutor(N)``, then a
``DaskExecutor`` on a ``distributed.LocalCluster`` of N single-threaded worker processes), so each process's peak
memory is its own: the parent's peak shows it never holds the replications' results (the workers write them to
disk and the parent reads them back). Every run must give identical results, whatever the executor: each
Parquet table and ``summary.csv`` is compared with the serial run's.

    python benchmarks/bench_parallel.py [--scenario FILE] [--replications 8] [--workers 2] [--run-years Y]
                                        [--modes serial processes dask] [--model agenda|events]

``--model`` is how each replication is simulated, as ``run --model`` (default: the agenda, as ``run`` uses; the
event model runs a replication as one part per region).

Prints each mode's wall time and the speed-up of the parallel modes on the serial one (target >= 1.7 on 2 cores),
then one JSON line with every figure. The Dask mode needs ``distributed`` (``pip install -e ".[dask]"``); without
it the mode is skipped with a note. A quick look: ``--scenario tests/scenarios/small.yaml --replications 4``.
Not a timed test.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
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

from sim.vocabulary import AGENDA_MODEL, MODELS  # noqa: E402

TARGET_SPEEDUP = 1.7
MODES = ("serial", "processes", "dask")
UNTIMED = {"summary.csv"}
"""Besides the Parquet tables, the files compared between runs (the manifest and stats hold timings)."""


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


def make_executor(mode: str, workers: int):
    """The executor of a mode; for Dask, a LocalCluster of ``workers`` processes with one thread each."""
    from sim.experiment.executors import DaskExecutor, LocalExecutor

    if mode == "serial":
        return LocalExecutor(1), None
    if mode == "processes":
        return LocalExecutor(workers), None
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    return DaskExecutor(Client(cluster)), cluster


def child(args: argparse.Namespace) -> int:
    """One run of all the replications in ``--mode`` into ``--out``; prints a JSON line."""
    from sim.experiment.replications import run_experiment
    from sim.experiment.results_folder import prepare_directory

    loaded = load(args.scenario, args.run_years)
    out = Path(args.out)
    prepare_directory(out, force=False)
    executor, cluster = make_executor(args.mode, args.workers)
    started = time.perf_counter()  # the cluster is up: its start-up is not the replications' time
    try:
        result = run_experiment(loaded, out, replications=args.replications, executor=executor, model=args.model)
        seconds = time.perf_counter() - started
    finally:
        executor.close()
        if cluster is not None:
            cluster.close()
    # The model's own time: a replication's parts' simulation, summed (its wall_seconds runs from its first part's
    # start to its join's end, and its parts overlap, so those do not add up to work done).
    model_seconds = [r.stats["wall_seconds"] for r in result.results.values() if r.ok]
    print(
        json.dumps(
            {
                "mode": args.mode,
                "workers": 1 if args.mode == "serial" else args.workers,
                "wall_seconds": seconds,
                "replications": len(result.replications_used),
                "failures": len(result.failures),
                "model_seconds_sum": sum(model_seconds),
                "parent_peak_rss_mib": mib(resource.RUSAGE_SELF),
                "cases": sum(r.stats["cases_created"] for r in result.results.values() if r.ok),
            }
        )
    )
    return 0


def run_mode(args: argparse.Namespace, mode: str, out: Path) -> dict:
    command = [sys.executable, __file__, "--child", "--mode", mode, "--workers", str(args.workers), "--out", str(out)]
    command += ["--replications", str(args.replications), "--scenario", str(args.scenario), "--model", args.model]
    if args.run_years is not None:
        command += ["--run-years", str(args.run_years)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {mode} run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def differences(a: Path, b: Path) -> list[str]:
    """Result files that differ between two runs' folders (Parquet compared value for value), or are missing."""
    import pyarrow.parquet as pq

    names = {p.relative_to(a) for p in a.rglob("*") if p.suffix == ".parquet" or p.name in UNTIMED}
    names |= {p.relative_to(b) for p in b.rglob("*") if p.suffix == ".parquet" or p.name in UNTIMED}
    different = []
    for name in sorted(names):
        x, y = a / name, b / name
        if not (x.exists() and y.exists()):
            different.append(f"{name} (missing)")
        elif x.suffix == ".parquet":
            if not pq.read_table(x).equals(pq.read_table(y)):
                different.append(str(name))
        elif x.read_bytes() != y.read_bytes():
            different.append(str(name))
    return different


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="workers of the parallel runs (default 2)")
    parser.add_argument("--run-years", type=float, default=None, help="years of results (default: the scenario's)")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES), help="serial always runs first")
    parser.add_argument("--out", type=Path, default=None, help="keep the runs here (default: a temporary folder)")
    parser.add_argument("--model", choices=MODELS, default=AGENDA_MODEL, help="the model (default agenda)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=MODES, default="serial", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    root = args.out or Path(tempfile.mkdtemp(prefix="bench-parallel-"))
    loaded = load(args.scenario, args.run_years)
    s = loaded.scenario
    print(
        f"{args.scenario.name}: {args.replications} replications of {s.run_years:g} years after "
        f"{s.starting_state.warm_up_days:g} warm-up days, model {args.model}; {os.cpu_count()} cores; "
        f"load average before {os.getloadavg()[0]:.2f}"
    )
    modes = ["serial"] + [m for m in args.modes if m != "serial"]
    if "dask" in modes and importlib.util.find_spec("distributed") is None:
        print('dask: skipped, distributed is not installed (pip install -e ".[dask]")')
        modes.remove("dask")
    runs = {mode: run_mode(args, mode, root / mode) for mode in modes}
    serial = runs["serial"]
    figures: dict[str, object] = {"replications": args.replications, "workers": args.workers, "model": args.model}
    all_same = True
    for mode, r in runs.items():
        line = (
            f"{mode:>9} ({r['workers']} worker{'s' if r['workers'] > 1 else ''}): wall {r['wall_seconds']:7.1f} s "
            f"({r['replications']} replications, {r['cases']:,} cases, the model's own time "
            f"{r['model_seconds_sum']:.1f} s); parent peak RSS {r['parent_peak_rss_mib']:,.0f} MiB"
        )
        figures[f"{mode}_wall_s"] = round(r["wall_seconds"], 2)
        if mode != "serial":
            speedup = serial["wall_seconds"] / r["wall_seconds"]
            verdict = "met" if speedup >= TARGET_SPEEDUP else "NOT met"
            different = differences(root / "serial", root / mode)
            all_same = all_same and not different
            line += f"\n{'':>11}speed-up {speedup:.2f} (target >= {TARGET_SPEEDUP}: {verdict}); results "
            line += "identical to the serial run's" if not different else f"DIFFERENT: {', '.join(different)}"
            figures[f"{mode}_speedup"] = round(speedup, 3)
        print(line)
    print(f"load average after {os.getloadavg()[0]:.2f}; runs in {root}")
    figures["identical"] = all_same
    print(json.dumps(figures))
    return 0 if all_same else 1


if __name__ == "__main__":
    raise SystemExit(main())
