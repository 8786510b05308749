"""Every word the report shows, in English and Chinese.

The report never builds a sentence from English fragments: each label, title,
table header and summary sentence is a whole entry here, with named ``{fields}``
filled in by :func:`tr`. Scenario names, point names and varied scenario paths
are the user's and are shown as they are. A test checks that every entry has
both languages and that the Chinese ones contain Chinese.
"""

from __future__ import annotations

from types import MappingProxyType

from sim.analysis.kpi_table import KPIS

LANGUAGES = ("en", "zh")
"""Supported report languages."""

TEXT = MappingProxyType(
    {
        # ------------------------------------------------------------ page
        "title_compare": {
            "en": "Delivery models compared: {names}",
            "zh": "配送模式比较：{names}",
        },
        "title_sweep": {
            "en": "Parameter sweep: {paths}",
            "zh": "参数扫描：{paths}",
        },
        "title_run": {"en": "Scenario results: {name}", "zh": "情景结果：{name}"},
        "subtitle": {
            "en": "Rural parcel network simulation (ruralsim {version}), {date}",
            "zh": "农村寄递网络仿真（ruralsim {version}），{date}",
        },
        "summary": {"en": "Summary", "zh": "结论摘要"},
        "kpi_table": {"en": "Key figures", "zh": "关键指标"},
        "figures": {"en": "Figures", "zh": "图表"},
        "notes": {"en": "Notes", "zh": "说明"},
        "scenarios_resolved": {
            "en": "Scenarios as simulated (every setting)",
            "zh": "仿真所用情景（全部参数）",
        },
        "how_made": {"en": "How these results were made", "zh": "结果的生成方式"},
        "figure_files": {
            "en": "Each figure is also saved as PNG and SVG in {folder}.",
            "zh": "每张图另存为 PNG 和 SVG 文件，位于 {folder}。",
        },
        "lead_time_definition": {
            "en": "Lead time: from a parcel's arrival at the county hub to its arrival at "
            "the village point (or the villager's home). Cost counts vehicle-kilometres, "
            "vehicle-days and fees paid to bus operators; CO₂ counts vehicle-kilometres "
            "(for buses only the part attributable to parcels).",
            "zh": "送达时长：包裹从到达县级分拨中心到送达村级服务点（或送货上门）所用的时间。"
            "成本包括车辆行驶里程费用、车辆日费用和支付给客运企业的带货费用；二氧化碳排放按车辆"
            "行驶里程计算（客车只计入包裹分摊的部分）。",
        },
        "lead_time_definition_outlets": {
            "en": "Lead time: from a parcel's arrival at the county hub (or its brand's "
            "depot) to its arrival at the village point (or the villager's home) or, for a "
            "parcel villagers collect in town, at its brand's township outlet; door time "
            "adds the wait until the parcel is in the villager's hands. Cost counts "
            "vehicle-kilometres, vehicle-days and fees paid to bus operators; CO₂ counts "
            "vehicle-kilometres (for buses only the part attributable to parcels).",
            "zh": "送达时长：包裹从到达县级分拨中心（或其快递品牌的分拨中心）到送达村级服务点"
            "（或送货上门）所用的时间；由村民到乡镇自取的包裹，算到送达该品牌乡镇网点为止。"
            "到手时长另计村民取件前的等待。成本包括车辆行驶里程费用、车辆日费用和支付给客运企业"
            "的带货费用；二氧化碳排放按车辆行驶里程计算（客车只计入包裹分摊的部分）。",
        },
        "model_caveat": {
            "en": "These are results of a simulation of a synthetic county under the "
            "assumptions written in the scenario files (at the bottom of this page), not "
            "measurements. They show how the delivery models differ under those "
            "assumptions.",
            "zh": "以上为基于情景文件所列假设（见本页底部）对一个合成县域进行仿真的结果，"
            "并非实测数据，反映的是在这些假设下各配送模式之间的差别。",
        },
        # ------------------------------------------------------------ how made
        "made_kind": {"en": "Experiment", "zh": "实验类型"},
        "kind_compare": {
            "en": "comparison (ruralsim compare)",
            "zh": "情景比较（ruralsim compare）",
        },
        "kind_sweep": {
            "en": "parameter sweep (ruralsim sweep)",
            "zh": "参数扫描（ruralsim sweep）",
        },
        "kind_run": {"en": "single scenario (ruralsim run)", "zh": "单一情景（ruralsim run）"},
        "made_seed": {"en": "Root seed", "zh": "随机数根种子"},
        "made_replications": {"en": "Replications per scenario", "zh": "每个情景的重复次数"},
        "made_seeding": {"en": "Random numbers", "zh": "随机数规则"},
        "made_version": {"en": "ruralsim version", "zh": "ruralsim 版本"},
        "made_versions": {"en": "Software versions", "zh": "软件版本"},
        "made_command": {"en": "Command", "zh": "命令"},
        "made_overrides": {"en": "Overrides (--set)", "zh": "参数覆盖（--set）"},
        "made_executor": {"en": "Run on", "zh": "运行方式"},
        "made_started": {"en": "Started (UTC)", "zh": "开始时间（UTC）"},
        "made_wall": {"en": "Wall time", "zh": "耗时"},
        "made_folder": {"en": "Results folder", "zh": "结果文件夹"},
        "made_level": {"en": "Confidence level", "zh": "置信水平"},
        "seconds": {"en": "{value} s", "zh": "{value} 秒"},
        "none": {"en": "none", "zh": "无"},
        # ------------------------------------------------------------ table
        "col_kpi": {"en": "Indicator", "zh": "指标"},
        "col_mean_ci": {"en": "{name}: mean (95% CI)", "zh": "{name}：均值（95% 置信区间）"},
        "col_diff_ci": {
            "en": "{name} − {reference} (95% CI)",
            "zh": "{name} − {reference}（95% 置信区间）",
        },
        "col_p": {"en": "p-value", "zh": "p 值"},
        "day_kinds_title": {"en": "Ordinary and peak days", "zh": "平常日与高峰日"},
        "col_scenario": {"en": "Scenario", "zh": "情景"},
        "col_day_kind": {"en": "Kind of day", "zh": "日期类型"},
        "col_days": {"en": "Days measured", "zh": "统计天数"},
        "col_parcels_per_replication": {
            "en": "Parcels (per replication)",
            "zh": "包裹数（每次重复）",
        },
        "day_kind_ordinary": {"en": "ordinary", "zh": "平常日"},
        "day_kind_peak": {"en": "peak", "zh": "高峰日"},
        "day_kinds_note": {
            "en": "Means of {n} replications. Peak days are the measured days covered by the "
            "scenario's demand peaks, the other measured days are ordinary (warm-up and the "
            "last days are left out); a parcel counts for the day it reached the hub.",
            "zh": "{n} 次重复模拟的均值。高峰日为情景需求高峰覆盖的统计日，其余统计日为平常日"
            "（预热期和最后几天不计入）；包裹按到达分拨中心的日期归类。",
        },
        "day_kinds_none": {
            "en": "No peak days were measured for {names}.",
            "zh": "{names} 没有统计到高峰日。",
        },
        "table_note_compare": {
            "en": "Means over replications with 95% confidence intervals; differences are "
            "paired by replication (the same parcels in every scenario) and taken against "
            "{reference}, the reference. Shares and utilisations are in %, their "
            "differences in percentage points. Headline indicators are in bold.",
            "zh": "数值为各次重复模拟的均值及其 95% 置信区间；差值按重复配对计算（各情景使用"
            "相同的包裹），以 {reference} 为参照。比例和利用率以 % 表示，其差值以百分点表示。"
            "主要指标以粗体显示。",
        },
        "table_note_practical": {
            "en": "Grey: no practical difference — the whole 95% interval, or a clear "
            "difference's estimate, is within the indicator's practical threshold ({thresholds}; "
            "other indicators: see {docs}; change with {option}).",
            "zh": "灰色：无实际差异——整个 95% 置信区间，或已确定差异的估计值，在该指标的"
            "实际差异阈值之内（{thresholds}；其他指标见 {docs}；可用 {option} 修改）。",
        },
        "table_note_run": {
            "en": "Means over replications with 95% confidence intervals. Shares and "
            "utilisations are in %.",
            "zh": "数值为各次重复模拟的均值及其 95% 置信区间。比例和利用率以 % 表示。",
        },
        "table_note_sweep": {
            "en": "Each point's mean over replications with its 95% confidence interval.",
            "zh": "每个扫描点各次重复模拟的均值及其 95% 置信区间。",
        },
        "bus_kpis_hidden": {
            "en": "Bus indicators are left out: no scenario here carries parcels by bus.",
            "zh": "未列出客车带货指标：本报告中没有情景使用客车运送包裹。",
        },
        "identical": {"en": "identical", "zh": "完全相同"},
        "no_practical_difference": {"en": "no practical difference", "zh": "无实际差异"},
        "not_available": {"en": "n/a", "zh": "无"},
        # ------------------------------------------------------------ notes
        "no_details": {
            "en": "The lead-time distribution, county map, daily series and distance-band "
            "figures are left out: {why}",
            "zh": "未包含送达时长分布、县域地图、逐日序列和距离分段图：{why}",
        },
        "no_details_run": {
            "en": "this folder was made by `ruralsim run`, which keeps only the KPIs. Run "
            "the scenarios with `ruralsim compare` to get them.",
            "zh": "该文件夹由 `ruralsim run` 生成，只保存了指标。请用 `ruralsim compare` "
            "运行情景以获得这些图。",
        },
        "no_details_old": {
            "en": "the results folder has no per-replication detail tables for {names} "
            "(made by an older ruralsim). Run the comparison again to get them.",
            "zh": "结果文件夹中没有 {names} 的逐次重复明细表（由旧版 ruralsim 生成）。"
            "请重新运行比较以获得这些图。",
        },
        "sweep_details_many": {
            "en": "The lead-time distribution is shown for sweeps of at most {limit} points; "
            "this one has {count}.",
            "zh": "送达时长分布图仅在扫描点不超过 {limit} 个时显示；本次扫描有 {count} 个。",
        },
        "font_missing": {
            "en": "No Chinese (CJK) font was found when the figures were drawn, so their "
            "Chinese labels may show as empty boxes. Install one and make the report again: "
            "on Debian/Ubuntu `apt-get install fonts-noto-cjk`; elsewhere install Noto Sans "
            "CJK SC (or Source Han Sans SC, WenQuanYi Zen Hei).",
            "zh": "绘图时未找到中文字体，图中的中文可能显示为方框。请安装中文字体后重新生成报告："
            "Debian/Ubuntu 系统运行 `apt-get install fonts-noto-cjk`；其他系统请安装 Noto Sans "
            "CJK SC（或思源黑体 Source Han Sans SC、文泉驿正黑 WenQuanYi Zen Hei）。",
        },
        # ------------------------------------------------------------ summary
        "tradeoff": {
            "en": "{name} against {reference}: {clauses}.",
            "zh": "{name} 与 {reference} 相比：{clauses}。",
        },
        "clause_sep": {"en": "; ", "zh": "；"},
        "tradeoff_item": {"en": "{label} ({change}{unit})", "zh": "{label}（{change}{unit}）"},
        "tradeoff_better": {"en": "better on {items}", "zh": "{items}更优"},
        "tradeoff_worse": {"en": "worse on {items}", "zh": "{items}更差"},
        "tradeoff_higher": {"en": "higher {items}", "zh": "{items}更高"},
        "tradeoff_lower": {"en": "lower {items}", "zh": "{items}更低"},
        "tradeoff_negligible": {
            "en": "no practical difference on {items}",
            "zh": "{items}无实际差异",
        },
        "tradeoff_none": {
            "en": "not clear on {items} (the 95% interval includes zero)",
            "zh": "{items}差异不明确（95% 置信区间包含零）",
        },
        "tradeoff_identical": {"en": "identical on {items}", "zh": "{items}完全相同"},
        "tradeoff_unknown": {
            "en": "too few replications to tell on {items}",
            "zh": "{items}重复次数太少，无法判断",
        },
        "value_of": {
            "en": "{name} {mean}{unit} (95% CI {lo}–{hi})",
            "zh": "{name} {mean}{unit}（95% 置信区间 {lo}–{hi}）",
        },
        "value_of_no_ci": {"en": "{name} {mean}{unit}", "zh": "{name} {mean}{unit}"},
        "value_only": {
            "en": "{mean}{unit} (95% CI {lo}–{hi})",
            "zh": "{mean}{unit}（95% 置信区间 {lo}–{hi}）",
        },
        "value_only_no_ci": {"en": "{mean}{unit}", "zh": "{mean}{unit}"},
        "list_sep": {"en": ", ", "zh": "，"},
        "verdict_faster": {
            "en": "{name} is {d}{unit} faster than {reference} ({relative}95% CI "
            "{lo}–{hi}{unit}; {p})",
            "zh": "{name} 比 {reference} 快 {d}{unit}（{relative}95% 置信区间 "
            "{lo}–{hi}{unit}；{p}）",
        },
        "verdict_slower": {
            "en": "{name} is {d}{unit} slower than {reference} ({relative}95% CI "
            "{lo}–{hi}{unit}; {p})",
            "zh": "{name} 比 {reference} 慢 {d}{unit}（{relative}95% 置信区间 "
            "{lo}–{hi}{unit}；{p}）",
        },
        "verdict_lower": {
            "en": "{name} is {d}{unit} lower{judgement} than {reference} ({relative}95% CI "
            "{lo}–{hi}{unit}; {p})",
            "zh": "{name} 比 {reference} 低 {d}{unit}{judgement}（{relative}95% 置信区间 "
            "{lo}–{hi}{unit}；{p}）",
        },
        "verdict_higher": {
            "en": "{name} is {d}{unit} higher{judgement} than {reference} ({relative}95% CI "
            "{lo}–{hi}{unit}; {p})",
            "zh": "{name} 比 {reference} 高 {d}{unit}{judgement}（{relative}95% 置信区间 "
            "{lo}–{hi}{unit}；{p}）",
        },
        "verdict_none": {
            "en": "no significant difference between {name} and {reference} (difference "
            "{d}{unit}, 95% CI {lo} to {hi}; {p})",
            "zh": "{name} 与 {reference} 无显著差异（差值 {d}{unit}，95% 置信区间 {lo} 至 "
            "{hi}{unit}；{p}）",
        },
        "verdict_negligible": {
            "en": "no practical difference between {name} and {reference} (difference "
            "{d}{unit}, 95% CI {lo} to {hi}; {p}; practical threshold ±{t}{unit})",
            "zh": "{name} 与 {reference} 无实际差异（差值 {d}{unit}，95% 置信区间 {lo} 至 "
            "{hi}{unit}；{p}；实际差异阈值 ±{t}{unit}）",
        },
        "verdict_identical": {
            "en": "{name} and {reference} are identical in every replication",
            "zh": "{name} 与 {reference} 在每次重复模拟中完全相同",
        },
        "verdict_unknown": {
            "en": "cannot tell ({name} vs {reference} needs at least 2 paired replications)",
            "zh": "无法判断 {name} 与 {reference} 的差异（至少需要 2 次配对重复）",
        },
        "peak_slower": {
            "en": "On the {peak_days} peak day(s) measured, parcels of {name} took "
            "{m_peak}{unit} on average against {m_ordinary}{unit} on the {ordinary_days} "
            "ordinary day(s): {d}{unit} ({relative}) longer{ci}; mean of {n} replications.",
            "zh": "在统计的 {peak_days} 个高峰日，{name} 的包裹平均用时 {m_peak}{unit}，"
            "{ordinary_days} 个平常日为 {m_ordinary}{unit}：高峰日长 {d}{unit}（{relative}）"
            "{ci}；{n} 次重复模拟的均值。",
        },
        "peak_faster": {
            "en": "On the {peak_days} peak day(s) measured, parcels of {name} took "
            "{m_peak}{unit} on average against {m_ordinary}{unit} on the {ordinary_days} "
            "ordinary day(s): {d}{unit} ({relative}) less{ci}; mean of {n} replications.",
            "zh": "在统计的 {peak_days} 个高峰日，{name} 的包裹平均用时 {m_peak}{unit}，"
            "{ordinary_days} 个平常日为 {m_ordinary}{unit}：高峰日短 {d}{unit}（{relative}）"
            "{ci}；{n} 次重复模拟的均值。",
        },
        "peak_same": {
            "en": "On the {peak_days} peak day(s) measured, parcels of {name} took "
            "{m_peak}{unit} on average, as long as on the {ordinary_days} ordinary day(s); "
            "mean of {n} replications.",
            "zh": "在统计的 {peak_days} 个高峰日，{name} 的包裹平均用时 {m_peak}{unit}，与 "
            "{ordinary_days} 个平常日相同；{n} 次重复模拟的均值。",
        },
        "peak_ci": {
            "en": " (95% CI of the difference {lo}–{hi}{unit})",
            "zh": "，差值 95% 置信区间 {lo}–{hi}{unit}",
        },
        "better": {"en": " (better)", "zh": "（更优）"},
        "worse": {"en": " (worse)", "zh": "（更差）"},
        "kpi_line": {
            "en": "{label}: {values}; {verdicts}.",
            "zh": "{label}：{values}；{verdicts}。",
        },
        "certainty_compare": {
            "en": "How sure: each number is the mean of {n} replications. Each replication "
            "simulates {simulated} days: {warmup} warm-up day(s), left out (the network starts "
            "empty), {measured} measured days, whose parcels make the numbers (totals such as "
            "cost and CO₂ are over these {measured} days), and {drain} day(s) without new "
            "parcels, in which they finish. Every scenario saw exactly the same parcels "
            "(common random numbers, seed {seed}), so differences are paired replication by "
            "replication. A difference is called only when its 95% confidence interval "
            "excludes zero (paired t-test p-values in brackets), and called better or worse "
            "only beyond the indicator's practical threshold. Each line is a separate test at "
            "95%: among many lines, one may pass by chance.",
            "zh": "可信程度：每个数值是 {n} 次重复模拟的均值。每次模拟 {simulated} 天：前 {warmup} "
            "天为预热期，不计入（网络从空开始）；其后 {measured} 天为统计期，数值来自这些天的包裹"
            "（成本、二氧化碳等总量为这 {measured} 天的合计）；最后 {drain} 天不再有新包裹，"
            "让统计的包裹完成配送。所有情景使用完全相同的包裹（共同随机数，种子 {seed}），"
            "因此差值按重复逐一配对。只有当差值的 95% 置信区间不包含零时才判定存在差异"
            "（括号内为配对 t 检验的 p 值），且只有超过该指标的实际差异阈值才判定更优或更差。"
            "每一行都是一次单独的 95% 水平检验：行数较多时，可能有一行因偶然而显著。",
        },
        "certainty_run": {
            "en": "Each number is the mean of {n} replications, with its 95% confidence "
            "interval (seed {seed}). Each replication simulates {simulated} days: {warmup} "
            "warm-up day(s), left out, {measured} measured days, whose parcels make the numbers "
            "(totals are over these {measured} days), and {drain} day(s) without new parcels, "
            "in which they finish.",
            "zh": "每个数值是 {n} 次重复模拟的均值，并给出 95% 置信区间（种子 {seed}）。每次模拟 "
            "{simulated} 天：前 {warmup} 天为预热期，不计入；其后 {measured} 天为统计期，数值来自"
            "这些天的包裹（总量为这 {measured} 天的合计）；最后 {drain} 天不再有新包裹，让它们"
            "完成配送。",
        },
        "label_over_days": {
            "en": "{label} over {days} measured days",
            "zh": "{label}（统计期 {days} 天合计）",
        },
        "per_day": {"en": "{value} per day", "zh": "每天 {value}"},
        "certainty_sweep": {
            "en": "Each point is the mean of {n} replications with its 95% confidence "
            "interval; every point saw the same parcels where its demand is the same "
            "(common random numbers, seed {seed}). The intervals are for each point's mean, "
            "not for the difference between two points: to confirm that one setting beats "
            "another, compare the two with `ruralsim compare`.",
            "zh": "每个扫描点为 {n} 次重复模拟的均值及其 95% 置信区间；需求相同的扫描点使用相同的"
            "包裹（共同随机数，种子 {seed}）。置信区间针对每个扫描点的均值，而不是两个扫描点之间"
            "的差值：要确认某一设置优于另一设置，请用 `ruralsim compare` 对二者进行比较。",
        },
        "run_line": {"en": "{label}: {value}.", "zh": "{label}：{value}。"},
        "sweep_range": {
            "en": "{label}: lowest at {low_point} ({low}), highest at {high_point} ({high}).",
            "zh": "{label}：最低为 {low_point}（{low}），最高为 {high_point}（{high}）。",
        },
        "sweep_flat": {
            "en": "{label}: the same at every point ({value}).",
            "zh": "{label}：所有扫描点相同（{value}）。",
        },
        "reference_is": {
            "en": "Reference scenario: {reference}. Compared: {others}.",
            "zh": "参照情景：{reference}。比较情景：{others}。",
        },
        # ------------------------------------------------------------ figures
        "fig_cdf_title": {
            "en": "How quickly parcels reach the village point",
            "zh": "包裹送达村级服务点的速度",
        },
        "fig_cdf_x": {
            "en": "Lead time, hub arrival to village point (hours)",
            "zh": "送达时长：到达分拨中心至送达村级服务点（小时）",
        },
        "fig_cdf_title_outlets": {
            "en": "How quickly parcels reach the village point or the brand's township outlet",
            "zh": "包裹送达村级服务点或品牌乡镇网点的速度",
        },
        "fig_cdf_x_outlets": {
            "en": "Lead time, hub or depot arrival to village point or township outlet (hours)",
            "zh": "送达时长：到达分拨中心至送达村级服务点或乡镇网点（小时）",
        },
        "fig_cdf_y": {
            "en": "Delivered parcels that arrived within this time (%)",
            "zh": "在该时长内送达的包裹占比（%）",
        },
        "cap_cdf_outlets": {
            "en": "Share of delivered parcels (up) that reached the village point, or for a "
            "parcel villagers collect in town its brand's township outlet, within a given "
            "time after arriving at the county hub or the brand's depot (across). The "
            "steeper and further left a curve, the faster. Dashed lines mark 24 and 48 "
            "hours. Each curve averages the replications' percentiles; its 90% point is the "
            "90th-percentile lead time in the table.",
            "zh": "纵轴为在给定时长（横轴，自到达县级分拨中心或品牌分拨中心起）内送达村级服务点"
            "（村民到乡镇自取的包裹为送达该品牌乡镇网点）的包裹占比。曲线越陡、越靠左，送达越快。"
            "虚线标出 24 小时和 48 小时。每条曲线为各次重复模拟百分位数的平均，其 90% 处即表中的 "
            "90% 分位送达时长。",
        },
        "fig_cdf_hours": {"en": "{hours} h", "zh": "{hours} 小时"},
        "fig_cdf_cut": {
            "en": "axis cut at the slowest scenario's 99th percentile",
            "zh": "横轴截至最慢情景的第 99 百分位",
        },
        "cap_cdf": {
            "en": "Share of delivered parcels (up) that reached the village point within a "
            "given time after arriving at the county hub (across). The steeper and further "
            "left a curve, the faster. Dashed lines mark 24 and 48 hours. Each curve averages "
            "the replications' percentiles; its 90% point is the 90th-percentile lead time "
            "in the table.",
            "zh": "纵轴为在给定时长（横轴，自到达县级分拨中心起）内送达村级服务点的包裹占比。"
            "曲线越陡、越靠左，送达越快。虚线标出 24 小时和 48 小时。每条曲线为各次重复模拟"
            "百分位数的平均，其 90% 处即表中的 90% 分位送达时长。",
        },
        "fig_bars_title": {
            "en": "Headline indicators (bars: mean; whiskers: 95% confidence interval)",
            "zh": "主要指标（柱：均值；误差线：95% 置信区间）",
        },
        "cap_bars": {
            "en": "Mean of each headline indicator with its 95% confidence interval. Where "
            "whiskers of two bars overlap, look at the paired difference in the table, "
            "which is usually much sharper.",
            "zh": "各主要指标的均值及其 95% 置信区间。两根柱子的误差线重叠时，请查看表中的配对"
            "差值，其精度通常高得多。",
        },
        "fig_reform_title": {
            "en": "What the reform buys: door time, vehicle-km, cost, villagers' km to town",
            "zh": "改革的成效：到手时长、车辆里程、成本、村民进镇取件里程",
        },
        "cap_reform": {
            "en": "For each scenario in the order compared (status quo, partial, unified): "
            "mean time until the parcel is in the villager's hands (a trip to the township "
            "outlet included), km driven by all vehicles, total cost, and km villagers "
            "travel to collect in town. Whiskers: 95% confidence intervals.",
            "zh": "按比较顺序（现状、部分整合、统一配送）列出各情景：包裹到达村民手中的平均时长"
            "（含进镇到快递网点取件）、全部车辆行驶里程、总成本，以及村民进镇取件的里程。"
            "误差线为 95% 置信区间。",
        },
        "reform_line": {
            "en": "The reform, from {reference} to {name}: parcels are in villagers' hands "
            "after {door_ref} → {door_name} h on average, and villagers travel {km_ref} → "
            "{km_name} km to collect in town; for this, vehicles drive {vkm_ref} → {vkm_name} "
            "km and the network costs {cost_ref} → {cost_name} CNY in total over the "
            "measured days.",
            "zh": "改革（{reference} → {name}）：包裹平均到手时长 {door_ref} → {door_name} 小时，"
            "村民进镇取件里程 {km_ref} → {km_name} 公里；代价是车辆行驶里程 {vkm_ref} → "
            "{vkm_name} 公里，统计期内网络总成本 {cost_ref} → {cost_name} 元。",
        },
        "fig_tradeoff_title": {
            "en": "Cost against delivery time",
            "zh": "成本与送达时长",
        },
        "fig_tradeoff_better": {"en": "better: lower left", "zh": "越靠左下越好"},
        "fig_costs_title": {"en": "What a parcel costs", "zh": "单件成本构成"},
        "fig_costs_axis": {"en": "CNY per parcel", "zh": "元/件"},
        "cap_costs": {
            "en": "Each scenario's cost per parcel split into transport (vehicles), "
            "facilities (hub, stations, village points) and fees (bus operators, village "
            "points); subsidies are negative and drawn below zero. Means over replications; "
            "the black mark is the total.",
            "zh": "各情景单件成本按运输（车辆）、场站（分拨中心、乡镇站点、村级服务点）和费用"
            "（客运企业、村级服务点）拆分；补贴为负值，画在零线以下。为各次重复的均值；黑色标记为"
            "总成本。",
        },
        "cap_tradeoff": {
            "en": "Each scenario's cost per parcel (up) against the time within which 90% of "
            "parcels reach the village point (across), with 95% confidence intervals both "
            "ways. Lower left is cheaper and faster. The axes are fitted to the points, not "
            "drawn from zero: read the distances on the axes.",
            "zh": "各情景的单件成本（纵轴）与 90% 包裹送达村级服务点所需时长（横轴），两个方向均"
            "给出 95% 置信区间。越靠左下，越便宜、越快。坐标轴按各点范围截取，不从零开始，"
            "差距请以坐标刻度为准。",
        },
        "fig_map_title": {
            "en": "The county: where parcels are slow",
            "zh": "县域地图：哪里的包裹送得慢",
        },
        "fig_map_colour": {
            "en": "Mean lead time to the village point (hours)",
            "zh": "送达村级服务点的平均时长（小时）",
        },
        "fig_map_x": {"en": "East–west (km)", "zh": "东西方向（公里）"},
        "fig_map_y": {"en": "North–south (km)", "zh": "南北方向（公里）"},
        "fig_map_lon": {"en": "Longitude (°E)", "zh": "经度（°E）"},
        "fig_map_lat": {"en": "Latitude (°N)", "zh": "纬度（°N）"},
        "cap_map": {
            "en": "Village points coloured by their mean lead time over all replications "
            "(grey: no parcel delivered), with the county hub, the township stations and the "
            "routes the vehicles and bus lines run; the hub and stations are named by their ids. "
            "Positions are in kilometres from the hub, or in longitude and latitude when the "
            "places CSV gives them.",
            "zh": "村级服务点按各次重复模拟的平均送达时长着色（灰色：无包裹送达），并标出县级"
            "分拨中心、乡镇服务站（附编号）以及车辆和客运班线的线路。位置以距分拨中心的公里数"
            "表示；地点表给出经纬度时按经纬度绘制。",
        },
        "fig_daily_title": {"en": "Day by day", "zh": "逐日情况"},
        "fig_daily_parcels": {"en": "Parcels per day", "zh": "每日包裹数（件）"},
        "fig_daily_backlog": {"en": "Waiting at end of day", "zh": "日终积压（件）"},
        "fig_daily_util": {"en": "Sorting line busy (%)", "zh": "分拣线利用率（%）"},
        "fig_daily_x": {
            "en": "Day of the simulation (day 0 is a Monday)",
            "zh": "仿真天数（第 0 天为周一）",
        },
        "fig_daily_arrived": {"en": "arrived at hub", "zh": "到达分拨中心"},
        "fig_daily_delivered": {"en": "{name}: delivered", "zh": "{name}：送达"},
        "fig_daily_hub": {"en": "{name}: at hub", "zh": "{name}：分拨中心"},
        "fig_daily_stations": {"en": "{name}: at stations", "zh": "{name}：乡镇服务站"},
        "fig_daily_same": {"en": "every scenario (identical)", "zh": "各情景（完全相同）"},
        "fig_daily_all": {"en": "{what}, every scenario", "zh": "{what}（各情景相同）"},
        "fig_daily_warmup": {"en": "warm-up", "zh": "预热期"},
        "fig_daily_drain": {"en": "no new parcels", "zh": "无新包裹"},
        "fig_daily_peak": {"en": "demand peak ×{factor}", "zh": "需求高峰 ×{factor}"},
        "fig_daily_peak_of": {"en": "{peak} ({names})", "zh": "{peak}（{names}）"},
        "cap_daily": {
            "en": "Mean over replications, per day: parcels arriving at the hub and delivered "
            "to village points; parcels still waiting at the hub and at township stations at "
            "the end of the day; share of the sorting line's shift hours it was busy. Grey "
            "days are not measured: the warm-up (the network starts empty) and the last days, "
            "when no new parcels arrive and the measured ones finish.",
            "zh": "各次重复模拟的逐日均值：到达分拨中心和送达村级服务点的包裹数；日终仍滞留在"
            "分拨中心和乡镇服务站的包裹数；分拣线在班次时间内的繁忙比例。灰色区域不计入统计："
            "预热期（网络从空开始）以及最后几天（不再有新包裹，只让已统计的包裹完成配送）。",
        },
        "fig_bands_title": {
            "en": "Lead time by road distance from the hub",
            "zh": "按距分拨中心道路距离分段的送达时长",
        },
        "fig_bands_x": {
            "en": "Road distance from the county hub",
            "zh": "距县级分拨中心的道路距离",
        },
        "fig_bands_y": {"en": "Mean lead time (hours)", "zh": "平均送达时长（小时）"},
        "fig_bands_band": {
            "en": "{low}–{high} km\n{count} villages",
            "zh": "{low}–{high} 公里\n{count} 个村",
        },
        "fig_bands_band_one": {
            "en": "{low}–{high} km\n1 village",
            "zh": "{low}–{high} 公里\n1 个村",
        },
        "cap_bands": {
            "en": "Mean lead time of the parcels delivered to villages in each distance band, "
            "with 95% confidence intervals over replications.",
            "zh": "各距离段内村庄所收包裹的平均送达时长，误差线为各次重复模拟的 95% 置信区间。",
        },
        # ------------------------------------------------------------ harvest figure
        "harvest_same_day": {"en": "out the same day", "zh": "当天发出"},
        "harvest_spoiled": {"en": "spoiled", "zh": "腐损"},
        "harvest_day": {"en": "day", "zh": "日"},
        "harvest_parcels": {"en": "parcels per day", "zh": "每日包裹数（件）"},
        "harvest_fastest": {
            "en": "Farm products: {fast} gets the harvest out fastest ({share:.0%} leave the "
            "day they are dropped off, {hours:.1f} h on average); {safe} loses the least "
            "({spoiled:.1%} spoiled).",
            "zh": "农产品：{fast} 出县最快（当天发出 {share:.0%}，平均 {hours:.1f} 小时）；"
            "{safe} 损耗最少（腐损 {spoiled:.1%}）。",
        },
        "fig_outbound_season_title": {
            "en": "Farm products over the season",
            "zh": "农产品出村逐日情况",
        },
        "cap_outbound_season": {
            "en": "Mean over replications, per day of drop-off: farm-product parcels dropped off "
            "at the village points, by product (bars); of them, those that left the hub on a "
            "line-haul the same day (line) and those that spoiled (dotted).",
            "zh": "各重复的平均值，按交寄日：在村级服务点交寄的农产品包裹（柱，按品类）；"
            "其中当天随干线发出的（实线）与腐损的（虚线）。",
        },
        "fig_outbound_kpis_title": {"en": "Getting the harvest out", "zh": "农产品出县"},
        "cap_outbound_kpis": {
            "en": "By delivery model, mean with 95% interval: share out the day it was dropped "
            "off, drop-off to line-haul, share of the parcel-km on vehicles that ran anyway "
            "(backhaul), share spoiled.",
            "zh": "按配送模式（均值及 95% 置信区间）：当天出县比例、交寄至干线发出时长、"
            "搭载既有车次的包裹公里比例（回程利用）、腐损比例。",
        },
        "fig_sweep_title": {
            "en": "Headline indicators across the sweep (band: 95% confidence interval)",
            "zh": "主要指标随参数的变化（阴影：95% 置信区间）",
        },
        "cap_sweep": {
            "en": "Each headline indicator's mean at every point of the sweep against the "
            "varied setting, with its 95% confidence interval (band or whiskers).",
            "zh": "各主要指标在每个扫描点的均值随所变参数的变化，阴影或误差线为 95% 置信区间。",
        },
        "fig_mean": {"en": "mean", "zh": "均值"},
        "legend_scenarios": {"en": "Scenarios", "zh": "情景"},
        "legend_points": {"en": "Points", "zh": "扫描点"},
        # ------------------------------------------------------------ where the time goes
        "stage_hub_processing": {
            "en": "At the hub: inspection and sorting",
            "zh": "分拨中心查验与分拣",
        },
        "stage_hub_waiting": {"en": "Waiting at the hub for a vehicle", "zh": "在分拨中心等车"},
        "stage_to_station": {"en": "Riding to the township station", "zh": "运往乡镇服务站"},
        "stage_station_waiting": {"en": "Waiting at the station", "zh": "在乡镇服务站等待"},
        "stage_to_village": {"en": "Riding to the village", "zh": "运往村级服务点"},
        "stage_point_waiting": {
            "en": "Waiting at the point for the villager",
            "zh": "在服务点等待村民取件",
        },
        "stages_title": {"en": "Where the time goes", "zh": "时间花在哪里"},
        "col_measure": {"en": "Measured until", "zh": "统计至"},
        "col_stage_total": {"en": "Total (h)", "zh": "合计（小时）"},
        "measure_lead": {
            "en": "at the village point (mean lead time, h)",
            "zh": "送达村级服务点（平均送达时长，小时）",
        },
        "measure_door": {
            "en": "in the villager's hands (mean door time, h)",
            "zh": "交到村民手中（平均到手时长，小时）",
        },
        "stages_note": {
            "en": "Mean hours per parcel in each stage, means of {n} replications: until the "
            "village point over delivered parcels, until the villager's hands over collected "
            "ones (as the key figures). The stages add up to the mean lead and door times. "
            "Parcels that never pass a township station spend no time in its two stages; bus "
            "legs count as riding.",
            "zh": "每件包裹在各环节的平均小时数，为 {n} 次重复模拟的均值：送达村级服务点按已送达"
            "包裹计，交到村民手中按已取件包裹计（与关键指标一致）。各环节之和等于平均送达时长和"
            "平均到手时长。不经过乡镇服务站的包裹在两个服务站环节用时为零；客车运输计入运输环节。",
        },
        "stage_most": {
            "en": "Where the time goes ({name}): of the {total} h mean lead time, the longest "
            "stage is {stage}, {hours} h ({share}).",
            "zh": "时间花在哪里（{name}）：平均送达时长 {total} 小时中，耗时最长的环节是"
            "{stage}，{hours} 小时（{share}）。",
        },
        "fig_stages_title": {
            "en": "Where the time goes: mean hours per parcel in each stage",
            "zh": "时间花在哪里：每件包裹在各环节的平均小时数",
        },
        "fig_stages_x": {"en": "Mean hours per parcel", "zh": "每件包裹平均小时数"},
        "fig_stages_lead": {"en": "{name}: to the village point", "zh": "{name}：送达服务点"},
        "fig_stages_door": {
            "en": "{name}: to the villager's hands",
            "zh": "{name}：交到村民手中",
        },
        "fig_stages_slowest": {
            "en": "{name}: ten slowest villages",
            "zh": "{name}：送达最慢的十个村",
        },
        "cap_stages": {
            "en": "Top: each scenario's mean time per parcel until the village point and until "
            "the villager's hands, split into the stages of the way; the number at the end of "
            "a bar is the total, the mean lead or door time. Below: the ten villages with the "
            "longest mean lead time of each scenario, split the same way. Means over "
            "replications.",
            "zh": "上图：各情景每件包裹送达村级服务点和交到村民手中的平均时长，按途经环节拆分；"
            "条末数字为合计，即平均送达时长或平均到手时长。下图：各情景平均送达时长最长的十个村，"
            "按同样方式拆分。为各次重复模拟的均值。",
        },
        # ------------------------------------------------------------ map legend
        "place_hub": {"en": "County hub", "zh": "县级分拨中心"},
        "place_station": {"en": "Township station", "zh": "乡镇服务站"},
        "place_point": {"en": "Village point", "zh": "村级服务点"},
        "fleet_hub_van": {"en": "Hub van route", "zh": "县级配送车线路"},
        "fleet_trunk": {"en": "Trunk run to stations", "zh": "县乡干线车线路"},
        "fleet_township_van": {"en": "Township van route", "zh": "乡镇配送车线路"},
        "fleet_bus": {"en": "Bus line (carries parcels)", "zh": "客货邮班线"},
        "fleet_other": {"en": "{fleet} route", "zh": "{fleet} 线路"},
    }
)
"""Every report text by key, then language."""

KPI_LABELS = MappingProxyType(
    {kpi.name: MappingProxyType({lang: kpi.label(lang) for lang in LANGUAGES}) for kpi in KPIS}
)
"""A plain label for every KPI (a view of :mod:`sim.analysis.kpi_table`)."""

UNITS = MappingProxyType(
    {
        "h": {"en": "h", "zh": "小时"},
        "min": {"en": "min", "zh": "分钟"},
        "CNY": {"en": "CNY", "zh": "元"},
        "kg": {"en": "kg", "zh": "千克"},
        "km": {"en": "km", "zh": "公里"},
        "%": {"en": "%", "zh": "%"},
        "pp": {"en": "percentage points", "zh": "个百分点"},
        "pp_short": {"en": "pp", "zh": "个百分点"},
        "parcels": {"en": "parcels", "zh": "件"},
        "": {"en": "", "zh": ""},
    }
)
"""Units as shown, by language."""


def check_language(lang: str) -> str:
    """Return ``lang`` if the report speaks it.

    Raises
    ------
    ValueError
        For any other language.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown report language {lang!r} (known: {', '.join(LANGUAGES)})")
    return lang


def tr(key: str, lang: str, **fields) -> str:
    """The text ``key`` in ``lang`` with its ``{fields}`` filled in.

    Parameters
    ----------
    key : str
        An entry of :data:`TEXT`.
    lang : str
        ``"en"`` or ``"zh"``.
    **fields
        Values for the entry's placeholders.

    Returns
    -------
    str
        The text.
    """
    return TEXT[key][check_language(lang)].format(**fields)


def kpi_label(kpi: str, lang: str) -> str:
    """A KPI's plain label (the KPI name itself for a KPI this table does not know)."""
    return KPI_LABELS.get(kpi, {}).get(check_language(lang), kpi)


def unit_text(unit: str, lang: str) -> str:
    """A unit (``"h"``, ``"CNY"``, ``"pp"`` …) as shown in ``lang``; unknown units as given."""
    return UNITS.get(unit, {}).get(check_language(lang), unit)


def fleet_label(fleet: str, lang: str) -> str:
    """Legend text for a fleet's routes."""
    key = f"fleet_{fleet}"
    if key in TEXT:
        return tr(key, lang)
    return tr("fleet_other", lang, fleet=fleet)
