"""The continued-fraction verbs on the one record path (:mod:`discover.pipeline`).

``discover cmf walk`` and ``discover cluster`` find a closed form for a PCF's limit themselves
(PSLQ on the value: the claim, as a generator's ``select`` makes one). Everything after the
claim is the engine's: :func:`verify_claim` hands the candidate and its claim to
:func:`discover.pipeline.verify_hit` (the function behind :func:`discover.pipeline.check`:
tier 3 with delta, PSLQ identification of the canonical form, verification of that closed form,
provenance) and :func:`record` stores the verified findings as a run of the verb
(:func:`discover.pipeline.record_verb`). ESMA runs as a search of its own
(:mod:`discover_plugins.cf.esma_generator`).
"""

from __future__ import annotations

from typing import Any, Sequence

from discover import Hit, SearchContext, Target
from discover.pipeline import Finding, record_verb, verify_hit

__all__ = ["claim_of", "verb_context", "verify_claim", "record"]


def claim_of(found) -> tuple[Target | None, str | None]:
    """``(target, expression)`` for a :class:`discover.identification.Identification`: a
    Moebius transform of one constant becomes a :class:`Target` (the record then names its
    constant), anything else the closed form as an expression."""
    if found.method == "moebius" and len(found.constants) == 1:
        r0, r1, r2, r3 = found.relation
        return Target(found.constants[0], (-r2, -r3, r0, r1)), None  # x = -(r2 + r3 K)/(r0 + r1 K)
    return None, found.expression


def _plugins(plugins):
    if plugins is not None:
        return plugins
    from discover.api import plugins as default

    return default()


def verb_context(digits: int, constants: Sequence[str] = (), plugins=None) -> SearchContext:
    """The context of a verb's verification: ``digits`` required, ``constants`` as targets
    (their identification bases from the plugins)."""
    pl = _plugins(plugins)
    names = tuple(pl.constants.get(c).name for c in constants)
    return SearchContext(constants=pl.constants, targets=names, verify_digits=int(digits),
                         identification_basis={c: pl.identification_basis(c) for c in names})


def verify_claim(gen, candidate: Any, ctx: SearchContext, *, target: Target | None = None,
                 expression: str | None = None, tiers=(), search: dict | None = None
                 ) -> tuple[Finding | None, Any]:
    """Verify ``candidate`` against its claim through the one record path.

    Returns ``(finding, verdict)``: the finding (record and provenance, ready for
    :func:`record`) or None when tier 3 rejects the claim, and the verdict of the candidate
    itself (digits, rate, delta, reason), which the verbs print either way.
    """
    hit = Hit(candidate=candidate, target=target, tiers=list(tiers), expression=expression)
    finding = verify_hit(gen, hit, ctx, dict(search or {}), {})
    return finding, hit.verdict


def record(store, *, name: str, gen, findings: Sequence[Finding], search: dict,
           plugins=None) -> dict:
    """Record a verb's verified findings in ``store`` as a run of its own (mode ``verb``);
    returns ``{"store", "run", "recorded", "new"}``."""
    run_id, results = record_verb(str(store), name=name, gen=gen, findings=list(findings),
                                  plugins=_plugins(plugins), search=search)
    return {"store": str(store), "run": run_id, "recorded": len(results),
            "new": sum(1 for _rec, is_new in results if is_new)}
