"""The public API is small and every name in it is documented in the README."""

from __future__ import annotations

import re

import sim
from tests.conftest import REPO


def test_every_public_name_is_documented():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in sim.__all__:
        assert re.search(rf"\bsim\.{name}\b", readme) or f"`{name}`" in readme, name


def test_public_names_exist_and_nothing_else_is_star_exported():
    assert len(sim.__all__) == len(set(sim.__all__)) <= 12
    for name in sim.__all__:
        assert hasattr(sim, name), name
