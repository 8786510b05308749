"""Inbound demand: parcels for villagers arriving at the county hub."""

from __future__ import annotations

import numpy as np

from sim.scenario.schema import Demand


def day_factor(demand: Demand, day: int) -> float:
    """Demand multiplier of one day: weekday profile times any peak covering it.

    Day 0 is a Monday.
    """
    factor = demand.weekday_factors[day % 7]
    for peak in demand.peaks:
        if peak.start_day <= day < peak.start_day + peak.days:
            factor *= peak.factor
    return factor


def inbound_day(
    demand: Demand, daily_mean: np.ndarray, day: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw one day's inbound parcels.

    Parameters
    ----------
    demand : the scenario's demand section
    daily_mean : mean parcels per day per place (0 for places that are not points)
    day : day number (hub arrival day)
    rng : the demand stream

    Returns
    -------
    destination, hub arrival time (hours, nondecreasing), perishable flag
    """
    counts = rng.poisson(daily_mean * day_factor(demand, day))
    destination = np.repeat(np.arange(daily_mean.size, dtype=np.int32), counts)
    n = destination.size
    if demand.arrivals == "poisson":
        # n uniform points on the day are a Poisson process given their number.
        times = day * 24.0 + rng.uniform(0.0, 24.0, n)
    else:
        shares = np.array([w.share for w in demand.waves])
        starts = np.array([w.time for w in demand.waves])
        wave = rng.choice(shares.size, size=n, p=shares)
        times = day * 24.0 + starts[wave] + rng.uniform(0.0, demand.wave_unload_min / 60.0, n)
    perishable = rng.random(n) < demand.perishable_share
    order = np.argsort(times, kind="stable")
    return destination[order], times[order], perishable[order]
