"""Express brands measured: villagers' trips to town, facility costs per network, per-brand results.

A run with ``brands`` is composed of networks (the public one and one per
own-network brand, :mod:`sim.engine.brands`). What a network costs is attributed to
the brands whose parcels it carried, in proportion to their measured parcels on it:
an own network's trips and facilities go wholly to its brand, the public network's
are split by parcel share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.analysis.kpis import cohort, fleet_costs, network_facility_costs

if TYPE_CHECKING:
    from sim.engine.model import Run


def _network_vehicles(run: Run) -> tuple[np.ndarray, np.ndarray]:
    """Vehicle-km and transport cost of each network's trips of the measured days."""
    trips, horizon = run.trips, run.scenario.horizon
    start, stop = horizon.warmup_days * 24.0, horizon.days * 24.0
    measured = trips[(trips["depart_h"] >= start) & (trips["depart_h"] < stop)]
    km, cost = np.zeros(len(run.networks)), np.zeros(len(run.networks))
    for number, group in measured.groupby("network"):
        km[int(number)] = float(group["km"].sum())
        cost[int(number)] = fleet_costs(group, run.services)
    return km, cost


def brand_results(run: Run) -> pd.DataFrame:
    """Per brand: parcels, lead and door times, and the vehicle-km and cost attributed to it.

    Vehicle-km here are the trips' km (buses' km in full, not the parcels' share of
    them). A network's km and costs (transport and facilities) are split among the
    brands by their share of its measured parcels.
    """
    ledger, end_h = run.ledger, run.end_h
    measured = cohort(run)
    brand = ledger.column("brand")[measured].astype(np.int64)
    network = ledger.column("network")[measured].astype(np.int64)
    lead = (ledger.column("t_at_point") - ledger.column("t_hub"))[measured]
    door = (ledger.column("t_picked_up") - ledger.column("t_hub"))[measured]
    names = list(run.scenario.brands.root) or ["all"]
    n_brands, n_networks = len(names), len(run.networks)
    horizon = run.scenario.horizon
    km, transport = _network_vehicles(run)
    facilities = network_facility_costs(run, horizon.days - horizon.warmup_days)
    on = np.zeros((n_brands, n_networks))
    np.add.at(on, (brand, network), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        split = np.nan_to_num(on / on.sum(axis=0, keepdims=True))
    rows = []
    for code, name in enumerate(names):
        mine = brand == code
        delivered = lead[mine][~np.isnan(lead[mine])]
        collected = door[mine][door[mine] + ledger.column("t_hub")[measured][mine] <= end_h]
        rows.append(
            {
                "brand": name,
                "parcels": int(mine.sum()),
                "delivered": int(delivered.size),
                "lead_time_mean_h": float(delivered.mean()) if delivered.size else np.nan,
                "lead_time_p90_h": float(np.quantile(delivered, 0.9)) if delivered.size else np.nan,
                "door_time_mean_h": float(collected.mean()) if collected.size else np.nan,
                "vehicle_km": float(split[code] @ km),
                "cost_cny": float(split[code] @ (transport + facilities)),
            }
        )
    return pd.DataFrame(rows)
