import itertools
import math

import numpy as np
import pytest
import pyvrp

from sim.network.routing import RoutePlanningError, plan_routes, route_duration_h, route_km

SPEED = 40.0
STOP = 0.1
TOL_H = 1e-9


def matrix(points):
    """Euclidean distance matrix in km; row 0 is the depot."""
    pts = np.asarray(points, dtype=float)
    return np.linalg.norm(pts[:, None, :] - pts[None, :, :], axis=-1)


def random_instance(n, seed):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0.0, 50.0, size=(n + 1, 2))
    return matrix(pts), rng.uniform(10.0, 40.0, size=n)


def tour_km(route, dist):
    """Depot -> route -> depot, computed here rather than with the module's helper."""
    stops = [0] + [c + 1 for c in route] + [0]
    return sum(dist[a][b] for a, b in itertools.pairwise(stops))


def tour_h(route, dist, speed=SPEED, stop=STOP):
    return tour_km(route, dist) / speed + stop * len(route)


def plan(dist, demand, **overrides):
    kwargs = dict(
        capacity=250,
        speed_kmh=SPEED,
        stop_time_h=STOP,
        max_duration_h=6.0,
        seed=1,
        iterations=300,
    )
    kwargs.update(overrides)
    return plan_routes(dist, demand, **kwargs)


@pytest.mark.parametrize(
    ("capacity", "max_h"),
    [(60, 6.0), (10_000, 3.0), (100, 4.0)],
    ids=["capacity-binds", "duration-binds", "both"],
)
def test_every_client_once_and_limits_respected(capacity, max_h):
    dist, demand = random_instance(40, seed=7)
    routes = plan(dist, demand, capacity=capacity, max_duration_h=max_h)

    visited = [c for r in routes for c in r]
    assert sorted(visited) == list(range(40))
    assert all(r for r in routes)
    for r in routes:
        assert sum(math.ceil(demand[c]) for c in r) <= capacity
        assert tour_h(r, dist) <= max_h + TOL_H
    # The limits actually bind, otherwise this test would prove little.
    assert len(routes) > 1


def test_routes_sorted_by_first_client():
    dist, demand = random_instance(30, seed=3)
    routes = plan(dist, demand, capacity=80)
    firsts = [r[0] for r in routes]
    assert firsts == sorted(firsts)


def test_deterministic():
    dist, demand = random_instance(60, seed=11)
    first = plan(dist, demand, capacity=100, seed=5)
    second = plan(dist.copy(), demand.copy(), capacity=100, seed=5)
    assert first == second


def test_unreachable_client_raises_with_index():
    # Client 2 sits 150 km out: 7.5 h round trip at 40 km/h, limit 6 h. Client 4
    # is too far as well; the first one is named.
    dist = matrix([(0, 0), (5, 0), (0, 5), (150, 0), (-5, 0), (0, -200)])
    with pytest.raises(RoutePlanningError) as info:
        plan(dist, np.full(5, 10.0))
    assert info.value.client == 2
    msg = str(info.value)
    assert "client 2 " in msg
    assert "[4]" in msg
    assert "7.600 h" in msg  # 7.5 h driving + 0.1 h stop
    assert "6 h" in msg
    assert isinstance(info.value, ValueError)


def test_single_unreachable_client_raises():
    dist = matrix([(0, 0), (150, 0)])
    with pytest.raises(RoutePlanningError) as info:
        plan(dist, np.array([5.0]))
    assert info.value.client == 0


def test_just_reachable_client_is_accepted():
    # 118.6 km each way: 5.93 h driving + 0.07 h stop is exactly the limit, and
    # 0.07 h * 3600 is 252.00000000000003 s, which must not round up to 253 s.
    dist = matrix([(0, 0), (118.6, 0)])
    assert plan(dist, np.array([5.0]), stop_time_h=0.07) == [[0]]


def test_client_over_limit_by_under_a_second_raises():
    # 0.2 s over the limit per leg: rounding to the nearest second would hide it.
    km = 118.6 + 0.2 / 3600 * SPEED
    dist = matrix([(0, 0), (km, 0)])
    with pytest.raises(RoutePlanningError):
        plan(dist, np.array([5.0]), stop_time_h=0.07)


def test_two_opposite_clusters():
    east = [(30, 0), (31, 1), (31, -1), (32, 0)]
    west = [(-30, 0), (-31, 1), (-31, -1), (-32, 0)]
    dist = matrix([(0, 0), *east, *west])
    routes = plan(dist, np.full(8, 10.0), capacity=40)

    assert sorted(map(sorted, routes)) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    # Going round a cluster (not back and forth across it) is the optimal order.
    optimal_km = 30 + 3 * math.sqrt(2) + math.hypot(31, 1)
    for r in routes:
        assert tour_km(r, dist) == pytest.approx(optimal_km, abs=0.01)


def test_matches_brute_force_optimum():
    dist, demand = random_instance(6, seed=2)
    capacity, max_h = 70, 3.0
    routes = plan(dist, demand, capacity=capacity, max_duration_h=max_h, iterations=500)

    # Every solution is a permutation of the clients cut into consecutive routes.
    best = math.inf
    for perm in itertools.permutations(range(6)):
        for cuts in itertools.product((False, True), repeat=5):
            tours, cur = [], [perm[0]]
            for c, cut in zip(perm[1:], cuts, strict=True):
                if cut:
                    tours.append(cur)
                    cur = []
                cur.append(c)
            tours.append(cur)
            if all(
                sum(math.ceil(demand[c]) for c in t) <= capacity and tour_h(t, dist) <= max_h
                for t in tours
            ):
                best = min(best, sum(tour_km(t, dist) for t in tours))

    assert best < math.inf
    # PyVRP optimises whole metres, so allow a few metres of rounding.
    assert sum(tour_km(r, dist) for r in routes) == pytest.approx(best, abs=0.01)


def test_over_capacity_client_gets_own_route():
    # Client 1 is in the middle of the others but alone exceeds a van.
    dist = matrix([(0, 0), (10, 0), (10, 1), (10, -1), (11, 0)])
    demand = np.array([20.0, 400.0, 20.0, 20.0])
    routes = plan(dist, demand, capacity=250)

    assert [1] in routes
    assert sorted(c for r in routes for c in r) == [0, 1, 2, 3]
    # The rest fit one van together.
    assert len(routes) == 2


def test_demand_rounded_up():
    dist = matrix([(0, 0), (10, 0), (10, 1)])
    # 10.5 -> 11 each: 22 fits a van of 22.
    routes = plan(dist, np.array([10.5, 10.5]), capacity=22)
    assert sorted(map(sorted, routes)) == [[0, 1]]
    # 11.01 -> 12 each: 24 does not.
    assert plan(dist, np.array([11.01, 11.01]), capacity=22) == [[0], [1]]


def test_zero_demand_client_still_visited():
    dist = matrix([(0, 0), (10, 0), (10, 1)])
    routes = plan(dist, np.array([0.0, 249.5]), capacity=250)
    # Zero demand is planned as one parcel, so it cannot share the full van.
    assert routes == [[0], [1]]


def test_empty_and_single(monkeypatch):
    def no_solver(*args, **kwargs):
        raise AssertionError("solver must not be called")

    monkeypatch.setattr(pyvrp, "solve", no_solver)
    assert plan(np.zeros((1, 1)), np.zeros(0)) == []
    assert plan(matrix([(0, 0), (3, 4)]), np.array([500.0])) == [[0]]


def overload_the_solver(monkeypatch):
    """Make PyVRP's best solution put every client on one overloaded van."""
    real_solve = pyvrp.solve

    def overloaded(data, *args, **kwargs):
        result = real_solve(data, *args, **kwargs)
        result.best = pyvrp.Solution(data, [list(range(data.num_clients))])
        return result

    monkeypatch.setattr(pyvrp, "solve", overloaded)


def test_infeasible_solver_result_raises(monkeypatch):
    overload_the_solver(monkeypatch)
    dist, demand = random_instance(10, seed=1)
    with pytest.raises(RoutePlanningError, match="no feasible plan") as info:
        plan(dist, demand, capacity=50)
    assert info.value.client is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dist_km": np.zeros((3, 3))}, "shape"),
        ({"dist_km": -np.ones((2, 2))}, "non-negative"),
        ({"demand": np.array([np.nan])}, "demand"),
        ({"capacity": 0}, "capacity"),
        ({"speed_kmh": 0.0}, "speed"),
        ({"max_duration_h": 0.0}, "max_duration"),
        ({"iterations": -1}, "iterations"),
        ({"handling_time_h": -0.1}, "handling_time_h"),
        ({"depot_time_h": float("inf")}, "depot_time_h"),
    ],
)
def test_invalid_inputs(kwargs, match):
    args = {"dist_km": matrix([(0, 0), (1, 0)]), "demand": np.array([1.0])}
    args.update({k: kwargs.pop(k) for k in list(kwargs) if k in args})
    with pytest.raises(ValueError, match=match):
        plan(args["dist_km"], args["demand"], **kwargs)


def test_helpers():
    # Asymmetric on purpose: direction matters.
    dist = np.array(
        [
            [0.0, 10.0, 20.0],
            [11.0, 0.0, 5.0],
            [21.0, 6.0, 0.0],
        ]
    )
    assert route_km([0, 1], dist) == pytest.approx(10 + 5 + 21)
    assert route_km([1, 0], dist) == pytest.approx(20 + 6 + 11)
    assert route_km([], dist) == 0.0
    assert route_duration_h([0, 1], dist, 40.0, 0.25) == pytest.approx(36 / 40 + 0.5)
    assert route_duration_h([], dist, 40.0, 0.25) == 0.0


def test_handling_and_depot_stop_count_against_the_duration_limit():
    # A at (10, 0), B at (10, 2): together 10 + 2 + 10.2 = 22.2 km (0.555 h at 40 km/h)
    # with 0.1 h stops at the depot, A and B: 0.855 h, well within 2 h, and shorter than
    # two routes (40.4 km). Their 60 planned parcels handled twice at 0.01 h add 1.2 h:
    # 2.055 h is over the limit, so each gets its own route (1.3 h and 1.31 h).
    dist = matrix([(0, 0), (10, 0), (10, 2)])
    demand = np.array([30.0, 30.0])
    together = plan(dist, demand, max_duration_h=2.0, depot_time_h=STOP)
    assert [sorted(r) for r in together] == [[0, 1]]  # either direction: same km
    apart = plan(dist, demand, max_duration_h=2.0, depot_time_h=STOP, handling_time_h=0.01)
    assert apart == [[0], [1]]
    duration = route_duration_h(
        [0, 1], dist, SPEED, STOP, load=60, handling_time_h=0.01, depot_time_h=STOP
    )
    assert duration == pytest.approx((12 + math.hypot(10, 2)) / SPEED + 0.3 + 1.2)


def test_depot_stop_and_handling_can_make_a_client_unreachable():
    # 20 km there and back: 0.5 h + 0.1 h stop fits 0.6 h exactly; a depot stop of 0.1 h
    # does not, nor does handling its 5 parcels twice at 0.01 h (0.1 h).
    dist = matrix([(0, 0), (10, 0)])
    assert plan(dist, np.array([5.0]), max_duration_h=0.6) == [[0]]
    for extra in ({"depot_time_h": 0.1}, {"handling_time_h": 0.01}):
        with pytest.raises(RoutePlanningError) as info:
            plan(dist, np.array([5.0]), max_duration_h=0.6, **extra)
        assert info.value.clients == (0,)
        assert info.value.alone_h == pytest.approx((0.7,))
