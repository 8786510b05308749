"""Cold chain: how long perishable parcels stay warm, and when they spoil.

A perishable parcel carries ``spoils_at``, the time it spoils if it stays warm from now
on (``inf``: it never spoils): outbound farm products from their drop-off, inbound
perishables (``demand.perishable_shelf_life_h``) from their arrival at the hub. Time in
a station's cold room or aboard a refrigerated vehicle does not count: leaving the cold
pushes ``spoils_at`` back by the time spent there (``cold_since``: NaN while warm).
Spoilage is checked at the stage boundaries — when a vehicle stops where the parcel
waits, when it alights, when the hub has sorted it (inbound) or before the line-haul
leaves (outbound) — and a spoiled parcel leaves the flow, stamped ``t_spoiled`` =
``spoils_at`` (when it spoiled, not when it was found). See docs/outbound.md.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from sim.engine.ledger import Ledger
from sim.scenario.schema import Scenario


class ColdChain:
    """The cold rooms and refrigerated vehicles of one network, and spoilage checks."""

    def __init__(self, scenario: Scenario, flow) -> None:
        self.ledger: Ledger = flow.ledger
        self.queues = flow.queues
        self.refrigerated = np.array(
            [not s.is_bus and scenario.fleets[s.fleet].refrigerated for s in flow.plan.services]
        )
        self.capacity = scenario.stations.cold_storage_parcels
        self.used: dict[int, int] = defaultdict(int)  # station -> parcels in its cold room

    def spoiled(self, rows: np.ndarray, when: float | np.ndarray) -> np.ndarray:
        """Which of the warm parcels *rows* have spoiled by *when*: stamped, a mask of them."""
        ledger = self.ledger
        spoiled = ledger.spoils_at[rows] <= when
        ledger.t_spoiled[rows[spoiled]] = ledger.spoils_at[rows[spoiled]]
        return spoiled

    def purge(self, queue_id: int, now: float) -> None:
        """Take the parcels that spoiled while waiting warm out of a queue."""
        queue = self.queues[queue_id]
        if not len(queue):
            return
        ledger = self.ledger
        spoiled = np.flatnonzero(
            (ledger.spoils_at[queue.rows] <= now) & np.isnan(ledger.cold_since[queue.rows])
        )
        if spoiled.size:
            rows = queue.remove(spoiled)[0]
            ledger.t_spoiled[rows] = ledger.spoils_at[rows]

    def boarded(self, rows: np.ndarray, service: int, place: int, now: float) -> None:
        """Parcels boarded a vehicle: they leave a station's cold room, enter a refrigerated one."""
        ledger = self.ledger
        cold = rows[~np.isnan(ledger.cold_since[rows])]
        if cold.size:
            self._leave_cold(cold, now)
            self.used[place] -= cold.size
        if self.refrigerated[service]:
            perishable = rows[np.isfinite(ledger.spoils_at[rows])]
            ledger.cold_since[perishable] = now

    def _leave_cold(self, rows: np.ndarray, now: float) -> None:
        ledger = self.ledger
        ledger.spoils_at[rows] += now - ledger.cold_since[rows]
        ledger.cold_since[rows] = np.nan

    def alighted(self, rows: np.ndarray, when: float) -> np.ndarray:
        """Parcels left a vehicle at *when*: a mask of those that have not spoiled."""
        cold = rows[~np.isnan(self.ledger.cold_since[rows])]
        if cold.size:
            self._leave_cold(cold, when)  # off the refrigerated vehicle
        return ~self.spoiled(rows, when)

    def chill(self, rows: np.ndarray, place: int, when: float) -> None:
        """Perishable parcels waiting at station *place* go in its cold room while it has room."""
        if not self.capacity:
            return
        ledger = self.ledger
        perishable = rows[np.isfinite(ledger.spoils_at[rows])]
        room = max(self.capacity - self.used[place], 0)
        chilled = perishable[:room]
        ledger.cold_since[chilled] = when
        self.used[place] += chilled.size
