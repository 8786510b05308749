"""Expected times by the timetable: when parcels are ready and when a service gets them there.

Route and carrier choices are made before any parcel moves, so they rest on the
timetable alone: the hub's sorting line worked as a fluid (the mean day's parcels, no
randomness), and trips that leave on time on average (their mean lateness added),
stop for their dwell at every stop and drive at their planned speed. Per-parcel
handling is left out, for every carrier alike. ``docs/buses.md`` says how the bus
policy uses these times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.engine.queueing import WorkingClock
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from sim.network.services import Service

# Each wave's unloading is cut into this many equal slices, so that a departure that
# catches part of a wave's sorting is credited with that part.
SLICES_PER_WAVE = 6


@dataclass(frozen=True)
class ReadyTimes:
    """When a day's parcels become loadable at a place: times (h) and shares (sum 1)."""

    hours: np.ndarray
    shares: np.ndarray


def hub_ready_times(scenario: Scenario, parcels_per_day: float) -> ReadyTimes:
    """When an ordinary day's parcels leave the sorting line, as a fluid.

    Hub arrivals are the demand's waves (each cut into ``SLICES_PER_WAVE`` slices over
    its unloading) or, for Poisson arrivals, the middle of every hour. Slices are
    sorted first come, first served at ``hub.sorting.rate_per_h`` inside the shifts;
    a slice's parcels are ready when half of it is sorted. Inspection is left out (it
    is faster than the sorter).
    """
    demand = scenario.demand
    if demand.arrivals == "poisson":
        arrive, shares = np.arange(24) + 0.5, np.full(24, 1 / 24)
    else:
        slices = (np.arange(SLICES_PER_WAVE) + 0.5) / SLICES_PER_WAVE
        arrive = np.concatenate(
            [w.time + slices * demand.wave_unload_min / 60 for w in demand.waves]
        )
        shares = np.repeat([w.share / SLICES_PER_WAVE for w in demand.waves], SLICES_PER_WAVE)
        order = np.argsort(arrive, kind="stable")
        arrive, shares = arrive[order], shares[order]
    sorting = scenario.hub.sorting
    clock = WorkingClock([(s.start, s.end) for s in sorting.shifts])
    free = -np.inf
    ready = np.empty(arrive.size)
    for i, (at, share) in enumerate(zip(arrive, shares, strict=True)):
        work = share * parcels_per_day / sorting.rate_per_h
        start = max(float(clock.to_work(at)), free)
        ready[i] = float(clock.to_real(start + work / 2))
        free = start + work
    return ReadyTimes(ready, shares)


def stop_offsets_h(service: Service) -> np.ndarray:
    """Hours from a trip's departure to its arrival at each stop, by the timetable.

    The dwell (``stop_h``) at every earlier stop plus the driving, plus the mean of
    the departure lateness where the service has one.
    """
    late = service.delay_min.mean / 60.0 if service.delay_min is not None else 0.0
    legs = np.asarray(service.leg_h, dtype=float) + service.stop_h
    return late + np.concatenate([[0.0], np.cumsum(legs)])


def first_trips(
    service: Service, board: int, alight: int, ready_h: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The trip parcels ready at each of *ready_h* catch at stop *board*, and their arrival.

    A trip is caught when it reaches *board* at or after the ready time (the next
    day's, if none is left that day); departures without cargo space are never
    caught. Returns the caught departure (index into ``departures_h``) and the time
    the parcels are handed over at *alight* (arrival plus the dwell there).
    """
    offsets = stop_offsets_h(service)
    departures = np.asarray(service.departures_h, dtype=float)
    usable = np.flatnonzero(np.asarray(service.capacities) > 0)
    at_board = departures[usable] + offsets[board]
    # Whole days to add so that the earliest usable trip is within 24 h before ready.
    shift = 24.0 * np.floor((ready_h - at_board.min()) / 24.0)
    candidates = np.concatenate([at_board, at_board + 24.0])[None, :] + shift[:, None]
    waits = np.where(candidates >= ready_h[:, None] - 1e-9, candidates - ready_h[:, None], np.inf)
    caught = np.argmin(waits, axis=1)
    start = candidates[np.arange(ready_h.size), caught] - offsets[board]
    arrival = start + offsets[alight] + service.stop_h
    return usable[caught % usable.size], arrival
