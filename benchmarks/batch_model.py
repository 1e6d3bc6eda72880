"""The day-by-day agenda (``sim/model/agenda``, issue 14) against the present model, on the national mix.

    python benchmarks/batch_model.py [--scenario PATH] [--run-years 1] [--warm-up-years 2] [--seed N] [--rounds R]
        [--seeds N] [--design both|batch|present] [--records] [--check-routes N] [--profile]

The agenda began here as a prototype (a single file, and before it ``batch_private_law.py`` for private law alone);
it now lives in the package, and this benchmark keeps what compares it with the present model:

- **speed**: both designs on the same scenario and seed, interleaved in one process (``--rounds``), the present
  model as installed (compiled by mypyc where it was built), with or without the agenda's tables (``--records``);
- **agreement**: the headline figures of both designs over the same seeds, the agenda's mean held to the present
  model's 95% interval (``--seeds N``);
- **routes**: N cases of an agenda run replayed through ``sim/model/pathways`` from their own keyed draws, each route
  compared with the one the agenda fixed, to the bit (``--check-routes N``; :func:`check_routes`).

**Measured** in ``docs/performance.md``. The last line printed is one JSON object: ``{"designs": [{design, cases,
cpu_s, cases_per_cpu_second, by_case_type}, ...], "ratio_batch_to_present": ...}``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import math
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from array import array
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.model.agenda.operations import (  # noqa: E402
    ALLOCATION,
    COURT_WORK,
    DISPOSE,
    DIVERT,
    DOMESTIC,
    FIRST_DISPOSAL,
    HEARING,
    ISSUE,
    PRIVATE,
    PUBLIC,
    RELEASE,
    REVIEW,
    TEAM_WORK,
)
from sim.model.agenda.replication import AgendaReplication  # noqa: E402
from sim.model.agenda.tapes import HOURS, NOTICE  # noqa: E402
from sim.model.entities import Case  # noqa: E402
from sim.model.parameters import Parameters  # noqa: E402
from sim.model.random_streams import CAPS, COUNT_PLACES, PURPOSE, Draws  # noqa: E402
from sim.scenario.loading import LoadedScenario, load_scenario  # noqa: E402
from sim.scenario.schema import Scenario  # noqa: E402
from sim.vocabulary import CASE_TYPES, DAYS_PER_YEAR, STAGES, WEEK_DAYS  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.yaml"
TARGET_CASES_PER_CPU_SECOND = 33_000


HEADLINE_SUMS = (
    "disposed",
    "weeks",
    "weeks_to_first_disposal",
    "within_26_weeks",
    "hearings",
    "adjournments",
    "vacated",
    "withdrawn",
    "open_at_end",
)
"""What the headline figures add up, by case type, so that cases can be counted in as their rows are recycled."""


def headline_sums(
    case_type, issue, end, first_disposal, diverted, withdrawn, hearings, adjournments, vacated, results_start, end_day
) -> np.ndarray:
    """The sums of :data:`HEADLINE_SUMS` by case type (a row each) over the cases given."""
    out = np.zeros((len(CASE_TYPES), len(HEADLINE_SUMS)))
    for c in range(len(CASE_TYPES)):
        mine = case_type == c
        disposed = mine & ~diverted & ~np.isnan(end) & (end >= results_start) & (end < end_day) & ~np.isnan(issue)
        weeks = (end[disposed] - issue[disposed]) / WEEK_DAYS
        first = (first_disposal[disposed] - issue[disposed]) / WEEK_DAYS
        open_at_end = mine & ~np.isnan(issue) & (issue < end_day) & ~(end < end_day)
        out[c] = (
            disposed.sum(),
            weeks.sum(),
            first.sum(),
            (first <= 26).sum(),
            hearings[disposed].sum(),
            adjournments[disposed].sum(),
            vacated[disposed].sum(),
            withdrawn[disposed].sum(),
            open_at_end.sum(),
        )
    return out


def headline_from_sums(sums: np.ndarray) -> dict:
    """What both designs are compared on, by case type: of the cases disposed in the results period (issued, not
    diverted), the mean weeks from issue to the order and to the first disposal, the share within 26 weeks, hearings,
    adjournments and vacated hearings per case, the share withdrawn; and the cases open at court at the end."""
    out = {}
    for c, name in enumerate(CASE_TYPES):
        s = dict(zip(HEADLINE_SUMS, sums[c].tolist(), strict=True))
        n = s["disposed"] or math.nan
        out[name] = {
            "disposed": int(s["disposed"]),
            "mean_weeks": round(s["weeks"] / n, 2),
            "mean_weeks_to_first_disposal": round(s["weeks_to_first_disposal"] / n, 2),
            "within_26_weeks": round(s["within_26_weeks"] / n, 4),
            "hearings_per_case": round(s["hearings"] / n, 3),
            "adjournments_per_case": round(s["adjournments"] / n, 3),
            "vacated_per_case": round(s["vacated"] / n, 3),
            "withdrawn_share": round(s["withdrawn"] / n, 4),
            "open_at_end": int(s["open_at_end"]),
        }
    return out


# ---------------------------------------------------------------------------------------------- records


class Headline:
    """The figures both designs are compared on, counted from the agenda's rows: those of cases closed as their rows
    are recycled (``AgendaReplication.count_closed``), then the rows still held (a recycled row's fill counts in
    none of them)."""

    def __init__(self) -> None:
        self.sums = np.zeros((len(CASE_TYPES), len(HEADLINE_SUMS)))
        self.displaced = 0

    def __call__(self, model: AgendaReplication, rows: np.ndarray | slice) -> None:
        self.sums += self._sums(model, rows)
        self.displaced += int(model.displaced[rows].sum())

    @staticmethod
    def _sums(model: AgendaReplication, rows: np.ndarray | slice) -> np.ndarray:
        return headline_sums(
            case_type=model.case_type[rows],
            issue=model.issue[rows],
            end=model.end[rows],
            first_disposal=model.first_disposal[rows],
            diverted=model.diverted[rows],
            withdrawn=model.outcome[rows] == model.withdrawn_outcome,
            hearings=model.hearings[rows],
            adjournments=model.adjournments[rows],
            vacated=model.vacated[rows],
            results_start=model.scenario.results_start_day,
            end_day=model.end_day,
        )

    def figures(self, model: AgendaReplication) -> dict:
        return headline_from_sums(self.sums + self._sums(model, slice(0, model.n)))

    def displaced_found(self, model: AgendaReplication) -> int:
        return self.displaced + int(model.displaced[: model.n].sum())


# ---------------------------------------------------------------------------------------------- routes checked
class RouteReplay:
    """A pathway context that runs ``sim/model/pathways`` on one case without time passing, and writes down each
    step it asks for with the durations it draws: the route the present model would walk, from the case's own
    draws. Hearings are never withdrawn here (that is timing, decided in the day loop)."""

    def __init__(self, scenario: Scenario, params: Parameters) -> None:
        self.scenario = scenario
        self.params = params
        self.steps: list[tuple] = []

    def decisions(self, case: Case) -> Draws:
        return case.draws

    def team(self, kind: str, region: int) -> RouteReplay:
        self._kind = kind
        return self

    def release(self, children: int = 1) -> None:
        self.steps.append(("release", self._kind))

    def hearing(self, case: Case, stage: int, key: str, withdrawal_per_week: float = 0.0, tier_of: str | None = None):
        plan = self.params.hearings[key]
        hours = case.draws.sample(HOURS, plan.duration_hours)
        notice = case.draws.sample(NOTICE, plan.notice_days)
        self.steps.append(("hearing", STAGES[stage], key, tier_of, withdrawal_per_week, hours, notice))
        return False
        yield  # a generator, as the model's step is

    def team_work(self, case: Case, stage: int, kind: str, duration_key: str, keep_slot: bool = False):
        days = case.draws.sample(PURPOSE[duration_key], self.params.durations[duration_key])
        self.steps.append(("work", STAGES[stage], kind, keep_slot, days))
        return
        yield

    def allocation(self, case: Case, stage: int, kind: str):
        self.steps.append(("allocation", STAGES[stage], kind))
        return
        yield

    def active_work(self, case: Case, stage: int, agency: int, duration_key: str):
        days = case.draws.sample(PURPOSE[duration_key], self.params.durations[duration_key])
        self.steps.append(("court_work", STAGES[stage], days))
        return
        yield

    def follow_up(self, case: Case, stage: int, agency: int, duration_key: str) -> None:
        days = case.draws.sample(PURPOSE[duration_key], self.params.durations[duration_key])
        self.steps.append(("review", STAGES[stage], days))

    def issue(self, case: Case) -> None:
        self.steps.append(("issue",))

    def first_disposal(self, case: Case) -> None:
        self.steps.append(("first_disposal",))

    def divert(self, case: Case) -> None:
        self.steps.append(("divert",))

    def dispose(self, case: Case, pathway_name: str, outcome: str | None = None):
        self.steps.append(("dispose",))
        return
        yield


def replayed_route(model: AgendaReplication, row: int) -> list[tuple]:
    """The route ``sim/model/pathways`` gives the case of ``row``, from its own keyed draws."""
    from sim.model.entities import Case, Child
    from sim.model.pathways.domestic_abuse import domestic_abuse
    from sim.model.pathways.pathfinder import pathfinder
    from sim.model.pathways.private_law import private_law
    from sim.model.pathways.public_law import public_law

    row = int(row)
    c, origin, serial, returns = (
        int(x) for x in (model.case_type[row], model.origin[row], model.serial[row], model.returns[row])
    )
    if returns == 0:
        draws = model.streams.draws(origin, c, serial)
    else:
        draws = Draws(array("d"), (model.seed, model.replication, origin, c, serial, returns - 1)).returned()
    children = [Child(0, 0.0, ()) for _ in range(int(model.n_children[row]))]
    case = Case(row, c, int(model.region[row]), 0, bool(model.da[row]), children, 0.0, 0, draws)
    case.entry_stage = int(model.entry[row])
    context = RouteReplay(model.scenario, model.params)
    pathway = {PUBLIC: public_law, PRIVATE: private_law, DOMESTIC: domestic_abuse}[c]
    new_case = case.entry_stage == 0
    if c == PRIVATE and new_case and model.arrival[row] >= model.params.pathfinder_from_day[case.region]:
        pathway = pathfinder
    for _ in pathway(context, case):
        raise AssertionError("the replay never waits")
    return context.steps


def batch_route(model: AgendaReplication, row: int) -> list[tuple]:
    """The route the batch design fixed for ``row`` at its creation, written as :class:`RouteReplay` writes one."""
    names = {ISSUE: "issue", FIRST_DISPOSAL: "first_disposal", DIVERT: "divert", DISPOSE: "dispose"}
    steps: list[tuple] = []
    for pos, op in enumerate(model.route[row].tolist()):
        if op < 0:
            break
        kind, team, keep, hearing, stage = model.ops.keys[op]
        if kind == HEARING:
            _, key, tier_of, withdrawal = hearing
            steps.append(("hearing", stage, key, tier_of, withdrawal, model.value[row, pos], model.notice[row, pos]))
        elif kind == TEAM_WORK:
            steps.append(("work", stage, team, keep, model.value[row, pos]))
        elif kind == ALLOCATION:
            steps.append(("allocation", stage, team))
        elif kind == RELEASE:
            steps.append(("release", team))
        elif kind in (COURT_WORK, REVIEW):
            steps.append(("court_work" if kind == COURT_WORK else "review", stage, model.value[row, pos]))
        else:
            steps.append((names[kind],))
    return steps


def check_routes(model: AgendaReplication, cases: int, seed: int = 7) -> dict:
    """Replay ``cases`` rows drawn at random (and every row past its tape's places for a decision or a hearing, and
    every open case of the starting state) with
    the pathway modules, and compare each with the route the batch design built: the same steps, lists, hazards and
    durations to the bit."""
    assert not model.recycling, "routes are checked on a run that keeps every row (recycling=False)"
    rng = np.random.default_rng(seed)
    n = model.n
    rows = set(rng.choice(n, size=min(cases, n), replace=False).tolist())
    route = model.route[:n]
    is_hearing = (model.ops.a_type[np.maximum(route, 0)] == HEARING) & (route >= 0)
    further = (route == model.h["public_law.further_case_management.hearing"]).sum(axis=1)
    past = is_hearing.sum(axis=1) > CAPS[HOURS]  # the ninth hearing's length is past the tape's places
    past |= further >= COUNT_PLACES  # so is the further case management count's fourth chance
    rows |= set(np.flatnonzero(past)[:cases].tolist())
    rows |= set(np.flatnonzero(model.entry[:n] > 0).tolist())  # every open case of the starting state
    differing: dict[str, int] = {}
    for row in sorted(rows):
        if replayed_route(model, row) != batch_route(model, row):
            name = CASE_TYPES[int(model.case_type[row])]
            differing[name] = differing.get(name, 0) + 1
    kinds = np.bincount(model.case_type[sorted(rows)], minlength=len(CASE_TYPES))
    return {
        "checked": len(rows),
        "past_places": int(min(cases, past.sum())),
        "by_case_type": dict(zip(CASE_TYPES, kinds.tolist(), strict=True)),
        "pathfinder": int(model.pathfinder[sorted(rows)].sum()),
        "open_at_start": int((model.entry[:n] > 0).sum()),
        "differing": differing,
    }


# ---------------------------------------------------------------------------------------------- the two designs
def write_scenario(
    run_years: float | None, warm_up_years: float | None, seed: int, folder: Path, base: Path = BASELINE
) -> Path:
    """The baseline (or ``base``), the years asked for (its own where None; Wales begins Pathfinder on its date, in
    the warm-up of the baseline's own years)."""
    overrides: dict = {
        "extends": str(Path(base).resolve()),
        "name": f"{Path(base).stem}_years",
        "description": "A scenario with the years asked for (benchmarks/batch_model.py).",
        "seed": seed,
    }
    if run_years is not None:
        overrides["run_years"] = run_years
    if warm_up_years is not None:
        overrides["starting_state"] = {"warm_up_days": int(round(warm_up_years * DAYS_PER_YEAR))}
    path = folder / f"{Path(base).stem}_{run_years}y_{warm_up_years}w.yaml"
    path.write_text(yaml.safe_dump(overrides, sort_keys=False))
    return path


def run_batch(loaded: LoadedScenario, seed: int, profile: bool = False, check: int = 0, records: bool = False) -> dict:
    scenario = loaded.scenario
    folder = Path(tempfile.mkdtemp(prefix="batch-model-records-")) if records else None
    gc_was = gc.isenabled()
    gc.disable()
    profiler = cProfile.Profile() if profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    model = AgendaReplication(scenario, seed, folder, recycling=not check, periods=loaded.periods)
    headline = model.count_closed = Headline()
    if profiler:
        profiler.enable()
    model.run()
    if profiler:
        profiler.disable()
    cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - wall
    if gc_was:
        gc.enable()
    result = {
        "design": "batch",
        "cases": model.cases,
        "children": model.run_stats.children_created,
        "cpu_s": round(cpu_s, 3),
        "wall_s": round(wall_s, 3),
        "cases_per_cpu_second": round(model.cases / cpu_s, 1),
        "rows_held": model.n,
        "by_case_type": headline.figures(model),
        "rows_left_behind": model.left_behind(),
        "stats": {**model.tallies, "displaced_found": headline.displaced_found(model)},
    }
    if folder is not None:
        result["records"] = table_sizes(folder)
        shutil.rmtree(folder, ignore_errors=True)
    if check:
        result["routes_checked"] = check_routes(model, check)
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        result["profile"] = out.getvalue()
    return result


MEANS_COMPARED = {
    "children": ("days_in_proceedings", "wait_court_days", "active_cafcass_days", "notice_court_days", "displaced"),
    "stages": ("notice_days",),
}
"""Columns whose means both designs report with their tables: the account of days, notice and the court's moves."""
TIMELINE_MEANS = ("open_cases:public_law", "open_cases:private_law", "open_children", "utilisation:court")
TIMELINE_MEANS += ("work_open:cafcass_long_term", "utilisation:local_authority")
"""Measures of the timeline whose means (over snapshots and regions) both designs report."""


def table_sizes(folder: Path) -> dict:
    """Rows and bytes of the child and stage tables in ``folder`` with the means of :data:`MEANS_COMPARED`, and the
    timeline's rows with the means of :data:`TIMELINE_MEANS`."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out = {}
    for name, columns in MEANS_COMPARED.items():
        path = folder / f"{name}.parquet"
        table = pq.read_table(path, columns=list(columns))
        out[name] = {
            "rows": table.num_rows,
            "bytes": path.stat().st_size,
            "means": {c: pc.mean(table.column(c).cast("float64")).as_py() for c in columns},
        }
    timeline = pq.read_table(folder / "timeline.parquet", columns=["measure", "value"]).to_pandas()
    by_measure = timeline.groupby(timeline["measure"].astype(str))["value"].mean()
    out["timeline"] = {"rows": len(timeline), "means": {m: float(by_measure[m]) for m in TIMELINE_MEANS}}
    return out


def run_present(loaded: LoadedScenario, seed: int) -> dict:
    """The present model on the same scenario, timed as bench_national.py times it (``Replication.run``), its
    tables written; the figures read back from its child table, a row per case."""
    import pyarrow.parquet as pq

    from sim.model.build import model_build
    from sim.model.replication import Replication

    scenario = loaded.scenario
    out = Path(tempfile.mkdtemp(prefix="batch-model-present-"))
    replication = Replication(loaded, 0, out, seed=seed)
    cpu, wall = time.process_time(), time.perf_counter()
    stats = replication.run()
    cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - wall
    columns = ["case_id", "case_type", "status", "arrival_date", "start_date", "end_date", "days_to_first_disposal"]
    columns += ["days_to_disposal", "hearings", "adjournments", "vacated", "outcome", "days_in_proceedings"]
    sizes = table_sizes(out)
    children = pq.read_table(out / "children.parquet", columns=columns).to_pandas()
    table = children.drop_duplicates("case_id")  # a row per child: the case's fields repeat
    shutil.rmtree(out, ignore_errors=True)
    first_day = np.datetime64(scenario.sim_start_date.isoformat())

    def days(column: str) -> np.ndarray:
        return (table[column].to_numpy(dtype="datetime64[s]") - first_day) / np.timedelta64(1, "D")

    status = table["status"].astype(str).to_numpy()
    issued = ~np.isnan(table["days_in_proceedings"].to_numpy(dtype=float))
    issue = np.where(issued, days("start_date"), np.nan)
    codes = {name: i for i, name in enumerate(CASE_TYPES)}
    sums = headline_sums(
        case_type=np.array([codes[c] for c in table["case_type"].astype(str)], dtype=np.int64),
        issue=issue,
        end=np.where(  # the model's own days to disposal: dates are stored to the hour
            status == "disposed",
            issue + table["days_to_disposal"].to_numpy(dtype=float),
            np.where(status == "diverted", days("end_date"), np.nan),
        ),
        first_disposal=issue + table["days_to_first_disposal"].to_numpy(dtype=float),
        diverted=status == "diverted",
        withdrawn=table["outcome"].astype(str).to_numpy() == "withdrawn",
        hearings=table["hearings"].to_numpy(),
        adjournments=table["adjournments"].to_numpy(),
        vacated=table["vacated"].to_numpy(),
        results_start=scenario.results_start_day,
        end_day=scenario.end_day,
    )
    return {
        "design": "present",
        "model_build": model_build(),
        "cases": stats.cases_created,
        "children": stats.children_created,
        "cpu_s": round(cpu_s, 3),
        "wall_s": round(wall_s, 3),
        "cases_per_cpu_second": round(stats.cases_created / cpu_s, 1),
        "by_case_type": headline_from_sums(sums),
        "events": stats.events,
        "records": sizes,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario",
        type=Path,
        help="a scenario to run instead of the baseline, with its policies and history (its own years unless "
        "--run-years and --warm-up-years are given)",
    )
    parser.add_argument("--run-years", type=float, help="years of results (default 1 for the baseline)")
    parser.add_argument("--warm-up-years", type=float, help="years of warm-up (default 2 for the baseline)")
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--seeds",
        type=int,
        default=1,
        metavar="N",
        help="run both designs with seeds SEED..SEED+N-1 (as replications) and hold the batch design's mean of each "
        "figure to the present model's 95%% interval",
    )
    parser.add_argument("--design", choices=("both", "batch", "present"), default="both")
    parser.add_argument("--profile", action="store_true", help="cProfile the batch design (its figures then slow)")
    parser.add_argument(
        "--records",
        action="store_true",
        help="the batch design writes the child and stage tables as the present model does (timed with the run)",
    )
    parser.add_argument(
        "--check-routes",
        type=int,
        default=0,
        metavar="N",
        help="replay N cases of the batch run with sim/model/pathways and compare their routes (untimed)",
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="batch-model-"))
    try:
        years = (args.run_years, args.warm_up_years)
        if args.scenario is None:  # the baseline: one year after two of warm-up unless asked otherwise
            years = (1.0 if years[0] is None else years[0], 2.0 if years[1] is None else years[1])
        loaded = load_scenario(write_scenario(*years, args.seed, folder, args.scenario or BASELINE))
        results = []
        for seed in range(args.seed, args.seed + args.seeds):
            for _ in range(args.rounds):
                if args.design in ("both", "batch"):
                    results.append(
                        {"seed": seed, **run_batch(loaded, seed, args.profile, args.check_routes, args.records)}
                    )
                if args.design in ("both", "present"):
                    results.append({"seed": seed, **run_present(loaded, seed)})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for r in results:
        if "profile" in r:
            print(r.pop("profile"))
        print(
            f"{r['design']}: {r['cases']:,} cases in {r['cpu_s']} CPU-s = {r['cases_per_cpu_second']:,.0f} cases "
            f"per CPU-second (goal {TARGET_CASES_PER_CPU_SECOND:,})"
        )
        for name, figures in r["by_case_type"].items():
            print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    summary: dict = {"designs": results}
    batch = [r["cpu_s"] / r["cases"] for r in results if r["design"] == "batch"]
    present = [r["cpu_s"] / r["cases"] for r in results if r["design"] == "present"]
    if batch and present:
        summary["ratio_batch_to_present"] = round(statistics.median(present) / statistics.median(batch), 2)
    if args.seeds > 1 and args.design == "both":
        summary["agreement"] = agreement(results)
        for row in summary["agreement"]:
            print(
                f"{row['case_type']:>15} {row['figure']:<29} present {row['present']:>9.4g} "
                f"({row['low']:.4g} to {row['high']:.4g})  batch {row['batch']:>9.4g}  "
                f"{'within' if row['within'] else 'OUTSIDE'}"
            )
    print(json.dumps(summary))
    return 0


def agreement(results: list[dict]) -> list[dict]:
    """For each case type and figure: the present model's mean over the seeds with its 95% interval (logit for a
    share, kept above zero otherwise: ``sim.analysis.statistics.interval``), the batch design's mean over the same
    seeds, and whether it lies within that interval."""
    from sim.analysis.statistics import LOGIT, TRUNCATED, interval

    first = next(r for r in results if r["design"] == "present")
    rows = []
    for case_type, figures in first["by_case_type"].items():
        for figure in figures:
            values = {
                design: np.array([r["by_case_type"][case_type][figure] for r in results if r["design"] == design])
                for design in ("present", "batch")
            }
            share = figure.endswith("share") or figure == "within_26_weeks"
            mean, low, high, _, n = interval(values["present"], LOGIT if share else TRUNCATED)
            batch = float(values["batch"].mean())
            rows.append(
                {
                    "case_type": case_type,
                    "figure": figure,
                    "present": mean,
                    "low": low,
                    "high": high,
                    "batch": batch,
                    "within": bool(low <= batch <= high) or (low == high == batch),
                    "replications": n,
                }
            )
    return rows


if __name__ == "__main__":
    sys.exit(main())
