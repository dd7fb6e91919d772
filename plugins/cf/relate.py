"""Proven equivalence of PCFs through coboundaries: ``discover cmf relate``.

Two PCFs with step matrices ``M(n) = [[0, b(n)], [1, a(n)]]`` and ``M_T(n)`` are *equivalent*
when a 2x2 matrix ``U(n)`` of rational functions of ``n`` and a shift ``s`` satisfy

    M(n) U(n + 1) = U(n) M_T(n + s)          for all n >= n0,

so that ``M(n0) .. M(N) = U(n0) M_T(n0 + s) .. M_T(N + s) U(N + 1)^-1``: the convergents of
one are those of the other through ``U``, and the limits are related by a Moebius map.

:func:`relate` looks for such a relation between a given PCF and a trajectory of a catalogue
field (:mod:`discover_plugins.cf.catalogue`):

1. the limit of the PCF (40 digits) is compared with the limit of every enumerated trajectory
   (directions with small steps, a few start points): only trajectories whose limit is a Moebius
   transform of it with small coefficients (PSLQ on ``1, x, y, x y``) are kept;
2. for those, the trajectory's PCF (canonical and raw forms) is rescaled by ``lambda(n)``
   (``a -> lambda a``, ``b -> lambda(n) lambda(n-1) b``, ``lambda`` a constant or a factor of
   ``a``, chosen so that the degrees and leading coefficients of ``b`` can match) and, for each
   shift ``s`` in a window, ``U = N(n) / d(n)`` with ``N`` a polynomial matrix of degree <= 4
   is solved for by exact linear algebra (python-flint ``fmpq_mat``: the identity, evaluated at
   enough integer points, is linear in the coefficients of ``N``);
3. a solution is checked symbolically with sympy (``cancel`` of ``M(n) U(n+1) - U(n)
   M_T(n+s)``), independently of how it was found, before it is reported.

The rescaled trajectory PCF is what is reported as ``trajectory``: it is a PCF of the same walk
(the walk fixes ``a`` and ``b`` only up to such a factor) for which the relation holds exactly.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Iterable, Sequence

import flint
import mpmath
import sympy

from discover.errors import DiscoverError, VerificationError

from .pcf import PCF, OriginPCF

__all__ = ["solve_coboundary", "check_coboundary", "relate", "relate_pcfs", "relate_store",
           "record_relations", "RelatedPCF", "DEFAULT_STARTS"]

_n = sympy.Symbol("n")

#: start points tried per catalogue field (besides all ones)
DEFAULT_STARTS = {
    "pfq_2f1_m1": [(0, 1, 1)],
    "pfq_2f1_h": [(1, 1, 1)],
    "pfq_3f2_1": [(1, 1, 1, 2, 2)],
    "pfq_1f1": [(1, 1)],
}


def _pv(coeffs: Sequence[int], n):
    v = 0
    for c in coeffs:
        v = v * n + c
    return v


def _poly_mul(p, q):
    out = [0] * (len(p) + len(q) - 1)
    for i, x in enumerate(p):
        for j, y in enumerate(q):
            out[i + j] += x * y
    return out


def _scaled(a, b, lam):
    """``(lam a, lam(n) lam(n-1) b)`` for a polynomial ``lam`` (highest first)."""
    lam_prev = [int(c) for c in sympy.Poly(sympy.Poly(list(lam), _n).as_expr().subs(_n, _n - 1),
                                           _n).all_coeffs()]
    return _poly_mul(list(lam), list(a)), _poly_mul(_poly_mul(list(lam), lam_prev), list(b))


def _mat(a, b, n):
    return [[0, _pv(b, n)], [1, _pv(a, n)]]


def solve_coboundary(a, b, aT, bT, shift: int, degree: int = 2, den=(1,)):
    """``U(n) = N(n) / den(n)`` (``N`` polynomial of degree <= ``degree``) with
    ``M(n) U(n+1) = U(n) M_T(n + shift)``, as a sympy Matrix, or None. Exact linear algebra."""
    D = degree
    nunk = 4 * (D + 1)
    top = max(len(a), len(b), len(aT), len(bT)) + D + len(den) + 4
    rows = []
    for n in range(2, 2 + top + 2):
        M = _mat(a, b, n)
        MT = _mat(aT, bT, n + shift)
        dn, dn1 = _pv(den, n), _pv(den, n + 1)
        # unknown N_{ij} = sum_k u[4k + 2i + j] n^k ; equation (i, j):
        # dn * sum_l M[i][l] N_{lj}(n+1) - dn1 * sum_l N_{il}(n) MT[l][j] = 0
        for i in range(2):
            for j in range(2):
                row = [0] * nunk
                for k in range(D + 1):
                    for l in range(2):
                        row[4 * k + 2 * l + j] += dn * M[i][l] * (n + 1) ** k
                        row[4 * k + 2 * i + l] -= dn1 * MT[l][j] * n ** k
                rows.append(row)
    A = flint.fmpq_mat(len(rows), nunk, [x for r in rows for x in r])
    R, rank = A.rref()
    if rank == nunk:
        return None
    # nullspace from the reduced row echelon form
    pivots = []
    r = 0
    for c in range(nunk):
        if r < rank and R[r, c] != 0:
            pivots.append(c)
            r += 1
    free = [c for c in range(nunk) if c not in pivots]
    basis = []
    for f in free:
        v = [flint.fmpq(0)] * nunk
        v[f] = flint.fmpq(1)
        for i, pc in enumerate(pivots):
            v[pc] = -R[i, f]
        basis.append(v)
    dsym = sympy.Poly(list(den), _n).as_expr()
    candidates = list(basis)
    if len(basis) > 1:            # a generic combination is invertible when any is
        candidates.append([sum((bv[i] * (k + 2) for k, bv in enumerate(basis)), flint.fmpq(0))
                           for i in range(nunk)])
    for v in candidates:
        U = sympy.zeros(2, 2)
        for k in range(D + 1):
            for i in range(2):
                for j in range(2):
                    c = v[4 * k + 2 * i + j]
                    U[i, j] += sympy.Rational(int(c.p), int(c.q)) * _n ** k
        U = U / dsym
        if sympy.cancel(U.det()) != 0:
            return U.applyfunc(sympy.factor)
    return None


def check_coboundary(a, b, aT, bT, shift: int, U) -> bool:
    """Independent symbolic check of ``M(n) U(n+1) = U(n) M_T(n+shift)`` (sympy)."""
    A, B = sympy.Poly(list(a), _n).as_expr(), sympy.Poly(list(b), _n).as_expr()
    AT, BT = sympy.Poly(list(aT), _n).as_expr(), sympy.Poly(list(bT), _n).as_expr()
    U = sympy.Matrix(U)
    M = sympy.Matrix([[0, B], [1, A]])
    MT = sympy.Matrix([[0, BT], [1, AT]]).subs(_n, _n + shift)
    diff = (M * U.subs(_n, _n + 1) - U * MT).applyfunc(sympy.cancel)
    return diff == sympy.zeros(2, 2) and sympy.cancel(U.det()) != 0


def _n0(b, bT, shift, U) -> int:
    bad = [0]
    exprs = [sympy.Poly(list(b), _n).as_expr(),
             sympy.Poly(list(bT), _n).as_expr().subs(_n, _n + shift)]
    det = sympy.cancel(U.det())
    exprs += list(sympy.fraction(det))
    exprs += [sympy.fraction(sympy.cancel(e))[1] for e in U]
    for e in exprs:
        e = sympy.expand(e)
        if e.free_symbols:
            bad += [int(r) for r in sympy.roots(sympy.Poly(e, _n), filter="Z")]
    return max(bad) + 1


def _lambdas(a, b, bT) -> list[list[int]]:
    """Rescalings ``lambda`` (highest first) that can match ``b`` against ``b_T``: none when
    the degrees or the leading coefficients rule a rational coboundary out."""
    db, dT = len(b) - 1, len(bT) - 1
    if (db - dT) % 2 or db < dT:
        return []
    k = (db - dT) // 2
    # det: b(n) / b_S(n+s) = det U(n) / det U(n+1) -> 1, so b_S = lambda(n) lambda(n-1) b_T
    # must have the degree and the leading coefficient of b
    ratio = sympy.Rational(b[0], bT[0])
    if ratio <= 0:
        return []
    root = sympy.sqrt(ratio)
    if not root.is_rational:
        return []
    out = []
    if k == 0:
        cands = [[1]]
    else:
        fac = sympy.factor_list(sympy.Poly(list(a), _n).as_expr())[1]
        cands = []
        for f, mult in fac:
            P = sympy.Poly(f, _n)
            if P.degree() == k:
                cands.append([int(c) for c in (P.monic() if P.LC() != 0 else P).all_coeffs()
                              ] if P.monic().all_coeffs() == P.all_coeffs() else
                             [int(c) for c in P.all_coeffs()])
        cands.append([1] + [0] * k)          # n^k
    for c in cands:
        for sign in (1, -1):
            lead = root * sign / sympy.Integer(c[0])
            if not lead.is_integer:
                continue
            out.append([int(lead * x) for x in c])
    return out


def relate_pcfs(a, b, aT, bT, shifts=range(-3, 4), degrees=(0, 1, 2, 3, 4)):
    """``(lambda-scaled trajectory (a, b), shift, U, n0)`` relating two PCFs, or None."""
    for lam in _lambdas(a, b, bT):
        aS, bS = _scaled(aT, bT, lam)
        dens = [(1,)]
        for f, _ in sympy.factor_list(sympy.Poly(list(b), _n).as_expr())[1]:
            if f.free_symbols:
                dens.append(tuple(int(c) for c in sympy.Poly(f, _n).all_coeffs()))
        for s in shifts:
            for den in dens:
                for D in degrees:
                    U = solve_coboundary(a, b, aS, bS, s, D, den)
                    if U is not None and check_coboundary(a, b, aS, bS, s, U):
                        return (aS, bS), s, U, _n0(b, bS, s, U)
    return None


def _moebius_related(x, y, digits=30) -> bool:
    """Whether ``y = (p + q x) / (r + s x)`` with small integers (neither value rational)."""
    with mpmath.workdps(digits):
        for v in (x, y):
            if mpmath.pslq([1, v], maxcoeff=10 ** 8, maxsteps=20000) is not None:
                return False
        rel = mpmath.pslq([1, x, y, x * y], maxcoeff=10 ** 6, maxsteps=20000)
    return rel is not None and any(rel[1:])


@lru_cache(maxsize=None)
def _trajectories(name: str, max_step: int) -> list:
    from .catalogue import catalogue_field
    from .cmf import directions_up_to

    field = catalogue_field(name)
    if field.size != 2:
        return []
    dim = len(field.axes)
    starts = [tuple([1] * dim)] + [tuple(s) for s in DEFAULT_STARTS.get(name, [])]
    step = max_step if dim <= 3 else 1
    out = []
    for s in dict.fromkeys(starts):
        for d in directions_up_to(dim, step):
            try:
                tr = field.pcf(d, s)
                if max(len(tr.pcf.a), len(tr.pcf.b)) > 8:
                    continue
                value = tr.pcf.limit(40, max_depth=4000)
            except (DiscoverError, VerificationError, ZeroDivisionError, ValueError):
                continue
            out.append((tr, value))
    return out


def relate(a, b, *, fields: Iterable[str] | None = None, max_step: int = 2) -> dict:
    """Find a catalogue trajectory equivalent to the PCF ``a, b`` (see the module docstring).
    Returns the JSON of ``discover cmf relate``; when nothing is found, ``tried`` says what."""
    from .catalogue import catalogue

    pcf = PCF(list(a), list(b))
    try:
        x = pcf.limit(40, max_depth=20000)
    except VerificationError as err:
        raise DiscoverError(f"--a {list(a)} --b {list(b)}: the PCF's limit could not be computed "
                            f"to 40 digits ({err}); relate needs a convergent PCF") from None
    names = list(fields) if fields else list(catalogue())
    unknown = [n for n in names if n not in catalogue()]
    if unknown:
        raise DiscoverError(f"--cmf {unknown[0]!r}: not in the catalogue; known: "
                            f"{', '.join(catalogue())}")
    tried = {"fields": [], "trajectories": 0, "limit_matches": 0, "solves": 0,
             "ruled_out_by_b": 0}
    for name in names:
        trs = _trajectories(name, max_step)
        if not trs:
            continue
        tried["fields"].append(name)
        tried["trajectories"] += len(trs)
        for tr, y in trs:
            if not _moebius_related(x, y):
                continue
            tried["limit_matches"] += 1
            for form in (tr.pcf, tr.raw):
                if not _lambdas(list(a), list(b), list(form.b)):
                    tried["ruled_out_by_b"] += 1
                    continue
                tried["solves"] += 1
                found = relate_pcfs(list(a), list(b), list(form.a), list(form.b))
                if found is None:
                    continue
                (aS, bS), s, U, n0 = found
                return {"related": True, "cmf": name, "direction": list(tr.direction),
                        "start": list(tr.start), "trajectory": {"a": aS, "b": bS},
                        "shift": s, "coboundary": [[str(U[i, j]) for j in range(2)]
                                                   for i in range(2)],
                        "n0": n0, "a": list(a), "b": list(b),
                        "check": "sympy: cancel(M(n) U(n+1) - U(n) M_T(n+shift)) == 0",
                        "limit": mpmath.nstr(x, 30)}
    return {"related": False, "a": list(a), "b": list(b), "limit": mpmath.nstr(x, 30),
            "tried": dict(tried, shifts=[-3, 3], coboundary_degree=4, max_step=max_step),
            "reason": (f"tried {tried['trajectories']} trajectories of {len(tried['fields'])} "
                       f"field(s) ({', '.join(tried['fields'])}); {tried['limit_matches']} had a "
                       "limit Moebius-related to the PCF's (PSLQ, coefficients <= 10^6); "
                       f"{tried['ruled_out_by_b']} trajectory form(s) were ruled out because no "
                       "rescaling lambda(n) lambda(n-1) b_T can have the degree and leading "
                       f"coefficient of b, and for the other {tried['solves']} no coboundary "
                       "U = N(n)/d(n) with deg N <= 4 and shift in [-3, 3] exists")}


def relate_store(formulas: Sequence[dict], *, fields=None, max_step: int = 2) -> dict:
    """Relate every PCF of ``formulas`` (dicts with ``a``, ``b``) to the catalogue, and every
    pair of them to each other (pairs whose limits are Moebius-related)."""
    results = []
    values = []
    for f in formulas:
        try:
            r = relate(f["a"], f["b"], fields=fields, max_step=max_step)
        except DiscoverError as err:      # e.g. too slowly convergent to compare limits
            r = {"related": False, "a": list(f["a"]), "b": list(f["b"]), "reason": str(err)}
        results.append(r)
        try:
            values.append(PCF(list(f["a"]), list(f["b"])).limit(40, max_depth=20000))
        except VerificationError:
            values.append(None)
    pairs = []
    for i in range(len(formulas)):
        for j in range(i + 1, len(formulas)):
            if values[i] is None or values[j] is None:
                continue
            if not _moebius_related(values[i], values[j]):
                continue
            found = relate_pcfs(formulas[i]["a"], formulas[i]["b"], formulas[j]["a"],
                                formulas[j]["b"])
            if found is not None:
                (aS, bS), s, U, n0 = found
                pairs.append({"i": i, "j": j, "scaled_b": {"a": aS, "b": bS}, "shift": s,
                              "coboundary": [[str(U[r, c]) for c in range(2)] for r in range(2)],
                              "n0": n0})
    return {"formulas": len(formulas), "related": sum(r["related"] for r in results),
            "pairs_proven": len(pairs), "results": results, "pairs": pairs}


class RelatedPCF(OriginPCF):
    """A PCF that carries its proven equivalence to a catalogue trajectory (``derivation``)."""

    __slots__ = ()
    origin_key = "derivation"


def record_relations(store, results: Sequence[dict], *, digits: int = 60, plugins=None) -> dict:
    """Verify each related formula of ``results`` against the closed form of its limit (PSLQ in
    the field's constants, then the one record path) and record them in ``store`` as a run of
    ``cmf relate``: each discovery's provenance then holds the coboundary derivation (field,
    direction, start, trajectory, shift, U(n), n0, and the symbolic check). Returns
    ``{"store", "run", "recorded", "new", "unidentified"}``."""
    from discover.identification import identify

    from .catalogue import catalogue
    from .verbs import _plugins, claim_of, record, verb_context, verify_claim

    pl = _plugins(plugins)
    gen = pl.generator("cmf")
    findings, unidentified = [], 0
    for r in results:
        if not r.get("related"):
            continue
        consts = [c for c in catalogue()[r["cmf"]].constants if c in pl.constants]
        pcf = PCF(list(r["a"]), list(r["b"]))
        try:
            value = pcf.limit(digits + 20, max_depth=20000)
        except VerificationError:
            unidentified += 1
            continue
        found = identify(value, constants=consts or pl.constants.names(), digits=digits + 20,
                         registry=pl.constants, max_coeff=10 ** 8)
        if found is None:
            unidentified += 1
            continue
        target, expression = claim_of(found)
        derivation = {k: r[k] for k in ("cmf", "direction", "start", "trajectory", "shift",
                                        "coboundary", "n0", "check")}
        derivation["relation"] = "M(n) U(n+1) = U(n) M_T(n+shift) for n >= n0"
        ctx = verb_context(digits, [target.constant] if target is not None else consts, pl)
        finding, _ = verify_claim(gen, RelatedPCF(list(r["a"]), list(r["b"]), derivation), ctx,
                                  target=target, expression=expression,
                                  search={"verb": "cmf relate", "cmf": r["cmf"]})
        if finding is not None:
            findings.append(finding)
    out = record(store, name="cmf relate", gen=gen, findings=findings, plugins=pl,
                 search={"verb": "cmf relate", "digits": digits})
    out["unidentified"] = unidentified
    return out
