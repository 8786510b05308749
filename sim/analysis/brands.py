"""Express brands measured: lead and door times, vehicle-km and cost per brand.

A run with ``brands`` is composed of networks (the public one and one per
own-network brand, :mod:`sim.engine.brands`). What a network costs is attributed to
the brands whose parcels it carried, in proportion to their measured parcels on it:
an own network's trips and facilities go wholly to its brand, the public network's
are split by parcel share. (The villagers' km and the brand facility costs are
KPIs, in :mod:`sim.analysis.kpis`.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.analysis.kpis import (
    bus_fees,
    bus_parcel_share,
    cohort,
    fleet_costs,
    measured_trips,
    network_facility_costs,
    public_fee_parcels,
)
from sim.scenario.schema import BUS

if TYPE_CHECKING:
    from sim.engine.model import Run


def _network_vehicles(run: Run) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vehicle-km, transport cost and bus fees of each network's trips of the measured days.

    As the KPIs count them: a bus trip's km at the parcels' share of the bus.
    """
    services, measured = run.services, measured_trips(run)
    n = len(run.networks)
    km, cost, fees = np.zeros(n), np.zeros(n), np.zeros(n)
    for number, group in measured.groupby("network"):
        is_bus = (services["fleet"].to_numpy()[group["service"].to_numpy()] == BUS).astype(bool)
        fleet, bus = group[~is_bus], group[is_bus]
        km[int(number)] = float(fleet["km"].sum()) + float(
            (bus["km"].to_numpy() * bus_parcel_share(bus, services)).sum()
        )
        cost[int(number)] = fleet_costs(fleet, services)
        fees[int(number)] = bus_fees(bus, services)
    return km, cost, fees


def _parcel_fees(run: Run, measured: np.ndarray) -> np.ndarray:
    """Per measured parcel: the public network's point fee less its subsidy (as the KPIs)."""
    costs = run.scenario.costs
    at_points, through_hub = public_fee_parcels(run)
    fee = costs.point_fee_per_parcel_cny * at_points - costs.subsidy_per_parcel_cny * through_hub
    return fee[measured]


def brand_results(run: Run) -> pd.DataFrame:
    """Per brand: parcels, lead and door times, and the vehicle-km and cost attributed to it.

    A network's vehicle-km, transport cost, facility cost and bus fees are split among
    the brands by their share of its measured parcels; the per-parcel point fee and
    subsidy go to each parcel's brand. So the brands' vehicle-km and costs add up to
    the KPIs ``vehicle_km`` and ``cost_total_cny``.
    """
    ledger, end_h = run.ledger, run.end_h
    measured = cohort(run)
    brand = ledger.column("brand")[measured].astype(np.int64)
    network = ledger.column("network")[measured].astype(np.int64)
    lead = (ledger.column("t_at_point") - ledger.column("t_hub"))[measured]
    door = (ledger.column("t_picked_up") - ledger.column("t_hub"))[measured]
    collected = ledger.column("t_picked_up")[measured] <= end_h
    names = list(run.scenario.brands.root) or ["all"]
    n_brands, n_networks = len(names), len(run.networks)
    horizon = run.scenario.horizon
    km, transport, bus_fee = _network_vehicles(run)
    facilities = network_facility_costs(run, horizon.days - horizon.warmup_days)
    per_parcel = np.bincount(brand, weights=_parcel_fees(run, measured), minlength=n_brands)
    on = np.zeros((n_brands, n_networks))
    np.add.at(on, (brand, network), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        split = np.nan_to_num(on / on.sum(axis=0, keepdims=True))
    rows = []
    for code, name in enumerate(names):
        mine = brand == code
        delivered = lead[mine][~np.isnan(lead[mine])]
        in_hands = door[mine & collected]
        rows.append(
            {
                "brand": name,
                "parcels": int(mine.sum()),
                "delivered": int(delivered.size),
                "lead_time_mean_h": float(delivered.mean()) if delivered.size else np.nan,
                "lead_time_p90_h": float(np.quantile(delivered, 0.9)) if delivered.size else np.nan,
                "door_time_mean_h": float(in_hands.mean()) if in_hands.size else np.nan,
                "vehicle_km": float(split[code] @ km),
                "cost_cny": float(split[code] @ (transport + facilities + bus_fee))
                + float(per_parcel[code]),
            }
        )
    return pd.DataFrame(rows)
