"""The GAN family beyond the seed: regularisers, LSGAN, hinge, relativistic losses, instance noise,
consensus, negative momentum, custom losses, non-smooth fields.

Oracles: closed forms derived by hand here (eigenvalues of J(0), stability thresholds, the hinge's
rotation and its Filippov sliding), the componentwise symbolic route, scipy quadrature for the
Gaussian expectations, a hand-written 2×2 / 4×4 update map for heavy ball.
"""

import math

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner
from scipy import integrate

from conftest import assert_usage_error, random_states
from diracgan.analysis import analyse, discrete_stability, scheme_factory
from diracgan.cli import cli
from diracgan.derivation.numeric import NUMERIC_FUNCTIONS, VectorField, velocity
from diracgan.derivation.symbolic import derive, expand_gaussian_means, explicit_field, gaussian_mean
from diracgan.dynamics.flow import simulate
from diracgan.dynamics.training import train
from diracgan.games import GAMES, REGULARISERS, InputError, compose, custom_game, get_spec, make_game


def run(args):
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="diracgan")


def eig(game, dim=1):
    a = analyse(game, dim)
    return sorted((complex(e.re, e.im) for e in a.eigenvalues for _ in range(e.multiplicity)),
                  key=lambda z: (z.real, z.imag)), a


def sorted_c(values):
    return sorted((complex(v) for v in values), key=lambda z: (z.real, z.imag))


# -- closed forms of J(0) --------------------------------------------------------------------------

@pytest.mark.parametrize("base", ["vanilla", "minimax"])
@pytest.mark.parametrize("gamma", [0.3, 1.0, 2.5])
@pytest.mark.parametrize("reg", ["r1", "r2"])
def test_r1_r2_on_the_sigmoid_games(base, gamma, reg):
    # J(0) = M ⊗ I, M = [[0, 1/2], [−1/2, −γ]]: μ = −γ/2 ± ½√(γ² − 1), each ×d.
    got, a = eig(make_game(compose(GAMES[base], reg), **{f"{reg}_gamma": gamma}), dim=3)
    root = np.sqrt(complex(gamma**2 - 1))
    want = sorted_c([-gamma / 2 + root / 2] * 3 + [-gamma / 2 - root / 2] * 3)
    np.testing.assert_allclose(got, want, atol=1e-12)
    assert a.verdict == "asymptotically stable"


@pytest.mark.parametrize("base", ["vanilla", "minimax", "rsgan"])
@pytest.mark.parametrize("sigma", [0.4, 1.0, 1.7])
def test_instance_noise_on_the_sigmoid_games(base, sigma):
    # Both samples noised: E softplus(±(u)) adds σ²‖φ‖²/8 twice to L_D near 0, so φ' gains −σ²/2·φ:
    # μ = −σ²/4 ± ¼√(σ⁴ − 4).
    got, _ = eig(make_game(compose(GAMES[base], "noise"), noise_sigma=sigma), dim=2)
    root = np.sqrt(complex(sigma**4 - 4))
    want = sorted_c([-sigma**2 / 4 + root / 4] * 2 + [-sigma**2 / 4 - root / 4] * 2)
    np.testing.assert_allclose(got, want, atol=1e-12)


@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_consensus_on_the_saturating_game(gamma):
    # minimax: ‖v‖² = σ(θ·φ)²(‖θ‖² + ‖φ‖²), so both players gain −γ/4 near 0: μ = −γ/4 ± i/2.
    got, _ = eig(make_game(compose(GAMES["minimax"], "consensus"), consensus_gamma=gamma))
    np.testing.assert_allclose(got, sorted_c([-gamma / 4 - 0.5j, -gamma / 4 + 0.5j]), atol=1e-12)


@pytest.mark.parametrize("a, c", [(-1.0, 2.0), (0.5, 3.0), (-1.0, 0.0), (0.0, 1.0)])
def test_lsgan_eigenvalues_and_degenerate_labels(a, c):
    got, an = eig(make_game("lsgan", a=a, b=7.0, c=c))
    root = np.sqrt(complex(a * c))
    np.testing.assert_allclose(got, sorted_c([root, -root]), atol=1e-12)
    assert an.verdict == ("centre" if a * c < 0 else "unstable" if a * c > 0 else "marginal")
    # b drops out of the field (D(x_real) = 0)
    th, ph = np.array([[0.3, -0.2]]), np.array([[0.5, 0.1]])
    np.testing.assert_array_equal(np.concatenate(velocity(make_game("lsgan", a=a, b=7.0, c=c), th, ph)),
                                  np.concatenate(velocity(make_game("lsgan", a=a, b=-2.0, c=c), th, ph)))


def test_relativistic_losses_reduce_to_vanilla_for_point_masses(rng):
    theta, phi = random_states(rng, 50, 3)
    v_t, v_p = velocity(make_game("vanilla"), theta, phi)
    r_t, r_p = velocity(make_game("rsgan"), theta, phi)
    a_t, a_p = velocity(make_game("rasgan"), theta, phi)
    np.testing.assert_allclose(r_t, v_t, rtol=1e-15)
    np.testing.assert_allclose(r_p, v_p, rtol=1e-15)
    np.testing.assert_allclose(a_t, 2 * v_t, rtol=1e-15)
    np.testing.assert_allclose(a_p, 2 * v_p, rtol=1e-15)


def test_dragan_is_the_gp1_penalty_and_lp_vanishes_near_the_equilibrium(rng):
    theta, phi = random_states(rng, 40, 2)
    dragan = make_game(compose(GAMES["gp0"], "dragan"), lam=0.0, dragan_lam=0.3)
    np.testing.assert_allclose(np.concatenate(velocity(dragan, theta, phi)),
                               np.concatenate(velocity(make_game("gp1", lam=0.3), theta, phi)), rtol=1e-13)
    lp = make_game(compose(GAMES["vanilla"], "lp"), lp_lam=0.7)
    norm = np.linalg.norm(phi, axis=1, keepdims=True)
    v_t, v_p = velocity(lp, theta, phi)
    b_t, b_p = velocity(make_game("vanilla"), theta, phi)
    # λ·max(0, ‖φ‖ − 1)² adds −2λ(‖φ‖ − 1)/‖φ‖·φ outside the unit ball, nothing inside
    np.testing.assert_allclose(v_p, b_p - 2 * 0.7 * np.maximum(norm - 1, 0) / norm * phi, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(v_t, b_t, rtol=1e-15)
    _, an = eig(lp)
    assert an.differentiable and an.verdict == "centre"     # the penalty is 0 near φ = 0


def test_consensus_chain_rule_equals_the_componentwise_route(rng):
    spec = compose(GAMES["vanilla"], "consensus")
    velocity_expr, (th_s, ph_s), params = explicit_field(spec, 2)
    f = sp.lambdify(list(th_s) + list(ph_s) + list(params), list(velocity_expr), modules=[NUMERIC_FUNCTIONS, "numpy"])
    theta, phi = random_states(rng, 10, 2)
    got = np.concatenate(velocity(make_game(spec, consensus_gamma=0.8), theta, phi), axis=1)
    want = np.array([f(*t, *p, 0.8) for t, p in zip(theta, phi)], dtype=float)
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("scale, bound", [(0.05, 1e-14), (0.7, 1e-14), (2.0, 1e-13), (4.0, 1e-8)])
def test_noise_expectations_against_quadrature(scale, bound):
    """The numeric Gauss–Hermite rule against adaptive quadrature of E f(m + sZ), f = softplus and σ
    (and the symbolic 40-node rule for code printers, at moderate noise)."""
    from diracgan.derivation.numeric import _gauss_hermite
    from diracgan.derivation.symbolic import sigmoid, softplus

    x = sp.Symbol("x", real=True)
    worst = worst_symbolic = 0.0
    for f, ref in ((softplus, lambda y: np.logaddexp(0, y)), (sigmoid, lambda y: 1 / (1 + np.exp(-y)))):
        for m in (-3.0, -0.4, 0.0, 1.3, 6.0):
            want = integrate.quad(lambda z: ref(m + scale * z) * np.exp(-z * z / 2) / np.sqrt(2 * np.pi),
                                  -40, 40, epsabs=1e-16, epsrel=1e-14, limit=400)[0]
            got = float(_gauss_hermite(ref)(m, scale**2))
            worst = max(worst, abs(got - want) / abs(want))
            if scale <= 0.7:
                sym = float(expand_gaussian_means(gaussian_mean(sp.Lambda(x, f(x)), sp.Float(m), sp.Float(scale**2))))
                worst_symbolic = max(worst_symbolic, abs(sym - want) / abs(want))
    assert worst < bound, worst
    assert worst_symbolic < 1e-14, worst_symbolic


def test_noise_is_exact_for_polynomial_losses(rng):
    # lsgan + noise: E ½(D_fake + u − a)² = ½(θ·φ − a)² + ½σ²‖φ‖²: φ' gains −σ²φ (no quadrature).
    sigma = 0.8
    game = make_game(compose(GAMES["lsgan"], "noise"), a=-1.0, c=0.5, noise_sigma=sigma)
    assert not derive(game.spec).loss_d.has(gaussian_mean)
    theta, phi = random_states(rng, 20, 3)
    v_t, v_p = velocity(game, theta, phi)
    b_t, b_p = velocity(make_game("lsgan", a=-1.0, c=0.5), theta, phi)
    np.testing.assert_allclose(v_t, b_t, rtol=1e-14)
    np.testing.assert_allclose(v_p, b_p - 2 * sigma**2 * phi, rtol=1e-13)  # real and fake: ½σ²b twice


# -- discrete stability with the regularisers ------------------------------------------------------

@pytest.mark.parametrize("gamma", [0.2, 0.6, 1.0])
def test_simultaneous_sgd_with_r1_is_stable_iff_h_below_gamma_over_a_squared(gamma):
    # M = [[0, a], [−a, −γ]], a = σ'·… = 1/2; F = I + hM has |1 + hμ|² = 1 − hγ + h²a² (γ ≤ 2a).
    a = 0.5
    game = make_game(compose(GAMES["vanilla"], "r1"), r1_gamma=gamma)
    h_star = gamma / a**2
    for h, stable in ((0.97 * h_star, True), (1.03 * h_star, False)):
        st = discrete_stability(game, scheme_factory("sgd", lr=h, mode="simultaneous")(), 1)
        assert (st.rho < 1) == stable, (h, st.rho)
        assert st.rho == pytest.approx(math.sqrt(1 - h * gamma + h * h * a * a), rel=1e-12)


@pytest.mark.parametrize("beta", [-0.5, -0.2, 0.3])
def test_alternating_heavy_ball_against_a_hand_derivation(beta):
    """Alternating d-first SGD with momentum β on the bilinear rotation θ' = a φ, φ' = −a θ (gp0 at
    λ = 0, a = 1): with buffers b_φ ← β b_φ + g_φ, φ ← φ − h b_φ, then the same for θ with the
    new φ, the state (θ, φ, b_φ, b_θ) evolves by a 4×4 matrix written out here."""
    h = 0.3
    game = make_game("gp0", lam=0.0)
    st = discrete_stability(game, scheme_factory("sgd", lr=h, momentum=beta, mode="alternating")(), 1)
    # g_φ = θ (∇_φ L_D = θ), g_θ = −φ (∇_θ L_G = −φ); order: D first.
    # b_φ' = β b_φ + θ ; φ' = φ − h b_φ' ; b_θ' = β b_θ − φ' ; θ' = θ − h b_θ'
    F = np.zeros((4, 4))
    for j in range(4):
        th, ph, bp, bt = np.eye(4)[j]
        bp = beta * bp + th
        ph = ph - h * bp
        bt = beta * bt - ph
        th = th - h * bt
        F[:, j] = (th, ph, bp, bt)
    np.testing.assert_allclose(st.matrix, F, atol=1e-15)
    np.testing.assert_allclose(st.rho, max(abs(np.linalg.eigvals(F))), rtol=1e-12)


def test_negative_momentum_trains_and_is_refused_outside_its_range():
    run_ = train(make_game("vanilla"), [0.2, 0.1], [0.1, 0.2], optimizer="sgd", lr=0.1, momentum=-0.5, steps=500)
    assert run_.status[0] == 0
    with pytest.raises(InputError, match="momentum"):
        train(make_game("vanilla"), [0.2], [0.1], optimizer="sgd", lr=0.1, momentum=-1.0, steps=5)
    with pytest.raises(InputError, match="Nesterov"):
        train(make_game("vanilla"), [0.2], [0.1], optimizer="sgd", lr=0.1, momentum=-0.5, nesterov=True, steps=5)


# -- non-smooth fields: hinge rotation and Filippov sliding ----------------------------------------

def _hinge_reference(theta0, phi0, t_max):
    """Hand-written piecewise integration of the hinge field in d dimensions (events at θ·φ = −1):
    above, the rotation (φ, −θ); below, (φ, 0); on the surface while ‖θ‖ > ‖φ‖ both sides push in,
    and the Filippov field is (φ, −(‖φ‖²/‖θ‖²) θ), which keeps θ·φ = −1."""
    d = len(theta0)
    z, t, mode = np.concatenate([theta0, phi0]).astype(float), 0.0, None

    def regime(z):
        th, ph = z[:d], z[d:]
        p = th @ ph
        if abs(p + 1) < 1e-9 and th @ th > ph @ ph:
            return "slide"
        return "above" if p > -1 else "below"

    fields = {"above": lambda t, z: np.concatenate([z[d:], -z[:d]]),
              "below": lambda t, z: np.concatenate([z[d:], 0 * z[:d]]),
              "slide": lambda t, z: np.concatenate([z[d:], -(z[d:] @ z[d:]) / (z[:d] @ z[:d]) * z[:d]])}
    for _ in range(100):   # a handful of regime changes happen; a loop without progress fails, not hangs
        if t >= t_max:
            return z
        mode = regime(z) if mode != "slide" else "above"
        if mode == "slide":
            ev = lambda t, z: z[:d] @ z[:d] - z[d:] @ z[d:]   # noqa: E731  leaves when ‖θ‖ = ‖φ‖
        else:
            ev = lambda t, z: z[:d] @ z[d:] + 1                # noqa: E731
        ev.terminal = True
        if mode == "above" and abs(z[:d] @ z[d:] + 1) < 1e-9:
            # Leaving the surface where the slide ends (‖θ‖ = ‖φ‖, tangency: the rotation's normal
            # speed is 0 there and grows as it moves off): 1e-6 of time without the event first,
            # or the event fires again at once and the loop makes no progress.
            z = integrate.solve_ivp(fields[mode], (t, t + 1e-6), z, method="DOP853", rtol=1e-12, atol=1e-13).y[:, -1]
            t += 1e-6
        sol = integrate.solve_ivp(fields[mode], (t, t_max), z, method="DOP853", rtol=1e-12, atol=1e-13,
                                  events=ev)
        z, t = sol.y[:, -1], sol.t[-1]
        if sol.status == 1 and mode != "slide":
            # Crossed or landed: step a hair along the field of the side it is heading to.
            z = z + 1e-12 * fields["below" if mode == "above" else "above"](t, z)
    raise AssertionError(f"the reference made no progress past t = {t}")


@pytest.mark.parametrize("theta0, phi0", [([1.5], [0.3]), ([1.5], [-0.9]), ([-1.2, 0.3], [1.4, 0.2]),
                                          ([0.2, 0.1], [0.1, 0.2])])
def test_hinge_against_a_piecewise_reference(theta0, phi0):
    t_max = 12.0
    run_ = simulate(make_game("hinge"), theta0, phi0, t_max=t_max, rtol=1e-11, atol=1e-12)
    assert run_.ok.all()
    want = _hinge_reference(np.array(theta0), np.array(phi0), t_max)
    np.testing.assert_allclose(run_.state_end[0], want, atol=1e-9)   # measured: ≤ 1e-10


def test_hinge_is_an_exact_rotation_while_theta_dot_phi_stays_above_minus_one():
    theta0, phi0 = np.array([0.2, 0.1]), np.array([0.1, 0.2])
    run_ = simulate(make_game("hinge"), theta0, phi0, t_max=10, samples=101)
    t = run_.t[:, None]
    np.testing.assert_allclose(run_.theta[0], theta0 * np.cos(t) + phi0 * np.sin(t), atol=1e-9)
    np.testing.assert_allclose(run_.phi[0], phi0 * np.cos(t) - theta0 * np.sin(t), atol=1e-9)
    assert run_.options["switch_landings"] == 0


def test_non_smooth_losses_work_in_every_analysis(tmp_path):
    spec = custom_game("abs(dot) + relu(phi_norm - 1)**2", "-dot")
    game = make_game(spec)
    an = analyse(game, 2)
    assert not an.differentiable and "switching surface θ·φ = 0" in an.differentiability_text()
    assert any(term == "Abs(θ·φ)" for _, term, _ in an.culprits)
    jac = VectorField(derive(spec)).jacobian(np.array([0.3, 0.1]), np.array([0.2, -0.4]))
    assert np.all(np.isfinite(jac))
    r = simulate(game, [0.5, 0.2], [0.3, -0.1], t_max=5, method="Radau")
    assert r.ok.all()
    res = run(["eig", "--loss-d", "abs(dot)", "--loss-g", "-dot", "--horizon", "20"])
    assert res.exit_code == 0, res.output
    assert "switching surface" in res.stdout


# -- custom losses ----------------------------------------------------------------------------------

def test_custom_game_equals_the_registered_one(rng):
    spec = custom_game("softplus(d_fake) + softplus(-d_real)", "softplus(-dot)")
    theta, phi = random_states(rng, 30, 3)
    np.testing.assert_array_equal(np.concatenate(velocity(make_game(spec), theta, phi)),
                                  np.concatenate(velocity(make_game("vanilla"), theta, phi)))
    gp = custom_game("dot + lam*(phi_norm - 1)**2", "-dot", {"lam": 0.3})
    np.testing.assert_allclose(np.concatenate(velocity(make_game(gp), theta, phi)),
                               np.concatenate(velocity(make_game("gp1", lam=0.3), theta, phi)), rtol=1e-14)


@pytest.mark.parametrize("bad, fragment", [
    ("__import__('os').system('true')", "not an allowed function"),
    ("dot.real", "Attribute is not allowed"),
    ("(lambda: 1)()", "not an allowed function"),
    ("foo", "unknown name 'foo'"),
    ("dot if dot else 1", "IfExp is not allowed"),
    ("'a'", "is not a number"),
    ("exp(dot, 2)", "takes one argument"),
    ("softplus(x=dot)", "keyword"),
    ("[dot][0]", "not allowed"),
    ("dot +", "not an expression"),
    ("1e999", "not a finite number"),
])
def test_custom_losses_refuse_anything_off_the_grammar(bad, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="loss"):
        custom_game(bad, "-dot")
    assert_usage_error(run(["eig", "--loss-d", bad, "--loss-g", "-dot"]), fragment, tmp_path)


@pytest.mark.parametrize("args, fragment", [
    (["eig", "--loss-d", "dot"], "give both --loss-d and --loss-g"),
    (["eig", "--loss", "vanilla", "--loss-d", "dot", "--loss-g", "-dot"], "not both"),
    (["eig", "--reg", "nope"], "unknown regulariser 'nope'"),
    (["eig", "--reg", "r1:gama=2"], "r1 has no parameter 'gama'"),
    (["eig", "--reg", "r1", "--reg", "r1"], "given twice"),
    (["eig", "--loss", "wgan", "--reg", "r1"], "normalised"),
    (["eig", "--loss", "lsgan", "--param", "q=1"], "no parameter 'q'"),
    (["eig", "--loss-d", "dot*k", "--loss-g", "-dot", "--param", "dot=1"], "taken by an invariant"),
    (["train", "--optimizer", "sgd", "--momentum", "-1.5"], "momentum"),
])
def test_family_usage_errors(args, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_usage_error(run(args), fragment, tmp_path)


def test_every_command_takes_regularisers_and_custom_losses(tmp_path):
    custom = ["--loss-d", "softplus(dot) + g/2*phi_sq", "--loss-g", "softplus(-dot)", "--param", "g=0.5"]
    for args in (["simulate", "--loss", "vanilla", "--reg", "r1:gamma=0.5", "-T", "2"],
                 ["simulate", *custom, "-T", "2"],
                 ["phase", "--loss", "minimax", "--reg", "consensus", "-T", "2", "-o", tmp_path / "p.png"],
                 ["eig", "--loss", "vanilla", "--reg", "noise:sigma=0.5", "--no-numeric"],
                 ["eig", *custom, "--no-numeric"],
                 ["train", "--loss", "hinge", "--reg", "l2:gamma=0.1", "--steps", "50", "--lr", "0.05"],
                 ["train", *custom, "--steps", "50", "--lr", "0.05", "--momentum", "-0.3"],
                 ["stability", "--loss", "vanilla", "--reg", "r1:gamma=1", "--lr", "0.5", "--mode", "simultaneous"],
                 ["stability", *custom, "--lr", "0.1", "--momentum", "-0.4"],
                 ["animate", "--loss", "lsgan", "--param", "a=-1", "--c", "1", "--frames", "4", "-T", "1",
                  "-o", tmp_path / "a.gif"]):
        res = run(args)
        assert res.exit_code == 0, (args, res.output)


def test_stability_of_regularised_game_matches_eig():
    game = make_game(compose(GAMES["vanilla"], "r1"), r1_gamma=1.0)
    res = run(["stability", "--loss", "vanilla", "--reg", "r1:gamma=1", "--lr", "0.5", "--mode", "simultaneous",
               "--json"])
    import json

    data = json.loads(res.stdout)
    st = discrete_stability(game, scheme_factory("sgd", lr=0.5, mode="simultaneous")(), 2)
    assert data["spectral_radius"] == pytest.approx(st.rho, rel=1e-14)
    assert data["spectral_radius"] == pytest.approx(math.sqrt(1 - 0.5 + 0.25 * 0.25), rel=1e-12)


def test_games_lists_every_regulariser_with_its_constant_and_reference():
    res = run(["games"])
    assert res.exit_code == 0
    for reg in REGULARISERS.values():
        assert reg.name in res.stdout and reg.term in res.stdout and reg.reference in res.stdout
    assert "gp1 penalty" in res.stdout     # DRAGAN = gp1 for a linear D


def test_composed_names_resolve():
    assert get_spec("vanilla+r1+consensus").param_names == ("r1_gamma", "consensus_gamma")
    with pytest.raises(InputError, match="unknown regulariser"):
        get_spec("vanilla+nope")


@pytest.mark.parametrize("name, params", [("vanilla+noise", {"noise_sigma": 0.9}),
                                          ("minimax+consensus", {"consensus_gamma": 0.7}),
                                          ("hinge+lp", {"lp_lam": 0.4}),
                                          ("rasgan+r1+noise", {"r1_gamma": 0.3, "noise_sigma": 0.5})])
def test_jacobian_of_composed_games_against_finite_differences(name, params, rng):
    game = make_game(name, **params)
    vf = VectorField(derive(game.spec))
    theta, phi = random_states(rng, 6, 2, scale=0.8)
    z = np.concatenate([theta, phi], axis=1)
    jac = vf.rhs_jacobian(z, game.param_values())
    h = 1e-6
    fd = np.empty_like(jac)
    for k in range(z.shape[1]):
        e = np.zeros(z.shape[1])
        e[k] = h
        fd[:, :, k] = (vf.rhs(z + e, game.param_values()) - vf.rhs(z - e, game.param_values())) / (2 * h)
    np.testing.assert_allclose(jac, fd, rtol=1e-6, atol=1e-8)
