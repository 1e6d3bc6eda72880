"""The day-by-day agenda (``sim/model/agenda``, issue 14) is the present model's model, drawn the same way.

Each case draws what it would draw in the present model, at the same places on its own keyed tape: its route is the
one ``sim/model/pathways`` walks (replayed and compared to the bit), a smaller court changes its timings but never
what it draws, and a caseload team is the same M/M/c queue case for case. Rows are reused once their case closes
without changing a record; dated policies apply on their day, and one the agenda cannot follow is refused by its
keys; a declared open caseload starts on the pathways' routes. Its figures are held to the present model's on the
same scenarios and seeds.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import ROOT
from pydantic import TypeAdapter

from sim.model.agenda.operations import HEARING, TEAM_WORK, policy_changes
from sim.model.agenda.replication import AgendaReplication, PolicyNotFollowed, unfollowed_policies
from sim.model.agenda.tapes import quantiles
from sim.model.arrivals import segment_bounds
from sim.model.inverses import inverse_cdf
from sim.scenario.distributions import Distribution


@functools.cache
def _benchmark(name: str):
    """``benchmarks/NAME.py`` as a module (the benchmarks folder is not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _batch_model():
    """The benchmark that compares the agenda with the present model, and holds the route check."""
    return _benchmark("batch_model")


def test_the_route_check_of_the_agenda_catches_one_ulp(tmp_path) -> None:
    """The agenda's route check (``check_routes``) compares each replayed route with the row built for it to
    the bit: it finds the rows of a short national run identical, and finds every case whose route has a second step
    with a duration once that duration is moved by one unit in the last place."""
    batch = _batch_model()
    loaded = batch.load_scenario(batch.write_scenario(0.1, 0.1, 20240101, tmp_path))
    model = AgendaReplication(loaded.scenario, 20240101, recycling=False)
    model.run()
    before = batch.check_routes(model, 300)
    assert before["differing"] == {} and before["checked"] >= 300
    second = model.route[: model.n, 1]
    timed = np.isin(model.ops.a_type[np.maximum(second, 0)], [TEAM_WORK, HEARING]) & (second >= 0)
    model.value[: model.n, 1] = np.nextafter(model.value[: model.n, 1], np.inf)
    after = batch.check_routes(model, 300)
    rows = set(np.random.default_rng(7).choice(model.n, size=300, replace=False).tolist())
    assert sum(after["differing"].values()) >= sum(timed[sorted(rows)]) > 100


def _routes_by_case(model: AgendaReplication) -> dict[tuple[int, ...], tuple]:
    """Each case's arrival and fixed route (operations, durations, notice), by its identity: (origin, case type,
    serial, returns to court)."""
    n = model.n
    keys = np.stack([model.origin[:n], model.case_type[:n], model.serial[:n], model.returns[:n]], axis=1).tolist()
    return {
        tuple(key): (model.arrival[i], *(column[i].tobytes() for column in (model.route, model.value, model.notice)))
        for i, key in enumerate(keys)
    }


def test_a_smaller_court_changes_when_cases_move_never_what_they_draw(tmp_path) -> None:
    """Common random numbers: every case reads its decisions and durations from its own keyed tape, so with the
    court's hours cut by a tenth each first application and each return from before the run arrives at the same
    moment on the same route, to the bit, while the hearings come later. (A return during the run exists only if
    its parent's order came early enough, which is timing: those in both runs draw the same route too.)"""
    batch = _batch_model()
    path = batch.write_scenario(0.25, 0.25, 20240101, tmp_path)
    base = batch.load_scenario(path).scenario
    days_sat = base.courts.capacity.days_sat_per_year
    smaller_court = {"extends": str(path), "courts": {"capacity": {"days_sat_per_year": 0.9 * days_sat}}}
    (tmp_path / "smaller.yaml").write_text(yaml.safe_dump(smaller_court))
    smaller = batch.load_scenario(tmp_path / "smaller.yaml").scenario
    runs = [AgendaReplication(scenario, 5, recycling=False) for scenario in (base, smaller)]
    for model in runs:
        model.run()
    first, second = (_routes_by_case(model) for model in runs)
    returns = [key for key in first if key[3] > 0]
    assert len(first) > 30_000 and returns
    for key in (k for k in first if k[3] == 0):
        assert first[key] == second[key], key
    shared = [key for key in returns if key in second]
    assert len(shared) > 0.8 * len(returns)
    assert all(first[key][1:] == second[key][1:] for key in shared)
    hearings_later = [np.nanmean(model.first_hearing[: model.n] - model.issue[: model.n]) for model in runs]
    assert hearings_later[1] > hearings_later[0]


def test_the_agenda_reuses_closed_rows_without_changing_a_figure_or_a_record(tmp_path) -> None:
    """A closed case's row is counted into the figures, its records settled, and reused at the next month's start
    (``CaseRows.recycle``): the columns then hold a row per open case, not per case simulated, and the run gives
    the same figures, the same counts and the same rows of all three tables as a run that keeps every row."""
    batch = _batch_model()
    loaded = batch.load_scenario(batch.write_scenario(0.5, 0.5, 20240101, tmp_path))
    runs, figures = {}, {}
    for recycling in (False, True):
        folder = tmp_path / f"recycling_{recycling}"
        model = AgendaReplication(loaded.scenario, 20240101, folder, recycling=recycling)
        headline = model.count_closed = batch.Headline()
        model.run()
        figures[recycling] = (headline.figures(model), headline)
        tables = {
            name: pq.read_table(folder / f"{name}.parquet").to_pandas().pipe(lambda t: t.sort_values(list(t.columns)))
            for name in ("children", "stages", "timeline")
        }
        runs[recycling] = (model, tables)
    (kept, kept_tables), (reused, reused_tables) = runs[False], runs[True]
    assert kept.n >= kept.cases  # a row for every case created
    assert reused.n < kept.n / 2  # rows for the open cases and the month ahead, not for every case
    (kept_figures, kept_headline), (reused_figures, reused_headline) = figures[False], figures[True]
    assert reused_figures == kept_figures and reused.tallies == kept.tallies
    assert reused_headline.displaced_found(reused) == kept_headline.displaced_found(kept) > 0
    assert reused.left_behind() == 0
    for name, table in kept_tables.items():
        assert len(table) > 1_000
        assert table.reset_index(drop=True).equals(reused_tables[name].reset_index(drop=True)), name


@pytest.mark.slow
def test_the_agenda_follows_dated_policies_as_the_model_does(tmp_path) -> None:
    """``scenarios/capacity_shock.yaml``: a fifth of the court's hours lost for a year, then restored. The agenda
    applies each policy on its day (the court's hours, the teams, what it reads when it happens), so the year's
    backlog is built in it as in the present model, and is not there without the policies."""
    batch = _batch_model()
    shock, plain = (
        batch.load_scenario(batch.write_scenario(1.5, 0.5, 20240101, tmp_path, ROOT / "scenarios" / f"{name}.yaml"))
        for name in ("capacity_shock", "baseline")
    )
    assert [day for day, _ in shock.periods][1:] == [183.0, 549.0]  # 2024-01-01 and 2025-01-01, half a year in
    with_shock, without, present = (
        batch.run_batch(shock, 1)["by_case_type"],
        batch.run_batch(plain, 1)["by_case_type"],
        batch.run_present(shock, 1)["by_case_type"],
    )
    for case_type in ("public_law", "private_law"):
        # the present model's own rise at these seeds: 5.1% for public law, 15% for private law
        assert with_shock[case_type]["open_at_end"] > 1.03 * without[case_type]["open_at_end"], case_type
        for figure in ("open_at_end", "mean_weeks", "disposed"):
            assert with_shock[case_type][figure] == pytest.approx(present[case_type][figure], rel=0.04), figure


OPEN_CASELOAD = {
    "public_law": {
        "by_stage": {"case_management_hearing": 200, "issues_resolution_hearing": 200, "final_hearing": 150},
        "age_days": {"dist": "uniform", "low": 10, "high": 400},
        "next_hearing_days": {"dist": "uniform", "low": 1, "high": 60},
        "by_region": {"london": {"assessment": {"count": 150, "age_days": 120}}},
    },
    "private_law": {
        "by_stage": {"safeguarding_checks": 300, "first_hearing": 600, "section7_report": 800},
        "age_days": {"dist": "uniform", "low": 10, "high": 300},
        "by_region": {"wales": {"dispute_resolution_hearing": {"count": 100, "age_days": 200, "next_hearing_days": 9}}},
    },
    "domestic_abuse": {"by_stage": {"return_hearing": 150}, "age_days": 14},
}
"""A declared open caseload at every entry stage of every pathway, by stage and by region, booked or not."""


@pytest.mark.slow
def test_the_agenda_starts_from_a_declared_open_caseload_on_the_pathways_routes(tmp_path) -> None:
    """The starting state's open cases begin their routes at their stages, as ``sim/model/pathways`` begin them:
    every one replayed with the pathway modules has the route the agenda built (a case declared at its
    section 7 report did not settle at its FHDRA), and a quarter-year from them gives the present model's figures."""
    batch = _batch_model()
    scenario = {
        "extends": str(ROOT / "scenarios" / "baseline.yaml"),
        "name": "open_start",
        "description": "The baseline from a declared open caseload.",
        "run_years": 0.25,
        "starting_state": {"warm_up_days": 0, "open_cases": OPEN_CASELOAD},
    }
    (tmp_path / "open_start.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False))
    loaded = batch.load_scenario(tmp_path / "open_start.yaml")
    routes = batch.run_batch(loaded, 1, check=300)["routes_checked"]
    assert routes["open_at_start"] == 2650 and routes["checked"] > 2650 and routes["differing"] == {}
    mine, theirs = batch.run_batch(loaded, 1, records=True), batch.run_present(loaded, 1)
    assert mine["rows_left_behind"] == 0 and mine["cases"] == pytest.approx(theirs["cases"], rel=0.001)
    for case_type, figures in mine["by_case_type"].items():
        for figure in ("disposed", "open_at_end"):
            assert figures[figure] == pytest.approx(theirs["by_case_type"][case_type][figure], rel=0.03), figure
    assert mine["records"]["children"]["rows"] == pytest.approx(theirs["records"]["children"]["rows"], rel=0.01)


def test_a_policy_the_agenda_cannot_follow_is_refused_by_its_keys(tmp_path) -> None:
    """A policy that changes what the agenda fixes when a case is created (a share decided along its route)
    would need open cases' routes rebuilt, which is not prototyped: the run stops and names the key, rather than
    applying the policy to new cases only. A capacity policy is followed."""
    batch = _batch_model()
    base = batch.load_scenario(batch.write_scenario(0.1, 0.1, 20240101, tmp_path)).scenario
    fewer_reports = base.private_law.section7.model_copy(update={"share": 0.5})
    section7 = base.model_copy(update={"private_law": base.private_law.model_copy(update={"section7": fewer_reports})})
    fixed, at_creation = policy_changes(base, section7)
    assert fixed == ["private_law.section7.share"] and at_creation == []
    courts = base.courts.model_copy(update={"vacate_probability": 0.5})
    assert policy_changes(base, base.model_copy(update={"courts": courts})) == ([], [])
    assert unfollowed_policies([(0.0, base), (20.0, base.model_copy(update={"courts": courts}))]) == []
    hours = {"circuit_judge": 3.0, "district_judge": 4.0, "magistrates": 2.0}  # a region's hours, one per tier
    court = base.regions["wales"].court.model_copy(update={"sitting_hours_per_day": hours})
    wales_hours = base.regions["wales"].model_copy(update={"court": court})
    assert policy_changes(base, base.model_copy(update={"regions": {**base.regions, "wales": wales_hours}}))[0] == []
    with pytest.raises(PolicyNotFollowed, match=r"day 20 changes private_law\.section7\.share"):
        AgendaReplication(base, 1, periods=[(0.0, base), (20.0, section7)])  # before anything is simulated
    wales = base.regions["wales"].model_copy(update={"pathfinder_from": base.sim_start_date.replace(day=15)})
    pathfinder_mid_month = base.model_copy(update={"regions": {**base.regions, "wales": wales}})
    assert policy_changes(base, pathfinder_mid_month) == ([], ["regions.wales.pathfinder_from"])
    _, month, next_month, *_ = segment_bounds(base.sim_start_date, base.end_day, [])
    problems = unfollowed_policies([(0.0, base), (month + 10, pathfinder_mid_month), (next_month, base)])
    assert len(problems) == 1 and "must begin a month" in problems[0]


def _team_stages(design: str, data: dict, seed: int, folder: Path, stages: tuple[str, ...]) -> dict:
    """Each named stage's requested, started and ended times by case, from a run of one design of ``data``."""
    from sim.model.replication import Replication
    from sim.scenario.loading import scenario_from_dict

    loaded = scenario_from_dict(data)
    if design == "batch":
        AgendaReplication(loaded.scenario, seed, folder).run()
    else:
        Replication(loaded, 0, folder, seed=seed).run()
    table = pq.read_table(folder / "stages.parquet", columns=["case_id", "stage", "requested", "started", "ended"])
    rows = table.to_pandas()
    rows["stage"] = rows["stage"].astype(str)
    return {s: rows[rows["stage"] == s].set_index("case_id").drop(columns="stage").sort_index() for s in stages}


@pytest.mark.parametrize("rho", [0.5, 0.9])
def test_the_agendas_caseload_team_is_the_models_m_m_c_queue_case_for_case(rho, tmp_path) -> None:
    """The M/M/c verification scenario (tests/test_verification.py: a Cafcass team writing Child Impact Reports of a
    day on average): the agenda's team, which takes a day's freed slots, requests and finished work in time
    order, starts and finishes every report at the present model's hour, case for case; so the present model's
    check against Erlang C holds for it too. (Its day-granular team held each slot up to a day too long: a mean
    wait 11 times Erlang C's.)"""
    from test_verification import mmc_data

    data = mmc_data(rho, 8, 3)
    batch, present = (
        _team_stages(design, data, 3, tmp_path / design, ("child_impact_report",)) for design in ("batch", "present")
    )
    mine, theirs = batch["child_impact_report"], present["child_impact_report"]
    assert len(mine) == len(theirs) > 1_000 * rho * 3
    waited = (theirs["started"] > theirs["requested"]).mean()
    assert waited > 0.05  # a queue, not idle servers (Erlang C: 6% of reports wait at rho 0.5, 70% at 0.9)
    assert mine.equals(theirs)


@pytest.mark.parametrize("delay_days", [0.4, 3.0])
def test_a_stretched_team_allocates_work_that_has_waited_at_the_models_hour(delay_days, tmp_path) -> None:
    """The same team with room to stretch: 8 advisers at a caseload of 1, up to 12 reports at once, for work that has
    waited the allocation delay, at rho 1.1, so the average is exceeded most days. Work whose delay ends takes a
    stretched slot then, or when one is freed after, even on a day the team has nothing else to do; within a day or
    across days, every report starts at the present model's hour, case for case."""
    from test_verification import mmc_data

    data = mmc_data(1.1, 8, 3)
    data["cafcass"] = {**data.get("cafcass", {}), "long_term_caseload_stretch_max": 1.5}
    data["cafcass"]["long_term_allocation_delay_days"] = delay_days
    batch, present = (
        _team_stages(design, data, 5, tmp_path / design, ("child_impact_report",)) for design in ("batch", "present")
    )
    mine, theirs = batch["child_impact_report"], present["child_impact_report"]
    waits = (theirs["started"] - theirs["requested"]).dt.total_seconds() / 86_400
    assert (waits > delay_days * 0.999).mean() > 0.2  # many wait out the delay: the stretch is used
    assert len(mine) == len(theirs) > 2_000
    assert mine.equals(theirs)


def test_the_agendas_tandem_queues_are_the_models_up_to_simultaneous_requests(tmp_path) -> None:
    """The tandem verification scenario (a local authority team, a hearing, then experts): the first queue is the
    present model's case for case; after the hearing, cases ask the experts at the same instant (the start of the
    next day), which the two designs take in different orders, so there only the requests are the same and the
    mean wait within a few percent."""
    from test_verification import TANDEM, scenario_dict

    data = scenario_dict(TANDEM)
    data["run_years"] = 3
    stages = ("pre_proceedings", "expert_assessment")
    batch, present = (_team_stages(design, data, 1, tmp_path / design, stages) for design in ("batch", "present"))
    assert batch["pre_proceedings"].equals(present["pre_proceedings"]) and len(batch["pre_proceedings"]) > 500
    mine, theirs = (b["expert_assessment"].dropna() for b in (batch, present))
    shared = mine.index.intersection(theirs.index)
    assert len(shared) > 500 and mine.loc[shared, "requested"].equals(theirs.loc[shared, "requested"])
    waits = [((t["started"] - t["requested"]).dt.total_seconds() / 86_400).mean() for t in (mine, theirs)]
    assert waits[0] == pytest.approx(waits[1], rel=0.05)


@pytest.mark.parametrize(
    "dist",
    [
        7.5,
        {"dist": "exponential", "mean": 540},
        {"dist": "lognormal", "median": 21, "sigma": 0.3},
        {"dist": "lognormal", "mean": 40, "sd": 90},
        {"dist": "gamma", "mean": 3.6087, "sd": 2.0605},
        {"dist": "gamma", "mean": 1000, "sd": 30000},  # a far tail past the cut at MAX_DRAW
        {"dist": "gamma", "shape": 0.5, "scale": 2},
        {"dist": "weibull", "shape": 1.5, "scale": 30},
        {"dist": "triangular", "low": 0.5168, "mode": 1.0325, "high": 2.0605},
        {"dist": "triangular", "low": 1, "mode": 1, "high": 4},
        {"dist": "triangular", "low": 1, "mode": 4, "high": 4},
        {"dist": "uniform", "low": 90, "high": 1825},
        {"dist": "empirical", "values": [3, 1, 4, 1, 5]},
        {"dist": "empirical", "bin_edges": [0, 1, 5, 10, 16, 18], "weights": [0.05, 0.35, 0, 0.23, 0.02]},
    ],
)
def test_the_agendas_inverse_distribution_functions_are_the_models_to_the_bit(dist) -> None:
    """The agenda turns a case's uniforms into durations on arrays (``quantiles``); each value must be the one
    the present model's own inverse (``sim.model.inverses``) gives, bit for bit, or a case's durations would differ
    between the designs and between scenarios."""
    dist = TypeAdapter(Distribution).validate_python(dist)
    u = np.concatenate([[0.0, 2.0**-54, 0.5, 1 - 2.0**-53], np.random.default_rng(11).random(5_000)])
    expected = np.array([inverse_cdf(dist).at(x) for x in u.tolist()])
    assert np.array_equal(quantiles(dist, u), expected)
