"""Tests written for mutants of the engine that survived mutation testing: trips under way
when the run stops (ParcelFlow.record_unfinished, the trip's progress) and the sorting
line's busy hours per day (BusyByDay).

Every expected value is worked out by hand from the stops, speeds and dwell times in the
test; parcel counts are read from the ledger as inputs. See docs/testing.md.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import simulate
from sim.engine.queueing import BusyByDay
from sim.scenario.schema import Scenario
from tests.engine.test_unfinished_trips import one_village

# --- trips under way at the end of the run ---------------------------------------------


def test_finished_trips_are_logged_as_finished(tmp_path):
    # 20:00: 6 min at H, 30 min to A, 6 min at A, 30 min back: home at 21:12
    run = simulate(one_village(tmp_path, departures=["20:00"]), seed=1)
    assert run.trips["finished"].tolist() == [True]
    assert run.trips["end_h"].tolist() == pytest.approx([21.2])


def test_trip_cut_off_on_its_first_leg(tmp_path):
    # 40-parcel vans: more than one van runs the departure together (read from the plan).
    # 23:30: 6 min at H, then 24 of the 30 min to A before midnight: 16 of 20 km.
    run = simulate(one_village(tmp_path, departures=["23:30"], capacity_parcels=40), seed=1)
    vehicles = run.plan.services[0].vehicles
    n = int(run.parcels["t_left_hub"].notna().sum())
    assert vehicles >= 2 and n == len(run.parcels) > 0  # every parcel is aboard
    [trip] = run.trips.itertuples()
    assert trip.finished == False  # noqa: E712 (a numpy bool, not None)
    assert trip.km == pytest.approx(16.0 * vehicles)  # each van drove 16 km
    assert trip.parcel_km == pytest.approx(16.0 * n)  # every parcel rode 16 km
    assert trip.end_h == 24.0 and trip.late_h == 0.0


def test_trip_cut_off_while_loading_has_booked_its_handling(tmp_path):
    # 0.6 min per parcel, all n parcels loaded at H from 23:00: n x 0.01 h of handling,
    # booked when the stop begins; the van has not moved.
    run = simulate(one_village(tmp_path, handling_min_per_parcel=0.6), seed=1)
    n = len(run.parcels)
    [trip] = run.trips.itertuples()
    assert n > 100  # loading n parcels takes n x 0.6 min, past midnight
    assert trip.parcel_dwell_h == pytest.approx(n * 0.6 / 60)
    assert trip.km == 0.0


def line(tmp_path, stops_csv: str, bus: dict, fallback_after_h=48) -> Scenario:
    nodes = tmp_path / "line.csv"
    nodes.write_text("id,level,parent,x_km,y_km,population\n" + stops_csv)
    scenario = one_village(tmp_path).model_dump(mode="json")
    scenario["network"]["csv_path"] = str(nodes)
    base = {
        "name": "L",
        "departures_back": [],
        "speed_kmh": 40,
        "dwell_min": 6,
        "handling_min_per_parcel": 0,
        "capacity_parcels": 1000,
        "full_cargo_share": 0.1,
        "co2_per_km_kg": 1.0,
        "fee_per_line_day_cny": 0,
    }
    # Engine mechanics of a bus trip: every village rides the bus (the no_later policy
    # would leave a line slower than the vans out of the plan).
    scenario["buses"] = {"lines": [{**base, **bus}], "policy": "bus_first"}
    scenario["delivery"] = {"model": "bus", "fallback_after_h": fallback_after_h}
    return Scenario.model_validate(scenario)


def test_bus_cut_off_after_two_legs_of_different_lengths(tmp_path):
    # H -> A (20 km) -> B (10 km) -> C (30 km), 40 km/h, 6 min at each stop, from 22:54:
    # H 22:54-23:00, to A 23:30, A until 23:36, to B 23:51, B until 23:57, then 3 of the
    # 45 min to C before midnight: 2 km. Driven 20 + 10 + 2 = 32 km.
    stops = (
        "H,hub,,0,0,0\nS,station,H,0,1,0\n"
        "A,point,S,0,20,1000\nB,point,S,0,30,1000\nC,point,S,0,60,0\n"
    )
    bus = {"stops": ["H", "A", "B", "C"], "departures_out": ["22:54"]}
    run = simulate(line(tmp_path, stops, bus), seed=1)
    [trip] = run.trips[run.trips["fleet"] == "bus"].itertuples()
    places = list(run.plan.geography.ids)
    destination = run.parcels["destination"].to_numpy()
    n_a = int(np.count_nonzero(destination == places.index("A")))
    n_b = int(np.count_nonzero(destination == places.index("B")))
    assert n_a > 0 and n_b > 0 and n_a + n_b == len(run.parcels)
    assert not trip.finished
    assert trip.km == pytest.approx(32.0)
    # everyone rode H -> A (20 km), B's parcels also A -> B (10 km); nobody rides to C
    assert trip.parcel_km == pytest.approx(20.0 * (n_a + n_b) + 10.0 * n_b)


def test_late_bus_still_waiting_to_leave_has_not_started(tmp_path):
    # Due at 23:45 and always 30 min late: at midnight it has waited 15 of its 30 min;
    # the trip counts 15 min late and no hours of work.
    stops = "H,hub,,0,0,0\nS,station,H,0,1,0\nA,point,S,0,20,1000\n"
    bus = {
        "stops": ["H", "A"],
        "departures_out": ["23:45"],
        "delay_min": {"kind": "deterministic", "mean": 30},
    }
    run = simulate(line(tmp_path, stops, bus), seed=1)
    [trip] = run.trips[run.trips["fleet"] == "bus"].itertuples()
    assert not trip.finished
    assert trip.late_h == pytest.approx(0.25)
    assert trip.end_h - trip.depart_h - trip.late_h == pytest.approx(0.0)
    assert trip.km == 0.0


def test_trip_cut_off_on_a_leg_of_zero_length(tmp_path):
    # Station S where the hub is: the trunk's legs H -> S -> H are 0 km and 0 h. It leaves
    # at 23:00 and loads n parcels at 0.6 min each, past midnight: no km at all.
    nodes = tmp_path / "zero.csv"
    nodes.write_text(
        "id,level,parent,x_km,y_km,population\nH,hub,,0,0,0\nS,station,H,0,0,0\n"
        "A,point,S,0,20,1000\n"
    )
    van = {
        "capacity_parcels": 1000,
        "speed_kmh": 40,
        "stop_min": 6,
        "handling_min_per_parcel": 0,
        "max_route_h": 4,
    }
    scenario = one_village(tmp_path).model_dump(mode="json")
    scenario["network"]["csv_path"] = str(nodes)
    scenario["fleets"] = {
        "trunk": {**van, "departures": ["23:00"], "handling_min_per_parcel": 0.6},
        "township_van": {**van, "departures": ["08:00"]},
    }
    scenario["delivery"] = {"model": "via_township"}
    run = simulate(Scenario.model_validate(scenario), seed=1)
    [trip] = run.trips[run.trips["fleet"] == "trunk"].itertuples()
    assert len(run.parcels) > 100  # n x 0.6 min of loading from 23:00 runs past midnight
    assert not trip.finished and trip.km == 0.0 and trip.end_h == 24.0


# --- BusyByDay ---------------------------------------------------------------------------


@pytest.mark.parametrize("hours", [0.0, -8.0, float("inf"), float("nan")])
def test_busy_by_day_needs_a_positive_day(hours):
    with pytest.raises(ValueError, match=rf"^hours_per_day must be positive, got {hours!r}$"):
        BusyByDay(hours)


def test_busy_by_day_of_a_half_hour_shift():
    busy = BusyByDay(0.5)
    busy.book([0.75], [0.5])  # working time 0.25-0.75: 0.25 h on day 0, 0.25 h on day 1
    assert busy.per_day(2) == pytest.approx([0.25, 0.25])


def test_busy_by_day_names_a_bad_argument():
    busy = BusyByDay(8.0)
    with pytest.raises(ValueError, match=r"^end_work must be a 1-D array, got shape \(1, 1\)$"):
        busy.book([[1.0]], [1.0])
    with pytest.raises(
        ValueError, match=r"^service_times must be a 1-D array, got shape \(1, 1\)$"
    ):
        busy.book([1.0], [[1.0]])
    with pytest.raises(ValueError, match="^service cannot start before working time 0$"):
        busy.book([1.0], [2.0])


def test_busy_by_day_second_job_straddles_the_day_boundary():
    # 8-hour days; jobs 1-2 and 6-10: day 0 gets 1 + 2 h, day 1 the other 2 h
    busy = BusyByDay(8.0)
    busy.book([2.0, 10.0], [1.0, 4.0])
    assert busy.per_day(2) == pytest.approx([3.0, 2.0])


def test_busy_by_day_books_in_any_order():
    # a job on day 2 (17-20), then one on day 0 (1-3)
    busy = BusyByDay(8.0)
    busy.book([20.0], [3.0])
    busy.book([3.0], [2.0])
    assert busy.per_day(4) == pytest.approx([2.0, 0.0, 3.0, 0.0])
