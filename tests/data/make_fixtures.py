"""Writes the example CSVs in this folder (fixed seeds, so they never change): ``python tests/data/make_fixtures.py``.

- durations.csv: days from issue to final order of 300 completed cases in two local authorities, whole days:
  leeds lognormal (median 90, sigma 0.5), kent gamma (shape 3, scale 35); two blank cells and two zeros.
- monthly_applications.csv: applications per month and region, 2020-01 to 2023-12, Poisson counts with the
  simulator's own rate (sim.model.arrivals): 6000 a year at 2020-01-01, trend -3% a year, the seasonality below,
  region shares north_east 0.62 and wales 0.38.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEASONALITY = [1.1, 1.0, 1.0, 0.95, 1.0, 0.95, 1.0, 0.9, 1.0, 1.05, 1.05, 1.0]
SHARES = {"north_east": 0.62, "wales": 0.38}


def durations() -> pd.DataFrame:
    rng = np.random.default_rng(20240501)
    leeds = np.round(rng.lognormal(np.log(90), 0.5, 150))
    kent = np.round(rng.gamma(3.0, 35.0, 150))
    days = np.concatenate([leeds, kent]).astype(object)
    days[[10, 160]] = 0
    days[[25, 200]] = ""
    return pd.DataFrame(
        {
            "case_id": [f"C{i:04d}" for i in range(1, 301)],
            "local_authority": ["leeds"] * 150 + ["kent"] * 150,
            "days_to_final_order": [d if d == "" else int(d) for d in days],
        }
    )


def monthly_applications() -> pd.DataFrame:
    rng = np.random.default_rng(20240502)
    months = pd.period_range("2020-01", "2023-12", freq="M")
    years = np.array([(m.start_time - pd.Timestamp("2020-01-01")).days / 365.25 for m in months])
    season = np.array(SEASONALITY) / np.mean(SEASONALITY)
    mean = 6000 * 0.97**years * season[months.month - 1] * months.days_in_month / 365.25
    rows = [
        (str(m), region, int(c))
        for region, share in SHARES.items()
        for m, c in zip(months, rng.poisson(mean * share), strict=True)
    ]
    return pd.DataFrame(rows, columns=["month", "region", "count"]).sort_values(["month", "region"])


if __name__ == "__main__":
    durations().to_csv(HERE / "durations.csv", index=False)
    monthly_applications().to_csv(HERE / "monthly_applications.csv", index=False)
