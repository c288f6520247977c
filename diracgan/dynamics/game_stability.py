"""Linear stability of the game optimizers' update maps on the linearised game v = (M ⊗ I) z
(the spectral radius ``train`` and ``stability`` print), and of Lookahead-minmax cycles.

Closed forms (tests/test_game_optimizers.py): on the bilinear game M = [[0, 1], [−1, 0]], SGA's
step is I − η[[λ, −1], [1, λ]], CGD's [[1, η], [−η, 1]]/(1 + η²) (ρ = 1/√(1 + η²)), HGD's
(1 − η) I; a Lookahead cycle of a base map with eigenvalues μ has eigenvalues 1 − α + α μᵏ.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .game_optimizers import SGA, GameOptimizer, GameScheme, StructuredJacobian, _rows
from .training import Scheme

__all__ = ["linear_update_matrix", "lookahead_matrix", "game_update_matrices", "spectral_radius"]


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
