"""Compare and sweep keep each replication's detail tables; results do not depend on how."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

import sim.experiments.tasks as tasks
from sim import simulate
from sim.analysis.details import (
    daily_series,
    day_kind_kpis,
    lead_time_percentiles,
    network_tables,
    village_lead_times,
)
from sim.experiments import compare
from sim.report import load_results
from tests.report.conftest import direct, via

TABLES = ("lead_time_percentiles", "villages", "daily", "day_kinds", "places", "services")


def details_bytes(folder, arms=("sc_direct", "sc_via")) -> dict:
    return {
        (arm, table): (folder / arm / "details" / f"{table}.csv").read_bytes()
        for arm in arms
        for table in TABLES
    }


def test_the_stored_tables_are_those_of_each_replication(compare_folder):
    where = compare_folder / "sc_via" / "details"
    stored = {t: pd.read_csv(where / f"{t}.csv") for t in TABLES}
    for replication in range(3):
        run = simulate(via(), seed=2, replication=replication)
        for table, expected in (
            ("lead_time_percentiles", lead_time_percentiles(run)),
            ("villages", village_lead_times(run)),
            ("daily", daily_series(run)),
            ("day_kinds", day_kind_kpis(run)),
        ):
            mine = stored[table][stored[table]["replication"] == replication]
            mine = mine.drop(columns="replication").reset_index(drop=True)
            pd.testing.assert_frame_equal(mine, expected, check_dtype=False, rtol=0, atol=0)
    places, services = network_tables(simulate(via(), seed=2).plan)
    # The hub has no parent and no township: empty cells.
    stored_places = stored["places"].fillna({"parent": "", "township": ""})
    pd.testing.assert_frame_equal(stored_places, places, check_dtype=False)
    pd.testing.assert_frame_equal(stored["services"], services, check_dtype=False)
    manifest = json.loads((compare_folder / "manifest.json").read_text())
    assert "sc_via/details/villages.csv" in manifest["files"]


def test_details_are_byte_identical_serially_and_on_a_process_pool(compare_folder, tmp_path):
    compare([direct(), via()], replications=3, seed=2, out=tmp_path / "pool", jobs=2)
    assert details_bytes(tmp_path / "pool") == details_bytes(compare_folder)


def test_resume_after_an_interruption_gives_the_same_details(compare_folder, tmp_path, monkeypatch):
    real, calls = tasks.replicate_kpis, []

    def interrupted_after_two(*task):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(task)
        return real(*task)

    out = tmp_path / "cut"
    monkeypatch.setattr(tasks, "replicate_kpis", interrupted_after_two)
    with pytest.raises(KeyboardInterrupt):
        compare([direct(), via()], replications=3, seed=2, out=out)
    assert not (out / "sc_direct" / "details").exists()
    monkeypatch.setattr(tasks, "replicate_kpis", real)
    resumed = compare([direct(), via()], replications=3, seed=2, out=out, resume=True)
    assert resumed.reused == 2
    assert details_bytes(out) == details_bytes(compare_folder)


def test_records_without_details_give_a_folder_without_them(compare_folder, tmp_path):
    out = tmp_path / "old"
    shutil.copytree(compare_folder, out)
    for arm in ("sc_direct", "sc_via"):
        shutil.rmtree(out / arm / "details")
    record = out / "sc_via" / "replications" / "r0001.json"
    data = json.loads(record.read_text())
    del data["details"]  # as an older ruralsim kept it
    record.write_text(json.dumps(data))
    compare([direct(), via()], replications=3, seed=2, out=out, resume=True)
    assert (out / "sc_direct" / "details" / "villages.csv").is_file()
    assert not (out / "sc_via" / "details").exists()
    results = load_results(out)
    assert results.missing_details == ["sc_via"] and list(results.details) == ["sc_direct"]
