"""Double-double arithmetic for numba kernels: about 31 significant decimal digits in two floats.

A double-double number is an unevaluated sum ``hi + lo`` of two float64 with ``|lo| <= ulp(hi)/2``.
Every function here is a small ``numba.njit`` function over plain floats (no arrays, no Python
objects), so that kernels can inline them; each returns a tuple ``(hi, lo)``.

The error-free transformations are the classical ones (Knuth's ``two_sum``, Dekker's
``quick_two_sum``); ``two_prod`` uses a fused multiply-add emitted as the LLVM intrinsic
``llvm.fma.f64``, which is exactly rounded on every target (hardware FMA where the CPU has it, a
correctly rounded software routine otherwise). :func:`two_prod_dekker` is Dekker's split-based
product, kept as a cross-check. Kernels that use these functions must be compiled with
``fastmath=False``: reassociation would destroy the error terms.

Examples
--------
>>> from discover_plugins.cf.ddarith import dd_div, dd_to_float
>>> hi, lo = dd_div(1.0, 0.0, 3.0, 0.0)
>>> hi
0.3333333333333333
>>> abs(lo) > 0
True
"""

from __future__ import annotations

import numba
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

__all__ = [
    "fma", "two_sum", "quick_two_sum", "two_prod", "two_prod_dekker", "dd_add", "dd_add_d",
    "dd_mul", "dd_mul_d", "dd_div", "dd_scale", "dd_from_int", "dd_to_float", "dd_abs", "dd_neg",
    "dd_sub",
]

_jit = numba.njit(cache=True, fastmath=False, nogil=True, inline="always")


@intrinsic
def _llvm_fma(typingctx, a, b, c):
    """``a * b + c`` with a single rounding (LLVM ``llvm.fma.f64``)."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        dbl = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fma", [dbl],
                                              ir.FunctionType(dbl, [dbl, dbl, dbl]))
        return builder.call(fn, args)

    return sig, codegen


@_jit
def fma(a, b, c):
    """Fused multiply-add ``a*b + c`` rounded once.

    >>> fma(0.1, 10.0, -1.0)   # the exact residual of 0.1*10
    5.551115123125783e-17
    """
    return _llvm_fma(a, b, c)


@_jit
def two_sum(a, b):
    """``(s, e)`` with ``s = fl(a + b)`` and ``s + e == a + b`` exactly.

    >>> two_sum(1.0, 1e-17)
    (1.0, 1e-17)
    """
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


@_jit
def quick_two_sum(a, b):
    """Like :func:`two_sum` but requires ``|a| >= |b|`` (or ``a == 0``); three flops.

    >>> quick_two_sum(1.0, 1e-17)
    (1.0, 1e-17)
    """
    s = a + b
    e = b - (s - a)
    return s, e


@_jit
def two_prod(a, b):
    """``(p, e)`` with ``p = fl(a * b)`` and ``p + e == a * b`` exactly (via FMA).

    >>> two_prod(0.1, 10.0)
    (1.0, 5.551115123125783e-17)
    """
    p = a * b
    e = _llvm_fma(a, b, -p)
    return p, e


@_jit
def _split(a):
    t = 134217729.0 * a  # 2**27 + 1
    hi = t - (t - a)
    return hi, a - hi


@_jit
def two_prod_dekker(a, b):
    """Dekker's error-free product (no FMA); valid while ``|a|, |b| < 2**996``.

    >>> two_prod_dekker(0.1, 10.0)
    (1.0, 5.551115123125783e-17)
    """
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


@_jit
def dd_add(ah, al, bh, bl):
    """Accurate double-double sum (the IEEE-style variant, relative error about 2**-106).

    >>> dd_add(1.0, 1e-20, 2.0, 1e-20)
    (3.0, 2e-20)
    """
    s, e = two_sum(ah, bh)
    t, f = two_sum(al, bl)
    e += t
    s, e = quick_two_sum(s, e)
    e += f
    return quick_two_sum(s, e)


@_jit
def dd_neg(ah, al):
    """``-(ah + al)``."""
    return -ah, -al


@_jit
def dd_sub(ah, al, bh, bl):
    """Double-double difference ``a - b``.

    >>> dd_sub(1.0, 0.0, 1.0, -1e-20)
    (1e-20, 0.0)
    """
    return dd_add(ah, al, -bh, -bl)


@_jit
def dd_add_d(ah, al, b):
    """Double-double plus a float.

    >>> dd_add_d(1.0, 0.0, 1e-20)
    (1.0, 1e-20)
    """
    s, e = two_sum(ah, b)
    e += al
    return quick_two_sum(s, e)


@_jit
def dd_mul(ah, al, bh, bl):
    """Double-double product.

    >>> dd_mul(3.0, 0.0, 1.0 / 3.0, 0.0)[0]
    1.0
    """
    p, e = two_prod(ah, bh)
    e += ah * bl + al * bh
    return quick_two_sum(p, e)


@_jit
def dd_mul_d(ah, al, b):
    """Double-double times a float.

    >>> dd_mul_d(2.0, 2.0**-60, 3.0) == (6.0, 3 * 2.0**-60)
    True
    """
    p, e = two_prod(ah, b)
    e += al * b
    return quick_two_sum(p, e)


@_jit
def dd_div(ah, al, bh, bl):
    """Double-double quotient ``a / b`` (three correction steps; ``b`` must be nonzero).

    >>> hi, lo = dd_div(2.0, 0.0, 3.0, 0.0)
    >>> (hi, abs(lo) < 1e-16)
    (0.6666666666666666, True)
    """
    q1 = ah / bh
    ph, pl = dd_mul_d(bh, bl, q1)
    rh, rl = dd_sub(ah, al, ph, pl)
    q2 = rh / bh
    ph, pl = dd_mul_d(bh, bl, q2)
    rh, rl = dd_sub(rh, rl, ph, pl)
    q3 = rh / bh
    q1, q2 = quick_two_sum(q1, q2)
    return dd_add_d(q1, q2, q3)


@_jit
def dd_scale(ah, al, s):
    """Multiply by ``s``, a power of two (exact unless the result under- or overflows).

    >>> dd_scale(3.0, 1e-20, 0.5)
    (1.5, 5e-21)
    """
    return ah * s, al * s


@_jit
def dd_abs(ah, al):
    """Absolute value.

    >>> dd_abs(-1.0, 1e-20)
    (1.0, -1e-20)
    """
    if ah < 0.0 or (ah == 0.0 and al < 0.0):
        return -ah, -al
    return ah, al


@_jit
def dd_from_int(i):
    """Exact double-double of an int64 ``i`` (any int64 except ``-2**63``).

    >>> dd_from_int(2**62 + 1)
    (4.611686018427388e+18, 1.0)
    """
    hi = float(i)
    # float(i) may round up to 2**63, which does not fit int64: split that case off.
    if hi >= 9.223372036854775807e18:
        rest = (i - 4611686018427387904) - 4611686018427387904  # exact in int64
        return quick_two_sum(hi, float(rest))
    return quick_two_sum(hi, float(i - numba.int64(hi)))


@_jit
def dd_to_float(ah, al):
    """Round a double-double to the nearest float.

    >>> dd_to_float(1.0, 1e-20)
    1.0
    """
    return ah + al
