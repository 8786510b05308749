"""A route's rest where nobody boards is ridden out at once, with the results of stop by stop.

``ParcelFlow.closes_at`` says after which stop a departure takes on no more parcels;
from there ``_ride_out`` stamps the parcels for village points in one go, and a
departure that closes at its first stop is a round, worked out with others in batches
(``sim.engine.rounds``). Forcing every trip to be handled stop by stop to its end (the
general path, which the cold chain, farm products and counted shelves always take) must
give the very same parcels, trips, KPIs and in-network counts, also when the run stops
with trips under way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.engine.ledger import FELL_BACK
from sim.engine.model import plan_for
from sim.engine.rounds import Rounds, round_services
from sim.engine.trips import ParcelFlow, TripLog, _delay_to, last_boarding_stops
from sim.network.geography import POINT
from sim.runner import simulate
from sim.scenario import load_scenario
from tests.conftest import SCENARIOS


def stop_by_stop(flow: ParcelFlow, index: int) -> int:
    return len(flow.plan.services[index].stops) - 1


CASES = [
    ("leiyang_via_township", []),
    ("leiyang_direct", []),
    ("leiyang_bus", []),
    ("leiyang_trunk_bus", []),
    ("leiyang_status_quo", []),
    # Stops mid-route: trips under way are counted pro rata, their parcels on vehicles.
    ("leiyang_via_township", ["horizon.drain_days=0", 'fleets.trunk.departures=["8:30", "17:30"]']),
    ("leiyang_direct", ["horizon.drain_days=0", 'fleets.hub_van.departures=["08:30", "22:00"]']),
    ("leiyang_bus", ["horizon.drain_days=0", "stations.crossdock_min=0"]),
    # A trunk still handing over to stations when the run stops (and one without a dock).
    (
        "leiyang_via_township",
        [
            "horizon.drain_days=0",
            'fleets.trunk.departures=["08:30", "22:30"]',
            'fleets.township_van.departures=["10:00", "16:00"]',
        ],
    ),
    (
        "leiyang_via_township",
        ["stations.crossdock_min=0", 'fleets.township_van.departures=["10:00", "16:00"]'],
    ),
    # Buses on time are rounds: they run empty, always stop, and end at a village.
    ("leiyang_bus", ["horizon.drain_days=0", "buses.corridors.delay_min=null"]),
    # Parcels the trunk hands over are ready the moment it arrives: it is no round.
    (
        "leiyang_via_township",
        [
            "stations.crossdock_min=0",
            "fleets.trunk.stop_min=0",
            "fleets.trunk.handling_min_per_parcel=0",
            'fleets.township_van.departures=["10:00", "16:00"]',
        ],
    ),
]


@pytest.mark.parametrize(("name", "extra"), CASES)
@pytest.mark.parametrize("batch", [None, 7])
def test_riding_out_equals_stop_by_stop(name, extra, batch, monkeypatch):
    """*batch*: the stamps gathered, and the parcels on rounds not yet worked out, before
    they are written (7: many writes and batches mid-run)."""
    scenario = load_scenario(
        SCENARIOS / f"{name}.yaml", overrides=["horizon.days=2", "horizon.warmup_days=0", *extra]
    )
    rounds = []
    work_out = Rounds._work_out

    def counted(self, flow, departures):
        rounds.append(len(departures))
        work_out(self, flow, departures)

    with monkeypatch.context() as patch:
        if batch is not None:
            patch.setattr("sim.engine.trips.STAMP_BATCH", batch)
            patch.setattr("sim.engine.rounds.BATCH_PARCELS", batch)
        patch.setattr(Rounds, "_work_out", counted)
        fast = simulate(scenario, seed=5)
    assert sum(rounds) > 0  # every case has rounds: van runs from a depot to village points
    if batch is not None:
        assert len(rounds) > 1
    with monkeypatch.context() as patch:
        patch.setattr(ParcelFlow, "closes_at", stop_by_stop)
        slow = simulate(scenario, seed=5)
    pd.testing.assert_frame_equal(fast.parcels, slow.parcels, check_exact=True)
    pd.testing.assert_frame_equal(fast.trips, slow.trips, check_exact=True)
    assert fast.kpis.keys() == slow.kpis.keys()
    for name, value in fast.kpis.items():  # NaN where a KPI is undefined
        assert value == slow.kpis[name] or (np.isnan(value) and np.isnan(slow.kpis[name])), name
    assert fast.in_network == slow.in_network
    if "horizon.drain_days=0" in extra and any("departures" in item for item in extra):
        assert not fast.trips["finished"].all()  # the case it is there for


def test_departures_at_one_instant_act_in_timetable_order(monkeypatch):
    """A round that shares an instant with a trip started before it (as a process) waits
    for it. Here hub vans, the fallback of on-time buses, leave with them: a van takes
    over the parcels that waited too long for a bus before that bus loads. Only the
    buses are rounds; the result must be the same as stop by stop."""
    scenario = load_scenario(
        SCENARIOS / "leiyang_bus.yaml",
        overrides=[
            "horizon.days=3",
            "horizon.warmup_days=0",
            "buses.corridors.delay_min=null",
            "delivery.fallback_after_h=1",
            'fleets.hub_van.departures=["09:00", "11:00", "14:30", "17:00"]',
        ],
    )
    every_round = round_services

    def buses_only(flow, leaves=None):
        buses = np.array([service.is_bus for service in flow.plan.services])
        return every_round(flow, leaves) & buses

    with monkeypatch.context() as patch:
        patch.setattr("sim.engine.rounds.round_services", buses_only)
        mixed = simulate(scenario, seed=5)
    with monkeypatch.context() as patch:
        patch.setattr(ParcelFlow, "closes_at", stop_by_stop)
        slow = simulate(scenario, seed=5)
    assert (mixed.parcels["flags"] & FELL_BACK).any()  # the case it is there for
    pd.testing.assert_frame_equal(mixed.parcels, slow.parcels, check_exact=True)
    pd.testing.assert_frame_equal(mixed.trips, slow.trips, check_exact=True)


def test_village_routes_close_at_their_first_stop():
    """Parcels board a township van only at its station: the rest is ridden out."""
    plan = plan_for(load_scenario(SCENARIOS / "leiyang_via_township.yaml"))
    last = last_boarding_stops(plan)
    level = plan.geography.level
    for index, service in enumerate(plan.services):
        if all(level[place] == POINT for place in service.stops[1:]):
            assert last[index] == 0, service.name
    assert np.any(last == 0)


@pytest.mark.parametrize(
    ("extra", "trunk_is_round"),
    [
        ([], True),
        (["stations.crossdock_min=0"], True),  # it still dwells at the stations
        (["stations.crossdock_min=0", "fleets.trunk.stop_min=0"], True),  # handling time
        (
            [
                "stations.crossdock_min=0",
                "fleets.trunk.stop_min=0",
                "fleets.trunk.handling_min_per_parcel=0",
            ],
            False,
        ),
    ],
)
def test_which_departures_are_rounds(extra, trunk_is_round):
    """Van runs from their depot are rounds; a trunk is one while what it hands over at a
    station cannot be ready the moment it arrives; buses, late on a drawn delay, never."""
    for name in ("leiyang_via_township", "leiyang_trunk_bus"):
        scenario = load_scenario(SCENARIOS / f"{name}.yaml", overrides=extra)
        plan = plan_for(scenario)
        flow = ParcelFlow(plan, None, scenario.stations.crossdock_min / 60.0, None)
        is_round = round_services(flow)
        for index, service in enumerate(plan.services):
            expected = {"township_van": True, "trunk": trunk_is_round, "bus": False}
            assert is_round[index] == expected[service.fleet], (name, service.name)


def test_the_trip_log_is_in_the_order_trips_ended():
    """Rounds are logged when worked out, not when they end; the log is ordered all the
    same, ties (the trips under way when the run stops) by departure, then service."""
    log = TripLog()
    for service, depart, end in [(3, 9.0, 30.0), (1, 8.0, 12.5), (0, 9.0, 30.0), (2, 7.0, 30.0)]:
        log.record(service=service, depart_h=depart, end_h=end)
    assert log.column("service") == [1, 2, 0, 3]
    log.record(service=4, depart_h=1.0, end_h=2.0)
    assert log.column("end_h") == [2.0, 12.5, 30.0, 30.0, 30.0]


@given(
    st.floats(0.0, 1e6, allow_nan=False, allow_infinity=False),
    st.floats(0.0, 48.0, allow_nan=False, allow_infinity=False),
)
def test_a_ride_out_lands_the_clock_exactly_on_its_last_stop(now, ahead):
    """SimPy adds the delay to its clock: now + _delay_to(now, then) is then, bit for bit."""
    then = now + ahead
    delay = _delay_to(now, then)
    assert delay >= 0.0
    assert now + delay == then
