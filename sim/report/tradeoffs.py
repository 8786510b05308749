"""The summary's opening: one trade-off sentence per compared scenario.

A scenario is rarely better on everything: via-township may cut CO₂ and cost more
per parcel and take longer. The opening sentence therefore never picks a winner on
one KPI; it sorts the KPIs the summary speaks about (:func:`sim.report.summary.summary_kpis`)
into clauses by what each difference shows, decided by the one rule
(:func:`sim.analysis.compare.classify`, with the comparison's practical thresholds):

    leiyang_via_township against leiyang_direct: better on CO₂ emissions (-60%);
    worse on mean lead time (+2.73 h), … and cost per parcel (+24%); no practical
    difference on delivered within 24 h.

Clauses come in the order of :data:`CLAUSES`; within a clause, KPIs keep the
summary's order. Each KPI is named by its label, which the HTML form tags with the
KPI (``data-kpi``) and shows in bold, next to its change: the signed difference for
times and shares (hours, percentage points), the change relative to the reference's
mean for totals and costs.
"""

from __future__ import annotations

import numpy as np

from sim.analysis.compare import format_number
from sim.analysis.directions import is_share, unit
from sim.report.i18n import kpi_label, tr
from sim.report.summary import (
    Finding,
    Joined,
    KpiName,
    Name,
    Num,
    Phrase,
    Seq,
    finding,
    percent_change,
    scale,
    unit_suffix,
)

CLAUSES = (
    "better",
    "worse",
    "higher",
    "lower",
    "negligible",
    "none",
    "identical",
    "unknown",
)
"""Clause kinds, in the order the sentence gives them: gains, costs, then what does not differ."""

_ABSOLUTE_UNITS = ("h", "min")
"""Units whose change is shown as a difference (others, but shares, relative to the reference)."""


def clause_of(f: Finding) -> str:
    """Which clause a finding belongs to (one of :data:`CLAUSES`)."""
    if f.judgement is not None:
        return f.judgement
    return {"faster": "better", "slower": "worse"}.get(f.outcome, f.outcome)


def label_in_sentence(kpi: str, lang: str) -> str:
    """A KPI's label inside a sentence: a capital first letter lowered unless an acronym."""
    label = kpi_label(kpi, lang)
    if lang == "en" and label[:1].isupper() and label[1:2].islower():
        return label[0].lower() + label[1:]
    return label


def change(f: Finding, lang: str) -> tuple[Num, str] | None:
    """The change shown beside a KPI and its unit: a signed difference or a relative change."""
    d = f.row["diff"]
    if not np.isfinite(d) or f.outcome in ("none", "identical", "unknown"):
        return None
    k = scale(f.kpi)
    if is_share(f.kpi) or unit(f.kpi) in _ABSOLUTE_UNITS:
        the_unit = unit_suffix("pp_short" if is_share(f.kpi) else unit(f.kpi), lang)
        text = f"{'+' if d > 0 else ''}{format_number(d * k)}"
        return Num(text, float(d), f.scenario, f.kpi, "diff", scale=k), the_unit
    mean = f.reference_mean
    if not (np.isfinite(mean) and mean != 0):
        return None
    relative = d / abs(mean)
    return Num(percent_change(relative), float(relative), f.scenario, f.kpi, "relative"), ""


def _item(f: Finding, lang: str):
    name = KpiName(f.kpi, label_in_sentence(f.kpi, lang))
    shown = change(f, lang)
    if shown is None or clause_of(f) == "negligible":
        return name
    return Phrase("tradeoff_item", lang, {"label": name, "change": shown[0], "unit": shown[1]})


def tradeoff_phrase(table, name: str, reference: str, kpis: list[str], lang: str) -> Phrase:
    """The trade-off sentence of one scenario against the reference.

    Parameters
    ----------
    table : DataFrame
        The comparison table (with its ``practical`` column).
    name, reference : str
        The scenario and the reference.
    kpis : list of str
        KPIs to weigh, in order.
    lang : str
        ``"en"`` or ``"zh"``.

    Returns
    -------
    Phrase
        ``tradeoff`` with one clause per kind of finding present, in :data:`CLAUSES` order.
    """
    groups: dict[str, list] = {kind: [] for kind in CLAUSES}
    for kpi in kpis:
        f = finding(table, kpi, name, reference)
        groups[clause_of(f)].append(_item(f, lang))
    clauses = [
        Phrase(f"tradeoff_{kind}", lang, {"items": Joined(tuple(items), lang)})
        for kind, items in groups.items()
        if items
    ]
    separator = tr("clause_sep", lang)
    parts: list = []
    for clause in clauses:
        parts += [separator, clause] if parts else [clause]
    fields = {"name": Name(name), "reference": Name(reference), "clauses": Seq(tuple(parts))}
    return Phrase("tradeoff", lang, fields)
