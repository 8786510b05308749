"""Carriers are data: ``fleets`` maps any name to a fleet, and legs name fleets (issue 10)."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from sim import load_scenario, simulate
from sim.engine.model import plan_for
from sim.network.geography import LEVEL_NAMES
from sim.scenario import ScenarioError
from sim.scenario.schema import (
    BUILTIN_FLEETS,
    DELIVERY_MODELS,
    Delivery,
    Fleets,
    Scenario,
    carrier_problems,
)
from tests.conftest import SCENARIOS, cli, small_scenario

E_TRIKE = {
    "from_level": "station",
    "to_level": "point",
    "capacity_parcels": 60,
    "speed_kmh": 20,
    "departures": ["11:00"],
    "max_route_h": 4,
    "cost_per_km_cny": 0.05,
    "cost_per_vehicle_day_cny": 120,
}
TRUNK_THEN_E_TRIKE = [{"to": "station", "by": ["trunk"]}, {"to": "point", "by": ["e_trike"]}]

SMALL_FILE = f"""\
name: e_trike_county
horizon: {{days: 2, warmup_days: 0, drain_days: 1}}
network: {{townships: 2, villages_per_township: [2, 3], area_km2: 400}}
demand: {{parcels_per_capita_day: 0.01}}
routing: {{iterations: 30}}
fleets:
  e_trike: {json.dumps(E_TRIKE)}
delivery:
  model: custom
  legs: {json.dumps(TRUNK_THEN_E_TRIKE)}
"""


@pytest.fixture
def e_trike_file(tmp_path):
    path = tmp_path / "e_trike.yaml"
    path.write_text(SMALL_FILE)
    return path


def assert_refused(code: int, err: str, *phrases: str) -> None:
    """Exit 2, every phrase in the message, and no traceback."""
    assert code == 2, err
    assert "Traceback" not in err
    for phrase in phrases:
        assert phrase in err, (phrase, err)


def same_kpis(a: dict, b: dict) -> bool:
    return pd.Series(a).equals(pd.Series(b))  # exact, and NaN equals NaN


# --------------------------------------------------------------------------- end to end


def test_a_new_fleet_runs_end_to_end_through_the_cli(e_trike_file, tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = cli(["run", e_trike_file, "--out", out, "--quiet"], capsys)
    assert code == 0, err
    services = pd.read_csv(out / "details" / "services.csv")
    assert set(services["fleet"]) == {"trunk", "e_trike"}
    places = pd.read_csv(out / "details" / "places.csv").set_index("id")
    for stops in services.loc[services["fleet"] == "e_trike", "stops"]:
        depot, *clients, back = stops.split()
        assert depot == back and places.loc[depot, "level"] == "station"
        assert (places.loc[clients, "level"] == "point").all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"]["fleets"]["e_trike"]["capacity_parcels"] == 60

    run = simulate(load_scenario(e_trike_file))
    trips = run.trips
    assert set(trips["fleet"]) == {"trunk", "e_trike"}
    e_trips = trips[trips["fleet"] == "e_trike"]
    # Its own timetable and vehicle size: one departure at 11:00 a day, 60 a tricycle.
    assert set(e_trips["depart_h"] % 24) == {11.0}
    assert (e_trips["capacity"] == 60 * e_trips["vehicles"]).all()
    assert run.kpis["parcels_delivered"] > 0


def test_the_bundled_light_truck_example_runs_its_new_fleet():
    short = ["horizon.days=2", "horizon.warmup_days=1", "routing.iterations=30"]
    scenario = load_scenario(SCENARIOS / "leiyang_light_truck.yaml", short)
    run = simulate(scenario, seed=1)
    assert set(run.trips["fleet"]) == {"light_truck", "township_van"}
    trucks = run.trips[run.trips["fleet"] == "light_truck"]
    assert set(trucks["depart_h"] % 24) == {7.0, 10.5, 14.0}
    assert run.kpis["parcels_in_system"] < 0.01 * run.kpis["parcels_generated"]


def test_a_fleet_under_a_new_name_runs_exactly_like_the_builtin_one():
    named = small_scenario(delivery={"model": "via_township"})
    twin = named.fleets["township_van"].model_dump(mode="json")
    renamed = small_scenario(
        fleets={"e_trike": twin}, delivery={"model": "custom", "legs": TRUNK_THEN_E_TRIKE}
    )
    a, b = simulate(named, seed=5), simulate(renamed, seed=5)
    assert same_kpis(a.kpis, b.kpis)
    pd.testing.assert_frame_equal(a.parcels, b.parcels)
    assert list(b.trips["fleet"].unique()) == ["trunk", "e_trike"]
    renamed_back = b.trips["fleet"].astype(str).replace("e_trike", "township_van")
    assert renamed_back.tolist() == a.trips["fleet"].astype(str).tolist()
    columns = [c for c in a.trips.columns if c != "fleet"]
    pd.testing.assert_frame_equal(a.trips[columns], b.trips[columns])


def test_a_named_model_runs_like_its_legs_written_out():
    path = SCENARIOS / "leiyang_via_township.yaml"
    short = ["horizon.days=3", "horizon.warmup_days=1", "routing.iterations=30"]
    named = load_scenario(path, short)
    custom = load_scenario(
        path,
        [*short, "delivery.model=custom", f"delivery.legs={json.dumps(TRUNK_THEN_E_TRIKE)}"]
        + ["delivery.legs.1.by=[township_van]"],
    )
    assert same_kpis(simulate(named, seed=2).kpis, simulate(custom, seed=2).kpis)


def test_every_named_model_fits_the_builtin_fleets():
    fleets = Fleets.model_validate({})
    for model in DELIVERY_MODELS:
        assert carrier_problems(Delivery(model=model), fleets) == [], model


# --------------------------------------------------------------------------- defaults and merging


def test_a_scenario_without_fleets_has_the_builtin_ones():
    fleets = Scenario().fleets
    assert dict(fleets.items()) == BUILTIN_FLEETS
    assert list(fleets) == ["hub_van", "trunk", "township_van"]
    assert small_scenario().fleets == fleets


def test_an_entry_with_a_builtin_name_merges_over_it_key_by_key():
    fleets = Scenario.model_validate({"fleets": {"trunk": {"capacity_parcels": 99}}}).fleets
    assert fleets["trunk"].capacity_parcels == 99
    # Everything else is the built-in trunk's, even where it differs from a field's default.
    assert fleets["trunk"].model_copy(update={"capacity_parcels": 3000}) == BUILTIN_FLEETS["trunk"]
    assert fleets["trunk"].counts_as_van is False
    assert fleets["hub_van"] == BUILTIN_FLEETS["hub_van"]


def test_set_on_a_bundled_fleet_changes_that_field_only():
    path = SCENARIOS / "leiyang_direct.yaml"
    before = load_scenario(path).fleets["hub_van"]
    after = load_scenario(path, ["fleets.hub_van.capacity_parcels=200"]).fleets["hub_van"]
    assert (before.capacity_parcels, after.capacity_parcels) == (250, 200)
    assert after.model_copy(update={"capacity_parcels": 250}) == before


def test_set_can_tune_a_builtin_fleet_of_a_file_without_fleets(tmp_path):
    path = tmp_path / "bare.yaml"
    path.write_text("name: bare\n")
    scenario = load_scenario(path, ["fleets.township_van.speed_kmh=18"])
    assert scenario.fleets["township_van"].speed_kmh == 18
    assert scenario.fleets["township_van"].departures == BUILTIN_FLEETS["township_van"].departures


def test_extends_merges_fleets_file_by_file(tmp_path):
    (tmp_path / "base.yaml").write_text(
        f"fleets:\n  e_trike: {json.dumps(E_TRIKE)}\n  township_van: {{stop_min: 3}}\n"
    )
    (tmp_path / "child.yaml").write_text(
        "extends: base.yaml\nfleets:\n  e_trike: {capacity_parcels: 30}\n"
        "  township_van: {speed_kmh: 20}\n"
    )
    fleets = load_scenario(tmp_path / "child.yaml").fleets
    assert fleets["e_trike"].capacity_parcels == 30
    assert fleets["e_trike"].speed_kmh == E_TRIKE["speed_kmh"]  # from the base file
    van = fleets["township_van"]
    assert (van.stop_min, van.speed_kmh) == (3, 20)
    assert van.capacity_parcels == BUILTIN_FLEETS["township_van"].capacity_parcels
    assert list(fleets) == ["hub_van", "trunk", "township_van", "e_trike"]


# --------------------------------------------------------------------------- frozen and cached


def test_a_scenario_with_fleets_stays_frozen_hashable_and_round_trips(e_trike_file):
    scenario = load_scenario(e_trike_file)
    again = Scenario.model_validate_json(scenario.model_dump_json())
    assert again == scenario and hash(again) == hash(scenario)
    changed = load_scenario(e_trike_file, ["fleets.e_trike.capacity_parcels=61"])
    assert changed != scenario and hash(changed) != hash(scenario)
    with pytest.raises(TypeError):
        scenario.fleets["e_trike"] = scenario.fleets["trunk"]  # type: ignore[index]


def test_the_plan_cache_tells_fleets_apart(e_trike_file):
    scenario = load_scenario(e_trike_file)
    assert plan_for(load_scenario(e_trike_file, ["seed=9"])) is plan_for(scenario)
    bigger = plan_for(load_scenario(e_trike_file, ["fleets.e_trike.capacity_parcels=500"]))
    assert bigger is not plan_for(scenario)
    for service in bigger.services:
        fleet = scenario.fleets[service.fleet]
        assert bigger.geography.level[service.stops[0]] == LEVEL_NAMES[fleet.from_level]
        assert bigger.geography.level[service.stops[1]] == LEVEL_NAMES[fleet.to_level]
        if service.fleet == "e_trike":
            assert set(service.capacities) == {500 * service.vehicles}


# --------------------------------------------------------------------------- bad input

REFUSED = {
    "unknown fleet in a leg": (
        ["delivery.legs.1.by=[e_trik]"],
        ["delivery.legs.1.by", "no fleet 'e_trik'", "e_trike", "'bus'"],
    ),
    "fleet on a leg it cannot run": (
        ["delivery.legs.0.by=[trunk, e_trike]"],
        [
            "delivery.legs.0.by",
            "fleet 'e_trike' runs station → point, but this leg goes hub → station",
            "hub → station: trunk",
        ],
    ),
    "a hub fleet after the station": (
        ["delivery.legs.1.by=[hub_van]"],
        ["delivery.legs.1.by", "'hub_van' runs hub → point", "station → point: township_van"],
    ),
    "from_level equal to to_level": (
        ["fleets.e_trike.to_level=station"],
        ["fleets.e_trike.to_level", "below from_level 'station'", "station → point"],
    ),
    "a fleet that runs upwards": (
        ["fleets.trunk.from_level=station", "fleets.trunk.to_level=station"],
        ["fleets.trunk.to_level", "below from_level 'station'", "hub → station"],
    ),
    "a depot at the village points": (
        ["fleets.e_trike.from_level=point"],
        ["fleets.e_trike.from_level", "'hub' or 'station'", "(given: 'point')"],
    ),
    "clients at the hub": (
        ["fleets.e_trike.to_level=hub"],
        ["fleets.e_trike.to_level", "'station' or 'point'", "(given: 'hub')"],
    ),
    "a level that does not exist": (
        ["fleets.e_trike.to_level=village"],
        ["fleets.e_trike.to_level", "'village'", "'point'"],
    ),
    "a named model over a moved built-in fleet": (
        ["delivery.model=direct", "delivery.legs=", "fleets.hub_van.from_level=station"],
        ["delivery.model", "model 'direct'", "'hub_van' runs station → point", "hub → point"],
    ),
    "a new fleet that is not complete": (
        ["fleets.cargo_bike.capacity_parcels=20"],
        ["--set: fleets.cargo_bike.from_level: missing", "fleets.cargo_bike.departures: missing"],
    ),
    "a fleet called bus": (["fleets.bus={}"], ["fleets.bus", "names the bus lines"]),
    "a fleet name with a dot": (["fleets={e.trike: {}}"], ["'e.trike'", "no '.'"]),
    "a misspelt fleet field": (
        ["fleets.e_trike.capacity=5"],
        ["fleets.e_trike.capacity", "unknown key", "allowed: from_level, to_level"],
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_bad_fleets_and_legs_exit_2_naming_the_field(e_trike_file, capsys, case):
    overrides, phrases = REFUSED[case]
    argv = ["validate", e_trike_file]
    for item in overrides:
        argv += ["--set", item]
    code, _, err = cli(argv, capsys)
    assert_refused(code, err, *phrases)


def test_a_bad_leg_in_a_file_names_the_file(e_trike_file, capsys):
    e_trike_file.write_text(SMALL_FILE.replace('"by": ["trunk"]', '"by": ["e_trike"]'))
    code, _, err = cli(["run", e_trike_file, "--out", e_trike_file.parent / "out"], capsys)
    assert_refused(code, err, f"{os.fspath(e_trike_file)}: delivery.legs.0.by:", "'e_trike'")
    assert not (e_trike_file.parent / "out").exists()


def test_the_error_is_a_scenario_error_with_the_yaml_path(e_trike_file):
    with pytest.raises(ScenarioError) as info:
        load_scenario(e_trike_file, ["delivery.legs.1.by=[trunk]"])
    assert info.value.yaml_path == "delivery.legs.1.by"
    assert "fleet 'trunk' runs hub → station, but this leg goes station → point" in str(info.value)


def test_a_leg_only_a_bus_could_carry_and_no_line_serves_names_the_leg(e_trike_file, capsys):
    out = e_trike_file.parent / "out"
    code, _, err = cli(
        ["run", e_trike_file, "--out", out, "--set", "delivery.legs.1.by=[bus]"], capsys
    )
    assert_refused(code, err, "delivery.legs.1.by:", "no bus line stops at T01 and later at T01V")
    assert not out.exists()
