"""The scenario schema: every field a YAML scenario may hold, validated once.

Units live in field names (``speed_kmh``, ``stop_min``, ``rate_per_h``). Clock times
are ``"HH:MM"`` strings in YAML and float hours of the day inside the model.
All models are frozen and reject unknown keys, so a typo is an error, not a
silently ignored setting.
"""

from __future__ import annotations

import re
from collections.abc import ItemsView, Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    RootModel,
    SerializerFunctionWrapHandler,
    Tag,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_clock(value: object) -> float:
    """Turn ``"HH:MM"`` (00:00 to 24:00) into float hours of the day."""
    if not isinstance(value, str):
        raise ValueError(f'a clock time must be a quoted "HH:MM" string, got {value!r}')
    match = _CLOCK.match(value.strip())
    if not match:
        raise ValueError(f'clock time must look like "HH:MM", got {value!r}')
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes > 0):
        raise ValueError(f"clock time must be between 00:00 and 24:00, got {value!r}")
    return hours + minutes / 60.0


def format_clock(hours: float) -> str:
    """Turn float hours of the day back into ``"HH:MM"``."""
    total = round(hours * 60)
    return f"{total // 60:02d}:{total % 60:02d}"


ClockTime = Annotated[
    float,
    BeforeValidator(parse_clock),
    PlainSerializer(format_clock),
    # Held as hours, written as "HH:MM": the JSON schema describes what a file holds.
    WithJsonSchema({"type": "string", "pattern": r"^(([01]?[0-9]|2[0-3]):[0-5][0-9]|24:00)$"}),
]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]

# One type per kind of quantity, with physically meaningful bounds. The bounds are
# generous (far beyond any real county) and exist so that a typo such as 1e308 is
# refused at load instead of becoming inf or an out-of-memory crash mid-run. They are
# pydantic metadata, so tools (and property tests) can read them from
# ``Scenario.model_json_schema()`` (minimum / maximum / exclusiveMinimum).
Minutes = Annotated[float, Field(ge=0, le=1440, allow_inf_nan=False)]
"""A duration in minutes: at most a day."""
PositiveMinutes = Annotated[float, Field(gt=0, le=1440, allow_inf_nan=False)]
"""A duration in minutes that cannot be zero: at most a day."""
TripHours = Annotated[float, Field(gt=0, le=24, allow_inf_nan=False)]
"""Length of a daily trip in hours: timetables repeat every day."""
WaitHours = Annotated[float, Field(ge=0, le=8760, allow_inf_nan=False)]
"""A waiting time in hours: at most a year."""
SpeedKmh = Annotated[float, Field(gt=0, le=200, allow_inf_nan=False)]
"""A road vehicle's average speed in km/h."""
RatePerHour = Annotated[float, Field(gt=0, le=10_000_000, allow_inf_nan=False)]
"""Parcels a machine handles per hour (the largest sorters manage ~100,000)."""
Factor = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
"""A demand multiplier (weekday factor); Double 11 peaks are ~3-5."""
PeakFactor = Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)]
"""A demand multiplier of a peak period."""
CV = Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)]
"""Coefficient of variation of a random quantity."""
VehicleCapacity = Annotated[int, Field(ge=1, le=100_000)]
"""Parcels a vehicle carries (a trunk truck carries a few thousand)."""
CargoSpace = Annotated[int, Field(ge=0, le=100_000)]
"""Parcels a bus trip carries besides its passengers (may be none)."""
CostPerKm = Annotated[float, Field(ge=0, le=1_000, allow_inf_nan=False)]
"""Yuan per km or per parcel."""
CostPerDay = Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False)]
"""Yuan per vehicle-day or line-day."""
Co2PerKm = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
"""kg of CO2 per km (a loaded heavy truck emits ~1)."""
Day = Annotated[int, Field(ge=0, le=3660)]
"""A day number inside the longest horizon."""


SAFE_NAME = re.compile(r"[\w][\w.\-]*")
"""What a scenario name may look like: it becomes a results folder name, so no path
separators, and no leading ``.`` (no ``..``, no hidden folders). Letters include CJK."""


def _safe_name(value: str) -> str:
    if not SAFE_NAME.fullmatch(value):
        raise ValueError(
            "a scenario name becomes a results folder name: use letters, digits, "
            "'_', '-' and '.', not starting with '.' or '-' (no spaces or '/')"
        )
    return value


def _one_line(value: str) -> str:
    if any(c in value for c in "\r\n\t"):
        raise ValueError("a title is one line of text: no line breaks or tabs")
    return value


ScenarioName = Annotated[
    str,
    Field(min_length=1, max_length=200, json_schema_extra={"pattern": rf"^{SAFE_NAME.pattern}$"}),
    AfterValidator(_safe_name),
]


class Strict(BaseModel):
    """Base for every scenario section: frozen, unknown keys are errors.

    A string literal under a field is its description (``use_attribute_docstrings``):
    the scenario reference in docs/ and the JSON schema show it.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, use_attribute_docstrings=True
    )


def _ascending(times: tuple[float, ...], what: str) -> tuple[float, ...]:
    if any(b <= a for a, b in zip(times, times[1:], strict=False)):
        raise ValueError(f"{what} must be in strictly increasing clock order")
    return times


class Distribution(Strict):
    """A positive random quantity given by its mean and coefficient of variation."""

    kind: Literal["deterministic", "exponential", "lognormal"] = "deterministic"
    """shape: deterministic (always the mean), exponential or lognormal"""
    mean: float = Field(1.0, gt=0, le=10_000, allow_inf_nan=False)
    """the mean, in the unit of the field holding it (pickup_delay_h: hours; delay_min: minutes)"""
    cv: CV = Field(
        0.0, description="coefficient of variation; used by lognormal only (exponential has 1)"
    )


class Horizon(Strict):
    """How long to simulate and which days count."""

    days: int = Field(14, ge=1, le=3660)
    """days on which parcels arrive, warm-up included; day 0 is a Monday (or start_date)"""
    warmup_days: int = Field(2, ge=0, le=3660)
    """first days left out of the KPIs while queues fill up (`ruralsim warmup` suggests a value)"""
    drain_days: int = Field(
        2,
        ge=0,
        le=60,
        description="days simulated after the horizon with no new parcels, so parcels "
        "that arrived in the measured days can finish; KPIs count only those parcels",
    )
    start_date: date | None = Field(
        None,
        description='calendar date of day 0 ("YYYY-MM-DD"): weekday factors then start at '
        "that date's weekday and outbound seasons fall on real dates; empty: day 0 is a "
        "Monday with no date",
    )

    @property
    def weekday_offset(self) -> int:
        """Weekday of day 0 (Monday 0 … Sunday 6): day *d* has weekday ``(offset + d) % 7``."""
        return 0 if self.start_date is None else self.start_date.weekday()

    @model_validator(mode="after")
    def _warmup_inside(self) -> Horizon:
        if self.warmup_days >= self.days:
            raise ValueError(
                f"warmup_days ({self.warmup_days}) must be shorter than days ({self.days})"
            )
        return self


class Population(Strict):
    """Residents per village, lognormal."""

    mean: float = Field(
        2900.0, gt=0, le=1_000_000, allow_inf_nan=False, description="residents per village"
    )
    cv: CV = 0.6
    """coefficient of variation of village sizes"""


class Network(Strict):
    """County geography: synthetic (seeded) or read from a CSV file."""

    SYNTHETIC_ONLY: ClassVar[tuple[str, ...]] = (
        "seed",
        "area_km2",
        "townships",
        "villages_per_township",
        "cluster_spread_km",
        "population",
    )
    """Fields that shape a synthetic county only; a CSV county ignores them."""

    source: Literal["synthetic", "csv"] = "synthetic"
    """synthetic: a seeded made-up county of the size given here; csv: places read from csv_path"""
    csv_path: Path | None = Field(None, description="CSV file, relative to the scenario file")
    seed: int = Field(
        2023, ge=0, le=2**63 - 1, description="seed of the synthetic geography (fixed county)"
    )
    area_km2: float = Field(2650.0, gt=0, le=1_000_000, allow_inf_nan=False)
    """county area; synthetic only (Leiyang: 2,649 km²)"""
    # A province (2,400 townships, ~33,000 villages) plans in under a minute
    # (docs/performance.md, "Planning a bigger network"); 3,000 leaves room above it.
    townships: int = Field(24, ge=1, le=3000)
    """number of townships, each with one station; synthetic only (Leiyang: 24)"""
    villages_per_township: tuple[
        Annotated[int, Field(ge=1, le=1000)], Annotated[int, Field(ge=1, le=1000)]
    ] = (12, 20)
    """[fewest, most] villages per township, drawn uniformly; synthetic only"""
    cluster_spread_km: float = Field(
        4.0,
        gt=0,
        le=1000,
        allow_inf_nan=False,
        description="std. deviation of village positions around their township",
    )
    circuity: float = Field(1.3, ge=1.0, le=3.0, allow_inf_nan=False)
    """road distance over straight-line distance (1.2-1.35 flat, ~1.45 mountainous)"""
    population: Population = Population()
    """residents per village; synthetic only (a CSV gives each place's population)"""

    @model_validator(mode="after")
    def _check(self) -> Network:
        low, high = self.villages_per_township
        if not 1 <= low <= high:
            raise ValueError(
                f"villages_per_township must be [low, high] with 1 <= low <= high, "
                f"got [{low}, {high}]"
            )
        if self.source == "csv" and self.csv_path is None:
            raise ValueError("source 'csv' needs csv_path")
        return self


def as_shown(resolved: dict) -> dict:
    """A resolved scenario (``model_dump(mode="json")``) as ``validate`` and the report show it.

    For a county read from a CSV file the fields that shape only a synthetic county
    (:attr:`Network.SYNTHETIC_ONLY`) are left out: they do nothing there.
    """
    network = resolved.get("network")
    if not isinstance(network, dict) or network.get("source") != "csv":
        return resolved
    kept = {key: value for key, value in network.items() if key not in Network.SYNTHETIC_ONLY}
    return {**resolved, "network": kept}


class Wave(Strict):
    """A line-haul arrival wave at the hub."""

    time: ClockTime
    """when this wave's line-haul trucks start unloading at the hub"""
    share: Share
    """share of the day's inbound parcels that come with this wave (the shares add up to 1)"""


class Peak(Strict):
    """A period of higher demand (e.g. Double 11)."""

    start_day: Day | None = None
    """first day of the peak, counted from the first simulated day (day 0, a Monday, or
    horizon.start_date); give it or start_date"""
    start_date: date | None = Field(
        None,
        description='first day of the peak as a date ("YYYY-MM-DD", e.g. Double 11), on or '
        "after horizon.start_date; give it or start_day (the scenario fills in start_day)",
    )
    days: int = Field(ge=1, le=3660)
    """length of the peak in days"""
    factor: PeakFactor
    """multiplies each peak day's demand (Double 11: 1.5-1.9); overlapping peaks multiply"""

    @model_validator(mode="after")
    def _one_start(self) -> Peak:
        if self.start_day is None and self.start_date is None:
            raise ValueError("give start_day (a day number) or start_date (YYYY-MM-DD)")
        return self


class Demand(Strict):
    """Inbound parcels at the county hub: for villagers, and for the county town."""

    arrivals: Literal["waves", "poisson"] = Field(
        "waves",
        description="'waves': line-haul trucks at clock times; 'poisson': a Poisson "
        "process over the whole day (for checking the hub against queueing theory)",
    )
    parcels_per_capita_day: float = Field(
        0.027,
        ge=0,
        le=10,
        allow_inf_nan=False,
        description="mean inbound parcels per resident per day (rural China: ~0.03)",
    )
    urban_share: float = Field(
        0.0,
        ge=0,
        le=0.95,
        allow_inf_nan=False,
        description="share of the hub's inbound parcels addressed to the county town: "
        "inspected and sorted at the hub, then handed to urban delivery (not modelled); "
        "parcels_per_capita_day gives the village parcels, the urban ones come on top",
    )
    waves: tuple[Wave, ...] = (Wave(time="05:30", share=0.6), Wave(time="12:00", share=0.4))
    """line-haul arrival waves in clock order; used with arrivals: waves"""
    wave_unload_min: Minutes = 45.0
    """a wave's parcels reach the hub spread evenly over this time after the wave's time"""
    weekday_factors: tuple[Factor, ...] = (1.0,) * 7
    """demand multiplier of each weekday, Monday to Sunday"""
    peaks: tuple[Peak, ...] = ()
    """periods of higher demand, such as Double 11"""
    perishable_share: Share = 0.0
    """share of parcels that are fresh food, loaded first when a vehicle has no room for all"""
    perishable_shelf_life_h: float | None = Field(
        None,
        gt=0,
        le=8760,
        allow_inf_nan=False,
        description="hours a perishable inbound parcel keeps outside cold storage, counted "
        "from its arrival at the hub; it spoils (is not delivered) if it has not reached its "
        "point or town station by then (docs/outbound.md); empty: they never spoil",
    )

    @field_validator("weekday_factors")
    @classmethod
    def _week(cls, factors: tuple[float, ...]) -> tuple[float, ...]:
        if len(factors) != 7:
            raise ValueError(f"needs 7 values (Monday..Sunday), got {len(factors)}")
        if not any(factors):
            raise ValueError(
                "all 7 factors are 0, so no parcel would ever arrive; give at least one day "
                "a positive factor (for no demand at all, set parcels_per_capita_day: 0)"
            )
        return factors

    @model_validator(mode="after")
    def _check(self) -> Demand:
        if self.arrivals == "waves":
            if not self.waves:
                raise ValueError("arrivals 'waves' needs at least one wave")
            total = sum(w.share for w in self.waves)
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"wave shares must add up to 1, got {total:g}")
            _ascending(tuple(w.time for w in self.waves), "waves")
            # A day's parcels are inspected as one batch, so none may spill past midnight.
            if self.waves[-1].time + self.wave_unload_min / 60.0 > 24.0:
                raise ValueError("the last wave must be unloaded by 24:00")
        return self


class Inspection(Strict):
    """Security inspection at receipt (X-ray line plus manual open-box checks)."""

    rate_per_h: RatePerHour = 12000.0
    """parcels the X-ray line screens per hour; it runs around the clock"""
    open_box_share: Share = 0.02
    """share of parcels also opened for a manual check"""
    open_box_min: Minutes = 5.0
    """extra time an opened parcel spends in the manual check"""


class Shift(Strict):
    """A daily working window."""

    start: ClockTime
    """when the window opens"""
    end: ClockTime
    """when the window closes, later on the same day"""

    @model_validator(mode="after")
    def _order(self) -> Shift:
        if self.end <= self.start:
            raise ValueError("a shift must end after it starts on the same day")
        return self


class Sorting(Strict):
    """The automated sorting line: one FIFO server working inside shifts."""

    rate_per_h: RatePerHour = 8000.0
    """parcels the sorting line handles per hour (an automated county sorter: ~8,000)"""
    service: Literal["deterministic", "exponential", "lognormal"] = "deterministic"
    """how the time per parcel varies around its mean of 1 / rate_per_h"""
    cv: CV = 0.3
    """coefficient of variation of the time per parcel; used by lognormal only"""
    shifts: tuple[Shift, ...] = (Shift(start="00:00", end="24:00"),)
    """daily windows in which the line works, in clock order; parcels wait outside them"""

    @model_validator(mode="after")
    def _shifts(self) -> Sorting:
        if not self.shifts:
            raise ValueError("at least one shift is needed")
        for a, b in zip(self.shifts, self.shifts[1:], strict=False):
            if b.start < a.end:
                raise ValueError("shifts must be in clock order and must not overlap")
        return self


class Hub(Strict):
    """The county public delivery distribution centre."""

    inspection: Inspection = Inspection()
    """security inspection of every parcel on arrival"""
    sorting: Sorting = Sorting()
    """the automated sorting line"""


LEVELS = ("hub", "station", "point")
"""The levels of the network, top down: a fleet runs from a depot at one level down
to the places it serves at a lower one."""

BUS = "bus"
"""The carrier name that stands for the bus lines (section ``buses``) in a leg's ``by``."""

_FLEET_NAME = re.compile(r"[\w][\w\-]{0,99}")


def _fleet_name_problem(name: object) -> str | None:
    """What is wrong with a fleet's name, or ``None``."""
    # No dots: a fleet name is one step of a dotted YAML path (fleets.NAME.speed_kmh).
    if not isinstance(name, str) or not _FLEET_NAME.fullmatch(name):
        return (
            "a fleet name is one step of a path such as fleets.NAME.speed_kmh: use up to "
            "100 letters, digits, '_' and '-', not starting with '-' (no '.', spaces or '/')"
        )
    if name == BUS:
        return f"{BUS!r} names the bus lines (section buses) in a leg's by: rename the fleet"
    return None


def _problem(loc: tuple[str | int, ...], text: str, given: object) -> InitErrorDetails:
    """One validation problem at *loc* (relative to the model being validated)."""
    # The text goes in as context, not as the template: names may hold braces.
    return InitErrorDetails(
        type=PydanticCustomError("scenario", "{problem}", {"problem": text}),
        loc=loc,
        input=given,
    )


CarrierName = Annotated[str, Field(min_length=1, max_length=100)]
"""A fleet's name, or ``bus`` for the bus lines; checked against ``fleets`` by the scenario."""


ClockTimes = Annotated[tuple[ClockTime, ...], Field(min_length=1)]
"""One day's departure times, in clock order (checked where they are used)."""


class DepotTimetables(RootModel[dict[str, ClockTimes]]):
    """Departure times per depot: place id (as in the network) -> ``["HH:MM", ...]``.

    The key ``default`` gives the times of every depot not listed. Whether every id is
    a depot of the fleet is known only with the network, so routes planning checks it.
    """

    model_config = ConfigDict(frozen=True)

    @model_validator(mode="after")
    def _each(self) -> DepotTimetables:
        if not self.root:
            raise ValueError("give at least one depot (a place id, or default) with its times")
        for depot, times in self.root.items():
            _ascending(times, f"departures at {depot}")
        return self

    def __hash__(self) -> int:
        # A dict is not hashable; the times are tuples, so hash the items.
        return hash(tuple(self.root.items()))


class Connection(Strict):
    """Leave each depot a slack after the feeding fleet's vehicles arrive there.

    Every planned arrival of fleet ``after`` at a depot gives one departure at
    arrival + ``slack_min``, rounded up to ``round_to_min`` on the clock. Arrivals
    within ``merge_within_min`` of the first of a group share one departure, after the
    last of them. The arrival is when the feeding vehicle reaches the depot as planned:
    driving, stops and the handling of the planned load at the stops before it. The
    slack covers unloading and cross-docking (``stations.crossdock_min``).
    """

    after: CarrierName = Field(description="the fleet whose arrivals at the depot it waits for")
    slack_min: Minutes = Field(60.0, description="from the feeding vehicle's arrival to leaving")
    merge_within_min: Minutes = Field(
        30.0, description="arrivals this close to the first of a group get one departure"
    )
    round_to_min: int = Field(
        5, ge=1, le=60, description="departures are rounded up to a multiple of this on the clock"
    )


def _departures_kind(given: object) -> str:
    if isinstance(given, dict):
        return "connection" if "after" in given else "per_depot"
    if isinstance(given, Connection):
        return "connection"
    if isinstance(given, DepotTimetables):
        return "per_depot"
    return "clock_times"


Departures = Annotated[
    Annotated[ClockTimes, Tag("clock_times")]
    | Annotated[DepotTimetables, Tag("per_depot")]
    | Annotated[Connection, Tag("connection")],
    Discriminator(_departures_kind),
]
"""A fleet's timetable: clock times at every depot, clock times per depot, or a
connection to the arrivals of another fleet."""


class Fleet(Strict):
    """A vehicle type together with its timetable.

    It runs from depots at ``from_level`` to the places at ``to_level`` below them
    (hub → station, hub → point or station → point). Routes are planned per fleet
    and depot for an ordinary day; every route runs at every departure time of its
    depot that has parcels to carry, with as many vehicles as the load needs (up to the
    planned ones, or ``peak_vehicle_factor`` times as many on peak days). ``departures``
    is a list of clock times (every depot), a map of depot id to clock times, or a
    :class:`Connection` (``{after: trunk, slack_min: 60}``) resolved when the routes
    of the feeding fleet are planned.
    """

    # A depot has places below it, a client has one above: no point depots, no hub clients.
    from_level: Literal["hub", "station"] = Field(description="where its routes start")
    to_level: Literal["station", "point"] = Field(description="where it delivers: below from_level")
    capacity_parcels: VehicleCapacity
    """parcels one vehicle carries"""
    speed_kmh: SpeedKmh
    """average road speed, stops not included"""
    departures: Departures
    """when routes leave their depot: clock times, clock times per depot, or a connection"""
    max_route_h: TripHours = 6.0
    """longest a route may take, driving, stops and handling included"""
    stop_min: Minutes = 5.0
    """time at each stop (and at the depot to load), besides handling parcels"""
    handling_min_per_parcel: Minutes = 0.1
    """time to load or to unload one parcel (each parcel is handled twice)"""
    cost_per_km_cny: CostPerKm = 1.0
    """fuel, wear and tolls per km driven"""
    cost_per_vehicle_day_cny: CostPerDay = 300.0
    """driver and vehicle per day a vehicle is sent out"""
    co2_per_km_kg: Co2PerKm = 0.2
    """emissions per km driven"""
    counts_as_van: bool = Field(True, description="include in van_load_factor_mean")
    refrigerated: bool = Field(
        False, description="perishable parcels aboard do not age (cold chain; see outbound)"
    )
    peak_vehicle_factor: float = Field(
        2.0,
        ge=1.0,
        le=10.0,
        allow_inf_nan=False,
        description="on peak days (inside a demand peak with factor above 1) a route may "
        "send up to this many times its planned vehicles on a departure (rounded up); "
        "1 adds none",
    )

    @field_validator("to_level")
    @classmethod
    def _downwards(cls, to_level: str, info: ValidationInfo) -> str:
        from_level = info.data.get("from_level")
        if from_level is not None and LEVELS.index(to_level) <= LEVELS.index(from_level):
            raise ValueError(
                f"a fleet runs from its depots down to the places they serve, so to_level "
                f"must be below from_level {from_level!r} (hub above station above point): "
                "allowed are hub → station, hub → point and station → point"
            )
        return to_level

    @model_validator(mode="after")
    def _departures(self) -> Fleet:
        if isinstance(self.departures, tuple):
            _ascending(self.departures, "departures")
        return self

    @property
    def runs(self) -> str:
        """Its levels as text, e.g. ``"station → point"``."""
        return f"{self.from_level} → {self.to_level}"


BUILTIN_FLEETS: dict[str, Fleet] = {
    "hub_van": Fleet(
        from_level="hub",
        to_level="point",
        capacity_parcels=200,
        speed_kmh=40,
        departures=("08:00", "14:00"),
    ),
    "trunk": Fleet(
        from_level="hub",
        to_level="station",
        capacity_parcels=3000,
        speed_kmh=50,
        departures=("07:30", "13:30"),
        counts_as_van=False,
    ),
    "township_van": Fleet(
        from_level="station",
        to_level="point",
        capacity_parcels=150,
        speed_kmh=25,
        departures=("10:00", "16:00"),
    ),
}
"""The fleets every scenario has, which the named delivery models use."""


class Fleets(RootModel[dict[str, Fleet]]):
    """The vehicle fleets, by name: the built-in ones and any a scenario adds.

    The built-in fleets (:data:`BUILTIN_FLEETS`) are the default map. A scenario's
    entry with a built-in name is merged over that fleet key by key, as ``extends``
    and ``--set`` merge; an entry with a new name is a whole fleet. Read it like a
    mapping (``fleets["hub_van"]``, ``"e_trike" in fleets``); it cannot be changed.
    """

    model_config = ConfigDict(frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _over_builtin(cls, given: object) -> object:
        if not isinstance(given, dict):
            return given  # a Fleets already, or a wrong type that validation names
        bad_names = [
            _problem((name,), problem, name)
            for name in given
            if (problem := _fleet_name_problem(name)) is not None
        ]
        if bad_names:
            # Only the names: what is wrong inside an entry matters once it is named well.
            raise ValidationError.from_exception_data("Fleets", bad_names)
        merged: dict[object, object] = dict(BUILTIN_FLEETS)
        for name, entry in given.items():
            builtin = BUILTIN_FLEETS.get(name)
            if builtin is not None and isinstance(entry, dict):
                # A fleet has no nested sections, so one level of merging is the deep merge.
                entry = {**builtin.model_dump(mode="json"), **entry}
            merged[name] = entry
        return merged

    def __getitem__(self, name: str) -> Fleet:
        return self.root[name]

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]  # names, like a dict
        return iter(self.root)

    def __len__(self) -> int:
        return len(self.root)

    def __contains__(self, name: object) -> bool:
        return name in self.root

    def __hash__(self) -> int:
        # Frozen models are hashable; a dict is not, so hash its items (Fleet is frozen).
        return hash(tuple(self.root.items()))

    def get(self, name: str) -> Fleet | None:
        """The fleet called *name*, or ``None``."""
        return self.root.get(name)

    def items(self) -> ItemsView[str, Fleet]:
        """(name, fleet) pairs, built-in fleets first."""
        return self.root.items()


class Routing(Strict):
    """Route planning with PyVRP: seeded and iteration-limited, hence deterministic."""

    iterations: int = Field(500, ge=1, le=1_000_000)
    """PyVRP search iterations per route plan: more may find shorter routes, but plans slower"""
    # PyVRP's random number generator takes an unsigned 32-bit seed.
    seed: int = Field(0, ge=0, le=2**32 - 1, description="PyVRP's seed (0 to 4294967295)")
    planning_margin: float = Field(
        1.2,
        ge=1.0,
        le=10.0,
        description="routes are planned for mean demand per departure times this margin",
    )
    no_improvement_iterations: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="stop each PyVRP search (a depot's, or a sector's) once this many "
        "iterations in a row found no shorter plan (still at most `iterations`); empty: "
        "always all `iterations`",
    )
    # 400: above the bundled county's largest depot (the direct model's hub, 374
    # villages), so its plans are PyVRP's whole-depot ones; a 2,400-station trunk in
    # sectors of at most 400 planned in 2.6 s instead of 3.4 s, 0.7% shorter
    # (docs/performance.md, "Planning a bigger network").
    max_clients_per_problem: int = Field(400, ge=2, le=100_000)
    """a depot with more clients is planned in sweep sectors (around the depot, balanced
    by planned parcels) of at most this many clients each, one PyVRP search per sector"""


class Stations(Strict):
    """Township stations ("many stations in one")."""

    crossdock_min: Minutes = 30.0
    """from a parcel's arrival at the station to being ready for the village run"""
    cold_storage_parcels: int = Field(
        0,
        ge=0,
        le=1_000_000,
        description="perishable parcels (outbound, and inbound with a shelf life) each "
        "station's cold room holds while they wait for their next vehicle (they do not age "
        "there); the excess waits warm",
    )


class Points(Strict):
    """Village delivery service points."""

    home_delivery_share: Share = 0.3
    """share of parcels brought to the door instead of collected at the point"""
    pickup_delay_h: Distribution = Distribution(kind="lognormal", mean=10.0, cv=1.0)
    """time from a parcel reaching the point to the villager collecting it"""
    opening_hours: tuple[Shift, ...] = Field(
        (),
        description="daily windows in which villagers can collect parcels; a villager "
        "who comes while the point is closed collects at the next opening; empty: "
        "always open",
    )
    storage_parcels: int | None = Field(
        None,
        ge=0,
        le=1_000_000,
        description="parcels a point's shelves hold; parcels arriving at a full point "
        "are still left there, flagged and counted (point_overflow_parcels); "
        "empty: unlimited",
    )

    @model_validator(mode="after")
    def _hours(self) -> Points:
        for a, b in zip(self.opening_hours, self.opening_hours[1:], strict=False):
            if b.start < a.end:
                raise ValueError("opening_hours must be in clock order and must not overlap")
        return self


class Costs(Strict):
    """What the network costs besides its vehicles: places, per-parcel fees, subsidies.

    Facilities are paid per measured day: the hub, every township station where
    parcels change vehicles (none in the direct model) and every village point.
    Village points are also paid per parcel delivered to them. Subsidies are
    negative costs: per parcel reaching the hub and per day. Bus operators' fees are
    set on the bus lines (``buses``).
    """

    hub_cost_per_day_cny: CostPerDay = Field(0.0, description="the county hub's operating cost")
    station_cost_per_day_cny: CostPerDay = Field(
        0.0, description="each township station that parcels change vehicles at"
    )
    point_cost_per_day_cny: CostPerDay = Field(0.0, description="each village point")
    point_fee_per_parcel_cny: CostPerKm = Field(
        0.0, description="paid to the village point for each parcel delivered to it"
    )
    subsidy_per_parcel_cny: CostPerKm = Field(
        0.0, description="received for each parcel reaching the hub (a negative cost)"
    )
    subsidy_per_day_cny: CostPerDay = Field(
        0.0, description="received each day towards operations (a negative cost)"
    )


class PeakTrip(Strict):
    """A timetabled bus trip full of passengers, with less room for parcels."""

    direction: Literal["out", "back"] = "out"
    """out (first stop to last) or back"""
    departure: ClockTime
    """the trip's departure time: one of that direction's departures"""
    capacity_parcels: CargoSpace
    """cargo space on this trip, at most the line's capacity_parcels"""


class BusTimetable(Strict):
    """Everything about a bus line except where it stops."""

    departures_out: tuple[ClockTime, ...] = Field(
        ("07:00", "10:00", "13:00", "16:00"), min_length=1
    )
    """departure times from the first stop (for corridors, the hub)"""
    departures_back: tuple[ClockTime, ...] = ("08:30", "11:30", "14:30", "17:30")
    """departure times from the last stop back to the first; may be empty"""
    speed_kmh: SpeedKmh = 35.0
    """average speed between stops; the dwell at stops comes on top"""
    running_min: PositiveMinutes | None = Field(
        None, description="end-to-end running time; overrides speed_kmh when given"
    )
    dwell_min: Minutes = Field(1.0, description="passenger dwell at every stop")
    handling_min_per_parcel: Minutes = Field(
        0.1, description="extra dwell per parcel loaded or unloaded: the delay parcels cause"
    )
    capacity_parcels: CargoSpace = Field(40, description="cargo space per trip")
    peak_trips: tuple[PeakTrip, ...] = Field(
        (), description="trips with less cargo space (at most capacity_parcels)"
    )
    fee_per_parcel_cny: CostPerKm = 0.0
    """paid to the bus operator per parcel carried"""
    fee_per_line_day_cny: CostPerDay = 10.0
    """paid to the bus operator per line and day (reports: ~10 CNY)"""
    delay_min: Distribution | None = Field(
        None, description="lateness of each trip's departure; none when absent"
    )
    full_cargo_share: Share = Field(
        0.1,
        description="share of the bus's CO2 attributed to parcels when the cargo space is "
        "full over the whole line; scales with parcel-km carried",
    )
    co2_per_km_kg: Co2PerKm = 0.9
    """the whole bus's CO2 per km; parcels are charged a part of it (full_cargo_share)"""

    @model_validator(mode="after")
    def _timetable(self) -> BusTimetable:
        _ascending(self.departures_out, "departures_out")
        _ascending(self.departures_back, "departures_back")
        for index, trip in enumerate(self.peak_trips):
            times = self.departures_out if trip.direction == "out" else self.departures_back
            if trip.departure not in times:
                raise ValueError(
                    f"peak trip {format_clock(trip.departure)} ({trip.direction}) is not "
                    f"one of the departures_{trip.direction}"
                )
            # A peak trip is a normal trip crowded with passengers: it has less room.
            if trip.capacity_parcels > self.capacity_parcels:
                raise ValueError(
                    f"peak_trips.{index}.capacity_parcels ({trip.capacity_parcels}) is more "
                    f"than capacity_parcels ({self.capacity_parcels}); a peak trip is full of "
                    "passengers, so it may carry at most as many parcels as a normal trip"
                )
        return self


class BusLine(BusTimetable):
    """A bus line written out by hand: its stops are place ids of the network."""

    name: str = Field(min_length=1, max_length=100)
    """the line's name, unique among the lines"""
    stops: tuple[str, ...] = Field(min_length=2)
    """place ids in the order the outbound trips visit them (back trips: in reverse)"""

    @model_validator(mode="after")
    def _distinct(self) -> BusLine:
        if len(set(self.stops)) != len(self.stops):
            raise ValueError(f"line {self.name!r} visits a stop twice")
        return self


class Corridors(BusTimetable):
    """Bus lines generated from the network: hub -> station -> a chain of its villages."""

    townships: Literal["all"] | tuple[str, ...] = "all"
    """all, or the station ids of the townships that get lines"""
    villages_per_line: int = Field(
        8, ge=1, le=100, description="a township with more villages gets several lines"
    )


class Buses(Strict):
    """Passenger buses that carry parcels (passenger-cargo-mail integration).

    ``policy`` says which legs a bus carries where a line and another carrier both
    serve one: ``no_later`` (default) only where the bus is expected to get the
    parcels to the leg's end no later than the other carrier and has room for them,
    the other carrier's fleet planned for what is left; ``bus_first`` wherever a line
    serves the leg (the rule before issue 13, kept for comparison). See docs/buses.md.
    """

    policy: Literal["no_later", "bus_first"] = Field(
        "no_later",
        description="no_later: a leg goes by bus only when the bus is expected to arrive "
        "no later than the other carrier and has room; bus_first: by bus wherever a line "
        "serves it (docs/buses.md)",
    )
    lines: tuple[BusLine, ...] = ()
    """bus lines written out by hand"""
    corridors: Corridors | None = None
    """bus lines generated from the network; none when absent"""

    @model_validator(mode="after")
    def _names(self) -> Buses:
        names = [line.name for line in self.lines]
        if len(set(names)) != len(names):
            raise ValueError("bus line names must be unique")
        return self


class Leg(Strict):
    """One leg of every parcel's path, and who may carry it, in order of preference.

    ``by`` names fleets (any name in ``fleets``) or ``bus`` for the bus lines.
    """

    to: Literal["station", "point"]
    """where the leg ends: the township station or the village point"""
    by: tuple[CarrierName, ...] = Field(min_length=1)
    """who may carry it, in order of preference: fleet names, or bus for the bus lines"""


# Where a path's legs may end, in order: down once, to the point or stopping at the station.
_LEG_LEVELS = (["station", "point"], ["point"], ["station"])

# Named delivery models: the legs a parcel rides from the hub to its village.
DELIVERY_MODELS: dict[str, tuple[Leg, ...]] = {
    "direct": (Leg(to="point", by=("hub_van",)),),
    "via_township": (Leg(to="station", by=("trunk",)), Leg(to="point", by=("township_van",))),
    "bus": (Leg(to="point", by=("bus", "hub_van")),),
    "bus_then_township_van": (
        Leg(to="station", by=("bus", "trunk")),
        Leg(to="point", by=("township_van",)),
    ),
    "trunk_then_bus": (
        Leg(to="station", by=("trunk",)),
        Leg(to="point", by=("bus", "township_van")),
    ),
}


class Delivery(Strict):
    """Which delivery model to run.

    A named ``model`` stands for a list of ``legs`` carried by the built-in fleets;
    ``model: custom`` takes the legs from the scenario, naming any fleets. On each
    leg the first carrier in ``by`` that serves it
    carries the parcel; the next one that serves it takes over parcels that have
    waited ``fallback_after_h`` (e.g. a van for parcels a full bus left behind).
    Where ``bus`` is one of them, ``buses.policy`` decides instead.
    """

    model: Literal[
        "direct", "via_township", "bus", "bus_then_township_van", "trunk_then_bus", "custom"
    ] = "via_township"
    """a named delivery model, or custom to give the legs yourself"""
    legs: Annotated[tuple[Leg, ...], Field(min_length=1)] | None = None
    """the legs of every parcel's path, from the hub down; only with model: custom"""
    fallback_after_h: WaitHours = 4.0
    """how long a parcel waits for its carrier before the next carrier in by may take it"""

    @model_validator(mode="after")
    def _legs(self) -> Delivery:
        if self.model == "custom" and self.legs is None:
            raise ValueError(
                "model 'custom' needs legs: a list of {to: station or point, by: [carriers]}"
            )
        if self.model != "custom" and self.legs is not None:
            raise ValueError(f"legs are only read with model: custom (given model: {self.model})")
        if self.legs is not None and [leg.to for leg in self.legs] not in _LEG_LEVELS:
            raise ValueError(
                "legs must run down once: [station, point], [point], or [station] (the "
                "path stops at the township station and villagers collect there)"
            )
        return self

    @property
    def path_legs(self) -> tuple[Leg, ...]:
        """The legs of the chosen model."""
        return self.legs if self.legs is not None else DELIVERY_MODELS[self.model]


class Brand(Strict):
    """One express brand: its share of the parcels and the network that serves it.

    ``network: public`` sends its parcels through the county hub and the delivery
    model (the reform's "five unifications"). ``network: own`` gives it the status
    quo: its own depot (sorting), its own vehicles along its own ``legs``, and its own
    outlets. Legs that end at the township station stop there: villagers travel to
    the outlet to collect (``collection_delay_h``, and the trip counted in
    ``villager_trip_km``); legs that end at the village point deliver there. See
    docs/brands.md.
    """

    share: Share
    """share of the village and town parcels that are this brand's (the shares add up to 1)"""
    network: Literal["public", "own"] = "public"
    """public: the county hub and shared fleets; own: its own depot, vehicles and outlets"""
    depot: Hub = Hub()
    """own network: the brand's county depot (inspection and sorting); unused on the public one"""
    legs: Annotated[tuple[Leg, ...], Field(min_length=1)] | None = None
    """own network: the legs of its parcels' path from its depot, naming fleets (not bus);
    ending at the station means villagers collect at the brand's outlet there"""
    outlets: Literal["all"] | tuple[str, ...] = "all"
    """own network: all, or the station ids of the townships with the brand's outlet; its
    parcels for the other townships are handed to the public network"""
    collection_delay_h: Distribution = Distribution(kind="lognormal", mean=48.0, cv=0.5)
    """own network ending at the station: from reaching the outlet to the villager collecting"""
    depot_cost_per_day_cny: CostPerDay = 0.0
    """own network: the brand depot's operating cost per measured day"""
    outlet_cost_per_day_cny: CostPerDay = 0.0
    """own network: each township outlet's operating cost per measured day"""

    @model_validator(mode="after")
    def _own_fields(self) -> Brand:
        if self.network == "own" and self.legs is None:
            raise ValueError(
                "network 'own' needs legs: a list of {to: station or point, by: [fleets]} "
                "from the brand's depot (ending at station: villagers collect at its outlet)"
            )
        if self.network == "public" and self.legs is not None:
            raise ValueError("legs are only read with network: own (a public brand uses delivery)")
        if self.legs is not None:
            if [leg.to for leg in self.legs] not in _LEG_LEVELS:
                raise ValueError(
                    "legs must run down once: [station] (villagers collect at the outlet), "
                    "[point] or [station, point]"
                )
            if any(BUS in leg.by for leg in self.legs):
                raise ValueError(f"a brand's own network has no bus lines: remove {BUS!r}")
        return self

    @property
    def collects_at_outlet(self) -> bool:
        """Whether its parcels stop at the township outlet for villagers to collect."""
        return self.legs is not None and self.legs[-1].to == "station"


class Brands(RootModel[dict[str, Brand]]):
    """Express brands by name; their shares add up to 1. Empty: one public network."""

    model_config = ConfigDict(frozen=True)

    @model_validator(mode="after")
    def _shares(self) -> Brands:
        bad = [name for name in self.root if _fleet_name_problem(name) is not None]
        if bad:
            raise ValueError(
                f"brand name {bad[0]!r}: use up to 100 letters, digits, '_' and '-' "
                "(no '.', spaces or '/'), and not 'bus'"
            )
        total = sum(brand.share for brand in self.root.values())
        if self.root and abs(total - 1.0) > 1e-6:
            shares = ", ".join(f"{n} {b.share:g}" for n, b in self.root.items())
            raise ValueError(f"brand shares must add up to 1, got {total:g} ({shares})")
        return self

    def __hash__(self) -> int:
        return hash(tuple(self.root.items()))

    def items(self) -> ItemsView[str, Brand]:
        """(name, brand) pairs in the order of the file."""
        return self.root.items()


_SEASON_DATE = re.compile(r"^(?:(\d{4})-)?(\d{2})-(\d{2})$")


def _season_date(value: object) -> str:
    """Check a season bound: ``"MM-DD"`` (every year) or ``"YYYY-MM-DD"`` (that year only)."""
    if isinstance(value, date):
        return value.isoformat()
    match = _SEASON_DATE.match(str(value).strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f'a season date must look like "MM-DD" or "YYYY-MM-DD", got {value!r}')
    year, month, day = match.groups()
    try:
        # A leap year for "MM-DD", so that 02-29 is allowed every year it exists.
        date(int(year) if year else 2000, int(month), int(day))
    except ValueError:
        raise ValueError(f"no such date: {value!r}") from None
    return value.strip()


SeasonDate = Annotated[str, BeforeValidator(_season_date)]


class Season(Strict):
    """When a product is harvested: its volume is multiplied by ``factor`` between two dates.

    Bounds are inclusive. ``"MM-DD"`` bounds recur every year (a season may run over
    New Year: start later in the year than end); ``"YYYY-MM-DD"`` bounds are those
    dates only. Outside its season a product keeps its base volume (factor 1).
    """

    start: SeasonDate
    """first day of the season: MM-DD (every year) or YYYY-MM-DD"""
    end: SeasonDate
    """last day of the season: MM-DD (every year) or YYYY-MM-DD"""
    factor: PeakFactor
    """multiplies the product's volume on every day of the season"""

    @model_validator(mode="after")
    def _same_kind(self) -> Season:
        if (len(self.start) == 5) != (len(self.end) == 5):
            raise ValueError('start and end must both be "MM-DD" or both "YYYY-MM-DD"')
        if len(self.start) == 10 and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    def covers(self, day: date) -> bool:
        """True if *day* is in the season."""
        if len(self.start) == 10:
            return self.start <= day.isoformat() <= self.end
        key = day.isoformat()[5:]
        if self.start <= self.end:
            return self.start <= key <= self.end
        return key >= self.start or key <= self.end  # over New Year


class Product(Strict):
    """One kind of farm product villagers send out."""

    name: str = Field(min_length=1, max_length=100)
    """what it is (daylily, camellia oil …), as the report shows it"""
    share: Share
    """share of the outbound parcels outside any season (the shares add up to 1)"""
    season: Season | None = None
    """its harvest season; empty: the same volume all year"""
    perishable: bool = False
    """fresh produce that spoils after shelf_life_h outside cold storage"""
    shelf_life_h: float = Field(72.0, gt=0, le=8760, allow_inf_nan=False)
    """hours a perishable parcel keeps outside cold storage (ambient temperature)"""


class Outbound(Strict):
    """Farm products villagers drop off at the village points for the county hub.

    They wait at the point for the first vehicle that passes it on its way back
    towards the hub, change vehicles at stations, are sorted at the hub by an
    outbound sorting line and leave on the first outbound line-haul departure after
    sorting (docs/outbound.md).
    """

    parcels_per_capita_day: float = Field(ge=0, le=10, allow_inf_nan=False)
    """mean outbound parcels per resident per day outside any season"""
    products: tuple[Product, ...] = Field(min_length=1)
    """the products and their shares, seasons and shelf lives"""
    drop_off: tuple[Shift, ...] = (Shift(start="08:00", end="17:00"),)
    """daily windows in which villagers drop parcels off at the point (spread evenly)"""
    sorting: Sorting = Sorting(rate_per_h=2000.0)
    """the hub's outbound sorting: a line of its own with its own shifts"""
    linehaul_departures: ClockTimes
    """outbound line-haul departures from the hub ("HH:MM"): a parcel sorted by one leaves on it"""

    @field_validator("products")
    @classmethod
    def _shares(cls, products: tuple[Product, ...]) -> tuple[Product, ...]:
        total = sum(p.share for p in products)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"the products' shares must add up to 1, got {total:g}")
        names = [p.name for p in products]
        if len(set(names)) != len(names):
            raise ValueError("product names must differ")
        return products

    @field_validator("drop_off")
    @classmethod
    def _windows(cls, windows: tuple[Shift, ...]) -> tuple[Shift, ...]:
        if not windows:
            raise ValueError("needs at least one window")
        for a, b in zip(windows, windows[1:], strict=False):
            if b.start < a.end:
                raise ValueError("windows must be in clock order and must not overlap")
        return windows

    @field_validator("linehaul_departures")
    @classmethod
    def _departures(cls, times: tuple[float, ...]) -> tuple[float, ...]:
        return _ascending(times, "linehaul_departures")


class Scenario(Strict):
    """A complete, validated scenario."""

    name: ScenarioName = "scenario"
    """names the scenario in tables and its results folder"""
    title: Annotated[str, AfterValidator(_one_line)] = Field("", max_length=120)
    """how the report, its figures and the terminal legend name the scenario for people
    (e.g. "Via township (hub → station → village)"); empty: the name"""
    description: str = ""
    """free text for the reader, shown in the report"""
    seed: int = Field(1, ge=0, le=2**63 - 1)
    """seed of the random numbers: same seed, same results; each replication derives its own"""
    horizon: Horizon = Horizon()
    """how long to simulate and which days count"""
    network: Network = Network()
    """the county's places and road distances"""
    demand: Demand = Demand()
    """inbound parcels arriving at the county hub"""
    hub: Hub = Hub()
    """inspection and sorting at the county hub"""
    fleets: Fleets = Fleets.model_validate({})
    """vehicle fleets by name: the built-in ones and any a scenario adds"""
    routing: Routing = Routing()
    """how vehicle routes are planned"""
    stations: Stations = Stations()
    """township stations"""
    points: Points = Points()
    """village service points"""
    buses: Buses = Buses()
    """passenger buses that carry parcels"""
    delivery: Delivery = Delivery()
    """which delivery model to run"""
    costs: Costs = Costs()
    """operating costs of the hub, stations and points, fees and subsidies"""
    outbound: Outbound | None = None
    """farm products from the villages to the hub (first kilometre); empty: inbound only"""
    brands: Brands = Brands({})
    """express brands, their shares and networks (docs/brands.md); empty: one public network"""

    @model_serializer(mode="wrap")
    def _without_empty_brands(self, handler: SerializerFunctionWrapHandler) -> dict:
        # A scenario without brands is written as before they existed, so its
        # fingerprint (baselines, --resume) and resolved YAML do not change.
        dumped = handler(self)
        if isinstance(dumped, dict) and not self.brands.root:
            dumped.pop("brands", None)
        return dumped

    @model_validator(mode="after")
    def _carriers_fit_legs(self) -> Scenario:
        problems = carrier_problems(self.delivery, self.fleets)
        problems += connection_problems(self.delivery, self.fleets)
        problems += brand_problems(self.brands, self.fleets)
        problems += season_problems(self.horizon, self.outbound)
        problems += peak_date_problems(self.horizon, self.demand)
        if self.outbound is not None and any(b.network == "own" for b in self.brands.root.values()):
            # Not modelled yet: which brand's vehicles would carry the farm products back.
            message = (
                "farm products (outbound) ride the public network only: give every brand "
                "network: public, or leave out the outbound section"
            )
            problems.append(_problem(("outbound",), message, "outbound"))
        if problems:
            # Raised as a ValidationError so that each problem keeps its own YAML path.
            raise ValidationError.from_exception_data("Scenario", problems)
        return self


def _carrier_problem(fleets: Fleets, start: str, leg: Leg, name: str) -> str | None:
    """What is wrong with carrier *name* on *leg* starting at level *start*, or ``None``."""
    if name == BUS:
        return None
    fleet = fleets.get(name)
    if fleet is None:
        return (
            f"no fleet {name!r} (fleets: {', '.join(fleets)}; {BUS!r} for the bus "
            f"lines); add it under fleets with from_level {start!r} and to_level "
            f"{leg.to!r}"
        )
    if (fleet.from_level, fleet.to_level) != (start, leg.to):
        able = [n for n, f in fleets.items() if (f.from_level, f.to_level) == (start, leg.to)]
        others = f"fleets that run {start} → {leg.to}: {', '.join(able) or 'none'}; or {BUS!r}"
        return f"fleet {name!r} runs {fleet.runs}, but this leg goes {start} → {leg.to} ({others})"
    return None


def carrier_problems(delivery: Delivery, fleets: Fleets) -> list[InitErrorDetails]:
    """Every carrier of every leg that is not a fleet or cannot run that leg.

    A leg starts where the one before it ended (the first at the hub); a fleet can
    carry it only if it runs from that level to the leg's destination. ``bus`` can
    carry any leg: whether a line serves a village is known only once it is planned.
    """
    problems: list[InitErrorDetails] = []
    start = "hub"
    for k, leg in enumerate(delivery.path_legs):
        for name in leg.by:
            problem = _carrier_problem(fleets, start, leg, name)
            if problem is None:
                continue
            if delivery.legs is None:
                # A named model has no legs in the file: point at the model and the fleet.
                loc: tuple[str | int, ...] = ("delivery", "model")
                problem = (
                    f"model {delivery.model!r} carries its leg to the {leg.to} by {name!r}: "
                    f"{problem}; "
                    f"check fleets.{name}.from_level and to_level, or use model: custom"
                )
            else:
                loc = ("delivery", "legs", k, "by")
            problems.append(_problem(loc, problem, name))
        start = leg.to
    return problems


def brand_problems(brands: Brands, fleets: Fleets) -> list[InitErrorDetails]:
    """Every carrier of an own-network brand's legs that is not a fleet or cannot run the leg.

    A brand's depot is at the hub level, so its first leg starts there, as the
    delivery model's does.
    """
    problems: list[InitErrorDetails] = []
    for brand_name, brand in brands.items():
        start = "hub"
        own = {name for leg in brand.legs or () for name in leg.by}
        for k, leg in enumerate(brand.legs or ()):
            for i, name in enumerate(leg.by):
                problem = _carrier_problem(fleets, start, leg, name)
                fleet = fleets.get(name)
                rule = fleet.departures if fleet is not None else None
                if problem is None and isinstance(rule, Connection) and rule.after not in own:
                    # Its own network has only its own vehicles to wait for.
                    problem = (
                        f"fleet {name!r} leaves after {rule.after!r}, which carries none of "
                        f"this brand's parcels (its fleets: {', '.join(sorted(own))}); give "
                        f"{name!r} clock times or add a fleet of its own that waits for "
                        "one of those"
                    )
                if problem is not None:
                    loc = ("brands", brand_name, "legs", k, "by", i)
                    problems.append(_problem(loc, f"brand {brand_name!r}: {problem}", name))
            start = leg.to
    return problems


def _feeding_chain(fleets: Fleets, name: str) -> list[str]:
    """*name*, the fleet it waits for, the one that fleet waits for, ... (a cycle ends it)."""
    chain = [name]
    while True:
        fleet = fleets.get(chain[-1])
        if fleet is None or not isinstance(fleet.departures, Connection):
            return chain
        chain.append(fleet.departures.after)
        if chain[-1] in chain[:-1]:
            return chain


def connection_problems(delivery: Delivery, fleets: Fleets) -> list[InitErrorDetails]:
    """Every connecting timetable that names no fleet, a cycle, or a fleet that cannot feed it.

    A fleet leaving *after* another waits for it at its own depots, so the feeding fleet
    must deliver to that level (its ``to_level`` is this fleet's ``from_level``), and,
    when this fleet carries parcels in the delivery model, carry parcels there too.
    """
    problems: list[InitErrorDetails] = []
    in_model = {c for leg in delivery.path_legs for c in leg.by if c != BUS}
    for name, fleet in fleets.items():
        rule = fleet.departures
        if not isinstance(rule, Connection):
            continue
        feeder = fleets.get(rule.after)
        chain = _feeding_chain(fleets, name)
        level = fleet.from_level
        able = [n for n, f in fleets.items() if f.to_level == level and n != name]
        if feeder is None:
            problem = (
                f"no fleet {rule.after!r} to leave after (fleets: {', '.join(fleets)}); "
                f"name a fleet that delivers to the {level}s: {', '.join(able) or 'none'}"
            )
        elif chain[-1] in chain[:-1]:
            problem = (
                f"the fleets wait for each other in a circle ({' → '.join(chain)}), so no "
                "timetable can be derived; give one of them clock times"
            )
        elif feeder.to_level != level:
            problem = (
                f"fleet {rule.after!r} runs {feeder.runs}, so it never reaches the depots "
                f"of {name!r} (at the {level}); name a fleet that delivers to the {level}s: "
                f"{', '.join(able) or 'none'}"
            )
        elif name in in_model and rule.after not in in_model:
            problem = (
                f"fleet {rule.after!r} carries no parcels in delivery model "
                f"{delivery.model!r} (its fleets: {', '.join(sorted(in_model))}), so "
                f"{name!r} would wait for vehicles that bring nothing; name one of those"
            )
        else:
            continue
        problems.append(_problem(("fleets", name, "departures", "after"), problem, rule.after))
    return problems


def peak_date_problems(horizon: Horizon, demand: Demand) -> list[InitErrorDetails]:
    """Peaks given by date: each becomes its day number, counted from ``horizon.start_date``.

    The day number is filled into the peak's ``start_day`` (so the engine, the resolved
    scenario and the report see day numbers); a peak giving both must give the same day.
    """
    problems = []
    for i, peak in enumerate(demand.peaks):
        if peak.start_date is None:
            continue
        loc = ("demand", "peaks", i, "start_date")
        given = peak.start_date.isoformat()
        if horizon.start_date is None:
            if peak.start_day is None:  # (given both, as resolved: part of a scenario)
                text = "a peak by date needs horizon.start_date (the date of day 0), or start_day"
                problems.append(_problem(loc, text, given))
            continue
        day = (peak.start_date - horizon.start_date).days
        if day < 0:
            text = f"is before horizon.start_date ({horizon.start_date.isoformat()})"
            problems.append(_problem(loc, text, given))
        elif peak.start_day is not None and peak.start_day != day:
            text = f"is day {day}, but start_day gives {peak.start_day}: give one of them"
            problems.append(_problem(loc, text, given))
        elif day > 3660:
            problems.append(_problem(loc, "is more than 3660 days after horizon.start_date", given))
        else:
            # Validated once and frozen after: the day number is filled in here, in place.
            object.__setattr__(peak, "start_day", day)
            peak.__pydantic_fields_set__.add("start_day")
    return problems


def season_problems(horizon: Horizon, outbound: Outbound | None) -> list[InitErrorDetails]:
    """Seasons need a calendar: a product with a season needs ``horizon.start_date``."""
    if outbound is None or horizon.start_date is not None:
        return []
    return [
        _problem(
            ("outbound", "products", i, "season"),
            "a season falls on dates, so horizon.start_date must say which date day 0 is",
            product.season.model_dump(),
        )
        for i, product in enumerate(outbound.products)
        if product.season is not None
    ]
