"""Regularisers: changes of a game's losses, composable with any game.

With a linear D, every penalty on ∇_x D = φ is a function of ‖φ‖², so R1, R2 and L2 weight decay
on D all add the same term γ/2·‖φ‖² (and gp0 is the bilinear game plus λ‖φ‖², i.e. the same
damping with γ = 2λ).  :func:`compose` returns a new :class:`~diracgan.games.spec.GameSpec`
whose field is derived like any other game's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping

from ..errors import InputError
from .spec import GameSpec, LossFn, Param

__all__ = ["Regulariser", "REGULARISERS", "compose"]


@dataclass(frozen=True)
class Regulariser:
    """A change of a game's losses: ``apply(s, L_D, L_G, **params) -> (L_D', L_G')``.

    Most add a term (R1, R2, L2, LP, DRAGAN on L_D; consensus on both); instance noise
    replaces each loss by its expectation over the noise.  ``term`` states the exact
    change with its constant, ``reference`` its source, ``note`` what it reduces to for the
    linear D of the Dirac-GAN.

    With a linear D, every penalty on ∇_x D = φ is a function of ‖φ‖², so R1, R2 and L2 weight
    decay on D all add the same term γ/2·‖φ‖² (and gp0 is the bilinear game plus λ‖φ‖², i.e.
    the same damping with γ = 2λ); DRAGAN's penalty at perturbed real samples is gp1's.
    """

    name: str
    title: str
    apply: Callable = field(repr=False)
    params: tuple[Param, ...] = ()
    reference: str = ""
    term: str = ""
    note: str = ""


def _on_d(penalty):
    """A regulariser that adds ``penalty(s, **params)`` to L_D only."""
    def apply(s, loss_d, loss_g, **params):
        return loss_d + penalty(s, **params), loss_g
    apply.__qualname__ = penalty.__qualname__
    return apply


def _half_gamma_phi_sq(s, gamma):
    return gamma / 2 * s.phi_sq          # ∇_x D = φ at every sample


def _lp(s, lam):
    return lam * s.relu(s.phi_norm - 1) ** 2


def _dragan(s, lam):
    # λ E[(‖∇_x D(x_real + δ)‖ − 1)²]: ∇_x D = φ wherever it is evaluated.
    return lam * (s.phi_norm - 1) ** 2


def _consensus(s, loss_d, loss_g, gamma):
    # Both players also descend γ·½‖v‖², v = (∇_θ L_G, ∇_φ L_D), derived by the chain rule.
    half_sq = gamma / 2 * s.gradient_norm_sq(loss_d, loss_g)
    return loss_d + half_sq, loss_g + half_sq


def _noise(s, loss_d, loss_g, sigma):
    return s.instance_noise(loss_d, sigma), s.instance_noise(loss_g, sigma)


GAMMA_R1 = Param("gamma", "γ", r"\gamma", 1.0, "penalty weight γ in γ/2·‖∇_x D‖²")
GAMMA_L2 = Param("gamma", "γ", r"\gamma", 1.0, "weight-decay coefficient γ in γ/2·‖φ‖²")
GAMMA_CO = Param("gamma", "γ", r"\gamma", 1.0, "consensus weight γ in γ·½‖v‖²")
SIGMA = Param("sigma", "σ", r"\sigma", 0.5, "standard deviation σ of the Gaussian instance noise")
LAM_LP = Param("lam", "λ", r"\lambda", 0.1, "penalty weight λ (as gp's default here; Petzka et al. use 5–10)")
LAM_DRAGAN = Param("lam", "λ", r"\lambda", 0.1, "penalty weight λ (as gp's default here; Kodali et al. use 10)")

_REGULARISERS = (
    Regulariser("r1", "R1 penalty at real samples", _on_d(_half_gamma_phi_sq), (GAMMA_R1,),
                "Mescheder et al. 2018, eq. 9", "L_D += γ/2·E‖∇_x D(x_real)‖²", "= γ/2·‖φ‖² on L_D"),
    Regulariser("r2", "R2 penalty at fake samples", _on_d(_half_gamma_phi_sq), (GAMMA_R1,),
                "Mescheder et al. 2018, eq. 10", "L_D += γ/2·E‖∇_x D(x_fake)‖²", "= γ/2·‖φ‖² on L_D (same as R1)"),
    Regulariser("l2", "L2 weight decay on the discriminator", _on_d(_half_gamma_phi_sq), (GAMMA_L2,),
                "Su 2019 (kexue.fm, GAN的第三个阶段: L2 on D)", "L_D += γ/2·‖φ‖²", "same as R1 and R2"),
    Regulariser("consensus", "consensus optimisation", _consensus, (GAMMA_CO,),
                "Mescheder, Nowozin & Geiger 2017 (The Numerics of GANs), §3",
                "L_D += γ·½‖v‖², L_G += γ·½‖v‖², v = (∇_θ L_G, ∇_φ L_D)", "derived by the chain rule"),
    Regulariser("noise", "instance noise", _noise, (SIGMA,),
                "Sønderby et al. 2017; Arjovsky & Bottou 2017; Mescheder et al. 2018, §3",
                "L → E_ε L with x → x + ε, ε ~ N(0, σ²I) at real and fake samples",
                "D(x + ε) = D(x) + φ·ε with φ·ε ~ N(0, σ²‖φ‖²): exact for polynomial losses, "
                "200-node Gauss–Hermite otherwise (relative error ≤ 1e-13 for σ‖φ‖ ≤ 2); qp's distance "
                "‖x_fake − x_real‖ stays the clean one"),
    Regulariser("lp", "WGAN-LP (Lipschitz penalty)", _on_d(_lp), (LAM_LP,),
                "Petzka, Fischer & Lukovnikov 2018 (WGAN-LP)", "L_D += λ·E[max(0, ‖∇_x D(x̂)‖ − 1)²]",
                "= λ·max(0, ‖φ‖ − 1)²: not twice differentiable at ‖φ‖ = 1"),
    Regulariser("dragan", "DRAGAN penalty", _on_d(_dragan), (LAM_DRAGAN,),
                "Kodali et al. 2017 (DRAGAN)", "L_D += λ·E[(‖∇_x D(x_real + δ)‖ − 1)²]",
                "= λ(‖φ‖ − 1)²: the gp1 penalty (WGAN-GP's), for a linear D"),
)

REGULARISERS: Mapping[str, Regulariser] = MappingProxyType({r.name: r for r in _REGULARISERS})
"""Every regulariser, by name."""

GRADIENT_PENALTIES = ("r1", "r2", "lp", "dragan")
"""The regularisers that penalise ‖∇_x D‖ (= ‖φ‖ for the unnormalised linear D)."""


@dataclass(frozen=True)
class _Composed:
    """Loss function of ``base`` plus regulariser terms (hashable, so derivations cache)."""

    base: LossFn
    base_fixed: tuple[tuple[str, float], ...]
    base_params: tuple[str, ...]
    parts: tuple[tuple[Callable, tuple[tuple[str, str], ...]], ...]

    def __call__(self, s, **params):
        base_args = {k: params[k] for k in self.base_params}
        base_args.update({k: s.exact(v) for k, v in self.base_fixed})
        loss_d, loss_g = self.base(s, **base_args)
        for apply, renames in self.parts:
            loss_d, loss_g = apply(s, loss_d, loss_g, **{inner: params[outer] for inner, outer in renames})
        return loss_d, loss_g


def compose(spec: GameSpec, *regs: Regulariser | str) -> GameSpec:
    """``spec`` with the regularisers applied to its losses, in the order given.

    Parameters of a regulariser are renamed ``<reg>_<param>`` (``r1_gamma``) so several can
    be combined (each regulariser at most once).  ``compose(GAMES['vanilla'], 'r1')`` is the R1-regularised non-saturating
    GAN; its field is derived like any other game's.
    """
    parts = []
    params = list(spec.params)
    names = [spec.name]
    nonsmooth = [spec.nonsmooth] if spec.nonsmooth else []
    for reg in regs:
        if isinstance(reg, str):
            try:
                reg = REGULARISERS[reg]
            except KeyError:
                raise InputError(
                    f"unknown regulariser {reg!r}; choose one of: {', '.join(REGULARISERS)}"
                ) from None
        if reg.name in GRADIENT_PENALTIES and spec.name.split("+")[0] == "wgan":
            raise InputError(f"wgan's critic is normalised (D(x) = φ·x/‖φ‖, ‖∇_x D‖ = 1): the {reg.name} penalty on it "
                             f"is constant; penalise the unnormalised critic of gp/gp0/gp1 instead")
        if reg.name == "noise" and nonsmooth:
            raise InputError(f"instance noise on a non-smooth loss ({spec.name}: non-smooth on {'; '.join(nonsmooth)}) "
                             f"is not supported: its Gaussian smoothing is not derived here")
        if reg.name == "lp":
            nonsmooth.append("‖φ‖ = 1 (WGAN-LP's max(0, ‖φ‖ − 1)²)")
        if reg.name in names[1:]:
            raise InputError(f"regulariser {reg.name!r} is given twice")
        renames = tuple((p.name, f"{reg.name}_{p.name}") for p in reg.params)
        for p, (_, outer) in zip(reg.params, renames):
            params.append(Param(outer, f"{p.symbol}_{reg.name}", f"{p.latex}_{{\\mathrm{{{reg.name}}}}}",
                                p.default, p.doc, p.lower, p.lower_open))
        parts.append((reg.apply, renames))
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
        nonsmooth="; ".join(nonsmooth),
    )
