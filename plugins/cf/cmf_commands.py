"""Command-line verbs for conservative matrix fields: ``discover cmf list|check|walk``."""

from __future__ import annotations

import json

from discover.errors import DiscoverError


def _point(text: str, what: str) -> list[int]:
    try:
        return [int(p) for p in text.split(",")]
    except ValueError:
        raise DiscoverError(f"--{what} {text!r}: expected integers separated by commas, "
                            f"e.g. --{what} 1,1") from None


def _fields(args):
    from .cmf import known_cmfs, read_cmf_file
    return read_cmf_file(args.file) if args.file else known_cmfs()


def _list(args) -> int:
    if not args.file:
        from .catalogue import catalogue, catalogue_field
        rows = []
        for name, entry in catalogue().items():
            f = catalogue_field(name)
            rows.append({"name": name, "rank": f.size, "dimension": len(f.axes),
                         "axes": list(f.axes), "parameters": entry.parameters(),
                         "constants": list(entry.constants), "source": entry.source,
                         "description": entry.description})
        if args.json:
            print(json.dumps(rows, indent=2))
            return 0
        for r in rows:
            print(f"{r['name']}: rank {r['rank']}, dimension {r['dimension']} (axes "
                  f"{', '.join(r['axes'])}); constants {', '.join(r['constants'])}; "
                  f"{r['description']}")
            print(f"    source: {r['source']}")
        return 0
    fields = _fields(args)
    if args.json:
        print(json.dumps([f.to_json() for f in fields.values()], indent=2))
        return 0
    for name, f in fields.items():
        print(f"{name}: axes {', '.join(f.axes)}; {f.size}x{f.size}; constants "
              f"{', '.join(f.constants) or '-'}; {f.description}")
        for axis, M in f.matrices.items():
            print(f"    M_{axis} = {M.tolist()}")
    return 0


def _check(args) -> int:
    # loading checks every field; a failure raises NotConservativeError naming the pair
    fields = _fields(args)
    names = [args.name] if args.name else list(fields)
    if not args.file:
        from .catalogue import catalogue, catalogue_field
        for name in ([args.name] if args.name else list(catalogue())):
            f = catalogue_field(name)
            pairs = len(f.axes) * (len(f.axes) - 1) // 2
            print(f"{name}: conservative ({pairs} pair(s) of axes checked symbolically, "
                  f"{f.size}x{f.size})")
        return 0
    for name in names:
        if name not in fields:
            raise DiscoverError(f"no field {name!r}; known: {', '.join(sorted(fields))}")
        f = fields[name]
        pairs = len(f.axes) * (len(f.axes) - 1) // 2
        print(f"{name}: conservative ({pairs} pair(s) of axes checked symbolically)")
    return 0


def _walk(args) -> int:
    from discover.cli import _plugins

    from .cmf import load_cmf, walk

    pl = _plugins(args)
    field = load_cmf(args.name, args.file)
    direction = _point(args.direction, "direction")
    start = _point(args.start, "start") if args.start else None
    constants = args.constants.split(",") if args.constants else None
    findings: list = []
    result = walk(field, direction, start, digits=args.digits, constants=constants,
                  plugins=pl, findings=findings)
    recorded = None
    if args.store is not None:
        from .verbs import record

        # only a verified walk is recorded; a conjecture or a near miss never is
        recorded = record(args.store, name=f"cmf walk {field.name}", gen=pl.generator("cmf"),
                          findings=findings, plugins=pl,
                          search={"verb": "cmf walk", "cmf": field.to_json(),
                                  "direction": result["direction"], "start": result["start"],
                                  "digits": args.digits, "constants": constants})
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    if "recurrence" in result:
        rec = result["recurrence"]
        print(f"{result['cmf']} along {tuple(result['direction'])} from "
              f"{tuple(result['start'])}: order-{rec['order']} recurrence, coefficients "
              f"{rec['coeffs']} (n > {rec['n0']})")
        print(f"  limit: {result['limit']}")
        print(f"  = {result['expression']}  ({'verified' if result['verified'] else 'NOT verified'}"
              f": {result['reason']}; delta {result['delta']})")
        if recorded is not None:
            print(f"  recorded in {recorded['store']} (run {recorded['run']}: "
                  f"{recorded['recorded']} verified, {recorded['new']} new)")
        return 0
    from .pcf import PCF
    print(f"{result['cmf']} along {tuple(result['direction'])} from {tuple(result['start'])}:")
    print(f"  PCF after reduction: {PCF(result['a'], result['b'])}")
    if result["limit"] is None:
        print(f"  limit: not computed ({result['reason']})")
        return 0
    print(f"  limit: {result['limit']}")
    if result["expression"]:
        if result["verified"]:
            print(f"  = {result['expression']}  (verified, {result['digits']} digits; delta "
                  f"{result['delta']}, {result['convergence_rate']:.3f} digits/term)")
        else:
            print(f"  = {result['expression']}  (NOT verified: {result['reason']})")
    else:
        print(f"  closed form: none found ({result['reason']})")
    if recorded is not None:
        print(f"  recorded in {recorded['store']} (run {recorded['run']}: "
              f"{recorded['recorded']} verified, {recorded['new']} new)")
    return 0


def _coeffs(text: str, what: str) -> list[int]:
    try:
        return [int(p) for p in text.replace("[", "").replace("]", "").split(",")]
    except ValueError:
        raise DiscoverError(f"--{what} {text!r}: expected integer coefficients, highest power "
                            f"first, separated by commas, e.g. --{what} 2,1") from None


def _relate(args) -> int:
    from .relate import relate, relate_store

    fields = args.cmf.split(",") if args.cmf else None
    if args.record and not args.store:
        raise DiscoverError("--record needs --store S (the store the relations are written to)")
    if args.a is not None or args.b is not None:
        if args.a is None or args.b is None:
            raise DiscoverError("discover cmf relate: give both --a and --b (a PCF)")
        out = relate(_coeffs(args.a, "a"), _coeffs(args.b, "b"), fields=fields,
                     max_step=args.max_step)
        if args.record:
            from .relate import record_relations
            out["recorded"] = record_relations(args.store, [out])
        if args.json:
            print(json.dumps(out, indent=2))
        elif out["related"]:
            print(f"related to {out['cmf']} along {tuple(out['direction'])} from "
                  f"{tuple(out['start'])}: trajectory {out['trajectory']}, shift "
                  f"{out['shift']}, U(n) = {out['coboundary']} for n >= {out['n0']} "
                  "(checked symbolically)")
        else:
            print(f"not related: {out['reason']}")
        return 0
    if args.store or args.formulas:
        if args.store:
            from discover.store import Store
            with Store(args.store) as st:
                formulas = [{"a": d.params["a"], "b": d.params["b"], "id": d.id}
                            for d in st.discoveries() if "a" in d.params and "b" in d.params]
        else:
            with open(args.formulas) as fh:
                data = json.load(fh)
            formulas = data.get("formulas", data) if isinstance(data, dict) else data
        out = relate_store(formulas, fields=fields, max_step=args.max_step)
        if args.record:
            from .relate import record_relations
            out["recorded"] = record_relations(args.store, out["results"])
        if args.json:
            print(json.dumps(out, indent=2))
        else:
            print(f"{out['related']} of {out['formulas']} formulas related to catalogue "
                  f"trajectories; {out['pairs_proven']} pairs proven equivalent")
            if args.record:
                rec = out["recorded"]
                print(f"recorded in {rec['store']} (run {rec['run']}: {rec['recorded']} "
                      f"verified with their coboundary in the provenance, {rec['new']} new)")
        return 0
    if args.a is None or args.b is None:
        raise DiscoverError("discover cmf relate needs --a and --b (a PCF), or --store / "
                            "--formulas")
    out = relate(_coeffs(args.a, "a"), _coeffs(args.b, "b"), fields=fields,
                 max_step=args.max_step)
    if args.json:
        print(json.dumps(out, indent=2))
    elif out["related"]:
        print(f"related to {out['cmf']} along {tuple(out['direction'])} from "
              f"{tuple(out['start'])}: trajectory {out['trajectory']}, shift {out['shift']}, "
              f"U(n) = {out['coboundary']} for n >= {out['n0']} (checked symbolically)")
    else:
        print(f"not related: {out['reason']}")
    return 0


def add_commands(subparsers) -> None:
    p = subparsers.add_parser("cmf", help="conservative matrix fields: list, check, walk")
    sub = p.add_subparsers(dest="cmf_command", metavar="{list,check,walk,relate}")
    sub.required = True
    file_help = "TOML file of fields (format of corpora/cmfs.toml) instead of the corpus"

    q = sub.add_parser("list", help="the known fields and their matrices")
    q.add_argument("--file", help=file_help)
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=_list)

    q = sub.add_parser("check", help="check the conservation condition symbolically")
    q.add_argument("name", nargs="?", help="field name (default: every field)")
    q.add_argument("--file", help=file_help)
    q.set_defaults(func=_check)

    q = sub.add_parser("walk", help="the PCF of one trajectory, its limit and closed form")
    q.add_argument("name", help="field name (discover cmf list)")
    q.add_argument("--direction", required=True, help="integer direction, e.g. 1,1")
    q.add_argument("--start", help="start point (default: all ones), e.g. 1,1")
    q.add_argument("--file", help=file_help)
    q.add_argument("--digits", type=int, default=100, help="digits to verify (default 100)")
    q.add_argument("--constants", help="constants for the closed form, comma-separated "
                                       "(default: the field's)")
    q.add_argument("--store", default=None,
                   help="SQLite store: record the verified formula with its provenance (a run "
                        "of the verb; nothing is recorded when the walk is not verified)")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=_walk)

    q = sub.add_parser("relate", help="prove a PCF equivalent to a catalogue trajectory "
                                      "(coboundary)")
    q.add_argument("--a", help="a(n) coefficients, highest power first, e.g. 2,1")
    q.add_argument("--b", help="b(n) coefficients, e.g. 1,0,0")
    q.add_argument("--cmf", help="catalogue fields to try, comma-separated (default: all)")
    q.add_argument("--max-step", type=int, default=2, help="largest direction component "
                                                            "(default 2; 1 above 3 axes)")
    q.add_argument("--store", help="relate every PCF formula of this store")
    q.add_argument("--formulas", help="JSON file of formulas (list of {a, b}) instead")
    q.add_argument("--record", action="store_true",
                   help="with --store: verify each related formula and record it in the store "
                        "with its coboundary as provenance (a run of `cmf relate`)")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=_relate)
