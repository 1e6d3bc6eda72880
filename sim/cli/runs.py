"""``runs list | show ID | query SQL | add DIR | forget ID``: the store of every run (:mod:`sim.experiment.run_store`).

The commands that write results register their folder in the store when they finish
(:func:`sim.cli.common.register_finished`); these commands read it, register a folder by hand and drop a record.
Every one takes ``--runs-db PATH`` (default ``$FJSIM_RUNS_DB``, else ``results/runs.duckdb`` here). A problem (an
unknown id, bad SQL, a statement that writes, a file that is not a run store) is one line and exit 2.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from sim.cli.common import EXIT_OK, UserError, add_runs_db, err, folder, invocation, positive_int
from sim.outputs.paths import shown_path

CELL_CHARACTERS = 60
"""A cell wider than this is cut in the middle (an ellipsis) in a printed table; --csv writes it whole."""
MISSING = "MISSING"


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "runs",
        help="list, show and query the store of every run, comparison, sweep and back-cast",
        description="The run store: every command that writes results registers its folder in a DuckDB database "
        "(default results/runs.duckdb; FJSIM_RUNS_DB or --runs-db names another) with its manifest, scenarios, what "
        "each option changed, seeds, indicators with their 95% intervals and the paths of its Parquet tables. "
        "A record keeps its figures when its folder is deleted; list and show mark such a folder missing.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    a = actions.add_parser(
        "list",
        help="one line per registered run, newest first",
        description="One line per registered run, newest first: id, kind, start, scenarios, the public law headline "
        "figures with their 95% intervals (of the base, or the only scenario), and the folder (MISSING if deleted).",
    )
    add_runs_db(a)
    a.set_defaults(func=cmd_list)

    a = actions.add_parser(
        "show",
        help="everything stored about one run",
        description="Everything stored about one run: when, where, how it was made, its scenarios with their hashes "
        "and seeds, what each option changed, its headline figures and differences, and its Parquet tables.",
    )
    a.add_argument("run_id", type=positive_int, metavar="ID", help="the run's id (runs list shows them)")
    a.add_argument("--manifest", action="store_true", help="also print the stored manifest.json")
    add_runs_db(a)
    a.set_defaults(func=cmd_show)

    a = actions.add_parser(
        "query",
        help="run one read-only SQL SELECT on the store and print the result",
        description="Run one SQL SELECT on the store (read-only: a statement that writes is refused) and print the "
        "result as a table. The tables: runs, scenarios, changes, indicators, differences, parquet_files "
        "(docs/workbench.md describes them; DESCRIBE TABLE shows one's columns); path_exists(path) says whether "
        "a stored path is still there.",
    )
    a.add_argument("sql", metavar="SQL", help='the query, e.g. "SELECT run_id, kind, folder FROM runs"')
    a.add_argument("--csv", default=None, metavar="FILE", help="write the whole result to FILE as CSV (- for stdout)")
    add_runs_db(a)
    a.set_defaults(func=cmd_query)

    a = actions.add_parser(
        "add",
        help="register an existing results folder",
        description="Register a results folder of this tool (its manifest, scenarios, figures and tables), for a "
        "run made before the store existed or one whose registration failed. A folder registered before has its "
        "record replaced, under the same id.",
    )
    a.add_argument("directory", type=folder, metavar="DIR", help="the results folder")
    a.add_argument(
        "--kind",
        choices=("run", "compare", "options", "sweep", "backcast", "validation", "calibrate"),
        default=None,
        help="the command that made it (default: read from the folder)",
    )
    add_runs_db(a)
    a.set_defaults(func=cmd_add)

    a = actions.add_parser(
        "forget",
        help="drop a run's record from the store (never its files)",
        description="Drop a run's record from the store. Its folder and files are left as they are.",
    )
    a.add_argument("run_id", type=positive_int, metavar="ID", help="the run's id (runs list shows them)")
    add_runs_db(a)
    a.set_defaults(func=cmd_forget)


# ---------------------------------------------------------------------------------------------- printing
def cell(value: Any) -> str:
    """One value as printed in a table: numbers to four significant figures, times to the second, long text cut."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if hasattr(value, "strftime"):
        if str(value) == "NaT":
            return ""
        midnight = not any(getattr(value, part, 0) for part in ("hour", "minute", "second", "microsecond"))
        return value.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M:%S")  # a date is stored as a midnight
    text = " ".join(str(value).split())
    if len(text) <= CELL_CHARACTERS:
        return text
    head = (CELL_CHARACTERS - 1) // 2  # cut in the middle: a path's file name is at its end
    return text[:head] + "…" + text[len(text) - (CELL_CHARACTERS - 1 - head) :]


def table_lines(frame) -> list[str]:
    """A data frame as aligned text lines, a header first."""
    if frame.empty:
        return ["(no rows)"]
    rows = [[str(c) for c in frame.columns]] + [[cell(v) for v in row] for row in frame.itertuples(index=False)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(frame.columns))]
    return ["  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip() for row in rows]


def with_interval(mean: float, low: float, high: float, share: bool) -> str:
    if mean is None or math.isnan(mean):
        return ""
    if share:
        interval = "" if math.isnan(low) else f" ({low:.0%}-{high:.0%})"
        return f"{mean:.0%}{interval}"
    interval = "" if math.isnan(low) else f" ({low:.1f}-{high:.1f})"
    return f"{mean:.1f}{interval}"


def store_for(args: argparse.Namespace):
    from sim.experiment.run_store import RunStore

    return RunStore(args.runs_db)


def store_errors(call):
    """Run ``call()``, turning the store's errors into user errors (one line, exit 2)."""
    from sim.experiment.run_store import RunStoreError

    try:
        return call()
    except RunStoreError as exc:
        raise UserError(str(exc)) from None


# ---------------------------------------------------------------------------------------------- commands
def cmd_list(args: argparse.Namespace) -> int:
    import pandas as pd

    from sim.analysis.statistics import is_share
    from sim.experiment.run_store import LIST_FIGURES

    store = store_for(args)
    if not store.exists():
        print(f"no runs registered yet ({store.path} does not exist)")
        return EXIT_OK
    runs = store_errors(store.list_runs)
    shown = pd.DataFrame(
        {
            "id": runs["run_id"],
            "kind": runs["kind"],
            "started (UTC)": runs["started_utc"].dt.strftime("%Y-%m-%d %H:%M"),
            "scenarios": runs["scenarios"],
        }
    )
    for label, indicator, _, _ in LIST_FIGURES:
        share = is_share(indicator)
        shown[label] = [
            with_interval(m, lo, hi, share)
            for m, lo, hi in zip(runs[label], runs[f"{label} ci95_low"], runs[f"{label} ci95_high"], strict=True)
        ]
    shown["folder"] = [
        shown_path(f) + (f"  {MISSING}" if gone else "")
        for f, gone in zip(runs["folder"], runs["missing"], strict=True)
    ]
    for line in table_lines(shown):
        print(line)
    gone = int(runs["missing"].sum())
    print(f"{len(runs)} run{'s' if len(runs) != 1 else ''} in {store.path}")
    if gone:
        print(
            f"{gone} folder{'s are' if gone != 1 else ' is'} {MISSING}: deleted since registered; the figures "
            f"stored for {'them' if gone != 1 else 'it'} stand, the files do not ({invocation()} runs forget ID "
            "drops a record)"
        )
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    shown = store_errors(lambda: store_for(args).show(args.run_id))
    run = shown["runs"].iloc[0]
    print(f"run {run.run_id}: {run.kind}, {run.status}")
    print(
        f"  started     {cell(run.started_utc)} UTC, {cell(run.wall_seconds)} s; registered {cell(run.registered_utc)}"
    )
    print(f"  folder      {run.folder}" + (f"  {MISSING}" if run.missing else ""))
    if run.missing:
        print(
            f"  note        the folder was deleted after it was registered: the figures below are as stored, and "
            f"the {len(shown['parquet_files'])} Parquet paths dangle"
        )
    print(f"  command     {run.command_line}")
    print(f"  code        commit {run.code_commit}{' with uncommitted changes' if run.code_dirty else ''}")
    print(f"  scenario    {run.scenario_name} (resolved sha256 {run.scenario_sha256})")
    print(f"  root seed   {run.root_seed}; {run.replications} replications per scenario")
    scenarios = shown["scenarios"]
    print("scenarios:")
    for row in scenarios.itertuples():
        used = list(row.replications_used) if row.replications_used is not None else []
        print(
            f"  {row.scenario} ({row.role}): {row.name}, sha256 {row.scenario_sha256}, root seed {row.root_seed}, "
            f"replications {cell(', '.join(map(str, used)))}"
        )
        print(f"    scenario file {row.scenario_path}; folder {row.folder}" + (f"  {MISSING}" if row.missing else ""))
    changes = shown["changes"]
    print(f"changes{' (against the base)' if (scenarios.role != 'run').any() else ' (its dated policies)'}:")
    for line in table_lines(changes.drop(columns=["run_id"])):
        print(f"  {line}")
    _show_figures(args.run_id, shown)
    files = shown["parquet_files"]
    present = len(files) - int(files["missing"].sum())
    names = ", ".join(sorted(files["table_name"].unique())) or "none"
    print(f"parquet tables: {len(files)} files ({names}), {present} present")
    if args.manifest:
        print("manifest:")
        print(json.dumps(json.loads(run.manifest), indent=2))
    return EXIT_OK


def _show_figures(run_id: int, shown) -> None:
    """The headline indicators and the headline differences; how to query the rest."""
    from sim.experiment.run_store import LIST_FIGURES

    indicators = shown["indicators"]
    listed = {(i, b, g) for _, i, b, g in LIST_FIGURES}
    keys = zip(indicators.indicator, indicators.breakdown, indicators.group_name, strict=True)
    flags = indicators["headline"].astype("boolean").fillna(False).tolist()  # a missing flag is not a headline
    chosen = [flag or key in listed for flag, key in zip(flags, keys, strict=True)]
    columns = ["scenario", "indicator", "group_name", "mean", "ci95_low", "ci95_high", "replications", "rough"]
    print(f"headline indicators ({len(indicators)} stored in all):")
    for line in table_lines(indicators.loc[chosen, columns]):
        print(f"  {line}")
    differences = shown["differences"]
    if len(differences):
        columns = ["scenario", "indicator", "group_name", "difference_mean", "difference_ci95_low"]
        columns += ["difference_ci95_high", "p_value", "distinguishable"]
        print(f"headline differences from the base ({len(differences)} stored in all):")
        for line in table_lines(differences.loc[differences["family"] == "headline", columns]):
            print(f"  {line}")
    print(f'  the rest: {invocation()} runs query "SELECT * FROM indicators WHERE run_id = {run_id}"')


def cmd_query(args: argparse.Namespace) -> int:
    result, notes = store_errors(lambda: store_for(args).query(args.sql))
    if args.csv == "-":
        print(result.to_csv(index=False), end="")
    elif args.csv:
        from sim.experiment.owned_files import write_atomically

        write_atomically(Path(args.csv), lambda tmp: result.to_csv(tmp, index=False))
        print(f"{len(result)} row{'s' if len(result) != 1 else ''} written to {args.csv}")
    else:
        for line in table_lines(result):
            print(line)
    for note in notes:
        err(note)
    return EXIT_OK


def cmd_add(args: argparse.Namespace) -> int:
    store = store_for(args)
    run_id, replaced, record = store_errors(lambda: store.register(args.directory, args.kind))
    for note in record.notes:
        err(f"note: {note}")
    what = f"updated run {run_id} (the folder was registered before)" if replaced else f"registered as run {run_id}"
    print(f"{args.directory}: {what} ({record.run['kind']}) in {store.path}")
    return EXIT_OK


def cmd_forget(args: argparse.Namespace) -> int:
    store = store_for(args)
    folder_path = store_errors(lambda: store.forget(args.run_id))
    print(f"forgot run {args.run_id}; its folder {folder_path} is left as it was")
    return EXIT_OK
