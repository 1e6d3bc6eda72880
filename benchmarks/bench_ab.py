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
    python benchmarks/bench_ab.py /tmp/base --instructions   # exact instruction counts under valgrind

On a shared or virtual machine the CPU time of the same run moves by 10-15% from one process to the next (a
national replication took 107 s and 129 s within minutes on 2026-12-02), so a step worth a few per cent cannot be
told from noise by CPU seconds. ``--instructions`` counts instead the machine instructions each run executes, under
``valgrind --tool=callgrind``, about 50 times slower: with Python's string hashing fixed (PYTHONHASHSEED=0), two
counts of the same code on ``medium.yaml`` differed by 0.7% (5.116 and 5.081 billion, 2026-12-02). Each side runs
twice, once with ``Replication.run`` and once with everything up to it (imports, scenario, set-up), and the
difference is the run's own count. Needs valgrind.

Not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
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
if sys.argv[4:] == ["set-up only"]:  # for --instructions: everything the run's count must not include
    print(json.dumps({"sim": sim.__file__}))
    raise SystemExit
cpu, wall = time.process_time(), time.perf_counter()
stats = replication.run()
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
print(json.dumps({"cpu_s": cpu, "wall_s": wall, "cases": stats.cases_created, "events": stats.events,
                  "sim": sim.__file__}))
"""


VALGRIND = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")
"""Callgrind's summary line on standard error: the instructions the process executed."""


def run_once(
    checkout: Path,
    scenario: Path,
    out: Path,
    replication: int,
    *,
    set_up_only: bool = False,
    instructions: bool = False,
) -> dict:
    """One replication in a fresh process importing ``sim`` from ``checkout``: its CPU and wall seconds, and with
    ``instructions`` the instructions the process executed (``set_up_only``: everything but the run)."""
    env = {**os.environ, "PYTHONPATH": str(checkout.resolve()), "PYTHONHASHSEED": "0"}
    command = [sys.executable, "-c", CHILD, str(scenario.resolve()), str(out.resolve()), str(replication)]
    done = subprocess.run(
        [*(VALGRIND if instructions else []), *command, *(["set-up only"] if set_up_only else [])],
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
    if instructions:
        counted = COLLECTED.search(done.stderr)
        if counted is None:
            raise SystemExit(f"valgrind printed no instruction count for {checkout}:\n{done.stderr[-2000:]}")
        result["instructions"] = int(counted.group(1))
    return result


def run_instructions(checkout: Path, scenario: Path, out: Path, replication: int) -> dict:
    """The instructions of ``Replication.run`` alone: a run's count less the count of its set-up."""
    whole = run_once(checkout, scenario, out, replication, instructions=True)
    set_up_out = out.with_name(out.name + "-set-up")
    set_up = run_once(checkout, scenario, set_up_out, replication, set_up_only=True, instructions=True)
    shutil.rmtree(set_up_out, ignore_errors=True)
    return {**whole, "run_instructions": whole["instructions"] - set_up["instructions"]}


def differing_tables(a: Path, b: Path) -> list[str]:
    """The tables that are not equal, value for value, between two replications' folders."""
    import pyarrow.parquet as pq

    return [t for t in TABLES if not pq.read_table(a / f"{t}.parquet").equals(pq.read_table(b / f"{t}.parquet"))]


def report_tables(scenario: Path, got: dict[str, dict], a: Path, b: Path) -> bool:
    """Print the runs' size and whether A's and B's tables are equal; True when they differ."""
    different = differing_tables(a, b)
    verdict = "identical" if not different else f"DIFFERENT: {', '.join(different)}"
    cases, events = got["A"]["cases"], got["A"]["events"]
    print(f"{scenario.name}: {cases:,} cases, {events:,} events (A); B {got['B']['events']:,} events")
    print(f"tables {', '.join(TABLES)}: {verdict}")
    return bool(different)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path, help="checkout A (the code before the change)")
    parser.add_argument("--candidate", type=Path, default=ROOT, help="checkout B (default: this one)")
    parser.add_argument("--scenario", type=Path, default=ROOT / "benchmarks" / "medium.yaml")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--replication", type=int, default=0)
    parser.add_argument("--instructions", action="store_true", help="count instructions under valgrind instead")
    args = parser.parse_args()
    if args.instructions:
        return compare_instructions(args)

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
        if round_ == 0 and report_tables(args.scenario, got, root / "A0", root / "B0"):  # the first round's tables
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


def compare_instructions(args: argparse.Namespace) -> int:
    """A and B once each under callgrind: the tables compared, and the instructions of each run."""
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (Debian: apt-get install valgrind)")
    root = Path(tempfile.mkdtemp(prefix="bench-ab-"))
    got = {
        side: run_instructions(path, args.scenario, root / side, args.replication)
        for side, path in (("A", args.base), ("B", args.candidate))
    }
    different = report_tables(args.scenario, got, root / "A", root / "B")
    a, b = got["A"]["run_instructions"], got["B"]["run_instructions"]
    print(f"instructions of Replication.run: A {a:,}, B {b:,}; B/A {b / a:.4f} ({(a - b) / a:+.2%} fewer in B)")
    if different:
        print(f"(runs kept in {root})")
        return 1
    shutil.rmtree(root)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
