"""Return paths: how a village's farm products get back to the hub, as data.

Outbound parcels ride the vehicles that already run: every leg of a village's
inbound path is run backwards by a service that passes the leg's far end and later
its near end. A fleet route starts at its depot and comes back to it, so the route
that brings the village its parcels also takes its produce on to the depot (the
hub, or the station, where the trunk's route back to the hub takes over). A bus
line's outward direction never goes back, so its other direction (``…:back``) of
the same line carries the produce. The result is one table per village, like the
inbound path tables of :class:`sim.network.services.Plan`, so the engine moves
outbound parcels with no special cases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.network.services import Plan, Service
from sim.scenario.errors import ScenarioError


@dataclass(frozen=True)
class ReturnPaths:
    """Per village point *p* and outbound leg *k* (0: the leg from the point).

    ``service[p, k]`` runs it, boarding at stop position ``board[p, k]`` and alighting
    at ``alight[p, k]``; -1 for places that are not village points and for legs past
    the last (the one ending at the hub).
    """

    service: np.ndarray
    board: np.ndarray
    alight: np.ndarray


def _runs_back(service: Service, start: int, end: int) -> tuple[int, int] | None:
    """Positions (board, alight) at which *service* passes place *start* and later *end*."""
    stops = service.stops
    for board, place in enumerate(stops):
        if place == start and end in stops[board + 1 :]:
            return board, stops.index(end, board + 1)
    return None


def return_paths(plan: Plan) -> ReturnPaths:
    """Every village's path back to the hub: its inbound legs in reverse, run backwards.

    For inbound leg (service *s*, board *b*, alight *a*) the outbound leg needs a
    service passing ``stops[a]`` and later ``stops[b]``: *s* itself (a route returning
    to its depot), else another direction of the same bus line, else the leg's
    fallback carrier.

    Raises
    ------
    ScenarioError
        If no service runs some leg backwards (a bus line without ``departures_back``
        and no fleet on that leg).
    """
    geo, services = plan.geography, plan.services
    n_places, n_legs = plan.leg_service.shape
    tables = {name: np.full((n_places, n_legs), -1, dtype=np.int32) for name in ("s", "b", "a")}
    by_line: dict[str, list[int]] = {}
    for index, service in enumerate(services):
        if service.line:
            by_line.setdefault(service.line, []).append(index)
    for p in geo.points:
        legs = [k for k in range(n_legs) if plan.leg_service[p, k] >= 0]
        for out, k in enumerate(reversed(legs)):
            inbound = services[plan.leg_service[p, k]]
            start = inbound.stops[plan.leg_alight[p, k]]
            end = inbound.stops[plan.leg_board[p, k]]
            candidates = [int(plan.leg_service[p, k])]
            candidates += by_line.get(inbound.line, []) if inbound.line else []
            candidates.append(int(plan.fallback_service[p, k]))
            for index in candidates:
                found = _runs_back(services[index], start, end) if index >= 0 else None
                if found is not None:
                    tables["s"][p, out], (tables["b"][p, out], tables["a"][p, out]) = index, found
                    break
            else:
                raise ScenarioError(
                    None,
                    "outbound",
                    f"nothing carries {geo.ids[p]}'s products from {geo.ids[start]} back to "
                    f"{geo.ids[end]}: {inbound.name} does not return there; give its bus "
                    "line departures_back (or add a fleet to that leg)",
                )
    return ReturnPaths(tables["s"], tables["b"], tables["a"])
