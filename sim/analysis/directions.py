"""Which way is better for each KPI, its unit, and the headline KPIs.

Comparisons, verdicts and (later) regression checks need to know whether a KPI
should go down (lead time, cost, emissions) or up (on-time share), and which
ones to headline. KPIs that describe the situation rather than judge it
(parcels generated, sorting utilisation, load factors) are ``"neutral"``: a
change is reported as higher or lower, never as better or worse.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal

Direction = Literal["lower", "higher", "neutral"]

LOWER: Direction = "lower"
HIGHER: Direction = "higher"
NEUTRAL: Direction = "neutral"

KPI_DIRECTIONS = MappingProxyType(
    {
        "parcels_generated": NEUTRAL,  # demand: identical under common random numbers
        "parcels_delivered": HIGHER,
        "parcels_picked_up": HIGHER,
        "parcels_in_system": LOWER,
        "lead_time_mean_h": LOWER,
        "lead_time_p50_h": LOWER,
        "lead_time_p90_h": LOWER,
        "lead_time_p95_h": LOWER,
        "door_time_mean_h": LOWER,
        "on_time_24h_share": HIGHER,
        "on_time_48h_share": HIGHER,
        "vehicle_km": LOWER,
        "vehicle_hours": LOWER,
        "cost_total_cny": LOWER,
        "cost_per_parcel_cny": LOWER,
        "co2_kg": LOWER,
        "sorting_utilization": NEUTRAL,  # the hub's load, not a delivery model's merit
        "van_load_factor_mean": NEUTRAL,  # fuller vans are cheaper but slower to empty
        "bus_parcels_share": NEUTRAL,  # a policy lever, not an outcome
        "bus_load_factor_mean": NEUTRAL,
        "bus_overflow_parcels": LOWER,
        "bus_fallback_parcels": LOWER,
        "bus_fee_cny": LOWER,
        "bus_delay_added_min_mean": LOWER,  # delay the parcels add to passengers' trips
    }
)
"""Good direction of every KPI (read-only)."""

HEADLINE_KPIS = (
    "lead_time_mean_h",
    "lead_time_p90_h",
    "on_time_24h_share",
    "cost_per_parcel_cny",
    "co2_kg",
)
"""KPIs that get a verdict line by default."""

_UNITS = {"h": "h", "hours": "h", "min": "min", "cny": "CNY", "kg": "kg", "km": "km"}


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
    """True for KPIs that are shares in [0, 1] (reported in percentage points)."""
    return kpi.endswith("_share")


def unit(kpi: str) -> str:
    """The unit of a KPI from its name (``"h"``, ``"CNY"``, ``"kg"`` …), or ``""``.

    Parameters
    ----------
    kpi : str
        KPI name; units live in names (``lead_time_p90_h``, ``cost_per_parcel_cny``).

    Returns
    -------
    str
        The unit, ``"percentage points"`` for shares, ``""`` if the name has none.
    """
    if is_share(kpi):
        return "percentage points"
    for token in reversed(kpi.split("_")):
        if token in _UNITS:
            return _UNITS[token]
    return ""
