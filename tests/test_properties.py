"""Properties of every run of the bundled scenarios, perturbed within the schema's bounds.

Each example takes one bundled scenario (direct, via-township, bus) on a small county
and a short horizon, changes some of its numeric fields and runs it. The values are
drawn from the bounds the schema itself declares (``Scenario.model_json_schema()``,
read when the tests run), so a bound added to the schema narrows the strategies
without a change here. A scenario the schema or the route planner refuses with a
clear error (``ValidationError``, ``ScenarioError``) is not a counter-example;
anything else that goes wrong is.

A failing example prints ``changes``: dotted paths into the scenario (list items by
index) and their values, applied on top of ``SMALL_COUNTY``.
"""

from __future__ import annotations

import copy
import functools
import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, note, reject, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sim import KPI_NAMES, Scenario, ScenarioError, load_scenario, simulate
from sim.engine.ledger import FELL_BACK, HOME_DELIVERY, OPEN_BOX, PERISHABLE, RODE_BUS
from tests.conftest import SCENARIOS

BUNDLED = ("leiyang_direct", "leiyang_via_township", "leiyang_bus")

SMALL_COUNTY = (
    "network.townships=3",
    "network.villages_per_township=[2, 4]",
    "network.area_km2=400",
    "routing.iterations=50",
    "horizon.days=3",
    "horizon.warmup_days=1",
    "horizon.drain_days=1",
)
"""Overrides that make a bundled scenario quick: a few villages for a few days."""

# Fields drawn from small ranges of their own rather than from the schema's bounds, so
# that an example stays a small county over a short horizon (the suite's time budget).
# Everything else numeric in the scenario is perturbed within its schema bounds.
SIZE_FIELDS = {
    "horizon.days": st.integers(2, 4),
    "horizon.warmup_days": st.integers(0, 1),
    "horizon.drain_days": st.integers(0, 2),
    "network.townships": st.integers(1, 3),
    "network.villages_per_township.0": st.integers(1, 2),
    "network.villages_per_township.1": st.integers(2, 4),
    "routing.iterations": st.integers(1, 100),
}
# Demand volume: scaled by 1/8..2 (or set to its lower bound, 0), never up to the
# schema's upper bound (10 parcels per capita a day would be ~10^7 parcels a run).
VOLUME_FIELDS = ("network.population.mean", "demand.parcels_per_capita_day")
MAX_CHANGES = 8
"""At most this many fields are changed besides ``SIZE_FIELDS`` in one example."""
RUNS = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

SHARES = (
    "on_time_24h_share",
    "on_time_48h_share",
    "bus_parcels_share",
    "outbound_same_day_share",
    "backhaul_share",
    "spoilage_share",
)
UTILISATIONS = ("sorting_utilization", "van_load_factor_mean", "bus_load_factor_mean")
COUNTS = (
    "parcels_generated",
    "parcels_delivered",
    "parcels_picked_up",
    "parcels_in_system",
    "bus_overflow_parcels",
    "bus_fallback_parcels",
    "urban_parcels",
    "point_overflow_parcels",
    "outbound_parcels_generated",
    "outbound_parcels_shipped",
    "outbound_parcels_in_system",
    "spoiled_parcels",
)


# --------------------------------------------------------------------------------------
# Strategies from the schema
# --------------------------------------------------------------------------------------


@functools.cache
def _schema() -> dict:
    return Scenario.model_json_schema()


def _resolve(node: dict) -> dict:
    """Follow ``$ref`` / single ``allOf`` to the definition, keeping local keywords."""
    defs = _schema().get("$defs", {})
    while True:
        if "$ref" in node:
            target = defs[node["$ref"].rsplit("/", 1)[-1]]
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        elif len(node.get("allOf", ())) == 1:
            node = {**node["allOf"][0], **{k: v for k, v in node.items() if k != "allOf"}}
        else:
            return node


def _numeric_leaves(data, node: dict, path: tuple = ()):
    """(dotted path, value, schema node) of every int/float in *data*, bools excluded."""
    node = _resolve(node)
    if isinstance(data, bool) or data is None or isinstance(data, str):
        return
    if isinstance(data, int | float):
        # An optional number (``X | None``) is an anyOf: its bounds are the number's.
        numbers = [
            _resolve(o) for o in node.get("anyOf", ()) if o.get("type") in ("integer", "number")
        ]
        yield ".".join(map(str, path)), data, numbers[0] if numbers else node
        return
    # A discriminated union (a fleet's departures) is a oneOf, a plain one an anyOf.
    for option in node.get("anyOf", ()) or node.get("oneOf", ()):
        option = _resolve(option)
        if (isinstance(data, dict) and "properties" in option) or (
            isinstance(data, list) and option.get("type") == "array"
        ):
            node = option
            break
    if isinstance(data, dict):
        # A map (fleets) has no properties: each value follows additionalProperties.
        extra = node.get("additionalProperties")
        for key, value in data.items():
            child = node.get("properties", {}).get(key, extra if isinstance(extra, dict) else {})
            yield from _numeric_leaves(value, child, (*path, key))
    elif isinstance(data, list):
        prefix = node.get("prefixItems") or []
        for i, value in enumerate(data):
            item = prefix[i] if i < len(prefix) else node.get("items", {})
            yield from _numeric_leaves(value, item, (*path, i))


def _bounds(node: dict) -> tuple[float, float, bool]:
    """Lower and upper bound of a schema node, and whether the lower one is exclusive."""
    if "exclusiveMinimum" in node:
        low, open_low = node["exclusiveMinimum"], True
    else:
        low, open_low = node.get("minimum", -math.inf), False
    high = node.get("maximum", node.get("exclusiveMaximum", math.inf))
    return low, high, open_low


def _is_volume(path: str) -> bool:
    """Fields that multiply the number of parcels."""
    return (
        path in VOLUME_FIELDS
        or path.startswith("demand.weekday_factors.")
        or (path.startswith("demand.peaks.") and path.endswith(".factor"))
    )


def _field_strategy(path: str, value: float, node: dict) -> st.SearchStrategy:
    """Values of one field, inside its schema bounds."""
    integer = node.get("type") == "integer" or (isinstance(value, int) and "type" not in node)
    low, high, open_low = _bounds(node)
    volume = _is_volume(path)
    if path.rsplit(".", 1)[-1] == "seed" or (integer and high - low <= 100 and not volume):
        return st.integers(int(low), int(min(high, 2**63 - 1)))
    if not integer and high - low <= 100 and not volume:  # shares, circuity, cv, margin …
        return st.floats(low, high, exclude_min=open_low)
    top = 1.0 if volume else 3.0
    if value == 0:
        scaled = st.floats(0.0, min(high, 1.0))
    else:
        scaled = st.floats(-3.0, top).map(lambda e: min(max(value * 2.0**e, low), high))
    # The bounds themselves (just above an exclusive one), except a volume's maximum.
    edges = [value * 1e-3 if open_low else low]
    if not volume and math.isfinite(high):
        edges.append(high)
    values = st.one_of(scaled, st.sampled_from(edges))
    if integer:
        values = values.map(lambda v: int(min(max(round(v), low + open_low), high)))
    return values


@functools.cache
def _base(name: str) -> dict:
    scenario = load_scenario(SCENARIOS / f"{name}.yaml", SMALL_COUNTY)
    return scenario.model_dump(mode="json")


@functools.cache
def _perturbable(name: str) -> tuple[tuple[str, st.SearchStrategy], ...]:
    return tuple(
        (path, _field_strategy(path, value, node))
        for path, value, node in _numeric_leaves(_base(name), _schema())
        if path not in SIZE_FIELDS
    )


@st.composite
def changes(draw, name: str, most: int = MAX_CHANGES) -> dict:
    """Dotted path -> new value: the small-county fields, then up to *most* others."""
    fields = _perturbable(name)
    drawn = {path: draw(values) for path, values in SIZE_FIELDS.items()}
    chosen = draw(st.lists(st.sampled_from(range(len(fields))), unique=True, max_size=most))
    for index in sorted(chosen):
        path, values = fields[index]
        drawn[path] = draw(values)
    return drawn


def _set(data: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data[int(part)] if isinstance(data, list) else data[part]
    data[int(last) if isinstance(data, list) else last] = value


def build(name: str, changed: dict) -> Scenario:
    """The bundled scenario with the changes; rejects what the schema refuses."""
    data = copy.deepcopy(_base(name))
    for path, value in changed.items():
        _set(data, path, value)
    waves = data["demand"]["waves"]  # shares must add up to 1: perturb the split
    total = sum(w["share"] for w in waves)
    for wave in waves:
        wave["share"] = wave["share"] / total if total > 0 else 1.0 / len(waves)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        note(f"refused by the schema: {exc}")
        reject()


def run(scenario: Scenario, seed: int | None = None):
    """Simulate; a scenario refused with a clear error (unreachable place …) is no example."""
    try:
        return simulate(scenario, seed=seed)
    except ScenarioError as exc:
        note(f"refused: {exc}")
        reject()


# --------------------------------------------------------------------------------------
# The invariants of one run
# --------------------------------------------------------------------------------------


def _measured(run_, column: str) -> pd.Series:
    horizon = run_.scenario.horizon
    start, stop = horizon.warmup_days * 24.0, horizon.days * 24.0
    return (run_.trips[column] >= start) & (run_.trips[column] < stop)


def check_conservation(run_) -> None:
    """Every parcel is delivered, spoiled or counted where it physically is; cohort KPIs agree."""
    k, ledger = run_.kpis, run_.parcels
    delivered = ledger["t_at_point"].notna()
    in_network = sum(run_.in_network.values())
    spoiled = int(ledger["t_spoiled"].notna().sum())
    total = int(delivered.sum()) + spoiled + run_.handed_to_town + in_network
    assert len(ledger) == total, run_.in_network
    horizon = run_.scenario.horizon
    cohort = (
        (ledger["t_hub"] >= horizon.warmup_days * 24.0)
        & (ledger["t_hub"] < horizon.days * 24.0)
        & (ledger["destination"] != 0)  # the county town's parcels have KPIs of their own
    )
    picked = ledger["t_picked_up"] <= run_.end_h
    assert k["parcels_generated"] == int(cohort.sum())
    assert k["parcels_delivered"] == int((cohort & delivered).sum())
    assert k["parcels_picked_up"] == int((cohort & picked).sum())
    assert not (picked & ~delivered).any(), "picked up without reaching the point"
    assert k["parcels_generated"] == (
        k["parcels_delivered"] + k["inbound_spoiled_parcels"] + k["parcels_in_system"]
    )
    assert k["parcels_picked_up"] <= k["parcels_delivered"]


def _town_parcels_sorted(run_) -> bool:
    """Whether any measured parcel for the county town was sorted by the end."""
    ledger, horizon = run_.parcels, run_.scenario.horizon
    measured = (ledger["t_hub"] >= horizon.warmup_days * 24.0) & (
        ledger["t_hub"] < horizon.days * 24.0
    )
    return bool((measured & (ledger["destination"] == 0) & ledger["t_sorted"].notna()).any())


def check_ranges(run_) -> None:
    """Shares and utilisations in [0, 1]; nothing negative; NaN exactly where undefined."""
    k = run_.kpis
    assert list(k) == list(KPI_NAMES)
    trips, services = run_.trips, run_.services
    measured = trips[_measured(run_, "depart_h")]
    is_bus = measured["fleet"] == "bus"
    is_van = services["counts_as_van"].to_numpy()[measured["service"].to_numpy()].astype(bool)
    # KPIs defined only when something happened (NaN otherwise); the rest always are.
    undefined = {
        "lead_time_mean_h": k["parcels_delivered"] == 0,
        "lead_time_p50_h": k["parcels_delivered"] == 0,
        "lead_time_p90_h": k["parcels_delivered"] == 0,
        "lead_time_p95_h": k["parcels_delivered"] == 0,
        "door_time_mean_h": k["parcels_picked_up"] == 0,
        "on_time_24h_share": k["parcels_generated"] == 0,
        "on_time_48h_share": k["parcels_generated"] == 0,
        "cost_per_parcel_cny": k["parcels_generated"] == 0,
        "bus_parcels_share": k["parcels_generated"] == 0,
        "van_load_factor_mean": not is_van.any(),
        "bus_load_factor_mean": not (measured.loc[is_bus, "capacity"] > 0).any(),
        "bus_delay_added_min_mean": not is_bus.any(),
        "urban_sorted_mean_h": not _town_parcels_sorted(run_),
        "outbound_lead_time_mean_h": k["outbound_parcels_shipped"] == 0,
        "outbound_same_day_share": k["outbound_parcels_generated"] == 0,
        "spoilage_share": k["outbound_parcels_generated"] == 0,
        "backhaul_share": measured.get("outbound_parcel_km", pd.Series(dtype=float)).sum() == 0,
    }
    # Only a subsidy is a negative cost, so only with one may a cost be negative.
    costs = run_.scenario.costs
    subsidised = costs.subsidy_per_parcel_cny > 0 or costs.subsidy_per_day_cny > 0
    may_be_negative = {"cost_facilities_cny", "cost_fees_cny", "cost_total_cny"}
    may_be_negative |= {"cost_per_parcel_cny"}
    for name, value in k.items():
        if undefined.get(name, False):
            assert math.isnan(value), f"{name} = {value}, but it is undefined here (NaN)"
        else:
            assert math.isfinite(value), f"{name} = {value}"
            if not (subsidised and name in may_be_negative):
                assert value >= 0, f"{name} = {value} < 0"
    for name in COUNTS:
        assert isinstance(k[name], int), name
    for name in (*SHARES, *UTILISATIONS):
        if not math.isnan(k[name]):
            assert 0.0 <= k[name] <= 1.0, f"{name} = {k[name]} outside [0, 1]"
    if k["parcels_generated"]:
        assert k["on_time_24h_share"] <= k["on_time_48h_share"]
        assert k["on_time_48h_share"] <= k["parcels_delivered"] / k["parcels_generated"]
        assert k["cost_per_parcel_cny"] == pytest.approx(
            k["cost_total_cny"] / k["parcels_generated"]
        )
    # The cost parts add up to the total; the fees hold the bus operators' and the
    # village points' per-parcel fees, less the per-parcel subsidy.
    parts = k["cost_transport_cny"] + k["cost_facilities_cny"] + k["cost_fees_cny"]
    assert k["cost_total_cny"] == pytest.approx(parts, rel=1e-12, abs=1e-9)
    point_fees = costs.point_fee_per_parcel_cny * k["parcels_delivered"]
    subsidy = costs.subsidy_per_parcel_cny * k["parcels_generated"]
    assert k["cost_fees_cny"] == pytest.approx(
        k["bus_fee_cny"] + point_fees - subsidy, rel=1e-12, abs=1e-9
    )


def check_time_order(run_) -> None:
    """p50 <= p90 <= p95 within the lead times; a parcel is collected after it arrived."""
    k, ledger, horizon = run_.kpis, run_.parcels, run_.scenario.horizon
    if k["parcels_delivered"]:
        assert k["lead_time_p50_h"] <= k["lead_time_p90_h"] <= k["lead_time_p95_h"]
        cohort = ledger[
            ledger["t_hub"].between(horizon.warmup_days * 24.0, horizon.days * 24.0, "left")
        ]
        lead = (cohort["t_at_point"] - cohort["t_hub"]).dropna()
        for name in ("lead_time_mean_h", "lead_time_p50_h", "lead_time_p95_h"):
            assert lead.min() - 1e-9 <= k[name] <= lead.max() + 1e-9, name
    picked = ledger["t_picked_up"] <= run_.end_h
    assert (ledger.loc[picked, "t_picked_up"] >= ledger.loc[picked, "t_at_point"]).all()


def check_work_is_counted(run_) -> None:
    """Parcels that boarded a van or truck were driven: its km and hours are counted.

    A parcel sorted more than a day before the end of the measured days waits in the
    queue of a van or truck service from then on (unless it waits for a bus); every
    service leaves at least once a day and runs whenever its queue is not empty, so
    a trip of that service left within the measured days. If such a parcel boarded
    at all, vehicle-km and vehicle-hours cannot be 0, finished trip or not.
    """
    horizon, ledger = run_.scenario.horizon, run_.parcels
    stop = horizon.days * 24.0
    by_van = (ledger["flags"].to_numpy() & (RODE_BUS | FELL_BACK)) == 0
    early = (ledger["t_hub"] >= horizon.warmup_days * 24.0) & (ledger["t_sorted"] < stop - 24.0)
    # The county town's parcels leave the hub (once sorted) without boarding.
    boarded = ledger["t_left_hub"].notna() & (ledger["destination"] != 0)
    if (by_van & early & boarded).any():
        assert run_.kpis["vehicle_km"] > 0, "parcels were driven, but vehicle_km is 0"
        assert run_.kpis["vehicle_hours"] > 0, "parcels were driven, but vehicle_hours is 0"


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BUNDLED)
@RUNS
@given(data=st.data())
def test_every_run_keeps_its_books(name, data):
    scenario = build(name, data.draw(changes(name), label="changes"))
    result = run(scenario)
    check_conservation(result)
    check_ranges(result)
    check_time_order(result)
    check_work_is_counted(result)


def _fleet_bound(field: str) -> float:
    """The schema's upper bound of a fleet field (at most a day's minutes or hours)."""
    node = _resolve(_resolve(_schema()["$defs"]["Fleet"])["properties"][field])
    return min(_bounds(node)[1], 24 * 60.0)


LONG_TRIPS = {"handling_min_per_parcel": (0.5, 8.0), "stop_min": (30.0, 600.0)}

FIRST_LEG_FLEET = {
    "leiyang_direct": "hub_van",
    "leiyang_via_township": "trunk",
    "leiyang_bus": "hub_van",
}


@pytest.mark.parametrize("name", BUNDLED)
@settings(RUNS, max_examples=8)
@given(data=st.data(), field=st.sampled_from(["stop_min", "handling_min_per_parcel"]))
def test_trips_still_under_way_at_the_end_are_counted(name, data, field):
    # Long stops or handling (up to the schema's bound), with routes allowed up to the
    # schema's longest and no drain days, keep trips under way when the run stops.
    fleet = f"fleets.{FIRST_LEG_FLEET[name]}"
    changed = data.draw(changes(name, most=2), label="changes")
    high = _fleet_bound(field)
    changed[f"{fleet}.max_route_h"] = _fleet_bound("max_route_h")
    changed["horizon.drain_days"] = 0  # the run stops at the end of the last measured day
    # Where planned routes still fit in a day but the trips leaving in the afternoon of the
    # last day cannot finish (longer ones are refused by the planner), and the bound.
    longer = st.floats(*LONG_TRIPS[field]).map(lambda v: min(v, high))
    changed[f"{fleet}.{field}"] = data.draw(
        st.one_of(st.just(high), longer), label=f"{fleet}.{field}"
    )
    result = run(build(name, changed))
    check_conservation(result)
    check_work_is_counted(result)


@pytest.mark.parametrize("name", BUNDLED)
@settings(RUNS, max_examples=5)
@given(data=st.data())
def test_same_scenario_and_seed_give_identical_results(name, data):
    scenario = build(name, data.draw(changes(name), label="changes"))
    first, second = run(scenario), run(Scenario.model_validate_json(scenario.model_dump_json()))
    assert pd.Series(first.kpis).equals(pd.Series(second.kpis))  # NaN-aware
    pd.testing.assert_frame_equal(first.parcels, second.parcels)
    pd.testing.assert_frame_equal(first.trips, second.trips)


def _with(scenario: Scenario, **sections) -> Scenario:
    data = scenario.model_dump(mode="json")
    for path, value in sections.items():
        _set(data, path.replace("__", "."), value)
    return Scenario.model_validate(data)


def _censored_lead_sum(run_) -> float:
    """Total hub -> point hours of the cohort, undelivered parcels counted until the end.

    Under common random numbers both runs have the same cohort, so comparing totals
    compares means, and an empty cohort compares equal (0 = 0).
    """
    ledger, horizon = run_.parcels, run_.scenario.horizon
    cohort = ledger[
        (ledger["t_hub"] >= horizon.warmup_days * 24.0) & (ledger["t_hub"] < horizon.days * 24.0)
    ]
    return float((cohort["t_at_point"].fillna(run_.end_h) - cohort["t_hub"]).sum())


@pytest.mark.parametrize("name", BUNDLED)
@settings(RUNS, max_examples=8)
@given(data=st.data(), faster=st.floats(1.0, 8.0), seed=st.integers(0, 2**32 - 1))
def test_more_sorting_capacity_never_makes_parcels_later(name, data, faster, seed):
    slow = build(name, data.draw(changes(name), label="changes"))
    rate = slow.hub.sorting.rate_per_h
    fast = _with(slow, hub__sorting__rate_per_h=min(rate * faster, _sorting_rate_max()))
    a, b = run(slow, seed), run(fast, seed)
    # Common random numbers: the same parcels reach the hub (the flags drawn there too).
    columns = ["destination", "t_hub", "pickup_delay_h"]
    pd.testing.assert_frame_equal(a.parcels[columns], b.parcels[columns])
    drawn = PERISHABLE | HOME_DELIVERY | OPEN_BOX
    assert ((a.parcels["flags"] & drawn) == (b.parcels["flags"] & drawn)).all()
    assert (b.parcels["t_sorted"] <= a.parcels["t_sorted"] + 1e-9).all()
    assert _censored_lead_sum(b) <= _censored_lead_sum(a) * (1 + 1e-12) + 1e-9
    assert b.kpis["parcels_delivered"] >= a.kpis["parcels_delivered"]
    if a.kpis["parcels_delivered"] and not a.kpis["parcels_in_system"]:
        assert b.kpis["lead_time_mean_h"] <= a.kpis["lead_time_mean_h"] + 1e-9


def _sorting_rate_max() -> float:
    node = _resolve(_resolve(_schema()["$defs"]["Sorting"])["properties"]["rate_per_h"])
    return _bounds(node)[1]


def _peak_factor_max() -> float:
    node = _resolve(_resolve(_schema()["$defs"]["Peak"])["properties"]["factor"])
    return min(_bounds(node)[1], 4.0)


@st.composite
def peak_cases(draw) -> dict:
    """A bundled scenario, its changes (without peaks) and one peak inside the horizon."""
    name = draw(st.sampled_from(BUNDLED))
    changed = draw(changes(name))
    days = changed["horizon.days"]
    start = draw(st.integers(0, days - 1))
    peak = {
        "start_day": start,
        "days": draw(st.integers(1, days - start)),
        "factor": draw(st.floats(1.0, _peak_factor_max())),
    }
    return {"name": name, "changes": changed, "peak": peak}


# Found by this property: the parcels of every day after a peak are re-drawn (one demand
# stream for all days), so here day 1 differs by chance: with the peak no parcel is left
# for the van's 14:30 run that day, which is cancelled (~39 km, one vehicle-day less),
# cost 1058.3 CNY against 1106.6 without the peak. Per-day demand streams make it pass.
PEAK_COUNTEREXAMPLE = {
    "name": "leiyang_bus",
    "changes": {
        "horizon.days": 2,
        "horizon.warmup_days": 0,
        "horizon.drain_days": 0,
        "network.townships": 2,
        "network.villages_per_township.0": 2,
        "network.villages_per_township.1": 3,
        "routing.iterations": 1,
    },
    "peak": {"start_day": 0, "days": 1, "factor": 2.0},
}


def _driven_km(run_) -> float:
    """Km driven by vans and trucks on trips leaving in the measured days."""
    trips = run_.trips[_measured(run_, "depart_h")]
    return float(trips.loc[trips["fleet"] != "bus", "km"].sum())


@settings(RUNS, max_examples=12)
@example(case=PEAK_COUNTEREXAMPLE, seed=0)
@given(case=peak_cases(), seed=st.integers(0, 2**32 - 1))
def test_a_peak_never_costs_less_or_drives_fewer_km(case, seed):
    # Without subsidies: a peak's extra parcels earn more per-parcel subsidy, so its
    # net cost may rightly fall; what it must never do is cost less to run.
    gross = {"costs__subsidy_per_parcel_cny": 0.0, "costs__subsidy_per_day_cny": 0.0}
    plain = _with(build(case["name"], case["changes"]), demand__peaks=[], **gross)
    peaked = _with(plain, demand__peaks=[case["peak"]])
    a, b = run(plain, seed), run(peaked, seed)

    def at_least(peak: float, plain: float) -> bool:
        return peak >= plain * (1 - 1e-12) - 1e-9

    cost = b.kpis["cost_total_cny"], a.kpis["cost_total_cny"]
    assert at_least(*cost), "cost with the peak {:.6g} < without {:.6g}".format(*cost)
    km = _driven_km(b), _driven_km(a)
    assert at_least(*km), "van and truck km with the peak {:.6g} < without {:.6g}".format(*km)
    if not (a.trips["fleet"] == "bus").any():
        km = b.kpis["vehicle_km"], a.kpis["vehicle_km"]
        assert at_least(*km), "vehicle_km with the peak {:.6g} < without {:.6g}".format(*km)
    # With buses, vehicle_km also holds the buses' parcel-attributed km (cargo share x
    # parcel-km): a full bus's share depends on where its parcels go, not how many wait,
    # so it can be a little lower with a peak (a model artefact, not checked here).


@pytest.mark.parametrize("name", BUNDLED)
@settings(RUNS, max_examples=6)
@given(data=st.data(), slower=st.floats(0.0, 10.0), seed=st.integers(0, 2**32 - 1))
def test_sorting_utilization_stays_in_range_however_slow_the_sorter(name, data, slower, seed):
    # Down to 1/1024 of the bundled rate: ~8 parcels/h, a line overloaded for days.
    scenario = build(name, data.draw(changes(name), label="changes"))
    rate = max(scenario.hub.sorting.rate_per_h * 2.0**-slower, 1e-3)
    result = run(_with(scenario, hub__sorting__rate_per_h=rate), seed)
    check_conservation(result)
    check_ranges(result)
