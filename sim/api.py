"""The Python API for notebooks: load a scenario, change it, run it, look at the results, compare options.

::

    from sim import api

    base = api.load("tests/scenarios/small.yaml")
    option = api.with_changes(base, {"regions.*.cafcass.short_term_advisers": 4})
    results = api.run(base, replications=3)             # a temporary directory unless out= is given
    results.summary                                     # mean and 95% CI of every indicator
    results.headline()                                  # weeks to disposal per case type, each measure defined
    results.within_case_type(by="domestic_abuse")       # an indicator by case type x domestic abuse
    results.drift                                       # do the headline series trend over the run?
    results.indicators()                                # every indicator (sim.analysis.indicators), summarised
    results.plot_disposal_ecdf()                        # a matplotlib Figure
    print(results.journey(results.children["child_id"].iloc[0]))
    comparison = api.compare(base, option, replications=3)
    comparison.table                                    # paired differences (option - base) with 95% CIs

Runs go through :func:`sim.experiment.replications.run_experiment` (the code behind ``python run_sim.py run``), so a
notebook run writes the same files, manifest and seeds as the command line. :func:`open_results` opens
the directory of an earlier run. ``docs/analysis.md`` is a worked example.

The functions that read a results directory (:func:`read_table`, :func:`replication_frames`, :func:`connect`,
:func:`check_results_dir`, :func:`replications_in`, :func:`read_manifest`) are those of
:mod:`sim.experiment.run_tables` and :mod:`sim.experiment.results_folder`, exposed here for notebooks. Each table
is stored once per replication; :attr:`Results.children` reads every replication's rows into one DataFrame, which
for a national run is millions of rows: :meth:`Results.query` aggregates with SQL (DuckDB) instead, reading the
Parquet files without holding them.

Why this module is long: it is the one import a notebook needs, so it gathers the whole run-and-read cycle (load,
change, run, compare, read) behind short functions, each a few lines over the layers that do the work.
"""

from __future__ import annotations

import copy
import functools
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiment.results_folder import TABLES, ResultsDirError, read_manifest  # the readers, for notebooks
from sim.experiment.run_tables import check_results_dir, connect, read_table, replication_frames, replications_in
from sim.scenario.loading import LoadedScenario
from sim.scenario.yaml_file import ScenarioError

__all__ = [
    "TABLES",
    "Comparison",
    "LoadedScenario",
    "Results",
    "ResultsDirError",
    "ScenarioError",
    "check_results_dir",
    "compare",
    "connect",
    "load",
    "open_results",
    "read_manifest",
    "read_table",
    "replication_frames",
    "replications_in",
    "run",
    "with_changes",
]


# ---------------------------------------------------------------------------------------------- scenarios
def load(path: str | Path) -> LoadedScenario:
    """Load and validate a scenario file (raises ScenarioError naming file, line and key of every problem)."""
    from sim.scenario.loading import load_scenario

    return load_scenario(path)


def _fill_missing(data: dict, resolved: dict, dotted: str) -> None:
    """Copy the resolved (defaulted) blocks a dotted key needs into ``data`` when the file left them out."""
    node, full = data, resolved
    for part in dotted.split(".")[:-1]:
        if part == "*" or not isinstance(full, dict) or part not in full:
            return
        if part not in node:
            node[part] = copy.deepcopy(full[part])
            return
        node, full = node[part], full[part]


def with_changes(loaded: LoadedScenario, changes: Mapping[str, Any], name: str | None = None) -> LoadedScenario:
    """A copy of a scenario with keys changed, validated again.

    ``changes`` maps dotted key paths (as in a policy's ``set``; ``*`` names every key of a mapping) to new
    values, e.g. ``{"regions.*.cafcass.long_term_advisers": 10, "private_law.section7.share": 0.5}``. A key
    that does not exist, or a value the schema refuses, raises ScenarioError. ``name`` renames the scenario
    (default: the original name with ``_changed``), so results and comparisons can tell the two apart.
    """
    from sim.scenario.loading import scenario_from_dict, set_path
    from sim.scenario.yaml_file import Problem, ScenarioError

    data = copy.deepcopy(loaded.source.data)
    data.pop("extends", None)
    resolved = loaded.scenario.model_dump(mode="json", by_alias=True)
    problems = []
    for dotted, value in changes.items():
        _fill_missing(data, resolved, dotted)
        problem = set_path(data, dotted, value, scale=False)
        if problem:
            problems.append(Problem("with_changes", None, dotted, problem))
    if problems:
        raise ScenarioError(problems)
    data["name"] = name or f"{loaded.scenario.name}_changed"
    described = ", ".join(f"{k}={v!r}" for k, v in changes.items())
    return scenario_from_dict(data, name=f"{loaded.path} with {described}")


# ---------------------------------------------------------------------------------------------- results
@dataclass
class Results:
    """A finished run: its tables as DataFrames (read when first used), summary, manifest, plots and report."""

    out: Path
    run_result: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.out = check_results_dir(self.out)

    # tables
    @functools.cached_property
    def children(self) -> pd.DataFrame:
        """A row per child per case (every replication, held in memory: for a big run see :meth:`query`);
        see sim/model/records.py for the columns."""
        return read_table(self.out, "children")

    def query(self, sql: str, parameters: list[Any] | None = None) -> pd.DataFrame:
        """A DuckDB query of the run's tables, which it names ``children``, ``stages`` and ``timeline`` (every
        replication, each row once), e.g. ``results.query("SELECT case_type, count(*) FROM children GROUP BY 1")``:
        the rows are read from the Parquet files as the query needs them, not held."""
        with connect(self.out) as run:
            return run.frame(sql, parameters)

    @functools.cached_property
    def stages(self) -> pd.DataFrame:
        """A row per stage of a case: requested, started, ended, and the agency."""
        return read_table(self.out, "stages")

    @functools.cached_property
    def timeline(self) -> pd.DataFrame:
        """Snapshots of open cases, unallocated queues and utilisation by region, over time."""
        return read_table(self.out, "timeline")

    @functools.cached_property
    def summary(self) -> pd.DataFrame:
        """summary.csv: mean, 95% CI and sd across replications of every indicator of sim.analysis.indicators."""
        return pd.read_csv(self.out / "summary.csv")

    @functools.cached_property
    def drift(self) -> pd.DataFrame:
        """drift.csv: each headline series tested for a trend over the results period (sim.analysis.drift)."""
        return pd.read_csv(self.out / "drift.csv")

    def headline(self) -> pd.DataFrame:
        """Mean weeks to disposal per case type by both measures, each with its definition (what a run shows first)."""
        from sim.analysis.statistics import headline_table

        return headline_table(self.summary)

    def within_case_type(self, indicator: str = "time_to_disposal_weeks_mean", by: str = "domestic_abuse"):
        """One indicator by case type and ``by`` (domestic_abuse, region or age_band), with 95% intervals."""
        from sim.analysis.statistics import within_case_type

        return within_case_type(self.summary, indicator, by)

    @functools.cached_property
    def manifest(self) -> dict[str, Any]:
        return read_manifest(self.out)

    @property
    def period(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """(results start, run end)."""
        from sim.analysis.periods import infer_period, run_period

        return run_period(self.manifest) if self.manifest else infer_period(self.children)

    # indicators
    def indicators(self, per_replication: bool = False, by_month: bool = False) -> pd.DataFrame:
        """Every indicator (sim.analysis.indicators), from the tables: summarised (mean, 95% CI), or per replication.

        The same indicators as summary.csv but the yearly series of the drift test (:attr:`drift`), and with
        ``by_month`` child-days in proceedings per calendar month.
        """
        from sim.analysis.indicators import indicators
        from sim.analysis.statistics import summarise

        rows = indicators(self.children, self.stages, self.period, timeline=self.timeline, by_month=by_month)
        return rows if per_replication else summarise(rows)

    def attribution(
        self, by: str | None = "case_type", status: str = "disposed", split_court_wait: bool = False
    ) -> pd.DataFrame:
        """Where children's days went, by agency and waiting/active (sim.analysis.attribution.delay_attribution);
        ``split_court_wait`` splits the court's wait into notice and waiting for a listing."""
        from sim.analysis.attribution import delay_attribution

        return delay_attribution(self.children, by=by, status=status, split_court_wait=split_court_wait)

    def journey(self, child_id: int, replication: int | None = None) -> str:
        """One child's timeline in plain words (as ``python run_sim.py journey``)."""
        from sim.outputs.journey import describe

        return describe(self.out, child_id, replication)

    def report(self) -> Path:
        """Write DIR/report.html and return its path."""
        from sim.outputs.report import write_report

        return write_report(self.out)

    def ocel(self, replication: int | None = None, max_children: int | None = None) -> Path:
        """Write the journey log (OCEL 2.0 JSON) of one replication and return its path."""
        from sim.outputs.ocel import export

        return export(self.out, replication, max_children)

    # plots: each returns a matplotlib Figure (sim.outputs.figures.save writes PNG and SVG), drawn from what DuckDB
    # aggregates of the run's tables (as the report draws them), so a national run's plots need no child rows in memory
    def _aggregate(self, what: str, *args: Any) -> Any:
        from sim.experiment import run_aggregates

        with connect(self.out) as run:
            return getattr(run_aggregates, what)(run, *args)

    def plot_disposal_ecdf(self, by: str = "case_type"):
        return _figures().disposal_ecdf(self._aggregate("disposal_spreads", by), by=by)

    def plot_disposal_violin(self, by: str = "case_type"):
        return _figures().disposal_violin(self._aggregate("disposal_spreads", by), by=by)

    def plot_open_caseload(self):
        return _figures().open_caseload_fan(self.timeline, results_start=self.period[0])

    def plot_cafcass_queue(self):
        return _figures().cafcass_queue(self.timeline, results_start=self.period[0])

    def plot_utilisation(self):
        return _figures().utilisation(self.timeline, results_start=self.period[0])

    def plot_delay_attribution(self, by: str = "case_type"):
        return _figures().delay_attribution_bars(by=by, table=self._aggregate("delay_attribution", by))

    def plot_child_days(self):
        return _figures().child_days_fan(monthly=self._aggregate("child_days_by_month", self.period))


def _figures() -> Any:
    """sim.outputs.figures, imported when a plot is asked for (it brings matplotlib)."""
    from sim.outputs import figures

    return figures


def open_results(directory: str | Path) -> Results:
    """The results of an earlier run (the --out directory of ``run``, or ``api.run(..., out=...)``)."""
    return Results(Path(directory))


def _executor(workers: int | None, scheduler: str | None = None):
    from sim.experiment.executors import make_executor

    return make_executor(workers, scheduler)


def _loaded(scenario: LoadedScenario | str | Path) -> LoadedScenario:
    return scenario if isinstance(scenario, LoadedScenario) else load(scenario)


def _model(asked: str | None, loaded: LoadedScenario | list[LoadedScenario]) -> str:
    """The model a run or a comparison uses (:func:`sim.experiment.replication_parts.choose_model`), with a warning
    when a policy keeps it event by event."""
    from sim.experiment.replication_parts import choose_model

    model, note = choose_model(asked, loaded)
    if note:
        warnings.warn(note, stacklevel=3)
    return model


def run(
    scenario: LoadedScenario | str | Path,
    replications: int = 5,
    seed: int | None = None,
    out: str | Path | None = None,
    workers: int | None = 1,
    report: bool = False,
    force: bool = False,
    model: str | None = None,
) -> Results:
    """Run replications of a scenario (a LoadedScenario or a file) and return its :class:`Results`.

    ``out`` is the results directory (default: a new temporary directory, printed in ``results.out``);
    ``force`` replaces an earlier run there. ``seed`` is the root seed (default the scenario's). ``workers``
    is the number of processes (1 runs here; None uses every core). ``report`` also writes report.html.
    ``model`` is how each replication is simulated, as ``run --model`` (default: the agenda where it can follow
    the scenario's policies, else the event model, with a warning).
    """
    from sim.experiment.replications import run_experiment
    from sim.experiment.results_folder import output_folder

    loaded = _loaded(scenario)
    model = _model(model, loaded)
    directory = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix=f"fjsim-{loaded.scenario.name}-"))
    executor = _executor(workers)
    try:
        with output_folder(directory, force=force, command=["sim.api.run"]):  # locked; --force as on the command line
            result = run_experiment(
                loaded,
                directory,
                replications=replications,
                seed=seed,
                executor=executor,
                argv=["sim.api.run"],
                model=model,
            )
    finally:
        executor.close()
    if result.failures:
        failed = ", ".join(f"{f.replication}: {f.error}" for f in result.failures)
        raise RuntimeError(f"replications failed ({failed}); details in {directory / 'manifest.json'}")
    results = Results(directory, run_result=result)
    if report:
        results.report()
    return results


# ---------------------------------------------------------------------------------------------- comparisons
@dataclass
class Comparison:
    """A base scenario and options run on common random numbers, with paired differences."""

    out: Path
    table: pd.DataFrame
    runs: dict[str, Results]

    @property
    def base(self) -> str:
        return next(iter(self.runs))

    def differences(self, indicator: str | None = None, breakdown: str = "all", group: str = "all") -> pd.DataFrame:
        """Rows of compare.csv (optionally one indicator), as the forest plot takes them."""
        table = self.table
        if indicator is not None:
            table = table[table["indicator"] == indicator]
        table = table[(table["breakdown"] == breakdown) & (table["group"] == group)]
        return table.rename(
            columns={
                "difference_mean": "difference",
                "difference_ci95_low": "ci95_low",
                "difference_ci95_high": "ci95_high",
            }
        )

    def plot_ecdf(self, by: str = "case_type"):
        return _figures().disposal_ecdf(
            {name: r._aggregate("disposal_spreads", by) for name, r in self.runs.items()}, by=by
        )

    def plot_forest(self, indicators: list[str] | None = None):
        from sim.outputs.experiment_figures import forest

        wanted = indicators or [
            "time_to_disposal_weeks_mean",
            "time_to_disposal_weeks_median",
            "time_to_disposal_weeks_p90",
            "disposed_within_26_weeks_share",
        ]
        table = self.differences()
        table = table[table["indicator"].isin(wanted)]
        return forest(table, title="Difference from the base scenario (option minus base), all children")


def compare(
    base: LoadedScenario | str | Path,
    *options: LoadedScenario | str | Path,
    replications: int = 5,
    seed: int | None = None,
    out: str | Path | None = None,
    workers: int | None = 1,
    correction: str = "none",
    model: str | None = None,
) -> Comparison:
    """Run a base and one or more options on the same seeds (sim.experiment.compare) and return the paired differences.

    ``correction`` (``none``, ``holm`` or ``bonferroni``) adjusts the p-values for multiple comparisons within
    each family of rows (``family``: the headline indicators, the rest). Scenarios need different names
    (``with_changes`` gives a new one). The comparison's figures are written into ``out``
    as by ``python run_sim.py compare`` (:func:`sim.outputs.experiment_figures.write_comparison_figures`).
    ``model``: as :func:`run`, one for every scenario.
    """
    from sim.experiment import compare as comparing
    from sim.outputs.experiment_figures import write_comparison_figures

    loaded = [_loaded(base), *[_loaded(o) for o in options]]
    if not options:
        raise ValueError("compare needs at least one option besides the base")
    model = _model(model, loaded)
    directory = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="fjsim-compare-"))
    directory.mkdir(parents=True, exist_ok=True)
    executor = _executor(workers)
    try:
        table, runs = comparing.compare(
            loaded,
            directory,
            replications=replications,
            seed=seed,
            executor=executor,
            argv=["sim.api.compare"],
            correction=correction,
            model=model,
        )
    finally:
        executor.close()
    write_comparison_figures(directory, table, comparing.disposal_spreads(runs))
    return Comparison(directory, table, {name: Results(run.out, run_result=run) for name, run in runs.items()})
