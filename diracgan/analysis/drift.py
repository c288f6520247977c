"""The equilibrium analysis of the modified flow of discrete training (``diracgan eig --drift``).

The first-order modified field of simultaneous or alternating gradient descent with step h
and the players' rates α_d = lr_d/h, α_g = lr_g/h is derived in
:mod:`diracgan.derivation.drift`; like the game's own field its Jacobian at θ = φ = 0 is
J̃(0) = M̃ ⊗ I_d.  :func:`drift_analysis` gives M̃ (exact, in h; the rates and the game's
parameters substituted), its exact eigenvalues at the given h (each × d), a numeric check
(numpy's eigenvalues of the dense 2d × 2d modified Jacobian from the lambdified field, d ≤ 64)
and the linear verdict of the modified flow, beside the game's own analysis
(:func:`diracgan.analysis.linear.analyse`).  Renderings: :meth:`DriftAnalysis.text`,
:meth:`DriftAnalysis.as_dict` (the ``drift`` member of ``eig --json``),
:meth:`DriftAnalysis.latex_rows`.

Example (bilinear game, equal steps): simultaneous M̃ = [[h/2, 1], [−1, h/2]] with
eigenvalues h/2 ± i (the drift is why simultaneous GD spirals out); alternating
M̃ = [[−h/2, 1], [−1, h/2]] with ±i√(1 − h²/4) (closed orbits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..derivation.drift import ALPHA_D, ALPHA_G, H, DriftScheme, drift_derivation, drift_field, drift_matrix
from ..derivation.symbolic import exact_number, to_latex, to_text
from ..errors import InputError
from ..games import Game
from .linear import DENSE_CHECK_MAX_DIM, Eigenvalue, _eigenvalues, _n, _numeric_clusters, complex_text, eigen_text

__all__ = ["DriftAnalysis", "drift_analysis"]


@dataclass(frozen=True, eq=False)
class DriftAnalysis:
    """The modified flow's linear analysis at the equilibrium (module doc)."""

    game: Game
    scheme: DriftScheme
    h: float
    alpha_d: float
    alpha_g: float
    dim: int
    field: tuple[sp.Expr, sp.Expr] | None         # (G_θθ θ + G_θφ φ, G_φθ θ + G_φφ φ) as text-ready pairs
    m_symbolic: sp.Matrix | None                  # M̃ in h (rates and game parameters substituted)
    m_value: sp.Matrix | None                     # M̃ at this h
    eigenvalues: tuple[Eigenvalue, ...]
    numeric_eigenvalues: tuple[tuple[complex, int], ...]
    max_re: float | None

    @property
    def verdict(self) -> str:
        if self.max_re is None:
            return "not differentiable"
        if self.max_re < -1e-14:
            return "asymptotically stable"
        if self.max_re > 1e-14:
            return "unstable"
        return "centre" if all(abs(e.im) > 0 for e in self.eigenvalues) else "marginal"

    def verdict_text(self) -> str:
        v = self.verdict
        if v == "not differentiable":
            return "none: the modified field is not differentiable at the equilibrium"
        if v == "unstable":
            return (f"unstable: Re μ̃ = {self.max_re:.6g} > 0, the modified flow (and so, to first order in h, "
                    f"the iterates) spirals away from the equilibrium")
        if v == "asymptotically stable":
            return f"asymptotically stable: every Re μ̃ ≤ {self.max_re:.6g} < 0, the iterates spiral in"
        if v == "centre":
            return "centre: every μ̃ is purely imaginary, the modified flow has closed orbits (neither in nor out)"
        return "marginal: the largest real part is 0"

    def describe(self) -> str:
        rates = "" if self.alpha_d == self.alpha_g == 1 else f", lr_d {self.alpha_d * self.h:g}, lr_g {self.alpha_g * self.h:g}"
        return f"{self.scheme.describe()} gradient descent, h = {self.h:g}{rates}"

    # -- renderings ---------------------------------------------------------------------
    def text(self) -> str:
        lines = [f"discretisation drift (Rosca et al. 2021, first order in h) of {self.describe()}:"]
        if self.field is not None:
            lines += [f"modified field:   θ̇ = {self.field[0]}", f"                  φ̇ = {self.field[1]}"]
        if self.m_symbolic is None:
            lines.append("the modified field is not differentiable at the equilibrium: no J̃(0)")
            return "\n".join(lines)
        lines.append(f"J̃(0) = M̃ ⊗ I_{self.dim}, M̃ = {_bracket(self.m_symbolic)}")
        if self.m_value != self.m_symbolic:
            lines.append(f"         at h = {self.h:g}: M̃ = {_bracket(self.m_value)}")
        lines.append("eigenvalues of J̃(0):")
        for e in self.eigenvalues:
            lines.append(f"         μ̃ = {eigen_text(e)}   ×{e.multiplicity}")
        num = ", ".join(f"{complex_text(z.real, z.imag)} ×{m}" for z, m in self.numeric_eigenvalues)
        lines.append(f"  numeric check (numpy.linalg.eigvals of the modified field's Jacobian): {num}")
        lines.append("modified-flow verdict: " + self.verdict_text())
        return "\n".join(lines)

    def as_dict(self) -> dict:
        doc = {"scheme": self.scheme.mode, "order": self.scheme.order, "n_critic": self.scheme.n_critic,
               "n_gen": self.scheme.n_gen, "h": self.h, "lr_d": self.alpha_d * self.h, "lr_g": self.alpha_g * self.h,
               "reference": "Rosca et al. 2021, Discretization Drift in Two-Player Games (first order in h)",
               "field": None if self.field is None else {"theta_dot": self.field[0], "phi_dot": self.field[1]},
               "jacobian": None, "eigenvalues": [], "numeric_eigenvalues": [],
               "verdict": {"verdict": self.verdict, "max_re": self.max_re, "text": self.verdict_text()}}
        if self.m_symbolic is not None:
            doc["jacobian"] = {"structure": "J̃(0) = M̃ ⊗ I_d, state order (θ, φ)",
                               "M": [[to_text(x) for x in row] for row in self.m_symbolic.tolist()],
                               "M_value": [[to_text(x) for x in row] for row in self.m_value.tolist()],
                               "M_numeric": [[float(x) for x in row] for row in self.m_value.evalf().tolist()]}
            doc["eigenvalues"] = [{"re": e.re, "im": e.im, "multiplicity": e.multiplicity, "exact": to_text(e.exact),
                                   "value": to_text(e.value)} for e in self.eigenvalues]
            doc["numeric_eigenvalues"] = [{"re": z.real, "im": z.imag, "multiplicity": m}
                                          for z, m in self.numeric_eigenvalues]
        return doc

    def latex_rows(self) -> list[str]:
        """Rows for the ``align*`` block of ``eig --latex``."""
        if self.m_symbolic is None:
            return []
        body = r" \\ ".join(" & ".join(to_latex(self.m_symbolic[i, j]) for j in range(2)) for i in range(2))
        mus = r",\quad ".join(rf"{to_latex(e.exact)}\ (\times {e.multiplicity})" for e in self.eigenvalues)
        return [rf"\tilde J(0) &= \begin{{pmatrix}} {body} \end{{pmatrix}} \otimes I_{{{self.dim}}}"
                rf" \quad \text{{({self.scheme.describe().replace('_', chr(92) + '_')}, $h = {self.h:g}$)}}",
                rf"\tilde\mu &\in \{{ {mus} \}}"]


def _bracket(m: sp.Matrix) -> str:
    return "[" + ", ".join("[" + ", ".join(to_text(x) for x in m.row(i)) + "]" for i in range(m.rows)) + "]"


def drift_analysis(game: Game, scheme: DriftScheme, h: float, alpha_d: float = 1.0, alpha_g: float = 1.0,
                   dim: int = 2) -> DriftAnalysis:
    """The modified flow's analysis at θ = φ = 0 (module doc)."""
    if int(dim) != dim or dim < 1:
        raise InputError(f"dim must be a whole number ≥ 1, got {dim!r}")
    if game.spec.discrete_only:
        raise InputError(f"{game.name} is defined only in discrete time (a projection step): its drift is not "
                         f"derived; use gp0 with lam 0 for the bilinear game")
    dim = int(dim)
    der = drift_derivation(game.spec, scheme)
    values = {s: exact_number(v) for s, (_, v) in zip(der.params, game.values)}
    rates = {ALPHA_D: exact_number(alpha_d), ALPHA_G: exact_number(alpha_g)}
    sub = {**values, **rates}
    coeffs = der.coefficients
    field = None
    try:
        g = {v: {u: sp.factor_terms(coeffs[v][u].subs(sub)) for u in ("theta", "phi")} for v in ("theta", "phi")}
        field = tuple(_combination(g[v]["theta"], g[v]["phi"]) for v in ("theta", "phi"))
    except (TypeError, ValueError):   # pragma: no cover - display only
        pass
    m_sym = drift_matrix(game.spec, scheme, sub)
    if m_sym is None:
        return DriftAnalysis(game, scheme, float(h), float(alpha_d), float(alpha_g), dim, field, None, None, (), (),
                             None)
    m_val = sp.simplify(m_sym.subs(H, exact_number(h)))
    eigs = _eigenvalues(m_sym, {H: exact_number(h)}, dim)
    max_re = max(_n(sp.re(e.value)).real for e in eigs)
    vf = drift_field(game.spec, scheme)
    params = game.param_values() + (float(h), float(alpha_d), float(alpha_g))
    d_dense = dim if dim <= DENSE_CHECK_MAX_DIM else 1
    jac = vf.jacobian(np.zeros(d_dense), np.zeros(d_dense), params)
    if np.all(np.isfinite(jac)):
        numeric = _numeric_clusters(np.linalg.eigvals(jac))
        if d_dense != dim:
            numeric = tuple((z, m * dim) for z, m in numeric)
    else:
        numeric = _numeric_clusters(np.repeat(np.linalg.eigvals(np.array(m_val.evalf(), dtype=float)), dim))
    return DriftAnalysis(game, scheme, float(h), float(alpha_d), float(alpha_g), dim, field, m_sym, m_val, eigs,
                         numeric, max_re)


def _combination(c_theta, c_phi) -> str:
    """"c₁·θ + c₂·φ" for display (terms with a zero coefficient dropped, ±1 written as a sign)."""
    parts = []
    for c, name in ((sp.sympify(c_theta), "θ"), (sp.sympify(c_phi), "φ")):
        if c == 0:
            continue
        neg = c.could_extract_minus_sign()
        mag = -c if neg else c
        text = name if mag == 1 else (f"({to_text(mag)})·{name}" if mag.is_Add else f"{to_text(mag)}·{name}")
        parts.append(("- " if neg else "+ ") + text)
    if not parts:
        return "0"
    out = " ".join(parts)
    return out[2:] if out.startswith("+ ") else "-" + out[2:]
