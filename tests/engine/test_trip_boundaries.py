"""Boundaries of loading and falling back, on the tiny county, by hand.

Found by mutation testing (docs/testing.md): no test had a parcel ready exactly at a
departure, exactly one parcel waiting, a fallback falling due exactly at a departure,
or two bus lines falling back to one van route.

The county of test_tiny_network: hub H (0, 0), station S (0, 10), villages A (3, 10)
and B (-3, 10); every parcel at the hub at 06:00 (unless said otherwise). Times below
are chosen to be exact in binary floating point (multiples of 1/8 h), so "exactly at
the departure" means exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import simulate
from sim.engine.ledger import FELL_BACK, HOME_DELIVERY, LEFT_BEHIND
from sim.scenario.schema import Scenario
from tests.engine.test_order_and_units import build
from tests.engine.test_tiny_network import tiny

A, B = 2, 3
EIGHTH = 0.125  # 7.5 min, and 3 km at 24 km/h


def dyadic(tmp_path, model, van_departures, **changes) -> Scenario:
    """Trunk 08:00: 7.5 min loading, 10 km at 40 km/h, 7.5 min unloading: at S at
    8 + 0.125 + 0.25 + 0.125 = 8.5 h; cross-dock 30 min: ready to leave S at 9.0 h.
    Township vans: 7.5 min a stop, 3 km at 24 km/h (0.125 h), one route per village."""
    base = tiny(
        tmp_path,
        model,
        trunk={"speed_kmh": 40, "stop_min": 7.5},
        township_van={"speed_kmh": 24, "stop_min": 7.5, "departures": van_departures},
    )
    return build(base, **changes)


def test_parcel_ready_exactly_at_the_departure_boards_it(tmp_path):
    # Ready at S at 9.0 h, the township van leaves at 09:00: they ride it, at the point
    # 9 + 0.125 (loading) + 0.125 (3 km) + 0.125 (unloading) = 9.375 h, not 15.375 h.
    run = simulate(dyadic(tmp_path, "via_township", ["09:00", "15:00"]), seed=3)
    np.testing.assert_array_equal(run.parcels["t_station"], 8.5)
    np.testing.assert_array_equal(run.parcels["t_at_point"], 9.375)


def test_crossdock_a_quarter_minute_too_long_misses_the_van(tmp_path):
    # 30.25 min of cross-docking: ready at 8.5 + 30.25 / 60 = 9.0042 h, after the 09:00
    # van; the 15:00 one delivers at 15.375 h.
    scenario = dyadic(
        tmp_path, "via_township", ["09:00", "15:00"], **{"stations.crossdock_min": 30.25}
    )
    np.testing.assert_array_equal(simulate(scenario, seed=3).parcels["t_at_point"], 15.375)


def one_left_behind(tmp_path, capacity):
    # Trunk to S, then bus H -> S -> A with the township van as fallback after 2 h;
    # township vans at 09:30 and 11:00. The bus leaves H at 08:45, dwells 7.5 min and
    # runs 10 km at 80 km/h (0.125 h): at S at 9.0 h exactly, when the parcels are
    # ready; it boards them at its second stop.
    line = {
        "name": "L",
        "stops": ["H", "S", "A"],
        "departures_out": ["08:45"],
        "departures_back": [],
        "speed_kmh": 80,
        "dwell_min": 7.5,
        "handling_min_per_parcel": 0,
        "capacity_parcels": capacity,
    }
    changes = {
        "buses": {"policy": "bus_first", "lines": [line]},
        "delivery": {"model": "trunk_then_bus", "fallback_after_h": 2.0},
    }
    return dyadic(tmp_path, "via_township", ["09:30", "11:00"], **changes)


def test_single_left_behind_parcel_falls_back_exactly_when_due(tmp_path):
    # The parcel counts do not depend on the bus (demand has its own random stream):
    # learn A's count n, then give the bus room for n - 1.
    first = simulate(one_left_behind(tmp_path, 1000), seed=3).parcels
    n = int((first["destination"] == A).sum())
    assert n > 2
    run = simulate(one_left_behind(tmp_path, n - 1), seed=3)
    mine = run.parcels[run.parcels["destination"] == A].sort_index()
    # Ready at 9.0 h; the bus takes n - 1 of them at S (all reached the hub at 06:00:
    # first come by ledger order): 9 + 0.125 (dwell) + 3 km at 80 km/h + 0.125 at A.
    np.testing.assert_allclose(mine["t_at_point"].iloc[:-1], 9 + 0.125 + 3 / 80 + 0.125)
    # The last one waited: due at 9.0 + 2.0 = 11.0 h exactly. The 09:30 van leaves it
    # (not due); the 11:00 van takes it, alone: 11 + 0.375 = 11.375 h.
    last = mine.iloc[-1]
    assert last["t_at_point"] == 11.375
    flags = int(last["flags"])
    assert flags & LEFT_BEHIND and flags & FELL_BACK
    assert run.kpis["bus_fallback_parcels"] == 1 and run.kpis["bus_overflow_parcels"] == 1
    # B has no bus: the 09:30 township van, 9.5 + 0.375 h.
    np.testing.assert_array_equal(
        run.parcels.loc[run.parcels["destination"] == B, "t_at_point"], 9.875
    )


def two_lines(tmp_path, wave, van, fallback_after_h, days=1):
    # Bus L1 H -> S -> A with room for everything, L2 H -> S -> B with room for 10, both
    # at 08:00; one hub-van route through A and B (0.672 h driving + 3 stops of 0.1 h =
    # 0.972 h <= 1.0 h) is both lines' fallback: its queue at H has two feeders, L1's first.
    def line(name, village, capacity):
        return {
            "name": name,
            "stops": ["H", "S", village],
            "departures_out": ["08:00"],
            "departures_back": [],
            "capacity_parcels": capacity,
        }

    base = tiny(tmp_path, "direct", hub_van={"departures": [van], "max_route_h": 1.0})
    return build(
        base,
        **{
            "buses": {"policy": "bus_first", "lines": [line("L1", "A", 1000), line("L2", "B", 10)]},
            "delivery": {"model": "bus", "fallback_after_h": fallback_after_h},
            "demand.waves": [{"time": wave, "share": 1.0}],
            "horizon.days": days,
            "horizon.drain_days": 2,
        },
    )


def test_second_feeder_falls_back_when_the_first_is_empty(tmp_path):
    # Parcels at 06:00, sorted by ~06:00:04, due 5 h later; at 11:30 L1's queue is empty
    # (its bus took all of A's) and L2 left B's parcels after the first 10: they fall
    # back to the 11:30 van, which leaves H after 6 min loading.
    run = simulate(two_lines(tmp_path, "06:00", "11:30", 5.0), seed=3)
    b = run.parcels[run.parcels["destination"] == B].sort_index()
    assert len(b) > 20
    rest = b.iloc[10:]
    assert ((rest["flags"] & FELL_BACK) != 0).all()
    np.testing.assert_allclose(rest["t_left_hub"], 11.5 + 0.1)
    # The van's route is H -> A -> B -> H; it carries nothing for A, so it drives past A
    # without stopping: sqrt(109) + 6 km at 40 km/h, then 6 min unloading at B.
    assert run.plan.services[0].stops == (0, A, B, 0)
    np.testing.assert_allclose(rest["t_at_point"], 11.5 + 0.1 + (np.hypot(3, 10) + 6) / 40 + 0.1)


def test_second_feeder_falls_back_when_the_first_has_none_due(tmp_path):
    # Parcels at 04:00, due 12 h later; the van leaves at 05:00. On day 1 at 05:00 L1's
    # queue holds day 1's A parcels (not due) and L2's holds day 0's leftovers (due at
    # ~16:00 on day 0): those leave H on the van at 29 + 0.1 h.
    run = simulate(two_lines(tmp_path, "04:00", "05:00", 12.0, days=2), seed=3)
    b = run.parcels[(run.parcels["destination"] == B) & (run.parcels["t_hub"] < 24)]
    assert len(b) > 20
    rest = b.sort_index().iloc[10:]
    assert ((rest["flags"] & FELL_BACK) != 0).all()
    np.testing.assert_allclose(rest["t_left_hub"], 24 + 5.0 + 0.1)


def test_bus_with_room_for_one_parcel_carries_one(tmp_path):
    # Bus H -> S -> A -> B at 08:00 and 12:00 with room for 1 parcel, and at 16:00 a
    # crowded trip with none; the ~200 parcels never fall back (48 h): each 08:00 and
    # 12:00 trip carries exactly one, the oldest waiting (all reached the hub at 06:00:
    # by ledger order). No van ever runs.
    line = {
        "name": "L",
        "stops": ["H", "S", "A", "B"],
        "departures_out": ["08:00", "12:00", "16:00"],
        "departures_back": [],
        "capacity_parcels": 1,
        "peak_trips": [{"departure": "16:00", "capacity_parcels": 0}],
        "fee_per_parcel_cny": 0.5,
        "fee_per_line_day_cny": 10,
    }
    scenario = build(
        tiny(tmp_path, "direct"),
        **{
            "buses": {"policy": "bus_first", "lines": [line]},
            "delivery": {"model": "bus", "fallback_after_h": 48},
        },
    )
    run = simulate(scenario, seed=3)
    assert set(run.trips["fleet"]) == {"bus"}
    assert list(run.trips["parcels"]) == [1, 1, 0] * 2  # days 0 and 1 (drain)
    left_hub = run.parcels.sort_index()["t_left_hub"]
    assert left_hub.iloc[:4].notna().all() and left_hub.iloc[4:].isna().all()
    k = run.kpis  # measured: day 0
    # Load factor over the trips with room: 1/1 twice (the 16:00 trip has none: 0/0).
    assert k["bus_load_factor_mean"] == 1.0
    # Cost: only the bus fees (two parcels, one line-day); no van cost at all.
    assert k["bus_fee_cny"] == pytest.approx(0.5 * 2 + 10)
    assert k["cost_total_cny"] == pytest.approx(0.5 * 2 + 10)


def test_left_behind_parcels_keep_their_other_flags(tmp_path):
    # Bus to A with room for 30 of ~100; half the parcels are for home delivery (picked
    # up the moment they reach the point, the others 2 h later). Being left behind adds
    # a flag and must not erase the home-delivery one.
    line = {
        "name": "L",
        "stops": ["H", "S", "A"],
        "departures_out": ["08:00", "12:00", "16:00", "20:00"],
        "departures_back": [],
        "capacity_parcels": 30,
    }
    scenario = build(
        tiny(tmp_path, "direct"),
        **{
            "buses": {"policy": "bus_first", "lines": [line]},
            "delivery": {"model": "bus", "fallback_after_h": 48},
            "points.home_delivery_share": 0.5,
        },
    )
    parcels = simulate(scenario, seed=3).parcels
    left = (parcels["flags"] & LEFT_BEHIND) != 0
    home = (parcels["flags"] & HOME_DELIVERY) != 0
    assert left.sum() > 30 and (left & home).any() and (left & ~home).any()
    np.testing.assert_array_equal(home, parcels["t_picked_up"] == parcels["t_at_point"])


def test_bus_lateness_follows_its_lognormal_distribution(tmp_path):
    # delay_min lognormal, mean 10 min, cv 0.5, one draw per trip: 8 departures a day
    # for 30 days + 1 drain day = 248 trips. The sample mean is within 5 standard errors
    # (0.5 x 10 / sqrt(248) = 0.32 min) of 10 min; the sample cv within 0.1 of 0.5 (its
    # standard error is about 0.5 sqrt(1/(2n) + 0.5^2/n) = 0.027, so 0.1 is ~3.7 of them).
    line = {
        "name": "L",
        "stops": ["H", "S", "A"],
        "departures_out": ["06:00", "08:00", "10:00", "12:00", "14:00", "16:00", "18:00", "20:00"],
        "departures_back": [],
        "delay_min": {"kind": "lognormal", "mean": 10, "cv": 0.5},
    }
    scenario = build(
        tiny(tmp_path, "direct"),
        **{
            "buses": {"policy": "bus_first", "lines": [line]},
            "delivery": {"model": "bus"},
            "horizon.days": 30,
            "demand.parcels_per_capita_day": 0.001,
        },
    )
    late_min = simulate(scenario, seed=3).trips.query("fleet == 'bus'")["late_h"] * 60
    assert len(late_min) == 8 * 31
    assert abs(late_min.mean() - 10) < 5 * 0.5 * 10 / np.sqrt(len(late_min))
    assert 0.4 < late_min.std() / late_min.mean() < 0.6
