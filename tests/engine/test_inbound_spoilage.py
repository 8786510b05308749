"""Inbound perishables spoil too: demand.perishable_shelf_life_h, counted from the hub."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.ledger import PERISHABLE
from sim.runner import simulate
from tests.conftest import SCENARIOS, cli, small_scenario

EARLY = {"waves": [{"time": "05:30", "share": 1.0}], "wave_unload_min": 0}


def early_van(shelf_life_h, model="direct"):
    """Every parcel reaches the hub at 05:30; the only hub van leaves at 08:00."""
    return small_scenario(
        demand={**EARLY, "perishable_share": 0.5, "perishable_shelf_life_h": shelf_life_h},
        hub={"sorting": {"rate_per_h": 100_000, "shifts": [{"start": "00:00", "end": "24:00"}]}},
        fleets={"hub_van": {"departures": ["08:00"], "max_route_h": 8}},
        delivery={"model": model},
        horizon={"days": 2, "warmup_days": 1, "drain_days": 1},
    )


def test_a_perishable_that_cannot_leave_the_hub_in_time_spoils_at_its_shelf_life():
    # 05:30 + 1.5 h = 07:00, before the 08:00 van: every perishable spoils at 07:00 of its day.
    run = simulate(early_van(1.5), seed=3)
    ledger = run.parcels
    perishable = (ledger["flags"] & PERISHABLE) != 0
    assert perishable.sum() > 0 and (~perishable).sum() > 0
    spoiled = ledger[perishable]
    np.testing.assert_allclose(spoiled["t_spoiled"], spoiled["t_hub"] + 1.5)
    np.testing.assert_allclose(spoiled["t_spoiled"] % 24.0, 7.0)
    assert spoiled["t_at_point"].isna().all() and spoiled["t_left_hub"].isna().all()
    assert ledger.loc[~perishable, "t_spoiled"].isna().all()
    k = run.kpis
    assert k["inbound_spoiled_parcels"] == int(
        (perishable & (ledger["t_hub"] >= 24.0) & (ledger["t_hub"] < 48.0)).sum()
    )
    assert k["parcels_generated"] == k["parcels_delivered"] + k["inbound_spoiled_parcels"]


def test_a_shelf_life_longer_than_the_trip_delivers_every_perishable():
    # The van leaves at 08:00 and is back within max_route_h = 8 h: at its point by 16:00,
    # 10.5 h after reaching the hub, well inside a 24 h shelf life.
    run = simulate(early_van(24.0), seed=3)
    ledger = run.parcels
    assert ledger["t_spoiled"].isna().all()
    assert ledger["t_at_point"].notna().all()
    assert run.kpis["inbound_spoiled_parcels"] == 0


def test_more_cold_storage_never_increases_inbound_spoilage():
    spoiled = []
    for cold in (0, 2, 10, 10_000):
        scenario = small_scenario(
            demand={"perishable_share": 0.5, "perishable_shelf_life_h": 4.0},
            delivery={"model": "via_township"},
            stations={"cold_storage_parcels": cold},
        )
        spoiled.append(simulate(scenario, seed=5).kpis["inbound_spoiled_parcels"])
    assert spoiled[0] > 0  # warm, some spoil
    assert spoiled[-1] < spoiled[0], spoiled  # the station's cold room saves some
    assert all(b <= a for a, b in zip(spoiled, spoiled[1:], strict=False)), spoiled


def test_refrigerated_vans_never_increase_inbound_spoilage():
    warm = small_scenario(demand={"perishable_share": 0.5, "perishable_shelf_life_h": 4.0})
    cold = small_scenario(
        demand={"perishable_share": 0.5, "perishable_shelf_life_h": 4.0},
        fleets={"hub_van": {"refrigerated": True}, "township_van": {"refrigerated": True}},
    )
    warm_spoiled = simulate(warm, seed=2).kpis["inbound_spoiled_parcels"]
    assert warm_spoiled > 0
    assert simulate(cold, seed=2).kpis["inbound_spoiled_parcels"] <= warm_spoiled


@pytest.mark.parametrize("model", ["direct", "via_township"])
def test_without_a_shelf_life_perishables_move_as_before(model):
    # The field unset is the model before it existed: perishables only load first.
    base = small_scenario(demand={"perishable_share": 0.4}, delivery={"model": model})
    unset = small_scenario(
        demand={"perishable_share": 0.4, "perishable_shelf_life_h": None},
        delivery={"model": model},
    )
    never = small_scenario(  # a shelf life no parcel can outlast is the same too
        demand={"perishable_share": 0.4, "perishable_shelf_life_h": 8760},
        delivery={"model": model},
    )
    kpis = [simulate(s, seed=7).kpis for s in (base, unset, never)]
    assert kpis[0]["parcels_delivered"] > 0
    for other in kpis[1:]:
        assert other == pytest.approx(kpis[0], nan_ok=True)


def test_a_shelf_life_of_zero_exits_2_naming_the_field(capsys):
    setting = "demand.perishable_shelf_life_h=0"
    code, _, err = cli(["validate", SCENARIOS / "leiyang_direct.yaml", "--set", setting], capsys)
    assert code == 2, err
    assert "demand.perishable_shelf_life_h" in err and "Traceback" not in err


@pytest.mark.parametrize(("model", "shelf_life_h"), [("direct", 1.5), ("via_township", 4.0)])
def test_spoiled_parcels_leave_the_daily_backlogs(model, shelf_life_h):
    from sim.analysis.details import daily_series

    run = simulate(early_van(shelf_life_h, model), seed=3)
    spoiled = run.parcels["t_spoiled"].notna()
    assert spoiled.any()
    in_network = sum(run.in_network.values())
    daily = daily_series(run)
    # At the end every parcel is delivered, spoiled or counted where it is: no backlog
    # is left over by the spoiled ones.
    last = daily.iloc[-1]
    assert last["backlog_hub_end"] + last["backlog_stations_end"] <= in_network
