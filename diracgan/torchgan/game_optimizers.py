"""Game optimizers in torch, written independently of the numpy ones: every derivative by autograd.

The torch model (:mod:`.model`: generator θ, linear discriminator φ, the losses as scripts write
them) gives L_D and L_G with their full graphs (the fake samples not detached), so that

* ξ = (∇_θ L_G, ∇_φ L_D) comes from ``torch.autograd.grad(..., create_graph=True)``;
* Hᵀv (a vector–Jacobian product of ξ) is ``autograd.grad(ξ, w, grad_outputs=v)`` and Hv (a
  Jacobian–vector product) the double-backward trick: u ↦ Hᵀu is linear in a dummy u, and
  differentiating ⟨Hᵀu, v⟩ in u gives Hv;
* **SGA** (Balduzzi et al. 2018, Algorithm 1): ξ + λ(Hᵀξ − Hξ)/2, with the sign alignment
  λ·sign(⟨ξ, Hᵀξ⟩⟨Aᵀξ, Hᵀξ⟩/n + ε), n the number of parameters;
* **HGD**: ∇ of ℋ = ½‖ξ‖² by autograd of ℋ itself (not through Hᵀξ);
* **CGD** (Schäfer & Anandkumar 2019), general-sum: x = θ (f = L_G), y = φ (g = L_D); the
  mixed products D²_xy h·v = ∇_x⟨∇_y h, v⟩ and D²_yx h·u = ∇_y⟨∇_x h, u⟩ by autograd, and
  (I − η_x η_y D²_xy f D²_yx g) Δ = rhs solved by conjugate gradients with these
  Hessian-vector products.  The general-sum matrix is not symmetric, so CG runs on the normal
  equations MᵀM Δ = Mᵀ rhs (CGNR; Mᵀ = I − η_x η_y D²_xy g D²_yx f), which is symmetric
  positive definite for any invertible M; for a zero-sum game M = I + η²BBᵀ is itself SPD (the
  authors' packages run CG on it directly).  Δy follows by its own solve.  A solve that
  misses its tolerance within ``cg_max_iter`` iterations stops the run with the status
  ``not converged``;
* **optimistic Adam** (Daskalakis et al. 2018, Algorithm 1) as a small torch optimizer;
* **Lookahead-minmax** (Chavdarova et al. 2021): slow copies of both players' weights, pulled
  α towards the fast ones every k steps (as LAGAN's ``update_lookahead``).

:func:`train_torch_game` runs a :class:`~diracgan.dynamics.game_optimizers.GameScheme` and
returns the same :class:`~diracgan.dynamics.training.TrainingRun` as the numpy loop;
:func:`check_game_optimizers` is the ``diracgan check`` row per optimizer (numpy vs torch, step
by step).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..dynamics.game_optimizers import CGD, HGD, SGA, GameScheme, OptimisticAdam, game_scheme
from ..dynamics.optimizers import Adam
from ..dynamics.training import TrainingRun, TrainStatus, divergence_message, initial_status, prepare
from ..dynamics.training import train as train_numpy
from ..errors import InputError
from ..games import Game, make_game
from .model import DTYPE, DiracGenerator, LinearDiscriminator, TorchLosses, torch_optimizer, torch_threads

__all__ = ["CGNotConverged", "TorchOptimisticAdam", "TorchGameStep", "train_torch_game", "GAME_CHECK_CASES",
           "check_game_optimizers", "CG_TOL", "CG_MAX_ITER"]

CG_TOL = 1e-15
"""Relative residual ‖MᵀMx − Mᵀb‖ ≤ tol·‖Mᵀb‖ at which conjugate gradients stop."""
CG_MAX_ITER = 50


class CGNotConverged(Exception):
    """Conjugate gradients missed the tolerance (the run stops with that status)."""


def _dot(a, b):
    return sum((x * y).sum() for x, y in zip(a, b))


def conjugate_gradient(matvec, b, tol: float = CG_TOL, max_iter: int = CG_MAX_ITER):
    """Solve A x = b for a symmetric positive definite A given by ``matvec`` (lists of tensors)."""
    x = [torch.zeros_like(t) for t in b]
    r = [t.clone() for t in b]
    p = [t.clone() for t in r]
    rr = _dot(r, r)
    b_norm = math.sqrt(float(rr))
    if b_norm == 0:
        return x, 0
    for it in range(1, max_iter + 1):
        ap = matvec(p)
        alpha = rr / _dot(p, ap)
        x = [xi + alpha * pi for xi, pi in zip(x, p)]
        r = [ri - alpha * api for ri, api in zip(r, ap)]
        rr_new = _dot(r, r)
        if math.sqrt(float(rr_new)) <= tol * b_norm:
            return x, it
        p = [ri + (rr_new / rr) * pi for ri, pi in zip(r, p)]
        rr = rr_new
    raise CGNotConverged(f"conjugate gradients did not reach the relative residual {tol:g} in {max_iter} iterations")


class TorchOptimisticAdam:
    """wₜ = wₜ₋₁ − 2η m̂ₜ/(√v̂ₜ + ε) + η m̂ₜ₋₁/(√v̂ₜ₋₁ + ε) (Daskalakis et al. 2018, Alg. 1),
    with torch.optim.Adam's moment updates (m by lerp, v by mul/addcmul) and L2 weight decay."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self.params = list(params)
        self.lr, (self.b1, self.b2), self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.state = {p: {"t": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p), "prev": None} for p in self.params}

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        for p in self.params:
            if p.grad is None:
                continue
            s = self.state[p]
            g = p.grad.add(p, alpha=self.weight_decay) if self.weight_decay else p.grad
            s["t"] += 1
            t = s["t"]
            s["m"].lerp_(g, 1 - self.b1)
            s["v"].mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
            u = (s["m"] / (1 - self.b1 ** t)) / ((s["v"] / (1 - self.b2 ** t)).sqrt() + self.eps)
            prev, s["prev"] = s["prev"], u
            p.sub_(self.lr * u if prev is None else self.lr * (2 * u - prev))


def _make_optimizer(opt, params):
    if isinstance(opt, OptimisticAdam):
        h = opt.hyper()
        return TorchOptimisticAdam(params, lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["eps"],
                                   weight_decay=h["weight_decay"])
    if isinstance(opt, Adam) and type(opt) is not Adam:   # pragma: no cover - a subclass torch_optimizer misreads
        raise InputError(f"no torch optimizer for {opt.name!r}")
    return torch_optimizer(opt, params)


class TorchGameStep:
    """One run of a :class:`GameScheme` in torch (module doc)."""

    def __init__(self, game: Game, theta0, phi0, scheme: GameScheme, batch_size: int = 4, seed: int = 0,
                 cg_tol: float = CG_TOL, cg_max_iter: int = CG_MAX_ITER):
        self.G = DiracGenerator(theta0)
        self.D = LinearDiscriminator(phi0, normalised=game.name.split("+")[0] == "wgan")
        self.rng = torch.Generator().manual_seed(int(seed))
        self.losses = TorchLosses(game, generator=self.rng)
        self.scheme = scheme
        self.theta, self.phi = self.G.theta, self.D.linear.weight
        self.opt_d = _make_optimizer(scheme.opt_d, [self.phi])
        self.opt_g = _make_optimizer(scheme.opt_g, [self.theta])
        self.d = self.theta.numel()
        self.real = torch.zeros(batch_size, self.d, dtype=DTYPE)
        self.batch_size = batch_size
        self.cg_tol, self.cg_max_iter = cg_tol, cg_max_iter
        self.slow = None
        self.count = 0
        if scheme.lookahead is not None:
            self.slow = [self.theta.detach().clone(), self.phi.detach().clone()]

    def noise(self):
        return torch.randn(self.batch_size, self.d, generator=self.rng, dtype=DTYPE)

    def both_losses(self):
        return self.losses.losses(self.G, self.D, self.real, self.noise(), detach_fake=False, for_d=True)

    # -- adjusted gradients -------------------------------------------------------------
    def adjusted(self):
        loss_d, loss_g = self.both_losses()
        w = [self.theta, self.phi]
        (xi_t,) = torch.autograd.grad(loss_g, self.theta, create_graph=True)
        (xi_p,) = torch.autograd.grad(loss_d, self.phi, create_graph=True)
        xi = [xi_t, xi_p]
        adj = self.scheme.adjust
        if isinstance(adj, HGD):
            ham = 0.5 * (xi_t.pow(2).sum() + xi_p.pow(2).sum())
            return torch.autograd.grad(ham, w)
        if isinstance(adj, SGA):
            v = [x.detach() for x in xi]
            ht_xi = torch.autograd.grad(xi, w, grad_outputs=v, retain_graph=True)        # Hᵀξ
            u = [torch.zeros_like(x, requires_grad=True) for x in xi]
            ht_u = torch.autograd.grad(xi, w, grad_outputs=u, create_graph=True)
            h_xi = torch.autograd.grad(ht_u, u, grad_outputs=v)                          # Hξ
            at_xi = [(a - b) / 2 for a, b in zip(ht_xi, h_xi)]
            lam = float(adj.lam)
            if adj.align:
                n = sum(x.numel() for x in xi)
                s = float(_dot(v, ht_xi)) * float(_dot(at_xi, ht_xi)) / n + adj.eps
                lam = lam * (1.0 if s > 0 else -1.0 if s < 0 else 0.0)
            return [x + lam * a for x, a in zip(v, at_xi)]
        if isinstance(adj, CGD):
            return self._cgd(loss_d, loss_g, xi)
        raise AssertionError(adj)  # pragma: no cover

    def _cgd(self, loss_d, loss_g, xi):
        x, y = self.theta, self.phi
        eg, ed = float(self.scheme.opt_g.lr), float(self.scheme.opt_d.lr)
        (gy_f,) = torch.autograd.grad(loss_g, y, create_graph=True)     # ∇_y f, f = L_G
        (gx_g,) = torch.autograd.grad(loss_d, x, create_graph=True)     # ∇_x g, g = L_D
        gx_f, gy_g = xi

        def mixed(grad_other, wrt, vec):   # ∇_wrt ⟨grad_other, vec⟩
            (out,) = torch.autograd.grad(grad_other, wrt, grad_outputs=vec, retain_graph=True)
            return out

        dxy_f = lambda v: mixed(gy_f, x, v)    # noqa: E731  D²_xy f · v (v in y-space)
        dyx_g = lambda u: mixed(gx_g, y, u)    # noqa: E731  D²_yx g · u
        dxy_g = lambda v: mixed(gy_g, x, v)    # noqa: E731
        dyx_f = lambda u: mixed(gx_f, y, u)    # noqa: E731
        s = eg * ed
        g_xf, g_yg = gx_f.detach(), gy_g.detach()

        def solve(m, mt, rhs):
            normal = lambda p: [mt(m(p[0]))]   # noqa: E731
            sol, _ = conjugate_gradient(normal, [mt(rhs)], self.cg_tol, self.cg_max_iter)
            return sol[0]

        mx = lambda p: p - s * dxy_f(dyx_g(p))     # noqa: E731  I − η² D_xy f D_yx g
        mxt = lambda p: p - s * dxy_g(dyx_f(p))    # noqa: E731  its transpose
        my = lambda p: p - s * dyx_g(dxy_f(p))     # noqa: E731  I − η² D_yx g D_xy f
        myt = lambda p: p - s * dyx_f(dxy_g(p))    # noqa: E731
        dx = solve(mx, mxt, (g_xf - ed * dxy_f(g_yg)).detach())        # −Δx/η_x
        dy = solve(my, myt, (g_yg - eg * dyx_g(g_xf)).detach())        # −Δy/η_y
        return [dx.detach(), dy.detach()]

    # -- one training step --------------------------------------------------------------
    def _plain_grads(self, player: str):
        self.opt_d.zero_grad()
        self.opt_g.zero_grad()
        if player == "d":
            loss = self.losses.d_loss(self.G, self.D, self.real, self.noise())
            loss.backward(inputs=[self.phi])
        else:
            loss = self.losses.g_loss(self.G, self.D, self.real, self.noise())
            loss.backward(inputs=[self.theta])

    def step(self) -> None:
        s = self.scheme
        if s.adjust is not None:
            g_t, g_p = self.adjusted()
            self.theta.grad, self.phi.grad = g_t.detach().clone(), g_p.detach().clone()
            self.opt_d.step()
            self.opt_g.step()
        elif s.mode == "simultaneous":
            self._plain_grads("d")
            self._plain_grads("g")   # zero_grad clears both: recompute D's below
            g_t = self.theta.grad
            self._plain_grads("d")
            self.theta.grad = g_t
            self.opt_d.step()
            self.opt_g.step()
        else:
            def d_steps():
                for _ in range(s.n_critic):
                    self._plain_grads("d")
                    self.opt_d.step()

            def g_steps():
                for _ in range(s.n_gen):
                    self._plain_grads("g")
                    self.opt_g.step()

            (d_steps(), g_steps()) if s.order == "d-first" else (g_steps(), d_steps())
        if self.slow is not None:
            self.count += 1
            k, alpha = s.lookahead
            if self.count % k == 0:
                with torch.no_grad():
                    for slow, fast in zip(self.slow, (self.theta, self.phi)):
                        slow.add_(fast.detach() - slow, alpha=alpha)
                        fast.copy_(slow)

    def state(self):
        return self.theta.detach().numpy().copy(), self.phi.detach().numpy().reshape(-1).copy()


@torch_threads()
def train_torch_game(game: Game, theta0, phi0, scheme: GameScheme, *, steps: int = 1000, bound: float = 1e6,
                     record_every: int = 1, batch_size: int = 4, seed: int = 0, cg_tol: float = CG_TOL,
                     cg_max_iter: int = CG_MAX_ITER) -> TrainingRun:
    """:func:`diracgan.dynamics.training.train` of a :class:`GameScheme` with the torch model
    (runs one after another).  A CG solve that fails stops its run with status
    ``not converged`` (the message says which tolerance and iteration budget)."""
    TorchLosses(game)
    setup = prepare(game, theta0, phi0, scheme=scheme, steps=steps, bound=bound, record_every=record_every)
    theta, phi, rec = setup.theta, setup.phi, setup.records
    hist = setup.empty_history()
    alive, status, stop_step, messages = initial_status(game, setup)
    for i in range(theta.shape[0]):
        hist["theta"][i, 0], hist["phi"][i, 0] = theta[i], phi[i]
        if not alive[i]:
            continue
        run = TorchGameStep(game, theta[i], phi[i], scheme, batch_size, seed + i, cg_tol, cg_max_iter)
        j = 1
        for k in range(1, setup.steps + 1):
            try:
                run.step()
            except CGNotConverged as exc:
                status[i], stop_step[i] = TrainStatus.NOT_CONVERGED, k - 1
                messages[i] = f"not converged: {exc} at step {k}; kept steps 0..{k - 1}"
                break
            th, ph = run.state()
            with np.errstate(all="ignore"):
                norm = math.sqrt(float(np.sum(th**2) + np.sum(ph**2)))
            if not norm < bound:
                status[i], stop_step[i] = TrainStatus.DIVERGED, k - 1
                messages[i] = divergence_message(norm, bound, k)
                break
            if rec[j] == k:
                hist["theta"][i, j], hist["phi"][i, j] = th, ph
                j += 1
    return TrainingRun(game, scheme, rec, hist["theta"], hist["phi"], hist["ema_theta"], hist["ema_phi"], status,
                       stop_step, tuple(messages), None, setup.config())


GAME_CHECK_CASES = (
    ("sga λ 1, simultaneous", "vanilla", dict(optimizer="sga", lr=0.1), {}),
    ("sga λ 0.5 aligned, TTUR lr_d 0.1, lr_g 0.05", "lsgan", dict(optimizer="sga", lr_d=0.1, lr_g=0.05,
                                                                   sga_lambda=0.5, sga_align=True), {}),
    ("cgd, general-sum", "vanilla", dict(optimizer="cgd", lr=0.2), {}),
    ("cgd TTUR lr_d 0.3, lr_g 0.1", "gp1", dict(optimizer="cgd", lr_d=0.3, lr_g=0.1), {}),
    ("hgd", "minimax", dict(optimizer="hgd", lr=0.1), {}),
    ("optimistic-adam betas (0.5, 0.9), d-first", "vanilla", dict(optimizer="optimistic-adam", lr=2e-3,
                                                                   beta1=0.5, beta2=0.9), {}),
    ("lookahead 5, 0.5 over sgd, simultaneous", "gp0", dict(optimizer="sgd", lr=0.05, mode="simultaneous",
                                                             lookahead=(5, 0.5)), {}),
    ("lookahead 3, 0.8 over cgd", "vanilla", dict(optimizer="cgd", lr=0.2, lookahead=(3, 0.8)), {}),
)
"""The check rows of the game optimizers: (name, loss, game_scheme kwargs, game params)."""


@torch_threads()
def check_game_optimizers(steps: int = 200, tolerance: float = 1e-12, cases=GAME_CHECK_CASES):
    """numpy :class:`GameScheme` runs against :func:`train_torch_game`, max |Δ| of θ and φ over
    all steps (the seed's start); rows are :class:`~diracgan.torchgan.checks.CheckResult`."""
    from .checks import CheckResult, compare_runs

    theta0, phi0 = (0.2, 0.1), (0.1, 0.2)
    rows = []
    for name, loss, kwargs, params in cases:
        game = make_game(loss, **params)
        scheme = game_scheme(game, **kwargs)
        run_np = train_numpy(game, theta0, phi0, scheme=scheme, steps=steps)
        run_t = train_torch_game(game, theta0, phi0, scheme, steps=steps)
        diff = compare_runs(run_np, run_t)
        measured = max(diff["theta"], diff["phi"])
        finished = bool(np.all(run_np.status == TrainStatus.FINISHED) and np.all(run_t.status == TrainStatus.FINISHED))
        detail = (f"{scheme.describe()}; max|Δ| θ {diff['theta']:.1e}, φ {diff['phi']:.1e}; "
                  + ("both finished" if finished else f"NOT BOTH FINISHED: {run_np.messages[0]}; {run_t.messages[0]}"))
        rows.append(CheckResult("game optimizers", game.label(), f"{name}, {steps} steps", measured, tolerance,
                                bool(finished and diff["same_stop"] and measured <= tolerance), detail))
    return rows
