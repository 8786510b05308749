"""Inputs that must end in exit 2 with one clear message: never a traceback."""

from __future__ import annotations

import pytest

from tests.conftest import SCENARIOS, cli

BASE = SCENARIOS / "leiyang_base.yaml"


def assert_refused(code: int, err: str, *phrases: str) -> None:
    """Exit 2, every phrase in the message, and no traceback."""
    assert code == 2, err
    assert "Traceback" not in err
    for phrase in phrases:
        assert phrase in err, (phrase, err)


@pytest.mark.parametrize("name", ["/home/me/thesis", "../../x", "..", ".hidden", "a b", "-x"])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_name_that_is_not_a_plain_folder_name_is_refused(
    tmp_path, monkeypatch, capsys, command, name
):
    monkeypatch.chdir(tmp_path)  # where `run` without --out would write
    keep = tmp_path / "keep.txt"
    keep.write_text("thesis")
    code, _, err = cli([command, BASE, "--set", f"name={name}"], capsys)
    assert_refused(code, err, "name:", repr(name), "letters, digits")
    assert keep.read_text() == "thesis"
    assert list(tmp_path.iterdir()) == [keep]


def test_letters_of_any_script_make_a_name(capsys):
    code, _, err = cli(["validate", BASE, "--set", "name=耒阳_base-2.v1"], capsys)
    assert code == 0, err
