"""First kilometre: farm products from the village points to the outbound line-haul."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.engine.ledger import INBOUND, OUTBOUND
from sim.engine.model import plan_for
from sim.runner import simulate
from sim.scenario.schema import Scenario, format_clock
from tests.conftest import SCENARIOS, cli, small_scenario

DAYLILY = {"name": "daylily", "share": 0.7, "perishable": True, "shelf_life_h": 20}
OIL = {"name": "camellia_oil", "share": 0.3}


def harvest(**sections):
    """A small county with farm products going out, run for 3 days."""
    outbound = {
        "parcels_per_capita_day": 0.01,
        "products": [DAYLILY, OIL],
        "linehaul_departures": ["18:00"],
        **sections.pop("outbound", {}),
    }
    return small_scenario(outbound=outbound, **sections)


def _inbound_conserved(run) -> None:
    ledger = run.parcels
    inbound = ledger[ledger["direction"] == INBOUND]
    delivered = int(inbound["t_at_point"].notna().sum())
    where = {k: v for k, v in run.in_network.items() if not k.startswith("outbound_")}
    assert len(inbound) == delivered + run.handed_to_town + sum(where.values())


def _outbound_conserved(run) -> None:
    ledger = run.parcels
    out = ledger[ledger["direction"] == OUTBOUND]
    shipped = int((out["t_shipped"] <= run.end_h).sum())
    spoiled = int((out["t_spoiled"] <= run.end_h).sum())
    # Counted where they physically are: queues, vehicles, the hub.
    where = sum(v for k, v in run.in_network.items() if k.startswith("outbound_"))
    assert len(out) == shipped + spoiled + where, run.in_network
    assert not ((out["t_shipped"] <= run.end_h) & (out["t_spoiled"] <= run.end_h)).any()


@pytest.mark.parametrize("model", ["direct", "via_township"])
@pytest.mark.parametrize("drain_days", [0, 1])
def test_every_parcel_of_either_direction_is_accounted_for(model, drain_days):
    scenario = harvest(
        delivery={"model": model},
        horizon={"days": 2, "warmup_days": 1, "drain_days": drain_days},
        stations={"cold_storage_parcels": 5},
    )
    run = simulate(scenario, seed=4)
    _inbound_conserved(run)
    _outbound_conserved(run)
    k = run.kpis
    assert k["outbound_parcels_generated"] > 0
    assert k["outbound_parcels_generated"] == (
        k["outbound_parcels_shipped"] + k["spoiled_parcels"] + k["outbound_parcels_in_system"]
    )
    assert k["parcels_generated"] == k["parcels_delivered"] + k["parcels_in_system"]


def _one_village(cutoffs, inbound=0.0, product=None):
    """One village on one van route; products dropped off 07:00-07:01, the van leaves at 08:00."""
    return small_scenario(
        horizon={"days": 2, "warmup_days": 1, "drain_days": 1},
        network={"townships": 1, "villages_per_township": [1, 1]},
        demand={"parcels_per_capita_day": inbound},
        delivery={"model": "direct"},
        fleets={"hub_van": {"departures": ["08:00"], "stop_min": 0, "handling_min_per_parcel": 0}},
        outbound={
            "parcels_per_capita_day": 0.02,
            "products": [product or OIL | {"share": 1.0}],
            "drop_off": [{"start": "07:00", "end": "07:01"}],
            # One parcel a minute, so the last of n is sorted n minutes after arrival.
            "sorting": {"rate_per_h": 60, "shifts": [{"start": "00:00", "end": "24:00"}]},
            "linehaul_departures": cutoffs,
        },
    )


@pytest.mark.parametrize("inbound", [0.0, 0.02])
def test_a_vans_return_brings_the_products_to_the_hub_for_the_cut_off(inbound):
    probe = _one_village(["23:00"], inbound)
    van = plan_for(probe).services[0]
    assert len(van.stops) == 3  # hub, the village, hub
    # No stop or handling time: the van is back at the hub after driving both legs.
    back_h = 8.0 + van.leg_h[0] + van.leg_h[1]
    first = simulate(probe, seed=7).parcels
    n = int(((first["direction"] == OUTBOUND) & (first["t_created"] < 24.0)).sum())
    assert 0 < n < 60
    sorted_h = back_h + n / 60.0  # the last parcel of day 0, sorted one a minute
    make_h = math.ceil(sorted_h * 60.0 + 1.0) / 60.0  # a minute or two after
    miss_h = math.floor(sorted_h * 60.0 - 1.0) / 60.0  # a minute or two before

    def day0(cutoffs):
        run = simulate(_one_village([format_clock(t) for t in cutoffs], inbound), seed=7)
        out = run.parcels[run.parcels["direction"] == OUTBOUND]
        return run, out[out["t_created"] < 24.0].sort_values("t_sorted")

    run, made = day0([make_h])
    assert len(made) == n  # the same parcels: common random numbers
    assert np.allclose(made["t_reached_hub"], back_h)
    assert made["t_sorted"].to_numpy() == pytest.approx(back_h + np.arange(1, n + 1) / 60.0)
    assert np.allclose(made["t_shipped"], make_h)
    run, missed = day0([miss_h])
    late = missed["t_sorted"] > miss_h
    assert late.iloc[-1]  # the last one misses by a minute or two
    assert np.allclose(missed["t_shipped"][late], 24.0 + miss_h)
    assert np.allclose(missed["t_shipped"][~late], miss_h)
    _, both = day0([miss_h, make_h])
    assert np.allclose(both["t_shipped"], np.where(late, make_h, miss_h))


def test_more_cold_storage_never_increases_spoilage():
    spoiled = []
    for cold in (0, 3, 30, 10_000):
        scenario = harvest(
            delivery={"model": "via_township"},
            horizon={"days": 3, "warmup_days": 1, "drain_days": 1},
            stations={"cold_storage_parcels": cold},
        )
        spoiled.append(simulate(scenario, seed=5).kpis["spoiled_parcels"])
    assert spoiled[0] > 0  # warm, some spoil
    assert all(b <= a for a, b in zip(spoiled, spoiled[1:], strict=False)), spoiled


def test_refrigerated_vans_never_increase_spoilage():
    warm = harvest(horizon={"days": 3, "warmup_days": 1, "drain_days": 1})
    cold = harvest(
        horizon={"days": 3, "warmup_days": 1, "drain_days": 1},
        fleets={"hub_van": {"refrigerated": True}},
    )
    assert (
        simulate(cold, seed=2).kpis["spoiled_parcels"]
        <= (simulate(warm, seed=2).kpis["spoiled_parcels"])
    )


def test_a_later_cut_off_never_lowers_the_same_day_share():
    shares = []
    for cutoff in ("10:00", "13:00", "16:00", "19:00", "22:00", "24:00"):
        scenario = harvest(
            outbound={"linehaul_departures": [cutoff]},
            horizon={"days": 3, "warmup_days": 1, "drain_days": 1},
        )
        shares.append(simulate(scenario, seed=3).kpis["outbound_same_day_share"])
    assert shares[0] < shares[-1], shares
    assert all(b >= a for a, b in zip(shares, shares[1:], strict=False)), shares


def test_a_bus_carries_farm_products_back_to_the_hub():
    corridors = {
        "townships": "all",
        "departures_out": ["09:00", "14:00"],
        "departures_back": ["07:00", "12:00", "16:00"],
        "capacity_parcels": 60,
    }
    scenario = harvest(
        delivery={"model": "bus"},
        buses={"policy": "bus_first", "corridors": corridors},
        horizon={"days": 2, "warmup_days": 1, "drain_days": 1},
    )
    run = simulate(scenario, seed=1)
    names = run.services["name"]
    back = run.trips[run.trips["service"].map(names).str.endswith(":back")]
    assert len(back) > 0
    assert back["outbound_parcels"].sum() > 0
    assert (back["max_load"] / back["capacity"]).max() > 0  # no longer empty that way
    assert run.kpis["backhaul_share"] == pytest.approx(1.0)  # buses run anyway
    _outbound_conserved(run)


def test_without_outbound_parcels_nothing_else_changes():
    """The outbound machinery carrying nothing leaves every inbound result as it was."""
    plain = small_scenario(delivery={"model": "via_township"})
    idle = harvest(delivery={"model": "via_township"}, outbound={"parcels_per_capita_day": 0})
    a, b = simulate(plain, seed=9), simulate(idle, seed=9)
    assert a.parcels.equals(b.parcels)
    assert a.trips.equals(b.trips[a.trips.columns])
    assert {k: v for k, v in b.kpis.items() if not np.isnan(v)} == {
        k: v for k, v in a.kpis.items() if not np.isnan(v)
    }


def test_outbound_parcels_stay_out_of_the_inbound_kpis():
    plain = small_scenario()
    busy = harvest()
    a, b = simulate(plain, seed=6).kpis, simulate(busy, seed=6).kpis
    assert a["parcels_generated"] == b["parcels_generated"]
    assert a["urban_parcels"] == b["urban_parcels"]
    assert b["outbound_parcels_generated"] > 0


@pytest.mark.parametrize(
    ("setting", "field"),
    [
        ("outbound.products.0.season.start=02-30", "outbound.products.0.season.start"),
        ("outbound.products.0.shelf_life_h=0", "outbound.products.0.shelf_life_h"),
        ('outbound.linehaul_departures=["24:30"]', "outbound.linehaul_departures.0"),
        ("outbound.products.1.share=0.9", "outbound.products"),
    ],
)
def test_bad_outbound_input_exits_2_naming_the_field(capsys, setting, field):
    scenario = SCENARIOS / "leiyang_harvest_via_township.yaml"
    code, _, err = cli(["validate", scenario, "--set", setting], capsys)
    assert code == 2, err
    assert field in err and "Traceback" not in err


def test_farm_products_with_a_brand_on_its_own_network_are_refused():
    # Which brand's vehicles would carry the products back is not modelled: refused,
    # naming the outbound section, rather than silently riding one network.
    data = _one_village(["23:00"]).model_dump(mode="json")
    own = {"network": "own", "legs": [{"to": "point", "by": ["hub_van"]}]}
    data["brands"] = {"a": {"share": 0.5}, "b": {"share": 0.5, **own}}
    with pytest.raises(ValueError, match=r"(?s)outbound.*public network only"):
        Scenario.model_validate(data)
    data["brands"]["b"] = {"share": 0.5}  # every brand public: accepted
    assert Scenario.model_validate(data).outbound is not None
