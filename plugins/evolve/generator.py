"""The ``program`` generator: evolution of approximation programs as rounds on the engine.

A search of kind ``program`` runs in rounds (ask/tell, :mod:`discover.generator`):

round 0
    the seeds (:func:`.search.seeds`) are fitted, dealt round-robin over one task per island;
    ``tell`` offers every fitted seed to every island's archive.
rounds 1, 2, ...
    one task per island: the island's archive (JSON) and the round's random seed
    ``[seed, island, round]``; ``work`` runs the island for ``round_seconds`` (or exactly
    ``generations`` children) and returns its new archive, its new lineage records and its
    counters; ``tell`` merges them, migrates the best program at each op count between islands
    every ``migrate_every`` rounds, and after the last round returns the Pareto front as hits.

The engine verifies each hit (:meth:`ProgramGenerator.verify`: a dense re-measurement against a
50-digit reference and a proven bound with arb) and records it, with its lineage as provenance,
in the same transaction as the final state. Everything the next round depends on is in the
recorded state, so a run killed at any moment and run again ends with the same front as an
uninterrupted one (with ``generations`` set; a time budget makes the number of children depend
on the machine).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from discover.errors import SearchFileError
from discover.generator import REQUIRED, Field, Generator, Hit, Measure, RoundOutcome, Task, Verdict

from .functions import TARGETS, EvolveError, get_target
from .program import Program, eval_population

__all__ = ["ProgramGenerator", "ProgramCandidate"]

STAT_KEYS = ("children", "invalid", "generations", "lookups", "hits", "memo_hits",
             "table_hits", "fits", "refits")


@dataclass
class ProgramCandidate:
    """An evolved program for ``function`` on ``interval``, with what the search knew of it."""

    function: str
    interval: tuple
    program: dict
    family: str = ""
    fit_error: float | None = None
    evolved_id: str = ""
    lineage: list = field(default_factory=list)     # seed first
    dense_points: int = 100_001

    def prog(self) -> Program:
        p = Program.from_dict(self.program)
        p.meta = {"family": self.family}
        return p

    @property
    def ops(self) -> int:
        return self.prog().ops


def _grids(ctx, function: str, a: float, b: float):
    from .search import make_grids

    memo = ctx.cache if ctx is not None else {}
    key = ("evolve-grids", function, a, b)
    if key not in memo:
        memo[key] = make_grids(get_target(function, a, b), a, b)
    return memo[key]


class ProgramGenerator(Generator):
    """Straight-line programs approximating a function on an interval (Pareto front of maximum
    relative error against op count), evolved on islands in rounds."""

    kind = "program"
    version = "0.2.0"
    mode = "rounds"
    description = "evolved approximation programs (error vs op count), rounds of island evolution"
    candidate_type = ProgramCandidate
    search_fields = (
        Field("function", "str", REQUIRED, "the function to approximate: "
              + ", ".join(sorted(TARGETS)) + ", or an expression in x such as \"1/sqrt(x)\""),
        Field("interval", "list[float]", REQUIRED, "the interval [A, B] (A < B)", min_items=2,
              max_items=2),
        Field("max_ops", "int", 10, "most operations per program", min=2, max=64),
        Field("seconds", "float", 60.0, "wall-clock budget (seeds included), run as rounds of "
              "round_seconds", min=1),
        Field("rounds", "int", None, "exact number of evolution rounds (overrides seconds)",
              min=1, max=100_000),
        Field("round_seconds", "float", 10.0, "seconds per island per round", min=0.1),
        Field("generations", "int", None, "children per island per round instead of a time "
              "budget (exactly reproducible runs)", min=1),
        Field("seed", "int", 0, "random seed"),
        Field("islands", "int", 2, "islands evolved in parallel (one task each per round)",
              min=1, max=256),
        Field("migrate_every", "int", 3, "copy each island's best programs to the others every "
              "N rounds (0: never)", min=0),
        Field("optional_ops", "bool", False, "allow fma, sqrt and power-of-two scaling"),
        Field("structures", "bool", True, "continued-fraction + squaring seeds (multi-start "
              "fitted) and the structural moves (square, extend a continued fraction, centre)"),
        Field("newton", "bool", True, "the Newton-step move (targets x^(n/d) with a cheap "
              "defining equation: 1/x, sqrt, 1/sqrt, cbrt, 1/cbrt)"),
        Field("compose", "bool", True, "the composition move (a program composed with one of "
              "the island's front)"),
        Field("cache", "bool", True, "reuse fits through the functional hash table"),
        Field("dense_points", "int", 100_001, "points of the final dense re-measurement",
              min=1001),
    )
    measures = (
        Measure("ops", "operations that depend on x", "ops", "lower"),
        Measure("optional_ops", "fma, sqrt and scaling operations among them", "ops", "lower"),
        Measure("max_rel_error", "max relative error on the dense grid, float64 evaluation",
                "", "lower"),
        Measure("max_rel_error_exact", "the same in extended precision", "", "lower"),
        Measure("bound", "proven bound of the relative error in float64 (arb)", "", "lower"),
        Measure("bound_exact", "proven bound in exact arithmetic (arb)", "", "lower"),
        Measure("float32_ulps", "max error in float32, in ULPs", "ulp", "lower"),
        Measure("fit_error", "max relative error on the search's check grid", "", "lower"),
        Measure("points", "points of the dense re-measurement", "", ""),
    )

    # -- search definition ------------------------------------------------------------
    def configure(self, section, context):
        params = self.validated(section)
        a, b = params["interval"]
        try:
            get_target(params["function"], a, b)
        except EvolveError as err:
            text = str(err)
            fix = ""
            if " (fix: " in text and text.endswith(")"):
                text, fix = text[:-1].split(" (fix: ", 1)
            if text.startswith(("function ", "unknown function")):
                raise SearchFileError("generator.function", text,
                                      fix or "use one of the names listed") from None
            if text.startswith("--interval: "):
                text = text[len("--interval: "):]
            raise SearchFileError("generator.interval", text,
                                  fix or "choose an interval where the function is finite, "
                                         "A < B") from None
        return params

    def prepare(self, params, context) -> None:
        """Reference values, scipy and the numba kernels, once in the driver: the workers of
        every round are forked from it and inherit them instead of loading them again."""
        from .fit import fit_constants

        a, b = params["interval"]
        g = _grids(context, params["function"], a, b)
        p = Program([5, 4], [0, 1], [0, 0], [0, 0], [1.0, 1.0])
        eval_population([p], g.pxs)
        eval_population([p], g.pxs.astype(np.float32), dtype=np.float32)
        fit_constants(p, g.fxs, g.ffx, lawson_rounds=1, max_nfev=5)

    # -- rounds -------------------------------------------------------------------------
    def start(self, params, context) -> dict:
        from .search import seeds

        a, b = params["interval"]
        progs = seeds(get_target(params["function"], a, b), a, b, params["max_ops"],
                      cf=params.get("structures", True))
        # the costly seeds first, dealt round-robin so that every island gets a fair share
        progs.sort(key=lambda p: -len(p.op))
        return {"phase": "seed", "round_seconds": None, "rounds_total": None,
                "evolve_rounds": 0, "seed_programs": [[p.to_dict(), dict(p.meta)]
                                                      for p in progs],
                "islands": [], "lineage": {}, "history": [],
                "stats": {k: 0 for k in STAT_KEYS}, "seeds": len(progs), "seed_seconds": 0.0,
                "clock": [0.0] * params["islands"]}

    def ask(self, params, state, round, context) -> list[Task]:
        n = params["islands"]
        if state["phase"] == "seed":
            progs = state["seed_programs"]
            return [Task(round, i, {"phase": "seed", "island": i, "programs": progs[i::n]},
                         size=len(progs[i::n])) for i in range(n)]
        if state["phase"] != "evolve":
            return []
        gens = params.get("generations")
        return [Task(round, i, {"phase": "evolve", "island": i, "state": state["islands"][i],
                                "rng": [params["seed"], i, round], "generations": gens,
                                "seconds": None if gens else state["round_seconds"],
                                "clock": state["clock"][i]}, size=gens or 1)
                for i in range(n)]

    def work(self, params, task, context) -> dict:
        from .search import Fitter, Island, evolve_island

        spec = task.spec
        fn = params["function"]
        a, b = params["interval"]
        g = _grids(context, fn, a, b)
        fitter = Fitter(context.hashes, fn, a, b, g, cache=params["cache"])
        t0 = time.time()
        if spec["phase"] == "seed":
            out = []
            for d, meta in spec["programs"]:
                p = Program.from_dict(d)
                p.meta = dict(meta)
                q, err = fitter.fit_seed(p)
                out.append([q.to_dict(), meta, err if math.isfinite(err) else None])
            return {"phase": "seed", "fitted": out, "seconds": time.time() - t0}
        island = Island.from_state(spec["state"], params["max_ops"], g)
        rng = np.random.default_rng([int(v) for v in spec["rng"]])
        gens = spec.get("generations")
        deadline = None if gens else t0 + float(spec["seconds"])
        stats = evolve_island(island, fitter, rng, generations=gens, deadline=deadline,
                              optional=params["optional_ops"],
                              structural=params.get("structures", True),
                              newton=params.get("newton", True),
                              compose=params.get("compose", True),
                              clock=spec.get("clock", 0.0))
        return {"phase": "evolve", "island": island.to_state(), "lineage": island.lineage,
                "history": island.history, "stats": stats, "seconds": time.time() - t0}

    def tell(self, params, state, round, results, context) -> RoundOutcome:
        from .search import Island, prune_lineage

        fn = params["function"]
        a, b = params["interval"]
        g = _grids(context, fn, a, b)
        n = params["islands"]
        state = dict(state)
        stats = dict(state["stats"])
        round_stats: dict = {}
        if state["phase"] == "seed":
            fitted = [x for r in results for x in r["fitted"]]
            islands = [Island(i, params["max_ops"], g) for i in range(n)]
            for isl in islands:
                for d, meta, err in fitted:
                    q = Program.from_dict(d)
                    q.meta = dict(meta)
                    isl.offer(q, math.inf if err is None else err, None,
                              [f"seed {meta.get('family', '')}"], when=0.0)
            state["history"] = [list(h) for h in islands[0].history] if islands else []
            lineage = {}
            for isl in islands:
                lineage.update(isl.lineage)
            seed_seconds = max((r["seconds"] for r in results), default=0.0)
            state.pop("seed_programs", None)
            state.update(phase="evolve", islands=[isl.to_state() for isl in islands],
                         lineage=lineage, seed_seconds=float(f"{seed_seconds:.3f}"))
            state["rounds_total"], state["round_seconds"] = self._plan(params, seed_seconds)
            round_stats = {"seeds_fitted": len(fitted)}
        else:
            lineage = dict(state["lineage"])
            history = list(state["history"])
            clock = list(state["clock"])
            islands = []
            for r in results:
                islands.append(Island.from_state(r["island"], params["max_ops"], g))
                lineage.update(r["lineage"])
                history += [list(h) for h in r["history"]]
                for k in STAT_KEYS:
                    stats[k] = stats.get(k, 0) + r["stats"].get(k, 0)
                    round_stats[k] = round_stats.get(k, 0) + r["stats"].get(k, 0)
                clock[r["island"]["index"]] += r["seconds"]
            done = state["evolve_rounds"] + 1
            last = done >= state["rounds_total"]
            every = params.get("migrate_every", 0)
            if every and n > 1 and not last and done % every == 0:
                migrate(islands)
            history.sort()
            state.update(islands=[isl.to_state() for isl in islands], history=history,
                         clock=clock, evolve_rounds=done, stats=stats,
                         phase="done" if last else "evolve")
        alive = [e["id"] for isl in state["islands"] for e in isl["entries"]]
        state["lineage"] = prune_lineage(lineage, alive)
        hits = []
        if state["phase"] == "done":
            hits = [Hit(candidate=c) for c in self.front(params, state)]
        round_stats = {("fit_" + k if k in ("hits", "lookups") else k): v
                       for k, v in round_stats.items()}
        return RoundOutcome(state=state, hits=hits, finished=state["phase"] == "done",
                            stats=round_stats)

    def planned_rounds(self, params) -> int | None:
        """The seed round and the evolution rounds, when their number does not depend on how
        long the seeds take (``rounds``, or ``generations``)."""
        if params.get("rounds") or params.get("generations"):
            return 1 + self._plan(params, 0.0)[0]
        return None

    @staticmethod
    def _plan(params, seed_seconds: float) -> tuple[int, float | None]:
        """(evolution rounds, seconds per round): ``rounds`` if given; with ``generations``,
        ``seconds / round_seconds`` rounds (not the clock: reproducible); otherwise the budget
        left after the seeds, cut into rounds of at most ``round_seconds``."""
        rs = params["round_seconds"]
        if params.get("rounds"):
            return int(params["rounds"]), rs
        if params.get("generations"):
            return max(1, math.ceil(params["seconds"] / rs - 1e-9)), None
        left = max(1.0, params["seconds"] - seed_seconds)
        k = max(1, math.ceil(left / rs - 1e-9))
        return k, left / k

    def front(self, params, state) -> list[ProgramCandidate]:
        """The Pareto front of the islands' archives, as candidates (not yet verified)."""
        from .search import Entry, lineage_of, pareto_front

        seen = {}
        for isl in state["islands"]:
            for e in isl["entries"]:
                seen.setdefault(e["id"], e)
        entries = [Entry(e, float(e["err"]), int(e["ops"]), e["id"], 0) for e in seen.values()]
        a, b = params["interval"]
        out = []
        for e in pareto_front(entries):
            program, err = e.prog["program"], e.err
            if err < 1e-9:
                program, err = self._polish(params, program, err)
            out.append(ProgramCandidate(
                function=params["function"], interval=(float(a), float(b)),
                program=program, family=e.prog.get("family", ""), fit_error=err,
                evolved_id=e.id, lineage=list(reversed(lineage_of(e.id, state["lineage"]))),
                dense_points=params.get("dense_points", 100_001)))
        return out

    @staticmethod
    def _polish(params, program: dict, err: float) -> tuple[dict, float]:
        """A front program's constants polished below float64 noise: a minimax pass with the
        program in extended precision, the structure's exact minimax by a nonlinear Remez
        exchange (kept where it is better), then a search over the constants rounded to float64
        (a few ULPs each) on the program as evaluated in float64; kept only if its float64
        error on the check grid goes down. Deterministic."""
        from .fit import max_rel_error, polish_extended, polish_grid, polish_rounded, remez_polish
        from .functions import dd_reference

        a, b = params["interval"]
        target = get_target(params["function"], a, b)
        xs = polish_grid(a, b)
        hi, lo = dd_reference(target, xs)
        keep = hi != 0
        xs, hi, lo = xs[keep], hi[keep], lo[keep]
        prog = Program.from_dict(program)
        e0 = max_rel_error(prog, xs, hi)
        q, ext = polish_extended(prog, xs, hi, lo)
        qr, rem = remez_polish(q, target, xs, hi, lo)
        if rem < ext:
            q = qr
        q, _ = polish_rounded(q, xs, hi, lo)
        e = max_rel_error(q, xs, hi)
        if e < e0:
            g = _grids(None, params["function"], a, b)
            return q.to_dict(), max_rel_error(q, g.cxs, g.cfx)
        return program, err

    # -- tier 3 -------------------------------------------------------------------------
    def verify(self, candidate, claimed, digits) -> Verdict:
        from .verify import measure, prove_bound

        a, b = candidate.interval
        target = get_target(candidate.function, a, b)
        prog = candidate.prog()
        t0 = time.perf_counter()
        m = measure(prog, target, a, b, n=candidate.dense_points)
        err = m.get("max_rel_error")
        ok = bool(m["valid"]) and err is not None and math.isfinite(err)
        measures = {"ops": prog.ops, "optional_ops": prog.optional_ops,
                    "max_rel_error": err, "max_rel_error_exact": m.get("max_rel_error_exact"),
                    "float32_ulps": m.get("float32_ulps"), "points": m["points"],
                    "worst_x": m.get("worst_x"),
                    "fit_error": candidate.fit_error}
        reason = ""
        method = f"dense re-measurement ({m['points']:,} points, 50 digits)"
        if ok:
            bound = prove_bound(prog, target, a, b)
            measures.update(bound=bound.get("bound"), bound_exact=bound.get("bound_exact"))
            method += " + arb bound (256 pieces, order 8)"
            if bound.get("bound") is None:
                measures["bound_reason"] = bound.get("reason", "no bound established")
        elif not m["valid"]:
            reason = "the program divides by zero or overflows on the dense grid"
        else:
            reason = "the program is not finite (or does not vanish where f does) on the dense grid"
        measures = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                    for k, v in measures.items()}
        return Verdict(equal=ok, digits=0.0, required=0, method=method, reason=reason,
                       measures=measures, seconds=time.perf_counter() - t0,
                       value=f"max relative error {err:.3e}" if ok else "")

    # -- description --------------------------------------------------------------------
    def key(self, candidate) -> str:
        from discover.hashing import vector_keys

        from .search import probe_grid

        a, b = candidate.interval
        prog = candidate.prog()
        vals, st = eval_population([prog], probe_grid(a, b))
        fkey = int(vector_keys(vals, digits=14)[0][0]) if st[0] == 0 else 0
        return f"program:{candidate.function}:{a!r}:{b!r}:ops{prog.ops}:{fkey & (2**64 - 1):x}"

    def to_json(self, candidate) -> dict:
        prog = candidate.prog()
        return {"function": candidate.function, "interval": [float(v) for v in
                                                             candidate.interval],
                "ops": prog.ops, "optional_ops": prog.optional_ops,
                "family": candidate.family, "evolved_id": candidate.evolved_id,
                "program": prog.to_dict(), "python": prog.to_python("f"), "c": prog.to_c("f"),
                "text": prog.text()}

    def describe(self, candidate) -> dict:
        text = candidate.prog().text()
        return {"text": text, "latex": text}

    def provenance(self, candidate, graph) -> None:
        """The lineage: seed -> mutated children -> the program (the ``candidate`` node)."""
        prev = "generator"
        for rec in candidate.lineage:
            node = f"lineage:{rec['id']}"
            graph.add_node(node, type="ancestor", evolved_id=rec["id"], ops=rec["ops"],
                           err=rec["err"], family=rec.get("family", ""),
                           mutations=", ".join(rec.get("mutations", [])))
            graph.add_edge(prev, node, relation="seeded" if rec.get("parent") is None else
                           "mutated: " + ", ".join(rec.get("mutations", [])))
            prev = node
        graph.add_edge(prev, "candidate", relation="is the program")


def migrate(islands) -> None:
    """Offer the best program at each op count of every island to every other island (in
    island order; the entries keep their ids, their lineage is shared)."""
    best = [[isl.archive[ops][0] for ops in sorted(isl.archive) if isl.archive[ops]]
            for isl in islands]
    for i, isl in enumerate(islands):
        for j, entries in enumerate(best):
            if j == i:
                continue
            for e in entries:
                isl.offer(e.prog.copy(), e.err, None, [], eid=e.id)
