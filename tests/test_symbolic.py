"""The derived fields and Jacobians against independent routes.

Oracles: hand-written closed forms (closed_forms.py), the componentwise sympy derivation
(a different route through sympy: losses written in θ_1..θ_d, φ_1..φ_d and differentiated
directly), high-precision ``subs().evalf()``, central finite differences, and cse on vs off.
"""

import numpy as np
import pytest
import sympy as sp

import closed_forms
from conftest import ALL_GAMES, random_params, random_states
from diracgan.derivation.numeric import VectorField, jacobian, vector_field, velocity
from diracgan.games import GAMES, compose, make_game
from diracgan.derivation.symbolic import INVARIANTS, derive, explicit_field, sigmoid, softplus, to_latex, to_text


def _explicit_exp(expr):
    """σ and softplus written out with exponentials, so plain numpy evaluates them."""
    return expr.replace(sigmoid, lambda x: 1 / (1 + sp.exp(-x))).replace(softplus, lambda x: sp.log(1 + sp.exp(x)))


@pytest.mark.parametrize("name", ALL_GAMES)
@pytest.mark.parametrize("dim", [1, 2, 3, 7])
def test_field_equals_hand_written_closed_form(name, dim, rng):
    spec = GAMES[name]
    for _ in range(3):
        params = random_params(spec, rng)
        game = make_game(name, **params)
        theta, phi = random_states(rng, 50, dim)
        got_t, got_p = velocity(game, theta, phi)
        want_t, want_p = closed_forms.FIELDS[name](theta, phi, **params)
        # Rounding is relative to the size of the terms that cancel (e.g. wgan in d = 1,
        # where −θ/‖φ‖ + (θ·φ)φ/‖φ‖³ = 0), not to the result.
        nt = np.linalg.norm(theta, axis=1, keepdims=True)
        nphi = np.linalg.norm(phi, axis=1, keepdims=True)
        term = (1 + nt + nphi) ** 2 * (1 + 1 / nphi) * (1 + 1 / min(params.values(), default=1.0))
        np.testing.assert_array_less(np.abs(got_t - want_t), 1e-12 * np.abs(want_t) + 1e-14 * term)
        np.testing.assert_array_less(np.abs(got_p - want_p), 1e-12 * np.abs(want_p) + 1e-14 * term)


@pytest.mark.parametrize("name", ALL_GAMES)
@pytest.mark.parametrize("dim", [1, 2, 3])
def test_invariant_route_equals_componentwise_sympy(name, dim, rng):
    """The chain rule through (θ·φ, ‖θ‖², ‖φ‖²) equals differentiating the components."""
    spec = GAMES[name]
    velocity, (theta_s, phi_s), param_syms = explicit_field(spec, dim)
    # σ and softplus rewritten as exponentials: plain numpy, not the library's functions.
    f = sp.lambdify([theta_s, phi_s, param_syms], [_explicit_exp(e) for e in velocity], modules="numpy")
    vf = vector_field(spec)
    for _ in range(5):
        params = random_params(spec, rng)
        values = tuple(params[p.name] for p in spec.params)
        theta, phi = random_states(rng, 1, dim)
        want = np.array(f(theta[0], phi[0], values), dtype=float)
        got = np.concatenate(vf(theta[0], phi[0], values))
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["gp0", "gp1", "qp", "wgan", "gp"])
def test_invariant_route_is_symbolically_the_componentwise_field(name):
    """For the algebraic games the two routes agree exactly (sympy simplifies the difference to 0)."""
    spec = GAMES[name]
    dim = 2
    velocity, (theta_s, phi_s), params = explicit_field(spec, dim)
    der = derive(spec)
    p, a, b = INVARIANTS
    subs = {p: sum(t * f for t, f in zip(theta_s, phi_s)), a: sum(t**2 for t in theta_s),
            b: sum(f**2 for f in phi_s)}
    g = {v: {u: der.coefficients[v][u].subs(subs) for u in ("theta", "phi")} for v in ("theta", "phi")}
    th, ph = sp.Matrix(theta_s), sp.Matrix(phi_s)
    derived = sp.Matrix.vstack(g["theta"]["theta"] * th + g["theta"]["phi"] * ph,
                               g["phi"]["theta"] * th + g["phi"]["phi"] * ph)
    assert sp.simplify(derived - velocity) == sp.zeros(2 * dim, 1)


@pytest.mark.parametrize("name", ALL_GAMES)
def test_lambdified_equals_substituted_evalf(name, rng):
    spec = GAMES[name]
    der = derive(spec)
    vf = vector_field(spec)
    exprs = der.field_exprs() + der.jacobian_exprs()
    f_field, f_jac = vf._field, vf._jacobian
    for _ in range(4):
        theta, phi = random_states(rng, 1, 3)
        params = random_params(spec, rng)
        values = [params[p.name] for p in spec.params]
        inv = vf.invariants(theta[0], phi[0])
        numeric = list(f_field(*inv, *values)) + list(f_jac(*inv, *values))
        subs = dict(zip(der.args, [sp.Float(x, 30) for x in (*inv, *values)]))
        for expr, got in zip(exprs, numeric):
            want = float(expr.subs(subs).evalf(30))
            assert got == pytest.approx(want, rel=1e-13, abs=1e-15), str(expr)


@pytest.mark.parametrize("name", ALL_GAMES)
def test_cse_on_equals_cse_off(name, rng):
    spec = GAMES[name]
    on, off = vector_field(spec), VectorField(derive(spec), cse=False)
    params = tuple(random_params(spec, rng).values())
    theta, phi = random_states(rng, 40, 4)
    np.testing.assert_allclose(np.concatenate(on(theta, phi, params)), np.concatenate(off(theta, phi, params)),
                               rtol=1e-15, atol=0)
    np.testing.assert_allclose(on.jacobian(theta, phi, params), off.jacobian(theta, phi, params), rtol=1e-14,
                               atol=1e-15)


@pytest.mark.parametrize("name", ALL_GAMES)
@pytest.mark.parametrize("dim", [1, 2, 5])
def test_jacobian_matches_central_differences(name, dim, rng):
    spec = GAMES[name]
    game = make_game(name, **random_params(spec, rng))
    theta, phi = random_states(rng, 6, dim)
    z = np.hstack([theta, phi])
    jac = vector_field(game.spec).rhs_jacobian(z, game.param_values())
    h = 1e-6
    fd = np.empty_like(jac)
    for k in range(2 * dim):
        e = np.zeros(2 * dim)
        e[k] = h
        fd[:, :, k] = (vector_field(game.spec).rhs(z + e, game.param_values()) - vector_field(game.spec).rhs(z - e, game.param_values())) / (2 * h)
    np.testing.assert_allclose(jac, fd, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["vanilla", "gp1", "qp", "wgan"])
def test_jacobian_equals_componentwise_sympy_jacobian(name, rng):
    spec = GAMES[name]
    dim = 2
    velocity, (theta_s, phi_s), param_syms = explicit_field(spec, dim)
    jac_expr = velocity.jacobian(list(theta_s) + list(phi_s)).applyfunc(_explicit_exp)
    f = sp.lambdify([theta_s, phi_s, param_syms], jac_expr, modules="numpy")
    params = random_params(spec, rng)
    values = tuple(params[p.name] for p in spec.params)
    vf = vector_field(spec)
    for _ in range(4):
        theta, phi = random_states(rng, 1, dim)
        np.testing.assert_allclose(vf.jacobian(theta[0], phi[0], values), np.array(f(theta[0], phi[0], values),
                                                                                    dtype=float),
                                   rtol=1e-12, atol=1e-14)


def test_batch_shapes_and_parameter_grids(rng):
    """Parameters broadcast against the batch: one call evaluates a whole λ-grid."""
    game = make_game("gp0")
    vf = vector_field(game.spec)
    theta, phi = random_states(rng, 1, 3)
    lams = np.linspace(0, 2, 7)
    dt, dp = vf(np.broadcast_to(theta, (7, 3)), np.broadcast_to(phi, (7, 3)), (lams,))
    for i, lam in enumerate(lams):
        want_t, want_p = closed_forms.gp0(theta, phi, lam)
        np.testing.assert_allclose(dp[i], want_p[0], rtol=1e-14)
        np.testing.assert_allclose(dt[i], want_t[0], rtol=1e-14)
    assert vf.jacobian(theta[0], phi[0], (0.1,)).shape == (6, 6)
    assert vf.jacobian(np.zeros((4, 5, 3)), np.ones((4, 5, 3)), (0.1,)).shape == (4, 5, 6, 6)


def test_softplus_sigmoid_are_stable_for_large_arguments():
    game = make_game("vanilla")
    theta = np.array([[40.0, 40.0], [-40.0, -40.0]])
    phi = np.array([[40.0, 40.0], [40.0, 40.0]])   # θ·φ = ±3200: exp would overflow
    dt, dp = velocity(game, theta, phi)
    assert np.all(np.isfinite(dt)) and np.all(np.isfinite(dp))
    np.testing.assert_allclose(dp[0], -theta[0])          # σ(3200) = 1
    np.testing.assert_allclose(dt[0], 0.0, atol=1e-300)   # 1 − σ(3200) = 0
    np.testing.assert_allclose(dt[1], phi[1])             # 1 − σ(−3200) = 1
    np.testing.assert_allclose(dp[1], 0.0, atol=1e-300)   # σ(−3200) = 0
    assert np.all(np.isfinite(jacobian(game, theta, phi)))


def test_singular_points_give_non_finite_not_errors():
    for name, theta, phi in [("wgan", [0.3, 0.1], [0.0, 0.0]), ("gp1", [0.3, 0.1], [0.0, 0.0]),
                             ("qp", [0.0, 0.0], [0.1, 0.2])]:
        dt, dp = velocity(make_game(name), np.array(theta), np.array(phi))
        assert not np.all(np.isfinite(np.concatenate([dt, dp]))), name


def test_preset_substitutes_before_differentiating():
    """gp0 is gp with c = 0 substituted exactly: its coefficients are constants (no 1/‖φ‖)."""
    der = derive(GAMES["gp0"])
    lam = der.params[0]
    assert der.coefficients["phi"]["phi"] == -2 * lam
    assert der.coefficients["phi"]["theta"] == -1
    assert der.coefficients["theta"]["phi"] == 1
    # gp with c = 0 bound numerically equals gp0.
    theta, phi = np.array([0.3, -0.2]), np.array([0.1, 0.5])
    np.testing.assert_allclose(np.concatenate(velocity(make_game("gp", lam=0.3, c=0.0), theta, phi)),
                               np.concatenate(velocity(make_game("gp0", lam=0.3), theta, phi)), rtol=1e-15)


@pytest.mark.parametrize("reg", ["r1", "r2", "l2"])
def test_regularisers_add_the_same_phi_damping(reg, rng):
    """With a linear D, R1, R2 and L2 decay all add −γφ to φ' (and nothing to θ')."""
    spec = compose(GAMES["vanilla"], reg)
    gamma = 0.7
    game = make_game(spec, **{f"{reg}_gamma": gamma})
    theta, phi = random_states(rng, 20, 3)
    dt, dp = velocity(game, theta, phi)
    want_t, want_p = closed_forms.vanilla(theta, phi)
    np.testing.assert_allclose(dt, want_t, rtol=1e-13)
    np.testing.assert_allclose(dp, want_p - gamma * phi, rtol=1e-13, atol=1e-15)


def test_gp0_is_the_bilinear_game_with_l2_decay(rng):
    """gp0 with λ equals the bilinear WGAN game plus L2 decay γ = 2λ."""
    lam = 0.35
    bilinear_l2 = make_game(compose(GAMES["wgan-clip"], "l2"), clip=0.01, l2_gamma=2 * lam)
    theta, phi = random_states(rng, 20, 4)
    np.testing.assert_allclose(np.concatenate(velocity(bilinear_l2, theta, phi)),
                               np.concatenate(velocity(make_game("gp0", lam=lam), theta, phi)), rtol=1e-14)


def test_display_text_and_latex():
    assert to_text(derive(GAMES["gp0"]).loss_d) == "λ·‖φ‖^2 + θ·φ".replace("^2", "²")
    assert to_text(derive(GAMES["qp"]).loss_d) == "θ·φ + (θ·φ)²/(2·λ·‖θ‖)"
    assert to_latex(derive(GAMES["wgan"]).loss_d) == r"\frac{\theta\cdot\varphi}{\Vert\varphi\Vert}"
    assert r"\lambda" in to_latex(derive(GAMES["gp1"]).loss_d)
