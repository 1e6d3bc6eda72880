"""Commands that read a finished run: ``report DIR``, ``journey DIR CHILD_ID`` and ``ocel DIR``.

:func:`after_run` writes the report and the journey log at the end of ``run`` (and of each scenario of
``compare``).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.cli.common import EXIT_OK, command_line, describe_failure, err, invocation

LARGEST_ID = 2**63 - 1
"""Child identifiers are 64-bit integers."""
LARGEST_REPLICATION = 2**31 - 1
"""Replication numbers are 32-bit integers in the tables."""


def whole_number_up_to(largest: int):
    """An argparse type: a whole number from 0 to ``largest`` (a bigger one cannot be in the tables)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not 0 <= value <= largest:
            raise argparse.ArgumentTypeError(f"must be between 0 and {largest}, got {text}")
        return value

    return parse


@contextmanager
def reading(directory: str | Path) -> Iterator[None]:
    """Damage the readers do not check for themselves (a column missing from a table, a CSV that is not one) is
    reported in one line, as a user error, rather than as a traceback."""
    import pyarrow as pa

    from sim.experiment.results_folder import ResultsDirError

    try:
        yield
    except ResultsDirError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, pa.ArrowException) as exc:
        raise ResultsDirError(
            f"{directory} cannot be read as a results folder ({describe_failure(exc)}); was it edited by hand, or "
            "cut short?"
        ) from None


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "journey",
        help="print one child's journey across agencies and cases, in plain words",
        description="Print one child's timeline: every case (returns to court included), each stage with its "
        "dates, agency, wait and work, the order made, and where the days went.",
    )
    p.add_argument("directory", metavar="DIR", help="a results directory (the --out of run)")
    p.add_argument(
        "child_id", type=whole_number_up_to(LARGEST_ID), metavar="CHILD_ID", help="the child's identifier (child_id)"
    )
    p.add_argument(
        "--replication",
        type=whole_number_up_to(LARGEST_REPLICATION),
        default=None,
        metavar="R",
        help="replication (default the first)",
    )
    p.set_defaults(func=cmd_journey)

    p = sub.add_parser(
        "report",
        help="write DIR/report.html: a self-contained report of a run's results, assumptions and set-up",
        description="Write (or rewrite) DIR/report.html from a finished run's tables: one self-contained file with "
        "the results, their intervals, the figures, the assumptions and the run's set-up, readable offline.",
    )
    p.add_argument("directory", metavar="DIR", help="a results directory (the --out of run)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "ocel",
        help="write a run's journey log (OCEL 2.0 JSON) for one replication",
        description="Write a run's journey log (OCEL 2.0 JSON) for one replication.",
    )
    p.add_argument("directory", metavar="DIR", help="a results directory (the --out of run)")
    p.add_argument(
        "--replication",
        type=whole_number_up_to(LARGEST_REPLICATION),
        default=None,
        metavar="R",
        help="replication (default the first)",
    )
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

    with reading(args.directory):
        text = describe(args.directory, args.child_id, args.replication)
    print(text)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from sim.experiment.results_folder import output_folder
    from sim.outputs.report import write_report

    with output_folder(args.directory, existing=True, command=command_line(args)), reading(args.directory):
        path = write_report(args.directory)
    print(f"report in {path}")
    return EXIT_OK


def cmd_ocel(args: argparse.Namespace) -> int:
    from sim.experiment.results_folder import output_folder
    from sim.outputs.ocel import export

    with output_folder(args.directory, existing=True, command=command_line(args)), reading(args.directory):
        path = export(args.directory, args.replication, args.max_children, args.out)
    print(f"journey log in {path}")
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
            f"warning: could not write the report ({type(exc).__name__}: {exc}); try: {invocation()} report {directory}"
        )
    try:
        written.append(ocel.export(directory, max_children=ocel.RUN_MAX_CHILDREN))
    except Exception as exc:
        err(
            f"warning: could not write the journey log ({type(exc).__name__}: {exc}); try: {invocation()} ocel "
            f"{directory}"
        )
    for path in written:
        print(f"  {'report' if path.suffix == '.html' else 'journey log (OCEL 2.0)'}: {path}")
    return written
