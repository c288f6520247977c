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
    where the field is not differentiable at the equilibrium (no eigenvalues there).
    """

    game: Game
    name: str
    values: np.ndarray
    eigenvalues: np.ndarray
    valid: np.ndarray

    @property
    def max_re(self) -> np.ndarray:
        return np.where(self.valid, self.eigenvalues.real.max(axis=1), np.nan)

    def crossings(self) -> list[float]:
        """Parameter values where max Re μ changes sign (the stability boundary), interpolated."""
        m = self.max_re
        out = []
        for i in range(len(m) - 1):
            if self.valid[i] and self.valid[i + 1] and np.sign(m[i]) != np.sign(m[i + 1]) and m[i] != m[i + 1]:
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
    eig = eigenvalues_2x2(m)
    valid = np.isfinite(eig).all(axis=1)
    return SweepResult(game, name, values, eig, valid)
