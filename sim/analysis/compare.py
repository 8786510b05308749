"""Paired comparison of scenarios run with common random numbers.

Replication *r* of every scenario in a comparison uses the same seed, so the
scenarios see the same parcels and the per-replication differences are paired.
For each KPI: every scenario's mean with a Student-t confidence interval over
replications, and for every scenario after the first (the reference) the mean
paired difference to the reference with its Student-t interval and the paired
t-test p-value (``scipy.stats.ttest_rel``'s, computed by
:func:`sim.analysis.stats.paired_t_p_value`). The interval of the difference
excludes 0 exactly when the p-value is below ``1 - level``.

These functions work on KPI tables (one row per replication, as written to
``kpis.csv``); they never touch a simulation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis import kpi_table
from sim.analysis.directions import HIGHER, LOWER, direction, is_share, judge, unit
from sim.analysis.stats import paired_t_p_value, t_interval

COMPARISON_COLUMNS = (
    "scenario",
    "kpi",
    "mean",
    "ci_low",
    "ci_high",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "p_value",
    "practical",
)
"""Columns of ``comparison.csv``, in order.

``practical`` is the practical threshold the comparison used for the row's
difference, in the KPI's units (:func:`practical_threshold`); NaN for the reference.
"""

_NOT_KPIS = ("replication", "seed")


@dataclass(frozen=True)
class PairedDifference:
    """Mean paired difference (other minus reference) with its interval and p-value.

    Attributes
    ----------
    mean, ci_low, ci_high : float
        Mean difference and its two-sided Student-t confidence interval (NaN with
        fewer than two pairs).
    p_value : float
        Two-sided paired t-test; NaN when fewer than two pairs or when every
        difference is exactly zero (nothing to test).
    n : int
        Pairs used: replications where both values are finite.
    identical : bool
        Every pair is exactly equal (there is at least one pair).
    """

    mean: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    identical: bool


def paired_difference(
    reference: Sequence[float] | np.ndarray,
    other: Sequence[float] | np.ndarray,
    level: float = 0.95,
) -> PairedDifference:
    """Paired difference ``other - reference`` over replications.

    Parameters
    ----------
    reference, other : array-like of float
        One value per replication, aligned (element *r* of both is replication *r*).
        Pairs where either value is NaN or infinite are left out.
    level : float, optional
        Confidence level of the interval, 0.95 by default.

    Returns
    -------
    PairedDifference
        Mean, interval, p-value (that of ``scipy.stats.ttest_rel(other, reference)``),
        pairs.
    """
    reference = np.asarray(reference, dtype=float)
    other = np.asarray(other, dtype=float)
    if reference.shape != other.shape:
        raise ValueError(f"paired samples differ in length: {reference.size} and {other.size}")
    keep = np.isfinite(reference) & np.isfinite(other)
    reference, other = reference[keep], other[keep]
    diff = other - reference
    mean, low, high = t_interval(diff, level)
    identical = bool(diff.size) and not diff.any()
    p_value = float("nan")
    if diff.size >= 2 and not identical:
        p_value = paired_t_p_value(diff)
    return PairedDifference(mean, low, high, p_value, int(diff.size), identical)


def _paired_columns(reference: pd.DataFrame, other: pd.DataFrame, kpi: str):
    if "replication" not in reference or "replication" not in other:
        return reference[kpi].to_numpy(), other[kpi].to_numpy()
    left = reference.set_index("replication")[kpi]
    right = other.set_index("replication")[kpi]
    if not (left.index.is_unique and right.index.is_unique) or set(left.index) != set(right.index):
        raise ValueError(
            "scenarios must have the same replications to be paired "
            f"(got {list(left.index)} and {list(right.index)})"
        )
    return left.to_numpy(), right.reindex(left.index).to_numpy()


def comparison_table(
    kpis: Mapping[str, pd.DataFrame],
    columns: Sequence[str] | None = None,
    level: float = 0.95,
    practical: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """The long comparison table (``comparison.csv``).

    Parameters
    ----------
    kpis : mapping of str to DataFrame
        Scenario name -> KPI table (one row per replication, a ``replication``
        column to pair on, one column per KPI). The first scenario is the reference.
    columns : sequence of str, optional
        KPIs to compare, in order; by default every column of the first table
        except ``replication`` and ``seed``.
    level : float, optional
        Confidence level, 0.95 by default.
    practical : mapping of str to (absolute, relative), optional
        Practical thresholds that replace the KPI table's (see :func:`with_practical`).

    Returns
    -------
    DataFrame
        One row per scenario and KPI (scenarios in the given order, KPIs within
        each), columns :data:`COMPARISON_COLUMNS`. ``diff`` and the following
        columns are NaN for the reference scenario.
    """
    if not kpis:
        raise ValueError("nothing to compare: no scenarios given")
    names = list(kpis)
    reference = kpis[names[0]]
    if columns is None:
        columns = [c for c in reference.columns if c not in _NOT_KPIS]
    rows = []
    for name in names:
        table = kpis[name]
        for kpi in columns:
            mean, low, high = t_interval(table[kpi].to_numpy(), level)
            row = {"scenario": name, "kpi": kpi, "mean": mean, "ci_low": low, "ci_high": high}
            if name == names[0]:
                row.update(diff=np.nan, diff_ci_low=np.nan, diff_ci_high=np.nan, p_value=np.nan)
            else:
                paired = paired_difference(*_paired_columns(reference, table, kpi), level)
                row.update(
                    diff=paired.mean,
                    diff_ci_low=paired.ci_low,
                    diff_ci_high=paired.ci_high,
                    p_value=paired.p_value,
                )
            rows.append(row)
    table = pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))
    return with_practical(table, practical)


# --------------------------------------------------------------------------- practical


def effect_threshold(absolute: float, relative: float, reference_mean: float) -> float:
    """``max(absolute, relative × |reference mean|)`` (the relative part 0 for a NaN mean)."""
    scaled = relative * abs(reference_mean) if np.isfinite(reference_mean) else 0.0
    return max(absolute, scaled)


def practical_threshold(
    kpi: str,
    reference_mean: float,
    practical: Mapping[str, tuple[float, float]] | None = None,
) -> float:
    """The difference of ``kpi`` that counts in practice, in the KPI's units.

    Parameters
    ----------
    kpi : str
        KPI name.
    reference_mean : float
        The reference scenario's mean (for a relative threshold).
    practical : mapping of str to (absolute, relative), optional
        Thresholds replacing the KPI table's (:attr:`~sim.analysis.kpi_table.Kpi.practical`);
        a KPI the table does not know gets 1% of the reference mean.

    Returns
    -------
    float
        ``max(absolute, relative × |reference mean|)``.
    """
    record = kpi_table.get(kpi)
    default = record.practical if record is not None else (0.0, 0.01)
    absolute, relative = (practical or {}).get(kpi, default)
    return effect_threshold(absolute, relative, reference_mean)


def with_practical(
    table: pd.DataFrame, practical: Mapping[str, tuple[float, float]] | None = None
) -> pd.DataFrame:
    """``table`` with its ``practical`` column (re)computed from the reference's means.

    Parameters
    ----------
    table : DataFrame
        A comparison table; the first scenario is the reference.
    practical : mapping of str to (absolute, relative), optional
        Thresholds replacing the KPI table's, by KPI.

    Returns
    -------
    DataFrame
        A copy; ``practical`` is NaN in the reference's rows.
    """
    table = table.copy()
    names = list(dict.fromkeys(table["scenario"]))
    reference = table[table["scenario"] == names[0]] if names else table
    means = dict(zip(reference["kpi"], reference["mean"], strict=True))
    table["practical"] = [
        np.nan if name == names[0] else practical_threshold(kpi, means.get(kpi, np.nan), practical)
        for name, kpi in zip(table["scenario"], table["kpi"], strict=True)
    ]
    return table


# --------------------------------------------------------------------------- words


def format_number(value: float, digits: int = 3) -> str:
    """A number for people: about ``digits`` significant figures, thousands separated."""
    if value != value:
        return "n/a"
    size = abs(value)
    if size >= 10 ** (digits - 1) or size == 0:
        return f"{value:,.0f}"
    decimals = digits - 1 - int(np.floor(np.log10(size)))
    if size >= 1:
        return f"{value:,.{decimals}f}"
    return f"{value:#.{digits}g}"


def format_interval(low: float, high: float) -> tuple[str, str]:
    """Both ends of an interval, with enough figures to tell them apart (up to 6)."""
    for digits in range(3, 7):
        pair = format_number(low, digits), format_number(high, digits)
        if pair[0] != pair[1]:
            break
    return pair


def classify(
    kpi: str, diff: float, ci_low: float, ci_high: float, threshold: float = 0.0
) -> tuple[str, str | None]:
    """What a paired difference shows: the one rule behind every verdict.

    The terminal's verdict lines (:func:`verdict`), the report's summary and its
    table's difference cells all decide with this function, with the comparison
    table's ``practical`` threshold. In order:

    1. the difference and its interval are all exactly 0: identical;
    2. no finite interval: unknown;
    3. the whole interval lies within ±threshold: no practical difference
       ("negligible"), whether or not it includes 0 — the data show any
       difference is too small to matter;
    4. the interval includes 0: not clear ("none");
    5. the interval excludes 0 but the estimate is no larger than the threshold:
       no practical difference ("negligible") — real, but too small to matter;
    6. otherwise faster/slower or lower/higher, better or worse.

    A threshold of 0 (the default) leaves the statistical rule alone.

    Parameters
    ----------
    kpi : str
        KPI name.
    diff, ci_low, ci_high : float
        Mean paired difference and its confidence interval.
    threshold : float, optional
        The practical threshold in the KPI's units (:func:`practical_threshold`).

    Returns
    -------
    outcome : str
        ``"identical"``, ``"unknown"``, ``"negligible"`` (no practical difference),
        ``"none"`` (the interval includes 0), ``"faster"`` or ``"slower"`` (lead and
        door times), ``"lower"`` or ``"higher"``.
    judgement : str or None
        ``"better"`` or ``"worse"`` for a lower/higher outcome of a KPI with a good
        direction; None otherwise.
    """
    if all(value == 0.0 for value in (diff, ci_low, ci_high)):
        return "identical", None
    if not (np.isfinite(ci_low) and np.isfinite(ci_high)):
        return "unknown", None
    practical = threshold if np.isfinite(threshold) and threshold > 0 else 0.0
    if practical and -practical <= ci_low and ci_high <= practical:
        return "negligible", None
    if ci_low <= 0.0 <= ci_high:
        return "none", None
    if abs(diff) <= practical:
        return "negligible", None
    lower = diff < 0
    way = direction(kpi)
    if kpi.startswith(("lead_time", "door_time")) and way == LOWER:
        return ("faster" if lower else "slower"), None
    return ("lower" if lower else "higher"), (judge(kpi, diff) if way in (LOWER, HIGHER) else None)


def p_value_text(p_value: float, missing: str = "n/a") -> str:
    """A p-value alone, as every output writes it: ``"< 0.001"``, ``"0.042"``, or ``missing``.

    Parameters
    ----------
    p_value : float
        The p-value; NaN when there is none.
    missing : str, optional
        Text for NaN.

    Returns
    -------
    str
        Three decimals, or ``"< 0.001"`` below 0.001.
    """
    if p_value != p_value:
        return missing
    return "< 0.001" if p_value < 0.001 else f"{p_value:.3f}"


def p_text(p_value: float) -> str:
    """A p-value in a sentence: ``"p < 0.001"``, ``"p = 0.042"`` or ``"p n/a"``."""
    text = p_value_text(p_value)
    return f"p {text}" if text.startswith("<") or text == "n/a" else f"p = {text}"


def _scaled(kpi: str, value: float) -> float:
    return value * 100.0 if is_share(kpi) else value


def verdict(
    kpi: str,
    name: str,
    reference: str,
    diff: float,
    ci_low: float,
    ci_high: float,
    p_value: float,
    reference_mean: float = float("nan"),
    *,
    identical: bool = False,
    level: float = 0.95,
    threshold: float = 0.0,
) -> str:
    """One line saying what a paired difference shows, without overclaiming.

    The outcome is decided by :func:`classify`, as in the report. A difference is
    called only when its confidence interval excludes 0; otherwise the line says
    "no significant difference". One within the practical threshold is "no practical
    difference" (see :func:`classify`). Better and worse follow the KPI's good direction
    (:mod:`sim.analysis.directions`); neutral KPIs are only higher or lower. Lead and
    door times read as faster or slower.

    Parameters
    ----------
    kpi : str
        KPI name.
    name, reference : str
        The scenario and the reference it is compared with.
    diff, ci_low, ci_high : float
        Mean paired difference (``name`` minus ``reference``) and its interval.
    p_value : float
        Paired t-test p-value.
    reference_mean : float, optional
        The reference's mean, to show the relative change.
    identical : bool, optional
        Every replication gave exactly the same value in both scenarios.
    level : float, optional
        Confidence level of the interval, for the wording.
    threshold : float, optional
        The practical threshold in the KPI's units (0: none).

    Returns
    -------
    str
        E.g. ``"lead_time_p90_h: via is 9.8 h faster than direct (-21%; 95% CI
        8.1–11.5 h; p < 0.001)"``.
    """
    pct = f"{level * 100:g}%"
    the_unit = unit(kpi)
    suffix = f" {the_unit}" if the_unit else ""
    if identical:
        return f"{kpi}: {name} and {reference} are identical in every replication"
    outcome, judgement = classify(kpi, diff, ci_low, ci_high, threshold)
    if outcome == "unknown":
        return f"{kpi}: cannot tell ({name} vs {reference} needs at least 2 paired replications)"
    d, low, high = (_scaled(kpi, v) for v in (diff, ci_low, ci_high))
    if outcome == "negligible":
        return (
            f"{kpi}: no practical difference between {name} and {reference} "
            f"(difference {'+' if d > 0 else ''}{format_number(d)}{suffix}, {pct} CI "
            f"{' to '.join(format_interval(low, high))}; {p_text(p_value)}; "
            f"practical threshold ±{format_number(_scaled(kpi, threshold))}{suffix})"
        )
    # All zero without ``identical=True`` (e.g. a zero-width interval at 0): no difference.
    if outcome in ("none", "identical"):
        return (
            f"{kpi}: no significant difference between {name} and {reference} "
            f"(difference {'+' if d > 0 else ''}{format_number(d)}{suffix}, {pct} CI "
            f"{' to '.join(format_interval(low, high))}; {p_text(p_value)})"
        )
    size, lo, hi = abs(d), min(abs(low), abs(high)), max(abs(low), abs(high))
    words = f"{outcome} ({judgement})" if judgement else outcome
    relative = ""
    if np.isfinite(reference_mean) and reference_mean != 0 and not is_share(kpi):
        change = diff / abs(reference_mean)
        relative = f"{change:+.1%}; " if abs(change) < 0.1 else f"{change:+.0%}; "
    lo_text, hi_text = format_interval(lo, hi)
    return (
        f"{kpi}: {name} is {format_number(size)}{suffix} {words} than {reference} "
        f"({relative}{pct} CI {lo_text}–{hi_text}{suffix}; {p_text(p_value)})"
    )


def verdicts(table: pd.DataFrame, kpis: Sequence[str], level: float = 0.95) -> list[str]:
    """Verdict lines for every non-reference scenario and each of ``kpis``.

    Parameters
    ----------
    table : DataFrame
        A comparison table (:func:`comparison_table`).
    kpis : sequence of str
        KPIs to give a verdict on, in order.
    level : float, optional
        Confidence level used for the table.

    Returns
    -------
    list of str
        One line per scenario after the first and KPI.
    """
    names = list(dict.fromkeys(table["scenario"]))
    reference = names[0]
    means = table[table["scenario"] == reference].set_index("kpi")["mean"]
    lines = []
    for name in names[1:]:
        rows = table[table["scenario"] == name].set_index("kpi")
        for kpi in kpis:
            row = rows.loc[kpi]
            interval = (row["diff"], row["diff_ci_low"], row["diff_ci_high"])
            threshold = row.get("practical", 0.0)
            lines.append(
                verdict(
                    kpi,
                    name,
                    reference,
                    *interval,
                    row["p_value"],
                    means.get(kpi, float("nan")),
                    # A zero mean with a zero-width interval: every difference is 0.
                    identical=all(value == 0.0 for value in interval),
                    level=level,
                    threshold=threshold if np.isfinite(threshold) else 0.0,
                )
            )
    return lines


def format_value(kpi: str, value: float, *, difference: bool = False) -> str:
    """A KPI value (or a difference, signed) as every table in the terminal writes it.

    About three significant figures with thousands separators (:func:`format_number`),
    then the unit: shares in % (differences in pp, percentage points), hours ``h``,
    ``km``, ``CNY``, ``kg``, ``min``; parcel counts bare; NaN as ``n/a``.
    """
    if value != value:
        return "n/a"
    sign = "+" if difference and value > 0 else ""
    if is_share(kpi):
        return f"{sign}{format_number(value * 100.0)}{' pp' if difference else '%'}"
    the_unit = unit(kpi)
    return f"{sign}{format_number(value)}{' ' + the_unit if the_unit else ''}"


def format_estimate(kpi: str, mean: float, half_width: float) -> str:
    """A mean with the half-width of its interval: ``4.63 ±0.034 h``, ``87.7 ±1.2%``.

    A missing or zero half-width (one replication, or the same value in every one)
    gives the mean alone, as :func:`format_value` writes it.
    """
    # Float noise (1e-13 of a mean of thousands) is no interval either.
    if half_width != half_width or mean != mean or half_width <= 1e-9 * abs(mean):
        return format_value(kpi, mean)
    scale, suffix = (100.0, "%") if is_share(kpi) else (1.0, unit(kpi))
    suffix = suffix if suffix in ("", "%") else f" {suffix}"
    return f"{format_number(mean * scale)} ±{format_number(half_width * scale, 2)}{suffix}"


def _difference_text(kpi: str, row) -> str | None:
    """A difference line's text; None when identical in every replication or undefined."""
    diff, low, high = row["diff"], row["diff_ci_low"], row["diff_ci_high"]
    if diff != diff or diff == low == high == 0.0:
        return None
    shown = format_value(kpi, diff, difference=True)
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{shown} (no interval: one replication)"
    if low == high:  # every replication gave the same difference
        return f"{shown} in every replication"
    scale = 100.0 if is_share(kpi) else 1.0
    the_unit = "pp" if is_share(kpi) else unit(kpi)
    ends = format_interval(low * scale, high * scale)
    ends = tuple(e if e.startswith("-") or e == "0" else f"+{e}" for e in ends)
    return f"{shown} (95% CI {ends[0]} to {ends[1]}{' ' + the_unit if the_unit else ''})"


def titled(name: str, title: str | None, width: int = 100, used: int = 0) -> str:
    """A scenario's name followed by its title (``name — title``), cut to fit *width*.

    *used* columns of the line come before it. Without a title: the name.
    """
    if not title:
        return name
    text = f"{name} — {title}"
    room = width - used
    return text if len(text) <= room else text[: max(room - 1, len(name))] + "…"


def format_comparison(
    table: pd.DataFrame,
    kpis: Sequence[str] | None = None,
    titles: Mapping[str, str] | None = None,
) -> str:
    """The comparison as a text table that fits 100 columns for up to 5 scenarios.

    Scenarios are numbered ``[1]``, ``[2]`` … in a legend (``[1]`` is the reference);
    each KPI is a row of their means, followed by one line per scenario that differs
    from the reference: the mean paired difference with its 95% CI and p-value. KPIs
    with no difference line are identical to the reference in every replication.

    Parameters
    ----------
    table : DataFrame
        A comparison table (:func:`comparison_table`).
    kpis : sequence of str, optional
        Rows to show (default: every KPI in the table).
    titles : mapping, optional
        Scenario titles, shown after the names in the legend (cut to 100 columns).

    Returns
    -------
    str
        The legend, a header and the rows (see :func:`format_value` for the numbers).
    """
    names = list(dict.fromkeys(table["scenario"]))
    kpis = list(kpis) if kpis is not None else list(dict.fromkeys(table["kpi"]))
    by = {name: table[table["scenario"] == name].set_index("kpi") for name in names}
    tags = [f"[{number}]" for number in range(1, len(names) + 1)]
    titles = titles or {}
    lines = []
    for i, (tag, name) in enumerate(zip(tags, names, strict=True)):
        after = " (reference)" if i == 0 else ""
        used = len(tag) + 1 + len(after)
        lines.append(f"{tag} {titled(name, titles.get(name), used=used)}{after}")
    lines.append(" ".join([f"{'KPI':<25}", *(f"{tag:>14}" for tag in tags)]))
    for kpi in kpis:
        cells = [f"{format_value(kpi, by[n].loc[kpi, 'mean']):>14}" for n in names]
        lines.append(" ".join([f"{kpi:<25}", *cells]))
        for tag, name in zip(tags[1:], names[1:], strict=True):
            row = by[name].loc[kpi]
            text = _difference_text(kpi, row)
            if text is None:
                continue
            p_value = p_value_text(row["p_value"], missing="")
            p_part = (
                f", p {p_value}"
                if p_value.startswith("<")
                else (f", p = {p_value}" if p_value else "")
            )
            lines.append(f"  {tag} - [1]: {text}{p_part}")
    if len(names) > 1:
        lines.append("(no difference line: the same in every replication, or undefined)")
    return "\n".join(lines)
