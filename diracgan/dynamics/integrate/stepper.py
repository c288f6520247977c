"""The batched Runge–Kutta step: scipy's solver classes, the per-run error norm, and the solver of
one group of runs on its stacked state.

The explicit Runge–Kutta methods (RK23, RK45, DOP853) stack the k runs of a group column-wise
(an (n, k) array, a row per coordinate, contiguous over the runs) and take the error norm per
run: each run's norm is the one scipy computes for that run alone, a step is accepted when the
largest is ≤ 1, against the tolerances ÷ min(√k, :data:`PER_RUN_MARGIN`).  The implicit methods
(Radau, BDF, LSODA) stack the runs one after another ((k, n): block-diagonal Jacobians, sparse
BSR for Radau/BDF, packed banded for LSODA) and keep scipy's RMS norm with the tolerances ÷ √k.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.integrate as si
import scipy.sparse

from ...errors import InputError

__all__ = ["METHODS", "DEFAULT_METHOD", "DEFAULT_RTOL", "DEFAULT_ATOL", "DEFAULT_BOUND", "PER_RUN_MARGIN",
           "GROUP_SIZE", "EPS", "NonFinite", "solver_class", "per_run_norm", "Stepper"]

METHODS: dict[str, type] = {
    "RK23": si.RK23,
    "RK45": si.RK45,
    "DOP853": si.DOP853,
    "Radau": si.Radau,
    "BDF": si.BDF,
    "LSODA": si.LSODA,
}
"""scipy's solvers by name (as ``solve_ivp``'s ``method``)."""

DEFAULT_METHOD = "DOP853"
DEFAULT_RTOL = 1e-10
DEFAULT_ATOL = 1e-12
DEFAULT_BOUND = 1e6
EPS = np.finfo(float).eps
"""Machine epsilon; tolerances are floored at 100·EPS (scipy's solvers cannot do better)."""


class NonFinite(Exception):
    """Raised inside a joint solve when the field is not finite for some runs."""

    def __init__(self, rows):
        super().__init__(rows)
        self.rows = rows


def solver_class(method):
    if isinstance(method, type) and issubclass(method, si.OdeSolver):
        return method, method.__name__
    try:
        return METHODS[method], method
    except (KeyError, TypeError):
        raise InputError(f"unknown method {method!r}; choose one of: {', '.join(METHODS)}") from None


def per_run_norm(cls):
    """``cls`` (an explicit Runge–Kutta class of scipy) with its error norm taken per run: the
    stacked state is column-wise ((n, k): coordinate-major), each run's error norm is the one
    scipy computes for that run alone, and a step is accepted when the largest of them is ≤ 1.
    So every run's local error is held to its own ``rtol``/``atol`` exactly as in a solo solve;
    the joint step is the smallest that any run of the group needs.  None for other classes."""
    if cls in _PER_RUN:
        return _PER_RUN[cls]
    try:
        from scipy.integrate._ivp.rk import DOP853 as _DOP853, RungeKutta as _RungeKutta
    except ImportError:      # pragma: no cover - scipy's layout changed: fall back to tol/√N
        return None
    if not issubclass(cls, _RungeKutta):
        return None
    if issubclass(cls, _DOP853):
        def _estimate_error_norm(self, K, h, scale):
            k = self._n_runs
            err5 = (np.dot(K.T, self.E5) / scale).reshape(-1, k)
            err3 = (np.dot(K.T, self.E3) / scale).reshape(-1, k)
            e5 = np.einsum("ck,ck->k", err5, err5)
            e3 = np.einsum("ck,ck->k", err3, err3)
            denom = e5 + 0.01 * e3
            with np.errstate(invalid="ignore", divide="ignore"):
                norms = np.abs(h) * e5 / np.sqrt(denom * err5.shape[0])
            norms[(e5 == 0) & (e3 == 0)] = 0.0
            return float(norms.max())
    else:
        def _estimate_error_norm(self, K, h, scale):
            k = self._n_runs
            err = (self._estimate_error(K, h) / scale).reshape(-1, k)
            return float(np.sqrt(np.einsum("ck,ck->k", err, err).max() / err.shape[0]))
    sub = type(cls.__name__, (cls,), {"_estimate_error_norm": _estimate_error_norm, "_n_runs": 1})
    _PER_RUN[cls] = sub
    return sub



_PER_RUN: dict = {}
PER_RUN_MARGIN = 3.0
"""With per-run error norms, a group of k runs holds each run's local error to its tolerances
÷ min(√k, PER_RUN_MARGIN) (instead of ÷ √k with scipy's joint RMS norm)."""
GROUP_SIZE = 1024
"""Largest number of runs integrated jointly.  Runs are independent, so a batch is cut into
groups of this size: the arrays of a group's step stay in cache, and a group's step size is set
by the worst of only its own runs (measured in bench/bench_engine.py)."""


def bsr_block_diag(blocks: np.ndarray) -> scipy.sparse.bsr_matrix:
    k, n, _ = blocks.shape
    return scipy.sparse.bsr_matrix((blocks, np.arange(k), np.arange(k + 1)), shape=(k * n, k * n))


def banded_block_diag(blocks: np.ndarray) -> np.ndarray:
    """Packed banded storage (LSODA, ``solve_banded``) of a block-diagonal matrix:
    ``packed[u + i − j, j] = J[i, j]`` with u = l = n − 1."""
    k, n, _ = blocks.shape
    r, c = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    packed = np.zeros((2 * n - 1, k * n))
    cols = (np.arange(k)[:, None, None] * n + c[None]).ravel()
    rows = np.broadcast_to((n - 1) + r - c, (k, n, n)).ravel()
    packed[rows, cols] = blocks.ravel()
    return packed


class Stepper:
    """Mixin of the engine (:class:`~diracgan.dynamics.integrate.engine.Engine`): the stacked state
    of a group of runs and the scipy solver that steps it.  Uses the engine's ``columns``, ``n``,
    ``cls``, ``rhs``, ``rhs_columns``, ``jac``, the tolerances and the per-run ``state_end``,
    ``side`` and ``sliding`` (set by the switching logic)."""

    # -- the stacked state of a group: column-wise (n, k) or run after run (k, n) -------------
    def pack(self, z):
        """(k, n) states → the solver's flat vector."""
        return np.ascontiguousarray(z.T).ravel() if self.columns else z.ravel()

    def unpack(self, y, k):
        """The solver's flat vector → (k, n) states (a view)."""
        return y.reshape(self.n, k).T if self.columns else y.reshape(k, self.n)

    def run_slice(self, r, k):
        """Run r's entries in the flat vector of a group of k runs."""
        return slice(r, None, k) if self.columns else slice(r * self.n, (r + 1) * self.n)


    def make_solver(self, idx, t_start, h0, t_bound=None):
        k, n = len(idx), self.n
        t_bound = self.t_max if t_bound is None else t_bound
        joint = k > 1

        slide = self.sliding[idx].copy()
        sliding_rows = [(j, np.flatnonzero(slide == j)) for j in np.unique(slide[slide >= 0])]
        side_rows = []
        if self.frozen:
            side = self.side[idx]
            side_rows = [(sg, rows) for sg in (1, -1) if len(rows := np.flatnonzero((side == sg) & (slide < 0)))]

        # One field dispatch for both layouts: ``z`` is the solver's state as stored (columns:
        # (n, k), a row per coordinate; else (k, n), a row per run) and ``runs`` / ``f_runs`` are
        # (k, n) views of it and of the result for the per-run pieces (branches, sliding).
        shape, rhs = ((n, k), self.rhs_columns) if self.columns else ((k, n), self.rhs)

        def fun(t, y):
            self.nfev += 1
            with np.errstate(all="ignore"):
                z = y.reshape(shape)
                runs = z.T if self.columns else z
                f = np.empty_like(z) if side_rows else rhs(z)
                f_runs = f.T if self.columns else f
                for sg, rows in side_rows:
                    f_runs[rows] = self.piecewise.branch(runs[rows], 0, sg)
                for j, rows in sliding_rows:
                    f_runs[rows] = self.piecewise.filippov(runs[rows], j)[0]
                if joint and not math.isfinite(float(np.sum(f))):
                    bad = ~np.isfinite(f_runs).all(axis=1)
                    if bad.any():
                        raise NonFinite(np.flatnonzero(bad))
            return f.ravel()

        opts = {}
        if self.implicit and self.jac is not None:
            lsoda = self.method == "LSODA"

            def jac_fun(t, y):
                with np.errstate(all="ignore"):
                    blocks = np.asarray(self.jac(y.reshape(k, n)), dtype=float)
                # Newton iterations only need an approximate Jacobian; a non-finite entry
                # (singular point) must not break the linear algebra.
                blocks = np.nan_to_num(blocks, nan=0.0, posinf=0.0, neginf=0.0)
                if lsoda and joint:
                    return banded_block_diag(blocks)
                return blocks[0] if k == 1 else bsr_block_diag(blocks)

            opts["jac"] = jac_fun
            if self.method == "LSODA" and joint:
                opts["lband"] = opts["uband"] = n - 1
        if h0 is not None:
            opts["first_step"] = min(h0, t_bound - t_start)
        if self.columns:
            # Per-run error norms (see per_run_norm), each against the tolerances ÷ min(√k, 3):
            # a solo run (k = 1) is solve_ivp's; in a group, the margin 3 keeps every run's global
            # error at or below its solo error although the group's step sequence differs from
            # the run's own (tests/test_integrate.py measures it).
            scale = min(math.sqrt(k), PER_RUN_MARGIN)
            solver = self.cls(fun, t_start, self.pack(self.state_end[idx]), t_bound,
                              rtol=max(self.rtol / scale, 100 * EPS), atol=self.atol / scale,
                              max_step=self.max_step, **opts)
            solver._n_runs = k
            return solver
        # Joint error norm is an RMS over k runs: scale tolerances by 1/sqrt(k) so that
        # each run's local error is bounded as tightly as in a solo solve.
        scale = math.sqrt(k)
        return self.cls(fun, t_start, self.pack(self.state_end[idx]), t_bound,
                        rtol=max(self.rtol / scale, 100 * EPS), atol=self.atol / scale,
                        max_step=self.max_step, **opts)

    @staticmethod
    def _step_size(solver) -> float:
        h = getattr(solver, "h_abs", None) or solver.step_size
        return float(h) if h else 0.0
