"""Small per-run tables behind the report's figures, computed from the ledger.

A results folder keeps these instead of the ledger itself (11 M rows a year):
the lead-time distribution as percentiles, per-village means, daily series, and
the network with its services (for the map). All follow the KPI conventions:
the cohort is every parcel that reached the hub in the measured days
(:func:`sim.analysis.kpis.cohort`). Each function takes the engine's run
(:class:`sim.engine.model.Run`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.kpis import cohort, shift_hours
from sim.network.geography import LEVEL_NAMES

PERCENTILES = np.linspace(0.0, 1.0, 101)
_DAILY_STAGES = ("t_hub", "t_left_hub", "t_station", "t_at_point")
_LEVEL = {code: name for name, code in LEVEL_NAMES.items()}


def lead_time_percentiles(run) -> pd.DataFrame:
    """Lead-time percentiles (0..100) of the delivered cohort: ``quantile, lead_time_h``."""
    ledger = run.ledger
    delivered = cohort(run) & ~np.isnan(ledger.column("t_at_point"))
    lead = (ledger.column("t_at_point") - ledger.column("t_hub"))[delivered]
    values = np.quantile(lead, PERCENTILES) if lead.size else np.full(PERCENTILES.size, np.nan)
    return pd.DataFrame({"quantile": PERCENTILES, "lead_time_h": values})


def village_lead_times(run) -> pd.DataFrame:
    """Per village point: position, distance from the hub, parcels and mean lead time."""
    ledger, geo = run.ledger, run.plan.geography
    measured = cohort(run)
    destination = ledger.column("destination")[measured]
    lead = (ledger.column("t_at_point") - ledger.column("t_hub"))[measured]
    delivered = ~np.isnan(lead)
    n_places = len(geo.ids)
    parcels = np.bincount(destination, minlength=n_places)
    n_delivered = np.bincount(destination[delivered], minlength=n_places)
    total = np.bincount(destination[delivered], weights=lead[delivered], minlength=n_places)
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


def day_reached(times: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Per stage time, the first day whose end it is not after (``ends.size`` if none).

    A time exactly at a day's end counts for that day; NaN (stage not reached) and
    times after the last day's end get ``ends.size``.
    """
    # Searching the few day ends for each time is linear in the parcels; sorting
    # the times (the obvious way to count them per day) is not, and was 5x slower.
    return np.searchsorted(ends, times, side="left")


def reached_by(day: np.ndarray, n_days: int) -> np.ndarray:
    """From :func:`day_reached`: how many reached the stage by the end of each day."""
    return np.cumsum(np.bincount(day, minlength=n_days + 1)[:n_days])


def daily_series(run) -> pd.DataFrame:
    """Per simulated day: arrivals, deliveries, end-of-day backlogs, sorting utilisation.

    Backlog at the hub: parcels that have arrived but not left it. Backlog at the
    stations: parcels that reached a station but not yet their village point.
    """
    ledger, scenario = run.ledger, run.scenario
    days = np.arange(int(round(run.end_h / 24.0)))
    ends = (days + 1) * 24.0
    day = {stage: day_reached(ledger.column(stage), ends) for stage in _DAILY_STAGES}
    hub_in, hub_out = reached_by(day["t_hub"], days.size), reached_by(day["t_left_hub"], days.size)
    via_station = ~np.isnan(ledger.column("t_station"))
    station_in = reached_by(day["t_station"], days.size)
    station_out = reached_by(day["t_at_point"][via_station], days.size)
    at_point = reached_by(day["t_at_point"], days.size)
    busy = np.zeros(days.size)
    busy[: run.sorting_busy_h.size] = run.sorting_busy_h[: days.size]
    return pd.DataFrame(
        {
            "day": days,
            "measured": (days >= scenario.horizon.warmup_days) & (days < scenario.horizon.days),
            "parcels_arrived": np.diff(hub_in, prepend=0),
            "parcels_delivered": np.diff(at_point, prepend=0),
            "backlog_hub_end": hub_in - hub_out,
            "backlog_stations_end": station_in - station_out,
            "sorting_utilization": busy / shift_hours(scenario),
        }
    )


def network_tables(plan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The places and the services (stop sequences by place id) of a plan."""
    geo = plan.geography
    places = pd.DataFrame(
        {
            "id": geo.ids,
            "level": [_LEVEL[int(level)] for level in geo.level],
            "parent": [geo.ids[p] if p >= 0 else "" for p in geo.parent],
            "x_km": geo.x_km,
            "y_km": geo.y_km,
            "population": geo.population,
        }
    )
    services = pd.DataFrame(
        {
            "service": [s.name for s in plan.services],
            "fleet": [s.fleet for s in plan.services],
            "stops": [" ".join(geo.ids[p] for p in s.stops) for s in plan.services],
            "departures": [len(s.departures_h) for s in plan.services],
            "vehicles": [s.vehicles for s in plan.services],
        }
    )
    return places, services
