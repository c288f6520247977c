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
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import scipy.integrate as si
import scipy.optimize
import scipy.sparse

from ..derivation.numeric import vector_field
from ..errors import InputError, check_memory
from ..games import Game

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
]

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
_EPS = np.finfo(float).eps
_CHECKPOINTS = frozenset({1000, 10_000, 100_000})
"""Solver steps after which a run's remaining steps are projected (see ``_Engine.over_budget``)."""
MAX_OUTPUT_BYTES = 4 * 2**30
"""Largest dense (N, S, 2d) output array ``simulate`` will allocate (4 GiB; = errors.MAX_BYTES)."""


class Status:
    """Per-run status codes of a :class:`Trajectories`."""

    FINISHED = 0   #: reached t_max
    DIVERGED = 1   #: ‖(θ, φ)‖ reached the bound
    SINGULAR = 2   #: the field is not finite at the run's state (a singular point)
    FAILED = 3     #: the solver gave up (its message says why)

    NAMES = {0: "finished", 1: "diverged", 2: "singular", 3: "failed"}


@dataclass(frozen=True, eq=False)
class Trajectories:
    """Integrated trajectories of N runs, sampled at common output times.

    Attributes
    ----------
    t : (S,) output times, from 0 to t_max.
    states : (N, S, 2d) the state (θ, φ) at ``t``; NaN after a run stopped (use
        :meth:`run` for a run's valid samples, which ends with its final state).
    t_end : (N,) the time each run ended (t_max if it finished).
    state_end : (N, 2d) the state at ``t_end``.
    status : (N,) codes of :class:`Status`; ``messages`` says the same in words.
    """

    game: Game | None
    t: np.ndarray
    states: np.ndarray
    t_end: np.ndarray
    state_end: np.ndarray
    status: np.ndarray
    messages: tuple[str, ...]
    method: str
    rtol: float
    atol: float
    bound: float
    nfev: int = 0
    options: dict = field(default_factory=dict)

    @property
    def n_runs(self) -> int:
        return self.states.shape[0]

    @property
    def dim(self) -> int:
        return self.states.shape[-1] // 2

    @property
    def theta(self) -> np.ndarray:
        """(N, S, d) θ at the output times (NaN after a stop)."""
        return self.states[..., : self.dim]

    @property
    def phi(self) -> np.ndarray:
        """(N, S, d) φ at the output times (NaN after a stop)."""
        return self.states[..., self.dim:]

    @property
    def t_max(self) -> float:
        return float(self.t[-1])

    @property
    def ok(self) -> np.ndarray:
        """(N,) True for runs that reached t_max."""
        return self.status == Status.FINISHED

    def status_name(self, i: int) -> str:
        return Status.NAMES[int(self.status[i])]

    def run(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Run ``i``'s valid samples ``(t, z)``, z of shape (S_i, 2d); a stopped run ends
        with an extra sample at its stopping time."""
        keep = self.t <= self.t_end[i]
        t, z = self.t[keep], self.states[i, keep]
        if self.t_end[i] < self.t_max and (len(t) == 0 or t[-1] < self.t_end[i]):
            t = np.append(t, self.t_end[i])
            z = np.vstack([z, self.state_end[i]])
        return t, z

    def summary(self) -> str:
        """One line per kind of outcome: ``'500 runs: 498 finished, 2 diverged'``."""
        counts = {}
        for s in self.status:
            counts[Status.NAMES[int(s)]] = counts.get(Status.NAMES[int(s)], 0) + 1
        parts = ", ".join(f"{n} {k}" for k, n in counts.items())
        return f"{self.n_runs} run{'s' if self.n_runs != 1 else ''}: {parts}"

    # -- display and conversion (notebooks, pandas, xarray) ------------------------------------

    def _describe(self) -> list[tuple[str, object]]:
        game = self.game.label() if self.game is not None else "custom field"
        with np.errstate(all="ignore"):
            dist = np.linalg.norm(self.state_end, axis=1)
        end = f"{dist[0]:.4g}" if self.n_runs == 1 else f"median {np.nanmedian(dist):.4g}"
        return [("game", game), ("d", self.dim), ("runs", self.summary()),
                ("time", f"0 to {self.t_max:g}, {len(self.t)} samples"),
                ("solver", f"{self.method}, rtol {self.rtol:g}, atol {self.atol:g}"),
                ("distance to θ = φ = 0 at the end", end)]

    def __repr__(self) -> str:
        game = self.game.label() if self.game is not None else "custom field"
        return (f"<Trajectories {game}, d = {self.dim}, {self.summary()}, t ≤ {self.t_max:g}, "
                f"{len(self.t)} samples>")

    def _repr_html_(self) -> str:
        from .display import html_table

        return html_table("Trajectories", self._describe())

    def to_dataframe(self):
        """The samples as a pandas DataFrame in long format.

        Returns
        -------
        pandas.DataFrame
            One row per (run, t): columns ``run``, ``t``, ``theta_1`` … ``theta_d``,
            ``phi_1`` … ``phi_d`` (NaN after a run stopped) and ``status``.
        """
        from .display import array_frame

        return array_frame("t", self.t, {"theta": self.theta, "phi": self.phi},
                           {"status": [Status.NAMES[int(s)] for s in self.status]}, "Trajectories.to_dataframe()")

    def to_xarray(self):
        """The samples as an ``xarray.Dataset`` with dimensions (run, t, coordinate).

        Returns
        -------
        xarray.Dataset
            ``theta``, ``phi`` (run, t, coordinate); ``t_end``, ``status`` (run).
        """
        from .display import array_dataset

        attrs = {"game": self.game.label() if self.game is not None else "custom field", "method": self.method,
                 "rtol": self.rtol, "atol": self.atol}
        return array_dataset("t", self.t, {"theta": self.theta, "phi": self.phi},
                             {"t_end": self.t_end, "status": [Status.NAMES[int(s)] for s in self.status]}, attrs,
                             "Trajectories.to_xarray()")


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
# ---------------------------------------------------------------------------------------


class _NonFinite(Exception):
    """Raised inside a joint solve when the field is not finite for some runs."""

    def __init__(self, rows):
        super().__init__(rows)
        self.rows = rows


def _solver_class(method):
    if isinstance(method, type) and issubclass(method, si.OdeSolver):
        return method, method.__name__
    try:
        return METHODS[method], method
    except (KeyError, TypeError):
        raise InputError(f"unknown method {method!r}; choose one of: {', '.join(METHODS)}") from None


def _per_run_norm(cls):
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


def _dense_rows(sol, ts) -> np.ndarray:
    """``sol(ts).T``: a step's dense output at times ``ts``, shape (len(ts), n).  DOP853's
    interpolant is y_old + Σ_j w_j(x) F_j with scalar weights w_j of x = (t − t_old)/h (scipy
    evaluates it by a Horner scheme over the whole (len(ts), n) array, 14 passes); here the
    weights come from the same scheme on scalars and the sum is one matrix product."""
    if _Dop853Dense is not None and isinstance(sol, _Dop853Dense) and np.ndim(ts) == 1:
        x = (np.asarray(ts, dtype=float) - sol.t_old) / sol.h
        n_f = len(sol.F)
        w = np.zeros((len(x), n_f))
        for i, j in enumerate(range(n_f - 1, -1, -1)):
            w[:, j] += 1.0
            w *= (x if i % 2 == 0 else 1 - x)[:, None]
        return w @ sol.F + sol.y_old
    return np.asarray(sol(ts)).T


try:
    from scipy.integrate._ivp.rk import Dop853DenseOutput as _Dop853Dense
except ImportError:      # pragma: no cover - scipy's layout changed: use sol(t)
    _Dop853Dense = None


def _dense_at(sol, t, sl) -> np.ndarray:
    """``sol(t)[sl]`` (one time, part ``sl`` of the state), without evaluating the rest."""
    if _Dop853Dense is not None and isinstance(sol, _Dop853Dense):
        x = (t - sol.t_old) / sol.h
        n_f = len(sol.F)
        w = np.zeros(n_f)
        for i, j in enumerate(range(n_f - 1, -1, -1)):
            w[j] += 1.0
            w *= x if i % 2 == 0 else 1 - x
        return w @ sol.F[:, sl] + sol.y_old[sl]
    return np.asarray(sol(t))[sl]


def _bsr_block_diag(blocks: np.ndarray) -> scipy.sparse.bsr_matrix:
    k, n, _ = blocks.shape
    return scipy.sparse.bsr_matrix((blocks, np.arange(k), np.arange(k + 1)), shape=(k * n, k * n))


def _banded_block_diag(blocks: np.ndarray) -> np.ndarray:
    """Packed banded storage (LSODA, ``solve_banded``) of a block-diagonal matrix:
    ``packed[u + i − j, j] = J[i, j]`` with u = l = n − 1."""
    k, n, _ = blocks.shape
    r, c = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    packed = np.zeros((2 * n - 1, k * n))
    cols = (np.arange(k)[:, None, None] * n + c[None]).ravel()
    rows = np.broadcast_to((n - 1) + r - c, (k, n, n)).ravel()
    packed[rows, cols] = blocks.ravel()
    return packed


class _Piecewise:
    """The switching functions and Filippov fields of a game's non-smooth field, on stacked states."""

    def __init__(self, vf, params, dim=None):
        self.vf, self.params = vf, params
        # In d = 1 also the coordinates across which the field jumps (|φ| in gp1): switching
        # function s = the coordinate, normal its unit vector.
        self.coordinates = vf.coordinate_switches(dim) if dim is not None else ()
        self.n_invariant = len(vf.switches)

    def __bool__(self):
        return bool(self.n_invariant or self.coordinates)

    def switch(self, z):
        z = np.asarray(z, dtype=float)
        parts = [self.vf.rhs_switches(z, self.params)] if self.n_invariant else []
        parts += [z[:, [index]] for index, _, _ in self.coordinates]
        return np.concatenate(parts, axis=1)

    @property
    def count(self) -> int:
        return self.n_invariant + len(self.coordinates)

    def branch(self, z, j, side):
        """The smooth branch of the field on side ``side`` of surface j (extended across it)."""
        if j < self.n_invariant:
            return self.vf.branch_field(z, self.params, j, side)
        index, plus, minus = self.coordinates[j - self.n_invariant]
        return (plus if side > 0 else minus)(np.asarray(z, dtype=float), self.params)

    def filippov(self, z, j):
        if j < self.n_invariant:
            return self.vf.filippov(z, self.params, j)
        index, plus, minus = self.coordinates[j - self.n_invariant]
        z = np.asarray(z, dtype=float)
        f_plus, f_minus = plus(z, self.params), minus(z, self.params)
        sig_plus, sig_minus = f_plus[:, index], f_minus[:, index]
        with np.errstate(all="ignore"):
            alpha = sig_minus / (sig_minus - sig_plus)
            f = alpha[:, None] * f_plus + (1 - alpha[:, None]) * f_minus
        return f, sig_plus, sig_minus


class _Engine:
    """State of one batch integration (see :func:`solve_batch`); groups of runs are
    integrated jointly and split or shrunk as runs stop or misbehave."""

    def __init__(self, rhs, jac, z0, t_eval, cls, method_name, rtol, atol, bound, max_step, singular_hint,
                 max_steps, piecewise=None, rhs_columns=None, group_size=GROUP_SIZE):
        self.rhs, self.jac = rhs, jac
        # Explicit Runge–Kutta methods: the stacked state is column-wise (coordinate-major, each
        # row contiguous over the runs: fast numpy) with per-run error norms.  Other methods: the
        # runs' states one after another (block-diagonal Jacobians) with tolerances ÷ √k.
        per_run = _per_run_norm(cls)
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

    # -- outcomes --------------------------------------------------------------------------
    def stop(self, i, code, t, z, message):
        self.status[i], self.t_end[i], self.state_end[i], self.messages[i] = code, t, z, message
        after = int(np.searchsorted(self.t_eval, t, side="right"))
        self.states[i, after:] = np.nan
        self.filled[i] = min(self.filled[i], after)

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

    # -- the solver of one group -------------------------------------------------------------
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
                        raise _NonFinite(np.flatnonzero(bad))
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
                    return _banded_block_diag(blocks)
                return blocks[0] if k == 1 else _bsr_block_diag(blocks)

            opts["jac"] = jac_fun
            if self.method == "LSODA" and joint:
                opts["lband"] = opts["uband"] = n - 1
        if h0 is not None:
            opts["first_step"] = min(h0, t_bound - t_start)
        if self.columns:
            # Per-run error norms (see _per_run_norm), each against the tolerances ÷ min(√k, 3):
            # a solo run (k = 1) is solve_ivp's; in a group, the margin 3 keeps every run's global
            # error at or below its solo error although the group's step sequence differs from
            # the run's own (tests/test_integrate.py measures it).
            scale = min(math.sqrt(k), PER_RUN_MARGIN)
            solver = self.cls(fun, t_start, self.pack(self.state_end[idx]), t_bound,
                              rtol=max(self.rtol / scale, 100 * _EPS), atol=self.atol / scale,
                              max_step=self.max_step, **opts)
            solver._n_runs = k
            return solver
        # Joint error norm is an RMS over k runs: scale tolerances by 1/sqrt(k) so that
        # each run's local error is bounded as tightly as in a solo solve.
        scale = math.sqrt(k)
        return self.cls(fun, t_start, self.pack(self.state_end[idx]), t_bound,
                        rtol=max(self.rtol / scale, 100 * _EPS), atol=self.atol / scale,
                        max_step=self.max_step, **opts)

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
                        hint = self.remedy(idx, self._step_size(solver))
                        for i in idx:
                            self.stop(i, Status.FAILED, t_old, self.state_end[i].copy(),
                                      f"failed: stopped after {self.max_steps} solver steps at t = {t_old:.6g} "
                                      f"(the step budget); {hint}")
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
                        if crossing is not None and crossing[0] - t_old <= 4 * _EPS * max(1.0, abs(t_old)):
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
                    if not stopped.any() and int(self.steps[idx].max()) in _CHECKPOINTS and self.over_budget(idx, solver):
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
            except _NonFinite as exc:
                # Nothing is committed mid-step: state_end holds the states at solver.t.
                t_here = t_start if solver is None else solver.t
                split = [(idx[r:r + 1], t_here, None) for r in exc.rows]
                return extra + split + [(np.delete(idx, exc.rows), t_here, getattr(solver, "h_abs", None))]
        return extra

    def side_crossings(self, idx, solver, t_old):
        """[(row, t_c, z_c)]: the runs of the group (not sliding) that ended the step on the
        other side of their surface than the branch they were integrated with, with the
        crossing time (Brent's method on the run's own part of the step's dense output: the
        step used the smooth branch, so its interpolant is accurate across the surface) and
        the state there."""
        k = len(idx)
        z_new = self.unpack(solver.y, k)
        with np.errstate(all="ignore"):
            s_new = np.asarray(self.switch(z_new), dtype=float)[:, 0]
        rows = np.flatnonzero((self.side[idx] * s_new < 0) & (self.sliding[idx] < 0))
        if not len(rows):
            return []
        sol = solver.dense_output()
        self._dense = (solver, solver.t, sol)
        if self.columns and _Dop853Dense is not None and isinstance(sol, _Dop853Dense):
            # All crossings at once: bisection in x = (t − t_old)/h on each run's own part of
            # the interpolant (it starts on its side, x = 1 is past the surface).
            n_f = len(sol.F)
            f3 = sol.F.reshape(n_f, n := self.n, k)[:, :, rows]
            y3 = sol.y_old.reshape(n, k)[:, rows].T
            side = self.side[idx[rows]]

            def state_at(x):
                w = np.zeros((len(x), n_f))
                for i, j in enumerate(range(n_f - 1, -1, -1)):
                    w[:, j] += 1.0
                    w *= (x if i % 2 == 0 else 1 - x)[:, None]
                return np.einsum("ri,inr->rn", w, f3) + y3

            lo, hi = np.zeros(len(rows)), np.ones(len(rows))
            for _ in range(60):
                mid = 0.5 * (lo + hi)
                with np.errstate(all="ignore"):
                    same = side * np.asarray(self.switch(state_at(mid)), dtype=float)[:, 0] >= 0
                lo, hi = np.where(same, mid, lo), np.where(same, hi, mid)
                if float(np.max(hi - lo)) * abs(sol.h) < 1e-14 * max(1.0, abs(solver.t)):
                    break
            x_c = 0.5 * (lo + hi)
            z_c = state_at(x_c)
            return [(r, sol.t_old + x * sol.h, z) for r, x, z in zip(rows, x_c, z_c)]
        tol = 1e-13 * max(1.0, abs(solver.t))
        found = []
        for r in rows:
            sl = self.run_slice(r, k)

            def g(t, sl=sl):
                with np.errstate(all="ignore"):
                    return float(np.asarray(self.switch(_dense_at(sol, t, sl)[None]))[0, 0])

            g_old = g(t_old)
            if not g_old * g(solver.t) < 0:
                t_c = t_old      # it left on the wrong side at once (rounding at a landing)
            else:
                t_c = scipy.optimize.brentq(g, t_old, solver.t, xtol=tol)
            found.append((r, t_c, _dense_at(sol, t_c, sl)))
        return found

    def cross_group(self, runs, t_c, z_c, t_new, h) -> list:
        """Runs ``runs`` reached their surface at times ``t_c`` (states ``z_c``) within a group
        step that ended at t_new.  Each lands there (crosses to the other branch, or slides)
        and is integrated from its t_c to t_new, all of them together: in a rescaled time
        τ ∈ [0, 1], t = t_c + τ·(t_new − t_c) per run, so that they share steps although their
        crossings differ; their samples after t_c are rewritten.  Returns [(run, t)] for runs
        that must go on alone from t (another event within the interval, or a stop); the
        others end with state_end at t_new."""
        self.switch_landings += len(runs)
        self.state_end[runs] = z_c
        self.filled[runs] = np.minimum(self.filled[runs], np.searchsorted(self.t_eval, t_c, side="right"))
        # Landing (as land() does for one run): slide when both sides push into the surface,
        # else go on with the branch both sides' fields point to.
        with np.errstate(all="ignore"):
            _, sig_plus, sig_minus = self.piecewise.filippov(z_c, 0)
        old = self.side[runs].copy()
        slides = (sig_plus < 0) & (sig_minus > 0)
        to_plus = (sig_plus > 0) & (sig_minus > 0)
        to_minus = (sig_plus < 0) & (sig_minus < 0)
        self.sliding[runs[slides]] = 0
        self.side[runs[to_plus]] = 1
        self.side[runs[to_minus]] = -1
        moved = slides | (to_plus & (old < 0)) | (to_minus & (old > 0))
        split = []
        for i, tc, sg in zip(runs[~moved], t_c[~moved], old[~moved]):
            # Neither side's field leaves the way the run came (a tangency, or rounding): the
            # general path (a solo group) takes it from here, on the other side.
            self._splits = getattr(self, "_splits", 0) + 1
            if self._splits < 10_000:
                self.side[i] = -sg
            split.append((i, float(tc)))
        go = moved & (t_new - t_c > 4 * _EPS * max(1.0, abs(t_new)))
        if not go.any():
            return split
        ids, t0 = runs[go], t_c[go]
        span = t_new - t0
        while len(ids):
            k, n = len(ids), self.n
            side = self.side[ids].copy()
            slide = self.sliding[ids].copy()
            groups = [(sg, np.flatnonzero((side == sg) & (slide < 0))) for sg in (1, -1)]
            slid = np.flatnonzero(slide >= 0)
            scale_cols = span[None, :]

            def fun(tau, y, groups=groups, slid=slid, k=k, scale_cols=scale_cols):
                self.nfev += 1
                with np.errstate(all="ignore"):
                    c = y.reshape(n, k)
                    f = np.empty_like(c)
                    for sg, rows in groups:
                        if len(rows):
                            f[:, rows] = self.piecewise.branch(c[:, rows].T, 0, sg).T
                    if len(slid):
                        f[:, slid] = self.piecewise.filippov(c[:, slid].T, 0)[0].T
                    f *= scale_cols
                return f.ravel()

            tau0 = getattr(self, "_tau", 0.0)
            scale = min(math.sqrt(k), PER_RUN_MARGIN)
            sub = self.cls(fun, tau0, self.pack(self.state_end[ids]), 1.0, rtol=max(self.rtol / scale, 100 * _EPS),
                           atol=self.atol / scale, first_step=min(1.0 - tau0, h / float(span.max())))
            sub._n_runs = k
            restart = False
            while sub.status == "running":
                tau_old = sub.t
                sub.step()
                self.steps[ids] += 1
                if sub.status == "failed":
                    split += [(i, float(t)) for i, t in zip(ids, t0 + tau_old * span)]
                    self._tau = 0.0
                    return split
                z_new = self.unpack(sub.y, k)
                with np.errstate(all="ignore"):
                    s_new = np.asarray(self.switch(z_new), dtype=float)[:, 0]
                    norms = np.linalg.norm(z_new, axis=1)
                    bad = ~np.isfinite(z_new).all(axis=1) | ~(norms < self.bound)
                    bad |= (slide < 0) & (side * s_new < 0)
                    if len(slid):
                        _, sp_, sm_ = self.piecewise.filippov(z_new[slid], 0)
                        bad[slid] |= ~(sp_ < 0) | ~(sm_ > 0)
                if bad.any():
                    # Those go on alone from the start of this step; the rest redo it without them.
                    split += [(i, float(t)) for i, t in zip(ids[bad], t0[bad] + tau_old * span[bad])]
                    ids, t0, span = ids[~bad], t0[~bad], span[~bad]
                    self._tau = tau_old
                    restart = True
                    break
                self._write_rescaled(ids, t0, span, sub, tau_old, k)
            if not restart:
                break
        self._tau = 0.0
        return split

    def _write_rescaled(self, ids, t0, span, sub, tau_old, k):
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
            if _Dop853Dense is not None and isinstance(sol, _Dop853Dense):
                n_f = len(sol.F)
                w = np.zeros((len(x), n_f))
                for i, j in enumerate(range(n_f - 1, -1, -1)):
                    w[:, j] += 1.0
                    w *= (x if i % 2 == 0 else 1 - x)[:, None]
                f3 = sol.F.reshape(n_f, n, k)
                vals = np.einsum("pi,inp->pn", w, f3[:, :, rows]) + sol.y_old.reshape(n, k)[:, rows].T
            else:
                taus = (self.t_eval[js] - t0[rows]) / span[rows]
                vals = np.array([np.asarray(sol(tau))[self.run_slice(r, k)] for tau, r in zip(taus, rows)])
            self.states[ids[rows], js] = vals
            self.filled[ids] = np.maximum(self.filled[ids], j1)
        self.state_end[ids] = self.unpack(sub.y, k)

    def stalled_on_surface(self, i, t):
        """The switching surface run i sits on (|s_j| ≤ 1e-7·(1 + ‖z‖²)) when its solver failed at
        t, if it is not already sliding there and has not stalled at this t before; else None."""
        if self.switch is None or getattr(self, "_stalled", None) == (i, t):
            return None
        z = self.state_end[i]
        with np.errstate(all="ignore"):
            s = np.abs(np.asarray(self.switch(z[None]), dtype=float)[0])
        if not len(s) or not np.isfinite(s).any():
            return None
        j = int(np.nanargmin(s))
        if s[j] > 1e-7 * (1 + float(z @ z)) or self.sliding[i] == j:
            return None
        self._stalled = (i, t)
        return j

    def land(self, target) -> None:
        """A run has reached surface j (``kind`` 'cross') or the end of its sliding there
        ('exit').  On arrival it slides when both sides' fields point into the surface
        (Filippov: σ₊ < 0 < σ₋); otherwise it crosses."""
        i, j, kind = target
        if kind.startswith("exit"):
            self.sliding[i] = -1
            self.side[i] = 1 if kind == "exit+" else -1
            return
        with np.errstate(all="ignore"):
            _, sig_plus, sig_minus = self.piecewise.filippov(self.state_end[i][None], j)
        if sig_plus[0] < 0 < sig_minus[0]:
            self.sliding[i] = j
        elif sig_plus[0] > 0 and sig_minus[0] > 0:
            self.side[i] = 1       # both sides' fields point to s > 0: it goes on there
        elif sig_plus[0] < 0 and sig_minus[0] < 0:
            self.side[i] = -1

    def first_crossing(self, idx, solver, t_old, skip=None, ahead=None, exits_only=False):
        """(t, (run, surface, kind)) of the earliest event in (t_old, solver.t): a run's
        switching function changes sign ('cross'), or a sliding run's σ₊ or σ₋ changes sign so
        that it leaves its surface ('exit').  Located by Brent's method on the step's dense
        output; None if there is none.  ``skip`` = (run, surface) the segment started on (it has
        just landed there, so its sign is rounding noise)."""
        k = len(idx)
        t_new = solver.t
        z_old, z_new = self.state_end[idx], self.unpack(solver.y, k)
        slide = self.sliding[idx]
        with np.errstate(all="ignore"):
            s_old = np.asarray(self.switch(z_old), dtype=float)
            s_new = np.asarray(self.switch(z_new), dtype=float)
        events = []   # (run row, surface, kind, g(z) → float)
        for r, j in np.argwhere((s_old * s_new < 0) & np.isfinite(s_old) & np.isfinite(s_new)):
            if slide[r] == j or exits_only or (skip is not None and (idx[r], j) == skip) or \
                    (ahead is not None and (idx[r], j) == tuple(ahead)):
                continue
            events.append((r, j, "cross", lambda z, j=j: float(np.asarray(self.switch(z[None]))[0, j])))
        for r in np.flatnonzero(slide >= 0):
            j = slide[r]
            with np.errstate(all="ignore"):
                _, p_old, m_old = self.piecewise.filippov(z_old[r][None], j)
                _, p_new, m_new = self.piecewise.filippov(z_new[r][None], j)
            for which, (a, b) in enumerate(((p_old[0], p_new[0]), (m_old[0], m_new[0]))):
                if a * b < 0:
                    events.append((r, j, "exit+" if which == 0 else "exit-", lambda z, j=j, w=which + 1: float(self.piecewise.filippov(z[None], j)[w][0])))
        if not events:
            return None
        sol = solver.dense_output()
        tol = 1e-13 * max(1.0, abs(t_new))
        best = None
        for r, j, kind, g_of in events:
            sl = self.run_slice(r, k)

            def g(t, sl=sl, g_of=g_of):
                with np.errstate(all="ignore"):
                    return g_of(sol(t)[sl])

            if not g(t_old) * g(t_new) < 0:
                continue
            t_c = scipy.optimize.brentq(g, t_old, t_new, xtol=tol)
            if t_new - t_c > 10 * tol and (best is None or t_c < best[0]):
                best = (t_c, (idx[r], j, kind))
        return best

    @staticmethod
    def _step_size(solver) -> float:
        h = getattr(solver, "h_abs", None) or solver.step_size
        return float(h) if h else 0.0

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
        j0 = np.searchsorted(self.t_eval, t_old, side="right")
        j1 = np.searchsorted(self.t_eval, t_new, side="right")
        cached = getattr(self, "_dense", None)
        if cached is not None and cached[0] is solver and cached[1] == t_new:
            sol = cached[2]
        else:
            sol = solver.dense_output() if (j1 > j0 or over.any()) else None
        if j1 > j0:
            vals = _dense_rows(sol, self.t_eval[j0:j1])
            # (k, samples, n) views of the interpolated values, written into the output once.
            vals = vals.reshape(j1 - j0, n, k).transpose(2, 0, 1) if self.columns else \
                vals.reshape(j1 - j0, k, n).transpose(1, 0, 2)
            if idx[-1] - idx[0] == k - 1:       # a contiguous block of runs: a slice, no gather
                self.states[idx[0]:idx[-1] + 1, j0:j1] = vals
            else:
                self.states[idx, j0:j1] = vals
            self.filled[idx] = j1
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
    cls, method_name = _solver_class(method)
    z0 = np.array(z0, dtype=float, ndmin=2)
    t_eval = np.asarray(t_eval, dtype=float)
    if int(max_steps) != max_steps or max_steps < 1:
        raise InputError(f"max-steps must be a whole number ≥ 1, got {max_steps!r}")
    engine = _Engine(rhs, jac, z0, t_eval, cls, method_name, rtol, atol, bound, max_step, singular_hint,
                     int(max_steps), piecewise, rhs_columns, group_size)
    return engine.run()


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
    if not (100 * _EPS <= rtol < 1):
        raise InputError(f"rtol must be in [{100 * _EPS:.2g}, 1) (scipy's solvers cannot do better), got {rtol!r}")
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
        piecewise=_Piecewise(vf, params, theta0.shape[1]) or None,
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
