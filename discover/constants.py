"""Named mathematical constants: the corpus, plugin-added constants, and evaluation to any precision.

A :class:`Constant` carries an identifier (used in closed forms such as ``6/zeta3``), aliases, a
whitelisted expression that mpmath evaluates to any precision, and a sympy form for LaTeX. The
:class:`ConstantRegistry` is what every other module asks for constants; it is built from
``corpora/constants.toml`` plus whatever plugins add through the ``discover_constants`` hook.

>>> from discover.constants import default_registry
>>> reg = default_registry()
>>> import mpmath
>>> mpmath.nstr(reg.get("zeta(3)").value(30), 20)
'1.2020569031595942854'
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import mpmath
import sympy

from .errors import DiscoverError, UnknownConstantError
from .safeexpr import Expr, parse

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Constant", "ConstantRegistry", "default_registry", "load_corpus_constants",
           "MPMATH_CONSTANTS"]

#: Constants that mpmath computes to any precision but that have no short closed form; a
#: corpus expression may use these names (``"khinchin"``, ``"1/glaisher"``).
MPMATH_CONSTANTS = {
    "khinchin": lambda dps: +mpmath.mp.khinchin,
    "glaisher": lambda dps: +mpmath.mp.glaisher,
    "mertens": lambda dps: +mpmath.mp.mertens,
    "twinprime": lambda dps: +mpmath.mp.twinprime,
}


@dataclass(frozen=True)
class Constant:
    """A named constant.

    Parameters
    ----------
    name:
        Identifier used in closed forms (``pi``, ``zeta3``); letters, digits and underscores.
    expression:
        Whitelisted expression evaluated with mpmath (``"zeta(3)"``, ``"1/agm(1, sqrt(2))"``).
    sympy_form:
        The same constant for sympy (LaTeX, simplification); defaults to ``expression``.
    aliases:
        Other spellings accepted on input (``"zeta(3)"``, ``"apery"``).
    source:
        Where the constant and its value are documented (DLMF, OEIS, mpmath, a paper).
    """

    name: str
    expression: str
    sympy_form: str = ""
    aliases: tuple[str, ...] = ()
    description: str = ""
    origin: str = "corpus"
    source: str = ""
    _expr: Expr = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self):
        if not self.name.isidentifier() or self.name.startswith("_"):
            raise DiscoverError(f"constant name {self.name!r} must be an identifier such as "
                                f"'zeta3' (letters, digits, underscores; not starting with '_')")
        object.__setattr__(self, "_expr", parse(self.expression, names=MPMATH_CONSTANTS))
        if not self.sympy_form:
            object.__setattr__(self, "sympy_form", self.expression)

    def value(self, dps: int = 50) -> mpmath.mpf:
        """The constant to ``dps`` significant digits (an mpf carrying that precision)."""
        return _cached_value(self.expression, int(dps))

    def float(self) -> float:
        return float(self.value(20))

    def sympy(self) -> sympy.Expr:
        """The constant as a sympy expression (``zeta(3)``, ``pi``, ``1/agm(1, sqrt(2))``)."""
        return parse(self.sympy_form, names=MPMATH_CONSTANTS).to_sympy()

    def latex(self) -> str:
        special = {"pi": r"\pi", "e": "e", "catalan": "G", "euler_gamma": r"\gamma",
                   "phi": r"\varphi", "lemniscate": r"\varpi"}
        return special.get(self.name) or sympy.latex(self.sympy())


@functools.lru_cache(maxsize=256)
def _cached_value(expression: str, dps: int) -> mpmath.mpf:
    return parse(expression, names=MPMATH_CONSTANTS).evaluate(dps, MPMATH_CONSTANTS)


class ConstantRegistry:
    """The constants known to a session: look-up by name or alias, evaluation environment."""

    def __init__(self, constants: Iterable[Constant] = ()):
        self._by_name: dict[str, Constant] = {}
        self._alias: dict[str, str] = {}
        for c in constants:
            self.add(c)

    def add(self, constant: Constant) -> None:
        """Register ``constant``; a name or alias already taken raises :class:`DiscoverError`."""
        for key in (constant.name, *constant.aliases):
            owner = self._alias.get(key.lower())
            if owner is not None and owner != constant.name:
                raise DiscoverError(f"constant {constant.name!r} ({constant.origin}) uses the name "
                                    f"{key!r}, already taken by {owner!r}; rename one of them")
        self._by_name[constant.name] = constant
        for key in (constant.name, *constant.aliases):
            self._alias[key.lower()] = constant.name

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def __contains__(self, name: str) -> bool:
        return name.lower().replace(" ", "") in self._alias or name.lower() in self._alias

    def __iter__(self):
        return iter(self._by_name[n] for n in self.names())

    def __len__(self) -> int:
        return len(self._by_name)

    def get(self, name: str) -> Constant:
        """Return the constant called ``name`` (or one of its aliases).

        A product of known constants with positive integer powers, ``"pi*gauss^2"`` (or its
        identifier form ``"pi_times_gauss_pow2"``), is a constant too: it is registered on
        first use under the identifier form (origin ``"product"``), so that Moebius targets
        and closed forms can name it.

        >>> reg = default_registry()
        >>> c = reg.get("pi*gauss^2")
        >>> c.name, round(c.float(), 10), reg.get(c.name) is c
        ('pi_times_gauss_pow2', 2.1884396152, True)

        Raises :class:`UnknownConstantError` listing the known names.
        """
        key = self._alias.get(name.lower()) or self._alias.get(name.lower().replace(" ", ""))
        if key is None:
            product = self._product(name)
            if product is not None:
                return product
            raise UnknownConstantError(f"unknown constant {name!r}; known constants: "
                                       f"{', '.join(self.names())} (or a product of them such "
                                       f"as 'pi*gauss^2')")
        return self._by_name[key]

    def _product(self, name: str) -> Constant | None:
        """The product constant named by ``name`` (``a*b^2`` or ``a_times_b_pow2``), registered
        on first use; None when ``name`` is not such a product of known constants."""
        import re

        text = name.replace(" ", "").replace("**", "^")
        parts = text.split("*") if "*" in text or "^" in text else text.split("_times_")
        factors: dict[str, int] = {}
        for part in parts:
            m = re.fullmatch(r"(.+?)(?:\^(\d+)|_pow(\d+))?", part)
            if m is None or not part:
                return None
            base, power = m.group(1), int(m.group(2) or m.group(3) or 1)
            key = self._alias.get(base.lower())
            if key is None or power < 1 or power > 12:
                return None
            factors[key] = factors.get(key, 0) + power
        if len(factors) == 1 and next(iter(factors.values())) == 1:
            return self._by_name[next(iter(factors))]
        order = list(factors)           # as written: pi*gauss^2 stays pi_times_gauss_pow2
        ident = "_times_".join(k if factors[k] == 1 else f"{k}_pow{factors[k]}" for k in order)
        if ident.lower() in self._alias:
            return self._by_name[self._alias[ident.lower()]]
        consts = [self._by_name[k] for k in order]
        expr = "*".join(f"({c.expression})" + (f"^{factors[c.name]}" if factors[c.name] > 1
                                                else "") for c in consts)
        sym = "*".join(f"({c.sympy_form})" + (f"**{factors[c.name]}" if factors[c.name] > 1
                                               else "") for c in consts)
        human = "*".join(k if factors[k] == 1 else f"{k}^{factors[k]}" for k in order)
        const = Constant(name=ident, expression=expr, sympy_form=sym, aliases=(human,),
                         description=f"the product {human}", origin="product",
                         source="product of: " + ", ".join(order))
        self.add(const)
        return const

    def env(self) -> Mapping[str, object]:
        """Evaluation environment for :meth:`discover.safeexpr.Expr.evaluate`: name -> f(dps)."""
        return {c.name: (lambda dps, c=c: c.value(dps)) for c in self._by_name.values()}

    def symbols(self) -> dict[str, sympy.Symbol]:
        """Name -> sympy Symbol, for closed forms written in terms of constant names."""
        return {name: sympy.Symbol(name) for name in self._by_name}

    def parse(self, text: str, extra_names: Iterable[str] = ()) -> Expr:
        """Parse ``text`` allowing the names of every registered constant (and ``extra_names``)."""
        if "_times_" in text:       # product constants named in a closed form
            import re

            for ident in set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*_times_[A-Za-z0-9_]+", text)):
                self._product(ident)
        allowed = set(self._by_name) | set(extra_names)
        return parse(text, names=allowed)

    def evaluate(self, text: str, dps: int) -> mpmath.mpf:
        """Evaluate a whitelisted expression over the registered constants at ``dps`` digits.

        >>> import mpmath
        >>> mpmath.nstr(default_registry().evaluate("4/pi", 20), 12)
        '1.27323954474'
        """
        expr = self.parse(text)
        return expr.evaluate(dps, self.env())


def load_corpus_constants(path=None) -> list[Constant]:
    """Read ``corpora/constants.toml`` (or ``path``) into :class:`Constant` objects."""
    if path is None:
        from discover_corpora import path as corpus_path

        path = corpus_path("constants.toml")
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    out = []
    for i, entry in enumerate(data.get("constant", [])):
        try:
            out.append(Constant(name=entry["name"], expression=entry["expression"],
                                sympy_form=entry.get("sympy", ""),
                                aliases=tuple(entry.get("aliases", ())),
                                description=entry.get("description", ""), origin=str(path),
                                source=entry.get("source", "")))
        except KeyError as err:
            raise DiscoverError(f"{path}: constant #{i + 1} lacks the field {err.args[0]!r}") from err
    return out


@functools.lru_cache(maxsize=1)
def _corpus() -> tuple[Constant, ...]:
    return tuple(load_corpus_constants())


def default_registry() -> ConstantRegistry:
    """A registry holding the corpus constants only (no plugins)."""
    return ConstantRegistry(_corpus())
