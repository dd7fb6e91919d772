"""The contract between the engine and a generator plugin, and the values that flow between them.

A *generator* proposes candidates of one *kind* (``"pcf"``, ``"program"``, ...). A plugin hands
instances of :class:`Generator` subclasses to the engine through the ``discover_generators`` hook.
The engine then drives each candidate through the stages of the pipeline::

    configure -> shards -> propose (batches) -> evaluate (tier 1, numba float64)
      -> functional hash and dedup (core) -> select (match or score) -> refine (tier 2)
      -> verify (tier 3, arbitrary precision) -> identify (core, PSLQ) -> record (core)

Everything a generator returns is plain data (numpy arrays, dataclasses below, JSON-able dicts)
so that shards can run in worker processes or on a cluster.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterator, Mapping, Sequence

import numpy as np

__all__ = [
    "Generator", "Shard", "Batch", "Evaluation", "Target", "Tier", "Verdict", "Hit",
    "SearchContext",
]


@dataclass(frozen=True)
class Shard:
    """One deterministic slice of a generator's search space.

    ``index`` runs from 0 to ``total - 1``; ``spec`` is a JSON-able description from which the
    generator can rebuild exactly the same candidates on any machine; ``size`` is the number of
    candidates it holds (for progress and rates).
    """

    index: int
    total: int
    spec: Mapping[str, Any]
    size: int


@dataclass
class Batch:
    """A batch of candidates as arrays: ``params[i]`` describes candidate ``i``.

    ``params`` is a 2-D numpy array (for a PCF: the integer coefficients of a and b); ``meta``
    holds anything else the generator needs to interpret it (degrees, offsets).
    """

    params: np.ndarray
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.params.shape[0])


@dataclass
class Evaluation:
    """Tier-1 (float64) results for a batch.

    ``values`` has one row per candidate: a scalar value (shape ``(n,)``) or outputs at probe
    points (shape ``(n, p)``). ``ok`` marks candidates whose evaluation is usable; ``status`` is a
    small integer code per candidate (0 = ok; the generator documents the others, e.g. vanishing
    denominator, divergence); ``error`` is an estimate of the absolute error of ``values``.
    """

    values: np.ndarray
    ok: np.ndarray
    status: np.ndarray
    error: np.ndarray | None = None
    depth: int = 0


@dataclass(frozen=True)
class Target:
    """What a candidate's value was matched to: ``(c0 + c1 K) / (c2 + c3 K)`` for constant K."""

    constant: str
    transform: tuple[int, int, int, int]

    def expression(self) -> str:
        """The closed form as a whitelisted, sympy-parsable string in terms of the constant name."""
        from .targets import moebius_expression

        return moebius_expression(self.transform, self.constant)


@dataclass
class Tier:
    """One evaluation of a candidate at a given precision, as recorded in provenance."""

    name: str                      # "float64", "double-double", "exact", ...
    precision_digits: float        # working precision, in decimal digits
    depth: int = 0                 # terms / iterations used, where that applies
    value: str = ""                # the value obtained, as text
    digits: float | None = None    # digits agreeing with the target at this tier
    seconds: float = 0.0
    detail: dict = field(default_factory=dict)


@dataclass
class Verdict:
    """The outcome of verifying one candidate against one claimed value (tier 3).

    ``equal`` is true only when at least ``required`` digits agree *and* the candidate's own
    convergence supports that many digits. ``digits`` is the number of significant digits that
    agree (capped by what the computation can support); ``convergence_rate`` is in digits per
    term (or per iteration) where that makes sense.
    """

    equal: bool
    digits: float
    required: int
    convergence_rate: float | None = None
    depth: int = 0
    value: str = ""
    claimed: str = ""
    method: str = ""
    seconds: float = 0.0
    reason: str = ""
    tiers: list[Tier] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "equal": bool(self.equal), "digits": round(float(self.digits), 2),
            "required": self.required,
            "convergence_rate": None if self.convergence_rate is None
            else round(float(self.convergence_rate), 4),
            "depth": self.depth, "value": self.value, "claimed": self.claimed,
            "method": self.method, "seconds": round(self.seconds, 4), "reason": self.reason,
            **self.extra,
        }


@dataclass
class Hit:
    """A candidate that survived selection, travelling through refine, verify and identify."""

    candidate: Any                       # the generator's own candidate object (picklable)
    target: Target | None = None
    tiers: list[Tier] = field(default_factory=list)
    score: float | None = None
    verdict: Verdict | None = None
    expression: str | None = None        # closed form, once identified
    identification: dict = field(default_factory=dict)
    variants: list = field(default_factory=list)   # other raw forms found for the same formula


@dataclass
class SearchContext:
    """What a generator may use while it works on a shard: the targets and the precision policy.

    Built by the engine from the search file's ``[search]``, ``[match]`` and ``[verify]`` tables.
    """

    constants: Any                      # discover.constants.ConstantRegistry
    targets: tuple[str, ...] = ()       # constant names to match against
    verify_digits: int = 100
    match: Mapping[str, Any] = field(default_factory=dict)
    identification_basis: Mapping[str, Sequence[str]] = field(default_factory=dict)
    cache: dict = field(default_factory=dict)   # per-process memo (tables); never pickled back


class Generator(abc.ABC):
    """Base class of a candidate generator. Subclass it in a plugin; the engine calls the methods.

    Class attributes
    ----------------
    kind:
        Unique name of the candidate kind (``"pcf"``); the ``[generator] kind`` of a search file.
    version:
        Version recorded in every provenance graph.
    fields:
        Names (and help texts) of the fields that describe one candidate on the command line and
        in :func:`discover.verify`, e.g. ``{"a": "polynomial a(n)", "b": "polynomial b(n)"}``.
    hash_digits:
        Significant digits kept by the functional hash of this kind's tier-1 values.
    candidate_type:
        The class of this kind's candidates (lets :func:`discover.verify` accept an object).
    """

    kind: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    description: ClassVar[str] = ""
    fields: ClassVar[Mapping[str, str]] = {}
    hash_digits: ClassVar[int] = 12
    candidate_type: ClassVar[type | None] = None

    # -- search definition ----------------------------------------------------------------
    @abc.abstractmethod
    def configure(self, section: Mapping[str, Any], context: SearchContext) -> Mapping[str, Any]:
        """Validate the ``[generator]`` table of a search file and return normalised parameters.

        The result must be JSON-able (it is hashed and stored with the run). Raise
        :class:`discover.errors.SearchFileError` naming the field and the fix on bad input.
        """

    def reject_unknown_fields(self, section: Mapping[str, Any], allowed) -> None:
        """Raise :class:`discover.errors.SearchFileError` for a ``[generator]`` field not in
        ``allowed``, naming it and listing the valid ones (call it first in ``configure``)."""
        from .errors import SearchFileError

        for key in section:
            if key not in allowed:
                raise SearchFileError(f"generator.{key}", f"unknown field for kind {self.kind!r}",
                                      f"use one of: {', '.join(sorted(allowed))}")

    def schema(self) -> Mapping[str, str]:
        """Search-file fields this generator accepts, mapped to a one-line description."""
        return {}

    @abc.abstractmethod
    def shards(self, params: Mapping[str, Any]) -> Sequence[Shard]:
        """Split the space into deterministic shards (same params -> same shards, same order)."""

    def prepare(self, params: Mapping[str, Any], context: SearchContext) -> None:
        """Build shared read-only state once per run, before shards are dispatched (optional).

        Store it in ``context.cache``; worker processes forked afterwards inherit it.
        """

    # -- tier 1 -------------------------------------------------------------------------
    @abc.abstractmethod
    def propose(self, params: Mapping[str, Any], shard: Shard,
                context: SearchContext) -> Iterator[Batch]:
        """Yield the batches of candidates of ``shard``."""

    @abc.abstractmethod
    def evaluate(self, params: Mapping[str, Any], batch: Batch) -> Evaluation:
        """Evaluate a batch in float64 with a numba kernel (tier 1)."""

    # -- selection and refinement ------------------------------------------------------
    @abc.abstractmethod
    def select(self, params: Mapping[str, Any], batch: Batch, evaluation: Evaluation,
               representatives: np.ndarray, inverse: np.ndarray,
               context: SearchContext) -> list[Hit]:
        """Match or score the batch and return the hits worth refining.

        The engine has already hashed the tier-1 values: ``representatives`` holds one index per
        distinct functional hash among the usable candidates and ``inverse[i]`` is the position in
        ``representatives`` of candidate ``i``'s hash (or -1 if candidate ``i`` is unusable).
        Do the expensive matching on representatives only, then expand to all members.
        """

    def refine(self, params: Mapping[str, Any], hits: list[Hit],
               context: SearchContext) -> list[Hit]:
        """Re-evaluate hits in extended precision (tier 2) and drop coincidences. Default: keep all."""
        return hits

    # -- tier 3 and description --------------------------------------------------------
    @abc.abstractmethod
    def verify(self, candidate: Any, claimed, digits: int) -> Verdict:
        """Verify ``candidate`` against the claimed value (an mpmath number at >= digits + 20
        digits) in arbitrary precision, and return a :class:`Verdict`."""

    def value(self, candidate: Any, digits: int):
        """The candidate's own value to ``digits`` digits (an mpf), for identification.

        ``None`` (the default) means the kind has no single value; identification is skipped.
        """
        return None

    def canonical(self, candidate: Any) -> Any:
        """Return the canonical representative of ``candidate``'s equivalence class."""
        return candidate

    @abc.abstractmethod
    def key(self, candidate: Any) -> str:
        """A string that is equal for equivalent candidates (used by the store to dedup)."""

    @abc.abstractmethod
    def to_json(self, candidate: Any) -> dict:
        """The candidate as a JSON-able dict (the fields of ``discover show --json``)."""

    @abc.abstractmethod
    def from_fields(self, fields: Mapping[str, Any]) -> Any:
        """Build a candidate from user-given fields (strings or lists), parsed safely."""

    def describe(self, candidate: Any) -> dict:
        """Text and LaTeX descriptions: ``{"text": ..., "latex": ...}``."""
        return {"text": str(candidate), "latex": str(candidate)}

    def convergence(self, candidate: Any, depth: int = 200) -> list[tuple[int, float]] | None:
        """Points ``(n, log10 of the error estimate at step n)`` for reports (optional).

        ``None`` (the default) means the kind has no convergence curve.
        """
        return None

    def tell(self, params: Mapping[str, Any], batch: Batch, hits: list[Hit]) -> None:
        """Feedback after a batch (evolutionary generators use it). Default: nothing."""
