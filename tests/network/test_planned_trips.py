"""Planned trips fit max_route_h with their stops and handling; unreachable places named."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import load_scenario
from sim.engine.model import plan_for
from sim.network.geography import LEVEL_NAMES
from sim.scenario import ScenarioError
from sim.scenario.schema import Scenario
from tests.conftest import SCENARIOS, cli

BUNDLED = ["leiyang_direct", "leiyang_via_township", "leiyang_bus", "leiyang_trunk_bus"]


def _served_by(geo, client: int) -> np.ndarray:
    """Village points below *client* (itself if it is a point), by walking up their parents."""
    below = []
    for p in geo.points:
        at = int(p)
        while at != client and at > 0:
            at = int(geo.parent[at])
        if at == client:
            below.append(int(p))
    return np.array(below)


@pytest.mark.parametrize("name", BUNDLED)
def test_every_planned_trip_fits_its_limit_with_stops_and_handling(name):
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    plan = plan_for(scenario)
    geo, demand = plan.geography, scenario.demand
    weekday_mean = sum(demand.weekday_factors) / 7
    checked = 0
    for service in plan.services:
        if service.is_bus:
            continue
        fleet = scenario.fleets[service.fleet]
        assert geo.level[service.stops[0]] == LEVEL_NAMES[fleet.from_level]
        assert geo.level[service.stops[1]] == LEVEL_NAMES[fleet.to_level]
        # Road km from the coordinates: straight line × circuity.
        km = sum(
            math.hypot(geo.x_km[a] - geo.x_km[b], geo.y_km[a] - geo.y_km[b])
            for a, b in zip(service.stops, service.stops[1:], strict=False)
        )
        km *= scenario.network.circuity
        # Planned parcels per client and departure: population × parcels per head × the
        # week's mean factor / departures × margin, in whole parcels, at most a vanload.
        load = 0
        for client in service.stops[1:-1]:
            mean = geo.population[_served_by(geo, client)].sum() * demand.parcels_per_capita_day
            # Per departure of this depot: connecting timetables differ between depots.
            per_departure = mean * weekday_mean / len(service.departures_h)
            planned = math.ceil(per_departure * scenario.routing.planning_margin)
            load += min(max(planned, 1), fleet.capacity_parcels)
        stops = len(service.stops) - 1  # loading at the depot and one per client
        hours = (
            km / fleet.speed_kmh
            + stops * fleet.stop_min / 60
            + 2 * load * fleet.handling_min_per_parcel / 60
        )
        assert hours <= fleet.max_route_h + 1e-6, (service.name, hours)
        checked += 1
    assert checked > 0


def _far_county(tmp_path, **hub_van) -> Scenario:
    """A hub, one township and five villages 50-90 km out (straight, circuity 1)."""
    nodes = tmp_path / "far.csv"
    rows = [
        "id,level,parent,x_km,y_km,population",
        "HUB,hub,,0,0,0",
        "TOWN,station,HUB,0,5,0",
        "NEAR,point,TOWN,0,6,1000",
    ]
    rows += [f"FAR{i},point,TOWN,{40 + 10 * i},0,1000" for i in range(1, 6)]
    nodes.write_text("\n".join(rows) + "\n")
    fleet = {
        "capacity_parcels": 250,
        "departures": ["08:00"],
        "speed_kmh": 50,
        "stop_min": 6,
        "handling_min_per_parcel": 0,
        "max_route_h": 2,
    }
    return {
        "name": "far",
        "network": {"source": "csv", "csv_path": str(nodes), "circuity": 1.0},
        "demand": {"parcels_per_capita_day": 0.03},  # 30 parcels per village a day
        "fleets": {"hub_van": {**fleet, **hub_van}},
        "delivery": {"model": "direct"},
        "routing": {"iterations": 20, "planning_margin": 1.0},
    }


def test_unreachable_places_are_named_by_id_with_the_limit_to_change(tmp_path):
    # FAR1..FAR5 at 50..90 km: 2 h 0 min, 2 h 24 min, ... of driving there and back at
    # 50 km/h plus 12 min of stops (depot and village) — all over 2 h. NEAR is fine.
    with pytest.raises(ScenarioError) as info:
        plan_for(Scenario.model_validate(_far_county(tmp_path)))
    error = info.value
    assert error.yaml_path == "fleets.hub_van.max_route_h"
    message = error.message
    assert message.startswith(
        "FAR1 (2.20 h), FAR2 (2.60 h), FAR3 (3.00 h) and 2 more places cannot be reached "
        "from HUB by hub_van within max_route_h 2 h"
    )
    assert "FAR4" not in message and "NEAR" not in message
    assert "client" not in message  # no solver indices
    assert "at least 3.80 h" in message  # FAR5: 180 km / 50 km/h + 0.2 h


def test_handling_time_alone_can_make_a_place_unreachable(tmp_path):
    # NEAR is 6 km out: 0.24 h driving + 0.2 h stops. Its 30 planned parcels (one
    # departure, margin 1) are handled twice at 4 min each: 4 h more, over the 2 h.
    data = _far_county(tmp_path, handling_min_per_parcel=4, max_route_h=2)
    data["network"]["csv_path"] = str(tmp_path / "near.csv")
    (tmp_path / "near.csv").write_text(
        "id,level,parent,x_km,y_km,population\n"
        "HUB,hub,,0,0,0\nTOWN,station,HUB,0,5,0\nNEAR,point,TOWN,0,6,1000\n"
    )
    with pytest.raises(ScenarioError) as info:
        plan_for(Scenario.model_validate(data))
    assert "NEAR" in info.value.message
    assert "fleets.hub_van.handling_min_per_parcel" in info.value.message
    # Without the handling the same place is planned without complaint.
    data["fleets"]["hub_van"]["handling_min_per_parcel"] = 0
    assert plan_for(Scenario.model_validate(data)).services


def test_cli_exits_2_naming_the_places(tmp_path, capsys):
    import yaml

    path = tmp_path / "far.yaml"
    path.write_text(yaml.safe_dump(_far_county(tmp_path)))
    code, _, err = cli(["validate", path], capsys)
    assert code == 2
    assert "Traceback" not in err
    assert "fleets.hub_van.max_route_h" in err and "FAR1" in err


def test_no_plan_found_names_the_depot_and_what_to_raise(tmp_path, monkeypatch):
    import sim.network.routing as routing
    import sim.network.services as services
    from sim.network.routing import RoutePlanningError

    def no_plan(*args, **kwargs):
        raise RoutePlanningError("PyVRP found no feasible plan")

    monkeypatch.setattr(routing, "plan_routes", no_plan)
    with pytest.raises(ScenarioError) as info:
        services.build_plan(
            Scenario.model_validate(_far_county(tmp_path)),
            plan_for(Scenario.model_validate(_far_county(tmp_path, max_route_h=9))).geography,
        )
    assert info.value.yaml_path == "fleets.hub_van.max_route_h"
    assert "from HUB" in info.value.message and "routing.iterations" in info.value.message


def test_places_grouped_by_ancestor_as_a_scan_of_every_place_finds_them(tmp_path):
    # Planning groups clients by depot in one pass; a station with no villages (T3)
    # and places listed out of order must come out as a plain scan finds them.
    from sim.network.geography import POINT, STATION, read_geography_csv
    from sim.network.services import _below

    nodes = tmp_path / "nodes.csv"
    nodes.write_text(
        "id,level,parent,x_km,y_km,population\n"
        "H,hub,,0,0,0\n"
        "T1,station,H,5,0,0\n"
        "A,point,T2,1,1,10\n"
        "T2,station,H,0,5,0\n"
        "B,point,T1,2,1,10\n"
        "T3,station,H,-5,0,0\n"
        "C,point,T2,1,2,10\n"
        "D,point,T1,3,1,10\n"
    )
    geo = read_geography_csv(nodes, 1.0)
    for places, level in ((geo.points, STATION), (geo.stations, 0), (geo.points, POINT)):
        expected = {}
        for p in places:
            at = int(p)
            while geo.level[at] != level:
                at = int(geo.parent[at])
            expected.setdefault(at, []).append(int(p))
        grouped = {k: [int(p) for p in v] for k, v in _below(geo, places, level).items()}
        assert grouped == expected
    assert _below(geo, geo.points[:0], STATION) == {}
