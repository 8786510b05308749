"""Named random streams: one independent generator per source of randomness.

Replication *r* of a run seeded *s* uses child *r* of ``SeedSequence(s)``; each
source (demand, sorting, pickup …) draws from its own stream derived from that
child by name, and the sources that draw for each day's parcels draw from a stream
of their own per day (:meth:`Streams.day`). Two scenarios run with the same seed
therefore see the same parcels on every day (common random numbers), even where
one of them has more parcels on an earlier day; and adding a new stream later does
not shift the numbers any existing stream produces.
"""

from __future__ import annotations

import zlib

import numpy as np


def replication_seed(seed: int, replication: int) -> np.random.SeedSequence:
    """The seed sequence of one replication: child *replication* of ``SeedSequence(seed)``."""
    return np.random.SeedSequence(seed).spawn(replication + 1)[replication]


STREAMS = (
    "demand",
    "demand_peak",
    "demand_urban",
    "pickup",
    "pickup_peak",
    "inspection",
    "sorting",
    "bus_delay",
    "brand",
    "collection",
    "outbound",
    "outbound_sorting",
)
"""Every source of randomness, by name: a mistyped name is an error, never a new stream.

``demand_peak`` and ``pickup_peak`` draw the parcels a peak adds (or the thinning of a
trough), so the ordinary parcels of a day are the same with or without a peak;
``demand_urban`` draws the county town's parcels, so the villages' are the same
whatever ``urban_share``; ``brand`` draws each parcel's express brand and ``collection``
the villager's trip to a brand's township outlet (both only with ``brands``);
``outbound`` draws the farm products dropped off at the village points, so the inbound
parcels are the same with or without them."""


class Streams:
    """Named generators for one replication."""

    def __init__(self, seed: int, replication: int = 0) -> None:
        self._root = replication_seed(seed, replication)
        self._streams: dict[str, np.random.Generator] = {}

    def _generator(self, name: str, *extra: int) -> np.random.Generator:
        if name not in STREAMS:
            raise KeyError(f"unknown random stream {name!r} (known: {', '.join(STREAMS)})")
        # crc32 is stable across processes and Python versions, unlike hash().
        key = (*self._root.spawn_key, zlib.crc32(name.encode()), *extra)
        return np.random.default_rng(np.random.SeedSequence(self._root.entropy, spawn_key=key))

    def __getitem__(self, name: str) -> np.random.Generator:
        """The generator of one named source of randomness (one for the whole run)."""
        if name not in self._streams:
            self._streams[name] = self._generator(name)
        return self._streams[name]

    def day(self, name: str, day: int, *part: int) -> np.random.Generator:
        """A fresh generator for one source on one day (and one *part*, e.g. a brand's depot).

        What a day's parcels draw depends only on the day, not on how many parcels
        earlier days had. Without *part* the stream is the one every scenario without
        brands draws from.
        """
        return self._generator(name, int(day), *(int(p) for p in part))


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
