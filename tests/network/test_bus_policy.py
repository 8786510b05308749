"""The bus policies (``buses.policy``): which legs a bus carries, and what follows.

Hand-computed cases on the tiny county of tests/engine/test_tiny_network.py (hub H
(0, 0), station S (0, 10), villages A (3, 10) and B (-3, 10), circuity 1, ~100
parcels per village at the hub at 06:00, sorted at 3,600 an hour), and monotone
properties of the default policy on the bundled bus county.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import ScenarioError, load_scenario, simulate
from sim.engine.model import plan_for
from sim.network.timing import SLICES_PER_WAVE, first_trips, hub_ready_times
from sim.runner import load_checked
from sim.scenario.schema import Scenario
from tests.conftest import SCENARIOS
from tests.engine.test_tiny_network import tiny

MIN = 1 / 60
A, B = 2, 3  # place indices
H_TO_A_KM = float(np.hypot(3, 10))


def line(name, stops, speed_kmh, capacity=200):
    return {
        "name": name,
        "stops": stops,
        "departures_out": ["08:00"],
        "departures_back": [],
        "speed_kmh": speed_kmh,
        "dwell_min": 1,
        "handling_min_per_parcel": 0.1,
        "capacity_parcels": capacity,
    }


def two_lines(tmp_path, policy="no_later", fast_capacity=200, van_departures=("11:30",)):
    """A slow line H -> S -> A (listed first) and a fast one H -> A, both leaving at 08:00."""
    data = tiny(tmp_path, "direct", hub_van={"departures": list(van_departures)}).model_dump(
        mode="json"
    )
    data["buses"] = {
        "policy": policy,
        "lines": [
            line("slow", ["H", "S", "A"], speed_kmh=30),
            line("fast", ["H", "A"], speed_kmh=60, capacity=fast_capacity),
        ],
    }
    data["delivery"] = {"model": "bus", "fallback_after_h": 24}
    return Scenario.model_validate(data)


# Expected hand-over at A by the timetable: 1 min dwell at each stop, driving between.
SLOW_AT_A = 8 + 1 * MIN + 20 * MIN + 1 * MIN + 6 * MIN + 1 * MIN  # 10 km, 3 km at 30 km/h
FAST_AT_A = 8 + 1 * MIN + H_TO_A_KM / 60 + 1 * MIN
VAN_AT_A = {"08:00": 8 + 0.1 + H_TO_A_KM / 40 + 0.1}  # 6 min stops, 40 km/h


def carrier_of(plan, place):
    service = plan.services[plan.leg_service[place, 0]]
    return service.line or service.fleet


def test_timetable_arrivals_by_hand(tmp_path):
    plan = plan_for(two_lines(tmp_path, policy="bus_first"))
    slow, fast = (s for s in plan.services if s.is_bus)
    ready = np.array([6.0, 7.99, 8.0, 8.01, 30.0])
    caught, arrival = first_trips(slow, 0, 2, ready)
    # Ready after the 08:00 departure: the next day's.
    np.testing.assert_allclose(arrival, SLOW_AT_A + np.array([0, 0, 0, 24, 24]))
    assert list(caught) == [0] * 5
    # Boarding at S (reached 08:21): parcels ready there at 08:10 catch that day's trip.
    _, at_a = first_trips(slow, 1, 2, np.array([8 + 10 * MIN, 8 + 22 * MIN]))
    np.testing.assert_allclose(at_a, [SLOW_AT_A, SLOW_AT_A + 24])
    _, arrival = first_trips(fast, 0, 1, ready[:1])
    np.testing.assert_allclose(arrival, [FAST_AT_A])


def test_hub_ready_times_sort_the_wave_as_a_fluid(tmp_path):
    scenario = two_lines(tmp_path)
    ready = hub_ready_times(scenario, 200.0)
    # One wave at 06:00 (no unloading time), 200 parcels at 3,600 an hour: each slice's
    # parcels are ready when half of the slice is sorted.
    slice_h = 200 / SLICES_PER_WAVE / 3600
    np.testing.assert_allclose(ready.hours, 6 + (np.arange(SLICES_PER_WAVE) + 0.5) * slice_h)
    np.testing.assert_allclose(ready.shares, 1 / SLICES_PER_WAVE)


def test_earlier_arriving_line_is_chosen(tmp_path):
    plan = plan_for(two_lines(tmp_path))
    assert carrier_of(plan, A) == "bus:fast"
    # The old rule takes the first line found, the slow one.
    assert carrier_of(plan_for(two_lines(tmp_path, policy="bus_first")), A) == "bus:slow"
    run = simulate(two_lines(tmp_path), seed=3)
    mine = run.parcels[run.parcels["destination"] == A]
    n = len(mine)
    assert 60 < n <= 140  # ~100; all fit the fast line's 200
    handling = (1 + 0.1 * n) * MIN
    np.testing.assert_allclose(mine["t_at_point"], 8 + handling + H_TO_A_KM / 60 + handling)


def test_line_without_room_is_passed_over(tmp_path):
    # ~100 parcels a day × planning margin 1.2, all catching the 08:00: 120 do not fit in
    # 100 places on the fast line; the slow one has room and is still earlier than the van.
    plan = plan_for(two_lines(tmp_path, fast_capacity=100))
    assert carrier_of(plan, A) == "bus:slow"
    assert len([s for s in plan.services if s.is_bus]) == 1  # the unused line is left out
    plan = plan_for(two_lines(tmp_path, fast_capacity=120))  # exactly enough room
    assert carrier_of(plan, A) == "bus:fast"


def test_bus_only_where_no_later_than_the_van(tmp_path):
    # The 08:00 van reaches A before the slow line; without the fast line the van keeps A.
    scenario = two_lines(tmp_path, fast_capacity=0, van_departures=("08:00",))
    assert VAN_AT_A["08:00"] < SLOW_AT_A
    plan = plan_for(scenario)
    assert carrier_of(plan, A) == "hub_van" and carrier_of(plan, B) == "hub_van"
    assert not any(s.is_bus for s in plan.services)
    assert (plan.fallback_service == -1).all()
    data = scenario.model_dump(mode="json")
    data["buses"]["policy"] = "bus_first"
    assert carrier_of(plan_for(Scenario.model_validate(data)), A) == "bus:slow"


def test_van_fleet_keeps_only_what_the_buses_leave(tmp_path):
    plan = plan_for(two_lines(tmp_path))
    vans = [s for s in plan.services if s.fleet == "hub_van"]
    regular = [s for s in vans if "/fallback" not in s.name]
    backup = [s for s in vans if "/fallback" in s.name]
    # B alone on the regular route (H-B-H, 2 × hypot(3, 10) km); A only on a fallback
    # route, which runs only when the bus leaves parcels behind.
    assert [s.stops for s in regular] == [(0, B, 0)]
    assert regular[0].leg_km == pytest.approx((H_TO_A_KM, H_TO_A_KM))
    assert [s.stops for s in backup] == [(0, A, 0)]
    assert plan.services[plan.fallback_service[A, 0]] is backup[0]
    run = simulate(two_lines(tmp_path), seed=3)
    assert set(run.trips.loc[run.trips["fleet"] == "hub_van", "service"]) == {
        plan.services.index(regular[0])
    }


def test_unknown_policy_is_refused():
    with pytest.raises(ScenarioError) as error:
        load_checked(SCENARIOS / "leiyang_bus.yaml", ["buses.policy=bus_always"])
    message = str(error.value)
    assert "buses.policy" in message and "no_later" in message and "bus_first" in message


SHORT = ["horizon.days=4", "horizon.warmup_days=1", "routing.iterations=50"]
# Fees of zero are below any marginal cost a van could have: a bus then costs nothing.
FREE_BUSES = ["buses.corridors.fee_per_parcel_cny=0", "buses.corridors.fee_per_line_day_cny=0"]


@pytest.fixture(scope="module")
def by_capacity():
    kpis = {}
    for capacity in (0, 5, 20, 200):
        scenario = load_scenario(
            SCENARIOS / "leiyang_bus.yaml",
            [
                *SHORT,
                *FREE_BUSES,
                f"buses.corridors.capacity_parcels={capacity}",
                "buses.corridors.peak_trips=[]",
            ],
        )
        assert scenario.buses.policy == "no_later"
        kpis[capacity] = simulate(scenario, seed=5).kpis
    return kpis


def test_more_cargo_space_never_raises_mean_lead_time(by_capacity):
    means = [k["lead_time_mean_h"] for k in by_capacity.values()]
    assert all(b <= a + 1e-9 for a, b in zip(means, means[1:], strict=False)), means
    assert by_capacity[200]["bus_parcels_share"] > by_capacity[20]["bus_parcels_share"] > 0
    assert means[-1] < means[0]  # the buses do help


def test_free_buses_never_raise_cost(by_capacity):
    costs = [k["cost_total_cny"] for k in by_capacity.values()]
    assert all(b <= a + 1e-6 for a, b in zip(costs, costs[1:], strict=False)), costs
