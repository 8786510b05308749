"""The KPI table is the one owner of what a KPI is; everything else reads it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim import KPI_NAMES
from sim.analysis import kpi_table
from sim.analysis.compare import classify, p_text, p_value_text, verdict
from sim.analysis.directions import HEADLINE_KPIS, KPI_DIRECTIONS, direction, is_share, unit
from sim.analysis.regression import MinEffect, default_min_effect
from sim.cli import main
from sim.report.i18n import KPI_LABELS, kpi_label
from sim.report.summary import display_unit, is_percent, scale

README = Path(__file__).resolve().parents[2] / "README.md"
CJK = re.compile(r"[\u4e00-\u9fff]")
FRACTIONS = {
    "on_time_24h_share",
    "on_time_48h_share",
    "bus_parcels_share",
    "sorting_utilization",
    "van_load_factor_mean",
    "bus_load_factor_mean",
    "outbound_same_day_share",
    "backhaul_share",
    "spoilage_share",
}


def test_the_table_covers_exactly_the_kpis_in_column_order():
    assert tuple(k.name for k in kpi_table.KPIS) == KPI_NAMES
    assert len(set(KPI_NAMES)) == len(KPI_NAMES)


def test_every_kpi_has_a_label_and_a_sentence_in_both_languages():
    for kpi in kpi_table.KPIS:
        for lang in kpi_table.LANGUAGES:
            assert kpi.label(lang).strip() and kpi.meaning(lang).strip(), (kpi.name, lang)
        assert CJK.search(kpi.label_zh) and CJK.search(kpi.meaning_zh), kpi.name
        assert not CJK.search(kpi.label_en + kpi.meaning_en), kpi.name
        assert kpi.meaning_en.endswith(".") and kpi.meaning_zh.endswith("。"), kpi.name
        assert kpi.unit in {"parcels", "h", "min", "CNY", "kg", "km", "share"}, kpi.name
        assert kpi.better in {"lower", "higher", "neutral"}, kpi.name


def test_the_old_names_are_views_of_the_table():
    by_name = kpi_table.BY_NAME
    assert dict(KPI_DIRECTIONS) == {k: by_name[k].better for k in KPI_NAMES}
    assert HEADLINE_KPIS == tuple(k for k in KPI_NAMES if by_name[k].headline)
    assert HEADLINE_KPIS == (
        "lead_time_mean_h",
        "lead_time_p90_h",
        "on_time_24h_share",
        "cost_per_parcel_cny",
        "co2_kg",
    )
    for name in KPI_NAMES:
        record = by_name[name]
        assert direction(name) == record.better
        assert is_share(name) == is_percent(name) == record.share == (name in FRACTIONS)
        assert scale(name) == (100.0 if record.share else 1.0)
        assert display_unit(name) == ("%" if record.share else record.unit)
        assert kpi_label(name, "en") == record.label_en == KPI_LABELS[name]["en"]
        assert kpi_label(name, "zh") == record.label_zh == KPI_LABELS[name]["zh"]
        expected = "percentage points" if record.share else record.unit
        assert unit(name) == ("" if record.unit == "parcels" else expected)
        assert default_min_effect(name) == MinEffect(*record.min_effect)
    assert kpi_table.get("not_a_kpi") is None and not is_share("not_a_kpi")
    assert unit("not_a_kpi") == "" and direction("not_a_kpi") == "neutral"


def test_checks_default_minimum_effects_follow_one_rule():
    assert default_min_effect("lead_time_p90_h") == MinEffect(0.25, 0.02)
    assert default_min_effect("vehicle_hours") == MinEffect(0.25, 0.02)
    assert default_min_effect("on_time_24h_share") == MinEffect(0.01, 0.0)
    # Utilisation and load factors are shares like the others (they had 2% before).
    for name in ("bus_parcels_share", "sorting_utilization", "van_load_factor_mean"):
        assert default_min_effect(name) == MinEffect(0.01, 0.0)
    assert default_min_effect("co2_kg") == MinEffect(0.0, 0.02)


def test_utilisation_is_shown_in_percentage_points_in_the_terminal_as_in_the_report():
    line = verdict("sorting_utilization", "b", "a", 0.1, 0.05, 0.15, 0.01, 0.8)
    assert "is 10.0 percentage points higher than a" in line
    assert "(95% CI 5.00–15.0 percentage points; p = 0.010)" in line


def test_one_rule_decides_every_verdict():
    assert classify("lead_time_p90_h", -1.0, -2.0, -0.5) == ("faster", None)
    assert classify("co2_kg", -1.0, -2.0, -0.5) == ("lower", "better")
    assert classify("sorting_utilization", 0.1, 0.05, 0.15) == ("higher", None)
    assert classify("co2_kg", 0.0, 0.0, 0.0) == ("identical", None)
    assert classify("co2_kg", 1.0, float("nan"), float("nan")) == ("unknown", None)
    assert classify("co2_kg", 1.0, -1.0, 3.0) == ("none", None)
    assert [p_text(p) for p in (0.0001, 0.042, float("nan"))] == [
        "p < 0.001",
        "p = 0.042",
        "p n/a",
    ]
    assert [p_value_text(p, "-") for p in (0.0001, 0.042, float("nan"))] == [
        "< 0.001",
        "0.042",
        "-",
    ]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_ruralsim_kpis_prints_every_kpi_within_100_columns(lang, capsys):
    assert main(["kpis", "--lang", lang]) == 0
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert max(kpi_table._width(line) for line in lines) <= 100
    names = [line.split()[0] for line in lines[1:] if line and not line[0].isspace()]
    assert names == list(KPI_NAMES)


def test_ruralsim_kpis_markdown_is_the_readme_table(capsys):
    assert main(["kpis", "--markdown"]) == 0
    assert capsys.readouterr().out == kpi_table.markdown_table()


def test_the_readme_kpi_table_is_generated_from_the_table():
    region = kpi_table.readme_region(README.read_text(encoding="utf-8"))
    assert region == kpi_table.markdown_table(), (
        "README.md's KPI table differs from sim/analysis/kpi_table.py; regenerate it with "
        "`python -m sim.analysis.kpi_table --readme README.md`"
    )


def test_update_readme_rewrites_only_the_region():
    text = f"before\n{kpi_table.START}\nold table\n{kpi_table.END}\nafter\n"
    new = kpi_table.update_readme(text)
    assert new.startswith(f"before\n{kpi_table.START}\n| KPI | unit | better | meaning |")
    assert new.endswith(f"{kpi_table.END}\nafter\n")
    assert kpi_table.update_readme(new) == new
    with pytest.raises(ValueError, match="markers"):
        kpi_table.update_readme("no markers here")


def test_the_text_table_wraps_long_meanings():
    text = kpi_table.text_table("en", width=80)
    assert all(len(line) <= 80 for line in text.splitlines())
    words = " ".join(text.split())
    assert "(legs completed plus the driven part of the current one)." in words
    with pytest.raises(ValueError, match="language"):
        kpi_table.text_table("fr")
