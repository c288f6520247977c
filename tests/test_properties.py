"""Properties of the API, checked with hypothesis (issue 13).

* batch evaluation equals one-by-one evaluation (field and Jacobian);
* the equilibrium θ = φ = 0 is a fixed point of the field, the flow and every optimizer, for
  every game defined there (the singular games report it as singular instead);
* rotation invariance: rotating θ₀ and φ₀ by an orthogonal Q rotates the trajectory by Q;
* minimax conserves ‖θ‖² + ‖φ‖²; wgan conserves ‖φ‖;
* start files round-trip exactly (.npy, .csv with and without a header, .json, and a
  ``simulate`` CSV gives back its starts).

Examples are few and runs short (``settings`` below), so each property takes seconds.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diracgan import make_game, simulate
from diracgan.derivation.numeric import vector_field
from diracgan.dynamics.flow import Status
from diracgan.dynamics.starts import load_starts
from diracgan.dynamics.training import TrainStatus, train
from diracgan.games import GAMES
from diracgan.io import state_columns, write_table, write_trajectories

ODE = [n for n, s in GAMES.items() if not s.discrete_only]
SINGULAR_AT_0 = {"wgan", "gp", "gp1", "qp"}          # gp with its default c = 1
FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

param = st.floats(0.05, 2.0)
coord = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)


def _game(name, values):
    spec = GAMES[name]
    return make_game(name, **{p.name: v for p, v in zip(spec.params, values)})


@st.composite
def games(draw, names=tuple(ODE)):
    name = draw(st.sampled_from(names))
    return _game(name, [draw(param) for _ in GAMES[name].params])


@st.composite
def batches(draw, max_n=6, max_d=4):
    n = draw(st.integers(1, max_n))
    d = draw(st.integers(1, max_d))
    z = np.array(draw(st.lists(coord, min_size=2 * n * d, max_size=2 * n * d))).reshape(n, 2 * d)
    return z[:, :d], z[:, d:]


@FAST
@given(games(), batches())
def test_batch_equals_single_evaluation(game, batch):
    theta, phi = batch
    vf = vector_field(game.spec)
    params = game.param_values()
    bt, bp = vf(theta, phi, params)
    bj = vf.jacobian(theta, phi, params)
    for i in range(len(theta)):
        st_, sp_ = vf(theta[i], phi[i], params)
        # Where the exact value is 0 by cancellation (wgan with φ ∥ θ: θ/‖φ‖ − (θ·φ)φ/‖φ‖³) the two
        # evaluation orders leave different round-off, a few ulps of the cancelling terms' size.
        nt, nph = np.linalg.norm(theta[i]), np.linalg.norm(phi[i])
        terms = 1 + nt + nph + (nt / nph if nph else 0) + (nph / nt if nt else 0)
        np.testing.assert_allclose(bt[i], st_, rtol=1e-14, atol=8 * np.finfo(float).eps * terms)
        np.testing.assert_allclose(bp[i], sp_, rtol=1e-14, atol=8 * np.finfo(float).eps * terms)
        np.testing.assert_allclose(bj[i], vf.jacobian(theta[i], phi[i], params), rtol=1e-14, atol=0)


@FAST
@given(games(), st.integers(1, 4), st.sampled_from(["sgd", "adam", "rmsprop", "optimistic", "extragradient"]),
       st.floats(1e-3, 0.5))
def test_the_equilibrium_is_a_fixed_point(game, d, optimizer, lr):
    zero = np.zeros(d)
    singular = game.name in SINGULAR_AT_0
    dtheta, dphi = vector_field(game.spec)(zero, zero, game.param_values())
    if singular:
        assert not np.all(np.isfinite(np.concatenate([dtheta, dphi])))
    else:
        assert np.all(np.concatenate([dtheta, dphi]) == 0)
    run = simulate(game, zero, zero, t_max=5.0, samples=3)
    if singular:
        assert run.status[0] == Status.SINGULAR
    else:
        assert run.ok[0] and np.all(run.states == 0)
    tr = train(game, zero, zero, optimizer=optimizer, lr=lr, steps=20)
    if singular:
        assert tr.status[0] == TrainStatus.SINGULAR
    else:
        assert tr.status[0] == TrainStatus.FINISHED and np.all(tr.theta == 0) and np.all(tr.phi == 0)


def _orthogonal(seed: int, d: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return q * np.sign(np.diag(r))


@st.composite
def starts_away_from_singular_sets(draw, d):
    z = np.array(draw(st.lists(st.floats(-1.0, 1.0), min_size=2 * d, max_size=2 * d)))
    theta, phi = z[:d], z[d:]
    if np.linalg.norm(theta) < 0.2:
        theta = theta + 0.2
    if np.linalg.norm(phi) < 0.2:
        phi = phi + 0.2
    return theta, phi


@SLOW
@given(games(("vanilla", "minimax", "wgan", "gp0", "gp1", "qp")), st.integers(0, 2**32 - 1),
       starts_away_from_singular_sets(3))
def test_rotating_the_start_rotates_the_trajectory(game, seed, start):
    q = _orthogonal(seed, 3)
    theta, phi = start
    a = simulate(game, theta, phi, t_max=2.0, samples=9)
    b = simulate(game, q @ theta, q @ phi, t_max=2.0, samples=9)
    assert a.ok[0] and b.ok[0], (a.messages, b.messages)
    np.testing.assert_allclose(b.theta[0], a.theta[0] @ q.T, atol=1e-7)
    np.testing.assert_allclose(b.phi[0], a.phi[0] @ q.T, atol=1e-7)


@SLOW
@given(batches(max_n=3, max_d=3))
def test_minimax_conserves_the_energy(batch):
    theta, phi = batch
    run = simulate(make_game("minimax"), theta, phi, t_max=10.0, samples=21)
    energy = np.sum(run.theta**2, axis=-1) + np.sum(run.phi**2, axis=-1)
    assert run.ok.all()
    np.testing.assert_allclose(energy, energy[:, :1] * np.ones_like(energy), rtol=1e-7, atol=1e-12)


@SLOW
@given(st.integers(1, 3).flatmap(starts_away_from_singular_sets))
def test_wgan_conserves_the_norm_of_phi(start):
    theta, phi = start
    run = simulate(make_game("wgan"), theta, phi, t_max=3.0, samples=13)
    assert run.ok[0], run.messages[0]
    norms = np.linalg.norm(run.phi[0], axis=-1)
    np.testing.assert_allclose(norms, np.linalg.norm(phi), rtol=1e-7)


finite = st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False)


@st.composite
def start_arrays(draw, values=finite, min_n=1):
    n, d = draw(st.integers(min_n, 5)), draw(st.integers(1, 4))
    return np.array(draw(st.lists(values, min_size=2 * n * d, max_size=2 * n * d))).reshape(n, 2 * d)


@FAST
@given(start_arrays(), st.sampled_from(["npy", "csv", "csv-no-header", "json"]))
def test_start_files_round_trip(z, kind):
    d = z.shape[1] // 2
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "npy":
            path = Path(tmp) / "s.npy"
            np.save(path, z)
        elif kind == "json":
            path = Path(tmp) / "s.json"
            path.write_text(json.dumps({"theta": z[:, :d].tolist(), "phi": z[:, d:].tolist()}))
        else:
            path = Path(tmp) / "s.csv"
            if kind == "csv":
                write_table(path, state_columns(d), z)
            else:
                path.write_text("".join(",".join(repr(float(x)) for x in row) + "\n" for row in z))
        theta, phi = load_starts(path)
    np.testing.assert_array_equal(np.hstack([theta, phi]), z)


@SLOW
@given(start_arrays(st.floats(-10.0, 10.0), min_n=2))
def test_a_simulate_csv_gives_back_its_starts(z):
    d = z.shape[1] // 2
    run = simulate(make_game("gp0"), z[:, :d], z[:, d:], t_max=0.5, samples=3)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_trajectories(run, Path(tmp) / "run.csv")
        theta, phi = load_starts(path)
    np.testing.assert_array_equal(np.hstack([theta, phi]), z)
