"""Regression checks: the statistical rule (baseline files and options: :mod:`sim.checking`).

A *baseline* is one scenario's KPIs over a set of replications, stored as JSON;
a *check* runs the scenario again and asks, KPI by KPI, whether the new
replications are worse than the stored ones beyond what noise explains.

The rule
--------
Let *k* be the number of KPIs checked per scenario and α the check's level
(default 0.01). For each checked KPI, with the new replications *x*
(n₁ finite values) and the baseline's *y* (n₂), a **regression** is flagged
when all three hold:

(a) the new mean is worse: ``mean(x) - mean(y)`` points in the KPI's bad
    direction (up for a lead time, down for an on-time share);
(b) a one-sided Welch t-test (unequal variances) rejects "not worse" at level
    α/k: ``t = (mean(x) - mean(y)) / sqrt(s₁²/n₁ + s₂²/n₂)`` with
    Welch–Satterthwaite degrees of freedom
    ``(s₁²/n₁ + s₂²/n₂)² / ((s₁²/n₁)²/(n₁-1) + (s₂²/n₂)²/(n₂-1))``, and
    p = P(T ≥ t) when higher is worse, P(T ≤ t) when lower is worse. Testing
    each of the *k* KPIs at α/k (Bonferroni) keeps the probability of any false
    alarm for a scenario at most α, however the KPIs are correlated;
(c) the change is larger than the KPI's minimum practical effect:
    ``|mean(x) - mean(y)| > max(absolute, relative × |mean(y)|)``.

An **improvement** is the mirror image: the mean moved in the good direction,
the one-sided test in that direction rejects at α/k, and the change exceeds the
minimum effect. It is reported, never a failure. Anything else is **ok**. A KPI
with fewer than two finite values on either side (or missing from the baseline)
is **not comparable**, which is reported but is not a failure either.

Zero variance. When both samples are constant the t statistic is undefined:
equal constants are "identical" (ok, no p-value), and different constants are
a deterministic shift, treated as significant (p = 0 in the direction of the
shift), so only the minimum effect decides. When only one side is constant
Welch's formula is well defined and is used as is.

Both samples of a check run with the same seed share their random numbers
(common random numbers). They are then positively correlated, which makes the
Welch test conservative (fewer false alarms, a little less power), never
anti-conservative; an unchanged scenario and code reproduce the baseline
exactly and every KPI is "identical".

Default minimum effects: lead and door times (KPIs in hours) 0.25 h and 2% of
the baseline mean, whichever is larger; shares 1 percentage point (0.01); any
other KPI 2% of the baseline mean.

These functions work on KPI tables and plain numbers; they never run a simulation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from sim.analysis import kpi_table
from sim.analysis.compare import format_number, p_text
from sim.analysis.directions import HIGHER, is_share, unit
from sim.analysis.stats import t_interval
from sim.results import null_to_nan

DEFAULT_LEVEL = 0.01
"""Default α: the largest probability of a false alarm per scenario."""
CI_LEVEL = 0.95
"""Confidence level of the intervals shown and stored."""
DEFAULT_KPIS = (
    "lead_time_mean_h",
    "lead_time_p50_h",
    "lead_time_p90_h",
    "lead_time_p95_h",
    "door_time_mean_h",
    "on_time_24h_share",
    "on_time_48h_share",
)
"""KPIs checked when none are named: the delivery times and the on-time shares."""

Worse = Literal["higher", "lower"]
Verdict = Literal["ok", "regressed", "improved", "not comparable"]


# --------------------------------------------------------------------------- the rule


@dataclass(frozen=True)
class MinEffect:
    """Smallest change of a KPI that counts, in absolute and relative terms.

    Attributes
    ----------
    absolute : float
        In the KPI's own units (hours; shares as fractions, 0.01 = 1 percentage point).
    relative : float
        As a fraction of the baseline mean's absolute value (0.02 = 2%).
    """

    absolute: float = 0.0
    relative: float = 0.0

    def threshold(self, baseline_mean: float) -> float:
        """The change a KPI must exceed: ``max(absolute, relative × |baseline mean|)``.

        Parameters
        ----------
        baseline_mean : float
            Mean of the baseline replications.

        Returns
        -------
        float
            The threshold, in the KPI's units.
        """
        relative = self.relative * abs(baseline_mean) if np.isfinite(baseline_mean) else 0.0
        return max(self.absolute, relative)

    def describe(self, kpi: str) -> str:
        """The minimum effect in words, e.g. ``"0.25 h and 2%"``."""
        parts = []
        if self.absolute:
            if is_share(kpi):
                parts.append(f"{self.absolute * 100:g} pp")
            else:
                parts.append(f"{self.absolute:g} {unit(kpi)}".strip())
        if self.relative:
            parts.append(f"{self.relative * 100:g}%")
        return " and ".join(parts) or "none"


def default_min_effect(kpi: str) -> MinEffect:
    """The default minimum practical effect of a KPI.

    Parameters
    ----------
    kpi : str
        KPI name.

    Returns
    -------
    MinEffect
        From the KPI table (:mod:`sim.analysis.kpi_table`): shares (also utilisation
        and load factors) 1 percentage point; KPIs in hours 0.25 h and 2%; others
        (and a KPI the table does not know) 2%.
    """
    record = kpi_table.get(kpi)
    absolute, relative = record.min_effect if record is not None else (0.0, 0.02)
    return MinEffect(absolute=absolute, relative=relative)


@dataclass(frozen=True)
class KpiRule:
    """How one KPI is checked.

    Attributes
    ----------
    kpi : str
        KPI name.
    worse : {"higher", "lower"}
        Which way is worse.
    min_effect : MinEffect
        The smallest change that counts.
    """

    kpi: str
    worse: Worse
    min_effect: MinEffect


@dataclass(frozen=True)
class Rule:
    """The checked KPIs and the level.

    Attributes
    ----------
    kpis : tuple of KpiRule
        One per checked KPI, in order.
    level : float
        α, the largest probability of a false alarm per scenario.
    """

    kpis: tuple[KpiRule, ...]
    level: float = DEFAULT_LEVEL

    @property
    def per_kpi_level(self) -> float:
        """α/k: the level each KPI's one-sided test is run at (Bonferroni)."""
        return self.level / len(self.kpis)


@dataclass(frozen=True)
class Welch:
    """A one-sided Welch t-test of "the new mean is worse".

    Attributes
    ----------
    difference : float
        ``mean(new) - mean(baseline)``.
    t : float
        The t statistic (±inf for a deterministic shift, NaN for identical constants).
    df : float
        Welch–Satterthwaite degrees of freedom (NaN when both samples are constant).
    p_worse : float
        One-sided p-value of "worse" (P(T ≥ t) when higher is worse, P(T ≤ t) when
        lower is); NaN for identical constants.
    p_better : float
        One-sided p-value of "better", the other tail.
    """

    difference: float
    t: float
    df: float
    p_worse: float
    p_better: float


def welch_worse(new: Sequence[float], baseline: Sequence[float], worse: Worse) -> Welch:
    """One-sided Welch t-test (unequal variances) of "new is worse than baseline".

    Parameters
    ----------
    new, baseline : array-like of float
        Replication values, at least two each (finite).
    worse : {"higher", "lower"}
        Which way is worse.

    Returns
    -------
    Welch
        Difference, t, degrees of freedom and both one-sided p-values. When both
        samples are constant: equal constants give NaN p-values, different ones a
        p-value of 0 in the direction of the shift.
    """
    x = np.asarray(new, dtype=float)
    y = np.asarray(baseline, dtype=float)
    if x.size < 2 or y.size < 2:
        raise ValueError(f"Welch's test needs two values on each side, got {x.size} and {y.size}")
    difference = float(x.mean() - y.mean())
    if np.all(x == x[0]) and np.all(y == y[0]):  # both constant: no variance to test against
        if x[0] == y[0]:
            return Welch(0.0, math.nan, math.nan, math.nan, math.nan)
        difference = float(x[0] - y[0])
        t = math.copysign(math.inf, difference)
        up = 0.0 if difference > 0 else 1.0  # p-value of "higher"
        return _oriented(difference, t, math.nan, up, worse)
    from scipy import stats  # here, not at the top: ~0.7 s that most runs never need

    higher = stats.ttest_ind(x, y, equal_var=False, alternative="greater")
    return _oriented(
        difference, float(higher.statistic), float(higher.df), float(higher.pvalue), worse
    )


def _oriented(difference: float, t: float, df: float, p_higher: float, worse: Worse) -> Welch:
    from scipy import stats

    p_lower = 1.0 - p_higher if math.isnan(df) else float(stats.t.cdf(t, df))
    if worse == HIGHER:
        return Welch(difference, t, df, p_higher, p_lower)
    return Welch(difference, t, df, p_lower, p_higher)


@dataclass(frozen=True)
class KpiVerdict:
    """One KPI of one scenario, judged.

    Attributes
    ----------
    kpi : str
        KPI name.
    worse : {"higher", "lower"}
        Which way is worse.
    baseline, new : tuple of float
        ``(mean, ci_low, ci_high)``, 95% Student-t intervals over replications.
    baseline_n, new_n : int
        Finite values on each side.
    change : float
        ``new mean - baseline mean`` (NaN when not comparable).
    relative_change : float
        ``change / |baseline mean|`` (NaN when the baseline mean is 0).
    p_value : float
        One-sided Welch p-value in the direction the mean moved (NaN when
        identical or not comparable).
    alpha : float
        The level it is compared with, α/k.
    threshold : float
        The minimum effect, in the KPI's units.
    verdict : {"ok", "regressed", "improved", "not comparable"}
        The outcome.
    reason : str
        Why, in words.
    """

    kpi: str
    worse: Worse
    baseline: tuple[float, float, float]
    new: tuple[float, float, float]
    baseline_n: int
    new_n: int
    change: float
    relative_change: float
    p_value: float
    alpha: float
    threshold: float
    verdict: Verdict
    reason: str


def amount_text(kpi: str, value: float) -> str:
    """A KPI amount with its unit: ``0.30 h``, ``2.5 pp`` for a share."""
    if is_share(kpi):
        return f"{format_number(value * 100)} pp"
    name = unit(kpi)
    return f"{format_number(value)} {name}" if name else format_number(value)


def percent_text(change: float, base: float) -> str:
    """`` (+3.1%)``: a change relative to its base; empty when the base is 0 or undefined."""
    if not base or not math.isfinite(base):
        return ""
    return f" ({change / abs(base) * 100:+.1f}%)"


def finite_values(values: Iterable[float | None]) -> np.ndarray:
    """The finite numbers among *values* (None and NaN, as stored for undefined, dropped)."""
    array = np.array([null_to_nan(v) for v in values], dtype=float)
    return array[np.isfinite(array)]


def judge_kpi(
    rule: KpiRule,
    baseline: Iterable[float | None] | None,
    new: Iterable[float | None],
    alpha: float,
) -> KpiVerdict:
    """Judge one KPI: regressed, improved, ok or not comparable (see the module docstring).

    Parameters
    ----------
    rule : KpiRule
        The KPI, its worse direction and minimum effect.
    baseline : iterable of float or None, or None
        The baseline's replication values (None or NaN for a missing value); None
        when the baseline does not have this KPI.
    new : iterable of float or None
        The new replication values.
    alpha : float
        Level of the one-sided test (α/k).

    Returns
    -------
    KpiVerdict
        The verdict and the numbers behind it.
    """
    kpi = rule.kpi
    y = finite_values(baseline if baseline is not None else [])
    x = finite_values(new)
    base_ci, new_ci = t_interval(y, CI_LEVEL), t_interval(x, CI_LEVEL)
    base_mean = base_ci[0]
    threshold = rule.min_effect.threshold(base_mean)

    def verdict(outcome: Verdict, reason: str, change=math.nan, p=math.nan) -> KpiVerdict:
        relative = change / abs(base_mean) if base_mean and math.isfinite(base_mean) else math.nan
        return KpiVerdict(
            kpi,
            rule.worse,
            base_ci,
            new_ci,
            int(y.size),
            int(x.size),
            change,
            relative,
            p,
            alpha,
            threshold,
            outcome,
            reason,
        )

    if baseline is None:
        return verdict("not comparable", "the baseline file has no values for this KPI")
    if x.size < 2 or y.size < 2:
        return verdict(
            "not comparable",
            f"needs 2 replications with a value on each side (baseline {y.size}, new {x.size})",
        )
    test = welch_worse(x, y, rule.worse)
    change = test.difference
    if x.size == y.size and np.array_equal(x, y):
        return verdict("ok", "identical in every replication", 0.0)
    if math.isnan(test.p_worse):
        return verdict("ok", "the same constant value in every replication", 0.0)
    if change == 0:
        return verdict("ok", "no change in the mean", 0.0)
    is_worse = (change > 0) == (rule.worse == HIGHER)
    p = test.p_worse if is_worse else test.p_better
    size = amount_text(kpi, abs(change))
    if abs(change) <= threshold:
        return verdict(
            "ok",
            f"{'worse' if is_worse else 'better'} by {size}, not more than the minimum "
            f"effect {amount_text(kpi, threshold)}",
            change,
            p,
        )
    if not p < alpha:
        return verdict(
            "ok",
            f"{'worse' if is_worse else 'better'} by {size}, within noise "
            f"({p_text(p)}, not below {alpha:.3g})",
            change,
            p,
        )
    if math.isnan(test.df):
        evidence = "constant on both sides, a deterministic shift"
    else:
        evidence = f"one-sided Welch {p_text(p)}, below the level {alpha:.3g}"
    return verdict(
        "regressed" if is_worse else "improved",
        f"{'worse' if is_worse else 'better'} by {size}{percent_text(change, base_mean)}: "
        f"{evidence}; beyond the minimum effect {amount_text(kpi, threshold)}",
        change,
        p,
    )


def check_kpis(
    rule: Rule, baseline: Mapping[str, Sequence[float | None]], new: pd.DataFrame
) -> list[KpiVerdict]:
    """Judge every KPI of a rule.

    Parameters
    ----------
    rule : Rule
        KPIs, directions, minimum effects and level.
    baseline : mapping of str to sequence
        KPI -> the baseline's replication values (see :meth:`Baseline.values`).
    new : DataFrame
        The new KPI table, one row per replication, one column per KPI.

    Returns
    -------
    list of KpiVerdict
        One per KPI of the rule, in order.
    """
    alpha = rule.per_kpi_level
    return [
        judge_kpi(kpi_rule, baseline.get(kpi_rule.kpi), new[kpi_rule.kpi].tolist(), alpha)
        for kpi_rule in rule.kpis
    ]
