"""Discrete-time training: the update schemes real GAN code uses, on a batch of starts.

A *step* is one generator iteration of the training loop:

* ``simultaneous``: both players step from the same point, gradients g_φ = ∇_φ L_D and
  g_θ = ∇_θ L_G evaluated once.
* ``alternating`` (the default, as real training loops do) with ``order='d-first'`` (WGAN-GP's
  Algorithm 1; the default): ``n_critic``
  discriminator steps, then ``n_gen`` generator steps, each gradient at the current point;
  ``order='g-first'`` (Mescheder's reference notebook) reverses the two.
* ``extragradient`` (simultaneous only): extrapolate both players by one gradient step, then
  step from the original point with the gradients at the extrapolated one.

Learning rates may differ (``lr_d``, ``lr_g``: TTUR, Heusel et al. 2017).  For ``wgan-clip``
every coordinate of φ is clipped to [−c, c] after each discriminator step (and after the
extrapolation of extragradient), as the WGAN paper's Algorithm 1 does.

The EMA follows ``torch.optim.swa_utils.AveragedModel`` with ``get_ema_multi_avg_fn(decay)``:
the average is the start until the first update, a copy of the iterate at the first update
(after step 1), then ema ← lerp(ema, p, 1 − decay) after every step; it is kept for θ and φ.

Gradients come from the derived field: ∇_θ L_G = −θ', ∇_φ L_D = −φ'.  A run whose state
becomes non-finite or whose norm ‖(θ, φ)‖ reaches ``bound`` stops there (its later records are
NaN) with a message; the others go on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..derivation.numeric import vector_field
from ..errors import InputError, check_memory
from ..games import Game
from .buffers import StateNorm, spares
from .optimizers import OPTIMIZERS, Extragradient, Optimizer, lerp_branch, lerp_into, make_optimizer

__all__ = ["MODES", "ORDERS", "Scheme", "TrainingRun", "TrainingSetup", "train", "prepare", "gradient_function",
           "default_mode", "divergence_message", "TrainStatus", "check_training_size", "evaluations_per_step",
           "MAX_GRADIENT_EVALUATIONS"]

MODES = ("simultaneous", "alternating")
ORDERS = ("d-first", "g-first")

GradFn = Callable[[np.ndarray, np.ndarray], tuple]


class TrainStatus:
    FINISHED = 0
    DIVERGED = 1      #: the iterate became non-finite or reached the bound
    SINGULAR = 2      #: the gradient is not finite at the start (a singular point of the game)
    NOT_CONVERGED = 3  #: an inner solve (the torch CGD's conjugate gradients) missed its tolerance
    NAMES = {0: "finished", 1: "diverged", 2: "singular", 3: "not converged"}


@dataclass(frozen=True)
class Scheme:
    """How the two players take turns (see module doc), with one optimizer each."""

    opt_d: Optimizer
    opt_g: Optimizer
    mode: str = "alternating"
    order: str = "d-first"
    n_critic: int = 1
    n_gen: int = 1
    clip: float | None = None

    def __post_init__(self):
        if self.mode not in MODES:
            raise InputError(f"unknown mode {self.mode!r}; choose one of: {', '.join(MODES)}")
        if self.order not in ORDERS:
            raise InputError(f"unknown order {self.order!r}; choose one of: {', '.join(ORDERS)}")
        for name, n in (("n_critic", self.n_critic), ("n_gen", self.n_gen)):
            if int(n) != n or n < 1:
                raise InputError(f"{name} must be a whole number ≥ 1, got {n!r}")
        if self.mode == "simultaneous" and (self.n_critic != 1 or self.n_gen != 1):
            raise InputError("n_critic/n_gen > 1 need mode='alternating' (simultaneous steps update both "
                             "players once)")
        extra = isinstance(self.opt_d, Extragradient), isinstance(self.opt_g, Extragradient)
        if any(extra) and not all(extra):
            raise InputError("extragradient must be used by both players")
        if all(extra) and self.mode != "simultaneous":
            raise InputError("extragradient is a simultaneous scheme; use mode='simultaneous'")

    @property
    def extragradient(self) -> bool:
        return isinstance(self.opt_d, Extragradient)

    def init(self, theta: np.ndarray, phi: np.ndarray) -> tuple[dict, dict]:
        return self.opt_d.init(phi), self.opt_g.init(theta)

    def _project(self, phi, fresh: bool = False):
        """The clip of wgan-clip; in place when ``phi`` is a buffer of the step (``fresh``)."""
        if self.clip is None:
            return phi
        return np.clip(phi, -self.clip, self.clip, out=phi if fresh else None)

    def step(self, theta, phi, grad: GradFn, state_d: dict, state_g: dict, out=None):
        """One step of the loop (one generator iteration); returns the new (θ, φ).

        ``out``: optional spare buffers ``((θ_a, θ_b), (φ_a, φ_b))`` of the state's shape, none
        overlapping ``theta`` or ``phi``.  The updates are written into them, alternating between
        the two when a player takes several steps, so that the step allocates nothing for the
        iterates and ``theta``, ``phi`` stay intact (the training loop freezes stopped runs
        at them).  The returned arrays are spares (or fresh arrays from an optimizer that
        returns its own).
        """
        (tb, pb) = out if out is not None else ((None, None), (None, None))
        fresh = out is not None
        if self.mode == "simultaneous":
            g_theta, g_phi = grad(theta, phi)
            if self.extragradient:
                # The look-ahead is the same SGD step as the update (weight decay included).
                theta_x = theta - self.opt_g.lr * self.opt_g._decayed(theta, g_theta)
                phi_x = self._project(phi - self.opt_d.lr * self.opt_d._decayed(phi, g_phi), True)
                g_theta, g_phi = grad(theta_x, phi_x)
            phi_new = self.opt_d.step(phi, g_phi, state_d, out=pb[0])
            phi_new = self._project(phi_new, fresh and phi_new is not phi)
            theta_new = self.opt_g.step(theta, g_theta, state_g, out=tb[0])
            return theta_new, phi_new

        def d_steps(theta, phi):
            for i in range(self.n_critic):
                new = self.opt_d.step(phi, grad(theta, phi)[1], state_d, out=pb[i % 2])
                phi = self._project(new, fresh and new is not phi)
            return phi

        def g_steps(theta, phi):
            for i in range(self.n_gen):
                theta = self.opt_g.step(theta, grad(theta, phi)[0], state_g, out=tb[i % 2])
            return theta

        if self.order == "d-first":
            phi = d_steps(theta, phi)
            theta = g_steps(theta, phi)
        else:
            theta = g_steps(theta, phi)
            phi = d_steps(theta, phi)
        return theta, phi

    def describe(self) -> str:
        def fmt(x):
            x = np.asarray(x)
            return f"{x.item():g}" if x.size == 1 else "per run"

        same = np.shape(self.opt_d.lr) == np.shape(self.opt_g.lr) and np.all(
            np.asarray(self.opt_d.lr) == np.asarray(self.opt_g.lr))
        lrs = f"lr {fmt(self.opt_d.lr)}" if same else f"lr_d {fmt(self.opt_d.lr)}, lr_g {fmt(self.opt_g.lr)}"
        if self.mode == "simultaneous":
            how = "simultaneous"
        else:
            how = f"alternating, {self.order}, n_critic {self.n_critic}" + (f", n_gen {self.n_gen}" if self.n_gen > 1 else "")
        return f"{self.opt_g.name}, {lrs}, {how}"


def default_mode(optimizer: str) -> str:
    """``alternating`` (what training loops do), except ``simultaneous`` for extragradient."""
    return "simultaneous" if optimizer == "extragradient" else "alternating"


def gradient_function(game: Game) -> GradFn:
    """(θ, φ) ↦ (∇_θ L_G, ∇_φ L_D) = −(θ', φ') from the derived field, batched."""
    vf = vector_field(game.spec)
    params = game.param_values()

    def grad(theta, phi):
        dtheta, dphi = vf(theta, phi, params)
        return -dtheta, -dphi

    return grad


@dataclass(frozen=True, eq=False)
class TrainingRun:
    """Recorded iterates of N runs.

    ``steps`` (S,) recorded step numbers (0 = start); ``theta``, ``phi``, ``ema_theta``,
    ``ema_phi`` (N, S, d), NaN after a run stopped; ``status`` (N,) codes of
    :class:`TrainStatus`, ``stop_step`` (N,) the last completed step, ``messages``.
    """

    game: Game
    scheme: Scheme
    steps: np.ndarray
    theta: np.ndarray
    phi: np.ndarray
    ema_theta: np.ndarray
    ema_phi: np.ndarray
    status: np.ndarray
    stop_step: np.ndarray
    messages: tuple[str, ...]
    ema: float | np.ndarray | None
    config: dict = field(default_factory=dict)

    @property
    def n_runs(self) -> int:
        return self.theta.shape[0]

    @property
    def dim(self) -> int:
        return self.theta.shape[-1]

    def distance(self, ema: bool = False) -> np.ndarray:
        """(N, S) distance ‖(θ, φ)‖ to the equilibrium, of the iterate or of its EMA."""
        th, ph = (self.ema_theta, self.ema_phi) if ema else (self.theta, self.phi)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.sqrt(np.sum(th**2, axis=-1) + np.sum(ph**2, axis=-1))

    def valid(self, i: int) -> np.ndarray:
        """Mask of the recorded steps of run ``i`` (up to its stop)."""
        return self.steps <= self.stop_step[i]

    def summary(self) -> str:
        counts = {}
        for s in self.status:
            counts[TrainStatus.NAMES[int(s)]] = counts.get(TrainStatus.NAMES[int(s)], 0) + 1
        return f"{self.n_runs} run{'s' if self.n_runs != 1 else ''}: " + ", ".join(f"{n} {k}" for k, n in counts.items())

    def ema_gain(self, last_fraction: float = 0.25) -> np.ndarray | None:
        """(N,) mean distance to the equilibrium of the raw iterate over the last quarter of
        the steps, divided by that of the EMA: > 1 when the EMA sits closer (the seed's claim)."""
        if self.ema is None:
            return None
        tail = self.steps >= (1 - last_fraction) * self.steps[-1]
        with np.errstate(all="ignore"):
            return np.nanmean(self.distance()[:, tail], axis=1) / np.nanmean(self.distance(True)[:, tail], axis=1)

    # -- display and conversion (notebooks, pandas, xarray) ------------------------------------

    def __repr__(self) -> str:
        return (f"<TrainingRun {self.game.label()}, d = {self.dim}: {self.scheme.describe()}, "
                f"{int(self.steps[-1])} steps, {self.summary()}>")

    def _repr_html_(self) -> str:
        from .display import html_table

        dist = self.distance()
        final = [dist[i, self.valid(i)][-1] for i in range(self.n_runs)]
        rows = [("game", self.game.label()), ("d", self.dim), ("scheme", self.scheme.describe()),
                ("steps", int(self.steps[-1])), ("runs", self.summary()),
                ("distance to θ = φ = 0", f"start {np.median(dist[:, 0]):.4g}, end {np.median(final):.4g}")]
        gain = self.ema_gain()
        if gain is not None:
            rows.append(("EMA gain (iterate / EMA distance, last quarter)", f"{np.nanmedian(gain):.3g}×"))
        return html_table("TrainingRun", rows)

    def to_dataframe(self):
        """The recorded iterates as a pandas DataFrame in long format.

        Returns
        -------
        pandas.DataFrame
            One row per (run, step): ``run``, ``step``, ``theta_i``, ``phi_i`` and, with an EMA,
            ``ema_theta_i``, ``ema_phi_i``; ``status``.
        """
        from .display import array_frame

        return array_frame("step", self.steps, self._arrays(), {"status": self._status_names()},
                           "TrainingRun.to_dataframe()")

    def to_xarray(self):
        """The recorded iterates as an ``xarray.Dataset`` with dimensions (run, step, coordinate)."""
        from .display import array_dataset

        return array_dataset("step", self.steps, self._arrays(),
                             {"status": self._status_names(), "stop_step": self.stop_step},
                             {"game": self.game.label(), "scheme": self.scheme.describe()}, "TrainingRun.to_xarray()")

    def _arrays(self) -> dict:
        arrays = {"theta": self.theta, "phi": self.phi}
        if self.ema is not None:
            arrays.update(ema_theta=self.ema_theta, ema_phi=self.ema_phi)
        return arrays

    def _status_names(self) -> list[str]:
        return [TrainStatus.NAMES[int(s)] for s in self.status]


def train(
    game: Game,
    theta0,
    phi0,
    *,
    scheme: Scheme | None = None,
    optimizer: str = "sgd",
    lr: float | None = None,
    lr_d: float | None = None,
    lr_g: float | None = None,
    mode: str | None = None,
    order: str = "d-first",
    n_critic: int = 1,
    n_gen: int = 1,
    steps: int = 1000,
    ema: float | None = None,
    bound: float = 1e6,
    record_every: int = 1,
    grad: GradFn | None = None,
    progress: bool | None = False,
    **hyper,
) -> TrainingRun:
    """Train the Dirac-GAN with discrete steps from one start or a batch (see module doc).

    Parameters
    ----------
    game : Game
        From :func:`diracgan.make_game`.
    theta0, phi0 : array_like
        Starts, (d,) for one run or (N, d) for N runs.
    optimizer : {"sgd", "adam", "rmsprop", "optimistic", "extragradient"}
        Both players' optimizer (unless ``scheme`` is given).
    lr, lr_d, lr_g : float, optional
        Learning rate of both players, or of the discriminator / generator (default: torch's).
    mode : {"simultaneous", "alternating"}, optional
        Default :func:`default_mode` of the optimizer.
    order, n_critic, n_gen
        Alternating order ("d-first" / "g-first") and steps per player per iteration.
    steps : int
        Iterations.
    ema : float or array, optional
        EMA decay (an (N, 1) array gives each run its own decay).
    bound : float
        A run stops as diverged when ‖(θ, φ)‖ reaches it.
    record_every : int
        Record every k-th step.
    progress : bool or None
        Progress bar (tqdm.auto): False (default) none, True always, None on a terminal for
        long jobs.
    **hyper
        Optimizer options as torch.optim spells them: ``momentum``, ``nesterov``,
        ``dampening``, ``betas=(b1, b2)`` (or ``beta1``, ``beta2``), ``eps``, ``amsgrad``,
        ``alpha``, ``centered``, ``weight_decay``.

    Returns
    -------
    TrainingRun

    Raises
    ------
    TypeError
        For a keyword no optimizer has (a typo), naming it.
    InputError
        For bad values, naming the argument.

    Examples
    --------
    >>> from diracgan import make_game, train
    >>> run = train(make_game("vanilla"), [0.2, 0.1], [0.1, 0.2], optimizer="adam", lr=1e-3,
    ...             betas=(0.5, 0.9), steps=100, ema=0.99)
    >>> run.theta.shape
    (1, 101, 2)
    """
    hyper = _torch_spelling(hyper)
    setup = prepare(game, theta0, phi0, scheme=scheme, optimizer=optimizer, lr=lr, lr_d=lr_d, lr_g=lr_g, mode=mode,
                    order=order, n_critic=n_critic, n_gen=n_gen, steps=steps, ema=ema, bound=bound,
                    record_every=record_every, **hyper)
    theta, phi, scheme, steps, rec = setup.theta, setup.phi, setup.scheme, setup.steps, setup.records
    grad = grad or gradient_function(game)

    hist, status, stop_step, messages = _loop(game, setup, grad, progress)
    return TrainingRun(game, scheme, rec, hist["theta"], hist["phi"], hist["ema_theta"], hist["ema_phi"], status,
                       stop_step, tuple(messages), ema, setup.config())


def _loop(game: Game, setup: TrainingSetup, grad: GradFn, progress):
    """The training loop of :func:`train`: (history, status, stop_step, messages)."""
    theta, phi, scheme, steps, rec, ema, bound = (setup.theta, setup.phi, setup.scheme, setup.steps, setup.records,
                                                  setup.ema, setup.bound)
    n, d = theta.shape
    hist = setup.empty_history()
    hist["theta"][:, 0], hist["phi"][:, 0] = theta, phi
    hist["ema_theta"][:, 0], hist["ema_phi"][:, 0] = theta, phi
    alive, status, stop_step, messages = initial_status(game, setup, grad)
    state_d, state_g = scheme.init(theta, phi)
    # Preallocated: three arrays per player (the current iterate and the two spares a step
    # writes into), the EMA, the norm and its scratch; nothing of size N is allocated per step
    # except by the gradient function and the optimizers' hyperparameter broadcasts.
    pools = [np.empty((3, n, d)), np.empty((3, n, d))]
    pools[0][0], pools[1][0] = theta, phi
    theta, phi = pools[0][0], pools[1][0]
    ema_theta, ema_phi = theta.copy(), phi.copy()
    ema_tmp = np.empty((n, d))
    ema_weight = None if ema is None else 1 - np.asarray(ema, dtype=float)
    ema_branch = None if ema is None else lerp_branch(ema_weight)
    norm_work = StateNorm(n, d)
    everyone = bool(alive.all())
    j = 1
    bar = _progress_bar(steps, n, progress)
    with np.errstate(all="ignore"):
        for k in range(1, steps + 1):
            if bar is not None and k % 1000 == 0:
                bar.update(1000)
            out = (spares(pools[0], theta), spares(pools[1], phi))
            new_theta, new_phi = scheme.step(theta, phi, grad, state_d, state_g, out=out)
            ok = norm_work(new_theta, new_phi, bound)
            if not ok.all():
                norm = norm_work.norm
                bad = alive & ~ok   # NaN/inf fail the test too
                for i in np.flatnonzero(bad):
                    status[i], stop_step[i] = TrainStatus.DIVERGED, k - 1
                    messages[i] = divergence_message(norm[i], bound, k)
                alive &= ~bad
                everyone = bool(alive.all())
            if not everyone:
                # Freeze stopped runs at their last state so they cannot poison anything.
                new_theta[~alive], new_phi[~alive] = theta[~alive], phi[~alive]
            theta, phi = new_theta, new_phi
            if ema is not None:
                if k == 1:
                    ema_theta[...], ema_phi[...] = theta, phi
                else:
                    lerp_into(ema_theta, theta, ema_weight, ema_theta, ema_tmp, ema_branch)
                    lerp_into(ema_phi, phi, ema_weight, ema_phi, ema_tmp, ema_branch)
            if rec[j] == k:
                live = slice(None) if everyone else alive
                hist["theta"][live, j], hist["phi"][live, j] = theta[live], phi[live]
                if ema is not None:
                    hist["ema_theta"][live, j], hist["ema_phi"][live, j] = ema_theta[live], ema_phi[live]
                j += 1
            if not everyone and not alive.any():
                break
    if bar is not None:
        bar.close()
    if ema is None:
        hist["ema_theta"][:] = np.nan
        hist["ema_phi"][:] = np.nan
    return hist, status, stop_step, messages


_HYPER = frozenset(f for cls in OPTIMIZERS.values() for f in cls.__dataclass_fields__) | {"betas"}


def _torch_spelling(hyper: dict) -> dict:
    """Accept torch.optim's ``betas=(b1, b2)``; a keyword no optimizer knows is a TypeError."""
    import difflib

    for k in hyper:
        if k not in _HYPER:
            close = difflib.get_close_matches(k, sorted(_HYPER | {"steps", "lr", "ema", "mode", "order", "n_critic",
                                                                   "n_gen", "bound", "record_every", "optimizer"}), 1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"train() got an unexpected keyword argument {k!r}{hint}")
    if "betas" in hyper:
        hyper = dict(hyper)
        betas = hyper.pop("betas")
        if betas is not None:
            if "beta1" in hyper or "beta2" in hyper:
                raise TypeError("give betas=(b1, b2) or beta1/beta2, not both")
            try:
                b1, b2 = betas
            except (TypeError, ValueError):
                raise InputError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
            hyper["beta1"], hyper["beta2"] = b1, b2
    return hyper


def _progress_bar(steps: int, n: int, progress: bool | None):
    """A tqdm.auto bar over the steps (in thousands), or None: ``progress`` False → none, True →
    always, None → only on a terminal and for long jobs."""
    if progress is False or (progress is None and steps * n < 200_000) or steps < 1000:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=steps - steps % 1000, desc="train", unit="step", unit_scale=True, leave=False,
                disable=None if progress is None else False)


@dataclass(frozen=True, eq=False)
class TrainingSetup:
    """Validated inputs of a training run (shared by the numpy loop and the torch backend)."""

    theta: np.ndarray
    phi: np.ndarray
    scheme: Scheme
    steps: int
    records: np.ndarray      # recorded step numbers: 0, k, 2k, …, steps
    ema: object
    bound: float

    def empty_history(self) -> dict:
        n, d = self.theta.shape
        return {k: np.full((n, len(self.records), d), np.nan) for k in ("theta", "phi", "ema_theta", "ema_phi")}

    def config(self) -> dict:
        s = self.scheme
        return {"optimizer": s.opt_g.name, "lr_d": _plain(s.opt_d.lr), "lr_g": _plain(s.opt_g.lr), "mode": s.mode,
                "order": s.order, "n_critic": s.n_critic, "n_gen": s.n_gen, "steps": self.steps,
                "ema": None if self.ema is None else _plain(self.ema), "clip": s.clip, "bound": self.bound,
                "hyper": {k: _plain(v) for k, v in s.opt_g.hyper().items() if k != "lr"}}


def prepare(game: Game, theta0, phi0, *, scheme: Scheme | None = None, optimizer: str = "sgd", lr=None, lr_d=None,
            lr_g=None, mode: str | None = None, order: str = "d-first", n_critic: int = 1, n_gen: int = 1,
            steps: int = 1000, ema=None, bound: float = 1e6, record_every: int = 1, **hyper) -> TrainingSetup:
    """Validate the arguments of :func:`train` and build the scheme (see there)."""
    theta = np.array(theta0, dtype=float, ndmin=2)
    phi = np.array(phi0, dtype=float, ndmin=2)
    if theta.shape != phi.shape or theta.ndim != 2:
        raise InputError(f"θ and φ starts must have the same shape (N, d), got {theta.shape} and {phi.shape}")
    if int(steps) != steps or steps < 1:
        raise InputError(f"steps must be a whole number ≥ 1, got {steps!r}")
    if int(record_every) != record_every or record_every < 1:
        raise InputError(f"record-every must be a whole number ≥ 1, got {record_every!r}")
    if ema is not None:
        decay = np.asarray(ema, dtype=float)
        if not np.all((decay >= 0) & (decay < 1)):
            raise InputError(f"EMA decay must be in [0, 1), got {ema!r}")
    if not (bound > 0):
        raise InputError(f"bound must be > 0, got {bound!r}")
    if scheme is None:
        lr_d = lr_d if lr_d is not None else lr
        lr_g = lr_g if lr_g is not None else lr
        scheme = Scheme(make_optimizer(optimizer, lr=lr_d, **hyper), make_optimizer(optimizer, lr=lr_g, **hyper),
                        mode=mode or default_mode(optimizer), order=order, n_critic=n_critic, n_gen=n_gen,
                        clip=game.params.get("clip"))
    steps = int(steps)
    check_training_size(theta.shape[0], theta.shape[1], steps, int(record_every), evaluations_per_step(scheme))
    records = np.arange(0, steps + 1, int(record_every))
    if records[-1] != steps:
        records = np.append(records, steps)
    return TrainingSetup(theta, phi, scheme, steps, records, ema, bound)


MAX_GRADIENT_EVALUATIONS = 10**8
"""The most gradient evaluations (steps × evaluations per step) one training run may take."""


def evaluations_per_step(scheme: Scheme) -> int:
    """Gradient evaluations per step: 1 (simultaneous), 2 (extragradient), n_critic + n_gen."""
    if scheme.mode == "simultaneous":
        return 2 if scheme.extragradient else 1
    return scheme.n_critic + scheme.n_gen


def check_training_size(n_runs: int, dim: int, steps: int, record_every: int, per_step: int) -> None:
    """Refuse, before allocating anything, a run whose history (4 arrays of N runs × records ×
    d) would exceed the memory limit, or whose gradient evaluations exceed
    :data:`MAX_GRADIENT_EVALUATIONS`; the message names the option to change."""
    records = steps // record_every + (1 if steps % record_every else 0) + 1
    check_memory(4 * 8.0 * n_runs * records * dim,
                 f"the history of {n_runs} run(s) × {records} recorded steps × d = {dim} (θ, φ and their EMA)",
                 "raise --record-every, or lower --steps, --n-init or --dim")
    evals = steps * per_step
    if evals > MAX_GRADIENT_EVALUATIONS:
        raise InputError(f"{steps} steps × {per_step} gradient evaluation(s) per step = {evals:.3g} "
                         f"evaluations (the limit is {MAX_GRADIENT_EVALUATIONS:.0e}); lower --steps, --n-critic or "
                         f"--n-gen")


def initial_status(game: Game, setup: TrainingSetup, grad: GradFn | None = None):
    """(alive, status, stop_step, messages) before the first step: a start whose norm is at
    least the bound is diverged, one where the gradient is not finite is singular."""
    theta, phi, steps, bound = setup.theta, setup.phi, setup.steps, setup.bound
    n = theta.shape[0]
    status = np.zeros(n, dtype=int)
    stop_step = np.full(n, steps)
    messages = [f"finished {steps} steps"] * n
    with np.errstate(all="ignore"):
        alive = np.sqrt(np.sum(theta**2, axis=1) + np.sum(phi**2, axis=1)) < bound
        g_theta, g_phi = (grad or gradient_function(game))(theta, phi)
    for i in np.flatnonzero(~alive):
        status[i], stop_step[i] = TrainStatus.DIVERGED, 0
        messages[i] = f"diverged: the start's norm is ≥ the bound {bound:g}; nothing to train"
    singular = alive & ~(np.isfinite(g_theta).all(axis=1) & np.isfinite(g_phi).all(axis=1))
    for i in np.flatnonzero(singular):
        status[i], stop_step[i] = TrainStatus.SINGULAR, 0
        where = f" ({game.name} is singular at {game.spec.singular})" if game.spec.singular else ""
        messages[i] = f"singular: the gradient is not finite at the start{where}; nothing to train"
    return alive & ~singular, status, stop_step, messages


def divergence_message(norm: float, bound: float, step: int) -> str:
    why = "became non-finite" if not np.isfinite(norm) else f"reached ‖(θ, φ)‖ ≥ {bound:g}"
    return f"diverged: the iterate {why} at step {step}; kept steps 0..{step - 1}"


def _plain(x):
    arr = np.asarray(x)
    if arr.ndim == 0:
        v = arr.item()
        return float(v) if isinstance(v, float) and math.isfinite(v) else v
    return arr.tolist()
