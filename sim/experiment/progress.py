"""Progress of a run: a bar counting replications, advanced by the fractions that running replications report.

Workers in other processes report through a queue that a thread drains into the bar; a person at a terminal
sees the run move, and nothing is printed when nobody is watching (see :func:`sim.cli.common.progress_enabled`).
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from typing import Any


class RunProgress:
    """A tqdm bar counting replications, advanced by fractions of running replications."""

    def __init__(self, total: int, enabled: bool, description: str) -> None:
        self.enabled = enabled
        self.fractions: dict[int | tuple[int, int], float] = {}
        """Done so far, by replication or by (replication, region) for a replication run in parts (each part's
        fraction already weighted by its share)."""
        self.completed: set[int] = set()
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

    def update(self, replication: int | tuple[int, int], fraction: float) -> None:
        if self.bar is None:
            return
        with self.lock:
            if isinstance(replication, tuple) and replication[0] in self.completed:
                return  # a part's last report, arriving after its replication was counted whole
            self.fractions[replication] = max(fraction, self.fractions.get(replication, 0.0))
            self.bar.n = min(self.bar.total, sum(self.fractions.values()))
            self.bar.refresh()

    def complete(self, replication: int) -> None:
        """The replication is finished (or failed): it counts one, whatever its parts reported."""
        if self.bar is None:
            return
        with self.lock:
            self.completed.add(replication)
            for key in [k for k in self.fractions if isinstance(k, tuple) and k[0] == replication]:
                del self.fractions[key]
        self.update(replication, 1.0)

    def set_total(self, total: int) -> None:
        if self.bar is not None:
            self.bar.total = total
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def part_reporter(target: Any, replication: int, region: int | None, weight: float) -> Callable[[float], None] | None:
    """What a running replication (or its part for ``region``, a ``weight`` share of it) calls with the fraction
    done: reports to ``target``, a callable (in-process) or a queue (worker processes), at most once a percent."""
    if target is None:
        return None
    last = [-1.0]
    key = replication if region is None else (replication, region)

    def report(fraction: float) -> None:
        if fraction - last[0] < 0.01 and fraction < 1.0:
            return
        last[0] = fraction
        if callable(target):
            target(key, fraction * weight)
        else:
            target.put((key, fraction * weight))

    return report


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
