"""A third-party generator: values q * atan(1/p), matched against the targets' Moebius tables."""

from __future__ import annotations

import math

import mpmath
import numba
import numpy as np

from discover import Batch, Evaluation, Generator, Hit, Shard, Target, Tier, Verdict, hookimpl
from discover.targets import MoebiusTable


@numba.njit(cache=True)
def _atan_kernel(p, out):
    for i in range(p.shape[0]):
        out[i] = math.atan(1.0 / p[i])


class AtanGenerator(Generator):
    kind = "atan"
    version = "0.3.0"
    fields = {"p": "the integer p of atan(1/p)"}

    def configure(self, section, context):
        return {"p_max": int(section.get("p_max", 50))}

    def shards(self, params):
        n = params["p_max"]
        return [Shard(i, 2, {"lo": 1 + i * (n // 2), "hi": n if i else n // 2}, n // 2)
                for i in range(2)]

    def prepare(self, params, context):
        for name in context.targets:
            context.cache[name] = MoebiusTable.build(name, context.constants.get(name).float(), 6)

    def propose(self, params, shard, context):
        yield Batch(np.arange(shard.spec["lo"], shard.spec["hi"] + 1,
                              dtype=np.float64).reshape(-1, 1))

    def evaluate(self, params, batch):
        out = np.empty(len(batch))
        _atan_kernel(np.ascontiguousarray(batch.params[:, 0]), out)
        return Evaluation(out, np.isfinite(out), np.zeros(len(batch), np.int8))

    def select(self, params, batch, evaluation, representatives, inverse, context):
        hits = []
        for name in context.targets:
            table = context.cache[name]
            vals = evaluation.values[representatives]
            q, t = table.match(vals, np.full(vals.shape, 1e-12))
            for qi, ti in zip(q, t):
                p = int(batch.params[representatives[qi], 0])
                hits.append(Hit(candidate=p, target=Target(name, table.transform(int(ti))),
                                tiers=[Tier("float64", 15.9, value=repr(float(vals[qi])))]))
        return hits

    def verify(self, candidate, claimed, digits):
        with mpmath.workdps(digits + 20):
            x = mpmath.atan(mpmath.mpf(1) / candidate)
            diff = abs(x - claimed)
            agree = float(-mpmath.log10(diff / abs(claimed))) if diff else float(digits + 20)
        return Verdict(equal=agree >= digits, digits=min(agree, digits + 20), required=digits,
                       value=mpmath.nstr(x, 20), method="mpmath atan")

    def value(self, candidate, digits):
        with mpmath.workdps(digits + 10):
            return mpmath.atan(mpmath.mpf(1) / candidate)

    def key(self, candidate):
        return f"atan:{candidate}"

    def to_json(self, candidate):
        return {"p": candidate}

    def from_fields(self, fields):
        return int(fields["p"])

    def describe(self, candidate):
        return {"text": f"atan(1/{candidate})", "latex": rf"\arctan(1/{candidate})"}


@hookimpl
def discover_generators():
    return [AtanGenerator()]
