"""Command line: ``python run_sim.py validate|run|compare|sweep|warmup ...`` (``--help`` on each).

Exit codes: 0 success; 1 some replications failed (the others are kept and reported); 2 a user error (a bad
scenario, a missing file, a bad option, an output directory that is in the way), reported in a paragraph
without a traceback; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.scenario.yaml_file import ScenarioError

EXIT_OK, EXIT_FAILED_REPLICATIONS, EXIT_USER_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


class UserError(Exception):
    """A mistake in how the program was called; the message says what to do instead."""


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def progress_enabled() -> bool:
    """Show progress bars only to a person at a terminal, never in CI logs or when stderr is redirected."""
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty and not os.environ.get("CI")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**63 - 1, got {value}")
    return value


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage such as 5, got {text!r}") from None
    if not (0 < value < 100) or math.isnan(value):
        raise argparse.ArgumentTypeError(f"must be above 0 and below 100, got {text}")
    return value


# ---------------------------------------------------------------------------------------------- validate
def cmd_validate(args: argparse.Namespace) -> int:
    from sim.scenario.schema import load_scenario

    bad = 0
    for file in args.files:
        try:
            load_scenario(file)
        except ScenarioError as exc:
            bad += 1
            _err(str(exc))
        else:
            print(f"ok: {file}")
    if bad:
        _err(f"{bad} of {len(args.files)} scenario file{'s' if len(args.files) > 1 else ''} invalid")
        return EXIT_USER_ERROR
    return EXIT_OK


# ---------------------------------------------------------------------------------------------- run
def default_out(name: str, root: Path = Path("results")) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = root / f"{name}-{stamp}"
    n = 2
    while out.exists() and any(out.iterdir()):
        out = root / f"{name}-{stamp}-{n}"
        n += 1
    return out


def _executor(args: argparse.Namespace):  # noqa: ANN202 - returns an Executor
    from sim.experiment.executors import make_executor

    return make_executor(getattr(args, "workers", None), getattr(args, "scheduler", None))


@contextmanager
def executor_for(args: argparse.Namespace, out: Path) -> Iterator[Any]:
    """The executor a command asked for; on Ctrl-C its workers stop at once and the user is told where the
    partial results are (``main`` then exits 130)."""
    executor = _executor(args)
    try:
        yield executor
    except KeyboardInterrupt:
        getattr(executor, "abort", executor.close)()
        _err(f"interrupted: partial results are in {out}")
        raise
    finally:
        executor.close()


def _print_headline(summary, out: Path) -> None:  # noqa: ANN001 - a DataFrame
    from sim.analysis.indicators import HEADLINE

    index = summary.set_index(["indicator", "breakdown", "group"])
    for key in HEADLINE:
        if key not in index.index:
            continue
        row = index.loc[key]
        ci = "" if math.isnan(row["ci95_low"]) else f" (95% CI {row['ci95_low']:.1f} to {row['ci95_high']:.1f})"
        label = "all children" if key[1] == "all" else f"{key[1]} {key[2]}"
        print(f"  {key[0]}, {label}: {row['mean']:.1f}{ci}")
    print(f"results in {out}")


def cmd_run(args: argparse.Namespace) -> int:
    from sim.experiment.replications import (
        check_same_scenario,
        prepare_directory,
        resume_options,
        run_experiment,
    )
    from sim.scenario.schema import load_scenario

    argv = [sys.executable, *sys.argv] if args.argv is None else args.argv
    if args.resume:
        if args.scenario or args.force or args.out:
            raise UserError("--resume DIR continues the run in DIR: give no scenario, --out or --force with it")
        out = Path(args.resume)
        options = resume_options(out)
        loaded = load_scenario(options["scenario_path"])
        check_same_scenario(loaded, options["scenario_sha256"])
        replications = options["replications"]
        seed = options["seed"]
        precision = options.get("precision_percent")
        max_replications = options.get("max_replications")
    else:
        if not args.scenario:
            raise UserError("run needs a scenario file (or --resume DIR to continue an interrupted run)")
        loaded = load_scenario(args.scenario)  # validate before anything is written
        out = Path(args.out) if args.out else default_out(loaded.scenario.name)
        replications, seed = args.replications, args.seed
        precision, max_replications = args.precision, args.max_replications
        if precision and max_replications < replications:
            raise UserError(f"--max-replications ({max_replications}) must be at least --replications ({replications})")
        prepare_directory(out, force=args.force)
    executor = _executor(args)
    try:
        try:
            result = run_experiment(
                loaded,
                out,
                replications=replications,
                seed=seed,
                executor=executor,
                show_progress=progress_enabled(),
                precision=precision,
                max_replications=max_replications,
                resume=bool(args.resume),
                argv=argv,
                log=_err,
            )
        except BaseException:
            getattr(executor, "abort", executor.close)()  # stop the workers now rather than wait for them
            raise
        finally:
            executor.close()
        return _finish_run(args, loaded, out, result, max_replications)
    except KeyboardInterrupt:  # during the replications, or while the outputs or the report are written
        _err(
            f"interrupted: finished replications are kept in {out / 'replications'}; "
            f"continue with: python run_sim.py run --resume {out}"
        )
        return EXIT_INTERRUPTED


def _finish_run(args: argparse.Namespace, loaded, out: Path, result, max_replications: int | None) -> int:  # noqa: ANN001
    print(f"{loaded.scenario.name}: {len(result.replications_used)} replications, root seed {result.root_seed}")
    precision_info = result.manifest.get("precision")
    if precision_info:
        if precision_info["precision_met"]:
            print(
                f"  precision {precision_info['precision_percent']}% reached with "
                f"{precision_info['replications_needed']} replications"
            )
        else:
            print(f"  precision {precision_info['precision_percent']}% NOT reached within {max_replications}")
    _print_headline(result.summary, out)
    if not args.no_report and result.replications_used:
        from sim.outputs.report import after_run  # report.html and the journey log (issue 4)

        after_run(out, log=_err)
    if result.failures:
        _err(
            f"{len(result.failures)} replication(s) failed: "
            + ", ".join(f"{f.replication} (root seed {f.seed}): {f.error}" for f in result.failures)
            + f"; details in {out / 'manifest.json'}"
        )
        return EXIT_FAILED_REPLICATIONS
    return EXIT_OK


# ---------------------------------------------------------------------------------------------- parser
def _add_execution(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers",
        type=_positive_int,
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run_sim.py",
        description="Simulate children's journeys through the family justice system of England and Wales.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("validate", help="check scenario files and report every problem with its file and line")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("run", help="run replications of a scenario and write results, a summary and a manifest")
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument("--replications", type=_positive_int, default=5, metavar="N", help="replications (default 5)")
    p.add_argument("--seed", type=_seed, default=None, metavar="S", help="root seed (default: the scenario's seed)")
    p.add_argument("--out", default=None, metavar="DIR", help="output directory (default results/NAME-TIME/)")
    p.add_argument("--force", action="store_true", help="replace results in an existing, non-empty --out DIR")
    p.add_argument("--resume", default=None, metavar="DIR", help="continue an interrupted run in DIR")
    p.add_argument(
        "--precision",
        type=_percent,
        default=None,
        metavar="P",
        help="add replications until the headline indicators' 95%% CI half-width is within P%% of their mean",
    )
    p.add_argument(
        "--max-replications",
        type=_positive_int,
        default=50,
        metavar="N",
        help="most replications --precision may run (default 50)",
    )
    p.add_argument(
        "--no-report",
        action="store_true",
        help="do not write report.html and the journey log at the end (python run_sim.py report DIR writes it)",
    )
    _add_execution(p)
    p.set_defaults(func=cmd_run)
    _add_experiment_commands(sub)
    _add_analysis_commands(sub)
    return parser


def _add_analysis_commands(sub: argparse._SubParsersAction) -> None:
    """journey and report (issue 4)."""
    from sim.outputs import journey as child_journey
    from sim.outputs import report

    child_journey.add_parser(sub)
    report.add_parser(sub)


def _add_experiment_commands(sub: argparse._SubParsersAction) -> None:
    """compare, sweep and warmup (issue 3)."""
    from sim.experiment import compare, sweep, validation, warmup
    from sim.scenario import calibration

    for module in (compare, sweep, warmup, calibration, validation):
        module.add_parser(sub, _add_execution)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (never raises for a user error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as exc:  # argparse has printed the usage and the problem
        return exc.code if isinstance(exc.code, int) else EXIT_USER_ERROR
    args.argv = None if argv is None else ["run_sim.py", *argv]
    from sim.experiment.executors import ExecutorError
    from sim.experiment.replications import RunDirectoryError

    try:
        return args.func(args)
    except ScenarioError as exc:
        _err(f"error: the scenario has problems (file:line: key: message):\n{exc}")
        return EXIT_USER_ERROR
    except (UserError, RunDirectoryError, ExecutorError) as exc:
        _err(f"error: {exc}")
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        _err("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into head, for instance
        return EXIT_OK
