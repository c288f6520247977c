"""Integration of the continuous-time dynamics, for one start or a batch of starts.

The engine drives scipy's ``OdeSolver`` classes, the same step-by-step engines that
``scipy.integrate.solve_ivp`` runs (RK23, RK45, DOP853, Radau, BDF, LSODA, or any
``OdeSolver`` subclass), on all trajectories of a batch at once: the states of the N runs
are stacked into one vector and the vectorised field evaluates them in a single call per
stage.  It adds what ``solve_ivp`` cannot do for a batch:

* **Each trajectory keeps its accuracy.**  scipy's error norm is an RMS over all components,
  so in a joint solve one trajectory's error would be diluted by √N.  For the explicit
  Runge–Kutta methods (RK23, RK45, DOP853) the error norm is taken per run instead (each run's
  norm is the one scipy computes for it alone; a step is accepted when the largest is ≤ 1),
  against the tolerances ÷ min(√k, 3) for a group of k runs: a solo run is exactly
  ``solve_ivp``'s, and the margin keeps every run's global error at or below its solo error
  although the group's step sequence is not its own (tests/test_integrate.py).  The implicit
  methods keep scipy's norm with ``rtol`` and ``atol`` ÷ √k (floored at 100·eps), which also
  bounds every run's local error by its own tolerance.
* **Fast layout.**  The explicit methods stack the states column-wise (coordinate-major:
  each of the 2d rows holds one coordinate of all k runs, contiguous), so every numpy
  operation of the field and of the stages runs over long rows; the field is the generated
  :meth:`~diracgan.derivation.numeric.VectorField.rhs_columns`.  Batches are integrated in
  groups of at most :data:`GROUP_SIZE` runs (independent, so nothing is lost): a group's
  arrays stay in cache and its step is set by its own runs only.  The (N, S, 2d) output is
  allocated once and written sample by sample from each step's dense output.
* **Each trajectory stops on its own.**  After every accepted step the runs whose norm
  ‖(θ, φ)‖ crossed ``bound`` are stopped at the crossing time (found on the step's dense
  output) and removed; the others go on.
* **No NaN poisoning.**  If the field is not finite for some runs of a batch (a singular
  point: φ = 0 for wgan or gp1, θ = 0 for qp), those runs are split off and integrated
  alone, where scipy's step control handles non-finite trial stages by shrinking the step;
  a run whose own state is singular is stopped and reported.  A solver failure in a batch
  likewise splits the batch, so one bad run cannot stop the others.

The derived Jacobian is passed to the implicit methods (block-diagonal: sparse BSR for
Radau/BDF, packed banded for LSODA).  Results are a :class:`Trajectories`.

This module is the public face of the integrator; the engine itself lives in
:mod:`diracgan.dynamics.integrate` (one concept per module: the step and its error norm,
sampling, switching surfaces, budgets and statuses).
"""

from __future__ import annotations

import math

import numpy as np

from ..derivation.numeric import vector_field
from ..errors import InputError
from ..games import Game
from .integrate import (DEFAULT_ATOL, DEFAULT_BOUND, DEFAULT_METHOD, DEFAULT_RTOL, GROUP_SIZE, MAX_OUTPUT_BYTES,
                        METHODS, PER_RUN_MARGIN, Piecewise, Status, Trajectories, check_simulation_size,
                        n_output_times, output_times, solve_batch)
from .integrate.stepper import EPS

__all__ = [
    "METHODS",
    "DEFAULT_METHOD",
    "DEFAULT_RTOL",
    "DEFAULT_ATOL",
    "DEFAULT_BOUND",
    "Status",
    "Trajectories",
    "simulate",
    "solve_batch",
    "output_times",
    "n_output_times",
    "check_simulation_size",
    "GROUP_SIZE",
    "PER_RUN_MARGIN",
    "MAX_OUTPUT_BYTES",
]


def simulate(
    game: Game,
    theta0,
    phi0,
    *,
    t_max: float = 40.0,
    samples: int | None = None,
    dt: float | None = None,
    method="DOP853",
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    bound: float = DEFAULT_BOUND,
    max_step: float = np.inf,
    max_steps: int = 500_000,
) -> Trajectories:
    """Integrate the game's gradient dynamics from one start or a batch of starts.

    Parameters
    ----------
    game : a :class:`~diracgan.games.Game` (``make_game('gp0', lam=0.1)``).
    theta0, phi0 : (d,) for one start, or (N, d) for N starts.
    t_max : end time; ``samples`` output times evenly spaced (default 1001), or one every
        ``dt``.
    method : a name in :data:`METHODS` or an ``OdeSolver`` subclass.
    rtol, atol : tolerances per trajectory (scaled internally for batches, see module doc).
    bound : a run stops as diverged when ‖(θ, φ)‖ reaches it.
    max_steps : the solver-step budget per run (a run over it stops as *failed*).

    Returns
    -------
    Trajectories
        ``t``, ``theta``, ``phi`` (N, S, d), ``status`` per run; ``to_dataframe()``,
        ``to_xarray()``; draw with :func:`diracgan.phase_figure`.

    Examples
    --------
    >>> from diracgan import make_game, simulate
    >>> run = simulate(make_game("gp0"), [0.2, 0.1], [0.1, 0.2], t_max=40)
    >>> bool(run.ok[0]), run.states.shape
    (True, (1, 1001, 4))
    """
    if game.spec.discrete_only:
        raise InputError(f"{game.name} is defined only in discrete time (a projection step); "
                         f"use `diracgan train --loss {game.name}`")
    theta0 = np.array(theta0, dtype=float, ndmin=2)
    phi0 = np.array(phi0, dtype=float, ndmin=2)
    if theta0.shape != phi0.shape or theta0.ndim != 2:
        raise InputError(f"θ and φ starts must have the same shape (N, d), got {theta0.shape} and {phi0.shape}")
    if not (100 * EPS <= rtol < 1):
        raise InputError(f"rtol must be in [{100 * EPS:.2g}, 1) (scipy's solvers cannot do better), got {rtol!r}")
    if not (atol > 0 and math.isfinite(atol)):
        raise InputError(f"atol must be finite and > 0, got {atol!r}")
    if not (bound > 0):
        raise InputError(f"bound must be > 0, got {bound!r}")
    check_simulation_size(theta0.shape[0], theta0.shape[1], t_max, samples, dt,
                          method if isinstance(method, str) else "")
    t = output_times(t_max, samples, dt)
    vf = vector_field(game.spec)
    params = game.param_values()
    result = solve_batch(
        lambda z: vf.rhs(z, params),
        np.hstack([theta0, phi0]),
        t,
        method=method,
        rtol=rtol,
        atol=atol,
        bound=bound,
        jac=lambda z: vf.rhs_jacobian(z, params),
        max_step=max_step,
        max_steps=max_steps,
        singular_hint=f"{game.name} is singular at {game.spec.singular}" if game.spec.singular else "",
        piecewise=Piecewise(vf, params, theta0.shape[1]) or None,
        rhs_columns=lambda c: vf.rhs_columns(c, params),
    )
    return Trajectories(
        game=game,
        t=t,
        states=result["states"],
        t_end=result["t_end"],
        state_end=result["state_end"],
        status=result["status"],
        messages=result["messages"],
        method=result["method"],
        rtol=rtol,
        atol=atol,
        bound=bound,
        nfev=result["nfev"],
        options={"max_step": max_step, "switch_landings": result["switch_landings"]},
    )
