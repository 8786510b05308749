"""Regions: independent counties as tasks, merged exactly, on every executor."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.analysis.kpis import KPI_NAMES, cohort
from sim.analysis.region import (
    BIN_H,
    RULES,
    histogram_quantiles,
    merge_histograms,
    merge_replication,
)
from sim.experiments import load_region, run_region, run_scenario
from sim.experiments.region import county_seed
from sim.results.reader import ResultsError, load_region_results, load_results
from sim.runner import simulate
from sim.scenario import ScenarioError
from sim.scenario.schema import BUS
from tests.conftest import SCENARIOS, cli

SEED = 5
TINY = {
    "horizon": {"days": 2, "warmup_days": 1, "drain_days": 1},
    "routing": {"iterations": 50},
}
COUNTIES = {
    "small_county": {"network": {"townships": 2, "villages_per_township": [2, 3]}},
    "large_county": {
        "network": {"townships": 3, "villages_per_township": [3, 4], "area_km2": 800, "seed": 9},
        "demand": {"parcels_per_capita_day": 0.02},
        # Fewer staffed hours than the small county's: utilisations weigh differently.
        "hub": {"sorting": {"shifts": [{"start": "04:00", "end": "12:00"}]}},
    },
}


@pytest.fixture(scope="module")
def region_file(tmp_path_factory):
    """Two counties of different sizes, two days each, and a region file naming them."""
    folder = tmp_path_factory.mktemp("region")
    for name, sections in COUNTIES.items():
        document = {"name": name, **TINY, **sections}
        document["demand"] = {"parcels_per_capita_day": 0.01, **sections.get("demand", {})}
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    region = {"region": {"name": "tiny_region", "seed": SEED, "counties": list(COUNTIES)}}
    region["region"]["counties"] = [f"{name}.yaml" for name in COUNTIES]
    path = folder / "region.yaml"
    path.write_text(yaml.safe_dump(region), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def serial(region_file):
    return run_region(region_file, replications=2)


# --------------------------------------------------------------------------- merging


def _pooled(runs):
    """Region KPIs computed by hand from the counties' ledgers and trip logs, pooled."""
    lead, door, generated, delivered, van_load, cost = [], [], 0, 0, [], 0.0
    busy_h = staffed_h = 0.0
    for run in runs:
        ledger = run.ledger
        measured = cohort(run)
        at_point, hub = ledger.column("t_at_point"), ledger.column("t_hub")
        done = measured & ~np.isnan(at_point)
        picked = done & (ledger.column("t_picked_up") <= run.end_h)
        lead.append((at_point - hub)[done])
        door.append((ledger.column("t_picked_up") - hub)[picked])
        generated += int(measured.sum())
        delivered += int(done.sum())
        cost += run.kpis["cost_total_cny"]
        horizon = run.scenario.horizon
        busy_h += float(np.sum(run.sorting_busy_h[horizon.warmup_days : horizon.days]))
        shifts = sum(s.end - s.start for s in run.scenario.hub.sorting.shifts)
        staffed_h += shifts * (horizon.days - horizon.warmup_days)
        trips = run.trips
        trips = trips[(trips["depart_h"] >= 24.0 * horizon.warmup_days)]
        trips = trips[trips["depart_h"] < 24.0 * horizon.days]
        services = run.services.loc[trips["service"]]
        vans = (services["counts_as_van"].to_numpy() == 1) & (services["fleet"].to_numpy() != BUS)
        van_load.append((trips["max_load"] / trips["capacity"]).to_numpy()[vans])
    lead = np.concatenate(lead)
    return {
        "parcels_generated": generated,
        "parcels_delivered": delivered,
        "lead_time_mean_h": lead.mean(),
        "door_time_mean_h": np.concatenate(door).mean(),
        "on_time_24h_share": np.count_nonzero(lead <= 24.0) / generated,
        "cost_per_parcel_cny": cost / generated,
        "van_load_factor_mean": np.concatenate(van_load).mean(),
        "sorting_utilization": busy_h / staffed_h,
        "quantiles": dict(zip((0.5, 0.9, 0.95), np.quantile(lead, [0.5, 0.9, 0.95]), strict=True)),
    }


def test_region_kpis_are_those_of_the_counties_ledgers_pooled(region_file, serial):
    region = load_region(region_file)
    for r in range(2):
        runs = [
            simulate(arm.scenario, seed=county_seed(SEED, k), replication=r)
            for k, arm in enumerate(region.counties)
        ]
        assert runs[0].kpis["parcels_generated"] < runs[1].kpis["parcels_generated"] / 2
        want, got = _pooled(runs), serial.kpis.iloc[r]
        assert got["parcels_generated"] == want["parcels_generated"]
        assert got["parcels_delivered"] == want["parcels_delivered"]
        for name in (
            "lead_time_mean_h",
            "door_time_mean_h",
            "on_time_24h_share",
            "cost_per_parcel_cny",
            "van_load_factor_mean",
            "sorting_utilization",
        ):
            assert got[name] == pytest.approx(want[name], rel=1e-12), name
        for q, name in zip(
            (0.5, 0.9, 0.95), ("lead_time_p50_h", "lead_time_p90_h", "lead_time_p95_h"), strict=True
        ):
            assert abs(got[name] - want["quantiles"][q]) <= BIN_H / 2 + 1e-9, name
        # Not simply one county's value, nor the plain mean of the two.
        plain = np.mean([run.kpis["lead_time_mean_h"] for run in runs])
        assert got["lead_time_mean_h"] != pytest.approx(plain, rel=1e-9)


def test_a_parcel_weighted_mean_by_hand():
    base = dict.fromkeys(KPI_NAMES, 0.0)
    a = {**base, "parcels_generated": 100, "parcels_delivered": 90, "lead_time_mean_h": 10.0}
    b = {**base, "parcels_generated": 300, "parcels_delivered": 200, "lead_time_mean_h": 20.0}
    a["bus_load_factor_mean"], b["bus_load_factor_mean"] = float("nan"), 0.5
    weights = dict.fromkeys(
        (
            "staffed_h",
            "urban_sorted",
            "van_trips",
            "bus_trips",
            "bus_trips_with_cargo_space",
            "outbound_parcel_km",
        ),
        1,
    )
    parts = [
        {
            "weights": {**weights, "bus_trips_with_cargo_space": 0},
            "lead_bins": [600],
            "lead_counts": [90],
        },
        {"weights": weights, "lead_bins": [1200], "lead_counts": [200]},
    ]
    merged = merge_replication([a, b], parts)
    assert merged["parcels_generated"] == 400 and isinstance(merged["parcels_generated"], int)
    assert merged["lead_time_mean_h"] == pytest.approx((90 * 10 + 200 * 20) / 290)
    assert merged["bus_load_factor_mean"] == 0.5  # a county with no bus trips has no say
    # 290 lead times: 90 in minute 600 (10 h), 200 in minute 1200 (20 h); the median is 20 h.
    assert merged["lead_time_p50_h"] == pytest.approx(20.0 + BIN_H / 2)


def test_every_kpi_has_a_region_rule():
    assert set(RULES) == set(KPI_NAMES)


@pytest.mark.parametrize("seed", range(5))
def test_histogram_percentiles_are_within_half_a_bin(seed):
    rng = np.random.default_rng(seed)
    values = [rng.gamma(2.0, 6.0, size=n) for n in (1, 2, 57, 400)]
    parts = []
    for chunk in values:
        bins, counts = np.unique(np.floor(chunk / BIN_H).astype(np.int64), return_counts=True)
        parts.append({"lead_bins": bins.tolist(), "lead_counts": counts.tolist()})
    bins, counts = merge_histograms(parts)
    pooled = np.concatenate(values)
    qs = [0.0, 0.01, 0.5, 0.9, 0.95, 1.0]
    found = histogram_quantiles(bins, counts, qs)
    error = np.abs(np.array(found) - np.quantile(pooled, qs))
    assert error.max() <= BIN_H / 2 + 1e-9
    assert np.isnan(histogram_quantiles(np.array([], int), np.array([], int), [0.5])[0])


# --------------------------------------------------------------------------- seeds, folders


def test_each_county_is_an_ordinary_run_with_its_own_seed(region_file, serial):
    region = load_region(region_file)
    seeds = [county_seed(SEED, k) for k in range(2)]
    assert len(set(seeds)) == 2 and seeds == [county_seed(SEED, k) for k in range(2)]
    assert serial.seeds == dict(zip(COUNTIES, seeds, strict=True))
    alone = run_scenario(region.counties[1].scenario, 2, seed=seeds[1]).kpis
    pd.testing.assert_frame_equal(serial.counties["large_county"], alone, check_exact=True)


def test_the_folder_streams_run_folders_and_reads_back(region_file, tmp_path, capsys):
    out = tmp_path / "region"
    code, printed, _ = cli(
        ["region", region_file, "--replications", 2, "--out", out, "--quiet"], capsys
    )
    assert code == 0, printed
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "region" and manifest["status"] == "complete"
    assert [arm["seed"] for arm in manifest["arms"]] == [county_seed(SEED, k) for k in range(2)]
    for name in COUNTIES:
        county = load_results(out / name)  # what ruralsim report reads
        assert county.kind == "run" and county.seed == county_seed(SEED, list(COUNTIES).index(name))
    back = load_region_results(out)
    assert list(back.counties) == list(COUNTIES)
    with pytest.raises(ResultsError, match="holds a region"):
        load_results(out)


def test_serial_pool_and_dask_give_identical_results(region_file, serial, tmp_path, capsys):
    for name, extra in (("serial", []), ("pool", ["--jobs", 2])):
        argv = ["region", region_file, "--replications", 2, "--out", tmp_path / name, "--quiet"]
        assert cli([*argv, *extra], capsys)[0] == 0

    def tables(name):
        folder = tmp_path / name
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.csv")}

    assert tables("serial") == tables("pool")
    assert "large_county/details/villages.csv" in tables("serial")
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        on_dask = run_region(region_file, replications=2, dask=client)
    pd.testing.assert_frame_equal(serial.kpis, on_dask.kpis, check_exact=True)


# --------------------------------------------------------------------------- bad input


def _region(tmp_path, body, name="bad.yaml"):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def _copy_counties(region_file, tmp_path):
    for name in COUNTIES:
        (tmp_path / f"{name}.yaml").write_text(
            (region_file.parent / f"{name}.yaml").read_text(), encoding="utf-8"
        )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("counties: [a.yaml]\n", "bad.yaml: counties: unknown key 'counties' (allowed: region)"),
        ("region: {name: r}\n", "bad.yaml: region.counties: missing required key"),
        (
            "region: {name: r, counties: []}\n",
            "bad.yaml: region.counties: List should have at least 1 item",
        ),
        (
            "region: {name: 'a b', counties: [small_county.yaml]}\n",
            "bad.yaml: region.name: a scenario name",
        ),
        (
            "region: {name: r, counties: [{scenario: small_county.yaml, sett: {}}]}\n",
            "bad.yaml: region.counties.0.sett: unknown key 'sett' (allowed: scenario, set)",
        ),
        (
            "region: {name: r, counties: [small_county.yaml, nowhere.yaml]}\n",
            "bad.yaml: region.counties.1.scenario: no scenario file 'nowhere.yaml'",
        ),
        (
            "region: {name: r, counties: [{scenario: small_county.yaml, "
            "set: {hub.sorting.rate_per_h: 0}}]}\n",
            "bad.yaml: region.counties.0.set: hub.sorting.rate_per_h: ",
        ),
        (
            "region: {name: r, counties: [small_county.yaml, small_county.yaml]}\n",
            "bad.yaml: region.counties.1: county name 'small_county' repeats county 0",
        ),
        (
            "region: {name: r, counties: [{scenario: small_county.yaml, set: {name: kpis.csv}}]}\n",
            "region.counties.0: county name 'kpis.csv' is one of the region folder's own files",
        ),
    ],
)
def test_bad_region_files_name_the_file_the_path_and_what_is_allowed(
    region_file, tmp_path, capsys, body, message
):
    _copy_counties(region_file, tmp_path)
    path = _region(tmp_path, body)
    with pytest.raises(ScenarioError) as caught:
        load_region(path)
    assert message in str(caught.value).replace(str(tmp_path) + "/", "")
    code, _, err = cli(["region", path, "--out", tmp_path / "out"], capsys)
    assert code == 2 and "Traceback" not in err and err.startswith("ruralsim: error: ")
    assert not (tmp_path / "out").exists()


def test_a_foreign_folder_is_never_written_into(region_file, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes", encoding="utf-8")
    code, _, err = cli(["region", region_file, "--out", out, "--quiet"], capsys)
    assert code == 2 and "is not a ruralsim results folder" in err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert (out / "notes.txt").read_text(encoding="utf-8") == "my notes"


def test_a_county_that_cannot_be_planned_names_its_file(region_file, tmp_path, capsys):
    # Counties are planned on the workers, in parallel: the error still names the county.
    _copy_counties(region_file, tmp_path)
    body = (
        "region: {name: r, counties: [small_county.yaml, {scenario: large_county.yaml, "
        "set: {fleets.township_van.max_route_h: 0.05}}]}\n"
    )
    code, _, err = cli(["region", _region(tmp_path, body), "--out", tmp_path / "out"], capsys)
    assert code == 2 and "Traceback" not in err
    assert "large_county.yaml: fleets.township_van.max_route_h: " in err
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["status"] == "failed"


def test_the_bundled_region_loads(capsys):
    region = load_region(SCENARIOS / "region_hengyang.yaml")
    names = [arm.key for arm in region.counties]
    assert names == ["leiyang_via_township", "hengyang_average", "hengyang_small", "example_county"]
    sizes = {arm.key: arm.scenario.network.area_km2 for arm in region.counties[:3]}
    assert sizes == {"leiyang_via_township": 2650, "hengyang_average": 1275, "hengyang_small": 900}


def test_resume_after_ctrl_c_gives_the_uninterrupted_region(
    region_file, tmp_path, capsys, monkeypatch
):
    import sim.experiments.tasks as tasks

    args = ["region", region_file, "--replications", 2, "--quiet"]
    assert cli([*args, "--out", tmp_path / "whole"], capsys)[0] == 0
    real, calls = tasks.replicate_kpis, []

    def interrupted_after_three(*task):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(task[1:3])
        return real(*task)

    out = tmp_path / "cut"
    monkeypatch.setattr(tasks, "replicate_kpis", interrupted_after_three)
    code, _, err = cli([*args, "--out", out], capsys)
    assert code == 130 and "3 finished replication(s) kept" in err and "--resume" in err
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    # The first county was complete, so its run folder is already there.
    assert load_results(out / "small_county").kind == "run"
    assert not (out / "kpis.csv").exists()

    calls.clear()
    code, _, _ = cli([*args, "--out", out, "--resume"], capsys)
    assert code == 0 and len(calls) == 4 - 3  # nothing redone
    whole = tmp_path / "whole"
    for table in ("kpis.csv", "counties.csv", *(f"{name}/kpis.csv" for name in COUNTIES)):
        assert (out / table).read_bytes() == (whole / table).read_bytes(), table
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["reused_replications"] == 3
