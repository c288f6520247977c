"""Discrete optimizers in numpy, with exactly ``torch.optim``'s update rules and defaults.

Every optimizer updates a batch of parameters (any shape; the runs of a batch along the first
axis) from their gradients, keeping its state in a dict of arrays.  Hyperparameters may be
scalars or arrays that broadcast against the parameters (an (N, 1) learning rate gives every
run its own), which is how stability maps evaluate a whole grid in one call.  Interface::

    opt = SGD(lr=0.1, momentum=0.9)
    state = opt.init(param)            # arrays of zeros, step count 0
    param = opt.step(param, grad, state)   # returns the new parameter, updates state in place

Update rules (torch.optim, single-tensor CPU implementation, ``maximize=False``; sources:
``torch/optim/sgd.py``, ``adam.py``, ``rmsprop.py``, torch 2.13), with g the gradient plus
``weight_decay``·p:

* SGD: with momentum μ, b ← g on the first step, then b ← μ b + (1 − dampening) g; the step
  direction is g + μ b (Nesterov) or b; p ← p − lr·direction.  Defaults lr = 1e-3, μ = 0.
* Adam: m ← lerp(m, g, 1 − β₁), v ← β₂ v + (1 − β₂) g², p ← p − lr/(1 − β₁ᵗ) · m /
  (√v / √(1 − β₂ᵗ) + ε) (AMSGrad: the running maximum of v).  Defaults lr = 1e-3,
  β = (0.9, 0.999), ε = 1e-8.
* RMSprop: s ← α s + (1 − α) g², (centred: ḡ ← lerp(ḡ, g, 1 − α), s − ḡ² under the root),
  a = √s + ε; with momentum b ← μ b + g/a and p ← p − lr·b, else p ← p − lr·g/a.  Defaults
  lr = 1e-2, α = 0.99, ε = 1e-8.

Beyond torch.optim, the two standard fixes for rotation:

* Optimistic gradient descent (Daskalakis et al. 2018, "Training GANs with Optimism"):
  p ← p − lr (2 gₜ − gₜ₋₁), with g₋₁ = g₀ (the first step is plain gradient descent).
* Extragradient (Korpelevich 1976; Gidel et al. 2019): p̃ = p − lr·g(p), p ← p − lr·g(p̃).
  It needs a second gradient evaluation, so the training scheme carries it out
  (:mod:`diracgan.dynamics.training`); here it is a plain SGD step used twice.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..errors import InputError

__all__ = ["Optimizer", "SGD", "Adam", "RMSprop", "Optimistic", "Extragradient", "OPTIMIZERS", "make_optimizer",
           "lerp"]


def lerp(start, end, weight):
    """torch.lerp's CPU formula, so EMA and moment averages round exactly like torch."""
    weight = np.asarray(weight, dtype=float)
    small = start + weight * (end - start)
    large = end - (end - start) * (1 - weight)
    return np.where(np.abs(weight) < 0.5, small, large)


def _check(name: str, value, lower: float = 0.0, upper: float | None = None, open_lower: bool = False,
           open_upper: bool = False) -> None:
    arr = np.asarray(value, dtype=float)
    bad = ~np.isfinite(arr) | (arr < lower) | ((arr == lower) if open_lower else False)
    if upper is not None:
        bad = bad | (arr > upper) | ((arr == upper) if open_upper else False)
    if np.any(bad):
        lo = f"{'>' if open_lower else '≥'} {lower:g}"
        hi = "" if upper is None else f" and {'<' if open_upper else '≤'} {upper:g}"
        got = f"{float(arr):g}" if arr.ndim == 0 else f"{float(arr[bad].flat[0]):g} among its values"
        raise InputError(f"{name} must be finite and {lo}{hi}, got {got}")


@dataclass(frozen=True)
class Optimizer:
    """Base class: ``init`` makes the state, ``step`` applies one update."""

    lr: float = 1e-3
    weight_decay: float = 0.0

    name = "optimizer"
    linear = True   # is the update linear in (param, grad, state)? (needed for stability maps)

    def __post_init__(self):
        _check("lr", self.lr, open_lower=True)
        _check("weight_decay", self.weight_decay)

    def hyper(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def init(self, param: np.ndarray) -> dict:
        return {"step": 0}

    def _decayed(self, param, grad):
        return grad + self.weight_decay * param if np.any(self.weight_decay) else grad

    def step(self, param: np.ndarray, grad: np.ndarray, state: dict) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


@dataclass(frozen=True)
class SGD(Optimizer):
    """torch.optim.SGD (momentum, dampening, Nesterov, weight decay).

    ``momentum`` may be negative, −1 < β < 0: the negative momentum of Gidel et al. 2019
    ("Negative Momentum for Improved Game Dynamics"), the same heavy-ball update
    b ← β b + (1 − dampening) g, p ← p − lr·b.  torch.optim.SGD refuses β < 0; the torch
    cross-check uses a hand-written torch update there."""

    momentum: float = 0.0
    dampening: float = 0.0
    nesterov: bool = False
    name = "sgd"

    def __post_init__(self):
        super().__post_init__()
        _check("momentum", self.momentum, lower=-1.0, open_lower=True, upper=1.0, open_upper=True)
        _check("dampening", self.dampening, upper=1.0)
        if self.nesterov and (np.any(np.asarray(self.momentum) <= 0) or np.any(np.asarray(self.dampening) != 0)):
            raise InputError("Nesterov momentum requires momentum > 0 and dampening = 0 (as in torch.optim.SGD)")

    def init(self, param):
        return {"step": 0, "momentum_buffer": None}

    def step(self, param, grad, state):
        g = self._decayed(param, grad)
        if np.any(self.momentum):
            buf = state["momentum_buffer"]
            if buf is None:
                buf = np.array(g, dtype=float, copy=True)
            else:
                buf = buf * self.momentum + (1 - self.dampening) * g
            state["momentum_buffer"] = buf
            g = g + self.momentum * buf if self.nesterov else buf
        state["step"] += 1
        return param - self.lr * g


@dataclass(frozen=True)
class Adam(Optimizer):
    """torch.optim.Adam (bias correction, AMSGrad, L2 weight decay)."""

    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    amsgrad: bool = False
    name = "adam"
    linear = False

    def __post_init__(self):
        super().__post_init__()
        _check("beta1", self.beta1, upper=1.0, open_upper=True)
        _check("beta2", self.beta2, upper=1.0, open_upper=True)
        _check("eps", self.eps)

    def init(self, param):
        z = np.zeros_like(param, dtype=float)
        return {"step": 0, "exp_avg": z, "exp_avg_sq": z.copy(), "max_exp_avg_sq": z.copy()}

    def step(self, param, grad, state):
        g = self._decayed(param, grad)
        state["step"] += 1
        t = state["step"]
        state["exp_avg"] = lerp(state["exp_avg"], g, 1 - self.beta1)
        state["exp_avg_sq"] = state["exp_avg_sq"] * self.beta2 + (1 - self.beta2) * (g * g)
        bias1 = 1 - self.beta1 ** t
        bias2_sqrt = np.sqrt(1 - self.beta2 ** t)
        second = state["exp_avg_sq"]
        if self.amsgrad:
            state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], second)
            second = state["max_exp_avg_sq"]
        denom = np.sqrt(second) / bias2_sqrt + self.eps
        return param - (self.lr / bias1) * (state["exp_avg"] / denom)


@dataclass(frozen=True)
class RMSprop(Optimizer):
    """torch.optim.RMSprop (centred, momentum, L2 weight decay)."""

    lr: float = 1e-2
    alpha: float = 0.99
    eps: float = 1e-8
    momentum: float = 0.0
    centered: bool = False
    name = "rmsprop"
    linear = False

    def __post_init__(self):
        super().__post_init__()
        _check("alpha", self.alpha, upper=1.0)
        _check("eps", self.eps)
        _check("momentum", self.momentum)

    def init(self, param):
        z = np.zeros_like(param, dtype=float)
        return {"step": 0, "square_avg": z, "grad_avg": z.copy(), "momentum_buffer": z.copy()}

    def step(self, param, grad, state):
        g = self._decayed(param, grad)
        state["step"] += 1
        state["square_avg"] = state["square_avg"] * self.alpha + (1 - self.alpha) * (g * g)
        if self.centered:
            state["grad_avg"] = lerp(state["grad_avg"], g, 1 - self.alpha)
            avg = np.sqrt(state["square_avg"] - state["grad_avg"] * state["grad_avg"])
        else:
            avg = np.sqrt(state["square_avg"])
        avg = avg + self.eps
        if np.any(self.momentum):
            state["momentum_buffer"] = state["momentum_buffer"] * self.momentum + g / avg
            return param - self.lr * state["momentum_buffer"]
        return param - self.lr * (g / avg)


@dataclass(frozen=True)
class Optimistic(Optimizer):
    """Optimistic gradient descent: p ← p − lr (2 gₜ − gₜ₋₁), g₋₁ = g₀."""

    name = "optimistic"

    def init(self, param):
        return {"step": 0, "previous_grad": None}

    def step(self, param, grad, state):
        g = self._decayed(param, grad)
        prev = g if state["previous_grad"] is None else state["previous_grad"]
        state["previous_grad"] = np.array(g, dtype=float, copy=True)
        state["step"] += 1
        return param - self.lr * (2 * g - prev)


@dataclass(frozen=True)
class Extragradient(SGD):
    """Extragradient: the training scheme evaluates the gradient at p − lr·g(p) and steps from p."""

    name = "extragradient"

    def __post_init__(self):
        super().__post_init__()
        if np.any(self.momentum):
            raise InputError("extragradient takes plain gradient steps (momentum 0)")


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "optimistic": Optimistic, "extragradient": Extragradient}
"""Optimizers by name (the CLI's ``--optimizer`` choices)."""


def make_optimizer(name: str, **hyper) -> Optimizer:
    """An optimizer by name; hyperparameters that are None take torch's defaults.

    Unknown hyperparameters for that optimizer raise :class:`InputError` naming the valid ones.
    """
    try:
        cls = OPTIMIZERS[name]
    except KeyError:
        raise InputError(f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}") from None
    valid = {f.name for f in fields(cls)}
    given = {k: v for k, v in hyper.items() if v is not None}
    unknown = sorted(set(given) - valid)
    if unknown:
        raise InputError(f"{name} has no option {unknown[0]!r} (its options: {', '.join(sorted(valid))})")
    return cls(**given)
