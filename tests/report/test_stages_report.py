"""The report's "where the time goes": table, figure and sentence agree with the key figures."""

from __future__ import annotations

import re

import numpy as np
import pytest

from sim.analysis.stages import STAGES
from sim.report import load_results
from sim.report.i18n import tr
from sim.report.stages import plot_stages, stage_phrase, stages_table
from tests.report.helpers import CJK


@pytest.fixture(scope="module")
def results(compare_folder):
    return load_results(compare_folder)


def _mean(results, name: str, kpi: str) -> float:
    table = results.table
    return float(table[(table["scenario"] == name) & (table["kpi"] == kpi)]["mean"].iloc[0])


def test_every_scenario_keeps_its_stages(compare_folder, results):
    for name in results.names:
        assert (compare_folder / name / "details" / "stages.csv").is_file()
        assert results.details[name].stages["replication"].nunique() == 3


def test_the_table_adds_up_to_the_mean_lead_and_door_times(results):
    html = stages_table(results, "en")
    assert html.startswith('<section id="stages">')
    for name in results.names:
        for measure, kpi in (("lead", "lead_time_mean_h"), ("door", "door_time_mean_h")):
            row = re.search(rf'data-scenario="{name}" data-measure="{measure}">(.*?)</tr>', html)
            cells = re.findall(r"<td>(.*?)</td>", row.group(1))
            stages = [float(c.replace(",", "")) for c in cells[2:-1]]
            total = float(cells[-1].replace(",", ""))
            assert len(stages) == len(STAGES)
            # Each shown to about three figures: the sum within their rounding.
            assert sum(stages) == pytest.approx(total, abs=0.01 * len(STAGES))
            assert total == pytest.approx(_mean(results, name, kpi), rel=0.005)


def test_the_figure_bars_are_the_mean_lead_and_door_times(results):
    fig = plot_stages(results.details)
    ends = {}
    for patch in fig.axes[0].patches:
        y = round(patch.get_y(), 6)
        ends[y] = max(ends.get(y, 0.0), patch.get_x() + patch.get_width())
    want = [
        _mean(results, name, kpi)
        for name in results.names
        for kpi in ("lead_time_mean_h", "door_time_mean_h")
    ]
    got = [ends[y] for y in sorted(ends, reverse=True)]  # the first bar is at the top
    assert got == pytest.approx(want, rel=1e-9)
    assert len(fig.axes) == 1 + len(results.names)  # and each scenario's slowest villages


def test_the_summary_names_the_stage_that_costs_most(results):
    for name in results.names:
        stages = results.details[name].stages
        county = stages[(stages["measure"] == "lead") & stages["village"].isna()]
        means = county[[f"{s}_h" for s in STAGES]].mean().to_numpy()
        costliest = STAGES[int(np.argmax(means))]
        text = stage_phrase(results, name, "en").plain()
        assert tr(f"stage_{costliest}", "en").lower() in text
        assert text.startswith(f"Where the time goes ({results.title(name)})")
        assert CJK.search(stage_phrase(results, name, "zh").plain())


def test_long_scenario_titles_stay_inside_the_stages_figure(results):
    # The village ids make the lower panels narrow; a title that started at the axes
    # ran off the figure's right edge with a long scenario title.
    long_title = "A scenario title long enough to fill most of the page width"
    labels = dict.fromkeys(results.names, long_title)
    fig = plot_stages(results.details, lang="en", labels=labels)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width = fig.bbox.width
    titles = [ax.title for ax in fig.axes if ax.get_title()]
    assert len(titles) == len(results.names)
    for title in titles:
        box = title.get_window_extent(renderer)
        assert 0 <= box.x0 and box.x1 <= width, title.get_text()
