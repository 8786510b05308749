"""The options of ``ruralsim check``, read into a :class:`~sim.analysis.regression.Rule`.

``--kpi NAME[:higher-is-worse]``, ``--min-effect KPI=VALUE`` and ``--level``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

from sim.analysis.directions import HIGHER, LOWER, direction, is_share, unit
from sim.analysis.kpis import KPI_NAMES
from sim.analysis.regression import (
    DEFAULT_KPIS,
    DEFAULT_LEVEL,
    KpiRule,
    MinEffect,
    Rule,
    Worse,
    default_min_effect,
)
from sim.checking.errors import CheckError

_WORSE_SUFFIXES = {"higher-is-worse": HIGHER, "lower-is-worse": LOWER}


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


def parse_min_effect(text: str, option: str = "--min-effect") -> tuple[str, MinEffect]:
    """Read a ``--min-effect`` value: ``KPI=PART[,PART]``.

    A part is a number in the KPI's units (absolute; for a share also ``Npp``,
    percentage points) or ``N%`` (relative to the baseline mean). A part left
    out is zero: the value replaces the KPI's default entirely.

    Parameters
    ----------
    text : str
        E.g. ``lead_time_p90_h=0.5,5%``, ``on_time_24h_share=2pp``, ``door_time_mean_h=0``.
    option : str, optional
        The option's name, for messages (``--practical`` reads the same values).

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
        raise CheckError(f"{option} {text}: expected KPI=VALUE, {example}")
    if name not in KPI_NAMES:
        raise CheckError(f"{option} {text}: unknown KPI {name!r} (known: {', '.join(KPI_NAMES)})")
    absolute = relative = None
    for part in value.split(","):
        match = _PART.match(part.strip())
        if match is None:
            raise CheckError(
                f"{option} {text}: cannot read {part.strip()!r}; a part is a number in "
                f"the KPI's units, N% (relative) or, for a share, Npp ({example})"
            )
        number, kind = float(match["number"]), match["unit"]
        if not math.isfinite(number) or number < 0:
            raise CheckError(f"{option} {text}: must be 0 or more, got {part.strip()}")
        if kind == "pp" and not is_share(name):
            raise CheckError(
                f"{option} {text}: pp (percentage points) applies only to shares; "
                f"give {name} in {unit(name) or 'its units'}"
            )
        if kind == "%":
            if relative is not None:
                raise CheckError(f"{option} {text}: two relative parts")
            relative = number / 100
        else:
            if absolute is not None:
                raise CheckError(f"{option} {text}: two absolute parts")
            absolute = number / 100 if kind == "pp" else number
    return name, MinEffect(absolute or 0.0, relative or 0.0)


def parse_practical(text: str) -> tuple[str, tuple[float, float]]:
    """Read a ``--practical`` value (``compare``, ``report``): as :func:`parse_min_effect`.

    Returns
    -------
    tuple
        The KPI name and its practical threshold ``(absolute, relative)``, which
        replaces the KPI table's (:attr:`sim.analysis.kpi_table.Kpi.practical`).
    """
    name, effect = parse_min_effect(text, "--practical")
    return name, (effect.absolute, effect.relative)


def practical_effects(
    practical: Mapping[str, float | tuple[float, float]] | Iterable[str] | None,
) -> dict[str, tuple[float, float]]:
    """Practical thresholds from the library's or the command line's form.

    Parameters
    ----------
    practical : mapping or iterable of str, optional
        KPI -> absolute threshold in the KPI's units (shares as fractions) or
        ``(absolute, relative)``; or ``--practical`` strings (:func:`parse_practical`).

    Returns
    -------
    dict
        KPI -> ``(absolute, relative)``; empty for None.

    Raises
    ------
    CheckError
        For an unknown KPI, a KPI given twice, or a negative or non-finite part.
    """
    if practical is None:
        return {}
    if not isinstance(practical, Mapping):
        effects: dict[str, tuple[float, float]] = {}
        for text in [practical] if isinstance(practical, str) else practical:
            name, effect = parse_practical(text)
            if name in effects:
                raise CheckError(f"--practical {name} is given twice")
            effects[name] = effect
        return effects
    effects = {}
    for name, value in practical.items():
        parts = value if isinstance(value, tuple | list) else (value, 0.0)
        if name not in KPI_NAMES:
            raise CheckError(f"practical: unknown KPI {name!r} (known: {', '.join(KPI_NAMES)})")
        if (
            len(parts) != 2
            or any(isinstance(v, bool) or not isinstance(v, int | float) for v in parts)
            or not all(math.isfinite(v) and v >= 0 for v in parts)
        ):
            raise CheckError(
                f"practical threshold of {name}: expected a number of 0 or more (absolute, "
                f"in the KPI's units) or (absolute, relative), got {value!r}"
            )
        effects[name] = (float(parts[0]), float(parts[1]))
    return effects


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
