"""Express brands: which network carries each parcel, and each network as a scenario.

Before the reform every brand ran its own depot, vehicles and township outlets;
the county hub's "five unifications" put them on one public network. A scenario's
``brands`` say which brands are on which. Networks share nothing (no depot, vehicle
or queue), so a run is composed of independent networks: the public one (the
scenario's hub, fleets and delivery model) and one per own-network brand, each
planned and run as a scenario of its own (:func:`network_scenarios`). The parcels
are drawn once, exactly as without brands, and each gets a brand from its own
random stream (:func:`assign_brands`), so two scenarios that differ only in which
brands joined see the same parcels (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.network.geography import HUB, Geography, build_geography
from sim.network.services import station_indices, township_places
from sim.scenario.schema import Brand, Buses, Delivery, Points, Scenario

PUBLIC = "public"
"""The name of the public network (the county hub and the delivery model)."""


@dataclass(frozen=True)
class NetworkSpec:
    """One network of a run.

    ``scenario`` is the network as a scenario of its own: its hub (a brand's depot),
    legs, points and demand scaled to the parcels it is planned for. ``brand`` is the
    own-network brand's index in the scenario's brands (``None`` for the public
    network); ``part`` keys its random streams (empty for the public network, so that
    a scenario without brands draws exactly what it always did). ``townships``: the
    station ids of the townships it is planned for (a brand's outlets), ``None`` for all.
    """

    name: str
    scenario: Scenario
    brand: int | None
    part: tuple[int, ...]
    townships: tuple[str, ...] | None = None

    @property
    def is_public(self) -> bool:
        """Whether it is the public network."""
        return self.brand is None


def outlet_townships(name: str, brand: Brand, geo: Geography) -> np.ndarray:
    """A mask over places: the villages (and towns) a brand's own outlets serve.

    The county town's parcels (destination the hub) stay with the brand's depot.
    """
    if brand.outlets == "all":
        outlets = [geo.ids[s] for s in geo.stations]
    else:
        station_indices(geo, brand.outlets, f"brands.{name}.outlets", "; give station ids or all")
        outlets = brand.outlets
    serves = township_places(geo, outlets)
    serves[HUB] = True
    return serves


def _population_share(geo: Geography, mask: np.ndarray) -> float:
    villages = geo.points
    total = float(geo.population[villages].sum())
    return float(geo.population[villages][mask[villages]].sum()) / total if total else 0.0


def _scaled(scenario: Scenario, share: float, **sections) -> Scenario:
    """*scenario* with no brands, planned for *share* of the villages' parcels."""
    demand = scenario.demand
    if abs(share - 1.0) > 1e-9:  # shares that add up to 1 in floating point plan as all
        scaled = demand.parcels_per_capita_day * share
        demand = demand.model_copy(update={"parcels_per_capita_day": scaled})
    return scenario.model_copy(
        update={"brands": type(scenario.brands)({}), "demand": demand, **sections}
    )


def network_scenarios(scenario: Scenario) -> list[NetworkSpec]:
    """The networks of a scenario, the public one first (when any parcel takes it).

    Without brands: the scenario itself, unchanged. An own-network brand's scenario
    has its depot as hub, its legs as a custom delivery model, no bus lines, and
    (when its parcels stop at the outlet) points that are the outlets: no home
    delivery, always open. Each network's routes are planned for its share of the
    villages' parcels; an own brand's routes only for the townships with its outlets
    (``townships``), and its parcels for the others go to the public network.
    """
    brands = list(scenario.brands.items())
    if not brands:
        return [NetworkSpec(PUBLIC, scenario, None, ())]
    geo = None
    if any(b.network == "own" and b.outlets != "all" for _, b in brands):
        geo = build_geography(scenario.network)
    public_share = 0.0
    own: list[NetworkSpec] = []
    for index, (name, brand) in enumerate(brands):
        if brand.network == "public":
            public_share += brand.share
            continue
        inside = 1.0 if geo is None else _population_share(geo, outlet_townships(name, brand, geo))
        public_share += brand.share * (1.0 - inside)
        if brand.share * inside <= 0.0:
            continue  # no parcel of it ever reaches its own network
        # Planned for its share of its outlets' villages' parcels, and for those alone.
        townships = None if brand.outlets == "all" else tuple(brand.outlets)
        points = scenario.points
        if brand.collects_at_outlet:
            points = Points(home_delivery_share=0.0, pickup_delay_h=brand.collection_delay_h)
        sections = {
            "hub": brand.depot,
            "delivery": Delivery(model="custom", legs=brand.legs),
            "buses": Buses(),
            "points": points,
        }
        spec = NetworkSpec(
            name, _scaled(scenario, brand.share, **sections), index, (index + 1,), townships
        )
        own.append(spec)
    if public_share > 0.0:
        return [NetworkSpec(PUBLIC, _scaled(scenario, public_share), None, ()), *own]
    return own


def brand_table(scenario: Scenario, networks: list[NetworkSpec], geo: Geography) -> np.ndarray:
    """Per brand and place, the network (index in *networks*) that carries its parcels there."""
    names = [spec.name for spec in networks]
    public = names.index(PUBLIC) if PUBLIC in names else -1
    table = np.full((len(scenario.brands.root), len(geo.ids)), public, dtype=np.int8)
    for number, spec in enumerate(networks):
        if spec.brand is None:
            continue
        brand = scenario.brands.root[spec.name]
        serves = outlet_townships(spec.name, brand, geo)
        table[spec.brand, serves] = number
    return table


def assign_brands(
    scenario: Scenario, table: np.ndarray, destination: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Each parcel's brand (drawn by share) and network, for one day's parcels.

    Without brands every parcel is brand 0 on network 0 and nothing is drawn.
    """
    if not scenario.brands.root:
        zeros = np.zeros(destination.size, dtype=np.int8)
        return zeros, zeros
    shares = np.array([b.share for b in scenario.brands.root.values()])
    cumulative = np.cumsum(shares)
    brand = np.searchsorted(cumulative, rng.random(destination.size) * cumulative[-1], side="right")
    brand = np.minimum(brand, shares.size - 1).astype(np.int8)
    return brand, table[brand, destination]
