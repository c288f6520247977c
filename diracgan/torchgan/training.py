"""Training with torch: :func:`diracgan.dynamics.training.train` on the torch model.

Same arguments, semantics and result type as the numpy training, so the two can be compared
step by step (``diracgan check``) and ``train --backend torch`` is a drop-in replacement.
"""

from __future__ import annotations

import math

import numpy as np

from ..dynamics.training import (
    TrainingRun,
    TrainStatus,
    divergence_message,
    evaluations_per_step,
    initial_status,
    prepare,
)
from ..errors import InputError
from ..games import Game
from .model import BATCH_SIZE, TorchGAN, TorchLosses, _scalar, torch_threads

__all__ = ["train_torch", "MAX_TORCH_UPDATES"]

MAX_TORCH_UPDATES = 10**6
"""The most optimizer updates (runs × steps × updates per step) the torch backend takes on."""


@torch_threads()
def train_torch(
    game: Game,
    theta0,
    phi0,
    *,
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
    batch_size: int = BATCH_SIZE,
    seed: int = 0,
    **hyper,
) -> TrainingRun:
    """:func:`diracgan.dynamics.training.train` with the torch model: same arguments, same semantics,
    same :class:`~diracgan.dynamics.training.TrainingRun`.

    The runs of a batch (``theta0``, ``phi0`` of shape (N, d) or (d,)) are trained one after
    another, each with its own models, optimizers and EMA (run i's noise and interpolation
    weights come from ``torch.Generator().manual_seed(seed + i)``; they do not change the
    dynamics of the Dirac-GAN, only exercise the code path of real training).
    ``batch_size`` is the number of real and fake samples per loss evaluation.
    """
    if int(batch_size) != batch_size or batch_size < 1:
        raise InputError(f"batch size must be a whole number ≥ 1, got {batch_size!r}")
    TorchLosses(game)   # refuses games the torch model does not implement, with the list
    if ema is not None and np.ndim(ema) != 0:
        raise InputError("the torch backend takes one EMA decay for all runs")
    setup = prepare(game, theta0, phi0, optimizer=optimizer, lr=lr, lr_d=lr_d, lr_g=lr_g, mode=mode, order=order,
                    n_critic=n_critic, n_gen=n_gen, steps=steps, ema=ema, bound=bound, record_every=record_every,
                    **hyper)
    theta, phi, scheme, steps, rec = setup.theta, setup.phi, setup.scheme, setup.steps, setup.records
    updates = theta.shape[0] * steps * evaluations_per_step(scheme)
    if updates > MAX_TORCH_UPDATES:
        raise InputError(f"the torch backend trains runs one after another: {theta.shape[0]} run(s) × {steps} steps "
                         f"× {evaluations_per_step(scheme)} updates = {updates:.3g} torch updates (the limit is "
                         f"{MAX_TORCH_UPDATES:.0e}); use --backend numpy (batched), or lower --n-init or --steps")
    for opt in (scheme.opt_d, scheme.opt_g):
        for k, v in opt.hyper().items():
            _scalar(k, v)

    n, d = theta.shape
    hist = setup.empty_history()
    alive, status, stop_step, messages = initial_status(game, setup)
    for i in range(n):
        hist["theta"][i, 0], hist["phi"][i, 0] = theta[i], phi[i]
        if ema is not None:
            hist["ema_theta"][i, 0], hist["ema_phi"][i, 0] = theta[i], phi[i]
        if not alive[i]:   # diverged or singular at the start: nothing to train
            continue
        run = TorchGAN(game, theta[i], phi[i], scheme, ema=ema, batch_size=batch_size, seed=seed + i)
        j = 1
        th, ph = run.views()          # live views: nothing copied per step
        for k in range(1, steps + 1):
            run.step()
            with np.errstate(all="ignore"):
                norm = math.sqrt(float(np.sum(th**2) + np.sum(ph**2)))
            if not norm < bound:         # NaN/inf fail this test too
                status[i], stop_step[i] = TrainStatus.DIVERGED, k - 1
                messages[i] = divergence_message(norm, bound, k)
                break
            run.update_ema()
            if rec[j] == k:
                hist["theta"][i, j], hist["phi"][i, j] = th, ph
                if ema is not None:
                    hist["ema_theta"][i, j], hist["ema_phi"][i, j] = run.ema_state()
                j += 1
    return TrainingRun(game, scheme, rec, hist["theta"], hist["phi"], hist["ema_theta"], hist["ema_phi"], status,
                       stop_step, tuple(messages), ema, setup.config())
