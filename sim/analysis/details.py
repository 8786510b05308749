"""Small per-run tables behind the report's figures, computed from the ledger.

A results folder keeps these instead of the ledger itself (11 M rows a year):
the lead-time distribution as percentiles, per-village means, daily series, the
KPIs of ordinary and peak days apart, and the network with its services (for the
map). All follow the KPI conventions: the cohort is every village parcel that
reached the hub in the measured days
(:func:`sim.analysis.kpis.cohort`). Each function takes the engine's run
(:class:`sim.engine.model.Run`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.kpis import (
    arrived_in_measured_days,
    cohort,
    delivered_cohort,
    for_town,
    shift_hours,
)
from sim.analysis.rows import chunked_mask, gather_hours, row_chunks
from sim.engine.demand import peak_factor
from sim.engine.ledger import OUTBOUND
from sim.network.geography import HUB, LEVEL_NAMES, POINT, STATION
from sim.scenario.schema import format_clock

PERCENTILES = np.linspace(0.0, 1.0, 101)
_LEVEL = {code: name for name, code in LEVEL_NAMES.items()}


def lead_time_percentiles(run) -> pd.DataFrame:
    """Lead-time percentiles (0..100) of the delivered cohort: ``quantile, lead_time_h``."""
    ledger = run.ledger
    delivered = delivered_cohort(run)
    lead = gather_hours(ledger, delivered, "t_at_point")
    # The leads' only use: the quantiles may reorder them in place instead of copying them.
    values = (
        np.quantile(lead, PERCENTILES, overwrite_input=True)
        if lead.size
        else np.full(PERCENTILES.size, np.nan)
    )
    return pd.DataFrame({"quantile": PERCENTILES, "lead_time_h": values})


def village_lead_times(run) -> pd.DataFrame:
    """Per village point: position, distance from the hub, parcels and mean lead time."""
    ledger, geo = run.ledger, run.plan.geography
    destination, delivered = ledger.column("destination"), delivered_cohort(run)
    n_places = len(geo.ids)
    parcels = np.bincount(destination[cohort(run)], minlength=n_places)
    reached = destination[delivered]
    n_delivered = np.bincount(reached, minlength=n_places)
    lead = gather_hours(ledger, delivered, "t_at_point")
    total = np.bincount(reached, weights=lead, minlength=n_places)
    points = geo.points
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n_delivered
    return pd.DataFrame(
        {
            "village": [geo.ids[p] for p in points],
            "township": [geo.ids[geo.parent[p]] for p in points],
            "x_km": geo.x_km[points],
            "y_km": geo.y_km[points],
            "road_km_from_hub": geo.road_km(0, points)[0],
            "parcels": parcels[points],
            "delivered": n_delivered[points],
            "lead_time_mean_h": mean[points],
        }
    )


def day_reached(times: np.ndarray, days: int) -> np.ndarray:
    """Per stage time, the day it falls in (0 .. *days* - 1; days are 24 h from time 0).

    A time exactly at a day's end is the next day's start and counts for the next day,
    as the KPI cohort counts a hub arrival at 24 d h in day d; NaN (stage not reached)
    and times at or after the last day's end get *days*. The same as searching the day
    ends ``24, 48, ...`` (``np.searchsorted(ends, times, side="right")``), three times
    faster. The floor of the quotient is exact: a time just below a day's end 24 d is at
    least one float spacing below it, which is 16 or more spacings of d, so the
    correctly rounded quotient stays at least 2/3 of a spacing below d (tested at and
    around every day end).
    """
    day = np.divide(times, 24.0)
    np.fmin(day, days, out=day)  # NaN (not reached) -> days
    np.maximum(day, 0.0, out=day)  # before day 0: day 0
    # Truncating is the floor here (nothing is negative), and the floor of the smaller
    # of day and a whole number of days is the smaller of their floors.
    return day.astype(np.intp)


def daily_series(run) -> pd.DataFrame:
    """Per simulated day: arrivals, deliveries, end-of-day backlogs, sorting utilisation.

    ``parcels_arrived`` counts the villages' parcels reaching the hub,
    ``urban_parcels_arrived`` the county town's. Backlog at the hub: parcels of
    either kind that have arrived but not left it (the town's leave once sorted).
    Backlog at the stations: parcels that reached a station but not yet their
    village point. An inbound perishable that spoiled leaves the backlog it was in.
    """
    scenario = run.scenario
    days = np.arange(int(round(run.end_h / 24.0)))
    # By the end of each day, how many parcels had reached each point (counted a block
    # of ledger rows at a time: no temporaries over the whole ledger).
    by_end = {
        name: np.cumsum(per_day[:-1])
        for name, per_day in _reached_per_day(run.ledger, days.size).items()
    }
    hub_in, town_in, at_point = by_end["hub_in"], by_end["town_in"], by_end["at_point"]
    busy = np.zeros(days.size)
    busy[: run.sorting_busy_h.size] = run.sorting_busy_h[: days.size]
    return pd.DataFrame(
        {
            "day": days,
            "measured": (days >= scenario.horizon.warmup_days) & (days < scenario.horizon.days),
            "parcels_arrived": np.diff(hub_in - town_in, prepend=0),
            "urban_parcels_arrived": np.diff(town_in, prepend=0),
            "parcels_delivered": np.diff(at_point, prepend=0),
            "backlog_hub_end": hub_in - by_end["hub_out"],
            "backlog_stations_end": by_end["station_in"] - by_end["station_out"],
            "sorting_utilization": busy / shift_hours(scenario),
        }
    )


def _reached_per_day(ledger, days: int) -> dict[str, np.ndarray]:
    """Parcels per :func:`day_reached` value (``days + 1`` of them), per point.

    Points: reaching the hub (``hub_in``; the county town's: ``town_in``), leaving it
    (``hub_out``), reaching a station and leaving it for the village point
    (``station_in``, ``station_out``) and reaching the point (``at_point``). A spoiled
    inbound parcel leaves where it is.
    """
    per_day = {
        name: np.zeros(days + 1, dtype=np.intp)
        for name in ("hub_in", "town_in", "hub_out", "station_in", "station_out", "at_point")
    }

    def count(name: str, times: np.ndarray) -> None:
        per_day[name] += np.bincount(day_reached(times, days), minlength=days + 1)

    for rows in row_chunks(ledger.n):
        t_hub, t_station = ledger.column("t_hub")[rows], ledger.column("t_station")[rows]
        t_at_point = ledger.column("t_at_point")[rows]
        t_left_hub, left_station = ledger.column("t_left_hub")[rows], t_at_point
        if ledger.cold_chain:  # else nothing spoils: t_spoiled is NaN throughout
            inbound = ledger.column("direction")[rows] != OUTBOUND
            # Spoiled inbound parcels leave where they are (fmin: the stamp that is not NaN).
            spoiled = np.where(inbound, ledger.column("t_spoiled")[rows], np.nan)
            t_left_hub, left_station = np.fmin(t_left_hub, spoiled), np.fmin(t_at_point, spoiled)
        count("hub_in", t_hub)
        count("town_in", t_hub[ledger.column("destination")[rows] == HUB])
        count("hub_out", t_left_hub)
        count("station_in", t_station)
        count("station_out", left_station[~np.isnan(t_station)])
        count("at_point", t_at_point)
    return per_day


DAY_KINDS = ("ordinary", "peak")
"""The rows of :func:`day_kind_kpis`, always both and in this order."""


def day_kind_kpis(run) -> pd.DataFrame:
    """Delivery KPIs of the measured ordinary days and peak days apart.

    A peak day is one covered by any of ``demand.peaks`` (whatever its factor); the
    others are ordinary. A parcel belongs to the day it reached the hub. Per kind:
    ``days``, ``parcels`` (cohort), ``delivered``, ``lead_time_mean_h``,
    ``lead_time_p90_h``, ``on_time_24h_share`` (undelivered count as late),
    ``door_time_mean_h`` and ``urban_parcels``, with the KPIs' conventions; a kind
    with no days or parcels has NaN times. The two rows' parcels add up to the KPI
    ``parcels_generated``.
    """
    ledger, scenario = run.ledger, run.scenario
    horizon, demand = scenario.horizon, scenario.demand
    days = np.arange(horizon.warmup_days, horizon.days)
    peak_days = days[[peak_factor(demand, int(d)) != 1.0 for d in days]]
    # Masks built a block of rows at a time, and only the measured parcels' hours
    # gathered (gather_hours): no float64 temporaries over the whole ledger.
    on_peak = chunked_mask(
        ledger.n, lambda rows: np.isin(np.floor(ledger.column("t_hub")[rows] / 24.0), peak_days)
    )
    town = arrived_in_measured_days(run) & for_town(run)
    urban = {"ordinary": int((town & ~on_peak).sum()), "peak": int((town & on_peak).sum())}
    del town
    picked = ledger.column("t_picked_up")
    by_end = chunked_mask(ledger.n, lambda rows: picked[rows] <= run.end_h)
    rows = []
    for kind, mine in (("ordinary", ~on_peak), ("peak", on_peak)):
        n = int(np.count_nonzero(cohort(run) & mine))
        delivered = delivered_cohort(run) & mine
        leads = gather_hours(ledger, delivered, "t_at_point")
        mean = float(leads.mean()) if leads.size else np.nan
        on_time = float((leads <= 24.0).sum() / n) if n else np.nan
        # Last use of leads: the quantile may reorder it in place instead of copying it.
        p90 = float(np.quantile(leads, 0.9, overwrite_input=True)) if leads.size else np.nan
        del leads
        door = gather_hours(ledger, delivered & by_end, "t_picked_up")
        rows.append(
            {
                "kind": kind,
                "days": int(peak_days.size if kind == "peak" else days.size - peak_days.size),
                "parcels": n,
                "delivered": int(delivered.sum()),
                "lead_time_mean_h": mean,
                "lead_time_p90_h": p90,
                "on_time_24h_share": on_time,
                "door_time_mean_h": float(door.mean()) if door.size else np.nan,
                "urban_parcels": urban[kind],
            }
        )
    return pd.DataFrame(rows)


def _township(geo, place: int) -> str:
    """The township station a place belongs to (a station its own); empty for the hub."""
    level = int(geo.level[place])
    if level == STATION:
        return geo.ids[place]
    return geo.ids[geo.parent[place]] if level == POINT else ""


def outbound_daily(run) -> pd.DataFrame:
    """Per day of drop-off and product: farm products dropped off, shipped, spoiled.

    Columns ``day, measured, product, dropped, shipped_same_day, shipped, spoiled``;
    shipped and spoiled count those of the day's parcels that were by the end of the
    run (``shipped_same_day``: on a line-haul of the day they were dropped off, as
    the KPI ``outbound_same_day_share``). One row per day of the horizon and product.
    """
    ledger, scenario = run.ledger, run.scenario
    products = [p.name for p in scenario.outbound.products]
    days = np.arange(scenario.horizon.days)
    outbound = ledger.column("direction") == OUTBOUND
    created = ledger.column("t_created")[outbound]
    day = np.floor(created / 24.0).astype(np.int64)
    product = ledger.column("product")[outbound].astype(np.int64)
    shipped_at = ledger.column("t_shipped")[outbound]
    shipped = shipped_at <= run.end_h
    same_day = shipped & (shipped_at <= (day + 1) * 24.0)
    spoiled = ledger.column("t_spoiled")[outbound] <= run.end_h
    cell = day * len(products) + product
    size = days.size * len(products)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(cell[mask], minlength=size)[:size]

    every = np.ones(cell.size, dtype=bool)
    horizon = scenario.horizon
    return pd.DataFrame(
        {
            "day": np.repeat(days, len(products)),
            "measured": np.repeat(
                (days >= horizon.warmup_days) & (days < horizon.days), len(products)
            ),
            "product": np.tile(products, days.size),
            "dropped": count(every),
            "shipped_same_day": count(same_day),
            "shipped": count(shipped),
            "spoiled": count(spoiled),
        }
    )


def network_tables(plan, networks=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The places and the services (stop sequences by place id) of a plan.

    ``index`` is the number the engine uses: a ledger's ``destination`` and ``origin``
    are a place's index, a trip log's ``service`` a service's. ``lon``, ``lat`` are
    empty unless the places CSV gave them. *networks* (a branded scenario's: each
    network's name and plan, in the run's order, *plan* the first's) lists every
    network's services, numbered across the networks as the trip log numbers them
    (:func:`sim.engine.model.composed_tables`), with a ``network`` column naming the
    network ("public" or the brand's name). The places are the same in every network.
    """
    geo = plan.geography
    no_degrees = np.full(len(geo.ids), np.nan)
    places = pd.DataFrame(
        {
            "index": np.arange(len(geo.ids)),
            "id": geo.ids,
            "level": [_LEVEL[int(level)] for level in geo.level],
            "parent": [geo.ids[p] if p >= 0 else "" for p in geo.parent],
            "x_km": geo.x_km,
            "y_km": geo.y_km,
            "population": geo.population,
            "township": [_township(geo, p) for p in range(len(geo.ids))],
            "lon": geo.lon if geo.lon is not None else no_degrees,
            "lat": geo.lat if geo.lat is not None else no_degrees,
        }
    )
    if networks is None:
        return places, _service_rows(plan, 0)
    frames, first = [], 0
    for name, net_plan in networks:
        frame = _service_rows(net_plan, first)
        frame.insert(1, "network", name)
        frames.append(frame)
        first += len(frame)
    return places, pd.concat(frames, ignore_index=True)


def _service_rows(plan, first: int) -> pd.DataFrame:
    """The services of one plan, numbered from *first*."""
    geo = plan.geography
    return pd.DataFrame(
        {
            "index": np.arange(first, first + len(plan.services)),
            "service": [s.name for s in plan.services],
            "fleet": [s.fleet for s in plan.services],
            "stops": [" ".join(geo.ids[p] for p in s.stops) for s in plan.services],
            "departures": [len(s.departures_h) for s in plan.services],
            # Each depot's own times: connecting timetables differ from depot to depot.
            "departure_times": [
                " ".join(format_clock(t) for t in s.departures_h) for s in plan.services
            ],
            "vehicles": [s.vehicles for s in plan.services],
        }
    )
