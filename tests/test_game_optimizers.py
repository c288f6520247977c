"""Game optimizers (SGA, CGD, HGD, optimistic Adam, Lookahead-minmax) against closed forms.

The bilinear game is gp0 with λ = 0: L_D = θ·φ, L_G = −θ·φ, so θ' = φ, φ' = −θ, i.e. the field
v = B z with B = [[0, 1], [−1, 0]] (⊗ I_d), ξ = −v, H = −B, A = H (S = 0).  Hand-derived here:

* SGA: Aᵀξ = (θ, φ), ξ_λ = (−φ + λθ, θ + λφ); the flow ż = −ξ_λ = [[−λ, 1], [−1, −λ]] z has
  eigenvalues −λ ± i (it spirals in at rate λ).  One step: I − η[[λ, −1], [1, λ]].
* CGD (Schäfer & Anandkumar): D²_xy f = −I, D²_yx g = I ⇒ Δθ = η(φ − ηθ)/(1 + η²),
  Δφ = −η(θ + ηφ)/(1 + η²): the step is [[1, η], [−η, 1]]/(1 + η²), with eigenvalues
  (1 ± iη)/(1 + η²) and spectral radius 1/√(1 + η²) < 1 for every η > 0.
* HGD: ∇ℋ = Hᵀξ = z, so z ← (1 − η) z: pure contraction, no rotation.
* Lookahead-minmax around simultaneous GD (μ = 1 ± iη): one cycle of k steps is
  (1 − α) I + α Fᵏ with eigenvalues 1 − α + α μᵏ.
"""

import numpy as np
import pytest

from diracgan import make_game
from diracgan.derivation.numeric import jacobian, velocity
from diracgan.dynamics.game_optimizers import (
    CGD,
    HGD,
    SGA,
    GameScheme,
    OptimisticAdam,
    StructuredJacobian,
    adjusted_gradient,
    game_scheme,
    linear_update_matrix,
    lookahead_matrix,
    parse_lookahead,
    spectral_radius,
)
from diracgan.dynamics.optimizers import SGD
from diracgan.dynamics.training import train
from diracgan.errors import InputError

B = np.array([[0.0, 1.0], [-1.0, 0.0]])


@pytest.fixture(scope="module")
def bilinear():
    return make_game("gp0", lam=0.0)


def _states(n=6, d=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(n, d))


def _one_step(scheme, game, theta, phi):
    run = train(game, theta, phi, scheme=scheme, steps=1)
    return run.theta[:, 1], run.phi[:, 1]


@pytest.mark.parametrize("lam", [0.0, 0.3, 1.0, 2.5])
def test_sga_flow_eigenvalues_on_the_bilinear_game(bilinear, lam):
    # The step is I − η·(ξ_λ's matrix), so (F − I)/η is the SGA flow's matrix.
    eta = 0.05
    f = linear_update_matrix(SGA(lam=lam), B, eta, eta)[0]
    flow = (f - np.eye(2)) / eta
    ev = np.sort_complex(np.linalg.eigvals(flow))
    assert np.allclose(ev, [-lam - 1j, -lam + 1j], atol=1e-12)
    # The same on the derived game at random states, d = 3: −ξ_λ = (φ − λθ, −θ − λφ).
    theta, phi = _states()
    g_t, g_p = adjusted_gradient(bilinear, SGA(lam=lam), eta, eta)(theta, phi)
    assert np.allclose(-g_t, phi - lam * theta, atol=1e-14)
    assert np.allclose(-g_p, -theta - lam * phi, atol=1e-14)


@pytest.mark.parametrize("eta", [0.01, 0.1, 0.5, 1.0, 3.0])
def test_cgd_contraction_factor_on_the_bilinear_game(bilinear, eta):
    f = linear_update_matrix(CGD(), B, eta, eta)[0]
    assert np.allclose(f, np.array([[1, eta], [-eta, 1]]) / (1 + eta**2), atol=1e-15)
    assert spectral_radius(f) == pytest.approx(1 / np.sqrt(1 + eta**2), rel=1e-13)
    theta, phi = _states(d=2)
    th1, ph1 = _one_step(game_scheme(bilinear, "cgd", lr=eta), bilinear, theta, phi)
    assert np.allclose(th1, (theta + eta * phi) / (1 + eta**2), atol=1e-14)
    assert np.allclose(ph1, (phi - eta * theta) / (1 + eta**2), atol=1e-14)


@pytest.mark.parametrize("game_name", ["vanilla", "minimax", "lsgan", "gp1"])
def test_cgd_equals_the_dense_general_sum_formula(game_name):
    """Δx = −η_x (I − η_x η_y D²_xy f D²_yx g)⁻¹ (∇_x f − η_y D²_xy f ∇_y g), and the same for
    y, with dense d×d blocks of the lambdified Jacobian and np.linalg.solve (unequal steps)."""
    game = make_game(game_name)
    theta, phi = _states(n=5, d=3, seed=1)
    eg, ed = 0.3, 0.7
    vt, vp = velocity(game, theta, phi)
    jac = jacobian(game, theta, phi)
    d = theta.shape[1]
    dxy_f, dyx_g = -jac[:, :d, d:], -jac[:, d:, :d]
    gx_f, gy_g = -vt, -vp
    eye = np.eye(d)
    mx = eye - eg * ed * dxy_f @ dyx_g
    my = eye - eg * ed * dyx_g @ dxy_f
    dx = -eg * np.linalg.solve(mx, (gx_f - ed * np.einsum("nij,nj->ni", dxy_f, gy_g))[..., None])[..., 0]
    dy = -ed * np.linalg.solve(my, (gy_g - eg * np.einsum("nij,nj->ni", dyx_g, gx_f))[..., None])[..., 0]
    th1, ph1 = _one_step(game_scheme(game, "cgd", lr_d=ed, lr_g=eg), game, theta, phi)
    assert np.allclose(th1 - theta, dx, rtol=1e-12, atol=1e-14)
    assert np.allclose(ph1 - phi, dy, rtol=1e-12, atol=1e-14)


def test_structured_products_equal_dense_jacobian_products():
    """The span-of-(θ, φ) arithmetic against dense 2d×2d Jacobians: J w, Jᵀ w for w = U ω."""
    game = make_game("vanilla+r1")
    theta, phi = _states(n=4, d=4, seed=2)
    sj = StructuredJacobian.of_game(game, theta, phi)
    jac = jacobian(game, theta, phi)
    rng = np.random.default_rng(3)
    w_t, w_p = tuple(rng.normal(size=(2, 4))), tuple(rng.normal(size=(2, 4)))
    w = np.concatenate([sj.vector(w_t), sj.vector(w_p)], axis=1)
    for transpose, mat in ((False, jac), (True, np.swapaxes(jac, 1, 2))):
        got = np.concatenate([sj.vector(x) for x in sj.apply(w_t, w_p, transpose=transpose)], axis=1)
        assert np.allclose(got, np.einsum("nij,nj->ni", mat, w), atol=1e-14)
    vt, vp = velocity(game, theta, phi)
    assert np.allclose(sj.vector(sj.field[0]), vt, atol=1e-15) and np.allclose(sj.vector(sj.field[1]), vp, atol=1e-15)


@pytest.mark.parametrize("game_name", ["vanilla", "lsgan", "gp1"])
def test_compiled_kernel_equals_the_structured_arithmetic(game_name):
    """adjusted_gradient (sympy-compiled) = GameOptimizer.gradient on the numeric structured
    Jacobian (two routes through the same formulas: printing and cse against plain numpy)."""
    game = make_game(game_name)
    theta, phi = _states(n=7, d=3, seed=8)
    lr_d, lr_g = np.full((7, 1), 0.3), 0.2
    for opt in (SGA(lam=0.7), SGA(lam=-0.4, align=True), HGD(), CGD()):
        kernel = adjusted_gradient(game, opt, lr_d, lr_g)(theta, phi)
        plain = opt.gradient(StructuredJacobian.of_game(game, theta, phi), lr_d, lr_g)
        for k, p in zip(kernel, plain):
            assert np.allclose(k, p, rtol=1e-12, atol=1e-14), opt


@pytest.mark.parametrize("eta", [0.1, 0.5])
def test_hgd_is_a_pure_contraction_on_the_bilinear_game(bilinear, eta):
    theta, phi = _states()
    th1, ph1 = _one_step(game_scheme(bilinear, "hgd", lr=eta), bilinear, theta, phi)
    assert np.allclose(th1, (1 - eta) * theta, atol=1e-15)
    assert np.allclose(ph1, (1 - eta) * phi, atol=1e-15)
    f = linear_update_matrix(HGD(), B, eta, eta)[0]
    assert np.allclose(f, (1 - eta) * np.eye(2), atol=1e-15)


@pytest.mark.parametrize("k, alpha, eta", [(5, 0.5, 0.1), (3, 0.8, 0.3), (10, 0.3, 0.05), (4, 1.0, 0.2)])
def test_lookahead_spectral_radius_from_the_base_eigenvalues(bilinear, k, alpha, eta):
    # Base: simultaneous GD on θ' = φ, φ' = −θ, F = I + ηB, μ = 1 ± iη.  Apply one Lookahead cycle
    # of the training loop to the unit vectors (d = 1) and compare with the closed form.
    scheme = GameScheme(SGD(lr=eta), SGD(lr=eta), mode="simultaneous", lookahead_k=k, lookahead_alpha=alpha)
    run = train(bilinear, np.array([[1.0], [0.0]]), np.array([[0.0], [1.0]]), scheme=scheme, steps=k)
    cycle = np.stack([run.theta[:, k, 0], run.phi[:, k, 0]], axis=0)    # columns: images of e_θ, e_φ
    mu = np.array([1 + 1j * eta, 1 - 1j * eta])
    expected = 1 - alpha + alpha * mu**k
    assert np.allclose(np.sort_complex(np.linalg.eigvals(cycle)), np.sort_complex(expected), atol=1e-13)
    assert spectral_radius(cycle) == pytest.approx(np.max(np.abs(expected)), rel=1e-12)
    assert np.allclose(cycle, lookahead_matrix(np.eye(2) + eta * B, k, alpha), atol=1e-14)


def test_lookahead_stabilises_divergent_gd_and_combines_with_game_optimizers(bilinear):
    # |μ| = √1.01 > 1 diverges; with k = 20, α = 0.5 the rotation arg μ²⁰ ≈ 2 rad pulls inside.
    base = np.max(np.abs(1 + 0.1j))
    la = np.max(np.abs(1 - 0.5 + 0.5 * (1 + 0.1j) ** 20))
    assert base > 1 > la
    run = train(bilinear, [1.0], [0.0], scheme=game_scheme(bilinear, "sgd", lr=0.1, mode="simultaneous",
                                                            lookahead=(20, 0.5)), steps=200)
    assert run.distance()[0, -1] == pytest.approx(la**10, rel=1e-9)
    run = train(bilinear, [1.0], [0.0], scheme=game_scheme(bilinear, "cgd", lr=0.5, lookahead=(2, 0.5)), steps=4)
    f = lookahead_matrix(linear_update_matrix(CGD(), B, 0.5, 0.5)[0], 2, 0.5)
    z = np.linalg.matrix_power(f, 2) @ np.array([1.0, 0.0])
    assert np.allclose([run.theta[0, -1, 0], run.phi[0, -1, 0]], z, atol=1e-14)


def test_spectral_radius_predicts_the_local_contraction_on_vanilla():
    """Near 0 vanilla is v ≈ M z, M = [[0, ½], [−½, 0]]: the measured per-step contraction of a
    tiny start over 200 steps matches ρ of each linearisable update map."""
    game = make_game("vanilla")
    m = np.array([[0.0, 0.5], [-0.5, 0.0]])
    for opt, name in ((SGA(lam=0.5), "sga"), (HGD(), "hgd"), (CGD(), "cgd")):
        f = linear_update_matrix(opt, m, 0.2, 0.2)
        rho = float(spectral_radius(f)[0])
        scheme = game_scheme(game, name, lr=0.2, sga_lambda=0.5 if name == "sga" else None)
        run = train(game, [1e-7, 0.0], [0.0, 1e-7], scheme=scheme, steps=200)
        measured = (run.distance()[0, -1] / run.distance()[0, 0]) ** (1 / 200)
        assert measured == pytest.approx(rho, rel=1e-6), name
        assert rho < 1


def test_sga_alignment_matches_the_dense_algorithm():
    """Algorithm 1 of Balduzzi et al. with dense matrices on random linear games v = M z."""
    rng = np.random.default_rng(4)
    n = 400
    m = rng.normal(size=(n, 2, 2))
    theta, phi = rng.normal(size=(n, 1)), rng.normal(size=(n, 1))
    z = np.concatenate([theta, phi], axis=1)
    h = -m
    xi = -np.einsum("nij,nj->ni", m, z)
    a = (h - np.swapaxes(h, 1, 2)) / 2
    at_xi = np.einsum("nji,nj->ni", a, xi)
    grad_h = np.einsum("nji,nj->ni", h, xi)
    sign = np.sign(np.sum(xi * grad_h, 1) * np.sum(at_xi * grad_h, 1) / 2 + 0.1)
    assert (sign < 0).any() and (sign > 0).any()
    expected = xi + 0.7 * sign[:, None] * at_xi
    got = SGA(lam=0.7, align=True).gradient(StructuredJacobian.linear(m, theta, phi))
    assert np.allclose(np.concatenate(got, axis=1), expected, atol=1e-13)


def test_optimistic_adam_follows_algorithm_1():
    """wₜ = wₜ₋₁ − 2η m̂ₜ/(√v̂ₜ + ε) + η m̂ₜ₋₁/(√v̂ₜ₋₁ + ε), a hand loop over a gradient sequence."""
    rng = np.random.default_rng(5)
    grads = rng.normal(size=(12, 3))
    lr, b1, b2, eps = 0.01, 0.5, 0.9, 1e-8
    opt = OptimisticAdam(lr=lr, beta1=b1, beta2=b2, eps=eps)
    p = np.zeros(3)
    state = opt.init(p)
    w, m, v, prev = np.zeros(3), np.zeros(3), np.zeros(3), None
    for t, g in enumerate(grads, start=1):
        p = opt.step(p, g, state)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        u = (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        w = w - lr * u if prev is None else w - 2 * lr * u + lr * prev
        prev = u
        assert np.allclose(p, w, rtol=1e-13, atol=1e-16)


def test_game_optimizers_refuse_bad_input(bilinear):
    for k, alpha in ((0, 0.5), (-2, 0.5), (1.5, 0.5), (5, 0.0), (5, 1.5), (5, -0.1)):
        with pytest.raises(InputError, match="lookahead"):
            parse_lookahead(k, alpha)
    for name in ("hinge", "wgan-clip"):
        with pytest.raises(InputError, match="second derivatives"):
            game_scheme(make_game(name), "cgd", lr=0.1)
    with pytest.raises(InputError, match="simultaneous"):
        game_scheme(bilinear, "sga", lr=0.1, mode="alternating")
    with pytest.raises(InputError, match="sga_lambda"):
        game_scheme(bilinear, "cgd", lr=0.1, sga_lambda=1.0)
    with pytest.raises(InputError, match="momentum"):
        game_scheme(bilinear, "cgd", lr=0.1, momentum=0.5)
    with pytest.raises(InputError, match="align"):
        linear_update_matrix(SGA(align=True), B, 0.1, 0.1)


def test_torch_counterparts_match_numpy_step_by_step():
    """Each numpy game optimizer equals its autograd/CG torch counterpart (the check rows)."""
    pytest.importorskip("torch")
    from diracgan.torchgan.game_optimizers import check_game_optimizers

    rows = check_game_optimizers(steps=15)
    assert len(rows) == 8
    for row in rows:
        assert row.passed and row.measured <= 1e-12, (row.case, row.detail)


def test_torch_cgd_reports_conjugate_gradients_that_do_not_converge():
    pytest.importorskip("torch")
    from diracgan.dynamics.training import TrainStatus
    from diracgan.torchgan.game_optimizers import train_torch_game

    game = make_game("vanilla")
    run = train_torch_game(game, [0.3, 0.1], [0.2, -0.4], game_scheme(game, "cgd", lr=0.5), steps=3, cg_max_iter=1)
    assert run.status[0] == TrainStatus.NOT_CONVERGED and run.stop_step[0] == 0
    assert "did not reach the relative residual" in run.messages[0]
    assert "1 not converged" in run.summary()
