"""KPI records in JSON: NaN (a KPI without a value) is written as null and read back as NaN."""

from __future__ import annotations

import math
from collections.abc import Mapping


def nan_to_null(value):
    """A float NaN as None (JSON's null); anything else unchanged."""
    return None if isinstance(value, float) and math.isnan(value) else value


def null_to_nan(value):
    """None (JSON's null) as NaN; anything else unchanged."""
    return math.nan if value is None else value


def row_to_json(row: Mapping) -> dict:
    """A record with its NaNs as nulls."""
    return {key: nan_to_null(value) for key, value in row.items()}


def row_from_json(row: Mapping) -> dict:
    """A record read from JSON, its nulls as NaN."""
    return {key: null_to_nan(value) for key, value in row.items()}
