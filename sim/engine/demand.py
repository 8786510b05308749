"""Inbound demand: parcels for villagers (and the county town) arriving at the county hub.

Parcels per village-day are Poisson with mean

    population × ``parcels_per_capita_day`` × weekday factor × peak factor,

where the weekday factor is ``weekday_factors[(offset + day) % 7]`` (day 0 is a Monday, or
the weekday of ``horizon.start_date``: offset ``horizon.weekday_offset``) and the
peak factor is the product of the factors of the peaks covering the day (1 outside
peaks). Three quantities derive from this, each with its own function:

- :func:`base_daily_parcels` — the mean on a day whose factors are all 1 (the
  simulation multiplies it by :func:`day_factor` each day);
- :func:`mean_daily_parcels` — the mean over an ordinary week (weekday factors
  averaged, no peaks): what route planning sizes vehicles for;
- :func:`expected_parcels` — the expected total over the first days of a run
  (peaks included, urban parcels too): what the ledger is sized for.

Parcels for the county town (``urban_share`` of the hub's parcels) have the hub's own
place (index 0) as destination: Poisson with mean :func:`urban_daily_parcels` × the
day's factor, drawn from a stream of their own (``demand_urban``) so that the
villages' parcels are the same whatever the urban share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.streams import Streams
from sim.scenario.schema import Demand


def peak_factor(demand: Demand, day: int) -> float:
    """Product of the factors of the peaks covering a day (1 outside peaks)."""
    factor = 1.0
    for peak in demand.peaks:
        if peak.start_day <= day < peak.start_day + peak.days:
            factor *= peak.factor
    return factor


def day_factor(demand: Demand, day: int, weekday_offset: int = 0) -> float:
    """Demand multiplier of one day: weekday profile times any peak covering it.

    Day 0 is a Monday, or the weekday *weekday_offset* (``horizon.weekday_offset``:
    that of ``horizon.start_date``).
    """
    return demand.weekday_factors[(weekday_offset + day) % 7] * peak_factor(demand, day)


def base_daily_parcels(demand: Demand, population: np.ndarray) -> np.ndarray:
    """Mean parcels per place on a day whose weekday and peak factors are 1.

    Parameters
    ----------
    demand : the scenario's demand section
    population : residents per place (0 for places that are not village points)

    Returns
    -------
    population × ``parcels_per_capita_day``, parcels per day, one value per place
    """
    return np.asarray(population, dtype=float) * demand.parcels_per_capita_day


def urban_daily_parcels(demand: Demand, population: np.ndarray) -> float:
    """Mean parcels for the county town on a day whose weekday and peak factors are 1.

    ``urban_share`` *s* is the urban parcels' share of all the hub's parcels, so they
    are the village parcels times *s* / (1 − *s*). They follow the same weekday and
    peak factors as the villages' parcels.
    """
    share = demand.urban_share
    return float(base_daily_parcels(demand, population).sum()) * share / (1.0 - share)


def mean_daily_parcels(demand: Demand, population: np.ndarray) -> np.ndarray:
    """Mean parcels per place per day over an ordinary week (no peaks).

    :func:`base_daily_parcels` times the mean of the seven weekday factors: the
    demand of an average day, which route planning sizes its routes for.
    """
    return base_daily_parcels(demand, population) * float(np.mean(demand.weekday_factors))


def expected_parcels(
    demand: Demand, population: np.ndarray, days: int, weekday_offset: int = 0
) -> float:
    """Expected number of parcels reaching the hub on days ``0 … days - 1`` in total.

    The sum over those days of the whole county's base daily parcels (villages and
    county town, :func:`urban_daily_parcels`) times each day's factor (weekday and peaks).
    """
    base = float(base_daily_parcels(demand, population).sum())
    base += urban_daily_parcels(demand, population)
    return base * sum(day_factor(demand, day, weekday_offset) for day in range(days))


@dataclass(frozen=True)
class Arrivals:
    """One day's inbound parcels, in order of hub arrival.

    Attributes
    ----------
    destination : place index of each parcel
    t_hub : hub arrival time, hours (nondecreasing)
    perishable : perishable flag
    added_by_peak : True for the parcels a peak adds to the ordinary day's
    """

    destination: np.ndarray
    t_hub: np.ndarray
    perishable: np.ndarray
    added_by_peak: np.ndarray


def _draw(
    demand: Demand, mean: np.ndarray, day: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poisson counts per place with the given means, then each parcel's time and flag."""
    counts = rng.poisson(mean)
    destination = np.repeat(np.arange(mean.size, dtype=np.int32), counts)
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
    return destination, times, perishable


def inbound_day(
    demand: Demand,
    base_daily: np.ndarray,
    day: int,
    streams: Streams,
    urban_daily: float = 0.0,
    weekday_offset: int = 0,
) -> Arrivals:
    """Draw one day's inbound parcels.

    The ordinary day's parcels (mean ``base_daily`` × weekday factor) come from the
    day's ``demand`` stream; a peak adds Poisson parcels with mean ordinary × (peak
    factor − 1) from the day's ``demand_peak`` stream, and a factor below 1 keeps
    each ordinary parcel with that probability (Poisson thinning). Either way the
    day's mean is ``base_daily × day_factor(demand, day)``, and the same seed gives
    the same ordinary parcels with or without a peak (common random numbers: a peak
    only adds parcels). The county town's parcels (destination the hub, index 0; mean
    ``urban_daily`` × the day's factor) come from the day's ``demand_urban`` stream
    and are never ``added_by_peak``.

    Parameters
    ----------
    demand : the scenario's demand section
    base_daily : :func:`base_daily_parcels` (mean parcels per place on a day whose
        factors are 1; 0 for places that are not points)
    day : day number (hub arrival day)
    streams : the replication's random streams
    urban_daily : :func:`urban_daily_parcels`
    weekday_offset : weekday of day 0 (``horizon.weekday_offset``; 0: Monday)
    """
    ordinary_mean = base_daily * demand.weekday_factors[(weekday_offset + day) % 7]
    destination, times, perishable = _draw(demand, ordinary_mean, day, streams.day("demand", day))
    added = np.zeros(destination.size, dtype=bool)
    peak = peak_factor(demand, day)
    if peak > 1.0:
        more = _draw(demand, ordinary_mean * (peak - 1.0), day, streams.day("demand_peak", day))
        destination, times, perishable = (
            np.concatenate([mine, extra])
            for mine, extra in zip((destination, times, perishable), more, strict=True)
        )
        added = np.concatenate([added, np.ones(more[0].size, dtype=bool)])
    elif peak < 1.0:
        keep = streams.day("demand_peak", day).random(destination.size) < peak
        destination, times, perishable, added = (
            column[keep] for column in (destination, times, perishable, added)
        )
    if urban_daily > 0.0:
        town_mean = np.array([urban_daily * day_factor(demand, day, weekday_offset)])
        town = _draw(demand, town_mean, day, streams.day("demand_urban", day))
        destination, times, perishable = (
            np.concatenate([mine, extra])
            for mine, extra in zip((destination, times, perishable), town, strict=True)
        )
        added = np.concatenate([added, np.zeros(town[0].size, dtype=bool)])
    order = arrival_order(times)
    return Arrivals(destination[order], times[order], perishable[order], added[order])


def arrival_order(times: np.ndarray) -> np.ndarray:
    """The order of *times*, equal times in their given order: ``np.argsort(times, kind="stable")``.

    The same permutation, four times faster on a day's parcels. A stable radix sort on a
    16-bit bucket of each time (``(t - min) × 65535 / (max - min)``, truncated) leaves
    the times in order up to the order inside each bucket; numpy's stable sort for floats
    then sorts them by their exact values, and as a merge sort it takes the runs already
    in order at little cost. That second sort alone decides the order. Equal times
    share a bucket, where the radix sort kept them in their given order, and the second
    sort, being stable too, keeps it.
    """
    if times.size < 2:
        return np.arange(times.size)
    low, high = float(times.min()), float(times.max())
    spread = high - low
    scale = 65535.0 / spread if spread > 0.0 else 0.0
    if not (np.isfinite(spread) and np.isfinite(scale)):  # NaN, infinite or subnormal
        return np.argsort(times, kind="stable")
    bucket = ((times - low) * scale).astype(np.uint16)
    by_bucket = np.argsort(bucket, kind="stable")
    return by_bucket[np.argsort(times[by_bucket], kind="stable")]
