"""The bridge speaks the Dirac-GAN's language: with G(z) = θ, D(x) = φ·x and data ``dirac``, its
autograd field is the registry's symbolic field, and its training is ``train``'s numpy run.

The reference is independent of the bridge: the field is sympy's derivation of the registry's
losses (``diracgan.derivation.numeric.velocity``), the runs are the numpy optimizers of
``diracgan.dynamics``; the bridge's gradients come from torch.func autograd of sample losses.
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from diracgan.bridge.models import ModelSpec  # noqa: E402
from diracgan.bridge.training import dirac_gradients, train_bridge  # noqa: E402
from diracgan.derivation.numeric import velocity  # noqa: E402
from diracgan.dynamics.training import train  # noqa: E402
from diracgan.games import custom_game, make_game  # noqa: E402
from diracgan.torchgan.checks import (CHECK_GAMES, GRADIENT_PARAMS, NOISE_GAMES, OPTIMIZER_CASES,  # noqa: E402
                                      _random_points)

LINEAR = ModelSpec(g="linear", d="linear")
CUSTOM = ("softplus(-d_real) + softplus(d_fake) + k*max(d_fake, 0)**2", "softplus(-dot) + 0.5*sigmoid(dot)")


@pytest.fixture(scope="module")
def states():
    pts = _random_points(np.random.default_rng(7), 10, 2)
    return np.array([p[0] for p in pts]), np.array([p[1] for p in pts])


@pytest.fixture(scope="module")
def field_errors(states):
    """Largest relative error of the autograd field per game, all games at all states."""
    th, ph = states
    games = {name: make_game(name, **GRADIENT_PARAMS.get(name, {})) for name in CHECK_GAMES}
    games["custom"] = make_game(custom_game(*CUSTOM, {"k": 0.3}), k=0.7)
    out = {}
    for name, game in games.items():
        g_theta, g_phi = dirac_gradients(game, th, ph, batch=3)
        v_theta, v_phi = velocity(game, th, ph)
        want = -np.concatenate([v_theta, v_phi], axis=1)
        got = np.concatenate([g_theta, g_phi], axis=1)
        out[name] = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
    return out


@pytest.mark.parametrize("name", CHECK_GAMES + ("custom",))
def test_autograd_field_is_the_symbolic_field(field_errors, name):
    assert field_errors[name] <= 1e-12


def test_the_field_check_can_fail(states):
    """A game with other parameter values is seen (the check is not vacuous)."""
    th, ph = states
    _, g_phi = dirac_gradients(make_game("gp0", lam=0.3), th, ph)
    _, v_phi = velocity(make_game("gp0", lam=0.31), th, ph)
    assert np.max(np.abs(g_phi + v_phi)) > 1e-4


def test_instance_noise_field_statistically():
    """Monte Carlo: the bridge samples the noise; the mean of 48 draws of batch 2048 at one state
    is within 5 standard errors of the Gauss–Hermite / exact field (as torchgan/checks.py)."""
    th, ph = np.array([0.6, -0.4]), np.array([0.5, 0.9])
    draws = 48
    worst = 0.0
    for name in NOISE_GAMES:
        game = make_game(name, **GRADIENT_PARAMS.get(name, {}))
        g_theta, g_phi = dirac_gradients(game, np.tile(th, (draws, 1)), np.tile(ph, (draws, 1)), batch=2048, seed=11)
        samples = np.concatenate([g_theta, g_phi], axis=1)
        v_theta, v_phi = velocity(game, th[None], ph[None])
        want = -np.concatenate([v_theta[0], v_phi[0]])
        se = samples.std(axis=0, ddof=1) / math.sqrt(draws)
        z = np.abs(samples.mean(axis=0) - want) / np.maximum(se, 1e-12 * np.max(np.abs(want)))
        worst = max(worst, float(z.max()))
        assert samples.std(axis=0).max() > 0     # the noise is really sampled
    assert worst <= 5.0


CASES = [c for c in OPTIMIZER_CASES if len(c.theta0) == 2]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.loss}: {c.name}" for c in CASES])
def test_bridge_run_is_train_step_by_step(case):
    """Every optimizer and scheme of ``diracgan check``: the bridge (torch.optim on the stacked
    linear models) equals the numpy run at every step to 1e-12 relative."""
    kwargs = dict(case.kwargs)
    kwargs.pop("ema", None)          # the bridge averages G only; train's EMA is of (θ, φ)
    game = case.game()
    steps = 12
    a = train(game, case.theta0, case.phi0, steps=steps, **kwargs)
    b = train_bridge(game, data="dirac", models=LINEAR, theta0=case.theta0, phi0=case.phi0, steps=steps,
                     record_every=1, batch=3, eval_size=2, metrics=False, batched=False, **kwargs)
    za = np.concatenate([a.theta[0], a.phi[0]], axis=1)
    zb = np.concatenate([b.theta[0], b.phi[0]], axis=1)
    assert np.all(np.isfinite(za)) and b.status[0] == 0
    assert np.max(np.abs(zb - za)) <= 1e-12 * np.max(np.abs(za))


def test_batched_linear_run_is_train_with_ema():
    """Batched over 3 seeds (vmap), with G's EMA: every seed is train's run; the EMA of θ is
    train's EMA of θ."""
    game = make_game("vanilla")
    kwargs = dict(optimizer="adam", lr=0.01, betas=(0.5, 0.9), n_critic=2, steps=15, ema=0.9)
    a = train(game, (0.2, 0.1), (0.1, 0.2), **kwargs)
    b = train_bridge(game, data="dirac", models=LINEAR, seeds=3, record_every=1, batch=2, eval_size=2,
                     metrics=False, **kwargs)
    for i in range(3):
        assert np.max(np.abs(b.theta[i] - a.theta[0])) <= 1e-12 * np.max(np.abs(a.theta[0]))
        # G(z) = θ: every EMA sample is the EMA of θ
        assert np.max(np.abs(b.ema_samples[i, 1:, 0] - a.ema_theta[0, 1:])) <= 1e-12
