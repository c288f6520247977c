"""The numeric verdict: the fate of one integrated trajectory.

The flow from a start is integrated to a horizon T and
classified from the envelope of r(t) = ‖(θ, φ)‖ (its maxima over 20 equal blocks of [0, T]):
converges (exponentially, with the fitted rate, or only algebraically, with the fitted power),
oscillates (bounded and persistent: amplitude, and the radius of the circle in the θ-plane
where ‖θ‖ settles), or diverges.  The thresholds are module constants, reported with the
verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..derivation.numeric import velocity
from ..dynamics.flow import Status, simulate
from ..dynamics.starts import default_start
from ..errors import InputError, check_memory
from ..games import Game
from .linear import EquilibriumAnalysis

__all__ = ["THRESHOLDS", "NumericVerdict", "numeric_verdict", "verdict_step_budget", "overflow_text"]

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
    method: str = "DOP853"
    max_steps: int | None = None      # the solver-step budget of the run; None: nothing was integrated

    @property
    def integrated(self) -> bool:
        """Whether a trajectory was integrated (not for a start at the equilibrium, nor on an overflow)."""
        return self.max_steps is not None

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
            "method": self.method,
            "max_steps": self.max_steps,
        }


VERDICT_STEPS_PER_TIME = 50
VERDICT_MIN_STEPS = 10_000
"""The numeric verdict's solver-step budget (a deterministic bound: the outcome never depends
on the machine's speed): ``max(VERDICT_MIN_STEPS, VERDICT_STEPS_PER_TIME · T)`` steps for a
horizon T, unless ``max_steps`` is given.  Every registered game and regulariser needs at most
3,000 steps from the default start at T = 200 (wgan, the costliest, needs 2,500–3,000); a flow that needs more (wgan
with l2 or consensus, which become stiff away from the equilibrium) ends as "undetermined:
budget" within seconds instead of running a general-purpose budget of 500,000 steps for
minutes.  The time per step is bounded for a given d, so the step budget bounds the time."""


def verdict_step_budget(horizon: float) -> int:
    """The default solver-step budget of a verdict over ``horizon`` (see above)."""
    return max(VERDICT_MIN_STEPS, math.ceil(VERDICT_STEPS_PER_TIME * horizon))


STIFF_RATIO = 1e3
"""J(0) is stiff over a horizon T when its fastest decay rate f = max(−Re μ) has f·T and
f / max(min |μ|, 1/T) both above this ratio: an explicit solver would need ≳ f·T steps to
follow a slow mode it could take in a few (gp0 with λ = 1000: f ≈ 2000, min |μ| ≈ 5e-4)."""


def solver_for(linear: EquilibriumAnalysis | None, horizon: float) -> str:
    """The integrator of the numeric verdict: ``Radau`` (implicit, with the derived Jacobian)
    when the linearisation at the equilibrium is stiff over ``horizon`` (:data:`STIFF_RATIO`),
    else ``DOP853``."""
    if linear is None or not linear.eigenvalues:
        return "DOP853"
    fast = max(-e.re for e in linear.eigenvalues)
    slow = max(min(abs(complex(e.re, e.im)) for e in linear.eigenvalues), 1.0 / horizon)
    return "Radau" if fast * horizon > STIFF_RATIO and fast / slow > STIFF_RATIO else "DOP853"


def overflow_text(linear: EquilibriumAnalysis | None) -> str:
    """Why the flow near the equilibrium cannot be integrated in floating point, or "": the
    entries of M (J(0) = M ⊗ I_d) or its eigenvalues exceed the float range (±1.8e308), as for
    gp0 at λ = 1.7e308 (2λ = inf).  The same overflow that eigenvalue sweeps and stability maps
    report (``SweepResult.n_overflow``)."""
    if linear is None or not linear.differentiable or linear.m_value is None:
        return ""
    with np.errstate(all="ignore"):
        entries = [float(x) for x in linear.m_value]
    bad = [z for z, _ in linear.numeric_eigenvalues if not np.isfinite(z)]
    bad += [complex(e.re, e.im) for e in linear.eigenvalues if not (math.isfinite(e.re) and math.isfinite(e.im))]
    if all(math.isfinite(x) for x in entries) and not bad:
        return ""
    what = "M's entries" if not all(math.isfinite(x) for x in entries) else "M's eigenvalues"
    return (f"{what} at the equilibrium exceed the float range (±1.8e308) for {linear.game.label()}, so no "
            f"floating-point integration can follow the flow; lower the parameter")


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
    """Integrate from (θ₀, φ₀) to ``horizon`` and classify the trajectory's fate.

    Parameters
    ----------
    game : Game
    theta0, phi0 : array_like, optional
        The start (default: Su's start θ = (0.2, 0.1), φ = (0.1, 0.2), padded to ``dim``).
    dim : int, optional
        Dimension d (default: from the start, else 2).
    horizon : float, optional
        End time (default 200).
    linear : EquilibriumAnalysis, optional
        From :func:`diracgan.analyse`: supplies the predicted rate and decides the kind of
        convergence for differentiable games (only exponential at an asymptotically stable
        equilibrium, only algebraic at a centre).
    rtol, atol : float
        Tolerances; ``atol`` defaults to 1e-12·‖z₀‖, so tiny starts are integrated as
        accurately as large ones.
    samples, max_steps : int
        Output samples and solver step budget.

    Returns
    -------
    NumericVerdict
        ``verdict`` (converges, oscillates, diverges, stalls, undetermined), ``message``,
        ``rate`` / ``power``, ``cycle_radius``, ``final_distance``.

    Examples
    --------
    >>> from diracgan import make_game, numeric_verdict
    >>> numeric_verdict(make_game("gp0"), dim=2).verdict
    'converges'
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
    method = solver_for(linear, horizon)
    common = dict(horizon=horizon, start_theta=tuple(theta0.tolist()), start_phi=tuple(phi0.tolist()), method=method)
    predicted = linear.rate if linear is not None else None
    if r0 == 0:
        # The equilibrium is a fixed point only where the field is defined (and zero) there.
        with np.errstate(all="ignore"):
            v = np.concatenate(velocity(game, theta0, phi0))
        if not np.all(np.isfinite(v)):
            where = f" ({game.name} is singular at {game.spec.singular})" if game.spec.singular else ""
            return NumericVerdict("undetermined", f"undetermined: the start is the equilibrium, where the field is "
                                  f"not defined{where}; start elsewhere with --theta/--phi", final_distance=0.0,
                                  predicted_rate=predicted, **common)
        return NumericVerdict("converges", "converges: the start is the equilibrium, a fixed point of the field",
                              final_distance=0.0, predicted_rate=predicted, **common)
    overflow = overflow_text(linear)
    if overflow:
        # Nothing to integrate in floating point: the implicit solver's Newton matrix would hold
        # ±inf (gp0 at λ = 1.7e308 has 2λ = inf in J(0)).
        return NumericVerdict("undetermined", f"undetermined: overflow: {overflow}", final_distance=r0,
                              predicted_rate=predicted, **common)
    n = 2 * theta0.size
    check_memory(8.0 * samples * n * 2, f"the numeric verdict's {samples} samples × {n} coordinates",
                 "give --no-numeric or a smaller --dim")
    budget = verdict_step_budget(horizon) if max_steps is None else max_steps
    run = simulate(game, theta0, phi0, t_max=horizon, samples=samples, rtol=rtol,
                   atol=atol if atol is not None else max(1e-12 * r0, 1e-300), method=method, max_steps=budget)
    t, z = run.run(0)
    r = np.linalg.norm(z, axis=1)
    d = run.dim
    common["final_distance"] = float(r[-1])
    common["max_steps"] = budget
    common["predicted_rate"] = predicted

    if run.status[0] == Status.DIVERGED:
        return NumericVerdict("diverges", f"diverges: {run.messages[0]}", **common)
    if run.status[0] != Status.FINISHED:
        message = run.messages[0]
        if run.status[0] == Status.FAILED and "budget" in message:
            return NumericVerdict(
                "undetermined", f"undetermined: budget: {method} cannot reach T = {horizon:g} within the verdict's "
                f"budget of {budget} solver steps (max_steps=) and stopped at t = {float(run.t_end[0]):.4g}; shorten "
                f"horizon= or raise max_steps= (the solver: {message})", **common)
        return NumericVerdict("undetermined", f"undetermined: {message}", **common)

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
    speed = float(np.linalg.norm(np.concatenate(velocity(game, z[-1, :d], z[-1, d:]))))
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
