"""The summary's opening weighs the headline KPIs as trade-offs, never one KPI alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.compare import with_practical
from sim.report.tradeoffs import CLAUSES, tradeoff_phrase
from tests.report.helpers import CJK

KPIS = ["lead_time_mean_h", "on_time_24h_share", "cost_per_parcel_cny", "co2_kg"]


def comparison(rows: dict[str, tuple[float, float, float, float]]) -> pd.DataFrame:
    """A hand-built comparison of b against a: KPI -> (reference mean, diff, CI low, CI high)."""
    records = []
    for kpi, (mean, diff, low, high) in rows.items():
        records.append({"scenario": "a", "kpi": kpi, "mean": mean})
        records.append(
            {
                "scenario": "b",
                "kpi": kpi,
                "mean": mean + diff,
                "diff": diff,
                "diff_ci_low": low,
                "diff_ci_high": high,
                "p_value": 0.001,
            }
        )
    table = pd.DataFrame(records).assign(ci_low=np.nan, ci_high=np.nan)
    return with_practical(table)  # the KPI table's thresholds


# via-township: 2.7 h slower, 0.02 pp fewer within 24 h (clear but negligible),
# 24% dearer per parcel, 60% less CO2.
MAIN = {
    "lead_time_mean_h": (4.52, 2.73, 2.72, 2.74),
    "on_time_24h_share": (1.0, -0.0002, -0.00027, -0.00014),
    "cost_per_parcel_cny": (2.87, 0.685, 0.681, 0.688),
    "co2_kg": (31_445.0, -18_858.0, -18_883.0, -18_834.0),
}


def test_gains_then_costs_then_what_does_not_matter():
    text = tradeoff_phrase(comparison(MAIN), "b", "a", KPIS, "en").plain()
    assert text == (
        "b against a: better on CO₂ emissions (-60%); worse on mean lead time (+2.73 h), "
        "cost per parcel (+24%); no practical difference on delivered within 24 h."
    )


def test_signs_follow_the_difference_not_the_judgement():
    flipped = {kpi: (mean, -d, -high, -low) for kpi, (mean, d, low, high) in MAIN.items()}
    text = tradeoff_phrase(comparison(flipped), "b", "a", KPIS, "en").plain()
    # Faster and cheaper is better; more CO2 is worse, with a + sign.
    assert text.startswith(
        "b against a: better on mean lead time (-2.73 h), cost per parcel (-24%)"
    )
    assert "; worse on CO₂ emissions (+60%)" in text
    assert "no practical difference on delivered within 24 h" in text


def test_unclear_and_beyond_the_threshold_are_told_apart():
    rows = {
        "lead_time_mean_h": (4.5, 0.1, -0.5, 0.7),  # straddles 0, reaches beyond ±0.25 h
        "on_time_24h_share": (0.8, -0.05, -0.06, -0.04),  # 5 pp fewer: beyond 1 pp
        "cost_per_parcel_cny": (2.87, 0.015, 0.01, 0.02),  # 1.5 fen: clear but negligible
        "co2_kg": (1000.0, 0.0, 0.0, 0.0),  # the same in every replication
    }
    text = tradeoff_phrase(comparison(rows), "b", "a", KPIS, "en").plain()
    assert text == (
        "b against a: worse on delivered within 24 h (-5.00 pp); no practical difference on "
        "cost per parcel; not clear on mean lead time (the 95% interval includes zero); "
        "identical on CO₂ emissions."
    )
    order = [text.index(word) for word in ("worse on", "no practical", "not clear", "identical")]
    assert order == sorted(order)
    assert CLAUSES.index("negligible") < CLAUSES.index("none")


def test_html_tags_each_kpi_and_each_number_with_its_row():
    html = tradeoff_phrase(comparison(MAIN), "b", "a", KPIS, "en").html()
    for kpi in KPIS:
        assert f'<strong class="kpi" data-kpi="{kpi}">' in html
    assert 'data-kpi="co2_kg" data-field="relative"' in html
    assert 'data-kpi="lead_time_mean_h" data-field="diff"' in html


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_both_languages_name_every_kpi(lang):
    text = tradeoff_phrase(comparison(MAIN), "b", "a", KPIS, lang).plain()
    if lang == "zh":
        assert CJK.search(text) and "无实际差异" in text and "更优" in text and "更差" in text
        assert text.index("更优") < text.index("更差")
    assert "+2.73" in text and "-60%" in text
