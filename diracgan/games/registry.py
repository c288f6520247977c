"""The registry of Dirac-GAN games: each game defined once, as a pair of losses.

Setting (see README, "Conventions"): the real data is a point mass at 0 in R^d, the
generator's sample is θ ∈ R^d, and the discriminator is linear, D(x) = φ·x, scoring real
samples high.  A game is a pair of losses L_D(θ, φ) (minimised over φ) and L_G(θ, φ)
(minimised over θ); the continuous-time dynamics are φ' = −∇_φ L_D, θ' = −∇_θ L_G.

Every loss of this model depends on (θ, φ) only through three rotation invariants,
θ·φ, ‖θ‖² and ‖φ‖² (D at the fake sample is θ·φ, at the real sample 0; ∇_x D = φ; the
distance between real and fake is ‖θ‖).  A game therefore writes its losses as sympy
expressions in those invariants; :mod:`diracgan.derivation` derives the vector field and
Jacobian from them by the chain rule, in any dimension, at O(d) cost.

This module is deliberately light (no sympy, numpy or matplotlib at import time): the CLI
reads the registry for its ``--loss`` choices and must start instantly.  The loss functions
receive a :class:`diracgan.derivation.symbolic.Scope` ``s`` carrying the invariants (``s.dot``,
``s.theta_sq``, ``s.phi_sq``, ``s.theta_norm``, ``s.phi_norm``) and the functions
(``s.softplus``, ``s.sigmoid``, ``s.log``, ``s.exp``, ``s.sqrt``), plus one sympy symbol per
free parameter, and return ``(L_D, L_G)``.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Mapping

from ..errors import InputError
from .regularisers import compose
from .spec import Game, GameSpec, Param

__all__ = ["GAMES", "ODE_GAMES", "get_spec", "make_game"]


# ---------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------

LAM_GP = Param("lam", "λ", r"\lambda", 0.1, "gradient-penalty weight (Su 2019: 0.1)")
CENTRE = Param("c", "c", "c", 1.0, "gradient-penalty centre: penalise (‖∇D‖ − c)²")
LAM_QP = Param("lam", "λ", r"\lambda", 1.0, "GAN-QP scale (Su 2019: 1)", lower_open=True)
CLIP = Param("clip", "c", "c", 0.01, "weight-clipping bound: φ_i ∈ [−c, c] (WGAN paper: 0.01)", lower_open=True)
LABEL_A = Param("a", "a", "a", -1.0, "LSGAN label of fake samples for D (Mao et al.: −1)", lower=-math.inf)
LABEL_B = Param("b", "b", "b", 1.0, "LSGAN label of real samples for D (drops out: D(x_real) = 0)", lower=-math.inf)
LABEL_C = Param("c", "c", "c", 0.0, "LSGAN target of fake samples for G (Mao et al.: 0)", lower=-math.inf)


# ---------------------------------------------------------------------------------------
# The games, each defined once as (L_D, L_G)
# ---------------------------------------------------------------------------------------


def _vanilla(s):
    # D is a logit: −log σ(D(x_real)) − log(1 − σ(D(x_fake))) = softplus(−D_real) + softplus(D_fake);
    # the non-saturating generator: −log σ(D(x_fake)) = softplus(−D_fake).
    return s.softplus(-s.d_real) + s.softplus(s.d_fake), s.softplus(-s.d_fake)


def _minimax(s):
    # Saturating generator: it maximises D's loss on the fake sample, L_G = −softplus(D_fake).
    return s.softplus(-s.d_real) + s.softplus(s.d_fake), -s.softplus(s.d_fake)


def _wgan(s):
    # Critic normalised to be 1-Lipschitz: D(x) = φ·x/‖φ‖; L_D = D(fake) − D(real).
    return (s.d_fake - s.d_real) / s.phi_norm, -s.d_fake / s.phi_norm


def _gp(s, lam, c):
    # WGAN critic loss plus λ(‖∇_x D‖ − c)²; ∇_x D = φ wherever it is evaluated.
    return s.d_fake - s.d_real + lam * (s.phi_norm - c) ** 2, -s.d_fake


def _qp(s, lam):
    # GAN-QP: D(fake) − D(real) + (D(fake) − D(real))² / (2λ‖x_fake − x_real‖), ‖·‖ = ‖θ‖.
    diff = s.d_fake - s.d_real
    return diff + diff**2 / (2 * lam * s.theta_norm), -s.d_fake


def _lsgan(s, a, b, c):
    # Least squares: D pushes fakes to label a and reals to b; G pushes fakes to c.
    return (s.d_real - b) ** 2 / 2 + (s.d_fake - a) ** 2 / 2, (s.d_fake - c) ** 2 / 2


def _hinge(s):
    # Hinge loss for D, the critic's −D(fake) for G.
    return s.relu(1 - s.d_real) + s.relu(1 + s.d_fake), -s.d_fake


def _rsgan(s):
    # Relativistic standard GAN: σ of the difference of critic values.
    return s.softplus(-(s.d_real - s.d_fake)), s.softplus(-(s.d_fake - s.d_real))


def _rasgan(s):
    # Relativistic average: each sample against the other side's mean critic value (for point
    # masses the means are the values themselves).
    return (s.softplus(-(s.d_real - s.d_fake)) + s.softplus(s.d_fake - s.d_real),
            s.softplus(-(s.d_fake - s.d_real)) + s.softplus(s.d_real - s.d_fake))


def _wgan_clip(s, clip):
    # Unconstrained critic loss; the constraint is the projection φ ← clip(φ, −c, c) applied
    # after each discriminator step (discrete time only).
    return s.dot, -s.dot


_GAMES: tuple[GameSpec, ...] = (
    GameSpec(
        "vanilla",
        "non-saturating GAN",
        _vanilla,
        reference="Goodfellow et al. 2014, §3; Mescheder et al. 2018, §2; Su 2019 (kexue.fm, GAN的第三个阶段)",
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
        reference="Arjovsky et al. 2017; Su 2019 (D(x) = φ·x/‖φ‖)",
        singular="φ = 0 (D = φ·x/‖φ‖)",
    ),
    GameSpec(
        "gp",
        "WGAN-GP with penalty centre c",
        _gp,
        params=(LAM_GP, CENTRE),
        reference="Gulrajani et al. 2017, eq. 3 (c = 1); Mescheder et al. 2018 (c = 0); Su 2019 (kexue.fm, GAN的第三个阶段)",
        singular="φ = 0 when c ≠ 0 (λ(‖φ‖ − c)²)",
    ),
    GameSpec(
        "gp0",
        "zero-centred gradient penalty (gp with c = 0)",
        _gp,
        params=(LAM_GP,),
        fixed=(("c", 0.0),),
        reference="Mescheder et al. 2018; Wu et al. 2018 (WGAN-div); Su 2019 (kexue.fm, GAN的第三个阶段)",
        family="gp",
    ),
    GameSpec(
        "gp1",
        "WGAN-GP (gp with c = 1)",
        _gp,
        params=(LAM_GP,),
        fixed=(("c", 1.0),),
        reference="Gulrajani et al. 2017, eq. 3; Su 2019 (kexue.fm, GAN的第三个阶段)",
        singular="φ = 0 (λ(‖φ‖ − 1)²)",
        family="gp",
    ),
    GameSpec(
        "qp",
        "GAN-QP (quadratic potential)",
        _qp,
        params=(LAM_QP,),
        reference="Su 2018, GAN-QP; Su 2019 (kexue.fm, GAN的第三个阶段)",
        singular="θ = 0 ((θ·φ)²/(2λ‖θ‖))",
    ),
    GameSpec(
        "lsgan",
        "least-squares GAN (labels a, b, c)",
        _lsgan,
        params=(LABEL_A, LABEL_B, LABEL_C),
        reference="Mao et al. 2017, §3.2 (their choices: a = −1, b = 1, c = 0, or a = 0, b = c = 1); J(0) eigenvalues ±√(ac): degenerate "
                  "(zero) when a = 0 or c = 0, as both of the paper's choices are; a centre for ac < 0, a saddle "
                  "for ac > 0; b drops out (D(x_real) = 0)",
    ),
    GameSpec(
        "hinge",
        "hinge loss",
        _hinge,
        reference="Lim & Ye 2017; Miyato et al. 2018 (SN-GAN); an exact rotation where θ·φ > −1",
        nonsmooth="θ·φ = −1 (max(0, 1 + D(x_fake)))",
    ),
    GameSpec(
        "rsgan",
        "relativistic standard GAN",
        _rsgan,
        reference="Jolicoeur-Martineau 2018 (RSGAN); with D(x_real) = 0 its field is vanilla's",
    ),
    GameSpec(
        "rasgan",
        "relativistic average standard GAN",
        _rasgan,
        reference="Jolicoeur-Martineau 2018 (RaSGAN); for point masses both losses are twice vanilla's",
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
    """The registered :class:`GameSpec` called ``name``; ``'vanilla+r1+consensus'`` composes the
    game with regularisers (:func:`~diracgan.games.regularisers.compose`).  :class:`InputError`
    names the choices."""
    base, *regs = name.split("+") if isinstance(name, str) else (name,)
    try:
        spec = GAMES[base]
    except (KeyError, TypeError):
        raise InputError(f"unknown loss {base!r}; choose one of: {', '.join(GAMES)}") from None
    if regs:
        spec = compose(spec, *regs)
    return spec


def make_game(name: str | GameSpec, **params: float) -> Game:
    """A :class:`Game` from a registered name (or a spec) and parameter values.

    Parameters
    ----------
    name : str or GameSpec
        A name of :data:`diracgan.GAMES` (``"vanilla"``, ``"gp0"``, …) or your own spec.
    **params : float
        Parameter values by name (e.g. ``lam=0.1``); None or missing takes the default.

    Returns
    -------
    Game
        The spec with validated values; an unknown or invalid parameter raises
        :class:`~diracgan.InputError` naming it.

    Examples
    --------
    >>> from diracgan import make_game
    >>> make_game("gp1", lam=0.2).params
    {'lam': 0.2}
    """
    spec = get_spec(name) if isinstance(name, str) else name
    return spec.bind(**{k: v for k, v in params.items() if v is not None})
