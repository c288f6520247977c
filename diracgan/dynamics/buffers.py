"""Preallocated work arrays of the training loop (:func:`diracgan.dynamics.training.train`).

The loop allocates nothing of size N per step: the iterates alternate between three arrays
per player (:func:`spares`), and the divergence test ‖(θ, φ)‖ < bound is computed into
preallocated arrays (:class:`StateNorm`), with exactly the roundings of :func:`state_norm`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["state_norm", "StateNorm", "spares"]


def state_norm(theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """‖(θ, φ)‖ per row, without overflow for finite states of norm beyond 1.3e154 (the squares
    overflow there; those rows are rescaled by their largest entry)."""
    with np.errstate(all="ignore"):
        norm = np.sqrt(np.sum(theta**2, axis=-1) + np.sum(phi**2, axis=-1))
        big = np.isinf(norm)
        if big.any():
            z = np.concatenate([theta[big], phi[big]], axis=-1)
            scale = np.max(np.abs(z), axis=-1)
            norm[big] = scale * np.sqrt(np.sum((z / scale[..., None]) ** 2, axis=-1))
    return norm


class StateNorm:
    """``state_norm(θ, φ) < bound`` into preallocated (N,) arrays, for the training loop: the
    same values (the same squares and sums); the rescaling of overflowing norms only when some
    run fails the test."""

    def __init__(self, n: int, d: int):
        self.norm = np.empty(n)     # ‖(θ, φ)‖ of the last call
        self.part = np.empty(n)
        self.ok = np.empty(n, dtype=bool)
        self.sq = np.empty((n, d)) if d >= 8 else None
        self.sq_col = np.empty(n)

    def _sum_sq(self, x: np.ndarray, out: np.ndarray) -> None:
        """Σᵢ xᵢ² per row, rounded as ``np.sum(x**2, axis=-1)``: below 8 terms numpy adds them
        one after another, which is done here column by column (a reduction over a short last
        axis is slow); from 8 on (pairwise blocks) numpy itself."""
        if self.sq is not None:
            np.square(x, out=self.sq)
            np.sum(self.sq, axis=-1, out=out)
            return
        np.multiply(x[:, 0], x[:, 0], out=out)
        for i in range(1, x.shape[1]):
            np.multiply(x[:, i], x[:, i], out=self.sq_col)
            out += self.sq_col

    def __call__(self, theta: np.ndarray, phi: np.ndarray, bound: float) -> np.ndarray:
        """(N,) bool: ‖(θ, φ)‖ < bound (False for NaN); the norms are left in ``self.norm``."""
        self._sum_sq(theta, self.norm)
        self._sum_sq(phi, self.part)
        self.norm += self.part
        np.sqrt(self.norm, out=self.norm)
        np.less(self.norm, bound, out=self.ok)
        if not self.ok.all():
            big = np.isinf(self.norm)
            if big.any():
                self.norm[big] = state_norm(theta[big], phi[big])
                np.less(self.norm, bound, out=self.ok)
        return self.ok


def spares(pool: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two arrays of ``pool`` (3, N, d) that ``current`` does not live in."""
    free = [pool[i] for i in range(3) if not np.may_share_memory(pool[i], current)]
    return free[0], free[1]
