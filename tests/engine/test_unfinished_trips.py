"""Trips still under way when the run stops are counted for the work done, never as zero."""

from __future__ import annotations

import pytest

from sim import simulate
from sim.scenario.schema import Scenario


def one_village(tmp_path, **van) -> Scenario:
    """Hub H at (0, 0) and one village A 20 km north; circuity 1, so 20 road km each way.

    ~100 parcels reach the hub at 06:00; one hub van leaves at 23:00 on the only day,
    and the run stops at midnight (no drain days).
    """
    nodes = tmp_path / "one.csv"
    nodes.write_text(
        "id,level,parent,x_km,y_km,population\n"
        "H,hub,,0,0,0\n"
        "S,station,H,0,1,0\n"
        "A,point,S,0,20,1000\n"
    )
    fleet = {
        "capacity_parcels": 1000,
        "speed_kmh": 40,
        "departures": ["23:00"],
        "stop_min": 6,
        "handling_min_per_parcel": 0,
        "max_route_h": 4,
        "cost_per_km_cny": 2.0,
        "cost_per_vehicle_day_cny": 300,
        "co2_per_km_kg": 0.5,
        **van,
    }
    return Scenario.model_validate(
        {
            "name": "one",
            "horizon": {"days": 1, "warmup_days": 0, "drain_days": 0},
            "network": {"source": "csv", "csv_path": str(nodes), "circuity": 1.0},
            "demand": {
                "parcels_per_capita_day": 0.1,
                "waves": [{"time": "06:00", "share": 1.0}],
                "wave_unload_min": 0,
            },
            "fleets": {"hub_van": fleet},
            "delivery": {"model": "direct"},
        }
    )


def test_trip_cut_off_by_the_end_counts_its_hours_and_the_km_driven(tmp_path):
    run = simulate(one_village(tmp_path), seed=1)
    # 23:00 stop at the hub (6 min), 23:06-23:36 drive 20 km to A, 23:36-23:42 stop,
    # then 18 min of the drive back (12 km at 40 km/h) before midnight: 32 km, 1 h.
    [trip] = run.trips.itertuples()
    assert not trip.finished
    assert trip.km == pytest.approx(32.0)
    assert trip.end_h == 24.0
    kpis = run.kpis
    assert kpis["parcels_generated"] > 0
    assert kpis["parcels_delivered"] == kpis["parcels_generated"]  # handed over at 23:42
    assert kpis["vehicle_km"] == pytest.approx(32.0)
    assert kpis["vehicle_hours"] == pytest.approx(1.0)
    # 32 km × 2 CNY + one vehicle-day at 300 CNY; 32 km × 0.5 kg.
    assert kpis["cost_total_cny"] == pytest.approx(32 * 2.0 + 300)
    assert kpis["co2_kg"] == pytest.approx(16.0)
    assert run.in_network["on_vehicles"] == 0


def test_trip_cut_off_before_leaving_the_hub_still_costs_its_vehicle(tmp_path):
    # 0.6 min per parcel: ~100 parcels keep the van loading from 23:00 past midnight.
    # Planned at 100 × 1.2 = 120 parcels, 2 × 120 × 0.6 min = 2.4 h of handling plus
    # 1 h driving and 12 min of stops, within max_route_h 4.
    run = simulate(one_village(tmp_path, handling_min_per_parcel=0.6), seed=1)
    [trip] = run.trips.itertuples()
    assert not trip.finished and trip.km == 0.0
    kpis = run.kpis
    assert kpis["parcels_delivered"] == 0
    assert kpis["parcels_in_system"] == kpis["parcels_generated"] > 0
    assert run.in_network["on_vehicles"] == kpis["parcels_generated"]
    assert kpis["vehicle_km"] == 0.0  # it has not moved
    assert kpis["vehicle_hours"] == pytest.approx(1.0)
    assert kpis["cost_total_cny"] == pytest.approx(300.0)


def test_bus_cut_off_by_the_end_is_charged_for_the_cargo_km_it_carried(tmp_path):
    # A bus line H -> A -> B (B 20 km beyond A, nobody lives there) leaves at 23:00 with
    # A's n parcels: 6 min dwell at H, 20 km to A (23:06-23:36), 6 min dwell, then 18 min
    # (12 km) towards B before midnight. It drove 32 km with n parcels over 20 km.
    nodes = tmp_path / "line.csv"
    nodes.write_text(
        "id,level,parent,x_km,y_km,population\n"
        "H,hub,,0,0,0\nS,station,H,0,1,0\nA,point,S,0,20,1000\nB,point,S,0,40,0\n"
    )
    line = {
        "name": "L",
        "stops": ["H", "A", "B"],
        "departures_out": ["23:00"],
        "departures_back": [],
        "speed_kmh": 40,
        "dwell_min": 6,
        "handling_min_per_parcel": 0,
        "capacity_parcels": 1000,
        "full_cargo_share": 0.1,
        "co2_per_km_kg": 1.0,
        "fee_per_line_day_cny": 0,
    }
    scenario = one_village(tmp_path).model_dump(mode="json")
    scenario["network"]["csv_path"] = str(nodes)
    scenario["buses"] = {"lines": [line]}
    scenario["delivery"] = {"model": "bus", "fallback_after_h": 48}
    run = simulate(Scenario.model_validate(scenario), seed=1)
    [bus] = run.trips[run.trips["fleet"] == "bus"].itertuples()
    assert not bus.finished and bus.km == pytest.approx(32.0)
    n = run.kpis["parcels_generated"]
    assert n > 0 and run.kpis["parcels_delivered"] == n
    # Parcels are charged full_cargo_share × parcel-km / (cargo capacity × km driven) of
    # the bus's 32 km and 1 h: 0.1 × 20 n / 1000 km. The hub van had nothing to carry.
    share = 0.1 * 20 * n / (1000 * 32)
    assert run.kpis["vehicle_km"] == pytest.approx(share * 32)
    assert run.kpis["co2_kg"] == pytest.approx(share * 32 * 1.0)
    assert run.kpis["vehicle_hours"] == pytest.approx(share * 1.0)
