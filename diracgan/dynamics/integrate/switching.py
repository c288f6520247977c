"""Switching surfaces of a non-smooth field: events on them, landing, and Filippov sliding.

A game's field can jump across switching surfaces s_j(z) = 0 (a hinge, an absolute value, |φ| in
d = 1).  A step of the solver must not straddle a surface (its error control assumes a smooth
field within a step), so:

* with several surfaces, a step across one is not accepted: the crossing is located on the
  step's dense output (:meth:`Switching.first_crossing`) and the step redone to end there;
* with one surface, each run off it is integrated with the smooth branch of its side, extended
  across the surface (:meth:`Piecewise.branch`), so a step over it is smooth: the runs that
  crossed are found after the step (:meth:`Switching.side_crossings`) and integrated together
  from their crossings to the step's end in a rescaled time (:meth:`Switching.cross_group`);
* on arrival a run slides along the surface when both sides' fields point into it (Filippov's
  convention, σ₊ < 0 < σ₋ for the normal components of the two sides' fields), with the
  convex combination of the two fields that is tangent to the surface, until σ₊ or σ₋
  changes sign; otherwise it crosses to the side both fields point to.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.optimize

from .sampling import dense_at, dop853_weights, is_dop853
from .stepper import EPS, PER_RUN_MARGIN

__all__ = ["Piecewise", "Switching"]


class Piecewise:
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


class Switching:
    """Mixin of the engine: events on the switching surfaces of ``piecewise`` (a
    :class:`Piecewise`), landings and sliding.  Uses the engine's ``switch``, ``side``,
    ``sliding``, ``frozen``, ``state_end``, ``filled``, ``steps`` and the stepper's layout."""

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
        if self.columns and is_dop853(sol):
            # All crossings at once: bisection in x = (t − t_old)/h on each run's own part of
            # the interpolant (it starts on its side, x = 1 is past the surface).
            n_f = len(sol.F)
            f3 = sol.F.reshape(n_f, n := self.n, k)[:, :, rows]
            y3 = sol.y_old.reshape(n, k)[:, rows].T
            side = self.side[idx[rows]]

            def state_at(x):
                return np.einsum("ri,inr->rn", dop853_weights(x, n_f), f3) + y3

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
                    return float(np.asarray(self.switch(dense_at(sol, t, sl)[None]))[0, 0])

            g_old = g(t_old)
            if not g_old * g(solver.t) < 0:
                t_c = t_old      # it left on the wrong side at once (rounding at a landing)
            else:
                t_c = scipy.optimize.brentq(g, t_old, solver.t, xtol=tol)
            found.append((r, t_c, dense_at(sol, t_c, sl)))
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
            self._splits += 1
            if self._splits < 10_000:
                self.side[i] = -sg
            split.append((i, float(tc)))
        go = moved & (t_new - t_c > 4 * EPS * max(1.0, abs(t_new)))
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

            tau0 = self._tau
            scale = min(math.sqrt(k), PER_RUN_MARGIN)
            sub = self.cls(fun, tau0, self.pack(self.state_end[ids]), 1.0, rtol=max(self.rtol / scale, 100 * EPS),
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
                self.write_rescaled(ids, t0, span, sub, tau_old, k)
            if not restart:
                break
        self._tau = 0.0
        return split

    def stalled_on_surface(self, i, t):
        """The switching surface run i sits on (|s_j| ≤ 1e-7·(1 + ‖z‖²)) when its solver failed at
        t, if it is not already sliding there and has not stalled at this t before; else None."""
        if self.switch is None or self._stalled == (i, t):
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
