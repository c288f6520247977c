"""The linear analysis at the equilibrium θ = φ = 0 (:func:`analyse`).

The numeric verdict by integration is :mod:`.verdict`; the two together say why a game
oscillates or converges.  Every Jacobian block is c·I + Σ k·u wᵀ (see
:mod:`diracgan.derivation.symbolic`); at θ = φ = 0 the outer products vanish, so

    J(0) = M ⊗ I_d,   M = [[c_θθ, c_θφ], [c_φθ, c_φφ]] evaluated at θ·φ = ‖θ‖² = ‖φ‖² = 0,

in state order (θ, φ).  The eigenvalues of J(0) are those of the 2×2 matrix M, each with
multiplicity d (d-fold blocks): sympy gives them exactly as functions of the parameters, with
no d×d symbolic matrix at any d.  The linear verdict: asymptotically stable (all Re μ < 0, rate
−max Re μ), centre (all Re μ = 0: inconclusive), marginal (max Re μ = 0: inconclusive), or
unstable (some Re μ > 0).  This needs the field to be C¹ near the equilibrium.  It is checked
on the derived coefficients: each must stay finite on θ = 0, on φ = 0 and at the origin (a
coefficient such as 1/‖φ‖ fails); the loss terms that cause a failure are named.  Where the
check fails, the Jacobian's limit along rays (θ ∝ r^m, φ ∝ r^n, r → 0) is reported when it
exists (qp: the field is undefined on θ = 0, yet J → M₀ ⊗ I), but no linear verdict is drawn.

:func:`equilibrium_matrices` evaluates M for whole grids of parameter values at once (sweeps,
discrete stability maps); :func:`eigenvalues_2x2` gives their eigenvalues stably.

The steps of :func:`analyse` are public for the explorer (:mod:`diracgan.viz.explorer`), which
prints the same expressions as JavaScript: :func:`coefficient_exprs`, :func:`localised_coefficients`,
:func:`singular_sets_of` over :data:`SINGULAR_SETS`, :func:`loss_culprits`, :func:`m_matrix`,
:func:`ray_limit` and :func:`spec_structure`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from ..derivation.numeric import jacobian, vector_field
from ..derivation.symbolic import (
    INVARIANTS,
    STATE_BLOCKS,
    derive,
    exact_number,
    field_coefficients,
    jacobian_blocks,
    switching_functions,
    to_text,
)
from ..derivation.budget import ANALYSIS_SIZE, within
from ..errors import InputError
from ..games import Game
from .numeric_route import numeric_m, verdict_of

__all__ = [
    "Eigenvalue",
    "EquilibriumAnalysis",
    "LINEAR_VERDICTS",
    "analyse",
    "equilibrium_matrices",
    "eigenvalues_2x2",
    "eigen_text",
    "complex_text",
]

P, A, B = INVARIANTS
_R = sp.Symbol("r", positive=True)
_ALPHA = sp.Symbol("alpha", positive=True)
_BETA = sp.Symbol("beta", positive=True)
_XI = sp.Symbol("xi", real=True)
_RAYS = ((1, 1), (2, 1), (1, 2))   # θ ∝ r^m, φ ∝ r^n
SINGULAR_SETS = (("θ = 0", {A: 0, P: 0}), ("φ = 0", {B: 0, P: 0}), ("θ = φ = 0", {A: 0, B: 0, P: 0}))

LINEAR_VERDICTS = ("asymptotically stable", "centre", "marginal", "unstable", "not differentiable")


@dataclass(frozen=True)
class Eigenvalue:
    """One eigenvalue μ of J(0): ``exact`` (sympy, in the parameters), ``value`` (exact, with
    the parameter values), ``re``/``im`` (floats), ``multiplicity`` (in J(0), i.e. × d)."""

    exact: sp.Expr
    value: sp.Expr
    re: float
    im: float
    multiplicity: int
    multiplicity_in_m: int


@dataclass(frozen=True, eq=False)
class EquilibriumAnalysis:
    """The linear analysis of one game at θ = φ = 0 (see module doc)."""

    game: Game
    dim: int
    differentiable: bool
    singular_sets: tuple[str, ...]                    # where coefficients blow up
    culprits: tuple[tuple[str, str, str], ...]         # (loss, term as text, singular sets)
    m_symbolic: sp.Matrix | None                       # M, in the parameters
    m_value: sp.Matrix | None                          # M with the parameter values
    eigenvalues: tuple[Eigenvalue, ...]
    m_limit: sp.Matrix | None = None                   # limit of M along rays, when not C¹
    limit_eigenvalues: tuple[Eigenvalue, ...] = ()
    numeric_eigenvalues: tuple[tuple[complex, int], ...] = ()   # numpy on the full 2d×2d J(0)
    max_re: float | None = None
    verdict: str = "not differentiable"
    numeric_source: str = ""                           # what numpy's eigvals ran on
    route: str = "symbolic"                            # "symbolic" (exact) or "numeric" (over the budget)
    route_reason: str = ""                             # why the numeric route was taken

    @property
    def rate(self) -> float | None:
        """Exponential rate −max Re μ of an asymptotically stable equilibrium."""
        return -self.max_re if self.verdict == "asymptotically stable" else None

    def __repr__(self) -> str:
        eig = ", ".join(f"{complex_text(e.re, e.im)} ×{e.multiplicity}" for e in self.eigenvalues)
        return f"<EquilibriumAnalysis {self.game.label()}, d = {self.dim}: {self.verdict}" + (
            f"; eigenvalues {eig}>" if eig else ">")

    def _repr_html_(self) -> str:
        from ..dynamics.display import html_table

        rows = [("game", self.game.label()), ("d", self.dim), ("linear verdict", self.verdict_text())]
        if self.m_symbolic is not None:
            rows.append(("J(0) = M ⊗ I_d, M", str(self.m_symbolic.tolist())))
        for e in self.eigenvalues:
            rows.append(("eigenvalue μ", f"{e.exact} = {complex_text(e.re, e.im)}  (×{e.multiplicity})"))
        if not self.differentiable:
            rows.append(("not differentiable", self.differentiability_text()))
        return html_table("EquilibriumAnalysis", rows)

    def verdict_text(self) -> str:
        text = self._verdict_text()
        return text + " [numeric route: floating-point J(0) and eigenvalues]" if self.route == "numeric" else text

    def _verdict_text(self) -> str:
        if self.verdict == "asymptotically stable":
            return (f"asymptotically stable: every eigenvalue has Re μ ≤ {self.max_re:.6g} < 0, "
                    f"so ‖(θ, φ)‖ decays like e^(−{self.rate:.6g} t) near the equilibrium")
        if self.verdict == "centre":
            return ("centre: every eigenvalue is purely imaginary, so the linearisation is inconclusive "
                    "(it neither proves convergence nor rules it out)")
        if self.verdict == "marginal":
            return ("marginal: the largest real part is 0 (with others negative or zero eigenvalues), "
                    "so the linearisation is inconclusive")
        if self.verdict == "unstable":
            return f"unstable: an eigenvalue has Re μ = {self.max_re:.6g} > 0"
        return "no linear verdict: " + self.differentiability_text()

    def differentiability_text(self) -> str:
        if self.differentiable:
            return "the field is C¹ near the equilibrium"
        blame = "; ".join(f"the term {term} of {loss} (its derived coefficients are singular at {sets})"
                          for loss, term, sets in self.culprits)
        text = f"the field is not differentiable at the equilibrium: {blame or 'singular at ' + ', '.join(self.singular_sets)}"
        if self.m_limit is not None:
            eig = ", ".join(_eig_text(e) for e in self.limit_eigenvalues)
            text += (f". Its Jacobian does tend to M₀ ⊗ I_d along rays to the equilibrium (M₀ = "
                     f"{_matrix_text(self.m_limit)}, eigenvalues {eig}), but the field is not C¹ near it, "
                     f"so that limit proves nothing")
        return text


def _eig_text(e: Eigenvalue) -> str:
    return f"{complex_text(e.re, e.im)} (×{e.multiplicity})"


def complex_text(re: float, im: float, digits: int = 6) -> str:
    if abs(im) < 1e-15:
        return f"{re:.{digits}g}"
    if abs(re) < 1e-15:
        return f"{im:.{digits}g}i"
    return f"{re:.{digits}g} {'+' if im >= 0 else '-'} {abs(im):.{digits}g}i"


def _matrix_text(m: sp.Matrix) -> str:
    return "[" + ", ".join("[" + ", ".join(to_text(x) for x in m.row(i)) + "]" for i in range(m.rows)) + "]"


def _finite(expr) -> bool:
    expr = sp.sympify(expr)
    return not expr.has(sp.nan, sp.zoo, sp.oo, -sp.oo)


def coefficient_exprs(coeffs: dict) -> list[sp.Expr]:
    blocks = jacobian_blocks(coeffs)
    out = [coeffs[v][u] for v in STATE_BLOCKS for u in STATE_BLOCKS]
    for v in STATE_BLOCKS:
        for x in STATE_BLOCKS:
            out.append(blocks[v][x].identity)
            out.extend(k for row in blocks[v][x].outer for k in row)
    return out


def singular_sets_of(exprs) -> tuple[str, ...]:
    """Which of θ = 0, φ = 0, the origin make some coefficient infinite or undefined, and which
    switching surfaces of a non-smooth loss pass through the equilibrium (``exprs`` localised
    by :func:`_localise` first)."""
    found = []
    for name, sub in SINGULAR_SETS:
        if any(not _finite(e.subs(sub)) for e in exprs):
            found.append(name)
    for s in switching_functions(exprs):
        if sp.simplify(s.subs(_ORIGIN)) == 0:
            found.append(f"the switching surface {to_text(s)} = 0")
    return tuple(found)


_ORIGIN = {P: 0, A: 0, B: 0}
_SWITCHES = (sp.Heaviside, sp.sign, sp.Abs, sp.Max, sp.Min)


def _localise(expr):
    """``expr`` in a neighbourhood of the equilibrium: a switch of a non-smooth loss (Heaviside,
    sign, Abs, Max, Min) whose argument is non-zero at θ = φ = 0 is constant near it and is
    replaced by that constant branch (the hinge's max(0, 1 + θ·φ) is 1 + θ·φ there, WGAN-LP's
    max(0, ‖φ‖ − 1) is 0).  Switches through the equilibrium stay (and make it non-smooth)."""
    expr = sp.sympify(expr)
    if not expr.has(*_SWITCHES):
        return expr

    def sign_at_origin(x):
        v = sp.sympify(x).subs(_ORIGIN)
        return 1 if v.is_positive else -1 if v.is_negative else None

    def local(node):
        if isinstance(node, (sp.Max, sp.Min)):
            pick = max if isinstance(node, sp.Max) else min
            at0 = [a.subs(_ORIGIN) for a in node.args]
            if all(v.is_comparable for v in at0):
                best = pick(range(len(at0)), key=lambda i: float(at0[i]))
                if all(i == best or float(at0[i]) != float(at0[best]) for i in range(len(at0))):
                    return node.args[best]
            return node
        sg = sign_at_origin(node.args[0])
        if sg is None:
            return node
        if isinstance(node, sp.Heaviside):
            return sp.S.One if sg > 0 else sp.S.Zero
        if isinstance(node, sp.sign):
            return sp.S(sg)
        return sg * node.args[0]   # Abs

    return expr.replace(lambda e: isinstance(e, _SWITCHES), local)


def localised_coefficients(coeffs: dict) -> dict:
    return {v: {u: _localise(e) for u, e in row.items()} for v, row in coeffs.items()}


def m_matrix(blocks: dict, sub: dict) -> sp.Matrix:
    return sp.Matrix([[sp.simplify(blocks[v][x].identity.subs(sub)) for x in STATE_BLOCKS] for v in STATE_BLOCKS])


def ray_limit(blocks: dict) -> sp.Matrix | None:
    """lim J along θ ∝ r^m, φ ∝ r^n (r → 0) for the rays in _RAYS, if it exists, is finite,
    does not depend on the direction and the outer-product terms vanish; else None."""
    limits = None
    for m_t, m_p in _RAYS:
        sub = {P: _R ** (m_t + m_p) * _XI, A: _R ** (2 * m_t) * _ALPHA, B: _R ** (2 * m_p) * _BETA}
        scale = {"theta": m_t, "phi": m_p}
        mat = []
        for v in STATE_BLOCKS:
            row = []
            for x in STATE_BLOCKS:
                blk = blocks[v][x]
                try:
                    c = sp.limit(blk.identity.subs(sub), _R, 0, "+")
                    ks = [sp.limit(blk.outer[i][j].subs(sub) * _R ** (scale[u] + scale[w]), _R, 0, "+")
                          for i, u in enumerate(STATE_BLOCKS) for j, w in enumerate(STATE_BLOCKS)]
                except (NotImplementedError, ValueError, TypeError):
                    return None
                if not _finite(c) or c.has(_XI, _ALPHA, _BETA) or any(k != 0 for k in ks):
                    return None
                row.append(c)
            mat.append(row)
        mat = sp.Matrix(mat)
        if limits is None:
            limits = mat
        elif sp.simplify(mat - limits) != sp.zeros(2, 2):
            return None
    return limits


def _eigenvalues(m_sym: sp.Matrix, values: dict, dim: int) -> tuple[Eigenvalue, ...]:
    """Eigenvalues of M (exact in the parameters, then at ``values``), × d in J(0).

    Branches that coincide at these values (gp0 at λ = 1: −λ ± √(λ² − 1) = −1) are merged
    into one eigenvalue with the summed multiplicity."""
    merged: list[list] = []
    for ev, mult in m_sym.eigenvals(multiple=False).items():
        ev = sp.simplify(ev)
        val = sp.simplify(ev.subs(values)) if values else ev
        for item in merged:
            if sp.simplify(item[1] - val) == 0:
                item[2] += mult
                break
        else:
            merged.append([ev, val, mult])
    out = []
    for ev, val, mult in merged:
        c = _n(val)
        out.append(Eigenvalue(ev, val, c.real, c.imag, mult * dim, mult))
    return tuple(sorted(out, key=lambda e: (e.re, e.im)))


def _numeric_clusters(eigs: np.ndarray, tol: float = 1e-6) -> tuple[tuple[complex, int], ...]:
    """Group numeric eigenvalues that agree to ``tol`` (defective pairs split by ~√eps)."""
    groups: list[list[complex]] = []
    for z in sorted(eigs, key=lambda z: (round(z.real, 6), round(z.imag, 6))):
        for g in groups:
            if z == g[0] or abs(z - np.mean(g)) < tol:
                g.append(z)
                break
        else:
            groups.append([z])
    # (A single or non-finite member is kept as it is: complex division would turn -inf + 0j into
    # -inf + nan·i.)
    return tuple((complex(g[0]) if len(g) == 1 or not np.isfinite(g[0]) else complex(np.mean(g)), len(g))
                 for g in groups)


def _exact_values(game: Game, der) -> dict:
    return {s: exact_number(v) for s, (_, v) in zip(der.params, game.values)}


def _n(expr) -> complex:
    """A complex number from an exact expression, with enough working precision for the
    cancellation in e.g. −λ + √(λ² − 1) at λ = 1e300."""
    return complex(sp.N(expr, 30, maxn=4000))


def loss_culprits(der, values: dict) -> tuple[tuple[str, str, str], ...]:
    """The additive terms of L_D and L_G whose derived coefficients are singular."""
    found = []
    for loss_name, loss in (("L_D", der.loss_d), ("L_G", der.loss_g)):
        for term in sp.Add.make_args(loss):
            value = term.subs(values)
            if loss_name == "L_D":
                exprs = coefficient_exprs(localised_coefficients(field_coefficients(value, sp.S.Zero)))
            else:
                exprs = coefficient_exprs(localised_coefficients(field_coefficients(sp.S.Zero, value)))
            sets = singular_sets_of(exprs)
            if sets:
                found.append((loss_name, to_text(term), ", ".join(s for s in sets if s != "θ = φ = 0") or sets[0]))
    return tuple(found)


def analyse(game: Game, dim: int = 2) -> EquilibriumAnalysis:
    """The linear analysis of ``game`` at the equilibrium θ = φ = 0 (see module doc).

    Parameters
    ----------
    game : Game
        From :func:`diracgan.make_game`.
    dim : int
        Dimension d of θ and φ (each eigenvalue of M appears d times in J(0)).

    Returns
    -------
    EquilibriumAnalysis
        ``verdict`` (asymptotically stable, centre, marginal, unstable, not differentiable),
        ``eigenvalues`` (exact and numeric), ``m_symbolic`` (J(0) = M ⊗ I_d), ``rate``.

    Examples
    --------
    >>> from diracgan import analyse, make_game
    >>> analyse(make_game("vanilla")).verdict
    'centre'
    """
    if int(dim) != dim or dim < 1:
        raise InputError(f"dim must be a whole number ≥ 1, got {dim!r}")
    return _analyse(game, int(dim))


@lru_cache(maxsize=256)
def _analyse(game: Game, dim: int) -> EquilibriumAnalysis:
    der = derive(game.spec)
    if not within(der.field_exprs() + der.jacobian_exprs(), ANALYSIS_SIZE):
        return _numeric_analysis(game, dim, f"the derived field and Jacobian have more than {ANALYSIS_SIZE} "
                                 f"expression nodes (the symbolic budget), so sympy's exact analysis is not attempted")
    values = _exact_values(game, der)
    coeffs_gen = localised_coefficients(der.coefficients)
    coeffs_val = localised_coefficients({v: {u: e.subs(values) for u, e in row.items()} for v, row in der.coefficients.items()})
    exprs_val = coefficient_exprs(coeffs_val)
    singular = singular_sets_of(exprs_val)
    origin = {P: 0, A: 0, B: 0}
    if singular:
        blocks_val = jacobian_blocks(coeffs_val)
        limit = ray_limit(blocks_val)
        limit_eigs = _eigenvalues(limit, {}, dim) if limit is not None else ()
        return EquilibriumAnalysis(game, dim, False, singular, loss_culprits(der, values), None, None, (),
                                   limit, limit_eigs)

    generic_ok = not singular_sets_of(coefficient_exprs(coeffs_gen))
    m_sym = m_matrix(jacobian_blocks(coeffs_gen if generic_ok else coeffs_val), origin)
    eigs = _eigenvalues(m_sym, values if generic_ok else {}, dim)
    m_val = sp.simplify(m_sym.subs(values))

    numeric, numeric_source = _numeric_eigenvalues(game, dim, m_val, generic_ok)
    res = [sp.re(e.value) for e in eigs]
    max_re_exact = max(res, key=lambda r: _n(r).real)
    max_re = _n(max_re_exact).real
    # The sign from the exact expression (zero exactly, or the sign of a high-precision value:
    # sympy's sign() evaluates at low precision and loses −λ + √(λ² − 1) for λ = 1e300).
    sign = 0 if sp.simplify(max_re_exact) == 0 else (1 if max_re > 0 else -1 if max_re < 0 else 0)
    if sign < 0:
        verdict = "asymptotically stable"
    elif sign > 0:
        verdict = "unstable"
    elif all(abs(e.re) < 1e-15 for e in eigs) and all(abs(e.im) > 0 for e in eigs):
        verdict = "centre"
    else:
        verdict = "marginal"
    return EquilibriumAnalysis(game, dim, True, (), (), m_sym, m_val, eigs, None, (), numeric, max_re, verdict,
                               numeric_source)


def _numeric_analysis(game: Game, dim: int, reason: str) -> EquilibriumAnalysis:
    """The linear analysis by the numeric route (:mod:`.numeric_route`): M from the derived
    Jacobian in floating point, numpy's eigenvalues; the expressions held are Floats."""
    m, problem = numeric_m(game)
    common = dict(route="numeric", route_reason=reason)
    if problem:
        return EquilibriumAnalysis(game, dim, False, (problem,), (), None, None, (), **common)
    eigs = np.linalg.eigvals(m)
    clusters = _numeric_clusters(eigs)
    out = []
    for z, mult in clusters:
        value = sp.Float(z.real, 17) + sp.I * sp.Float(z.imag, 17) if z.imag else sp.Float(z.real, 17)
        out.append(Eigenvalue(value, value, z.real, z.imag, mult * dim, mult))
    verdict, max_re = verdict_of(eigs, m)
    m_float = sp.Matrix(2, 2, [sp.Float(float(x), 17) for x in m.reshape(-1)])
    return EquilibriumAnalysis(game, dim, True, (), (), m_float, m_float, tuple(sorted(out, key=lambda e: (e.re, e.im))),
                               None, (), tuple((z, mult * dim) for z, mult in clusters), max_re, verdict,
                               "the 2×2 matrix M of the derived Jacobian at the equilibrium, in floating point", **common)


DENSE_CHECK_MAX_DIM = 64
"""Up to this d the numeric eigenvalues come from the full, dense 2d × 2d J(0); above it from
the 2 × 2 matrix M (J(0) = M ⊗ I_d), each × d, so ``--dim 1000000`` costs no more than d = 1."""


def _numeric_eigenvalues(game: Game, dim: int, m_val: sp.Matrix, generic_ok: bool) -> tuple:
    """The eigenvalues of J(0), numerically: from the lambdified Jacobian (an independent check
    of the exact ones) at d ≤ :data:`DENSE_CHECK_MAX_DIM`, else from M with multiplicity × d.
    A preset value that removes a singularity (gp's c = 0) only shows in the exact M, so there
    M is used.  Entries beyond the float range (λ = 1e308) are scaled: eig(sM) = s·eig(M); an
    eigenvalue that itself overflows is reported as ±inf."""
    d_dense = dim if dim <= DENSE_CHECK_MAX_DIM else 1
    jac = jacobian(game, np.zeros(d_dense), np.zeros(d_dense)) if generic_ok else None
    if jac is not None and np.all(np.isfinite(jac)):
        eigs = np.linalg.eigvals(jac)
    else:
        d_dense = 0     # from M
        scale = max((abs(x) for x in m_val), default=sp.S.One)
        scale = scale if scale != 0 else sp.S.One
        with np.errstate(all="ignore"):
            eigs = np.linalg.eigvals(np.array((m_val / scale).evalf(), dtype=float)).astype(complex)
            s = float(scale)
            # (0·inf would be NaN: a zero part stays zero.)
            re = np.where(eigs.real == 0, 0.0, eigs.real * s)
            im = np.where(eigs.imag == 0, 0.0, eigs.imag * s)
            eigs = np.empty(len(re), dtype=complex)
            eigs.real, eigs.imag = re, im
    clusters = _numeric_clusters(eigs)
    factor = dim // max(d_dense, 1)
    source = f"the {2 * dim}×{2 * dim} Jacobian" if d_dense == dim else "the 2×2 matrix M, J(0) = M ⊗ I_d"
    return tuple((z, m * factor) for z, m in clusters), source


@lru_cache(maxsize=None)
def spec_structure(spec):
    """Per spec, once: the coefficient expressions, which of them are singular for generic
    parameters, and M's entries (identity coefficients, to be taken at the origin)."""
    der = derive(spec)
    coeffs = localised_coefficients(der.coefficients)
    exprs = coefficient_exprs(coeffs)
    singular = tuple(i for i, e in enumerate(exprs) if singular_sets_of([e]))
    blocks = jacobian_blocks(coeffs)
    m_exprs = tuple(blocks[v][x].identity for v in STATE_BLOCKS for x in STATE_BLOCKS)
    return der, exprs, singular, m_exprs


@lru_cache(maxsize=None)
def _m_function(spec):
    """M's four entries at the origin as one vectorised numpy function of the parameters."""
    der, _, _, m_exprs = spec_structure(spec)
    return vector_field(spec).lambdify_params([e.subs(_ORIGIN) for e in m_exprs])


@lru_cache(maxsize=65536)
def _m_at(spec, values: tuple) -> tuple | None:
    """M's entries (row-major) at these exact parameter values, or None where the field is not
    C¹ near the equilibrium for them (only the generically singular coefficients need a look)."""
    der, exprs, singular, m_exprs = spec_structure(spec)
    sub = {sym: exact_number(v) for sym, v in zip(der.params, values)}
    if singular_sets_of([exprs[i].subs(sub) for i in singular]):
        return None
    origin = {P: 0, A: 0, B: 0}
    return tuple(_n(e.subs(sub).subs(origin)).real for e in m_exprs)


MAX_EXACT_VALUES = 5000
"""Most distinct parameter values :func:`equilibrium_matrices` decides exactly (a few ms each)."""


def equilibrium_matrices(game: Game, overrides: dict | None = None, shape: tuple = ()) -> np.ndarray:
    """M (shape + (2, 2)) at the equilibrium for parameter values that may be arrays of
    ``shape`` (``overrides`` by name; the game's values otherwise).  NaN where the field is not
    C¹ near the equilibrium; ±inf entries where they exceed the float range (an overflow).  Games that are C¹ for every parameter value take one vectorised
    call of the lambdified Jacobian; the others are decided per distinct parameter value,
    exactly (gp is C¹ only at c = 0)."""
    overrides = overrides or {}
    args = [np.broadcast_to(np.asarray(overrides.get(k, v), dtype=float), shape) for k, v in game.values]
    m = np.empty(shape + (2, 2))
    _, _, singular, _ = spec_structure(game.spec)
    if not singular:
        with np.errstate(all="ignore"):
            c = _m_function(game.spec)(*args)
        for i in range(2):
            for j in range(2):
                m[..., i, j] = np.broadcast_to(np.asarray(c[2 * i + j], dtype=float), shape)
        # C¹ for every parameter value: a non-finite entry can only be an overflow (λ = 1e308
        # gives 2λ = inf), marked +inf, never NaN (NaN means "not differentiable").
        return np.where(np.isnan(m), np.inf, m)
    flat = np.stack([a.reshape(-1) for a in args], axis=1) if args else np.zeros((int(np.prod(shape)), 0))
    out = np.full((len(flat), 4), np.nan)
    combos, inverse = np.unique(flat, axis=0, return_inverse=True)
    if len(combos) > MAX_EXACT_VALUES:
        raise InputError(f"{game.name} is decided exactly (sympy) per parameter value, since its field is C¹ at the "
                         f"equilibrium only for some values: at most {MAX_EXACT_VALUES} distinct values, got "
                         f"{len(combos)}; lower the COUNT of the range")
    for n, combo in enumerate(combos):
        entries = _m_at(game.spec, tuple(float(x) for x in combo))
        if entries is not None:
            out[inverse.reshape(-1) == n] = entries
    return out.reshape(shape + (2, 2))


def eigenvalues_2x2(m: np.ndarray) -> np.ndarray:
    """Eigenvalues of real 2×2 matrices (…, 2, 2), sorted by (Re, Im), computed stably: for
    real pairs the small root is det/(large root), so λ = 1e9 in gp0 keeps −1/(2λ); each
    matrix is scaled by its largest entry first, so entries up to the float limit (λ = 1e307)
    do not overflow in the discriminant."""
    with np.errstate(all="ignore"):
        s = np.max(np.abs(m), axis=(-1, -2))
        s = np.where((s > 0) & np.isfinite(s), s, 1.0)
        ms = m / s[..., None, None]
        tr = ms[..., 0, 0] + ms[..., 1, 1]
        det_s = ms[..., 0, 0] * ms[..., 1, 1] - ms[..., 0, 1] * ms[..., 1, 0]
        det = m[..., 0, 0] * m[..., 1, 1] - m[..., 0, 1] * m[..., 1, 0]
        half = tr / 2
        disc = half * half - det_s
        root = np.sqrt(np.abs(disc))
        big_s = half + np.where(half >= 0, root, -root)
        big = s * big_s
        # det/big unscaled where det is representable (det_s may underflow: det = 1, s = 1e307),
        # else from the scaled values.
        small = np.where(big != 0, np.where(np.isfinite(det), det / big, s * (det_s / big_s)), 0.0)
        real = np.stack([np.minimum(big, small), np.maximum(big, small)], axis=-1).astype(complex)
        cplx = np.stack([s * half - 1j * (s * root), s * half + 1j * (s * root)], axis=-1)
    return np.where((disc >= 0)[..., None], real, cplx)


def eigen_text(e: Eigenvalue) -> str:
    """'−λ + √(λ² − 1) = −0.1 + 0.99499i'."""
    exact = to_text(e.exact)
    num = complex_text(e.re, e.im)
    return exact if exact == num else f"{exact} = {num}"
