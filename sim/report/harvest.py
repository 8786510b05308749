"""The report's harvest part: farm products going out of the villages (docs/outbound.md).

Drawn only for results whose scenarios have an ``outbound`` section (their detail
table ``outbound_daily``): the outbound flow over the season by product, the
outbound KPIs by delivery model (same-day share, lead time, backhaul share,
spoilage) and a summary sentence on which model gets the harvest out fastest and
with the least loss.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.report.figures import _new_figure, _styled, colours, plot_headline_kpis
from sim.report.i18n import tr
from sim.results.reader import Details

HARVEST_KPIS = (
    "outbound_same_day_share",
    "outbound_lead_time_mean_h",
    "backhaul_share",
    "spoilage_share",
)
"""The outbound KPIs the report shows by delivery model."""

PRODUCT_COLOURS = ("#E69F00", "#8C564B", "#CC79A7", "#56B4E9", "#009E73", "#F0E442")
"""Product colours in the season figure, in the scenario's product order."""


def season_means(outbound_daily: pd.DataFrame) -> pd.DataFrame:
    """The outbound daily table averaged over replications (index: day, product)."""
    columns = ["dropped", "shipped_same_day", "spoiled"]
    return outbound_daily.groupby(["day", "product"], sort=False)[columns].mean()


@_styled
def plot_outbound_season(
    details: Mapping[str, Details],
    *,
    lang: str = "en",
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Per scenario with farm products: dropped off by product, out the same day, spoiled."""
    names = [n for n, d in details.items() if d.outbound_daily is not None]
    palette = colours(list(details))
    fig = _new_figure(11.0, 3.2 * len(names))
    axes = fig.subplots(len(names), 1, squeeze=False, sharex=True).ravel()
    for ax, name in zip(axes, names, strict=True):
        means = season_means(details[name].outbound_daily)
        dropped = means["dropped"].unstack("product")
        products = list(dict.fromkeys(details[name].outbound_daily["product"]))
        dropped = dropped[products]
        bottom = np.zeros(len(dropped))
        for i, product in enumerate(products):
            values = dropped[product].to_numpy()
            colour = PRODUCT_COLOURS[i % len(PRODUCT_COLOURS)]
            ax.bar(dropped.index, values, bottom=bottom, color=colour, width=0.8, label=product)
            bottom += values
        totals = means.groupby(level="day", sort=True).sum()
        ax.plot(
            totals.index, totals["shipped_same_day"], color=palette[name], linewidth=2,
            label=tr("harvest_same_day", lang),
        )  # fmt: skip
        ax.plot(
            totals.index, totals["spoiled"], color="#222222", linestyle=":", linewidth=1.6,
            label=tr("harvest_spoiled", lang),
        )  # fmt: skip
        ax.set_title(labels.get(name, name) if labels else name, fontsize=10)
        ax.set_ylabel(tr("harvest_parcels", lang))
        ax.set_ylim(0.0, max(float(bottom.max(initial=0.0)), 1.0) * 1.4)  # room for the legend
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(loc="upper left", ncols=3)
    axes[-1].set_xlabel(tr("harvest_day", lang))
    return fig


def has_outbound(details: Mapping[str, Details]) -> bool:
    """Whether any scenario's results hold farm products going out."""
    return any(d.outbound_daily is not None for d in details.values())


def harvest_figures(
    table: pd.DataFrame,
    details: Mapping[str, Details],
    lang: str,
    labels: Mapping[str, str] | None = None,
) -> list[tuple[str, Figure]]:
    """The harvest figures, or none for results without farm products."""
    if not has_outbound(details) or not set(HARVEST_KPIS) <= set(table["kpi"]):
        return []
    return [
        ("outbound_season", plot_outbound_season(details, lang=lang, labels=labels)),
        (
            "outbound_kpis",
            plot_headline_kpis(table, kpis=HARVEST_KPIS, lang=lang, labels=labels),
        ),
    ]


def harvest_sentence(
    table: pd.DataFrame, lang: str, labels: Mapping[str, str] | None = None
) -> str:
    """Which model gets the harvest out fastest and which loses the least ("" if none can say).

    Fastest: the highest same-day share (ties: the shorter mean lead time); least loss:
    the lowest spoilage share (ties: the faster one), over the scenarios with farm
    products (means over replications).
    """
    if not set(HARVEST_KPIS) <= set(table["kpi"]):
        return ""
    means = table[table["kpi"].isin(HARVEST_KPIS)].pivot(
        index="scenario", columns="kpi", values="mean"
    )
    means = means[np.isfinite(means["outbound_same_day_share"].astype(float))]
    if means.empty:
        return ""
    order = list(dict.fromkeys(table["scenario"]))
    means = means.loc[[n for n in order if n in means.index]]
    lead = means["outbound_lead_time_mean_h"].fillna(math.inf)
    fast = min(means.index, key=lambda n: (-means.at[n, "outbound_same_day_share"], lead[n]))
    safe = min(means.index, key=lambda n: (means.at[n, "spoilage_share"], lead[n]))

    def name(n: str) -> str:
        return labels.get(n, n) if labels else n

    return tr(
        "harvest_fastest",
        lang,
        fast=name(fast),
        share=means.at[fast, "outbound_same_day_share"],
        hours=means.at[fast, "outbound_lead_time_mean_h"],
        safe=name(safe),
        spoiled=means.at[safe, "spoilage_share"],
    )


def harvest_summary_html(
    table: pd.DataFrame,
    details: Mapping[str, Details],
    lang: str,
    labels: Mapping[str, str] | None = None,
) -> str:
    """The summary sentence as a paragraph of the report ("" without farm products)."""
    sentence = harvest_sentence(table, lang, labels) if has_outbound(details) else ""
    return f'<p class="harvest">{escape(sentence)}</p>' if sentence else ""
