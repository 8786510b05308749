"""Scheduled trips moving batches of parcels between waiting queues.

One generic ``trip`` process runs any service: at each stop it unloads the parcels
whose leg ends there, loads waiting parcels up to free capacity, dwells, and
drives on. Parcels wait at a stop in a queue keyed by the service they board next;
the path tables of the plan say where each one goes after it alights.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import simpy

from sim.engine.ledger import PERISHABLE, Ledger
from sim.network.geography import HUB, POINT, STATION
from sim.network.services import Plan, Service

_NO_ROWS = np.empty(0, dtype=np.int64)
_NO_LEGS = np.empty(0, dtype=np.int8)
_NO_STOPS = np.empty(0, dtype=np.int16)


class WaitingParcels:
    """Parcels waiting at one stop for one service.

    Each parcel is loadable from its ``ready`` time on (after sorting or
    cross-docking). Loading order: perishables first, then first come (by hub
    arrival), first served.
    """

    __slots__ = ("rows", "legs", "ready")

    def __init__(self) -> None:
        self.rows = _NO_ROWS
        self.legs = _NO_LEGS
        self.ready = np.empty(0)

    def __len__(self) -> int:
        return self.rows.size

    def add(self, rows: np.ndarray, legs: np.ndarray, ready: np.ndarray) -> None:
        """Queue parcels that will be loadable from their ready times."""
        if self.rows.size:
            self.rows = np.concatenate([self.rows, rows])
            self.legs = np.concatenate([self.legs, legs])
            self.ready = np.concatenate([self.ready, ready])
        else:
            self.rows, self.legs, self.ready = rows, legs, ready

    def take(self, now: float, limit: int, ledger: Ledger) -> tuple[np.ndarray, np.ndarray]:
        """Remove and return up to *limit* parcels ready at *now* (rows, leg numbers)."""
        ready = self.ready <= now
        count = int(ready.sum())
        if count == 0 or limit <= 0:
            return _NO_ROWS, _NO_LEGS
        candidates = np.flatnonzero(ready)
        if count > limit:
            rows = self.rows[candidates]
            perishable = (ledger.flags[rows] & PERISHABLE) != 0
            order = np.lexsort((rows, ledger.t_hub[rows], ~perishable))
            candidates = np.sort(candidates[order[:limit]])
        taken_rows, taken_legs = self.rows[candidates], self.legs[candidates]
        keep = np.ones(self.rows.size, dtype=bool)
        keep[candidates] = False
        self.rows, self.legs, self.ready = self.rows[keep], self.legs[keep], self.ready[keep]
        return taken_rows, taken_legs


@dataclass
class TripLog:
    """What every trip did: counted by the trips, interpreted by ``sim.analysis``."""

    service: list[int] = field(default_factory=list)
    depart_h: list[float] = field(default_factory=list)
    end_h: list[float] = field(default_factory=list)
    km: list[float] = field(default_factory=list)
    parcels: list[int] = field(default_factory=list)
    max_load: list[int] = field(default_factory=list)

    def record(self, service, depart_h, end_h, km, parcels, max_load) -> None:
        """Append one finished trip."""
        self.service.append(service)
        self.depart_h.append(depart_h)
        self.end_h.append(end_h)
        self.km.append(km)
        self.parcels.append(parcels)
        self.max_load.append(max_load)


class ParcelFlow:
    """Where parcels wait and how they move on: queues, paths and the ledger."""

    def __init__(self, plan: Plan, ledger: Ledger, crossdock_h: float) -> None:
        self.plan = plan
        self.ledger = ledger
        self.crossdock_h = crossdock_h
        sizes = [len(s.stops) for s in plan.services]
        self.queue_base = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self.queues = [WaitingParcels() for _ in range(int(sum(sizes)))]
        self.level = plan.geography.level
        self.log = TripLog()
        # Parcels aboard each trip under way, so that the parcels still in the
        # network can be counted where they are when the run stops.
        self.aboard: dict[int, int] = {}
        self._trip_numbers = itertools.count()

    def waiting(self) -> dict[str, int]:
        """Parcels waiting in queues, by the level of the place they wait at."""
        counts = {"hub": 0, "station": 0}
        for service, base in zip(self.plan.services, self.queue_base, strict=True):
            for position, place in enumerate(service.stops):
                key = "hub" if self.level[place] == HUB else "station"
                counts[key] += len(self.queues[base + position])
        return counts

    def enqueue(self, rows: np.ndarray, legs: np.ndarray, ready: np.ndarray) -> None:
        """Put parcels in the queue of the leg they ride next."""
        if rows.size == 0:
            return
        dest = self.ledger.destination[rows]
        plan = self.plan
        queue = self.queue_base[plan.leg_service[dest, legs]] + plan.leg_board[dest, legs]
        # Few queues: a narrow integer type lets numpy use its linear-time radix sort.
        narrow = np.int16 if len(self.queues) < 2**15 else np.int32
        order = np.argsort(queue.astype(narrow), kind="stable")
        queue = queue[order]
        cuts = np.flatnonzero(np.diff(queue)) + 1
        starts = np.concatenate([[0], cuts])
        for group in np.split(order, cuts):
            self.queues[queue[starts[0]]].add(rows[group], legs[group], ready[group])
            starts = starts[1:]

    def arrive(self, rows: np.ndarray, legs: np.ndarray, place: int, when: float) -> None:
        """Parcels alight at *place* at time *when*: delivered, or on to their next leg."""
        ledger = self.ledger
        if self.level[place] == POINT:
            # Paths end at their village point and never change vehicles there.
            ledger.t_at_point[rows] = when
            ledger.t_picked_up[rows] = when + ledger.pickup_delay_h[rows]
            return
        if self.level[place] == STATION:
            ledger.t_station[rows] = when
        self.enqueue(rows, legs + 1, np.full(rows.size, when + self.crossdock_h))


def _board(rows, legs, alight, boarded, boarded_legs, boarded_alight):
    """Add parcels to a vehicle's load, kept in order of the stop where they alight."""
    rows = np.concatenate([rows, boarded])
    legs = np.concatenate([legs, boarded_legs])
    alight = np.concatenate([alight, boarded_alight])
    order = np.argsort(alight, kind="stable")
    return rows[order], legs[order], alight[order]


def trip(env: simpy.Environment, flow: ParcelFlow, index: int, service: Service):
    """One run of a service along its stops, starting now.

    The load is kept sorted by alighting stop, so the parcels leaving at a stop
    are always the front of the load.
    """
    ledger = flow.ledger
    base = int(flow.queue_base[index])
    last = len(service.stops) - 1
    depart = env.now
    rows, legs, alight = _NO_ROWS, _NO_LEGS, _NO_STOPS
    carried = max_load = 0
    number = next(flow._trip_numbers)
    for position, place in enumerate(service.stops):
        now = env.now
        leaving = int(np.searchsorted(alight, position, side="right")) if rows.size else 0
        dropped, dropped_legs = rows[:leaving], legs[:leaving]
        rows, legs, alight = rows[leaving:], legs[leaving:], alight[leaving:]
        queue = flow.queues[base + position]
        boarded = _NO_ROWS
        if position < last and len(queue):
            boarded, boarded_legs = queue.take(now, service.capacity - rows.size, ledger)
        if position == 0 and boarded.size == 0 and service.skip_if_empty:
            return  # nothing to carry: the run is cancelled
        if boarded.size:
            carried += boarded.size
            boarded_alight = flow.plan.leg_alight[ledger.destination[boarded], boarded_legs]
            rows, legs, alight = _board(rows, legs, alight, boarded, boarded_legs, boarded_alight)
            max_load = max(max_load, rows.size)
        handled = leaving + boarded.size
        # The vehicle stops only where it hands parcels over or takes them on.
        dwell = service.stop_h + service.handling_h_per_parcel * handled if handled else 0.0
        if leaving:
            flow.arrive(dropped, dropped_legs, place, now + dwell)
        if boarded.size and flow.level[place] == HUB:
            ledger.t_left_hub[boarded] = now + dwell
        if position < last:
            flow.aboard[number] = rows.size
            yield env.timeout(dwell + service.leg_h[position])
    del flow.aboard[number]
    flow.log.record(
        index, depart, env.now, sum(service.leg_km) * service.vehicles, carried, max_load
    )


def timetable(env: simpy.Environment, flow: ParcelFlow, days: int):
    """Start every service's trips at its departure times, day after day."""
    services = flow.plan.services
    daily = sorted(
        (hour, index) for index, service in enumerate(services) for hour in service.departures_h
    )
    for day in range(days):
        for hour, index in daily:
            start = day * 24.0 + hour
            if start > env.now:
                yield env.timeout(start - env.now)
            env.process(trip(env, flow, index, services[index]))
