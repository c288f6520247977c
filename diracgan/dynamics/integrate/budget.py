"""Run statuses and the budgets that bound an integration: the size of its arrays (refused before
anything is allocated), the solver steps per run, and how a run is stopped and reported.

Every run ends in one :class:`Status`.  A run is stopped as *failed* after ``max_steps`` solver
steps, or earlier at a checkpoint (:data:`CHECKPOINTS`) when its current step size projects more
than 10× the budget to reach t_max; the message says what to change (:meth:`Outcomes.remedy`:
a stiff method when stability holds the explicit step down, else the horizon or the budget).
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import check_memory
from .sampling import n_output_times

__all__ = ["Status", "MAX_OUTPUT_BYTES", "CHECKPOINTS", "check_simulation_size", "Outcomes"]

CHECKPOINTS = frozenset({1000, 10_000, 100_000})
"""Solver steps after which a run's remaining steps are projected (see ``Outcomes.over_budget``)."""
MAX_OUTPUT_BYTES = 4 * 2**30
"""Largest dense (N, S, 2d) output array ``simulate`` will allocate (4 GiB; = errors.MAX_BYTES)."""


class Status:
    """Per-run status codes of a :class:`Trajectories`."""

    FINISHED = 0   #: reached t_max
    DIVERGED = 1   #: ‖(θ, φ)‖ reached the bound
    SINGULAR = 2   #: the field is not finite at the run's state (a singular point)
    FAILED = 3     #: the solver gave up (its message says why)

    NAMES = {0: "finished", 1: "diverged", 2: "singular", 3: "failed"}


def check_simulation_size(n_runs: int, dim: int, t_max: float, samples: int | None = None,
                          dt: float | None = None, method="DOP853") -> None:
    """Refuse (one line naming the option to change) a simulation whose arrays would exceed
    :data:`MAX_OUTPUT_BYTES`: the starts, the (N, S, 2d) output, and for the implicit methods
    the N Jacobian blocks (2d × 2d).  Call it before building starts or output times."""
    s = n_output_times(t_max, samples, dt)
    n = 2 * int(dim)
    check_memory(8.0 * n_runs * n, f"{n_runs} starts × {n} coordinates", "lower --n-init or --dim",
                 MAX_OUTPUT_BYTES)
    check_memory(8.0 * n_runs * s * n, f"{n_runs} run(s) × {s} output times × {n} coordinates",
                 "lower --samples (or raise --dt), --n-init or --dim", MAX_OUTPUT_BYTES)
    if method in ("Radau", "BDF", "LSODA"):
        check_memory(3 * 8.0 * n_runs * n * n, f"the implicit method {method}'s Jacobians "
                     f"({n_runs} blocks of {n} × {n})", "use --method DOP853, or lower --dim or --n-init",
                     MAX_OUTPUT_BYTES)


class Outcomes:
    """Mixin of the engine: the per-run outcome (``status``, ``t_end``, ``state_end``,
    ``messages``, the samples after a stop set to NaN) and the step budget.  Uses the engine's
    ``states``, ``filled``, ``t_eval``, ``t0``, ``t_max``, ``bound``, ``steps``, ``max_steps``,
    ``rhs``, ``jac``, ``implicit`` and ``singular_hint``."""

    def stop(self, i, code, t, z, message):
        self.status[i], self.t_end[i], self.state_end[i], self.messages[i] = code, t, z, message
        after = int(np.searchsorted(self.t_eval, t, side="right"))
        self.states[i, after:] = np.nan
        self.filled[i] = min(self.filled[i], after)


    def stop_singular(self, i, t, z, reason="the field is not finite at"):
        where = f" ({self.singular_hint})" if self.singular_hint else ""
        self.stop(i, Status.SINGULAR, t, z,
                  f"singular: {reason} t = {t:.6g}, state {np.array2string(np.asarray(z), precision=4)}{where}")

    def check_starts(self):
        z0 = self.state_end
        with np.errstate(all="ignore"):
            f0 = self.rhs(z0)
            norms = np.linalg.norm(z0, axis=1)
        good = np.isfinite(z0).all(axis=1) & np.isfinite(f0).all(axis=1) & (norms < self.bound)
        for i in np.flatnonzero(~good):
            if not np.all(np.isfinite(z0[i])):
                self.stop(i, Status.SINGULAR, self.t0, z0[i], "singular: the start is not finite")
            elif not np.all(np.isfinite(f0[i])):
                self.stop_singular(i, self.t0, z0[i])
            elif not norms[i] < self.bound:
                self.stop(i, Status.DIVERGED, self.t0, z0[i], f"diverged: the start's norm is ≥ the bound {self.bound:g}")


    def out_of_steps(self, idx, t_old, h) -> None:
        """Stop runs ``idx`` (as failed, at t_old) that have used their ``max_steps`` solver steps."""
        hint = self.remedy(idx, h)
        for i in idx:
            self.stop(i, Status.FAILED, t_old, self.state_end[i].copy(),
                      f"failed: stopped after {self.max_steps} solver steps at t = {t_old:.6g} "
                      f"(the step budget); {hint}")

    def remedy(self, idx, h: float) -> str:
        """What to change when a run needs too many steps: a stiff method when the step size
        is held down by stability (explicit methods: h·max|μ(J)| ≳ 1), else the horizon."""
        if not self.implicit and self.jac is not None and h > 0:
            with np.errstate(all="ignore"):
                blocks = np.asarray(self.jac(self.state_end[idx]), dtype=float)
                if np.isinf(blocks).any():
                    return ("the Jacobian here exceeds the float range (±1.8e308; a parameter near the float "
                            "limit?), so no method can resolve these dynamics: lower the parameter")
                blocks = np.nan_to_num(blocks, nan=0.0)
                mu = np.linalg.eigvals(blocks) if blocks.size else np.zeros((1, 1))
                z = self.state_end[idx]
                f = self.rhs(z)
                half = z.shape[1] // 2
                # The solution's own time scale: how long θ or φ takes to change by its size.
                scale = np.minimum(
                    np.linalg.norm(z[:, :half], axis=1) / np.linalg.norm(f[:, :half], axis=1),
                    np.linalg.norm(z[:, half:], axis=1) / np.linalg.norm(f[:, half:], axis=1))
            # Stiff: a fast-decaying mode (large −Re μ) holds the explicit step down while the
            # solution itself changes slowly; an implicit method steps over that mode.  When the
            # solution changes as fast as the step (a fast rotation), no method takes long steps.
            decay = np.max(-mu.real, axis=-1)
            stiff = (h * decay >= 1.0) & (np.nan_to_num(scale, nan=np.inf) >= 100 * h)
            if stiff.any():
                r = int(np.argmax(np.where(stiff, decay, -np.inf)))
                return (f"the problem is stiff here (step size {h:.3g} × fastest decay rate −Re μ = {decay[r]:.3g} "
                        f"of the Jacobian = {h * decay[r]:.3g}, while the solution changes on a time scale of "
                        f"{scale[r]:.3g}): use --method Radau, BDF or LSODA")
        return "lower --t-max, or raise --max-steps"

    def over_budget(self, idx, solver) -> bool:
        """At a checkpoint: stop (as failed) runs that, at their current step size, would need
        more than 10× the step budget to reach t_max, instead of running into the budget slowly
        (``minimax`` to t = 1e12, a stiff field with an explicit method)."""
        h = self._step_size(solver)
        taken = int(self.steps[idx].max())
        needed = taken + (self.t_max - solver.t) / h if h > 0 else math.inf
        if needed <= 10 * self.max_steps:
            return False
        hint = self.remedy(idx, h)
        for i in idx:
            self.stop(i, Status.FAILED, solver.t, self.state_end[i].copy(),
                      f"failed: stopped at t = {solver.t:.6g}: at step size {h:.3g} reaching t = {self.t_max:g} "
                      f"needs about {needed:.3g} solver steps, over the budget of {self.max_steps} (--max-steps); "
                      f"{hint}")
        return True

    def fail_single(self, i, t, message):
        z = self.state_end[i]
        with np.errstate(all="ignore"):
            fz = self.rhs(z[None])[0]
        if not np.all(np.isfinite(fz)):
            self.stop_singular(i, t, z.copy())
        else:
            # The average step the budget allows: if that is beyond the explicit method's
            # stability limit, the failure is stiffness.
            hint = self.remedy(np.array([i]), max((self.t_max - t) / self.max_steps, 1e-300))
            hint = f"; {hint}" if hint.startswith(("the problem is stiff", "the Jacobian")) else ""
            self.stop(i, Status.FAILED, t, z.copy(), f"failed at t = {t:.6g}: {str(message).rstrip('.')}{hint}")
