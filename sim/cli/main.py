"""Command line: ``python run_sim.py COMMAND`` (validate, run, compare, sweep, warmup, calibrate, validation,
backcast, options, plan, journey, report, ocel, runs, serve; ``--help`` on each); installed, the same commands are
``fjsim COMMAND``.

The parser is built from one module per command or group (:mod:`sim.cli.run`, :mod:`sim.cli.compare`,
:mod:`sim.cli.sweep`, :mod:`sim.cli.warmup`, :mod:`sim.cli.calibrate`, :mod:`sim.cli.validation`,
:mod:`sim.cli.backcast`, :mod:`sim.cli.options`, :mod:`sim.cli.plan`, :mod:`sim.cli.results`, :mod:`sim.cli.runs`,
:mod:`sim.cli.serve`), and the errors the library raises are turned into messages and exit codes here, in one
place. Exit codes: 0 success; 1 some replications failed (the others are kept and reported); 2 a user error (a
bad scenario, a missing file, a bad option, an output directory that is in the way or in use, a damaged results
folder) or a file system error (no permission, a missing or read-only folder, a full disk), reported without a
traceback; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from sim.cli import backcast, calibrate, compare, options, plan, results, run, runs, serve, sweep, validation, warmup
from sim.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USER_ERROR,
    UserError,
    describe_failure,
    err,
    program_name,
)
from sim.scenario.files import allowing_roots

COMMAND_MODULES = (run, compare, sweep, warmup, calibrate, validation, backcast, options, plan, results, runs, serve)
"""Each adds its subcommands with ``add_parsers(sub)``, in this order in ``--help``."""


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog or program_name(),
        description="Simulate children's journeys through the family justice system of England and Wales. "
        "Commands write into a results folder (--out DIR, or a new results/NAME-TIME/), never into the "
        "source tree unless asked (--docs).",
        epilog="COMMAND --help describes a command and every option it takes. Exit codes: 0 success; 1 some "
        "replications failed (the others are kept); 2 a user error, reported without a traceback; 130 "
        "interrupted.",
    )
    sub = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.add_parsers(sub)
    return parser


def _user_errors() -> tuple[type[BaseException], ...]:
    """The library's exceptions that mean the program was called wrongly (imported only when one is raised)."""
    from sim.experiment.executors import ExecutorError
    from sim.experiment.plan_spec import PlanSpecError
    from sim.experiment.results_folder import ResultsDirError, RunDirectoryError
    from sim.experiment.sweep import SweepError
    from sim.experiment.validation import FiguresError
    from sim.model.agenda.replication import PolicyNotFollowed
    from sim.scenario.calibration import CalibrationError

    return (
        UserError,
        RunDirectoryError,
        ResultsDirError,
        ExecutorError,
        CalibrationError,
        SweepError,
        FiguresError,
        PlanSpecError,
        PolicyNotFollowed,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (never raises for a user error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as exc:  # argparse has printed the usage and the problem
        return exc.code if isinstance(exc.code, int) else EXIT_USER_ERROR
    args.argv = None if argv is None else ["run_sim.py", *argv]
    from sim.experiment.memory import return_freed_memory

    return_freed_memory()  # before anything imports pyarrow, whose allocator it chooses
    try:
        with allowing_roots(getattr(args, "allow_root", None) or []):
            return args.func(args)
    except KeyboardInterrupt:
        err("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into head, for instance
        return EXIT_OK
    except OSError as exc:  # no permission, a missing or read-only folder, a full disk: the message says which
        err(f"error: {describe_failure(exc)}")
        return EXIT_USER_ERROR
    except Exception as exc:
        from sim.scenario.yaml_file import ScenarioError

        if isinstance(exc, ScenarioError):
            err(f"error: the scenario has problems (file:line: key: message):\n{exc}")
            return EXIT_USER_ERROR
        if isinstance(exc, _user_errors()):
            err(f"error: {exc}")
            return EXIT_USER_ERROR
        raise
