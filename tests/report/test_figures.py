"""Figures drawn from small hand-made tables: what is plotted is what the tables say."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from scipy import stats

import sim.report
from sim.analysis.directions import HEADLINE_KPIS
from sim.report import Details
from sim.report.figures import LEAD_TIME_CMAP

# --------------------------------------------------------------------------- inputs


def percentiles(offsets: list[float]) -> pd.DataFrame:
    """Replication r: lead time 10 q + offsets[r] hours at quantile q."""
    q = np.linspace(0, 1, 11)
    return pd.concat(
        [
            pd.DataFrame({"replication": r, "quantile": q, "lead_time_h": 10 * q + offset})
            for r, offset in enumerate(offsets)
        ],
        ignore_index=True,
    )


def long_table() -> pd.DataFrame:
    """A comparison table of two scenarios over the headline KPIs (asymmetric intervals)."""
    values = {
        "a": {
            "lead_time_mean_h": (10.0, 9.0, 12.0),
            "lead_time_p90_h": (20.0, 19.0, 21.5),
            "on_time_24h_share": (0.8, 0.75, 0.85),
            "cost_per_parcel_cny": (1.5, 1.4, 1.7),
            "co2_kg": (3000.0, 2900.0, 3050.0),
        },
        "b": {
            "lead_time_mean_h": (14.0, 13.0, 15.0),
            "lead_time_p90_h": (30.0, 28.0, 31.0),
            "on_time_24h_share": (0.6, 0.58, 0.61),
            "cost_per_parcel_cny": (1.2, 1.1, 1.25),
            "co2_kg": (1000.0, 990.0, 1100.0),
        },
    }
    rows = [
        {"scenario": name, "kpi": kpi, "mean": m, "ci_low": lo, "ci_high": hi}
        for name, kpis in values.items()
        for kpi, (m, lo, hi) in kpis.items()
    ]
    return pd.DataFrame(rows).assign(diff=np.nan, diff_ci_low=np.nan, diff_ci_high=np.nan)


PLACES = pd.DataFrame(
    {
        "id": ["H", "S", "A", "B", "C"],
        "level": ["hub", "station", "point", "point", "point"],
        "x_km": [0.0, 5.0, 10.0, 0.0, -10.0],
        "y_km": [0.0, 0.0, 0.0, 10.0, 0.0],
    }
)
SERVICES = pd.DataFrame(
    {
        "service": ["van", "bus", "ghost"],
        "fleet": ["hub_van", "bus", "hub_van"],
        "stops": ["H A B H", "H S C", "H NOWHERE"],
    }
)


def villages() -> pd.DataFrame:
    """Two replications of three villages; B never gets a parcel delivered."""
    rows = [
        # replication, village, road km, delivered, mean lead time
        (0, "A", 5.0, 10, 4.0),
        (0, "B", 15.0, 0, np.nan),
        (0, "C", 12.0, 30, 20.0),
        (1, "A", 5.0, 10, 6.0),
        (1, "B", 15.0, 0, np.nan),
        (1, "C", 12.0, 10, 5.0),
    ]
    frame = pd.DataFrame(
        rows,
        columns=["replication", "village", "road_km_from_hub", "delivered", "lead_time_mean_h"],
    )
    xy = PLACES.set_index("id").loc[frame["village"], ["x_km", "y_km"]].to_numpy()
    return frame.assign(x_km=xy[:, 0], y_km=xy[:, 1], parcels=frame["delivered"] + 1)


def daily() -> pd.DataFrame:
    rows = []
    for r, delivered in enumerate(([1, 2, 3, 4], [3, 4, 5, 6])):
        for day in range(4):
            rows.append(
                {
                    "replication": r,
                    "day": day,
                    "measured": day in (1, 2),
                    "parcels_arrived": 10,
                    "parcels_delivered": delivered[day],
                    "backlog_hub_end": day,
                    "backlog_stations_end": 0,
                    "sorting_utilization": 0.25,
                }
            )
    return pd.DataFrame(rows)


def lines_with_gid(fig: Figure, gid: str) -> list[Line2D]:
    return [line for line in fig.findobj(Line2D) if line.get_gid() == gid]


# --------------------------------------------------------------------------- tests


def test_the_cdf_passes_through_the_mean_of_the_replications_quantiles():
    fig = sim.report.plot_lead_time_cdf(
        {
            "a": Details(percentiles=percentiles([2.0, 4.0])),
            "b": Details(percentiles=percentiles([30])),
        }
    )
    assert isinstance(fig, Figure)
    (a,) = lines_with_gid(fig, "cdf:a")
    (b,) = lines_with_gid(fig, "cdf:b")
    q = np.linspace(0, 1, 11)
    np.testing.assert_allclose(a.get_xdata(), 10 * q + 3.0)  # mean of 10q+2 and 10q+4
    np.testing.assert_allclose(a.get_ydata(), 100 * q)
    np.testing.assert_allclose(b.get_xdata(), 10 * q + 30.0)
    ax = fig.axes[0]
    vertical = {float(line.get_xdata()[0]) for line in ax.lines if len(set(line.get_xdata())) == 1}
    assert {24.0, 48.0} <= vertical  # the 24 h and 48 h lines
    assert ax.get_xlim()[1] >= 48.0 and ax.get_ylim() == (0.0, 100.0)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]


def test_headline_bars_have_the_means_and_the_confidence_intervals():
    table = long_table()
    fig = sim.report.plot_headline_kpis(table)
    panels = [ax for ax in fig.axes if ax.containers]
    assert len(panels) == len(HEADLINE_KPIS)
    for ax, kpi in zip(panels, HEADLINE_KPIS, strict=True):
        rows = table[table["kpi"] == kpi].set_index("scenario")
        scale = 100.0 if kpi.endswith("_share") else 1.0
        bars = next(c for c in ax.containers if isinstance(c, BarContainer))
        heights = [patch.get_height() for patch in bars.patches]
        np.testing.assert_allclose(heights, rows["mean"] * scale)
        (segments,) = [c.get_segments() for c in bars.errorbar.lines[2]]
        ends = np.array([[s[:, 1].min(), s[:, 1].max()] for s in segments])
        np.testing.assert_allclose(ends[:, 0], rows["ci_low"] * scale)
        np.testing.assert_allclose(ends[:, 1], rows["ci_high"] * scale)
        assert ax.get_ylim()[0] == 0.0  # bars start at zero
    legend = [
        t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()
    ]
    assert legend == ["a", "b"]


def test_cost_against_lead_time_has_whiskers_both_ways():
    table = long_table()
    fig = sim.report.plot_cost_vs_lead_time(table)
    ax = fig.axes[0]
    containers = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(containers) == 2
    for container, name in zip(containers, ["a", "b"], strict=True):
        x = table[(table.scenario == name) & (table.kpi == "lead_time_p90_h")].iloc[0]
        y = table[(table.scenario == name) & (table.kpi == "cost_per_parcel_cny")].iloc[0]
        point = container.lines[0]
        assert (point.get_xdata()[0], point.get_ydata()[0]) == (x["mean"], y["mean"])
        segments = [s for collection in container.lines[2] for s in collection.get_segments()]
        horizontal = next(s for s in segments if s[0, 1] == s[1, 1])
        vertical = next(s for s in segments if s[0, 0] == s[1, 0])
        assert sorted(horizontal[:, 0]) == pytest.approx([x["ci_low"], x["ci_high"]])
        assert sorted(vertical[:, 1]) == pytest.approx([y["ci_low"], y["ci_high"]])
    # Fitted to the points and whiskers (p90 19-31 h, cost 1.1-1.7 CNY) with a margin each
    # side, not from 0: x 25% of the 12 h range, y 20% of the 0.6 CNY range.
    assert ax.get_xlim() == pytest.approx((19 - 3, 31 + 3))
    assert ax.get_ylim() == pytest.approx((1.1 - 0.12, 1.7 + 0.12))
    # Each point named beside it, inside the axes; no legend that could cover a point.
    named = {t.get_gid(): t for t in ax.texts if str(t.get_gid()).startswith("point-label:")}
    assert sorted(named) == ["point-label:a", "point-label:b"]
    assert [named[f"point-label:{n}"].get_text() for n in "ab"] == ["a", "b"]
    assert named["point-label:a"].get_ha() == "left" and named["point-label:b"].get_ha() == "right"
    assert ax.get_legend() is None and not fig.legends
    labelled = sim.report.plot_cost_vs_lead_time(table, labels={"a": "Direct (hub → village)"})
    texts = [t.get_text() for t in labelled.axes[0].texts]
    assert "Direct (hub → village)" in texts and "b" in texts


def test_fitted_limits_hold_every_value_with_a_margin():
    from sim.report.figures import fitted_limits

    assert fitted_limits(np.array([2.0, 4.0, np.nan, 10.0]), 0.25) == (0.0, 12.0)
    assert fitted_limits(np.array([40.0])) == (38.0, 42.0)  # one value: 5% of it each side
    assert fitted_limits(np.array([0.0, 0.0])) == (-1.0, 1.0)
    assert fitted_limits(np.array([np.nan])) == (0.0, 1.0)


def cost_table() -> pd.DataFrame:
    """Two scenarios' cost parts; b's subsidies outweigh its fees (a negative part)."""
    means = {
        "a": {"parcels_generated": 100, "cost_transport_cny": 150.0},
        "b": {"parcels_generated": 200, "cost_transport_cny": 200.0},
    }
    means["a"] |= {"cost_facilities_cny": 50.0, "cost_fees_cny": 20.0}
    means["b"] |= {"cost_facilities_cny": 100.0, "cost_fees_cny": -40.0}
    rows = [
        {"scenario": name, "kpi": kpi, "mean": m, "ci_low": m, "ci_high": m}
        for name, kpis in means.items()
        for kpi, m in kpis.items()
    ]
    return pd.DataFrame(rows)


def test_the_cost_breakdown_stacks_the_parts_per_parcel_and_draws_subsidies_below_zero():
    fig = sim.report.plot_cost_breakdown(cost_table())
    ax = fig.axes[0]
    bars = {
        part: [(p.get_y(), p.get_height()) for p in ax.patches if p.get_gid() == f"costs:{part}"]
        for part in ("cost_transport_cny", "cost_facilities_cny", "cost_fees_cny")
    }
    # a: 1.5 + 0.5 + 0.2 per parcel, stacked from 0; b: 1.0 + 0.5 up, -0.2 down from 0.
    np.testing.assert_allclose(bars["cost_transport_cny"], [(0.0, 1.5), (0.0, 1.0)])
    np.testing.assert_allclose(bars["cost_facilities_cny"], [(1.5, 0.5), (1.0, 0.5)])
    np.testing.assert_allclose(bars["cost_fees_cny"], [(2.0, 0.2), (0.0, -0.2)])
    total = next(c for c in ax.collections if c.get_gid() == "costs:total")
    np.testing.assert_allclose(np.asarray(total.get_offsets())[:, 1], [2.2, 1.3])


def test_the_map_colours_villages_by_their_mean_lead_time_and_draws_the_routes():
    details = Details(places=PLACES, services=SERVICES, villages=villages())
    fig = sim.report.plot_county_map({"a": details})
    ax = fig.axes[0]
    (coloured,) = [c for c in fig.findobj(PathCollection) if c.get_gid() == "villages:a"]
    # Over every delivered parcel: A (10×4 + 10×6) / 20 = 5; C (30×20 + 10×5) / 40 = 16.25.
    np.testing.assert_allclose(coloured.get_array(), [5.0, 16.25])
    np.testing.assert_allclose(coloured.get_offsets(), [[10.0, 0.0], [-10.0, 0.0]])
    expected = LEAD_TIME_CMAP(coloured.norm(np.array([5.0, 16.25])))
    np.testing.assert_allclose(coloured.get_facecolors(), expected)
    assert coloured.norm.vmin == 5.0 and coloured.norm.vmax == 16.25
    # B had nothing delivered: drawn grey, not coloured.
    grey = [
        c
        for c in ax.collections
        if isinstance(c, PathCollection) and c.get_offsets().tolist() == [[0.0, 10.0]]
    ]
    assert len(grey) == 1 and grey[0].get_array() is None
    routes = [line for line in ax.lines if len(line.get_xdata()) >= 2]
    paths = sorted(tuple(zip(r.get_xdata(), r.get_ydata(), strict=True)) for r in routes)
    assert paths == [
        ((0.0, 0.0), (5.0, 0.0), (-10.0, 0.0)),  # bus H S C
        ((0.0, 0.0), (10.0, 0.0), (0.0, 10.0), (0.0, 0.0)),  # van H A B H
    ]
    legend = [t.get_text() for a in fig.axes if a.get_legend() for t in a.get_legend().get_texts()]
    legend += [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    for label in ("County hub", "Township station", "Village point", "Hub van route", "Bus line"):
        assert any(text.startswith(label) for text in legend), label
    colorbar = [a for a in fig.axes if a.get_ylabel().startswith("Mean lead time")]
    assert colorbar, "a colour bar with its label"
    # Places are named: the hub and the station always, the villages when few.
    named = {t.get_text(): t.xy for t in ax.texts if str(t.get_gid()).startswith("place-label:")}
    assert named == {"H": (0, 0), "S": (5, 0), "A": (10, 0), "B": (0, 10), "C": (-10, 0)}
    # The bus line is drawn thick, above the vehicle routes.
    bus = next(line for line in ax.lines if line.get_gid() == "route:bus:bus")
    van = next(line for line in ax.lines if line.get_gid() == "route:hub_van:van")
    assert bus.get_zorder() > van.get_zorder() and bus.get_linewidth() > van.get_linewidth()
    assert ax.get_aspect() == 1.0 and ax.get_xlabel() == "East–west (km)"


def test_a_county_given_in_lon_lat_is_mapped_in_degrees_with_its_aspect():
    # 0.1° apart at 26.4° N: a degree of longitude is cos(26.4°) = 0.896 of one of latitude.
    places = PLACES.assign(lon=112.9 + PLACES["x_km"] / 100, lat=26.4 + PLACES["y_km"] / 100)
    details = Details(places=places, services=SERVICES, villages=villages())
    ax = sim.report.plot_county_map({"a": details}).axes[0]
    (coloured,) = [c for c in ax.collections if c.get_gid() == "villages:a"]
    np.testing.assert_allclose(coloured.get_offsets(), [[113.0, 26.4], [112.8, 26.4]])
    mean_lat = np.radians(places["lat"].mean())
    assert ax.get_aspect() == pytest.approx(1 / np.cos(mean_lat))
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Longitude (°E)", "Latitude (°N)")
    named = {t.get_text(): t.xy for t in ax.texts if str(t.get_gid()).startswith("place-label:")}
    assert named["S"] == pytest.approx((112.95, 26.4))
    # A county given in km (lon, lat empty, as places.csv writes it) stays in km.
    empty = PLACES.assign(lon=np.nan, lat=np.nan)
    details = Details(places=empty, services=SERVICES, villages=villages())
    ax = sim.report.plot_county_map({"a": details}).axes[0]
    assert ax.get_aspect() == 1.0 and ax.get_xlabel() == "East–west (km)"


def test_many_villages_are_not_named_on_the_map_but_the_depots_are():
    from sim.report.figures import VILLAGE_LABEL_LIMIT

    n = VILLAGE_LABEL_LIMIT + 1
    ids = [f"V{i}" for i in range(n)]
    places = pd.DataFrame(
        {
            "id": ["H", "S", *ids],
            "level": ["hub", "station", *["point"] * n],
            "x_km": [0.0, 1.0, *np.arange(n, dtype=float)],
            "y_km": [0.0, 1.0, *np.ones(n)],
        }
    )
    villages_ = pd.DataFrame(
        {"village": ids, "x_km": places["x_km"][2:].to_numpy(), "y_km": 1.0}
    ).assign(road_km_from_hub=1.0, parcels=1, delivered=1, lead_time_mean_h=2.0)
    details = Details(places=places, services=SERVICES.iloc[:0], villages=villages_)
    ax = sim.report.plot_county_map({"a": details}).axes[0]
    assert sorted(t.get_text() for t in ax.texts if t.get_gid()) == ["H", "S"]


def test_daily_series_average_replications_and_shade_unmeasured_days():
    fig = sim.report.plot_daily({"a": Details(daily=daily()), "b": Details(daily=daily())})
    (delivered,) = lines_with_gid(fig, "delivered:a")
    np.testing.assert_allclose(delivered.get_ydata(), [2.0, 3.0, 4.0, 5.0])
    np.testing.assert_allclose(delivered.get_xdata(), [0.5, 1.5, 2.5, 3.5])
    top = fig.axes[0]
    shaded = sorted(
        (p.get_x(), p.get_x() + p.get_width())
        for p in top.patches
        if isinstance(p, Rectangle) and p.get_alpha() is not None and p.get_alpha() < 0.2
    )
    assert shaded == [(0.0, 1.0), (3.0, 4.0)]  # day 0 (warm-up) and day 3 (drain)
    labels = [t.get_text() for t in top.texts]
    assert "warm-up" in labels and "no new parcels" in labels
    # Identical series are drawn once and said to be identical.
    utilisation = fig.axes[2]
    assert [t.get_text() for t in utilisation.get_legend().get_texts()] == [
        "every scenario (identical)"
    ]
    np.testing.assert_allclose(utilisation.lines[0].get_ydata(), 25.0)


def peak_bands(fig: Figure) -> list[list[tuple[float, float]]]:
    """Per panel, the (start, end) days of the patches marked as peaks."""
    return [
        [
            (p.get_x(), p.get_x() + p.get_width())
            for p in ax.patches
            if isinstance(p, Rectangle) and str(p.get_gid()).startswith("peak:")
        ]
        for ax in fig.axes
    ]


def test_the_daily_figure_shades_the_peak_days_on_every_panel_and_names_the_factor():
    both = {"a": Details(daily=daily()), "b": Details(daily=daily())}
    fig = sim.report.plot_daily(both, peaks={"a": [(1, 2, 1.8)], "b": [(1, 2, 1.8)]})
    assert peak_bands(fig) == [[(1.0, 3.0)]] * 3  # days 1 and 2: from day 1 to the end of day 2
    labels = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "peak-label"]
    assert labels == ["demand peak ×1.8"]  # every scenario has it: no names
    # A peak of one scenario says whose; one running past the last day is cut at it.
    fig = sim.report.plot_daily(both, peaks={"a": [], "b": [(3, 5, 2.0)]}, lang="zh")
    assert peak_bands(fig) == [[(3.0, 4.0)]] * 3
    assert [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "peak-label"] == [
        "需求高峰 ×2（b）"
    ]


def test_the_daily_figure_has_no_peak_band_without_peaks():
    for peaks in (None, {"a": []}, {"a": [(7, 2, 3.0)]}):  # the last: after the days shown
        fig = sim.report.plot_daily({"a": Details(daily=daily())}, peaks=peaks)
        assert peak_bands(fig) == [[], [], []]
        assert not [t for t in fig.axes[0].texts if t.get_gid() == "peak-label"]


def test_distance_bands_are_means_over_replications_with_t_intervals():
    fig = sim.report.plot_distance_bands({"a": Details(villages=villages())}, band_km=10.0)
    ax = fig.axes[0]
    bars = next(c for c in ax.containers if isinstance(c, BarContainer))
    # 0–10 km: A alone, 4 and 6. 10–20 km: B (nothing delivered) and C, 20 and 5.
    per_replication = {0: [4.0, 6.0], 1: [20.0, 5.0]}
    heights = [patch.get_height() for patch in bars.patches]
    np.testing.assert_allclose(heights, [5.0, 12.5])
    (segments,) = [c.get_segments() for c in bars.errorbar.lines[2]]
    for segment, values in zip(segments, per_replication.values(), strict=True):
        half = stats.t.ppf(0.975, 1) * np.std(values, ddof=1) / np.sqrt(2)
        assert sorted(segment[:, 1]) == pytest.approx(
            [np.mean(values) - half, np.mean(values) + half]
        )
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["0–10 km\n1 village", "10–20 km\n2 villages"]


def sweep_table(paths: dict) -> pd.DataFrame:
    rows = []
    for values in paths:
        for kpi in HEADLINE_KPIS:
            mean = 10.0 * values["x"] + values.get("y", 0)
            rows.append(
                {**values, "kpi": kpi, "mean": mean, "ci_low": mean - 1, "ci_high": mean + 2}
            )
    return pd.DataFrame(rows).assign(n=2)


def test_the_sweep_draws_each_kpi_against_the_varied_value_with_a_band():
    table = sweep_table([{"x": 1}, {"x": 2}, {"x": 4}])
    fig = sim.report.plot_sweep(table, ["x"])
    (line,) = lines_with_gid(fig, "line:lead_time_mean_h:0")
    np.testing.assert_allclose(line.get_xdata(), [1, 2, 4])
    np.testing.assert_allclose(line.get_ydata(), [10, 20, 40])
    (band,) = [c for c in fig.findobj(PolyCollection) if c.get_gid() == "band:lead_time_mean_h:0"]
    vertices = band.get_paths()[0].vertices
    for x, mean in ((1, 10), (2, 20), (4, 40)):
        at = vertices[np.isclose(vertices[:, 0], x), 1]
        assert at.min() == pytest.approx(mean - 1) and at.max() == pytest.approx(mean + 2)
    share = lines_with_gid(fig, "line:on_time_24h_share:0")[0]
    np.testing.assert_allclose(share.get_ydata(), [1000, 2000, 4000])  # shares in %


def test_a_second_varied_path_gives_one_line_per_value():
    table = sweep_table([{"x": x, "y": y} for x in (1, 2) for y in (0, 5)])
    fig = sim.report.plot_sweep(table, ["x", "y"])
    lines = [lines_with_gid(fig, f"line:lead_time_mean_h:{g}")[0] for g in (0, 1)]
    np.testing.assert_allclose(lines[0].get_ydata(), [10, 20])
    np.testing.assert_allclose(lines[1].get_ydata(), [15, 25])
    legend = [
        t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()
    ]
    assert legend == ["0", "5"]


def words(fig: Figure, allowed: set[str]) -> list[str]:
    """ASCII words in a figure's texts, other than the allowed ones (names, paths)."""
    found = []
    for text in fig.findobj(Text):
        content = text.get_text()
        for name in sorted(allowed, key=len, reverse=True):
            content = content.replace(name, "")
        found += re.findall(r"[A-Za-z]{2,}", content)
    return found


def all_figures(lang: str) -> list[Figure]:
    details = Details(
        percentiles=percentiles([2.0]),
        places=PLACES,
        services=SERVICES,
        villages=villages(),
        daily=daily(),
    )
    both = {"alpha": details, "beta": details}
    table = long_table().replace({"a": "alpha", "b": "beta"})
    return [
        sim.report.plot_lead_time_cdf(both, lang=lang),
        sim.report.plot_headline_kpis(table, lang=lang),
        sim.report.plot_cost_vs_lead_time(table, lang=lang),
        sim.report.plot_cost_breakdown(cost_table(), lang=lang),
        sim.report.plot_county_map(both, lang=lang),
        sim.report.plot_daily(both, lang=lang),
        sim.report.plot_distance_bands(both, lang=lang),
        sim.report.plot_sweep(sweep_table([{"x": 1}, {"x": 2}]), ["x"], lang=lang),
    ]


def test_chinese_figures_have_only_chinese_labels():
    for fig in all_figures("zh"):
        texts = " ".join(t.get_text() for t in fig.findobj(Text))
        assert re.search(r"[\u4e00-\u9fff]", texts), "no Chinese at all"
        assert words(fig, {"alpha", "beta"}) == [], fig.get_suptitle() or texts[:80]
    english = all_figures("en")
    assert all(words(fig, {"alpha", "beta"}) for fig in english)  # the check can fail


def test_figures_leave_no_global_state():
    import matplotlib as mpl

    before = dict(mpl.rcParams)
    figures = all_figures("zh")
    assert dict(mpl.rcParams) == before
    assert all(isinstance(fig, Figure) for fig in figures)


def test_a_title_with_dollar_signs_is_drawn_as_written():
    # Free text: "$...$" must not be read as matplotlib maths (which could fail to draw).
    title = r"Plan $\frac{cost$ B"
    fig = sim.report.plot_cost_vs_lead_time(long_table(), labels={"a": title})
    fig.canvas.draw()
    (text,) = [t for t in fig.axes[0].texts if t.get_gid() == "point-label:a"]
    assert text.get_text().replace("\\$", "$") == title
