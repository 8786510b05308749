"""The parcel ledger: one row per parcel, held as a struct of numpy arrays.

Parcels are rows, not processes. Resources (the sorting line, trips) move index
arrays of parcels and stamp the time each one reaches a stage. A stage not yet
reached is NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.engine.prefault import Prefault

INBOUND, OUTBOUND = 0, 1

# Flag bits.
PERISHABLE = 1
HOME_DELIVERY = 2
OPEN_BOX = 4
RODE_BUS = 8  # rode a passenger bus on some leg
LEFT_BEHIND = 16  # left waiting at least once by a full bus
FELL_BACK = 32  # waited too long for its first-choice carrier and took the fallback
OVER_STORAGE = 64  # reached a village point whose shelves were full (left there anyway)
COLLECTED_IN_TOWN = 128  # its path ended at a township station: the villager went to collect it

# Outbound parcels (farm products from the villages) leave t_hub and the inbound stages
# NaN: their drop-off at the village point is t_created, and their own stages follow.
STAGES = (
    "t_created",
    "t_hub",
    "t_sorted",
    "t_left_hub",
    "t_station",
    "t_at_point",
    "t_picked_up",
    # Last in the tuple so that earlier columns keep their places; the time a parcel
    # left a township station (boarded there; the last one if it changed at several).
    "t_left_station",
)
"""Time stamps, in column order (a newer stamp is appended; see :data:`JOURNEY`)."""

JOURNEY = (*STAGES[:5], "t_left_station", "t_at_point", "t_picked_up")
"""The stamps in the order a parcel reaches them (those it reaches: NaN for the others)."""

OUTBOUND_STAGES = (
    "t_collected",  # first boarded a vehicle at its village point
    "t_reached_hub",  # alighted at the hub (then sorted: t_sorted)
    "t_shipped",  # left the hub on an outbound line-haul
    "t_spoiled",  # perishable, spoiled (left the flow); NaN if it did not
)

# Cold chain (sim.engine.coldchain): when a perishable parcel spoils if it stays warm
# from now on (inf: never), and since when it has been cold (NaN: it is warm); the
# outbound product (index into outbound.products; -1 inbound).
COLD_CHAIN_COLUMNS = (*OUTBOUND_STAGES, "product", "spoils_at", "cold_since")
"""Columns a ledger keeps only with ``cold_chain``; without, :meth:`Ledger.column`
reads them as their value for a parcel that never reaches them (:data:`ABSENT`)."""

ABSENT = {
    **dict.fromkeys((*OUTBOUND_STAGES, "cold_since"), np.nan),
    "product": -1,
    "spoils_at": np.inf,
}

INBOUND_DERIVED = ("origin", "t_created")
"""Columns an inbound parcel does not need: it enters the network at the hub (origin 0)
when it reaches it (t_created = t_hub). Only outbound parcels differ, and they exist only
in a run with a cold chain (``sim.engine.model.keeps_cold_chain``), so a ledger without
``cold_chain`` does not keep them: :meth:`Ledger.column` reads ``t_created`` as ``t_hub``
and ``origin`` as 0."""

_DTYPES = {
    "destination": np.int32,
    "origin": np.int32,
    "direction": np.int8,
    "flags": np.uint8,
    "brand": np.int8,
    "network": np.int8,
    "product": np.int8,
}
"""Column types other than float64 (times and hours)."""


class Ledger:
    """Growable struct-of-arrays table of parcels.

    Parameters
    ----------
    capacity : rows to allocate up front; the ledger doubles when it runs out,
        so a good estimate saves copying.
    cold_chain : keep the :data:`COLD_CHAIN_COLUMNS` and :data:`INBOUND_DERIVED` (a run
        with farm products going out or perishables that spoil); without, they read as
        :data:`ABSENT`, 0 and ``t_hub`` and cannot be written, and only inbound parcels
        can be appended.
    """

    def __init__(self, capacity: int = 1024, *, cold_chain: bool = False) -> None:
        capacity = max(int(capacity), 16)
        self.n = 0
        self.cold_chain = bool(cold_chain)
        # Only a run with farm products going out (or perishables that spoil) keeps the
        # cold-chain columns: without them they would cost 49 of 133 bytes per parcel.
        self.columns = self._held(self.cold_chain)
        for name in self.columns:
            # Time stamps are filled with NaN row by row in append(): one pass over
            # the memory, not two.
            setattr(self, name, np.empty(capacity, dtype=_DTYPES.get(name, np.float64)))
        self._prefault = Prefault([getattr(self, name) for name in self.columns])

    # Every ledger has these (held as arrays, except INBOUND_DERIVED without a cold
    # chain, which are read from t_hub and 0). pickup_delay_h is the time from reaching
    # the point to being collected (0 if delivered home), drawn when the parcel is
    # created so that two scenarios run with the same seed give each parcel the same
    # pickup behaviour (common random numbers); brand is the parcel's express brand
    # (index into the scenario's brands; 0 without brands) and network the one that
    # carries it (index into ``Run.networks``).
    _COLUMNS = (
        "destination",
        "origin",
        "direction",
        "flags",
        "pickup_delay_h",
        *STAGES,
        "brand",
        "network",
    )

    @classmethod
    def _held(cls, cold_chain: bool) -> tuple[str, ...]:
        """The columns a ledger keeps as arrays, in :meth:`to_frame` order."""
        if cold_chain:
            return cls._COLUMNS + COLD_CHAIN_COLUMNS
        # 12 bytes per parcel (of 84) that a run without outbound parcels need not keep.
        return tuple(name for name in cls._COLUMNS if name not in INBOUND_DERIVED)

    @property
    def capacity(self) -> int:
        """Rows allocated."""
        return self.destination.size

    def _grow(self, needed: int) -> None:
        new = max(needed, 2 * self.capacity)
        self._prefault.stop()
        for name in self.columns:
            old = getattr(self, name)
            grown = np.empty(new, dtype=old.dtype)
            grown[: self.n] = old[: self.n]
            setattr(self, name, grown)
        self._prefault = Prefault([getattr(self, name) for name in self.columns])

    def append(
        self,
        *,
        destination: np.ndarray,
        origin: np.ndarray | int,
        direction: int,
        flags: np.ndarray,
        t_created: np.ndarray,
        t_hub: np.ndarray,
        pickup_delay_h: np.ndarray,
        brand: np.ndarray | int = 0,
        network: np.ndarray | int = 0,
        product: np.ndarray | int = -1,
        spoils_at: np.ndarray | float = np.inf,
    ) -> np.ndarray:
        """Add parcels; returns their row indices."""
        if not self.cold_chain and (
            np.any(np.asarray(origin) != 0) or np.any(np.asarray(t_created) != t_hub)
        ):
            raise ValueError(
                "a ledger without cold_chain keeps only inbound parcels "
                "(origin 0, t_created equal to t_hub)"
            )
        count = len(destination)
        if self.n + count > self.capacity:
            self._grow(self.n + count)
        rows = slice(self.n, self.n + count)
        self.destination[rows] = destination
        self.direction[rows] = direction
        self.flags[rows] = flags
        self.t_hub[rows] = t_hub
        self.pickup_delay_h[rows] = pickup_delay_h
        self.brand[rows] = brand
        self.network[rows] = network
        for stage in STAGES[2:]:
            getattr(self, stage)[rows] = np.nan  # after t_created and t_hub: not yet reached
        if self.cold_chain:
            self.origin[rows] = origin
            self.t_created[rows] = t_created
            for stage in (*OUTBOUND_STAGES, "cold_since"):
                getattr(self, stage)[rows] = np.nan
            self.product[rows] = product
            self.spoils_at[rows] = spoils_at
        elif np.any(np.asarray(product) != -1) or np.any(np.isfinite(spoils_at)):
            raise ValueError("a ledger without cold_chain keeps no products or shelf lives")
        self.n += count
        return np.arange(rows.start, rows.stop)

    def column(self, name: str) -> np.ndarray:
        """The filled part of one column (a view, not a copy).

        In a ledger without ``cold_chain``, a cold-chain column reads as its
        :data:`ABSENT` value for every parcel and ``origin`` as 0 (read-only views of one
        number: no memory), ``t_created`` as a read-only view of ``t_hub``
        (:data:`INBOUND_DERIVED`).
        """
        if not self.cold_chain:
            if name == "t_created":
                view = self.t_hub[: self.n].view()
                view.flags.writeable = False
                return view
            if name in ABSENT or name == "origin":
                value = np.array(ABSENT.get(name, 0), dtype=_DTYPES.get(name, np.float64))
                return np.broadcast_to(value, (self.n,))
        return getattr(self, name)[: self.n]

    @classmethod
    def row_bytes(cls, *, cold_chain: bool = False) -> int:
        """Bytes one parcel takes in a ledger (with or without the cold-chain columns)."""
        names = cls._held(cold_chain)
        return sum(np.dtype(_DTYPES.get(name, np.float64)).itemsize for name in names)

    def to_frame(self) -> pd.DataFrame:
        """All parcels as a DataFrame, one row each (every column, kept or not)."""
        names = self._COLUMNS + COLD_CHAIN_COLUMNS
        frame = pd.DataFrame({name: self.column(name) for name in names})
        frame.index.name = "parcel"
        return frame
