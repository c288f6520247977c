"""Optimizers built for games, in numpy, batched over starts: SGA, CGD, HGD, optimistic Adam,
Lookahead-minmax.

Notation.  The state is z = (θ, φ) (generator, discriminator), the derived field
v = (θ', φ') = −(∇_θ L_G, ∇_φ L_D) and J = ∂v/∂z its Jacobian.  The papers write the
*simultaneous gradient* ξ = (∇_θ L_G, ∇_φ L_D) = −v and the *game Hessian* H = ∇ξ = −J.
Each player steps with its own learning rate (η_g for θ, η_d for φ); the papers' single η is
η_g = η_d.

SGA, HGD and CGD are written as *adjusted gradients* ĝ = (ĝ_θ, ĝ_φ): a plain gradient step
θ ← θ − η_g ĝ_θ, φ ← φ − η_d ĝ_φ with them is the method, and :func:`adjusted_gradient`
hands them to the training loop of :mod:`diracgan.dynamics.training` (simultaneous mode) in
place of the plain gradients, so the base optimizer may also be momentum SGD, Adam or
RMSprop (DeepMind's SGA notebook feeds ξ_λ to RMSProp).

* **SGA**, symplectic gradient adjustment (Balduzzi et al., ICML 2018, "The mechanics of
  n-player differentiable games", Algorithm 1; checked against the authors' notebook
  google-deepmind/symplectic-gradient-adjustment, ``SymplecticOptimizer``, and the
  ``get_sym_adj`` helpers found by code search): H = S + A with A = (H − Hᵀ)/2, and
  ĝ = ξ_λ = ξ + λ Aᵀξ, Aᵀξ = (Hᵀξ − Hξ)/2.  With alignment, per start
  λ ← λ·sign(⟨ξ, ∇ℋ⟩⟨Aᵀξ, ∇ℋ⟩/n + ε), ∇ℋ = Hᵀξ, ε = 0.1.  The paper's n is the number of
  parameters (here 2d); the notebook divides by the number of variable tensors instead (2),
  which changes the sign only through the weight of ε: we follow the paper.
  In our terms Hξ = Jv and Hᵀξ = Jᵀv, so Aᵀξ = (Jᵀv − Jv)/2.
* **HGD**, Hamiltonian gradient descent (Balduzzi et al. 2018 §3; Loizou et al., ICML 2020,
  "Stochastic Hamiltonian gradient methods for smooth games"; Abernethy, Lai & Wibisono 2019):
  descend ℋ = ½‖ξ‖², ĝ = ∇ℋ = Hᵀξ = Jᵀv.
* **CGD**, competitive gradient descent (Schäfer & Anandkumar, NeurIPS 2019, arXiv:1905.12103,
  eq. for the general-sum game; the form agrees with the authors' Julia ``CG_CGDA!``): x = θ
  minimises f = L_G, y = φ minimises g = L_D, and each step plays the Nash equilibrium of the
  local bilinear game with quadratic penalties ‖Δx‖²/2η_x, ‖Δy‖²/2η_y, whose solution is
  Δx = −η_x (I − η_x η_y D²_xy f D²_yx g)⁻¹ (∇_x f − η_y D²_xy f ∇_y g) and symmetrically for
  y (the paper's η_x = η_y = η; the per-player form follows from the same first-order
  conditions, x = −η_x(∇_x f + D²_xy f Δy), y = −η_y(∇_y g + D²_yx g Δx)).  Here
  D²_xy f = −J_θφ, D²_yx g = −J_φθ, so Δθ = η_g (I − η_gη_d J_θφ J_φθ)⁻¹ (θ' + η_d J_θφ φ'),
  Δφ = η_d (I − η_gη_d J_φθ J_θφ)⁻¹ (φ' + η_g J_φθ θ'), and ĝ = −(Δθ/η_g, Δφ/η_d).  The
  d×d solve is exact and O(d) per start: every Jacobian block is c·I + U K Uᵀ with
  U = [θ, φ] (:mod:`diracgan.derivation.symbolic`), so (m₀ I + U K Uᵀ) x = r reduces to a 2×2
  system for y = K Uᵀ x: (m₀ I₂ + K G) y = K Uᵀ r, G = UᵀU, x = (r − U y)/m₀.
* **Optimistic Adam** (Daskalakis, Ilyas, Syrgkanis & Zeng, ICLR 2018, "Training GANs with
  Optimism", Algorithm 1; checked against an implementation of that algorithm found by code
  search, ``oadam_update``): Adam's bias-corrected moments m̂ₜ, v̂ₜ and
  wₜ = wₜ₋₁ − 2η m̂ₜ/(√v̂ₜ + ε) + η m̂ₜ₋₁/(√v̂ₜ₋₁ + ε); the first step is a plain Adam step.
  Its moment updates round as torch.optim.Adam's (m by lerp), so it is a per-player
  :class:`~diracgan.dynamics.optimizers.Optimizer` usable in any scheme.
* **Lookahead-minmax** (Chavdarova et al., ICLR 2021, "Taming GANs with Lookahead-Minmax",
  Algorithm 1; checked against Chavdarova/LAGAN-Lookahead_Minimax ``lagan/optim/lookahead.py``,
  whose trainer calls ``update_lookahead()`` on both players every k iterations): every k
  steps of the base scheme, the slow weights of *both* players move α of the way to the fast
  ones, ω ← ω + α(ω̃ − ω), and the fast weights restart there.  α = 1 is the base scheme.
  :class:`GameScheme` adds it to any scheme (and carries SGA, CGD, HGD).

Closed forms on the bilinear game (gp0 with λ = 0: θ' = φ, φ' = −θ; tested): J = [[0, 1],
[−1, 0]] ⊗ I, so Jv = −z, Jᵀv = z.  The SGA flow ż = −ξ_λ = [[−λ, 1], [−1, −λ]] z has
eigenvalues −λ ± i; HGD's step is z ← (1 − η) z; CGD's step is [[1, η], [−η, 1]]/(1 + η²) with
spectral radius 1/√(1 + η²); Lookahead around a base map with eigenvalues μ has eigenvalues
1 − α + α μᵏ per k steps.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..derivation.numeric import vector_field
from ..errors import InputError
from ..games import Game
from .optimizers import Adam, lerp
from .training import Scheme

__all__ = ["StructuredJacobian", "GameOptimizer", "SGA", "HGD", "CGD", "OptimisticAdam", "GameScheme", "game_scheme", "GAME_OPTIMIZER_NAMES",
           "GAME_OPTIMIZERS", "make_game_optimizer", "adjusted_gradient", "check_differentiable",
           "linear_update_matrix", "lookahead_matrix", "spectral_radius", "parse_lookahead"]


def _rows(x):
    """A learning rate as a factor of (N,) coefficient arrays: (N, 1) → (N,), scalars stay."""
    x = np.asarray(x, dtype=float)
    return x[..., 0] if x.ndim >= 2 else x


class StructuredJacobian:
    """The field v and its Jacobian J at a batch of states, kept in the structured form.

    Every d×d block J_vx (v, x ∈ {θ, φ}) is c·I + U K Uᵀ with U = [θ, φ] (N, d, 2) and a 2×2
    K of scalar coefficients per start, as :mod:`diracgan.derivation.symbolic` derives it.  A
    product J_vx·w costs O(d) per start: c w + θ(K₀₀ θ·w + K₀₁ φ·w) + φ(K₁₀ θ·w + K₁₁ φ·w).

    ``blocks[(i, j)]`` = (c, K₀₀, K₀₁, K₁₀, K₁₁), arrays of the batch shape (N,); i, j index
    (θ, φ).  Built from a game (:meth:`of_game`) or from a constant 2×2 matrix M per start
    (J = M ⊗ I: the linearised game, :meth:`linear`).
    """

    def __init__(self, theta, phi, v_theta, v_phi, blocks):
        self.theta, self.phi = theta, phi
        self.v_theta, self.v_phi = v_theta, v_phi
        self.blocks = blocks

    @classmethod
    def of_game(cls, game: Game, theta, phi, field=None):
        vf = vector_field(game.spec)
        params = game.param_values()
        theta = np.asarray(theta, dtype=float)
        phi = np.asarray(phi, dtype=float)
        v_theta, v_phi = field if field is not None else vf(theta, phi, params)
        coeffs, _ = vf._evaluate(vf._jacobian, theta, phi, params)
        blocks = {(i, j): tuple(coeffs[5 * (2 * i + j) + n] for n in range(5)) for i in range(2) for j in range(2)}
        return cls(theta, phi, v_theta, v_phi, blocks)

    @classmethod
    def linear(cls, m, theta, phi):
        """J = M ⊗ I with M (N, 2, 2) (or (2, 2)): the field v = (M z) of the linearised game."""
        m = np.asarray(m, dtype=float)
        zero = np.zeros(np.shape(theta)[:-1])
        blocks = {(i, j): (m[..., i, j] + zero, 0.0, 0.0, 0.0, 0.0) for i in range(2) for j in range(2)}
        c = lambda i, j: (m[..., i, j] + zero)[..., None]   # noqa: E731
        v_theta = c(0, 0) * theta + c(0, 1) * phi
        v_phi = c(1, 0) * theta + c(1, 1) * phi
        return cls(theta, phi, v_theta, v_phi, blocks)

    # -- products ------------------------------------------------------------------------
    def _dots(self, w):
        return np.einsum("...i,...i->...", self.theta, w), np.einsum("...i,...i->...", self.phi, w)

    def block_apply(self, i: int, j: int, w, transpose: bool = False):
        """J_ij·w (or J_ijᵀ·w, which swaps K₀₁ and K₁₀): w (N, d) → (N, d)."""
        c, k00, k01, k10, k11 = self.blocks[(i, j)]
        if transpose:
            k01, k10 = k10, k01
        out = _col(c) * w
        if not (_zero(k00) and _zero(k01) and _zero(k10) and _zero(k11)):
            tw, pw = self._dots(w)
            out = out + _col(k00 * tw + k01 * pw) * self.theta + _col(k10 * tw + k11 * pw) * self.phi
        return out

    def apply(self, w_theta, w_phi, transpose: bool = False):
        """J w (or Jᵀ w) for w = (w_θ, w_φ)."""
        if transpose:
            return (self.block_apply(0, 0, w_theta, True) + self.block_apply(1, 0, w_phi, True),
                    self.block_apply(0, 1, w_theta, True) + self.block_apply(1, 1, w_phi, True))
        return (self.block_apply(0, 0, w_theta) + self.block_apply(0, 1, w_phi),
                self.block_apply(1, 0, w_theta) + self.block_apply(1, 1, w_phi))

    def gram(self):
        """G = UᵀU = [[‖θ‖², θ·φ], [θ·φ, ‖φ‖²]] as three (N,) arrays (a, p, b)."""
        t, p = self._dots(self.theta)
        _, b = self._dots(self.phi)
        return t, p, b

    def solve_product(self, i: int, j: int, scale, r):
        """x with (I − scale·J_ij J_ji) x = r, exactly (see the module doc): r (N, d)."""
        c1, *k1 = self.blocks[(i, j)]
        c2, *k2 = self.blocks[(j, i)]
        a, p, b = self.gram()
        k1 = [np.asarray(k, dtype=float) for k in k1]
        k2 = [np.asarray(k, dtype=float) for k in k2]
        # K1 G K2 with G = [[a, p], [p, b]]: (K1 G)_rs then times K2.
        g00, g01, g10, g11 = (k1[0] * a + k1[1] * p, k1[0] * p + k1[1] * b,
                              k1[2] * a + k1[3] * p, k1[2] * p + k1[3] * b)
        kgk = (g00 * k2[0] + g01 * k2[2], g00 * k2[1] + g01 * k2[3], g10 * k2[0] + g11 * k2[2], g10 * k2[1] + g11 * k2[3])
        m0 = 1.0 - scale * c1 * c2
        kk = [-scale * (c1 * k2[n] + c2 * k1[n] + kgk[n]) for n in range(4)]
        tr, pr = self._dots(r)
        rhs0, rhs1 = kk[0] * tr + kk[1] * pr, kk[2] * tr + kk[3] * pr          # K Uᵀ r
        # (m0 I + K G) y = K Uᵀ r, by Cramer's rule.
        a00, a01 = m0 + kk[0] * a + kk[1] * p, kk[0] * p + kk[1] * b
        a10, a11 = kk[2] * a + kk[3] * p, m0 + kk[2] * p + kk[3] * b
        det = a00 * a11 - a01 * a10
        y0 = (rhs0 * a11 - a01 * rhs1) / det
        y1 = (a00 * rhs1 - a10 * rhs0) / det
        return (r - _col(y0) * self.theta - _col(y1) * self.phi) / _col(m0)


def _col(x):
    x = np.asarray(x, dtype=float)
    return x[..., None] if x.ndim else float(x)


def _zero(k) -> bool:
    return not isinstance(k, np.ndarray) and k == 0 or isinstance(k, np.ndarray) and not k.any()


# ---------------------------------------------------------------------------------------
# The adjusted gradients
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GameOptimizer:
    """Base class: :meth:`gradient` maps the structured Jacobian to the adjusted gradient."""

    name = "game"
    base_optimizers = ("sgd", "adam", "rmsprop")   # base optimizers the adjusted gradient may feed

    def gradient(self, jac: StructuredJacobian, lr_d, lr_g):  # pragma: no cover
        raise NotImplementedError

    def hyper(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class SGA(GameOptimizer):
    """ĝ = ξ + λ Aᵀξ, with the paper's sign alignment when ``align`` (module doc)."""

    lam: float = 1.0
    align: bool = False
    eps: float = 0.1
    name = "sga"

    def __post_init__(self):
        if not np.all(np.isfinite(np.asarray(self.lam, dtype=float))):
            raise InputError(f"lam (SGA's λ) must be finite, got {self.lam!r}")

    def gradient(self, jac, lr_d=None, lr_g=None):
        vt, vp = jac.v_theta, jac.v_phi
        jv_t, jv_p = jac.apply(vt, vp)
        jtv_t, jtv_p = jac.apply(vt, vp, transpose=True)
        at_t, at_p = (jtv_t - jv_t) / 2, (jtv_p - jv_p) / 2          # Aᵀξ
        lam = _rows(self.lam)
        if self.align:
            n = 2 * vt.shape[-1]
            xi_dh = -(np.einsum("...i,...i->...", vt, jtv_t) + np.einsum("...i,...i->...", vp, jtv_p))
            at_dh = np.einsum("...i,...i->...", at_t, jtv_t) + np.einsum("...i,...i->...", at_p, jtv_p)
            lam = lam * np.sign(xi_dh * at_dh / n + self.eps)
        return -vt + _col(lam) * at_t, -vp + _col(lam) * at_p


@dataclass(frozen=True)
class HGD(GameOptimizer):
    """ĝ = ∇ℋ = Hᵀξ = Jᵀv, ℋ = ½‖ξ‖²."""

    name = "hgd"

    def gradient(self, jac, lr_d=None, lr_g=None):
        return jac.apply(jac.v_theta, jac.v_phi, transpose=True)


@dataclass(frozen=True)
class CGD(GameOptimizer):
    """Competitive gradient descent, general-sum, exact O(d) solves (module doc)."""

    name = "cgd"
    base_optimizers = ("sgd",)    # CGD's step is the local Nash equilibrium itself

    def gradient(self, jac, lr_d, lr_g):
        eg, ed = _rows(lr_g), _rows(lr_d)
        vt, vp = jac.v_theta, jac.v_phi
        rhs_t = vt + _col(ed) * jac.block_apply(0, 1, vp)
        rhs_p = vp + _col(eg) * jac.block_apply(1, 0, vt)
        dt = jac.solve_product(0, 1, eg * ed, rhs_t)       # Δθ / η_g
        dp = jac.solve_product(1, 0, eg * ed, rhs_p)       # Δφ / η_d
        return -dt, -dp


GAME_OPTIMIZERS = {"sga": SGA, "cgd": CGD, "hgd": HGD}
"""The adjusted-gradient game optimizers by name (``train --optimizer``)."""


def make_game_optimizer(name: str, **hyper) -> GameOptimizer:
    """A game optimizer by name; None values take the defaults."""
    try:
        cls = GAME_OPTIMIZERS[name]
    except KeyError:
        raise InputError(f"unknown game optimizer {name!r}; choose one of: {', '.join(GAME_OPTIMIZERS)}") from None
    valid = {f.name for f in dataclasses.fields(cls)}
    given = {k: v for k, v in hyper.items() if v is not None}
    unknown = sorted(set(given) - valid)
    if unknown:
        raise InputError(f"{name} has no option {unknown[0]!r} (its options: {', '.join(sorted(valid)) or 'none'})")
    return cls(**given)


def check_differentiable(game: Game, method: str) -> None:
    """Refuse a game whose update has no second derivatives to use: a loss with a switch (max,
    abs, relu: hinge, LP) or a projection (wgan-clip's clip).  The message gives the reason."""
    if "clip" in game.params:
        raise InputError(f"{method} needs the game's second derivatives, but {game.name} clips φ after every step "
                         f"(a projection with no derivative); use wgan, gp0 or gp1 instead")
    switches = vector_field(game.spec).switches
    if switches:
        from ..derivation.symbolic import to_text

        raise InputError(f"{method} needs the game's second derivatives, but {game.name}'s loss is not "
                         f"differentiable on the surface {to_text(switches[0])} = 0 (a max/relu/abs)")


def adjusted_gradient(game: Game, optimizer: GameOptimizer, lr_d, lr_g):
    """A gradient function (θ, φ) ↦ ĝ for :func:`diracgan.dynamics.training.train` (``grad=``)."""
    check_differentiable(game, optimizer.name)
    vf = vector_field(game.spec)
    params = game.param_values()

    def grad(theta, phi):
        field = vf(theta, phi, params)
        return optimizer.gradient(StructuredJacobian.of_game(game, theta, phi, field), lr_d, lr_g)

    return grad


# ---------------------------------------------------------------------------------------
# Optimistic Adam and Lookahead-minmax
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptimisticAdam(Adam):
    """Optimistic Adam (Daskalakis et al. 2018, Algorithm 1; module doc).  Adam's defaults;
    no AMSGrad."""

    name = "optimistic-adam"

    def __post_init__(self):
        super().__post_init__()
        if self.amsgrad:
            raise InputError("optimistic Adam has no AMSGrad variant (Daskalakis et al. 2018, Algorithm 1)")

    def init(self, param):
        state = super().init(param)
        state["previous_update"] = None
        return state

    def step(self, param, grad, state):
        g = self._decayed(param, grad)
        state["step"] += 1
        t = state["step"]
        state["exp_avg"] = lerp(state["exp_avg"], g, 1 - self.beta1)
        state["exp_avg_sq"] = state["exp_avg_sq"] * self.beta2 + (1 - self.beta2) * (g * g)
        m_hat = state["exp_avg"] / (1 - self.beta1 ** t)
        v_hat = state["exp_avg_sq"] / (1 - self.beta2 ** t)
        update = m_hat / (np.sqrt(v_hat) + self.eps)        # m̂ₜ/(√v̂ₜ + ε)
        prev = state["previous_update"]
        state["previous_update"] = update
        if prev is None:
            return param - self.lr * update
        return param - self.lr * (2 * update - prev)


def parse_lookahead(k, alpha) -> tuple[int, float]:
    """Validate Lookahead's (k, α): k a whole number ≥ 1, α in (0, 1]."""
    try:
        k_int = int(k)
    except (TypeError, ValueError):
        raise InputError(f"lookahead k must be a whole number ≥ 1, got {k!r}") from None
    if k_int != k or k_int < 1:
        raise InputError(f"lookahead k must be a whole number ≥ 1, got {k!r}")
    a = float(alpha)
    if not (0 < a <= 1):
        raise InputError(f"lookahead alpha must be in (0, 1], got {alpha!r}")
    return k_int, a


@dataclass(frozen=True)
class GameScheme(Scheme):
    """A :class:`Scheme` with a game optimizer and/or Lookahead-minmax (module doc).

    ``adjust`` (SGA, CGD, HGD; needs ``game`` and mode 'simultaneous'): both players step with
    their optimizers (``opt_d``, ``opt_g``: SGD for the methods as published) on the adjusted
    gradient instead of the plain one.  ``lookahead_k``, ``lookahead_alpha``: every k steps
    both players' slow weights move α towards the fast ones, which restart there; the slow
    weights and the count live in the generator's optimizer state (``state_g``), so the
    training loop is unchanged."""

    adjust: GameOptimizer | None = None
    game: Game | None = None
    lookahead_k: int | None = None
    lookahead_alpha: float = 0.5

    def __post_init__(self):
        super().__post_init__()
        if self.lookahead_k is not None:
            parse_lookahead(self.lookahead_k, self.lookahead_alpha)
        if self.adjust is not None:
            if self.game is None:
                raise InputError(f"{self.adjust.name} needs the game (game=)")
            if self.mode != "simultaneous":
                raise InputError(f"{self.adjust.name} updates both players from one point; use mode='simultaneous'")
            if self.extragradient:
                raise InputError(f"{self.adjust.name} takes the place of extragradient; choose one")
            for opt in (self.opt_d, self.opt_g):
                if opt.name not in self.adjust.base_optimizers:
                    raise InputError(f"{self.adjust.name} steps with {' or '.join(self.adjust.base_optimizers)}, "
                                     f"not {opt.name}")
                if self.adjust.name == "cgd" and (np.any(getattr(opt, "momentum", 0)) or np.any(opt.weight_decay)):
                    raise InputError("cgd's step is the local Nash equilibrium itself: no momentum or weight decay")
            check_differentiable(self.game, self.adjust.name)
            if self.clip is not None:
                raise InputError(f"{self.adjust.name} cannot follow a clipped critic (wgan-clip)")

    @property
    def lookahead(self) -> tuple[int, float] | None:
        return None if self.lookahead_k is None else (int(self.lookahead_k), float(self.lookahead_alpha))

    def step(self, theta, phi, grad, state_d, state_g):
        if self.adjust is not None:
            grad = adjusted_gradient(self.game, self.adjust, self.opt_d.lr, self.opt_g.lr)
        if self.lookahead_k is None:
            return super().step(theta, phi, grad, state_d, state_g)
        if "lookahead_slow" not in state_g:
            state_g["lookahead_slow"] = (np.array(theta, dtype=float, copy=True), np.array(phi, dtype=float, copy=True))
            state_g["lookahead_count"] = 0
        theta, phi = super().step(theta, phi, grad, state_d, state_g)
        state_g["lookahead_count"] += 1
        if state_g["lookahead_count"] % int(self.lookahead_k) == 0:
            slow_t, slow_p = state_g["lookahead_slow"]
            slow_t = slow_t + self.lookahead_alpha * (theta - slow_t)
            slow_p = slow_p + self.lookahead_alpha * (phi - slow_p)
            state_g["lookahead_slow"] = (slow_t, slow_p)
            theta, phi = slow_t.copy(), slow_p.copy()
        return theta, phi

    def describe(self) -> str:
        text = super().describe()
        if self.adjust is not None:
            hyper = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in self.adjust.hyper().items())
            text = f"{self.adjust.name}{f' ({hyper})' if hyper else ''} on " + text
        if self.lookahead_k is not None:
            text += f", lookahead k {int(self.lookahead_k)}, α {self.lookahead_alpha:g}"
        return text


GAME_OPTIMIZER_NAMES = ("sga", "cgd", "hgd", "optimistic-adam")
"""The names this module adds to ``train --optimizer``."""


def game_scheme(game: Game, optimizer: str, *, lr=None, lr_d=None, lr_g=None, mode: str | None = None,
                order: str = "d-first", n_critic: int = 1, n_gen: int = 1, lookahead=None, sga_lambda=None,
                sga_align: bool = False, base: str = "sgd", **hyper) -> Scheme:
    """The :class:`GameScheme` of ``train --optimizer NAME [--lookahead K,ALPHA]``.

    ``optimizer`` is a game optimizer (sga, cgd, hgd: plain steps of ``base``, simultaneous),
    ``optimistic-adam`` (per player, alternating by default) or any name of
    :data:`diracgan.dynamics.optimizers.OPTIMIZERS` (then only Lookahead is added);
    ``lookahead`` is None or (k, α); ``hyper`` goes to the per-player optimizers."""
    from .optimizers import make_optimizer
    from .training import default_mode

    lr_d = lr_d if lr_d is not None else lr
    lr_g = lr_g if lr_g is not None else lr
    if (sga_lambda is not None or sga_align) and optimizer != "sga":
        raise InputError(f"sga_lambda/sga_align are SGA's options, not {optimizer}'s")
    adjust = None
    if optimizer in GAME_OPTIMIZERS:
        extra = {"lam": sga_lambda, "align": sga_align or None} if optimizer == "sga" else {}
        adjust = make_game_optimizer(optimizer, **extra)
        if mode not in (None, "simultaneous"):
            raise InputError(f"{optimizer} updates both players from one point (mode 'simultaneous'), not {mode!r}")
        mode = "simultaneous"
        opt_d, opt_g = make_optimizer(base, lr=lr_d, **hyper), make_optimizer(base, lr=lr_g, **hyper)
    elif optimizer == "optimistic-adam":
        opt_d, opt_g = _optimistic_adam(lr_d, hyper), _optimistic_adam(lr_g, hyper)
        mode = mode or "alternating"
    else:
        opt_d, opt_g = make_optimizer(optimizer, lr=lr_d, **hyper), make_optimizer(optimizer, lr=lr_g, **hyper)
        mode = mode or default_mode(optimizer)
    k, alpha = (None, 0.5) if lookahead is None else parse_lookahead(*lookahead)
    return GameScheme(opt_d, opt_g, mode=mode, order=order, n_critic=n_critic, n_gen=n_gen,
                      clip=game.params.get("clip"), adjust=adjust, game=game if adjust else None,
                      lookahead_k=k, lookahead_alpha=alpha)


def _optimistic_adam(lr, hyper: dict) -> OptimisticAdam:
    valid = {f.name for f in dataclasses.fields(OptimisticAdam)} - {"amsgrad"}
    given = {k: v for k, v in hyper.items() if v is not None}
    unknown = sorted(set(given) - valid)
    if unknown:
        raise InputError(f"optimistic-adam has no option {unknown[0]!r} (its options: {', '.join(sorted(valid))})")
    return OptimisticAdam(**({"lr": lr} if lr is not None else {}), **given)


# ---------------------------------------------------------------------------------------
# Linear stability of the update maps (the linearised game)
# ---------------------------------------------------------------------------------------


def linear_update_matrix(optimizer: GameOptimizer, m, lr_d, lr_g) -> np.ndarray:
    """The 2×2 matrix F of one plain-gradient step of ``optimizer`` on the linearised game
    v = (M ⊗ I) z, for M (G, 2, 2) and learning rates scalars or (G,)/(G, 1) arrays: (G, 2, 2),
    F ⊗ I_d the map of (θ, φ).  Obtained by applying the same code to the unit vectors (no
    hand-typed matrix).  SGA with alignment is only piecewise linear (its sign depends on the
    direction of z) and is refused."""
    if isinstance(optimizer, SGA) and optimizer.align:
        raise InputError("SGA with sign alignment is not linear near the equilibrium (the sign of λ depends on "
                         "the direction of (θ, φ)); analyse it with align off")
    m = np.asarray(m, dtype=float).reshape(-1, 2, 2)
    g = m.shape[0]
    basis = np.broadcast_to(np.eye(2), (g, 2, 2))
    theta, phi = basis[:, 0, :, None], basis[:, 1, :, None]     # (G, 2 unit vectors, d = 1)
    # Learning rates of shape (G, 1, 1): a factor of the (G, 2, d) batch of unit vectors.
    lr_d_b = np.broadcast_to(_rows(lr_d), (g,))[:, None, None]
    lr_g_b = np.broadcast_to(_rows(lr_g), (g,))[:, None, None]
    mm = np.broadcast_to(m[:, None], (g, 2, 2, 2))
    jac = StructuredJacobian.linear(mm, theta, phi)
    gt, gp = optimizer.gradient(jac, lr_d_b, lr_g_b)
    new_t = theta - lr_g_b * gt
    new_p = phi - lr_d_b * gp
    return np.stack([new_t[..., 0], new_p[..., 0]], axis=1)


def lookahead_matrix(f: np.ndarray, k: int, alpha: float) -> np.ndarray:
    """One Lookahead-minmax cycle (k base steps) of a linear base map F: (1 − α) I + α Fᵏ."""
    f = np.asarray(f, dtype=float)
    return (1 - alpha) * np.eye(f.shape[-1]) + alpha * np.linalg.matrix_power(f, int(k))


def spectral_radius(f: np.ndarray) -> np.ndarray:
    """max |eigenvalue| of each matrix in a batch (…, K, K)."""
    return np.max(np.abs(np.linalg.eigvals(f)), axis=-1)
