"""The ``ruralsim`` command end to end: outputs, determinism and bad input."""

from __future__ import annotations

import gc
import json
import os
import platform
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from sim import KPI_NAMES, Scenario, load_scenario
from sim.cli import main
from tests.conftest import SCENARIOS

SHORT = [
    "--set",
    "horizon.days=3",
    "--set",
    "horizon.warmup_days=1",
    "--set",
    "routing.iterations=30",
]


def test_run_writes_manifest_and_kpis(tmp_path, capsys):
    out = tmp_path / "via"
    scenario = SCENARIOS / "leiyang_via_township.yaml"
    code = main(
        ["run", str(scenario), "--replications", "2", "--seed", "7", "--out", str(out), *SHORT]
    )
    assert code == 0
    kpis = pd.read_csv(out / "kpis.csv")
    assert list(kpis["replication"]) == [0, 1]
    assert set(KPI_NAMES) <= set(kpis.columns)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["replications"] == 2
    assert manifest["scenario"]["horizon"]["days"] == 3
    assert manifest["overrides"] == [s for s in SHORT if s != "--set"]
    # The manifest's scenario is complete: it validates back into the same scenario.
    assert Scenario.model_validate(manifest["scenario"]) == load_scenario(
        scenario, manifest["overrides"]
    )
    printed = capsys.readouterr().out
    assert "lead_time_p90_h" in printed and "95% confidence interval" in printed
    assert sorted(p.name for p in out.parent.iterdir()) == ["via"]  # no temporary leftovers
    # The report's tables: every replication's, with the planned network once.
    percentiles = pd.read_csv(out / "details" / "lead_time_percentiles.csv")
    assert sorted(percentiles["replication"].unique()) == [0, 1]
    p90 = percentiles[percentiles["quantile"].round(2) == 0.9].set_index("replication")
    assert p90["lead_time_h"].to_numpy() == pytest.approx(kpis["lead_time_p90_h"].to_numpy())
    places = pd.read_csv(out / "details" / "places.csv")
    assert (places["level"] == "station").sum() == 24


def test_same_seed_gives_byte_identical_kpis(tmp_path):
    scenario = str(SCENARIOS / "leiyang_direct.yaml")
    for name in ("a", "b"):
        main(["run", scenario, "--seed", "3", "--out", str(tmp_path / name), "--quiet", *SHORT])
    assert (tmp_path / "a" / "kpis.csv").read_bytes() == (tmp_path / "b" / "kpis.csv").read_bytes()
    main(["run", scenario, "--seed", "4", "--out", str(tmp_path / "c"), "--quiet", *SHORT])
    assert (tmp_path / "a" / "kpis.csv").read_bytes() != (tmp_path / "c" / "kpis.csv").read_bytes()


def test_version_is_the_installed_one(capsys):
    from importlib import metadata

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"ruralsim {metadata.version('ruralsim')}"


def test_validate_prints_a_chinese_name_as_written(capsys):
    scenario = SCENARIOS / "leiyang_direct.yaml"
    assert main(["validate", str(scenario), "--set", "name=耒阳_direct"]) == 0
    assert "name: 耒阳_direct" in capsys.readouterr().out


def test_validate_prints_the_resolved_scenario(capsys):
    assert main(["validate", str(SCENARIOS / "leiyang_direct.yaml")]) == 0
    resolved = yaml.safe_load(capsys.readouterr().out)
    assert resolved["delivery"]["model"] == "direct"  # from the child file
    assert resolved["hub"]["sorting"]["rate_per_h"] == 8000  # from the base it extends
    assert Scenario.model_validate(resolved) == load_scenario(SCENARIOS / "leiyang_direct.yaml")


def test_python_dash_m_and_console_script_agree(tmp_path):
    args = ["validate", str(SCENARIOS / "leiyang_via_township.yaml")]
    by_module = subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True)
    by_script = subprocess.run(["ruralsim", *args], capture_output=True, text=True)
    assert by_module.returncode == by_script.returncode == 0
    assert by_module.stdout == by_script.stdout


@pytest.mark.parametrize(("given", "huge_pages"), [(None, False), ("1", True)])
def test_the_command_runs_numpy_without_huge_pages_unless_told(given, huge_pages):
    """The command sets NUMPY_MADVISE_HUGEPAGE=0 before numpy loads; a user's value wins."""
    code = (
        "import sys; from sim.cli import main; "
        f"main(['validate', {str(SCENARIOS / 'leiyang_base.yaml')!r}]); "
        "import numpy; print(numpy._core.multiarray._get_madvise_hugepage(), file=sys.stderr)"
    )
    env = {key: value for key, value in os.environ.items() if key != "NUMPY_MADVISE_HUGEPAGE"}
    if given is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = given
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == str(huge_pages)


def test_the_command_leaves_the_modules_out_of_garbage_collection():
    code = (
        "import gc, sys; from sim.cli import main; "
        f"main(['validate', {str(SCENARIOS / 'leiyang_base.yaml')!r}]); "
        "print(gc.get_freeze_count(), gc.isenabled(), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    frozen, collecting = done.stderr.strip().splitlines()[-1].split()
    assert int(frozen) > 10_000  # pandas, pydantic, numpy ...
    assert collecting == "True"  # collecting again once they are loaded


def test_the_command_keeps_a_callers_garbage_collection_setting(capsys):
    gc.disable()
    try:
        assert main(["validate", str(SCENARIOS / "leiyang_base.yaml")]) == 0
        assert not gc.isenabled()
        with pytest.raises(SystemExit):  # a usage error, before the modules load
            main(["validate", "--no-such-option"])
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(SystemExit):
        main(["validate", "--no-such-option"])
    assert gc.isenabled()


REUSE_FREED_MEMORY = """
import os, resource, sys
from sim.cli import main
main(["validate", {scenario!r}])
import numpy as np
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):  # a day's temporaries, made and freed
    blocks = [np.ones(1 << 19) for _ in range(3)]
    del blocks
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(faults, os.environ.get("MALLOC_TRIM_THRESHOLD_"), file=sys.stderr)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator settings")
@pytest.mark.parametrize(("given", "reused"), [(None, True), ("0", False)])
def test_the_command_keeps_freed_memory_for_reuse_unless_told(given, reused):
    """Freed temporaries stay in the heap for reuse (sim.cli.memory); a user's setting wins.

    Three 4 MiB arrays made and freed 20 times fault in 3,072 pages once when the freed
    memory is reused; glibc's defaults return it to the kernel (42,000 faults here).
    """
    code = REUSE_FREED_MEMORY.format(scenario=str(SCENARIOS / "leiyang_base.yaml"))
    env = {key: value for key, value in os.environ.items() if not key.startswith("MALLOC_")}
    if given is not None:
        env["MALLOC_TRIM_THRESHOLD_"] = given
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    faults, trim = done.stderr.strip().splitlines()[-1].split()
    if reused:
        assert int(faults) < 2 * 3 * 1024
        assert trim == str(256 << 20)  # and the workers the command starts inherit it
    else:
        assert int(faults) > 10 * 3 * 1024
        assert trim == given


def test_interrupted_run_leaves_no_results(tmp_path, monkeypatch):
    import sim.experiments.tasks

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.experiments.tasks, "replicate_kpis", interrupted)
    out = tmp_path / "results" / "x"
    code = main(["run", str(SCENARIOS / "leiyang_direct.yaml"), "--out", str(out), *SHORT])
    assert code == 130
    assert not out.exists() and list(out.parent.iterdir()) == []


def write(path, text):
    path.write_text(text)
    return path


BAD = {
    "zero sorting rate": (
        "hub:\n  sorting:\n    rate_per_h: 0\n",
        "hub.sorting.rate_per_h",
        "greater than 0",
    ),
    "circuity below 1": (
        "network:\n  circuity: 0.8\n",
        "network.circuity",
        "greater than or equal to 1",
    ),
    "impossible clock time": (
        "fleets:\n  hub_van:\n    capacity_parcels: 10\n    speed_kmh: 30\n"
        '    departures: ["25:00"]\n',
        "fleets.hub_van.departures.0",
        "25:00",
    ),
    "warm-up longer than horizon": (
        "horizon:\n  days: 5\n  warmup_days: 9\n",
        "horizon",
        "warmup_days (9) must be shorter than days (5)",
    ),
    "unknown key": ("hub:\n  sortng: {}\n", "hub.sortng", "allowed: inspection, sorting"),
    "wrong type": ("network:\n  townships: many\n", "network.townships", "valid integer"),
    "unknown delivery model": ("delivery:\n  model: teleport\n", "delivery.model", "'direct'"),
    "missing extends file": ("extends: nowhere.yaml\n", "extends", "nowhere.yaml"),
    "huge number": ("seed: 1" + "0" * 40 + "\n", "seed", "too large"),
    "bus stop not in the network": (
        "delivery:\n  model: bus\nbuses:\n  lines:\n    - name: L1\n"
        "      stops: [hub, T01, NOWHERE]\n",
        "buses.lines.0.stops.2",
        "'NOWHERE', which is not a place in the network",
    ),
    "bus departures out of order": (
        "buses:\n  lines:\n    - name: L1\n      stops: [hub, T01]\n"
        '      departures_out: ["10:00", "08:00"]\n',
        "buses.lines.0",
        "departures_out must be in strictly increasing clock order",
    ),
    "negative bus capacity": (
        "buses:\n  corridors:\n    capacity_parcels: -5\n",
        "buses.corridors.capacity_parcels",
        "greater than or equal to 0",
    ),
    "alias bomb": (
        'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n'
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
            f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
            for i in range(8)
        ),
        "",
        "alias",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_with_a_clear_message(case, tmp_path):
    text, path, phrase = BAD[case]
    scenario = write(tmp_path / "bad.yaml", text)
    out = tmp_path / "out"
    result = subprocess.run(
        ["ruralsim", "run", str(scenario), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(scenario) in result.stderr
    assert path in result.stderr
    assert phrase.lower() in result.stderr.lower()
    assert not out.exists()


def test_bad_override_names_set_as_its_source(tmp_path, capsys):
    code = main(
        ["validate", str(SCENARIOS / "leiyang_base.yaml"), "--set", "hub.sorting.rate_per_h=-5"]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "--set: hub.sorting.rate_per_h" in err and "-5" in err


def test_a_bad_clock_time_is_one_problem_not_also_an_empty_timetable(capsys):
    """pydantic also reports the list as too short once its bad item is left out."""
    scenario = str(SCENARIOS / "leiyang_direct.yaml")
    code = main(["validate", scenario, "--set", 'fleets.hub_van.departures=["25:00"]'])
    assert code == 2
    err = capsys.readouterr().err
    assert "fleets.hub_van.departures.0: clock time must be between 00:00 and 24:00" in err
    assert "at least 1 item" not in err and "problems" not in err
    # An empty timetable is still its own problem.
    assert main(["validate", scenario, "--set", "fleets.hub_van.departures=[]"]) == 2
    assert "at least 1 item" in capsys.readouterr().err


def test_validate_lists_every_networks_departures(capsys):
    """With own-network brands, each network's timetables, not only the first's."""
    scenario = load_scenario(SCENARIOS / "leiyang_partial_reform.yaml")
    own = [name for name, brand in scenario.brands.root.items() if brand.network == "own"]
    assert main(["validate", str(SCENARIOS / "leiyang_partial_reform.yaml")]) == 0
    comment = capsys.readouterr().out.split("# Departures per depot")[1]
    assert [line.strip("# :") for line in comment.splitlines() if "#  network" in line] == [
        "network public",
        *(f"network {name}" for name in own),
    ]


def test_extends_cycle_is_an_error(tmp_path, capsys):
    write(tmp_path / "a.yaml", "extends: b.yaml\n")
    write(tmp_path / "b.yaml", "extends: a.yaml\n")
    assert main(["validate", str(tmp_path / "a.yaml")]) == 2
    err = capsys.readouterr().err
    assert "cycle" in err
    assert f"{tmp_path / 'a.yaml'} -> {tmp_path / 'b.yaml'} -> {tmp_path / 'a.yaml'}" in err


def test_unreachable_village_is_named(tmp_path, capsys):
    scenario = write(
        tmp_path / "far.yaml",
        f"extends: {SCENARIOS / 'leiyang_direct.yaml'}\n"
        "fleets:\n  hub_van:\n    capacity_parcels: 250\n    speed_kmh: 40\n"
        '    departures: ["08:30"]\n    max_route_h: 0.5\n',
    )
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "fleets.hub_van.max_route_h" in err and "cannot be reached from hub" in err
    assert "T" in err.split("cannot be reached")[0]  # a village id such as T07V03
    assert not out.exists()


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", str(SCENARIOS / "leiyang_base.yaml"), "--replications", "0"])
    assert exit_info.value.code == 2
