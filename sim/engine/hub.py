"""The county hub: security inspection, then the automated sorting line.

Both are single FIFO servers whose departure times are computed exactly, one
vectorised call per daily batch (see ``sim.engine.queueing``); no parcel is a
process. Inspection runs around the clock; a share of parcels is pulled aside for
an open-box check, which delays them and so changes their order into the sorter.
The sorting line works only inside its shifts. Parcels for the county town (those
whose destination is the hub itself) load both like any other and are handed to urban
delivery once sorted; the village network never sees them.
"""

from __future__ import annotations

import numpy as np

from sim.engine.ledger import OPEN_BOX, Ledger
from sim.engine.queueing import (
    BusyByDay,
    WorkingClock,
    fifo_departures,
    fifo_departures_in_shifts,
)
from sim.engine.streams import draw_positive
from sim.network.geography import HUB
from sim.scenario.schema import Hub


class HubLine:
    """Inspection and sorting state carried from one daily batch to the next."""

    def __init__(self, cfg: Hub) -> None:
        self.cfg = cfg
        self.clock = WorkingClock([(s.start, s.end) for s in cfg.sorting.shifts])
        self.inspection_free_at = -np.inf
        self.sorting_free_at_work = -np.inf
        # Parcels that reach the sorter after the batch boundary wait for the next
        # batch, so that every batch is sorted in true arrival order.
        self._carry_rows = np.empty(0, dtype=np.int64)
        self._carry_arrival = np.empty(0)
        # Sorting time is booked to the shift hours it is worked in, not to the day
        # the parcels arrived: an overloaded day's backlog is worked off the next days.
        self.sorting_busy = BusyByDay(self.clock.hours_per_day)
        self.handed_to_town = 0

    @property
    def holding(self) -> int:
        """Parcels inspected but held over for the next sorting batch."""
        return self._carry_rows.size

    def process(
        self,
        ledger: Ledger,
        rows: np.ndarray,
        boundary: float,
        inspection_rng: np.random.Generator,
        sorting_rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Inspect and sort one batch of parcels that arrived at the hub.

        Parameters
        ----------
        ledger : the parcel ledger (``t_hub`` of *rows* set, nondecreasing)
        rows : ledger rows of the batch
        boundary : no later batch has a sorter arrival before this time; parcels
            reaching the sorter after it are held over (``inf`` flushes everything)
        inspection_rng, sorting_rng : the inspection and sorting streams

        Returns
        -------
        rows and sorting completion times of the parcels sorted now, in sorting order
        """
        cfg = self.cfg
        arrival = ledger.t_hub[rows]
        inspect = np.full(rows.size, 1.0 / cfg.inspection.rate_per_h)
        inspected, self.inspection_free_at = fifo_departures(
            arrival, inspect, self.inspection_free_at
        )
        open_box = inspection_rng.random(rows.size) < cfg.inspection.open_box_share
        ledger.flags[rows[open_box]] |= OPEN_BOX
        at_sorter = inspected + open_box * (cfg.inspection.open_box_min / 60.0)

        waiting_rows = np.concatenate([self._carry_rows, rows])
        waiting_arrival = np.concatenate([self._carry_arrival, at_sorter])
        order = np.argsort(waiting_arrival, kind="stable")
        now = waiting_arrival[order] <= boundary
        serve, hold = order[now], order[~now]
        self._carry_rows, self._carry_arrival = waiting_rows[hold], waiting_arrival[hold]

        sorting = cfg.sorting
        service = draw_positive(
            sorting_rng, sorting.service, 1.0 / sorting.rate_per_h, sorting.cv, serve.size
        )
        done, self.sorting_free_at_work = fifo_departures_in_shifts(
            waiting_arrival[serve],
            service,
            self.clock,
            self.sorting_free_at_work,
            busy=self.sorting_busy,
        )
        sorted_rows = waiting_rows[serve]
        ledger.t_sorted[sorted_rows] = done
        return sorted_rows, done

    def hand_over_urban(
        self, ledger: Ledger, rows: np.ndarray, done: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Hand the sorted parcels for the county town to urban delivery.

        They leave the hub when sorted (``t_left_hub`` = ``t_sorted``) and are
        counted in ``handed_to_town``. Returns the rows and sorting completion times
        of the other parcels, those for the villages, in their order.
        """
        urban = ledger.destination[rows] == HUB
        ledger.t_left_hub[rows[urban]] = done[urban]
        self.handed_to_town += int(np.count_nonzero(urban))
        return rows[~urban], done[~urban]
