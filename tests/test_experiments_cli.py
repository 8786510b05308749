"""``ruralsim compare``, ``sweep`` and ``warmup`` end to end: outputs, executors, resume, errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim import KPI_NAMES, Scenario, load_scenario
from sim.analysis.compare import COMPARISON_COLUMNS
from sim.analysis.directions import HEADLINE_KPIS
from sim.experiments.tasks import DETAIL_TABLES
from tests.conftest import SCENARIOS, cli

SHORT = ["--set", "horizon.days=3", "--set", "horizon.warmup_days=1"]
SHORT += ["--set", "routing.iterations=30"]
DIRECT = str(SCENARIOS / "leiyang_direct.yaml")
VIA = str(SCENARIOS / "leiyang_via_township.yaml")

TINY = """\
name: {name}
horizon: {{days: 3, warmup_days: 1, drain_days: 1}}
network: {{townships: 2, villages_per_township: [2, 3], area_km2: 400}}
demand: {{parcels_per_capita_day: 0.01}}
routing: {{iterations: 50}}
delivery: {{model: {model}}}
"""


@pytest.fixture
def tiny(tmp_path) -> list[str]:
    """Two small scenario files: direct and via-township."""
    files = []
    for name, model in (("tiny_direct", "direct"), ("tiny_via", "via_township")):
        path = tmp_path / f"{name}.yaml"
        path.write_text(TINY.format(name=name, model=model))
        files.append(str(path))
    return files


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_compare_writes_tables_manifests_and_verdicts(tmp_path, capsys):
    out = tmp_path / "main"
    code, printed, _ = cli(
        ["compare", DIRECT, VIA, "--replications", 3, "--seed", 1, "--out", out, *SHORT], capsys
    )
    assert code == 0
    reps = [f"{name}/replications/r000{r}.json" for name in ("direct", "via") for r in range(3)]
    assert files_under(out) == sorted(
        [
            "comparison.csv",
            "manifest.json",
            *(
                f"leiyang_{name}/{f}"
                for name in ("direct", "via_township")
                for f in ("kpis.csv", "manifest.json")
            ),
            *(f"leiyang_{r}".replace("via/", "via_township/") for r in reps),
            *(
                f"leiyang_{name}/details/{table}.csv"
                for name in ("direct", "via_township")
                for table in (
                    "lead_time_percentiles",
                    "villages",
                    "daily",
                    "day_kinds",
                    "stages",
                    "places",
                    "services",
                )
            ),
        ]
    )
    assert (out / "comparison.csv").read_text().splitlines()[0] == ",".join(COMPARISON_COLUMNS)
    table = pd.read_csv(out / "comparison.csv")
    assert table["scenario"].unique().tolist() == ["leiyang_direct", "leiyang_via_township"]
    assert table[table["scenario"] == "leiyang_direct"]["diff"].isna().all()
    assert table[table["scenario"] == "leiyang_via_township"]["p_value"].notna().any()
    # Each scenario's kpis.csv is exactly what `ruralsim run` writes for the same seed.
    cli(["run", VIA, "--replications", 3, "--seed", 1, "--out", tmp_path / "run", *SHORT], capsys)
    assert (out / "leiyang_via_township" / "kpis.csv").read_bytes() == (
        tmp_path / "run" / "kpis.csv"
    ).read_bytes()
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["kind"], manifest["status"], manifest["seed"]) == ("compare", "complete", 1)
    assert manifest["replications"] == 3 and manifest["executor"] == "serial"
    assert [s["name"] for s in manifest["scenarios"]] == ["leiyang_direct", "leiyang_via_township"]
    assert manifest["scenarios"][1]["file"] == VIA
    assert manifest["overrides"] == [s for s in SHORT if s != "--set"]
    assert set(manifest["files"]) <= set(files_under(out))
    assert manifest["versions"]["ruralsim"] and manifest["package_version"]
    scenario_manifest = json.loads((out / "leiyang_direct" / "manifest.json").read_text())
    assert Scenario.model_validate(scenario_manifest["scenario"]) == load_scenario(
        DIRECT, manifest["overrides"]
    )
    verdicts = [
        line
        for line in printed.splitlines()
        if "than leiyang_direct" in line
        or "no significant difference" in line
        or "identical in every" in line
    ]
    assert [line.split(":")[0] for line in verdicts] == list(HEADLINE_KPIS)
    assert "leiyang_via_township is" in printed and "95% CI" in printed
    assert f"results written to {out}" in printed
    # The last line says how to make the report of what was just written.
    assert printed.splitlines()[-1] == f"for the HTML report: ruralsim report {out}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["main", "run"]  # no leftovers


def test_serial_pool_and_dask_give_byte_identical_results(tiny, tmp_path, capsys):
    runs = {
        "serial": [],
        "pool": ["--jobs", 2],
        "dask": ["--dask", "local", "--jobs", 2],
    }
    for name, extra in runs.items():
        code, _, _ = cli(
            [
                "compare",
                *tiny,
                "--replications",
                3,
                "--seed",
                9,
                "--out",
                tmp_path / name,
                "--quiet",
                *extra,
            ],
            capsys,
        )
        assert code == 0
    executors = {
        name: json.loads((tmp_path / name / "manifest.json").read_text())["executor"]
        for name in runs
    }
    assert executors == {
        "serial": "serial",
        "pool": "process pool, 2 jobs",
        "dask": "dask local cluster, 2 workers",
    }

    def tables(name):
        folder = tmp_path / name
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.csv")}

    serial = tables("serial")
    for arm in ("tiny_direct", "tiny_via"):  # the detail tables too, not only the KPIs
        details = {f"{arm}/details/{t}.csv" for t in (*DETAIL_TABLES, "places", "services")}
        assert {"comparison.csv", f"{arm}/kpis.csv", *details} <= set(serial)
    for name in ("pool", "dask"):
        found = tables(name)
        assert found.keys() == serial.keys(), name
        for table, content in serial.items():
            assert found[table] == content, (name, table)
    # `run` too.
    for name, extra in (("run1", []), ("run2", ["--jobs", 2])):
        cli(
            ["run", tiny[1], "--replications", 3, "--out", tmp_path / name, "--quiet", *extra],
            capsys,
        )
    assert (tmp_path / "run1" / "kpis.csv").read_bytes() == (
        tmp_path / "run2" / "kpis.csv"
    ).read_bytes()


def test_resume_after_ctrl_c_gives_the_uninterrupted_result(tiny, tmp_path, capsys, monkeypatch):
    import sim.experiments.tasks as tasks

    args = ["compare", *tiny, "--replications", 4, "--seed", 3, "--quiet"]
    assert cli([*args, "--out", tmp_path / "whole"], capsys)[0] == 0

    real, calls = tasks.replicate_kpis, []

    def interrupted_after_three(*task):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(task[1:])
        return real(*task)

    out = tmp_path / "cut"
    monkeypatch.setattr(tasks, "replicate_kpis", interrupted_after_three)
    code, _, err = cli([*args, "--out", out], capsys)
    assert code == 130
    assert f"3 finished replication(s) kept in {out}" in err and "--resume" in err
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    assert not (out / "comparison.csv").exists()
    assert len(list(out.glob("*/replications/r*.json"))) == 3

    calls.clear()
    monkeypatch.setattr(tasks, "replicate_kpis", lambda *t: calls.append(t[1:]) or real(*t))
    code, printed, _ = cli([*args, "--out", out, "--resume"], capsys)
    assert code == 0 and len(calls) == 8 - 3  # nothing redone
    for table in ("comparison.csv", "tiny_direct/kpis.csv", "tiny_via/kpis.csv"):
        assert (out / table).read_bytes() == (tmp_path / "whole" / table).read_bytes()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["reused_replications"] == 3


# The command, held still after its first finished replication is on disk, so that a
# signal sent then always finds the experiment midway, however loaded the machine is.
HOLD_AFTER_FIRST_RECORD = """
import sys, time
from sim.experiments.folder import ExperimentFolder

save = ExperimentFolder.save

def save_then_hold(self, *args, **kwargs):
    save(self, *args, **kwargs)
    time.sleep(600)  # the test signals now; Ctrl-C interrupts the sleep like any work

ExperimentFolder.save = save_then_hold
from sim.cli import main
sys.exit(main(sys.argv[1:]))
"""


def start(argv) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", HOLD_AFTER_FIRST_RECORD, *map(str, argv)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a process group of its own, like a terminal job
    )


def wait_for_records(process, out: Path, at_least: int = 1, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while len(list(out.glob("*/replications/r*.json"))) < at_least:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no replication finished in time"
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("how", "extra"), [("ctrl-c", ["--jobs", 2]), ("kill -9", [])], ids=["ctrl-c", "kill"]
)
def test_resume_after_a_stopped_process_gives_the_uninterrupted_result(
    tmp_path, capsys, how, extra
):
    args = ["compare", DIRECT, VIA, "--replications", 4, "--seed", 2, "--quiet", *SHORT]
    out = tmp_path / "cut"
    process = start([*args, "--out", out, *extra])
    wait_for_records(process, out)
    if how == "ctrl-c":
        os.killpg(process.pid, signal.SIGINT)
    else:
        os.killpg(process.pid, signal.SIGKILL)
    out_text, err = process.communicate(timeout=120)
    if how == "ctrl-c":
        # What the command said goes with a failure: a one-off 'assert 0 == 130' under
        # heavy load was never reproduced (the hold above leaves no race we know of).
        assert process.returncode == 130, f"stdout:\n{out_text}\nstderr:\n{err}"
        assert "Traceback" not in err and "--resume" in err
        assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    else:
        assert process.returncode == -signal.SIGKILL
    kept = len(list(out.glob("*/replications/r*.json")))
    assert 1 <= kept < 8, "the run was stopped midway"
    assert not (out / "comparison.csv").exists()

    code, _, _ = cli([*args, "--out", out, "--resume"], capsys)
    assert code == 0
    assert json.loads((out / "manifest.json").read_text())["reused_replications"] == kept
    assert cli([*args, "--out", tmp_path / "whole"], capsys)[0] == 0
    assert (out / "comparison.csv").read_bytes() == (
        tmp_path / "whole" / "comparison.csv"
    ).read_bytes()


def test_resume_refuses_a_different_experiment(tiny, tmp_path, capsys):
    out = tmp_path / "cmp"
    args = ["compare", *tiny, "--replications", 2, "--out", out, "--quiet"]
    assert cli([*args, "--seed", 1], capsys)[0] == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    code, _, err = cli([*args, "--seed", 2, "--resume"], capsys)
    assert code == 2
    assert f"cannot resume {out}: it was run with seed 1, not 2" in err
    code, _, err = cli(
        [*args, "--seed", 1, "--resume", "--set", "hub.sorting.rate_per_h=5000"], capsys
    )
    assert code == 2
    assert (
        "scenario tiny_direct differs" in err and "hub.sorting.rate_per_h: 8000.0 -> 5000.0" in err
    )
    assert "Traceback" not in err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    ran = tmp_path / "ran"
    cli(["run", tiny[0], "--out", ran, "--quiet"], capsys)
    code, _, err = cli(["compare", *tiny, "--out", ran, "--resume"], capsys)
    assert code == 2 and "it holds a run result, not a compare" in err
    # Nothing to resume yet: --resume simply starts.
    assert cli([*args, "--out", tmp_path / "new", "--seed", 1, "--resume"], capsys)[0] == 0


def test_auto_replications_report_how_many_it_took(tiny, tmp_path, capsys):
    out = tmp_path / "auto"
    code, printed, _ = cli(
        [
            "compare",
            *tiny,
            "--replications",
            "auto",
            "--precision",
            0.5,
            "--kpi",
            "door_time_mean_h",
            "--out",
            out,
        ],
        capsys,
    )
    assert code == 0
    assert "precision reached: 5 replications bring every named KPI within ±50%" in printed
    assert printed.count("than tiny_direct") + printed.count("between tiny_via") == 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["replications"] == 5
    assert manifest["replications_rule"]["reached"] is True
    assert manifest["replications_rule"]["kpis"] == ["door_time_mean_h"]
    code, printed, _ = cli(
        [
            "compare",
            *tiny,
            "--replications",
            "auto",
            "--precision",
            0.0001,
            "--max-replications",
            3,
            "--out",
            out,
        ],
        capsys,
    )
    assert code == 0 and "NOT reached: stopped at the cap of 3 replications" in printed
    assert len(pd.read_csv(out / "tiny_via" / "kpis.csv")) == 3


def bad_scenario(tmp_path) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nhub:\n  sorting:\n    rate_per_h: 0\n")
    return str(path)


@pytest.mark.parametrize(
    ("extra", "phrase"),
    [
        (lambda t, f: [f[0]], "compare needs at least two scenario files"),
        (lambda t, f: [f[0], f[0]], "are both named 'tiny_direct'"),
        (lambda t, f: [f[0], bad_scenario(t)], "hub.sorting.rate_per_h"),
        (lambda t, f: [*f, "--kpi", "speed"], "unknown KPI 'speed'"),
        (lambda t, f: [*f, "--precision", "0.1"], "precision applies only"),
        (lambda t, f: [*f, "--replications", "1"], "at least 2"),
        (lambda t, f: [*f, "--replications", "lots"], "or 'auto'"),
        (lambda t, f: [*f, "--replications", "auto", "--precision", "0"], "above 0"),
        (lambda t, f: [*f, "--jobs", "0"], "at least 1"),
        (lambda t, f: [*f, "--dask", "tcp://10.9.9.9:1", "--jobs", "2"], "--jobs sets"),
        (lambda t, f: [*f, "--dask", "no-port"], "cannot connect to the Dask scheduler"),
        (lambda t, f: [*f, "--set", "horizon.days=0"], "horizon.days"),
    ],
)
def test_bad_compare_input_exits_2_before_any_output(tiny, tmp_path, capsys, extra, phrase):
    out = tmp_path / "out"
    code, _, err = cli(["compare", *extra(tmp_path, tiny), "--out", out], capsys)
    assert code == 2
    assert phrase in err and "Traceback" not in err
    assert not out.exists()


def test_results_folder_problems_exit_2(tiny, tmp_path, capsys):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    code, _, err = cli(["compare", *tiny, "--out", a_file], capsys)
    assert code == 2 and "is not a folder" in err
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    code, _, err = cli(["compare", *tiny, "--out", mine], capsys)
    assert code == 2 and "not a ruralsim results folder" in err
    assert files_under(mine) == ["notes.txt"]


def test_bad_scenario_in_a_subprocess_is_one_clear_line(tiny, tmp_path):
    out = tmp_path / "out"
    result = subprocess.run(
        ["ruralsim", "compare", tiny[0], bad_scenario(tmp_path), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("ruralsim: error:") and "Traceback" not in result.stderr
    assert "bad.yaml: hub.sorting.rate_per_h" in result.stderr
    assert not out.exists()


def test_sweep_from_vary_and_from_a_design_file_agree(tiny, tmp_path, capsys):
    vary = [
        "--vary",
        "hub.sorting.rate_per_h=300,8000",
        "--vary",
        "delivery.model=direct,via_township",
    ]
    code, printed, _ = cli(
        ["sweep", tiny[0], *vary, "--replications", 2, "--seed", 4, "--out", tmp_path / "a"],
        capsys,
    )
    assert code == 0
    assert "sweep: 4 points, 2 replications each, seed 4" in printed
    header = (tmp_path / "a" / "sweep.csv").read_text().splitlines()[0]
    assert header == "hub.sorting.rate_per_h,delivery.model,kpi,mean,ci_low,ci_high,n"
    table = pd.read_csv(tmp_path / "a" / "sweep.csv")
    assert len(table) == 4 * len(KPI_NAMES)
    assert table.drop_duplicates(["hub.sorting.rate_per_h", "delivery.model"]).iloc[
        :, :2
    ].values.tolist() == [
        [300, "direct"],
        [300, "via_township"],
        [8000, "direct"],
        [8000, "via_township"],
    ]
    every = pd.read_csv(tmp_path / "a" / "kpis.csv")
    assert every.groupby("replication")["parcels_generated"].nunique().eq(1).all()  # CRN
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["kind"] == "sweep" and manifest["varied_paths"] == [
        "hub.sorting.rate_per_h",
        "delivery.model",
    ]
    design = tmp_path / "design.yaml"
    design.write_text(
        f"scenario: {Path(tiny[0]).name}\n"
        "factors:\n  hub.sorting.rate_per_h: [300, 8000]\n  delivery.model: [direct]\n"
        "points:\n  - {hub.sorting.rate_per_h: 300, delivery.model: via_township}\n"
        "  - {hub.sorting.rate_per_h: 8000, delivery.model: via_township}\n"
    )
    code, _, _ = cli(
        [
            "sweep",
            "--design",
            design,
            "--replications",
            2,
            "--seed",
            4,
            "--out",
            tmp_path / "b",
            "--quiet",
        ],
        capsys,
    )
    assert code == 0
    by_design = pd.read_csv(tmp_path / "b" / "sweep.csv")
    keys = ["hub.sorting.rate_per_h", "delivery.model", "kpi"]
    pd.testing.assert_frame_equal(
        table.sort_values(keys).reset_index(drop=True),
        by_design.sort_values(keys).reset_index(drop=True),
    )


@pytest.mark.parametrize(
    ("argv", "phrase"),
    [
        (["--vary", "hub.sortng.rate=1,2"], "sweep point p000 (hub.sortng.rate=1)"),
        (["--vary", "hub.sorting.rate_per_h"], "PATH=V1,V2"),
        (["--vary", "a.b=1,2", "--vary", "a.b=3"], "--vary a.b is given twice"),
        ([], "at least one --vary"),
        (["--vary", "a.b=1", "--design", "d.yaml"], "either --design"),
        (["--vary", "a.b=1", "--replications", "0"], "at least 1"),
    ],
)
def test_bad_sweep_input_exits_2(tiny, tmp_path, capsys, argv, phrase):
    out = tmp_path / "out"
    code, _, err = cli(["sweep", tiny[0], *argv, "--out", out], capsys)
    assert code == 2 and phrase in err and "Traceback" not in err
    assert not out.exists()


def test_warmup_prints_the_series_and_a_suggestion(tiny, capsys):
    code, printed, _ = cli(["warmup", tiny[1], "--days", 20, "--replications", 2], capsys)
    assert code == 0
    lines = printed.splitlines()
    assert "daily mean lead time" in lines[0] and "20 days" in lines[0]
    day_lines = [line for line in lines if line[:4].strip().isdigit()]
    assert [int(line[:4]) for line in day_lines] == list(range(20))
    assert lines[-1].startswith("suggested horizon.warmup_days: ")
    assert int(lines[-1].split(": ")[1].split()[0]) % 5 == 0
    code, printed, _ = cli(
        ["warmup", tiny[1], "--days", 20, "--replications", 2, "--quiet"], capsys
    )
    assert code == 0 and printed.startswith("suggested horizon.warmup_days: ")
    assert len(printed.splitlines()) == 1
    code, _, err = cli(["warmup", tiny[1], "--days", 12], capsys)
    assert code == 2 and "days must be at least 20" in err


def test_python_dash_m_knows_the_new_commands():
    result = subprocess.run(
        [sys.executable, "-m", "sim", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for command in ("run", "validate", "compare", "sweep", "warmup"):
        assert command in result.stdout
