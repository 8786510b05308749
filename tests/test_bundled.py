"""The bundled Leiyang-like county: its size matches its description; both models run."""

from __future__ import annotations

import functools
import io

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, simulate
from sim.analysis.details import network_tables
from sim.network.geography import build_geography
from sim.network.services import expected_daily_parcels
from tests.conftest import SCENARIOS, cli

# Four days from a Monday: the peak (from day 9) is not among them.
SHORT = ["horizon.days=4", "horizon.warmup_days=1", "routing.iterations=50"]


@functools.cache
def short_run(name: str):
    """The bundled scenario for four ordinary days (shared by the tests of this module)."""
    return simulate(load_scenario(SCENARIOS / f"{name}.yaml", SHORT), seed=1)


def test_base_county_is_leiyang_sized():
    scenario = load_scenario(SCENARIOS / "leiyang_base.yaml")
    geo = build_geography(scenario.network)
    assert len(geo.stations) == 24
    assert 14 <= len(geo.points) / 24 <= 18  # ~16 villages per township
    span = np.ptp(geo.x_km) * np.ptp(geo.y_km)
    assert 0.8 * 2650 <= span <= 2650 * 1.01  # inside a ~2,650 km2 county
    village = expected_daily_parcels(scenario, geo)[geo.points]
    # A village point sees 20-40 parcels on an ordinary day (reports): on average.
    assert 20 <= village.mean() <= 40
    # The hub's parcels are the villages' over the villages' share of them.
    hub = village.sum() / (1.0 - scenario.demand.urban_share)
    assert 25_000 <= hub <= 35_000  # ~30,000 inbound parcels a day
    # Rural residents: ~46% of ~1.1 M.
    assert 0.4e6 <= geo.population.sum() <= 0.65e6


@pytest.mark.parametrize("name", ["leiyang_direct", "leiyang_via_township"])
def test_bundled_models_run_and_deliver(name):
    run = short_run(name)
    parcels, k = run.parcels, run.kpis
    # ~11,400 village parcels a day over the 3 measured days, ~18,600 for the town.
    assert 3 * 9_000 < k["parcels_generated"] < 3 * 14_000
    assert 3 * 15_000 < k["urban_parcels"] < 3 * 22_000
    parcels = parcels[parcels["destination"] != 0]  # the villages' parcels
    assert k["parcels_in_system"] < 0.01 * k["parcels_generated"]
    delivered = parcels["t_at_point"].notna()
    via_station = parcels.loc[delivered, "t_station"].notna()
    # The delivery model decides the path: through a station, or straight from the hub.
    assert via_station.all() if name == "leiyang_via_township" else not via_station.any()
    assert 0 < k["sorting_utilization"] < 1
    assert 0 < k["van_load_factor_mean"] <= 1
    assert k["cost_per_parcel_cny"] > 0 and k["co2_kg"] > 0


def test_no_parcel_waits_half_a_day_at_a_station_on_ordinary_days():
    # Connecting timetables: each station's vans leave after the trunk arrives there, and
    # there are vans enough for a Monday, so no parcel waits for the next day's run.
    run = short_run("leiyang_via_township")
    horizon = run.scenario.horizon
    assert all(p.start_day >= horizon.days + horizon.drain_days for p in run.scenario.demand.peaks)
    parcels = run.parcels
    at_station = parcels["t_station"].notna()
    # Not vacuous: the villages' ~17,000 parcels a day pass a station on every day.
    assert at_station.sum() > 30_000
    # Until the van brought it to the village (the ride included, so this bounds the
    # wait from above), or until the end for a parcel still waiting.
    left = parcels.loc[at_station, "t_at_point"].fillna(run.end_h)
    waited_h = left - parcels.loc[at_station, "t_station"]
    assert waited_h.max() <= 12.0


def test_models_differ_only_in_services_and_paths():
    direct = load_scenario(SCENARIOS / "leiyang_direct.yaml")
    via = load_scenario(SCENARIOS / "leiyang_via_township.yaml")
    d, v = direct.model_dump(), via.model_dump()
    for key in ("name", "title", "description", "delivery"):
        d.pop(key), v.pop(key)
    assert d == v


def test_the_example_csv_county_runs_on_its_own_places(capsys):
    run = short_run("example_county")
    ids = run.plan.geography.ids
    assert ids[0] == "HUB" and "DONGHU-01" in ids and len(ids) == 16
    assert run.kpis["parcels_delivered"] > 0
    # validate shows no knob of a synthetic county for a county read from a CSV
    code, out, _ = cli(["validate", SCENARIOS / "example_county.yaml"], capsys)
    assert code == 0 and "csv_path:" in out
    network = out.split("\nnetwork:\n", 1)[1].split("\ndemand:", 1)[0]
    assert "townships" not in network and "area_km2" not in network
    assert "shape a synthetic county only" in out


def test_every_ledger_and_trip_log_number_maps_to_a_row_of_places_and_services_csv():
    run = short_run("example_county")
    places, services = network_tables(run.plan)
    # What details/places.csv and services.csv hold, read back as a user would.
    places = pd.read_csv(io.StringIO(places.to_csv(index=False)), keep_default_na=False)
    services = pd.read_csv(io.StringIO(services.to_csv(index=False)))
    by_index = places.set_index("index")
    parcels = run.parcels
    assert list(places["index"]) == list(range(len(places)))
    assert set(parcels["destination"]) <= set(by_index.index)
    levels = by_index.loc[parcels["destination"], "level"]
    assert set(levels) == {"hub", "point"}  # the county town's parcels, the villages'
    # A village parcel's township is its village's station, as the CSV says.
    csv = pd.read_csv(SCENARIOS / "example_county_places.csv", keep_default_na=False)
    csv = csv.set_index("id")
    villages = by_index.loc[parcels["destination"][levels.to_numpy() == "point"].unique()]
    assert (villages["township"] == csv.loc[villages["id"], "parent"].to_numpy()).all()
    # Degrees as the CSV gave them, for every place.
    for column in ("lon", "lat"):
        given = csv.loc[places["id"], column].astype(float).to_numpy()
        np.testing.assert_array_equal(places[column].astype(float).to_numpy(), given)
    # A trip's service number is a row of services.csv, of the trip's fleet.
    assert list(services["index"]) == list(range(len(services)))
    trips = run.trips
    fleets = services.set_index("index").loc[trips["service"], "fleet"].to_numpy()
    assert (fleets == trips["fleet"].astype(str).to_numpy()).all()


def test_the_report_shows_a_csv_countys_scenario_without_synthetic_fields():
    from types import SimpleNamespace

    from sim.report.html import _scenarios_yaml

    csv = load_scenario(SCENARIOS / "example_county.yaml").model_dump(mode="json")
    synthetic = load_scenario(SCENARIOS / "leiyang_direct.yaml").model_dump(mode="json")
    results = SimpleNamespace(
        names=["csv", "synthetic"],
        scenarios={"csv": csv, "synthetic": synthetic},
        label=lambda name: name,
    )
    csv_block, synthetic_block = _scenarios_yaml(results).split("<h3>synthetic</h3>")
    assert "csv_path:" in csv_block and "area_km2" not in csv_block
    assert "villages_per_township" not in csv_block and "circuity:" in csv_block
    assert "area_km2: 2650" in synthetic_block  # a synthetic county shows them all


def test_every_bundled_scenario_has_a_title_of_its_own():
    # A scenario extending another inherits its title: the report would then name two
    # models alike (it once showed three harvest models all as the base county).
    titles = {}
    for path in sorted(SCENARIOS.glob("*.yaml")):
        if path.name.startswith("region_"):
            continue  # a region file, not a scenario
        scenario = load_scenario(path)
        assert scenario.title, f"{path.name} has no title"
        titles.setdefault(scenario.title, []).append(path.name)
    shared = {title: names for title, names in titles.items() if len(names) > 1}
    assert not shared, f"scenarios sharing a title: {shared}"
