"""The reform figure: what the "five unifications" buy, scenario by scenario.

Door time, vehicle-km, total cost and villagers' km to town, one panel each, for
the compared scenarios in the order given (status quo → partial → unified). Shown
when any compared scenario has express ``brands`` (docs/brands.md).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from matplotlib.figure import Figure

from sim.report.figures import plot_headline_kpis
from sim.report.i18n import tr
from sim.report.summary import Name, Phrase, mean_parts

REFORM_KPIS = ("door_time_mean_h", "vehicle_km", "cost_total_cny", "villager_trip_km")
"""The panels of the reform figure, in order."""


def has_brands(scenarios: Mapping[str, dict]) -> bool:
    """Whether any resolved scenario has express brands (the reform figure is drawn then)."""
    return any((resolved or {}).get("brands") for resolved in scenarios.values())


def collects_in_town(scenarios: Mapping[str, dict]) -> bool:
    """Whether a resolved scenario has a brand whose parcels stop at a township outlet.

    Their lead time ends at the outlet, where villagers collect them, not at a village
    point: the report's wording of lead time says so then (docs/brands.md).
    """
    for resolved in scenarios.values():
        brands = (resolved or {}).get("brands") or {}
        public_legs = ((resolved or {}).get("delivery") or {}).get("legs") or []
        for brand in brands.values():
            legs = brand.get("legs") or (public_legs if brand.get("network") == "public" else [])
            if legs and legs[-1].get("to") == "station":
                return True
    return False


def plot_reform(
    table: pd.DataFrame, *, lang: str = "en", labels: Mapping[str, str] | None = None
) -> Figure:
    """Door time, vehicle-km, cost and villager km per scenario (bars: mean, whiskers: 95% CI).

    Parameters
    ----------
    table : DataFrame
        A long table (``comparison.csv``): ``scenario, kpi, mean, ci_low, ci_high``.
    lang : str
        ``"en"`` or ``"zh"``.
    labels : mapping, optional
        Legend text per scenario.
    """
    kpis = [kpi for kpi in REFORM_KPIS if kpi in set(table["kpi"])]
    fig = plot_headline_kpis(table, kpis=kpis, lang=lang, labels=labels)
    fig.suptitle(tr("fig_reform_title", lang), x=0.01, ha="left")
    return fig


def reform_phrase(results, lang: str) -> Phrase | None:
    """What the reform buys and costs, from the reference to the last compared scenario.

    ``None`` unless the results are a comparison with a scenario that has brands and
    every KPI the sentence needs. Each number is a mean of ``comparison.csv``.
    """
    if results.kind != "compare" or not has_brands(results.scenarios):
        return None
    table, first, last = results.table, results.reference, results.names[-1]
    if last == first or not set(REFORM_KPIS) <= set(table["kpi"]):
        return None
    fields: dict = {"reference": Name(first), "name": Name(last)}
    for short, kpi in zip(("door", "vkm", "cost", "km"), REFORM_KPIS, strict=True):
        for end, name in (("ref", first), ("name", last)):
            row = table[(table["scenario"] == name) & (table["kpi"] == kpi)].iloc[0]
            fields[f"{short}_{end}"] = mean_parts(row, name, kpi)[0]
    return Phrase("reform_line", lang, fields)
