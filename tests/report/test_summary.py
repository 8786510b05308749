"""The report's summary says what the terminal's verdicts say, with the same numbers."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import KPI_NAMES
from sim.analysis.compare import verdict, verdicts
from sim.report import load_results
from sim.report.i18n import KPI_LABELS, LANGUAGES, TEXT, UNITS
from sim.report.summary import classify, finding, is_percent, summarize_results, verdict_phrase
from tests.report.conftest import VIA_TITLE
from tests.report.helpers import CJK

# KPIs whose value the report shows in % although the terminal shows a fraction.
SAME_SCALE = [k for k in KPI_NAMES if not is_percent(k) or k.endswith("_share")]

WORDS = {
    "identical": "identical in every replication",
    "unknown": "cannot tell",
    "none": "no significant difference",
    "negligible": "no practical difference",
    "faster": " faster than ",
    "slower": " slower than ",
    "lower": " lower",
    "higher": " higher",
}

finite = st.floats(-1e4, 1e4, allow_nan=False).filter(lambda v: v == 0 or abs(v) > 1e-6)


@st.composite
def differences(draw):
    """A difference with its interval: ordinary, zero-width, exactly zero, or undefined."""
    kind = draw(st.sampled_from(["interval", "zero", "undefined", "touching"]))
    if kind == "zero":
        return 0.0, 0.0, 0.0
    if kind == "undefined":
        return draw(finite), math.nan, math.nan
    low, high = sorted([draw(finite), draw(finite)])
    if kind == "touching":
        low = 0.0 if draw(st.booleans()) else low
        high = max(high, low)
    return (low + high) / 2, low, high


thresholds = st.one_of(st.just(0.0), st.floats(0, 1e4, allow_nan=False))


@settings(max_examples=400, deadline=None)
@given(
    kpi=st.sampled_from(KPI_NAMES), interval=differences(), p=st.floats(0, 1), threshold=thresholds
)
def test_the_outcome_agrees_with_the_terminal_verdict(kpi, interval, p, threshold):
    diff, low, high = interval
    outcome, judgement = classify(kpi, diff, low, high, threshold)
    line = verdict(
        kpi,
        "b",
        "a",
        diff,
        low,
        high,
        p,
        10.0,
        identical=interval == (0, 0, 0),
        threshold=threshold,
    )
    assert WORDS[outcome] in line
    others = [words for key, words in WORDS.items() if key != outcome and key not in ("lower",)]
    assert not any(words in line for words in others if words.strip() not in WORDS[outcome])
    assert ("(better)" in line) == (judgement == "better")
    assert ("(worse)" in line) == (judgement == "worse")


@settings(max_examples=300, deadline=None)
@given(
    kpi=st.sampled_from(SAME_SCALE),
    interval=differences(),
    p=st.one_of(st.just(math.nan), st.floats(0, 1)),
    reference=finite,
    threshold=thresholds,
)
def test_the_english_phrase_is_the_terminal_line(kpi, interval, p, reference, threshold):
    diff, low, high = interval
    table = pd.DataFrame(
        [
            {"scenario": "a", "kpi": kpi, "mean": reference},
            {"scenario": "b", "kpi": kpi, "mean": reference + diff},
        ]
    ).assign(
        ci_low=np.nan,
        ci_high=np.nan,
        diff=[np.nan, diff],
        diff_ci_low=[np.nan, low],
        diff_ci_high=[np.nan, high],
        p_value=[np.nan, p],
        practical=[np.nan, threshold],
    )
    (terminal,) = verdicts(table, [kpi])
    phrase = verdict_phrase(finding(table, kpi, "b", "a"), "en").plain()
    assert f"{kpi}: {phrase}" == terminal


def test_summary_lines_match_the_comparison_verdicts(compare_folder):
    results = load_results(compare_folder)
    summary = summarize_results(results, "en")
    table = pd.read_csv(compare_folder / "comparison.csv")
    text = summary.plain()
    assert len(summary.lines) == 5  # the headline KPIs
    # The summary names a scenario by its title, the terminal by its name.
    for terminal in verdicts(table, ["lead_time_mean_h", "lead_time_p90_h", "on_time_24h_share"]):
        assert terminal.split(": ", 1)[1].replace("sc_via", VIA_TITLE) in text
    # The opening weighs the headline KPIs as the verdicts do: mean lead time is in the
    # clause its verdict says.
    (mean_line,) = verdicts(table, ["lead_time_mean_h"])
    opening = summary.lead[1].plain()
    assert opening.startswith(f"{VIA_TITLE} against sc_direct: ")
    clause = next(c for c in opening.split("; ") if "mean lead time" in c)
    if " slower than " in mean_line:
        assert "worse on " in clause
    elif " faster than " in mean_line:
        assert "better on " in clause
    elif "no practical difference" in mean_line:
        assert "no practical difference on " in clause
    else:
        assert "not clear on " in clause


def test_every_text_has_both_languages_and_the_chinese_is_chinese():
    for table in (TEXT, KPI_LABELS):
        for key, entry in table.items():
            assert set(entry) == set(LANGUAGES), key
            words = re.sub(r"\{\w+\}", "", entry["en"])  # placeholders are filled in
            if re.search(r"[A-Za-z]{2,}", words):
                assert CJK.search(entry["zh"]), key
    for key, entry in UNITS.items():
        assert set(entry) == set(LANGUAGES), key
    assert set(KPI_LABELS) == set(KPI_NAMES)
    # The same placeholders in both languages.
    import string

    for key, entry in TEXT.items():
        fields = [
            {name for _, name, _, _ in string.Formatter().parse(entry[lang]) if name}
            for lang in LANGUAGES
        ]
        assert fields[0] == fields[1], key
