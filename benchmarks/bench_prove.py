"""Benchmark: theorems of Peano arithmetic from the axioms alone, with no list of targets.

The prover is given only corpora/peano.axioms. It runs as the engine runs it (kind ``theorem``:
saturation rounds of ``batch`` conjectures, start/ask/work/tell of
:class:`discover_plugins.logic.theorems.TheoremGenerator` in this process, each new theorem's
proof graph re-verified by the independent checker, no store). After each round this script
checks which
of the textbook laws below are now derived (their two sides rewrite to one term with the proved
theorems; "stated" when the law itself, up to renaming, is one of the theorems) and prints the
time to each, then the facts derived per second. An implication (the cancellation laws) is
derived when its conclusion follows from its premise by rewriting, constructor injectivity and
modus ponens with the proved implications ("stated" when it is one of the theorems).

Then, for comparison: the sequential explorer (:func:`discover_plugins.logic.prover.explore`, one
conjecture at a time, no checker) to the same laws, and the whole search through the engine
(``discover prove peano``: store, checker, provenance) until nothing is left to try.
Run: python benchmarks/bench_prove.py [seconds]
"""

from __future__ import annotations

import sys
import time

import discover
from discover.api import load
from discover.hashtable import HashTable
from discover_plugins.logic import load_theory, prove, search_dict
from discover_plugins.logic.prover import explore
from discover_plugins.logic.theorems import TheoremGenerator
from discover_plugins.logic.syntax import (normal_equation, parse_statement, rename_canonical,
                                           show, skolem, subst, variables)

LAWS = ["0 + x = x", "S(x) + y = S(x + y)", "x + y = y + x", "(x + y) + z = x + (y + z)",
        "0 * x = 0", "x * S(0) = x", "S(0) * x = x", "x * (y + z) = x * y + x * z",
        "(x + y) * z = x * z + y * z", "x * y = y * x", "(x * y) * z = x * (y * z)",
        "x + z = y + z -> x = y", "z + x = z + y -> x = y"]


def main(seconds: float = 60.0) -> int:
    theory = load_theory("peano")
    laws = [parse_statement(s, theory.signature) for s in LAWS]
    found: dict = {}
    t0 = time.perf_counter()

    def implication_key(p, a, b):
        return min(tuple(map(show, rename_canonical((p1, p2, c1, c2))))
                   for p1, p2 in (p, p[::-1]) for c1, c2 in ((a, b), (b, a)))

    def derived(prover, p, a, b) -> bool:
        if p is None:
            return prover.join(skolem(a), skolem(b)) is not None
        fx = {v: ("@" + v,) for v in variables(p[0], variables(p[1], variables(a, variables(b))))}
        return prover.close_case((subst(p[0], fx), subst(p[1], fx)),
                                 (subst(a, fx), subst(b, fx)), []) is not None

    def check(prover) -> bool:
        keys = {normal_equation(t.lhs, t.rhs) for t in prover.theorems if t.premise is None}
        keys |= {implication_key(t.premise, t.lhs, t.rhs) for t in prover.theorems
                 if t.premise is not None}
        last = prover.theorems[-1].statement()
        for text, (p, a, b) in zip(LAWS, laws):
            if text not in found and derived(prover, p, a, b):
                key = normal_equation(a, b) if p is None else implication_key(p, a, b)
                how = "stated" if key in keys else "follows"
                found[text] = (time.perf_counter() - t0, how, last)
        return len(found) == len(LAWS)

    pl = discover.api.plugins()
    search = load(search_dict("peano", seconds=seconds), plugins=pl)
    gen, params = TheoremGenerator(), search.params
    ctx = search.context(pl.constants)
    ctx.hashes = HashTable(None)
    state = gen.start(params, ctx)
    rounds = checked = rejected = 0
    prover = None
    while True:
        tasks = gen.ask(params, state, rounds, ctx)
        if not tasks:
            break
        told = gen.tell(params, state, rounds, [gen.work(params, t, ctx) for t in tasks], ctx)
        for hit in told.hits:
            ok = gen.verify(hit.candidate, None, 0).equal
            checked += ok
            rejected += not ok
        state, rounds = told.state, rounds + 1
        prover = ctx.cache["logic.prover"][params["theory"]]
        if (prover.theorems and check(prover)) or told.finished:
            break
    total = time.perf_counter() - t0
    print(f"{'seconds':>8}  {'how':8} law   (theorem that completed it)")
    for text in LAWS:
        if text in found:
            s, how, by = found[text]
            print(f"{s:8.2f}  {how:8} {text}   ({by})")
        else:
            print(f"{'-':>8}  {'MISSING':8} {text}")
    stats = state["stats"]
    theorems = prover.theorems if prover is not None else []
    facts = sum(th.proof.steps() for th in theorems) + len(theorems)
    print(f"all {len(found)}/{len(LAWS)} laws in {total:.2f} s ({rounds} rounds of "
          f"{params['batch']}); {len(theorems)} theorems ({checked} accepted by the checker, "
          f"{rejected} rejected), {facts} facts (theorems + rewrite steps) = "
          f"{facts / total:.0f} facts/s; {stats['conjectures']} conjectures from "
          f"{stats['terms']} terms in {stats['classes']} classes; {stats['attempts']} "
          f"induction attempts")
    ok = len(found) == len(LAWS)

    # the sequential explorer (reference) to the same laws
    found.clear()
    t0 = time.perf_counter()
    seq, sstats = explore(theory, seconds=seconds, start=t0, stop_when=check)
    print(f"sequential explorer: {len(found)}/{len(LAWS)} laws in "
          f"{time.perf_counter() - t0:.2f} s; {len(seq.theorems)} theorems, "
          f"{sstats['attempts']} induction attempts")

    # the whole search through the engine, until nothing is left to try
    t1 = time.perf_counter()
    full = prove(theory, seconds=seconds, out=None)
    print(f"engine (discover prove peano, temporary store): {len(full['theorems'])} checked "
          f"theorems in {full['stats']['rounds']} rounds, {time.perf_counter() - t1:.2f} s "
          f"wall ({full['stats']['seconds']:.2f} s proving time)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0))
