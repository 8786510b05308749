"""Plan van milk runs (depot -> village points -> depot) with PyVRP.

A small, deterministic wrapper around PyVRP's iterated local search for a
capacitated VRP with a maximum route duration. Inputs are a road-distance matrix
in kilometres and the expected parcels per departure for each client; the output
is a list of routes, each a list of client indices in visiting order.

A route's duration is what the simulation's trip takes with the planned load: a
stop at the depot (``depot_time_h``) while the parcels are loaded, the drive, and at
each client a stop (``stop_time_h``) while its parcels are unloaded; every planned
parcel is handled twice (loaded at the depot, unloaded at its client) at
``handling_time_h`` each. Back at the depot nothing is handled, so there is no stop.

PyVRP works with integers, so distances are scaled to metres and durations to
seconds. Durations are rounded *up* and the duration limit *down*, so a route
PyVRP calls feasible is also feasible in the original float hours (up to a
microsecond-scale tolerance used to absorb float noise such as
``0.1 * 3600 == 360.00000000000006``).

Demand above the vehicle capacity is clamped to the capacity for planning: such a
client gets a route of its own, and the simulation lets the overflow wait for the
next departure of the same service.
"""

from __future__ import annotations

import math

import numpy as np
import pyvrp
from pyvrp.stop import MaxIterations

__all__ = ["RoutePlanningError", "plan_routes", "route_duration_h", "route_km"]

_M_PER_KM = 1000
_S_PER_H = 3600
# Absorbs float noise before rounding up to whole seconds, e.g. 0.1 h * 3600 is
# 360.00000000000006 s and must become 360 s, not 361 s.
_ROUND_UP_SLACK_S = 1e-6


class RoutePlanningError(ValueError):
    """A client cannot be served within the vehicle limits.

    Parameters
    ----------
    message
        Human-readable explanation.
    client
        Index of the offending client (0-based, into the clients, not into the
        distance matrix), or ``None`` when no single client is to blame.
    clients
        Every client that cannot be served even alone (the first is `client`).
    alone_h
        For each of `clients`, the duration in hours of a route serving it alone.

    Attributes
    ----------
    client : int or None
        Index of the first offending client, if known.
    clients : tuple of int
        All offending clients (empty when no single client is to blame).
    alone_h : tuple of float
        Their routes' durations when served alone, in hours.
    """

    def __init__(
        self,
        message: str,
        client: int | None = None,
        clients: tuple[int, ...] = (),
        alone_h: tuple[float, ...] = (),
    ):
        super().__init__(message)
        self.client = client
        self.clients = tuple(clients) if clients else (() if client is None else (client,))
        self.alone_h = tuple(alone_h)


def route_km(route: list[int], dist_km: np.ndarray) -> float:
    """Return the length of a route, depot legs included.

    Parameters
    ----------
    route
        Client indices (0-based, not matrix indices) in visiting order.
    dist_km
        ``(n+1, n+1)`` road-distance matrix in km; index 0 is the depot.

    Returns
    -------
    float
        Kilometres driven from the depot, through the clients, back to the depot.
        An empty route has length 0.
    """
    if not route:
        return 0.0
    stops = np.array([0, *(c + 1 for c in route), 0])
    return float(np.asarray(dist_km, dtype=float)[stops[:-1], stops[1:]].sum())


def route_duration_h(
    route: list[int],
    dist_km: np.ndarray,
    speed_kmh: float,
    stop_time_h: float,
    *,
    load: float = 0.0,
    handling_time_h: float = 0.0,
    depot_time_h: float = 0.0,
) -> float:
    """Return the duration of a route, depot legs, stops and handling included.

    Parameters
    ----------
    route
        Client indices (0-based, not matrix indices) in visiting order.
    dist_km
        ``(n+1, n+1)`` road-distance matrix in km; index 0 is the depot.
    speed_kmh
        Travel speed in km/h.
    stop_time_h
        Time spent at every client visit, in hours.
    load
        Parcels carried (the sum of the route's clients' planned demand).
    handling_time_h
        Hours per parcel handled; each parcel is handled twice (loaded, unloaded).
    depot_time_h
        Stop at the depot before leaving, in hours.

    Returns
    -------
    float
        Hours from arriving at the depot's loading stop to returning to the depot.
        An empty route takes 0 h.
    """
    if not route:
        return 0.0
    stops = depot_time_h + len(route) * stop_time_h
    return route_km(route, dist_km) / speed_kmh + stops + 2.0 * load * handling_time_h


def plan_routes(
    dist_km: np.ndarray,
    demand: np.ndarray,
    *,
    capacity: int,
    speed_kmh: float,
    stop_time_h: float,
    max_duration_h: float,
    seed: int,
    iterations: int,
    handling_time_h: float = 0.0,
    depot_time_h: float = 0.0,
) -> list[list[int]]:
    """Plan milk runs that serve every client once, minimising total distance.

    Parameters
    ----------
    dist_km
        ``(n+1, n+1)`` road-distance matrix in km; index 0 is the depot, index
        ``i + 1`` is client ``i``. Need not be symmetric.
    demand
        ``n`` expected parcels per departure. Rounded up to whole parcels, at
        least 1. Demand above ``capacity`` is clamped to ``capacity`` for
        planning: that client gets a route of its own and the overflow waits for
        the next departure.
    capacity
        Parcels per van.
    speed_kmh
        Travel speed in km/h.
    stop_time_h
        Time spent at every client visit, in hours.
    max_duration_h
        Maximum route duration (depot to depot, stop and handling times
        included), in hours.
    seed
        Seed for PyVRP's random number generator.
    iterations
        Number of PyVRP iterations. The search is limited by iterations only,
        never by wall-clock time, so equal inputs give identical routes.
    handling_time_h
        Hours per parcel loaded or unloaded; a client's planned parcels (rounded
        and clamped as above) are handled twice, at the depot and at the client.
    depot_time_h
        Stop at the depot before every route, in hours.

    Returns
    -------
    list of list of int
        Routes of client indices (0-based, not matrix indices) in visiting
        order. Every client is in exactly one route. Routes are sorted by their
        first client so the output is stable.

    Raises
    ------
    RoutePlanningError
        If a client alone cannot be served within ``max_duration_h``, or if
        PyVRP finds no feasible plan.
    ValueError
        If the inputs have the wrong shape or invalid values.
    """
    dist, planned = _validate(
        dist_km, demand, capacity, speed_kmh, stop_time_h, max_duration_h, iterations
    )
    for name, value in (("handling_time_h", handling_time_h), ("depot_time_h", depot_time_h)):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be non-negative, got {value!r}")
    n = len(planned)
    if n == 0:
        return []

    # A client's visit: its stop, and its parcels' handling at the depot and at the client.
    visit_h = stop_time_h + 2.0 * handling_time_h * planned
    dist_m, dur_s, visit_s, max_s = _to_integers(
        dist, speed_kmh, visit_h, max_duration_h, depot_time_h
    )
    _check_single_client_routes(
        dist, dur_s, visit_s, max_s, speed_kmh, visit_h + depot_time_h, max_duration_h
    )
    if n == 1:
        return [[0]]

    data = pyvrp.ProblemData(
        # Coordinates are only used for plotting; all routing uses the matrices.
        locations=[pyvrp.Location(0.0, 0.0) for _ in range(n + 1)],
        clients=[
            pyvrp.Client(location=i + 1, delivery=[int(q)], service_duration=int(t))
            for i, (q, t) in enumerate(zip(planned, visit_s, strict=True))
        ],
        depots=[pyvrp.Depot(location=0)],
        # One van per client, so the fleet never limits feasibility.
        vehicle_types=[
            pyvrp.VehicleType(num_available=n, capacity=[int(capacity)], shift_duration=max_s)
        ],
        distance_matrices=[dist_m],
        duration_matrices=[dur_s],
    )
    result = pyvrp.solve(
        data, MaxIterations(int(iterations)), seed=int(seed), collect_stats=False, display=False
    )
    best = result.best
    if not best.is_feasible():
        raise RoutePlanningError(
            f"PyVRP found no feasible plan for {n} clients in {iterations} iterations "
            f"(capacity {capacity}, max duration {max_duration_h:g} h with stops and handling; "
            f"excess load {sum(best.excess_load())}, time warp {best.time_warp()} s); "
            "try more iterations or a longer max duration"
        )

    routes = [[act.idx for act in route if act.is_client()] for route in best.routes()]
    routes = sorted((r for r in routes if r), key=lambda r: r[0])
    # Guards against a silent change in how PyVRP reports visits.
    visited = sorted(c for r in routes for c in r)
    if visited != list(range(n)):
        raise RuntimeError("PyVRP returned routes that do not visit every client exactly once")
    return routes


def _validate(
    dist_km: np.ndarray,
    demand: np.ndarray,
    capacity: int,
    speed_kmh: float,
    stop_time_h: float,
    max_duration_h: float,
    iterations: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Check the inputs; return the float matrix and the integer planning demand."""
    dist = np.asarray(dist_km, dtype=float)
    dem = np.asarray(demand, dtype=float)
    if dem.ndim != 1:
        raise ValueError(f"demand must be one-dimensional, got shape {dem.shape}")
    n = len(dem)
    if dist.shape != (n + 1, n + 1):
        raise ValueError(
            f"dist_km must have shape ({n + 1}, {n + 1}) for {n} clients, got {dist.shape}"
        )
    if not np.all(np.isfinite(dist)) or np.any(dist < 0):
        raise ValueError("dist_km must be finite and non-negative")
    if not np.all(np.isfinite(dem)) or np.any(dem < 0):
        raise ValueError("demand must be finite and non-negative")
    if int(capacity) != capacity or capacity < 1:
        raise ValueError(f"capacity must be a positive integer, got {capacity!r}")
    if not (math.isfinite(speed_kmh) and speed_kmh > 0):
        raise ValueError(f"speed_kmh must be positive, got {speed_kmh!r}")
    if not (math.isfinite(stop_time_h) and stop_time_h >= 0):
        raise ValueError(f"stop_time_h must be non-negative, got {stop_time_h!r}")
    if not (math.isfinite(max_duration_h) and max_duration_h > 0):
        raise ValueError(f"max_duration_h must be positive, got {max_duration_h!r}")
    if int(iterations) != iterations or iterations < 0:
        raise ValueError(f"iterations must be a non-negative integer, got {iterations!r}")

    # Every client is visited even when its expected demand rounds to zero, and
    # an over-capacity client is planned as a full van (see module docstring).
    planned = np.clip(np.ceil(dem), 1, capacity).astype(np.int64)
    return dist, planned


def _to_integers(
    dist: np.ndarray,
    speed_kmh: float,
    visit_h: np.ndarray,
    max_duration_h: float,
    depot_time_h: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Scale to metres and seconds, rounding so integer feasibility implies float feasibility.

    The depot stop comes with every route, so it is taken off the duration limit
    (which may then be negative: no client fits).
    """
    dist_m = np.rint(dist * _M_PER_KM).astype(np.int64)
    dur_s = np.ceil(dist / speed_kmh * _S_PER_H - _ROUND_UP_SLACK_S).astype(np.int64)
    # PyVRP expects zero self-loops; they are never driven anyway.
    np.fill_diagonal(dist_m, 0)
    np.fill_diagonal(dur_s, 0)
    np.maximum(dur_s, 0, out=dur_s)
    visit_s = np.maximum(np.ceil(visit_h * _S_PER_H - _ROUND_UP_SLACK_S), 0).astype(np.int64)
    depot_s = max(math.ceil(depot_time_h * _S_PER_H - _ROUND_UP_SLACK_S), 0)
    max_s = math.floor(max_duration_h * _S_PER_H + _ROUND_UP_SLACK_S) - depot_s
    return dist_m, dur_s, visit_s, max_s


def _check_single_client_routes(
    dist: np.ndarray,
    dur_s: np.ndarray,
    visit_s: np.ndarray,
    max_s: int,
    speed_kmh: float,
    fixed_h: np.ndarray,
    max_duration_h: float,
) -> None:
    """Raise for the clients that cannot be served even on a route of their own.

    Checked on the integer seconds PyVRP sees, so that PyVRP never gets a client
    it cannot place; the message reports the float hours (*fixed_h*: each client's
    stops and handling, depot stop included).
    """
    alone_s = dur_s[0, 1:] + dur_s[1:, 0] + visit_s
    too_long = np.flatnonzero(alone_s > max_s)
    if too_long.size == 0:
        return
    alone_h = (dist[0, 1:] + dist[1:, 0]) / speed_kmh + fixed_h
    client = int(too_long[0])
    message = (
        f"client {client} cannot be served within the maximum route duration: "
        f"depot -> client -> depot takes {alone_h[client]:.3f} h "
        f"({dist[0, client + 1]:.1f} km out, {dist[client + 1, 0]:.1f} km back at "
        f"{speed_kmh:g} km/h, plus {fixed_h[client]:.3g} h of stops and handling) but "
        f"max_duration_h is {max_duration_h:g} h"
    )
    # Listing the rest saves a fix-and-rerun cycle per client.
    if too_long.size > 1:
        message += f"; other clients too far as well: {too_long[1:].tolist()}"
    raise RoutePlanningError(
        message,
        client=client,
        clients=tuple(int(c) for c in too_long),
        alone_h=tuple(float(alone_h[c]) for c in too_long),
    )
