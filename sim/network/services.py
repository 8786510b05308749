"""Scheduled services and parcel paths: a delivery model as data.

Every vehicle movement is a *service*: a stop sequence run at fixed departure
times by one fleet. A delivery model is a list of *tiers* (which fleet carries a
parcel on each leg); every destination gets a *path*, one leg per tier (service,
board stop, alight stop). "direct" and "via_township" differ only in their tiers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.network.geography import HUB, POINT, STATION, Geography
from sim.network.routing import RoutePlanningError, plan_routes
from sim.scenario.errors import ScenarioError
from sim.scenario.schema import Fleet, Scenario

# Tier shape: (level of the depot a route starts from, level of the places it serves).
TIER_SHAPES: dict[str, tuple[int, int]] = {
    "hub_van": (HUB, POINT),
    "trunk": (HUB, STATION),
    "township_van": (STATION, POINT),
}

# A delivery model is the sequence of tiers a parcel rides from hub to village.
DELIVERY_MODELS: dict[str, tuple[str, ...]] = {
    "direct": ("hub_van",),
    "via_township": ("trunk", "township_van"),
}


@dataclass(frozen=True)
class Service:
    """One timetabled route: a stop sequence that runs at every departure time.

    ``vehicles`` run it together at each departure (more than one only for a
    village whose demand alone exceeds one vehicle); ``capacity`` is theirs in total.
    """

    name: str
    fleet: str
    stops: tuple[int, ...]
    departures_h: tuple[float, ...]
    leg_km: tuple[float, ...]
    leg_h: tuple[float, ...]
    capacity: int
    vehicles: int
    stop_h: float
    handling_h_per_parcel: float
    skip_if_empty: bool = True


@dataclass(frozen=True)
class Plan:
    """Geography, services and one path per village point.

    ``leg_service[p, k]``, ``leg_board[p, k]``, ``leg_alight[p, k]`` give leg *k* of
    the path to place *p* (service index and stop positions); ``n_legs[p]`` is the
    number of legs (0 for places that are not destinations).
    """

    geography: Geography
    services: tuple[Service, ...]
    leg_service: np.ndarray
    leg_board: np.ndarray
    leg_alight: np.ndarray
    n_legs: np.ndarray
    model: str


def expected_daily_parcels(scenario: Scenario, geo: Geography) -> np.ndarray:
    """Mean inbound parcels per day for each place (0 for non-points)."""
    weekday_mean = float(np.mean(scenario.demand.weekday_factors))
    return geo.population * scenario.demand.parcels_per_capita_day * weekday_mean


def _ancestor(geo: Geography, place: int, level: int) -> int:
    while geo.level[place] != level:
        place = int(geo.parent[place])
    return place


def plan_tier(
    geo: Geography,
    tier: str,
    fleet: Fleet,
    daily: np.ndarray,
    scenario: Scenario,
    first_service: int,
) -> tuple[list[Service], dict[int, tuple[int, int, int]]]:
    """Plan the routes of one tier; returns its services and each client's leg."""
    depot_level, client_level = TIER_SHAPES[tier]
    clients = np.flatnonzero(geo.level == client_level)
    # A station's demand is that of all the villages below it.
    points = geo.points
    client_of_point = np.array([_ancestor(geo, p, client_level) for p in points])
    client_daily = {int(c): float(daily[points[client_of_point == c]].sum()) for c in clients}
    depots = np.flatnonzero(geo.level == depot_level)
    routing = scenario.routing
    services: list[Service] = []
    legs: dict[int, tuple[int, int, int]] = {}
    for depot in depots:
        mine = [int(c) for c in clients if _ancestor(geo, int(c), depot_level) == depot]
        if not mine:
            continue
        places = np.array([depot, *mine])
        dist = geo.road_km(places, places)
        per_departure = np.array([client_daily[c] for c in mine]) / len(fleet.departures)
        planned = per_departure * routing.planning_margin
        try:
            routes = plan_routes(
                dist,
                planned,
                capacity=fleet.capacity_parcels,
                speed_kmh=fleet.speed_kmh,
                stop_time_h=fleet.stop_min / 60.0,
                max_duration_h=fleet.max_route_h,
                seed=routing.seed,
                iterations=routing.iterations,
            )
        except RoutePlanningError as exc:
            place = geo.ids[mine[exc.client]] if exc.client is not None else "?"
            raise ScenarioError(
                None,
                f"fleets.{tier}.max_route_h",
                f"{place} cannot be reached from {geo.ids[depot]} within the {tier} limits: {exc}",
            ) from None
        for route in routes:
            # The planner gives a village too big for one vehicle a route of its own;
            # enough vehicles then run it together.
            vehicles = max(1, int(np.ceil(planned[route].sum() / fleet.capacity_parcels - 1e-9)))
            stops = (int(depot), *(mine[c] for c in route), int(depot))
            km = [float(geo.road_km(a, b)[0, 0]) for a, b in zip(stops, stops[1:], strict=False)]
            index = first_service + len(services)
            services.append(
                Service(
                    name=f"{tier}:{geo.ids[depot]}#{len(services) + 1}",
                    fleet=tier,
                    stops=stops,
                    departures_h=fleet.departures,
                    leg_km=tuple(km),
                    leg_h=tuple(k / fleet.speed_kmh for k in km),
                    capacity=fleet.capacity_parcels * vehicles,
                    vehicles=vehicles,
                    stop_h=fleet.stop_min / 60.0,
                    handling_h_per_parcel=fleet.handling_min_per_parcel / 60.0,
                )
            )
            for position, client in enumerate(stops[1:-1], start=1):
                legs[client] = (index, 0, position)
    return services, legs


def build_plan(scenario: Scenario, geo: Geography) -> Plan:
    """Plan every service of the scenario's delivery model and every point's path."""
    tiers = DELIVERY_MODELS[scenario.delivery.model]
    daily = expected_daily_parcels(scenario, geo)
    services: list[Service] = []
    tier_legs = []
    for tier in tiers:
        fleet = getattr(scenario.fleets, tier)
        tier_services, legs = plan_tier(geo, tier, fleet, daily, scenario, len(services))
        services.extend(tier_services)
        tier_legs.append((TIER_SHAPES[tier][1], legs))
    n_places, n_tiers = len(geo.ids), len(tiers)
    leg_service = np.full((n_places, n_tiers), -1, dtype=np.int32)
    # Stop positions are small: int16 lets numpy radix-sort them when loading.
    leg_board = np.zeros((n_places, n_tiers), dtype=np.int16)
    leg_alight = np.zeros((n_places, n_tiers), dtype=np.int16)
    n_legs = np.zeros(n_places, dtype=np.int8)
    for p in geo.points:
        at = 0  # the hub: every inbound path starts there
        for k, (client_level, legs) in enumerate(tier_legs):
            svc, board, alight = legs[_ancestor(geo, int(p), client_level)]
            # Consecutive legs must meet: a tier boards where the previous one alighted.
            assert services[svc].stops[board] == at, "delivery model tiers do not chain"
            at = services[svc].stops[alight]
            # The trips rely on this: a village point is where a path ends, never a transfer.
            assert geo.level[at] != POINT or k == n_tiers - 1
            leg_service[p, k], leg_board[p, k], leg_alight[p, k] = svc, board, alight
        assert at == p
        n_legs[p] = n_tiers
    return Plan(
        geography=geo,
        services=tuple(services),
        leg_service=leg_service,
        leg_board=leg_board,
        leg_alight=leg_alight,
        n_legs=n_legs,
        model=scenario.delivery.model,
    )
