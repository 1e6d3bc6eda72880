"""The journey log: one replication's children, cases, hearings and agencies as an OCEL 2.0 JSON event log.

OCEL 2.0 (object-centric event logs, https://www.ocel-standard.org) lets an event refer to several objects,
each with a qualifier, so one child can be followed across every agency and every case by one identifier --
the thing the real system lacks. Built from ``children.parquet`` and ``stages.parquet`` of a results directory.

Objects (ids)
    ``child-<child_id>``, ``case-<case_id>``, ``hearing-<case_id>-<n>`` (one per hearing stage row, in order),
    ``court-<region>``, ``cafcass-<region>``, ``experts-<region>`` (one per region) and
    ``la-<local_authority>`` (one per local authority). A child who returns to court is the same
    ``child-<id>`` object, linked to both cases; the later case is linked to the earlier one ("return after").

Events (types)
    ``case issued``; ``<stage> requested`` / ``<stage> started`` / ``<stage> ended`` for every stage (for a
    hearing: listing asked for, hearing day, day after); ``order made`` (with the outcome) or
    ``case diverted`` (pre-proceedings ended without an application). Each event is related to its case
    ("case"), the case's children ("subject child") and the agency involved ("heard by" a court for a
    hearing, "handled by" a court otherwise, "allocated to" Cafcass, a local authority or experts, "hearing"
    for the hearing object). A case still open at the end of the run has no closing event (its ``status``
    attribute says ``open``).

Times are the simulated calendar as the stage table stores them (to the hour), in ISO 8601 UTC (``...Z``); a
stage under way at the end of the run does not appear (stages are recorded when they end). A stage's events carry
what their type and objects do not say: "started" the days waited (a hearing's split into notice and waiting for a
listing), "ended" the days worked.

``max_children`` keeps an evenly spaced sample of the children of the results period (as the indicators count
them), with every case of each and the siblings in those cases; only those cases' rows are read. ``run`` writes
``DIR/journey_rep-0000.ocel.json`` for the first replication, sampling at most :data:`RUN_MAX_CHILDREN` children
(``python run_sim.py ocel DIR [--replication R] [--max-children N] [--out FILE]`` writes another).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.attribution import case_events
from sim.experiment.owned_files import ledger, write_atomically
from sim.experiment.results_folder import ResultsDirError
from sim.experiment.run_tables import check_results_dir, read_table, replications_in

RUN_MAX_CHILDREN = 3_000
"""Children sampled into the journey log written at the end of ``run``: about 8 kB of JSON each (with siblings, cases,
hearings and events), 25 MB for a national replication, a tenth of the run folder (docs/performance.md)."""
AGENCY_OBJECT = {"court": "court", "cafcass": "cafcass", "local_authority": "local authority", "experts": "experts"}
DAY = pd.Timedelta(days=1)
RESULTS_FLAGS = ("warm_up", "from_open_caseload")
EPOCH = "1970-01-01T00:00:00Z"
"""The time given to attribute values that hold for the object's whole life (OCEL convention)."""


def journey_path(directory: Path, replication: int = 0) -> Path:
    return Path(directory) / f"journey_rep-{replication:04d}.ocel.json"


def sample_children(children: pd.DataFrame, max_children: int | None) -> pd.DataFrame:
    """Rows of an evenly spaced sample of at most ``max_children`` child ids, with their siblings' rows: ids of the
    results period (a case not begun in the warm-up or open at the start) if ``children`` has any, all their cases."""
    if not max_children:
        return children
    pool = children
    if set(RESULTS_FLAGS) <= set(children.columns):
        results = ~(children["warm_up"].astype(bool) | children["from_open_caseload"].astype(bool))
        pool = children[results] if results.any() else children
    ids = np.sort(pool["child_id"].unique())
    if len(ids) <= max_children and len(pool) == len(children):
        return children
    chosen = ids[np.unique(np.linspace(0, len(ids) - 1, min(max_children, len(ids))).round().astype(int))]
    cases = children.loc[children["child_id"].isin(chosen), "case_id"].unique()
    return children[children["case_id"].isin(cases)]


def _ocel_type(dtype: Any) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    return "string"


def _iso_series(values: pd.Series) -> list[str | None]:
    text = pd.to_datetime(values).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return [None if pd.isna(t) else t for t in text]


def _dumps(value: Any) -> str:
    """Compact JSON, as the whole document is written (the C encoder)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def build(children: pd.DataFrame, stages: pd.DataFrame, serialised: bool = False) -> dict[str, Any]:
    """The OCEL 2.0 document (a dict ready for ``json.dumps``) for one replication's children and stages.

    With ``serialised``, each object and event is kept as its JSON text as soon as it is made (what :func:`export`
    writes), not as nested dicts: a sample of a national run's children makes tens of thousands of events, which
    as dicts take several times the memory of their text.
    """
    from sim.analysis.rows import breakdowns

    keep = _dumps if serialised else (lambda value: value)

    children = children.sort_values(["child_id", "case_number"], kind="stable").reset_index(drop=True)
    stages = stages[stages["case_id"].isin(children["case_id"].unique())]
    stages = stages.sort_values(["case_id", "requested", "started", "ended"], kind="stable").reset_index(drop=True)
    extra = [c for c in breakdowns(children) if c not in ("case_type", "pathway", "domestic_abuse", "region")]

    # cases, with when each was issued and ended (the end of its last stage on the day it ended; a Pathfinder
    # review runs on after the order), and the child's previous case for a return to court
    cases = children.drop_duplicates("case_id").set_index("case_id").sort_index()
    times = case_events(children, stages).set_index("case_id")
    last = stages[stages["stage"].astype(str) != "review"].groupby("case_id")["ended"].max().reindex(cases.index)
    end_midnight = pd.to_datetime(cases["end_date"])
    ended = last.where(last.dt.normalize() == end_midnight, end_midnight)
    case_rows = pd.DataFrame(
        {
            "case_id": cases.index.to_numpy(),
            "region": cases["region"].astype(str).to_numpy(),
            "la": cases["local_authority"].astype(str).to_numpy(),
            "case_type": cases["case_type"].astype(str).to_numpy(),
            "pathway": cases["pathway"].astype(str).to_numpy(),
            "domestic_abuse": cases["domestic_abuse"].astype(bool).to_numpy(),
            "is_return": cases["is_return"].astype(bool).to_numpy(),
            "status": cases["status"].astype(str).to_numpy(),
            "outcome": cases["outcome"].astype(str).to_numpy(),
            "days_to_disposal": cases["days_to_disposal"].to_numpy(dtype=float),
            "issued": _iso_series(times["issued"].reindex(cases.index)),
            "ended": _iso_series(ended),
        }
    ).to_dict("records")
    previous = children.groupby("child_id", sort=False)["case_id"].shift(1)
    returns = pd.DataFrame({"case_id": children["case_id"], "previous": previous}).dropna()
    previous_case = dict(zip(returns["case_id"], returns["previous"].astype(int), strict=True))
    kids_of = children.groupby("case_id", sort=False)["child_id"].agg(list).to_dict()
    issued_of = {c["case_id"]: c["issued"] for c in case_rows}

    objects: list[Any] = []

    def add(item: dict[str, Any]) -> None:
        objects.append(keep(item))

    regions = sorted({c["region"] for c in case_rows})
    for region in regions:
        for kind in ("court", "cafcass", "experts"):
            add(
                {
                    "id": f"{kind}-{region}",
                    "type": AGENCY_OBJECT[kind],
                    "attributes": [{"name": "region", "time": EPOCH, "value": region}],
                }
            )
    for la, region in sorted({(c["la"], c["region"]) for c in case_rows}):
        add(
            {
                "id": f"la-{la}",
                "type": "local authority",
                "attributes": [{"name": "region", "time": EPOCH, "value": region}],
                "relationships": [{"objectId": f"court-{region}", "qualifier": "in the area of"}],
            }
        )

    # children: one object each, with the age band at the start of each of their cases
    kid_rows = pd.DataFrame(
        {
            "child_id": children["child_id"].to_numpy(),
            "case_id": children["case_id"].to_numpy(),
            "age": children["age_at_start_years"].to_numpy(dtype=float).round(3),
            "age_band": children["age_band"].astype(str).to_numpy(),
            **{c: children[c].astype(str).to_numpy() for c in extra if c != "age_band"},
        }
    ).to_dict("records")
    child_objects: dict[int, dict[str, Any]] = {}
    for row in kid_rows:
        child = child_objects.get(row["child_id"])
        if child is None:
            attributes = [{"name": "age_at_first_case_years", "time": EPOCH, "value": row["age"]}]
            attributes += [{"name": c, "time": EPOCH, "value": row[c]} for c in extra if c != "age_band"]
            child = child_objects[row["child_id"]] = {
                "id": f"child-{row['child_id']}",
                "type": "child",
                "attributes": attributes,
                "relationships": [],
            }
        child["attributes"].append({"name": "age_band", "time": issued_of[row["case_id"]], "value": row["age_band"]})
        child["relationships"].append({"objectId": f"case-{row['case_id']}", "qualifier": "subject of"})
    objects += [keep(child) for child in child_objects.values()]
    del child_objects

    # stages, with an id for each hearing
    stage_rows = pd.DataFrame(
        {
            "case_id": stages["case_id"].to_numpy(),
            "stage": stages["stage"].astype(str).to_numpy(),
            "agency": stages["agency"].astype(str).to_numpy(),
            "requested": _iso_series(stages["requested"]),
            "started": _iso_series(stages["started"]),
            "ended": _iso_series(stages["ended"]),
            "waited": ((stages["started"] - stages["requested"]) / DAY).round(4).to_numpy(),
            "worked": ((stages["ended"] - stages["started"]) / DAY).round(4).to_numpy(),
            "notice": stages["notice_days"].round(4).to_numpy() if "notice_days" in stages else np.nan,
        }
    ).to_dict("records")
    stages_of: dict[int, list[dict[str, Any]]] = {}
    hearings_of: dict[int, list[str]] = {}
    region_of = {c["case_id"]: c["region"] for c in case_rows}
    for row in stage_rows:
        case_id = row["case_id"]
        stages_of.setdefault(case_id, []).append(row)
        if row["stage"].endswith("hearing"):
            hearings = hearings_of.setdefault(case_id, [])
            row["hearing"] = f"hearing-{case_id}-{len(hearings) + 1}"
            hearings.append(row["hearing"])
            add(
                {
                    "id": row["hearing"],
                    "type": "hearing",
                    "attributes": [
                        {"name": "stage", "time": EPOCH, "value": row["stage"]},
                        {"name": "listed", "time": row["requested"], "value": row["started"]},
                    ],
                    "relationships": [
                        {"objectId": f"case-{case_id}", "qualifier": "hearing of"},
                        {"objectId": f"court-{region_of[case_id]}", "qualifier": "heard by"},
                    ],
                }
            )

    events: list[tuple[str, int, Any]] = []
    kinds: dict[str, dict[str, str]] = {}

    def event(kind: str, time: str, attributes: dict[str, Any], relationships: list[dict[str, str]]) -> None:
        declared = kinds.setdefault(kind, {})
        for name, value in attributes.items():
            declared.setdefault(name, next((t for cls, t in ATTRIBUTE_TYPES if isinstance(value, cls)), "string"))
        named = [{"name": k, "value": v} for k, v in attributes.items()]
        body = {"type": kind, "time": time, "relationships": relationships, "attributes": named}
        events.append((time, len(events), keep(body)))

    for case in case_rows:
        case_id, region, status = case["case_id"], case["region"], case["status"]
        la = f"la-{case['la']}"
        subject = [{"objectId": f"child-{k}", "qualifier": "subject child"} for k in kids_of[case_id]]
        own = [{"objectId": f"case-{case_id}", "qualifier": "case"}, *subject]
        relationships = [
            *subject,
            {"objectId": f"court-{region}", "qualifier": "heard in"},
            {"objectId": f"cafcass-{region}", "qualifier": "cafcass"},
            {"objectId": la, "qualifier": "local authority"},
        ]  # its hearings are linked to it from their side ("hearing of")
        if case_id in previous_case:
            relationships.append({"objectId": f"case-{previous_case[case_id]}", "qualifier": "return after"})
        attributes = [
            {"name": name, "time": EPOCH, "value": case[name]}
            for name in ("case_type", "pathway", "region", "domestic_abuse", "is_return")
        ]
        attributes.append({"name": "local_authority", "time": EPOCH, "value": case["la"]})
        closing = case["ended"]
        status_time = closing if status != "open" and closing else EPOCH
        attributes.append({"name": "status", "time": status_time, "value": status})
        days = round(case["days_to_disposal"], 3)
        if status == "disposed":
            attributes.append({"name": "outcome", "time": status_time, "value": case["outcome"]})
            attributes.append({"name": "days_to_disposal", "time": status_time, "value": days})
        add({"id": f"case-{case_id}", "type": "case", "attributes": attributes, "relationships": relationships})

        if status != "diverted":
            event(
                "case issued",
                case["issued"],
                {"case_type": case["case_type"], "pathway": case["pathway"], "is_return": case["is_return"]},
                [
                    *own,
                    {"objectId": f"court-{region}", "qualifier": "issued in"},
                    {"objectId": la, "qualifier": "local authority"},
                ],
            )
        for row in stages_of.get(case_id, []):
            agency = row["agency"]
            if agency == "court":
                agent = {"objectId": f"court-{region}", "qualifier": "heard by" if "hearing" in row else "handled by"}
            elif agency == "local_authority":
                agent = {"objectId": la, "qualifier": "allocated to"}
            else:
                agent = {"objectId": f"{agency}-{region}", "qualifier": "allocated to"}
            links = [*own, agent]
            if "hearing" in row:
                links.append({"objectId": row["hearing"], "qualifier": "hearing"})
            stage = row["stage"]  # the event type names the stage, its agency is the object it relates to
            event(f"{stage} requested", row["requested"], {}, links)
            waited = {"waited_days": row["waited"]}
            if "hearing" in row and row["notice"] == row["notice"]:  # not NaN: the wait split in two
                waited |= {"notice_days": row["notice"], "listing_wait_days": round(row["waited"] - row["notice"], 4)}
            event(f"{stage} started", row["started"], waited, links)
            event(f"{stage} ended", row["ended"], {"active_days": row["worked"]}, links)
        if status == "disposed":
            event(
                "order made",
                closing,
                {"outcome": case["outcome"], "days_to_disposal": days},
                [*own, {"objectId": f"court-{region}", "qualifier": "made by"}],
            )
        elif status == "diverted":
            event(
                "case diverted",
                closing,
                {"case_type": case["case_type"]},
                [*own, {"objectId": la, "qualifier": "local authority"}],
            )

    events.sort(key=lambda e: (e[0], e[1]))
    if serialised:  # the id goes first, as in the dict: '{"id":"e1",' then the rest of the event's text
        ordered: list[Any] = [f'{{"id":"e{i + 1}",{e[1:]}' for i, (_, _, e) in enumerate(events)]
    else:
        ordered = [{"id": f"e{i + 1}", **e} for i, (_, _, e) in enumerate(events)]
    return {
        "objectTypes": _object_types(children, extra),
        "eventTypes": _event_types(kinds),
        "objects": objects,
        "events": ordered,
    }


CASE_BOOLEANS = ("domestic_abuse", "is_return")
CASE_ATTRIBUTES = ("case_type", "pathway", "region", "local_authority", *CASE_BOOLEANS, "status", "outcome")
"""A case object's attributes besides its days to disposal (:data:`CASE_BOOLEANS` true or false, the rest text)."""


def _object_types(children: pd.DataFrame, extra: list[str]) -> list[dict[str, Any]]:
    region = [{"name": "region", "type": "string"}]
    child = [{"name": "age_at_first_case_years", "type": "float"}, {"name": "age_band", "type": "string"}]
    child += [{"name": c, "type": _ocel_type(children[c].dtype)} for c in extra if c != "age_band"]
    case = [{"name": n, "type": "boolean" if n in CASE_BOOLEANS else "string"} for n in CASE_ATTRIBUTES] + [
        {"name": "days_to_disposal", "type": "float"}
    ]
    hearing = [{"name": "stage", "type": "string"}, {"name": "listed", "type": "time"}]
    return [
        {"name": "child", "attributes": child},
        {"name": "case", "attributes": case},
        {"name": "hearing", "attributes": hearing},
        *[{"name": name, "attributes": region} for name in AGENCY_OBJECT.values()],
    ]


ATTRIBUTE_TYPES = ((bool, "boolean"), (float, "float"), (int, "integer"))
"""An event attribute's OCEL type by its Python type, in this order (a bool is an int too); any other is a string."""


def _event_types(kinds: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """``eventTypes``: each event type with its attributes' types, in name order."""
    return [
        {"name": name, "attributes": [{"name": a, "type": t} for a, t in attributes.items()]}
        for name, attributes in sorted(kinds.items())
    ]


def export(
    directory: str | Path,
    replication: int | None = None,
    max_children: int | None = None,
    out: str | Path | None = None,
) -> Path:
    """Write the journey log of one replication (default the first) of a results directory; return its path."""
    directory = Path(directory)
    check_results_dir(directory)
    if replication is None:
        replication = replications_in(directory)[0]
    ids = read_table(directory, "children", replication, columns=["child_id", "case_id", *RESULTS_FLAGS])
    if ids.empty:
        raise ResultsDirError(f"{directory} has no children in replication {replication}")
    cases = sample_children(ids, max_children)["case_id"].unique().tolist()
    del ids
    sampled = [("case_id", "in", cases)] if max_children else None  # only the sample's rows are read
    children = read_table(directory, "children", replication, filters=sampled)
    stages = read_table(directory, "stages", replication, filters=sampled)
    document = build(children, stages, serialised=True)
    del children, stages
    path = Path(out) if out else journey_path(directory, replication)

    def write(tmp: Path) -> None:  # piece by piece: the document is never held as one string
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(f'{{"objectTypes":{_dumps(document["objectTypes"])}')
            handle.write(f',"eventTypes":{_dumps(document["eventTypes"])}')
            for key in ("objects", "events"):
                handle.write(f',"{key}":[')
                for i, text in enumerate(document[key]):
                    handle.write(f",{text}" if i else text)
                handle.write("]")
            handle.write("}")

    with ledger(directory, strict=False, owner=False):  # listed in the run's manifest, so --force removes it
        write_atomically(path, write)
    return path
