"""Integration: exact solutions, batch vs one-by-one, invariants, events, singular points."""

import math

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

import closed_forms
from conftest import ODE_GAMES
from diracgan.games import GameSpec, InputError, make_game
from diracgan.derivation.numeric import vector_field
from diracgan.dynamics.flow import Status, output_times, simulate
from diracgan.dynamics.starts import default_start, random_starts


def test_gp0_matches_the_exact_linear_solution():
    """gp0 is linear, z' = M z: compare with expm(M t) z0 at every output time."""
    lam, dim = 0.1, 2
    theta0, phi0 = default_start(dim)
    run = simulate(make_game("gp0", lam=lam), theta0, phi0, t_max=40, samples=201)
    m = closed_forms.gp0_matrix(lam, dim)
    z0 = np.concatenate([theta0, phi0])
    exact = np.array([scipy.linalg.expm(m * t) @ z0 for t in run.t])
    err = np.abs(run.states[0] - exact).max()
    assert err < 1e-9, err


def _moderate_starts(n, seed):
    """Starts with 0.3 ≤ ‖φ‖, ‖θ‖ ≤ 0.6: away from the singular sets, where the fast rotation of
    wgan (rate ~‖θ‖/‖φ‖²) would amplify every solver's global error."""
    theta, phi = random_starts(n, 2, seed=seed)
    rng = np.random.default_rng(seed)
    theta *= (rng.uniform(0.3, 0.6, n) / np.linalg.norm(theta, axis=1))[:, None]
    phi *= (rng.uniform(0.3, 0.6, n) / np.linalg.norm(phi, axis=1))[:, None]
    return theta, phi


def _solve_ivp_each(game, theta, phi, t, rtol, atol):
    params = game.param_values()
    fun = lambda _, z: vector_field(game.spec).rhs(z, params)  # noqa: E731
    return np.array([
        scipy.integrate.solve_ivp(fun, (0, t[-1]), np.concatenate([th, ph]), method="DOP853", t_eval=t,
                                  rtol=rtol, atol=atol).y.T
        for th, ph in zip(theta, phi)
    ])


def _solve_ivp_stacked(game, theta, phi, t, rtol, atol):
    """All starts as one system in one solve_ivp call (DOP853): its RMS error norm over the
    stacked components is at most √N looser per run, which at rtol 1e-13 still gives a
    reference far more accurate than the runs checked against it, and it takes the steps of the
    hardest run once instead of every run's steps one after another."""
    params = game.param_values()
    n, d = theta.shape
    fun = lambda _, z: vector_field(game.spec).rhs(z.reshape(n, 2 * d), params).reshape(-1)  # noqa: E731
    z0 = np.concatenate([theta, phi], axis=1).reshape(-1)
    sol = scipy.integrate.solve_ivp(fun, (0, t[-1]), z0, method="DOP853", t_eval=t, rtol=rtol, atol=atol)
    assert sol.success, sol.message
    return sol.y.T.reshape(len(t), n, 2 * d).transpose(1, 0, 2)


@pytest.mark.parametrize("name", ODE_GAMES)
def test_batch_equals_one_by_one_solve_ivp(name):
    """A batch of 12 starts agrees with solve_ivp run per start, at the same tolerances."""
    rtol, atol = 1e-9, 1e-11
    game = make_game(name)
    theta, phi = _moderate_starts(12, seed=3)
    batch = simulate(game, theta, phi, t_max=10, samples=101, rtol=rtol, atol=atol)
    assert batch.ok.all()
    loop = _solve_ivp_each(game, theta, phi, batch.t, rtol, atol)
    diff = np.linalg.norm(batch.states - loop, axis=-1)
    # Both are within their global error of the truth: allow 100 local tolerances.
    allowed = 100 * (rtol * np.linalg.norm(loop, axis=-1) + atol)
    assert np.all(diff <= allowed), (name, diff.max())


@pytest.mark.parametrize("name", ODE_GAMES)
def test_batch_is_at_least_as_accurate_as_one_by_one(name):
    """From any starts (small ‖φ‖ included), the batch's error against a tight reference is no
    larger than that of solve_ivp run per start at the same tolerances."""
    rtol, atol = 1e-8, 1e-10
    game = make_game(name)
    theta, phi = random_starts(10, 2, seed=4)
    batch = simulate(game, theta, phi, t_max=10, samples=51, rtol=rtol, atol=atol)
    loop = _solve_ivp_each(game, theta, phi, batch.t, rtol, atol)
    tight = _solve_ivp_stacked(game, theta, phi, batch.t, 1e-13, 1e-15)
    err_batch = np.abs(batch.states - tight).max(axis=(1, 2))
    err_loop = np.abs(loop - tight).max(axis=(1, 2))
    assert np.all(err_batch <= 1.5 * err_loop + 10 * atol), (err_batch, err_loop)


@pytest.mark.parametrize("method", ["RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA"])
def test_every_method_batched_matches_exact_gp0(method):
    lam = 0.3
    theta, phi = random_starts(8, 2, seed=1)
    run = simulate(make_game("gp0", lam=lam), theta, phi, t_max=10, samples=51, method=method, rtol=1e-8,
                   atol=1e-10)
    assert run.ok.all() and run.method == method
    m = closed_forms.gp0_matrix(lam, 2)
    for i in range(len(theta)):
        z0 = np.concatenate([theta[i], phi[i]])
        exact = np.array([scipy.linalg.expm(m * t) @ z0 for t in run.t])
        assert np.abs(run.states[i] - exact).max() < 1e-6, (method, i)


def test_implicit_methods_use_the_derived_jacobian():
    """Radau with the derived Jacobian needs no finite-difference Jacobian evaluations."""
    theta, phi = random_starts(5, 3, seed=2)
    game = make_game("gp1")
    run = simulate(game, theta, phi, t_max=5, samples=11, method="Radau", rtol=1e-8, atol=1e-10)
    ref = simulate(game, theta, phi, t_max=5, samples=11, method="DOP853", rtol=1e-11, atol=1e-13)
    assert run.ok.all()
    assert np.abs(run.states - ref.states).max() < 1e-6
    # With a Jacobian supplied, Radau's nfev is only the Newton-iteration evaluations; a
    # finite-difference Jacobian would add n = 30 evaluations per Jacobian.
    assert run.nfev < 3000


@settings(max_examples=25, deadline=None)
@given(
    dim=st.integers(1, 4),
    seed=st.integers(0, 2**31 - 1),
)
def test_minimax_conserves_energy(dim, seed):
    """minimax: d/dt(‖θ‖² + ‖φ‖²) = 2σ(θ·φ)(θ·φ − φ·θ) = 0."""
    theta, phi = random_starts(3, dim, seed=seed, box=1.0)
    run = simulate(make_game("minimax"), theta, phi, t_max=20, samples=41, rtol=1e-10, atol=1e-12)
    energy = np.sum(run.states**2, axis=-1)
    assert np.all(np.abs(energy / energy[:, :1] - 1) < 1e-8)


def test_wgan_conserves_the_critic_norm():
    """wgan: d/dt ‖φ‖² = 2(−θ·φ/‖φ‖ + (θ·φ)‖φ‖²/‖φ‖³) = 0."""
    theta, phi = random_starts(4, 3, seed=5)
    run = simulate(make_game("wgan"), theta, phi, t_max=10, samples=21)
    norms = np.linalg.norm(run.phi, axis=-1)
    assert np.all(np.abs(norms / norms[:, :1] - 1) < 1e-8)


def test_gp0_energy_never_increases():
    """gp0: d/dt(‖θ‖² + ‖φ‖²) = −4λ‖φ‖² ≤ 0."""
    theta, phi = random_starts(6, 2, seed=9)
    run = simulate(make_game("gp0", lam=0.2), theta, phi, t_max=20, samples=401)
    energy = np.sum(run.states**2, axis=-1)
    assert np.all(np.diff(energy, axis=1) <= 1e-12)
    assert np.all(energy[:, -1] < 0.01 * energy[:, 0])


@pytest.mark.parametrize("name", ["vanilla", "gp1", "qp"])
def test_default_start_in_higher_dimension_repeats_the_plane(name):
    """Rotation invariance: span{θ0, φ0} is invariant, so d = 5 repeats d = 2."""
    run2 = simulate(make_game(name), *default_start(2), t_max=10, samples=51)
    run5 = simulate(make_game(name), *default_start(5), t_max=10, samples=51)
    np.testing.assert_allclose(run5.theta[..., :2], run2.theta, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(run5.phi[..., :2], run2.phi, rtol=1e-7, atol=1e-9)
    assert np.all(run5.theta[..., 2:] == 0) and np.all(run5.phi[..., 2:] == 0)


# -- events --------------------------------------------------------------------------------

GROWTH = GameSpec("growth", "φ' = φ (test game)", lambda s: (-s.phi_sq / 2, 0 * s.dot))
BLOWUP = GameSpec("blowup", "φ' = ‖φ‖² φ (test game)", lambda s: (-s.phi_sq**2 / 4, 0 * s.dot))


@pytest.mark.parametrize("method", ["DOP853", "RK45", "Radau", "LSODA"])
def test_divergence_event_at_the_exact_time(method):
    """φ' = φ from ‖φ0‖ = r reaches the bound B at t = log(B/r), each run on its own."""
    bound = 1e3
    radii = np.array([1.0, 0.5, 1e-4])
    phi0 = np.stack([radii, np.zeros(3)], axis=1)
    run = simulate(GROWTH.bind(), np.zeros((3, 2)), phi0, t_max=8.0, samples=81, bound=bound, method=method)
    want = np.log(bound / radii)
    hit = want < 8.0
    assert list(run.status) == [Status.DIVERGED if h else Status.FINISHED for h in hit]
    np.testing.assert_allclose(run.t_end[hit], want[hit], rtol=1e-7)
    np.testing.assert_allclose(np.linalg.norm(run.state_end[hit], axis=1), bound, rtol=1e-7)
    # Samples after the stop are NaN in the dense array, and run(i) ends at the stop.
    for i in np.flatnonzero(hit):
        assert np.all(np.isnan(run.states[i, run.t > run.t_end[i]]))
        t, z = run.run(i)
        assert t[-1] == run.t_end[i] and np.all(np.isfinite(z))
    # The surviving run is unaffected: φ(t) = φ0 e^t.
    np.testing.assert_allclose(run.phi[2, :, 0], 1e-4 * np.exp(run.t), rtol=1e-8)


def test_finite_time_blow_up_is_stopped_and_reported():
    """φ' = ‖φ‖²φ: b = ‖φ‖² obeys b' = 2b², so ‖φ‖ reaches B at t = (1/b0 − 1/B²)/2."""
    bound = 1e6
    b0 = np.array([1.0, 0.25, 1e-4])
    phi0 = np.stack([np.sqrt(b0), np.zeros(3)], axis=1)
    run = simulate(BLOWUP.bind(), np.zeros((3, 2)), phi0, t_max=40, samples=101, bound=bound)
    want = (1 / b0 - 1 / bound**2) / 2
    assert list(run.status) == [Status.DIVERGED, Status.DIVERGED, Status.FINISHED]
    np.testing.assert_allclose(run.t_end[:2], want[:2], rtol=1e-8)
    assert "diverged" in run.messages[0] and "reached 1e+06" in run.messages[0]
    assert run.summary() == "3 runs: 2 diverged, 1 finished"


# -- singular points -----------------------------------------------------------------------

@pytest.mark.parametrize("name, theta, phi", [
    ("wgan", [0.3, 0.1], [0.0, 0.0]),
    ("gp1", [0.3, 0.1], [0.0, 0.0]),
    ("qp", [0.0, 0.0], [0.1, 0.2]),
])
def test_singular_start_is_reported_and_does_not_poison_the_batch(name, theta, phi):
    good_t, good_p = random_starts(4, 2, seed=11)
    th = np.vstack([good_t[:2], theta, good_t[2:]])
    ph = np.vstack([good_p[:2], phi, good_p[2:]])
    game = make_game(name)
    run = simulate(game, th, ph, t_max=5, samples=26)
    ref = simulate(game, good_t, good_p, t_max=5, samples=26)
    assert run.status[2] == Status.SINGULAR and run.t_end[2] == 0
    assert "singular" in run.messages[2] and "not finite" in run.messages[2]
    assert np.all(np.delete(run.status, 2) == Status.FINISHED)
    others = np.delete(run.states, 2, axis=0)
    assert np.all(np.isfinite(others))
    np.testing.assert_allclose(others, ref.states, rtol=1e-7, atol=1e-9)


# A field with a wall: φ' = 2(‖φ‖² − 1/4)√(1 − ‖φ‖²) φ, from
# L_D = ½(1 − ‖φ‖²)^{3/2} − ⅖(1 − ‖φ‖²)^{5/2}.  Runs with ‖φ0‖ > 1/2 reach ‖φ‖ = 1 in finite
# time and trial stages beyond it are NaN; runs with ‖φ0‖ < 1/2 decay smoothly to 0.
WALL = GameSpec("wall", "NaN beyond ‖φ‖ = 1 (test game)",
                lambda s: ((1 - s.phi_sq) * s.sqrt(1 - s.phi_sq) / 2 - 2 * (1 - s.phi_sq) ** 2 * s.sqrt(1 - s.phi_sq) / 5,
                           0 * s.dot))


@pytest.mark.parametrize("method", ["DOP853", "RK45", "Radau", "LSODA"])
def test_nan_trial_stages_do_not_poison_other_runs(method):
    phi0 = np.array([[0.9, 0.0], [0.1, 0.0], [0.6, 0.0], [0.0, 0.3], [0.0, 0.0]])
    run = simulate(WALL.bind(), np.zeros((5, 2)), phi0, t_max=10, samples=101, method=method)
    for i in range(5):
        t, z = run.run(i)
        assert np.all(np.isfinite(z))
    for i in (0, 2):   # the runs that hit the wall get there and stop or stay finite
        assert np.linalg.norm(run.run(i)[1][:, 2:], axis=1).max() > 0.999
    safe = [1, 3, 4]
    alone = simulate(WALL.bind(), np.zeros((3, 2)), phi0[safe], t_max=10, samples=101, method=method)
    assert np.all(run.status[safe] == Status.FINISHED) and alone.ok.all()
    np.testing.assert_allclose(run.states[safe], alone.states, rtol=1e-7, atol=1e-10)
    # The φ = 0 run is a fixed point and must finish untouched.
    assert np.all(run.states[4] == 0)


# -- options -------------------------------------------------------------------------------

def test_output_times():
    np.testing.assert_allclose(output_times(10, samples=6), [0, 2, 4, 6, 8, 10])
    np.testing.assert_allclose(output_times(1, dt=0.3), [0, 0.3, 0.6, 0.9, 1.0])
    t = output_times(1, dt=0.25)
    assert len(t) == 5 and t[-1] == 1.0
    assert len(output_times(40)) == 1001
    for bad in [dict(t_max=0), dict(t_max=-1), dict(t_max=math.nan), dict(t_max=1, samples=1),
                dict(t_max=1, dt=0), dict(t_max=1, samples=5, dt=0.1)]:
        with pytest.raises(InputError):
            output_times(**bad)


def test_bad_simulate_arguments():
    game = make_game("gp0")
    with pytest.raises(InputError, match="same shape"):
        simulate(game, [0.1, 0.2], [0.1, 0.2, 0.3])
    with pytest.raises(InputError, match="unknown method"):
        simulate(game, [0.1], [0.1], method="Euler")
    with pytest.raises(InputError, match="rtol"):
        simulate(game, [0.1], [0.1], rtol=-1)
    with pytest.raises(InputError, match="discrete time"):
        simulate(make_game("wgan-clip"), [0.1], [0.1])


def test_finished_run_view_is_the_dense_array():
    run = simulate(make_game("vanilla"), *default_start(2), t_max=5, samples=11)
    t, z = run.run(0)
    np.testing.assert_array_equal(t, run.t)
    np.testing.assert_array_equal(z, run.states[0])
    assert run.messages[0] == "finished at t = 5" and run.summary() == "1 run: 1 finished"


@pytest.mark.parametrize("name", ["vanilla", "minimax", "wgan", "gp", "gp0", "gp1", "qp"])
def test_seed_games_from_the_seed_start(name):
    """Coarse checks of the seed's claims (the analysis issue measures them precisely)."""
    run = simulate(make_game(name), *default_start(2), t_max=40, samples=401)
    assert run.ok.all()
    r_theta = np.linalg.norm(run.theta[0], axis=-1)
    late = r_theta[run.t >= 30]
    if name == "gp0":
        assert late.max() < 0.02                       # converges, rate λ = 0.1
    elif name == "gp1":
        assert abs(late.mean() - 1.0) < 0.1            # settles near the circle ‖θ‖ = c = 1
    else:
        assert late.max() > 0.05                       # does not converge


def test_step_budget_stops_a_run_instead_of_hanging():
    """wgan with a tiny ‖φ‖ rotates at rate ~‖θ‖/‖φ‖²: the budget stops it as failed (at the
    first checkpoint, 1000 steps, since reaching t_max would need far more than the budget)."""
    run = simulate(make_game("wgan"), [[1e-3, 0.0], [0.2, 0.1]], [[0.0, 1e-6], [0.1, 0.2]], t_max=1.0, samples=11,
                   max_steps=2000)
    assert run.status[0] == Status.FAILED and "over the budget of 2000 (--max-steps)" in run.messages[0]
    assert np.all(np.isfinite(run.run(0)[1]))


def test_tolerance_and_size_limits():
    game = make_game("gp0")
    for rtol in (1.0, 1e-30):
        with pytest.raises(InputError, match="rtol must be in"):
            simulate(game, [0.1], [0.1], rtol=rtol)
    with pytest.raises(InputError, match="GiB"):
        simulate(game, np.zeros((3_000_000, 2)), np.ones((3_000_000, 2)))


def _gp1_line_reference(lam, z0, t):
    """gp1 in d = 1 solved independently: φ' = −θ − 2λφ + 2λ·sign(φ), θ' = φ, integrated side
    by side with solve_ivp (hand-written branch fields, a terminal event at φ = 0)."""
    segments, t0, z, side = [], 0.0, np.array(z0, dtype=float), 1.0 if z0[1] > 0 else -1.0
    while t0 < t[-1]:
        def field(_, y, s=side):
            return [y[1], -y[0] - 2 * lam * y[1] + 2 * lam * s]

        def hit(_, y):
            return y[1]

        hit.terminal, hit.direction = True, -side
        sol = scipy.integrate.solve_ivp(field, (t0, t[-1]), z, method="DOP853", rtol=1e-12, atol=1e-14,
                                        dense_output=True, events=hit)
        segments.append((t0, sol.t[-1], sol.sol))
        if sol.status != 1:
            break
        t0, z = float(sol.t_events[0][0]), np.array(sol.y_events[0][0])
        z[1] = 0.0
        up, down = -z[0] + 2 * lam, -z[0] - 2 * lam       # φ' on either side at φ = 0
        assert up * down > 0, "the reference does not handle sliding"
        side = 1.0 if up > 0 else -1.0
    out = np.empty((len(t), 2))
    for k, tk in enumerate(t):
        a, b, sol = next(s for s in segments if s[0] <= tk <= s[1])
        out[k] = sol(tk)
    return out


def test_gp1_in_one_dimension_switches_at_phi_zero_batched():
    """In d = 1, gp1's field jumps at φ = 0 (2λφ/|φ| = 2λ·sign(φ)): a batch locates every
    crossing of every run and agrees with an independent side-by-side solve."""
    lam = 0.1
    theta, phi = random_starts(12, 1, seed=7)
    run = simulate(make_game("gp1", lam=lam), theta, phi, t_max=20, samples=201)
    assert run.ok.all()
    assert run.options["switch_landings"] >= 12
    for i in range(len(theta)):
        ref = _gp1_line_reference(lam, [theta[i, 0], phi[i, 0]], run.t)
        assert np.abs(run.states[i] - ref).max() < 1e-8, i


def test_batch_cut_into_groups_matches_the_exact_solution():
    """A batch integrated in several groups (group_size 5 for 13 runs, the last group smaller)
    writes every run's samples in place and matches expm(M t) z0."""
    from diracgan.derivation.numeric import vector_field
    from diracgan.dynamics.flow import solve_batch

    lam = 0.2
    game = make_game("gp0", lam=lam)
    vf, params = vector_field(game.spec), game.param_values()
    theta, phi = random_starts(13, 2, seed=11)
    z0 = np.hstack([theta, phi])
    t = output_times(10.0, 41)
    out = solve_batch(lambda z: vf.rhs(z, params), z0, t, rtol=1e-10, atol=1e-12, group_size=5,
                      rhs_columns=lambda c: vf.rhs_columns(c, params))
    m = closed_forms.gp0_matrix(lam, 2)
    exact = np.array([[scipy.linalg.expm(m * tk) @ z for tk in t] for z in z0])
    assert np.all(out["status"] == Status.FINISHED)
    assert np.abs(out["states"] - exact).max() < 1e-8
