"""The parcel ledger: one row per parcel, held as a struct of numpy arrays.

Parcels are rows, not processes. Resources (the sorting line, trips) move index
arrays of parcels and stamp the time each one reaches a stage. A stage not yet
reached is NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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


class Ledger:
    """Growable struct-of-arrays table of parcels.

    Parameters
    ----------
    capacity : rows to allocate up front; the ledger doubles when it runs out,
        so a good estimate saves copying.
    """

    def __init__(self, capacity: int = 1024) -> None:
        capacity = max(int(capacity), 16)
        self.n = 0
        self.destination = np.empty(capacity, dtype=np.int32)
        self.origin = np.empty(capacity, dtype=np.int32)
        self.direction = np.empty(capacity, dtype=np.int8)
        self.flags = np.empty(capacity, dtype=np.uint8)
        # Time from reaching the point to being collected (0 if delivered home).
        # Drawn when the parcel is created so that two scenarios run with the same
        # seed give each parcel the same pickup behaviour (common random numbers).
        self.pickup_delay_h = np.empty(capacity)
        # Cold chain (sim.engine.coldchain): when a perishable parcel spoils if it stays
        # warm from now on (inf: never), and since when it has been cold (NaN: it is warm).
        self.spoils_at = np.empty(capacity)
        self.cold_since = np.empty(capacity)
        self.product = np.empty(capacity, dtype=np.int8)  # outbound product index; -1 inbound
        for stage in (*STAGES, *OUTBOUND_STAGES):
            # Filled with NaN row by row in append(): one pass over the memory, not two.
            setattr(self, stage, np.empty(capacity))
        # The parcel's express brand (index into the scenario's brands; 0 without
        # brands) and the network that carries it (index into ``Run.networks``).
        self.brand = np.empty(capacity, dtype=np.int8)
        self.network = np.empty(capacity, dtype=np.int8)

    _COLUMNS = (
        "destination",
        "origin",
        "direction",
        "flags",
        "pickup_delay_h",
        *STAGES,
        "brand",
        "network",
        *OUTBOUND_STAGES,
        "product",
        "spoils_at",
        "cold_since",
    )

    @property
    def capacity(self) -> int:
        """Rows allocated."""
        return self.destination.size

    def _grow(self, needed: int) -> None:
        new = max(needed, 2 * self.capacity)
        for name in self._COLUMNS:
            old = getattr(self, name)
            grown = np.empty(new, dtype=old.dtype)
            grown[: self.n] = old[: self.n]
            setattr(self, name, grown)

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
        count = len(destination)
        if self.n + count > self.capacity:
            self._grow(self.n + count)
        rows = slice(self.n, self.n + count)
        self.destination[rows] = destination
        self.origin[rows] = origin
        self.direction[rows] = direction
        self.flags[rows] = flags
        self.t_created[rows] = t_created
        self.t_hub[rows] = t_hub
        self.pickup_delay_h[rows] = pickup_delay_h
        self.brand[rows] = brand
        self.network[rows] = network
        for stage in (*STAGES[2:], *OUTBOUND_STAGES, "cold_since"):
            getattr(self, stage)[rows] = np.nan  # after t_created and t_hub: not yet reached
        self.product[rows] = product
        self.spoils_at[rows] = spoils_at
        self.n += count
        return np.arange(rows.start, rows.stop)

    def column(self, name: str) -> np.ndarray:
        """The filled part of one column (a view, not a copy)."""
        return getattr(self, name)[: self.n]

    def to_frame(self) -> pd.DataFrame:
        """All parcels as a DataFrame, one row each."""
        frame = pd.DataFrame({name: self.column(name) for name in self._COLUMNS})
        frame.index.name = "parcel"
        return frame
