"""The ``cmf`` generator: walk a conservative matrix field along many trajectories.

Every trajectory (direction, start point) of a 2x2 field is reduced to a PCF
(:meth:`discover_plugins.cf.cmf.CMF.pcf`); the PCFs then go through the same tiers as the
``pcf`` generator (float64 screen, Moebius match, double-double, exact verification,
identification). A discovery's provenance keeps the field, the direction, the start point and
the PCF before reduction (the ``cmf`` attribute of the candidate node).

The ``[generator]`` fields (declared once in :attr:`CMFGenerator.search_fields`, printed by
``discover plugins --verbose``):

``cmf``
    Name of a field in ``corpora/cmfs.toml`` (``discover cmf list``), or a label for the
    inline ``[generator.matrices]`` table (one matrix of strings per axis, as in the corpus).
``directions``
    Explicit directions, e.g. ``[[1, 1], [1, 2]]``; or ``max_step`` (default 2): every
    primitive direction with components in ``[0, max_step]`` (``[-max_step, max_step]`` with
    ``negative = true``).
``starts``
    Start points, e.g. ``[[1, 1], [2, 1]]`` (default: the point with every coordinate 1).
``depth``, ``refine_depth``
    Terms of the float64 screen (default 200) and of the double-double refinement (1000).
``shard_size``
    Trajectories per shard (default 4): reducing a trajectory takes sympy time, not kernel time.

PCFs whose coefficients exceed int64 (long trajectories) skip the numba kernels: they are
screened and refined with exact convergents instead (32 digits), then verified like the rest.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Iterator, Mapping

import mpmath
import numpy as np

from discover import Batch, Evaluation, SearchContext, SearchFileError, Shard
from discover.errors import DiscoverError

from .cmf import CMF, INT64_SAFE, directions_up_to, known_cmfs
from discover.generator import REQUIRED, Field

from .generator import PCFGenerator, target_agreement
from .kernels import eval_pcf_dd, eval_pcf_f64
from .pcf import PCF, OriginPCF

__all__ = ["CMFGenerator", "TrajectoryPCF", "RecurrenceCandidate", "trajectory_pcf"]

_LOG = logging.getLogger(__name__)
_ID_DIGITS = 80
_ID_MAX_COEFF = 10 ** 12      # 4 coefficients of 12 digits leave a 32-digit margin at 80


class RecurrenceCandidate:
    """The order-N recurrence of a trajectory of an N x N field (N != 2), with its origin."""

    __slots__ = ("rec", "origin")

    def __init__(self, rec, origin: dict):
        self.rec, self.origin = rec, dict(origin)

    def __reduce__(self):
        return (RecurrenceCandidate, (self.rec, self.origin))

    def key(self) -> str:
        return "rec:" + ";".join(",".join(map(str, c)) for c in self.rec.coeffs) + "|p=" + \
            ",".join(map(str, self.rec.p)) + "|q=" + ",".join(map(str, self.rec.q)) + \
            f"|n0={self.rec.n0}"

    def to_json(self) -> dict:
        return {"recurrence": self.rec.to_json(), "cmf": dict(self.origin)}

    def text(self) -> str:
        return (f"order-{self.rec.order} recurrence of {self.origin['name']} along "
                f"{tuple(self.origin['direction'])} from {tuple(self.origin['start'])}")

    def verify(self, claimed, digits: int):
        """Tier 3: the limit from exact terms (binary splitting, the depth doubled until
        ``digits + 10`` digits settle) against the claimed value."""
        import time

        import mpmath

        from discover import Verdict
        from discover.errors import VerificationError

        t0 = time.perf_counter()
        try:
            x = self.rec.limit(digits + 10, max_depth=1 << 17)
        except (VerificationError, DiscoverError) as err:
            return Verdict(equal=False, digits=0.0, required=digits, reason=str(err),
                           method="exact recurrence")
        with mpmath.workdps(digits + 20):
            diff = abs(x - claimed)
            agree = float(-mpmath.log10(diff / max(abs(x), 1))) if diff else float(digits + 10)
        agree = min(agree, float(digits + 10))
        rate = delta = None
        try:
            rate = self.rec.convergence_rate(60)
            delta = round(self.rec.delta(60), 5)
        except Exception:                 # informative only
            pass
        return Verdict(equal=agree >= digits, digits=agree, required=digits,
                       convergence_rate=rate, value=mpmath.nstr(x, digits),
                       claimed=mpmath.nstr(claimed, digits), method="exact recurrence",
                       seconds=time.perf_counter() - t0,
                       reason=f"agrees to {agree:.1f} digits (required {digits})",
                       extra={"delta": delta, "delta_depth": 60},
                       measures={"delta": delta})


class TrajectoryPCF(OriginPCF):
    """A PCF that remembers the field trajectory it came from (``origin``)."""

    __slots__ = ()
    origin_key = "cmf"


def trajectory_origin(field: CMF, tr, direction, start) -> dict:
    """What the provenance keeps of a trajectory: the field, direction, start point, the PCF
    before reduction, the index shift and the Moebius map."""
    return {"name": field.name, "direction": list(direction), "start": list(start),
            "raw_a": list(tr.raw.a), "raw_b": list(tr.raw.b), "shift": tr.shift,
            "moebius": [list(r) for r in tr.moebius]}


def trajectory_pcf(field: CMF, tr, direction, start) -> "TrajectoryPCF":
    """The reduced PCF of a trajectory, remembering where it came from."""
    return TrajectoryPCF(list(tr.pcf.a), list(tr.pcf.b),
                         trajectory_origin(field, tr, direction, start))


def _oversize(pcf: PCF) -> bool:
    """Coefficients too large for the int64 kernels."""
    return max(abs(c) for c in pcf.a + pcf.b) >= INT64_SAFE


def _points(section, name: str, dim: int, example: str) -> list[list[int]]:
    value = section[name]
    if (not isinstance(value, list) or not value or not all(
            isinstance(p, list) and len(p) == dim
            and all(isinstance(x, int) and not isinstance(x, bool) for x in p) for p in value)):
        raise SearchFileError(f"generator.{name}", f"expected a list of points with {dim} integers "
                              f"each, got {value!r}", f"write e.g. {name} = {example}")
    return [list(p) for p in value]


class CMFGenerator(PCFGenerator):
    """Trajectories of a conservative matrix field, reduced to PCFs and matched like them."""

    kind = "cmf"
    description = ("trajectories of conservative matrix fields, reduced to PCFs and matched "
                   "against Moebius transforms of constants")
    # a trajectory's candidate is a PCF: `discover verify --a ... --b ...` stays with ``pcf``
    fields: dict = {}
    candidate_type = None

    search_fields = (
        Field("cmf", "str", REQUIRED, "name of a field in corpora/cmfs.toml (discover cmf list), "
              "or a label for an inline [generator.matrices] table"),
        Field("matrices", "table", None, "inline field: one matrix (list of rows of strings) per "
              "axis"),
        Field("directions", "any", None, "explicit directions [[1, 1], ...] (instead of "
              "max_step)"),
        Field("max_step", "int", 2, "every primitive direction with components up to max_step",
              min=1, max=6),
        Field("negative", "bool", False, "with max_step: allow negative components"),
        Field("starts", "any", None, "start points [[1, 1], ...] (default: all ones)"),
        Field("depth", "int", 200, "terms of the float64 screen", min=10, max=100000),
        Field("refine_depth", "int", 1000, "terms of the double-double refinement", min=20,
              max=1000000),
        Field("shard_size", "int", 4, "trajectories per shard", min=1, max=10000),
    )

    def configure(self, section: Mapping[str, Any], context: SearchContext) -> dict:
        params = self.validated(section)
        if not context.targets:
            raise SearchFileError("match.constants", "a cmf search needs at least one target",
                                  "add constants = [\"zeta3\"] to [match]")
        name = params["cmf"]
        if not name:
            raise SearchFileError("generator.cmf", "empty field name",
                                  "write cmf = \"zeta3\" (see `discover cmf list`)")
        inline = params.get("matrices")
        try:
            if inline is not None:
                field = CMF(inline, name=name)
            else:
                from .catalogue import catalogue, catalogue_field
                fields = known_cmfs()
                if name in fields:
                    field = fields[name]
                elif name in catalogue():
                    field = catalogue_field(name)
                else:
                    raise SearchFileError("generator.cmf", f"no field {name!r} in the catalogue",
                                          f"use one of {', '.join(catalogue())} or give "
                                          "[generator.matrices]")
        except SearchFileError:
            raise
        except DiscoverError as err:
            raise SearchFileError("generator.matrices", str(err),
                                  "fix the matrices so that both paths around every unit "
                                  "square give the same product") from err
        dim = len(field.axes)
        if "directions" in section and "max_step" in section:
            raise SearchFileError("generator.directions", "both directions and max_step are given",
                                  "keep only one of them")
        if "directions" in section:
            directions = _points(params, "directions", dim, str([[1] * dim]))
            if any(not any(d) for d in directions):
                raise SearchFileError("generator.directions", "contains the zero vector",
                                      "remove it; every direction needs a nonzero component")
        else:
            directions = [list(d) for d in directions_up_to(dim, params["max_step"],
                                                            params["negative"])]
        starts = (_points(params, "starts", dim, str([[1] * dim])) if "starts" in section
                  else [[1] * dim])
        return {"cmf": field.to_json(), "directions": directions, "starts": starts,
                "depth": params["depth"], "refine_depth": params["refine_depth"],
                "shard_size": params["shard_size"]}

    @staticmethod
    def _trajectories(params) -> list[tuple[list[int], list[int]]]:
        return [(d, s) for s in params["starts"] for d in params["directions"]]

    def _size(self, params) -> int:
        return len(self._trajectories(params))

    @staticmethod
    def _field(params, context: SearchContext) -> CMF:
        spec = params["cmf"]
        key = ("cmf-field", spec["name"], repr(spec["matrices"]))
        if key not in context.cache:
            context.cache[key] = CMF(spec["matrices"], name=spec["name"],
                                     constants=spec.get("constants", ()))
        return context.cache[key]

    def prepare(self, params, context: SearchContext) -> None:
        self._field(params, context)
        for name in context.targets:
            self._table(name, context)
        one = np.ones((1, 2), dtype=np.int64)
        eval_pcf_f64(one, one, 10)
        eval_pcf_dd(one, one, 10)

    def propose(self, params, shard: Shard, context: SearchContext) -> Iterator[Batch]:
        field = self._field(params, context)
        if field.size != 2:
            yield from self._propose_rank_n(field, params, shard)
            return
        found, origins = [], {}
        for d, s in self._trajectories(params)[shard.spec["start"]:shard.spec["stop"]]:
            try:
                tr = field.pcf(d, s)
            except DiscoverError as err:
                # degenerate trajectory (diagonal, singular set, pole): skipped, point named
                _LOG.info("skipped: %s", err)
                continue
            a, b = tr.pcf.a, tr.pcf.b
            origin = trajectory_origin(field, tr, d, s)
            if (a, b) not in origins:
                origins[(a, b)] = origin
                found.append((a, b))
        if not found:
            return
        na = max(len(a) for a, _ in found)
        nb = max(len(b) for _, b in found)
        A = np.zeros((len(found), na), dtype=np.int64)
        B = np.zeros((len(found), nb), dtype=np.int64)
        exact = {}      # rows whose coefficients do not fit the int64 kernels
        for i, (a, b) in enumerate(found):
            if _oversize(PCF(a, b)):
                exact[i] = (a, b)
                continue
            A[i, na - len(a):] = a
            B[i, nb - len(b):] = b
        yield Batch(params=np.concatenate([A, B], axis=1),
                    meta={"da": na - 1, "db": nb - 1, "start": shard.spec["start"],
                          "origins": origins, "exact": exact})

    # -- fields of rank N != 2: trajectories are order-N recurrences ---------------------------
    def _propose_rank_n(self, field: CMF, params, shard: Shard) -> Iterator[Batch]:
        recs, skipped = [], []
        for d, s in self._trajectories(params)[shard.spec["start"]:shard.spec["stop"]]:
            try:
                rec, info = field.recurrence(d, s)
            except DiscoverError as err:
                skipped.append(str(err))      # singular point named in the message
                _LOG.info("skipped: %s", err)
                continue
            recs.append(RecurrenceCandidate(rec, {"name": field.name, "direction": list(d),
                                                  "start": list(s), "rank": field.size}))
        if recs:
            yield Batch(params=np.arange(len(recs), dtype=np.int64).reshape(-1, 1),
                        meta={"rank_n": recs, "skipped": skipped,
                              "start": shard.spec["start"]})

    def _evaluate_rank_n(self, params, batch: Batch) -> Evaluation:
        from discover.errors import VerificationError

        from .kernels import NOT_CONVERGED, OK

        recs = batch.meta["rank_n"]
        n = len(recs)
        values, ok = np.full(n, np.nan), np.zeros(n, dtype=bool)
        status, error = np.full(n, NOT_CONVERGED, dtype=np.int64), np.full(n, np.inf)
        for i, c in enumerate(recs):
            try:
                v = float(c.rec.limit(16, max_depth=4 * params["depth"]))
            except (VerificationError, DiscoverError, ZeroDivisionError):
                continue
            values[i], ok[i], status[i], error[i] = v, True, OK, abs(v) * 1e-15
        return Evaluation(values=values, ok=ok, status=status, error=error,
                          depth=params["depth"])

    def _select_rank_n(self, params, batch, evaluation, representatives, context):
        from discover import Hit, Tier
        from discover.errors import VerificationError
        from discover.identification import identify

        from .verbs import claim_of

        hits = []
        for r in representatives.tolist():
            if not evaluation.ok[r]:
                continue
            cand = batch.meta["rank_n"][r]
            try:
                value = cand.rec.limit(_ID_DIGITS, max_depth=1 << 15)
            except (VerificationError, DiscoverError):
                continue
            found = identify(value, constants=context.targets, digits=_ID_DIGITS,
                             registry=context.constants, max_coeff=_ID_MAX_COEFF)
            if found is None or found.method != "moebius":
                continue
            target, _ = claim_of(found)
            hits.append(Hit(candidate=cand, target=target, tiers=[Tier(
                "exact recurrence", float(_ID_DIGITS), depth=0, value=mpmath.nstr(value, 20),
                digits=float(found.digits), detail={"pslq_digits": found.digits})]))
        return hits

    def verify(self, candidate, claimed, digits: int, method: str = "auto"):
        if not isinstance(candidate, RecurrenceCandidate):
            return super().verify(candidate, claimed, digits, method=method)
        return candidate.verify(claimed, digits)

    def value(self, candidate, digits: int):
        if not isinstance(candidate, RecurrenceCandidate):
            return super().value(candidate, digits)
        try:
            return candidate.rec.limit(digits, max_depth=1 << 15)
        except Exception:
            return None

    def canonical(self, candidate):
        if isinstance(candidate, RecurrenceCandidate):
            return candidate
        return super().canonical(candidate)

    def key(self, candidate) -> str:
        if isinstance(candidate, RecurrenceCandidate):
            return candidate.key()
        return super().key(candidate)

    def to_json(self, candidate) -> dict:
        if isinstance(candidate, RecurrenceCandidate):
            return candidate.to_json()
        return super().to_json(candidate)

    def describe(self, candidate) -> dict:
        if isinstance(candidate, RecurrenceCandidate):
            return {"text": candidate.text(), "latex": ""}
        return super().describe(candidate)

    def evaluate(self, params, batch: Batch) -> Evaluation:
        """The float64 kernel, and exact convergents for the rows whose coefficients exceed
        int64 (long trajectories: (3, 1) of the zeta3 field has 68-bit coefficients)."""
        from discover.errors import VerificationError

        from .kernels import NOT_CONVERGED, OK

        if "rank_n" in batch.meta:
            return self._evaluate_rank_n(params, batch)
        ev = super().evaluate(params, batch)
        for row, (a, b) in batch.meta.get("exact", {}).items():
            try:
                v = PCF(list(a), list(b)).limit(16, max_depth=4 * params["depth"])
            except VerificationError:
                ev.values[row], ev.status[row], ev.ok[row] = np.nan, NOT_CONVERGED, False
                continue
            ev.values[row], ev.status[row], ev.ok[row] = float(v), OK, True
            ev.error[row] = abs(float(v)) * 1e-16
        return ev

    def refine(self, params, hits, context):
        """Double-double for kernel-sized PCFs; 32 digits of exact convergents for the rest."""
        import mpmath

        from discover import Tier
        from discover.errors import VerificationError

        kept = [h for h in hits if isinstance(h.candidate, RecurrenceCandidate)]
        hits = [h for h in hits if not isinstance(h.candidate, RecurrenceCandidate)]
        small = [h for h in hits if not _oversize(h.candidate)]
        kept += super().refine(params, small, context)
        for h in hits:
            if not _oversize(h.candidate):
                continue
            try:
                x = h.candidate.limit(32, max_depth=params["refine_depth"])
            except VerificationError:
                continue
            _, _, agree = target_agreement(x, h.target, context)
            if agree >= 28:
                h.tiers.append(Tier("exact convergents", 32.0, depth=params["refine_depth"],
                                    value=mpmath.nstr(x, 32), digits=round(agree, 2),
                                    detail={"reason": "coefficients exceed int64"}))
                kept.append(h)
        return kept

    def select(self, params, batch, evaluation, representatives, inverse, context):
        """Identify each converged representative by PSLQ at ``_ID_DIGITS`` digits (Moebius of
        one target constant, coefficients up to ``_ID_MAX_COEFF``): walks of a field reach
        Moebius transforms whose coefficients grow with the trajectory, far beyond what a
        Moebius table can hold. The identification is only a hint; verification decides."""
        from discover import Hit, Tier
        from discover.errors import VerificationError
        from discover.identification import identify

        from .verbs import claim_of

        if "rank_n" in batch.meta:
            return self._select_rank_n(params, batch, evaluation, representatives, context)
        origins = batch.meta["origins"]
        exact = batch.meta.get("exact", {})
        A, B = self._split(batch)
        hits = []
        for r in representatives.tolist():
            if not evaluation.ok[r]:
                continue
            pcf = PCF(*map(list, exact[r])) if r in exact else PCF(A[r].tolist(), B[r].tolist())
            try:
                value = pcf.limit(_ID_DIGITS, max_depth=4000)
            except VerificationError:
                continue            # converges too slowly to identify here
            found = identify(value, constants=context.targets, digits=_ID_DIGITS,
                             registry=context.constants, max_coeff=_ID_MAX_COEFF)
            if found is None or found.method != "moebius":
                continue            # unidentified, rational, or a mix of several constants
            target, _ = claim_of(found)
            transform = target.transform
            v = float(evaluation.values[r])
            k = context.constants.get(target.constant).float()
            t = (transform[0] + transform[1] * k) / (transform[2] + transform[3] * k)
            rel = abs(v - t) / max(abs(t), 1e-300)
            hits.append(Hit(
                candidate=TrajectoryPCF(list(pcf.a), list(pcf.b), origins[(pcf.a, pcf.b)]),
                target=target,
                tiers=[Tier("float64", 15.9, depth=params["depth"], value=repr(v),
                            digits=round(-math.log10(rel), 2) if rel > 0 else 16.0,
                            detail={"error_estimate": float(evaluation.error[r]),
                                    "pslq_digits": found.digits})]))
        return hits
