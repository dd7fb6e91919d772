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
    "SearchContext", "Field", "REQUIRED", "Task", "RoundOutcome", "Measure",
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
    measures: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "equal": bool(self.equal), "digits": round(float(self.digits), 2),
            "required": self.required,
            "convergence_rate": None if self.convergence_rate is None
            else round(float(self.convergence_rate), 4),
            "depth": self.depth, "value": self.value, "claimed": self.claimed,
            "method": self.method, "seconds": round(self.seconds, 4), "reason": self.reason,
            **({"measures": self.measures} if self.measures else {}),
            **self.extra,
        }

    def _repr_html_(self) -> str:
        """A verdict in Jupyter: accepted or not, by which method, with the measures."""
        from html import escape

        word = "EQUAL" if self.equal else "NOT EQUAL"
        if self.required:
            head = f"{self.digits:.1f} digits agree (required {self.required})"
        else:
            head = "independent check" + (" passed" if self.equal else " failed")
        rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>"
                       for k, v in self.measures.items())
        why = f"<br>reason: {escape(self.reason)}" if self.reason else ""
        claimed = f"<br>claimed <code>{escape(self.claimed[:60])}</code>" if self.claimed else ""
        return (f"<div><b>{word}</b>: {escape(head)}; method {escape(self.method or '-')}"
                f"{claimed}{why}<table>{rows}</table></div>")


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


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
"""Default of a :class:`Field` that the search file must give."""


@dataclass(frozen=True)
class Field:
    """One field of a generator's ``[generator]`` table, declared once by the generator.

    The core validator (:func:`discover.schema.validate_fields`) enforces it for every search
    file, ``--set`` override and short-form verb, and ``discover plugins --verbose`` prints it.

    ``type`` is one of ``"int"``, ``"float"`` (integers accepted), ``"str"``, ``"bool"``,
    ``"list[int]"``, ``"list[float]"``, ``"list[str]"``, ``"table"`` (a TOML table, checked by
    the generator's ``configure``) or ``"any"``. ``min``/``max`` bound numbers and the items of
    number lists; ``min_items``/``max_items`` bound list lengths; ``choices`` lists the allowed
    values. ``default`` is :data:`REQUIRED` when the field must be given, ``None`` when it is
    optional without a default.
    """

    name: str
    type: str
    default: Any = None
    help: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple | None = None
    min_items: int | None = None
    max_items: int | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def describe(self) -> str:
        """One line for ``discover plugins --verbose``."""
        bits = [self.type]
        if self.min is not None or self.max is not None:
            lo = "" if self.min is None else f"{self.min:g}"
            hi = "" if self.max is None else f"{self.max:g}"
            bits.append(f"in [{lo}, {hi}]")
        if self.choices:
            bits.append("one of " + ", ".join(map(str, self.choices)))
        if self.min_items is not None or self.max_items is not None:
            bits.append(f"{self.min_items or 0}..{self.max_items or ''} items")
        bits.append("required" if self.required else
                    ("optional" if self.default is None else f"default {self.default!r}"))
        return f"{self.help} ({'; '.join(bits)})" if self.help else "; ".join(bits)


@dataclass(frozen=True)
class Measure:
    """One quantity a kind records for each discovery (declared in ``Generator.measures``).

    ``name`` is the key in ``discover show --json`` and in the store's measures; ``better``
    says which direction is an improvement (``"higher"``, ``"lower"`` or ``""``) for tables and
    reports; ``unit`` and ``help`` are for people.
    """

    name: str
    help: str = ""
    unit: str = ""
    better: str = ""


@dataclass(frozen=True)
class Task:
    """One unit of an adaptive round's work, run on a backend (an island, a batch of proofs).

    ``spec`` is JSON-able and, with the search's parameters, enough to do the work on any
    machine: the engine pickles tasks to local workers and to Dask.
    """

    round: int
    index: int
    spec: Mapping[str, Any]
    size: int = 1


@dataclass
class RoundOutcome:
    """What :meth:`Generator.tell` returns after a round.

    ``state`` is the generator's new state (JSON-able; stored in the same transaction as the
    round's discoveries); ``hits`` are candidates for the engine to verify and record now;
    ``finished`` ends the run; ``stats`` are counters for the run summary (summed over rounds).
    """

    state: dict
    hits: list = field(default_factory=list)
    finished: bool = False
    stats: dict = field(default_factory=dict)


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
    hashes: Any = None      # discover.hashtable.HashTable: the store's functional hash table
    seed: int = 0           # the search's seed (adaptive kinds draw from it)


PCF_MEASURES = (Measure("digits", "significant digits verified", "digits", "higher"),
                Measure("convergence_rate", "digits gained per term", "digits/term", "higher"))


class Generator(abc.ABC):
    """Base class of a candidate generator. Subclass it in a plugin; the engine calls the methods.

    A generator runs in one of two modes (class attribute ``mode``):

    ``"shards"`` (enumeration)
        A fixed space cut into deterministic shards: implement :meth:`shards`, :meth:`propose`,
        :meth:`evaluate`, :meth:`select` (and optionally :meth:`refine`). A shard's
        discoveries and "done" are one store transaction.
    ``"rounds"`` (adaptive search: evolution, saturation of proofs)
        Ask/tell: implement :meth:`start`, :meth:`ask`, :meth:`work` and :meth:`tell`. Each
        round, the engine asks for the round's tasks given the state recorded so far, runs them
        on the backend (in parallel, on local processes or Dask), tells the generator the
        results, verifies and records the hits it returns, and stores the new state in the same
        transaction. A run killed at any moment resumes from the last recorded round.

    Both modes share tier 3 (:meth:`verify`), the canonical key, the description, the
    declared measures and search-file fields, and the one record path.

    Class attributes
    ----------------
    kind:
        Unique name of the candidate kind (``"pcf"``); the ``[search] kind`` of a search file.
    version:
        Version recorded in every provenance graph.
    mode:
        ``"shards"`` (default) or ``"rounds"``.
    fields:
        Names (and help texts) of the fields that describe one candidate on the command line and
        in :func:`discover.verify`, e.g. ``{"a": "polynomial a(n)", "b": "polynomial b(n)"}``.
    search_fields:
        The schema of the ``[generator]`` table: a tuple of :class:`Field`. The core validates
        every search file against it before :meth:`configure` sees the table.
    measures:
        The quantities recorded for each discovery (a tuple of :class:`Measure`): a PCF its
        digits and convergence rate, a program its op count and errors, a theorem its proof
        size and the checker's verdict. The verdict's ``measures`` dict holds their values.
    hash_digits:
        Significant digits kept by the functional hash of this kind's tier-1 values.
    candidate_type:
        The class of this kind's candidates (lets :func:`discover.verify` accept an object).
    """

    kind: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    description: ClassVar[str] = ""
    mode: ClassVar[str] = "shards"
    fields: ClassVar[Mapping[str, str]] = {}
    search_fields: ClassVar[tuple] = ()
    measures: ClassVar[tuple] = PCF_MEASURES
    hash_digits: ClassVar[int] = 12
    candidate_type: ClassVar[type | None] = None

    # -- search definition ----------------------------------------------------------------
    def configure(self, section: Mapping[str, Any], context: SearchContext) -> Mapping[str, Any]:
        """Validate the ``[generator]`` table of a search file and return normalised parameters.

        The default validates ``section`` against :attr:`search_fields` (types, ranges,
        defaults) and returns the typed values. Override it to normalise further, starting with
        ``params = self.validated(section)``. The result must be JSON-able (it is hashed and
        stored with the run). Raise :class:`discover.errors.SearchFileError` naming the field
        and the fix on bad input.
        """
        return self.validated(section)

    def validated(self, section: Mapping[str, Any]) -> dict:
        """``section`` checked against :attr:`search_fields` by the core validator."""
        from .schema import validate_fields

        return validate_fields(section, self.search_fields, prefix="generator", kind=self.kind)

    def reject_unknown_fields(self, section: Mapping[str, Any], allowed) -> None:
        """Raise :class:`discover.errors.SearchFileError` for a ``[generator]`` field not in
        ``allowed``, naming it and listing the valid ones (for generators that declare no
        :attr:`search_fields`; the core validator does this for those that do)."""
        from .errors import SearchFileError

        for key in section:
            if key not in allowed:
                raise SearchFileError(f"generator.{key}", f"unknown field for kind {self.kind!r}",
                                      f"use one of: {', '.join(sorted(allowed))}")

    def schema(self) -> Mapping[str, str]:
        """Search-file fields this generator accepts, mapped to a one-line description."""
        return {f.name: f.describe() for f in self.search_fields}

    def prepare(self, params: Mapping[str, Any], context: SearchContext) -> None:
        """Build shared read-only state once per run, before work is dispatched (optional).

        Store it in ``context.cache``; worker processes forked afterwards inherit it.
        """

    # -- mode "shards": enumeration ----------------------------------------------------
    def shards(self, params: Mapping[str, Any]) -> Sequence[Shard]:
        """Split the space into deterministic shards (same params -> same shards, same order)."""
        raise NotImplementedError

    def propose(self, params: Mapping[str, Any], shard: Shard,
                context: SearchContext) -> Iterator[Batch]:
        """Yield the batches of candidates of ``shard``."""
        raise NotImplementedError

    def evaluate(self, params: Mapping[str, Any], batch: Batch) -> Evaluation:
        """Evaluate a batch in float64 with a numba kernel (tier 1)."""
        raise NotImplementedError

    def select(self, params: Mapping[str, Any], batch: Batch, evaluation: Evaluation,
               representatives: np.ndarray, inverse: np.ndarray,
               context: SearchContext) -> list[Hit]:
        """Match or score the batch and return the hits worth refining.

        The engine has already hashed the tier-1 values: ``representatives`` holds one index per
        distinct functional hash among the usable candidates and ``inverse[i]`` is the position in
        ``representatives`` of candidate ``i``'s hash (or -1 if candidate ``i`` is unusable).
        Do the expensive matching on representatives only, then expand to all members.
        """
        raise NotImplementedError

    def refine(self, params: Mapping[str, Any], hits: list[Hit],
               context: SearchContext) -> list[Hit]:
        """Re-evaluate hits in extended precision (tier 2) and drop coincidences. Default: keep all."""
        return hits

    # -- mode "rounds": adaptive search (ask/tell) ---------------------------------------
    def start(self, params: Mapping[str, Any], context: SearchContext) -> dict:
        """The state before round 0 (JSON-able). Called once per run, in the driver."""
        raise NotImplementedError

    def ask(self, params: Mapping[str, Any], state: Mapping[str, Any], round: int,
            context: SearchContext) -> list[Task]:
        """The tasks of round ``round`` given the recorded ``state`` (deterministic: the same
        state and round give the same tasks). An empty list ends the run."""
        raise NotImplementedError

    def planned_rounds(self, params: Mapping[str, Any]) -> int | None:
        """How many rounds the run will take, when that is known in advance (progress only);
        ``None`` when it depends on the state. Default: the ``rounds`` field, if any."""
        r = params.get("rounds")
        return r if isinstance(r, int) and not isinstance(r, bool) else None

    def work(self, params: Mapping[str, Any], task: Task, context: SearchContext) -> dict:
        """Do one task on a worker and return its result (JSON-able). Randomness must come from
        the task's spec (seeded), never from the clock, for reproducible runs."""
        raise NotImplementedError

    def tell(self, params: Mapping[str, Any], state: Mapping[str, Any], round: int,
             results: list[dict], context: SearchContext) -> RoundOutcome:
        """Merge a round's results (in task order) into a new state, in the driver, and return
        the hits to verify and record now (:class:`RoundOutcome`)."""
        raise NotImplementedError

    # -- tier 3 and description --------------------------------------------------------
    @abc.abstractmethod
    def verify(self, candidate: Any, claimed, digits: int) -> Verdict:
        """Verify ``candidate`` in arbitrary precision (tier 3) and return a :class:`Verdict`.

        For kinds with a value, ``claimed`` is the claimed value (an mpmath number at >= digits
        + 20 digits). For kinds without one (programs, theorems) ``claimed`` is ``None`` and the
        verdict is the kind's own independent check (a dense re-measurement and a proven bound;
        the proof checker). Put the kind's measures in ``Verdict.measures``.
        """

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

    def from_fields(self, fields: Mapping[str, Any]) -> Any:
        """Build a candidate from user-given fields (strings or lists), parsed safely."""
        from .errors import DiscoverError

        raise DiscoverError(f"kind {self.kind!r} cannot build a candidate from fields")

    def describe(self, candidate: Any) -> dict:
        """Text and LaTeX descriptions: ``{"text": ..., "latex": ...}``."""
        return {"text": str(candidate), "latex": str(candidate)}

    def convergence(self, candidate: Any, depth: int = 200) -> list[tuple[int, float]] | None:
        """Points ``(n, log10 of the error estimate at step n)`` for reports (optional).

        ``None`` (the default) means the kind has no convergence curve.
        """
        return None

    def provenance(self, candidate: Any, graph) -> None:
        """Add kind-specific nodes to a discovery's provenance graph (optional): a program's
        lineage, a theorem's proof steps. ``graph`` already holds the search, generator,
        candidate, tiers, verdict and discovery nodes."""


SHARD_METHODS = ("shards", "propose", "evaluate", "select")
ROUND_METHODS = ("start", "ask", "work", "tell")
