"""Linear stability of the discrete update map at the equilibrium θ = φ = 0.

Near the equilibrium the gradients are linear, (∇_θ L_G, ∇_φ L_D) ≈ −(M ⊗ I_d) z with the 2×2
matrix M of :mod:`diracgan.analysis.linear`.  For the optimizers whose update is linear in
(parameters, gradients, optimizer state) (SGD with or without momentum/Nesterov,
optimistic GD, extragradient), one training step is then a linear map of the *extended*
state (θ, φ, optimizer state), again of the form F ⊗ I_d.  Its K×K matrix F (K = 2 plus
one per momentum buffer or remembered gradient) is obtained by applying the very same
training step (:class:`diracgan.dynamics.training.Scheme`) to the K unit vectors, in d = 1 — no
hand-derived discrete Jacobian.  The run converges locally iff the spectral radius
ρ(F) < 1; every eigenvalue of F appears d times.

Closed forms (tested): simultaneous SGD on the bilinear/vanilla centre M = [[0, a], [−a, 0]]
gives F = I + h M with eigenvalues 1 ± i h a, so ρ = √(1 + h²a²) > 1 for every h > 0; on gp0,
μ(F) = 1 + h μ(M) and ρ < 1 iff h < 2λ (λ ≤ 1), or h < 2(λ − √(λ² − 1)) (λ ≥ 1).

Adam and RMSprop are not linear (their step divides by √v, which vanishes at the
equilibrium) and are refused.  Grids of parameters (learning rates, momentum, game
parameters) are evaluated in one batched call.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..dynamics.optimizers import SGD, Extragradient, Optimistic, make_optimizer
from ..dynamics.training import Scheme, default_mode
from ..errors import InputError, check_memory
from ..games import Game
from .linear import complex_text, equilibrium_matrices

__all__ = ["equilibrium_matrix", "update_matrices", "DiscreteStability", "discrete_stability", "StabilityMap",
           "stability_map", "GRID_PARAMETERS", "largest_stable_lr"]

OPTIMIZER_AXES = ("lr", "lr_d", "lr_g", "momentum", "dampening")
GRID_PARAMETERS = OPTIMIZER_AXES  # plus the game's own parameters


def equilibrium_matrix(game: Game, overrides: dict | None = None, shape=()) -> np.ndarray:
    """M (…, 2, 2) at the equilibrium (NaN where the field is not C¹ there); see
    :func:`diracgan.analysis.linear.equilibrium_matrices`."""
    return equilibrium_matrices(game, overrides, tuple(shape))


def _state_keys(opt) -> list[str]:
    if isinstance(opt, Optimistic):
        return ["previous_grad"]
    if isinstance(opt, SGD) and not isinstance(opt, Extragradient) and np.any(opt.momentum):
        return ["momentum_buffer"]
    return []


def update_matrices(scheme: Scheme, m: np.ndarray) -> np.ndarray:
    """The K×K matrices F of one training step on the linearised game, for a batch of M's.

    ``m`` has shape (G, 2, 2); hyperparameters of ``scheme`` may be (G, 1) arrays.  Returns
    (G, K, K), state order (θ, φ, D's optimizer state, G's optimizer state).  The game
    optimizers and Lookahead-minmax (:mod:`diracgan.dynamics.game_optimizers`) have their own
    maps (a Lookahead cycle of k steps).
    """
    from ..dynamics.game_optimizers import game_update_matrices

    special = game_update_matrices(scheme, m, update_matrices)
    if special is not None:
        return special
    for opt in (scheme.opt_d, scheme.opt_g):
        if not opt.linear:
            raise InputError(f"{opt.name} is not linear near the equilibrium (it divides by √v, which vanishes "
                             f"there), so its update has no useful Jacobian; use sgd, momentum, optimistic or "
                             f"extragradient")
    scheme = dataclasses.replace(scheme, clip=None)   # the clip is inactive near the equilibrium
    g = m.shape[0]
    keys_d, keys_g = _state_keys(scheme.opt_d), _state_keys(scheme.opt_g)
    k = 2 + len(keys_d) + len(keys_g)
    basis = np.broadcast_to(np.eye(k), (g, k, k))      # basis[:, i, j]: component i of unit vector j
    theta, phi = basis[:, 0, :].copy(), basis[:, 1, :].copy()
    state_d, state_g = scheme.init(theta, phi)
    for n, key in enumerate(keys_d):
        state_d[key] = basis[:, 2 + n, :].copy()
    for n, key in enumerate(keys_g):
        state_g[key] = basis[:, 2 + len(keys_d) + n, :].copy()
    state_d["step"] = state_g["step"] = 1              # steady state: not the first step
    m00, m01, m10, m11 = (m[:, i, j][:, None] for i, j in ((0, 0), (0, 1), (1, 0), (1, 1)))

    def grad(th, ph):   # ∇L = −field ≈ −M z
        return -(m00 * th + m01 * ph), -(m10 * th + m11 * ph)

    with np.errstate(all="ignore"):   # overflow at absurd learning rates is reported by the callers
        theta, phi = scheme.step(theta, phi, grad, state_d, state_g)
    rows = [theta, phi] + [state_d[key] for key in keys_d] + [state_g[key] for key in keys_g]
    return np.stack(rows, axis=1)


@dataclass(frozen=True, eq=False)
class DiscreteStability:
    """Linear stability of one training configuration at the equilibrium."""

    game: Game
    scheme: Scheme
    dim: int
    matrix: np.ndarray            # F (K, K)
    eigenvalues: np.ndarray       # (K,) each ×d in the full map
    rho: float
    largest_lr: float | None      # sup of the stable learning rates (common lr scale), None if none
    lr_note: str

    @property
    def verdict(self) -> str:
        if self.rho < 1 - 1e-12:
            return "stable"
        if self.rho <= 1 + 1e-9:
            return "marginal"
        return "unstable"

    def text(self) -> str:
        parts = ["θ", "φ"] + [f"D's {k.replace('_', ' ')}" for k in _state_keys(self.scheme.opt_d)] + \
                [f"G's {k.replace('_', ' ')}" for k in _state_keys(self.scheme.opt_g)]
        state = "(" + ", ".join(parts) + ")"
        step = f"one lookahead cycle ({self.scheme.lookahead[0]} steps)" if getattr(self.scheme, "lookahead", None) \
            else "one step"
        lines = [f"{self.game.label()}, {self.scheme.describe()}: {step} near θ = φ = 0 is the linear map "
                 f"F ⊗ I_{self.dim} of {state}",
                 "F = " + np.array2string(self.matrix, precision=6, suppress_small=True, separator=", ").replace("\n", "\n    "),
                 "eigenvalues (each ×d): " + ", ".join(f"{complex_text(z.real, z.imag)} (|·| = {abs(z):.6g})"
                                                       for z in self.eigenvalues),
                 f"spectral radius ρ = {self.rho:.10g}: " + {
                     "stable": "ρ < 1, the iteration converges locally",
                     "marginal": "ρ = 1, marginal: no local convergence (errors neither grow nor shrink)",
                     "unstable": "ρ > 1, the iteration spirals away from the equilibrium"}[self.verdict],
                 self.lr_note]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {"loss": self.game.name, "params": self.game.params, "scheme": self.scheme.describe(),
                "dim": self.dim, "matrix": self.matrix.tolist(),
                "eigenvalues": [{"re": z.real, "im": z.imag, "abs": abs(z), "multiplicity": self.dim}
                                for z in self.eigenvalues],
                "spectral_radius": self.rho, "verdict": self.verdict, "largest_stable_lr": self.largest_lr,
                "lr_note": self.lr_note}


def _scaled(scheme: Scheme, factor) -> Scheme:
    """``scheme`` with both learning rates multiplied by ``factor`` (a (G, 1) array)."""
    return dataclasses.replace(scheme, opt_d=dataclasses.replace(scheme.opt_d, lr=scheme.opt_d.lr * factor),
                               opt_g=dataclasses.replace(scheme.opt_g, lr=scheme.opt_g.lr * factor))


def _rho(matrices: np.ndarray) -> np.ndarray:
    """Spectral radii; NaN for matrices with a non-finite entry (the caller tells a
    singularity from an overflow)."""
    out = np.full(matrices.shape[0], np.nan)
    ok = np.isfinite(matrices).all(axis=(1, 2))
    if ok.any():
        with np.errstate(all="ignore"):
            out[ok] = np.abs(np.linalg.eigvals(matrices[ok])).max(axis=1)
    return out


def largest_stable_lr(scheme: Scheme, m: np.ndarray, lo: float = 1e-4, hi: float = 1e2) -> tuple[float | None, str]:
    """The largest common learning rate (both players' lr scaled together, their ratio kept)
    for which ρ < 1, searched on [lo, hi] (log grid of 2001 points, then bisection)."""
    base = float(np.asarray(scheme.opt_g.lr).ravel()[0])
    ratio = float(np.asarray(scheme.opt_d.lr).ravel()[0]) / base
    lrs = np.logspace(math.log10(lo), math.log10(hi), 2001)
    mats = np.broadcast_to(m, (len(lrs), 2, 2))
    rho = _rho(update_matrices(_scaled(scheme, (lrs / base)[:, None]), mats))
    stable = rho < 1 - 1e-12
    what = "lr" if ratio == 1 else f"lr_g (with lr_d = {ratio:g}·lr_g)"
    if not stable.any():
        marginal = np.abs(rho - 1) <= 1e-9
        if marginal.any():
            return None, (f"no stable learning rate: ρ = 1 (marginal) for {what} in "
                          f"[{lrs[marginal][0]:.3g}, {lrs[marginal][-1]:.3g}], ρ > 1 elsewhere in [{lo:g}, {hi:g}]")
        return None, f"no stable learning rate: ρ > 1 for every {what} in [{lo:g}, {hi:g}]"
    if stable[-1]:
        return hi, f"stable for every {what} up to {hi:g} (the end of the search)"
    # The last stable grid point before instability; refine the boundary by bisection.
    i = np.flatnonzero(stable)[-1]
    a, b = lrs[i], lrs[i + 1]
    for _ in range(60):
        mid = math.sqrt(a * b)
        r = _rho(update_matrices(_scaled(scheme, np.array([[mid / base]])), m[None]))[0]
        a, b = (mid, b) if r < 1 - 1e-12 else (a, mid)
    first = lrs[np.flatnonzero(stable)[0]]
    extra = f" (stable from {first:.3g})" if first > lo else ""
    return a, f"largest stable {what}: {a:.6g}{extra}"


def discrete_stability(game: Game, scheme: Scheme, dim: int = 1) -> DiscreteStability:
    """The update map's matrix, eigenvalues and spectral radius at the equilibrium, and the
    largest stable learning rate, for one configuration."""
    m = equilibrium_matrix(game)
    if np.isnan(m).any():
        raise InputError(f"{game.name} is not differentiable at the equilibrium (see `diracgan eig --loss "
                         f"{game.name}`): its discrete map has no Jacobian there")
    if not np.all(np.isfinite(m)):
        values = ", ".join(f"{game.spec.param(k).symbol} = {v:g}" for k, v in game.values)
        raise InputError(f"the Jacobian of {game.name} at the equilibrium exceeds the float range (±1.8e308) for "
                         f"{values}: an overflow, not a singularity; lower the parameter")
    f = update_matrices(scheme, m[None])[0]
    if not np.all(np.isfinite(f)):
        raise InputError(f"the update map at the equilibrium is not finite for {scheme.describe()} "
                         f"(learning rate or momentum too large for floating point)")
    eig = np.linalg.eigvals(f)
    eig = eig[np.lexsort((eig.imag, eig.real))]
    largest, note = largest_stable_lr(scheme, m)
    return DiscreteStability(game, scheme, dim, f, eig, float(np.abs(eig).max()), largest, note)


# ---------------------------------------------------------------------------------------
# Maps over parameter grids
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class StabilityMap:
    """ρ over a grid of one or two parameters: ``rho`` has shape (len(y), len(x)) (or (len(x),))."""

    game: Game
    scheme: Scheme
    x_name: str
    x: np.ndarray
    y_name: str | None
    y: np.ndarray | None
    rho: np.ndarray

    def stable_fraction(self) -> float:
        """Fraction of the grid with ρ < 1 (marginal points, ρ = 1 up to 1e-12, are not stable),
        among the points where the field is differentiable (ρ = inf, an overflow, is unstable)."""
        ok = ~np.isnan(self.rho)
        return float((self.rho[ok] < 1 - 1e-12).mean()) if ok.any() else 0.0

    @property
    def n_overflow(self) -> int:
        """Grid points where the update map or M exceeds the float range (ρ = inf: unstable)."""
        return int(np.isinf(self.rho).sum())

    @property
    def n_not_differentiable(self) -> int:
        """Grid points where the field is not differentiable at the equilibrium (ρ = NaN)."""
        return int(np.isnan(self.rho).sum())


def stability_map(game: Game, scheme_factory, axes: dict[str, np.ndarray]) -> StabilityMap:
    """ρ of the update map over a grid of one or two parameters.

    ``axes`` maps names (``lr``, ``lr_d``, ``lr_g``, ``momentum``, ``dampening``, or a game
    parameter) to value arrays; ``scheme_factory(**optimizer_values)`` builds the scheme with
    (G, 1) hyperparameter arrays.  All G grid points are evaluated in one batched call.
    """
    names = list(axes)
    if not 1 <= len(names) <= 2:
        raise InputError("a stability map needs one or two parameter ranges (START:STOP:COUNT)")
    valid = OPTIMIZER_AXES + game.spec.param_names
    for n in names:
        if n not in valid:
            raise InputError(f"cannot sweep {n!r}: choose from {', '.join(valid)}")
    if "lr" in names and ("lr_d" in names or "lr_g" in names):
        raise InputError("sweep lr or lr_d/lr_g, not both")
    points = math.prod(len(np.atleast_1d(axes[n])) for n in names)
    # ≈ 450 bytes per grid point measured with momentum (4×4 update maps): M, the maps,
    # eigvals' workspace; 600 with a margin.
    check_memory(600.0 * points, f"a stability map of {points} grid points", "lower the COUNT of the ranges")
    grids = np.meshgrid(*[np.asarray(axes[n], dtype=float) for n in names], indexing="xy")
    shape = grids[0].shape
    flat = {n: g.reshape(-1) for n, g in zip(names, grids)}
    for n in names:
        if n in game.spec.param_names:
            game.spec.param(n).check(float(flat[n].min()), game.name)
    m = equilibrium_matrix(game, {n: v for n, v in flat.items() if n in game.spec.param_names},
                           shape=(flat[names[0]].size,))
    opt_values = {n: v[:, None] for n, v in flat.items() if n in OPTIMIZER_AXES}
    scheme = scheme_factory(**opt_values)
    with np.errstate(all="ignore"):
        rho = _rho(update_matrices(scheme, m))
    # NaN: not differentiable (M is NaN there); a non-finite update map from a finite or
    # overflowed M is an overflow: ρ = inf, unstable (not left out).
    not_c1 = np.isnan(m).any(axis=(-1, -2))
    rho = np.where(not_c1, np.nan, np.where(np.isnan(rho), np.inf, rho)).reshape(shape)
    if len(names) == 1:
        return StabilityMap(game, scheme, names[0], np.asarray(axes[names[0]]), None, None, rho.reshape(-1))
    return StabilityMap(game, scheme, names[0], np.asarray(axes[names[0]]), names[1], np.asarray(axes[names[1]]), rho)


def scheme_factory(optimizer: str, *, lr=None, lr_d=None, lr_g=None, mode=None, order="d-first",
                   n_critic=1, n_gen=1, game: Game | None = None, lookahead=None, sga_lambda=None,
                   sga_align: bool = False, **hyper):
    """A function of grid values (lr, lr_d, lr_g, momentum, dampening) building the Scheme
    (a :class:`~diracgan.dynamics.game_optimizers.GameScheme` for the game optimizers and
    Lookahead, which need ``game``)."""
    from ..dynamics.game_optimizers import GAME_OPTIMIZER_NAMES, game_scheme

    if optimizer in GAME_OPTIMIZER_NAMES or lookahead is not None:
        def build_game(**grid):
            h = {**hyper, **{k: v for k, v in grid.items() if k in ("momentum", "dampening")}}
            common = grid.get("lr", lr)
            return game_scheme(game, optimizer, lr_d=grid.get("lr_d", lr_d if lr_d is not None else common),
                               lr_g=grid.get("lr_g", lr_g if lr_g is not None else common), mode=mode, order=order,
                               n_critic=n_critic, n_gen=n_gen, lookahead=lookahead, sga_lambda=sga_lambda,
                               sga_align=sga_align, **h)
        return build_game

    mode = mode or default_mode(optimizer)

    def build(**grid):
        h = {**hyper, **{k: v for k, v in grid.items() if k in ("momentum", "dampening")}}
        common = grid.get("lr", lr)
        d_lr = grid.get("lr_d", lr_d if lr_d is not None else common)
        g_lr = grid.get("lr_g", lr_g if lr_g is not None else common)
        return Scheme(make_optimizer(optimizer, lr=d_lr, **h), make_optimizer(optimizer, lr=g_lr, **h),
                      mode=mode, order=order, n_critic=n_critic, n_gen=n_gen)

    return build
