"""Damaged and hand-edited results folders (issue 11, item 7): ``report``, ``journey`` and ``run --resume`` say what is
wrong in one line and exit 2, never a traceback.

The corpus below takes a finished run and damages one thing in a copy of it: its manifest (not JSON, cut short,
not an object, a key missing or of the wrong kind, a list of outputs reaching out of the folder), a table (not
Parquet, cut short, a column missing), a replication's ``stats.json``, ``summary.csv``. For each, every command
either refuses with the words given, or (where the damage is not in what it reads) works as usual. Child ids and
replications that cannot be in the tables (``journey DIR 99999999999999999999``) are refused the same way.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sim.cli.main import main
from sim.experiment.run_tables import read_table

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
TRACEBACK = ("Traceback", 'File "')
COMMANDS = ("report", "journey", "resume")


def edit_manifest(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        path = folder / "manifest.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(json.dumps(data), encoding="utf-8")

    return damage


def copies(folder: Path, name: str) -> list[Path]:
    """The file ``name`` at the top of the folder (a manifest, a summary) or in each replication's folder (a table)."""
    return [path for path in [folder / name, *folder.glob(f"replications/rep-*/{name}")] if path.exists()]


def write(name: str, content: bytes) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        for path in copies(folder, name):
            path.write_bytes(content)

    return damage


def cut_short(name: str) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        for path in copies(folder, name):
            data = path.read_bytes()
            path.write_bytes(data[: len(data) // 2])

    return damage


def drop_column(table: str, column: str) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        for path in copies(folder, f"{table}.parquet"):
            pq.write_table(pq.read_table(path).drop_columns([column]), path)

    return damage


@dataclass(frozen=True)
class Damaged:
    """One thing wrong with a results folder, and what each command must say (None: it works as usual)."""

    damage: Callable[[Path], None]
    report: str | None
    journey: str | None
    resume: str | None


NOT_JSON = "is not valid JSON"
NOT_RESUMABLE = "cannot be read as a run manifest"
NOT_PARQUET = "cannot be read as a Parquet table"
UNREADABLE = "cannot be read as a results folder"

CORPUS: dict[str, Damaged] = {
    "manifest not JSON": Damaged(write("manifest.json", b"{ this is not json"), NOT_JSON, NOT_JSON, NOT_RESUMABLE),
    "manifest cut short": Damaged(cut_short("manifest.json"), NOT_JSON, NOT_JSON, NOT_RESUMABLE),
    "manifest in UTF-16": Damaged(
        write("manifest.json", '{"a": 1}'.encode("utf-16")), NOT_JSON, NOT_JSON, NOT_RESUMABLE
    ),
    "manifest a list": Damaged(
        write("manifest.json", b"[1, 2, 3]"), "not a JSON object", "not a JSON object", "not an object"
    ),
    "manifest without run_years": Damaged(
        edit_manifest(lambda m: m["scenario"]["resolved"].pop("run_years")),
        "scenario.resolved.run_years must be a number",
        "scenario.resolved.run_years must be a number",
        None,  # --resume reads the run's options, not its period, and writes the manifest anew
    ),
    "run_years in words": Damaged(
        edit_manifest(lambda m: m["scenario"]["resolved"].update(run_years="five")),
        "(got 'five')",
        "(got 'five')",
        None,
    ),
    "start date not a date": Damaged(
        edit_manifest(lambda m: m["starting_state"].update(results_start_date="yesterday")),
        "starting_state.results_start_date must be a date",
        "starting_state.results_start_date must be a date",
        None,
    ),
    "scenario is text": Damaged(
        edit_manifest(lambda m: m.update(scenario="baseline")),
        "scenario must be a mapping, not text",
        "scenario must be a mapping, not text",
        NOT_RESUMABLE,
    ),
    "a replication is a number": Damaged(
        edit_manifest(lambda m: m["replications"].update({"0000": 5})),
        "replications.0000 must be a mapping",
        "replications.0000 must be a mapping",
        None,
    ),
    "a policy without a date": Damaged(
        edit_manifest(lambda m: m.update(policies=[{"name": "more judges"}])),
        "policies[0] must be a mapping with a name and a date",
        "policies[0]",
        None,
    ),
    "command line of numbers": Damaged(
        edit_manifest(lambda m: m.update(command_line=[1, 2])),
        "command_line must be a list of words",
        "command_line",
        None,
    ),
    "no run options": Damaged(edit_manifest(lambda m: m.pop("run_options")), None, None, "it has no 'run_options'"),
    "replications below one": Damaged(
        edit_manifest(lambda m: m["run_options"].update(replications=-3)), None, None, "run_options.replications"
    ),
    "seed in words": Damaged(
        edit_manifest(lambda m: m["run_options"].update(seed="forty-two")), None, None, "run_options.seed"
    ),
    "outputs reaching out of the folder": Damaged(
        edit_manifest(lambda m: m.update(outputs=["manifest.json", "../../../etc/passwd"])),
        "not a file inside the folder",
        None,  # journey writes nothing
        "not a file inside the folder",
    ),
    "children not Parquet": Damaged(
        write("children.parquet", b"child_id,age\n1,3\n"), NOT_PARQUET, NOT_PARQUET, NOT_PARQUET
    ),
    "stages cut short": Damaged(cut_short("stages.parquet"), NOT_PARQUET, NOT_PARQUET, NOT_PARQUET),
    # the report reads no child ids (it counts rows), so it still works; journey needs them
    "children without child_id": Damaged(drop_column("children", "child_id"), None, "child_id", None),
    "stats.json not JSON": Damaged(write("stats.json", b"\x00\x01 not json"), None, None, "stats.json cannot be read"),
    "stats.json of another replication": Damaged(
        lambda folder: (folder / "replications/rep-0000/stats.json").write_text(
            json.dumps({"replication": 7, "seed": 1, "ok": True}), encoding="utf-8"
        ),
        None,
        None,
        "it is for replication 7",
    ),
    "summary.csv not a table": Damaged(write("summary.csv", b"\x89PNG\r\n\x1a\n\x00\x00"), UNREADABLE, None, None),
}
"""Each damage -> what report, journey and run --resume must say (None: the command works as usual)."""


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A finished run of one replication (without its report) and the id of a child in it."""
    folder = tmp_path_factory.mktemp("finished")
    scenario = folder / "short.yaml"
    scenario.write_text(f"extends: {SMALL}\nname: short\nrun_years: 0.25\n", encoding="utf-8")
    out = folder / "out"
    command = ["run", str(scenario), "--replications", "1", "--workers", "1", "--out", str(out), "--no-report"]
    assert main(command) == 0
    child = int(read_table(out, "children", columns=["child_id"])["child_id"].iloc[0])
    return out, child


def command(name: str, folder: Path, child: int) -> list[str]:
    return {
        "report": ["report", str(folder)],
        "journey": ["journey", str(folder), str(child)],
        "resume": ["run", "--resume", str(folder), "--workers", "1", "--no-report"],
    }[name]


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_a_damaged_results_folder_is_one_line_and_exit_2(name: str, finished, tmp_path, capsys) -> None:
    out, child = finished
    case = CORPUS[name]
    for which in COMMANDS:
        folder = tmp_path / which
        shutil.copytree(out, folder)
        case.damage(folder)
        capsys.readouterr()
        code = main(command(which, folder, child))
        captured = capsys.readouterr()
        expected = getattr(case, which)
        assert not any(word in captured.out + captured.err for word in TRACEBACK), (which, captured.err)
        if expected is None:
            assert code == 0, (which, captured.err)
            continue
        assert code == 2, (which, captured.err)
        lines = [line for line in captured.err.splitlines() if line.startswith("error: ")]
        assert len(lines) == 1, (which, captured.err)
        assert expected in lines[0], (which, lines[0])


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["99999999999999999999"], "must be between 0 and 9223372036854775807"),
        (["-1"], "must be between 0"),
        (["twelve"], "expected a whole number"),
        (["9223372036854775807"], "there is no child 9223372036854775807"),
        (["CHILD", "--replication", "99999999999"], "must be between 0 and 2147483647"),
        (["CHILD", "--replication", "5"], "has no replication 5 (it holds 0)"),
    ],
)
def test_a_child_or_replication_that_cannot_be_there_is_refused(arguments, words, finished, capsys) -> None:
    out, child = finished
    assert main(["journey", str(out), *[str(child) if a == "CHILD" else a for a in arguments]]) == 2
    err = capsys.readouterr().err
    assert words in err and not any(word in err for word in TRACEBACK), err


def test_a_huge_child_id_in_a_subprocess(finished) -> None:
    out, _ = finished
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CI": "1"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "run_sim.py"), "journey", str(out), "99999999999999999999"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    assert "must be between 0 and" in done.stderr and "Traceback" not in done.stderr


def test_the_corpus_covers_each_command() -> None:
    for which in COMMANDS:
        assert sum(getattr(case, which) is not None for case in CORPUS.values()) >= 8, which
