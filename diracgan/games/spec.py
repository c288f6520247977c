"""Game values: a real parameter, a game's definition as a pair of losses, and a game bound to
parameter values.

These are plain values: nothing here derives, lambdifies or integrates.  The derivation
(:mod:`diracgan.derivation`) takes a :class:`GameSpec`; the dynamics take a :class:`Game`.  The loss
functions receive a scope ``s`` carrying the invariants (``s.dot`` = θ·φ, ``s.theta_sq``,
``s.phi_sq``, ``s.theta_norm``, ``s.phi_norm``) and the functions (``s.softplus``, ``s.sigmoid``,
``s.log``, ``s.exp``, ``s.sqrt``), plus one sympy symbol per free parameter, and return
``(L_D, L_G)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..errors import InputError

__all__ = ["Param", "GameSpec", "Game", "LossFn", "describe_params"]


@dataclass(frozen=True)
class Param:
    """A real parameter of a game.

    ``name`` is the API / CLI name (``lam`` → ``--lam``), ``symbol`` the display name (λ),
    ``latex`` its LaTeX.  Valid values are finite and ≥ ``lower`` (> ``lower`` when
    ``lower_open``).
    """

    name: str
    symbol: str
    latex: str
    default: float
    doc: str
    lower: float = 0.0
    lower_open: bool = False

    def check(self, value: float, game: str) -> float:
        """Return ``value`` as a float or raise :class:`InputError` naming the valid range."""
        try:
            x = float(value)
        except (TypeError, ValueError):
            raise InputError(f"{self.symbol} ({self.name}) of {game} must be a number, got {value!r}") from None
        bound = f"> {self.lower:g}" if self.lower_open else f"≥ {self.lower:g}"
        if self.lower == -math.inf:
            bound = "real"
        if not math.isfinite(x) or x < self.lower or (self.lower_open and x == self.lower):
            raise InputError(f"{self.symbol} ({self.name}) of {game} must be finite and {bound}, got {x:g}")
        return x


LossFn = Callable[..., tuple]


@dataclass(frozen=True)
class GameSpec:
    """A game defined once: its two losses as a function of the invariants and parameters.

    ``losses(s, **params) -> (L_D, L_G)``; ``params`` are the free parameters, ``fixed``
    the parameters of ``losses`` that this preset pins to exact values (gp0 is the gp game
    with c = 0: the value is substituted *before* differentiation, so the derived field is
    exactly the c = 0 field and stays differentiable where gp's is not).
    ``singular`` says in words where the field is undefined (empty when nowhere).
    ``nonsmooth`` says in words where the field has a kink (a max, abs or relu in a loss; empty
    when it is smooth).  ``discrete_only`` marks games that only exist as discrete-time updates (a projection
    step, e.g. weight clipping); they have no ODE.
    """

    name: str
    title: str
    losses: LossFn = field(repr=False, compare=True)
    params: tuple[Param, ...] = ()
    fixed: tuple[tuple[str, float], ...] = ()
    reference: str = ""
    singular: str = ""
    family: str = ""
    discrete_only: bool = False
    nonsmooth: str = ""

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def bind(self, **values: float) -> "Game":
        """The game with parameter values (defaults for those not given), validated."""
        fixed = dict(self.fixed)
        unknown = sorted(set(values) - set(self.param_names))
        if unknown:
            name = unknown[0]
            if name in fixed:
                hint = f" (for another value use make_game({self.family!r}, {name}=...))" if self.family else ""
                raise InputError(f"{self.name} fixes {name} = {fixed[name]:g}{hint}")
            have = ", ".join(self.param_names) or "none"
            raise InputError(f"{self.name} has no parameter '{name}' (its parameters: {have})")
        bound = tuple(
            (p.name, p.check(values.get(p.name, p.default), self.name)) for p in self.params
        )
        return Game(self, bound)


@dataclass(frozen=True)
class Game:
    """A game with numeric parameter values: what simulations and analyses take.

    A plain value.  Its field is :func:`diracgan.derivation.velocity` (``velocity(game, θ, φ)``);
    the derivation and the lambdified field are cached per :class:`GameSpec` (parameters stay
    symbolic there), so binding new values is free.
    """

    spec: GameSpec
    values: tuple[tuple[str, float], ...]

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def params(self) -> dict[str, float]:
        return dict(self.values)

    def param_values(self) -> tuple[float, ...]:
        """Parameter values in the order of ``spec.params`` (the order the field expects)."""
        return tuple(v for _, v in self.values)

    def label(self, style: str = "text") -> str:
        """``'gp1 (λ = 0.1)'``: the name and the parameter values, for titles and files."""
        if style == "file":
            return "-".join([self.name] + [f"{k}{v:g}" for k, v in self.values])
        if not self.values:
            return self.name
        inner = ", ".join(f"{self.spec.param(k).symbol} = {v:g}" for k, v in self.values)
        return f"{self.name} ({inner})"


def describe_params(params: Iterable[Param]) -> str:
    """``'λ = 0.1 (--lam), c = 1 (--c)'``: parameters with defaults, for listings."""
    flag = {"lam": "--lam", "c": "--c", "clip": "--clip"}
    return ", ".join(f"{p.symbol} = {p.default:g} ({flag.get(p.name, f'--param {p.name}=…')})" for p in params) or "none"
