"""The scenario page in a real browser: headless Chromium from the system's packages (.ci/run installs
chromium-headless-shell), driven by Playwright for Python with ``executable_path``, so nothing is downloaded.

An analyst picks the small scenario, types a bad value and gets the command line's message, saves an option that
cuts court hours in the North East, runs it against the base, sees the comparison chart and downloads compare.csv;
meanwhile a second tab runs an option whose file was broken after saving, sees the error, and the page goes on
working. The screenshot is kept in the test's folder.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from conftest import BROWSERS, SMALL, chromium
from playwright.sync_api import Browser, Page, expect, sync_playwright

from sim.cli.main import main
from sim.scenario.loading import load_scenario
from sim.workbench.app import Settings, create_app, serve_in_thread

HOURS = "set:regions.north_east.court.sitting_hours_per_day.district_judge"
ADVISERS = "set:regions.wales.cafcass.long_term_advisers"
RUN_SECONDS = 240
"""The longest a run of the small scenario may take here (seconds, on a busy two-core machine)."""
VIEWPORT = {"width": 1200, "height": 900}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The page on a free port, over a folder holding a copy of the small scenario; (its address, the folder)."""
    folder = tmp_path_factory.mktemp("workbench")
    (folder / "scenarios").mkdir()
    shutil.copy(SMALL, folder / "scenarios")
    app = create_app(Settings(folder / "scenarios", folder / "results", workers=1))
    server, url = serve_in_thread(app)
    yield url, folder
    server.shutdown()
    app.extensions["workbench_jobs"].close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    path = chromium()
    if path is None:
        pytest.skip(f"no headless Chromium on PATH (looked for {', '.join(BROWSERS)}); .ci/run installs one")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield launched
        launched.close()


def pick_small(page: Page, url: str) -> None:
    page.goto(url)
    page.select_option("#base", "small.yaml")
    page.click("#pick")
    expect(page.locator(f'[name="{HOURS}"]')).to_have_value("7.4")  # the base's value, shown to change


def test_an_analyst_changes_a_lever_runs_it_and_sees_the_comparison(
    served: tuple[str, Path], browser: Browser, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, folder = served
    page = browser.new_page(viewport=VIEWPORT, accept_downloads=True)
    pick_small(page, url)

    # 2. a bad value gets the message the command line gives for the file the page would save
    page.locator(f'[name="{HOURS}"]').fill("-1")
    page.fill("#name", "fewer_hours")
    page.click("#check")
    shown = page.locator("#problems").inner_text()
    target = folder / "scenarios" / "fewer_hours.yaml"
    target.write_text(page.locator("#option-text").text_content() or "", encoding="utf-8")
    assert main(["validate", str(target)]) == 2
    target.unlink()
    said = [line for line in capsys.readouterr().err.splitlines() if line.startswith(str(target))]
    assert said and all(line in shown for line in said), (said, shown)
    assert f"{target}:" in shown and "sitting_hours_per_day" in shown

    # 3. a good value: the option is saved as a file that extends the base, and loads as the base plus the change
    page.locator(f'[name="{HOURS}"]').fill("5.5")
    page.click("#save")
    expect(page.locator("#saved")).to_be_visible()
    assert "extends: small.yaml" in target.read_text(encoding="utf-8")
    option = load_scenario(target)
    assert option.periods[-1][1].regions["north_east"].court.sitting_hours_per_day["district_judge"] == 5.5
    assert option.scenario.regions["wales"] == load_scenario(SMALL).scenario.regions["wales"]

    # a second tab saves an option, whose file is then broken by hand, and runs it at the same time
    other = browser.new_page(viewport=VIEWPORT)
    pick_small(other, url)
    other.locator(f'[name="{ADVISERS}"]').fill("6")
    other.fill("#name", "broken")
    other.click("#save")
    expect(other.locator("#saved")).to_be_visible()
    (folder / "scenarios" / "broken.yaml").write_text("extends: small.yaml\nname: broken\nrun_years: -1\n")

    # 4. run it: progress, then 5. the comparison chart and the report
    page.fill("#replications", "1")
    page.click("#run")
    other.fill("#replications", "1")
    other.click("#run")
    expect(page.locator("#progress")).to_be_visible()
    expect(other.locator("#run-error")).to_contain_text("the scenario has problems", timeout=RUN_SECONDS * 1000)
    expect(other.locator("#run-error")).to_contain_text("run_years")
    expect(page.locator("#forest img")).to_be_visible(timeout=RUN_SECONDS * 1000)
    assert page.locator("#forest img").evaluate("image => image.complete && image.naturalWidth > 0")
    report = page.frame_locator("#report")
    expect(report.locator("h1")).to_contain_text("fewer_hours against small")
    expect(report.get_by_text("Paired differences of every headline indicator", exact=False)).to_be_visible()
    shot = tmp_path / "comparison.png"
    page.screenshot(path=str(shot), full_page=True)
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[1] == VIEWPORT["width"] and np.std(pixels[..., :3]) > 0.1  # a page with a chart, not blank

    # 6. download compare.csv: the option's paired differences from the base
    with page.expect_download() as download:
        page.get_by_role("link", name="compare.csv", exact=True).click()
    table = pd.read_csv(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert set(table["option"]) == {"fewer_hours"} and "difference_mean" in table

    # the runs wrote separate folders; the failed one left nothing behind, and the page still works
    runs = sorted(p.name for p in (folder / "results").iterdir())
    assert len(runs) == 1 and re.fullmatch(r"compare-small-fewer_hours-\d{8}-\d{6}(-\d+)?", runs[0]), runs
    other.goto(url)
    expect(other.locator("#jobs")).to_contain_text("broken against small")
    expect(other.locator("#jobs")).to_contain_text("failed")
    expect(other.locator(f'[name="{HOURS}"]')).to_be_visible()
