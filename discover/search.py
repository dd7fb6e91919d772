"""Search files: TOML, validated before anything runs.

A search file has four tables::

    [search]                 # what and how
    name = "pi"
    kind = "pcf"             # the generator kind (see `discover plugins`)
    workers = 2              # optional; worker processes

    [generator]              # the generator's own parameters (its schema: `discover plugins -v`)
    ...

    [match]
    constants = ["pi"]       # targets, by corpus name
    coefficient_bound = 20   # Moebius coefficients (c0 + c1 K)/(c2 + c3 K), |ci| <= bound
    digits = 10              # hash resolution of the float64 match, in significant digits

    [verify]
    digits = 100             # required agreeing digits before anything is reported

Every error names the field and the fix (:class:`discover.errors.SearchFileError`). Search
files are data: expressions inside are read by :mod:`discover.safeexpr`, never executed.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import SearchFileError, UnknownConstantError
from .generator import SearchContext

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Search", "load_search", "parse_search"]

_TABLES = {"search", "generator", "match", "verify"}
_SEARCH_KEYS = {"name", "kind", "description", "workers"}
_MATCH_KEYS = {"constants", "coefficient_bound", "digits"}
_VERIFY_KEYS = {"digits"}


@dataclass(frozen=True)
class Search:
    """A validated search: what ``discover run`` executes.

    ``params`` are the generator's normalised parameters (as returned by its ``configure``);
    ``hash`` identifies the search for resuming (it changes when anything that affects results
    changes; ``name``, ``description`` and ``workers`` do not count).
    """

    name: str
    kind: str
    params: Mapping[str, Any]
    constants: tuple[str, ...]
    coefficient_bound: int
    match_digits: int
    verify_digits: int
    description: str = ""
    workers: int | None = None
    path: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def hash(self) -> str:
        payload = {"kind": self.kind, "params": self.params, "constants": self.constants,
                   "coefficient_bound": self.coefficient_bound, "match_digits": self.match_digits,
                   "verify_digits": self.verify_digits}
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def context(self, constants) -> SearchContext:
        return SearchContext(constants=constants, targets=self.constants,
                             verify_digits=self.verify_digits,
                             match={"coefficient_bound": self.coefficient_bound,
                                    "digits": self.match_digits})

    def to_json(self) -> dict:
        return {"name": self.name, "kind": self.kind, "description": self.description,
                "params": dict(self.params), "constants": list(self.constants),
                "coefficient_bound": self.coefficient_bound, "match_digits": self.match_digits,
                "verify_digits": self.verify_digits, "path": self.path, "hash": self.hash}


def _int(value, field_name: str, lo: int, hi: int, path) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SearchFileError(field_name, f"expected an integer, got {value!r}",
                              f"write an integer between {lo} and {hi}", path=path)
    if not lo <= value <= hi:
        raise SearchFileError(field_name, f"{value} is out of range",
                              f"choose a value between {lo} and {hi}", path=path)
    return value


def _unknown(table: Mapping, allowed: set[str], prefix: str, path) -> None:
    for key in table:
        if key not in allowed:
            raise SearchFileError(f"{prefix}{key}", "unknown field",
                                  f"remove it or use one of: {', '.join(sorted(allowed))}",
                                  path=path)


def parse_search(data: Mapping[str, Any], plugins, path: str | None = None) -> Search:
    """Validate a search given as a dict (the parsed TOML) against the loaded plugins."""
    for key in data:
        if key not in _TABLES:
            raise SearchFileError(key, "unknown table",
                                  f"use only the tables {', '.join(sorted(_TABLES))}", path=path)
        if not isinstance(data[key], Mapping):
            raise SearchFileError(key, f"must be a table ([{key}]), got {type(data[key]).__name__}",
                                  f"write it as [{key}] followed by key = value lines", path=path)
    s = data.get("search")
    if s is None:
        raise SearchFileError("search", "missing table",
                              "add [search] with at least name = \"...\" and kind = \"pcf\"",
                              path=path)
    _unknown(s, _SEARCH_KEYS, "search.", path)
    name = s.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SearchFileError("search.name", "missing or empty", "add name = \"my-search\"",
                              path=path)
    kind = s.get("kind")
    if not isinstance(kind, str):
        raise SearchFileError("search.kind", "missing",
                              f"add kind = one of: {', '.join(sorted(plugins.generators))}",
                              path=path)
    if kind not in plugins.generators:
        raise SearchFileError("search.kind", f"no generator of kind {kind!r} is installed",
                              f"use one of: {', '.join(sorted(plugins.generators)) or '(none)'}",
                              path=path)
    workers = s.get("workers")
    if workers is not None:
        workers = _int(workers, "search.workers", 1, 1024, path)

    m = data.get("match", {})
    _unknown(m, _MATCH_KEYS, "match.", path)
    consts = m.get("constants", [])
    if isinstance(consts, str):
        consts = [consts]
    if not isinstance(consts, list) or not all(isinstance(c, str) for c in consts):
        raise SearchFileError("match.constants", f"expected a list of names, got {consts!r}",
                              "write constants = [\"pi\"]", path=path)
    resolved = []
    for c in consts:
        try:
            resolved.append(plugins.constants.get(c).name)
        except UnknownConstantError as err:
            raise SearchFileError("match.constants", str(err),
                                  "use a name listed by `discover constants`", path=path) from err
    bound = _int(m.get("coefficient_bound", 10), "match.coefficient_bound", 1, 60, path)
    mdigits = _int(m.get("digits", 10), "match.digits", 6, 14, path)

    v = data.get("verify", {})
    _unknown(v, _VERIFY_KEYS, "verify.", path)
    vdigits = _int(v.get("digits", 100), "verify.digits", 20, 100000, path)

    gen = plugins.generator(kind)
    context = SearchContext(constants=plugins.constants, targets=tuple(resolved),
                            verify_digits=vdigits,
                            match={"coefficient_bound": bound, "digits": mdigits})
    section = data.get("generator", {})
    params = gen.configure(section, context)
    try:
        json.dumps(params, sort_keys=True)
    except TypeError as err:
        raise SearchFileError("generator", f"generator {kind!r} returned parameters that are not "
                              f"JSON-able ({err})", "report this to the plugin's author",
                              path=path) from err
    return Search(name=name.strip(), kind=kind, params=params, constants=tuple(resolved),
                  coefficient_bound=bound, match_digits=mdigits, verify_digits=vdigits,
                  description=str(s.get("description", "")), workers=workers, path=path,
                  raw=dict(data))


def load_search(path: str | Path, plugins) -> Search:
    """Read and validate a TOML search file.

    Raises :class:`SearchFileError` (naming the field and the fix) before any work is done.
    """
    p = Path(path)
    if not p.exists():
        raise SearchFileError("path", f"search file {str(p)!r} does not exist",
                              "give the path of a .toml file, e.g. searches/pi.toml")
    try:
        with open(p, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise SearchFileError("(syntax)", f"not valid TOML: {err}",
                              "fix the line shown; strings need quotes, tables [brackets]",
                              path=str(p)) from err
    return parse_search(data, plugins, path=str(p))
