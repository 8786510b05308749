"""The HTML report: valid, self-contained, every figure there, numbers from comparison.csv."""

from __future__ import annotations

import base64
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.report
from sim.report import Details, load_results, write_report
from tests.report.conftest import VIA_TITLE
from tests.report.helpers import CJK, check_html, text_outside

COMPARE_FIGURES = [
    "lead_time_cdf",
    "headline_kpis",
    "cost_vs_lead_time",
    "cost_breakdown",
    "county_map",
    "daily",
    "distance_bands",
    "stages",
]
PNG = b"\x89PNG\r\n\x1a\n"


def self_contained(page, html: str) -> None:
    """No scripts, no links out, every image inline."""
    assert page.errors == []
    assert page.tags["html"] == page.tags["head"] == page.tags["body"] == 1
    for tag in ("script", "link", "iframe", "object", "embed", "base", "form"):
        assert page.tags[tag] == 0, tag
    for element in page.elements:
        for name, value in element.attrs.items():
            assert not name.startswith("on"), (element.tag, name)
            if name in ("src", "href", "action", "srcset", "poster", "data"):
                assert (value or "").startswith("data:image/png;base64,"), (element.tag, value)
            assert not re.match(r"\s*(https?:|//|javascript:)", value or "", re.I), value
    assert not re.search(r"url\(|@import|https?://", "".join(e.text for e in page.find("style")))
    csp = [
        e.attrs for e in page.find("meta") if e.attrs.get("http-equiv") == "Content-Security-Policy"
    ]
    assert csp and "default-src 'none'" in csp[0]["content"]


def test_the_report_is_valid_self_contained_html_with_every_figure(compare_folder, tmp_path):
    written = write_report(compare_folder, tmp_path / "report.html")
    html = written.html.read_text(encoding="utf-8")
    page = check_html(html)
    self_contained(page, html)
    for section in ("summary", "kpis", "figures", "notes", "scenarios", "provenance"):
        assert section in page.ids
    assert [f"fig-{name}" for name in COMPARE_FIGURES] == [
        i for i in page.ids if i.startswith("fig-")
    ]
    # The resolved scenarios and how the results were made are collapsed at the bottom.
    details = page.find("details")
    assert [d.attrs.get("id") for d in details] == ["scenarios", "provenance"]
    a_title_names_the_scenario_for_people(page)
    assert "open" not in details[0].attrs
    assert "sc_via" in details[0].text and "via_township" in details[0].text
    manifest = json.loads((compare_folder / "manifest.json").read_text())
    for fact in (manifest["package_version"], str(manifest["seed"]), manifest["command"]):
        assert fact in details[1].text
    # Each figure is inline as PNG and beside the report as PNG and SVG.
    assert written.figures == tmp_path / "report_figures"
    images = {e.path[-1]: e.attrs["src"] for e in page.find("img")}
    for name in COMPARE_FIGURES:
        png = (written.figures / f"{name}.png").read_bytes()
        assert png.startswith(PNG)
        data = images[f"figure#fig-{name}"].removeprefix("data:image/png;base64,")
        assert base64.b64decode(data) == png
        ET.fromstring((written.figures / f"{name}.svg").read_bytes())  # well-formed SVG
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report_figures"]


def shown(text: str) -> float:
    return float(text.replace(",", "").replace("+", "").replace("%", ""))


def test_every_number_in_the_summary_is_the_one_in_comparison_csv(compare_folder, tmp_path):
    html = write_report(compare_folder, tmp_path / "r.html").html.read_text(encoding="utf-8")
    numbers = check_html(html).find("data", inside="section#summary")
    table = pd.read_csv(compare_folder / "comparison.csv").set_index(["scenario", "kpi"])
    seen = set()
    for number in numbers:
        attrs = number.attrs
        key = (attrs["data-scenario"], attrs["data-kpi"])
        value = float(attrs["value"])
        if attrs["data-field"] == "relative":
            reference = table.xs(key[1], level="kpi")["mean"].iloc[0]
            expected = table.loc[key, "diff"] / abs(reference)
            assert value == pytest.approx(expected, rel=1e-12)
            assert shown(number.text) / 100 == pytest.approx(expected, abs=0.0051)
            continue
        assert value == table.loc[key, attrs["data-field"]], attrs  # exactly, as written
        text = number.text.strip()
        if attrs.get("data-bound") == "upper":
            assert value < shown(text)
            continue
        expected = value * float(attrs["data-scale"])
        if attrs.get("data-magnitude"):
            expected = abs(expected)
        decimals = len(text.split(".")[1]) if "." in text else 0
        assert abs(shown(text) - expected) <= 0.5 * 10**-decimals + 1e-9, (text, expected)
        seen.add((key[1], attrs["data-field"]))
    kpis = {kpi for kpi, _ in seen}
    assert kpis == {
        "lead_time_mean_h",
        "lead_time_p90_h",
        "on_time_24h_share",
        "cost_per_parcel_cny",
        "co2_kg",
    }
    assert {field for _, field in seen} >= {"mean", "ci_low", "ci_high", "diff"}
    assert len(numbers) >= 5 * 7  # per KPI: two means with intervals, a difference, more


def test_the_cdf_reaches_90_percent_at_the_p90_lead_time_of_the_table(compare_folder):
    results = load_results(compare_folder)
    fig = sim.report.plot_lead_time_cdf(results.details)
    table = results.table.set_index(["scenario", "kpi"])
    for name in results.names:
        (line,) = [x for x in fig.axes[0].lines if x.get_gid() == f"cdf:{name}"]
        at_90 = np.interp(90.0, line.get_ydata(), line.get_xdata())
        assert at_90 == pytest.approx(table.loc[(name, "lead_time_p90_h"), "mean"], rel=1e-9)


HOSTILE = "<script>alert(1)</script>"
DESCRIPTION = '"><img src=x onerror=alert(2)> & <b>'


def hostile_checks(written) -> str:
    html = written.html.read_text(encoding="utf-8")
    page = check_html(html)
    self_contained(page, html)
    assert "<script" not in html.lower() and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for svg in written.figures.glob("*.svg"):
        data = svg.read_bytes()
        assert b"<script" not in data.lower() and b"onerror" not in data
        for element in ET.fromstring(data).iter():
            assert not element.tag.lower().endswith("script")
            assert not any(name.lower().startswith("on") for name in element.attrib)
    return html


def test_a_hostile_scenario_name_and_description_inject_nothing(tmp_path, capsys):
    from sim.cli import main

    scenario = tmp_path / "evil.yaml"
    scenario.write_text(
        f"name: evil\ndescription: {json.dumps(DESCRIPTION)}\n"
        "horizon: {days: 3, warmup_days: 1, drain_days: 1}\n"
        "network: {townships: 2, villages_per_township: [2, 3], area_km2: 400}\n"
        "demand: {parcels_per_capita_day: 0.01}\nrouting: {iterations: 50}\n"
    )
    assert main(["run", str(scenario), "--replications", "2", "--out", str(tmp_path / "run")]) == 0
    # The schema refuses such a name in a scenario file; a results folder edited by hand
    # (or written by another tool) can still carry one, and the report must escape it.
    manifest_file = tmp_path / "run" / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["scenario_name"] = manifest["scenario"]["name"] = HOSTILE
    manifest_file.write_text(json.dumps(manifest))
    written = write_report(tmp_path / "run")
    html = hostile_checks(written)
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt; &amp; &lt;b&gt;" in html
    capsys.readouterr()


def test_a_hostile_name_written_into_a_comparison_is_escaped_everywhere(compare_folder, tmp_path):
    folder = tmp_path / "cmp"
    shutil.copytree(compare_folder, folder)
    name = 'sc"via&' + HOSTILE
    table = pd.read_csv(folder / "comparison.csv")
    table["scenario"] = table["scenario"].replace("sc_via", name)
    table.to_csv(folder / "comparison.csv", index=False)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["scenarios"][1]["name"] = name
    manifest["arms"][1]["label"] = name
    manifest["arms"][1]["scenario"]["description"] = DESCRIPTION
    (folder / "manifest.json").write_text(json.dumps(manifest))
    written = write_report(folder, tmp_path / "report.html")
    html = hostile_checks(written)
    page = check_html(html)
    # Attributes too: the parser reads the name back exactly from data-scenario.
    assert name in {e.attrs.get("data-scenario") for e in page.find("data")}
    # The name cannot be a folder, so its detail tables are not looked for (and said so).
    assert "fig-county_map" not in page.ids and "left out" in html


def test_a_chinese_report_is_in_chinese(compare_folder, tmp_path, monkeypatch):
    monkeypatch.setattr(sim.report.fonts, "find_cjk_font", lambda: "Noto Sans CJK SC")
    written = write_report(compare_folder, lang="zh", out=tmp_path / "report_zh.html")
    assert written.warnings == []
    html = written.html.read_text(encoding="utf-8")
    page = check_html(html)
    self_contained(page, html)
    assert '<html lang="zh-CN">' in html
    for heading in page.find("h2") + page.find("th") + page.find("figcaption") + page.find("li"):
        assert CJK.search(heading.text), heading.text
    # Visible text other than data: names, scenario files, descriptions, commands, versions.
    skipped_tags = {"pre", "code", "style", "dt", "dd", "title"}
    visible = text_outside(html, skipped_tags, {"name", "provenance"})
    for name in (VIA_TITLE, "sc_direct", "sc_via", "report_zh_figures", "ruralsim", "PNG", "SVG"):
        visible = visible.replace(name, "")
    visible = visible.replace("--set", "").replace("UTC", "")
    assert re.findall(r"[A-Za-z]{2,}", visible) == []
    assert 'id="font-warning"' not in html


def test_a_missing_chinese_font_is_reported_in_the_terminal_and_the_page(
    compare_folder, tmp_path, monkeypatch, capsys
):
    from sim.cli import main

    monkeypatch.setattr(sim.report.fonts, "find_cjk_font", lambda: None)
    out = tmp_path / "zh.html"
    code = main(["report", str(compare_folder), "--lang", "zh", "--out", str(out)])
    _, err = capsys.readouterr()
    assert code == 0 and out.is_file()
    assert (
        "warning" in err and "apt-get install fonts-noto-cjk" in err and "Noto Sans CJK SC" in err
    )
    html = out.read_text(encoding="utf-8")
    assert 'id="font-warning"' in html and "fonts-noto-cjk" in html and "Noto Sans CJK SC" in html
    # English needs no Chinese font: no warning.
    assert main(["report", str(compare_folder), "--out", str(tmp_path / "en.html")]) == 0
    assert "warning" not in capsys.readouterr().err


def test_the_font_lookup_finds_an_installed_cjk_font(monkeypatch):
    from matplotlib import font_manager

    from sim.report import fonts

    class Entry:
        def __init__(self, name):
            self.name, self.fname = name, f"/fonts/{name}.ttf"

    fonts.find_cjk_font.cache_clear()
    try:
        monkeypatch.setattr(font_manager, "findSystemFonts", lambda: [])
        monkeypatch.setattr(font_manager.fontManager, "ttflist", [Entry("DejaVu Sans")])
        assert fonts.find_cjk_font() is None
        assert fonts.font_rc("zh") == {"font.family": ["DejaVu Sans"]}
        fonts.find_cjk_font.cache_clear()
        entries = [Entry("DejaVu Sans"), Entry("WenQuanYi Zen Hei"), Entry("Noto Sans CJK SC")]
        monkeypatch.setattr(font_manager.fontManager, "ttflist", entries)
        assert fonts.find_cjk_font() == "Noto Sans CJK SC"  # the better of the two
        assert fonts.font_rc("zh") == {"font.family": ["DejaVu Sans", "Noto Sans CJK SC"]}
        assert fonts.font_rc("en") == {"font.family": ["DejaVu Sans"]}
    finally:
        fonts.find_cjk_font.cache_clear()


def test_a_folder_without_detail_tables_still_gives_a_report(compare_folder, tmp_path):
    folder = tmp_path / "old"
    shutil.copytree(compare_folder, folder)
    for details in folder.glob("*/details"):
        shutil.rmtree(details)
    written = write_report(folder, tmp_path / "report.html")
    html = written.html.read_text(encoding="utf-8")
    page = check_html(html)
    assert [i for i in page.ids if i.startswith("fig-")] == [
        "fig-headline_kpis",
        "fig-cost_vs_lead_time",
        "fig-cost_breakdown",
    ]
    assert "are left out" in html and "sc_direct, sc_via" in html
    assert sorted(p.stem for p in written.figures.glob("*.png")) == [
        "cost_breakdown",
        "cost_vs_lead_time",
        "headline_kpis",
    ]


def test_sweep_and_run_folders_give_reports(sweep_folder, compare_folder, tmp_path):
    sweep = write_report(sweep_folder, tmp_path / "sweep.html")
    html = sweep.html.read_text(encoding="utf-8")
    page = check_html(html)
    self_contained(page, html)
    assert [i for i in page.ids if i.startswith("fig-")] == [
        "fig-sweep",
        "fig-lead_time_cdf",
        "fig-distance_bands",
    ]
    # The varied path is named for people, by its schema description, not as a path.
    assert "lowest at" in html and "Parcels the sorting line handles per hour" in html
    # A scenario's own folder in a comparison is a run folder, with its detail tables.
    run = write_report(compare_folder / "sc_via", tmp_path / "run.html")
    page = check_html(run.html.read_text(encoding="utf-8"))
    assert [i for i in page.ids if i.startswith("fig-")] == [
        "fig-lead_time_cdf",
        "fig-headline_kpis",
        "fig-cost_breakdown",
        "fig-county_map",
        "fig-daily",
        "fig-distance_bands",
        "fig-stages",
    ]


def test_nothing_is_written_when_drawing_fails(compare_folder, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(sim.report.figures, "plot_daily", broken)
    with pytest.raises(RuntimeError, match="drawing failed"):
        write_report(compare_folder, tmp_path / "report.html")
    assert list(tmp_path.iterdir()) == []


def test_details_are_optional_per_table():
    # A figure needs only its own table.
    table = pd.DataFrame({"quantile": [0.0, 1.0], "lead_time_h": [1.0, 2.0]})
    fig = sim.report.plot_lead_time_cdf({"x": Details(percentiles=table)})
    assert fig.axes[0].lines[0].get_xdata().tolist() == [1.0, 2.0]
    assert Path(sim.report.__file__).parent.name == "report"


def a_title_names_the_scenario_for_people(page) -> None:
    """sc_via's title is in the page's title and table headings; its name beside it in the list."""
    (title,) = page.find("h1")
    assert title.text.strip().endswith(f"sc_direct / {VIA_TITLE}")
    headers = [th.text for th in page.find("th")]
    assert any(VIA_TITLE in h for h in headers) and not any("sc_via" in h for h in headers)
    # The scenario list gives the title and, beside it, the name of its folder.
    (listed,) = [dt.text for dt in page.find("dt") if VIA_TITLE in dt.text]
    assert "sc_via" in listed


def test_figure_legends_and_panels_name_a_scenario_by_its_title(compare_folder):
    results = load_results(compare_folder)
    assert results.label("sc_via") == VIA_TITLE and results.label("sc_direct") == "sc_direct"
    labels = {name: results.label(name) for name in results.names}
    cdf = sim.report.plot_lead_time_cdf(results.details, labels=labels)
    assert [t.get_text() for t in cdf.axes[0].get_legend().get_texts()] == ["sc_direct", VIA_TITLE]
    panels = sim.report.plot_county_map(results.details, labels=labels).axes[:2]
    assert [ax.get_title() for ax in panels] == ["sc_direct", VIA_TITLE]
