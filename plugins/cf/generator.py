"""The ``pcf`` generator: enumerate polynomial continued fractions and match their limits.

The ``[generator]`` fields (degrees, coefficient ranges, screening and refinement depths, shard
size) are declared once in :attr:`PCFGenerator.search_fields`; the core validates every search
file against them (``discover plugins --verbose`` prints them) and :meth:`PCFGenerator.configure`
only normalises the ranges and checks that the box is not empty.

Each discovery records the measures ``digits``, ``convergence_rate`` and ``delta`` (the
irrationality measure of the reduced convergents).
"""

from __future__ import annotations

import math
from typing import Any, Iterator, Mapping

import mpmath
import numpy as np

from discover import (Batch, Evaluation, Generator, Hit, SearchContext, SearchFileError, Shard,
                      Target, Tier, Verdict)
from discover.generator import PCF_MEASURES, Field, Measure
from discover.targets import MoebiusTable, apply_transform

from .enumerate import Box
from .kernels import (EXTRAPOLATED, NOT_CONVERGED, OK, STATUS_NAMES, eval_pcf_dd,
                      eval_pcf_dd_slow, eval_pcf_f64, eval_pcf_f64_slow)
from .pcf import PCF

__all__ = ["PCFGenerator"]

VERSION = "0.1.0"

_RANGE_HELP = ("[lo, hi] for every coefficient of {x} (or {x}_ranges: one pair per coefficient, "
               "highest power first)")

#: The measures of PCF-like kinds (pcf, cmf, esma): agreeing digits, digits per term and the
#: irrationality measure delta of the reduced convergents.
PCF_LIKE_MEASURES = PCF_MEASURES + (
    Measure("delta", "irrationality measure of the reduced convergents at the verification "
            "depth (clamped to 100..400)", "", "higher"),)


def _ranges(params, section, name: str, degree: int) -> list[list[int]]:
    """The per-coefficient ranges of ``a`` or ``b`` from the validated ``params``: one pair per
    coefficient (``{name}_ranges``) or one pair for all (``{name}_range``)."""
    many, one = f"{name}_ranges", f"{name}_range"
    if many in section and one in section:
        raise SearchFileError(f"generator.{many}", f"both {many} and {one} are given",
                              "keep only one of them")
    if many in section:
        value = params[many]
        if (len(value) != degree + 1 or not all(
                isinstance(r, list) and len(r) == 2
                and all(isinstance(x, int) and not isinstance(x, bool) for x in r)
                for r in value)):
            raise SearchFileError(f"generator.{many}",
                                  f"expected {degree + 1} pairs [lo, hi] (one per coefficient, "
                                  f"highest power first), got {value!r}",
                                  f"write e.g. {many} = " + str([[-5, 5]] * (degree + 1)))
        out = [list(r) for r in value]
    else:
        if one not in params:
            raise SearchFileError(f"generator.{one}", "missing",
                                  f"add {one} = [-5, 5] (the range of every coefficient)")
        out = [list(params[one]) for _ in range(degree + 1)]
    for r in out:
        if r[0] > r[1]:
            raise SearchFileError(f"generator.{many if many in section else one}",
                                  f"range {r} is empty (lo > hi)", "write [lo, hi] with lo <= hi")
        if max(abs(r[0]), abs(r[1])) > 10 ** 6:
            raise SearchFileError(f"generator.{many if many in section else one}",
                                  f"range {r} has coefficients above 10^6",
                                  "use smaller coefficients")
    return out


def target_agreement(x, target: Target, context: SearchContext) -> tuple[float, float, float]:
    """``(|x - t|, max(|t|, 1e-300), agreeing digits capped at 32)`` for the matched target
    value ``t``, at 40 digits: the test of the 32-digit refinement tiers."""
    k = context.constants.get(target.constant).value(40)
    with mpmath.workdps(40):
        t = apply_transform(target.transform, k)
        diff = abs(mpmath.mpf(x) - t)
        scale = max(abs(t), mpmath.mpf(10) ** -300)
        agree = min(float(-mpmath.log10(diff / scale)), 32.0) if diff else 32.0
    return float(diff), float(scale), agree


class PCFGenerator(Generator):
    """Polynomial continued fractions a(0) + b(1)/(a(1) + b(2)/(a(2) + ...))."""

    kind = "pcf"
    version = VERSION
    description = "polynomial continued fractions matched against Moebius transforms of constants"
    fields = {"a": "polynomial a(n), e.g. \"2*n+1\" or [2, 1] (highest power first)",
              "b": "polynomial b(n), e.g. \"n^2\" or [1, 0, 0]"}
    hash_digits = 12
    candidate_type = PCF

    search_fields = (
        Field("a_degree", "int", 1, "degree of a(n)", min=0, max=6),
        Field("b_degree", "int", 2, "degree of b(n)", min=0, max=12),
        Field("a_range", "list[int]", None, _RANGE_HELP.format(x="a"), min=-10 ** 6,
              max=10 ** 6, min_items=2, max_items=2),
        Field("b_range", "list[int]", None, _RANGE_HELP.format(x="b"), min=-10 ** 6,
              max=10 ** 6, min_items=2, max_items=2),
        Field("a_ranges", "any", None, "one [lo, hi] per coefficient of a, highest power first "
              "(instead of a_range)"),
        Field("b_ranges", "any", None, "one [lo, hi] per coefficient of b, highest power first "
              "(instead of b_range)"),
        Field("a_leading_positive", "bool", True, "keep a's leading coefficient > 0 (the other "
              "half only negates values)"),
        Field("depth", "int", 100, "terms of the float64 screen", min=10, max=100000),
        Field("refine_depth", "int", 1000, "terms of the double-double refinement", min=20,
              max=1000000),
        Field("shard_size", "int", 200000, "candidates per shard", min=100, max=10 ** 8),
        Field("b_nonzero", "bool", False, "skip b(n) = 0 (every coefficient zero: the value "
              "is a(0), a rational)"),
        Field("a_first_positive", "bool", False, "keep a's first nonzero coefficient > 0 and "
              "skip a = 0 (sign symmetry of the whole of a; replaces a_leading_positive)"),
        Field("slow", "bool", False, "also screen slowly (algebraically) converging candidates: "
              "limits extrapolated from convergents at geometric depths (status "
              "'extrapolated'), refined in double-double the same way, verified by the "
              "extrapolated verifier"),
        Field("slow_depth", "int", 4096, "deepest convergent of the float64 slow screen",
              min=64, max=10 ** 6),
        Field("slow_levels", "int", 8, "depths of the float64 slow screen (depth, depth/2, "
              "...)", min=4, max=16),
        Field("slow_digits", "float", 10.0, "digits the float64 extrapolation must support to "
              "be hashed and matched", min=4.0, max=14.0),
        Field("slow_refine_depth", "int", 8192, "deepest convergent of the double-double slow "
              "refinement", min=256, max=10 ** 7),
        Field("slow_refine_levels", "int", 9, "depths of the double-double slow refinement",
              min=4, max=20),
    )
    #: Names of the per-candidate status codes (counted per path in the run summary).
    status_names = dict(STATUS_NAMES)
    measures = PCF_LIKE_MEASURES

    # -- search definition -----------------------------------------------------------
    def configure(self, section: Mapping[str, Any], context: SearchContext) -> dict:
        params = self.validated(section)
        if not context.targets:
            raise SearchFileError("match.constants", "a pcf search needs at least one target",
                                  "add constants = [\"pi\"] to [match]")
        da, db = params["a_degree"], params["b_degree"]
        params_out = {
            "a_ranges": _ranges(params, section, "a", da),
            "b_ranges": _ranges(params, section, "b", db),
            "a_leading_positive": params["a_leading_positive"],
            "depth": params["depth"], "refine_depth": params["refine_depth"],
            "shard_size": params["shard_size"],
        }
        # the newer options enter the parameters (and so the search's hash) only when used,
        # so that stores of searches written before them still resume
        validated = params
        params = dict(params_out)
        for key in ("b_nonzero", "a_first_positive"):
            if validated[key]:
                params[key] = True
        if validated["a_first_positive"]:
            params["a_leading_positive"] = False
        if validated["slow"]:
            params.update({k: validated[k] for k in (
                "slow", "slow_depth", "slow_levels", "slow_digits", "slow_refine_depth",
                "slow_refine_levels")})
        if self._box(params).size == 0:
            raise SearchFileError("generator.a_range", "the box holds no candidate",
                                  "widen the ranges (a's leading coefficient must allow a "
                                  "positive value when a_leading_positive = true)")
        return params

    @staticmethod
    def _box(params) -> Box:
        return Box(tuple(map(tuple, params["a_ranges"])), tuple(map(tuple, params["b_ranges"])),
                   params["a_leading_positive"], params.get("a_first_positive", False),
                   params.get("b_nonzero", False))

    def _size(self, params) -> int:
        """Number of candidates of the search (the box's size)."""
        return self._box(params).size

    def shards(self, params) -> list[Shard]:
        size = self._size(params)
        step = params["shard_size"]
        total = max(1, math.ceil(size / step))
        return [Shard(index=i, total=total, spec={"start": i * step,
                                                  "stop": min(size, (i + 1) * step)},
                      size=min(size, (i + 1) * step) - i * step) for i in range(total)]

    def prepare(self, params, context: SearchContext) -> None:
        self._tables(params, context)
        for name in context.targets:
            self._table(name, context)
        # compile the kernels once in the driver, so forked workers inherit them
        a = np.array([[1] * len(params["a_ranges"])], dtype=np.int64)
        b = np.array([[1] * len(params["b_ranges"])], dtype=np.int64)
        eval_pcf_f64(a, b, 10)
        eval_pcf_dd(a, b, 10)
        if params.get("slow"):
            eval_pcf_f64_slow(a, b, 64, 4)
            eval_pcf_dd_slow(a, b, 256, 4)

    def _tables(self, params, context: SearchContext):
        key = ("pcf-box", repr(params["a_ranges"]), repr(params["b_ranges"]),
               params["a_leading_positive"], params.get("a_first_positive", False),
               params.get("b_nonzero", False))
        if key not in context.cache:
            context.cache[key] = self._box(params).tables()
        return context.cache[key]

    def _table(self, name: str, context: SearchContext) -> MoebiusTable:
        bound = int(context.match.get("coefficient_bound", 10))
        digits = int(context.match.get("digits", 10))
        key = ("moebius", name, bound, digits)
        if key not in context.cache:
            k = context.constants.get(name).float()
            context.cache[key] = MoebiusTable.build(name, k, bound, digits=digits)
        return context.cache[key]

    # -- tier 1 ------------------------------------------------------------------------
    def propose(self, params, shard: Shard, context: SearchContext) -> Iterator[Batch]:
        tables = self._tables(params, context)
        box = self._box(params)
        start, stop = shard.spec["start"], shard.spec["stop"]
        step = 50000
        for lo in range(start, stop, step):
            A, B = box.slice(tables, lo, min(stop, lo + step))
            yield Batch(params=np.concatenate([A, B], axis=1),
                        meta={"da": A.shape[1] - 1, "db": B.shape[1] - 1, "start": lo})

    @staticmethod
    def _split(batch: Batch):
        na = batch.meta["da"] + 1
        return (np.ascontiguousarray(batch.params[:, :na]),
                np.ascontiguousarray(batch.params[:, na:]))

    def evaluate(self, params, batch: Batch) -> Evaluation:
        A, B = self._split(batch)
        values, err, status = eval_pcf_f64(A, B, params["depth"])
        if params.get("slow"):
            self._slow_screen(params, A, B, values, err, status)
        return Evaluation(values=values, ok=(status == OK) | (status == EXTRAPOLATED),
                          status=status, error=err, depth=params["depth"])

    #: relative last step below which the float64 screen's value is trusted as it is (fast
    #: path); anything slower goes through the extrapolation when ``slow = true``
    FAST_STEP = 1e-13

    @classmethod
    def _slow_screen(cls, params, A, B, values, err, status) -> None:
        """The slow path of the float64 screen, in place: candidates that did not converge at
        ``depth`` (or converge slower than :attr:`FAST_STEP`) get the extrapolated limit
        (status ``extrapolated``) or ``slow rejected``. A candidate that was ``ok`` keeps its
        fast-path value when the extrapolation does not fit."""
        scale = np.maximum(1.0, np.abs(values))
        route = (status == NOT_CONVERGED) | ((status == OK) & ~(err <= cls.FAST_STEP * scale))
        idx = np.flatnonzero(route)
        if idx.size == 0:
            return
        v, e, st = eval_pcf_f64_slow(A[idx], B[idx], params["slow_depth"],
                                     params["slow_levels"], 10.0 ** -params["slow_digits"])
        was_ok = status[idx] == OK
        take = (st == EXTRAPOLATED) | ~was_ok
        values[idx[take]] = v[take]
        err[idx[take]] = e[take]
        status[idx[take]] = st[take]

    # -- select and refine ---------------------------------------------------------------
    def select(self, params, batch: Batch, evaluation: Evaluation, representatives: np.ndarray,
               inverse: np.ndarray, context: SearchContext) -> list[Hit]:
        if representatives.size == 0:
            return []
        vals = evaluation.values[representatives]
        err = evaluation.error[representatives]
        tol = np.maximum(4.0 * err, 1e-13 * np.maximum(1.0, np.abs(vals)))
        # members of each functional-hash group, by group position
        usable = np.flatnonzero(inverse >= 0)
        order = usable[np.argsort(inverse[usable], kind="stable")]
        bounds = np.searchsorted(inverse[order], np.arange(representatives.size + 1))
        hits: list[Hit] = []
        A, B = self._split(batch)
        for name in context.targets:
            table = self._table(name, context)
            q, t = table.match(vals, tol)
            for qi, ti in zip(q.tolist(), t.tolist()):
                transform = table.transform(ti)
                for member in order[bounds[qi]:bounds[qi + 1]].tolist():
                    v = float(evaluation.values[member])
                    rel = abs(v - table.values[ti]) / max(abs(table.values[ti]), 1e-300)
                    slow = int(evaluation.status[member]) == EXTRAPOLATED
                    detail = {"error_estimate": float(evaluation.error[member])}
                    if slow:
                        detail.update(path="extrapolated", levels=params["slow_levels"])
                    hits.append(Hit(
                        candidate=PCF(A[member].tolist(), B[member].tolist()),
                        target=Target(name, transform),
                        tiers=[Tier("float64-extrapolated" if slow else "float64", 15.9,
                                    depth=params["slow_depth"] if slow else params["depth"],
                                    value=repr(v),
                                    digits=round(-math.log10(rel), 2) if rel > 0 else 16.0,
                                    detail=detail)]))
        return hits

    def refine(self, params, hits: list[Hit], context: SearchContext) -> list[Hit]:
        if not hits:
            return hits
        na = max(len(h.candidate.a) for h in hits)
        nb = max(len(h.candidate.b) for h in hits)
        A = np.zeros((len(hits), na), dtype=np.int64)
        B = np.zeros((len(hits), nb), dtype=np.int64)
        for i, h in enumerate(hits):
            A[i, na - len(h.candidate.a):] = h.candidate.a
            B[i, nb - len(h.candidate.b):] = h.candidate.b
        depth = params["refine_depth"]
        hi, lo, err, status = eval_pcf_dd(A, B, depth)
        kept = []
        retry = []
        for i, h in enumerate(hits):
            if params.get("slow") and h.tiers and h.tiers[0].detail.get("path") == "extrapolated":
                retry.append(i)           # screened by extrapolation: refined the same way
                continue
            if status[i] == 0:
                with mpmath.workdps(40):
                    x = mpmath.mpf(float(hi[i])) + mpmath.mpf(float(lo[i]))
                diff, scale, agree = target_agreement(x, h.target, context)
                if diff <= max(10.0 * float(err[i]), scale * 1e-27):
                    h.tiers.append(Tier("double-double", 31.9, depth=depth,
                                        value=mpmath.nstr(x, 32), digits=round(agree, 2),
                                        detail={"error_estimate": float(err[i])}))
                    kept.append(h)
                    continue
            if params.get("slow"):
                retry.append(i)
        if retry:
            kept.extend(self._slow_refine(params, [hits[i] for i in retry], A[retry], B[retry],
                                          context))
        return self._one_transform_each(kept)

    @staticmethod
    def _one_transform_each(hits: list[Hit]) -> list[Hit]:
        """One hit per candidate and constant: the transform with the smallest coefficients.
        Two transforms of one constant with the same value (a quadratic irrational such as
        sqrt 2 has many) state the same formula; verifying each would repeat tier 3."""
        best: dict = {}
        for h in hits:
            key = (tuple(h.candidate.a), tuple(h.candidate.b), h.target.constant)
            height = max(abs(c) for c in h.target.transform)
            if key not in best or height < best[key][0]:
                best[key] = (height, h)
        chosen = {id(v[1]) for v in best.values()}
        return [h for h in hits if id(h) in chosen]

    #: digits the double-double extrapolation must support for a slow hit to go on to tier 3
    SLOW_REFINE_DIGITS = 14.0

    def _slow_refine(self, params, hits, A, B, context) -> list[Hit]:
        """Tier 2 of the slow path: the extrapolation of :meth:`_slow_screen` in double-double
        at ``slow_refine_depth``; kept when it supports :attr:`SLOW_REFINE_DIGITS` digits and
        agrees with the target within its error estimate."""
        depth = params["slow_refine_depth"]
        hi, lo, err, status = eval_pcf_dd_slow(A, B, depth, params["slow_refine_levels"])
        kept = []
        for i, h in enumerate(hits):
            if status[i] != EXTRAPOLATED:
                continue
            with mpmath.workdps(40):
                x = mpmath.mpf(float(hi[i])) + mpmath.mpf(float(lo[i]))
            diff, scale, agree = target_agreement(x, h.target, context)
            if (float(err[i]) <= scale * 10.0 ** -self.SLOW_REFINE_DIGITS
                    and diff <= max(10.0 * float(err[i]), scale * 1e-27)):
                h.tiers.append(Tier("double-double-extrapolated", 31.9, depth=depth,
                                    value=mpmath.nstr(x, 32), digits=round(agree, 2),
                                    detail={"error_estimate": float(err[i]),
                                            "path": "extrapolated",
                                            "levels": params["slow_refine_levels"]}))
                kept.append(h)
        return kept

    # -- tier 3 and description ---------------------------------------------------------
    #: ``method`` values of :meth:`verify` besides ``"auto"`` (``discover verify --method``).
    verify_methods = ("exact", "extrapolated")

    def verify(self, candidate: PCF, claimed, digits: int, method: str = "auto") -> Verdict:
        verdict = candidate.verify(claimed, digits=digits, method=method)
        if verdict.equal:
            # convergence dynamics at a modest depth, for verified formulas only
            try:
                from .dynamics import dynamics
                depth = int(min(max(verdict.depth or 0, 100), 400))
                dyn = dynamics(candidate.a, candidate.b, depth=depth, limit=claimed, points=6,
                               limit_digits=float(verdict.digits))
                verdict.extra["delta"] = (round(dyn["delta"], 5)
                                          if math.isfinite(dyn["delta"]) else None)
                verdict.measures["delta"] = verdict.extra["delta"]
                verdict.extra["delta_depth"] = depth
                # ``method`` stays the label of the method that gave the digits (exact or
                # extrapolated); the detail names both steps
                detail = verdict.extra.get("method_detail") or verdict.method
                verdict.extra["method_detail"] = (f"{detail}; delta from reduced convergents "
                                                  f"at depth {depth}")
                verdict.extra["convergence_rate"] = verdict.convergence_rate
                verdict.extra["factorial_reduction"] = dyn["factorial_reduction"]
                verdict.extra["error_curve_fit"] = dyn["error_curve_fit"]
            except Exception as err:          # dynamics are informative, never fatal
                verdict.extra["delta_error"] = str(err)
        return verdict

    def value(self, candidate: PCF, digits: int):
        try:
            return candidate.limit(digits)
        except Exception:
            return None

    def canonical(self, candidate: PCF) -> PCF:
        return candidate.canonical()[0]

    def key(self, candidate: PCF) -> str:
        return candidate.key()

    def to_json(self, candidate: PCF) -> dict:
        return candidate.to_json()      # a TrajectoryPCF adds the field trajectory it came from

    def from_fields(self, fields: Mapping[str, Any]) -> PCF:
        missing = [f for f in ("a", "b") if fields.get(f) is None]
        if missing:
            raise SearchFileError(missing[0], "missing for a pcf", "give both a and b, e.g. "
                                  "--a \"2*n+1\" --b \"n^2\"")
        return PCF(fields["a"], fields["b"])

    def convergence(self, candidate: PCF, depth: int = 200) -> list[tuple[int, float]]:
        """log10 |p_n/q_n - p_(n-1)/q_(n-1)| (relative) for n = 1..depth, from exact integers."""
        points = []
        prev = None
        for n, (p, q) in enumerate(candidate.convergents(depth)):
            if prev is not None and q != 0 and prev[1] != 0 and p != 0:
                num = abs(p * prev[1] - prev[0] * q)
                if num:
                    with mpmath.workdps(20):
                        rel = mpmath.mpf(num) / abs(prev[1] * p)
                        points.append((n, float(mpmath.log10(rel))))
            prev = (p, q)
        return points

    def describe(self, candidate: PCF) -> dict:
        return {"text": str(candidate), "latex": candidate.latex()}
