"""Fleets sized by the day's work, and the full costs, worked out by hand and as properties.

The county of test_tiny_network (hub H (0, 0), station S (0, 10), villages A (3, 10)
and B (-3, 10), circuity 1): H-A = H-B = sqrt(109) km. Hub vans leave at 08:00 only,
so each village's van route runs once a day; every parcel reaches the hub at 06:00.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import simulate
from sim.analysis.kpis import stations_in_use
from sim.engine.model import plan_for
from sim.network.services import vehicle_load_max
from tests.conftest import small_scenario
from tests.engine.test_tiny_network import tiny

A, B = 2, 3
D_KM = math.sqrt(109)
HANDLING_H = 0.3 / 60  # per parcel loaded or unloaded
CNY_KM, CNY_DAY = 1.5, 200.0
MAX_ROUTE_H = 1.3


def peak_county(tmp_path, peak_vehicle_factor=2.0, peak_factor=5.0, **costs):
    """Direct delivery; ~20 parcels per village a day, day 1 a peak (x 5, ~100).

    H-A-H alone: 6 min at H, 20.88 km at 40 km/h (0.522 h), 6 min at A = 0.722 h,
    plus 2 x 0.005 h per parcel: within 1.3 h for at most 57 parcels a van. (H-A-B-H
    with ~40 planned parcels, 0.972 h + 0.4 h, is too long: a route per village.)
    """
    base = tiny(
        tmp_path,
        "direct",
        hub_van={
            "capacity_parcels": 200,
            "handling_min_per_parcel": 0.3,
            "max_route_h": MAX_ROUTE_H,
            "cost_per_km_cny": CNY_KM,
            "cost_per_vehicle_day_cny": CNY_DAY,
            "peak_vehicle_factor": peak_vehicle_factor,
        },
    )
    data = base.model_dump(mode="json")
    data["horizon"] = {"days": 2, "warmup_days": 0, "drain_days": 2}
    data["demand"]["parcels_per_capita_day"] = 0.02
    data["demand"]["peaks"] = [{"start_day": 1, "days": 1, "factor": peak_factor}]
    data["routing"] = {"planning_margin": 1.0}
    data["costs"] = costs
    return type(base).model_validate(data)


def test_a_van_carries_what_keeps_its_route_within_max_route_h(tmp_path):
    fleet = peak_county(tmp_path).fleets["hub_van"]
    # H-A-H: 0.722 h without handling; 57 parcels add 0.57 h (1.292 h), 58 add 0.58 h.
    assert vehicle_load_max(fleet, [D_KM, D_KM], clients=1) == 57
    # Without handling time only the capacity limits a van.
    free = fleet.model_copy(update={"handling_min_per_parcel": 0.0})
    assert vehicle_load_max(free, [D_KM, D_KM], clients=1) == 200


def test_a_peak_day_sends_the_vans_its_load_needs_by_hand(tmp_path):
    run = simulate(peak_county(tmp_path), seed=5)
    parcels, trips = run.parcels, run.trips.sort_values(["depart_h", "service"])
    plan = run.plan
    assert [s.vehicle_load_max for s in plan.services] == [57, 57]
    # Planned for ~20 parcels a route: one van, two on peak days (factor 2).
    assert [(s.vehicles, s.peak_vehicles) for s in plan.services] == [(1, 2), (1, 2)]
    expected_trips = []
    for day in (0, 1):
        for village in (A, B):
            n = int(
                ((parcels["destination"] == village) & (parcels["t_hub"] == day * 24 + 6)).sum()
            )
            # Preconditions on the Poisson counts (means 20 and 100): a van on day 0, two
            # on the peak day, none left over for day 2.
            assert (0 < n <= 57) if day == 0 else (57 < n <= 114)
            vans = 1 if day == 0 else 2
            handling = HANDLING_H * n / vans  # the vans load and unload side by side
            at_point = day * 24 + 8.0 + 0.1 + handling + D_KM / 40 + 0.1 + handling
            mine = parcels[parcels["destination"] == village]
            np.testing.assert_allclose(
                mine.loc[mine["t_hub"] == day * 24 + 6, "t_at_point"], at_point
            )
            expected_trips.append((village, n, vans, at_point - (day * 24 + 8.0) + D_KM / 40))
    assert len(trips) == 4  # nothing is left for day 2
    km = sum(vans * 2 * D_KM for _, _, vans, _ in expected_trips)
    van_days = sum(vans for _, _, vans, _ in expected_trips)
    k = run.kpis
    assert k["vehicle_km"] == pytest.approx(km)
    assert k["cost_transport_cny"] == pytest.approx(km * CNY_KM + van_days * CNY_DAY)
    assert sorted(trips["vehicles"]) == [1, 1, 2, 2]
    # Every trip, the peak day's included, is within max_route_h with its handling.
    hours = sorted((trips["end_h"] - trips["depart_h"]).round(9))
    assert hours == pytest.approx(sorted(h for *_, h in expected_trips))
    assert max(hours) <= MAX_ROUTE_H


def test_without_extra_vans_a_peak_waits_and_costs_the_same_vans(tmp_path):
    one = simulate(peak_county(tmp_path, peak_vehicle_factor=1.0), seed=5)
    two = simulate(peak_county(tmp_path, peak_vehicle_factor=2.0), seed=5)
    # One van a day per village, 57 parcels at most: the peak's rest waits for day 2.
    assert (one.trips["vehicles"] == 1).all()
    assert one.trips["parcels"].max() == 57 and one.trips["depart_h"].max() >= 48
    assert two.kpis["lead_time_mean_h"] < one.kpis["lead_time_mean_h"]


def test_facility_costs_fees_and_subsidies_by_hand(tmp_path):
    costs = {
        "hub_cost_per_day_cny": 1000.0,
        "station_cost_per_day_cny": 100.0,
        "point_cost_per_day_cny": 10.0,
        "point_fee_per_parcel_cny": 0.5,
        "subsidy_per_parcel_cny": 0.05,
        "subsidy_per_day_cny": 200.0,
    }
    run = simulate(peak_county(tmp_path, **costs), seed=5)
    k = run.kpis
    # Direct delivery: no station where parcels change vehicles; two village points;
    # two measured days.
    assert stations_in_use(run.plan) == 0
    assert k["cost_facilities_cny"] == pytest.approx((1000 + 2 * 10 - 200) * 2)
    generated = len(run.parcels)
    assert k["parcels_delivered"] == generated
    assert k["cost_fees_cny"] == pytest.approx(0.5 * generated - 0.05 * generated)
    total = k["cost_transport_cny"] + k["cost_facilities_cny"] + k["cost_fees_cny"]
    assert k["cost_total_cny"] == pytest.approx(total)
    assert k["cost_per_parcel_cny"] == pytest.approx(total / generated)


def test_parcels_change_vehicles_at_the_station_only_via_township(tmp_path):
    assert stations_in_use(plan_for(tiny(tmp_path, "via_township"))) == 1
    assert stations_in_use(plan_for(tiny(tmp_path, "direct"))) == 0


def _overloaded_on_peak(model: str, factor: float, **van):
    """A small county whose 20-parcel vans cannot carry a x3 peak without extra vans."""
    van = {"capacity_parcels": 20, "peak_vehicle_factor": factor, **van}
    return small_scenario(
        horizon={"days": 3, "warmup_days": 0, "drain_days": 3},
        demand={"peaks": [{"start_day": 1, "days": 1, "factor": 3.0}]},
        fleets={"hub_van": van, "township_van": van, "trunk": {"peak_vehicle_factor": factor}},
        delivery={"model": model},
    )


@pytest.mark.parametrize("model", ["direct", "via_township"])
@pytest.mark.parametrize("seed", [1, 2])
def test_more_vehicles_available_never_make_mean_lead_time_worse(model, seed):
    runs = [simulate(_overloaded_on_peak(model, f), seed=seed) for f in (1.0, 2.0, 4.0)]
    for run in runs:
        assert run.kpis["parcels_in_system"] == 0  # all delivered: the means compare
    leads = [run.kpis["lead_time_mean_h"] for run in runs]
    assert np.all(np.diff(leads) <= 1e-9), leads
    # The extra vehicles were used and helped.
    assert runs[-1].trips["vehicles"].max() > 1
    assert leads[-1] < leads[0]


@pytest.mark.parametrize("model", ["direct", "via_township"])
def test_every_driven_trip_is_within_max_route_h_on_a_peak(model):
    # Big vans, but 2 min to load or unload a parcel: a full van would take too long.
    scenario = _overloaded_on_peak(model, 4.0, capacity_parcels=200, handling_min_per_parcel=2)
    run = simulate(scenario, seed=1)
    trips = run.trips[run.trips["finished"] & (run.trips["fleet"] != "bus")]
    limit = trips["fleet"].map(lambda f: scenario.fleets[f].max_route_h).astype(float)
    hours = trips["end_h"] - trips["depart_h"] - trips["late_h"]
    assert (hours <= limit + 1e-9).all(), trips[hours > limit + 1e-9]
    # Some van is limited by its route's time, not its capacity, and the peak needed
    # more than one of them.
    assert min(s.vehicle_load_max for s in run.plan.services) < 200
    assert trips["vehicles"].max() > 1
