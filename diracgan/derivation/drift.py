"""Discretisation drift: the first-order modified equations of discrete training, derived
symbolically from the game.

Source: Rosca, Wu, Dherin & Barrett, "Discretization Drift in Two-Player Games", ICML 2021
(arXiv:2105.13922), Theorems 3.1 (simultaneous) and 3.2 (alternating), by backward error
analysis.  The papers' setting and update rules (φ_t = φ_{t−1} + αh f, θ_t = θ_{t−1} + λh g,
alternating: θ's step at the updated φ) were checked against the authors' blog post
(sml-group.cc/blog/2021-discretization-drift); the typeset theorems could not be read there,
so the flows below are re-derived here (the derivation is in this docstring) and tested
three ways (tests/test_drift.py): against bilinear closed forms, by the O(h²) tracking of the
iterates, and against a finite-difference backward-error estimate from the numpy iterates.
With equal rates they agree with the forms quoted in ../shared/docs/literature.md §5.1.

Set-up.  One training step (one generator iteration) takes time h.  Each player has a rate
relative to h: the generator θ steps with η_g = α_g h, the discriminator φ with η_d = α_d h;
F_θ = θ', F_φ = φ' is the game's field and J_vx = ∂F_v/∂x its Jacobian blocks.  We seek a
flow ż = G₀ + h G₁ whose exact solution after time h equals the discrete step up to O(h³)
(the unmodified flow G₀ is only O(h²) per step, so O(h) off after a fixed time, the modified
one O(h²)).  The flow after time h is z + hG + (h²/2) G'G + O(h³).

* Simultaneous: z₁ = z + h D F(z), D = diag(α_g, α_d), so G₀ = DF and G₁ = −½ (DF)'(DF):
      θ̇ = α_g [F_θ − (α_g h/2) J_θθ F_θ − (α_d h/2) J_θφ F_φ]
      φ̇ = α_d [F_φ − (α_g h/2) J_φθ F_θ − (α_d h/2) J_φφ F_φ]
* Alternating, first player X with n_X steps (rate a_X), then Y with n_Y steps at the
  updated X (d-first: X = φ, n_X = n_critic; g-first: X = θ).  Iterating Euler,
  X₁ = X + n_X a_X h F_X + ½ n_X(n_X − 1) a_X² h² J_XX F_X + O(h³), and Y's steps see
  F_Y(X₁, Y) = F_Y + n_X a_X h J_YX F_X + O(h²), so
      Ẋ = n_X a_X [F_X − (a_X h/2) J_XX F_X − (n_Y a_Y h/2) J_XY F_Y]
      Ẏ = n_Y a_Y [F_Y + (n_X a_X h/2) J_YX F_X − (a_Y h/2) J_YY F_Y]
  (n_X = n_Y = 1: the second player's interaction term changes sign, Rosca et al.'s
  explanation of why alternating updates are more stable.)

In the invariants.  Every J_vx is c·I + Σ k_uw u wᵀ and F_x = f_xθ θ + f_xφ φ, so
J_vx F_x = (c f_xθ + k_θθ θ·F_x + k_θφ φ·F_x) θ + (c f_xφ + k_φθ θ·F_x + k_φφ φ·F_x) φ with
θ·F_x = f_xθ ‖θ‖² + f_xφ θ·φ and φ·F_x = f_xθ θ·φ + f_xφ ‖φ‖²: the modified field has the
same form θ̇ = G_θθ θ + G_θφ φ, φ̇ = G_φθ θ + G_φφ φ as the game's field, and the whole
machinery (Jacobian blocks, numeric field, J(0) = M̃ ⊗ I_d) applies to it unchanged.  The
modified derivation carries h, α_d, α_g as three more parameters (after the game's own).

Bilinear closed forms (tested): for θ' = φ, φ' = −θ (gp0 with λ = 0) and equal rates,
simultaneous M̃ = [[h/2, 1], [−1, h/2]] (eigenvalues h/2 ± i: the spiral out), alternating
d-first M̃ = [[−h/2, 1], [−1, h/2]] (trace 0, eigenvalues ±i√(1 − h²/4): closed orbits).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from ..errors import InputError
from ..games import Game, GameSpec
from . import symbolic
from .symbolic import INVARIANTS, STATE_BLOCKS, Derivation, derive, jacobian_blocks, tidy

__all__ = ["DRIFT_SCHEMES", "DRIFT_ORDERS", "H", "ALPHA_D", "ALPHA_G", "DriftScheme", "drift_scheme",
           "modified_coefficients", "drift_derivation", "drift_field", "drift_values", "drift_matrix", "DRIFT_OPTIMIZERS"]

DRIFT_SCHEMES = ("simultaneous", "alternating")
DRIFT_ORDERS = ("d-first", "g-first")
DRIFT_OPTIMIZERS = ("sgd",)
"""The optimizers whose drift is derived: plain gradient descent (Rosca et al.'s Euler steps)."""

P, A, B = INVARIANTS
H = sp.Symbol("h", positive=True)
ALPHA_D = sp.Symbol("alpha_d", positive=True)
ALPHA_G = sp.Symbol("alpha_g", positive=True)
symbolic._PARAM_LATEX.update({H: "h", ALPHA_D: r"\alpha_D", ALPHA_G: r"\alpha_G"})


@dataclass(frozen=True)
class DriftScheme:
    """Which discrete scheme's drift: ``mode`` (simultaneous / alternating), ``order``
    (alternating: d-first or g-first), ``n_critic``, ``n_gen`` (alternating only)."""

    mode: str = "simultaneous"
    order: str = "d-first"
    n_critic: int = 1
    n_gen: int = 1

    def __post_init__(self):
        if self.mode not in DRIFT_SCHEMES:
            raise InputError(f"unknown drift scheme {self.mode!r}; choose one of: {', '.join(DRIFT_SCHEMES)}")
        if self.order not in DRIFT_ORDERS:
            raise InputError(f"unknown order {self.order!r}; choose one of: {', '.join(DRIFT_ORDERS)}")
        for name, n in (("n_critic", self.n_critic), ("n_gen", self.n_gen)):
            if int(n) != n or n < 1:
                raise InputError(f"{name} must be a whole number ≥ 1, got {n!r}")
        if self.mode == "simultaneous" and (self.n_critic != 1 or self.n_gen != 1):
            raise InputError("n_critic/n_gen > 1 need the alternating scheme (simultaneous steps update both "
                             "players once)")

    def describe(self) -> str:
        if self.mode == "simultaneous":
            return "simultaneous"
        extra = f", n_critic {self.n_critic}" + (f", n_gen {self.n_gen}" if self.n_gen > 1 else "")
        return f"alternating, {self.order}{extra}"


def drift_scheme(mode: str, order: str = "d-first", n_critic: int = 1, n_gen: int = 1,
                 optimizer: str = "sgd") -> DriftScheme:
    """A validated :class:`DriftScheme`; ``optimizer`` must be one whose drift is derived."""
    if optimizer not in DRIFT_OPTIMIZERS:
        raise InputError(f"the drift is derived for plain gradient steps ({', '.join(DRIFT_OPTIMIZERS)}), "
                         f"not {optimizer}")
    return DriftScheme(mode, order, int(n_critic), int(n_gen))


def _apply(jac: dict, coeffs: dict, v: str, x: str) -> tuple:
    """J_vx F_x as coefficients (on θ, on φ) in the invariants (module doc)."""
    blk = jac[v][x]
    f_t, f_p = coeffs[x]["theta"], coeffs[x]["phi"]
    t_dot = f_t * A + f_p * P          # θ·F_x
    p_dot = f_t * P + f_p * B          # φ·F_x
    (k_tt, k_tp), (k_pt, k_pp) = blk.outer
    c = blk.identity
    return c * f_t + k_tt * t_dot + k_tp * p_dot, c * f_p + k_pt * t_dot + k_pp * p_dot


def modified_coefficients(coeffs: dict, scheme: DriftScheme, h=H, alpha_d=ALPHA_D, alpha_g=ALPHA_G) -> dict:
    """The coefficients G_vu of the first-order modified field (module doc) from a field's
    coefficients ``coeffs`` (``{'theta': {'theta': g_θθ, 'phi': g_θφ}, 'phi': {...}}``)."""
    jac = jacobian_blocks(coeffs)
    rate = {"theta": alpha_g, "phi": alpha_d}
    steps = {"theta": scheme.n_gen, "phi": scheme.n_critic}
    other = {"theta": "phi", "phi": "theta"}
    out = {}
    for v in STATE_BLOCKS:
        w = other[v]
        self_term = _apply(jac, coeffs, v, v)
        cross = _apply(jac, coeffs, v, w)
        if scheme.mode == "simultaneous":
            n_v, s_self, s_cross = 1, rate[v] * h / 2, -rate[w] * h / 2
        else:
            first = "phi" if scheme.order == "d-first" else "theta"
            n_v = steps[v]
            s_self = rate[v] * h / 2
            # First player: −(n_Y a_Y h/2) J_XY F_Y; second player: +(n_X a_X h/2) J_YX F_X.
            s_cross = (-1 if v == first else 1) * steps[w] * rate[w] * h / 2
        out[v] = {u: tidy(n_v * rate[v] * (coeffs[v][u] - s_self * self_term[i] + s_cross * cross[i]))
                  for i, u in enumerate(STATE_BLOCKS)}
    return out


@lru_cache(maxsize=64)
def drift_derivation(spec: GameSpec, scheme: DriftScheme) -> Derivation:
    """A :class:`~diracgan.derivation.symbolic.Derivation` of the modified field, with
    parameters (the game's, h, α_d, α_g): :class:`~diracgan.derivation.numeric.VectorField`
    evaluates it like any game's field."""
    der = derive(spec)
    coeffs = modified_coefficients(der.coefficients, scheme)
    return Derivation(spec, der.params + (H, ALPHA_D, ALPHA_G), der.loss_d, der.loss_g, coeffs,
                      jacobian_blocks(coeffs))


@lru_cache(maxsize=64)
def drift_field(spec: GameSpec, scheme: DriftScheme):
    """The numeric :class:`~diracgan.derivation.numeric.VectorField` of the modified field."""
    from .numeric import VectorField

    return VectorField(drift_derivation(spec, scheme))


def drift_values(game: Game, lr: float | None, lr_d: float | None = None, lr_g: float | None = None) -> tuple:
    """(h, α_d, α_g) from the step ``lr`` = h and the players' learning rates (default h):
    α = lr_player / h.  Without ``lr``, h is the generator's rate.  Validated."""
    for name, x in (("lr", lr), ("lr_d", lr_d), ("lr_g", lr_g)):
        if x is not None and not (float(x) > 0 and float(x) < float("inf")):
            raise InputError(f"{name} must be finite and > 0, got {x!r}")
    h = lr if lr is not None else (lr_g if lr_g is not None else lr_d)
    if h is None:
        raise InputError("the drift needs the step: give lr (and optionally lr_d, lr_g)")
    h = float(h)
    a_d = float(lr_d) / h if lr_d is not None else 1.0
    a_g = float(lr_g) / h if lr_g is not None else 1.0
    return h, a_d, a_g


def drift_matrix(spec: GameSpec, scheme: DriftScheme, values: dict | None = None) -> sp.Matrix | None:
    """M̃: J̃(0) = M̃ ⊗ I_d of the modified field, exact (the identity parts of its Jacobian
    blocks at θ = φ = 0), in the parameters, h, α_d, α_g; ``values`` substitutes some of
    them.  None when the modified field is not C¹ at the equilibrium (a coefficient is not
    finite there)."""
    der = drift_derivation(spec, scheme)
    origin = {P: 0, A: 0, B: 0}
    rows = []
    for v in STATE_BLOCKS:
        row = []
        for x in STATE_BLOCKS:
            e = der.jacobian[v][x].identity
            if values:
                e = e.subs(values)
            e = sp.simplify(e.subs(origin))
            if e.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
                return None
            row.append(e)
        rows.append(row)
    return sp.Matrix(rows)
