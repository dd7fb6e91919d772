"""Command-line verbs of the continued-fraction plugin: ``discover esma``, ``discover cluster``."""

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
    _add_cluster(subparsers)


def _cluster(args) -> int:
    from discover.store import default_store_path

    from .cluster import cluster

    store = args.store if args.store is not None else default_store_path()
    result = cluster(store, run=args.run, digits=args.digits, new_members=args.new,
                     rate_tol=args.rate_tol, delta_tol=args.delta_tol,
                     metrics="stored" if args.stored_metrics else "recompute")
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    _print_clusters(result)
    return 0


def _print_clusters(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    fams = result["families"]
    tried = sum(f["tried_new"] for f in fams)
    ok = sum(f["verified_new"] for f in fams)
    con.print(f"{result['store']}: {result['members']} pcf discoveries, "
              f"{len(result['clusters'])} clusters, {len(fams)} families; {ok} of {tried} new "
              f"members verified to {result['digits']} digits ({result['seconds']} s)")
    t = Table(title=f"clusters (delta and rate at depth {result['dynamics_depth']})"
              if result["metrics"] == "recompute" else "clusters (stored metrics)")
    for col in ("#", "deg a, b", "convergence", "digits/term", "delta", "span dim", "members",
                "constants"):
        t.add_column(col)
    for c in result["clusters"]:
        rate = "-" if not c["rate"] else f"{c['rate'][0]:.4g} .. {c['rate'][1]:.4g}"
        delta = "-" if not c["delta"] else f"{c['delta'][0]:.4f} .. {c['delta'][1]:.4f}"
        t.add_row(str(c["id"]), f"{c['degrees'][0]}, {c['degrees'][1]}", c["convergence"], rate,
                  delta, str(c["affine_dimension"]), str(len(c["members"])),
                  ", ".join(c["constants"]))
    con.print(t)
    for f in fams:
        deg = "linear" if f["degree_in_k"] == 1 else "quadratic"
        t = Table(title=f"family {f['id']} (cluster {f['cluster']}, {deg} in k): "
                        f"a(n) = {f['a']}, b(n) = {f['b']}; {f['status']}, "
                        f"{f['verified_new']}/{f['tried_new']} new verified")
        for col in ("k", "a", "b", "limit", "digits", "delta", "status"):
            t.add_column(col)
        for m in f["known"]:
            t.add_row(str(m["k"]), str(m["a"]), str(m["b"]), m["expression"] or "-", "",
                      "-" if m["delta"] is None else f"{m['delta']:.4f}", f"stored #{m['id']}")
        for m in f["new_members"]:
            if "skipped" in m:
                t.add_row(str(m["k"]), str(m.get("a", "-")), str(m.get("b", "-")), "-", "", "",
                          f"skipped: {m['skipped']}")
                continue
            reason = m["reason"] or ""
            status = "verified" if m["verified"] else \
                f"FAILED: {reason[:70] + ('...' if len(reason) > 70 else '')}"
            if m["verified"] and m.get("equivalent_to") is not None:
                status += f" (equivalent to stored #{m['equivalent_to']})"
            t.add_row(str(m["k"]), str(m["a"]), str(m["b"]),
                      m["expression"] if m["verified"] else "-", f"{m['digits']:g}",
                      "-" if m.get("delta") is None else f"{m['delta']:.4f}", status)
        con.print(t)
    for i, p in enumerate(result.get("planes", []), 1):
        t = Table(title=f"two-parameter family {i} (cluster {p['cluster']}): a(n) = {p['a']}, "
                        f"b(n) = {p['b']}; {len(p['known'])} stored members, linear families "
                        f"{', '.join(map(str, p['linear_slices'])) or '-'} are slices of it; "
                        f"{p['verified_new']}/{p['tried_new']} new verified")
        for col in ("s, t", "a", "b", "limit", "digits", "status"):
            t.add_column(col)
        for m in p["new_members"]:
            if "skipped" in m:
                t.add_row(f"{m['s']}, {m['t']}", str(m["a"]), str(m["b"]), "-", "",
                          f"skipped: {m['skipped']}")
                continue
            reason = m["reason"] or ""
            status = "verified" if m["verified"] else \
                f"FAILED: {reason[:70] + ('...' if len(reason) > 70 else '')}"
            t.add_row(f"{m['s']}, {m['t']}", str(m["a"]), str(m["b"]),
                      m["expression"] if m["verified"] else "-", f"{m['digits']:g}", status)
        con.print(t)


def _add_cluster(subparsers) -> None:
    from pathlib import Path

    p = subparsers.add_parser("cluster", help="group stored pcf formulas by convergence "
                                              "dynamics and extend their parametric families")
    p.add_argument("--store", type=Path, default=None,
                   help="SQLite store (default: $DISCOVER_STORE or the user data dir)")
    p.add_argument("--run", type=int, default=None, help="only the discoveries of this run")
    p.add_argument("--digits", type=int, default=100,
                   help="digits to verify each new family member to (default 100)")
    p.add_argument("--new", type=int, default=3,
                   help="new values of k to try above each family's range (default 3; one "
                        "below is tried too)")
    p.add_argument("--rate-tol", type=float, default=0.25,
                   help="relative tolerance on the convergence rate (default 0.25)")
    p.add_argument("--delta-tol", type=float, default=0.1,
                   help="absolute tolerance on delta (default 0.1)")
    p.add_argument("--stored-metrics", action="store_true",
                   help="use the stored delta and rate instead of recomputing them at one depth")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=_cluster)
