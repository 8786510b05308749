"""Named random streams: one independent generator per source of randomness.

Replication *r* of a run seeded *s* uses child *r* of ``SeedSequence(s)``; each
source (demand, sorting, pickup …) draws from its own stream derived from that
child by name. Two scenarios run with the same seed therefore see the same
demand (common random numbers), and adding a new stream later does not shift the
numbers any existing stream produces.
"""

from __future__ import annotations

import zlib

import numpy as np


def replication_seed(seed: int, replication: int) -> np.random.SeedSequence:
    """The seed sequence of one replication: child *replication* of ``SeedSequence(seed)``."""
    return np.random.SeedSequence(seed).spawn(replication + 1)[replication]


class Streams:
    """Named generators for one replication."""

    def __init__(self, seed: int, replication: int = 0) -> None:
        self._root = replication_seed(seed, replication)
        self._streams: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        """The generator of one named source of randomness (created on first use)."""
        if name not in self._streams:
            # crc32 is stable across processes and Python versions, unlike hash().
            key = (*self._root.spawn_key, zlib.crc32(name.encode()))
            child = np.random.SeedSequence(self._root.entropy, spawn_key=key)
            self._streams[name] = np.random.default_rng(child)
        return self._streams[name]


def draw_positive(
    rng: np.random.Generator, kind: str, mean: float, cv: float, size: int
) -> np.ndarray:
    """Positive random values with a given mean: deterministic, exponential or lognormal."""
    if kind == "deterministic":
        return np.full(size, mean)
    if kind == "exponential":
        return rng.exponential(mean, size)
    if kind == "lognormal":
        sigma = np.sqrt(np.log1p(cv**2))
        return rng.lognormal(np.log(mean) - sigma**2 / 2, sigma, size)
    raise ValueError(f"unknown distribution {kind!r}")
