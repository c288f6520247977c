"""The bridge's models: a generator G: R^k → R² and a discriminator D: R² → R, stacked over seeds.

Two shapes each:

* ``mlp``: ``nn.Sequential`` of ``depth`` hidden ``nn.Linear`` layers of ``width`` units with the
  activation (``relu``, ``leaky_relu`` with slope 0.2, ``tanh``) and a linear output layer
  (G: k → 2, D: 2 → 1); the weights are initialised as ``nn.Linear`` does (U(−1/√fan_in,
  1/√fan_in) for weight and bias, Kaiming-uniform with a = √5), drawn from the seed's own
  ``torch.Generator`` so that a seed's models do not depend on the other seeds;
* ``linear``: the Dirac shapes, G(z) = θ (a bias only: every sample is θ) and D(x) = φ·x (one
  row of weights, no bias).  With data ``dirac`` these are the Dirac-GAN of the rest of the package.

The models of S seeds are one set of stacked parameters (``torch.func.stack_module_state``:
every tensor has a leading seed axis), evaluated by ``torch.func.functional_call`` on a
parameter-free copy of the module (on the ``meta`` device) under ``torch.func.vmap``.

``wgan``'s critic is normalised: on the linear D exactly as the registry writes it,
D(x) = φ·x/‖φ‖ (‖φ‖ is φ's spectral norm); on an MLP by spectral normalisation of every
weight matrix, W/σ(W), σ estimated by one power iteration per discriminator update (Miyato et
al. 2018, Algorithm 1; the estimate u, v is state outside the gradient, σ = uᵀWv inside it).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call, stack_module_state

from ..errors import InputError

__all__ = ["ACTIVATIONS", "SHAPES", "ModelSpec", "DiracG", "LinearD", "build", "stack", "Forward", "spectral_init",
           "spectral_update", "MAX_WIDTH", "MAX_DEPTH"]

ACTIVATIONS = ("relu", "leaky_relu", "tanh")
SHAPES = ("mlp", "linear")
MAX_WIDTH = 4096
MAX_DEPTH = 16
LEAKY_SLOPE = 0.2   # the DCGAN / VEEGAN choice


def _whole(name: str, value, upper: int) -> int:
    if isinstance(value, bool) or int(value) != value or not 1 <= value <= upper:
        raise InputError(f"{name} must be a whole number in 1..{upper}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class ModelSpec:
    """The two networks: shapes ``g``, ``d`` ∈ :data:`SHAPES`, hidden ``width`` and ``depth``,
    ``activation`` ∈ :data:`ACTIVATIONS`, latent dimension ``latent`` (k)."""

    g: str = "mlp"
    d: str = "mlp"
    width: int = 128
    depth: int = 2
    activation: str = "relu"
    latent: int = 2

    def __post_init__(self):
        for who, shape in (("g", self.g), ("d", self.d)):
            if shape not in SHAPES:
                raise InputError(f"unknown {who}={shape!r}; choose one of: {', '.join(SHAPES)}")
        if self.activation not in ACTIVATIONS:
            raise InputError(f"unknown activation={self.activation!r}; choose one of: {', '.join(ACTIVATIONS)}")
        _whole("width", self.width, MAX_WIDTH)
        _whole("depth", self.depth, MAX_DEPTH)
        _whole("latent", self.latent, 64)

    def describe(self) -> str:
        def one(shape, arrow):
            if shape == "linear":
                return "G(z) = θ" if arrow == "G" else "D(x) = φ·x"
            return f"{arrow}: MLP {self.depth}×{self.width} {self.activation}"
        return f"{one(self.g, 'G')}, {one(self.d, 'D')}" + (f", z ~ N(0, I_{self.latent})" if self.g == "mlp" else "")


class DiracG(nn.Module):
    """G(z) = θ for every z: a bias only (the Dirac-GAN's generator)."""

    def __init__(self, theta0, dtype=torch.float64):
        super().__init__()
        self.theta = nn.Parameter(torch.as_tensor(theta0, dtype=dtype).reshape(2).clone())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.theta.expand(z.shape[0], 2)


class LinearD(nn.Module):
    """D(x) = φ·x, no bias (the Dirac-GAN's discriminator); ``weight`` is φ as a (1, 2) row."""

    def __init__(self, phi0, dtype=torch.float64):
        super().__init__()
        self.weight = nn.Parameter(torch.as_tensor(phi0, dtype=dtype).reshape(1, 2).clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.weight[0]


def _activation(name: str) -> nn.Module:
    return {"relu": nn.ReLU(), "leaky_relu": nn.LeakyReLU(LEAKY_SLOPE), "tanh": nn.Tanh()}[name]


def _mlp(sizes: list[int], activation: str, generator: torch.Generator, dtype) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        # skip_init: no draw from torch's global RNG; the weights come from the seed's generator.
        lin = nn.utils.skip_init(nn.Linear, n_in, n_out, dtype=dtype)
        bound = 1.0 / math.sqrt(n_in)   # nn.Linear.reset_parameters: kaiming_uniform(a=√5) = U(±1/√fan_in)
        with torch.no_grad():
            lin.weight.copy_((torch.rand(n_out, n_in, generator=generator, dtype=dtype) * 2 - 1) * bound)
            lin.bias.copy_((torch.rand(n_out, generator=generator, dtype=dtype) * 2 - 1) * bound)
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(_activation(activation))
    return nn.Sequential(*layers)


class _Squeeze(nn.Module):
    """D's MLP with its (B, 1) output as (B,)."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x).squeeze(-1)


def build(spec: ModelSpec, generator: torch.Generator, *, theta0=(0.2, 0.1), phi0=(0.1, 0.2),
          dtype=torch.float64) -> tuple[nn.Module, nn.Module]:
    """(G, D) of one seed, initialised from ``generator`` (G's weights first, then D's)."""
    if spec.g == "linear":
        G = DiracG(theta0, dtype)
    else:
        G = _mlp([spec.latent] + [spec.width] * spec.depth + [2], spec.activation, generator, dtype)
    if spec.d == "linear":
        D = LinearD(phi0, dtype)
    else:
        D = _Squeeze(_mlp([2] + [spec.width] * spec.depth + [1], spec.activation, generator, dtype))
    return G, D


def stack(modules: list[nn.Module]) -> tuple[dict, nn.Module]:
    """(parameters stacked over the seeds, a parameter-free copy of the module for functional_call).

    The stacked tensors are detached leaves (the optimizers own them; gradients come from
    ``torch.func.grad``, not ``.backward``)."""
    params, _ = stack_module_state(modules)
    params = {k: v.detach().clone() for k, v in params.items()}
    base = copy.deepcopy(modules[0]).to("meta")
    return params, base


class Forward:
    """The functional forward passes of one seed: ``g(pg, z)``, ``d(pd, x, sn)`` (``sn``: the
    spectral-normalisation vectors of the D weights, or None when D is not normalised)."""

    def __init__(self, spec: ModelSpec, g_base: nn.Module, d_base: nn.Module, normalised: bool):
        self.spec, self.g_base, self.d_base, self.normalised = spec, g_base, d_base, normalised

    def g(self, pg: dict, z: torch.Tensor) -> torch.Tensor:
        return functional_call(self.g_base, pg, (z,))

    def d(self, pd: dict, x: torch.Tensor, sn: dict | None = None) -> torch.Tensor:
        if self.normalised:
            pd = normalised_weights(pd, sn, self.spec.d == "linear")
        return functional_call(self.d_base, pd, (x,))


def _weights(pd: dict) -> list[str]:
    return [k for k, v in pd.items() if k.endswith("weight") and v.dim() >= 2]


def normalised_weights(pd: dict, sn: dict | None, linear: bool) -> dict:
    """D's parameters with every weight matrix divided by its spectral norm: exactly ‖φ‖ for the
    linear D (a 1 × 2 matrix), the power-iteration estimate σ = uᵀWv for an MLP (u, v constant)."""
    out = dict(pd)
    for k in _weights(pd):
        w = pd[k]
        if linear:
            sigma = w.norm()
        else:
            u, v = sn[k]
            sigma = u @ (w @ v)
        out[k] = w / sigma
    return out


def spectral_init(pd: dict, generator: torch.Generator) -> dict:
    """Initial power-iteration vectors (u, v) per D weight matrix of one seed (u ~ N(0, I),
    normalised, v = Wᵀu normalised), as ``torch.nn.utils.spectral_norm`` starts."""
    out = {}
    for k in _weights(pd):
        w = pd[k]
        u = torch.randn(w.shape[0], generator=generator, dtype=w.dtype)
        u = u / u.norm().clamp_min(1e-12)
        v = w.T @ u
        out[k] = (u, v / v.norm().clamp_min(1e-12))
    return out


@torch.no_grad()
def spectral_update(pd: dict, sn: dict) -> dict:
    """One power iteration per weight matrix (batched over seeds: W (S, m, n), u (S, m), v (S, n)):
    v ← Wᵀu/‖Wᵀu‖, u ← Wv/‖Wv‖ (torch.nn.utils.spectral_norm's update, eps 1e-12)."""
    out = {}
    for k, (u, v) in sn.items():
        w = pd[k]
        v = torch.einsum("...mn,...m->...n", w, u)
        v = v / v.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        u = torch.einsum("...mn,...n->...m", w, v)
        u = u / u.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        out[k] = (u, v)
    return out
