"""A tiny deterministic county where every parcel's times are worked out by hand.

Hub at (0, 0); one township station S at (0, 10); village A at (3, 10) and
village B at (-3, 10). Circuity 1, so road km are straight-line km.
All parcels arrive at the hub at 06:00 sharp; inspection and sorting are
deterministic at 3,600 parcels/h (one second each), the sorter always open.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import simulate
from sim.scenario.schema import Scenario

SECOND = 1 / 3600


def tiny(tmp_path, model: str, **fleets) -> Scenario:
    nodes = tmp_path / "tiny.csv"
    nodes.write_text(
        "id,level,parent,x_km,y_km,population\n"
        "H,hub,,0,0,0\n"
        "S,station,H,0,10,0\n"
        "A,point,S,3,10,1000\n"
        "B,point,S,-3,10,1000\n"
    )
    fleet = {
        "trunk": {
            "capacity_parcels": 10000,
            "speed_kmh": 50,
            "departures": ["08:00"],
            "stop_min": 6,
            "handling_min_per_parcel": 0,
            "max_route_h": 5,
        },
        "township_van": {
            "capacity_parcels": 10000,
            "speed_kmh": 30,
            "departures": ["09:00", "15:00"],
            "stop_min": 6,
            "handling_min_per_parcel": 0,
            # A or B alone 0.4 h (6 km, loading and unloading stops), S-A-B-S 0.7 h.
            "max_route_h": 0.6,
        },
        "hub_van": {
            "capacity_parcels": 10000,
            "speed_kmh": 40,
            "departures": ["08:00"],
            "stop_min": 6,
            "handling_min_per_parcel": 0,
            # A or B alone 0.72 h (20.9 km, two stops), H-A-B-H 0.97 h.
            "max_route_h": 0.85,
        },
    }
    for name, changes in fleets.items():
        fleet[name] = {**fleet[name], **changes}
    return Scenario.model_validate(
        {
            "name": "tiny",
            "horizon": {"days": 1, "warmup_days": 0, "drain_days": 1},
            "network": {"source": "csv", "csv_path": str(nodes), "circuity": 1.0},
            "demand": {
                "parcels_per_capita_day": 0.1,  # ~100 parcels per village
                "waves": [{"time": "06:00", "share": 1.0}],
                "wave_unload_min": 0,
            },
            "hub": {
                "inspection": {"rate_per_h": 3600, "open_box_share": 0},
                "sorting": {"rate_per_h": 3600, "service": "deterministic"},
            },
            "fleets": fleet,
            "stations": {"crossdock_min": 30},
            "points": {
                "home_delivery_share": 0.0,
                "pickup_delay_h": {"kind": "deterministic", "mean": 2.0},
            },
            "delivery": {"model": model},
        }
    )


def test_hub_times_are_the_fifo_recursion_by_hand(tmp_path):
    run = simulate(tiny(tmp_path, "via_township"), seed=3)
    parcels = run.parcels.sort_values("t_sorted")
    k = np.arange(len(parcels))
    # k-th parcel (0-based): inspected at 6 + (k+1) s, then sorted one second later.
    np.testing.assert_allclose(parcels["t_sorted"], 6 + (k + 2) * SECOND)
    assert (parcels["t_hub"] == 6.0).all()


def test_via_township_times_by_hand(tmp_path):
    run = simulate(tiny(tmp_path, "via_township"), seed=3)
    parcels = run.parcels
    assert len(parcels) > 150  # ~200 expected; all must be sorted before the 08:00 trunk
    # Trunk: loads from 08:00 for 6 min, 10 km at 50 km/h, 6 min unloading at S.
    np.testing.assert_allclose(parcels["t_left_hub"], 8.1)
    np.testing.assert_allclose(parcels["t_station"], 8.1 + 0.2 + 0.1)
    # Cross-dock 30 min -> ready 8.9, in time for the 09:00 township van. Each
    # village is its own route (both in one, 0.7 h, would exceed max_route_h 0.6 h):
    # 6 min loading, 3 km at 30 km/h, 6 min unloading.
    np.testing.assert_allclose(parcels["t_at_point"], 9.0 + 0.1 + 0.1 + 0.1)
    np.testing.assert_allclose(parcels["t_picked_up"], 9.3 + 2.0)
    assert run.kpis["lead_time_mean_h"] == pytest.approx(3.3)
    assert run.kpis["on_time_24h_share"] == 1.0
    # Two township routes of 6 km and one trunk run of 20 km.
    assert run.kpis["vehicle_km"] == pytest.approx(20 + 6 + 6)


def test_direct_times_by_hand(tmp_path):
    run = simulate(tiny(tmp_path, "direct"), seed=3)
    parcels = run.parcels
    # One van per village (both in one route, 0.97 h with the loading stop, exceed
    # max_route_h 0.85 h at 40 km/h):
    # hub -> A is hypot(3, 10) km. Loading 6 min, drive, unloading 6 min.
    km = np.hypot(3, 10)
    np.testing.assert_allclose(parcels["t_at_point"], 8.0 + 0.1 + km / 40 + 0.1)
    assert np.isnan(parcels["t_station"]).all()
    assert run.kpis["vehicle_km"] == pytest.approx(4 * km)


def test_full_van_leaves_overflow_for_the_next_departure(tmp_path):
    # Planned for 1.2 x ~50 parcels per departure: one 60-parcel van per village.
    capacity = 60
    run = simulate(
        tiny(tmp_path, "via_township", township_van={"capacity_parcels": capacity}), seed=3
    )
    parcels = run.parcels
    for village in (2, 3):  # A and B
        mine = parcels[parcels["destination"] == village]
        assert len(mine) > capacity  # ~100 expected
        assert run.trips.query("fleet == 'township_van'")["vehicles"].eq(1).all()
        # First come (by hub arrival, then ledger order) first served.
        order = mine.sort_values(["t_hub"], kind="stable")
        first, rest = order.iloc[:capacity], order.iloc[capacity:]
        np.testing.assert_allclose(first["t_at_point"], 9.3)
        # The 15:00 run: 6 min loading, 3 km at 30 km/h, 6 min unloading.
        np.testing.assert_allclose(rest["t_at_point"], 15.3)


def test_perishables_board_first(tmp_path):
    # Routes are planned for ~50 parcels per departure, so one 50-parcel van runs.
    scenario = tiny(tmp_path, "via_township", township_van={"capacity_parcels": 50})
    scenario = scenario.model_copy(
        update={
            "demand": scenario.demand.model_copy(update={"perishable_share": 0.2}),
            "routing": scenario.routing.model_copy(update={"planning_margin": 1.0}),
        }
    )
    parcels = simulate(scenario, seed=3).parcels
    perishable = (parcels["flags"] & 1) != 0
    for village in (2, 3):
        mine = parcels["destination"] == village
        n_perishable = int((mine & perishable).sum())
        assert 0 < n_perishable < 50
        # Every perishable parcel rides the first van; it fills up with the oldest others.
        np.testing.assert_allclose(parcels.loc[mine & perishable, "t_at_point"], 9.3)
        first_run = parcels.loc[mine & (parcels["t_at_point"] < 10)]
        assert len(first_run) == 50


def test_village_bigger_than_a_van_gets_several_vans(tmp_path):
    # ~50 parcels per departure x margin 1.2 = 60 planned; 25-parcel vans -> 3 run together.
    run = simulate(tiny(tmp_path, "via_township", township_van={"capacity_parcels": 25}), seed=3)
    vans = run.trips.query("fleet == 'township_van'").sort_values("depart_h")
    # ~100 parcels per village exceed 75, so both departures run: at 09:00 three full
    # vans, at 15:00 only the vans the rest needs, 25 parcels each.
    assert (vans["parcels"] > 0).all() and len(vans) == 4
    first, second = vans.iloc[:2], vans.iloc[2:]
    assert (first["vehicles"] == 3).all() and (first["parcels"] == 75).all()
    expected = [-(-n // 25) for n in second["parcels"]]
    assert second["vehicles"].tolist() == expected and max(expected) < 3
    assert (vans["capacity"] == 25 * vans["vehicles"]).all()
    # Two village routes of 6 km and the 20 km trunk run.
    assert run.kpis["vehicle_km"] == pytest.approx(20 + 6 * (6 + sum(expected)))


def test_vans_running_together_handle_their_parcels_side_by_side(tmp_path):
    # Three 25-parcel vans per village as above, now at 0.6 min (0.01 h) per parcel.
    # Planned: a vanload of 25 each, loaded and unloaded: 0.4 h + 0.5 h, within 1 h.
    scenario = tiny(
        tmp_path,
        "via_township",
        township_van={"capacity_parcels": 25, "handling_min_per_parcel": 0.6, "max_route_h": 1},
    )
    parcels = simulate(scenario, seed=3).parcels
    for village in (2, 3):
        first = parcels[(parcels["destination"] == village) & (parcels["t_at_point"] < 12)]
        m = len(first)
        assert m == 75  # ~100 waiting: the three vans leave full
        # 09:00 loading: 6 min + m / 3 parcels per van at 0.01 h; 3 km at 30 km/h;
        # unloading the same. One van alone would take three times the handling.
        handling = 0.01 * m / 3
        np.testing.assert_allclose(first["t_at_point"], 9.0 + 0.1 + handling + 0.1 + 0.1 + handling)
