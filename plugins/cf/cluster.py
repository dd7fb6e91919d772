"""Clusters of stored PCF discoveries and the parametric families inside them.

:func:`cluster` reads the PCF discoveries of a store (kinds ``pcf`` and ``cmf``) and works in
three steps.

1. **Metrics.** For every discovery: the degree pair ``(deg a, deg b)``, the convergence type,
   the convergence rate (digits per term) and the irrationality measure ``delta``. By default
   the rate and ``delta`` are recomputed with :func:`discover_plugins.cf.dynamics.dynamics` at
   one depth for all members, against the stored closed form (``metrics="stored"`` takes the
   stored values and computes only missing ones; :func:`load_members` says why). The type is
   ``"factorial"`` when ``2 deg a > deg b`` (the partial denominators outgrow the numerators:
   super-exponential convergence), ``"algebraic"`` for members verified by extrapolation
   (method ``extrapolated``: error ~ ``n^-alpha``) and otherwise the kind of the stored error
   fit (``"geometric"`` or ``"algebraic"``).

2. **Clusters.** Two discoveries are *linked* when they have the same degree pair and the same
   convergence type, their rates differ by at most ``rate_tol`` relatively
   (``|log(r1/r2)| <= rate_tol``) and their ``delta`` values by at most ``delta_tol``
   (absolutely). Clusters are the connected components of this relation (single linkage), so a
   family whose ``delta`` drifts slowly along its parameter stays in one cluster.

3. **Families.** Inside a cluster every member is a vector ``c = a ++ b`` of integers (the
   degree pair is shared, so the vectors have one length). A *linear family* is a maximal set
   of at least 3 members on one lattice line: ``c = c0 + k d`` with integer ``k``; ``d`` is the
   primitive direction scaled by the gcd of the members' offsets, so the known members have
   consecutive ``k`` when they are evenly spaced. ``k = 0`` is put where the first coordinate
   with the smallest step is ``0`` (or its smallest non-negative residue), which gives
   ``a(n) = n + k`` rather than ``a(n) = n + k + 2``. A *quadratic family* (at least 4
   members, some coefficient of degree 2 in ``k``) is searched with one coordinate as the
   parameter: the quadratic through each triple of members is fitted exactly and the members
   on it are collected (clusters of up to ``max_quadratic`` members). A quadratic family is
   kept only when its known ``k`` are consecutive, its coefficients are integers at every
   integer ``k`` and the plane spanned by its members holds no more other members of the
   cluster than the family has: in a cluster whose members fill a lattice plane, a parabola
   through four of them is a coincidence, not a pattern. Each cluster reports the dimension
   of the affine span of its members (``affine_dimension``; 2 for such a plane).

Each family then proposes ``new_members`` values of ``k`` above the known range and one below
it. A proposal is skipped (``"skipped"``) when it changes a degree or when ``b(n)`` vanishes at
some ``n >= 1`` (the fraction would terminate). Otherwise its limit is computed from exact
convergents at ``identify_digits`` digits, identified with PSLQ
(:func:`discover.identification.identify`) against the constants of the cluster's closed forms, and
the PCF is verified against the identified closed form to ``digits`` digits — twice the
identification precision by default, so the verification tests a prediction — on the one record
path (:mod:`discover.pipeline`, through :func:`discover_plugins.cf.verbs.verify_claim`: the pcf
tier 3, identification and verification of the canonical form, provenance). A proposal that
of an algebraic cluster converges too slowly for exact convergents: its limit is extrapolated
(:func:`discover_plugins.cf.slow.extrapolated_limit`, ``limit_method`` says which) and its
verification picks the extrapolated method the same way. A proposal that
cannot be identified, or whose verification falls short, is reported as failed with the digits
reached and no expression. With ``record=True`` (``discover cluster --record``) the verified new
members are recorded in the same store as a run of the verb; failed ones never are.

>>> from discover_plugins.cf.cluster import find_families
>>> fams = find_families([(1, 0, 1, 0), (1, 1, 1, 0), (1, 2, 1, 0), (2, 5, 3, 1)], split=2)
>>> [(f.pattern(), f.ks) for f in fams]
[(('n + k', 'n'), [0, 1, 2])]
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import mpmath
import sympy

from discover.errors import DiscoverError, VerificationError
from discover.generator import Field

__all__ = ["cluster", "find_families", "find_plane_family", "Family", "PlaneFamily",
           "verify_member", "load_members"]

_N, _K = sympy.Symbol("n"), sympy.Symbol("k")


# ---------------------------------------------------------------------------------------------
# loading and metrics
# ---------------------------------------------------------------------------------------------
_PCF_KINDS = ("pcf", "cmf", "esma")


def _convergence_type(a, b, record_kind: str | None) -> str:
    da, db = len(a) - 1, len(b) - 1
    if 2 * da > db:
        return "factorial"
    return record_kind or "geometric"


def load_members(store_path, run: int | None = None, metrics: str = "recompute",
                 dynamics_depth: int = 200) -> list[dict]:
    """The ``pcf`` discoveries of ``store_path`` (all runs, or run ``run``) with their metrics.

    Each member is a dict with ``id, a, b, expression, constant, digits, delta,
    convergence_rate, convergence, degrees`` and ``metrics_source``.

    ``metrics="recompute"`` (the default) computes ``delta`` and the rate of every member with
    :func:`~discover_plugins.cf.dynamics.dynamics` at one depth (``dynamics_depth``) against
    the stored closed form, evaluated at the precision the depth needs; members are then
    compared at the same depth, whatever depth their verification stopped at (the stored
    rate of a factorially converging PCF depends on that depth). ``metrics="stored"`` takes
    the stored values and computes only what a record lacks. Stores written before
    ``dynamics`` learnt ``limit_digits`` hold a ``delta`` measured against the value claimed
    during verification (about ``digits + 20`` digits), which caps it for fast-converging
    PCFs (``PCF(4n+2, 1)`` was stored with ``delta = -0.36``; recomputed it is ``1.006``, as
    expected for the simple continued fraction of ``(e+1)/(e-1)``).

    Raises :class:`~discover.errors.DiscoverError` for a missing store, an unknown run or a
    store without pcf discoveries.
    """
    from discover.store import Store

    if metrics not in ("recompute", "stored"):
        raise DiscoverError(f"metrics must be 'recompute' or 'stored', got {metrics!r}")
    path = Path(store_path)
    if not path.exists():
        raise DiscoverError(f"--store: {path} does not exist; run a pcf search first "
                            f"(discover run searches/e.toml --store {path})")
    with Store(path, readonly=True) as st:
        if run is not None:
            st.run(run)              # raises StoreError naming the runs that exist
        # PCFs found by enumeration (pcf), by walking matrix fields (cmf) and by ESMA alike
        records = [r for kind in _PCF_KINDS for r in st.discoveries(run_id=run, kind=kind)]
    if not records:
        where = f"run {run} of {path}" if run is not None else str(path)
        raise DiscoverError(f"--store: {where} holds no pcf discoveries; run a pcf search into "
                            f"it first (discover run searches/e.toml --store {path})"
                            + (" or drop --run" if run is not None else ""))
    members = []
    for rec in records:
        a = [int(x) for x in rec.params["a"]]
        b = [int(x) for x in rec.params["b"]]
        delta = rec.extra.get("delta") if metrics == "stored" else None
        rate = rec.convergence_rate if metrics == "stored" else None
        source = "stored"
        if delta is None or rate is None:
            source = "stored+computed" if metrics == "stored" else f"dynamics({dynamics_depth})"
            dyn = _dynamics(a, b, dynamics_depth, rec.expression)
            delta = dyn["delta"] if delta is None else delta
            rate = dyn["convergence_rate"] if rate is None else rate
        fit_kind = (rec.extra.get("error_fit") or {}).get("kind")
        if rec.method == "extrapolated":
            # verified by extrapolating exact convergents: algebraic convergence (error ~
            # n^-alpha), whatever a fit over a few exact depths said
            fit_kind = "algebraic"
        members.append({
            "id": rec.id, "a": a, "b": b, "expression": rec.expression,
            "constant": rec.constant, "digits": round(float(rec.digits), 2),
            "delta": None if delta is None else round(float(delta), 5),
            "convergence_rate": None if rate is None else round(float(rate), 4),
            "convergence": _convergence_type(a, b, fit_kind),
            "degrees": [len(a) - 1, len(b) - 1], "metrics_source": source})
    return members


def _dynamics(a, b, depth: int, limit) -> dict:
    """``delta`` and the rate at ``depth`` (None where they cannot be computed)."""
    from .dynamics import dynamics
    try:
        dyn = dynamics(a, b, depth=depth, limit=limit, points=6)
    except (ArithmeticError, ValueError, ZeroDivisionError, DiscoverError):
        return {"delta": None, "convergence_rate": None}
    d = dyn["delta"]
    return {"delta": d if d is not None and math.isfinite(d) else None,
            "convergence_rate": dyn["convergence_rate"]}


def _linked(m1: dict, m2: dict, rate_tol: float, delta_tol: float) -> bool:
    if m1["degrees"] != m2["degrees"] or m1["convergence"] != m2["convergence"]:
        return False
    r1, r2 = m1["convergence_rate"], m2["convergence_rate"]
    if r1 is not None and r2 is not None:
        if r1 <= 0 or r2 <= 0:
            if abs(r1 - r2) > rate_tol:
                return False
        elif abs(math.log(r1 / r2)) > rate_tol:
            return False
    d1, d2 = m1["delta"], m2["delta"]
    if d1 is not None and d2 is not None and abs(d1 - d2) > delta_tol:
        return False
    return True


def group_members(members: Sequence[dict], rate_tol: float = 0.25,
                  delta_tol: float = 0.1) -> list[list[dict]]:
    """Single-linkage clusters of ``members`` (see the module docstring for the link rule)."""
    parent = list(range(len(members)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in itertools.combinations(range(len(members)), 2):
        if _linked(members[i], members[j], rate_tol, delta_tol):
            parent[find(i)] = find(j)
    groups: dict[int, list[dict]] = {}
    for i, m in enumerate(members):
        groups.setdefault(find(i), []).append(m)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]["id"] or 0))


# ---------------------------------------------------------------------------------------------
# families
# ---------------------------------------------------------------------------------------------
@dataclass
class Family:
    """Members ``c(k) = sum_j coeffs[i][j] k**j`` (coordinate ``i``; ``a`` then ``b``).

    ``coeffs`` holds one list of :class:`fractions.Fraction` per coordinate (constant term
    first); ``split`` is the length of ``a``; ``members`` maps each known ``k`` to the index of
    the member in the list given to :func:`find_families`.
    """

    coeffs: list[list[Fraction]]
    split: int
    members: dict[int, int]
    degree: int = 1
    extra: dict = field(default_factory=dict)

    @property
    def ks(self) -> list[int]:
        return sorted(self.members)

    def vector(self, k: int) -> list[Fraction]:
        return [sum((c * k ** j for j, c in enumerate(cs)), Fraction(0)) for cs in self.coeffs]

    def member(self, k: int) -> tuple[list[int], list[int]] | None:
        """``(a, b)`` at ``k``, or None when a coefficient is not an integer there."""
        v = self.vector(k)
        if any(x.denominator != 1 for x in v):
            return None
        v = [int(x) for x in v]
        return v[:self.split], v[self.split:]

    def _poly(self, coords) -> sympy.Expr:
        return [sum((sympy.Rational(c.numerator, c.denominator) * _K ** j
                     for j, c in enumerate(cs)), sympy.Integer(0)) for cs in coords]

    def pattern(self) -> tuple[str, str]:
        """``(a(n), b(n))`` as text in ``n`` and ``k``, e.g. ``("n + k", "n")``."""
        return (_poly_text(self._poly(self.coeffs[:self.split])),
                _poly_text(self._poly(self.coeffs[self.split:])))

    def coefficient_texts(self) -> tuple[list[str], list[str]]:
        """Coefficients of ``a`` and ``b`` (highest power of ``n`` first) as text in ``k``."""
        pa = [str(sympy.expand(c)) for c in self._poly(self.coeffs[:self.split])]
        pb = [str(sympy.expand(c)) for c in self._poly(self.coeffs[self.split:])]
        return pa, pb


def _poly_text(coeffs) -> str:
    """Text of ``sum coeffs[i] n**(deg - i)`` with coefficients that are polynomials in ``k``."""
    deg = len(coeffs) - 1
    terms = []
    for i, c in enumerate(coeffs):
        c = sympy.expand(c)
        if c == 0:
            continue
        p = deg - i
        mono = "" if p == 0 else ("n" if p == 1 else f"n**{p}")
        neg = False
        if c.is_Number:
            neg = c < 0
            mag = -c if neg else c
            body = str(mag) if (mag != 1 or not mono) else ""
        elif c.is_Add:
            body = str(c) if not mono else f"({c})"
        else:
            coeff, _ = c.as_coeff_Mul()
            neg = coeff < 0
            body = str(-c if neg else c)
        text = "*".join(x for x in (body, mono) if x)
        terms.append(("-" if neg else "+", text))
    if not terms:
        return "0"
    out = ("-" if terms[0][0] == "-" else "") + terms[0][1]
    for sign, text in terms[1:]:
        out += f" {sign} {text}"
    # an unbracketed constant term that starts with a minus: "3*n + -k**2/2 + 1" -> "3*n - ..."
    return out.replace(" + -", " - ")


def _primitive(d: Sequence[int]) -> tuple[int, ...]:
    g = 0
    for x in d:
        g = math.gcd(g, x)
    d = tuple(x // g for x in d)
    first = next(x for x in d if x)
    return tuple(-x for x in d) if first < 0 else d


def _linear_families(vectors: list[tuple[int, ...]], min_members: int) -> list[Family]:
    found: dict[frozenset, Family] = {}
    m = len(vectors[0]) if vectors else 0
    seen_lines: set = set()
    for i, j in itertools.combinations(range(len(vectors)), 2):
        d = _primitive([y - x for x, y in zip(vectors[i], vectors[j])])
        # a line is its direction plus the residue of a point modulo the direction
        piv = next(t for t in range(m) if d[t])
        t_i = Fraction(vectors[i][piv], d[piv])
        base = tuple(Fraction(x) - t_i * dx for x, dx in zip(vectors[i], d))
        if (d, base) in seen_lines:
            continue
        seen_lines.add((d, base))
        ts = {}
        for idx, v in enumerate(vectors):
            t = Fraction(v[piv] - vectors[i][piv], d[piv])
            if t.denominator != 1:
                continue
            t = int(t)
            if all(v[c] == vectors[i][c] + t * d[c] for c in range(m)):
                ts[t] = idx
        if len(ts) < min_members:
            continue
        tvals = sorted(ts)
        g = 0
        for t in tvals[1:]:
            g = math.gcd(g, t - tvals[0])
        step = [g * x for x in d]
        # k = 0 where the first coordinate with the smallest non-zero step is 0 (or smallest
        # non-negative residue): c = c0 + k*step
        s = min(range(m), key=lambda c: (abs(step[c]) if step[c] else math.inf, c))
        v0 = vectors[ts[tvals[0]]]
        # k0 = k of the first member: v0[s] = c0[s] + k0*step[s], c0[s] = v0[s] mod |step[s]|
        k0 = (v0[s] - v0[s] % abs(step[s])) // step[s]
        c0 = [v0[c] - k0 * step[c] for c in range(m)]
        members = {k0 + (t - tvals[0]) // g: idx for t, idx in ts.items()}
        key = frozenset(members.values())
        if key not in found:
            found[key] = Family([[Fraction(c0[c]), Fraction(step[c])] for c in range(m)], 0,
                                members, degree=1)
    return list(found.values())


def _quadratic_families(vectors: list[tuple[int, ...]], min_members: int) -> list[Family]:
    """Families with one coordinate affine in ``k`` and the others quadratic (see module)."""
    m = len(vectors[0]) if vectors else 0
    found: dict[frozenset, Family] = {}
    for s in range(m):
        for trip in itertools.combinations(range(len(vectors)), 3):
            ts = [vectors[i][s] for i in trip]
            if len(set(ts)) < 3:
                continue
            # exact Lagrange fit of every coordinate as a quadratic in t = coordinate s
            coef = []
            for c in range(m):
                ys = [vectors[i][c] for i in trip]
                coef.append(_quad_fit(ts, ys))
            if all(cs[2] == 0 for cs in coef):
                continue
            on = {}
            for idx, v in enumerate(vectors):
                t = v[s]
                if t in on:
                    continue
                if all(cs[0] + cs[1] * t + cs[2] * t * t == v[c] for c, cs in enumerate(coef)):
                    on[t] = idx
            if len(on) < min_members:
                continue
            key = frozenset(on.values())
            if key in found:
                continue
            tvals = sorted(on)
            g = 0
            for t in tvals[1:]:
                g = math.gcd(g, t - tvals[0])
            r = tvals[0] % g
            # t = g*k + r: substitute into each quadratic
            coeffs = [[cs[0] + cs[1] * r + cs[2] * r * r, cs[1] * g + 2 * cs[2] * g * r,
                       cs[2] * g * g] for cs in coef]
            members = {(t - r) // g: idx for t, idx in on.items()}
            fam = Family(coeffs, 0, members, degree=2)
            # a quadratic through 4 points of a dense lattice is easily a coincidence: keep it
            # only when the known k are consecutive and every integer k gives integers
            ks = fam.ks
            if ks[-1] - ks[0] != len(ks) - 1 or any(fam.member(k) is None for k in (0, 1, 2)):
                continue
            # ... and only when the plane the parabola spans holds no more other members than
            # the parabola itself (otherwise the members fill a 2-parameter family)
            on_idx = list(on.values())
            plane = [vectors[i] for i in on_idx]
            off = sum(1 for idx, v in enumerate(vectors)
                      if idx not in key and _affine_dimension(plane + [v]) == 2)
            if off > len(on_idx):
                continue
            found[key] = fam
    return list(found.values())


def _affine_dimension(vectors) -> int:
    """Dimension of the affine span of integer ``vectors`` (exact)."""
    if len(vectors) < 2:
        return 0
    v0 = vectors[0]
    return sympy.Matrix([[x - y for x, y in zip(v, v0)] for v in vectors[1:]]).rank()


def _quad_fit(ts, ys) -> list[Fraction]:
    (t0, t1, t2), (y0, y1, y2) = ts, ys
    out = [Fraction(0)] * 3
    for ti, yi, (tj, tk) in ((t0, y0, (t1, t2)), (t1, y1, (t0, t2)), (t2, y2, (t0, t1))):
        den = Fraction((ti - tj) * (ti - tk))
        w = yi / den
        out[0] += w * tj * tk
        out[1] -= w * (tj + tk)
        out[2] += w
    return out


def find_families(vectors: Sequence[Sequence[int]], split: int, min_linear: int = 3,
                  min_quadratic: int = 4, max_quadratic: int = 60) -> list[Family]:
    """Parametric families among integer ``vectors`` (``a ++ b``; ``a`` has ``split`` entries).

    Linear families with at least ``min_linear`` members, then quadratic ones with at least
    ``min_quadratic`` members when there are at most ``max_quadratic`` vectors. A quadratic
    family is dropped when its members already form a linear family. Sorted by size (largest
    first), then by first member.

    >>> fams = find_families([(2, 1, 1, 0, 0), (2, 3, 1, 2, 0), (2, 5, 1, 4, 0)], split=2)
    >>> fams[0].pattern(), fams[0].ks
    (('2*n + 2*k + 1', 'n**2 + 2*k*n'), [0, 1, 2])
    >>> quad = [(2, 2 * k + 1, 1, 2 * k, k * k) for k in range(4)]
    >>> [(f.degree, f.pattern()) for f in find_families(quad, split=2)]
    [(2, ('2*n + 2*k + 1', 'n**2 + 2*k*n + k**2'))]
    """
    vecs = [tuple(int(x) for x in v) for v in vectors]
    if len({len(v) for v in vecs}) > 1:
        raise ValueError("find_families: all vectors must have the same length")
    fams = _linear_families(vecs, min_linear)
    linear_sets = {frozenset(f.members.values()) for f in fams}
    if len(vecs) <= max_quadratic:
        for f in _quadratic_families(vecs, min_quadratic):
            if frozenset(f.members.values()) not in linear_sets:
                fams.append(f)
    for f in fams:
        f.split = split
    return sorted(fams, key=lambda f: (-len(f.members), f.degree, min(f.members.values())))


@dataclass
class PlaneFamily:
    """Members ``c(s, t) = origin + s u + t v`` of a lattice plane (``u``, ``v``: a basis of the
    lattice the members' differences generate); ``members`` maps ``(s, t)`` to member indices."""

    origin: tuple[int, ...]
    u: tuple[int, ...]
    v: tuple[int, ...]
    split: int
    members: dict[tuple[int, int], int]

    def member(self, s: int, t: int) -> tuple[list[int], list[int]]:
        c = [o + s * x + t * y for o, x, y in zip(self.origin, self.u, self.v)]
        return c[:self.split], c[self.split:]

    def pattern(self) -> tuple[str, str]:
        S, T = sympy.symbols("s t")
        coords = [sympy.Integer(o) + S * x + T * y
                  for o, x, y in zip(self.origin, self.u, self.v)]
        return _poly_text(coords[:self.split]), _poly_text(coords[self.split:])

    def proposals(self, count: int) -> list[tuple[int, int]]:
        """Up to ``count`` lattice points next to the known ones (the bounding box grown by
        one), nearest to the members' centre first."""
        ss = [p[0] for p in self.members]
        ts = [p[1] for p in self.members]
        cs, ct = sum(ss) / len(ss), sum(ts) / len(ts)
        box = [(s, t) for s in range(min(ss) - 1, max(ss) + 2)
               for t in range(min(ts) - 1, max(ts) + 2) if (s, t) not in self.members]
        box.sort(key=lambda p: ((p[0] - cs) ** 2 + (p[1] - ct) ** 2, p))
        return box[:count]


def _lattice_basis_2d(diffs: list[tuple[int, ...]]):
    """A basis ``(u, v)`` of the rank-2 lattice generated by integer vectors, or None."""
    from sympy.matrices.normalforms import hermite_normal_form

    M = sympy.Matrix(diffs).T                       # columns generate the lattice
    if M.rank() != 2:
        return None
    H = hermite_normal_form(M)
    cols = [tuple(int(x) for x in H[:, j]) for j in range(H.shape[1]) if any(H[:, j])]
    if len(cols) != 2:
        return None
    return cols[0], cols[1]


def find_plane_family(vectors: Sequence[Sequence[int]], split: int,
                      min_members: int = 5) -> PlaneFamily | None:
    """The two-parameter family of a cluster whose members span an affine plane (at least
    ``min_members`` of them, with at least three distinct values of each lattice coordinate:
    two parallel lines are not enough); the origin ``(0, 0)`` is the nearby lattice point with the
    smallest coefficients.

    >>> vs = [(3, s, -2, t, 0) for s, t in [(0, 1), (1, 1), (0, 3), (1, 3), (2, 5)]]
    >>> f = find_plane_family(vs, split=2)
    >>> f.pattern(), sorted(f.members)
    (('3*n + s', '-2*n**2 + (2*t + 1)*n'), [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2)])
    """
    vecs = [tuple(int(x) for x in v) for v in vectors]
    if len(vecs) < min_members or _affine_dimension(vecs) != 2:
        return None
    c0 = vecs[0]
    diffs = [tuple(x - y for x, y in zip(v, c0)) for v in vecs[1:]]
    basis = _lattice_basis_2d(diffs)
    if basis is None:
        return None
    u, v = basis
    B = sympy.Matrix([u, v]).T
    coords = {}
    for i, vec in enumerate(vecs):
        d = sympy.Matrix([x - y for x, y in zip(vec, c0)])
        sol = (B.T * B).LUsolve(B.T * d)
        if any(not x.is_integer for x in sol):
            return None                              # not on the lattice (cannot happen)
        coords[(int(sol[0]), int(sol[1]))] = i
    # two parallel lines (or a line plus a stray point) do not make a plane worth extending:
    # ask for three distinct values of each coordinate
    if len({p[0] for p in coords}) < 3 or len({p[1] for p in coords}) < 3:
        return None
    # the origin: the lattice point with the smallest coefficients near the members (so the
    # pattern reads 3*n + s rather than 3*n + s - 3)
    ss = [p[0] for p in coords]
    ts = [p[1] for p in coords]

    def cost(p):
        o = [c + p[0] * x + p[1] * y for c, x, y in zip(c0, u, v)]
        return (sum(abs(c) for c in o), abs(p[0]) + abs(p[1]), p)

    s0, t0 = min(((a, b) for a in range(min(ss) - 2, max(ss) + 3)
                  for b in range(min(ts) - 2, max(ts) + 3)), key=cost)
    origin = tuple(o + s0 * x + t0 * y for o, x, y in zip(c0, u, v))
    members = {(p[0] - s0, p[1] - t0): i for p, i in coords.items()}
    return PlaneFamily(origin, u, v, split, members)


# ---------------------------------------------------------------------------------------------
# new members
# ---------------------------------------------------------------------------------------------
def _vanishes_at_positive_integer(b: Sequence[int]) -> bool:
    """Whether ``b(n) = 0`` for some integer ``n >= 1`` (Cauchy's bound limits the search)."""
    b = list(b)
    while b and b[0] == 0:
        b.pop(0)
    if not b:
        return True
    if len(b) == 1:
        return False
    bound = 1 + max(abs(Fraction(c, b[0])) for c in b[1:])
    from .convergence import poly_values
    return 0 in poly_values(tuple(b), 1, int(bound) + 1)


def verify_member(a, b, claimed, digits: int = 100) -> dict:
    """Verify ``PCF(a, b) = claimed`` to ``digits`` digits; ``claimed`` is a whitelisted
    expression over corpus constants or an mpmath number.

    Returns ``{"verified", "digits", "depth", "convergence_rate", "reason"}``; ``verified`` is
    :attr:`Verdict.equal` (enough digits agree *and* the error estimate supports them).
    """
    from .pcf import PCF
    try:
        v = PCF(list(a), list(b)).verify(claimed, digits=int(digits))
    except (ArithmeticError, VerificationError) as err:
        # e.g. an overflow in the depth prediction for a barely converging fraction
        return {"verified": False, "digits": 0.0, "depth": None, "convergence_rate": None,
                "reason": f"verification failed: {type(err).__name__}: {err}"}
    return {"verified": bool(v.equal), "digits": round(float(v.digits or 0.0), 2),
            "depth": v.depth, "convergence_rate": None if v.convergence_rate is None
            else round(float(v.convergence_rate), 4), "reason": v.reason}


class _Checker:
    """The one record path for new members: the pcf generator, the verb's context per set of
    constants, and the verified findings (recorded with ``--record``)."""

    def __init__(self, digits: int, plugins=None, search: dict | None = None):
        from .verbs import _plugins

        self.pl = _plugins(plugins)
        self.gen = self.pl.generator("pcf")
        self.digits = digits
        self.search = dict(search or {})
        self.findings: list = []
        self._contexts: dict = {}

    def context(self, constants):
        from .verbs import verb_context

        key = tuple(constants)
        if key not in self._contexts:
            self._contexts[key] = verb_context(self.digits, key, self.pl)
        return self._contexts[key]

    def check(self, pcf, ident, constants, tiers):
        """``(verified, verdict)`` of ``pcf`` against the identified closed form."""
        from .verbs import claim_of, verify_claim

        target, expression = claim_of(ident)
        finding, verdict = verify_claim(self.gen, pcf, self.context(constants), target=target,
                                        expression=expression, tiers=tiers,
                                        search=self.search)
        if finding is not None:
            self.findings.append(finding)
        return finding is not None, verdict


def _try_member(a, b, constants: list[str], digits: int, identify_digits: int,
                with_delta: bool, dynamics_depth: int = 200, checker: _Checker | None = None
                ) -> dict:
    """Identify a proposed member's limit by PSLQ at ``identify_digits`` (the claim), then
    verify it to ``digits`` through the one record path (:mod:`discover.pipeline`)."""
    from discover import Tier
    from discover.identification import identify

    from .pcf import PCF
    out = {"a": list(a), "b": list(b), "expression": None, "digits": 0.0, "verified": False,
           "identified_by": None, "reason": None}
    pcf = PCF(list(a), list(b))
    out["text"] = str(pcf)
    try:
        value = pcf.limit(identify_digits + 10)
        out["limit_method"] = "exact"
    except VerificationError as err:
        # slowly converging members (the algebraic clusters): extrapolated exact convergents
        try:
            value = pcf.limit(identify_digits + 10, max_depth=2 ** 15, method="extrapolated")
            out["limit_method"] = "extrapolated"
        except VerificationError as err2:
            out["reason"] = f"limit not computable: {err}; extrapolated: {err2}"
            return out
    with mpmath.workdps(identify_digits + 10):
        ident = identify(+value, constants=constants or None, digits=identify_digits)
    if ident is None:
        out["reason"] = (f"no closed form over {', '.join(constants) or 'the corpus'} found by "
                         f"PSLQ at {identify_digits} digits")
        return out
    checker = checker or _Checker(digits)
    pslq = Tier("pslq", float(identify_digits), value=ident.expression,
                detail={"method": ident.method, "relation": [int(r) for r in ident.relation],
                        "basis": ident.basis})
    verified, verdict = checker.check(pcf, ident, constants, [pslq])
    out["digits"] = round(float(verdict.digits or 0.0), 2)
    out["convergence_rate"] = (None if verdict.convergence_rate is None
                               else round(float(verdict.convergence_rate), 4))
    if not verified:
        out["reason"] = (f"PSLQ relation at {identify_digits} digits held to only "
                         f"{out['digits']} of {digits} digits"
                         + (f" ({verdict.reason})" if verdict.reason else ""))
        return out
    out.update(expression=ident.expression, verified=True,
               identified_by=f"{ident.method} (PSLQ, {identify_digits} digits)")
    if with_delta:
        d = _dynamics(a, b, dynamics_depth, ident.expression)["delta"]
        out["delta"] = None if d is None else round(d, 5)
    return out


def _proposals(fam: Family, new_members: int, below: int) -> list[int]:
    lo, hi = min(fam.members), max(fam.members)
    ks = [hi + j for j in range(1, new_members + 1)]
    ks += [lo - j for j in range(1, below + 1)]
    return ks


def _extend(fam: Family, members, known_keys, digits, identify_digits, new_members, below,
            with_delta, dynamics_depth, checker=None) -> list[dict]:
    constants = sorted({m["constant"] for m in members if m.get("constant")})
    out = []
    for k in _proposals(fam, new_members, below):
        ab = fam.member(k)
        entry = {"k": k}
        if ab is None:
            out.append({**entry, "skipped": "non-integer coefficients", "verified": False})
            continue
        out.append({**entry, **_proposal(*ab, members[0]["degrees"], constants, known_keys,
                                         digits, identify_digits, with_delta,
                                         dynamics_depth, checker)})
    return out


def _proposal(a, b, degrees, constants, known_keys, digits, identify_digits, with_delta,
              dynamics_depth, checker=None) -> dict:
    """One proposed member: skipped when a degree changes or the fraction would terminate,
    otherwise identified and verified (:func:`_try_member`), with the stored discovery it is
    equivalent to, if any."""
    from .pcf import PCF
    da, db = degrees
    if a[0] == 0 or b[0] == 0 or len(a) - 1 != da or len(b) - 1 != db:
        return {"a": a, "b": b, "verified": False,
                "skipped": "a leading coefficient vanishes (degree changes)"}
    if _vanishes_at_positive_integer(b):
        return {"a": a, "b": b, "verified": False,
                "skipped": "b(n) = 0 at a positive integer (terminating fraction)"}
    res = _try_member(a, b, constants, digits, identify_digits, with_delta, dynamics_depth,
                      checker)
    try:
        res["equivalent_to"] = known_keys.get(PCF(a, b).key())
    except Exception:
        res["equivalent_to"] = None
    return res


def _extend_plane(plane: PlaneFamily, cid: int, group, known_keys, digits, identify_digits,
                  count, with_delta, dynamics_depth, families, checker=None) -> dict:
    """Try ``count`` new lattice points of a plane family; mark the cluster's linear families
    that are slices of it."""
    constants = sorted({m["constant"] for m in group if m.get("constant")})
    new = [{"s": s, "t": t, **_proposal(*plane.member(s, t), group[0]["degrees"], constants,
                                        known_keys, digits, identify_digits, with_delta,
                                        dynamics_depth, checker)}
           for s, t in plane.proposals(count)]
    member_ids = {group[i]["id"] for i in plane.members.values()}
    slices = [f["id"] for f in families if f["cluster"] == cid
              and {k["id"] for k in f["known"]} <= member_ids]
    for f in families:
        if f["id"] in slices:
            f["slice_of_plane"] = True
    tried = [x for x in new if "skipped" not in x]
    ok = sum(1 for x in tried if x["verified"])
    a_text, b_text = plane.pattern()
    return {"cluster": cid, "a": a_text, "b": b_text,
            "known": [{"s": p[0], "t": p[1], "id": group[i]["id"],
                       "expression": group[i]["expression"]}
                      for p, i in sorted(plane.members.items())],
            "linear_slices": slices, "new_members": new, "verified_new": ok,
            "tried_new": len(tried),
            "status": ("untested" if not tried else "confirmed" if ok == len(tried)
                       else "partial" if ok else "refuted")}


# ---------------------------------------------------------------------------------------------
# the whole pass
# ---------------------------------------------------------------------------------------------
#: The arguments of :func:`cluster`, declared once and checked by the core validator; errors
#: name the command-line option.
_ARGS = (
    Field("digits", "int", 100, "digits each new member is verified to", min=20, max=5000),
    Field("new", "int", 3, "values of k tried above each family's range", min=0, max=20),
    Field("below", "int", 1, "values of k tried below each family's range", min=0, max=5),
    Field("rate_tol", "float", 0.25, "relative tolerance on the convergence rate", min=0,
          max=10),
    Field("delta_tol", "float", 0.1, "absolute tolerance on delta", min=0, max=10),
    Field("run", "int", None, "only the discoveries of this run", min=1, max=2 ** 62),
    Field("identify_digits", "int", None, "precision of the PSLQ identification", min=20,
          max=5000),
    Field("dynamics_depth", "int", 200, "depth of delta and the rate", min=50, max=2000),
)
_OPTIONS = {"digits": "--digits", "new": "--new", "run": "--run", "rate_tol": "--rate-tol",
            "delta_tol": "--delta-tol"}


def _checked_args(**given) -> dict:
    from discover.errors import SearchFileError
    from discover.schema import validate_fields

    try:
        return validate_fields({k: v for k, v in given.items() if v is not None}, _ARGS,
                               prefix="cluster")
    except SearchFileError as err:
        name = err.field.split(".", 1)[1]
        raise DiscoverError(f"{_OPTIONS.get(name, name)}: {err.problem} ({err.fix})") from None


def cluster(store_path, run: int | None = None, digits: int = 100, new_members: int = 3,
            below: int = 1, rate_tol: float = 0.25, delta_tol: float = 0.1,
            identify_digits: int | None = None, min_linear: int = 3, min_quadratic: int = 4,
            max_quadratic: int = 60, with_delta: bool = True, metrics: str = "recompute",
            dynamics_depth: int = 200, record: bool = False, plugins=None) -> dict:
    """Cluster the pcf discoveries of a store and extend the parametric families found.

    Parameters
    ----------
    store_path : path
        The SQLite store.
    run : int, optional
        Only the discoveries found by this run (default: all).
    digits : int
        Digits to which each new member is verified (20..5000).
    new_members : int
        Values of ``k`` tried above the known range (0..20); ``below`` values below it (0..5).
    rate_tol, delta_tol : float
        Link tolerances: relative for the convergence rate (``|log(r1/r2)|``), absolute for
        ``delta``.
    identify_digits : int, optional
        Precision of the PSLQ identification of a new member's limit
        (default ``max(50, digits // 2)``, at most ``digits``).
    with_delta : bool
        Compute ``delta`` of verified new members too (at ``dynamics_depth``).
    metrics : str
        ``"recompute"`` (default) or ``"stored"``: see :func:`load_members`.
    dynamics_depth : int
        Depth at which ``delta`` and the rate are computed (50..2000).
    record : bool
        Record the verified new members in the same store, with provenance, as a run of the
        verb (``discover cluster --record``); the result then has ``recorded`` (``store, run,
        recorded, new``). Members that fail verification are never recorded.

    Returns
    -------
    dict
        JSON-serialisable: ``store, run, digits, seconds, members`` (count), ``clusters``
        (``id, degrees, convergence, rate, delta, constants, members``) and ``families``
        (``cluster, degree_in_k, a, b, a_coeffs, b_coeffs, known, new_members,
        verified_new, status``). ``status`` is ``"confirmed"`` when every tried new member
        was verified, ``"partial"`` when some were, ``"refuted"`` when none was and
        ``"untested"`` when none could be tried.
    """
    t0 = time.perf_counter()
    args = _checked_args(digits=digits, new=new_members, below=below, rate_tol=rate_tol,
                         delta_tol=delta_tol, run=run, identify_digits=identify_digits,
                         dynamics_depth=dynamics_depth)
    digits, new_members, below = args["digits"], args["new"], args["below"]
    rate_tol, delta_tol, run = args["rate_tol"], args["delta_tol"], args.get("run")
    identify_digits = args.get("identify_digits", min(digits, max(50, digits // 2)))
    dynamics_depth = args["dynamics_depth"]
    members = load_members(store_path, run, metrics, dynamics_depth)
    search = {"verb": "cluster", "name": "cluster", "store": str(store_path), "run": run,
              "digits": digits, "new": new_members, "below": below, "rate_tol": rate_tol,
              "delta_tol": delta_tol, "identify_digits": identify_digits}
    checker = _Checker(digits, plugins, search)
    known_keys = {}
    from .pcf import PCF
    for m in members:
        try:
            known_keys[PCF(m["a"], m["b"]).key()] = m["id"]
        except Exception:
            pass
    groups = group_members(members, rate_tol, delta_tol)
    clusters, families, planes = [], [], []
    for cid, group in enumerate(groups, 1):
        rates = [m["convergence_rate"] for m in group if m["convergence_rate"] is not None]
        deltas = [m["delta"] for m in group if m["delta"] is not None]
        clusters.append({
            "id": cid, "degrees": group[0]["degrees"], "convergence": group[0]["convergence"],
            "rate": [min(rates), max(rates)] if rates else None,
            "delta": [min(deltas), max(deltas)] if deltas else None,
            "constants": sorted({m["constant"] for m in group if m["constant"]}),
            "affine_dimension": _affine_dimension([tuple(m["a"]) + tuple(m["b"])
                                                   for m in group]),
            "members": [{k: m[k] for k in ("id", "a", "b", "expression", "delta",
                                           "convergence_rate", "metrics_source")}
                        for m in group]})
        split = len(group[0]["a"])
        vectors = [tuple(m["a"]) + tuple(m["b"]) for m in group]
        for fam in find_families(vectors, split, min_linear, min_quadratic, max_quadratic):
            a_text, b_text = fam.pattern()
            a_co, b_co = fam.coefficient_texts()
            known = [{"k": k, "id": group[i]["id"], "a": group[i]["a"], "b": group[i]["b"],
                      "expression": group[i]["expression"], "delta": group[i]["delta"]}
                     for k, i in sorted(fam.members.items())]
            new = _extend(fam, group, known_keys, digits, identify_digits, new_members,
                          below, with_delta, dynamics_depth, checker)
            tried = [x for x in new if "skipped" not in x]
            ok = sum(1 for x in tried if x["verified"])
            status = ("untested" if not tried else "confirmed" if ok == len(tried)
                      else "partial" if ok else "refuted")
            families.append({
                "id": len(families) + 1, "cluster": cid, "degree_in_k": fam.degree,
                "a": a_text, "b": b_text, "a_coeffs": a_co, "b_coeffs": b_co,
                "ks": fam.ks, "known": known, "new_members": new, "verified_new": ok,
                "tried_new": len(tried), "status": status})
        plane = find_plane_family(vectors, split)
        if plane is not None:
            planes.append(_extend_plane(plane, cid, group, known_keys, digits, identify_digits,
                                        max(new_members, 1) * 2, with_delta, dynamics_depth,
                                        families, checker))
    out = {"store": str(store_path), "run": run, "digits": digits, "metrics": metrics,
           "dynamics_depth": dynamics_depth,
           "identify_digits": identify_digits, "rate_tol": rate_tol, "delta_tol": delta_tol,
           "members": len(members), "clusters": clusters, "families": families,
           "planes": planes}
    if record:
        from .verbs import record as record_findings

        out["recorded"] = record_findings(store_path, name="cluster", gen=checker.gen,
                                          findings=checker.findings, search=search,
                                          plugins=checker.pl)
    out["seconds"] = round(time.perf_counter() - t0, 2)
    return out
