"""Regularisers: terms added to a game's losses, composable with any game.

With a linear D, every penalty on ∇_x D = φ is a function of ‖φ‖², so R1, R2 and L2 weight decay
on D all add the same term γ/2·‖φ‖² (and gp0 is the bilinear game plus λ‖φ‖², i.e. the same
damping with γ = 2λ).  :func:`compose` returns a new :class:`~diracgan.games.spec.GameSpec`
whose field is derived like any other game's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from ..errors import InputError
from .spec import GameSpec, LossFn, Param

__all__ = ["Regulariser", "REGULARISERS", "compose"]


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
