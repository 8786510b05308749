"""The one seed rule and the one NaN <-> JSON null rule (sim.results), as their callers use them."""

import json
import math

import numpy as np
import pytest

from sim.checking import CheckError, check
from sim.experiments.errors import ExperimentError
from sim.experiments.replications import check_seed
from sim.results import nan_to_null, null_to_nan, row_from_json, row_to_json


@pytest.mark.parametrize("seed", [0, 7, 2**63 - 1, np.int64(5), np.uint32(3)])
def test_a_whole_number_in_range_is_a_seed_as_a_python_int(seed):
    checked = check_seed(seed)
    assert checked == seed and type(checked) is int


@pytest.mark.parametrize("seed", [-1, 2**63, True, 1.0, "3", None])
def test_anything_else_is_refused_naming_the_option_and_value(seed):
    with pytest.raises(
        ExperimentError, match=r"^--x must be a whole number from 0 to 2\*\*63-1, got"
    ):
        check_seed(seed, ExperimentError, "--x")


def test_check_refuses_a_bad_seed_with_its_option_name(tmp_path):
    with pytest.raises(CheckError, match=r"^--seed must be a whole number .* got -1$"):
        check(["scenarios/leiyang_direct.yaml"], baseline_dir=tmp_path, seed=-1)


def test_nan_becomes_null_and_back():
    row = {"a": math.nan, "b": 1.5, "c": "x", "d": None}
    text = json.dumps(row_to_json(row), allow_nan=False)  # valid JSON: no NaN left
    back = row_from_json(json.loads(text))
    assert math.isnan(back["a"]) and math.isnan(back["d"])
    assert back["b"] == 1.5 and back["c"] == "x"
    assert nan_to_null(math.inf) == math.inf and null_to_nan(0) == 0
