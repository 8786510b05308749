"""Rounds: departures whose whole route is fixed once they have loaded at their first stop.

A van leaving a township station for its village points, or a trunk leaving the hub
for the stations, takes parcels on at its first stop only (``ParcelFlow.closes_at`` is
0). Once it is loaded nothing else changes its run: which parcels leave it at each
stop, how long it dwells there and when it reaches every stop all follow from its load.
So such a departure is not simulated stop by stop. It is loaded when it departs, and
the rest is worked out later, a batch of departures at a time, with the same sums in
the same order as :class:`sim.engine.trips.RideOut` does for one trip (every time is
the same to the bit).

Working a round out later than it runs changes nothing anyone sees, because:

- nothing reads the village-point stamps, the departure stamps or the trip log while
  the run goes on (the batch left is worked out when the run stops:
  ``ParcelFlow.settle``);
- parcels handed over to a township station can be loaded there only once they are
  ready, after the dwell and the cross-dock. A round that hands parcels over is worked
  out as soon as it departs, long before then, and only where they cannot be ready the
  very moment the vehicle arrives (:func:`round_services`): from then on, what a
  departure could take is the same whether they were put in its queue early or on
  arrival.

What a flow with the cold chain, farm products going out or counted shelves does at a
stop depends on what happens elsewhere meanwhile; there ``closes_at`` is the last stop
and no departure is a round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from sim.network.geography import HUB, POINT, STATION

if TYPE_CHECKING:
    from sim.engine.trips import ParcelFlow

BATCH_PARCELS = 1 << 16
"""Parcels loaded on rounds not yet worked out, at most: a few MB held."""


class Departure(NamedTuple):
    """A round as loaded at its first stop: what working it out needs.

    ``left_h`` is when it left its first stop (after the dwell there), ``second_stop_h``
    when it reaches its second; ``handling_h`` the handling at the first stop. The
    load (``rows``, ``legs``, ``alight``: the stop position where each parcel leaves)
    is in any order.
    """

    service: int
    number: int
    depart_h: float
    left_h: float
    second_stop_h: float
    vehicles: int
    capacity: int
    inbound_vehicles: int
    handling_h: float
    rows: np.ndarray
    legs: np.ndarray
    alight: np.ndarray


def alighting_stops(plan) -> list[set[int]]:
    """Per service, the stop positions where some path's parcels leave it (or fallback's)."""
    stops: list[set[int]] = [set() for _ in plan.services]
    for service, alight in (
        (plan.leg_service, plan.leg_alight),
        (plan.fallback_service, plan.fallback_alight),
    ):
        used = service >= 0
        for index, position in set(zip(service[used].tolist(), alight[used].tolist(), strict=True)):
            stops[index].add(position)
    return stops


def round_services(flow: ParcelFlow, leaves: list[set[int]] | None = None) -> np.ndarray:
    """Which services' departures are rounds, worked out together (see the module).

    A departure is a round when it leaves on time (no drawn delay), takes parcels on at
    its first stop only, and every parcel it hands over later goes to a village point,
    or to a township station where it cannot be ready the moment the vehicle arrives:
    the vehicle dwells there (``stop_h`` or handling time) or the parcels cross a dock.
    *leaves*: :func:`alighting_stops` of the flow's plan, if already at hand.
    """
    plan, level = flow.plan, flow.level
    leaves = alighting_stops(plan) if leaves is None else leaves
    rounds = np.zeros(len(plan.services), dtype=bool)
    for index, service in enumerate(plan.services):
        if service.delay_min is not None or len(service.stops) < 2:
            continue
        if flow.closes_at(index) != 0:
            continue
        waits = flow.crossdock_h > 0 or service.stop_h > 0 or service.handling_h_per_parcel > 0
        places = [int(level[service.stops[p]]) for p in leaves[index]]
        rounds[index] = all(p == POINT or (p == STATION and waits) for p in places)
    return rounds


class Rounds:
    """The rounds of one flow: loaded as they depart, worked out a batch at a time.

    It keeps no reference to the flow, which is handed to the methods that act on it:
    a cycle between the two would keep the flow's ledger alive after a run, until the
    garbage collector happened to find it.
    """

    def __init__(self, flow: ParcelFlow) -> None:
        plan, level = flow.plan, flow.level
        services = plan.services
        leaves = alighting_stops(plan)
        self.is_round = round_services(flow, leaves)
        # Rounds that hand parcels over to stations are worked out as they depart.
        self.hands_over = np.array(
            [any(level[s.stops[p]] == STATION for p in leaves[i]) for i, s in enumerate(services)]
        )
        # Per service and stop after the first (column j: stop position j + 1), zero
        # past the route's end so that padded stops add nothing.
        width = max((len(s.stops) for s in services), default=1) - 1
        self.width = width
        self.on_route = np.zeros((len(services), width), dtype=bool)
        self.leg_km_to = np.zeros((len(services), width))  # the leg that reaches the stop
        self.leg_h_on = np.zeros((len(services), width))  # the leg that leaves it
        self.at_station = np.zeros((len(services), width), dtype=bool)
        for i, s in enumerate(services):
            stops = len(s.stops) - 1
            self.on_route[i, :stops] = True
            self.leg_km_to[i, :stops] = s.leg_km
            self.leg_h_on[i, : stops - 1] = s.leg_h[1:]
            self.at_station[i, :stops] = level[list(s.stops[1:])] == STATION
        self.stop_h = np.array([s.stop_h for s in services])
        self.handling_h = np.array([s.handling_h_per_parcel for s in services])
        self.always_stops = np.array([s.always_stops for s in services])
        # As the trip log has always summed a route (Python's sum, in stop order).
        self.route_km = [sum(s.leg_km) for s in services]
        self.from_hub = np.array([level[s.stops[0]] == HUB for s in services])
        self.from_station = np.array([level[s.stops[0]] == STATION for s in services])
        self.pending: list[Departure] = []
        self.pending_parcels = 0

    def add(self, flow: ParcelFlow, departure: Departure) -> None:
        """A round of *flow* has departed: work it out now if it hands over, else later."""
        if self.hands_over[departure.service]:
            self._work_out(flow, [departure])
            return
        self.pending.append(departure)
        self.pending_parcels += departure.rows.size
        if self.pending_parcels >= BATCH_PARCELS:
            self.work_out(flow)

    def work_out(self, flow: ParcelFlow) -> None:
        """Work out every round departed so far (see the module for why this may wait)."""
        if self.pending:
            batch, self.pending, self.pending_parcels = self.pending, [], 0
            self._work_out(flow, batch)

    def _work_out(self, flow: ParcelFlow, batch: list[Departure]) -> None:
        """Work out the rounds of *batch*, in the same operations as trips stop by stop.

        Parcels are stamped at the village points and handed over at the stations the
        round reaches before the run ends; a round back before then is logged, one
        still out is put under way in the flow as a trip stop by stop would be.
        """
        ledger = flow.ledger
        service = np.array([d.service for d in batch])
        vehicles = np.array([d.vehicles for d in batch])
        loads = np.array([d.rows.size for d in batch])
        rows = np.concatenate([d.rows for d in batch])
        legs = np.concatenate([d.legs for d in batch])
        # Each parcel's cell: its round, and the stop where it leaves (from the second on).
        cell = np.repeat(np.arange(len(batch)) * self.width, loads)
        cell += np.concatenate([d.alight for d in batch]).astype(np.int64) - 1
        handed = np.bincount(cell, minlength=len(batch) * self.width)
        handed = handed.reshape(len(batch), self.width)

        # What sim.engine.trips.stop_time gives, stop by stop, in the same operations
        # (nobody leaves at a padded stop: no handling there).
        handling = self.handling_h[service, None] * handed / vehicles[:, None]
        stops = (handed > 0) | self.always_stops[service, None]
        dwell = np.where(stops, self.stop_h[service, None], 0.0) + handling
        # Arrival at each stop: the one before, plus its dwell and the leg on, in order;
        # past the last stop, nothing.
        arrive = np.empty((len(batch), self.width))
        arrive[:, 0] = [d.second_stop_h for d in batch]
        step = dwell[:, :-1] + self.leg_h_on[service, :-1]
        arrive[:, 1:] = np.where(self.on_route[service, 1:], step, 0.0)
        arrive = np.cumsum(arrive, axis=1)  # sequential, as the trip adds them up
        handed_h = arrive + dwell
        reached = arrive < flow.run_ends_h

        left = np.repeat([d.left_h for d in batch], loads)
        for stamp, first in (("t_left_hub", self.from_hub), ("t_left_station", self.from_station)):
            there = np.repeat(first[service], loads)
            getattr(ledger, stamp)[rows[there]] = left[there]
        when, got_there = handed_h.ravel()[cell], reached.ravel()[cell]
        at_station = self.at_station[service].ravel()[cell]
        points = got_there & ~at_station
        flow.shelves.stamp(ledger, rows[points], when[points])
        stations = got_there & at_station
        if stations.any():
            flow.hand_over_at_stations(rows[stations], legs[stations], when[stations])

        end_h = arrive[:, -1]  # at the last stop: the padding adds nothing
        # Parcels aboard on each leg, times its km; each stop's handling after the first's.
        aboard = loads[:, None] - (np.cumsum(handed, axis=1) - handed)
        parcel_km = np.cumsum(aboard * self.leg_km_to[service], axis=1)[:, -1]
        first_handling = [d.handling_h for d in batch]
        dwell_h = np.cumsum(np.column_stack([first_handling, handling]), axis=1)[:, -1]
        back = end_h < flow.run_ends_h
        for k, d in enumerate(batch):
            if not back[k]:
                flow.keep_under_way(d)
                continue
            flow.log.record(
                service=d.service,
                depart_h=d.depart_h,
                late_h=0.0,
                end_h=float(end_h[k]),
                km=self.route_km[d.service] * d.vehicles,
                parcels=d.rows.size,
                max_load=d.rows.size,
                capacity=d.capacity,
                parcel_km=float(parcel_km[k]),
                parcel_dwell_h=float(dwell_h[k]),
                vehicles=d.vehicles,
                finished=True,
                outbound_parcels=0,
                outbound_parcel_km=0.0,
                inbound_vehicles=d.inbound_vehicles,
            )
