"""Verification against queueing theory, through real scenario features only (no test hooks).

1. M/M/c: ``tests/scenarios/verification_mmc.yaml`` reduces the model to one queue (Poisson private law
   arrivals, all on the Pathfinder route, every Child Impact Report written by the Cafcass long-term team
   with exponential durations). The mean wait for allocation must match Erlang C at rho 0.5, 0.8 and 0.9,
   and the team's utilisation must match rho.
2. Tandem (Jackson network): ``tests/scenarios/verification_tandem.yaml`` makes public law two M/M/c queues
   in series (local authority pre-proceedings, then experts) with a hearing between them as a pure delay;
   each queue's mean wait must match its own Erlang C value.
3. Little's law on ``tests/scenarios/small.yaml`` with a warm-up: open caseload by case type against arrival
   rate x mean time in system, and Cafcass long-term busy slots against throughput x mean holding time.

Statistics: each figure is a mean over independent replications (independent random streams), with a t
confidence interval mean +- t(1 - alpha/2, n-1) x sd / sqrt(n). There are ``THEORY_CHECKS`` comparisons with
theory in this module; a 95% interval for each would flag a correct model somewhere in the module for about
four seeds in ten (1 - 0.95^10), so each check uses a Bonferroni interval at 1 - 0.05/THEORY_CHECKS, which
makes the module's false alarm rate at most 5%. The 95% interval is printed too (``pytest -s``) and reported
in docs/verification.md with the tolerances and their reasons. Seeds are fixed, so results are deterministic.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.experiment.executors import LocalExecutor, default_workers
from sim.experiment.results_folder import read_parquet
from sim.model.columns import STORED_DAY_ERROR_DAYS, STORED_TIME_STEP_DAYS
from sim.scenario.yaml_file import load_tree

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
MMC = SCENARIOS / "verification_mmc.yaml"
TANDEM = SCENARIOS / "verification_tandem.yaml"
SMALL = SCENARIOS / "small.yaml"
DAY = pd.Timedelta(days=1)

END_MARGIN_DAYS = 365.0
"""Waits are counted for requests made between the end of warm-up and this long before the end of the run,
so that every counted request has been allocated (a stage is recorded when it ends): the longest wait in
these scenarios is a few weeks, so no request is lost and none biases the mean downwards."""

MAX_RELATIVE_ERROR = 0.10
"""Simulated mean waits must be within 10% of theory as well as have theory inside their 95% CI. The runs
are sized so that the CI half-width is about 4-7% of the mean, so the 10% bound is a real constraint and
not implied by the CI; a model error that matters (a wrong queue discipline, lost capacity, a wrong
distribution) changes mean waits by far more than 10%."""

MAX_UTILISATION_ERROR = 0.02
"""Utilisation is estimated far more precisely than waits (CI half-width about 0.2-0.5%), so 2%."""

THEORY_CHECKS = 10
"""Comparisons of a simulated mean with theory: a wait and a utilisation at each of three rho, and at each of
the two tandem queues."""
FAMILY_LEVEL = 0.95
CHECK_LEVEL = 1 - (1 - FAMILY_LEVEL) / THEORY_CHECKS


# ---------------------------------------------------------------------------------------------- theory
def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load a = lambda/mu < c (Erlang C).

    Computed through the Erlang B recursion B(k) = a B(k-1) / (k + a B(k-1)), which is stable for any c.
    """
    if not 0 <= offered_load < servers:
        raise ValueError("the queue must be stable: 0 <= a < c")
    b = 1.0
    for k in range(1, servers + 1):
        b = offered_load * b / (k + offered_load * b)
    rho = offered_load / servers
    return b / (1 - rho + rho * b)


def mmc_mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean wait in queue of M/M/c: Wq = C(c, a) / (c mu - lambda)."""
    return erlang_c(servers, arrival_rate / service_rate) / (servers * service_rate - arrival_rate)


def test_erlang_c_against_textbook_values() -> None:
    # M/M/1: P(wait) = rho and Wq = rho / (mu - lambda).
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    assert mmc_mean_wait(0.7, 1.0, 1) == pytest.approx(0.7 / 0.3)
    # M/M/2 with a = 1 (rho = 1/2): C = (a^2/2!) / (1 - rho) / (1 + a + (a^2/2!) / (1 - rho)) = 1/3.
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # The closed form sum_{k<c} a^k/k! against the recursion, at c = 8, a = 7.2.
    a, c = 7.2, 8
    top = a**c / math.factorial(c) / (1 - a / c)
    assert erlang_c(c, a) == pytest.approx(top / (sum(a**k / math.factorial(k) for k in range(c)) + top))


def mean_ci(values: list[float], level: float = 0.95) -> tuple[float, float]:
    """Mean and half-width of the t confidence interval across replications."""
    x = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return float(x.mean()), float(half)


# ---------------------------------------------------------------------------------------------- running
def scenario_dict(path: Path) -> dict[str, Any]:
    """A scenario file with its ``extends`` chain merged, as a plain dict to change in a test."""
    return copy.deepcopy(load_tree(path).data)


def replicate_one(task: dict[str, Any]) -> dict[str, float]:
    """Run one replication (in a worker process) and reduce its tables to mean waits and mean measures.

    Waits: started - requested of each named stage, for requests from the end of warm-up to END_MARGIN_DAYS
    before the end. Measures: the mean over the results period of a timeline measure (summed over regions
    at each date), using snapshots whose interval lies wholly inside it.
    """
    from sim.model.replication import Replication
    from sim.scenario.loading import scenario_from_dict

    loaded = scenario_from_dict(task["data"])
    scenario = loaded.scenario
    out = Path(task["directory"])
    out.mkdir(parents=True, exist_ok=True)
    Replication(loaded, task["replication"], out).run()
    origin = pd.Timestamp(scenario.sim_start_date)
    first, last = scenario.results_start_day, scenario.end_day - END_MARGIN_DAYS
    stages = read_parquet(out / "stages.parquet", columns=["stage", "requested", "started"]).to_pandas()
    result: dict[str, float] = {}
    for stage in task["stages"]:
        rows = stages[stages["stage"] == stage]
        requested = (rows["requested"] - origin) / DAY
        keep = ((requested >= first) & (requested < last)).to_numpy()
        wait = ((rows["started"] - rows["requested"]) / DAY).to_numpy()[keep]
        result[f"wait:{stage}"] = float(wait.mean())
        result[f"requests:{stage}"] = float(keep.sum())
        result[f"days:{stage}"] = last - first
    timeline = read_parquet(out / "timeline.parquet").to_pandas()
    timeline = timeline[timeline["measure"].isin(task["measures"])]
    day = (pd.to_datetime(timeline["date"]) - origin) / DAY
    inside = timeline[(day - scenario.monitor_interval_days >= first) & (day <= scenario.end_day)]
    by_date = inside.groupby(["measure", "date"], observed=True)["value"].sum()
    for measure in task["measures"]:
        result[measure] = float(by_date.loc[measure].mean())
    return result


@pytest.fixture(scope="module")
def pool():
    """Up to two worker processes, started once for the module (each start costs a second or two)."""
    executor = LocalExecutor(min(2, default_workers()))
    yield executor
    executor.close()


def replicate(
    pool: LocalExecutor,
    data: dict[str, Any],
    replications: int,
    directory: Path,
    stages: list[str],
    measures: list[str],
) -> list[dict[str, float]]:
    """Independent replications 0..n-1 of one scenario, run on the pool."""
    tasks = [
        {
            "data": data,
            "replication": r,
            "directory": str(directory / f"rep-{r:03d}"),
            "stages": stages,
            "measures": measures,
        }
        for r in range(replications)
    ]
    results: dict[int, dict[str, float]] = {}
    for task, result in pool.map_unordered(replicate_one, tasks):
        if isinstance(result, BaseException):
            raise result
        results[task["replication"]] = result
    return [results[r] for r in range(replications)]


def check_against_theory(label: str, simulated: list[float], theory: float, bound: float) -> str:
    """Assert theory lies in the (Bonferroni) CI of the simulated mean and the relative error is within bound."""
    mean, half95 = mean_ci(simulated)
    _, half = mean_ci(simulated, CHECK_LEVEL)
    line = (
        f"{label}: simulated {mean:.5g}, 95% CI {mean - half95:.5g} to {mean + half95:.5g} (half-width "
        f"{100 * half95 / mean:.1f}%), theory {theory:.5g} {'in' if abs(mean - theory) <= half95 else 'OUTSIDE'} "
        f"the 95% CI, relative error {100 * (mean / theory - 1):+.1f}%, n={len(simulated)}"
    )
    print(line)
    assert abs(mean - theory) <= half, f"theory outside the {CHECK_LEVEL:.1%} CI (+-{half:.5g}): {line}"
    assert abs(mean / theory - 1) <= bound, f"relative error above {bound:.0%}: {line}"
    return line


# ---------------------------------------------------------------------------------------------- M/M/c
REPORT_MEAN_DAYS = 1.0
"""Mean Child Impact Report duration in verification_mmc.yaml (1/mu)."""


def mmc_data(rho: float, servers: int, run_years: float) -> dict[str, Any]:
    data = scenario_dict(MMC)
    assert data["pathfinder"]["child_impact_report"]["duration_days"] == {"dist": "exponential", "mean": 1}
    data["run_years"] = run_years
    data["regions"]["only"]["cafcass"]["long_term_advisers"] = servers  # caseload limit 1: c slots
    data["demand"]["private_law"]["cases_per_year"] = rho * servers / REPORT_MEAN_DAYS * 365.25
    return data


@pytest.mark.slow
@pytest.mark.parametrize(
    ("rho", "servers", "run_years", "replications"),
    [
        pytest.param(0.5, 5, 30, 10, id="rho0.5-c5"),
        pytest.param(0.8, 8, 20, 10, id="rho0.8-c8"),
        pytest.param(0.9, 8, 50, 10, id="rho0.9-c8"),
    ],
)
def test_mmc_wait_and_utilisation_match_erlang_c(rho, servers, run_years, replications, pool, tmp_path) -> None:
    data = mmc_data(rho, servers, run_years)
    from sim.model.agencies.caseload import slots_for

    assert slots_for(servers, data["cafcass"]["long_term_caseload_limit"]) == servers
    results = replicate(pool, data, replications, tmp_path, ["child_impact_report"], ["utilisation:cafcass_long_term"])
    arrival_rate, service_rate = rho * servers / REPORT_MEAN_DAYS, 1 / REPORT_MEAN_DAYS
    # Every case is a Pathfinder case whose report the Cafcass team writes: requests arrive at lambda.
    requests = [r["requests:child_impact_report"] / r["days:child_impact_report"] for r in results]
    assert np.mean(requests) == pytest.approx(arrival_rate, rel=0.01)
    check_against_theory(
        f"M/M/{servers} rho={rho} mean wait (days)",
        [r["wait:child_impact_report"] for r in results],
        mmc_mean_wait(arrival_rate, service_rate, servers),
        MAX_RELATIVE_ERROR,
    )
    check_against_theory(
        f"M/M/{servers} rho={rho} utilisation",
        [r["utilisation:cafcass_long_term"] for r in results],
        rho,
        MAX_UTILISATION_ERROR,
    )


# ---------------------------------------------------------------------------------------------- tandem
@pytest.mark.slow
def test_tandem_queues_each_match_erlang_c(pool, tmp_path) -> None:
    data = scenario_dict(TANDEM)
    arrival_rate = data["demand"]["public_law"]["cases_per_year"] / 365.25
    region = data["regions"]["only"]
    queues = {  # stage: (servers, mean service days, utilisation measure)
        "pre_proceedings": (
            math.floor(region["local_authority"]["social_workers"] * data["local_authorities"]["caseload_limit"]),
            data["public_law"]["pre_proceedings"]["duration_days"]["mean"],
            "utilisation:local_authority",
        ),
        "expert_assessment": (
            math.floor(region["experts"]["assessors"] * data["experts"]["caseload_limit"]),
            data["public_law"]["assessments"]["expert_duration_days"]["mean"],
            "utilisation:experts",
        ),
    }
    assert [q[:2] for q in queues.values()] == [(6, 6), (8, 7)]
    results = replicate(pool, data, 24, tmp_path, list(queues), [q[2] for q in queues.values()])
    for stage, (servers, mean_days, measure) in queues.items():
        rho = arrival_rate * mean_days / servers
        requests = [r[f"requests:{stage}"] / r[f"days:{stage}"] for r in results]
        assert np.mean(requests) == pytest.approx(arrival_rate, rel=0.02)
        check_against_theory(
            f"tandem {stage} M/M/{servers} rho={rho:.2f} mean wait (days)",
            [r[f"wait:{stage}"] for r in results],
            mmc_mean_wait(arrival_rate, 1 / mean_days, servers),
            MAX_RELATIVE_ERROR,
        )
        check_against_theory(f"tandem {stage} utilisation", [r[measure] for r in results], rho, MAX_UTILISATION_ERROR)


# ---------------------------------------------------------------------------------------------- Little's law
LITTLE_WARM_UP_DAYS = 1095
LITTLE_RUN_YEARS = 10

SNAPSHOT_TOLERANCE = 0.02
"""The timeline samples the open caseload once a week; its mean over ~520 snapshots matches the exact time
average (the integral of the caseload from each case's arrival and end) to about 1%: the sampling error of
the mean of a slowly varying count. Disposals after a hearing happen at whole days, as snapshots do, so a
snapshot may or may not count that day's disposals: under a day's disposals, well under 1% of the caseload for
cases that last months. Domestic-abuse remedies heard as urgent work last about six weeks, so a day's disposals
are a few percent of their caseload (and weekly snapshots, all on a Monday, meet the same weekday's disposals
each time): ``little`` adds a day's exits over the caseload to this tolerance."""

LITTLE_TOLERANCE = 0.10
"""L = lambda W on a finite window [T0, T1]: lambda counts the cases entering (issued, for the open caseload)
in the window and W their time there, counting time so far for cases still open at T1 (the end of the run).
The time average of L counts those cases for the same time, so the end of the window gives no error. The
start does: cases already in at T0 (from warm-up) count in L for the rest of their stay but not in lambda W.
That edge term is N(T0) x (their mean remaining time) / (T1 - T0), i.e. roughly the mean remaining time over
the window length (10 years): a few percent for public and private law, whose cases last about a year (the
test measures and prints it). 10% covers that and the variation of a system that is still filling up.
"""


def little_data() -> dict[str, Any]:
    data = scenario_dict(SMALL)
    data["starting_state"] = {"warm_up_days": LITTLE_WARM_UP_DAYS}
    data["run_years"] = LITTLE_RUN_YEARS
    return data


@pytest.fixture(scope="module", params=["events", "agenda"])
def small_run(request, tmp_path_factory) -> dict[str, Any]:
    """One long replication of small.yaml after a three-year warm-up, as tables, with each model: the agenda counts
    its timeline from its columns and teams, apart from the rows it writes, so Little's law ties the two together."""
    from sim.experiment.replication_parts import simulate_whole
    from sim.scenario.loading import scenario_from_dict

    loaded = scenario_from_dict(little_data())
    out = tmp_path_factory.mktemp("little")
    simulate_whole(request.param, loaded, 0, loaded.scenario.seed, out)
    scenario = loaded.scenario
    origin = pd.Timestamp(scenario.sim_start_date)
    stages = read_parquet(out / "stages.parquet").to_pandas()
    for column in ("requested", "started", "ended"):
        stages[column] = (stages[column] - origin) / DAY
    timeline = read_parquet(out / "timeline.parquet").to_pandas()
    timeline["day"] = (pd.to_datetime(timeline["date"]) - origin) / DAY
    return {
        "scenario": scenario,
        "children": read_parquet(out / "children.parquet").to_pandas(),
        "stages": stages,
        "timeline": timeline,
    }


def case_spans(run: dict[str, Any]) -> pd.DataFrame:
    """One row per case: case type, status, arrival, issue and end days (end NaN if open at the end of the run).

    A case arrives when its first stage is requested (pre-proceedings for most care cases), is issued (enters
    the open caseload) after ``pre_proceedings_days`` (0 for other case types) and ends after a further
    ``days_in_proceedings``, as children.parquet records them. A care case diverted in pre-proceedings is never
    issued; it ends when that stage ends. Arrival to the second comes from stages.parquet (children.parquet
    keeps only its date); a case still in its first stage at the end has no stage recorded, so its date is used.
    """
    scenario, stages = run["scenario"], run["stages"]
    cases = run["children"].drop_duplicates("case_id").set_index("case_id")
    counted = stages[stages["stage"] != "review"]  # the review after a Pathfinder order is not proceedings
    by_case = counted.groupby("case_id")
    cases["arrival"] = by_case["requested"].min().reindex(cases.index)
    cases["last_end"] = by_case["ended"].max().reindex(cases.index)
    status = cases["status"].astype(str)
    no_stage = cases["arrival"].isna()
    assert (status[no_stage] == "open").all(), "only a case still in its first stage has no stage recorded"
    arrival_day = (pd.to_datetime(cases["arrival_date"]) - pd.Timestamp(scenario.sim_start_date)) / DAY
    cases.loc[no_stage, "arrival"] = arrival_day[no_stage] + 0.5  # its date is all we know: mid-day
    cases["issue"] = cases["arrival"] + cases["pre_proceedings_days"].where(cases["days_in_proceedings"].notna())
    pre = counted[counted["stage"] == "pre_proceedings"].set_index("case_id")["ended"]
    diverted_end = pre.reindex(cases.index).where(status == "diverted")
    cases["end"] = (cases["issue"] + cases["days_in_proceedings"]).where(status == "disposed", diverted_end)
    return cases


def overlap(start: Any, end: Any, first: float, last: float) -> np.ndarray:
    """Days of [start, end) inside [first, last) for each span; an open end (NaN) runs to ``last``."""
    end = np.minimum(np.nan_to_num(np.asarray(end, dtype=float), nan=last), last)
    return np.maximum(end - np.maximum(np.asarray(start, dtype=float), first), 0.0)


@pytest.mark.slow
def test_time_in_system_agrees_between_children_and_stages(small_run) -> None:
    """A closed case's end from children.parquet (arrival + pre-proceedings + proceedings) is its last stage's end."""
    cases = case_spans(small_run)
    closed = cases[cases["status"].astype(str) != "open"]
    assert len(closed) > 5000 and closed["end"].notna().all()
    # two stored times (floored to the hour) and two stored durations (to the hour) between the two ends
    stored = STORED_TIME_STEP_DAYS + 2 * STORED_DAY_ERROR_DAYS
    np.testing.assert_allclose(closed["end"], closed["last_end"], atol=stored)
    issued = cases["issue"].notna()
    assert (cases.loc[~issued, "status"].astype(str) != "disposed").all()
    scenario = small_run["scenario"]
    still_open = cases[(cases["status"].astype(str) == "open") & issued & cases["last_end"].notna()]
    np.testing.assert_allclose(still_open["issue"] + still_open["days_in_proceedings"], scenario.end_day, atol=stored)


def little(label: str, caseload: float, start: pd.Series, end: pd.Series, first: float, last: float) -> str:
    """Check Little's law for spans [start, end) (end NaN: open at ``last``) against a timeline mean caseload."""
    days = last - first
    exact = overlap(start, end, first, last).sum() / days
    entered = (start >= first) & (start < last)
    rate = entered.sum() / days
    mean_time = overlap(start[entered], end[entered], first, last).mean()  # time so far if still open
    carried_in = overlap(start[start < first], end[start < first], first, last).sum() / days
    line = (
        f"Little {label}: mean caseload (timeline) {caseload:.2f}; exact time average {exact:.2f}; "
        f"{rate * 365.25:.1f} a year x mean time {mean_time:.1f} days = {rate * mean_time:.2f} "
        f"({100 * (rate * mean_time / caseload - 1):+.1f}%); in before the window: "
        f"{100 * carried_in / caseload:.1f}% of L"
    )
    print(line)
    assert entered.sum() > 500, line
    assert exact == pytest.approx(caseload, rel=SNAPSHOT_TOLERANCE + rate / caseload), line
    assert rate * mean_time == pytest.approx(caseload, rel=LITTLE_TOLERANCE), line
    return line


def timeline_mean(run: dict[str, Any], measure: str, first: float, last: float) -> float:
    """Mean over snapshots in [first, last] of a measure summed over regions."""
    timeline = run["timeline"]
    rows = timeline[(timeline["measure"] == measure) & timeline["day"].between(first, last)]
    return float(rows.groupby("day")["value"].sum().mean())


@pytest.mark.slow
def test_littles_law_for_the_open_caseload_of_each_case_type(small_run) -> None:
    """Open caseload (issued cases) = issues a day x mean days in proceedings, for each case type."""
    scenario = small_run["scenario"]
    first, last = scenario.results_start_day, scenario.end_day
    cases = case_spans(small_run)
    for case_type, group in cases[cases["issue"].notna()].groupby(cases["case_type"].astype(str)):
        caseload = timeline_mean(small_run, f"open_cases:{case_type}", first, last)
        little(case_type, caseload, group["issue"], group["end"], first, last)


@pytest.mark.slow
def test_littles_law_for_cases_in_pre_proceedings(small_run) -> None:
    """Care cases in pre-proceedings = entries a day x mean days there (to issue, diversion or the end)."""
    scenario = small_run["scenario"]
    first, last = scenario.results_start_day, scenario.end_day
    cases = case_spans(small_run)
    in_pre = (cases["case_type"].astype(str) == "public_law") & (
        (cases["pre_proceedings_days"] > 0) | cases["issue"].isna()
    )
    group = cases[in_pre]
    caseload = timeline_mean(small_run, "pre_proceedings_cases", first, last)
    little("pre-proceedings", caseload, group["arrival"], group["issue"].fillna(group["end"]), first, last)


@pytest.mark.slow
def test_littles_law_for_cafcass_long_term_slots(small_run) -> None:
    """Mean busy slots (utilisation x slots) = throughput x mean holding time of a long-term adviser's slot.

    A slot is held by a children's guardian from allocation to the end of the care case, and by a section 7
    report or Child Impact Report written by Cafcass from allocation to the end of the report.
    """
    from sim.model.agencies.caseload import slots_for

    scenario, stages, timeline = small_run["scenario"], small_run["stages"], small_run["timeline"]
    interval = scenario.monitor_interval_days
    slots = {
        name: slots_for(region.cafcass.long_term_advisers, scenario.cafcass.long_term_caseload_limit)
        for name, region in scenario.regions.items()
    }
    rows = timeline[timeline["measure"] == "utilisation:cafcass_long_term"].copy()
    rows = rows[(rows["day"] - interval >= scenario.results_start_day) & (rows["day"] <= scenario.end_day)]
    rows["busy"] = rows["value"] * rows["region"].astype(str).map(slots)
    busy = rows.groupby("day")["busy"].sum().mean()
    first, last = rows["day"].min() - interval, rows["day"].max()  # the snapshots' intervals tile this window
    days = last - first

    cases = case_spans(small_run)
    guardians = stages[stages["stage"] == "guardian_allocation"]
    guardian_end = cases["end"].reindex(guardians["case_id"]).to_numpy()
    reports = stages[stages["stage"].isin(["section7_report", "child_impact_report"]) & (stages["agency"] == "cafcass")]
    holdings = pd.DataFrame(
        {
            "start": np.concatenate([guardians["started"], reports["started"]]),
            "end": np.concatenate([guardian_end, reports["ended"]]),
        }
    )
    exact = overlap(holdings["start"], holdings["end"], first, last).sum() / days
    started = holdings[(holdings["start"] >= first) & (holdings["start"] < last)]
    throughput = len(started) / days
    mean_holding = overlap(started["start"], started["end"], first, last).mean()
    line = (
        f"Little Cafcass long-term: mean busy slots (timeline) {busy:.2f}; exact time average {exact:.2f}; "
        f"throughput {throughput * 365.25:.1f}/year x mean holding {mean_holding:.1f} days = "
        f"{throughput * mean_holding:.2f} ({100 * (throughput * mean_holding / busy - 1):+.1f}%)"
    )
    print(line)
    assert len(started) > 1000, line
    assert exact == pytest.approx(busy, rel=SNAPSHOT_TOLERANCE), line
    assert throughput * mean_holding == pytest.approx(busy, rel=LITTLE_TOLERANCE), line
