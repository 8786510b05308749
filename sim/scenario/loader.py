"""Safe, schema-agnostic loading of scenario YAML: ``extends``, ``--set`` and validation.

The functions here work with any pydantic v2 model class; the concrete scenario
schema lives elsewhere. Every failure is raised as a :class:`ScenarioError` that
names the file and the dotted YAML path of the problem.

Typical use::

    data, origins = resolve("scenarios/leiyang.yaml", ["hub.sorting.rate_per_h=4000"])
    scenario = validate(Scenario, data, origins, "scenarios/leiyang.yaml")

``sim.scenario.load_scenario`` does this for the scenario schema (and is the one
loader the rest of the package uses).
"""

from __future__ import annotations

import math
import os
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, RootModel, Tag, ValidationError

from sim.scenario.errors import ScenarioError, short_repr, truncate

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_INT_DIGITS",
    "MAX_NODES",
    "OVERRIDE_FILE",
    "apply_overrides",
    "read_yaml",
    "resolve",
    "resolve_extends",
    "validate",
]

ModelT = TypeVar("ModelT", bound=BaseModel)
PathLike = str | os.PathLike[str]

MAX_FILE_BYTES = 1024 * 1024
"""Largest scenario file accepted; real scenarios are a few kilobytes."""
MAX_NODES = 100_000
"""Most YAML nodes a document may hold once every alias is expanded."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists accepted, counted after alias expansion."""
MAX_INT_DIGITS = 18
"""Longest integer literal accepted; anything longer is a typo or an attack."""
OVERRIDE_FILE = "--set"
"""Pseudo file name used for command-line overrides in origins and errors."""

_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_MERGE_TAG = "tag:yaml.org,2002:merge"

# YAML 1.1 (PyYAML) only treats ``1.0e+3`` as a float; ``1e999`` stays a string that
# pydantic would happily turn into inf, so plain scalars that look like numbers in
# the wider YAML 1.2 sense are checked too.
_NUMBER_LIKE = re.compile(r"[-+]?(?:[0-9][0-9_]*\.?[0-9_]*|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?")

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SafeLoader(_BaseLoader):
    """PyYAML's safe loader (libyaml-backed when available), never extended with tags."""


class _YamlProblem(Exception):
    """Internal: a problem found while checking a composed node graph."""

    def __init__(self, path: tuple, message: str, node: yaml.Node | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.message = message + _where(node)


def _where(node: yaml.Node | None) -> str:
    if node is None or node.start_mark is None:
        return ""
    mark = node.start_mark
    return f" (line {mark.line + 1}, column {mark.column + 1})"


def _dotted(parts: Iterable[Any]) -> str:
    return ".".join(str(part) for part in parts)


# --------------------------------------------------------------------------- reading


def _check_scalar(node: yaml.ScalarNode, path: tuple) -> None:
    if node.style:
        # Quoted and block scalars are strings by intent (plain style is None in
        # PyYAML's parser and "" in libyaml's).
        return
    value = node.value
    if node.tag in (_INT_TAG, _FLOAT_TAG) and ":" in value:
        # YAML 1.1 reads 12:30 as the base-60 integer 750; scenarios write clock
        # times as "HH:MM", so keep such scalars as the strings they look like.
        node.tag = _STR_TAG
        return
    if node.tag == _INT_TAG:
        if len(value.lstrip("+-").replace("_", "")) > MAX_INT_DIGITS:
            raise _YamlProblem(
                path,
                f"number too large: more than {MAX_INT_DIGITS} digits (given: {truncate(value)})",
                node,
            )
        return
    if node.tag == _FLOAT_TAG or (node.tag == _STR_TAG and _NUMBER_LIKE.fullmatch(value)):
        text = value.replace("_", "").lower()
        try:
            finite = text.lstrip("+-") not in (".inf", ".nan") and math.isfinite(float(text))
        except ValueError:
            return  # not parseable by Python either; leave it to the constructor/schema
        if not finite:
            raise _YamlProblem(
                path, f"number too large or not finite (given: {truncate(value)})", node
            )


def _check_tree(root: yaml.Node) -> None:
    """Reject alias bombs, deep nesting, duplicate keys and absurd numbers.

    Aliases make the node graph a DAG: PyYAML builds shared objects cheaply, but
    anything that later walks the data (merging, validation, dumping a manifest)
    pays for the fully expanded tree. So expanded size and height are computed
    per distinct node (memoised), which stays fast however many aliases there are.
    """
    memo: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded size, height)
    active: set[int] = set()

    def walk(node: yaml.Node, path: tuple, depth: int) -> tuple[int, int]:
        key = id(node)
        if key in memo:
            size, height = memo[key]
        else:
            if key in active:
                raise _YamlProblem(path, "recursive alias (a node contains itself)", node)
            if depth > MAX_DEPTH:
                raise _YamlProblem(path, f"nested more than {MAX_DEPTH} levels deep", node)
            active.add(key)
            size, height = 1, 0
            if isinstance(node, yaml.ScalarNode):
                _check_scalar(node, path)
                children: list[tuple[yaml.Node, tuple]] = []
            elif isinstance(node, yaml.SequenceNode):
                children = [(child, (*path, i)) for i, child in enumerate(node.value)]
            else:
                children = []
                seen: set[tuple[str, str]] = set()
                for key_node, value_node in node.value:
                    name = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                    if key_node.tag != _MERGE_TAG and isinstance(key_node, yaml.ScalarNode):
                        if (key_node.tag, key_node.value) in seen:
                            raise _YamlProblem((*path, name), f"duplicate key {name!r}", key_node)
                        seen.add((key_node.tag, key_node.value))
                    children.append((key_node, (*path, name)))
                    children.append((value_node, (*path, name)))
            for child, child_path in children:
                child_size, child_height = walk(child, child_path, depth + 1)
                size += child_size
                height = max(height, child_height + 1)
                if size > MAX_NODES:
                    raise _YamlProblem(
                        path,
                        f"too many nodes: more than {MAX_NODES:,} after expanding aliases "
                        "(too many aliases; an alias bomb?)",
                        node,
                    )
            active.discard(key)
            memo[key] = size, height
        if depth + height > MAX_DEPTH:
            raise _YamlProblem(
                path, f"nested more than {MAX_DEPTH} levels deep after expanding aliases", node
            )
        return size, height

    walk(root, (), 0)


def _plain_copy(value: Any) -> Any:
    # Aliases make several places share one list/dict; unshare them so that merging
    # and overrides cannot change two places at once.
    if isinstance(value, dict):
        return {key: _plain_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_copy(item) for item in value]
    return value


def _yaml_error_message(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        detail = exc.problem or "syntax error"
        if exc.context:
            detail = f"{exc.context}: {detail}"
        return f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {detail}"
    return f"invalid YAML: {exc}"


def _load_text(text: str, file: str | None, base_path: str = "") -> Any:
    """Parse one YAML document safely and check it; returns ``None`` if empty."""

    def error(path: str, message: str) -> ScenarioError:
        return ScenarioError(file, ".".join(p for p in (base_path, path) if p), message)

    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_tree(node)
        return _plain_copy(loader.construct_document(node))
    except _YamlProblem as exc:
        raise error(_dotted(exc.path), exc.message) from None
    except yaml.YAMLError as exc:
        raise error("", _yaml_error_message(exc)) from None
    except RecursionError:
        # Only reachable with the pure-Python parser, which has no nesting limit.
        raise error("", f"nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()


def read_yaml(path: PathLike) -> dict:
    """Read one YAML file safely into a dict.

    Only plain YAML types are built (safe loader, no custom tags). Rejects, with a
    :class:`ScenarioError` naming the file: a missing or unreadable file, a file
    larger than :data:`MAX_FILE_BYTES`, syntax errors (with line and column), a top
    level that is not a mapping, alias bombs and recursive aliases (more than
    :data:`MAX_NODES` nodes after expansion), nesting deeper than :data:`MAX_DEPTH`,
    integers longer than :data:`MAX_INT_DIGITS` digits, non-finite numbers
    (``.inf``, ``.nan``, ``1e999``) and duplicate keys.

    Unquoted clock times such as ``12:30`` stay strings (YAML 1.1 would read them
    as base-60 integers).

    Parameters
    ----------
    path : str or os.PathLike
        The file to read.

    Returns
    -------
    dict
        The document; a tree (aliases are expanded into independent copies).

    Raises
    ------
    ScenarioError
        For any of the problems listed above.
    """
    file = os.fspath(path)
    try:
        size = os.stat(file).st_size
        if size <= MAX_FILE_BYTES:
            with open(file, "rb") as stream:
                # Re-check while reading: stat sizes lie for pipes and special files.
                raw = stream.read(MAX_FILE_BYTES + 1)
            size = len(raw)
    except FileNotFoundError:
        raise ScenarioError(file, "", "file not found") from None
    except OSError as exc:
        raise ScenarioError(file, "", f"cannot read file: {exc.strerror or exc}") from None
    if size > MAX_FILE_BYTES:
        raise ScenarioError(
            file, "", f"file too large: {size:,} bytes (limit {MAX_FILE_BYTES:,} bytes)"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            file, "", f"not valid UTF-8 text (bad byte at offset {exc.start})"
        ) from None
    data = _load_text(text, file)
    if not isinstance(data, dict):
        given = "an empty document" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(file, "", f"top level must be a mapping of keys (given: {given})")
    return data


# --------------------------------------------------------------------------- extends


def _leaf_paths(data: dict, prefix: str = "") -> dict[str, None]:
    # Lists count as leaves because merging and overrides replace them whole.
    leaves: dict[str, None] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            leaves.update(_leaf_paths(value, path + "."))
        else:
            leaves[path] = None
    return leaves


def _proper_prefixes(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _deep_merge(base: dict, child: dict) -> dict:
    merged = dict(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _merge_origins(base: dict[str, str], child: dict[str, str]) -> dict[str, str]:
    """Origins after merging: base entries survive unless the child replaced them."""
    child_prefixes = {prefix for path in child for prefix in _proper_prefixes(path)}

    def replaced(path: str) -> bool:
        # Same leaf, a base scalar turned into a child mapping, or a base mapping
        # branch cut off by a child scalar/list.
        return (
            path in child
            or path in child_prefixes
            or any(prefix in child for prefix in _proper_prefixes(path))
        )

    merged = {path: file for path, file in base.items() if not replaced(path)}
    merged.update(child)
    return merged


def _resolve(file: str, chain: tuple[tuple[str, Path], ...]) -> tuple[dict, dict[str, str]]:
    identity = Path(file).resolve()
    for index, (_, seen) in enumerate(chain):
        if seen == identity:
            names = [name for name, _ in chain[index:]] + [file]
            referrer = chain[-1][0]
            raise ScenarioError(referrer, "extends", "extends cycle: " + " -> ".join(names))
    data = read_yaml(file)
    has_base = "extends" in data
    ref = data.pop("extends", None)
    origins = dict.fromkeys(_leaf_paths(data), file)
    if not has_base:
        return data, origins
    if not isinstance(ref, str) or not ref.strip():
        raise ScenarioError(
            file,
            "extends",
            f"must be the name of another YAML file, relative to this one "
            f"(given: {short_repr(ref)})",
        )
    base_file = os.path.normpath(os.path.join(os.path.dirname(file), ref))
    if not os.path.isfile(base_file):
        raise ScenarioError(
            file, "extends", f"file not found: {base_file} (given: {ref!r}, relative to {file})"
        )
    base, base_origins = _resolve(base_file, (*chain, (file, identity)))
    return _deep_merge(base, data), _merge_origins(base_origins, origins)


def resolve_extends(path: PathLike) -> tuple[dict, dict[str, str]]:
    """Read a scenario file and everything it ``extends``, merged into one dict.

    A top-level ``extends: other.yaml`` names a base file, relative to the file
    containing it; bases may extend further files. The child is deep-merged over
    its base: mappings merge key by key, lists and scalars replace. ``extends`` is
    removed from the result.

    Parameters
    ----------
    path : str or os.PathLike
        The scenario file.

    Returns
    -------
    data : dict
        The merged document.
    origins : dict of str to str
        Dotted leaf path (lists count as leaves) -> the file that last set it.

    Raises
    ------
    ScenarioError
        If any file in the chain cannot be read (see :func:`read_yaml`), an
        ``extends`` file is missing (named with the referring file and path
        ``extends``), or the chain has a cycle (message ``a.yaml -> b.yaml -> a.yaml``).
    """
    return _resolve(os.fspath(path), ())


# --------------------------------------------------------------------------- overrides


def _parse_override(item: str) -> tuple[list[str], Any]:
    if not isinstance(item, str) or "=" not in item:
        raise ScenarioError(
            OVERRIDE_FILE,
            "",
            f"expected PATH=VALUE such as hub.sorting.rate_per_h=4000 (given: {item!r})",
        )
    raw_path, _, raw_value = item.partition("=")
    parts = [part.strip() for part in raw_path.split(".")]
    if not all(parts):
        raise ScenarioError(
            OVERRIDE_FILE,
            raw_path.strip(),
            f"path must be dot-separated keys such as hub.sorting.rate_per_h (given: {item!r})",
        )
    return parts, _load_text(raw_value, OVERRIDE_FILE, base_path=_dotted(parts))


def _set_path(root: dict, parts: list[str], value: Any) -> None:
    container: dict | list = root
    for depth, part in enumerate(parts):
        here, parent = _dotted(parts[: depth + 1]), _dotted(parts[:depth])
        key: str | int = part
        if isinstance(container, list):
            if not part.isdigit():
                raise ScenarioError(
                    OVERRIDE_FILE,
                    here,
                    f"{parent} is a list: use a number from 0 to {len(container) - 1} "
                    f"(given: {part!r})",
                )
            key = int(part)
            if key >= len(container):
                raise ScenarioError(
                    OVERRIDE_FILE,
                    here,
                    f"list index out of range: {parent} has {len(container)} item(s), "
                    f"indexes 0 to {len(container) - 1} (given: {key})",
                )
        if depth == len(parts) - 1:
            container[key] = value
            return
        child = container[key] if isinstance(container, list) else container.get(key)
        if child is None:
            # Missing (or null) intermediate levels become mappings; the schema
            # rejects keys that do not belong there.
            child = container[key] = {}
        elif not isinstance(child, dict | list):
            raise ScenarioError(
                OVERRIDE_FILE,
                here,
                f"cannot set {_dotted(parts)}: {here} is a {type(child).__name__}, "
                f"not a mapping or list (given: {short_repr(child)})",
            )
        container = child


def apply_overrides(
    data: dict, overrides: Iterable[str], origins: dict[str, str] | None = None
) -> dict:
    """Apply command-line overrides such as ``hub.sorting.rate_per_h=4000``.

    Each value is parsed as YAML with the same safe loader as the files, so
    ``4000`` is an int, ``direct`` a string, ``[a, b]`` a list and
    ``{x: 1}`` a mapping; an empty value is ``null``. Missing intermediate
    mappings are created; a numeric path segment indexes into a list.

    Parameters
    ----------
    data : dict
        The resolved document; not modified.
    overrides : iterable of str
        ``PATH=VALUE`` strings, applied in order.
    origins : dict of str to str, optional
        Origin map from :func:`resolve_extends`; updated in place so that the
        overridden paths point at ``"--set"``.

    Returns
    -------
    dict
        A new document with the overrides applied.

    Raises
    ------
    ScenarioError
        With file ``"--set"`` for a malformed override, an invalid value, a list
        index out of range, or a path that runs through a scalar.
    """
    result = _plain_copy(data)
    for item in overrides:
        parts, value = _parse_override(item)
        _set_path(result, parts, value)
        if origins is not None:
            path = _dotted(parts)
            for stale in [key for key in origins if key.startswith(path + ".")]:
                del origins[stale]
            origins[path] = OVERRIDE_FILE
    return result


# --------------------------------------------------------------------------- validation


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated`` and ``Optional`` wrappers."""
    while True:
        if typing.get_origin(tp) is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif _is_union(tp) and len(members := _union_members(tp)) == 1:
            tp = members[0]
        else:
            return tp


def _union_members(tp: Any) -> list[Any]:
    return [member for member in typing.get_args(tp) if member is not type(None)]


def _tags(tp: Any) -> list[str]:
    if typing.get_origin(tp) is not typing.Annotated:
        return []
    return [meta.tag for meta in tp.__metadata__ if isinstance(meta, Tag)]


def _key_name(name: str, field: Any) -> str:
    if isinstance(field.validation_alias, str):
        return field.validation_alias
    return field.alias or name


def _model_field(model: type[BaseModel], key: Any) -> Any:
    for name, field in model.model_fields.items():
        if key in (name, _key_name(name, field)):
            return field
    return None


def _literal_values(model: type[BaseModel]) -> set[Any]:
    values: set[Any] = set()
    for field in model.model_fields.values():
        annotation = _unwrap(field.annotation)
        if typing.get_origin(annotation) is Literal:
            values.update(typing.get_args(annotation))
    return values


def _type_at(tp: Any, loc: tuple) -> Any:
    """Follow a pydantic error ``loc`` through type annotations; ``None`` if lost."""
    tp = _unwrap(tp)
    if not loc:
        return tp
    step, rest = loc[0], loc[1:]
    if _is_union(tp):
        members = _union_members(tp)
        # pydantic puts the member's class name (smart unions) or the tag value
        # (discriminated unions) into the loc to say which member it tried.
        for member in members:
            if step == getattr(member, "__name__", None) or (
                _is_model(member) and step in _literal_values(member)
            ):
                return _type_at(member, rest)
            # A member of a union with a callable discriminator is tagged.
            if step in _tags(member):
                return _type_at(member, rest)
        found = [t for member in members if (t := _type_at(member, loc)) is not None]
        return found[0] if len(found) == 1 else None
    if _is_model(tp) and issubclass(tp, RootModel):
        # A root model is its root in the data: no key of its own in the loc.
        return _type_at(tp.model_fields["root"].annotation, loc)
    if _is_model(tp):
        field = _model_field(tp, step)
        return None if field is None else _type_at(field.annotation, rest)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (list, tuple, set, frozenset, Sequence) and isinstance(step, int) and args:
        return _type_at(args[0], rest)
    if origin in (dict, Mapping) and len(args) == 2:
        return _type_at(args[1], rest)
    return None


def _allowed_keys(model_cls: type[BaseModel], loc: tuple) -> list[str] | None:
    tp = _type_at(model_cls, loc)
    if not _is_model(tp):
        return None
    return [_key_name(name, field) for name, field in tp.model_fields.items()]


def _yaml_loc(data: Any, loc: tuple, error_type: str) -> tuple:
    """Keep the ``loc`` parts that are real keys/indexes in the data.

    The rest are pydantic's labels for union members, tags or dict-key checks.
    """
    parts = []
    node = data
    for index, step in enumerate(loc):
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        elif not (index == len(loc) - 1 and error_type == "missing"):
            continue
        parts.append(step)
    return tuple(parts)


def _origin_of(path: str, origins: Mapping[str, str], default_file: str | None) -> str | None:
    for candidate in [path, *reversed(_proper_prefixes(path))]:
        if candidate in origins:
            return origins[candidate]
        # A mapping with a wrong or missing key has no leaf of its own there; the nearest
        # mapping with leaves does (e.g. a fleet added by --set that lacks a field).
        below = {file for key, file in origins.items() if key.startswith(candidate + ".")}
        if below:
            return below.pop() if len(below) == 1 else default_file
    return default_file


def validate(
    model_cls: type[ModelT],
    data: Any,
    origins: Mapping[str, str] | None = None,
    default_file: str | None = None,
) -> ModelT:
    """Validate a resolved document into ``model_cls``, with YAML-friendly errors.

    Parameters
    ----------
    model_cls : type of pydantic.BaseModel
        The model to build.
    data : Any
        The resolved document (usually a dict).
    origins : mapping of str to str, optional
        Dotted path -> file that set it, from :func:`resolve_extends` and
        :func:`apply_overrides`; used to name the right file for each problem.
    default_file : str, optional
        File named when no origin matches (usually the top-level scenario file).

    Returns
    -------
    ModelT
        The validated model instance.

    Raises
    ------
    ScenarioError
        One problem per pydantic error: file, dotted YAML path, pydantic's message
        and the given value; unknown keys list the keys allowed at that level.
    """
    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        origins = origins or {}
        problems = []
        errors = exc.errors(include_url=False)
        failed = [tuple(error["loc"]) for error in errors]
        for error in errors:
            loc, error_type = tuple(error["loc"]), error["type"]
            inside = [f for f in failed if len(f) > len(loc) and f[: len(loc)] == loc]
            if error_type == "too_short" and inside:
                continue  # its items that failed were left out: they are the problem
            path = _dotted(_yaml_loc(data, loc, error_type))
            if error_type == "missing":
                message = "missing required key"
            elif error_type == "extra_forbidden":
                message = f"unknown key {loc[-1]!r}"
                allowed = _allowed_keys(model_cls, loc[:-1])
                if allowed:
                    message += f" (allowed: {', '.join(allowed)})"
            else:
                # pydantic prefixes messages raised by validators with "Value error, ".
                message = error["msg"].removeprefix("Value error, ")
                if not isinstance(error["input"], dict):
                    # A whole section as "given" says nothing the message does not.
                    message += f" (given: {short_repr(error['input'])})"
            problem = (_origin_of(path, origins, default_file), path, message)
            if problem not in problems:  # union members often repeat the same complaint
                problems.append(problem)
        raise ScenarioError.from_problems(problems) from None


# --------------------------------------------------------------------------- all together


def resolve(path: PathLike, overrides: Iterable[str] = ()) -> tuple[dict, dict[str, str]]:
    """The merged document of a file (``extends`` resolved, overrides applied), unvalidated.

    Parameters
    ----------
    path : str or os.PathLike
        The scenario file.
    overrides : iterable of str, optional
        ``PATH=VALUE`` strings, see :func:`apply_overrides`.

    Returns
    -------
    tuple of dict
        The document, and the file that set each dotted path (for :func:`validate`).
    """
    data, origins = resolve_extends(path)
    return apply_overrides(data, overrides, origins), origins
