"""Regression checks: the statistical rule and the baseline file format.

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

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy import stats

from sim.analysis import kpi_table
from sim.analysis.compare import format_number, p_text, p_value_text
from sim.analysis.directions import HIGHER, LOWER, direction, is_share, unit
from sim.analysis.kpis import KPI_NAMES
from sim.analysis.stats import t_interval
from sim.results import MAX_SEED, nan_to_null, null_to_nan, write_json

FORMAT = "ruralsim-baseline"
"""Value of the ``format`` field of every baseline file."""
FORMAT_VERSION = 1
"""Baseline file format this version writes and reads."""
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
MAX_BASELINE_BYTES = 32 * 2**20
"""Largest baseline file read (a real one is a few tens of kilobytes)."""
MAX_BASELINE_DEPTH = 32
"""Deepest nesting of lists and mappings read from a baseline file (a real one: about 6)."""
MAX_BASELINE_REPLICATIONS = 10_000
"""Most replications a baseline may hold (a check reruns as many)."""

Worse = Literal["higher", "lower"]
Verdict = Literal["ok", "regressed", "improved", "not comparable"]

_WORSE_SUFFIXES = {"higher-is-worse": HIGHER, "lower-is-worse": LOWER}


class CheckError(ValueError):
    """Bad input to a regression check: arguments, scenarios or baseline files."""


class BaselineError(CheckError):
    """A baseline file is missing, unreadable, corrupt or for another scenario."""


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


def parse_kpi(text: str) -> tuple[str, Worse | None]:
    """Read a ``--kpi`` value: ``NAME``, ``NAME:higher-is-worse`` or ``NAME:lower-is-worse``.

    Parameters
    ----------
    text : str
        The value given.

    Returns
    -------
    tuple
        The KPI name and the worse direction (None: take it from the KPI's good
        direction).

    Raises
    ------
    CheckError
        For an unknown KPI or suffix.
    """
    name, _, suffix = text.strip().partition(":")
    if name not in KPI_NAMES:
        raise CheckError(f"--kpi {text}: unknown KPI {name!r} (known: {', '.join(KPI_NAMES)})")
    if not suffix:
        return name, None
    if suffix not in _WORSE_SUFFIXES:
        raise CheckError(
            f"--kpi {text}: {suffix!r} is not a direction; write {name}:higher-is-worse "
            f"or {name}:lower-is-worse"
        )
    return name, _WORSE_SUFFIXES[suffix]


_PART = re.compile(r"^(?P<number>[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)\s*(?P<unit>%|pp)?$")


def parse_min_effect(text: str) -> tuple[str, MinEffect]:
    """Read a ``--min-effect`` value: ``KPI=PART[,PART]``.

    A part is a number in the KPI's units (absolute; for a share also ``Npp``,
    percentage points) or ``N%`` (relative to the baseline mean). A part left
    out is zero: the value replaces the KPI's default entirely.

    Parameters
    ----------
    text : str
        E.g. ``lead_time_p90_h=0.5,5%``, ``on_time_24h_share=2pp``, ``door_time_mean_h=0``.

    Returns
    -------
    tuple
        The KPI name and its minimum effect.

    Raises
    ------
    CheckError
        For a malformed value, an unknown KPI or a negative amount.
    """
    name, sep, value = text.partition("=")
    name = name.strip()
    example = "e.g. lead_time_p90_h=0.5,5% or on_time_24h_share=2pp"
    if not sep or not value.strip():
        raise CheckError(f"--min-effect {text}: expected KPI=VALUE, {example}")
    if name not in KPI_NAMES:
        raise CheckError(
            f"--min-effect {text}: unknown KPI {name!r} (known: {', '.join(KPI_NAMES)})"
        )
    absolute = relative = None
    for part in value.split(","):
        match = _PART.match(part.strip())
        if match is None:
            raise CheckError(
                f"--min-effect {text}: cannot read {part.strip()!r}; a part is a number in "
                f"the KPI's units, N% (relative) or, for a share, Npp ({example})"
            )
        number, kind = float(match["number"]), match["unit"]
        if not math.isfinite(number) or number < 0:
            raise CheckError(f"--min-effect {text}: must be 0 or more, got {part.strip()}")
        if kind == "pp" and not is_share(name):
            raise CheckError(
                f"--min-effect {text}: pp (percentage points) applies only to shares; "
                f"give {name} in {unit(name) or 'its units'}"
            )
        if kind == "%":
            if relative is not None:
                raise CheckError(f"--min-effect {text}: two relative parts")
            relative = number / 100
        else:
            if absolute is not None:
                raise CheckError(f"--min-effect {text}: two absolute parts")
            absolute = number / 100 if kind == "pp" else number
    return name, MinEffect(absolute or 0.0, relative or 0.0)


def make_rule(
    kpis: Iterable[str] | None = None,
    level: float = DEFAULT_LEVEL,
    min_effects: Mapping[str, MinEffect] | Iterable[str] | None = None,
) -> Rule:
    """Build and check a rule from command-line style options.

    Parameters
    ----------
    kpis : iterable of str, optional
        ``--kpi`` values (see :func:`parse_kpi`); default :data:`DEFAULT_KPIS`.
    level : float, optional
        α, in (0, 0.5]; default 0.01.
    min_effects : mapping or iterable of str, optional
        KPI -> :class:`MinEffect`, or ``--min-effect`` strings (see
        :func:`parse_min_effect`); every KPI named must be checked.

    Returns
    -------
    Rule
        The rule.

    Raises
    ------
    CheckError
        For a bad KPI, level or minimum effect.
    """
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level <= 0.5:
        raise CheckError(f"--level must be above 0 and at most 0.5, got {level!r}")
    specs: dict[str, Worse | None] = {}
    for text in DEFAULT_KPIS if kpis is None else kpis:
        name, worse = parse_kpi(text)
        if name in specs and specs[name] != worse:
            raise CheckError(f"--kpi {name} is given twice with different directions")
        specs[name] = worse
    if not specs:
        raise CheckError("no KPI to check")
    effects: dict[str, MinEffect] = {}
    if isinstance(min_effects, Mapping):
        effects = dict(min_effects)
        for name, effect in effects.items():
            parts = (effect.absolute, effect.relative) if isinstance(effect, MinEffect) else ()
            if not parts or not all(math.isfinite(v) and v >= 0 for v in parts):
                raise CheckError(
                    f"minimum effect of {name}: expected a MinEffect with parts of 0 or more, "
                    f"got {effect!r}"
                )
    elif min_effects is not None:
        for text in min_effects:
            name, effect = parse_min_effect(text)
            if name in effects:
                raise CheckError(f"--min-effect {name} is given twice")
            effects[name] = effect
    unchecked = [name for name in effects if name not in specs]
    if unchecked:
        raise CheckError(
            f"--min-effect names {', '.join(unchecked)}, which is not checked "
            f"(add --kpi {unchecked[0]}; checked: {', '.join(specs)})"
        )
    rules = []
    for name, worse in specs.items():
        if worse is None:
            good = direction(name)
            if good not in (HIGHER, LOWER):
                raise CheckError(
                    f"--kpi {name}: this KPI has no better or worse direction; say which way "
                    f"is worse: --kpi {name}:higher-is-worse or --kpi {name}:lower-is-worse"
                )
            worse = HIGHER if good == LOWER else LOWER
        rules.append(KpiRule(name, worse, effects.get(name, default_min_effect(name))))
    return Rule(tuple(rules), float(level))


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
    higher = stats.ttest_ind(x, y, equal_var=False, alternative="greater")
    return _oriented(
        difference, float(higher.statistic), float(higher.df), float(higher.pvalue), worse
    )


def _oriented(difference: float, t: float, df: float, p_higher: float, worse: Worse) -> Welch:
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


def _finite(values: Iterable[float | None]) -> np.ndarray:
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
    y = _finite(baseline if baseline is not None else [])
    x = _finite(new)
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
    size = _amount(kpi, abs(change))
    if abs(change) <= threshold:
        return verdict(
            "ok",
            f"{'worse' if is_worse else 'better'} by {size}, not more than the minimum "
            f"effect {_amount(kpi, threshold)}",
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
        f"{'worse' if is_worse else 'better'} by {size}{_percent(change, base_mean)}: "
        f"{evidence}; beyond the minimum effect {_amount(kpi, threshold)}",
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


# --------------------------------------------------------------------------- words


def _amount(kpi: str, value: float) -> str:
    if is_share(kpi):
        return f"{format_number(value * 100)} pp"
    name = unit(kpi)
    return f"{format_number(value)} {name}" if name else format_number(value)


def _percent(change: float, base: float) -> str:
    if not base or not math.isfinite(base):
        return ""
    return f" ({change / abs(base) * 100:+.1f}%)"


def _mean_ci(triple: tuple[float, float, float], kpi: str) -> str:
    mean, low, high = triple
    scale = 100 if is_share(kpi) else 1
    if mean != mean:
        return "n/a"
    text = format_number(mean * scale, 4)
    if low == low:
        for digits in range(4, 7):  # enough figures to tell the ends apart
            a, b = format_number(low * scale, digits), format_number(high * scale, digits)
            if a != b or low == high:
                break
        text += f" [{a}, {b}]"
    return text


def _change_text(item: KpiVerdict) -> str:
    if item.change != item.change:
        return "-"
    scale = 100 if is_share(item.kpi) else 1
    name = "pp" if is_share(item.kpi) else unit(item.kpi)
    if item.change == 0:
        return f"0 {name}".strip()
    text = f"{'+' if item.change > 0 else '-'}{format_number(abs(item.change) * scale)}"
    text += f" {name}" if name else ""
    if item.relative_change == item.relative_change:
        text += f" ({item.relative_change * 100:+.1f}%)"
    return text


def format_verdicts(verdicts: Sequence[KpiVerdict]) -> str:
    """The table of one scenario's check, one row per KPI.

    Columns: KPI, baseline mean [95% CI], new mean [95% CI], change (absolute and
    relative), one-sided p-value in the direction of the change, verdict. Shares
    are shown in percent, their changes in percentage points.

    Parameters
    ----------
    verdicts : sequence of KpiVerdict
        From :func:`check_kpis`.

    Returns
    -------
    str
        The table; each row starts with the KPI name and ends with the verdict.
    """
    rows = [("KPI", "baseline [95% CI]", "new [95% CI]", "change", "p", "verdict")]
    for item in verdicts:
        p = p_value_text(item.p_value, missing="-")
        rows.append(
            (
                item.kpi,
                _mean_ci(item.baseline, item.kpi),
                _mean_ci(item.new, item.kpi),
                _change_text(item),
                p,
                item.verdict,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [f"{cell:<{widths[i]}}" for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1]]))
    return "\n".join(lines)


# --------------------------------------------------------------------------- baseline files


class _NotFinite:
    """Stands for NaN, Infinity or an overflowing number while a baseline file is parsed."""

    def __init__(self, text: str) -> None:
        self.text = text


def _parse_float(text: str) -> float | _NotFinite:
    value = float(text)
    return value if math.isfinite(value) else _NotFinite(text)  # 1e999 reads as inf


def _structure_problem(data: Any) -> str | None:
    """The first too-deep or non-finite value, as ``where: what`` (None if all is well).

    Walked with an explicit stack: a file nested thousands deep must not overflow
    Python's.
    """
    stack: list[tuple[Any, tuple, int]] = [(data, (), 0)]
    while stack:
        value, where, depth = stack.pop()
        place = ".".join(map(str, where)) or "the top level"
        if isinstance(value, _NotFinite):
            return (
                f"{place}: {value.text} is not a number a baseline may hold (every number "
                "must be finite; a missing value is null)"
            )
        if isinstance(value, dict | list):
            if depth >= MAX_BASELINE_DEPTH:
                return f"{place}: nested more than {MAX_BASELINE_DEPTH} levels deep"
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack += reversed([(item, (*where, key), depth + 1) for key, item in items])
    return None


class KpiRecord(BaseModel):
    """One KPI in a baseline file: every replication's value and a summary for people.

    Attributes
    ----------
    values : list of float or None
        One value per replication, in replication order (None: no value, e.g. no
        parcel delivered). The check uses these.
    mean, std, ci_low, ci_high : float or None
        Mean, sample standard deviation and 95% Student-t interval over the finite values.
    n : int
        Finite values.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    values: list[float | None]
    mean: float | None
    std: float | None
    n: int = Field(ge=0)
    ci_low: float | None
    ci_high: float | None

    @model_validator(mode="after")
    def _count(self) -> KpiRecord:
        found = sum(value is not None for value in self.values)
        if self.n != found:
            raise ValueError(f"n is {self.n}, but values holds {found} numbers")
        return self


class Baseline(BaseModel):
    """A baseline file, validated (see :func:`read_baseline`).

    Attributes
    ----------
    format : str
        Always ``"ruralsim-baseline"``.
    format_version : int
        :data:`FORMAT_VERSION`.
    scenario_name : str
        The scenario's ``name`` (the file is ``<name>.json``).
    scenario_file : str or None
        The scenario file as given when the baseline was made.
    fingerprint : str
        :func:`sim.experiments.folder.fingerprint` of the scenario: its resolved
        form and every file it reads (baselines made before ruralsim recorded the
        files: the SHA-256 of the resolved scenario alone).
    inputs : dict of str to str or None
        Every file the scenario read -> SHA-256 of its bytes (None in a baseline
        made before ruralsim recorded them).
    overrides : list of str
        ``--set`` overrides used.
    seed : int
        Root seed; replication *r* used child *r* of ``SeedSequence(seed)``.
    replications : int
        How many (at least 2).
    package_version : str
        The ruralsim version that made it.
    created_at : str
        When (ISO 8601, UTC).
    kpis : dict of str to KpiRecord
        Every KPI's values and summary.
    scenario : dict
        The fully resolved scenario.
    """

    # Strict: a JSON file has real types, so "3", 3.0 and true are not a seed.
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)

    format: Literal["ruralsim-baseline"]
    format_version: int
    scenario_name: str
    scenario_file: str | None = None
    fingerprint: str
    inputs: dict[str, str] | None = None
    overrides: list[str]
    seed: int = Field(ge=0, le=MAX_SEED)
    replications: int = Field(ge=2, le=MAX_BASELINE_REPLICATIONS)
    package_version: str
    created_at: str
    kpis: dict[str, KpiRecord]
    scenario: dict[str, Any]

    @model_validator(mode="after")
    def _lengths(self) -> Baseline:
        for name, record in self.kpis.items():
            if len(record.values) != self.replications:
                raise ValueError(
                    f"kpis.{name}.values has {len(record.values)} values, "
                    f"but replications is {self.replications}"
                )
        return self

    def values(self) -> dict[str, list[float | None]]:
        """KPI -> the replication values."""
        return {name: list(record.values) for name, record in self.kpis.items()}


def _number(value: float) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value)
    value = float(value)
    return None if math.isinf(value) else nan_to_null(value)  # a baseline holds no infinity


def baseline_record(
    *,
    scenario_name: str,
    scenario: Mapping[str, Any],
    fingerprint: str,
    overrides: Sequence[str],
    seed: int,
    table: pd.DataFrame,
    inputs: Mapping[str, str] | None = None,
    package_version: str,
    created_at: str,
    scenario_file: str | None = None,
    versions: Mapping[str, str] | None = None,
    command: str | None = None,
) -> dict:
    """The content of a baseline file (a JSON-ready dict).

    Parameters
    ----------
    scenario_name : str
        The scenario's name.
    scenario : mapping
        The fully resolved scenario (``Scenario.model_dump(mode="json")``).
    fingerprint : str
        Its fingerprint (:func:`sim.experiments.folder.fingerprint`).
    overrides : sequence of str
        ``--set`` overrides used.
    seed : int
        Root seed.
    table : DataFrame
        KPI table, one row per replication (``replication``, ``seed``, KPIs), at
        least two rows.
    inputs : mapping of str to str, optional
        The files the scenario read and their SHA-256 (``Fingerprint.inputs``).
    package_version : str
        ruralsim version.
    created_at : str
        ISO 8601 time.
    scenario_file : str, optional
        The scenario file as given.
    versions : mapping, optional
        Python and dependency versions, for the record.
    command : str, optional
        The command line, for the record.

    Returns
    -------
    dict
        Fields of :class:`Baseline` (plus ``versions``, ``command``, ``seeding``,
        ``confidence_level``), the resolved scenario last.
    """
    if len(table) < 2:
        raise CheckError(f"a baseline needs at least 2 replications, got {len(table)}")
    kpis = {}
    for name in (c for c in table.columns if c not in ("replication", "seed")):
        values = [_number(v) for v in table[name].tolist()]
        finite = _finite(values)
        mean, low, high = t_interval(finite, CI_LEVEL)
        kpis[name] = {
            "values": values,
            "mean": _number(mean),
            "std": _number(finite.std(ddof=1)) if finite.size >= 2 else None,
            "n": int(finite.size),
            "ci_low": _number(low),
            "ci_high": _number(high),
        }
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "scenario_name": scenario_name,
        "scenario_file": scenario_file,
        "fingerprint": fingerprint,
        "inputs": None if inputs is None else dict(inputs),
        "overrides": list(overrides),
        "seed": int(seed),
        "replications": len(table),
        "seeding": "replication r uses child r of numpy SeedSequence(seed)",
        "package_version": package_version,
        "versions": dict(versions or {}),
        "command": command,
        "created_at": created_at,
        "confidence_level": CI_LEVEL,
        "kpis": kpis,
        "scenario": dict(scenario),
    }


def write_baseline(path: str | Path, record: Mapping[str, Any]) -> None:
    """Write a baseline file atomically (readers see the old file or the new one).

    Parameters
    ----------
    path : str or Path
        ``DIR/<scenario name>.json``.
    record : mapping
        From :func:`baseline_record`.
    """
    Baseline.model_validate(record)  # never write what could not be read back
    write_json(Path(path), dict(record))


def read_baseline(path: str | Path) -> Baseline:
    """Read and validate a baseline file.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    Baseline
        The validated content.

    Raises
    ------
    BaselineError
        Naming the file and what is wrong: missing, unreadable, not JSON, not a
        baseline, a format version this ruralsim cannot read, or invalid fields.
    """
    path = Path(path)
    try:
        if not path.exists():
            raise BaselineError(f"{path}: no such baseline file")
        if path.is_dir():
            raise BaselineError(f"{path}: is a folder, not a baseline file")
        size = path.stat().st_size
        if size > MAX_BASELINE_BYTES:
            raise BaselineError(
                f"{path}: {size:,} bytes is too large for a baseline file "
                f"(at most {MAX_BASELINE_BYTES:,})"
            )
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise BaselineError(f"{path}: not a text file (not UTF-8)") from None
    try:
        data = json.loads(text, parse_constant=_NotFinite, parse_float=_parse_float)
    except ValueError as exc:
        raise BaselineError(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise BaselineError(
            f"{path}: nested too deeply to read (at most {MAX_BASELINE_DEPTH} levels)"
        ) from None
    problem = _structure_problem(data)
    if problem is not None:
        raise BaselineError(f"{path}: {problem}")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BaselineError(f'{path}: not a ruralsim baseline file (no "format": "{FORMAT}")')
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise BaselineError(
            f"{path}: baseline format version {version!r}; this ruralsim reads version "
            f"{FORMAT_VERSION}"
        )
    try:
        return Baseline.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:3]:
            where = ".".join(str(part) for part in error["loc"])
            message = error["msg"].removeprefix("Value error, ")  # ours, already worded
            problems.append(f"{where}: {message}" if where else message)
        more = exc.error_count() - len(problems)
        extra = f" and {more} more" if more > 0 else ""
        raise BaselineError(
            f"{path}: invalid baseline file ({'; '.join(problems)}{extra})"
        ) from None
