"""Progress of a run: a bar counting replications, advanced by the fractions that running replications report.

Workers in other processes report through a queue that a thread drains into the bar; a person at a terminal
sees the run move, and nothing is printed when nobody is watching (see :func:`sim.cli.common.progress_enabled`).
"""

from __future__ import annotations

import multiprocessing
import threading


class RunProgress:
    """A tqdm bar counting replications, advanced by fractions of running replications."""

    def __init__(self, total: int, enabled: bool, description: str) -> None:
        self.enabled = enabled
        self.fractions: dict[int, float] = {}
        self.lock = threading.Lock()
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total,
                desc=description,
                unit="rep",
                bar_format="{l_bar}{bar}| {n:.1f}/{total_fmt} replications [{elapsed}<{remaining}]",
            )

    def update(self, replication: int, fraction: float) -> None:
        if self.bar is None:
            return
        with self.lock:
            self.fractions[replication] = max(fraction, self.fractions.get(replication, 0.0))
            self.bar.n = min(self.bar.total, sum(self.fractions.values()))
            self.bar.refresh()

    def set_total(self, total: int) -> None:
        if self.bar is not None:
            self.bar.total = total
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class QueueDrain:
    """Reads (replication, fraction) messages from worker processes into the progress bar."""

    def __init__(self, progress: RunProgress) -> None:
        self.manager = multiprocessing.get_context("spawn").Manager()
        self.queue = self.manager.Queue()
        self.progress = progress
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        while True:
            try:
                item = self.queue.get()
            except (EOFError, OSError):
                return
            if item is None:
                return
            self.progress.update(*item)

    def close(self) -> None:
        try:
            self.queue.put(None)
            self.thread.join(timeout=5)
        finally:
            self.manager.shutdown()
