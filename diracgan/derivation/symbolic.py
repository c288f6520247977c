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
from .budget import SIMPLIFY_SIZE, TIDY_SIZE, TIDY_TERMS, expanded_terms, tree_size
from .gaussian import (
    _Z_DISPLAY,
    GAUSS_HERMITE_NODES,
    expand_gaussian_means,
    gaussian_expectation,
    gaussian_mean,
)

__all__ = [
    "softplus",
    "sigmoid",
    "gaussian_mean",
    "numeric_expr",
    "switching_functions",
    "SWITCH_CANDIDATES",
    "branch",
    "gaussian_expectation",
    "expand_gaussian_means",
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

    ``dot`` = θ·φ = D(x_fake) (also ``d_fake``), ``theta_sq`` = ‖θ‖², ``phi_sq`` = ‖φ‖² are the
    base symbols (the squared norms, not the norms, so that the chain rule never divides by a
    norm that the loss does not itself contain); ``theta_norm`` = √‖θ‖² and ``phi_norm`` =
    √‖φ‖².  ``d_real`` is D at the real sample: 0 for the Dirac-GAN (D(0) = φ·0), but a symbol
    while the losses are built, so that instance noise can perturb it; it is set to 0 before
    anything is differentiated.

    ``components`` (θ_1..θ_d, φ_1..φ_d) is set only for the componentwise route
    (:func:`explicit_losses`), where :meth:`gradient_norm_sq` differentiates componentwise
    instead of by the chain rule, so that the two routes check each other.
    """

    dot: sp.Symbol
    theta_sq: sp.Symbol
    phi_sq: sp.Symbol
    components: tuple | None = None

    @property
    def theta_norm(self):
        return sp.sqrt(self.theta_sq)

    @property
    def phi_norm(self):
        return sp.sqrt(self.phi_sq)

    @property
    def d_fake(self):
        return self.dot

    @property
    def d_real(self):
        return R

    softplus = softplus
    sigmoid = sigmoid
    log = sp.log
    exp = sp.exp
    sqrt = staticmethod(sp.sqrt)
    abs = staticmethod(sp.Abs)
    max = staticmethod(sp.Max)

    @staticmethod
    def relu(x):
        return sp.Max(0, x)

    @staticmethod
    def exact(value: float):
        """A preset's fixed value as an exact sympy number (0.0 → 0), so it simplifies."""
        return exact_number(value)

    def gradient_norm_sq(self, loss_d, loss_g):
        """‖v‖² = ‖∇_θ L_G‖² + ‖∇_φ L_D‖², v the game's whole gradient field (consensus
        optimisation).  By the chain rule in the invariants, ∇_θ L_G = 2 ∂_a L_G θ + ∂_p L_G φ
        and ∇_φ L_D = ∂_p L_D θ + 2 ∂_b L_D φ, and ‖αθ + βφ‖² = α²‖θ‖² + 2αβ θ·φ + β²‖φ‖²;
        componentwise on the explicit route."""
        loss_d, loss_g = (sp.sympify(x).subs(R, 0) for x in (loss_d, loss_g))
        if self.components is not None:
            theta, phi = self.components
            sub = _component_substitution(theta, phi)
            loss_d, loss_g = loss_d.subs(sub), loss_g.subs(sub)
            return sum(sp.diff(loss_g, t) ** 2 for t in theta) + sum(sp.diff(loss_d, f) ** 2 for f in phi)
        out = 0
        for alpha, beta in ((2 * sp.diff(loss_g, A), sp.diff(loss_g, P)), (sp.diff(loss_d, P), 2 * sp.diff(loss_d, B))):
            out += alpha**2 * A + 2 * alpha * beta * P + beta**2 * B
        return out

    def instance_noise(self, expr, sigma):
        """E over instance noise: every sample x becomes x + ε, ε ~ N(0, σ² I) independently for the
        real and the fake sample.  With a linear D, D(x + ε) = D(x) + φ·ε and φ·ε ~ N(0, σ²‖φ‖²), so
        D(fake) → p + σ‖φ‖Z₁ and D(real) → r + σ‖φ‖Z₂ (see :func:`gaussian_expectation`)."""
        return gaussian_expectation(sp.sympify(expr), (P, R), sigma**2 * B)


def exact_number(value: float) -> sp.Rational:
    """The exact rational of a float's shortest decimal form: 0.1 → 1/10, 0.999999999 →
    999999999/1000000000, 1e-300 → 10⁻³⁰⁰ (``nsimplify`` would snap such values to 1 or 0)."""
    return sp.Rational(repr(float(value)))


# Named as the invariants (not p, a, b), so that no parameter name (LSGAN's labels a, b, c) can clash.
P, A, B = sp.Symbol("dot", real=True), sp.Symbol("theta_sq", nonnegative=True), sp.Symbol("phi_sq", nonnegative=True)
SCOPE = Scope(P, A, B)
INVARIANTS = (P, A, B)
"""The base symbols (θ·φ, ‖θ‖², ‖φ‖²), in the order the lambdified functions take them."""

STATE_BLOCKS = ("theta", "phi")

R = sp.Symbol("r", real=True)
"""D at the real sample while losses are built (0 for the Dirac-GAN; see :class:`Scope`)."""


def _component_substitution(theta, phi) -> dict:
    return {P: sum(t * f for t, f in zip(theta, phi)), A: sum(t**2 for t in theta), B: sum(f**2 for f in phi)}


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
    # D(x_real) = φ·0 = 0 for every φ: substituting before differentiation is exact.
    return sp.sympify(loss_d).subs(R, 0), sp.sympify(loss_g).subs(R, 0)


def field_coefficients(loss_d: sp.Expr, loss_g: sp.Expr) -> dict:
    """g_vu, the coefficient of u in v' = −∇_v L_v (L_θ = L_G, L_φ = L_D), from two losses in
    the invariants: ``{'theta': {'theta': g_θθ, 'phi': g_θφ}, 'phi': {...}}``."""
    coeffs = {
        "theta": {"theta": -2 * sp.diff(loss_g, A), "phi": -sp.diff(loss_g, P)},
        "phi": {"theta": -sp.diff(loss_d, P), "phi": -2 * sp.diff(loss_d, B)},
    }
    # Off the switching surfaces of a non-smooth loss (where consensus' ‖v‖² can put a switch inside
    # a derivative) the derivatives of the switches vanish.
    return {v: {u: tidy(_off_switches(e)) for u, e in row.items()} for v, row in coeffs.items()}


def jacobian_blocks(coeffs: dict) -> dict:
    """The Jacobian blocks ∂v'/∂x of the field with coefficients ``coeffs`` (see module doc).

    Memoised on the four coefficient expressions: the analysis and the explorer ask for the
    blocks of the same (localised, pinned) coefficients several times, and differentiating and
    tidying them is the costly part of building the explorer's page."""
    blocks = _jacobian_blocks(tuple(coeffs[v][u] for v in STATE_BLOCKS for u in STATE_BLOCKS))
    return {v: dict(row) for v, row in blocks.items()}     # the caller's own dicts (blocks are frozen)


@lru_cache(maxsize=4096)
def _jacobian_blocks(flat: tuple) -> dict:
    coeffs = {v: {u: flat[2 * i + j] for j, u in enumerate(STATE_BLOCKS)} for i, v in enumerate(STATE_BLOCKS)}
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
                tidy(coeffs[v][x]),
                tuple(tuple(tidy(_off_switches(outer[u][w])) for w in STATE_BLOCKS) for u in STATE_BLOCKS),
            )
    return jac


@lru_cache(maxsize=None)
def derive(spec: GameSpec) -> Derivation:
    """Derive field coefficients and Jacobian blocks of ``spec`` (cached per spec)."""
    params = tuple(param_symbol(p) for p in spec.params)
    loss_d, loss_g = _loss_pair(spec, SCOPE, params)
    coeffs = field_coefficients(loss_d, loss_g)
    return Derivation(spec, params, loss_d, loss_g, coeffs, jacobian_blocks(coeffs))


def _off_switches(expr: sp.Expr) -> sp.Expr:
    """The Jacobian off the switching surfaces of a non-smooth loss (max, abs, relu): there the
    derivatives of the switches, DiracDelta(s(θ, φ)), vanish.  The surfaces s = 0 themselves are
    reported by :func:`switching_functions` (analysis, integration events)."""
    return expr.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero) if expr.has(sp.DiracDelta) else expr


SWITCH_CANDIDATES = 16
"""Most candidate switching functions that :func:`switching_functions` compares with
``simplify`` (pairwise, so the cost is quadratic); more go by expansion (symbolic budget)."""


def switching_functions(exprs) -> tuple[sp.Expr, ...]:
    """The distinct switching functions s of a non-smooth field: the arguments of Heaviside,
    sign, Max/Min (as differences) and Abs in ``exprs``, in the invariants.  The field is smooth
    off the surfaces s = 0.

    Within the symbolic budget (at most :data:`SWITCH_CANDIDATES` candidates, each of at most
    ``SIMPLIFY_SIZE`` nodes) candidates are simplified and s and −s merged by ``simplify``;
    beyond it, by expansion, which may keep two forms of one surface apart but always ends."""
    cands: list[sp.Expr] = []
    seen: set = set()
    for expr in exprs:
        for node in sp.preorder_traversal(sp.sympify(expr)):
            if node in seen:
                continue
            if isinstance(node, (sp.Heaviside, sp.sign, sp.Abs)):
                seen.add(node)
                new = [node.args[0]]
            elif isinstance(node, (sp.Max, sp.Min)):
                seen.add(node)
                new = [node.args[i] - node.args[j] for i in range(len(node.args)) for j in range(i)]
            else:
                continue
            cands.extend(c for c in new if c not in cands)
    cheap = len(cands) <= SWITCH_CANDIDATES and all(tree_size(c, SIMPLIFY_SIZE) <= SIMPLIFY_SIZE for c in cands)
    canon = sp.simplify if cheap else sp.expand
    found: list[sp.Expr] = []
    for c in cands:
        c = canon(c)
        if not c.is_number and not any(canon(c - f) == 0 or canon(c + f) == 0 for f in found):
            found.append(c)
    return tuple(found)


_SWITCH_TYPES = (sp.Heaviside, sp.sign, sp.Abs, sp.Max, sp.Min)


def branch(expr: sp.Expr, switch: sp.Expr, side: int) -> sp.Expr:
    """``expr`` on one side of the switching surface ``switch`` = 0 (side +1: switch > 0,
    −1: switch < 0): every Heaviside, sign, Abs, and two-argument Max/Min whose argument
    (difference) is ±``switch`` takes that side's smooth branch.  These are the two fields
    f₊ and f₋ of a Filippov system."""
    cheap = tree_size(switch, SIMPLIFY_SIZE) <= SIMPLIFY_SIZE

    def orientation(x):
        canon = sp.simplify if cheap and tree_size(x, SIMPLIFY_SIZE) <= SIMPLIFY_SIZE else sp.expand
        if canon(x - switch) == 0:
            return 1
        if canon(x + switch) == 0:
            return -1
        return 0

    def rep(node):
        if isinstance(node, (sp.Max, sp.Min)):
            if len(node.args) != 2:
                return node
            m = orientation(node.args[0] - node.args[1])
            if not m:
                return node
            first_larger = m * side > 0
            return node.args[0] if first_larger == isinstance(node, sp.Max) else node.args[1]
        m = orientation(node.args[0])
        if not m:
            return node
        sg = m * side
        if isinstance(node, sp.Heaviside):
            return sp.S.One if sg > 0 else sp.S.Zero
        if isinstance(node, sp.sign):
            return sp.S(sg)
        return sg * node.args[0]   # Abs

    return sp.sympify(expr).replace(lambda e: isinstance(e, _SWITCH_TYPES), rep)


def numeric_expr(expr: sp.Expr) -> sp.Expr:
    """An expression ready for a numeric printer (numpy, JavaScript): Gaussian expectations
    written out as Gauss–Hermite sums (:func:`expand_gaussian_means`)."""
    return expand_gaussian_means(sp.sympify(expr))


def tidy(expr: sp.Expr) -> sp.Expr:
    """Light, safe simplification: cancel common factors without expanding special functions.

    ``sp.simplify`` would be slower and may rewrite σ through exponentials; ``factor_terms``
    and ``cancel`` on rational parts keep expressions short and still exact.
    """
    expr = sp.sympify(expr)
    if tree_size(expr, TIDY_SIZE) > TIDY_SIZE:
        return expr     # over the symbolic budget: factor_terms alone is superlinear in the size
    expr = sp.factor_terms(expr)
    if expr.has(sigmoid, softplus) or expanded_terms(expr) > TIDY_TERMS:
        # (Over the symbolic budget, cancel would multiply out thousands of terms: kept as it is.)
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
    scope = Scope(P, A, B, components=(theta, phi))
    params = tuple(param_symbol(p) for p in spec.params)
    sub = _component_substitution(theta, phi)
    loss_d, loss_g = _loss_pair(spec, scope, params)
    return (loss_d.subs(sub), loss_g.subs(sub)), (theta, phi), params


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

    def _print_gaussian_mean(self, expr):
        f, m, v = expr.args
        return "E_Z[%s]" % self._print(f.expr.subs(f.variables[0], m + sp.sqrt(v) * _Z_DISPLAY))


def to_text(expr: sp.Expr) -> str:
    """Readable one-line text of an expression in the invariants (for the CLI)."""
    text = _TextPrinter({"order": None}).doprint(display(expr))
    return text.replace("**", "^").replace("*", "·")


def to_latex(expr: sp.Expr) -> str:
    """LaTeX of an expression in the invariants."""
    return sp.latex(display(expr), symbol_names={**_PARAM_LATEX, **_LATEX_NAMES})
