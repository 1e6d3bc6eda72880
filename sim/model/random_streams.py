"""Random number streams: one per source of randomness, seeded from (root seed, replication, stream name).

Seeds never depend on which worker runs a replication. Because every purpose (arrivals of each case type,
each stage's durations, each pathway's branch choices, listing outcomes, recurrence) draws from its own
stream, two scenarios that differ only in capacity see the same cases, the same children and the same
draws for the same decisions: common random numbers.
"""

from __future__ import annotations

import zlib

import numpy as np

STREAM_SCHEME = "numpy SeedSequence(entropy=root_seed, spawn_key=(replication, crc32(stream_name))) -> PCG64"


def stream_key(name: str) -> int:
    """A stable number for a stream name (crc32 is the same on every machine and Python version)."""
    return zlib.crc32(name.encode("utf-8"))


class RandomStreams:
    """Hands out independent generators by name for one replication."""

    def __init__(self, root_seed: int, replication: int) -> None:
        self.root_seed = root_seed
        self.replication = replication

    def generator(self, name: str) -> np.random.Generator:
        seq = np.random.SeedSequence(self.root_seed, spawn_key=(self.replication, stream_key(name)))
        return np.random.Generator(np.random.PCG64(seq))
