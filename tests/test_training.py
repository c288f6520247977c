"""Discrete training: optimizers against hand-computed steps, schemes, EMA, first-order
convergence to the gradient flow, divergence, clipping, batches."""

import math

import numpy as np
import pytest

import closed_forms
from diracgan.games import InputError, make_game
from diracgan.dynamics.flow import simulate
from diracgan.dynamics.optimizers import SGD, Adam, Optimistic, RMSprop, lerp, make_optimizer
from diracgan.dynamics.starts import default_start, random_starts
from diracgan.dynamics.training import TrainStatus, gradient_function, train

START = default_start(2)


# -- optimizers: hand-computed steps ---------------------------------------------------------

def test_sgd_momentum_nesterov_by_hand():
    p, g1, g2 = np.array([1.0, -2.0]), np.array([0.5, 0.25]), np.array([-1.0, 2.0])
    opt = SGD(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)
    st = opt.init(p)
    q = opt.step(p, g1, st)
    d1 = g1 + 0.01 * p                       # weight decay, then buf = d1 on the first step
    np.testing.assert_allclose(q, p - 0.1 * d1, rtol=1e-15)
    r = opt.step(q, g2, st)
    d2 = g2 + 0.01 * q
    buf = 0.9 * d1 + 0.9 * d2                # μ buf + (1 − dampening) g
    np.testing.assert_allclose(r, q - 0.1 * buf, rtol=1e-15)
    nest = SGD(lr=0.1, momentum=0.9, nesterov=True)
    st = nest.init(p)
    q = nest.step(p, g1, st)
    np.testing.assert_allclose(q, p - 0.1 * (g1 + 0.9 * g1), rtol=1e-15)


def test_adam_first_two_steps_by_hand():
    p, g1, g2 = np.array([0.3, -0.2]), np.array([0.5, -4.0]), np.array([1.0, 1.0])
    b1, b2, eps, lr = 0.5, 0.9, 1e-8, 0.01
    opt = Adam(lr=lr, beta1=b1, beta2=b2, eps=eps)
    st = opt.init(p)
    q = opt.step(p, g1, st)
    # m̂ = g, v̂ = g²: the first step is lr·g/(|g| + ε·…)
    m, v = (1 - b1) * g1, (1 - b2) * g1**2
    want = p - lr / (1 - b1) * m / (np.sqrt(v) / math.sqrt(1 - b2) + eps)
    np.testing.assert_allclose(q, want, rtol=1e-15)
    np.testing.assert_allclose(q, p - lr * np.sign(g1), rtol=1e-7)
    m, v = b1 * m + (1 - b1) * g2, b2 * v + (1 - b2) * g2**2
    want2 = q - lr / (1 - b1**2) * m / (np.sqrt(v) / math.sqrt(1 - b2**2) + eps)
    np.testing.assert_allclose(opt.step(q, g2, st), want2, rtol=1e-14)


def test_rmsprop_and_optimistic_by_hand():
    p, g = np.array([1.0]), np.array([2.0])
    opt = RMSprop(lr=0.01, alpha=0.9)
    q = opt.step(p, g, opt.init(p))
    np.testing.assert_allclose(q, p - 0.01 * g / (np.sqrt(0.1 * g**2) + 1e-8), rtol=1e-15)
    c = RMSprop(lr=0.01, alpha=0.9, centered=True, momentum=0.5)
    st = c.init(p)
    q = c.step(p, g, st)
    avg = np.sqrt(0.1 * g**2 - (0.1 * g) ** 2) + 1e-8
    np.testing.assert_allclose(q, p - 0.01 * (g / avg), rtol=1e-14)
    o = Optimistic(lr=0.1)
    st = o.init(p)
    q = o.step(p, g, st)                          # first step: plain GD
    np.testing.assert_allclose(q, p - 0.1 * g)
    np.testing.assert_allclose(o.step(q, 3 * g, st), q - 0.1 * (2 * 3 * g - g))


def test_lerp_matches_torch_formula_on_both_branches():
    a, b = np.array([1.0, -3.0]), np.array([2.0, 5.0])
    np.testing.assert_array_equal(lerp(a, b, 0.25), a + 0.25 * (b - a))
    np.testing.assert_array_equal(lerp(a, b, 0.75), b - (b - a) * 0.25)


def test_optimizer_defaults_are_torch_defaults():
    assert make_optimizer("sgd").lr == 1e-3
    adam = make_optimizer("adam")
    assert (adam.lr, adam.beta1, adam.beta2, adam.eps, adam.amsgrad) == (1e-3, 0.9, 0.999, 1e-8, False)
    rms = make_optimizer("rmsprop")
    assert (rms.lr, rms.alpha, rms.eps, rms.momentum, rms.centered) == (1e-2, 0.99, 1e-8, 0.0, False)


@pytest.mark.parametrize("name, kwargs, match", [
    ("sgd", {"lr": -1}, "lr must be"),
    ("sgd", {"lr": 0.1, "nesterov": True}, "Nesterov"),
    ("adam", {"beta1": 1.0}, "beta1"),
    ("adam", {"momentum": 0.9}, "no option 'momentum'"),
    ("nope", {}, "unknown optimizer"),
    ("extragradient", {"momentum": 0.5}, "momentum 0"),
])
def test_bad_optimizer_options(name, kwargs, match):
    with pytest.raises(InputError, match=match):
        make_optimizer(name, **kwargs)


# -- schemes -----------------------------------------------------------------------------------

def _counting_grad(game):
    grad = gradient_function(game)
    calls = []

    def counted(theta, phi):
        calls.append((theta.copy(), phi.copy()))
        return grad(theta, phi)

    return counted, calls


def test_alternating_d_first_takes_n_critic_d_steps_then_the_g_step():
    game = make_game("gp0", lam=0.3)
    grad, calls = _counting_grad(game)
    lr_d, lr_g = 0.05, 0.02
    run = train(game, *START, optimizer="sgd", lr_d=lr_d, lr_g=lr_g, mode="alternating", n_critic=3, steps=1,
                grad=grad)
    assert len(calls) == 1 + 4   # the start's singularity check, then 3 D steps and 1 G step
    theta, phi = START[0][None].copy(), START[1][None].copy()
    for _ in range(3):   # by hand: φ ← φ − lr_d ∇_φ L_D at the current point, θ fixed
        phi = phi - lr_d * (-closed_forms.gp0(theta, phi, 0.3)[1])
    theta = theta - lr_g * (-closed_forms.gp0(theta, phi, 0.3)[0])
    np.testing.assert_allclose(run.theta[0, 1], theta[0], rtol=1e-14)
    np.testing.assert_allclose(run.phi[0, 1], phi[0], rtol=1e-14)


def test_g_first_and_simultaneous_by_hand():
    game = make_game("vanilla")
    th, ph = START[0][None], START[1][None]
    h = 0.1
    dt, dp = closed_forms.vanilla(th, ph)
    sim = train(game, th, ph, optimizer="sgd", lr=h, mode="simultaneous", steps=1)
    np.testing.assert_allclose(sim.theta[0, 1], (th + h * dt)[0], rtol=1e-15)
    np.testing.assert_allclose(sim.phi[0, 1], (ph + h * dp)[0], rtol=1e-15)
    gf = train(game, th, ph, optimizer="sgd", lr=h, mode="alternating", order="g-first", steps=1)
    th1 = th + h * dt
    ph1 = ph + h * closed_forms.vanilla(th1, ph)[1]
    np.testing.assert_allclose(gf.theta[0, 1], th1[0], rtol=1e-15)
    np.testing.assert_allclose(gf.phi[0, 1], ph1[0], rtol=1e-15)


def test_extragradient_by_hand():
    game = make_game("vanilla")
    th, ph = START[0][None], START[1][None]
    h = 0.2
    dt, dp = closed_forms.vanilla(th, ph)
    dt2, dp2 = closed_forms.vanilla(th + h * dt, ph + h * dp)
    run = train(game, th, ph, optimizer="extragradient", lr=h, steps=1)
    assert run.scheme.mode == "simultaneous"
    np.testing.assert_allclose(run.theta[0, 1], (th + h * dt2)[0], rtol=1e-15)
    np.testing.assert_allclose(run.phi[0, 1], (ph + h * dp2)[0], rtol=1e-15)


@pytest.mark.parametrize("kwargs, match", [
    (dict(mode="simultaneous", n_critic=5), "need mode=.alternating."),
    (dict(optimizer="extragradient", mode="alternating"), "simultaneous scheme"),
    (dict(steps=0), "steps must be"),
    (dict(ema=1.0), "EMA decay"),
    (dict(mode="both"), "unknown mode"),
])
def test_bad_schemes(kwargs, match):
    with pytest.raises(InputError, match=match):
        train(make_game("gp0"), *START, **{"optimizer": "sgd", "lr": 0.1, **kwargs})


# -- behaviour ---------------------------------------------------------------------------------

def test_small_step_sgd_converges_to_the_flow_at_first_order():
    """Simultaneous SGD with step h for T/h steps is Euler's method: error ∝ h."""
    game = make_game("vanilla")
    t_end = 4.0
    ode = simulate(game, *START, t_max=t_end, samples=2, rtol=1e-12, atol=1e-14).state_end[0]
    errors = []
    hs = [0.04, 0.02, 0.01, 0.005]
    for h in hs:
        run = train(game, *START, optimizer="sgd", lr=h, mode="simultaneous", steps=round(t_end / h),
                    record_every=round(t_end / h))
        z = np.concatenate([run.theta[0, -1], run.phi[0, -1]])
        errors.append(np.linalg.norm(z - ode))
    order = np.polyfit(np.log(hs), np.log(errors), 1)[0]
    assert 0.95 < order < 1.05, (order, errors)


def test_simultaneous_spirals_out_alternating_stays_bounded():
    """On the centre ±i/2, simultaneous GD multiplies the radius by √(1 + h²/4) per step
    (near the equilibrium); alternating GD preserves a modified energy."""
    game = make_game("vanilla")
    h, n = 0.05, 4000
    th, ph = 0.01 * START[0], 0.01 * START[1]   # close to the equilibrium: the linear regime
    sim = train(game, th, ph, optimizer="sgd", lr=h, mode="simultaneous", steps=n)
    alt = train(game, th, ph, optimizer="sgd", lr=h, mode="alternating", steps=n)
    r0 = sim.distance()[0, 0]
    growth = sim.distance()[0, -1] / r0
    assert growth == pytest.approx((1 + h**2 / 4) ** (n / 2), rel=0.02)
    assert 0.5 < alt.distance()[0, -1] / r0 < 2.0


def test_ema_of_an_oscillating_run_sits_near_the_equilibrium():
    """The seed's claim: the oscillation's centre is the equilibrium, so the EMA is closer to 0."""
    run = train(make_game("gp1"), *START, optimizer="adam", lr=1e-3, beta1=0.5, beta2=0.9, mode="alternating",
                n_critic=5, steps=3000, ema=0.999)
    assert run.ema_gain()[0] > 3
    van = train(make_game("vanilla"), *START, optimizer="sgd", lr=0.1, mode="simultaneous", steps=2000, ema=0.999)
    assert van.ema_gain()[0] > 10
    tail = van.steps > 1500
    assert np.all(van.distance(ema=True)[0, tail] < van.distance()[0, tail])


def test_ema_follows_averaged_model_semantics():
    """Recorded EMA: the start at step 0, the iterate itself at step 1, then lerp with 1 − decay."""
    decay = 0.9
    run = train(make_game("vanilla"), *START, optimizer="sgd", lr=0.1, steps=5, ema=decay)
    np.testing.assert_array_equal(run.ema_theta[0, 0], START[0])
    np.testing.assert_array_equal(run.ema_theta[0, 1], run.theta[0, 1])
    ema = run.theta[0, 1]
    for k in range(2, 6):
        ema = ema + (1 - decay) * (run.theta[0, k] - ema)
        np.testing.assert_allclose(run.ema_theta[0, k], ema, rtol=1e-15)


def test_divergence_stops_the_run_and_keeps_what_was_computed():
    """gp0 with simultaneous SGD is stable iff lr < 2λ: with per-run learning rates 0.5 and 0.1
    (λ = 0.1), run 0 grows like ρ^k, ρ = |1 + 0.5(−0.1 + 0.995i)| ≈ 1.072, and stops; run 1 goes on."""
    game = make_game("gp0", lam=0.1)
    th, ph = np.vstack([START[0]] * 2), np.vstack([START[1]] * 2)
    run = train(game, th, ph, optimizer="sgd", lr=np.array([[0.5], [0.1]]), mode="simultaneous", steps=3000,
                bound=50.0)
    assert run.status.tolist() == [TrainStatus.DIVERGED, TrainStatus.FINISHED]
    k = run.stop_step[0]
    rho = abs(1 + 0.5 * complex(-0.1, math.sqrt(1 - 0.01)))
    assert k == pytest.approx(math.log(50 / run.distance()[0, 0]) / math.log(rho), abs=8)
    assert "diverged" in run.messages[0] and f"step {k + 1}" in run.messages[0]
    ok = run.valid(0)
    assert np.all(np.isfinite(run.theta[0, ok])) and np.all(np.isnan(run.theta[0, ~ok]))
    assert run.distance()[0, ok][-1] < 50.0
    assert run.valid(1).all() and run.distance()[1, -1] < 1e-3


def test_wgan_clip_keeps_phi_in_the_box():
    run = train(make_game("wgan-clip", clip=0.05), *START, optimizer="rmsprop", lr=5e-3, mode="alternating",
                n_critic=5, steps=500)
    assert np.abs(run.phi[0, 1:]).max() <= 0.05
    assert np.abs(run.phi[0, 1:]).max() == pytest.approx(0.05)   # the clip is active
    assert run.scheme.clip == 0.05


def test_batch_equals_one_by_one_exactly():
    game = make_game("gp1")
    theta, phi = random_starts(5, 3, seed=2)
    kw = dict(optimizer="adam", lr=1e-2, mode="alternating", n_critic=2, steps=300, ema=0.99)
    batch = train(game, theta, phi, **kw)
    for i in range(5):
        alone = train(game, theta[i], phi[i], **kw)
        np.testing.assert_array_equal(batch.theta[i], alone.theta[0])
        np.testing.assert_array_equal(batch.ema_phi[i], alone.ema_phi[0])


def test_record_every_and_ttur_config():
    run = train(make_game("gp0"), *START, optimizer="sgd", lr_d=0.2, lr_g=0.05, steps=10, record_every=4)
    assert run.steps.tolist() == [0, 4, 8, 10]
    assert run.config["lr_d"] == 0.2 and run.config["lr_g"] == 0.05
    assert "lr_d 0.2, lr_g 0.05" in run.scheme.describe()


def test_singular_and_out_of_bound_starts():
    run = train(make_game("qp"), np.array([[0.0, 0.0], [0.2, 0.1]]), np.array([[0.1, 0.2], [0.1, 0.2]]),
                optimizer="sgd", lr=0.1, steps=20)
    assert run.status.tolist() == [TrainStatus.SINGULAR, TrainStatus.FINISHED]
    assert "qp is singular at θ = 0" in run.messages[0] and run.stop_step[0] == 0
    big = train(make_game("gp0"), [1e308, 1e308], [1e308, 1e308], optimizer="sgd", lr=0.1, steps=3)
    assert big.status[0] == TrainStatus.DIVERGED and "nothing to train" in big.messages[0]
