"""One results-folder format: every kind ruralsim writes is a valid Manifest, and back."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import sim
from sim.experiments import run_scenario
from sim.results.manifest import Manifest, ManifestError, check_manifest, read_manifest
from sim.results.reader import load_results
from tests.conftest import small_scenario


def direct():
    return small_scenario(name="direct", delivery={"model": "direct"})


def via():
    return small_scenario(name="via", delivery={"model": "via_township"})


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("m") / "cmp"
    sim.compare([direct(), via()], replications=2, seed=3, out=out)
    return out


def test_a_comparison_and_each_of_its_scenarios_are_typed_manifests(compared):
    whole = read_manifest(compared)
    assert (whole.kind, whole.status, whole.seed, whole.replications) == (
        "compare",
        "complete",
        3,
        2,
    )
    assert [arm.label for arm in whole.arms] == ["direct", "via"]
    assert [entry.name for entry in whole.scenarios] == ["direct", "via"]
    for name in ("direct", "via"):
        own = read_manifest(compared / name)
        # Each scenario's folder is a complete run folder of its own.
        assert (own.kind, own.status, own.name, own.seed) == ("run", "complete", name, 3)
        assert own.arms[0].fingerprint == whole.arms[["direct", "via"].index(name)].fingerprint
        assert own.arms[0].key == ""
        assert sim.Scenario.model_validate(own.scenario).name == name


def test_a_scenario_folder_of_a_comparison_reports_as_a_run(compared):
    alone = load_results(compared / "via")
    together = load_results(compared)
    assert alone.kind == "run" and alone.names == ["via"]
    pd.testing.assert_frame_equal(alone.kpis["via"], together.kpis["via"])


def test_a_run_is_a_one_arm_experiment_with_the_same_numbers(tmp_path, compared):
    result = run_scenario(via(), replications=2, seed=3, out=tmp_path / "run")
    # Common random numbers: the same replications as the comparison's arm.
    read = load_results(compared).kpis["via"]
    pd.testing.assert_frame_equal(result.kpis, read, check_dtype=False)
    written = (tmp_path / "run" / "kpis.csv").read_bytes()
    assert written == (compared / "via" / "kpis.csv").read_bytes()
    manifest = read_manifest(tmp_path / "run")
    assert (manifest.kind, manifest.status, manifest.name) == ("run", "complete", "via")
    assert set(result.files) >= {"kpis.csv", "manifest.json", "details/daily.csv"}
    assert all((tmp_path / "run" / name).is_file() for name in result.files)
    # .table: one row per KPI; its means are the replications' means.
    table = result.table.set_index("kpi")
    assert table.loc["lead_time_mean_h", "mean"] == pytest.approx(
        result.kpis["lead_time_mean_h"].mean()
    )
    assert "lead_time_mean_h" in result.report()


def test_a_manifest_written_before_runs_had_a_kind_reads_as_a_run():
    legacy = {
        "scenario_name": "old",
        "seed": 1,
        "replications": 2,
        "package_version": "0.1.0",
        "scenario": {"name": "old"},
    }
    manifest = check_manifest(legacy, "m.json")
    assert (manifest.kind, manifest.status, manifest.name) == ("run", "complete", "old")


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        ({"kind": "poem"}, "field 'kind'"),
        ({"status": "half"}, "field 'status'"),
        ({"seed": -1}, "field 'seed' is -1"),
        ({"replications": 0}, "field 'replications' is 0"),
        ({"replications": True}, "field 'replications' is True"),
        ({"confidence_level": 1.5}, "field 'confidence_level' is 1.5"),
        ({"wall_seconds": float("nan")}, "field 'wall_seconds'"),
        ({"arms": [{"key": "a"}]}, "field 'arms'"),
        ({"varied_paths": []}, "a sweep names its varied_paths"),
        ({"status": "complete", "replications": "auto"}, "says how many replications"),
    ],
)
def test_a_damaged_manifest_is_refused_naming_the_field(compared, change, phrase):
    data = json.loads((compared / "manifest.json").read_text())
    if "varied_paths" in change:
        data.update(kind="sweep", points=[{"point": "p000", "values": {}}])
    data.update(change)
    with pytest.raises(ManifestError, match=None) as caught:
        check_manifest(data, compared / "manifest.json")
    assert phrase in str(caught.value) and "manifest.json" in str(caught.value)


def test_writers_cannot_write_what_readers_would_refuse(tmp_path):
    with pytest.raises(ValueError, match="replications"):
        Manifest.model_validate({"kind": "compare", "seed": 1, "replications": 0})
    with pytest.raises(ManifestError, match="not a JSON object"):
        check_manifest([], tmp_path / "manifest.json")
