"""Big depots planned in sweep sectors; searches that stop when they stop improving."""

from __future__ import annotations

import math

import numpy as np
import pytest
import pyvrp

from sim.network import routing
from sim.network.routing import (
    RoutePlanningError,
    plan_routes,
    plan_routes_by_sector,
    sweep_sectors,
)
from tests.network.test_routing import matrix, overload_the_solver, tour_h

SETTINGS = dict(capacity=120, speed_kmh=40.0, stop_time_h=0.1, max_duration_h=4.0, seed=3)


def instance(n: int, seed: int):
    """Depot at the origin, *n* clients around it: positions, matrix, demand, bearings."""
    rng = np.random.default_rng(seed)
    points = np.vstack([[0.0, 0.0], rng.uniform(-30.0, 30.0, size=(n, 2))])
    bearing = np.arctan2(points[1:, 1], points[1:, 0])
    return matrix(points), rng.uniform(5.0, 40.0, size=n), bearing


def sub_matrix(dist):
    """The distances callable plan_routes_by_sector takes, for a full matrix."""

    def among(chosen):
        rows = np.concatenate(([0], np.asarray(chosen) + 1))
        return dist[np.ix_(rows, rows)]

    return among


def degrees(*angles):
    return np.radians(np.array(angles, dtype=float))


# --------------------------------------------------------------------------- sweep_sectors


def test_a_depot_at_the_threshold_is_one_sector():
    sectors = sweep_sectors(degrees(0, 90, 180), np.ones(3), max_clients=3)
    assert [s.tolist() for s in sectors] == [[0, 1, 2]]


def test_the_sweep_starts_after_the_widest_empty_angle():
    # Two clusters, around 0° and around 180°. Cutting at -180° would split the
    # western cluster (170° and -170° are 20° apart); the widest empty angle
    # (from -170° round to 0°) is where the sweep starts.
    bearing = degrees(170, 0, -170, 10, 180, 20)
    sectors = sweep_sectors(bearing, np.ones(6), max_clients=3)
    assert [sorted(s.tolist()) for s in sectors] == [[1, 3, 5], [0, 2, 4]]


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
        # Total 12, two sectors of 6 each: 4+1+1 and 1+1+4.
        ([4, 1, 1, 1, 1, 4], [[0, 1, 2], [3, 4, 5]]),
        # Total 12: the first client alone weighs 6, the other five together 6.
        ([6, 1, 1, 1, 1, 2], [[0], [1, 2, 3, 4, 5]]),
    ],
)
def test_sectors_are_balanced_by_weight(weight, expected):
    bearing = degrees(0, 10, 20, 30, 40, 50)  # widest gap 50° -> 360°: sweep from 0°
    sectors = sweep_sectors(bearing, np.array(weight, dtype=float), max_clients=5)
    assert [s.tolist() for s in sectors] == expected


def test_a_sector_too_full_of_light_clients_gets_split_further():
    # One heavy client then six light ones, at most 4 a sector: equal weights can't
    # be cut into sectors of <= 4 clients, so the sectors are of equal size instead.
    bearing = degrees(0, 10, 20, 30, 40, 50, 60)
    sectors = sweep_sectors(bearing, np.array([10, 1, 1, 1, 1, 1, 1.0]), max_clients=4)
    assert [s.tolist() for s in sectors] == [[0, 1, 2, 3], [4, 5, 6]]


@pytest.mark.parametrize("seed", range(5))
def test_every_client_in_one_sector_of_contiguous_bearings(seed):
    rng = np.random.default_rng(seed)
    n, most = int(rng.integers(10, 200)), int(rng.integers(2, 30))
    bearing = rng.uniform(-math.pi, math.pi, size=n)
    sectors = sweep_sectors(bearing, rng.integers(1, 50, size=n).astype(float), most)

    assert sorted(c for s in sectors for c in s.tolist()) == list(range(n))
    assert max(len(s) for s in sectors) <= most
    assert len(sectors) >= math.ceil(n / most)
    # Sectors are arcs: walking round the circle, the sector changes len(sectors) times.
    sector_of = np.empty(n, dtype=int)
    for k, s in enumerate(sectors):
        sector_of[s] = k
    around = sector_of[np.argsort(bearing)]
    changes = int(np.count_nonzero(around != np.roll(around, 1)))
    assert changes == (len(sectors) if len(sectors) > 1 else 0)


def test_the_split_is_deterministic_and_ties_go_by_index():
    bearing = np.zeros(8)  # all in one direction: bearing ties everywhere
    first = sweep_sectors(bearing, np.ones(8), max_clients=3)
    again = sweep_sectors(bearing.copy(), np.ones(8), max_clients=3)
    assert [s.tolist() for s in first] == [s.tolist() for s in again]
    assert sorted(c for s in first for c in s.tolist()) == list(range(8))


# --------------------------------------------------------------------------- plan_routes_by_sector


def test_at_or_below_the_threshold_the_routes_are_pyvrps_whole_depot_routes():
    dist, demand, bearing = instance(30, seed=11)
    whole = plan_routes(dist, demand, iterations=200, **SETTINGS)
    for most in (30, 31, 1000):
        by_sector = plan_routes_by_sector(
            sub_matrix(dist), demand, bearing, max_clients=most, iterations=200, **SETTINGS
        )
        assert by_sector == whole


def test_above_the_threshold_every_route_stays_within_one_sector_and_the_limits():
    n, most = 60, 16
    dist, demand, bearing = instance(n, seed=5)
    routes = plan_routes_by_sector(
        sub_matrix(dist), demand, bearing, max_clients=most, iterations=100, **SETTINGS
    )
    assert sorted(c for r in routes for c in r) == list(range(n))
    planned = np.clip(np.ceil(demand), 1, SETTINGS["capacity"])
    sectors = sweep_sectors(bearing, planned, most)
    sector_of = {c: k for k, s in enumerate(sectors) for c in s.tolist()}
    for route in routes:
        assert planned[route].sum() <= SETTINGS["capacity"]
        assert tour_h(route, dist, speed=40.0, stop=0.1) <= SETTINGS["max_duration_h"] + 1e-9
        assert len({sector_of[c] for c in route}) == 1
    # Each sector's routes are what PyVRP plans for that sector alone.
    for sector in sectors:
        alone = plan_routes(sub_matrix(dist)(sector), demand[sector], iterations=100, **SETTINGS)
        mine = sorted(r for r in routes if sector_of[r[0]] == sector_of[int(sector[0])])
        assert sorted([int(sector[c]) for c in r] for r in alone) == mine
    again = plan_routes_by_sector(
        sub_matrix(dist), demand, bearing, max_clients=most, iterations=100, **SETTINGS
    )
    assert again == routes


def test_an_unreachable_client_in_a_sector_is_named_by_its_depot_index():
    dist, demand, bearing = instance(40, seed=2)
    far = 33
    dist = dist.copy()
    dist[0, far + 1] = dist[far + 1, 0] = 500.0  # 25 h there and back at 40 km/h
    with pytest.raises(RoutePlanningError) as info:
        plan_routes_by_sector(
            sub_matrix(dist), demand, bearing, max_clients=10, iterations=10, **SETTINGS
        )
    assert info.value.client == far and info.value.clients == (far,)
    assert info.value.alone_h[0] > 25.0
    assert f"[{far}]" in str(info.value)


# ------------------------------------------------------------------ no_improvement_iterations


def _iterations_run(monkeypatch, **kwargs) -> int:
    """Plan a 40-client depot; how many iterations PyVRP ran."""
    runs = []
    solve = pyvrp.solve

    def counting(*args, **kw):
        result = solve(*args, **kw)
        runs.append(result.num_iterations)
        return result

    monkeypatch.setattr(pyvrp, "solve", counting)
    dist, demand, _ = instance(40, seed=9)
    plan_routes(dist, demand, **SETTINGS, **kwargs)
    return runs[0]


def test_without_patience_the_search_runs_every_iteration(monkeypatch):
    assert _iterations_run(monkeypatch, iterations=400) == 400


def test_patience_stops_a_search_that_stopped_improving(monkeypatch):
    ran = _iterations_run(monkeypatch, iterations=5000, no_improvement_iterations=20)
    # At least the 20 fruitless ones, and far fewer than allowed on 40 clients.
    assert 20 <= ran < 5000


def test_patience_longer_than_the_search_changes_nothing():
    dist, demand, _ = instance(40, seed=4)
    plain = plan_routes(dist, demand, iterations=150, **SETTINGS)
    patient = plan_routes(dist, demand, iterations=150, no_improvement_iterations=151, **SETTINGS)
    assert patient == plain


@pytest.mark.parametrize("bad", [0, -3, 2.5])
def test_patience_must_be_a_positive_whole_number(bad):
    dist, demand, _ = instance(5, seed=1)
    with pytest.raises(ValueError, match="no_improvement_iterations"):
        plan_routes(dist, demand, iterations=10, no_improvement_iterations=bad, **SETTINGS)


def test_a_scenario_plans_its_hub_vans_sector_by_sector(monkeypatch):
    from sim.network.geography import build_geography
    from sim.network.services import build_plan
    from tests.conftest import small_scenario

    problems = []  # how many villages each PyVRP problem has
    plan_one = routing.plan_routes

    def recording(dist_km, demand, **kwargs):
        problems.append(len(demand))
        return plan_one(dist_km, demand, **kwargs)

    monkeypatch.setattr(routing, "plan_routes", recording)
    scenario = small_scenario(
        network={"townships": 4, "villages_per_township": [3, 5]},
        delivery={"model": "direct"},
        routing={"iterations": 20, "max_clients_per_problem": 5},
    )
    geo = build_geography(scenario.network)
    plan = build_plan(scenario, geo)

    villages = len(geo.points)
    assert villages > 10
    assert sum(problems) == villages and max(problems) <= 5
    assert len(problems) >= math.ceil(villages / 5)
    routes = [s.stops[1:-1] for s in plan.services if s.fleet == "hub_van"]
    assert sorted(p for r in routes for p in r) == geo.points.tolist()


def test_no_plan_found_with_patience_suggests_more_of_it(monkeypatch):
    overload_the_solver(monkeypatch)
    dist, demand, _ = instance(10, seed=1)
    with pytest.raises(RoutePlanningError, match="or a larger no_improvement_iterations"):
        plan_routes(dist, demand, iterations=30, no_improvement_iterations=5, **SETTINGS)
    with pytest.raises(RoutePlanningError, match="more iterations or a longer"):
        plan_routes(dist, demand, iterations=30, **SETTINGS)
