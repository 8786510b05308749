"""The fingerprint covers every file a scenario reads: ``--resume`` and ``check`` notice edits.

A places CSV or an ``extends`` file edited between two runs must not let a resumed
comparison mix replications of the old and the new network, and the refusal must
name the file that changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.experiments import ExperimentError
from sim.experiments.folder import Arm, ExperimentFolder, changed_inputs, fingerprint
from sim.scenario import ScenarioError, load_scenario
from tests.conftest import cli, small_scenario

PLACES = """\
id,level,parent,x_km,y_km,population
H,hub,,0,0,0
S1,station,H,5,0,0
S2,station,H,-5,3,0
V1,point,S1,7,1,900
V2,point,S1,6,-2,700
V3,point,S2,-6,4,800
V4,point,S2,-4,6,600
"""
BASE = """\
name: base
horizon: {days: 3, warmup_days: 1, drain_days: 1}
network: {source: csv, csv_path: places.csv}
demand: {parcels_per_capita_day: 0.01}
routing: {iterations: 30}
delivery: {model: direct}
"""


@pytest.fixture
def county(tmp_path) -> Path:
    """A seven-place county in a CSV, a base scenario reading it, and two scenarios on it."""
    folder = tmp_path / "county"
    folder.mkdir()
    (folder / "places.csv").write_text(PLACES)
    (folder / "base.yaml").write_text(BASE)
    (folder / "a.yaml").write_text("extends: base.yaml\nname: a\n")
    (folder / "b.yaml").write_text(
        "extends: base.yaml\nname: b\nhub: {sorting: {rate_per_h: 4000}}\n"
    )
    return folder


def snapshot(folder: Path) -> dict:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- the fingerprint


def test_the_fingerprint_covers_the_extends_chain_and_the_places_csv(county, monkeypatch):
    file = county / "a.yaml"
    first = fingerprint(load_scenario(file), file)
    assert sorted(first.inputs) == ["a.yaml", "base.yaml", "places.csv"]
    # Names are relative to the scenario's folder: the working directory does not matter.
    monkeypatch.chdir(county)
    assert fingerprint(load_scenario("a.yaml"), "a.yaml").inputs == first.inputs

    # A comment changes no field, but the file is not the one the results came from.
    (county / "base.yaml").write_text(BASE + "# reviewed\n")
    second = fingerprint(load_scenario(file), file)
    assert second.scenario == first.scenario and second.sha256 != first.sha256
    assert changed_inputs(first.inputs, second.inputs) == ["file base.yaml: contents changed"]

    # One more parcel-receiving person in one village: the same fields, another county.
    (county / "places.csv").write_text(
        PLACES.replace("V4,point,S2,-4,6,600", "V4,point,S2,-4,6,601")
    )
    third = fingerprint(load_scenario(file), file)
    assert third.scenario == first.scenario and third.sha256 != second.sha256
    assert changed_inputs(second.inputs, third.inputs) == ["file places.csv: contents changed"]


def test_a_scenario_in_memory_counts_its_places_csv_only(county):
    synthetic = small_scenario()
    assert fingerprint(synthetic).inputs == {}
    assert fingerprint(synthetic).sha256 == fingerprint(small_scenario()).sha256
    on_csv = small_scenario(network={"source": "csv", "csv_path": str(county / "places.csv")})
    before = fingerprint(on_csv)
    assert list(before.inputs) == [str(county / "places.csv")]
    (county / "places.csv").write_text(PLACES.replace("900", "901"))
    assert fingerprint(on_csv).sha256 != before.sha256


def test_a_vanished_input_file_is_named(county):
    scenario = load_scenario(county / "a.yaml")
    (county / "places.csv").unlink()
    with pytest.raises(ScenarioError) as error:
        fingerprint(scenario, county / "a.yaml")
    assert "places.csv" in str(error.value) and "cannot read it" in str(error.value)


# --------------------------------------------------------------------------- resume


def _folder(root: Path, county: Path, resume: bool) -> ExperimentFolder:
    arms = [
        Arm(name, name, load_scenario(county / f"{name}.yaml"), str(county / f"{name}.yaml"))
        for name in ("a", "b")
    ]
    return ExperimentFolder(root, "compare", arms, seed=1, resume=resume)


@pytest.mark.parametrize(
    ("edit", "phrase"),
    [
        ("base.yaml", "scenario a differs from the one it was run with (file base.yaml: "),
        ("places.csv", "scenario a differs from the one it was run with (file places.csv: "),
        ("b.yaml", "scenario b differs from the one it was run with (file b.yaml: "),
    ],
)
def test_resume_refuses_a_folder_whose_input_files_changed(county, tmp_path, edit, phrase):
    root = tmp_path / "out"
    first = _folder(root, county, resume=False)
    first.start(first.check(), {"replications": 2})
    assert _folder(root, county, resume=True).check() == "resume"  # nothing changed yet
    with (county / edit).open("a") as handle:
        handle.write("\n" if edit.endswith(".csv") else "# edited\n")
    with pytest.raises(ExperimentError) as error:
        _folder(root, county, resume=True).check()
    assert f"cannot resume {root}: {phrase}contents changed)" in str(error.value)


def test_resume_refuses_a_folder_that_did_not_record_its_inputs(county, tmp_path):
    root = tmp_path / "out"
    first = _folder(root, county, resume=False)
    first.start(first.check(), {"replications": 2})
    manifest = json.loads((root / "manifest.json").read_text())
    for arm in manifest["arms"]:  # as an earlier ruralsim wrote it
        del arm["inputs"]
        arm["fingerprint"] = fingerprint(load_scenario(county / f"{arm['key']}.yaml")).scenario
    (root / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ExperimentError) as error:
        _folder(root, county, resume=True).check()
    assert "did not record the scenario's input files" in str(error.value)


def test_a_resumed_compare_refuses_an_edited_places_csv(county, tmp_path, capsys):
    out = tmp_path / "cmp"
    args = ["compare", county / "a.yaml", county / "b.yaml", "--replications", 2]
    args += ["--seed", 1, "--out", out, "--quiet"]
    code, _, err = cli(args, capsys)
    assert code == 0, err
    before = snapshot(out)
    (county / "places.csv").write_text(PLACES.replace("900", "9000"))
    code, printed, err = cli([*args, "--resume"], capsys)
    assert code == 2 and printed == ""
    assert f"cannot resume {out}: scenario a differs" in err
    assert "places.csv: contents changed" in err and "Traceback" not in err
    assert snapshot(out) == before  # the old results are left as they were


def test_a_resumed_compare_refuses_an_edited_extends_file(county, tmp_path, capsys):
    out = tmp_path / "cmp"
    args = ["compare", county / "a.yaml", county / "b.yaml", "--replications", 2]
    args += ["--seed", 1, "--out", out, "--quiet"]
    assert cli(args, capsys)[0] == 0
    (county / "base.yaml").write_text(BASE + "# a comment, still a different file\n")
    code, _, err = cli([*args, "--resume"], capsys)
    assert code == 2
    assert "file base.yaml: contents changed" in err


# --------------------------------------------------------------------------- check


def test_check_lists_an_edited_places_csv(county, tmp_path, capsys):
    baseline = tmp_path / "baselines"
    file = county / "a.yaml"
    argv = ["check", file, "--baseline", baseline, "--replications", 2]
    code, _, err = cli([*argv, "--update"], capsys)
    assert code == 0, err
    recorded = json.loads((baseline / "a.json").read_text())["inputs"]
    assert sorted(recorded) == ["a.yaml", "base.yaml", "places.csv"]
    code, printed, _ = cli(argv, capsys)
    assert code == 0 and "scenario unchanged since the baseline (same fingerprint" in printed
    (county / "places.csv").write_text(PLACES + "V5,point,S1,8,2,500\n")
    code, printed, err = cli(argv, capsys)
    assert code in (0, 1), err
    assert "scenario changed since the baseline (1 file); compared anyway:" in printed
    assert "    file places.csv: contents changed" in printed


# --------------------------------------------------------------------------- damaged folders


@pytest.mark.parametrize(
    ("manifest", "phrase"),
    [
        ("[]", "manifest.json is damaged"),
        ([1, 2], "manifest.json is damaged (no list of the experiment's scenarios)"),
        ("a", "manifest.json is damaged (no list of the experiment's scenarios)"),
        ("[" * 100_000 + "]" * 100_000, "unreadable manifest.json"),
    ],
    ids=["list", "arms of numbers", "arms a text", "deep"],
)
def test_resume_refuses_a_damaged_manifest_with_a_message(county, tmp_path, manifest, phrase):
    root = tmp_path / "out"
    first = _folder(root, county, resume=False)
    first.start(first.check(), {"replications": 2})
    if not isinstance(manifest, str) or manifest == "a":  # this manifest, its arms damaged
        data = json.loads((root / "manifest.json").read_text())
        manifest = json.dumps({**data, "arms": manifest})
    (root / "manifest.json").write_text(manifest)
    with pytest.raises(ExperimentError) as error:
        _folder(root, county, resume=True).check()
    assert f"cannot resume {root}: " in str(error.value) and phrase in str(error.value)


def test_a_scenario_recorded_too_deep_to_compare_is_named(county, tmp_path, monkeypatch):
    root = tmp_path / "out"
    first = _folder(root, county, resume=False)
    first.start(first.check(), {"replications": 2})
    (county / "a.yaml").write_text("extends: base.yaml\nname: a\nseed: 5\n")
    # json reads nesting a little deeper than comparing it field by field can go.
    import sim.experiments.folder

    def too_deep(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(sim.experiments.folder, "flatten", too_deep)
    with pytest.raises(ExperimentError) as error:
        _folder(root, county, resume=True).check()
    assert "scenario a differs" in str(error.value) and "damaged manifest" in str(error.value)


@pytest.mark.parametrize("record", ["[]", '{"row": []}', '{"row": {"replication": "x"}}', "\x00"])
def test_a_damaged_replication_record_is_run_again(county, tmp_path, record):
    root = tmp_path / "out"
    first = _folder(root, county, resume=False)
    first.start(first.check(), {"replications": 2})
    row = {"replication": 0, "seed": 1, "lead_time_mean_h": 5.0}
    first.save("a", row)
    first.save("a", {**row, "replication": 1})
    (root / "a" / "replications" / "r0001.json").write_text(record)
    again = _folder(root, county, resume=True)
    again.start(again.check(), {"replications": 2})
    assert sorted(again.records["a"]) == [0] and again.reused == 1
