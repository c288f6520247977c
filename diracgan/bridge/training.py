"""Training the bridge's GANs: S seeds in one batched computation, real torch.optim optimizers.

The S seeds' models are one set of stacked parameters (:mod:`.models`); every gradient
evaluation is one ``torch.func.vmap`` of the per-seed loss (:mod:`.losses`; input gradients ∇_x D
inside it by ``torch.func.grad``) and one ``torch.autograd.grad`` of the sum of the S losses
(exactly each seed's own gradient: seed s's parameters enter only its loss; plain autograd
outside the vmap costs less per call than a vmapped ``torch.func.grad``), and the optimizers are the torch ones of :func:`diracgan.torchgan.model.torch_optimizer`
(torch.optim.SGD / Adam / RMSprop, and the hand-written negative-momentum and optimistic steps)
acting on the stacked tensors: their updates are elementwise, so a seed's update does not see
the other seeds.  The update schemes are :meth:`diracgan.torchgan.model.TorchGAN.step`'s
(simultaneous, alternating d-first / g-first, n_critic / n_gen, extragradient, weight clipping
after every discriminator step for ``wgan-clip``), inherited unchanged, with the same option
names and meanings as :func:`diracgan.dynamics.training.train`.

Random numbers: seed s owns ``torch.Generator().manual_seed(s)``; it draws, in this order, G's
weights, D's weights, the spectral-normalisation start (wgan on an MLP), the evaluation noise
(``eval_size`` × k, fixed for the run), then for every loss evaluation the real batch, the noise
z and the loss's own draws.  So seed s of a batched run is the single-model run of seed s
(``batched=False``: the same per-seed function without vmap) up to the rounding of the batched
matrix products (vmap turns ``addmm`` into ``baddbmm``/``bmm``, whose blocking sums in another
order): equal to ~1e-15 relative per step, checked at 1e-6 after training.

The EMA is kept for G's parameters (torch.optim.swa_utils' ``get_ema_multi_avg_fn`` rule: a copy
at the first update, then ema ← lerp(ema, p, 1 − decay)).  A seed whose parameters become
non-finite or reach ``bound`` in absolute value stops there (status diverged, its later records
NaN); the others go on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch.func import vmap

from ..dynamics.training import TrainStatus, evaluations_per_step, prepare
from ..errors import InputError
from ..games import Game
from ..torchgan.model import TorchGAN, torch_optimizer, torch_threads
from .losses import BridgeLosses
from .models import ModelSpec, build, spectral_init, spectral_update, stack

__all__ = ["BridgeGAN", "BridgeRun", "train_bridge", "dirac_gradients", "compute_metrics", "check_device", "DEVICES", "MAX_UPDATES", "EVAL_SIZE", "REFERENCE_SEED"]

DEVICES = ("cpu", "cuda")
EVAL_SIZE = 512
REFERENCE_SEED = 2**31 - 1
"""Seed of the data batch the metrics compare the samples with (the same for every seed)."""
MAX_UPDATES = 10**9
"""The most sample-updates (seeds × steps × evaluations per step × batch) one call may take."""


def check_device(device: str) -> torch.device:
    if device not in DEVICES:
        raise InputError(f"unknown device={device!r}; choose one of: {', '.join(DEVICES)}")
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("device='cuda' needs a GPU that torch can use; torch.cuda.is_available() is False here "
                         "(use device='cpu')")
    return torch.device(device)


class BridgeGAN(TorchGAN):
    """S seeds of one configuration: stacked models, optimizers, losses, EMA of G.

    Inherits :meth:`TorchGAN.step` (the update schemes) and :meth:`TorchGAN.d_step` (the optimizer
    step and the clip); the gradients are vmapped over the seeds (``batched=True``) or computed
    for one seed without vmap (``batched=False``, ``len(seeds) == 1``)."""

    def __init__(self, game: Game, models: ModelSpec, dataset, scheme, seeds, *, batch: int, ema=None,
                 eval_size: int = EVAL_SIZE, theta0=(0.2, 0.1), phi0=(0.1, 0.2), batched: bool = True,
                 device: torch.device = torch.device("cpu"), dtype=torch.float64):
        self.seeds = [int(s) for s in seeds]
        if not batched and len(self.seeds) != 1:
            raise InputError("batched=False trains one seed")
        self.models, self.dataset, self.scheme, self.batched = models, dataset, scheme, batched
        self.batch, self.dtype, self.device = int(batch), dtype, device
        self.losses = BridgeLosses(game)
        self.normalised = game.name.split("+")[0] == "wgan"
        self.gens = [torch.Generator().manual_seed(s) for s in self.seeds]
        nets = [build(models, g, theta0=theta0, phi0=phi0, dtype=dtype) for g in self.gens]
        self.pg, g_base = self._stack([n[0] for n in nets])
        self.pd, d_base = self._stack([n[1] for n in nets])
        self.sn = {}
        if self.normalised and models.d == "mlp":
            per = [spectral_init({k: v for k, v in n[1].named_parameters()}, g) for n, g in zip(nets, self.gens)]
            self.sn = {k: tuple(self._join([p[k][i] for p in per]) for i in range(2)) for k in per[0]}
        self.z_eval = self._join([torch.randn(eval_size, models.latent, generator=g, dtype=dtype) for g in self.gens])
        from .models import Forward

        self.fwd = Forward(models, g_base, d_base, self.normalised)
        self.d_params, self.g_params = list(self.pd.values()), list(self.pg.values())
        self.opt_d = torch_optimizer(scheme.opt_d, self.d_params)
        self.opt_g = torch_optimizer(scheme.opt_g, self.g_params)
        self.clip = scheme.clip
        self.ema = ema
        self.ema_pg = None
        self.n_ema = 0
        self._loss_d = vmap(self._loss_d_one) if batched else self._loss_d_one
        self._loss_g = vmap(self._loss_g_one) if batched else self._loss_g_one
        self._sample = vmap(self.fwd.g) if batched else self.fwd.g

    # -- stacking over seeds (or not) -------------------------------------------------------
    def _join(self, tensors):
        return (torch.stack(tensors) if self.batched else tensors[0]).to(self.device)

    def _stack(self, modules):
        params, base = stack(modules)
        if not self.batched:
            params = {k: v[0].clone() for k, v in params.items()}
        return {k: v.to(self.device) for k, v in params.items()}, base

    # -- the per-seed losses, their gradients by autograd ----------------------------------------
    def _loss_d_one(self, pg, pd, sn, real, z, r):
        d = lambda p, x: self.fwd.d(p, x, sn)   # noqa: E731
        return self.losses.losses(self.fwd.g, d, pg, pd, real, z, r)[0]

    def _loss_g_one(self, pg, pd, sn, real, z, r):
        d = lambda p, x: self.fwd.d(p, x, sn)   # noqa: E731
        return self.losses.losses(self.fwd.g, d, pg, pd, real, z, r, whole=False)[1]

    def _gradients(self, loss, params: dict) -> dict:
        """∇ of each seed's loss w.r.t. its own ``params``: autograd of Σ_s L_s over the vmapped
        losses (seed s's parameters enter only L_s, and the sum passes 1 to each exactly)."""
        leaves = list(params.values())
        for p in leaves:
            p.requires_grad_(True)
        try:
            total = loss(self.pg, self.pd, self.sn, *self.draws()).sum()
            grads = torch.autograd.grad(total, leaves)
        finally:
            for p in leaves:
                p.requires_grad_(False)
        return dict(zip(params, grads))

    def draws(self):
        """(real, z, loss draws) of one loss evaluation, each seed from its own generator."""
        reals, zs, rs = [], [], []
        for g in self.gens:
            reals.append(self.dataset.sample(self.batch, g, dtype=self.dtype))
            zs.append(torch.randn(self.batch, self.models.latent, generator=g, dtype=self.dtype))
            rs.append(self.losses.draw(self.batch, g, self.dtype))
        r = {k: self._join([x[k] for x in rs]) for k in rs[0]}
        return self._join(reals), self._join(zs), r

    def d_backward(self) -> None:
        if self.sn:   # one power iteration per discriminator update (Miyato et al. 2018, Alg. 1)
            self.sn = spectral_update(self.pd, self.sn)
        grads = self._gradients(self._loss_d, self.pd)
        for k, p in self.pd.items():
            p.grad = grads[k]

    def g_backward(self) -> None:
        grads = self._gradients(self._loss_g, self.pg)
        for k, p in self.pg.items():
            p.grad = grads[k]

    def update_ema(self) -> None:
        if self.ema is None:
            return
        if self.ema_pg is None:
            self.ema_pg = {k: v.detach().clone() for k, v in self.pg.items()}
        else:
            for k, v in self.pg.items():
                self.ema_pg[k].lerp_(v, 1 - self.ema)

    # -- what is recorded -------------------------------------------------------------------
    @torch.no_grad()
    def samples(self, ema: bool = False) -> np.ndarray:
        """G's samples at the fixed evaluation noise, (S, n, 2)."""
        pg = self.ema_pg if ema else self.pg
        out = self._sample(pg, self.z_eval)
        return (out if self.batched else out[None]).cpu().numpy()

    @torch.no_grad()
    def size(self) -> np.ndarray:
        """(S,) largest |parameter| of each seed (inf/NaN when non-finite)."""
        parts = [p.reshape(p.shape[0], -1) if self.batched else p.reshape(1, -1) for p in self.d_params + self.g_params]
        return torch.cat(parts, dim=1).abs().amax(dim=1).cpu().numpy()

    @torch.no_grad()
    def d_norm(self) -> np.ndarray:
        """(S,) ‖D's weights‖ (all parameters as one vector)."""
        parts = [p.reshape(p.shape[0], -1) if self.batched else p.reshape(1, -1) for p in self.d_params]
        return torch.cat(parts, dim=1).norm(dim=1).cpu().numpy()

    @torch.no_grad()
    def dirac_state(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(θ, φ), (S, 2) each, for the linear shapes (else None)."""
        if self.models.g != "linear" or self.models.d != "linear":
            return None
        th, ph = self.pg["theta"], self.pd["weight"]
        th = th if self.batched else th[None]
        ph = ph[:, 0] if self.batched else ph
        return th.cpu().numpy().copy(), ph.cpu().numpy().copy()


@dataclass(frozen=True, eq=False)
class BridgeRun:
    """The records of S seeds (see :func:`train_bridge`).

    ``steps`` (R,) recorded step numbers (0 = start); ``samples`` (S, R, n, 2) G's samples at the
    fixed evaluation noise (``ema_samples`` the EMA generator's, or None); ``d_norm`` (S, R);
    ``theta``, ``phi`` (S, R, 2) for the linear shapes (else None); NaN after a seed stopped;
    ``status`` (S,) :class:`~diracgan.dynamics.training.TrainStatus` codes, ``stop_step`` (S,) the
    last completed step, ``messages``; ``metrics`` name → (S, R) from
    :func:`diracgan.bridge.metrics.evaluate_seeds` (NaN where a seed had stopped);
    ``reference`` (n, 2) the data batch they compare with.
    """

    game: Game
    models: ModelSpec
    dataset: object
    scheme: object
    seeds: tuple[int, ...]
    steps: np.ndarray
    samples: np.ndarray
    ema_samples: np.ndarray | None
    d_norm: np.ndarray
    theta: np.ndarray | None
    phi: np.ndarray | None
    status: np.ndarray
    stop_step: np.ndarray
    messages: tuple[str, ...]
    metrics: dict
    reference: np.ndarray
    config: dict = field(default_factory=dict)

    @property
    def n_seeds(self) -> int:
        return len(self.seeds)

    def valid(self, i: int) -> np.ndarray:
        return self.steps <= self.stop_step[i]

    def verdicts(self, thresholds: dict | None = None):
        from .verdict import bridge_verdicts

        return bridge_verdicts(self, thresholds)

    def summary(self) -> str:
        from collections import Counter

        counts = Counter(v.verdict for v in self.verdicts())
        return f"{self.n_seeds} seed{'s' if self.n_seeds != 1 else ''}: " + ", ".join(
            f"{n} {k}" for k, n in counts.most_common())

    def __repr__(self) -> str:
        return (f"<BridgeRun {self.game.label()} on {self.dataset.name}, {self.models.describe()}: "
                f"{self.scheme.describe()}, {int(self.steps[-1])} steps, {self.summary()}>")


def _dataset(data, target, data_file):
    if not isinstance(data, str):
        return data
    from .data import make_dataset

    return make_dataset(data, target=target, file=data_file)


def _whole(name, value, lower=1, upper=10**9):
    if isinstance(value, bool) or int(value) != value or not lower <= value <= upper:
        raise InputError(f"{name} must be a whole number in {lower}..{upper:g}, got {value!r}")
    return int(value)


@torch_threads()
def train_bridge(game: Game, *, data="ring8", target=(0.0, 0.0), data_file=None, models: ModelSpec | None = None,
                 optimizer: str = "adam", lr=None, lr_d=None, lr_g=None, mode=None, order="d-first", n_critic=1,
                 n_gen=1, steps: int = 2000, ema=None, record_every: int = 100, seeds: int = 1, seed: int = 0,
                 batch: int = 256, eval_size: int = EVAL_SIZE, bound: float = 1e6, theta0=(0.2, 0.1),
                 phi0=(0.1, 0.2), device: str = "cpu", batched: bool = True, metrics: bool = True,
                 progress: bool | None = False, **hyper) -> BridgeRun:
    """Train ``seeds`` GANs (seeds ``seed``, ``seed + 1``, …) of one configuration, batched.

    Parameters
    ----------
    game : Game
        From :func:`diracgan.make_game` (any registered loss and regulariser, or your own losses
        in D's outputs).
    data : str or Dataset
        A name of :data:`diracgan.bridge.data.DATASETS` (``target``, ``data_file`` as
        :func:`~diracgan.bridge.data.make_dataset` takes them) or a dataset.
    models : ModelSpec
        The networks (default: MLPs 2 × 128 relu, latent k = 2).
    optimizer, lr, lr_d, lr_g, mode, order, n_critic, n_gen, steps, ema, record_every, bound, **hyper
        As :func:`diracgan.dynamics.training.train` (``ema`` averages G; ``bound`` bounds every
        parameter's absolute value).
    seeds, seed : int
        Number of seeds and the first.
    batch : int
        Real and fake samples per loss evaluation.
    eval_size : int
        Samples of the fixed evaluation batch (metrics and recorded samples).
    theta0, phi0 : pair of floats
        Starts of θ and φ for the linear shapes.
    device : {"cpu", "cuda"}
    batched : bool
        False: one seed without vmap (the reference the batched run is checked against).
    metrics : bool
        Compute the metrics of the recorded samples (POT; False leaves ``metrics`` empty).
    progress : bool or None
        Progress bar as in ``train``.

    Returns
    -------
    BridgeRun
    """
    models = models or ModelSpec()
    dev = check_device(device)
    n_seeds = _whole("seeds", seeds, upper=4096)
    _whole("batch", batch, upper=10**6)
    _whole("eval_size", eval_size, lower=2, upper=10**5)
    _whole("seed", seed, lower=0, upper=2**62)
    from ..dynamics.training import _torch_spelling

    hyper = _torch_spelling(hyper)
    setup = prepare(game, np.zeros((1, 2)), np.zeros((1, 2)), optimizer=optimizer, lr=lr, lr_d=lr_d, lr_g=lr_g,
                    mode=mode, order=order, n_critic=n_critic, n_gen=n_gen, steps=steps, ema=ema, bound=bound,
                    record_every=record_every, **hyper)
    scheme, steps, rec = setup.scheme, setup.steps, setup.records
    if ema is not None and np.ndim(ema) != 0:
        raise InputError("the bridge takes one EMA decay for all seeds")
    work = n_seeds * steps * evaluations_per_step(scheme) * int(batch)
    if work > MAX_UPDATES:
        raise InputError(f"{n_seeds} seed(s) × {steps} steps × {evaluations_per_step(scheme)} evaluations × batch "
                         f"{batch} = {work:.3g} sample evaluations (the limit is {MAX_UPDATES:.0e}); lower --steps, "
                         f"--seeds or --batch")
    dataset = _dataset(data, target, data_file)
    gan = BridgeGAN(game, models, dataset, scheme, range(seed, seed + n_seeds), batch=batch,
                    ema=None if ema is None else float(ema), eval_size=eval_size, theta0=theta0, phi0=phi0,
                    batched=batched, device=dev)
    return _loop(gan, game, models, dataset, scheme, setup, rec, steps, bound, metrics, progress, eval_size)


def _loop(gan, game, models, dataset, scheme, setup, rec, steps, bound, with_metrics, progress, eval_size):
    from ..dynamics.training import _progress_bar

    S, R = len(gan.seeds), len(rec)
    samples = np.full((S, R, eval_size, 2), np.nan)
    ema_samples = None if gan.ema is None else np.full_like(samples, np.nan)
    d_norm = np.full((S, R), np.nan)
    linear = gan.dirac_state() is not None
    theta = np.full((S, R, 2), np.nan) if linear else None
    phi = np.full((S, R, 2), np.nan) if linear else None
    status = np.zeros(S, dtype=int)
    stop_step = np.full(S, steps)
    messages = [f"finished {steps} steps"] * S
    alive = np.ones(S, dtype=bool)

    def record(j, live):
        samples[live, j] = gan.samples()[live]
        if ema_samples is not None:
            ema_samples[live, j] = gan.samples(ema=True)[live] if gan.ema_pg is not None else samples[live, j]
        d_norm[live, j] = gan.d_norm()[live]
        if linear:
            th, ph = gan.dirac_state()
            theta[live, j], phi[live, j] = th[live], ph[live]

    record(0, alive)
    bar = _progress_bar(steps, S, progress)
    j = 1
    for k in range(1, steps + 1):
        if bar is not None and k % 1000 == 0:
            bar.update(1000)
        gan.step()
        size = gan.size()
        bad = alive & ~(size < bound)      # NaN / inf fail the test too
        for i in np.flatnonzero(bad):
            status[i], stop_step[i] = TrainStatus.DIVERGED, k - 1
            why = "became non-finite" if not np.isfinite(size[i]) else f"reached |w| ≥ {bound:g}"
            messages[i] = f"diverged: a weight {why} at step {k}; kept steps 0..{k - 1}"
        alive &= ~bad
        gan.update_ema()
        if rec[j] == k:
            record(j, alive)
            j += 1
        if not alive.any():
            break
    if bar is not None:
        bar.close()
    reference = dataset.sample(eval_size, torch.Generator().manual_seed(REFERENCE_SEED), dtype=torch.float64)
    reference = reference.cpu().numpy()
    metrics = compute_metrics(samples, dataset, reference, stop_step, rec) if with_metrics else {}
    config = setup.config()
    config.update(models=vars(models).copy(), data=dataset.name, batch=gan.batch, seeds=list(gan.seeds),
                  eval_size=eval_size, device=str(gan.device))
    return BridgeRun(game, models, dataset, scheme, tuple(gan.seeds), rec, samples, ema_samples, d_norm, theta, phi,
                     status, stop_step, tuple(messages), metrics, reference, config)


def compute_metrics(samples: np.ndarray, dataset, reference: np.ndarray, stop_step, rec) -> dict:
    """name → (S, R): :func:`diracgan.bridge.metrics.evaluate_seeds` at every record, over the seeds
    still running there (NaN for the others)."""
    from .metrics import evaluate_seeds

    S, R = samples.shape[:2]
    out: dict = {}
    for j in range(R):
        live = np.flatnonzero(rec[j] <= stop_step)
        if not len(live):
            continue
        values = evaluate_seeds(samples[live, j], dataset, reference)
        for key, v in values.items():
            out.setdefault(key, np.full((S, R), np.nan))[live, j] = v
    return out


@torch_threads()
def dirac_gradients(game: Game, theta, phi, *, batch: int = 4, seed: int = 0, data="dirac"):
    """Autograd gradients (∇_θ L_G, ∇_φ L_D), (N, 2) each, of the bridge's losses with the Dirac
    shapes (G(z) = θ, D(x) = φ·x) at N states, in one vmapped call (state i drawing its random
    numbers from seed ``seed + i``).  The continuity check compares them with the registry's
    symbolic field."""
    from ..dynamics.optimizers import SGD
    from ..dynamics.training import Scheme

    theta = np.asarray(theta, dtype=float).reshape(-1, 2)
    phi = np.asarray(phi, dtype=float).reshape(-1, 2)
    dataset = _dataset(data, (0.0, 0.0), None)
    gan = BridgeGAN(game, ModelSpec(g="linear", d="linear"), dataset, Scheme(SGD(), SGD()),
                    range(seed, seed + len(theta)), batch=batch, eval_size=2)
    with torch.no_grad():
        gan.pg["theta"].copy_(torch.as_tensor(theta))
        gan.pd["weight"][:, 0].copy_(torch.as_tensor(phi))
    gan.d_backward()
    gan.g_backward()
    return gan.pg["theta"].grad.numpy().copy(), gan.pd["weight"].grad[:, 0].numpy().copy()
