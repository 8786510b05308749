"""Where the time goes: the report's figure, table and summary sentence on the stages.

Reads each scenario's ``details/stages.csv`` (:func:`sim.analysis.stages.stage_table`):
mean hours per parcel at the hub, waiting there for a vehicle, riding to the township
station, waiting at the station, riding to the village and waiting at the point for the
villager. The stages add up to the mean lead time (to the village point) and door time
(to the villager's hands) of the key figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from sim.analysis.compare import format_number
from sim.analysis.stages import (
    COUNTY,
    MEASURES,
    STAGE_COLUMNS,
    STAGES,
    costliest_stage,
    mean_stages,
    slowest_villages,
)
from sim.report.figures import _label, _new_figure, _styled
from sim.report.i18n import tr
from sim.report.summary import Name, Phrase, mean_parts
from sim.results.reader import Details, Results

STAGE_COLOURS = dict(
    zip(STAGES, ("#4c72b0", "#9ecae1", "#dd8452", "#f2c18a", "#55a868", "#c7c7c7"), strict=True)
)
"""A colour per stage: the hub blue, the station orange, the village green, the point grey."""

SLOWEST = 10
"""Villages shown per scenario."""


def with_stages(results: Results) -> list[str]:
    """The names whose detail tables include the stages, in order."""
    return [
        name
        for name in results.names
        if name in results.details and results.details[name].stages is not None
    ]


def _stack(ax, rows: pd.DataFrame, labels: list[str], lang: str, gid: str) -> None:
    """Horizontal bars, one per row, stacked by stage (top row first)."""
    y = np.arange(len(rows))[::-1]
    left = np.zeros(len(rows))
    for stage, column in zip(STAGES, STAGE_COLUMNS, strict=True):
        width = rows[column].fillna(0.0).to_numpy(dtype=float)
        ax.barh(
            y,
            width,
            left=left,
            color=STAGE_COLOURS[stage],
            edgecolor="white",
            linewidth=0.5,
            label=tr(f"stage_{stage}", lang),
            gid=f"{gid}:{stage}",
        )
        left += width
    for yi, total in zip(y, left, strict=True):
        ax.text(total, yi, f" {format_number(total)}", va="center", fontsize=8)
    ax.set_yticks(y, labels)
    ax.set_xlim(0, max(left.max(initial=0.0), 1e-9) * 1.12)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)


@_styled
def plot_stages(
    details: Mapping[str, Details], *, lang: str = "en", labels: Mapping[str, str] | None = None
) -> Figure:
    """Mean lead and door time split into stages, per scenario and its slowest villages.

    Parameters
    ----------
    details : mapping of str to Details
        Scenario -> tables; ``stages`` is used (scenarios without it are left out).
    lang : str
        ``"en"`` or ``"zh"``.
    labels : mapping, optional
        How each scenario is named.

    Returns
    -------
    Figure
        Top: per scenario a bar to the village point (lead) and one to the villager's
        hands (door); below, per scenario its ten slowest villages (lead).
    """
    names = [name for name, d in details.items() if d.stages is not None]
    heights = [2 * len(names)] + [min(SLOWEST, 10)] * len(names)
    fig = _new_figure(9.0, 1.2 + 0.32 * sum(heights) + 0.7 * len(names))
    axes = fig.subplots(len(names) + 1, 1, gridspec_kw={"height_ratios": heights}, squeeze=False)
    rows, texts = [], []
    for name in names:
        for measure in MEASURES:
            rows.append(mean_stages(details[name].stages, measure).loc[COUNTY])
            texts.append(tr(f"fig_stages_{measure}", lang, name=_label(labels, name)))
    _stack(axes[0, 0], pd.DataFrame(rows), texts, lang, "stages:county")
    for ax, name in zip(axes[1:, 0], names, strict=True):
        slow = slowest_villages(details[name].stages, SLOWEST)
        _stack(ax, slow, [str(v) for v in slow.index], lang, f"stages:{name}")
        # From the figure's left edge: the village ids leave the axes narrow, and a long
        # scenario title started at the axes would run off the figure.
        title = ax.set_title(tr("fig_stages_slowest", lang, name=_label(labels, name)))
        title.set_transform(blended_transform_factory(fig.transFigure, ax.transAxes))
        title.set_position((0.01, 1.0))
        title.set_horizontalalignment("left")
    axes[-1, 0].set_xlabel(tr("fig_stages_x", lang))
    handles, legend = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, legend, loc="outside lower center", ncols=3, frameon=False)
    return fig


def _cell(value: float) -> str:
    return escape(format_number(value)) if np.isfinite(value) else ""


def stages_table(results: Results, lang: str) -> str:
    """The "where the time goes" section: stage means per scenario ("" without stages)."""
    names = with_stages(results)
    if not names:
        return ""
    head = [tr("col_scenario", lang), tr("col_measure", lang)]
    head += [tr(f"stage_{stage}", lang) for stage in STAGES] + [tr("col_stage_total", lang)]
    rows = []
    for name in names:
        for measure in MEASURES:
            means = mean_stages(results.details[name].stages, measure).loc[COUNTY]
            cells = [escape(results.label(name)), escape(tr(f"measure_{measure}", lang))]
            cells += [_cell(means[c]) for c in (*STAGE_COLUMNS, "total_h")]
            body = "".join(f"<td>{c}</td>" for c in cells)
            rows.append(f'<tr data-scenario="{escape(name)}" data-measure="{measure}">{body}</tr>')
    n = results.replications if results.replications is not None else "?"
    head_html = "".join(f"<th>{escape(h)}</th>" for h in head)
    return (
        f'<section id="stages">\n<h2>{escape(tr("stages_title", lang))}</h2>\n'
        f'<div class="table-wrap"><table id="stages-table"><thead><tr>{head_html}</tr></thead>'
        f"<tbody>\n{chr(10).join(rows)}\n</tbody></table></div>"
        f'<p class="note">{escape(tr("stages_note", lang, n=n))}</p>\n</section>\n'
    )


def stage_phrase(results: Results, name: str, lang: str) -> Phrase | None:
    """Which stage of a scenario's mean lead time costs most, and how much of it."""
    details = results.details.get(name)
    if details is None or details.stages is None:
        return None
    means = mean_stages(details.stages, "lead").loc[COUNTY]
    if not np.isfinite(means["total_h"]) or means["total_h"] <= 0:
        return None
    stage = costliest_stage(means)
    hours = means[f"{stage}_h"]
    row = results.table[(results.table["scenario"] == name)].set_index("kpi")
    total = mean_parts(row.loc["lead_time_mean_h"], name, "lead_time_mean_h")[0]
    fields = {
        "name": Name(results.label(name)),
        "total": total,
        "stage": tr(f"stage_{stage}", lang).lower() if lang == "en" else tr(f"stage_{stage}", lang),
        "hours": format_number(hours),
        "share": f"{hours / means['total_h']:.0%}",
    }
    return Phrase("stage_most", lang, fields)
