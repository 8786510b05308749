"""Where the time goes: the stages add up to the lead and door times, by hand and on runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.stages import (
    COUNTY,
    STAGE_COLUMNS,
    STAGES,
    costliest_stage,
    mean_stages,
    parcel_stages,
    slowest_villages,
    stage_table,
)
from sim.engine.ledger import JOURNEY, Ledger
from sim.engine.ledger import STAGES as LEDGER_STAGES
from sim.runner import simulate
from tests.conftest import small_scenario


def _ledger(stamps: list[dict]) -> Ledger:
    ledger = Ledger()
    n = len(stamps)
    ledger.append(
        destination=np.zeros(n, dtype=np.int32),
        origin=0,
        direction=0,
        flags=np.zeros(n, dtype=np.uint8),
        t_created=np.array([s["t_hub"] for s in stamps]),
        t_hub=np.array([s["t_hub"] for s in stamps]),
        pickup_delay_h=np.zeros(n),
    )
    for row, parcel in enumerate(stamps):
        for stage, value in parcel.items():
            getattr(ledger, stage)[row] = value
    return ledger


def test_two_parcels_by_hand():
    # A direct parcel: sorted half an hour after arriving, on the van at 2:00, at the
    # point at 3:30, collected at 10:00. A parcel via a station: arrives 1:00, sorted
    # 1:45, trunk at 3:00, station 5:00, township van 6:15, point 7:00, collected 8:00.
    direct = {"t_hub": 0.0, "t_sorted": 0.5, "t_left_hub": 2.0, "t_at_point": 3.5}
    direct["t_picked_up"] = 10.0
    via = {"t_hub": 1.0, "t_sorted": 1.75, "t_left_hub": 3.0, "t_station": 5.0}
    via.update(t_left_station=6.25, t_at_point=7.0, t_picked_up=8.0)
    stages = parcel_stages(_ledger([direct, via]))
    assert stages[0].tolist() == [0.5, 1.5, 0.0, 0.0, 1.5, 6.5]  # no station: zeros
    assert stages[1].tolist() == [0.75, 1.25, 2.0, 1.25, 0.75, 1.0]
    # Lead (all but the point) and door (all) times.
    assert stages[:, :-1].sum(axis=1).tolist() == [3.5, 6.0]
    assert stages.sum(axis=1).tolist() == [10.0, 7.0]


def test_the_new_stamp_is_appended_after_every_older_column():
    assert LEDGER_STAGES[-1] == "t_left_station"
    # The journey order holds every stamp once, the station's departure after its arrival.
    assert sorted(JOURNEY) == sorted(LEDGER_STAGES) and len(set(JOURNEY)) == len(JOURNEY)
    assert JOURNEY.index("t_station") + 1 == JOURNEY.index("t_left_station")


@pytest.fixture(scope="module")
def runs():
    made = {}
    for model in ("direct", "via_township"):
        scenario = small_scenario(name=model, delivery={"model": model})
        made[model] = simulate(scenario, seed=3)
    return made


@pytest.mark.parametrize("chunk_rows", [None, 5])
@pytest.mark.parametrize("model", ["direct", "via_township"])
def test_stage_means_add_up_to_the_kpis(runs, model, chunk_rows, monkeypatch):
    if chunk_rows:  # summed a few ledger rows at a time: the same table
        monkeypatch.setattr("sim.analysis.rows.CHUNK_ROWS", chunk_rows)
    run = runs[model]
    table = stage_table(run)
    county = table[table["village"] == COUNTY].set_index("measure")
    for measure, kpi in (("lead", "lead_time_mean_h"), ("door", "door_time_mean_h")):
        means = county.loc[measure, list(STAGE_COLUMNS)].to_numpy(dtype=float)
        assert (means >= 0).all()
        assert means.sum() == pytest.approx(run.kpis[kpi], rel=1e-12)
        assert county.loc[measure, "total_h"] == pytest.approx(run.kpis[kpi], rel=1e-12)
    assert county.loc["lead", "point_waiting_h"] == 0.0
    assert county.loc["lead", "parcels"] == run.kpis["parcels_delivered"]
    assert county.loc["door", "parcels"] == run.kpis["parcels_picked_up"]
    # Every village's delivered parcels add up to the county's.
    lead = table[table["measure"] == "lead"]
    assert lead.loc[lead["village"] != COUNTY, "parcels"].sum() == county.loc["lead", "parcels"]
    # Each village's stages add up to the mean lead time of its parcels, from pandas.
    parcels = run.parcels
    measured = (parcels["destination"] != 0) & parcels["t_hub"].between(
        run.scenario.horizon.warmup_days * 24.0,
        run.scenario.horizon.days * 24.0,
        inclusive="left",
    )
    geo = run.plan.geography
    by_village = (
        (parcels["t_at_point"] - parcels["t_hub"])[measured]
        .groupby(parcels["destination"][measured].map(lambda p: geo.ids[p]))
        .agg(["mean", "count"])
    )
    villages = lead[lead["parcels"] > 0].set_index("village").drop(index=COUNTY)
    assert set(villages.index) == set(by_village.index)
    for village, row in villages.iterrows():
        assert row["parcels"] == by_village.loc[village, "count"]
        assert row["total_h"] == pytest.approx(by_village.loc[village, "mean"], rel=1e-12)


def test_direct_parcels_spend_no_time_at_a_station_and_via_parcels_do(runs):
    direct = stage_table(runs["direct"]).set_index(["measure", "village"])
    via = stage_table(runs["via_township"]).set_index(["measure", "village"])
    for column in ("to_station_h", "station_waiting_h"):
        assert direct.loc[("lead", COUNTY), column] == 0.0  # zero, not NaN
        assert via.loc[("lead", COUNTY), column] > 0.0


def test_a_parcel_leaves_its_station_after_cross_docking_and_before_its_village(runs):
    run = runs["via_township"]
    ledger = run.ledger
    arrived, left = ledger.column("t_station"), ledger.column("t_left_station")
    at_point = ledger.column("t_at_point")
    passed = ~np.isnan(at_point) & ~np.isnan(arrived)
    assert passed.any()
    crossdock = run.scenario.stations.crossdock_min / 60.0
    assert (left[passed] >= arrived[passed] + crossdock - 1e-9).all()
    assert (left[passed] <= at_point[passed]).all()
    # Never set for a parcel that did not pass a station.
    assert np.isnan(left[np.isnan(arrived)]).all()


def test_slowest_villages_and_the_costliest_stage_from_a_hand_table():
    rows = []
    for replication, shift in ((0, 0.0), (1, 2.0)):
        for village, riding in ((COUNTY, 1.0), ("A", 3.0), ("B", 0.5), ("C", np.nan)):
            times = [0.5, 1.0 + shift, 0.0, 0.0, riding, 0.0]
            rows.append(
                {
                    "replication": replication,
                    "measure": "lead",
                    "village": np.nan if village == COUNTY else village,  # as read from CSV
                    "parcels": 0 if np.isnan(riding) else 10,
                    **dict(zip(STAGE_COLUMNS, times, strict=True)),
                    "total_h": sum(times),
                }
            )
    table = pd.DataFrame(rows)
    means = mean_stages(table)
    assert means.loc[COUNTY, "hub_waiting_h"] == 2.0  # (1 + 3) / 2
    assert means.loc[COUNTY, "total_h"] == pytest.approx(0.5 + 2.0 + 1.0)
    assert costliest_stage(means.loc[COUNTY]) == "hub_waiting"
    assert costliest_stage(means.loc["A"]) == "to_village"  # 3 h riding beats 2 h waiting
    assert slowest_villages(table, 10).index.tolist() == ["A", "B"]  # C never delivered
    assert slowest_villages(table, 1).index.tolist() == ["A"]
    tie = pd.Series(1.0, index=list(STAGE_COLUMNS))
    assert costliest_stage(tie) == STAGES[0]  # a tie goes to the earlier stage
