"""Which way is better for each KPI, its unit, and the headline KPIs.

Comparisons, verdicts and regression checks need to know whether a KPI should
go down (lead time, cost, emissions) or up (on-time share), and which ones to
headline. KPIs that describe the situation rather than judge it (parcels
generated, sorting utilisation, load factors) are ``"neutral"``: a change is
reported as higher or lower, never as better or worse.

Everything here is a view of the KPI table (:mod:`sim.analysis.kpi_table`), which
owns these facts.
"""

from __future__ import annotations

from types import MappingProxyType

from sim.analysis.kpi_table import HEADLINE_KPIS, KPIS, Direction, get

__all__ = [
    "HEADLINE_KPIS",
    "HIGHER",
    "KPI_DIRECTIONS",
    "LOWER",
    "NEUTRAL",
    "Direction",
    "direction",
    "is_share",
    "judge",
    "unit",
]

LOWER: Direction = "lower"
HIGHER: Direction = "higher"
NEUTRAL: Direction = "neutral"

KPI_DIRECTIONS = MappingProxyType({kpi.name: kpi.better for kpi in KPIS})
"""Good direction of every KPI (read-only)."""


def direction(kpi: str) -> Direction:
    """The good direction of a KPI; ``"neutral"`` for a KPI not in the table.

    Parameters
    ----------
    kpi : str
        KPI name, e.g. ``"lead_time_p90_h"``.

    Returns
    -------
    str
        ``"lower"``, ``"higher"`` or ``"neutral"``.
    """
    return KPI_DIRECTIONS.get(kpi, NEUTRAL)


def judge(kpi: str, difference: float) -> str | None:
    """Whether a difference (B minus A) makes B better or worse than A.

    Parameters
    ----------
    kpi : str
        KPI name.
    difference : float
        The other scenario's value minus the reference's.

    Returns
    -------
    str or None
        ``"better"`` or ``"worse"``; None for a neutral KPI, a zero or a NaN difference.
    """
    way = direction(kpi)
    if way == NEUTRAL or not difference or difference != difference:
        return None
    return "better" if (difference < 0) == (way == LOWER) else "worse"


def is_share(kpi: str) -> bool:
    """True for KPIs that are fractions in [0, 1] (shown in %, differences in percentage points).

    The on-time shares, the bus share, the sorting utilisation and the load factors.
    """
    record = get(kpi)
    return record is not None and record.share


def unit(kpi: str) -> str:
    """The unit a KPI's differences are written in (``"h"``, ``"CNY"``, ``"kg"`` …), or ``""``.

    Parameters
    ----------
    kpi : str
        KPI name.

    Returns
    -------
    str
        ``"percentage points"`` for shares, ``""`` for parcel counts and unknown
        KPIs, otherwise the KPI table's unit.
    """
    record = get(kpi)
    if record is None or record.unit == "parcels":
        return ""
    return "percentage points" if record.share else record.unit
