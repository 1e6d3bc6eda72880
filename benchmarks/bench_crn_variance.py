"""How much common random numbers narrow a comparison of options (issue 11, item 8).

Runs tests/scenarios/small.yaml (one year, two regions) as a base and with three options from its start date:
10% more sitting hours in every court (as 10% more days sat would give), half the adjournments (a decision's
probability changed) and 25% more Cafcass advisers (who are not short in this scenario). Each
option is run twice for replications 0..N-1: on common random numbers (the base's seed: replication i of the
option is paired with replication i of the base) and on independent seeds (another root seed). For the mean
weeks to disposal of public and of private law children disposed in the run, it prints the mean difference
and the width of its paired 95% interval (2 t s / sqrt(N) of the N paired differences), with common random
numbers and with independent seeds, and the variance ratio.

    python benchmarks/bench_crn_variance.py [--replications 10]

Not a timed test: about 10 seconds for 10 replications on one core.
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.model.replication import Replication  # noqa: E402
from sim.scenario.loading import scenario_from_dict  # noqa: E402

SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
OPTIONS = {
    "10% more sitting hours": {"regions.*.court.sitting_hours_per_day.*": 1.1},
    "half the adjournments": {"courts.adjourn_probability": 0.5},
    "25% more Cafcass advisers": {
        "regions.*.cafcass.short_term_advisers": 1.25,
        "regions.*.cafcass.long_term_advisers": 1.25,
    },
}
INDEPENDENT_SEED_OFFSET = 1_000_003
"""Added to the root seed for the independent-seed runs of an option: another stream of every draw."""


def scenario(scale: dict[str, float] | None) -> Any:
    data = yaml.safe_load(SMALL.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    if scale:
        data["policies"] = [{"name": "option", "date": str(data["start_date"]), "scale": scale}]
    return scenario_from_dict(data, "option" if scale else "base")


def weeks(loaded: Any, replication: int, seed: int, folder: Path) -> dict[str, float]:
    """Mean weeks to disposal of public and private law children disposed in one replication."""
    out = folder / f"{seed}-{replication}-{id(loaded)}"
    out.mkdir(parents=True)
    Replication(loaded, replication, out, seed=seed).run()
    children = pd.read_parquet(out / "children.parquet")
    disposed = children[(children.status == "disposed") & ~children.warm_up]
    by_type = disposed.groupby("case_type").days_to_disposal.mean() / 7
    return {t: float(by_type[t]) for t in ("public_law", "private_law")}


def interval_width(differences: list[float]) -> float:
    n = len(differences)
    return 2 * stats.t.ppf(0.975, n - 1) * float(np.std(differences, ddof=1)) / math.sqrt(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    n = parser.parse_args().replications
    base = scenario(None)
    seed = base.scenario.seed
    print(f"tests/scenarios/small.yaml, {n} replications, seed {seed}: mean weeks to disposal, option - base")
    print("| option | indicator | mean difference (CRN) | 95% width, CRN | 95% width, independent | variance ratio |")
    print("|---|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base_weeks = [weeks(base, r, seed, folder) for r in range(n)]
        for name, scale in OPTIONS.items():
            option = scenario(scale)
            common = [weeks(option, r, seed, folder) for r in range(n)]
            independent = [weeks(option, r, seed + INDEPENDENT_SEED_OFFSET, folder) for r in range(n)]
            for indicator in ("public_law", "private_law"):
                crn = [o[indicator] - b[indicator] for o, b in zip(common, base_weeks, strict=True)]
                ind = [o[indicator] - b[indicator] for o, b in zip(independent, base_weeks, strict=True)]
                crn_variance = np.var(crn, ddof=1)
                ratio = f"{np.var(ind, ddof=1) / crn_variance:.1f}" if crn_variance > 0 else "no variance with CRN"
                print(
                    f"| {name} | {indicator.replace('_', ' ')} | {np.mean(crn):+.2f} | {interval_width(crn):.2f} | "
                    f"{interval_width(ind):.2f} | {ratio} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
