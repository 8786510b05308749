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

REFORM_KPIS = ("door_time_mean_h", "vehicle_km", "cost_total_cny", "villager_trip_km")
"""The panels of the reform figure, in order."""


def has_brands(scenarios: Mapping[str, dict]) -> bool:
    """Whether any resolved scenario has express brands (the reform figure is drawn then)."""
    return any((resolved or {}).get("brands") for resolved in scenarios.values())


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
