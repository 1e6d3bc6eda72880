"""Runs started from the scenario page, in the background: each a program of its own, writing its own folder.

Why a program per run, not a thread of the server: a run from the page is the command line itself
(``python -m sim.cli compare BASE OPTION ...``: the same executors, the same messages, the same folder), started as
a person would start it; so it cannot take the page down when it fails or uses much memory, it is stopped as Ctrl-C
stops a command (its folder then says "interrupted"), and the figures it draws (matplotlib is not thread-safe) never
meet the server's threads. Its output goes to a log, whose error lines the page shows.

Two tabs cannot corrupt a run: each run's folder is made here, exclusively, before the run starts, and the command
holds it with the results folder's lock (:mod:`sim.experiment.folder_lock`) while it writes. Progress is read from
that folder, as replications finish (``stats.json`` or ``error.json`` in each replication's folder).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.experiment.results_folder import DONE_MARKER, ERROR_MARKER, REPLICATIONS_DIR

EXIT_OK, EXIT_FAILED_REPLICATIONS, EXIT_INTERRUPTED = 0, 1, 130
"""The command line's exit codes a run's process ends with (sim.cli.common)."""
STOP_WAIT_SECONDS = 10
"""How long a stopped run has to finish its Ctrl-C (mark its folder interrupted) before it is terminated."""
CODE = str(Path(__file__).resolve().parents[2])
"""The folder holding this ``sim`` package: a run imports the same code as the page that started it."""
LOG_LINES_SHOWN = 30
"""A failed run with no ``error:`` line shows this many lines of the end of its log."""


def reserve_folder(results: Path, name: str) -> Path:
    """A new, empty folder ``results/NAME-TIME`` (``-2``, ``-3``... if taken), made exclusively: no two runs share
    one."""
    results.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    n = 1
    while True:
        folder = results / (f"{name}-{stamp}" if n == 1 else f"{name}-{stamp}-{n}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            n += 1


def _ctrl_c_as_in_a_terminal() -> None:
    """In the run's process before it starts: Ctrl-C (SIGINT) handled as in a terminal, whatever the page's own.

    A process started in the background by a shell script (``python run_sim.py serve &``, a CI job) inherits SIGINT
    ignored, and Python then never turns it into KeyboardInterrupt: a stopped run would go on to its end instead of
    marking its folder interrupted. Only a signal disposition is set here, which is safe between fork and exec."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclass
class Job:
    """One run started from the page: its folder, its process, and what it is expected to do."""

    id: str
    title: str
    folder: Path
    expected_replications: int
    log: Path
    info: dict[str, Any]
    process: subprocess.Popen[bytes] | None = None
    started: float = field(default_factory=time.time)
    ended: float | None = None
    exit_code: int | None = None
    stop_asked: bool = False

    def finished_replications(self) -> int:
        """Replications that ended (finished or failed) in the job's folder, its own and its scenarios'."""
        count = 0
        for runs in (self.folder / REPLICATIONS_DIR, *self.folder.glob(f"scenarios/*/{REPLICATIONS_DIR}")):
            count += sum(1 for marker in (DONE_MARKER, ERROR_MARKER) for _ in runs.glob(f"rep-*/{marker}"))
        return count

    @property
    def state(self) -> str:
        """running, done, stopped, failed, or done with failed replications."""
        if self.exit_code is None:
            return "running"
        if self.exit_code == EXIT_OK:
            return "done"
        if self.stop_asked or self.exit_code in (EXIT_INTERRUPTED, -signal.SIGTERM):
            return "stopped"
        return "done with failed replications" if self.exit_code == EXIT_FAILED_REPLICATIONS else "failed"

    def log_text(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def error(self) -> str:
        """What went wrong, as the command said it: from its first error line (``error: ...``, or argparse's
        ``PROG compare: error: ...``), else the end of its log."""
        if self.exit_code in (None, EXIT_OK):
            return ""
        lines = self.log_text().rstrip().splitlines()
        first = next((i for i, line in enumerate(lines) if line.startswith("error:") or ": error: " in line), None)
        shown = lines[first:] if first is not None else lines[-LOG_LINES_SHOWN:]
        return "\n".join(shown) or f"the run ended with exit code {self.exit_code} and wrote nothing to its log"

    def status(self) -> dict[str, Any]:
        """What the page's progress bar shows (as JSON)."""
        finished = self.finished_replications()
        expected = self.expected_replications
        running = self.exit_code is None
        fraction = 1.0 if not running else (min(finished, expected) / expected if expected else 0.0)
        if running:
            message = (
                f"{finished} of {expected} replications finished"
                if finished < expected or not expected
                else "all replications finished: writing the comparison"
            )
        else:
            message = self.state
        return {
            "state": self.state,
            "running": running,
            "finished_replications": finished,
            "expected_replications": expected,
            "fraction": fraction,
            "elapsed_seconds": round((self.ended or time.time()) - self.started, 1),
            "message": message,
            "error": self.error(),
        }


class JobRunner:
    """The runs started from the page, each a program of its own: the command line, or a stored-run comparison."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()

    def start(self, title: str, folder: Path, expected_replications: int, command: list[str], **info: Any) -> Job:
        """Start ``command`` (a program and its words) writing into ``folder`` (already reserved), its output to a
        log and no input."""
        self.logs.mkdir(parents=True, exist_ok=True)
        job_id = uuid.uuid4().hex[:12]
        log = self.logs / f"{job_id}.log"
        job = Job(job_id, title, folder, expected_replications, log, info)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [CODE, os.environ.get("PYTHONPATH")]))}
        with open(log, "wb") as output:
            job.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=env,
                preexec_fn=_ctrl_c_as_in_a_terminal if os.name == "posix" else None,
            )
        with self.lock:
            self.jobs[job_id] = job
        threading.Thread(target=self._watch, args=(job,), daemon=True, name=f"watch-{job_id}").start()
        return job

    def _watch(self, job: Job) -> None:
        assert job.process is not None
        code = job.process.wait()
        job.ended = time.time()
        job.exit_code = code
        with suppress(OSError):
            job.folder.rmdir()  # only if the run wrote nothing there (it failed before starting)

    def get(self, job_id: str) -> Job | None:
        with self.lock:
            return self.jobs.get(job_id)

    def all(self) -> list[Job]:
        """Every job, newest first."""
        with self.lock:
            return sorted(self.jobs.values(), key=lambda j: j.started, reverse=True)

    def stop(self, job: Job, wait_seconds: float = STOP_WAIT_SECONDS) -> None:
        """Stop a run as Ctrl-C stops a command (its folder then says "interrupted"); terminate it if it lingers."""
        process = job.process
        if process is None or process.poll() is not None:
            return
        job.stop_asked = True
        process.send_signal(signal.SIGINT)
        try:
            process.wait(wait_seconds)
        except subprocess.TimeoutExpired:
            process.terminate()
            process.wait(wait_seconds)

    def stop_all(self) -> None:
        """Stop every run still going (the server is stopping)."""
        running = [job for job in self.all() if job.exit_code is None]
        threads = [threading.Thread(target=self.stop, args=(job,)) for job in running]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def close(self) -> None:
        """Stop every run still going and remove the runs' logs (their folders keep what they wrote)."""
        self.stop_all()
        shutil.rmtree(self.logs, ignore_errors=True)
