"""Symbolic derivation: vector field and Jacobian of a game, from its two losses.

Every Dirac-GAN loss is a function of the invariants p = θ·φ, a = ‖θ‖², b = ‖φ‖² (see
:mod:`diracgan.games`).  By the chain rule, with ∇_θ p = φ, ∇_φ p = θ, ∇_θ a = 2θ,
∇_φ b = 2φ,

    θ' = −∇_θ L_G = g_θθ θ + g_θφ φ,   g_θθ = −2 ∂L_G/∂a,  g_θφ = −∂L_G/∂p,
    φ' = −∇_φ L_D = g_φθ θ + g_φφ φ,   g_φθ = −∂L_D/∂p,    g_φφ = −2 ∂L_D/∂b,

four scalar coefficients that sympy derives from the losses.  Differentiating once more,
each d×d block of the Jacobian ∂(θ', φ')/∂(θ, φ) is

    ∂v/∂x = (Σ_u g_u [u = x]) I + Σ_u u (∂_p g_u · x̄ + 2 ∂_{|x|²} g_u · x)ᵀ,

(v ∈ {θ', φ'}, u and x ∈ {θ, φ}, x̄ the other vector), i.e. a multiple of the identity plus
four outer products θθᵀ, θφᵀ, φθᵀ, φφᵀ with scalar coefficients, again derived by sympy.
Nothing here is specific to a game, and nothing grows with d: the field and Jacobian of a
d-dimensional game cost O(d) and O(d²) flops respectively, with no d×d symbolic matrices.

:func:`explicit_field` is the textbook route instead (losses written in components
θ_1..θ_d, φ_1..φ_d and differentiated directly); it is exponentially slower in d and exists
as an independent check and for display.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from ..games import GameSpec, Param

__all__ = [
    "softplus",
    "sigmoid",
    "Scope",
    "Derivation",
    "derive",
    "field_coefficients",
    "jacobian_blocks",
    "explicit_losses",
    "explicit_field",
    "display",
    "to_text",
    "to_latex",
]


class sigmoid(sp.Function):
    """The logistic function σ(x) = 1/(1 + e^{−x}); numerically, ``scipy.special.expit``."""

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.S.Half

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _latex(self, printer):
        return r"\sigma\left(%s\right)" % printer._print(self.args[0])


class softplus(sp.Function):
    """softplus(x) = log(1 + e^x); numerically ``numpy.logaddexp(0, x)`` (no overflow)."""

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.log(2)

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sp.log(1 + sp.exp(x))

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _latex(self, printer):
        return r"\operatorname{softplus}\left(%s\right)" % printer._print(self.args[0])


class _DotSymbol(sp.Symbol):
    """Display symbol for θ·φ: prints with parentheses where a product would need them."""

    precedence = PRECEDENCE["Mul"]


@dataclass(frozen=True, eq=False)
class Scope:
    """What a game's loss function may use: the invariants and the functions.

    ``dot`` = θ·φ, ``theta_sq`` = ‖θ‖², ``phi_sq`` = ‖φ‖² are the base symbols (the squared
    norms, not the norms, so that the chain rule never divides by a norm that the loss does
    not itself contain); ``theta_norm`` = √‖θ‖² and ``phi_norm`` = √‖φ‖².
    """

    dot: sp.Symbol
    theta_sq: sp.Symbol
    phi_sq: sp.Symbol

    @property
    def theta_norm(self):
        return sp.sqrt(self.theta_sq)

    @property
    def phi_norm(self):
        return sp.sqrt(self.phi_sq)

    softplus = softplus
    sigmoid = sigmoid
    log = sp.log
    exp = sp.exp
    sqrt = staticmethod(sp.sqrt)

    @staticmethod
    def exact(value: float):
        """A preset's fixed value as an exact sympy number (0.0 → 0), so it simplifies."""
        return exact_number(value)


def exact_number(value: float) -> sp.Rational:
    """The exact rational of a float's shortest decimal form: 0.1 → 1/10, 0.999999999 →
    999999999/1000000000, 1e-300 → 10⁻³⁰⁰ (``nsimplify`` would snap such values to 1 or 0)."""
    return sp.Rational(repr(float(value)))


P, A, B = sp.Symbol("p", real=True), sp.Symbol("a", nonnegative=True), sp.Symbol("b", nonnegative=True)
SCOPE = Scope(P, A, B)
INVARIANTS = (P, A, B)
"""The base symbols (θ·φ, ‖θ‖², ‖φ‖²), in the order the lambdified functions take them."""

STATE_BLOCKS = ("theta", "phi")


_PARAM_LATEX: dict[sp.Symbol, str] = {}


def param_symbol(p: Param) -> sp.Symbol:
    """The sympy symbol of a parameter, with the sign assumptions its range implies."""
    if p.lower_open and p.lower >= 0:
        sym = sp.Symbol(p.symbol, positive=True)
    elif p.lower >= 0:
        sym = sp.Symbol(p.symbol, nonnegative=True)
    else:
        sym = sp.Symbol(p.symbol, real=True)
    _PARAM_LATEX[sym] = p.latex
    return sym


@dataclass(frozen=True, eq=False)
class JacobianBlock:
    """One d×d block ∂v/∂x = identity·I + Σ outer[u][w] · u wᵀ (u, w ∈ {θ, φ})."""

    identity: sp.Expr
    outer: tuple[tuple[sp.Expr, sp.Expr], tuple[sp.Expr, sp.Expr]]


@dataclass(frozen=True, eq=False)
class Derivation:
    """Everything sympy derives from one :class:`GameSpec`; parameters stay symbolic.

    ``coefficients[v][u]`` is g_vu in v' = Σ_u g_vu u (v, u ∈ ('theta', 'phi'));
    ``jacobian[v][x]`` is the :class:`JacobianBlock` ∂v'/∂x.  All expressions are in the
    invariants ``INVARIANTS`` and the parameter symbols ``params`` (``spec.params`` order).
    """

    spec: GameSpec
    params: tuple[sp.Symbol, ...]
    loss_d: sp.Expr
    loss_g: sp.Expr
    coefficients: dict
    jacobian: dict

    @property
    def args(self) -> tuple[sp.Symbol, ...]:
        """Argument order of every lambdified function: (p, a, b, *params)."""
        return INVARIANTS + self.params

    def field_exprs(self) -> list[sp.Expr]:
        """[g_θθ, g_θφ, g_φθ, g_φφ]."""
        return [self.coefficients[v][u] for v in STATE_BLOCKS for u in STATE_BLOCKS]

    def jacobian_exprs(self) -> list[sp.Expr]:
        """Per block (θθ, θφ, φθ, φφ): identity coefficient, then outer θθ, θφ, φθ, φφ."""
        out = []
        for v in STATE_BLOCKS:
            for x in STATE_BLOCKS:
                blk = self.jacobian[v][x]
                out.append(blk.identity)
                out.extend(blk.outer[0] + blk.outer[1])
        return out



def _loss_pair(spec: GameSpec, scope: Scope, params: tuple[sp.Symbol, ...]):
    kwargs = {p.name: s for p, s in zip(spec.params, params)}
    kwargs.update({k: scope.exact(v) for k, v in spec.fixed})
    loss_d, loss_g = spec.losses(scope, **kwargs)
    return sp.sympify(loss_d), sp.sympify(loss_g)


def field_coefficients(loss_d: sp.Expr, loss_g: sp.Expr) -> dict:
    """g_vu, the coefficient of u in v' = −∇_v L_v (L_θ = L_G, L_φ = L_D), from two losses in
    the invariants: ``{'theta': {'theta': g_θθ, 'phi': g_θφ}, 'phi': {...}}``."""
    coeffs = {
        "theta": {"theta": -2 * sp.diff(loss_g, A), "phi": -sp.diff(loss_g, P)},
        "phi": {"theta": -sp.diff(loss_d, P), "phi": -2 * sp.diff(loss_d, B)},
    }
    return {v: {u: _tidy(e) for u, e in row.items()} for v, row in coeffs.items()}


def jacobian_blocks(coeffs: dict) -> dict:
    """The Jacobian blocks ∂v'/∂x of the field with coefficients ``coeffs`` (see module doc)."""
    sq = {"theta": A, "phi": B}
    other = {"theta": "phi", "phi": "theta"}
    jac = {}
    for v in STATE_BLOCKS:
        jac[v] = {}
        for x in STATE_BLOCKS:
            # ∇_x g = ∂_p g · x̄ + 2 ∂_{|x|²} g · x ;  outer[u][w] is the coefficient of u wᵀ.
            outer = {u: {w: sp.S.Zero for w in STATE_BLOCKS} for u in STATE_BLOCKS}
            for u in STATE_BLOCKS:
                g = coeffs[v][u]
                outer[u][other[x]] += sp.diff(g, P)
                outer[u][x] += 2 * sp.diff(g, sq[x])
            jac[v][x] = JacobianBlock(
                _tidy(coeffs[v][x]),
                tuple(tuple(_tidy(outer[u][w]) for w in STATE_BLOCKS) for u in STATE_BLOCKS),
            )
    return jac


@lru_cache(maxsize=None)
def derive(spec: GameSpec) -> Derivation:
    """Derive field coefficients and Jacobian blocks of ``spec`` (cached per spec)."""
    params = tuple(param_symbol(p) for p in spec.params)
    loss_d, loss_g = _loss_pair(spec, SCOPE, params)
    coeffs = field_coefficients(loss_d, loss_g)
    return Derivation(spec, params, loss_d, loss_g, coeffs, jacobian_blocks(coeffs))


def _tidy(expr: sp.Expr) -> sp.Expr:
    """Light, safe simplification: cancel common factors without expanding special functions.

    ``sp.simplify`` would be slower and may rewrite σ through exponentials; ``factor_terms``
    and ``cancel`` on rational parts keep expressions short and still exact.
    """
    expr = sp.factor_terms(sp.sympify(expr))
    if expr.has(sigmoid, softplus):
        return expr
    return sp.factor_terms(sp.cancel(expr))


# ---------------------------------------------------------------------------------------
# The independent, componentwise route (for tests and small-d display)
# ---------------------------------------------------------------------------------------


def component_symbols(dim: int) -> tuple[list[sp.Symbol], list[sp.Symbol]]:
    """θ_1..θ_d and φ_1..φ_d as real sympy symbols."""
    theta = list(sp.symbols(f"theta_1:{dim + 1}", real=True))
    phi = list(sp.symbols(f"phi_1:{dim + 1}", real=True))
    return theta, phi


def explicit_losses(spec: GameSpec, dim: int):
    """(L_D, L_G) written in components, with θ·φ, ‖θ‖², ‖φ‖² expanded as sums."""
    theta, phi = component_symbols(dim)
    scope = Scope(
        sum(t * f for t, f in zip(theta, phi)),
        sum(t**2 for t in theta),
        sum(f**2 for f in phi),
    )
    params = tuple(param_symbol(p) for p in spec.params)
    return _loss_pair(spec, scope, params), (theta, phi), params


def explicit_field(spec: GameSpec, dim: int):
    """(θ', φ') as sympy column vectors, by differentiating the component losses directly.

    Returns ``(velocity, (theta, phi), params)`` where ``velocity`` is a 2d-vector in state
    order (θ, φ).  Cost grows quickly with ``dim``; meant for d ≤ 4.
    """
    (loss_d, loss_g), (theta, phi), params = explicit_losses(spec, dim)
    velocity = sp.Matrix([-sp.diff(loss_g, t) for t in theta] + [-sp.diff(loss_d, f) for f in phi])
    return velocity, (theta, phi), params


# ---------------------------------------------------------------------------------------
# Display
# ---------------------------------------------------------------------------------------

_D_DOT = _DotSymbol("θ·φ", real=True)
_D_NT = sp.Symbol("‖θ‖", nonnegative=True)
_D_NP = sp.Symbol("‖φ‖", nonnegative=True)
_LATEX_NAMES = {_D_DOT: r"\theta\cdot\varphi", _D_NT: r"\Vert\theta\Vert", _D_NP: r"\Vert\varphi\Vert"}


def display(expr: sp.Expr) -> sp.Expr:
    """``expr`` with the invariants renamed for reading: θ·φ, ‖θ‖, ‖φ‖ (√‖θ‖² → ‖θ‖)."""
    return sp.sympify(expr).subs({P: _D_DOT, A: _D_NT**2, B: _D_NP**2})


class _TextPrinter(StrPrinter):
    """sympy's str printer with ² and ³ for small powers and σ for the logistic function."""

    _SUPER = {2: "²", 3: "³"}

    def _print_Pow(self, expr, rational=False):
        base, e = expr.as_base_exp()
        if e.is_Integer and int(e) in self._SUPER:
            return self.parenthesize(base, PRECEDENCE["Pow"], strict=False) + self._SUPER[int(e)]
        return super()._print_Pow(expr, rational)

    def _print_ImaginaryUnit(self, expr):
        return "i"

    def _print_sigmoid(self, expr):
        return "σ(%s)" % self._print(expr.args[0])


def to_text(expr: sp.Expr) -> str:
    """Readable one-line text of an expression in the invariants (for the CLI)."""
    text = _TextPrinter({"order": None}).doprint(display(expr))
    return text.replace("**", "^").replace("*", "·")


def to_latex(expr: sp.Expr) -> str:
    """LaTeX of an expression in the invariants."""
    return sp.latex(display(expr), symbol_names={**_PARAM_LATEX, **_LATEX_NAMES})
