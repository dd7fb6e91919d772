"""Command-line verbs of the continued-fraction plugin: ``discover esma``, ``discover cluster``."""

from __future__ import annotations

import json
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from discover.errors import DiscoverError, SearchFileError


def _read_search(path: str) -> dict:
    """The parsed ESMA search file; the old ``[esma]`` table is refused with the conversion."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as err:
        raise DiscoverError(f"{path}: cannot read the search file ({err})") from err
    except tomllib.TOMLDecodeError as err:
        raise SearchFileError("(syntax)", f"not valid TOML: {err}",
                              "fix the line shown; strings need quotes, tables [brackets]",
                              path=path) from err
    if "esma" in data:
        old = data["esma"] if isinstance(data["esma"], dict) else {}
        gen = ", ".join(f"{k} = {json.dumps(old[k])}" for k in ("value", "dps") if k in old)
        raise SearchFileError(
            "esma", "[esma] is the old format of ESMA search files",
            "write [search] name = \"esma-...\" and kind = \"esma\"; move value and dps to "
            f"[generator]{' (' + gen + ')' if gen else ''} and digits to [verify] (see "
            "searches/esma_e.toml)", path=path)
    return data


def _esma(args) -> int:
    from discover.cli import _plugins

    from .esma import esma

    pl = _plugins(args)
    search = None
    if args.search:
        search = _read_search(args.search)
    elif not args.value:
        raise DiscoverError("give VALUE (a corpus name or expression) or --search FILE")
    result = esma(args.value, dps=args.dps, digits=args.digits, store=args.store, plugins=pl,
                  search=search)
    conj = [{"a": c["a"], "b": c["b"], "expression": c["expression"], "digits": c["digits"],
             "verified": c["verified"], "moebius": c["moebius"], "pattern": c["pattern"]}
            for c in result["conjectures"]]
    if args.json:
        print(json.dumps(conj, indent=2))
        return 0
    print(f"{result['value']}: {result['terms']} partial quotients supported by "
          f"{result['dps']} digits: {result['expansion'][:15]} ...")
    if result["recurrence"]:
        print(f"linear recurrence (Berlekamp-Massey): {result['recurrence']}")
    if not conj:
        print("no pattern found")
    for c in conj:
        state = "verified" if c["verified"] else "NOT verified"
        print(f"PCF(a={c['a']}, b={c['b']}) = {c['expression']}  ({state}, "
              f"{c['digits']} digits)")
    if result["store"]:
        print(f"stored in {result['store']} (run {result['run_id']})")
    return 0


def add_commands(subparsers) -> None:
    p = subparsers.add_parser("esma", help="conjecture continued fractions from a constant's "
                                          "simple continued fraction")
    p.add_argument("value", nargs="?", help="corpus constant name or safe expression")
    p.add_argument("--search", help="search file of kind esma ([search] kind = \"esma\", "
                                    "[generator] value, dps, [verify] digits) instead of VALUE")
    p.add_argument("--dps", type=int, default=600, help="working digits (default 600)")
    p.add_argument("--digits", type=int, default=100, help="digits to verify (default 100)")
    p.add_argument("--store", default=None,
                   help="SQLite store that keeps the verified formulas, with provenance "
                        "(default: a temporary store, discarded)")
    p.add_argument("--json", action="store_true", help="print the conjectures as JSON")
    p.set_defaults(func=_esma)
    _add_cluster(subparsers)


def _cluster(args) -> int:
    from discover.store import default_store_path

    from .cluster import cluster

    store = args.store if args.store is not None else default_store_path()
    from discover.cli import _plugins

    result = cluster(store, run=args.run, digits=args.digits, new_members=args.new,
                     rate_tol=args.rate_tol, delta_tol=args.delta_tol,
                     metrics="stored" if args.stored_metrics else "recompute",
                     record=args.record, plugins=_plugins(args))
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    _print_clusters(result)
    if "recorded" in result:
        r = result["recorded"]
        print(f"recorded {r['recorded']} verified new members in {r['store']} (run {r['run']}, "
              f"{r['new']} new discoveries)")
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
    p.add_argument("--record", action="store_true",
                   help="record the verified new members in the same store, with provenance "
                        "(a run of the verb); members that fail are never recorded")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=_cluster)
