"""What every command shares: exit codes, the user error, argument types, messages, executors and options.

Exit codes: 0 success; 1 some replications failed (the others are kept and reported); 2 a user error (a bad
scenario, a missing file, a bad option, an output directory that is in the way or in use, a damaged results
folder) or a file system error (no permission, a missing or read-only folder, a full disk), reported without a
traceback; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.vocabulary import MODELS

EXIT_OK, EXIT_FAILED_REPLICATIONS, EXIT_USER_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


class UserError(Exception):
    """A mistake in how the program was called; the message says what to do instead."""


# ---------------------------------------------------------------------------------------------- messages
def program_name() -> str:
    """``run_sim.py`` when run as ``python run_sim.py``, ``fjsim`` as the installed console script."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return "fjsim" if name in ("fjsim", "fjsim.exe") else "run_sim.py"


def invocation() -> str:
    """How a message tells the user to run a command: ``fjsim`` if that is how they ran this one."""
    name = program_name()
    return name if name == "fjsim" else f"python {name}"


def err(message: str) -> None:
    """A message for the person running the command, on stderr (results go to stdout)."""
    print(message, file=sys.stderr, flush=True)


def progress_enabled() -> bool:
    """Show progress bars only to a person at a terminal, never in CI logs or when stderr is redirected."""
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty and not os.environ.get("CI")


def command_line(args: argparse.Namespace) -> list[str]:
    """The command line recorded in a manifest: the one given to ``main``, or this process's."""
    return [sys.executable, *sys.argv] if getattr(args, "argv", None) is None else args.argv


# ---------------------------------------------------------------------------------------------- argument types
def run_settings(args: argparse.Namespace) -> dict[str, Any]:
    """What every experiment command passes on from its options: replications, seed, progress, argv, log."""
    settings = {
        "replications": args.replications,
        "seed": getattr(args, "seed", None),  # validation has no --seed: the scenario's
        "show_progress": progress_enabled(),
        "argv": command_line(args),
        "log": err,
    }
    if hasattr(args, "model"):  # the commands that take --model (add_model)
        settings["model"] = args.model
    return settings


def require_docs_folder(record: Path) -> None:
    """``--docs`` writes into the repository's docs/: refuse before running when there is none here."""
    if not record.parent.is_dir():
        raise UserError(
            f"--docs writes {record.as_posix()} of the repository, but {Path.cwd()} has no docs/ folder: "
            "run the command from the repository's root"
        )


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def replication_count(text: str) -> int:
    """A number of replications: a whole number from 1 to MAX_REPLICATIONS (sim.scenario.limits says why)."""
    from sim.scenario.limits import MAX_REPLICATIONS

    value = positive_int(text)
    if value > MAX_REPLICATIONS:
        raise argparse.ArgumentTypeError(
            f"at most {MAX_REPLICATIONS:,} replications (a run keeps a record and a task for each), got {value:,}"
        )
    return value


def seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**63 - 1, got {value}")
    return value


def folder(text: str) -> str:
    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"not a folder: {text!r}")
    return text


def percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage such as 5, got {text!r}") from None
    if not (0 < value < 100) or math.isnan(value):
        raise argparse.ArgumentTypeError(f"must be above 0 and below 100, got {text}")
    return value


# ---------------------------------------------------------------------------------------------- output folders
def default_out(name: str, root: Path = Path("results")) -> Path:
    """``results/NAME-YYYYmmdd-HHMMSS`` (with ``-2``, ``-3``... if that exists and is not empty)."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = root / f"{name}-{stamp}"
    n = 2
    while out.exists() and any(out.iterdir()):
        out = root / f"{name}-{stamp}-{n}"
        n += 1
    return out


def out_dir(args: argparse.Namespace, name: str) -> Path:
    """The --out DIR given, or a fresh ``results/NAME-TIME/``."""
    return Path(args.out) if args.out else default_out(name)


# ---------------------------------------------------------------------------------------------- executors
def make_executor(args: argparse.Namespace):
    from sim.experiment.executors import make_executor as make

    return make(getattr(args, "workers", None), getattr(args, "scheduler", None))


@contextmanager
def experiment_folder(
    args: argparse.Namespace, out: Path, *, resume: bool = False, say_interrupted: bool = True
) -> Iterator[Any]:
    """The executor a command asked for, inside its output folder held for the command.

    The executor is made first, so an unreachable ``--scheduler`` stops the command before any folder is made.
    The folder is then made, locked, and (with ``--force``) emptied of the previous run's files
    (:func:`sim.experiment.results_folder.output_folder`). On Ctrl-C the workers stop at once and the user is told
    where the partial results are (``main`` then exits 130); the workers are stopped before the folder is released.
    A command that ends normally then has its folder registered in the run store (:func:`register_finished`).
    """
    from sim.experiment.results_folder import output_folder

    executor = make_executor(args)
    try:
        with output_folder(
            out, force=getattr(args, "force", False), resume=resume, command=command_line(args), log=err
        ):
            try:
                yield executor
            except BaseException as exc:
                getattr(executor, "abort", executor.close)()  # stop the workers now rather than wait for them
                if isinstance(exc, KeyboardInterrupt) and say_interrupted:
                    err(f"interrupted: partial results are in {out}")
                raise
            finally:
                executor.close()
    finally:
        executor.close()
    register_finished(args, out)


REGISTERED_COMMANDS = ("run", "compare", "sweep", "backcast", "options", "calibrate", "validation", "plan")
"""The commands whose folder is registered in the run store when they finish (the kind of record is the name)."""


def register_finished(args: argparse.Namespace, out: Path) -> None:
    """Record a finished command's folder in the run store (:mod:`sim.experiment.run_store`).

    The results are complete whatever happens here: a store that cannot be written (held too long by another
    process, not a run store, a full disk) is a warning saying how to register the folder later, never a failure.
    """
    kind = getattr(args, "command", None)
    if kind not in REGISTERED_COMMANDS:
        return
    try:
        from sim.experiment.run_store import RunStore

        store = RunStore(getattr(args, "runs_db", None))
        run_id, replaced, _ = store.register(out, kind)
    except Exception as exc:  # never lose or fail a finished run over its record
        reason = str(exc) if type(exc).__name__ == "RunStoreError" else describe_failure(exc)
        err(
            f"warning: the results in {out} are complete but were not registered in the run store: {reason}; "
            f"register them later with: {invocation()} runs add {out}"
        )
        return
    what = "updated" if replaced else "registered as"
    err(f"{what} run {run_id} in {store.path} (see it with: {invocation()} runs show {run_id})")


def describe_failure(exc: BaseException) -> str:
    """One line about an error: for an OSError, the file and the reason (a full disk, no permission...)."""
    from sim.experiment.owned_files import describe_failure as describe

    return describe(exc)


# ---------------------------------------------------------------------------------------------- shared options
def add_execution(parser: argparse.ArgumentParser) -> None:
    """--workers N and --scheduler ADDRESS."""
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        metavar="N",
        help="worker processes (default: the number of cores; 1 runs in this process)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="send replications to a Dask distributed scheduler, e.g. tcp://10.0.0.5:8786 (workers must share "
        "the output directory)",
    )


def add_model(parser: argparse.ArgumentParser) -> None:
    """--model events|agenda: how each replication is simulated (default: the agenda where it can follow every
    policy of the study, else the event model, said in a note)."""
    parser.add_argument(
        "--model",
        choices=MODELS,
        default=None,
        help="how each replication is simulated: 'agenda', day by day with cases as rows moved in batches; "
        "'events', every case a SimPy process with time kept to the hour, about 1.5 times the CPU; both give the "
        "same figures within their intervals (docs/model.md). Default: the agenda, unless a scenario has a policy "
        "that changes a share or duration along a route, which only the event model follows (the command says so)",
    )


def add_allow_root(parser: argparse.ArgumentParser) -> None:
    """--allow-root DIR: a folder ``extends:`` may read besides the scenario's own (sim.scenario.files)."""
    parser.add_argument(
        "--allow-root",
        action="append",
        type=folder,
        default=[],
        metavar="DIR",
        help="a folder whose files a scenario may extend (repeat for more); without it, extends reads only inside "
        "the scenario's folder, the nearest 'scenarios' folder above it and the working directory",
    )


def add_replications(parser: argparse.ArgumentParser, default: int = 5) -> None:
    parser.add_argument(
        "--replications", type=replication_count, default=default, metavar="N", help=f"replications (default {default})"
    )


def add_seed(parser: argparse.ArgumentParser, whose: str = "the scenario's") -> None:
    parser.add_argument("--seed", type=seed, default=None, metavar="S", help=f"root seed (default: {whose} seed)")


def add_out(parser: argparse.ArgumentParser, default: str) -> None:
    """--out DIR (``default`` describes where the results go without it) and --force."""
    parser.add_argument("--out", default=None, metavar="DIR", help=f"output directory (default {default})")
    parser.add_argument("--force", action="store_true", help="replace results in an existing, non-empty --out DIR")


def add_runs_db(parser: argparse.ArgumentParser) -> None:
    """--runs-db PATH: the run store to use (sim.experiment.run_store)."""
    parser.add_argument(
        "--runs-db",
        default=None,
        metavar="PATH",
        help="the run store, a DuckDB file (default: $FJSIM_RUNS_DB, else results/runs.duckdb here)",
    )


def add_experiment_options(
    parser: argparse.ArgumentParser,
    *,
    out: str,
    whose_seed: str | None = "the scenario's",
    replications: bool = True,
    registered: bool = True,
) -> None:
    """The options of every command that runs replications: --replications, --seed, --out, --force,
    --workers, --scheduler, --model and --allow-root (``whose_seed=None`` leaves --seed out), and --runs-db for a
    command whose folder is registered in the run store (``registered``)."""
    if replications:
        add_replications(parser)
    if whose_seed is not None:
        add_seed(parser, whose_seed)
    add_out(parser, out)
    add_execution(parser)
    add_model(parser)
    add_allow_root(parser)
    if registered:
        add_runs_db(parser)
