"""The journey log (sim/outputs/ocel.py): valid OCEL 2.0 JSON, and a child can be followed across cases and agencies."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

from sim.cli.main import main
from sim.experiment.results_folder import ResultsDirError
from sim.outputs import ocel

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "ocel20-json-schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory):
    from sim import api

    return api.run("tests/scenarios/small.yaml", replications=2, out=tmp_path_factory.mktemp("ocel") / "run")


@pytest.fixture(scope="module")
def journey(results) -> tuple[Path, dict]:
    path = ocel.export(results.out)
    return path, json.loads(path.read_text(encoding="utf-8"))


def test_the_schema_is_a_valid_json_schema_that_refuses_broken_logs() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    good = {
        "objectTypes": [{"name": "child", "attributes": [{"name": "age_band", "type": "string"}]}],
        "eventTypes": [{"name": "case issued", "attributes": []}],
        "objects": [
            {
                "id": "child-1",
                "type": "child",
                "attributes": [{"name": "age_band", "time": "2024-01-01T00:00:00Z", "value": "under_1"}],
            }
        ],
        "events": [
            {
                "id": "e1",
                "type": "case issued",
                "time": "2024-01-02T10:00:00Z",
                "attributes": [],
                "relationships": [{"objectId": "child-1", "qualifier": "subject child"}],
            }
        ],
    }
    assert not list(VALIDATOR.iter_errors(good))
    for breaks in (
        lambda d: d.pop("events"),
        lambda d: d["events"][0].pop("time"),
        lambda d: d["events"][0].__setitem__("time", "2024-01-02"),  # a date, not a date-time
        lambda d: d["events"][0].__setitem__("time", "next Tuesday"),
        lambda d: d["objects"][0]["attributes"][0].pop("time"),
        lambda d: d["objectTypes"][0]["attributes"][0].__setitem__("type", "date"),
        lambda d: d["events"][0]["relationships"][0].pop("qualifier"),
        lambda d: d["objects"][0].__setitem__("colour", "blue"),
    ):
        bad = copy.deepcopy(good)
        breaks(bad)
        assert list(VALIDATOR.iter_errors(bad)), "the schema should refuse this document"


def test_the_journey_log_validates_against_the_ocel_schema(results, journey) -> None:
    path, full = journey
    assert path.name == "journey_rep-0000.ocel.json"
    # jsonschema takes ~10 s over the whole log, so validate the log of a sample of 120 children (and the
    # returning children), written by the same code, and check it has every kind of object and event
    children = results.children[results.children["replication"] == 0]
    returning = children.loc[children["is_return"], "child_id"]
    subset = pd.concat([ocel.sample_children(children, 120), children[children["child_id"].isin(returning)]])
    subset = children[children["case_id"].isin(subset["case_id"])]
    document = ocel.build(subset, results.stages[results.stages["replication"] == 0])
    errors = list(VALIDATOR.iter_errors(document))
    assert not errors, f"{errors[0].json_path}: {errors[0].message}"
    assert {o["type"] for o in document["objects"]} == {o["type"] for o in full["objects"]}
    assert len({e["type"] for e in document["events"]}) >= 0.8 * len({e["type"] for e in full["events"]})


def test_every_reference_resolves_and_every_type_is_declared(journey) -> None:
    _, document = journey
    ids = {o["id"] for o in document["objects"]}
    assert len(ids) == len(document["objects"]), "object ids are unique"
    object_types = {t["name"]: {a["name"] for a in t["attributes"]} for t in document["objectTypes"]}
    event_types = {t["name"]: {a["name"] for a in t["attributes"]} for t in document["eventTypes"]}
    for o in document["objects"]:
        assert {a["name"] for a in o.get("attributes", [])} <= object_types[o["type"]]
        assert all(r["objectId"] in ids for r in o.get("relationships", []))
    times = [e["time"] for e in document["events"]]
    assert times == sorted(times)
    for e in document["events"]:
        assert {a["name"] for a in e["attributes"]} <= event_types[e["type"]]
        assert all(r["objectId"] in ids for r in e["relationships"])
    kinds = {o["type"] for o in document["objects"]}
    assert kinds == {"child", "case", "hearing", "court", "cafcass", "local authority", "experts"}
    assert {"case issued", "order made", "safeguarding_checks started", "final_hearing ended"} <= set(event_types)


def test_a_returning_child_is_linked_to_both_of_its_cases(results, journey) -> None:
    _, document = journey
    children = results.children[results.children["replication"] == 0]
    returning = children[children["is_return"] & (children["case_number"] > 1)]  # back after a case of the run
    assert len(returning), "the small scenario should have a return to court within a year"
    child_id = int(returning["child_id"].iloc[0])
    cases = children.loc[children["child_id"] == child_id].sort_values("case_number")["case_id"].tolist()
    assert len(cases) >= 2
    child = next(o for o in document["objects"] if o["id"] == f"child-{child_id}")
    assert [r["objectId"] for r in child["relationships"]] == [f"case-{c}" for c in cases]
    assert len([a for a in child["attributes"] if a["name"] == "age_band"]) == len(cases)
    later = next(o for o in document["objects"] if o["id"] == f"case-{cases[1]}")
    assert {"objectId": f"case-{cases[0]}", "qualifier": "return after"} in later["relationships"]
    # the child's events cover both cases, end to end, across agencies
    mine = [
        e
        for e in document["events"]
        if {"objectId": f"child-{child_id}", "qualifier": "subject child"} in e["relationships"]
    ]
    case_of = {e["id"]: next(r["objectId"] for r in e["relationships"] if r["qualifier"] == "case") for e in mine}
    assert set(case_of.values()) == {f"case-{c}" for c in cases}
    assert [e["type"] for e in mine].count("case issued") == len(cases)
    agencies = {
        r["objectId"].split("-")[0]
        for e in mine
        for r in e["relationships"]
        if r["qualifier"] in ("heard by", "allocated to", "handled by")
    }
    assert "court" in agencies and len(agencies) >= 2


def test_stage_events_carry_the_stage_table_times(results, journey) -> None:
    _, document = journey
    stages = results.stages[results.stages["replication"] == 0]
    started = [e for e in document["events"] if e["type"].endswith(" started")]
    assert len(started) == len(stages)
    first = stages.sort_values("started").iloc[0]
    event = next(
        e
        for e in started
        if e["type"] == f"{first['stage']} started"
        and {"objectId": f"case-{first['case_id']}", "qualifier": "case"} in e["relationships"]
    )
    assert pd.Timestamp(event["time"].rstrip("Z")) == first["started"]


def test_max_children_samples_by_child_id_with_siblings(results, tmp_path) -> None:
    path = ocel.export(results.out, replication=1, max_children=50, out=tmp_path / "sample.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert not list(VALIDATOR.iter_errors(document))
    kids = [o for o in document["objects"] if o["type"] == "child"]
    children = results.children[results.children["replication"] == 1]
    assert 50 <= len(kids) < 50 * 5  # the sample and their siblings
    ids = sorted(int(o["id"].split("-")[1]) for o in kids)
    assert ids[0] == children["child_id"].min()  # evenly spaced over the whole run, not the first 50
    assert ids[-1] > children["child_id"].quantile(0.9)


def test_the_sample_is_of_children_of_the_results_period_with_all_their_cases() -> None:
    """A child whose only cases began in the warm-up (or were open at the start) is never sampled; a child of the
    results period brings its warm-up cases too, as its journey."""
    warm = [True] * 40 + [False] * 60
    children = pd.DataFrame(
        {"child_id": range(100), "case_id": range(100), "warm_up": warm, "from_open_caseload": [False] * 100}
    )
    children.loc[99, "from_open_caseload"] = True
    back = pd.DataFrame({"child_id": [0], "case_id": [500], "warm_up": [False], "from_open_caseload": [False]})
    children = pd.concat([children, back], ignore_index=True)  # child 0: a warm-up case, then one in the results
    sample = ocel.sample_children(children, 10)
    ids = set(sample["child_id"])
    assert len(ids) == 10 and ids <= {0, *range(40, 99)}
    assert 0 in ids and set(sample.loc[sample["child_id"] == 0, "case_id"]) == {0, 500}  # the lowest id, both cases
    assert set(ocel.sample_children(children, 1000)["child_id"]) == {0, *range(40, 99)}  # all of them, no more


def test_command_line_and_errors(results, tmp_path, capsys) -> None:
    assert main(["ocel", str(results.out), "--max-children", "20", "--out", str(tmp_path / "j.json")]) == 0
    assert (tmp_path / "j.json").exists()
    assert main(["ocel", str(tmp_path)]) == 2
    assert "not a results directory" in capsys.readouterr().err
    with pytest.raises(ResultsDirError):
        ocel.export(tmp_path / "missing")
