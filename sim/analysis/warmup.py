"""Warm-up detection: the daily mean lead-time series and MSER-5.

A run starts with an empty network, so its first days can differ from the
steady state; ``horizon.warmup_days`` leaves them out of the KPIs. To choose it,
take the daily mean lead time (hub arrival to village point, by the day the
parcels reached the hub), averaged over replications, and apply MSER-5 (White,
1997; White, Cobb & Spratt, 2000): form batch means of 5 consecutive days, and
truncate the number of batches *d* that minimises

    MSER(d) = sum_{j>=d} (Y_j - mean(Y_d..))**2 / (k - d)**2

over the k batch means Y_j, with d restricted to the first half of the series
(a late minimum only means the series ran out).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_BATCHES = 4
"""Fewest complete batches MSER is applied to."""


def daily_mean_lead_time(parcels: pd.DataFrame, days: int) -> np.ndarray:
    """Mean lead time of the parcels that reached the hub on each day.

    Parameters
    ----------
    parcels : DataFrame
        The parcel ledger (``Run.parcels``): ``t_hub`` and ``t_at_point`` in hours.
    days : int
        Length of the series (day 0 to ``days - 1``).

    Returns
    -------
    ndarray
        Mean hours from hub to village point, over the day's delivered parcels;
        NaN for a day none of whose parcels was delivered.
    """
    t_hub = parcels["t_hub"].to_numpy()
    lead = parcels["t_at_point"].to_numpy() - t_hub
    day = np.floor(t_hub / 24.0)
    keep = np.isfinite(lead) & (day >= 0) & (day < days)
    day = day[keep].astype(np.int64)
    total = np.bincount(day, weights=lead[keep], minlength=days)
    count = np.bincount(day, minlength=days)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


@dataclass(frozen=True)
class MserResult:
    """Result of :func:`mser`.

    Attributes
    ----------
    truncation : int
        Observations to discard (``batches_truncated * batch``).
    batches_truncated : int
        The minimising *d*.
    batch : int
        Batch size (5 for MSER-5).
    batch_means : ndarray
        The k batch means (a trailing incomplete batch is left out).
    statistic : ndarray
        ``MSER(d)`` for each candidate *d* = 0 … k // 2.
    """

    truncation: int
    batches_truncated: int
    batch: int
    batch_means: np.ndarray
    statistic: np.ndarray


def mser(series: Sequence[float] | np.ndarray, batch: int = 5) -> MserResult:
    """MSER-*batch* truncation point of an output series.

    Parameters
    ----------
    series : array-like of float
        The series in time order (e.g. daily mean lead times); must be finite.
    batch : int, optional
        Batch size; 5 gives MSER-5.

    Returns
    -------
    MserResult
        The truncation point and the statistic it minimises.

    Raises
    ------
    ValueError
        If the series holds NaN or has fewer than :data:`MIN_BATCHES` complete batches.
    """
    values = np.asarray(series, dtype=float)
    if batch < 1:
        raise ValueError(f"batch size must be at least 1, got {batch}")
    if not np.isfinite(values).all():
        bad = np.flatnonzero(~np.isfinite(values)).tolist()
        raise ValueError(f"the series has no value at position(s) {bad}")
    k = values.size // batch
    if k < MIN_BATCHES:
        raise ValueError(
            f"MSER-{batch} needs at least {MIN_BATCHES} batches of {batch} "
            f"({MIN_BATCHES * batch} observations); the series has {values.size}"
        )
    means = values[: k * batch].reshape(k, batch).mean(axis=1)
    candidates = np.arange(k // 2 + 1)
    statistic = np.array(
        [np.sum((means[d:] - means[d:].mean()) ** 2) / (k - d) ** 2 for d in candidates]
    )
    best = int(np.argmin(statistic))  # the first minimum
    return MserResult(best * batch, best, batch, means, statistic)


def text_chart(
    series: Sequence[float] | np.ndarray, mark: int | None = None, width: int = 40
) -> str:
    """The series as a bar chart in text, one line per observation.

    Parameters
    ----------
    series : array-like of float
        Values (NaN shows as ``n/a``).
    mark : int, optional
        Draw a line before this position (e.g. the end of the suggested warm-up).
    width : int, optional
        Characters for the longest bar.

    Returns
    -------
    str
        Lines ``day  value  bar``.
    """
    values = np.asarray(series, dtype=float)
    top = np.nanmax(values) if np.isfinite(values).any() else 1.0
    top = top if top > 0 else 1.0
    lines = [f"{'day':>4} {'mean h':>8}"]
    for day, value in enumerate(values):
        if mark is not None and day == mark and mark > 0:
            lines.append(f"{'':>4} {'':>8} {'-' * width} end of suggested warm-up")
        if np.isfinite(value):
            bar = "#" * max(int(round(width * max(value, 0.0) / top)), 0)
            lines.append(f"{day:>4} {value:>8.2f} {bar}")
        else:
            lines.append(f"{day:>4} {'n/a':>8}")
    return "\n".join(lines)
