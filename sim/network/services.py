"""Scheduled services and parcel paths: a delivery model as data.

Every vehicle movement is a *service*: a stop sequence run at fixed departure
times. Fleet services are routes planned with PyVRP from each depot at the fleet's
``from_level`` to the places at its ``to_level`` below it (the built-in hub vans,
trunk trucks and township vans, or any fleet a scenario adds); bus services are the
two directions of each bus line. A delivery model is a list of legs (to the
station, to the village point), each with carriers in order of preference; every
destination gets a *path*: per leg the service that carries it (board and alight
stop) and, where another carrier also serves the leg, a fallback service for
parcels that waited too long; where a bus line is among them, the bus policy
(``sim.network.bus_policy``) says which. "direct", "via_township", "bus" and the
hybrids differ only in that data.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from sim.engine.demand import mean_daily_parcels
from sim.network.bus_policy import Carrier, bus_first, leg_ends, no_later
from sim.network.geography import LEVEL_NAMES, STATION, Geography
from sim.network.routing import RoutePlanningError, plan_routes_by_sector
from sim.scenario.errors import ScenarioError
from sim.scenario.schema import (
    BUS,
    BusTimetable,
    Connection,
    DepotTimetables,
    Distribution,
    Fleet,
    Scenario,
    format_clock,
)


@dataclass(frozen=True)
class Service:
    """One timetabled route: a stop sequence that runs at every departure time.

    ``capacities`` holds the cargo capacity of one vehicle on each departure. A
    departure sends as many vehicles as its load needs, each carrying at most
    ``vehicle_load_max`` parcels (its capacity, or fewer where handling a full load
    would take the route past ``max_route_h``), up to ``vehicles`` on ordinary days
    and ``peak_vehicles`` on peak days. ``vehicles`` is what the route is planned
    for: one, or several for a village whose demand alone exceeds one vehicle.
    Buses are one vehicle. The cost and emission fields are not used by the engine;
    the analysis reads them.
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
    vehicle_load_max: int
    peak_vehicles: int
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


def station_indices(geo: Geography, ids: Sequence[str], path: str, hint: str = "") -> list[int]:
    """The place index of each township station id in *ids*, in their order.

    An id that is not a station of the network is a :class:`ScenarioError` at
    ``path.i`` (its position), listing some of the stations; *hint* ends the message.
    """
    by_id = {geo.ids[s]: int(s) for s in geo.stations}
    for i, name in enumerate(ids):
        if name not in by_id:
            raise ScenarioError(
                None,
                f"{path}.{i}",
                f"no township station {name!r} in the network "
                f"(stations: {', '.join(sorted(by_id)[:8])}…){hint}",
            )
    return [by_id[name] for name in ids]


def township_places(geo: Geography, townships: Collection[str]) -> np.ndarray:
    """A mask over places: the stations with these ids and the village points below them."""
    named = set(townships)
    chosen = np.array([i in named for i in geo.ids], dtype=bool) & (geo.level == STATION)
    points = geo.points
    chosen[points] = chosen[geo.parent[points]]
    return chosen


def _ancestor(geo: Geography, place: int, level: int) -> int:
    while geo.level[place] != level:
        place = int(geo.parent[place])
    return place


def vehicle_load_max(fleet: Fleet, km: list[float], clients: int) -> int:
    """Most parcels one vehicle of *fleet* carries on a route and stays within max_route_h.

    The route takes its driving, a stop at the depot and one at each of its *clients*,
    and every parcel handled twice (loaded, unloaded); what time is left over after
    the first two bounds the load. At least one parcel (the planner has checked the
    route with its planned load), at most the vehicle's capacity.
    """
    handling_h = fleet.handling_min_per_parcel / 60.0
    fixed_h = sum(km) / fleet.speed_kmh + (clients + 1) * fleet.stop_min / 60.0
    spare_h = fleet.max_route_h - fixed_h
    # Without handling time the load does not lengthen the route: a full vehicle fits.
    if handling_h == 0.0 or 2.0 * handling_h * fleet.capacity_parcels <= spare_h:
        return fleet.capacity_parcels
    # A hair of slack so that float noise does not cost a parcel of an exact fit.
    return max(1, math.floor(spare_h / (2.0 * handling_h) + 1e-9))


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
    name: str,
    fleet_name: str,
    fleet: Fleet,
    stops: tuple[int, ...],
    km: list[float],
    load: float,
    departures_h: tuple[float, ...],
) -> Service:
    """A planned route of a fleet, for *load* parcels per departure on an ordinary day."""
    load_max = vehicle_load_max(fleet, km, len(stops) - 2)
    # The planner gives a village too big for one vehicle a route of its own;
    # enough vehicles then run it together.
    vehicles = max(1, math.ceil(load / load_max - 1e-9))
    return Service(
        name=name,
        fleet=fleet_name,
        stops=stops,
        departures_h=departures_h,
        capacities=(fleet.capacity_parcels,) * len(departures_h),
        leg_km=tuple(km),
        leg_h=tuple(k / fleet.speed_kmh for k in km),
        vehicles=vehicles,
        vehicle_load_max=load_max,
        peak_vehicles=math.ceil(vehicles * fleet.peak_vehicle_factor - 1e-9),
        stop_h=fleet.stop_min / 60.0,
        handling_h_per_parcel=fleet.handling_min_per_parcel / 60.0,
        cost_per_km_cny=fleet.cost_per_km_cny,
        cost_per_vehicle_day_cny=fleet.cost_per_vehicle_day_cny,
        co2_per_km_kg=fleet.co2_per_km_kg,
        counts_as_van=fleet.counts_as_van,
    )


Arrivals = dict[int, list[float]]
"""Clock hours (past 24 on the next day) at which a fleet's vehicles reach each place."""


def planned_arrivals_h(service: Service, planned: list[float]) -> list[float]:
    """Hours after departure at which a trip reaches each stop after the first, as planned.

    *planned* is the planned load handed over at each client stop (one per stop between
    the depot and the return). As a trip runs (``sim.engine.trips.trip``): a stop and
    the loading of the whole planned load at the depot, then at each stop the stop
    time and the unloading of its parcels before driving on; the vehicles of a departure
    handle their parcels side by side.
    """
    per_vehicle = service.handling_h_per_parcel / service.vehicles
    dwell = [service.stop_h + per_vehicle * sum(planned)]
    dwell += [service.stop_h + per_vehicle * parcels for parcels in planned]
    reached, clock = [], 0.0
    for wait, drive in zip(dwell, service.leg_h, strict=False):
        clock += wait + drive
        reached.append(clock)
    return reached


def connecting_departures_h(arrivals_h: list[float], rule: Connection) -> tuple[float, ...]:
    """Departures that wait *rule.slack_min* for the arrivals (see :class:`Connection`).

    Arrivals within ``merge_within_min`` of the first of a group get one departure,
    a slack after the last of the group; every departure is rounded up to a multiple
    of ``round_to_min`` minutes on the clock, so it never leaves before the slack.
    """
    groups: list[list[float]] = []
    for arrival in sorted(arrivals_h):
        if groups and (arrival - groups[-1][0]) * 60.0 <= rule.merge_within_min + 1e-9:
            groups[-1].append(arrival)
        else:
            groups.append([arrival])
    step = rule.round_to_min
    # Rounded to a micro-minute first, so that 10:00 computed as 9.99999 h stays 10:00.
    minutes = {math.ceil(round(g[-1] * 60.0 + rule.slack_min, 6) / step) * step for g in groups}
    return tuple(m / 60.0 for m in sorted(minutes))


def _listed(geo: Geography, places) -> str:
    ids = [geo.ids[p] for p in places]
    return ", ".join(ids[:_PLACES_SHOWN]) + (
        f" and {len(ids) - _PLACES_SHOWN} more" if len(ids) > _PLACES_SHOWN else ""
    )


def depot_timetables(
    geo: Geography, fleet_name: str, fleet: Fleet, depots: list[int], feeder: Arrivals
) -> dict[int, tuple[float, ...]]:
    """Each depot's departure times: the fleet's clock times, its map, or its connection.

    *feeder* holds the planned arrivals of the fleet a connection waits for.
    """
    rule, path = fleet.departures, f"fleets.{fleet_name}.departures"
    if isinstance(rule, tuple):
        return dict.fromkeys(depots, rule)
    level = fleet.from_level
    if isinstance(rule, DepotTimetables):
        # Any place at the level may be named, also one with nothing to serve.
        known = sorted(geo.ids[p] for p in np.flatnonzero(geo.level == LEVEL_NAMES[level]))
        for key in rule.root:
            if key != "default" and key not in known:
                raise ScenarioError(
                    None,
                    f"{path}.{key}",
                    f"no {level} {key!r} in the network; the keys are {level} ids "
                    f"({', '.join(known[:8])}{'…' if len(known) > 8 else ''}) or default",
                )
        missing = [d for d in depots if geo.ids[d] not in rule.root]
        if missing and "default" not in rule.root:
            raise ScenarioError(
                None,
                path,
                f"no departures for {_listed(geo, missing)}: list every {level} "
                'or add default: ["HH:MM", ...] for the ones not listed',
            )
        return {d: rule.root.get(geo.ids[d], rule.root.get("default", ())) for d in depots}
    timetables = {}
    for depot in depots:
        arrivals = feeder.get(depot)
        if not arrivals:
            raise ScenarioError(
                None,
                f"{path}.after",
                f"fleet {rule.after!r} never reaches {level} {geo.ids[depot]}, so "
                f"{fleet_name} there has nothing to leave after; give it clock times",
            )
        times = connecting_departures_h(arrivals, rule)
        if times[-1] > 24.0:
            raise ScenarioError(
                None,
                f"{path}.slack_min",
                f"fleet {rule.after!r} reaches {geo.ids[depot]} at "
                f"{format_clock(max(arrivals))}; {rule.slack_min:g} min later is past "
                "24:00, and timetables repeat daily: lower the slack or let "
                f"{rule.after!r} leave earlier",
            )
        timetables[depot] = times
    return timetables


def plan_fleet(
    geo: Geography,
    fleet_name: str,
    daily: np.ndarray,
    scenario: Scenario,
    first_service: int,
    feeder: Arrivals,
    only: np.ndarray | None = None,
    tag: str = "",
) -> tuple[list[Service], dict[int, tuple[int, int, int]], Arrivals]:
    """Plan the routes of one fleet.

    Returns its services, each served place's leg and the planned arrivals at its
    clients (see :func:`depot_timetables` for *feeder*). *only* (a mask over places)
    limits the plan to some of the fleet's clients; *tag* goes into the route names
    (``hub_van:H/fallback#1``).
    """
    fleet = scenario.fleets[fleet_name]
    depot_level, client_level = LEVEL_NAMES[fleet.from_level], LEVEL_NAMES[fleet.to_level]
    clients = np.flatnonzero(geo.level == client_level)
    if only is not None:
        clients = clients[only[clients]]
    load = _daily_load(geo, scenario, fleet_name, daily)
    # One pass over the clients, not one per depot: a province has thousands of depots.
    grouped = _below(geo, clients, depot_level)
    depots = {int(depot): [int(c) for c in mine] for depot, mine in grouped.items()}
    timetables = depot_timetables(geo, fleet_name, fleet, list(depots), feeder)
    routing = scenario.routing
    services: list[Service] = []
    legs: dict[int, tuple[int, int, int]] = {}
    arrivals: Arrivals = {}
    for depot, mine in depots.items():
        departures = timetables[depot]
        planned = load[mine] / len(departures) * routing.planning_margin
        try:
            routes = plan_routes_by_sector(
                _road_km_among(geo, depot, np.array(mine)),
                planned,
                np.arctan2(geo.y_km[mine] - geo.y_km[depot], geo.x_km[mine] - geo.x_km[depot]),
                max_clients=routing.max_clients_per_problem,
                capacity=fleet.capacity_parcels,
                speed_kmh=fleet.speed_kmh,
                stop_time_h=fleet.stop_min / 60.0,
                max_duration_h=fleet.max_route_h,
                seed=routing.seed,
                iterations=routing.iterations,
                no_improvement_iterations=routing.no_improvement_iterations,
                # As the trips run: a stop at the depot to load, one at each client to
                # unload, and every planned parcel handled at both.
                handling_time_h=fleet.handling_min_per_parcel / 60.0,
                depot_time_h=fleet.stop_min / 60.0,
            )
        except RoutePlanningError as exc:
            raise _unreachable(exc, geo, fleet_name, fleet, depot, mine) from None
        for route in routes:
            stops = (depot, *(mine[c] for c in route), depot)
            name = f"{fleet_name}:{geo.ids[depot]}{tag}#{len(services) + 1}"
            route_load = [float(planned[c]) for c in route]
            service = _add_route(
                services,
                legs,
                first_service,
                geo,
                fleet_name,
                fleet,
                stops,
                route_load,
                name,
                departures,
            )
            reached = planned_arrivals_h(service, route_load)
            for position, client in enumerate(stops[1:-1]):
                arrivals[client] = [d + reached[position] for d in departures]
    return services, legs, arrivals


def _road_km_among(geo: Geography, depot: int, clients: np.ndarray):
    """Road distances among *depot* and the chosen of its *clients* (depot first)."""

    def road_km(chosen: np.ndarray) -> np.ndarray:
        places = np.concatenate(([depot], clients[chosen]))
        return geo.road_km(places, places)

    return road_km


def _daily_load(geo: Geography, scenario: Scenario, fleet_name: str, daily: np.ndarray):
    """Mean parcels a day for each place at the fleet's to_level.

    A station's demand is that of all the villages below it. Routes are planned for
    this per departure of their depot, times ``routing.planning_margin``.
    """
    fleet = scenario.fleets[fleet_name]
    level = LEVEL_NAMES[fleet.to_level]
    load = np.zeros(len(geo.ids))
    for client, villages in _below(geo, geo.points, level).items():
        load[client] = float(daily[villages].sum())
    return load


def _add_route(
    services, legs, first_service, geo, fleet_name, fleet, stops, route_load, name, departures
) -> Service:
    """Append the service that runs one route (depot, clients…, depot) and its clients' legs.

    *route_load* is the planned load handed over at each client, per departure.
    """
    km = [float(geo.road_km(a, b)[0, 0]) for a, b in zip(stops, stops[1:], strict=False)]
    index = first_service + len(services)
    service = _fleet_service(name, fleet_name, fleet, stops, km, sum(route_load), departures)
    services.append(service)
    for position, client in enumerate(stops[1:-1], start=1):
        legs[client] = (index, 0, position)
    return service


def shrink_routes(
    geo: Geography,
    scenario: Scenario,
    routes: list[Service],
    keep: np.ndarray,
    daily: np.ndarray,
    first_service: int,
) -> tuple[list[Service], dict[int, tuple[int, int, int]]]:
    """The planned *routes* of one fleet less the clients not in *keep* (a place mask).

    Each route keeps its name, its departures and the order of its remaining stops,
    and runs with the vehicles its remaining planned load (from *daily*) needs; a
    route with no client left is dropped. Road distances are straight lines times the
    circuity, so leaving a stop out never makes a later stop further: no client is
    reached later than on the route it was planned on, and no route drives more.
    """
    services: list[Service] = []
    legs: dict[int, tuple[int, int, int]] = {}
    if not routes:
        return services, legs
    fleet_name = routes[0].fleet
    fleet, load = scenario.fleets[fleet_name], _daily_load(geo, scenario, fleet_name, daily)
    margin = scenario.routing.planning_margin
    for route in routes:
        stops = (route.stops[0], *(c for c in route.stops[1:-1] if keep[c]), route.stops[-1])
        if len(stops) > 2:
            per_departure = margin / len(route.departures_h)
            route_load = [float(load[c]) * per_departure for c in stops[1:-1]]
            _add_route(
                services,
                legs,
                first_service,
                geo,
                fleet_name,
                fleet,
                stops,
                route_load,
                route.name,
                route.departures_h,
            )
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
        stations = station_indices(geo, corridors.townships, "buses.corridors.townships")
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
                vehicle_load_max=max(capacities),
                peak_vehicles=1,
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


def _plan_fleets(
    scenario: Scenario,
    geo: Geography,
    daily: np.ndarray,
    carriers: dict[tuple[int, int], list[Carrier]] | None = None,
    planned_for_all: tuple[Service, ...] | list[Service] = (),
    arrivals_for_all: dict[str, Arrivals] | None = None,
    serves: np.ndarray | None = None,
) -> tuple[list[Service], dict[str, dict[int, tuple[int, int, int]]], dict[str, Arrivals]]:
    """Plan every fleet a leg names, in the order the legs name them (service numbers follow it).

    A fleet whose departures wait for another's arrivals (a connection) is planned
    after the one it waits for. Without *carriers* each fleet is planned for all of
    its places' demand. With them (the ``no_later`` policy's choice) a fleet's routes
    *planned_for_all* keep only the places it carries first (``shrink_routes``; each
    route keeps its departures), and separate fallback routes (``/fallback`` in their
    names) are planned for the places where it only takes over from a bus; those run
    only when a bus left parcels behind (a van with nothing to load stays at its depot).
    The fallback routes wait for the arrivals of the plan for all demand,
    *arrivals_for_all* (each fleet's planned arrivals, as returned without *carriers*).
    *serves* (a mask over places) limits the fleets to those places (a brand's townships).
    """
    path_legs = scenario.delivery.path_legs
    fleets_used = list(dict.fromkeys(c for leg in path_legs for c in leg.by if c != BUS))
    services: list[Service] = []
    fleet_legs: dict[str, dict[int, tuple[int, int, int]]] = {}
    fleet_arrivals: dict[str, Arrivals] = dict(arrivals_for_all or {})
    for name in _feeders_first(scenario, fleets_used):
        rule = scenario.fleets[name].departures
        # The scenario has checked that a fleet it waits for runs in the model too.
        feeder = fleet_arrivals[rule.after] if isinstance(rule, Connection) else {}
        if carriers is None:
            planned, legs, fleet_arrivals[name] = plan_fleet(
                geo, name, daily, scenario, len(services), feeder, serves
            )
            services.extend(planned)
            fleet_legs[name] = legs
            continue
        level = LEVEL_NAMES[scenario.fleets[name].to_level]
        first, backup = np.zeros(len(geo.ids), bool), np.zeros(len(geo.ids), bool)
        clients_first, clients_backup = first.copy(), backup.copy()
        for (p, _), chosen in carriers.items():
            if chosen and chosen[0].fleet == name:
                first[p] = clients_first[_ancestor(geo, p, level)] = True
            elif any(c.fleet == name for c in chosen[1:]):
                backup[p] = clients_backup[_ancestor(geo, p, level)] = True
        mine = [service for service in planned_for_all if service.fleet == name]
        kept, fleet_legs[name] = shrink_routes(
            geo, scenario, mine, clients_first, daily * first, len(services)
        )
        services.extend(kept)
        clients_backup &= ~clients_first
        if clients_backup.any():
            backing, legs, _ = plan_fleet(
                geo,
                name,
                daily * backup,
                scenario,
                len(services),
                feeder,
                clients_backup,
                "/fallback",
            )
            services.extend(backing)
            fleet_legs[name].update(legs)
    return services, fleet_legs, fleet_arrivals


def _no_carrier(scenario: Scenario, geo: Geography, p: int, k: int, at: int, target: int):
    """The error for a leg no carrier serves."""
    leg = scenario.delivery.path_legs[k]
    # Fleets serve every place at their to_level, so only bus lines can miss one.
    custom = scenario.delivery.legs is not None
    return ScenarioError(
        None,
        f"delivery.legs.{k}.by" if custom else "delivery.model",
        f"no carrier in {list(leg.by)} takes parcels from {geo.ids[at]} "
        f"to {geo.ids[target]} (leg {k + 1} of the path to {geo.ids[p]}): "
        f"no bus line stops at {geo.ids[at]} and later at {geo.ids[target]}; "
        "add such a line or a fleet after bus",
    )


def depot_departures(plan: Plan) -> dict[str, dict[str, tuple[float, ...]]]:
    """The resolved timetable of every fleet the plan runs: fleet -> depot id -> hours.

    Bus lines are left out: their timetables are the clock times of the scenario.
    """
    timetables: dict[str, dict[str, tuple[float, ...]]] = {}
    for service in plan.services:
        if not service.is_bus:
            depot = plan.geography.ids[service.stops[0]]
            timetables.setdefault(service.fleet, {})[depot] = service.departures_h
    return timetables


def _feeders_first(scenario: Scenario, fleets: list[str]) -> list[str]:
    """*fleets* in their order, except that a fleet another waits for comes before it."""
    order: list[str] = []

    def add(name: str) -> None:
        if name not in order:
            rule = scenario.fleets[name].departures
            if isinstance(rule, Connection):
                add(rule.after)  # no cycles: the scenario has checked
            order.append(name)

    for name in fleets:
        add(name)
    return order


def build_plan(
    scenario: Scenario, geo: Geography, townships: Collection[str] | None = None
) -> Plan:
    """Plan every service the delivery model uses and every village's path.

    *townships* (station ids; default all) limits the plan to those townships and
    their villages: an own-network brand's outlets. Other villages get no path.

    Which carrier takes a leg that a bus line and a fleet both serve is the bus
    policy's (``sim.network.bus_policy``); under ``no_later`` the fleets' routes then
    keep only what the buses leave them (``_plan_fleets``), and bus lines that carry
    no leg are left out. The scenario has checked that every fleet named in a leg runs that leg's
    levels.
    """
    path_legs = scenario.delivery.path_legs
    serves = None if townships is None else township_places(geo, townships)
    daily = expected_daily_parcels(scenario, geo)
    if serves is not None:
        daily = daily * serves
    services, fleet_legs, arrivals = _plan_fleets(scenario, geo, daily, serves=serves)
    buses = plan_buses(scenario, geo) if any(BUS in leg.by for leg in path_legs) else []

    def fleet_option(name: str, at: int, target: int):
        found = fleet_legs[name].get(target)
        # A fleet route boards at its depot, which must be where the parcel is.
        if found is None or services[found[0]].stops[found[1]] != at:
            return None
        return services[found[0]], found[1], found[2]

    if scenario.buses.policy == "bus_first" or not buses:
        carriers = bus_first(geo, path_legs, fleet_option, buses)
        bus_number = {index: index for index in range(len(buses))}
    else:
        carriers = no_later(scenario, geo, fleet_option, buses, daily)
        services, fleet_legs, _ = _plan_fleets(scenario, geo, daily, carriers, services, arrivals)
        used = sorted({c.bus[0] for chosen in carriers.values() for c in chosen if c.bus})
        if scenario.outbound is not None:  # farm products ride a used line's other direction
            lines = {buses[index].line for index in used}
            used = sorted(set(used) | {i for i, bus in enumerate(buses) if bus.line in lines})
        bus_number = {index: number for number, index in enumerate(used)}
        buses = [buses[index] for index in used]
    first_bus = len(services)
    services.extend(buses)

    n_places, n_legs = len(geo.ids), len(path_legs)
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
    destinations = geo.points if serves is None else geo.points[serves[geo.points]]
    for p in destinations:
        for k, at, target in leg_ends(geo, path_legs, int(p)):
            chosen = carriers[int(p), k]
            if not chosen:
                raise _no_carrier(scenario, geo, int(p), k, at, target)
            for prefix, carrier in zip(("leg", "fallback"), chosen, strict=False):
                if carrier.bus is not None:
                    index, board, alight = carrier.bus
                    option = (first_bus + bus_number[index], board, alight)
                else:
                    option = fleet_legs[carrier.fleet][target]
                for part, value in zip(("service", "board", "alight"), option, strict=True):
                    arrays[f"{prefix}_{part}"][p, k] = value
    return Plan(
        geography=geo,
        services=tuple(services),
        fallback_after_h=scenario.delivery.fallback_after_h,
        **arrays,
    )
