"""Dense output and sampling onto the output times ``t_eval``.

The output times are fixed before the integration (:func:`output_times`); after each accepted
step of a group, the samples inside it are evaluated on the step's dense output (the solver's
continuous extension) and written once into the (N, S, n) output, which is allocated once and
never pre-filled (``filled`` counts each run's written samples; the rest are set to NaN at the
end).  DOP853's interpolant is y_old + Σ_j w_j(x) F_j with scalar weights w_j of
x = (t − t_old)/h (:func:`dop853_weights`): evaluated here as one matrix product, and for one
run's part of the state without touching the rest.  Other solvers' dense outputs are called.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import InputError, check_memory

__all__ = ["n_output_times", "output_times", "dop853_weights", "dense_rows", "dense_at", "Sampling"]

MAX_OUTPUT_BYTES = 4 * 2**30   # = budget.MAX_OUTPUT_BYTES (the output times are checked here)

try:
    from scipy.integrate._ivp.rk import Dop853DenseOutput as Dop853Dense
except ImportError:      # pragma: no cover - scipy's layout changed: use sol(t)
    Dop853Dense = None


def n_output_times(t_max: float, samples: int | None = None, dt: float | None = None) -> int:
    """How many output times :func:`output_times` gives (validating its arguments), without
    allocating them."""
    if not (isinstance(t_max, (int, float, np.floating)) and math.isfinite(t_max) and t_max > 0):
        raise InputError(f"t-max must be a finite number > 0, got {t_max!r}")
    if samples is not None and dt is not None:
        raise InputError("give either --samples or --dt, not both")
    if dt is not None:
        if not (math.isfinite(dt) and dt > 0):
            raise InputError(f"dt must be a finite number > 0, got {dt!r}")
        n = t_max / dt * (1 + 1e-12)
        if n > 10_000_000:
            raise InputError(f"dt = {dt:g} gives {n:.3g} output times (the limit is 10⁷); use a larger --dt")
        return int(math.floor(n)) + 2
    samples = 1001 if samples is None else samples
    if int(samples) != samples or samples < 2:
        raise InputError(f"samples must be a whole number ≥ 2, got {samples!r}")
    return int(samples)


def output_times(t_max: float, samples: int | None = None, dt: float | None = None) -> np.ndarray:
    """Output times 0..t_max: ``samples`` evenly spaced, or every ``dt`` (t_max appended
    when it is not on that grid).  Default 1001 samples."""
    count = n_output_times(t_max, samples, dt)
    check_memory(8.0 * count, f"{count} output times", "lower --samples (or raise --dt)", MAX_OUTPUT_BYTES)
    if dt is not None:
        n = int(math.floor(t_max / dt * (1 + 1e-12)))
        t = np.arange(n + 1) * dt
        if t_max - t[-1] > 1e-12 * t_max:
            t = np.append(t, t_max)
        else:
            t[-1] = t_max
        return t
    return np.linspace(0.0, float(t_max), count)


# ---------------------------------------------------------------------------------------
# The batch engine


def is_dop853(sol) -> bool:
    """Whether ``sol`` is DOP853's dense output (whose weights :func:`dop853_weights` computes)."""
    return Dop853Dense is not None and isinstance(sol, Dop853Dense)


def dop853_weights(x, n_f: int) -> np.ndarray:
    """(m, n_f) weights w_j(x) of DOP853's interpolant at the m points ``x`` = (t − t_old)/h: the
    Horner scheme scipy runs over the whole (m, n) array, on scalars."""
    w = np.zeros((len(x), n_f))
    for i, j in enumerate(range(n_f - 1, -1, -1)):
        w[:, j] += 1.0
        w *= (x if i % 2 == 0 else 1 - x)[:, None]
    return w


def dense_rows(sol, ts) -> np.ndarray:
    """``sol(ts).T``: a step's dense output at times ``ts``, shape (len(ts), n).  For DOP853 (scipy
    evaluates it by a Horner scheme over the whole (len(ts), n) array, 14 passes) the weights come
    from the same scheme on scalars and the sum is one matrix product."""
    if is_dop853(sol) and np.ndim(ts) == 1:
        x = (np.asarray(ts, dtype=float) - sol.t_old) / sol.h
        return dop853_weights(x, len(sol.F)) @ sol.F + sol.y_old
    return np.asarray(sol(ts)).T


def dense_at(sol, t, sl) -> np.ndarray:
    """``sol(t)[sl]`` (one time, part ``sl`` of the state), without evaluating the rest."""
    if is_dop853(sol):
        x = (t - sol.t_old) / sol.h
        w = dop853_weights(np.array([x]), len(sol.F))[0]
        return w @ sol.F[:, sl] + sol.y_old[sl]
    return np.asarray(sol(t))[sl]


class Sampling:
    """Mixin of the engine: writing the samples of accepted steps into ``states`` (N, S, n) and
    counting them in ``filled``.  Uses the engine's ``t_eval``, ``n``, ``columns``,
    ``run_slice`` and ``unpack``."""

    def sample_range(self, t_old, t_new) -> tuple[int, int]:
        """(j0, j1): the output times t_eval[j0:j1] inside the step (t_old, t_new]."""
        return (int(np.searchsorted(self.t_eval, t_old, side="right")),
                int(np.searchsorted(self.t_eval, t_new, side="right")))

    def write_samples(self, idx, sol, j0, j1) -> None:
        """Samples j0..j1 − 1 (see :meth:`sample_range`) of runs ``idx`` (a group of k), from the
        step's dense output ``sol``."""
        k, n = len(idx), self.n
        vals = dense_rows(sol, self.t_eval[j0:j1])
        # (k, samples, n) views of the interpolated values, written into the output once.
        vals = vals.reshape(j1 - j0, n, k).transpose(2, 0, 1) if self.columns else \
            vals.reshape(j1 - j0, k, n).transpose(1, 0, 2)
        if idx[-1] - idx[0] == k - 1:       # a contiguous block of runs: a slice, no gather
            self.states[idx[0]:idx[-1] + 1, j0:j1] = vals
        else:
            self.states[idx, j0:j1] = vals
        self.filled[idx] = j1

    def write_rescaled(self, ids, t0, span, sub, tau_old, k):
        """After an accepted step (tau_old, sub.t] of cross_group: the samples of each run in its
        real-time interval, and its state."""
        n = self.n
        tau_new = sub.t
        a = t0 + tau_old * span
        b = t0 + tau_new * span if tau_new < 1.0 else np.full(len(ids), t0[0] + span[0])
        j0 = np.searchsorted(self.t_eval, a, side="right")
        j1 = np.searchsorted(self.t_eval, b, side="right")
        counts = j1 - j0
        if counts.sum():
            sol = sub.dense_output()
            rows = np.repeat(np.arange(len(ids)), counts)
            js = np.concatenate([np.arange(u, v) for u, v in zip(j0, j1)])
            x = ((self.t_eval[js] - t0[rows]) / span[rows] - sol.t_old) / sol.h
            if is_dop853(sol):
                n_f = len(sol.F)
                w = dop853_weights(x, n_f)
                f3 = sol.F.reshape(n_f, n, k)
                vals = np.einsum("pi,inp->pn", w, f3[:, :, rows]) + sol.y_old.reshape(n, k)[:, rows].T
            else:
                taus = (self.t_eval[js] - t0[rows]) / span[rows]
                vals = np.array([np.asarray(sol(tau))[self.run_slice(r, k)] for tau, r in zip(taus, rows)])
            self.states[ids[rows], js] = vals
            self.filled[ids] = np.maximum(self.filled[ids], j1)
        self.state_end[ids] = self.unpack(sub.y, k)
