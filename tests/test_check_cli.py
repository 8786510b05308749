"""``ruralsim check`` end to end: baselines, regressions, noise, improvements, bad input."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from scipy import stats

import sim
from sim import KPI_NAMES, load_scenario
from sim.analysis.regression import DEFAULT_KPIS
from sim.checking.baselines import read_baseline
from sim.experiments.folder import fingerprint
from sim.results import package_version
from tests.conftest import REPO, SCENARIOS, cli

TINY = """\
name: {name}
horizon: {{days: 3, warmup_days: 1, drain_days: 1}}
network: {{townships: 2, villages_per_township: [2, 3], area_km2: 900}}
demand: {{parcels_per_capita_day: 0.01}}
routing: {{iterations: 50}}
delivery: {{model: direct}}
fleets:
  hub_van:
    capacity_parcels: 200
    speed_kmh: {speed}
    departures: ["08:00", "14:00"]
    max_route_h: 6
"""
SHORT = ["--set", "horizon.days=4", "--set", "horizon.warmup_days=1"]
SHORT += ["--set", "routing.iterations=30"]
VERDICTS = ("ok", "regressed", "improved", "not comparable")


def write_tiny(path: Path, speed: float = 40, name: str = "tiny") -> str:
    path.write_text(TINY.format(name=name, speed=speed))
    return str(path)


@pytest.fixture
def tiny(tmp_path) -> str:
    """A two-township county for three days, hub vans at 40 km/h: ~3 ms a replication."""
    return write_tiny(tmp_path / "tiny.yaml")


def verdicts(printed: str) -> list[dict[str, str]]:
    """The tables of a check's output: one {KPI: verdict} per scenario, in order."""
    tables: list[dict[str, str]] = []
    inside = False
    for line in printed.splitlines():
        words = line.split()
        if words and words[0] == "KPI" and line.rstrip().endswith("verdict"):
            tables.append({})
            inside = True
        elif inside and words and words[0] in KPI_NAMES:
            tables[-1][words[0]] = next(v for v in VERDICTS if line.rstrip().endswith(v))
        else:
            inside = False
    return tables


def update(tiny, baseline, capsys, *extra) -> None:
    code, out, err = cli(["check", tiny, "--baseline", baseline, "--update", *extra], capsys)
    assert code == 0, err
    assert "baseline created" in out or "baseline replaced" in out


# --------------------------------------------------------------------------- baselines


def test_update_writes_a_complete_baseline_that_an_unchanged_check_reproduces(
    tiny, tmp_path, capsys
):
    baseline = tmp_path / "baselines"
    update(tiny, baseline, capsys, "--replications", 4, "--seed", 3, "--set", "horizon.days=4")
    assert sorted(p.name for p in baseline.iterdir()) == ["tiny.json"]
    data = json.loads((baseline / "tiny.json").read_text())
    scenario = load_scenario(tiny, ["horizon.days=4"])
    assert data["scenario_name"] == "tiny"
    assert data["scenario"] == scenario.model_dump(mode="json")
    assert data["fingerprint"] == fingerprint(scenario, tiny).sha256
    assert data["inputs"] == {"tiny.yaml": fingerprint(scenario, tiny).inputs["tiny.yaml"]}
    assert (data["seed"], data["replications"], data["overrides"]) == (3, 4, ["horizon.days=4"])
    assert data["package_version"] == package_version()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", data["created_at"])
    # The values are those of the plain serial runner (an independent code path).
    expected = sim.run_replications(scenario, 4, seed=3)
    for kpi in ("lead_time_mean_h", "lead_time_p90_h", "parcels_generated"):
        assert data["kpis"][kpi]["values"] == expected[kpi].tolist()
    assert set(data["kpis"]) == set(KPI_NAMES)

    # Same code, same scenario: the baseline's seed, replications and overrides are
    # reused, so every value is reproduced exactly.
    code, out, _ = cli(["check", tiny, "--baseline", baseline], capsys)
    assert code == 0
    assert verdicts(out) == [dict.fromkeys(DEFAULT_KPIS, "ok")]
    assert "scenario unchanged since the baseline" in out
    assert "4 replications, seed 3" in out
    assert "check passed" in out.splitlines()[-1]


def test_update_round_trip_replaces_and_records_the_new_settings(tiny, tmp_path, capsys):
    baseline = tmp_path / "b"
    update(tiny, baseline, capsys, "--replications", 3)
    first = read_baseline(baseline / "tiny.json")
    assert (first.replications, first.seed, first.overrides) == (3, 1, [])  # scenario's seed
    code, out, _ = cli(
        ["check", tiny, "--baseline", baseline, "--update", "--replications", 5]
        + ["--set", "fleets.hub_van.speed_kmh=30"],
        capsys,
    )
    assert code == 0
    assert "baseline replaced (scenario changed: 1 field)" in out
    second = read_baseline(baseline / "tiny.json")
    assert (second.replications, second.overrides) == (5, ["fleets.hub_van.speed_kmh=30"])
    assert second.scenario["fleets"]["hub_van"]["speed_kmh"] == 30
    # A check without --set uses the recorded override: the scenario is unchanged.
    code, out, _ = cli(["check", tiny, "--baseline", baseline, "--quiet"], capsys)
    assert code == 0
    assert out.startswith("check passed: 1 scenario(s), 7 KPI checks: 0 regressed")


# --------------------------------------------------------------------------- the verdicts


def test_slower_vans_in_the_scenario_file_regress_and_the_change_is_listed(tiny, tmp_path, capsys):
    baseline = tmp_path / "b"
    update(tiny, baseline, capsys, "--replications", 5)
    write_tiny(Path(tiny), speed=20)  # halve the van speed in the file itself
    code, out, _ = cli(["check", tiny, "--baseline", baseline], capsys)
    assert code == 1
    (table,) = verdicts(out)
    # Half-speed vans lengthen every trip: lead and door times rise ~0.3-0.6 h.
    for kpi in ("lead_time_mean_h", "lead_time_p90_h", "lead_time_p95_h"):
        assert table[kpi] == "regressed", out
    # Everything is still delivered within a day: the on-time shares do not move.
    assert table["on_time_24h_share"] == table["on_time_48h_share"] == "ok"
    assert "scenario changed since the baseline (1 field, 1 file); compared anyway:" in out
    assert "fleets.hub_van.speed_kmh: 40.0 -> 20.0" in out
    assert "file tiny.yaml: contents changed" in out
    assert "lead_time_mean_h regressed: worse by" in out
    summary = out.splitlines()[-1]
    assert summary.startswith("check FAILED") and "tiny: lead_time_mean_h" in summary


def test_halved_sorting_rate_regresses_on_the_bundled_county(tmp_path, capsys):
    direct = str(SCENARIOS / "leiyang_direct.yaml")
    baseline = tmp_path / "b"
    code, _, err = cli(
        ["check", direct, "--baseline", baseline, "--update", "--replications", 3, *SHORT],
        capsys,
    )
    assert code == 0, err
    code, out, _ = cli(
        ["check", direct, "--baseline", baseline, "--set", "hub.sorting.rate_per_h=4000"],
        capsys,
    )
    assert code == 1
    (table,) = verdicts(out)
    # 4,000 parcels/h cannot clear the morning wave before the vans leave: the
    # mean lead time rises by hours, far beyond noise and the minimum effect.
    assert table["lead_time_mean_h"] == table["lead_time_p90_h"] == "regressed", out
    assert "hub.sorting.rate_per_h: 8000.0 -> 4000.0" in out
    assert "--set: horizon.days=4 horizon.warmup_days=1 routing.iterations=30 " in out


def test_an_improvement_is_reported_as_improved_with_exit_0(tiny, tmp_path, capsys):
    baseline = tmp_path / "b"
    update(tiny, baseline, capsys, "--replications", 5, "--set", "fleets.hub_van.speed_kmh=20")
    # The check's --set comes after the baseline's: vans back at 40 km/h.
    code, out, _ = cli(
        ["check", tiny, "--baseline", baseline, "--set", "fleets.hub_van.speed_kmh=40"], capsys
    )
    assert code == 0
    (table,) = verdicts(out)
    assert table["lead_time_mean_h"] == "improved"
    assert "regressed" not in table.values()
    assert "fleets.hub_van.speed_kmh: 20.0 -> 40.0" in out
    summary = out.splitlines()[-1]
    assert summary.startswith("check passed") and "improved: tiny: lead_time_mean_h" in summary

    # Say that lower is worse and the same change is a regression.
    code, out, _ = cli(
        ["check", tiny, "--baseline", baseline, "--set", "fleets.hub_van.speed_kmh=40"]
        + ["--kpi", "lead_time_mean_h:lower-is-worse"],
        capsys,
    )
    assert code == 1
    assert verdicts(out) == [{"lead_time_mean_h": "regressed"}]


def test_a_larger_minimum_effect_lets_the_slowdown_pass(tiny, tmp_path, capsys):
    baseline = tmp_path / "b"
    update(tiny, baseline, capsys, "--replications", 5)
    argv = ["check", tiny, "--baseline", baseline, "--set", "fleets.hub_van.speed_kmh=20"]
    argv += ["--kpi", "lead_time_mean_h"]
    code, _, _ = cli(argv, capsys)
    assert code == 1
    code, out, _ = cli([*argv, "--min-effect", "lead_time_mean_h=2"], capsys)
    assert code == 0
    assert verdicts(out) == [{"lead_time_mean_h": "ok"}]
    assert "lead_time_mean_h 2 h" in out  # the rule line shows the minimum effect


def test_pure_noise_false_alarms_stay_within_the_level(tmp_path, capsys):
    """Same scenario, a new seed: the check must pass but for rare false alarms.

    Each of N = 40 trials makes a baseline with seed 2i and checks it with seed
    2i + 1 (5 replications each), so the trials are independent. The rule promises
    P(false alarm per scenario) <= alpha, so the number of alarms is at most
    Binomial(N, alpha); we allow the largest count that has a probability of at
    least 1% under that bound (2 of 40 at alpha = 0.01). The second pass removes
    every minimum effect, so only the Welch test with its Bonferroni split guards,
    and uses alpha = 0.2 for a sharper test (at most 14 of 40).
    """
    tiny = write_tiny(tmp_path / "tiny.yaml")
    trials = 40
    for trial in range(trials):
        update(tiny, tmp_path / f"b{trial}", capsys, "--replications", 5, "--seed", 2 * trial)
    zero = [arg for kpi in DEFAULT_KPIS for arg in ("--min-effect", f"{kpi}=0")]
    for level, extra in ((0.01, []), (0.2, zero)):
        alarms = 0
        for trial in range(trials):
            argv = ["check", tiny, "--baseline", tmp_path / f"b{trial}", "--quiet"]
            code, out, err = cli([*argv, "--seed", 2 * trial + 1, "--level", level, *extra], capsys)
            assert code in (0, 1), err
            assert "independent" not in out  # --quiet: summary only
            alarms += code
        allowed = next(k for k in range(trials) if stats.binom.sf(k, trials, level) < 0.01)
        assert alarms <= allowed, f"{alarms} false alarms in {trials} at level {level}"


# --------------------------------------------------------------------------- bad input


def test_a_missing_baseline_exits_2_naming_it_and_how_to_make_it(tiny, tmp_path, capsys):
    baseline = tmp_path / "nothing_here"
    code, out, err = cli(["check", tiny, "--baseline", baseline], capsys)
    assert code == 2
    assert out == ""
    assert f"{baseline / 'tiny.json'}: no such baseline file" in err
    assert f"ruralsim check {tiny} --baseline {baseline} --update" in err
    assert "Traceback" not in err
    assert not baseline.exists()  # a check writes nothing


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"format": "something else"}', "not a ruralsim baseline file"),
        ("", "not valid JSON"),
        ("TRUNCATE", "not valid JSON"),
        ("OTHER", "holds the baseline of scenario 'other', not 'tiny'"),
        ("DIR", "is a folder"),
    ],
)
def test_an_unreadable_baseline_exits_2(tiny, tmp_path, capsys, content, message):
    baseline = tmp_path / "b"
    path = baseline / "tiny.json"
    if content in ("TRUNCATE", "OTHER"):
        other = write_tiny(tmp_path / "other.yaml", name="other" if content == "OTHER" else "tiny")
        update(other, baseline, capsys, "--replications", 2)
        if content == "OTHER":
            (baseline / "other.json").rename(path)
        else:
            text = path.read_text()
            path.write_text(text[: len(text) // 2])
    elif content == "DIR":
        path.mkdir(parents=True)
    else:
        baseline.mkdir()
        path.write_text(content)
    code, out, err = cli(["check", tiny, "--baseline", baseline], capsys)
    assert code == 2
    assert f"{path}: " in err and message in err
    assert "--update" in err and "Traceback" not in err


def _edit_baseline(path: Path, edit) -> None:
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def _null_every_value(data: dict) -> None:
    """A self-consistent record of a KPI undefined in every replication."""
    record = data["kpis"]["lead_time_p90_h"]
    record.update(values=[None] * len(record["values"]), n=0, mean=None, std=None)
    record.update(ci_low=None, ci_high=None)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            "NaN",
            "kpis.lead_time_p90_h.values.0: NaN is not a number a baseline may hold",
        ),
        (_null_every_value, "kpis.lead_time_p90_h has 0 value(s) of 2; a check needs at least 2"),
        (
            lambda d: d["kpis"].pop("on_time_24h_share"),
            "kpis.on_time_24h_share is missing, and it is checked",
        ),
        (
            lambda d: d.update(overrides=["horizon.days=3000"]),
            "overrides set horizon.days to 3000, but the scenario the file records has 3",
        ),
        (
            lambda d: d["scenario"]["fleets"]["hub_van"].update(speed_kmh=99.0),
            "fingerprint is not that of the scenario the file records",
        ),
        ("DEEP", "nested more than 32 levels deep"),
    ],
    ids=["nan", "no values", "no record", "horizon", "edited scenario", "deep"],
)
def test_a_baseline_that_would_switch_the_check_off_exits_2(tiny, tmp_path, capsys, edit, message):
    baseline = tmp_path / "b"
    update(tiny, baseline, capsys, "--replications", 2, "--set", "horizon.days=3")
    path = baseline / "tiny.json"
    if edit == "NaN":
        text = path.read_text()
        start = text.index('"lead_time_p90_h"')
        first = text.index('"values": [', start) + len('"values": [')
        end = text.index(",", first)
        path.write_text(text[:first] + "NaN" + text[end:])
    elif edit == "DEEP":
        path.write_text(path.read_text().rstrip()[:-1] + ', "x": ' + "[" * 50 + "]" * 50 + "}")
    else:
        _edit_baseline(path, edit)
    before = path.read_bytes()
    code, out, err = cli(["check", tiny, "--baseline", baseline], capsys)
    assert code == 2, (out, err)
    assert f"{path}: " in err and message in err, err
    assert "--update" in err and "Traceback" not in err and out == ""
    assert path.read_bytes() == before


def test_a_scenario_name_that_cannot_name_a_file_exits_2(tmp_path, capsys):
    bad = write_tiny(tmp_path / "bad.yaml", name="../../escape")
    code, out, err = cli(["check", bad, "--baseline", tmp_path / "b", "--update"], capsys)
    assert code == 2 and "name" in err and "Traceback" not in err
    assert not (tmp_path / "b").exists() and not list(tmp_path.parent.glob("escape*"))


def test_a_baseline_that_cannot_be_read_exits_2(tiny, tmp_path, capsys, monkeypatch):
    baseline = tmp_path / "b"
    update(tiny, baseline, capsys, "--replications", 2)
    target = baseline / "tiny.json"
    real = Path.read_text

    def denied(self, *args, **kwargs):
        if self == target:  # chmod 0 would not stop root, so deny it here
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", denied)
    code, _, err = cli(["check", tiny, "--baseline", baseline], capsys)
    assert code == 2
    assert f"{target}: cannot read it (Permission denied)" in err


def test_bad_options_exit_2_before_anything_runs(tiny, tmp_path, capsys):
    baseline = tmp_path / "b"
    cases = [
        (["--kpi", "speed"], "unknown KPI 'speed'"),
        (["--kpi", "sorting_utilization"], "sorting_utilization:higher-is-worse"),
        (["--min-effect", "lead_time_mean_h=fast"], "cannot read 'fast'"),
        (["--min-effect", "vehicle_km=1"], "not checked"),
        (["--level", "0"], "--level must be above 0"),
        (["--level", "x"], "invalid float value"),
        (["--replications", "1"], "at least 2"),
        (["--set", "hub.sorting.rate_per_h=0"], "hub.sorting.rate_per_h"),
        (["--jobs", "0"], "must be at least 1"),
    ]
    for extra, message in cases:
        for update_flag in ([], ["--update"]):
            code, out, err = cli(
                ["check", tiny, "--baseline", baseline, *update_flag, *extra], capsys
            )
            assert code == 2, (extra, update_flag)
            assert message in err, (extra, err)
            assert "Traceback" not in err
    assert not baseline.exists()  # nothing written by any of them
    code, _, err = cli(["check", tiny], capsys)
    assert code == 2 and "--baseline" in err
    (tmp_path / "file").write_text("x")
    code, _, err = cli(["check", tiny, "--baseline", tmp_path / "file", "--update"], capsys)
    assert code == 2 and "exists and is not a folder" in err


def test_update_writes_nothing_unless_every_scenario_runs(tiny, tmp_path, capsys, monkeypatch):
    baseline = tmp_path / "b"
    second = write_tiny(tmp_path / "second.yaml", name="second")
    same_name = write_tiny(tmp_path / "again.yaml", name="TINY")
    code, _, err = cli(["check", tiny, same_name, "--baseline", baseline, "--update"], capsys)
    assert code == 2 and "both named" in err
    code, _, err = cli(
        ["check", tiny, tmp_path / "missing.yaml", "--baseline", baseline, "--update"], capsys
    )
    assert code == 2 and "missing.yaml" in err
    assert not baseline.exists()

    import sim.checking

    real, calls = sim.checking.run_replications, []

    def interrupted_on_the_second(*args, **kwargs):
        calls.append(args[0].name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(sim.checking, "run_replications", interrupted_on_the_second)
    code, _, _ = cli(["check", tiny, second, "--baseline", baseline, "--update"], capsys)
    assert code == 130
    assert calls == ["tiny", "second"]
    assert not baseline.exists() or list(baseline.iterdir()) == []


def test_two_scenarios_one_missing_baseline_names_only_that_one(tiny, tmp_path, capsys):
    baseline = tmp_path / "b"
    update(tiny, baseline, capsys, "--replications", 2)
    second = write_tiny(tmp_path / "second.yaml", name="second")
    code, _, err = cli(["check", tiny, second, "--baseline", baseline], capsys)
    assert code == 2
    assert "second.json: no such baseline file" in err and "tiny.json" not in err
    assert f"ruralsim check {second} --baseline" in err


def test_check_on_a_process_pool_prints_what_a_serial_check_prints(tiny, tmp_path, capsys):
    baseline = tmp_path / "b"
    update(tiny, baseline, capsys, "--replications", 4, "--seed", 5)
    argv = ["check", tiny, "--baseline", baseline, "--seed", 6]
    serial = cli(argv, capsys)
    pool = cli([*argv, "--jobs", 2], capsys)
    assert serial[0] == pool[0] == 0
    assert pool[1] == serial[1]
    assert verdicts(pool[1]) == [dict.fromkeys(DEFAULT_KPIS, "ok")]


def test_the_command_line_tool_exits_2_without_a_traceback(tiny, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sim", "check", tiny, "--baseline", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert "no such baseline file" in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- committed baselines


def _readme_refresh_command() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    commands = [
        line.strip()
        for line in text.splitlines()
        if line.strip().startswith("ruralsim check") and "--update" in line and "baselines" in line
    ]
    assert commands, "the README gives the command that refreshes baselines/"
    return shlex.split(commands[0])


def test_committed_baselines_match_the_readme_command_and_the_bundled_scenarios():
    words = _readme_refresh_command()
    files = [w for w in words if w.endswith(".yaml")]
    overrides = [words[i + 1] for i, w in enumerate(words) if w == "--set"]
    replications = int(words[words.index("--replications") + 1])
    assert words[words.index("--baseline") + 1] == "baselines"
    assert sorted(files) == sorted(
        f"scenarios/{name}.yaml"
        for name in ("leiyang_bus", "leiyang_direct", "leiyang_via_township")
    )
    for file in files:
        scenario = load_scenario(REPO / file, overrides)
        baseline = read_baseline(REPO / "baselines" / f"{scenario.name}.json")
        assert baseline.overrides == overrides
        assert baseline.replications == replications
        assert baseline.seed == scenario.seed
        assert baseline.scenario_file == file
        # No fingerprint check here: a scenario changed without refreshing its
        # baseline is for `ruralsim check` in .ci/run to judge, not for pytest.
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "ruralsim check " + " ".join(files) + " --baseline baselines" in ci


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_the_example_ci_jobs_check_and_refresh_the_committed_baselines(name):
    text = (REPO / "docs" / "ci" / name).read_text(encoding="utf-8")
    assert isinstance(yaml.safe_load(text), dict)
    words = _readme_refresh_command()
    scenarios = " ".join(w for w in words if w.endswith(".yaml"))
    assert f"SCENARIOS: {scenarios}" in text
    assert "ruralsim check $SCENARIOS --baseline baselines" in text
    replications = words[words.index("--replications") + 1]
    refresh = (
        f"ruralsim check $SCENARIOS --baseline baselines --update --replications {replications}"
    )
    assert refresh in text
