"""The one path from a candidate to a stored discovery: verify -> identify -> verify the closed
form -> record -> notify.

The engine uses it for every shard and round, and so does every verb that produces a verified
result (``esma``, ``cluster``, ``cmf walk``, ``evolve``, ``prove``): nothing reaches the store
another way.

- :func:`check` takes a candidate and what it claims (a matched target, a closed form, or nothing
  for kinds whose verdict is their own independent check: a program's dense re-measurement, a
  theorem's proof checker) and returns a :class:`Finding` (a record and its provenance graph) or
  ``None`` when tier 3 rejects it. Near misses are rejected here and nowhere else.
- :func:`record_findings` writes findings with :meth:`discover.store.Store.record_unit` (one
  transaction with the unit's completion and its functional hashes) and notifies the
  ``discover_on_discovery`` listeners once per discovery.
- :func:`record_verb` records the findings of a verb as a run of their own (mode ``verb``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Iterable

import mpmath
import numpy as np

from .generator import Generator, Hit, SearchContext, Target, Verdict
from .hashing import value_keys
from .identification import identify
from .provenance import build_provenance
from .store import DiscoveryRecord, Store
from .targets import apply_transform

__all__ = ["Finding", "claimed_value", "verify_candidate", "check", "verify_hit",
           "record_findings", "record_verb"]


@dataclass
class Finding:
    """A verified candidate ready to record: its record, provenance graph and hit.

    ``known`` marks a candidate whose verification the functional hash table already holds (same
    canonical form, same claim): it is linked to the run without being verified again.
    """

    record: DiscoveryRecord
    graph: Any
    hit: Hit | None = None
    known: bool = False


def claimed_value(expression: str, constants, digits: int):
    """Evaluate a whitelisted closed form over the registry at ``digits`` (+ guard digits)."""
    return constants.evaluate(expression, digits + 30)


def verify_methods(gen: Generator) -> tuple[str, ...]:
    """The verification methods a generator offers besides ``"auto"`` (its ``verify`` takes a
    ``method`` keyword and lists them in ``verify_methods``); empty for most generators."""
    return tuple(getattr(gen, "verify_methods", ()) or ())


def verify_candidate(gen: Generator, candidate: Any, claimed, digits: int,
                     method: str = "auto") -> Verdict:
    """Run the generator's tier-3 verification, timing it; never lets an exception escape.

    ``method`` other than ``"auto"`` is passed to generators that offer verification methods
    (:func:`verify_methods`); callers check it first.
    """
    t0 = time.perf_counter()
    try:
        if method != "auto":
            verdict = gen.verify(candidate, claimed, digits, method=method)
        else:
            verdict = gen.verify(candidate, claimed, digits)
    except Exception as err:  # a verification that crashes is a rejection, not a crash
        verdict = Verdict(equal=False, digits=0.0, required=digits,
                          reason=f"verification raised {type(err).__name__}: {err}")
    if not verdict.seconds:
        verdict.seconds = time.perf_counter() - t0
    return verdict


def _value_key(value) -> str | None:
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not np.isfinite(v):
        return None
    k1, _ = value_keys(np.array([v]), digits=12)
    return str(int(k1[0]))


def identify_value(gen: Generator, candidate, constant: str | None, ctx: SearchContext,
                   basis: list[str], digits: int) -> dict:
    """A closed form for the candidate's own value: first a value already identified in the
    functional hash table (by any generator), verified again; then PSLQ at full precision."""
    value = gen.value(candidate, digits + 20)
    if value is None:
        return {}
    vkey = _value_key(value)
    if ctx.hashes is not None and vkey is not None:
        seen = ctx.hashes.get("value", vkey)
        if seen and seen.get("expression"):
            v = verify_candidate(gen, candidate, claimed_value(seen["expression"], ctx.constants,
                                                               digits), digits)
            if v.equal:
                return {"method": "functional hash table (value identified before by "
                                  f"{seen.get('kind', '?')})", "expression": seen["expression"],
                        "constant": seen.get("constant"), "digits": round(v.digits, 2),
                        "_verdict": v}
    names = [constant] if constant else None
    found = identify(value, constants=names, digits=digits + 15, registry=ctx.constants,
                     extra_basis=basis)
    if found is None:
        return {}
    return {"method": f"pslq ({found.method})", "expression": found.expression,
            "relation": found.relation, "basis": found.basis, "digits": round(found.digits, 2)}


def check(gen: Generator, candidate: Any, ctx: SearchContext, *, target: Target | None = None,
          expression: str | None = None, tiers=(), search_meta: dict | None = None,
          stats: dict | None = None, identify_closed_form: bool = True) -> Finding | None:
    """Verify one candidate (against a target, a closed form, or its own check) and build its
    record and provenance; ``None`` when rejected. See :func:`verify_hit`."""
    hit = Hit(candidate=candidate, target=target, tiers=list(tiers), expression=expression)
    return verify_hit(gen, hit, ctx, search_meta or {}, stats if stats is not None else {},
                      identify_closed_form=identify_closed_form)


def _bump(stats: dict, key: str) -> None:
    stats[key] = stats.get(key, 0) + 1


def verify_hit(gen: Generator, hit: Hit, ctx: SearchContext, search_meta: dict, stats: dict,
               *, identify_closed_form: bool = True) -> Finding | None:
    """Tier 3 on the found form against its claim, then identification of the canonical form
    (verified in turn), then the record and its provenance graph."""
    digits = ctx.verify_digits
    canon = gen.canonical(hit.candidate)
    key = gen.key(canon)
    target = hit.target
    constant = target.constant if target is not None else None
    claim = target.expression() if target is not None else hit.expression
    hkey = f"{gen.kind}|{key}|{claim or '-'}|{digits}"
    if ctx.hashes is not None:
        seen = ctx.hashes.get("verify", hkey)
        if seen is not None:
            _bump(stats, "verify_cached")
            if not seen.get("equal"):
                _bump(stats, "rejected")
                return None
            _bump(stats, "verified")
            rec = DiscoveryRecord(kind=gen.kind, key=key, params=gen.to_json(canon), digits=None,
                                  text="", latex="")
            return Finding(rec, None, hit, known=True)
    if target is not None:
        k = ctx.constants.get(constant).value(digits + 40)
        with mpmath.workdps(digits + 40):
            claimed = apply_transform(target.transform, k)
        verdict = verify_candidate(gen, hit.candidate, claimed, digits)
    elif hit.expression:
        verdict = verify_candidate(gen, hit.candidate,
                                   claimed_value(hit.expression, ctx.constants, digits), digits)
    else:   # a kind without a claimed value: its own independent check is the verdict
        verdict = verify_candidate(gen, hit.candidate, None, digits)
    hit.verdict = verdict
    if ctx.hashes is not None:
        ctx.hashes.add("verify", hkey, gen.kind,
                       {"equal": bool(verdict.equal), "digits": round(float(verdict.digits), 2)})
    if not verdict.equal:
        _bump(stats, "rejected")
        return None
    _bump(stats, "verified")
    expression = claim
    stored, stored_verdict = hit.candidate, verdict
    if identify_closed_form and gen.value(canon, 20) is not None:
        # Identify the canonical form independently and verify that closed form too; if that
        # fails, the found form is stored with the claimed closed form.
        ident = identify_value(gen, canon, constant, ctx,
                               list(ctx.identification_basis.get(constant or "", ())), digits)
        if ident:
            cverdict = ident.pop("_verdict", None) or verify_candidate(
                gen, canon, claimed_value(ident["expression"], ctx.constants, digits), digits)
            if cverdict.equal:
                stored, stored_verdict, expression = canon, cverdict, ident["expression"]
                constant = constant or ident.pop("constant", None) or _constant_of(
                    expression, ctx)
                ident.pop("constant", None)
                hit.identification = {**ident, "of": "canonical form",
                                      "verified_digits": round(cverdict.digits, 2)}
        if stored is not canon and expression:
            hit.identification = hit.identification or {
                "method": "moebius transform of the match" if target is not None
                else "the claimed closed form", "expression": expression, "of": "found form"}
        if ctx.hashes is not None and expression:
            vkey = _value_key(gen.value(stored, 30))
            if vkey is not None:
                ctx.hashes.add("value", vkey, gen.kind,
                               {"expression": expression, "constant": constant,
                                "kind": gen.kind})
    elif stored is not canon and gen.key(stored) == key:
        stored = canon
    desc = gen.describe(stored)
    has_value = stored_verdict.required and (target is not None or hit.expression
                                             or expression)
    measures = dict(stored_verdict.measures)
    digits_measured = None
    if has_value:
        digits_measured = float(stored_verdict.digits)
        measures = {"digits": round(digits_measured, 2),
                    "convergence_rate": None if stored_verdict.convergence_rate is None
                    else round(float(stored_verdict.convergence_rate), 4), **measures}
    rec = DiscoveryRecord(
        kind=gen.kind, key=key, params=gen.to_json(stored), digits=digits_measured,
        text=desc.get("text", ""), latex=desc.get("latex", ""), constant=constant,
        expression=expression,
        convergence_rate=stored_verdict.convergence_rate if has_value else None,
        verdict=stored_verdict.to_dict(), extra=dict(stored_verdict.extra), measures=measures,
        method=stored_verdict.method)
    discovery = {"key": key, **gen.to_json(stored), **measures, "method": rec.method}
    if has_value:
        discovery.update({"constant": constant, "expression": expression})
    graph = build_provenance(
        search=search_meta,
        generator={"kind": gen.kind, "version": gen.version,
                   "plugin": getattr(gen, "_plugin", "")},
        candidate=gen.to_json(hit.candidate), hit=hit, verdict=hit.verdict, discovery=discovery)
    try:
        gen.provenance(hit.candidate, graph)
    except Exception as err:  # provenance extras must never lose a verified result
        graph.graph["provenance_error"] = f"{type(err).__name__}: {err}"
    return Finding(rec, graph, hit)


def _constant_of(expression: str, ctx: SearchContext) -> str | None:
    try:
        from .safeexpr import parse

        names = sorted(n for n in parse(expression, allow_any_name=True).names()
                       if n in ctx.constants)
    except Exception:
        return None
    return names[0] if len(names) == 1 else None


def record_findings(store: Store, run_id: int, findings: Iterable[Finding], plugins=None, *,
                    index: int = 0, unit: str = "shard", candidates: int = 0, hits: int = 0,
                    seconds: float = 0.0, stats: dict | None = None, error: str | None = None,
                    state: dict | None = None, hashes: Iterable[tuple] = (),
                    on_warning=None) -> list[tuple[DiscoveryRecord, bool]]:
    """Write a unit's findings (one transaction) and notify ``discover_on_discovery``."""
    findings = list(findings)
    results = store.record_unit(run_id, index, [(f.record, f.graph) for f in findings],
                                unit=unit, candidates=candidates, hits=hits, seconds=seconds,
                                stats=stats, error=error, state=state, hashes=hashes)
    if plugins is not None:
        for rec, is_new in results:
            for problem in plugins.notify_discovery(rec, run_id, is_new):
                if on_warning is not None:
                    on_warning(problem)
    return results


def record_verb(store: Store | str, *, name: str, gen: Generator, findings: Iterable[Finding],
                plugins=None, search: dict | None = None, candidates: int = 0,
                seconds: float = 0.0, stats: dict | None = None) -> tuple[int, list]:
    """Record a verb's findings as a run of their own (mode ``verb``); returns ``(run_id,
    [(record, is_new)])``. ``search`` is what the verb was asked (stored with the run)."""
    import hashlib
    import json

    own = not isinstance(store, Store)
    st = Store(store) if own else store
    try:
        search = dict(search or {})
        h = hashlib.sha256(json.dumps({"verb": name, **search}, sort_keys=True,
                                      default=str).encode()).hexdigest()[:16]
        run_id = st.create_run(name, gen.kind, h, search, gen.version, 1, mode="verb")
        findings = list(findings)
        hashes = []
        results = record_findings(st, run_id, findings, plugins, index=0, unit="shard",
                                  candidates=candidates or len(findings), hits=len(findings),
                                  seconds=seconds, stats=stats, hashes=hashes)
        st.finish_run(run_id, "complete", dict(stats or {}))
        return run_id, results
    finally:
        if own:
            st.close()
