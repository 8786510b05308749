"""Region KPIs: many independent counties' replications merged exactly into one.

A region is a set of counties that share nothing (each its own network, hub and
fleets), so one replication of the region is replication *r* of every county, and
the region's KPIs are those of all their parcels and trips together. They are
computed from what each county's replication sends back, never from its ledger:

* **totals** (parcels, km, hours, costs, CO2 …) are sums;
* **means and shares** are weighted means, weighted by exactly what the county's
  own mean divides by (:data:`RULES`): the lead-time mean by the parcels delivered,
  the door-time mean by those picked up, the on-time and bus shares and the cost
  per parcel by the parcels generated, the sorting line's utilisation by its
  staffed hours, the load factors by their trips. The result equals the mean over
  the pooled parcels or trips, up to floating-point rounding;
* **lead-time percentiles** come from the merged histogram of every delivered
  parcel's lead time, in bins of :data:`BIN_H` (one minute), read with numpy's
  default (linear) quantile rule from the bins' midpoints. Each order statistic is
  then off by at most half a bin, and so is the interpolated percentile:
  **the error is at most BIN_H / 2 = 30 seconds** (:func:`histogram_quantiles`).

Each county replication sends its KPI row plus :func:`aggregates` (a few weights
and a sparse histogram: a few thousand integers), so merging a province needs
neither the ledgers nor the counties' memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from sim.analysis.kpis import (
    KPI_NAMES,
    arrived_in_measured_days,
    delivered_cohort,
    for_town,
    measured_trips,
    shift_hours,
)
from sim.scenario.schema import BUS

BIN_H = 1.0 / 60.0
"""Width of a lead-time histogram bin in hours (one minute)."""

QUANTILES = {"lead_time_p50_h": 0.5, "lead_time_p90_h": 0.9, "lead_time_p95_h": 0.95}
"""Lead-time percentile KPIs and their quantile."""

SUM = "sum"
RULES: dict[str, str] = {
    "parcels_generated": SUM,
    "parcels_delivered": SUM,
    "parcels_picked_up": SUM,
    "parcels_in_system": SUM,
    "inbound_spoiled_parcels": SUM,
    "lead_time_mean_h": "parcels_delivered",
    **dict.fromkeys(QUANTILES, "histogram"),
    "door_time_mean_h": "parcels_picked_up",
    "on_time_24h_share": "parcels_generated",
    "on_time_48h_share": "parcels_generated",
    "vehicle_km": SUM,
    "villager_trip_km": SUM,
    "vehicle_hours": SUM,
    "cost_transport_cny": SUM,
    "cost_facilities_cny": SUM,
    "cost_fees_cny": SUM,
    "cost_total_cny": SUM,
    "cost_per_parcel_cny": "parcels_generated",  # = the summed cost over the summed parcels
    "co2_kg": SUM,
    "sorting_utilization": "staffed_h",
    "urban_parcels": SUM,
    "urban_sorted_mean_h": "urban_sorted",
    "point_overflow_parcels": SUM,
    "van_load_factor_mean": "van_trips",
    "bus_parcels_share": "parcels_generated",
    "bus_load_factor_mean": "bus_trips_with_cargo_space",
    "bus_overflow_parcels": SUM,
    "bus_fallback_parcels": SUM,
    "bus_fee_cny": SUM,
    "bus_delay_added_min_mean": "bus_trips",
    "outbound_parcels_generated": SUM,
    "outbound_parcels_shipped": SUM,
    "outbound_parcels_in_system": SUM,
    "outbound_lead_time_mean_h": "outbound_parcels_shipped",
    "outbound_same_day_share": "outbound_parcels_generated",
    "backhaul_share": "outbound_parcel_km",
    "spoiled_parcels": SUM,
    "spoilage_share": "outbound_parcels_generated",
}
"""How each KPI of the region is made from its counties': ``"sum"``, ``"histogram"``
(a lead-time percentile), or the name of the weight of a weighted mean (a KPI
count, or one of :func:`aggregates`' ``weights``)."""


def aggregates(run) -> dict:
    """What the region needs of one county replication besides its KPI row.

    Returns
    -------
    dict
        ``weights``: the counts the county's means divide by that are not KPIs
        themselves (``staffed_h``, ``urban_sorted``, ``van_trips``, ``bus_trips``,
        ``bus_trips_with_cargo_space``, ``outbound_parcel_km``); ``lead_bins`` and
        ``lead_counts``: the sparse histogram of the delivered cohort's lead times (bin *i* holds
        ``[i, i+1) × BIN_H`` hours), as plain lists.
    """
    ledger, scenario = run.ledger, run.scenario
    at_point = ledger.column("t_at_point")
    delivered = delivered_cohort(run)
    lead = (at_point - ledger.column("t_hub"))[delivered]
    bins, counts = np.unique(np.floor(lead / BIN_H).astype(np.int64), return_counts=True)
    urban = arrived_in_measured_days(run) & for_town(run)
    sorted_h = ledger.column("t_sorted")[urban]
    trips, services = measured_trips(run), run.services
    fleet = services["fleet"].to_numpy()[trips["service"].to_numpy()]
    van = services["counts_as_van"].to_numpy()[trips["service"].to_numpy()].astype(bool)
    is_bus = fleet == BUS
    measured_days = scenario.horizon.days - scenario.horizon.warmup_days
    return {
        "weights": {
            "staffed_h": float(shift_hours(scenario) * measured_days),
            "urban_sorted": int(np.count_nonzero(~np.isnan(sorted_h))),
            "van_trips": int(np.count_nonzero(van)),
            "bus_trips": int(np.count_nonzero(is_bus)),
            "bus_trips_with_cargo_space": int(
                np.count_nonzero(is_bus & (trips["capacity"].to_numpy() > 0))
            ),
            # What backhaul_share divides by (0 without farm products going out).
            "outbound_parcel_km": float(trips["outbound_parcel_km"].sum())
            if "outbound_parcel_km" in trips
            else 0.0,
        },
        "lead_bins": bins.tolist(),
        "lead_counts": counts.tolist(),
    }


def merge_histograms(parts: Sequence[Mapping]) -> tuple[np.ndarray, np.ndarray]:
    """The merged sparse histogram of several :func:`aggregates`: sorted bins, counts."""
    bins = np.concatenate([np.asarray(p["lead_bins"], dtype=np.int64) for p in parts] or [[]])
    counts = np.concatenate([np.asarray(p["lead_counts"], dtype=np.int64) for p in parts] or [[]])
    merged, where = np.unique(bins.astype(np.int64), return_inverse=True)
    return merged, np.bincount(where, weights=counts, minlength=merged.size).astype(np.int64)


def histogram_quantiles(
    bins: np.ndarray, counts: np.ndarray, quantiles: Sequence[float]
) -> list[float]:
    """Quantiles of values known only by their one-minute bins, within half a bin.

    numpy's default rule on the *n* sorted values: position ``h = (n-1) q``, the
    value ``x[lo] + (h - lo)(x[lo+1] - x[lo])`` with ``lo = floor(h)``. Here each
    order statistic is its bin's midpoint, off by at most ``BIN_H / 2``; the result,
    a convex combination of two of them, is off by at most ``BIN_H / 2`` too.
    NaN for an empty histogram.
    """
    n = int(counts.sum())
    if n == 0:
        return [float("nan")] * len(quantiles)
    ends = np.cumsum(counts)  # order statistics 0..ends[0]-1 lie in bins[0], …
    mids = (bins + 0.5) * BIN_H
    found = []
    for q in quantiles:
        h = (n - 1) * q
        lo = int(np.floor(h))
        hi = min(lo + 1, n - 1)
        x_lo, x_hi = mids[np.searchsorted(ends, [lo, hi], side="right")]
        found.append(float(x_lo + (h - lo) * (x_hi - x_lo)))
    return found


def merge_replication(rows: Sequence[Mapping], parts: Sequence[Mapping]) -> dict:
    """The region's KPIs of one replication, from each county's KPI row and aggregates.

    Parameters
    ----------
    rows : sequence of mapping
        Each county's ``kpis.csv`` row of this replication, in county order.
    parts : sequence of mapping
        Each county's :func:`aggregates` of the same replication, in the same order.

    Returns
    -------
    dict
        KPI name -> value, in ``KPI_NAMES`` order (see :data:`RULES`); a weighted
        mean whose weights are all zero is NaN.
    """
    missing = [name for name in KPI_NAMES if name not in RULES]
    if missing:
        raise ValueError(f"no region rule for the KPIs {', '.join(missing)} (sim.analysis.region)")
    bins, counts = merge_histograms(parts)
    found = histogram_quantiles(bins, counts, list(QUANTILES.values()))
    percentiles = dict(zip(QUANTILES, found, strict=True))
    merged = {}
    for name in KPI_NAMES:
        rule = RULES[name]
        values = np.array([float(row[name]) for row in rows])
        if rule == SUM:
            whole = all(isinstance(row[name], int) for row in rows)  # counts stay whole
            merged[name] = int(sum(row[name] for row in rows)) if whole else float(values.sum())
        elif rule == "histogram":
            merged[name] = percentiles[name]
        else:
            weights = [_weight(row, part, rule) for row, part in zip(rows, parts, strict=True)]
            merged[name] = _weighted_mean(values, weights)
    return merged


def _weight(row: Mapping, part: Mapping, name: str) -> float:
    return float(row[name]) if name in row else float(part["weights"][name])


def _weighted_mean(values: np.ndarray, weights: Sequence[float]) -> float:
    weights = np.asarray(weights, dtype=float)
    used = weights > 0  # a county with nothing to average has no value (NaN) and no weight
    total = weights[used].sum()
    if total == 0:
        return float("nan")
    return float((values[used] * weights[used]).sum() / total)
