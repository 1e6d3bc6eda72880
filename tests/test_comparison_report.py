"""The comparison report (sim/outputs/comparison_report.py): one self-contained comparison.html with the base and
every option side by side, and a look at it in headless Chromium where the machine has one."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import BROWSERS, chromium

from sim.cli.main import main
from sim.outputs import comparison_report

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
SCREENSHOT_SECONDS = 120


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A base and an option with more court hours, compared on two replications through the command line."""
    folder = tmp_path_factory.mktemp("comparison")
    option = folder / "more_judges.yaml"
    option.write_text(
        f"extends: {SMALL}\nname: more_judges\nregions:\n  north_east:\n    court: {{sitting_hours_per_day: "
        "{magistrates: 4, district_judge: 12, circuit_judge: 7}}\n",
        encoding="utf-8",
    )
    out = folder / "out"
    argv = ["compare", str(SMALL), str(option), "--replications", "2", "--out", str(out), "--workers", "1"]
    assert main([*argv, "--no-report"]) == 0
    return out


@pytest.fixture(scope="module")
def html(comparison: Path) -> str:
    return (comparison / "comparison.html").read_text(encoding="utf-8")


def test_compare_writes_one_self_contained_comparison_report(html: str) -> None:
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"<(script|link|iframe|object|embed)\b", html, re.IGNORECASE)
    sources = re.findall(r"""\bsrc\s*=\s*['"]([^'"]*)['"]""", html)
    assert len(sources) >= 4 and all(s.startswith("data:image/png;base64,") for s in sources)
    links = re.findall(r"""\bhref\s*=\s*['"]([^'"]*)['"]""", html)
    assert [link[1:] for link in links] == list(comparison_report.SECTIONS)
    assert all(f"id='{key}'" in html for key in comparison_report.SECTIONS)


def test_the_base_and_the_option_stand_side_by_side_with_paired_differences(comparison: Path, html: str) -> None:
    table = pd.read_csv(comparison / "compare.csv")
    assert "<th>small (base)</th>" in html and "<th>more_judges</th>" in html
    assert "<th>more_judges minus base (95% interval)</th>" in html
    row = table[
        (table.option == "more_judges")
        & (table.indicator == "time_to_disposal_weeks_mean")
        & (table.group == "public_law")
    ].iloc[0]
    difference = (
        f"{row['difference_mean']:+.1f} ({row['difference_ci95_low']:.1f} to {row['difference_ci95_high']:.1f})"
    )
    assert difference in html  # in the side-by-side table
    summary = html.split("id='summary'", 1)[1].split("id='scenarios'", 1)[0]
    assert f"time to disposal weeks mean for public law changes by {row['difference_mean']:+.1f}" in summary
    assert "Many differences are shown at once" in summary and "intervals are rough" in summary
    base = pd.read_csv(comparison / "scenarios" / "small" / "summary.csv")
    mean = base[(base.indicator == "open_cases_at_end_count") & (base.breakdown == "all")]["mean"].iloc[0]
    assert f"<td class='num'>{mean:.0f}</td>" in html
    for caption in (
        "Paired differences of every headline indicator",
        "scenarios overlaid",
        "Open cases over time by region",
    ):
        assert caption in html, caption


@pytest.mark.slow
def test_the_comparison_report_renders_in_headless_chromium(comparison: Path, tmp_path: Path) -> None:
    browser = chromium()
    if browser is None:
        pytest.skip(f"no headless Chromium on PATH (looked for {', '.join(BROWSERS)}); .ci/run installs one")
    shot = tmp_path / "comparison.png"
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--screenshot={shot}"]
    command += ["--window-size=1200,2400", (comparison / "comparison.html").as_uri()]
    subprocess.run(command, check=True, capture_output=True, timeout=SCREENSHOT_SECONDS)
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (2400, 1200)
    assert np.std(pixels[..., :3]) > 0.1  # text, tables and figures, not a blank page
