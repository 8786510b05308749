"""Loading order (first come first served, perishables first) and the units of every
``_min`` / ``_h`` scenario field, each checked against a hand-computed timestamp.

The county of test_tiny_network: hub H (0, 0), station S (0, 10), village A (3, 10),
village B (-3, 10); circuity 1.
"""

from __future__ import annotations

import copy
import inspect
import math
import re

import numpy as np
import pydantic
import pytest

from sim import simulate
from sim.engine.ledger import LEFT_BEHIND, PERISHABLE
from sim.scenario import schema
from sim.scenario.schema import Scenario
from tests.engine.test_tiny_network import tiny

A, B = 2, 3
MIN = 1 / 60
SECOND = 1 / 3600
D_KM = math.sqrt(3**2 + 10**2)  # hub to either village


def build(base: Scenario, **changes) -> Scenario:
    """*base* with dotted-path changes, e.g. ``build(s, **{"fleets.hub_van.stop_min": 9})``."""
    data = copy.deepcopy(base.model_dump(mode="json"))
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[int(last) if isinstance(node, list) else last] = value
    return Scenario.model_validate(data)


def bus_line(**changes):
    line = {
        "name": "L",
        "stops": ["H", "S", "A"],
        "departures_out": ["08:00"],
        "departures_back": [],
        "speed_kmh": 30,
        "dwell_min": 1,
        "handling_min_per_parcel": 0.1,
        "capacity_parcels": 1000,
    }
    return {**line, **changes}


def with_bus(tmp_path, line=None, fallback_after_h=24.0, **fleets) -> Scenario:
    base = tiny(tmp_path, "direct", **fleets)
    data = base.model_dump(mode="json")
    data["buses"] = {"policy": "bus_first", "lines": [line or bus_line()]}
    data["delivery"] = {"model": "bus", "fallback_after_h": fallback_after_h}
    return Scenario.model_validate(data)


# --- loading order --------------------------------------------------------------------


def reference_loading(parcels, departures, capacity, ready_col="t_sorted"):
    """Which departure each parcel rides, by the documented rule, written as a plain loop:
    at each departure, of the parcels ready and not yet gone, perishables first, then by
    hub arrival (then ledger order), up to the capacity. Returns {ledger row: departure}."""
    waiting = parcels.copy()
    waiting["perishable"] = (waiting["flags"] & PERISHABLE) != 0
    rode = {}
    for departure in departures:
        ready = waiting[(waiting[ready_col] <= departure) & ~waiting.index.isin(list(rode))]
        key = ready.assign(row=ready.index, late=~ready["perishable"])
        chosen = key.sort_values(["late", "t_hub", "row"]).index[:capacity]
        for row in chosen:
            rode[row] = departure
    return rode


def ridden_departure(t_left_hub, departures):
    """The departure a parcel rode: the last one not after it left the hub."""
    departures = np.asarray(departures)
    return departures[np.searchsorted(departures, t_left_hub.to_numpy(), side="right") - 1]


def fifo_van_scenario(tmp_path, perishable_share=0.0):
    # 100 parcels a village a day planned (no peaks in planning), 2 departures, margin 1:
    # 50 per departure -> one 50-parcel van. The day is a peak (x 2, ~200 parcels), so
    # every van leaves parcels behind. Two waves, each unloaded over an hour, so every
    # parcel has its own hub arrival time.
    base = tiny(
        tmp_path,
        "direct",
        # No extra vans on the peak day: every van leaves parcels behind.
        hub_van={
            "capacity_parcels": 50,
            "departures": ["09:00", "15:00"],
            "peak_vehicle_factor": 1,
        },
    )
    return build(
        base,
        **{
            "routing.planning_margin": 1.0,
            "demand.waves": [{"time": "06:00", "share": 0.5}, {"time": "12:00", "share": 0.5}],
            "demand.wave_unload_min": 60,
            "demand.peaks": [{"start_day": 0, "days": 1, "factor": 2}],
            "demand.perishable_share": perishable_share,
            "horizon.drain_days": 3,
        },
    )


VAN_DEPARTURES = [d * 24 + h for d in range(4) for h in (9.0, 15.0)]


@pytest.mark.parametrize("perishable_share", [0.0, 0.15])
def test_full_van_boards_first_come_first_served(tmp_path, perishable_share):
    run = simulate(fifo_van_scenario(tmp_path, perishable_share), seed=11)
    assert (run.trips["vehicles"] == 1).all()
    for village in (A, B):
        mine = run.parcels[run.parcels["destination"] == village]
        assert len(mine) > 150  # ~200: at least three full vans
        assert mine["t_hub"].is_unique  # FIFO is by hub arrival, never a tie here
        expected = reference_loading(mine, VAN_DEPARTURES, 50)
        rode = ridden_departure(mine["t_left_hub"], VAN_DEPARTURES)
        np.testing.assert_array_equal(rode, [expected[row] for row in mine.index])
        if perishable_share == 0:
            # The 15:00 van takes the 09:00 van's leftovers before anything newer: the
            # two vans of day 0 carry exactly the 100 oldest parcels.
            oldest = mine["t_hub"].rank(method="first").to_numpy() <= 100
            np.testing.assert_array_equal(rode <= 15.0, oldest)
        else:
            perishable = ((mine["flags"] & PERISHABLE) != 0).to_numpy()
            assert 10 < perishable.sum() < 50
            # Perishables ride the first van they are ready for (fewer than a van load).
            ready_first = np.where(mine["t_sorted"] < 9, 9.0, 15.0)
            np.testing.assert_array_equal(rode[perishable], ready_first[perishable])


def test_full_bus_boards_first_come_first_served(tmp_path):
    # A by bus (30 parcels of cargo space at 08:00, 13:00, 16:00); left-behind parcels
    # never fall back (48 h). ~200 parcels for A in two waves: every bus is full.
    line = bus_line(departures_out=["08:00", "13:00", "16:00"], capacity_parcels=30)
    base = with_bus(tmp_path, line=line, fallback_after_h=48.0)
    scenario = build(
        base,
        **{
            "demand.waves": [{"time": "06:00", "share": 0.5}, {"time": "12:00", "share": 0.5}],
            "demand.wave_unload_min": 60,
            "demand.peaks": [{"start_day": 0, "days": 1, "factor": 2}],
            "horizon.drain_days": 3,
        },
    )
    run = simulate(scenario, seed=12)
    mine = run.parcels[run.parcels["destination"] == A]
    assert len(mine) > 150 and mine["t_hub"].is_unique
    departures = [d * 24 + h for d in range(4) for h in (8.0, 13.0, 16.0)]
    expected = reference_loading(mine, departures, 30)
    delivered = mine["t_left_hub"].notna()
    rode = ridden_departure(mine.loc[delivered, "t_left_hub"], departures)
    np.testing.assert_array_equal(rode, [expected[row] for row in mine.index[delivered]])
    # Those left waiting carry the flag; the first 30 by hub arrival never waited.
    oldest = mine.sort_values("t_hub").iloc[:30]
    assert ((oldest["flags"] & LEFT_BEHIND) == 0).all()
    assert ((mine.sort_values("t_hub").iloc[30:]["flags"] & LEFT_BEHIND) != 0).all()


# --- units: every _min / _h field, changed, with the timestamp it moves ----------------

UNIT = re.compile(r"(^|_)(min|h)(_|$)")


def unit_fields():
    """Every scenario field whose name says minutes or hours, as 'Model.field' (a field
    inherited from another model is named after the model that declares it)."""
    found = set()
    for name, model in inspect.getmembers(schema, inspect.isclass):
        if not (issubclass(model, pydantic.BaseModel) and model.__module__ == schema.__name__):
            continue
        inherited = {
            f
            for base in model.__mro__[1:]
            if hasattr(base, "model_fields")
            for f in getattr(base, "model_fields", {})
        }
        for field in model.model_fields:
            if UNIT.search(field) and field not in inherited:
                found.add(f"{name}.{field}")
    return found


def parcels_of(run, village):
    return run.parcels[run.parcels["destination"] == village]


def case_wave_unload_min(tmp_path):
    # All parcels in one wave at 06:00, spread uniformly over the unloading time:
    # 30 min -> hub arrivals in [6, 6.5]; ~200 of them come within 0.05 h of both ends
    # (each end missed with probability 0.9^200).
    run = simulate(build(tiny(tmp_path, "direct"), **{"demand.wave_unload_min": 30}), seed=3)
    t = run.parcels["t_hub"]
    assert len(t) > 150
    assert 6.0 <= t.min() < 6.05 and 6.5 - 0.05 < t.max() <= 6.5


def sorted_times(tmp_path, **changes):
    run = simulate(build(tiny(tmp_path, "direct"), **changes), seed=3)
    done = np.sort(run.parcels["t_sorted"].to_numpy())
    assert done.size > 150
    return done, np.arange(done.size)


def case_inspection_rate_per_h(tmp_path):
    # 1,800/h: 2 s each; the k-th parcel (0-based) leaves inspection at 6 h + 2(k+1) s
    # and the sorter (1 s each, never queueing) 1 s later.
    done, k = sorted_times(tmp_path, **{"hub.inspection.rate_per_h": 1800})
    np.testing.assert_allclose(done, 6 + (2 * (k + 1) + 1) * SECOND)


def case_inspection_open_box_min(tmp_path):
    # Every parcel is opened (share 1) for 12 min: at the sorter 6 h + (k+1) s + 0.2 h.
    done, k = sorted_times(
        tmp_path, **{"hub.inspection.open_box_share": 1.0, "hub.inspection.open_box_min": 12}
    )
    np.testing.assert_allclose(done, 6 + 0.2 + (k + 1 + 1) * SECOND)


def case_sorting_rate_per_h(tmp_path):
    # Sorting 1,200/h (3 s each) behind a 1 s inspection: a queue forms at the sorter;
    # the first starts at 6 h + 1 s, the k-th finishes at 6 h + 1 s + 3(k+1) s.
    done, k = sorted_times(tmp_path, **{"hub.sorting.rate_per_h": 1200})
    np.testing.assert_allclose(done, 6 + (1 + 3 * (k + 1)) * SECOND)


def case_fleet_max_route_h(tmp_path):
    # H-A-B-H is 2 sqrt(109) + 6 = 26.88 km: 0.672 h at 40 km/h + 3 stops (H, A, B) x 0.1 h
    # = 0.972 h; H-A-H alone is 0.522 + 0.2 = 0.722 h (planning counts the stop at H).
    # Limit 1.0 h: one van visits both villages; the second one reached gets its parcels
    # 6 min + 6 km at 40 km/h later than the first.
    run = simulate(tiny(tmp_path, "direct", hub_van={"max_route_h": 1.0}), seed=3)
    times = sorted(run.parcels["t_at_point"].round(9).unique())
    first = 8.0 + 0.1 + D_KM / 40 + 0.1
    np.testing.assert_allclose(times, [first, first + 6 / 40 + 0.1])
    assert run.kpis["vehicle_km"] == pytest.approx(2 * D_KM + 6)
    # Limit 0.8 h: a van per village, both arriving at `first`.
    run = simulate(tiny(tmp_path, "direct", hub_van={"max_route_h": 0.8}), seed=3)
    np.testing.assert_allclose(run.parcels["t_at_point"], first)


def case_fleet_stop_min(tmp_path):
    # 15 min a stop: loading at H, drive, unloading at the village. (A route per village
    # takes 0.522 + 0.5 = 1.022 h, within 1.1 h; both villages in one would take 1.42 h.)
    run = simulate(tiny(tmp_path, "direct", hub_van={"stop_min": 15, "max_route_h": 1.1}), seed=3)
    np.testing.assert_allclose(run.parcels["t_at_point"], 8.0 + 0.25 + D_KM / 40 + 0.25)


def case_fleet_handling_min_per_parcel(tmp_path):
    # 0.5 min a parcel, loading all n of a village at H and unloading them at it. (Planned
    # for ~120 parcels a route: 0.722 h + 2 h of handling within 3 h; both villages in one
    # route would need over 4 h of handling.)
    van = {"handling_min_per_parcel": 0.5, "max_route_h": 3}
    run = simulate(tiny(tmp_path, "direct", hub_van=van), seed=3)
    for village in (A, B):
        mine = parcels_of(run, village)
        n = len(mine)
        handling = 0.5 * n * MIN
        np.testing.assert_allclose(
            mine["t_at_point"], 8.0 + (0.1 + handling) + D_KM / 40 + (0.1 + handling)
        )


def case_stations_crossdock_min(tmp_path):
    # Trunk at S at 08:06 + 12 min = 08:18, unloaded 6 min later: 08:24 (8.4 h).
    # 35 min cross-dock: ready 8.983 h, in time for the 09:00 township van (at the point
    # 9.3 h); 40 min: ready 9.067 h, so the 15:00 van (15.3 h).
    for minutes, at_point in ((35, 9.3), (40, 15.3)):
        run = simulate(build(tiny(tmp_path, "via_township"), **{"stations.crossdock_min": minutes}))
        np.testing.assert_allclose(run.parcels["t_station"], 8.4)
        np.testing.assert_allclose(run.parcels["t_at_point"], at_point)


def case_points_pickup_delay_h(tmp_path):
    scenario = build(tiny(tmp_path, "direct"), **{"points.pickup_delay_h.mean": 5.0})
    parcels = simulate(scenario, seed=3).parcels
    np.testing.assert_allclose(parcels["t_picked_up"] - parcels["t_at_point"], 5.0)


def case_brand_collection_delay_h(tmp_path):
    own = {"network": "own", "legs": [{"to": "station", "by": ["trunk"]}]}
    brands = {"X": {**own, "share": 1.0, "collection_delay_h": {"mean": 5.0}}}
    data = {**tiny(tmp_path, "via_township").model_dump(mode="json"), "brands": brands}
    parcels = simulate(Scenario.model_validate(data), seed=3).parcels
    np.testing.assert_allclose(parcels["t_picked_up"] - parcels["t_at_point"], 5.0)


def case_product_shelf_life_h(tmp_path):
    # Dropped off 07:00-07:01, collected by the 08:00 van, at the hub by ~09:00, shipped
    # at 23:00: a 1 h shelf life spoils every parcel waiting at the point (1 h after its
    # drop-off); 100 h keeps every one (100 min would not).
    from tests.engine.test_outbound import _one_village

    for shelf_h, spoils in ((1.0, True), (100.0, False)):
        fresh = {"name": "fresh", "share": 1.0, "perishable": True, "shelf_life_h": shelf_h}
        parcels = simulate(_one_village(["23:00"], product=fresh), seed=3).parcels
        out = parcels[parcels["direction"] == 1]
        assert len(out) > 0
        if spoils:
            np.testing.assert_allclose(out["t_spoiled"], out["t_created"] + shelf_h)
            assert out["t_collected"].isna().all()
        else:
            assert out["t_spoiled"].isna().all() and out["t_shipped"].notna().all()


def case_demand_perishable_shelf_life_h(tmp_path):
    # At the hub at 05:30, the only van at 08:00: 1.5 h spoils every perishable at 07:00
    # (1.5 min would at 05:31:30); 24 h delivers every one (24 min would spoil them all).
    from tests.engine.test_inbound_spoilage import early_van

    for shelf_h, spoils in ((1.5, True), (24.0, False)):
        parcels = simulate(early_van(shelf_h), seed=3).parcels
        fresh = parcels[(parcels["flags"] & PERISHABLE) != 0]
        assert len(fresh) > 0
        if spoils:
            np.testing.assert_allclose(fresh["t_spoiled"], fresh["t_hub"] + shelf_h)
        else:
            assert fresh["t_spoiled"].isna().all() and fresh["t_at_point"].notna().all()


def bus_at_a(line, boarded):
    """A's parcels on the 08:00 bus: dwell (dwell_min + handling x parcels) at H, 10 km
    at 30 km/h, dwell at S, 3 km, dwell at A."""
    dwell = line["dwell_min"] * MIN
    handling = line["handling_min_per_parcel"] * boarded * MIN
    return 8.0 + dwell + handling + 10 / 30 + dwell + 3 / 30 + dwell + handling


def bus_case(tmp_path, **changes):
    line = bus_line(**changes)
    run = simulate(with_bus(tmp_path, line=line), seed=3)
    mine = parcels_of(run, A)
    assert len(mine) > 50
    return line, run, mine


def case_bus_dwell_min(tmp_path):
    line, _, mine = bus_case(tmp_path, dwell_min=4)
    np.testing.assert_allclose(mine["t_at_point"], bus_at_a(line, len(mine)))


def case_bus_handling_min_per_parcel(tmp_path):
    line, _, mine = bus_case(tmp_path, handling_min_per_parcel=0.3)
    np.testing.assert_allclose(mine["t_at_point"], bus_at_a(line, len(mine)))


def case_bus_running_min(tmp_path):
    # 52 min end to end over 13 km: 40 min to S, 12 min on to A (instead of 20 + 6).
    line, _, mine = bus_case(tmp_path, running_min=52)
    speed_based = bus_at_a(line, len(mine))
    np.testing.assert_allclose(mine["t_at_point"], speed_based + (52 - 26) * MIN)


def case_bus_delay_min(tmp_path):
    delay = {"kind": "deterministic", "mean": 15.0}
    line, run, mine = bus_case(tmp_path, delay_min=delay)
    np.testing.assert_allclose(mine["t_at_point"], bus_at_a(line, len(mine)) + 0.25)
    np.testing.assert_allclose(run.trips.loc[run.trips["fleet"] == "bus", "late_h"], 0.25)


def case_delivery_fallback_after_h(tmp_path):
    # 60 parcels of cargo space; the rest of A's ~100 wait. Sorted by ~06:00:04; after
    # 5 h (~11:00) they may fall back to the 11:30 hub van; after 6 h they may not
    # (12:00:04 is after the 12:00 bus leaves ... and after the 11:30 van): the 12:00 bus.
    line = bus_line(departures_out=["08:00", "12:00"], capacity_parcels=60)
    van = {"departures": ["08:00", "11:30"]}
    van_at_a = 11.5 + 0.1 + D_KM / 40 + 0.1
    for hours, fell_back in ((5.0, True), (6.0, False)):
        run = simulate(with_bus(tmp_path, line=line, fallback_after_h=hours, hub_van=van), seed=3)
        rest = parcels_of(run, A).sort_values("t_hub", kind="stable").iloc[60:]
        assert len(rest) > 10
        if fell_back:
            np.testing.assert_allclose(rest["t_at_point"], van_at_a)
        else:
            noon = {**line, "dwell_min": 1}
            expected = bus_at_a(noon, len(rest)) + 4.0  # the 12:00 bus, 4 h after 08:00
            np.testing.assert_allclose(rest["t_at_point"], expected)


def township_departures(tmp_path, rule, trunk=("08:00",)):
    """The township van's departures at S when it connects to the trunk by *rule*."""
    from sim.engine.model import plan_for

    scenario = tiny(tmp_path, "via_township", trunk={"departures": list(trunk)})
    scenario = build(scenario, **{"fleets.township_van.departures": rule})
    vans = [s for s in plan_for(scenario).services if s.fleet == "township_van"]
    return scenario, vans[0].departures_h


def case_connection_slack_min(tmp_path):
    # The trunk reaches S at 08:00 + 6 min + 12 min = 08:18; 45 min later is 09:03, after
    # the parcels are cross-docked (08:24 + 30 min); at A 0.3 h later (stop at S, 3 km
    # at 30 km/h, stop at A). 20 min later (08:38) is before they are ready: the next
    # day's 08:38 run takes them.
    for slack, at_point in ((45, 9.05 + 0.3), (20, 24 + 8 + 38 * MIN + 0.3)):
        rule = {"after": "trunk", "slack_min": slack, "round_to_min": 1}
        scenario, departures = township_departures(tmp_path, rule)
        np.testing.assert_allclose(departures, [at_point - 0.3 - 24 * (at_point > 24)])
        run = simulate(scenario, seed=3)
        np.testing.assert_allclose(parcels_of(run, A)["t_at_point"], at_point)


def case_connection_merge_within_min(tmp_path):
    # Trunks at 08:00 and 08:40 reach S at 08:18 and 08:58, 40 min apart: merged within
    # 45 min (one run 10 min after the later), not within 30 min (a run after each).
    trunk = ("08:00", "08:40")
    for within, expected in ((45, [9 + 8 * MIN]), (30, [8 + 28 * MIN, 9 + 8 * MIN])):
        rule = {"after": "trunk", "slack_min": 10, "merge_within_min": within, "round_to_min": 1}
        _, departures = township_departures(tmp_path, rule, trunk)
        np.testing.assert_allclose(departures, expected)


def case_connection_round_to_min(tmp_path):
    # 08:18 + 45 min = 09:03: rounded up to a quarter hour, 09:15; to a minute, 09:03.
    for step, expected in ((15, 9.25), (1, 9.05)):
        rule = {"after": "trunk", "slack_min": 45, "round_to_min": step}
        _, departures = township_departures(tmp_path, rule)
        np.testing.assert_allclose(departures, [expected])


UNIT_CASES = {
    "Connection.slack_min": case_connection_slack_min,
    "Connection.merge_within_min": case_connection_merge_within_min,
    "Connection.round_to_min": case_connection_round_to_min,
    "Demand.wave_unload_min": case_wave_unload_min,
    "Demand.perishable_shelf_life_h": case_demand_perishable_shelf_life_h,
    "Inspection.rate_per_h": case_inspection_rate_per_h,
    "Inspection.open_box_min": case_inspection_open_box_min,
    "Sorting.rate_per_h": case_sorting_rate_per_h,
    "Fleet.max_route_h": case_fleet_max_route_h,
    "Fleet.stop_min": case_fleet_stop_min,
    "Fleet.handling_min_per_parcel": case_fleet_handling_min_per_parcel,
    "Stations.crossdock_min": case_stations_crossdock_min,
    "Points.pickup_delay_h": case_points_pickup_delay_h,
    "Brand.collection_delay_h": case_brand_collection_delay_h,
    "Product.shelf_life_h": case_product_shelf_life_h,
    "BusTimetable.dwell_min": case_bus_dwell_min,
    "BusTimetable.handling_min_per_parcel": case_bus_handling_min_per_parcel,
    "BusTimetable.running_min": case_bus_running_min,
    "BusTimetable.delay_min": case_bus_delay_min,
    "Delivery.fallback_after_h": case_delivery_fallback_after_h,
}


def test_every_minutes_or_hours_field_has_a_units_case():
    missing = unit_fields() - set(UNIT_CASES)
    assert not missing, f"add a units case for: {sorted(missing)}"
    assert not set(UNIT_CASES) - unit_fields(), "a units case names a field that is gone"


@pytest.mark.parametrize("field", sorted(UNIT_CASES))
def test_unit_of(tmp_path, field):
    UNIT_CASES[field](tmp_path)
