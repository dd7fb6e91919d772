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
from typing import Any, Mapping, Sequence

from .errors import SearchFileError, UnknownConstantError
from .generator import REQUIRED, Field, SearchContext
from .schema import apply_overrides, validate_fields

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Search", "load_search", "parse_search", "SEARCH_FIELDS", "MATCH_FIELDS",
           "VERIFY_FIELDS"]

_TABLES = ("search", "generator", "match", "verify")
SEARCH_FIELDS = (
    Field("name", "str", REQUIRED, "the search's name (runs are listed under it)"),
    Field("kind", "str", REQUIRED, "the generator kind (see `discover plugins`)"),
    Field("description", "str", "", "one line for people"),
    Field("workers", "int", None, "worker processes (default: the number of cores)", min=1,
          max=1024),
)
MATCH_FIELDS = (
    Field("constants", "list[str]", [], "target constants, by corpus name"),
    Field("coefficient_bound", "int", 10, "Moebius coefficients (c0 + c1 K)/(c2 + c3 K), "
          "|ci| <= bound", min=1, max=60),
    Field("digits", "int", 10, "hash resolution of the float64 match, in significant digits",
          min=6, max=14),
)
VERIFY_FIELDS = (
    Field("digits", "int", 100, "agreeing digits required before anything is reported",
          min=20, max=100000),
)


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


def parse_search(data: Mapping[str, Any], plugins, path: str | None = None,
                 overrides: Sequence[str] = ()) -> Search:
    """Validate a search given as a dict (the parsed TOML) against the loaded plugins.

    ``overrides`` are ``--set TABLE.FIELD=VALUE`` strings applied before validation (they enter
    the search hash).
    """
    if not isinstance(data, Mapping):
        raise SearchFileError("(file)", f"expected tables, got {type(data).__name__}",
                              "write [search] and [generator] tables", path=path)
    if overrides:
        data = apply_overrides(data, overrides)
    for key in data:
        if key not in _TABLES:
            hint = ""
            if key in ("evolve", "esma"):
                hint = (f"; [{key}] is the old format of this file: move its fields to "
                        f"[generator] and add [search] with kind = "
                        f"\"{'program' if key == 'evolve' else 'esma'}\"")
            raise SearchFileError(key, "unknown table" + hint,
                                  f"use only the tables {', '.join(_TABLES)}", path=path)
        if not isinstance(data[key], Mapping):
            raise SearchFileError(key, f"must be a table ([{key}]), got {type(data[key]).__name__}",
                                  f"write it as [{key}] followed by key = value lines", path=path)
    if "search" not in data:
        raise SearchFileError("search", "missing table",
                              "add [search] with at least name = \"...\" and kind = \"pcf\"",
                              path=path)
    s = validate_fields(data["search"], SEARCH_FIELDS, prefix="search", path=path)
    name = s["name"].strip()
    if not name:
        raise SearchFileError("search.name", "missing or empty", "add name = \"my-search\"",
                              path=path)
    kind = s["kind"]
    if kind not in plugins.generators:
        raise SearchFileError("search.kind", f"no generator of kind {kind!r} is installed",
                              f"use one of: {', '.join(sorted(plugins.generators)) or '(none)'}",
                              path=path)
    m = dict(data.get("match", {}))
    if isinstance(m.get("constants"), str):
        m["constants"] = [m["constants"]]
    m = validate_fields(m, MATCH_FIELDS, prefix="match", path=path)
    resolved = []
    for c in m["constants"]:
        try:
            resolved.append(plugins.constants.get(c).name)
        except UnknownConstantError as err:
            raise SearchFileError("match.constants", str(err),
                                  "use a name listed by `discover constants`", path=path) from err
    v = validate_fields(data.get("verify", {}), VERIFY_FIELDS, prefix="verify", path=path)

    gen = plugins.generator(kind)
    context = SearchContext(constants=plugins.constants, targets=tuple(resolved),
                            verify_digits=v["digits"],
                            match={"coefficient_bound": m["coefficient_bound"],
                                   "digits": m["digits"]})
    section = data.get("generator", {})
    try:
        params = gen.configure(section, context)
    except SearchFileError as err:
        if err.path is None and path is not None:
            raise SearchFileError(err.field, err.problem, err.fix, path=path) from None
        raise
    try:
        json.dumps(params, sort_keys=True)
    except TypeError as err:
        raise SearchFileError("generator", f"generator {kind!r} returned parameters that are not "
                              f"JSON-able ({err})", "report this to the plugin's author",
                              path=path) from err
    return Search(name=name, kind=kind, params=params, constants=tuple(resolved),
                  coefficient_bound=m["coefficient_bound"], match_digits=m["digits"],
                  verify_digits=v["digits"], description=s.get("description", ""),
                  workers=s.get("workers"), path=path, raw=dict(data))


def load_search(path: str | Path, plugins, overrides: Sequence[str] = ()) -> Search:
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
    return parse_search(data, plugins, path=str(p), overrides=overrides)
