"""Connecting timetables, per depot, as data (issue 13).

A fleet's ``departures`` may be clock times, clock times per depot, or a connection
(``{after: trunk, slack_min: ...}``): each depot's departures wait for the planned
arrivals of the feeding fleet there.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import simulate
from sim.engine.model import plan_for
from sim.network.services import depot_departures
from sim.scenario import ScenarioError
from sim.scenario.loader import validate
from sim.scenario.schema import Scenario, format_clock
from tests.conftest import cli

MINUTE = 1 / 60

# Hub H; stations S1 10 km and S2 20 km north of it on one road; a village 3 km east
# of each. Circuity 1, so road km are straight-line km.
LINE_COUNTY = (
    "id,level,parent,x_km,y_km,population\n"
    "H,hub,,0,0,0\n"
    "S1,station,H,0,10,0\n"
    "S2,station,H,0,20,0\n"
    "A,point,S1,3,10,1000\n"
    "B,point,S2,3,20,1000\n"
)


def line_county(tmp_path, township_departures, trunk_departures=("08:00", "08:20", "14:00")):
    """The scenario of LINE_COUNTY, as a dict (100 parcels a day per village)."""
    nodes = tmp_path / "line.csv"
    nodes.write_text(LINE_COUNTY)
    return {
        "name": "line",
        "horizon": {"days": 1, "warmup_days": 0, "drain_days": 1},
        "network": {"source": "csv", "csv_path": str(nodes), "circuity": 1.0},
        "demand": {
            "parcels_per_capita_day": 0.1,
            "waves": [{"time": "05:00", "share": 1.0}],
            "wave_unload_min": 0,
        },
        "hub": {"sorting": {"rate_per_h": 3600, "service": "deterministic"}},
        "fleets": {
            "trunk": {
                "capacity_parcels": 10000,
                "speed_kmh": 50,
                "departures": list(trunk_departures),
                "stop_min": 6,
                "handling_min_per_parcel": 0.06,
                "max_route_h": 5,
            },
            "township_van": {
                "capacity_parcels": 10000,
                "speed_kmh": 30,
                "departures": township_departures,
                "stop_min": 6,
                "handling_min_per_parcel": 0,
                "max_route_h": 2,
            },
        },
        "routing": {"planning_margin": 1.2},
        "stations": {"crossdock_min": 10},
        "delivery": {"model": "via_township"},
    }


def clock(times) -> list[str]:
    return [format_clock(t) for t in times]


def test_a_derived_timetable_by_hand(tmp_path):
    rule = {"after": "trunk", "slack_min": 30, "merge_within_min": 25, "round_to_min": 5}
    plan = plan_for(Scenario.model_validate(line_county(tmp_path, rule)))
    trunk = [s for s in plan.services if s.fleet == "trunk"]
    assert len(trunk) == 1  # one truck tours both stations: 40 km instead of 60
    order = tuple(plan.geography.ids[p] for p in trunk[0].stops)
    # Each trunk trip carries 100 / 3 x 1.2 = 40 planned parcels per station. Loading
    # 80 at H: 6 min stop + 80 x 0.06 = 10.8 min; 10 km at 50 km/h = 12 min; unloading
    # 40 at the first station: 6 + 2.4 = 8.4 min.
    # H-S1-S2: S1 reached 22.8 min after departure, S2 43.2 min.
    #   S1: 08:22.8 and 08:42.8 (20 min apart, within 25: one departure after the
    #   later) + 30 = 09:12.8 -> 09:15; 14:22.8 + 30 = 14:52.8 -> 14:55.
    #   S2: 09:03.2 + 30 = 09:33.2 -> 09:35; 14:43.2 + 30 = 15:13.2 -> 15:15.
    # H-S2-S1: S2 reached 10.8 + 24 = 34.8 min after departure, S1 55.2 min.
    #   S2: 08:54.8 + 30 -> 09:25; 14:34.8 + 30 -> 15:05.
    #   S1: 09:15.2 + 30 -> 09:50; 14:55.2 + 30 -> 15:30.
    expected = {
        ("H", "S1", "S2", "H"): {"S1": ["09:15", "14:55"], "S2": ["09:35", "15:15"]},
        ("H", "S2", "S1", "H"): {"S1": ["09:50", "15:30"], "S2": ["09:25", "15:05"]},
    }[order]
    resolved = depot_departures(plan)
    assert clock(resolved["trunk"]["H"]) == ["08:00", "08:20", "14:00"]
    assert {depot: clock(t) for depot, t in resolved["township_van"].items()} == expected

    # All parcels ride the 08:00 trunk; each station's first van takes them (the later
    # runs have nothing to carry and are cancelled), after the 10 min cross-dock.
    run = simulate(Scenario.model_validate(line_county(tmp_path, rule)), seed=1)
    services, trips = plan.services, run.trips
    vans = trips[[services[i].fleet == "township_van" for i in trips["service"]]]
    ran = {
        (plan.geography.ids[services[i].stops[0]], format_clock(h % 24))
        for i, h in zip(vans["service"], vans["depart_h"], strict=True)
    }
    assert ran == {(depot, times[0]) for depot, times in expected.items()}
    parcels = run.parcels
    assert parcels["t_at_point"].notna().all()
    assert (parcels["t_at_point"] >= parcels["t_station"] + 10 * MINUTE).all()


def test_clock_times_per_depot_with_a_default(tmp_path):
    departures = {"S1": ["09:00"], "default": ["10:00", "16:00"]}
    plan = plan_for(Scenario.model_validate(line_county(tmp_path, departures)))
    resolved = depot_departures(plan)["township_van"]
    assert {d: clock(t) for d, t in resolved.items()} == {
        "S1": ["09:00"],
        "S2": ["10:00", "16:00"],
    }
    # A depot's one departure must carry the whole day: its routes are planned for it.
    for service in plan.services:
        if service.fleet == "township_van":
            assert len(service.capacities) == len(service.departures_h)


@pytest.mark.parametrize(
    ("departures", "path", "phrase"),
    [
        ({"S9": ["09:00"], "default": ["10:00"]}, "fleets.township_van.departures.S9", "S1, S2"),
        ({"S1": ["09:00"]}, "fleets.township_van.departures", "S2"),
        ({"after": "trunk", "slack_min": 600}, "fleets.township_van.departures.slack_min", "24:00"),
    ],
)
def test_timetables_that_do_not_fit_the_network_are_refused(tmp_path, departures, path, phrase):
    scenario = Scenario.model_validate(line_county(tmp_path, departures))
    with pytest.raises(ScenarioError) as info:
        plan_for(scenario)
    assert info.value.yaml_path == path
    assert phrase in info.value.message


OTHER_TRUNK = {
    "from_level": "hub",
    "to_level": "station",
    "capacity_parcels": 3000,
    "speed_kmh": 50,
    "departures": {"after": "trunk"},
}


@pytest.mark.parametrize(
    ("fleets", "delivery", "phrase"),
    [
        ({"township_van": {"departures": {"after": "trunkk"}}}, None, "no fleet 'trunkk'"),
        ({"township_van": {"departures": {"after": "hub_van"}}}, None, "never reaches"),
        (
            {"trunk": {"departures": {"after": "other"}}, "other": OTHER_TRUNK},
            None,
            "in a circle (trunk → other → trunk)",
        ),
        (
            {
                "township_van": {"departures": {"after": "other"}},
                "other": OTHER_TRUNK | {"departures": ["09:00"]},
            },
            None,  # via_township: the parcels come by trunk, not by other
            "carries no parcels in delivery model 'via_township'",
        ),
    ],
)
def test_bad_connections_are_refused_naming_the_rule(fleets, delivery, phrase):
    data = {"fleets": fleets} | ({"delivery": delivery} if delivery else {})
    with pytest.raises(ScenarioError) as info:
        validate(Scenario, data)
    paths = [path for _, path, _ in info.value.problems]
    assert any(path.endswith("departures.after") for path in paths), info.value
    assert phrase in str(info.value)


def test_a_misspelt_rule_key_lists_the_allowed_ones():
    with pytest.raises(ScenarioError) as info:
        validate(
            Scenario, {"fleets": {"township_van": {"departures": {"after": "trunk", "slak": 1}}}}
        )
    assert info.value.yaml_path == "fleets.township_van.departures.slak"
    assert "slack_min" in info.value.message and "round_to_min" in info.value.message


def test_validate_and_services_csv_show_each_depots_times(tmp_path, capsys):
    import pandas as pd
    import yaml

    rule = {"after": "trunk", "slack_min": 30, "merge_within_min": 25, "round_to_min": 5}
    path = tmp_path / "line.yaml"
    path.write_text(yaml.safe_dump(line_county(tmp_path, rule)))
    code, out, err = cli(["validate", path], capsys)
    assert code == 0, err
    plan = plan_for(Scenario.model_validate(line_county(tmp_path, rule)))
    for depot, times in depot_departures(plan)["township_van"].items():
        assert f"#     {depot}: {' '.join(clock(times))}" in out
    # Still the scenario, loadable as written: the timetables are comments.
    assert yaml.safe_load(out)["fleets"]["township_van"]["departures"]["after"] == "trunk"

    code, _, err = cli(["run", path, "--out", tmp_path / "out", "--quiet"], capsys)
    assert code == 0, err
    services = pd.read_csv(tmp_path / "out" / "details" / "services.csv")
    for _, row in services.iterrows():
        depot = row["stops"].split()[0]
        if row["fleet"] == "township_van":
            expected = depot_departures(plan)["township_van"][depot]
            assert row["departure_times"] == " ".join(clock(expected))


def test_bad_rule_through_the_cli_exits_2(tmp_path, capsys):
    import yaml

    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"fleets": {"township_van": {"departures": {"after": "x"}}}}))
    code, _, err = cli(["validate", path], capsys)
    assert code == 2 and "Traceback" not in err
    assert "fleets.township_van.departures.after" in err


# ---------------------------------------------------------------- more stations


def spread_county(tmp_path, seed: int, far_station: bool) -> str:
    """Eight villages: around a near station, and some 50 km out.

    With *far_station* the far villages get a station of their own (F); without it
    the near station N serves them all. The villages are the same either way.
    """
    rng = np.random.default_rng(seed)
    rows = ["id,level,parent,x_km,y_km,population", "H,hub,,0,0,0", "N,station,H,0,8,0"]
    if far_station:
        rows.append("F,station,H,0,50,0")
    for v in range(8):
        far = v >= 4
        x, y = rng.normal(0, 2), (50 if far else 8) + rng.normal(0, 2)
        parent = "F" if far and far_station else "N"
        rows.append(f"V{v},point,{parent},{x:.3f},{y:.3f},1000")
    path = tmp_path / f"spread_{seed}_{far_station}.csv"
    path.write_text("\n".join(rows) + "\n")
    return str(path)


def connection_waits_h(plan) -> list[float]:
    """Per village and trunk trip: hours from the trunk reaching the village's station
    to the next departure of the station's vans (the next day's first if none is left).

    Worked out here from the stops, leg times and stop times (no handling in these
    counties), independently of how the model derives timetables.
    """
    geo, services = plan.geography, plan.services
    reached: dict[int, list[float]] = {}
    for s in services:
        if s.fleet == "trunk":
            for departure in s.departures_h:
                clock_h = departure + s.stop_h
                for position in range(1, len(s.stops) - 1):
                    clock_h += s.leg_h[position - 1]
                    reached.setdefault(s.stops[position], []).append(clock_h)
                    clock_h += s.stop_h
    van_times = {s.stops[0]: s.departures_h for s in services if s.fleet == "township_van"}
    waits = []
    for village in geo.points:
        station = int(geo.parent[village])
        times = np.array(van_times[station])
        for arrival in reached[station]:
            later = times[times >= arrival]
            waits.append((later[0] if later.size else times[0] + 24) - arrival)
    return waits


def spread_scenario(tmp_path, seed, far_station, township_departures):
    return Scenario.model_validate(
        {
            "name": "spread",
            "network": {
                "source": "csv",
                "csv_path": spread_county(tmp_path, seed, far_station),
                "circuity": 1.0,
            },
            "demand": {"parcels_per_capita_day": 0.05},
            "fleets": {
                "trunk": {"departures": ["08:00", "14:00"], "handling_min_per_parcel": 0},
                "township_van": {
                    "departures": township_departures,
                    "handling_min_per_parcel": 0,
                    "max_route_h": 6,
                },
            },
            "routing": {"iterations": 50},
        }
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_more_stations_for_the_same_villages_never_lengthen_connection_waits(tmp_path, seed):
    rule = {"after": "trunk", "slack_min": 45, "round_to_min": 1}
    one = connection_waits_h(plan_for(spread_scenario(tmp_path, seed, False, rule)))
    two = connection_waits_h(plan_for(spread_scenario(tmp_path, seed, True, rule)))
    assert len(one) == len(two) == 8 * 2  # every village, both trunk trips
    # Every wait is the slack, up to the clock rounding of the published timetable ...
    for waits in (one, two):
        assert all(45 * MINUTE - 1e-6 <= w < 46 * MINUTE + 1e-6 for w in waits)
    # ... so the far station's own vans never make anyone wait longer (beyond rounding).
    assert np.mean(two) <= np.mean(one) + MINUTE
    assert max(two) <= max(one) + MINUTE


def test_one_clock_timetable_for_every_station_is_what_made_waits_longer(tmp_path):
    # The artefact the comparison above guards against: the vans leave every station at
    # 09:00 and 15:00, so the trunk reaches the far station after its van has left.
    times = ["09:00", "15:00"]
    one = connection_waits_h(plan_for(spread_scenario(tmp_path, 1, False, times)))
    two = connection_waits_h(plan_for(spread_scenario(tmp_path, 1, True, times)))
    assert np.mean(two) > np.mean(one) + 1.0
