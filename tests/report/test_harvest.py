"""The report's harvest part: the season table, the figures and the summary sentence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.analysis.details import outbound_daily
from sim.report.harvest import harvest_figures, harvest_sentence
from sim.results.reader import Details, load_results
from sim.runner import simulate
from tests.conftest import cli
from tests.engine.test_outbound import harvest


def test_the_season_table_adds_up_to_the_kpis():
    run = simulate(harvest(horizon={"days": 3, "warmup_days": 1, "drain_days": 1}), seed=3)
    table = outbound_daily(run)
    measured = table[table["measured"]]
    k = run.kpis
    assert measured["dropped"].sum() == k["outbound_parcels_generated"]
    assert measured["shipped"].sum() == k["outbound_parcels_shipped"]
    assert measured["spoiled"].sum() == k["spoiled_parcels"]
    same_day = measured["shipped_same_day"].sum() / measured["dropped"].sum()
    assert same_day == pytest.approx(k["outbound_same_day_share"])
    assert (table["shipped_same_day"] <= table["shipped"]).all()
    assert set(table["product"]) == {"daylily", "camellia_oil"}


def _table(values: dict[str, dict[str, float]]) -> pd.DataFrame:
    rows = [
        {"scenario": name, "kpi": kpi, "mean": value}
        for name, kpis in values.items()
        for kpi, value in kpis.items()
    ]
    return pd.DataFrame(rows)


def _kpis(same_day, lead, spoiled):
    return {
        "outbound_same_day_share": same_day,
        "outbound_lead_time_mean_h": lead,
        "backhaul_share": 1.0,
        "spoilage_share": spoiled,
    }


def test_the_sentence_names_the_fastest_and_the_least_wasteful():
    table = _table(
        {
            "direct": _kpis(0.5, 17.0, 0.02),
            "bus": _kpis(0.8, 11.0, 0.05),
            "township": _kpis(0.0, 30.0, 0.01),
        }
    )
    sentence = harvest_sentence(table, "en")
    assert sentence.startswith("Farm products: bus gets the harvest out fastest (80% ")
    assert "township loses the least (1.0% spoiled)" in sentence
    # A tie on the same-day share goes to the shorter lead time.
    tied = _table({"a": _kpis(0.5, 20.0, 0.0), "b": _kpis(0.5, 10.0, 0.0)})
    assert "b gets the harvest out fastest" in harvest_sentence(tied, "en")
    assert "b loses the least" in harvest_sentence(tied, "en")
    assert "出县最快" in harvest_sentence(table, "zh")


def test_results_without_farm_products_get_no_harvest_part():
    table = _table({"direct": {"lead_time_mean_h": 4.0}})
    assert harvest_sentence(table, "en") == ""
    assert harvest_figures(table, {"direct": Details()}, "en") == []


def test_a_harvest_comparison_reports_the_season(tmp_path, capsys):
    files = []
    for model in ("direct", "via_township"):
        scenario = harvest(
            name=f"harvest_{model}",
            delivery={"model": model},
            horizon={"days": 2, "warmup_days": 1, "drain_days": 1},
        )
        path = tmp_path / f"{model}.yaml"
        path.write_text(yaml.safe_dump(scenario.model_dump(mode="json")))
        files.append(path)
    out = tmp_path / "out"
    code, _, err = cli(["compare", *files, "--replications", "2", "--out", out], capsys)
    assert code == 0, err
    results = load_results(out)
    season = results.details["harvest_direct"].outbound_daily
    assert season is not None and set(season["replication"]) == {0, 1}
    assert np.all(season["dropped"] >= season["shipped"])
    code, _, err = cli(["report", out], capsys)
    assert code == 0, err
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Farm products over the season" in page and "gets the harvest out fastest" in page
