"""The game's losses on sample batches, for any G and D, differentiated by ``torch.func``.

The losses are those of :class:`diracgan.torchgan.model.TorchLosses` (the script-form losses of
the Dirac torch model): :meth:`TorchLosses._base` is reused as it is, on D's outputs at the real
and fake batches (``F.binary_cross_entropy_with_logits`` for vanilla / minimax / rsgan / rasgan,
critic means for the WGANs and hinge, the least-squares and GAN-QP terms, WGAN-GP's penalty
λ E(‖∇_x D(x̂)‖ − c)² at random interpolates).  Three things change so that the same code runs
for an MLP, batched over seeds under ``torch.func.vmap``:

* input gradients ∇_x D come from ``torch.func.grad`` (``torch.autograd.grad`` cannot run
  under vmap), at detached inputs as the script form takes them;
* the random numbers (interpolation weights, instance noise, DRAGAN's perturbation) are drawn
  before the call from the seed's own ``torch.Generator`` (:meth:`BridgeLosses.draw`) and
  passed in, so a seed's numbers do not depend on the other seeds;
* the regularisers are written for parameter dictionaries: R1 / R2 γ/2·E‖∇_x D‖² at the
  (noisy) real / fake batch, L2 γ/2·Σ‖w‖² over all of D's parameters, WGAN-LP
  λ E max(0, ‖∇_x D(x̂)‖ − 1)², DRAGAN λ E(‖∇_x D(x_real + δ)‖ − 1)² with δ = 0.5·std·U[0, 1],
  consensus γ·½‖v‖² with v = (∇_{G's weights} L_G, ∇_{D's weights} L_D) by a nested
  ``torch.func.grad`` (added to both losses), instance noise by adding N(0, σ²I) to both batches.

Your own losses (``--loss-d/--loss-g``) are evaluated on D's outputs where the grammar allows:
``d_fake`` (= ``dot``) is D at a fake sample, ``d_real`` D at a real sample, and a loss is the
mean of the expression over the paired samples of the batch.  ``theta_sq``, ``theta_norm``,
``phi_sq``, ``phi_norm`` are properties of the Dirac parameters θ, φ with no meaning for an MLP,
so a loss using them is refused (for linear shapes too: one language for both).
"""

from __future__ import annotations

import ast
from typing import Callable

import torch
import torch.nn.functional as F
from torch.func import grad

from ..errors import InputError
from ..games import Game
from ..torchgan.model import TORCH_GAMES, TORCH_REGULARISERS, TorchLosses

__all__ = ["BridgeLosses", "SAMPLE_NAMES"]

SAMPLE_NAMES = {"dot": "fake", "d_fake": "fake", "d_real": "real"}
"""The names of a custom loss that the bridge evaluates on D's outputs."""

_TORCH_FUNCTIONS: dict[str, Callable] = {
    "softplus": F.softplus, "sigmoid": torch.sigmoid, "log": torch.log, "exp": torch.exp, "sqrt": torch.sqrt,
    "abs": torch.abs, "relu": F.relu,
}


def _custom_losses(game: Game):
    """The parsed text losses of a custom game (composed with regularisers or not), or None."""
    fn = game.spec.losses
    fn = getattr(fn, "base", fn)
    return fn if hasattr(fn, "loss_d") and hasattr(fn, "param_names") else None


def _evaluate(node: ast.AST, env: dict):
    """A checked loss tree (:func:`diracgan.games.custom.parse_loss`) evaluated on tensors."""
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.BinOp):
        a, b = _evaluate(node.left, env), _evaluate(node.right, env)
        return {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b, ast.Div: lambda: a / b,
                ast.Pow: lambda: a**b}[type(node.op)]()
    if isinstance(node, ast.UnaryOp):
        v = _evaluate(node.operand, env)
        return -v if isinstance(node.op, ast.USub) else v
    args = [_evaluate(a, env) for a in node.args]        # ast.Call, checked by the grammar
    if node.func.id == "max":
        out = torch.as_tensor(args[0])
        for a in args[1:]:
            out = torch.maximum(out, torch.as_tensor(a))
        return out
    return _TORCH_FUNCTIONS[node.func.id](torch.as_tensor(args[0]))


class BridgeLosses(TorchLosses):
    """(L_D, L_G) of a game for generator and discriminator given as functions (see module doc).

    ``losses(g, d, pg, pd, real, z, r, whole=True)``: ``g(pg, z)`` are the fake samples (B, 2),
    ``d(pd, x)`` D's outputs (B,), ``real`` (B, 2), ``z`` (B, k), ``r`` the draws of
    :meth:`draw`; ``whole=False`` leaves L_D's penalties out (the generator's update, as
    :meth:`TorchLosses.losses` with ``for_d=False``)."""

    def __init__(self, game: Game):
        base, *regs = game.name.split("+")
        custom = _custom_losses(game) if base == "custom" or base not in TORCH_GAMES else None
        if custom is None and base not in TORCH_GAMES:
            raise InputError(f"the bridge implements the games {', '.join(TORCH_GAMES)} and your own "
                             f"--loss-d/--loss-g, not {game.name!r}")
        bad = [r for r in regs if r not in TORCH_REGULARISERS]
        if bad:
            raise InputError(f"the bridge implements the regularisers {', '.join(TORCH_REGULARISERS)}, not {bad[0]!r}")
        if custom is None:
            super().__init__(game)
            self.custom = None
        else:
            self.name, self.regs, self.values = "custom", tuple(regs), dict(game.params)
            self.lam = self.centre = None
            self.custom = self._parse_custom(custom)
        self._r: dict = {}

    @staticmethod
    def _parse_custom(custom):
        from ..games.custom import FUNCTION_NAMES, parse_loss

        trees = []
        for text in (custom.loss_d, custom.loss_g):
            tree = parse_loss(text, custom.param_names)
            used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - set(custom.param_names) - set(FUNCTION_NAMES)
            dirac_only = sorted(used - set(SAMPLE_NAMES))
            if dirac_only:
                raise InputError(f"loss {text!r} uses {', '.join(dirac_only)}: a property of the Dirac parameters θ, φ "
                                 f"that an MLP does not have; the bridge evaluates your losses on D's outputs "
                                 f"({', '.join(SAMPLE_NAMES)})")
            trees.append(tree.body)
        return tuple(trees)

    # -- randomness, drawn before the (vmapped) call -------------------------------------
    def draw_keys(self) -> tuple[tuple[str, str, int], ...]:
        """(key, 'rand' | 'randn', columns) of the random numbers one loss evaluation needs, in
        the order they are drawn (after the real batch and the noise z)."""
        keys = []
        if "noise" in self.regs:
            keys += [("noise_real", "randn", 2), ("noise_fake", "randn", 2)]
        if self.family == "gp":
            keys.append(("eps_gp", "rand", 1))
        if "lp" in self.regs:
            keys.append(("eps_lp", "rand", 1))
        if "dragan" in self.regs:
            keys.append(("dragan", "rand", 2))
        return tuple(keys)

    def draw(self, batch: int, generator: torch.Generator, dtype=torch.float64) -> dict:
        """The draws of :meth:`draw_keys` for one loss evaluation of one seed."""
        fn = {"rand": torch.rand, "randn": torch.randn}
        return {k: fn[how](batch, cols, generator=generator, dtype=dtype) for k, how, cols in self.draw_keys()}

    # -- the pieces TorchLosses draws or differentiates itself ---------------------------
    def _input_grad(self, D, x: torch.Tensor) -> torch.Tensor:
        return grad(lambda y: D(y).sum())(x.detach())

    def _interpolates(self, real, fake, key: str = "eps_gp"):
        eps = self._r[key]
        return eps * real + (1 - eps) * fake

    def _noisy_with(self, x, key):
        return x + self._reg("noise", "sigma") * self._r[key] if "noise" in self.regs else x

    def _base(self, D, real, fake, penalise=True):
        if self.custom is None:
            return super()._base(D, real, fake, penalise)
        env = dict(self.values)
        env.update(d_fake=D(fake), dot=None, d_real=D(real))
        env["dot"] = env["d_fake"]
        return tuple(torch.as_tensor(_evaluate(t, env), dtype=real.dtype).mean() for t in self.custom)

    # -- the losses ------------------------------------------------------------------------
    def losses(self, g, d, pg, pd, real, z, r, whole: bool = True):
        self._r = r
        return self._losses(g, d, pg, pd, real, z, whole or "consensus" in self.regs, len(self.regs))

    def _losses(self, g, d, pg, pd, real, z, whole, n_regs):
        D = lambda x: d(pd, x)   # noqa: E731
        fake = g(pg, z)
        real_n, fake_n = self._noisy_with(real, "noise_real"), self._noisy_with(fake, "noise_fake")
        loss_d, loss_g = self._base(D, real_n, fake_n, penalise=whole)
        for i, reg in enumerate(self.regs[:n_regs] if whole else ()):
            if reg in ("r1", "r2"):
                x = real_n if reg == "r1" else fake_n
                loss_d = loss_d + self._reg(reg, "gamma") / 2 * self._input_grad(D, x).pow(2).sum(dim=1).mean()
            elif reg == "l2":
                loss_d = loss_d + self._reg(reg, "gamma") / 2 * sum(p.pow(2).sum() for p in pd.values())
            elif reg == "lp":
                gx = self._input_grad(D, self._interpolates(real_n, fake_n, "eps_lp"))
                loss_d = loss_d + self._reg(reg, "lam") * F.relu(gx.norm(2, dim=1) - 1).pow(2).mean()
            elif reg == "dragan":
                x = real_n + 0.5 * real_n.std() * self._r["dragan"]
                gx = self._input_grad(D, x)
                loss_d = loss_d + self._reg(reg, "lam") * (gx.norm(2, dim=1) - 1).pow(2).mean()
            elif reg == "consensus":
                # v at the losses so far (the regularisers before consensus included), as the
                # registry composes them in order.
                v_phi = grad(lambda q: self._losses(g, d, pg, q, real, z, True, i)[0])(pd)
                v_theta = grad(lambda q: self._losses(g, d, q, pd, real, z, True, i)[1])(pg)
                half_sq = self._reg(reg, "gamma") * 0.5 * (sum(v.pow(2).sum() for v in v_phi.values())
                                                           + sum(v.pow(2).sum() for v in v_theta.values()))
                loss_d, loss_g = loss_d + half_sq, loss_g + half_sq
        return loss_d, loss_g
