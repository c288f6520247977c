"""The Dirac-GAN as a real torch GAN: models, losses, optimizers, one training run.

Nothing here reuses a formula of the symbolic side.  The model is what a GAN training script
builds, in float64:

* a generator ``nn.Module`` holding θ as an ``nn.Parameter`` of shape (d,), mapping a batch of
  noise z (B, d) to B copies of θ (its samples);
* a discriminator ``nn.Linear(d, 1, bias=False)`` whose weight is φ (for ``wgan`` the critic is
  normalised in its forward, D(x) = φ·x/‖φ‖);
* the losses as training scripts write them: ``F.binary_cross_entropy_with_logits`` for
  ``vanilla`` / ``minimax``, critic losses D(fake).mean() − D(real).mean() for the WGANs, the
  WGAN-GP penalty λ(‖∇_x D(x̂)‖ − c)² at random interpolates through
  ``torch.autograd.grad(..., create_graph=True)``, and GAN-QP's quadratic term divided by the
  real–fake distance;
* ``torch.optim.SGD`` / ``Adam`` / ``RMSprop``; optimistic gradient descent and extragradient
  written on top of ``torch.optim.SGD`` the way real code does; the EMA through
  ``torch.optim.swa_utils.AveragedModel`` with ``get_ema_multi_avg_fn``; weight clipping of
  the critic after each discriminator step (``wgan-clip``).

Nothing here reuses a formula of the symbolic side, and nothing here imports the derivation:
every gradient comes from torch's autograd of the losses below.  This module imports torch at
the top: only the commands that need torch import it.
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from ..dynamics.optimizers import SGD, Adam, Optimistic, Optimizer, RMSprop
from ..dynamics.training import Scheme
from ..errors import InputError
from ..games import Game, get_spec

__all__ = [
    "DTYPE",
    "BATCH_SIZE",
    "TORCH_GAMES",
    "TORCH_REGULARISERS",
    "DiracGenerator",
    "LinearDiscriminator",
    "TorchLosses",
    "OptimisticSGD",
    "NegativeMomentumSGD",
    "TorchGAN",
    "torch_optimizer",
    "torch_threads",
    "torch_gradients",
]

DTYPE = torch.float64
BATCH_SIZE = 4

TORCH_GAMES = ("vanilla", "minimax", "wgan", "gp", "gp0", "gp1", "qp", "wgan-clip", "lsgan", "hinge", "rsgan", "rasgan")
"""The registered games the torch model implements (all of them)."""

TORCH_REGULARISERS = ("r1", "r2", "l2", "consensus", "noise", "lp", "dragan")
"""The regularisers the torch model implements (all of them), composed as ``game+reg+…``."""


@contextlib.contextmanager
def torch_threads(n: int = 1):
    """Run torch with ``n`` intra-op threads, restoring the previous number afterwards.

    The tensors here have a handful of entries: threads cannot help, and on a loaded
    machine OpenMP's spinning workers make some kernels (``binary_cross_entropy_with_logits``
    among them) ~100× slower.  Every entry point of this module runs single-threaded.
    """
    old = torch.get_num_threads()
    if old != n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if old != n:
            torch.set_num_threads(old)


# ---------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------


class DiracGenerator(nn.Module):
    """G(z) = θ for every noise sample z: the generator of a point mass at θ."""

    def __init__(self, theta0):
        super().__init__()
        self.theta = nn.Parameter(torch.tensor(np.asarray(theta0, dtype=float), dtype=DTYPE).reshape(-1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.theta.unsqueeze(0).expand(z.shape[0], -1)


class LinearDiscriminator(nn.Module):
    """D(x) = φ·x with φ the weight of ``nn.Linear(d, 1, bias=False)``; ``normalised``:
    D(x) = φ·x/‖φ‖ (the 1-Lipschitz critic of ``wgan``)."""

    def __init__(self, phi0, normalised: bool = False):
        super().__init__()
        phi0 = torch.tensor(np.asarray(phi0, dtype=float), dtype=DTYPE).reshape(-1)
        # skip_init: no random initialisation (it would draw from torch's global RNG).
        self.linear = nn.utils.skip_init(nn.Linear, phi0.numel(), 1, bias=False, dtype=DTYPE)
        with torch.no_grad():
            self.linear.weight.copy_(phi0.unsqueeze(0))
        self.normalised = normalised

    @property
    def phi(self) -> torch.Tensor:
        return self.linear.weight.reshape(-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.linear(x).squeeze(-1)
        if self.normalised:
            out = out / self.linear.weight.norm()
        return out


class TorchLosses:
    """The losses of one game, written as GAN training scripts write them.

    ``d_loss(G, D, real, z)`` is the discriminator's loss, ``g_loss(G, D, real, z)`` the
    generator's.  ``generator`` is the seeded ``torch.Generator`` of the random numbers the
    losses draw (interpolation weights, instance noise).  A composed game (``vanilla+r1``)
    adds its regularisers in order, each as training code writes it: R1/R2 through
    ``autograd.grad(create_graph=True)`` at real/fake samples, consensus through autograd of
    ½‖(∇_θ L_G, ∇_φ L_D)‖² over both players, instance noise by sampling it, LP and DRAGAN as
    penalties on input gradients, L2 as γ/2·‖φ‖² of the weights.
    """

    def __init__(self, game: Game, generator: torch.Generator | None = None):
        base, *regs = game.name.split("+")
        if base not in TORCH_GAMES or any(r not in TORCH_REGULARISERS for r in regs):
            raise InputError(f"the torch model implements the games {', '.join(TORCH_GAMES)} with the regularisers "
                             f"{', '.join(TORCH_REGULARISERS)}, not {game.name!r}")
        self.name, self.regs = base, tuple(regs)
        values = dict(get_spec(base).fixed)    # a preset's pinned values (gp0: c = 0)
        values.update(game.params)
        self.values = values
        self.lam = values.get("lam")
        self.centre = values.get("c")
        self.generator = generator if generator is not None else torch.Generator().manual_seed(0)

    @property
    def family(self) -> str:
        return "gp" if self.name in ("gp", "gp0", "gp1") else self.name

    def _reg(self, name: str, key: str) -> float:
        return self.values[f"{name}_{key}"]

    def _input_grad(self, D: nn.Module, x: torch.Tensor) -> torch.Tensor:
        x = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
        return grad

    def _interpolates(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        eps = torch.rand(real.shape[0], 1, generator=self.generator, dtype=DTYPE)
        return eps * real + (1 - eps) * fake

    def gradient_penalty(self, D: nn.Module, real: torch.Tensor, fake: torch.Tensor, centre: float) -> torch.Tensor:
        """WGAN-GP: E[(‖∇_x D(x̂)‖ − c)²] at x̂ = ε x_real + (1 − ε) x_fake, ε ~ U[0, 1]."""
        grad = self._input_grad(D, self._interpolates(real, fake))
        return ((grad.norm(2, dim=1) - centre) ** 2).mean()

    def _noisy(self, x: torch.Tensor) -> torch.Tensor:
        if "noise" not in self.regs:
            return x
        return x + self._reg("noise", "sigma") * torch.randn(x.shape, generator=self.generator, dtype=DTYPE)

    # -- the base game --------------------------------------------------------------------
    def _base(self, D: nn.Module, real: torch.Tensor, fake: torch.Tensor, penalise: bool = True,
              need: str = "dg") -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """(L_D, L_G) of the registered game on these (possibly noisy) samples; ``penalise``:
        include WGAN-GP's gradient penalty in L_D (a script computing L_G leaves it out).
        ``need``: which of the two to compute ("d", "g" or "dg"; the other is None), as a
        script computes only the loss of the player it updates."""
        d_real, d_fake = D(real), D(fake)
        bce = F.binary_cross_entropy_with_logits
        f = self.family
        want_d, want_g = "d" in need, "g" in need
        loss_d = loss_g = None
        if f in ("vanilla", "minimax"):
            if want_d:
                loss_d = bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
            if want_g:
                loss_g = (bce(d_fake, torch.ones_like(d_fake)) if f == "vanilla"
                          else -bce(d_fake, torch.zeros_like(d_fake)))
        elif f in ("wgan", "wgan-clip", "gp"):
            if want_d:
                loss_d = d_fake.mean() - d_real.mean()
                if f == "gp" and penalise:
                    loss_d = loss_d + self.lam * self.gradient_penalty(D, real, fake, self.centre)
            if want_g:
                loss_g = -d_fake.mean()
        elif f == "qp":
            if want_d:
                diff = d_fake - d_real
                dist = (fake - real).norm(2, dim=1)
                loss_d = (diff + diff**2 / (2 * self.lam * dist)).mean()
            if want_g:
                loss_g = (d_real - d_fake).mean()
        elif f == "lsgan":
            a, b, c = self.values["a"], self.values["b"], self.values["c"]
            if want_d:
                loss_d = 0.5 * ((d_real - b) ** 2).mean() + 0.5 * ((d_fake - a) ** 2).mean()
            if want_g:
                loss_g = 0.5 * ((d_fake - c) ** 2).mean()
        elif f == "hinge":
            if want_d:
                loss_d = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
            if want_g:
                loss_g = -d_fake.mean()
        elif f == "rsgan":
            if want_d:
                loss_d = bce(d_real - d_fake, torch.ones_like(d_real))
            if want_g:
                loss_g = bce(d_fake - d_real, torch.ones_like(d_fake))
        elif f == "rasgan":
            if want_d:
                loss_d = (bce(d_real - d_fake.mean(), torch.ones_like(d_real))
                          + bce(d_fake - d_real.mean(), torch.zeros_like(d_fake)))
            if want_g:
                loss_g = (bce(d_fake - d_real.mean(), torch.ones_like(d_fake))
                          + bce(d_real - d_fake.mean(), torch.zeros_like(d_real)))
        else:  # pragma: no cover
            raise AssertionError(self.name)
        return loss_d, loss_g

    def losses(self, G: nn.Module, D: nn.Module, real: torch.Tensor, z: torch.Tensor, *, detach_fake: bool,
               for_d: bool = True, need_both: bool = True):
        """(L_D, L_G) with every regulariser applied in order.  ``for_d=False`` (the generator's
        update): L_D's penalties on the discriminator are left out, as a training script leaves
        them out of the generator's step; L_G is the same either way.  Consensus needs the whole
        L_D in both players' losses, so with consensus everything is computed."""
        consensus = "consensus" in self.regs
        fake = G(z)
        if detach_fake and not consensus:
            fake = fake.detach()
        real_n, fake_n = self._noisy(real), self._noisy(fake)
        whole = for_d or consensus
        need = "dg" if consensus or need_both else ("d" if for_d else "g")
        loss_d, loss_g = self._base(D, real_n, fake_n, penalise=whole, need=need)
        for reg in self.regs if whole else ():      # without consensus they only add to L_D
            if reg in ("r1", "r2"):
                x = real_n if reg == "r1" else fake_n
                loss_d = loss_d + self._reg(reg, "gamma") / 2 * self._input_grad(D, x).pow(2).sum(dim=1).mean()
            elif reg == "l2":
                loss_d = loss_d + self._reg(reg, "gamma") / 2 * sum(p.pow(2).sum() for p in D.parameters())
            elif reg == "lp":
                grad = self._input_grad(D, self._interpolates(real_n, fake_n))
                loss_d = loss_d + self._reg(reg, "lam") * F.relu(grad.norm(2, dim=1) - 1).pow(2).mean()
            elif reg == "dragan":
                # Kodali et al.: perturb real samples by 0.5·std·U[0, 1] (a point mass has std 0).
                x = real_n + 0.5 * real_n.std() * torch.rand(real_n.shape, generator=self.generator, dtype=DTYPE)
                grad = self._input_grad(D, x)
                loss_d = loss_d + self._reg(reg, "lam") * (grad.norm(2, dim=1) - 1).pow(2).mean()
            elif reg == "consensus":
                (v_phi,) = torch.autograd.grad(loss_d, D.linear.weight, create_graph=True)
                (v_theta,) = torch.autograd.grad(loss_g, G.theta, create_graph=True)
                half_sq = self._reg(reg, "gamma") * 0.5 * (v_phi.pow(2).sum() + v_theta.pow(2).sum())
                loss_d, loss_g = loss_d + half_sq, loss_g + half_sq
        return loss_d, loss_g

    def d_loss(self, G: nn.Module, D: nn.Module, real: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.losses(G, D, real, z, detach_fake=True, need_both=False)[0]

    def g_loss(self, G: nn.Module, D: nn.Module, real: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.losses(G, D, real, z, detach_fake=False, for_d=False, need_both=False)[1]


# ---------------------------------------------------------------------------------------
# Optimizers
# ---------------------------------------------------------------------------------------


class OptimisticSGD:
    """Optimistic gradient descent on top of ``torch.optim.SGD``: keeps the previous gradient
    g₋ (g₋ = g on the first step) and feeds 2g − g₋ to SGD.  As in
    :class:`diracgan.dynamics.optimizers.Optimistic`, g includes the L2 term weight_decay·p."""

    def __init__(self, params, lr: float = 1e-3, weight_decay: float = 0.0):
        self.sgd = torch.optim.SGD(params, lr=lr)
        self.weight_decay = weight_decay
        self.previous: dict[torch.Tensor, torch.Tensor] = {}

    @property
    def param_groups(self):
        return self.sgd.param_groups

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.sgd.zero_grad(set_to_none=set_to_none)

    @torch.no_grad()
    def step(self) -> None:
        for group in self.sgd.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.add(p, alpha=self.weight_decay) if self.weight_decay != 0 else p.grad.clone()
                prev = self.previous.get(p, g)
                self.previous[p] = g
                p.grad = 2 * g - prev
        self.sgd.step()


def _scalar(name: str, value) -> float:
    arr = np.asarray(value)
    if arr.ndim != 0:
        raise InputError(f"the torch backend takes one value of {name} per run, got an array of shape {arr.shape}")
    return arr.item()


class NegativeMomentumSGD:
    """Heavy ball with β < 0 (Gidel et al. 2019), written in torch as a training script would:
    torch.optim.SGD raises ``ValueError`` for a negative momentum, so this steps by hand with
    torch.optim.SGD's formulas (b ← g on the first step, then b ← β b + (1 − dampening) g;
    g includes weight_decay·p; p ← p − lr·b)."""

    def __init__(self, params, lr: float, momentum: float, dampening: float = 0.0, weight_decay: float = 0.0):
        self.param_groups = [{"params": list(params), "lr": lr}]
        self.momentum, self.dampening, self.weight_decay = momentum, dampening, weight_decay
        self.buffers: dict[torch.Tensor, torch.Tensor] = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.param_groups[0]["params"]:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        lr = self.param_groups[0]["lr"]
        for p in self.param_groups[0]["params"]:
            if p.grad is None:
                continue
            g = p.grad.add(p, alpha=self.weight_decay) if self.weight_decay else p.grad
            buf = self.buffers.get(p)
            if buf is None:
                buf = torch.clone(g).detach()
            else:
                buf.mul_(self.momentum).add_(g, alpha=1 - self.dampening)
            self.buffers[p] = buf
            p.add_(buf, alpha=-lr)


def torch_optimizer(opt: Optimizer, params):
    """The torch optimizer that :class:`diracgan.dynamics.optimizers.Optimizer` ``opt`` claims to be."""
    h = {k: _scalar(k, v) for k, v in opt.hyper().items()}
    params = list(params)
    if isinstance(opt, Optimistic):
        return OptimisticSGD(params, lr=h["lr"], weight_decay=h["weight_decay"])
    if isinstance(opt, SGD) and h["momentum"] < 0:
        return NegativeMomentumSGD(params, lr=h["lr"], momentum=h["momentum"], dampening=h["dampening"],
                                   weight_decay=h["weight_decay"])
    if isinstance(opt, SGD):    # also Extragradient (momentum 0; the scheme extrapolates)
        return torch.optim.SGD(params, lr=h["lr"], momentum=h["momentum"], dampening=h["dampening"],
                               nesterov=bool(h["nesterov"]), weight_decay=h["weight_decay"], foreach=False)
    if isinstance(opt, Adam):
        return torch.optim.Adam(params, lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["eps"],
                                weight_decay=h["weight_decay"], amsgrad=bool(h["amsgrad"]), foreach=False)
    if isinstance(opt, RMSprop):
        return torch.optim.RMSprop(params, lr=h["lr"], alpha=h["alpha"], eps=h["eps"],
                                   weight_decay=h["weight_decay"], momentum=h["momentum"],
                                   centered=bool(h["centered"]), foreach=False)
    raise InputError(f"no torch optimizer for {opt.name!r}")  # pragma: no cover


# ---------------------------------------------------------------------------------------
# One run
# ---------------------------------------------------------------------------------------


class TorchGAN:
    """One training run: models, optimizers, losses, EMA, and the update scheme of
    :class:`diracgan.dynamics.training.Scheme` (read from ``scheme``)."""

    def __init__(self, game: Game, theta0, phi0, scheme: Scheme, ema: float | None = None,
                 batch_size: int = BATCH_SIZE, seed: int = 0):
        self.G = DiracGenerator(theta0)
        self.D = LinearDiscriminator(phi0, normalised=game.name.split("+")[0] == "wgan")
        self.rng = torch.Generator().manual_seed(int(seed))
        self.losses = TorchLosses(game, generator=self.rng)
        self.scheme = scheme
        self.d_params = list(self.D.parameters())
        self.g_params = list(self.G.parameters())
        self.opt_d = torch_optimizer(scheme.opt_d, self.d_params)
        self.opt_g = torch_optimizer(scheme.opt_g, self.g_params)
        self.clip = scheme.clip
        self.d = self.G.theta.numel()
        self.batch_size = int(batch_size)
        self.real = torch.zeros(self.batch_size, self.d, dtype=DTYPE)   # samples of the point mass at 0
        self.ema = None
        if ema is not None:
            # One AveragedModel over both players (the same per-parameter lerp as one for each,
            # at half the bookkeeping per step).
            self.pair = nn.ModuleList([self.G, self.D])
            self.ema = AveragedModel(self.pair, multi_avg_fn=get_ema_multi_avg_fn(ema))

    # -- pieces of a training loop ------------------------------------------------------
    def noise(self) -> torch.Tensor:
        return torch.randn(self.batch_size, self.d, generator=self.rng, dtype=DTYPE)

    def d_backward(self) -> None:
        """∇_φ L_D into the discriminator's .grad (the generator's untouched)."""
        self.opt_d.zero_grad(set_to_none=True)
        loss = self.losses.d_loss(self.G, self.D, self.real, self.noise())
        loss.backward(inputs=self.d_params)

    def g_backward(self) -> None:
        """∇_θ L_G into the generator's .grad (the discriminator's untouched)."""
        self.opt_g.zero_grad(set_to_none=True)
        loss = self.losses.g_loss(self.G, self.D, self.real, self.noise())
        loss.backward(inputs=self.g_params)

    def d_step(self) -> None:
        self.opt_d.step()
        if self.clip is not None:       # WGAN, Algorithm 1: clip the critic's weights
            with torch.no_grad():
                for p in self.d_params:
                    p.clamp_(-self.clip, self.clip)

    def step(self) -> None:
        """One iteration of the training loop (one generator iteration)."""
        s = self.scheme
        if s.mode == "simultaneous":
            self.d_backward()
            self.g_backward()
            if s.extragradient:
                params = self.d_params + self.g_params
                saved = [p.detach().clone() for p in params]
                self.d_step()                   # extrapolate both players ...
                self.opt_g.step()
                self.d_backward()               # ... gradients at the extrapolated point ...
                self.g_backward()
                with torch.no_grad():           # ... and step from the saved point
                    for p, q in zip(params, saved):
                        p.copy_(q)
            self.d_step()
            self.opt_g.step()
            return

        def d_steps():
            for _ in range(s.n_critic):
                self.d_backward()
                self.d_step()

        def g_steps():
            for _ in range(s.n_gen):
                self.g_backward()
                self.opt_g.step()

        if s.order == "d-first":
            d_steps()
            g_steps()
        else:
            g_steps()
            d_steps()

    def update_ema(self) -> None:
        if self.ema is not None:
            self.ema.update_parameters(self.pair)

    # -- state as numpy ---------------------------------------------------------------
    def state(self) -> tuple[np.ndarray, np.ndarray]:
        return (self.G.theta.detach().numpy().copy(), self.D.phi.detach().numpy().copy())

    def views(self) -> tuple[np.ndarray, np.ndarray]:
        """(θ, φ) as numpy views of the parameters (the optimizers update them in place, so
        the views stay current; copy before keeping them)."""
        return self.G.theta.detach().numpy(), self.D.phi.detach().numpy()

    def ema_state(self) -> tuple[np.ndarray, np.ndarray]:
        g, d = self.ema.module
        return (g.theta.detach().numpy().copy(), d.phi.detach().numpy().copy())


@torch_threads()
def torch_gradients(game: Game, theta, phi, *, batch_size: int = BATCH_SIZE, seed: int = 0):
    """Autograd gradients (∇_θ L_G, ∇_φ L_D) of the torch losses at one point (θ, φ) ∈ R^d × R^d."""
    G = DiracGenerator(theta)
    D = LinearDiscriminator(phi, normalised=game.name.split("+")[0] == "wgan")
    rng = torch.Generator().manual_seed(int(seed))
    losses = TorchLosses(game, generator=rng)
    d = G.theta.numel()
    real = torch.zeros(batch_size, d, dtype=DTYPE)
    (g_phi,) = torch.autograd.grad(losses.d_loss(G, D, real, torch.randn(batch_size, d, generator=rng, dtype=DTYPE)),
                                   D.linear.weight)
    (g_theta,) = torch.autograd.grad(losses.g_loss(G, D, real, torch.randn(batch_size, d, generator=rng, dtype=DTYPE)),
                                     G.theta)
    return g_theta.detach().numpy().copy(), g_phi.detach().numpy().reshape(-1).copy()
