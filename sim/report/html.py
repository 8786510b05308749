"""The self-contained HTML report: summary, KPI table, figures, how it was made.

One file with everything inside it: figures as base64 PNG, styles inline, no
scripts, no fonts, no links out; a Content-Security-Policy forbids loading
anything else. Every text that comes from a file (scenario names and
descriptions, resolved scenarios, commands) is escaped. Figures are also saved
as PNG and SVG in a folder beside the report. Nothing is put in place until
everything has been drawn, and then atomically.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from matplotlib.figure import Figure

from sim.analysis.compare import (
    format_interval,
    format_number,
    p_value_text,
    with_practical,
)
from sim.analysis.directions import HEADLINE_KPIS
from sim.checking.errors import CheckError
from sim.checking.options import practical_effects
from sim.report import figures as plots
from sim.report import fonts
from sim.report.fonts import INSTALL_HINT, quiet_missing_glyphs
from sim.report.harvest import harvest_figures, harvest_summary_html
from sim.report.i18n import check_language, kpi_label, tr, unit_text
from sim.report.period import per_day_html
from sim.report.reform import collects_in_town, has_brands, plot_reform
from sim.report.stages import plot_stages, stages_table, with_stages
from sim.report.summary import (
    DAY_KIND_COLUMNS,
    Summary,
    classify,
    day_kind_means,
    display_unit,
    is_percent,
    kpi_heading,
    scale,
    summarize_results,
    unit_suffix,
    with_peaks,
)
from sim.results import is_results_folder, package_version, results_folder, write_text_atomic
from sim.results.reader import (
    DAY_KINDS,
    Results,
    ResultsError,
    load_results,
    manifest_practical,
)
from sim.scenario.reference import field_label
from sim.scenario.schema import as_shown

SWEEP_DETAIL_LIMIT = 8
"""Largest sweep whose points get a lead-time distribution figure."""

_CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #f6f6f4; color: #1d1d1b;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans CJK SC",
  "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Zen Hei", sans-serif; }
main { max-width: 1060px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 1.7em; margin: 0.2em 0 0.1em; line-height: 1.25; }
h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 2px solid #e2e2dc; padding-bottom: 4px; }
h3 { font-size: 1.05em; margin-bottom: 0.3em; }
.subtitle { color: #5b5b57; margin-top: 0; }
.lead { font-size: 1.08em; }
.scenario-list dt { font-weight: bold; }
.scenario-list dd { margin: 0 0 0.5em 1.2em; color: #444; }
ul.findings li { margin-bottom: 0.45em; }
.note, figcaption, .small { color: #55554f; font-size: 0.92em; }
.warning { background: #fff4d6; border-left: 4px solid #e0a100; padding: 8px 12px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.86em; }
td.p { white-space: nowrap; }
th, td { padding: 5px 8px; border-bottom: 1px solid #e4e4de; text-align: right;
  vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f0f0ea; position: sticky; top: 0; }
tr.headline td:first-child { font-weight: bold; }
td .per-day { display: block; color: #555; font-size: 0.85em; }
.ci { display: block; color: #6b6b66; font-size: 0.88em; white-space: nowrap; }
td code, .kpi-code { color: #77776f; font-size: 0.82em; }
td.better { background: #e3f3e5; }
td.worse { background: #fbe3df; }
td.negligible { background: #eeeeee; }
.tag { font-size: 0.82em; font-weight: bold; }
figure { margin: 1.6em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ecece6; }
details { margin: 1em 0; border: 1px solid #e2e2dc; padding: 6px 12px; }
details summary { cursor: pointer; font-weight: bold; }
pre { white-space: pre-wrap; word-break: break-word; background: #f7f7f3; padding: 10px;
  font-size: 0.82em; }
@media print { body { background: #fff; } main { max-width: none; } }
"""

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


class ReportError(ResultsError):
    """A report that cannot be made: its results folder, or where it would be written."""


@dataclass
class RenderedFigure:
    """One figure of the report: its name, caption, PNG and SVG."""

    name: str
    title: str
    caption: str
    png: bytes
    svg: bytes


@dataclass
class Report:
    """A report ready to be written.

    Attributes
    ----------
    html : str
        The whole page.
    figures : list of RenderedFigure
        Its figures.
    warnings : list of str
        Things the user should know (e.g. no Chinese font installed), in English.
    """

    html: str
    figures: list[RenderedFigure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _render(fig: Figure, lang: str) -> tuple[bytes, bytes]:
    with plots.figure_style(lang), quiet_missing_glyphs():
        png, svg = io.BytesIO(), io.BytesIO()
        fig.savefig(png, format="png", metadata={"Software": None})
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return png.getvalue(), svg.getvalue()


def _figures(results: Results, lang: str) -> tuple[list[tuple[str, Figure]], list[str]]:
    """The figures for this kind of result, and notes on any left out."""
    labels = {name: results.label(name) for name in results.names}
    notes: list[str] = []
    drawn: list[tuple[str, Figure]] = []
    have_details = not results.missing_details
    details = {name: results.details[name] for name in results.names if name in results.details}
    to_outlets = collects_in_town(results.scenarios)
    if results.kind == "sweep":
        drawn.append(("sweep", plots.plot_sweep(results.sweep, results.varied, lang=lang)))
        varied = results.varied
        title = field_label(varied[0]) if len(varied) == 1 else tr("legend_points", lang)
        points = {"labels": labels, "legend_title": title}
        if have_details and len(results.names) <= SWEEP_DETAIL_LIMIT:
            cdf = plots.plot_lead_time_cdf(details, lang=lang, to_outlets=to_outlets, **points)
            drawn.append(("lead_time_cdf", cdf))
            drawn.append(
                ("distance_bands", plots.plot_distance_bands(details, lang=lang, **points))
            )
        elif have_details:
            notes.append(
                tr("sweep_details_many", lang, limit=SWEEP_DETAIL_LIMIT, count=len(results.names))
            )
    else:
        if have_details:
            drawn.append(
                (
                    "lead_time_cdf",
                    plots.plot_lead_time_cdf(
                        details, lang=lang, labels=labels, to_outlets=to_outlets
                    ),
                )
            )
        drawn.append(
            ("headline_kpis", plots.plot_headline_kpis(results.table, lang=lang, labels=labels))
        )
        if results.kind == "compare" and has_brands(results.scenarios):
            drawn.append(("reform", plot_reform(results.table, lang=lang, labels=labels)))
        if results.kind == "compare":
            drawn.append(
                (
                    "cost_vs_lead_time",
                    plots.plot_cost_vs_lead_time(results.table, lang=lang, labels=labels),
                )
            )
        if set(plots.COST_PARTS) <= set(results.table["kpi"]):  # older results lack them
            drawn.append(
                (
                    "cost_breakdown",
                    plots.plot_cost_breakdown(results.table, lang=lang, labels=labels),
                )
            )
        if have_details:
            drawn.append(("county_map", plots.plot_county_map(details, lang=lang, labels=labels)))
            peaks = {name: results.peaks(name) for name in details}
            drawn.append(
                ("daily", plots.plot_daily(details, lang=lang, labels=labels, peaks=peaks))
            )
            drawn.append(
                ("distance_bands", plots.plot_distance_bands(details, lang=lang, labels=labels))
            )
            if with_stages(results):  # older results lack the stage tables
                drawn.append(("stages", plot_stages(details, lang=lang, labels=labels)))
            drawn += harvest_figures(results.table, details, lang, labels)
    if not have_details:
        if results.kind == "run":
            why = tr("no_details_run", lang)
        else:
            why = tr("no_details_old", lang, names=", ".join(results.missing_details))
        notes.append(tr("no_details", lang, why=why))
    return drawn, notes


_TITLES = {
    "lead_time_cdf": ("fig_cdf_title", "cap_cdf"),
    "headline_kpis": ("fig_bars_title", "cap_bars"),
    "cost_vs_lead_time": ("fig_tradeoff_title", "cap_tradeoff"),
    "reform": ("fig_reform_title", "cap_reform"),
    "cost_breakdown": ("fig_costs_title", "cap_costs"),
    "county_map": ("fig_map_title", "cap_map"),
    "daily": ("fig_daily_title", "cap_daily"),
    "distance_bands": ("fig_bands_title", "cap_bands"),
    "sweep": ("fig_sweep_title", "cap_sweep"),
    "stages": ("fig_stages_title", "cap_stages"),
    "outbound_season": ("fig_outbound_season_title", "cap_outbound_season"),
    "outbound_kpis": ("fig_outbound_kpis_title", "cap_outbound_kpis"),
}


# --------------------------------------------------------------------------- page parts


def _cell_value(kpi: str, row: pd.Series, lang: str) -> str:
    k = scale(kpi)
    mean = row["mean"]
    if not np.isfinite(mean):
        return escape(tr("not_available", lang))
    text = escape(format_number(mean * k) + ("%" if is_percent(kpi) else ""))
    if np.isfinite(row["ci_low"]) and np.isfinite(row["ci_high"]):
        lo, hi = format_interval(row["ci_low"] * k, row["ci_high"] * k)
        text += f'<span class="ci">{escape(lo)} – {escape(hi)}</span>'
    return text


def _cell_diff(kpi: str, row: pd.Series, lang: str) -> tuple[str, str]:
    """A difference cell's HTML and CSS class (decided by classify, as every verdict)."""
    d, low, high = row["diff"], row["diff_ci_low"], row["diff_ci_high"]
    threshold = row.get("practical", 0.0)
    outcome, judgement = classify(kpi, d, low, high, threshold if np.isfinite(threshold) else 0.0)
    if outcome == "identical":
        return escape(tr("identical", lang)), ""
    if not np.isfinite(d):
        return escape(tr("not_available", lang)), ""
    k = scale(kpi)
    sign = "+" if d > 0 else ""
    suffix = f" {unit_text('pp_short', lang)}" if is_percent(kpi) else ""
    text = escape(f"{sign}{format_number(d * k)}{suffix}")
    if np.isfinite(low) and np.isfinite(high):
        lo, hi = format_interval(low * k, high * k)
        text += f'<span class="ci">{escape(lo)} – {escape(hi)}</span>'
    if outcome == "negligible":
        tag = escape(tr("no_practical_difference", lang))
        return f'{text} <span class="tag">{tag}</span>', "negligible"
    # Lead and door times read faster or slower; their cells are coloured better or worse.
    verdict = judgement or {"faster": "better", "slower": "worse"}.get(outcome)
    if verdict is None:
        return text, ""
    return f'{text} <span class="tag">{escape(tr(verdict, lang).strip(" ()（）"))}</span>', verdict


def _p_cell(p_value: float) -> str:
    if not np.isfinite(p_value):
        return ""
    return escape(p_value_text(p_value))


def _uses_buses(results: Results) -> bool:
    rows = results.table[results.table["kpi"] == "bus_parcels_share"]
    return bool((rows["mean"].fillna(0) > 0).any())


def _kpi_header(kpi: str, lang: str, label: str | None = None) -> str:
    the_unit = display_unit(kpi)
    suffix = "" if the_unit == "parcels" else unit_suffix(the_unit, lang).strip()
    label = label or kpi_label(kpi, lang)
    if suffix:
        label = f"{label} ({suffix})" if lang == "en" else f"{label}（{suffix}）"
    return f'{escape(label)}<br><code class="kpi-code">{escape(kpi)}</code>'


def _kpi_table(results: Results, lang: str) -> str:
    table = results.table
    kpis = list(dict.fromkeys(table["kpi"]))
    notes = []
    if not _uses_buses(results):
        kpis = [k for k in kpis if not k.startswith("bus_")]
        notes.append(tr("bus_kpis_hidden", lang))
    kpis = [k for k in HEADLINE_KPIS if k in kpis] + [k for k in kpis if k not in HEADLINE_KPIS]
    by = {name: table[table["scenario"] == name].set_index("kpi") for name in results.names}
    compare = results.kind == "compare"
    head = [f"<th>{escape(tr('col_kpi', lang))}</th>"]
    head += [
        f"<th>{escape(tr('col_mean_ci', lang, name=results.label(n)))}</th>" for n in results.names
    ]
    if compare:
        for name in results.names[1:]:
            heading = tr(
                "col_diff_ci",
                lang,
                name=results.label(name),
                reference=results.label(results.reference),
            )
            head.append(f"<th>{escape(heading)}</th><th>{escape(tr('col_p', lang))}</th>")
    rows = []
    for kpi in kpis:
        css = ' class="headline"' if kpi in HEADLINE_KPIS else ""
        cells = [f"<td>{_kpi_header(kpi, lang, kpi_heading(results, kpi, lang))}</td>"]
        cells += [
            f"<td>{_cell_value(kpi, by[n].loc[kpi], lang)}"
            f"{per_day_html(results, n, kpi, by[n].loc[kpi, 'mean'], lang)}</td>"
            for n in results.names
        ]
        if compare:
            for name in results.names[1:]:
                text, cell_css = _cell_diff(kpi, by[name].loc[kpi], lang)
                klass = f' class="{cell_css}"' if cell_css else ""
                p_value = _p_cell(by[name].loc[kpi, "p_value"])
                cells.append(f'<td{klass}>{text}</td><td class="p">{p_value}</td>')
        rows.append(f"<tr{css}>{''.join(cells)}</tr>")
    if compare:
        note = tr("table_note_compare", lang, reference=results.label(results.reference))
        practical_html = f'<p class="note">{_practical_note(by[results.names[1]], lang)}</p>'
    elif results.kind == "run":
        note = tr("table_note_run", lang)
    else:
        note = tr("table_note_sweep", lang)
    body = "\n".join(rows)
    notes_html = "".join(f'<p class="note">{escape(n)}</p>' for n in [note, *notes])
    if compare:
        notes_html += practical_html
    return (
        f'<div class="table-wrap"><table id="kpi-table"><thead><tr>{"".join(head)}</tr></thead>'
        f"<tbody>\n{body}\n</tbody></table></div>{notes_html}"
    )


def _practical_note(rows: pd.DataFrame, lang: str) -> str:
    """Which differences are "no practical difference": the headline KPIs' thresholds (HTML)."""
    shown = []
    for kpi in HEADLINE_KPIS:
        if kpi in rows.index and np.isfinite(rows.loc[kpi, "practical"]):
            value = rows.loc[kpi, "practical"] * scale(kpi)
            suffix = unit_suffix("pp_short" if is_percent(kpi) else display_unit(kpi), lang)
            shown.append(f"{kpi_label(kpi, lang)} ±{format_number(value)}{suffix}")
    text = tr(
        "table_note_practical",
        lang,
        thresholds=tr("list_sep", lang).join(shown),
        docs="\x00docs\x00",
        option="\x00option\x00",
    )
    code = {"docs": "docs/report.md", "option": "--practical KPI=VALUE"}
    parts = escape(text).split("\x00")
    return "".join(
        f"<code>{escape(code[part])}</code>" if i % 2 else part for i, part in enumerate(parts)
    )


def _day_kind_cell(kind_means: pd.Series, column: str) -> str:
    value = kind_means[column]
    if not np.isfinite(value):
        return "<td></td>"
    if column == "days":  # the same in every replication
        text = str(int(value))
    else:
        text = format_number(value * scale(column)) + ("%" if is_percent(column) else "")
    return f'<td><data value="{float(value)!r}" data-column="{column}">{escape(text)}</data></td>'


def _day_kinds_table(results: Results, lang: str) -> str:
    """Ordinary and peak days apart, per scenario with peak days ("" if none has)."""
    names = with_peaks(results)
    if not names:
        return ""
    head = [tr("col_scenario", lang), tr("col_day_kind", lang), tr("col_days", lang)]
    head_html = "".join(f"<th>{escape(h)}</th>" for h in head)
    head_html += f"<th>{escape(tr('col_parcels_per_replication', lang))}</th>"
    head_html += "".join(f"<th>{_kpi_header(c, lang)}</th>" for c in DAY_KIND_COLUMNS[2:])
    rows = []
    for name in names:
        means = day_kind_means(results.details[name].day_kinds)
        for kind in DAY_KINDS:
            cells = [escape(results.label(name)), escape(tr(f"day_kind_{kind}", lang))]
            cells_html = "".join(f"<td>{c}</td>" for c in cells)
            cells_html += "".join(_day_kind_cell(means.loc[kind], c) for c in DAY_KIND_COLUMNS)
            rows.append(f'<tr data-scenario="{escape(name)}" data-kind="{kind}">{cells_html}</tr>')
    n = results.replications if results.replications is not None else "?"
    notes = [tr("day_kinds_note", lang, n=n)]
    others = [results.label(name) for name in results.names if name not in names]
    if others:
        notes.append(tr("day_kinds_none", lang, names=tr("list_sep", lang).join(others)))
    notes_html = "".join(f'<p class="note">{escape(note)}</p>' for note in notes)
    return (
        f'<section id="day-kinds">\n<h2>{escape(tr("day_kinds_title", lang))}</h2>\n'
        f'<div class="table-wrap"><table id="day-kinds-table"><thead><tr>{head_html}</tr>'
        f"</thead><tbody>\n{chr(10).join(rows)}\n</tbody></table></div>{notes_html}\n"
        "</section>\n"
    )


def _scenario_list(results: Results) -> str:
    items = []
    for name in results.names:
        scenario = results.scenarios.get(name, {})
        description = scenario.get("description", "") if isinstance(scenario, dict) else ""
        label = escape(results.label(name))
        if results.title(name) != name:  # the name the scenario's folder and tables use
            label += f' <code class="kpi-code">{escape(name)}</code>'
        items.append(f"<dt>{label}</dt><dd>{escape(str(description or ''))}</dd>")
    return f'<dl class="scenario-list">{"".join(items)}</dl>'


def _summary_html(summary: Summary) -> str:
    parts = []
    parts += [f'<p class="lead">{p.html()}</p>' for p in summary.lead]
    if summary.lines:
        items = "".join(f"<li>{line.html()}</li>" for line in summary.lines)
        parts.append(f'<ul class="findings">{items}</ul>')
    parts += [f'<p class="stages">{p.html()}</p>' for p in summary.stages]
    parts += [f'<p class="peak-days">{p.html()}</p>' for p in summary.peaks]
    parts += [f"<p>{p.html()}</p>" for p in summary.certainty]
    return "\n".join(parts)


def _provenance(results: Results, lang: str) -> str:
    m = results.manifest
    kind = tr(f"kind_{results.kind}", lang)
    replications = m.get("replications")
    rule = m.get("replications_rule")
    if isinstance(rule, dict) and rule.get("mode") == "auto":
        replications = f"{replications} ({yaml.safe_dump(rule, sort_keys=False).strip()})"
    overrides = m.get("overrides") or []
    versions = m.get("versions") or {}
    rows = [
        ("made_kind", kind),
        ("made_folder", str(results.folder)),
        ("made_seed", m.get("seed")),
        ("made_replications", replications),
        ("made_seeding", m.get("replication_seeds")),
        ("made_level", m.get("confidence_level", 0.95)),
        ("made_overrides", " ".join(map(str, overrides)) or tr("none", lang)),
        ("made_command", m.get("command")),
        ("made_version", m.get("package_version")),
        ("made_versions", ", ".join(f"{k} {v}" for k, v in versions.items())),
        ("made_executor", m.get("executor")),
        ("made_started", m.get("started_at")),
        ("made_wall", tr("seconds", lang, value=m.get("wall_seconds"))),
    ]
    body = "".join(
        f"<tr><th>{escape(tr(key, lang))}</th><td>{escape(str(value))}</td></tr>"
        for key, value in rows
        if value is not None
    )
    return f'<table class="provenance">{body}</table>'


def _scenarios_yaml(results: Results) -> str:
    blocks = []
    for name in results.names:
        scenario = results.scenarios.get(name)
        if not isinstance(scenario, dict):
            continue
        text = yaml.safe_dump(as_shown(scenario), sort_keys=False, allow_unicode=True)
        blocks.append(f"<h3>{escape(results.label(name))}</h3><pre>{escape(text)}</pre>")
    return "\n".join(blocks)


def _title(results: Results, lang: str) -> str:
    if results.kind == "compare":
        return tr("title_compare", lang, names=" / ".join(map(results.label, results.names)))
    if results.kind == "sweep":
        return tr("title_sweep", lang, paths=", ".join(map(field_label, results.varied)))
    return tr("title_run", lang, name=results.label(results.names[0]))


def _font_warning(lang: str) -> tuple[list[str], list[str]]:
    """Warnings for the user and notes for the page when Chinese labels have no font."""
    if lang != "zh" or fonts.find_cjk_font() is not None:
        return [], []
    warning = (
        "no Chinese (CJK) font is installed, so the Chinese labels in the figures may "
        f"show as empty boxes. Install one and make the report again: {INSTALL_HINT}"
    )
    note = f'<p class="warning" id="font-warning">{escape(tr("font_missing", lang))}</p>'
    return [warning], [note]


# Where some parcels stop at a brand's township outlet, their lead time ends there.
_AT_OUTLETS = {
    "fig_cdf_title": "fig_cdf_title_outlets",
    "cap_cdf": "cap_cdf_outlets",
    "lead_time_definition": "lead_time_definition_outlets",
}


def _wording(key: str, results: Results) -> str:
    """*key*, or its outlet wording when a scenario's parcels stop at township outlets."""
    return _AT_OUTLETS.get(key, key) if collects_in_town(results.scenarios) else key


def _rendered_figures(
    drawn: list[tuple[str, Figure]], lang: str, results: Results
) -> list[RenderedFigure]:
    """Each drawn figure as PNG and SVG with its title and caption; the figures are freed."""
    rendered = []
    try:
        for name, fig in drawn:
            png, svg = _render(fig, lang)
            title_key, caption_key = (_wording(key, results) for key in _TITLES[name])
            rendered.append(
                RenderedFigure(name, tr(title_key, lang), tr(caption_key, lang), png, svg)
            )
    finally:
        for _, fig in drawn:
            fig.clear()
    return rendered


def _figures_html(rendered: list[RenderedFigure]) -> str:
    """The figures inline, as base64 PNG with their captions."""
    figure_html = []
    for figure in rendered:
        data = base64.b64encode(figure.png).decode("ascii")
        figure_html.append(
            f'<figure id="fig-{figure.name}"><img src="data:image/png;base64,{data}" '
            f'alt="{escape(figure.title)}"><figcaption>{escape(figure.caption)}</figcaption></figure>'
        )
    return "".join(figure_html)


def _page(results: Results, lang: str, parts: dict[str, str]) -> str:
    """The whole HTML page around its already rendered parts."""
    title = _title(results, lang)
    date = str(results.manifest.get("started_at", ""))[:10]
    subtitle = tr("subtitle", lang, version=results.manifest.get("package_version", ""), date=date)
    html_lang = "zh-CN" if lang == "zh" else "en"
    return f"""<!DOCTYPE html>
<html lang="{html_lang}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ruralsim {escape(package_version())}">
<title>{escape(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<main>
<header>
<h1>{escape(title)}</h1>
<p class="subtitle">{escape(subtitle)}</p>
{_scenario_list(results)}
</header>
{parts["notes"]}
<section id="summary">
<h2>{escape(tr("summary", lang))}</h2>
{parts["summary"]}
</section>
<section id="kpis">
<h2>{escape(tr("kpi_table", lang))}</h2>
{_kpi_table(results, lang)}
</section>
{_day_kinds_table(results, lang)}{stages_table(results, lang)}<section id="figures">
<h2>{escape(tr("figures", lang))}</h2>
{parts["figure_notes"]}
{parts["figures"]}
<p class="note">{parts["files_note"]}</p>
</section>
<section id="notes">
<h2>{escape(tr("notes", lang))}</h2>
<p>{escape(tr(_wording("lead_time_definition", results), lang))}</p>
<p>{escape(tr("model_caveat", lang))}</p>
</section>
<details id="scenarios">
<summary>{escape(tr("scenarios_resolved", lang))}</summary>
{_scenarios_yaml(results)}
</details>
<details id="provenance">
<summary>{escape(tr("how_made", lang))}</summary>
{_provenance(results, lang)}
</details>
</main>
</body>
</html>
"""


def build_report(results: Results, lang: str = "en", figures_folder: str = "figures") -> Report:
    """Draw the figures and write the page (nothing is saved).

    Parameters
    ----------
    results : Results
        From :func:`sim.report.load_results`.
    lang : str
        ``"en"`` or ``"zh"``.
    figures_folder : str
        Name of the folder the figure files go to, for the page's note.

    Returns
    -------
    Report
        The page, its figures and any warnings.
    """
    check_language(lang)
    warnings, notes = _font_warning(lang)
    drawn, figure_notes = _figures(results, lang)
    rendered = _rendered_figures(drawn, lang, results)
    summary = summarize_results(results, lang)
    parts = {
        "notes": "".join(notes),
        "summary": _summary_html(summary)
        + harvest_summary_html(
            results.table, results.details, lang, {n: results.label(n) for n in results.names}
        ),
        "figure_notes": "".join(f'<p class="note">{escape(n)}</p>' for n in figure_notes),
        "figures": _figures_html(rendered),
        "files_note": escape(tr("figure_files", lang, folder=figures_folder)),
    }
    return Report(_page(results, lang, parts), rendered, warnings)


_REPORT_NAMES = {"en": "report.html", "zh": "report_zh.html"}


def _with_practical(results: Results, practical) -> pd.DataFrame:
    """The comparison table with its practical thresholds replaced where ``practical`` says."""
    if results.kind != "compare":
        raise ReportError(
            f"{results.folder}: --practical applies to a comparison's differences; this folder "
            f"holds a {results.kind}"
        )
    try:
        given = practical_effects(practical)
    except CheckError as exc:
        raise ReportError(str(exc)) from None
    return with_practical(results.table, {**manifest_practical(results.manifest), **given})


def default_out(folder: str | os.PathLike, lang: str = "en") -> Path:
    """Where a report goes by default: ``report.html`` (``report_zh.html``) in the folder."""
    return Path(folder) / _REPORT_NAMES["zh" if lang == "zh" else "en"]


def figures_folder_for(out: Path) -> Path:
    """The folder beside a report for its PNG and SVG files (``report_figures``)."""
    return out.with_name(f"{out.stem}_figures")


def is_figures_folder(folder: Path) -> bool:
    """Whether a folder holds nothing but figure files a report wrote (so may be replaced)."""
    names = {f"{name}.{ext}" for name in _TITLES for ext in ("png", "svg")}
    return all(entry.name in names and entry.is_file() for entry in Path(folder).iterdir())


def check_out(folder: Path, out: Path) -> None:
    """Refuse a report path that would overwrite the results or a folder of the user's.

    Inside the results folder, or any other ruralsim results folder, only
    ``report.html`` and ``report_zh.html`` (with their figures folders) may be
    written: every other path there is a file a report reads, or one of the user's.

    Raises
    ------
    ReportError
        If ``out`` is refused, saying why.
    """
    if out.is_dir():
        raise ReportError(f"--out {out} is a folder; give the HTML file to write")
    where = out.resolve()
    for ancestor in where.parents:
        if ancestor == folder.resolve() or is_results_folder(ancestor):
            if where.parent != ancestor or out.name not in _REPORT_NAMES.values():
                raise ReportError(
                    f"--out {out} is inside the results folder {ancestor}, whose files "
                    f"reports read; write the report there only as "
                    f"{' or '.join(_REPORT_NAMES.values())}, or give a path outside it"
                )
            break
    figures_dir = figures_folder_for(out)
    if figures_dir.exists() and not figures_dir.is_dir():
        raise ReportError(
            f"{figures_dir} exists and is not a folder; the report's figures go there, so "
            "choose another --out"
        )
    if figures_dir.is_dir() and not is_figures_folder(figures_dir):
        raise ReportError(
            f"{figures_dir} holds files that are not this report's figures; the figures "
            "of --out go there, so choose another --out (it is left untouched)"
        )


@dataclass
class Written:
    """What :func:`write_report` wrote.

    Attributes
    ----------
    html : Path
        The report.
    figures : Path
        The folder with each figure as PNG and SVG.
    warnings : list of str
        Warnings to show the user.
    """

    html: Path
    figures: Path
    warnings: list[str]


def write_report(
    folder: str | os.PathLike,
    out: str | os.PathLike | None = None,
    lang: str = "en",
    practical: Mapping[str, float | tuple[float, float]] | Iterable[str] | None = None,
) -> Written:
    """Make the report of a results folder and write it with its figure files.

    Parameters
    ----------
    folder : path
        A results folder of ``ruralsim compare``, ``sweep`` or ``run``.
    out : path, optional
        The HTML file (default ``report.html`` in the folder, ``report_zh.html``
        for Chinese). The figures go to ``<name>_figures/`` beside it.
    lang : str
        ``"en"`` or ``"zh"``.
    practical : mapping or iterable of str, optional
        Practical thresholds replacing those the comparison used, as for
        :func:`sim.compare` (a comparison's folder only).

    Returns
    -------
    Written
        Paths written and warnings.

    Raises
    ------
    ReportError
        If the folder cannot be read, or ``out`` is refused (see :func:`check_out`).
    OutputError
        If the figures folder cannot be written (read-only, disk full ...).
    """
    try:
        check_language(lang)
    except ValueError as exc:
        raise ReportError(str(exc)) from None
    folder = Path(folder)
    out = Path(out) if out is not None else default_out(folder, lang)
    check_out(folder, out)
    figures_dir = figures_folder_for(out)
    results = load_results(folder)
    if practical is not None:
        results.table = _with_practical(results, practical)
    # The figures' temporary folder is made first, so an unwritable place fails before
    # any drawing; the page is written while the figures are still there, so a failure
    # at any point leaves the old report and figures whole and nothing new behind.
    with results_folder(figures_dir, is_figures_folder, "report figures folder") as work:
        report = build_report(results, lang, figures_folder=figures_dir.name)
        for figure in report.figures:
            (work / f"{figure.name}.png").write_bytes(figure.png)
            (work / f"{figure.name}.svg").write_bytes(figure.svg)
        write_text_atomic(out, report.html)
    return Written(out, figures_dir, report.warnings)
