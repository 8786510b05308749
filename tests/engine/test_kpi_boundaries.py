"""The edges of the measured window and of the KPI thresholds, by hand.

Found by mutation testing (docs/testing.md): no test had a parcel arriving exactly at
the start of the measured days, a trip departing exactly at their start or end, a lead
time of exactly 24 h or 48 h, or a pickup exactly at the end of the run.

A straight county: hub H (0, 0), station S (0, 4), one village A (0, 8). The hub van
(7.5 min a stop, 8 km at 32 km/h = 0.25 h, no per-parcel handling) reaches A 0.5 h
after it leaves: 0.125 + 0.25 + 0.125, all exact in binary floating point. It leaves
at 00:00 and 23:30 with room for 20 parcels. Every parcel reaches the hub at 00:00
sharp (one wave, unloaded at once) and is sorted a few seconds later, so the 00:00 van
never takes the same day's parcels. Days: 0 (warm-up), 1 (measured), 2 and 3 (drain);
the run stops at 96 h. Pickup 24 h after delivery.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import simulate
from sim.scenario.schema import Scenario

A = 2
CAP = 20
VAN_KM = 16.0  # H -> A -> H
VAN_HOURS = 0.125 + 0.25 + 0.125 + 0.25  # no stop back at the hub
CNY_KM, CNY_DAY = 2.0, 100.0


def boundary_scenario(tmp_path) -> Scenario:
    nodes = tmp_path / "line.csv"
    nodes.write_text(
        "id,level,parent,x_km,y_km,population\nH,hub,,0,0,0\nS,station,H,0,4,0\nA,point,S,0,8,300\n"
    )
    return Scenario.model_validate(
        {
            "name": "edges",
            "horizon": {"days": 2, "warmup_days": 1, "drain_days": 2},
            "network": {"source": "csv", "csv_path": str(nodes), "circuity": 1.0},
            "demand": {
                # 30 a day; day 1 is a peak (x 4: 120), so its parcels wait for vans.
                "parcels_per_capita_day": 0.1,
                "waves": [{"time": "00:00", "share": 1.0}],
                "wave_unload_min": 0,
                "peaks": [{"start_day": 1, "days": 1, "factor": 4}],
            },
            "hub": {
                "inspection": {"rate_per_h": 3600, "open_box_share": 0},
                "sorting": {"rate_per_h": 3600, "service": "deterministic"},
            },
            "fleets": {
                "hub_van": {
                    "capacity_parcels": CAP,
                    "speed_kmh": 32,
                    "departures": ["00:00", "23:30"],
                    "stop_min": 7.5,
                    "handling_min_per_parcel": 0,
                    "max_route_h": 2,
                    "cost_per_km_cny": CNY_KM,
                    "cost_per_vehicle_day_cny": CNY_DAY,
                    "peak_vehicle_factor": 1,  # no extra vans on the peak day
                }
            },
            # Planned for 30 / 2 departures = 15 <= 20: one van.
            "routing": {"planning_margin": 1.0},
            "points": {
                "home_delivery_share": 0.0,
                "pickup_delay_h": {"kind": "deterministic", "mean": 24.0},
            },
            "delivery": {"model": "direct"},
        }
    )


def test_measured_window_and_threshold_edges(tmp_path):
    run = simulate(boundary_scenario(tmp_path), seed=2)
    parcels = run.parcels
    n0 = int((parcels["t_hub"] == 0.0).sum())
    n1 = int((parcels["t_hub"] == 24.0).sum())
    assert n0 + n1 == len(parcels)
    # Preconditions on the drawn counts (means 30 and 120).
    assert CAP < n0 <= 2 * CAP and n1 > 3 * CAP
    # Day 0: the 23:30 van takes 20, the 24.0 h van (day 1 00:00, the first measured
    # instant) the other n0 - 20. Day 1's parcels (hub at 24.0 h, the first measured
    # instant: in the cohort) then leave in vans of 20 at
    #   47.5 h -> at A 48.0 h: lead 24.0 h (on time for 24 h: "within" includes 24)
    #   48.0 h -> at A 48.5 h: lead 24.5 h
    #   71.5 h -> at A 72.0 h: lead 48.0 h (on time for 48 h)
    #   72.0 h -> at A 72.5 h: lead 48.5 h
    #   95.5 h -> at A 96.0 h: lead 72.0 h; the rest is still at the hub at the end.
    groups = [24.0, 24.5, 48.0, 48.5, 72.0]
    leads = [lead for i, lead in enumerate(groups) for _ in range(min(CAP, n1 - i * CAP))]
    delivered = len(leads)  # min(n1, 5 x 20)
    k = run.kpis
    assert k["parcels_generated"] == n1
    assert k["parcels_delivered"] == delivered
    assert k["parcels_in_system"] == n1 - delivered
    assert k["lead_time_mean_h"] == pytest.approx(np.mean(leads))
    assert k["on_time_24h_share"] == pytest.approx(CAP / n1)
    assert k["on_time_48h_share"] == pytest.approx(3 * CAP / n1)
    # Picked up 24 h after delivery, if by the end (96 h): delivered at 72.0 h means
    # picked up at 96.0 h exactly, which counts; 72.5 h does not.
    assert k["parcels_picked_up"] == 3 * CAP
    assert k["door_time_mean_h"] == pytest.approx(np.mean(leads[: 3 * CAP]) + 24.0)
    # Measured trips depart in [24 h, 48 h): the 24.0 h van (day 0's leftovers) and the
    # 47.5 h van; not the 48.0 h one. Both on day 1: one van paid for one day.
    assert k["vehicle_km"] == pytest.approx(2 * VAN_KM)
    assert k["vehicle_hours"] == pytest.approx(2 * VAN_HOURS)
    assert k["cost_total_cny"] == pytest.approx(2 * VAN_KM * CNY_KM + 1 * CNY_DAY)
    assert k["van_load_factor_mean"] == pytest.approx(((n0 - CAP) / CAP + CAP / CAP) / 2)
