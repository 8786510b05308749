"""Every KPI of a tiny deterministic run, computed by hand.

The county of test_tiny_network: hub H (0, 0), station S (0, 10), village A (3, 10),
village B (-3, 10); circuity 1, so road km are straight-line km and H-A = H-B =
sqrt(109) km. Three days (day 0 warm-up; days 1 and 2 measured), two drain days
(the run stops at 5 x 24 = 120 h). Every parcel reaches the hub at 05:00 sharp.
Everything is deterministic except the Poisson parcel counts, which the test reads
from the ledger (how many parcels went where on which day) and feeds into the
hand formulas below; preconditions on those counts are asserted first.

Timeline of a day (clock hours):

- 05:00 all parcels at the hub. Inspection 1 s each (3,600/h); every parcel gets the
  open-box check (share 1) of 12 min; sorting 1 s each. Sorted by 05:12 plus a few
  hundred seconds (at most ~300 parcels a day), i.e. well before 05:30.
- 05:30 hub vans (capacity 60, 40 km/h, 6 min a stop, no per-parcel handling), one
  route per village. B's parcels all go by van; A's van only carries A's fallback.
- 06:00 bus line L: H -> S -> A, always 15 min late (06:15); 30 km/h; 1 min dwell a
  stop plus 0.1 min per parcel loaded or unloaded; 40 parcels of cargo space. A's
  parcels go by bus; those left behind fall back to A's hub van after 12 h.

Demand: A 200 residents, B 600, 0.05 parcels per head per day: 10 and 30 a day;
day 2 is a peak (factor 7): 70 and 210. So on day 2 the bus leaves A parcels behind
(they take A's van at 05:30 on day 3) and B's van is full three days running (B's
day-2 parcels arrive on days 2, 3, 4 in groups of 60, the rest never within the run).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import simulate
from sim.analysis.kpis import KPI_NAMES
from sim.engine.ledger import FELL_BACK, LEFT_BEHIND, RODE_BUS
from sim.scenario.schema import Scenario

A, B = 2, 3  # place indices (ledger destinations)
MIN = 1 / 60
SEED = 7

D_KM = math.sqrt(3**2 + 10**2)  # hub to either village, km
VAN_CAP, BUS_CAP = 60, 40
VAN_KMH, BUS_KMH = 40.0, 30.0
STOP_H = 6 * MIN  # van stop time
PICKUP_H = 20.0
# Cost and emission rates (chosen, all different, so a term counted with the wrong
# rate or the wrong count shows).
VAN_CNY_KM, VAN_CNY_DAY, VAN_CO2_KM = 2.0, 100.0, 0.3
BUS_FEE_PARCEL, BUS_FEE_LINE_DAY, BUS_CO2_KM, FULL_CARGO_SHARE = 0.5, 10.0, 0.9, 0.1
SHIFT_H = 22.0 - 4.0  # one sorting shift 04:00-22:00
# Places, fees and subsidies (per day or per parcel).
HUB_DAY, STATION_DAY, POINT_DAY, POINT_FEE = 500.0, 50.0, 5.0, 0.2
SUBSIDY_PARCEL, SUBSIDY_DAY = 0.03, 40.0
BUS_LATE_MIN = 15.0


def county_csv(tmp_path, population_a=200, population_b=600):
    nodes = tmp_path / "hand.csv"
    nodes.write_text(
        "id,level,parent,x_km,y_km,population\n"
        "H,hub,,0,0,0\n"
        "S,station,H,0,10,0\n"
        f"A,point,S,3,10,{population_a}\n"
        f"B,point,S,-3,10,{population_b}\n"
    )
    return nodes


def hand_scenario(tmp_path) -> Scenario:
    van = {
        "capacity_parcels": VAN_CAP,
        "speed_kmh": VAN_KMH,
        "departures": ["05:30"],
        "stop_min": 6,
        "handling_min_per_parcel": 0,
        # H-A-B-H (26.9 km, 0.87 h with two stops) is too long: one route per village.
        "max_route_h": 0.8,
        "cost_per_km_cny": VAN_CNY_KM,
        "cost_per_vehicle_day_cny": VAN_CNY_DAY,
        "co2_per_km_kg": VAN_CO2_KM,
        # No extra vans on the peak day: B's one van is full three days running.
        "peak_vehicle_factor": 1,
    }
    return Scenario.model_validate(
        {
            "name": "hand",
            "horizon": {"days": 3, "warmup_days": 1, "drain_days": 2},
            "network": {
                "source": "csv",
                "csv_path": str(county_csv(tmp_path)),
                "circuity": 1.0,
            },
            "demand": {
                "parcels_per_capita_day": 0.05,
                "waves": [{"time": "05:00", "share": 1.0}],
                "wave_unload_min": 0,
                "peaks": [{"start_day": 2, "days": 1, "factor": 7}],
            },
            "hub": {
                "inspection": {"rate_per_h": 3600, "open_box_share": 1.0, "open_box_min": 12},
                "sorting": {
                    "rate_per_h": 3600,
                    "service": "deterministic",
                    "shifts": [{"start": "04:00", "end": "22:00"}],
                },
            },
            "fleets": {"hub_van": van},
            "routing": {"planning_margin": 1.0},
            "points": {
                "home_delivery_share": 0.0,
                "pickup_delay_h": {"kind": "deterministic", "mean": PICKUP_H},
            },
            "buses": {
                "policy": "bus_first",  # A's parcels ride the bus, whatever the van does
                "lines": [
                    {
                        "name": "L",
                        "stops": ["H", "S", "A"],
                        "departures_out": ["06:00"],
                        "departures_back": [],
                        "speed_kmh": BUS_KMH,
                        "dwell_min": 1,
                        "handling_min_per_parcel": 0.1,
                        "capacity_parcels": BUS_CAP,
                        "fee_per_parcel_cny": BUS_FEE_PARCEL,
                        "fee_per_line_day_cny": BUS_FEE_LINE_DAY,
                        "full_cargo_share": FULL_CARGO_SHARE,
                        "co2_per_km_kg": BUS_CO2_KM,
                        "delay_min": {"kind": "deterministic", "mean": BUS_LATE_MIN},
                    }
                ],
            },
            "delivery": {"model": "bus", "fallback_after_h": 12},
            "costs": {
                "hub_cost_per_day_cny": HUB_DAY,
                "station_cost_per_day_cny": STATION_DAY,
                "point_cost_per_day_cny": POINT_DAY,
                "point_fee_per_parcel_cny": POINT_FEE,
                "subsidy_per_parcel_cny": SUBSIDY_PARCEL,
                "subsidy_per_day_cny": SUBSIDY_DAY,
            },
        }
    )


def quantile(values, p):
    """The p-quantile by definition (numpy's default 'linear', Hyndman-Fan type 7):
    sort, h = (n - 1) p, interpolate between the values at floor(h) and floor(h) + 1."""
    x = sorted(values)
    h = (len(x) - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, len(x) - 1)
    return x[lo] + (h - lo) * (x[hi] - x[lo])


def counts(parcels, village, day):
    mine = parcels[(parcels["destination"] == village) & (parcels["t_hub"] // 24 == day)]
    return len(mine)


# --- hand formulas --------------------------------------------------------------------

# Van (H -> village -> H) leaving 05:30: 6 min at H, D_KM at 40 km/h, 6 min at the village
# (the parcels are at the point when the stop ends), D_KM back. The trip ends on arrival
# back at the hub (no stop there: nothing to hand over).
VAN_AT_POINT = 5.5 + STOP_H + D_KM / VAN_KMH + STOP_H  # clock hours
VAN_LEAD = VAN_AT_POINT - 5.0  # hub arrival 05:00 -> 0.7 + 0.2610 = 0.9610 h
VAN_HOURS = STOP_H + D_KM / VAN_KMH + STOP_H + D_KM / VAN_KMH  # 0.7220 h
VAN_KM = 2 * D_KM


def bus_dwell_h(parcels):
    return (1 + 0.1 * parcels) * MIN


def bus_lead(boarded):
    """Bus due 06:00, leaving 15 min late with *boarded* parcels for A: dwell at H, 10 km
    to S at 30 km/h, 1 min at S (no parcels handled there), 3 km to A, dwell at A."""
    at_point = 6.0 + BUS_LATE_MIN / 60 + bus_dwell_h(boarded) + 10 / BUS_KMH + 1 * MIN + 3 / BUS_KMH
    at_point += bus_dwell_h(boarded)
    return at_point - 5.0


def bus_hours(boarded):
    """The bus trip ends on arrival at A, its last stop (the dwell there is not driven);
    its hours start when it actually leaves, not when it was due (lateness excluded)."""
    return bus_dwell_h(boarded) + 10 / BUS_KMH + 1 * MIN + 3 / BUS_KMH


def bus_share(boarded):
    """Share of a bus trip attributed to parcels: full_cargo_share x parcel-km carried /
    (cargo space x line km) = 0.1 x (boarded x 13 km) / (40 x 13 km)."""
    return FULL_CARGO_SHARE * (boarded * 13.0) / (BUS_CAP * 13.0)


def test_every_kpi_by_hand(tmp_path):
    run = simulate(hand_scenario(tmp_path), seed=SEED)
    parcels = run.parcels
    n = {(v, d): counts(parcels, v, d) for v in (A, B) for d in range(3)}
    # Preconditions on the drawn counts (means 10, 30 on days 0, 1; 70, 210 on day 2).
    assert n[A, 0] <= BUS_CAP and n[A, 1] <= BUS_CAP  # the bus takes them all
    assert n[B, 0] <= VAN_CAP and n[B, 1] <= VAN_CAP  # the van takes them all
    assert BUS_CAP < n[A, 2] <= BUS_CAP + VAN_CAP  # overflow, all on A's day-3 van
    assert n[B, 2] > 3 * VAN_CAP  # B's van full on days 2, 3 and 4
    assert (parcels["t_hub"] % 24 == 5.0).all()
    a1, b1, a2, b2 = n[A, 1], n[B, 1], n[A, 2], n[B, 2]
    overflow_a = a2 - BUS_CAP  # left behind by the day-2 bus, fall back to the van
    never_b = b2 - 3 * VAN_CAP  # B's day-2 parcels with no van before the run ends

    # The cohort: hub arrival in days 1 and 2 (day 0 is warm-up).
    generated = a1 + b1 + a2 + b2
    # Lead times (h) of the delivered cohort, as (value, how many).
    groups = [
        (bus_lead(a1), a1),  # A day 1: all on the 06:00 bus
        (bus_lead(BUS_CAP), BUS_CAP),  # A day 2: the first 40 on the bus
        (24 + VAN_LEAD, overflow_a),  # A day 2: the rest on A's van on day 3: 24.961 h
        (VAN_LEAD, b1),  # B day 1: the van
        (VAN_LEAD, VAN_CAP),  # B day 2: the first van load
        (24 + VAN_LEAD, VAN_CAP),  # ... the day-3 van: 24.961 h (late for 24 h)
        (48 + VAN_LEAD, VAN_CAP),  # ... the day-4 van: 48.961 h (late for 48 h)
    ]
    assert 24 < 24 + VAN_LEAD < 25 and 48 < 48 + VAN_LEAD < 49
    leads = [value for value, count in groups for _ in range(count)]
    delivered = len(leads)  # = generated - never_b
    # Picked up 20 h after reaching the point, if before the end (120 h): the day-4 van
    # delivers at 96 + 5.961 = 101.961 h, picked up at 121.961 h > 120 h: not counted;
    # the day-3 deliveries (77.961 h) are picked up at 97.961 h.
    door = [value + PICKUP_H for value, count in groups[:-1] for _ in range(count)]

    # Measured trips (departing in [24 h, 72 h)): B's van on days 1 and 2 (A's van
    # runs only on day 3, the bus runs every day); the bus on days 1 and 2 with a1 and
    # 40 parcels.
    bus_loads = [a1, BUS_CAP]
    van_km = 2 * VAN_KM  # two van trips, one vehicle each
    bus_km = sum(13.0 * bus_share(b) for b in bus_loads)
    van_cost = van_km * VAN_CNY_KM + 2 * VAN_CNY_DAY  # one vehicle, paid on 2 days
    bus_fee = BUS_FEE_PARCEL * (a1 + BUS_CAP) + 2 * BUS_FEE_LINE_DAY  # 2 line-days
    # The bus passes S without parcels changing vehicles there: no station in use; two
    # village points; two measured days.
    facilities = (HUB_DAY + 0 * STATION_DAY + 2 * POINT_DAY - SUBSIDY_DAY) * 2
    fees = bus_fee + POINT_FEE * delivered - SUBSIDY_PARCEL * generated
    # Sorting: 1 s a parcel, one 18 h shift a day, 2 measured days.
    sorted_h = (a1 + b1 + a2 + b2) / 3600

    expected = {
        "parcels_generated": generated,
        "parcels_delivered": delivered,
        "parcels_picked_up": len(door),
        "parcels_in_system": never_b,
        # No shelf life (demand.perishable_shelf_life_h): nothing spoils (hand case:
        # test_inbound_spoilage).
        "inbound_spoiled_parcels": 0,
        "lead_time_mean_h": sum(leads) / len(leads),
        "lead_time_p50_h": quantile(leads, 0.5),
        "lead_time_p90_h": quantile(leads, 0.9),
        "lead_time_p95_h": quantile(leads, 0.95),
        "door_time_mean_h": sum(door) / len(door),
        # Within 24 h: the same-day groups; within 48 h: also the day-3 groups.
        "on_time_24h_share": (a1 + BUS_CAP + b1 + VAN_CAP) / generated,
        "on_time_48h_share": (a1 + BUS_CAP + b1 + VAN_CAP + overflow_a + VAN_CAP) / generated,
        "vehicle_km": van_km + bus_km,
        "vehicle_hours": 2 * VAN_HOURS + sum(bus_hours(b) * bus_share(b) for b in bus_loads),
        "cost_transport_cny": van_cost,
        "cost_facilities_cny": facilities,
        "cost_fees_cny": fees,
        "cost_total_cny": van_cost + facilities + fees,
        "cost_per_parcel_cny": (van_cost + facilities + fees) / generated,
        "co2_kg": van_km * VAN_CO2_KM + bus_km * BUS_CO2_KM,
        "sorting_utilization": sorted_h / (SHIFT_H * 2),
        "van_load_factor_mean": (b1 / VAN_CAP + VAN_CAP / VAN_CAP) / 2,
        "bus_parcels_share": (a1 + BUS_CAP) / generated,
        "bus_load_factor_mean": (a1 / BUS_CAP + BUS_CAP / BUS_CAP) / 2,
        "bus_overflow_parcels": overflow_a,
        "bus_fallback_parcels": overflow_a,
        "bus_fee_cny": bus_fee,
        # 0.1 min per parcel loaded at H and again unloaded at A.
        "bus_delay_added_min_mean": sum(0.1 * 2 * b for b in bus_loads) / 2,
        # No parcel for the county town (urban_share 0): none, and no sorting time.
        "urban_parcels": 0,
        "urban_sorted_mean_h": math.nan,
        # Unlimited shelves: no parcel ever finds a point full.
        "point_overflow_parcels": 0,
        # Every path ends at a village point: no villager travels to town.
        "villager_trip_km": 0.0,
        # No outbound section: no farm products (their own hand case: test_outbound).
        "outbound_parcels_generated": 0,
        "outbound_parcels_shipped": 0,
        "outbound_parcels_in_system": 0,
        "outbound_lead_time_mean_h": math.nan,
        "outbound_same_day_share": math.nan,
        "backhaul_share": math.nan,
        "spoiled_parcels": 0,
        "spoilage_share": math.nan,
    }
    missing = [name for name in KPI_NAMES if name not in expected]
    assert not missing, f"KPIs without a hand-computed expectation: {missing}"
    assert set(run.kpis) == set(KPI_NAMES)
    for name in KPI_NAMES:
        want = pytest.approx(expected[name], rel=1e-9, abs=1e-12, nan_ok=True)
        assert run.kpis[name] == want, name


def test_hand_run_parcel_stamps(tmp_path):
    """The per-parcel times behind the KPIs, and the flags the bus KPIs count."""
    parcels = simulate(hand_scenario(tmp_path), seed=SEED).parcels
    day2_a = parcels[(parcels["destination"] == A) & (parcels["t_hub"] == 48 + 5.0)]
    on_bus, rest = day2_a.iloc[:BUS_CAP], day2_a.iloc[BUS_CAP:]
    np.testing.assert_allclose(on_bus["t_at_point"] - 48, 5.0 + bus_lead(BUS_CAP))
    # Bus leaves H after its dwell: 06:15 + 1 min + 0.1 min x 40 parcels = 06:20.
    np.testing.assert_allclose(on_bus["t_left_hub"] - 48, 6.25 + 5 * MIN)
    np.testing.assert_allclose(rest["t_at_point"] - 72, VAN_AT_POINT)
    np.testing.assert_allclose(rest["t_left_hub"] - 72, 5.5 + STOP_H)
    assert ((on_bus["flags"] & RODE_BUS) != 0).all() and ((rest["flags"] & RODE_BUS) == 0).all()
    assert ((rest["flags"] & (LEFT_BEHIND | FELL_BACK)) == LEFT_BEHIND | FELL_BACK).all()
    assert ((on_bus["flags"] & (LEFT_BEHIND | FELL_BACK)) == 0).all()
    # Picked up exactly 20 h after reaching the point, or not by the end of the run.
    picked = parcels["t_picked_up"] <= 120
    np.testing.assert_allclose(
        parcels.loc[picked, "t_picked_up"] - parcels.loc[picked, "t_at_point"], PICKUP_H
    )


# --- the other fleets: trunk and township vans, several vehicles on one route ----------

TRUNK_CNY_KM, TRUNK_CNY_DAY, TRUNK_CO2_KM = 3.0, 500.0, 0.8
TV_CNY_KM, TV_CNY_DAY, TV_CO2_KM = 1.5, 200.0, 0.25
TV_CAP = 25


def via_township_scenario(tmp_path) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "hand_fleets",
            "horizon": {"days": 2, "warmup_days": 0, "drain_days": 1},
            "network": {
                "source": "csv",
                "csv_path": str(county_csv(tmp_path, 1000, 1000)),
                "circuity": 1.0,
            },
            "demand": {
                "parcels_per_capita_day": 0.05,  # 50 a village a day
                "waves": [{"time": "06:00", "share": 1.0}],
                "wave_unload_min": 0,
            },
            "hub": {
                "inspection": {"rate_per_h": 3600, "open_box_share": 0},
                "sorting": {"rate_per_h": 3600, "service": "deterministic"},
            },
            "fleets": {
                "trunk": {
                    "capacity_parcels": 10000,
                    "speed_kmh": 50,
                    "departures": ["08:00"],
                    "stop_min": 6,
                    "handling_min_per_parcel": 0,
                    "max_route_h": 5,
                    "cost_per_km_cny": TRUNK_CNY_KM,
                    "cost_per_vehicle_day_cny": TRUNK_CNY_DAY,
                    "co2_per_km_kg": TRUNK_CO2_KM,
                    "counts_as_van": False,
                },
                "township_van": {
                    "capacity_parcels": TV_CAP,
                    "speed_kmh": 30,
                    "departures": ["09:00"],
                    "stop_min": 6,
                    "handling_min_per_parcel": 0,
                    "max_route_h": 0.45,  # S-A-B-S is too long: one route per village
                    "cost_per_km_cny": TV_CNY_KM,
                    "cost_per_vehicle_day_cny": TV_CNY_DAY,
                    "co2_per_km_kg": TV_CO2_KM,
                },
            },
            "routing": {"planning_margin": 1.2},
            "stations": {"crossdock_min": 30},
            "points": {"home_delivery_share": 1.0},
            "delivery": {"model": "via_township"},
        }
    )


def test_fleet_costs_by_hand(tmp_path):
    run = simulate(via_township_scenario(tmp_path), seed=SEED)
    parcels = run.parcels
    per_day = {(v, d): counts(parcels, v, d) for v in (A, B) for d in range(2)}
    # Planned: 50 a day x margin 1.2 = 60 per departure over 25-parcel vans: ceil(2.4) = 3
    # vans per village route (75 parcels of room). Each day a route sends only the vans
    # its parcels need: ceil(count / 25).
    planned = 3
    assert all(c <= planned * TV_CAP for c in per_day.values())
    vans = {key: math.ceil(c / TV_CAP) for key, c in per_day.items()}
    assert set(vans.values()) != {planned}  # some day needs fewer than planned
    # Trunk H -> S -> H: 20 km, one truck; 6 min loading, 10 km at 50 km/h, 6 min at S,
    # 10 km back: 0.1 + 0.2 + 0.1 + 0.2 = 0.6 h. Two days.
    trunk_km, trunk_h = 2 * 20.0, 2 * (0.1 + 0.2 + 0.1 + 0.2)
    # Township vans S -> village -> S: 6 km each, 6 min at S, 3 km at 30 km/h, 6 min at
    # the village, 3 km back: 0.4 h; per village and day, its vans.
    van_trips = sum(vans.values())
    tv_km, tv_h = van_trips * 6.0, van_trips * (0.1 + 0.1 + 0.1 + 0.1)
    trunk_cost = trunk_km * TRUNK_CNY_KM + 1 * 2 * TRUNK_CNY_DAY  # 1 truck x 2 days
    tv_cost = tv_km * TV_CNY_KM + van_trips * TV_CNY_DAY  # one departure a day: a van-day each
    generated = sum(per_day.values())
    k = run.kpis
    assert k["vehicle_km"] == pytest.approx(trunk_km + tv_km)
    assert k["vehicle_hours"] == pytest.approx(trunk_h + tv_h)
    assert k["cost_total_cny"] == pytest.approx(trunk_cost + tv_cost)
    assert k["cost_per_parcel_cny"] == pytest.approx((trunk_cost + tv_cost) / generated)
    assert k["co2_kg"] == pytest.approx(trunk_km * TRUNK_CO2_KM + tv_km * TV_CO2_KM)
    # The trunk does not count as a van: township-van loads over the vans that ran.
    loads = [per_day[key] / (vans[key] * TV_CAP) for key in per_day]
    assert k["van_load_factor_mean"] == pytest.approx(sum(loads) / 4)
    # Home delivery: handed over on arrival, so door time equals lead time. Trunk leaves
    # 08:06, at S 08:18 + 6 min = 08:24, cross-dock 30 min (ready 08:54), township van
    # 09:00 + 6 min + 6 min drive + 6 min: at the point 09:18, 3.3 h after 06:00.
    assert k["lead_time_mean_h"] == pytest.approx(9.0 + 0.1 + 0.1 + 0.1 - 6.0)
    assert k["door_time_mean_h"] == pytest.approx(k["lead_time_mean_h"])
    assert k["bus_fee_cny"] == 0 and k["bus_parcels_share"] == 0
    assert math.isnan(k["bus_load_factor_mean"]) and math.isnan(k["bus_delay_added_min_mean"])
