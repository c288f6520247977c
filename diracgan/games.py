"""The registry of Dirac-GAN games: each game defined once, as a pair of losses.

Setting (see README, "Conventions"): the real data is a point mass at 0 in R^d, the
generator's sample is θ ∈ R^d, and the discriminator is linear, D(x) = φ·x, scoring real
samples high.  A game is a pair of losses L_D(θ, φ) (minimised over φ) and L_G(θ, φ)
(minimised over θ); the continuous-time dynamics are φ' = −∇_φ L_D, θ' = −∇_θ L_G.

Every loss of this model depends on (θ, φ) only through three rotation invariants,
θ·φ, ‖θ‖² and ‖φ‖² (D at the fake sample is θ·φ, at the real sample 0; ∇_x D = φ; the
distance between real and fake is ‖θ‖).  A game therefore writes its losses as sympy
expressions in those invariants; :mod:`diracgan.symbolic` derives the vector field and
Jacobian from them by the chain rule, in any dimension, at O(d) cost.

This module is deliberately light (no sympy, numpy or matplotlib at import time): the CLI
reads the registry for its ``--loss`` choices and must start instantly.  The loss functions
receive a :class:`diracgan.symbolic.Scope` ``s`` carrying the invariants (``s.dot``,
``s.theta_sq``, ``s.phi_sq``, ``s.theta_norm``, ``s.phi_norm``) and the functions
(``s.softplus``, ``s.sigmoid``, ``s.log``, ``s.exp``, ``s.sqrt``), plus one sympy symbol per
free parameter, and return ``(L_D, L_G)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Iterable, Mapping

__all__ = [
    "Param",
    "GameSpec",
    "Regulariser",
    "Game",
    "GAMES",
    "REGULARISERS",
    "InputError",
    "get_spec",
    "make_game",
    "compose",
]


class InputError(ValueError):
    """Bad input from a user: the message is one line that names the valid choices."""


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
            raise InputError(f"{self.symbol} (--{self.name}) of {game} must be a number, got {value!r}") from None
        bound = f"> {self.lower:g}" if self.lower_open else f"≥ {self.lower:g}"
        if not math.isfinite(x) or x < self.lower or (self.lower_open and x == self.lower):
            raise InputError(f"{self.symbol} (--{self.name}) of {game} must be finite and {bound}, got {x:g}")
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
    ``discrete_only`` marks games that only exist as discrete-time updates (a projection
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
                hint = f" (for another value use --loss {self.family} --{name} ...)" if self.family else ""
                raise InputError(f"{self.name} fixes {name} = {fixed[name]:g}{hint}")
            have = ", ".join(f"--{p}" for p in self.param_names) or "none"
            raise InputError(f"{self.name} has no parameter '{name}' (its parameters: {have})")
        bound = tuple(
            (p.name, p.check(values.get(p.name, p.default), self.name)) for p in self.params
        )
        return Game(self, bound)


@dataclass(frozen=True)
class Game:
    """A game with numeric parameter values: what simulations and analyses take.

    The symbolic derivation and the lambdified numeric field are cached per
    :class:`GameSpec` (parameters stay symbolic there), so binding new values is free.
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

    # Derived objects, imported lazily so that the registry stays light.
    @property
    def derivation(self):
        """The symbolic derivation (:class:`diracgan.symbolic.Derivation`), cached per spec."""
        from .symbolic import derive

        return derive(self.spec)

    @property
    def field(self):
        """The batched numeric field (:class:`diracgan.fields.VectorField`), cached per spec."""
        from .fields import vector_field

        return vector_field(self.spec)

    def velocity(self, theta, phi):
        """(θ', φ') at a batch of states: arrays of shape (..., d) each."""
        return self.field(theta, phi, self.param_values())

    def jacobian(self, theta, phi):
        """∂(θ', φ')/∂(θ, φ) at a batch of states: shape (..., 2d, 2d), state order (θ, φ)."""
        return self.field.jacobian(theta, phi, self.param_values())


# ---------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------

LAM_GP = Param("lam", "λ", r"\lambda", 0.1, "gradient-penalty weight (seed: 0.1)")
CENTRE = Param("c", "c", "c", 1.0, "gradient-penalty centre: penalise (‖∇D‖ − c)²")
LAM_QP = Param("lam", "λ", r"\lambda", 1.0, "GAN-QP scale (seed: 1)", lower_open=True)
CLIP = Param("clip", "c", "c", 0.01, "weight-clipping bound: φ_i ∈ [−c, c] (WGAN paper: 0.01)", lower_open=True)


# ---------------------------------------------------------------------------------------
# The games, each defined once as (L_D, L_G)
# ---------------------------------------------------------------------------------------


def _vanilla(s):
    # −log(1 − σ(θ·φ)) = softplus(θ·φ) for D on the fake sample; −log σ(θ·φ) = softplus(−θ·φ)
    # for the non-saturating generator (the real sample at 0 contributes the constant log 2).
    return s.softplus(s.dot), s.softplus(-s.dot)


def _minimax(s):
    # Saturating generator: it maximises D's loss on the fake sample, L_G = −softplus(θ·φ).
    return s.softplus(s.dot), -s.softplus(s.dot)


def _wgan(s):
    # Critic normalised to be 1-Lipschitz: D(x) = φ·x/‖φ‖; L_D = D(fake) − D(real).
    return s.dot / s.phi_norm, -s.dot / s.phi_norm


def _gp(s, lam, c):
    # WGAN critic loss plus λ(‖∇_x D‖ − c)²; ∇_x D = φ wherever it is evaluated.
    return s.dot + lam * (s.phi_norm - c) ** 2, -s.dot


def _qp(s, lam):
    # GAN-QP: D(fake) − D(real) + (D(fake) − D(real))² / (2λ‖x_fake − x_real‖), ‖·‖ = ‖θ‖.
    return s.dot + s.dot**2 / (2 * lam * s.theta_norm), -s.dot


def _wgan_clip(s, clip):
    # Unconstrained critic loss; the constraint is the projection φ ← clip(φ, −c, c) applied
    # after each discriminator step (discrete time only).
    return s.dot, -s.dot


_GAMES: tuple[GameSpec, ...] = (
    GameSpec(
        "vanilla",
        "non-saturating GAN",
        _vanilla,
        reference="Goodfellow et al. 2014, §3; Mescheder et al. 2018, §2; seed 003",
    ),
    GameSpec(
        "minimax",
        "saturating (minimax) GAN",
        _minimax,
        reference="Goodfellow et al. 2014, eq. 1; Mescheder et al. 2018, §2",
    ),
    GameSpec(
        "wgan",
        "WGAN with a normalised (1-Lipschitz) critic",
        _wgan,
        reference="Arjovsky et al. 2017; seed 003 (D(x) = φ·x/‖φ‖)",
        singular="φ = 0 (D = φ·x/‖φ‖)",
    ),
    GameSpec(
        "gp",
        "WGAN-GP with penalty centre c",
        _gp,
        params=(LAM_GP, CENTRE),
        reference="Gulrajani et al. 2017, eq. 3 (c = 1); Mescheder et al. 2018 (c = 0); seed 003",
        singular="φ = 0 when c ≠ 0 (λ(‖φ‖ − c)²)",
    ),
    GameSpec(
        "gp0",
        "zero-centred gradient penalty (gp with c = 0)",
        _gp,
        params=(LAM_GP,),
        fixed=(("c", 0.0),),
        reference="Mescheder et al. 2018; Wu et al. 2018 (WGAN-div); seed 003",
        family="gp",
    ),
    GameSpec(
        "gp1",
        "WGAN-GP (gp with c = 1)",
        _gp,
        params=(LAM_GP,),
        fixed=(("c", 1.0),),
        reference="Gulrajani et al. 2017, eq. 3; seed 003",
        singular="φ = 0 (λ(‖φ‖ − 1)²)",
        family="gp",
    ),
    GameSpec(
        "qp",
        "GAN-QP (quadratic potential)",
        _qp,
        params=(LAM_QP,),
        reference="Su 2018, GAN-QP; seed 003",
        singular="θ = 0 ((θ·φ)²/(2λ‖θ‖))",
    ),
    GameSpec(
        "wgan-clip",
        "WGAN with weight clipping (discrete time only)",
        _wgan_clip,
        params=(CLIP,),
        reference="Arjovsky et al. 2017, Algorithm 1",
        discrete_only=True,
    ),
)

GAMES: Mapping[str, GameSpec] = MappingProxyType({g.name: g for g in _GAMES})
"""Every registered game, by name, in display order."""

ODE_GAMES: tuple[str, ...] = tuple(n for n, g in GAMES.items() if not g.discrete_only)
"""Names of the games that have continuous-time dynamics (all but the projected ones)."""


def get_spec(name: str) -> GameSpec:
    """The registered :class:`GameSpec` called ``name``; :class:`InputError` names the choices."""
    try:
        return GAMES[name]
    except KeyError:
        raise InputError(f"unknown loss {name!r}; choose one of: {', '.join(GAMES)}") from None


def make_game(name: str | GameSpec, **params: float) -> Game:
    """A :class:`Game` from a registered name (or a spec) and parameter values.

    >>> make_game("gp1", lam=0.2).params
    {'lam': 0.2}
    """
    spec = get_spec(name) if isinstance(name, str) else name
    return spec.bind(**{k: v for k, v in params.items() if v is not None})


# ---------------------------------------------------------------------------------------
# Composition: regularisers add terms to the losses
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Regulariser:
    """A term added to a game's losses: ``terms(s, **params) -> (ΔL_D, ΔL_G)``.

    With a linear D, every penalty on ∇_x D = φ is a function of ‖φ‖², so R1, R2 and L2
    weight decay on D all add the same term γ/2·‖φ‖² (and gp0 is the bilinear game plus
    λ‖φ‖², i.e. the same damping with γ = 2λ).
    """

    name: str
    title: str
    terms: LossFn = field(repr=False)
    params: tuple[Param, ...] = ()
    reference: str = ""


def _half_gamma_phi_sq(s, gamma):
    return gamma / 2 * s.phi_sq, 0


GAMMA_R1 = Param("gamma", "γ", r"\gamma", 1.0, "penalty weight γ in γ/2·‖∇_x D‖²")
GAMMA_L2 = Param("gamma", "γ", r"\gamma", 1.0, "weight-decay coefficient γ in γ/2·‖φ‖²")

REGULARISERS: Mapping[str, Regulariser] = MappingProxyType(
    {
        "r1": Regulariser("r1", "R1: γ/2·‖∇_x D‖² at real samples", _half_gamma_phi_sq, (GAMMA_R1,),
                          "Mescheder et al. 2018, eq. 9"),
        "r2": Regulariser("r2", "R2: γ/2·‖∇_x D‖² at fake samples", _half_gamma_phi_sq, (GAMMA_R1,),
                          "Mescheder et al. 2018, eq. 10"),
        "l2": Regulariser("l2", "L2 weight decay on D: γ/2·‖φ‖²", _half_gamma_phi_sq, (GAMMA_L2,),
                          "seed 003 (L2 on the discriminator)"),
    }
)


@dataclass(frozen=True)
class _Composed:
    """Loss function of ``base`` plus regulariser terms (hashable, so derivations cache)."""

    base: LossFn
    base_fixed: tuple[tuple[str, float], ...]
    base_params: tuple[str, ...]
    parts: tuple[tuple[LossFn, tuple[tuple[str, str], ...]], ...]

    def __call__(self, s, **params):
        base_args = {k: params[k] for k in self.base_params}
        base_args.update({k: s.exact(v) for k, v in self.base_fixed})
        loss_d, loss_g = self.base(s, **base_args)
        for terms, renames in self.parts:
            dd, dg = terms(s, **{inner: params[outer] for inner, outer in renames})
            loss_d, loss_g = loss_d + dd, loss_g + dg
        return loss_d, loss_g


def compose(spec: GameSpec, *regs: Regulariser | str) -> GameSpec:
    """``spec`` with the regularisers' terms added to its losses.

    Parameters of a regulariser are renamed ``<reg>_<param>`` (``r1_gamma``) so several can
    be combined.  ``compose(GAMES['vanilla'], 'r1')`` is the R1-regularised non-saturating
    GAN; its field is derived like any other game's.
    """
    parts = []
    params = list(spec.params)
    names = [spec.name]
    for reg in regs:
        if isinstance(reg, str):
            try:
                reg = REGULARISERS[reg]
            except KeyError:
                raise InputError(
                    f"unknown regulariser {reg!r}; choose one of: {', '.join(REGULARISERS)}"
                ) from None
        renames = tuple((p.name, f"{reg.name}_{p.name}") for p in reg.params)
        for p, (_, outer) in zip(reg.params, renames):
            params.append(Param(outer, f"{p.symbol}_{reg.name}", f"{p.latex}_{{\\mathrm{{{reg.name}}}}}",
                                p.default, p.doc, p.lower, p.lower_open))
        parts.append((reg.terms, renames))
        names.append(reg.name)
    losses = _Composed(spec.losses, spec.fixed, spec.param_names, tuple(parts))
    return GameSpec(
        "+".join(names),
        spec.title + "".join(f" + {r if isinstance(r, str) else r.name}" for r in regs),
        losses,
        params=tuple(params),
        reference=spec.reference,
        singular=spec.singular,
        family=spec.family,
        discrete_only=spec.discrete_only,
    )


def describe_params(params: Iterable[Param]) -> str:
    """``'λ = 0.1 (--lam), c = 1 (--c)'``: parameters with defaults, for listings."""
    return ", ".join(f"{p.symbol} = {p.default:g} (--{p.name})" for p in params) or "none"
