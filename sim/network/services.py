"""Scheduled services and parcel paths: a delivery model as data.

Every vehicle movement is a *service*: a stop sequence run at fixed departure
times. Fleet services are routes planned with PyVRP from each depot at the fleet's
``from_level`` to the places at its ``to_level`` below it (the built-in hub vans,
trunk trucks and township vans, or any fleet a scenario adds); bus services are the
two directions of each bus line. A delivery model is a list of legs (to the
station, to the village point), each with carriers in order of preference; every
destination gets a *path*: per leg the service that carries it (board and alight
stop) and, where another carrier also serves the leg, a fallback service for
parcels that waited too long. "direct", "via_township", "bus" and the hybrids
differ only in that data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.demand import mean_daily_parcels
from sim.network.geography import LEVEL_NAMES, STATION, Geography
from sim.network.routing import RoutePlanningError, plan_routes
from sim.scenario.errors import ScenarioError
from sim.scenario.schema import BUS, BusTimetable, Distribution, Fleet, Scenario


@dataclass(frozen=True)
class Service:
    """One timetabled route: a stop sequence that runs at every departure time.

    ``capacities`` holds the cargo capacity of each departure (all vehicles of the
    departure together); ``vehicles`` run each departure (more than one only for a
    village whose demand alone exceeds one vehicle). The cost and emission fields
    are not used by the engine; the analysis reads them.
    """

    name: str
    fleet: str
    stops: tuple[int, ...]
    departures_h: tuple[float, ...]
    capacities: tuple[int, ...]
    leg_km: tuple[float, ...]
    leg_h: tuple[float, ...]
    vehicles: int
    stop_h: float
    handling_h_per_parcel: float
    # Vans leave only with something to carry and stop only where they hand over;
    # passenger buses run and stop regardless.
    runs_empty: bool = False
    always_stops: bool = False
    delay_min: Distribution | None = None
    line: str = ""
    cost_per_km_cny: float = 0.0
    cost_per_vehicle_day_cny: float = 0.0
    co2_per_km_kg: float = 0.0
    fee_per_parcel_cny: float = 0.0
    fee_per_line_day_cny: float = 0.0
    full_cargo_share: float = 0.0
    counts_as_van: bool = False

    @property
    def is_bus(self) -> bool:
        """A passenger bus line carrying parcels."""
        return self.fleet == BUS


@dataclass(frozen=True)
class Plan:
    """Geography, services and one path per village point.

    ``leg_service[p, k]``, ``leg_board[p, k]``, ``leg_alight[p, k]`` give leg *k* of
    the path to place *p* (service index and stop positions); the ``fallback_*``
    arrays the same for the fallback service (-1 where there is none). Places that are
    not destinations have -1 in every column.
    """

    geography: Geography
    services: tuple[Service, ...]
    leg_service: np.ndarray
    leg_board: np.ndarray
    leg_alight: np.ndarray
    fallback_service: np.ndarray
    fallback_board: np.ndarray
    fallback_alight: np.ndarray
    fallback_after_h: float


def expected_daily_parcels(scenario: Scenario, geo: Geography) -> np.ndarray:
    """Mean inbound parcels per day for each place over an ordinary week (0 for non-points).

    Population × ``parcels_per_capita_day`` × the mean of the weekday factors, peaks
    left out (``sim.engine.demand.mean_daily_parcels``): the demand routes are
    planned for. It is not the mean of any particular day; the simulation draws each
    day from ``base_daily_parcels`` × that day's factor.
    """
    return mean_daily_parcels(scenario.demand, geo.population)


def _ancestor(geo: Geography, place: int, level: int) -> int:
    while geo.level[place] != level:
        place = int(geo.parent[place])
    return place


def _below(geo: Geography, places: np.ndarray, level: int) -> dict[int, np.ndarray]:
    """The given places grouped by their ancestor at *level*, each group in the given order.

    One pass over the places instead of one per ancestor (planning a province has
    thousands of depots and tens of thousands of villages).
    """
    if not len(places):
        return {}
    ancestor = np.array([_ancestor(geo, int(p), level) for p in places], dtype=np.int64)
    order = np.argsort(ancestor, kind="stable")  # stable: each group keeps the places' order
    starts = np.flatnonzero(np.diff(ancestor[order], prepend=-2))
    groups = np.split(places[order], starts[1:])
    return {int(ancestor[order[start]]): group for start, group in zip(starts, groups, strict=True)}


def _fleet_service(
    name: str, fleet_name: str, fleet: Fleet, stops: tuple[int, ...], km: list[float], vehicles: int
) -> Service:
    return Service(
        name=name,
        fleet=fleet_name,
        stops=stops,
        departures_h=fleet.departures,
        capacities=(fleet.capacity_parcels * vehicles,) * len(fleet.departures),
        leg_km=tuple(km),
        leg_h=tuple(k / fleet.speed_kmh for k in km),
        vehicles=vehicles,
        stop_h=fleet.stop_min / 60.0,
        handling_h_per_parcel=fleet.handling_min_per_parcel / 60.0,
        cost_per_km_cny=fleet.cost_per_km_cny,
        cost_per_vehicle_day_cny=fleet.cost_per_vehicle_day_cny,
        co2_per_km_kg=fleet.co2_per_km_kg,
        counts_as_van=fleet.counts_as_van,
    )


def plan_fleet(
    geo: Geography,
    fleet_name: str,
    daily: np.ndarray,
    scenario: Scenario,
    first_service: int,
) -> tuple[list[Service], dict[int, tuple[int, int, int]]]:
    """Plan the routes of one fleet; returns its services and each served place's leg."""
    fleet = scenario.fleets[fleet_name]
    depot_level, client_level = LEVEL_NAMES[fleet.from_level], LEVEL_NAMES[fleet.to_level]
    clients = np.flatnonzero(geo.level == client_level)
    # A station's demand is that of all the villages below it.
    points = geo.points
    villages_of = _below(geo, points, client_level)
    empty = np.zeros(0, dtype=np.int64)
    client_daily = {int(c): float(daily[villages_of.get(int(c), empty)].sum()) for c in clients}
    clients_of = _below(geo, clients, depot_level)
    routing = scenario.routing
    services: list[Service] = []
    legs: dict[int, tuple[int, int, int]] = {}
    for depot in np.flatnonzero(geo.level == depot_level):
        mine = [int(c) for c in clients_of.get(int(depot), ())]
        if not mine:
            continue
        places = np.array([depot, *mine])
        road_km = geo.road_km(places, places)
        planned = np.array([client_daily[c] for c in mine]) / len(fleet.departures)
        planned *= routing.planning_margin
        try:
            routes = plan_routes(
                road_km,
                planned,
                capacity=fleet.capacity_parcels,
                speed_kmh=fleet.speed_kmh,
                stop_time_h=fleet.stop_min / 60.0,
                max_duration_h=fleet.max_route_h,
                seed=routing.seed,
                iterations=routing.iterations,
                # As the trips run: a stop at the depot to load, one at each client to
                # unload, and every planned parcel handled at both.
                handling_time_h=fleet.handling_min_per_parcel / 60.0,
                depot_time_h=fleet.stop_min / 60.0,
            )
        except RoutePlanningError as exc:
            raise _unreachable(exc, geo, fleet_name, fleet, int(depot), mine) from None
        for route in routes:
            # The planner gives a village too big for one vehicle a route of its own;
            # enough vehicles then run it together.
            vehicles = max(1, int(np.ceil(planned[route].sum() / fleet.capacity_parcels - 1e-9)))
            stops = (int(depot), *(mine[c] for c in route), int(depot))
            # Positions in ``places``: the depot is 0, client c is c + 1.
            at = (0, *(c + 1 for c in route), 0)
            km = [float(road_km[a, b]) for a, b in zip(at, at[1:], strict=False)]
            index = first_service + len(services)
            name = f"{fleet_name}:{geo.ids[depot]}#{len(services) + 1}"
            services.append(_fleet_service(name, fleet_name, fleet, stops, km, vehicles))
            for position, client in enumerate(stops[1:-1], start=1):
                legs[client] = (index, 0, position)
    return services, legs


# Enough place ids to recognise the problem; a long list only hides the advice after it.
_PLACES_SHOWN = 3


def _unreachable(
    exc: RoutePlanningError,
    geo: Geography,
    fleet_name: str,
    fleet: Fleet,
    depot: int,
    clients: list[int],
) -> ScenarioError:
    """A planning failure as a scenario error naming places by id and the limits to change."""
    path = f"fleets.{fleet_name}.max_route_h"
    depot_id = geo.ids[depot]
    if not exc.clients:
        return ScenarioError(
            None,
            path,
            f"no {fleet_name} plan found within max_route_h {fleet.max_route_h:g} h and "
            f"capacity {fleet.capacity_parcels} for the places served from {depot_id}; "
            f"raise {path} or routing.iterations",
        )
    named = [
        f"{geo.ids[clients[c]]} ({hours:.2f} h)"
        for c, hours in zip(exc.clients[:_PLACES_SHOWN], exc.alone_h, strict=False)
    ]
    more = len(exc.clients) - len(named)
    listed = ", ".join(named) + (f" and {more} more places" if more > 0 else "")
    worst = max(exc.alone_h)
    return ScenarioError(
        None,
        path,
        f"{listed} cannot be reached from {depot_id} by {fleet_name} within max_route_h "
        f"{fleet.max_route_h:g} h even alone (there and back at {fleet.speed_kmh:g} km/h, "
        f"{fleet.stop_min:g} min stops at {depot_id} and at the place, "
        f"{fleet.handling_min_per_parcel:g} min per planned parcel loaded and unloaded). "
        f"Raise {path} to at least {worst:.2f} h, or raise fleets.{fleet_name}.speed_kmh "
        f"or lower fleets.{fleet_name}.stop_min or "
        f"fleets.{fleet_name}.handling_min_per_parcel",
    )


def corridor_lines(scenario: Scenario, geo: Geography) -> list[tuple[str, str, list[int]]]:
    """Bus lines generated from the network: hub -> station -> a chain of its villages.

    Villages are chained nearest-neighbour from the station; a township with more
    than ``villages_per_line`` villages gets several lines. Returns
    (name, yaml path, stops) per line.
    """
    corridors = scenario.buses.corridors
    stations = geo.stations
    if corridors.townships != "all":
        by_id = {geo.ids[s]: int(s) for s in stations}
        for i, name in enumerate(corridors.townships):
            if name not in by_id:
                raise ScenarioError(
                    None,
                    f"buses.corridors.townships.{i}",
                    f"no township station {name!r} in the network "
                    f"(stations: {', '.join(sorted(by_id)[:8])}…)",
                )
        stations = [by_id[name] for name in corridors.townships]
    lines = []
    villages_of = _below(geo, geo.points, STATION)  # once, not one scan per station
    for station in stations:
        villages = [int(p) for p in villages_of.get(int(station), ())]
        chain, at = [], int(station)
        while villages:
            nearest = villages[int(np.argmin(geo.road_km(at, np.array(villages))[0]))]
            chain.append(nearest)
            villages.remove(nearest)
            at = nearest
        size = corridors.villages_per_line
        for number, start in enumerate(range(0, len(chain), size), start=1):
            name = f"bus:{geo.ids[station]}-{number}"
            lines.append((name, "buses.corridors", [0, int(station), *chain[start : start + size]]))
    return lines


def _bus_services(
    name: str, timetable: BusTimetable, stops: list[int], geo: Geography
) -> list[Service]:
    """The two directions of one bus line (a direction without departures is left out)."""
    services = []
    for direction, departures, order in (
        ("out", timetable.departures_out, stops),
        ("back", timetable.departures_back, stops[::-1]),
    ):
        if not departures:
            continue
        km = [float(geo.road_km(a, b)[0, 0]) for a, b in zip(order, order[1:], strict=False)]
        if timetable.running_min is not None:
            hours = [timetable.running_min / 60.0 * k / sum(km) for k in km]
        else:
            hours = [k / timetable.speed_kmh for k in km]
        reduced = {
            t.departure: t.capacity_parcels
            for t in timetable.peak_trips
            if t.direction == direction
        }
        capacities = tuple(reduced.get(d, timetable.capacity_parcels) for d in departures)
        if not any(capacities):
            continue  # no cargo space on any trip: this direction carries no parcels
        services.append(
            Service(
                name=f"{name}:{direction}",
                fleet=BUS,
                stops=tuple(order),
                departures_h=departures,
                capacities=capacities,
                leg_km=tuple(km),
                leg_h=tuple(hours),
                vehicles=1,
                stop_h=timetable.dwell_min / 60.0,
                handling_h_per_parcel=timetable.handling_min_per_parcel / 60.0,
                runs_empty=True,
                always_stops=True,
                delay_min=timetable.delay_min,
                line=name,
                co2_per_km_kg=timetable.co2_per_km_kg,
                fee_per_parcel_cny=timetable.fee_per_parcel_cny,
                fee_per_line_day_cny=timetable.fee_per_line_day_cny,
                full_cargo_share=timetable.full_cargo_share,
            )
        )
    return services


def plan_buses(scenario: Scenario, geo: Geography) -> list[Service]:
    """Services of every bus line, written by hand or generated from corridors."""
    index = {name: i for i, name in enumerate(geo.ids)}
    services: list[Service] = []
    for i, line in enumerate(scenario.buses.lines):
        stops = []
        for j, stop in enumerate(line.stops):
            if stop not in index:
                raise ScenarioError(
                    None,
                    f"buses.lines.{i}.stops.{j}",
                    f"line {line.name!r} stops at {stop!r}, which is not a place in the network",
                )
            stops.append(index[stop])
        services.extend(_bus_services(f"bus:{line.name}", line, stops, geo))
    if scenario.buses.corridors is not None:
        for name, _, stops in corridor_lines(scenario, geo):
            services.extend(_bus_services(name, scenario.buses.corridors, stops, geo))
    return services


def _buses_at(services: list[Service]) -> dict[int, list[int]]:
    """The bus services stopping at each place, in service order."""
    at: dict[int, list[int]] = {}
    for index, service in enumerate(services):
        if service.is_bus:
            for place in dict.fromkeys(service.stops):
                at.setdefault(place, []).append(index)
    return at


def _bus_leg(
    services: list[Service], buses_at: dict[int, list[int]], start: int, target: int
) -> tuple[int, int, int] | None:
    """The first bus service that stops at *start* and later at *target*.

    ``buses_at`` is :func:`_buses_at` of the services: only the lines through
    *target* are looked at, not every service (thousands in a province).
    """
    for index in buses_at.get(target, ()):
        service = services[index]
        if start in service.stops:
            board, alight = service.stops.index(start), service.stops.index(target)
            if board < alight:
                return index, board, alight
    return None


def build_plan(scenario: Scenario, geo: Geography) -> Plan:
    """Plan every service the delivery model uses and every village's path.

    The scenario has checked that every fleet named in a leg runs that leg's levels.
    """
    path_legs = scenario.delivery.path_legs
    daily = expected_daily_parcels(scenario, geo)
    # Each fleet once, in the order the legs name them: service numbers follow it.
    fleets_used = list(dict.fromkeys(c for leg in path_legs for c in leg.by if c != BUS))
    services: list[Service] = []
    fleet_legs: dict[str, dict[int, tuple[int, int, int]]] = {}
    for fleet_name in fleets_used:
        planned, legs = plan_fleet(geo, fleet_name, daily, scenario, len(services))
        services.extend(planned)
        fleet_legs[fleet_name] = legs
    if any(BUS in leg.by for leg in path_legs):
        services.extend(plan_buses(scenario, geo))

    n_places, n_legs = len(geo.ids), len(path_legs)
    buses_at = _buses_at(services)
    # Stop positions are small: int16 lets numpy radix-sort them when loading.
    arrays = {
        name: np.full((n_places, n_legs), -1, dtype=np.int32 if "service" in name else np.int16)
        for name in (
            "leg_service",
            "leg_board",
            "leg_alight",
            "fallback_service",
            "fallback_board",
            "fallback_alight",
        )
    }
    for p in geo.points:
        at = 0  # the hub: every inbound path starts there
        for k, leg in enumerate(path_legs):
            target = int(p) if leg.to == "point" else _ancestor(geo, int(p), STATION)
            options = []
            for carrier in leg.by:
                if carrier == BUS:
                    found = _bus_leg(services, buses_at, at, target)
                else:
                    found = fleet_legs[carrier].get(target)
                # A fleet route boards at its depot, which must be where the parcel is.
                if found is not None and services[found[0]].stops[found[1]] == at:
                    options.append(found)
            if not options:
                # Fleets serve every place at their to_level, so only bus lines can miss one.
                custom = scenario.delivery.legs is not None
                raise ScenarioError(
                    None,
                    f"delivery.legs.{k}.by" if custom else "delivery.model",
                    f"no carrier in {list(leg.by)} takes parcels from {geo.ids[at]} "
                    f"to {geo.ids[target]} (leg {k + 1} of the path to {geo.ids[p]}): "
                    f"no bus line stops at {geo.ids[at]} and later at {geo.ids[target]}; "
                    "add such a line or a fleet after bus",
                )
            for prefix, option in zip(("leg", "fallback"), options[:2], strict=False):
                for part, value in zip(("service", "board", "alight"), option, strict=True):
                    arrays[f"{prefix}_{part}"][p, k] = value
            at = target
    return Plan(
        geography=geo,
        services=tuple(services),
        fallback_after_h=scenario.delivery.fallback_after_h,
        **arrays,
    )
