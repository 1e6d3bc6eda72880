"""Commands that read a finished run: ``report DIR``, ``journey DIR CHILD_ID`` and ``ocel DIR``.

:func:`after_run` writes the report and the journey log at the end of ``run`` (and of each scenario of
``compare``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli.common import EXIT_OK, err


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "journey",
        help="print one child's journey across agencies and cases, in plain words",
        description="Print one child's timeline: every case (returns to court included), each stage with its "
        "dates, agency, wait and work, the order made, and where the days went.",
    )
    p.add_argument("directory", metavar="DIR", help="a results directory (the --out of run)")
    p.add_argument("child_id", type=int, metavar="CHILD_ID", help="the child's identifier (child_id)")
    p.add_argument("--replication", type=int, default=None, metavar="R", help="replication (default the first)")
    p.set_defaults(func=cmd_journey)

    p = sub.add_parser(
        "report",
        help="write DIR/report.html: a self-contained report of a run's results, assumptions and set-up",
    )
    p.add_argument("directory", metavar="DIR", help="a results directory (the --out of run)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "ocel",
        help="write a run's journey log (OCEL 2.0 JSON) for one replication",
        description="Write a run's journey log (OCEL 2.0 JSON) for one replication.",
    )
    p.add_argument("directory", metavar="DIR", help="a results directory (the --out of run)")
    p.add_argument("--replication", type=int, default=None, metavar="R", help="replication (default the first)")
    p.add_argument(
        "--max-children",
        type=int,
        default=None,
        metavar="N",
        help="keep an evenly spaced sample of N child ids, with their siblings (default: every child)",
    )
    p.add_argument("--out", default=None, metavar="FILE", help="default DIR/journey_rep-RRRR.ocel.json")
    p.set_defaults(func=cmd_ocel)


def cmd_journey(args: argparse.Namespace) -> int:
    from sim.outputs.journey import describe

    print(describe(args.directory, args.child_id, args.replication))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from sim.outputs.report import write_report

    print(f"report in {write_report(args.directory)}")
    return EXIT_OK


def cmd_ocel(args: argparse.Namespace) -> int:
    from sim.outputs.ocel import export

    print(f"journey log in {export(args.directory, args.replication, args.max_children, args.out)}")
    return EXIT_OK


def after_run(directory: str | Path) -> list[Path]:
    """Write the report and the journey log of a finished run; a failure is reported, not raised.

    The run's results are complete and safe whatever happens here, so a problem writing the report is a
    warning (on stderr), not a failed run.
    """
    from sim.outputs import ocel
    from sim.outputs.report import write_report

    written = []
    try:
        written.append(write_report(directory))
    except Exception as exc:
        err(
            f"warning: could not write the report ({type(exc).__name__}: {exc}); try: python run_sim.py report "
            f"{directory}"
        )
    try:
        written.append(ocel.export(directory, max_children=ocel.RUN_MAX_CHILDREN))
    except Exception as exc:
        err(
            f"warning: could not write the journey log ({type(exc).__name__}: {exc}); try: python run_sim.py ocel "
            f"{directory}"
        )
    for path in written:
        print(f"  {'report' if path.suffix == '.html' else 'journey log (OCEL 2.0)'}: {path}")
    return written
