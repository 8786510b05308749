"""Plan van milk runs (depot -> village points -> depot) with PyVRP.

A small, deterministic wrapper around PyVRP's iterated local search for a
capacitated VRP with a maximum route duration. Inputs are a road-distance matrix
in kilometres and the expected parcels per departure for each client; the output
is a list of routes, each a list of client indices in visiting order.

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

    Attributes
    ----------
    client : int or None
        Index of the offending client, if known.
    """

    def __init__(self, message: str, client: int | None = None):
        super().__init__(message)
        self.client = client


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
    route: list[int], dist_km: np.ndarray, speed_kmh: float, stop_time_h: float
) -> float:
    """Return the duration of a route, depot legs and stop times included.

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

    Returns
    -------
    float
        Hours from leaving the depot to returning to it. An empty route takes 0 h.
    """
    if not route:
        return 0.0
    return route_km(route, dist_km) / speed_kmh + len(route) * stop_time_h


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
        Maximum route duration (depot to depot, stop times included), in hours.
    seed
        Seed for PyVRP's random number generator.
    iterations
        Number of PyVRP iterations. The search is limited by iterations only,
        never by wall-clock time, so equal inputs give identical routes.

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
    n = len(planned)
    if n == 0:
        return []

    dist_m, dur_s, stop_s, max_s = _to_integers(dist, speed_kmh, stop_time_h, max_duration_h)
    _check_single_client_routes(dist, dur_s, stop_s, max_s, speed_kmh, stop_time_h, max_duration_h)
    if n == 1:
        return [[0]]

    data = pyvrp.ProblemData(
        # Coordinates are only used for plotting; all routing uses the matrices.
        locations=[pyvrp.Location(0.0, 0.0) for _ in range(n + 1)],
        clients=[
            pyvrp.Client(location=i + 1, delivery=[int(q)], service_duration=stop_s)
            for i, q in enumerate(planned)
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
            f"(capacity {capacity}, max duration {max_duration_h:g} h; "
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
    dist: np.ndarray, speed_kmh: float, stop_time_h: float, max_duration_h: float
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Scale to metres and seconds, rounding so integer feasibility implies float feasibility."""
    dist_m = np.rint(dist * _M_PER_KM).astype(np.int64)
    dur_s = np.ceil(dist / speed_kmh * _S_PER_H - _ROUND_UP_SLACK_S).astype(np.int64)
    # PyVRP expects zero self-loops; they are never driven anyway.
    np.fill_diagonal(dist_m, 0)
    np.fill_diagonal(dur_s, 0)
    np.maximum(dur_s, 0, out=dur_s)
    stop_s = max(math.ceil(stop_time_h * _S_PER_H - _ROUND_UP_SLACK_S), 0)
    max_s = math.floor(max_duration_h * _S_PER_H + _ROUND_UP_SLACK_S)
    return dist_m, dur_s, stop_s, max_s


def _check_single_client_routes(
    dist: np.ndarray,
    dur_s: np.ndarray,
    stop_s: int,
    max_s: int,
    speed_kmh: float,
    stop_time_h: float,
    max_duration_h: float,
) -> None:
    """Raise for the first client that cannot be served even on a route of its own.

    Checked on the integer seconds PyVRP sees, so that PyVRP never gets a client
    it cannot place; the message reports the float hours.
    """
    alone_s = dur_s[0, 1:] + dur_s[1:, 0] + stop_s
    too_long = np.flatnonzero(alone_s > max_s)
    if too_long.size == 0:
        return
    client = int(too_long[0])
    alone_h = (dist[0, client + 1] + dist[client + 1, 0]) / speed_kmh + stop_time_h
    message = (
        f"client {client} cannot be served within the maximum route duration: "
        f"depot -> client -> depot takes {alone_h:.3f} h "
        f"({dist[0, client + 1]:.1f} km out, {dist[client + 1, 0]:.1f} km back at "
        f"{speed_kmh:g} km/h, plus {stop_time_h:g} h stop) but max_duration_h is "
        f"{max_duration_h:g} h"
    )
    # Listing the rest saves a fix-and-rerun cycle per client.
    if too_long.size > 1:
        message += f"; other clients too far as well: {too_long[1:].tolist()}"
    raise RoutePlanningError(message, client=client)
