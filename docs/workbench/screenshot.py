"""The screenshots of docs/workbench.md, taken in headless Chromium: ``python docs/workbench/screenshot.py``.

It serves the scenario page on a free port over a copy of tests/scenarios/small.yaml (two regions at 1/25 of national
volume: a run takes seconds), then does what an analyst does: picks the base, types a bad value and checks it, fixes
it, saves the option, runs it against the base on two replications and waits for the comparison. Each step's picture
is written beside this file. Needs Chromium from the system's packages (chromium or chromium-headless-shell) and
Playwright for Python (the dev extra); nothing is downloaded.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from sim.workbench.app import Settings, create_app, serve_in_thread

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BROWSERS = ("chromium", "chromium-browser", "chromium-headless-shell", "google-chrome")
HOURS = "set:regions.north_east.court.sitting_hours_per_day.district_judge"
RUN_SECONDS = 300
VIEWPORT = {"width": 1200, "height": 900}


def shot(page: Page, name: str, *, full_page: bool = False) -> None:
    page.screenshot(path=str(HERE / name), full_page=full_page)
    print(f"wrote {HERE / name}")


def take(browser_path: str) -> None:
    started_in = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="fjsim-screenshots-") as folder:
        os.chdir(folder)  # the page names files as a person working there would: scenarios/..., results/...
        scenarios = Path(folder) / "scenarios"
        scenarios.mkdir()
        shutil.copy(ROOT / "tests" / "scenarios" / "small.yaml", scenarios)
        app = create_app(Settings(scenarios, Path(folder) / "results", workers=1))
        server, url = serve_in_thread(app)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
                page = browser.new_page(viewport=VIEWPORT)
                page.goto(url)
                page.locator(f'[name="{HOURS}"]').fill("five and a half")
                page.fill("#name", "fewer_hours_north_east")
                page.fill("#description", "District judges in the North East sit 5.5 hours a day instead of 7.4.")
                page.click("#check")
                expect(page.locator("#problems")).to_be_visible()
                page.locator("#problems").scroll_into_view_if_needed()
                shot(page, "check.png")
                page.locator(f'[name="{HOURS}"]').fill("5.5")
                page.click("#save")
                expect(page.locator("#saved")).to_be_visible()
                page.locator("#levers-court").scroll_into_view_if_needed()
                shot(page, "levers.png")
                page.fill("#replications", "2")
                page.locator("#run-form").scroll_into_view_if_needed()
                shot(page, "save_and_run.png")
                page.click("#run")
                expect(page.locator("#message")).to_contain_text(re.compile(r"[1-3] of 4"), timeout=RUN_SECONDS * 1000)
                shot(page, "progress.png")
                expect(page.locator("#forest img")).to_be_visible(timeout=RUN_SECONDS * 1000)
                page.wait_for_function("document.querySelector('#forest img').naturalWidth > 0")
                shot(page, "comparison.png", full_page=True)
                browser.close()
        finally:
            server.shutdown()
            app.extensions["workbench_jobs"].close()
            os.chdir(started_in)


if __name__ == "__main__":
    found = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if found is None:
        sys.exit(f"no Chromium on PATH (looked for {', '.join(BROWSERS)}): apt-get install chromium-headless-shell")
    take(found)
