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


def add_commands(subparsers) -> None:
    p = subparsers.add_parser("cmf", help="conservative matrix fields: list, check, walk")
    sub = p.add_subparsers(dest="cmf_command", metavar="{list,check,walk}")
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
