"""Where the time goes: mean lead and door time split into the stages of a parcel's way.

From the ledger's stamps, per delivered parcel of the cohort (:func:`sim.analysis.kpis.cohort`):

==================  =========================================  ==========================
stage               what                                       from the ledger
==================  =========================================  ==========================
``hub_processing``  inspection and sorting at the county hub   ``t_sorted - t_hub``
``hub_waiting``     sorted, waiting at the hub for a vehicle   ``t_left_hub - t_sorted``
``to_station``      riding from the hub to the township        ``t_station - t_left_hub``
                    station
``station_waiting`` at the station: cross-docking and waiting  ``t_left_station -
                    for the township vehicle                   t_station``
``to_village``      riding to the village point                ``t_at_point -
                                                               t_left_station``
                                                               (direct: ``- t_left_hub``)
``point_waiting``   at the village point until the villager    ``t_picked_up - t_at_point``
                    collects it (door time only)
==================  =========================================  ==========================

The stages telescope, so for every parcel they add up exactly to its lead time
(``t_at_point - t_hub``; ``point_waiting`` is 0 there) or door time (``t_picked_up -
t_hub``), and their means over the same parcels add up to ``lead_time_mean_h`` and
``door_time_mean_h``. A parcel that never passed a station (direct, or a bus straight to
the village) has 0 for both station stages, never NaN. A bus leg counts as riding, its
stops included. A parcel that changed vehicles at more than one station: ``t_station``
and ``t_left_station`` are the last station's, so the earlier stations count as riding
to the station. Lead times are over delivered parcels, door times over those collected by
the end of the run, as the KPIs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.rows import row_chunks

STAGES = (
    "hub_processing",
    "hub_waiting",
    "to_station",
    "station_waiting",
    "to_village",
    "point_waiting",
)
"""The stages in the order a parcel goes through them."""

STAGE_COLUMNS = tuple(f"{stage}_h" for stage in STAGES)
"""Their columns in ``stages.csv`` (mean hours)."""

MEASURES = ("lead", "door")
"""``lead``: hub arrival to the village point; ``door``: to the villager's hands."""

COUNTY = ""
"""The ``village`` of the rows for every parcel of the county (``stages.csv`` leaves it empty)."""


# The stamps each stage runs between, in STAGES order (see _stamps).
_BOUNDS = (
    ("t_hub", "t_sorted"),
    ("t_sorted", "t_left_hub"),
    ("t_left_hub", "t_station"),
    ("t_station", "t_left_station"),
    ("t_left_station", "t_at_point"),
    ("t_at_point", "t_picked_up"),
)


def _stamps(ledger, rows: np.ndarray | slice = slice(None)) -> dict[str, np.ndarray]:
    """The stamps the stages run between, of parcels *rows* (default: all).

    Without a station both station stamps sit at the hub departure: 0 h in each
    station stage, and riding to the village starts when the parcel left the hub.
    """
    names = {name for bound in _BOUNDS for name in bound}
    stamps = {name: ledger.column(name)[rows] for name in names}
    via_station = ~np.isnan(stamps["t_station"])
    for name in ("t_station", "t_left_station"):
        stamps[name] = np.where(via_station, stamps[name], stamps["t_left_hub"])
    return stamps


def parcel_stages(ledger) -> np.ndarray:
    """Each parcel's time in each stage (hours), one column per :data:`STAGES`.

    NaN where the parcel has not got that far; the station stages are 0 for a parcel
    that never passed a station.
    """
    stamps = _stamps(ledger)
    return np.column_stack([stamps[end] - stamps[start] for start, end in _BOUNDS])


def stage_table(run) -> pd.DataFrame:
    """Mean time per stage, for the whole county and for each village point.

    Parameters
    ----------
    run : sim.engine.model.Run
        A finished run.

    Returns
    -------
    DataFrame
        Columns ``measure`` (``lead``/``door``), ``village`` (:data:`COUNTY` for the
        county, else the village point's id), ``parcels``, :data:`STAGE_COLUMNS` and
        ``total_h`` (their sum: the mean lead or door time). Rows: ``lead`` for the
        county, then for every village point; then the same for ``door``.
    """
    # Here, not at the top: the report reads stages.csv without loading the model.
    from sim.analysis.kpis import delivered_cohort

    ledger, geo = run.ledger, run.plan.geography
    delivered = delivered_cohort(run)
    collected = delivered & (ledger.column("t_picked_up") <= run.end_h)
    points = np.asarray(geo.points)
    sums = _stage_sums(ledger, {"lead": delivered, "door": collected}, points, len(geo.ids))
    frames = []
    for measure, (count, hours) in sums.items():
        if measure == "lead":
            hours[:, STAGES.index("point_waiting")] = 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            means = hours / count[:, None]
        frame = pd.DataFrame(means, columns=list(STAGE_COLUMNS))
        frame.insert(0, "parcels", count)
        frame.insert(0, "village", [COUNTY, *(geo.ids[p] for p in points)])
        frame.insert(0, "measure", measure)
        frame["total_h"] = frame[list(STAGE_COLUMNS)].sum(axis=1, min_count=len(STAGES))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _stage_sums(
    ledger, measures: dict[str, np.ndarray], points: np.ndarray, n_places: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per measure, parcels and hours summed per stage, of the rows in its mask, per group.

    Group 0 is the county, group 1 + k village point k. The first measure's mask holds
    every other's (door-time parcels are delivered ones), so the stamps are read once.
    Returns per measure the parcels per group and the hours, groups x :data:`STAGES`.
    """
    # Group of each place (-1: not a village point).
    index = np.full(n_places, -1)
    index[points] = np.arange(points.size) + 1
    groups = points.size + 1
    # Per measure: the parcels per group, and per stage one row of sums per group
    # (contiguous, for np.add.at) with the county's apart.
    count = {name: np.zeros(groups, dtype=np.intp) for name in measures}
    sums = {name: np.zeros((len(STAGES), groups)) for name in measures}
    county = {name: np.zeros(len(STAGES)) for name in measures}
    widest = next(iter(measures.values()))
    # A block of ledger rows at a time, measured parcels only: a year's ledger is large.
    # np.add.at adds in row order from 0, as np.bincount(..., weights=) does over all
    # the rows at once, so the sums are the same to the last bit.
    for block in row_chunks(ledger.n):
        rows = np.flatnonzero(widest[block]) + block.start
        stamps = _stamps(ledger, rows)
        village = index[ledger.column("destination")[rows]]
        hours = [stamps[end] - stamps[start] for start, end in _BOUNDS]
        for name, mask in measures.items():
            mine = slice(None) if mask is widest else mask[rows]
            group = village[mine]
            count[name] += np.bincount(group, minlength=groups)
            everyone = np.zeros(group.size, dtype=np.intp)
            for i, stage_hours in enumerate(hours):
                np.add.at(sums[name][i], group, stage_hours[mine])
                np.add.at(county[name][i : i + 1], everyone, stage_hours[mine])
    for name, mask in measures.items():
        count[name][0] = np.count_nonzero(mask)
        sums[name][:, 0] = county[name]
    return {name: (count[name], sums[name].T) for name in measures}


def mean_stages(stages: pd.DataFrame, measure: str = "lead") -> pd.DataFrame:
    """Mean over replications of each stage: the county and every village.

    Parameters
    ----------
    stages : DataFrame
        ``stages.csv`` (every replication, a ``replication`` column).
    measure : str
        ``"lead"`` or ``"door"``.

    Returns
    -------
    DataFrame
        Index ``village`` (:data:`COUNTY` first), columns :data:`STAGE_COLUMNS` and
        ``total_h``: means over the replications where the place had parcels.
    """
    rows = stages[stages["measure"] == measure].copy()
    rows["village"] = rows["village"].fillna(COUNTY).astype(str)
    columns = [*STAGE_COLUMNS, "total_h"]
    return rows.groupby("village", sort=False)[columns].mean()


def slowest_villages(stages: pd.DataFrame, count: int = 10) -> pd.DataFrame:
    """The ``count`` village points with the longest mean lead time, slowest first."""
    villages = mean_stages(stages, "lead").drop(index=COUNTY, errors="ignore")
    return villages.dropna(subset=["total_h"]).sort_values("total_h", ascending=False).head(count)


def costliest_stage(means: pd.Series) -> str:
    """The stage taking the most time on average (first in :data:`STAGES` on a tie)."""
    values = means[list(STAGE_COLUMNS)].to_numpy(dtype=float)
    return STAGES[int(np.nanargmax(values))]
