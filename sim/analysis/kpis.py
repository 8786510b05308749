"""Key performance indicators of one replication, computed from the ledger and trip log.

The measured cohort is every parcel for the villages that reached the hub during the
measured days (after the warm-up, before the end of the horizon); the county town's
parcels of those days have KPIs of their own (``urban_*``). The run goes on for
``horizon.drain_days`` without new parcels so that cohort can finish; whatever of
it is still in the network at the very end is counted in ``parcels_in_system``
(a perishable parcel that spoiled on the way is in ``inbound_spoiled_parcels`` instead).
Lead-time statistics are over the cohort's delivered parcels; the on-time shares
count undelivered parcels as late. Vehicle figures cover trips that departed
during the measured days; a trip still under way when the run stopped counts for
the work done by then (hours to the end of the run, km driven so far), never zero.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.analysis import kpi_table
from sim.analysis.rows import chunked_mask, gather_hours
from sim.engine.ledger import (
    COLLECTED_IN_TOWN,
    FELL_BACK,
    LEFT_BEHIND,
    OUTBOUND,
    OVER_STORAGE,
    RODE_BUS,
)
from sim.network.geography import HUB, STATION
from sim.scenario.schema import BUS

if TYPE_CHECKING:  # the engine (and simpy) is not needed to name the KPIs
    from sim.engine.model import Run
    from sim.network.geography import Geography
    from sim.network.services import Plan
    from sim.scenario.schema import Costs, Scenario

KPI_NAMES = kpi_table.KPI_NAMES
"""Every KPI name, in column order (owned by :mod:`sim.analysis.kpi_table`)."""


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


_MASKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Per ledger, the masks below once made: the KPIs and every detail table ask for them."""


def _shared_mask(run: Run, key: tuple, make: Callable[[], np.ndarray]) -> np.ndarray:
    """``make()``, made once per run's ledger and *key*, and read-only: its callers share it.

    A finished run's ledger does not change; a mask depends on it and on what *key* holds.
    """
    masks = _MASKS.setdefault(run.ledger, {})
    if key not in masks:
        mask = make()
        mask.flags.writeable = False
        masks[key] = mask
    return masks[key]


def arrived_in_measured_days(run: Run) -> np.ndarray:
    """Which parcels reached the hub in the measured days, villages' and town's alike.

    The measured days are after the warm-up and before the end of the horizon
    (``horizon.warmup_days`` to ``horizon.days``); the drain days are not among them.
    Outbound parcels (farm products) never arrive at the hub in this sense (their
    ``t_hub`` is NaN; :func:`outbound_cohort` counts them), so every inbound KPI
    counts inbound parcels only.

    Returns
    -------
    numpy.ndarray
        A read-only boolean mask over the run's ledger rows.
    """
    start, end = run.scenario.horizon.warmup_days * 24.0, run.scenario.horizon.days * 24.0

    def make() -> np.ndarray:
        t_hub = run.ledger.column("t_hub")
        return (t_hub >= start) & (t_hub < end)

    return _shared_mask(run, ("arrived", start, end), make)


def for_town(run: Run) -> np.ndarray:
    """Which parcels are for the county town (their destination is the hub itself; read-only)."""
    return _shared_mask(run, ("town",), lambda: run.ledger.column("destination") == HUB)


def cohort(run: Run) -> np.ndarray:
    """Which parcels are measured: the villages' parcels that reached the hub in the measured days.

    The days are those of :func:`arrived_in_measured_days`.

    Every KPI and detail table counts this cohort, except the urban KPIs
    (``urban_parcels``, ``urban_sorted_mean_h``), which count the county town's
    parcels of the same days.

    Returns
    -------
    numpy.ndarray
        A read-only boolean mask over the run's ledger rows.
    """
    horizon = run.scenario.horizon
    return _shared_mask(
        run,
        ("cohort", horizon.warmup_days, horizon.days),
        lambda: arrived_in_measured_days(run) & ~for_town(run),
    )


def delivered_cohort(run: Run) -> np.ndarray:
    """The :func:`cohort`'s parcels that reached their village point (read-only mask)."""
    horizon = run.scenario.horizon
    return _shared_mask(
        run,
        ("delivered", horizon.warmup_days, horizon.days),
        lambda: cohort(run) & ~np.isnan(run.ledger.column("t_at_point")),
    )


def shift_hours(scenario: Scenario) -> float:
    """Hours the sorting line is staffed each day: the sum of its shifts."""
    return sum(s.end - s.start for s in scenario.hub.sorting.shifts)


def vehicle_days(trips: pd.DataFrame) -> pd.Series:
    """Vehicle-days of each service: per day it runs, the most of its vehicles out at once.

    A departure sends only the vehicles its load needs (``vehicles`` per trip), so a
    quiet day pays for fewer vehicles than a busy one; a vehicle back before its
    route's next departure that day runs that one too. A trip counts on the day it
    departs.
    """
    days = {}
    for service, group in trips.groupby("service", sort=True):
        depart, end = group["depart_h"].to_numpy(), group["end_h"].to_numpy()
        vehicles = group["vehicles"].to_numpy()
        day = (depart // 24).astype(np.int64)
        # on_road[i, j]: trip j, of the same day, is under way when trip i leaves.
        on_road = (depart[None, :] <= depart[:, None]) & (depart[:, None] < end[None, :])
        on_road &= day[None, :] == day[:, None]
        np.fill_diagonal(on_road, True)
        out_at_once = on_road @ vehicles
        most = np.zeros(day.max() - day.min() + 1, dtype=np.int64)
        np.maximum.at(most, day - day.min(), out_at_once)
        days[service] = int(most.sum())
    return pd.Series(days, dtype=np.int64)


def compute_kpis(run: Run) -> dict:
    """All KPIs of one replication (see ``KPI_NAMES``), from the engine's run.

    Reads the run's scenario, its parcel ledger, trip table, service table (one row
    per service, with its cost rates), ``sorting_busy_h`` and ``end_h``.
    ``sorting_utilization`` is the busy hours over the measured days divided by
    :func:`shift_hours` × measured days, so it is in [0, 1].

    Parameters
    ----------
    run : sim.engine.model.Run
        One replication, as the engine produced it.

    Returns
    -------
    dict
        KPI name -> value, in ``KPI_NAMES`` order.
    """
    parcels = _parcel_kpis(run)
    vehicles = _vehicle_kpis(run)
    every = {**parcels, **vehicles, **_cost_kpis(run, parcels, vehicles), **_hub_kpis(run)}
    every |= _outbound_kpis(run)
    return {name: every[name] for name in KPI_NAMES}


def _parcel_kpis(run: Run) -> dict:
    """What happened to the measured parcels: counts, lead and door times, flags."""
    ledger, end_h = run.ledger, run.end_h
    picked = ledger.column("t_picked_up")
    measured_parcels = cohort(run)
    delivered = delivered_cohort(run)
    picked_up = delivered & (picked <= end_h)
    # Only the measured parcels' hours, a block of rows at a time: no float64
    # temporaries over the whole ledger (the same values, in the same order).
    lead = gather_hours(ledger, delivered, "t_at_point")
    generated = int(np.count_nonzero(measured_parcels))
    n_delivered = int(np.count_nonzero(delivered))
    # Delivered and spoiled exclude each other: a spoiled parcel never reaches its point.
    n_spoiled = int(np.count_nonzero(measured_parcels & (ledger.column("t_spoiled") <= end_h)))
    lead_mean = _mean(lead)
    on_time = {hours: (lead <= hours).sum() for hours in (24.0, 48.0)}
    # Last use of lead: the quantiles may reorder it in place instead of copying it.
    p50, p90, p95 = (
        np.quantile(lead, [0.5, 0.9, 0.95], overwrite_input=True) if lead.size else [np.nan] * 3
    )
    del lead
    door = gather_hours(ledger, picked_up, "t_picked_up")  # now, not beside lead
    flags = ledger.column("flags")

    def cohort_with(flag: int) -> int:
        return int(np.count_nonzero(measured_parcels & ((flags & flag) != 0)))

    return {
        "parcels_generated": generated,
        "parcels_delivered": n_delivered,
        "parcels_picked_up": int(np.count_nonzero(picked_up)),
        "parcels_in_system": generated - n_delivered - n_spoiled,
        "inbound_spoiled_parcels": n_spoiled,
        "lead_time_mean_h": lead_mean,
        "lead_time_p50_h": float(p50),
        "lead_time_p90_h": float(p90),
        "lead_time_p95_h": float(p95),
        "door_time_mean_h": _mean(door),
        "on_time_24h_share": float(on_time[24.0] / generated) if generated else np.nan,
        "on_time_48h_share": float(on_time[48.0] / generated) if generated else np.nan,
        "point_overflow_parcels": cohort_with(OVER_STORAGE),
        "bus_parcels_share": cohort_with(RODE_BUS) / generated if generated else np.nan,
        "bus_overflow_parcels": cohort_with(LEFT_BEHIND),
        "bus_fallback_parcels": cohort_with(FELL_BACK),
        "villager_trip_km": villager_trip_km(run),
    }


def measured_trips(run: Run) -> pd.DataFrame:
    """The trip log's trips that departed in the measured days (what the vehicle KPIs count)."""
    trips, horizon = run.trips, run.scenario.horizon
    depart = trips["depart_h"]
    return trips[(depart >= horizon.warmup_days * 24.0) & (depart < horizon.days * 24.0)]


def _vehicle_kpis(run: Run) -> dict:
    """What the trips of the measured days drove, carried, cost and emitted."""
    services, measured = run.services, measured_trips(run)
    service = measured["service"].to_numpy()

    def rate(column: str) -> np.ndarray:
        """A service parameter, per measured trip."""
        return services[column].to_numpy()[service]

    is_bus = (rate("fleet") == BUS).astype(bool)
    fleet, bus = measured[~is_bus], measured[is_bus]
    bus_share = bus_parcel_share(bus, services)
    hours = (measured["end_h"] - measured["depart_h"] - measured["late_h"]).to_numpy()
    km = measured["km"].to_numpy()
    vans = measured[rate("counts_as_van").astype(bool)]
    return {
        "vehicle_km": float(km[~is_bus].sum() + (km[is_bus] * bus_share).sum()),
        "vehicle_hours": float(
            (hours[~is_bus] * fleet["vehicles"].to_numpy()).sum()
            + (hours[is_bus] * bus_share).sum()
        ),
        "cost_transport_cny": fleet_costs(fleet, services),
        "co2_kg": float(
            (km[~is_bus] * rate("co2_per_km_kg")[~is_bus]).sum()
            + (km[is_bus] * bus_share * rate("co2_per_km_kg")[is_bus]).sum()
        ),
        "van_load_factor_mean": _mean((vans["max_load"] / vans["capacity"]).to_numpy()),
        "bus_load_factor_mean": _mean(
            (bus["max_load"] / bus["capacity"]).to_numpy()[bus["capacity"].to_numpy() > 0]
        ),
        "bus_fee_cny": bus_fees(bus, services),
        "bus_delay_added_min_mean": _mean(bus["parcel_dwell_h"].to_numpy() * 60.0),
    }


def _cost_kpis(run: Run, parcels: dict, vehicles: dict) -> dict:
    """The cost parts and their total: transport (trips), facilities, fees less subsidies."""
    scenario = run.scenario
    measured_days = scenario.horizon.days - scenario.horizon.warmup_days
    generated = parcels["parcels_generated"]
    facilities = float(network_facility_costs(run, measured_days).sum())
    measured = cohort(run)
    at_points, through_hub = (int(np.count_nonzero(measured & m)) for m in public_fee_parcels(run))
    fees = (
        vehicles["bus_fee_cny"]
        + scenario.costs.point_fee_per_parcel_cny * at_points
        - scenario.costs.subsidy_per_parcel_cny * through_hub
    )
    total = vehicles["cost_transport_cny"] + facilities + fees
    return {
        "cost_facilities_cny": facilities,
        "cost_fees_cny": fees,
        "cost_total_cny": total,
        "cost_per_parcel_cny": total / generated if generated else float("nan"),
    }


def public_fee_parcels(run: Run) -> tuple[np.ndarray, np.ndarray]:
    """Which parcels the public network's per-parcel fee and subsidy count (masks over rows).

    Those delivered to a village point by it (the point's fee; a parcel collected at a
    brand's township outlet pays none) and those that reached the public hub (the
    subsidy; a brand's own depot gets none). Without brands: the delivered parcels
    and every parcel.
    """
    ledger = run.ledger
    public = [number for number, spec in enumerate(run.networks) if spec.is_public]
    # A block of rows at a time: no temporaries over the whole ledger.
    network = ledger.column("network")
    through_hub = chunked_mask(ledger.n, lambda rows: np.isin(network[rows], public))

    def delivered_by_public(rows: slice) -> np.ndarray:
        in_town = (ledger.column("flags")[rows] & COLLECTED_IN_TOWN) != 0
        return through_hub[rows] & ~np.isnan(ledger.column("t_at_point")[rows]) & ~in_town

    return chunked_mask(ledger.n, delivered_by_public), through_hub


def _hub_kpis(run: Run) -> dict:
    """The sorting line's utilisation and the county town's parcels, which only pass the hub."""
    scenario, ledger = run.scenario, run.ledger
    horizon = scenario.horizon
    measured_days = horizon.days - horizon.warmup_days
    busy = float(np.sum(run.sorting_busy_h[horizon.warmup_days : horizon.days]))
    urban = arrived_in_measured_days(run) & for_town(run)
    was_sorted = chunked_mask(ledger.n, lambda rows: ~np.isnan(ledger.column("t_sorted")[rows]))
    return {
        "sorting_utilization": busy / (shift_hours(scenario) * measured_days),
        "urban_parcels": int(np.count_nonzero(urban)),
        "urban_sorted_mean_h": _mean(gather_hours(ledger, urban & was_sorted, "t_sorted")),
    }


def fleet_costs(trips: pd.DataFrame, services: pd.DataFrame) -> float:
    """Vans and trucks: vehicle-km times cost per km, plus vehicle-days times day rate.

    Only the vehicles a day's departures actually sent are paid for that day
    (:func:`vehicle_days`).
    """
    if trips.empty:
        return 0.0
    rates = services.loc[trips["service"]]
    per_km = float((trips["km"].to_numpy() * rates["cost_per_km_cny"].to_numpy()).sum())
    used = vehicle_days(trips)
    day_rate = services.loc[used.index, "cost_per_vehicle_day_cny"]
    return per_km + float((used * day_rate).sum())


def stations_in_use(plan: Plan) -> int:
    """Township stations where parcels change vehicles: the end of some path's leg."""
    geo = plan.geography
    used = set()
    for prefix in ("leg", "fallback"):
        service, alight = getattr(plan, f"{prefix}_service"), getattr(plan, f"{prefix}_alight")
        has = service >= 0
        for s, a in set(zip(service[has].tolist(), alight[has].tolist(), strict=True)):
            place = plan.services[s].stops[a]
            if geo.level[place] == STATION:
                used.add(place)
    return len(used)


def facility_costs(costs: Costs, plan: Plan, days: int) -> float:
    """The places' operating costs over *days*, less the daily subsidy.

    The hub, every station in use (:func:`stations_in_use`) and every village point.
    """
    per_day = (
        costs.hub_cost_per_day_cny
        + costs.station_cost_per_day_cny * stations_in_use(plan)
        + costs.point_cost_per_day_cny * len(plan.geography.points)
        - costs.subsidy_per_day_cny
    )
    return per_day * days


def township_trip_km(geo: Geography) -> np.ndarray:
    """Per place, the road km of a villager's round trip to its township (0 for others).

    One trip per parcel collected in town: there and back by road, village to its
    township station (an assumption: a villager who collects several parcels on one
    market day would travel once for them all, so this is an upper bound).
    """
    km = np.zeros(len(geo.ids))
    for village in geo.points:
        township = int(village)
        while township != HUB and geo.level[township] != STATION:
            township = int(geo.parent[township])
        km[village] = 2.0 * float(geo.road_km(int(village), township)[0, 0])
    return km


def villager_trip_km(run: Run) -> float:
    """Km villagers travel to collect the measured parcels whose path ended in town."""
    ledger = run.ledger
    collected = cohort(run) & ((ledger.column("flags") & COLLECTED_IN_TOWN) != 0)
    if not collected.any():
        return 0.0
    km = township_trip_km(run.plan.geography)
    return float(km[ledger.column("destination")[collected]].sum())


def network_facility_costs(run: Run, days: int) -> np.ndarray:
    """Facility costs of each network over *days*: the scenario's costs for the public one.

    An own-network brand pays its depot and each of its outlets (a township station
    its legs stop at: every township with ``outlets: all``, else those listed).
    """
    costs = np.zeros(len(run.networks))
    for number, (spec, plan) in enumerate(zip(run.networks, run.network_plans, strict=True)):
        if spec.is_public:
            costs[number] = facility_costs(run.scenario.costs, plan, days)
            continue
        brand = run.scenario.brands.root[spec.name]
        stops_in_town = any(leg.to == "station" for leg in brand.legs or ())
        outlets = len(plan.geography.stations) if brand.outlets == "all" else len(brand.outlets)
        per_day = (
            brand.depot_cost_per_day_cny + stops_in_town * outlets * brand.outlet_cost_per_day_cny
        )
        costs[number] = per_day * days
    return costs


def bus_parcel_share(trips: pd.DataFrame, services: pd.DataFrame) -> np.ndarray:
    """Share of each bus trip attributed to parcels.

    A bus runs for its passengers; parcels are charged the part of it they use:
    ``full_cargo_share`` when the cargo space is full over the whole trip, in
    proportion to the parcel-km carried otherwise (parcel-km / (cargo capacity × the
    trip's km); a whole trip's km is its line's, a trip cut off by the end of the
    run counts the km it drove).
    """
    rates = services.loc[trips["service"]]
    trip_km = trips["km"].to_numpy() / trips["vehicles"].to_numpy()
    space = rates["nominal_capacity"].to_numpy() * trip_km
    used = np.divide(
        trips["parcel_km"].to_numpy(), space, out=np.zeros(len(trips)), where=space > 0
    )
    return rates["full_cargo_share"].to_numpy() * used


def bus_fees(trips: pd.DataFrame, services: pd.DataFrame) -> float:
    """What the parcel network pays the bus operators: per parcel and per line-day."""
    if trips.empty:
        return 0.0
    rates = services.loc[trips["service"]]
    per_parcel = float((trips["parcels"].to_numpy() * rates["fee_per_parcel_cny"].to_numpy()).sum())
    line_days = pd.DataFrame(
        {
            "line": rates["line"].to_numpy(),
            "day": (trips["depart_h"] // 24).to_numpy(),
            "fee": rates["fee_per_line_day_cny"].to_numpy(),
        }
    ).drop_duplicates(["line", "day"])
    return per_parcel + float(line_days["fee"].sum())


def outbound_cohort(run: Run) -> np.ndarray:
    """Which parcels are the measured outbound ones: dropped off in the measured days."""
    horizon = run.scenario.horizon
    created = run.ledger.column("t_created")
    measured = (created >= horizon.warmup_days * 24.0) & (created < horizon.days * 24.0)
    return measured & (run.ledger.column("direction") == OUTBOUND)


def backhaul_share(run: Run) -> float:
    """Share of the outbound parcel-km carried by vehicles that ran anyway.

    A vehicle runs anyway when its departure would have sent it for the inbound
    parcels alone (or it is a bus, which runs for its passengers). Per trip, the
    outbound parcel-km count times the share of its vehicles that ran anyway
    (``inbound_vehicles / vehicles``, at most 1); over the trips departing in the
    measured days. NaN without outbound parcel-km.
    """
    if "outbound_parcel_km" not in run.trips:
        return float("nan")
    measured = measured_trips(run)
    parcel_km = measured["outbound_parcel_km"].to_numpy()
    anyway = np.minimum(measured["inbound_vehicles"] / measured["vehicles"], 1.0).to_numpy()
    total = parcel_km.sum()
    return float((parcel_km * anyway).sum() / total) if total > 0 else float("nan")


def _outbound_kpis(run: Run) -> dict:
    """The farm products' first kilometre: shipped, same day, spoiled, and backhaul."""
    ledger, end_h = run.ledger, run.end_h
    # The measured outbound parcels' rows only (none without a cold chain).
    rows = np.flatnonzero(outbound_cohort(run))
    created, shipped_at = ledger.column("t_created")[rows], ledger.column("t_shipped")[rows]
    shipped = shipped_at <= end_h
    spoiled = ledger.column("t_spoiled")[rows] <= end_h
    generated = int(rows.size)
    same_day = shipped & (shipped_at <= (np.floor(created / 24.0) + 1.0) * 24.0)
    n_shipped, n_spoiled = int(np.count_nonzero(shipped)), int(np.count_nonzero(spoiled))

    def share(count: int) -> float:
        return count / generated if generated else float("nan")

    return {
        "outbound_parcels_generated": generated,
        "outbound_parcels_shipped": n_shipped,
        "outbound_parcels_in_system": generated - n_shipped - n_spoiled,
        "outbound_lead_time_mean_h": _mean((shipped_at - created)[shipped]),
        "outbound_same_day_share": share(int(np.count_nonzero(same_day))),
        "backhaul_share": backhaul_share(run),
        "spoiled_parcels": n_spoiled,
        "spoilage_share": share(n_spoiled),
    }
