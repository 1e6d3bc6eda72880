"""``options [STUDY.yaml]``: run a declared options study and write its record (:mod:`sim.experiment.options`).

The study file (default ``scenarios/options.yaml``, :mod:`sim.experiment.options_study`) is read, with every
scenario it names, before anything runs or any folder is made: a bad file is a message naming file, line and
key, and nothing is written. ``options.csv``, ``elasticity.csv`` and ``options.md`` go into the output folder
(with compare's ``compare.csv``, ``manifest.json`` and a run folder per scenario, without reports); the tracked
record, the study's ``docs_record`` (``docs/options.md`` by default), is written only with ``--docs``.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from sim.cli.common import (
    EXIT_FAILED_REPLICATIONS,
    EXIT_OK,
    EXIT_USER_ERROR,
    add_experiment_options,
    err,
    experiment_folder,
    out_dir,
    require_docs_folder,
    run_settings,
)

DEFAULT_STUDY = "scenarios/options.yaml"


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "options",
        help="run a declared options study (default scenarios/options.yaml) and write its record",
        description="Run the base and every option of a study file on common random numbers and write, for each "
        "option, paired differences with 95% intervals in mean weeks (public and private law), the public law "
        "share within 26 weeks and outstanding cases, and the weeks per 1% of days sat: options.csv, "
        "elasticity.csv and options.md in the output folder (and, with --docs, the study's docs_record, by default "
        "docs/options.md).",
    )
    p.add_argument(
        "study",
        nargs="?",
        default=DEFAULT_STUDY,
        metavar="STUDY.yaml",
        help=f"the study file (default {DEFAULT_STUDY})",
    )
    add_experiment_options(p, out="results/options-NAME-TIME/", whose_seed="the base's")
    p.add_argument(
        "--docs",
        action="store_true",
        help="also write the record to the study's docs_record (default docs/options.md; run from the repository's "
        "root)",
    )
    p.set_defaults(func=cmd_options)


def regenerate_command(args: argparse.Namespace, seed: int) -> str:
    """The command the record quotes to make itself again: the same study, replications and seed."""
    parts = ["python", "run_sim.py", "options", args.study, "--replications", str(args.replications)]
    parts += ["--seed", str(seed)]
    return shlex.join(parts + (["--docs"] if args.docs else []))


def cmd_options(args: argparse.Namespace) -> int:
    from sim.experiment.options import run_study
    from sim.experiment.options_study import StudyError, load_study
    from sim.outputs.options_record import summary_lines, write_options_record

    try:
        study = load_study(args.study)
    except StudyError as exc:
        err(f"error: the options study has problems (file:line: key: message):\n{exc}")
        return EXIT_USER_ERROR
    docs_record = Path(study.spec.docs_record)
    if args.docs:
        require_docs_folder(docs_record)
    out = out_dir(args, f"options-{study.base.scenario.name}")
    with experiment_folder(args, out) as executor:
        result = run_study(study, out, executor=executor, **run_settings(args))
        result.written += write_options_record(
            result, out, regenerate_command(args, result.root_seed), [docs_record] if args.docs else []
        )
    for line in summary_lines(result):
        print(line)
    print("wrote " + ", ".join(str(p) for p in result.written))
    if result.failures:
        failed = ", ".join(f"{name}: {n}" for name, n in result.failures.items())
        err(f"failed replications (see each scenario's manifest.json): {failed}")
        return EXIT_FAILED_REPLICATIONS
    return EXIT_OK
