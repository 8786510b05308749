"""Route plans cached on disk: reused exactly when every planning input agrees.

Each test gets its own cache folder; "a new process" is simulated by clearing the
in-process cache of plans.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from sim import simulate
from sim.engine import model, plan_cache
from tests.conftest import cli, small_scenario
from tests.engine.test_tiny_network import tiny


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder for this test (the plans folder inside it is returned)."""
    monkeypatch.setenv("RURALSIM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RURALSIM_NO_PLAN_CACHE", raising=False)
    model._plan_from_json.cache_clear()
    yield tmp_path / "cache" / "plans"
    model._plan_from_json.cache_clear()


@pytest.fixture
def plannings(monkeypatch):
    """How often routes were really planned (not read from a cache)."""
    calls = []
    real = model.build_plan

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(model, "build_plan", counting)
    return calls


def plan_in_a_new_process(scenario):
    """``plan_for`` as a fresh process sees it: nothing cached in memory."""
    model._plan_from_json.cache_clear()
    return model.plan_for(scenario)


def test_a_plan_is_written_once_and_then_read(cache, plannings):
    scenario = small_scenario()
    first = plan_in_a_new_process(scenario)
    assert len(plannings) == 1 and len(list(cache.glob("*.pickle"))) == 1
    again = plan_in_a_new_process(scenario)
    assert len(plannings) == 1  # read from disk, not planned
    assert again is not first and again.services == first.services
    assert again.geography.ids == first.geography.ids
    for name in ("leg_service", "leg_board", "leg_alight", "fallback_service"):
        np.testing.assert_array_equal(getattr(again, name), getattr(first, name))
    assert not list(cache.glob(".*"))  # no temporary files left behind


def test_a_cached_plan_gives_the_results_of_a_fresh_one(cache, monkeypatch):
    scenario = small_scenario(delivery={"model": "bus"})
    plan_in_a_new_process(scenario)  # stored
    model._plan_from_json.cache_clear()
    cached = simulate(scenario, seed=5)
    monkeypatch.setenv("RURALSIM_NO_PLAN_CACHE", "1")
    model._plan_from_json.cache_clear()
    fresh = simulate(scenario, seed=5)
    pd.testing.assert_frame_equal(cached.parcels, fresh.parcels)
    pd.testing.assert_frame_equal(cached.trips, fresh.trips)
    assert cached.kpis == pytest.approx(fresh.kpis, rel=0, abs=0, nan_ok=True)


# One field of every planning section, and fields that must not matter.
PLANNING_CHANGES = [
    {"network": {"townships": 3}},
    {"network": {"circuity": 1.4}},
    {"demand": {"parcels_per_capita_day": 0.02}},
    {"fleets": {"township_van": {"capacity_parcels": 90}}},
    {"routing": {"iterations": 51}},
    {"routing": {"planning_margin": 1.3}},
    {"delivery": {"model": "direct"}},
    {"delivery": {"model": "bus"}, "buses": {"corridors": {"capacity_parcels": 7}}},
]
OTHER_CHANGES = [
    {"seed": 99},
    {"horizon": {"days": 4}},
    {"hub": {"sorting": {"rate_per_h": 2000}}},
    {"points": {"home_delivery_share": 0.5}},
]


def _scenario(changes):
    sections = {"delivery": {"model": "via_township"}, **changes}
    return small_scenario(**sections)


@pytest.mark.parametrize("changes", PLANNING_CHANGES, ids=lambda c: next(iter(c)))
def test_changing_a_planning_field_plans_again(cache, plannings, changes):
    plan_in_a_new_process(_scenario({}))
    plan_in_a_new_process(_scenario(changes))
    assert len(plannings) == 2 and len(list(cache.glob("*.pickle"))) == 2


@pytest.mark.parametrize("changes", OTHER_CHANGES, ids=lambda c: next(iter(c)))
def test_fields_planning_does_not_read_reuse_the_plan(cache, plannings, changes):
    plan_in_a_new_process(_scenario({}))
    plan_in_a_new_process(_scenario(changes))
    assert len(plannings) == 1


@pytest.mark.parametrize("version", ["solver_version", "ruralsim_version", "source_digest"])
def test_a_new_solver_ruralsim_or_code_plans_again(cache, plannings, monkeypatch, version):
    scenario = small_scenario()
    plan_in_a_new_process(scenario)
    monkeypatch.setattr(plan_cache, version, lambda: "something else")
    plan_in_a_new_process(scenario)
    assert len(plannings) == 2


def test_a_changed_network_csv_plans_again(cache, plannings, tmp_path):
    scenario = tiny(tmp_path, "direct")
    assert len(plan_in_a_new_process(scenario).geography.ids) == 4
    csv = tmp_path / "tiny.csv"
    csv.write_text(csv.read_text() + "C,point,S,0,13,500\n")  # the same file name
    assert len(plan_in_a_new_process(scenario).geography.ids) == 5
    assert len(plannings) == 2


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05K\x01."])
def test_a_damaged_entry_is_planned_again_and_rewritten(cache, plannings, damage):
    scenario = small_scenario()
    expected = plan_in_a_new_process(scenario)
    (entry,) = cache.glob("*.pickle")
    entry.write_bytes(damage)
    assert plan_in_a_new_process(scenario).services == expected.services
    assert len(plannings) == 2
    plan_in_a_new_process(scenario)
    assert len(plannings) == 2  # the rewritten entry is read


def test_an_entry_stored_under_another_key_is_not_used(cache, plannings):
    direct, via = _scenario({"delivery": {"model": "direct"}}), _scenario({})
    plan_in_a_new_process(direct)
    (direct_entry,) = cache.glob("*.pickle")
    plan_in_a_new_process(via)
    (via_entry,) = set(cache.glob("*.pickle")) - {direct_entry}
    via_entry.write_bytes(direct_entry.read_bytes())
    assert {s.fleet for s in plan_in_a_new_process(via).services} == {"trunk", "township_van"}
    assert len(plannings) == 3


def test_a_folder_that_cannot_be_written_only_costs_planning(tmp_path, monkeypatch, plannings):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("RURALSIM_CACHE_DIR", str(blocker))
    model._plan_from_json.cache_clear()
    assert plan_in_a_new_process(small_scenario()).services
    assert plan_in_a_new_process(small_scenario()).services
    assert len(plannings) == 2


def test_the_environment_variable_bypasses_the_cache(cache, plannings, monkeypatch):
    monkeypatch.setenv("RURALSIM_NO_PLAN_CACHE", "1")
    plan_in_a_new_process(small_scenario())
    plan_in_a_new_process(small_scenario())
    assert len(plannings) == 2 and not cache.exists()


SCENARIO_FILE = """\
name: cache_probe
horizon: {{days: {days}, warmup_days: 0, drain_days: 1}}
network: {{townships: 2, villages_per_township: [2, 2], area_km2: 300}}
routing: {{iterations: 40}}
"""


def test_the_no_plan_cache_flag_bypasses_the_cache_for_one_command(cache, tmp_path, capsys):
    scenario = SCENARIO_FILE.format(days=1)
    path = tmp_path / "s.yaml"
    path.write_text(scenario)
    argv = ["validate", path, "--no-plan-cache"]
    assert cli(argv, capsys)[0] == 0
    assert not cache.exists() and "RURALSIM_NO_PLAN_CACHE" not in os.environ
    model._plan_from_json.cache_clear()
    assert cli(argv[:-1], capsys)[0] == 0
    assert len(list(cache.glob("*.pickle"))) == 1


def test_the_cache_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("RURALSIM_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert plan_cache.cache_folder() == tmp_path / "home" / ".cache" / "ruralsim" / "plans"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    assert plan_cache.cache_folder() == tmp_path / "home" / ".cache" / "ruralsim" / "plans"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert plan_cache.cache_folder() == tmp_path / "xdg" / "ruralsim" / "plans"
    monkeypatch.setenv("RURALSIM_CACHE_DIR", str(tmp_path / "mine"))
    assert plan_cache.cache_folder() == tmp_path / "mine" / "plans"
