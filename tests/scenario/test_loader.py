import pickle
import textwrap
import time
from pathlib import Path
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from sim.scenario.errors import ScenarioError
from sim.scenario.loader import (
    MAX_FILE_BYTES,
    apply_overrides,
    read_yaml,
    resolve,
    resolve_extends,
    validate,
)

STRICT = ConfigDict(extra="forbid", frozen=True)


class Sorting(BaseModel):
    model_config = STRICT
    rate_per_h: float = Field(gt=0)
    chutes: int = 104


class Hub(BaseModel):
    model_config = STRICT
    sorting: Sorting
    name: str = "hub"


class Wave(BaseModel):
    model_config = STRICT
    time: str
    share: float = Field(ge=0, le=1)


class Direct(BaseModel):
    model_config = STRICT
    model: Literal["direct"]
    vans: int = 1


class Bus(BaseModel):
    model_config = STRICT
    model: Literal["bus"]
    lines: tuple[str, ...] = ()


class Village(BaseModel):
    model_config = STRICT
    name: str
    households: int


class Town(BaseModel):
    model_config = STRICT
    name: str
    villages: tuple[str, ...]


class Scenario(BaseModel):
    model_config = STRICT
    hub: Hub
    waves: tuple[Wave, ...] = ()
    delivery: Annotated[Direct | Bus, Field(discriminator="model")] = Direct(model="direct")
    place: Village | Town | None = None
    seed: int = 1


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def raises(func, *args, **kwargs) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        func(*args, **kwargs)
    return info.value


# --------------------------------------------------------------------------- extends


def test_extends_chain_merges_child_over_base(tmp_path):
    write(
        tmp_path / "base.yaml",
        """
        hub: {sorting: {rate_per_h: 8000, chutes: 104}, name: county}
        waves: [{time: "06:00", share: 0.5}, {time: "14:00", share: 0.5}]
        seed: 1
        """,
    )
    write(
        tmp_path / "mid.yaml",
        """
        extends: base.yaml
        hub: {sorting: {rate_per_h: 4000}}
        waves: [{time: "08:00", share: 1.0}]
        """,
    )
    child = write(tmp_path / "child.yaml", "extends: mid.yaml\nseed: 7\n")

    data, origins = resolve_extends(child)

    assert data == {
        "hub": {"sorting": {"rate_per_h": 4000, "chutes": 104}, "name": "county"},
        "waves": [{"time": "08:00", "share": 1.0}],
        "seed": 7,
    }
    assert origins["hub.sorting.rate_per_h"] == str(tmp_path / "mid.yaml")
    assert origins["hub.sorting.chutes"] == str(tmp_path / "base.yaml")
    assert origins["waves"] == str(tmp_path / "mid.yaml")
    assert origins["seed"] == str(child)
    assert not any(path.startswith("waves.") for path in origins)


def test_child_mapping_replaces_base_scalar_and_vice_versa(tmp_path):
    write(tmp_path / "base.yaml", "hub: null\ndelivery: {model: bus, lines: [a]}\n")
    child = write(
        tmp_path / "child.yaml",
        "extends: base.yaml\nhub: {sorting: {rate_per_h: 1}}\ndelivery: direct\n",
    )
    data, origins = resolve_extends(child)
    assert data == {"hub": {"sorting": {"rate_per_h": 1}}, "delivery": "direct"}
    assert origins == {"hub.sorting.rate_per_h": str(child), "delivery": str(child)}


def test_extends_is_relative_to_the_file_not_the_working_directory(tmp_path, monkeypatch):
    write(tmp_path / "common" / "base.yaml", "hub: {sorting: {rate_per_h: 8000}}\nseed: 3\n")
    write(tmp_path / "variants" / "mid.yaml", "extends: ../common/base.yaml\nseed: 4\n")
    write(tmp_path / "variants" / "fast" / "child.yaml", "extends: ../mid.yaml\n")
    # A decoy next to the working directory must not be picked up.
    write(tmp_path / "mid.yaml", "seed: 99\n")
    monkeypatch.chdir(tmp_path)

    data, origins = resolve_extends("variants/fast/child.yaml")

    assert data == {"hub": {"sorting": {"rate_per_h": 8000}}, "seed": 4}
    assert origins["hub.sorting.rate_per_h"] == str(Path("common/base.yaml"))
    assert origins["seed"] == str(Path("variants/mid.yaml"))


def test_extends_cycle_names_the_chain(tmp_path, monkeypatch):
    write(tmp_path / "a.yaml", "extends: b.yaml\nseed: 1\n")
    write(tmp_path / "b.yaml", "extends: a.yaml\nseed: 2\n")
    monkeypatch.chdir(tmp_path)

    err = raises(resolve_extends, "a.yaml")

    assert "a.yaml -> b.yaml -> a.yaml" in str(err)
    assert err.file == "b.yaml"
    assert err.yaml_path == "extends"


def test_file_extending_itself_is_a_cycle(tmp_path, monkeypatch):
    write(tmp_path / "a.yaml", "extends: ./a.yaml\n")
    monkeypatch.chdir(tmp_path)
    assert "a.yaml -> a.yaml" in str(raises(resolve_extends, "a.yaml"))


def test_missing_extends_file_names_referencing_file(tmp_path):
    child = write(tmp_path / "sub" / "child.yaml", "extends: ../nope.yaml\nseed: 1\n")

    err = raises(resolve_extends, child)

    assert err.file == str(child)
    assert err.yaml_path == "extends"
    assert "nope.yaml" in err.message
    assert str(err).startswith(f"{child}: extends: ")


@pytest.mark.parametrize("value", ["null", "[a.yaml]", "''"])
def test_extends_must_be_a_file_name(tmp_path, value):
    child = write(tmp_path / "child.yaml", f"extends: {value}\n")
    err = raises(resolve_extends, child)
    assert (err.file, err.yaml_path) == (str(child), "extends")


# --------------------------------------------------------------------------- validation


def load_model(path, model_cls, overrides=()):
    """What ``sim.scenario.load_scenario`` does, for this file's toy schema."""
    data, origins = resolve(path, overrides)
    return validate(model_cls, data, origins, str(path))


def test_load_model_returns_frozen_model(tmp_path):
    path = write(
        tmp_path / "s.yaml", "hub: {sorting: {rate_per_h: 8000}}\ndelivery: {model: bus}\n"
    )
    scenario = load_model(path, Scenario)
    assert scenario.hub.sorting.rate_per_h == 8000
    assert isinstance(scenario.delivery, Bus)


def test_unknown_key_lists_allowed_keys(tmp_path):
    path = write(tmp_path / "s.yaml", "hub:\n  sorting:\n    rate_per_hour: 8000\n")

    err = raises(load_model, path, Scenario)

    messages = {p[1]: p[2] for p in err.problems}
    unknown = messages["hub.sorting.rate_per_hour"]
    assert "unknown key 'rate_per_hour'" in unknown
    assert "allowed: rate_per_h, chutes" in unknown
    assert messages["hub.sorting.rate_per_h"] == "missing required key"
    assert all(p[0] == str(path) for p in err.problems)
    assert str(err).splitlines()[0] == "2 problems in scenario:"


def test_unknown_top_level_key_and_key_inside_tagged_union(tmp_path):
    path = write(
        tmp_path / "s.yaml",
        "hub: {sorting: {rate_per_h: 1}}\nsed: 3\ndelivery: {model: bus, vans: 2}\n",
    )
    problems = {p[1]: p[2] for p in raises(load_model, path, Scenario).problems}
    assert "allowed: hub, waves, delivery, place, seed" in problems["sed"]
    # The tag part of pydantic's loc ("bus") is not a YAML key and must not show.
    assert "allowed: model, lines" in problems["delivery.vans"]


def test_unknown_key_inside_list_item(tmp_path):
    path = write(
        tmp_path / "s.yaml",
        'hub: {sorting: {rate_per_h: 1}}\nwaves: [{time: "06:00", share: 1, size: 3}]\n',
    )
    err = raises(load_model, path, Scenario)
    assert err.yaml_path == "waves.0.size"
    assert "allowed: time, share" in err.message


def test_wrong_type_reports_path_message_and_given_value(tmp_path):
    path = write(tmp_path / "s.yaml", "hub: {sorting: {rate_per_h: fast}}\n")

    err = raises(load_model, path, Scenario)

    assert len(err.problems) == 1
    assert err.yaml_path == "hub.sorting.rate_per_h"
    assert "valid number" in err.message
    assert "(given: 'fast')" in err.message
    assert str(err) == f"{path}: hub.sorting.rate_per_h: {err.message}"


def test_long_given_values_are_truncated(tmp_path):
    path = write(tmp_path / "s.yaml", f"hub: {{sorting: {{rate_per_h: {'x' * 500}}}}}\n")
    err = raises(load_model, path, Scenario)
    assert len(err.message) < 150
    assert "..." in err.message


def test_invalid_tag_lists_allowed_values(tmp_path):
    path = write(tmp_path / "s.yaml", "hub: {sorting: {rate_per_h: 1}}\ndelivery: {model: van}\n")
    err = raises(load_model, path, Scenario)
    assert err.yaml_path == "delivery"
    assert "'direct'" in err.message and "'bus'" in err.message


def test_plain_union_problems_are_not_repeated_per_member(tmp_path):
    path = write(tmp_path / "s.yaml", "hub: {sorting: {rate_per_h: 1}}\nplace: {households: 3}\n")
    problems = raises(load_model, path, Scenario).problems
    lines = [line for line in problems if line[1] == "place.name"]
    assert lines == [(str(path), "place.name", "missing required key")]


def test_out_of_range_value_names_the_layer_that_set_it(tmp_path):
    base = write(tmp_path / "base.yaml", "hub: {sorting: {rate_per_h: 8000, chutes: 104}}\n")
    child = write(tmp_path / "child.yaml", "extends: base.yaml\nhub: {sorting: {rate_per_h: 0}}\n")

    err = raises(load_model, child, Scenario)
    assert err.file == str(child)
    assert err.yaml_path == "hub.sorting.rate_per_h"
    assert "greater than 0" in err.message and "(given: 0)" in err.message

    write(tmp_path / "base.yaml", "hub: {sorting: {rate_per_h: -5}}\n")
    write(tmp_path / "child.yaml", "extends: base.yaml\nseed: 2\n")
    assert raises(load_model, child, Scenario).file == str(base)

    err = raises(load_model, child, Scenario, ["hub.sorting.rate_per_h=0"])
    assert err.file == "--set"
    assert str(err).startswith("--set: hub.sorting.rate_per_h: ")


def test_error_in_list_item_named_by_file_that_set_the_list(tmp_path):
    write(
        tmp_path / "base.yaml",
        'hub: {sorting: {rate_per_h: 1}}\nwaves: [{time: "06:00", share: 2}]\n',
    )
    child = write(tmp_path / "child.yaml", "extends: base.yaml\nseed: 2\n")
    err = raises(load_model, child, Scenario)
    assert (err.file, err.yaml_path) == (str(tmp_path / "base.yaml"), "waves.0.share")


def test_validate_without_origins_uses_default_file():
    err = raises(validate, Scenario, {"hub": {"sorting": {"rate_per_h": 0}}}, {}, "x.yaml")
    assert str(err).startswith("x.yaml: hub.sorting.rate_per_h: ")


# --------------------------------------------------------------------------- overrides


def test_overrides_parse_yaml_values(tmp_path):
    path = write(
        tmp_path / "s.yaml",
        'hub: {sorting: {rate_per_h: 8000}}\nwaves: [{time: "06:00", share: 1}]\n',
    )
    data, _ = resolve(
        path,
        [
            "hub.sorting.rate_per_h=4000",
            "hub.sorting.chutes = 52",
            "hub.name=big hub",
            "delivery.model=direct",
            "waves=[{time: '08:00', share: 0.5}, {time: 14:30, share: 0.5}]",
            "waves.1.share=0.25",
            "seed=1.5",
        ],
    )
    assert data["hub"] == {"sorting": {"rate_per_h": 4000, "chutes": 52}, "name": "big hub"}
    assert data["delivery"] == {"model": "direct"}
    assert data["waves"] == [{"time": "08:00", "share": 0.5}, {"time": "14:30", "share": 0.25}]
    assert data["seed"] == 1.5


def test_overrides_do_not_modify_input_and_update_origins():
    data = {"hub": {"sorting": {"rate_per_h": 1, "chutes": 3}}}
    origins = {"hub.sorting.rate_per_h": "a.yaml", "hub.sorting.chutes": "a.yaml"}

    result = apply_overrides(data, ["hub.sorting={rate_per_h: 2}"], origins)

    assert result == {"hub": {"sorting": {"rate_per_h": 2}}}
    assert data == {"hub": {"sorting": {"rate_per_h": 1, "chutes": 3}}}
    assert origins == {"hub.sorting": "--set"}


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ("hub.sorting.rate_per_h", ""),
        ("=5", ""),
        ("hub..rate=5", "hub..rate"),
        (".seed=5", ".seed"),
        ("waves.5.share=1", "waves.5"),
        ("waves.first.share=1", "waves.first"),
        ("seed.x=1", "seed"),
        ("seed=[1,", "seed"),
        ("seed=1e999", "seed"),
    ],
)
def test_malformed_override(override, path):
    data = {"waves": [{"share": 1}], "seed": 1}
    err = raises(apply_overrides, data, [override], {})
    assert err.file == "--set"
    assert err.yaml_path == path
    assert str(err).startswith("--set: ")


# --------------------------------------------------------------------------- safe reading


def test_alias_bomb_fails_fast(tmp_path):
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    path = write(tmp_path / "bomb.yaml", "\n".join(lines) + "\n")

    start = time.perf_counter()
    err = raises(read_yaml, path)
    elapsed = time.perf_counter() - start

    assert elapsed < 2
    assert "too many" in err.message and "alias" in err.message
    assert err.file == str(path)


def test_recursive_alias_rejected(tmp_path):
    path = write(tmp_path / "s.yaml", "a: &x [1, *x]\n")
    assert "recursive alias" in raises(read_yaml, path).message


def test_deep_nesting_rejected(tmp_path):
    path = write(tmp_path / "s.yaml", "a: " + "[" * 200 + "]" * 200 + "\n")
    assert "deep" in raises(read_yaml, path).message


def test_deep_nesting_through_aliases_rejected(tmp_path):
    # Each anchor is shallow, but chaining them nests 10 levels per alias.
    lines = ["a0: &a0 [1]"]
    lines += [f"a{i}: &a{i} [[[[[[[[[[*a{i - 1}]]]]]]]]]]" for i in range(1, 12)]
    path = write(tmp_path / "s.yaml", "\n".join(lines) + "\n")
    err = raises(read_yaml, path)
    assert "deep" in err.message and "alias" in err.message


@pytest.mark.parametrize(
    "literal", ["1234567890123456789012345", "1e999", "-1.0e+999", ".inf", "-.Inf", ".nan"]
)
def test_huge_or_non_finite_numbers_rejected(tmp_path, literal):
    path = write(tmp_path / "s.yaml", f"hub:\n  rate: {literal}\n")
    err = raises(read_yaml, path)
    assert err.yaml_path == "hub.rate"
    assert "number too large" in err.message
    assert "line 2" in err.message


def test_quoted_numbers_and_clock_times_are_strings(tmp_path):
    path = write(tmp_path / "s.yaml", "a: '1e999'\nb: 12:30\nc: 123456789012345678\nd: 1.5\n")
    assert read_yaml(path) == {"a": "1e999", "b": "12:30", "c": 123456789012345678, "d": 1.5}


def test_duplicate_key_rejected(tmp_path):
    path = write(
        tmp_path / "s.yaml", "hub:\n  sorting: {rate_per_h: 1}\n  sorting: {rate_per_h: 2}\n"
    )
    err = raises(read_yaml, path)
    assert err.yaml_path == "hub.sorting"
    assert "duplicate key 'sorting'" in err.message
    assert "line 3" in err.message


def test_merge_keys_are_not_duplicates(tmp_path):
    path = write(tmp_path / "s.yaml", "base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n")
    assert read_yaml(path)["c"] == {"x": 1, "y": 3}


def test_aliases_are_expanded_into_independent_copies(tmp_path):
    path = write(tmp_path / "s.yaml", "a: &x {v: [1]}\nb: *x\n")
    data = read_yaml(path)
    data["a"]["v"].append(2)
    assert data == {"a": {"v": [1, 2]}, "b": {"v": [1]}}
    result = apply_overrides(data, ["a.v=[3]"])
    assert result == {"a": {"v": [3]}, "b": {"v": [1]}}


def test_file_larger_than_limit_rejected(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * MAX_FILE_BYTES + "\n")
    err = raises(read_yaml, path)
    assert "too large" in err.message
    assert err.file == str(path)


@pytest.mark.parametrize(
    ("text", "given"), [("- a\n- b\n", "list"), ("42\n", "int"), ("", "empty")]
)
def test_top_level_must_be_a_mapping(tmp_path, text, given):
    path = write(tmp_path / "s.yaml", text)
    err = raises(read_yaml, path)
    assert "mapping" in err.message and given in err.message


def test_syntax_error_reports_line_and_column(tmp_path):
    path = write(tmp_path / "s.yaml", "hub:\n  sorting: [1, 2\nseed: 1\n")
    err = raises(read_yaml, path)
    assert err.file == str(path)
    assert "invalid YAML at line 3, column" in err.message


def test_python_tags_are_refused(tmp_path):
    path = write(tmp_path / "s.yaml", "a: !!python/object/apply:os.system ['echo hi']\n")
    assert "constructor" in raises(read_yaml, path).message


def test_missing_file(tmp_path):
    err = raises(read_yaml, tmp_path / "nope.yaml")
    assert err.message == "file not found"
    assert err.file == str(tmp_path / "nope.yaml")


# --------------------------------------------------------------------------- errors


def test_from_problems_renders_one_line_per_problem():
    err = ScenarioError.from_problems(
        [("a.yaml", "hub.sorting.rate_per_h", "must be > 0 (given: 0)"), (None, "", "broken")]
    )
    assert str(err).splitlines() == [
        "2 problems in scenario:",
        "  a.yaml: hub.sorting.rate_per_h: must be > 0 (given: 0)",
        "  broken",
    ]
    assert (err.file, err.yaml_path) == ("a.yaml", "hub.sorting.rate_per_h")


def test_scenario_error_survives_pickling():
    err = ScenarioError.from_problems([("a.yaml", "x", "bad"), ("b.yaml", "y", "worse")])
    copy = pickle.loads(pickle.dumps(err))
    assert str(copy) == str(err)
    assert copy.problems == err.problems
