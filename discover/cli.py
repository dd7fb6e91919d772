"""The ``discover`` command line: run, show, verify, identify, export, plugins, constants.

Every verb has ``--json`` for scripts; errors print one line naming the problem and the fix and
exit with status 2. ``discover verify`` exits 0 when the formula holds and 1 when it does not.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

from . import __version__
from .errors import DiscoverError

EXIT_ERROR = 2


def _plugins(args):
    """The plugin manager built once by :func:`main` (or built now), its problems printed once."""
    pl = getattr(args, "_plugins", None)
    if pl is None:
        from .pluginmanager import get_plugin_manager

        autoload = False if getattr(args, "no_plugins", False) else None
        pl = get_plugin_manager(autoload=autoload)
        args._plugins = pl
    if not getattr(args, "_warned", False):
        args._warned = True
        for problem in pl.errors:
            print(f"warning: {problem}", file=sys.stderr)
    return pl


def _console():
    from rich.console import Console

    return Console()


# ---------------------------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------------------------
class _Progress:
    """A rich progress bar on a terminal; plain log lines otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.bar = None
        self.task = None
        self.last = 0.0
        self.start_done = 0

    def __call__(self, ev: dict) -> None:
        if not self.enabled:
            return
        if ev["event"] == "warning":
            print(f"warning: {ev['message']}", file=sys.stderr)
            return
        if ev.get("mode") == "rounds" or ev["event"] == "round":
            self._round(ev)
            return
        if ev["event"] == "start":
            self.start_done = ev["done"]
            what = "resuming" if ev.get("resumed") else "starting"
            print(f"{what} run {ev['run_id']}: {ev['pending']} of {ev['total']} shards to do "
                  f"({ev['candidates_total']:,} candidates in all)", file=sys.stderr)
            if self.tty:
                from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                           TimeElapsedColumn, TimeRemainingColumn)

                self.bar = Progress(TextColumn("[bold]shards"), BarColumn(), MofNCompleteColumn(),
                                    TextColumn("{task.fields[rate]} cand/s"),
                                    TextColumn("{task.fields[found]} found"),
                                    TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                                    transient=True)
                self.bar.start()
                self.task = self.bar.add_task("run", total=ev["total"], completed=ev["done"],
                                              rate="-", found=0)
            return
        if ev["event"] == "shard":
            rate = ev["candidates"] / max(ev["elapsed"], 1e-9)
            if ev.get("error"):
                last = ev["error"].strip().splitlines()[-1]
                print(f"shard {ev['shard']} failed: {last}", file=sys.stderr)
            if self.bar is not None:
                self.bar.update(self.task, completed=ev["done"] + ev["failed"],
                                rate=f"{rate:,.0f}", found=ev["discoveries"])
            elif time.time() - self.last > 2 or ev["done"] + ev["failed"] == ev["total"]:
                self.last = time.time()
                finished = ev["done"] + ev["failed"] - self.start_done
                left = ev["total"] - ev["done"] - ev["failed"]
                eta = ev["elapsed"] / finished * left if finished else float("nan")
                print(f"shards {ev['done']}/{ev['total']}  {rate:,.0f} cand/s  "
                      f"{ev['discoveries']} found ({ev['new']} new)  failed {ev['failed']}  "
                      f"eta {eta:.0f} s", file=sys.stderr)
            return
        if ev["event"] == "end" and self.bar is not None:
            self.bar.stop()


    def _round(self, ev: dict) -> None:
        """Adaptive runs: one line per round (the number of rounds may depend on the state)."""
        if ev["event"] == "start":
            what = "resuming" if ev.get("resumed") else "starting"
            left = "" if ev.get("pending") is None else f", {ev['pending']} rounds to do"
            print(f"{what} run {ev['run_id']} at round {ev['done']}{left}", file=sys.stderr)
        elif ev["event"] == "round":
            if ev.get("error"):
                last = ev["error"].strip().splitlines()[-1]
                print(f"round {ev['round']} failed: {last} (run again to retry it)",
                      file=sys.stderr)
            else:
                total = f"/{ev['total']}" if ev.get("total") else ""
                print(f"round {ev['round'] + 1}{total} done: {ev['discoveries']} recorded "
                      f"({ev['new']} new), {ev['elapsed']:.1f} s", file=sys.stderr)


def _discovery_table(records, title: str, plugins=None):
    """One rich table per kind of ``records`` (under ``title``): each kind's own columns and
    measures (see :func:`discover.reporting.columns`); one record shows every measure."""
    from rich.console import Group
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from .reporting import by_kind, kind_title, rows

    if plugins is None:
        from .pluginmanager import get_plugin_manager

        plugins = get_plugin_manager()
    groups = by_kind(records)

    def table(kind, recs, head):
        cols, cells = rows(kind, recs, plugins, compact=len(records) != 1)
        caption = None
        names = [n for n, _ in cols]
        if len(recs) > 1 and "method" in names:     # one method for all: say it once
            i = names.index("method")
            if len({row[i] for row in cells}) == 1:
                caption = f"verified by: {cells[0][i]}"
                cols = cols[:i] + cols[i + 1:]
                cells = [row[:i] + row[i + 1:] for row in cells]
        t = Table(title=escape(head), show_lines=False,
                  caption=None if caption is None else escape(caption))
        for _, label in cols:
            t.add_column(escape(label), overflow="fold")
        for row in cells:
            t.add_row(*(escape(c) for c in row))
        return t

    if len(groups) <= 1:
        kind, recs = next(iter(groups.items()), ("", []))
        return table(kind, recs, title)
    return Group(Text(title, style="bold"),
                 *(table(k, g, f"{kind_title(k, g)}: {len(g)}") for k, g in groups.items()))


def cmd_run(args) -> int:
    from .api import load
    from .engine import run_search
    from .store import Store

    pl = _plugins(args)
    search = load(args.search, plugins=pl, overrides=args.set or ())
    with Store(args.store) as st:
        summary = run_search(search, store=st, plugins=pl, workers=args.workers,
                             progress=_Progress(not args.json and not args.quiet),
                             new_run=args.new_run, max_shards=args.max_shards,
                             retry_failed=args.retry_failed, scheduler=args.scheduler,
                             max_rounds=args.max_rounds, yes=args.yes)
    if args.json:
        print(json.dumps(summary.to_json(), indent=1))
        return 0
    con = _console()
    con.print(_discovery_table(summary.discoveries,
                               f"{search.name}: {len(summary.discoveries)} verified discoveries "
                               f"(run {summary.run_id}, {summary.new_discoveries} new)", pl))
    st_ = summary.stats
    hashes = st_.get("hash_table") or {}
    if hashes:
        con.print("functional hash table: " + ", ".join(
            f"{stage} {c['hits']}/{c['lookups']} hits" for stage, c in sorted(hashes.items())),
            markup=False)
    if summary.mode == "rounds":
        con.print(f"run {summary.run_id} {summary.status}: {summary.rounds_done} rounds"
                  + (f", {summary.rounds_failed} failed" if summary.rounds_failed else "")
                  + f" in {summary.seconds:.1f} s", markup=False)
        con.print(f"store: {summary.store}", markup=False)
        if summary.status == "interrupted":
            con.print("interrupted: run the same command again to resume")
            return 130
        return 0 if summary.status == "complete" else 1
    con.print(f"run {summary.run_id} {summary.status}: {summary.shards_done}/"
              f"{summary.shards_total} shards, {summary.candidates:,} candidates in "
              f"{summary.seconds:.1f} s ({summary.rate:,.0f}/s), hash hit rate "
              f"{st_.get('hash_hit_rate', 0):.1%}, {st_.get('selected', 0)} matched, "
              f"{st_.get('refined', 0)} refined, {st_.get('verified', 0)} verified to "
              f"{search.verify_digits} digits, {st_.get('rejected', 0)} rejected", markup=False)
    names = getattr(pl.generator(search.kind), "status_names", None)
    if names and st_.get("status"):      # candidates per evaluation path (status code)
        con.print("candidates by status: " + ", ".join(
            f"{names.get(int(c), c)} {n:,}" for c, n in sorted(st_["status"].items(),
                                                             key=lambda kv: int(kv[0]))),
            markup=False)
    con.print(f"store: {summary.store}", markup=False)
    if summary.status == "interrupted":
        con.print("interrupted: run the same command again to resume")
        return 130
    return 0


# ---------------------------------------------------------------------------------------------
# show / export
# ---------------------------------------------------------------------------------------------
def cmd_show(args) -> int:
    from .store import Store

    with Store(args.store, readonly=True) as st:
        if args.failed:
            rows = [{"unit": "shard", **r} for r in st.failed_shards(args.run)]
            rows += [{"unit": "round", **r} for r in st.failed_rounds(args.run)]
            if args.json:
                print(json.dumps(rows, indent=1))
            else:
                for r in rows:
                    print(f"run {r['run_id']} {r['unit']} {r[r['unit']]}:\n{r['error']}")
                if not rows:
                    print("no failed shards or rounds")
            return 0
        pl = _plugins(args)
        if args.id is not None:
            rec = st.discovery(args.id)
            if args.json:
                out = rec.to_json()
                out["verdict"] = rec.verdict
                print(json.dumps(out, indent=1))
            else:
                con = _console()
                con.print(_discovery_table([rec], f"discovery {rec.id} ({rec.kind})", pl))
                con.print(f"verified by: {rec.method or '-'}", markup=False)
                con.print(f"LaTeX: {rec.latex}", markup=False)
                if rec.params.get("python"):
                    con.print(f"python:\n{rec.params['python']}", markup=False)
                con.print(f"verdict: {json.dumps(rec.verdict)}", markup=False)
            return 0
        recs = st.discoveries(run_id=args.run, kind=args.kind, constant=args.constant)
        if args.json:
            print(json.dumps([r.to_json() for r in recs], indent=1))
            return 0
        con = _console()
        con.print(_discovery_table(recs, f"{len(recs)} discoveries in {st.path}", pl))
        for run in st.runs():
            if run.mode == "rounds":
                work, failed = f"{run.rounds_done} rounds", run.rounds_failed
            else:
                work, failed = f"{run.shards_done}/{run.shards_total} shards", run.shards_failed
            con.print(f"run {run.id} {run.name!r} ({run.kind}): {run.status}, {work}"
                      + (f", {failed} failed" if failed else ""), markup=False)
    return 0


def cmd_export(args) -> int:
    from .api import export

    paths = export(args.store, args.out, fmt=args.format, discovery=args.id,
                   plugins=_plugins(args))
    if args.json:
        print(json.dumps([str(p) for p in paths]))
    else:
        for p in paths:
            print(p)
        if not paths:
            print("no discoveries to export", file=sys.stderr)
    return 0


def cmd_report(args) -> int:
    from .reporting import write_report

    path = write_report(args.store, args.html, run_id=args.run, plugins=_plugins(args))
    print(path)
    return 0


# ---------------------------------------------------------------------------------------------
# verify / identify
# ---------------------------------------------------------------------------------------------
def cmd_verify(args) -> int:
    from .api import verify

    pl = _plugins(args)
    fields = {name: getattr(args, f"field_{name}", None) for name in _all_fields(pl)}
    fields = {k: v for k, v in fields.items() if v is not None}
    verdict = verify(value=args.value, digits=args.digits, kind=args.kind, plugins=pl,
                     method=args.method, **fields)
    if args.json:
        print(json.dumps(verdict.to_dict(), indent=1))
    else:
        word = "EQUAL" if verdict.equal else "NOT EQUAL"
        rate = "-" if verdict.convergence_rate is None else f"{verdict.convergence_rate:.4f}"
        how = f" by {verdict.method}" if verdict.method else ""
        print(f"{word}: {verdict.digits:.1f} digits agree (required {verdict.required}){how}; "
              f"convergence {rate} digits/term at depth {verdict.depth}")
        if verdict.reason:
            print(f"reason: {verdict.reason}")
    return 0 if verdict.equal else 1


def cmd_identify(args) -> int:
    from .api import identify

    pl = _plugins(args)
    consts = [c.strip() for c in args.constants.split(",")] if args.constants else None
    found = identify(args.value, constants=consts, digits=args.digits, plugins=pl,
                     products=not args.no_products, method=args.method)
    if args.json:
        print(json.dumps(found.to_dict() if found else None, indent=1))
    elif found is None:
        print("no relation found")
    else:
        print(f"{found.expression}    ({found.method} by {found.algorithm}, relation "
              f"{found.relation} over {found.basis}, holds to {found.digits:.0f} digits, "
              f"{found.evidence_digits:.0f} beyond chance; {found.tried} bases tried)")
    return 0 if found else 1


# ---------------------------------------------------------------------------------------------
# plugins / constants
# ---------------------------------------------------------------------------------------------
def cmd_plugins(args) -> int:
    pl = _plugins(args)
    rows = []
    for info in pl.info:
        row = {"name": info.name, "origin": info.origin, "distribution": info.distribution,
               "version": info.version, "module": info.module, "hooks": info.hooks,
               "kinds": info.kinds, "error": info.error}
        if args.verbose:
            row["schemas"] = {k: dict(pl.generators[k].schema()) for k in info.kinds}
            row["modes"] = {k: pl.generators[k].mode for k in info.kinds}
            row["measures"] = {k: {m.name: m.help for m in pl.generators[k].measures}
                               for k in info.kinds}
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    from rich.table import Table

    table = Table(title="discover plugins")
    for col in ("plugin", "origin", "version", "hooks", "kinds", "status"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["name"], f"{r['origin']} ({r['distribution']})", r["version"],
                      ", ".join(r["hooks"]), ", ".join(r["kinds"]), r["error"] or "ok")
    from rich.markup import escape

    con = _console()
    con.print(table)
    if args.verbose:
        for r in rows:
            for kind, schema in r.get("schemas", {}).items():
                con.print(f"[bold]{escape(kind)}[/bold] (mode {r['modes'][kind]}) search-file "
                          f"fields ({escape('[generator]')} table):")
                for k, v in schema.items():
                    con.print(f"  {escape(k)}: {escape(v)}")
                measures = r["measures"].get(kind) or {}
                if measures:
                    con.print("  measures recorded per discovery: " + ", ".join(
                        escape(m) for m in measures))
        if args.verbose:
            from .search import MATCH_FIELDS, SEARCH_FIELDS, VERIFY_FIELDS

            for table_name, fields in (("search", SEARCH_FIELDS), ("match", MATCH_FIELDS),
                                       ("verify", VERIFY_FIELDS)):
                con.print(f"[bold]{escape('[' + table_name + ']')}[/bold] (every kind):")
                for f in fields:
                    con.print(f"  {escape(f.name)}: {escape(f.describe())}")
    return 0


def cmd_constants(args) -> int:
    pl = _plugins(args)
    rows = [{"name": c.name, "aliases": list(c.aliases), "expression": c.expression,
             "value": str(c.value(30))[:32], "description": c.description, "origin": c.origin,
             "source": c.source}
            for c in pl.constants]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    for r in rows:
        print(f"{r['name']:<14} {r['value']:<34} {r['description']}")
        if r["source"]:
            print(f"{'':<14} source: {r['source']}")
    print(f"{len(rows)} constants")
    return 0


def cmd_new_plugin(args) -> int:
    from .template import create_plugin

    root = create_plugin(args.name, args.dir)
    print(f"created plugin {args.name!r} in {root}; next: cd {root} && pip install -e . && "
          f"python -m pytest -q")
    return 0


# ---------------------------------------------------------------------------------------------
def _all_fields(pl) -> dict[str, str]:
    fields: dict[str, str] = {}
    for gen in pl.generators.values():
        for name, help_ in gen.fields.items():
            fields.setdefault(name, f"{help_} ({gen.kind})")
    return fields


def build_parser(pl=None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="discover", description="Discover and verify mathematical "
                                "formulas by search.")
    p.add_argument("--version", action="version", version=f"discover {__version__}")
    p.add_argument("--no-plugins", action="store_true",
                   help="load only the built-in plugins (also DISCOVER_DISABLE_PLUGIN_AUTOLOAD=1)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def store_arg(sp):
        sp.add_argument("--store", type=Path, default=None,
                        help="SQLite store (default: $DISCOVER_STORE or the user data dir)")

    r = sub.add_parser("run", help="run or resume a search file")
    r.add_argument("search", help="path of a TOML search file, e.g. searches/pi.toml")
    store_arg(r)
    r.add_argument("--workers", type=int, default=None, help="worker processes")
    r.add_argument("--new-run", "--force-new-run", dest="new_run", action="store_true",
                   help="start a new run instead of resuming (also after the search file "
                   "changed)")
    r.add_argument("--max-shards", type=int, default=None, help="stop after N shards "
                   "(resume later)")
    r.add_argument("--resume", action="store_true", help="resume the latest run of this search "
                   "(the default; the flag only documents intent)")
    r.add_argument("--retry-failed", action="store_true", help="run again the shards that "
                   "failed (see `discover show --failed`)")
    r.add_argument("--max-rounds", type=int, default=None, help="stop an adaptive search "
                   "after N rounds (resume later)")
    r.add_argument("--yes", action="store_true", help="run a search larger than the limit "
                   "search_candidates (it is refused otherwise, with its size and estimated "
                   "time)")
    r.add_argument("--set", action="append", metavar="TABLE.FIELD=VALUE",
                   help="override a field of the search file (repeatable; enters the search "
                   "hash), e.g. --set generator.seconds=30")
    r.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="run the shards or rounds on a Dask cluster")
    r.add_argument("--json", action="store_true", help="print the summary as JSON")
    r.add_argument("--quiet", action="store_true", help="no progress output")
    r.set_defaults(func=cmd_run)

    s = sub.add_parser("show", help="list stored discoveries")
    store_arg(s)
    s.add_argument("--run", type=int, default=None)
    s.add_argument("--kind", default=None)
    s.add_argument("--constant", default=None)
    s.add_argument("--id", type=int, default=None, help="show one discovery in full")
    s.add_argument("--failed", action="store_true", help="list failed shards with tracebacks")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_show)

    v = sub.add_parser("verify", help="verify a formula against a claimed value")
    v.add_argument("--kind", default=None, help="candidate kind (inferred from the fields)")
    for name, help_ in _all_fields(pl).items() if pl is not None else ():
        v.add_argument(f"--{name}", dest=f"field_{name}", default=None, help=help_)
    v.add_argument("--value", required=True, help="claimed value, e.g. \"4/pi\"")
    v.add_argument("--digits", type=int, default=100)
    v.add_argument("--method", default="auto",
                   help="verification method: auto (picked from the measured convergence), or "
                        "one the candidate kind offers (pcf: exact, extrapolated)")
    v.add_argument("--json", action="store_true")
    v.set_defaults(func=cmd_verify)

    i = sub.add_parser("identify", help="find a closed form for a number (LLL or PSLQ)")
    i.add_argument("value", help="decimal digits or an expression such as \"exp(2)\"")
    i.add_argument("--constants", default=None, help="comma-separated constant names to try")
    i.add_argument("--digits", type=int, default=None)
    i.add_argument("--method", default="auto", choices=["auto", "lll", "pslq"],
                   help="integer-relation algorithm (auto: LLL from 3 basis elements on)")
    i.add_argument("--no-products", action="store_true",
                   help="skip Moebius transforms of products of two constants")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_identify)

    e = sub.add_parser("export", help="export provenance graphs")
    store_arg(e)
    e.add_argument("--format", default="json", help="json (node-link) or graphml")
    e.add_argument("--out", type=Path, default=Path("provenance"))
    e.add_argument("--id", type=int, default=None, help="one discovery only")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_export)

    rp = sub.add_parser("report", help="write a self-contained HTML report of a store")
    store_arg(rp)
    rp.add_argument("--run", type=int, default=None, help="one run only")
    rp.add_argument("--html", type=Path, required=True, metavar="OUT", help="output file")
    rp.set_defaults(func=cmd_report)

    pp = sub.add_parser("plugins", help="list loaded plugins and their hooks")
    pp.add_argument("--verbose", "-v", action="store_true")
    pp.add_argument("--json", action="store_true")
    pp.set_defaults(func=cmd_plugins)

    c = sub.add_parser("constants", help="list known constants")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_constants)

    u = sub.add_parser("upgrade", help="upgrade a store written by an older discover in place")
    store_arg(u)
    u.set_defaults(func=cmd_upgrade)

    n = sub.add_parser("new-plugin", help="create a working plugin package from the template")
    n.add_argument("name", help="plugin, kind and module name (an identifier), e.g. mykind")
    n.add_argument("--dir", default=None, help="folder to create (default ./discover-NAME)")
    n.set_defaults(func=cmd_new_plugin)
    if pl is not None:
        _plugin_commands(pl, sub)
    return p


def cmd_upgrade(args) -> int:
    """Open the store read-write: a store of an older schema is upgraded in place (or refused
    unmodified with the reason)."""
    import sqlite3

    from .store import SCHEMA_VERSION, Store, default_store_path

    path = args.store or default_store_path()
    before = None
    if Path(path).exists():
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            before = int(row[0]) if row else None
            db.close()
        except sqlite3.Error:
            before = None
    with Store(path):
        pass
    if before == SCHEMA_VERSION:
        print(f"{path}: already at schema {SCHEMA_VERSION}")
    else:
        print(f"{path}: schema {before} -> {SCHEMA_VERSION}")
    return 0


class _NoClash:
    """The subparsers a plugin sees: a verb already taken is refused on every Python (3.10's
    argparse would silently replace it; 3.11+ raises ArgumentError)."""

    def __init__(self, sub):
        self._sub = sub

    def add_parser(self, name, **kw):
        for verb in (name, *kw.get("aliases", ())):
            if verb in self._sub.choices:
                raise ValueError(f"conflicting subparser: {verb}")
        return self._sub.add_parser(name, **kw)

    def __getattr__(self, attr):
        return getattr(self._sub, attr)


def _plugin_commands(pl, sub) -> None:
    """Let each plugin add its verbs; a clash or an error is reported and that plugin skipped."""
    for name, _result, err in pl.call_each("discover_add_commands", subparsers=_NoClash(sub)):
        if err is not None:  # argparse raises ArgumentError on a name already taken
            print(f"warning: plugin {name!r}: discover_add_commands failed ({err}); rename the "
                  f"command or fix the plugin", file=sys.stderr)


_VALUE_LIKE = re.compile(r"-.*[\^*+/(),=<>]")


def _attach_negative_values(argv: list[str]) -> list[str]:
    """``--b -n^2+n`` and ``--b -2,3,0`` as ``--b=...``: argparse takes a value that starts with
    ``-`` and is not a plain number for an option and stops with "expected one argument". A
    token that starts with ``-`` and contains an operator or a comma is a value (plain negative
    numbers are left to argparse, which takes them, also for options of several values)."""
    out: list[str] = []
    it = iter(range(len(argv)))
    for i in it:
        tok = argv[i]
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if (tok.startswith("--") and "=" not in tok and len(tok) > 2 and nxt is not None
                and nxt.startswith("-") and not nxt.startswith("--") and _VALUE_LIKE.match(nxt)):
            out.append(f"{tok}={nxt}")
            next(it)
        else:
            out.append(tok)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    pl = None
    if "--version" not in argv[:1]:
        # plugins add verbs, and verify takes one option per candidate field of the generators
        from .pluginmanager import get_plugin_manager

        no = "--no-plugins" in argv or os.environ.get("DISCOVER_DISABLE_PLUGIN_AUTOLOAD")
        pl = get_plugin_manager(autoload=False if no else None)
    parser = build_parser(pl)
    args = parser.parse_args(_attach_negative_values(argv))
    if pl is not None:
        args._plugins = pl
    try:
        return int(args.func(args) or 0)
    except DiscoverError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
