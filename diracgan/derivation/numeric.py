"""Numeric vector fields: the derived expressions, lambdified once, evaluated on batches.

A :class:`VectorField` turns a :class:`~diracgan.derivation.symbolic.Derivation` into two numpy
functions (field and Jacobian) that take a whole batch of states at once.  The sympy side
hands over scalar coefficient functions of the invariants (p, a, b) and the parameters; this
module computes the invariants of every state in the batch, evaluates the coefficients with
one call, and assembles

    θ' = g_θθ θ + g_θφ φ,   φ' = g_φθ θ + g_φφ φ

and the Jacobian blocks c·I + Σ k_uw u wᵀ (see :mod:`diracgan.derivation.symbolic`).  Shapes: θ and φ
are (..., d); parameters are scalars or arrays broadcastable to the batch shape (...), so a
parameter grid is evaluated in the same single call.  The state order everywhere is (θ, φ).
"""

from __future__ import annotations

import math
from functools import cached_property, lru_cache
from typing import Sequence

import numpy as np
import scipy.special
import sympy as sp

from ..errors import InputError
from ..games import Game, GameSpec
from .symbolic import branch, derive, gaussian_mean, switching_functions

__all__ = ["VectorField", "vector_field", "velocity", "jacobian", "NUMERIC_FUNCTIONS", "MAX_SWITCHES"]


def _softplus(x):
    return np.logaddexp(0.0, x)


NUMERIC_FUNCTIONS = {"sigmoid": scipy.special.expit, "softplus": _softplus}
"""Numerically stable implementations of the special functions used in losses."""


GAUSS_HERMITE_NUMERIC_NODES = 200
"""Nodes of the Gauss–Hermite rule with which the numeric fields evaluate Gaussian expectations
(instance noise on non-polynomial losses); the relative error of E f(m + sZ) for softplus and
σ is below 1e-15 for s ≤ 2 and about 1e-9 at s = 4 (measured in tests/test_family.py)."""

MAX_SWITCHES = 8
"""Most switching surfaces of a non-smooth field that the integrator follows (each is an event
and a Filippov sliding mode; every registered game and regulariser has at most 2)."""

_HERMITE = np.polynomial.hermite.hermgauss(GAUSS_HERMITE_NUMERIC_NODES)


def _gauss_hermite(f):
    """m, v ↦ E f(m + √v Z), vectorised over m and v (Gauss–Hermite; see the constant above)."""
    xs, ws = _HERMITE
    ws = ws / np.sqrt(np.pi)

    def mean(m, v):
        m, v = np.asarray(m, dtype=float), np.asarray(v, dtype=float)
        return np.sum(ws * f(m[..., None] + np.sqrt(2 * v)[..., None] * xs), axis=-1)

    return mean


def _lambdify(args, exprs, cse=True):
    """numpy code for ``exprs``.  Each Gaussian expectation becomes an opaque function of (m, v)
    evaluated by :func:`_gauss_hermite` (sympy's cse must not look inside its integrand)."""
    modules = dict(NUMERIC_FUNCTIONS)
    opaque = {}

    def replace(e):
        f, m, v = e.args
        if f not in opaque:
            name = f"gaussian_mean_{len(opaque)}"
            modules[name] = _gauss_hermite(sp.lambdify([f.variables[0]], f.expr, modules=[NUMERIC_FUNCTIONS, "numpy"]))
            opaque[f] = sp.Function(name)
        return opaque[f](m, v)

    exprs = [sp.sympify(e).replace(lambda z: isinstance(z, gaussian_mean), replace) for e in exprs]
    if any(e.has(sp.Heaviside) for e in exprs):
        # sympy prints Heaviside(x) as a Piecewise in x; with a Max or Min inside x that grows
        # combinatorially and nests Piecewise conditions, which numpy.select rejects: such a
        # step is one opaque call instead (the same values: 0, ½ at 0, 1, and 1 for NaN as select).
        nested = (sp.Max, sp.Min, sp.Heaviside, sp.Piecewise)
        step = sp.Function("heaviside_of_switch")
        modules["heaviside_of_switch"] = _heaviside
        exprs = [e.replace(lambda z: isinstance(z, sp.Heaviside) and z.args[0].has(*nested)
                           and tuple(z.args[1:]) in ((), (sp.S.Half,)),
                           lambda z: step(z.args[0])) for e in exprs]
    return sp.lambdify(args, exprs, modules=[modules, "numpy"], cse=cse)


def _heaviside(x):
    """sympy's Heaviside(x) as its numpy printer evaluates it: 0 for x < 0, ½ at 0, else 1."""
    x = np.asarray(x, dtype=float)
    return np.where(x < 0, 0.0, np.where(x == 0, 0.5, 1.0))


def _extreme(x):
    """Invariants whose powers leave the normal float range: 0 < x < 1e-100 or x > 1e100."""
    return ((x > 0) & (x < 1e-100)) | (x > 1e100)


def _column(g):
    """A coefficient as a factor of (..., d) vectors: arrays gain a trailing axis, scalars stay."""
    return g[..., None] if isinstance(g, np.ndarray) and g.ndim else float(g)


def _combine(g1, x, g2, y, out) -> None:
    """out = g1·x + g2·y for coefficients that are (k,) arrays or scalars and x, y of shape (m, k):
    a scalar 0 drops its term, 1 and −1 copy, add or subtract (the products that remain are
    those of the plain expression, so the values are the same)."""
    if not isinstance(g1, np.ndarray) and g1 == 0:
        g1, x, g2, y = g2, y, 0, None
    if not isinstance(g1, np.ndarray):
        if g1 == 0:
            out[...] = 0.0
            return
        if g1 == 1:
            out[...] = x
        elif g1 == -1:
            np.negative(x, out=out)
        else:
            np.multiply(x, g1, out=out)
    else:
        np.multiply(x, g1, out=out)
    if not isinstance(g2, np.ndarray):
        if g2 == 0:
            return
        if g2 == 1:
            np.add(out, y, out=out)
            return
        if g2 == -1:
            np.subtract(out, y, out=out)
            return
    out += y * g2


def _broadcast(values, shape):
    """Lambdified lists hold Python scalars for constant entries: make them (shape) arrays."""
    return [np.broadcast_to(np.asarray(v, dtype=float), shape) for v in values]


class VectorField:
    """The batched numeric field and Jacobian of one game (parameters passed per call).

    Parameters
    ----------
    derivation : diracgan.derivation.symbolic.Derivation
    cse : bool
        Common-subexpression elimination in the generated code (on by default; the tests
        compare against ``cse=False``).
    """

    def __init__(self, derivation, cse: bool = True):
        self.derivation = derivation
        self.spec: GameSpec = derivation.spec
        self.n_params = len(derivation.params)
        self._field = _lambdify(derivation.args, derivation.field_exprs(), cse)
        # Which invariants (p, a, b) the field coefficients use: the column kernel computes only these.
        used = set().union(*(sp.sympify(e).free_symbols for e in derivation.field_exprs()))
        self._uses = tuple(x in used for x in derivation.args[:3])
        self._cse = cse
        self._jacobian = _lambdify(derivation.args, derivation.jacobian_exprs(), cse)

    @cached_property
    def switches(self) -> tuple:
        """The switching functions s_k of a non-smooth field (max, abs, relu in a loss), which is
        smooth off the surfaces s_k = 0; derived on first use (only the integrator needs them).
        More than :data:`MAX_SWITCHES` is refused (:class:`~diracgan.errors.InputError`)."""
        found = switching_functions(self.derivation.field_exprs())
        if len(found) > MAX_SWITCHES:
            raise InputError(f"{self.spec.name}'s field switches on {len(found)} surfaces (from max, abs, relu in "
                             f"its losses); the integrator follows at most {MAX_SWITCHES}: use fewer max/abs/relu terms")
        return found

    @cached_property
    def _switches(self):
        return _lambdify(self.derivation.args, list(self.switches), self._cse) if self.switches else None

    @cached_property
    def _filippov(self) -> list:
        return [self._filippov_parts(s, self._cse) for s in self.switches]

    def _filippov_parts(self, switch, cse):
        """For one switching function s: the coefficients of f₊ and f₋ (the field on either side)
        and (∂s/∂p, ∂s/∂a, ∂s/∂b), each lambdified."""
        exprs = self.derivation.field_exprs()
        args = self.derivation.args
        p, a, b = args[:3]
        plus = _lambdify(args, [branch(e, switch, +1) for e in exprs], cse)
        minus = _lambdify(args, [branch(e, switch, -1) for e in exprs], cse)
        grad = _lambdify(args, [sp.diff(switch, x) for x in (p, a, b)], cse)
        return plus, minus, grad

    def filippov(self, state, params, k):
        """The Filippov field on switching surface k at stacked states (m, 2d).

        f₊, f₋ are the fields on the sides s_k > 0 and s_k < 0, n = ∇s_k (by the chain rule in
        the invariants), σ± = n·f±.  Where σ₊ < 0 < σ₋ both sides push into the surface and
        the solution slides along it with f = α f₊ + (1 − α) f₋, α = σ₋/(σ₋ − σ₊), which keeps
        s_k constant.  Returns (f (m, 2d), σ₊ (m,), σ₋ (m,))."""
        state = np.asarray(state, dtype=float)
        d = state.shape[-1] // 2
        theta, phi = state[..., :d], state[..., d:]
        plus, minus, grad = self._filippov[k]
        with np.errstate(all="ignore"):
            pa, aa, ba = self.invariants(theta, phi)
            fields = []
            for fn in (plus, minus):
                g_tt, g_tp, g_pt, g_pp = (_column(np.asarray(g, dtype=float)) for g in fn(pa, aa, ba, *params))
                fields.append(np.concatenate([g_tt * theta + g_tp * phi, g_pt * theta + g_pp * phi], axis=-1))
            s_p, s_a, s_b = (_column(np.asarray(g, dtype=float)) for g in grad(pa, aa, ba, *params))
            normal = np.concatenate([s_p * phi + 2 * s_a * theta, s_p * theta + 2 * s_b * phi], axis=-1)
            normal = np.broadcast_to(normal, state.shape)
            sig_plus = np.sum(normal * fields[0], axis=-1)
            sig_minus = np.sum(normal * fields[1], axis=-1)
            alpha = sig_minus / (sig_minus - sig_plus)
            f = alpha[..., None] * fields[0] + (1 - alpha[..., None]) * fields[1]
        return f, sig_plus, sig_minus

    def coordinate_switches(self, dim: int) -> tuple:
        """In d = 1 the norms are absolute values, ‖θ‖ = |θ| and ‖φ‖ = |φ|: a field in which they
        do not cancel jumps across θ = 0 or φ = 0 (gp1's λ(‖φ‖ − 1)² gives φ' ∋ 2λ·sign(φ)).
        For d = 1, each coordinate across which the field jumps, as (index in the state (θ, φ),
        f₊, f₋): the field's smooth branches on the sides coordinate > 0 and < 0, derived by
        substituting |x| = ±x in the field written out in (θ, φ), each a function
        (z (m, 2), params) → (m, 2).  A kink (the field continuous, its derivative not: qp at
        θ = 0) is no switch.  Empty for d ≠ 1 (there these sets are points or have codimension
        ≥ 2)."""
        if dim != 1:
            return ()
        if getattr(self, "_coordinate_switches", None) is None:
            self._coordinate_switches = self._derive_coordinate_switches()
        return self._coordinate_switches

    def _derive_coordinate_switches(self) -> tuple:
        der = self.derivation
        p, a, b = der.args[:3]
        th, ph = sp.symbols("theta_1 phi_1", real=True)
        sub = {p: th * ph, a: th**2, b: ph**2}
        g = [sp.sympify(e).subs(sub) for e in der.field_exprs()]
        full = [g[0] * th + g[1] * ph, g[2] * th + g[3] * ph]
        found = []
        for index, x in ((0, th), (1, ph)):
            if not any(e.has(sp.Abs(x)) for e in full):
                continue
            sides = [[sp.cancel(sp.together(e.subs(sp.Abs(x), sg * x))) for e in full] for sg in (1, -1)]
            jump = [sp.simplify((u - v).subs(x, 0)) for u, v in zip(*sides)]
            if all(j == 0 for j in jump):
                continue
            fns = [_lambdify([th, ph, *der.params], side, cse=True) for side in sides]

            def as_batch(fn):
                def field(z, params):
                    z = np.asarray(z, dtype=float)
                    with np.errstate(all="ignore"):
                        values = fn(z[:, 0], z[:, 1], *params)
                    return np.stack([np.broadcast_to(np.asarray(v, dtype=float), z.shape[:1]) for v in values], axis=1)
                return field

            found.append((index, as_batch(fns[0]), as_batch(fns[1])))
        return tuple(found)

    def branch_field(self, state, params, k, side):
        """The field's smooth branch on side ``side`` (+1: s_k > 0, −1: s_k < 0) of switching
        surface k, at stacked states (m, 2d), extended across the surface: (m, 2d)."""
        state = np.asarray(state, dtype=float)
        d = state.shape[-1] // 2
        theta, phi = state[..., :d], state[..., d:]
        fn = self._filippov[k][0 if side > 0 else 1]
        with np.errstate(all="ignore"):
            pa, aa, ba = self.invariants(theta, phi)
            g_tt, g_tp, g_pt, g_pp = (_column(np.asarray(g, dtype=float)) for g in fn(pa, aa, ba, *params))
            f = np.concatenate([g_tt * theta + g_tp * phi, g_pt * theta + g_pp * phi], axis=-1)
        return np.broadcast_to(f, state.shape).copy() if f.shape != state.shape else f

    def lambdify_params(self, exprs):
        """A numpy function of the parameters alone (in ``spec.params`` order) returning ``exprs``
        (expressions in the parameter symbols, e.g. M at the equilibrium)."""
        return _lambdify(self.derivation.params, list(exprs), cse=True)

    # -- helpers -------------------------------------------------------------------------
    def _check_params(self, params: Sequence) -> tuple:
        params = tuple(params)
        if len(params) != self.n_params:
            names = ", ".join(p.name for p in self.spec.params) or "none"
            raise ValueError(f"{self.spec.name} takes {self.n_params} parameter(s) ({names}), got {len(params)}")
        return params

    @staticmethod
    def invariants(theta: np.ndarray, phi: np.ndarray):
        """(θ·φ, ‖θ‖², ‖φ‖²) of each state: three arrays of the batch shape."""
        return (
            np.einsum("...i,...i->...", theta, phi),
            np.einsum("...i,...i->...", theta, theta),
            np.einsum("...i,...i->...", phi, phi),
        )

    def _evaluate(self, fn, theta, phi, params):
        """A lambdified coefficient list at each state: (list of arrays of the batch shape, shape)."""
        p, a, b = self.invariants(theta, phi)
        params = self._check_params(params)
        shape = np.broadcast_shapes(p.shape, *(np.shape(x) for x in params))
        # Singular points give inf/nan here by design; callers test for them.
        with np.errstate(all="ignore"):
            return _broadcast(fn(p, a, b, *params), shape), shape

    def coefficients(self, theta, phi, params=()):
        """[g_θθ, g_θφ, g_φθ, g_φφ] at each state (arrays of the batch shape)."""
        return self._evaluate(self._field, np.asarray(theta, dtype=float), np.asarray(phi, dtype=float), params)[0]

    # -- the field -----------------------------------------------------------------------
    def __call__(self, theta, phi, params=()):
        """(θ', φ') at states θ, φ of shape (..., d); returns two arrays of that shape."""
        theta = np.asarray(theta, dtype=float)
        phi = np.asarray(phi, dtype=float)
        if theta.shape[-1:] != phi.shape[-1:]:
            raise ValueError(f"θ and φ must have the same dimension, got {theta.shape} and {phi.shape}")
        params = self._check_params(params)
        # The hot path of training and integration: the coefficients are used as they come
        # (constants stay scalars, no broadcast copies); the same products as before, so the
        # values are bit-identical.  Singular points give inf/nan by design; callers test.
        with np.errstate(all="ignore"):
            p, a, b = self.invariants(theta, phi)
            g_tt, g_tp, g_pt, g_pp = (_column(g) for g in self._field(p, a, b, *params))
            dtheta = g_tt * theta + g_tp * phi
            dphi = g_pt * theta + g_pp * phi
            shape = p.shape if not params else np.broadcast_shapes(p.shape, *(np.shape(x) for x in params))
            shape += theta.shape[-1:]
            if dtheta.shape != shape or dphi.shape != shape:   # constant coefficients, parameter grids
                dtheta, dphi = (np.broadcast_to(v, shape).copy() for v in (dtheta, dphi))
            # Invariants far from 1 (‖φ‖² = 1e-216 makes ‖φ‖³ a denormal, inexact) or a non-finite
            # field: re-evaluate those states more carefully.  Cheap screens first (method
            # reductions: this is the hot path of small batches): a sum is non-finite if any term
            # is, or if it overflows; a, b ≥ 0, so a sum above 1e100 is needed for any term above
            # it; a false alarm only sends the batch through the careful check.
            screen = float(dtheta.sum()) + float(dphi.sum())
            lo, hi = (min(float(a.min()), float(b.min())), float(a.sum()) + float(b.sum())) if a.size else (1, 1)
        if not math.isfinite(screen) or lo < 1e-100 or not hi <= 1e100:
            extreme = _extreme(a) | _extreme(b)
            if extreme.any() or not (np.isfinite(dtheta).all() and np.isfinite(dphi).all()):
                self._repair(theta, phi, params, dtheta, dphi, extreme)
        return dtheta, dphi

    def _repair(self, theta, phi, params, dtheta, dphi, extreme=None) -> None:
        """Re-evaluate, in place, the states whose field came out non-finite although the
        state and parameters are finite: (1) in extended precision (long double), which
        removes intermediate overflow and underflow (wgan at ‖φ‖ = 1e-108 forms ‖φ‖³ = 1e-324;
        gp0 at λ = 1e308 forms 2λ); (2) with the parameter values substituted exactly before
        lambdifying, which removes singularities that the values cancel (gp with c = 0 or
        gp1 with λ = 0 at φ = 0, where the generic code evaluates 0·∞).  What stays non-finite
        is a genuine singular point (or a field beyond the float range)."""
        if theta.shape != dtheta.shape or phi.shape != dphi.shape or any(np.ndim(x) for x in params):
            return    # parameter grids and broadcast batches: left to the caller
        if not all(np.isfinite(x) for x in params) or theta.ndim == 0:
            return
        if theta.ndim != 2:     # work on (n, d) views of the batch
            d = theta.shape[-1]
            views = [np.reshape(x, (-1, d)) for x in (theta, phi, dtheta, dphi)]
            if not (np.shares_memory(views[2], dtheta) and np.shares_memory(views[3], dphi)):
                return
            if extreme is not None:
                extreme = np.reshape(extreme, (-1,))
            theta, phi, dtheta, dphi = views
        bad = ~(np.isfinite(dtheta).all(axis=1) & np.isfinite(dphi).all(axis=1))
        if extreme is not None and np.shape(extreme) == bad.shape:
            bad |= extreme
        bad &= np.isfinite(theta).all(axis=1) & np.isfinite(phi).all(axis=1)
        if not bad.any():
            return
        th, ph = theta[bad].astype(np.longdouble), phi[bad].astype(np.longdouble)
        with np.errstate(all="ignore"):
            p, a, b = self.invariants(th, ph)
            coeffs = self._field(p, a, b, *(np.longdouble(x) for x in params))
            g_tt, g_tp, g_pt, g_pp = (g[..., None] if np.ndim(g) else g for g in coeffs)
            new_t = np.asarray(g_tt * th + g_tp * ph, dtype=float)
            new_p = np.asarray(g_pt * th + g_pp * ph, dtype=float)
            still = ~(np.isfinite(new_t).all(axis=1) & np.isfinite(new_p).all(axis=1))
            if still.any():
                exact = _exact_field(self, tuple(float(x) for x in params))
                if exact is not None:
                    p, a, b = self.invariants(th[still], ph[still])
                    coeffs = exact(p, a, b)
                    g_tt, g_tp, g_pt, g_pp = (g[..., None] if np.ndim(g) else g for g in coeffs)
                    new_t[still] = np.asarray(g_tt * th[still] + g_tp * ph[still], dtype=float)
                    new_p[still] = np.asarray(g_pt * th[still] + g_pp * ph[still], dtype=float)
        dtheta[bad], dphi[bad] = new_t, new_p

    def rhs_columns(self, columns, params=(), out=None):
        """The field on states stored column-wise: ``columns`` (2d, k), row c holding coordinate c
        of all k states (the layout of the batch integrator, where each row is contiguous).
        Returns (2d, k), written into ``out`` when given.

        The integrator's kernel: only the invariants the coefficients use are formed, and the
        coefficients are applied as they come (a constant 0 drops its term, ±1 adds or subtracts),
        in place.  The values equal :meth:`rhs`'s; states whose field is not finite or whose
        invariants are extreme go through :meth:`rhs` (and its repair).  Call it inside
        ``np.errstate(all="ignore")`` when states may be singular."""
        d = columns.shape[0] // 2
        theta, phi = columns[:d], columns[d:]
        params = tuple(params)
        if len(params) != self.n_params:
            self._check_params(params)
        use_p, use_a, use_b = self._uses
        p = np.einsum("ik,ik->k", theta, phi) if use_p else 0.0
        a = np.einsum("ik,ik->k", theta, theta) if use_a else 0.0
        b = np.einsum("ik,ik->k", phi, phi) if use_b else 0.0
        g = self._field(p, a, b, *params)
        if out is None:
            out = np.empty(columns.shape)
        _combine(g[0], theta, g[1], phi, out[:d])
        _combine(g[2], theta, g[3], phi, out[d:])
        # Screen for the careful path (as in __call__): a non-finite sum, or extreme invariants.
        # Constant finite coefficients need neither (the products are those of a linear map).
        if any(isinstance(x, np.ndarray) or not math.isfinite(x) for x in g):
            extreme = False
            for x, used in ((a, use_a), (b, use_b)):
                if used and x.size and (float(x.min()) < 1e-100 or float(x.max()) > 1e100):
                    extreme = True
            if extreme or not math.isfinite(float(np.sum(out))):
                out[...] = self.rhs(columns.T, params).T
        return out

    def rhs(self, state, params=()):
        """The field on stacked states z = (θ, φ) of shape (..., 2d): returns (..., 2d)."""
        state = np.asarray(state, dtype=float)
        d = state.shape[-1] // 2
        dtheta, dphi = self(state[..., :d], state[..., d:], params)
        return np.concatenate([dtheta, dphi], axis=-1)

    # -- the Jacobian --------------------------------------------------------------------
    def jacobian(self, theta, phi, params=()):
        """∂(θ', φ')/∂(θ, φ) at states of shape (..., d): array (..., 2d, 2d)."""
        theta = np.asarray(theta, dtype=float)
        phi = np.asarray(phi, dtype=float)
        c, shape = self._evaluate(self._jacobian, theta, phi, params)
        theta = np.broadcast_to(theta, shape + theta.shape[-1:])
        phi = np.broadcast_to(phi, shape + phi.shape[-1:])
        d = theta.shape[-1]
        vecs = (theta, phi)
        eye = np.eye(d)
        out = np.empty(shape + (2 * d, 2 * d))
        k = 0
        with np.errstate(all="ignore"):
            for i in range(2):          # output block: θ', φ'
                for j in range(2):      # input block: θ, φ
                    blk = c[k][..., None, None] * eye
                    for u in range(2):
                        for w in range(2):
                            coef = c[k + 1 + 2 * u + w]
                            if np.any(coef):
                                blk = blk + coef[..., None, None] * (vecs[u][..., :, None] * vecs[w][..., None, :])
                    out[..., i * d:(i + 1) * d, j * d:(j + 1) * d] = blk
                    k += 5
        return out

    def rhs_switches(self, state, params=()):
        """The switching functions s_k at stacked states (..., 2d): returns (..., K)."""
        state = np.asarray(state, dtype=float)
        d = state.shape[-1] // 2
        theta, phi = state[..., :d], state[..., d:]
        values, shape = self._evaluate(self._switches, theta, phi, params)
        return np.stack(values, axis=-1)

    def rhs_jacobian(self, state, params=()):
        """The Jacobian on stacked states (..., 2d): returns (..., 2d, 2d)."""
        state = np.asarray(state, dtype=float)
        d = state.shape[-1] // 2
        return self.jacobian(state[..., :d], state[..., d:], params)


@lru_cache(maxsize=256)
def _exact_field(vf: VectorField, params: tuple):
    """The field coefficients with these parameter values substituted exactly (sympy
    simplifies 0/‖φ‖ to 0 for c = 0), lambdified as functions of the invariants; None when
    the game has no parameters (nothing to substitute)."""
    if not params:
        return None
    from .symbolic import exact_number

    der = vf.derivation
    sub = {sym: exact_number(v) for sym, v in zip(der.params, params)}
    exprs = [e.subs(sub) for e in der.field_exprs()]
    return _lambdify(der.args[:3], exprs, cse=True)


@lru_cache(maxsize=None)
def vector_field(spec: GameSpec) -> VectorField:
    """The :class:`VectorField` of ``spec``, derived and lambdified once per process."""
    return VectorField(derive(spec))


def velocity(game: Game, theta, phi):
    """(θ', φ') of ``game`` (a game with parameter values) at a batch of states.

    ``theta`` and ``phi`` have shape (..., d); returns two arrays of that shape.
    """
    return vector_field(game.spec)(theta, phi, game.param_values())


def jacobian(game: Game, theta, phi):
    """∂(θ', φ')/∂(θ, φ) of ``game`` at a batch of states (..., d): shape (..., 2d, 2d), state
    order (θ, φ)."""
    return vector_field(game.spec).jacobian(theta, phi, game.param_values())
