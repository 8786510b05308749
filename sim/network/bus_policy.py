"""Which carrier takes each leg of each path: the bus policies (``buses.policy``).

``bus_first`` takes the carriers of a leg in the order ``by`` names them: the first
that serves the leg carries it (for ``bus``, the first line found that stops at the
leg's start and later at its end), the next one takes over parcels that waited
``delivery.fallback_after_h``.

``no_later`` (the default) gives a leg to a bus line only where that does not make
the parcels later: per destination, the parcels of an ordinary day are followed
from the hub along their path by the timetable (``sim.network.timing``). For the
leg's first fleet in ``by`` (the alternative) and for every bus line serving the
leg, each ready time gives the trip caught and the hand-over time at the leg's
end; the bus lines are tried earliest mean hand-over first, and one is taken if its
mean is no later than the alternative's and its cargo space has room: on every
departure, the destination's expected parcels catching it (mean daily parcels ×
``routing.planning_margin`` × the share of ready times catching it) plus those of
the destinations already given to the line fit its capacity. Destinations are
served in order of the time the bus saves them, the largest first. Where a bus is
taken, the alternative fleet is its fallback; otherwise the fleets carry the leg as
under ``bus_first``, with no bus. A leg only a bus serves takes the earliest line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.network.geography import STATION, Geography
from sim.network.timing import first_trips, hub_ready_times
from sim.scenario.schema import BUS, Leg, Scenario

if TYPE_CHECKING:
    from sim.network.services import Service

# (service, board stop, alight stop) of one carrier on one leg.
Option = tuple["Service", int, int]
FleetOption = Callable[[str, int, int], Option | None]


@dataclass(frozen=True)
class Carrier:
    """A carrier of one leg: a fleet by name, or ``bus`` with (bus service, board, alight)."""

    fleet: str
    bus: tuple[int, int, int] | None = None


def leg_ends(geo: Geography, path_legs: tuple[Leg, ...], point: int):
    """(leg number, start, end) of each leg of the path to *point*; the first starts at the hub."""
    at = 0
    for k, leg in enumerate(path_legs):
        target = point
        if leg.to == "station":
            while geo.level[target] != STATION:
                target = int(geo.parent[target])
        yield k, at, target
        at = target


def bus_options(buses: list[Service], start: int, target: int) -> list[tuple[int, int, int]]:
    """Each bus service (index in *buses*, board, alight) stopping at *start*, later *target*."""
    found = []
    for index, service in enumerate(buses):
        if start in service.stops and target in service.stops:
            board, alight = service.stops.index(start), service.stops.index(target)
            if board < alight:
                found.append((index, board, alight))
    return found


def bus_first(
    geo: Geography, path_legs: tuple[Leg, ...], fleet_option: FleetOption, buses: list[Service]
) -> dict[tuple[int, int], list[Carrier]]:
    """Per (destination, leg) the first two carriers in ``by`` order that serve the leg."""
    carriers = {}
    for p in geo.points:
        for k, at, target in leg_ends(geo, path_legs, int(p)):
            serving = []
            for name in path_legs[k].by:
                if name == BUS:
                    found = bus_options(buses, at, target)
                    if found:
                        serving.append(Carrier(BUS, found[0]))
                elif fleet_option(name, at, target) is not None:
                    serving.append(Carrier(name))
            carriers[int(p), k] = serving[:2]
    return carriers


@dataclass(frozen=True)
class _Offer:
    """A carrier's offer for one destination's leg, from the ready times at its start.

    ``arrival``: hand-over time at the leg's end per ready time, ``mean_h`` their
    mean; ``caught``: the departure each ready time catches.
    """

    mean_h: float
    carrier: Carrier
    arrival: np.ndarray
    caught: np.ndarray


def no_later(
    scenario: Scenario,
    geo: Geography,
    fleet_option: FleetOption,
    buses: list[Service],
    daily: np.ndarray,
) -> dict[tuple[int, int], list[Carrier]]:
    """Per (destination, leg) its carrier and fallback under ``no_later`` (module docstring)."""
    path_legs = scenario.delivery.path_legs
    margin = scenario.routing.planning_margin
    crossdock_h = scenario.stations.crossdock_min / 60.0
    hub = hub_ready_times(scenario, float(daily.sum()))
    room = [np.asarray(service.capacities, dtype=float) for service in buses]
    ready_h = {int(p): hub.hours for p in geo.points}
    carriers: dict[tuple[int, int], list[Carrier]] = {}
    for k, leg in enumerate(path_legs):
        demands = []
        for p in geo.points:
            _, at, target = list(leg_ends(geo, path_legs, int(p)))[k]
            fleets = [name for name in leg.by if name != BUS and fleet_option(name, at, target)]
            alternative = None
            if fleets:
                option = fleet_option(fleets[0], at, target)
                alternative = _offer(*option, ready_h[int(p)], hub.shares, Carrier(fleets[0]))
            offers = []
            if BUS in leg.by:
                for index, board, alight in bus_options(buses, at, target):
                    carrier = Carrier(BUS, (index, board, alight))
                    offers.append(
                        _offer(buses[index], board, alight, ready_h[int(p)], hub.shares, carrier)
                    )
            offers.sort(key=lambda offer: offer.mean_h)
            saving = -np.inf
            if offers:
                saving = offers[0].mean_h - (alternative.mean_h if alternative else np.inf)
            demands.append((saving, int(p), target, fleets, offers, alternative))
        for _, p, target, fleets, offers, alternative in sorted(demands, key=lambda d: d[:2]):
            taken = _take_bus(offers, alternative, room, hub.shares * daily[p] * margin)
            if taken is None:
                carriers[p, k] = [Carrier(name) for name in fleets[:2]]
                taken = alternative
            else:
                carriers[p, k] = [taken.carrier, *(Carrier(name) for name in fleets[:1])]
            if taken is not None:
                onward = crossdock_h if geo.level[target] == STATION else 0.0
                ready_h[p] = taken.arrival + onward
    return carriers


def _offer(
    service: Service,
    board: int,
    alight: int,
    ready_h: np.ndarray,
    shares: np.ndarray,
    carrier: Carrier,
) -> _Offer:
    """What *service* offers parcels ready at *ready_h* (weights *shares*) from board to alight."""
    caught, arrival = first_trips(service, board, alight, ready_h)
    return _Offer(float(np.dot(shares, arrival)), carrier, arrival, caught)


def _take_bus(
    offers: list[_Offer], alternative: _Offer | None, room: list[np.ndarray], parcels: np.ndarray
) -> _Offer | None:
    """The earliest bus offer no later than the alternative with room; books its space.

    *parcels* are the destination's expected parcels per ready time. Without an
    alternative the earliest offer is taken, room or not.
    """
    limit = alternative.mean_h if alternative is not None else np.inf
    for offer in offers:
        if offer.mean_h > limit + 1e-9:
            break
        index = offer.carrier.bus[0]
        need = np.bincount(offer.caught, weights=parcels, minlength=room[index].size)
        if np.all(need <= room[index] + 1e-9):
            room[index] -= need
            return offer
    if alternative is None and offers:
        offer = offers[0]
        index = offer.carrier.bus[0]
        room[index] -= np.bincount(offer.caught, weights=parcels, minlength=room[index].size)
        return offer
    return None
