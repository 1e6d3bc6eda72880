"""``validation [SCENARIO]``: run the baseline and compare it with published figures.

The comparison itself is :mod:`sim.experiment.validation`.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from sim.cli.common import EXIT_OK, add_experiment_options, command_line, err, executor_for, out_dir, progress_enabled


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validation", help="run the baseline and compare it with published figures")
    p.add_argument("scenario", nargs="?", default="scenarios/baseline.yaml", metavar="SCENARIO")
    add_experiment_options(p, out="results/validation-NAME-TIME/", whose_seed=None)
    p.add_argument("--from-run", default=None, metavar="DIR", help="use a finished run of SCENARIO instead")
    p.add_argument("--write", default="docs/validation.md", metavar="FILE", help="the record to write")
    p.set_defaults(func=cmd_validation)


def cmd_validation(args: argparse.Namespace) -> int:
    from sim.experiment.replications import run_experiment
    from sim.experiment.results_folder import prepare_directory
    from sim.experiment.validation import summary_lines, to_markdown, validate_run
    from sim.model.columns import write_atomically
    from sim.scenario.schema import load_scenario

    loaded = load_scenario(args.scenario)
    if args.from_run:
        out = Path(args.from_run)
    else:
        out = out_dir(args, f"validation-{loaded.scenario.name}")
        prepare_directory(out, force=args.force)
        with executor_for(args, out) as executor:
            run_experiment(loaded, out, replications=args.replications, executor=executor,
                           show_progress=progress_enabled(), argv=command_line(args), log=err)  # fmt: skip
    table = validate_run(out, loaded)
    table.to_csv(out / "validation.csv", index=False)
    s = loaded.scenario
    about = {
        "generated": dt.date.today().isoformat(), "scenario": args.scenario, "seed": s.seed,
        "replications": int(table["replications"].max()), "run_years": s.run_years, "start_date": s.start_date,
        "warm_up_days": s.starting_state.warm_up_days, "out": out,
    }  # fmt: skip
    text = to_markdown(table, about)
    write_atomically(Path(args.write), lambda tmp: tmp.write_text(text, encoding="utf-8"))
    for line in summary_lines(table):
        print(line)
    print(f"wrote {args.write} and {out / 'validation.csv'}")
    return EXIT_OK
