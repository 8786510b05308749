"""The reform figure and sentence: shown for a comparison with brands, numbers from the table."""

from __future__ import annotations

import pandas as pd
import pytest

from sim import simulate
from sim.experiments import compare
from sim.report import load_results, write_report
from sim.report.html import figures_folder_for
from sim.report.i18n import tr
from sim.report.reform import collects_in_town, has_brands
from sim.report.summary import summarize_results
from tests.conftest import small_scenario
from tests.report.helpers import check_html

OWN = {"network": "own", "legs": [{"to": "station", "by": ["trunk"]}]}


def reform_scenarios():
    shares = {"big": 0.6, "small": 0.4}
    status_quo = {name: {**OWN, "share": share} for name, share in shares.items()}
    unified = {name: {"share": share} for name, share in shares.items()}
    return [
        small_scenario(name="status_quo", brands=status_quo),
        small_scenario(name="unified", brands=unified),
    ]


@pytest.fixture(scope="module")
def reform_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("reform") / "cmp"
    compare(reform_scenarios(), replications=2, seed=3, out=out)
    return out


def test_a_comparison_with_brands_has_the_reform_figure_and_sentence(reform_folder, tmp_path):
    out = tmp_path / "r.html"
    html = write_report(reform_folder, out).html.read_text(encoding="utf-8")
    check_html(html)
    assert (figures_folder_for(out) / "reform.png").exists()
    assert tr("fig_reform_title", "en").replace("'", "&#x27;") in html
    assert has_brands(load_results(reform_folder).scenarios)
    # The status quo's parcels stop at township outlets: lead time is said to end there.
    outlets = tr("lead_time_definition_outlets", "en").replace("'", "&#x27;")
    assert outlets in html
    assert tr("lead_time_definition", "en") not in html
    assert tr("cap_cdf_outlets", "en").replace("'", "&#x27;") in html
    sentence = summarize_results(load_results(reform_folder)).lead[-1]
    assert sentence.key == "reform_line"
    table = pd.read_csv(reform_folder / "comparison.csv").set_index(["scenario", "kpi"])
    for part in sentence.fields.values():
        if hasattr(part, "kpi"):  # a number: the mean of its scenario and KPI, exactly
            assert part.value == table.loc[(part.scenario, part.kpi), "mean"]
    # Villagers travel to town only in the status quo.
    assert table.loc[("unified", "villager_trip_km"), "mean"] == 0.0
    assert table.loc[("status_quo", "villager_trip_km"), "mean"] > 0.0


def test_brands_csv_per_brand_and_replication(reform_folder):
    brands = pd.read_csv(reform_folder / "status_quo" / "details" / "brands.csv")
    assert list(brands["brand"]) == ["big", "small"] * 2
    assert list(brands["replication"]) == [0, 0, 1, 1]
    kpis = pd.read_csv(reform_folder / "status_quo" / "kpis.csv")
    totals = brands.groupby("replication")[["parcels", "vehicle_km", "cost_cny"]].sum()
    assert list(totals["parcels"]) == list(kpis["parcels_generated"])
    assert totals["vehicle_km"].to_numpy() == pytest.approx(kpis["vehicle_km"].to_numpy())
    assert totals["cost_cny"].to_numpy() == pytest.approx(kpis["cost_total_cny"].to_numpy())


def test_a_comparison_without_brands_has_no_reform_figure(compare_folder):
    # Drawing every figure is slow: the figure list is decided by has_brands alone.
    results = load_results(compare_folder)
    assert not has_brands(results.scenarios) and results.scenarios
    assert summarize_results(load_results(compare_folder)).lead[-1].key != "reform_line"
    assert not (compare_folder / "sc_direct" / "details" / "brands.csv").exists()


def test_services_csv_lists_every_network_as_the_trip_log_numbers_them(reform_folder):
    services = pd.read_csv(reform_folder / "status_quo" / "details" / "services.csv")
    assert set(services["network"]) == {"big", "small"}  # two own networks, no public one
    assert list(services["index"]) == list(range(len(services)))
    run = simulate(reform_scenarios()[0], seed=3)
    names = [spec.name for spec in run.networks]
    assert sum(len(plan.services) for plan in run.network_plans) == len(services)
    rows = services.set_index("index").loc[run.trips["service"]]
    assert len(set(run.trips["network"])) == 2  # both networks drove
    # Every trip's service is a row of its network and its fleet, whichever network.
    assert list(rows["network"]) == [names[n] for n in run.trips["network"]]
    assert list(rows["fleet"]) == list(run.trips["fleet"].astype(str))
    # A scenario with brands all on the public network names it.
    unified = pd.read_csv(reform_folder / "unified" / "details" / "services.csv")
    assert set(unified["network"]) == {"public"}


def test_lead_time_is_said_to_end_at_an_outlet_only_where_a_brand_stops_there():
    resolved = {s.name: s.model_dump(mode="json") for s in reform_scenarios()}
    assert collects_in_town(resolved)  # the status quo's brands stop at their outlets
    assert not collects_in_town({"unified": resolved["unified"]})  # public, to the villages
    direct = small_scenario(
        brands={"a": {**OWN, "share": 1.0, "legs": [{"to": "point", "by": ["hub_van"]}]}}
    )
    assert not collects_in_town({"direct": direct.model_dump(mode="json")})
    assert not collects_in_town({"plain": small_scenario().model_dump(mode="json")})
