"""The numeric route of the linear analysis, taken when a game is over the symbolic budget.

:func:`diracgan.analysis.linear.analyse` decides exactly (sympy: singular sets, limits along
rays, eigenvalues in the parameters) as long as the derived field and Jacobian are within
``diracgan.derivation.budget.ANALYSIS_SIZE`` expression nodes.  Past it (a long custom loss,
consensus on a custom loss) it comes here instead, and says so (``route = "numeric"``):

* M is the derived Jacobian evaluated in floating point at θ = φ = 0 (in d = 1, where
  J(0) = M ⊗ I_1 = M; the outer products vanish at the origin for every d);
* the field counts as differentiable at the equilibrium when M is finite and the derived
  Jacobian at distance :data:`PROBE_RADIUS` from the origin, in :data:`PROBE_DIRECTIONS`
  (d = 2), agrees with M ⊗ I_2 to :data:`PROBE_TOLERANCE` relative; a switching surface through
  the origin or a 1/‖φ‖ singularity fails it.  This is a numeric test at a few points, not a
  proof;
* the eigenvalues are numpy's of M, each × d; real parts within :data:`ZERO_TOLERANCE` · max(1,
  ‖M‖) of 0 count as 0 for the verdict (centre, marginal).
"""

from __future__ import annotations

import numpy as np

from ..derivation.numeric import jacobian
from ..games import Game

__all__ = ["PROBE_RADIUS", "PROBE_DIRECTIONS", "PROBE_TOLERANCE", "ZERO_TOLERANCE", "numeric_m", "verdict_of"]

PROBE_RADIUS = 1e-6
PROBE_DIRECTIONS = (
    (1.0, 0.0, 0.0, 1.0),
    (0.6, -0.8, 0.28, 0.96),
    (-0.3, 0.5, 0.8, -0.1),
    (0.0, 1.0, 0.0, 0.0),
    (0.0, 0.0, 1.0, 0.0),
)
"""(θ₁, θ₂, φ₁, φ₂) directions of the probes (fixed, so the route is deterministic); the last two
lie on φ = 0 and θ = 0, where singular coefficients show."""
PROBE_TOLERANCE = 1e-3
ZERO_TOLERANCE = 1e-9


def numeric_m(game: Game) -> tuple[np.ndarray, str]:
    """(M, problem): M (2, 2) from the derived Jacobian at the origin and "" when the probes
    agree with it, else a text saying where the Jacobian is not finite or not continuous."""
    with np.errstate(all="ignore"):
        m = np.asarray(jacobian(game, np.zeros(1), np.zeros(1)), dtype=float)
    if not np.all(np.isfinite(m)):
        return m, "θ = φ = 0 (numerically: the derived Jacobian is not finite there)"
    expected = np.kron(m, np.eye(2))
    scale = max(1.0, float(np.max(np.abs(m))))
    for direction in PROBE_DIRECTIONS:
        z = PROBE_RADIUS * np.asarray(direction) / np.linalg.norm(direction)
        with np.errstate(all="ignore"):
            near = np.asarray(jacobian(game, z[:2], z[2:]), dtype=float)
        gap = float(np.max(np.abs(near - expected))) if np.all(np.isfinite(near)) else np.inf
        if not gap <= PROBE_TOLERANCE * scale:
            where = ", ".join(f"{x:.2g}" for x in z)
            return m, (f"θ = φ = 0 (numerically: the derived Jacobian at ({where}), {PROBE_RADIUS:g} from the "
                       f"equilibrium, differs from J(0) by {gap:.3g}, so the field is not C¹ there)")
    return m, ""


def verdict_of(eigs: np.ndarray, m: np.ndarray) -> tuple[str, float]:
    """(linear verdict, max Re μ) from numeric eigenvalues, with real parts within
    ZERO_TOLERANCE · max(1, ‖M‖) of 0 taken as 0."""
    tol = ZERO_TOLERANCE * max(1.0, float(np.max(np.abs(m))))
    max_re = float(np.max(eigs.real))
    if max_re < -tol:
        return "asymptotically stable", max_re
    if max_re > tol:
        return "unstable", max_re
    if np.all(np.abs(eigs.real) <= tol) and np.all(np.abs(eigs.imag) > tol):
        return "centre", max_re
    return "marginal", max_re
