"""What a run does after its replications (summary, report, journey log) holds about as much memory for six
replications as for two, and for a long run as for a short one: the report aggregates the Parquet files with
DuckDB rather than reading their rows into pandas (issue 14, item 2).

The folders are made from one real replication of the small scenario, its rows repeated (with new case and child
ids) to stand for a bigger run, and copied to more replications: the tool reads them as it reads any run. Each
measurement runs in a fresh process and takes the growth of its peak resident memory over what the imports
left. As a control, the same measurement of reading every replication's children into pandas grows with the
rows, so the comparison would catch a report that did that.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from sim.cli.main import main
from sim.experiment.results_folder import parquet_file

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
ROWS_FACTOR = 20
"""One small replication's rows repeated this many times: about 100,000 child rows a replication."""

MEASURE = """
import json, sys
from pathlib import Path
from sim.experiment.memory import return_freed_memory
return_freed_memory()
import duckdb, matplotlib, pandas
import sim.outputs.report, sim.outputs.ocel, sim.outputs.report_figures, sim.experiment.run_aggregates
from sim.experiment.replications import collect_indicators
from sim.analysis.statistics import summarise
from sim.experiment.run_tables import read_table, replications_in

def peak():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

def now():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

folder, step = Path(sys.argv[1]), sys.argv[2]
Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from what the imports left
before = now()
if step == "post-processing":
    summarise(collect_indicators(folder, replications_in(folder)))
    sim.outputs.report.write_report(folder)
    sim.outputs.ocel.export(folder, max_children=sim.outputs.ocel.RUN_MAX_CHILDREN)
else:  # the control: every replication's children in pandas at once
    children = read_table(folder, "children")
print(json.dumps({"growth_mib": peak() - before}))
"""


def growth_mib(folder: Path, step: str) -> float:
    """Peak resident memory of ``step`` on ``folder``, above what importing everything left, in a fresh process
    (Linux: the peak is reset through /proc/self/clear_refs once the imports are done)."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(folder), step], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])["growth_mib"]


def repeated(table: pa.Table, times: int, offset: int) -> pa.Table:
    """The rows ``times`` over, each copy's case and child ids moved on by ``offset`` (so they stay distinct)."""
    parts = []
    for k in range(times):
        part = table
        for column in ("case_id", "child_id"):
            if column in part.column_names:
                index = part.schema.get_field_index(column)
                part = part.set_column(index, column, pc.add(part[column], k * offset))
        parts.append(part)
    return pa.concat_tables(parts)


def with_replication(table: pa.Table, replication: int) -> pa.Table:
    index = table.schema.get_field_index("replication")
    values = pa.array([replication] * table.num_rows, type=table.schema.field(index).type)
    return table.set_column(index, "replication", values)


def make_run(source: Path, out: Path, replications: int, rows_factor: int) -> Path:
    """A run folder of ``replications`` copies of ``source``'s replication 0, its rows ``rows_factor`` times over."""
    out.mkdir()
    for name in ("manifest.json", "summary.csv", "drift.csv", "indicators.csv"):
        shutil.copy(source / name, out / name)
    first = source / "replications" / "rep-0000"
    tables = {t: pq.read_table(first / f"{t}.parquet") for t in ("children", "stages", "timeline", "indicators")}
    offset = int(pc.max(tables["children"]["case_id"]).as_py()) + int(pc.max(tables["children"]["child_id"]).as_py())
    for r in range(replications):
        folder = out / "replications" / f"rep-{r:04d}"
        folder.mkdir(parents=True)
        for name, table in tables.items():
            times = rows_factor if name in ("children", "stages") else 1
            pq.write_table(with_replication(repeated(table, times, offset), r), folder / f"{name}.parquet")
        stats = json.loads((first / "stats.json").read_text(encoding="utf-8"))
        (folder / "stats.json").write_text(json.dumps({**stats, "replication": r}), encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    one = next(iter(manifest["replications"].values()))
    manifest["replications"] = {f"{r:04d}": {**one, "replication": r} for r in range(replications)}
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One replication of the small scenario over three years."""
    folder = tmp_path_factory.mktemp("source")
    scenario = folder / "three_years.yaml"
    scenario.write_text(f"extends: {SMALL}\nname: three_years\nrun_years: 3\n", encoding="utf-8")
    out = folder / "run"
    assert main(["run", str(scenario), "--replications", "1", "--workers", "1", "--out", str(out), "--no-report"]) == 0
    return out


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="resets the peak through Linux's /proc")
def test_post_processing_memory_does_not_grow_with_replications_or_run_length(source: Path, tmp_path: Path) -> None:
    two = make_run(source, tmp_path / "two", 2, ROWS_FACTOR)
    six = make_run(source, tmp_path / "six", 6, ROWS_FACTOR)
    longer = make_run(source, tmp_path / "longer", 2, 3 * ROWS_FACTOR)  # three times the rows a replication
    rows = pq.read_metadata(two / "replications" / "rep-0000" / "children.parquet").num_rows
    assert rows > 80_000
    naive = {name: growth_mib(folder, "control") for name, folder in (("two", two), ("six", six))}
    assert naive["six"] > 2.2 * naive["two"]  # holding every child row grows with them: the test can tell
    measured = {name: growth_mib(folder, "post-processing") for name, folder in (("two", two), ("six", six))}
    measured["longer"] = growth_mib(longer, "post-processing")
    print(f"\nchild rows a replication {rows:,}; growth in MiB: control {naive}, post-processing {measured}")
    assert measured["six"] < 1.3 * measured["two"] + 10  # three times the replications
    assert measured["longer"] < 1.3 * measured["two"] + 10  # three times the rows a replication
    assert (six / "report.html").is_file() and (six / "journey_rep-0000.ocel.json").is_file()


def test_children_whose_case_closed_in_the_warm_up_are_not_read_and_change_no_indicator(tmp_path, monkeypatch) -> None:
    """A replication's indicators read only the children whose case was open at some time in the results period
    (and their stages): the same indicators as from every row, from a fraction of the rows after a long warm-up
    whose rows were kept (``keep_warm_up_rows``)."""
    import pandas as pd

    import sim.experiment.replication_indicators as lean
    from sim.experiment.run_tables import replication_dir
    from sim.scenario.loading import load_scenario
    from tests.conftest import SMALL

    scenario = tmp_path / "warm.yaml"
    scenario.write_text(  # the rows stored (by default they are only counted: sim.model.records)
        f"extends: {SMALL}\nname: warm\nstarting_state: {{warm_up_days: 730, keep_warm_up_rows: true}}\n",
        encoding="utf-8",
    )
    out = tmp_path / "run"
    args = ["--replications", "1", "--workers", "1", "--no-report", "--allow-root", str(SMALL.parent)]
    assert main(["run", str(scenario), *args, "--out", str(out)]) == 0
    directory = replication_dir(out, 0)
    loaded = load_scenario(scenario, roots=[SMALL.parent])
    kept = lean._open_at(parquet_file(directory / "children.parquet"), lean.results_period(loaded.scenario)[0])
    assert 0 < pc.sum(kept).as_py() < 0.6 * len(kept)  # two years of warm-up before one of results
    lean_rows = lean.replication_indicators(directory, loaded.scenario, loaded.periods)
    monkeypatch.setattr(lean, "_open_at", lambda parquet, start: pa.chunked_array([pa.array([True] * len(kept))]))
    monkeypatch.setattr(lean, "_of_cases", lambda parquet, ids: None)
    every_row = lean.replication_indicators(directory, loaded.scenario, loaded.periods)
    pd.testing.assert_frame_equal(lean_rows, every_row)
