"""``calibrate durations FILE.csv`` and ``calibrate arrivals FILE.csv``: fit scenario inputs to data and print
the YAML blocks (:mod:`sim.scenario.calibration` does the fitting; see docs/calibration.md). ``calibrate model
SCENARIO TARGETS.yaml``: fit a scenario's free parameters to published targets by simulation
(:mod:`sim.experiment.model_calibration.fit`).

QQ plots go to ``--plot DIR``, or by default to a new folder under ``results/`` (never next to the data, which
may be in the source tree).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.common import (
    EXIT_OK,
    EXIT_USER_ERROR,
    add_experiment_options,
    add_replications,
    command_line,
    default_out,
    err,
    experiment_folder,
    out_dir,
    positive_int,
)
from sim.vocabulary import CASE_TYPES

if TYPE_CHECKING:
    import pandas as pd

    from sim.experiment.model_calibration.fit import CalibrationResult


def default_plot_dir(csv: Path) -> tuple[Path, str]:
    """A new folder ``results/calibration-STEM-TIME/`` (a temporary directory if results/ cannot be written)."""
    from sim.scenario.calibration import safe_stem

    directory = default_out(f"calibration-{safe_stem(csv.stem)}")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / ".write-test"
        probe.write_text("")
        probe.unlink()
        return directory, "in a new results folder"
    except OSError:
        return Path(tempfile.mkdtemp(prefix="fjsim-calibration-")), "in a temporary directory (results/ is read-only)"


def cmd_durations(args: argparse.Namespace) -> int:
    from sim.outputs.calibration_figures import qq_plots
    from sim.scenario.calibration import (
        FAMILIES,
        CalibrationError,
        CalibrationWarning,
        Locate,
        best_yaml,
        blank_cells,
        first_index,
        fit_durations,
        format_table,
        numeric_column,
        plural,
        read_csv,
        require_column,
        safe_stem,
    )

    csv = Path(args.file)
    df, locate = read_csv(csv)
    require_column(df, args.column, str(csv))
    if args.by:
        require_column(df, args.by, str(csv))
    if args.dist and args.dist not in (*FAMILIES, "empirical"):
        raise CalibrationError(f"--dist must be one of {', '.join((*FAMILIES, 'empirical'))}, not '{args.dist}'")
    if df.empty:
        raise CalibrationError(f"{csv}: column '{args.column}' has no values (a header but no rows of data)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CalibrationWarning)
        numeric_column(df[args.column], args.column, locate, blanks="drop", source=str(csv))  # all checked first
    for w in caught:
        err(f"warning: {w.message}")
    groups: list[tuple[str | None, pd.DataFrame]]
    if args.by:
        blank_group = blank_cells(df[args.by])
        if blank_group.any():
            i = first_index(blank_group)
            err(f"warning: {locate(i)}: {plural(int(blank_group.sum()), 'row')} with a blank '{args.by}' ignored")
        kept = df[~blank_group]
        groups = [(str(g).strip(), part) for g, part in kept.groupby(kept[args.by].str.strip(), sort=True)]
    else:
        groups = [(None, df)]
    if args.no_plot:
        plot_dir, where = None, ""
    elif args.plot:
        plot_dir, where = Path(args.plot), "as asked"
    else:
        plot_dir, where = default_plot_dir(csv)
    printed, skipped, plots = 0, [], []
    for group, part in groups:
        label = f"{args.by} = {group}" if group is not None else None
        part_locate: Locate = (lambda idx: lambda i: f"{csv}, line {idx[i] + 2}")(part.index)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CalibrationWarning)
            try:
                values = numeric_column(part[args.column], args.column, part_locate, blanks="drop")
                fits = fit_durations(values, locate=part_locate)
            except CalibrationError as exc:
                if group is None:
                    raise CalibrationError(f"{csv}, column '{args.column}': {exc}") from None
                skipped.append(f"{label}: {exc}")
                continue
        print(f"{csv}, column '{args.column}'" + (f", {label}" if label else "") + f": {len(values)} values")
        for w in caught:
            if "blank cell" not in str(w.message):  # already reported for the whole column
                err(f"warning: {label + ': ' if label else ''}{w.message}")
        print(format_table(fits))
        chosen = next((f for f in fits if f.name == args.dist), None) if args.dist else fits[0]
        ranked = [f for f in fits if math.isfinite(f.aic)]
        if not args.dist:
            print(f"best by AIC: {chosen.name}")
            close = [f.name for f in ranked[1:] if f.delta_aic < 2]
            if close:
                print(f"  note: {', '.join(close)} within 2 AIC units: the data hardly tell them apart")
            if chosen.ks_p < 0.05 and chosen.name != "empirical":
                print(
                    f"  note: even {chosen.name} departs from the data (KS p = {chosen.ks_p:.2g}); look at the QQ "
                    "plots, or consider --dist empirical"
                )
        if label:
            print(f"# {label} (n = {len(values)})")
        print(best_yaml(chosen, args.key))
        if plot_dir is not None:
            stem = safe_stem(args.column + (f"-{group}" if group is not None else ""))
            plots += qq_plots(fits, values, plot_dir, stem)
        printed += 1
        print()
    for s in skipped:
        err(f"warning: skipped {s}")
    if not printed:
        raise CalibrationError(f"{csv}, column '{args.column}': no group could be fitted")
    print("KS p-values are optimistic: the parameters were fitted to the same data (and ties, as in whole days,")
    print("make them more so). Rank by AIC; use D and the QQ plots to see where and how much a fit departs.")
    if plots:
        print(f"QQ plots ({len(plots)}) written {where}: {plot_dir}")
    return EXIT_OK


def cmd_arrivals(args: argparse.Namespace) -> int:
    from sim.outputs.calibration_figures import arrivals_plot
    from sim.scenario.calibration import (
        CalibrationError,
        CalibrationWarning,
        fit_arrivals,
        format_arrivals,
        read_csv,
        safe_stem,
    )

    csv = Path(args.file)
    df, locate = read_csv(csv)
    df = df.dropna(how="all")  # blank lines hold no month; the index keeps the line numbers
    if args.start_date:
        try:
            dt.date.fromisoformat(args.start_date)
        except ValueError:
            raise CalibrationError(f"--start-date: '{args.start_date}' is not a date like 2023-04-01") from None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CalibrationWarning)
        try:
            fit = fit_arrivals(
                df, args.date_column, args.count_column, args.by, args.start_date, locate=locate, source=str(csv)
            )
        except CalibrationError as exc:
            hint = None if args.by else by_hint(df, args.date_column, args.count_column)
            if hint is None:
                raise
            raise CalibrationError(f"{exc}; {hint}") from None
    for w in caught:
        err(f"warning: {csv}: {w.message}")
    print(f"{csv}: {format_arrivals(fit)}")
    print()
    print(fit.yaml(args.case_type))
    if args.plot:
        path = arrivals_plot(fit, Path(args.plot) / f"{safe_stem(csv.stem)}-arrivals.png")
        print(f"\nobserved and fitted counts plotted in {path}")
    return EXIT_OK


def by_hint(df: pd.DataFrame, date_column: str, count_column: str) -> str | None:
    """When a month has several rows (one per region, say), the columns that tell them apart, as ``--by``."""
    if date_column not in df.columns or not df[date_column].duplicated().any():
        return None
    apart = [
        str(c) for c in df.columns if c not in (date_column, count_column) and not df.duplicated([date_column, c]).any()
    ]
    if not apart:  # the fitting's own message (one count per month) says it all
        return None
    columns = " or ".join(f"'{c}'" for c in apart)
    options = " or ".join(f"--by {c}" for c in apart)
    return f"each month has several rows, told apart by column {columns}: give {options} (it also estimates shares)"


def cmd_model(args: argparse.Namespace) -> int:
    from sim.experiment.model_calibration.fit import CalibrationModelError, calibrate_model
    from sim.experiment.model_calibration.targets import TargetsError, load_targets
    from sim.scenario.loading import load_scenario

    loaded = load_scenario(args.scenario)
    try:
        targets = load_targets(args.targets, loaded)
    except TargetsError as exc:
        err(f"error: the targets file has problems (file:line: key: message):\n{exc}")
        return EXIT_USER_ERROR
    out = out_dir(args, f"calibration-{loaded.scenario.name}")
    fitted = sum(targets.fitted)
    err(
        f"fitting {len(targets.spec.parameters)} parameters to {fitted} targets "
        f"({len(targets.fitted) - fitted} out-of-sample checks); at most {args.max_evaluations} runs of "
        f"{args.replications} replications, then {len(targets.spec.parameters)} for the sensitivity matrix"
    )
    try:
        with experiment_folder(args, out) as executor:
            result = calibrate_model(
                loaded,
                targets,
                out,
                replications=args.replications,
                seed=args.seed,
                executor=executor,
                max_evaluations=args.max_evaluations,
                keep_runs=args.keep_runs,
                argv=command_line(args),
                log=err,
                model=args.model,
            )
    except CalibrationModelError as exc:
        err(f"error: {exc}")
        return EXIT_USER_ERROR
    print(format_result(result))
    return EXIT_OK


def format_result(result: CalibrationResult) -> str:
    """What a person reads first: the objective, each parameter with its verdict, every target's error."""
    fit, verdict = result.fit, result.identifiability
    parameters, table = result.tables["parameters.csv"], result.tables["fit.csv"]
    lines = [
        f"objective {fit.start.objective:.4g} at the start, {fit.best.objective:.4g} at the fit "
        f"({fit.search_evaluations} runs; {fit.stop_reason})",
        "",
        "parameter: start -> fit [bounds]: identifiability",
    ]
    for r in parameters.itertuples():
        lines.append(f"  {r.parameter}: {r.start:.4g} -> {r.fitted:.4g} [{r.lower:g}, {r.upper:g}]: {r.verdict}")
    values = ", ".join(f"{v:.3g}" for v in verdict.singular_values)
    lines += [
        f"singular values {values}; condition number {verdict.condition_number:.3g}; weakest direction "
        f"{verdict.describe_weakest()}",
        "",
        "target (date): published, model at the start -> at the fit (relative error at the fit)",
    ]
    for r in table.itertuples():
        kind = "fitted" if r.fitted else "out of sample"
        lines.append(
            f"  {r.indicator} ({r.date}, {kind}): {r.published:.4g}, {r.model_start:.4g} -> {r.model_fit:.4g} "
            f"({r.relative_error_fit:+.1%})"
        )
    lines += ["", *format_plausibility(result), "", f"fitted scenario: {result.fitted_scenario}"]
    lines.append(f"tables: {result.out}")
    return "\n".join(lines)


def format_plausibility(result: CalibrationResult) -> list[str]:
    """How many runs the fitted targets cannot rule out, and the range they leave each out-of-sample check."""
    plausible, ranges = result.tables["plausibility.csv"], result.tables["check_ranges.csv"]
    kept = int((~plausible["ruled_out"]).sum())
    lines = [f"runs the fitted targets cannot rule out (plausibility.csv): {kept} of {len(plausible)}"]
    if kept and len(ranges):
        lines.append("out-of-sample check (date): published; the fit; the range over those runs (check_ranges.csv)")
        lines += [
            f"  {r.indicator} ({r.date}): {r.published:.4g}; {r.model_best:.4g}; {r.model_low:.4g} to "
            f"{r.model_high:.4g}"
            for r in ranges.itertuples()
        ]
    return lines


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "calibrate",
        help="fit duration distributions or demand to data, or the model to published targets",
        description="Fit a scenario's inputs to an analyst's data (durations, arrivals: the YAML block to paste is "
        "printed) or its free parameters to published targets by simulation (model). See docs/calibration.md.",
    )
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)

    d = kinds.add_parser(
        "durations",
        help="fit exponential, gamma, lognormal, Weibull and empirical distributions to durations; rank by AIC",
        description="Fit distributions to the durations in one column of a CSV (complete cases only: durations of "
        "open cases are unknown, see docs/calibration.md) and print the best as scenario YAML.",
    )
    d.add_argument("file", metavar="FILE.csv", help="a CSV file with a header row, one duration per row")
    d.add_argument("--column", required=True, metavar="NAME", help="column holding the durations")
    d.add_argument("--by", default=None, metavar="GROUP", help="fit each value of this column separately")
    d.add_argument(
        "--plot", default=None, metavar="DIR", help="write QQ plots here (default: new results/calibration-FILE-TIME/)"
    )
    d.add_argument("--no-plot", action="store_true", help="draw no QQ plots")
    d.add_argument("--key", default="duration_days", help="key of the printed YAML line (default duration_days)")
    d.add_argument(
        "--dist",
        default=None,
        metavar="NAME",
        help="print this candidate's block instead of the AIC winner (exponential, gamma, lognormal, weibull, "
        "empirical)",
    )
    d.set_defaults(func=cmd_durations)

    a = kinds.add_parser(
        "arrivals",
        help="fit yearly volume, trend and monthly seasonality to monthly counts; print a demand block",
        description="Fit a Poisson log-linear model, log(count) = a + b*years + month effect, to monthly counts "
        "and print the demand block the scenario takes.",
    )
    a.add_argument(
        "file", metavar="FILE.csv", help="a CSV file with one count per month (per month and region with --by)"
    )
    a.add_argument("--date-column", default="month", metavar="NAME", help="month column (default month)")
    a.add_argument("--count-column", default="count", metavar="NAME", help="count column (default count)")
    a.add_argument("--by", default=None, metavar="REGION", help="region column: also estimate region_shares")
    a.add_argument(
        "--start-date", default=None, metavar="DATE", help="date cases_per_year applies at (default: first month)"
    )
    a.add_argument("--case-type", default=None, choices=CASE_TYPES, help="case type to name in the printed block")
    a.add_argument("--plot", default=None, metavar="DIR", help="also plot observed and fitted counts into DIR")
    a.set_defaults(func=cmd_arrivals)

    m = kinds.add_parser(
        "model",
        help="fit a scenario's free parameters to published targets by simulation; say which the targets pin",
        description="Fit the free parameters a targets file declares (with bounds) to its fitted targets by "
        "Nelder-Mead on common random numbers, then assess identifiability from a sensitivity matrix at the fit. "
        "Targets after fit_until, or marked fitted: false, are reported as out-of-sample checks, never fitted. "
        "See docs/calibration.md.",
    )
    m.add_argument("scenario", metavar="SCENARIO", help="the scenario whose free parameters are fitted")
    m.add_argument(
        "targets", metavar="TARGETS.yaml", help="the targets file: free parameters with bounds, and dated targets"
    )
    m.add_argument(
        "--max-evaluations",
        type=positive_int,
        default=40,
        metavar="N",
        help="runs the search may make, the start included (default 40); the sensitivity matrix adds one per parameter",
    )
    m.add_argument("--keep-runs", action="store_true", help="keep every evaluation's per-replication tables (large)")
    add_replications(m, default=2)
    add_experiment_options(m, out="results/calibration-SCENARIO-...", replications=False)
    m.set_defaults(func=cmd_model)
