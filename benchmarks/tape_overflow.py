"""How often cases draw past their tape's places, by purpose, in one replication.

Each purpose has a fixed number of places on a case's tape (``sim.model.random_streams``); a draw past them comes
from a generator of that case and purpose, seeded when first needed (about 11 us, and its objects), and a listing
past its places from the case's listings generator. This counts those draws and those generators by purpose, so
the cost of the tape's layout on a scenario can be read off rather than guessed (docs/performance.md, "The
twenty-fourth session": on a national year, public law's further case management count asked its fourth chance
10,330 times).

    python benchmarks/tape_overflow.py [SCENARIO] [--years N] [--warm-up-days D]

The model runs interpreted (``FJSIM_PURE_PYTHON``), since compiled code calls its own methods directly and a
count wrapped around them would never be called: slower, with the same draws. Prints a table; its last line is one
JSON object with ``cases``, ``past_places`` and ``generators`` (by purpose). Prints figures; not a timed test.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ["FJSIM_PURE_PYTHON"] = "1"  # before the model is imported: see the docstring
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.api import with_changes  # noqa: E402
from sim.model import random_streams  # noqa: E402
from sim.model.build import is_compiled  # noqa: E402
from sim.model.replication import Replication  # noqa: E402
from sim.scenario.loading import load_scenario  # noqa: E402
from sim.scenario.yaml_file import ScenarioError  # noqa: E402

LISTING: str = "listing"
"""A listing's three draws are counted as one, under this name."""


class Counts:
    """Draws past their places and generators seeded for them, by purpose: wrapped around the two methods that
    make them, for as long as the context lasts."""

    def __init__(self) -> None:
        self.past_places: collections.Counter[str] = collections.Counter()
        self.generators: collections.Counter[str] = collections.Counter()

    def __enter__(self) -> Counts:
        draws = random_streams.Draws
        self._beyond, self._listing_beyond = draws._beyond, draws._listing_beyond
        counts = self

        def beyond(self: random_streams.Draws, purpose: int, n: int) -> float:
            counts._count(self, random_streams.PURPOSES[purpose], purpose)
            return counts._beyond(self, purpose, n)

        def listing_beyond(self: random_streams.Draws, n: int) -> tuple[float, float, float]:
            counts._count(self, LISTING, random_streams._LISTING)
            return counts._listing_beyond(self, n)

        draws._beyond, draws._listing_beyond = beyond, listing_beyond  # type: ignore[method-assign]
        return self

    def _count(self, draws: random_streams.Draws, name: str, purpose: int) -> None:
        self.past_places[name] += 1
        if draws._more is None or purpose not in draws._more:  # its first draw past the places seeds a generator
            self.generators[name] += 1

    def __exit__(self, *exc: object) -> None:
        random_streams.Draws._beyond = self._beyond  # type: ignore[method-assign]
        random_streams.Draws._listing_beyond = self._listing_beyond  # type: ignore[method-assign]


def count(scenario: Path, years: float | None, warm_up_days: int | None) -> dict:
    """One replication of ``scenario`` (its results period and warm-up shortened if asked), its draws counted."""
    loaded = load_scenario(scenario)
    changes = {"run_years": years, "starting_state.warm_up_days": warm_up_days}
    changes = {key: value for key, value in changes.items() if value is not None}
    if changes:
        loaded = with_changes(loaded, changes, name=f"{loaded.scenario.name}_shortened")
    with tempfile.TemporaryDirectory() as out, Counts() as counts:
        stats = Replication(loaded, 0, Path(out)).run()
    return {
        "cases": stats.cases_created,
        "past_places": dict(counts.past_places.most_common()),
        "generators": dict(counts.generators.most_common()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path, nargs="?", default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--years", type=float, default=None, help="years of results (default: the scenario's)")
    parser.add_argument("--warm-up-days", type=int, default=None, help="days of warm-up (default: the scenario's)")
    args = parser.parse_args()
    if is_compiled():
        raise SystemExit("the model was imported compiled; run this script directly, not from another program")
    try:
        result = count(args.scenario, args.years, args.warm_up_days)
    except ScenarioError as error:  # a bad scenario or option: its message, with file and key, not a traceback
        raise SystemExit(str(error)) from None
    print(f"{result['cases']:,} cases")
    print(f"{'purpose':<55} {'draws past places':>18} {'generators':>11}")
    for name, draws in result["past_places"].items():
        print(f"{name:<55} {draws:>18,} {result['generators'].get(name, 0):>11,}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
