"""The ``esma`` generator: ESMA conjectures verified and recorded by the engine.

An ESMA search expands one value (a corpus constant or a safe expression) into its simple
continued fraction, looks for an interlaced polynomial pattern in the partial quotients and
turns it into a PCF (:func:`discover_plugins.cf.esma.analyse`). It runs in rounds (ask/tell):
round 0 has one task, the analysis of the value, run on the backend; ``tell`` hands each
conjecture to the engine as a hit, and the engine verifies it (the pcf tier 3, delta included),
identifies the canonical form, verifies that closed form and records the formula with its
provenance, in one transaction with the generator's state. The state keeps the whole analysis
(expansion, recurrence, every conjecture, verified or not): ``discover esma`` prints it.

Search file::

    [search]
    name = "esma-e"
    kind = "esma"

    [generator]
    value = "e"        # corpus name (`discover constants`) or expression, e.g. "exp(2)"
    dps = 600          # working digits of the expansion

    [verify]
    digits = 100

Discoveries have the pcf key (``pcf:a=...;b=...`` of the canonical form), so a formula found
by ESMA and by a pcf search is one discovery. The candidate node of the provenance records the
value, the pattern and the Moebius map (``esma`` attribute).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Mapping

from discover import Hit, SearchContext, SearchFileError, Target, Tier
from discover.errors import ExpressionError
from discover.generator import REQUIRED, Field, RoundOutcome, Task

from .esma import analyse
from .generator import PCF_LIKE_MEASURES, PCFGenerator
from .pcf import PCF, OriginPCF

__all__ = ["ESMAGenerator", "EsmaPCF", "esma_search", "run_esma"]


class EsmaPCF(OriginPCF):
    """A PCF that remembers the ESMA pattern it was conjectured from (``origin``)."""

    __slots__ = ()
    origin_key = "esma"


def _moebius_target(constant: str, moebius) -> Target:
    """The target of a conjecture on a corpus constant K: the PCF's value
    ``x = (m11 K - m01)/(m00 - m10 K)``, as ``(c0 + c1 K)/(c2 + c3 K)``."""
    (m00, m01), (m10, m11) = moebius
    return Target(constant, (-m01, m11, m00, -m10))


class ESMAGenerator(PCFGenerator):
    """ESMA: PCFs conjectured from the pattern of a value's simple continued fraction."""

    kind = "esma"
    mode = "rounds"
    description = ("ESMA: PCFs conjectured from patterns in a value's simple continued "
                   "fraction, verified like pcf discoveries")
    fields: dict = {}          # `discover verify --a ... --b ...` stays with ``pcf``
    candidate_type = None
    search_fields = (
        Field("value", "str", REQUIRED, "corpus constant name (`discover constants`) or "
              "expression of them, e.g. \"e\" or \"exp(2)\""),
        Field("dps", "int", 600, "working digits of the expansion (the terms it supports are "
              "used)", min=50, max=100000),
    )
    measures = PCF_LIKE_MEASURES

    def configure(self, section: Mapping[str, Any], context: SearchContext) -> dict:
        params = self.validated(section)
        text = params["value"].strip()
        registry = context.constants
        try:
            name = registry.get(text).name if text in registry else text
            registry.parse(name)
        except ExpressionError as err:
            raise SearchFileError("generator.value", str(err),
                                  f"use a corpus name or an expression of them (known "
                                  f"constants: {', '.join(registry.names())})") from None
        return {"value": name, "dps": params["dps"]}

    def prepare(self, params, context: SearchContext) -> None:
        """Nothing to build: the analysis is one task."""

    # -- rounds: one task, the analysis of the value -------------------------------------
    def start(self, params, ctx: SearchContext) -> dict:
        return {"value": params["value"], "analysis": None}

    def ask(self, params, state, round, ctx: SearchContext) -> list[Task]:
        if round > 0 or state.get("analysis") is not None:
            return []
        return [Task(round, 0, {"value": params["value"], "dps": params["dps"]})]

    def work(self, params, task: Task, ctx: SearchContext) -> dict:
        return analyse(task.spec["value"], task.spec["dps"], ctx.constants)

    def tell(self, params, state, round, results, ctx: SearchContext) -> RoundOutcome:
        (analysis,) = results
        value = analysis["value"]
        corpus = value in ctx.constants
        hits = []
        for conj in analysis["conjectures"]:
            origin = {"value": value, "pattern": conj["pattern"], "moebius": conj["moebius"],
                      "checked_terms": conj["checked_terms"]}
            tier = Tier("pattern", float(params["dps"]), depth=conj["checked_terms"],
                        value=conj["expression"],
                        detail={"pattern": conj["pattern"], "moebius": conj["moebius"],
                                "terms": analysis["terms"]})
            cand = EsmaPCF(conj["a"], conj["b"], origin)
            if corpus:
                hits.append(Hit(candidate=cand, target=_moebius_target(value, conj["moebius"]),
                                tiers=[tier]))
            else:
                hits.append(Hit(candidate=cand, expression=conj["expression"], tiers=[tier]))
        return RoundOutcome(state={"value": value, "analysis": analysis}, hits=hits,
                            finished=True, stats={"conjectures": len(hits)})


# ---------------------------------------------------------------------------------------------
# the short form: discover esma VALUE
# ---------------------------------------------------------------------------------------------
def esma_search(value: str, dps: int = 600, digits: int = 100) -> dict:
    """The search dict of ``discover esma VALUE --dps D --digits N``."""
    return {"search": {"name": f"esma-{value.strip()}", "kind": "esma",
                       "description": f"ESMA on {value.strip()}"},
            "generator": {"value": value, "dps": dps}, "verify": {"digits": digits}}


def _claim(conj: dict, value: str, constants) -> str:
    if value in constants:
        return _moebius_target(value, conj["moebius"]).expression()
    return conj["expression"]


def run_esma(value: str | None, dps: int = 600, digits: int = 100, *, store=None, plugins=None,
             search: dict | None = None, workers: int = 1) -> dict:
    """Run an ESMA search through the engine (see :func:`discover_plugins.cf.esma.esma`)."""
    from discover import api
    from discover.hashtable import HashTable
    from discover.store import Store

    pl = plugins or api.plugins()
    data = search if search is not None else esma_search(value, dps, digits)
    s = api.load(data, plugins=pl)
    if s.kind != "esma":
        raise SearchFileError("search.kind", f"{s.kind!r} is not an esma search",
                              "write kind = \"esma\" in [search]", path=s.path)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(store) if store is not None else Path(tmp) / "esma.sqlite"
        summary = api.run(s, store=path, workers=workers, plugins=pl)
        with Store(path, readonly=True) as st:
            last = st.last_round(summary.run_id)
        hashes = HashTable(path)
        state = (last[1] if last else {}).get("generator") or {}
        analysis = dict(state.get("analysis") or {"value": s.params["value"], "terms": 0,
                                                   "expansion": [], "recurrence": None,
                                                   "conjectures": []})
        by_key = {d.key: d for d in summary.discoveries}
        conjectures = []
        for conj in analysis.get("conjectures", []):
            key = PCF(conj["a"], conj["b"]).key()
            rec = by_key.get(key)
            out = dict(conj)
            if rec is not None:
                out.update(verified=True, digits=round(float(rec.digits or 0.0), 1),
                           discovery=rec.id if store is not None else None, reason="")
            else:
                claim = _claim(conj, analysis["value"], pl.constants)
                seen = hashes.get("verify", f"esma|{key}|{claim}|{s.verify_digits}") or {}
                out.update(verified=False, digits=round(float(seen.get("digits", 0.0)), 1),
                           discovery=None,
                           reason=f"not verified to {s.verify_digits} digits")
            conjectures.append(out)
    analysis["conjectures"] = conjectures
    analysis["run_id"] = summary.run_id
    analysis["store"] = str(store) if store is not None else None
    analysis["dps"] = s.params["dps"]
    analysis["digits"] = s.verify_digits
    return analysis
