"""Over which days the report's numbers are: the period of every total.

Totals — vehicle-km and -hours, costs, fees, CO₂ — are sums over the **measured days**:
the scenario's ``horizon.days`` less its ``warmup_days`` (the drain days that follow
only let the measured parcels finish). The report says so wherever a total is shown and
gives it per measured day beside it; the "How sure" text counts the days as the daily
figure shades them.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np

from sim.analysis.compare import format_number
from sim.analysis.directions import unit
from sim.analysis.kpi_table import TOTAL_KPIS
from sim.report.i18n import tr, unit_text
from sim.results.reader import Results


@dataclass(frozen=True)
class Period:
    """The days of one scenario's replications.

    Attributes
    ----------
    warmup, measured, drain : int
        Warm-up days (left out), measured days (their parcels make the numbers; totals
        are over them) and drain days (no new parcels).
    """

    warmup: int
    measured: int
    drain: int

    @property
    def simulated(self) -> int:
        """Every simulated day: warm-up, measured and drain."""
        return self.warmup + self.measured + self.drain


def period(results: Results, name: str | None = None) -> Period | None:
    """The period of a scenario (default: the reference), from its resolved scenario.

    None when the folder does not say (a results folder of an older ruralsim may lack
    the resolved scenario).
    """
    scenario = results.scenarios.get(name or results.reference)
    horizon = scenario.get("horizon") if isinstance(scenario, dict) else None
    if not isinstance(horizon, dict):
        return None
    values = [horizon.get(key) for key in ("days", "warmup_days", "drain_days")]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
        return None
    days, warmup, drain = values
    if days <= warmup:
        return None
    return Period(warmup, days - warmup, drain)


def is_total(kpi: str) -> bool:
    """A sum over the measured days (shown with its period and per day)."""
    return kpi in TOTAL_KPIS


def how_fields(results: Results) -> dict[str, str]:
    """The day counts of the "How sure" text (``?`` where the folder does not say)."""
    found = period(results)
    if found is None:
        return {"simulated": "?", "warmup": "?", "measured": "?", "drain": "?"}
    return {
        "simulated": str(found.simulated),
        "warmup": str(found.warmup),
        "measured": str(found.measured),
        "drain": str(found.drain),
    }


def per_day_html(results: Results, name: str, kpi: str, mean: float, lang: str) -> str:
    """A total's mean per measured day, for its table cell ("" for other KPIs)."""
    found = period(results, name)
    if not is_total(kpi) or found is None or not np.isfinite(mean):
        return ""
    the_unit = unit_text(unit(kpi), lang)
    value = f"{format_number(mean / found.measured)} {the_unit}".strip()
    return f'<span class="per-day">{escape(tr("per_day", lang, value=value))}</span>'
