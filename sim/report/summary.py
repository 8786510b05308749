"""The plain-language summary and the KPI table's wording.

Each finding is decided by the same function as the terminal's verdicts
(:func:`sim.analysis.compare.classify`): a difference is named only when its 95%
interval excludes 0; better or worse follow the KPI's good direction; lead and
door times read faster or slower; numbers are formatted by the same functions,
and shares are shown in % as the KPI table (:mod:`sim.analysis.kpi_table`) says.
A test checks that the two never disagree.

Sentences are :class:`Phrase` objects: a translated template whose fields are
text, scenario names (:class:`Name`) and numbers (:class:`Num`). The HTML form
escapes every piece and tags each number with the table cell it came from, so a
test can check the summary against ``comparison.csv``.
"""

from __future__ import annotations

import dataclasses
import string
from dataclasses import dataclass, field
from html import escape

import numpy as np
import pandas as pd

from sim.analysis import kpi_table
from sim.analysis.compare import classify, format_interval, format_number, p_value_text
from sim.analysis.directions import HEADLINE_KPIS, is_share, unit
from sim.analysis.stats import t_interval
from sim.report.i18n import TEXT, kpi_label, tr, unit_text
from sim.report.period import how_fields, is_total, period
from sim.results.reader import DAY_KINDS, Results


def is_percent(kpi: str) -> bool:
    """KPIs that are fractions, shown in % (their differences in percentage points).

    The same as :func:`sim.analysis.directions.is_share` (the KPI table decides).
    """
    return is_share(kpi)


def scale(kpi: str) -> float:
    """Factor from the KPI's value to the number shown (100 for fractions)."""
    return 100.0 if is_percent(kpi) else 1.0


def display_unit(kpi: str) -> str:
    """Unit of a KPI's value as shown: ``"%"``, ``"h"``, ``"CNY"``, ``"parcels"``."""
    if is_percent(kpi):
        return "%"
    record = kpi_table.get(kpi)
    return record.unit if record is not None else unit(kpi)


def diff_unit(kpi: str) -> str:
    """Unit of a difference: percentage points for fractions, else as the terminal says it."""
    return "pp" if is_percent(kpi) else unit(kpi)


def unit_suffix(the_unit: str, lang: str) -> str:
    """A unit as written after a number: ``"%"`` directly, others after a space."""
    text = unit_text(the_unit, lang)
    if not text:
        return ""
    return text if the_unit == "%" else f" {text}"


# --------------------------------------------------------------------------- text parts


@dataclass(frozen=True)
class Name:
    """A scenario or point name: the user's text, shown as given (escaped in HTML)."""

    text: str


@dataclass(frozen=True)
class Num:
    """A number shown in the summary, with the table cell it comes from.

    Attributes
    ----------
    text : str
        As shown.
    value : float
        The exact value in the results table (or the relative change).
    scenario, kpi, field : str
        Where it comes from: the row (scenario, KPI) and column of the long table
        (``mean``, ``ci_low``, ``diff`` …, or ``relative`` for diff / |reference mean|);
        or, with a field starting ``day_kinds:``, the scenario's ``details/day_kinds.csv``
        (see :func:`peak_phrase`).
    scale : float
        Shown value = value × scale (× -1 when ``magnitude`` and the value is negative).
    magnitude : bool
        The text shows the absolute value.
    bound : str
        ``"upper"`` when the text is an upper bound (``p < 0.001``).
    """

    text: str
    value: float
    scenario: str
    kpi: str
    field: str
    scale: float = 1.0
    magnitude: bool = False
    bound: str = ""


@dataclass(frozen=True)
class KpiName:
    """A KPI named in a sentence: its label as shown, in bold and tagged with the KPI in HTML."""

    kpi: str
    text: str


@dataclass(frozen=True)
class Joined:
    """Parts joined by the language's list separator."""

    parts: tuple
    lang: str


@dataclass(frozen=True)
class Seq:
    """Parts shown one after another (a field made of pieces)."""

    parts: tuple


@dataclass(frozen=True)
class Phrase:
    """A translated sentence (a :data:`sim.report.i18n.TEXT` key) with its fields."""

    key: str
    lang: str
    fields: dict = field(default_factory=dict)

    def plain(self) -> str:
        """The sentence as plain text."""
        return render(self, html=False)

    def html(self) -> str:
        """The sentence as HTML: text escaped, names in bold, numbers tagged."""
        return render(self, html=True)


def _num_html(part: Num) -> str:
    attributes = {
        "value": repr(float(part.value)),
        "data-scenario": part.scenario,
        "data-kpi": part.kpi,
        "data-field": part.field,
        "data-scale": repr(float(part.scale)),
    }
    if part.magnitude:
        attributes["data-magnitude"] = "1"
    if part.bound:
        attributes["data-bound"] = part.bound
    text = " ".join(f'{key}="{escape(value)}"' for key, value in attributes.items())
    return f"<data {text}>{escape(part.text)}</data>"


def render(part, html: bool) -> str:
    """Plain text or HTML of any part: str, Name, KpiName, Num, Joined, Seq or Phrase."""
    if isinstance(part, Phrase):
        pieces = []
        for literal, name, _, _ in string.Formatter().parse(TEXT[part.key][part.lang]):
            pieces.append(escape(literal, quote=False) if html else literal)
            if name is not None:
                pieces.append(render(part.fields[name], html))
        return "".join(pieces)
    if isinstance(part, Joined):
        separator = tr("list_sep", part.lang)
        separator = escape(separator, quote=False) if html else separator
        return separator.join(render(p, html) for p in part.parts)
    if isinstance(part, Seq):
        return "".join(render(p, html) for p in part.parts)
    if isinstance(part, Name):
        return f'<strong class="name">{escape(part.text)}</strong>' if html else part.text
    if isinstance(part, KpiName):
        tagged = f'<strong class="kpi" data-kpi="{escape(part.kpi)}">{escape(part.text)}</strong>'
        return tagged if html else part.text
    if isinstance(part, Num):
        return _num_html(part) if html else part.text
    return escape(str(part), quote=False) if html else str(part)


# --------------------------------------------------------------------------- findings


@dataclass(frozen=True)
class Finding:
    """What a paired difference shows, decided as the terminal's verdict decides it.

    Attributes
    ----------
    kpi, scenario, reference : str
        The KPI, the scenario and the reference it is compared with.
    outcome : str
        ``"identical"``, ``"unknown"`` (too few pairs), ``"none"`` (the interval
        includes 0), ``"faster"``, ``"slower"``, ``"lower"`` or ``"higher"``.
        ``"negligible"`` means no practical difference.
    judgement : str or None
        ``"better"`` or ``"worse"`` for a lower/higher outcome of a KPI with a good
        direction; None otherwise.
    row : Series
        The scenario's row of the long table.
    reference_mean : float
        The reference's mean.
    """

    kpi: str
    scenario: str
    reference: str
    outcome: str
    judgement: str | None
    row: pd.Series
    reference_mean: float
    threshold: float = 0.0
    """The practical threshold used, in the KPI's units (0: none)."""


def _rows(table: pd.DataFrame, name: str) -> pd.DataFrame:
    return table[table["scenario"] == name].set_index("kpi")


def finding(table: pd.DataFrame, kpi: str, name: str, reference: str) -> Finding:
    """The finding for one scenario and KPI of a comparison table."""
    row = _rows(table, name).loc[kpi]
    threshold = float(row.get("practical", 0.0))
    threshold = threshold if np.isfinite(threshold) else 0.0
    interval = (row["diff"], row["diff_ci_low"], row["diff_ci_high"])
    outcome, judgement = classify(kpi, *interval, threshold)
    reference_mean = float(_rows(table, reference).loc[kpi, "mean"])
    return Finding(kpi, name, reference, outcome, judgement, row, reference_mean, threshold)


# --------------------------------------------------------------------------- numbers


def _num(value: float, name: str, kpi: str, column: str, text: str, **extra) -> Num:
    return Num(text, float(value), name, kpi, column, **extra)


def mean_parts(row: pd.Series, name: str, kpi: str) -> tuple[Num, Num | None, Num | None]:
    """Mean and interval ends of one row, as shown."""
    k = scale(kpi)
    mean = _num(row["mean"], name, kpi, "mean", format_number(row["mean"] * k), scale=k)
    if not (np.isfinite(row["ci_low"]) and np.isfinite(row["ci_high"])):
        return mean, None, None
    lo, hi = format_interval(row["ci_low"] * k, row["ci_high"] * k)
    return (
        mean,
        _num(row["ci_low"], name, kpi, "ci_low", lo, scale=k),
        _num(row["ci_high"], name, kpi, "ci_high", hi, scale=k),
    )


def _p_part(f: Finding) -> list:
    p = f.row["p_value"]
    if not np.isfinite(p):
        return ["p n/a"]
    text = p_value_text(p)
    if text.startswith("< "):
        return ["p < ", _num(p, f.scenario, f.kpi, "p_value", text[2:], bound="upper")]
    return ["p = ", _num(p, f.scenario, f.kpi, "p_value", text)]


def percent_change(change: float) -> str:
    """A relative change as shown: ``+4.2%`` below 10%, ``+21%`` from there."""
    return f"{change:+.1%}" if abs(change) < 0.1 else f"{change:+.0%}"


def _relative(f: Finding, lang: str) -> list:
    mean = f.reference_mean
    if not (np.isfinite(mean) and mean != 0 and not is_share(f.kpi)):
        return []
    change = f.row["diff"] / abs(mean)
    text = percent_change(change)
    separator = "; " if lang == "en" else "；"
    return [_num(change, f.scenario, f.kpi, "relative", text), separator]


def _difference(f: Finding) -> dict:
    """Magnitude and interval of a called difference (as in the verdict: smaller end first)."""
    k = scale(f.kpi)
    d, low, high = f.row["diff"], f.row["diff_ci_low"], f.row["diff_ci_high"]
    ends = sorted([("diff_ci_low", low), ("diff_ci_high", high)], key=lambda item: abs(item[1]))
    lo_text, hi_text = format_interval(abs(ends[0][1]) * k, abs(ends[1][1]) * k)
    return {
        "d": _num(d, f.scenario, f.kpi, "diff", format_number(abs(d) * k), scale=k, magnitude=True),
        "lo": _num(ends[0][1], f.scenario, f.kpi, ends[0][0], lo_text, scale=k, magnitude=True),
        "hi": _num(ends[1][1], f.scenario, f.kpi, ends[1][0], hi_text, scale=k, magnitude=True),
    }


def _signed_difference(f: Finding) -> dict:
    k = scale(f.kpi)
    d, low, high = f.row["diff"], f.row["diff_ci_low"], f.row["diff_ci_high"]
    lo_text, hi_text = format_interval(low * k, high * k)
    return {
        "d": _num(
            d, f.scenario, f.kpi, "diff", f"{'+' if d > 0 else ''}{format_number(d * k)}", scale=k
        ),
        "lo": _num(low, f.scenario, f.kpi, "diff_ci_low", lo_text, scale=k),
        "hi": _num(high, f.scenario, f.kpi, "diff_ci_high", hi_text, scale=k),
    }


def verdict_phrase(f: Finding, lang: str) -> Phrase:
    """One finding as a phrase (the report's form of the terminal's verdict line)."""
    names = {"name": Name(f.scenario), "reference": Name(f.reference)}
    if f.outcome in ("identical", "unknown"):
        return Phrase(f"verdict_{f.outcome}", lang, names)
    fields = {
        **names,
        "unit": unit_suffix(diff_unit(f.kpi), lang),
        "p": Seq(tuple(_p_part(f))),
    }
    if f.outcome == "none":
        return Phrase("verdict_none", lang, {**fields, **_signed_difference(f)})
    if f.outcome == "negligible":
        k = scale(f.kpi)
        text = format_number(f.threshold * k)
        fields["t"] = _num(f.threshold, f.scenario, f.kpi, "practical", text, scale=k)
        return Phrase("verdict_negligible", lang, {**fields, **_signed_difference(f)})
    fields.update(_difference(f), relative=Seq(tuple(_relative(f, lang))))
    if f.outcome in ("lower", "higher"):
        fields["judgement"] = tr(f.judgement, lang) if f.judgement else ""
    return Phrase(f"verdict_{f.outcome}", lang, fields)


def value_phrase(table: pd.DataFrame, name: str, kpi: str, lang: str, named: bool = True):
    """A scenario's mean with its interval: ``direct 28.5 h (95% CI 28.3–28.7)``."""
    row = _rows(table, name).loc[kpi]
    mean, lo, hi = mean_parts(row, name, kpi)
    suffix = unit_suffix(display_unit(kpi), lang)
    if not np.isfinite(row["mean"]):
        mean, suffix = tr("not_available", lang), ""
    fields = {"mean": mean, "unit": suffix}
    if named:
        fields["name"] = Name(name)
    key = "value_of" if named else "value_only"
    if lo is None:
        return Phrase(f"{key}_no_ci", lang, fields)
    return Phrase(key, lang, {**fields, "lo": lo, "hi": hi})


def summary_kpis(results: Results) -> list[str]:
    """KPIs the summary speaks about: the headline KPIs, then the experiment's focus KPIs."""
    focus = [str(k) for k in results.manifest.get("focus_kpis", []) or []]
    known = set(results.table["kpi"])
    return [k for k in dict.fromkeys([*HEADLINE_KPIS, *focus]) if k in known]


def kpi_heading(results: Results, kpi: str, lang: str) -> str:
    """A KPI's label, with the period for a total ("CO₂ emissions over 28 measured days")."""
    found = period(results)
    if not is_total(kpi) or found is None:
        return kpi_label(kpi, lang)
    return tr("label_over_days", lang, label=kpi_label(kpi, lang), days=found.measured)


@dataclass
class Summary:
    """The summary: a lead (trade-offs), lines per KPI, and how sure the numbers are.

    Attributes
    ----------
    lead : list of Phrase
        Opening sentences.
    lines : list of Phrase
        One per KPI the summary speaks about.
    certainty : list of Phrase
        How the numbers were made and how sure they are.
    """

    lead: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    certainty: list = field(default_factory=list)
    lang: str = "en"
    peaks: list = field(default_factory=list)
    """One phrase per scenario with measured peak days: how much slower they were."""
    stages: list = field(default_factory=list)
    """One phrase per scenario with stage tables: the stage of the lead time that costs most."""

    def plain(self) -> str:
        """The summary as plain text (for a notebook or a terminal)."""
        space = "" if self.lang == "zh" else " "
        blocks = [space.join(p.plain() for p in self.lead)]
        blocks += [f"- {line.plain()}" for line in self.lines]
        blocks += [p.plain() for p in self.stages]
        blocks += [p.plain() for p in self.peaks]
        blocks += [space.join(p.plain() for p in self.certainty)]
        return "\n".join(b for b in blocks if b)


def _compare_summary(summary: Summary, results: Results, kpis: list[str], how: dict) -> None:
    """A comparison: who is the reference, each scenario's trade-offs, a line per KPI, how sure."""
    lang, table = summary.lang, results.table
    others = [Name(name) for name in results.names[1:]]
    summary.lead.append(
        Phrase(
            "reference_is",
            lang,
            {"reference": Name(results.reference), "others": Joined(tuple(others), lang)},
        )
    )
    from sim.report.tradeoffs import tradeoff_phrase  # it builds on this module's parts

    summary.lead += [
        tradeoff_phrase(table, name, results.reference, kpis, lang) for name in results.names[1:]
    ]
    for kpi in kpis:
        values = Joined(tuple(value_phrase(table, n_, kpi, lang) for n_ in results.names), lang)
        verdicts = Joined(
            tuple(
                verdict_phrase(finding(table, kpi, name, results.reference), lang)
                for name in results.names[1:]
            ),
            lang,
        )
        summary.lines.append(
            Phrase(
                "kpi_line",
                lang,
                {"label": kpi_heading(results, kpi, lang), "values": values, "verdicts": verdicts},
            )
        )
    summary.certainty.append(Phrase("certainty_compare", lang, how))


def _run_summary(summary: Summary, results: Results, kpis: list[str], how: dict) -> None:
    """A run: a line per KPI with its mean and interval, how sure."""
    lang, name = summary.lang, results.reference
    for kpi in kpis:
        summary.lines.append(
            Phrase(
                "run_line",
                lang,
                {
                    "label": kpi_heading(results, kpi, lang),
                    "value": value_phrase(results.table, name, kpi, lang, named=False),
                },
            )
        )
    summary.certainty.append(Phrase("certainty_run", lang, how))


def summarize_results(results: Results, lang: str = "en") -> Summary:
    """The plain-language summary of a results folder.

    Parameters
    ----------
    results : Results
        From :func:`sim.report.load_results`.
    lang : str
        ``"en"`` or ``"zh"``.

    Returns
    -------
    Summary
        Sentences whose numbers all come from ``results.table`` (those on peak days
        from the scenarios' ``details/day_kinds.csv``).
    """
    summary = Summary(lang=lang)
    kpis = summary_kpis(results)
    n = results.replications if results.replications is not None else "?"
    how = {"n": str(n), "seed": str(results.seed), **how_fields(results)}
    if results.kind == "compare":
        _compare_summary(summary, results, kpis, how)
    elif results.kind == "run":
        _run_summary(summary, results, kpis, how)
    else:
        for kpi in kpis:
            summary.lines.append(_sweep_line(results, kpi, lang))
        summary.certainty.append(
            Phrase("certainty_sweep", lang, {"n": str(n), "seed": str(results.seed)})
        )
    # Imported here: the reform module draws figures, and the figures import this module.
    from sim.report.reform import reform_phrase

    reform = reform_phrase(results, lang)
    if reform is not None:
        summary.lead.append(reform)
    phrases = (peak_phrase(results, name, lang) for name in with_peaks(results))
    summary.peaks = [phrase for phrase in phrases if phrase is not None]
    if results.kind != "sweep":
        from sim.report.stages import stage_phrase  # it builds on this module's parts

        found = (stage_phrase(results, name, lang) for name in results.names)
        summary.stages = [phrase for phrase in found if phrase is not None]
    return titled(summary, {name: results.title(name) for name in results.names})


def titled(summary: Summary, titles: dict[str, str]) -> Summary:
    """The summary with every scenario :class:`Name` shown by its title (where it has one).

    Sentences are built with the names the tables use (so numbers can name their
    table row); the reader sees the titles.
    """

    def swap(part):
        if isinstance(part, Name):
            return Name(titles.get(part.text, part.text))
        if isinstance(part, Phrase):
            return Phrase(part.key, part.lang, {k: swap(v) for k, v in part.fields.items()})
        if isinstance(part, Joined | Seq):
            return dataclasses.replace(part, parts=tuple(swap(p) for p in part.parts))
        return part

    for each in dataclasses.fields(summary):
        value = getattr(summary, each.name)
        if isinstance(value, list):
            setattr(summary, each.name, [swap(part) for part in value])
    return summary


def _sweep_line(results: Results, kpi: str, lang: str) -> Phrase:
    rows = results.table[results.table["kpi"] == kpi]
    means = rows.set_index("scenario")["mean"]
    label = kpi_heading(results, kpi, lang)
    finite = means[np.isfinite(means)]
    if finite.empty or finite.min() == finite.max():
        name = results.names[0]
        return Phrase(
            "sweep_flat",
            lang,
            {"label": label, "value": value_phrase(results.table, name, kpi, lang, named=False)},
        )
    low, high = finite.idxmin(), finite.idxmax()
    return Phrase(
        "sweep_range",
        lang,
        {
            "label": label,
            "low_point": Name(results.label(low)),
            "low": value_phrase(results.table, low, kpi, lang, named=False),
            "high_point": Name(results.label(high)),
            "high": value_phrase(results.table, high, kpi, lang, named=False),
        },
    )


# --------------------------------------------------------------------------- peak days


DAY_KIND_COLUMNS = (
    "days",
    "parcels",
    "lead_time_mean_h",
    "lead_time_p90_h",
    "on_time_24h_share",
    "door_time_mean_h",
)
"""Columns of ``day_kinds.csv`` the report shows for ordinary and peak days."""


def day_kind_means(day_kinds: pd.DataFrame) -> pd.DataFrame:
    """Per kind of day (index: ordinary, peak): each column's mean over replications.

    ``days`` is the same in every replication. A replication that delivered no parcel
    of a kind has no times for it and is left out of those means (NaN if none has).
    """
    return day_kinds.groupby("kind", sort=False)[list(DAY_KIND_COLUMNS)].mean().reindex(DAY_KINDS)


def with_peaks(results: Results) -> list[str]:
    """The names whose detail tables measured at least one peak day, in order."""
    found = []
    for name in results.names:
        details = results.details.get(name)
        kinds = details.day_kinds if details is not None else None
        if kinds is not None and (kinds.loc[kinds["kind"] == "peak", "days"] > 0).any():
            found.append(name)
    return found


def _per_replication(day_kinds: pd.DataFrame, kind: str, column: str) -> pd.Series:
    rows = day_kinds[day_kinds["kind"] == kind]
    return rows.set_index("replication")[column]


def peak_phrase(results: Results, name: str, lang: str) -> Phrase | None:
    """How much longer (or shorter) a scenario's parcels took on peak days than ordinary ones.

    The difference is paired replication by replication (peak mean minus ordinary
    mean, both measured in the same replication), with its t interval; None when
    there are no ordinary days or no parcel was delivered on one kind of day.
    """
    kinds = results.details[name].day_kinds
    means = day_kind_means(kinds)
    peak, ordinary = (_per_replication(kinds, k, "lead_time_mean_h") for k in ("peak", "ordinary"))
    d, low, high = t_interval((peak - ordinary).to_numpy(dtype=float))
    if means.loc["ordinary", "days"] == 0 or not np.isfinite(d):
        return None
    unit_h = unit_suffix("h", lang)

    def number(value: float, what: str, text: str | None = None, **extra) -> Num:
        shown = format_number(abs(value) if extra.get("magnitude") else value)
        return Num(
            text or shown, float(value), name, "lead_time_mean_h", f"day_kinds:{what}", **extra
        )

    fields = {
        "name": Name(name),
        "peak_days": str(int(means.loc["peak", "days"])),
        "ordinary_days": str(int(means.loc["ordinary", "days"])),
        "n": str(int(kinds["replication"].nunique())),
        "m_peak": number(means.loc["peak", "lead_time_mean_h"], "peak"),
        "m_ordinary": number(means.loc["ordinary", "lead_time_mean_h"], "ordinary"),
        "unit": unit_h,
        "ci": "",
    }
    if d == 0:
        return Phrase("peak_same", lang, fields)
    relative = d / abs(means.loc["ordinary", "lead_time_mean_h"])
    fields["d"] = number(d, "diff", magnitude=True)
    fields["relative"] = number(relative, "relative", percent_change(relative))
    if np.isfinite(low) and np.isfinite(high):
        lo, hi = format_interval(low, high)
        fields["ci"] = Phrase(
            "peak_ci",
            lang,
            {
                "lo": number(low, "diff_ci_low", lo),
                "hi": number(high, "diff_ci_high", hi),
                "unit": unit_h,
            },
        )
    return Phrase("peak_slower" if d > 0 else "peak_faster", lang, fields)
