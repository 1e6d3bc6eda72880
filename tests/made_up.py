"""Made-up children for tests whose indicators can be worked out by hand: rows of a children table."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from sim.analysis.attribution import ATTRIBUTION_COLUMNS

START = dt.date(2024, 1, 1)
END = pd.Timestamp("2025-01-01")
PERIOD = (pd.Timestamp(START), END)


def child_rows(rows: list[dict]) -> pd.DataFrame:
    """A children table with the columns of children.parquet, from a few hand-written rows."""
    defaults = {
        "replication": 0,
        "case_type": "private_law",
        "pathway": "private_law",
        "region": "north",
        "local_authority": "north_la01",
        "domestic_abuse": False,
        "age_at_start_years": 5.0,
        "age_band": "older",
        "is_return": False,
        "case_number": 1,
        "warm_up": False,
        "from_open_caseload": False,
        "status": "disposed",
        "days_to_first_hearing": 10.0,
        "days_before_run": 0.0,
        "pre_proceedings_days": 0.0,
        "hearings": 2,
        "adjournments": 0,
        "vacated": 0,
        "outcome": "no_order",
        **{c: 0.0 for c in ATTRIBUTION_COLUMNS},
    }
    out = []
    for i, row in enumerate(rows):
        full = {"child_id": i, "case_id": i, **defaults, **row}
        start = full["start_date"]
        full.setdefault("arrival_date", start)
        if full["status"] == "open":
            full.setdefault("end_date", None)
            full.setdefault("days_in_proceedings", (END.date() - start).days)
            full.setdefault("days_to_disposal", math.nan)
        else:
            full.setdefault("days_in_proceedings", (full["end_date"] - start).days)
            full.setdefault("days_to_disposal", full["days_in_proceedings"])
        full.setdefault("days_to_first_disposal", full["days_to_disposal"])
        full["wait_court_days"] = full["days_in_proceedings"] - full["days_before_run"]
        out.append(full)
    frame = pd.DataFrame(out)
    order = [
        "child_id",
        "case_id",
        "case_type",
        "pathway",
        "region",
        "local_authority",
        "domestic_abuse",
        "age_at_start_years",
        "age_band",
        *[c for c in frame.columns if c.startswith("extra_")],
        "is_return",
    ]
    return frame[order + [c for c in frame.columns if c not in order]]


def hand_rows() -> pd.DataFrame:
    """Six children whose indicators can be worked out by hand (the comments say how)."""
    d = dt.date
    return child_rows(
        [
            # a baby in care proceedings, disposed after 200 days (over 26 weeks)
            {
                "case_type": "public_law",
                "pathway": "public_law",
                "age_at_start_years": 0.0,
                "age_band": "baby",
                "start_date": d(2024, 1, 1),
                "end_date": d(2024, 7, 19),
                "hearings": 3,
                "adjournments": 1,
            },
            # public law, 100 days, two siblings in one case (case 1)
            {
                "case_id": 1,
                "case_type": "public_law",
                "pathway": "public_law",
                "start_date": d(2024, 2, 1),
                "end_date": d(2024, 5, 11),
                "hearings": 2,
            },
            {
                "case_id": 1,
                "case_type": "public_law",
                "pathway": "public_law",
                "start_date": d(2024, 2, 1),
                "end_date": d(2024, 5, 11),
                "hearings": 2,
            },
            # private law still open at the end, started 400 days before the end in the warm-up
            {"warm_up": True, "status": "open", "start_date": d(2023, 11, 28), "domestic_abuse": True},
            # private law open at the end after 30 days
            {"status": "open", "start_date": d(2024, 12, 2), "extra_need": "high"},
            # diverted: never in proceedings
            {
                "status": "diverted",
                "start_date": d(2024, 3, 1),
                "end_date": d(2024, 3, 20),
                "days_in_proceedings": math.nan,
                "days_to_first_hearing": math.nan,
                "days_to_disposal": math.nan,
            },
        ]
    ).assign(extra_need=lambda f: f["extra_need"].fillna("low"))
