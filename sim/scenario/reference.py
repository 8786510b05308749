"""The scenario reference, generated from the schema: every field a scenario may hold.

``docs/scenario-reference.md`` is written by this module from
:class:`~sim.scenario.schema.Scenario` itself — each field's YAML path, type, unit,
default, allowed range and description — so it cannot drift from what ``validate``
accepts: a test fails when the file is stale. Regenerate it with::

    python -m sim.scenario.reference --write docs/scenario-reference.md
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel, RootModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from sim.scenario.schema import ClockTime, Scenario, parse_clock

UNITS = (
    ("_per_capita_day", "per resident per day"),
    ("_per_parcel_cny", "CNY per parcel"),
    ("_per_vehicle_day_cny", "CNY per vehicle-day"),
    ("_per_line_day_cny", "CNY per line-day"),
    ("_per_day_cny", "CNY per day"),
    ("_per_km_cny", "CNY per km"),
    ("_per_km_kg", "kg per km"),
    ("_min_per_parcel", "minutes per parcel"),
    ("_per_h", "per hour"),
    ("_kmh", "km/h"),
    ("_km2", "km²"),
    ("_km", "km"),
    ("_min", "minutes"),
    ("_h", "hours"),
    ("_cny", "CNY"),
    ("_kg", "kg"),
    ("_parcels", "parcels"),
    ("_share", "share in [0, 1]"),
    ("_days", "days"),
    ("_day", "day number"),
)
"""Units read from field-name suffixes (the schema's rule: units live in names)."""

HEADER = """# Scenario reference

Every field a scenario file may hold, generated from the schema
(`sim/scenario/schema.py`) by `python -m sim.scenario.reference --write
docs/scenario-reference.md`; a test fails when this file is stale. Units are in the
field names; clock times are quoted `"HH:MM"` strings. A field left out takes its
default. `ruralsim validate FILE` prints a scenario with every default filled in.

Paths are as in `--set`: `hub.sorting.rate_per_h=4000`. `<name>` stands for a key of
your choosing (a fleet's name), `[i]` for an item of a list.
"""


@dataclass(frozen=True)
class Row:
    """One field of the reference."""

    path: str
    kind: str
    unit: str
    default: str
    allowed: str
    description: str


def unit_of(name: str) -> str:
    """The unit a field name's suffix gives (``speed_kmh`` -> ``km/h``), or ``""``."""
    if name == "days":
        return "days"
    for suffix, unit in UNITS:
        if name.endswith(suffix):
            return unit
    return ""


def _strip(tp: Any) -> Any:
    """The type without ``Annotated`` and ``None``."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if _is_union(tp):
        members = [m for m in typing.get_args(tp) if m is not type(None)]
        if len(members) == 1:
            return _strip(members[0])
    return tp


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _type_text(tp: Any) -> str:
    if tp == ClockTime:
        return 'clock time "HH:MM"'
    if _is_union(tp) and ClockTime in typing.get_args(tp):
        return 'clock time "HH:MM"'
    tp = _strip(tp)
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(f"`{v}`" for v in typing.get_args(tp))
    if _is_union(tp):
        return " or ".join(_type_text(m) for m in typing.get_args(tp) if m is not type(None))
    if origin in (tuple, list):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        inner = _type_text(args[0]) if args else "value"
        if origin is tuple and len(typing.get_args(tp)) > 1 and Ellipsis not in typing.get_args(tp):
            return f"[{', '.join(_type_text(a) for a in args)}]"
        return f"list of {inner}"
    if origin is dict:
        return f"map of {_type_text(typing.get_args(tp)[1])}"
    if _is_model(tp) and issubclass(tp, RootModel):
        return _type_text(tp.model_fields["root"].annotation)
    if _is_model(tp):
        return f"{tp.__name__} section"
    names = {float: "number", int: "whole number", str: "text", bool: "true/false", Path: "path"}
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def _bounds(field: FieldInfo, tp: Any) -> str:
    """``0 < x ≤ 24``-style text from the field's and its type's constraints."""
    found: dict[str, Any] = {}
    metadata = list(field.metadata)
    while typing.get_origin(tp) is typing.Annotated:
        args = typing.get_args(tp)
        for extra in args[1:]:
            metadata.extend(getattr(extra, "metadata", [extra]))
        tp = args[0]
    for item in metadata:
        for name in ("gt", "ge", "lt", "le", "min_length", "max_length"):
            value = getattr(item, name, None)
            if value is not None and isinstance(item, annotated_types.BaseMetadata):
                found[name] = value
    low = f"{found['ge']:,} ≤ " if "ge" in found else f"{found['gt']:,} < " if "gt" in found else ""
    high = (
        f" ≤ {found['le']:,}" if "le" in found else f" < {found['lt']:,}" if "lt" in found else ""
    )
    if low or high:
        return f"{low}x{high}"
    if "min_length" in found or "max_length" in found:
        what = "characters" if _strip(tp) is str else "items"
        if "max_length" not in found:
            least = found["min_length"]
            return f"at least {least} {what if least != 1 else what[:-1]}"
        return f"{found.get('min_length', 0)} to {found['max_length']} {what}"
    return ""


def _default_text(value: Any) -> str:
    if value is PydanticUndefined:
        return "required"
    text = json.dumps(value, ensure_ascii=False)
    return f"`{text}`" if len(text) <= 40 else "(see `ruralsim validate`)"


def _field_rows(model: type[BaseModel], prefix: str, defaults: Any) -> Iterator[Row | tuple]:
    for name, field in model.model_fields.items():
        key = field.alias or name
        path = f"{prefix}{key}"
        tp = field.annotation
        default = (
            defaults.get(key, PydanticUndefined)
            if isinstance(defaults, dict)
            else (PydanticUndefined)
        )
        if default is PydanticUndefined and not field.is_required():
            dumped = field.get_default(call_default_factory=True)
            default = _plain(dumped)
        inner = _strip(tp)
        clock = any(getattr(m, "func", None) is parse_clock for m in field.metadata)
        yield Row(
            path,
            'clock time "HH:MM"' if clock else _type_text(tp),
            unit_of(key),
            _default_text(default) if not _is_model(inner) else "",
            _bounds(field, tp),
            (field.description or "").replace("\n", " "),
        )
        yield from _nested(path, inner, default)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def _nested(path: str, tp: Any, default: Any) -> Iterator[tuple[str, type[BaseModel], Any, str]]:
    """The sections below a field: a model, a list of models, a map of models, a union."""
    origin = typing.get_origin(tp)
    if _is_model(tp) and issubclass(tp, RootModel):
        inner = _strip(tp.model_fields["root"].annotation)
        yield from _nested(path, inner, default)
    elif _is_model(tp):
        yield (f"{path}.", tp, default if isinstance(default, dict) else {}, "")
    elif origin in (tuple, list):
        for arg in typing.get_args(tp):
            if _is_model(_strip(arg)):
                yield (f"{path}[i].", _strip(arg), {}, "")
    elif origin is dict:
        value = _strip(typing.get_args(tp)[1])
        if _is_model(value):
            yield (f"{path}.<name>.", value, {}, "")
    elif _is_union(tp):
        for member in typing.get_args(tp):
            # A map (a RootModel) is described by its type; a section gets its own table.
            if _is_model(_strip(member)) and not issubclass(_strip(member), RootModel):
                kept = default if isinstance(default, dict) else {}
                yield (f"{path}.", _strip(member), kept, f"when a {_strip(member).__name__}")


def rows(model: type[BaseModel] = Scenario) -> dict[str, tuple[str, list[Row]]]:
    """Every section of ``model``: its path -> (the section's docstring, its fields)."""
    sections: dict[str, tuple[str, list[Row]]] = {}
    pending: list[tuple] = [("", model, model().model_dump(mode="json"), "")]
    while pending:
        prefix, section, defaults, label = pending.pop(0)
        title = prefix.rstrip(".") or "(top level)"
        tag = _literal_tag(section) if "model" in section.model_fields else None
        if tag:
            title += f" (model: {tag})"
        if label:
            title += f" ({label})"
        if title in sections:
            continue
        found: list[Row] = []
        for item in _field_rows(section, prefix, defaults):
            if isinstance(item, Row):
                found.append(item)
            else:
                pending.append(item)
        doc = (section.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        sections[title] = (doc, found)
    return sections


_LABEL_LENGTH = 48
"""Longest description clause a field label (:func:`field_label`) uses."""


@functools.cache
def _descriptions() -> dict[str, str]:
    """Every field's description by its reference path (``fleets.<name>.speed_kmh``)."""
    return {row.path: row.description for _, found in rows().values() for row in found}


def _pattern(path: str) -> str | None:
    """The reference path of a concrete one (``fleets.hub_van.speed_kmh``), or None."""
    described = _descriptions()
    steps = re.sub(r"\[\d+\]", "[i]", path).split(".")
    for k in range(len(steps) + 1):
        # A map key (a fleet's name) is the one step a reference path spells <name>.
        candidate = ".".join(steps if k == 0 else [*steps[: k - 1], "<name>", *steps[k:]])
        if k and steps[k - 1] == "<name>":
            continue
        if candidate in described:
            return candidate
    return None


def field_label(path: str) -> str:
    """A short readable label of a scenario path, for figure axes and legends.

    The first clause of the field's description, capitalised, with the unit its
    name gives when the clause does not say it (``hub.sorting.rate_per_h`` ->
    "Parcels the sorting line handles per hour"); a clause too long for an axis gives
    way to the field's name and section ("Stations: crossdock (minutes)"); a fleet's
    or a list item's field names its fleet or item first. Distribution fields
    (``.mean``, ``.cv``) take the label of the field they belong to. A path the
    schema does not know is returned as given.
    """
    steps = path.split(".")
    if len(steps) > 1 and steps[-1] in ("mean", "cv", "kind") and _pattern(path) is not None:
        parent = _pattern(".".join(steps[:-1]))
        if parent is not None and _descriptions()[_pattern(path)].startswith(
            ("the mean", "coefficient", "shape")
        ):
            return f"{field_label('.'.join(steps[:-1]))}, {steps[-1]}"
    pattern = _pattern(path)
    if pattern is None:
        return path
    clause = re.split(r";|: | \(| —", _descriptions()[pattern], maxsplit=1)[0].strip()
    the_unit = unit_of(steps[-1])
    if not 12 <= len(clause) <= _LABEL_LENGTH:
        # Too long for an axis (or a fragment): the field's name, where it sits, its unit.
        suffix = next((s for s, u in UNITS if u == the_unit and steps[-1].endswith(s)), "")
        if the_unit in ("share in [0, 1]", "parcels"):
            suffix, the_unit = "", ""  # "urban share", "capacity parcels" say it
        words = steps[-1].removesuffix(suffix).replace("_", " ")
        # The section it sits in; a fleet's or list item's owner is named in front anyway.
        where = pattern.split(".")[:-1][-1:]
        inside = where and where[0] != "<name>" and "[" not in where[0]
        clause = f"{where[0].replace('_', ' ')}: {words}" if inside else words
    if the_unit and the_unit.split()[0] not in clause:
        clause += f" ({the_unit})"
    label = clause[:1].upper() + clause[1:]
    parts = zip(steps, pattern.split("."), strict=True)
    owners = [step for step, part in parts if part == "<name>"]
    owners += [step for step in steps[:-1] if "[" in step]
    return f"{' '.join(owners)}: {label}" if owners else label


def _literal_tag(model: type[BaseModel]) -> str | None:
    """The one value of a union member's ``model`` tag, if it has exactly one."""
    tp = _strip(model.model_fields["model"].annotation)
    args = typing.get_args(tp)
    return str(args[0]) if typing.get_origin(tp) is Literal and len(args) == 1 else None


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or "—"


def markdown(model: type[BaseModel] = Scenario) -> str:
    """The whole reference as Markdown."""
    lines = [HEADER]
    for title, (doc, found) in rows(model).items():
        lines += [f"## `{title}`" if title != "(top level)" else "## Top level", ""]
        if doc:
            lines += [doc, ""]
        lines += [
            "| field | type | unit | default | allowed | meaning |",
            "|---|---|---|---|---|---|",
        ]
        for row in found:
            name = row.path.rsplit(".", 1)[-1] if title != "(top level)" else row.path
            cells = (f"`{name}`", row.kind, row.unit, row.default, row.allowed, row.description)
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the reference, or write it to a file (``--write``)."""
    parser = argparse.ArgumentParser(prog="python -m sim.scenario.reference")
    parser.add_argument("--write", metavar="FILE", help="write the reference to FILE")
    args = parser.parse_args(argv)
    text = markdown()
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
