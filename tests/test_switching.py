"""Switching surfaces with every scipy method: crossings (gp1 in d = 1, whose field jumps at φ = 0)
and Filippov sliding (hinge in d = 1, on θφ = −1), each against an independent solution."""

import numpy as np
import pytest
import scipy.optimize

from diracgan.dynamics.flow import METHODS, simulate
from diracgan.dynamics.starts import random_starts
from diracgan.games import make_game
from test_integrate import _gp1_line_reference

ALL_METHODS = list(METHODS)


@pytest.mark.parametrize("method", ALL_METHODS)
def test_gp1_line_crossings_with_every_method(method):
    """6 runs of gp1 in d = 1 (3 crossings of φ = 0 each in t ≤ 10) agree with a side-by-side
    solve_ivp reference at rtol 1e-12; the implicit methods run the crossings on their own dense
    output (BDF's has no step size h, which the rescaled crossing once assumed)."""
    lam = 0.1
    theta, phi = random_starts(6, 1, seed=7)
    run = simulate(make_game("gp1", lam=lam), theta, phi, t_max=10, samples=51, method=method, rtol=1e-8,
                   atol=1e-10)
    assert run.ok.all(), run.messages
    assert run.options["switch_landings"] >= 12
    err = max(np.abs(run.states[i] - _gp1_line_reference(lam, [theta[i, 0], phi[i, 0]], run.t)).max()
              for i in range(len(theta)))
    assert err < 2e-7, (method, err)      # measured: 5e-10 (Radau) … 9.5e-8 (BDF)


def test_gp1_line_with_bdf_from_the_issue():
    """`simulate --loss gp1 --dim 1 --method BDF --theta 0.5 --phi 0.3 --t-max 50` ended in
    AttributeError ('BdfDenseOutput' object has no attribute 'h')."""
    run = simulate(make_game("gp1"), [0.5], [0.3], t_max=50, samples=101, method="BDF")
    assert run.ok.all() and run.options["switch_landings"] > 0
    ref = _gp1_line_reference(0.1, [0.5, 0.3], run.t)
    assert np.abs(run.states[0] - ref).max() < 1e-6


def _hinge_line(theta0, phi0, t):
    """Hinge in d = 1 in closed form, from above the surface θφ = −1: the rotation (θ, φ)' = (φ, −θ)
    until θφ = −1 at t_c; there |θ| > |φ|, both sides push into the surface and the run slides
    (θφ = −1 and θ' = φ = −1/θ, so θ² = θ_c² − 2(t − t_c)) until |θ| = |φ| = 1 at
    t_e = t_c + (θ_c² − 1)/2; then the rotation from (s, −s), s = sign θ_c, which keeps
    θφ = −cos 2(t − t_e) > −1 for 0 < t − t_e < π."""
    def rot(z0, s):
        return np.array([z0[0] * np.cos(s) + z0[1] * np.sin(s), z0[1] * np.cos(s) - z0[0] * np.sin(s)])

    g = lambda s: np.prod(rot((theta0, phi0), s), axis=0) + 1   # noqa: E731
    grid = np.linspace(0, 2 * np.pi, 4001)
    i = np.flatnonzero(np.sign(g(grid[1:])) != np.sign(g(grid[:-1])))[0]
    t_c = scipy.optimize.brentq(g, grid[i], grid[i + 1], xtol=1e-15)
    th_c = rot((theta0, phi0), t_c)[0]
    assert abs(th_c) > 1, "the reference handles a landing that slides"
    t_e, s = t_c + (th_c**2 - 1) / 2, np.sign(th_c)
    assert t[-1] < t_e + np.pi
    out = np.empty((len(t), 2))
    for k, tk in enumerate(t):
        if tk <= t_c:
            out[k] = rot((theta0, phi0), tk)
        elif tk <= t_e:
            th = s * np.sqrt(th_c**2 - 2 * (tk - t_c))
            out[k] = th, -1 / th
        else:
            out[k] = rot((s, -s), tk - t_e)
    return out


# Known bug (issue 19 report): a run that leaves the sliding surface tangentially (|θ| = |φ|) can
# be landed back on it by rounding and then slides on past the end of the sliding region, until
# the Filippov field blows up at θ = 0 (t = t_e + 1/2): LSODA alone, and batches of runs that
# leave at the same time (mirror starts) with the other methods.
_TANGENT_EXIT = pytest.mark.xfail(strict=True, reason="a tangential exit from sliding is landed back")


@pytest.mark.parametrize("method", [m if m != "LSODA" else pytest.param(m, marks=_TANGENT_EXIT)
                                    for m in ALL_METHODS])
@pytest.mark.parametrize("theta0, phi0", [(2.0, 0.0)])
def test_hinge_line_slides_and_leaves_with_every_method(method, theta0, phi0):
    """Rotation, landing on θφ = −1, Filippov sliding to |θ| = |φ| and the rotation after it."""
    run = simulate(make_game("hinge"), [theta0], [phi0], t_max=3.0, samples=61, method=method, rtol=1e-8,
                   atol=1e-10)
    assert run.ok.all(), run.messages
    err = np.abs(run.states[0] - _hinge_line(theta0, phi0, run.t)).max()
    assert err < 2e-6, (method, err)      # measured: 1.7e-9 (Radau) … 5.1e-7 (BDF)


@_TANGENT_EXIT
def test_hinge_line_mirror_starts_leave_together():
    run = simulate(make_game("hinge"), [[1.5], [-1.5]], [[0.3], [-0.3]], t_max=3.0, samples=61, rtol=1e-8,
                   atol=1e-10, max_steps=2000)
    assert run.ok.all(), run.messages
