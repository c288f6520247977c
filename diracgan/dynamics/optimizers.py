"""Discrete optimizers in numpy, with exactly ``torch.optim``'s update rules and defaults.

Every optimizer updates a batch of parameters (any shape; the runs of a batch along the first
axis) from their gradients, keeping its state in a dict of arrays.  Hyperparameters may be
scalars or arrays that broadcast against the parameters (an (N, 1) learning rate gives every
run its own), which is how stability maps evaluate a whole grid in one call.

The interface (what :class:`~diracgan.dynamics.training.Scheme` and the stability maps call,
and what a new optimizer implements)::

    opt = SGD(lr=0.1, momentum=0.9)
    state = opt.init(param)                         # {"step": 0, arrays named as torch.optim names them}
    new = opt.step(param, grad, state)              # a new array; state updated in place
    new = opt.step(param, grad, state, out=buf)     # the same values written into buf (no allocation)

* ``init(param) -> dict``: the state, with ``"step"`` (the number of updates taken) and the
  optimizer's buffers under torch.optim's names (``momentum_buffer``, ``exp_avg``, …; the
  stability maps read and set them).  Scratch space lives in the same dict (key ``"scratch"``).
* ``step(param, grad, state, out=None) -> ndarray``: one update.  ``param`` and ``grad`` are
  never modified.  ``out``, when given, is an array of the result's shape that overlaps
  neither ``param`` nor ``grad``; the new parameter is written into it and returned, so a
  training loop that alternates between preallocated buffers allocates nothing per step.
  (A subclass may also return a fresh array; callers use the returned value.)
* Subclasses implement ``_update(param, g, state, out)``: g is the gradient with the L2 weight
  decay already added (``grad + weight_decay·param``, in scratch space); write the new
  parameter into ``out`` (which the base class has allocated if the caller did not) and return
  it.  ``linear`` says whether the update is linear in (param, grad, state), which the stability
  maps need; ``name`` is the registry key in :data:`OPTIMIZERS`.

Every update is written as a sequence of in-place numpy operations whose roundings are those of
the expressions below, in this order (the torch cross-check compares with torch.optim to 1e-13,
and the results are bit-identical to the allocating formulas they replaced).

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

import math
from dataclasses import dataclass, fields

import numpy as np

from ..errors import InputError

__all__ = ["Optimizer", "SGD", "Adam", "RMSprop", "Optimistic", "Extragradient", "OPTIMIZERS", "make_optimizer",
           "lerp", "lerp_into", "lerp_branch"]


def lerp(start, end, weight):
    """torch.lerp's CPU formula, so EMA and moment averages round exactly like torch:
    start + w (end − start) where |w| < 0.5, end − (end − start)(1 − w) elsewhere."""
    weight = np.asarray(weight, dtype=float)
    small = start + weight * (end - start)
    large = end - (end - start) * (1 - weight)
    return np.where(np.abs(weight) < 0.5, small, large)


def lerp_branch(weight) -> str:
    """Which of torch.lerp's two formulas ``weight`` takes: "small" (|w| < 0.5 everywhere),
    "large" (nowhere) or "mixed" (an array with both)."""
    small = np.abs(np.asarray(weight, dtype=float)) < 0.5
    return "small" if small.all() else "large" if not small.any() else "mixed"


def lerp_into(start, end, weight, out, tmp, branch: str | None = None):
    """:func:`lerp` written into ``out`` (which may be ``start``), with ``tmp`` as scratch of the
    same shape: bit-identical to ``lerp(start, end, weight)``, allocation-free unless an array
    weight mixes both branches.  ``branch``: :func:`lerp_branch` of the weight, if known."""
    branch = branch or lerp_branch(weight)
    if branch == "small":
        np.subtract(end, start, out=tmp)
        np.multiply(tmp, weight, out=tmp)
        np.add(start, tmp, out=out)
    elif branch == "large":
        np.subtract(end, start, out=tmp)
        np.multiply(tmp, 1 - np.asarray(weight, dtype=float), out=tmp)
        np.subtract(end, tmp, out=out)
    else:
        out[...] = lerp(start, end, weight)
    return out


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


def _scratch(state: dict, shape: tuple, n: int) -> np.ndarray:
    """``n`` scratch arrays of ``shape`` kept in the state (allocated on the first step)."""
    work = state.get("scratch")
    if work is None or work.shape[1:] != shape or work.shape[0] < n:
        work = state["scratch"] = np.empty((n,) + shape)
    return work


@dataclass(frozen=True)
class Optimizer:
    """Base class: ``init`` makes the state, ``step`` applies one update (see the module doc)."""

    lr: float = 1e-3
    weight_decay: float = 0.0

    name = "optimizer"
    linear = True   # is the update linear in (param, grad, state)? (needed for stability maps)
    n_scratch = 2   # scratch arrays _update needs besides the decayed gradient

    def __post_init__(self):
        _check("lr", self.lr, open_lower=True)
        _check("weight_decay", self.weight_decay)
        # Cached once (the dataclass is frozen): the broadcast shape of the hyperparameters and
        # whether there is any weight decay.
        object.__setattr__(self, "_hyper_shape", np.broadcast_shapes(*(np.shape(getattr(self, f.name))
                                                                        for f in fields(self))))
        object.__setattr__(self, "_decay", bool(np.any(self.weight_decay)))

    def hyper(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def init(self, param: np.ndarray) -> dict:
        return {"step": 0}

    def _decayed(self, param, grad):
        """g + weight_decay·p (a new array; the look-ahead of extragradient uses it)."""
        return grad + self.weight_decay * param if self._decay else grad

    def step(self, param: np.ndarray, grad: np.ndarray, state: dict, out: np.ndarray | None = None) -> np.ndarray:
        """One update of ``param`` (…, d) with gradient ``grad``; returns the new parameter
        (written into ``out`` when given; see the module doc)."""
        param = np.asarray(param, dtype=float)
        grad = np.asarray(grad, dtype=float)
        shape = param.shape if param.shape == grad.shape and not self._hyper_shape else \
            np.broadcast_shapes(param.shape, grad.shape, self._hyper_shape)
        work = _scratch(state, shape, self.n_scratch + 1)
        if out is None:
            out = np.empty(shape)
        if self._decay:          # g + wd·p, in that rounding (wd·p first, then the sum)
            g = np.multiply(param, self.weight_decay, out=work[-1])
            g += grad
        else:
            g = grad
        return self._update(param, g, state, out, work)

    def _update(self, param, g, state, out, work):  # pragma: no cover
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
        object.__setattr__(self, "_heavy_ball", bool(np.any(self.momentum)))
        object.__setattr__(self, "_damped", bool(np.any(self.dampening)))

    def init(self, param):
        return {"step": 0, "momentum_buffer": None}

    def _update(self, param, g, state, out, work):
        tmp = work[0]
        if self._heavy_ball:
            buf = state["momentum_buffer"]
            if buf is None:                                   # b ← g on the first step
                buf = state["momentum_buffer"] = np.array(np.broadcast_to(g, out.shape), dtype=float)
            else:
                if buf.shape != out.shape:    # hyperparameter arrays broadcast the state up
                    buf = state["momentum_buffer"] = np.array(np.broadcast_to(buf, out.shape), dtype=float)
                buf *= self.momentum                          # μ b + (1 − dampening) g
                if self._damped:
                    np.multiply(g, 1 - self.dampening, out=tmp)
                    buf += tmp
                else:                                         # g·1.0 = g exactly
                    buf += g
            if self.nesterov:                                 # g + μ b
                np.multiply(buf, self.momentum, out=tmp)
                tmp += g
                g = tmp
            else:
                g = buf
        state["step"] += 1
        np.multiply(g, self.lr, out=tmp)
        return np.subtract(param, tmp, out=out)


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
        object.__setattr__(self, "_w1", 1 - self.beta1)
        object.__setattr__(self, "_w1_branch", lerp_branch(self._w1))
        object.__setattr__(self, "_scalar_beta2", np.ndim(self.beta2) == 0)

    def init(self, param):
        z = np.zeros_like(param, dtype=float)
        return {"step": 0, "exp_avg": z, "exp_avg_sq": z.copy(), "max_exp_avg_sq": z.copy()}

    def _update(self, param, g, state, out, work):
        tmp = work[0]
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        if m.shape != out.shape:          # hyperparameter arrays broadcast the state up
            m = state["exp_avg"] = np.array(np.broadcast_to(m, out.shape))
            v = state["exp_avg_sq"] = np.array(np.broadcast_to(v, out.shape))
            state["max_exp_avg_sq"] = np.array(np.broadcast_to(state["max_exp_avg_sq"], out.shape))
        lerp_into(m, g, self._w1, m, tmp, self._w1_branch)
        v *= self.beta2                   # β₂ v + (1 − β₂) g²
        np.multiply(g, g, out=tmp)
        tmp *= 1 - self.beta2
        v += tmp
        bias1 = 1 - self.beta1 ** t
        # (math.sqrt and np.sqrt are both the correctly rounded square root)
        bias2_sqrt = math.sqrt(1 - self.beta2 ** t) if self._scalar_beta2 else np.sqrt(1 - self.beta2 ** t)
        second = v
        if self.amsgrad:
            second = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        np.sqrt(second, out=tmp)          # denom = √v / √(1 − β₂ᵗ) + ε
        tmp /= bias2_sqrt
        tmp += self.eps
        np.divide(m, tmp, out=tmp)        # p − (lr / (1 − β₁ᵗ)) · (m / denom)
        tmp *= self.lr / bias1
        return np.subtract(param, tmp, out=out)


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
        object.__setattr__(self, "_heavy_ball", bool(np.any(self.momentum)))
        object.__setattr__(self, "_w", 1 - self.alpha)
        object.__setattr__(self, "_w_branch", lerp_branch(self._w))

    def init(self, param):
        z = np.zeros_like(param, dtype=float)
        return {"step": 0, "square_avg": z, "grad_avg": z.copy(), "momentum_buffer": z.copy()}

    def _update(self, param, g, state, out, work):
        tmp, avg = work[0], work[1]
        state["step"] += 1
        if state["square_avg"].shape != out.shape:    # hyperparameter arrays broadcast the state up
            for key in ("square_avg", "grad_avg", "momentum_buffer"):
                state[key] = np.array(np.broadcast_to(state[key], out.shape))
        s = state["square_avg"]
        s *= self.alpha                   # α s + (1 − α) g²
        np.multiply(g, g, out=tmp)
        tmp *= self._w
        s += tmp
        if self.centered:                 # √(s − ḡ·ḡ)
            ga = lerp_into(state["grad_avg"], g, self._w, state["grad_avg"], tmp, self._w_branch)
            np.multiply(ga, ga, out=tmp)
            np.subtract(s, tmp, out=avg)
            np.sqrt(avg, out=avg)
        else:
            np.sqrt(s, out=avg)
        avg += self.eps
        np.divide(g, avg, out=tmp)        # g / a
        if self._heavy_ball:              # b ← μ b + g/a, p − lr·b
            buf = state["momentum_buffer"]
            buf *= self.momentum
            buf += tmp
            np.multiply(buf, self.lr, out=tmp)
        else:
            tmp *= self.lr
        return np.subtract(param, tmp, out=out)


@dataclass(frozen=True)
class Optimistic(Optimizer):
    """Optimistic gradient descent: p ← p − lr (2 gₜ − gₜ₋₁), g₋₁ = g₀."""

    name = "optimistic"

    def init(self, param):
        return {"step": 0, "previous_grad": None}

    def _update(self, param, g, state, out, work):
        tmp = work[0]
        prev = state["previous_grad"]
        if prev is None:                  # g₋₁ = g₀
            prev = g
        np.multiply(g, 2, out=tmp)        # 2 g − g₋, then g₋ ← g
        tmp -= prev
        if prev is g or prev.shape != g.shape:
            state["previous_grad"] = np.array(g, dtype=float, copy=True)
        else:
            prev[...] = g
        state["step"] += 1
        tmp *= self.lr
        return np.subtract(param, tmp, out=out)


@dataclass(frozen=True)
class Extragradient(SGD):
    """Extragradient: the training scheme evaluates the gradient at p − lr·g(p) and steps from p."""

    name = "extragradient"

    def __post_init__(self):
        super().__post_init__()
        if np.any(self.momentum):
            raise InputError("extragradient takes plain gradient steps (momentum 0)")


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "optimistic": Optimistic, "extragradient": Extragradient}
"""Optimizers by name (the CLI's ``--optimizer`` choices).  A new optimizer is a frozen
dataclass subclass of :class:`Optimizer` (hyperparameters as fields, validated in
``__post_init__``; ``init`` and ``_update`` as in the module doc) registered here."""


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
