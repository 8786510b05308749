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

A depot with many clients (a province's hub) is planned in angular sectors
(:func:`plan_routes_by_sector`, the sweep of cluster-first, route-second planning),
one PyVRP search each; a search may also stop once it has stopped improving
(``no_improvement_iterations``). Both count clients and iterations, never seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = [
    "RoutePlanningError",
    "plan_routes",
    "plan_routes_by_sector",
    "route_duration_h",
    "route_km",
    "sweep_sectors",
]

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
    no_improvement_iterations: int | None = None,
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
    no_improvement_iterations
        Stop the search earlier, once this many iterations in a row found no
        shorter plan (still at most `iterations` in all); ``None`` runs all
        `iterations`. Counted in iterations, so still deterministic.

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
    patience = no_improvement_iterations
    if patience is not None and (int(patience) != patience or patience < 1):
        raise ValueError(f"no_improvement_iterations must be a positive integer, got {patience!r}")
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

    # Here, not at the top: a run whose plan comes from the cache never loads PyVRP.
    import pyvrp
    from pyvrp.stop import MaxIterations, MultipleCriteria, NoImprovement

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
    stop = MaxIterations(int(iterations))
    if no_improvement_iterations is not None:
        stop = MultipleCriteria([stop, NoImprovement(int(no_improvement_iterations))])
    result = pyvrp.solve(data, stop, seed=int(seed), collect_stats=False, display=False)
    best = result.best
    if not best.is_feasible():
        raise RoutePlanningError(
            f"PyVRP found no feasible plan for {n} clients in {result.num_iterations} "
            f"iterations (capacity {capacity}, max duration {max_duration_h:g} h with stops "
            f"and handling; excess load {sum(best.excess_load())}, time warp "
            f"{best.time_warp()} s); try more iterations"
            + (" or a larger no_improvement_iterations" if patience is not None else "")
            + " or a longer max duration"
        )

    routes = [[act.idx for act in route if act.is_client()] for route in best.routes()]
    routes = sorted((r for r in routes if r), key=lambda r: r[0])
    # Guards against a silent change in how PyVRP reports visits.
    visited = sorted(c for r in routes for c in r)
    if visited != list(range(n)):
        raise RuntimeError("PyVRP returned routes that do not visit every client exactly once")
    return routes


def sweep_sectors(
    bearing_rad: np.ndarray, weight: np.ndarray, max_clients: int
) -> list[np.ndarray]:
    """Split clients into angular sectors around their depot, balanced by weight.

    The sweep of cluster-first, route-second planning (Gillett and Miller, 1974):
    clients are ordered by their bearing from the depot, the sweep starts just after
    the widest empty angle (so no sector straddles a crowded direction), and is cut
    into the fewest contiguous sectors of at most *max_clients* clients each whose
    total *weight* (planned parcels) is as even as the cuts allow.

    Parameters
    ----------
    bearing_rad
        Each client's direction from the depot, in radians.
    weight
        Each client's planned parcels (positive).
    max_clients
        Most clients in one sector.

    Returns
    -------
    list of numpy.ndarray
        Client indices of each sector in sweep order; every client is in exactly
        one sector. Ties in bearing go by client index, so the split is deterministic.
    """
    n = len(bearing_rad)
    if max_clients < 1:
        raise ValueError(f"max_clients must be positive, got {max_clients!r}")
    if n <= max_clients:
        return [np.arange(n)]
    order = np.lexsort((np.arange(n), np.asarray(bearing_rad, dtype=float)))
    swept = np.asarray(bearing_rad, dtype=float)[order]
    gaps = np.diff(swept, append=swept[0] + 2.0 * math.pi)
    order = np.roll(order, -(int(np.argmax(gaps)) + 1))
    cumulative = np.cumsum(np.asarray(weight, dtype=float)[order])
    fewest = -(-n // max_clients)
    # Equal weight per sector may put more than max_clients in one (many light
    # clients in a row): then one sector more, up to twice the fewest; past that
    # (weights too uneven) sectors of equal numbers of clients.
    for sectors in range(fewest, 2 * fewest + 1):
        targets = cumulative[-1] * np.arange(1, sectors) / sectors
        cuts = np.searchsorted(cumulative, targets, side="right")
        sizes = np.diff(np.concatenate(([0], cuts, [n])))
        if sizes.min() > 0 and sizes.max() <= max_clients:
            return np.split(order, cuts)
    return np.array_split(order, fewest)


def plan_routes_by_sector(
    distances: Callable[[np.ndarray], np.ndarray],
    demand: np.ndarray,
    bearing_rad: np.ndarray,
    *,
    max_clients: int,
    **planning,
) -> list[list[int]]:
    """Plan milk runs as :func:`plan_routes`, one sweep sector at a time for a big depot.

    A depot with at most *max_clients* clients is planned exactly as
    :func:`plan_routes` plans it. A bigger one is split by :func:`sweep_sectors`
    and each sector is planned on its own with the same settings, so a province's
    hub with thousands of clients costs a few hundred-client problems, not one
    search whose every iteration touches thousands of clients.

    Parameters
    ----------
    distances
        Given client indices (0-based), the ``(k+1, k+1)`` road-distance matrix in km
        of the depot (index 0) and those clients in that order. Called once per
        sector, so the whole ``(n+1, n+1)`` matrix of a big depot is never built.
    demand
        ``n`` expected parcels per departure (as :func:`plan_routes`).
    bearing_rad
        Each client's direction from the depot, in radians.
    max_clients
        Most clients planned in one PyVRP problem.
    **planning
        Everything else :func:`plan_routes` takes (capacity, speed_kmh, ...).

    Returns
    -------
    list of list of int
        Routes of client indices in visiting order, sorted by their first client.

    Raises
    ------
    RoutePlanningError
        As :func:`plan_routes`, naming clients by their index in *demand*.
    """
    demand = np.asarray(demand, dtype=float)
    if len(demand) <= max_clients:
        return plan_routes(distances(np.arange(len(demand))), demand, **planning)
    weight = _planned_demand(demand, planning["capacity"])
    routes: list[list[int]] = []
    for sector in sweep_sectors(bearing_rad, weight, max_clients):
        try:
            planned = plan_routes(distances(sector), demand[sector], **planning)
        except RoutePlanningError as exc:
            raise _in_sector(exc, sector) from None
        routes.extend([int(sector[c]) for c in route] for route in planned)
    return sorted(routes, key=lambda route: route[0])


def _in_sector(exc: RoutePlanningError, sector: np.ndarray) -> RoutePlanningError:
    """A sector's planning error with its clients named by their index in the whole depot."""
    if not exc.clients:
        return RoutePlanningError(f"in the sweep sector of {len(sector)} clients: {exc}")
    clients = tuple(int(sector[c]) for c in exc.clients)
    hours = ", ".join(f"{h:.3f}" for h in exc.alone_h)
    return RoutePlanningError(
        f"clients {list(clients)} cannot be served within the maximum route duration even "
        f"alone (depot -> client -> depot takes {hours} h)",
        client=clients[0],
        clients=clients,
        alone_h=exc.alone_h,
    )


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

    return dist, _planned_demand(dem, capacity)


def _planned_demand(demand: np.ndarray, capacity: int) -> np.ndarray:
    """Whole parcels per client as planned: at least 1, at most a full van."""
    # Every client is visited even when its expected demand rounds to zero, and
    # an over-capacity client is planned as a full van (see module docstring).
    return np.clip(np.ceil(demand), 1, capacity).astype(np.int64)


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
