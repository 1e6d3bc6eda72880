"""``backcast [SCENARIO]``: run a history scenario and compare it with the published trajectory 2018-2024.

The running and measuring are :mod:`sim.experiment.backcast`; the figure :mod:`sim.outputs.backcast_figure`.
``backcast.csv``, ``backcast.png`` and ``backcast.md`` go into the output folder; the tracked
``docs/backcast.md`` is written only with ``--docs``.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from sim.cli.common import (
    EXIT_FAILED_REPLICATIONS,
    EXIT_OK,
    EXIT_USER_ERROR,
    UserError,
    add_experiment_options,
    err,
    experiment_folder,
    out_dir,
    require_docs_folder,
    run_settings,
)

DOCS_RECORD = Path("docs") / "backcast.md"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date YYYY-MM-DD") from None


DEFAULT_TARGETS = Path("calibration") / "backcast_targets.yaml"
"""The back-cast's targets file, beside its scenario (scenarios/calibration/backcast_targets.yaml)."""


def _targets(args: argparse.Namespace) -> Path | None:
    """The targets file named, or the default beside the scenario when it exists; a named file must exist."""
    if args.targets is not None:
        path = Path(args.targets)
        if not path.is_file():
            raise UserError(f"{args.targets}: no such targets file")
        return path
    beside = Path(args.scenario).parent / DEFAULT_TARGETS
    return beside if beside.is_file() else None


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "backcast",
        help="run a history scenario and compare it with the published trajectory 2018-2024",
        description="Run a scenario with a history of demand and capacity (default scenarios/backcast.yaml), "
        "measure the model at every published point's date as the figure is published, and write backcast.csv, "
        "backcast.png and backcast.md into the output folder (docs/backcast.md only with --docs).",
    )
    p.add_argument(
        "scenario",
        nargs="?",
        default="scenarios/backcast.yaml",
        metavar="SCENARIO",
        help="a scenario with a history: table (default scenarios/backcast.yaml)",
    )
    add_experiment_options(p, out="results/backcast-NAME-TIME/")
    p.add_argument(
        "--until",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="run on to this date, past the last published point, with the inputs held at their last values",
    )
    p.add_argument(
        "--targets",
        default=None,
        metavar="TARGETS.yaml",
        help="the calibration targets file the scenario was fitted with: a point is marked fitted when that file "
        f"fitted it (default {DEFAULT_TARGETS.as_posix()} beside the scenario's folder, when there is one; without "
        "one, every point up to the end of 2023 is marked as one the calibration may fit)",
    )
    p.add_argument(
        "--docs",
        action="store_true",
        help=f"also write the record to {DOCS_RECORD.as_posix()} (run from the repository's root)",
    )
    p.set_defaults(func=cmd_backcast)


def cmd_backcast(args: argparse.Namespace) -> int:
    from sim.experiment.backcast import BackcastError, backcast, fitted_points, write_record
    from sim.experiment.model_calibration.targets import TargetsError
    from sim.outputs.backcast_figure import write_backcast_figure
    from sim.scenario.loading import load_scenario

    loaded = load_scenario(args.scenario)
    targets = _targets(args)
    try:
        fitted = None if targets is None else fitted_points(targets, loaded)
    except TargetsError as exc:
        err(f"error: the targets file has problems (file:line: key: message):\n{exc}")
        return EXIT_USER_ERROR
    if args.docs:
        require_docs_folder(DOCS_RECORD)
    out = out_dir(args, f"backcast-{loaded.scenario.name}")
    with experiment_folder(args, out) as executor:
        try:
            result = backcast(
                loaded, out, until=args.until, executor=executor, targets=targets, fitted=fitted, **run_settings(args)
            )
        except BackcastError as exc:
            raise UserError(str(exc)) from None
        if not result.replications_used:
            err(f"every replication failed, so there is nothing to compare; details in {out / 'manifest.json'}")
            return EXIT_FAILED_REPLICATIONS
        result.written += write_backcast_figure(out, result.table, result.trajectory)
        write_record(out, result, loaded, args.scenario, [DOCS_RECORD] if args.docs else [])
    compared = result.table[result.table["published"].notna() & result.table["model"].notna()]
    banded = compared[compared["lower"].notna() & compared["upper"].notna()]
    if banded.empty:  # one replication: a mean and no band
        print(f"{len(compared)} published points compared; no 95% band from one replication (run 2 or more for one)")
    else:
        inside = ((banded["published"] >= banded["lower"]) & (banded["published"] <= banded["upper"])).mean()
        print(f"{len(compared)} published points compared; {inside:.0%} of {len(banded)} inside the model's 95% band")
    print("wrote " + ", ".join(str(p) for p in result.written))
    if result.failed_replications:
        err(f"{len(result.failed_replications)} replication(s) failed; details in {out / 'manifest.json'}")
        return EXIT_FAILED_REPLICATIONS
    return EXIT_OK
