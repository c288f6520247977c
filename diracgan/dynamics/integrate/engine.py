"""The batch engine: groups of runs integrated jointly, split or shrunk as runs stop or misbehave.

:class:`Engine` ties the pieces of this package: the stacked state and the solver of a group
(:mod:`.stepper`), the samples written after each step (:mod:`.sampling`), events on switching
surfaces and sliding (:mod:`.switching`), and the outcomes and step budget of every run
(:mod:`.budget`).  :func:`solve_batch` is its entry point (see :mod:`diracgan.dynamics.flow` for
the guarantees).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import scipy.optimize

from ...errors import InputError
from .budget import CHECKPOINTS, Outcomes, Status
from .sampling import Sampling
from .stepper import (DEFAULT_ATOL, DEFAULT_BOUND, DEFAULT_RTOL, EPS, GROUP_SIZE, NonFinite, Stepper, per_run_norm,
                      solver_class)
from .switching import Switching

__all__ = ["Engine", "solve_batch"]


class Engine(Stepper, Sampling, Switching, Outcomes):
    """State of one batch integration (see :func:`solve_batch`); groups of runs are
    integrated jointly and split or shrunk as runs stop or misbehave."""

    def __init__(self, rhs, jac, z0, t_eval, cls, method_name, rtol, atol, bound, max_step, singular_hint,
                 max_steps, piecewise=None, rhs_columns=None, group_size=GROUP_SIZE):
        self.rhs, self.jac = rhs, jac
        # Explicit Runge–Kutta methods: the stacked state is column-wise (coordinate-major, each
        # row contiguous over the runs: fast numpy) with per-run error norms.  Other methods: the
        # runs' states one after another (block-diagonal Jacobians) with tolerances ÷ √k.
        per_run = per_run_norm(cls)
        self.columns = per_run is not None
        self.cls = per_run if self.columns else cls
        self.rhs_columns = rhs_columns if rhs_columns is not None else (lambda c: np.ascontiguousarray(rhs(c.T).T))
        self.group_size = max(1, int(group_size))
        # A non-smooth field: piecewise.switch(z) → (k, K) switching functions,
        # piecewise.filippov(z, j) → (sliding field, σ₊, σ₋) on surface j.
        self.piecewise = piecewise
        self.switch = piecewise.switch if piecewise is not None else None
        self.switch_landings = 0
        self.sliding = np.full(len(z0), -1)   # the surface a run slides on, or −1
        # With one switching surface, each run off it is integrated with the smooth branch of
        # its side (extended across the surface), so a step over the surface is smooth: the
        # crossing is located on it and the step redone to land there, instead of the step
        # size collapsing against the jump.  ``side`` is ±1 per run (set in run()).
        self.frozen = piecewise is not None and piecewise.count == 1
        self.side = np.ones(len(z0), dtype=np.int8)
        self.method = method_name
        self.implicit = method_name in ("Radau", "BDF", "LSODA")
        self.rtol, self.atol, self.bound, self.max_step = rtol, atol, bound, max_step
        self.max_steps = max_steps
        self.steps = np.zeros(len(z0), dtype=np.int64)   # solver steps taken per run
        self.singular_hint = singular_hint
        self.t_eval = t_eval
        self.t0, self.t_max = float(t_eval[0]), float(t_eval[-1])
        n_runs, self.n = z0.shape
        # Allocated once and written sample by sample (no NaN pre-fill): ``filled`` counts the
        # samples written per run; the rest are set to NaN at the end.
        self.states = np.empty((n_runs, len(t_eval), self.n))
        self.states[:, 0] = z0
        self.filled = np.ones(n_runs, dtype=np.int64)
        self.t_end = np.full(n_runs, self.t_max)
        self.state_end = z0.copy()
        self.status = np.full(n_runs, Status.FINISHED)
        self.messages = [""] * n_runs
        self.nfev = 0
        # Bookkeeping of the switching logic (see switching.py): the dense output built for the
        # last step's crossings, the tangency splits so far, the rescaled time a cross_group
        # restarts from, and the (run, t) of the last stall on a surface.
        self._dense = None
        self._splits = 0
        self._tau = 0.0
        self._stalled = None


    def run_group(self, idx, t_start, h0):
        """Integrate runs ``idx`` from ``t_start``; returns groups to integrate separately.

        With switching functions (a non-smooth field), a step across a switching surface is
        not accepted: the crossing time is located on the step's dense output and the step is
        redone to end exactly there, so no step straddles the kink (the solver's error
        control assumes a smooth field within a step)."""
        t_bound = self.t_max
        redone = 0
        h_resume = None
        extra = []                 # runs split off to go on alone: (idx, t, h0)
        target = skip = None       # (run, switch) the current segment ends on / has just landed on
        while len(idx) and t_start < self.t_max:
            k = len(idx)
            solver = None
            try:
                solver = self.make_solver(idx, t_start, h0, t_bound)
                while solver.status == "running":
                    t_old = solver.t
                    if self.steps[idx].max() >= self.max_steps:
                        self.out_of_steps(idx, t_old, self._step_size(solver))
                        return []
                    message = solver.step()
                    self.steps[idx] += 1
                    if solver.status == "failed":
                        if k > 1:  # isolate whoever forced the failure: each run alone
                            return [(idx[r:r + 1], t_old, None) for r in range(k)]
                        surface = self.stalled_on_surface(idx[0], t_old)
                        if surface is not None:
                            # The step size collapsed against a switching surface (an implicit
                            # method at a kink): land there, slide if both sides push in.
                            self.land((idx[0], surface, "cross"))
                            t_start, t_bound, h0, skip = t_old, self.t_max, None, (idx[0], surface)
                            self.switch_landings += 1
                            break
                        self.fail_single(idx[0], t_old, message)
                        return []
                    if self.switch is not None and redone < 60:
                        # A segment that ends on a crossing (t_bound < t_max) does not look for
                        # that crossing again: it was located on the segment's end, and finding
                        # it a hair earlier on each new step would only shorten the steps.
                        ahead = target[:2] if (target is not None and t_bound < self.t_max) else None
                        crossing = self.first_crossing(idx, solver, t_old, skip, ahead, exits_only=self.frozen)
                        if crossing is not None and crossing[0] - t_old <= 4 * EPS * max(1.0, abs(t_old)):
                            crossing = None      # at the segment's start: nothing to redo
                        if crossing is not None:
                            # Redo [t_old, t_cross] with a fresh solver that ends on the surface.
                            t_cross, target = crossing
                            h_resume = self._step_size(solver)
                            t_start, t_bound, h0 = t_old, t_cross, t_cross - t_old
                            redone += 1
                            break
                    skip = None
                    crossers = self.side_crossings(idx, solver, t_old) if self.frozen else []
                    stopped = self.after_step(idx, solver, t_old)
                    if crossers:
                        # Runs that crossed their surface within the step continue from their
                        # crossings together (see cross_group); the group goes on from here.
                        live = [c for c in crossers if not stopped[c[0]]]
                        if live:
                            rows = np.array([c[0] for c in live])
                            for i, t_split in self.cross_group(idx[rows], np.array([c[1] for c in live]),
                                                               np.array([c[2] for c in live]), solver.t,
                                                               self._step_size(solver)):
                                extra.append((np.array([i]), t_split, None))
                                stopped[np.flatnonzero(idx == i)] = True
                        idx, t_start, h0 = idx[~stopped], solver.t, self._step_size(solver)
                        break
                    if not stopped.any() and int(self.steps[idx].max()) in CHECKPOINTS and self.over_budget(idx, solver):
                        return extra
                    if stopped.any():
                        idx, t_start = idx[~stopped], solver.t
                        h0 = getattr(solver, "h_abs", None) or solver.step_size
                        break
                else:
                    if t_bound < self.t_max:     # landed on a switching surface: go on past it
                        self.switch_landings += 1
                        self.land(target)
                        t_start, t_bound, h0, redone, skip = solver.t, self.t_max, h_resume, 0, target[:2]
                        continue
                    return extra  # the group reached t_max
            except NonFinite as exc:
                # Nothing is committed mid-step: state_end holds the states at solver.t.
                t_here = t_start if solver is None else solver.t
                split = [(idx[r:r + 1], t_here, None) for r in exc.rows]
                return extra + split + [(np.delete(idx, exc.rows), t_here, getattr(solver, "h_abs", None))]
        return extra

    def after_step(self, idx, solver, t_old) -> np.ndarray:
        """Record samples and end states after an accepted step; stop runs that diverged or
        became non-finite.  Returns the mask of runs (in ``idx``) that stopped."""
        k, n = len(idx), self.n
        t_new = solver.t
        y_new = self.unpack(solver.y, k)
        # Cheap screen first: every entry finite and ‖z‖ ≤ √n·max|z| below the bound.
        with np.errstate(invalid="ignore"):
            big = float(np.max(np.abs(solver.y))) if solver.y.size else 0.0
        if big * math.sqrt(n) < self.bound:
            finite = np.ones(k, dtype=bool)
            over = np.zeros(k, dtype=bool)
        else:
            finite = np.isfinite(y_new).all(axis=1)
            with np.errstate(invalid="ignore"):
                over = finite & ~(np.linalg.norm(y_new, axis=1) < self.bound)
        bad = ~finite
        j0, j1 = self.sample_range(t_old, t_new)
        cached = self._dense
        if cached is not None and cached[0] is solver and cached[1] == t_new:
            sol = cached[2]      # side_crossings built it for this step
        else:
            sol = solver.dense_output() if (j1 > j0 or over.any()) else None
        if j1 > j0:
            self.write_samples(idx, sol, j0, j1)
        for r in np.flatnonzero(bad):
            # An accepted non-finite state (LSODA does not reject them): stop at the last
            # finite state, which state_end still holds.
            self.stop_singular(idx[r], t_old, self.state_end[idx[r]].copy(),
                               reason="the solution became non-finite just after")
        for r in np.flatnonzero(over):
            sl = self.run_slice(r, k)
            t_hit = scipy.optimize.brentq(lambda t: np.linalg.norm(sol(t)[sl]) - self.bound, t_old, t_new,
                                          xtol=1e-14 * max(1.0, abs(t_new)))
            self.stop(idx[r], Status.DIVERGED, t_hit, sol(t_hit)[sl],
                      f"diverged: ‖(θ, φ)‖ reached {self.bound:g} at t = {t_hit:.6g}")
        ok = finite & ~over
        if ok.all() and idx[-1] - idx[0] == k - 1:
            self.state_end[idx[0]:idx[-1] + 1] = y_new
        else:
            self.state_end[idx[ok]] = y_new[ok]
        return ~ok

    def run(self):
        self.check_starts()
        active = np.flatnonzero(self.status == Status.FINISHED)
        if self.frozen and len(active):
            with np.errstate(all="ignore"):
                s0 = np.asarray(self.switch(self.state_end[active]), dtype=float)[:, 0]
            self.side[active] = np.where(s0 < 0, -1, 1)
        g = self.group_size
        queue = [(active[i:i + g], self.t0, None) for i in range(0, len(active), g)][::-1]
        while queue:
            idx, t_start, h0 = queue.pop()
            if len(idx):
                queue.extend(self.run_group(idx, t_start, h0))
        for i in np.flatnonzero(self.filled < len(self.t_eval)):
            self.states[i, self.filled[i]:] = np.nan
        return {
            "states": self.states,
            "t_end": self.t_end,
            "state_end": self.state_end,
            "status": self.status,
            "messages": tuple(m or f"finished at t = {self.t_max:g}" for m in self.messages),
            "nfev": self.nfev,
            "method": self.method,
            "switch_landings": self.switch_landings,
        }


def solve_batch(
    rhs: Callable[[np.ndarray], np.ndarray],
    z0: np.ndarray,
    t_eval: np.ndarray,
    *,
    method="DOP853",
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    bound: float = DEFAULT_BOUND,
    jac: Callable[[np.ndarray], np.ndarray] | None = None,
    max_step: float = np.inf,
    singular_hint: str = "",
    max_steps: int = 500_000,
    piecewise=None,
    rhs_columns: Callable[[np.ndarray], np.ndarray] | None = None,
    group_size: int = GROUP_SIZE,
) -> dict:
    """Integrate z' = rhs(z) for a batch of starts (see the module doc for the guarantees).

    Parameters
    ----------
    rhs : batched autonomous field, (k, n) → (k, n).
    z0 : (N, n) starts.
    t_eval : (S,) increasing output times; integration runs from t_eval[0] to t_eval[-1].
    jac : batched Jacobian (k, n) → (k, n, n), passed to the implicit methods.
    singular_hint : appended to the message of runs stopped at a singular point.
    max_steps : solver steps a run may take before it is stopped as *failed* (a budget, so
        that a stiff or singular run, or an absurd horizon, cannot hang the caller).
    piecewise : for a non-smooth field, an object with ``switch(z) → (k, K)`` (its switching
        functions) and ``filippov(z, j) → (field, σ₊, σ₋)`` (see
        :meth:`diracgan.derivation.numeric.VectorField.filippov`): steps end on the surfaces
        instead of stepping over them, and a run whose field points into a surface from both
        sides slides along it (Filippov's convention) until one side lets it go.
    rhs_columns : optional, the same field on column-wise states (n, k) → (n, k) (each row one
        coordinate of all k runs), used by the explicit Runge–Kutta methods; default: ``rhs``
        on the transposed states.
    group_size : largest number of runs integrated jointly (default :data:`GROUP_SIZE`).

    Returns a dict with ``states`` (N, S, n), ``t_end``, ``state_end``, ``status``,
    ``messages``, ``nfev``, ``method`` (the fields of :class:`Trajectories`).
    """
    cls, method_name = solver_class(method)
    z0 = np.array(z0, dtype=float, ndmin=2)
    t_eval = np.asarray(t_eval, dtype=float)
    if int(max_steps) != max_steps or max_steps < 1:
        raise InputError(f"max-steps must be a whole number ≥ 1, got {max_steps!r}")
    engine = Engine(rhs, jac, z0, t_eval, cls, method_name, rtol, atol, bound, max_step, singular_hint,
                     int(max_steps), piecewise, rhs_columns, group_size)
    return engine.run()
