"""Village points: when villagers can collect, and how much the shelves hold.

A van or bus hands parcels over at a village point whenever it gets there (the
point keeps a key or a locker for the courier). Villagers collect only while the
point is open: a villager who comes while it is closed collects at the next
opening. Parcels for home delivery are handed over on the run and never wait.

Storage is counted, not enforced: a parcel that reaches a point whose shelves are
full is still left there (stacked beside them, as a shop does) and flagged
``OVER_STORAGE``, so every parcel keeps its one path and the KPI
``point_overflow_parcels`` says how often a point was too small.
"""

from __future__ import annotations

import numpy as np

from sim.engine.ledger import HOME_DELIVERY, OVER_STORAGE, Ledger
from sim.scenario.schema import Points


def next_opening(t: np.ndarray, hours: tuple[tuple[float, float], ...]) -> np.ndarray:
    """The earliest time at or after each *t* at which a point is open.

    Parameters
    ----------
    t : times, hours from day 0 00:00
    hours : daily opening windows ``(start, end)`` in clock hours, end exclusive;
        empty means always open (*t* is returned unchanged)
    """
    t = np.asarray(t, dtype=float)
    if not hours:
        return t
    day = np.floor(t / 24.0) * 24.0
    clock = t - day
    earliest = np.full(t.shape, np.inf)
    for start, end in hours:
        # Within this window: now; before it: today's opening; after it: tomorrow's.
        in_window = np.where(clock < start, day + start, np.where(clock < end, t, day + 24 + start))
        earliest = np.minimum(earliest, in_window)
    return earliest


class PointShelves:
    """The village points of a run: their opening hours and what their shelves hold."""

    def __init__(self, cfg: Points) -> None:
        self.hours = tuple((window.start, window.end) for window in cfg.opening_hours)
        self.storage = cfg.storage_parcels
        # Per point, the collection times of the parcels on it (pruned as they go).
        self._stored: dict[int, np.ndarray] = {}

    def receive(self, ledger: Ledger, rows: np.ndarray, place: int, when: float) -> None:
        """Parcels reach their village point *place* at *when*: stamp their collection."""
        home = self.stamp(ledger, rows, when)
        if self.storage is None:
            return
        waiting = rows[~home]
        stored = self._stored.get(place, np.empty(0))
        stored = stored[stored > when]  # collected by now: off the shelves
        room = max(self.storage - stored.size, 0)
        ledger.flags[waiting[room:]] |= OVER_STORAGE
        self._stored[place] = np.concatenate([stored, ledger.t_picked_up[waiting]])

    def stamp(self, ledger: Ledger, rows: np.ndarray, when) -> np.ndarray:
        """Stamp parcels handed over at a point at *when* (one time, or one per parcel).

        Sets their arrival and collection times; returns which are home deliveries.
        Shelf space is :meth:`receive`'s: only it knows the order parcels arrive in.
        """
        ledger.t_at_point[rows] = when
        home = (ledger.flags[rows] & HOME_DELIVERY) != 0
        wanted = when + ledger.pickup_delay_h[rows]
        ledger.t_picked_up[rows] = np.where(home, when, next_opening(wanted, self.hours))
        return home

    def __repr__(self) -> str:
        return f"PointShelves(hours={self.hours}, storage={self.storage})"
