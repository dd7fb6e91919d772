"""The ``bbp`` generator: BBP-type series found by PSLQ between series slices and a constant.

A candidate is :class:`BBP` ``(b, m, s, c_1..c_m, scale)``, the series

    K = (1/scale) * sum_{k>=0} b^-k * sum_{j=1..m} c_j / (m k + j)^s

The ``[generator]`` fields are declared once in :attr:`BBPGenerator.search_fields` (the core
validates them; ``discover plugins --verbose`` prints them). Each discovery records the measures
``digits``, ``convergence_rate`` (digits per term, log10 b) and ``delta`` (the irrationality
measure of the partial sums, see :func:`partial_sum_delta`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce
from typing import Any, Iterator, Mapping

import mpmath
import numpy as np

from discover import (Batch, Evaluation, Generator, Hit, SearchContext, SearchFileError, Shard,
                      Tier, Verdict)
from discover.generator import PCF_MEASURES, Field, Measure

from .kernels import OK, slices_f64

__all__ = ["BBP", "BBPGenerator", "slices_mp", "partial_sum_delta"]

VERSION = "0.1.0"


def slices_mp(base: int, period: int, power: int, dps: int) -> list:
    """The slices S_1..S_m at ``dps`` digits (the tail beyond the last term is below 10^-dps)."""
    n = terms_needed(base, dps)
    with mpmath.workdps(dps + 10):
        out = []
        for j in range(1, period + 1):
            out.append(mpmath.fsum(mpmath.mpf(1) / (mpmath.mpf(base) ** k
                                                    * mpmath.mpf(period * k + j) ** power)
                                   for k in range(n)))
        return out


def terms_needed(base: int, digits: float) -> int:
    """Terms after which b^-N is below 10^-digits: N = digits * log(10) / log(b), plus guard."""
    return int(math.ceil(digits * math.log(10) / math.log(base))) + 3


@dataclass(frozen=True)
class BBP:
    """K = (1/scale) * sum_k b^-k * sum_j c_j / (m k + j)^s, with integers throughout."""

    base: int
    period: int
    power: int
    coefficients: tuple
    scale: int = 1

    def __post_init__(self):
        object.__setattr__(self, "coefficients", tuple(int(c) for c in self.coefficients))
        if self.base < 2 or self.period < 1 or self.power < 1:
            raise ValueError(f"need base >= 2, period >= 1, power >= 1; got {self.base}, "
                             f"{self.period}, {self.power}")
        if len(self.coefficients) != self.period:
            raise ValueError(f"{len(self.coefficients)} coefficients for period {self.period}; "
                             f"give one coefficient per slice j = 1..{self.period}")
        if self.scale == 0:
            raise ValueError("scale must not be 0")

    def canonical(self) -> "BBP":
        """Divide by the gcd of coefficients and scale; make the scale positive."""
        g = reduce(math.gcd, self.coefficients, abs(self.scale)) or 1
        sign = -1 if self.scale < 0 else 1
        return BBP(self.base, self.period, self.power,
                   tuple(sign * c // g for c in self.coefficients), sign * self.scale // g)

    def key(self) -> str:
        c = self.canonical()
        return (f"bbp:b={c.base}:m={c.period}:s={c.power}:"
                f"c={','.join(map(str, c.coefficients))}:scale={c.scale}")

    def tail_bound(self, terms: int):
        """An upper bound of |K - partial sum of ``terms`` terms| (as an mpf)."""
        total = sum(abs(c) for c in self.coefficients)
        return (mpmath.mpf(total) / abs(self.scale) * mpmath.mpf(self.base) ** -terms
                / (1 - mpmath.mpf(1) / self.base))

    def value(self, digits: int):
        """K to ``digits`` digits."""
        n = terms_needed(self.base, digits + 5)
        with mpmath.workdps(digits + 15):
            b = mpmath.mpf(self.base)
            total = mpmath.mpf(0)
            for k in range(n):
                inner = mpmath.fsum(mpmath.mpf(c) / mpmath.mpf(self.period * k + j + 1)
                                    ** self.power
                                    for j, c in enumerate(self.coefficients) if c)
                total += inner / b ** k
            return total / self.scale

    def __str__(self) -> str:
        terms = []
        for j, c in enumerate(self.coefficients, start=1):
            if c:
                den = f"({self.period}k+{j})" + (f"^{self.power}" if self.power > 1 else "")
                terms.append(f"{'-' if c < 0 else '+'} {abs(c)}/{den}")
        body = " ".join(terms).lstrip("+ ") if terms else "0"
        if body.startswith("- "):
            body = "-" + body[2:]
        pre = "" if self.scale == 1 else f"(1/{self.scale}) "
        return f"{pre}sum_k {self.base}^-k [{body}]"

    def latex(self) -> str:
        parts = []
        for j, c in enumerate(self.coefficients, start=1):
            if c:
                den = f"({self.period}k+{j})" + (f"^{{{self.power}}}" if self.power > 1 else "")
                parts.append(f"{'-' if c < 0 else '+'}\\frac{{{abs(c)}}}{{{den}}}")
        body = "".join(parts).lstrip("+") or "0"
        pre = "" if self.scale == 1 else f"\\frac{{1}}{{{self.scale}}}"
        return f"{pre}\\sum_{{k\\ge0}}\\frac{{1}}{{{self.base}^k}}\\left({body}\\right)"


def partial_sum_delta(candidate: "BBP", value, terms: int) -> float | None:
    """The irrationality measure ``delta`` of the partial sum ``p/q`` (reduced) of ``terms``
    terms: ``|value - p/q| = q^-(1 + delta)``, as for a continued fraction's convergents.
    ``value`` must be known to well beyond ``terms * log10(b)`` digits; None when the partial
    sum is exact or its denominator is 1.

    >>> d = partial_sum_delta(BBP(2, 1, 1, (1,), 2), mpmath.log(2), 20)
    >>> -1 < d < 0
    True
    """
    from fractions import Fraction

    total = Fraction(0)
    for k in range(terms):
        inner = sum(Fraction(c, (candidate.period * k + j + 1) ** candidate.power)
                    for j, c in enumerate(candidate.coefficients) if c)
        total += inner / candidate.base ** k
    total /= candidate.scale
    if total.denominator == 1:
        return None
    with mpmath.workdps(int(terms * math.log10(candidate.base)) + 40):
        diff = abs(mpmath.mpf(value) - mpmath.mpf(total.numerator) / total.denominator)
        if not diff:
            return None
        return float(-1 - mpmath.log(diff) / mpmath.log(total.denominator))


def _split_ints(value, name: str) -> list[int]:
    if isinstance(value, str):
        value = [v for v in value.replace("[", "").replace("]", "").replace(",", " ").split()]
    if isinstance(value, (int,)):
        value = [value]
    try:
        return [int(v) for v in value]
    except (TypeError, ValueError):
        raise SearchFileError(name, f"expected integers, got {value!r}",
                              f"write e.g. --{name} \"4,0,0,-2,-1,-1,0,0\"") from None


class BBPGenerator(Generator):
    """BBP-type series: slices of sum b^-k/(mk+j)^s tied to a constant by an integer relation."""

    kind = "bbp"
    version = VERSION
    description = "BBP-type series sum b^-k sum_j c_j/(mk+j)^s found by PSLQ"
    fields = {"base": "BBP base b (integer >= 2)", "period": "BBP period m",
              "power": "BBP power s (default 1)",
              "coefficients": "BBP coefficients c_1..c_m, e.g. \"4,0,0,-2,-1,-1,0,0\"",
              "scale": "BBP scale: K = (1/scale) * sum ... (default 1)"}
    hash_digits = 12
    candidate_type = BBP

    search_fields = (
        Field("bases", "list[int]", [16], "bases b, e.g. [16]", min=2, max=10 ** 6,
              min_items=1),
        Field("periods", "list[int]", [8], "periods m, e.g. [8]", min=1, max=24, min_items=1),
        Field("powers", "list[int]", [1], "powers s", min=1, max=6, min_items=1),
        Field("expressions", "list[str]", None, "closed forms to relate to the slices, e.g. "
              "[\"pi^2\"] (default: the [match] constants)"),
        Field("pslq_digits", "int", 60, "working digits of the PSLQ search", min=20, max=500),
        Field("max_coeff", "int", 10000, "largest |coefficient| PSLQ may use", min=2,
              max=10 ** 9),
        Field("screen_terms", "int", 2000, "most terms of the float64 screen per slice",
              min=10, max=10 ** 6),
    )
    measures = PCF_MEASURES + (
        Measure("delta", "irrationality measure of the partial sums (reduced) at the depth "
                "that gives about 30 digits", "", "higher"),)

    def configure(self, section: Mapping[str, Any], context: SearchContext) -> dict:
        params = self.validated(section)
        exprs = params.get("expressions", list(context.targets))
        if not exprs:
            raise SearchFileError("generator.expressions", "no closed form to look for",
                                  "add expressions = [\"pi\"] to [generator] or constants = "
                                  "[\"pi\"] to [match]")
        for e in exprs:
            try:
                context.constants.evaluate(e, 20)
            except Exception as err:
                raise SearchFileError("generator.expressions", f"cannot evaluate {e!r}: {err}",
                                      "use constant names from `discover constants` with "
                                      "+ - * / ^") from err
        for name in ("bases", "periods", "powers"):
            params[name] = sorted(set(params[name]))
        params["expressions"] = list(exprs)
        return params

    def shards(self, params) -> list[Shard]:
        per = len(params["periods"]) * len(params["powers"])
        n = len(params["bases"])
        return [Shard(index=i, total=n, spec={"base": b}, size=per)
                for i, b in enumerate(params["bases"])]

    def prepare(self, params, context: SearchContext) -> None:
        slices_f64(np.array([[2, 1, 1]]), 1, 10)       # compile once before workers fork

    # -- tier 1 -------------------------------------------------------------------------
    def propose(self, params, shard: Shard, context: SearchContext) -> Iterator[Batch]:
        b = shard.spec["base"]
        rows = [[b, m, s] for m in params["periods"] for s in params["powers"]]
        yield Batch(params=np.array(rows, dtype=np.int64), meta={"width": max(params["periods"])})

    def evaluate(self, params, batch: Batch) -> Evaluation:
        values, status = slices_f64(batch.params, batch.meta["width"], params["screen_terms"])
        return Evaluation(values=values, ok=status == OK, status=status,
                          depth=params["screen_terms"])

    # -- select: PSLQ per (b, m, s) -----------------------------------------------------------
    def _expression_values(self, params, context: SearchContext, dps: int) -> list:
        key = ("bbp-expr", tuple(params["expressions"]), dps)
        if key not in context.cache:
            context.cache[key] = [context.constants.evaluate(e, dps + 10)
                                  for e in params["expressions"]]
        return context.cache[key]

    @staticmethod
    def _relation(t, slices, active, dps: int, max_coeff: int):
        """An integer relation r0*t + sum r_j S_j = 0 over ``active`` slices with r0 != 0."""
        active = list(active)
        tol = mpmath.mpf(10) ** (-int(0.8 * dps))
        while active:
            rel = mpmath.pslq([t] + [slices[j] for j in active], tol=tol, maxcoeff=max_coeff,
                              maxsteps=20000)
            if rel is None:
                return None, active
            if sum(math.log10(abs(r) + 1) for r in rel) > 0.6 * dps:
                return None, active
            if rel[0] != 0:
                return rel, active
            # a relation among the slices alone: drop the last slice it uses and look again
            last = max(i for i, r in enumerate(rel[1:]) if r)
            del active[last]
        return None, active

    def _find(self, t, slices, dps: int, max_coeff: int):
        """The relation with the fewest slices, removing slices from the last one down."""
        with mpmath.workdps(dps):
            rel, active = self._relation(t, slices, range(len(slices)), dps, max_coeff)
            if rel is None:
                return None
            for j in sorted(active, reverse=True):
                if len(active) == 1:
                    break
                trial = [a for a in active if a != j]
                r2, a2 = self._relation(t, slices, trial, dps, max_coeff)
                if r2 is not None and len(a2) == len(trial):
                    rel, active = r2, trial
            coeffs = [0] * len(slices)
            for a, r in zip(active, rel[1:]):
                coeffs[a] = -int(r)
            return coeffs, int(rel[0])

    def select(self, params, batch: Batch, evaluation: Evaluation, representatives: np.ndarray,
               inverse: np.ndarray, context: SearchContext) -> list[Hit]:
        dps = params["pslq_digits"]
        targets = self._expression_values(params, context, dps)
        hits: list[Hit] = []
        for i in representatives.tolist():
            b, m, s = (int(x) for x in batch.params[i])
            slices = slices_mp(b, m, s, dps + 10)
            # the float64 screen must agree with the high-precision slices (an oracle check)
            f64 = evaluation.values[i, :m]
            if not all(abs(float(x) - y) <= 1e-12 * abs(float(x)) for x, y in zip(slices, f64)):
                continue
            screen = Tier("float64", 15.9, depth=evaluation.depth,
                          value=", ".join(repr(float(v)) for v in f64),
                          detail={"slices": m})
            for expr, t in zip(params["expressions"], targets):
                found = self._find(t, slices, dps, params["max_coeff"])
                if found is None:
                    continue
                coeffs, scale = found
                cand = BBP(b, m, s, tuple(coeffs), scale).canonical()
                hits.append(Hit(candidate=cand, expression=expr, tiers=[
                    screen, Tier("pslq", float(dps), value=expr,
                                 detail={"relation": [scale] + [-c for c in coeffs],
                                         "basis": [expr] + [f"S{j}" for j in range(1, m + 1)]})]))
        return hits

    # -- tier 3 and description -----------------------------------------------------------
    def verify(self, candidate: BBP, claimed, digits: int) -> Verdict:
        import time

        t0 = time.perf_counter()
        work = digits + 20
        n = terms_needed(candidate.base, work)
        x = candidate.value(work)
        with mpmath.workdps(work + 10):
            claimed = mpmath.mpf(claimed)
            scale = abs(claimed) if claimed else mpmath.mpf(1)
            bound = candidate.tail_bound(n) + mpmath.mpf(10) ** (-(work + 5))
            supported = float(-mpmath.log10(bound / scale))
            diff = abs(x - claimed)
            agree = float(-mpmath.log10(diff / scale)) if diff else float(work)
            agree = min(agree, supported, float(work))
            value = mpmath.nstr(x, 30)
        equal = agree >= digits
        rate = math.log10(candidate.base)
        verdict = Verdict(equal=equal, digits=agree, required=digits, convergence_rate=rate,
                          depth=n, value=value, claimed=mpmath.nstr(claimed, 30),
                          method="mpmath series sum with tail bound",
                          seconds=time.perf_counter() - t0,
                          reason="" if equal else f"only {agree:.1f} digits agree",
                          tiers=[Tier("mpmath", float(work + 15), depth=n, value=value,
                                      digits=round(agree, 2))])
        if equal:
            depth = terms_needed(candidate.base, 30)
            try:
                delta = partial_sum_delta(candidate, claimed, depth)
            except (ArithmeticError, ValueError) as err:   # informative, never fatal
                verdict.extra["delta_error"] = str(err)
            else:
                delta = None if delta is None else round(delta, 5)
                verdict.measures["delta"] = verdict.extra["delta"] = delta
                verdict.extra["delta_depth"] = depth
                verdict.method += f"; delta from partial sums at depth {depth}"
        return verdict

    def value(self, candidate: BBP, digits: int):
        return candidate.value(digits)

    def canonical(self, candidate: BBP) -> BBP:
        return candidate.canonical()

    def key(self, candidate: BBP) -> str:
        return candidate.key()

    def to_json(self, candidate: BBP) -> dict:
        return {"base": candidate.base, "period": candidate.period, "power": candidate.power,
                "coefficients": list(candidate.coefficients), "scale": candidate.scale}

    def from_fields(self, fields: Mapping[str, Any]) -> BBP:
        missing = [f for f in ("base", "period", "coefficients") if fields.get(f) is None]
        if missing:
            raise SearchFileError(missing[0], "missing for a bbp series",
                                  "give --base 16 --period 8 --coefficients \"4,0,0,-2,-1,-1,0,0\"")
        coeffs = _split_ints(fields["coefficients"], "coefficients")
        try:
            return BBP(int(fields["base"]), int(fields["period"]), int(fields.get("power") or 1),
                       tuple(coeffs), int(fields.get("scale") or 1))
        except ValueError as err:
            raise SearchFileError("coefficients", str(err), "check base, period and "
                                  "coefficients") from err

    def describe(self, candidate: BBP) -> dict:
        return {"text": str(candidate), "latex": candidate.latex()}
