"""Benchmark: theorems of Peano arithmetic from the axioms alone, with no list of targets.

The explorer is given only corpora/peano.axioms. After each new theorem this script checks which
of the textbook laws below are now derived (their two sides rewrite to one term with the proved
theorems; "stated" when the law itself, up to renaming, is one of the theorems) and prints the
time to each, then the facts derived per second. An implication (the cancellation laws) is
derived when its conclusion follows from its premise by rewriting, constructor injectivity and
modus ponens with the proved implications ("stated" when it is one of the theorems). Run: python benchmarks/bench_prove.py [seconds]
"""

from __future__ import annotations

import sys
import time

from discover_plugins.logic import load_theory
from discover_plugins.logic.prover import explore
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

    prover, stats = explore(theory, seconds=seconds, start=t0, stop_when=check)
    total = time.perf_counter() - t0
    print(f"{'seconds':>8}  {'how':8} law   (theorem that completed it)")
    for text in LAWS:
        if text in found:
            s, how, by = found[text]
            print(f"{s:8.2f}  {how:8} {text}   ({by})")
        else:
            print(f"{'-':>8}  {'MISSING':8} {text}")
    facts = sum(th.proof.steps() for th in prover.theorems) + len(prover.theorems)
    print(f"all {len(found)}/{len(LAWS)} laws in {total:.2f} s; {len(prover.theorems)} theorems, "
          f"{facts} facts (theorems + rewrite steps) = {facts / total:.0f} facts/s; "
          f"{stats['conjectures']} conjectures from {stats['terms']} terms in "
          f"{stats['classes']} classes; {stats['attempts']} induction attempts")
    return 0 if len(found) == len(LAWS) else 1


if __name__ == "__main__":
    sys.exit(main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0))
