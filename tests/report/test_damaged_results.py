"""``ruralsim report`` on damaged results: exit 2 and a message naming the file, never a page.

A table cut off, emptied, edited or replaced must not end in a traceback, nor in a
report that shows "n/a" or a mean over fewer replications than it claims.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import cli


def snapshot(folder: Path) -> dict:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def cut(path: Path) -> None:
    """Cut the file off in the middle of its last line."""
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b"\n", 0, -1) + 10])


def drop_last_row(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))


def header_only(path: Path) -> None:
    path.write_text(path.read_text().splitlines(keepends=True)[0])


def set_cell(column: str, value: str, row: int = 1) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        lines = path.read_text().splitlines()
        index = lines[0].split(",").index(column)
        cells = lines[row].split(",")
        cells[index] = value
        lines[row] = ",".join(cells)
        path.write_text("\n".join(lines) + "\n")

    return damage


def short_row(path: Path) -> None:
    lines = path.read_text().splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0]  # one field fewer, still a complete line
    path.write_text("\n".join(lines) + "\n")


def folder_instead(path: Path) -> None:
    path.unlink()
    path.mkdir()


def edit_manifest(**fields) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        manifest = json.loads(path.read_text())
        manifest.update(fields)
        path.write_text(json.dumps(manifest))

    return damage


def point_names(path: Path) -> None:
    manifest = json.loads(path.read_text())
    manifest["points"][0]["point"] = "../../elsewhere"
    path.write_text(json.dumps(manifest))


COMPARE = [
    ("sc_via/kpis.csv", cut, "does not end with a line break: the file is cut off"),
    ("sc_via/kpis.csv", drop_last_row, "has 2 row(s), but manifest.json says 3 replication"),
    ("sc_via/kpis.csv", header_only, "has 0 row(s), but manifest.json says 3 replication"),
    ("sc_via/kpis.csv", set_cell("lead_time_mean_h", ""), "does not agree with"),
    ("sc_via/kpis.csv", set_cell("lead_time_mean_h", "nan"), "holds 'nan' in data row 1"),
    ("sc_via/kpis.csv", set_cell("replication", ""), "column replication is empty"),
    ("sc_via/kpis.csv", set_cell("replication", "7"), "column replication should run 0 to 2"),
    ("sc_via/kpis.csv", short_row, "line 3 has"),
    ("sc_via/kpis.csv", folder_instead, "is a folder, not a CSV file"),
    ("sc_via/kpis.csv", Path.unlink, "kpis.csv is missing"),
    ("comparison.csv", set_cell("mean", ""), "does not agree with"),
    ("comparison.csv", set_cell("ci_low", "inf"), "holds 'inf' in data row 1, not a finite"),
    ("comparison.csv", header_only, "comparison.csv has no rows"),
    ("sc_via/details/daily.csv", drop_last_row, "replication 2 has 3 rows, replication 0 4"),
    ("sc_via/details/daily.csv", set_cell("sorting_utilization", ""), "is empty in data row 1"),
    ("sc_via/details/daily.csv", Path.unlink, "daily.csv is missing"),
    ("sc_via/details/villages.csv", short_row, "line 3 has"),
    ("sc_via/details/villages.csv", set_cell("lead_time_mean_h", "fast"), "holds 'fast'"),
    ("sc_via/details/places.csv", drop_last_row, "is not in"),
    ("sc_via/details/services.csv", header_only, "services.csv has no rows"),
    ("sc_via/details/lead_time_percentiles.csv", lambda p: p.write_bytes(b"\xff\xfe\x00"), "UTF-8"),
    ("sc_via/details/lead_time_percentiles.csv", lambda p: p.write_text("a\x00b\n"), "binary"),
    ("sc_via/details/day_kinds.csv", drop_last_row, "replication 2 has 1 rows, replication 0 2"),
    ("sc_via/details/day_kinds.csv", set_cell("kind", "holiday"), "not one row each of ordinary"),
    ("sc_via/details/day_kinds.csv", set_cell("kind", ""), "column kind is empty in data row 1"),
    ("sc_via/details/day_kinds.csv", set_cell("days", "5"), "do not add up to the measured days"),
    ("sc_via/details/day_kinds.csv", set_cell("parcels", "2.5"), "holds 2.5 in data row 1, not a"),
    ("sc_via/details/day_kinds.csv", set_cell("parcels", "-1"), "parcels is negative in data row"),
    ("sc_via/details/day_kinds.csv", set_cell("delivered", "99999"), "more parcels delivered"),
    ("sc_via/details/day_kinds.csv", set_cell("lead_time_mean_h", "inf"), "holds 'inf' in data"),
    ("sc_via/details/day_kinds.csv", short_row, "line 3 has"),
    ("sc_via/details/day_kinds.csv", folder_instead, "is a folder, not a CSV file"),
    ("sc_via/details/stages.csv", drop_last_row, "replication 2 has"),
    ("sc_via/details/stages.csv", set_cell("measure", "lunch"), "neither lead nor door"),
    ("sc_via/details/stages.csv", set_cell("village", "Atlantis"), "'Atlantis' is not in"),
    ("sc_via/details/stages.csv", set_cell("parcels", "2.5"), "holds 2.5 in data row 1, not a"),
    ("sc_via/details/stages.csv", set_cell("hub_waiting_h", "inf"), "holds 'inf' in data row"),
    ("manifest.json", edit_manifest(replications="three"), "field 'replications' is 'three'"),
    ("manifest.json", edit_manifest(replications=99), "manifest.json says 99 replication"),
    ("manifest.json", edit_manifest(replications=True), "field 'replications' is True"),
    ("manifest.json", edit_manifest(arms={"a": 1}), "field 'arms' is {'a': 1}; expected a list"),
    ("manifest.json", edit_manifest(overrides="x=1"), "field 'overrides' is 'x=1'"),
]
SWEEP = [
    ("sweep.csv", set_cell("n", "9"), "data row 1 has n outside 0 to 2"),
    ("sweep.csv", set_cell("mean", ""), "data row 1 has no mean although n is at least 1"),
    ("sweep.csv", cut, "does not end with a line break"),
    ("manifest.json", edit_manifest(varied_paths="hub"), "field 'varied_paths' is 'hub'"),
    ("manifest.json", point_names, "'../../elsewhere' cannot be a sweep point's folder"),
    ("points/p001/details/villages.csv", drop_last_row, "replication 1 has"),
]
# A scenario's folder of a comparison is a run's results folder.
RUN = [
    ("kpis.csv", cut, "does not end with a line break"),
    ("kpis.csv", drop_last_row, "has 2 row(s), but manifest.json says 3 replication"),
    ("kpis.csv", set_cell("seed", "-"), "holds '-' in data row 1"),
    ("manifest.json", edit_manifest(scenario_name=5), "field 'scenario_name' is 5"),
    ("manifest.json", edit_manifest(replications=0), "field 'replications' is 0"),
]


def check_damage(good: Path, tmp_path: Path, capsys, relative: str, damage, phrase: str):
    folder = tmp_path / "bad"
    shutil.copytree(good, folder)
    target = folder / relative
    damage(target)
    before = snapshot(tmp_path)
    code, printed, err = cli(["report", folder], capsys)
    assert code == 2, (printed, err)
    assert err.startswith("ruralsim report: error: ") and err.count("\n") == 1, err
    assert phrase in err, err
    assert str(target) in err or relative.rsplit("/", 1)[-1] in err, err
    assert "Traceback" not in err
    assert snapshot(tmp_path) == before  # nothing written, nothing changed
    assert not list(folder.rglob("report*"))


@pytest.mark.parametrize(
    ("relative", "damage", "phrase"), COMPARE, ids=[f"{c[0]}:{c[2]}" for c in COMPARE]
)
def test_a_damaged_comparison_exits_2_naming_the_file(
    compare_folder, tmp_path, capsys, relative, damage, phrase
):
    check_damage(compare_folder, tmp_path, capsys, relative, damage, phrase)


@pytest.mark.parametrize(
    ("relative", "damage", "phrase"), SWEEP, ids=[f"{c[0]}:{c[2]}" for c in SWEEP]
)
def test_a_damaged_sweep_exits_2_naming_the_file(
    sweep_folder, tmp_path, capsys, relative, damage, phrase
):
    check_damage(sweep_folder, tmp_path, capsys, relative, damage, phrase)


@pytest.mark.parametrize(("relative", "damage", "phrase"), RUN, ids=[f"{c[0]}:{c[2]}" for c in RUN])
def test_a_damaged_run_exits_2_naming_the_file(
    compare_folder, tmp_path, capsys, relative, damage, phrase
):
    check_damage(compare_folder / "sc_via", tmp_path, capsys, relative, damage, phrase)


def test_a_text_nan_in_a_name_column_is_a_name(compare_folder, tmp_path):
    """Only an empty cell is missing: a village may be called NA (read as text, not NaN)."""
    from sim.results.reader import load_results

    folder = tmp_path / "ok"
    shutil.copytree(compare_folder, folder)
    details = folder / "sc_via" / "details"
    old = json.loads((folder / "manifest.json").read_text())["replications"]
    villages = (details / "villages.csv").read_text()
    first = villages.splitlines()[1].split(",")[1]
    for name in ("villages.csv", "places.csv", "services.csv", "stages.csv"):
        path = details / name
        path.write_text(path.read_text().replace(first, "NA"))
    results = load_results(folder)
    assert "NA" in set(results.details["sc_via"].villages["village"])
    assert "NA" in set(results.details["sc_via"].stages["village"])
    assert results.replications == old


def test_results_without_day_kinds_still_load_and_make_a_report(compare_folder, tmp_path):
    """day_kinds.csv is newer than the other detail tables: an older folder has none."""
    from sim.report.html import _day_kinds_table
    from sim.report.summary import summarize_results
    from sim.results.reader import load_results

    folder = tmp_path / "old"
    shutil.copytree(compare_folder, folder)
    for path in folder.glob("*/details/day_kinds.csv"):
        path.unlink()
    results = load_results(folder)
    assert all(details.day_kinds is None for details in results.details.values())
    assert results.details["sc_via"].daily is not None
    assert _day_kinds_table(results, "en") == "" and summarize_results(results).peaks == []
    good = load_results(compare_folder).details["sc_via"].day_kinds
    assert list(good["kind"]) == ["ordinary", "peak"] * 3  # read when it is there


def test_results_without_stages_still_load_and_make_a_report(compare_folder, tmp_path):
    """stages.csv is newer than the other detail tables: an older folder has none."""
    from sim.report.html import _figures
    from sim.report.stages import stages_table
    from sim.report.summary import summarize_results
    from sim.results.reader import load_results

    folder = tmp_path / "old"
    shutil.copytree(compare_folder, folder)
    for path in folder.glob("*/details/stages.csv"):
        path.unlink()
    results = load_results(folder)
    assert all(details.stages is None for details in results.details.values())
    assert stages_table(results, "en") == "" and summarize_results(results).stages == []
    assert "stages" not in [name for name, _ in _figures(results, "en")[0]]
    assert load_results(compare_folder).details["sc_via"].stages is not None


def test_the_reader_knows_the_kinds_of_day_the_analysis_writes():
    from sim.analysis.details import DAY_KINDS as WRITTEN
    from sim.results.reader import DAY_KINDS as READ

    assert READ == WRITTEN
