"""Memory and time of one replication of the national baseline at 1x and at 10x its volume AND capacity (issue 6.3).

Each size runs in a fresh Python process, so each peak resident set size (getrusage in the child) is that run's
own. Demand (cases per year), court sitting hours, Cafcass advisers, social workers and experts are all
multiplied by the factor, so the system is as loaded at 10x as at 1x and holds about ten times the open cases.
Results are streamed to Parquet in chunks (sim.model.columns.CHUNK_ROWS), so memory should follow the open cases,
not the cases ever simulated (tests/test_scale.py checks that on a smaller system).

    python benchmarks/bench_scale.py [--factors 1 10] [--run-years 1] [--warm-up-days 365] [--scenario FILE]

Prints one line per size: cases simulated, open cases at the end, wall time and peak memory. Not a timed test.
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCALED_KEYS = (
    "demand.*.cases_per_year",
    "regions.*.court.sitting_hours_per_day.*",
    "regions.*.cafcass.short_term_advisers",
    "regions.*.cafcass.long_term_advisers",
    "regions.*.local_authority.social_workers",
    "regions.*.experts.assessors",
)
"""Volume and every capacity: scaled together, the load on each agency is unchanged."""


def rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory so far in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(who).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def scaled_scenario(path: Path, factor: float, run_years: float, warm_up_days: float):
    """The scenario with volume and capacity multiplied by ``factor`` and the given horizon, validated."""
    import yaml

    from sim.scenario.loading import scenario_from_dict, set_path

    data = copy.deepcopy(yaml.safe_load(path.read_text(encoding="utf-8")))
    if "extends" in data:
        raise SystemExit(f"{path}: give a scenario without extends (this script edits the file's own keys)")
    if data.get("policies"):
        raise SystemExit(f"{path}: policies would undo the scaling; give a scenario without policies")
    for key in SCALED_KEYS:
        problem = set_path(data, key, factor, scale=True)
        if problem:
            raise SystemExit(f"{path}: {problem}")
    data["name"] = f"{data.get('name', 'scenario')}_x{factor:g}"
    data["run_years"] = run_years
    data.setdefault("starting_state", {})["warm_up_days"] = warm_up_days
    return scenario_from_dict(data, data["name"])


def child(args: argparse.Namespace) -> int:
    """Run one replication at one size and print what it did as one JSON line."""
    from sim.model.replication import Replication

    loaded = scaled_scenario(args.scenario, args.factor, args.run_years, args.warm_up_days)
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as out:
        replication = Replication(loaded, 0, Path(out))  # imports the rest and lays out the listing diaries
        before = rss_mib()
        started = time.perf_counter()
        stats = replication.run()
        seconds = time.perf_counter() - started
        peak = rss_mib()
        written = sum(p.stat().st_size for p in Path(out).glob("*.parquet"))
    print(
        json.dumps(
            {
                "factor": args.factor,
                "cases": stats.cases_created,
                "children": stats.children_created,
                "open_at_end": stats.cases_open_at_end,
                "events": stats.events,
                "wall_seconds": seconds,
                "rss_before_run_mib": before,
                "peak_rss_mib": peak,
                "parquet_mib": written / 2**20,
            }
        )
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--factors", type=float, nargs="+", default=[1, 10])
    parser.add_argument("--run-years", type=float, default=1.0, help="years of results (default 1)")
    parser.add_argument("--warm-up-days", type=float, default=365.0, help="warm-up from empty (default 365)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--factor", type=float, default=1.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    print(
        f"{args.scenario.name}: {args.run_years:g} year(s) of results after {args.warm_up_days:g} warm-up days, "
        "volume and capacity x factor, one replication per fresh process"
    )
    print(
        f"{'factor':>6} {'cases':>10} {'open at end':>12} {'events':>12} {'wall s':>8} {'RSS built MiB':>15} "
        f"{'peak RSS MiB':>13} {'Parquet MiB':>12}"
    )
    for factor in args.factors:
        command = [
            sys.executable,
            __file__,
            "--child",
            "--factor",
            str(factor),
            "--scenario",
            str(args.scenario),
            "--run-years",
            str(args.run_years),
            "--warm-up-days",
            str(args.warm_up_days),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{r['factor']:>6g} {r['cases']:>10,} {r['open_at_end']:>12,} {r['events']:>12,} "
            f"{r['wall_seconds']:>8.1f} {r['rss_before_run_mib']:>15,.0f} {r['peak_rss_mib']:>13,.0f} "
            f"{r['parquet_mib']:>12,.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
