"""The report's figures, drawn with matplotlib (Agg) from result tables.

Every ``plot_*`` function takes tables (a comparison or sweep table, or
:class:`~sim.results.reader.Details` per scenario), returns a
:class:`matplotlib.figure.Figure` and touches no global state (no pyplot), so
they work the same in a notebook, a script and the report. ``lang="zh"`` labels
everything in Chinese, drawn with an installed CJK font if there is one
(:mod:`sim.report.fonts`). Scenario names are the user's and are shown as given.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Iterator, Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from sim.analysis.directions import HEADLINE_KPIS
from sim.analysis.stats import t_interval
from sim.report.fonts import font_rc, quiet_missing_glyphs
from sim.report.i18n import fleet_label, kpi_label, tr, unit_text
from sim.report.summary import display_unit, scale
from sim.results.reader import Details
from sim.scenario.reference import field_label

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
"""Scenario colours (Okabe–Ito, safe for colour-blind readers), in scenario order."""

FLEET_COLOURS = {
    "hub_van": "#4C72B0",
    "trunk": "#333333",
    "township_van": "#2CA02C",
    "bus": "#9467BD",
}
"""Route colours on the map, by fleet."""

LEAD_TIME_CMAP = LinearSegmentedColormap.from_list(
    "lead_time", ["#FFE680", "#FDB24C", "#F03B20", "#800026"]
)
"""Village colours on the map: light yellow (fast) to dark red (slow)."""

_STYLE = {
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "figure.titlesize": 13,
    "figure.titleweight": "bold",
    "savefig.dpi": 150,
    "svg.fonttype": "path",
    "svg.hashsalt": "ruralsim",
}


@contextlib.contextmanager
def figure_style(lang: str) -> Iterator[None]:
    """Matplotlib settings of the report's figures (fonts for ``lang``, quiet axes)."""
    with mpl.rc_context({**_STYLE, **font_rc(lang)}), quiet_missing_glyphs():
        yield


def _styled(function):
    """Draw a figure inside :func:`figure_style` and lay it out there once."""

    @functools.wraps(function)
    def wrapper(*args, lang: str = "en", **kwargs) -> Figure:
        with figure_style(lang):
            fig = function(*args, lang=lang, **kwargs)
            fig.draw_without_rendering()  # creates ticks and layout with these fonts
        return fig

    return wrapper


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def colours(names: Sequence[str]) -> dict[str, str]:
    """A colour per scenario, in order (the same in every figure)."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def _label(labels: Mapping[str, str] | None, name: str) -> str:
    """A scenario's text in a figure; a ``$`` in a title is shown, never read as maths."""
    text = labels.get(name, name) if labels else name
    return text.replace("$", r"\$")


def _unit_label(kpi: str, lang: str) -> str:
    the_unit = unit_text(display_unit(kpi), lang)
    if not the_unit:
        return kpi_label(kpi, lang)
    return (
        f"{kpi_label(kpi, lang)} ({the_unit})"
        if lang == "en"
        else f"{kpi_label(kpi, lang)}（{the_unit}）"
    )


# --------------------------------------------------------------------------- lead-time CDF


def mean_percentiles(percentiles: pd.DataFrame) -> pd.Series:
    """Lead time at each quantile, averaged over replications (index: quantile 0..1)."""
    return percentiles.groupby("quantile", sort=True)["lead_time_h"].mean()


@_styled
def plot_lead_time_cdf(
    details: Mapping[str, Details],
    *,
    lang: str = "en",
    labels: Mapping[str, str] | None = None,
    legend_title: str | None = None,
    to_outlets: bool = False,
) -> Figure:
    """Lead-time distribution per scenario, with lines at 24 h and 48 h.

    Parameters
    ----------
    details : mapping of str to Details
        Scenario -> its tables; ``percentiles`` (``quantile, lead_time_h``, one
        block per replication) is used. The curve is the mean over replications
        of the lead time at each quantile, so its 90% point is the mean of the
        replications' 90th percentiles (the ``lead_time_p90_h`` KPI's mean).
    lang : str
        ``"en"`` or ``"zh"``.
    labels : mapping, optional
        Legend text per scenario (default: the name).
    legend_title : str, optional
        Title of the legend (default: "Scenarios").
    to_outlets : bool
        Some parcels' lead time ends at a brand's township outlet (villagers collect
        them there): the title and axis say "village point or township outlet".

    Returns
    -------
    Figure
        x: lead time (hours); y: share of delivered parcels within it (%).
    """
    fig = _new_figure(9.0, 5.2)
    ax = fig.add_subplot()
    palette = colours(list(details))
    p99, p100 = [], []
    for name, tables in details.items():
        curve = mean_percentiles(tables.percentiles)
        ax.plot(
            curve.to_numpy(),
            curve.index.to_numpy() * 100.0,
            color=palette[name],
            linewidth=2.2,
            label=_label(labels, name),
            gid=f"cdf:{name}",
        )
        p99.append(float(np.interp(0.99, curve.index, curve.to_numpy())))
        p100.append(float(curve.iloc[-1]))
    right = max(52.0, np.nanmax(p99) * 1.05 if p99 else 52.0)
    ax.set_xlim(0.0, right)
    ax.set_ylim(0.0, 100.0)
    for hours in (24, 48):
        ax.axvline(hours, color="#555555", linestyle="--", linewidth=1.0, zorder=1)
        ax.annotate(
            tr("fig_cdf_hours", lang, hours=hours),
            xy=(hours, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            color="#333333",
            fontsize=9,
        )
    ax.axhline(90.0, color="#999999", linestyle=":", linewidth=1.0, zorder=1)
    ax.set_yticks([0, 25, 50, 75, 90, 100])
    outlets = "_outlets" if to_outlets else ""
    ax.set_xlabel(tr(f"fig_cdf_x{outlets}", lang))
    ax.set_ylabel(tr("fig_cdf_y", lang))
    fig.suptitle(tr(f"fig_cdf_title{outlets}", lang), x=0.01, ha="left")
    ax.legend(
        loc="lower right",
        title=legend_title or tr("legend_scenarios", lang),
        frameon=True,
        facecolor="white",
        edgecolor="#DDDDDD",
        framealpha=1.0,
    )
    if p100 and np.nanmax(p100) > right:
        ax.text(
            1.0,
            -0.12,
            tr("fig_cdf_cut", lang),
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=8,
            color="#666666",
        )
    return fig


# --------------------------------------------------------------------------- headline bars


def _rows(table: pd.DataFrame, kpi: str, names: Sequence[str]) -> pd.DataFrame:
    return table[table["kpi"] == kpi].set_index("scenario").loc[list(names)]


def _panel_grid(fig: Figure, panels: int) -> tuple[list, object]:
    """Axes for ``panels`` small multiples in rows of three, and a spare cell (or None)."""
    columns = min(3, panels + 1) if panels < 3 else 3
    rows = math.ceil((panels + 1) / columns)
    grid = fig.subplots(rows, columns, squeeze=False).ravel().tolist()
    for extra in grid[panels + 1 :]:
        extra.set_visible(False)
    return grid[:panels], grid[panels] if len(grid) > panels else None


@_styled
def plot_headline_kpis(
    table: pd.DataFrame,
    *,
    kpis: Sequence[str] = HEADLINE_KPIS,
    lang: str = "en",
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """The headline KPIs as bars (means) with 95% CI error bars, one panel per KPI.

    Parameters
    ----------
    table : DataFrame
        A long table (``comparison.csv``): ``scenario, kpi, mean, ci_low, ci_high``.
    kpis : sequence of str
        KPIs to show (default: the headline KPIs).
    lang : str
        ``"en"`` or ``"zh"``.
    labels : mapping, optional
        Legend text per scenario.

    Returns
    -------
    Figure
        Shares are drawn in %.
    """
    names = list(dict.fromkeys(table["scenario"]))
    palette = colours(names)
    fig = _new_figure(11.0, 3.4 * math.ceil((len(kpis) + 1) / 3))
    axes, spare = _panel_grid(fig, len(kpis))
    for ax, kpi in zip(axes, kpis, strict=True):
        rows = _rows(table, kpi, names)
        k = scale(kpi)
        means = rows["mean"].to_numpy(dtype=float) * k
        low = rows["ci_low"].to_numpy(dtype=float) * k
        high = rows["ci_high"].to_numpy(dtype=float) * k
        x = np.arange(len(names))
        has_ci = np.isfinite(low) & np.isfinite(high)
        errors = np.vstack(
            [np.where(has_ci, means - low, 0.0), np.where(has_ci, high - means, 0.0)]
        )
        ax.bar(
            x,
            means,
            yerr=errors,
            color=[palette[n] for n in names],
            width=0.65,
            capsize=5,
            error_kw={"elinewidth": 1.4, "ecolor": "#222222"},
            gid=f"bars:{kpi}",
        )
        top = np.nanmax(np.where(has_ci, high, means)) if np.isfinite(means).any() else 1.0
        for xi, mean, upper in zip(x, means, np.where(has_ci, high, means), strict=True):
            if np.isfinite(mean):
                ax.annotate(
                    _short_number(mean),
                    xy=(xi, upper),
                    xytext=(0, 3),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=9,
                )
        ax.set_ylim(0.0, (top if top > 0 else 1.0) * 1.18)
        if top >= 1000:
            ax.yaxis.set_major_formatter(_THOUSANDS)
        extra = max(0.0, (3 - len(names)) * 0.5)  # one or two bars keep a bar's width
        ax.set_xlim(-0.5 - extra, len(names) - 0.5 + extra)
        ax.set_xticks([])
        ax.grid(axis="x", visible=False)
        ax.set_title(_unit_label(kpi, lang), fontsize=10)
    handles = [mpl.patches.Patch(color=palette[n], label=_label(labels, n)) for n in names]
    if spare is not None:
        spare.axis("off")
        spare.legend(handles=handles, loc="center", title=tr("legend_scenarios", lang))
    else:
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(names), 4))
    fig.suptitle(tr("fig_bars_title", lang), x=0.01, ha="left")
    return fig


_THOUSANDS = FuncFormatter(lambda value, _: f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}")


def _short_number(value: float) -> str:
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 100:
        return f"{value:.0f}"
    if size >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


# --------------------------------------------------------------------------- trade-off


def fitted_limits(values: np.ndarray, margin: float = 0.12) -> tuple[float, float]:
    """Axis limits around some values: their range plus *margin* of it on each side.

    A zero range (one point, or equal ones) gets a margin of 5% of the value (or 1).
    Non-finite values are left out; none at all gives (0, 1).
    """
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    pad = (high - low) * margin if high > low else max(abs(high) * 0.05, 1.0)
    return low - pad, high + pad


def _ends(row: pd.Series, k: float) -> np.ndarray:
    """A point's mean and CI ends, scaled (for the axes to hold its whiskers)."""
    return np.array([row["mean"], row["ci_low"], row["ci_high"]], dtype=float) * k


def _label_points(ax, points: Mapping[str, tuple[float, float]], labels) -> None:
    """Name each point beside it, alternately above and below (from left to right).

    A name goes right of a point in the left half of the axes, left of one in the
    right half, so it stays inside them.
    """
    order = sorted(points, key=lambda n: points[n][0])
    middle = sum(ax.get_xlim()) / 2
    for i, name in enumerate(order):
        above = i % 2 == 0
        right = points[name][0] <= middle
        ax.annotate(
            _label(labels, name),
            xy=points[name],
            xytext=(8 if right else -8, 7 if above else -7),
            textcoords="offset points",
            ha="left" if right else "right",
            va="bottom" if above else "top",
            fontsize=9,
            path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")],
            gid=f"point-label:{name}",
        )


@_styled
def plot_cost_vs_lead_time(
    table: pd.DataFrame,
    *,
    lang: str = "en",
    labels: Mapping[str, str] | None = None,
    x_kpi: str = "lead_time_p90_h",
    y_kpi: str = "cost_per_parcel_cny",
) -> Figure:
    """Cost per parcel against the 90th-percentile lead time, CI whiskers both ways.

    Parameters
    ----------
    table : DataFrame
        A long table (``comparison.csv``).
    lang : str
        ``"en"`` or ``"zh"``.
    labels : mapping, optional
        Text beside each point per scenario (default: the name).
    x_kpi, y_kpi : str
        The KPIs on the axes (default: p90 lead time across, cost per parcel up).

    Returns
    -------
    Figure
        One point per scenario, named beside it (no legend to cover a point). The
        axes are fitted to the points and their whiskers with a margin, not drawn
        from 0: read the distances on the axes.
    """
    names = list(dict.fromkeys(table["scenario"]))
    palette = colours(names)
    fig = _new_figure(8.0, 5.4)
    ax = fig.add_subplot()
    xs, ys = _rows(table, x_kpi, names), _rows(table, y_kpi, names)
    kx, ky = scale(x_kpi), scale(y_kpi)

    def whisker(row, k):
        if not (np.isfinite(row["ci_low"]) and np.isfinite(row["ci_high"])):
            return None
        return [[(row["mean"] - row["ci_low"]) * k], [(row["ci_high"] - row["mean"]) * k]]

    points = {}
    for name in names:
        x, y = xs.loc[name], ys.loc[name]
        points[name] = (float(x["mean"] * kx), float(y["mean"] * ky))
        ax.errorbar(
            *points[name],
            xerr=whisker(x, kx),
            yerr=whisker(y, ky),
            fmt="o",
            markersize=9,
            color=palette[name],
            ecolor=palette[name],
            elinewidth=1.6,
            capsize=5,
            label=_label(labels, name),
            gid=f"point:{name}",
        )
    ax.set_xlim(*fitted_limits(np.concatenate([_ends(xs.loc[n], kx) for n in names]), 0.25))
    ax.set_ylim(*fitted_limits(np.concatenate([_ends(ys.loc[n], ky) for n in names]), 0.2))
    _label_points(ax, points, labels)
    ax.set_xlabel(_unit_label(x_kpi, lang))
    ax.set_ylabel(_unit_label(y_kpi, lang))
    title, better = tr("fig_tradeoff_title", lang), tr("fig_tradeoff_better", lang)
    ax.set_title(f"{title} ({better})" if lang == "en" else f"{title}（{better}）", loc="left")
    return fig


# --------------------------------------------------------------------------- cost breakdown

COST_PARTS = ("cost_transport_cny", "cost_facilities_cny", "cost_fees_cny")
"""The KPIs that add up to ``cost_total_cny``, in the order they are stacked."""

_COST_COLOURS = {
    "cost_transport_cny": "#0072B2",
    "cost_facilities_cny": "#E69F00",
    "cost_fees_cny": "#009E73",
}


def cost_per_parcel_parts(table: pd.DataFrame) -> pd.DataFrame:
    """Mean cost per parcel of each part (:data:`COST_PARTS`), one row per scenario.

    Each part's mean over replications divided by the mean parcels in the cohort.
    """
    names = list(dict.fromkeys(table["scenario"]))
    parcels = _rows(table, "parcels_generated", names)["mean"].to_numpy(float)
    return pd.DataFrame(
        {part: _rows(table, part, names)["mean"].to_numpy(float) / parcels for part in COST_PARTS},
        index=pd.Index(names, name="scenario"),
    )


@_styled
def plot_cost_breakdown(
    table: pd.DataFrame, *, lang: str = "en", labels: Mapping[str, str] | None = None
) -> Figure:
    """Cost per parcel as stacked bars: transport, facilities, fees (subsidies below zero).

    Parameters
    ----------
    table : DataFrame
        A long table (``comparison.csv``) with the cost parts and ``parcels_generated``.
    lang : str
        ``"en"`` or ``"zh"``.
    labels : mapping, optional
        Text under each bar per scenario.

    Returns
    -------
    Figure
        One bar per scenario.
    """
    parts = cost_per_parcel_parts(table)
    names = list(parts.index)
    fig = _new_figure(max(5.0, 1.6 * len(names) + 3.0), 4.6)
    ax = fig.add_subplot()
    x = np.arange(len(names))
    # Positive parts stack up from zero, negative ones (a subsidy bigger than a part's
    # costs) down from it, so no part hides another.
    up, down = np.zeros(len(names)), np.zeros(len(names))
    for part in COST_PARTS:
        values = np.nan_to_num(parts[part].to_numpy())
        bottom = np.where(values >= 0, up, down)
        ax.bar(
            x,
            values,
            bottom=bottom,
            width=0.6,
            color=_COST_COLOURS[part],
            label=kpi_label(part, lang),
            gid=f"costs:{part}",
        )
        up, down = np.where(values >= 0, up + values, up), np.where(values < 0, down + values, down)
    total = parts.sum(axis=1).to_numpy()
    ax.scatter(x, total, marker="_", s=600, color="#000000", zorder=3, gid="costs:total")
    for xi, value in zip(x, total, strict=True):
        if np.isfinite(value):
            ax.annotate(
                _short_number(value),
                xy=(xi, max(value, up[xi])),
                xytext=(0, 4),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=9,
            )
    ax.axhline(0.0, color="#666666", linewidth=0.8)
    ax.set_xticks(x, [_label(labels, n) for n in names])
    ax.grid(axis="x", visible=False)
    ax.set_ylabel(tr("fig_costs_axis", lang))
    ax.set_title(tr("fig_costs_title", lang), loc="left")
    fig.legend(loc="outside right upper")
    return fig


# --------------------------------------------------------------------------- map


def village_means(villages: pd.DataFrame) -> pd.DataFrame:
    """Per village over all replications: position, parcels, delivered, mean lead time.

    The mean is over every delivered parcel of every replication (replication
    means weighted by their delivered parcels); NaN where none was delivered.
    """
    frame = villages.assign(
        weighted=villages["lead_time_mean_h"].fillna(0.0) * villages["delivered"]
    )
    grouped = frame.groupby("village", sort=False)
    out = grouped[["x_km", "y_km", "road_km_from_hub"]].first()
    out["parcels"] = grouped["parcels"].sum()
    out["delivered"] = grouped["delivered"].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["lead_time_mean_h"] = np.where(
            out["delivered"] > 0, grouped["weighted"].sum() / out["delivered"], np.nan
        )
    return out


def _map_grid(fig: Figure, panels: int, columns: int):
    """Map axes, and a spare cell (for the legend) or None."""
    rows = math.ceil(panels / columns)
    axes = fig.subplots(rows, columns, squeeze=False).ravel().tolist()
    for extra in axes[panels + 1 :]:
        extra.set_visible(False)
    return axes[:panels], (axes[panels] if len(axes) > panels else None)


def _shared_norm(means: Mapping[str, pd.DataFrame]) -> Normalize:
    """One colour scale over every scenario's village means (so colours compare)."""
    values = np.concatenate([m["lead_time_mean_h"].to_numpy(dtype=float) for m in means.values()])
    finite = values[np.isfinite(values)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if vmax <= vmin:
        vmin, vmax = vmin - 0.5, vmax + 0.5
    return Normalize(vmin=vmin, vmax=vmax)


_BUS_CASING = [patheffects.withStroke(linewidth=3.6, foreground="white")]
"""A white edge around bus lines, so they read above the van routes they cross."""


def _draw_routes(ax, xy: pd.DataFrame, services: pd.DataFrame, fleets_drawn: list[str]) -> None:
    """Each service's stops joined by a line in its fleet's colour; note the fleets drawn.

    Where there are bus lines they are drawn thick, edged in white and above the
    vehicle routes, which step back (thinner, paler), so the lines can be followed.
    """
    buses = bool((services["fleet"].astype(str) == "bus").any())
    for service in services.itertuples():
        stops = [s for s in str(service.stops).split() if s in xy.index]
        if len(stops) < 2:
            continue
        fleet = str(service.fleet)
        path = xy.loc[stops].to_numpy(dtype=float)
        bus = fleet == "bus"
        ax.plot(
            path[:, 0],
            path[:, 1],
            color=FLEET_COLOURS.get(fleet, "#8C8C8C"),
            linewidth=2.0 if bus else (0.6 if buses else 0.8),
            alpha=0.95 if bus else (0.3 if buses else 0.45),
            zorder=2 if bus else 1,
            solid_capstyle="round",
            path_effects=_BUS_CASING if bus else None,
            gid=f"route:{fleet}:{service.service}",
        )
        if fleet not in fleets_drawn:
            fleets_drawn.append(fleet)


VILLAGE_LABEL_LIMIT = 40
"""A map panel names its village points too when it has at most this many."""


def _map_positions(places: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Places (index: id) with ``x_km, y_km`` as drawn: lon, lat when the CSV gave them.

    Returns the places and whether they are in degrees.
    """
    degrees = {"lon", "lat"} <= set(places.columns)
    if degrees:
        lon, lat = (pd.to_numeric(places[c], errors="coerce") for c in ("lon", "lat"))
        degrees = bool(np.isfinite(lon).all() and np.isfinite(lat).all())
    if not degrees:
        return places, False
    return places.assign(x_km=lon, y_km=lat), True


def _name_places(ax, places: pd.DataFrame) -> None:
    """Write the hub's and stations' ids beside them, and the villages' when they are few."""
    few = (places["level"] == "point").sum() <= VILLAGE_LABEL_LIMIT
    for place, row in places.iterrows():
        if row["level"] == "point" and not few:
            continue
        depot, hub = row["level"] != "point", row["level"] == "hub"
        ax.annotate(
            str(place),
            xy=(float(row["x_km"]), float(row["y_km"])),
            # The hub's name below left: a station often stands near the county town.
            xytext=(-7, -6) if hub else ((5, 4) if depot else (4, -3)),
            textcoords="offset points",
            fontsize=8 if depot else 6.5,
            fontweight="bold" if hub else "normal",
            color="#1F3A5F" if depot else "#444444",
            ha="right" if hub else "left",
            va="bottom" if depot and not hub else "top",
            zorder=6,
            path_effects=[patheffects.withStroke(linewidth=2.2, foreground="white")],
            gid=f"place-label:{place}",
        )


def _draw_villages(ax, village: pd.DataFrame, norm: Normalize, name: str) -> None:
    """Villages coloured by mean lead time; grey where nothing was delivered."""
    lead = village["lead_time_mean_h"].to_numpy(dtype=float)
    delivered = np.isfinite(lead)
    ax.scatter(
        village["x_km"][~delivered],
        village["y_km"][~delivered],
        s=22,
        color="#BBBBBB",
        edgecolors="#555555",
        linewidths=0.4,
        zorder=3,
    )
    ax.scatter(
        village["x_km"][delivered],
        village["y_km"][delivered],
        c=lead[delivered],
        cmap=LEAD_TIME_CMAP,
        norm=norm,
        s=26,
        edgecolors="#444444",
        linewidths=0.4,
        zorder=3,
        gid=f"villages:{name}",
    )


def _draw_depots(ax, places: pd.DataFrame) -> None:
    """Township stations as squares, the county hub as a star."""
    stations = places[places["level"] == "station"]
    ax.scatter(
        stations["x_km"],
        stations["y_km"],
        marker="s",
        s=42,
        color="#1F3A5F",
        edgecolors="white",
        linewidths=0.6,
        zorder=4,
    )
    hub = places[places["level"] == "hub"]
    ax.scatter(
        hub["x_km"],
        hub["y_km"],
        marker="*",
        s=320,
        color="black",
        edgecolors="white",
        linewidths=0.8,
        zorder=5,
    )


def _map_legend_handles(fleets_drawn: Sequence[str], lang: str) -> list[Line2D]:
    """Legend entries: hub, station, village point, then each fleet drawn."""
    return [
        Line2D(
            [],
            [],
            marker="*",
            color="black",
            markersize=14,
            linestyle="",
            label=tr("place_hub", lang),
        ),
        Line2D(
            [],
            [],
            marker="s",
            color="#1F3A5F",
            markersize=7,
            linestyle="",
            label=tr("place_station", lang),
        ),
        Line2D(
            [],
            [],
            marker="o",
            markerfacecolor=LEAD_TIME_CMAP(0.5),
            markeredgecolor="#444444",
            color="white",
            markersize=7,
            linestyle="",
            label=tr("place_point", lang),
        ),
        *(
            Line2D(
                [],
                [],
                color=FLEET_COLOURS.get(fleet, "#8C8C8C"),
                linewidth=2.0,
                label=fleet_label(fleet, lang),
            )
            for fleet in fleets_drawn
        ),
    ]


@_styled
def plot_county_map(
    details: Mapping[str, Details],
    *,
    lang: str = "en",
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """The county per scenario: hub, stations, routes, villages coloured by mean lead time.

    Parameters
    ----------
    details : mapping of str to Details
        Scenario -> tables; ``places`` (``id, level, x_km, y_km``), ``services``
        (``fleet, stops``: place ids separated by spaces) and ``villages`` are used.
    lang : str
        ``"en"`` or ``"zh"``.
    labels : mapping, optional
        Panel titles per scenario.

    Returns
    -------
    Figure
        One panel per scenario; one colour scale for all (so colours compare).
    """
    names = list(details)
    columns = min(len(names), 2)
    rows = math.ceil(len(names) / columns)
    fig = _new_figure(5.4 * columns + 1.2, 5.3 * rows + 1.0)
    axes, spare = _map_grid(fig, len(names), columns)
    means = {name: village_means(details[name].villages) for name in names}
    norm = _shared_norm(means)
    fleets_drawn: list[str] = []
    for ax, name in zip(axes, names, strict=True):
        places, degrees = _map_positions(details[name].places.set_index("id"))
        _draw_routes(ax, places[["x_km", "y_km"]], details[name].services, fleets_drawn)
        at = places.reindex(means[name].index)[["x_km", "y_km"]]
        _draw_villages(ax, means[name].assign(x_km=at["x_km"], y_km=at["y_km"]), norm, name)
        _draw_depots(ax, places)
        _name_places(ax, places)
        if degrees:
            # A degree of longitude is cos(latitude) as long as one of latitude.
            middle = math.radians(float(places["y_km"].mean()))
            ax.set_aspect(1.0 / math.cos(middle), adjustable="datalim")
        else:
            ax.set_aspect("equal", adjustable="datalim")
        ax.set_title(_label(labels, name))
        ax.set_xlabel(tr("fig_map_lon" if degrees else "fig_map_x", lang))
        ax.set_ylabel(tr("fig_map_lat" if degrees else "fig_map_y", lang))
        ax.grid(alpha=0.15)
    mappable = mpl.cm.ScalarMappable(norm=norm, cmap=LEAD_TIME_CMAP)
    bar = fig.colorbar(mappable, ax=axes, shrink=0.85, pad=0.02, aspect=30)
    bar.set_label(tr("fig_map_colour", lang))
    handles = _map_legend_handles(fleets_drawn, lang)
    if spare is not None:
        spare.axis("off")
        spare.legend(handles=handles, loc="center", fontsize=10)
    else:
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4))
    fig.suptitle(tr("fig_map_title", lang), x=0.01, ha="left")
    return fig


# --------------------------------------------------------------------------- daily


def daily_means(daily: pd.DataFrame) -> pd.DataFrame:
    """The daily series averaged over replications (index: day)."""
    columns = [
        "parcels_arrived",
        "parcels_delivered",
        "backlog_hub_end",
        "backlog_stations_end",
        "sorting_utilization",
    ]
    means = daily.groupby("day", sort=True)[columns].mean()
    means["measured"] = daily.groupby("day", sort=True)["measured"].first().astype(bool)
    return means


def _unmeasured_spans(measured: pd.Series) -> list[tuple[float, float, str]]:
    """Runs of unmeasured days as (start, end, kind): ``warmup`` before, ``drain`` after."""
    days = measured.index.to_numpy()
    flags = measured.to_numpy(dtype=bool)
    spans = []
    if not flags.any():
        return [(float(days[0]), float(days[-1] + 1), "warmup")] if days.size else []
    first, last = days[flags][0], days[flags][-1]
    if days[0] < first:
        spans.append((float(days[0]), float(first), "warmup"))
    if last < days[-1]:
        spans.append((float(last + 1), float(days[-1] + 1), "drain"))
    return spans


def _same(series: Mapping[str, pd.DataFrame], column: str) -> bool:
    """Whether every scenario's daily series has the same values in ``column``."""
    first = next(iter(series.values()))
    return all(
        s[column].shape == first[column].shape
        and np.allclose(s[column], first[column], equal_nan=True)
        for s in series.values()
    )


def _centres(frame: pd.DataFrame) -> np.ndarray:
    """The middle of each day (days are drawn from d to d + 1)."""
    return frame.index.to_numpy(dtype=float) + 0.5


def _plot_parcels(ax, series, palette, labels, lang: str) -> None:
    """Parcels arriving (once if every scenario has the same) and delivered, per day."""
    first = next(iter(series.values()))
    same_arrivals = _same(series, "parcels_arrived")
    if same_arrivals:
        ax.plot(
            _centres(first),
            first["parcels_arrived"],
            color="#222222",
            linewidth=1.6,
            linestyle="--",
            label=tr("fig_daily_all", lang, what=tr("fig_daily_arrived", lang)),
        )
    for name, s in series.items():
        who = _label(labels, name)
        if not same_arrivals:
            ax.plot(
                _centres(s),
                s["parcels_arrived"],
                color=palette[name],
                linestyle="--",
                label=f"{who}: {tr('fig_daily_arrived', lang)}",
            )
        ax.plot(
            _centres(s),
            s["parcels_delivered"],
            color=palette[name],
            linewidth=2.0,
            marker="o",
            markersize=3,
            label=tr("fig_daily_delivered", lang, name=who),
            gid=f"delivered:{name}",
        )


def _plot_backlogs(ax, series, palette, labels, lang: str) -> None:
    """End-of-day backlog at the hub, and at the stations where there ever is one."""
    for name, s in series.items():
        who = _label(labels, name)
        ax.plot(
            _centres(s),
            s["backlog_hub_end"],
            color=palette[name],
            linewidth=2.0,
            marker="o",
            markersize=3,
            label=tr("fig_daily_hub", lang, name=who),
        )
        if (s["backlog_stations_end"] > 0).any():
            ax.plot(
                _centres(s),
                s["backlog_stations_end"],
                color=palette[name],
                linewidth=1.6,
                linestyle=":",
                marker="s",
                markersize=3,
                label=tr("fig_daily_stations", lang, name=who),
            )


def _plot_utilisation(ax, series, palette, labels, lang: str) -> None:
    """Sorting-line utilisation in %, once if every scenario has the same."""
    if _same(series, "sorting_utilization"):
        first = next(iter(series.values()))
        ax.plot(
            _centres(first),
            first["sorting_utilization"] * 100.0,
            color="#222222",
            linewidth=2.0,
            marker="o",
            markersize=3,
            label=tr("fig_daily_same", lang),
        )
        return
    for name, s in series.items():
        ax.plot(
            _centres(s),
            s["sorting_utilization"] * 100.0,
            color=palette[name],
            linewidth=2.0,
            marker="o",
            markersize=3,
            label=_label(labels, name),
        )


def _mark_unmeasured(axes, measured: pd.Series, lang: str) -> None:
    """Shade the warm-up and drain days on every panel and name them above the top one."""
    spans = _unmeasured_spans(measured)
    for ax in axes:
        for start, end, _ in spans:
            ax.axvspan(start, end, color="#000000", alpha=0.07, linewidth=0, zorder=0)
    top = axes[0]
    for start, end, kind in spans:
        top.text(
            (start + end) / 2,
            1.02,
            tr("fig_daily_warmup" if kind == "warmup" else "fig_daily_drain", lang),
            transform=top.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=8,
            color="#555555",
        )


PEAK_COLOUR = "#E69F00"
"""Shading of demand-peak days in the daily figure."""


def _peak_spans(
    peaks: Mapping[str, Sequence[tuple[int, int, float]]], first_day: float, end_day: float
) -> list[tuple[float, float, float, list[str]]]:
    """Distinct peaks as (start, end, factor, scenarios with it), clipped to the days shown."""
    spans: dict[tuple[float, float, float], list[str]] = {}
    for name, periods in peaks.items():
        for start_day, days, factor in periods:
            start, end = max(float(start_day), first_day), min(float(start_day + days), end_day)
            if start < end:
                spans.setdefault((start, end, float(factor)), []).append(name)
    return [(start, end, factor, names) for (start, end, factor), names in spans.items()]


def _mark_peaks(axes, peaks, scenarios: Sequence[str], days: np.ndarray, labels, lang) -> None:
    """Shade demand-peak days on every panel and say above the top one what they are.

    A peak that not every one of ``scenarios`` has names the scenarios that have it.
    """
    spans = _peak_spans(peaks, float(days[0]), float(days[-1] + 1))
    for start, end, factor, names in spans:
        for ax in axes:
            ax.axvspan(
                start,
                end,
                color=PEAK_COLOUR,
                alpha=0.15,
                linewidth=0,
                zorder=0,
                gid=f"peak:{start:g}-{end:g}",
            )
        text = tr("fig_daily_peak", lang, factor=f"{factor:g}")
        if set(names) != set(scenarios):
            who = tr("list_sep", lang).join(_label(labels, name) for name in names)
            text = tr("fig_daily_peak_of", lang, peak=text, names=who)
        axes[0].text(
            (start + end) / 2,
            1.02,
            text,
            transform=axes[0].get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=8,
            color="#8A5A00",
            gid="peak-label",
        )


@_styled
def plot_daily(
    details: Mapping[str, Details],
    *,
    lang: str = "en",
    labels: Mapping[str, str] | None = None,
    peaks: Mapping[str, Sequence[tuple[int, int, float]]] | None = None,
) -> Figure:
    """Day by day: parcels, backlog at the hub and stations, sorting-line utilisation.

    Parameters
    ----------
    details : mapping of str to Details
        Scenario -> tables; ``daily`` is used (averaged over replications).
    lang : str
        ``"en"`` or ``"zh"``.
    labels : mapping, optional
        Legend text per scenario.
    peaks : mapping, optional
        Scenario -> its demand peaks as ``(start_day, days, factor)``
        (:meth:`sim.results.reader.Results.peaks`); each is shaded.

    Returns
    -------
    Figure
        Three panels sharing the day axis; days that are not measured (warm-up,
        drain) are shaded grey, demand peaks orange and labelled with their factor.
    """
    names = list(details)
    palette = colours(names)
    series = {name: daily_means(details[name].daily) for name in names}
    fig = _new_figure(10.0, 8.2)
    axes = fig.subplots(3, 1, sharex=True)
    parcels, backlog, util = axes
    _plot_parcels(parcels, series, palette, labels, lang)
    _plot_backlogs(backlog, series, palette, labels, lang)
    _plot_utilisation(util, series, palette, labels, lang)
    first = series[names[0]]
    _mark_unmeasured(axes, first["measured"], lang)
    days = first.index.to_numpy()
    if peaks:
        _mark_peaks(axes, peaks, names, days, labels, lang)
    for ax in axes:
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(_THOUSANDS)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    parcels.set_ylabel(tr("fig_daily_parcels", lang))
    backlog.set_ylabel(tr("fig_daily_backlog", lang))
    util.set_ylabel(tr("fig_daily_util", lang))
    util.set_xlim(float(days[0]), float(days[-1] + 1))
    util.set_xticks(days + 0.5, [str(int(d)) for d in days])
    util.set_xlabel(tr("fig_daily_x", lang))
    for ax in axes:
        ax.grid(axis="x", visible=False)
    fig.suptitle(tr("fig_daily_title", lang), x=0.01, ha="left")
    return fig


# --------------------------------------------------------------------------- distance bands


def distance_bands(villages: pd.DataFrame, band_km: float = 10.0) -> pd.DataFrame:
    """Mean lead time per band of road distance from the hub, with a CI over replications.

    Parameters
    ----------
    villages : DataFrame
        Per village and replication: ``replication, village, road_km_from_hub,
        delivered, lead_time_mean_h``.
    band_km : float
        Band width in km (bands start at 0).

    Returns
    -------
    DataFrame
        One row per band with villages: ``low_km, high_km, villages, mean, ci_low,
        ci_high`` — each replication's mean over the band's delivered parcels, then
        the mean and Student-t 95% interval of those over replications.
    """
    frame = villages.copy()
    if "replication" not in frame:
        frame["replication"] = 0
    frame["band"] = np.floor(frame["road_km_from_hub"] / band_km).astype(int)
    frame["weighted"] = frame["lead_time_mean_h"].fillna(0.0) * frame["delivered"]
    per_replication = frame.groupby(["band", "replication"])[["weighted", "delivered"]].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        per_replication["mean"] = np.where(
            per_replication["delivered"] > 0,
            per_replication["weighted"] / per_replication["delivered"],
            np.nan,
        )
    rows = []
    first = frame[frame["replication"] == frame["replication"].min()]
    for band, block in per_replication.groupby(level="band"):
        mean, low, high = t_interval(block["mean"].to_numpy())
        rows.append(
            {
                "low_km": band * band_km,
                "high_km": (band + 1) * band_km,
                "villages": int((first["band"] == band).sum()),
                "mean": mean,
                "ci_low": low,
                "ci_high": high,
            }
        )
    return pd.DataFrame(
        rows, columns=["low_km", "high_km", "villages", "mean", "ci_low", "ci_high"]
    )


@_styled
def plot_distance_bands(
    details: Mapping[str, Details],
    *,
    band_km: float = 10.0,
    lang: str = "en",
    labels: Mapping[str, str] | None = None,
    legend_title: str | None = None,
) -> Figure:
    """Mean lead time by band of road distance from the hub, per scenario, with 95% CIs.

    Parameters
    ----------
    details : mapping of str to Details
        Scenario -> tables; ``villages`` is used (see :func:`distance_bands`).
    band_km : float
        Band width in km (default 10: 0–10, 10–20 … km).
    lang : str
        ``"en"`` or ``"zh"``.
    labels : mapping, optional
        Legend text per scenario.
    legend_title : str, optional
        Title of the legend (default: "Scenarios").

    Returns
    -------
    Figure
        Grouped bars: one group per band, one bar per scenario.
    """
    names = list(details)
    palette = colours(names)
    bands = {name: distance_bands(details[name].villages, band_km) for name in names}
    edges = sorted({row.low_km for b in bands.values() for row in b.itertuples()})
    fig = _new_figure(9.0, 5.0)
    ax = fig.add_subplot()
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        b = bands[name].set_index("low_km").reindex(edges)
        x = np.arange(len(edges)) + (i - (len(names) - 1) / 2) * width
        has_ci = np.isfinite(b["ci_low"]) & np.isfinite(b["ci_high"])
        errors = np.vstack(
            [
                np.where(has_ci, b["mean"] - b["ci_low"], 0.0),
                np.where(has_ci, b["ci_high"] - b["mean"], 0.0),
            ]
        )
        ax.bar(
            x,
            b["mean"].to_numpy(dtype=float),
            width=width * 0.95,
            yerr=errors,
            capsize=3,
            color=palette[name],
            error_kw={"elinewidth": 1.1, "ecolor": "#222222"},
            label=_label(labels, name),
            gid=f"bands:{name}",
        )
    counts = bands[names[0]].set_index("low_km")["villages"].reindex(edges).fillna(0).astype(int)
    ax.set_xticks(
        np.arange(len(edges)),
        [
            tr(
                "fig_bands_band_one" if counts[low] == 1 else "fig_bands_band",
                lang,
                low=f"{low:g}",
                high=f"{low + band_km:g}",
                count=counts[low],
            )
            for low in edges
        ],
    )
    ax.grid(axis="x", visible=False)
    ax.set_xlabel(tr("fig_bands_x", lang))
    ax.set_ylabel(tr("fig_bands_y", lang))
    ax.set_title(tr("fig_bands_title", lang), loc="left")
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0,
        title=legend_title or tr("legend_scenarios", lang),
    )
    ax.set_ylim(bottom=0)
    ax.margins(y=0.1)
    return fig


# --------------------------------------------------------------------------- sweep


def _numeric(values: Sequence) -> bool:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return False
    return bool(np.isfinite(array).all())


def sweep_axis(sweep: pd.DataFrame, varied: Sequence[str]) -> str:
    """The varied path drawn across: the first numeric one with several values."""
    for path in varied:
        values = sweep[path].unique()
        if len(values) > 1 and _numeric(values):
            return path
    for path in varied:
        if sweep[path].nunique() > 1:
            return path
    return varied[0]


@_styled
def plot_sweep(
    sweep: pd.DataFrame,
    varied: Sequence[str],
    *,
    kpis: Sequence[str] = HEADLINE_KPIS,
    x: str | None = None,
    lang: str = "en",
) -> Figure:
    """Each KPI against a varied parameter, with its 95% CI as a band.

    Parameters
    ----------
    sweep : DataFrame
        ``sweep.csv``: the varied paths, then ``kpi, mean, ci_low, ci_high, n``.
    varied : sequence of str
        The varied paths (columns of ``sweep``).
    kpis : sequence of str
        KPIs to draw, one panel each (default: the headline KPIs).
    x : str, optional
        The path across (default: the first numeric varied path with several values).
        Every combination of the other paths is a line of its own.
    lang : str
        ``"en"`` or ``"zh"``.

    Returns
    -------
    Figure
        Numeric values: lines with a shaded band; other values: points with whiskers.
    """
    x = x or sweep_axis(sweep, varied)
    others = [p for p in varied if p != x]
    numeric = _numeric(sweep[x].unique())
    fig = _new_figure(11.0, 3.4 * math.ceil((len(kpis) + 1) / 3))
    axes, spare = _panel_grid(fig, len(kpis))
    groups = list(sweep.groupby(others, sort=False)) if others else [((), sweep)]
    palette = PALETTE
    handles = []
    for ax, kpi in zip(axes, kpis, strict=True):
        k = scale(kpi)
        for g, (key, block) in enumerate(groups):
            rows = block[block["kpi"] == kpi]
            colour = palette[g % len(palette)]
            key = key if isinstance(key, tuple) else (key,)
            if len(others) == 1:
                label = str(key[0])
            else:
                pairs = zip(others, key, strict=True)
                label = "; ".join(f"{field_label(p)} = {v}" for p, v in pairs)
            label = label or tr("fig_mean", lang)
            if numeric:
                rows = rows.sort_values(x)
                xs = rows[x].to_numpy(dtype=float)
                ax.fill_between(
                    xs,
                    rows["ci_low"].to_numpy(dtype=float) * k,
                    rows["ci_high"].to_numpy(dtype=float) * k,
                    color=colour,
                    alpha=0.2,
                    linewidth=0,
                    gid=f"band:{kpi}:{g}",
                )
                (line,) = ax.plot(
                    xs,
                    rows["mean"].to_numpy(dtype=float) * k,
                    color=colour,
                    marker="o",
                    linewidth=2.0,
                    label=label,
                    gid=f"line:{kpi}:{g}",
                )
            else:
                categories = list(dict.fromkeys(sweep[x].astype(str)))
                xs = np.array([categories.index(str(v)) for v in rows[x]], dtype=float)
                xs = xs + (g - (len(groups) - 1) / 2) * 0.08
                mean = rows["mean"].to_numpy(dtype=float) * k
                line = ax.errorbar(
                    xs,
                    mean,
                    yerr=[
                        mean - rows["ci_low"].to_numpy() * k,
                        rows["ci_high"].to_numpy() * k - mean,
                    ],
                    fmt="o",
                    color=colour,
                    capsize=4,
                    label=label,
                )
                ax.set_xticks(range(len(categories)), categories)
            if ax is axes[0]:
                handles.append(line)
        ax.set_title(_unit_label(kpi, lang), fontsize=10)
        ax.set_xlabel(field_label(x), fontsize=9)
    if spare is not None:
        spare.axis("off")
        if len(groups) > 1 or others:
            title = field_label(others[0]) if len(others) == 1 else None
            spare.legend(handles=handles, loc="center", title=title)
    fig.suptitle(tr("fig_sweep_title", lang), x=0.01, ha="left")
    return fig


FIGURES = {
    "lead_time_cdf": plot_lead_time_cdf,
    "headline_kpis": plot_headline_kpis,
    "cost_vs_lead_time": plot_cost_vs_lead_time,
    "cost_breakdown": plot_cost_breakdown,
    "county_map": plot_county_map,
    "daily": plot_daily,
    "distance_bands": plot_distance_bands,
    "sweep": plot_sweep,
}
"""Every figure by the file name it is saved under."""
