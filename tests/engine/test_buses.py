"""Parcels on timetabled buses: hand-computed times, overflow, fallback, capacity.

The tiny county of test_tiny_network: hub H (0, 0), station S (0, 10), villages
A (3, 10) and B (-3, 10); circuity 1; every parcel at the hub at 06:00 sharp,
sorted one second apart, all ready well before 08:00. One bus line H -> S -> A.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import load_scenario, simulate
from sim.engine.ledger import FELL_BACK, LEFT_BEHIND, RODE_BUS
from sim.scenario.schema import Scenario
from tests.conftest import SCENARIOS
from tests.engine.test_tiny_network import tiny

MIN = 1 / 60
A, B = 2, 3  # ledger destinations (place indices)


def with_bus(tmp_path, capacity=60, fallback_after_h=5.0, van_departures=("08:00", "11:30")):
    base = tiny(tmp_path, "direct", hub_van={"departures": list(van_departures)})
    data = base.model_dump(mode="json")
    data["buses"] = {
        # The engine's mechanics under test: every parcel for A is put on the bus.
        "policy": "bus_first",
        "lines": [
            {
                "name": "L",
                "stops": ["H", "S", "A"],
                "departures_out": ["08:00", "12:00"],
                "departures_back": [],
                "speed_kmh": 30,
                "dwell_min": 1,
                "handling_min_per_parcel": 0.1,
                "capacity_parcels": capacity,
                "fee_per_parcel_cny": 0.5,
                "fee_per_line_day_cny": 10,
            }
        ],
    }
    data["delivery"] = {"model": "bus", "fallback_after_h": fallback_after_h}
    return Scenario.model_validate(data)


def bus_arrival(departure, boarded):
    """Bus at A: dwell at H (1 min + 0.1 min a parcel), 10 km at 30 km/h, 1 min at S,
    3 km at 30 km/h, then 1 min + 0.1 min a parcel unloading at A."""
    handling = (1 + 0.1 * boarded) * MIN
    return departure + handling + 20 * MIN + 1 * MIN + 6 * MIN + handling


def test_full_bus_leaves_overflow_for_the_next_bus(tmp_path):
    run = simulate(with_bus(tmp_path, fallback_after_h=24), seed=3)
    parcels = run.parcels
    mine = parcels[parcels["destination"] == A].sort_index()  # FIFO: all reach the hub at 06:00
    assert 60 < len(mine) <= 120  # ~100 expected
    first, rest = mine.iloc[:60], mine.iloc[60:]
    np.testing.assert_allclose(first["t_at_point"], bus_arrival(8.0, 60))
    np.testing.assert_allclose(first["t_left_hub"], 8.0 + (1 + 6) * MIN)
    np.testing.assert_allclose(rest["t_at_point"], bus_arrival(12.0, len(rest)))
    assert ((mine["flags"] & RODE_BUS) != 0).all()
    assert ((first["flags"] & LEFT_BEHIND) == 0).all()
    assert ((rest["flags"] & LEFT_BEHIND) != 0).all()
    # B has no bus line: the 08:00 hub van (6 min loading, hypot(3, 10) km at 40 km/h, 6 min).
    at_b = parcels.loc[parcels["destination"] == B, "t_at_point"]
    np.testing.assert_allclose(at_b, 8.0 + 0.1 + np.hypot(3, 10) / 40 + 0.1)
    k = run.kpis
    assert k["bus_parcels_share"] == pytest.approx(len(mine) / len(parcels))
    assert k["bus_overflow_parcels"] == len(rest)
    assert k["bus_fee_cny"] == pytest.approx(0.5 * len(mine) + 10)  # one line-day
    # Parcel handling added 0.1 min per parcel at H and at A, on each of the two trips.
    assert k["bus_delay_added_min_mean"] == pytest.approx(0.1 * 2 * len(mine) / 2)


def test_left_behind_parcels_fall_back_to_the_van(tmp_path):
    # Sorted by ~06:00:04, they may fall back 5 h later; the 11:30 van takes them,
    # before the 12:00 bus.
    run = simulate(with_bus(tmp_path, fallback_after_h=5.0), seed=3)
    parcels = run.parcels
    mine = parcels[parcels["destination"] == A].sort_index()
    first, rest = mine.iloc[:60], mine.iloc[60:]
    np.testing.assert_allclose(first["t_at_point"], bus_arrival(8.0, 60))
    van = 11.5 + 0.1 + np.hypot(3, 10) / 40 + 0.1
    np.testing.assert_allclose(rest["t_at_point"], van)
    assert ((rest["flags"] & FELL_BACK) != 0).all() and ((first["flags"] & FELL_BACK) == 0).all()
    assert run.kpis["bus_fallback_parcels"] == len(rest)
    # The 12:00 bus still runs (passengers), carrying no parcels; so do the next day's.
    buses = run.trips[(run.trips["fleet"] == "bus") & (run.trips["depart_h"] < 24)]
    assert list(buses["parcels"]) == [60, 0]


def test_not_yet_due_parcels_stay_for_the_bus(tmp_path):
    # Fallback after 6 h (~12:00:04) is too late for the 11:30 van: the 12:00 bus takes them.
    run = simulate(with_bus(tmp_path, fallback_after_h=6.0), seed=3)
    parcels = run.parcels
    rest = parcels[parcels["destination"] == A].sort_index().iloc[60:]
    np.testing.assert_allclose(rest["t_at_point"], bus_arrival(12.0, len(rest)))
    assert run.kpis["bus_fallback_parcels"] == 0


def test_peak_trip_has_less_room(tmp_path):
    scenario = with_bus(tmp_path, fallback_after_h=24)
    data = scenario.model_dump(mode="json")
    data["buses"]["lines"][0]["peak_trips"] = [
        {"direction": "out", "departure": "08:00", "capacity_parcels": 25}
    ]
    run = simulate(Scenario.model_validate(data), seed=3)
    mine = run.parcels[run.parcels["destination"] == A].sort_index()
    np.testing.assert_allclose(mine.iloc[:25]["t_at_point"], bus_arrival(8.0, 25))
    assert list(run.trips.loc[run.trips["fleet"] == "bus", "capacity"]) == [25, 60] * 2


SHORT = ["horizon.days=4", "horizon.warmup_days=1", "routing.iterations=50"]


def test_zero_bus_capacity_is_exactly_the_fallback_model():
    bus = load_scenario(
        SCENARIOS / "leiyang_bus.yaml",
        [*SHORT, "buses.corridors.capacity_parcels=0", "buses.corridors.peak_trips=[]"],
    )
    direct = load_scenario(SCENARIOS / "leiyang_direct.yaml", SHORT)
    a, b = simulate(bus, seed=2).parcels, simulate(direct, seed=2).parcels
    assert len(a) > 50_000
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())


def test_more_cargo_space_never_slows_deliveries_bus_first():
    # The old rule (every village a line serves on the bus first): with any cargo space,
    # more of it helps, a lot. (The default policy's properties: tests/network/test_bus_policy.py.)
    means = []
    for capacity in (20, 40, 80, 160):
        scenario = load_scenario(
            SCENARIOS / "leiyang_bus.yaml",
            [
                *SHORT,
                "buses.policy=bus_first",
                f"buses.corridors.capacity_parcels={capacity}",
                "buses.corridors.peak_trips=[]",
            ],
        )
        means.append(simulate(scenario, seed=5).kpis["lead_time_mean_h"])
    assert means == sorted(means, reverse=True), means
    assert means[0] > means[-1] + 1.0  # and the effect is not negligible


@pytest.mark.parametrize("name", ["leiyang_bus", "leiyang_trunk_bus"])
def test_bundled_bus_scenarios_run(name):
    run = simulate(load_scenario(SCENARIOS / f"{name}.yaml", SHORT), seed=1)
    k = run.kpis
    assert k["parcels_in_system"] < 0.01 * k["parcels_generated"]
    # The default policy puts only the villages a bus reaches no later than the van on it.
    assert 0 < k["bus_parcels_share"] < 0.5
    assert 0 < k["bus_load_factor_mean"] <= 1
    assert k["bus_fee_cny"] > 0 and k["bus_delay_added_min_mean"] > 0
    if name == "leiyang_trunk_bus":
        # Buses only run the station -> village part: bus riders all went through a station.
        rode = (run.parcels["flags"] & RODE_BUS) != 0
        assert run.parcels.loc[rode & run.parcels["t_at_point"].notna(), "t_station"].notna().all()


def test_bus_to_station_then_township_van():
    scenario = load_scenario(
        SCENARIOS / "leiyang_bus.yaml", [*SHORT, "delivery.model=bus_then_township_van"]
    )
    run = simulate(scenario, seed=1)
    parcels = run.parcels
    parcels = parcels[parcels["destination"] != 0]  # the villages' (not the town's)
    delivered = parcels["t_at_point"].notna()
    assert delivered.mean() > 0.99
    assert parcels.loc[delivered, "t_station"].notna().all()  # every path changes at a station
    assert run.kpis["bus_parcels_share"] > 0.05
    assert set(run.trips["fleet"].unique()) == {"bus", "trunk", "township_van"}


def test_custom_legs_equal_the_named_model():
    legs = "[{to: station, by: [trunk]}, {to: point, by: [bus, township_van]}]"
    named = load_scenario(SCENARIOS / "leiyang_trunk_bus.yaml", SHORT)
    custom = load_scenario(
        SCENARIOS / "leiyang_trunk_bus.yaml",
        [*SHORT, "delivery.model=custom", f"delivery.legs={legs}"],
    )
    a, b = simulate(named, seed=4), simulate(custom, seed=4)
    np.testing.assert_array_equal(a.parcels.to_numpy(), b.parcels.to_numpy())


def test_running_time_spreads_over_legs_by_distance(tmp_path):
    scenario = with_bus(tmp_path, fallback_after_h=24)
    data = scenario.model_dump(mode="json")
    data["buses"]["lines"][0]["running_min"] = 39  # 13 km end to end: 30 min to S, 9 min on
    run = simulate(Scenario.model_validate(data), seed=3)
    first = run.parcels[run.parcels["destination"] == A].sort_index().iloc[:60]
    handling = (1 + 0.1 * 60) * MIN
    expected = 8.0 + handling + 30 * MIN + 1 * MIN + 9 * MIN + handling
    np.testing.assert_allclose(first["t_at_point"], expected)


def test_corridor_lines_chain_each_townships_villages():
    from sim.engine.model import plan_for

    scenario = load_scenario(
        SCENARIOS / "leiyang_bus.yaml",
        [
            *SHORT,
            "buses.corridors.villages_per_line=5",
            "buses.corridors.townships=[T01, T02]",
            "buses.policy=bus_first",  # keeps every line, carrying parcels or not
        ],
    )
    plan = plan_for(scenario)
    geo = plan.geography
    out = [s for s in plan.services if s.is_bus and s.name.endswith(":out")]
    lines_by_town = {}
    for service in out:
        hub, station, *villages = service.stops
        assert hub == 0 and geo.ids[station] in ("T01", "T02")
        assert 1 <= len(villages) <= 5
        assert all(geo.parent[v] == station for v in villages)
        lines_by_town.setdefault(station, []).extend(villages)
    for station, villages in lines_by_town.items():
        mine = set(np.flatnonzero(geo.parent == station))
        assert sorted(villages) == sorted(mine)  # every village on exactly one line
    back = [s for s in plan.services if s.is_bus and s.name.endswith(":back")]
    assert [s.stops[::-1] for s in back] == [s.stops for s in out]


def test_unknown_corridor_township_is_an_error():
    from sim import ScenarioError
    from sim.runner import load_checked

    with pytest.raises(ScenarioError) as error:
        load_checked(SCENARIOS / "leiyang_bus.yaml", [*SHORT, "buses.corridors.townships=[T99]"])
    message = str(error.value)
    assert "buses.corridors.townships.0" in message and "'T99'" in message
    assert "leiyang_bus.yaml" in message
