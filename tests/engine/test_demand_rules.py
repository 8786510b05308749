"""The demand generator against its documented definition, rule by rule.

README / ``sim.engine.demand``: parcels per village-day ~ Poisson(population x
``parcels_per_capita_day`` x weekday factor x peak factor); trunk trucks bring them in
``waves`` (clock time, share), each spread uniformly over ``wave_unload_min``, or
``arrivals: poisson`` spreads them uniformly over the day; a ``perishable_share`` of
them is perishable; ``urban_share`` *s* of the hub's parcels are the county town's
(destination: the hub), Poisson with mean s / (1 - s) x the villages' mean. The weekday
rule is tested in test_demand.py; here: per-village counts, peaks, waves and their
shares, Poisson arrivals, perishables and the town's share.

How big a sample detects a 2% bias. Every check below accepts a count X of expected
value m when |X - m| <= 5 sd (a false alarm about once in 1.7 million: z = 5). If the
generator were biased by 2%, X would centre on 1.02 m instead; the check then fails
with probability at least 0.999 (z = 3.09) when 0.02 m >= (5 + 3.09) sd. For a Poisson
count sd = sqrt(m), so m >= (8.09 / 0.02)^2 = 163,620 parcels; for a binomial share s
of n parcels sd = sqrt(n s (1 - s)), so n s >= 163,620 (1 - s). Each test asserts its
sample is that big. The generator is called directly (no simulation), so millions of
parcels take well under a second.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.engine.demand import inbound_day, urban_daily_parcels
from sim.engine.streams import Streams
from sim.scenario.schema import Demand

Z_ALARM, Z_POWER, BIAS = 5.0, 3.09, 0.02
NEEDED = ((Z_ALARM + Z_POWER) / BIAS) ** 2  # 163,620: Poisson mean that shows a 2% bias


def demand(**fields) -> Demand:
    return Demand.model_validate(fields)


def within(count, mean, sd):
    """The check: |count - mean| <= 5 sd; and the sample is big enough to see 2%."""
    assert BIAS * mean >= (Z_ALARM + Z_POWER) * sd, "sample too small to detect a 2% bias"
    return abs(count - mean) <= Z_ALARM * sd


def draw_days(dem, population, days, seed=1):
    """Counts per (draw, place) from ``inbound_day`` for each day in *days*, and all parcels.

    A day's parcels depend only on the day and the replication's streams, so each draw
    gets its own replication: the same day listed twice gives two independent draws.
    """
    base = np.asarray(population, dtype=float) * dem.parcels_per_capita_day
    counts = np.zeros((len(days), base.size), dtype=np.int64)
    parcels = []
    for i, day in enumerate(days):
        drawn = inbound_day(dem, base, day, Streams(seed, replication=i))
        destination, times, perishable = drawn.destination, drawn.t_hub, drawn.perishable
        counts[i] = np.bincount(destination, minlength=base.size)
        parcels.append((day, destination, times, perishable))
    return counts, parcels


# Hub, station, then three villages of different sizes (only points have residents).
POPULATION = [0, 0, 2_000, 5_000, 20_000]


def test_daily_count_per_village_is_poisson_with_the_defined_mean():
    # 2 parcels per head per day: villages expect 4,000, 10,000 and 40,000 a day.
    # 45 days give the smallest 45 x 4,000 = 180,000 >= 163,620.
    dem = demand(parcels_per_capita_day=2.0)
    days = range(45)
    counts, _ = draw_days(dem, POPULATION, days)
    assert (counts[:, :2] == 0).all()  # nobody lives at the hub or the station
    for place in (2, 3, 4):
        mean = len(days) * POPULATION[place] * 2.0
        assert within(counts[:, place].sum(), mean, np.sqrt(mean)), place
        # Poisson: variance equals the mean. The dispersion statistic sum (x - m)^2 / m
        # over 45 days is chi-square with 45 degrees of freedom (m known): its 1e-6
        # tails are about 11 and 110.
        m = POPULATION[place] * 2.0
        dispersion = ((counts[:, place] - m) ** 2 / m).sum()
        low, high = stats.chi2.ppf([1e-6, 1 - 1e-6], df=len(days))
        assert low < dispersion < high, (place, dispersion)


@pytest.mark.parametrize("arrivals", ["waves", "poisson"])
def test_peak_days_have_the_peak_factor(arrivals):
    # A peak of 3 days from day 10, factor 2.5, and a second peak overlapping its last
    # day (day 12), factor 1.2: factors multiply there. A slack day (day 20, factor 0.5)
    # thins the parcels. Weekday factors all 1 here.
    # Day:            9    10    11    12          13    14    20
    # Peak factor:    1    2.5   2.5   2.5 x 1.2   1.2   1     0.5
    dem = demand(
        parcels_per_capita_day=0.5,
        arrivals=arrivals,
        peaks=[
            {"start_day": 10, "days": 3, "factor": 2.5},
            {"start_day": 12, "days": 2, "factor": 1.2},
            {"start_day": 20, "days": 1, "factor": 0.5},
        ],
    )
    factor = {9: 1.0, 10: 2.5, 11: 2.5, 12: 2.5 * 1.2, 13: 1.2, 14: 1.0, 20: 0.5}
    population = [0, 0, 200_000]  # 100,000 a day on an ordinary day
    for day, f in factor.items():
        # Independent draws of the day: 2 x 100,000 x f >= 163,620 parcels for f >= 1;
        # 4 x 50,000 = 200,000 for f = 0.5.
        draws = 2 if f >= 1 else 4
        counts, _ = draw_days(dem, population, [day] * draws, seed=day)
        mean = draws * 200_000 * 0.5 * f
        assert within(counts.sum(), mean, np.sqrt(mean)), (day, counts.sum(), mean)


def test_peak_and_weekday_factors_multiply():
    # Weekday factors (Monday first) and a peak on days 2-3 (Wednesday, Thursday).
    weekday = [1.0, 1.0, 0.5, 2.0, 1.0, 1.0, 1.0]
    dem = demand(
        parcels_per_capita_day=1.0,
        weekday_factors=weekday,
        peaks=[{"start_day": 2, "days": 2, "factor": 3.0}],
    )
    population = [0, 0, 120_000]
    # Day 2: 120,000 x 0.5 x 3 = 180,000; day 3: 120,000 x 2 x 3 = 720,000; Wednesdays
    # outside the peak (days 9 and 16), two independent draws each: 4 x 120,000 x 0.5 =
    # 240,000.
    for days, mean in (([2], 180_000), ([3], 720_000), ([9, 9, 16, 16], 4 * 60_000)):
        counts, _ = draw_days(dem, population, days)
        assert within(counts.sum(), mean, np.sqrt(mean)), (days, counts.sum(), mean)


WAVES = [
    {"time": "05:30", "share": 0.6},
    {"time": "12:00", "share": 0.25},
    {"time": "18:00", "share": 0.15},
]


def test_waves_their_shares_and_unloading_spread():
    dem = demand(parcels_per_capita_day=1.0, waves=WAVES, wave_unload_min=45)
    # The smallest share, 0.15, needs n >= 163,620 x 0.85 / 0.15 = 927,180 parcels:
    # 1,000,000 a day for 1 day (day 3, so times are offset by 72 h).
    counts, parcels = draw_days(dem, [0, 0, 1_000_000], [3])
    ((_, destination, times, _),) = parcels
    n = times.size
    assert n == counts.sum() and (destination == 2).all()
    assert (np.diff(times) >= 0).all()  # returned in hub-arrival order
    clock = times - 72.0
    starts = np.array([5.5, 12.0, 18.0])
    unload = 45 / 60
    wave = np.searchsorted(starts, clock, side="right") - 1
    offset = clock - starts[wave]
    # Every parcel arrives inside its wave's unloading window [start, start + 45 min].
    assert (wave >= 0).all() and (offset >= 0).all() and (offset <= unload).all()
    for k, w in enumerate(WAVES):
        s = w["share"]
        got = int((wave == k).sum())
        assert within(got, n * s, np.sqrt(n * s * (1 - s))), (w, got / n)
        # Uniform over the 45 minutes: Kolmogorov-Smirnov against U(0, 0.75 h).
        p = stats.kstest(offset[wave == k], stats.uniform(0, unload).cdf).pvalue
        assert p > 1e-6, (w, p)


def test_poisson_arrivals_spread_over_the_whole_day():
    dem = demand(parcels_per_capita_day=1.0, arrivals="poisson")
    _, parcels = draw_days(dem, [0, 0, 400_000], [5])
    ((_, _, times, _),) = parcels
    clock = times - 5 * 24.0
    assert (clock >= 0).all() and (clock < 24).all()
    # Given their number, Poisson arrivals are uniform over the day: half before noon.
    # n/2 ~ 200,000 >= 163,620 x 1/2.
    n = clock.size
    morning = int((clock < 12).sum())
    assert within(morning, n / 2, np.sqrt(n / 4))
    assert stats.kstest(clock, stats.uniform(0, 24).cdf).pvalue > 1e-6


def test_perishable_share():
    # Share 0.2 needs n >= 163,620 x 0.8 / 0.2 = 654,480 parcels.
    dem = demand(parcels_per_capita_day=1.0, perishable_share=0.2)
    _, parcels = draw_days(dem, [0, 0, 700_000], [1])
    ((_, _, _, perishable),) = parcels
    n = perishable.size
    assert within(int(perishable.sum()), 0.2 * n, np.sqrt(n * 0.2 * 0.8))
    none = demand(parcels_per_capita_day=1.0, perishable_share=0.0)
    _, parcels = draw_days(none, [0, 0, 1_000], [1])
    assert not parcels[0][3].any()


def test_the_towns_parcels_are_the_urban_share_of_the_hubs():
    # s = 0.6: the town gets 0.6 / 0.4 = 1.5 parcels per village parcel. The villages
    # expect 27,000 x 0.2 = 5,400 a day, the town 8,100: 31 days give 167,400 village
    # and 251,100 town parcels (both >= 163,620); the town's share is binomial around 0.6.
    dem = demand(parcels_per_capita_day=0.2, urban_share=0.6)
    population = np.asarray(POPULATION, dtype=float)
    urban = urban_daily_parcels(dem, population)
    assert urban == pytest.approx(1.5 * population.sum() * 0.2)
    town = villages = 0
    for day in range(31):
        drawn = inbound_day(dem, population * 0.2, day, Streams(1, replication=day), urban)
        town += int(np.count_nonzero(drawn.destination == 0))
        villages += int(np.count_nonzero(drawn.destination >= 2))
    village_mean = population.sum() * 0.2 * 31
    assert within(town, 1.5 * village_mean, np.sqrt(1.5 * village_mean))
    assert within(villages, village_mean, np.sqrt(village_mean))
    total = town + villages
    assert within(town, 0.6 * total, np.sqrt(total * 0.6 * 0.4))
