"""Eigenvalue sweeps: the eigenvalues of the equilibrium's M as one parameter varies.

One batched evaluation of M over all values (:func:`~.linear.equilibrium_matrices`), then the
stable closed-form eigenvalues of each 2×2 matrix; the stability boundary is where max Re μ
changes sign.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..games import Game
from .linear import eigenvalues_2x2, equilibrium_matrices

__all__ = ["SweepResult", "eigenvalue_sweep"]


@dataclass(frozen=True, eq=False)
class SweepResult:
    """Eigenvalues of M (each ×d in J) along a parameter sweep.

    ``values`` (K,), ``eigenvalues`` (K, 2) complex sorted by (Re, Im), ``valid`` (K,) False
    where there are no eigenvalues: the field is not differentiable at the equilibrium
    (``differentiable`` False) or M overflows the float range.
    """

    game: Game
    name: str
    values: np.ndarray
    eigenvalues: np.ndarray
    valid: np.ndarray
    differentiable: np.ndarray | None = None

    @property
    def n_not_differentiable(self) -> int:
        return int((~self.valid).sum()) if self.differentiable is None else int((~self.differentiable).sum())

    @property
    def n_overflow(self) -> int:
        """Values where the field is differentiable but M or its eigenvalues exceed the float range."""
        return 0 if self.differentiable is None else int((self.differentiable & ~self.valid).sum())

    @property
    def max_re(self) -> np.ndarray:
        return np.where(self.valid, self.eigenvalues.real.max(axis=1), np.nan)

    def crossings(self) -> list[float]:
        """Parameter values where max Re μ changes sign (the stability boundary), interpolated."""
        m = self.max_re
        out = []
        for i in range(len(m) - 1):
            if (self.valid[i] and self.valid[i + 1] and np.isfinite(m[i]) and np.isfinite(m[i + 1])
                    and np.sign(m[i]) != np.sign(m[i + 1]) and m[i] != m[i + 1]):
                out.append(float(self.values[i] - m[i] * (self.values[i + 1] - self.values[i]) / (m[i + 1] - m[i])))
        return out


def eigenvalue_sweep(game: Game, name: str, values) -> SweepResult:
    """Eigenvalues of the equilibrium's M as parameter ``name`` runs over ``values``.

    One batched evaluation (see :func:`equilibrium_matrices`).

    Parameters
    ----------
    game : Game
        The game; its other parameters stay at their values.
    name : str
        The parameter to sweep, as :func:`diracgan.make_game` spells it (e.g. ``"lam"``).
    values : array_like
        Its values, (K,).

    Returns
    -------
    SweepResult
        ``eigenvalues`` (K, 2), ``max_re`` (K,), ``valid``, ``crossings()``; draw it with
        :func:`diracgan.sweep_figure`.

    Examples
    --------
    >>> import numpy as np
    >>> from diracgan import eigenvalue_sweep, make_game
    >>> eigenvalue_sweep(make_game("gp0"), "lam", np.linspace(0, 3, 61)).eigenvalues.shape
    (61, 2)
    """
    spec = game.spec
    if name not in spec.param_names:
        have = ", ".join(spec.param_names) or "none"
        raise InputError(f"{game.name} has no parameter {name!r} to sweep (its parameters: {have})")
    values = np.asarray(values, dtype=float)
    for v in (values.min(), values.max()):
        spec.param(name).check(float(v), game.name)
    m = equilibrium_matrices(game, {name: values}, shape=values.shape)
    with np.errstate(all="ignore"):
        eig = eigenvalues_2x2(m)
    # Not differentiable: M is NaN.  Differentiable but not valid: M or its eigenvalues exceed
    # the float range (λ near 1e308), an overflow.
    valid = np.isfinite(eig).all(axis=1)
    differentiable = ~np.isnan(m).any(axis=(-1, -2))
    return SweepResult(game, name, values, np.where(valid[:, None], eig, np.nan), valid, differentiable)
