"""The catalogue of conservative matrix fields: the hypergeometric family and the corpus fields.

Hypergeometric fields
---------------------
For ``F = pFq(a_1..a_p; b_1..b_q; z)`` and ``theta = z d/dz`` the contiguous relations

    F(a_i + 1) = (theta + a_i) F / a_i,        F(b_j - 1) = (theta + b_j - 1) F / (b_j - 1)

and the differential equation ``theta prod_j (theta + b_j - 1) F = z prod_i (theta + a_i) F``
give every shift of a parameter as a linear map on the vector
``v = (F, theta F, ..., theta^(r-1) F)`` evaluated at a fixed rational ``z``; ``r`` is the degree
in ``theta`` of the equation at that ``z`` (``max(p, q + 1)``, one less when ``p = q + 1`` and
``z = 1``, where the leading terms cancel; there the relation is the one the convergent series
satisfy at ``z = 1``, continued analytically in the parameters). With
``v(x + e_i) = A_i(x) v(x)`` the matrices ``M_i = A_i^T`` form a field: shifts commute, so
``M_i(x) M_j(x + e_i) = M_j(x) M_i(x + e_j)``. Each field is still checked symbolically when it
is built (:class:`~discover_plugins.cf.cmf.CMF`), so a mistake here would be refused, not
used. Parameters may carry a rational offset (``a_1 = x0 + 1/2``) so that integer lattice points
reach the half-integer parameters of the pi and zeta(2) series.

The fields (``discover cmf list``):

========== ==== ==== ===================================================================
name       rank dim  what its walks reach
========== ==== ==== ===================================================================
e          2    2    corpus (Ramanujan Machine CMF paper): Moebius transforms of e
pi         2    2    corpus (same paper): pi
zeta3      2    2    corpus (Apery's field): zeta(3); the diagonal is Apery's PCF
pfq_1f1    2    2    1F1(a; b; 1): e (Kummer's function at 1)
pfq_0f1    2    1    0F1(; b; 1): ratios of Bessel values I_{b-1}(2)
pfq_2f1_m1 2    3    2F1(a + 1/2, b; c + 1/2; -1): pi (2F1(1/2, 1; 3/2; -1) = pi/4), log 2
pfq_2f1_h  2    3    2F1(a, b; c + 1/2; 1/2): pi (2F1(1, 1; 3/2; 1/2) = pi/2)
pfq_3f2_1  2    5    3F2(a1, a2, a3; b1, b2; 1): zeta(2) (3F2(1, 1, 1; 2, 2; 1) = zeta(2))
pfq_3f2_m1 3    5    3F2(...; -1): zeta(2), log 2 (3F2(1, 1, 1; 2, 2; -1) = zeta(2)/2)
pfq_4f3_1  3    7    4F3(...; 1): zeta(3) (4F3(1, 1, 1, 1; 2, 2, 2; 1) = zeta(3))
========== ==== ==== ===================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Sequence

import sympy

from discover.errors import DiscoverError

from .cmf import CMF

__all__ = ["Entry", "CATALOGUE", "catalogue", "catalogue_field", "pfq_field", "pfq_matrices"]

_THETA = sympy.Symbol("theta")


def pfq_matrices(p: int, q: int, z, a_offsets: Sequence = (), b_offsets: Sequence = ()):
    """``(axes, {axis: M})`` of the pFq field at ``z`` (a rational), axes ``x0..x{p-1}`` for
    the upper parameters ``a_i = x_i + a_offsets[i]`` and ``y0..y{q-1}`` for the lower ones."""
    z = sympy.Rational(Fraction(z).numerator, Fraction(z).denominator)
    a_off = [sympy.Rational(Fraction(o).numerator, Fraction(o).denominator) for o in a_offsets] \
        or [sympy.Integer(0)] * p
    b_off = [sympy.Rational(Fraction(o).numerator, Fraction(o).denominator) for o in b_offsets] \
        or [sympy.Integer(0)] * q
    if len(a_off) != p or len(b_off) != q:
        raise DiscoverError(f"pFq({p}, {q}): give {p} upper and {q} lower offsets")
    xs = sympy.symbols(f"x0:{p}") if p else ()
    ys = sympy.symbols(f"y0:{q}") if q else ()
    a = [x + o for x, o in zip(xs, a_off)]
    b = [y + o for y, o in zip(ys, b_off)]
    th = _THETA
    dom = sympy.QQ.frac_field(*xs, *ys) if (xs or ys) else sympy.QQ

    def operator(aa, bb):
        L = th * sympy.prod([th + bj - 1 for bj in bb]) - z * sympy.prod([th + ai for ai in aa])
        return sympy.Poly(sympy.expand(L), th, domain=dom)

    L0 = operator(a, b)
    r = L0.degree()
    if r < 1:
        raise DiscoverError(f"pFq({p}, {q}) at z = {z} has no differential equation")

    def regular(g, L):
        """The matrix of multiplication by ``g`` on Q(params)[theta]/(L) in the basis
        1, theta, .., theta^(r-1), row k = theta^k g: with ``g`` of degree 1 this is the action
        of the contiguous operator on ``v``; products and inverses of such matrices are those
        of the (commutative) quotient algebra, so an inverse is the regular matrix of the
        inverse of ``g`` modulo ``L``."""
        rows = []
        for k in range(r):
            rem = (sympy.Poly(th ** k, th, domain=dom) * g).rem(L)
            rows.append([dom.to_sympy(rem.coeff_monomial(th ** i)) for i in range(r)])
        return sympy.Matrix(rows)

    mats = {}
    for i, x in enumerate(xs):
        # v(x + e_i) = A v(x): theta^k (theta + a_i) / a_i
        g = sympy.Poly((th + a[i]) / a[i], th, domain=dom)
        mats[str(x)] = regular(g, L0).T.applyfunc(sympy.cancel)
    for j, y in enumerate(ys):
        # v(y) = D v(y + e_j) with D = (theta + b_j) / b_j modulo the equation at y + e_j,
        # so A = D^-1 = b_j (theta + b_j)^-1: with L1 = (theta + b_j) Q + L1(-b_j),
        # (theta + b_j)^-1 = -Q / L1(-b_j)
        b1 = [bb.subs({y: y + 1}) for bb in b]
        L1 = operator(a, b1)
        lin = sympy.Poly(th + b[j], th, domain=dom)
        Q, R = L1.div(lin)
        c = R.coeff_monomial(1)
        if c == 0:
            raise DiscoverError(f"pFq({p}, {q}): theta + {b[j]} divides the equation")
        g = Q * sympy.Poly(-b[j], th, domain=dom) * sympy.Poly(1 / dom.to_sympy(c), th,
                                                              domain=dom)
        mats[str(y)] = regular(g, L1).T.applyfunc(sympy.cancel)
    return tuple(str(s) for s in (*xs, *ys)), mats


@dataclass(frozen=True)
class Entry:
    """A catalogue field: how to build it, where it comes from, what its walks reach."""

    name: str
    source: str
    constants: tuple
    description: str
    p: int = -1                 # -1: a corpus field (corpora/cmfs.toml)
    q: int = -1
    z: str = "1"
    a_offsets: tuple = ()
    b_offsets: tuple = ()

    def parameters(self) -> dict:
        if self.p < 0:
            return {}
        return {"family": f"{self.p}F{self.q}", "p": self.p, "q": self.q, "z": self.z,
                "a_offsets": list(self.a_offsets), "b_offsets": list(self.b_offsets)}


_CORPUS_SOURCE = ("corpora/cmfs.toml; O. David, R. Elimelech, ..., I. Kaminer, 'Algorithm-assisted "
                  "discovery of an intrinsic order among mathematical constants' (PNAS 2024)")

CATALOGUE: tuple[Entry, ...] = (
    Entry("e", _CORPUS_SOURCE, ("e",), "field whose walks reach Moebius transforms of e"),
    Entry("pi", _CORPUS_SOURCE, ("pi",), "field whose walks reach Moebius transforms of pi"),
    Entry("zeta3", _CORPUS_SOURCE + "; R. Apery (1979)", ("zeta3",),
          "Apery's field: the diagonal walk is Apery's continued fraction for 6/zeta(3)"),
    Entry("pfq_1f1", "DLMF 13.3.1-13.3.7 (contiguous relations of Kummer's function M(a, b, z))"
          " at z = 1", ("e",), "1F1(x0; y0; 1)", 1, 1, "1"),
    Entry("pfq_0f1", "DLMF 16.3 (contiguous relations of 0F1, Bessel functions, DLMF 10.39.9) "
          "at z = 1", ("bessel_ratio",), "0F1(; y0; 1): ratios of modified Bessel values", 0, 1,
          "1"),
    Entry("pfq_2f1_m1", "DLMF 15.5.11-15.5.18 (Gauss' contiguous relations) at z = -1; "
          "2F1(1/2, 1; 3/2; -1) = pi/4 (DLMF 4.24.3)", ("pi", "ln2"),
          "2F1(x0 + 1/2, x1; y0 + 1/2; -1)", 2, 1, "-1", ("1/2", "0"), ("1/2",)),
    Entry("pfq_2f1_h", "DLMF 15.5.11-15.5.18 at z = 1/2; 2F1(1, 1; 3/2; 1/2) = pi/2 "
          "(DLMF 15.4.4 with arcsin)", ("pi", "ln2"), "2F1(x0, x1; y0 + 1/2; 1/2)", 2, 1, "1/2",
          ("0", "0"), ("1/2",)),
    Entry("pfq_3f2_1", "contiguous relations of 3F2 at unit argument (DLMF 16.4; W. N. Bailey, "
          "Generalized Hypergeometric Series, ch. 3); 3F2(1, 1, 1; 2, 2; 1) = zeta(2)",
          ("zeta2",), "3F2(x0, x1, x2; y0, y1; 1), rank 2 (Saalschutz-type)", 3, 2, "1"),
    Entry("pfq_3f2_m1", "DLMF 16.3 / 16.8.3 (differential equation of pFq) at z = -1; "
          "3F2(1, 1, 1; 2, 2; -1) = zeta(2)/2", ("zeta2", "ln2"), "3F2(x0, x1, x2; y0, y1; -1)",
          3, 2, "-1"),
    Entry("pfq_4f3_1", "DLMF 16.8.3 at unit argument (order drops by one); "
          "4F3(1, 1, 1, 1; 2, 2, 2; 1) = zeta(3)", ("zeta3",),
          "4F3(x0, x1, x2, x3; y0, y1, y2; 1), rank 3", 4, 3, "1"),
)


def catalogue() -> dict[str, Entry]:
    """Catalogue entries by name (nothing built yet)."""
    return {e.name: e for e in CATALOGUE}


@lru_cache(maxsize=None)
def pfq_field(p: int, q: int, z: str = "1", a_offsets: tuple = (), b_offsets: tuple = (), *,
              name: str = "", constants: tuple = (), description: str = "") -> CMF:
    """The pFq field as a :class:`CMF` (checked for conservation when built)."""
    axes, mats = pfq_matrices(p, q, Fraction(z), a_offsets, b_offsets)
    return CMF({ax: mats[ax] for ax in axes}, name=name or f"pfq_{p}f{q}",
               constants=constants, description=description)


def catalogue_field(name: str) -> CMF:
    """Build (and check) one catalogue field by name."""
    entries = catalogue()
    if name not in entries:
        raise DiscoverError(f"no conservative matrix field {name!r} in the catalogue; known: "
                            f"{', '.join(entries)}")
    e = entries[name]
    if e.p < 0:
        from .cmf import known_cmfs
        return known_cmfs()[name]
    return pfq_field(e.p, e.q, e.z, tuple(e.a_offsets), tuple(e.b_offsets), name=e.name,
                     constants=e.constants, description=e.description)
