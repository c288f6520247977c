"""The torch cross-check suite behind ``diracgan check``.

Four checks compare the torch model (:mod:`.model`, :mod:`.training`) with the symbolic side:
autograd gradients against the derived field, every numpy optimizer and scheme against the
torch.optim run step by step, convergence of torch SGD to the ODE as the learning rate
shrinks, and the seed's verdicts.  :func:`run_checks` runs them all and :func:`checks_table` /
:func:`checks_json` report them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Callable, Iterable, Sequence

import numpy as np

from ..derivation.numeric import velocity
from ..dynamics.flow import simulate
from ..dynamics.optimizers import OPTIMIZERS
from ..dynamics.starts import SEED_PHI, SEED_THETA
from ..dynamics.training import TrainingRun, TrainStatus
from ..dynamics.training import train as train_numpy
from ..errors import InputError
from ..games import ODE_GAMES, Game, make_game
from .model import TORCH_GAMES, TORCH_REGULARISERS, torch_gradients, torch_threads
from .training import train_torch

__all__ = [
    "GRAD_TOL",
    "TRAIN_TOL",
    "CheckResult",
    "TrainCase",
    "OPTIMIZER_CASES",
    "QUICK_OPTIMIZER_STEPS",
    "check_gradients",
    "check_noise",
    "CHECK_GAMES",
    "NOISE_GAMES",
    "check_optimizers",
    "check_ode_tracking",
    "check_verdicts",
    "compare_runs",
    "run_checks",
    "checks_table",
    "checks_json",
]


@dataclass(frozen=True)
class CheckResult:
    """One row of a cross-check: it passes when ``measured`` ≤ ``tolerance`` (and whatever
    else ``detail`` states, e.g. that the compared runs finished)."""

    check: str
    loss: str
    case: str
    measured: float
    tolerance: float
    passed: bool
    detail: str


GRAD_TOL = 1e-12
TRAIN_TOL = 1e-10


def _wanted(name: str, losses: Iterable[str] | None) -> bool:
    """Is a row of game ``name`` (``'vanilla+r1'``) asked for: by its full name, its base game
    (``vanilla``) or one of its regularisers (``+r1``)?"""
    if losses is None:
        return True
    base, *regs = name.split("+")
    return name in losses or base in losses or any(f"+{r}" in losses for r in regs)


def _check_losses(losses) -> tuple[str, ...] | None:
    if losses is None:
        return None
    losses = (losses,) if isinstance(losses, str) else tuple(losses)
    known = set(CHECK_GAMES) | set(NOISE_GAMES) | {f"+{r}" for r in TORCH_REGULARISERS}
    for name in losses:
        if name not in known:
            raise InputError(f"unknown loss {name!r} for the torch check; choose from: "
                             f"{', '.join(CHECK_GAMES + NOISE_GAMES)} (or +REGULARISER)")
    return losses


CHECK_GAMES = TORCH_GAMES + (
    "vanilla+r1", "minimax+r2", "vanilla+l2", "minimax+consensus", "vanilla+consensus", "gp0+lp", "vanilla+dragan",
    "hinge+r1", "lsgan+consensus",
)
"""The games of the gradient check: every registered game, and every regulariser on some game
(instance noise, which needs sampling, has its own statistical check: :data:`NOISE_GAMES`)."""

NOISE_GAMES = ("vanilla+noise", "minimax+noise", "lsgan+noise", "rsgan+noise", "gp0+noise")
"""The games of the instance-noise check (Monte Carlo against the Gauss–Hermite field)."""


# -- 1. gradients -------------------------------------------------------------------------

GRADIENT_PARAMS = {"gp": {"lam": 0.7, "c": 0.6}, "gp0": {"lam": 0.3}, "gp1": {"lam": 0.4}, "qp": {"lam": 0.8},
                   "wgan-clip": {"clip": 0.05}, "lsgan": {"a": -0.7, "b": 1.3, "c": 0.4},
                   "vanilla+r1": {"r1_gamma": 0.7}, "minimax+r2": {"r2_gamma": 1.3}, "vanilla+l2": {"l2_gamma": 0.6},
                   "minimax+consensus": {"consensus_gamma": 0.8}, "vanilla+consensus": {"consensus_gamma": 1.7},
                   "gp0+lp": {"lam": 0.3, "lp_lam": 0.9}, "vanilla+dragan": {"dragan_lam": 0.45},
                   "hinge+r1": {"r1_gamma": 0.3}, "lsgan+consensus": {"a": -1.0, "c": 0.5, "consensus_gamma": 0.4},
                   "vanilla+noise": {"noise_sigma": 0.7}, "minimax+noise": {"noise_sigma": 1.1},
                   "lsgan+noise": {"a": -1.0, "c": 0.5, "noise_sigma": 0.6}, "rsgan+noise": {"noise_sigma": 0.5},
                   "gp0+noise": {"lam": 0.2, "noise_sigma": 0.8}}
"""Parameter values of the gradient check (off the defaults, so that a λ mix-up shows)."""


def _random_points(rng: np.random.Generator, n: int, d: int, min_norm: float = 0.2):
    """n points (θ, φ) with coordinates N(0, 1), kept away from the singular sets θ = 0 and
    φ = 0 (‖θ‖, ‖φ‖ ≥ min_norm) and with |θ·φ| ≤ 10 (so σ(θ·φ) is not saturated)."""
    out = []
    while len(out) < n:
        th, ph = rng.normal(size=d), rng.normal(size=d)
        if np.linalg.norm(th) >= min_norm and np.linalg.norm(ph) >= min_norm and abs(th @ ph) <= 10:
            out.append((th, ph))
    return out


@torch_threads()
def check_gradients(losses: Iterable[str] | None = None, dims: Sequence[int] = (1, 2, 3, 5), n_points: int = 12,
                    *, seed: int = 0, params: dict | None = None, torch_params: dict | None = None,
                    reference: Callable | None = None, tolerance: float = GRAD_TOL,
                    games: Sequence[str] | None = None) -> list[CheckResult]:
    """Check 1: autograd gradients of the torch losses equal the derived field.

    At ``n_points`` random points per dimension, (∇_θ L_G, ∇_φ L_D) from torch must equal
    −(θ', φ') of ``make_game(name, **params).velocity``.  ``measured`` is the largest
    relative error max|Δ| / max|−(θ', φ')| over the points and dimensions of a game.
    ``torch_params`` (per game) give the torch side other parameter values and
    ``reference(game, theta, phi) -> (θ', φ')`` replaces the symbolic field: both exist to
    show that the check fails when the two sides disagree.  ``games``: only these names of
    :data:`CHECK_GAMES` (one row each; :func:`run_checks` spreads them over processes).
    """
    losses = _check_losses(losses)
    params = {**GRADIENT_PARAMS, **(params or {})}
    torch_params = torch_params or {}
    reference = reference or _velocity
    rows = []
    for name in CHECK_GAMES if games is None else games:
        if not _wanted(name, losses):
            continue
        game = make_game(name, **params.get(name, {}))
        tgame = make_game(name, **{**params.get(name, {}), **torch_params.get(name, {})})
        rng = np.random.default_rng(seed)
        worst, where, count = 0.0, "", 0
        for d in dims:
            pts = _random_points(rng, n_points, d)
            th = np.array([p[0] for p in pts])
            ph = np.array([p[1] for p in pts])
            v_theta, v_phi = reference(game, th, ph)
            for i in range(len(pts)):
                g_theta, g_phi = torch_gradients(tgame, th[i], ph[i], seed=seed + i)
                want = -np.concatenate([np.asarray(v_theta[i]), np.asarray(v_phi[i])])
                got = np.concatenate([g_theta, g_phi])
                with np.errstate(all="ignore"):
                    err = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
                if not np.isfinite(err):
                    err = math.inf
                count += 1
                if err > worst or not where:
                    worst = err
                    where = f"d = {d}, θ = {np.round(th[i], 3).tolist()}, φ = {np.round(ph[i], 3).tolist()}"
        note = " (unconstrained field; the clip is a projection step)" if name == "wgan-clip" else ""
        pen = " (penalty at random interpolates)" if name in ("gp", "gp0", "gp1") or "lp" in name.split("+") else ""
        rows.append(CheckResult(
            "gradients", game.label(), f"d ∈ {{{', '.join(map(str, dims))}}}, {n_points} points each",
            worst, tolerance, bool(worst <= tolerance),
            f"autograd (∇_θ L_G, ∇_φ L_D) vs −(θ', φ') at {count} points{pen}{note}; worst at {where}"))
    return rows


def _velocity(game, theta, phi):
    return velocity(game, theta, phi)


NOISE_DRAWS = 64
NOISE_BATCH = 4096
NOISE_SE = 5.0


@torch_threads()
def check_noise(losses: Iterable[str] | None = None, dims: Sequence[int] = (1, 3), n_points: int = 3, *,
                seed: int = 0, params: dict | None = None, tolerance: float = NOISE_SE,
                reference: Callable | None = None, games: Sequence[str] | None = None) -> list[CheckResult]:
    """Check 1b: instance noise.  The torch losses sample the noise (ε ~ N(0, σ²I) added to the
    real and the fake batch); the mean of ``NOISE_DRAWS`` gradients, each over a batch of
    ``NOISE_BATCH`` samples, must agree with the derived field (exact Gaussian moments, or
    Gauss–Hermite) within ``tolerance`` standard errors.  ``measured`` is the largest
    |mean − field| / standard error over the components, points and dimensions.  ``games``:
    only these names of :data:`NOISE_GAMES`."""
    losses = _check_losses(losses)
    params = {**GRADIENT_PARAMS, **(params or {})}
    reference = reference or _velocity
    rows = []
    for name in NOISE_GAMES if games is None else games:
        if not _wanted(name, losses):
            continue
        game = make_game(name, **params.get(name, {}))
        rng = np.random.default_rng(seed)
        worst, rel, count = 0.0, 0.0, 0
        for d in dims:
            for i, (th, ph) in enumerate(_random_points(rng, n_points, d, min_norm=0.3)):
                draws = np.array([np.concatenate(torch_gradients(game, th, ph, batch_size=NOISE_BATCH,
                                                                 seed=seed + 1000 * i + k))
                                  for k in range(NOISE_DRAWS)])
                mean = draws.mean(axis=0)
                se = draws.std(axis=0, ddof=1) / math.sqrt(NOISE_DRAWS)
                v_theta, v_phi = reference(game, th[None], ph[None])
                want = -np.concatenate([v_theta[0], v_phi[0]])
                # A component the noise does not reach (a loss linear in D) has zero spread: there
                # the comparison is exact up to rounding (1e-12 relative).
                z = np.abs(mean - want) / np.maximum(se, 1e-12 * np.max(np.abs(want)))
                worst = max(worst, float(np.max(z)))
                rel = max(rel, float(np.max(np.abs(mean - want)) / np.max(np.abs(want))))
                count += 1
        rows.append(CheckResult(
            "noise", game.label(), f"d ∈ {{{', '.join(map(str, dims))}}}, {n_points} points each",
            worst, tolerance, bool(worst <= tolerance),
            f"Monte Carlo ({NOISE_DRAWS} × {NOISE_BATCH} noise samples) vs the derived field at {count} points: "
            f"worst |Δ| = {worst:.2f} standard errors (relative {rel:.1e})"))
    return rows


# -- 2. optimizers and schemes --------------------------------------------------------------


@dataclass(frozen=True)
class TrainCase:
    """A training configuration run by both backends (``kwargs`` of ``train``)."""

    name: str
    loss: str
    kwargs: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    theta0: tuple = SEED_THETA
    phi0: tuple = SEED_PHI

    def game(self) -> Game:
        return make_game(self.loss, **self.params)


OPTIMIZER_CASES: tuple[TrainCase, ...] = (
    TrainCase("sgd, simultaneous", "gp0", dict(optimizer="sgd", lr=0.05, mode="simultaneous", ema=0.999)),
    TrainCase("sgd momentum 0.5 dampening 0.1, d-first", "gp1",
              dict(optimizer="sgd", lr=0.02, momentum=0.5, dampening=0.1, ema=0.999)),
    TrainCase("sgd nesterov 0.7 + weight decay 0.01, g-first", "vanilla",
              dict(optimizer="sgd", lr=0.01, momentum=0.7, nesterov=True, weight_decay=0.01, order="g-first",
                   ema=0.999)),
    TrainCase("adam betas (0.5, 0.9), d-first, n_critic 5", "gp1",
              dict(optimizer="adam", lr=1e-3, beta1=0.5, beta2=0.9, n_critic=5, ema=0.999)),
    TrainCase("adam amsgrad + weight decay 0.01, g-first", "vanilla",
              dict(optimizer="adam", lr=2e-3, amsgrad=True, weight_decay=0.01, order="g-first", ema=0.999)),
    TrainCase("adam TTUR lr_d 4e-3, lr_g 1e-3, simultaneous", "gp0",
              dict(optimizer="adam", lr_d=4e-3, lr_g=1e-3, mode="simultaneous", ema=0.999)),
    TrainCase("rmsprop, d-first, n_gen 2", "wgan", dict(optimizer="rmsprop", lr=1e-3, n_gen=2, ema=0.999)),
    TrainCase("rmsprop centered + momentum 0.5, d-first", "qp",
              dict(optimizer="rmsprop", lr=1e-3, centered=True, momentum=0.5, ema=0.999), params={"lam": 1.0}),
    TrainCase("optimistic, simultaneous", "minimax", dict(optimizer="optimistic", lr=0.05, mode="simultaneous",
                                                          ema=0.999)),
    TrainCase("extragradient TTUR lr_d 0.1, lr_g 0.05", "gp", dict(optimizer="extragradient", lr_d=0.1, lr_g=0.05,
                                                                     ema=0.999), params={"lam": 0.3, "c": 0.5}),
    TrainCase("rmsprop, clip 0.05, d-first, n_critic 5", "wgan-clip",
              dict(optimizer="rmsprop", lr=5e-3, n_critic=5, ema=0.999), params={"clip": 0.05}),
    TrainCase("extragradient, clip 0.05", "wgan-clip", dict(optimizer="extragradient", lr=0.05, ema=0.999),
              params={"clip": 0.05}),
    TrainCase("extragradient + weight decay 0.1", "gp0", dict(optimizer="extragradient", lr=0.05, weight_decay=0.1,
                                                              ema=0.999)),
    TrainCase("sgd, d-first, no EMA, d = 3", "minimax", dict(optimizer="sgd", lr=0.05),
              theta0=(0.3, -0.1, 0.2), phi0=(0.1, 0.2, -0.25)),
    # weight decay for every optimizer (torch's L2 form, added to the gradient; not AdamW's)
    TrainCase("sgd + weight decay 0.05, d-first", "gp1", dict(optimizer="sgd", lr=0.05, weight_decay=0.05,
                                                              ema=0.999)),
    TrainCase("adam + weight decay 0.1, simultaneous", "gp0",
              dict(optimizer="adam", lr=5e-3, weight_decay=0.1, mode="simultaneous", ema=0.999)),
    TrainCase("rmsprop + weight decay 0.05, g-first", "vanilla",
              dict(optimizer="rmsprop", lr=2e-3, weight_decay=0.05, order="g-first", ema=0.999)),
    TrainCase("optimistic + weight decay 0.05, simultaneous", "minimax",
              dict(optimizer="optimistic", lr=0.05, weight_decay=0.05, mode="simultaneous", ema=0.999)),
    TrainCase("extragradient TTUR lr_d 0.08, lr_g 0.04 + weight decay 0.2", "vanilla",
              dict(optimizer="extragradient", lr_d=0.08, lr_g=0.04, weight_decay=0.2, ema=0.999)),
    # negative momentum (Gidel et al. 2019): torch.optim.SGD refuses β < 0, so a hand-written torch step
    TrainCase("sgd momentum −0.5, alternating d-first", "vanilla", dict(optimizer="sgd", lr=0.1, momentum=-0.5,
                                                                      ema=0.999)),
    TrainCase("sgd momentum −0.3 + weight decay 0.01, simultaneous", "gp0",
              dict(optimizer="sgd", lr=0.05, momentum=-0.3, weight_decay=0.01, mode="simultaneous")),
    # the losses and regularisers beyond the seed
    TrainCase("sgd, d-first", "hinge", dict(optimizer="sgd", lr=0.05, ema=0.999), theta0=(0.6, -0.2), phi0=(0.5, 0.4)),
    TrainCase("adam betas (0.5, 0.9), g-first", "lsgan", dict(optimizer="adam", lr=2e-3, beta1=0.5, beta2=0.9,
                                                               order="g-first"), params={"a": -1.0, "c": 0.5}),
    TrainCase("sgd, simultaneous", "rsgan", dict(optimizer="sgd", lr=0.05, mode="simultaneous")),
    TrainCase("rmsprop, d-first", "rasgan", dict(optimizer="rmsprop", lr=1e-3, ema=0.999)),
    TrainCase("sgd, d-first", "vanilla+r1", dict(optimizer="sgd", lr=0.05), params={"r1_gamma": 0.5}),
    TrainCase("sgd, simultaneous", "minimax+consensus", dict(optimizer="sgd", lr=0.05, mode="simultaneous"),
              params={"consensus_gamma": 1.0}),
    TrainCase("adam, d-first, n_critic 5", "gp0+lp", dict(optimizer="adam", lr=2e-3, n_critic=5),
              params={"lp_lam": 0.5}, theta0=(1.2, -0.4), phi0=(0.9, 0.8)),
    TrainCase("sgd, d-first", "vanilla+dragan", dict(optimizer="sgd", lr=0.05), params={"dragan_lam": 0.3}),
)
"""The configurations of check 2: every optimizer (and its options, weight decay for each, negative
momentum), every scheme, TTUR, clipping, the EMA, every loss and the regularisers that need no
sampling; learning rates chosen so that every run stays bounded for 1000 steps."""


_SCHEME_KEYS = {"lr", "lr_d", "lr_g", "mode", "order", "n_critic", "n_gen", "ema"}


def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    """max |a − b| over the entries finite in both; inf when the NaN patterns differ."""
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return math.inf
    both = np.isfinite(a) & np.isfinite(b)
    return float(np.max(np.abs(a[both] - b[both]))) if both.any() else 0.0


def _single(run: TrainingRun, i: int) -> TrainingRun:
    """Run ``i`` of a batch as a run of its own."""
    keep = slice(i, i + 1)
    return replace(run, theta=run.theta[keep], phi=run.phi[keep], ema_theta=run.ema_theta[keep],
                   ema_phi=run.ema_phi[keep], status=run.status[keep], stop_step=run.stop_step[keep],
                   messages=run.messages[i:i + 1])


def compare_runs(run_np: TrainingRun, run_t: TrainingRun) -> dict:
    """Largest differences between two runs of the same configuration, per recorded array."""
    out = {k: _max_diff(getattr(run_np, k), getattr(run_t, k)) for k in ("theta", "phi", "ema_theta", "ema_phi")}
    out["same_stop"] = bool(np.array_equal(run_np.stop_step, run_t.stop_step)
                            and np.array_equal(run_np.status, run_t.status))
    return out


@torch_threads()
def check_optimizers(losses: Iterable[str] | None = None, cases: Sequence[TrainCase] | None = None,
                     steps: int = 1000, *, numpy_overrides: dict | None = None,
                     tolerance: float = TRAIN_TOL) -> list[CheckResult]:
    """Check 2: ``diracgan.dynamics.training.train`` (numpy optimizers on the derived gradients)
    reproduces ``train_torch`` (torch.optim on autograd gradients) step by step.

    ``measured`` is max |difference| of θ, φ and their EMA over all ``steps`` recorded
    steps; a row also needs both runs to have finished (bounded) and to agree on that.
    ``numpy_overrides`` changes hyperparameters on the numpy side only (for the optimizers
    that take them): it exists to show that the check fails when the two sides disagree.
    """
    losses = _check_losses(losses)
    cases = OPTIMIZER_CASES if cases is None else cases
    rows = []
    for case in cases:
        if not _wanted(case.loss, losses):
            continue
        game = case.game()
        kw = dict(case.kwargs, steps=steps)
        kw_np = dict(kw)
        if numpy_overrides:
            valid = {f.name for f in fields(OPTIMIZERS[kw.get("optimizer", "sgd")])} | _SCHEME_KEYS
            kw_np.update({k: v for k, v in numpy_overrides.items() if k in valid})
        # One batch of two numpy runs: the case's start, and θ₀ moved by one ulp, which shows how
        # much the dynamics amplify rounding (the runs of a batch are bit-identical to the same
        # runs alone).
        theta0 = np.asarray(case.theta0, dtype=float)
        pair = train_numpy(game, np.stack([theta0, np.nextafter(theta0, np.inf)]),
                           np.stack([np.asarray(case.phi0, dtype=float)] * 2), **kw_np)
        run_np, nudged = _single(pair, 0), _single(pair, 1)
        run_t = train_torch(game, case.theta0, case.phi0, **kw)
        diff = compare_runs(run_np, run_t)
        noise = max(_max_diff(run_np.theta, nudged.theta), _max_diff(run_np.phi, nudged.phi))
        measured = max(diff[k] for k in ("theta", "phi", "ema_theta", "ema_phi"))
        finished = bool(np.all(run_np.status == TrainStatus.FINISHED) and np.all(run_t.status == TrainStatus.FINISHED))
        dist = run_t.distance()[0]
        detail = (f"{run_t.scheme.describe()}; max|Δ| θ {diff['theta']:.1e}, φ {diff['phi']:.1e}, "
                  f"EMA θ {diff['ema_theta']:.1e}, φ {diff['ema_phi']:.1e}; "
                  + ("both finished" if finished else f"NOT BOTH FINISHED: numpy {run_np.messages[0]}; "
                                                      f"torch {run_t.messages[0]}")
                  + f"; ‖(θ, φ)‖ {dist[0]:.3g} → {dist[run_t.valid(0)][-1]:.3g}"
                  + f"; numpy vs numpy from θ₀ + 1 ulp: {noise:.1e}")
        rows.append(CheckResult("optimizers", game.label(), f"{case.name}, {steps} steps", measured, tolerance,
                                bool(finished and diff["same_stop"] and measured <= tolerance), detail))
    return rows


# -- 3. SGD tracks the ODE ----------------------------------------------------------------

ODE_CASES = {"gp0": dict(t_max=4.0, h=0.02), "vanilla": dict(t_max=4.0, h=0.02), "minimax": dict(t_max=4.0, h=0.02),
             "gp1": dict(t_max=4.0, h=0.02), "qp": dict(t_max=4.0, h=0.02), "wgan": dict(t_max=1.0, h=0.005),
             "gp": dict(t_max=4.0, h=0.02, params={"lam": 0.3, "c": 0.5})}
"""End time T, the largest step h and parameters per game (the seed's start; wgan moves at
unit speed, so T = 1)."""

ODE_QUICK = ("gp0", "vanilla")


@torch_threads()
def check_ode_tracking(losses: Iterable[str] | None = None, *, quick: bool = False, samples: int = 11,
                       order_range: tuple[float, float] = (0.85, 1.15),
                       max_rel_error: float = 0.02, games: Sequence[str] | None = None) -> list[CheckResult]:
    """Check 3: torch SGD (simultaneous) with step h for T/h steps tracks ``simulate`` at the
    same times, with an error proportional to h (forward Euler is first order).

    For h, h/2, h/4: the error is max over ``samples`` common times of ‖z_torch − z_ode‖.
    Row "order": measured = |p − 1| for the fitted log-log slope p, tolerance 0.15 (p within
    ``order_range``).  Row "tracking error": the error at h/4 relative to the size of the
    trajectory, max ‖z_ode(t)‖ (≤ ``max_rel_error``).  ``games``: only these of the games.
    """

    losses = _check_losses(losses)
    names = ODE_QUICK if quick and losses is None else tuple(ODE_CASES)
    if games is not None:
        names = tuple(n for n in names if n in games)
    rows = []
    for name in names:
        if not _wanted(name, losses) or name not in ODE_GAMES:
            continue
        cfg = ODE_CASES[name]
        game = make_game(name, **cfg.get("params", {}))
        t_max, h0 = cfg["t_max"], cfg["h"]
        theta0, phi0 = np.array(SEED_THETA), np.array(SEED_PHI)
        ode = simulate(game, theta0, phi0, t_max=t_max, samples=samples, rtol=1e-12, atol=1e-14)
        z_ode = ode.states[0]
        hs, errs = [], []
        ok_runs = bool(ode.ok[0])
        for m in (1, 2, 4):
            h = h0 / m
            n_steps = int(round(t_max / h))
            run = train_torch(game, theta0, phi0, optimizer="sgd", lr=h, mode="simultaneous", steps=n_steps,
                              record_every=n_steps // (samples - 1))
            ok_runs &= bool(run.status[0] == TrainStatus.FINISHED)
            z = np.concatenate([run.theta[0], run.phi[0]], axis=-1)
            hs.append(h)
            errs.append(float(np.max(np.linalg.norm(z - z_ode, axis=-1))))
        p = float(np.polyfit(np.log(hs), np.log(errs), 1)[0]) if all(e > 0 for e in errs) else math.nan
        lo, hi = order_range
        tol = max(1 - lo, hi - 1)
        errs_txt = ", ".join(f"{e:.3g}" for e in errs)
        hs_txt = ", ".join(f"{h:g}" for h in hs)
        rows.append(CheckResult(
            "ode", game.label(), f"order of SGD → ODE, T = {t_max:g}", abs(p - 1) if math.isfinite(p) else math.inf,
            tol, bool(ok_runs and lo <= p <= hi),
            f"fitted order p = {p:.4f} (pass: {lo:g} ≤ p ≤ {hi:g}); errors {errs_txt} at h = {hs_txt}"
            + ("" if ok_runs else "; A RUN DID NOT FINISH")))
        scale = float(np.max(np.linalg.norm(z_ode, axis=-1)))
        rel = errs[-1] / scale
        rows.append(CheckResult(
            "ode", game.label(), f"tracking error at h = {hs[-1]:g}, T = {t_max:g}", rel, max_rel_error,
            bool(ok_runs and rel <= max_rel_error),
            f"max over {samples} times of ‖z_torch − z_ode‖ / max ‖z_ode‖ ({errs[-1]:.3g} / {scale:.3g}; "
            f"error ratios {errs[0] / errs[1]:.3f}, {errs[1] / errs[2]:.3f}, ideal 2)"))
    return rows


# -- 4. the seed's verdicts ----------------------------------------------------------------

VERDICT_TRAIN = dict(optimizer="sgd", lr=0.1, mode="alternating", steps=1000)
"""The common scheme of the convergence verdicts: alternating SGD, h = 0.1, T = 100."""

VERDICT_GAMES = ("gp0", "vanilla", "wgan", "gp1", "qp")

EMA_CASES = (
    TrainCase("sgd lr 0.05, simultaneous, EMA 0.999", "vanilla",
              dict(optimizer="sgd", lr=0.05, mode="simultaneous", steps=3000, ema=0.999)),
    TrainCase("adam lr 2e-3 betas (0.5, 0.9), d-first, n_critic 5, EMA 0.999", "gp1",
              dict(optimizer="adam", lr=2e-3, beta1=0.5, beta2=0.9, n_critic=5, steps=1500, ema=0.999)),
)


@torch_threads()
def check_verdicts(losses: Iterable[str] | None = None, *, converge_tol: float = 1e-2,
                   stall_tol: float = 10.0, ema_tol: float = 0.25, games: Sequence[str] | None = None,
                   ema_cases: Sequence[TrainCase] | None = None) -> list[CheckResult]:
    """Check 4: the torch runs reproduce the seed's verdicts.

    From the seed's start, with alternating SGD (h = 0.1, 1000 steps, T = 100): gp0
    converges (measured = final/initial distance to the equilibrium, ≤ ``converge_tol``);
    vanilla, wgan, gp1 and qp do not (measured = initial/final distance, the factor by which
    the distance shrank, ≤ ``stall_tol``).  EMA 0.999 of oscillating runs: measured = mean
    distance of the EMA / mean distance of the iterate over the last quarter (≤ ``ema_tol``).
    ``games``, ``ema_cases``: only these (default all of :data:`VERDICT_GAMES`, :data:`EMA_CASES`).
    """
    losses = _check_losses(losses)
    rows = []
    kw = dict(VERDICT_TRAIN)
    for name in VERDICT_GAMES if games is None else games:
        if not _wanted(name, losses):
            continue
        game = make_game(name)
        run = train_torch(game, SEED_THETA, SEED_PHI, **kw)
        dist = run.distance()[0]
        ok = bool(run.status[0] == TrainStatus.FINISHED)
        start, end = float(dist[0]), float(dist[run.valid(0)][-1])
        tail = dist[int(0.75 * len(dist)):]
        desc = (f"{run.scheme.describe()}, {kw['steps']} steps (T = {kw['lr'] * kw['steps']:g}): ‖(θ, φ)‖ "
                f"{start:.4g} → {end:.3g}; last quarter min {np.nanmin(tail):.3g}, max {np.nanmax(tail):.3g}")
        if name == "gp0":
            measured = end / start
            rows.append(CheckResult("verdict", game.label(), "converges", measured, converge_tol,
                                    bool(ok and measured <= converge_tol), desc + ("" if ok else "; DID NOT FINISH")))
        else:
            measured = start / end if end > 0 else math.inf
            rows.append(CheckResult("verdict", game.label(), "does not converge", measured, stall_tol,
                                    bool(ok and measured <= stall_tol),
                                    desc + f"; shrank {measured:.3g}×" + ("" if ok else "; DID NOT FINISH")))
    for case in EMA_CASES if ema_cases is None else ema_cases:
        if not _wanted(case.loss, losses):
            continue
        game = case.game()
        ckw = dict(case.kwargs)
        run = train_torch(game, case.theta0, case.phi0, **ckw)
        ok = bool(run.status[0] == TrainStatus.FINISHED)
        gain = float(run.ema_gain()[0])
        measured = 1 / gain if gain > 0 else math.inf
        raw, avg = run.distance()[0], run.distance(ema=True)[0]
        tail = run.steps >= 0.75 * run.steps[-1]
        rows.append(CheckResult(
            "verdict", game.label(), f"EMA closer: {case.name}", measured, ema_tol, bool(ok and measured <= ema_tol),
            f"{ckw['steps']} steps; last quarter: mean ‖(θ, φ)‖ of the iterate {np.mean(raw[tail]):.3g}, of the "
            f"EMA {np.mean(avg[tail]):.3g} (EMA {gain:.3g}× closer)" + ("" if ok else "; DID NOT FINISH")))
    return rows


# -- runner and reports -------------------------------------------------------------------


QUICK_OPTIMIZER_STEPS = 200
"""Steps of each optimizer comparison in ``diracgan check --quick`` (every discrepancy the tests
inject — a changed β₂, a 1e-8 change of lr, a doubled or missing weight decay — shows within a
few steps; the full check runs 1000)."""


def _units(losses, quick: bool) -> list[tuple[str, str, dict, float]]:
    """The rows of :func:`run_checks` as independent units, in report order: (stage, function
    name, keyword arguments, estimated cost in torch updates, for scheduling)."""
    n_grad, n_noise = (6, 1) if quick else (12, 3)
    opt_steps = QUICK_OPTIMIZER_STEPS if quick else 1000
    units = [("gradients", "check_gradients", dict(losses=losses, n_points=n_grad, games=(n,)), 8 * n_grad)
             for n in CHECK_GAMES if _wanted(n, losses)]
    units += [("noise", "check_noise", dict(losses=losses, n_points=n_noise, games=(n,)), 300 * n_noise)
              for n in NOISE_GAMES if _wanted(n, losses)]
    for case in OPTIMIZER_CASES:
        if _wanted(case.loss, losses):
            kw = case.kwargs
            per_step = (kw.get("n_critic", 1) + kw.get("n_gen", 1)) * (2 if kw.get("optimizer") == "extragradient" else 1)
            units.append(("optimizers", "check_optimizers", dict(losses=losses, cases=(case,), steps=opt_steps),
                          opt_steps * per_step * 1.2))
    ode = ODE_QUICK if quick and losses is None else tuple(ODE_CASES)
    units += [("ode", "check_ode_tracking", dict(losses=losses, quick=quick, games=(n,)), 2 * 1400)
              for n in ode if _wanted(n, losses) and n in ODE_GAMES]
    units += [("verdicts", "check_verdicts", dict(losses=losses, games=(n,), ema_cases=()), 2 * 1000)
              for n in VERDICT_GAMES if _wanted(n, losses)]
    units += [("verdicts", "check_verdicts", dict(losses=losses, games=(), ema_cases=(c,)),
               c.kwargs["steps"] * (c.kwargs.get("n_critic", 1) + 1)) for c in EMA_CASES if _wanted(c.loss, losses)]
    return units


def _run_unit(function: str, kwargs: dict) -> list[CheckResult]:
    return globals()[function](**kwargs)


def _pool(workers: int):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork: the workers start at once with everything imported (torch runs single-threaded
    # here, so no OpenMP pool is inherited); spawn where fork does not exist.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method))


@torch_threads()
def run_checks(losses: Iterable[str] | None = None, quick: bool = False,
               progress: bool | None = False, workers: int = 1) -> list[CheckResult]:
    """All the cross-checks (restricted to ``losses`` where that makes sense).  ``quick``
    uses 6 gradient points instead of 12, one instance-noise point instead of 3, the ODE check
    on gp0 and vanilla only (when no loss is named), and optimizer comparisons over
    :data:`QUICK_OPTIMIZER_STEPS` steps instead of 1000; the verdict runs are the same.
    ``progress``: a tqdm.auto bar over the rows (False: none, True: always, None: on a
    terminal).  ``workers`` > 1 computes the rows in that many processes (the rows are
    independent and seeded, so the results are the same; they come back in report order)."""
    from tqdm.auto import tqdm

    losses = _check_losses(losses)
    units = _units(losses, quick)
    if int(workers) != workers or workers < 1:
        raise InputError(f"workers must be a whole number ≥ 1, got {workers!r}")
    bar = tqdm(total=len(units), desc="check", unit="row", leave=False,
               disable=None if progress is None else not progress)
    done: list = [None] * len(units)
    if workers == 1 or len(units) < 2:
        for i, (stage, fn, kw, _) in enumerate(units):
            bar.set_postfix_str(stage)
            done[i] = _run_unit(fn, kw)
            bar.update(1)
    else:
        from concurrent.futures import as_completed

        with _pool(min(int(workers), len(units))) as pool:
            # The most expensive units first, so that the processes finish together.
            order = sorted(range(len(units)), key=lambda i: -units[i][3])
            futures = {pool.submit(_run_unit, units[i][1], units[i][2]): i for i in order}
            for fut in as_completed(futures):
                done[futures[fut]] = fut.result()
                bar.update(1)
    bar.close()
    return [row for rows in done for row in rows]


def _fmt(x: float) -> str:
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return f"{x:.3g}" if 1e-3 <= abs(x) < 1e4 or x == 0 else f"{x:.2e}"


def checks_table(results: Sequence[CheckResult], detail: bool = False) -> str:
    """An aligned text table (check, loss, case, measured, tolerance, PASS/FAIL) with a
    summary line; ``detail`` adds each row's detail on the line below it."""
    head = ("check", "loss", "case", "measured", "tolerance", "result")
    body = [(r.check, r.loss, r.case, _fmt(r.measured), _fmt(r.tolerance), "PASS" if r.passed else "FAIL")
            for r in results]
    widths = [max(len(head[i]), *(len(row[i]) for row in body)) if body else len(head[i]) for i in range(6)]
    right = {3, 4}

    def line(row):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    lines = [line(head), line(tuple("-" * w for w in widths))]
    for r, row in zip(results, body):
        lines.append(line(row))
        if detail:
            lines.append("    " + r.detail)
    n_fail = sum(not r.passed for r in results)
    lines.append(f"{len(results)} checks: {len(results) - n_fail} passed, {n_fail} failed"
                 + ("" if n_fail else " — torch and the symbolic side agree"))
    return "\n".join(lines)


def checks_json(results: Sequence[CheckResult]) -> list[dict]:
    """The rows as JSON-ready dicts (non-finite numbers become None)."""
    out = []
    for r in results:
        d = asdict(r)
        for k in ("measured", "tolerance"):
            d[k] = float(d[k]) if math.isfinite(d[k]) else None
        d["passed"] = bool(d["passed"])
        out.append(d)
    return out

