"""The national benchmark runs and ends with its figures as one line of JSON (issue 14, item 5).

The lead measures on an idle machine with ``python benchmarks/bench_national.py``; a stale import or a changed
last line would only show up then. Here it runs on the small test scenario (about a second) and its last line is
read as a program reading the benchmark would read it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT, SMALL

KEYS = {"cases", "events", "cpu_s", "wall_s", "cases_per_cpu_second", "model_us_per_case", "peak_rss_mb"}


@pytest.mark.slow
def test_bench_national_ends_with_its_figures_as_json(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_national.py"), str(SMALL), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    assert set(figures) == KEYS
    assert figures["cases"] > 500 and figures["events"] > 4 * figures["cases"]
    assert min(figures["cpu_s"], figures["wall_s"], figures["peak_rss_mb"]) > 0
    assert figures["cases_per_cpu_second"] == pytest.approx(figures["cases"] / figures["cpu_s"], rel=0.05)
    assert figures["model_us_per_case"] == pytest.approx(1e6 / figures["cases_per_cpu_second"], abs=0.05)
    assert any(line.startswith("ratio model / bare") for line in lines[:-1])  # the readable figures stay
    assert (tmp_path / "children.parquet").exists()  # --out keeps the replication's tables


@pytest.mark.slow
def test_the_batch_prototype_gives_private_law_the_models_results(tmp_path) -> None:
    """benchmarks/batch_private_law.py (docs/performance.md): the day-by-day batch design, on private law, against
    the present model on the same scenario. Its speed is measured by hand; here its results are held to the
    model's, so a prototype that got faster by dropping work would fail."""
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "batch_private_law.py"),
            "--run-years",
            "0.5",
            "--warm-up-years",
            "0.5",
            "--scenario-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    batch, present = (next(d for d in figures["designs"] if d["design"] == name) for name in ("batch", "present"))
    assert batch["cases"] == pytest.approx(present["cases"], rel=0.02)
    assert batch["mean_weeks_to_final_order"] == pytest.approx(present["mean_weeks_to_final_order"], rel=0.05)
    assert batch["open_at_year_end"][-1] == pytest.approx(present["open_at_year_end"][-1], rel=0.05)
    assert figures["ratio_batch_to_present"] > 0
