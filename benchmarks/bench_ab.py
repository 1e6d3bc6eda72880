"""Two checkouts of the model, A and B, on one scenario: interleaved CPU times and a check of identical tables.

A speed-up of the model must leave its results identical, and on a shared machine a single wall-clock time
says more about the other jobs than about the code. So each round runs one replication with A and one with B,
each in a fresh Python process that imports the model from its own checkout, alternating which goes first;
it reports the CPU time of ``Replication.run`` (``time.process_time``) for each, the median of the per-round
ratios A/B and their range. The first round's ``children``, ``stages`` and ``timeline`` tables of A and B
must be equal (``pyarrow.Table.equals``: every value, bit for bit), or the script says which differ and
exits with status 1.

    git archive BASE_COMMIT | tar -x -C /tmp/base      # A: the code before the change
    python benchmarks/bench_ab.py /tmp/base [--candidate .] [--scenario benchmarks/medium.yaml] [--rounds 5]

Not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("children", "stages", "timeline")

CHILD = """
import json, sys, time
from pathlib import Path
import sim
from sim.model.replication import Replication
from sim.scenario.loading import load_scenario
loaded = load_scenario(sys.argv[1])
replication = Replication(loaded, int(sys.argv[3]), Path(sys.argv[2]))
cpu, wall = time.process_time(), time.perf_counter()
stats = replication.run()
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
print(json.dumps({"cpu_s": cpu, "wall_s": wall, "cases": stats.cases_created, "events": stats.events,
                  "sim": sim.__file__}))
"""


def run_once(checkout: Path, scenario: Path, out: Path, replication: int) -> dict:
    """One replication in a fresh process importing ``sim`` from ``checkout``; its CPU and wall seconds."""
    env = {**os.environ, "PYTHONPATH": str(checkout.resolve())}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(scenario.resolve()), str(out.resolve()), str(replication)],
        cwd=checkout,  # ``python -c`` imports from its working directory first
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the run of {checkout} failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if not Path(result["sim"]).resolve().is_relative_to(checkout.resolve()):
        raise SystemExit(f"the run of {checkout} imported the model from {result['sim']}")
    return result


def differing_tables(a: Path, b: Path) -> list[str]:
    """The tables that are not equal, value for value, between two replications' folders."""
    import pyarrow.parquet as pq

    return [t for t in TABLES if not pq.read_table(a / f"{t}.parquet").equals(pq.read_table(b / f"{t}.parquet"))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path, help="checkout A (the code before the change)")
    parser.add_argument("--candidate", type=Path, default=ROOT, help="checkout B (default: this one)")
    parser.add_argument("--scenario", type=Path, default=ROOT / "benchmarks" / "medium.yaml")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--replication", type=int, default=0)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench-ab-"))
    cpu: dict[str, list[float]] = {"A": [], "B": []}
    ratios = []
    checkouts = {"A": args.base, "B": args.candidate}
    for round_ in range(args.rounds):
        order = ("A", "B") if round_ % 2 == 0 else ("B", "A")
        got = {}
        for side in order:
            got[side] = run_once(checkouts[side], args.scenario, root / f"{side}{round_}", args.replication)
            cpu[side].append(got[side]["cpu_s"])
        if round_ == 0:
            cases, events = got["A"]["cases"], got["A"]["events"]
            different = differing_tables(root / "A0", root / "B0")
            verdict = "identical" if not different else f"DIFFERENT: {', '.join(different)}"
            print(f"{args.scenario.name}: {cases:,} cases, {events:,} events (A); B {got['B']['events']:,} events")
            print(f"tables {', '.join(TABLES)}: {verdict}")
            if different:
                print(f"(runs kept in {root})")
                return 1
        for side in order:
            shutil.rmtree(root / f"{side}{round_}")
        ratios.append(got["A"]["cpu_s"] / got["B"]["cpu_s"])
        print(f"round {round_ + 1}: A {got['A']['cpu_s']:.3f} s, B {got['B']['cpu_s']:.3f} s CPU: A/B {ratios[-1]:.3f}")
    print(
        f"median CPU A {statistics.median(cpu['A']):.3f} s, B {statistics.median(cpu['B']):.3f} s; "
        f"A/B median {statistics.median(ratios):.3f} (range {min(ratios):.3f}-{max(ratios):.3f}, "
        f"{args.rounds} interleaved rounds; load average {os.getloadavg()[0]:.2f})"
    )
    root.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
