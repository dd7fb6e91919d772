"""Command-line verbs of the continued-fraction plugin: ``discover esma``."""

from __future__ import annotations

import json
import tomllib

from discover.errors import DiscoverError

_ESMA_FIELDS = {"value": str, "dps": int, "digits": int}


def _read_search(path: str) -> dict:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise DiscoverError(f"{path}: cannot read ESMA search file ({err})") from err
    section = data.get("esma")
    if not isinstance(section, dict):
        raise DiscoverError(f"{path}: field 'esma' missing: add an [esma] table with value = ...")
    for key in section:
        if key not in _ESMA_FIELDS:
            raise DiscoverError(f"{path}: field 'esma.{key}' is unknown; use one of "
                                f"{', '.join(_ESMA_FIELDS)}")
    for key, typ in _ESMA_FIELDS.items():
        if key in section and (not isinstance(section[key], typ)
                               or isinstance(section[key], bool)):
            raise DiscoverError(f"{path}: field 'esma.{key}' must be a {typ.__name__}, got "
                                f"{section[key]!r}")
    if "value" not in section:
        raise DiscoverError(f"{path}: field 'esma.value' missing (a corpus name or expression)")
    return section


def _esma(args) -> int:
    from discover.errors import ExpressionError
    from .esma import esma

    value, dps, digits = args.value, args.dps, args.digits
    if args.search:
        sec = _read_search(args.search)
        value, dps, digits = sec["value"], sec.get("dps", dps), sec.get("digits", digits)
    if not value:
        raise DiscoverError("give VALUE (a corpus name or expression) or --search FILE")
    try:
        result = esma(value, dps=dps, digits=digits)
    except ExpressionError as err:
        from discover.constants import default_registry
        raise DiscoverError(f"{err}; known constants: "
                            f"{', '.join(default_registry().names())}") from err
    conj = [{"a": c["a"], "b": c["b"], "expression": c["expression"], "digits": c["digits"],
             "verified": c["verified"], "moebius": c["moebius"], "pattern": c["pattern"]}
            for c in result["conjectures"]]
    if args.json:
        print(json.dumps(conj, indent=2))
        return 0
    print(f"{result['value']}: {result['terms']} partial quotients supported by {dps} digits: "
          f"{result['expansion'][:15]} ...")
    if result["recurrence"]:
        print(f"linear recurrence (Berlekamp-Massey): {result['recurrence']}")
    if not conj:
        print("no pattern found")
    for c in conj:
        state = "verified" if c["verified"] else "NOT verified"
        print(f"PCF(a={c['a']}, b={c['b']}) = {c['expression']}  ({state}, "
              f"{c['digits']} digits)")
    return 0


def add_commands(subparsers) -> None:
    p = subparsers.add_parser("esma", help="conjecture continued fractions from a constant's "
                                          "simple continued fraction")
    p.add_argument("value", nargs="?", help="corpus constant name or safe expression")
    p.add_argument("--search", help="TOML file with an [esma] table (value, dps, digits)")
    p.add_argument("--dps", type=int, default=600, help="working digits (default 600)")
    p.add_argument("--digits", type=int, default=100, help="digits to verify (default 100)")
    p.add_argument("--json", action="store_true", help="print the conjectures as JSON")
    p.set_defaults(func=_esma)
