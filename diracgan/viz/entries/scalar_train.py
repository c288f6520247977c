"""Plain SGD with EMAs from one start, in Python floats: the numbers of :func:`train`, faster.

``train`` steps a batch of starts with numpy; for one start in d ≤ 2 each step costs about
160 µs, nearly all of it the fixed cost of numpy calls on arrays of two numbers (the field,
the optimizer, the divergence test, the EMA).  The EMA figure takes 60,000 steps.  Here the
same operations are done on Python floats in the same order — the field's coefficients come
from the same sympy expressions lambdified the same way (scipy's expit for σ), the dot
products θ·φ, ‖θ‖², ‖φ‖² are summed in einsum's order for d ≤ 2, SGD is p − lr·(−v), the EMA
is torch.lerp's formula — so every number is the one ``train`` gives, bit for bit
(tests/test_figures.py compares them), about 9× cheaper in CPU time.

Anything outside that exact path — d > 2, a game with Gaussian expectations (instance noise),
invariants beyond 1e±100 (where the field is re-evaluated carefully), a non-finite field, a
state near the divergence bound — is handed to ``train`` itself.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ...dynamics.training import TrainingRun, TrainStatus, prepare, train
from ...games import Game

__all__ = ["sgd_with_emas"]


class _Fallback(Exception):
    """The exact float path does not apply: use train()."""


@lru_cache(maxsize=None)
def _coefficients(spec):
    """(p, a, b, *params) → [g_θθ, g_θφ, g_φθ, g_φφ], lambdified exactly as the numeric field
    is (same expressions, same modules, same common-subexpression elimination)."""
    import sympy as sp

    from ...derivation.numeric import NUMERIC_FUNCTIONS, vector_field
    from ...derivation.symbolic import gaussian_mean

    der = vector_field(spec).derivation
    exprs = [sp.sympify(e) for e in der.field_exprs()]
    if any(e.has(gaussian_mean) for e in exprs):
        return None
    return sp.lambdify(der.args, exprs, modules=[dict(NUMERIC_FUNCTIONS), "numpy"], cse=True)


def _dot(x, y):
    # einsum's "...i,...i->..." for d ≤ 2: x₁y₁ (+ x₂y₂), left to right.
    return x[0] * y[0] + x[1] * y[1] if len(x) == 2 else x[0] * y[0]


def _field(fn, params, theta, phi):
    """The four coefficients at (θ, φ) as floats; _Fallback where the numeric field would
    re-evaluate (invariants beyond 1e±100) or is not finite."""
    a, b = _dot(theta, theta), _dot(phi, phi)
    if 0 < a < 1e-100 or a > 1e100 or 0 < b < 1e-100 or b > 1e100:
        raise _Fallback
    g = [float(v) for v in fn(_dot(theta, phi), a, b, *params)]
    if not math.isfinite(g[0] + g[1] + g[2] + g[3]):
        raise _Fallback
    return g


def _lerp(start, end, weight):
    # torch.lerp's CPU formula (diracgan.dynamics.optimizers.lerp), one float at a time.
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


def _loop(fn, params, theta, phi, lr, mode, steps, decays, records, bound):
    """The training loop; returns the recorded (θ, φ) and the EMAs at ``records``."""
    d = len(theta)
    weights = [1 - x for x in decays]
    rec_theta, rec_phi = [list(theta)], [list(phi)]
    ema_theta, ema_phi = [list(theta) for _ in decays], [list(phi) for _ in decays]
    rec_ema = [([list(theta) for _ in decays], [list(phi) for _ in decays])]
    want = set(int(k) for k in records[1:])
    limit = (0.5 * bound) ** 2
    for k in range(1, steps + 1):
        if mode == "alternating":      # d-first, one step each (what the EMA figure trains)
            g = _field(fn, params, theta, phi)
            phi = [phi[i] - lr * -(g[2] * theta[i] + g[3] * phi[i]) for i in range(d)]
            g = _field(fn, params, theta, phi)
            theta = [theta[i] - lr * -(g[0] * theta[i] + g[1] * phi[i]) for i in range(d)]
        else:
            g = _field(fn, params, theta, phi)
            theta, phi = ([theta[i] - lr * -(g[0] * theta[i] + g[1] * phi[i]) for i in range(d)],
                          [phi[i] - lr * -(g[2] * theta[i] + g[3] * phi[i]) for i in range(d)])
        size = _dot(theta, theta) + _dot(phi, phi)
        if not size < limit:           # non-finite, or near the bound where train would stop
            raise _Fallback
        if k == 1:
            ema_theta, ema_phi = [list(theta) for _ in decays], [list(phi) for _ in decays]
        else:
            ema_theta = [[_lerp(e[i], theta[i], w) for i in range(d)] for e, w in zip(ema_theta, weights)]
            ema_phi = [[_lerp(e[i], phi[i], w) for i in range(d)] for e, w in zip(ema_phi, weights)]
        if k in want:
            rec_theta.append(theta)
            rec_phi.append(phi)
            rec_ema.append((ema_theta, ema_phi))
    return rec_theta, rec_phi, rec_ema


def sgd_with_emas(game: Game, theta0, phi0, *, lr: float, steps: int, decays, mode: str = "alternating",
                  record_every: int = 1) -> TrainingRun:
    """``train(game, [θ0]*K, [φ0]*K, optimizer="sgd", lr=lr, mode=mode, steps=steps,
    record_every=record_every, ema=np.array(decays)[:, None])``: K copies of one start, run r
    averaged with decay ``decays[r]``; the same TrainingRun, bit for bit (see module doc).

    Parameters
    ----------
    game : Game
    theta0, phi0 : array_like
        One start, (d,) each.
    lr : float
        Both players' learning rate (plain SGD: no momentum, no weight decay).
    steps, record_every : int
    decays : sequence of float
        One EMA decay per copy of the start.
    mode : {"alternating", "simultaneous"}
        Alternating is d-first with one step per player.

    Returns
    -------
    TrainingRun
        With K runs.
    """
    decays = [float(x) for x in decays]
    theta0, phi0 = np.asarray(theta0, dtype=float), np.asarray(phi0, dtype=float)
    batch = dict(optimizer="sgd", lr=lr, mode=mode, steps=steps, record_every=record_every,
                 ema=np.array(decays)[:, None])
    starts = np.vstack([theta0] * len(decays)), np.vstack([phi0] * len(decays))
    setup = prepare(game, *starts, **batch)
    fn = _coefficients(game.spec) if theta0.shape == phi0.shape and theta0.shape in ((1,), (2,)) else None
    try:
        if fn is None or game.params.get("clip") is not None or not np.isscalar(setup.scheme.opt_d.lr):
            raise _Fallback
        params = game.param_values()
        _field(fn, params, list(theta0), list(phi0))         # a singular start: train reports it
        rec_theta, rec_phi, rec_ema = _loop(fn, params, [float(x) for x in theta0], [float(x) for x in phi0],
                                            float(setup.scheme.opt_d.lr), mode, setup.steps, decays, setup.records,
                                            setup.bound)
    except _Fallback:
        return train(game, *starts, **batch)
    k = len(decays)
    theta = np.broadcast_to(np.array(rec_theta), (k, *np.shape(rec_theta))).copy()
    phi = np.broadcast_to(np.array(rec_phi), (k, *np.shape(rec_phi))).copy()
    ema_theta = np.array([[e[0][r] for e in rec_ema] for r in range(k)])
    ema_phi = np.array([[e[1][r] for e in rec_ema] for r in range(k)])
    n = setup.steps
    return TrainingRun(game, setup.scheme, setup.records, theta, phi, ema_theta, ema_phi,
                       np.zeros(k, dtype=int) + TrainStatus.FINISHED, np.full(k, n), tuple([f"finished {n} steps"] * k),
                       batch["ema"], setup.config())
