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
from functools import lru_cache

import numpy as np
import sympy as sp

from ..derivation.numeric import vector_field
from ..errors import InputError
from ..games import Game
from .optimizers import Adam, lerp
from .training import Scheme

__all__ = ["StructuredJacobian", "GameOptimizer", "SGA", "HGD", "CGD", "OptimisticAdam", "GameScheme", "game_scheme", "GAME_OPTIMIZER_NAMES",
           "GAME_OPTIMIZERS", "make_game_optimizer", "adjusted_gradient", "check_differentiable",
           "linear_update_matrix", "lookahead_matrix", "game_update_matrices", "spectral_radius", "parse_lookahead"]


def _rows(x):
    """A learning rate as a factor of (N,) coefficient arrays: (N, 1) → (N,), scalars stay."""
    x = np.asarray(x, dtype=float)
    return x[..., 0] if x.ndim >= 2 else x


@lru_cache(maxsize=64)
def _kernel(spec, blocks: tuple):
    """One lambdified function of the invariants returning the field's 4 coefficients and the
    5 coefficients of each Jacobian block in ``blocks`` ((i, j) pairs), with shared
    subexpressions (σ(θ·φ) is evaluated once for the field and the Jacobian)."""
    from ..derivation.numeric import _lambdify

    der = vector_field(spec).derivation
    jac = der.jacobian_exprs()
    exprs = list(der.field_exprs())
    for i, j in blocks:
        exprs += jac[5 * (2 * i + j):5 * (2 * i + j) + 5]
    return _lambdify(der.args, exprs, cse=True)


ALL_BLOCKS = ((0, 0), (0, 1), (1, 0), (1, 1))


class StructuredJacobian:
    """The field v and its Jacobian J at a batch of states, in the span of θ and φ.

    Every d×d block J_vx (v, x ∈ {θ, φ}) is c·I + U K Uᵀ with U = [θ, φ] (d × 2 per start) and
    a 2×2 K of scalar coefficients, as :mod:`diracgan.derivation.symbolic` derives it, and the
    field is v_θ = U f_θ, v_φ = U f_φ.  So every vector the game optimizers form lies in the
    span of θ and φ and is kept as its 2 coefficients w = (w₀, w₁) ↦ w₀θ + w₁φ: with the Gram
    matrix G = UᵀU = [[‖θ‖², θ·φ], [θ·φ, ‖φ‖²]],

        J_vx (U w) = U (c w + K G w),   (U x)·(U y) = xᵀ G y,
        (m₀ I + U K Uᵀ) U ξ = U ρ  ⇐  (m₀ I₂ + K G) ξ = ρ,

    all (N,)-array arithmetic; only the final adjusted gradient is formed as (N, d) vectors.
    The cost per start does not grow with d beyond the field's own.  (For d = 1, or parallel
    θ and φ, the coefficients are not unique, but every identity above holds for any of them.)

    ``blocks[(i, j)]`` = (c, K₀₀, K₀₁, K₁₀, K₁₁); ``field`` = ((f_θθ, f_θφ), (f_φθ, f_φφ)).
    Built from a game (:meth:`of_game`) or from a constant M per start, J = M ⊗ I
    (:meth:`linear`, the linearised game).
    """

    def __init__(self, theta, phi, gram, field, blocks):
        self.theta, self.phi = theta, phi
        self.a, self.p, self.b = gram
        self.field = field
        self.blocks = blocks

    @classmethod
    def of_game(cls, game: Game, theta, phi, blocks: tuple = ALL_BLOCKS):
        """At states θ, φ (N, d); only the Jacobian ``blocks`` asked for are evaluated."""
        theta = np.asarray(theta, dtype=float)
        phi = np.asarray(phi, dtype=float)
        a = np.einsum("...i,...i->...", theta, theta)
        p = np.einsum("...i,...i->...", theta, phi)
        b = np.einsum("...i,...i->...", phi, phi)
        with np.errstate(all="ignore"):
            out = _kernel(game.spec, tuple(blocks))(p, a, b, *game.param_values())
        field = ((out[0], out[1]), (out[2], out[3]))
        jac = {blk: tuple(out[4 + 5 * n:9 + 5 * n]) for n, blk in enumerate(blocks)}
        return cls(theta, phi, (a, p, b), field, jac)

    @classmethod
    def linear(cls, m, theta, phi):
        """J = M ⊗ I with M (…, 2, 2) per start: the linearised game v = (M ⊗ I) z."""
        m = np.asarray(m, dtype=float)
        theta = np.asarray(theta, dtype=float)
        phi = np.asarray(phi, dtype=float)
        gram = tuple(np.einsum("...i,...i->...", x, y) for x, y in ((theta, theta), (theta, phi), (phi, phi)))
        field = ((m[..., 0, 0], m[..., 0, 1]), (m[..., 1, 0], m[..., 1, 1]))
        blocks = {(i, j): (m[..., i, j], 0.0, 0.0, 0.0, 0.0) for i in range(2) for j in range(2)}
        return cls(theta, phi, gram, field, blocks)

    # -- coefficient arithmetic ------------------------------------------------------------
    def gram_apply(self, w):
        """G w: (θ·(Uw), φ·(Uw))."""
        return w[0] * self.a + w[1] * self.p, w[0] * self.p + w[1] * self.b

    def dot(self, x, y):
        """(U x)·(U y)."""
        gy = self.gram_apply(y)
        return x[0] * gy[0] + x[1] * gy[1]

    def block_apply(self, i: int, j: int, w, transpose: bool = False):
        """J_ij (U w) (or J_ijᵀ (U w), which swaps K₀₁ and K₁₀), as coefficients."""
        c, k00, k01, k10, k11 = self.blocks[(i, j)]
        if transpose:
            k01, k10 = k10, k01
        tw, pw = self.gram_apply(w)
        return c * w[0] + k00 * tw + k01 * pw, c * w[1] + k10 * tw + k11 * pw

    def apply(self, w_theta, w_phi, transpose: bool = False):
        """J w (or Jᵀ w) for w = (U w_θ, U w_φ), as coefficient pairs."""
        def add(x, y):
            return x[0] + y[0], x[1] + y[1]

        if transpose:
            return (add(self.block_apply(0, 0, w_theta, True), self.block_apply(1, 0, w_phi, True)),
                    add(self.block_apply(0, 1, w_theta, True), self.block_apply(1, 1, w_phi, True)))
        return (add(self.block_apply(0, 0, w_theta), self.block_apply(0, 1, w_phi)),
                add(self.block_apply(1, 0, w_theta), self.block_apply(1, 1, w_phi)))

    def solve_product(self, i: int, j: int, scale, rho):
        """ξ with (I − scale·J_ij J_ji) U ξ = U ρ, exactly (class doc)."""
        c1, *k1 = self.blocks[(i, j)]
        c2, *k2 = self.blocks[(j, i)]
        a, p, b = self.a, self.p, self.b
        # K1 G K2 with G = [[a, p], [p, b]].
        g00, g01, g10, g11 = (k1[0] * a + k1[1] * p, k1[0] * p + k1[1] * b,
                              k1[2] * a + k1[3] * p, k1[2] * p + k1[3] * b)
        kgk = (g00 * k2[0] + g01 * k2[2], g00 * k2[1] + g01 * k2[3], g10 * k2[0] + g11 * k2[2], g10 * k2[1] + g11 * k2[3])
        m0 = 1.0 - scale * c1 * c2
        kk = [-scale * (c1 * k2[n] + c2 * k1[n] + kgk[n]) for n in range(4)]
        # (m0 I + K G) ξ = ρ, by Cramer's rule.
        a00, a01 = m0 + kk[0] * a + kk[1] * p, kk[0] * p + kk[1] * b
        a10, a11 = kk[2] * a + kk[3] * p, m0 + kk[2] * p + kk[3] * b
        det = a00 * a11 - a01 * a10
        return (rho[0] * a11 - a01 * rho[1]) / det, (a00 * rho[1] - a10 * rho[0]) / det

    def vector(self, w):
        """U w as (N, d) vectors."""
        return _col(w[0]) * self.theta + _col(w[1]) * self.phi


def _col(x):
    x = np.asarray(x, dtype=float)
    return x[..., None] if x.ndim else float(x)


# ---------------------------------------------------------------------------------------
# The adjusted gradients
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GameOptimizer:
    """Base class: :meth:`coefficients` maps the structured Jacobian to the adjusted gradient's
    coefficients on (θ, φ); :meth:`gradient` forms the vectors.  The same code runs on numpy
    arrays and on sympy expressions (:func:`adjusted_gradient` compiles the latter)."""

    name = "game"
    base_optimizers = ("sgd", "adam", "rmsprop")   # base optimizers the adjusted gradient may feed
    blocks = ALL_BLOCKS                            # the Jacobian blocks it needs

    def coefficients(self, jac: StructuredJacobian, lr_d, lr_g, lam=None, n=None, sign=np.sign):
        raise NotImplementedError  # pragma: no cover

    def gradient(self, jac: StructuredJacobian, lr_d=None, lr_g=None):
        """(ĝ_θ, ĝ_φ) as (N, d) vectors."""
        n = 2 * jac.theta.shape[-1]
        g_t, g_p = self.coefficients(jac, None if lr_d is None else _rows(lr_d), None if lr_g is None else _rows(lr_g),
                                     n=n)
        return jac.vector(g_t), jac.vector(g_p)

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

    def coefficients(self, jac, lr_d=None, lr_g=None, lam=None, n=None, sign=np.sign):
        vt, vp = jac.field
        jv_t, jv_p = jac.apply(vt, vp)
        jtv_t, jtv_p = jac.apply(vt, vp, transpose=True)
        at_t = ((jtv_t[0] - jv_t[0]) / 2, (jtv_t[1] - jv_t[1]) / 2)        # Aᵀξ = (Hᵀξ − Hξ)/2
        at_p = ((jtv_p[0] - jv_p[0]) / 2, (jtv_p[1] - jv_p[1]) / 2)
        lam = _rows(self.lam) if lam is None else lam
        if self.align:
            xi_dh = -(jac.dot(vt, jtv_t) + jac.dot(vp, jtv_p))           # ⟨ξ, ∇ℋ⟩, ξ = −v, ∇ℋ = Jᵀv
            at_dh = jac.dot(at_t, jtv_t) + jac.dot(at_p, jtv_p)           # ⟨Aᵀξ, ∇ℋ⟩
            lam = lam * sign(xi_dh * at_dh / n + self.eps)
        return ((lam * at_t[0] - vt[0], lam * at_t[1] - vt[1]),
                (lam * at_p[0] - vp[0], lam * at_p[1] - vp[1]))


@dataclass(frozen=True)
class HGD(GameOptimizer):
    """ĝ = ∇ℋ = Hᵀξ = Jᵀv, ℋ = ½‖ξ‖²."""

    name = "hgd"

    def coefficients(self, jac, lr_d=None, lr_g=None, lam=None, n=None, sign=np.sign):
        return jac.apply(*jac.field, transpose=True)


@dataclass(frozen=True)
class CGD(GameOptimizer):
    """Competitive gradient descent, general-sum, exact O(d) solves (module doc)."""

    name = "cgd"
    base_optimizers = ("sgd",)    # CGD's step is the local Nash equilibrium itself
    blocks = ((0, 1), (1, 0))     # only the mixed blocks J_θφ, J_φθ enter

    def coefficients(self, jac, lr_d, lr_g, lam=None, n=None, sign=np.sign):
        eg, ed = lr_g, lr_d
        vt, vp = jac.field
        jp = jac.block_apply(0, 1, vp)          # J_θφ φ'
        jt = jac.block_apply(1, 0, vt)          # J_φθ θ'
        rhs_t = (vt[0] + ed * jp[0], vt[1] + ed * jp[1])
        rhs_p = (vp[0] + eg * jt[0], vp[1] + eg * jt[1])
        dt = jac.solve_product(0, 1, eg * ed, rhs_t)       # Δθ / η_g
        dp = jac.solve_product(1, 0, eg * ed, rhs_p)       # Δφ / η_d
        return (-dt[0], -dt[1]), (-dp[0], -dp[1])


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


_LR_D, _LR_G = sp.Symbol("lr_d", positive=True), sp.Symbol("lr_g", positive=True)
_LAM, _NPAR = sp.Symbol("sga_lam", real=True), sp.Symbol("n_params", positive=True)


@lru_cache(maxsize=64)
def _adjusted_kernel(spec, optimizer: GameOptimizer):
    """The adjusted gradient's four coefficients (on θ and φ, per player) as one lambdified
    function of (θ·φ, ‖θ‖², ‖φ‖², the game's parameters, lr_d, lr_g, λ, n): the very code of
    :meth:`GameOptimizer.coefficients` run on the derived sympy expressions, with common
    subexpressions shared, so a step costs about one evaluation of the field."""
    from ..derivation.numeric import _lambdify
    from ..derivation.symbolic import INVARIANTS, sigmoid

    der = vector_field(spec).derivation
    p, a, b = INVARIANTS
    f = der.field_exprs()
    jac = der.jacobian_exprs()
    blocks = {(i, j): tuple(jac[5 * (2 * i + j):5 * (2 * i + j) + 5]) for i in range(2) for j in range(2)}
    sj = StructuredJacobian(None, None, (a, p, b), ((f[0], f[1]), (f[2], f[3])), blocks)
    exprs = [e for pair in optimizer.coefficients(sj, _LR_D, _LR_G, lam=_LAM, n=_NPAR, sign=sp.sign) for e in pair]
    # σ(−x) = 1 − σ(x): one special-function evaluation instead of two (vanilla's field has both).
    exprs = [sp.sympify(e).replace(lambda z: isinstance(z, sigmoid) and z.args[0].could_extract_minus_sign(),
                                   lambda z: 1 - sigmoid(-z.args[0])) for e in exprs]
    return _lambdify(der.args + (_LR_D, _LR_G, _LAM, _NPAR), exprs, cse=True)


def adjusted_gradient(game: Game, optimizer: GameOptimizer, lr_d, lr_g):
    """A gradient function (θ, φ) ↦ ĝ for :func:`diracgan.dynamics.training.train` (``grad=``):
    the compiled kernel of :func:`_adjusted_kernel` (equal to :meth:`GameOptimizer.gradient`
    on the structured Jacobian to rounding; tested)."""
    check_differentiable(game, optimizer.name)
    kernel = _adjusted_kernel(game.spec, dataclasses.replace(optimizer, lam=1.0) if isinstance(optimizer, SGA)
                              else optimizer)
    params = game.param_values()
    lr_d_r, lr_g_r = _rows(lr_d), _rows(lr_g)
    lam = _rows(optimizer.lam) if isinstance(optimizer, SGA) else 0.0

    def grad(theta, phi):
        a = np.einsum("...i,...i->...", theta, theta)
        p = np.einsum("...i,...i->...", theta, phi)
        b = np.einsum("...i,...i->...", phi, phi)
        with np.errstate(all="ignore"):
            t0, t1, p0, p1 = kernel(p, a, b, *params, lr_d_r, lr_g_r, lam, 2 * theta.shape[-1])
        return _col(t0) * theta + _col(t1) * phi, _col(p0) * theta + _col(p1) * phi

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
            # Built once (it checks that the game has second derivatives); not a dataclass field.
            object.__setattr__(self, "_adjusted", adjusted_gradient(self.game, self.adjust, self.opt_d.lr,
                                                                    self.opt_g.lr))

    @property
    def lookahead(self) -> tuple[int, float] | None:
        return None if self.lookahead_k is None else (int(self.lookahead_k), float(self.lookahead_alpha))

    def step(self, theta, phi, grad, state_d, state_g):
        if self.adjust is not None:
            grad = self._adjusted
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
            hyper = ""
            if isinstance(self.adjust, SGA):
                lam = np.asarray(self.adjust.lam)
                hyper = f" (λ {lam.item():g}" if lam.size == 1 else " (λ per run"
                hyper += ", aligned)" if self.adjust.align else ")"
            text = f"{self.adjust.name}{hyper} on " + text
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


def lookahead_matrix(f: np.ndarray, k: int, alpha: float, n_weights: int = 2) -> np.ndarray:
    """One Lookahead-minmax cycle (k base steps) of a linear base map F (…, K, K) whose first
    ``n_weights`` coordinates are the weights (θ, φ) and the rest optimizer state (momentum
    buffers, which Lookahead leaves alone): with E the projection on the weights,
    (I − E + αE) Fᵏ + (1 − α) E; for K = 2 this is (1 − α) I + α Fᵏ."""
    f = np.asarray(f, dtype=float)
    size = f.shape[-1]
    e = np.diag([1.0] * n_weights + [0.0] * (size - n_weights))
    fk = np.linalg.matrix_power(f, int(k))
    return (np.eye(size) - e + alpha * e) @ fk + (1 - alpha) * e


def game_update_matrices(scheme, m: np.ndarray, base) -> np.ndarray | None:
    """The linear update map on the linearised game for a :class:`GameScheme` (None for any
    other scheme): F of :func:`linear_update_matrix` for SGA, CGD, HGD (plain steps only),
    ``base(plain_scheme, m)`` otherwise, then one Lookahead cycle (:func:`lookahead_matrix`)
    when Lookahead is on.  ``m`` is (G, 2, 2); the state order is (θ, φ, optimizer state)."""
    if not isinstance(scheme, GameScheme) or (scheme.adjust is None and scheme.lookahead is None):
        return None
    if scheme.adjust is not None:
        for opt in (scheme.opt_d, scheme.opt_g):
            if opt.name != "sgd" or np.any(getattr(opt, "momentum", 0)) or np.any(opt.weight_decay):
                raise InputError(f"the update map of {scheme.adjust.name} is linearised for plain gradient steps "
                                 f"(sgd without momentum or weight decay), not {opt.name} with its options")
        f = linear_update_matrix(scheme.adjust, m, scheme.opt_d.lr, scheme.opt_g.lr)
    else:
        plain = Scheme(scheme.opt_d, scheme.opt_g, mode=scheme.mode, order=scheme.order, n_critic=scheme.n_critic,
                       n_gen=scheme.n_gen, clip=scheme.clip)
        f = base(plain, m)
    if scheme.lookahead is not None:
        k, alpha = scheme.lookahead
        f = lookahead_matrix(f, k, alpha)
    return f


def spectral_radius(f: np.ndarray) -> np.ndarray:
    """max |eigenvalue| of each matrix in a batch (…, K, K)."""
    return np.max(np.abs(np.linalg.eigvals(f)), axis=-1)
