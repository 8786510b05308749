"""Scheduled trips moving batches of parcels between waiting queues.

One generic ``trip`` process runs any service, van or bus: at each stop it
unloads the parcels whose leg ends there, loads waiting parcels up to free
capacity, dwells, and drives on. Parcels wait at a stop in a queue keyed by the
service they board next; the plan's path tables say where each one goes after it
alights. A parcel whose leg has a fallback carrier moves to the fallback's queue
once it has waited ``fallback_after_h``, when the fallback next departs.

A departure whose route is fixed once it has loaded at its first stop (most van runs)
is a round: loaded as it departs and worked out with others (:mod:`sim.engine.rounds`),
with the same results as this process stop by stop.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import simpy

from sim.engine.ledger import (
    COLLECTED_IN_TOWN,
    FELL_BACK,
    LEFT_BEHIND,
    OUTBOUND,
    PERISHABLE,
    RODE_BUS,
    Ledger,
)
from sim.engine.points import PointShelves
from sim.engine.rounds import Departure, Rounds
from sim.engine.streams import draw_positive
from sim.network.geography import HUB, POINT, STATION
from sim.network.services import Plan, Service
from sim.scenario.schema import Points

_NO_ROWS = np.empty(0, dtype=np.int64)
_NO_LEGS = np.empty(0, dtype=np.int8)
_NO_STOPS = np.empty(0, dtype=np.int16)
_NO_TIMES = np.empty(0)

STAMP_BATCH = 1 << 16
"""Parcels whose village-point stamps a flow gathers before writing them
(:meth:`ParcelFlow.stamp_later`): few writes, and a few MB held at most."""


class WaitingParcels:
    """Parcels waiting at one stop for one service.

    Per parcel: its ledger row, leg number, the stop position where it will alight,
    the time it is loadable from (after sorting or cross-docking), and the time it
    may move to its fallback carrier (``inf`` without one). Loading order:
    perishables first, then first come (by hub arrival), first served.
    """

    __slots__ = ("rows", "legs", "alight", "ready", "expires")

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Empty the queue."""
        self.rows, self.legs, self.alight = _NO_ROWS, _NO_LEGS, _NO_STOPS
        self.ready, self.expires = _NO_TIMES, _NO_TIMES

    def __len__(self) -> int:
        return self.rows.size

    def add(self, rows, legs, alight, ready, expires) -> None:
        """Queue parcels."""
        if self.rows.size:
            self.rows = np.concatenate([self.rows, rows])
            self.legs = np.concatenate([self.legs, legs])
            self.alight = np.concatenate([self.alight, alight])
            self.ready = np.concatenate([self.ready, ready])
            self.expires = np.concatenate([self.expires, expires])
        else:
            self.rows, self.legs, self.alight = rows, legs, alight
            self.ready, self.expires = ready, expires

    def remove(self, positions: np.ndarray) -> tuple[np.ndarray, ...]:
        """Remove the parcels at *positions*; returns (rows, legs, alight, ready)."""
        taken = (
            self.rows[positions],
            self.legs[positions],
            self.alight[positions],
            self.ready[positions],
        )
        keep = np.ones(self.rows.size, dtype=bool)
        keep[positions] = False
        self.rows, self.legs, self.alight = self.rows[keep], self.legs[keep], self.alight[keep]
        self.ready, self.expires = self.ready[keep], self.expires[keep]
        return taken

    def take(self, now: float, limit: int, ledger: Ledger, left_behind_flag: int = 0):
        """Remove up to *limit* parcels ready at *now*; returns (rows, legs, alight).

        Ready parcels that do not fit are stamped with *left_behind_flag*.
        """
        ready = self.ready <= now
        count = int(np.count_nonzero(ready))
        if count == 0:
            return _NO_ROWS, _NO_LEGS, _NO_STOPS
        if count == self.rows.size and count <= limit:
            # Everything waiting fits: the common case, and no masks are needed.
            taken = self.rows, self.legs, self.alight
            self.clear()
            return taken
        candidates = np.flatnonzero(ready)
        if count > limit:
            rows = self.rows[candidates]
            perishable = (ledger.flags[rows] & PERISHABLE) != 0
            order = np.lexsort((rows, ledger.t_hub[rows], ~perishable))
            if left_behind_flag:
                ledger.flags[rows[order[limit:]]] |= left_behind_flag
            candidates = np.sort(candidates[order[:limit]])
        if candidates.size == 0:
            return _NO_ROWS, _NO_LEGS, _NO_STOPS
        return self.remove(candidates)[:3]


class TripLog:
    """What every trip did: counted by the trips, interpreted by ``sim.analysis``.

    A trip's record is kept as given (one dict) and the columns are made once, at the
    end (:meth:`column`): cheaper than a list per field. A record holds ``service``,
    ``depart_h``, ``late_h``, ``end_h``, ``km``, ``parcels``, ``max_load``,
    ``capacity``, ``parcel_km``, ``parcel_dwell_h``, ``vehicles``, ``finished``, and
    for the farm products going out ``outbound_parcels``, ``outbound_parcel_km`` and
    ``inbound_vehicles`` (the vehicles the departure would have sent for its inbound
    parcels alone); ``sim.engine.model.trip_table`` reads them.
    """

    def __init__(self) -> None:
        self._trips: list[dict] = []
        self._in_order = True

    def record(self, **trip) -> None:
        """Append one trip: every field of a record, by name."""
        self._trips.append(trip)
        self._in_order = False

    def column(self, name: str) -> list:
        """One field of every trip, in the order the trips ended.

        Trips that end at the same moment (those still under way when the run stops)
        come in the order they departed, then by service. Trips are not always recorded
        as they end (:mod:`sim.engine.rounds`), so the order is made here.
        """
        if not self._in_order:
            self._trips.sort(key=operator.itemgetter("end_h", "depart_h", "service"))
            self._in_order = True
        return list(map(operator.itemgetter(name), self._trips))


@dataclass
class TripProgress:
    """How far a trip under way has got: enough to account for it if the run stops.

    ``leg`` is the leg being driven (-1 before the first), ``drive_from`` the time its
    driving starts (after the dwell at its first stop); ``km_done`` and
    ``parcel_km_done`` cover the legs completed, per vehicle. ``vehicles`` is how
    many vehicles the departure sent and ``capacity`` their cargo capacity together.
    """

    service: int
    depart_h: float
    late_h: float
    capacity: int
    vehicles: int
    leg: int = -1
    drive_from: float = 0.0
    km_done: float = 0.0
    aboard: int = 0
    carried: int = 0
    max_load: int = 0
    parcel_km_done: float = 0.0
    parcel_dwell_h: float = 0.0
    outbound_aboard: int = 0
    outbound_carried: int = 0
    outbound_parcel_km_done: float = 0.0
    inbound_vehicles: int = 0
    ride: RideOut | None = None

    def drove(self, km: float, aboard: int) -> None:
        """A leg of *km* is behind the trip, with *aboard* parcels on each vehicle's load."""
        self.km_done += km
        self.parcel_km_done += aboard * km
        self.outbound_parcel_km_done += self.outbound_aboard * km


class ParcelFlow:
    """Where parcels wait and how they move on: queues, paths and the ledger."""

    def __init__(
        self,
        plan: Plan,
        ledger: Ledger,
        crossdock_h: float,
        delay_rng: np.random.Generator,
        shelves: PointShelves | None = None,
        run_ends_h: float = np.inf,
    ) -> None:
        self.plan = plan
        # Village points: always open with unlimited shelves unless the scenario says.
        self.shelves = shelves if shelves is not None else PointShelves(Points())
        self.ledger = ledger
        self.crossdock_h = crossdock_h
        self.delay_rng = delay_rng
        sizes = [len(s.stops) for s in plan.services]
        self.queue_base = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self.queues = [WaitingParcels() for _ in range(int(sum(sizes)))]
        self.level = plan.geography.level
        # Set by the model when the scenario has outbound parcels (sim.engine.outbound),
        # and when it has perishable parcels that may spoil (sim.engine.coldchain).
        self.outbound = None
        self.cold = None
        # Set when the timetable starts, once the above are (sim.engine.rounds).
        self.rounds: Rounds | None = None
        self.log = TripLog()
        # Trips under way, by trip number: so that the parcels still in the network can
        # be counted where they are, and the work done accounted, when the run stops.
        self.under_way: dict[int, TripProgress] = {}
        self._trip_numbers = itertools.count()
        # feeders[q]: the queues whose parcels may fall back to queue q.
        self.feeders: dict[int, list[int]] = {}
        has_fallback = plan.fallback_service >= 0
        primary = self._queue_id(plan.leg_service, plan.leg_board)[has_fallback]
        fallback = self._queue_id(plan.fallback_service, plan.fallback_board)[has_fallback]
        for p, q in sorted(set(zip(primary.tolist(), fallback.tolist(), strict=True))):
            self.feeders.setdefault(q, []).append(p)
        # When the run stops (``env.run(until=...)``): a stop reached then or later is
        # never processed.
        self.run_ends_h = run_ends_h
        self.last_boarding = last_boarding_stops(plan)
        self.at_point = [[bool(self.level[p] == POINT) for p in s.stops] for s in plan.services]
        # Queue of leg k of the path to place p, at [p * legs + k] (-1: no such leg).
        self.leg_queue = self._queue_id(plan.leg_service, plan.leg_board).ravel()
        # Village-point stamps of ride-outs, written in batches (stamp_later).
        self._stamp_rows: list[np.ndarray] = []
        self._stamp_h: list[float] = []
        self._stamp_counts: list[int] = []
        self._stamps_pending = 0

    def closes_at(self, index: int) -> int:
        """The stop after which a departure of service *index* takes on no more parcels.

        From there on its route is fixed (see :func:`_ride_out`). Farm products board
        at village points, and the cold chain and counted shelves act at every stop, so
        with any of them a trip is handled stop by stop to the end.
        """
        if self.outbound is not None or self.cold is not None or self.shelves.storage is not None:
            return len(self.plan.services[index].stops) - 1
        return int(self.last_boarding[index])

    def _queue_id(self, service: np.ndarray, board: np.ndarray) -> np.ndarray:
        return np.where(service >= 0, self.queue_base[service] + board, -1)

    def waiting(self) -> dict[str, int]:
        """Parcels waiting in queues, by the level of the place they wait at."""
        counts = {"hub": 0, "station": 0, "point": 0}
        for service, base in zip(self.plan.services, self.queue_base, strict=True):
            for position, place in enumerate(service.stops):
                key = {HUB: "hub", STATION: "station", POINT: "point"}[int(self.level[place])]
                queue = self.queues[base + position]
                counts[key] += len(queue) - self._outbound_in(queue.rows)
        return counts

    def _outbound_in(self, rows: np.ndarray) -> int:
        """How many of *rows* are outbound parcels (counted apart: ``OutboundFlow.in_network``)."""
        if self.outbound is None or not rows.size:
            return 0
        return int(np.count_nonzero(self.ledger.direction[rows] == OUTBOUND))

    def stamp_later(self, parcels: list[np.ndarray], handed_h: list[float]) -> None:
        """Stamp parcels handed over at village points, each group at its time, in batches.

        A ride-out (:func:`_ride_out`) knows these stamps before the parcels get there,
        and nothing reads them while the run goes on (``closes_at`` says when), so they
        are gathered and written a batch of :data:`STAMP_BATCH` parcels at a time
        (:meth:`write_stamps`) rather than a few dozen per trip.
        """
        counts = [group.size for group in parcels]
        self._stamp_rows.extend(parcels)
        self._stamp_h.extend(handed_h)
        self._stamp_counts.extend(counts)
        self._stamps_pending += sum(counts)
        if self._stamps_pending >= STAMP_BATCH:
            self.write_stamps()

    def write_stamps(self) -> None:
        """Write the village-point stamps gathered by :meth:`stamp_later`."""
        if not self._stamp_rows:
            return
        when = np.repeat(self._stamp_h, self._stamp_counts)
        self.shelves.stamp(self.ledger, np.concatenate(self._stamp_rows), when)
        self._stamp_rows, self._stamp_h, self._stamp_counts = [], [], []
        self._stamps_pending = 0

    def settle(self, now: float) -> None:
        """Write the gathered stamps; book the stops ride-outs passed before *now*.

        Called when the run stops, before anything reads the ledger or counts the trips
        under way (:class:`RideOut` books its progress lazily); the rounds not yet
        worked out are worked out first.
        """
        if self.rounds is not None:
            self.rounds.work_out(self)
        self.write_stamps()
        for progress in self.under_way.values():
            if progress.ride is not None:
                progress.ride.book(progress, progress.ride.reached_before(now))

    def on_vehicles(self) -> int:
        """Inbound parcels aboard trips under way (:meth:`settle` them first)."""
        return sum(p.aboard - p.outbound_aboard for p in self.under_way.values())

    def record_unfinished(self, now: float) -> None:
        """Log the trips still under way when the run stops at *now*, pro rata.

        Such a trip is counted for the work done up to *now*, not for the whole route:
        its hours run to *now* (``end_h``), its km are the legs completed plus the
        driven fraction (by time) of the leg under way, and its parcel-km likewise.
        ``finished`` is False in its log row. Without this, a fleet whose trips never
        come back would show no km, hours or cost at all.
        """
        for progress in self.under_way.values():
            service = self.plan.services[progress.service]
            km, parcel_km = progress.km_done, progress.parcel_km_done
            if progress.leg >= 0:
                leg_km, leg_h = service.leg_km[progress.leg], service.leg_h[progress.leg]
                driven = now - progress.drive_from
                share = min(max(driven / leg_h, 0.0), 1.0) if leg_h > 0 else float(driven >= 0)
                km += leg_km * share
                parcel_km += progress.aboard * leg_km * share
                progress.outbound_parcel_km_done += progress.outbound_aboard * leg_km * share
            self.log.record(
                service=progress.service,
                depart_h=progress.depart_h,
                # A trip still waiting out its departure delay has not started yet.
                late_h=min(progress.late_h, now - progress.depart_h),
                end_h=now,
                km=km * progress.vehicles,
                parcels=progress.carried,
                max_load=progress.max_load,
                capacity=progress.capacity,
                parcel_km=parcel_km,
                parcel_dwell_h=progress.parcel_dwell_h,
                vehicles=progress.vehicles,
                finished=False,
                outbound_parcels=progress.outbound_carried,
                outbound_parcel_km=progress.outbound_parcel_km_done,
                inbound_vehicles=progress.inbound_vehicles,
            )
        self.under_way.clear()

    def depart_round(
        self, now: float, index: int, service: Service, capacity: int, available: int
    ) -> None:
        """Load a round (:mod:`sim.engine.rounds`) at its first stop, now.

        What :func:`trip` does at the first stop, for a route fixed from there on; the
        rest is worked out later.
        """
        number = next(self._trip_numbers)
        vehicle_load = min(capacity, service.vehicle_load_max)
        left_behind = LEFT_BEHIND if service.is_bus else 0
        queue_id = int(self.queue_base[index])
        rows, legs, alight = self.take_waiting(queue_id, now, vehicle_load * available, left_behind)
        inbound, vehicles = _vehicles_sent(
            self, index, service, rows.size, vehicle_load, available, now
        )
        if vehicles == 0:
            return  # nothing to carry: the run is cancelled
        if service.is_bus and rows.size:
            self.ledger.flags[rows] |= RODE_BUS
        handling, dwell = stop_time(service, rows.size, vehicles)
        self.rounds.add(
            self,
            Departure(
                service=index,
                number=number,
                depart_h=now,
                left_h=now + dwell,
                second_stop_h=now + (dwell + service.leg_h[0]),  # as SimPy's clock adds it
                vehicles=vehicles,
                capacity=capacity * vehicles,
                inbound_vehicles=inbound,
                handling_h=handling,
                rows=rows,
                legs=legs,
                alight=alight,
            ),
        )

    def take_waiting(self, queue_id: int, now: float, room: int, left_behind_flag: int):
        """What a departure loads from queue *queue_id* now: (rows, legs, alight).

        First the parcels due to fall back to it join the queue and the perishables
        that spoiled waiting leave it; then up to *room* ready parcels are taken
        (:meth:`WaitingParcels.take`, which flags those left with *left_behind_flag*).
        """
        if queue_id in self.feeders:
            self.fall_back(queue_id, now)
        if self.cold is not None:
            self.cold.purge(queue_id, now)
        queue = self.queues[queue_id]
        if not len(queue):
            return _NO_ROWS, _NO_LEGS, _NO_STOPS
        return queue.take(now, room, self.ledger, left_behind_flag)

    def keep_under_way(self, departure: Departure) -> None:
        """A round still out when the run stops: its progress as :func:`trip` leaves it."""
        d = departure
        progress = TripProgress(d.service, d.depart_h, 0.0, d.capacity, d.vehicles)
        progress.leg, progress.drive_from = 0, d.left_h
        progress.carried = progress.max_load = progress.aboard = d.rows.size
        progress.parcel_dwell_h += d.handling_h
        progress.inbound_vehicles = d.inbound_vehicles
        service = self.plan.services[d.service]
        progress.ride = RideOut(service, 1, np.sort(d.alight), d.vehicles, d.second_stop_h)
        self.under_way[d.number] = progress

    def enqueue(self, rows: np.ndarray, legs: np.ndarray, ready: np.ndarray) -> None:
        """Put parcels in the queue of the leg they ride next."""
        if rows.size == 0:
            return
        plan = self.plan
        leg = self.ledger.destination[rows] * plan.leg_service.shape[1] + legs
        queue, alight = self.leg_queue.take(leg), plan.leg_alight.take(leg)
        if self.feeders:
            wait = np.where(plan.fallback_service.take(leg) >= 0, plan.fallback_after_h, np.inf)
            expires = ready + wait
        else:
            expires = np.full(rows.size, np.inf)
        self.add_to_queues(rows, legs, queue, alight, ready, expires)

    def add_to_queues(self, rows, legs, queue, alight, ready, expires) -> None:
        """Put each parcel in its queue (``queue``: queue ids), with its leg and times."""
        # Few queues: a narrow integer type lets numpy use its linear-time radix sort.
        narrow = np.int16 if len(self.queues) < 2**15 else np.int32
        order = np.argsort(queue.astype(narrow), kind="stable")
        queue = queue[order]
        columns = [column[order] for column in (rows, legs, alight, ready, expires)]
        cuts = [0, *(np.flatnonzero(queue[1:] != queue[:-1]) + 1).tolist(), queue.size]
        for start, end in itertools.pairwise(cuts):
            self.queues[queue[start]].add(*(column[start:end] for column in columns))

    def fall_back(self, queue_id: int, now: float) -> None:
        """Move parcels that waited too long for their first choice into *queue_id*."""
        plan, ledger = self.plan, self.ledger
        for feeder_id in self.feeders.get(queue_id, ()):
            feeder = self.queues[feeder_id]
            if not len(feeder):
                continue
            due = np.flatnonzero(feeder.expires <= now)
            if due.size == 0:
                continue
            dest, legs = ledger.destination[feeder.rows[due]], feeder.legs[due]
            target = self._queue_id(
                plan.fallback_service[dest, legs], plan.fallback_board[dest, legs]
            )
            due = due[target == queue_id]
            if due.size == 0:
                continue
            rows, legs, _, ready = feeder.remove(due)
            dest = ledger.destination[rows]
            ledger.flags[rows] |= FELL_BACK
            alight = plan.fallback_alight[dest, legs]
            self.queues[queue_id].add(rows, legs, alight, ready, np.full(rows.size, np.inf))

    def arrive(self, rows: np.ndarray, legs: np.ndarray, place: int, when: float) -> None:
        """Parcels alight at *place* at time *when*: delivered, or on to their next leg.

        A path that ends at a township station (legs ``[station]``: a brand's outlet)
        delivers there: the villager comes to town to collect (``COLLECTED_IN_TOWN``).
        A perishable parcel that has spoiled by now leaves the flow instead.
        """
        ledger = self.ledger
        if self.outbound is not None:
            out = ledger.direction[rows] == OUTBOUND
            if out.any():
                self.outbound.arrive(rows[out], legs[out], place, when)
                rows, legs = rows[~out], legs[~out]
                if not rows.size:
                    return
        if self.cold is not None:
            fresh = self.cold.alighted(rows, when)
            rows, legs = rows[fresh], legs[fresh]
        if self.level[place] == POINT:
            # Paths end at their village point and never change vehicles there.
            self.shelves.receive(ledger, rows, place, when)
            return
        if self.level[place] == STATION:
            rows, legs, _ = self._alight_at_stations(rows, legs, when, place)
            if self.cold is not None:
                self.cold.chill(rows, place, when)
        self.enqueue(rows, legs + 1, np.full(rows.size, when + self.crossdock_h))

    def hand_over_at_stations(self, rows: np.ndarray, legs: np.ndarray, when: np.ndarray):
        """Hand over the parcels a ride-out leaves at several stations, all at once.

        What :meth:`arrive` does at a station, with *when* one time per parcel; a
        ride-out has no cold chain and no counted shelves (``closes_at``).
        """
        rows, legs, when = self._alight_at_stations(rows, legs, when)
        self.enqueue(rows, legs + 1, when + self.crossdock_h)

    def _alight_at_stations(self, rows, legs, when, place: int | None = None):
        """Parcels alight at township stations at *when* (a time, or one per parcel).

        Stamps ``t_station``; a path that ends there delivers there (a brand's outlet:
        ``COLLECTED_IN_TOWN``, the shelves of *place*). Returns the rows, legs and times
        of the parcels that ride on.
        """
        ledger = self.ledger
        ledger.t_station[rows] = when
        last = legs >= self.plan.leg_service.shape[1] - 1
        if not last.any():
            return rows, legs, when
        ledger.flags[rows[last]] |= COLLECTED_IN_TOWN
        each = np.ndim(when) > 0
        self.shelves.receive(ledger, rows[last], place, when[last] if each else when)
        return rows[~last], legs[~last], when[~last] if each else when


def last_boarding_stops(plan: Plan) -> np.ndarray:
    """Per service, the last stop position at which any path (or fallback) boards it."""
    last = np.zeros(len(plan.services), dtype=np.int64)
    for service, board in (
        (plan.leg_service, plan.leg_board),
        (plan.fallback_service, plan.fallback_board),
    ):
        used = service >= 0
        np.maximum.at(last, service[used], board[used])
    return last


def _board(load, boarded):
    """Add parcels to a vehicle's load, kept in order of the stop where they alight."""
    if load[0].size:
        rows, legs, alight = (np.concatenate([a, b]) for a, b in zip(load, boarded, strict=True))
    else:
        rows, legs, alight = boarded
    order = np.argsort(alight, kind="stable")
    return rows[order], legs[order], alight[order]


def stop_time(service: Service, handled: int, vehicles: int) -> tuple[float, float]:
    """(handling, dwell) in hours at a stop where a departure handles *handled* parcels.

    The vehicles of a departure run together and handle their parcels side by side (as
    route planning assumes: a vehicle's load each). A van stops only where it hands
    parcels over or takes them on; a bus always stops.
    """
    handling = service.handling_h_per_parcel * handled / vehicles
    return handling, (service.stop_h if handled or service.always_stops else 0.0) + handling


def vehicles_for(parcels: int, vehicle_load: int, runs_empty: bool) -> int:
    """Vehicles a departure sends for *parcels*: enough to carry them, *vehicle_load* each.

    A service that runs empty (a bus) always sends its one vehicle.
    """
    needed = -(-parcels // vehicle_load) if vehicle_load > 0 else 0
    return max(needed, 1 if runs_empty else 0)


def _vehicles_sent(flow, index, service, boarded, vehicle_load, available, now):
    """(vehicles the inbound load needs, vehicles the departure sends).

    With farm products going out it also goes for those waiting on its way back, up
    to the vehicles available.
    """
    inbound = vehicles_for(boarded, vehicle_load, service.runs_empty)
    vehicles = inbound
    if flow.outbound is not None:
        waiting = flow.outbound.waiting_for(index, now)
        vehicles = max(vehicles, min(available, vehicles_for(waiting, vehicle_load, False)))
    return inbound, vehicles


def _cold_and_outbound(flow, progress, index, place, now, boarded, dropped) -> None:
    """The cold chain and the farm products' count, after a stop's unloading and loading."""
    if flow.cold is not None and boarded.size:
        flow.cold.boarded(boarded, index, place, now)
    if flow.outbound is not None:
        out_off = flow._outbound_in(dropped)
        out_on = flow.outbound.boarded(boarded, now) if boarded.size else 0
        progress.outbound_aboard += out_on - out_off
        progress.outbound_carried += out_on


def _stamp_departure(flow, boarded: np.ndarray, place: int, when: float) -> None:
    """Parcels that boarded at the hub or a station left it at *when*."""
    if flow.level[place] == HUB:
        flow.ledger.t_left_hub[boarded] = when
    elif flow.level[place] == STATION:
        flow.ledger.t_left_station[boarded] = when


def trip(
    env: simpy.Environment,
    flow: ParcelFlow,
    index: int,
    service: Service,
    capacity: int,
    vehicles_available: int,
):
    """One departure of a service along its stops, starting now.

    At the first stop the departure loads up to *vehicles_available* vehicles'
    worth of parcels (*capacity* each, at most ``service.vehicle_load_max``) and
    sends only the vehicles that load needs (none: the run is cancelled, unless
    the service runs empty); they drive the route together and share the
    handling. The load is kept sorted by alighting stop, so the parcels leaving at
    a stop are always the front of the load. ``flow.under_way`` holds the trip's
    progress until it ends (see ``ParcelFlow.record_unfinished``).
    """
    ledger = flow.ledger
    base = int(flow.queue_base[index])
    last = len(service.stops) - 1
    late = 0.0
    if service.delay_min is not None:
        d = service.delay_min
        late = float(draw_positive(flow.delay_rng, d.kind, d.mean, d.cv, 1)[0]) / 60.0
    number = next(flow._trip_numbers)
    vehicle_load = min(capacity, service.vehicle_load_max)
    vehicles = vehicles_available
    progress = TripProgress(index, env.now, late, capacity * vehicles, vehicles)
    flow.under_way[number] = progress
    if late:
        yield env.timeout(late)
    left_behind_flag = LEFT_BEHIND if service.is_bus else 0
    rows, legs, alight = _NO_ROWS, _NO_LEGS, _NO_STOPS
    closing = flow.closes_at(index)
    for position, place in enumerate(service.stops[: closing + 1]):
        now = env.now
        if position:  # the leg to this stop is behind us
            progress.drove(service.leg_km[position - 1], rows.size)
        leaving = int(np.searchsorted(alight, position, side="right")) if rows.size else 0
        dropped, dropped_legs = rows[:leaving], legs[:leaving]
        rows, legs, alight = rows[leaving:], legs[leaving:], alight[leaving:]
        boarded = _NO_ROWS
        if position < last:
            room = vehicle_load * vehicles - rows.size
            on = flow.take_waiting(base + position, now, room, left_behind_flag)
            boarded = on[0]
        if position == 0:
            progress.inbound_vehicles, vehicles = _vehicles_sent(
                flow, index, service, boarded.size, vehicle_load, vehicles_available, now
            )
            if vehicles == 0:
                del flow.under_way[number]
                return  # nothing to carry: the run is cancelled
            progress.vehicles, progress.capacity = vehicles, capacity * vehicles
        if boarded.size:
            progress.carried += boarded.size
            rows, legs, alight = _board((rows, legs, alight), on)
            progress.max_load = max(progress.max_load, rows.size)
            if service.is_bus:
                ledger.flags[boarded] |= RODE_BUS
        if flow.cold is not None or flow.outbound is not None:  # most runs have neither
            _cold_and_outbound(flow, progress, index, place, now, boarded, dropped)
        progress.aboard = rows.size
        handling, dwell = stop_time(service, leaving + boarded.size, vehicles)
        progress.parcel_dwell_h += handling
        if leaving:
            flow.arrive(dropped, dropped_legs, place, now + dwell)
        if boarded.size:
            _stamp_departure(flow, boarded, place, now + dwell)
        if position < last:
            progress.leg, progress.drive_from = position, now + dwell
            yield env.timeout(dwell + service.leg_h[position])
    if closing < last:
        yield from _ride_out(env, flow, progress, closing + 1, (rows, legs, alight))
    del flow.under_way[number]
    flow.log.record(
        service=index,
        depart_h=progress.depart_h,
        late_h=late,
        end_h=env.now,
        km=sum(service.leg_km) * vehicles,
        parcels=progress.carried,
        max_load=progress.max_load,
        capacity=progress.capacity,
        parcel_km=progress.parcel_km_done,
        parcel_dwell_h=progress.parcel_dwell_h,
        vehicles=vehicles,
        finished=True,
        outbound_parcels=progress.outbound_carried,
        outbound_parcel_km=progress.outbound_parcel_km_done,
        inbound_vehicles=progress.inbound_vehicles,
    )


class RideOut:
    """The fixed rest of a departure's route, from stop *first* on, where nobody boards.

    Its load is known on arrival at *first*, so is the rest: what each stop hands over,
    its dwell and the arrival time at every stop, computed with the same sums in the
    same order as the trip would stop by stop (so the times are the same to the bit).
    The trip's progress (:class:`TripProgress`) is booked stop by stop as the stops are
    passed (:meth:`book`), lazily: only the trip's end and the run's end read it.
    """

    __slots__ = ("service", "positions", "starts", "ends", "arrive_h", "dwell_h", "handling_h")
    __slots__ += ("booked",)

    def __init__(self, service: Service, first: int, alight: np.ndarray, vehicles: int, now: float):
        self.service = service
        stops = service.stops
        self.positions = range(first, len(stops))
        # The load is in order of alighting stop: each stop's parcels are one slice of it.
        self.ends = alight.searchsorted(_positions(first, len(stops)), side="right").tolist()
        self.starts = [0, *self.ends[:-1]]
        self.handling_h, self.dwell_h, self.arrive_h = [], [], []
        for position, start, end in zip(self.positions, self.starts, self.ends, strict=True):
            handling, dwell = stop_time(service, end - start, vehicles)
            self.handling_h.append(handling)
            self.dwell_h.append(dwell)
            self.arrive_h.append(now)
            if position < len(stops) - 1:
                now = now + (dwell + service.leg_h[position])
        self.booked = 0  # stops of the ride-out booked in the trip's progress

    def reached_before(self, when: float) -> int:
        """How many of the ride-out's stops the trip reaches before *when*."""
        return bisect.bisect_left(self.arrive_h, when)  # arrival times never decrease

    def book(self, progress: TripProgress, stops: int) -> None:
        """Book the ride-out's first *stops* stops in *progress*, as the trip passes them."""
        service = self.service
        last = len(service.stops) - 1
        for i in range(self.booked, stops):
            position = self.positions[i]
            progress.drove(service.leg_km[position - 1], progress.aboard)
            progress.aboard -= self.ends[i] - self.starts[i]
            progress.parcel_dwell_h += self.handling_h[i]
            if position < last:
                progress.leg, progress.drive_from = position, self.arrive_h[i] + self.dwell_h[i]
        self.booked = max(self.booked, stops)


@functools.cache
def _positions(first: int, stops: int) -> np.ndarray:
    """Stop positions ``first, ..., stops - 1`` (made once per route shape)."""
    return np.arange(first, stops)


def _delay_to(now: float, then: float) -> float:
    """The delay that takes SimPy's clock from *now* to exactly *then* (``now + delay``)."""
    delay = then - now
    while now + delay < then:
        delay = math.nextafter(delay, math.inf)
    while now + delay > then:
        delay = math.nextafter(delay, -math.inf)
    return delay


def _ride_out(env, flow: ParcelFlow, progress: TripProgress, first: int, load):
    """Drive the rest of the route from stop *first* on, where nobody boards.

    The parcels for village points are stamped for every stop reached before the run
    ends, in batches with other trips' (``ParcelFlow.stamp_later``): their stamps depend
    on nothing else that happens meanwhile, and nothing reads them before the run ends
    (``ParcelFlow.closes_at`` says when that holds). Parcels for a station are handed over
    at once too when they must cross the dock there (``stations.crossdock_min`` > 0): no
    departure can take them before they have. Then the trip simply arrives at its last
    stop. Without a cross-dock it goes from stop to stop in simulated time up to the last
    station it hands parcels over to, so that other trips see them when they would.
    """
    rows, legs, alight = load
    service = flow.plan.services[progress.service]
    ride = RideOut(service, first, alight, progress.vehicles, env.now)
    progress.ride = ride
    stops = service.stops
    at_point = flow.at_point[progress.service][first:]
    starts, ends = ride.starts, ride.ends
    reached = ride.reached_before(flow.run_ends_h)
    stamped = [i for i in range(reached) if at_point[i] and ends[i] > starts[i]]
    if stamped:
        flow.stamp_later(
            [rows[starts[i] : ends[i]] for i in stamped],
            [ride.arrive_h[i] + ride.dwell_h[i] for i in stamped],
        )
    # Stops where parcels are handed over to a station or the hub, to ride on from there.
    transfers = [i for i in range(len(ends)) if ends[i] > starts[i] and not at_point[i]]
    if flow.crossdock_h > 0 and all(
        flow.level[stops[ride.positions[i]]] == STATION for i in transfers
    ):
        # A parcel handed over can be loaded only once it has crossed the dock, after it
        # got there: whenever it is put in its next queue, no departure before then
        # takes it. So the stations reached before the run ends get theirs now.
        stations = transfers[: bisect.bisect_left(transfers, reached)]
        if stations:
            flow.hand_over_at_stations(
                np.concatenate([rows[starts[i] : ends[i]] for i in stations]),
                np.concatenate([legs[starts[i] : ends[i]] for i in stations]),
                np.repeat(
                    [ride.arrive_h[i] + ride.dwell_h[i] for i in stations],
                    [ends[i] - starts[i] for i in stations],
                ),
            )
        transfers = []
    # Otherwise the trip goes stop by stop up to the last of them, as the general path
    # does, so that its hand-overs keep their order among events at the same instant.
    for i in range(transfers[-1] + 1 if transfers else 0):
        if i:
            yield env.timeout(ride.dwell_h[i - 1] + service.leg_h[ride.positions[i] - 1])
        if i in transfers:
            ride.book(progress, i + 1)
            start, end = starts[i], ends[i]
            place = stops[ride.positions[i]]
            flow.arrive(rows[start:end], legs[start:end], place, env.now + ride.dwell_h[i])
    if env.now < ride.arrive_h[-1]:
        yield env.timeout(_delay_to(env.now, ride.arrive_h[-1]))
    ride.book(progress, len(ride.positions))


def timetable(env: simpy.Environment, flow: ParcelFlow, peak_days: Sequence[bool]):
    """Start every service's trips at its departure times, day after day.

    One day per entry of *peak_days*; on a peak day a route may send its
    ``peak_vehicles``, on other days its planned ``vehicles``. A round
    (:mod:`sim.engine.rounds`) is loaded right here; any other trip is a process.
    """
    services = flow.plan.services
    flow.rounds = Rounds(flow)
    is_round = flow.rounds.is_round
    daily = sorted(
        (hour, index, capacity)
        for index, service in enumerate(services)
        for hour, capacity in zip(service.departures_h, service.capacities, strict=True)
    )
    started = None  # when a trip was last started as a process
    for day, peak in enumerate(peak_days):
        for hour, index, capacity in daily:
            start = day * 24.0 + hour
            if start > env.now:
                yield env.timeout(start - env.now)
            service = services[index]
            available = service.peak_vehicles if peak else service.vehicles
            # A round loads here and now; another trip starts as a process, after this
            # step. Once one has at this instant, the rest follow it, in timetable order.
            if is_round[index] and started != env.now:
                flow.depart_round(env.now, index, service, capacity, available)
            else:
                started = env.now
                env.process(trip(env, flow, index, service, capacity, available))
