"""Scale (issue 6.3): a replication's peak memory follows the number of open cases, not the cases ever simulated.

Results are streamed to Parquet in chunks (sim.model.columns.TableSink), so a run four times as long, with the same
open caseload, must not need four times the memory. The test runs the small scenario at ten times its volume
and capacity for one year and for four years of results (after the same year of warm-up) with chunks of 5,000
rows, and compares the peak Python heap (tracemalloc, which sees numpy's buffers too) during ``Replication.run``.

The small scenario's courts are short of sitting time, so its backlog grows year on year; here they get half as
much time again (15x rather than 10x) so the open caseload levels off and the comparison is like for like.
"""

from __future__ import annotations

import copy
import gc
import math
import tracemalloc
from functools import partial
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from sim.model import records
from sim.model.replication import Replication
from sim.scenario.loading import scenario_from_dict, set_path

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
FACTOR = 10
COURT_FACTOR = 15
CHUNK_ROWS = 5_000
SCALED = {
    "demand.*.cases_per_year": FACTOR,
    "regions.*.court.sitting_hours_per_day.*": COURT_FACTOR,
    "regions.*.cafcass.short_term_advisers": FACTOR,
    "regions.*.cafcass.long_term_advisers": FACTOR,
    "regions.*.local_authority.social_workers": FACTOR,
    "regions.*.experts.assessors": FACTOR,
}


def scaled_small(run_years: int):
    data = copy.deepcopy(yaml.safe_load(SMALL.read_text(encoding="utf-8")))
    for key, factor in SCALED.items():
        assert set_path(data, key, factor, scale=True) is None, key
    data["name"] = f"small_x{FACTOR}_{run_years}y"
    data["run_years"] = run_years
    data["starting_state"] = {"warm_up_days": 365}
    return scenario_from_dict(data, data["name"])


def peak_during_run(run_years: int, directory: Path) -> tuple[float, object]:
    """(peak traced heap in MiB during Replication.run, its RunStats), results streamed in small chunks."""
    with pytest.MonkeyPatch.context() as patch:  # every table the recorder makes streams in small chunks
        patch.setattr(records, "TableSink", partial(records.TableSink, chunk_rows=CHUNK_ROWS))
        replication = Replication(scaled_small(run_years), 0, directory)
    assert replication.recorder.stages.chunk_rows == CHUNK_ROWS
    gc.collect()
    tracemalloc.start()
    try:
        stats = replication.run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20, stats


@pytest.mark.slow
@pytest.mark.interpreted_model  # it patches the recorder's tables to stream in small chunks
def test_peak_memory_follows_open_cases_not_cases_simulated(tmp_path) -> None:
    short_peak, short = peak_during_run(1, tmp_path / "one_year")
    long_peak, long = peak_during_run(4, tmp_path / "four_years")
    assert long.cases_created > 2.4 * short.cases_created  # 4x the results-period cases, 2.5x in all
    assert long.cases_open_at_end < 1.3 * short.cases_open_at_end  # about the same open caseload
    children = pq.ParquetFile(tmp_path / "four_years" / "children.parquet")
    # the rows really were streamed out in chunks of 5,000 cases (the warm-up's finished cases are only counted)
    stored_cases = long.cases_created - long.cases_closed_in_warm_up
    assert children.metadata.num_row_groups == math.ceil(stored_cases / CHUNK_ROWS) > 5
    print(
        f"\n1 year: {short.cases_created} cases, {short.cases_open_at_end} open, peak {short_peak:.1f} MiB; "
        f"4 years: {long.cases_created} cases, {long.cases_open_at_end} open, peak {long_peak:.1f} MiB"
    )
    assert long_peak < 1.6 * short_peak
