"""``ruralsim report`` and ``ruralsim compare --report`` end to end; bad input exits 2."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import SCENARIOS, cli
from tests.report.helpers import check_html

SHORT = ["--set", "horizon.days=3", "--set", "horizon.warmup_days=1"]
SHORT += ["--set", "routing.iterations=30"]
FIGURES = [
    "cost_breakdown",
    "cost_vs_lead_time",
    "county_map",
    "daily",
    "distance_bands",
    "headline_kpis",
    "lead_time_cdf",
    "stages",
]


def snapshot(folder: Path) -> dict:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_compare_with_report_writes_the_report_beside_the_results(tmp_path, capsys):
    out = tmp_path / "main"
    direct, via = SCENARIOS / "leiyang_direct.yaml", SCENARIOS / "leiyang_via_township.yaml"
    argv = ["compare", direct, via, "--replications", 2, "--seed", 1, "--out", out, "--report"]
    code, printed, err = cli([*argv, "--quiet", *SHORT], capsys)
    assert code == 0, err
    assert f"report written to {out / 'report.html'}" in printed
    html = (out / "report.html").read_text(encoding="utf-8")
    page = check_html(html)
    assert page.errors == []
    assert [i.removeprefix("fig-") for i in page.ids if i.startswith("fig-")] == [
        "lead_time_cdf",
        "headline_kpis",
        "cost_vs_lead_time",
        "cost_breakdown",
        "county_map",
        "daily",
        "distance_bands",
        "stages",
    ]
    assert "leiyang_via_township" in html and "leiyang_direct" in html
    files = sorted(p.name for p in (out / "report_figures").iterdir())
    assert files == sorted([f"{name}.{ext}" for name in FIGURES for ext in ("png", "svg")])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    # The results folder can still be resumed, and reported on again.
    code, _, _ = cli([*argv, "--quiet", "--resume", *SHORT], capsys)
    assert code == 0
    code, printed, _ = cli(["report", out, "--lang", "zh"], capsys)
    assert code == 0 and (out / "report_zh.html").is_file() and (out / "report_zh_figures").is_dir()


def test_a_scenario_may_not_be_named_like_the_report_files(tmp_path, capsys):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"extends: {SCENARIOS / 'leiyang_direct.yaml'}\nname: report_figures\n")
    code, _, err = cli(
        ["compare", SCENARIOS / "leiyang_direct.yaml", scenario, "--out", tmp_path / "x"], capsys
    )
    assert code == 2 and "cannot name a results folder" in err


def make_bad(kind: str, good: Path, tmp_path: Path) -> Path:
    """A results folder (or not) that is wrong in one way."""
    folder = tmp_path / "bad"
    if kind == "missing":
        return folder
    if kind == "file":
        folder.write_text("not a folder")
        return folder
    if kind == "foreign":
        folder.mkdir()
        (folder / "thesis.tex").write_text("precious")
        return folder
    shutil.copytree(good, folder)
    if kind == "manifest":
        (folder / "manifest.json").write_text("{not json")
    elif kind == "unknown kind":
        (folder / "manifest.json").write_text(json.dumps({"kind": "poem"}))
    elif kind == "interrupted":
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["status"] = "interrupted"
        (folder / "manifest.json").write_text(json.dumps(manifest))
    elif kind == "no comparison":
        (folder / "comparison.csv").unlink()
    elif kind == "binary":
        (folder / "comparison.csv").write_bytes(b"\x00\xff\xfe\x00garbage\x81")
    elif kind == "column":
        lines = (folder / "comparison.csv").read_text().splitlines()
        lines[0] = lines[0].replace("ci_high", "upper")
        (folder / "comparison.csv").write_text("\n".join(lines) + "\n")
    elif kind == "number":
        text = (folder / "comparison.csv").read_text().splitlines()
        cells = text[3].split(",")
        cells[2] = "lots"
        text[3] = ",".join(cells)
        (folder / "comparison.csv").write_text("\n".join(text) + "\n")
    elif kind == "details":
        path = folder / "sc_via" / "details" / "villages.csv"
        path.write_text(path.read_text().replace(",", ",x", 1).replace("\n", "\nabc,", 2))
    elif kind == "empty":
        (folder / "comparison.csv").write_text("")
    return folder


@pytest.mark.parametrize(
    ("kind", "phrase"),
    [
        ("missing", "no such folder"),
        ("file", "is not a folder"),
        ("foreign", "not a ruralsim results folder (no manifest.json)"),
        ("manifest", "manifest.json is not readable JSON"),
        ("unknown kind", "does not describe a compare, sweep or run result"),
        ("interrupted", "not complete (status: interrupted)"),
        ("no comparison", "comparison.csv is missing"),
        ("binary", "comparison.csv"),
        ("column", "lacks column(s) ci_high"),
        ("number", "holds 'lots' in data row 3, not a finite number"),
        ("details", "villages.csv"),
        ("empty", "not a readable CSV table"),
    ],
)
def test_bad_input_exits_2_with_one_message_and_writes_nothing(
    kind, phrase, compare_folder, tmp_path, capsys
):
    folder = make_bad(kind, compare_folder, tmp_path)
    before = snapshot(tmp_path)
    code, printed, err = cli(["report", folder], capsys)
    assert code == 2, (printed, err)
    assert err.startswith("ruralsim report: error: ") and err.count("\n") == 1
    assert phrase in err and "Traceback" not in err
    assert snapshot(tmp_path) == before  # nothing written
    assert not list(tmp_path.rglob("report*"))


def test_bad_arguments_exit_2(compare_folder, tmp_path, capsys):
    code, _, err = cli(["report", compare_folder, "--lang", "fr"], capsys)
    assert code == 2 and "invalid choice: 'fr'" in err
    folder = tmp_path / "a_folder"
    folder.mkdir()
    code, _, err = cli(["report", compare_folder, "--out", folder], capsys)
    assert code == 2 and "is a folder; give the HTML file" in err
    assert list(folder.iterdir()) == []


def test_the_command_runs_as_a_program(compare_folder, tmp_path):
    done = subprocess.run(
        ["ruralsim", "report", str(tmp_path / "nothing")], capture_output=True, text=True
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == f"ruralsim report: error: {tmp_path / 'nothing'}: no such folder"
    done = subprocess.run(
        ["ruralsim", "report", str(compare_folder), "--out", str(tmp_path / "r.html")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r.html").is_file()
