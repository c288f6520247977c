"""Equilibrium analysis: why a game oscillates or converges.

Two verdicts for every game, at the equilibrium θ = φ = 0:

**Linear** (:func:`analyse`).  Every Jacobian block is c·I + Σ k·u wᵀ (see
:mod:`diracgan.symbolic`); at θ = φ = 0 the outer products vanish, so

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

**Numeric** (:func:`numeric_verdict`).  The flow from a start is integrated to a horizon T and
classified from the envelope of r(t) = ‖(θ, φ)‖ (its maxima over 20 equal blocks of [0, T]):
converges (exponentially, with the fitted rate, or only algebraically, with the fitted power),
oscillates (bounded and persistent: amplitude, and the radius of the circle in the θ-plane
where ‖θ‖ settles), or diverges.  The thresholds are module constants, reported with the
verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import sympy as sp

from .games import Game, InputError
from .integrate import Status, simulate
from .starts import default_start
from .symbolic import INVARIANTS, STATE_BLOCKS, derive, exact_number, field_coefficients, jacobian_blocks, to_text

__all__ = [
    "Eigenvalue",
    "EquilibriumAnalysis",
    "NumericVerdict",
    "analyse",
    "numeric_verdict",
    "eigenvalue_sweep",
    "equilibrium_matrices",
    "eigenvalues_2x2",
    "SweepResult",
    "parse_sweep",
    "THRESHOLDS",
]

P, A, B = INVARIANTS
_R = sp.Symbol("r", positive=True)
_ALPHA = sp.Symbol("alpha", positive=True)
_BETA = sp.Symbol("beta", positive=True)
_XI = sp.Symbol("xi", real=True)
_RAYS = ((1, 1), (2, 1), (1, 2))   # θ ∝ r^m, φ ∝ r^n
_SETS = (("θ = 0", {A: 0, P: 0}), ("φ = 0", {B: 0, P: 0}), ("θ = φ = 0", {A: 0, B: 0, P: 0}))

#: Numeric-verdict thresholds (documented in the README; reported with every verdict).
THRESHOLDS = {
    "horizon": 200.0,          # default T
    "blocks": 20,              # envelope: max of ‖z‖ over this many equal blocks of [0, T]
    "converged": 1e-9,         # ‖z(T)‖ / max(‖z(0)‖, 1e-3) below this: converged
    "decay_power": -0.1,       # late envelope ∝ t^s with s below this: decaying
    "growth_power": 0.1,       # … above this: growing (diverges, unless it is levelling off:)
    "growth_ratio": 0.97,      # successive envelope increments shrinking by this factor or less
    "growth_factor": 100.0,    # or ‖z‖ above this × ‖z(0)‖: diverges
    "exp_ratio": 0.75,         # local decay rates on [T/4, T/2] vs [T/2, T]: ratio ≥ this → exponential
    "circle_rel_std": 0.01,    # ‖θ‖ over the last quarter with relative std below this: a circle
    "settling_ratio": 0.8,     # … or that spread below this × the third quarter's: approaching one
    "min_decays": 10.0,        # a predicted decay e^(−κT) with κT below this is too slow to judge
    "stall_speed": 1e-6,       # ‖field(z_T)‖ below this × ‖z_T‖: the run has come to rest
}

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

    @property
    def rate(self) -> float | None:
        """Exponential rate −max Re μ of an asymptotically stable equilibrium."""
        return -self.max_re if self.verdict == "asymptotically stable" else None

    def verdict_text(self) -> str:
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
    return f"{_complex_text(e.re, e.im)} (×{e.multiplicity})"


def _complex_text(re: float, im: float, digits: int = 6) -> str:
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


def _coefficient_exprs(coeffs: dict) -> list[sp.Expr]:
    blocks = jacobian_blocks(coeffs)
    out = [coeffs[v][u] for v in STATE_BLOCKS for u in STATE_BLOCKS]
    for v in STATE_BLOCKS:
        for x in STATE_BLOCKS:
            out.append(blocks[v][x].identity)
            out.extend(k for row in blocks[v][x].outer for k in row)
    return out


def _singular_sets(exprs) -> tuple[str, ...]:
    """Which of θ = 0, φ = 0, the origin make some coefficient infinite or undefined."""
    found = []
    for name, sub in _SETS:
        if any(not _finite(e.subs(sub)) for e in exprs):
            found.append(name)
    return tuple(found)


def _m_matrix(blocks: dict, sub: dict) -> sp.Matrix:
    return sp.Matrix([[sp.simplify(blocks[v][x].identity.subs(sub)) for x in STATE_BLOCKS] for v in STATE_BLOCKS])


def _ray_limit(blocks: dict) -> sp.Matrix | None:
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
            if abs(z - np.mean(g)) < tol:
                g.append(z)
                break
        else:
            groups.append([z])
    return tuple((complex(np.mean(g)), len(g)) for g in groups)


def _exact_values(game: Game, der) -> dict:
    return {s: exact_number(v) for s, (_, v) in zip(der.params, game.values)}


def _n(expr) -> complex:
    """A complex number from an exact expression, with enough working precision for the
    cancellation in e.g. −λ + √(λ² − 1) at λ = 1e300."""
    return complex(sp.N(expr, 30, maxn=4000))


def _culprits(der, values: dict) -> tuple[tuple[str, str, str], ...]:
    """The additive terms of L_D and L_G whose derived coefficients are singular."""
    found = []
    for loss_name, loss in (("L_D", der.loss_d), ("L_G", der.loss_g)):
        for term in sp.Add.make_args(loss):
            value = term.subs(values)
            if loss_name == "L_D":
                exprs = _coefficient_exprs(field_coefficients(value, sp.S.Zero))
            else:
                exprs = _coefficient_exprs(field_coefficients(sp.S.Zero, value))
            sets = _singular_sets(exprs)
            if sets:
                found.append((loss_name, to_text(term), ", ".join(s for s in sets if s != "θ = φ = 0") or sets[0]))
    return tuple(found)


def analyse(game: Game, dim: int = 2) -> EquilibriumAnalysis:
    """The linear analysis of ``game`` at θ = φ = 0 in dimension ``dim`` (see module doc)."""
    if int(dim) != dim or dim < 1:
        raise InputError(f"dim must be a whole number ≥ 1, got {dim!r}")
    return _analyse(game, int(dim))


@lru_cache(maxsize=256)
def _analyse(game: Game, dim: int) -> EquilibriumAnalysis:
    der = derive(game.spec)
    values = _exact_values(game, der)
    coeffs_val = {v: {u: e.subs(values) for u, e in row.items()} for v, row in der.coefficients.items()}
    exprs_val = _coefficient_exprs(coeffs_val)
    singular = _singular_sets(exprs_val)
    origin = {P: 0, A: 0, B: 0}
    if singular:
        blocks_val = jacobian_blocks(coeffs_val)
        limit = _ray_limit(blocks_val)
        limit_eigs = _eigenvalues(limit, {}, dim) if limit is not None else ()
        return EquilibriumAnalysis(game, dim, False, singular, _culprits(der, values), None, None, (),
                                   limit, limit_eigs)

    generic_ok = not _singular_sets(_coefficient_exprs(der.coefficients))
    m_sym = _m_matrix(der.jacobian, origin) if generic_ok else _m_matrix(jacobian_blocks(coeffs_val), origin)
    eigs = _eigenvalues(m_sym, values if generic_ok else {}, dim)
    m_val = sp.simplify(m_sym.subs(values))

    # The same eigenvalues, numerically, from the full 2d × 2d Jacobian at the equilibrium (the
    # lambdified one; a preset value that removes a singularity, like gp's c = 0, only shows in
    # the exact M, so there J(0) is assembled from it).
    jac = game.jacobian(np.zeros(dim), np.zeros(dim)) if generic_ok else None
    if jac is None or not np.all(np.isfinite(jac)):
        jac = np.kron(np.array(m_val.evalf(), dtype=float), np.eye(dim))
    numeric = _numeric_clusters(np.linalg.eigvals(jac))

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
    return EquilibriumAnalysis(game, dim, True, (), (), m_sym, m_val, eigs, None, (), numeric, max_re, verdict)


# ---------------------------------------------------------------------------------------
# Numeric verdict
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NumericVerdict:
    """The fate of one trajectory over a finite horizon (see module doc).

    ``verdict`` is ``converges``, ``oscillates`` (at least one full turn over the last quarter),
    ``diverges``, ``stalls`` (comes to rest away from the equilibrium) or ``undetermined`` (the
    run stopped at a singular point or the solver failed, or the horizon is too short to tell).  ``mode`` for convergence is
    ``exponential`` (``rate``: fitted decay rate of ‖(θ, φ)‖) or ``algebraic`` (``power``:
    the fitted exponent s of ‖(θ, φ)‖ ∝ t^s).  For oscillations, ``amplitude`` is the largest
    ‖θ‖ over the last quarter of the horizon and ``cycle_radius`` the radius of the circle
    in the θ-plane when ‖θ‖ settles (d ≥ 2), else None.
    """

    verdict: str
    message: str
    horizon: float
    start_theta: tuple[float, ...]
    start_phi: tuple[float, ...]
    final_distance: float
    mode: str | None = None
    rate: float | None = None
    power: float | None = None
    predicted_rate: float | None = None
    amplitude: float | None = None
    cycle_radius: float | None = None
    thresholds: dict = field(default_factory=lambda: dict(THRESHOLDS))

    def as_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "message": self.message,
            "mode": self.mode,
            "rate": self.rate,
            "power": self.power,
            "predicted_rate": self.predicted_rate,
            "amplitude": self.amplitude,
            "cycle_radius": self.cycle_radius,
            "final_distance": self.final_distance,
            "horizon": self.horizon,
            "start": {"theta": list(self.start_theta), "phi": list(self.start_phi)},
            "thresholds": self.thresholds,
        }


def _fit(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of y against x."""
    x = x - x.mean()
    return float(np.dot(x, y - y.mean()) / np.dot(x, x))


def _sign_changes(x: np.ndarray) -> int:
    """Largest number of sign changes of any coordinate of ``x`` (samples along axis 0)."""
    s = np.sign(x)
    return int(np.max(np.sum((s[1:] * s[:-1]) < 0, axis=0))) if len(x) > 1 else 0


def numeric_verdict(game: Game, theta0=None, phi0=None, *, dim: int | None = None, horizon: float | None = None,
                    linear: EquilibriumAnalysis | None = None, rtol: float = 1e-8, atol: float | None = None,
                    samples: int = 4001, max_steps: int | None = None) -> NumericVerdict:
    """Integrate from (θ₀, φ₀) (default: the seed's start) to ``horizon`` and classify.

    ``linear`` (optional) supplies the predicted rate and decides the kind of convergence for
    differentiable games: convergence can only be exponential at an asymptotically stable
    equilibrium and only algebraic at a centre.  ``atol`` defaults to 1e-12·‖z₀‖, so tiny
    starts are integrated as accurately as large ones.
    """
    horizon = THRESHOLDS["horizon"] if horizon is None else float(horizon)
    if not (math.isfinite(horizon) and horizon > 0):
        raise InputError(f"horizon must be a finite number > 0, got {horizon!r}")
    if theta0 is None or phi0 is None:
        d0 = dim or (len(np.atleast_1d(theta0)) if theta0 is not None else 2)
        dt, dp = default_start(d0)
        theta0 = dt if theta0 is None else theta0
        phi0 = dp if phi0 is None else phi0
    theta0 = np.asarray(theta0, dtype=float)
    phi0 = np.asarray(phi0, dtype=float)
    r0 = float(np.sqrt(np.sum(theta0**2) + np.sum(phi0**2)))
    common = dict(horizon=horizon, start_theta=tuple(theta0.tolist()), start_phi=tuple(phi0.tolist()))
    predicted = linear.rate if linear is not None else None
    if r0 == 0:
        return NumericVerdict("converges", "converges: the start is the equilibrium", final_distance=0.0,
                              predicted_rate=predicted, **common)
    extra = {} if max_steps is None else {"max_steps": max_steps}
    run = simulate(game, theta0, phi0, t_max=horizon, samples=samples, rtol=rtol,
                   atol=atol if atol is not None else max(1e-12 * r0, 1e-300), **extra)
    t, z = run.run(0)
    r = np.linalg.norm(z, axis=1)
    d = run.dim
    common["final_distance"] = float(r[-1])
    common["predicted_rate"] = predicted

    if run.status[0] == Status.DIVERGED:
        return NumericVerdict("diverges", f"diverges: {run.messages[0]}", **common)
    if run.status[0] != Status.FINISHED:
        return NumericVerdict("undetermined", f"undetermined: {run.messages[0]}", **common)

    # Envelope: max ‖z‖ over equal blocks; fits over the late half (above the noise floor).
    k = THRESHOLDS["blocks"]
    edges = np.linspace(0, horizon, k + 1)
    idx = np.clip(np.searchsorted(t, edges), 0, len(t))
    env = np.array([r[idx[i]:max(idx[i + 1], idx[i] + 1)].max() for i in range(k)])
    tc = 0.5 * (edges[:-1] + edges[1:])
    floor = THRESHOLDS["converged"] * r0

    if r[-1] < floor or env[-1] < 100 * floor:
        # Fit the rate on the samples between 1e-2·r0 and 1e3·floor (clear of the start's
        # transient and of the tolerance floor).
        sel = (r < 1e-2 * r0) & (r > 1e3 * floor)
        if sel.sum() < 10:
            sel = (r > 100 * floor) & (t > 0)
        rate = -_fit(t[sel], np.log(r[sel])) if sel.sum() >= 3 else None
        msg = f"converges: ‖(θ, φ)‖ fell from {r[0]:.3g} to {r[-1]:.3g} by t = {horizon:g}"
        if rate is not None:
            msg += f", exponentially at rate {rate:.4g}"
            if predicted is not None:
                msg += f" (linearisation predicts {predicted:.4g})"
        return NumericVerdict("converges", msg, mode="exponential", rate=rate, **common)

    late = tc >= horizon / 2
    power = _fit(np.log(tc[late]), np.log(env[late]))
    if env[-1] > THRESHOLDS["growth_factor"] * r0:
        return NumericVerdict("diverges", f"diverges: ‖(θ, φ)‖ grew from {r[0]:.3g} to {r[-1]:.3g} by t = {horizon:g}",
                              power=power, **common)
    if power > THRESHOLDS["growth_power"]:
        # Growing: unbounded, or on the way to a cycle?  Successive increments of the envelope
        # that shrink geometrically (ratio q < growth_ratio) point to a bounded limit.
        inc = np.diff(env[late])
        ratios = inc[1:] / inc[:-1]
        ratios = ratios[(inc[1:] > 0) & (inc[:-1] > 0)]
        if len(ratios) >= 3 and np.median(ratios) < THRESHOLDS["growth_ratio"]:
            q = float(np.median(ratios))
            limit = env[-1] + inc[-1] * q / (1 - q)
            return NumericVerdict(
                "undetermined",
                f"undetermined: ‖(θ, φ)‖ still grows (t^{power:.2f}) but its increments shrink geometrically "
                f"(×{q:.2f} per {horizon / k:g} time units, towards ≈ {limit:.3g}), as on the way to a cycle; "
                f"rerun with a longer --horizon", power=power, **common)
        return NumericVerdict("diverges", f"diverges: ‖(θ, φ)‖ grows like t^{power:.2f} "
                              f"(from {r[0]:.3g} to {r[-1]:.3g} by t = {horizon:g})", power=power, **common)
    if power < THRESHOLDS["decay_power"]:
        mid = (tc >= horizon / 4) & (tc < horizon / 2)
        rate_mid = -_fit(tc[mid], np.log(env[mid]))
        rate_late = -_fit(tc[late], np.log(env[late]))
        if linear is not None and linear.differentiable:
            exponential = linear.verdict == "asymptotically stable"
        else:
            exponential = rate_mid > 0 and rate_late / rate_mid >= THRESHOLDS["exp_ratio"]
        if exponential:
            msg = f"converges exponentially at rate {rate_late:.4g} (‖(θ, φ)‖ = {r[-1]:.3g} at t = {horizon:g})"
            if predicted is not None:
                msg += f"; linearisation predicts {predicted:.4g}"
            return NumericVerdict("converges", msg, mode="exponential", rate=rate_late, power=power, **common)
        return NumericVerdict(
            "converges",
            f"converges only algebraically: ‖(θ, φ)‖ ~ t^{power:.2f} over [{horizon / 2:g}, {horizon:g}] "
            f"(‖(θ, φ)‖ = {r[-1]:.3g} at t = {horizon:g}), no exponential rate",
            mode="algebraic", power=power, **common)
    if predicted is not None and predicted * horizon < THRESHOLDS["min_decays"]:
        return NumericVerdict(
            "undetermined",
            f"undetermined: the linearisation predicts decay like e^(−{predicted:.3g} t), too slow to show over "
            f"T = {horizon:g}; rerun with --horizon ≥ {THRESHOLDS['min_decays'] / predicted:.3g}", power=power,
            **common)

    tail = t >= 0.75 * horizon
    speed = float(np.linalg.norm(np.concatenate(game.velocity(z[-1, :d], z[-1, d:]))))
    if speed < THRESHOLDS["stall_speed"] * r[-1]:
        return NumericVerdict(
            "stalls",
            f"stalls: comes to rest at ‖(θ, φ)‖ = {r[-1]:.4g}, away from the equilibrium (the field's speed there "
            f"is {speed:.2g}, e.g. a saturated sigmoid)", power=power, **common)
    turns = _sign_changes(z[tail]) / 2
    if turns < 1:
        return NumericVerdict(
            "undetermined",
            f"undetermined: bounded, but no full oscillation over the last quarter of T = {horizon:g} "
            f"({turns:g} turn); rerun with a longer --horizon", power=power, **common)

    # Bounded and persistent: an oscillation.  A circle in the θ-plane if ‖θ‖ settles; "approaching
    # a circle" if its relative spread still shrinks markedly from the third to the last quarter.
    third = (t >= 0.5 * horizon) & ~tail
    r_theta = np.linalg.norm(z[tail, :d], axis=1)
    r_theta_3 = np.linalg.norm(z[third, :d], axis=1)
    amplitude = float(r_theta.max())
    rel_std = float(r_theta.std() / max(r_theta.mean(), 1e-300))
    rel_std_3 = float(r_theta_3.std() / max(r_theta_3.mean(), 1e-300))
    span = f"[{0.75 * horizon:g}, {horizon:g}]"
    radius = None
    if d >= 2 and rel_std < THRESHOLDS["circle_rel_std"]:
        radius = float(r_theta.mean())
        msg = (f"oscillates: settles on a circle of radius {radius:.4g} in the θ-plane "
               f"(‖θ‖ varies by {100 * rel_std:.2g}% over {span}, {turns:g} turns)")
    elif d >= 2 and rel_std < THRESHOLDS["settling_ratio"] * rel_std_3:
        radius = float(r_theta.mean())
        msg = (f"oscillates: approaching a circle of radius ≈ {radius:.4g} in the θ-plane (the spread of ‖θ‖ "
               f"shrank from {100 * rel_std_3:.2g}% to {100 * rel_std:.2g}% between the last two quarters; "
               f"a longer horizon settles it)")
    else:
        msg = (f"oscillates: bounded and persistent, ‖θ‖ up to {amplitude:.4g} and ‖(θ, φ)‖ ≈ {r[tail].mean():.4g} "
               f"over {span} ({turns:g} turns; envelope ~ t^{power:.2f})")
    return NumericVerdict("oscillates", msg, power=power, amplitude=amplitude, cycle_radius=radius, **common)


# ---------------------------------------------------------------------------------------
# Sweeps
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SweepResult:
    """Eigenvalues of M (each ×d in J) along a parameter sweep.

    ``values`` (K,), ``eigenvalues`` (K, 2) complex sorted by (Re, Im), ``valid`` (K,) False
    where the field is not differentiable at the equilibrium (no eigenvalues there).
    """

    game: Game
    name: str
    values: np.ndarray
    eigenvalues: np.ndarray
    valid: np.ndarray

    @property
    def max_re(self) -> np.ndarray:
        return np.where(self.valid, self.eigenvalues.real.max(axis=1), np.nan)

    def crossings(self) -> list[float]:
        """Parameter values where max Re μ changes sign (the stability boundary), interpolated."""
        m = self.max_re
        out = []
        for i in range(len(m) - 1):
            if self.valid[i] and self.valid[i + 1] and np.sign(m[i]) != np.sign(m[i + 1]) and m[i] != m[i + 1]:
                out.append(float(self.values[i] - m[i] * (self.values[i + 1] - self.values[i]) / (m[i + 1] - m[i])))
        return out


def parse_sweep(text: str) -> tuple[str, np.ndarray]:
    """``'lam=0:3:61'`` → ('lam', 61 evenly spaced values from 0 to 3)."""
    try:
        name, rng = text.split("=", 1)
        start, stop, count = rng.split(":")
        start, stop, count = float(start), float(stop), int(count)
    except ValueError:
        raise InputError(f"sweep must look like NAME=START:STOP:COUNT (e.g. lam=0:3:61), got {text!r}") from None
    if not (math.isfinite(start) and math.isfinite(stop)) or count < 2:
        raise InputError(f"sweep needs finite START, STOP and COUNT ≥ 2, got {text!r}")
    if count > 100_000:
        raise InputError(f"sweep COUNT must be ≤ 100000, got {count}")
    return name.strip(), np.linspace(start, stop, count)


@lru_cache(maxsize=None)
def _spec_structure(spec):
    """Per spec, once: the coefficient expressions, which of them are singular for generic
    parameters, and M's entries (identity coefficients, to be taken at the origin)."""
    der = derive(spec)
    exprs = _coefficient_exprs(der.coefficients)
    singular = tuple(i for i, e in enumerate(exprs) if _singular_sets([e]))
    m_exprs = tuple(der.jacobian[v][x].identity for v in STATE_BLOCKS for x in STATE_BLOCKS)
    return der, exprs, singular, m_exprs


@lru_cache(maxsize=65536)
def _m_at(spec, values: tuple) -> tuple | None:
    """M's entries (row-major) at these exact parameter values, or None where the field is not
    C¹ near the equilibrium for them (only the generically singular coefficients need a look)."""
    der, exprs, singular, m_exprs = _spec_structure(spec)
    sub = {sym: exact_number(v) for sym, v in zip(der.params, values)}
    if _singular_sets([exprs[i].subs(sub) for i in singular]):
        return None
    origin = {P: 0, A: 0, B: 0}
    return tuple(_n(e.subs(sub).subs(origin)).real for e in m_exprs)


def equilibrium_matrices(game: Game, overrides: dict | None = None, shape: tuple = ()) -> np.ndarray:
    """M (shape + (2, 2)) at the equilibrium for parameter values that may be arrays of
    ``shape`` (``overrides`` by name; the game's values otherwise).  NaN where the field is not
    C¹ near the equilibrium.  Games that are C¹ for every parameter value take one vectorised
    call of the lambdified Jacobian; the others are decided per distinct parameter value,
    exactly (gp is C¹ only at c = 0)."""
    overrides = overrides or {}
    args = [np.broadcast_to(np.asarray(overrides.get(k, v), dtype=float), shape) for k, v in game.values]
    m = np.empty(shape + (2, 2))
    _, _, singular, _ = _spec_structure(game.spec)
    if not singular:
        with np.errstate(all="ignore"):
            c = game.field._jacobian(0.0, 0.0, 0.0, *args)
        for i in range(2):
            for j in range(2):
                m[..., i, j] = np.broadcast_to(np.asarray(c[5 * (2 * i + j)], dtype=float), shape)
        return np.where(np.isfinite(m).all(axis=(-1, -2), keepdims=True), m, np.nan)
    flat = np.stack([a.reshape(-1) for a in args], axis=1) if args else np.zeros((int(np.prod(shape)), 0))
    out = np.full((len(flat), 4), np.nan)
    combos, inverse = np.unique(flat, axis=0, return_inverse=True)
    for n, combo in enumerate(combos):
        entries = _m_at(game.spec, tuple(float(x) for x in combo))
        if entries is not None:
            out[inverse.reshape(-1) == n] = entries
    return out.reshape(shape + (2, 2))


def eigenvalues_2x2(m: np.ndarray) -> np.ndarray:
    """Eigenvalues of real 2×2 matrices (…, 2, 2), sorted by (Re, Im), computed stably: for
    real pairs the small root is det/(large root), so λ = 1e9 in gp0 keeps −1/(2λ)."""
    tr = m[..., 0, 0] + m[..., 1, 1]
    det = m[..., 0, 0] * m[..., 1, 1] - m[..., 0, 1] * m[..., 1, 0]
    half = tr / 2
    disc = half * half - det
    with np.errstate(all="ignore"):
        root = np.sqrt(np.abs(disc))
        big = half + np.where(half >= 0, root, -root)
        small = np.where(big != 0, det / big, 0.0)
        real = np.stack([np.minimum(big, small), np.maximum(big, small)], axis=-1).astype(complex)
        cplx = np.stack([half - 1j * root, half + 1j * root], axis=-1)
    return np.where((disc >= 0)[..., None], real, cplx)


def eigenvalue_sweep(game: Game, name: str, values) -> SweepResult:
    """Eigenvalues of the equilibrium's M as parameter ``name`` runs over ``values`` (one
    batched evaluation; see :func:`equilibrium_matrices`)."""
    spec = game.spec
    if name not in spec.param_names:
        have = ", ".join(spec.param_names) or "none"
        raise InputError(f"{game.name} has no parameter {name!r} to sweep (its parameters: {have})")
    values = np.asarray(values, dtype=float)
    for v in (values.min(), values.max()):
        spec.param(name).check(float(v), game.name)
    m = equilibrium_matrices(game, {name: values}, shape=values.shape)
    eig = eigenvalues_2x2(m)
    valid = np.isfinite(eig).all(axis=1)
    return SweepResult(game, name, values, eig, valid)


def eigen_text(e: Eigenvalue) -> str:
    """'−λ + √(λ² − 1) = −0.1 + 0.99499i'."""
    exact = to_text(e.exact)
    num = _complex_text(e.re, e.im)
    return exact if exact == num else f"{exact} = {num}"


__all__ += ["eigen_text"]
