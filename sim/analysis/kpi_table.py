"""The KPI table: one record per KPI, the single owner of what a KPI is.

Every KPI's name, unit, good direction, whether it is a share, whether it is a
headline KPI, its default minimum effect for ``ruralsim check``, and a short label
and one-sentence meaning in English and Chinese live here. Everything else reads
them: ``KPI_NAMES`` (:mod:`sim.analysis.kpis`), ``KPI_DIRECTIONS``,
``HEADLINE_KPIS``, :func:`~sim.analysis.directions.is_share` and
:func:`~sim.analysis.directions.unit` (:mod:`sim.analysis.directions`), the
report's labels (:mod:`sim.report.i18n`), ``ruralsim kpis`` and the README's KPI
table (:func:`markdown_table`; ``python -m sim.analysis.kpi_table --readme
README.md`` rewrites it in place).

**Shares.** A KPI is a share when its value is a fraction of a whole in [0, 1]:
the on-time shares and the bus share of parcels, and also the sorting line's
utilisation and the van and bus load factors. Shares are shown in % and their
differences in percentage points, in the terminal, the report and ``check`` alike;
``check``'s default minimum effect is 1 percentage point for every share.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal

Direction = Literal["lower", "higher", "neutral"]

LANGUAGES = ("en", "zh")
"""Languages every label and meaning is given in."""


@dataclass(frozen=True)
class Kpi:
    """What one KPI is.

    Attributes
    ----------
    name : str
        Column name in the KPI tables, e.g. ``"lead_time_p90_h"``.
    unit : str
        Unit of the value: ``"parcels"``, ``"h"``, ``"min"``, ``"CNY"``, ``"kg"``,
        ``"km"`` or ``"share"`` (a fraction in [0, 1], shown in %).
    better : str
        ``"lower"``, ``"higher"`` or ``"neutral"`` (the KPI describes the situation
        rather than judges it: a change is higher or lower, never better or worse).
    headline : bool
        Gets a verdict line and a figure by default.
    label_en, label_zh : str
        Short label, as in the report's table and figures.
    meaning_en, meaning_zh : str
        One sentence on how it is measured.
    practical : tuple of float
        ``(absolute, relative)``: the practical threshold. A paired difference no
        larger than ``max(absolute, relative × |reference mean|)`` is "no practical
        difference" (:func:`sim.analysis.compare.classify`); absolute in the KPI's
        units (shares as fractions: 0.01 is 1 percentage point), relative as a
        fraction of the reference's mean. Each record says why its value; a KPI
        without one gets 1% of the reference's mean.
    """

    name: str
    unit: str
    better: Direction
    headline: bool
    label_en: str
    label_zh: str
    meaning_en: str
    meaning_zh: str
    practical: tuple[float, float] = (0.0, 0.01)

    @property
    def share(self) -> bool:
        """True for a fraction in [0, 1] (shown in %, differences in percentage points)."""
        return self.unit == "share"

    @property
    def min_effect(self) -> tuple[float, float]:
        """Default minimum practical effect for ``ruralsim check``: (absolute, relative).

        Shares: 1 percentage point; KPIs in hours: 0.25 h and 2% of the baseline mean
        (the larger); others: 2% of the baseline mean.
        """
        if self.share:
            return (0.01, 0.0)
        if self.unit == "h":
            return (0.25, 0.02)
        return (0.0, 0.02)

    def label(self, lang: str) -> str:
        """The short label in ``"en"`` or ``"zh"``."""
        return {"en": self.label_en, "zh": self.label_zh}[lang]

    def meaning(self, lang: str) -> str:
        """The one-sentence meaning in ``"en"`` or ``"zh"``."""
        return {"en": self.meaning_en, "zh": self.meaning_zh}[lang]


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "parcels_generated", "parcels", "neutral", False,
        "Parcels in the measured days", "统计期内包裹数",
        "Parcels in the cohort: those for the villages that reached the hub during the "
        "measured days.",
        "统计队列中的包裹数：统计期内到达分拨中心、寄往各村的包裹。",
        practical=(0.0, 0.01),  # 1% of the cohort: counts scale with the county and the days
    ),
    Kpi(
        "parcels_delivered", "parcels", "higher", False,
        "Parcels delivered", "已送达包裹数",
        "Cohort parcels at the village point or handed over at home by the end of the run.",
        "运行结束时已送达村级服务点或送货上门的队列包裹数。",
        practical=(0.0, 0.01),  # 1% of the cohort: counts scale with the county and the days
    ),
    Kpi(
        "parcels_picked_up", "parcels", "higher", False,
        "Parcels picked up", "村民已取件包裹数",
        "Cohort parcels in the villager's hands by the end of the run.",
        "运行结束时已到村民手中的队列包裹数。",
        practical=(0.0, 0.01),  # 1% of the cohort: counts scale with the county and the days
    ),
    Kpi(
        "parcels_in_system", "parcels", "lower", False,
        "Parcels still in the network", "期末仍在网络中的包裹数",
        "Cohort parcels still in the network at the end (generated − delivered − spoiled).",
        "运行结束时仍在网络中的队列包裹数（生成数 − 送达数 − 腐损数）。",
        practical=(0.0, 0.01),  # 1% of the reference's count (any change when it is 0)
    ),
    Kpi(
        "inbound_spoiled_parcels", "parcels", "lower", False,
        "Inbound perishables spoiled", "腐损的进村生鲜包裹数",
        "Perishable cohort parcels that spent longer than demand.perishable_shelf_life_h "
        "outside cold storage after reaching the hub (checked when they move) and were not "
        "delivered.",
        "到达分拨中心后在冷藏之外停留超过 demand.perishable_shelf_life_h（在转运环节检查）"
        "而未送达的易腐队列包裹数。",
        practical=(0.0, 0.01),  # 1% of the reference's count (any change when it is 0)
    ),
    Kpi(
        "lead_time_mean_h", "h", "lower", True,
        "Mean lead time", "平均送达时长",
        "Mean time from hub arrival to the village point or home, over delivered parcels.",
        "已送达包裹从到达分拨中心到送达村级服务点或家门的平均时长。",
        practical=(0.25, 0.0),  # a quarter of an hour: finer than anyone plans a pickup by
    ),
    Kpi(
        "lead_time_p50_h", "h", "lower", False,
        "Median lead time", "送达时长中位数",
        "Median time from hub arrival to the village point or home, over delivered parcels.",
        "已送达包裹从到达分拨中心到送达村级服务点或家门时长的中位数。",
        practical=(0.25, 0.0),  # a quarter of an hour, as the mean
    ),
    Kpi(
        "lead_time_p90_h", "h", "lower", True,
        "90% of parcels delivered within", "90% 包裹送达时长",
        "90th percentile of the time from hub arrival to the village point or home, over "
        "delivered parcels.",
        "已送达包裹从到达分拨中心到送达村级服务点或家门时长的第 90 百分位数。",
        practical=(0.25, 0.0),  # a quarter of an hour, as the mean
    ),
    Kpi(
        "lead_time_p95_h", "h", "lower", False,
        "95% of parcels delivered within", "95% 包裹送达时长",
        "95th percentile of the time from hub arrival to the village point or home, over "
        "delivered parcels.",
        "已送达包裹从到达分拨中心到送达村级服务点或家门时长的第 95 百分位数。",
        practical=(0.25, 0.0),  # a quarter of an hour, as the mean
    ),
    Kpi(
        "door_time_mean_h", "h", "lower", False,
        "Mean time until in the villager's hands", "平均到手时长",
        "Mean time from hub arrival until in the villager's hands, over picked-up parcels "
        "(a collection in town included).",
        "已取件包裹从到达分拨中心到交到村民手中的平均时长（含到乡镇网点自取的等待）。",
        practical=(0.25, 0.0),  # a quarter of an hour, as the lead time
    ),
    Kpi(
        "villager_trip_km", "km", "lower", False,
        "Km villagers travel to collect in town", "村民进镇取件里程",
        "Round trips by road from the village to its township, one per cohort parcel whose "
        "path ends at a brand's township outlet (0 when parcels reach the village).",
        "路径止于乡镇快递网点的队列包裹，每件计一次村庄至乡镇的往返道路里程（送达村级则为 0）。",
        practical=(0.0, 0.01),  # 1% of the reference's total (a total over the measured days)
    ),
    Kpi(
        "on_time_24h_share", "share", "higher", True,
        "Delivered within 24 h", "24 小时内送达比例",
        "Share of the cohort delivered within 24 h of hub arrival (undelivered count as late).",
        "到达分拨中心后 24 小时内送达的队列包裹占比（未送达的计为超时）。",
        practical=(0.01, 0.0),  # 1 percentage point: 1 parcel in 100 (as check's default)
    ),
    Kpi(
        "on_time_48h_share", "share", "higher", False,
        "Delivered within 48 h", "48 小时内送达比例",
        "Share of the cohort delivered within 48 h of hub arrival (undelivered count as late).",
        "到达分拨中心后 48 小时内送达的队列包裹占比（未送达的计为超时）。",
        practical=(0.01, 0.0),  # 1 percentage point, as within 24 h
    ),
    Kpi(
        "vehicle_km", "km", "lower", False,
        "Vehicle-kilometres", "车辆行驶里程",
        "Km driven on trips departing in the measured days; a trip run by k vehicles counts "
        "k times, and a trip still under way when the run stops counts the km driven so far "
        "(legs completed plus the driven part of the current one).",
        "统计期内出发车次的行驶公里数；k 辆车共同执行的车次计 k 次，运行结束时仍在途的车次"
        "计已行驶的里程（已完成的路段加上当前路段已行驶的部分）。",
        practical=(0.0, 0.01),  # 1% of the reference's total: totals scale with county and days
    ),
    Kpi(
        "vehicle_hours", "h", "lower", False,
        "Vehicle-hours", "车辆运行时长",
        "Hours of trips departing in the measured days; a trip run by k vehicles counts k "
        "times, and a trip still under way when the run stops counts its hours up to then.",
        "统计期内出发车次的运行小时数；k 辆车共同执行的车次计 k 次，运行结束时仍在途的车次"
        "计至结束时的时长。",
        practical=(0.0, 0.01),  # 1% of the reference's total: totals scale with county and days
    ),
    Kpi(
        "cost_transport_cny", "CNY", "lower", False,
        "Transport cost", "运输成本",
        "Vehicle-km × cost per km + vehicle-days × cost per vehicle-day, per fleet; a "
        "vehicle-day counts only vehicles a departure of that day actually sent.",
        "各车队的车公里 × 每公里成本 + 车日 × 每车日成本；车日只计当天实际发出的车辆。",
        practical=(0.0, 0.01),  # 1% of the reference's total (a total over the measured days)
    ),
    Kpi(
        "cost_facilities_cny", "CNY", "lower", False,
        "Facility cost", "场站运营成本",
        "Daily operating cost of the hub, each station parcels change vehicles at and each "
        "village point, over the measured days, less the daily subsidy.",
        "统计期内分拨中心、中转的乡镇站点和各村级服务点的每日运营成本，减去按日补贴。",
        practical=(0.0, 0.01),  # 1% of the reference's total (a total over the measured days)
    ),
    Kpi(
        "cost_fees_cny", "CNY", "lower", False,
        "Fees", "费用",
        "Fees paid to bus operators and to village points per parcel, less the subsidy per "
        "parcel.",
        "支付给客运企业和村级服务点的按件费用，减去按件补贴。",
        practical=(0.0, 0.01),  # 1% of the reference's total (a total over the measured days)
    ),
    Kpi(
        "cost_total_cny", "CNY", "lower", False,
        "Total cost", "总成本",
        "cost_transport_cny + cost_facilities_cny + cost_fees_cny.",
        "运输成本 + 场站运营成本 + 费用（cost_transport_cny + cost_facilities_cny + "
        "cost_fees_cny）。",
        practical=(0.0, 0.01),  # 1% of the reference's total (a total over the measured days)
    ),
    Kpi(
        "cost_per_parcel_cny", "CNY", "lower", True,
        "Cost per parcel", "单件成本",
        "Total cost divided by the parcels in the cohort (cost_total_cny / "
        "parcels_generated).",
        "总成本除以统计队列包裹数（cost_total_cny / parcels_generated）。",
        # 5 fen: half a jiao, the step per-parcel fees and subsidies are set in (~2% of 2-4 CNY)
        practical=(0.05, 0.0),
    ),
    Kpi(
        "co2_kg", "kg", "lower", True,
        "CO₂ emissions", "二氧化碳排放",
        "Vehicle-km × CO2 per km, per fleet.",
        "各车队的车公里 × 每公里二氧化碳排放。",
        practical=(0.0, 0.01),  # 1% of the reference's total (a total over the measured days)
    ),
    Kpi(
        "sorting_utilization", "share", "neutral", False,
        "Sorting line busy", "分拣线利用率",
        "Sorting-line busy hours / shift hours over the measured days; work counts on the "
        "day it is done (a backlog worked off the next day counts there), so the share never "
        "exceeds 1.",
        "统计期内分拣线繁忙小时数 / 班次小时数；工作计入完成当天（次日消化的积压计入次日），"
        "因此该比例不超过 1。",
        practical=(0.01, 0.0),  # 1 percentage point of the shift
    ),
    Kpi(
        "urban_parcels", "parcels", "neutral", False,
        "Parcels for the county town", "县城包裹数",
        "Parcels for urban addresses (demand.urban_share) that reached the hub in the "
        "measured days: sorted there, then handed to urban delivery; not in the village KPIs.",
        "统计期内到达分拨中心、寄往县城地址的包裹（demand.urban_share）：在分拨中心分拣后"
        "交城区派送，不计入村级指标。",
        practical=(0.0, 0.01),  # 1% of the reference's count
    ),
    Kpi(
        "urban_sorted_mean_h", "h", "lower", False,
        "County-town parcels sorted within (mean)", "县城包裹平均分拣完成时长",
        "Mean time from hub arrival to the end of sorting of the county town's parcels "
        "(those sorted by the end of the run).",
        "县城包裹从到达分拨中心到分拣完成的平均时长（运行结束前已分拣的）。",
        practical=(0.25, 0.0),  # a quarter of an hour, as the lead time
    ),
    Kpi(
        "point_overflow_parcels", "parcels", "lower", False,
        "Parcels beyond a point's shelves", "超出服务点货架的包裹数",
        "Cohort parcels that reached a village point whose shelves (points.storage_parcels) "
        "were full; they are left there anyway.",
        "到达时村级服务点货架（points.storage_parcels）已满的队列包裹数；仍留在服务点。",
        practical=(0.0, 0.01),  # 1% of the reference's count (any change when it is 0)
    ),
    Kpi(
        "van_load_factor_mean", "share", "neutral", False,
        "Mean van load factor", "货车平均装载率",
        "Mean over van trips (fleets with counts_as_van) of peak load / capacity.",
        "货车车次（counts_as_van 的车队）峰值载货量 / 容量的平均值。",
        practical=(0.01, 0.0),  # 1 percentage point of a van's capacity
    ),
    Kpi(
        "bus_parcels_share", "share", "neutral", False,
        "Parcels that rode a bus", "客车运送的包裹占比",
        "Share of the cohort that rode a bus on some leg.",
        "在某一段由客车运送的队列包裹占比。",
        practical=(0.01, 0.0),  # 1 percentage point of the cohort
    ),
    Kpi(
        "bus_load_factor_mean", "share", "neutral", False,
        "Mean bus cargo load factor", "客车货舱平均装载率",
        "Mean over bus trips with cargo space of peak parcels aboard / cargo capacity (both "
        "directions).",
        "有货舱的客车车次峰值载件数 / 货舱容量的平均值（双向）。",
        practical=(0.01, 0.0),  # 1 percentage point of the cargo space
    ),
    Kpi(
        "bus_overflow_parcels", "parcels", "lower", False,
        "Parcels left behind by a full bus", "因客车满载而滞留的包裹数",
        "Cohort parcels left waiting at least once by a full bus.",
        "至少一次因客车满载而被留下等待的队列包裹数。",
        practical=(0.0, 0.01),  # 1% of the reference's count (any change when it is 0)
    ),
    Kpi(
        "bus_fallback_parcels", "parcels", "lower", False,
        "Parcels handed to the fallback carrier", "转由备用运力配送的包裹数",
        "Cohort parcels that waited fallback_after_h and took the fallback carrier.",
        "等待超过 fallback_after_h 后改由备用运力配送的队列包裹数。",
        practical=(0.0, 0.01),  # 1% of the reference's count (any change when it is 0)
    ),
    Kpi(
        "bus_fee_cny", "CNY", "lower", False,
        "Fees paid to bus operators", "支付给客运企业的费用",
        "Fees paid to bus operators: per parcel carried + per line-day run.",
        "支付给客运企业的费用：按运送包裹数计费 + 按班线运行天数计费。",
        practical=(0.0, 0.01),  # 1% of the reference's total (a total over the measured days)
    ),
    Kpi(
        "bus_delay_added_min_mean", "min", "lower", False,
        "Delay parcels add to a bus trip", "包裹装卸给客车增加的延误",
        "Mean over bus trips of the extra dwell parcels caused (handling minutes per parcel "
        "loaded or unloaded).",
        "客车车次因装卸包裹增加的停站时间平均值（每件装卸的处理分钟数）。",
        practical=(1.0, 0.0),  # a minute: below what a bus timetable shows
    ),
    Kpi(
        "outbound_parcels_generated", "parcels", "neutral", False,
        "Farm-product parcels dropped off", "农产品寄出包裹数",
        "Outbound parcels (outbound section) dropped off at the village points in the "
        "measured days: the outbound cohort.",
        "统计期内在村级服务点交寄的出村包裹（outbound 配置）数：出村统计队列。",
    ),
    Kpi(
        "outbound_parcels_shipped", "parcels", "higher", False,
        "Farm-product parcels shipped", "已发出农产品包裹数",
        "Outbound cohort parcels that left the hub on an outbound line-haul by the end of "
        "the run.",
        "运行结束时已随出县干线从分拨中心发出的出村队列包裹数。",
    ),
    Kpi(
        "outbound_parcels_in_system", "parcels", "lower", False,
        "Farm-product parcels still in the network", "期末仍在网络中的农产品包裹数",
        "Outbound cohort parcels neither shipped nor spoiled by the end (generated − "
        "shipped − spoiled).",
        "运行结束时既未发出也未腐损的出村队列包裹数（生成数 − 发出数 − 腐损数）。",
    ),
    Kpi(
        "outbound_lead_time_mean_h", "h", "lower", False,
        "Mean farm-product lead time", "农产品平均出县时长",
        "Mean time from drop-off at the village point to leaving the hub on a line-haul, over "
        "shipped parcels.",
        "已发出包裹从在村级服务点交寄到随干线离开分拨中心的平均时长。",
    ),
    Kpi(
        "outbound_same_day_share", "share", "higher", False,
        "Farm products out the same day", "农产品当日出县比例",
        "Share of the outbound cohort that left on a line-haul of the day it was dropped off "
        "(a 24:00 departure counts for that day; unshipped count as not).",
        "当天交寄、当天随干线发出的出村队列包裹占比（24:00 发车计入当天；未发出的不计）。",
    ),
    Kpi(
        "backhaul_share", "share", "higher", False,
        "Farm products on vehicles running anyway", "农产品搭载既有车次比例",
        "Share of outbound parcel-km carried by vehicles that ran anyway: sent for the "
        "inbound parcels alone, or buses; trips departing in the measured days.",
        "出村包裹公里中由原本就要出车的车辆承运的比例：仅为进村包裹也会发出的车辆，或客车；"
        "按统计期内出发的车次计。",
    ),
    Kpi(
        "spoiled_parcels", "parcels", "lower", False,
        "Farm-product parcels spoiled", "腐损农产品包裹数",
        "Perishable outbound cohort parcels that spent longer than their shelf life outside "
        "cold storage (checked when they move) and left the flow.",
        "在冷藏之外停留超过保质期（在转运环节检查）而退出流程的易腐出村队列包裹数。",
    ),
    Kpi(
        "spoilage_share", "share", "lower", False,
        "Farm products spoiled", "农产品腐损比例",
        "spoiled_parcels / outbound_parcels_generated.",
        "腐损包裹数 / 出村包裹数（spoiled_parcels / outbound_parcels_generated）。",
    ),
)  # fmt: skip
"""Every KPI, in the order of the KPI tables' columns."""

BY_NAME = MappingProxyType({kpi.name: kpi for kpi in KPIS})
"""The records by KPI name (read-only)."""

KPI_NAMES = tuple(kpi.name for kpi in KPIS)
"""Every KPI name, in column order."""

HEADLINE_KPIS = tuple(kpi.name for kpi in KPIS if kpi.headline)
"""KPIs that get a verdict line by default, in column order."""

TOTAL_KPIS = (
    "vehicle_km",
    "villager_trip_km",
    "vehicle_hours",
    "cost_transport_cny",
    "cost_facilities_cny",
    "cost_fees_cny",
    "cost_total_cny",
    "co2_kg",
    "bus_fee_cny",
)
"""KPIs that are sums over the measured days (the report says so and gives them per day)."""


def get(name: str) -> Kpi | None:
    """The record of a KPI, or None for a name the table does not know."""
    return BY_NAME.get(name)


# --------------------------------------------------------------------------- rendering

_BETTER_TEXT = {
    "en": {"lower": "lower", "higher": "higher", "neutral": "neutral"},
    "zh": {"lower": "越低越好", "higher": "越高越好", "neutral": "中性"},
}
_UNIT_TEXT = {
    "en": {"share": "share (%)"},
    "zh": {"share": "比例（%）", "parcels": "件", "h": "小时", "min": "分钟", "CNY": "元",
           "kg": "千克", "km": "公里"},
}  # fmt: skip


def unit_text(kpi: Kpi, lang: str = "en") -> str:
    """The unit as ``ruralsim kpis`` and the README show it (``"share (%)"`` for shares)."""
    return _UNIT_TEXT[lang].get(kpi.unit, kpi.unit)


def better_text(kpi: Kpi, lang: str = "en") -> str:
    """The good direction in words (``"lower"``, ``"higher"``, ``"neutral"``)."""
    return _BETTER_TEXT[lang][kpi.better]


def markdown_table(lang: str = "en") -> str:
    """The KPI table as Markdown (columns KPI, unit, better, meaning), ending in a newline."""
    lines = ["| KPI | unit | better | meaning |", "| --- | --- | --- | --- |"]
    for kpi in KPIS:
        meaning = kpi.meaning(lang).replace("|", "\\|")
        lines.append(
            f"| `{kpi.name}` | {unit_text(kpi, lang)} | {better_text(kpi, lang)} | {meaning} |"
        )
    return "\n".join(lines) + "\n"


def _width(text: str) -> int:
    """Columns a text takes in a terminal (wide East Asian characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_NO_LINE_START = "。，；：、）"


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` columns: at spaces, or anywhere between wide characters."""
    lines, line = [], ""
    for token in re.findall(
        r"[^\s\u3000-\u9fff\uff00-\uffef]+|[\u3000-\u9fff\uff00-\uffef]|\s+", text
    ):
        if token.isspace():
            token = " "
        if _width(line) + _width(token) <= width:
            line += token
            continue
        carry = ""
        if token in _NO_LINE_START and len(line) > 1:  # no closing mark at a line's start
            cut = len(line) - 1
            while cut > 1 and line[cut] in _NO_LINE_START:
                cut -= 1
            line, carry = line[:cut], line[cut:]
        if line.strip():
            lines.append(line.rstrip())
        line = "" if token == " " else carry + token
        while _width(line) > width:  # a word longer than the column
            lines.append(line[:width])
            line = line[width:]
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def text_table(lang: str = "en", width: int = 100) -> str:
    """The KPI table as plain text (name, unit, better, meaning), at most ``width`` columns.

    Parameters
    ----------
    lang : str, optional
        ``"en"`` or ``"zh"`` for the unit, direction and meaning.
    width : int, optional
        Line width; the meaning is wrapped to fit.

    Returns
    -------
    str
        The table, ending in a newline.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r} (known: {', '.join(LANGUAGES)})")
    head = {"en": ("KPI", "unit", "better", "meaning"), "zh": ("指标", "单位", "方向", "含义")}
    rows = [(k.name, unit_text(k, lang), better_text(k, lang), k.meaning(lang)) for k in KPIS]
    widths = [max(_width(r[i]) for r in [head[lang], *rows]) for i in range(3)]
    rest = max(width - sum(widths) - 2 * 3, 20)

    def pad(text: str, columns: int) -> str:
        return text + " " * (columns - _width(text))

    out = []
    for row in [head[lang], *rows]:
        lead = "  ".join(pad(cell, w) for cell, w in zip(row[:3], widths, strict=True))
        for number, line in enumerate(_wrap(row[3], rest)):
            first = lead if number == 0 else " " * _width(lead)
            out.append(f"{first}  {line}".rstrip())
    return "\n".join(out) + "\n"


START = "<!-- kpi-table:start (generated: python -m sim.analysis.kpi_table --readme README.md) -->"
END = "<!-- kpi-table:end -->"
_REGION = re.compile(re.escape(START) + r"\n(.*?)" + re.escape(END), re.DOTALL)


def readme_region(text: str) -> str:
    """The text between the README's KPI-table markers.

    Raises
    ------
    ValueError
        If the markers are missing.
    """
    match = _REGION.search(text)
    if match is None:
        raise ValueError(f"no KPI table markers ({START} … {END}) found")
    return match.group(1)


def update_readme(text: str) -> str:
    """``text`` with the region between the markers replaced by :func:`markdown_table`."""
    readme_region(text)  # the markers must be there
    return _REGION.sub(lambda _: f"{START}\n{markdown_table()}{END}", text, count=1)


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.analysis.kpi_table [--readme README.md]``: print or write the table."""
    parser = argparse.ArgumentParser(prog="python -m sim.analysis.kpi_table")
    parser.add_argument("--readme", type=Path, help="rewrite the KPI table region of this file")
    args = parser.parse_args(argv)
    if args.readme is None:
        sys.stdout.write(markdown_table())
        return 0
    text = args.readme.read_text(encoding="utf-8")
    new = update_readme(text)
    if new != text:
        args.readme.write_text(new, encoding="utf-8")
        print(f"{args.readme}: KPI table updated")
    else:
        print(f"{args.readme}: KPI table already up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
