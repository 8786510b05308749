"""Express brands: own networks against the public one (issue 11).

Hand-computed times use the tiny county of test_tiny_network (hub H, station S at
10 km, villages A and B 3 km either side of S; circuity 1).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from sim import simulate
from sim.analysis.brands import brand_results
from sim.engine.ledger import COLLECTED_IN_TOWN
from sim.runner import load_checked
from sim.scenario.schema import Scenario
from tests.conftest import SCENARIOS, cli, small_scenario
from tests.engine.test_tiny_network import SECOND, tiny

D_KM = math.sqrt(3**2 + 10**2)  # hub to either village

OWN_TO_OUTLET = {"network": "own", "legs": [{"to": "station", "by": ["trunk"]}]}
OWN_DIRECT = {"network": "own", "legs": [{"to": "point", "by": ["hub_van"]}]}


def with_brands(base: Scenario, brands: dict) -> Scenario:
    return Scenario.model_validate({**base.model_dump(mode="json"), "brands": brands})


def two_own_brands(tmp_path) -> Scenario:
    depot = {
        "inspection": {"rate_per_h": 3600, "open_box_share": 0},
        "sorting": {"rate_per_h": 3600, "service": "deterministic"},
    }
    return with_brands(
        tiny(tmp_path, "via_township"),
        {
            "X": {
                **OWN_TO_OUTLET,
                "share": 0.5,
                "depot": depot,
                "collection_delay_h": {"kind": "deterministic", "mean": 24},
            },
            "Y": {**OWN_DIRECT, "share": 0.5, "depot": depot},
        },
    )


def test_two_own_networks_times_by_hand(tmp_path):
    run = simulate(two_own_brands(tmp_path), seed=3)
    parcels = run.parcels
    x, y = parcels[parcels["brand"] == 0], parcels[parcels["brand"] == 1]
    assert len(x) > 50 and len(y) > 50  # ~100 each expected
    # Each depot sorts only its own brand: k-th parcel inspected at 6 + (k+1) s, sorted
    # one second later, counted within the brand (one depot would reach 2x as far).
    for mine in (x, y):
        k = np.arange(len(mine))
        np.testing.assert_allclose(np.sort(mine["t_sorted"]), 6 + (k + 2) * SECOND)
    # X: its trunk loads from 08:00 for 6 min, 10 km at 50 km/h, 6 min at the outlet S;
    # the path stops there, and the villager collects 24 h later, 2 x 3 km by road.
    np.testing.assert_allclose(x["t_station"], 8.1 + 0.2 + 0.1)
    np.testing.assert_allclose(x["t_at_point"], 8.4)
    np.testing.assert_allclose(x["t_picked_up"], 8.4 + 24.0)
    assert ((x["flags"] & COLLECTED_IN_TOWN) != 0).all()
    # Y: its own van from its depot to the village, 6 min to load, D_KM at 40 km/h,
    # 6 min at the point; picked up after the scenario's deterministic 2 h.
    np.testing.assert_allclose(y["t_at_point"], 8.1 + D_KM / 40 + 0.1)
    np.testing.assert_allclose(y["t_picked_up"], y["t_at_point"] + 2.0)
    assert ((y["flags"] & COLLECTED_IN_TOWN) == 0).all()
    assert y["t_station"].isna().all()
    assert run.kpis["villager_trip_km"] == pytest.approx(6.0 * len(x))
    assert run.kpis["sorting_utilization"] == 0.0  # no brand uses the county hub


def test_conservation_per_brand(tmp_path):
    scenario = small_scenario(
        brands={
            "big": {**OWN_TO_OUTLET, "share": 0.5},
            "mid": {**OWN_DIRECT, "share": 0.3},
            "small": {"share": 0.2},
        },
        demand={"urban_share": 0.3},
    )
    run = simulate(scenario, seed=4)
    parcels = run.parcels
    table = brand_results(run)
    assert list(table["brand"]) == ["big", "mid", "small"]
    # Every parcel has one brand, and the per-brand table counts the cohort's.
    assert set(parcels["brand"]) == {0, 1, 2}
    assert table["parcels"].sum() == run.kpis["parcels_generated"]
    for code in range(3):
        mine = parcels[parcels["brand"] == code]
        town = mine["destination"] == 0
        delivered = mine["t_at_point"].notna() & ~town
        handed = mine["t_left_hub"].notna() & town
        # Every parcel of the brand is delivered, handed to the town, or still inside.
        assert delivered.sum() + handed.sum() + (~delivered & ~handed).sum() == len(mine)
    waiting = sum(run.in_network.values())
    still_inside = (parcels["destination"] != 0) & parcels["t_at_point"].isna()
    town_inside = (parcels["destination"] == 0) & parcels["t_left_hub"].isna()
    assert still_inside.sum() + town_inside.sum() == waiting
    assert (
        run.handed_to_town == ((parcels["destination"] == 0) & parcels["t_left_hub"].notna()).sum()
    )
    # Brands do not move parcels between networks except an outlet-less township's.
    assert (parcels.loc[parcels["brand"] == 2, "network"] == 0).all()


def test_the_brands_share_out_every_km_and_yuan():
    # A network's km and costs are split by parcel share, fees go to each parcel's brand:
    # the brands' parts add up to the run's totals, whatever the mix of networks.
    scenario = small_scenario(
        brands={
            "outlet": {**OWN_TO_OUTLET, "share": 0.3, "depot_cost_per_day_cny": 500},
            "direct": {**OWN_DIRECT, "share": 0.3, "outlet_cost_per_day_cny": 80},
            "p1": {"share": 0.25},
            "p2": {"share": 0.15},
        },
        costs={
            "hub_cost_per_day_cny": 1000,
            "station_cost_per_day_cny": 50,
            "point_fee_per_parcel_cny": 0.5,
            "subsidy_per_parcel_cny": 0.05,
        },
    )
    run = simulate(scenario, seed=6)
    table = brand_results(run)
    assert table["vehicle_km"].sum() == pytest.approx(run.kpis["vehicle_km"], rel=1e-9)
    assert table["cost_cny"].sum() == pytest.approx(run.kpis["cost_total_cny"], rel=1e-9)
    # The outlet brand pays its depot (500) but no outlets (its cost is 0); "direct"
    # delivers to the villages, so its outlet cost is never charged (no station leg).
    days = scenario.horizon.days - scenario.horizon.warmup_days
    assert run.kpis["cost_facilities_cny"] == pytest.approx((1000 + 50 * 2 + 500) * days)
    # Public parcels share the public trips: equal km per parcel for p1 and p2.
    public = table.set_index("brand").loc[["p1", "p2"]]
    per_parcel = public["vehicle_km"] / public["parcels"]
    assert per_parcel["p1"] == pytest.approx(per_parcel["p2"])


def test_a_scenario_without_brands_is_written_as_before_brands_existed(small):
    # So its fingerprint (baselines, --resume) and resolved YAML are unchanged.
    assert "brands" not in small.model_dump(mode="json")
    assert "brands" in with_brands(small, {"all": {"share": 1.0}}).model_dump(mode="json")
    assert Scenario.model_validate(small.model_dump(mode="json")) == small


def test_one_public_brand_is_the_run_without_brands(small):
    plain = simulate(small, seed=7)
    branded = simulate(with_brands(small, {"all": {"share": 1.0}}), seed=7)
    assert branded.kpis == pytest.approx(plain.kpis, nan_ok=True)
    columns = [c for c in plain.parcels.columns if c not in ("brand", "network")]
    pd.testing.assert_frame_equal(plain.parcels[columns], branded.parcels[columns])


def test_one_public_brand_reproduces_the_bundled_via_township():
    overrides = ["horizon.days=3", "horizon.warmup_days=1"]
    base = load_checked(SCENARIOS / "leiyang_via_township.yaml", overrides)
    plain = simulate(base, seed=2)
    branded = simulate(with_brands(base, {"every_brand": {"share": 1.0}}), seed=2)
    for name, value in plain.kpis.items():
        assert branded.kpis[name] == pytest.approx(value, nan_ok=True, rel=0, abs=0), name


def brands_joining(joined: int) -> Scenario:
    """Four equal brands on their own trunk-to-outlet-to-village networks; *joined* public."""
    own = {
        "network": "own",
        "legs": [{"to": "station", "by": ["trunk"]}, {"to": "point", "by": ["township_van"]}],
    }
    brands = {
        f"b{i}": ({"share": 0.25} if i < joined else {**own, "share": 0.25}) for i in range(4)
    }
    return small_scenario(brands=brands, delivery={"model": "via_township"})


def test_brands_joining_one_by_one_never_add_vehicle_km():
    # Every network runs the same kind of routes (trunk to the stations, vans to the
    # villages, planned for its share of demand), so merging two networks' parcels
    # onto one set of routes drives at most the km of both. The same seed gives every
    # parcel the same brand and the same pickup in each scenario.
    km = [simulate(brands_joining(j), seed=5).kpis["vehicle_km"] for j in range(5)]
    for fewer, more in zip(km, km[1:], strict=False):
        assert more <= fewer * 1.02, km  # 2%: routes are planned, not optimal
    assert km[-1] < km[0]


def test_unified_has_no_villager_trips_and_status_quo_has():
    overrides = ["horizon.days=2", "horizon.warmup_days=1", "horizon.drain_days=3"]
    unified = simulate(load_checked(SCENARIOS / "leiyang_unified.yaml", overrides), seed=1)
    status_quo = simulate(load_checked(SCENARIOS / "leiyang_status_quo.yaml", overrides), seed=1)
    assert unified.kpis["villager_trip_km"] == 0.0
    assert status_quo.kpis["villager_trip_km"] > 0.0
    # The same parcels (common random numbers), sorted by six depots or by one hub.
    assert unified.kpis["parcels_generated"] == status_quo.kpis["parcels_generated"]
    # Market-day collection takes longer than a village point's pickup.
    assert status_quo.kpis["door_time_mean_h"] > unified.kpis["door_time_mean_h"]


@pytest.mark.parametrize(
    ("brands", "field"),
    [
        ({"a": {"share": 0.5}, "b": {"share": 0.4}}, "brands"),
        (
            {"a": {"share": 1.0, "network": "own", "legs": [{"to": "station", "by": ["lorry"]}]}},
            "brands.a.legs.0.by.0",
        ),
        ({"a": {**OWN_TO_OUTLET, "share": 1.0, "outlets": ["S9"]}}, "brands.a.outlets.0"),
    ],
)
def test_bad_brands_exit_2_naming_the_field(tmp_path, capsys, brands, field):
    scenario = small_scenario().model_dump(mode="json")
    scenario["brands"] = brands
    path = tmp_path / "bad.yaml"
    path.write_text(json.dumps(scenario))  # JSON is YAML
    code, _, err = cli(["validate", path], capsys)
    assert code == 2
    assert field in err
    assert "Traceback" not in err


def test_a_brand_fleet_waiting_for_a_fleet_it_does_not_use_is_refused():
    legs = [{"to": "station", "by": ["lorry"]}, {"to": "point", "by": ["township_van"]}]
    lorry = {"from_level": "hub", "to_level": "station", "capacity_parcels": 500}
    with pytest.raises(ValueError, match=r"(?s)brands\.a\.legs\.1\.by\.0.*'trunk'"):
        small_scenario(
            fleets={
                "lorry": {**lorry, "speed_kmh": 40, "departures": ["08:00"]},
                # The public trunk carries none of brand a's parcels.
                "township_van": {"departures": {"after": "trunk"}},
            },
            brands={"a": {"share": 1.0, "network": "own", "legs": legs}},
        )


def test_the_bundled_reform_scenarios_share_their_brands():
    from sim.scenario import load_scenario

    loaded = {
        name: load_scenario(SCENARIOS / f"leiyang_{name}.yaml")
        for name in ("status_quo", "partial_reform", "unified")
    }
    shares = {n: {b: v.share for b, v in s.brands.items()} for n, s in loaded.items()}
    assert shares["status_quo"] == shares["partial_reform"] == shares["unified"]
    assert len(shares["unified"]) == 6
    networks = {n: [v.network for v in s.brands.root.values()] for n, s in loaded.items()}
    assert set(networks["status_quo"]) == {"own"} and set(networks["unified"]) == {"public"}
    assert set(networks["partial_reform"]) == {"own", "public"}
    # The same county, demand and seed: the same parcels in all three.
    keep = ("network", "demand", "horizon", "seed")
    dumps = {n: s.model_dump(include=set(keep)) for n, s in loaded.items()}
    assert dumps["status_quo"] == dumps["partial_reform"] == dumps["unified"]


def test_a_township_without_the_brands_outlet_is_served_by_the_public_network():
    brands = {
        "a": {**OWN_TO_OUTLET, "share": 0.5, "outlets": ["T01"], "outlet_cost_per_day_cny": 10},
        "b": {"share": 0.5},
    }
    scenario = small_scenario(brands=brands)
    run = simulate(scenario, seed=1)
    parcels, geo = run.parcels, run.plan.geography
    township = np.array([geo.ids[geo.parent[d]] for d in parcels["destination"]])
    a = parcels["brand"] == 0
    own = [spec.name for spec in run.networks].index("a")
    assert (parcels.loc[a & (township == "T01"), "network"] == own).all()
    assert (parcels.loc[a & (township == "T02"), "network"] == 0).all()  # public
    assert (a & (township == "T02")).sum() > 0
    # Only brand a's parcels for T01 are collected in town.
    in_town = (parcels["flags"] & COLLECTED_IN_TOWN) != 0
    assert (in_town == (a & (township == "T01"))).all()
    # One outlet, 10 CNY a day, over the measured days (the public costs are 0 here).
    days = scenario.horizon.days - scenario.horizon.warmup_days
    assert run.kpis["cost_facilities_cny"] == pytest.approx(10 * days)


def outlets_in(outlets) -> Scenario:
    """Brand a (half the parcels) on its own trunk to its outlets, b on the public network."""
    brands = {"a": {**OWN_TO_OUTLET, "share": 0.5, "outlets": outlets}, "b": {"share": 0.5}}
    return small_scenario(brands=brands)


def test_a_brand_with_one_outlet_plans_and_drives_for_that_township_alone():
    one, every = simulate(outlets_in(["T01"]), seed=2), simulate(outlets_in("all"), seed=2)
    own = [spec.name for spec in one.networks].index("a")
    plan, geo = one.network_plans[own], one.plan.geography
    t01 = geo.ids.index("T01")
    # Its trunk runs one route, hub -> T01 -> hub, whose km are those of the road there
    # and back; no village of T02 has a path in its network.
    assert [s.stops for s in plan.services] == [(0, t01, 0)]
    there_and_back = 2 * float(geo.road_km(0, t01)[0, 0])
    assert sum(plan.services[0].leg_km) == pytest.approx(there_and_back)
    t02_points = geo.points[geo.parent[geo.points] != t01]
    assert (plan.leg_service[t02_points] == -1).all()
    # Every trip it drives is that route; with an outlet in each township it drives more.
    trips = one.trips[one.trips["network"] == own]
    assert len(trips) > 0
    np.testing.assert_allclose(trips["km"] / trips["vehicles"], there_and_back)
    everywhere = every.trips[every.trips["network"] == own]
    assert trips["km"].sum() < everywhere["km"].sum()


@pytest.mark.parametrize("outlets", ["all", ["T01"]])
def test_every_parcel_of_a_brand_with_outlets_is_accounted_for(outlets):
    run = simulate(outlets_in(outlets), seed=3)
    parcels = run.parcels
    inside = (parcels["destination"] != 0) & parcels["t_at_point"].isna()
    inside |= (parcels["destination"] == 0) & parcels["t_left_hub"].isna()
    assert inside.sum() == sum(run.in_network.values())
    for code in (0, 1):
        mine = parcels[parcels["brand"] == code]
        village = mine["destination"] != 0
        # Well before the end of the run every village parcel of the brand has arrived.
        early = village & (mine["t_hub"] < 24.0)
        assert early.sum() > 0
        assert mine.loc[early, "t_at_point"].notna().all()
