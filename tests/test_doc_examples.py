"""Every Python example in the README and the docs runs, as a reader would run it.

Each Markdown file's ``python`` blocks run in order, in one namespace, from a working folder laid out like a
checkout after the runs the text describes: ``tests/``, ``scenarios/`` and ``docs/`` are the checkout's own,
and ``results/`` holds small real runs under the very names the examples use (``results/baseline-<timestamp>``
is a folder of that name). A block that cannot run says so in a comment on the line before it::

    <!-- not run: the reason -->

and the test checks that every such marker gives its reason.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from sim import api
from sim.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
DOCUMENTS = sorted(
    [
        ROOT / "README.md",
        ROOT / "scenarios" / "README.md",
        *(ROOT / "docs").glob("*.md"),
        *ROOT.glob("tests/*/README.md"),
    ]
)
BLOCK = re.compile(r"(?:^<!-- not run: (?P<reason>[^\n]*?) -->\n)?^```python[ \t]*\n(?P<code>.*?)^```", re.M | re.S)
RUN_ELSEWHERE = {"docs/analysis.md": "tests/test_api.py::test_the_worked_example_runs"}
"""Documents whose blocks a test of their own runs, with checks on what they print and return."""


def blocks(path: Path) -> list[tuple[str | None, str]]:
    return [(m.group("reason"), m.group("code")) for m in BLOCK.finditer(path.read_text(encoding="utf-8"))]


def test_the_documents_have_examples_to_run() -> None:
    with_examples = [p.relative_to(ROOT).as_posix() for p in DOCUMENTS if blocks(p)]
    assert {"README.md", "docs/analysis.md", "docs/calibration.md"} <= set(with_examples)


def test_a_block_that_is_not_run_says_why() -> None:
    for path in DOCUMENTS:
        for reason, _ in blocks(path):
            assert reason is None or len(reason.strip()) >= 10, f"{path.name}: 'not run' needs a reason"


def test_documents_run_elsewhere_have_their_test() -> None:
    for document, test in RUN_ELSEWHERE.items():
        file, _, name = test.partition("::")
        assert f"def {name}(" in (ROOT / file).read_text(encoding="utf-8"), test
        assert blocks(ROOT / document)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder like a checkout after the runs the docs talk about, with small runs in their place."""
    root = tmp_path_factory.mktemp("reader")
    for name in ("tests", "scenarios", "docs", "sim"):
        (root / name).symlink_to(ROOT / name, target_is_directory=True)
    results = root / "results"
    base = api.load(SMALL)
    api.run(base, replications=2, out=results / "baseline-<timestamp>")
    more = api.with_changes(base, {"regions.*.court.sitting_hours_per_day.circuit_judge": 6.0}, name="more_judges")
    api.run(more, replications=2, out=results / "more_judges-<timestamp>")
    code = main(
        ["sweep", str(SMALL), "--one-at-a-time", "--set", "courts.adjourn_probability=0.05,0.15"]
        + ["--replications", "2", "--workers", "1", "--out", str(results / "sensitivity")]
    )
    assert code == 0
    return root


@pytest.mark.slow
@pytest.mark.parametrize(
    "document",
    [p.relative_to(ROOT).as_posix() for p in DOCUMENTS if blocks(p)],
)
def test_the_examples_run(document: str, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if document in RUN_ELSEWHERE:
        pytest.skip(f"run with its own checks by {RUN_ELSEWHERE[document]}")
    monkeypatch.chdir(workspace)
    namespace: dict[str, Any] = {"__name__": document}
    ran = 0
    for i, (reason, code) in enumerate(blocks(ROOT / document)):
        if reason is not None:
            continue
        try:
            exec(compile(code, f"{document} block {i + 1}", "exec"), namespace)
        except Exception as exc:  # the message says which block failed and shows it
            raise AssertionError(f"{document} block {i + 1} failed: {exc!r}\n{code}") from exc
        ran += 1
    assert ran, f"{document}: every block is marked not run"
