"""Discrete linear stability against closed forms and against finite differences of the
actual (nonlinear) training step.

Hand derivations (F acts on (θ, φ); M the 2×2 equilibrium matrix):
* simultaneous SGD, step h: F = I + h M.  vanilla: M = [[0, ½], [−½, 0]] → μ(F) = 1 ± i h/2,
  ρ = √(1 + h²/4) > 1 for every h > 0.  gp0: μ(F) = 1 + h(−λ ± √(λ² − 1)); for λ < 1,
  |μ|² = 1 − 2hλ + h², so ρ < 1 iff h < 2λ; for λ ≥ 1 the binding eigenvalue is
  −λ − √(λ² − 1): h < 2/(λ + √(λ² − 1)) = 2(λ − √(λ² − 1)).
* alternating SGD (d first) on the bilinear/vanilla centre: det F = 1, so for h·½ < 2 both
  eigenvalues lie on the unit circle: ρ = 1, marginal.
* extragradient on vanilla: F = I + hM + h²M², μ = 1 − h²/4 ± i h/2, |μ|² = 1 − h²/4 + h⁴/16 < 1
  iff h < 2.
"""

import math

import numpy as np
import click
import pytest

from diracgan.cli.options import RANGE
from diracgan.games import InputError, make_game
from diracgan.dynamics.optimizers import SGD, Adam, Extragradient, Optimistic
from diracgan.analysis.stability import (discrete_stability, equilibrium_matrix, largest_stable_lr,
                                scheme_factory, stability_map, update_matrices)
from diracgan.dynamics.training import Scheme, gradient_function


def sim(opt):
    return Scheme(opt, opt, mode="simultaneous")


@pytest.mark.parametrize("h", [0.01, 0.1, 1.0, 3.0])
def test_vanilla_simultaneous_sgd_eigenvalues_are_one_plus_minus_ih_over_two(h):
    st = discrete_stability(make_game("vanilla"), sim(SGD(lr=h)), dim=3)
    np.testing.assert_allclose(sorted(st.eigenvalues, key=lambda z: z.imag), [1 - 0.5j * h, 1 + 0.5j * h],
                               atol=1e-15)
    assert st.rho == pytest.approx(math.sqrt(1 + h * h / 4), rel=1e-14)
    assert st.verdict == "unstable" and st.largest_lr is None and "for every lr" in st.lr_note


@pytest.mark.parametrize("lam", [0.05, 0.1, 0.5, 0.9, 1.0, 1.5, 3.0])
def test_gp0_simultaneous_sgd_largest_stable_lr(lam):
    want = 2 * lam if lam <= 1 else 2 * (lam - math.sqrt(lam * lam - 1))
    st = discrete_stability(make_game("gp0", lam=lam), sim(SGD(lr=0.01)))
    assert st.largest_lr == pytest.approx(want, rel=1e-9)
    mu_m = [-lam + np.emath.sqrt(lam * lam - 1), -lam - np.emath.sqrt(lam * lam - 1)]
    want_eigs = sorted([1 + 0.01 * m for m in mu_m], key=lambda z: (z.real, z.imag))
    np.testing.assert_allclose(st.eigenvalues, want_eigs, atol=1e-7)   # √eps at the double root λ = 1


def test_alternating_on_the_centre_is_marginal():
    st = discrete_stability(make_game("vanilla"), Scheme(SGD(lr=0.3), SGD(lr=0.3), mode="alternating"))
    assert st.rho == pytest.approx(1.0, abs=1e-12) and st.verdict == "marginal"
    assert np.linalg.det(st.matrix) == pytest.approx(1.0, abs=1e-14)
    assert "ρ = 1 (marginal) for lr in [0.0001, 4" in st.lr_note


def test_extragradient_and_optimistic_fix_the_rotation():
    eg = discrete_stability(make_game("vanilla"), sim(Extragradient(lr=0.5)))
    h = 0.5
    assert eg.rho == pytest.approx(math.sqrt(1 - h * h / 4 + h**4 / 16), rel=1e-14)
    assert eg.largest_lr == pytest.approx(2.0, rel=1e-9)
    og = discrete_stability(make_game("vanilla"), sim(Optimistic(lr=0.1)))
    assert og.verdict == "stable" and og.matrix.shape == (4, 4)


def test_momentum_makes_simultaneous_worse():
    plain = discrete_stability(make_game("vanilla"), sim(SGD(lr=0.1)))
    heavy = discrete_stability(make_game("vanilla"), sim(SGD(lr=0.1, momentum=0.9)))
    assert heavy.matrix.shape == (4, 4) and heavy.rho > plain.rho > 1


@pytest.mark.parametrize("scheme", [
    sim(SGD(lr=0.2)),
    Scheme(SGD(lr=0.2), SGD(lr=0.05), mode="alternating", n_critic=3),
    Scheme(SGD(lr=0.2), SGD(lr=0.1), mode="alternating", order="g-first"),
    sim(Extragradient(lr=0.3)),
])
@pytest.mark.parametrize("name", ["vanilla", "gp0", "minimax"])
def test_update_matrix_equals_finite_differences_of_the_real_step(scheme, name):
    """F from the linearised game equals the Jacobian of the actual nonlinear training step at
    the equilibrium, by central differences (d = 2: F ⊗ I_2)."""
    game = make_game(name)
    f = update_matrices(scheme, equilibrium_matrix(game)[None])[0]
    grad = gradient_function(game)
    eps = 1e-6
    jac = np.empty((4, 4))
    for k in range(4):
        e = np.zeros(4)
        e[k] = eps
        out = []
        for sgn in (1, -1):
            z = sgn * e
            st_d, st_g = scheme.init(z[None, :2], z[None, 2:])
            th, ph = scheme.step(z[None, :2], z[None, 2:], grad, st_d, st_g)
            out.append(np.concatenate([th[0], ph[0]]))
        jac[:, k] = (out[0] - out[1]) / (2 * eps)
    np.testing.assert_allclose(jac, np.kron(f, np.eye(2)), atol=1e-8)


def test_nonlinear_optimizers_and_singular_games_are_refused():
    with pytest.raises(InputError, match="not linear"):
        discrete_stability(make_game("gp0"), sim(Adam(lr=0.01)))
    with pytest.raises(InputError, match="not differentiable"):
        discrete_stability(make_game("gp1"), sim(SGD(lr=0.01)))


def test_stability_map_matches_the_closed_form_boundary():
    lrs = np.linspace(0.01, 2, 100)
    lams = np.linspace(0.0, 2, 100)
    smap = stability_map(make_game("gp0"), scheme_factory("sgd", mode="simultaneous"), {"lr": lrs, "lam": lams})
    assert smap.rho.shape == (100, 100)
    hh, ll = np.meshgrid(lrs, lams)
    bound = np.where(ll <= 1, 2 * ll, 2 * (ll - np.sqrt(np.maximum(ll * ll - 1, 0))))
    clear = np.abs(hh - bound) > 0.03            # away from the boundary itself
    assert np.all((smap.rho < 1)[clear] == (hh < bound)[clear])
    # ρ in closed form for λ < 1: √(1 − 2hλ + h²)
    sub = ll < 0.95
    np.testing.assert_allclose(smap.rho[sub], np.sqrt(1 - 2 * hh[sub] * ll[sub] + hh[sub] ** 2), rtol=1e-12)


def test_stability_map_over_momentum_and_one_dimensional():
    smap = stability_map(make_game("gp0", lam=0.5), scheme_factory("sgd", lr=0.1, mode="simultaneous"),
                         {"momentum": np.linspace(0, 0.95, 20)})
    assert smap.y is None and smap.rho.shape == (20,)
    single = discrete_stability(make_game("gp0", lam=0.5), sim(SGD(lr=0.1, momentum=0.95 * 7 / 19)))
    assert smap.rho[7] == pytest.approx(single.rho, rel=1e-12)


def test_map_errors_and_axis_parsing():
    game = make_game("gp0")
    with pytest.raises(InputError, match="cannot sweep"):
        stability_map(game, scheme_factory("sgd"), {"beta": np.linspace(0, 1, 3)})
    with pytest.raises(InputError, match="one or two"):
        stability_map(game, scheme_factory("sgd", lr=0.1), {})
    assert RANGE.convert("0.5", None, None) == 0.5
    assert len(RANGE.convert("0.01:2:200", None, None)) == 200
    for bad in ["a", "1:2", "0:1:1", "nan", "0:1:5001", "0:inf:3"]:
        with pytest.raises(click.BadParameter):
            RANGE.convert(bad, None, None)


def test_largest_stable_lr_keeps_the_ttur_ratio():
    game = make_game("gp0", lam=0.5)
    scheme = sim(SGD(lr=0.1))
    ttur = Scheme(SGD(lr=0.2), SGD(lr=0.1), mode="simultaneous")
    a, _ = largest_stable_lr(scheme, equilibrium_matrix(game))
    b, note = largest_stable_lr(ttur, equilibrium_matrix(game))
    assert a == pytest.approx(1.0, rel=1e-9) and "lr_d = 2·lr_g" in note and b != a


def test_parameter_values_that_remove_the_singularity():
    """gp with c = 0 is gp0: its update map exists; the map over c has only that column."""
    st = discrete_stability(make_game("gp", c=0.0, lam=0.1), sim(SGD(lr=0.1)))
    assert st.largest_lr == pytest.approx(0.2, rel=1e-9)
    smap = stability_map(make_game("gp"), scheme_factory("sgd", mode="simultaneous"),
                         {"lr": np.linspace(0.1, 1, 5), "c": np.linspace(0, 1, 5)})
    assert np.all(np.isfinite(smap.rho[0])) and np.all(np.isnan(smap.rho[1:]))


def test_marginal_points_are_not_counted_stable():
    smap = stability_map(make_game("vanilla"), scheme_factory("sgd", mode="alternating"),
                         {"lr": np.linspace(0.01, 3, 200)})
    assert np.all(np.abs(smap.rho - 1) < 1e-12) and smap.stable_fraction() == 0.0


def test_non_finite_update_maps_are_refused():
    """Alternating steps multiply lr_d·lr_g = 1e600: F overflows."""
    with pytest.raises(InputError, match="not finite"):
        discrete_stability(make_game("gp0"), Scheme(SGD(lr=1e300), SGD(lr=1e300), mode="alternating"))
