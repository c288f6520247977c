"""Equilibrium analysis against closed forms derived by hand.

Hand derivations (state order (θ, φ), J(0) = M ⊗ I_d):
* vanilla, minimax: σ(0) = 1/2, so θ' ≈ φ/2 and φ' ≈ −θ/2: M = [[0, 1/2], [−1/2, 0]],
  eigenvalues ±i/2.
* gp0: θ' = φ, φ' = −θ − 2λφ: M = [[0, 1], [−1, −2λ]], characteristic polynomial
  μ² + 2λμ + 1 = 0, so μ = −λ ± √(λ² − 1): complex with Re = −λ for λ < 1, a double −1 at
  λ = 1, real for λ > 1 with the slow one −λ + √(λ² − 1).
* gp1 with λ = 0 and the bilinear game: M = [[0, 1], [−1, 0]], eigenvalues ±i.
"""

import cmath
import json
import math

import numpy as np
import click
import pytest
import sympy as sp

from diracgan.analysis import THRESHOLDS, analyse, eigenvalue_sweep, numeric_verdict
from diracgan.cli.options import SWEEP
from diracgan.dynamics.flow import simulate
from diracgan.games import GAMES, InputError, make_game
from diracgan.report import analysis_json, analysis_latex, analysis_text
from diracgan.derivation.symbolic import derive


def _mus(analysis):
    return sorted([complex(e.re, e.im) for e in analysis.eigenvalues], key=lambda z: (z.real, z.imag))


@pytest.mark.parametrize("name", ["vanilla", "minimax"])
@pytest.mark.parametrize("dim", [1, 2, 3, 7])
def test_vanilla_and_minimax_have_a_centre_at_plus_minus_i_over_2(name, dim):
    a = analyse(make_game(name), dim)
    assert a.differentiable and a.verdict == "centre"
    assert {e.value for e in a.eigenvalues} == {sp.I / 2, -sp.I / 2}
    assert [e.multiplicity for e in a.eigenvalues] == [dim, dim]
    assert a.m_symbolic == sp.Matrix([[0, sp.Rational(1, 2)], [-sp.Rational(1, 2), 0]])
    # numpy on the full 2d × 2d Jacobian sees the same, d-fold.
    assert sorted(m for _, m in a.numeric_eigenvalues) == [dim, dim]
    for z, _ in a.numeric_eigenvalues:
        assert abs(abs(z) - 0.5) < 1e-12 and abs(z.real) < 1e-12


@pytest.mark.parametrize("lam", [0.1, 0.5, 0.99, 1.0, 1.5, 3.0])
@pytest.mark.parametrize("dim", [1, 4])
def test_gp0_eigenvalues_are_minus_lambda_plus_minus_sqrt(lam, dim):
    a = analyse(make_game("gp0", lam=lam), dim)
    root = cmath.sqrt(lam**2 - 1)
    want = sorted([-lam - root, -lam + root], key=lambda z: (z.real, z.imag))
    got = []
    for e in a.eigenvalues:
        got += [complex(e.re, e.im)] * e.multiplicity_in_m
        assert e.multiplicity == e.multiplicity_in_m * dim
    for g, w in zip(sorted(got, key=lambda z: (z.real, z.imag)), want):
        assert abs(g - w) < 1e-12
    assert a.verdict == "asymptotically stable"
    slow = lam - math.sqrt(lam**2 - 1) if lam > 1 else lam
    assert a.rate == pytest.approx(slow, rel=1e-12)
    if lam > 1:                 # the real-eigenvalue regime
        assert all(e.im == 0 for e in a.eigenvalues)
    if lam == 1.0:              # a double eigenvalue −1, 2d-fold in J
        assert len(a.eigenvalues) == 1 and a.eigenvalues[0].multiplicity == 2 * dim
        assert a.eigenvalues[0].value == -1


def test_gp0_exact_eigenvalues_as_functions_of_lambda():
    a = analyse(make_game("gp0"), 2)
    lam = derive(GAMES["gp0"]).params[0]
    exact = {e.exact for e in a.eigenvalues}
    want = {-lam + sp.sqrt(lam**2 - 1), -lam - sp.sqrt(lam**2 - 1)}
    assert {sp.simplify(e) for e in exact} == {sp.simplify(w) for w in want}


@pytest.mark.parametrize("name, culprit, where", [
    ("wgan", "L_D", "φ = 0"),
    ("gp1", "L_D", "φ = 0"),
    ("qp", "L_D", "θ = 0"),
])
def test_non_differentiable_games_name_the_term_to_blame(name, culprit, where):
    a = analyse(make_game(name), 2)
    assert not a.differentiable and a.verdict == "not differentiable"
    assert a.eigenvalues == () and a.max_re is None and a.rate is None
    assert any(loss == culprit and where in sets for loss, _, sets in a.culprits)
    text = analysis_text(a)
    assert "not differentiable" in text and "nan" not in text.lower()
    doc = analysis_json(a)
    assert doc["differentiable"] is False and doc["eigenvalues"] == [] and doc["jacobian"] is None
    assert "NaN" not in json.dumps(doc)


def test_culprit_terms_are_the_singular_ones():
    a = analyse(make_game("gp1"), 2)
    assert [(loss, term) for loss, term, _ in a.culprits] == [("L_D", "λ·(‖φ‖ - 1)²")]
    a = analyse(make_game("wgan"), 2)
    assert [loss for loss, _, _ in a.culprits] == ["L_D", "L_G"]


def test_qp_jacobian_has_a_limit_but_is_not_c1():
    a = analyse(make_game("qp"), 3)
    assert not a.differentiable
    assert a.m_limit == sp.Matrix([[0, 1], [-1, 0]])
    assert {e.value for e in a.limit_eigenvalues} == {sp.I, -sp.I}
    assert all(e.multiplicity == 3 for e in a.limit_eigenvalues)
    assert analyse(make_game("wgan"), 2).m_limit is None
    assert analyse(make_game("gp1"), 2).m_limit is None


def test_parameter_values_that_remove_the_singularity():
    """gp with c = 0 is gp0; gp1 with λ = 0 is the bilinear game (a centre at ±i)."""
    a = analyse(make_game("gp", lam=0.3, c=0.0), 2)
    assert a.differentiable and a.rate == pytest.approx(0.3)
    b = analyse(make_game("gp1", lam=0.0), 2)
    assert b.differentiable and b.verdict == "centre"
    assert {e.value for e in b.eigenvalues} == {sp.I, -sp.I}


def test_marginal_and_unstable_verdicts():
    """gp0 with λ = 0 is the bilinear centre; an anti-damped game (negative decay) is unstable."""
    from diracgan.games import GameSpec, Param

    assert analyse(make_game("gp0", lam=0.0), 2).verdict == "centre"
    anti = GameSpec("anti", "test", lambda s, g: (s.dot - g / 2 * s.phi_sq, -s.dot),
                    params=(Param("g", "g", "g", 0.2, "test", lower=-10),))
    a = analyse(anti.bind(g=0.2), 2)
    assert a.verdict == "unstable" and a.max_re == pytest.approx(0.1)
    half = GameSpec("half", "test", lambda s: (s.dot + s.phi_sq / 2, 0 * s.dot))   # θ' = 0, φ' = −θ − φ
    assert analyse(half.bind(), 2).verdict == "marginal"


# -- numeric verdicts from the seed's start (d = 2) -----------------------------------------

class _SeedVerdicts(dict):
    """Each seed game's numeric verdict (d = 2), computed on first use: under xdist the tests
    of this module run on both workers, and each computes only the verdicts its tests need."""

    def __missing__(self, name):
        game = make_game(name)
        self[name] = numeric_verdict(game, dim=2, linear=analyse(game, 2))
        return self[name]


@pytest.fixture(scope="module")
def seed_verdicts():
    return _SeedVerdicts()


def test_seed_gp0_converges_at_the_predicted_rate(seed_verdicts):
    v = seed_verdicts["gp0"]
    assert v.verdict == "converges" and v.mode == "exponential"
    assert v.rate == pytest.approx(0.1, rel=0.02) and v.predicted_rate == pytest.approx(0.1)


@pytest.mark.parametrize("name", ["vanilla", "minimax", "wgan", "gp1", "qp"])
def test_seed_games_other_than_gp0_do_not_converge(seed_verdicts, name):
    v = seed_verdicts[name]
    assert v.verdict == "oscillates", v.message
    assert v.amplitude > 0.05


def test_seed_cycles(seed_verdicts):
    assert seed_verdicts["gp1"].cycle_radius == pytest.approx(1.0, abs=1e-3)      # the circle ‖θ‖ = c
    assert seed_verdicts["qp"].cycle_radius == pytest.approx(math.sqrt(0.03), rel=1e-3)
    assert "approaching a circle" in seed_verdicts["vanilla"].message
    assert 0.15 < seed_verdicts["vanilla"].cycle_radius < 0.2
    assert seed_verdicts["minimax"].cycle_radius is None                          # energy-conserving orbit


def test_one_dimensional_verdicts():
    """d = 1: WGAN's θ drifts at unit speed (φ is frozen), vanilla creeps in algebraically."""
    w = numeric_verdict(make_game("wgan"), dim=1)
    assert w.verdict == "diverges" and w.power == pytest.approx(1.0, abs=0.1)
    game = make_game("vanilla")
    v = numeric_verdict(game, dim=1, linear=analyse(game, 1))
    assert v.verdict == "converges" and v.mode == "algebraic" and -0.6 < v.power < -0.1


def test_overdamped_gp0_rate_is_the_slow_eigenvalue():
    game = make_game("gp0", lam=2.0)
    v = numeric_verdict(game, dim=2, linear=analyse(game, 2))
    assert v.verdict == "converges" and v.rate == pytest.approx(2 - math.sqrt(3), rel=0.03)


def test_verdict_reports_horizon_and_thresholds():
    v = numeric_verdict(make_game("gp1"), [0.2, 0.1], [0.1, 0.2], horizon=50)
    d = v.as_dict()
    assert d["horizon"] == 50 and d["thresholds"] == THRESHOLDS
    assert d["start"] == {"theta": [0.2, 0.1], "phi": [0.1, 0.2]}


# -- sweeps ----------------------------------------------------------------------------------

def test_sweep_matches_the_closed_form_and_finds_the_boundary():
    lams = np.linspace(0, 3, 61)
    s = eigenvalue_sweep(make_game("gp0"), "lam", lams)
    assert s.valid.all()
    for lam, mus in zip(lams, s.eigenvalues):
        root = cmath.sqrt(lam**2 - 1)
        want = sorted([-lam - root, -lam + root], key=lambda z: (z.real, z.imag))
        np.testing.assert_allclose(mus, want, atol=1e-7)   # √eps at the double root λ = 1
    assert s.crossings() == [0.0]
    assert np.all(s.max_re[1:] < 0)


def test_sweep_of_a_value_dependent_singularity():
    s = eigenvalue_sweep(make_game("gp"), "c", [0.0, 0.5, 1.0])
    assert s.valid.tolist() == [True, False, False]
    assert np.all(np.isnan(s.eigenvalues[1:]))


def test_sweep_errors():
    with pytest.raises(InputError, match="no parameter 'gamma'"):
        eigenvalue_sweep(make_game("gp0"), "gamma", [0, 1])
    with pytest.raises(InputError, match="must be finite and ≥ 0"):
        eigenvalue_sweep(make_game("gp0"), "lam", [-1, 1])
    for bad in ["lam", "lam=0:1", "lam=a:b:3", "lam=0:1:1", "=0:1:3", "lam=0.5"]:
        with pytest.raises(click.BadParameter):
            SWEEP.convert(bad, None, None)
    name, values = SWEEP.convert("lam=0:3:61", None, None)
    assert name == "lam" and len(values) == 61 and values[-1] == 3.0 and values[1] == pytest.approx(0.05, rel=1e-15)


def test_latex_and_text_renderings():
    a = analyse(make_game("gp0"), 2)
    tex = analysis_latex(a)
    assert r"\begin{align*}" in tex and r"\otimes I_{2}" in tex and r"\sqrt{\lambda^{2} - 1}" in tex
    text = analysis_text(a)
    assert "×2" in text and "asymptotically stable" in text


# -- regressions found in review: verdicts the linearisation contradicts, extreme parameters ------

def test_planar_wedge_is_conserved_and_fixes_the_cycle_radius():
    """In d = 2, d/dt(θ∧φ) = (g_θθ + g_φφ)(θ∧φ), θ∧φ = θ₁φ₂ − θ₂φ₁: conserved when the trace
    vanishes (vanilla, minimax, qp).  On a cycle with θ ⊥ φ and ‖θ‖ = ‖φ‖ = r, |θ∧φ| = r², so the
    seed's start (|θ∧φ| = 0.03) ends on r = √0.03 for vanilla and qp."""
    for name in ("vanilla", "minimax", "qp"):
        run = simulate(make_game(name), [0.2, 0.1], [0.1, 0.2], t_max=50, samples=101)
        wedge = run.theta[0, :, 0] * run.phi[0, :, 1] - run.theta[0, :, 1] * run.phi[0, :, 0]
        np.testing.assert_allclose(wedge, 0.03, rtol=1e-8)
    gp0 = simulate(make_game("gp0"), [0.2, 0.1], [0.1, 0.2], t_max=5, samples=3)
    assert abs(gp0.theta[0, -1, 0] * gp0.phi[0, -1, 1] - gp0.theta[0, -1, 1] * gp0.phi[0, -1, 0]) < 0.02
    v = numeric_verdict(make_game("vanilla"), dim=2, horizon=2000, linear=analyse(make_game("vanilla"), 2))
    assert v.verdict == "oscillates" and "settles on a circle" in v.message
    assert v.cycle_radius == pytest.approx(math.sqrt(0.03), rel=2e-3)


@pytest.mark.parametrize("lam, method", [(1000.0, "Radau"), (0.0005, "DOP853")])
def test_slow_predicted_decay_is_undetermined_not_a_circle(lam, method):
    # The predicted decay e^(−t/2000) is too slow to show over the default horizon 200.  λ = 1000
    # is stiff (fast mode ≈ −2000): the verdict integrates it with Radau (DOP853 took 80 s).
    game = make_game("gp0", lam=lam)
    v = numeric_verdict(game, dim=2, linear=analyse(game, 2))
    assert v.verdict == "undetermined" and "too slow to show over T = 200" in v.message
    assert "--horizon ≥ 2e+04" in v.message
    assert v.method == method and v.as_dict()["method"] == method


def test_stiff_verdict_agrees_with_the_explicit_solver():
    from diracgan.analysis.verdict import solver_for

    game = make_game("gp0", lam=20.0)             # μ ≈ −40 and −1/40: stiff over T = 60
    linear = analyse(game, 2)
    assert solver_for(linear, 60.0) == "Radau" and solver_for(linear, 10.0) == "DOP853"
    assert solver_for(analyse(make_game("gp0", lam=10.0), 2), 1e6) == "DOP853"   # ratio 400 only
    assert solver_for(analyse(make_game("vanilla"), 2), 1e6) == "DOP853"         # no decay at all
    implicit = numeric_verdict(game, dim=2, linear=linear, horizon=60.0)
    explicit = numeric_verdict(game, dim=2, horizon=60.0)                 # no linearisation: DOP853
    assert (implicit.method, explicit.method) == ("Radau", "DOP853")
    assert implicit.verdict == explicit.verdict == "converges"
    assert implicit.rate == pytest.approx(explicit.rate, rel=1e-6) == pytest.approx(1 / 40, rel=2e-3)
    assert implicit.final_distance == pytest.approx(explicit.final_distance, rel=1e-5)


def test_slow_approach_to_a_cycle_is_not_divergence():
    v = numeric_verdict(make_game("gp1", lam=0.01), dim=2)
    assert v.verdict == "undetermined" and "towards ≈ 1.41" in v.message   # the cycle: ‖θ‖ = ‖φ‖ = 1
    v = numeric_verdict(make_game("gp1", lam=0.01), dim=2, horizon=1000)
    assert v.verdict == "oscillates" and v.cycle_radius == pytest.approx(1.0, abs=2e-3)


def test_short_horizons_tiny_starts_and_stalls():
    game = make_game("minimax")
    assert numeric_verdict(game, dim=2, horizon=1e-3).verdict == "undetermined"
    tiny = numeric_verdict(game, [1e-13, 0.0], [0.0, 1e-13])
    assert tiny.verdict == "oscillates" and tiny.final_distance == pytest.approx(math.sqrt(2) * 1e-13, rel=1e-6)
    assert numeric_verdict(game, [0.0, 0.0], [0.0, 0.0]).verdict == "converges"
    # minimax with θ·φ = −50: θ' = σ(θ·φ)φ and φ' = −σ(θ·φ)θ are ~1e-21: the flow is frozen.
    frozen = numeric_verdict(game, [5.0, 5.0], [-5.0, -5.0])
    assert frozen.verdict == "stalls" and frozen.final_distance == pytest.approx(10.0, rel=1e-9)


def test_critically_damped_rate_is_fitted():
    game = make_game("gp0", lam=1.0)
    v = numeric_verdict(game, dim=2, linear=analyse(game, 2))
    # ‖z‖ ~ (a + b t) e^{−t} at the double root: the fitted local rate is a little below 1
    assert v.verdict == "converges" and 0.85 < v.rate < 1.0


@pytest.mark.parametrize("lam, want", [
    (0.999999999, (-0.999999999, math.sqrt(1 - 0.999999999**2))),
    (1e-300, (-1e-300, 1.0)),
    (1e300, (-5e-301, 0.0)),      # the slow root of −λ ± √(λ² − 1)
])
def test_exact_eigenvalues_at_extreme_parameters(lam, want):
    a = analyse(make_game("gp0", lam=lam), 2)
    slow = max(a.eigenvalues, key=lambda e: e.re)
    assert slow.re == pytest.approx(want[0], rel=1e-12) and abs(slow.im) == pytest.approx(want[1], rel=1e-9)
    assert a.verdict == "asymptotically stable"
    assert sum(e.multiplicity for e in a.eigenvalues) == 4


def test_sweep_keeps_the_small_root_for_large_lambda():
    s = eigenvalue_sweep(make_game("gp0"), "lam", [1e6, 1e9])
    np.testing.assert_allclose(s.eigenvalues[:, 1].real, [-0.5e-6, -0.5e-9], rtol=1e-6)
    assert s.crossings() == []


def test_value_dependent_differentiability_in_sweeps_is_exact():
    """One exact decision per value (timed in bench/bench_analysis.py)."""
    s = eigenvalue_sweep(make_game("gp"), "c", np.linspace(0, 1, 401))
    assert s.valid.tolist() == [True] + [False] * 400
