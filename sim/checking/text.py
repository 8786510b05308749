"""A check's verdicts as the terminal table (``ruralsim check``)."""

from __future__ import annotations

from collections.abc import Sequence

from sim.analysis.compare import format_number, p_value_text
from sim.analysis.directions import is_share, unit
from sim.analysis.regression import (
    KpiVerdict,
)

# --------------------------------------------------------------------------- words


def _mean_ci(triple: tuple[float, float, float], kpi: str) -> str:
    mean, low, high = triple
    scale = 100 if is_share(kpi) else 1
    if mean != mean:
        return "n/a"
    text = format_number(mean * scale, 4)
    if low == low:
        for digits in range(4, 7):  # enough figures to tell the ends apart
            a, b = format_number(low * scale, digits), format_number(high * scale, digits)
            if a != b or low == high:
                break
        text += f" [{a}, {b}]"
    return text


def _change_text(item: KpiVerdict) -> str:
    if item.change != item.change:
        return "-"
    scale = 100 if is_share(item.kpi) else 1
    name = "pp" if is_share(item.kpi) else unit(item.kpi)
    if item.change == 0:
        return f"0 {name}".strip()
    text = f"{'+' if item.change > 0 else '-'}{format_number(abs(item.change) * scale)}"
    text += f" {name}" if name else ""
    if item.relative_change == item.relative_change:
        text += f" ({item.relative_change * 100:+.1f}%)"
    return text


def format_verdicts(verdicts: Sequence[KpiVerdict]) -> str:
    """The table of one scenario's check, one row per KPI.

    Columns: KPI, baseline mean [95% CI], new mean [95% CI], change (absolute and
    relative), one-sided p-value in the direction of the change, verdict. Shares
    are shown in percent, their changes in percentage points.

    Parameters
    ----------
    verdicts : sequence of KpiVerdict
        From :func:`check_kpis`.

    Returns
    -------
    str
        The table; each row starts with the KPI name and ends with the verdict.
    """
    rows = [("KPI", "baseline [95% CI]", "new [95% CI]", "change", "p", "verdict")]
    for item in verdicts:
        p = p_value_text(item.p_value, missing="-")
        rows.append(
            (
                item.kpi,
                _mean_ci(item.baseline, item.kpi),
                _mean_ci(item.new, item.kpi),
                _change_text(item),
                p,
                item.verdict,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [f"{cell:<{widths[i]}}" for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1]]))
    return "\n".join(lines)
