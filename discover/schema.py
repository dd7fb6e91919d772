"""The one validator of search-file fields, and ``--set`` overrides.

Every generator declares the fields of its ``[generator]`` table once, as a tuple of
:class:`discover.generator.Field`; :func:`validate_fields` enforces them for search files,
``discover run --set`` overrides and the short-form verbs (``evolve``, ``prove``, ``esma``) that
build a search. The core tables (``[search]``, ``[match]``, ``[verify]``) are declared the same way
in :mod:`discover.search`. Errors are :class:`discover.errors.SearchFileError` naming the field
and the fix.

>>> from discover.generator import Field, REQUIRED
>>> validate_fields({"seconds": 5}, (Field("seconds", "float", 60.0, min=1),
...                                  Field("seed", "int", 0)))
{'seconds': 5.0, 'seed': 0}
>>> validate_fields({"seconds": 0}, (Field("seconds", "float", 60.0, min=1),))
Traceback (most recent call last):
...
discover.errors.SearchFileError: field 'generator.seconds': 0 is below the minimum 1 (fix: choose a value of at least 1)
"""

from __future__ import annotations

import copy
import sys
from typing import Any, Mapping, Sequence

from .errors import SearchFileError
from .generator import Field

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["validate_fields", "apply_overrides", "parse_override"]

_TYPES = ("int", "float", "str", "bool", "list[int]", "list[float]", "list[str]", "table",
          "any")


def _type_name(t: str) -> str:
    return {"int": "an integer", "float": "a number", "str": "a string", "bool": "true or false",
            "list[int]": "a list of integers", "list[float]": "a list of numbers",
            "list[str]": "a list of strings", "table": "a table", "any": "a value"}[t]


def _example(f: Field) -> str:
    t = f.type
    if f.choices:
        return f"{f.name} = {f.choices[0]!r}".replace("'", '"')
    if t in ("int", "float"):
        v = f.default if isinstance(f.default, (int, float)) and not isinstance(
            f.default, bool) else (f.min if f.min is not None else 1)
        return f"{f.name} = {v:g}" if isinstance(v, float) else f"{f.name} = {v}"
    return {"str": f'{f.name} = "..."', "bool": f"{f.name} = true",
            "list[int]": f"{f.name} = [1, 2]", "list[float]": f"{f.name} = [0.0, 1.0]",
            "list[str]": f'{f.name} = ["a"]', "table": f"[{{prefix}}.{f.name}]",
            "any": f"{f.name} = ..."}[t]


def _scalar(value: Any, t: str, name: str, f: Field, path):
    if t == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise SearchFileError(name, f"expected an integer, got {value!r}",
                                  f"write {_example(f)}", path=path)
    elif t == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SearchFileError(name, f"expected a number, got {value!r}",
                                  f"write {_example(f)}", path=path)
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            raise SearchFileError(name, f"{value!r} is not a finite number",
                                  f"write {_example(f)}", path=path)
    elif t == "str":
        if not isinstance(value, str):
            raise SearchFileError(name, f"expected a string, got {value!r}",
                                  f'write {f.name} = "..." (with quotes)', path=path)
    elif t == "bool":
        if not isinstance(value, bool):
            raise SearchFileError(name, f"expected true or false, got {value!r}",
                                  f"write {f.name} = true", path=path)
    if t in ("int", "float") and (f.min is not None or f.max is not None):
        if f.min is not None and f.max is not None:
            fix = f"choose a value between {f.min:g} and {f.max:g}"
        elif f.min is not None:
            fix = f"choose a value of at least {f.min:g}"
        else:
            fix = f"choose a value of at most {f.max:g}"
        if f.min is not None and value < f.min:
            raise SearchFileError(name, f"{value:g} is below the minimum {f.min:g}", fix,
                                  path=path)
        if f.max is not None and value > f.max:
            raise SearchFileError(name, f"{value:g} is above the maximum {f.max:g}", fix,
                                  path=path)
    if f.choices and value not in f.choices:
        raise SearchFileError(name, f"{value!r} is not allowed",
                              f"use one of: {', '.join(map(str, f.choices))}", path=path)
    return value


def _check(value: Any, f: Field, name: str, path) -> Any:
    t = f.type
    if t == "any":
        return value
    if t == "table":
        if not isinstance(value, Mapping):
            raise SearchFileError(name, f"expected a table, got {value!r}",
                                  f"write it as [{name}] followed by key = value lines",
                                  path=path)
        return copy.deepcopy(dict(value))
    if t.startswith("list["):
        item = t[5:-1]
        if not isinstance(value, list):
            raise SearchFileError(name, f"expected {_type_name(t)}, got {value!r}",
                                  f"write {_example(f)}", path=path)
        if f.min_items is not None and len(value) < f.min_items:
            raise SearchFileError(name, f"has {len(value)} items, at least {f.min_items} needed",
                                  f"write {_example(f)}", path=path)
        if f.max_items is not None and len(value) > f.max_items:
            raise SearchFileError(name, f"has {len(value)} items, at most {f.max_items} allowed",
                                  "shorten the list", path=path)
        sub = Field(f.name, item, help=f.help, min=f.min, max=f.max, choices=f.choices)
        return [_scalar(v, item, f"{name}[{i}]", sub, path) for i, v in enumerate(value)]
    return _scalar(value, t, name, f, path)


def validate_fields(section: Mapping[str, Any], fields: Sequence[Field], *,
                    prefix: str = "generator", kind: str = "", path: str | None = None) -> dict:
    """Check ``section`` against ``fields``: unknown names, types, ranges, choices, list lengths,
    required fields; fill in defaults. Returns a new dict (fields without a value and without a
    default are left out)."""
    if not isinstance(section, Mapping):
        raise SearchFileError(prefix, f"must be a table, got {type(section).__name__}",
                              f"write it as [{prefix}] followed by key = value lines", path=path)
    by_name = {f.name: f for f in fields}
    for f in fields:
        if f.type not in _TYPES:  # a plugin bug: say so plainly
            raise SearchFileError(f"{prefix}.{f.name}", f"declares unknown type {f.type!r}",
                                  f"the plugin must use one of {', '.join(_TYPES)}", path=path)
    for key in section:
        if key not in by_name:
            whose = f" for kind {kind!r}" if kind else ""
            raise SearchFileError(f"{prefix}.{key}", f"unknown field{whose}",
                                  f"remove it or use one of: {', '.join(sorted(by_name))}"
                                  if by_name else "remove it: this table takes no fields",
                                  path=path)
    out: dict = {}
    for f in fields:
        name = f"{prefix}.{f.name}"
        if f.name in section:
            out[f.name] = _check(section[f.name], f, name, path)
        elif f.required:
            raise SearchFileError(name, "missing", f"add {_example(f).replace('{prefix}', prefix)}"
                                  + (f" ({f.help})" if f.help else ""), path=path)
        elif f.default is not None:
            out[f.name] = copy.deepcopy(f.default)
    return out


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"generator.seconds=30"`` -> ``(["generator", "seconds"], 30)``.

    The value is read as a TOML value (``30``, ``1.5``, ``true``, ``[1, 2]``, ``"text"``); a
    bare word that is not valid TOML is taken as a string (``--set generator.function=exp2``).
    """
    if "=" not in text:
        raise SearchFileError("--set", f"{text!r} has no '='",
                              "write --set TABLE.FIELD=VALUE, e.g. --set generator.seconds=30")
    key, raw = text.split("=", 1)
    parts = [p.strip() for p in key.strip().split(".")]
    if len(parts) < 2 or not all(p and (p.replace("_", "a").isalnum()) for p in parts):
        raise SearchFileError("--set", f"{key!r} is not TABLE.FIELD",
                              "write --set TABLE.FIELD=VALUE, e.g. --set generator.seconds=30")
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return parts, value


def apply_overrides(data: Mapping[str, Any], overrides: Sequence[str]) -> dict:
    """A deep copy of the parsed search ``data`` with each ``--set KEY=VALUE`` applied.

    The result is validated like a file, and the overrides enter the search hash because they
    change the data it is computed from.
    """
    out = copy.deepcopy(dict(data))
    for text in overrides:
        parts, value = parse_override(text)
        node = out
        for p in parts[:-1]:
            nxt = node.get(p)
            if nxt is None:
                nxt = node[p] = {}
            if not isinstance(nxt, dict):
                raise SearchFileError("--set", f"{'.'.join(parts)}: {p} is not a table",
                                      "set a field of a table, e.g. generator.seconds")
            node = nxt
        node[parts[-1]] = value
    return out
