"""Output folders (issue 11, items 1 and 2): ``--force`` deletes only what the tool wrote, one command writes into a
folder at a time, and a fault (no permission, a full disk, no scheduler) gives one line, a consistent folder and a
way back with ``--resume``, from any working directory.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import sim.experiment.replications as replications
from sim.cli.main import main
from sim.experiment.folder_lock import LOCK_NAME, FolderLock, FolderLockedError
from sim.experiment.owned_files import RunDirectoryError, ledger, write_atomically
from sim.experiment.results_folder import output_folder

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
TRACEBACK = ("Traceback", 'File "')


def short_scenario(folder: Path, run_years: float = 0.25) -> Path:
    """small.yaml cut to a quarter of a year: runs whose results do not matter."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "short.yaml"
    path.write_text(f"extends: {SMALL}\nname: short\nrun_years: {run_years}\n", encoding="utf-8")
    return path


def run(scenario: Path, out: Path, *extra: str) -> list[str]:
    return ["run", str(scenario), "--replications", "1", "--workers", "1", "--out", str(out), "--no-report", *extra]


def files_under(root: Path) -> dict[str, str]:
    """Every file under root (relative path -> sha256)."""
    files = [p for p in root.rglob("*") if p.is_file()]
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def one_line(err: str) -> str:
    """The error a command printed: one line starting 'error: ', without a traceback."""
    assert not any(word in err for word in TRACEBACK), err
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, err
    return lines[0]


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------- --force
def test_force_deletes_the_previous_runs_files_and_nothing_else(tmp_path, capsys) -> None:
    scenario, out = short_scenario(tmp_path / "in"), tmp_path / "out"
    assert main(["run", str(scenario), "--replications", "2", "--workers", "1", "--out", str(out)]) == 0
    listed = manifest(out)["outputs"]
    assert {"report.html", "journey_rep-0000.ocel.json", "replications/rep-0001/stats.json"} <= set(listed)
    mine = {
        "settings/production/keys.txt": "hunter2",  # a folder named like compare's, sweep's... sub-runs
        "notes.txt": "an analyst's notes",
        "replications/rep-0000/mine.txt": "a note beside a replication",
        "scenarios/mine.yaml": "name: mine\n",
    }
    for name, text in mine.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text, encoding="utf-8")
    capsys.readouterr()

    assert main(run(scenario, out, "--force", "--seed", "99")) == 0
    for name, text in mine.items():
        assert (out / name).read_text(encoding="utf-8") == text
    assert not (out / "replications" / "rep-0001").exists()  # a replication folder the last run made, and only it
    assert not (out / "report.html").exists() and not (out / "journey_rep-0000.ocel.json").exists()
    assert manifest(out)["random"]["root_seed"] == 99
    assert set(manifest(out)["outputs"]).isdisjoint(mine)
    note = capsys.readouterr().err
    assert "--force kept what this tool did not write" in note and "settings/production/keys.txt" in note


def test_a_report_written_later_is_listed_so_force_removes_it_and_the_runs_status_stands(tmp_path) -> None:
    scenario, out = short_scenario(tmp_path / "in"), tmp_path / "out"
    assert main(run(scenario, out)) == 0
    state = manifest(out)
    state["status"] = "running"  # as a run killed with SIGKILL leaves it
    (out / "manifest.json").write_text(json.dumps(state), encoding="utf-8")
    assert main(["report", str(out)]) == 0 and main(["ocel", str(out)]) == 0
    assert {"report.html", "journey_rep-0000.ocel.json"} <= set(manifest(out)["outputs"])
    assert manifest(out)["status"] == "running"  # adding a report does not say how the run ended
    assert main(run(scenario, out, "--force")) == 0
    assert not (out / "report.html").exists() and not (out / "journey_rep-0000.ocel.json").exists()


@pytest.mark.parametrize(
    ("manifest_text", "words"),
    [
        (None, "has no manifest.json of this tool"),
        ('{"name": "a manifest of some other tool"}', "has no manifest.json of this tool"),
        ("{ cut short", "has no manifest.json of this tool"),
        ('{"outputs": "everything"}', "'outputs' is not a list of file names"),
    ],
    ids=["no manifest", "another tools manifest", "not JSON", "outputs not a list"],
)
def test_force_deletes_nothing_in_a_folder_without_a_manifest_of_its_own(
    tmp_path, capsys, manifest_text, words
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name in ("summary.csv", "report.html", "my_analysis.py"):
        (out / name).write_text("the user's", encoding="utf-8")
    if manifest_text is not None:
        (out / "manifest.json").write_text(manifest_text, encoding="utf-8")
    before = files_under(out)
    assert main(run(short_scenario(tmp_path / "in"), out, "--force")) == 2
    message = one_line(capsys.readouterr().err)
    assert words in message
    if "manifest.json of this tool" in words:
        assert "report.html, summary.csv" in message and "Nothing was deleted" in message
    assert files_under(out) == before


@pytest.mark.parametrize("listed", ["../victim.txt", "/tmp/victim.txt", "sub/../../victim.txt"])
def test_force_refuses_a_manifest_that_lists_files_outside_the_folder(tmp_path, capsys, listed) -> None:
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("not the tool's", encoding="utf-8")
    (out / "manifest.json").write_text(json.dumps({"outputs": ["manifest.json", listed]}), encoding="utf-8")
    assert main(run(short_scenario(tmp_path / "in"), out, "--force")) == 2
    assert "not a file inside the folder" in one_line(capsys.readouterr().err)
    assert victim.read_text(encoding="utf-8") == "not the tool's" and (out / "manifest.json").exists()


def test_force_does_not_follow_a_link_out_of_the_folder(tmp_path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (elsewhere / "children.parquet").write_text("not the tool's", encoding="utf-8")
    (out / "link").symlink_to(elsewhere)
    (out / "manifest.json").write_text(
        json.dumps({"outputs": ["manifest.json", "link/children.parquet"]}), encoding="utf-8"
    )
    assert main(run(short_scenario(tmp_path / "in"), out, "--force")) == 0
    assert (elsewhere / "children.parquet").read_text(encoding="utf-8") == "not the tool's"
    assert (out / "link").is_symlink()


def test_force_refuses_a_users_file_named_like_an_output_before_deleting_anything(tmp_path, capsys) -> None:
    scenario, out = short_scenario(tmp_path / "in"), tmp_path / "out"
    assert main(run(scenario, out)) == 0
    (out / "compare.csv").write_text("the user's own comparison", encoding="utf-8")
    before = files_under(out)
    assert main(run(scenario, out, "--force")) == 2
    message = one_line(capsys.readouterr().err)
    assert "compare.csv" in message and "Nothing was deleted" in message
    assert files_under(out) == before


def test_force_on_a_folder_of_an_older_version_removes_its_combined_tables_and_keeps_the_users(tmp_path) -> None:
    """An older version also wrote DIR/children.parquet and the others, listed in its manifest: --force removes those.
    A file of the user's with such a name, not listed, stays: the tool no longer writes one there, nor reads it while
    the replications' folders are there."""
    scenario, out = short_scenario(tmp_path / "in"), tmp_path / "out"
    assert main(run(scenario, out)) == 0
    old = manifest(out)
    for name in ("children.parquet", "stages.parquet", "timeline.parquet"):  # as the older version left them
        (out / name).write_bytes((out / "replications" / "rep-0000" / name).read_bytes())
    old["outputs"] += ["children.parquet", "stages.parquet"]
    (out / "manifest.json").write_text(json.dumps(old), encoding="utf-8")
    assert main(run(scenario, out, "--force")) == 0
    assert not (out / "children.parquet").exists() and not (out / "stages.parquet").exists()
    kept = (out / "timeline.parquet").read_bytes()  # not in the manifest: not the tool's, as far as it can tell
    assert kept == (out / "replications" / "rep-0000" / "timeline.parquet").read_bytes()
    (out / "timeline.parquet").write_text("the user's own notes", encoding="utf-8")
    assert main(["report", str(out)]) == 0  # read from the replications' folders, not from the user's file
    assert (out / "timeline.parquet").read_text(encoding="utf-8") == "the user's own notes"


def test_a_file_the_tool_did_not_write_is_never_overwritten(tmp_path) -> None:
    theirs = tmp_path / "summary.csv"
    theirs.write_text("the user's", encoding="utf-8")
    with ledger(tmp_path, strict=True):
        with pytest.raises(RunDirectoryError, match="is in the way"):
            write_atomically(theirs, lambda tmp: tmp.write_text("the tool's", encoding="utf-8"))
        write_atomically(tmp_path / "indicators.csv", lambda tmp: tmp.write_text("the tool's", encoding="utf-8"))
        write_atomically(tmp_path / "indicators.csv", lambda tmp: tmp.write_text("again", encoding="utf-8"))
    assert theirs.read_text(encoding="utf-8") == "the user's"
    assert manifest(tmp_path)["outputs"] == ["indicators.csv", "manifest.json"]


# ---------------------------------------------------------------------------------------------- one command at a time
HOLD = """
import sys
from sim.experiment.folder_lock import FolderLock
with FolderLock(sys.argv[1], ["run_sim.py", "run", "first.yaml"]):
    print("held", flush=True)
    sys.stdin.read()  # until the test closes our stdin
"""


def test_a_second_command_in_a_locked_folder_stops_naming_the_first(tmp_path, capsys) -> None:
    scenario, out = short_scenario(tmp_path / "in"), tmp_path / "out"
    assert main(run(scenario, out)) == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        before = files_under(out)
        for command in (run(scenario, out, "--force"), ["run", "--resume", str(out), "--workers", "1"]):
            assert main(command) == 2
            message = one_line(capsys.readouterr().err)
            assert f"is in use by another command (pid {holder.pid}" in message and "first.yaml" in message
        assert main(["report", str(out)]) == 2
        assert files_under(out) == before  # nothing deleted, nothing written
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    assert not (out / LOCK_NAME).exists()
    assert main(run(scenario, out, "--force")) == 0


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_a_stale_lock_is_taken_over_and_one_from_another_host_is_not(tmp_path, capsys) -> None:
    scenario, out = short_scenario(tmp_path / "in"), tmp_path / "out"
    out.mkdir()
    stale = {"pid": dead_pid(), "host": socket.gethostname(), "started": "then", "command": ["killed"]}
    (out / LOCK_NAME).write_text(json.dumps(stale), encoding="utf-8")
    assert main(run(scenario, out)) == 0
    assert not (out / LOCK_NAME).exists()

    elsewhere = {**stale, "pid": 1, "host": "another-machine"}
    (out / LOCK_NAME).write_text(json.dumps(elsewhere), encoding="utf-8")
    capsys.readouterr()
    assert main(run(scenario, out, "--force")) == 2
    message = one_line(capsys.readouterr().err)
    assert "another-machine" in message and f"delete {out / LOCK_NAME}" in message


@pytest.mark.parametrize("stale_first", [False, True], ids=["free", "stale lock"])
def test_of_many_commands_racing_for_a_folder_exactly_one_gets_it(tmp_path, stale_first) -> None:
    if stale_first:
        stale = {"pid": dead_pid(), "host": socket.gethostname(), "started": "then", "command": ["killed"]}
        (tmp_path / LOCK_NAME).write_text(json.dumps(stale), encoding="utf-8")
    racers = 8
    start, outcomes, locks = threading.Barrier(racers), [], []

    def race() -> None:
        lock = FolderLock(tmp_path)
        start.wait()
        try:
            lock.acquire()
        except FolderLockedError:
            outcomes.append("refused")
        else:
            outcomes.append("held")
            locks.append(lock)

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["held"] + ["refused"] * (racers - 1)
    locks[0].release()
    assert not (tmp_path / LOCK_NAME).exists()


def test_the_lock_is_released_and_the_manifest_says_how_a_run_ended(
    tmp_path, monkeypatch, failing_runs, capsys
) -> None:
    scenario, out = short_scenario(tmp_path / "in"), tmp_path / "out"

    failing_runs(lambda rep: True, KeyboardInterrupt())
    assert main(run(scenario, out)) == 130
    assert manifest(out)["status"] == "interrupted" and not (out / LOCK_NAME).exists()
    assert f"continue with: python run_sim.py run --resume {out}" in capsys.readouterr().err
    monkeypatch.undo()
    assert main(["run", "--resume", str(out), "--workers", "1", "--no-report"]) == 0
    assert manifest(out)["status"] == "complete" and "error" not in manifest(out)


# ---------------------------------------------------------------------------------------------- faults
def test_a_write_that_fails_leaves_no_partial_file(tmp_path) -> None:
    path = tmp_path / "summary.csv"
    path.write_text("the earlier summary", encoding="utf-8")

    def fill_the_disk(tmp: Path) -> None:
        tmp.write_bytes(b"x" * 4096)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))

    with pytest.raises(OSError, match="No space left"):
        write_atomically(path, fill_the_disk)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.csv"]
    assert path.read_text(encoding="utf-8") == "the earlier summary"


def test_a_full_disk_while_writing_the_summary_is_one_line_a_failed_manifest_and_resumable(
    tmp_path, monkeypatch, capsys
) -> None:
    scenario, out = short_scenario(tmp_path / "in"), tmp_path / "out"
    real = replications.write_atomically

    def full_disk(path: Path, write) -> None:
        if path == out / "summary.csv":

            def half_then_full(tmp: Path) -> None:
                tmp.write_bytes(b"PAR1" + b"\0" * 65536)
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))

            write = half_then_full
        real(path, write)

    monkeypatch.setattr(replications, "write_atomically", full_disk)
    assert main(run(scenario, out, "--replications", "2")) == 2
    message = one_line(capsys.readouterr().err)
    assert "No space left on device (ENOSPC)" in message
    assert f"once that is fixed, continue with: python run_sim.py run --resume {out}" in message
    state = manifest(out)
    assert state["status"] == "failed" and "ENOSPC" in state["error"]
    assert not list(out.rglob("*.partial")) and not (out / LOCK_NAME).exists()
    assert not (out / "summary.csv").exists()

    monkeypatch.undo()  # space freed
    assert main(["run", "--resume", str(out), "--workers", "1", "--no-report"]) == 0
    assert manifest(out)["status"] == "complete" and (out / "summary.csv").is_file()
    assert "resuming: 2 finished replications kept" in capsys.readouterr().err


def unwritable_parent(tmp_path: Path) -> Path:
    """A folder no new folder can be made in: read-only, or (as root, whom chmod does not stop) a file."""
    if os.geteuid() == 0:
        blocker = tmp_path / "a_file"
        blocker.write_text("not a folder", encoding="utf-8")
        return blocker
    parent = tmp_path / "read_only"
    parent.mkdir()
    parent.chmod(0o500)
    return parent


@pytest.mark.parametrize("where", ["unwritable", "under a file", "missing parents under a file"])
def test_an_output_folder_that_cannot_be_made_is_one_line_and_leaves_nothing(tmp_path, capsys, where) -> None:
    scenario = short_scenario(tmp_path / "in")
    if where == "unwritable":
        out = unwritable_parent(tmp_path) / "out"
    else:
        (tmp_path / "file").write_text("a file", encoding="utf-8")
        out = tmp_path / "file" / ("out" if where == "under a file" else "a/b/out")
    before = files_under(tmp_path)
    try:
        assert main(run(scenario, out)) == 2
        message = one_line(capsys.readouterr().err)
        assert str(out.parent if where == "unwritable" else tmp_path / "file") in message
        assert any(words in message for words in ("Permission denied", "Not a directory"))
        assert files_under(tmp_path) == before
    finally:
        if (tmp_path / "read_only").exists():
            (tmp_path / "read_only").chmod(0o700)


def test_an_unreachable_scheduler_leaves_no_output_folder(tmp_path, monkeypatch, capsys) -> None:
    import distributed

    class Refused:
        def __init__(self, *args, **kwargs) -> None:
            raise OSError(errno.ECONNREFUSED, "Connection refused")

    monkeypatch.setattr(distributed, "Client", Refused)
    out = tmp_path / "results" / "new" / "out"  # its parents do not exist either
    command = ["run", str(short_scenario(tmp_path / "in")), "--out", str(out), "--scheduler", "tcp://127.0.0.1:1"]
    assert main(command) == 2
    assert "cannot reach the Dask scheduler" in one_line(capsys.readouterr().err)
    assert not (tmp_path / "results").exists()


def test_a_command_that_fails_before_writing_removes_the_folders_it_made(tmp_path, monkeypatch, capsys) -> None:
    def no_permission(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), "/somewhere/else")

    monkeypatch.setattr(replications, "run_experiment", no_permission)
    out = tmp_path / "results" / "out"
    assert main(run(short_scenario(tmp_path / "in"), out)) == 2
    assert "/somewhere/else: Permission denied (EACCES)" in one_line(capsys.readouterr().err)
    assert not (tmp_path / "results").exists()


def test_an_error_inside_a_run_is_recorded_in_the_manifest(tmp_path, monkeypatch) -> None:
    from sim.scenario.loading import load_scenario

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(replications, "collect_indicators", boom)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError), output_folder(out):
        replications.run_experiment(load_scenario(short_scenario(tmp_path / "in")), out, replications=1)
    state = manifest(out)
    assert state["status"] == "failed" and state["error"] == "RuntimeError: boom" and state["ended"]
    assert not (out / LOCK_NAME).exists()


# ---------------------------------------------------------------------------------------------- --resume
def interrupted_run(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """A run of two replications started from a relative scenario path whose second replication did not finish."""
    scenario, out = short_scenario(tmp_path / "in"), tmp_path / "out"
    monkeypatch.chdir(scenario.parent)
    command = ["run", "short.yaml", "--replications", "2", "--workers", "1", "--out", "../out", "--no-report"]
    command += ["--allow-root", str(SMALL.parent)]  # short.yaml extends small.yaml; --resume needs it no more
    assert main(command) == 0
    (out / "replications" / "rep-0001" / "stats.json").unlink()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return scenario, out


def test_resume_works_from_any_working_directory(tmp_path, monkeypatch, capsys) -> None:
    scenario, out = interrupted_run(tmp_path, monkeypatch)
    assert manifest(out)["scenario"]["absolute_path"] == str(scenario)
    assert str(SMALL.parent) in manifest(out)["scenario"]["roots"]  # so --resume may read what short.yaml extends
    capsys.readouterr()
    assert main(["run", "--resume", str(out), "--workers", "1", "--no-report"]) == 0
    assert "resuming: 1 finished replications kept (0)" in capsys.readouterr().err
    assert (out / "replications" / "rep-0001" / "stats.json").is_file()
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_resume_says_when_the_scenario_moved_or_changed(tmp_path, monkeypatch, capsys) -> None:
    scenario, out = interrupted_run(tmp_path, monkeypatch)
    resume = ["run", "--resume", str(out), "--workers", "1", "--no-report"]
    text = scenario.read_text(encoding="utf-8")
    scenario.rename(scenario.with_name("moved.yaml"))
    capsys.readouterr()
    assert main(resume) == 2
    message = one_line(capsys.readouterr().err)
    assert f"was started from the scenario {scenario}, which is no longer there" in message
    scenario.write_text(text.replace("run_years: 0.25", "run_years: 0.5"), encoding="utf-8")
    assert main(resume) == 2
    assert "has changed since the run started" in one_line(capsys.readouterr().err)
    scenario.write_text(text, encoding="utf-8")
    assert main(resume) == 0
