"""Discretisation drift (Rosca et al. 2021): the symbolic modified field against the iterates.

(1) After a fixed time T the modified flow tracks the discrete iterates to O(h²), the original
    flow only to O(h): halving h divides the errors by about 4 and about 2.
(2) Bilinear closed forms (θ' = φ, φ' = −θ; hand-derived, see diracgan/derivation/drift.py):
    simultaneous M̃ = [[α_dα_g h/2, α_g], [−α_d, α_dα_g h/2]], eigenvalues
    α_dα_g h/2 ± i√(α_dα_g) (equal rates: h/2 ± i), matching the discrete growth
    |1 ± ih√(α_dα_g)|; alternating: trace 0, eigenvalues ±i√(1 − h²/4) (equal rates).
(3) The modified field equals a finite-difference backward-error estimate from the numpy
    iterates: the flow through z₀, z₁, z₂ has ż(0) = (−3z₀ + 4z₁ − z₂)/(2h) + O(h²), and
    Richardson extrapolation of (ż − G₀)/h in h recovers the first-order term G₁.
"""

import numpy as np
import pytest
import scipy.integrate as si
import sympy as sp

from diracgan import make_game
from diracgan.derivation.drift import (
    ALPHA_D,
    ALPHA_G,
    H,
    DriftScheme,
    drift_field,
    drift_matrix,
    drift_scheme,
    drift_values,
)
from diracgan.dynamics.training import train
from diracgan.errors import InputError

SCHEMES = {
    "simultaneous": (DriftScheme("simultaneous"), dict(mode="simultaneous")),
    "alternating d-first n_critic 2": (DriftScheme("alternating", "d-first", 2, 1),
                                       dict(mode="alternating", order="d-first", n_critic=2)),
    "alternating g-first": (DriftScheme("alternating", "g-first"), dict(mode="alternating", order="g-first")),
}


def _iterates(game, z0, h, a_d, a_g, steps, kw):
    d = z0.shape[-1] // 2
    run = train(game, z0[:, :d], z0[:, d:], optimizer="sgd", lr_d=a_d * h, lr_g=a_g * h, steps=steps, **kw)
    return np.concatenate([run.theta, run.phi], axis=-1)      # (N, steps + 1, 2d)


def _flow(vf, params, z0, t):
    sol = si.solve_ivp(lambda _, z: vf.rhs(z, params), (0, t), z0, method="DOP853", rtol=1e-12, atol=1e-14)
    return sol.y[:, -1]


@pytest.mark.parametrize("name", list(SCHEMES))
def test_modified_flow_tracks_the_iterates_to_second_order(name):
    scheme, kw = SCHEMES[name]
    game = make_game("vanilla")
    vf = drift_field(game.spec, scheme)
    z0 = np.array([0.6, -0.3, 0.2, 0.7])
    a_d, a_g, t_end = 1.0, 0.5, 2.0
    err_mod, err_orig = [], []
    for h in (0.1, 0.05, 0.025):
        steps = int(round(t_end / h))
        z_disc = _iterates(game, z0[None], h, a_d, a_g, steps, kw)[0, -1]
        err_mod.append(np.linalg.norm(_flow(vf, (h, a_d, a_g), z0, t_end) - z_disc))
        # h = 0 in the modified field is the original flow θ̇ = n_gen α_g θ', φ̇ = n_critic α_d φ'.
        err_orig.append(np.linalg.norm(_flow(vf, (0.0, a_d, a_g), z0, t_end) - z_disc))
    r_mod = np.array(err_mod[:-1]) / np.array(err_mod[1:])
    r_orig = np.array(err_orig[:-1]) / np.array(err_orig[1:])
    assert np.all((r_mod > 3.4) & (r_mod < 4.6)), (err_mod, r_mod)
    assert np.all((r_orig > 1.8) & (r_orig < 2.2)), (err_orig, r_orig)
    assert err_mod[-1] < 0.1 * err_orig[-1]


def _bilinear_matrix(scheme, h, a_d=1.0, a_g=1.0):
    lam = sp.Symbol("λ", nonnegative=True)
    m = drift_matrix(make_game("gp0", lam=0.0).spec, scheme)
    return m.subs({lam: 0, H: sp.Rational(h), ALPHA_D: sp.Rational(a_d), ALPHA_G: sp.Rational(a_g)})


@pytest.mark.parametrize("h, a_d, a_g", [("1/10", 1, 1), ("1/4", 1, 1), ("1/10", 2, "1/2"), ("1/5", "3/2", 1)])
def test_bilinear_simultaneous_closed_form(h, a_d, a_g):
    h, a_d, a_g = sp.Rational(h), sp.Rational(a_d), sp.Rational(a_g)
    m = _bilinear_matrix(DriftScheme("simultaneous"), h, a_d, a_g)
    assert m == sp.Matrix([[a_d * a_g * h / 2, a_g], [-a_d, a_d * a_g * h / 2]])
    expected = {a_d * a_g * h / 2 + sp.I * sp.sqrt(a_d * a_g), a_d * a_g * h / 2 - sp.I * sp.sqrt(a_d * a_g)}
    assert {sp.simplify(e) for e in m.eigenvals()} == {sp.simplify(e) for e in expected}
    if a_d == a_g == 1:
        assert {sp.simplify(e) for e in m.eigenvals()} == {h / 2 + sp.I, h / 2 - sp.I}
    # The drift explains the spiral out: per step the discrete map grows by |1 + ih√(α_dα_g)|,
    # the modified flow by e^(Re μ̃ h), equal to O(h⁴).
    growth = float(sp.sqrt(1 + a_d * a_g * h**2))
    assert np.exp(float(a_d * a_g * h / 2) * float(h)) == pytest.approx(growth, abs=float(h) ** 4)


@pytest.mark.parametrize("order", ["d-first", "g-first"])
@pytest.mark.parametrize("h", ["1/10", "1/2", "3/2"])
def test_bilinear_alternating_is_a_centre(order, h):
    h = sp.Rational(h)
    m = _bilinear_matrix(DriftScheme("alternating", order), h)
    assert sp.simplify(m.trace()) == 0
    eigs = {sp.simplify(e) for e in m.eigenvals()}
    root = sp.sqrt(1 - h**2 / 4)
    assert eigs == {sp.I * root, -sp.I * root}


@pytest.mark.parametrize("game_name, params", [("vanilla", {}), ("lsgan", {}), ("gp0", {"lam": 0.3})])
@pytest.mark.parametrize("name", list(SCHEMES))
def test_modified_field_equals_the_backward_error_estimate(game_name, params, name):
    scheme, kw = SCHEMES[name]
    game = make_game(game_name, **params)
    vf = drift_field(game.spec, scheme)
    rng = np.random.default_rng(7)
    z0 = rng.normal(size=(5, 4)) * 0.8
    a_d, a_g = 1.0, 0.6
    gp = game.param_values()
    g0 = vf.rhs(z0, gp + (0.0, a_d, a_g))
    g1 = (vf.rhs(z0, gp + (1.0, a_d, a_g)) - g0)          # G̃ = G₀ + h G₁ is affine in h
    est, err_mod, err_orig = {}, [], []
    hs = (0.02, 0.01, 0.005)
    for h in hs:
        z = _iterates(game, z0, h, a_d, a_g, 2, kw)
        zdot = (-3 * z[:, 0] + 4 * z[:, 1] - z[:, 2]) / (2 * h)   # ż(0) of the flow through the iterates
        est[h] = (zdot - g0) / h
        err_mod.append(np.max(np.abs(zdot - (g0 + h * g1))))
        err_orig.append(np.max(np.abs(zdot - g0)))
    if game_name == "gp0" and scheme.mode == "simultaneous":
        # A linear field v = Mz: with K = DM the estimate (−3 + 4F − F²)/(2h), F = I + hK, is
        # K − (h/2)K² exactly, which is the modified field: equal to rounding.
        assert max(err_mod) < 1e-11
    else:
        assert 3.0 < err_mod[0] / err_mod[1] < 5.0
        # Richardson extrapolation of (ż − G₀)/h = G₁ + O(h) gives G₁ + O(h²): its error falls 4×.
        rich = [np.max(np.abs(2 * est[b] - est[a] - g1)) for a, b in zip(hs, hs[1:])]
        assert 3.0 < rich[0] / rich[1] < 5.0
        assert rich[1] < 5e-3 * np.max(np.abs(g1))
    assert 1.7 < err_orig[0] / err_orig[1] < 2.3


def test_drift_input_checks():
    with pytest.raises(InputError, match="simultaneous, alternating"):
        DriftScheme("leapfrog")
    with pytest.raises(InputError, match="plain gradient steps"):
        drift_scheme("simultaneous", optimizer="adam")
    with pytest.raises(InputError, match="alternating"):
        DriftScheme("simultaneous", n_critic=5)
    with pytest.raises(InputError, match="lr"):
        drift_values(make_game("vanilla"), None)
    with pytest.raises(InputError, match="lr_d"):
        drift_values(make_game("vanilla"), 0.1, lr_d=-1.0)
    assert drift_values(make_game("vanilla"), 0.1, lr_d=0.2) == (0.1, 2.0, 1.0)


def test_drift_analysis_of_eig():
    """`eig --drift` backend: exact eigenvalues h/2 ± i (bilinear, simultaneous), h/8 ± i/2
    (vanilla, f'(0) = ½: M̃ = M − (h/2)M²), each × d, and the dense numeric check agrees."""
    from diracgan.analysis.drift import drift_analysis

    a = drift_analysis(make_game("gp0", lam=0.0), DriftScheme("simultaneous"), 0.2, dim=3)
    assert {(round(e.re, 12), round(e.im, 12), e.multiplicity) for e in a.eigenvalues} == {(0.1, 1.0, 3), (0.1, -1.0, 3)}
    assert sorted((round(z.real, 10), round(z.imag, 10), m) for z, m in a.numeric_eigenvalues) == \
        [(0.1, -1.0, 3), (0.1, 1.0, 3)]
    assert a.verdict == "unstable" and "θ̇ = h/2·θ + φ" in a.text()
    v = drift_analysis(make_game("vanilla"), DriftScheme("alternating"), 0.4, dim=2)
    assert v.verdict == "centre" and v.m_value == sp.Matrix([[-sp.Rational(1, 20), sp.Rational(1, 2)],
                                                             [-sp.Rational(1, 2), sp.Rational(1, 20)]])
    assert drift_analysis(make_game("wgan"), DriftScheme("simultaneous"), 0.1).verdict == "not differentiable"
    doc = drift_analysis(make_game("vanilla"), DriftScheme("simultaneous"), 0.1, 2.0, 0.5).as_dict()
    assert doc["lr_d"] == pytest.approx(0.2) and doc["jacobian"]["M_value"] == [["1/80", "1/4"], ["-1", "1/80"]]
